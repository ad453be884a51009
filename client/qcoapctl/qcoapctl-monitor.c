/* SPDX-License-Identifier: MIT */
/* qcoapctl-monitor.c — prints every signal of qcoapd's sessions as it
 * arrives: sessions appearing and going, Received, Ack, Retransmission,
 * Closed, the modem's state, and the network's registration and data
 * contexts (qcoapctl-network.c). One line (or JSON object) per event.
 *
 * The daemon sends a session's signals to its listeners only, so the
 * monitor listens to every session it may (root: all of them; anyone else:
 * their own), as they appear; "listening" says from when on a session's
 * signals will be seen. */
#include "qcoapctl.h"

#include <glib-unix.h>
#include <stdio.h>
#include <unistd.h>

#define ROOT_UID 0

typedef struct
{
  Qcoapctl *ctl;
  GMainLoop *loop;
  char *only_path; /* monitor one session, or NULL for all */
  QcoapctlNetworkWatch *network;
  gboolean no_listen;
  guint name_watch;      /* qcoapd's name on the bus */
  gboolean daemon_known; /* its first appearance, at start, is no news */
} Monitor;

/* "[0]" for the text form; {"event":…,"session":…,"client_id":…, for JSON. */
static GString *
event_start (Monitor *monitor, QcoapClientSession *session, const char *event)
{
  GString *line = g_string_new (NULL);

  if (monitor->ctl->json)
    {
      g_string_append_printf (line, "{\"event\":\"%s\"", event);
      if (session)
        {
          g_string_append (line, ",\"session\":");
          json_append_string (line, qcoap_client_session_get_object_path (session), -1);
          g_string_append_printf (line, ",\"client_id\":%u",
                                  qcoap_client_session_get_client_id (session));
        }
    }
  else if (session)
    g_string_append_printf (line, "[%u] %s", qcoap_client_session_get_client_id (session), event);
  else
    g_string_append (line, event);
  return line;
}

static void
event_end (Monitor *monitor, GString *line)
{
  if (monitor->ctl->json)
    g_string_append_c (line, '}');
  qcoapctl_emit_event (monitor->ctl, line);
}

static void
append_options_text (GString *line, GVariant *options)
{
  GVariantIter iter;
  guint16 number;
  GVariant *value;
  gboolean first = TRUE;

  g_string_append (line, " [");
  g_variant_iter_init (&iter, options);
  while (g_variant_iter_next (&iter, "(qv)", &number, &value))
    {
      g_autofree char *text = format_option (number, value);

      g_string_append_printf (line, "%s%s", first ? "" : ", ", text);
      g_variant_unref (value);
      first = FALSE;
    }
  g_string_append_c (line, ']');
}

static void
on_received (QcoapClientSession *session, QcoapResponse *message, Monitor *monitor)
{
  GString *line = event_start (monitor, session, "received");
  guint16 message_id = qcoap_response_get_message_id (message);
  g_autofree char *token = format_token (qcoap_response_get_token (message));

  if (monitor->ctl->json)
    {
      g_string_append_printf (line, ",\"message_id\":%u,\"token\":\"%s\",", message_id,
                              g_bytes_get_size (qcoap_response_get_token (message)) ? token : "");
      json_append_code_members (line, qcoap_response_get_code (message));
      g_string_append (line, ",\"options\":");
      json_append_options (line, qcoap_response_get_options (message));
      g_string_append_c (line, ',');
      json_append_payload_members (line, qcoap_response_get_payload (message));
    }
  else
    {
      g_autofree char *code = format_code (qcoap_response_get_code (message));
      g_autofree char *payload = format_payload (qcoap_response_get_payload (message));

      g_string_append_printf (line, " mid 0x%04x token %s: %s", message_id, token, code);
      append_options_text (line, qcoap_response_get_options (message));
      g_string_append_printf (line, " %s", payload);
    }
  event_end (monitor, line);
}

static const char *
type_name (guint type)
{
  return qcoap_message_type_to_string (type) ?: "?";
}

static void
on_ack (QcoapClientSession *session, guint type, guint message_id, int result, Monitor *monitor)
{
  GString *line = event_start (monitor, session, "ack");

  if (monitor->ctl->json)
    g_string_append_printf (line, ",\"type\":\"%s\",\"message_id\":%u,\"result\":%d",
                            type_name (type), message_id, result);
  else
    g_string_append_printf (line, " %s mid 0x%04x: %s", type_name (type), message_id,
                            result == 0 ? "delivered" : qcoap_result_describe (result));
  event_end (monitor, line);
}

static void
on_retransmission (QcoapClientSession *session, guint type, guint message_id, guint attempt,
                   int result, Monitor *monitor)
{
  GString *line = event_start (monitor, session, "retransmission");

  if (monitor->ctl->json)
    g_string_append_printf (line, ",\"type\":\"%s\",\"message_id\":%u,\"attempt\":%u,\"result\":%d",
                            type_name (type), message_id, attempt, result);
  else
    g_string_append_printf (line, " %s mid 0x%04x: attempt %u, result %d", type_name (type),
                            message_id, attempt, result);
  event_end (monitor, line);
}

