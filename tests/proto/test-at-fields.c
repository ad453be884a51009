/* SPDX-License-Identifier: MIT */
/* test-at-fields.c — the AT field iterator (daemon/at-fields.c) on its own:
 * empty fields, strings with commas and quotes inside, blanks, signs,
 * overflow and what comes after a field. */
#include <string.h>

#include "at-fields.h"

static AtFieldsIter
open_line (const char *line, AtFieldsStyle style)
{
  AtFieldsIter iter;

  g_assert_true (at_fields_open (&iter, line, "+X:", style));
  return iter;
}

/* The next field is @text, quoted or not as @quoted says. */
static void
assert_next (AtFieldsIter *iter, const char *text, gboolean quoted)
{
  AtField field;

  g_assert_true (at_fields_next (iter, &field));
  g_assert_cmpmem (field.text, field.length, text, strlen (text));
  g_assert_cmpint (field.quoted, ==, quoted);
}

static guint
count_fields (const char *line, AtFieldsStyle style, guint max)
{
  AtFieldsIter iter = open_line (line, style);
  guint n = G_MAXUINT;

  g_assert_cmpint (at_fields_check (&iter, max, &n), ==, AT_FIELDS_OK);
  return n;
}

static void
test_open (void)
{
  AtFieldsIter iter;

  g_assert_false (at_fields_open (&iter, "+Y: 1", "+X:", AT_FIELDS_STYLE_27007));
  g_assert_false (at_fields_open (&iter, "+X", "+X:", AT_FIELDS_STYLE_QUECTEL));

  /* Nothing after the prefix is one empty field. */
  iter = open_line ("+X:", AT_FIELDS_STYLE_QUECTEL);
  g_assert_false (at_fields_at_end (&iter));
  assert_next (&iter, "", FALSE);
  g_assert_true (at_fields_at_end (&iter));
  g_assert_false (at_fields_skip (&iter));
  g_assert_cmpstr (at_fields_rest (&iter), ==, "");

  /* An empty prefix opens a line that is all fields. */
  g_assert_true (at_fields_open (&iter, "7,8", "", AT_FIELDS_STYLE_QUECTEL));
  assert_next (&iter, "7", FALSE);
  g_assert_cmpstr (at_fields_rest (&iter), ==, "8");
}

static void
test_empty_fields (void)
{
  for (AtFieldsStyle style = AT_FIELDS_STYLE_27007; style <= AT_FIELDS_STYLE_QUECTEL; style++)
    {
      AtFieldsIter iter = open_line ("+X: ,, \"\",", style);

      g_assert_cmpuint (count_fields ("+X: ,, \"\",", style, 10), ==, 4);
      assert_next (&iter, "", FALSE);
      assert_next (&iter, "", FALSE);
      assert_next (&iter, "", TRUE);
      assert_next (&iter, "", FALSE);
      g_assert_true (at_fields_at_end (&iter));
    }
}

/* 27.007 strings end at their first quote; Quectel's at a quote that a
 * comma or the end follows, so they may hold both. */
