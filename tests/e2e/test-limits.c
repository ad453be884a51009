/* SPDX-License-Identifier: MIT */
/* test-limits.c — what one admitted caller cannot do to the daemon: wedge
 * its main loop with a huge argument, grow it without bound, pin every
 * message ID, or hold calls for ever. Each case goes through the real path
 * and checks that nothing reached the modem when the call was refused. */
#include <string.h>

#include "e2e-env.h"
#include "e2e-session.h"

/* A call with an argument of megabytes takes its time. */
#define CALL_TIMEOUT   60000
#define QUEUE_LIMIT    8
#define MAX_LISTENERS  64
#define MAX_IN_FLIGHT  4
#define MAX_IDLE       100
#define TIMEOUT_CAP_MS 600000

static E2eEnv *env;

static GVariant *
call (const char *path, const char *interface, const char *method, GVariant *args, GError **error)
{
  return g_dbus_connection_call_sync (env->bus, E2E_BUS_NAME, path, interface, method, args, NULL,
                                      G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT, NULL, error);
}

static void
assert_invalid (GVariant *reply, GError *error, const char *what)
{
  g_autofree char *name = error ? g_dbus_error_get_remote_error (error) : NULL;

  g_assert_null (reply);
  if (g_strcmp0 (name, E2E_ERROR_PREFIX "InvalidArgument") != 0)
    g_error ("%s: expected InvalidArgument, got %s", what, error ? error->message : "a reply");
}

static guint
daemon_rss_kib (void)
{
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      env->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "GetConnectionUnixProcessID", g_variant_new ("(s)", E2E_BUS_NAME), G_VARIANT_TYPE ("(u)"),
      G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  g_autofree char *path = NULL;
  g_autofree char *status = NULL;
  const char *line;
  guint32 pid;

  g_assert_nonnull (reply);
  g_variant_get (reply, "(u)", &pid);
  path = g_strdup_printf ("/proc/%u/status", pid);
  g_assert_true (g_file_get_contents (path, &status, NULL, NULL));
  line = strstr (status, "VmRSS:");
  g_assert_nonnull (line);
  return (guint)g_ascii_strtoull (line + strlen ("VmRSS:"), NULL, 10);
}

/* 800 000 path segments (1.6 MB) are refused at once, as is a URI that
 * long, and nothing reaches the modem. */
static void
test_long_path (void)
{
  g_autofree char *path = e2e_open_session (env->bus, env->coap_port, NULL);
  g_autoptr (GString) segments = g_string_sized_new (1600000);
  g_autoptr (GString) uri = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  gsize offset;

  for (guint i = 0; i < 800000; i++)
    g_string_append (segments, "/a");
  offset = e2e_env_sim_log_offset (env);
  reply
      = call (path, E2E_SESSION_IFACE, "Request",
              g_variant_new ("(y@a(qv)@ay@a{sv})", 1, e2e_no_options (), e2e_bytes ("", 0),
                             e2e_vardict ("uri-path", g_variant_new_string (segments->str), NULL)),
              &error);
  assert_invalid (reply, error, "a uri-path of 800 000 segments");
  g_clear_error (&error);
  uri = g_string_new ("coap://127.0.0.1");
  g_string_append (uri, segments->str);
  reply = call (E2E_MANAGER_PATH, E2E_MANAGER_IFACE, "Request",
                g_variant_new ("(sy@a(qv)@ay@a{sv})", uri->str, 1, e2e_no_options (),
                               e2e_bytes ("", 0), e2e_no_flags ()),
                &error);
  assert_invalid (reply, error, "a URI of 1.6 MB");
  e2e_env_assert_no_at_traffic (env, offset, "a refused long path");
  e2e_close_session (env->bus, path);
  e2e_env_wait_free_clients (env, 6);
}

/* 500 000 options in a Send: refused before they are converted, and the
 * daemon does not keep what the call cost. */
