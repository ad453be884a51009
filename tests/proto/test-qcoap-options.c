/* SPDX-License-Identifier: MIT */
/* Tests of the option table, option validation and URIs (qcoap-options.h). */

#include <gio/gio.h>
#include <string.h>

#include "qcoap-error.h"
#include "qcoap-options.h"
#include "qcoap-proto.h"

/* --- Table ------------------------------------------------------------------ */

static void
test_table (void)
{
  /* The modem's table and the integer options CoAP defines beyond it,
   * written out independently of the code. */
  static const struct
  {
    guint number;
    const char *name;
    QcoapOptionFormat format;
    guint min, max;
    gboolean sendable;
  } expected[] = {
    { 1, "If-Match", QCOAP_OPTION_FORMAT_OPAQUE, 0, 8, TRUE },
    { 3, "Uri-Host", QCOAP_OPTION_FORMAT_STRING, 1, 255, TRUE },
    { 4, "ETag", QCOAP_OPTION_FORMAT_OPAQUE, 1, 8, TRUE },
    { 5, "If-None-Match", QCOAP_OPTION_FORMAT_EMPTY, 0, 0, TRUE },
    { 6, "Observe", QCOAP_OPTION_FORMAT_UINT, 0, 3, FALSE },
    { 7, "Uri-Port", QCOAP_OPTION_FORMAT_UINT, 0, 2, TRUE },
    { 8, "Location-Path", QCOAP_OPTION_FORMAT_STRING, 0, 255, TRUE },
    { 11, "Uri-Path", QCOAP_OPTION_FORMAT_STRING, 0, 255, TRUE },
    { 12, "Content-Format", QCOAP_OPTION_FORMAT_UINT, 0, 2, TRUE },
    { 14, "Max-Age", QCOAP_OPTION_FORMAT_UINT, 0, 4, TRUE },
    { 15, "Uri-Query", QCOAP_OPTION_FORMAT_STRING, 0, 255, TRUE },
    { 16, "Hop-Limit", QCOAP_OPTION_FORMAT_UINT, 1, 1, FALSE },
    { 17, "Accept", QCOAP_OPTION_FORMAT_UINT, 0, 2, TRUE },
    { 19, "Q-Block1", QCOAP_OPTION_FORMAT_UINT, 0, 3, FALSE },
    { 20, "Location-Query", QCOAP_OPTION_FORMAT_STRING, 0, 255, TRUE },
    { 23, "Block2", QCOAP_OPTION_FORMAT_UINT, 0, 3, FALSE },
    { 27, "Block1", QCOAP_OPTION_FORMAT_UINT, 0, 3, FALSE },
    { 28, "Size2", QCOAP_OPTION_FORMAT_UINT, 0, 4, FALSE },
    { 31, "Q-Block2", QCOAP_OPTION_FORMAT_UINT, 0, 3, FALSE },
    { 35, "Proxy-Uri", QCOAP_OPTION_FORMAT_STRING, 1, 1034, TRUE },
    { 39, "Proxy-Scheme", QCOAP_OPTION_FORMAT_STRING, 1, 255, TRUE },
    { 60, "Size1", QCOAP_OPTION_FORMAT_UINT, 0, 4, TRUE },
    { 258, "No-Response", QCOAP_OPTION_FORMAT_UINT, 0, 1, FALSE },
  };
  gsize n_infos = 0;
  gsize n_sendable = 0;
  const QcoapOptionInfo *table = at_coap_option_info_table (&n_infos);

  g_assert_cmpuint (n_infos, ==, G_N_ELEMENTS (expected));
  for (gsize i = 0; i < n_infos; i++)
    {
      const QcoapOptionInfo *info = at_coap_option_info_lookup (expected[i].number);

      g_assert_true (info == &table[i]);
      g_assert_cmpuint (info->number, ==, expected[i].number);
      g_assert_cmpstr (info->name, ==, expected[i].name);
      g_assert_cmpint (info->format, ==, expected[i].format);
      g_assert_cmpuint (info->min_length, ==, expected[i].min);
      g_assert_cmpuint (info->max_length, ==, expected[i].max);
      g_assert_cmpint (info->sendable, ==, expected[i].sendable);
      n_sendable += info->sendable ? 1 : 0;
    }
  /* The modem's own table has fifteen rows. */
  g_assert_cmpuint (n_sendable, ==, 15);

  /* Unassigned numbers and options the table does not type are not there. */
  g_assert_null (at_coap_option_info_lookup (0));
  g_assert_null (at_coap_option_info_lookup (2));
  g_assert_null (at_coap_option_info_lookup (9));
  g_assert_null (at_coap_option_info_lookup (65535));
}

