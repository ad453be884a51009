/* SPDX-License-Identifier: MIT */
/* fuzz-coap-pdu.c — libFuzzer target for the CoAP codec.
 *
 * Every value has exactly one RFC 7252 encoding (extended forms start where
 * the shorter ones end), so anything that decodes must re-encode to the very
 * same bytes and decode again to the same message. */
#include "coap-pdu.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
check_same_pdu (const CoapPdu *a, const CoapPdu *b)
{
  if (a->type != b->type || a->code != b->code || a->message_id != b->message_id
      || a->token_length != b->token_length || memcmp (a->token, b->token, a->token_length) != 0
      || a->n_options != b->n_options || a->payload_length != b->payload_length
      || (a->payload_length > 0 && memcmp (a->payload, b->payload, a->payload_length) != 0))
    abort ();
  for (guint i = 0; i < a->n_options; i++)
    if (a->options[i].number != b->options[i].number || a->options[i].length != b->options[i].length
        || (a->options[i].length > 0
            && memcmp (a->options[i].value, b->options[i].value, a->options[i].length) != 0))
      abort ();
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static guint8 out[COAP_MAX_DATAGRAM * 64];
  CoapPdu first, second;
  GError *error = NULL;
  gssize n;

  if (!coap_pdu_decode (data, size, &first, &error))
    {
      if (!g_error_matches (error, COAP_PDU_ERROR, COAP_PDU_ERROR_MALFORMED))
        abort ();
      g_error_free (error);
      return 0;
    }

  n = coap_pdu_encode (&first, out, sizeof out, &error);
  if (n < 0)
    {
      /* Only inputs larger than the output buffer may fail to re-encode. */
      if (size <= sizeof out)
        abort ();
      g_error_free (error);
      return 0;
    }
  if ((size_t)n != size || memcmp (out, data, size) != 0)
    abort ();
  if (!coap_pdu_decode (out, n, &second, NULL))
    abort ();
  check_same_pdu (&first, &second);
  return 0;
}
