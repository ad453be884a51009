/* SPDX-License-Identifier: MIT */
/* test-coap-pdu.c — the CoAP codec against byte vectors derived by hand from
 * RFC 7252 §3, round trips and every kind of malformed datagram. */
#include "coap-pdu.h"

#include <string.h>

/* Byte 0 of the header: Ver (2 bits) = 1, Type (2 bits), TKL (4 bits). */
#define HDR0(type, tkl) (0x40 | (type) << 4 | (tkl))

/* Option numbers (RFC 7252 §5.10). */
#define OPT_URI_PATH       11
#define OPT_CONTENT_FORMAT 12
#define OPT_URI_QUERY      15
#define OPT_SIZE1          60

static void
assert_decodes (const guint8 *data, gsize len, CoapPdu *pdu)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (coap_pdu_decode (data, len, pdu, &error));
  g_assert_no_error (error);
}

/* Encoding the decoded vector must give back exactly the same bytes. */
static void
assert_reencodes (const CoapPdu *pdu, const guint8 *data, gsize len)
{
  g_autoptr (GError) error = NULL;
  guint8 out[COAP_MAX_DATAGRAM];
  gssize n;

  n = coap_pdu_encode (pdu, out, sizeof out, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (out, n, data, len);
}

static void
assert_option (const CoapOption *option, guint16 number, const char *value, gsize length)
{
  g_assert_nonnull (option);
  g_assert_cmpuint (option->number, ==, number);
  g_assert_cmpmem (option->value, option->length, value, length);
}

static void
test_empty_ack (void)
{
  /* ACK, TKL 0: 0x40 | 2 << 4 = 0x60; code 0.00 = 0x00; MID 0x1234. */
  static const guint8 vector[] = { 0x60, 0x00, 0x12, 0x34 };
  CoapPdu pdu;

  assert_decodes (vector, sizeof vector, &pdu);
  g_assert_cmpuint (pdu.type, ==, COAP_TYPE_ACK);
  g_assert_cmpuint (pdu.code, ==, 0);
  g_assert_cmpuint (pdu.message_id, ==, 0x1234);
  g_assert_cmpuint (pdu.token_length, ==, 0);
  g_assert_cmpuint (pdu.n_options, ==, 0);
  g_assert_null (pdu.payload);
  g_assert_cmpuint (pdu.payload_length, ==, 0);
  assert_reencodes (&pdu, vector, sizeof vector);
}

static void
test_get_no_token (void)
{
  /* CON, TKL 0: 0x40; GET = 0.01 = 0x01; MID 0x0001. */
  static const guint8 vector[] = { 0x40, 0x01, 0x00, 0x01 };
  CoapPdu pdu;

  assert_decodes (vector, sizeof vector, &pdu);
  g_assert_cmpuint (pdu.type, ==, COAP_TYPE_CON);
  g_assert_cmpuint (pdu.code, ==, 0x01);
  g_assert_cmpuint (pdu.message_id, ==, 1);
  g_assert_cmpuint (pdu.token_length, ==, 0);
  assert_reencodes (&pdu, vector, sizeof vector);
}

static void
test_get_token_8 (void)
{
  /* CON, TKL 8: 0x48; GET 0x01; MID 0xBEEF; then the 8 token bytes. */
  static const guint8 vector[] = { 0x48, 0x01, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8 };
  static const guint8 token[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  CoapPdu pdu;

  assert_decodes (vector, sizeof vector, &pdu);
  g_assert_cmpuint (pdu.message_id, ==, 0xbeef);
  g_assert_cmpmem (pdu.token, pdu.token_length, token, sizeof token);
  g_assert_cmpuint (pdu.n_options, ==, 0);
  g_assert_null (pdu.payload);
  assert_reencodes (&pdu, vector, sizeof vector);
}

static void
test_uri_path (void)
{
  /* CON GET, TKL 1: 0x41 0x01; MID 0x0102; token 0xA5.
   * Uri-Path (11) "time": delta 11 = 0xB, length 4 -> 0xB4, then "time". */
  static const guint8 vector[] = { 0x41, 0x01, 0x01, 0x02, 0xa5, 0xb4, 't', 'i', 'm', 'e' };
  CoapPdu pdu;

  assert_decodes (vector, sizeof vector, &pdu);
  g_assert_cmpuint (pdu.token_length, ==, 1);
  g_assert_cmpuint (pdu.token[0], ==, 0xa5);
  g_assert_cmpuint (pdu.n_options, ==, 1);
  assert_option (&pdu.options[0], OPT_URI_PATH, "time", 4);
  g_assert_null (pdu.payload);
  assert_reencodes (&pdu, vector, sizeof vector);
}

static void
test_extended_delta_13 (void)
{
  /* NON POST, TKL 0: 0x50 0x02; MID 0x0007.
   * Size1 (60) = 1024 as 2-byte uint 0x04 0x00: delta 60 >= 13, so nibble 13
   * and one extension byte 60 - 13 = 47 = 0x2F; length 2 -> 0xD2 0x2F. */
  static const guint8 vector[] = { 0x50, 0x02, 0x00, 0x07, 0xd2, 0x2f, 0x04, 0x00 };
  CoapPdu pdu;

  assert_decodes (vector, sizeof vector, &pdu);
  g_assert_cmpuint (pdu.type, ==, COAP_TYPE_NON);
  g_assert_cmpuint (pdu.code, ==, 0x02);
  g_assert_cmpuint (pdu.n_options, ==, 1);
  assert_option (&pdu.options[0], OPT_SIZE1, "\x04\x00", 2);
  assert_reencodes (&pdu, vector, sizeof vector);
}

static void
test_extended_delta_269 (void)
{
  /* CON GET, TKL 0, MID 0x0010.
   * Option 300, empty: delta 300 >= 269, nibble 14, two extension bytes
   * 300 - 269 = 31 = 0x00 0x1F; length 0 -> 0xE0 0x00 0x1F.
   * Option 65000, "z": delta 65000 - 300 = 64700, nibble 14, extension
   * 64700 - 269 = 64431 = 0xFBAF; length 1 -> 0xE1 0xFB 0xAF 'z'. */
  static const guint8 vector[]
      = { 0x40, 0x01, 0x00, 0x10, 0xe0, 0x00, 0x1f, 0xe1, 0xfb, 0xaf, 'z' };
  CoapPdu pdu;

  assert_decodes (vector, sizeof vector, &pdu);
  g_assert_cmpuint (pdu.n_options, ==, 2);
  assert_option (&pdu.options[0], 300, "", 0);
  assert_option (&pdu.options[1], 65000, "z", 1);
  assert_reencodes (&pdu, vector, sizeof vector);
}

static void
test_gap_269 (void)
{
  /* CON GET, TKL 0, MID 0x0011.
   * Uri-Path (11) "a": 0xB1 'a'. Option 284 empty: delta 284 - 11 = 273,
   * 273 - 269 = 4 -> 0xE0 0x00 0x04. */
  static const guint8 vector[] = { 0x40, 0x01, 0x00, 0x11, 0xb1, 'a', 0xe0, 0x00, 0x04 };
  CoapPdu pdu;

  assert_decodes (vector, sizeof vector, &pdu);
  g_assert_cmpuint (pdu.n_options, ==, 2);
  assert_option (&pdu.options[0], OPT_URI_PATH, "a", 1);
  assert_option (&pdu.options[1], 284, "", 0);
  assert_reencodes (&pdu, vector, sizeof vector);
}

static void
test_extended_length_13 (void)
{
  /* CON GET, TKL 0, MID 0x0020.
   * Uri-Path (11) "abcdefghijklm" (13 bytes): delta 11, length 13 -> nibble
   * 13 with extension byte 13 - 13 = 0 -> 0xBD 0x00, then the 13 bytes. */
  static const guint8 vector[] = { 0x40, 0x01, 0x00, 0x20, 0xbd, 0x00, 'a', 'b', 'c', 'd',
                                   'e',  'f',  'g',  'h',  'i',  'j',  'k', 'l', 'm' };
  CoapPdu pdu;

  assert_decodes (vector, sizeof vector, &pdu);
  g_assert_cmpuint (pdu.n_options, ==, 1);
  assert_option (&pdu.options[0], OPT_URI_PATH, "abcdefghijklm", 13);
  assert_reencodes (&pdu, vector, sizeof vector);
}

static void
test_extended_length_269 (void)
{
  /* CON GET, TKL 0, MID 0x0030.
   * Uri-Query (15) of 300 'q': delta 15 -> nibble 13, extension 15 - 13 = 2;
   * length 300 -> nibble 14, extension 300 - 269 = 31 = 0x00 0x1F.
   * First byte 0xDE; the delta extension precedes the length extension:
   * 0xDE 0x02 0x00 0x1F, then the 300 bytes. */
  static const guint8 head[] = { 0x40, 0x01, 0x00, 0x30, 0xde, 0x02, 0x00, 0x1f };
  guint8 vector[sizeof head + 300];
  char query[300];
  CoapPdu pdu;

  memset (query, 'q', sizeof query);
  memcpy (vector, head, sizeof head);
  memcpy (vector + sizeof head, query, sizeof query);

  assert_decodes (vector, sizeof vector, &pdu);
  g_assert_cmpuint (pdu.n_options, ==, 1);
  assert_option (&pdu.options[0], OPT_URI_QUERY, query, sizeof query);
  assert_reencodes (&pdu, vector, sizeof vector);
}

static void
test_repeated_options (void)
{
  /* CON GET, TKL 0, MID 0x0040.
   * Uri-Path "a": 0xB1 'a'; Uri-Path "b": delta 0, length 1 -> 0x01 'b'. */
  static const guint8 vector[] = { 0x40, 0x01, 0x00, 0x40, 0xb1, 'a', 0x01, 'b' };
  CoapPdu pdu;

  assert_decodes (vector, sizeof vector, &pdu);
  g_assert_cmpuint (pdu.n_options, ==, 2);
  assert_option (coap_pdu_find_option (&pdu, OPT_URI_PATH, 0), OPT_URI_PATH, "a", 1);
  assert_option (coap_pdu_find_option (&pdu, OPT_URI_PATH, 1), OPT_URI_PATH, "b", 1);
  g_assert_null (coap_pdu_find_option (&pdu, OPT_URI_PATH, 2));
  g_assert_null (coap_pdu_find_option (&pdu, OPT_URI_QUERY, 0));
  assert_reencodes (&pdu, vector, sizeof vector);
}

/* ACK 2.05 Content: 0x40 | 2 << 4 | TKL 2 = 0x62; 2.05 = 2 * 32 + 5 = 0x45;
 * MID 0x1234; token 0x11 0x22. Content-Format (12) = 0 (text/plain) as a
 * zero-length uint: delta 12, length 0 -> 0xC0. Marker 0xFF, then "22.5". */
static const guint8 content_vector[]
    = { 0x62, 0x45, 0x12, 0x34, 0x11, 0x22, 0xc0, 0xff, '2', '2', '.', '5' };

static void
test_payload (void)
{
  CoapPdu pdu;

  assert_decodes (content_vector, sizeof content_vector, &pdu);
  g_assert_cmpuint (pdu.code, ==, 0x45);
  g_assert_cmpuint (pdu.n_options, ==, 1);
  assert_option (&pdu.options[0], OPT_CONTENT_FORMAT, "", 0);
  g_assert_cmpmem (pdu.payload, pdu.payload_length, "22.5", 4);
  assert_reencodes (&pdu, content_vector, sizeof content_vector);
}

static void
test_empty_payload_has_no_marker (void)
{
  /* Same message without payload: the marker must not appear (§3), so the
   * encoding stops after the Content-Format option byte 0xC0. */
  static const guint8 token[] = { 0x11, 0x22 };
  CoapPdu pdu = { .type = COAP_TYPE_ACK, .code = 0x45, .message_id = 0x1234 };

  pdu.token_length = sizeof token;
  memcpy (pdu.token, token, sizeof token);
  g_assert_true (coap_pdu_add_option (&pdu, OPT_CONTENT_FORMAT, NULL, 0));
  pdu.payload = (const guint8 *)"";
  pdu.payload_length = 0;
  assert_reencodes (&pdu, content_vector, 7);
}

static void
test_encode_sorts_stably (void)
{
  /* Options added out of order must come out ascending, and the two
   * Uri-Path values in the order they were added ("a" then "b"). Expected:
   * header 0x40 0x01 0x00 0x40, Uri-Path "a" 0xB1 'a', Uri-Path "b" 0x01 'b',
   * Uri-Query (15) "x": delta 4, length 1 -> 0x41 'x'. */
  static const guint8 expected[] = { 0x40, 0x01, 0x00, 0x40, 0xb1, 'a', 0x01, 'b', 0x41, 'x' };
  CoapPdu pdu = { .type = COAP_TYPE_CON, .code = 0x01, .message_id = 0x0040 };

  g_assert_true (coap_pdu_add_option (&pdu, OPT_URI_QUERY, (const guint8 *)"x", 1));
  g_assert_true (coap_pdu_add_option (&pdu, OPT_URI_PATH, (const guint8 *)"a", 1));
  g_assert_true (coap_pdu_add_option (&pdu, OPT_URI_PATH, (const guint8 *)"b", 1));
  assert_reencodes (&pdu, expected, sizeof expected);
  /* The caller's order is untouched. */
  g_assert_cmpuint (pdu.options[0].number, ==, OPT_URI_QUERY);
}

static void
test_add_option_full (void)
{
  CoapPdu pdu = { 0 };

  for (guint i = 0; i < COAP_PDU_MAX_OPTIONS; i++)
    g_assert_true (coap_pdu_add_option (&pdu, i, NULL, 0));
  g_assert_false (coap_pdu_add_option (&pdu, 1, NULL, 0));
  g_assert_cmpuint (pdu.n_options, ==, COAP_PDU_MAX_OPTIONS);
}

static void
assert_pdus_equal (const CoapPdu *a, const CoapPdu *b)
{
  g_assert_cmpuint (a->type, ==, b->type);
  g_assert_cmpuint (a->code, ==, b->code);
  g_assert_cmpuint (a->message_id, ==, b->message_id);
  g_assert_cmpmem (a->token, a->token_length, b->token, b->token_length);
  g_assert_cmpuint (a->n_options, ==, b->n_options);
  for (guint i = 0; i < a->n_options; i++)
    assert_option (&b->options[i], a->options[i].number, (const char *)a->options[i].value,
                   a->options[i].length);
  g_assert_cmpmem (a->payload, a->payload_length, b->payload, b->payload_length);
}

/* Random messages with options already in ascending order, so that decoding
 * the encoding must reproduce them field by field. */
static void
test_round_trip (void)
{
  static guint8 values[600];
  guint8 buf[COAP_MAX_DATAGRAM * 2];

  for (gsize i = 0; i < sizeof values; i++)
    values[i] = g_test_rand_int_range (0, 256);

  for (guint iteration = 0; iteration < 2000; iteration++)
    {
      g_autoptr (GError) error = NULL;
      CoapPdu in = { 0 }, out;
      guint number = 0;
      gssize n;

      in.type = g_test_rand_int_range (0, 4);
      in.code = g_test_rand_int_range (1, 256);
      in.message_id = g_test_rand_int_range (0, 0x10000);
      in.token_length = g_test_rand_int_range (0, COAP_MAX_TOKEN_LEN + 1);
      for (guint i = 0; i < in.token_length; i++)
        in.token[i] = g_test_rand_int_range (0, 256);
      for (guint i = g_test_rand_int_range (0, 6); i > 0; i--)
        {
          /* Deltas and lengths around every encoding boundary. */
          static const guint sizes[] = { 0, 1, 12, 13, 14, 268, 269, 270, 500 };

          number += sizes[g_test_rand_int_range (0, G_N_ELEMENTS (sizes))];
          if (number > G_MAXUINT16)
            break;
          g_assert_true (coap_pdu_add_option (
              &in, number, values, sizes[g_test_rand_int_range (0, G_N_ELEMENTS (sizes))]));
        }
      in.payload_length = g_test_rand_int_range (0, 3) * g_test_rand_int_range (0, 200);
      in.payload = in.payload_length ? values + 100 : NULL;

      n = coap_pdu_encode (&in, buf, sizeof buf, &error);
      g_assert_no_error (error);
      g_assert_cmpint (n, >, 0);
      assert_decodes (buf, n, &out);
      assert_pdus_equal (&in, &out);
    }
}

static void
assert_malformed (const guint8 *data, gsize len)
{
  g_autoptr (GError) error = NULL;
  CoapPdu pdu;

  g_assert_false (coap_pdu_decode (data, len, &pdu, &error));
  g_assert_error (error, COAP_PDU_ERROR, COAP_PDU_ERROR_MALFORMED);
}

#define MALFORMED(...)                                                                             \
  do                                                                                               \
    {                                                                                              \
      static const guint8 bytes_[] = { __VA_ARGS__ };                                              \
      assert_malformed (bytes_, sizeof bytes_);                                                    \
    }                                                                                              \
  while (0)

static void
test_malformed (void)
{
  guint8 long_token[4 + 15] = { 0 };
  guint8 options[4 + COAP_PDU_MAX_OPTIONS + 1] = { 0x40, 0x01, 0x00, 0x01 };
  CoapPdu pdu;

  /* Truncated header. */
  assert_malformed (NULL, 0);
  MALFORMED (0x40);
  MALFORMED (0x40, 0x01, 0x00);

  /* TKL 9..15, with enough bytes after the header for any of them. */
  for (guint tkl = 9; tkl <= 15; tkl++)
    {
      long_token[0] = HDR0 (COAP_TYPE_CON, tkl);
      long_token[1] = 0x01;
      assert_malformed (long_token, sizeof long_token);
    }

  /* Versions 0, 2 and 3. */
  MALFORMED (0x00, 0x01, 0x00, 0x01);
  MALFORMED (0x80, 0x01, 0x00, 0x01);
  MALFORMED (0xc0, 0x01, 0x00, 0x01);

  /* Truncated token: TKL 2, one byte present. */
  MALFORMED (0x42, 0x01, 0x00, 0x01, 0xaa);

  /* Reserved nibble 15 as delta (0xF0) and as length (0x0F, 0xBF). */
  MALFORMED (0x40, 0x01, 0x00, 0x01, 0xf0);
  MALFORMED (0x40, 0x01, 0x00, 0x01, 0x0f, 0x00);
  MALFORMED (0x40, 0x01, 0x00, 0x01, 0xbf, 'x');

  /* Payload marker with no payload, also after an option. */
  MALFORMED (0x40, 0x01, 0x00, 0x01, 0xff);
  MALFORMED (0x40, 0x01, 0x00, 0x01, 0xb1, 'a', 0xff);

  /* Truncated option value: length 4, three bytes. */
  MALFORMED (0x40, 0x01, 0x00, 0x01, 0xb4, 't', 'i', 'm');

  /* Truncated extended delta: 13 without its byte, 14 with one of two. */
  MALFORMED (0x40, 0x01, 0x00, 0x01, 0xd0);
  MALFORMED (0x40, 0x01, 0x00, 0x01, 0xe0, 0x00);

  /* Truncated extended length, same two forms. */
  MALFORMED (0x40, 0x01, 0x00, 0x01, 0x0d);
  MALFORMED (0x40, 0x01, 0x00, 0x01, 0x0e, 0x00);

  /* Option number past 65535: 269 + 0xFFFF. */
  MALFORMED (0x40, 0x01, 0x00, 0x01, 0xe0, 0xff, 0xff);

  /* Empty message (code 0.00) carrying a token, an option or a payload. */
  MALFORMED (0x61, 0x00, 0x12, 0x34, 0xaa);
  MALFORMED (0x60, 0x00, 0x12, 0x34, 0xb1, 'a');
  MALFORMED (0x60, 0x00, 0x12, 0x34, 0xff, 'x');

  /* 64 empty options (byte 0x00: delta 0, length 0) fit; 65 do not. */
  assert_decodes (options, sizeof options - 1, &pdu);
  g_assert_cmpuint (pdu.n_options, ==, COAP_PDU_MAX_OPTIONS);
  assert_malformed (options, sizeof options);
}

static void
test_encode_too_large (void)
{
  g_autoptr (GError) error = NULL;
  guint8 buf[sizeof content_vector];
  CoapPdu pdu;

  assert_decodes (content_vector, sizeof content_vector, &pdu);
  /* Every buffer one byte short or shorter fails, wherever it runs out. */
  for (gsize size = 0; size < sizeof content_vector; size++)
    {
      g_assert_cmpint (coap_pdu_encode (&pdu, buf, size, &error), ==, -1);
      g_assert_error (error, COAP_PDU_ERROR, COAP_PDU_ERROR_TOO_LARGE);
      g_clear_error (&error);
    }
  g_assert_cmpint (coap_pdu_encode (&pdu, buf, sizeof buf, &error), ==, sizeof content_vector);
  g_assert_no_error (error);
}

static void
test_code_to_string (void)
{
  char buf[5];

  g_assert_cmpstr (coap_code_to_string (0x00, buf), ==, "0.00");
  g_assert_cmpstr (coap_code_to_string (0x01, buf), ==, "0.01");
  g_assert_cmpstr (coap_code_to_string (0x45, buf), ==, "2.05");
  g_assert_cmpstr (coap_code_to_string (0x84, buf), ==, "4.04");
  g_assert_cmpstr (coap_code_to_string (0xa5, buf), ==, "5.05");
  g_assert_cmpstr (coap_code_to_string (0xff, buf), ==, "7.31");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/coap-pdu/vector/empty-ack", test_empty_ack);
  g_test_add_func ("/coap-pdu/vector/get-no-token", test_get_no_token);
  g_test_add_func ("/coap-pdu/vector/get-token-8", test_get_token_8);
  g_test_add_func ("/coap-pdu/vector/uri-path", test_uri_path);
  g_test_add_func ("/coap-pdu/vector/extended-delta-13", test_extended_delta_13);
  g_test_add_func ("/coap-pdu/vector/extended-delta-269", test_extended_delta_269);
  g_test_add_func ("/coap-pdu/vector/gap-269", test_gap_269);
  g_test_add_func ("/coap-pdu/vector/extended-length-13", test_extended_length_13);
  g_test_add_func ("/coap-pdu/vector/extended-length-269", test_extended_length_269);
  g_test_add_func ("/coap-pdu/vector/repeated-options", test_repeated_options);
  g_test_add_func ("/coap-pdu/vector/payload", test_payload);
  g_test_add_func ("/coap-pdu/vector/empty-payload", test_empty_payload_has_no_marker);
  g_test_add_func ("/coap-pdu/encode/sorts-stably", test_encode_sorts_stably);
  g_test_add_func ("/coap-pdu/encode/too-large", test_encode_too_large);
  g_test_add_func ("/coap-pdu/add-option-full", test_add_option_full);
  g_test_add_func ("/coap-pdu/round-trip", test_round_trip);
  g_test_add_func ("/coap-pdu/malformed", test_malformed);
  g_test_add_func ("/coap-pdu/code-to-string", test_code_to_string);

  return g_test_run ();
}
