/* SPDX-License-Identifier: MIT */
/* qcoapctl-request.c — get, post, put and delete, with coap-client's
 * habits: -B SECONDS bounds the wait, -T HEX is the token, -o FILE takes
 * the payload, the payload goes to stdout as it is and the code and options
 * to stderr with -v. */
#include "qcoapctl.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define COAP_PORT  5683
#define COAPS_PORT 5684
#define MAX_WAIT_S 600

typedef struct
{
  MessageArgs message;
  gboolean non_confirmable;
  char *psk_identity;
  char *psk_key;
  char *psk_key_file;
  gint wait_s;
  char *token;
  char *output;
  char *use_session;
  char *modem;
} RequestArgs;

static void
request_args_clear (RequestArgs *args)
{
  message_args_clear (&args->message);
  g_clear_pointer (&args->psk_identity, g_free);
  g_clear_pointer (&args->psk_key, g_free);
  g_clear_pointer (&args->psk_key_file, g_free);
  g_clear_pointer (&args->token, g_free);
  g_clear_pointer (&args->output, g_free);
  g_clear_pointer (&args->use_session, g_free);
  g_clear_pointer (&args->modem, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RequestArgs, request_args_clear)

static GOptionEntry *
request_entries (RequestArgs *args)
{
  g_autofree GOptionEntry *message = message_args_entries (&args->message);
  GOptionEntry own[] = {
    { "non-confirmable", 'N', 0, G_OPTION_ARG_NONE, &args->non_confirmable,
      "Send a non-confirmable (NON) request", NULL },
    { "psk-identity", 'u', 0, G_OPTION_ARG_STRING, &args->psk_identity,
      "DTLS-PSK identity (coaps://)", "IDENTITY" },
    { "psk-key", 'k', 0, G_OPTION_ARG_STRING, &args->psk_key,
      "DTLS-PSK key (coaps://); other users can see it in ps", "KEY" },
    { "psk-key-file", 0, 0, G_OPTION_ARG_FILENAME, &args->psk_key_file,
      "Read the DTLS-PSK key from FILE's first line (-: standard input)", "FILE" },
    { "wait", 'B', 0, G_OPTION_ARG_INT, &args->wait_s, "Wait at most SECONDS for the response",
      "SECONDS" },
    { "token", 'T', 0, G_OPTION_ARG_STRING, &args->token,
      "Send the request with this token (hex, 1-8 bytes)", "HEX" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &args->output,
      "Write the response's payload to FILE instead of stdout", "FILE" },
    { "use", 'S', 0, G_OPTION_ARG_STRING, &args->use_session,
      "Send on this open session (client ID or object path); URI may then be a path", "SESSION" },
    { "modem", 0, 0, G_OPTION_ARG_STRING, &args->modem,
      "Send through this modem (its name, or object path)", "NAME" },
    { NULL },
  };

  return qcoapctl_entries_concat (message, own);
}

/* ---- output ---- */

static void
print_verbose (QcoapResponse *response)
{
  g_autofree char *code = format_code (qcoap_response_get_code (response));
  GVariantIter iter;
  guint16 number;
  GVariant *value;

  g_printerr ("%s\n", code);
  g_variant_iter_init (&iter, qcoap_response_get_options (response));
  while (g_variant_iter_next (&iter, "(qv)", &number, &value))
    {
      g_autofree char *text = format_option (number, value);

      g_printerr ("%s\n", text);
      g_variant_unref (value);
    }
}

/* The modem delivers one datagram and cannot ask for a body's further
 * blocks: say so, rather than pass the first block off as the body. */
static void
warn_if_truncated (QcoapResponse *response)
{
  gsize length = g_bytes_get_size (qcoap_response_get_payload (response));
  guint total;

  if (!qcoap_response_is_truncated (response, &total))
    return;
  if (total > 0)
    g_printerr ("qcoapctl: response truncated: %" G_GSIZE_FORMAT " of %u bytes; the modem cannot "
                "ask for further blocks\n",
                length, total);
  else
    g_printerr ("qcoapctl: response truncated: %" G_GSIZE_FORMAT " bytes of more; the modem "
                "cannot ask for further blocks\n",
                length);
}

static int
write_payload (Qcoapctl *ctl, RequestArgs *args, GBytes *payload)
{
  gsize length;
  const char *data = g_bytes_get_data (payload, &length);
  g_autoptr (GError) error = NULL;

  if (args->output)
    {
      if (!g_file_set_contents (args->output, data ? data : "", length, &error))
        return qcoapctl_report_error (ctl, error);
      return QCOAPCTL_EXIT_OK;
    }
  if (ctl->json || length == 0)
    return QCOAPCTL_EXIT_OK;
  fwrite (data, 1, length, stdout);
  /* A terminal gets its prompt back on a line of its own; pipes and files
   * get the payload exactly. */
  if (isatty (STDOUT_FILENO) && data[length - 1] != '\n')
    fputc ('\n', stdout);
  return QCOAPCTL_EXIT_OK;
}

static int
print_response (Qcoapctl *ctl, RequestArgs *args, QcoapResponse *response)
{
  int status;

  if (ctl->verbose)
    print_verbose (response);
  else if (!qcoap_response_is_success (response))
    {
      /* As coap-client does: an error response says what it was, even
       * when its payload (a diagnostic) goes to stdout. */
      g_autofree char *code = format_code (qcoap_response_get_code (response));

      g_printerr ("%s\n", code);
    }
  warn_if_truncated (response);
  if (ctl->json)
    {
      g_autofree char *json = json_response (response);

      g_print ("%s\n", json);
    }
  status = write_payload (ctl, args, qcoap_response_get_payload (response));
  fflush (stdout);
  if (status != QCOAPCTL_EXIT_OK)
    return status;
  status = qcoapctl_exit_for_code (qcoap_response_get_code (response));
  if (status == QCOAPCTL_EXIT_OK && qcoap_response_is_truncated (response, NULL))
    return QCOAPCTL_EXIT_TRUNCATED;
  return status;
}

/* ---- the URI ---- */

static GUri *
parse_coap_uri (const char *text)
{
  g_autoptr (GUri) uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  const char *scheme;

  if (uri == NULL)
    return NULL;
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "coap") != 0 && g_ascii_strcasecmp (scheme, "coaps") != 0)
    return NULL;
  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return NULL;
  return g_steal_pointer (&uri);
}

