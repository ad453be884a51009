/* SPDX-License-Identifier: MIT */
/* test-module.c — what a real module does that the application note does
 * not say, end to end through D-Bus → qcoapd → bg96-sim → coap-server: the
 * URC port it keeps, the BG96's own words, a module of another family, and
 * power saving. Each test starts its own simulator, as the module it needs.
 */
#include <fcntl.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "e2e-env.h"
#include "e2e-session.h"
#include "harness.h"

#define BOOT_ARGS        "--boot-delay", "50", "--reset-silence", "300"
#define PSM_SLEEP_MS     2000
#define STATE_TIMEOUT_MS 20000
#define QCOAP_CLIENTS    6
#define DUPLICATE_ROUNDS 5
#define COPY_WAIT_MS     500
#define STATUS_BURST     8
#define STATUS_PACE_MS   1000

static char *
manager_string (E2eEnv *env, const char *name)
{
  g_autoptr (GVariant) value
      = e2e_env_get_property (env, E2E_MANAGER_PATH, E2E_MANAGER_IFACE, name);

  g_assert_nonnull (value);
  return g_variant_dup_string (value, NULL);
}

static guint
count_lines_with (const char *text, const char *needle)
{
  guint count = 0;

  for (const char *p = strstr (text, needle); p != NULL; p = strstr (p + 1, needle))
    count++;
  return count;
}

static void
assert_log_has (E2eEnv *env, gsize offset, const char *needle)
{
  g_autofree char *log = e2e_env_wait_sim_log (env, offset, needle);

  if (strstr (log, needle) == NULL)
    g_error ("the modem never saw “%s”; it saw:\n%s", needle, log);
}

/* ---- the URC port ---------------------------------------------------------------- */

/* A module whose stored URC port is its UART sends nothing to this port: the
 * daemon, told it holds usbat, sets the URC port first, and sessions work. */
static void
test_urc_port_set (void)
{
  const char *const sim_args[] = { BOOT_ARGS, "--urc-port", "uart1", "--port-role", "usbat", NULL };
  E2eOptions options = { .sim_args = sim_args, .config_text = "[modem]\nUrcPort=usbat\n" };
  E2eEnv *env = e2e_env_start (&options);
  g_autofree char *path = NULL;

  assert_log_has (env, 0, "AT+QURCCFG=\"urcport\",\"usbat\"");
  path = e2e_open_session (env->bus, env->coap_port, NULL);
  e2e_assert_session_serves (env->bus, path);
  e2e_close_session (env->bus, path);
  g_assert_true (e2e_env_stop (env, FALSE));
}

/* With UrcPort=auto on a port whose role cannot be told (a pty), the daemon
 * reads the setting and changes nothing. */
static void
test_urc_port_auto_unknown (void)
{
  const char *const sim_args[] = { BOOT_ARGS, NULL };
  E2eOptions options = { .sim_args = sim_args };
  E2eEnv *env = e2e_env_start (&options);
  g_autofree char *log = NULL;
  g_autofree char *path = NULL;

  path = e2e_open_session (env->bus, env->coap_port, NULL);
  e2e_close_session (env->bus, path);
  log = e2e_env_sim_log_since (env, 0);
  g_assert_nonnull (strstr (log, "AT+QURCCFG=\"urcport\""));
  g_assert_null (strstr (log, "AT+QURCCFG=\"urcport\",\""));
  g_assert_true (e2e_env_stop (env, FALSE));
}

/* ---- a restart the echo does not show ------------------------------------------ */

/* A module whose profile keeps ATE0 boots with echo off: the daemon tells
 * its restart by its clients being gone (AT+QCOAPOPEN?), and the session
 * ends as after any restart. */
