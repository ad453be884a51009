/* SPDX-License-Identifier: MIT */
/* Unit tests of the simulator's I/O-free pieces: the AT input parser, the
 * command-line splitter, the masking of secrets, the QFUPL checksum and the
 * cellular state's answers. */
#include "sim-at-parser.h"
#include "sim-cellular.h"
#include "sim-coap-format.h"
#include "sim-files.h"

#include <string.h>

/* Feeds @input whole and returns the events, one string per event:
 * "L:text", "O" (overlong), "P:hex", "C" (cancelled), "X" (overflow). The
 * callback-free loop mirrors how the simulator drives the parser. */
typedef void (*ModeSwitch) (SimAtParser *parser, const char *line);

static GPtrArray *
collect_events (const guint8 *input, gsize length, gsize chunk, ModeSwitch on_line)
{
  g_autoptr (SimAtParser) parser = sim_at_parser_new ();
  GPtrArray *events = g_ptr_array_new_with_free_func (g_free);
  gsize offset = 0;

  while (offset < length)
    {
      gsize avail = MIN (chunk, length - offset);
      gsize used = 0;

      while (used < avail)
        {
          SimAtEvent event;
          gsize n = sim_at_parser_feed (parser, input + offset + used, avail - used, &event);

          g_assert_cmpuint (n, >, 0);
          used += n;
          switch (event.kind)
            {
              case SIM_AT_EVENT_NONE:
                break;
              case SIM_AT_EVENT_LINE:
                g_assert_cmpuint (strlen ((const char *)event.data), ==, event.length);
                g_ptr_array_add (events, g_strdup_printf ("L:%s", (const char *)event.data));
                if (on_line != NULL)
                  on_line (parser, (const char *)event.data);
                break;
              case SIM_AT_EVENT_OVERLONG:
                g_ptr_array_add (events, g_strdup ("O"));
                break;
              case SIM_AT_EVENT_PAYLOAD:
                {
                  GString *hex = g_string_new ("P:");

                  for (gsize i = 0; i < event.length; i++)
                    g_string_append_printf (hex, "%02X", event.data[i]);
                  g_ptr_array_add (events, g_string_free (hex, FALSE));
                }
                break;
              case SIM_AT_EVENT_CANCELLED:
                g_ptr_array_add (events, g_strdup ("C"));
                break;
              case SIM_AT_EVENT_OVERFLOW:
                g_ptr_array_add (events, g_strdup ("X"));
                break;
            }
        }
      offset += avail;
    }
  g_ptr_array_add (events, NULL);
  return events;
}

static void
assert_events (const void *input, gsize length, ModeSwitch on_line, const char *const *expected)
{
  /* Whole, and byte by byte: the result must not depend on how reads split. */
  const gsize chunks[] = { 1, 3, length };

  for (guint i = 0; i < G_N_ELEMENTS (chunks); i++)
    {
      g_autoptr (GPtrArray) events = collect_events (input, length, chunks[i], on_line);

      g_assert_cmpstrv ((const char *const *)events->pdata, expected);
    }
}

static void
test_lines (void)
{
  const char input[] = "AT\r\nATE0\rat+gsn\r\n\r";
  const char *expected[] = { "L:AT", "L:ATE0", "L:at+gsn", "L:", NULL };

  assert_events (input, sizeof input - 1, NULL, expected);
}

static void
test_control_bytes_dropped (void)
{
  /* NUL, LF, Esc and Ctrl+Z vanish from lines; backspace edits. */
  const char input[] = "A\0T\x1b\x1a+X\bCGMR\r";
  const char *expected[] = { "L:AT+CGMR", NULL };

  assert_events (input, sizeof input - 1, NULL, expected);
}

static void
test_overlong (void)
{
  g_autoptr (GByteArray) input = g_byte_array_new ();
  const char *expected[] = { "O", "L:AT", NULL };
  guint8 a = 'A';

  for (guint i = 0; i < SIM_AT_MAX_LINE + 10; i++)
    g_byte_array_append (input, &a, 1);
  g_byte_array_append (input, (const guint8 *)"\rAT\r", 4);
  assert_events (input->data, input->len, NULL, expected);
}

