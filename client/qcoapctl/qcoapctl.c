/* SPDX-License-Identifier: MIT */
/* qcoapctl — the command-line client of qcoapd.
 *
 *   qcoapctl [--system | --session | --bus ADDRESS] [--json] COMMAND [OPTION…] [ARGUMENT…]
 *
 * It speaks only the D-Bus API, through libqcoap-glib. This file is the
 * entry point and the command table; what the commands share is in
 * qcoapctl-common.c, the commands in qcoapctl-request.c,
 * qcoapctl-sessions.c, qcoapctl-monitor.c and qcoapctl-network.c. Global options may come
 * before or after the command word. */
#include "qcoapctl.h"

#include <locale.h>

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
  { "at", 0, qcoapctl_at, "Send one AT command to the modem and print its answer (root)" },
};

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
           "  -v, --verbose     Print the response code and options, and each retransmission,\n"
           "                    to stderr\n"
           "\n“qcoapctl COMMAND --help” shows the options of a command.\n\n%s",
           qcoapctl_exit_status_text);
}

/* coap-client's verbosity level, above which -v LEVEL means -v. */
#define COAP_CLIENT_DEFAULT_LEVEL 4

/* The level of "-v LEVEL" or "-vLEVEL" at @i (coap-client's form, 0-9); -1
 * if @i is not such an option. Sets *@words to the arguments it takes. */
static int
verbosity_level (int argc, char **argv, int i, int *words)
{
  guint64 level;

  if (g_str_has_prefix (argv[i], "-v") && argv[i][2] != '\0')
    {
      *words = 1;
      return g_ascii_string_to_unsigned (argv[i] + 2, 10, 0, 9, &level, NULL) ? (int)level : -1;
    }
  if (!g_str_equal (argv[i], "-v") || i + 1 >= argc
      || !g_ascii_string_to_unsigned (argv[i + 1], 10, 0, 9, &level, NULL))
    return -1;
  *words = 2;
  return level;
}

/* Rewrites "-v LEVEL" as coap-client takes it: a level above its default
 * is -v, any other is no option at all. */
static void
take_verbosity_levels (int *argc, char **argv)
{
  int n = 1;

  for (int i = 1; i < *argc; i++)
    {
      int words = 1;
      int level = verbosity_level (*argc, argv, i, &words);

      if (level > COAP_CLIENT_DEFAULT_LEVEL)
        argv[n++] = (char *)"-v";
      else if (level < 0)
        argv[n++] = argv[i];
      i += words - 1;
    }
  argv[n] = NULL;
  *argc = n;
}

/* The index of the first argument that is not an option (or the value of
 * --bus, the only global option with a separate value); -1 if none. Sets
 * ctl->json early, so that even errors found before the command's parser
 * ran are reported as JSON. */
static int
scan_arguments (Qcoapctl *ctl, int argc, char **argv, gboolean *out_help)
{
  int command = -1;

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--bus"))
        i++;
      else if (g_str_equal (argv[i], "--json"))
        ctl->json = TRUE;
      else if (g_str_equal (argv[i], "--help") || g_str_equal (argv[i], "-h"))
        *out_help = TRUE;
      else if (argv[i][0] != '-' && command < 0)
        command = i;
    }
  return command;
}

static const Command *
lookup_command (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, name))
      return &commands[i];
  return NULL;
}

/* The command's parser sees the command word as argv[0] and the other
 * arguments in their order, global options included. */
static int
run_command (Qcoapctl *ctl, const Command *command, int index, int argc, char **argv)
{
  g_autofree char **args = g_new0 (char *, argc + 1);

  args[0] = argv[index];
  for (int i = 1, n = 1; i < argc; i++)
    if (i != index)
      args[n++] = argv[i];
  argc--;
  if (command->run)
    return command->run (ctl, argc, args);
  return qcoapctl_request (ctl, command->method, argc, args);
}

int
main (int argc, char **argv)
{
  Qcoapctl ctl = { 0 };
  gboolean help = FALSE;
  const Command *command;
  int index;
  int status;

  setlocale (LC_ALL, "");
  g_set_prgname ("qcoapctl");

  take_verbosity_levels (&argc, argv);
  index = scan_arguments (&ctl, argc, argv, &help);
  if (index < 0 && help)
    {
      print_main_help ();
      return QCOAPCTL_EXIT_OK;
    }
  if (index < 0)
    return qcoapctl_usage_error (&ctl, "no command given");
  command = lookup_command (argv[index]);
  if (command == NULL)
    return qcoapctl_usage_error (&ctl, "unknown command “%s”", argv[index]);

  status = run_command (&ctl, command, index, argc, argv);
  g_clear_object (&ctl.client);
  g_free (ctl.bus_address);
  return status;
}
