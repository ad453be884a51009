/* SPDX-License-Identifier: MIT */
/* at-lexer.h — byte-level lexer for the modem's AT response stream.
 *
 * The lexer is a pure state machine: it is fed arbitrary chunks of bytes (a
 * chunk may end anywhere, even in the middle of "OK" or of a payload) and
 * reports complete events through a callback. It does no I/O and keeps no
 * notion of which command is in flight; the AT engine above it decides what an
 * event means. This separation lets it be unit-tested byte by byte and fuzzed.
 *
 * Events:
 *  - AT_EVENT_LINE: one non-empty line of text, without its CR/LF framing.
 *    Lines end at CR or LF (an echoed command ends with CR alone). Empty lines
 *    are skipped. Lines longer than AT_LEXER_MAX_LINE are cut: the first
 *    AT_LEXER_MAX_LINE bytes are reported with `truncated` set and the rest of
 *    the line is dropped.
 *  - AT_EVENT_PROMPT: the "> " data prompt of AT+QCOAPSEND (a '>' at the start
 *    of a line; the space after it is optional and swallowed).
 *  - AT_EVENT_RECV: a "+QCOAPRECV:" line whose last field is the payload length
 *    N, reported together with exactly the N bytes that follow the line's
 *    CR LF, whatever they contain. The CR LF after the payload is then skipped
 *    as an empty line. The module computes N from the datagram, so it is
 *    believed whatever its size: those N bytes are never read as AT text,
 *    which is what keeps a CoAP peer from writing AT lines of its own into
 *    its payload. A header line may be up to AT_LEXER_MAX_RECV_LINE bytes
 *    long (its options are printed in it) and N up to AT_LEXER_MAX_PAYLOAD.
 *  - AT_EVENT_RECV_UNREADABLE: a "+QCOAPRECV:" that cannot be reported whole:
 *    its header line is longer than AT_LEXER_MAX_RECV_LINE (`truncated` is
 *    set; `line` holds the first AT_LEXER_MAX_RECV_LINE bytes, and the length
 *    was read from the line's last bytes, kept while its middle was
 *    dropped), or N is over AT_LEXER_MAX_PAYLOAD (`line` is whole). The N
 *    payload bytes have been consumed all the same, and are not reported
 *    (`payload` NULL, `payload_length` 0). The message is not whole and must
 *    not be delivered as if it were; the leading fields of `line` (client ID,
 *    message ID, code, token) are intact.
 *    `fault` says why.
 *  A "+QCOAPRECV:" line whose last field is not a length (0..G_MAXUINT32) is
 *  reported as a plain LINE, cut to AT_LEXER_MAX_LINE bytes like any other,
 *  unless the owner's continuation check (at_lexer_set_continuation()) says
 *  the header goes on: a string option holding CR or LF, which the module
 *  prints raw, ends the line early. The header is then joined with the
 *  following lines, their line ends kept, until its last field is a length,
 *  for at most AT_LEXER_MAX_RECV_JOINS line ends; one that never ends is
 *  RECV_UNREADABLE (AT_RECV_FAULT_UNFINISHED) and its lines are never read
 *  as AT text.
 *  The module prints CR LF after the payload. A payload followed by anything
 *  else was framed wrongly (a header ended early where a value held a line
 *  end and what followed happened to parse): it is RECV_UNREADABLE
 *  (AT_RECV_FAULT_MISFRAMED), and the byte that came instead starts a line.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Any line; a +QCOAPRECV header gets AT_LEXER_MAX_RECV_LINE. */
#define AT_LEXER_MAX_LINE 2048
/* A +QCOAPRECV header line: room for dozens of options of hundreds of bytes
 * each, printed in hexadecimal. */
#define AT_LEXER_MAX_RECV_LINE 16384
/* The largest payload reported; a UDP datagram carries at most 65 507 bytes. */
#define AT_LEXER_MAX_PAYLOAD 65536
/* Line ends (CR and LF count one each) a +QCOAPRECV header may hold: a few
 * options with a line break each. */
#define AT_LEXER_MAX_RECV_JOINS 16

typedef enum
{
  AT_EVENT_LINE,
  AT_EVENT_PROMPT,
  AT_EVENT_RECV,
  AT_EVENT_RECV_UNREADABLE,
} AtEventKind;

/* Why a RECV_UNREADABLE could not be read. */
typedef enum
{
  AT_RECV_FAULT_NONE,
  AT_RECV_FAULT_HEADER_TOO_LONG,   /* over AT_LEXER_MAX_RECV_LINE bytes */
  AT_RECV_FAULT_PAYLOAD_TOO_LARGE, /* over AT_LEXER_MAX_PAYLOAD bytes */
  AT_RECV_FAULT_UNFINISHED,        /* line ends went on past AT_LEXER_MAX_RECV_JOINS */
  AT_RECV_FAULT_MISFRAMED,         /* no CR LF after the payload */
} AtRecvFault;

/* Words for a log: "its payload is over 65536 bytes". */
const char *at_recv_fault_describe (AtRecvFault fault);

typedef struct
{
  AtEventKind kind;
  AtRecvFault fault; /* RECV_UNREADABLE only */
  const char *line;  /* NUL-terminated copy valid during the callback; "" for PROMPT */
  gsize line_length;
  gboolean truncated;    /* LINE, RECV_UNREADABLE: the line was cut */
  const guint8 *payload; /* RECV only; valid during the callback */
  gsize payload_length;
} AtEvent;

typedef void (*AtLexerEventFunc) (const AtEvent *event, gpointer user_data);
/* Whether a "+QCOAPRECV:" header whose last field is not a length (@header,
 * NUL-terminated) is one that a line end inside an option cut: its leading
 * fields read as the module prints them. */
typedef gboolean (*AtLexerContinuationFunc) (const char *header);

typedef struct _AtLexer AtLexer;

AtLexer *at_lexer_new (AtLexerEventFunc func, gpointer user_data);
void at_lexer_free (AtLexer *lexer);
/* Without one, a +QCOAPRECV header ends at its first line end. */
void at_lexer_set_continuation (AtLexer *lexer, AtLexerContinuationFunc func);
/* Feeds bytes; events are delivered synchronously from inside this call. */
void at_lexer_feed (AtLexer *lexer, const guint8 *data, gsize length);
/* Forgets any partial line or payload (after a port reopen or a resync).
 * May be called from inside the event callback: the rest of the chunk being
 * fed is then dropped, as it was read before the reset. (at_lexer_free() must
 * not be called from inside the callback.) */
void at_lexer_reset (AtLexer *lexer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AtLexer, at_lexer_free)

G_END_DECLS
