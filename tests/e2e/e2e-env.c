/* SPDX-License-Identifier: MIT */
/* e2e-env.c — see e2e-env.h. */
#include "e2e-env.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "e2e-session.h"
#include "harness.h"

/* Deadlines, each scaled by harness_scale_ms(): how long the client IDs may
 * take to come free again after sessions end, a line to appear in the
 * simulator's log, and the daemon to answer a property read (a poll of the
 * state counts a late answer as no state and asks again) or Listen. */
#define FREE_CLIENTS_TIMEOUT_MS  15000
#define SIM_LOG_TIMEOUT_MS       10000
#define STATE_CALL_TIMEOUT_MS    1000
#define PROPERTY_CALL_TIMEOUT_MS 5000
#define LISTEN_CALL_TIMEOUT_MS   10000

typedef struct
{
  E2eEnv public;
  HarnessBus *test_bus;
  HarnessCoapServer *coap_server;
  HarnessSim *simulator;
  GSubprocess *daemon;
  int daemon_exit_status; /* -1 while running */
  GSocket *silent_socket;
  E2eOptions options; /* as started, for e2e_env_start_daemon() */
  guint daemon_runs;
} Env;

/* Root may hold every client ID; the tests open up to all six. Run by
 * another user they get the same room, unless the test sets the limits
 * itself. */
#define NON_ROOT_LIMITS "[service]\nMaxClientsPerUser=6\nReservedForRoot=0\n"

static void
write_config (const char *path, const char *config_text)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  gboolean own_limits = config_text != NULL
                        && (strstr (config_text, "MaxClientsPerUser") != NULL
                            || strstr (config_text, "ReservedForRoot") != NULL);

  text = g_strconcat (geteuid () != 0 && !own_limits ? NON_ROOT_LIMITS : "",
                      config_text ? config_text : "", NULL);
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

static GSubprocess *
spawn_daemon (Env *env, const E2eOptions *options)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *config_path = g_build_filename (env->public.tmpdir, "qcoapd.conf", NULL);
  g_autoptr (GError) error = NULL;
  GSubprocess *process;

  write_config (config_path, options->config_text);
  if (options->under_valgrind)
    {
      g_ptr_array_add (argv, g_strdup ("valgrind"));
      g_ptr_array_add (argv, g_strdup ("--leak-check=full"));
      g_ptr_array_add (argv, g_strdup ("--errors-for-leak-kinds=definite"));
      g_ptr_array_add (argv, g_strdup ("--error-exitcode=99"));
      g_ptr_array_add (argv,
                       g_strdup_printf ("--suppressions=%s", g_getenv ("QCOAPD_VALGRIND_SUPP")));
    }
  g_ptr_array_add (argv, g_strdup (g_getenv ("QCOAPD")));
  g_ptr_array_add (argv, g_strdup_printf ("--bus=%s", env->public.bus_address));
  g_ptr_array_add (argv, g_strdup_printf ("--device=%s", options->device ? options->device
                                                                         : env->public.modem_link));
  g_ptr_array_add (argv, g_strdup_printf ("--config=%s", config_path));
  g_ptr_array_add (argv, g_strdup ("--verbose"));
  g_ptr_array_add (argv, NULL);

  launcher = harness_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE);
  /* As the unit runs it (see data/qcoapd.service.in). */
  g_subprocess_launcher_setenv (launcher, "G_SLICE", "always-malloc", TRUE);
  g_subprocess_launcher_setenv (launcher, "RUNTIME_DIRECTORY", env->public.runtime_dir, TRUE);
  /* Each run's log starts afresh (a restart keeps the last one aside). */
  harness_launcher_log_to (launcher, env->public.daemon_log_path, FALSE, &error);
  g_assert_no_error (error);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *)argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

