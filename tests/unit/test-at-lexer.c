/* SPDX-License-Identifier: MIT */
/* test-at-lexer.c — the AT lexer gives the same events however its input is cut.
 *
 * Each case is a byte sequence the modem can send and the events it must
 * produce, written as text (see describe_event()). Every case is fed whole,
 * split in two at every byte position, and one byte at a time. (Inputs of
 * tens of kilobytes are split at every position near their start, their end
 * and the lexer's limits, and at a few hundred others.)
 */
#include "at-lexer.h"

#include <string.h>

/* Events as text: "L:<line>" (with "|truncated" when cut), "P" for a prompt,
 * "R:<line>|<payload>" for a receive, "U:<line>" (with "|truncated") for a
 * receive too large to read; bytes outside printable ASCII and the
 * backslash are written as \xNN so NULs and line ends are visible. */
static void
append_escaped (GString *out, const guint8 *data, gsize length)
{
  for (gsize i = 0; i < length; i++)
    {
      if (data[i] >= 0x20 && data[i] < 0x7f && data[i] != '\\')
        g_string_append_c (out, (char)data[i]);
      else
        {
          /* Not g_string_append_printf(): payloads of 64 KiB are escaped
           * hundreds of times. */
          g_string_append (out, "\\x");
          g_string_append_c (out, "0123456789abcdef"[data[i] >> 4]);
          g_string_append_c (out, "0123456789abcdef"[data[i] & 0xf]);
        }
    }
}

static void
describe_event (const AtEvent *event, gpointer user_data)
{
  GString *out = user_data;

  g_assert_nonnull (event->line);
  g_assert_cmpuint (strlen (event->line), <=, event->line_length);
  g_assert_cmpint (event->line[event->line_length], ==, '\0');

  switch (event->kind)
    {
      case AT_EVENT_LINE:
        g_assert_cmpuint (event->line_length, >, 0);
        g_assert_cmpuint (event->line_length, <=, AT_LEXER_MAX_LINE);
        g_string_append (out, "L:");
        append_escaped (out, (const guint8 *)event->line, event->line_length);
        if (event->truncated)
          g_string_append (out, "|truncated");
        break;
      case AT_EVENT_PROMPT:
        g_assert_cmpuint (event->line_length, ==, 0);
        g_string_append (out, "P");
        break;
      case AT_EVENT_RECV:
        g_assert_false (event->truncated);
        g_assert_cmpuint (event->line_length, <=, AT_LEXER_MAX_RECV_LINE);
        g_assert_cmpuint (event->payload_length, <=, AT_LEXER_MAX_PAYLOAD);
        g_assert_true (event->payload != NULL || event->payload_length == 0);
        g_string_append (out, "R:");
        append_escaped (out, (const guint8 *)event->line, event->line_length);
        g_string_append_c (out, '|');
        append_escaped (out, event->payload, event->payload_length);
        break;
      case AT_EVENT_RECV_UNREADABLE:
        g_assert_cmpuint (event->line_length, <=, AT_LEXER_MAX_RECV_LINE);
        g_assert_null (event->payload);
        g_assert_cmpuint (event->payload_length, ==, 0);
        g_string_append (out, "U:");
        append_escaped (out, (const guint8 *)event->line, event->line_length);
        if (event->truncated)
          g_string_append (out, "|truncated");
        if (event->fault == AT_RECV_FAULT_UNFINISHED)
          g_string_append (out, "|unfinished");
        else if (event->fault == AT_RECV_FAULT_MISFRAMED)
          g_string_append (out, "|misframed");
        break;
      default:
        g_assert_not_reached ();
    }
  g_string_append_c (out, '\n');
}

/* The continuation check of the lexers the tests make, if any. */
static AtLexerContinuationFunc continuation;

