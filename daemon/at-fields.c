/* SPDX-License-Identifier: MIT */
/* at-fields.c — see at-fields.h. */
#include "at-fields.h"

#include <string.h>

#define DECIMAL_BASE     10
#define HEXADECIMAL_BASE 16

static const char *
skip_blanks (const char *p)
{
  while (*p == ' ')
    p++;
  return p;
}

/* 27.007: the string ends at the first quote; only ',' or the end of the
 * line may follow. */
static AtFieldsStatus
read_string (const char *open, AtField *field, const char **after)
{
  const char *close = strchr (open + 1, '"');

  if (close == NULL)
    return AT_FIELDS_UNCLOSED_QUOTE;
  *field = (AtField){ open + 1, (gsize)(close - open - 1), TRUE };
  *after = close + 1;
  if (**after != ',' && **after != '\0')
    return AT_FIELDS_TEXT_AFTER_QUOTE;
  return AT_FIELDS_OK;
}

/* Quectel: the module does not escape a '"' or ',' inside a value, so the
 * string ends at the first quote that a ',' or the end of the line follows. */
static AtFieldsStatus
read_raw_string (const char *open, AtField *field, const char **after)
{
  const char *close = open + 1;

  for (;; close++)
    {
      close = strchr (close, '"');
      if (close == NULL)
        return AT_FIELDS_UNCLOSED_QUOTE;
      *after = skip_blanks (close + 1);
      if (**after == ',' || **after == '\0')
        break;
    }
  *field = (AtField){ open + 1, (gsize)(close - open - 1), TRUE };
  return AT_FIELDS_OK;
}

/* The white space around a bare field that the style drops: blanks before
 * a field are skipped in both. */
static gboolean
is_dropped (AtFieldsStyle style, char c)
{
  return style == AT_FIELDS_STYLE_27007 ? g_ascii_isspace (c) : c == ' ';
}

/* Up to the next ',', without the white space the style drops. */
static void
read_bare (AtFieldsStyle style, const char *start, AtField *field, const char **after)
{
  const char *end = start + strcspn (start, ",");

  *after = end;
  while (start < end && is_dropped (style, *start))
    start++;
  while (end > start && is_dropped (style, end[-1]))
    end--;
  *field = (AtField){ start, (gsize)(end - start), FALSE };
}

/* Reads the field at the iterator and moves past it and its ','. */
static AtFieldsStatus
advance (AtFieldsIter *iter, AtField *field)
{
  const char *p = skip_blanks (iter->next);
  const char *after = p;
  AtFieldsStatus status = AT_FIELDS_OK;

  if (*p != '"')
    read_bare (iter->style, p, field, &after);
  else if (iter->style == AT_FIELDS_STYLE_27007)
    status = read_string (p, field, &after);
  else
    status = read_raw_string (p, field, &after);
  if (status != AT_FIELDS_OK)
    return status;

  iter->done = *after != ',';
  iter->next = iter->done ? after : after + 1;
  return AT_FIELDS_OK;
}

gboolean
at_fields_open (AtFieldsIter *iter, const char *line, const char *prefix, AtFieldsStyle style)
{
  if (!g_str_has_prefix (line, prefix))
    return FALSE;
  *iter = (AtFieldsIter){ line + strlen (prefix), FALSE, style };
  return TRUE;
}

AtFieldsStatus
at_fields_check (const AtFieldsIter *iter, guint max_fields, guint *n_fields)
{
  AtFieldsIter copy = *iter;
  AtFieldsStatus status = AT_FIELDS_OK;
  AtField field;

  *n_fields = 0;
  while (!copy.done && status == AT_FIELDS_OK)
    {
      if (*n_fields == max_fields)
        return AT_FIELDS_TOO_MANY;
      status = advance (&copy, &field);
      if (status == AT_FIELDS_OK)
        (*n_fields)++;
    }
  return status;
}

gboolean
at_fields_at_end (const AtFieldsIter *iter)
{
  return iter->done;
}

const char *
at_fields_rest (const AtFieldsIter *iter)
{
  /* At the end it is the line's NUL. */
  return iter->next;
}

gboolean
at_fields_next (AtFieldsIter *iter, AtField *field)
{
  AtFieldsIter moved = *iter;

  if (iter->done || advance (&moved, field) != AT_FIELDS_OK)
    return FALSE;
  *iter = moved;
  return TRUE;
}

gboolean
at_fields_skip (AtFieldsIter *iter)
{
  AtField field;

  return at_fields_next (iter, &field);
}

gboolean
at_fields_next_uint (AtFieldsIter *iter, guint64 max, guint64 *value)
{
  AtField field;

  /* The modem never quotes a number; a quoted one means the line is not
   * the one the caller thinks it is. */
  return at_fields_next (iter, &field) && !field.quoted
         && at_parse_uint (field.text, field.length, max, value);
}