static void
test_uint_length (void)
{
  g_assert_cmpuint (at_coap_uint_length (0), ==, 0);
  g_assert_cmpuint (at_coap_uint_length (1), ==, 1);
  g_assert_cmpuint (at_coap_uint_length (255), ==, 1);
  g_assert_cmpuint (at_coap_uint_length (256), ==, 2);
  g_assert_cmpuint (at_coap_uint_length (65535), ==, 2);
  g_assert_cmpuint (at_coap_uint_length (65536), ==, 3);
  g_assert_cmpuint (at_coap_uint_length (0xffffff), ==, 3);
  g_assert_cmpuint (at_coap_uint_length (0x1000000), ==, 4);
  g_assert_cmpuint (at_coap_uint_length (G_MAXUINT32), ==, 4);
}

/* --- a(qv) validation ------------------------------------------------------- */

static GVariant *
bytes_value (gsize length, guint8 fill)
{
  g_autofree guint8 *data = g_malloc (length + 1);

  memset (data, fill, length);
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, length, 1);
}

static GVariant *
string_value (gsize length)
{
  g_autofree char *text = g_strnfill (length, 'x');

  return g_variant_new_string (text);
}

/* A value of @length (bytes, or for uints bytes needed) in the option's format. */
static GVariant *
value_of_length (const QcoapOptionInfo *info, gsize length)
{
  switch (info->format)
    {
      case QCOAP_OPTION_FORMAT_STRING:
        return string_value (length);
      case QCOAP_OPTION_FORMAT_UINT:
        return g_variant_new_uint32 (
            length == 0 ? 0 : (guint32)(G_GUINT64_CONSTANT (1) << (8 * (length - 1))));
      case QCOAP_OPTION_FORMAT_OPAQUE:
      case QCOAP_OPTION_FORMAT_EMPTY:
      default:
        return bytes_value (length, 0xa5);
    }
}

static GVariant *
one_option (guint16 number, GVariant *value)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(qv)"));
  g_variant_builder_add (&builder, "(qv)", number, value);
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static void
assert_accepted (GVariant *options)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = at_coap_option_list_from_variant (options, &error);
  g_autoptr (GVariant) back = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (list);
  g_assert_cmpuint (list->len, ==, g_variant_n_children (options));
  /* What was accepted comes back unchanged. */
  back = g_variant_ref_sink (at_coap_option_list_to_variant (list));
  g_assert_true (g_variant_equal (back, options));
}

/* Rejected with InvalidArgument and a message holding each of @parts. */
static void
assert_rejected (GVariant *options, const char *part1, const char *part2)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = at_coap_option_list_from_variant (options, &error);

  g_assert_null (list);
  g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
  g_test_message ("message: %s", error->message);
  g_assert_nonnull (strstr (error->message, part1));
  if (part2 != NULL)
    g_assert_nonnull (strstr (error->message, part2));
}

static void
test_validate_lengths (void)
{
  gsize n_infos;
  const QcoapOptionInfo *table = at_coap_option_info_table (&n_infos);

  for (gsize i = 0; i < n_infos; i++)
    {
      const QcoapOptionInfo *info = &table[i];
      g_autofree char *name = NULL;
      g_autoptr (GVariant) shortest = NULL;
      g_autoptr (GVariant) longest = NULL;
      gboolean can_be_too_long;

      if (!info->sendable)
        continue;
      name = g_strdup_printf ("option %u (%s)", info->number, info->name);
      shortest = one_option (info->number, value_of_length (info, info->min_length));
      longest = one_option (info->number, value_of_length (info, info->max_length));
      /* A u cannot hold a 5-byte value, so 4-byte uints have no too-long case. */
      can_be_too_long = info->format != QCOAP_OPTION_FORMAT_UINT || info->max_length < 4;

      g_test_message ("%s", name);
      assert_accepted (shortest);
      assert_accepted (longest);
      if (can_be_too_long)
        {
          g_autoptr (GVariant) too_long
              = one_option (info->number, value_of_length (info, info->max_length + 1));

          assert_rejected (too_long, name,
                           info->format == QCOAP_OPTION_FORMAT_EMPTY  ? "no value"
                           : info->format == QCOAP_OPTION_FORMAT_UINT ? "at most"
                                                                      : "must be");
        }
      if (info->min_length > 0)
        {
          g_autoptr (GVariant) too_short
              = one_option (info->number, value_of_length (info, info->min_length - 1));

          assert_rejected (too_short, name, "must be 1 to");
        }
    }
}

