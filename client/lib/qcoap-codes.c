/* qcoap-codes.c — see qcoap-codes.h. */
#include <string.h>

#include <qcoap-glib/qcoap-glib.h>

typedef enum
{
  FORMAT_EMPTY,
  FORMAT_OPAQUE,
  FORMAT_UINT,
  FORMAT_STRING,
} OptionFormat;

typedef struct
{
  guint16 number;
  const char *name;
  OptionFormat format;
} OptionInfo;

/* The options of RFC 7252 (and Observe, Block1/2 and Size2, which a server
 * may send back). */
static const OptionInfo options[] = {
  { 1, "If-Match", FORMAT_OPAQUE },
  { 3, "Uri-Host", FORMAT_STRING },
  { 4, "ETag", FORMAT_OPAQUE },
  { 5, "If-None-Match", FORMAT_EMPTY },
  { 6, "Observe", FORMAT_UINT },
  { 7, "Uri-Port", FORMAT_UINT },
  { 8, "Location-Path", FORMAT_STRING },
  { 11, "Uri-Path", FORMAT_STRING },
  { 12, "Content-Format", FORMAT_UINT },
  { 14, "Max-Age", FORMAT_UINT },
  { 15, "Uri-Query", FORMAT_STRING },
  { 17, "Accept", FORMAT_UINT },
  { 20, "Location-Query", FORMAT_STRING },
  { 23, "Block2", FORMAT_UINT },
  { 27, "Block1", FORMAT_UINT },
  { 28, "Size2", FORMAT_UINT },
  { 35, "Proxy-Uri", FORMAT_STRING },
  { 39, "Proxy-Scheme", FORMAT_STRING },
  { 60, "Size1", FORMAT_UINT },
};

typedef struct
{
  guint16 number;
  const char *media_type;
  const char *short_name;
} ContentFormat;

static const ContentFormat content_formats[] = {
  { 0, "text/plain", "text" },        { 40, "application/link-format", "link" },
  { 41, "application/xml", "xml" },   { 42, "application/octet-stream", "octets" },
  { 47, "application/exi", "exi" },   { 50, "application/json", "json" },
  { 60, "application/cbor", "cbor" },
};

typedef struct
{
  guint8 code;
  const char *description;
} CodeName;

static const CodeName code_names[] = {
  { QCOAP_CODE (0, 0), "Empty" },
  { QCOAP_CODE (0, 1), "GET" },
  { QCOAP_CODE (0, 2), "POST" },
  { QCOAP_CODE (0, 3), "PUT" },
  { QCOAP_CODE (0, 4), "DELETE" },
  { QCOAP_CODE (2, 1), "Created" },
  { QCOAP_CODE (2, 2), "Deleted" },
  { QCOAP_CODE (2, 3), "Valid" },
  { QCOAP_CODE (2, 4), "Changed" },
  { QCOAP_CODE (2, 5), "Content" },
  { QCOAP_CODE (2, 31), "Continue" },
  { QCOAP_CODE (4, 0), "Bad Request" },
  { QCOAP_CODE (4, 1), "Unauthorized" },
  { QCOAP_CODE (4, 2), "Bad Option" },
  { QCOAP_CODE (4, 3), "Forbidden" },
  { QCOAP_CODE (4, 4), "Not Found" },
  { QCOAP_CODE (4, 5), "Method Not Allowed" },
  { QCOAP_CODE (4, 6), "Not Acceptable" },
  { QCOAP_CODE (4, 8), "Request Entity Incomplete" },
  { QCOAP_CODE (4, 12), "Precondition Failed" },
  { QCOAP_CODE (4, 13), "Request Entity Too Large" },
  { QCOAP_CODE (4, 15), "Unsupported Content-Format" },
  { QCOAP_CODE (5, 0), "Internal Server Error" },
  { QCOAP_CODE (5, 1), "Not Implemented" },
  { QCOAP_CODE (5, 2), "Bad Gateway" },
  { QCOAP_CODE (5, 3), "Service Unavailable" },
  { QCOAP_CODE (5, 4), "Gateway Timeout" },
  { QCOAP_CODE (5, 5), "Proxying Not Supported" },
};

