/* test-bus-loss.c — qcoapd when the bus drops its connection.
 *
 * GLib 2.74's GDBus writes some bodies it cannot read back: a message whose
 * body is (a(g)s) with more than one signature makes the daemon's GDBus give
 * up on its bus connection. Any caller the bus policy lets in can send one,
 * so the daemon must then stop with a failure (systemd restarts it), not with
 * the clean SIGTERM exit GDBus would otherwise arrange. */
#include <string.h>

#include "e2e-env.h"

static E2eEnv *env;

static void
send_unreadable_message (void)
{
  g_autoptr (GDBusConnection) caller = e2e_env_connect (env);
  g_autoptr (GDBusMessage) message = NULL;
  g_autoptr (GError) error = NULL;
  GVariantBuilder signatures;

  g_variant_builder_init (&signatures, G_VARIANT_TYPE ("a(g)"));
  g_variant_builder_add (&signatures, "(g)", "yyyyy");
  g_variant_builder_add (&signatures, "(g)", "y");
  message = g_dbus_message_new_method_call ("org.qcoapd.CoAP1", "/org/qcoapd/CoAP1",
                                            "org.qcoapd.CoAP1", "Open");
  g_dbus_message_set_body (message,
                           g_variant_new ("(@a(g)s)", g_variant_builder_end (&signatures), "x"));
  g_dbus_connection_send_message (caller, message, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_flush_sync (caller, NULL, NULL);
}

static void
test_exits_with_failure_when_the_bus_drops_it (void)
{
  g_autofree char *log = NULL;

  send_unreadable_message ();
  g_assert_cmpint (e2e_env_wait_daemon_exit (env, 10000), ==, 1);
  g_assert_true (g_file_get_contents (env->daemon_log_path, &log, NULL, NULL));
  g_assert_nonnull (strstr (log, "Lost the bus connection"));
}

int
main (int argc, char **argv)
{
  int status;
  E2eOptions options = { .config_text = NULL };

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bus-loss/exits-with-failure", test_exits_with_failure_when_the_bus_drops_it);
  env = e2e_env_start (&options);
  status = g_test_run ();
  if (!e2e_env_stop (env, status != 0))
    status = 1;
  return status;
}