/* Each of these values is wrong for some formats; tries all that are. */
static void
check_wrong_types (const QcoapOptionInfo *info)
{
  g_autofree char *name = g_strdup_printf ("option %u (%s)", info->number, info->name);
  g_autoptr (GVariant) as_string = one_option (info->number, g_variant_new_string ("1"));
  g_autoptr (GVariant) as_uint = one_option (info->number, g_variant_new_uint32 (1));
  g_autoptr (GVariant) as_bytes = one_option (info->number, bytes_value (1, 1));
  g_autoptr (GVariant) as_int = one_option (info->number, g_variant_new_int32 (1));
  g_autoptr (GVariant) as_uint16 = one_option (info->number, g_variant_new_uint16 (1));
  g_autoptr (GVariant) as_bool = one_option (info->number, g_variant_new_boolean (TRUE));

  if (info->format != QCOAP_OPTION_FORMAT_STRING)
    assert_rejected (as_string, name, "takes");
  if (info->format != QCOAP_OPTION_FORMAT_UINT)
    assert_rejected (as_uint, name, "takes");
  if (info->format == QCOAP_OPTION_FORMAT_STRING || info->format == QCOAP_OPTION_FORMAT_UINT)
    assert_rejected (as_bytes, name, "takes");
  assert_rejected (as_int, name, "D-Bus type i");
  assert_rejected (as_uint16, name, "D-Bus type q");
  assert_rejected (as_bool, name, "D-Bus type b");
}

static void
test_validate_wrong_types (void)
{
  gsize n_infos;
  const QcoapOptionInfo *table = at_coap_option_info_table (&n_infos);

  for (gsize i = 0; i < n_infos; i++)
    if (table[i].sendable)
      check_wrong_types (&table[i]);
}

static void
test_validate_uint_ranges (void)
{
  g_autoptr (GVariant) port_max = one_option (7, g_variant_new_uint32 (65535));
  g_autoptr (GVariant) port_over = one_option (7, g_variant_new_uint32 (65536));
  g_autoptr (GVariant) format_zero = one_option (12, g_variant_new_uint32 (0));
  g_autoptr (GVariant) age_max = one_option (14, g_variant_new_uint32 (G_MAXUINT32));
  g_autoptr (GVariant) size1_max = one_option (60, g_variant_new_uint32 (G_MAXUINT32));
  g_autoptr (GVariant) accept_over = one_option (17, g_variant_new_uint32 (0x10000));

  assert_accepted (port_max);
  assert_accepted (format_zero);
  assert_accepted (age_max);
  assert_accepted (size1_max);
  assert_rejected (port_over, "option 7 (Uri-Port)", "65536");
  assert_rejected (accept_over, "option 17 (Accept)", "65535");
}

/* The options the modem receives but cannot send are refused whatever the
 * type of their value, and the message says why. */
static void
test_validate_received_only (void)
{
  const guint16 received_only[] = { 6, 16, 19, 23, 27, 28, 31, 258 };

  for (gsize i = 0; i < G_N_ELEMENTS (received_only); i++)
    {
      const QcoapOptionInfo *info = at_coap_option_info_lookup (received_only[i]);
      g_autofree char *name = NULL;
      g_autoptr (GVariant) as_uint = NULL;
      g_autoptr (GVariant) as_string = NULL;

      g_assert_nonnull (info);
      g_assert_false (info->sendable);
      name = g_strdup_printf ("option %u (%s)", info->number, info->name);
      as_uint = one_option (received_only[i], g_variant_new_uint32 (1));
      as_string = one_option (received_only[i], g_variant_new_string ("1"));
      assert_rejected (as_uint, name, "can receive it, but not send it");
      assert_rejected (as_string, name, "can receive it, but not send it");
    }
}

