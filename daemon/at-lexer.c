/* SPDX-License-Identifier: MIT */
/* at-lexer.c — byte-level lexer for the modem's AT response stream.
 *
 * Every byte moves a small state machine; nothing looks ahead and nothing is
 * read "by line", so the events only depend on the byte sequence, never on
 * how it was cut into chunks. That property is what the unit tests and the
 * fuzz target check.
 */
#include "at-lexer.h"

#include <string.h>

#define RECV_PREFIX        "+QCOAPRECV:"
#define RECV_PREFIX_LENGTH (sizeof RECV_PREFIX - 1)
/* Bytes kept from the end of an over-long +QCOAPRECV header: its last field,
 * the length, has at most 10 digits and a few spaces. */
#define RECV_TAIL_SIZE 32

typedef enum
{
  STATE_START,         /* at the beginning of a line: CR and LF are skipped */
  STATE_LINE,          /* inside a line */
  STATE_SKIP_LINE,     /* the rest of an overlong line is dropped */
  STATE_RECV_TAIL,     /* the middle of an overlong +QCOAPRECV header: its tail is kept */
  STATE_PROMPT_SPACE,  /* after a '>' prompt: one optional space follows */
  STATE_RECV_AFTER_CR, /* a +QCOAPRECV line ended with CR: an LF may follow */
  STATE_PAYLOAD,       /* consuming the payload of a +QCOAPRECV line */
  STATE_PAYLOAD_END,   /* the payload is complete: its CR LF must follow */
} AtLexerState;

struct _AtLexer
{
  AtLexerEventFunc func;
  gpointer user_data;
  AtLexerContinuationFunc continuation;

  AtLexerState state;
  /* Room for AT_LEXER_MAX_LINE bytes and a NUL, grown for a +QCOAPRECV
   * header that goes on. */
  char *line;
  gsize line_capacity;
  gsize line_length;

  /* The last bytes of an over-long +QCOAPRECV header, a ring. */
  char tail[RECV_TAIL_SIZE];
  gsize tail_count;

  /* A +QCOAPRECV line whose payload is being consumed; its text stays in
   * `line` until the payload is complete. An unreadable one (header cut or
   * payload too large) has its bytes counted, not kept. */
  guint8 *payload; /* grown to the largest payload seen */
  gsize payload_capacity;
  gsize payload_expected;
  gsize payload_length;
  gboolean recv_readable;
  gboolean recv_cut;
  AtRecvFault fault;
  guint joins; /* line ends taken into the +QCOAPRECV header */

  /* Bumped by at_lexer_reset(); lets at_lexer_feed() notice that a callback
   * reset the lexer and that the rest of the chunk belongs to the past. */
  guint generation;
};

AtLexer *
at_lexer_new (AtLexerEventFunc func, gpointer user_data)
{
  AtLexer *lexer;

  g_return_val_if_fail (func != NULL, NULL);

  lexer = g_new0 (AtLexer, 1);
  lexer->func = func;
  lexer->user_data = user_data;
  lexer->state = STATE_START;
  lexer->line_capacity = AT_LEXER_MAX_LINE + 1;
  lexer->line = g_malloc (lexer->line_capacity);
  return lexer;
}

const char *
at_recv_fault_describe (AtRecvFault fault)
{
  switch (fault)
    {
      case AT_RECV_FAULT_HEADER_TOO_LONG:
        return "its header line is over " G_STRINGIFY (AT_LEXER_MAX_RECV_LINE) " bytes";
      case AT_RECV_FAULT_PAYLOAD_TOO_LARGE:
        return "its payload is over " G_STRINGIFY (AT_LEXER_MAX_PAYLOAD) " bytes";
      case AT_RECV_FAULT_UNFINISHED:
        return "its header went on over " G_STRINGIFY (AT_LEXER_MAX_RECV_JOINS) " line ends";
      case AT_RECV_FAULT_MISFRAMED:
        return "no line end after its payload: the header ended early, where an option held a "
               "line end";
      case AT_RECV_FAULT_NONE:
      default:
        return "no fault";
    }
}

void
at_lexer_set_continuation (AtLexer *lexer, AtLexerContinuationFunc func)
{
  g_return_if_fail (lexer != NULL);

  lexer->continuation = func;
}

void
at_lexer_free (AtLexer *lexer)
{
  if (lexer == NULL)
    return;
  g_free (lexer->line);
  g_free (lexer->payload);
  g_free (lexer);
}

