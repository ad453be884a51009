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

gint
qcoap_response_get_content_format (QcoapResponse *response)
{
  g_autoptr (GVariant) value = qcoap_response_lookup_option (response, 12);

  if (value == NULL || !g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    return -1;
  return g_variant_get_uint32 (value);
}

GBytes *
qcoap_response_get_payload (QcoapResponse *response)
{
  g_return_val_if_fail (response != NULL, NULL);

  return response->payload;
}