/* Feeds `data` in chunks whose sizes come from `chunk_size`. */
static char *
lex_in_chunks (const guint8 *data, gsize length, gsize first_chunk, gsize later_chunks)
{
  g_autoptr (GString) out = g_string_new ("");
  g_autoptr (AtLexer) lexer = at_lexer_new (describe_event, out);
  gsize offset = 0;
  gsize chunk = first_chunk;

  at_lexer_set_continuation (lexer, continuation);
  while (offset < length)
    {
      gsize n = MIN (chunk, length - offset);

      at_lexer_feed (lexer, data + offset, n);
      offset += n;
      chunk = later_chunks;
    }
  return g_strdup (out->str);
}

/* Inputs up to this size are split at every byte. */
#define EVERY_CUT_UP_TO 4096
#define CUT_MARGIN      64
/* Larger ones at about this many places besides those near their limits. */
#define SAMPLED_CUTS 256

static gboolean
is_near (gsize cut, gsize position)
{
  return cut + CUT_MARGIN > position && cut < position + CUT_MARGIN;
}

/* Every cut of a small input; of a large one, those where the lexer's state
 * changes (near its start and end and its limits) and a sample of the rest. */
static gboolean
is_cut_tried (gsize cut, gsize length)
{
  return length <= EVERY_CUT_UP_TO || cut % (length / SAMPLED_CUTS) == 0 || is_near (cut, 0)
         || is_near (cut, length) || is_near (cut, AT_LEXER_MAX_LINE)
         || is_near (cut, AT_LEXER_MAX_RECV_LINE);
}

static void
assert_any_cut_gives (const guint8 *data, gsize length, const char *expected)
{
  g_autofree char *whole = lex_in_chunks (data, length, length, length);
  g_autofree char *bytewise = lex_in_chunks (data, length, 1, 1);

  g_assert_cmpstr (whole, ==, expected);
  g_assert_cmpstr (bytewise, ==, expected);

  for (gsize cut = 0; cut <= length; cut++)
    if (is_cut_tried (cut, length))
      {
        g_autofree char *split = lex_in_chunks (data, length, cut, length);

        if (g_strcmp0 (split, expected) != 0)
          g_error ("split at byte %" G_GSIZE_FORMAT " gives\n%s\ninstead of\n%s", cut, split,
                   expected);
      }
}

typedef struct
{
  const char *name;
  const char *input; /* may hold NULs: its length is given separately */
  gsize input_length;
  const char *events;
} LexerCase;

#define CASE(name, input, events)                                                                  \
  {                                                                                                \
    name, input, sizeof (input) - 1, events                                                        \
  }

