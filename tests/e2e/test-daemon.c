/* SPDX-License-Identifier: MIT */
/* test-daemon.c — qcoapd end to end: D-Bus call → daemon → serial bytes →
 * bg96-sim → UDP → libcoap's coap-server, and back. */
#include <string.h>

#include "e2e-session.h"
#include "e2e-traffic.h"

static E2eEnv *env;

/* ---- helpers ------------------------------------------------------------------------- */

typedef struct
{
  GPtrArray *signals; /* GVariant (s member, s path, v args) */
  guint subscription;
  GDBusConnection *connection;
} SignalLog;

static void
on_signal (GDBusConnection *connection, const char *sender, const char *path, const char *interface,
           const char *member, GVariant *parameters, gpointer user_data)
{
  SignalLog *log = user_data;

  g_ptr_array_add (log->signals,
                   g_variant_ref_sink (g_variant_new ("(ssv)", member, path, parameters)));
}

static SignalLog *
signal_log_new (GDBusConnection *connection, const char *path)
{
  SignalLog *log = g_new0 (SignalLog, 1);

  log->signals = g_ptr_array_new_with_free_func ((GDestroyNotify)g_variant_unref);
  log->connection = g_object_ref (connection);
  log->subscription = g_dbus_connection_signal_subscribe (
      connection, "org.qcoapd.CoAP1", "org.qcoapd.CoAP1.Session", NULL, path, NULL,
      G_DBUS_SIGNAL_FLAGS_NONE, on_signal, log, NULL);
  return log;
}

static void
signal_log_free (SignalLog *log)
{
  g_dbus_connection_signal_unsubscribe (log->connection, log->subscription);
  g_object_unref (log->connection);
  g_ptr_array_unref (log->signals);
  g_free (log);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SignalLog, signal_log_free)

/* The @n-th signal called @member (0-based), or NULL. */
static GVariant *
signal_log_find (SignalLog *log, const char *member, guint n)
{
  for (guint i = 0; i < log->signals->len; i++)
    {
      const char *name;
      g_autoptr (GVariant) args = NULL;

      g_variant_get (g_ptr_array_index (log->signals, i), "(&s&sv)", &name, NULL, &args);
      if (g_str_equal (name, member) && n-- == 0)
        return g_steal_pointer (&args);
    }
  return NULL;
}

static guint
signal_log_count (SignalLog *log, const char *member)
{
  guint count = 0;

  while (TRUE)
    {
      g_autoptr (GVariant) found = signal_log_find (log, member, count);

      if (found == NULL)
        return count;
      count++;
    }
}

static gboolean
keep_waking (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static gboolean
wait_for_signal (SignalLog *log, const char *member, guint count, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)timeout_ms * 1000;
  /* A signal that never comes must not block the iteration forever. */
  guint tick = g_timeout_add (100, keep_waking, NULL);

  while (signal_log_count (log, member) < count && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  return signal_log_count (log, member) >= count;
}

/* Dispatches every signal the daemon sent to @connection before it answered
 * a call made now: the daemon writes its messages to one connection in
 * order, and the bus keeps that order for each recipient. */
static void
flush_signals (GDBusConnection *connection)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      connection, "org.qcoapd.CoAP1", "/org/qcoapd/CoAP1", "org.freedesktop.DBus.Properties", "Get",
      g_variant_new ("(ss)", "org.qcoapd.CoAP1", "State"), NULL, G_DBUS_CALL_FLAGS_NONE, 10000,
      NULL, &error);

  g_assert_no_error (error);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* ---- tests ------------------------------------------------------------------------- */

static void
test_manager_properties (void)
{
  g_assert_cmpstr (qcoap_manager_get_state (env->manager), ==, "ready");
  g_assert_cmpstr (qcoap_manager_get_manufacturer (env->manager), ==, "Quectel");
  g_assert_cmpstr (qcoap_manager_get_model (env->manager), ==, "BG96");
  g_assert_cmpuint (strlen (qcoap_manager_get_imei (env->manager)), ==, 15);
  g_assert_cmpstr (qcoap_manager_get_device (env->manager), ==, env->modem_link);
  g_assert_cmpuint (e2e_env_free_clients (env), ==, 6);
}

