/* SPDX-License-Identifier: MIT */
/* fuzz-qcoap-urc.c — libFuzzer target for the response and URC parsers.
 *
 * Every parser gets every input (not only the lines classified for it), so
 * each must survive anything. Whatever a parser accepts must respect the
 * ranges qcoap-proto.h promises, must agree with at_coap_urc_classify(), and
 * received options must convert to a valid a(qv). */
#include "qcoap-proto.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
check (gboolean condition)
{
  if (!condition)
    abort ();
}

static void
fuzz_recv (const char *line, QcoapUrcKind kind)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapRecv) recv = at_coap_recv_parse (line, &error);
  g_autoptr (GVariant) options = NULL;

  check ((recv == NULL) == (error != NULL));
  if (recv == NULL)
    return;
  check (kind == QCOAP_URC_RECV);
  check (recv->client_id < QCOAP_MAX_CLIENTS);
  check (g_bytes_get_size (recv->token) <= QCOAP_MAX_TOKEN);
  check (recv->payload_length <= G_MAXUINT32);
  check (recv->options->len <= 64);

  options = g_variant_ref_sink (at_coap_option_list_to_variant (recv->options));
  check (g_variant_is_of_type (options, G_VARIANT_TYPE ("a(qv)")));
  check (g_variant_n_children (options) == recv->options->len);
  check (g_variant_is_normal_form (options));
}

/* The head parser takes every line the full parser takes, with the same
 * leading fields. */
static void
fuzz_recv_head (const char *line, QcoapUrcKind kind)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapRecv) head = at_coap_recv_parse_head (line, &error);
  g_autoptr (QcoapRecv) recv = at_coap_recv_parse (line, NULL);

  check ((head == NULL) == (error != NULL));
  if (head == NULL)
    {
      check (recv == NULL);
      return;
    }
  check (kind == QCOAP_URC_RECV);
  check (head->client_id < QCOAP_MAX_CLIENTS);
  check (g_bytes_get_size (head->token) <= QCOAP_MAX_TOKEN);
  check (head->options->len == 0 && head->payload_length == 0);
  if (recv != NULL)
    check (recv->client_id == head->client_id && recv->message_id == head->message_id
           && recv->code == head->code && g_bytes_equal (recv->token, head->token));
}

static void
fuzz_simple (const char *line, QcoapUrcKind kind)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *host = NULL;
  QcoapAck ack;
  QcoapInd ind;
  QcoapClientStatus status;
  guint client_id;
  guint16 port, checksum;
  gsize size;
  int result;

  if (at_coap_ack_parse (line, &ack, NULL))
    check (kind == QCOAP_URC_ACK && ack.client_id < QCOAP_MAX_CLIENTS && ack.type <= 3);
  if (at_coap_ind_parse (line, &ind, NULL))
    check (kind == QCOAP_URC_IND && ind.client_id < QCOAP_MAX_CLIENTS && ind.type <= 3);
  if (at_coap_open_result_parse (line, &client_id, &result, NULL))
    check (kind == QCOAP_URC_OPEN_RESULT && client_id < QCOAP_MAX_CLIENTS);
  if (at_coap_close_result_parse (line, &client_id, &result, NULL))
    check (kind == QCOAP_URC_CLOSE && client_id < QCOAP_MAX_CLIENTS);
  if (at_coap_open_status_parse (line, &client_id, &host, &port, &status, &error))
    check (kind == QCOAP_URC_OPEN_STATUS && client_id < QCOAP_MAX_CLIENTS && host != NULL
           && status <= QCOAP_STATUS_DISCONNECTING);
  else
    check (error != NULL && host == NULL);
  if (at_coap_qfupl_parse (line, &size, &checksum, NULL))
    check (kind == QCOAP_URC_QFUPL);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  /* Lines reach the parsers NUL-terminated, as the AT lexer reports them. */
  g_autofree char *line = g_strndup ((const char *)data, size);
  QcoapUrcKind kind = at_coap_urc_classify (line);
  guint8 code;

  fuzz_recv (line, kind);
  fuzz_recv_head (line, kind);
  fuzz_simple (line, kind);
  if (at_coap_code_parse (line, &code))
    {
      g_autofree char *text = at_coap_code_to_string (code);

      check (strcmp (text, line) == 0);
    }
  return 0;
}