static void
test_many_options (void)
{
  g_autofree char *path = e2e_open_session (env->bus, env->coap_port, NULL);
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  GVariantBuilder options;
  guint before = daemon_rss_kib ();
  guint after;
  gsize offset = e2e_env_sim_log_offset (env);

  g_variant_builder_init (&options, G_VARIANT_TYPE ("a(qv)"));
  for (guint i = 0; i < 500000; i++)
    g_variant_builder_add (&options, "(qv)", 11, g_variant_new_string ("x"));
  reply = call (path, E2E_SESSION_IFACE, "Send",
                g_variant_new ("(yy@a(qv)@ay@a{sv})", 0, 1, g_variant_builder_end (&options),
                               e2e_bytes ("", 0), e2e_no_flags ()),
                &error);
  assert_invalid (reply, error, "500 000 options");
  e2e_env_assert_no_at_traffic (env, offset, "a Send of 500 000 options");
  /* GDBus needs the memory while it reads the message; the daemon gives it
   * back once the call is refused. */
  for (guint i = 0; i < 150; i++)
    {
      after = daemon_rss_kib ();
      if (after < before + 64 * 1024)
        break;
      g_usleep (100000);
    }
  g_test_message ("RSS %u kB before, %u kB after", before, after);
  /* AddressSanitizer holds freed memory in its quarantine on purpose. */
  if (g_getenv ("ASAN_OPTIONS") == NULL)
    g_assert_cmpuint (after, <, before + 64 * 1024);
  e2e_close_session (env->bus, path);
  e2e_env_wait_free_clients (env, 6);
}

typedef struct
{
  guint replies;
  guint queue_full;
  guint other;
} Tally;

static void
on_request_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Tally *tally = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply
      = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  g_autofree char *name = error ? g_dbus_error_get_remote_error (error) : NULL;

  tally->replies++;
  if (g_strcmp0 (name, E2E_ERROR_PREFIX "QueueFull") == 0)
    tally->queue_full++;
  else
    tally->other++;
}

/* Requests waiting for a response count against QueueLimit: to a server
 * that never answers, only QueueLimit of 40 NON requests may wait. */
static void
test_waiting_requests (void)
{
  g_autofree char *path = e2e_open_session (env->bus, env->silent_port, NULL);
  Tally tally = { 0 };
  const guint count = 40;
  gint64 end;

  for (guint i = 0; i < count; i++)
    g_dbus_connection_call (
        env->bus, E2E_BUS_NAME, path, E2E_SESSION_IFACE, "Request",
        g_variant_new ("(y@a(qv)@ay@a{sv})", 1, e2e_no_options (), e2e_bytes ("", 0),
                       e2e_vardict ("confirmable", g_variant_new_boolean (FALSE), "timeout",
                                    g_variant_new_uint32 (3000), NULL)),
        NULL, G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT, NULL, on_request_reply, &tally);
  end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (tally.replies < count && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (tally.replies, ==, count);
  g_test_message ("%u QueueFull, %u timed out", tally.queue_full, tally.other);
  g_assert_cmpuint (tally.other, ==, QUEUE_LIMIT);
  g_assert_cmpuint (tally.queue_full, ==, count - QUEUE_LIMIT);
  {
    g_autofree char *log = NULL;

    /* Each exchange that timed out has its line in the daemon's log. */
    g_assert_true (g_file_get_contents (env->daemon_log_path, &log, NULL, NULL));
    g_assert_nonnull (strstr (log, "failed: no response in time"));
  }
  e2e_close_session (env->bus, path);
  e2e_env_wait_free_clients (env, 6);
}

/* Confirmable messages awaiting their Ack are capped per session: the
 * message IDs cannot all be pinned by a server that never answers. */
static void
test_con_in_flight (void)
{
  g_autofree char *path = e2e_open_session (env->bus, env->silent_port, NULL);
  guint accepted = 0;
  g_autofree char *last_error = NULL;

  for (guint i = 0; i < MAX_IN_FLIGHT + 3; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) reply
          = call (path, E2E_SESSION_IFACE, "Send",
                  g_variant_new ("(yy@a(qv)@ay@a{sv})", 0, 1, e2e_no_options (), e2e_bytes ("", 0),
                                 e2e_no_flags ()),
                  &error);

      if (reply)
        accepted++;
      else
        {
          g_free (last_error);
          last_error = g_dbus_error_get_remote_error (error);
        }
    }
  g_assert_cmpuint (accepted, ==, MAX_IN_FLIGHT);
  g_assert_cmpstr (last_error, ==, E2E_ERROR_PREFIX "QueueFull");
  e2e_close_session (env->bus, path);
  e2e_env_wait_free_clients (env, 6);
}

/* Timeouts beyond ten minutes, an idle-timeout beyond MaxIdleTimeout, and an
 * empty message with a payload or a token are refused, and nothing is sent. */
