/* SPDX-License-Identifier: MIT */
/* Tests of the AT command builders and response/URC parsers (qcoap-proto.h). */

#include <gio/gio.h>
#include <string.h>

#include "qcoap-error.h"
#include "qcoap-cmd.h"
#include "qcoap-proto.h"

/* --- Builders ---------------------------------------------------------------- */

static void
assert_command (char *command, const char *expected)
{
  g_assert_nonnull (command);
  g_assert_cmpstr (command, ==, expected);
  g_free (command);
}

static void
test_build_cfg (void)
{
  assert_command (at_coap_cmd_cfg_pdpcid (0, 1), "AT+QCOAPCFG=\"pdpcid\",0,1");
  assert_command (at_coap_cmd_cfg_pdpcid (5, 16), "AT+QCOAPCFG=\"pdpcid\",5,16");
  assert_command (at_coap_cmd_cfg_pdpcid_query (3), "AT+QCOAPCFG=\"pdpcid\",3");
  assert_command (at_coap_cmd_cfg_dtls (2, TRUE, 4), "AT+QCOAPCFG=\"dtls\",2,1,4");
  assert_command (at_coap_cmd_cfg_dtls (2, FALSE, 0), "AT+QCOAPCFG=\"dtls\",2,0,0");
  assert_command (at_coap_cmd_cfg_dtls_query (1), "AT+QCOAPCFG=\"dtls\",1");
  assert_command (at_coap_cmd_cfg_trans (4, 2, 5), "AT+QCOAPCFG=\"trans\",4,2,5");
  assert_command (at_coap_cmd_cfg_trans (0, 60, 8), "AT+QCOAPCFG=\"trans\",0,60,8");
  assert_command (at_coap_cmd_cfg_trans_query (0), "AT+QCOAPCFG=\"trans\",0");
}

static void
test_build_open_close (void)
{
  g_autoptr (GError) error = NULL;

  assert_command (at_coap_cmd_open (0, "127.0.0.1", 5683, &error),
                  "AT+QCOAPOPEN=0,\"127.0.0.1\",5683");
  g_assert_no_error (error);
  assert_command (at_coap_cmd_open (5, "coap.example.org", 65535, &error),
                  "AT+QCOAPOPEN=5,\"coap.example.org\",65535");
  assert_command (at_coap_cmd_open (1, "::1", 1, &error), "AT+QCOAPOPEN=1,\"::1\",1");
  g_assert_no_error (error);
  assert_command (at_coap_cmd_open_query (), "AT+QCOAPOPEN?");
  assert_command (at_coap_cmd_close (4), "AT+QCOAPCLOSE=4");
}

static void
assert_open_rejected (const char *host, guint16 port, const char *message_part)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *command = at_coap_cmd_open (0, host, port, &error);

  g_assert_null (command);
  g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, message_part));
}

static void
test_build_open_rejects_bad_hosts (void)
{
  g_autofree char *long_host = g_strnfill (256, 'a');
  g_autofree char *longest_host = g_strnfill (255, 'a');
  g_autoptr (GError) error = NULL;
  g_autofree char *command = NULL;

  assert_open_rejected ("", 5683, "empty");
  assert_open_rejected ("evil\",1\r\nAT+CFUN=0", 5683, "double quote");
  assert_open_rejected ("host\rname", 5683, "control character 0x0d");
  assert_open_rejected ("host\nname", 5683, "control character 0x0a");
  assert_open_rejected ("host\x7fname", 5683, "control character 0x7f");
  assert_open_rejected ("\xff\xfe", 5683, "UTF-8");
  assert_open_rejected (long_host, 5683, "256 bytes");
  assert_open_rejected ("127.0.0.1", 0, "Port 0");

  command = at_coap_cmd_open (0, longest_host, 5683, &error);
  g_assert_no_error (error);
  g_assert_nonnull (command);
}

static void
test_build_header (void)
{
  const guint8 token4[] = { 0x0a, 0x0b, 0x0c, 0x0d };
  const guint8 token8[] = { 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0xfe, 0xff };
  g_autoptr (GBytes) t4 = g_bytes_new_static (token4, sizeof token4);
  g_autoptr (GBytes) t8 = g_bytes_new_static (token8, sizeof token8);
  g_autoptr (GBytes) t0 = g_bytes_new_static ("", 0);

  assert_command (at_coap_cmd_header (0, 1234, t4), "AT+QCOAPHEADER=0,1234,0,4,\"0A0B0C0D\"");
  assert_command (at_coap_cmd_header (5, 65535, t8),
                  "AT+QCOAPHEADER=5,65535,0,8,\"DEADBEEF0001FEFF\"");
  assert_command (at_coap_cmd_header (2, 0, t0), "AT+QCOAPHEADER=2,0,0,0,\"\"");
  assert_command (at_coap_cmd_header (3, 7, NULL), "AT+QCOAPHEADER=3,7,1");
}

