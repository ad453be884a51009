/* test-bus-loss.c — qcoapd when the bus drops its connection.
 *
 * GLib's GDBus cannot read some valid message bodies (an array's end is
 * computed before the padding of its first struct or dict entry) and then
 * gives up on the whole connection. Any caller the bus policy lets in can send
 * one, so the daemon must shrug it off: connect again, own its name again,
 * and go on serving the sessions it holds. Only after too many losses in a
 * short time does it exit with a failure for systemd to restart it. */
#include <string.h>

#include "e2e-env.h"

#define BUS_NAME      "org.qcoapd.CoAP1"
#define SESSION_IFACE "org.qcoapd.CoAP1.Session"
/* As BUS_LINK_MAX_LOSSES in daemon/bus-link.h. */
#define MAX_LOSSES   100
#define CALL_TIMEOUT 30000

static E2eEnv *env;

/* A well-typed call whose body GDBus cannot parse: (a(g)s) with two
 * signatures. */
static void
send_unreadable_message (const char *path, const char *interface, const char *method)
{
  g_autoptr (GDBusConnection) caller = e2e_env_connect (env);
  g_autoptr (GDBusMessage) message = NULL;
  g_autoptr (GError) error = NULL;
  GVariantBuilder signatures;

  g_variant_builder_init (&signatures, G_VARIANT_TYPE ("a(g)"));
  g_variant_builder_add (&signatures, "(g)", "yyyyy");
  g_variant_builder_add (&signatures, "(g)", "y");
  message = g_dbus_message_new_method_call (BUS_NAME, path, interface, method);
  g_dbus_message_set_body (message,
                           g_variant_new ("(@a(g)s)", g_variant_builder_end (&signatures), "x"));
  g_dbus_connection_send_message (caller, message, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_flush_sync (caller, NULL, NULL);
}

static char *
name_owner (void)
{
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      env->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "GetNameOwner", g_variant_new ("(s)", BUS_NAME), G_VARIANT_TYPE ("(s)"),
      G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  char *owner = NULL;

  if (reply)
    g_variant_get (reply, "(s)", &owner);
  return owner;
}

/* Waits until the name has an owner other than @old (the daemon's new
 * connection); returns it. */
static char *
wait_new_owner (const char *old)
{
  for (int i = 0; i < 500; i++)
    {
      g_autofree char *owner = name_owner ();

      if (owner && g_strcmp0 (owner, old) != 0)
        return g_steal_pointer (&owner);
      g_usleep (10000);
    }
  {
    g_autofree char *log = NULL;

    g_file_get_contents (env->daemon_log_path, &log, NULL, NULL);
    g_printerr ("%s\n", log ? log + MAX ((gssize)strlen (log) - 3000, 0) : "");
  }
  g_error ("qcoapd did not own %s again", BUS_NAME);
  return NULL;
}

static char *
open_session (GDBusConnection *connection, gboolean persistent)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  GVariantBuilder options;
  char *path;

  g_variant_builder_init (&options, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&options, "{sv}", "persistent", g_variant_new_boolean (persistent));
  reply = g_dbus_connection_call_sync (
      connection, BUS_NAME, "/org/qcoapd/CoAP1", "org.qcoapd.CoAP1", "Open",
      g_variant_new ("(sq@a{sv})", "127.0.0.1", env->coap_port, g_variant_builder_end (&options)),
      G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(o)", &path);
  return path;
}

/* GET /time on @path: the session serves. */
static void
assert_serves (GDBusConnection *connection, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  GVariantBuilder flags;
  guint8 code;

  g_variant_builder_init (&flags, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&flags, "{sv}", "uri-path", g_variant_new_string ("/time"));
  reply = g_dbus_connection_call_sync (
      connection, BUS_NAME, path, SESSION_IFACE, "Request",
      g_variant_new ("(y@a(qv)@ay@a{sv})", 1,
                     g_variant_new_array (G_VARIANT_TYPE ("(qv)"), NULL, 0),
                     g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, "", 0, 1),
                     g_variant_builder_end (&flags)),
      G_VARIANT_TYPE ("(ya(qv)ay)"), G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(y@a(qv)@ay)", &code, NULL, NULL);
  g_assert_cmpuint (code, ==, 69);
}

static guint
count_in_daemon_log (const char *text)
{
  g_autofree char *log = NULL;
  guint count = 0;

  g_assert_true (g_file_get_contents (env->daemon_log_path, &log, NULL, NULL));
  for (const char *at = strstr (log, text); at; at = strstr (at + 1, text))
    count++;
  return count;
}

/* A persistent session and a plain one whose owner stays connected both
 * survive the loss: same paths, still serving, no new AT+QCOAPOPEN. */
static void
test_sessions_survive (void)
{
  g_autoptr (GDBusConnection) keeper = e2e_env_connect (env);
  g_autofree char *persistent = open_session (env->bus, TRUE);
  g_autofree char *plain = open_session (keeper, FALSE);
  g_autofree char *before = name_owner ();
  g_autofree char *after = NULL;
  g_autofree char *traffic = NULL;
  g_autoptr (GVariant) closed = NULL;
  gsize offset = e2e_env_sim_log_offset (env);

  send_unreadable_message ("/org/qcoapd/CoAP1", "org.qcoapd.CoAP1", "Open");
  after = wait_new_owner (before);
  g_assert_cmpuint (count_in_daemon_log ("Lost the bus connection"), ==, 1);
  g_assert_cmpuint (count_in_daemon_log ("2 sessions kept"), ==, 1);
  assert_serves (env->bus, persistent);
  assert_serves (keeper, plain);
  traffic = e2e_env_sim_log_since (env, offset);
  g_assert_null (strstr (traffic, "QCOAPOPEN="));
  g_assert_cmpuint (e2e_env_free_clients (env), ==, 4);

  /* The same through a standard interface of a session. */
  g_clear_pointer (&before, g_free);
  before = g_steal_pointer (&after);
  send_unreadable_message (persistent, "org.freedesktop.DBus.Peer", "Ping");
  after = wait_new_owner (before);
  assert_serves (env->bus, persistent);
  assert_serves (keeper, plain);

  g_clear_pointer (&closed, g_variant_unref);
  closed = g_dbus_connection_call_sync (keeper, BUS_NAME, plain, SESSION_IFACE, "Close", NULL, NULL,
                                        G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT, NULL, NULL);
  g_clear_pointer (&closed, g_variant_unref);
  closed
      = g_dbus_connection_call_sync (env->bus, BUS_NAME, persistent, SESSION_IFACE, "Close", NULL,
                                     NULL, G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT, NULL, NULL);
  e2e_env_wait_free_clients (env, 6);
}

/* Losing the connection again and again is not shrugged off for ever. */
static void
test_bounded (void)
{
  g_autofree char *owner = name_owner ();
  g_autofree char *log = NULL;

  for (guint i = 0; i < MAX_LOSSES - 2; i++)
    {
      g_autofree char *next = NULL;

      send_unreadable_message ("/org/qcoapd/CoAP1", "org.qcoapd.CoAP1", "Open");
      next = wait_new_owner (owner);
      g_free (owner);
      owner = g_steal_pointer (&next);
    }
  send_unreadable_message ("/org/qcoapd/CoAP1", "org.qcoapd.CoAP1", "Open");
  g_assert_cmpint (e2e_env_wait_daemon_exit (env, 10000), ==, 1);
  g_assert_true (g_file_get_contents (env->daemon_log_path, &log, NULL, NULL));
  g_assert_nonnull (strstr (log, "Giving up on the bus"));
}

int
main (int argc, char **argv)
{
  int status;
  E2eOptions options = { .config_text = NULL };

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bus-loss/sessions-survive", test_sessions_survive);
  /* Last: the daemon exits. */
  g_test_add_func ("/bus-loss/bounded", test_bounded);
  env = e2e_env_start (&options);
  status = g_test_run ();
  if (!e2e_env_stop (env, status != 0))
    status = 1;
  return status;
}
