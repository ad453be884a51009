/* SPDX-License-Identifier: MIT */
/* coap-pdu.c — RFC 7252 §3 message format. */
#include "coap-pdu.h"

#include <string.h>

#define COAP_VERSION        1
#define COAP_HEADER_LEN     4
#define COAP_PAYLOAD_MARKER 0xff
/* Option delta/length nibbles 13 and 14 announce 1 or 2 extension bytes
 * holding the value minus 13 or minus 269; 15 is reserved (RFC 7252 §3.1). */
#define COAP_NIBBLE_EXT8     13
#define COAP_NIBBLE_EXT16    14
#define COAP_NIBBLE_RESERVED 15
#define COAP_EXT8_BASE       13
#define COAP_EXT16_BASE      269

GQuark
coap_pdu_error_quark (void)
{
  return g_quark_from_static_string ("coap-pdu-error-quark");
}

/* Reading side: a cursor over the datagram that never runs past its end. */
typedef struct
{
  const guint8 *data;
  gsize len;
  gsize pos;
} Reader;

static gsize
reader_left (const Reader *r)
{
  return r->len - r->pos;
}

static gboolean
malformed (GError **error, const char *why)
{
  g_set_error (error, COAP_PDU_ERROR, COAP_PDU_ERROR_MALFORMED, "Malformed CoAP message: %s", why);
  return FALSE;
}

/* Turns a delta or length nibble into its value, consuming extension bytes. */
static gboolean
read_extended (Reader *r, guint nibble, guint32 *value, GError **error)
{
  if (nibble < COAP_NIBBLE_EXT8)
    {
      *value = nibble;
      return TRUE;
    }
  if (nibble == COAP_NIBBLE_RESERVED)
    return malformed (error, "reserved option nibble 15");
  if (nibble == COAP_NIBBLE_EXT8)
    {
      if (reader_left (r) < 1)
        return malformed (error, "truncated option extension");
      *value = COAP_EXT8_BASE + r->data[r->pos];
      r->pos += 1;
      return TRUE;
    }
  if (reader_left (r) < 2)
    return malformed (error, "truncated option extension");
  *value = COAP_EXT16_BASE + ((guint32)r->data[r->pos] << 8 | r->data[r->pos + 1]);
  r->pos += 2;
  return TRUE;
}

static gboolean
read_option (Reader *r, guint16 *number, CoapPdu *pdu, GError **error)
{
  guint8 first = r->data[r->pos++];
  guint32 delta, length;

  if (!read_extended (r, first >> 4, &delta, error)
      || !read_extended (r, first & 0x0f, &length, error))
    return FALSE;
  if (*number + delta > G_MAXUINT16)
    return malformed (error, "option number out of range");
  if (length > reader_left (r))
    return malformed (error, "truncated option value");
  if (length > G_MAXUINT16)
    return malformed (error, "option value too long");
  if (pdu->n_options == COAP_PDU_MAX_OPTIONS)
    return malformed (error, "too many options");

  *number += delta;
  pdu->options[pdu->n_options++] = (CoapOption){
    .number = *number,
    .length = length,
    .value = r->data + r->pos,
  };
  r->pos += length;
  return TRUE;
}

gboolean
coap_pdu_decode (const guint8 *data, gsize len, CoapPdu *pdu, GError **error)
{
  Reader r = { data, len, COAP_HEADER_LEN };
  guint16 number = 0;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (pdu != NULL, FALSE);

  memset (pdu, 0, sizeof *pdu);
  if (len < COAP_HEADER_LEN)
    return malformed (error, "shorter than the header");
  if (data[0] >> 6 != COAP_VERSION)
    return malformed (error, "unknown version");

  pdu->type = (data[0] >> 4) & 0x03;
  pdu->token_length = data[0] & 0x0f;
  pdu->code = data[1];
  pdu->message_id = (guint16)(data[2] << 8 | data[3]);

  /* RFC 7252 §4.1: an Empty message is the 4-byte header and nothing else. */
  if (pdu->code == 0 && len > COAP_HEADER_LEN)
    return malformed (error, "empty message with content");
  if (pdu->token_length > COAP_MAX_TOKEN_LEN)
    return malformed (error, "token length above 8");
  if (reader_left (&r) < pdu->token_length)
    return malformed (error, "truncated token");
  memcpy (pdu->token, data + r.pos, pdu->token_length);
  r.pos += pdu->token_length;

  while (reader_left (&r) > 0)
    {
      if (data[r.pos] == COAP_PAYLOAD_MARKER)
        {
          r.pos++;
          if (reader_left (&r) == 0)
            return malformed (error, "payload marker without payload");
          pdu->payload = data + r.pos;
          pdu->payload_length = reader_left (&r);
          return TRUE;
        }
      if (!read_option (&r, &number, pdu, error))
        return FALSE;
    }
  return TRUE;
}

