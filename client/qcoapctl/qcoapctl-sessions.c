/* SPDX-License-Identifier: MIT */
/* qcoapctl-sessions.c — open, close, sessions and status. */
#include "qcoapctl.h"

#include <glib-unix.h>
#include <stdio.h>
#include <pwd.h>
#include <string.h>

/* ---- open ---- */

typedef struct
{
  gboolean persistent;
  gboolean no_listen;
  char *psk_identity;
  char *psk_key;
  char *psk_key_file;
  gint client_id;
  gint pdp_context;
  gint ack_timeout;
  gint max_retransmit;
  gint idle_timeout;
  gint wait_s;
  char *modem;
} OpenArgs;

static void
open_args_clear (OpenArgs *args)
{
  g_clear_pointer (&args->psk_identity, g_free);
  g_clear_pointer (&args->psk_key, g_free);
  g_clear_pointer (&args->psk_key_file, g_free);
  g_clear_pointer (&args->modem, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (OpenArgs, open_args_clear)

static GVariant *
open_options (OpenArgs *args)
{
  g_autoptr (GVariantDict) dict = g_variant_dict_new (NULL);

  if (args->persistent)
    g_variant_dict_insert (dict, "persistent", "b", TRUE);
  /* A held session tells why it closed, if it listens; a persistent one is
   * left behind at once. */
  g_variant_dict_insert (dict, "listen", "b", !args->no_listen && !args->persistent);
  if (args->psk_identity)
    g_variant_dict_insert (dict, "dtls-psk-identity", "s", args->psk_identity);
  if (args->psk_key)
    g_variant_dict_insert_value (
        dict, "dtls-psk-key",
        g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, args->psk_key, strlen (args->psk_key), 1));
  if (args->client_id >= 0)
    g_variant_dict_insert (dict, "client-id", "y", (guint8)args->client_id);
  if (args->pdp_context > 0)
    g_variant_dict_insert (dict, "pdp-context", "y", (guint8)args->pdp_context);
  if (args->ack_timeout > 0)
    g_variant_dict_insert (dict, "ack-timeout", "u", (guint32)args->ack_timeout);
  if (args->max_retransmit > 0)
    g_variant_dict_insert (dict, "max-retransmit", "u", (guint32)args->max_retransmit);
  if (args->idle_timeout > 0)
    g_variant_dict_insert (dict, "idle-timeout", "u", (guint32)args->idle_timeout);
  /* Seconds on the command line, milliseconds in the API. */
  if (args->wait_s > 0)
    g_variant_dict_insert (dict, "timeout", "u", (guint32)args->wait_s * 1000);
  if (args->modem)
    g_variant_dict_insert (dict, "modem", "s", args->modem);
  return g_variant_dict_end (dict);
}

static void
print_opened (Qcoapctl *ctl, QcoapClientSession *session)
{
  if (ctl->json)
    g_print ("{\"session\":\"%s\",\"client_id\":%u}\n",
             qcoap_client_session_get_object_path (session),
             qcoap_client_session_get_client_id (session));
  else
    g_print ("%s\n", qcoap_client_session_get_object_path (session));
  fflush (stdout);
}

typedef struct
{
  GMainLoop *loop;
  const char *closed_reason;
} HoldState;

static gboolean
on_stop_signal (gpointer user_data)
{
  HoldState *state = user_data;

  g_main_loop_quit (state->loop);
  return G_SOURCE_CONTINUE;
}

static void
on_held_session_closed (QcoapClientSession *session, const char *reason, HoldState *state)
{
  state->closed_reason = g_intern_string (reason);
  g_main_loop_quit (state->loop);
}

/* A session that is not persistent lives as long as our connection: keep it
 * open until SIGINT, SIGTERM or SIGHUP, then close it. */
static int
hold_session (Qcoapctl *ctl, QcoapClientSession *session)
{
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  HoldState state = { loop, NULL };
  g_autoptr (GError) error = NULL;
  guint sources[3];
  int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };

  for (gsize i = 0; i < G_N_ELEMENTS (stop_signals); i++)
    sources[i] = g_unix_signal_add (stop_signals[i], on_stop_signal, &state);
  g_signal_connect (session, "closed", G_CALLBACK (on_held_session_closed), &state);
  g_main_loop_run (loop);
  g_signal_handlers_disconnect_by_data (session, &state);
  for (gsize i = 0; i < G_N_ELEMENTS (sources); i++)
    g_source_remove (sources[i]);

  if (state.closed_reason)
    {
      g_printerr ("qcoapctl: the session closed (%s)\n", state.closed_reason);
      return QCOAPCTL_EXIT_FAILURE;
    }
  if (!qcoap_client_session_close_sync (session, NULL, &error))
    return qcoapctl_report_error (ctl, error);
  return QCOAPCTL_EXIT_OK;
}