static void
test_validate_unknown (void)
{
  const guint16 unknown[] = { 0, 2, 9, 21, 252, 65535 };

  for (gsize i = 0; i < G_N_ELEMENTS (unknown); i++)
    {
      g_autofree char *name = g_strdup_printf ("option %u ", unknown[i]);
      g_autoptr (GVariant) as_string = one_option (unknown[i], g_variant_new_string ("v"));
      g_autoptr (GVariant) as_uint = one_option (unknown[i], g_variant_new_uint32 (1));
      g_autoptr (GVariant) as_int = one_option (unknown[i], g_variant_new_int32 (1));

      assert_rejected (as_string, name, "not supported");
      assert_rejected (as_uint, name, "not supported");
      assert_rejected (as_int, name, "not supported");
    }
}

static void
test_validate_unquotable_strings (void)
{
  g_autoptr (GVariant) quote = one_option (11, g_variant_new_string ("a\"b"));
  g_autoptr (GVariant) newline = one_option (15, g_variant_new_string ("a\r\nAT"));
  g_autoptr (GVariant) tab = one_option (3, g_variant_new_string ("a\tb"));
  g_autoptr (GVariant) fine = one_option (11, g_variant_new_string ("é,ok 'x'"));

  assert_rejected (quote, "option 11 (Uri-Path)", "double quote");
  assert_rejected (newline, "option 15 (Uri-Query)", "0x0d");
  assert_rejected (tab, "option 3 (Uri-Host)", "0x09");
  assert_accepted (fine);
}

static GVariant *
n_options (gsize n)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(qv)"));
  for (gsize i = 0; i < n; i++)
    g_variant_builder_add (&builder, "(qv)", (guint16)11, g_variant_new_string ("seg"));
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static void
test_validate_count (void)
{
  g_autoptr (GVariant) none = n_options (0);
  g_autoptr (GVariant) eight = n_options (8);
  g_autoptr (GVariant) nine = n_options (9);
  g_autoptr (GPtrArray) list = at_coap_option_list_new ();
  g_autoptr (GError) error = NULL;

  assert_accepted (none);
  assert_accepted (eight);
  assert_rejected (nine, "9 options", "at most 8");

  for (int i = 0; i < 8; i++)
    g_ptr_array_add (list, at_coap_option_new_uint (12, 0));
  g_assert_true (at_coap_option_list_check_count (list, &error));
  g_assert_no_error (error);
  g_ptr_array_add (list, at_coap_option_new_uint (12, 0));
  g_assert_false (at_coap_option_list_check_count (list, &error));
  g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
}

static void
test_validate_reports_position (void)
{
  g_autoptr (GVariant) options = NULL;
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(qv)"));
  g_variant_builder_add (&builder, "(qv)", (guint16)11, g_variant_new_string ("a"));
  g_variant_builder_add (&builder, "(qv)", (guint16)12, g_variant_new_uint32 (0));
  g_variant_builder_add (&builder, "(qv)", (guint16)4, bytes_value (9, 0));
  options = g_variant_ref_sink (g_variant_builder_end (&builder));

  assert_rejected (options, "option 4 (ETag) at position 3", "9 bytes");
}

static void
test_validate_keeps_order_and_values (void)
{
  const guint8 tag[] = { 0x00, 0xff, 0x10 };
  g_autoptr (GVariant) options = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;
  GVariantBuilder builder;
  const QcoapOption *option;
  g_autofree char *text = NULL;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(qv)"));
  g_variant_builder_add (&builder, "(qv)", (guint16)15, g_variant_new_string ("k=v"));
  g_variant_builder_add (&builder, "(qv)", (guint16)11, g_variant_new_string ("b"));
  g_variant_builder_add (&builder, "(qv)", (guint16)4,
                         g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, tag, sizeof tag, 1));
  g_variant_builder_add (&builder, "(qv)", (guint16)5, bytes_value (0, 0));
  g_variant_builder_add (&builder, "(qv)", (guint16)60, g_variant_new_uint32 (1234567));
  options = g_variant_ref_sink (g_variant_builder_end (&builder));

  list = at_coap_option_list_from_variant (options, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 5);

  option = g_ptr_array_index (list, 0);
  text = at_coap_option_dup_string (option);
  g_assert_cmpuint (option->number, ==, 15);
  g_assert_cmpstr (text, ==, "k=v");
  option = g_ptr_array_index (list, 1);
  g_assert_cmpuint (option->number, ==, 11);
  option = g_ptr_array_index (list, 2);
  g_assert_cmpint (option->format, ==, QCOAP_OPTION_FORMAT_OPAQUE);
  g_assert_cmpmem (g_bytes_get_data (option->value, NULL), g_bytes_get_size (option->value), tag,
                   sizeof tag);
  option = g_ptr_array_index (list, 3);
  g_assert_cmpint (option->format, ==, QCOAP_OPTION_FORMAT_EMPTY);
  g_assert_cmpuint (g_bytes_get_size (option->value), ==, 0);
  option = g_ptr_array_index (list, 4);
  g_assert_cmpint (option->format, ==, QCOAP_OPTION_FORMAT_UINT);
  g_assert_cmpuint (option->uint_value, ==, 1234567);
  g_assert_null (at_coap_option_dup_string (option));
}

