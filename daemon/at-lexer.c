/* at-lexer.c — byte-level lexer for the modem's AT response stream.
 *
 * Every byte moves a small state machine; nothing looks ahead and nothing is
 * read "by line", so the events only depend on the byte sequence, never on
 * how it was cut into chunks. That property is what the unit tests and the
 * fuzz target check.
 */
#include "at-lexer.h"

#include <string.h>

#define RECV_PREFIX "+QCOAPRECV:"

typedef enum
{
  STATE_START,         /* at the beginning of a line: CR and LF are skipped */
  STATE_LINE,          /* inside a line */
  STATE_SKIP_LINE,     /* the rest of an overlong line is dropped */
  STATE_PROMPT_SPACE,  /* after a '>' prompt: one optional space follows */
  STATE_RECV_AFTER_CR, /* a +QCOAPRECV line ended with CR: an LF may follow */
  STATE_PAYLOAD,       /* collecting the payload of a +QCOAPRECV line */
} AtLexerState;

struct _AtLexer
{
  AtLexerEventFunc func;
  gpointer user_data;

  AtLexerState state;
  char line[AT_LEXER_MAX_LINE + 1];
  gsize line_length;

  /* A +QCOAPRECV line whose payload is being collected; its text stays in
   * `line` until the payload is complete. */
  guint8 payload[AT_LEXER_MAX_PAYLOAD];
  gsize payload_expected;
  gsize payload_length;

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
  return lexer;
}

void
at_lexer_free (AtLexer *lexer)
{
  g_free (lexer);
}

void
at_lexer_reset (AtLexer *lexer)
{
  g_return_if_fail (lexer != NULL);

  lexer->state = STATE_START;
  lexer->line_length = 0;
  lexer->payload_expected = 0;
  lexer->payload_length = 0;
  lexer->generation++;
}

/* Parses the last comma-separated field of a "+QCOAPRECV:" line as the payload
 * length. Spaces around the number are tolerated; anything else is not. */
static gboolean
parse_recv_length (const char *line, gsize line_length, gsize *length)
{
  const char *end = line + line_length;
  const char *field;
  guint64 value = 0;
  gboolean have_digit = FALSE;

  if (line_length < strlen (RECV_PREFIX) || memcmp (line, RECV_PREFIX, strlen (RECV_PREFIX)) != 0)
    return FALSE;

  field = end;
  while (field > line + strlen (RECV_PREFIX) && field[-1] != ',')
    field--;

  while (field < end && *field == ' ')
    field++;
  while (field < end && g_ascii_isdigit (*field))
    {
      value = value * 10 + (guint64)(*field - '0');
      if (value > AT_LEXER_MAX_PAYLOAD)
        return FALSE;
      have_digit = TRUE;
      field++;
    }
  while (field < end && *field == ' ')
    field++;

  if (!have_digit || field != end)
    return FALSE;

  *length = (gsize)value;
  return TRUE;
}

static void
emit_line (AtLexer *lexer, gboolean truncated)
{
  AtEvent event = {
    .kind = AT_EVENT_LINE,
    .line = lexer->line,
    .line_length = lexer->line_length,
    .truncated = truncated,
  };

  lexer->line[lexer->line_length] = '\0';
  lexer->func (&event, lexer->user_data);
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
  AtEvent event = {
    .kind = AT_EVENT_RECV,
    .line = lexer->line,
    .line_length = lexer->line_length,
    .payload = lexer->payload,
    .payload_length = lexer->payload_length,
  };

  lexer->line[lexer->line_length] = '\0';
  lexer->func (&event, lexer->user_data);
}

/* A line has just ended (at CR or LF). Either it is a +QCOAPRECV line that
 * announces a payload, or it is reported as it is. */
static void
finish_line (AtLexer *lexer, guint8 terminator)
{
  gsize expected;

  if (!parse_recv_length (lexer->line, lexer->line_length, &expected))
    {
      emit_line (lexer, FALSE);
      lexer->line_length = 0;
      lexer->state = STATE_START;
      return;
    }

  lexer->payload_expected = expected;
  lexer->payload_length = 0;

  if (expected == 0)
    {
      /* Nothing to collect: whatever line end follows is skipped as an
       * empty line, so the event can go out right away. */
      emit_recv (lexer);
      lexer->line_length = 0;
      lexer->state = STATE_START;
    }
  else if (terminator == '\r')
    {
      /* Wait for the LF of CR LF; a bare CR also ends the line. */
      lexer->state = STATE_RECV_AFTER_CR;
    }
  else
    {
      lexer->state = STATE_PAYLOAD;
    }
}

static void
take_payload_byte (AtLexer *lexer, guint8 byte)
{
  lexer->payload[lexer->payload_length++] = byte;
  if (lexer->payload_length < lexer->payload_expected)
    return;

  emit_recv (lexer);
  lexer->line_length = 0;
  lexer->payload_length = 0;
  lexer->payload_expected = 0;
  lexer->state = STATE_START;
}

static void
take_line_byte (AtLexer *lexer, guint8 byte)
{
  if (byte == '\r' || byte == '\n')
    {
      finish_line (lexer, byte);
      return;
    }

  if (lexer->line_length == AT_LEXER_MAX_LINE)
    {
      emit_line (lexer, TRUE);
      lexer->line_length = 0;
      lexer->state = STATE_SKIP_LINE;
      return;
    }

  lexer->line[lexer->line_length++] = (char)byte;
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