int
qcoapctl_open (Qcoapctl *ctl, int argc, char **argv)
{
  g_auto (OpenArgs) args = { .client_id = -1 };
  GOptionEntry entries[] = {
    { "persistent", 0, 0, G_OPTION_ARG_NONE, &args.persistent,
      "Keep the session after qcoapctl exits (until closed, or idle)", NULL },
    { "no-listen", 0, 0, G_OPTION_ARG_NONE, &args.no_listen,
      "Do not hear the session's signals (other programs may listen)", NULL },
    { "psk-identity", 'u', 0, G_OPTION_ARG_STRING, &args.psk_identity,
      "Use DTLS with this PSK identity", "IDENTITY" },
    { "psk-key", 'k', 0, G_OPTION_ARG_STRING, &args.psk_key,
      "Use DTLS with this PSK key (other users can see it in ps)", "KEY" },
    { "psk-key-file", 0, 0, G_OPTION_ARG_FILENAME, &args.psk_key_file,
      "Read the PSK key from FILE's first line (-: standard input)", "FILE" },
    { "client-id", 0, 0, G_OPTION_ARG_INT, &args.client_id, "Ask for this client ID (0-5)", "ID" },
    { "pdp-context", 0, 0, G_OPTION_ARG_INT, &args.pdp_context, "PDP context (1-16)", "N" },
    { "ack-timeout", 0, 0, G_OPTION_ARG_INT, &args.ack_timeout,
      "Initial acknowledgement timeout in seconds (2-60)", "S" },
    { "max-retransmit", 0, 0, G_OPTION_ARG_INT, &args.max_retransmit,
      "Retransmissions of a confirmable message (4-8)", "N" },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &args.idle_timeout,
      "Close a persistent session unused for S seconds", "S" },
    { "wait", 'B', 0, G_OPTION_ARG_INT, &args.wait_s,
      "Wait at most SECONDS for the modem to connect", "SECONDS" },
    { "modem", 0, 0, G_OPTION_ARG_STRING, &args.modem,
      "Open the session on this modem (its name, or object path)", "NAME" },
    { NULL },
  };
  g_autoptr (QcoapClientSession) session = NULL;
  g_autoptr (GError) error = NULL;
  guint64 port = 5683;

  if (!qcoapctl_parse (ctl, "open", "HOST [PORT]",
                       "Opens a session to HOST (port 5683 unless given) and prints its object "
                       "path. With --persistent the session outlives qcoapctl; otherwise "
                       "qcoapctl keeps it open until interrupted (Ctrl-C), then closes it.",
                       entries, &argc, &argv))
    return QCOAPCTL_EXIT_USAGE;
  if (argc < 2 || argc > 3)
    return qcoapctl_usage_error (ctl, "open takes HOST and an optional PORT");
  if (argc == 3 && !g_ascii_string_to_unsigned (argv[2], 10, 1, 65535, &port, NULL))
    return qcoapctl_usage_error (ctl, "“%s” is not a port (1-65535)", argv[2]);
  if (qcoapctl_read_psk_key_file (ctl, args.psk_key_file, &args.psk_key) != QCOAPCTL_EXIT_OK)
    return QCOAPCTL_EXIT_USAGE;
  if ((args.psk_identity == NULL) != (args.psk_key == NULL))
    return qcoapctl_usage_error (ctl, "-u and -k go together");
  if (args.wait_s < 0 || args.wait_s > 600)
    return qcoapctl_usage_error (ctl, "-B takes a number of seconds, up to 600");

  if (!qcoapctl_connect (ctl))
    return ctl->connect_status;
  session = qcoap_client_open_sync (ctl->client, argv[1], port, open_options (&args), NULL, &error);
  if (session == NULL)
    return qcoapctl_report_error (ctl, error);
  print_opened (ctl, session);
  if (args.persistent)
    return QCOAPCTL_EXIT_OK;
  return hold_session (ctl, session);
}

/* ---- close ---- */