/* clang-format off */
static const LexerCase cases[] = {
  CASE ("ok", "\r\nOK\r\n", "L:OK\n"),
  CASE ("error", "\r\nERROR\r\n", "L:ERROR\n"),
  CASE ("cme-numeric", "\r\n+CME ERROR: 407\r\n", "L:+CME ERROR: 407\n"),
  CASE ("cme-text", "\r\n+CME ERROR: Operation not supported\r\n",
        "L:+CME ERROR: Operation not supported\n"),
  CASE ("echo", "AT\r\r\nOK\r\n", "L:AT\nL:OK\n"),
  CASE ("ati", "ATI\r\r\nQuectel\r\nBG96\r\nRevision: BG96MAR02A07M1G\r\n\r\nOK\r\n",
        "L:ATI\nL:Quectel\nL:BG96\nL:Revision: BG96MAR02A07M1G\nL:OK\n"),
  CASE ("gsn", "\r\n866425030123456\r\n\r\nOK\r\n", "L:866425030123456\nL:OK\n"),
  CASE ("qcoapopen-read",
        "\r\n+QCOAPOPEN: 0,\"127.0.0.1\",5683,3\r\n+QCOAPOPEN: 2,\"example.com\",5684,1\r\n"
        "\r\nOK\r\n",
        "L:+QCOAPOPEN: 0,\"127.0.0.1\",5683,3\nL:+QCOAPOPEN: 2,\"example.com\",5684,1\nL:OK\n"),
  CASE ("qcoapcfg-query", "\r\n+QCOAPCFG: \"trans\",2,5\r\n\r\nOK\r\n",
        "L:+QCOAPCFG: \"trans\",2,5\nL:OK\n"),
  CASE ("prompt-with-space", "AT+QCOAPSEND=0,1,2,0,5\r\r\n> \r\nOK\r\n",
        "L:AT+QCOAPSEND=0,1,2,0,5\nP\nL:OK\n"),
  CASE ("prompt-without-space", "\r\n>\r\nOK\r\n", "P\nL:OK\n"),
  CASE ("prompt-then-error", "\r\n> \r\nERROR\r\n", "P\nL:ERROR\n"),
  CASE ("qfupl", "\r\nCONNECT\r\n\r\n+QFUPL: 1758,384a\r\n\r\nOK\r\n",
        "L:CONNECT\nL:+QFUPL: 1758,384a\nL:OK\n"),
  CASE ("urc-open", "\r\n+QCOAPOPEN: 0,0\r\n", "L:+QCOAPOPEN: 0,0\n"),
  CASE ("urc-close", "\r\n+QCOAPCLOSE: 5,-3\r\n", "L:+QCOAPCLOSE: 5,-3\n"),
  CASE ("urc-ack", "\r\n+QCOAPACK: 0,0,1234,0\r\n", "L:+QCOAPACK: 0,0,1234,0\n"),
  CASE ("urc-ack-misprint", "\r\n+COAPACK: 0,0,1234,-11\r\n", "L:+COAPACK: 0,0,1234,-11\n"),
  CASE ("urc-ind", "\r\n+QCOAPIND: 0,0,1234,1,0\r\n", "L:+QCOAPIND: 0,0,1234,1,0\n"),
  CASE ("urc-qiurc", "\r\n+QIURC: \"pdpdeact\",1\r\n", "L:+QIURC: \"pdpdeact\",1\n"),
  CASE ("boot",
        "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\n+QUSIM: 1\r\n"
        "\r\n+QIND: SMS DONE\r\n\r\nAPP RDY\r\n",
        "L:RDY\nL:+CFUN: 1\nL:+CPIN: READY\nL:+QUSIM: 1\nL:+QIND: SMS DONE\nL:APP RDY\n"),
  CASE ("powered-down", "\r\nOK\r\n\r\nPOWERED DOWN\r\n", "L:OK\nL:POWERED DOWN\n"),
  CASE ("recv", "\r\n+QCOAPRECV: 0,1234,2.05,4,\"0A0B0C0D\",1,12,\"0\",5\r\nhello\r\n",
        "R:+QCOAPRECV: 0,1234,2.05,4,\"0A0B0C0D\",1,12,\"0\",5|hello\n"),
  CASE ("recv-ok-inside", "\r\n+QCOAPRECV: 1,7,2.05,0,,0,6\r\n\r\nOK\r\n\r\n\r\nOK\r\n",
        "R:+QCOAPRECV: 1,7,2.05,0,,0,6|\\x0d\\x0aOK\\x0d\\x0a\nL:OK\n"),
  CASE ("recv-recv-inside", "\r\n+QCOAPRECV: 1,7,2.05,0,,0,19\r\n+QCOAPRECV: 0,1,3\r\n\r\n",
        "R:+QCOAPRECV: 1,7,2.05,0,,0,19|+QCOAPRECV: 0,1,3\\x0d\\x0a\n"),
  CASE ("recv-nul-ctrl-z", "\r\n+QCOAPRECV: 2,9,2.05,0,,0,4\r\na\0\x1a\xff\r\n",
        "R:+QCOAPRECV: 2,9,2.05,0,,0,4|a\\x00\\x1a\\xff\n"),
  CASE ("recv-empty", "\r\n+QCOAPRECV: 0,1,4.04,0,,0,0\r\n\r\n\r\nOK\r\n",
        "R:+QCOAPRECV: 0,1,4.04,0,,0,0|\nL:OK\n"),
  CASE ("recv-bare-lf", "\n+QCOAPRECV: 0,1,2.05,0,,0,3\nabc\n", "R:+QCOAPRECV: 0,1,2.05,0,,0,3|abc\n"),
  CASE ("recv-bare-cr", "\r+QCOAPRECV: 0,1,2.05,0,,0,3\rabc\r", "R:+QCOAPRECV: 0,1,2.05,0,,0,3|abc\n"),
  CASE ("recv-payload-starts-with-crlf", "\r\n+QCOAPRECV: 0,1,2.05,0,,0,4\r\n\r\nab\r\n",
        "R:+QCOAPRECV: 0,1,2.05,0,,0,4|\\x0d\\x0aab\n"),
  CASE ("recv-length-spaces", "\r\n+QCOAPRECV: 0,1,2.05,0,,0, 2 \r\nhi\r\n",
        "R:+QCOAPRECV: 0,1,2.05,0,,0, 2 |hi\n"),
  CASE ("recv-length-over-32-bits", "\r\n+QCOAPRECV: 0,1,2.05,0,,0,4294967296\r\n\r\nOK\r\n",
        "L:+QCOAPRECV: 0,1,2.05,0,,0,4294967296\nL:OK\n"),
  CASE ("recv-not-a-length", "\r\n+QCOAPRECV: 0,1,2.05,0,,0,3x\r\n", "L:+QCOAPRECV: 0,1,2.05,0,,0,3x\n"),
  CASE ("recv-no-length", "\r\n+QCOAPRECV:\r\n", "L:+QCOAPRECV:\n"),
  CASE ("urc-inside-response",
        "AT+QCOAPOPEN?\r\r\n+QCOAPOPEN: 0,\"127.0.0.1\",5683,3\r\n\r\n+QCOAPACK: 0,0,1,0\r\n"
        "\r\n+QCOAPRECV: 0,1,2.05,0,,0,2\r\nOK\r\n\r\nOK\r\n",
        "L:AT+QCOAPOPEN?\nL:+QCOAPOPEN: 0,\"127.0.0.1\",5683,3\nL:+QCOAPACK: 0,0,1,0\n"
        "R:+QCOAPRECV: 0,1,2.05,0,,0,2|OK\nL:OK\n"),
  CASE ("urc-before-prompt", "\r\n+QCOAPIND: 0,0,5,1,0\r\n\r\n> ", "L:+QCOAPIND: 0,0,5,1,0\nP\n"),
  CASE ("garbage-then-ok", "\x01\x02garb\0age\xfe\xff\r\n\r\nOK\r\n",
        "L:\\x01\\x02garb\\x00age\\xfe\\xff\nL:OK\n"),
};
/* clang-format on */

