/* SPDX-License-Identifier: MIT */
/* at-engine.h — the AT command queue on top of the lexer.
 *
 * The engine does no I/O of its own: the owner feeds it the bytes read from
 * the port (at_engine_feed()) and gives it a function that writes to the port.
 * On top of the lexer's events it keeps a FIFO of commands with exactly one in
 * flight: the next command is written only when the previous one has its final
 * result (OK, ERROR, +CME ERROR: …) or has failed.
 *
 * Nothing in the engine knows which lines a module sends unsolicited: whoever
 * consumes a URC registers for it (at_engine_add_urc_handler()), and every
 * command declares the prefixes of its own answer's lines (AtCommand's
 * `response`), as oFono's gatchat does. A line, wherever it arrives, goes
 *  1. while a command is in flight: to it if it is the command's echo (dropped),
 *     its final result (OK, ERROR, +CME ERROR: …, +CMS ERROR: …), or the
 *     "CONNECT" of a command that waits for it;
 *  2. to a handler registered with a matcher that accepts it: such a handler
 *     knows the line by its whole shape ("+QCOAPOPEN: 0,0", never the four
 *     fields of a read answer), so it wins over a command's prefixes;
 *  3. to the command in flight if it starts with one of the prefixes the
 *     command declared, or, for a command that accepts any line
 *     (AT_RESPONSE_ANY), if it carries the command's own name ("+CFUN: 1"
 *     while "AT+CFUN?" runs);
 *  4. to a handler registered with a prefix the line starts with;
 *  5. to a command that accepts any line;
 *  6. nowhere: it is logged as unknown and dropped — never taken for part
 *     of an answer that did not declare it.
 * +QCOAPRECV events (with their payload, or AT_EVENT_RECV_UNREADABLE without
 * it, logged as a warning) go to the handlers by their header line: the lexer
 * has already told them from answers.
 *
 * Secrets: a command with a secret argument gives the text to log and quote
 * in errors itself (AtCommand's `shown`); the engine never logs `text` then.
 *
 * Timeouts and back-off delays run on the thread-default main context of the
 * thread that created the engine.
 *
 * After a timeout the modem may still answer the timed-out command, and that
 * late answer must not be taken for the answer of the next command. So before
 * the next queued command is written the engine resynchronises: it writes a
 * probe whose answer is recognisable (the owner's list, at_engine_set_probes():
 * each a command and a test for a line of its answer that no other command
 * gives), never one that could give the same lines as the timed-out command,
 * and waits for that line
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
 * mean to their callers. AT_ERROR_MODEM for ERROR, +CME ERROR and +CMS ERROR:
 * the message quotes the command and the modem's words for people, and the
 * error carries the final result as fields for code (at_error_get_final());
 * AT_ERROR_TIMEOUT, AT_ERROR_PORT_LOST (write failed, modem does not answer,
 * engine freed), G_IO_ERROR_CANCELLED, or the reason given to
 * at_engine_reset().
 *
 * AtEngine is a GObject so that GTask keeps it alive while a command's
 * callback runs; owners use at_engine_new()/at_engine_free().
 */
#pragma once

#include <gio/gio.h>

#include "at-command.h"
#include "at-lexer.h"
#include "at-urc-table.h"

G_BEGIN_DECLS

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
/* The modem failed @failed_probes resynchronisation probes in a row (called
 * once when that count reaches AT_ENGINE_RESYNC_ATTEMPTS): the owner may want
 * to reopen the port, and then calls at_engine_reset(). */
typedef void (*AtEngineFailureFunc) (AtEngine *engine, guint failed_probes, gpointer user_data);

/* A recognisable probe for resynchronisation: @command's answer has a line
 * for which @is_marker is TRUE and no other command's answer has, except
 * those starting with one of @conflicts (the probe is not used after a
 * timeout of one of those). */
typedef struct
{
  const char *command;
  gboolean (*is_marker) (const char *line);
  const char *conflicts[4];
} AtProbe;

AtEngine *at_engine_new (AtEngineWriteFunc write, gpointer user_data);
/* Fails every queued and in-flight command with AT_ERROR_PORT_LOST,
 * stops all timers and drops the owner's reference. The functions given to
 * at_engine_new() are not called any more. */
void at_engine_free (AtEngine *engine);

void at_engine_set_failure_func (AtEngine *engine, AtEngineFailureFunc func, gpointer user_data);
/* The probes resynchronisation uses, in turn (@probes is static, at least
 * two of them). Until this is called, resynchronisation has nothing to send
 * and counts every attempt as failed. */
void at_engine_set_probes (AtEngine *engine, const AtProbe *probes, guint n_probes);

/* Registers @func for the unsolicited lines that start with @prefix, or that
 * @matcher accepts (exactly one of the two); see the order above. Returns an
 * id for at_engine_remove_urc_handler(). The first handler registered wins
 * where two would take the same line. */
guint at_engine_add_urc_handler (AtEngine *engine, const char *prefix, AtLineMatchFunc matcher,
                                 AtUrcFunc func, gpointer user_data);
void at_engine_remove_urc_handler (AtEngine *engine, guint id);
/* For tests: the time a probe may take (default AT_ENGINE_PROBE_TIMEOUT_MS). */
void at_engine_set_probe_timeout (AtEngine *engine, guint timeout_ms);
/* After the first probe of a resynchronisation that got no answer, @length
 * carriage returns are written: a module left reading a fixed-length
 * payload takes them as the rest of it (and sends that message), one in
 * command mode ignores them as empty lines. 0 (the default): none. */
void at_engine_set_probe_filler (AtEngine *engine, gsize length);
/* How to tell a +QCOAPRECV header that a line end inside an option cut
 * (see at-lexer.h); without it, a header ends at its first line end. */
void at_engine_set_recv_continuation (AtEngine *engine, AtLexerContinuationFunc func);

/* Bytes read from the port, in any chunking. */
void at_engine_feed (AtEngine *engine, const guint8 *data, gsize length);

/* Queues @command. Its timeout runs from the moment the command is written
 * until its final result. Cancelling a command that is still queued removes it at once;
 * cancelling one already written still waits for its final result (so the
 * reply is absorbed), writes Esc instead of the payload if the prompt had not
 * come yet, and then completes with G_IO_ERROR_CANCELLED. */
void at_engine_command (AtEngine *engine, const AtCommand *command, GCancellable *cancellable,
                        GAsyncReadyCallback callback, gpointer user_data);
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

G_END_DECLS