/* Open, NON POST with Send, Close: coap-server logs the request, payload intact. */
static void
test_send_non_post (void)
{
  g_autofree char *path = e2e_open_session (env->bus, env->coap_port, NULL);
  g_autoptr (SignalLog) log = signal_log_new (env->bus, path);
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) token = NULL;
  g_autoptr (GVariant) ack = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *coap_log = NULL;
  g_autofree char *expected = NULL;
  const char *body = "{\"t\":21.5,\"n\":\"qcoapd-non-post\"}";
  guint16 message_id;
  guint8 type;
  int result;

  reply = e2e_call (env->bus, path, "org.qcoapd.CoAP1.Session", "Send",
                    g_variant_new ("(yy@a(qv)@ay@a{sv})", 1, 2, e2e_uri_path ("sensors"),
                                   e2e_bytes (body, strlen (body)), e2e_no_flags ()),
                    &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(q@ay)", &message_id, &token);
  g_assert_cmpuint (g_variant_n_children (token), ==, 4);

  g_assert_true (wait_for_signal (log, "Ack", 1, 10000));
  ack = signal_log_find (log, "Ack", 0);
  {
    guint16 acked_id;

    g_variant_get (ack, "(yqi)", &type, &acked_id, &result);
    g_assert_cmpuint (acked_id, ==, message_id);
  }
  g_assert_cmpuint (type, ==, 1);
  g_assert_cmpint (result, ==, 0);

  /* coap-server logs the message ID in hex and the payload quoted. */
  expected = g_strdup_printf ("i:%04x", message_id);
  for (int i = 0; i < 100; i++)
    {
      g_free (coap_log);
      coap_log = e2e_env_coap_log (env);
      if (strstr (coap_log, expected) && strstr (coap_log, body))
        break;
      g_usleep (20000);
    }
  g_assert_nonnull (strstr (coap_log, expected));
  g_assert_nonnull (strstr (coap_log, body));
  g_assert_nonnull (strstr (coap_log, "Uri-Path:sensors"));

  e2e_close_session (env->bus, path);
  g_assert_true (wait_for_signal (log, "Closed", 1, 5000));
  {
    g_autoptr (GVariant) closed = signal_log_find (log, "Closed", 0);
    const char *reason;

    g_variant_get (closed, "(&s)", &reason);
    g_assert_cmpstr (reason, ==, "closed");
  }
  e2e_env_wait_free_clients (env, 6);
}

/* CON GET /time with Send: Ack result 0, then Received 2.05 with our token. */
static void
test_send_con_get (void)
{
  g_autofree char *path = e2e_open_session (env->bus, env->coap_port, NULL);
  g_autoptr (SignalLog) log = signal_log_new (env->bus, path);
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) token = NULL;
  g_autoptr (GVariant) ack = NULL;
  g_autoptr (GVariant) received = NULL;
  g_autoptr (GVariant) received_token = NULL;
  g_autoptr (GVariant) payload = NULL;
  g_autoptr (GError) error = NULL;
  guint16 message_id, acked_id, received_id;
  guint8 type, code;
  int result;

  reply = e2e_call (env->bus, path, "org.qcoapd.CoAP1.Session", "Send",
                    g_variant_new ("(yy@a(qv)@ay@a{sv})", 0, 1, e2e_uri_path ("time"),
                                   e2e_bytes ("", 0), e2e_no_flags ()),
                    &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(q@ay)", &message_id, &token);

  g_assert_true (wait_for_signal (log, "Ack", 1, 10000));
  g_assert_true (wait_for_signal (log, "Received", 1, 10000));
  ack = signal_log_find (log, "Ack", 0);
  g_variant_get (ack, "(yqi)", &type, &acked_id, &result);
  g_assert_cmpuint (type, ==, 0);
  g_assert_cmpuint (acked_id, ==, message_id);
  g_assert_cmpint (result, ==, 0);

  received = signal_log_find (log, "Received", 0);
  g_variant_get (received, "(qy@ay@a(qv)@ay)", &received_id, &code, &received_token, NULL,
                 &payload);
  g_assert_cmpuint (code, ==, 69);
  g_assert_true (g_variant_equal (received_token, token));
  g_assert_cmpuint (g_variant_n_children (payload), >, 0);

  e2e_close_session (env->bus, path);
  e2e_env_wait_free_clients (env, 6);
}

static GVariant *
one_shot (const char *uri, guint8 code, GVariant *payload, GError **error)
{
  g_autofree char *full = g_strdup_printf ("coap://127.0.0.1:%u%s", env->coap_port, uri);

  return e2e_call (env->bus, "/org/qcoapd/CoAP1", "org.qcoapd.CoAP1", "Request",
                   g_variant_new ("(sy@a(qv)@ay@a{sv})", full, code, e2e_no_options (),
                                  payload ? payload : e2e_bytes ("", 0), e2e_no_flags ()),
                   error);
}

