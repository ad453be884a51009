/* at-engine.h — the AT command queue on top of the lexer.
 *
 * The engine does no I/O of its own: the owner feeds it the bytes read from
 * the port (at_engine_feed()) and gives it a function that writes to the port.
 * On top of the lexer's events it keeps a FIFO of commands with exactly one in
 * flight: the next command is written only when the previous one has its final
 * result (OK, ERROR, +CME ERROR: …) or has failed.
 *
 * Lines are sorted as follows, wherever they arrive (idle, between a command
 * and its final result, before a prompt):
 *  - URCs go to the URC function (see at_line_is_urc()); +QCOAPRECV events with
 *    their payload too, and those too large to read (AT_EVENT_RECV_UNREADABLE,
 *    logged as a warning) without it. A line that looks like a URC but names
 *    the command in flight ("+CFUN: 1" while "AT+CFUN?" runs) is that
 *    command's answer; "+QCOAPOPEN: <id>,<result>" and "+QCOAPCLOSE:
 *    <id>,<result>" (two integer fields) are always URCs, the four-field
 *    "+QCOAPOPEN:" lines of the read command never are.
 *  - While a command is in flight: a line equal to the command is its echo and
 *    is dropped; a final result completes it; anything else is one of its
 *    intermediate lines.
 *  - While idle, anything else (a stray OK, garbage) is logged and dropped.
 *
 * Timeouts and back-off delays run on the thread-default main context of the
 * thread that created the engine.
 *
 * After a timeout the modem may still answer the timed-out command, and that
 * late answer must not be taken for the answer of the next command. So before
 * the next queued command is written the engine resynchronises: it writes a
 * probe whose answer is recognisable (ATI → "Revision: …", AT+GSN → a line of
 * 15 digits, AT+QCOAPCFG=? → a "+QCOAPCFG:" line with a range), never one that
 * could give the same lines as the timed-out command, and waits for that line
 * followed by a final result. A bare "AT" would not do: its OK cannot be told
 * from the late OK of the timed-out command. The modem answers in order, so
 * once the probe's own answer is seen, nothing older can still come. Failed
 * probes are retried with exponential back-off (at most 1 s) and a different
 * probe each time; after AT_ENGINE_RESYNC_ATTEMPTS consecutive failures the
 * queued commands fail with AT_ERROR_PORT_LOST, new ones fail at
 * once, the failure function is told, and probing goes on (so the engine
 * recovers by itself) until a probe succeeds or at_engine_reset() is called.
 *
 * Errors are the engine's own (AT_ERROR): the layers above decide what they
 * mean to their callers. AT_ERROR_MODEM for ERROR and +CME ERROR (the message
 * quotes the command and the modem's words), AT_ERROR_TIMEOUT, AT_ERROR_
 * PORT_LOST (write failed, modem does not answer, engine freed),
 * G_IO_ERROR_CANCELLED, or the reason given to at_engine_reset().
 *
 * AtEngine is a GObject so that GTask keeps it alive while a command's
 * callback runs; owners use at_engine_new()/at_engine_free().
 */
#pragma once

#include <gio/gio.h>

#include "at-lexer.h"

G_BEGIN_DECLS

#define AT_ERROR (at_error_quark ())
GQuark at_error_quark (void);

typedef enum
{
  AT_ERROR_TIMEOUT,   /* no final result within the command's timeout */
  AT_ERROR_PORT_LOST, /* the port failed, the modem stopped answering, the engine closed */
  AT_ERROR_MODEM,     /* ERROR or +CME ERROR: the message quotes the modem's words */
} AtError;

/* Used when at_engine_command() is given a timeout of 0. */
#define AT_ENGINE_DEFAULT_TIMEOUT_MS 5000
/* How long a resynchronisation probe may take (local commands answer within
 * 300 ms). */
#define AT_ENGINE_PROBE_TIMEOUT_MS 1000
/* Back-off between failed probes: 125 ms, doubled each time, at most 1 s. */
#define AT_ENGINE_FIRST_BACKOFF_MS 125
#define AT_ENGINE_MAX_BACKOFF_MS   1000
/* Consecutive failed probes after which the modem counts as unresponsive. */
#define AT_ENGINE_RESYNC_ATTEMPTS 4

