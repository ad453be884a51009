/* SPDX-License-Identifier: MIT */
/* qcoapctl.h — the commands of qcoapctl and the output they share. */
#pragma once

#include "qcoapctl-common.h"

G_BEGIN_DECLS

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

/* Prints one event line of the monitor and frees it: the text form after
 * the local time ("14:03:07.215 "), a JSON object with a "time" member
 * (ISO 8601) after its first. */
void qcoapctl_emit_event (Qcoapctl *ctl, GString *line);

/* ---- a request on a session, its signals watched ---- */

typedef struct
{
  guint8 method;
  const char *path;  /* "/a/b?k=v" */
  GVariant *options; /* a(qv), not floating */
  GBytes *payload;
  gboolean confirmable;
  guint wait_s;  /* -B; 0: the daemon's default */
  GBytes *token; /* -T; NULL: the daemon picks one and matches the response */
} ExchangeRequest;

/* Sends @request on @session and waits for its response, printing each
 * retransmission with -v. */
QcoapResponse *qcoapctl_exchange (Qcoapctl *ctl, QcoapClientSession *session,
                                  const ExchangeRequest *request, GError **error);

/* ---- the cellular network ---- */

/* Prints one "section | key: value" line of status. */
typedef void (*QcoapctlPrintField) (const char *section, const char *key, const char *value);

/* The Network and Data lines of status, and their JSON members (without
 * braces, for an object being written), of @modem: an a{sv} of the Modem
 * interface's properties (see qcoapctl_get_modems()). */
void qcoapctl_print_network_text (GVariant *modem, QcoapctlPrintField print_field);
void qcoapctl_append_network_json (GString *json, GVariant *modem);

/* Prints a line for every change of the registration and of a data
 * context from now on, until stopped. */
typedef struct _QcoapctlNetworkWatch QcoapctlNetworkWatch;
QcoapctlNetworkWatch *qcoapctl_network_watch_start (Qcoapctl *ctl);
/* "home (lte-m, Fake Telecom)": the registration as last printed. */
const char *qcoapctl_network_watch_get_registration (QcoapctlNetworkWatch *watch);
void qcoapctl_network_watch_stop (QcoapctlNetworkWatch *watch);

/* ---- the modems ---- */

/* Each modem's properties (a{sv}, as qcoap_client_lookup_modem() gives
 * them), in the order of the daemon's configuration; NULL from a daemon
 * that lists no modems. */
GPtrArray *qcoapctl_get_modems (QcoapClient *client);

/* A string of @modem, "" while the daemon has not reported it. */
const char *qcoapctl_modem_string (GVariant *modem, const char *key);

/* The manager's modem properties in the same a{sv}, without "Name": the
 * one modem of a daemon that lists none. */
GVariant *qcoapctl_manager_modem (QcoapClient *client);

/* The name of @session's modem, else its object path; NULL from a daemon
 * that does not say. */
const char *qcoapctl_session_modem (QcoapClient *client, QcoapClientSession *session);

/* The Modem, Hardware, Network, Data and Clients lines of status for
 * @modem, with a name line when it has a name. */
void qcoapctl_print_modem_text (GVariant *modem, const char *rule, QcoapctlPrintField print_field);

/* @modem as a JSON object. */
void qcoapctl_append_modem_json (GString *json, GVariant *modem);

/* ---- the commands ---- */

int qcoapctl_request (Qcoapctl *ctl, guint8 method, int argc, char **argv);
int qcoapctl_send (Qcoapctl *ctl, int argc, char **argv);
int qcoapctl_open (Qcoapctl *ctl, int argc, char **argv);
int qcoapctl_close (Qcoapctl *ctl, int argc, char **argv);
int qcoapctl_sessions (Qcoapctl *ctl, int argc, char **argv);
int qcoapctl_status (Qcoapctl *ctl, int argc, char **argv);
int qcoapctl_monitor (Qcoapctl *ctl, int argc, char **argv);
int qcoapctl_at (Qcoapctl *ctl, int argc, char **argv);

G_END_DECLS