/* Request: piggybacked (/time) and separate (/async) responses, 4.04. */
static void
test_request_piggybacked_and_separate (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) time_reply = NULL;
  g_autoptr (GVariant) async_reply = NULL;
  g_autoptr (GVariant) missing_reply = NULL;
  g_autoptr (GVariant) payload = NULL;
  guint8 code;
  gsize length;
  const char *text;

  time_reply = one_shot ("/time", 1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (time_reply, "(y@a(qv)@ay)", &code, NULL, &payload);
  g_assert_cmpuint (code, ==, 69);
  text = g_variant_get_fixed_array (payload, &length, 1);
  g_assert_cmpuint (length, >=, 8);
  g_assert_true (g_ascii_isdigit (text[length - 1]));
  g_clear_pointer (&payload, g_variant_unref);

  async_reply = one_shot ("/async?1", 1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (async_reply, "(y@a(qv)@ay)", &code, NULL, &payload);
  g_assert_cmpuint (code, ==, 69);

  missing_reply = one_shot ("/no-such-resource", 1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (missing_reply, "(y@a(qv)@ay)", &code, NULL, NULL);
  g_assert_cmpuint (code, ==, 132);
  e2e_env_wait_free_clients (env, 6);
}

/* PUT then GET of every byte value that could confuse the AT dialogue. */
static void
test_binary_round_trip (void)
{
  g_autofree char *path = e2e_open_session (env->bus, env->coap_port, NULL);
  guint8 data[600];
  g_autoptr (GVariant) put = NULL;
  g_autoptr (GVariant) get = NULL;
  g_autoptr (GVariant) payload = NULL;
  g_autoptr (GError) error = NULL;
  const guint8 *got;
  gsize got_length;
  guint8 code;

  for (gsize i = 0; i < sizeof data; i++)
    data[i] = (guint8)(i * 7 + 13);
  memcpy (data, "\r\nOK\r\n\x1a\x1b\0+QCOAPRECV: 0,1\r\n", 26);

  put = e2e_session_request (env->bus, path, 3, e2e_bytes (data, sizeof data),
                             e2e_vardict ("uri-path", g_variant_new_string ("/example_data"), NULL),
                             &error);
  g_assert_no_error (error);
  g_variant_get (put, "(y@a(qv)@ay)", &code, NULL, NULL);
  /* 2.01 Created the first time, 2.04 Changed afterwards. */
  g_assert_true (code == 65 || code == 68);

  get = e2e_session_request (env->bus, path, E2E_CODE_GET, NULL,
                             e2e_vardict ("uri-path", g_variant_new_string ("/example_data"), NULL),
                             &error);
  g_assert_no_error (error);
  g_variant_get (get, "(y@a(qv)@ay)", &code, NULL, &payload);
  g_assert_cmpuint (code, ==, 69);
  got = g_variant_get_fixed_array (payload, &got_length, 1);
  g_assert_cmpmem (got, got_length, data, sizeof data);

  e2e_close_session (env->bus, path);
  e2e_env_wait_free_clients (env, 6);
}

/* Six Opens succeed, the seventh fails with NoFreeClient. */
static void
test_seven_opens (void)
{
  char *paths[6];
  g_autoptr (GError) error = NULL;
  g_autofree char *seventh = NULL;

  for (int i = 0; i < 6; i++)
    paths[i] = e2e_open_session (env->bus, env->coap_port, NULL);
  g_assert_cmpuint (e2e_env_free_clients (env), ==, 0);
  seventh = e2e_try_open_session (env->bus, env->coap_port, NULL, E2E_CALL_TIMEOUT_MS, &error);
  g_assert_null (seventh);
  g_assert_true (g_dbus_error_is_remote_error (error));
  e2e_assert_remote_error (error, E2E_ERROR_PREFIX "NoFreeClient");
  for (int i = 0; i < 6; i++)
    {
      e2e_close_session (env->bus, paths[i]);
      g_free (paths[i]);
    }
  e2e_env_wait_free_clients (env, 6);
}

/* A caller that leaves the bus loses its sessions. */
static void
test_owner_vanished (void)
{
  g_autoptr (GDBusConnection) other = e2e_env_connect (env);
  g_autofree char *path = e2e_open_session (other, env->coap_port, NULL);
  g_autoptr (SignalLog) log = signal_log_new (env->bus, path);
  g_autoptr (GVariant) closed = NULL;
  const char *reason;

  e2e_env_listen (env->bus, path);
  g_assert_cmpuint (e2e_env_free_clients (env), ==, 5);
  g_dbus_connection_close_sync (other, NULL, NULL);
  g_assert_true (wait_for_signal (log, "Closed", 1, 10000));
  closed = signal_log_find (log, "Closed", 0);
  g_variant_get (closed, "(&s)", &reason);
  g_assert_cmpstr (reason, ==, "owner-vanished");
  e2e_env_wait_free_clients (env, 6);
}

/* A persistent session survives its caller and ends after its idle timeout. */
static void
test_persistent_idle (void)
{
  g_autoptr (GDBusConnection) other = e2e_env_connect (env);
  g_autofree char *path = NULL;
  g_autoptr (SignalLog) log = NULL;
  g_autoptr (GVariant) closed = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  const char *reason;

  path = e2e_open_session (other, env->coap_port,
                           e2e_vardict ("persistent", g_variant_new_boolean (TRUE), "idle-timeout",
                                        g_variant_new_uint32 (2), NULL));
  log = signal_log_new (env->bus, path);
  e2e_env_listen (env->bus, path);
  g_dbus_connection_close_sync (other, NULL, NULL);

  /* Still usable from another connection of the same user after its caller left. */
  g_usleep (500000);
  reply = e2e_call (env->bus, path, "org.qcoapd.CoAP1.Session", "Send",
                    g_variant_new ("(yy@a(qv)@ay@a{sv})", 1, 2, e2e_uri_path ("p"),
                                   e2e_bytes ("x", 1), e2e_no_flags ()),
                    &error);
  g_assert_no_error (error);
  g_assert_cmpuint (signal_log_count (log, "Closed"), ==, 0);

  g_assert_true (wait_for_signal (log, "Closed", 1, 8000));
  closed = signal_log_find (log, "Closed", 0);
  g_variant_get (closed, "(&s)", &reason);
  g_assert_cmpstr (reason, ==, "idle");
  e2e_env_wait_free_clients (env, 6);
}

/* A server that never answers: Retransmission signals, then Ack −11. */
static void
test_retransmissions_exhausted (void)
{
  g_autofree char *path = NULL;
  g_autoptr (SignalLog) log = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) ack = NULL;
  g_autoptr (GError) error = NULL;
  guint16 message_id, acked_id;
  guint8 type;
  int result;

  path = e2e_open_session (env->bus, env->silent_port,
                           e2e_vardict ("ack-timeout", g_variant_new_uint32 (2), "max-retransmit",
                                        g_variant_new_uint32 (4), NULL));
  log = signal_log_new (env->bus, path);
  reply = e2e_call (env->bus, path, "org.qcoapd.CoAP1.Session", "Send",
                    g_variant_new ("(yy@a(qv)@ay@a{sv})", 0, 1, e2e_uri_path ("void"),
                                   e2e_bytes ("", 0), e2e_no_flags ()),
                    &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(q@ay)", &message_id, NULL);

  /* 2 + 4 + 8 + 16 + 32 s at most, times the random factor of 1.5. */
  g_assert_true (wait_for_signal (log, "Ack", 1, 100000));
  g_assert_cmpuint (signal_log_count (log, "Retransmission"), ==, 4);
  ack = signal_log_find (log, "Ack", 0);
  g_variant_get (ack, "(yqi)", &type, &acked_id, &result);
  g_assert_cmpuint (acked_id, ==, message_id);
  g_assert_cmpint (result, ==, -11);
  {
    g_autofree char *daemon_log = NULL;
    g_autofree char *line = g_strdup_printf (
        "message ID %u failed: no acknowledgement after all retransmissions (modem result -11)",
        acked_id);

    /* One line in the daemon's log says which exchange failed and how. */
    g_assert_true (g_file_get_contents (env->daemon_log_path, &daemon_log, NULL, NULL));
    g_assert_nonnull (strstr (daemon_log, line));
  }
  e2e_close_session (env->bus, path);
  e2e_env_wait_free_clients (env, 6);
}

/* ---- bad input: the named error, and no AT traffic ------------------------------------ */

typedef struct
{
  const char *name;
  const char *error;
  GVariant *(*args) (void);
} BadSend;

static GVariant *
options_of (guint16 number, GVariant *value)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(qv)"));
  g_variant_builder_add (&builder, "(qv)", number, value);
  return g_variant_builder_end (&builder);
}

static GVariant *
send_args (guint8 type, guint8 code, GVariant *options, gsize payload_length, GVariant *flags)
{
  g_autofree guint8 *payload = g_malloc0 (payload_length + 1);

  return g_variant_new ("(yy@a(qv)@ay@a{sv})", type, code, options ? options : e2e_no_options (),
                        e2e_bytes (payload, payload_length), flags ? flags : e2e_no_flags ());
}

static GVariant *
bad_type (void)
{
  return send_args (4, 1, NULL, 0, NULL);
}

static GVariant *
bad_code (void)
{
  return send_args (0, 5, NULL, 0, NULL);
}

static GVariant *
unknown_option (void)
{
  return send_args (0, 1, options_of (6, g_variant_new_uint32 (0)), 0, NULL);
}

static GVariant *
wrong_value_type (void)
{
  return send_args (0, 1, options_of (11, g_variant_new_uint32 (7)), 0, NULL);
}

static GVariant *
value_too_long (void)
{
  g_autofree char *long_text = g_strnfill (256, 'a');

  return send_args (0, 1, options_of (11, g_variant_new_string (long_text)), 0, NULL);
}

static GVariant *
nine_options (void)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(qv)"));
  for (int i = 0; i < 9; i++)
    g_variant_builder_add (&builder, "(qv)", 11, g_variant_new_string ("x"));
  return send_args (0, 1, g_variant_builder_end (&builder), 0, NULL);
}

