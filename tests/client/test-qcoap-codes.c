/* SPDX-License-Identifier: MIT */
/* test-qcoap-codes.c — the names libqcoap-glib gives codes, options and
 * content formats, and the option values it makes from typed text. */
#include <stdlib.h>

#include <qcoap-glib/qcoap-glib.h>

static void
test_codes (void)
{
  g_autofree char *content = qcoap_code_to_string (69);
  g_autofree char *not_found = qcoap_code_to_string (132);
  guint8 code = 0;

  g_assert_cmpstr (content, ==, "2.05");
  g_assert_cmpstr (not_found, ==, "4.04");
  g_assert_cmpstr (qcoap_code_get_description (69), ==, "Content");
  g_assert_cmpstr (qcoap_code_get_description (QCOAP_CODE (5, 0)), ==, "Internal Server Error");
  g_assert_null (qcoap_code_get_description (QCOAP_CODE (2, 30)));

  g_assert_true (qcoap_code_parse ("put", &code));
  g_assert_cmpuint (code, ==, QCOAP_METHOD_PUT);
  g_assert_true (qcoap_code_parse ("4.04", &code));
  g_assert_cmpuint (code, ==, 132);
  g_assert_true (qcoap_code_parse ("65", &code));
  g_assert_cmpuint (code, ==, 65);
  g_assert_false (qcoap_code_parse ("4.4", &code));
  g_assert_false (qcoap_code_parse ("8.00", &code));
  g_assert_false (qcoap_code_parse ("256", &code));
  g_assert_false (qcoap_code_parse ("fetch", &code));
}

static void
test_message_types (void)
{
  QcoapMessageType type = QCOAP_MESSAGE_CON;

  g_assert_cmpstr (qcoap_message_type_to_string (QCOAP_MESSAGE_RST), ==, "RST");
  g_assert_null (qcoap_message_type_to_string (4));
  g_assert_true (qcoap_message_type_parse ("non", &type));
  g_assert_cmpint (type, ==, QCOAP_MESSAGE_NON);
  g_assert_true (qcoap_message_type_parse ("2", &type));
  g_assert_cmpint (type, ==, QCOAP_MESSAGE_ACK);
  g_assert_false (qcoap_message_type_parse ("4", &type));
}

/* The IANA content types, as the registry names them. */
static void
test_content_formats (void)
{
  static const struct
  {
    const char *name;
    guint number;
  } formats[] = {
    { "text/plain; charset=utf-8", 0 },
    { "application/link-format", 40 },
    { "application/xml", 41 },
    { "application/octet-stream", 42 },
    { "application/exi", 47 },
    { "application/json", 50 },
    { "application/json-patch+json", 51 },
    { "application/merge-patch+json", 52 },
    { "application/cbor", 60 },
    { "application/cwt", 61 },
    { "application/senml+json", 110 },
    { "application/sensml+json", 111 },
    { "application/senml+cbor", 112 },
    { "application/sensml+cbor", 113 },
    { "application/senml-exi", 114 },
    { "application/sensml-exi", 115 },
    { "application/coap-group+json", 256 },
    { "application/senml+xml", 310 },
    { "application/sensml+xml", 311 },
    { "application/vnd.oma.lwm2m+tlv", 11542 },
    { "application/vnd.oma.lwm2m+json", 11543 },
    { "application/vnd.oma.lwm2m+cbor", 11544 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_assert_cmpint (qcoap_content_format_parse (formats[i].name), ==, formats[i].number);
      g_assert_cmpstr (qcoap_content_format_get_name (formats[i].number), ==, formats[i].name);
    }
  g_assert_cmpint (qcoap_content_format_parse ("text/plain"), ==, 0);
  g_assert_cmpint (qcoap_content_format_parse ("JSON"), ==, 50);
  g_assert_cmpint (qcoap_content_format_parse ("SenML"), ==, 110);
  g_assert_cmpint (qcoap_content_format_parse ("65000"), ==, 65000);
  g_assert_cmpint (qcoap_content_format_parse ("image/png"), ==, -1);
  g_assert_null (qcoap_content_format_get_name (65000));
}

/* The options a server sends back, and No-Response, are named and typed. */
static void
test_option_names (void)
{
  static const struct
  {
    const char *name;
    guint16 number;
  } named[] = {
    { "Observe", 6 }, { "Block2", 23 }, { "Block1", 27 }, { "Size2", 28 }, { "No-Response", 258 },
  };
  g_autoptr (GError) error = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (named); i++)
    {
      g_autoptr (GVariant) option = NULL;
      g_autoptr (GVariant) value = NULL;

      g_assert_cmpstr (qcoap_option_get_name (named[i].number), ==, named[i].name);
      g_assert_cmpint (qcoap_option_parse_number (named[i].name), ==, named[i].number);
      option = g_variant_ref_sink (qcoap_option_new_from_string (named[i].number, "26", &error));
      g_assert_no_error (error);
      g_variant_get (option, "(qv)", NULL, &value);
      g_assert_cmpstr (g_variant_get_type_string (value), ==, "u");
    }
}

/* Every line of the registry file is what the library knows: the file is
 * the one source of the C table. */