static const char *const message_types[] = { "CON", "NON", "ACK", "RST" };

/* ---- codes ---- */

char *
qcoap_code_to_string (guint8 code)
{
  return g_strdup_printf ("%u.%02u", QCOAP_CODE_CLASS (code), QCOAP_CODE_DETAIL (code));
}

const char *
qcoap_code_get_description (guint8 code)
{
  for (gsize i = 0; i < G_N_ELEMENTS (code_names); i++)
    if (code_names[i].code == code)
      return code_names[i].description;
  return NULL;
}

/* A whole decimal number in [0, @max], nothing else. */
static gboolean
parse_decimal (const char *text, guint64 max, guint64 *out_value)
{
  return g_ascii_string_to_unsigned (text, 10, 0, max, out_value, NULL);
}

gboolean
qcoap_code_parse (const char *text, guint8 *out_code)
{
  const char *dot;
  guint64 value;

  g_return_val_if_fail (text != NULL, FALSE);

  for (guint method = QCOAP_METHOD_GET; method <= QCOAP_METHOD_DELETE; method++)
    if (g_ascii_strcasecmp (text, qcoap_code_get_description (method)) == 0)
      {
        *out_code = method;
        return TRUE;
      }

  dot = strchr (text, '.');
  if (dot != NULL)
    {
      g_autofree char *klass_text = g_strndup (text, dot - text);
      guint64 klass, detail;

      /* "2.05": the detail is always written with two digits. */
      if (strlen (dot + 1) != 2 || !parse_decimal (klass_text, 7, &klass)
          || !parse_decimal (dot + 1, 31, &detail))
        return FALSE;
      *out_code = QCOAP_CODE (klass, detail);
      return TRUE;
    }

  if (!parse_decimal (text, 255, &value))
    return FALSE;
  *out_code = value;
  return TRUE;
}

/* ---- message types ---- */

const char *
qcoap_message_type_to_string (guint type)
{
  return type < G_N_ELEMENTS (message_types) ? message_types[type] : NULL;
}

gboolean
qcoap_message_type_parse (const char *text, QcoapMessageType *out_type)
{
  guint64 value;

  g_return_val_if_fail (text != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (message_types); i++)
    if (g_ascii_strcasecmp (text, message_types[i]) == 0)
      {
        *out_type = i;
        return TRUE;
      }
  if (!parse_decimal (text, G_N_ELEMENTS (message_types) - 1, &value))
    return FALSE;
  *out_type = value;
  return TRUE;
}

/* ---- options ---- */

static const OptionInfo *
option_info_lookup (guint number)
{
  for (gsize i = 0; i < G_N_ELEMENTS (options); i++)
    if (options[i].number == number)
      return &options[i];
  return NULL;
}

const char *
qcoap_option_get_name (guint number)
{
  const OptionInfo *info = option_info_lookup (number);

  return info ? info->name : NULL;
}

gint
qcoap_option_parse_number (const char *text)
{
  guint64 value;

  g_return_val_if_fail (text != NULL, -1);

  for (gsize i = 0; i < G_N_ELEMENTS (options); i++)
    if (g_ascii_strcasecmp (text, options[i].name) == 0)
      return options[i].number;
  if (!parse_decimal (text, G_MAXUINT16, &value))
    return -1;
  return value;
}

GVariant *
qcoap_option_new_uint (guint16 number, guint32 value)
{
  return g_variant_new ("(qv)", number, g_variant_new_uint32 (value));
}

GVariant *
qcoap_option_new_string (guint16 number, const char *value)
{
  g_return_val_if_fail (value != NULL, NULL);

  return g_variant_new ("(qv)", number, g_variant_new_string (value));
}

GVariant *
qcoap_option_new_opaque (guint16 number, const guint8 *data, gsize length)
{
  GVariant *bytes = g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, length, 1);

  return g_variant_new ("(qv)", number, bytes);
}