static GVariant *
payload_too_long (void)
{
  return send_args (1, 2, NULL, 1025, NULL);
}

static GVariant *
token_too_long (void)
{
  GVariantBuilder flags;

  g_variant_builder_init (&flags, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&flags, "{sv}", "token", e2e_bytes ("123456789", 9));
  return send_args (0, 1, NULL, 0, g_variant_builder_end (&flags));
}

static GVariant *
unknown_flag (void)
{
  GVariantBuilder flags;

  g_variant_builder_init (&flags, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&flags, "{sv}", "colour", g_variant_new_string ("red"));
  return send_args (0, 1, NULL, 0, g_variant_builder_end (&flags));
}

static const BadSend bad_sends[] = {
  { "type 4", "InvalidArgument", bad_type },
  { "code 5", "InvalidArgument", bad_code },
  { "unknown option 6", "InvalidArgument", unknown_option },
  { "u for Uri-Path", "InvalidArgument", wrong_value_type },
  { "256-byte Uri-Path", "InvalidArgument", value_too_long },
  { "9 options", "InvalidArgument", nine_options },
  { "1025-byte payload", "InvalidArgument", payload_too_long },
  { "9-byte token", "InvalidArgument", token_too_long },
  { "unknown flag", "InvalidArgument", unknown_flag },
};