static void
test_registry_file (void)
{
  const char *path = g_getenv ("QCOAP_REGISTRY");
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GError) error = NULL;
  guint checked = 0;

  g_assert_nonnull (path);
  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);
  for (char **line = lines; *line; line++)
    {
      g_auto (GStrv) fields = g_strsplit (*line, "|", -1);
      guint8 code;

      if (**line == '#' || g_strv_length (fields) < 3)
        continue;
      for (char **f = fields; *f; f++)
        g_strstrip (*f);
      if (g_str_equal (fields[0], "code"))
        {
          g_assert_true (qcoap_code_parse (fields[1], &code));
          g_assert_cmpstr (qcoap_code_get_description (code), ==, fields[2]);
        }
      else if (g_str_equal (fields[0], "option"))
        g_assert_cmpstr (qcoap_option_get_name (atoi (fields[1])), ==, fields[2]);
      else
        g_assert_cmpstr (qcoap_content_format_get_name (atoi (fields[1])), ==, fields[2]);
      checked++;
    }
  g_assert_cmpuint (checked, >, 90);
}

static void
assert_option (GVariant *option, guint16 number, const char *value_text)
{
  g_autoptr (GVariant) value = NULL;
  g_autofree char *text = NULL;
  guint16 option_number;

  g_assert_nonnull (option);
  g_variant_ref_sink (option);
  g_assert_cmpstr (g_variant_get_type_string (option), ==, "(qv)");
  g_variant_get (option, "(qv)", &option_number, &value);
  g_assert_cmpuint (option_number, ==, number);
  text = g_variant_print (value, TRUE);
  g_assert_cmpstr (text, ==, value_text);
  g_variant_unref (option);
}

static void
test_options_from_text (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_cmpstr (qcoap_option_get_name (11), ==, "Uri-Path");
  g_assert_cmpint (qcoap_option_parse_number ("content-format"), ==, 12);
  g_assert_cmpint (qcoap_option_parse_number ("2048"), ==, 2048);
  g_assert_cmpint (qcoap_option_parse_number ("Uri-Nothing"), ==, -1);

  assert_option (qcoap_option_new_from_string (11, "sensors", &error), 11, "'sensors'");
  assert_option (qcoap_option_new_from_string (14, "60", &error), 14, "uint32 60");
  assert_option (qcoap_option_new_from_string (12, "application/cbor", &error), 12, "uint32 60");
  assert_option (qcoap_option_new_from_string (17, "42", &error), 17, "uint32 42");
  assert_option (qcoap_option_new_from_string (4, "0x0aFF", &error), 4, "[byte 0x0a, 0xff]");
  assert_option (qcoap_option_new_from_string (4, "tag", &error), 4, "[byte 0x74, 0x61, 0x67]");
  assert_option (qcoap_option_new_from_string (5, "", &error), 5, "@ay []");
  assert_option (qcoap_option_new_from_string (2048, "x", &error), 2048, "[byte 0x78]");
  g_assert_no_error (error);

  g_assert_null (qcoap_option_new_from_string (14, "soon", &error));
  g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (qcoap_option_new_from_string (12, "image/png", &error));
  g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (qcoap_option_new_from_string (5, "x", &error));
  g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
}

static void
assert_value_text (guint16 number, GVariant *value, const char *expected)
{
  g_autoptr (GVariant) owned = g_variant_ref_sink (value);
  g_autofree char *text = qcoap_option_value_to_string (number, owned);

  g_assert_cmpstr (text, ==, expected);
}

static void
test_option_values_to_text (void)
{
  static const guint8 etag[] = { 0x00, 0xab };

  assert_value_text (12, g_variant_new_uint32 (50), "application/json");
  assert_value_text (12, g_variant_new_uint32 (11542), "application/vnd.oma.lwm2m+tlv");
  assert_value_text (12, g_variant_new_uint32 (65000), "65000");
  assert_value_text (14, g_variant_new_uint32 (0), "0");
  assert_value_text (8, g_variant_new_string ("new"), "new");
  assert_value_text (4, g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, etag, 2, 1), "0x00ab");
}

static void
test_response (void)
{
  static const guint8 data[] = { 'h', 0, 'i' };
  g_autoptr (GBytes) payload = g_bytes_new_static (data, sizeof data);
  g_autoptr (GVariantBuilder) options = g_variant_builder_new (G_VARIANT_TYPE ("a(qv)"));
  g_autoptr (QcoapResponse) response = NULL;
  g_autoptr (GVariant) max_age = NULL;

  g_variant_builder_add_value (options, qcoap_option_new_uint (12, 42));
  g_variant_builder_add_value (options, qcoap_option_new_uint (14, 30));
  response = qcoap_response_new (69, g_variant_builder_end (options), payload);

  g_assert_cmpuint (qcoap_response_get_code (response), ==, 69);
  g_assert_true (qcoap_response_is_success (response));
  g_assert_cmpint (qcoap_response_get_content_format (response), ==, 42);
  max_age = qcoap_response_lookup_option (response, 14);
  g_assert_cmpuint (g_variant_get_uint32 (max_age), ==, 30);
  g_assert_null (qcoap_response_lookup_option (response, 4));
  g_assert_true (g_bytes_equal (qcoap_response_get_payload (response), payload));
  g_assert_cmpuint (g_bytes_get_size (qcoap_response_get_token (response)), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/qcoap-glib/codes", test_codes);
  g_test_add_func ("/qcoap-glib/message-types", test_message_types);
  g_test_add_func ("/qcoap-glib/content-formats", test_content_formats);
  g_test_add_func ("/qcoap-glib/option-names", test_option_names);
  g_test_add_func ("/qcoap-glib/registry-file", test_registry_file);
  g_test_add_func ("/qcoap-glib/options-from-text", test_options_from_text);
  g_test_add_func ("/qcoap-glib/option-values-to-text", test_option_values_to_text);
  g_test_add_func ("/qcoap-glib/response", test_response);
  return g_test_run ();
}