static void
test_reboot_with_echo_saved_off (void)
{
  const char *const sim_args[] = { BOOT_ARGS, "--echo-saved-off", NULL };
  E2eOptions options = { .sim_args = sim_args };
  E2eEnv *env = e2e_env_start (&options);
  g_autofree char *path = e2e_open_session (env->bus, env->coap_port, NULL);
  g_autofree char *answer = NULL;
  g_autofree char *log = NULL;
  gsize offset = e2e_env_sim_log_offset (env);
  gint64 end;

  answer = e2e_env_sim_control (env, "reboot");
  g_assert_cmpstr (answer, ==, "OK booted");
  end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end)
    {
      g_autofree char *state = e2e_env_session_state (env, path);

      if (state == NULL || g_str_equal (state, "closed"))
        break;
      g_usleep (20000);
    }
  g_assert_null (e2e_env_session_state (env, path));
  assert_log_has (env, offset, "at-rx AT+QCOAPOPEN?");
  g_assert_true (e2e_env_wait_modem_state (env, "ready", 20000));
  g_assert_true (g_file_get_contents (env->daemon_log_path, &log, NULL, NULL));
  g_assert_null (strstr (log, "kept its settings"));
  g_assert_true (e2e_env_stop (env, FALSE));
}

/* ---- the module's words and family ------------------------------------------------ */

/* A BG96 names LTE-M "CAT-M1": the technology and the signal come through. */
static void
test_bg96_words (void)
{
  const char *const sim_args[] = { BOOT_ARGS, "--network-ready", "--model", "BG96", NULL };
  E2eOptions options = { .sim_args = sim_args };
  E2eEnv *env = e2e_env_start (&options);
  g_autoptr (GVariant) signal = NULL;
  gint32 rsrp;

  e2e_env_wait_property (env, E2E_MANAGER_PATH, E2E_MANAGER_IFACE, "AccessTechnology", "lte-m",
                         STATE_TIMEOUT_MS);
  for (int i = 0; i < 100; i++)
    {
      g_clear_pointer (&signal, g_variant_unref);
      signal = e2e_env_get_property (env, E2E_MANAGER_PATH, E2E_MANAGER_IFACE, "Signal");
      if (signal != NULL && g_variant_lookup (signal, "rsrp", "i", &rsrp))
        break;
      g_usleep (100 * 1000);
    }
  g_assert_true (g_variant_lookup (signal, "rsrp", "i", &rsrp));
  g_assert_cmpint (rsrp, ==, -87);
  g_assert_true (e2e_env_stop (env, FALSE));
}

/* A BC66 ends "failed" with a reason that names it, Open fails at once
 * quoting it, and no AT+QCOAP… command reaches it. */
static void
test_other_family (void)
{
  const char *const sim_args[] = { BOOT_ARGS, "--model", "BC66", NULL };
  E2eOptions options = { .sim_args = sim_args, .start_state = "failed" };
  E2eEnv *env = e2e_env_start (&options);
  g_autofree char *reason = manager_string (env, "StateReason");
  g_autofree char *model = manager_string (env, "Model");
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;

  g_assert_cmpstr (model, ==, "BC66");
  g_assert_true (g_str_has_prefix (reason, "BC66: this module's CoAP commands are a different "
                                           "family"));
  g_assert_nonnull (strstr (reason, "BG96, BG95, BG77 and BG600L"));
  path = e2e_try_open_session (env->bus, env->coap_port, NULL, E2E_CALL_TIMEOUT_MS, &error);
  g_assert_null (path);
  e2e_assert_remote_error (error, E2E_ERROR_PREFIX "ModemUnavailable");
  g_assert_nonnull (strstr (error->message, "different family"));
  e2e_env_assert_no_at_traffic (env, 0, "a module of another family");
  g_assert_true (e2e_env_stop (env, FALSE));
}

/* ---- power saving -------------------------------------------------------------------- */

typedef struct
{
  char *reason;
} Closed;

static void
on_closed (GDBusConnection *connection, const char *sender, const char *path, const char *interface,
           const char *member, GVariant *parameters, gpointer user_data)
{
  Closed *closed = user_data;

  g_variant_get (parameters, "(s)", &closed->reason);
}

static gboolean
closed_seen (gpointer data)
{
  return ((Closed *)data)->reason != NULL;
}

/* PowerSaving=keep: the module sleeps, the daemon says so and sends nothing;
 * the non-persistent session ends, the persistent one opens again when the
 * module wakes, and nobody hears "modem-reset". */