static void
test_case (gconstpointer data)
{
  const LexerCase *c = data;

  assert_any_cut_gives ((const guint8 *)c->input, c->input_length, c->events);
}

/* A header goes on when its six leading fields are there (the daemon's
 * check reads them). */
static gboolean
head_has_six_fields (const char *header)
{
  guint commas = 0;

  for (const char *p = header; *p != '\0'; p++)
    commas += *p == ',';
  return commas >= 6;
}

/* clang-format off */
static const LexerCase continued_cases[] = {
  /* A string option holding line ends: one message, no line of its text. */
  CASE ("recv-option-with-line-ends",
        "\r\n+QCOAPRECV: 0,1,2.05,0,,1,8,\"a\r\nRDY\r\nb\",3\r\nxyz\r\n\r\nOK\r\n",
        "R:+QCOAPRECV: 0,1,2.05,0,,1,8,\"a\\x0d\\x0aRDY\\x0d\\x0ab\",3|xyz\nL:OK\n"),
  /* The first piece happens to end with a length: the payload is not
   * followed by the module's line end, so it was framed wrongly. */
  CASE ("recv-misframed",
        "\r\n+QCOAPRECV: 0,1,2.05,0,,1,8,\"a\",3\r\nRDYb\",3\r\nxyz\r\n",
        "U:+QCOAPRECV: 0,1,2.05,0,,1,8,\"a\",3|misframed\nL:b\",3\nL:xyz\n"),
  /* Leading fields that do not read: a line as before. */
  CASE ("recv-head-unreadable", "\r\n+QCOAPRECV: 0,\"a\r\nRDY\r\n",
        "L:+QCOAPRECV: 0,\"a\nL:RDY\n"),
  CASE ("recv-unfinished",
        "\r\n+QCOAPRECV: 0,1,2.05,0,,1,8,\""
        "\nA\nA\nA\nA\nA\nA\nA\nA\nA\nA\nA\nA\nA\nA\nA\nA\nB\r\nOK\r\n",
        "U:+QCOAPRECV: 0,1,2.05,0,,1,8,\""
        "\\x0aA\\x0aA\\x0aA\\x0aA\\x0aA\\x0aA\\x0aA\\x0aA\\x0aA\\x0aA\\x0aA\\x0aA\\x0aA"
        "\\x0aA\\x0aA\\x0aA|unfinished\nL:B\nL:OK\n"),
};
/* clang-format on */