#define AT_TYPE_ENGINE (at_engine_get_type ())
G_DECLARE_FINAL_TYPE (AtEngine, at_engine, AT, ENGINE, GObject)

/* Writes all of @data to the port; FALSE if that failed. */
typedef gboolean (*AtEngineWriteFunc) (const guint8 *data, gsize length, gpointer user_data);
/* A URC line (AT_EVENT_LINE) or a +QCOAPRECV event (AT_EVENT_RECV or
 * AT_EVENT_RECV_UNREADABLE); the event and its strings are valid during the
 * call only. */
typedef void (*AtEngineUrcFunc) (const AtEvent *event, gpointer user_data);
/* The modem failed @failed_probes resynchronisation probes in a row (called
 * once when that count reaches AT_ENGINE_RESYNC_ATTEMPTS): the owner may want
 * to reopen the port, and then calls at_engine_reset(). */
typedef void (*AtEngineFailureFunc) (AtEngine *engine, guint failed_probes, gpointer user_data);

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

typedef struct
{
  GPtrArray *lines; /* char *: the intermediate lines, in order, without echo or URCs */
  char *final;      /* the final result: "OK" */
} AtResponse;

void at_response_free (AtResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AtResponse, at_response_free)

AtEngine *at_engine_new (AtEngineWriteFunc write, AtEngineUrcFunc urc, gpointer user_data);
/* Fails every queued and in-flight command with AT_ERROR_PORT_LOST,
 * stops all timers and drops the owner's reference. The functions given to
 * at_engine_new() are not called any more. */
void at_engine_free (AtEngine *engine);

void at_engine_set_failure_func (AtEngine *engine, AtEngineFailureFunc func, gpointer user_data);
/* For tests: the time a probe may take (default AT_ENGINE_PROBE_TIMEOUT_MS). */
void at_engine_set_probe_timeout (AtEngine *engine, guint timeout_ms);

/* Bytes read from the port, in any chunking. */
void at_engine_feed (AtEngine *engine, const guint8 *data, gsize length);

/* Queues @command (without CR: the engine appends it). @payload is required
 * for the two payload modes and ignored otherwise. @timeout_ms (0: the
 * default) runs from the moment the command is written until its final
 * result. Cancelling a command that is still queued removes it at once;
 * cancelling one already written still waits for its final result (so the
 * reply is absorbed), writes Esc instead of the payload if the prompt had not
 * come yet, and then completes with G_IO_ERROR_CANCELLED. */
void at_engine_command (AtEngine *engine, const char *command, AtPayloadMode mode, GBytes *payload,
                        guint timeout_ms, GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data);
/* Returns the response of a command whose final result was OK. */
AtResponse *at_engine_command_finish (AtEngine *engine, GAsyncResult *result, GError **error);

/* The port was lost or the modem restarted: fails the in-flight and every
 * queued command with a copy of @reason, forgets partial input and any
 * resynchronisation in progress. */
void at_engine_reset (AtEngine *engine, const GError *reason);

/* Before the next command, makes sure that nothing older is still to come,
 * with a probe as after a timeout: for a port just opened, where a modem may
 * still answer what a previous owner of the port sent. */
void at_engine_resynchronize (AtEngine *engine);

/* FALSE while the engine resynchronises or the modem counts as unresponsive. */
gboolean at_engine_is_synchronized (AtEngine *engine);

/* @command as the engine logs it and quotes it in errors: the secret
 * argument of a command that has one (the password of AT+QICSGP) is
 * "********". */
char *at_command_redact (const char *command);
/* The modem's own words ("ERROR", "+CME ERROR: 30") of an AT_ERROR_MODEM
 * error, or NULL for any other error. */
char *at_error_dup_modem_words (const GError *error);

/* Classification used by the engine, exposed for the QCOAP layer and tests. */
gboolean at_line_is_urc (const char *line);
gboolean at_line_is_final (const char *line);

G_END_DECLS