static void
test_power_saving_keep (void)
{
  const char *const sim_args[] = { BOOT_ARGS, "--network-ready", "--psm-requested", NULL };
  E2eOptions options = { .sim_args = sim_args, .config_text = "[modem]\nPowerSaving=keep\n" };
  E2eEnv *env = e2e_env_start (&options);
  g_autofree char *persistent = e2e_open_session (env->bus, env->coap_port, e2e_persistent ());
  g_autofree char *plain = e2e_open_session (env->bus, env->coap_port, NULL);
  g_autofree char *reason = NULL;
  g_autofree char *log = NULL;
  g_autofree char *command = g_strdup_printf ("fault psm-sleep=%u", PSM_SLEEP_MS);
  Closed closed = { 0 };
  guint subscription = g_dbus_connection_signal_subscribe (
      env->bus, E2E_BUS_NAME, E2E_SESSION_IFACE, "Closed", plain, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
      on_closed, &closed, NULL);
  gsize offset;

  log = e2e_env_sim_log_since (env, 0);
  g_assert_null (strstr (log, "AT+CPSMS=0"));
  g_clear_pointer (&log, g_free);
  offset = e2e_env_sim_log_offset (env);
  e2e_env_sim_command (env, command);
  g_assert_true (e2e_env_wait_modem_state (env, "sleeping", STATE_TIMEOUT_MS));
  reason = manager_string (env, "StateReason");
  g_assert_cmpstr (reason, ==, "power saving: the module sleeps");
  e2e_iterate_until (closed_seen, &closed, 10000);
  g_assert_cmpstr (closed.reason, ==, "modem-lost");
  g_assert_true (e2e_env_wait_modem_state (env, "ready", STATE_TIMEOUT_MS));
  e2e_env_wait_session_state (env, persistent, "open", STATE_TIMEOUT_MS);
  e2e_assert_session_serves (env->bus, persistent);
  /* Nothing was sent while the module slept but the daemon's own probe
   * of a port it still held: the wake-up boot came first. */
  log = e2e_env_sim_log_since (env, offset);
  g_assert_nonnull (strstr (log, "urc PSM POWER DOWN"));
  g_dbus_connection_signal_unsubscribe (env->bus, subscription);
  g_free (closed.reason);
  e2e_close_session (env->bus, persistent);
  g_assert_true (e2e_env_stop (env, FALSE));
}

/* PowerSaving=off (the default): PSM and eDRX off at initialisation, so a
 * network that grants PSM does not put the module to sleep. */
static void
test_power_saving_off (void)
{
  const char *const sim_args[] = { BOOT_ARGS, "--network-ready", "--psm-requested", NULL };
  E2eOptions options = { .sim_args = sim_args };
  E2eEnv *env = e2e_env_start (&options);
  g_autofree char *path = NULL;
  g_autofree char *state = NULL;

  assert_log_has (env, 0, "AT+CPSMS=0");
  assert_log_has (env, 0, "AT+CEDRXS=0");
  e2e_env_sim_command (env, "fault psm-sleep=2000");
  path = e2e_open_session (env->bus, env->coap_port, NULL);
  e2e_assert_session_serves (env->bus, path);
  state = e2e_env_modem_state (env);
  g_assert_cmpstr (state, ==, "ready");
  e2e_close_session (env->bus, path);
  g_assert_true (e2e_env_stop (env, FALSE));
}

/* ---- copies and slow closes ------------------------------------------------------------ */