static void
test_continued_case (gconstpointer data)
{
  const LexerCase *c = data;

  continuation = head_has_six_fields;
  assert_any_cut_gives ((const guint8 *)c->input, c->input_length, c->events);
  continuation = NULL;
}

/* Without a continuation check, a header ends at its first line end. */
static void
test_no_continuation (void)
{
  static const char input[] = "\r\n+QCOAPRECV: 0,1,2.05,0,,1,8,\"a\r\nRDY\r\nb\",3\r\nxyz\r\n";

  assert_any_cut_gives ((const guint8 *)input, sizeof input - 1,
                        "L:+QCOAPRECV: 0,1,2.05,0,,1,8,\"a\nL:RDY\nL:b\",3\nL:xyz\n");
}

/* All cases back to back: events of one message never leak into the next. */
static void
test_all_concatenated (void)
{
  g_autoptr (GByteArray) input = g_byte_array_new ();
  g_autoptr (GString) expected = g_string_new ("");

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_byte_array_append (input, (const guint8 *)cases[i].input, cases[i].input_length);
      /* A bare CR ends "recv-bare-cr"; start the next case on a fresh line
       * so that a following LF is not taken as the second half of CR LF. */
      g_byte_array_append (input, (const guint8 *)"\r\n", 2);
      g_string_append (expected, cases[i].events);
    }
  assert_any_cut_gives (input->data, input->len, expected->str);
}

static void
test_overlong_line (void)
{
  g_autoptr (GByteArray) input = g_byte_array_new ();
  g_autofree char *xs = g_strnfill (AT_LEXER_MAX_LINE + 500, 'x');
  g_autofree char *cut = g_strnfill (AT_LEXER_MAX_LINE, 'x');
  g_autofree char *expected = g_strdup_printf ("L:%s|truncated\nL:OK\n", cut);

  g_byte_array_append (input, (const guint8 *)"\r\n", 2);
  g_byte_array_append (input, (const guint8 *)xs, strlen (xs));
  g_byte_array_append (input, (const guint8 *)"\r\n\r\nOK\r\n", 8);
  assert_any_cut_gives (input->data, input->len, expected);
}

/* A line of exactly the maximum length is not truncated. */
static void
test_longest_line (void)
{
  g_autofree char *xs = g_strnfill (AT_LEXER_MAX_LINE, 'y');
  g_autofree char *input = g_strdup_printf ("%s\r\n", xs);
  g_autofree char *expected = g_strdup_printf ("L:%s\n", xs);

  assert_any_cut_gives ((const guint8 *)input, strlen (input), expected);
}

/* A +QCOAPRECV header may be longer than any other line: it is kept whole. */
static void
test_recv_header_over_line_limit (void)
{
  g_autofree char *filler = g_strnfill (AT_LEXER_MAX_LINE, '9');
  g_autofree char *header = g_strdup_printf ("+QCOAPRECV: %s,3", filler);
  g_autofree char *input = g_strdup_printf ("%s\r\nabc\r\n", header);
  g_autofree char *expected = g_strdup_printf ("R:%s|abc\n", header);

  assert_any_cut_gives ((const guint8 *)input, strlen (input), expected);
}

/* "+QCOAPRECV: 0,1,2.05,4,0A0B0C0D,<n>[,8,"<value>"]…" with @n_options
 * Location-Path options of @value_length letters, without the length. */