char *
e2e_env_modem_state (E2eEnv *env)
{
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) state = NULL;

  reply = g_dbus_connection_call_sync (
      env->bus, "org.qcoapd.CoAP1", "/org/qcoapd/CoAP1", "org.freedesktop.DBus.Properties", "Get",
      g_variant_new ("(ss)", "org.qcoapd.CoAP1", "State"), G_VARIANT_TYPE ("(v)"),
      G_DBUS_CALL_FLAGS_NONE, (gint)harness_scale_ms (STATE_CALL_TIMEOUT_MS), NULL, NULL);
  if (reply == NULL)
    return g_strdup ("");
  g_variant_get (reply, "(v)", &state);
  return g_variant_dup_string (state, NULL);
}

guint8
e2e_env_free_clients (E2eEnv *env)
{
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) value = NULL;
  g_autoptr (GError) error = NULL;

  reply = g_dbus_connection_call_sync (
      env->bus, "org.qcoapd.CoAP1", "/org/qcoapd/CoAP1", "org.freedesktop.DBus.Properties", "Get",
      g_variant_new ("(ss)", "org.qcoapd.CoAP1", "FreeClients"), G_VARIANT_TYPE ("(v)"),
      G_DBUS_CALL_FLAGS_NONE, (gint)harness_scale_ms (PROPERTY_CALL_TIMEOUT_MS), NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  return g_variant_get_byte (value);
}

void
e2e_env_wait_free_clients (E2eEnv *env, guint8 n)
{
  gint64 end = g_get_monotonic_time () + (gint64)harness_scale_ms (FREE_CLIENTS_TIMEOUT_MS) * 1000;

  while (e2e_env_free_clients (env) != n && g_get_monotonic_time () < end)
    g_usleep (20000);
  g_assert_cmpuint (e2e_env_free_clients (env), ==, n);
}

gboolean
e2e_env_wait_modem_state (E2eEnv *env, const char *state, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)harness_scale_ms (timeout_ms) * 1000;

  while (TRUE)
    {
      g_autofree char *now = e2e_env_modem_state (env);

      if (g_str_equal (now, state))
        return TRUE;
      if (g_get_monotonic_time () >= end)
        return FALSE;
      g_usleep (10000);
    }
}

char *
e2e_env_sim_control (E2eEnv *pub, const char *command)
{
  Env *env = (Env *)pub;
  g_autoptr (GError) error = NULL;
  char *answer = harness_sim_control (env->simulator, command, 10000, &error);

  g_assert_no_error (error);
  return answer;
}

/* The State a start waits for. */
static const char *
start_state (const E2eOptions *options)
{
  if (options->start_state != NULL)
    return options->start_state;
  return options->device ? "absent" : "ready";
}

static void
wait_until_up (Env *env, const char *expected_state)
{
  g_autoptr (GError) error = NULL;

  e2e_env_wait_modem_state (&env->public, expected_state, 60000);
  env->public.manager
      = qcoap_manager_proxy_new_sync (env->public.bus, G_DBUS_PROXY_FLAGS_NONE, "org.qcoapd.CoAP1",
                                      "/org/qcoapd/CoAP1", NULL, &error);
  g_assert_no_error (error);
  if (g_strcmp0 (qcoap_manager_get_state (env->public.manager), expected_state) != 0)
    {
      g_autofree char *log = NULL;

      g_file_get_contents (env->public.daemon_log_path, &log, NULL, NULL);
      g_error ("qcoapd did not become %s; its log:\n%s", expected_state, log);
    }
}

