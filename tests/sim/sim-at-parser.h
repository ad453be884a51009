/* SPDX-License-Identifier: MIT */
/* sim-at-parser.h — the simulator's AT input parser, free of I/O.
 *
 * The modem's serial input is a byte stream in one of four modes: command
 * lines ended by CR, a payload of exactly N bytes (QCOAPSEND with a length,
 * QFUPL after CONNECT), or a payload ended by Ctrl+Z that Esc cancels. The
 * parser is fed bytes and stops after each complete event, so that the
 * handler of a command line can switch the mode before the bytes that follow
 * it are looked at. Nothing here does I/O, which keeps it fuzzable.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Longest command line kept; longer lines are reported as OVERLONG. */
#define SIM_AT_MAX_LINE 4096

#define SIM_AT_CTRL_Z 0x1a
#define SIM_AT_ESC    0x1b

typedef enum
{
  SIM_AT_MODE_LINE,
  SIM_AT_MODE_FIXED, /* exactly N bytes, any values */
  SIM_AT_MODE_CTRLZ, /* until Ctrl+Z; Esc cancels */
} SimAtMode;

typedef enum
{
  SIM_AT_EVENT_NONE,      /* all bytes consumed, nothing complete yet */
  SIM_AT_EVENT_LINE,      /* a command line (CR stripped, may be empty) */
  SIM_AT_EVENT_OVERLONG,  /* a line longer than SIM_AT_MAX_LINE ended */
  SIM_AT_EVENT_PAYLOAD,   /* a payload is complete */
  SIM_AT_EVENT_CANCELLED, /* Esc ended a Ctrl+Z payload */
  SIM_AT_EVENT_OVERFLOW,  /* a Ctrl+Z payload exceeded its maximum */
} SimAtEventKind;

typedef struct
{
  SimAtEventKind kind;
  /* LINE: NUL-terminated text; PAYLOAD: the bytes. Valid until the next
   * call on the parser. */
  const guint8 *data;
  gsize length;
} SimAtEvent;

typedef struct _SimAtParser SimAtParser;

SimAtParser *sim_at_parser_new (void);
void sim_at_parser_free (SimAtParser *parser);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimAtParser, sim_at_parser_free)

/* Consumes bytes from @data up to and including the one that completes an
 * event, fills @event and returns how many bytes it consumed. Call again with
 * the rest. After a payload event the parser is back in line mode. */
gsize sim_at_parser_feed (SimAtParser *parser, const guint8 *data, gsize length, SimAtEvent *event);

/* Switches to a payload mode: FIXED reads exactly @length bytes (at least
 * 1), CTRLZ reads at most @length bytes before the Ctrl+Z. */
void sim_at_parser_expect_payload (SimAtParser *parser, SimAtMode mode, gsize length);

SimAtMode sim_at_parser_get_mode (SimAtParser *parser);

/* Drops any partial line or payload and returns to line mode. */
void sim_at_parser_reset (SimAtParser *parser);

/* ---- command line splitting ---- */

typedef enum
{
  SIM_AT_KIND_EXEC,  /* AT+X  or  ATE1 */
  SIM_AT_KIND_TEST,  /* AT+X=? */
  SIM_AT_KIND_READ,  /* AT+X? */
  SIM_AT_KIND_WRITE, /* AT+X=... */
} SimAtKind;

typedef struct
{
  gboolean quoted;
  char *text; /* without the quotes */
} SimAtArg;

typedef struct
{
  char *name; /* upper-case, without "AT": "+QCOAPSEND", "E1", "I", "" */
  SimAtKind kind;
  GPtrArray *args; /* of SimAtArg*, only for WRITE */
} SimAtCommand;

void sim_at_command_free (SimAtCommand *command);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimAtCommand, sim_at_command_free)

/* Splits a command line. Returns NULL when it does not start with "AT"/"at"
 * or its arguments are malformed (an unterminated quote, a character after a
 * closing quote that is not a comma). */
SimAtCommand *sim_at_command_parse (const char *line);

/* Typed access to write arguments; FALSE when absent or of the wrong form. */
gboolean sim_at_command_get_uint (const SimAtCommand *command, guint index, guint min, guint max,
                                  guint *value);
gboolean sim_at_command_get_uint64 (const SimAtCommand *command, guint index, guint64 max,
                                    guint64 *value);
const char *sim_at_command_get_string (const SimAtCommand *command, guint index);
guint sim_at_command_n_args (const SimAtCommand *command);

/* Decodes an even number of hexadecimal digits; NULL if @text is not that. */
GBytes *sim_at_hex_decode (const char *text);

/* What a log shows in place of a secret. */
#define SIM_AT_MASK "********"

/* For the log: a copy of @line with write argument @index of the command
 * @name (as SimAtCommand.name: "+QICSGP") replaced by SIM_AT_MASK, or NULL
 * when @line is not that command or has no such argument. A flaw in the
 * argument list (an unterminated quote, text after a closing quote) at or
 * before @index masks everything from there on, so that a mistyped line
 * does not show its secret either. */
char *sim_at_mask_argument (const char *line, const char *name, guint index);

G_END_DECLS