static void
on_closed (QcoapClientSession *session, const char *reason, Monitor *monitor)
{
  GString *line;

  /* The object went without a Closed signal to the monitor (a one-shot
   * Request's session emits none; with --no-listen none comes): the
   * reason is unknown, and "session-removed" follows. */
  if (g_str_equal (reason, "vanished"))
    return;
  line = event_start (monitor, session, "closed");

  if (monitor->ctl->json)
    {
      g_string_append (line, ",\"reason\":");
      json_append_string (line, reason, -1);
    }
  else
    g_string_append_printf (line, ": %s", reason);
  event_end (monitor, line);
  if (monitor->only_path)
    g_main_loop_quit (monitor->loop);
}

static void
watch_session (Monitor *monitor, QcoapClientSession *session)
{
  g_signal_connect (session, "received", G_CALLBACK (on_received), monitor);
  g_signal_connect (session, "ack", G_CALLBACK (on_ack), monitor);
  g_signal_connect (session, "retransmission", G_CALLBACK (on_retransmission), monitor);
  g_signal_connect (session, "closed", G_CALLBACK (on_closed), monitor);
}

static gboolean
may_listen (Monitor *monitor, QcoapClientSession *session)
{
  uid_t uid = geteuid ();

  return !monitor->no_listen
         && (uid == ROOT_UID || qcoap_client_session_get_owner (session) == uid);
}

static void
print_listening (Monitor *monitor, QcoapClientSession *session)
{
  event_end (monitor, event_start (monitor, session, "listening"));
}

static void
on_listening (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Monitor *monitor = user_data;
  QcoapClientSession *session = QCOAP_CLIENT_SESSION (source);
  g_autoptr (GError) error = NULL;

  /* A session that is gone already has nothing more to say. */
  if (qcoap_client_session_listen_finish (session, result, &error))
    print_listening (monitor, session);
  else
    g_debug ("cannot listen to %s: %s", qcoap_client_session_get_object_path (session),
             error->message);
}

static gboolean
is_watched (Monitor *monitor, QcoapClientSession *session)
{
  return monitor->only_path == NULL
         || g_str_equal (monitor->only_path, qcoap_client_session_get_object_path (session));
}

/* "/org/qcoapd/CoAP1/Session/0 192.0.2.10:5683 modem default": the modem
 * only from a daemon that names it. */
static void
print_session_event (Monitor *monitor, QcoapClientSession *session, const char *event)
{
  GString *line = event_start (monitor, session, event);
  const char *modem = qcoapctl_session_modem (monitor->ctl->client, session);

  if (monitor->ctl->json)
    {
      g_string_append (line, ",\"host\":");
      json_append_string (line, qcoap_client_session_get_host (session), -1);
      g_string_append_printf (line,
                              ",\"port\":%u,\"modem\":", qcoap_client_session_get_port (session));
      if (modem)
        json_append_string (line, modem, -1);
      else
        g_string_append (line, "null");
    }
  else
    g_string_append_printf (line, ": %s %s:%u%s%s", qcoap_client_session_get_object_path (session),
                            qcoap_client_session_get_host (session),
                            qcoap_client_session_get_port (session), modem ? " modem " : "",
                            modem ? modem : "");
  event_end (monitor, line);
}

static void
on_session_added (QcoapClient *client, QcoapClientSession *session, Monitor *monitor)
{
  if (!is_watched (monitor, session))
    return;
  print_session_event (monitor, session, "session-added");
  watch_session (monitor, session);
  /* The loop stops before the monitor goes, and with it this call. */
  if (may_listen (monitor, session))
    qcoap_client_session_listen (session, NULL, on_listening, monitor);
}

static void
on_session_removed (QcoapClient *client, QcoapClientSession *session, Monitor *monitor)
{
  if (!is_watched (monitor, session))
    return;
  g_signal_handlers_disconnect_by_data (session, monitor);
  print_session_event (monitor, session, "session-removed");
  if (monitor->only_path)
    g_main_loop_quit (monitor->loop);
}

static void
on_state_changed (QcoapClient *client, GParamSpec *pspec, Monitor *monitor)
{
  GString *line = event_start (monitor, NULL, "modem-state");

  if (monitor->ctl->json)
    {
      g_string_append (line, ",\"state\":");
      json_append_string (line, qcoap_client_get_state (client), -1);
    }
  else
    g_string_append_printf (line, ": %s", qcoap_client_get_state (client));
  event_end (monitor, line);
}

static void
print_daemon_event (Monitor *monitor, gboolean on_bus)
{
  GString *line = event_start (monitor, NULL, "daemon");

  if (monitor->ctl->json)
    g_string_append_printf (line, ",\"on_bus\":%s", on_bus ? "true" : "false");
  else
    g_string_append (line, on_bus ? ": qcoapd is back on the bus" : ": qcoapd left the bus");
  event_end (monitor, line);
}

static void
on_daemon_appeared (GDBusConnection *connection, const char *name, const char *owner,
                    gpointer user_data)
{
  Monitor *monitor = user_data;

  if (monitor->daemon_known)
    print_daemon_event (monitor, TRUE);
  monitor->daemon_known = TRUE;
}