/* The magnitude a number with this sign may have to stay within
 * [@min, @max]. */
static guint64
magnitude_bound (gboolean negative, gint64 min, gint64 max)
{
  if (negative)
    return min < 0 ? (guint64)(-(min + 1)) + 1 : 0;
  return max < 0 ? 0 : (guint64)max;
}

/* Quectel: an optional '-', then digits. */
static gboolean
parse_quectel_int (const AtField *field, gint64 min, gint64 max, gint64 *value)
{
  gboolean negative = field->length > 0 && field->text[0] == '-';
  guint64 magnitude;
  gint64 number;

  if (!at_parse_uint (field->text + negative, field->length - negative,
                      magnitude_bound (negative, min, max), &magnitude))
    return FALSE;
  /* -(G_MININT64) does not fit a gint64: negate one less, then step down. */
  number = negative && magnitude > 0 ? -(gint64)(magnitude - 1) - 1 : (gint64)magnitude;
  if (number < min || number > max)
    return FALSE;
  *value = number;
  return TRUE;
}

/* 27.007: a decimal integer as GLib reads one, which is what the network
 * parsers have always taken (a '+' or '-', and a vertical tab before it,
 * which GLib skips). */
static gboolean
parse_27007_int (const AtField *field, gint64 min, gint64 max, gint64 *value)
{
  g_autofree char *text = g_strndup (field->text, field->length);

  return g_ascii_string_to_signed (text, DECIMAL_BASE, min, max, value, NULL);
}

gboolean
at_fields_next_int (AtFieldsIter *iter, gint64 min, gint64 max, gint64 *value)
{
  AtField field;

  if (!at_fields_next (iter, &field) || field.quoted)
    return FALSE;
  if (iter->style == AT_FIELDS_STYLE_27007)
    return parse_27007_int (&field, min, max, value);
  return parse_quectel_int (&field, min, max, value);
}

gboolean
at_fields_next_string (AtFieldsIter *iter, char **text)
{
  AtField field;

  if (!at_fields_next (iter, &field) || !field.quoted)
    return FALSE;
  *text = g_strndup (field.text, field.length);
  return TRUE;
}

gboolean
at_fields_next_text (AtFieldsIter *iter, char **text)
{
  AtField field;

  if (!at_fields_next (iter, &field))
    return FALSE;
  *text = g_strndup (field.text, field.length);
  return TRUE;
}

/* --- Scalars ---------------------------------------------------------------- */

/* Digits of @base (10 or 16), at most @max; checked before each step, so
 * even @max = G_MAXUINT64 cannot wrap. */
static gboolean
parse_digits (const char *text, gsize length, guint base, guint64 max, guint64 *value)
{
  guint64 result = 0;

  if (length == 0)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    {
      guint64 digit;

      if (base == DECIMAL_BASE ? !g_ascii_isdigit (text[i]) : !g_ascii_isxdigit (text[i]))
        return FALSE;
      digit = (guint64)g_ascii_xdigit_value (text[i]);
      if (digit > max || result > (max - digit) / base)
        return FALSE;
      result = result * base + digit;
    }
  *value = result;
  return TRUE;
}

gboolean
at_parse_uint (const char *text, gsize length, guint64 max, guint64 *value)
{
  return parse_digits (text, length, DECIMAL_BASE, max, value);
}

gboolean
at_parse_hex_uint (const char *text, gsize length, guint64 max, guint64 *value)
{
  return parse_digits (text, length, HEXADECIMAL_BASE, max, value);
}

gboolean
at_is_hex (const char *text, gsize length)
{
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isxdigit (text[i]))
      return FALSE;
  return length % 2 == 0;
}

GBytes *
at_decode_hex (const char *text, gsize length)
{
  g_autofree guint8 *data = NULL;

  if (!at_is_hex (text, length))
    return NULL;
  /* One byte more: g_malloc (0) would give NULL for an empty value. */
  data = g_malloc (length / 2 + 1);
  for (gsize i = 0; i < length; i += 2)
    data[i / 2]
        = (guint8)(g_ascii_xdigit_value (text[i]) << 4 | g_ascii_xdigit_value (text[i + 1]));
  return g_bytes_new_take (g_steal_pointer (&data), length / 2);
}

void
at_append_hex (GString *out, const guint8 *data, gsize length)
{
  static const char digits[] = "0123456789ABCDEF";

  for (gsize i = 0; i < length; i++)
    {
      g_string_append_c (out, digits[data[i] >> 4]);
      g_string_append_c (out, digits[data[i] & 0xf]);
    }
}

char *
at_encode_hex (GBytes *bytes)
{
  gsize length;
  const guint8 *data = g_bytes_get_data (bytes, &length);
  GString *hex = g_string_sized_new (length * 2);

  at_append_hex (hex, data, length);
  return g_string_free (hex, FALSE);
}