static void
assert_remote_error (const GError *error, const char *name, const char *what)
{
  g_autofree char *remote = NULL;

  if (error == NULL)
    g_error ("%s: no error", what);
  remote = g_dbus_error_get_remote_error (error);
  if (g_strcmp0 (remote, name) != 0)
    g_error ("%s: expected %s, got %s (%s)", what, name, remote, error->message);
}

static void
test_bad_send_arguments (void)
{
  g_autofree char *path = e2e_open_session (env->bus, env->coap_port, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (bad_sends); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) reply = NULL;
      g_autofree char *expected = g_strconcat (E2E_ERROR_PREFIX, bad_sends[i].error, NULL);
      gsize offset = e2e_env_sim_log_offset (env);

      reply = e2e_call (env->bus, path, "org.qcoapd.CoAP1.Session", "Send", bad_sends[i].args (),
                        &error);
      g_assert_null (reply);
      assert_remote_error (error, expected, bad_sends[i].name);
      g_assert_nonnull (error->message);
      e2e_env_assert_no_at_traffic (env, offset, bad_sends[i].name);
    }
  e2e_close_session (env->bus, path);
  e2e_env_wait_free_clients (env, 6);
}

static void
test_bad_open_arguments (void)
{
  struct
  {
    const char *what;
    const char *host;
    guint16 port;
    const char *key;
    GVariant *value;
  } cases[] = {
    { "port 0", "127.0.0.1", 0, NULL, NULL },
    { "empty host", "", 5683, NULL, NULL },
    { "host with a quote", "a\"b", 5683, NULL, NULL },
    { "unknown key", "127.0.0.1", 5683, "colour", g_variant_new_string ("red") },
    { "wrong value type", "127.0.0.1", 5683, "ack-timeout", g_variant_new_string ("2") },
    { "ack-timeout out of range", "127.0.0.1", 5683, "ack-timeout", g_variant_new_uint32 (61) },
    { "client-id 6", "127.0.0.1", 5683, "client-id", g_variant_new_byte (6) },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) reply = NULL;
      GVariantBuilder options;
      gsize offset = e2e_env_sim_log_offset (env);

      g_variant_builder_init (&options, G_VARIANT_TYPE ("a{sv}"));
      if (cases[i].key)
        g_variant_builder_add (&options, "{sv}", cases[i].key, cases[i].value);
      reply = e2e_call (env->bus, "/org/qcoapd/CoAP1", "org.qcoapd.CoAP1", "Open",
                        g_variant_new ("(sq@a{sv})", cases[i].host, cases[i].port,
                                       g_variant_builder_end (&options)),
                        &error);
      g_assert_null (reply);
      assert_remote_error (error, E2E_ERROR_PREFIX "InvalidArgument", cases[i].what);
      e2e_env_assert_no_at_traffic (env, offset, cases[i].what);
    }
  g_assert_cmpuint (e2e_env_free_clients (env), ==, 6);
}

static void
test_bad_request_uri (void)
{
  const char *uris[] = { "http://127.0.0.1/x", "coap://", "coap://127.0.0.1:0/x",
                         "coap://127.0.0.1:70000/x", "coap://user@127.0.0.1/x" };

  for (gsize i = 0; i < G_N_ELEMENTS (uris); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) reply = NULL;
      gsize offset = e2e_env_sim_log_offset (env);

      reply = e2e_call (env->bus, "/org/qcoapd/CoAP1", "org.qcoapd.CoAP1", "Request",
                        g_variant_new ("(sy@a(qv)@ay@a{sv})", uris[i], 1, e2e_no_options (),
                                       e2e_bytes ("", 0), e2e_no_flags ()),
                        &error);
      g_assert_null (reply);
      assert_remote_error (error, E2E_ERROR_PREFIX "InvalidArgument", uris[i]);
      e2e_env_assert_no_at_traffic (env, offset, uris[i]);
    }
}