int
qcoapctl_close (Qcoapctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  QcoapClientSession *session;

  if (!qcoapctl_parse (ctl, "close", "SESSION",
                       "Closes SESSION, given as a client ID (0-5) or an object path.", NULL, &argc,
                       &argv))
    return QCOAPCTL_EXIT_USAGE;
  if (argc != 2)
    return qcoapctl_usage_error (ctl, "close takes one SESSION");
  if (!qcoapctl_connect (ctl))
    return ctl->connect_status;
  session = qcoapctl_find_session (ctl, argv[1]);
  if (session == NULL)
    return QCOAPCTL_EXIT_FAILURE;
  if (!qcoap_client_session_close_sync (session, NULL, &error))
    return qcoapctl_report_error (ctl, error);
  if (ctl->json)
    g_print ("{\"closed\":\"%s\"}\n", qcoap_client_session_get_object_path (session));
  return QCOAPCTL_EXIT_OK;
}

/* ---- sessions ---- */

static void
json_append_session (GString *json, QcoapClient *client, QcoapClientSession *session)
{
  const char *modem = qcoapctl_session_modem (client, session);

  g_string_append (json, "{\"session\":");
  json_append_string (json, qcoap_client_session_get_object_path (session), -1);
  g_string_append_printf (
      json, ",\"client_id\":%u,\"host\":", qcoap_client_session_get_client_id (session));
  json_append_string (json, qcoap_client_session_get_host (session), -1);
  g_string_append_printf (json,
                          ",\"port\":%u,\"secure\":%s,\"persistent\":%s,\"owner\":%u,\"state\":",
                          qcoap_client_session_get_port (session),
                          qcoap_client_session_get_secure (session) ? "true" : "false",
                          qcoap_client_session_get_persistent (session) ? "true" : "false",
                          qcoap_client_session_get_owner (session));
  json_append_string (json, qcoap_client_session_get_state (session), -1);
  g_string_append (json, ",\"modem\":");
  if (modem)
    json_append_string (json, modem, -1);
  else
    g_string_append (json, "null");
  g_string_append_c (json, '}');
}

static void
json_append_sessions (GString *json, QcoapClient *client, GList *sessions)
{
  g_string_append_c (json, '[');
  for (GList *l = sessions; l; l = l->next)
    {
      json_append_session (json, client, l->data);
      if (l->next)
        g_string_append_c (json, ',');
    }
  g_string_append_c (json, ']');
}

/* "root", or the number when the user has no name here. */
static char *
owner_name (guint uid)
{
  struct passwd *entry = getpwuid ((uid_t)uid);

  return entry ? g_strdup (entry->pw_name) : g_strdup_printf ("%u", uid);
}

/* "0  coaps://127.0.0.1:5684  open  owner root  persistent  modem default" */
static char *
describe_session (QcoapClient *client, QcoapClientSession *session)
{
  const char *modem = qcoapctl_session_modem (client, session);
  gboolean secure = qcoap_client_session_get_secure (session);
  const char *host = qcoap_client_session_get_host (session);
  gboolean ipv6 = strchr (host, ':') != NULL;
  g_autofree char *owner = owner_name (qcoap_client_session_get_owner (session));

  return g_strdup_printf (
      "%u  %s://%s%s%s:%u  %s  owner %s%s%s%s", qcoap_client_session_get_client_id (session),
      secure ? "coaps" : "coap", ipv6 ? "[" : "", host, ipv6 ? "]" : "",
      qcoap_client_session_get_port (session), qcoap_client_session_get_state (session), owner,
      qcoap_client_session_get_persistent (session) ? "  persistent" : "", modem ? "  modem " : "",
      modem ? modem : "");
}

int
qcoapctl_sessions (Qcoapctl *ctl, int argc, char **argv)
{
  GList *sessions;

  if (!qcoapctl_parse (ctl, "sessions", "",
                       "Lists the sessions: client ID, server, state, and whether persistent.",
                       NULL, &argc, &argv))
    return QCOAPCTL_EXIT_USAGE;
  if (argc != 1)
    return qcoapctl_usage_error (ctl, "sessions takes no arguments");
  if (!qcoapctl_connect (ctl))
    return ctl->connect_status;

  sessions = qcoap_client_get_sessions (ctl->client);
  if (ctl->json)
    {
      g_autoptr (GString) json = g_string_new (NULL);

      json_append_sessions (json, ctl->client, sessions);
      g_print ("%s\n", json->str);
    }
  else if (sessions == NULL)
    g_print ("No sessions\n");
  else
    for (GList *l = sessions; l; l = l->next)
      {
        g_autofree char *text = describe_session (ctl->client, l->data);

        g_print ("%s  %s\n", qcoap_client_session_get_object_path (l->data), text);
      }
  g_list_free_full (sessions, g_object_unref);
  return QCOAPCTL_EXIT_OK;
}

