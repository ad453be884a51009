/* SPDX-License-Identifier: MIT */
/* at-fields.h — the comma-separated fields of one AT response line.
 *
 * An iterator in the manner of oFono's GAtResultIter: open a line after its
 * prefix, then take its fields in order, as numbers, as strings or as views
 * into the line. It copies nothing unless asked to and does no I/O; the
 * parsers of qcoap-proto.c and network-proto.c read their lines with it.
 *
 * Every at_fields_next*() moves past one field, whether or not the field
 * was of the kind asked for, so a caller can read on past a field it did not
 * like; they return FALSE, and move nowhere, when no field is left or the
 * field cannot be read at all (a quote that is not closed). A line whose
 * fields must all be well formed is checked first with at_fields_check().
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How a line writes its fields. Both skip blanks before a field. */
typedef enum
{
  /* 3GPP TS 27.007 answers (+CEREG, +COPS, +QCSQ, +QIACT ...): a string
   * ends at its first '"', which only a ',' or the end of the line may
   * follow; a bare field loses the ASCII white space around it; a number
   * is what g_ascii_string_to_signed() reads, a '+' or '-' included. */
  AT_FIELDS_STYLE_27007,
  /* Quectel's CoAP lines (+QCOAPACK, +QCOAPRECV, +QFUPL ...): the module
   * prints string values raw, '"' and ',' included, so a '"' ends a string
   * only where a ',' or the end of the line follows it (blanks between them
   * aside); a bare field loses the blanks after it; only a '-' comes before
   * a number. */
  AT_FIELDS_STYLE_QUECTEL,
} AtFieldsStyle;

/* What at_fields_check() found. */
typedef enum
{
  AT_FIELDS_OK,
  AT_FIELDS_TOO_MANY,         /* more fields than the caller takes */
  AT_FIELDS_UNCLOSED_QUOTE,   /* a string without its closing quote */
  AT_FIELDS_TEXT_AFTER_QUOTE, /* 27.007 style: neither ',' nor the end after a string */
} AtFieldsStatus;

/* One field as the line has it: a view into the line (not NUL-terminated),
 * without the quotes of a string or the blanks around a bare field. */
typedef struct
{
  const char *text;
  gsize length;
  gboolean quoted;
} AtField;

/* On the stack, like GAtResultIter; copy it to read ahead. */
typedef struct
{
  /*< private >*/
  const char *next; /* where the next field starts, or the end of the line */
  gboolean done;    /* no field is left */
  AtFieldsStyle style;
} AtFieldsIter;

/* Opens @line after @prefix ("+CEREG:"; "" for a line that is all fields).
 * FALSE if @line does not start with @prefix. What follows the prefix has at
 * least one field, perhaps empty. */
gboolean at_fields_open (AtFieldsIter *iter, const char *line, const char *prefix,
                         AtFieldsStyle style);

/* Reads the fields left, at most @max_fields of them, without moving @iter:
 * *n_fields receives how many were read. AT_FIELDS_TOO_MANY comes as soon
 * as a field follows the @max_fields-th, before it is read. */
AtFieldsStatus at_fields_check (const AtFieldsIter *iter, guint max_fields, guint *n_fields);

/* TRUE once no field is left. */
gboolean at_fields_at_end (const AtFieldsIter *iter);

/* The text not read yet: from the start of the next field, "" at the end. */
const char *at_fields_rest (const AtFieldsIter *iter);

/* The next field, whatever it holds. */
gboolean at_fields_next (AtFieldsIter *iter, AtField *field);
gboolean at_fields_skip (AtFieldsIter *iter);

/* A bare field of decimal digits, at most @max. */
gboolean at_fields_next_uint (AtFieldsIter *iter, guint64 max, guint64 *value);

/* A bare decimal integer from @min to @max, with the signs of the style. */
gboolean at_fields_next_int (AtFieldsIter *iter, gint64 min, gint64 max, gint64 *value);

/* A quoted field: a new copy of its text. */
gboolean at_fields_next_string (AtFieldsIter *iter, char **text);

/* Any field: a new copy of its text, quoted or not. */
gboolean at_fields_next_text (AtFieldsIter *iter, char **text);

/* --- Scalars: parts of a field, or of a line split otherwise ------------------ */

/* @length decimal digits, no sign, at most @max; FALSE for none. */
gboolean at_parse_uint (const char *text, gsize length, guint64 max, guint64 *value);

/* @length hexadecimal digits in either case, at most @max; FALSE for none. */
gboolean at_parse_hex_uint (const char *text, gsize length, guint64 max, guint64 *value);

/* An even number of hexadecimal digits in either case (none included). */
gboolean at_is_hex (const char *text, gsize length);

/* Those digits as bytes, or NULL if at_is_hex() says no. */
GBytes *at_decode_hex (const char *text, gsize length);

/* @data as upper-case hexadecimal digits, as the modem writes tokens and
 * takes opaque option values. */
void at_append_hex (GString *out, const guint8 *data, gsize length);
char *at_encode_hex (GBytes *bytes);

G_END_DECLS