static gboolean
set_flag (gpointer data)
{
  *(gboolean *)data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Dispatches the bus's signals for @ms. */
static void
pump_for (guint ms)
{
  gboolean over = FALSE;

  g_timeout_add (ms, set_flag, &over);
  e2e_wait_for (&over, ms + 1000);
}

static void
count_signal (GDBusConnection *connection, const char *sender, const char *path,
              const char *interface, const char *member, GVariant *parameters, gpointer user_data)
{
  (*(guint *)user_data)++;
}

/* A module that reports every message twice: each reaches the caller once. */
static void
test_duplicates_dropped (void)
{
  const char *const sim_args[]
      = { BOOT_ARGS, "--network-ready", "--fault", "report-twice=on", NULL };
  E2eOptions options = { .sim_args = sim_args };
  E2eEnv *env = e2e_env_start (&options);
  g_autofree char *path = e2e_open_session (env->bus, env->coap_port, NULL);
  guint received = 0;
  guint subscription = g_dbus_connection_signal_subscribe (
      env->bus, E2E_BUS_NAME, E2E_SESSION_IFACE, "Received", path, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
      count_signal, &received, NULL);
  gsize offset = e2e_env_sim_log_offset (env);
  g_autofree char *log = NULL;

  for (guint i = 0; i < DUPLICATE_ROUNDS; i++)
    e2e_assert_session_serves (env->bus, path);
  /* Long enough for any copy to arrive as a signal. */
  pump_for (COPY_WAIT_MS);
  g_dbus_connection_signal_unsubscribe (env->bus, subscription);
  g_assert_cmpuint (received, ==, DUPLICATE_ROUNDS);
  /* The modem did report each twice. */
  log = e2e_env_sim_log_since (env, offset);
  g_assert_cmpuint (count_lines_with (log, "urc +QCOAPRECV:"), ==, 2 * DUPLICATE_ROUNDS);
  e2e_close_session (env->bus, path);
  g_assert_true (e2e_env_stop (env, FALSE));
}

/* A module that takes 15 s to close: Close returns after its 10 s wait, the
 * ID stays taken until the module is done, and no Open meets -10. */
static void
test_slow_close (void)
{
  const char *const sim_args[] = { BOOT_ARGS, "--network-ready", "--close-delay", "15000", NULL };
  E2eOptions options = { .sim_args = sim_args };
  E2eEnv *env = e2e_env_start (&options);
  g_autofree char *first = e2e_open_session (env->bus, env->coap_port, NULL);
  char *others[QCOAP_CLIENTS - 1] = { NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *refused = NULL;
  gint64 start = g_get_monotonic_time ();

  e2e_close_session (env->bus, first);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 12 * G_USEC_PER_SEC);
  g_assert_cmpuint (e2e_env_free_clients (env), ==, QCOAP_CLIENTS - 1);
  for (guint i = 0; i < G_N_ELEMENTS (others); i++)
    {
      others[i] = e2e_open_session (env->bus, env->coap_port, NULL);
      g_assert_cmpstr (others[i], !=, first);
    }
  e2e_assert_session_serves (env->bus, others[0]);
  refused = e2e_try_open_session (env->bus, env->coap_port, NULL, E2E_CALL_TIMEOUT_MS, &error);
  g_assert_null (refused);
  e2e_assert_remote_error (error, E2E_ERROR_PREFIX "NoFreeClient");
  /* Once the module is done, the ID is free again. */
  e2e_env_wait_free_clients (env, 1);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 14 * G_USEC_PER_SEC);
  for (guint i = 0; i < G_N_ELEMENTS (others); i++)
    {
      e2e_close_session (env->bus, others[i]);
      g_free (others[i]);
    }
  g_assert_true (e2e_env_stop (env, FALSE));
}

/* ---- a port another program holds ------------------------------------------------------ */

/* The port exists but another program holds its lock: the daemon says who,
 * and takes the port as soon as the lock is let go (no inotify event comes
 * for that). */