/* The one-shot Request sends every option the caller gives, besides the
 * URI's path and query: three here, each of which coap-server must see. */
static void
test_one_shot_options (void)
{
  g_autofree char *uri = g_strdup_printf ("coap://127.0.0.1:%u/time?ticks", env->coap_port);
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *coap_log = NULL;
  GVariantBuilder options;
  static const guint8 etag[] = { 0xAB, 0xCD };
  const char *expected[] = { "Uri-Path:time", "Uri-Query:ticks", "Accept:text/plain", "ETag:0xabcd",
                             "Uri-Query:qcoapd=three" };
  guint8 code;

  g_variant_builder_init (&options, G_VARIANT_TYPE ("a(qv)"));
  g_variant_builder_add (&options, "(qv)", 17, g_variant_new_uint32 (0));
  g_variant_builder_add (&options, "(qv)", 4, e2e_bytes ((const char *)etag, sizeof etag));
  g_variant_builder_add (&options, "(qv)", 15, g_variant_new_string ("qcoapd=three"));
  reply = e2e_call (env->bus, "/org/qcoapd/CoAP1", "org.qcoapd.CoAP1", "Request",
                    g_variant_new ("(sy@a(qv)@ay@a{sv})", uri, 1, g_variant_builder_end (&options),
                                   e2e_bytes ("", 0), e2e_no_flags ()),
                    &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(y@a(qv)@ay)", &code, NULL, NULL);
  g_assert_cmpuint (code, ==, 69);
  for (int i = 0; i < 100; i++)
    {
      g_free (coap_log);
      coap_log = e2e_env_coap_log (env);
      if (strstr (coap_log, "qcoapd=three"))
        break;
      g_usleep (20000);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    if (strstr (coap_log, expected[i]) == NULL)
      g_error ("coap-server did not see %s in:\n%s", expected[i], coap_log);
  e2e_env_wait_free_clients (env, 6);
}

/* ---- who hears a session's signals ------------------------------------------------------ */

static void
send_con_get (GDBusConnection *connection, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply
      = e2e_call (connection, path, "org.qcoapd.CoAP1.Session", "Send",
                  g_variant_new ("(yy@a(qv)@ay@a{sv})", 0, 1, e2e_uri_path ("time"),
                                 e2e_bytes ("", 0), e2e_no_flags ()),
                  &error);

  g_assert_no_error (error);
}

static void
session_call (GDBusConnection *connection, const char *path, const char *method)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply
      = e2e_call (connection, path, "org.qcoapd.CoAP1.Session", method, NULL, &error);

  g_assert_no_error (error);
}

static gsize
daemon_log_size (void)
{
  g_autofree char *text = NULL;
  gsize length = 0;

  g_file_get_contents (env->daemon_log_path, &text, &length, NULL);
  return length;
}

/* Waits for a line of the daemon's log, after @offset, that holds @first
 * and then @then. */
static void
wait_for_daemon_log (gsize offset, const char *first, const char *then)
{
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  do
    {
      g_autofree char *text = NULL;
      gsize length = 0;
      const char *found;

      g_file_get_contents (env->daemon_log_path, &text, &length, NULL);
      found = offset < length ? strstr (text + offset, first) : NULL;
      if (found && strstr (found, then) && strchr (found, '\n') > strstr (found, then))
        return;
      g_usleep (20000);
    }
  while (g_get_monotonic_time () < end);
  g_error ("the daemon's log has no line with \"%s\" … \"%s\"", first, then);
}

/* Another connection of the same user hears nothing of a session until it
 * calls Listen, and nothing again after Unlisten; the opener hears it all
 * along. */
static void
test_listen_from_another_connection (void)
{
  g_autoptr (GDBusConnection) other = e2e_env_connect (env);
  g_autofree char *path = e2e_open_session (env->bus, env->coap_port, NULL);
  g_autoptr (SignalLog) opener_log = signal_log_new (env->bus, path);
  g_autoptr (SignalLog) other_log = signal_log_new (other, path);
  g_autofree char *dropped = NULL;
  g_autoptr (GVariant) client_id = NULL;
  gsize log_offset;

  send_con_get (env->bus, path);
  g_assert_true (wait_for_signal (opener_log, "Received", 1, 10000));
  g_assert_true (wait_for_signal (opener_log, "Ack", 1, 10000));
  flush_signals (other);
  g_assert_cmpuint (other_log->signals->len, ==, 0);

  session_call (other, path, "Listen");
  session_call (other, path, "Listen"); /* idempotent: still one copy of each */
  send_con_get (env->bus, path);
  g_assert_true (wait_for_signal (other_log, "Received", 1, 10000));
  g_assert_true (wait_for_signal (other_log, "Ack", 1, 10000));
  g_assert_true (wait_for_signal (opener_log, "Received", 2, 10000));
  flush_signals (other);
  g_assert_cmpuint (signal_log_count (other_log, "Received"), ==, 1);
  g_assert_cmpuint (signal_log_count (other_log, "Ack"), ==, 1);

  session_call (other, path, "Unlisten");
  send_con_get (env->bus, path);
  g_assert_true (wait_for_signal (opener_log, "Received", 3, 10000));
  g_assert_true (wait_for_signal (opener_log, "Ack", 3, 10000));
  flush_signals (other);
  g_assert_cmpuint (signal_log_count (other_log, "Received"), ==, 1);

  /* A listener that leaves the bus is dropped (the daemon says so in its
   * debug log); the others still hear. */
  session_call (other, path, "Listen");
  log_offset = daemon_log_size ();
  g_dbus_connection_close_sync (other, NULL, NULL);
  send_con_get (env->bus, path);
  g_assert_true (wait_for_signal (opener_log, "Received", 4, 10000));
  client_id = e2e_env_get_property (env, path, E2E_SESSION_IFACE, "ClientId");
  dropped = g_strdup_printf ("Session %u: listener (", g_variant_get_byte (client_id));
  wait_for_daemon_log (log_offset, dropped, "left the bus");
  e2e_close_session (env->bus, path);
  g_assert_true (wait_for_signal (opener_log, "Closed", 1, 5000));
  e2e_env_wait_free_clients (env, 6);
}

/* Open with "listen" false: the session emits nothing until someone
 * listens; then the listener hears its Ack, Received and Closed. */
static void
test_open_without_listening (void)
{
  g_autofree char *path = NULL;
  g_autoptr (SignalLog) log = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  GVariantBuilder flags;

  path = e2e_open_session (env->bus, env->coap_port,
                           e2e_vardict ("listen", g_variant_new_boolean (FALSE), NULL));
  log = signal_log_new (env->bus, path);

  /* The Request's response comes after the Send's: had the Send's Ack or
   * Received been emitted, it would be here before the Request's reply. */
  send_con_get (env->bus, path);
  g_variant_builder_init (&flags, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&flags, "{sv}", "uri-path", g_variant_new_string ("/time"));
  reply = e2e_call (env->bus, path, "org.qcoapd.CoAP1.Session", "Request",
                    g_variant_new ("(y@a(qv)@ay@a{sv})", 1, e2e_no_options (), e2e_bytes ("", 0),
                                   g_variant_builder_end (&flags)),
                    &error);
  g_assert_no_error (error);
  flush_signals (env->bus);
  g_assert_cmpuint (log->signals->len, ==, 0);

  session_call (env->bus, path, "Listen");
  send_con_get (env->bus, path);
  g_assert_true (wait_for_signal (log, "Ack", 1, 10000));
  g_assert_true (wait_for_signal (log, "Received", 1, 10000));
  e2e_close_session (env->bus, path);
  g_assert_true (wait_for_signal (log, "Closed", 1, 5000));
  e2e_env_wait_free_clients (env, 6);
}

static void
on_one_shot_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply
      = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  g_assert_no_error (error);
  *(gboolean *)user_data = TRUE;
}