static void
test_build_option (void)
{
  const guint8 etag[] = { 0xa1, 0xb2, 0x00, 0x0f };
  g_autoptr (QcoapOption) path = at_coap_option_new_string (QCOAP_OPTION_URI_PATH, "sensors");
  g_autoptr (QcoapOption) query = at_coap_option_new_string (QCOAP_OPTION_URI_QUERY, "a=1,b=2");
  g_autoptr (QcoapOption) empty_path = at_coap_option_new_string (QCOAP_OPTION_URI_PATH, "");
  g_autoptr (QcoapOption) format = at_coap_option_new_uint (QCOAP_OPTION_CONTENT_FORMAT, 50);
  g_autoptr (QcoapOption) zero = at_coap_option_new_uint (QCOAP_OPTION_ACCEPT, 0);
  g_autoptr (QcoapOption) age = at_coap_option_new_uint (QCOAP_OPTION_MAX_AGE, G_MAXUINT32);
  g_autoptr (QcoapOption) tag
      = at_coap_option_new_bytes (QCOAP_OPTION_ETAG, QCOAP_OPTION_FORMAT_OPAQUE, etag, sizeof etag);
  g_autoptr (QcoapOption) none
      = at_coap_option_new_bytes (QCOAP_OPTION_IF_NONE_MATCH, QCOAP_OPTION_FORMAT_EMPTY, NULL, 0);

  assert_command (at_coap_cmd_option_add (0, 0, path), "AT+QCOAPOPTION=0,0,0,11,\"sensors\"");
  assert_command (at_coap_cmd_option_add (1, 7, query), "AT+QCOAPOPTION=1,0,7,15,\"a=1,b=2\"");
  assert_command (at_coap_cmd_option_add (0, 1, empty_path), "AT+QCOAPOPTION=0,0,1,11,\"\"");
  assert_command (at_coap_cmd_option_add (2, 3, format), "AT+QCOAPOPTION=2,0,3,12,50");
  assert_command (at_coap_cmd_option_add (2, 4, zero), "AT+QCOAPOPTION=2,0,4,17,0");
  assert_command (at_coap_cmd_option_add (2, 5, age), "AT+QCOAPOPTION=2,0,5,14,4294967295");
  assert_command (at_coap_cmd_option_add (0, 2, tag), "AT+QCOAPOPTION=0,0,2,4,\"A1B2000F\"");
  assert_command (at_coap_cmd_option_add (0, 6, none), "AT+QCOAPOPTION=0,0,6,5,\"\"");
  assert_command (at_coap_cmd_option_remove (3, 7), "AT+QCOAPOPTION=3,1,7");
  assert_command (at_coap_cmd_option_remove (0, 0), "AT+QCOAPOPTION=0,1,0");
}

static void
test_build_send (void)
{
  assert_command (at_coap_cmd_send (0, QCOAP_TYPE_CON, 1, 0x03, 10), "AT+QCOAPSEND=0,0,1,3,10");
  assert_command (at_coap_cmd_send (5, QCOAP_TYPE_RST, 0, 0, 1), "AT+QCOAPSEND=5,3,0,0,1");
  assert_command (at_coap_cmd_send (1, QCOAP_TYPE_NON, 2, 0xff, 1024),
                  "AT+QCOAPSEND=1,1,2,255,1024");
  /* No length for an empty payload: the data is then ended by Ctrl+Z. */
  assert_command (at_coap_cmd_send (2, QCOAP_TYPE_ACK, 69, 0x80, 0), "AT+QCOAPSEND=2,2,69,128");
}

static void
test_build_dtls (void)
{
  const guint8 key[] = { 0x01, 0xab, 0xff };
  g_autoptr (GBytes) key_bytes = g_bytes_new_static (key, sizeof key);
  g_autofree char *name = at_coap_psk_file_name (2);
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = at_coap_psk_file_contents ("client-7", key_bytes, &error);

  g_assert_cmpstr (name, ==, "UFS:2_server.psk");
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, "client-7&01abff");
  assert_command (at_coap_cmd_qfupl (name, strlen (contents)), "AT+QFUPL=\"UFS:2_server.psk\",15");
  assert_command (at_coap_cmd_qfdel (name), "AT+QFDEL=\"UFS:2_server.psk\"");
  assert_command (at_coap_cmd_ssl_dtls (2), "AT+QSSLCFG=\"dtls\",2,1");
  assert_command (at_coap_cmd_ssl_dtls_version (2), "AT+QSSLCFG=\"dtlsversion\",2,1");
}

static void
test_cipher_suite (void)
{
  const char *bad[]
      = { "", "0x", "00AE", "0x00A", "0x00AEF", "0x00AG", "0y00AE", "0x00 E", "0x00AE\r", "AE" };
  g_autoptr (GError) error = NULL;
  g_autofree char *upper = at_coap_cipher_suite_normalize ("0X00AE", &error);
  g_autofree char *lower = at_coap_cipher_suite_normalize ("0xc0a8", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (upper, ==, "0X00AE");
  g_assert_cmpstr (lower, ==, "0XC0A8");
  assert_command (at_coap_cmd_ssl_cipher_suite (3, upper), "AT+QSSLCFG=\"ciphersuite\",3,0X00AE");
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) bad_error = NULL;

      g_assert_null (at_coap_cipher_suite_normalize (bad[i], &bad_error));
      g_assert_error (bad_error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (bad_error->message, "is not a cipher suite"));
    }
}

static void
test_build_psk_rejects (void)
{
  g_autoptr (GBytes) key = g_bytes_new_static ("k", 1);
  g_autoptr (GBytes) no_key = g_bytes_new_static ("", 0);
  g_autofree char *long_key_data = g_strnfill (65, 'k');
  g_autoptr (GBytes) long_key = g_bytes_new_static (long_key_data, 65);
  const char *bad_identities[] = { "", "a&b", "line\nbreak" };

  for (gsize i = 0; i < G_N_ELEMENTS (bad_identities); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_null (at_coap_psk_file_contents (bad_identities[i], key, &error));
      g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
    }
  {
    g_autoptr (GError) error = NULL;

    g_assert_null (at_coap_psk_file_contents ("id", no_key, &error));
    g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
  }
  {
    g_autoptr (GError) error = NULL;

    g_assert_null (at_coap_psk_file_contents ("id", long_key, &error));
    g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
  }
}