static void
test_strings (void)
{
  AtFieldsIter iter = open_line ("+X: \"a,b\",\"c\"", AT_FIELDS_STYLE_27007);
  g_autofree char *text = NULL;
  AtField field;
  guint n;

  assert_next (&iter, "a,b", TRUE);
  assert_next (&iter, "c", TRUE);
  g_assert_true (at_fields_at_end (&iter));

  iter = open_line ("+X: \"a,\"b\" ,\"c\"d\"", AT_FIELDS_STYLE_QUECTEL);
  assert_next (&iter, "a,\"b", TRUE);
  assert_next (&iter, "c\"d", TRUE);
  g_assert_true (at_fields_at_end (&iter));

  /* The same line in 27.007: text after the first string. */
  iter = open_line ("+X: \"a,\"b\" ,\"c\"d\"", AT_FIELDS_STYLE_27007);
  g_assert_cmpint (at_fields_check (&iter, 10, &n), ==, AT_FIELDS_TEXT_AFTER_QUOTE);
  g_assert_false (at_fields_next (&iter, &field));

  /* Blanks after a closing quote: Quectel skips them, 27.007 does not. */
  g_assert_cmpuint (count_fields ("+X: \"a\"  ,1", AT_FIELDS_STYLE_QUECTEL, 10), ==, 2);
  iter = open_line ("+X: \"a\"  ,1", AT_FIELDS_STYLE_27007);
  g_assert_cmpint (at_fields_check (&iter, 10, &n), ==, AT_FIELDS_TEXT_AFTER_QUOTE);

  /* next_string takes quoted fields only, next_text any. */
  iter = open_line ("+X: \"q\",b", AT_FIELDS_STYLE_27007);
  g_assert_true (at_fields_next_string (&iter, &text));
  g_assert_cmpstr (text, ==, "q");
  g_clear_pointer (&text, g_free);
  g_assert_false (at_fields_next_string (&iter, &text));
  g_assert_null (text);
  iter = open_line ("+X: \"q\",b", AT_FIELDS_STYLE_27007);
  at_fields_skip (&iter);
  g_assert_true (at_fields_next_text (&iter, &text));
  g_assert_cmpstr (text, ==, "b");
}

/* A quote that is not closed stops the iterator where it is. */
static void
test_unclosed_quote (void)
{
  for (AtFieldsStyle style = AT_FIELDS_STYLE_27007; style <= AT_FIELDS_STYLE_QUECTEL; style++)
    {
      AtFieldsIter iter = open_line ("+X: 1,\"ab,2", style);
      AtField field;
      guint n;

      g_assert_cmpint (at_fields_check (&iter, 10, &n), ==, AT_FIELDS_UNCLOSED_QUOTE);
      g_assert_cmpuint (n, ==, 1);
      assert_next (&iter, "1", FALSE);
      g_assert_false (at_fields_next (&iter, &field));
      g_assert_false (at_fields_next (&iter, &field));
      g_assert_false (at_fields_at_end (&iter));
      g_assert_cmpstr (at_fields_rest (&iter), ==, "\"ab,2");
    }
}

/* Quectel drops blanks only; 27.007 all ASCII white space around a bare
 * field. */
static void
test_blanks (void)
{
  AtFieldsIter iter = open_line ("+X:  5 , \t6\t", AT_FIELDS_STYLE_27007);
  guint64 value;

  assert_next (&iter, "5", FALSE);
  assert_next (&iter, "6", FALSE);

  iter = open_line ("+X:  5 , \t6\t", AT_FIELDS_STYLE_QUECTEL);
  g_assert_true (at_fields_next_uint (&iter, 10, &value));
  g_assert_cmpuint (value, ==, 5);
  assert_next (&iter, "\t6\t", FALSE);

  /* Blanks inside a field stay. */
  iter = open_line ("+X: 1 2", AT_FIELDS_STYLE_QUECTEL);
  g_assert_false (at_fields_next_uint (&iter, 100, &value));
}

static void
assert_int (const char *line, AtFieldsStyle style, gint64 min, gint64 max, gboolean ok,
            gint64 expected)
{
  AtFieldsIter iter = open_line (line, style);
  gint64 value = 12345;

  g_assert_cmpint (at_fields_next_int (&iter, min, max, &value), ==, ok);
  g_assert_cmpint (value, ==, ok ? expected : 12345);
}

