/* SPDX-License-Identifier: MIT */
/* e2e-traffic.c — see e2e-traffic.h. */
#include "e2e-traffic.h"

#include "e2e-session.h"
#include "harness.h"

#define ERROR_PREFIX "org.qcoapd.CoAP1.Error."

typedef struct
{
  Traffic *traffic;
  GDBusConnection *connection;
  char *path;
  guint sent;
  guint replied;
  guint outstanding;
  guint requests;
  guint send_timeouts;
  gboolean closed;
  GHashTable *sent_ids; /* message IDs Send returned */
  GHashTable *acks;     /* message IDs an Ack came for (each client ID has its own) */
  guint subscription;   /* to the signals of the caller's session: the opener hears them */
} Caller;

struct _Traffic
{
  E2eEnv *env;
  TrafficConfig config;
  Caller *callers;
  GHashTable *errors; /* error name → count */
  guint duplicate_acks;
  guint error_count;
  guint wanted_replies; /* what traffic_wait_replied() waits for */
};

static void caller_pump (Caller *caller);

static GVariant *
bytes_variant (gsize length, guint seed)
{
  g_autofree guint8 *data = g_malloc (length + 1);

  for (gsize i = 0; i < length; i++)
    data[i] = (guint8)(seed + i * 31);
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, length, 1);
}

static void
count_error (Traffic *traffic, const GError *error)
{
  g_autofree char *name = g_dbus_error_get_remote_error (error);
  const char *key = name ? name : error->message;
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (traffic->errors, key));

  g_hash_table_insert (traffic->errors, g_strdup (key), GUINT_TO_POINTER (count + 1));
  traffic->error_count++;
}

static void
on_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Caller *caller = user_data;
  Traffic *traffic = caller->traffic;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  caller->outstanding--;
  caller->replied++;
  if (reply == NULL)
    {
      g_autofree char *name = g_dbus_error_get_remote_error (error);

      count_error (traffic, error);
      /* A Send that timed out may still have been sent: its Ack may come. */
      if (g_strcmp0 (name, ERROR_PREFIX "Timeout") == 0)
        caller->send_timeouts++;
    }
  else if (g_variant_is_of_type (reply, G_VARIANT_TYPE ("(qay)")))
    {
      guint16 message_id;

      g_variant_get (reply, "(qay)", &message_id, NULL);
      g_hash_table_add (caller->sent_ids, GUINT_TO_POINTER (message_id));
    }
  else
    {
      guint8 code;

      g_variant_get (reply, "(ya(qv)ay)", &code, NULL, NULL);
      g_assert_cmpuint (code, ==, 69);
    }
  caller_pump (caller);
}

static void
caller_pump (Caller *caller)
{
  Traffic *traffic = caller->traffic;

  while (!caller->closed && caller->outstanding < traffic->config.window
         && caller->sent < traffic->config.messages_per_caller)
    {
      guint n = caller->sent++;
      const char *method = "Send";
      GVariant *args;

      switch (n % 3)
        {
          case 0: /* NON POST with a payload */
            args = g_variant_new ("(yy@a(qv)@ay@a{sv})", 1, 2, e2e_uri_path ("load"),
                                  bytes_variant (1 + n % 300, n), g_variant_new ("a{sv}", NULL));
            break;
          case 1: /* CON GET */
            args = g_variant_new ("(yy@a(qv)@ay@a{sv})", 0, 1, e2e_uri_path ("time"),
                                  bytes_variant (0, 0), g_variant_new ("a{sv}", NULL));
            break;
          default: /* Request GET */
            {
              GVariantBuilder flags;

              method = "Request";
              caller->requests++;
              g_variant_builder_init (&flags, G_VARIANT_TYPE ("a{sv}"));
              g_variant_builder_add (&flags, "{sv}", "uri-path", g_variant_new_string ("/time"));
              g_variant_builder_add (&flags, "{sv}", "timeout",
                                     g_variant_new_uint32 (traffic->config.request_timeout_ms));
              args = g_variant_new ("(y@a(qv)@ay@a{sv})", 1, g_variant_new ("a(qv)", NULL),
                                    bytes_variant (0, 0), g_variant_builder_end (&flags));
            }
        }
      caller->outstanding++;
      g_dbus_connection_call (caller->connection, "org.qcoapd.CoAP1", caller->path,
                              "org.qcoapd.CoAP1.Session", method, args, NULL,
                              G_DBUS_CALL_FLAGS_NONE, 120000, NULL, on_reply, caller);
    }
}

static Caller *
caller_for_path (Traffic *traffic, const char *path)
{
  for (guint i = 0; i < traffic->config.callers; i++)
    if (g_strcmp0 (traffic->callers[i].path, path) == 0)
      return &traffic->callers[i];
  return NULL;
}

static void
on_signal (GDBusConnection *connection, const char *sender, const char *path, const char *interface,
           const char *member, GVariant *parameters, gpointer user_data)
{
  Traffic *traffic = user_data;
  Caller *caller;
  guint8 type;
  guint16 message_id;
  int result;

  if (g_str_equal (member, "Closed"))
    {
      caller = caller_for_path (traffic, path);
      if (caller)
        caller->closed = TRUE;
      return;
    }
  if (!g_str_equal (member, "Ack"))
    return;
  g_variant_get (parameters, "(yqi)", &type, &message_id, &result);
  caller = caller_for_path (traffic, path);
  if (caller == NULL)
    return;
  if (!g_hash_table_add (caller->acks, GUINT_TO_POINTER (message_id)))
    traffic->duplicate_acks++;
}