/* The path of the only session there is, once there is one. */
static char *
wait_for_a_session (void)
{
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < end)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) reply
          = e2e_call (env->bus, "/org/qcoapd/CoAP1", "org.freedesktop.DBus.Properties", "Get",
                      g_variant_new ("(ss)", "org.qcoapd.CoAP1", "Sessions"), &error);
      g_autoptr (GVariant) sessions = NULL;

      g_assert_no_error (error);
      g_variant_get (reply, "(v)", &sessions);
      if (g_variant_n_children (sessions) > 0)
        {
          g_autoptr (GVariant) first = g_variant_get_child_value (sessions, 0);

          return g_variant_dup_string (first, NULL);
        }
      g_usleep (10000);
    }
  g_error ("no session appeared");
}

/* The one-shot Request's session has no listener and takes none: none of
 * its signals reaches its caller (its Closed would come before the reply)
 * or a connection that calls Listen on it meanwhile, and "listen" is
 * refused among its flags. */
static void
test_one_shot_emits_nothing (void)
{
  g_autoptr (GDBusConnection) other = e2e_env_connect (env);
  g_autoptr (SignalLog) log = signal_log_new (env->bus, NULL);
  g_autoptr (SignalLog) caller_log = signal_log_new (other, NULL);
  g_autofree char *uri = g_strdup_printf ("coap://127.0.0.1:%u/time", env->coap_port);
  g_autofree char *slow_uri = g_strdup_printf ("coap://127.0.0.1:%u/async?1", env->coap_port);
  g_autofree char *path = NULL;
  g_autoptr (GVariant) refused = NULL;
  g_autoptr (GError) error = NULL;
  gboolean replied = FALSE;
  GVariantBuilder flags;
  gsize offset;

  /* /async?1 answers after a second: time to Listen to the session. */
  g_dbus_connection_call (
      other, "org.qcoapd.CoAP1", "/org/qcoapd/CoAP1", "org.qcoapd.CoAP1", "Request",
      g_variant_new ("(sy@a(qv)@ay@a{sv})", slow_uri, 1, e2e_no_options (), e2e_bytes ("", 0),
                     e2e_no_flags ()),
      NULL, G_DBUS_CALL_FLAGS_NONE, E2E_CALL_TIMEOUT_MS, NULL, on_one_shot_reply, &replied);
  path = wait_for_a_session ();
  session_call (env->bus, path, "Listen");
  g_assert_true (e2e_wait_for (&replied, 20000));
  flush_signals (other);
  flush_signals (env->bus);
  g_assert_cmpuint (caller_log->signals->len, ==, 0);
  g_assert_cmpuint (log->signals->len, ==, 0);

  offset = e2e_env_sim_log_offset (env);
  g_variant_builder_init (&flags, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&flags, "{sv}", "listen", g_variant_new_boolean (TRUE));
  refused = e2e_call (env->bus, "/org/qcoapd/CoAP1", "org.qcoapd.CoAP1", "Request",
                      g_variant_new ("(sy@a(qv)@ay@a{sv})", uri, 1, e2e_no_options (),
                                     e2e_bytes ("", 0), g_variant_builder_end (&flags)),
                      &error);
  g_assert_null (refused);
  assert_remote_error (error, E2E_ERROR_PREFIX "InvalidArgument", "Request with \"listen\"");
  e2e_env_assert_no_at_traffic (env, offset, "Request with \"listen\"");
  e2e_env_wait_free_clients (env, 6);
}