static gboolean
is_secure (GUri *uri)
{
  return g_ascii_strcasecmp (g_uri_get_scheme (uri), "coaps") == 0;
}

static guint16
port_of_uri (GUri *uri)
{
  int port = g_uri_get_port (uri);

  return port > 0 ? port : (is_secure (uri) ? COAPS_PORT : COAP_PORT);
}

/* Path and query of a URI, percent-decoded ("/a/b?x=1&y=2"). */
static char *
path_of_uri (GUri *uri)
{
  const char *query = g_uri_get_query (uri);
  const char *path = g_uri_get_path (uri);

  if (query)
    return g_strdup_printf ("%s?%s", path, query);
  return g_strdup (path);
}

/* A URI given with --use must name the session's server: the request
 * would otherwise go somewhere the user did not write. */
static QcoapctlExit
check_session_server (Qcoapctl *ctl, QcoapClientSession *session, GUri *uri)
{
  const char *host = qcoap_client_session_get_host (session);
  guint16 port = qcoap_client_session_get_port (session);

  if (uri == NULL)
    return QCOAPCTL_EXIT_OK;
  if (g_ascii_strcasecmp (g_uri_get_host (uri), host) == 0 && port_of_uri (uri) == port
      && is_secure (uri) == qcoap_client_session_get_secure (session))
    return QCOAPCTL_EXIT_OK;
  return qcoapctl_usage_error (ctl,
                               "session %u is connected to %s:%u, not to the server of the URI "
                               "(give just the path, or the session's server)",
                               qcoap_client_session_get_client_id (session), host, port);
}

