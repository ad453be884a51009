/* SPDX-License-Identifier: MIT */
/* qcoapctl-output.c — codes, options and payloads as qcoapctl prints them,
 * for people and as JSON. */
#include "qcoapctl.h"

#include <stdio.h>

#include <string.h>

char *
format_code (guint8 code)
{
  g_autofree char *number = qcoap_code_to_string (code);
  const char *description = qcoap_code_get_description (code);

  if (description == NULL)
    return g_steal_pointer (&number);
  return g_strdup_printf ("%s %s", number, description);
}

char *
format_option (guint16 number, GVariant *value)
{
  g_autofree char *text = qcoap_option_value_to_string (number, value);
  const char *name = qcoap_option_get_name (number);

  if (name == NULL)
    return g_strdup_printf ("Option %u: %s", number, text);
  return g_strdup_printf ("%s: %s", name, text);
}

/* Text a terminal shows as it is: UTF-8 without control characters other
 * than tab and line breaks. */
static gboolean
is_printable (const char *data, gsize length)
{
  const char *end = data + length;

  if (!g_utf8_validate_len (data, length, NULL))
    return FALSE;
  for (const char *p = data; p < end; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c != '\t' && c != '\n' && c != '\r' && !g_unichar_isprint (c))
        return FALSE;
    }
  return TRUE;
}

static char *
bytes_to_hex (const guint8 *data, gsize length)
{
  GString *hex = g_string_sized_new (length * 2);

  for (gsize i = 0; i < length; i++)
    g_string_append_printf (hex, "%02x", data[i]);
  return g_string_free (hex, FALSE);
}

char *
format_payload (GBytes *payload)
{
  gsize length;
  const char *data = g_bytes_get_data (payload, &length);
  g_autofree char *hex = NULL;

  if (length == 0)
    return g_strdup ("(no payload)");
  if (is_printable (data, length))
    {
      GString *text = g_string_new ("'");

      /* One line per event: line breaks are shown, not made. */
      for (gsize i = 0; i < length; i++)
        {
          if (data[i] == '\n')
            g_string_append (text, "\\n");
          else if (data[i] == '\r')
            g_string_append (text, "\\r");
          else
            g_string_append_c (text, data[i]);
        }
      g_string_append_c (text, '\'');
      return g_string_free (text, FALSE);
    }
  hex = bytes_to_hex ((const guint8 *)data, length);
  return g_strdup_printf ("%" G_GSIZE_FORMAT " bytes: %s", length, hex);
}

char *
format_token (GBytes *token)
{
  gsize length;
  const guint8 *data = g_bytes_get_data (token, &length);

  return length ? bytes_to_hex (data, length) : g_strdup ("-");
}

/* ---- JSON ---- */

void
json_append_string (GString *json, const char *text, gssize length)
{
  const char *end = text + (length < 0 ? strlen (text) : (gsize)length);

  g_string_append_c (json, '"');
  for (const char *p = text; p < end; p++)
    {
      guchar c = *p;

      switch (c)
        {
          case '"':
            g_string_append (json, "\\\"");
            break;
          case '\\':
            g_string_append (json, "\\\\");
            break;
          case '\n':
            g_string_append (json, "\\n");
            break;
          case '\r':
            g_string_append (json, "\\r");
            break;
          case '\t':
            g_string_append (json, "\\t");
            break;
          default:
            if (c < 0x20)
              g_string_append_printf (json, "\\u%04x", c);
            else
              g_string_append_c (json, c);
        }
    }
  g_string_append_c (json, '"');
}

static void
json_append_option_value (GString *json, GVariant *value)
{
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    g_string_append_printf (json, "%u", g_variant_get_uint32 (value));
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    json_append_string (json, g_variant_get_string (value, NULL), -1);
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_BYTESTRING))
    {
      gsize length;
      const guint8 *data = g_variant_get_fixed_array (value, &length, 1);
      g_autofree char *hex = bytes_to_hex (data, length);

      json_append_string (json, hex, -1);
    }
  else
    g_string_append (json, "null");
}