static guint16
bind_silent_port (Env *env)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  env->silent_socket
      = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_socket_bind (env->silent_socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (env->silent_socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

E2eEnv *
e2e_env_start (const E2eOptions *options)
{
  Env *env = g_new0 (Env, 1);
  E2eEnv *pub = &env->public;
  g_autoptr (GError) error = NULL;

  pub->tmpdir = harness_make_temp_dir ();
  pub->daemon_log_path = g_build_filename (pub->tmpdir, "qcoapd.log", NULL);
  if (options->runtime_dir != NULL)
    pub->runtime_dir = g_strdup (options->runtime_dir);
  else
    {
      pub->runtime_dir = g_build_filename (pub->tmpdir, "run", NULL);
      g_assert_cmpint (g_mkdir (pub->runtime_dir, 0700), ==, 0);
    }

  env->test_bus = harness_bus_start (pub->tmpdir, &error);
  g_assert_no_error (error);
  pub->bus_address = g_strdup (env->test_bus->address);
  /* As GTestDBus did: a session-bus client in the test, or in a program it
   * runs, reaches the private bus, never the user's. */
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", pub->bus_address, TRUE);
  pub->bus = e2e_env_connect (pub);

  env->coap_server = harness_coap_server_start (pub->tmpdir, NULL, &error);
  g_assert_no_error (error);
  pub->coap_port = env->coap_server->port;
  pub->coap_log_path = g_strdup (env->coap_server->log_path);
  pub->silent_port = bind_silent_port (env);
  env->simulator = harness_sim_start (pub->tmpdir, options->sim_args, &error);
  g_assert_no_error (error);
  pub->modem_link = g_strdup (env->simulator->link_path);
  pub->sim_log_path = g_strdup (env->simulator->log_path);
  env->options = *options;
  env->daemon = spawn_daemon (env, options);
  env->daemon_exit_status = -1;
  wait_until_up (env, start_state (options));
  return pub;
}

void
e2e_env_stop_daemon (E2eEnv *pub)
{
  Env *env = (Env *)pub;
  g_autoptr (GError) error = NULL;

  g_clear_object (&pub->manager);
  g_subprocess_send_signal (env->daemon, SIGTERM);
  g_subprocess_wait_check (env->daemon, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&env->daemon);
}

void
e2e_env_start_daemon (E2eEnv *pub, const char *config_text)
{
  Env *env = (Env *)pub;
  E2eOptions options = env->options;

  g_assert_null (env->daemon);
  if (config_text != NULL)
    options.config_text = config_text;
  env->daemon = spawn_daemon (env, &options);
  env->daemon_exit_status = -1;
  wait_until_up (env, start_state (&options));
}

static void
dump_file_on_failure (gboolean failed, const char *title, const char *path)
{
  g_autofree char *text = NULL;

  if (!failed || !g_file_get_contents (path, &text, NULL, NULL))
    return;
  g_printerr ("---- %s (%s) ----\n%s\n", title, path, text);
}

gboolean
e2e_env_stop (E2eEnv *pub, gboolean tests_failed)
{
  Env *env = (Env *)pub;
  g_autoptr (GError) error = NULL;
  gboolean clean_exit;

  g_clear_object (&pub->manager);
  if (env->daemon_exit_status >= 0 || env->daemon == NULL)
    clean_exit = TRUE; /* a test already saw it exit, or stopped it */
  else
    {
      g_subprocess_send_signal (env->daemon, SIGTERM);
      g_subprocess_wait_check (env->daemon, NULL, &error);
      clean_exit = error == NULL;
    }
  if (error)
    g_printerr ("qcoapd exited badly (under valgrind: leaks or errors): %s\n", error->message);
  dump_file_on_failure (tests_failed || !clean_exit, "qcoapd log", pub->daemon_log_path);
  dump_file_on_failure (tests_failed, "bg96-sim log", pub->sim_log_path);
  g_clear_object (&env->daemon);
  g_clear_pointer (&env->simulator, harness_sim_free);
  g_clear_pointer (&env->coap_server, harness_coap_server_free);
  g_clear_object (&env->silent_socket);
  g_dbus_connection_close_sync (pub->bus, NULL, NULL);
  g_clear_object (&pub->bus);
  g_clear_pointer (&env->test_bus, harness_bus_free);
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  if (!tests_failed && clean_exit && g_getenv ("QCOAPD_KEEP_LOGS") == NULL)
    {
      /* The daemon's state file is one level down: the harness removes one
       * level only. */
      /* A runtime directory of the test's own is the test's to remove. */
      if (env->options.runtime_dir == NULL)
        harness_remove_temp_dir (pub->runtime_dir);
      harness_remove_temp_dir (pub->tmpdir);
    }
  else
    g_printerr ("logs kept in %s\n", pub->tmpdir);
  g_free (pub->tmpdir);
  g_free (pub->bus_address);
  g_free (pub->modem_link);
  g_free (pub->sim_log_path);
  g_free (pub->coap_log_path);
  g_free (pub->daemon_log_path);
  g_free (pub->runtime_dir);
  g_free (env);
  return clean_exit;
}

static gboolean
on_wait_timeout (gpointer user_data)
{
  gboolean *done = user_data;

  *done = TRUE;
  return G_SOURCE_REMOVE;
}

static void
on_daemon_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  gboolean *exited = user_data;

  *exited = g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
}

int
e2e_env_wait_daemon_exit (E2eEnv *pub, guint timeout_ms)
{
  Env *env = (Env *)pub;
  gboolean timed_out = FALSE;
  gboolean exited = FALSE;
  guint timer = g_timeout_add (harness_scale_ms (timeout_ms), on_wait_timeout, &timed_out);

  g_subprocess_wait_async (env->daemon, NULL, on_daemon_exited, &exited);
  while (!timed_out && !exited)
    g_main_context_iteration (NULL, TRUE);
  if (!exited)
    g_error ("qcoapd did not exit within %u ms", timeout_ms);
  if (!timed_out)
    g_source_remove (timer);
  if (!g_subprocess_get_if_exited (env->daemon))
    return -1;
  env->daemon_exit_status = g_subprocess_get_exit_status (env->daemon);
  return env->daemon_exit_status;
}

int
e2e_env_kill_daemon (E2eEnv *pub, int signal)
{
  Env *env = (Env *)pub;
  g_autoptr (GError) error = NULL;

  g_subprocess_send_signal (env->daemon, signal);
  g_subprocess_wait (env->daemon, NULL, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (env->daemon))
    return -1;
  return g_subprocess_get_exit_status (env->daemon);
}

void
e2e_env_restart_daemon (E2eEnv *pub)
{
  Env *env = (Env *)pub;
  g_autofree char *old_log = g_strdup_printf ("%s.%u", pub->daemon_log_path, ++env->daemon_runs);

  g_assert_true (g_subprocess_get_if_exited (env->daemon)
                 || g_subprocess_get_if_signaled (env->daemon));
  g_assert_cmpint (g_rename (pub->daemon_log_path, old_log), ==, 0);
  g_clear_object (&env->daemon);
  g_clear_object (&pub->manager);
  env->daemon = spawn_daemon (env, &env->options);
  env->daemon_exit_status = -1;
  wait_until_up (env, start_state (&env->options));
}

GDBusConnection *
e2e_env_connect (E2eEnv *env)
{
  g_autoptr (GError) error = NULL;
  GDBusConnection *connection = g_dbus_connection_new_for_address_sync (
      env->bus_address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);

  g_assert_no_error (error);
  g_dbus_connection_set_exit_on_close (connection, FALSE);
  return connection;
}

void
e2e_env_listen (GDBusConnection *connection, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      connection, "org.qcoapd.CoAP1", path, "org.qcoapd.CoAP1.Session", "Listen", NULL,
      G_VARIANT_TYPE_UNIT, G_DBUS_CALL_FLAGS_NONE, (gint)harness_scale_ms (LISTEN_CALL_TIMEOUT_MS),
      NULL, &error);

  g_assert_no_error (error);
}

