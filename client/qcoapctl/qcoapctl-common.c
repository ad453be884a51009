/* SPDX-License-Identifier: MIT */
/* qcoapctl-common.c — see qcoapctl-common.h. */
#include "qcoapctl-common.h"

#include <gio/gunixinputstream.h>
#include <stdio.h>
#include <string.h>

/* JSON output of errors comes from qcoapctl-output.c. */
#include "qcoapctl.h"

const char qcoapctl_exit_status_text[]
    = "Exit status:\n"
      "  0  success; for requests, a 2.xx response\n"
      "  1  other failure (no such session, an unexpected response class)\n"
      "  2  invalid command line, or qcoapd found an argument invalid (InvalidArgument);\n"
      "     a payload file that cannot be read too\n"
      "  3  the server answered 4.xx (client error)\n"
      "  4  the server answered 5.xx (server error)\n"
      "  5  timeout: no response in time (Timeout, or SendFailed: retransmissions ran out)\n"
      "  6  qcoapd reported another error (its name and message are printed)\n"
      "  7  the bus or qcoapd could not be reached\n";

/* ---- the command line ---- */

static GOptionEntry *
global_entries (Qcoapctl *ctl)
{
  GOptionEntry entries[] = {
    { "system", 0, 0, G_OPTION_ARG_NONE, &ctl->system_bus, "Use the system bus (the default)",
      NULL },
    { "session", 0, 0, G_OPTION_ARG_NONE, &ctl->session_bus, "Use the session bus", NULL },
    { "bus", 0, 0, G_OPTION_ARG_STRING, &ctl->bus_address, "Use the bus at this D-Bus address",
      "ADDRESS" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &ctl->json, "Print JSON for scripts", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &ctl->verbose,
      "Print the response code and options, and each retransmission, to stderr", NULL },
    { NULL },
  };

  return g_memdup2 (entries, sizeof entries);
}

static gsize
entries_length (const GOptionEntry *entries)
{
  gsize n = 0;

  while (entries && entries[n].long_name)
    n++;
  return n;
}

GOptionEntry *
qcoapctl_entries_concat (const GOptionEntry *first, const GOptionEntry *second)
{
  gsize n_first = entries_length (first), n_second = entries_length (second);
  GOptionEntry *entries = g_new0 (GOptionEntry, n_first + n_second + 1);

  memcpy (entries, first, n_first * sizeof (GOptionEntry));
  memcpy (entries + n_first, second, n_second * sizeof (GOptionEntry));
  return entries;
}

gboolean
qcoapctl_parse (Qcoapctl *ctl, const char *command, const char *parameters, const char *summary,
                const GOptionEntry *entries, int *argc, char ***argv)
{
  g_autofree char *prgname = g_strdup_printf ("qcoapctl %s", command);
  g_autoptr (GOptionContext) context = NULL;
  g_autofree GOptionEntry *globals = global_entries (ctl);
  GOptionGroup *group;
  g_autoptr (GError) error = NULL;

  /* The usage line reads "qcoapctl COMMAND [OPTION…] PARAMETERS". */
  g_set_prgname (prgname);
  context = g_option_context_new (parameters);
  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context, qcoapctl_exit_status_text);
  if (entries)
    g_option_context_add_main_entries (context, entries, NULL);
  group = g_option_group_new ("global", "Global options:", "Show the global options", NULL, NULL);
  g_option_group_add_entries (group, globals);
  g_option_context_add_group (context, group);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      qcoapctl_usage_error (ctl, "%s", error->message);
      return FALSE;
    }
  if ((ctl->system_bus + ctl->session_bus + (ctl->bus_address != NULL)) > 1)
    {
      qcoapctl_usage_error (ctl, "--system, --session and --bus exclude each other");
      return FALSE;
    }
  return TRUE;
}

/* ---- errors ---- */

/* The error object of --json: {"error":{"name":…,"message":…,"exit_status":…}}. */
static void
print_json_error (const char *name, const char *message, QcoapctlExit status)
{
  g_autoptr (GString) json = g_string_new ("{\"error\":{\"name\":");

  if (name)
    json_append_string (json, name, -1);
  else
    g_string_append (json, "null");
  g_string_append (json, ",\"message\":");
  json_append_string (json, message, -1);
  g_string_append_printf (json, ",\"exit_status\":%d}}\n", status);
  fputs (json->str, stdout);
  fflush (stdout);
}

QcoapctlExit
qcoapctl_usage_error (Qcoapctl *ctl, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (ctl->json)
    print_json_error (NULL, message, QCOAPCTL_EXIT_USAGE);
  g_printerr ("qcoapctl: %s\nTry “qcoapctl --help” or “qcoapctl COMMAND --help”.\n", message);
  return QCOAPCTL_EXIT_USAGE;
}

static QcoapctlExit
exit_for_qcoap_error (int code)
{
  switch (code)
    {
      case QCOAP_ERROR_INVALID_ARGUMENT:
        /* The same fault as one qcoapctl finds itself, whoever finds it. */
        return QCOAPCTL_EXIT_USAGE;
      case QCOAP_ERROR_TIMEOUT:
      case QCOAP_ERROR_SEND_FAILED:
        return QCOAPCTL_EXIT_TIMEOUT;
      default:
        return QCOAPCTL_EXIT_DAEMON_ERROR;
    }
}

