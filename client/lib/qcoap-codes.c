/* SPDX-License-Identifier: MIT */
/* qcoap-codes.c — see qcoap-codes.h. */
#include <string.h>

#include <qcoap-glib/qcoap-glib.h>

/* The names come from the registry that the daemon and the Python module
 * share (introspection/coap-registry.txt). */
#include "qcoap-registry.h"

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
  return qcoap_registry_code_name (code);
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

const char *
qcoap_option_get_name (guint number)
{
  const QcoapRegistryOption *info = qcoap_registry_option (number);

  return info ? info->name : NULL;
}

gint
qcoap_option_parse_number (const char *text)
{
  const QcoapRegistryOption *info;
  guint64 value;

  g_return_val_if_fail (text != NULL, -1);

  info = qcoap_registry_option_by_name (text);
  if (info != NULL)
    return info->number;
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

  if (number == QCOAP_OPTION_CONTENT_FORMAT || number == QCOAP_OPTION_ACCEPT)
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
  const QcoapRegistryOption *info = qcoap_registry_option (number);

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (info == NULL)
    return opaque_option_from_string (number, text);
  switch (info->value)
    {
      case QCOAP_REGISTRY_VALUE_EMPTY:
        if (*text != '\0')
          {
            g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                         "option %u (%s) takes no value", number, info->name);
            return NULL;
          }
        return qcoap_option_new_opaque (number, NULL, 0);
      case QCOAP_REGISTRY_VALUE_OPAQUE:
        return opaque_option_from_string (number, text);
      case QCOAP_REGISTRY_VALUE_UINT:
        return uint_option_from_string (number, text, error);
      case QCOAP_REGISTRY_VALUE_STRING:
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

      if (number == QCOAP_OPTION_CONTENT_FORMAT || number == QCOAP_OPTION_ACCEPT)
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
  const QcoapRegistryContentFormat *format = qcoap_registry_content_format (number);

  return format ? format->content_type : NULL;
}

gint
qcoap_content_format_parse (const char *text)
{
  const QcoapRegistryContentFormat *format;
  guint64 value;

  g_return_val_if_fail (text != NULL, -1);

  format = qcoap_registry_content_format_by_name (text);
  if (format != NULL)
    return format->number;
  if (!parse_decimal (text, G_MAXUINT16, &value))
    return -1;
  return value;
}