static void
test_qfupl_checksum (void)
{
  const guint8 even[] = { 0x12, 0x34, 0x56, 0x78 };
  const guint8 odd[] = { 0x12, 0x34, 0x56 };
  const char *text = "id&0102";

  /* 0x1234 ^ 0x5678 = 0x444c */
  g_assert_cmphex (at_coap_qfupl_checksum (even, sizeof even), ==, 0x444c);
  /* 0x1234 ^ 0x5600 = 0x4434 */
  g_assert_cmphex (at_coap_qfupl_checksum (odd, sizeof odd), ==, 0x4434);
  g_assert_cmphex (at_coap_qfupl_checksum (NULL, 0), ==, 0);
  /* "id&0102": 0x6964 ^ 0x2630 ^ 0x3130 ^ 0x3200 = 0x4c64 */
  g_assert_cmphex (at_coap_qfupl_checksum ((const guint8 *)text, strlen (text)), ==,
                   0x6964 ^ 0x2630 ^ 0x3130 ^ 0x3200);
  g_assert_cmphex (at_coap_qfupl_checksum ((const guint8 *)text, strlen (text)), ==, 0x4c64);
}

/* --- Codes and classification ---------------------------------------------- */

static void
test_code_parse (void)
{
  guint8 code = 0xaa;

  g_assert_true (at_coap_code_parse ("2.05", &code));
  g_assert_cmpuint (code, ==, 69);
  g_assert_true (at_coap_code_parse ("4.04", &code));
  g_assert_cmpuint (code, ==, 132);
  g_assert_true (at_coap_code_parse ("0.01", &code));
  g_assert_cmpuint (code, ==, 1);
  g_assert_true (at_coap_code_parse ("0.00", &code));
  g_assert_cmpuint (code, ==, 0);
  g_assert_true (at_coap_code_parse ("7.31", &code));
  g_assert_cmpuint (code, ==, 255);

  code = 0xaa;
  g_assert_false (at_coap_code_parse ("8.00", &code));
  g_assert_false (at_coap_code_parse ("2.32", &code));
  g_assert_false (at_coap_code_parse ("2.5", &code));
  g_assert_false (at_coap_code_parse ("205", &code));
  g_assert_false (at_coap_code_parse ("2.055", &code));
  g_assert_false (at_coap_code_parse ("", &code));
  g_assert_false (at_coap_code_parse ("-2.05", &code));
  g_assert_cmpuint (code, ==, 0xaa);
}

static void
test_code_to_string (void)
{
  const guint8 codes[] = { 0, 1, 4, 65, 69, 132, 143, 165, 255 };

  for (gsize i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      g_autofree char *text = at_coap_code_to_string (codes[i]);
      guint8 back;

      g_assert_true (at_coap_code_parse (text, &back));
      g_assert_cmpuint (back, ==, codes[i]);
    }
  {
    g_autofree char *text = at_coap_code_to_string (132);

    g_assert_cmpstr (text, ==, "4.04");
  }
}

static void
test_urc_classify (void)
{
  g_assert_cmpint (at_coap_urc_classify ("+QCOAPRECV: 0,1,2.05,0,,0,0"), ==, QCOAP_URC_RECV);
  g_assert_cmpint (at_coap_urc_classify ("+QCOAPACK: 0,0,1,0"), ==, QCOAP_URC_ACK);
  g_assert_cmpint (at_coap_urc_classify ("+COAPACK: 0,0,1,0"), ==, QCOAP_URC_ACK);
  g_assert_cmpint (at_coap_urc_classify ("+QCOAPIND: 0,0,1,1,0"), ==, QCOAP_URC_IND);
  g_assert_cmpint (at_coap_urc_classify ("+QCOAPOPEN: 0,0"), ==, QCOAP_URC_OPEN_RESULT);
  g_assert_cmpint (at_coap_urc_classify ("+QCOAPOPEN: 0,-5"), ==, QCOAP_URC_OPEN_RESULT);
  g_assert_cmpint (at_coap_urc_classify ("+QCOAPOPEN: 0,\"10.0.0.1\",5683,3"), ==,
                   QCOAP_URC_OPEN_STATUS);
  g_assert_cmpint (at_coap_urc_classify ("+QCOAPCLOSE: 1,0"), ==, QCOAP_URC_CLOSE);
  g_assert_cmpint (at_coap_urc_classify ("+QCOAPCFG: \"trans\",2,5"), ==, QCOAP_URC_CFG);
  g_assert_cmpint (at_coap_urc_classify ("+QFUPL: 1758,384a"), ==, QCOAP_URC_QFUPL);
  g_assert_cmpint (at_coap_urc_classify ("OK"), ==, QCOAP_URC_NONE);
  g_assert_cmpint (at_coap_urc_classify ("+QCOAPRECV"), ==, QCOAP_URC_NONE);
  g_assert_cmpint (at_coap_urc_classify (""), ==, QCOAP_URC_NONE);
}

/* --- Simple URCs ------------------------------------------------------------ */