static void
test_bad_values (void)
{
  g_autofree char *path = e2e_open_session (env->bus, env->coap_port, NULL);
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  gsize offset = e2e_env_sim_log_offset (env);

  reply = call (
      path, E2E_SESSION_IFACE, "Request",
      g_variant_new ("(y@a(qv)@ay@a{sv})", 1, e2e_no_options (), e2e_bytes ("", 0),
                     e2e_vardict ("timeout", g_variant_new_uint32 (TIMEOUT_CAP_MS + 1), NULL)),
      &error);
  assert_invalid (reply, error, "a Request timeout of 600 001 ms");
  g_clear_error (&error);
  reply = call (
      E2E_MANAGER_PATH, E2E_MANAGER_IFACE, "Open",
      g_variant_new ("(sq@a{sv})", "127.0.0.1", env->coap_port,
                     e2e_vardict ("timeout", g_variant_new_uint32 (TIMEOUT_CAP_MS + 1), NULL)),
      &error);
  assert_invalid (reply, error, "an Open timeout of 600 001 ms");
  g_clear_error (&error);
  reply = call (
      E2E_MANAGER_PATH, E2E_MANAGER_IFACE, "Open",
      g_variant_new ("(sq@a{sv})", "127.0.0.1", env->coap_port,
                     e2e_vardict ("persistent", g_variant_new_boolean (TRUE), "idle-timeout",
                                  g_variant_new_uint32 (MAX_IDLE + 1), NULL)),
      &error);
  assert_invalid (reply, error, "an idle-timeout beyond MaxIdleTimeout");
  g_assert_nonnull (strstr (error->message, "MaxIdleTimeout"));
  g_clear_error (&error);
  reply = call (path, E2E_SESSION_IFACE, "Send",
                g_variant_new ("(yy@a(qv)@ay@a{sv})", 0, 0, e2e_no_options (), e2e_bytes ("x", 1),
                               e2e_no_flags ()),
                &error);
  assert_invalid (reply, error, "an empty message with a payload");
  g_clear_error (&error);
  reply = call (path, E2E_SESSION_IFACE, "Send",
                g_variant_new ("(yy@a(qv)@ay@a{sv})", 0, 0, e2e_no_options (), e2e_bytes ("", 0),
                               e2e_vardict ("token", e2e_bytes ("ab", 2), NULL)),
                &error);
  assert_invalid (reply, error, "an empty message with a token");
  e2e_env_assert_no_at_traffic (env, offset, "refused values");
  e2e_close_session (env->bus, path);
  e2e_env_wait_free_clients (env, 6);
}

/* An empty CON (a ping) still goes out, without a token. */
static void
test_ping (void)
{
  g_autofree char *path = e2e_open_session (env->bus, env->coap_port, NULL);
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) token = NULL;
  g_autoptr (GError) error = NULL;
  guint16 message_id;

  reply = call (path, E2E_SESSION_IFACE, "Send",
                g_variant_new ("(yy@a(qv)@ay@a{sv})", 0, 0, e2e_no_options (), e2e_bytes ("", 0),
                               e2e_no_flags ()),
                &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(q@ay)", &message_id, &token);
  g_assert_cmpuint (g_variant_n_children (token), ==, 0);
  e2e_close_session (env->bus, path);
  e2e_env_wait_free_clients (env, 6);
}

typedef struct
{
  gboolean done;
  GVariant *reply;
  GError *error;
} Pending;

static void
on_pending_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Pending *pending = user_data;

  pending->reply
      = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &pending->error);
  pending->done = TRUE;
}

static void
one_shot_get (guint timeout_ms, Pending *pending)
{
  g_autofree char *uri = g_strdup_printf ("coap://127.0.0.1:%u/time", env->coap_port);

  g_dbus_connection_call (
      env->bus, E2E_BUS_NAME, E2E_MANAGER_PATH, E2E_MANAGER_IFACE, "Request",
      g_variant_new ("(sy@a(qv)@ay@a{sv})", uri, 1, e2e_no_options (), e2e_bytes ("", 0),
                     e2e_vardict ("timeout", g_variant_new_uint32 (timeout_ms), NULL)),
      NULL, G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT, NULL, on_pending_reply, pending);
}

/* A one-shot Request while all six client IDs are taken waits for one
 * within its timeout; with none freed in time it fails with NoFreeClient. */