/* --- Received options to a(qv) ---------------------------------------------- */

static void
test_received_to_variant (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapRecv) recv = at_coap_recv_parse (
      "+QCOAPRECV: 0,1,2.05,0,,6,4,\"0A0B\",6,\"7\",8,\"loc\",12,\"50\",23,\"14\",28,\"1500\",3",
      &error);
  g_autoptr (GVariant) variant = NULL;
  g_autoptr (GVariant) expected = NULL;

  g_assert_no_error (error);
  variant = g_variant_ref_sink (at_coap_option_list_to_variant (recv->options));
  /* Observe, Block2 and Size2 are typed although the modem cannot send them. */
  expected = g_variant_ref_sink (g_variant_new_parsed (
      "[(@q 4, <@ay [0x0a, 0x0b]>), (6, <@u 7>), (8, <'loc'>), (12, <@u 50>), (23, <@u 14>), "
      "(28, <@u 1500>)]"));
  g_assert_cmpvariant (variant, expected);
}

static void
test_invalid_utf8_string_becomes_bytes (void)
{
  g_autoptr (GPtrArray) list = at_coap_option_list_new ();
  g_autoptr (GVariant) variant = NULL;
  g_autoptr (GVariant) value = NULL;
  guint16 number;

  g_ptr_array_add (list, at_coap_option_new_bytes (8, QCOAP_OPTION_FORMAT_STRING,
                                                   (const guint8 *)"\xff\xfe", 2));
  variant = g_variant_ref_sink (at_coap_option_list_to_variant (list));
  g_variant_get_child (variant, 0, "(qv)", &number, &value);
  g_assert_cmpuint (number, ==, 8);
  g_assert_true (g_variant_is_of_type (value, G_VARIANT_TYPE_BYTESTRING));
  g_assert_cmpuint (g_variant_n_children (value), ==, 2);
}

static void
test_empty_list_to_variant (void)
{
  g_autoptr (GVariant) from_null = g_variant_ref_sink (at_coap_option_list_to_variant (NULL));

  g_assert_cmpstr (g_variant_get_type_string (from_null), ==, "a(qv)");
  g_assert_cmpuint (g_variant_n_children (from_null), ==, 0);
}

/* --- add_strings and the flags ----------------------------------------------- */

static void
test_add_strings (void)
{
  g_autoptr (GPtrArray) list = at_coap_option_list_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *long_segment = g_strnfill (256, 's');
  const char *good[] = { "a", "", "b c", NULL };
  const char *bad[] = { "ok", long_segment, NULL };

  g_assert_true (at_coap_option_list_add_strings (list, 11, good, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 3);
  g_assert_false (at_coap_option_list_add_strings (list, 11, bad, &error));
  g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "Uri-Path"));
  /* Nothing of a failed call is added. */
  g_assert_cmpuint (list->len, ==, 3);
}

static void
assert_strv (GStrv got, const char *const *expected)
{
  g_assert_true (g_strv_equal ((const char *const *)got, expected));
  g_strfreev (got);
}

static void
test_split_flags (void)
{
  const char *none[] = { NULL };
  const char *ab[] = { "a", "b", NULL };
  const char *a_empty[] = { "a", "", NULL };
  const char *kv[] = { "k=v", "x=y", NULL };
  const char *kv_empty[] = { "k=v", "", "x", NULL };

  assert_strv (at_coap_split_uri_path (""), none);
  assert_strv (at_coap_split_uri_path ("/"), none);
  assert_strv (at_coap_split_uri_path ("/a/b"), ab);
  assert_strv (at_coap_split_uri_path ("a/b"), ab);
  assert_strv (at_coap_split_uri_path ("/a/"), a_empty);
  assert_strv (at_coap_split_uri_query (""), none);
  assert_strv (at_coap_split_uri_query ("k=v&x=y"), kv);
  assert_strv (at_coap_split_uri_query ("k=v&&x"), kv_empty);
}

