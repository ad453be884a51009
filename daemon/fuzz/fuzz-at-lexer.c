/* SPDX-License-Identifier: MIT */
/* fuzz-at-lexer.c — libFuzzer target for the AT lexer.
 *
 * The lexer's events must depend only on the bytes, never on how they were
 * cut into chunks. Each input is fed once whole, once in chunks whose sizes
 * are taken from the input's own bytes, and once a byte at a time; the three
 * event records must be identical, and every event must respect the limits
 * the header promises. Inputs whose first byte is odd run with a
 * continuation check, so that headers joined over line ends are explored. */
#include "at-lexer.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* Appends one event as kind, flags, lengths and bytes, so two records are
 * equal exactly when the event sequences are. */
static void
record_event (const AtEvent *event, gpointer user_data)
{
  GByteArray *record = user_data;
  guint8 header[3] = { (guint8)event->kind, (guint8)event->truncated, (guint8)event->fault };
  guint64 lengths[2] = { event->line_length, event->payload_length };

  if (event->line == NULL || event->line[event->line_length] != '\0')
    abort ();
  if (event->line_length > AT_LEXER_MAX_RECV_LINE || event->payload_length > AT_LEXER_MAX_PAYLOAD)
    abort ();
  switch (event->kind)
    {
      case AT_EVENT_LINE:
        if (event->line_length == 0 || event->line_length > AT_LEXER_MAX_LINE
            || event->payload_length != 0)
          abort ();
        break;
      case AT_EVENT_PROMPT:
        if (event->line_length != 0 || event->truncated)
          abort ();
        break;
      case AT_EVENT_RECV:
        if (event->truncated || strncmp (event->line, "+QCOAPRECV:", 11) != 0)
          abort ();
        break;
      case AT_EVENT_RECV_UNREADABLE:
        /* Unreadable either because the header was cut or because the
         * payload was too large, never with a payload. */
        if (strncmp (event->line, "+QCOAPRECV:", 11) != 0 || event->payload != NULL
            || event->payload_length != 0 || event->fault == AT_RECV_FAULT_NONE
            || (event->truncated && event->line_length != AT_LEXER_MAX_RECV_LINE))
          abort ();
        break;
      default:
        abort ();
    }

  g_byte_array_append (record, header, sizeof header);
  g_byte_array_append (record, (const guint8 *)lengths, sizeof lengths);
  g_byte_array_append (record, (const guint8 *)event->line, (guint)event->line_length);
  if (event->payload_length > 0)
    g_byte_array_append (record, event->payload, (guint)event->payload_length);
}

typedef gsize (*ChunkSizeFunc) (const guint8 *data, size_t size, gsize chunk_index);

static gsize
whole (const guint8 *data, size_t size, gsize chunk_index)
{
  return size;
}

static gsize
bytewise (const guint8 *data, size_t size, gsize chunk_index)
{
  return 1;
}

/* Chunk sizes 1..64 read from the input itself, so the fuzzer explores the
 * cuts along with the content. */
static gsize
from_input (const guint8 *data, size_t size, gsize chunk_index)
{
  return 1 + (gsize)(data[(chunk_index * 31 + 7) % size] % 64);
}

/* What the daemon's check stands for here: the six leading fields are there. */
static gboolean
six_fields (const char *header)
{
  guint commas = 0;

  for (const char *p = header; *p != '\0'; p++)
    commas += *p == ',';
  return commas >= 6;
}

static GByteArray *
lex (const guint8 *data, size_t size, ChunkSizeFunc chunk_size)
{
  GByteArray *record = g_byte_array_new ();
  AtLexer *lexer = at_lexer_new (record_event, record);
  gsize offset = 0;

  if (data[0] & 1)
    at_lexer_set_continuation (lexer, six_fields);

  for (gsize chunk = 0; offset < size; chunk++)
    {
      gsize n = MIN (chunk_size (data, size, chunk), size - offset);

      at_lexer_feed (lexer, data + offset, n);
      offset += n;
    }
  at_lexer_free (lexer);
  return record;
}

static void
check_same (const GByteArray *a, const GByteArray *b)
{
  /* An empty GByteArray has no data at all, and memcmp() must not be given NULL. */
  if (a->len != b->len || (a->len > 0 && memcmp (a->data, b->data, a->len) != 0))
    abort ();
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  GByteArray *reference;
  GByteArray *chunked;
  GByteArray *single;

  if (size == 0)
    return 0;

  reference = lex (data, size, whole);
  chunked = lex (data, size, from_input);
  single = lex (data, size, bytewise);
  check_same (reference, chunked);
  check_same (reference, single);

  g_byte_array_unref (reference);
  g_byte_array_unref (chunked);
  g_byte_array_unref (single);
  return 0;
}
