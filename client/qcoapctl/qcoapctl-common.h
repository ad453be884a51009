/* SPDX-License-Identifier: MIT */
/* qcoapctl-common.h — what every qcoapctl command uses: the global options,
 * the connection, exit statuses and error reports, the options and payload
 * of a message. */
#pragma once

#include <qcoap-glib/qcoap-glib.h>

G_BEGIN_DECLS

/* Exit statuses, documented in qcoapctl.1 and --help. */
typedef enum
{
  QCOAPCTL_EXIT_OK = 0,            /* done; a response of class 2 (Success) */
  QCOAPCTL_EXIT_FAILURE = 1,       /* anything else: no such session, an unexpected class */
  QCOAPCTL_EXIT_USAGE = 2,         /* a wrong command line (qcoapd's InvalidArgument too) */
  QCOAPCTL_EXIT_CLIENT_ERROR = 3,  /* a response of class 4 (Client Error) */
  QCOAPCTL_EXIT_SERVER_ERROR = 4,  /* a response of class 5 (Server Error) */
  QCOAPCTL_EXIT_TIMEOUT = 5,       /* no response in time (Timeout, SendFailed) */
  QCOAPCTL_EXIT_DAEMON_ERROR = 6,  /* any other error qcoapd reported */
  QCOAPCTL_EXIT_UNREACHABLE = 7,   /* no bus, or qcoapd is not on it */
  QCOAPCTL_EXIT_ACCESS_DENIED = 8, /* the bus's policy refused the call */
  QCOAPCTL_EXIT_TRUNCATED = 9,     /* a 2.xx response of which the first block came only */
} QcoapctlExit;

/* The text of the exit statuses, for --help. */
extern const char qcoapctl_exit_status_text[];

/* The global options and, once connected, the client. */
typedef struct
{
  gboolean json;
  gboolean verbose;
  gboolean system_bus;
  gboolean session_bus;
  char *bus_address;
  QcoapClient *client;
  QcoapctlExit connect_status; /* why qcoapctl_connect() failed */
} Qcoapctl;

/* Parses @argv (argv[0] is the command word) with the command's entries and
 * the global ones; --help prints the command's help and exits 0. FALSE
 * after printing the problem. */
gboolean qcoapctl_parse (Qcoapctl *ctl, const char *command, const char *parameters,
                         const char *summary, const GOptionEntry *entries, int *argc, char ***argv);

/* @first followed by @second, in a new array that ends as GOption wants. */
GOptionEntry *qcoapctl_entries_concat (const GOptionEntry *first, const GOptionEntry *second);

/* Connects as the global options say. Prints the failure, sets
 * connect_status to the exit status it means and returns FALSE. */
gboolean qcoapctl_connect (Qcoapctl *ctl);

/* Prints @error (the daemon's error name and its words) to stderr, and as a
 * JSON object to stdout with --json, and returns the exit status it means. */
QcoapctlExit qcoapctl_report_error (Qcoapctl *ctl, const GError *error);

/* Prints a usage error (as JSON too with --json) and returns
 * QCOAPCTL_EXIT_USAGE. */
QcoapctlExit qcoapctl_usage_error (Qcoapctl *ctl, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* --psk-key-file FILE ("-": standard input): reads the DTLS key, the
 * file's first line, into *@key, so that it need not be on the command
 * line. Nothing to do for a NULL @file; QCOAPCTL_EXIT_USAGE after printing
 * the problem (with -k too, or no key in the file). */
QcoapctlExit qcoapctl_read_psk_key_file (Qcoapctl *ctl, const char *file, char **key);

/* The exit status a response code means. */
QcoapctlExit qcoapctl_exit_for_code (guint8 code);

/* The session named by a client ID ("0") or an object path, or NULL after
 * printing why. */
QcoapClientSession *qcoapctl_find_session (Qcoapctl *ctl, const char *id_or_path);

/* Bytes from hex digits ("0a1b"), at most @max_length of them; NULL if
 * @hex is not that. */
GBytes *qcoapctl_parse_hex (const char *hex, gsize max_length);

/* Adds Uri-Path and Uri-Query options for "/a/b?k=v&x=y" to @options (an
 * a(qv) builder). */
void qcoapctl_add_path_options (GVariantBuilder *options, const char *path);

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
 * payload. FALSE with an error for the user: every failure here, a file
 * that cannot be read included, is a fault of the command line. */
gboolean message_args_build (MessageArgs *args, GVariantBuilder *options, GBytes **out_payload,
                             GError **error);

G_END_DECLS