static void
test_signs (void)
{
  const AtFieldsStyle quectel = AT_FIELDS_STYLE_QUECTEL;
  const AtFieldsStyle ts27007 = AT_FIELDS_STYLE_27007;
  AtFieldsIter iter;
  guint64 value;

  assert_int ("+X: -11", quectel, G_MININT, G_MAXINT, TRUE, -11);
  assert_int ("+X: -0", quectel, 0, 5, TRUE, 0);
  assert_int ("+X: -1", quectel, 0, 5, FALSE, 0);
  assert_int ("+X: -1", quectel, -1, -1, TRUE, -1);
  assert_int ("+X: 0", quectel, -5, -1, FALSE, 0);
  assert_int ("+X: +5", quectel, 0, 10, FALSE, 0);
  assert_int ("+X: +5", ts27007, 0, 10, TRUE, 5);
  assert_int ("+X: -", ts27007, -10, 10, FALSE, 0);
  assert_int ("+X: +", ts27007, -10, 10, FALSE, 0);
  assert_int ("+X: --5", ts27007, -10, 10, FALSE, 0);
  assert_int ("+X: +-5", ts27007, -10, 10, FALSE, 0);
  assert_int ("+X: - 5", ts27007, -10, 10, FALSE, 0);
  assert_int ("+X: 007", ts27007, 0, 10, TRUE, 7);
  assert_int ("+X: \"5\"", ts27007, 0, 10, FALSE, 0);

  /* An unsigned field takes no sign at all. */
  iter = open_line ("+X: -5,+5", ts27007);
  g_assert_false (at_fields_next_uint (&iter, 10, &value));
  g_assert_false (at_fields_next_uint (&iter, 10, &value));
}

static void
test_overflow (void)
{
  const AtFieldsStyle style = AT_FIELDS_STYLE_QUECTEL;
  AtFieldsIter iter
      = open_line ("+X: 18446744073709551615,18446744073709551616,65535,65536", style);
  guint64 value;

  g_assert_true (at_fields_next_uint (&iter, G_MAXUINT64, &value));
  g_assert_cmpuint (value, ==, G_MAXUINT64);
  g_assert_false (at_fields_next_uint (&iter, G_MAXUINT64, &value));
  g_assert_true (at_fields_next_uint (&iter, G_MAXUINT16, &value));
  g_assert_cmpuint (value, ==, G_MAXUINT16);
  g_assert_false (at_fields_next_uint (&iter, G_MAXUINT16, &value));

  assert_int ("+X: 9223372036854775807", style, G_MININT64, G_MAXINT64, TRUE, G_MAXINT64);
  assert_int ("+X: 9223372036854775808", style, G_MININT64, G_MAXINT64, FALSE, 0);
  assert_int ("+X: -9223372036854775808", style, G_MININT64, G_MAXINT64, TRUE, G_MININT64);
  assert_int ("+X: -9223372036854775809", style, G_MININT64, G_MAXINT64, FALSE, 0);
  assert_int ("+X: 2147483648", style, G_MININT, G_MAXINT, FALSE, 0);
  assert_int ("+X: -2147483648", style, G_MININT, G_MAXINT, TRUE, G_MININT);
  assert_int ("+X: 99999999999999999999999", style, G_MININT64, G_MAXINT64, FALSE, 0);
}

/* A field that is not what was asked for is passed all the same. */
static void
test_trailing_garbage (void)
{
  AtFieldsIter iter = open_line ("+X: 5x,0x5,5 ,6", AT_FIELDS_STYLE_QUECTEL);
  guint64 value;

  g_assert_false (at_fields_next_uint (&iter, 100, &value));
  g_assert_false (at_fields_next_uint (&iter, 100, &value));
  g_assert_true (at_fields_next_uint (&iter, 100, &value));
  g_assert_cmpuint (value, ==, 5);
  g_assert_cmpstr (at_fields_rest (&iter), ==, "6");
  g_assert_true (at_fields_next_uint (&iter, 100, &value));
  g_assert_cmpuint (value, ==, 6);
  g_assert_true (at_fields_at_end (&iter));
}

