/* SPDX-License-Identifier: MIT */
/* fuzz-at-fields.c — libFuzzer target for the AT field iterator
 * (daemon/at-fields.c).
 *
 * The first byte picks the style and how many fields at_fields_check()
 * takes; the rest is the line. Every field read must be a view into the
 * line, at_fields_next() must read exactly the fields at_fields_check()
 * counted, and the typed readers must agree with the field they read. */
#include <stdlib.h>
#include <string.h>

#include "at-fields.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* More than any line the daemon reads has, fewer than a long input's. */
#define MAX_FIELDS_PICKED 16

static void
check (gboolean condition)
{
  if (!condition)
    abort ();
}

static void
check_field (const char *line, const AtField *field)
{
  gsize line_length = strlen (line);

  check (field->text >= line && field->text + field->length <= line + line_length);
  check (memchr (field->text, '\0', field->length) == NULL);
  if (!field->quoted)
    check (memchr (field->text, ',', field->length) == NULL);
}

/* The typed readers on the field at @iter agree with its view. */
static void
check_typed (AtFieldsIter iter, const AtField *field)
{
  AtFieldsIter copy = iter;
  g_autofree char *text = NULL;
  g_autoptr (GBytes) bytes = at_decode_hex (field->text, field->length);
  guint64 uint_value;
  gint64 int_value;

  if (at_fields_next_uint (&copy, G_MAXUINT32, &uint_value))
    check (!field->quoted && field->length > 0 && uint_value <= G_MAXUINT32);
  copy = iter;
  if (at_fields_next_int (&copy, G_MININT, G_MAXINT, &int_value))
    check (!field->quoted && int_value >= G_MININT && int_value <= G_MAXINT);
  copy = iter;
  if (at_fields_next_string (&copy, &text))
    check (field->quoted && strlen (text) == field->length);
  if (bytes != NULL)
    check (g_bytes_get_size (bytes) * 2 == field->length);
  if (at_parse_hex_uint (field->text, field->length, G_MAXUINT16, &uint_value))
    check (field->length > 0 && uint_value <= G_MAXUINT16);
}

/* Reads every field, each as a view and as each type. */
static guint
read_all (const char *line, AtFieldsIter iter)
{
  const char *end = line + strlen (line);
  AtFieldsIter before = iter;
  AtField field;
  guint n = 0;

  while (at_fields_next (&iter, &field))
    {
      const char *rest = at_fields_rest (&iter);

      check_field (line, &field);
      check (rest >= field.text + field.length && rest <= end);
      /* A field not the last is followed by the ',' the rest starts after. */
      if (at_fields_at_end (&iter))
        check (rest == end);
      else
        check (rest > line && rest[-1] == ',');
      check_typed (before, &field);
      before = iter;
      n++;
    }
  return n;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *line = NULL;
  AtFieldsStyle style;
  AtFieldsIter iter;
  guint max_fields;
  guint n_fields;
  AtFieldsStatus status;

  if (size == 0)
    return 0;
  style = data[0] & 1 ? AT_FIELDS_STYLE_QUECTEL : AT_FIELDS_STYLE_27007;
  max_fields = (data[0] >> 1) % MAX_FIELDS_PICKED;
  line = g_strndup ((const char *)data + 1, size - 1);

  check (at_fields_open (&iter, line, "", style));
  status = at_fields_check (&iter, max_fields, &n_fields);
  check (n_fields <= max_fields);
  if (status == AT_FIELDS_OK)
    check (read_all (line, iter) == n_fields);
  if (style == AT_FIELDS_STYLE_QUECTEL)
    check (status != AT_FIELDS_TEXT_AFTER_QUOTE);
  if (status != AT_FIELDS_OK)
    read_all (line, iter);
  return 0;
}
