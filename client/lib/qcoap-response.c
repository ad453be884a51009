/* SPDX-License-Identifier: MIT */
/* qcoap-response.c — see qcoap-response.h. */
#include <qcoap-glib/qcoap-glib.h>

struct _QcoapResponse
{
  guint8 code;
  guint16 message_id;
  GBytes *token;
  GVariant *options;
  GBytes *payload;
};

G_DEFINE_BOXED_TYPE (QcoapResponse, qcoap_response, qcoap_response_ref, qcoap_response_unref)

QcoapResponse *
qcoap_response_new_received (guint16 message_id, guint8 code, GBytes *token, GVariant *options,
                             GBytes *payload)
{
  QcoapResponse *response;

  g_return_val_if_fail (options == NULL || g_variant_is_of_type (options, G_VARIANT_TYPE ("a(qv)")),
                        NULL);

  response = g_atomic_rc_box_new0 (QcoapResponse);
  response->code = code;
  response->message_id = message_id;
  response->token = token ? g_bytes_ref (token) : g_bytes_new (NULL, 0);
  response->options
      = options ? g_variant_ref_sink (options)
                : g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE ("(qv)"), NULL, 0));
  response->payload = payload ? g_bytes_ref (payload) : g_bytes_new (NULL, 0);
  return response;
}

QcoapResponse *
qcoap_response_new (guint8 code, GVariant *options, GBytes *payload)
{
  return qcoap_response_new_received (0, code, NULL, options, payload);
}

QcoapResponse *
qcoap_response_ref (QcoapResponse *response)
{
  g_return_val_if_fail (response != NULL, NULL);

  return g_atomic_rc_box_acquire (response);
}

static void
response_clear (QcoapResponse *response)
{
  g_bytes_unref (response->token);
  g_variant_unref (response->options);
  g_bytes_unref (response->payload);
}

void
qcoap_response_unref (QcoapResponse *response)
{
  g_return_if_fail (response != NULL);

  g_atomic_rc_box_release_full (response, (GDestroyNotify)response_clear);
}

guint8
qcoap_response_get_code (QcoapResponse *response)
{
  g_return_val_if_fail (response != NULL, 0);

  return response->code;
}

gboolean
qcoap_response_is_success (QcoapResponse *response)
{
  g_return_val_if_fail (response != NULL, FALSE);

  return QCOAP_CODE_CLASS (response->code) == 2;
}

guint16
qcoap_response_get_message_id (QcoapResponse *response)
{
  g_return_val_if_fail (response != NULL, 0);

  return response->message_id;
}

GBytes *
qcoap_response_get_token (QcoapResponse *response)
{
  g_return_val_if_fail (response != NULL, NULL);

  return response->token;
}

GVariant *
qcoap_response_get_options (QcoapResponse *response)
{
  g_return_val_if_fail (response != NULL, NULL);

  return response->options;
}

GVariant *
qcoap_response_lookup_option (QcoapResponse *response, guint16 number)
{
  GVariantIter iter;
  guint16 option_number;
  GVariant *value;

  g_return_val_if_fail (response != NULL, NULL);

  g_variant_iter_init (&iter, response->options);
  while (g_variant_iter_next (&iter, "(qv)", &option_number, &value))
    {
      if (option_number == number)
        return value;
      g_variant_unref (value);
    }
  return NULL;
}

/* The decimal number in @value's bytes, or -1. A daemon that does not know
 * an integer option passes the modem's text of it on as bytes ("14" for a
 * Block2 of 14), since the modem prints every integer option in decimal. */
static gint64
decimal_in_bytes (GVariant *value)
{
  gsize length;
  const char *data = g_variant_get_fixed_array (value, &length, 1);
  g_autofree char *text = NULL;
  guint64 number;

  if (length == 0 || length > 10)
    return -1;
  text = g_strndup (data, length);
  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT32, &number, NULL))
    return -1;
  return number;
}

/* The value of uint option @number, or -1 when it is absent or no number. */
static gint64
lookup_uint (QcoapResponse *response, guint16 number)
{
  g_autoptr (GVariant) value = qcoap_response_lookup_option (response, number);

  if (value == NULL)
    return -1;
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    return g_variant_get_uint32 (value);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_BYTESTRING))
    return decimal_in_bytes (value);
  return -1;
}

gint
qcoap_response_get_content_format (QcoapResponse *response)
{
  g_return_val_if_fail (response != NULL, -1);

  return lookup_uint (response, QCOAP_OPTION_CONTENT_FORMAT);
}

/* Block2's value is NUM << 4 | M << 3 | SZX (RFC 7959 2.2); M says that
 * more blocks follow. */
#define BLOCK_MORE_FLAG 0x08

gboolean
qcoap_response_is_truncated (QcoapResponse *response, guint *out_total_size)
{
  gint64 block2, size2;

  g_return_val_if_fail (response != NULL, FALSE);

  block2 = lookup_uint (response, QCOAP_OPTION_BLOCK2);
  if (block2 < 0 || !(block2 & BLOCK_MORE_FLAG))
    return FALSE;
  size2 = lookup_uint (response, QCOAP_OPTION_SIZE2);
  if (out_total_size)
    *out_total_size = size2 < 0 ? 0 : size2;
  return TRUE;
}

GBytes *
qcoap_response_get_payload (QcoapResponse *response)
{
  g_return_val_if_fail (response != NULL, NULL);

  return response->payload;
}