/* ---- the three ways of sending ---- */

/* What the session the request goes on is opened with, whether qcoapctl
 * opens it or the one-shot Request does. */
static void
add_session_settings (GVariantDict *dict, RequestArgs *args)
{
  if (args->modem)
    g_variant_dict_insert (dict, "modem", "s", args->modem);
  if (args->psk_identity)
    g_variant_dict_insert (dict, "dtls-psk-identity", "s", args->psk_identity);
  if (args->psk_key)
    g_variant_dict_insert_value (
        dict, "dtls-psk-key",
        g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, args->psk_key, strlen (args->psk_key), 1));
}

typedef struct
{
  guint8 method;
  GVariant *options;
  GBytes *payload;
  GBytes *token;
} Message;

static int
request_on_session (Qcoapctl *ctl, QcoapClientSession *session, const char *path,
                    const Message *message, RequestArgs *args)
{
  ExchangeRequest request = {
    .method = message->method,
    .path = path,
    .options = message->options,
    .payload = message->payload,
    .confirmable = !args->non_confirmable,
    .wait_s = args->wait_s,
    .token = message->token,
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapResponse) response = qcoapctl_exchange (ctl, session, &request, &error);

  if (response == NULL)
    return qcoapctl_report_error (ctl, error);
  return print_response (ctl, args, response);
}

/* A session of qcoapctl's own, for what the one-shot Request of the API
 * cannot do: a NON request, a token of the user's, or watching the
 * retransmissions (-v), which a one-shot request does not report. */
static int
request_own_session (Qcoapctl *ctl, GUri *uri, const Message *message, RequestArgs *args)
{
  g_autoptr (GVariantDict) open_options = g_variant_dict_new (NULL);
  g_autoptr (QcoapClientSession) session = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = path_of_uri (uri);
  int status;

  add_session_settings (open_options, args);
  if (args->wait_s > 0)
    g_variant_dict_insert (open_options, "timeout", "u", args->wait_s * 1000);
  session = qcoap_client_open_sync (ctl->client, g_uri_get_host (uri), port_of_uri (uri),
                                    g_variant_dict_end (open_options), NULL, &error);
  if (session == NULL)
    return qcoapctl_report_error (ctl, error);
  status = request_on_session (ctl, session, path, message, args);
  if (!qcoap_client_session_close_sync (session, NULL, &error))
    g_printerr ("qcoapctl: closing the session failed: %s\n", error->message);
  return status;
}

static int
request_one_shot (Qcoapctl *ctl, const char *uri_text, const Message *message, RequestArgs *args)
{
  g_autoptr (GVariantDict) flags = g_variant_dict_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapResponse) response = NULL;

  add_session_settings (flags, args);
  if (args->wait_s > 0)
    g_variant_dict_insert (flags, "timeout", "u", args->wait_s * 1000);
  response = qcoap_client_request_sync (ctl->client, message->method, uri_text, message->options,
                                        message->payload, g_variant_dict_end (flags), NULL, &error);
  if (response == NULL)
    return qcoapctl_report_error (ctl, error);
  return print_response (ctl, args, response);
}

static int
request_on_named_session (Qcoapctl *ctl, const char *target, GUri *uri, const Message *message,
                          RequestArgs *args)
{
  QcoapClientSession *session = qcoapctl_find_session (ctl, args->use_session);
  g_autofree char *path = uri ? path_of_uri (uri) : g_strdup (target);

  if (session == NULL)
    return QCOAPCTL_EXIT_FAILURE;
  if (check_session_server (ctl, session, uri) != QCOAPCTL_EXIT_OK)
    return QCOAPCTL_EXIT_USAGE;
  return request_on_session (ctl, session, path, message, args);
}

/* ---- the command ---- */