static GString *
recv_header (guint n_options, gsize value_length)
{
  GString *header = g_string_new (NULL);

  g_string_printf (header, "+QCOAPRECV: 0,1,2.05,4,0A0B0C0D,%u", n_options);
  for (guint i = 0; i < n_options; i++)
    {
      g_string_append (header, ",8,\"");
      for (gsize j = 0; j < value_length; j++)
        g_string_append_c (header, (char)('a' + (i + j) % 26));
      g_string_append_c (header, '"');
    }
  return header;
}

/* @length bytes that a CoAP server may send as its payload and that look
 * like AT traffic: another client's message, a reboot, a final result. */
static GByteArray *
hostile_payload (gsize length)
{
  static const char forged[] = "\r\n+QCOAPRECV: 1,7,2.05,0,,0,8\r\nINJECTED\r\n"
                               "\r\nRDY\r\n\r\nOK\r\n\r\n+CME ERROR: 3\r\n> ";
  GByteArray *payload = g_byte_array_sized_new ((guint)length);

  for (gsize i = 0; i < length; i++)
    g_byte_array_append (payload, (const guint8 *)&forged[i % (sizeof forged - 1)], 1);
  return payload;
}

/* The header, then the payload, then CR LF and an OK: the payload must come
 * out whole (@readable) or not at all, and nothing of it as a line. */
static void
assert_recv_gives (const char *header, const GByteArray *payload, const char *event)
{
  g_autoptr (GByteArray) input = g_byte_array_new ();
  g_autoptr (GString) expected = g_string_new (event);

  g_byte_array_append (input, (const guint8 *)"\r\n", 2);
  g_byte_array_append (input, (const guint8 *)header, (guint)strlen (header));
  g_byte_array_append (input, (const guint8 *)"\r\n", 2);
  g_byte_array_append (input, payload->data, payload->len);
  g_byte_array_append (input, (const guint8 *)"\r\n\r\nOK\r\n", 8);
  g_string_append (expected, "\nL:OK\n");
  assert_any_cut_gives (input->data, input->len, expected->str);
}

static void
assert_recv_readable (const char *header, const GByteArray *payload)
{
  g_autoptr (GString) event = g_string_new ("R:");

  append_escaped (event, (const guint8 *)header, strlen (header));
  g_string_append_c (event, '|');
  append_escaped (event, payload->data, payload->len);
  assert_recv_gives (header, payload, event->str);
}

/* More than the 1024 bytes the modem sends: still exactly the announced
 * length, never AT text. */
static void
test_long_payload (void)
{
  g_autoptr (GByteArray) payload = hostile_payload (1100);
  g_autoptr (GString) header = recv_header (0, 0);

  g_string_append_printf (header, ",%u", payload->len);
  assert_recv_readable (header->str, payload);
}

/* Twelve options of 200 bytes: a header longer than AT_LEXER_MAX_LINE. */
static void
test_many_long_options (void)
{
  g_autoptr (GByteArray) payload = hostile_payload (300);
  g_autoptr (GString) header = recv_header (12, 200);

  g_string_append_printf (header, ",%u", payload->len);
  g_assert_cmpuint (header->len, >, AT_LEXER_MAX_LINE);
  assert_recv_readable (header->str, payload);
}

/* A header of exactly @length bytes: options of 100 letters, the last one
 * made longer to fill the rest. */
static GString *
recv_header_of_length (gsize length, gsize payload_length)
{
  g_autofree char *length_field = g_strdup_printf (",%" G_GSIZE_FORMAT, payload_length);
  GString *header = recv_header ((guint)((length - 64) / 105), 100);
  gsize missing = length - header->len - strlen (length_field);

  g_assert_cmpuint (header->len + strlen (length_field), <=, length);
  g_string_truncate (header, header->len - 1); /* the last closing quote */
  for (gsize i = 0; i < missing; i++)
    g_string_append_c (header, 'z');
  g_string_append_c (header, '"');
  g_string_append (header, length_field);
  return header;
}