static void
start_line (AtLexer *lexer)
{
  lexer->state = STATE_START;
  lexer->line_length = 0;
  lexer->tail_count = 0;
  lexer->payload_expected = 0;
  lexer->payload_length = 0;
  lexer->recv_readable = FALSE;
  lexer->recv_cut = FALSE;
  lexer->fault = AT_RECV_FAULT_NONE;
  lexer->joins = 0;
}

void
at_lexer_reset (AtLexer *lexer)
{
  g_return_if_fail (lexer != NULL);

  start_line (lexer);
  lexer->generation++;
}

static gboolean
has_recv_prefix (const char *line, gsize line_length)
{
  return line_length >= RECV_PREFIX_LENGTH && memcmp (line, RECV_PREFIX, RECV_PREFIX_LENGTH) == 0;
}

/* Parses the last comma-separated field of @text (all of it if it has no
 * comma) as a payload length. Spaces around the number are tolerated;
 * anything else is not. */
static gboolean
parse_length_field (const char *text, gsize text_length, gsize *length)
{
  const char *end = text + text_length;
  const char *field = end;
  guint64 value = 0;
  gboolean have_digit = FALSE;

  while (field > text && field[-1] != ',')
    field--;
  while (field < end && *field == ' ')
    field++;
  for (; field < end && g_ascii_isdigit (*field); field++)
    {
      value = value * 10 + (guint64)(*field - '0');
      if (value > G_MAXUINT32)
        return FALSE;
      have_digit = TRUE;
    }
  while (field < end && *field == ' ')
    field++;

  if (!have_digit || field != end)
    return FALSE;
  *length = (gsize)value;
  return TRUE;
}

/* The length announced by a whole "+QCOAPRECV:" line. */
static gboolean
parse_recv_length (const char *line, gsize line_length, gsize *length)
{
  return has_recv_prefix (line, line_length)
         && parse_length_field (line + RECV_PREFIX_LENGTH, line_length - RECV_PREFIX_LENGTH,
                                length);
}

/* The length announced by an over-long header: its last field must lie
 * wholly inside the line's last RECV_TAIL_SIZE bytes (the ring, completed
 * from the end of the head while the ring is not full yet), so those must
 * hold a comma. */
static gboolean
parse_tail_length (const AtLexer *lexer, gsize *length)
{
  char tail[RECV_TAIL_SIZE];
  gsize from_ring = MIN (lexer->tail_count, RECV_TAIL_SIZE);
  gsize from_head = RECV_TAIL_SIZE - from_ring;

  memcpy (tail, lexer->line + lexer->line_length - from_head, from_head);
  for (gsize i = 0; i < from_ring; i++)
    tail[from_head + i] = lexer->tail[(lexer->tail_count - from_ring + i) % RECV_TAIL_SIZE];
  return memchr (tail, ',', RECV_TAIL_SIZE) != NULL
         && parse_length_field (tail, RECV_TAIL_SIZE, length);
}

static void
emit (AtLexer *lexer, AtEventKind kind, gboolean truncated, const guint8 *payload,
      gsize payload_length)
{
  AtEvent event = {
    .kind = kind,
    .fault = kind == AT_EVENT_RECV_UNREADABLE ? lexer->fault : AT_RECV_FAULT_NONE,
    .line = lexer->line,
    .line_length = lexer->line_length,
    .truncated = truncated,
    .payload = payload,
    .payload_length = payload_length,
  };

  lexer->line[lexer->line_length] = '\0';
  lexer->func (&event, lexer->user_data);
}

/* A plain line, or a +QCOAPRECV line without a length: never more than
 * AT_LEXER_MAX_LINE bytes of it are reported. */
static void
emit_line (AtLexer *lexer, gboolean truncated)
{
  if (lexer->line_length > AT_LEXER_MAX_LINE)
    {
      lexer->line_length = AT_LEXER_MAX_LINE;
      truncated = TRUE;
    }
  emit (lexer, AT_EVENT_LINE, truncated, NULL, 0);
  start_line (lexer);
}

static void
emit_prompt (AtLexer *lexer)
{
  AtEvent event = {
    .kind = AT_EVENT_PROMPT,
    .line = "",
  };

  lexer->func (&event, lexer->user_data);
}

