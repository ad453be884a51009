/* qcoapctl-request.c — get, post, put and delete (coap-client's habits) and
 * send (one raw message). */
#include "qcoapctl.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct
{
  MessageArgs message;
  gboolean non_confirmable;
  char *psk_identity;
  char *psk_key;
  gint timeout_ms;
  char *use_session;
} RequestArgs;

static void
request_args_clear (RequestArgs *args)
{
  message_args_clear (&args->message);
  g_clear_pointer (&args->psk_identity, g_free);
  g_clear_pointer (&args->psk_key, g_free);
  g_clear_pointer (&args->use_session, g_free);
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
    { "psk-key", 'k', 0, G_OPTION_ARG_STRING, &args->psk_key, "DTLS-PSK key (coaps://)", "KEY" },
    { "timeout", 'T', 0, G_OPTION_ARG_INT, &args->timeout_ms,
      "Wait at most MS milliseconds for the response", "MS" },
    { "use", 'S', 0, G_OPTION_ARG_STRING, &args->use_session,
      "Send on this open session (client ID or object path); URI may then be a path", "SESSION" },
  };
  gsize n_message = 0;
  GOptionEntry *entries;

  while (message[n_message].long_name)
    n_message++;
  entries = g_new0 (GOptionEntry, n_message + G_N_ELEMENTS (own) + 1);
  memcpy (entries, message, n_message * sizeof (GOptionEntry));
  memcpy (entries + n_message, own, sizeof own);
  return entries;
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

static int
print_response (Qcoapctl *ctl, QcoapResponse *response)
{
  gsize length;
  const void *data = g_bytes_get_data (qcoap_response_get_payload (response), &length);

  if (ctl->verbose)
    print_verbose (response);
  else if (!qcoap_response_is_success (response))
    {
      /* As coap-client does: an error response says what it was, even
       * when its payload (a diagnostic) goes to stdout. */
      g_autofree char *code = format_code (qcoap_response_get_code (response));

      g_printerr ("%s\n", code);
    }
  if (ctl->json)
    {
      g_autofree char *json = json_response (response);

      g_print ("%s\n", json);
    }
  else if (length > 0)
    {
      fwrite (data, 1, length, stdout);
      /* A terminal gets its prompt back on a line of its own; pipes and
       * files get the payload exactly. */
      if (isatty (STDOUT_FILENO) && ((const char *)data)[length - 1] != '\n')
        fputc ('\n', stdout);
    }
  fflush (stdout);
  return qcoapctl_exit_for_code (qcoap_response_get_code (response));
}

/* ---- get, post, put, delete ---- */

static void
add_psk (GVariantDict *dict, RequestArgs *args)
{
  if (args->psk_identity)
    g_variant_dict_insert (dict, "dtls-psk-identity", "s", args->psk_identity);
  if (args->psk_key)
    g_variant_dict_insert_value (
        dict, "dtls-psk-key",
        g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, args->psk_key, strlen (args->psk_key), 1));
}

/* Path and query of a URI, percent-decoded ("/a/b?x=1&y=2"); NULL if @uri
 * is not a coap URI. */
static char *
path_of_uri (GUri *uri)
{
  const char *query = g_uri_get_query (uri);
  const char *path = g_uri_get_path (uri);

  if (query)
    return g_strdup_printf ("%s?%s", path, query);
  return g_strdup (path);
}

static int
request_on_session (Qcoapctl *ctl, QcoapClientSession *session, guint8 method, const char *path,
                    GVariant *options, GBytes *payload, RequestArgs *args)
{
  g_autoptr (GVariantDict) flags = g_variant_dict_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapResponse) response = NULL;

  if (args->non_confirmable)
    g_variant_dict_insert (flags, "confirmable", "b", FALSE);
  if (args->timeout_ms > 0)
    g_variant_dict_insert (flags, "timeout", "u", (guint32)args->timeout_ms);
  response = qcoap_client_session_request_sync (session, method, path, options, payload,
                                                g_variant_dict_end (flags), NULL, &error);
  if (response == NULL)
    return qcoapctl_report_error (ctl, error);
  return print_response (ctl, response);
}

