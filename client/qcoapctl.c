/* qcoapctl — the command-line client of qcoapd.
 *
 *   qcoapctl [--system | --session | --bus ADDRESS] [--json] COMMAND [OPTION…] [ARGUMENT…]
 *
 * It speaks only the D-Bus API, through libqcoap-glib. Global options may
 * come before or after the command word. */
#include "qcoapctl.h"

#include <gio/gunixinputstream.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

typedef struct
{
  const char *name;
  guint8 method; /* for get, post, put and delete */
  int (*run) (Qcoapctl *ctl, int argc, char **argv);
  const char *summary;
} Command;

static const Command commands[] = {
  { "get", QCOAP_METHOD_GET, NULL, "Send a GET request and print the response" },
  { "post", QCOAP_METHOD_POST, NULL, "Send a POST request and print the response" },
  { "put", QCOAP_METHOD_PUT, NULL, "Send a PUT request and print the response" },
  { "delete", QCOAP_METHOD_DELETE, NULL, "Send a DELETE request and print the response" },
  { "open", 0, qcoapctl_open, "Open a session to a CoAP server" },
  { "send", 0, qcoapctl_send, "Send one raw message on a session" },
  { "close", 0, qcoapctl_close, "Close a session" },
  { "sessions", 0, qcoapctl_sessions, "List the sessions" },
  { "status", 0, qcoapctl_status, "Show the modem, the daemon and the sessions" },
  { "monitor", 0, qcoapctl_monitor, "Print the signals of all sessions, or of one" },
};

static const char exit_status_text[]
    = "Exit status:\n"
      "  0  success; for requests, a 2.xx response\n"
      "  1  other failure (a file could not be read, an unexpected response class)\n"
      "  2  invalid command line\n"
      "  3  the server answered 4.xx (client error)\n"
      "  4  the server answered 5.xx (server error)\n"
      "  5  timeout: no response in time\n"
      "  6  qcoapd reported an error (its name and message are printed)\n"
      "  7  the bus or qcoapd could not be reached\n";

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
      "Print the response code and options to stderr", NULL },
    { NULL },
  };

  return g_memdup2 (entries, sizeof entries);
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
  g_option_context_set_description (context, exit_status_text);
  if (entries)
    g_option_context_add_main_entries (context, entries, NULL);
  group = g_option_group_new ("global", "Global options:", "Show the global options", NULL, NULL);
  g_option_group_add_entries (group, globals);
  g_option_context_add_group (context, group);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      qcoapctl_usage_error ("%s", error->message);
      return FALSE;
    }
  if ((ctl->system_bus + ctl->session_bus + (ctl->bus_address != NULL)) > 1)
    {
      qcoapctl_usage_error ("--system, --session and --bus exclude each other");
      return FALSE;
    }
  return TRUE;
}

QcoapctlExit
qcoapctl_usage_error (const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("qcoapctl: %s\nTry “qcoapctl --help” or “qcoapctl COMMAND --help”.\n", message);
  return QCOAPCTL_EXIT_USAGE;
}

static QcoapctlExit
exit_for_error (const GError *error)
{
  if (error->domain == QCOAP_ERROR)
    return error->code == QCOAP_ERROR_TIMEOUT ? QCOAPCTL_EXIT_TIMEOUT : QCOAPCTL_EXIT_DAEMON_ERROR;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
      || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT)
      || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMED_OUT))
    return QCOAPCTL_EXIT_TIMEOUT;
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
    {
      g_autoptr (GString) json = g_string_new ("{\"error\":{\"name\":");

      if (name)
        json_append_string (json, name, -1);
      else
        g_string_append (json, "null");
      g_string_append (json, ",\"message\":");
      json_append_string (json, error->message, -1);
      g_string_append_printf (json, ",\"exit_status\":%d}}\n", status);
      fputs (json->str, stdout);
      fflush (stdout);
    }
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