static void
emit_recv (AtLexer *lexer)
{
  if (lexer->recv_readable)
    emit (lexer, AT_EVENT_RECV, FALSE, lexer->payload, lexer->payload_length);
  else
    emit (lexer, AT_EVENT_RECV_UNREADABLE, lexer->recv_cut, NULL, 0);
  start_line (lexer);
}

/* A +QCOAPRECV header announcing @expected bytes has ended at @terminator:
 * exactly that many bytes follow, and none of them is AT text. */
static void
begin_payload (AtLexer *lexer, gsize expected, gboolean cut, guint8 terminator)
{
  lexer->payload_expected = expected;
  lexer->payload_length = 0;
  lexer->recv_cut = cut;
  lexer->recv_readable = !cut && expected <= AT_LEXER_MAX_PAYLOAD;
  if (cut)
    lexer->fault = AT_RECV_FAULT_HEADER_TOO_LONG;
  else if (!lexer->recv_readable)
    lexer->fault = AT_RECV_FAULT_PAYLOAD_TOO_LARGE;
  if (lexer->recv_readable && expected > lexer->payload_capacity)
    {
      lexer->payload_capacity
          = MIN (MAX (expected, 2 * lexer->payload_capacity), (gsize)AT_LEXER_MAX_PAYLOAD);
      lexer->payload = g_realloc (lexer->payload, lexer->payload_capacity);
    }

  if (expected == 0)
    /* Nothing to consume: whatever line end follows is skipped as an empty
     * line, so the event can go out right away. */
    emit_recv (lexer);
  else if (terminator == '\r')
    /* Wait for the LF of CR LF; a bare CR also ends the line. */
    lexer->state = STATE_RECV_AFTER_CR;
  else
    lexer->state = STATE_PAYLOAD;
}

static gboolean line_has_room (AtLexer *lexer);

/* Whether the +QCOAPRECV header in `line`, which does not end with a
 * length, goes on after the line end: the owner recognises its leading
 * fields, and it has joined fewer than AT_LEXER_MAX_RECV_JOINS line ends. */
static gboolean
header_continues (AtLexer *lexer)
{
  if (lexer->continuation == NULL || !has_recv_prefix (lexer->line, lexer->line_length))
    return FALSE;
  lexer->line[lexer->line_length] = '\0';
  return lexer->continuation (lexer->line);
}

/* A header that kept going: its lines are the module's printing of one
 * message, never AT text, whether or not it can be read. */
static void
join_line_end (AtLexer *lexer, guint8 terminator)
{
  if (lexer->joins == AT_LEXER_MAX_RECV_JOINS || lexer->line_length >= AT_LEXER_MAX_RECV_LINE
      || !line_has_room (lexer))
    {
      lexer->fault = AT_RECV_FAULT_UNFINISHED;
      lexer->recv_readable = FALSE;
      emit (lexer, AT_EVENT_RECV_UNREADABLE, FALSE, NULL, 0);
      start_line (lexer);
      return;
    }
  lexer->joins++;
  lexer->line[lexer->line_length++] = (char)terminator;
}

/* A line has just ended (at CR or LF). Either it is a +QCOAPRECV line that
 * announces a payload, or a +QCOAPRECV header that goes on, or it is
 * reported as it is. */
static void
finish_line (AtLexer *lexer, guint8 terminator)
{
  gsize expected;

  if (parse_recv_length (lexer->line, lexer->line_length, &expected))
    begin_payload (lexer, expected, FALSE, terminator);
  else if (lexer->joins > 0 || header_continues (lexer))
    join_line_end (lexer, terminator);
  else
    emit_line (lexer, FALSE);
}

/* An over-long +QCOAPRECV header has ended: its head is in `line`, its
 * tail in `tail`. */
static void
finish_cut_line (AtLexer *lexer, guint8 terminator)
{
  gsize expected;

  if (parse_tail_length (lexer, &expected))
    begin_payload (lexer, expected, TRUE, terminator);
  else
    emit_line (lexer, TRUE);
}

static void
take_payload_byte (AtLexer *lexer, guint8 byte)
{
  if (lexer->recv_readable)
    lexer->payload[lexer->payload_length] = byte;
  if (++lexer->payload_length == lexer->payload_expected)
    lexer->state = STATE_PAYLOAD_END;
}

static void take_start_byte (AtLexer *lexer, guint8 byte);

/* The byte after a payload: the CR or LF of the module's CR LF (the rest of
 * it is skipped at the start of the next line), or the sign that the
 * header was cut where a value held a line end. */