static void
test_one_shot_waits (void)
{
  char *paths[6];
  Pending late = { 0 };
  Pending served = { 0 };
  g_autofree char *name = NULL;
  guint8 code;

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    paths[i] = e2e_open_session (env->bus, env->coap_port, NULL);
  g_assert_cmpuint (e2e_env_free_clients (env), ==, 0);
  one_shot_get (300, &late);
  g_assert_true (e2e_wait_for (&late.done, 10000));
  g_assert_null (late.reply);
  name = g_dbus_error_get_remote_error (late.error);
  g_assert_cmpstr (name, ==, E2E_ERROR_PREFIX "NoFreeClient");

  one_shot_get (20000, &served);
  /* Still waiting while every ID is taken ... */
  for (guint i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (served.done);
  /* ... and served once one is free. */
  e2e_close_session (env->bus, paths[0]);
  g_assert_true (e2e_wait_for (&served.done, 20000));
  g_assert_no_error (served.error);
  g_variant_get (served.reply, "(y@a(qv)@ay)", &code, NULL, NULL);
  g_assert_cmpuint (code, ==, 69);
  for (guint i = 1; i < G_N_ELEMENTS (paths); i++)
    e2e_close_session (env->bus, paths[i]);
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    g_free (paths[i]);
  g_clear_pointer (&served.reply, g_variant_unref);
  g_clear_error (&late.error);
  e2e_env_wait_free_clients (env, 6);
}

/* Waiting one-shot Requests are capped per user at QueueLimit: one more
 * fails at once, while the others wait and are served. */
static void
test_one_shot_waits_capped (void)
{
  char *paths[6];
  Pending waiting[QUEUE_LIMIT + 1] = { 0 };
  g_autofree char *name = NULL;
  gint64 start;

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    paths[i] = e2e_open_session (env->bus, env->coap_port, NULL);
  start = g_get_monotonic_time ();
  for (guint i = 0; i < G_N_ELEMENTS (waiting); i++)
    one_shot_get (20000, &waiting[i]);
  g_assert_true (e2e_wait_for (&waiting[QUEUE_LIMIT].done, 10000));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  name = g_dbus_error_get_remote_error (waiting[QUEUE_LIMIT].error);
  g_assert_cmpstr (name, ==, E2E_ERROR_PREFIX "NoFreeClient");
  for (guint i = 0; i < QUEUE_LIMIT; i++)
    g_assert_false (waiting[i].done);
  e2e_close_session (env->bus, paths[0]);
  for (guint i = 0; i < QUEUE_LIMIT; i++)
    {
      g_assert_true (e2e_wait_for (&waiting[i].done, 30000));
      g_assert_no_error (waiting[i].error);
      g_clear_pointer (&waiting[i].reply, g_variant_unref);
    }
  for (guint i = 1; i < G_N_ELEMENTS (paths); i++)
    e2e_close_session (env->bus, paths[i]);
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    g_free (paths[i]);
  g_clear_error (&waiting[QUEUE_LIMIT].error);
  e2e_env_wait_free_clients (env, 6);
}

/* A session has at most 64 listeners: the 65th Listen is QueueFull. */
static void
test_listeners_capped (void)
{
  g_autofree char *path = e2e_open_session (env->bus, env->coap_port, NULL);
  g_autoptr (GPtrArray) connections = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;

  /* The opener listens already. */
  for (guint i = 1; i < MAX_LISTENERS; i++)
    {
      GDBusConnection *connection = e2e_env_connect (env);

      g_ptr_array_add (connections, connection);
      e2e_env_listen (connection, path);
    }
  g_ptr_array_add (connections, e2e_env_connect (env));
  reply = e2e_call (g_ptr_array_index (connections, connections->len - 1), path, E2E_SESSION_IFACE,
                    "Listen", NULL, &error);
  g_assert_null (reply);
  e2e_assert_remote_error (error, E2E_ERROR_PREFIX "QueueFull");
  /* Listening again is no new listener. */
  e2e_env_listen (g_ptr_array_index (connections, 0), path);
  e2e_close_session (env->bus, path);
}

int
main (int argc, char **argv)
{
  int status;
  g_autofree char *config = g_strdup_printf ("[service]\nQueueLimit=%d\nMaxInFlight=%d\n"
                                             "MaxIdleTimeout=%d\n",
                                             QUEUE_LIMIT, MAX_IN_FLIGHT, MAX_IDLE);
  E2eOptions options = { .config_text = config };

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/limits/long-path", test_long_path);
  g_test_add_func ("/limits/many-options", test_many_options);
  g_test_add_func ("/limits/waiting-requests", test_waiting_requests);
  g_test_add_func ("/limits/con-in-flight", test_con_in_flight);
  g_test_add_func ("/limits/bad-values", test_bad_values);
  g_test_add_func ("/limits/ping", test_ping);
  g_test_add_func ("/limits/one-shot-waits", test_one_shot_waits);
  g_test_add_func ("/limits/one-shot-waits-capped", test_one_shot_waits_capped);
  g_test_add_func ("/limits/listeners-capped", test_listeners_capped);
  env = e2e_env_start (&options);
  status = g_test_run ();
  if (!e2e_env_stop (env, status != 0))
    status = 1;
  return status;
}
