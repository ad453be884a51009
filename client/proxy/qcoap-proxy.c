/* SPDX-License-Identifier: MIT */
/* qcoap-proxy — a local CoAP proxy to the modem of qcoapd: CoAP clients on
 * the gateway (libcoap's coap-client, aiocoap, LwM2M clients …) set it as
 * their forward proxy, or talk to a local endpoint that stands for a server,
 * and their requests go out through the modem. It is a D-Bus client of
 * qcoapd through libqcoap-glib; libcoap does the CoAP side.
 *
 *   qcoap-proxy [--session | --bus ADDRESS] [--config FILE] [--verbose]
 */
#include <glib-unix.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"
#include "qcoap-proxy-config.h"
#include "qcoap-proxy-daemon.h"
#include "qcoap-proxy-forward.h"
#include "qcoap-proxy-server.h"
#include "qcoap-proxy-upstream.h"

typedef struct
{
  gboolean session_bus;
  char *bus_address;
  char *config_path;
  gboolean verbose;
  gboolean version;
} Options;

typedef struct
{
  GMainLoop *loop;
  int status;
} Run;

static gboolean
parse_options (Options *options, int *argc, char ***argv, GError **error)
{
  GOptionEntry entries[] = {
    { "session", 0, 0, G_OPTION_ARG_NONE, &options->session_bus,
      "Use the session bus instead of the system bus", NULL },
    { "bus", 0, 0, G_OPTION_ARG_STRING, &options->bus_address, "Use the bus at this D-Bus address",
      "ADDRESS" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &options->config_path,
      "Read the configuration from FILE (default " QCOAP_PROXY_CONFIG_FILE ")", "FILE" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &options->verbose,
      "Log every request and libcoap's messages", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &options->version, "Print the version and exit", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);

  g_option_context_set_summary (context,
                                "A local CoAP forward and reverse proxy to the modem of qcoapd.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if (options->session_bus && options->bus_address != NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--session and --bus exclude each other");
      return FALSE;
    }
  return TRUE;
}

/* libcoap's messages end in a newline; the journal adds its own. */
static void
on_coap_log (coap_log_t level, const char *message)
{
  g_autofree char *text = g_strchomp (g_strdup (message));

  if (level <= LOG_WARNING)
    g_message ("libcoap: %s", text);
  else
    g_debug ("libcoap: %s", text);
}

static GDBusConnection *
connect_bus (const Options *options, GError **error)
{
  if (options->bus_address != NULL)
    return g_dbus_connection_new_for_address_sync (
        options->bus_address,
        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
            | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
        NULL, NULL, error);
  return g_bus_get_sync (options->session_bus ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM, NULL,
                         error);
}

static void
on_connection_closed (GDBusConnection *connection, gboolean remote_peer_vanished, GError *error,
                      gpointer user_data)
{
  Run *run = user_data;

  /* Without the bus nothing can be forwarded: exit, and let systemd start
   * the proxy again (Restart=on-failure). */
  g_warning ("the bus connection closed%s%s", error ? ": " : "", error ? error->message : "");
  run->status = EXIT_FAILURE;
  g_main_loop_quit (run->loop);
}

static gboolean
on_stop_signal (gpointer user_data)
{
  Run *run = user_data;

  g_main_loop_quit (run->loop);
  return G_SOURCE_CONTINUE;
}

static void
warn_if_not_loopback (GSocketAddress *address, const char *what)
{
  GInetAddress *inet;
  g_autofree char *text = NULL;

  if (address == NULL)
    return;
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  if (g_inet_address_get_is_loopback (inet))
    return;
  text = g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (address));
  g_warning ("%s listens on %s, which is not a loopback address: anyone who reaches it may use "
             "the modem and the keys of the routes",
             what, text);
}

static ProxyConfig *
load_config (const Options *options, GError **error)
{
  ProxyConfig *config
      = proxy_config_load (options->config_path ? options->config_path : QCOAP_PROXY_CONFIG_FILE,
                           options->config_path != NULL, error);

  if (config == NULL)
    return NULL;
  warn_if_not_loopback (config->listen, "the forward proxy");
  for (guint i = 0; i < config->routes->len; i++)
    {
      ProxyRoute *route = g_ptr_array_index (config->routes, i);
      g_autofree char *what = g_strdup_printf ("route %s", route->name);

      warn_if_not_loopback (route->listen, what);
    }
  return config;
}

static int
serve (const ProxyConfig *config, GDBusConnection *connection)
{
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Run run = { loop, EXIT_SUCCESS };
  g_autoptr (ProxyDaemon) daemon = proxy_daemon_new (connection);
  ProxyUpstreamPool *pool
      = proxy_upstream_pool_new (daemon, config->idle_timeout_s, config->request_timeout_s * 1000,
                                 config->max_clients_per_user);
  ProxyForward *forward = proxy_forward_new (daemon, pool, config->request_timeout_s);
  g_autoptr (GError) error = NULL;
  ProxyServer *server = proxy_server_new (config, forward, &error);
  guint sigterm, sigint;

  if (server == NULL)
    {
      g_printerr ("qcoap-proxy: %s\n", error->message);
      run.status = EXIT_FAILURE;
    }
  else
    {
      g_signal_connect (connection, "closed", G_CALLBACK (on_connection_closed), &run);
      sigterm = g_unix_signal_add (SIGTERM, on_stop_signal, &run);
      sigint = g_unix_signal_add (SIGINT, on_stop_signal, &run);
      notify_send ("READY=1");
      g_main_loop_run (loop);
      notify_send ("STOPPING=1");
      g_source_remove (sigterm);
      g_source_remove (sigint);
      g_signal_handlers_disconnect_by_data (connection, &run);
      proxy_server_stop (server);
    }
  /* Sessions first (requests waiting for one are given up), then the calls
   * still out, then the endpoints their answers would have used. */
  proxy_upstream_pool_free (pool);
  proxy_forward_free (forward);
  g_dbus_connection_flush_sync (connection, NULL, NULL);
  g_clear_pointer (&server, proxy_server_free);
  return run.status;
}

static void
options_clear (Options *options)
{
  g_clear_pointer (&options->bus_address, g_free);
  g_clear_pointer (&options->config_path, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

int
main (int argc, char **argv)
{
  g_auto (Options) options = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (ProxyConfig) config = NULL;
  g_autoptr (GDBusConnection) connection = NULL;
  int status;

  setlocale (LC_ALL, "");
  if (!parse_options (&options, &argc, &argv, &error))
    {
      g_printerr ("qcoap-proxy: %s\n", error->message);
      return 2;
    }
  if (options.version)
    {
      g_print ("qcoap-proxy %s\n", QCOAPD_VERSION);
      return EXIT_SUCCESS;
    }
  if (options.verbose)
    g_log_set_debug_enabled (TRUE);
  coap_startup ();
  coap_set_log_handler (on_coap_log);
  coap_set_log_level (options.verbose ? LOG_INFO : LOG_WARNING);
  config = load_config (&options, &error);
  if (config != NULL)
    connection = connect_bus (&options, &error);
  if (connection == NULL)
    {
      g_printerr ("qcoap-proxy: %s\n", error->message);
      return EXIT_FAILURE;
    }
  g_dbus_connection_set_exit_on_close (connection, FALSE);
  status = serve (config, connection);
  coap_cleanup ();
  return status;
}