static QcoapctlExit
exit_for_error (const GError *error)
{
  if (error->domain == QCOAP_ERROR)
    return exit_for_qcoap_error (error->code);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
      || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT)
      || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMED_OUT))
    return QCOAPCTL_EXIT_TIMEOUT;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    return QCOAPCTL_EXIT_FAILURE;
  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED))
    return QCOAPCTL_EXIT_ACCESS_DENIED;
  if (error->domain == G_DBUS_ERROR || error->domain == G_IO_ERROR)
    return QCOAPCTL_EXIT_UNREACHABLE;
  return QCOAPCTL_EXIT_FAILURE;
}

/* The D-Bus name of @error: org.qcoapd.CoAP1.Error.Timeout and the like. */
static char *
error_name (const GError *error)
{
  if (error->domain == QCOAP_ERROR || error->domain == G_DBUS_ERROR)
    return g_dbus_error_encode_gerror (error);
  return NULL;
}

QcoapctlExit
qcoapctl_report_error (Qcoapctl *ctl, const GError *error)
{
  g_autofree char *name = error_name (error);
  QcoapctlExit status = exit_for_error (error);

  if (ctl->json)
    print_json_error (name, error->message, status);
  if (name)
    g_printerr ("qcoapctl: %s (%s)\n", error->message, name);
  else
    g_printerr ("qcoapctl: %s\n", error->message);
  return status;
}

QcoapctlExit
qcoapctl_exit_for_code (guint8 code)
{
  switch (QCOAP_CODE_CLASS (code))
    {
      case 2:
        return QCOAPCTL_EXIT_OK;
      case 4:
        return QCOAPCTL_EXIT_CLIENT_ERROR;
      case 5:
        return QCOAPCTL_EXIT_SERVER_ERROR;
      default:
        return QCOAPCTL_EXIT_FAILURE;
    }
}

/* ---- the connection and its sessions ---- */

gboolean
qcoapctl_connect (Qcoapctl *ctl)
{
  g_autoptr (GError) error = NULL;

  if (ctl->bus_address)
    ctl->client = qcoap_client_new_for_address_sync (ctl->bus_address, NULL, &error);
  else
    ctl->client = qcoap_client_new_sync (ctl->session_bus ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM,
                                         NULL, &error);
  if (ctl->client == NULL && g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED))
    ctl->connect_status = qcoapctl_report_error (ctl, error);
  else if (ctl->client == NULL)
    {
      g_autoptr (GError) unreachable = g_error_new (G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN,
                                                    "cannot reach qcoapd: %s", error->message);

      ctl->connect_status = qcoapctl_report_error (ctl, unreachable);
    }
  return ctl->client != NULL;
}

QcoapClientSession *
qcoapctl_find_session (Qcoapctl *ctl, const char *id_or_path)
{
  QcoapClientSession *session = qcoap_client_lookup_session (ctl->client, id_or_path);

  if (session == NULL)
    {
      g_autoptr (GError) error
          = g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "there is no session “%s”", id_or_path);

      qcoapctl_report_error (ctl, error);
    }
  return session;
}

GBytes *
qcoapctl_parse_hex (const char *hex, gsize max_length)
{
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  gsize length = strlen (hex);

  if (length % 2 || length > 2 * max_length)
    return NULL;
  for (gsize i = 0; i < length; i += 2)
    {
      int high = g_ascii_xdigit_value (hex[i]), low = g_ascii_xdigit_value (hex[i + 1]);
      guint8 byte = (high << 4) | low;

      if (high < 0 || low < 0)
        return NULL;
      g_byte_array_append (bytes, &byte, 1);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
}

void
qcoapctl_add_path_options (GVariantBuilder *options, const char *path)
{
  const char *query = strchr (path, '?');
  g_autofree char *path_only = query ? g_strndup (path, query - path) : g_strdup (path);
  g_auto (GStrv) segments = g_strsplit (path_only[0] == '/' ? path_only + 1 : path_only, "/", -1);

  for (char **s = segments; *s; s++)
    if (**s)
      g_variant_builder_add_value (options, qcoap_option_new_string (QCOAP_OPTION_URI_PATH, *s));
  if (query)
    {
      g_auto (GStrv) parts = g_strsplit (query + 1, "&", -1);

      for (char **p = parts; *p; p++)
        g_variant_builder_add_value (options, qcoap_option_new_string (QCOAP_OPTION_URI_QUERY, *p));
    }
}

/* ---- the options and payload of a message ---- */

GOptionEntry *
message_args_entries (MessageArgs *args)
{
  GOptionEntry entries[] = {
    { "text", 'e', 0, G_OPTION_ARG_STRING, &args->text, "Send TEXT as the payload", "TEXT" },
    { "file", 'f', 0, G_OPTION_ARG_FILENAME, &args->file,
      "Send the contents of FILE as the payload (- for stdin)", "FILE" },
    { "content-format", 't', 0, G_OPTION_ARG_STRING, &args->content_format,
      "Content-Format of the payload: a content type (text/plain, application/json, "
      "application/cbor, application/senml+json, …; see qcoapctl(1)) or a number",
      "TYPE" },
    { "accept", 'A', 0, G_OPTION_ARG_STRING, &args->accept, "Accept option: a name or a number",
      "TYPE" },
    { "option", 'O', 0, G_OPTION_ARG_STRING_ARRAY, &args->extra_options,
      "Add an option (number or name, then its value); may be repeated", "NUM,VALUE" },
    { NULL },
  };

  return g_memdup2 (entries, sizeof entries);
}

void
message_args_clear (MessageArgs *args)
{
  g_clear_pointer (&args->text, g_free);
  g_clear_pointer (&args->file, g_free);
  g_clear_pointer (&args->content_format, g_free);
  g_clear_pointer (&args->accept, g_free);
  g_clear_pointer (&args->extra_options, g_strfreev);
}

static gboolean
add_content_format (GVariantBuilder *options, guint16 number, const char *text, GError **error)
{
  gint format = qcoap_content_format_parse (text);

  if (format < 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "unknown content format “%s” (try a number, or a content type such as "
                   "text/plain, application/json or application/cbor: qcoapctl(1) lists them)",
                   text);
      return FALSE;
    }
  g_variant_builder_add_value (options, qcoap_option_new_uint (number, format));
  return TRUE;
}