static void
test_port_held (void)
{
  const char *const sim_args[] = { BOOT_ARGS, "--network-ready", NULL };
  g_autofree char *dir = g_dir_make_tmp ("qcoapd-held-XXXXXX", NULL);
  g_autofree char *device = g_build_filename (dir, "bg96-at", NULL);
  E2eOptions options = { .sim_args = sim_args, .device = device };
  E2eEnv *env = e2e_env_start (&options);
  g_autofree char *expected = g_strdup_printf ("is held by another program (pid %d, ", getpid ());
  g_autofree char *reason = NULL;
  int fd = open (env->modem_link, O_RDWR | O_NOCTTY | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (flock (fd, LOCK_EX | LOCK_NB), ==, 0);
  g_assert_cmpint (symlink (env->modem_link, device), ==, 0);
  for (int i = 0; i < 100 && (reason == NULL || strstr (reason, expected) == NULL); i++)
    {
      g_free (reason);
      reason = manager_string (env, "StateReason");
      g_usleep (100 * 1000);
    }
  g_assert_nonnull (strstr (reason, expected));
  g_assert_true (g_str_has_prefix (reason, device));
  close (fd);
  g_assert_true (e2e_env_wait_modem_state (env, "ready", STATE_TIMEOUT_MS));
  g_free (reason);
  reason = manager_string (env, "StateReason");
  g_assert_cmpstr (reason, ==, "");
  g_assert_true (e2e_env_stop (env, FALSE));
  g_assert_cmpint (unlink (device), ==, 0);
  g_assert_cmpint (rmdir (dir), ==, 0);
}

/* ---- without systemd's runtime directory -------------------------------------------------- */

/* N of /org/qcoapd/CoAP1/Session/N. */
static guint
path_number (const char *path)
{
  return (guint)g_ascii_strtoull (strrchr (path, '/') + 1, NULL, 10);
}

/* A call on @path answers Closed. */
static void
assert_ended (E2eEnv *env, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply
      = e2e_session_request (env->bus, path, E2E_CODE_GET, NULL, NULL, &error);

  g_assert_null (reply);
  e2e_assert_remote_error (error, E2E_ERROR_PREFIX "Closed");
}

static gboolean
daemon_log_has (E2eEnv *env, const char *needle)
{
  g_autofree char *log = NULL;

  return g_file_get_contents (env->daemon_log_path, &log, NULL, NULL) && strstr (log, needle);
}

/* A runtime directory that does not exist yet is made, mode 0700, and the
 * sessions survive a restart. */
static void
test_runtime_dir_created (void)
{
  const char *const sim_args[] = { BOOT_ARGS, "--network-ready", NULL };
  g_autofree char *dir = g_dir_make_tmp ("qcoapd-run-XXXXXX", NULL);
  g_autofree char *parent = g_build_filename (dir, "not", NULL);
  g_autofree char *runtime = g_build_filename (parent, "there", NULL);
  E2eOptions options = { .sim_args = sim_args, .runtime_dir = runtime };
  E2eEnv *env = e2e_env_start (&options);
  g_autofree char *path = e2e_open_session (env->bus, env->coap_port, e2e_persistent ());
  g_autofree char *ended = e2e_open_session (env->bus, env->coap_port, NULL);
  g_autofree char *after = NULL;
  struct stat info;

  g_assert_cmpint (stat (runtime, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 07777, ==, 0700);
  e2e_close_session (env->bus, ended);
  e2e_env_kill_daemon (env, SIGTERM);
  g_assert_true (daemon_log_has (env, "Leaving 1 sessions open on the modem"));
  e2e_env_restart_daemon (env);
  e2e_env_wait_session_state (env, path, "open", STATE_TIMEOUT_MS);
  e2e_assert_session_serves (env->bus, path);
  /* The adopted session kept its path; a new one gets a number the
   * previous run never handed out, and the ended one still answers Closed. */
  after = e2e_open_session (env->bus, env->coap_port, NULL);
  g_assert_cmpuint (path_number (after), >, path_number (ended));
  g_assert_cmpuint (path_number (ended), >, path_number (path));
  assert_ended (env, ended);
  e2e_close_session (env->bus, after);
  e2e_close_session (env->bus, path);
  g_assert_true (e2e_env_stop (env, FALSE));
  harness_remove_temp_dir (runtime);
  g_assert_cmpint (rmdir (parent), ==, 0);
  g_assert_cmpint (rmdir (dir), ==, 0);
}

/* A runtime directory that cannot be made: said once at start, and at the
 * stop no save is claimed. */
static void
test_runtime_dir_unwritable (void)
{
  const char *const sim_args[] = { BOOT_ARGS, "--network-ready", NULL };
  E2eOptions options = { .sim_args = sim_args, .runtime_dir = "/proc/qcoapd-cannot-be-made" };
  E2eEnv *env = e2e_env_start (&options);
  g_autofree char *path = e2e_open_session (env->bus, env->coap_port, e2e_persistent ());

  g_assert_true (daemon_log_has (env, "Sessions will not survive a restart of qcoapd"));
  g_assert_false (daemon_log_has (env, "Cannot save the sessions"));
  e2e_env_kill_daemon (env, SIGTERM);
  g_assert_false (daemon_log_has (env, "Leaving 1 sessions open"));
  g_assert_true (daemon_log_has (env, "The 1 sessions could not be saved"));
  g_assert_true (e2e_env_stop (env, FALSE));
}

/* An open the module answers -10 (it still holds the ID): the daemon
 * closes the ID there and opens again, once, and the caller never sees it. */
static void
test_occupied_id_recovered (void)
{
  const char *const sim_args[] = { BOOT_ARGS, "--network-ready", NULL };
  E2eOptions options = { .sim_args = sim_args };
  E2eEnv *env = e2e_env_start (&options);
  gsize offset = e2e_env_sim_log_offset (env);
  g_autofree char *path = NULL;
  g_autofree char *log = NULL;
  const char *close;

  e2e_env_sim_command (env, "fault occupy=0");
  path = e2e_open_session (env->bus, env->coap_port, NULL);
  log = e2e_env_sim_log_since (env, offset);
  close = strstr (log, "at-rx AT+QCOAPCLOSE=0");

  g_assert_nonnull (strstr (log, "+QCOAPOPEN: 0,-10"));
  g_assert_nonnull (close);
  g_assert_nonnull (strstr (close, "at-rx AT+QCOAPOPEN=0"));
  e2e_assert_session_serves (env->bus, path);
  e2e_close_session (env->bus, path);
  g_assert_true (e2e_env_stop (env, FALSE));
}

/* ---- systemd's notification socket --------------------------------------------------- */

/* STATUS= goes when it changed, at most once a second, and the last one
 * sent is the state reached: a notification socket nobody reads fills
 * slowly and never holds the daemon. */
static void
test_status_paced (void)
{
  const char *const sim_args[] = { BOOT_ARGS, "--network-ready", NULL };
  g_autofree char *dir = g_dir_make_tmp ("qcoapd-notify-XXXXXX", NULL);
  g_autofree char *socket_path = g_build_filename (dir, "notify", NULL);
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  E2eOptions options = { .sim_args = sim_args };
  E2eEnv *env;
  gint64 start;
  guint statuses = 0;
  g_autofree char *last = NULL;
  char datagram[4096];
  ssize_t n;

  g_strlcpy (address.sun_path, socket_path, sizeof address.sun_path);
  g_assert_cmpint (bind (fd, (struct sockaddr *)&address, sizeof address), ==, 0);
  g_setenv ("NOTIFY_SOCKET", socket_path, TRUE);
  env = e2e_env_start (&options);
  g_unsetenv ("NOTIFY_SOCKET");
  start = g_get_monotonic_time ();
  for (guint i = 0; i < STATUS_BURST; i++)
    {
      g_autofree char *path = e2e_open_session (env->bus, env->coap_port, NULL);

      e2e_close_session (env->bus, path);
    }
  pump_for (2 * STATUS_PACE_MS);
  while ((n = recv (fd, datagram, sizeof datagram - 1, 0)) > 0)
    {
      datagram[n] = '\0';
      if (g_str_has_prefix (datagram, "STATUS="))
        {
          statuses++;
          g_free (last);
          last = g_strdup (datagram);
        }
    }
  /* Each burst of changes costs one STATUS= a second, and one at the start. */
  g_assert_cmpuint (statuses, <=, (g_get_monotonic_time () - start) / G_USEC_PER_SEC + 3);
  g_assert_nonnull (last);
  g_assert_true (g_str_has_suffix (last, "; 0 sessions"));
  g_assert_true (e2e_env_stop (env, FALSE));
  close (fd);
  g_unlink (socket_path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/module/urc-port/set", test_urc_port_set);
  g_test_add_func ("/module/urc-port/auto-unknown", test_urc_port_auto_unknown);
  g_test_add_func ("/module/bg96-words", test_bg96_words);
  g_test_add_func ("/module/other-family", test_other_family);
  g_test_add_func ("/module/power-saving/keep", test_power_saving_keep);
  g_test_add_func ("/module/power-saving/off", test_power_saving_off);
  g_test_add_func ("/module/duplicates-dropped", test_duplicates_dropped);
  g_test_add_func ("/module/slow-close", test_slow_close);
  g_test_add_func ("/module/port-held", test_port_held);
  g_test_add_func ("/module/status-paced", test_status_paced);
  g_test_add_func ("/module/occupied-id-recovered", test_occupied_id_recovered);
  g_test_add_func ("/module/reboot-with-echo-saved-off", test_reboot_with_echo_saved_off);
  g_test_add_func ("/module/runtime-dir/created", test_runtime_dir_created);
  g_test_add_func ("/module/runtime-dir/unwritable", test_runtime_dir_unwritable);
  return g_test_run ();
}