/* --- URIs ------------------------------------------------------------------- */

static QcoapUri *
parse_uri_ok (const char *text)
{
  g_autoptr (GError) error = NULL;
  QcoapUri *uri = at_coap_uri_parse (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (uri);
  return uri;
}

static void
test_uri_basic (void)
{
  const char *path[] = { "sensors", "temp", NULL };
  const char *query[] = { "unit=C", "n=1", NULL };
  const char *none[] = { NULL };
  g_autoptr (QcoapUri) uri = parse_uri_ok ("coap://127.0.0.1/sensors/temp?unit=C&n=1");
  g_autoptr (QcoapUri) secure = parse_uri_ok ("coaps://example.org:6000");
  g_autoptr (QcoapUri) upper = parse_uri_ok ("COAP://Host-1.example_x:1/");

  g_assert_cmpstr (uri->host, ==, "127.0.0.1");
  g_assert_cmpuint (uri->port, ==, 5683);
  g_assert_false (uri->secure);
  g_assert_true (g_strv_equal ((const char *const *)uri->path, path));
  g_assert_true (g_strv_equal ((const char *const *)uri->query, query));

  g_assert_cmpstr (secure->host, ==, "example.org");
  g_assert_cmpuint (secure->port, ==, 6000);
  g_assert_true (secure->secure);
  g_assert_true (g_strv_equal ((const char *const *)secure->path, none));
  g_assert_true (g_strv_equal ((const char *const *)secure->query, none));

  g_assert_cmpstr (upper->host, ==, "Host-1.example_x");
  g_assert_cmpuint (upper->port, ==, 1);
  g_assert_true (g_strv_equal ((const char *const *)upper->path, none));
}

static void
test_uri_default_ports (void)
{
  g_autoptr (QcoapUri) coap = parse_uri_ok ("coap://h");
  g_autoptr (QcoapUri) coaps = parse_uri_ok ("coaps://h/x");
  g_autoptr (QcoapUri) empty_port = parse_uri_ok ("coap://h:/x");
  g_autoptr (QcoapUri) max_port = parse_uri_ok ("coap://h:65535");

  g_assert_cmpuint (coap->port, ==, 5683);
  g_assert_cmpuint (coaps->port, ==, 5684);
  g_assert_cmpuint (empty_port->port, ==, 5683);
  g_assert_cmpuint (max_port->port, ==, 65535);
}

static void
test_uri_ipv6 (void)
{
  const char *path[] = { "a", NULL };
  g_autoptr (QcoapUri) loopback = parse_uri_ok ("coap://[::1]/a");
  g_autoptr (QcoapUri) with_port = parse_uri_ok ("coaps://[2001:db8::17]:61616?q");

  g_assert_cmpstr (loopback->host, ==, "::1");
  g_assert_cmpuint (loopback->port, ==, 5683);
  g_assert_true (g_strv_equal ((const char *const *)loopback->path, path));
  g_assert_cmpstr (with_port->host, ==, "2001:db8::17");
  g_assert_cmpuint (with_port->port, ==, 61616);
  g_assert_cmpstr (with_port->query[0], ==, "q");
  g_assert_null (with_port->query[1]);
}

static void
test_uri_percent_decoding (void)
{
  const char *path[] = { "a b", "c/d", "", NULL };
  const char *query[] = { "k=v&w", "é", "", NULL };
  g_autoptr (QcoapUri) uri = parse_uri_ok ("coap://h/a%20b/c%2Fd/?k=v%26w&%C3%a9&");

  g_assert_true (g_strv_equal ((const char *const *)uri->path, path));
  g_assert_true (g_strv_equal ((const char *const *)uri->query, query));
}

static void
test_uri_empty_parts (void)
{
  const char *empty_segments[] = { "", "", NULL };
  const char *none[] = { NULL };
  g_autoptr (QcoapUri) slashes = parse_uri_ok ("coap://h//");
  g_autoptr (QcoapUri) empty_query = parse_uri_ok ("coap://h/?");

  g_assert_true (g_strv_equal ((const char *const *)slashes->path, empty_segments));
  g_assert_true (g_strv_equal ((const char *const *)empty_query->path, none));
  g_assert_true (g_strv_equal ((const char *const *)empty_query->query, none));
}

static void
test_uri_rejects (void)
{
  static const struct
  {
    const char *uri;
    const char *reason;
  } cases[] = {
    { "http://h/", "scheme" },
    { "coapx://h/", "scheme" },
    { "coap:/h/", "not a coap" },
    { "h/path", "not a coap" },
    { "", "not a coap" },
    { "coap:///path", "no host" },
    { "coap://:5683/", "no host" },
    { "coap://h:0/", "port 0" },
    { "coap://h:65536/", "above 65535" },
    { "coap://h:99999999999999999999999/", "above 65535" },
    { "coap://h:-1/", "not a decimal" },
    { "coap://h:80a/", "not a decimal" },
    { "coap://h/a#frag", "fragment" },
    { "coap://h#", "fragment" },
    { "coap://user@h/", "user information" },
    { "coap://user:pw@h/", "user information" },
    { "coap://::1/", "no host" },
    { "coap://h::1/", "not a decimal" },
    { "coap://[::1/", "closing" },
    { "coap://[::1]x/", "after the IPv6" },
    { "coap://[127.0.0.1]/", "not an IPv6" },
    { "coap://[nonsense]/", "not an IPv6" },
    { "coap://h%41/", "character" },
    { "coap://h o/", "character" },
    { "coap://h/a%2", "two hexadecimal" },
    { "coap://h/a%zz", "two hexadecimal" },
    { "coap://h/?a=%", "two hexadecimal" },
    { "coap://h/a%00", "NUL" },
    { "coap://h/a%22b", "double quote" },
    { "coap://h/a%0d%0a", "control character" },
    { "coap://h/a\"b", "double quote" },
    { "coap://h/%ff", "UTF-8" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (QcoapUri) uri = at_coap_uri_parse (cases[i].uri, &error);

      g_test_message ("URI %s", cases[i].uri);
      g_assert_null (uri);
      g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
      g_test_message ("message: %s", error->message);
      g_assert_nonnull (strstr (error->message, cases[i].reason));
    }
}

static void
test_uri_long_host (void)
{
  g_autofree char *host255 = g_strnfill (255, 'h');
  g_autofree char *host256 = g_strnfill (256, 'h');
  g_autofree char *ok_text = g_strdup_printf ("coap://%s/", host255);
  g_autofree char *bad_text = g_strdup_printf ("coap://%s/", host256);
  g_autoptr (QcoapUri) ok = parse_uri_ok (ok_text);
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapUri) bad = at_coap_uri_parse (bad_text, &error);

  g_assert_cmpuint (strlen (ok->host), ==, 255);
  g_assert_null (bad);
  g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/options/table", test_table);
  g_test_add_func ("/options/uint-length", test_uint_length);
  g_test_add_func ("/options/validate/lengths", test_validate_lengths);
  g_test_add_func ("/options/validate/wrong-types", test_validate_wrong_types);
  g_test_add_func ("/options/validate/uint-ranges", test_validate_uint_ranges);
  g_test_add_func ("/options/validate/unknown", test_validate_unknown);
  g_test_add_func ("/options/validate/received-only", test_validate_received_only);
  g_test_add_func ("/options/validate/unquotable-strings", test_validate_unquotable_strings);
  g_test_add_func ("/options/validate/count", test_validate_count);
  g_test_add_func ("/options/validate/reports-position", test_validate_reports_position);
  g_test_add_func ("/options/validate/keeps-order-and-values",
                   test_validate_keeps_order_and_values);
  g_test_add_func ("/options/variant/received", test_received_to_variant);
  g_test_add_func ("/options/variant/invalid-utf8", test_invalid_utf8_string_becomes_bytes);
  g_test_add_func ("/options/variant/empty", test_empty_list_to_variant);
  g_test_add_func ("/options/add-strings", test_add_strings);
  g_test_add_func ("/options/split-flags", test_split_flags);
  g_test_add_func ("/options/uri/basic", test_uri_basic);
  g_test_add_func ("/options/uri/default-ports", test_uri_default_ports);
  g_test_add_func ("/options/uri/ipv6", test_uri_ipv6);
  g_test_add_func ("/options/uri/percent-decoding", test_uri_percent_decoding);
  g_test_add_func ("/options/uri/empty-parts", test_uri_empty_parts);
  g_test_add_func ("/options/uri/rejects", test_uri_rejects);
  g_test_add_func ("/options/uri/long-host", test_uri_long_host);
  return g_test_run ();
}
