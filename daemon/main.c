/* SPDX-License-Identifier: MIT */
/* main.c — qcoapd's command line, configuration, logging and life cycle. */
#include <gio/gio.h>
#include <glib-unix.h>
#include <stdio.h>

#include "bus-link.h"
#include "config.h"
#include "dtls-psk.h"
#include "heap-trim.h"
#include "log-level.h"
#include "notify.h"
#include "service.h"

#define DEFAULT_CONFIG_FILE QCOAPD_CONFIG_FILE
#define SHUTDOWN_GRACE_MS   3000
#define STATUS_INTERVAL_MS  1000
#define EXIT_BAD_SETUP      2 /* bad command line or configuration */

typedef struct
{
  GMainLoop *loop;
  DaemonConfig config;
  Service *service;
  BusLink *bus;
  guint watchdog_source;
  int exit_status;
  /* STATUS=: the last one sent, the newest, and the timer that sends it. */
  char *status_sent;
  char *status_pending;
  guint status_source;
} Daemon;

/* ---- logging ------------------------------------------------------------------ */

/* Under systemd stderr is the journal's stream: structured fields go to
 * journald directly when it is there, plain lines otherwise. Debug messages
 * (which may contain payloads) appear only with LogLevel=debug or
 * --verbose. */
static GLogWriterOutput
write_log (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if (!log_level_wants (level))
    return G_LOG_WRITER_HANDLED;
  if (notify_journal_wanted () && g_log_writer_is_journald (fileno (stderr))
      && g_log_writer_journald (level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
    return G_LOG_WRITER_HANDLED;
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE"))
      {
        const char *tag = (level & G_LOG_LEVEL_ERROR)      ? "error"
                          : (level & G_LOG_LEVEL_CRITICAL) ? "critical"
                          : (level & G_LOG_LEVEL_WARNING)  ? "warning"
                          : (level & G_LOG_LEVEL_MESSAGE)  ? "notice"
                          : (level & G_LOG_LEVEL_INFO)     ? "info"
                                                           : "debug";
        fprintf (stderr, "qcoapd[%s]: %s\n", tag, (const char *)fields[i].value);
        fflush (stderr);
      }
  return G_LOG_WRITER_HANDLED;
}

/* ---- systemd -------------------------------------------------------------------------- */

static gboolean
ping_watchdog (gpointer user_data)
{
  notify_send ("WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}

static void
start_watchdog (Daemon *daemon)
{
  guint64 usec = notify_watchdog_usec ();

  if (usec > 0)
    daemon->watchdog_source = g_timeout_add ((guint)(usec / 2000), ping_watchdog, NULL);
}

static gboolean
send_status (gpointer user_data)
{
  Daemon *daemon = user_data;

  daemon->status_source = 0;
  if (daemon->status_pending == NULL)
    return G_SOURCE_REMOVE;
  notify_sendf ("STATUS=%s", daemon->status_pending);
  g_free (daemon->status_sent);
  daemon->status_sent = g_steal_pointer (&daemon->status_pending);
  /* Nothing more for a second: what comes meanwhile waits, the newest wins. */
  daemon->status_source = g_timeout_add (STATUS_INTERVAL_MS, send_status, daemon);
  return G_SOURCE_REMOVE;
}

/* The notification socket may have nobody reading it: STATUS= goes only
 * when it changed, and at most once a second, so that a full socket never
 * holds the main loop for long. */
static void
on_service_status (const char *status, gpointer user_data)
{
  Daemon *daemon = user_data;

  if (g_strcmp0 (status, daemon->status_sent) == 0)
    {
      g_clear_pointer (&daemon->status_pending, g_free);
      return;
    }
  g_free (daemon->status_pending);
  daemon->status_pending = g_strdup (status);
  if (daemon->status_source == 0)
    send_status (daemon);
}

/* ---- bus ----------------------------------------------------------------------------------- */

static gboolean
on_bus_connected (BusLink *link, GDBusConnection *connection, gboolean reconnected, GError **error,
                  gpointer user_data)
{
  Daemon *daemon = user_data;

  return service_export (daemon->service, connection, bus_link_get_lookup_connection (link), error);
}

static void
on_bus_lost (BusLink *link, const char *reason, gpointer user_data)
{
  Daemon *daemon = user_data;

  service_connection_lost (daemon->service, reason);
}

static void
on_name_acquired (BusLink *link, gpointer user_data)
{
  notify_send ("READY=1");
}

/* The name went to someone else, or the bus could not be reached again: exit
 * with a failure so that systemd restarts the daemon. */
static void
on_bus_failed (BusLink *link, const char *why, gpointer user_data)
{
  Daemon *daemon = user_data;

  g_warning ("Giving up on the bus: %s; exiting so that the service restarts", why);
  daemon->exit_status = 1;
  g_main_loop_quit (daemon->loop);
}

static const BusLinkListener bus_listener = {
  .connected = on_bus_connected,
  .lost = on_bus_lost,
  .name_acquired = on_name_acquired,
  .failed = on_bus_failed,
};

/* ---- shutdown ---------------------------------------------------------------------------------
 */

static void
on_service_stopped (gpointer user_data)
{
  Daemon *daemon = user_data;

  g_main_loop_quit (daemon->loop);
}

static gboolean
give_up_shutdown (gpointer user_data)
{
  Daemon *daemon = user_data;

  g_warning ("Sessions did not close within %d ms; exiting anyway", SHUTDOWN_GRACE_MS);
  g_main_loop_quit (daemon->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_terminate (gpointer user_data)
{
  Daemon *daemon = user_data;

  g_info ("Shutting down: the sessions stay open on the modem for the next run");
  notify_send ("STOPPING=1");
  g_timeout_add (SHUTDOWN_GRACE_MS, give_up_shutdown, daemon);
  service_stop (daemon->service, on_service_stopped, daemon);
  return G_SOURCE_REMOVE;
}

/* ---- command line --------------------------------------------------------------------------- */

typedef struct
{
  char *device;
  char *config_file;
  char *bus_address;
  gint baud;
  gboolean session_bus;
  gboolean verbose;
  gboolean show_version;
  gboolean show_help;
  gboolean check_config;
} CommandLine;

static void
command_line_clear (CommandLine *line)
{
  g_free (line->device);
  g_free (line->config_file);
  g_free (line->bus_address);
}

static GOptionContext *
option_context_new (CommandLine *line)
{
  const GOptionEntry entries[] = {
    { "device", 'd', 0, G_OPTION_ARG_FILENAME, &line->device, "Serial AT port of the modem",
      "PATH" },
    { "baud", 'b', 0, G_OPTION_ARG_INT, &line->baud, "Line speed (default 115200)", "N" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &line->config_file,
      "Configuration file (default " DEFAULT_CONFIG_FILE ")", "FILE" },
    { "check-config", 0, 0, G_OPTION_ARG_NONE, &line->check_config,
      "Read and check the configuration, then exit", NULL },
    { "session", 0, 0, G_OPTION_ARG_NONE, &line->session_bus, "Serve on the session bus", NULL },
    { "bus", 0, 0, G_OPTION_ARG_STRING, &line->bus_address, "Serve on the bus at ADDRESS",
      "ADDRESS" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &line->verbose, "Log debug messages (AT traffic)",
      NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &line->show_version, "Print the version and exit", NULL },
    { "help", 'h', 0, G_OPTION_ARG_NONE, &line->show_help, "Show this help and exit", NULL },
    { NULL }
  };
  GOptionContext *context
      = g_option_context_new ("— share a Quectel modem's CoAP client over D-Bus");

  /* GLib's own --help prints through g_print(), which in the C locale turns
   * the "…" of "[OPTION…]" and the dash above into "?"; the help text is
   * written as the UTF-8 it is instead. */
  g_option_context_set_help_enabled (context, FALSE);
  g_option_context_add_main_entries (context, entries, NULL);
  return context;
}

/* Parses the command line; FALSE with *exit_status set when the program is
 * done (a bad option, --help, --version). */
static gboolean
parse_command_line (CommandLine *line, int *argc, char ***argv, int *exit_status)
{
  g_autoptr (GOptionContext) context = option_context_new (line);
  g_autoptr (GError) error = NULL;

  *exit_status = EXIT_BAD_SETUP;
  if (!g_option_context_parse (context, argc, argv, &error))
    fprintf (stderr, "qcoapd: %s (see qcoapd --help)\n", error->message);
  else if (*argc > 1)
    fprintf (stderr, "qcoapd: unexpected argument \"%s\" (see qcoapd --help)\n", (*argv)[1]);
  else if (line->session_bus && line->bus_address)
    fprintf (stderr, "qcoapd: --session and --bus exclude each other\n");
  else if (line->baud != 0
           && (line->baud < 0 || !daemon_config_check_baud ((guint)line->baud, &error)))
    fprintf (stderr, "qcoapd: --baud: %s\n", error ? error->message : "not a line speed");
  else if (line->show_help || line->show_version)
    {
      g_autofree char *text = line->show_help ? g_option_context_get_help (context, TRUE, NULL)
                                              : g_strdup_printf ("qcoapd %s\n", QCOAPD_VERSION);

      fputs (text, stdout);
      *exit_status = 0;
    }
  else
    return TRUE;
  return FALSE;
}

/* Reads the configuration file and lets the command line override it. */
static gboolean
configure (Daemon *daemon, const CommandLine *line)
{
  const char *path = line->config_file ? line->config_file : DEFAULT_CONFIG_FILE;
  g_autoptr (GError) error = NULL;
  ModemUnitConfig *first;
  gboolean found;

  if (!daemon_config_load (&daemon->config, path, line->config_file != NULL, &found, &error))
    {
      fprintf (stderr, "qcoapd: %s\n", error->message);
      return FALSE;
    }
  /* The command line speaks of one modem: the first configured. */
  first = service_config_first_modem (&daemon->config.service);
  if (line->device)
    {
      g_free (first->device);
      first->device = g_strdup (line->device);
    }
  if (line->baud > 0)
    first->baud = (guint)line->baud;
  if (line->check_config)
    printf ("%s: %s\n", path, found ? "valid" : "not found; the built-in defaults apply");
  return TRUE;
}

/* Serves until a signal or the loss of the bus; returns the exit status. */
static int
serve (Daemon *daemon, const CommandLine *line)
{
  g_autoptr (GError) error = NULL;

  daemon->loop = g_main_loop_new (NULL, FALSE);
  daemon->service = service_new (&daemon->config.service, on_service_status, daemon);
  daemon->bus
      = bus_link_new (line->bus_address, line->session_bus ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM,
                      SERVICE_BUS_NAME, &bus_listener, daemon);
  if (!bus_link_start (daemon->bus, &error))
    {
      fprintf (stderr, "qcoapd: cannot serve on the bus: %s\n", error->message);
      return 1;
    }
  g_unix_signal_add (SIGTERM, on_terminate, daemon);
  g_unix_signal_add (SIGINT, on_terminate, daemon);
  start_watchdog (daemon);
  service_start (daemon->service);
  g_main_loop_run (daemon->loop);

  g_clear_handle_id (&daemon->watchdog_source, g_source_remove);
  g_clear_pointer (&daemon->service, service_free);
  g_clear_handle_id (&daemon->status_source, g_source_remove);
  g_clear_pointer (&daemon->status_sent, g_free);
  g_clear_pointer (&daemon->status_pending, g_free);
  bus_link_flush (daemon->bus);
  return daemon->exit_status;
}

int
main (int argc, char **argv)
{
  CommandLine line = { 0 };
  Daemon daemon = { 0 };
  int status;

  heap_trim_setup ();
  daemon_config_init (&daemon.config);
  if (!parse_command_line (&line, &argc, &argv, &status))
    ; /* done: help, version, or a bad command line */
  else if (!configure (&daemon, &line))
    status = EXIT_BAD_SETUP;
  else if (line.check_config)
    status = 0;
  else
    {
      log_level_set_threshold (line.verbose ? G_LOG_LEVEL_DEBUG : daemon.config.log_level);
      g_log_set_writer_func (write_log, NULL, NULL);
      dtls_psk_set_cipher_suite (daemon.config.cipher_suite);
      status = serve (&daemon, &line);
    }
  g_clear_pointer (&daemon.bus, bus_link_free);
  g_clear_pointer (&daemon.loop, g_main_loop_unref);
  daemon_config_clear (&daemon.config);
  command_line_clear (&line);
  return status;
}