void
json_append_options (GString *json, GVariant *options)
{
  GVariantIter iter;
  guint16 number;
  GVariant *value;
  gboolean first = TRUE;

  g_string_append_c (json, '[');
  g_variant_iter_init (&iter, options);
  while (g_variant_iter_next (&iter, "(qv)", &number, &value))
    {
      g_autofree char *text = qcoap_option_value_to_string (number, value);
      const char *name = qcoap_option_get_name (number);

      g_string_append_printf (json, "%s{\"number\":%u,\"name\":", first ? "" : ",", number);
      if (name)
        json_append_string (json, name, -1);
      else
        g_string_append (json, "null");
      g_string_append (json, ",\"value\":");
      json_append_option_value (json, value);
      g_string_append (json, ",\"text\":");
      json_append_string (json, text, -1);
      g_string_append_c (json, '}');
      g_variant_unref (value);
      first = FALSE;
    }
  g_string_append_c (json, ']');
}

/* "payload" (text, only when it is UTF-8) and "payload_base64" (always). */
void
json_append_payload_members (GString *json, GBytes *payload)
{
  gsize length;
  const char *data = g_bytes_get_data (payload, &length);
  g_autofree char *base64 = g_base64_encode ((const guchar *)data, length);

  if (g_utf8_validate_len (data, length, NULL))
    {
      g_string_append (json, "\"payload\":");
      json_append_string (json, data, length);
      g_string_append_c (json, ',');
    }
  g_string_append (json, "\"payload_base64\":");
  json_append_string (json, base64, -1);
}

void
json_append_code_members (GString *json, guint8 code)
{
  g_autofree char *number = qcoap_code_to_string (code);
  const char *description = qcoap_code_get_description (code);

  g_string_append (json, "\"code\":");
  json_append_string (json, number, -1);
  g_string_append_printf (json, ",\"code_number\":%u,\"description\":", code);
  if (description)
    json_append_string (json, description, -1);
  else
    g_string_append (json, "null");
}

/* "truncated" (the first block of a larger body), with the whole body's
 * size as "size2" when the server gave it. */
static void
json_append_truncated (GString *json, QcoapResponse *response)
{
  guint total = 0;
  gboolean truncated = qcoap_response_is_truncated (response, &total);

  g_string_append_printf (json, ",\"truncated\":%s", truncated ? "true" : "false");
  if (truncated && total > 0)
    g_string_append_printf (json, ",\"size2\":%u", total);
}

/* A message that came as a Received signal (the raw path, -T) has its
 * message ID and token; a Request's response has neither. */
static void
json_append_token (GString *json, QcoapResponse *response)
{
  GBytes *token = qcoap_response_get_token (response);
  g_autofree char *hex = NULL;

  if (g_bytes_get_size (token) == 0)
    return;
  hex = format_token (token);
  g_string_append_printf (json, ",\"message_id\":%u,\"token\":\"%s\"",
                          qcoap_response_get_message_id (response), hex);
}

char *
json_response (QcoapResponse *response)
{
  GString *json = g_string_new ("{");

  json_append_code_members (json, qcoap_response_get_code (response));
  g_string_append (json, ",\"options\":");
  json_append_options (json, qcoap_response_get_options (response));
  g_string_append_c (json, ',');
  json_append_payload_members (json, qcoap_response_get_payload (response));
  json_append_truncated (json, response);
  json_append_token (json, response);
  g_string_append_c (json, '}');
  return g_string_free (json, FALSE);
}

/* ---- monitor lines ---- */

void
qcoapctl_emit_event (Qcoapctl *ctl, GString *line)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();

  if (ctl->json && line->str[0] == '{')
    {
      g_autofree char *stamp = g_date_time_format_iso8601 (now);
      g_autofree char *member
          = g_strdup_printf ("\"time\":\"%s\"%s", stamp, line->len > 2 ? "," : "");

      g_string_insert (line, 1, member);
    }
  else if (!ctl->json)
    {
      g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S");
      g_autofree char *prefix
          = g_strdup_printf ("%s.%03d ", stamp, g_date_time_get_microsecond (now) / 1000);

      g_string_prepend (line, prefix);
    }
  g_print ("%s\n", line->str);
  fflush (stdout);
  g_string_free (line, TRUE);
}