static void
test_longest_recv_header (void)
{
  g_autoptr (GByteArray) payload = hostile_payload (40);
  g_autoptr (GString) header = recv_header_of_length (AT_LEXER_MAX_RECV_LINE, payload->len);

  g_assert_cmpuint (header->len, ==, AT_LEXER_MAX_RECV_LINE);
  assert_recv_readable (header->str, payload);
}

/* One byte more: the header is cut, its length still read from its tail,
 * the payload consumed and the message reported unreadable. */
static void
test_overlong_recv_header (void)
{
  g_autoptr (GByteArray) payload = hostile_payload (1100);
  g_autoptr (GString) header = recv_header_of_length (AT_LEXER_MAX_RECV_LINE + 1, payload->len);
  g_autoptr (GString) event = g_string_new ("U:");

  append_escaped (event, (const guint8 *)header->str, AT_LEXER_MAX_RECV_LINE);
  g_string_append (event, "|truncated");
  assert_recv_gives (header->str, payload, event->str);
}

/* Far longer, with spaces around the length, as for a whole line. */
static void
test_overlong_recv_header_spaces (void)
{
  g_autoptr (GByteArray) payload = hostile_payload (7);
  g_autoptr (GString) header = recv_header (300, 100);
  g_autoptr (GString) event = g_string_new ("U:");

  g_string_append (header, ",  7 ");
  append_escaped (event, (const guint8 *)header->str, AT_LEXER_MAX_RECV_LINE);
  g_string_append (event, "|truncated");
  assert_recv_gives (header->str, payload, event->str);
}

/* Without a length in its last bytes an over-long +QCOAPRECV line is a
 * line like any other, and what follows it is read as lines again. */
static void
test_overlong_recv_line_without_length (void)
{
  for (gsize length = AT_LEXER_MAX_LINE + 100; length <= AT_LEXER_MAX_RECV_LINE + 100;
       length += AT_LEXER_MAX_RECV_LINE)
    {
      g_autofree char *digits = g_strnfill (length, '9');
      g_autofree char *input = g_strdup_printf ("+QCOAPRECV: 0%s\r\nabc\r\n", digits);
      g_autofree char *head = g_strndup (input, AT_LEXER_MAX_LINE);
      g_autofree char *expected = g_strdup_printf ("L:%s|truncated\nL:abc\n", head);

      assert_any_cut_gives ((const guint8 *)input, strlen (input), expected);
    }
}

static void
test_maximum_payload (void)
{
  g_autoptr (GByteArray) payload = g_byte_array_new ();
  g_autoptr (GString) header = recv_header (0, 0);

  for (guint i = 0; i < AT_LEXER_MAX_PAYLOAD; i++)
    {
      guint8 byte = (guint8)(i * 7);

      g_byte_array_append (payload, &byte, 1);
    }
  g_string_append_printf (header, ",%u", payload->len);
  assert_recv_readable (header->str, payload);
}

/* Beyond the maximum the payload is consumed, never read as text. */
static void
test_payload_over_maximum (void)
{
  g_autoptr (GByteArray) payload = hostile_payload (AT_LEXER_MAX_PAYLOAD + 1);
  g_autoptr (GString) header = recv_header (1, 3);
  g_autoptr (GString) event = g_string_new ("U:");

  g_string_append_printf (header, ",%u", payload->len);
  g_string_append (event, header->str);
  assert_recv_gives (header->str, payload, event->str);
}

static void
test_reset_forgets_partial_input (void)
{
  g_autoptr (GString) out = g_string_new ("");
  g_autoptr (AtLexer) lexer = at_lexer_new (describe_event, out);

  at_lexer_feed (lexer, (const guint8 *)"\r\nGARB", 6);
  at_lexer_reset (lexer);
  at_lexer_feed (lexer, (const guint8 *)"OK\r\n", 4);
  g_assert_cmpstr (out->str, ==, "L:OK\n");

  g_string_truncate (out, 0);
  at_lexer_feed (lexer, (const guint8 *)"+QCOAPRECV: 0,1,2.05,0,,0,10\r\nabc", 33);
  at_lexer_reset (lexer);
  at_lexer_feed (lexer, (const guint8 *)"\r\nERROR\r\n", 9);
  g_assert_cmpstr (out->str, ==, "L:ERROR\n");
}

