/* main.c — qcoapd's command line, configuration, logging and life cycle. */
#include <gio/gio.h>
#include <glib-unix.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "service.h"

#define DEFAULT_CONFIG_FILE QCOAPD_CONFIG_FILE
#define SHUTDOWN_GRACE_MS   3000

typedef struct
{
  GMainLoop *loop;
  ServiceConfig config;
  Service *service;
  GDBusConnection *connection;
  guint name_id;
  guint watchdog_source;
  gboolean verbose;
  int exit_status;
} Daemon;

/* ---- logging ------------------------------------------------------------------ */

static gboolean log_verbose;

/* Under systemd stderr is the journal's stream: structured fields go to
 * journald directly when it is there, plain lines otherwise. Debug messages
 * (which may contain payloads) appear only with --verbose. */
static GLogWriterOutput
write_log (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if ((level & G_LOG_LEVEL_DEBUG) && !log_verbose)
    return G_LOG_WRITER_HANDLED;
  if (g_log_writer_is_journald (fileno (stderr))
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

/* ---- configuration -------------------------------------------------------------- */

static gboolean
load_config (const char *path, gboolean must_exist, ServiceConfig *config, GError **error)
{
  g_autoptr (GKeyFile) keys = g_key_file_new ();
  g_autoptr (GError) local_error = NULL;
  g_autofree char *flow = NULL;

  if (!g_key_file_load_from_file (keys, path, G_KEY_FILE_NONE, &local_error))
    {
      if (!must_exist && g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "%s: ", path);
      return FALSE;
    }
  if (g_key_file_has_key (keys, "modem", "Device", NULL))
    {
      g_free (config->device);
      config->device = g_key_file_get_string (keys, "modem", "Device", NULL);
    }
  if (g_key_file_has_key (keys, "modem", "Baud", NULL))
    config->baud = (guint)g_key_file_get_integer (keys, "modem", "Baud", NULL);
  flow = g_key_file_get_string (keys, "modem", "FlowControl", NULL);
  if (flow)
    config->rtscts = g_str_equal (flow, "rtscts");
  if (g_key_file_has_key (keys, "service", "MaxClientsPerUser", NULL))
    config->max_clients_per_user
        = (guint)g_key_file_get_integer (keys, "service", "MaxClientsPerUser", NULL);
  if (g_key_file_has_key (keys, "service", "QueueLimit", NULL))
    config->queue_limit = (guint)g_key_file_get_integer (keys, "service", "QueueLimit", NULL);
  return TRUE;
}

/* ---- systemd -------------------------------------------------------------------------- */

static gboolean
ping_watchdog (gpointer user_data)
{
  sd_notify (0, "WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}

static void
start_watchdog (Daemon *daemon)
{
  uint64_t usec = 0;

  if (sd_watchdog_enabled (0, &usec) > 0 && usec > 0)
    daemon->watchdog_source = g_timeout_add ((guint)(usec / 2000), ping_watchdog, NULL);
}

static void
on_service_status (const char *status, gpointer user_data)
{
  sd_notifyf (0, "STATUS=%s", status);
}

/* ---- bus ----------------------------------------------------------------------------------- */

static void
on_name_acquired (GDBusConnection *connection, const char *name, gpointer user_data)
{
  g_info ("Owning %s", name);
  sd_notify (0, "READY=1");
}

static void
on_name_lost (GDBusConnection *connection, const char *name, gpointer user_data)
{
  Daemon *daemon = user_data;

  g_warning ("Could not own %s on the bus (another qcoapd, or the bus policy forbids it)", name);
  daemon->exit_status = 1;
  g_main_loop_quit (daemon->loop);
}

static GDBusConnection *
connect_bus (const char *address, gboolean session, GError **error)
{
  if (address)
    return g_dbus_connection_new_for_address_sync (
        address,
        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
            | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
        NULL, NULL, error);
  return g_bus_get_sync (session ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM, NULL, error);
}

/* The bus dropped us (the bus restarted, or GDBus could not read a message
 * and gave up on the connection): every session's owner is unknown now. Exit
 * with a failure so that systemd restarts the daemon afresh; GDBus's own
 * reaction would be a SIGTERM, which counts as a clean stop. */
static void
on_connection_closed (GDBusConnection *connection, gboolean remote_peer_vanished, GError *error,
                      gpointer user_data)
{
  Daemon *daemon = user_data;

  g_warning ("Lost the bus connection%s%s; exiting so that the service restarts", error ? ": " : "",
             error ? error->message : "");
  daemon->exit_status = 1;
  g_main_loop_quit (daemon->loop);
}

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

  g_info ("Shutting down: closing sessions on the modem");
  sd_notify (0, "STOPPING=1");
  g_timeout_add (SHUTDOWN_GRACE_MS, give_up_shutdown, daemon);
  service_stop (daemon->service, on_service_stopped, daemon);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autofree char *device = NULL;
  g_autofree char *config_file = NULL;
  g_autofree char *bus_address = NULL;
  gint baud = 0;
  gboolean session_bus = FALSE;
  gboolean verbose = FALSE;
  gboolean show_version = FALSE;
  g_autoptr (GError) error = NULL;
  g_autoptr (GOptionContext) context = NULL;
  Daemon daemon = { 0 };
  const GOptionEntry entries[] = {
    { "device", 'd', 0, G_OPTION_ARG_FILENAME, &device, "Serial AT port of the modem", "PATH" },
    { "baud", 'b', 0, G_OPTION_ARG_INT, &baud, "Line speed (default 115200)", "N" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_file,
      "Configuration file (default " DEFAULT_CONFIG_FILE ")", "FILE" },
    { "session", 0, 0, G_OPTION_ARG_NONE, &session_bus, "Serve on the session bus", NULL },
    { "bus", 0, 0, G_OPTION_ARG_STRING, &bus_address, "Serve on the bus at ADDRESS", "ADDRESS" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log debug messages (AT traffic)", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &show_version, "Print the version and exit", NULL },
    { NULL }
  };

  context = g_option_context_new ("— share a Quectel modem's CoAP client over D-Bus");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("qcoapd: %s\n", error->message);
      return 2;
    }
  if (show_version)
    {
      g_print ("qcoapd %s\n", QCOAPD_VERSION);
      return 0;
    }
  if (session_bus && bus_address)
    {
      g_printerr ("qcoapd: --session and --bus exclude each other\n");
      return 2;
    }
  log_verbose = verbose;
  g_log_set_writer_func (write_log, NULL, NULL);

  service_config_init (&daemon.config);
  if (!load_config (config_file ? config_file : DEFAULT_CONFIG_FILE, config_file != NULL,
                    &daemon.config, &error))
    {
      g_printerr ("qcoapd: %s\n", error->message);
      return 2;
    }
  if (device)
    {
      g_free (daemon.config.device);
      daemon.config.device = g_strdup (device);
    }
  if (baud > 0)
    daemon.config.baud = (guint)baud;

  daemon.connection = connect_bus (bus_address, session_bus, &error);
  if (daemon.connection == NULL)
    {
      g_printerr ("qcoapd: cannot connect to the bus: %s\n", error->message);
      return 1;
    }

  daemon.loop = g_main_loop_new (NULL, FALSE);
  g_dbus_connection_set_exit_on_close (daemon.connection, FALSE);
  g_signal_connect (daemon.connection, "closed", G_CALLBACK (on_connection_closed), &daemon);
  daemon.service = service_new (daemon.connection, &daemon.config, on_service_status, &daemon);
  if (!service_export (daemon.service, &error))
    {
      g_printerr ("qcoapd: %s\n", error->message);
      return 1;
    }
  g_unix_signal_add (SIGTERM, on_terminate, &daemon);
  g_unix_signal_add (SIGINT, on_terminate, &daemon);
  start_watchdog (&daemon);
  daemon.name_id = g_bus_own_name_on_connection (daemon.connection, SERVICE_BUS_NAME,
                                                 G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                                 on_name_acquired, on_name_lost, &daemon, NULL);
  service_start (daemon.service);

  g_main_loop_run (daemon.loop);

  g_bus_unown_name (daemon.name_id);
  g_clear_handle_id (&daemon.watchdog_source, g_source_remove);
  g_clear_pointer (&daemon.service, service_free);
  g_dbus_connection_flush_sync (daemon.connection, NULL, NULL);
  g_clear_object (&daemon.connection);
  g_main_loop_unref (daemon.loop);
  service_config_clear (&daemon.config);
  return daemon.exit_status;
}