/* "0x0a0B" → bytes; NULL unless the text is "0x" and pairs of hex digits. */
static GByteArray *
parse_hex (const char *text)
{
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  gsize length;

  if (!g_str_has_prefix (text, "0x") && !g_str_has_prefix (text, "0X"))
    return NULL;
  text += 2;
  length = strlen (text);
  if (length % 2 != 0)
    return NULL;
  for (gsize i = 0; i < length; i += 2)
    {
      int high = g_ascii_xdigit_value (text[i]);
      int low = g_ascii_xdigit_value (text[i + 1]);
      guint8 byte;

      if (high < 0 || low < 0)
        return NULL;
      byte = (high << 4) | low;
      g_byte_array_append (bytes, &byte, 1);
    }
  return g_steal_pointer (&bytes);
}

static GVariant *
uint_option_from_string (guint16 number, const char *text, GError **error)
{
  guint64 value;

  if (number == 12 || number == 17)
    {
      gint format = qcoap_content_format_parse (text);

      if (format < 0)
        {
          g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                       "“%s” is neither a content format nor a number from 0 to 65535", text);
          return NULL;
        }
      return qcoap_option_new_uint (number, format);
    }
  if (!parse_decimal (text, G_MAXUINT32, &value))
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                   "option %u (%s) takes a number, not “%s”", number,
                   qcoap_option_get_name (number), text);
      return NULL;
    }
  return qcoap_option_new_uint (number, value);
}

static GVariant *
opaque_option_from_string (guint16 number, const char *text)
{
  g_autoptr (GByteArray) bytes = parse_hex (text);

  if (bytes != NULL)
    return qcoap_option_new_opaque (number, bytes->data, bytes->len);
  return qcoap_option_new_opaque (number, (const guint8 *)text, strlen (text));
}

GVariant *
qcoap_option_new_from_string (guint16 number, const char *text, GError **error)
{
  const OptionInfo *info = option_info_lookup (number);

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (info == NULL)
    return opaque_option_from_string (number, text);
  switch (info->format)
    {
      case FORMAT_EMPTY:
        if (*text != '\0')
          {
            g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                         "option %u (%s) takes no value", number, info->name);
            return NULL;
          }
        return qcoap_option_new_opaque (number, NULL, 0);
      case FORMAT_OPAQUE:
        return opaque_option_from_string (number, text);
      case FORMAT_UINT:
        return uint_option_from_string (number, text, error);
      case FORMAT_STRING:
      default:
        if (!g_utf8_validate (text, -1, NULL))
          {
            g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                         "option %u (%s) takes UTF-8 text", number, info->name);
            return NULL;
          }
        return qcoap_option_new_string (number, text);
    }
}

static char *
bytes_to_hex (const guint8 *data, gsize length)
{
  GString *text = g_string_new ("0x");

  for (gsize i = 0; i < length; i++)
    g_string_append_printf (text, "%02x", data[i]);
  return g_string_free (text, FALSE);
}

char *
qcoap_option_value_to_string (guint16 number, GVariant *value)
{
  g_return_val_if_fail (value != NULL, NULL);

  if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    {
      guint32 uint_value = g_variant_get_uint32 (value);
      const char *name = NULL;

      if (number == 12 || number == 17)
        name = qcoap_content_format_get_name (uint_value);
      return name ? g_strdup (name) : g_strdup_printf ("%u", uint_value);
    }
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    return g_variant_dup_string (value, NULL);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_BYTESTRING))
    {
      gsize length;
      const guint8 *data = g_variant_get_fixed_array (value, &length, 1);

      return bytes_to_hex (data, length);
    }
  return g_variant_print (value, FALSE);
}

/* ---- content formats ---- */

const char *
qcoap_content_format_get_name (guint number)
{
  for (gsize i = 0; i < G_N_ELEMENTS (content_formats); i++)
    if (content_formats[i].number == number)
      return content_formats[i].media_type;
  return NULL;
}

gint
qcoap_content_format_parse (const char *text)
{
  guint64 value;

  g_return_val_if_fail (text != NULL, -1);

  for (gsize i = 0; i < G_N_ELEMENTS (content_formats); i++)
    if (g_ascii_strcasecmp (text, content_formats[i].media_type) == 0
        || g_ascii_strcasecmp (text, content_formats[i].short_name) == 0)
      return content_formats[i].number;
  if (!parse_decimal (text, G_MAXUINT16, &value))
    return -1;
  return value;
}