static void
test_check (void)
{
  AtFieldsIter iter = open_line ("+X: 1,2,3", AT_FIELDS_STYLE_QUECTEL);
  guint n;

  g_assert_cmpint (at_fields_check (&iter, 3, &n), ==, AT_FIELDS_OK);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpint (at_fields_check (&iter, 2, &n), ==, AT_FIELDS_TOO_MANY);
  g_assert_cmpint (at_fields_check (&iter, 0, &n), ==, AT_FIELDS_TOO_MANY);
  /* The iterator has not moved. */
  assert_next (&iter, "1", FALSE);
  g_assert_cmpint (at_fields_check (&iter, 2, &n), ==, AT_FIELDS_OK);
  g_assert_cmpuint (n, ==, 2);

  /* Too many is found before a broken field beyond the maximum. */
  iter = open_line ("+X: 1,2,\"3", AT_FIELDS_STYLE_27007);
  g_assert_cmpint (at_fields_check (&iter, 2, &n), ==, AT_FIELDS_TOO_MANY);
  g_assert_cmpint (at_fields_check (&iter, 3, &n), ==, AT_FIELDS_UNCLOSED_QUOTE);
}

static void
test_hex (void)
{
  g_autoptr (GBytes) bytes = at_decode_hex ("0aFF", 4);
  g_autoptr (GBytes) empty = at_decode_hex ("", 0);
  guint64 value;

  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "\x0a\xff", 2);
  g_assert_nonnull (empty);
  g_assert_cmpuint (g_bytes_get_size (empty), ==, 0);
  g_assert_null (at_decode_hex ("abc", 3));
  g_assert_null (at_decode_hex ("zz", 2));
  g_assert_true (at_is_hex ("", 0));
  g_assert_false (at_is_hex ("a", 1));
  g_assert_false (at_is_hex ("0x", 2));

  g_assert_true (at_parse_hex_uint ("fFfF", 4, G_MAXUINT16, &value));
  g_assert_cmphex (value, ==, 0xffff);
  g_assert_false (at_parse_hex_uint ("10000", 5, G_MAXUINT16, &value));
  g_assert_false (at_parse_hex_uint ("", 0, G_MAXUINT16, &value));
  g_assert_false (at_parse_hex_uint ("g", 1, G_MAXUINT16, &value));
  g_assert_true (at_parse_hex_uint ("ffffffffffffffff", 16, G_MAXUINT64, &value));
  g_assert_false (at_parse_hex_uint ("10000000000000000", 17, G_MAXUINT64, &value));

  g_assert_true (at_parse_uint ("0042", 4, 42, &value));
  g_assert_cmpuint (value, ==, 42);
  g_assert_false (at_parse_uint ("43", 2, 42, &value));
  g_assert_false (at_parse_uint ("", 0, 42, &value));
}

/* Tokens go to the modem, and are matched against its URCs, as upper-case
 * digits; encoding undoes decoding. */
static void
test_encode_hex (void)
{
  g_autoptr (GBytes) bytes = at_decode_hex ("0aff7C00", 8);
  g_autoptr (GBytes) none = g_bytes_new (NULL, 0);
  g_autofree char *hex = at_encode_hex (bytes);
  g_autofree char *empty = at_encode_hex (none);

  g_assert_cmpstr (hex, ==, "0AFF7C00");
  g_assert_cmpstr (empty, ==, "");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/at-fields/open", test_open);
  g_test_add_func ("/at-fields/empty-fields", test_empty_fields);
  g_test_add_func ("/at-fields/strings", test_strings);
  g_test_add_func ("/at-fields/unclosed-quote", test_unclosed_quote);
  g_test_add_func ("/at-fields/blanks", test_blanks);
  g_test_add_func ("/at-fields/signs", test_signs);
  g_test_add_func ("/at-fields/overflow", test_overflow);
  g_test_add_func ("/at-fields/trailing-garbage", test_trailing_garbage);
  g_test_add_func ("/at-fields/check", test_check);
  g_test_add_func ("/at-fields/hex", test_hex);
  g_test_add_func ("/at-fields/encode-hex", test_encode_hex);
  return g_test_run ();
}