/* -N: the one-shot Request of the API is always confirmable, so open a
 * session of our own for the non-confirmable request. */
static int
request_non_confirmable (Qcoapctl *ctl, guint8 method, GUri *uri, GVariant *options,
                         GBytes *payload, RequestArgs *args)
{
  g_autoptr (GVariantDict) open_options = g_variant_dict_new (NULL);
  g_autoptr (QcoapClientSession) session = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = path_of_uri (uri);
  gboolean secure = g_ascii_strcasecmp (g_uri_get_scheme (uri), "coaps") == 0;
  int port = g_uri_get_port (uri);
  int status;

  add_psk (open_options, args);
  session = qcoap_client_open_sync (ctl->client, g_uri_get_host (uri),
                                    port > 0 ? port : (secure ? 5684 : 5683),
                                    g_variant_dict_end (open_options), NULL, &error);
  if (session == NULL)
    return qcoapctl_report_error (ctl, error);
  status = request_on_session (ctl, session, method, path, options, payload, args);
  if (!qcoap_client_session_close_sync (session, NULL, &error))
    g_printerr ("qcoapctl: closing the session failed: %s\n", error->message);
  return status;
}

static int
request_one_shot (Qcoapctl *ctl, guint8 method, const char *uri_text, GVariant *options,
                  GBytes *payload, RequestArgs *args)
{
  g_autoptr (GVariantDict) flags = g_variant_dict_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapResponse) response = NULL;

  add_psk (flags, args);
  if (args->timeout_ms > 0)
    g_variant_dict_insert (flags, "timeout", "u", (guint32)args->timeout_ms);
  response = qcoap_client_request_sync (ctl->client, method, uri_text, options, payload,
                                        g_variant_dict_end (flags), NULL, &error);
  if (response == NULL)
    return qcoapctl_report_error (ctl, error);
  return print_response (ctl, response);
}

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

int
qcoapctl_request (Qcoapctl *ctl, guint8 method, int argc, char **argv)
{
  g_auto (RequestArgs) args = { 0 };
  g_autofree GOptionEntry *entries = request_entries (&args);
  g_autoptr (GVariantBuilder) options = g_variant_builder_new (G_VARIANT_TYPE ("a(qv)"));
  g_autoptr (GBytes) payload = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GUri) uri = NULL;
  g_autofree char *command = g_ascii_strdown (qcoap_code_get_description (method), -1);
  QcoapClientSession *session = NULL;
  GVariant *options_value;

  if (!qcoapctl_parse (ctl, command, "URI",
                       "Sends a confirmable request (-N: non-confirmable) to URI, "
                       "coap://host[:port]/path?query or coaps://…, and prints the response's "
                       "payload to stdout (-v: its code and options to stderr).",
                       entries, &argc, &argv))
    return QCOAPCTL_EXIT_USAGE;
  if (argc != 2)
    return qcoapctl_usage_error ("%s takes one URI", command);
  if (!message_args_build (&args.message, options, &payload, &error))
    {
      if (error->domain == G_OPTION_ERROR || error->domain == QCOAP_ERROR)
        return qcoapctl_usage_error ("%s", error->message);
      return qcoapctl_report_error (ctl, error);
    }

  uri = parse_coap_uri (argv[1]);
  if (uri == NULL && !(args.use_session && argv[1][0] == '/'))
    return qcoapctl_usage_error ("“%s” is not a coap:// or coaps:// URI", argv[1]);
  if (uri && g_ascii_strcasecmp (g_uri_get_scheme (uri), "coaps") == 0 && !args.use_session
      && (args.psk_identity == NULL || args.psk_key == NULL))
    return qcoapctl_usage_error ("coaps:// needs a DTLS-PSK identity and key (-u and -k)");
  if ((args.psk_identity == NULL) != (args.psk_key == NULL))
    return qcoapctl_usage_error ("-u and -k go together");
  if (args.timeout_ms < 0)
    return qcoapctl_usage_error ("-T takes a positive number of milliseconds");

  if (!qcoapctl_connect (ctl))
    return QCOAPCTL_EXIT_UNREACHABLE;
  options_value = g_variant_builder_end (options);
  if (args.use_session)
    {
      g_autofree char *path = uri ? path_of_uri (uri) : g_strdup (argv[1]);

      session = qcoapctl_find_session (ctl, args.use_session);
      if (session == NULL)
        {
          g_variant_unref (g_variant_ref_sink (options_value));
          return QCOAPCTL_EXIT_FAILURE;
        }
      return request_on_session (ctl, session, method, path, options_value, payload, &args);
    }
  if (args.non_confirmable)
    return request_non_confirmable (ctl, method, uri, options_value, payload, &args);
  return request_one_shot (ctl, method, argv[1], options_value, payload, &args);
}