typedef struct
{
  AtLexer *lexer;
  GString *out;
} ResetFromCallback;

static void
reset_on_first_line (const AtEvent *event, gpointer user_data)
{
  ResetFromCallback *state = user_data;

  describe_event (event, state->out);
  at_lexer_reset (state->lexer);
}

/* A reset from inside the callback drops the rest of the chunk being fed. */
static void
test_reset_from_callback (void)
{
  g_autoptr (GString) out = g_string_new ("");
  ResetFromCallback state = { NULL, out };
  g_autoptr (AtLexer) lexer = at_lexer_new (reset_on_first_line, &state);

  state.lexer = lexer;
  at_lexer_feed (lexer, (const guint8 *)"\r\nRDY\r\n\r\nOK\r\n", 13);
  g_assert_cmpstr (out->str, ==, "L:RDY\n");
  at_lexer_feed (lexer, (const guint8 *)"\r\nAPP RDY\r\n", 11);
  g_assert_cmpstr (out->str, ==, "L:RDY\nL:APP RDY\n");
}

/* Also when the event was a line cut at the limit: what is fed next is a
 * new line, not the rest of the cut one. */
static void
test_reset_from_callback_after_overlong_line (void)
{
  g_autoptr (GString) out = g_string_new ("");
  ResetFromCallback state = { NULL, out };
  g_autoptr (AtLexer) lexer = at_lexer_new (reset_on_first_line, &state);
  g_autofree char *xs = g_strnfill (AT_LEXER_MAX_LINE + 1, 'x');
  g_autofree char *cut = g_strnfill (AT_LEXER_MAX_LINE, 'x');
  g_autofree char *expected = g_strdup_printf ("L:%s|truncated\nL:OK\n", cut);

  state.lexer = lexer;
  at_lexer_feed (lexer, (const guint8 *)xs, strlen (xs));
  at_lexer_feed (lexer, (const guint8 *)"OK\r\n", 4);
  g_assert_cmpstr (out->str, ==, expected);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/at-lexer/message/%s", cases[i].name);

      g_test_add_data_func (path, &cases[i], test_case);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (continued_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/at-lexer/continued/%s", continued_cases[i].name);

      g_test_add_data_func (path, &continued_cases[i], test_continued_case);
    }
  g_test_add_func ("/at-lexer/no-continuation", test_no_continuation);
  g_test_add_func ("/at-lexer/all-concatenated", test_all_concatenated);
  g_test_add_func ("/at-lexer/overlong-line", test_overlong_line);
  g_test_add_func ("/at-lexer/longest-line", test_longest_line);
  g_test_add_func ("/at-lexer/recv-header-over-line-limit", test_recv_header_over_line_limit);
  g_test_add_func ("/at-lexer/long-payload", test_long_payload);
  g_test_add_func ("/at-lexer/many-long-options", test_many_long_options);
  g_test_add_func ("/at-lexer/longest-recv-header", test_longest_recv_header);
  g_test_add_func ("/at-lexer/overlong-recv-header", test_overlong_recv_header);
  g_test_add_func ("/at-lexer/overlong-recv-header-spaces", test_overlong_recv_header_spaces);
  g_test_add_func ("/at-lexer/overlong-recv-line-without-length",
                   test_overlong_recv_line_without_length);
  g_test_add_func ("/at-lexer/maximum-payload", test_maximum_payload);
  g_test_add_func ("/at-lexer/payload-over-maximum", test_payload_over_maximum);
  g_test_add_func ("/at-lexer/reset", test_reset_forgets_partial_input);
  g_test_add_func ("/at-lexer/reset-from-callback", test_reset_from_callback);
  g_test_add_func ("/at-lexer/reset-from-callback-after-overlong-line",
                   test_reset_from_callback_after_overlong_line);

  return g_test_run ();
}