static void
test_longest_line_kept (void)
{
  g_autoptr (GString) input = g_string_new ("AT");
  g_autofree char *expected_line = NULL;

  while (input->len < SIM_AT_MAX_LINE)
    g_string_append_c (input, 'x');
  expected_line = g_strconcat ("L:", input->str, NULL);
  g_string_append_c (input, '\r');
  {
    const char *expected[] = { expected_line, NULL };

    assert_events (input->str, input->len, NULL, expected);
  }
}

static void
switch_to_fixed_5 (SimAtParser *parser, const char *line)
{
  if (strcmp (line, "SEND") == 0)
    sim_at_parser_expect_payload (parser, SIM_AT_MODE_FIXED, 5);
}

static void
test_fixed_payload (void)
{
  /* Any byte values, including CR, LF, Ctrl+Z, Esc and NUL. */
  const char input[] = "SEND\r\r\n\x1a\x1b\0AT\r";
  const char *expected[] = { "L:SEND", "P:0D0A1A1B00", "L:AT", NULL };

  assert_events (input, sizeof input - 1, switch_to_fixed_5, expected);
}

static void
switch_to_ctrlz (SimAtParser *parser, const char *line)
{
  if (strcmp (line, "SEND") == 0)
    sim_at_parser_expect_payload (parser, SIM_AT_MODE_CTRLZ, 4);
}

static void
test_ctrlz_payload (void)
{
  /* The stray CR LF after Ctrl+Z is an empty line. */
  const char input[] = "SEND\rab\r\n\x1a\r\nSEND\r\x1a";
  const char *expected[] = { "L:SEND", "P:61620D0A", "L:", "L:SEND", "P:", NULL };

  assert_events (input, sizeof input - 1, switch_to_ctrlz, expected);
}

static void
test_ctrlz_cancel (void)
{
  const char input[] = "SEND\rabc\x1b"
                       "AT\r";
  const char *expected[] = { "L:SEND", "C", "L:AT", NULL };

  assert_events (input, sizeof input - 1, switch_to_ctrlz, expected);
}

static void
test_ctrlz_overflow (void)
{
  /* The fifth byte exceeds the maximum of 4; the rest is a line again. */
  const char input[] = "SEND\rabcdeAT\r";
  const char *expected[] = { "L:SEND", "X", "L:AT", NULL };

  assert_events (input, sizeof input - 1, switch_to_ctrlz, expected);
}

static void
test_reset (void)
{
  g_autoptr (SimAtParser) parser = sim_at_parser_new ();
  SimAtEvent event;

  sim_at_parser_expect_payload (parser, SIM_AT_MODE_FIXED, 10);
  g_assert_cmpuint (sim_at_parser_feed (parser, (const guint8 *)"abc", 3, &event), ==, 3);
  g_assert_cmpint (event.kind, ==, SIM_AT_EVENT_NONE);
  sim_at_parser_reset (parser);
  g_assert_cmpint (sim_at_parser_get_mode (parser), ==, SIM_AT_MODE_LINE);
  g_assert_cmpuint (sim_at_parser_feed (parser, (const guint8 *)"AT\r", 3, &event), ==, 3);
  g_assert_cmpint (event.kind, ==, SIM_AT_EVENT_LINE);
  g_assert_cmpstr ((const char *)event.data, ==, "AT");
}