/* ---- send ---- */

typedef struct
{
  MessageArgs message;
  char *type;
  char *code;
  char *path;
  gint message_id;
  char *token;
} SendArgs;

static void
send_args_clear (SendArgs *args)
{
  message_args_clear (&args->message);
  g_clear_pointer (&args->type, g_free);
  g_clear_pointer (&args->code, g_free);
  g_clear_pointer (&args->path, g_free);
  g_clear_pointer (&args->token, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SendArgs, send_args_clear)

static GOptionEntry *
send_entries (SendArgs *args)
{
  g_autofree GOptionEntry *message = message_args_entries (&args->message);
  GOptionEntry own[] = {
    { "type", 0, 0, G_OPTION_ARG_STRING, &args->type, "Message type: con (default), non, ack, rst",
      "TYPE" },
    { "code", 'c', 0, G_OPTION_ARG_STRING, &args->code,
      "Code: get (default), post, put, delete, 2.05, 0.00, or a number", "CODE" },
    { "path", 'p', 0, G_OPTION_ARG_STRING, &args->path,
      "Uri-Path and Uri-Query options from PATH (/a/b?k=v)", "PATH" },
    { "message-id", 'm', 0, G_OPTION_ARG_INT, &args->message_id, "Use this message ID", "MID" },
    { "token", 0, 0, G_OPTION_ARG_STRING, &args->token, "Use this token (hex, 0-8 bytes)", "HEX" },
  };
  gsize n_message = 0;
  GOptionEntry *entries;

  while (message[n_message].long_name)
    n_message++;
  entries = g_new0 (GOptionEntry, n_message + G_N_ELEMENTS (own) + 1);
  memcpy (entries, message, n_message * sizeof (GOptionEntry));
  memcpy (entries + n_message, own, sizeof own);
  return entries;
}

/* Uri-Path and Uri-Query options for "/a/b?k=v&x=y", put before the others
 * as their numbers require. */
static void
add_path_options (GVariantBuilder *options, const char *path)
{
  const char *query = strchr (path, '?');
  g_autofree char *path_only = query ? g_strndup (path, query - path) : g_strdup (path);
  g_auto (GStrv) segments = g_strsplit (path_only[0] == '/' ? path_only + 1 : path_only, "/", -1);

  for (char **s = segments; *s; s++)
    if (**s)
      g_variant_builder_add_value (options, qcoap_option_new_string (11, *s));
  if (query)
    {
      g_auto (GStrv) parts = g_strsplit (query + 1, "&", -1);

      for (char **p = parts; *p; p++)
        g_variant_builder_add_value (options, qcoap_option_new_string (15, *p));
    }
}

static gboolean
parse_token (const char *hex, GVariantDict *flags)
{
  g_autoptr (GByteArray) token = g_byte_array_new ();
  gsize length = strlen (hex);

  if (length % 2 || length > 16)
    return FALSE;
  for (gsize i = 0; i < length; i += 2)
    {
      int high = g_ascii_xdigit_value (hex[i]), low = g_ascii_xdigit_value (hex[i + 1]);
      guint8 byte = (high << 4) | low;

      if (high < 0 || low < 0)
        return FALSE;
      g_byte_array_append (token, &byte, 1);
    }
  g_variant_dict_insert_value (
      flags, "token", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, token->data, token->len, 1));
  return TRUE;
}