/* ---- status ---- */

static const char rule[] = "  ----------------------------\n";

static void
print_field (const char *section, const char *key, const char *value)
{
  g_print ("  %-9s| %13s: %s\n", section, key, value && *value ? value : "unknown");
}

/* One block per modem; the manager's own properties from a daemon that
 * lists none, as such a daemon's status always looked. */
static void
print_modems_text (QcoapClient *client)
{
  g_autoptr (GPtrArray) modems = qcoapctl_get_modems (client);
  g_autoptr (GVariant) manager = NULL;

  if (modems == NULL)
    {
      manager = qcoapctl_manager_modem (client);
      qcoapctl_print_modem_text (manager, rule, print_field);
      return;
    }
  for (guint i = 0; i < modems->len; i++)
    qcoapctl_print_modem_text (modems->pdata[i], rule, print_field);
}

static void
print_status_text (QcoapClient *client, GList *sessions)
{
  print_modems_text (client);
  g_print ("%s", rule);
  if (sessions == NULL)
    print_field ("Sessions", "sessions", "none");
  for (GList *l = sessions; l; l = l->next)
    {
      g_autofree char *key = g_strdup_printf ("%u", qcoap_client_session_get_client_id (l->data));
      g_autofree char *text = describe_session (client, l->data);

      /* The ID is in the key already. */
      print_field (l == sessions ? "Sessions" : "", key, strchr (text, ' ') + 2);
    }
  g_print ("%s", rule);
  print_field ("Daemon", "version", qcoap_client_get_version (client));
}

/* "modems": an array of objects, empty from a daemon that lists none. */
static void
json_append_modems (GString *json, QcoapClient *client)
{
  g_autoptr (GPtrArray) modems = qcoapctl_get_modems (client);

  g_string_append (json, "\"modems\":[");
  for (guint i = 0; modems && i < modems->len; i++)
    {
      if (i > 0)
        g_string_append_c (json, ',');
      qcoapctl_append_modem_json (json, modems->pdata[i]);
    }
  g_string_append_c (json, ']');
}

/* The first modem's members (the manager's properties), as before there
 * were several, then "modems" and "sessions". */
static void
print_status_json (QcoapClient *client, GList *sessions)
{
  g_autoptr (GString) json = g_string_new ("{");
  g_autoptr (GVariant) manager = qcoapctl_manager_modem (client);
  const struct
  {
    const char *key;
    const char *value;
  } fields[] = {
    { "state", qcoap_client_get_state (client) },
    { "state_reason", qcoap_client_get_state_reason (client) },
    { "device", qcoap_client_get_device (client) },
    { "manufacturer", qcoap_client_get_manufacturer (client) },
    { "model", qcoap_client_get_model (client) },
    { "revision", qcoap_client_get_revision (client) },
    { "imei", qcoap_client_get_imei (client) },
    { "version", qcoap_client_get_version (client) },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_string_append_printf (json, "\"%s\":", fields[i].key);
      json_append_string (json, fields[i].value, -1);
      g_string_append_c (json, ',');
    }
  qcoapctl_append_network_json (json, manager);
  g_string_append_printf (json, ",\"free_clients\":%u,", qcoap_client_get_free_clients (client));
  json_append_modems (json, client);
  g_string_append (json, ",\"sessions\":");
  json_append_sessions (json, client, sessions);
  g_string_append_c (json, '}');
  g_print ("%s\n", json->str);
}

int
qcoapctl_status (Qcoapctl *ctl, int argc, char **argv)
{
  GList *sessions;

  if (!qcoapctl_parse (ctl, "status", "",
                       "Shows each modem's name, state and identity, its network "
                       "(registration, technology, operator, signal), data contexts and free "
                       "client IDs, then the sessions and the daemon's version.",
                       NULL, &argc, &argv))
    return QCOAPCTL_EXIT_USAGE;
  if (argc != 1)
    return qcoapctl_usage_error (ctl, "status takes no arguments");
  if (!qcoapctl_connect (ctl))
    return ctl->connect_status;

  sessions = qcoap_client_get_sessions (ctl->client);
  if (ctl->json)
    print_status_json (ctl->client, sessions);
  else
    print_status_text (ctl->client, sessions);
  g_list_free_full (sessions, g_object_unref);
  return QCOAPCTL_EXIT_OK;
}