gsize
e2e_env_sim_log_offset (E2eEnv *env)
{
  g_autofree char *text = NULL;
  gsize length = 0;

  g_file_get_contents (env->sim_log_path, &text, &length, NULL);
  return length;
}

char *
e2e_env_sim_log_since (E2eEnv *env, gsize offset)
{
  g_autofree char *text = NULL;
  gsize length = 0;

  g_file_get_contents (env->sim_log_path, &text, &length, NULL);
  return g_strdup (offset < length ? text + offset : "");
}

char *
e2e_env_coap_log (E2eEnv *env)
{
  char *text = NULL;

  if (!g_file_get_contents (env->coap_log_path, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

gboolean
e2e_wait_for (gboolean *done, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)harness_scale_ms (timeout_ms) * 1000;

  while (!*done && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  return *done;
}

gboolean
e2e_iterate_until (gboolean (*done) (gpointer data), gpointer data, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)harness_scale_ms (timeout_ms) * 1000;

  while (!done (data) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  return done (data);
}

char *
e2e_env_name_owner (E2eEnv *env)
{
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      env->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "GetNameOwner", g_variant_new ("(s)", E2E_BUS_NAME), G_VARIANT_TYPE ("(s)"),
      G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  char *owner = NULL;

  if (reply)
    g_variant_get (reply, "(s)", &owner);
  return owner;
}

GVariant *
e2e_env_get_property (E2eEnv *env, const char *path, const char *interface, const char *name)
{
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      env->bus, E2E_BUS_NAME, path, "org.freedesktop.DBus.Properties", "Get",
      g_variant_new ("(ss)", interface, name), G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, 5000,
      NULL, NULL);
  GVariant *value = NULL;

  if (reply)
    g_variant_get (reply, "(v)", &value);
  return value;
}

static char *
string_property (E2eEnv *env, const char *path, const char *interface, const char *name)
{
  g_autoptr (GVariant) value = e2e_env_get_property (env, path, interface, name);

  return value ? g_variant_dup_string (value, NULL) : NULL;
}

gint64
e2e_env_wait_property (E2eEnv *env, const char *path, const char *interface, const char *name,
                       const char *wanted, guint timeout_ms)
{
  gint64 start = g_get_monotonic_time ();
  g_autofree char *now = NULL;

  do
    {
      g_free (now);
      now = string_property (env, path, interface, name);
      if (g_strcmp0 (now, wanted) == 0)
        return (g_get_monotonic_time () - start) / 1000;
      g_usleep (20000);
    }
  while (g_get_monotonic_time () - start < (gint64)timeout_ms * 1000);
  g_error ("%s %s is \"%s\", not \"%s\"", path, name, now ? now : "(gone)", wanted);
}

char *
e2e_env_session_state (E2eEnv *env, const char *path)
{
  return string_property (env, path, E2E_SESSION_IFACE, "State");
}

gint64
e2e_env_wait_session_state (E2eEnv *env, const char *path, const char *state, guint timeout_ms)
{
  return e2e_env_wait_property (env, path, E2E_SESSION_IFACE, "State", state, timeout_ms);
}

void
e2e_env_sim_command (E2eEnv *env, const char *command)
{
  g_autofree char *answer = e2e_env_sim_control (env, command);

  if (!g_str_has_prefix (answer, "OK"))
    g_error ("simulator answered \"%s\" to \"%s\"", answer, command);
}

char *
e2e_env_wait_sim_log (E2eEnv *env, gsize offset, const char *needle)
{
  gint64 end = g_get_monotonic_time () + (gint64)harness_scale_ms (SIM_LOG_TIMEOUT_MS) * 1000;
  char *text = e2e_env_sim_log_since (env, offset);

  while (strstr (text, needle) == NULL && g_get_monotonic_time () < end)
    {
      g_usleep (20000);
      g_free (text);
      text = e2e_env_sim_log_since (env, offset);
    }
  return text;
}

void
e2e_env_assert_no_at_traffic (E2eEnv *env, gsize offset, const char *what)
{
  g_autofree char *traffic = NULL;

  /* Let anything the call might have caused reach the simulator's log. */
  g_usleep (200000);
  traffic = e2e_env_sim_log_since (env, offset);
  /* The daemon's own network reads may come at any moment: only CoAP
   * commands count as caused by the call. */
  if (strstr (traffic, "at-rx AT+QCOAP") != NULL)
    g_error ("%s reached the modem:\n%s", what, traffic);
}
