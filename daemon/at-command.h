/* SPDX-License-Identifier: MIT */
/* at-command.h — an AT command as its sender describes it, and how it ends.
 *
 * Free of I/O and of the engine: the sender's description of a command
 * (AtCommand, or AtStep when it waits in a queue), what it answered
 * (AtResponse), and its final result read into fields (AtFinal), which an
 * AT_ERROR_MODEM error carries for the code that handles it.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define AT_ERROR (at_error_quark ())
GQuark at_error_quark (void);

typedef enum
{
  AT_ERROR_TIMEOUT,   /* no final result within the command's timeout */
  AT_ERROR_PORT_LOST, /* the port failed, the modem stopped answering, the engine closed */
  AT_ERROR_MODEM,     /* ERROR, +CME ERROR or +CMS ERROR: see at_error_get_final() */
} AtError;

typedef enum
{
  AT_FINAL_OK,
  AT_FINAL_ERROR,     /* a plain ERROR */
  AT_FINAL_CME_ERROR, /* +CME ERROR: <code> or <words> (3GPP TS 27.007 9.2) */
  AT_FINAL_CMS_ERROR, /* +CMS ERROR: <code> or <words> (3GPP TS 27.005 3.2.5) */
} AtFinalKind;

/* The two final result codes that are whole lines by themselves. */
#define AT_FINAL_OK_TEXT    "OK"
#define AT_FINAL_ERROR_TEXT "ERROR"

/* A final result code, read once where it arrives. */
typedef struct
{
  AtFinalKind kind;
  int code;    /* the numeric error code, or -1 when the modem gave words (or none) */
  char *words; /* what follows "ERROR: " ("SIM not inserted", "30"), or "" */
  char *line;  /* the whole line as the modem printed it ("+CME ERROR: 30") */
} AtFinal;

/* TRUE and @final filled (free with at_final_clear()) if @line is a final
 * result code. */
gboolean at_final_parse (const char *line, AtFinal *final);
void at_final_clear (AtFinal *final);

/* The final result of an AT_ERROR_MODEM error, NULL for any other error. */
const AtFinal *at_error_get_final (const GError *error);

typedef enum
{
  AT_PAYLOAD_NONE,
  /* The modem answers "> " (AT+QCOAPSEND); the payload is written then, byte
   * for byte, as given: a command without a length must end its payload with
   * Ctrl+Z itself.
   * If a final result comes instead of the prompt, the command ends with it. */
  AT_PAYLOAD_AFTER_PROMPT,
  /* The modem answers a "CONNECT" line (AT+QFUPL); the payload is written
   * then, and the lines up to the final result are collected as usual. */
  AT_PAYLOAD_AFTER_CONNECT,
} AtPayloadMode;

/* `response` of a command whose answer is free text ("ATI": "Quectel",
 * "BG96", "Revision: …"), or any line at all (a command a person typed). */
extern const char *const at_response_any[];
#define AT_RESPONSE_ANY (at_response_any)

/* Whether @line belongs to the answer of the command @text whose `response`
 * is @response: by one of its prefixes, or, for AT_RESPONSE_ANY, by the
 * command's name ("+CFUN: 1" answers "AT+CFUN?"). */
gboolean at_response_declares (const char *const *response, const char *text, const char *line);

/* One command, as its sender describes it. The engine copies what it keeps. */
typedef struct
{
  const char *text;            /* without CR: the engine appends it */
  const char *shown;           /* nullable: @text as logs and errors may show it */
  const char *const *response; /* NULL-terminated prefixes of the answer's lines,
                                * AT_RESPONSE_ANY, or NULL: no lines expected */
  AtPayloadMode mode;
  GBytes *payload;  /* required for the two payload modes, ignored otherwise */
  guint timeout_ms; /* 0: the engine's default */
} AtCommand;

/* An AtCommand that owns its text: one step of a transaction that waits in
 * a queue before it is sent. */
typedef struct
{
  char *command;
  char *shown; /* nullable: see AtCommand */
  const char *const *response;
  AtPayloadMode mode;
  GBytes *payload; /* nullable */
  guint timeout_ms;
} AtStep;

AtStep *at_step_new (char *command /* owned */, const char *const *response, AtPayloadMode mode,
                     GBytes *payload, guint timeout_ms);
/* @shown (owned): what logs and errors show of a command with a secret. */
void at_step_set_shown (AtStep *step, char *shown);
void at_step_free (AtStep *step);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AtStep, at_step_free)
/* @step as an AtCommand that borrows its strings. */
AtCommand at_step_get_command (const AtStep *step);

typedef struct
{
  GPtrArray *lines; /* char *: the intermediate lines, in order, without echo or URCs */
  char *final;      /* the final result: "OK" */
  gboolean echoed;  /* the module echoed the command (its echo was on) */
} AtResponse;

void at_response_free (AtResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AtResponse, at_response_free)

/* An AT_ERROR_MODEM error for @final (its contents taken) of the command
 * shown as @shown. */
GError *at_error_new_modem (AtFinal *final, const char *shown);

/* TRUE for OK, ERROR, +CME ERROR: and +CMS ERROR:. */
gboolean at_line_is_final (const char *line);

G_END_DECLS
