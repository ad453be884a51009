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
 * and its exit status is ours. On failure the logs of all processes are
 * printed. */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "e2e-env.h"

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static int
run_program (E2eEnv *env, char **argv)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr (GSubprocess) program = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *coap_port = g_strdup_printf ("%u", env->coap_port);
  g_autofree char *silent_port = g_strdup_printf ("%u", env->silent_port);

  g_subprocess_launcher_setenv (launcher, "QCOAP_TEST_BUS", env->bus_address, TRUE);
  g_subprocess_launcher_setenv (launcher, "QCOAP_TEST_COAP_PORT", coap_port, TRUE);
  g_subprocess_launcher_setenv (launcher, "QCOAP_TEST_SILENT_PORT", silent_port, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  program = g_subprocess_launcher_spawnv (launcher, (const char *const *)argv, &error);
  if (program == NULL)
    {
      g_printerr ("client-env-run: cannot start %s: %s\n", argv[0], error->message);
      return 1;
    }
  if (!g_subprocess_wait (program, NULL, &error))
    return 1;
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