int
qcoapctl_send (Qcoapctl *ctl, int argc, char **argv)
{
  g_auto (SendArgs) args = { .message_id = -1 };
  g_autofree GOptionEntry *entries = send_entries (&args);
  g_autoptr (GVariantBuilder) options = g_variant_builder_new (G_VARIANT_TYPE ("a(qv)"));
  g_autoptr (GVariantBuilder) extra = g_variant_builder_new (G_VARIANT_TYPE ("a(qv)"));
  g_autoptr (GVariantDict) flags = g_variant_dict_new (NULL);
  g_autoptr (GVariant) extra_options = NULL;
  g_autoptr (GBytes) payload = NULL;
  g_autoptr (GBytes) token = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *token_text = NULL;
  QcoapMessageType type = QCOAP_MESSAGE_CON;
  QcoapClientSession *session;
  guint8 code = QCOAP_METHOD_GET;
  guint16 message_id;
  GVariantIter iter;
  GVariant *option;

  if (!qcoapctl_parse (ctl, "send", "SESSION",
                       "Sends one message on SESSION (a client ID or an object path) as given, "
                       "and prints its message ID and token. Answers arrive as signals: see "
                       "“qcoapctl monitor”.",
                       entries, &argc, &argv))
    return QCOAPCTL_EXIT_USAGE;
  if (argc != 2)
    return qcoapctl_usage_error ("send takes one SESSION");
  if (args.type && !qcoap_message_type_parse (args.type, &type))
    return qcoapctl_usage_error ("unknown message type “%s” (con, non, ack or rst)", args.type);
  if (args.code && !qcoap_code_parse (args.code, &code))
    return qcoapctl_usage_error ("unknown code “%s”", args.code);
  if (args.message_id > G_MAXUINT16)
    return qcoapctl_usage_error ("a message ID is 0-65535");
  if (args.message_id >= 0)
    g_variant_dict_insert (flags, "message-id", "q", (guint16)args.message_id);
  if (args.token && !parse_token (args.token, flags))
    return qcoapctl_usage_error ("a token is 0-8 bytes in hex, not “%s”", args.token);
  if (args.path)
    add_path_options (options, args.path);
  if (!message_args_build (&args.message, extra, &payload, &error))
    {
      if (error->domain == G_OPTION_ERROR || error->domain == QCOAP_ERROR)
        return qcoapctl_usage_error ("%s", error->message);
      return qcoapctl_report_error (ctl, error);
    }
  extra_options = g_variant_ref_sink (g_variant_builder_end (extra));
  g_variant_iter_init (&iter, extra_options);
  while ((option = g_variant_iter_next_value (&iter)))
    {
      g_variant_builder_add_value (options, option);
      g_variant_unref (option);
    }

  if (!qcoapctl_connect (ctl))
    return QCOAPCTL_EXIT_UNREACHABLE;
  session = qcoapctl_find_session (ctl, argv[1]);
  if (session == NULL)
    return QCOAPCTL_EXIT_FAILURE;
  if (!qcoap_client_session_send_sync (session, type, code, g_variant_builder_end (options),
                                       payload, g_variant_dict_end (flags), &message_id, &token,
                                       NULL, &error))
    return qcoapctl_report_error (ctl, error);

  token_text = format_token (token);
  if (ctl->json)
    g_print ("{\"message_id\":%u,\"token\":\"%s\"}\n", message_id,
             g_bytes_get_size (token) ? token_text : "");
  else
    g_print ("message ID %u (0x%04x), token %s\n", message_id, message_id, token_text);
  return QCOAPCTL_EXIT_OK;
}
