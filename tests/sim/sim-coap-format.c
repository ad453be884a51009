/* SPDX-License-Identifier: MIT */
/* sim-coap-format.c — see sim-coap-format.h. */
#include "sim-coap-format.h"

guint
sim_coap_uint_encode (guint64 value, guint8 out[8])
{
  guint length = 0;

  for (guint64 v = value; v != 0; v >>= 8)
    length++;
  for (guint i = 0; i < length; i++)
    out[i] = (guint8)(value >> (8 * (length - 1 - i)));
  return length;
}

guint64
sim_coap_uint_decode (const guint8 *data, gsize length)
{
  guint64 value = 0;

  for (gsize i = 0; i < length && i < 8; i++)
    value = value << 8 | data[i];
  return value;
}

static void
append_hex (GString *out, const guint8 *data, gsize length)
{
  for (gsize i = 0; i < length; i++)
    g_string_append_printf (out, "%02X", data[i]);
}

/* Option values as +QCOAPRECV prints them, without the quotes. Unknown
 * options are shown as opaque. Strings are printed raw, as Quectel's own
 * formatter does: a '"' or a ',' inside one is not escaped, and the host
 * splits the line by the option count and the final length. */
static void
append_option_value (GString *out, const CoapOption *option)
{
  const QcoapModemOption *info = qcoap_modem_option (option->number);
  QcoapRegistryValue format = info != NULL ? info->format : QCOAP_REGISTRY_VALUE_OPAQUE;

  switch (format)
    {
      case QCOAP_REGISTRY_VALUE_UINT:
        g_string_append_printf (out, "%" G_GUINT64_FORMAT,
                                sim_coap_uint_decode (option->value, option->length));
        break;
      case QCOAP_REGISTRY_VALUE_STRING:
        g_string_append_len (out, (const char *)option->value, option->length);
        break;
      case QCOAP_REGISTRY_VALUE_EMPTY:
      case QCOAP_REGISTRY_VALUE_OPAQUE:
      default:
        append_hex (out, option->value, option->length);
        break;
    }
}

char *
sim_coap_format_recv (guint id, const CoapPdu *pdu)
{
  GString *out = g_string_new (NULL);
  char code[5];

  g_string_append_printf (out, "+QCOAPRECV: %u,%u,%s,%u,", id, pdu->message_id,
                          coap_code_to_string (pdu->code, code), pdu->token_length);
  append_hex (out, pdu->token, pdu->token_length);
  g_string_append_printf (out, ",%u", pdu->n_options);
  for (guint i = 0; i < pdu->n_options; i++)
    {
      g_string_append_printf (out, ",%u,\"", pdu->options[i].number);
      append_option_value (out, &pdu->options[i]);
      g_string_append_c (out, '"');
    }
  g_string_append_printf (out, ",%" G_GSIZE_FORMAT, pdu->payload_length);
  return g_string_free (out, FALSE);
}

static const char *
type_name (guint type)
{
  static const char *const names[] = { "CON", "NON", "ACK", "RST" };

  return names[type & 3];
}

static const char *
code_name (guint code, char buffer[static 5])
{
  static const char *const methods[] = { "EMPTY", "GET", "POST", "PUT", "DELETE" };

  if (code < G_N_ELEMENTS (methods))
    return methods[code];
  return coap_code_to_string (code, buffer);
}

char *
sim_coap_describe (const CoapPdu *pdu)
{
  GString *out = g_string_new (NULL);
  char code[5];

  g_string_append_printf (out, "%s %s mid=%u token=", type_name (pdu->type),
                          code_name (pdu->code, code), pdu->message_id);
  append_hex (out, pdu->token, pdu->token_length);
  g_string_append (out, " [");
  for (guint i = 0; i < pdu->n_options; i++)
    {
      g_string_append_printf (out, "%s%u:\"", i > 0 ? " " : "", pdu->options[i].number);
      append_option_value (out, &pdu->options[i]);
      g_string_append_c (out, '"');
    }
  g_string_append_printf (out, "] payload=%" G_GSIZE_FORMAT, pdu->payload_length);
  return g_string_free (out, FALSE);
}