static gboolean
add_extra_option (GVariantBuilder *options, const char *spec, GError **error)
{
  const char *comma = strchr (spec, ',');
  g_autofree char *number_text = NULL;
  GVariant *option;
  gint number;

  if (comma == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "-O takes NUM,VALUE (e.g. 14,60 or Max-Age,60), not “%s”", spec);
      return FALSE;
    }
  number_text = g_strndup (spec, comma - spec);
  number = qcoap_option_parse_number (number_text);
  if (number < 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "“%s” is neither an option number nor an option name", number_text);
      return FALSE;
    }
  option = qcoap_option_new_from_string (number, comma + 1, error);
  if (option == NULL)
    return FALSE;
  g_variant_builder_add_value (options, option);
  return TRUE;
}

static GBytes *
read_payload_file (const char *path, GError **error)
{
  g_autoptr (GFile) file = NULL;
  g_autoptr (GInputStream) stream = NULL;
  g_autoptr (GOutputStream) memory = NULL;

  if (g_strcmp0 (path, "-") == 0)
    stream = g_unix_input_stream_new (0, FALSE);
  else
    {
      file = g_file_new_for_commandline_arg (path);
      stream = G_INPUT_STREAM (g_file_read (file, NULL, error));
      if (stream == NULL)
        return NULL;
    }
  memory = g_memory_output_stream_new_resizable ();
  if (g_output_stream_splice (memory, stream, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, error) < 0)
    return NULL;
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (memory));
}

QcoapctlExit
qcoapctl_read_psk_key_file (Qcoapctl *ctl, const char *file, char **key)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) contents = NULL;
  gsize length;
  const char *data;

  if (file == NULL)
    return QCOAPCTL_EXIT_OK;
  if (*key != NULL)
    return qcoapctl_usage_error (ctl, "give the DTLS key with -k or with --psk-key-file, not both");
  contents = read_payload_file (file, &error);
  if (contents == NULL)
    return qcoapctl_usage_error (ctl, "--psk-key-file %s: %s", file, error->message);
  data = g_bytes_get_data (contents, &length);
  /* The first line, without its line end. */
  *key = g_strndup (data ? data : "", length);
  (*key)[strcspn (*key, "\r\n")] = '\0';
  if (**key == '\0')
    return qcoapctl_usage_error (ctl, "--psk-key-file %s: no key in it", file);
  return QCOAPCTL_EXIT_OK;
}

static GBytes *
read_payload (MessageArgs *args, GError **error)
{
  g_autoptr (GError) file_error = NULL;
  GBytes *payload;

  if (args->text)
    return g_bytes_new (args->text, strlen (args->text));
  if (args->file == NULL)
    return g_bytes_new (NULL, 0);
  payload = read_payload_file (args->file, &file_error);
  if (payload == NULL)
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "-f %s: %s", args->file,
                 file_error->message);
  return payload;
}

gboolean
message_args_build (MessageArgs *args, GVariantBuilder *options, GBytes **out_payload,
                    GError **error)
{
  if (args->text && args->file)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "give the payload with -e or with -f, not both");
      return FALSE;
    }
  if (args->content_format
      && !add_content_format (options, QCOAP_OPTION_CONTENT_FORMAT, args->content_format, error))
    return FALSE;
  if (args->accept && !add_content_format (options, QCOAP_OPTION_ACCEPT, args->accept, error))
    return FALSE;
  for (char **spec = args->extra_options; spec && *spec; spec++)
    if (!add_extra_option (options, *spec, error))
      return FALSE;
  *out_payload = read_payload (args, error);
  return *out_payload != NULL;
}