/* ---- concurrency ------------------------------------------------------------------------ */

/* Six callers × 200 mixed messages at once: every call answered, every Ack on
 * the right session, message IDs unique (see e2e-traffic.h). */
static void
test_six_callers (void)
{
  TrafficConfig config
      = { .callers = 6, .messages_per_caller = 200, .window = 6, .request_timeout_ms = 20000 };
  g_autoptr (Traffic) traffic = traffic_new (env, &config);

  traffic_start (traffic);
  g_assert_true (traffic_wait (traffic, 240000));
  g_assert_cmpuint (traffic_replied (traffic), ==, 6 * 200);
  traffic_check (traffic, NULL);
  traffic_close (traffic);
  e2e_env_wait_free_clients (env, 6);
}

int
main (int argc, char **argv)
{
  int status;
  E2eOptions options = { .config_text = NULL };
  const char *sim_args[3] = { NULL };

  g_test_init (&argc, &argv, NULL);
  options.under_valgrind = g_getenv ("QCOAPD_VALGRIND") != NULL;
  /* The simulator can run the modem's ACK timeouts faster (retransmission
   * tests would otherwise wait 2 + 4 + 8 + 16 + 32 s); the daemon is not
   * told and must cope with whatever timing the modem has. */
  if (g_getenv ("BG96_SIM_TIME_SCALE"))
    {
      sim_args[0] = "--time-scale";
      sim_args[1] = g_getenv ("BG96_SIM_TIME_SCALE");
      options.sim_args = sim_args;
    }
  g_test_add_func ("/daemon/manager-properties", test_manager_properties);
  g_test_add_func ("/daemon/send-non-post", test_send_non_post);
  g_test_add_func ("/daemon/send-con-get", test_send_con_get);
  g_test_add_func ("/daemon/request", test_request_piggybacked_and_separate);
  g_test_add_func ("/daemon/binary-round-trip", test_binary_round_trip);
  g_test_add_func ("/daemon/seven-opens", test_seven_opens);
  g_test_add_func ("/daemon/owner-vanished", test_owner_vanished);
  g_test_add_func ("/daemon/persistent-idle", test_persistent_idle);
  g_test_add_func ("/daemon/bad-send-arguments", test_bad_send_arguments);
  g_test_add_func ("/daemon/bad-open-arguments", test_bad_open_arguments);
  g_test_add_func ("/daemon/bad-request-uri", test_bad_request_uri);
  g_test_add_func ("/daemon/one-shot-options", test_one_shot_options);
  g_test_add_func ("/daemon/listeners/another-connection", test_listen_from_another_connection);
  g_test_add_func ("/daemon/listeners/open-without-listening", test_open_without_listening);
  g_test_add_func ("/daemon/listeners/one-shot-emits-nothing", test_one_shot_emits_nothing);
  g_test_add_func ("/daemon/six-callers", test_six_callers);
  g_test_add_func ("/daemon/slow/retransmissions-exhausted", test_retransmissions_exhausted);

  env = e2e_env_start (&options);
  status = g_test_run ();
  if (!e2e_env_stop (env, status != 0))
    status = 1;
  return status;
}
