/* SPDX-License-Identifier: MIT */
/* qcoapctl-send.c — send: one raw message on a session. */
#include "qcoapctl.h"

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
    { "token", 'T', 0, G_OPTION_ARG_STRING, &args->token, "Use this token (hex, 0-8 bytes)",
      "HEX" },
    { NULL },
  };

  return qcoapctl_entries_concat (message, own);
}

/* The options in the order the message has them: the path's, then -O's. */
static GVariant *
build_options (SendArgs *args, GBytes **out_payload, GError **error)
{
  g_autoptr (GVariantBuilder) options = g_variant_builder_new (G_VARIANT_TYPE ("a(qv)"));

  if (args->path)
    qcoapctl_add_path_options (options, args->path);
  if (!message_args_build (&args->message, options, out_payload, error))
    return NULL;
  return g_variant_ref_sink (g_variant_builder_end (options));
}

/* Type, code, message ID and token from the command line, the last two
 * into @flags: QCOAPCTL_EXIT_OK, or the usage status after saying why. */
static QcoapctlExit
read_header (Qcoapctl *ctl, SendArgs *args, QcoapMessageType *type, guint8 *code,
             GVariantDict *flags)
{
  g_autoptr (GBytes) token = NULL;

  if (args->type && !qcoap_message_type_parse (args->type, type))
    return qcoapctl_usage_error (ctl, "unknown message type “%s” (con, non, ack or rst)",
                                 args->type);
  if (args->code && !qcoap_code_parse (args->code, code))
    return qcoapctl_usage_error (ctl, "unknown code “%s”", args->code);
  if (args->message_id > G_MAXUINT16)
    return qcoapctl_usage_error (ctl, "a message ID is 0-65535");
  if (args->message_id >= 0)
    g_variant_dict_insert (flags, "message-id", "q", (guint16)args->message_id);
  if (args->token == NULL)
    return QCOAPCTL_EXIT_OK;
  token = qcoapctl_parse_hex (args->token, 8);
  if (token == NULL)
    return qcoapctl_usage_error (ctl, "a token is 0-8 bytes in hex, not “%s”", args->token);
  g_variant_dict_insert_value (flags, "token",
                               g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, token, TRUE));
  return QCOAPCTL_EXIT_OK;
}

static void
print_sent (Qcoapctl *ctl, guint16 message_id, GBytes *token)
{
  g_autofree char *token_text = format_token (token);

  if (ctl->json)
    g_print ("{\"message_id\":%u,\"token\":\"%s\"}\n", message_id,
             g_bytes_get_size (token) ? token_text : "");
  else
    g_print ("message ID %u (0x%04x), token %s\n", message_id, message_id, token_text);
}

int
qcoapctl_send (Qcoapctl *ctl, int argc, char **argv)
{
  g_auto (SendArgs) args = { .message_id = -1 };
  g_autofree GOptionEntry *entries = send_entries (&args);
  g_autoptr (GVariantDict) flags = g_variant_dict_new (NULL);
  g_autoptr (GVariant) options = NULL;
  g_autoptr (GBytes) payload = NULL;
  g_autoptr (GBytes) token = NULL;
  g_autoptr (GError) error = NULL;
  QcoapMessageType type = QCOAP_MESSAGE_CON;
  QcoapClientSession *session;
  guint8 code = QCOAP_METHOD_GET;
  guint16 message_id;

  if (!qcoapctl_parse (ctl, "send", "SESSION",
                       "Sends one message on SESSION (a client ID or an object path) as given, "
                       "and prints its message ID and token. Answers arrive as signals: see "
                       "“qcoapctl monitor”.",
                       entries, &argc, &argv))
    return QCOAPCTL_EXIT_USAGE;
  if (argc != 2)
    return qcoapctl_usage_error (ctl, "send takes one SESSION");
  if (read_header (ctl, &args, &type, &code, flags) != QCOAPCTL_EXIT_OK)
    return QCOAPCTL_EXIT_USAGE;
  options = build_options (&args, &payload, &error);
  if (options == NULL)
    return qcoapctl_usage_error (ctl, "%s", error->message);

  if (!qcoapctl_connect (ctl))
    return ctl->connect_status;
  session = qcoapctl_find_session (ctl, argv[1]);
  if (session == NULL)
    return QCOAPCTL_EXIT_FAILURE;
  if (!qcoap_client_session_send_sync (session, type, code, options, payload,
                                       g_variant_dict_end (flags), &message_id, &token, NULL,
                                       &error))
    return qcoapctl_report_error (ctl, error);
  print_sent (ctl, message_id, token);
  return QCOAPCTL_EXIT_OK;
}
