/* sim-coap-format.c — see sim-coap-format.h. */
#include "sim-coap-format.h"

static const SimOptionInfo options[] = {
  { 1, SIM_OPTION_OPAQUE, 0, 8, TRUE },     /* If-Match */
  { 3, SIM_OPTION_STRING, 1, 255, TRUE },   /* Uri-Host */
  { 4, SIM_OPTION_OPAQUE, 1, 8, TRUE },     /* ETag */
  { 5, SIM_OPTION_EMPTY, 0, 0, TRUE },      /* If-None-Match */
  { 6, SIM_OPTION_UINT, 0, 3, FALSE },      /* Observe */
  { 7, SIM_OPTION_UINT, 0, 2, TRUE },       /* Uri-Port */
  { 8, SIM_OPTION_STRING, 0, 255, TRUE },   /* Location-Path */
  { 11, SIM_OPTION_STRING, 0, 255, TRUE },  /* Uri-Path */
  { 12, SIM_OPTION_UINT, 0, 2, TRUE },      /* Content-Format */
  { 14, SIM_OPTION_UINT, 0, 4, TRUE },      /* Max-Age */
  { 15, SIM_OPTION_STRING, 0, 255, TRUE },  /* Uri-Query */
  { 16, SIM_OPTION_UINT, 1, 1, FALSE },     /* Hop-Limit */
  { 17, SIM_OPTION_UINT, 0, 2, TRUE },      /* Accept */
  { 19, SIM_OPTION_UINT, 0, 3, FALSE },     /* Q-Block1 */
  { 20, SIM_OPTION_STRING, 0, 255, TRUE },  /* Location-Query */
  { 23, SIM_OPTION_UINT, 0, 3, FALSE },     /* Block2 */
  { 27, SIM_OPTION_UINT, 0, 3, FALSE },     /* Block1 */
  { 28, SIM_OPTION_UINT, 0, 4, FALSE },     /* Size2 */
  { 31, SIM_OPTION_UINT, 0, 3, FALSE },     /* Q-Block2 */
  { 35, SIM_OPTION_STRING, 1, 1034, TRUE }, /* Proxy-Uri */
  { 39, SIM_OPTION_STRING, 1, 255, TRUE },  /* Proxy-Scheme */
  { 60, SIM_OPTION_UINT, 0, 4, TRUE },      /* Size1 */
  { 258, SIM_OPTION_UINT, 0, 1, FALSE },    /* No-Response */
};

const SimOptionInfo *
sim_coap_option_info (guint number)
{
  for (guint i = 0; i < G_N_ELEMENTS (options); i++)
    if (options[i].number == number)
      return &options[i];
  return NULL;
}

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

gboolean
sim_coap_code_is_valid (guint code)
{
  static const guint8 codes[] = { 0,   1,   2,   3,   4,   65,  66,  67,  68,  69,  128, 129, 130,
                                  131, 132, 133, 134, 140, 141, 143, 160, 161, 162, 163, 164, 165 };

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    if (codes[i] == code)
      return TRUE;
  return FALSE;
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
  const SimOptionInfo *info = sim_coap_option_info (option->number);
  SimOptionFormat format = info != NULL ? info->format : SIM_OPTION_OPAQUE;

  switch (format)
    {
      case SIM_OPTION_UINT:
        g_string_append_printf (out, "%" G_GUINT64_FORMAT,
                                sim_coap_uint_decode (option->value, option->length));
        break;
      case SIM_OPTION_STRING:
        g_string_append_len (out, (const char *)option->value, option->length);
        break;
      case SIM_OPTION_EMPTY:
      case SIM_OPTION_OPAQUE:
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
