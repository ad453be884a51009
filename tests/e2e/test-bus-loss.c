/* SPDX-License-Identifier: MIT */
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
#include "e2e-session.h"

/* As BUS_LINK_MAX_LOSSES in daemon/bus-link.h. */
#define MAX_LOSSES 100

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
  message = g_dbus_message_new_method_call (E2E_BUS_NAME, path, interface, method);
  g_dbus_message_set_body (message,
                           g_variant_new ("(@a(g)s)", g_variant_builder_end (&signatures), "x"));
  g_dbus_connection_send_message (caller, message, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_flush_sync (caller, NULL, NULL);
}

/* Waits until the name has an owner other than @old (the daemon's new
 * connection); returns it. */
static char *
wait_new_owner (const char *old)
{
  for (int i = 0; i < 500; i++)
    {
      g_autofree char *owner = e2e_env_name_owner (env);

      if (owner && g_strcmp0 (owner, old) != 0)
        return g_steal_pointer (&owner);
      g_usleep (10000);
    }
  {
    g_autofree char *log = NULL;

    g_file_get_contents (env->daemon_log_path, &log, NULL, NULL);
    g_printerr ("%s\n", log ? log + MAX ((gssize)strlen (log) - 3000, 0) : "");
  }
  g_error ("qcoapd did not own %s again", E2E_BUS_NAME);
  return NULL;
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
  g_autofree char *persistent = e2e_open_session (env->bus, env->coap_port, e2e_persistent ());
  g_autofree char *plain = e2e_open_session (
      keeper, env->coap_port, e2e_vardict ("persistent", g_variant_new_boolean (FALSE), NULL));
  g_autofree char *before = e2e_env_name_owner (env);
  g_autofree char *after = NULL;
  g_autofree char *traffic = NULL;
  gsize offset = e2e_env_sim_log_offset (env);

  send_unreadable_message ("/org/qcoapd/CoAP1", "org.qcoapd.CoAP1", "Open");
  after = wait_new_owner (before);
  g_assert_cmpuint (count_in_daemon_log ("Lost the bus connection"), ==, 1);
  g_assert_cmpuint (count_in_daemon_log ("2 sessions kept"), ==, 1);
  e2e_assert_session_serves (env->bus, persistent);
  e2e_assert_session_serves (keeper, plain);
  traffic = e2e_env_sim_log_since (env, offset);
  g_assert_null (strstr (traffic, "QCOAPOPEN="));
  g_assert_cmpuint (e2e_env_free_clients (env), ==, 4);

  /* The same through a standard interface of a session. */
  g_clear_pointer (&before, g_free);
  before = g_steal_pointer (&after);
  send_unreadable_message (persistent, "org.freedesktop.DBus.Peer", "Ping");
  after = wait_new_owner (before);
  e2e_assert_session_serves (env->bus, persistent);
  e2e_assert_session_serves (keeper, plain);

  e2e_close_session (keeper, plain);
  e2e_close_session (env->bus, persistent);
  e2e_env_wait_free_clients (env, 6);
}

/* Losing the connection again and again is not shrugged off for ever. */
static void
test_bounded (void)
{
  g_autofree char *owner = e2e_env_name_owner (env);
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
