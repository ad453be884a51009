/* SPDX-License-Identifier: MIT */
/* client-env-run — runs one client test program inside the end-to-end
 * environment of tests/e2e (private dbus-daemon, coap-server on 127.0.0.1,
 * bg96-sim, qcoapd).
 *
 *   client-env-run PROGRAM [ARGUMENT…]
 *
 * The environment is started here rather than in the test programs because
 * they use libqcoap-glib, which carries its own copy of the generated D-Bus
 * types; e2e-env links the other copy, and one process cannot register both.
 * PROGRAM gets, in its environment:
 *   QCOAP_TEST_BUS          the private bus's address
 *   QCOAP_TEST_COAP_PORT    coap-server's UDP port on 127.0.0.1
 *   QCOAP_TEST_SILENT_PORT  a UDP port on 127.0.0.1 that never answers
 *   QCOAP_TEST_SIM_CONTROL  a Unix socket that passes one line to the
 *                           simulator's control channel per connection and
 *                           answers with the simulator's answer line
 * and its exit status is ours. On failure the logs of all processes are
 * printed. */
#include <string.h>
#include <gio/gunixsocketaddress.h>

#include "e2e-env.h"
#include "harness.h"

/* The simulator's control channel is its stdin and stdout, which only this
 * process holds: the programs under test reach it through a socket. One
 * line in, the simulator's answer out, then the connection closes. */
static gboolean
on_control_connection (GSocketService *service, GSocketConnection *connection,
                       GObject *source_object, gpointer user_data)
{
  E2eEnv *env = user_data;
  g_autoptr (GDataInputStream) in
      = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autofree char *line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, NULL);
  g_autofree char *answer = NULL;
  g_autofree char *reply = NULL;

  if (line == NULL)
    return TRUE;
  answer = e2e_env_sim_control (env, line);
  reply = g_strdup_printf ("%s\n", answer ? answer : "ERROR no answer");
  g_output_stream_write_all (out, reply, strlen (reply), NULL, NULL, NULL);
  return TRUE;
}

static GSocketService *
control_service_new (E2eEnv *env, const char *path, GError **error)
{
  g_autoptr (GSocketService) service = g_socket_service_new ();
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (path);

  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (service), address, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, error))
    return NULL;
  g_signal_connect (service, "incoming", G_CALLBACK (on_control_connection), env);
  g_socket_service_start (service);
  return g_steal_pointer (&service);
}

static void
on_program_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_main_loop_quit (user_data);
}

static int
run_program (E2eEnv *env, char **argv)
{
  g_autoptr (GSubprocessLauncher) launcher = harness_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr (GSubprocess) program = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *coap_port = g_strdup_printf ("%u", env->coap_port);
  g_autofree char *silent_port = g_strdup_printf ("%u", env->silent_port);
  g_autofree char *control_path = g_build_filename (env->tmpdir, "sim-control.socket", NULL);
  g_autoptr (GSocketService) control = control_service_new (env, control_path, &error);
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  if (control == NULL)
    {
      g_printerr ("client-env-run: cannot listen on %s: %s\n", control_path, error->message);
      return 1;
    }

  g_subprocess_launcher_setenv (launcher, "QCOAP_TEST_BUS", env->bus_address, TRUE);
  g_subprocess_launcher_setenv (launcher, "QCOAP_TEST_COAP_PORT", coap_port, TRUE);
  g_subprocess_launcher_setenv (launcher, "QCOAP_TEST_SILENT_PORT", silent_port, TRUE);
  g_subprocess_launcher_setenv (launcher, "QCOAP_TEST_SIM_CONTROL", control_path, TRUE);
  program = g_subprocess_launcher_spawnv (launcher, (const char *const *)argv, &error);
  if (program == NULL)
    {
      g_printerr ("client-env-run: cannot start %s: %s\n", argv[0], error->message);
      return 1;
    }
  g_subprocess_wait_async (program, NULL, on_program_exited, loop);
  g_main_loop_run (loop);
  g_socket_service_stop (control);
  if (g_subprocess_get_if_signaled (program))
    {
      g_printerr ("client-env-run: %s died of signal %d\n", argv[0],
                  g_subprocess_get_term_sig (program));
      return 1;
    }
  return g_subprocess_get_exit_status (program);
}

int
main (int argc, char **argv)
{
  E2eOptions options = { 0 };
  E2eEnv *env;
  int status;

  if (argc < 2)
    {
      g_printerr ("Usage: client-env-run PROGRAM [ARGUMENT…]\n");
      return 2;
    }
  env = e2e_env_start (&options);
  status = run_program (env, argv + 1);
  /* qcoapd must also have survived the clients and stopped cleanly. */
  if (!e2e_env_stop (env, status != 0) && status == 0)
    status = 1;
  return status;
}
