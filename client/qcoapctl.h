/* qcoapctl.h — what the command modules of qcoapctl share. */
#pragma once

#include <qcoap-glib/qcoap-glib.h>

G_BEGIN_DECLS

/* Exit statuses, documented in qcoapctl.1 and --help. */
typedef enum
{
  QCOAPCTL_EXIT_OK = 0,           /* done; a response of class 2 (Success) */
  QCOAPCTL_EXIT_FAILURE = 1,      /* anything else: a file, an unexpected response class */
  QCOAPCTL_EXIT_USAGE = 2,        /* a wrong command line */
  QCOAPCTL_EXIT_CLIENT_ERROR = 3, /* a response of class 4 (Client Error) */
  QCOAPCTL_EXIT_SERVER_ERROR = 4, /* a response of class 5 (Server Error) */
  QCOAPCTL_EXIT_TIMEOUT = 5,      /* no response in time (Timeout) */
  QCOAPCTL_EXIT_DAEMON_ERROR = 6, /* any other error qcoapd reported */
  QCOAPCTL_EXIT_UNREACHABLE = 7,  /* no bus, or qcoapd is not on it */
} QcoapctlExit;

/* The global options and, once connected, the client. */
typedef struct
{
  gboolean json;
  gboolean verbose;
  gboolean system_bus;
  gboolean session_bus;
  char *bus_address;
  QcoapClient *client;
} Qcoapctl;

/* Connects as the global options say. Prints the failure and returns FALSE. */
gboolean qcoapctl_connect (Qcoapctl *ctl);

/* Prints @error (the daemon's error name and its words) to stderr, or as a
 * JSON object to stdout with --json, and returns the exit status it means. */
QcoapctlExit qcoapctl_report_error (Qcoapctl *ctl, const GError *error);

/* Prints a usage error and returns QCOAPCTL_EXIT_USAGE. */
QcoapctlExit qcoapctl_usage_error (const char *format, ...) G_GNUC_PRINTF (1, 2);

/* The exit status a response code means. */
QcoapctlExit qcoapctl_exit_for_code (guint8 code);

/* The session named by a client ID ("0") or an object path, or NULL after
 * printing why. */
QcoapClientSession *qcoapctl_find_session (Qcoapctl *ctl, const char *id_or_path);

/* ---- the options and payload of a message (-e, -f, -t, -A, -O) ---- */

typedef struct
{
  char *text;
  char *file;
  char *content_format;
  char *accept;
  char **extra_options;
} MessageArgs;

GOptionEntry *message_args_entries (MessageArgs *args);
void message_args_clear (MessageArgs *args);

/* Adds the options of @args to @builder (an a(qv) builder) and reads the
 * payload. FALSE with an error for the user. */
gboolean message_args_build (MessageArgs *args, GVariantBuilder *options, GBytes **out_payload,
                             GError **error);

/* ---- output ---- */

/* "2.05 Content", or "2.30" for a code without a name. */
char *format_code (guint8 code);

/* "Content-Format: text/plain", one option. */
char *format_option (guint16 number, GVariant *value);

/* The payload for a line of text: 'text' when printable, else hex. */
char *format_payload (GBytes *payload);

/* The token as hex, "-" when empty. */
char *format_token (GBytes *token);

/* JSON: a quoted, escaped string; an a(qv) as an array of objects; a
 * response as an object. */
void json_append_string (GString *json, const char *text, gssize length);
void json_append_options (GString *json, GVariant *options);
void json_append_payload_members (GString *json, GBytes *payload);
void json_append_code_members (GString *json, guint8 code);
char *json_response (QcoapResponse *response);

/* ---- the commands ---- */

int qcoapctl_request (Qcoapctl *ctl, guint8 method, int argc, char **argv);
int qcoapctl_send (Qcoapctl *ctl, int argc, char **argv);
int qcoapctl_open (Qcoapctl *ctl, int argc, char **argv);
int qcoapctl_close (Qcoapctl *ctl, int argc, char **argv);
int qcoapctl_sessions (Qcoapctl *ctl, int argc, char **argv);
int qcoapctl_status (Qcoapctl *ctl, int argc, char **argv);
int qcoapctl_monitor (Qcoapctl *ctl, int argc, char **argv);

/* Parses @argv (argv[0] is the command word) with the command's entries and
 * the global ones; --help prints the command's help and exits 0. FALSE
 * after printing the problem. */
gboolean qcoapctl_parse (Qcoapctl *ctl, const char *command, const char *parameters,
                         const char *summary, const GOptionEntry *entries, int *argc, char ***argv);

G_END_DECLS