static void
test_ack_parse (void)
{
  QcoapAck ack = { 0 };
  g_autoptr (GError) error = NULL;

  g_assert_true (at_coap_ack_parse ("+QCOAPACK: 0,0,1234,0", &ack, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ack.client_id, ==, 0);
  g_assert_cmpuint (ack.type, ==, QCOAP_TYPE_CON);
  g_assert_cmpuint (ack.message_id, ==, 1234);
  g_assert_cmpint (ack.result, ==, 0);

  g_assert_true (at_coap_ack_parse ("+QCOAPACK: 5,0,65535,-11", &ack, &error));
  g_assert_cmpuint (ack.client_id, ==, 5);
  g_assert_cmpuint (ack.message_id, ==, 65535);
  g_assert_cmpint (ack.result, ==, -11);

  /* The application note's spelling, and no space after the colon. */
  g_assert_true (at_coap_ack_parse ("+COAPACK:3,3,7,0", &ack, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ack.client_id, ==, 3);
  g_assert_cmpuint (ack.type, ==, QCOAP_TYPE_RST);
  g_assert_cmpuint (ack.message_id, ==, 7);

  g_assert_true (at_coap_ack_parse ("+QCOAPACK: 1,1,0,-2147483648", &ack, &error));
  g_assert_cmpint (ack.result, ==, G_MININT);
}

static void
assert_ack_rejected (const char *line)
{
  QcoapAck ack = { 0 };
  g_autoptr (GError) error = NULL;

  g_test_message ("line: %s", line);
  g_assert_false (at_coap_ack_parse (line, &ack, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

static void
test_ack_parse_rejects (void)
{
  assert_ack_rejected ("+QCOAPACK: 6,0,1,0");     /* client ID */
  assert_ack_rejected ("+QCOAPACK: 0,4,1,0");     /* type */
  assert_ack_rejected ("+QCOAPACK: 0,0,65536,0"); /* message ID */
  assert_ack_rejected ("+QCOAPACK: 0,0,99999999999999999999999,0");
  assert_ack_rejected ("+QCOAPACK: 0,0,1,2147483648"); /* result overflow */
  assert_ack_rejected ("+QCOAPACK: 0,0,1,-2147483649");
  assert_ack_rejected ("+QCOAPACK: 0,0,1");     /* missing field */
  assert_ack_rejected ("+QCOAPACK: 0,0,1,0,0"); /* extra field */
  assert_ack_rejected ("+QCOAPACK: 0,0,,0");    /* empty field */
  assert_ack_rejected ("+QCOAPACK: 0,0,-1,0");  /* negative message ID */
  assert_ack_rejected ("+QCOAPACK: 0,0,1,-");
  assert_ack_rejected ("+QCOAPACK: 0,0,0x10,0");
  assert_ack_rejected ("+QCOAPACK: 0,0,\"1\",0"); /* numbers are never quoted */
  assert_ack_rejected ("+QCOAPACK: ");
  assert_ack_rejected ("+QCOAPIND: 0,0,1,0"); /* wrong URC */
}

static void
test_ind_parse (void)
{
  QcoapInd ind = { 0 };
  g_autoptr (GError) error = NULL;

  g_assert_true (at_coap_ind_parse ("+QCOAPIND: 2,0,4660,3,0", &ind, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ind.client_id, ==, 2);
  g_assert_cmpuint (ind.type, ==, 0);
  g_assert_cmpuint (ind.message_id, ==, 4660);
  g_assert_cmpuint (ind.attempt, ==, 3);
  g_assert_cmpint (ind.result, ==, 0);

  g_assert_true (at_coap_ind_parse ("+QCOAPIND: 0,0,1,1,-11", &ind, &error));
  g_assert_cmpint (ind.result, ==, -11);

  g_assert_false (at_coap_ind_parse ("+QCOAPIND: 0,0,1,-1,0", &ind, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (at_coap_ind_parse ("+QCOAPIND: 0,0,1,0", &ind, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

static void
test_open_close_parse (void)
{
  g_autoptr (GError) error = NULL;
  guint id = 99;
  int result = 99;

  g_assert_true (at_coap_open_result_parse ("+QCOAPOPEN: 0,0", &id, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (id, ==, 0);
  g_assert_cmpint (result, ==, 0);
  g_assert_true (at_coap_open_result_parse ("+QCOAPOPEN: 4,-10", &id, &result, &error));
  g_assert_cmpuint (id, ==, 4);
  g_assert_cmpint (result, ==, -10);
  g_assert_true (at_coap_close_result_parse ("+QCOAPCLOSE: 5,0", &id, &result, &error));
  g_assert_cmpuint (id, ==, 5);
  g_assert_cmpint (result, ==, 0);

  g_assert_false (at_coap_close_result_parse ("+QCOAPOPEN: 5,0", &id, &result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (
      at_coap_open_result_parse ("+QCOAPOPEN: 0,\"1.2.3.4\",5683,3", &id, &result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  /* Found by fuzzing: a quoted second field is a status line, not a result. */
  g_assert_false (at_coap_open_result_parse ("+QCOAPOPEN: 1,\"12\"", &id, &result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (at_coap_open_result_parse ("+QCOAPOPEN: 0", &id, &result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

static void
test_open_status_parse (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *host = NULL;
  guint id = 99;
  guint16 port = 0;
  QcoapClientStatus status = QCOAP_STATUS_IDLE;

  g_assert_true (at_coap_open_status_parse ("+QCOAPOPEN: 1,\"127.0.0.1\",5683,3", &id, &host, &port,
                                            &status, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (id, ==, 1);
  g_assert_cmpstr (host, ==, "127.0.0.1");
  g_assert_cmpuint (port, ==, 5683);
  g_assert_cmpint (status, ==, QCOAP_STATUS_CONNECTED);
  g_clear_pointer (&host, g_free);

  /* A host with a comma stays one field. */
  g_assert_true (
      at_coap_open_status_parse ("+QCOAPOPEN: 0,\"a,b\",1,4", &id, &host, &port, &status, &error));
  g_assert_cmpstr (host, ==, "a,b");
  g_assert_cmpint (status, ==, QCOAP_STATUS_DISCONNECTING);
  g_clear_pointer (&host, g_free);

  g_assert_false (
      at_coap_open_status_parse ("+QCOAPOPEN: 0,\"h\",5683,5", &id, &host, &port, &status, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (at_coap_open_status_parse ("+QCOAPOPEN: 0,\"h\",65536,3", &id, &host, &port,
                                             &status, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (
      at_coap_open_status_parse ("+QCOAPOPEN: 0,h,5683,3", &id, &host, &port, &status, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* Held: listed and not idle, with an ID the module has. */
  g_assert_true (at_coap_open_status_lists_held ("+QCOAPOPEN: 5,\"h\",5683,1", &id));
  g_assert_cmpuint (id, ==, 5);
  g_assert_false (at_coap_open_status_lists_held ("+QCOAPOPEN: 2,\"h\",5683,0", &id));
  g_assert_false (at_coap_open_status_lists_held ("+QCOAPOPEN: 6,\"h\",5683,3", &id));
  g_assert_false (at_coap_open_status_lists_held ("+QCOAPOPEN: 0,h,5683,3", &id));
  g_assert_false (
      at_coap_open_status_parse ("+QCOAPOPEN: 0,\"h,5683,3", &id, &host, &port, &status, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_null (host);
}

static void
test_qfupl_parse (void)
{
  g_autoptr (GError) error = NULL;
  gsize size = 0;
  guint16 checksum = 0;

  g_assert_true (at_coap_qfupl_parse ("+QFUPL: 1758,384a", &size, &checksum, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (size, ==, 1758);
  g_assert_cmphex (checksum, ==, 0x384a);
  g_assert_true (at_coap_qfupl_parse ("+QFUPL: 3,FFFF", &size, &checksum, &error));
  g_assert_cmphex (checksum, ==, 0xffff);
  g_assert_true (at_coap_qfupl_parse ("+QFUPL: 0,0", &size, &checksum, &error));
  g_assert_cmpuint (size, ==, 0);
  g_assert_cmphex (checksum, ==, 0);

  g_assert_false (at_coap_qfupl_parse ("+QFUPL: 3,12345", &size, &checksum, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (at_coap_qfupl_parse ("+QFUPL: 3,xyz", &size, &checksum, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (at_coap_qfupl_parse ("+QFUPL: 3", &size, &checksum, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

/* --- +QCOAPRECV ------------------------------------------------------------- */

static QcoapRecv *
parse_recv_ok (const char *line)
{
  g_autoptr (GError) error = NULL;
  QcoapRecv *recv = at_coap_recv_parse (line, &error);

  g_assert_no_error (error);
  g_assert_nonnull (recv);
  return recv;
}

static const QcoapOption *
option_at (const QcoapRecv *recv, guint index)
{
  g_assert_cmpuint (index, <, recv->options->len);
  return g_ptr_array_index (recv->options, index);
}

static void
assert_option_string (const QcoapOption *option, guint16 number, const char *text)
{
  g_autofree char *value = at_coap_option_dup_string (option);

  g_assert_cmpuint (option->number, ==, number);
  g_assert_cmpint (option->format, ==, QCOAP_OPTION_FORMAT_STRING);
  g_assert_cmpstr (value, ==, text);
}

static void
assert_option_bytes (const QcoapOption *option, guint16 number, QcoapOptionFormat format,
                     const void *data, gsize length)
{
  g_assert_cmpuint (option->number, ==, number);
  g_assert_cmpint (option->format, ==, format);
  g_assert_cmpmem (g_bytes_get_data (option->value, NULL), g_bytes_get_size (option->value), data,
                   length);
}

static void
test_recv_parse_spec_example (void)
{
  const guint8 token[] = { 0xd2, 0x04, 0xd5, 0x2e, 0x81, 0x4b };
  g_autoptr (QcoapRecv) recv = parse_recv_ok ("+QCOAPRECV: 0,32977,4.04,6,D204D52E814B,0,17");

  g_assert_cmpuint (recv->client_id, ==, 0);
  g_assert_cmpuint (recv->message_id, ==, 32977);
  g_assert_cmpuint (recv->code, ==, 132);
  g_assert_cmpmem (g_bytes_get_data (recv->token, NULL), g_bytes_get_size (recv->token), token,
                   sizeof token);
  g_assert_cmpuint (recv->options->len, ==, 0);
  g_assert_cmpuint (recv->payload_length, ==, 17);
}

static void
test_recv_parse_typed_options (void)
{
  const guint8 etag[] = { 0xab, 0xcd };
  g_autoptr (QcoapRecv) recv = parse_recv_ok (
      "+QCOAPRECV: "
      "3,1,2.05,2,a1b2,6,4,\"ABCD\",8,\"new\",12,\"50\",14,\"60\",5,\"\",20,\"x=1\",1024");
  const QcoapOption *option;

  g_assert_cmpuint (recv->client_id, ==, 3);
  g_assert_cmpuint (recv->code, ==, 69);
  g_assert_cmpuint (g_bytes_get_size (recv->token), ==, 2);
  g_assert_cmphex (((const guint8 *)g_bytes_get_data (recv->token, NULL))[0], ==, 0xa1);
  g_assert_cmpuint (recv->options->len, ==, 6);
  g_assert_cmpuint (recv->payload_length, ==, 1024);

  assert_option_bytes (option_at (recv, 0), 4, QCOAP_OPTION_FORMAT_OPAQUE, etag, sizeof etag);
  assert_option_string (option_at (recv, 1), 8, "new");
  option = option_at (recv, 2);
  g_assert_cmpuint (option->number, ==, 12);
  g_assert_cmpint (option->format, ==, QCOAP_OPTION_FORMAT_UINT);
  g_assert_cmpuint (option->uint_value, ==, 50);
  option = option_at (recv, 3);
  g_assert_cmpint (option->format, ==, QCOAP_OPTION_FORMAT_UINT);
  g_assert_cmpuint (option->uint_value, ==, 60);
  assert_option_bytes (option_at (recv, 4), 5, QCOAP_OPTION_FORMAT_EMPTY, "", 0);
  assert_option_string (option_at (recv, 5), 20, "x=1");
}

static void
test_recv_parse_commas_and_quotes (void)
{
  g_autoptr (QcoapRecv) recv = parse_recv_ok (
      "+QCOAPRECV: 1,2,2.01,0,,3,8,\"a,b\",8,\"say \"hi\", ok\",20,\"k=\"v\",1,2\",5");

  g_assert_cmpuint (g_bytes_get_size (recv->token), ==, 0);
  g_assert_cmpuint (recv->options->len, ==, 3);
  assert_option_string (option_at (recv, 0), 8, "a,b");
  assert_option_string (option_at (recv, 1), 8, "say \"hi\", ok");
  assert_option_string (option_at (recv, 2), 20, "k=\"v\",1,2");
  g_assert_cmpuint (recv->payload_length, ==, 5);
}

static void
test_recv_parse_untyped_options (void)
{
  /* Option 2 is not in the table; an opaque value that is not hex and a
   * uint that is not a number keep the printed text as bytes. */
  g_autoptr (QcoapRecv) recv = parse_recv_ok (
      "+QCOAPRECV: 0,7,2.05,1,\"0f\",4,2,\"12\",4,\"xyz\",12,\"abc\",60,\"4294967296\",0");
  const guint8 token[] = { 0x0f };

  g_assert_cmpmem (g_bytes_get_data (recv->token, NULL), g_bytes_get_size (recv->token), token,
                   sizeof token);
  assert_option_bytes (option_at (recv, 0), 2, QCOAP_OPTION_FORMAT_OPAQUE, "12", 2);
  assert_option_bytes (option_at (recv, 1), 4, QCOAP_OPTION_FORMAT_OPAQUE, "xyz", 3);
  assert_option_bytes (option_at (recv, 2), 12, QCOAP_OPTION_FORMAT_OPAQUE, "abc", 3);
  assert_option_bytes (option_at (recv, 3), 60, QCOAP_OPTION_FORMAT_OPAQUE, "4294967296", 10);
  g_assert_cmpuint (recv->payload_length, ==, 0);
}

static void
test_recv_parse_unquoted_values (void)
{
  /* The plausible alternative of printing uints without quotes. */
  g_autoptr (QcoapRecv) recv = parse_recv_ok ("+QCOAPRECV: 0,7,2.05,0,,2,12,40,11,\"p\",3");

  g_assert_cmpint (option_at (recv, 0)->format, ==, QCOAP_OPTION_FORMAT_UINT);
  g_assert_cmpuint (option_at (recv, 0)->uint_value, ==, 40);
  assert_option_string (option_at (recv, 1), 11, "p");
}

/* The module reports what it received: payloads over the 1024 bytes it
 * sends, more options than its eight slots. */
static void
test_recv_parse_long_payload (void)
{
  g_autoptr (QcoapRecv) large = parse_recv_ok ("+QCOAPRECV: 0,1,2.05,0,,0,65536");
  g_autoptr (QcoapRecv) largest = parse_recv_ok ("+QCOAPRECV: 0,1,2.05,0,,0, 4294967295 ");

  g_assert_cmpuint (large->payload_length, ==, 65536);
  g_assert_cmpuint (largest->payload_length, ==, G_MAXUINT32);
}

/* As many options as a message may bring (not only the modem's eight
 * slots), each of 200 bytes: a header of 13 000 characters. */
static void
test_recv_parse_many_options (void)
{
  g_autoptr (GString) line = g_string_new ("+QCOAPRECV: 0,9,2.05,0,,64");
  g_autoptr (QcoapRecv) recv = NULL;

  for (guint i = 0; i < 64; i++)
    {
      g_autofree char *value = g_strnfill (200, (char)('a' + i % 26));

      g_string_append_printf (line, ",8,\"%s\"", value);
    }
  g_string_append (line, ",1100");
  recv = parse_recv_ok (line->str);
  g_assert_cmpuint (recv->options->len, ==, 64);
  for (guint i = 0; i < 64; i++)
    {
      g_autofree char *value = g_strnfill (200, (char)('a' + i % 26));

      assert_option_string (option_at (recv, i), 8, value);
    }
  g_assert_cmpuint (recv->payload_length, ==, 1100);
}

/* The leading fields of a header the lexer had to cut. */
static void
test_recv_parse_head (void)
{
  static const guint8 token[] = { 0x0a, 0x0b, 0x0c, 0x0d };
  const char *rejected[] = {
    "+QCOAPRECV: 0,1234,2.05,4,0A0B",        /* cut in the token */
    "+QCOAPRECV: 0,1234,2.05,4,0A0B0C0D,12", /* nothing after the count */
    "+QCOAPRECV: 7,1234,2.05,4,0A0B0C0D,12,8,\"abc",
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapRecv) recv
      = at_coap_recv_parse_head ("+QCOAPRECV: 3,1234,2.05,4,0A0B0C0D,12,8,\"abc", &error);

  g_assert_no_error (error);
  g_assert_cmpuint (recv->client_id, ==, 3);
  g_assert_cmpuint (recv->message_id, ==, 1234);
  g_assert_cmpuint (recv->code, ==, 69);
  g_assert_cmpmem (g_bytes_get_data (recv->token, NULL), g_bytes_get_size (recv->token), token,
                   sizeof token);
  g_assert_cmpuint (recv->options->len, ==, 0);
  g_assert_cmpuint (recv->payload_length, ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (rejected); i++)
    {
      g_autoptr (GError) reject_error = NULL;
      g_autoptr (QcoapRecv) nothing = at_coap_recv_parse_head (rejected[i], &reject_error);

      g_test_message ("line: %s", rejected[i]);
      g_assert_null (nothing);
      g_assert_error (reject_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }
}

static void
assert_option_uint (const QcoapOption *option, guint16 number, guint32 value)
{
  g_assert_cmpuint (option->number, ==, number);
  g_assert_cmpint (option->format, ==, QCOAP_OPTION_FORMAT_UINT);
  g_assert_cmpuint (option->uint_value, ==, value);
}

/* The integer options CoAP defines beyond the modem's table are numbers too:
 * a first block of a large response, a notification, a No-Response echo. */
static void
test_recv_parse_integer_options_beyond_the_table (void)
{
  g_autoptr (QcoapRecv) block
      = parse_recv_ok ("+QCOAPRECV: 0,7,2.05,2,0A0B,3,12,\"0\",23,\"14\",28,\"1500\",1024");
  g_autoptr (QcoapRecv) notification
      = parse_recv_ok ("+QCOAPRECV: 1,8,2.05,1,01,2,6,\"16777215\",27,\"8\",4");
  g_autoptr (QcoapRecv) others
      = parse_recv_ok ("+QCOAPRECV: 2,9,2.04,0,,4,16,\"255\",19,\"22\",31,\"1000\",258,\"26\",0");

  assert_option_uint (option_at (block, 0), 12, 0);
  /* Block2 14: block 0, more to come, 1024-byte blocks (SZX 6). */
  assert_option_uint (option_at (block, 1), 23, 14);
  assert_option_uint (option_at (block, 2), 28, 1500);
  assert_option_uint (option_at (notification, 0), 6, 16777215);
  assert_option_uint (option_at (notification, 1), 27, 8);
  assert_option_uint (option_at (others, 0), 16, 255);
  assert_option_uint (option_at (others, 1), 19, 22);
  assert_option_uint (option_at (others, 2), 31, 1000);
  assert_option_uint (option_at (others, 3), 258, 26);
}

/* String values are printed raw: a '"', a ',' or even '","' inside one stays
 * as it is, and the option count and final length split the line. */
static void
test_recv_parse_raw_strings (void)
{
  g_autoptr (QcoapRecv) quote_comma_quote
      = parse_recv_ok ("+QCOAPRECV: 0,1,2.01,0,,1,8,\"a\",\"b\",7");
  g_autoptr (QcoapRecv) then_another
      = parse_recv_ok ("+QCOAPRECV: 0,1,2.01,0,,2,8,\"a\",\"b\",8,\"c\",7");
  g_autoptr (QcoapRecv) only_quotes
      = parse_recv_ok ("+QCOAPRECV: 0,1,2.01,0,,2,8,\"\"\"\",20,\",\",0");
  g_autoptr (QcoapRecv) empty_values
      = parse_recv_ok ("+QCOAPRECV: 0,1,2.01,0,,3,8,\"\",8,\"\",20,\"\",0");

  assert_option_string (option_at (quote_comma_quote, 0), 8, "a\",\"b");
  assert_option_string (option_at (then_another, 0), 8, "a\",\"b");
  assert_option_string (option_at (then_another, 1), 8, "c");
  assert_option_string (option_at (only_quotes, 0), 8, "\"\"");
  assert_option_string (option_at (only_quotes, 1), 20, ",");
  for (guint i = 0; i < 3; i++)
    assert_option_string (option_at (empty_values, i), i < 2 ? 8 : 20, "");
  g_assert_cmpuint (quote_comma_quote->payload_length, ==, 7);
}

/* A value that holds '",<n>,"' could end there; the cut is taken only if the
 * numbers stay in ascending order and the values fit their formats. */
static void
test_recv_parse_raw_strings_that_look_like_options (void)
{
  /* The earliest cut would make Content-Format 'y",12,"40': not a number. */
  g_autoptr (QcoapRecv) format
      = parse_recv_ok ("+QCOAPRECV: 0,1,2.05,0,,2,8,\"x\",12,\"y\",12,\"40\",0");
  /* The earliest cut would put Location-Path (8) after Uri-Path (11). */
  g_autoptr (QcoapRecv) order
      = parse_recv_ok ("+QCOAPRECV: 0,1,2.05,0,,2,11,\"a\",8,\"b\",11,\"c\",0");
  /* Both cuts fit: the earliest is taken (the ambiguity that remains). */
  g_autoptr (QcoapRecv) ambiguous
      = parse_recv_ok ("+QCOAPRECV: 0,1,2.05,0,,2,8,\"a\",8,\"b\",8,\"c\",0");
  /* The last value reaches the final length, whatever it holds. */
  g_autoptr (QcoapRecv) last = parse_recv_ok ("+QCOAPRECV: 0,1,2.05,0,,1,8,\"a\",8,\"b\",3");

  assert_option_string (option_at (format, 0), 8, "x\",12,\"y");
  assert_option_uint (option_at (format, 1), 12, 40);
  assert_option_string (option_at (order, 0), 11, "a\",8,\"b");
  assert_option_string (option_at (order, 1), 11, "c");
  assert_option_string (option_at (ambiguous, 0), 8, "a");
  assert_option_string (option_at (ambiguous, 1), 8, "b\",8,\"c");
  assert_option_string (option_at (last, 0), 8, "a\",8,\"b");
  g_assert_cmpuint (last->payload_length, ==, 3);
}

/* A hostile line full of places where an option could end: the search
 * tries each (place, option) pair once, so it ends, whether a split fits or
 * (with a last value that cannot be closed) none does. */
static void
test_recv_parse_many_candidate_ends (void)
{
  g_autoptr (GString) line = g_string_new ("+QCOAPRECV: 0,1,2.05,0,,64");
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapRecv) recv = NULL;

  for (guint i = 0; i < 63; i++)
    g_string_append (line, ",8,\"\"");
  g_string_append (line, ",8,\"");
  for (guint i = 0; i < 300; i++)
    g_string_append (line, ",1,\"");
  g_string_append (line, "\",0");
  recv = parse_recv_ok (line->str);
  g_assert_cmpuint (recv->options->len, ==, 64);
  g_clear_pointer (&recv, at_coap_recv_free);

  /* A last value ending in 'x"x' is neither quoted nor bare. */
  g_string_truncate (line, line->len - strlen ("\",0"));
  g_string_append (line, "x\"x,0");
  recv = at_coap_recv_parse (line->str, &error);
  g_assert_null (recv);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

/* A header as long as the lexer keeps (16 KiB), made of look-alike option
 * ends: one that fits is found, one that cannot fit is given up on after a
 * bounded search (it used to take seconds) and says so. */
static void
test_recv_parse_hostile_split_is_bounded (void)
{
  g_autoptr (GString) line = g_string_new ("+QCOAPRECV: 0,1,2.05,0,,64");
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapRecv) recv = NULL;

  while (line->len < 16000)
    g_string_append (line, ",1,\"\"");
  g_string_append (line, ",0");
  recv = parse_recv_ok (line->str);
  g_assert_cmpuint (recv->options->len, ==, 64);
  g_clear_pointer (&recv, at_coap_recv_free);

  /* The last value, 'x"x', is neither quoted nor bare: no split fits. */
  g_string_truncate (line, line->len - strlen (",0"));
  g_string_append (line, "x\"x,0");
  recv = at_coap_recv_parse (line->str, &error);
  g_assert_null (recv);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "too many ways"));
}

static void
test_recv_parse_rejects (void)
{
  const char *lines[] = {
    "+QCOAPRECV: 0,1,2.05,0,,0",                      /* no length */
    "+QCOAPRECV: 0,1,2.05,0,,0,",                     /* empty length */
    "+QCOAPRECV: 0,1,2.05,0,,0,4294967296",           /* length over 32 bits */
    "+QCOAPRECV: 0,1,2.05,0,,0,-1",                   /* negative length */
    "+QCOAPRECV: 0,1,2.05,0,,0,18446744073709551617", /* huge length */
    "+QCOAPRECV: 6,1,2.05,0,,0,0",                    /* client ID */
    "+QCOAPRECV: 0,65536,2.05,0,,0,0",                /* message ID */
    "+QCOAPRECV: 0,1,205,0,,0,0",                     /* code */
    "+QCOAPRECV: 0,1,2.05,9,000000000000000000,0,0",  /* TKL 9 */
    "+QCOAPRECV: 0,1,2.05,2,ABC,0,0",                 /* odd digits */
    "+QCOAPRECV: 0,1,2.05,2,ABCDEF,0,0",              /* 3 bytes for TKL 2 */
    "+QCOAPRECV: 0,1,2.05,2,GHIJ,0,0",                /* not hex */
    "+QCOAPRECV: 0,1,2.05,0,,1,0",                    /* option missing */
    "+QCOAPRECV: 0,1,2.05,0,,1,11,\"a\"",             /* option but no length */
    "+QCOAPRECV: 0,1,2.05,0,,1,11,\"a,0",             /* unclosed quote */
    "+QCOAPRECV: 0,1,2.05,0,,2,11,\"a\",0",           /* fewer options */
    "+QCOAPRECV: 0,1,2.05,0,,0,11,\"a\",0",           /* more options */
    "+QCOAPRECV: 0,1,2.05,0,,1,65536,\"a\",0",        /* option number */
    "+QCOAPRECV: 0,1,2.05,0,,2,1,,0",                 /* one option for two */
    "+QCOAPRECV: 0,1,2.05,0,,65,0",                   /* absurd count */
    "+QCOAPRECV: 0,1,2.05,0,,99999999999999999999,0",
    "+QCOAPRECV: ",
    "+QCOAPRECV:",
    "+QCOAPACK: 0,0,1,0",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (QcoapRecv) recv = at_coap_recv_parse (lines[i], &error);

      g_test_message ("line: %s", lines[i]);
      g_assert_null (recv);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/proto/build/cfg", test_build_cfg);
  g_test_add_func ("/proto/build/open-close", test_build_open_close);
  g_test_add_func ("/proto/build/open-rejects-bad-hosts", test_build_open_rejects_bad_hosts);
  g_test_add_func ("/proto/build/header", test_build_header);
  g_test_add_func ("/proto/build/option", test_build_option);
  g_test_add_func ("/proto/build/send", test_build_send);
  g_test_add_func ("/proto/build/dtls", test_build_dtls);
  g_test_add_func ("/proto/build/psk-rejects", test_build_psk_rejects);
  g_test_add_func ("/proto/build/cipher-suite", test_cipher_suite);
  g_test_add_func ("/proto/qfupl-checksum", test_qfupl_checksum);
  g_test_add_func ("/proto/code/parse", test_code_parse);
  g_test_add_func ("/proto/code/to-string", test_code_to_string);
  g_test_add_func ("/proto/urc/classify", test_urc_classify);
  g_test_add_func ("/proto/urc/ack", test_ack_parse);
  g_test_add_func ("/proto/urc/ack-rejects", test_ack_parse_rejects);
  g_test_add_func ("/proto/urc/ind", test_ind_parse);
  g_test_add_func ("/proto/urc/open-close", test_open_close_parse);
  g_test_add_func ("/proto/urc/open-status", test_open_status_parse);
  g_test_add_func ("/proto/urc/qfupl", test_qfupl_parse);
  g_test_add_func ("/proto/recv/spec-example", test_recv_parse_spec_example);
  g_test_add_func ("/proto/recv/typed-options", test_recv_parse_typed_options);
  g_test_add_func ("/proto/recv/commas-and-quotes", test_recv_parse_commas_and_quotes);
  g_test_add_func ("/proto/recv/untyped-options", test_recv_parse_untyped_options);
  g_test_add_func ("/proto/recv/unquoted-values", test_recv_parse_unquoted_values);
  g_test_add_func ("/proto/recv/integer-options-beyond-the-table",
                   test_recv_parse_integer_options_beyond_the_table);
  g_test_add_func ("/proto/recv/raw-strings", test_recv_parse_raw_strings);
  g_test_add_func ("/proto/recv/raw-strings-that-look-like-options",
                   test_recv_parse_raw_strings_that_look_like_options);
  g_test_add_func ("/proto/recv/many-candidate-ends", test_recv_parse_many_candidate_ends);
  g_test_add_func ("/proto/recv/long-payload", test_recv_parse_long_payload);
  g_test_add_func ("/proto/recv/many-options", test_recv_parse_many_options);
  g_test_add_func ("/proto/recv/head", test_recv_parse_head);
  g_test_add_func ("/proto/recv/hostile-split-is-bounded",
                   test_recv_parse_hostile_split_is_bounded);
  g_test_add_func ("/proto/recv/rejects", test_recv_parse_rejects);
  return g_test_run ();
}