static void
test_command_kinds (void)
{
  struct
  {
    const char *line;
    const char *name;
    SimAtKind kind;
  } cases[] = {
    { "AT", "", SIM_AT_KIND_EXEC },
    { "ate0", "E0", SIM_AT_KIND_EXEC },
    { "ATI", "I", SIM_AT_KIND_EXEC },
    { "AT+CMEE?", "+CMEE", SIM_AT_KIND_READ },
    { "AT+qcoapcfg=?", "+QCOAPCFG", SIM_AT_KIND_TEST },
    { "AT+CFUN=1,1", "+CFUN", SIM_AT_KIND_WRITE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (SimAtCommand) command = sim_at_command_parse (cases[i].line);

      g_assert_nonnull (command);
      g_assert_cmpstr (command->name, ==, cases[i].name);
      g_assert_cmpint (command->kind, ==, cases[i].kind);
    }
  g_assert_null (sim_at_command_parse ("hello"));
  g_assert_null (sim_at_command_parse ("A"));
  g_assert_null (sim_at_command_parse ("AT+X?1"));
}

static void
test_command_arguments (void)
{
  g_autoptr (SimAtCommand) command
      = sim_at_command_parse ("AT+QCOAPOPTION=0, 0,\"a,b\" ,11,,\"\",65536");
  guint v = 0;
  guint64 v64 = 0;

  g_assert_nonnull (command);
  g_assert_cmpuint (sim_at_command_n_args (command), ==, 7);
  g_assert_true (sim_at_command_get_uint (command, 0, 0, 5, &v));
  g_assert_cmpuint (v, ==, 0);
  g_assert_true (sim_at_command_get_uint (command, 1, 0, 5, &v));
  g_assert_cmpstr (sim_at_command_get_string (command, 2), ==, "a,b");
  g_assert_false (sim_at_command_get_uint (command, 2, 0, 5, &v));  /* quoted */
  g_assert_null (sim_at_command_get_string (command, 3));           /* unquoted */
  g_assert_false (sim_at_command_get_uint (command, 3, 0, 10, &v)); /* above max */
  g_assert_true (sim_at_command_get_uint (command, 3, 11, 11, &v));
  g_assert_false (sim_at_command_get_uint (command, 4, 0, 10, &v)); /* empty */
  g_assert_cmpstr (sim_at_command_get_string (command, 5), ==, "");
  g_assert_false (sim_at_command_get_uint (command, 6, 0, 65535, &v));
  g_assert_true (sim_at_command_get_uint64 (command, 6, G_MAXUINT32, &v64));
  g_assert_cmpuint (v64, ==, 65536);
  g_assert_false (sim_at_command_get_uint (command, 7, 0, 5, &v)); /* absent */

  g_assert_null (sim_at_command_parse ("AT+X=\"open"));
  g_assert_null (sim_at_command_parse ("AT+X=\"a\"b"));
  g_clear_pointer (&command, sim_at_command_free);
  command = sim_at_command_parse ("AT+X=-1");
  g_assert_false (sim_at_command_get_uint (command, 0, 0, 5, &v));
}

static void
test_hex_decode (void)
{
  g_autoptr (GBytes) bytes = sim_at_hex_decode ("0a0B1cFF");
  const guint8 expected[] = { 0x0a, 0x0b, 0x1c, 0xff };

  g_assert_nonnull (bytes);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), expected,
                   sizeof expected);
  g_assert_null (sim_at_hex_decode ("ABC"));
  g_assert_null (sim_at_hex_decode ("G0"));
  g_clear_pointer (&bytes, g_bytes_unref);
  bytes = sim_at_hex_decode ("");
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 0);
}

static void
test_checksum (void)
{
  /* "0123": 0x3031 ^ 0x3233 = 0x0202; "ABC": 0x4142 ^ 0x4300 = 0x0242. */
  g_assert_cmphex (sim_files_checksum ((const guint8 *)"0123", 4), ==, 0x0202);
  g_assert_cmphex (sim_files_checksum ((const guint8 *)"ABC", 3), ==, 0x0242);
  g_assert_cmphex (sim_files_checksum ((const guint8 *)"", 0), ==, 0);
  g_assert_cmphex (sim_files_checksum ((const guint8 *)"\xff", 1), ==, 0xff00);
}

static void
test_file_names (void)
{
  g_autoptr (SimFiles) files = sim_files_new ();
  g_autoptr (GBytes) data = g_bytes_new_static ("x", 1);
  g_autofree char *a = sim_files_canonical_name ("0_server.psk");
  g_autofree char *b = sim_files_canonical_name ("ufs:0_server.psk");
  g_autofree char *c = sim_files_canonical_name ("RAM:0_server.psk");

  g_assert_cmpstr (a, ==, "UFS:0_server.psk");
  g_assert_cmpstr (b, ==, a);
  g_assert_cmpstr (c, ==, "RAM:0_server.psk");
  g_assert_null (sim_files_canonical_name ("UFS:"));
  g_assert_null (sim_files_canonical_name ("SD:x"));

  sim_files_store (files, a, data);
  g_assert_true (sim_files_exists (files, b));
  g_assert_false (sim_files_exists (files, c));
  g_assert_true (sim_files_delete (files, a));
  g_assert_false (sim_files_delete (files, a));
}