gboolean
qcoapctl_connect (Qcoapctl *ctl)
{
  g_autoptr (GError) error = NULL;

  if (ctl->bus_address)
    ctl->client = qcoap_client_new_for_address_sync (ctl->bus_address, NULL, &error);
  else
    ctl->client = qcoap_client_new_sync (ctl->session_bus ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM,
                                         NULL, &error);
  if (ctl->client == NULL)
    {
      g_autoptr (GError) unreachable = g_error_new (G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN,
                                                    "cannot reach qcoapd: %s", error->message);

      qcoapctl_report_error (ctl, unreachable);
      return FALSE;
    }
  return TRUE;
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

/* ---- the options and payload of a message ---- */

GOptionEntry *
message_args_entries (MessageArgs *args)
{
  GOptionEntry entries[] = {
    { "text", 'e', 0, G_OPTION_ARG_STRING, &args->text, "Send TEXT as the payload", "TEXT" },
    { "file", 'f', 0, G_OPTION_ARG_FILENAME, &args->file,
      "Send the contents of FILE as the payload (- for stdin)", "FILE" },
    { "content-format", 't', 0, G_OPTION_ARG_STRING, &args->content_format,
      "Content-Format of the payload: a name (text/plain, application/json, application/cbor, "
      "application/link-format, …) or a number",
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
                   "unknown content format “%s” (try a number, or text/plain, application/json, "
                   "application/cbor, application/link-format, application/xml, "
                   "application/octet-stream, application/exi)",
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
  if (args->content_format && !add_content_format (options, 12, args->content_format, error))
    return FALSE;
  if (args->accept && !add_content_format (options, 17, args->accept, error))
    return FALSE;
  for (char **spec = args->extra_options; spec && *spec; spec++)
    if (!add_extra_option (options, *spec, error))
      return FALSE;

  if (args->file)
    *out_payload = read_payload_file (args->file, error);
  else if (args->text)
    *out_payload = g_bytes_new (args->text, strlen (args->text));
  else
    *out_payload = g_bytes_new (NULL, 0);
  return *out_payload != NULL;
}

/* ---- main ---- */

static void
print_main_help (void)
{
  g_print ("Usage:\n"
           "  qcoapctl [--system | --session | --bus ADDRESS] [--json] COMMAND [OPTION…]\n\n"
           "The command-line client of qcoapd, the CoAP service of a Quectel modem.\n\n"
           "Commands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    g_print ("  %-10s%s\n", commands[i].name, commands[i].summary);
  g_print ("\nGlobal options:\n"
           "  --system          Use the system bus (the default)\n"
           "  --session         Use the session bus\n"
           "  --bus ADDRESS     Use the bus at this D-Bus address\n"
           "  --json            Print JSON for scripts\n"
           "  -v, --verbose     Print the response code and options to stderr\n"
           "\n“qcoapctl COMMAND --help” shows the options of a command.\n\n%s",
           exit_status_text);
}

/* The index of the command word: the first argument that is not an option
 * (or the value of --bus, the only global option with a separate value). */
static int
find_command (int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--bus"))
        i++;
      else if (argv[i][0] != '-')
        return i;
    }
  return -1;
}

static const Command *
lookup_command (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, name))
      return &commands[i];
  return NULL;
}

int
main (int argc, char **argv)
{
  Qcoapctl ctl = { 0 };
  g_autofree char **args = NULL;
  const Command *command;
  int index;
  int status;

  setlocale (LC_ALL, "");
  g_set_prgname ("qcoapctl");

  index = find_command (argc, argv);
  if (index < 0)
    {
      for (int i = 1; i < argc; i++)
        if (g_str_equal (argv[i], "--help") || g_str_equal (argv[i], "-h"))
          {
            print_main_help ();
            return QCOAPCTL_EXIT_OK;
          }
      return qcoapctl_usage_error ("no command given");
    }
  command = lookup_command (argv[index]);
  if (command == NULL)
    return qcoapctl_usage_error ("unknown command “%s”", argv[index]);

  /* The command's parser sees "qcoapctl-COMMAND" as argv[0] and the other
   * arguments in their order, global options included. */
  args = g_new0 (char *, argc + 1);
  args[0] = argv[index];
  for (int i = 1, n = 1; i < argc; i++)
    if (i != index)
      args[n++] = argv[i];
  argc--;

  if (command->run)
    status = command->run (&ctl, argc, args);
  else
    status = qcoapctl_request (&ctl, command->method, argc, args);

  g_clear_object (&ctl.client);
  g_free (ctl.bus_address);
  return status;
}