Traffic *
traffic_new (E2eEnv *env, const TrafficConfig *config)
{
  Traffic *traffic = g_new0 (Traffic, 1);

  traffic->env = env;
  traffic->config = *config;
  traffic->errors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  traffic->callers = g_new0 (Caller, config->callers);
  for (guint i = 0; i < config->callers; i++)
    {
      Caller *caller = &traffic->callers[i];

      caller->traffic = traffic;
      caller->connection = e2e_env_connect (env);
      caller->sent_ids = g_hash_table_new (NULL, NULL);
      caller->acks = g_hash_table_new (NULL, NULL);
      /* Before Open: the session's signals are addressed to its opener
       * from the start, and only to it. */
      caller->subscription = g_dbus_connection_signal_subscribe (
          caller->connection, "org.qcoapd.CoAP1", "org.qcoapd.CoAP1.Session", NULL, NULL, NULL,
          G_DBUS_SIGNAL_FLAGS_NONE, on_signal, traffic, NULL);
      caller->path = e2e_open_session (caller->connection, env->coap_port,
                                       config->persistent ? e2e_persistent () : NULL);
    }
  return traffic;
}

void
traffic_start (Traffic *traffic)
{
  for (guint i = 0; i < traffic->config.callers; i++)
    caller_pump (&traffic->callers[i]);
}

guint
traffic_replied (Traffic *traffic)
{
  guint replied = 0;

  for (guint i = 0; i < traffic->config.callers; i++)
    replied += traffic->callers[i].replied;
  return replied;
}

static gboolean
replied_enough (gpointer data)
{
  Traffic *traffic = data;

  return traffic_replied (traffic) >= traffic->wanted_replies;
}

gboolean
traffic_wait_replied (Traffic *traffic, guint count, guint timeout_ms)
{
  traffic->wanted_replies = count;
  return e2e_iterate_until (replied_enough, traffic, timeout_ms);
}

guint
traffic_errors (Traffic *traffic)
{
  return traffic->error_count;
}

static gboolean
all_settled (Traffic *traffic)
{
  for (guint i = 0; i < traffic->config.callers; i++)
    {
      Caller *caller = &traffic->callers[i];
      GHashTableIter iter;
      gpointer id;

      if (caller->outstanding > 0
          || (!caller->closed && caller->sent < traffic->config.messages_per_caller))
        return FALSE;
      g_hash_table_iter_init (&iter, caller->sent_ids);
      while (g_hash_table_iter_next (&iter, &id, NULL))
        if (!g_hash_table_contains (caller->acks, id))
          return FALSE;
    }
  return TRUE;
}

gboolean
traffic_wait (Traffic *traffic, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)harness_scale_ms (timeout_ms) * 1000;

  while (!all_settled (traffic) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  /* A duplicate Ack would arrive now (a window to listen in, not scaled). */
  end = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  return all_settled (traffic);
}

void
traffic_check_errors (Traffic *traffic, const char *const *allowed_errors)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, traffic->errors);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const char *name = key;
      gboolean allowed = FALSE;

      for (guint i = 0; allowed_errors && allowed_errors[i]; i++)
        allowed = allowed || g_str_equal (name, allowed_errors[i])
                  || (g_str_has_prefix (name, ERROR_PREFIX)
                      && g_str_equal (name + strlen (ERROR_PREFIX), allowed_errors[i]));
      if (!allowed)
        g_error ("unexpected error %s (%u times)", name, GPOINTER_TO_UINT (value));
    }
  g_assert_cmpuint (traffic->duplicate_acks, ==, 0);
}

void
traffic_check (Traffic *traffic, const char *const *allowed_errors)
{
  GHashTableIter iter;
  gpointer key;

  traffic_check_errors (traffic, allowed_errors);
  for (guint i = 0; i < traffic->config.callers; i++)
    {
      Caller *caller = &traffic->callers[i];
      guint unknown_acks = 0;

      g_assert_cmpuint (caller->outstanding, ==, 0);
      g_assert_cmpuint (caller->replied, ==, caller->sent);
      /* Each message ID Send returned: one Ack, on this caller's session. */
      g_hash_table_iter_init (&iter, caller->sent_ids);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        g_assert_true (g_hash_table_contains (caller->acks, key));
      /* Other Acks on this session: at most one per Request and per Send
       * whose outcome was unknown when it returned. */
      g_hash_table_iter_init (&iter, caller->acks);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (!g_hash_table_contains (caller->sent_ids, key))
          unknown_acks++;
      g_assert_cmpuint (unknown_acks, <=, caller->requests + caller->send_timeouts);
    }
}

void
traffic_close (Traffic *traffic)
{
  for (guint i = 0; i < traffic->config.callers; i++)
    {
      Caller *caller = &traffic->callers[i];

      if (caller->closed)
        continue;
      /* A session may have ended by itself (its modem lost): no error
       * matters here. */
      e2e_try_close_session (caller->connection, caller->path, E2E_CALL_TIMEOUT_MS, NULL);
      caller->closed = TRUE;
    }
}

const char *
traffic_session_path (Traffic *traffic, guint caller)
{
  return traffic->callers[caller].path;
}

void
traffic_free (Traffic *traffic)
{
  for (guint i = 0; i < traffic->config.callers; i++)
    {
      Caller *caller = &traffic->callers[i];

      g_dbus_connection_signal_unsubscribe (caller->connection, caller->subscription);
      g_dbus_connection_close_sync (caller->connection, NULL, NULL);
      g_object_unref (caller->connection);
      g_free (caller->path);
      g_hash_table_unref (caller->sent_ids);
      g_hash_table_unref (caller->acks);
    }
  g_free (traffic->callers);
  g_hash_table_unref (traffic->errors);
  g_free (traffic);
}