/* Writing side: a cursor that remembers when the buffer ran out. */
typedef struct
{
  guint8 *buf;
  gsize size;
  gsize pos;
  gboolean overflow;
} Writer;

static void
write_bytes (Writer *w, const guint8 *bytes, gsize n)
{
  if (w->overflow || n > w->size - w->pos)
    {
      w->overflow = TRUE;
      return;
    }
  if (n > 0)
    memcpy (w->buf + w->pos, bytes, n);
  w->pos += n;
}

static void
write_byte (Writer *w, guint8 byte)
{
  write_bytes (w, &byte, 1);
}

/* The nibble that stands for @value, and how many extension bytes follow. */
static guint
nibble_for (guint32 value)
{
  if (value < COAP_EXT8_BASE)
    return value;
  return value < COAP_EXT16_BASE ? COAP_NIBBLE_EXT8 : COAP_NIBBLE_EXT16;
}

static void
write_extension (Writer *w, guint32 value)
{
  if (nibble_for (value) == COAP_NIBBLE_EXT8)
    write_byte (w, value - COAP_EXT8_BASE);
  else if (nibble_for (value) == COAP_NIBBLE_EXT16)
    {
      write_byte (w, (value - COAP_EXT16_BASE) >> 8);
      write_byte (w, (value - COAP_EXT16_BASE) & 0xff);
    }
}

static void
write_option (Writer *w, guint32 delta, const CoapOption *option)
{
  write_byte (w, nibble_for (delta) << 4 | nibble_for (option->length));
  write_extension (w, delta);
  write_extension (w, option->length);
  write_bytes (w, option->value, option->length);
}

/* Indices of @pdu's options in ascending number; insertion sort keeps
 * repeated options in the order the caller added them. */
static void
sort_options (const CoapPdu *pdu, guint order[])
{
  for (guint i = 0; i < pdu->n_options; i++)
    {
      guint j = i;

      for (; j > 0 && pdu->options[order[j - 1]].number > pdu->options[i].number; j--)
        order[j] = order[j - 1];
      order[j] = i;
    }
}

gssize
coap_pdu_encode (const CoapPdu *pdu, guint8 *buf, gsize buf_size, GError **error)
{
  Writer w = { buf, buf_size, 0, FALSE };
  guint order[COAP_PDU_MAX_OPTIONS];
  guint16 previous = 0;

  g_return_val_if_fail (pdu != NULL, -1);
  g_return_val_if_fail (buf != NULL || buf_size == 0, -1);
  g_return_val_if_fail (pdu->token_length <= COAP_MAX_TOKEN_LEN, -1);
  g_return_val_if_fail (pdu->n_options <= COAP_PDU_MAX_OPTIONS, -1);

  write_byte (&w, COAP_VERSION << 6 | (pdu->type & 0x03) << 4 | pdu->token_length);
  write_byte (&w, pdu->code);
  write_byte (&w, pdu->message_id >> 8);
  write_byte (&w, pdu->message_id & 0xff);
  write_bytes (&w, pdu->token, pdu->token_length);

  sort_options (pdu, order);
  for (guint i = 0; i < pdu->n_options; i++)
    {
      const CoapOption *option = &pdu->options[order[i]];

      write_option (&w, option->number - previous, option);
      previous = option->number;
    }

  if (pdu->payload_length > 0)
    {
      write_byte (&w, COAP_PAYLOAD_MARKER);
      write_bytes (&w, pdu->payload, pdu->payload_length);
    }

  if (w.overflow)
    {
      g_set_error (error, COAP_PDU_ERROR, COAP_PDU_ERROR_TOO_LARGE,
                   "CoAP message does not fit in %" G_GSIZE_FORMAT " bytes", buf_size);
      return -1;
    }
  return (gssize)w.pos;
}

gboolean
coap_pdu_add_option (CoapPdu *pdu, guint16 number, const guint8 *value, guint16 length)
{
  g_return_val_if_fail (pdu != NULL, FALSE);
  g_return_val_if_fail (value != NULL || length == 0, FALSE);

  if (pdu->n_options >= COAP_PDU_MAX_OPTIONS)
    return FALSE;
  pdu->options[pdu->n_options++] = (CoapOption){ number, length, value };
  return TRUE;
}

const CoapOption *
coap_pdu_find_option (const CoapPdu *pdu, guint16 number, guint index)
{
  g_return_val_if_fail (pdu != NULL, NULL);

  for (guint i = 0; i < pdu->n_options; i++)
    if (pdu->options[i].number == number && index-- == 0)
      return &pdu->options[i];
  return NULL;
}

const char *
coap_code_to_string (guint8 code, char buf[static 5])
{
  g_snprintf (buf, 5, "%u.%02u", (guint)code >> 5, (guint)code & 0x1f);
  return buf;
}