static void
assert_psk_rejected (const char *text)
{
  g_autoptr (GBytes) contents = g_bytes_new (text, strlen (text));
  g_autoptr (GError) error = NULL;
  g_autofree char *identity = NULL;
  g_autoptr (GBytes) key = NULL;

  g_assert_false (sim_files_parse_psk (contents, &identity, &key, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
  g_assert_null (key);
}

static void
test_psk_file (void)
{
  g_autoptr (GBytes) contents = g_bytes_new_static ("dev-7&00FfA5\n", 13);
  g_autoptr (GError) error = NULL;
  g_autofree char *identity = NULL;
  g_autoptr (GBytes) key = NULL;
  g_autofree char *long_key = g_strnfill (130, 'a');
  g_autofree char *too_long = g_strconcat ("id&", long_key, NULL);

  g_assert_true (sim_files_parse_psk (contents, &identity, &key, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (identity, ==, "dev-7");
  g_assert_cmpmem (g_bytes_get_data (key, NULL), g_bytes_get_size (key), "\x00\xff\xa5", 3);

  assert_psk_rejected ("");
  assert_psk_rejected ("no-separator");
  assert_psk_rejected ("&00ff");
  assert_psk_rejected ("id&");
  assert_psk_rejected ("id&0ff");
  assert_psk_rejected ("id&zz");
  assert_psk_rejected (too_long);
  too_long[strlen (too_long) - 2] = '\0'; /* 64 bytes: the longest key */
  {
    g_autoptr (GBytes) longest = g_bytes_new (too_long, strlen (too_long));
    g_autofree char *longest_identity = NULL;
    g_autoptr (GBytes) longest_key = NULL;

    g_assert_true (sim_files_parse_psk (longest, &longest_identity, &longest_key, NULL));
    g_assert_cmpuint (g_bytes_get_size (longest_key), ==, 64);
  }
}

static void
test_format_recv (void)
{
  /* ACK 2.05 mid 0x1234, token D204D52E814B, ETag 0A0B, Uri-Path "a,b",
   * Content-Format 0 (zero-length uint), Max-Age 60, If-None-Match, an
   * unknown option 2049 (opaque), payload "hi". */
  CoapPdu pdu = { .type = COAP_TYPE_ACK, .code = 69, .message_id = 0x1234, .token_length = 6 };
  const guint8 token[] = { 0xd2, 0x04, 0xd5, 0x2e, 0x81, 0x4b };
  const guint8 max_age = 60;
  g_autofree char *line = NULL;
  g_autofree char *summary = NULL;

  memcpy (pdu.token, token, sizeof token);
  coap_pdu_add_option (&pdu, 4, (const guint8 *)"\x0a\x0b", 2);
  coap_pdu_add_option (&pdu, 11, (const guint8 *)"a,b", 3);
  coap_pdu_add_option (&pdu, 12, NULL, 0);
  coap_pdu_add_option (&pdu, 14, &max_age, 1);
  coap_pdu_add_option (&pdu, 5, NULL, 0);
  coap_pdu_add_option (&pdu, 2049, (const guint8 *)"\xff", 1);
  pdu.payload = (const guint8 *)"hi";
  pdu.payload_length = 2;

  line = sim_coap_format_recv (3, &pdu);
  g_assert_cmpstr (line, ==,
                   "+QCOAPRECV: 3,4660,2.05,6,D204D52E814B,6,4,\"0A0B\",11,\"a,b\",12,\"0\","
                   "14,\"60\",5,\"\",2049,\"FF\",2");
  summary = sim_coap_describe (&pdu);
  g_assert_true (g_str_has_prefix (summary, "ACK 2.05 mid=4660 token=D204D52E814B ["));
  g_assert_true (g_str_has_suffix (summary, "] payload=2"));

  /* No token, no options, no payload. */
  g_clear_pointer (&line, g_free);
  pdu = (CoapPdu){ .type = COAP_TYPE_NON, .code = 132, .message_id = 1 };
  line = sim_coap_format_recv (0, &pdu);
  g_assert_cmpstr (line, ==, "+QCOAPRECV: 0,1,4.04,0,,0,0");
}

/* String values go out raw, quotes and commas included; Block2 and Size2
 * (integer options the modem cannot send) as decimal numbers. */
static void
test_format_recv_raw_strings (void)
{
  CoapPdu pdu = { .type = COAP_TYPE_ACK, .code = 65, .message_id = 7 };
  const guint8 block2[] = { 0x0e };
  const guint8 size2[] = { 0x05, 0xdc };
  g_autofree char *line = NULL;

  coap_pdu_add_option (&pdu, 8, (const guint8 *)"a\",\"b", 5);
  coap_pdu_add_option (&pdu, 8, (const guint8 *)"\"", 1);
  coap_pdu_add_option (&pdu, 23, block2, sizeof block2);
  coap_pdu_add_option (&pdu, 28, size2, sizeof size2);
  line = sim_coap_format_recv (1, &pdu);
  g_assert_cmpstr (line, ==,
                   "+QCOAPRECV: 1,7,2.01,0,,4,8,\"a\",\"b\",8,\"\"\",23,\"14\",28,\"1500\",0");
}

/* Every integer option the modem receives but cannot send is printed as a
 * decimal number, as AT-INTERFACE.md says: Hop-Limit, Q-Block1, Q-Block2 and
 * No-Response too. */
static void
test_format_recv_received_only (void)
{
  CoapPdu pdu = { .type = COAP_TYPE_ACK, .code = 68, .message_id = 9 };
  const guint8 hop_limit[] = { 0xff };
  const guint8 q_block1[] = { 0x16 };
  const guint8 q_block2[] = { 0x03, 0xe8 };
  const guint8 no_response[] = { 0x1a };
  g_autofree char *line = NULL;

  coap_pdu_add_option (&pdu, 16, hop_limit, sizeof hop_limit);
  coap_pdu_add_option (&pdu, 19, q_block1, sizeof q_block1);
  coap_pdu_add_option (&pdu, 31, q_block2, sizeof q_block2);
  coap_pdu_add_option (&pdu, 258, no_response, sizeof no_response);
  line = sim_coap_format_recv (2, &pdu);
  g_assert_cmpstr (line, ==,
                   "+QCOAPRECV: 2,9,2.04,0,,4,16,\"255\",19,\"22\",31,\"1000\",258,\"26\",0");
}

/* The table of modem-facts.txt that the simulator answers by, against the
 * application note's, written out here on their own. */
static void
test_option_table (void)
{
  const guint settable[] = { 1, 3, 4, 5, 7, 8, 11, 12, 14, 15, 17, 20, 35, 39, 60 };
  guint count = 0;
  guint8 bytes[8];

  for (guint number = 0; number < 100; number++)
    {
      const QcoapModemOption *info = qcoap_modem_option (number);

      if (info != NULL && info->sendable)
        g_assert_cmpuint (number, ==, settable[count++]);
    }
  g_assert_cmpuint (count, ==, G_N_ELEMENTS (settable));
  g_assert_cmpuint (qcoap_modem_option (35)->max_length, ==, 1034);
  g_assert_cmpuint (qcoap_modem_option (4)->min_length, ==, 1);

  g_assert_cmpuint (sim_coap_uint_encode (0, bytes), ==, 0);
  g_assert_cmpuint (sim_coap_uint_encode (300, bytes), ==, 2);
  g_assert_cmphex (bytes[0], ==, 0x01);
  g_assert_cmphex (bytes[1], ==, 0x2c);
  g_assert_cmpuint (sim_coap_uint_decode (bytes, 2), ==, 300);
  g_assert_cmpuint (sim_coap_uint_encode (G_MAXUINT32, bytes), ==, 4);

  g_assert_true (qcoap_modem_takes_code (69));
  g_assert_true (qcoap_modem_takes_code (165));
  g_assert_false (qcoap_modem_takes_code (5));
  g_assert_false (qcoap_modem_takes_code (70));
}

static void
test_mask_argument (void)
{
  const struct
  {
    const char *line;
    const char *masked; /* NULL: nothing to mask */
  } cases[] = {
    { "AT+QICSGP=1,1,\"apn\",\"user\",\"secret\",1",
      "AT+QICSGP=1,1,\"apn\",\"user\",\"********\",1" },
    { "at+qicsgp=1,1,\"a,b\",\"u\",\"p,w\"", "at+qicsgp=1,1,\"a,b\",\"u\",\"********\"" },
    { "AT+QICSGP = 1, 1 ,\"apn\" , \"u\" , bare ,2",
      "AT+QICSGP = 1, 1 ,\"apn\" , \"u\" , ********,2" },
    { "AT+QICSGP=1,1,\"apn\",\"user\",\"open-ended", "AT+QICSGP=1,1,\"apn\",\"user\",\"********" },
    { "AT+QICSGP=1,1,\"apn\"x,\"user\",\"pw\",1", "AT+QICSGP=1,1,\"apn\"********" },
    { "AT+QICSGP=1,1,\"apn,\"user\",\"pw\",1", "AT+QICSGP=1,1,\"apn,\"********" },
    { "AT+QICSGP=1,1,\"apn\",\"user\",\"pw\"x,1", "AT+QICSGP=1,1,\"apn\",\"user\",\"********" },
    { "AT+QICSGP=1,1,\"apn\",\"user\",,1", "AT+QICSGP=1,1,\"apn\",\"user\",********,1" },
    { "AT+QICSGP=1,1,\"apn\",\"user\"", NULL },
    { "AT+QICSGP=1", NULL },
    { "AT+QICSGP?", NULL },
    { "AT+QICSGP=?", NULL },
    { "AT+QICSGPX=1,1,\"a\",\"u\",\"p\"", NULL },
    { "AT+QCOAPOPEN=1,1,\"a\",\"u\",\"p\"", NULL },
    { "QICSGP=1,1,\"a\",\"u\",\"p\"", NULL },
    { "", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *masked = sim_at_mask_argument (cases[i].line, "+QICSGP", 4);

      g_test_message ("%s", cases[i].line);
      g_assert_cmpstr (masked, ==, cases[i].masked);
    }
}

static void
test_cellular_registration (void)
{
  SimCellular cellular;
  g_autofree char *off = NULL;
  g_autofree char *searching = NULL;
  g_autofree char *home = NULL;
  g_autofree char *read = NULL;
  g_autofree char *brief = NULL;

  sim_cellular_init (&cellular);
  g_assert_false (sim_cellular_is_registered (&cellular));
  off = sim_cellular_format_registration (&cellular, SIM_REG_CEREG, FALSE);
  g_assert_null (off);
  cellular.report_mode[SIM_REG_CEREG] = 2;
  searching = sim_cellular_format_registration (&cellular, SIM_REG_CEREG, FALSE);
  g_assert_cmpstr (searching, ==, "+CEREG: 2");
  cellular.status = SIM_REG_ROAMING;
  g_assert_true (sim_cellular_is_registered (&cellular));
  home = sim_cellular_format_registration (&cellular, SIM_REG_CEREG, FALSE);
  g_assert_cmpstr (home, ==, "+CEREG: 5,\"3A9F\",\"1A2D00F\",8");
  read = sim_cellular_format_registration (&cellular, SIM_REG_CEREG, TRUE);
  g_assert_cmpstr (read, ==, "+CEREG: 2,5,\"3A9F\",\"1A2D00F\",8");
  cellular.report_mode[SIM_REG_CREG] = 1;
  brief = sim_cellular_format_registration (&cellular, SIM_REG_CREG, TRUE);
  g_assert_cmpstr (brief, ==, "+CREG: 1,5");
  sim_cellular_clear (&cellular);
}

static void
test_cellular_signal (void)
{
  const struct
  {
    int rsrp;
    SimSignal expected;
  } cases[] = {
    /* rssi, csq, rsrq, sinr, sinr code, srxlev */
    { -140, { -113, 0, -20, -7, 65, 0 } },
    { -120, { -95, 9, -16, 2, 110, 8 } },
    { -87, { -62, 25, -10, 19, 195, 41 } },
    { -44, { -51, 31, -3, 30, 250, 84 } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      SimSignal signal;

      sim_cellular_derive_signal (cases[i].rsrp, &signal);
      g_assert_cmpint (signal.rssi_dbm, ==, cases[i].expected.rssi_dbm);
      g_assert_cmpuint (signal.csq, ==, cases[i].expected.csq);
      g_assert_cmpint (signal.rsrq_db, ==, cases[i].expected.rsrq_db);
      g_assert_cmpint (signal.sinr_db, ==, cases[i].expected.sinr_db);
      g_assert_cmpuint (signal.sinr_code, ==, cases[i].expected.sinr_code);
      g_assert_cmpint (signal.srxlev, ==, cases[i].expected.srxlev);
    }
}

static void
test_cellular_contexts (void)
{
  SimCellular cellular;
  g_autofree char *fresh = NULL;
  g_autofree char *text = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *v4 = NULL;
  g_autofree char *v6 = NULL;

  sim_cellular_init (&cellular);
  fresh = sim_cellular_format_qicsgp (&cellular, 16, FALSE);
  g_assert_cmpstr (fresh, ==, "+QICSGP: 1,\"\",\"\",\"\",0");
  sim_cellular_set_settings (&cellular, 3, SIM_PDP_IPV4V6, "apn", "me", "pw", 3);
  text = sim_cellular_format_qicsgp (&cellular, 3, FALSE);
  shown = sim_cellular_format_qicsgp (&cellular, 3, TRUE);
  g_assert_cmpstr (text, ==, "+QICSGP: 3,\"apn\",\"me\",\"pw\",3");
  g_assert_cmpstr (shown, ==, "+QICSGP: 3,\"apn\",\"me\",\"********\",3");
  v4 = sim_cellular_format_qiact (&cellular, 3);
  g_assert_cmpstr (v4, ==, "+QIACT: 3,1,3,\"10.64.0.3\"");
  sim_cellular_set_settings (&cellular, 12, SIM_PDP_IPV6, "", "", "", 0);
  v6 = sim_cellular_format_qiact (&cellular, 12);
  g_assert_cmpstr (v6, ==, "+QIACT: 12,1,2,\"2001:DB8:0:C::1\"");
  g_assert_cmpint (sim_cellular_get_state (&cellular, 0), ==, SIM_PDP_INACTIVE);
  g_assert_cmpint (sim_cellular_get_state (&cellular, 17), ==, SIM_PDP_INACTIVE);
  sim_cellular_set_state (&cellular, 16, SIM_PDP_DROPPED);
  g_assert_cmpint (sim_cellular_get_state (&cellular, 16), ==, SIM_PDP_DROPPED);
  sim_cellular_clear (&cellular);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/at-parser/lines", test_lines);
  g_test_add_func ("/sim/at-parser/control-bytes-dropped", test_control_bytes_dropped);
  g_test_add_func ("/sim/at-parser/overlong", test_overlong);
  g_test_add_func ("/sim/at-parser/longest-line-kept", test_longest_line_kept);
  g_test_add_func ("/sim/at-parser/fixed-payload", test_fixed_payload);
  g_test_add_func ("/sim/at-parser/ctrlz-payload", test_ctrlz_payload);
  g_test_add_func ("/sim/at-parser/ctrlz-cancel", test_ctrlz_cancel);
  g_test_add_func ("/sim/at-parser/ctrlz-overflow", test_ctrlz_overflow);
  g_test_add_func ("/sim/at-parser/reset", test_reset);
  g_test_add_func ("/sim/at-command/kinds", test_command_kinds);
  g_test_add_func ("/sim/at-command/arguments", test_command_arguments);
  g_test_add_func ("/sim/at-command/hex", test_hex_decode);
  g_test_add_func ("/sim/at-command/mask-argument", test_mask_argument);
  g_test_add_func ("/sim/cellular/registration", test_cellular_registration);
  g_test_add_func ("/sim/cellular/signal", test_cellular_signal);
  g_test_add_func ("/sim/cellular/contexts", test_cellular_contexts);
  g_test_add_func ("/sim/files/checksum", test_checksum);
  g_test_add_func ("/sim/files/names", test_file_names);
  g_test_add_func ("/sim/files/psk", test_psk_file);
  g_test_add_func ("/sim/format/recv", test_format_recv);
  g_test_add_func ("/sim/format/recv-raw-strings", test_format_recv_raw_strings);
  g_test_add_func ("/sim/format/recv-received-only", test_format_recv_received_only);
  g_test_add_func ("/sim/format/options", test_option_table);
  return g_test_run ();
}