/* What can be found wrong before anything is sent. */
static QcoapctlExit
check_arguments (Qcoapctl *ctl, RequestArgs *args, const char *target, GUri *uri,
                 GBytes **out_token)
{
  QcoapctlExit status = qcoapctl_read_psk_key_file (ctl, args->psk_key_file, &args->psk_key);

  if (status != QCOAPCTL_EXIT_OK)
    return status;
  if (uri == NULL && !(args->use_session && target[0] == '/'))
    return qcoapctl_usage_error (ctl, "“%s” is not a coap:// or coaps:// URI", target);
  if (uri && is_secure (uri) && !args->use_session
      && (args->psk_identity == NULL || args->psk_key == NULL))
    return qcoapctl_usage_error (ctl, "coaps:// needs a DTLS-PSK identity and key (-u and -k)");
  if ((args->psk_identity == NULL) != (args->psk_key == NULL))
    return qcoapctl_usage_error (ctl, "-u and -k go together");
  /* An open session's modem is chosen already. */
  if (args->modem && args->use_session)
    return qcoapctl_usage_error (ctl, "-M and -S do not go together");
  /* The daemon takes milliseconds, up to 600 000. */
  if (args->wait_s < 0 || args->wait_s > MAX_WAIT_S)
    return qcoapctl_usage_error (ctl, "-B takes a number of seconds, up to 600");
  if (args->token && (*out_token = qcoapctl_parse_hex (args->token, 8)) == NULL)
    return qcoapctl_usage_error (ctl, "-T takes a token of 1-8 bytes in hex, not “%s”",
                                 args->token);
  if (*out_token && g_bytes_get_size (*out_token) == 0)
    return qcoapctl_usage_error (ctl, "-T takes a token of 1-8 bytes in hex, not “”");
  return QCOAPCTL_EXIT_OK;
}

static int
send_request (Qcoapctl *ctl, RequestArgs *args, const char *target, GUri *uri,
              const Message *message)
{
  if (!qcoapctl_connect (ctl))
    return ctl->connect_status;
  if (args->use_session)
    return request_on_named_session (ctl, target, uri, message, args);
  if (args->non_confirmable || message->token || ctl->verbose)
    return request_own_session (ctl, uri, message, args);
  return request_one_shot (ctl, target, message, args);
}

int
qcoapctl_request (Qcoapctl *ctl, guint8 method, int argc, char **argv)
{
  g_auto (RequestArgs) args = { 0 };
  g_autofree GOptionEntry *entries = request_entries (&args);
  g_autoptr (GVariantBuilder) options = g_variant_builder_new (G_VARIANT_TYPE ("a(qv)"));
  g_autoptr (GVariant) options_value = NULL;
  g_autoptr (GBytes) payload = NULL;
  g_autoptr (GBytes) token = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GUri) uri = NULL;
  g_autofree char *command = g_ascii_strdown (qcoap_code_get_description (method), -1);

  if (!qcoapctl_parse (ctl, command, "URI",
                       "Sends a confirmable request (-N: non-confirmable) to URI, "
                       "coap://host[:port]/path?query or coaps://…, and prints the response's "
                       "payload to stdout (-v: its code and options, and each retransmission, to "
                       "stderr).",
                       entries, &argc, &argv))
    return QCOAPCTL_EXIT_USAGE;
  if (argc != 2)
    return qcoapctl_usage_error (ctl, "%s takes one URI", command);
  if (!message_args_build (&args.message, options, &payload, &error))
    return qcoapctl_usage_error (ctl, "%s", error->message);
  uri = parse_coap_uri (argv[1]);
  if (check_arguments (ctl, &args, argv[1], uri, &token) != QCOAPCTL_EXIT_OK)
    return QCOAPCTL_EXIT_USAGE;
  options_value = g_variant_ref_sink (g_variant_builder_end (options));
  return send_request (ctl, &args, argv[1], uri,
                       &(Message){ method, options_value, payload, token });
}