static void
take_payload_end_byte (AtLexer *lexer, guint8 byte)
{
  guint generation = lexer->generation;

  if (byte == '\r' || byte == '\n')
    {
      emit_recv (lexer);
      return;
    }
  lexer->fault = AT_RECV_FAULT_MISFRAMED;
  lexer->recv_readable = FALSE;
  emit_recv (lexer);
  if (lexer->generation == generation)
    take_start_byte (lexer, byte);
}

static void
take_tail_byte (AtLexer *lexer, guint8 byte)
{
  if (byte == '\r' || byte == '\n')
    finish_cut_line (lexer, byte);
  else
    lexer->tail[lexer->tail_count++ % RECV_TAIL_SIZE] = (char)byte;
}

/* Whether `line` takes one more byte. At AT_LEXER_MAX_LINE bytes a plain
 * line is reported cut and the rest of it dropped; a +QCOAPRECV header goes
 * on (its buffer grown) up to AT_LEXER_MAX_RECV_LINE and then only its tail
 * is kept. */
static gboolean
line_has_room (AtLexer *lexer)
{
  if (lexer->line_length < AT_LEXER_MAX_LINE)
    return TRUE;
  if (!has_recv_prefix (lexer->line, lexer->line_length))
    {
      guint generation = lexer->generation;

      emit_line (lexer, TRUE);
      /* Unless the callback reset the lexer: then a new line starts. */
      if (lexer->generation == generation)
        lexer->state = STATE_SKIP_LINE;
      return FALSE;
    }
  if (lexer->line_length == AT_LEXER_MAX_RECV_LINE)
    {
      lexer->state = STATE_RECV_TAIL;
      return FALSE;
    }
  if (lexer->line_capacity <= lexer->line_length + 1)
    {
      lexer->line_capacity = AT_LEXER_MAX_RECV_LINE + 1;
      lexer->line = g_realloc (lexer->line, lexer->line_capacity);
    }
  return TRUE;
}

static void
take_line_byte (AtLexer *lexer, guint8 byte)
{
  if (byte == '\r' || byte == '\n')
    finish_line (lexer, byte);
  else if (line_has_room (lexer))
    lexer->line[lexer->line_length++] = (char)byte;
  else if (lexer->state == STATE_RECV_TAIL)
    take_tail_byte (lexer, byte);
}

static void
take_start_byte (AtLexer *lexer, guint8 byte)
{
  switch (byte)
    {
      case '\r':
      case '\n':
        return;
      case '>':
        /* The prompt is not followed by a line end, so it must be reported
         * as soon as its '>' is seen; the optional space is swallowed
         * afterwards. */
        emit_prompt (lexer);
        lexer->state = STATE_PROMPT_SPACE;
        return;
      default:
        lexer->state = STATE_LINE;
        take_line_byte (lexer, byte);
        return;
    }
}

static void
take_byte (AtLexer *lexer, guint8 byte)
{
  switch (lexer->state)
    {
      case STATE_START:
        take_start_byte (lexer, byte);
        break;
      case STATE_LINE:
        take_line_byte (lexer, byte);
        break;
      case STATE_SKIP_LINE:
        if (byte == '\r' || byte == '\n')
          lexer->state = STATE_START;
        break;
      case STATE_RECV_TAIL:
        take_tail_byte (lexer, byte);
        break;
      case STATE_PROMPT_SPACE:
        lexer->state = STATE_START;
        if (byte != ' ')
          take_start_byte (lexer, byte);
        break;
      case STATE_RECV_AFTER_CR:
        lexer->state = STATE_PAYLOAD;
        if (byte != '\n')
          take_payload_byte (lexer, byte);
        break;
      case STATE_PAYLOAD:
        take_payload_byte (lexer, byte);
        break;
      case STATE_PAYLOAD_END:
        take_payload_end_byte (lexer, byte);
        break;
      default:
        g_assert_not_reached ();
    }
}

void
at_lexer_feed (AtLexer *lexer, const guint8 *data, gsize length)
{
  guint generation;

  g_return_if_fail (lexer != NULL);
  g_return_if_fail (data != NULL || length == 0);

  generation = lexer->generation;
  for (gsize i = 0; i < length; i++)
    {
      take_byte (lexer, data[i]);
      /* A callback reset the lexer: the rest of this chunk was read before
       * the reset and must not be parsed as if it came after it. */
      if (lexer->generation != generation)
        return;
    }
}