static void
on_daemon_vanished (GDBusConnection *connection, const char *name, gpointer user_data)
{
  Monitor *monitor = user_data;

  /* Only once it was there: the watch's end on a closed connection is not. */
  if (monitor->daemon_known && !g_dbus_connection_is_closed (connection))
    print_daemon_event (monitor, FALSE);
}

static gboolean
on_stop_signal (gpointer user_data)
{
  Monitor *monitor = user_data;

  g_main_loop_quit (monitor->loop);
  return G_SOURCE_CONTINUE;
}

static void
on_connection_closed (GDBusConnection *connection, gboolean remote_peer_vanished, GError *error,
                      Monitor *monitor)
{
  g_printerr ("qcoapctl: the bus connection closed\n");
  g_main_loop_quit (monitor->loop);
}

/* Connects to the client's and the sessions' signals and says so; returns
 * the sessions watched from the start. */
static GList *
start_watching (Monitor *monitor)
{
  Qcoapctl *ctl = monitor->ctl;
  GList *sessions;
  GString *line;

  g_signal_connect (ctl->client, "session-added", G_CALLBACK (on_session_added), monitor);
  g_signal_connect (ctl->client, "session-removed", G_CALLBACK (on_session_removed), monitor);
  g_signal_connect (ctl->client, "notify::state", G_CALLBACK (on_state_changed), monitor);
  g_signal_connect (qcoap_client_get_connection (ctl->client), "closed",
                    G_CALLBACK (on_connection_closed), monitor);
  monitor->name_watch = g_bus_watch_name_on_connection (
      qcoap_client_get_connection (ctl->client), QCOAP_SERVICE_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
      on_daemon_appeared, on_daemon_vanished, monitor, NULL);
  sessions = qcoap_client_get_sessions (ctl->client);
  for (GList *l = sessions; l; l = l->next)
    if (is_watched (monitor, l->data))
      {
        print_session_event (monitor, l->data, "session");
        watch_session (monitor, l->data);
        if (may_listen (monitor, l->data) && qcoap_client_session_listen_sync (l->data, NULL, NULL))
          print_listening (monitor, l->data);
      }

  monitor->network = qcoapctl_network_watch_start (ctl);

  /* Tells a reader that everything from now on will be seen. */
  line = event_start (monitor, NULL, "monitoring");
  if (!ctl->json)
    g_string_append_printf (line, " %s (modem %s, %s); Ctrl-C stops",
                            monitor->only_path ? monitor->only_path : "all sessions",
                            qcoap_client_get_state (ctl->client),
                            qcoapctl_network_watch_get_registration (monitor->network));
  event_end (monitor, line);

  return sessions;
}

int
qcoapctl_monitor (Qcoapctl *ctl, int argc, char **argv)
{
  Monitor monitor = { ctl, NULL, NULL, NULL, FALSE, 0, FALSE };
  GOptionEntry entries[] = {
    { "no-listen", 0, 0, G_OPTION_ARG_NONE, &monitor.no_listen,
      "Do not listen to sessions: show only sessions appearing and going, the modem and the "
      "network",
      NULL },
    { NULL },
  };
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  GList *sessions;
  guint sources[2];

  if (!qcoapctl_parse (ctl, "monitor", "[SESSION]",
                       "Prints every signal of every session (or of SESSION, a client ID or an "
                       "object path) as it arrives, until interrupted: codes as “2.05 Content”, "
                       "options by name, payloads as text when printable, else as hex. "
                       "Listens to the sessions it may (root: all; others: their own).",
                       entries, &argc, &argv))
    return QCOAPCTL_EXIT_USAGE;
  if (argc > 2)
    return qcoapctl_usage_error (ctl, "monitor takes at most one SESSION");
  if (!qcoapctl_connect (ctl))
    return ctl->connect_status;

  monitor.loop = loop;
  if (argc == 2)
    {
      QcoapClientSession *session = qcoapctl_find_session (ctl, argv[1]);

      if (session == NULL)
        return QCOAPCTL_EXIT_FAILURE;
      monitor.only_path = g_strdup (qcoap_client_session_get_object_path (session));
    }

  sessions = start_watching (&monitor);
  sources[0] = g_unix_signal_add (SIGINT, on_stop_signal, &monitor);
  sources[1] = g_unix_signal_add (SIGTERM, on_stop_signal, &monitor);
  g_main_loop_run (loop);
  g_source_remove (sources[0]);
  g_source_remove (sources[1]);

  for (GList *l = sessions; l; l = l->next)
    g_signal_handlers_disconnect_by_data (l->data, &monitor);
  g_list_free_full (sessions, g_object_unref);
  g_signal_handlers_disconnect_by_data (ctl->client, &monitor);
  qcoapctl_network_watch_stop (monitor.network);
  g_bus_unwatch_name (monitor.name_watch);
  g_signal_handlers_disconnect_by_data (qcoap_client_get_connection (ctl->client), &monitor);
  g_free (monitor.only_path);
  return QCOAPCTL_EXIT_OK;
}
