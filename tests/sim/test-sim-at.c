/* SPDX-License-Identifier: MIT */
/* AT-level integration tests of bg96-sim: a real coap-server on a free
 * 127.0.0.1 port, the simulator on a pty, and the test speaking AT like a
 * host, asserting whole transcripts. */
#define _GNU_SOURCE
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TIMEOUT_MS 3000

/* Shared by all tests: one coap-server for the whole program. */
static HarnessCoapServer *coap_server;

typedef struct
{
  char *dir;
  HarnessSim *sim;
  HarnessSerial *serial;
  int peer_fd; /* a silent UDP "server" the test controls, or -1 */
  guint16 peer_port;
} Fixture;

/* What the module prints when it boots, up to APP RDY. */
#define BOOT_URCS                                                                                  \
  "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\n+QUSIM: 1\r\n\r\n+QIND: SMS DONE\r\n"        \
  "\r\nAPP RDY\r\n"

/* --network-ready: these tests talk CoAP at once, to a module whose
 * firmware has registered and activated context 1 by itself. */
static const char *const fast_sim[] = { "--boot-delay", "50", "--reset-silence", "300",
                                        "--time-scale", "20", "--network-ready", NULL };

/* ---- helpers ---- */

static char *
escape (const guint8 *data, gsize length)
{
  GString *text = g_string_new (NULL);

  for (gsize i = 0; i < length; i++)
    {
      if (data[i] == '\r')
        g_string_append (text, "\\r");
      else if (data[i] == '\n')
        g_string_append (text, "\\n");
      else if (data[i] < 0x20 || data[i] >= 0x7f)
        g_string_append_printf (text, "\\x%02x", data[i]);
      else
        g_string_append_c (text, (char)data[i]);
    }
  return g_string_free (text, FALSE);
}

static void
assert_bytes (const GByteArray *actual, const void *expected, gsize expected_length)
{
  g_autofree char *a = escape (actual->data, actual->len);
  g_autofree char *e = escape (expected, expected_length);

  g_assert_cmpstr (a, ==, e);
}

/* Sends @command and asserts the whole answer, echo included. */
static void
assert_exchange (Fixture *f, const char *command, const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) reply = harness_serial_command (f->serial, command, TIMEOUT_MS, &error);

  g_assert_no_error (error);
  assert_bytes (reply, expected, strlen (expected));
}

/* Reads until @last arrives and asserts everything read equals @expected. */
static void
assert_urcs (Fixture *f, const char *expected, const char *last)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) buffer = g_byte_array_new ();

  harness_serial_read_until (f->serial, buffer, last, TIMEOUT_MS, &error);
  g_assert_no_error (error);
  assert_bytes (buffer, expected, strlen (expected));
}

static void
assert_quiet (Fixture *f, guint ms)
{
  g_autoptr (GByteArray) buffer = g_byte_array_new ();

  harness_serial_read_for (f->serial, buffer, ms);
  assert_bytes (buffer, "", 0);
}

static char *
control (Fixture *f, const char *command)
{
  g_autoptr (GError) error = NULL;
  char *answer = harness_sim_control (f->sim, command, 5000, &error);

  g_assert_no_error (error);
  return answer;
}

static void
echo_off (Fixture *f)
{
  assert_exchange (f, "ATE0", "ATE0\r\r\nOK\r\n");
}

static void
open_client (Fixture *f, guint id, guint16 port)
{
  g_autofree char *command = g_strdup_printf ("AT+QCOAPOPEN=%u,\"127.0.0.1\",%u", id, port);
  g_autofree char *urc = g_strdup_printf ("\r\n+QCOAPOPEN: %u,0\r\n", id);

  assert_exchange (f, command, "\r\nOK\r\n");
  assert_urcs (f, urc, urc);
}

/* ---- the silent peer ---- */

static void
open_peer (Fixture *f)
{
  struct sockaddr_in address = { .sin_family = AF_INET };
  socklen_t length = sizeof address;

  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  f->peer_fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (f->peer_fd, >=, 0);
  g_assert_cmpint (bind (f->peer_fd, (struct sockaddr *)&address, sizeof address), ==, 0);
  g_assert_cmpint (getsockname (f->peer_fd, (struct sockaddr *)&address, &length), ==, 0);
  f->peer_port = ntohs (address.sin_port);
}

/* Receives one datagram within @timeout_ms (NULL if none) and remembers
 * where it came from, so peer_send answers there. */
static struct sockaddr_in peer_last_sender;

static GBytes *
peer_receive (Fixture *f, guint timeout_ms)
{
  struct pollfd pfd = { .fd = f->peer_fd, .events = POLLIN };
  guint8 buffer[2048];
  socklen_t length = sizeof peer_last_sender;
  ssize_t n;

  if (poll (&pfd, 1, timeout_ms) <= 0)
    return NULL;
  n = recvfrom (f->peer_fd, buffer, sizeof buffer, 0, (struct sockaddr *)&peer_last_sender,
                &length);
  g_assert_cmpint (n, >, 0);
  return g_bytes_new (buffer, n);
}

static void
peer_send (Fixture *f, const void *data, gsize length)
{
  g_assert_cmpint (sendto (f->peer_fd, data, length, 0, (struct sockaddr *)&peer_last_sender,
                           sizeof peer_last_sender),
                   ==, (gssize)length);
}

static void
assert_datagram (GBytes *datagram, const void *expected, gsize length)
{
  g_autoptr (GByteArray) actual = g_byte_array_new ();

  g_assert_nonnull (datagram);
  g_byte_array_append (actual, g_bytes_get_data (datagram, NULL), g_bytes_get_size (datagram));
  assert_bytes (actual, expected, length);
}

/* ---- fixture ---- */

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  const char *const *args = data != NULL ? data : fast_sim;
  g_autoptr (GError) error = NULL;

  f->peer_fd = -1;
  f->dir = harness_make_temp_dir ();
  g_assert_nonnull (f->dir);
  f->sim = harness_sim_start (f->dir, args, &error);
  g_assert_no_error (error);
  f->serial = harness_serial_open (f->sim->link_path, &error);
  g_assert_no_error (error);
}

/* Without the harness's defaults: the modem powers up unregistered. */
static void
fixture_set_up_bare (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->peer_fd = -1;
  f->dir = harness_make_temp_dir ();
  g_assert_nonnull (f->dir);
  f->sim = harness_sim_start_bare (f->dir, data, &error);
  g_assert_no_error (error);
  f->serial = harness_serial_open (f->sim->link_path, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->serial, harness_serial_close);
  if (f->peer_fd >= 0)
    close (f->peer_fd);
  if (g_test_failed () && f->sim != NULL)
    {
      g_autofree char *log = NULL;

      if (g_file_get_contents (f->sim->log_path, &log, NULL, NULL))
        g_test_message ("simulator log:\n%s", log);
    }
  g_clear_pointer (&f->sim, harness_sim_free);
  harness_remove_temp_dir (f->dir);
  g_free (f->dir);
}

/* ---- basic commands ---- */

static void
test_echo (Fixture *f, gconstpointer data)
{
  assert_exchange (f, "AT", "AT\r\r\nOK\r\n");
  assert_exchange (f, "at", "at\r\r\nOK\r\n");
  /* The line that turns echo off is still echoed; the next is not. */
  assert_exchange (f, "ATE0", "ATE0\r\r\nOK\r\n");
  assert_exchange (f, "AT", "\r\nOK\r\n");
  assert_exchange (f, "ATE1", "\r\nOK\r\n");
  assert_exchange (f, "AT", "AT\r\r\nOK\r\n");
}

static void
test_identification (Fixture *f, gconstpointer data)
{
  echo_off (f);
  assert_exchange (f, "ATI", "\r\nQuectel\r\nBG96\r\nRevision: BG96MAR02A07M1G\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+GSN", "\r\n866425030123457\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+GSN=?", "\r\nOK\r\n");
  assert_exchange (f, "AT+CGMR", "\r\nBG96MAR02A07M1G\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+CGMR=?", "\r\nOK\r\n");
  assert_exchange (f, "AT+CFUN?", "\r\n+CFUN: 1\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+CFUN=?", "\r\n+CFUN: (0,1,4),(0,1)\r\n\r\nOK\r\n");
}

static void
test_cme_formats (Fixture *f, gconstpointer data)
{
  echo_off (f);
  assert_exchange (f, "AT+CMEE=?", "\r\n+CMEE: (0-2)\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+CMEE?", "\r\n+CMEE: 1\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QFDEL=\"UFS:missing\"", "\r\n+CME ERROR: 405\r\n");
  assert_exchange (f, "AT+CMEE=2", "\r\nOK\r\n");
  assert_exchange (f, "AT+QFDEL=\"UFS:missing\"", "\r\n+CME ERROR: File not found\r\n");
  assert_exchange (f, "AT+CMEE=0", "\r\nOK\r\n");
  assert_exchange (f, "AT+CMEE?", "\r\n+CMEE: 0\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QFDEL=\"UFS:missing\"", "\r\nERROR\r\n");
  assert_exchange (f, "AT+CMEE=3", "\r\nERROR\r\n");
}

static void
test_file_upload (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) reply = NULL;

  echo_off (f);
  assert_exchange (f, "AT+QFUPL=\"UFS:0_server.psk\",7", "\r\nCONNECT\r\n");
  /* "id&0102" as big-endian words: 6964 ^ 2630 ^ 3130 ^ 3200 = 4c64. */
  reply = harness_serial_exchange (f->serial, "id&0102", 7, TIMEOUT_MS, &error);
  g_assert_no_error (error);
  assert_bytes (reply, "\r\n+QFUPL: 7,4c64\r\n\r\nOK\r\n", 24);
  assert_exchange (f, "AT+QFUPL=\"UFS:0_server.psk\",7", "\r\n+CME ERROR: 407\r\n");
  assert_exchange (f, "AT+QFDEL=\"UFS:0_server.psk\"", "\r\nOK\r\n");
  assert_exchange (f, "AT+QFDEL=\"UFS:0_server.psk\"", "\r\n+CME ERROR: 405\r\n");

  /* Bytes are stored verbatim: CR, LF, Ctrl+Z, Esc and NUL are data. */
  assert_exchange (f, "AT+QFUPL=\"1_server.psk\",5", "\r\nCONNECT\r\n");
  g_clear_pointer (&reply, g_byte_array_unref);
  reply = harness_serial_exchange (f->serial, "\r\n\x1a\x1b\0", 5, TIMEOUT_MS, &error);
  g_assert_no_error (error);
  /* 0d0a ^ 1a1b ^ 0000 = 1711 */
  assert_bytes (reply, "\r\n+QFUPL: 5,1711\r\n\r\nOK\r\n", 24);
  assert_exchange (f, "AT+QFUPL=?",
                   "\r\n+QFUPL: \"<filename>\",(1-10240),(1-65535),(0,1)\r\n\r\nOK\r\n");
}

static void
test_reset (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  const char boot[] = BOOT_URCS;
  gint64 powered_down;

  echo_off (f);
  assert_exchange (f, "AT+CMEE=2", "\r\nOK\r\n");
  open_client (f, 0, coap_server->port);
  assert_exchange (f, "AT+CFUN=1,1", "\r\nOK\r\n");
  assert_urcs (f, "\r\nPOWERED DOWN\r\n", "POWERED DOWN\r\n");
  powered_down = g_get_monotonic_time ();

  /* A command in the silence gets no answer at all. */
  harness_serial_write (f->serial, "AT\r", 3, &error);
  g_assert_no_error (error);
  harness_serial_read_until (f->serial, buffer, "APP RDY\r\n", TIMEOUT_MS, &error);
  g_assert_no_error (error);
  assert_bytes (buffer, boot, sizeof boot - 1);
  g_assert_cmpint (g_get_monotonic_time () - powered_down, >=, 250 * 1000);

  /* Factory state again: echo on, numeric errors, no sessions. */
  assert_exchange (f, "AT", "AT\r\r\nOK\r\n");
  assert_exchange (f, "AT+QFDEL=\"nothing\"", "AT+QFDEL=\"nothing\"\r\r\n+CME ERROR: 405\r\n");
  assert_exchange (f, "AT+QCOAPOPEN?", "AT+QCOAPOPEN?\r\r\nOK\r\n");
}

/* ---- CoAP configuration and sessions ---- */

static void
test_coapcfg (Fixture *f, gconstpointer data)
{
  echo_off (f);
  assert_exchange (f, "AT+QCOAPCFG=?",
                   "\r\n+QCOAPCFG: \"pdpcid\",(0-5),(1-16)\r\n"
                   "\r\n+QCOAPCFG: \"dtls\",(0-5),(0,1),(0-5)\r\n"
                   "\r\n+QCOAPCFG: \"trans\",(0-5),(2-60),(4-8)\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPCFG=\"pdpcid\",0", "\r\n+QCOAPCFG: \"pdpcid\",1\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPCFG=\"dtls\",0", "\r\n+QCOAPCFG: \"dtls\",0,0\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPCFG=\"trans\",0", "\r\n+QCOAPCFG: \"trans\",2,5\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPCFG=\"pdpcid\",5,16", "\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPCFG=\"pdpcid\",5", "\r\n+QCOAPCFG: \"pdpcid\",16\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPCFG=\"dtls\",5,1,5", "\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPCFG=\"dtls\",5", "\r\n+QCOAPCFG: \"dtls\",1,5\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPCFG=\"trans\",5,60,8", "\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPCFG=\"trans\",5", "\r\n+QCOAPCFG: \"trans\",60,8\r\n\r\nOK\r\n");
  /* Per client ID. */
  assert_exchange (f, "AT+QCOAPCFG=\"trans\",4", "\r\n+QCOAPCFG: \"trans\",2,5\r\n\r\nOK\r\n");
}

static void
test_open_close (Fixture *f, gconstpointer data)
{
  g_autofree char *command = NULL;
  g_autofree char *listing = NULL;
  g_autofree char *answer = NULL;

  echo_off (f);
  assert_exchange (f, "AT+QCOAPOPEN=?",
                   "\r\n+QCOAPOPEN: (0-5),\"<server>\",(1-65535)\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPOPEN?", "\r\nOK\r\n");
  open_client (f, 0, coap_server->port);
  listing
      = g_strdup_printf ("\r\n+QCOAPOPEN: 0,\"127.0.0.1\",%u,3\r\n\r\nOK\r\n", coap_server->port);
  assert_exchange (f, "AT+QCOAPOPEN?", listing);

  command = g_strdup_printf ("AT+QCOAPOPEN=0,\"127.0.0.1\",%u", coap_server->port);
  assert_exchange (f, command, "\r\nOK\r\n");
  assert_urcs (f, "\r\n+QCOAPOPEN: 0,-10\r\n", "-10\r\n");

  g_clear_pointer (&command, g_free);
  command = g_strdup_printf ("AT+QCOAPOPEN=1,\"localhost\",%u", coap_server->port);
  assert_exchange (f, command, "\r\nOK\r\n");
  assert_urcs (f, "\r\n+QCOAPOPEN: 1,0\r\n", "1,0\r\n");

  assert_exchange (f, "AT+QCOAPOPEN=2,\"coap.example.invalid\",5683", "\r\nOK\r\n");
  assert_urcs (f, "\r\n+QCOAPOPEN: 2,-5\r\n", "-5\r\n");

  assert_exchange (f, "AT+QCOAPCLOSE=?", "\r\n+QCOAPCLOSE: (0-5)\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPCLOSE=0", "\r\nOK\r\n");
  assert_urcs (f, "\r\n+QCOAPCLOSE: 0,0\r\n", "0,0\r\n");
  assert_exchange (f, "AT+QCOAPCLOSE=0", "\r\nERROR\r\n");
  assert_exchange (f, "AT+QCOAPCLOSE=2", "\r\nERROR\r\n");

  /* The network drops the data call: sessions go, opens fail with -4. */
  answer = control (f, "pdp-drop");
  g_assert_cmpstr (answer, ==, "OK");
  assert_urcs (f, "\r\n+QIURC: \"pdpdeact\",1\r\n", "pdpdeact\",1\r\n");
  assert_exchange (f, "AT+QCOAPOPEN?", "\r\nOK\r\n");
  g_clear_pointer (&command, g_free);
  command = g_strdup_printf ("AT+QCOAPOPEN=3,\"127.0.0.1\",%u", coap_server->port);
  assert_exchange (f, command, "\r\nOK\r\n");
  assert_urcs (f, "\r\n+QCOAPOPEN: 3,-4\r\n", "-4\r\n");
  g_clear_pointer (&answer, g_free);
  answer = control (f, "pdp-restore");
  g_assert_cmpstr (answer, ==, "OK");
  open_client (f, 3, coap_server->port);
}

/* ---- CoAP exchanges with the real server ---- */

/* Reads up to and including the next +QCOAPRECV and its payload into
 * @buffer; returns the URC line's fields and puts the payload in @payload. */
static GStrv
read_recv (Fixture *f, GByteArray *buffer, GByteArray *payload)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *line = NULL;
  gsize line_start;
  guint64 length;
  char **fields;

  harness_serial_read_until (f->serial, buffer, "+QCOAPRECV: ", TIMEOUT_MS, &error);
  g_assert_no_error (error);
  line_start = buffer->len;
  harness_serial_read_until (f->serial, buffer, "\r\n", TIMEOUT_MS, &error);
  g_assert_no_error (error);
  line = g_strndup ((const char *)buffer->data + line_start, buffer->len - line_start - 2);
  fields = g_strsplit (line, ",", -1);
  g_assert_true (
      g_ascii_string_to_unsigned (fields[g_strv_length (fields) - 1], 10, 0, 65535, &length, NULL));
  /* Exactly <length> bytes, then CR LF. */
  harness_serial_read_bytes (f->serial, payload, length, TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_byte_array_append (buffer, payload->data, payload->len);
  harness_serial_read_bytes (f->serial, buffer, 2, TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (buffer->data + buffer->len - 2, 2, "\r\n", 2);
  return fields;
}

static void
send_ctrlz_request (Fixture *f, const char *send_command)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) reply = NULL;

  assert_exchange (f, send_command, "\r\n> ");
  reply = harness_serial_exchange (f->serial, "\x1a", 1, TIMEOUT_MS, &error);
  g_assert_no_error (error);
  assert_bytes (reply, "\r\nOK\r\n", 6);
}

static void
test_get_time (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  g_autoptr (GByteArray) payload = g_byte_array_new ();
  g_auto (GStrv) fields = NULL;
  g_autofree char *text = NULL;
  const char *ack = "\r\n+QCOAPACK: 0,0,4660,0\r\n";

  echo_off (f);
  open_client (f, 0, coap_server->port);
  assert_exchange (f, "AT+QCOAPHEADER=0,4660,0,4,\"0A0B0C0D\"", "\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPOPTION=0,0,0,11,\"time\"", "\r\nOK\r\n");
  send_ctrlz_request (f, "AT+QCOAPSEND=0,0,1,1");

  fields = read_recv (f, buffer, payload);
  /* The ACK's outcome comes first, then the piggybacked response. */
  g_assert_cmpmem (buffer->data, strlen (ack), ack, strlen (ack));
  g_assert_cmpstr (fields[0], ==, "0");
  g_assert_cmpstr (fields[1], ==, "4660");
  g_assert_cmpstr (fields[2], ==, "2.05");
  g_assert_cmpstr (fields[3], ==, "4");
  g_assert_cmpstr (fields[4], ==, "0A0B0C0D");
  g_assert_cmpuint (g_strv_length (fields), ==, 7 + 2 * atoi (fields[5]));
  text = g_strndup ((const char *)payload->data, payload->len);
  g_assert_true (
      g_regex_match_simple ("^[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}$", text, 0, 0));
}

static void
test_put_get_binary (Fixture *f, gconstpointer data)
{
  const guint8 body[]
      = { 'B', '\r', '\n', 0x1a, 0x1b, 0x00, '\r', '\n', 'O', 'K', '\r', '\n', 0xff };
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) reply = NULL;
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  g_autoptr (GByteArray) payload = g_byte_array_new ();
  g_auto (GStrv) fields = NULL;
  g_autofree char *send = g_strdup_printf ("AT+QCOAPSEND=0,0,3,1,%" G_GSIZE_FORMAT, sizeof body);

  echo_off (f);
  open_client (f, 0, coap_server->port);
  assert_exchange (f, "AT+QCOAPHEADER=0,100,0,1,\"77\"", "\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPOPTION=0,0,0,11,\"example_data\"", "\r\nOK\r\n");
  assert_exchange (f, send, "\r\n> ");
  reply = harness_serial_exchange (f->serial, body, sizeof body, TIMEOUT_MS, &error);
  g_assert_no_error (error);
  assert_bytes (reply, "\r\nOK\r\n", 6);
  fields = read_recv (f, buffer, payload);
  /* 2.01 the first time the server's resource is written, 2.04 after. */
  g_assert_true (g_str_equal (fields[2], "2.01") || g_str_equal (fields[2], "2.04"));

  assert_exchange (f, "AT+QCOAPHEADER=0,101,0,1,\"78\"", "\r\nOK\r\n");
  send_ctrlz_request (f, "AT+QCOAPSEND=0,0,1,1");
  g_byte_array_set_size (buffer, 0);
  g_clear_pointer (&fields, g_strfreev);
  fields = read_recv (f, buffer, payload);
  g_assert_cmpstr (fields[1], ==, "101");
  g_assert_cmpstr (fields[2], ==, "2.05");
  g_assert_cmpstr (fields[4], ==, "78");
  g_assert_cmpmem (payload->data, payload->len, body, sizeof body);
}

static void
test_not_found (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  g_autoptr (GByteArray) payload = g_byte_array_new ();
  g_auto (GStrv) fields = NULL;

  echo_off (f);
  open_client (f, 0, coap_server->port);
  assert_exchange (f, "AT+QCOAPHEADER=0,7,0,2,\"ABCD\"", "\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPOPTION=0,0,0,11,\"no\"", "\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPOPTION=0,0,1,11,\"such\"", "\r\nOK\r\n");
  send_ctrlz_request (f, "AT+QCOAPSEND=0,0,1,3");
  fields = read_recv (f, buffer, payload);
  g_assert_cmpstr (fields[1], ==, "7");
  g_assert_cmpstr (fields[2], ==, "4.04");
  g_assert_cmpstr (fields[4], ==, "ABCD");
}

static void
test_non_post (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  g_autoptr (GByteArray) payload = g_byte_array_new ();
  g_auto (GStrv) fields = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) reply = NULL;
  const char *ack = "\r\n+QCOAPACK: 0,1,300,0\r\n";

  echo_off (f);
  open_client (f, 0, coap_server->port);
  assert_exchange (f, "AT+QCOAPHEADER=0,300,0,2,\"0101\"", "\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPOPTION=0,0,0,11,\"example_data\"", "\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPSEND=0,1,2,1", "\r\n> ");
  reply = harness_serial_exchange (f->serial, "hi\x1a", 3, TIMEOUT_MS, &error);
  g_assert_no_error (error);
  assert_bytes (reply, "\r\nOK\r\n", 6);
  /* Sent at once: the outcome follows OK; then the server's NON 4.05. */
  fields = read_recv (f, buffer, payload);
  g_assert_cmpmem (buffer->data, strlen (ack), ack, strlen (ack));
  g_assert_cmpstr (fields[2], ==, "4.05");
  g_assert_cmpstr (fields[4], ==, "0101");
}

static void
test_async_separate_response (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  g_autoptr (GByteArray) payload = g_byte_array_new ();
  g_auto (GStrv) fields = NULL;
  const char *ack = "\r\n+QCOAPACK: 0,0,40,0\r\n";

  echo_off (f);
  open_client (f, 0, coap_server->port);
  assert_exchange (f, "AT+QCOAPHEADER=0,40,0,2,\"A5A5\"", "\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPOPTION=0,0,0,11,\"async\"", "\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPOPTION=0,0,1,15,\"1\"", "\r\nOK\r\n");
  send_ctrlz_request (f, "AT+QCOAPSEND=0,0,1,3");
  /* The server's empty ACK ends the CON; a second later the response
   * arrives as a CON of its own, with a new message ID and our token. */
  fields = read_recv (f, buffer, payload);
  g_assert_cmpmem (buffer->data, strlen (ack), ack, strlen (ack));
  g_assert_cmpstr (fields[1], !=, "40");
  g_assert_cmpstr (fields[2], ==, "2.05");
  g_assert_cmpstr (fields[4], ==, "A5A5");
  /* Acknowledged by the simulator, so the server does not repeat it. */
  assert_quiet (f, 2500);
}

/* ---- CoAP against a peer the test controls ---- */

static void
test_retransmission_exhausted (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) expected = g_byte_array_new ();
  g_autoptr (GBytes) first = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  gint64 start;

  echo_off (f);
  open_peer (f);
  open_client (f, 0, f->peer_port);
  assert_exchange (f, "AT+QCOAPCFG=\"trans\",0,2,4", "\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPHEADER=0,555,0,0", "\r\nOK\r\n");
  start = g_get_monotonic_time ();
  send_ctrlz_request (f, "AT+QCOAPSEND=0,0,1,0");

  /* 2 s scaled by 20, randomised ×1..1.5, doubling: 0.1+0.2+0.4+0.8+1.6 s. */
  harness_serial_read_until (f->serial, buffer, "+QCOAPACK", 10000, &error);
  g_assert_no_error (error);
  harness_serial_read_until (f->serial, buffer, "-11\r\n", 1000, &error);
  g_assert_no_error (error);
  for (guint n = 1; n <= 4; n++)
    {
      g_autofree char *line = g_strdup_printf ("\r\n+QCOAPIND: 0,0,555,%u,0\r\n", n);

      g_byte_array_append (expected, (const guint8 *)line, strlen (line));
    }
  g_byte_array_append (expected, (const guint8 *)"\r\n+QCOAPACK: 0,0,555,-11\r\n", 26);
  assert_bytes (buffer, expected->data, expected->len);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 3100 * 1000);

  /* The peer saw the original and four identical retransmissions. */
  first = peer_receive (f, 0);
  assert_datagram (first, "\x40\x01\x02\x2b", 4);
  for (guint n = 0; n < 4; n++)
    {
      g_autoptr (GBytes) again = peer_receive (f, 0);

      g_assert_nonnull (again);
      g_assert_true (g_bytes_equal (first, again));
    }
  g_assert_null (peer_receive (f, 0));
}

static void
test_ack_rst_and_separate_response (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) request = NULL;
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  g_autoptr (GByteArray) payload = g_byte_array_new ();
  g_auto (GStrv) fields = NULL;
  /* Separate response: CON 2.05, mid 0x7777, token 0xAA, Content-Format 0
   * (zero-length uint), payload "late". */
  const guint8 response[] = { 0x41, 0x45, 0x77, 0x77, 0xaa, 0xc0, 0xff, 'l', 'a', 't', 'e' };

  echo_off (f);
  open_peer (f);
  open_client (f, 0, f->peer_port);

  /* An empty ACK ends the exchange without +QCOAPRECV. */
  assert_exchange (f, "AT+QCOAPHEADER=0,16,0,1,\"AA\"", "\r\nOK\r\n");
  send_ctrlz_request (f, "AT+QCOAPSEND=0,0,1,0");
  request = peer_receive (f, TIMEOUT_MS);
  assert_datagram (request, "\x41\x01\x00\x10\xaa", 5);
  peer_send (f, "\x60\x00\x00\x10", 4);
  assert_urcs (f, "\r\n+QCOAPACK: 0,0,16,0\r\n", "16,0\r\n");

  /* The separate response, sent twice: acknowledged twice, reported once. */
  peer_send (f, response, sizeof response);
  peer_send (f, response, sizeof response);
  fields = read_recv (f, buffer, payload);
  g_assert_cmpstr (fields[1], ==, "30583");
  g_assert_cmpstr (fields[2], ==, "2.05");
  g_assert_cmpstr (fields[4], ==, "AA");
  g_assert_cmpstr (fields[5], ==, "1");
  g_assert_cmpstr (fields[6], ==, "12");
  g_assert_cmpstr (fields[7], ==, "\"0\"");
  g_assert_cmpmem (payload->data, payload->len, "late", 4);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (GBytes) empty_ack = peer_receive (f, TIMEOUT_MS);

      assert_datagram (empty_ack, "\x60\x00\x77\x77", 4);
    }
  assert_quiet (f, 200);

  /* A datagram that is not CoAP is dropped; the modem carries on. */
  peer_send (f, "\x00\x01", 2);
  assert_quiet (f, 100);
  assert_exchange (f, "AT", "\r\nOK\r\n");

  /* A Reset ends a CON with type 3. */
  assert_exchange (f, "AT+QCOAPHEADER=0,17,1", "\r\nOK\r\n");
  send_ctrlz_request (f, "AT+QCOAPSEND=0,0,1,0");
  g_clear_pointer (&request, g_bytes_unref);
  request = peer_receive (f, TIMEOUT_MS);
  g_assert_nonnull (request);
  /* Mode 1: the module's own 4-byte token. */
  g_assert_cmpuint (g_bytes_get_size (request), ==, 8);
  peer_send (f, "\x70\x00\x00\x11", 4);
  assert_urcs (f, "\r\n+QCOAPACK: 0,3,17,0\r\n", "17,0\r\n");
}

static void
test_esc_cancels (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) reply = NULL;
  g_autoptr (GBytes) datagram = NULL;

  echo_off (f);
  open_peer (f);
  open_client (f, 0, f->peer_port);
  assert_exchange (f, "AT+QCOAPHEADER=0,1,1", "\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPSEND=0,1,2,0", "\r\n> ");
  reply = harness_serial_exchange (f->serial, "abc\x1b", 4, TIMEOUT_MS, &error);
  g_assert_no_error (error);
  assert_bytes (reply, "\r\nOK\r\n", 6);
  assert_quiet (f, 100);
  datagram = peer_receive (f, 100);
  g_assert_null (datagram);
}

static void
test_options_on_the_wire (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) request = NULL;
  /* CON POST mid 2 token 01; options sorted by number whatever the slots:
   * Uri-Host(3) "h", ETag(4) 0A, If-None-Match(5), Uri-Path(11) "a",
   * Uri-Path "b" (slot order), Content-Format(12) 50, Uri-Query(15) "q",
   * Size1(60) 300; payload "x". */
  const guint8 expected[]
      = { 0x41, 0x02, 0x00, 0x02, 0x01, 0x31, 'h',  0x11, 0x0a, 0x10, 0x61, 'a',
          0x01, 'b',  0x11, 50,   0x31, 'q',  0xd2, 0x20, 0x01, 0x2c, 0xff, 'x' };
  const char *const options[] = {
    "AT+QCOAPOPTION=0,0,7,60,300",   "AT+QCOAPOPTION=0,0,6,15,\"q\"",
    "AT+QCOAPOPTION=0,0,5,11,\"a\"", "AT+QCOAPOPTION=0,0,4,12,50",
    "AT+QCOAPOPTION=0,0,3,5,\"\"",   "AT+QCOAPOPTION=0,0,2,4,\"0a\"",
    "AT+QCOAPOPTION=0,0,1,11,\"b\"", "AT+QCOAPOPTION=0,0,0,3,\"h\"",
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) reply = NULL;

  echo_off (f);
  open_peer (f);
  open_client (f, 0, f->peer_port);
  assert_exchange (f, "AT+QCOAPHEADER=0,2,0,1,\"01\"", "\r\nOK\r\n");
  for (guint i = 0; i < G_N_ELEMENTS (options); i++)
    assert_exchange (f, options[i], "\r\nOK\r\n");
  /* Remove slot 1 and rewrite slots 1 and 5: repeated options keep their
   * slot order, so "a" (slot 1) precedes "b" (slot 5) on the wire. */
  assert_exchange (f, "AT+QCOAPOPTION=0,1,1", "\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPOPTION=0,0,1,11,\"a\"", "\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPOPTION=0,0,5,11,\"b\"", "\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPSEND=0,0,2,255,1", "\r\n> ");
  reply = harness_serial_exchange (f->serial, "x", 1, TIMEOUT_MS, &error);
  g_assert_no_error (error);
  request = peer_receive (f, TIMEOUT_MS);
  assert_datagram (request, expected, sizeof expected);
}

/* Bits for empty slots are accepted, as real firmware does: with slots 0-2
 * set, a mask of 255 adds those three options and nothing else. */
static void
test_mask_selects_empty_slots (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) request = NULL;
  /* NON POST mid 3, no token: Uri-Path(11) "a", "b", Content-Format(12) 0. */
  const guint8 expected[] = { 0x50, 0x02, 0x00, 0x03, 0xb1, 'a', 0x01, 'b', 0x10 };

  echo_off (f);
  open_peer (f);
  open_client (f, 0, f->peer_port);
  assert_exchange (f, "AT+QCOAPHEADER=0,3,0,0,\"\"", "\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPOPTION=0,0,0,11,\"a\"", "\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPOPTION=0,0,1,11,\"b\"", "\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPOPTION=0,0,2,12,0", "\r\nOK\r\n");
  send_ctrlz_request (f, "AT+QCOAPSEND=0,1,2,255");
  request = peer_receive (f, TIMEOUT_MS);
  assert_datagram (request, expected, sizeof expected);
}

/* A response larger than anything the modem sends: twelve Location-Path
 * options of 200 bytes and 1100 bytes of payload (a datagram of 3.5 kB),
 * reported whole. */
static void
test_large_datagram (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) request = NULL;
  g_autoptr (GByteArray) response = g_byte_array_new ();
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  g_autoptr (GByteArray) payload = g_byte_array_new ();
  g_auto (GStrv) fields = NULL;
  /* ACK 2.05, mid 0x0021, token 0xAB. */
  const guint8 header[] = { 0x61, 0x45, 0x00, 0x21, 0xab };
  /* Option delta 8 (then 0), length 13 + 187 = 200. */
  const guint8 first_option[] = { 0x8d, 187 }, next_option[] = { 0x0d, 187 };
  char value[201] = { 0 };

  echo_off (f);
  open_peer (f);
  open_client (f, 0, f->peer_port);
  assert_exchange (f, "AT+QCOAPHEADER=0,33,0,1,\"AB\"", "\r\nOK\r\n");
  send_ctrlz_request (f, "AT+QCOAPSEND=0,0,1,0");
  request = peer_receive (f, TIMEOUT_MS);
  g_assert_nonnull (request);

  g_byte_array_append (response, header, sizeof header);
  for (guint i = 0; i < 12; i++)
    {
      memset (value, 'a' + i, 200);
      g_byte_array_append (response, i == 0 ? first_option : next_option, 2);
      g_byte_array_append (response, (const guint8 *)value, 200);
    }
  g_byte_array_append (response, (const guint8 *)"\xff", 1);
  for (guint i = 0; i < 1100; i++)
    g_byte_array_append (response, (const guint8 *)"\r\nRDY\r\n" + i % 7, 1);
  peer_send (f, response->data, response->len);

  fields = read_recv (f, buffer, payload);
  g_assert_cmpuint (g_strv_length (fields), ==, 6 + 2 * 12 + 1);
  g_assert_cmpstr (fields[1], ==, "33");
  g_assert_cmpstr (fields[5], ==, "12");
  for (guint i = 0; i < 12; i++)
    {
      g_autofree char *quoted = NULL;

      memset (value, 'a' + i, 200);
      quoted = g_strdup_printf ("\"%s\"", value);
      g_assert_cmpstr (fields[6 + 2 * i], ==, "8");
      g_assert_cmpstr (fields[7 + 2 * i], ==, quoted);
    }
  g_assert_cmpstr (fields[30], ==, "1100");
  g_assert_cmpmem (payload->data, payload->len, response->data + response->len - 1100, 1100);
}

/* ---- errors and bad input ---- */

static void
test_error_cases (Fixture *f, gconstpointer data)
{
  const char *const cases[] = {
    /* unknown, garbled, wrong form */
    "AT+FOO",
    "HELLO",
    "AT+QCOAPOPEN",
    "AT+QCOAPCFG?",
    "AT+QCOAPSEND?",
    "ATI?",
    "AT+CMEE",
    "AT+QCOAPCFG=\"bogus\",0",
    "AT+QCOAPOPEN=0,\"127.0.0.1\"",
    "AT+X=\"unterminated",
    /* QCOAPCFG ranges */
    "AT+QCOAPCFG=\"pdpcid\",6",
    "AT+QCOAPCFG=\"pdpcid\",0,0",
    "AT+QCOAPCFG=\"pdpcid\",0,17",
    "AT+QCOAPCFG=\"dtls\",0,2,0",
    "AT+QCOAPCFG=\"dtls\",0,1,6",
    "AT+QCOAPCFG=\"dtls\",0,1",
    "AT+QCOAPCFG=\"trans\",0,1,5",
    "AT+QCOAPCFG=\"trans\",0,61,5",
    "AT+QCOAPCFG=\"trans\",0,2,3",
    "AT+QCOAPCFG=\"trans\",0,2,9",
    "AT+QCOAPCFG=\"trans\",0,2",
    /* QCOAPOPEN parameters */
    "AT+QCOAPOPEN=6,\"127.0.0.1\",5683",
    "AT+QCOAPOPEN=0,\"127.0.0.1\",0",
    "AT+QCOAPOPEN=0,\"127.0.0.1\",65536",
    "AT+QCOAPOPEN=0,\"\",5683",
    "AT+QCOAPOPEN=0,127,5683",
    /* QCOAPCLOSE on idle IDs */
    "AT+QCOAPCLOSE=1",
    "AT+QCOAPCLOSE=6",
    /* QCOAPHEADER */
    "AT+QCOAPHEADER=0,65536,1",
    "AT+QCOAPHEADER=0,1,2",
    "AT+QCOAPHEADER=0,1,0,9,\"00\"",
    "AT+QCOAPHEADER=0,1,0,2,\"00\"",
    "AT+QCOAPHEADER=0,1,0,1,\"GG\"",
    "AT+QCOAPHEADER=0,1,0,1,01",
    "AT+QCOAPHEADER=6,1,1",
    "AT+QCOAPHEADER=0,1,1,4,\"01020304\"",
    /* QCOAPOPTION: numbers, formats, lengths, slots */
    "AT+QCOAPOPTION=0,0,0,6,1",
    "AT+QCOAPOPTION=0,0,0,2,\"x\"",
    "AT+QCOAPOPTION=0,0,0,23,1",
    "AT+QCOAPOPTION=0,0,0,11,time",
    "AT+QCOAPOPTION=0,0,0,12,\"0\"",
    "AT+QCOAPOPTION=0,0,0,12,65536",
    "AT+QCOAPOPTION=0,0,0,60,4294967296",
    "AT+QCOAPOPTION=0,0,0,4,\"\"",
    "AT+QCOAPOPTION=0,0,0,4,\"010203040506070809\"",
    "AT+QCOAPOPTION=0,0,0,1,\"ABC\"",
    "AT+QCOAPOPTION=0,0,0,3,\"\"",
    "AT+QCOAPOPTION=0,0,0,5,\"x\"",
    "AT+QCOAPOPTION=0,0,0,35,\"\"",
    "AT+QCOAPOPTION=0,0,8,11,\"a\"",
    "AT+QCOAPOPTION=0,2,0",
    "AT+QCOAPOPTION=0,1,8",
    /* QCOAPSEND on a client that is not connected, and bad parameters */
    "AT+QCOAPSEND=1,0,1,0",
    "AT+QCOAPSEND=0,4,1,0",
    "AT+QCOAPSEND=0,0,5,0",
    "AT+QCOAPSEND=0,0,70,0",
    "AT+QCOAPSEND=0,0,1,256",
    "AT+QCOAPSEND=0,0,1,0,0",
    "AT+QCOAPSEND=0,0,1,0,1025",
    /* files and SSL */
    "AT+QFUPL=\"x\",0",
    "AT+QFUPL=x,5",
    "AT+QSSLCFG=\"dtls\",6",
    "AT+QSSLCFG=\"dtls\",0,2",
    "AT+QSSLCFG=\"nonsense\",0",
  };
  g_autoptr (GString) options = g_string_new (NULL);

  echo_off (f);
  open_peer (f);
  open_client (f, 0, f->peer_port);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("%s", cases[i]);
      assert_exchange (f, cases[i], "\r\nERROR\r\n");
    }

  /* Edge values that are accepted. */
  assert_exchange (f, "AT+QCOAPOPTION=0,0,7,35,\"p\"", "\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPOPTION=0,0,1,12,65535", "\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPOPTION=0,0,2,1,\"\"", "\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPHEADER=0,65535,0,8,\"0102030405060708\"", "\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPHEADER=0,0,0,0", "\r\nOK\r\n");
  /* A string option of 256 bytes is one too many. */
  g_string_append (options, "AT+QCOAPOPTION=0,0,0,11,\"");
  for (guint i = 0; i < 256; i++)
    g_string_append_c (options, 'p');
  g_string_append_c (options, '"');
  assert_exchange (f, options->str, "\r\nERROR\r\n");
}

static void
test_payload_limits (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) reply = NULL;
  g_autoptr (GBytes) datagram = NULL;
  guint8 big[1025];

  memset (big, 'z', sizeof big);
  echo_off (f);
  open_peer (f);
  open_client (f, 0, f->peer_port);
  assert_exchange (f, "AT+QCOAPHEADER=0,9,0,0", "\r\nOK\r\n");

  /* 1025 bytes before Ctrl+Z: ERROR, and the rest is read as commands. */
  assert_exchange (f, "AT+QCOAPSEND=0,1,2,0", "\r\n> ");
  reply = harness_serial_exchange (f->serial, big, sizeof big, TIMEOUT_MS, &error);
  g_assert_no_error (error);
  assert_bytes (reply, "\r\nERROR\r\n", 9);
  g_assert_null (peer_receive (f, 100));

  /* Exactly 1024 bytes of the fixed form go out. */
  assert_exchange (f, "AT+QCOAPSEND=0,1,2,0,1024", "\r\n> ");
  g_clear_pointer (&reply, g_byte_array_unref);
  reply = harness_serial_exchange (f->serial, big, 1024, TIMEOUT_MS, &error);
  g_assert_no_error (error);
  assert_bytes (reply, "\r\nOK\r\n", 6);
  assert_urcs (f, "\r\n+QCOAPACK: 0,1,9,0\r\n", "9,0\r\n");
  datagram = peer_receive (f, TIMEOUT_MS);
  g_assert_nonnull (datagram);
  g_assert_cmpuint (g_bytes_get_size (datagram), ==, 4 + 1 + 1024);
}

static void
test_bad_input (Fixture *f, gconstpointer data)
{
  g_autoptr (GString) line = g_string_new ("AT");
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) reply = NULL;

  echo_off (f);
  /* NUL bytes vanish from a command line. */
  reply = harness_serial_exchange (f->serial, "A\0T\0\r", 5, TIMEOUT_MS, &error);
  g_assert_no_error (error);
  assert_bytes (reply, "\r\nOK\r\n", 6);
  /* An overlong line is answered ERROR, once. */
  while (line->len < 6000)
    g_string_append_c (line, 'A');
  assert_exchange (f, line->str, "\r\nERROR\r\n");
  /* The host closing and reopening its side changes nothing. */
  g_clear_pointer (&f->serial, harness_serial_close);
  f->serial = harness_serial_open (f->sim->link_path, &error);
  g_assert_no_error (error);
  assert_exchange (f, "AT", "\r\nOK\r\n");
  /* A stray CR LF is an empty line: no answer. */
  harness_serial_write (f->serial, "\r\n", 2, &error);
  assert_quiet (f, 100);
}

/* ---- faults and the control channel ---- */

static void
test_faults (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  g_autofree char *answer = NULL;
  gint64 start;

  echo_off (f);
#define CONTROL_OK(cmd)                                                                            \
  do                                                                                               \
    {                                                                                              \
      g_autofree char *reply_ = control (f, cmd);                                                  \
      g_assert_cmpstr (reply_, ==, "OK");                                                          \
    }                                                                                              \
  while (0)

  CONTROL_OK ("fault drop-final=1");
  harness_serial_write (f->serial, "AT\r", 3, &error);
  assert_quiet (f, 200);
  assert_exchange (f, "AT", "\r\nOK\r\n");

  CONTROL_OK ("fault urc-before-final=on");
  assert_exchange (f, "AT", "\r\n+QIND: \"csq\",20,99\r\n\r\nOK\r\n");
  CONTROL_OK ("fault urc-before-final=off");

  CONTROL_OK ("fault urc-before-prompt=on");
  open_peer (f);
  open_client (f, 0, f->peer_port);
  assert_exchange (f, "AT+QCOAPSEND=0,1,2,0", "\r\n+QIND: \"csq\",20,99\r\n\r\n> ");
  assert_exchange (f, "\x1b", "\r\nOK\r\n");
  CONTROL_OK ("fault urc-before-prompt=off");

  CONTROL_OK ("fault delay-final=300");
  start = g_get_monotonic_time ();
  assert_exchange (f, "AT", "\r\nOK\r\n");
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 250 * 1000);
  CONTROL_OK ("fault delay-final=0");

  CONTROL_OK ("fault split-writes=on");
  assert_exchange (f, "ATI", "\r\nQuectel\r\nBG96\r\nRevision: BG96MAR02A07M1G\r\n\r\nOK\r\n");
  CONTROL_OK ("fault split-writes=off");

  CONTROL_OK ("fault garbage=16");
  g_assert_cmpuint (harness_serial_read_for (f->serial, buffer, 200), ==, 16);

  CONTROL_OK ("urc +QCOAPCLOSE: 0,0");
  assert_urcs (f, "\r\n+QCOAPCLOSE: 0,0\r\n", "0,0\r\n");

  answer = control (f, "fault no-such-fault=1");
  g_assert_true (g_str_has_prefix (answer, "ERROR"));
  g_clear_pointer (&answer, g_free);
  answer = control (f, "stats");
  g_assert_true (g_regex_match_simple ("^OK rx=[1-9][0-9]* tx=[1-9][0-9]* lines=[1-9][0-9]* "
                                       "udp-tx=0 udp-rx=0$",
                                       answer, 0, 0));
}

static void
test_unplug_replug (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  g_autofree char *answer = NULL;
  guint8 byte;

  echo_off (f);
  answer = control (f, "unplug");
  g_assert_cmpstr (answer, ==, "OK");
  g_assert_false (g_file_test (f->sim->link_path, G_FILE_TEST_EXISTS));
  /* The host's descriptor hangs up. */
  harness_serial_read_for (f->serial, buffer, 100);
  g_assert_cmpint (read (f->serial->fd, &byte, 1), <=, 0);
  g_clear_pointer (&f->serial, harness_serial_close);

  g_clear_pointer (&answer, g_free);
  answer = control (f, "replug");
  g_assert_cmpstr (answer, ==, "OK booted");
  f->serial = harness_serial_open (f->sim->link_path, &error);
  g_assert_no_error (error);
  assert_exchange (f, "AT", "AT\r\r\nOK\r\n");

  g_clear_pointer (&answer, g_free);
  answer = control (f, "reboot");
  g_assert_cmpstr (answer, ==, "OK booted");
  harness_serial_read_until (f->serial, buffer, "APP RDY\r\n", TIMEOUT_MS, &error);
  g_assert_no_error (error);
}

/* ---- line rate and network delay ---- */

static const char *const slow_sim[]
    = { "--boot-delay", "50", "--baud", "9600", "--net-delay", "150", "--network-ready", NULL };

static void
test_baud_and_net_delay (Fixture *f, gconstpointer data)
{
  const char *expected = "\r\n+QCOAPCFG: \"pdpcid\",(0-5),(1-16)\r\n"
                         "\r\n+QCOAPCFG: \"dtls\",(0-5),(0,1),(0-5)\r\n"
                         "\r\n+QCOAPCFG: \"trans\",(0-5),(2-60),(4-8)\r\n\r\nOK\r\n";
  g_autoptr (GBytes) request = NULL;
  gint64 start;

  echo_off (f);
  /* 9600 baud carries 960 bytes a second. */
  start = g_get_monotonic_time ();
  assert_exchange (f, "AT+QCOAPCFG=?", expected);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, strlen (expected) * 1000000 / 960 * 9 / 10);

  /* Each datagram crosses the link 150 ms late. */
  open_peer (f);
  open_client (f, 0, f->peer_port);
  assert_exchange (f, "AT+QCOAPHEADER=0,1,0,0", "\r\nOK\r\n");
  start = g_get_monotonic_time ();
  send_ctrlz_request (f, "AT+QCOAPSEND=0,1,1,0");
  request = peer_receive (f, TIMEOUT_MS);
  g_assert_nonnull (request);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 140 * 1000);
}

/* ---- the network side ---- */

/* Registration, as a test of the network wants it: after 0 ms, never by
 * itself (the test says "fault register"), or after the default delay. */
static const char *const registered_sim[]
    = { "--boot-delay", "50", "--reset-silence", "300", "--attach-delay", "0", NULL };
static const char *const unattached_sim[]
    = { "--boot-delay", "50", "--attach-delay", "600000", NULL };
static const char *const default_attach_sim[] = { "--boot-delay", "50", NULL };

#define REG_LOCATION ",\"3A9F\",\"1A2D00F\",8"

static void
control_ok (Fixture *f, const char *command)
{
  g_autofree char *answer = control (f, command);

  g_assert_cmpstr (answer, ==, "OK");
}

static void
control_fails (Fixture *f, const char *command)
{
  g_autofree char *answer = control (f, command);

  g_assert_true (g_str_has_prefix (answer, "ERROR "));
}

/* AT+QCOAPOPEN of @id to the coap-server, and its result URC. */
static void
open_expecting (Fixture *f, guint id, int result)
{
  g_autofree char *command
      = g_strdup_printf ("AT+QCOAPOPEN=%u,\"127.0.0.1\",%u", id, coap_server->port);
  g_autofree char *urc = g_strdup_printf ("\r\n+QCOAPOPEN: %u,%d\r\n", id, result);

  assert_exchange (f, command, "\r\nOK\r\n");
  assert_urcs (f, urc, urc);
}

/* A GET /time through client @id, answered 2.05 by the real server. */
static void
assert_get_time (Fixture *f, guint id)
{
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  g_autoptr (GByteArray) payload = g_byte_array_new ();
  g_autofree char *header = g_strdup_printf ("AT+QCOAPHEADER=%u,77,0,1,\"5A\"", id);
  g_autofree char *option = g_strdup_printf ("AT+QCOAPOPTION=%u,0,0,11,\"time\"", id);
  g_autofree char *send = g_strdup_printf ("AT+QCOAPSEND=%u,0,1,1", id);
  g_auto (GStrv) fields = NULL;

  assert_exchange (f, header, "\r\nOK\r\n");
  assert_exchange (f, option, "\r\nOK\r\n");
  send_ctrlz_request (f, send);
  fields = read_recv (f, buffer, payload);
  g_assert_cmpstr (fields[2], ==, "2.05");
  g_assert_cmpstr (fields[4], ==, "5A");
}

static char *
read_log (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  char *log = NULL;

  g_file_get_contents (f->sim->log_path, &log, NULL, &error);
  g_assert_no_error (error);
  return log;
}

static void
assert_not_registered (Fixture *f)
{
  assert_exchange (f, "AT+COPS?", "\r\n+COPS: 0\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QNWINFO", "\r\n+QNWINFO: No Service\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+CSQ", "\r\n+CSQ: 99,99\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QCSQ", "\r\n+QCSQ: \"NOSERVICE\"\r\n\r\nOK\r\n");
}

static void
assert_registered (Fixture *f)
{
  assert_exchange (f, "AT+COPS?", "\r\n+COPS: 0,0,\"Fake Telecom\",8\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QNWINFO",
                   "\r\n+QNWINFO: \"CAT-M1\",\"00101\",\"LTE BAND 20\",6300\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+CSQ", "\r\n+CSQ: 25,99\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QCSQ", "\r\n+QCSQ: \"CAT-M1\",-62,-87,195,-10\r\n\r\nOK\r\n");
}

/* Power-up: searching; registered after the default 1.5 s, with a URC for
 * each report that is on. */
static void
test_network_attach (Fixture *f, gconstpointer data)
{
  gint64 start = g_get_monotonic_time ();

  echo_off (f);
  assert_exchange (f, "AT+CEREG?", "\r\n+CEREG: 0,2\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+CEREG=2", "\r\nOK\r\n");
  assert_exchange (f, "AT+CGREG=1", "\r\nOK\r\n");
  assert_exchange (f, "AT+CEREG?", "\r\n+CEREG: 2,2\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QENG=\"servingcell\"",
                   "\r\n+QENG: \"servingcell\",\"SEARCH\"\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+COPS=?",
                   "\r\n+COPS: (1,\"Fake Telecom\",\"Fake\",\"00101\",8),,(0-4),(0-2)"
                   "\r\n\r\nOK\r\n");
  assert_not_registered (f);
  assert_exchange (f, "AT+QIACT=1", "\r\nERROR\r\n");
  open_expecting (f, 0, -4);

  assert_urcs (f, "\r\n+CEREG: 1" REG_LOCATION "\r\n\r\n+CGREG: 1\r\n", "+CGREG: 1\r\n");
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 1000 * 1000);
  assert_exchange (f, "AT+CEREG?", "\r\n+CEREG: 2,1" REG_LOCATION "\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+CGREG?", "\r\n+CGREG: 1,1\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+CREG?", "\r\n+CREG: 0,1\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+CREG=2", "\r\nOK\r\n");
  assert_exchange (f, "AT+CREG?", "\r\n+CREG: 2,1" REG_LOCATION "\r\n\r\nOK\r\n");
  assert_registered (f);
  assert_exchange (
      f, "AT+QENG=\"servingcell\"",
      "\r\n+QENG: \"servingcell\",\"NOCONN\",\"CAT-M1\",\"FDD\",001,01,1A2D00F,123,6300,"
      "20,3,3,3A9F,-87,-10,-62,19,41\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+COPS=?",
                   "\r\n+COPS: (2,\"Fake Telecom\",\"Fake\",\"00101\",8),,(0-4),(0-2)"
                   "\r\n\r\nOK\r\n");
}

static void
test_network_commands (Fixture *f, gconstpointer data)
{
  const char *const errors[] = {
    "AT+CEREG",
    "AT+CEREG=3",
    "AT+CEREG=1,1",
    "AT+CGREG=\"1\"",
    "AT+CREG=-1",
    "AT+COPS",
    "AT+COPS=1",
    "AT+COPS=0,0,\"x\"",
    "AT+QNWINFO?",
    "AT+CSQ?",
    "AT+QCSQ=1",
    "AT+QENG",
    "AT+QENG=\"bogus\"",
    "AT+QENG=servingcell",
    "AT+QICSGP",
    "AT+QICSGP=0",
    "AT+QICSGP=17",
    "AT+QICSGP=1,1",
    "AT+QICSGP=1,4,\"a\"",
    "AT+QICSGP=1,1,a",
    "AT+QICSGP=1,1,\"a\",\"u\"",
    "AT+QICSGP=1,1,\"a\",\"u\",\"p\",4",
    "AT+QICSGP=1,0,\"a\"",
    "AT+QIACT",
    "AT+QIACT=0",
    "AT+QIACT=17",
    "AT+QIACT=1,1",
    "AT+QIDEACT",
    "AT+QIDEACT=0",
    "AT+QIDEACT?",
  };

  echo_off (f);
  for (guint i = 0; i < G_N_ELEMENTS (errors); i++)
    {
      g_test_message ("%s", errors[i]);
      assert_exchange (f, errors[i], "\r\nERROR\r\n");
    }
  assert_exchange (f, "AT+CEREG=?", "\r\n+CEREG: (0-2)\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+CGREG=?", "\r\n+CGREG: (0-2)\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+CREG=?", "\r\n+CREG: (0-2)\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+COPS=0", "\r\nOK\r\n");
  assert_exchange (f, "AT+QNWINFO=?", "\r\nOK\r\n");
  assert_exchange (f, "AT+CSQ=?", "\r\n+CSQ: (0-31,99),(0-7,99)\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QCSQ=?", "\r\nOK\r\n");
  assert_exchange (f, "AT+QENG=?", "\r\n+QENG: (\"servingcell\",\"neighbourcell\")\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QENG=\"neighbourcell\"", "\r\nOK\r\n");
  assert_exchange (f, "AT+QICSGP=?",
                   "\r\n+QICSGP: (1-16),(1-3),<APN>,<username>,<password>,(0-3)\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QIACT=?", "\r\n+QIACT: (1-16)\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QIDEACT=?", "\r\n+QIDEACT: (1-16)\r\n\r\nOK\r\n");
}

/* Before registration an open fails with -4 and AT+QIACT with ERROR; once
 * registered, AT+QICSGP and AT+QIACT bring the data call up and a session
 * reaches the real server. The password never reaches the log. */
static void
test_network_context (Fixture *f, gconstpointer data)
{
  g_autofree char *log = NULL;
  gint64 start;

  echo_off (f);
  open_expecting (f, 0, -4);
  assert_exchange (f, "AT+QIACT=1", "\r\nERROR\r\n");
  control_ok (f, "fault register");
  assert_exchange (f, "AT+QICSGP=1", "\r\n+QICSGP: 1,\"\",\"\",\"\",0\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QICSGP=1,1,\"iot.example\",\"gw-7\",\"s3cret-Pw\",1", "\r\nOK\r\n");
  assert_exchange (f, "AT+QICSGP=1",
                   "\r\n+QICSGP: 1,\"iot.example\",\"gw-7\",\"s3cret-Pw\",1\r\n\r\nOK\r\n");
  /* A line the parser refuses is masked from its flaw on. */
  assert_exchange (f, "AT+QICSGP=1,1,\"iot.example\",\"gw-7\",\"leaky-Pw", "\r\nERROR\r\n");
  assert_exchange (f, "AT+QIACT?", "\r\nOK\r\n");
  open_expecting (f, 0, -4);

  start = g_get_monotonic_time ();
  assert_exchange (f, "AT+QIACT=1", "\r\nOK\r\n");
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 150 * 1000);
  assert_exchange (f, "AT+QIACT?", "\r\n+QIACT: 1,1,1,\"10.64.0.1\"\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QIACT=1", "\r\nERROR\r\n");
  open_expecting (f, 0, 0);
  assert_get_time (f, 0);

  /* A session on context 2 outlives context 1. */
  assert_exchange (f, "AT+QICSGP=2,2,\"v6.example\"", "\r\nOK\r\n");
  assert_exchange (f, "AT+QIACT=2", "\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPCFG=\"pdpcid\",1,2", "\r\nOK\r\n");
  open_expecting (f, 1, 0);
  assert_exchange (f, "AT+QIACT?",
                   "\r\n+QIACT: 1,1,1,\"10.64.0.1\"\r\n\r\n+QIACT: 2,1,2,\"2001:DB8:0:2::1\"\r\n"
                   "\r\nOK\r\n");
  assert_exchange (f, "AT+QIDEACT=1", "\r\nOK\r\n");
  assert_exchange (f, "AT+QIDEACT=1", "\r\nOK\r\n");
  assert_exchange (f, "AT+QIACT?", "\r\n+QIACT: 2,1,2,\"2001:DB8:0:2::1\"\r\n\r\nOK\r\n");
  {
    g_autofree char *listing
        = g_strdup_printf ("\r\n+QCOAPOPEN: 1,\"127.0.0.1\",%u,3\r\n\r\nOK\r\n", coap_server->port);

    assert_exchange (f, "AT+QCOAPOPEN?", listing);
  }
  assert_get_time (f, 1);
  open_expecting (f, 0, -4);

  log = read_log (f);
  g_assert_null (strstr (log, "s3cret-Pw"));
  g_assert_null (strstr (log, "leaky-Pw"));
  g_assert_nonnull (strstr (log, "at-rx AT+QICSGP=1,1,\"iot.example\",\"gw-7\",\"********\",1\n"));
  g_assert_nonnull (strstr (log, "at-tx +QICSGP: 1,\"iot.example\",\"gw-7\",\"********\",1\n"));
  g_assert_nonnull (strstr (log, "at-rx AT+QICSGP=1,1,\"iot.example\",\"gw-7\",\"********\n"));
}

/* After a pdpdeact the context needs AT+QIDEACT before AT+QIACT. */
static void
test_network_pdp_drop (Fixture *f, gconstpointer data)
{
  echo_off (f);
  control_fails (f, "pdp-drop");
  assert_exchange (f, "AT+QIACT=1", "\r\nOK\r\n");
  open_expecting (f, 0, 0);
  control_ok (f, "fault pdp-drop");
  assert_urcs (f, "\r\n+QIURC: \"pdpdeact\",1\r\n", "pdpdeact\",1\r\n");
  assert_exchange (f, "AT+QCOAPOPEN?", "\r\nOK\r\n");
  assert_exchange (f, "AT+QIACT?", "\r\nOK\r\n");
  open_expecting (f, 0, -4);
  assert_exchange (f, "AT+QIACT=1", "\r\nERROR\r\n");
  assert_exchange (f, "AT+QIDEACT=1", "\r\nOK\r\n");
  assert_exchange (f, "AT+QIACT=1", "\r\nOK\r\n");
  open_expecting (f, 0, 0);
  assert_get_time (f, 0);
  control_fails (f, "fault pdp-drop=17");
  control_fails (f, "fault pdp-drop=2");
}

/* A DTLS handshake under way when its context goes ends with -4. */
static void
test_network_drop_during_handshake (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) reply = NULL;
  g_autofree char *command = NULL;
  g_autofree char *listing = NULL;
  g_autoptr (GBytes) hello = NULL;

  echo_off (f);
  open_peer (f);
  assert_exchange (f, "AT+QIACT=1", "\r\nOK\r\n");
  assert_exchange (f, "AT+QFUPL=\"UFS:0_server.psk\",7", "\r\nCONNECT\r\n");
  reply = harness_serial_exchange (f->serial, "id&0102", 7, TIMEOUT_MS, &error);
  g_assert_no_error (error);
  assert_exchange (f, "AT+QCOAPCFG=\"dtls\",0,1,0", "\r\nOK\r\n");
  command = g_strdup_printf ("AT+QCOAPOPEN=0,\"127.0.0.1\",%u", f->peer_port);
  assert_exchange (f, command, "\r\nOK\r\n");
  /* The silent peer gets the ClientHello (a handshake record) and leaves
   * the handshake hanging. */
  hello = peer_receive (f, TIMEOUT_MS);
  g_assert_nonnull (hello);
  g_assert_cmpuint (((const guint8 *)g_bytes_get_data (hello, NULL))[0], ==, 0x16);
  listing = g_strdup_printf ("\r\n+QCOAPOPEN: 0,\"127.0.0.1\",%u,2\r\n\r\nOK\r\n", f->peer_port);
  assert_exchange (f, "AT+QCOAPOPEN?", listing);
  control_ok (f, "pdp-drop");
  assert_urcs (f, "\r\n+QIURC: \"pdpdeact\",1\r\n\r\n+QCOAPOPEN: 0,-4\r\n", "0,-4\r\n");
  assert_exchange (f, "AT+QCOAPOPEN?", "\r\nOK\r\n");
}

/* qiact-fail=3 from the command line: three ERRORs, then OK. */
static const char *const qiact_fail_sim[]
    = { "--boot-delay", "50", "--attach-delay", "0", "--fault", "qiact-fail=3", NULL };

static void
test_network_qiact_fail (Fixture *f, gconstpointer data)
{
  echo_off (f);
  for (guint i = 0; i < 3; i++)
    assert_exchange (f, "AT+QIACT=1", "\r\nERROR\r\n");
  assert_exchange (f, "AT+QIACT?", "\r\nOK\r\n");
  assert_exchange (f, "AT+QIACT=1", "\r\nOK\r\n");
  assert_exchange (f, "AT+QIACT?", "\r\n+QIACT: 1,1,1,\"10.64.0.1\"\r\n\r\nOK\r\n");
  /* And from the control channel. */
  assert_exchange (f, "AT+QIDEACT=1", "\r\nOK\r\n");
  control_ok (f, "fault qiact-fail=1");
  assert_exchange (f, "AT+QIACT=1", "\r\nERROR\r\n");
  assert_exchange (f, "AT+QIACT=1", "\r\nOK\r\n");
  control_fails (f, "fault qiact-fail");
  control_fails (f, "fault qiact-fail=-1");
}

/* Losing the registration takes the context and its sessions; once back,
 * AT+QIACT works without AT+QIDEACT. Roaming is registered, denial not. */
static void
test_network_deregister (Fixture *f, gconstpointer data)
{
  echo_off (f);
  assert_exchange (f, "AT+CEREG=2", "\r\nOK\r\n");
  assert_exchange (f, "AT+QIACT=1", "\r\nOK\r\n");
  open_expecting (f, 0, 0);
  control_ok (f, "fault deregister");
  assert_urcs (f, "\r\n+CEREG: 2\r\n", "+CEREG: 2\r\n");
  assert_exchange (f, "AT+CEREG?", "\r\n+CEREG: 2,2\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPOPEN?", "\r\nOK\r\n");
  assert_exchange (f, "AT+QIACT?", "\r\nOK\r\n");
  assert_not_registered (f);
  assert_exchange (f, "AT+QIACT=1", "\r\nERROR\r\n");
  open_expecting (f, 0, -4);

  control_ok (f, "fault register");
  assert_urcs (f, "\r\n+CEREG: 1" REG_LOCATION "\r\n", "8\r\n");
  assert_exchange (f, "AT+QIACT?", "\r\nOK\r\n");
  assert_exchange (f, "AT+QIACT=1", "\r\nOK\r\n");

  control_ok (f, "fault deny");
  assert_urcs (f, "\r\n+CEREG: 3\r\n", "+CEREG: 3\r\n");
  assert_exchange (f, "AT+QIACT?", "\r\nOK\r\n");
  assert_exchange (f, "AT+QENG=\"servingcell\"",
                   "\r\n+QENG: \"servingcell\",\"LIMSRV\"\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+COPS=?",
                   "\r\n+COPS: (3,\"Fake Telecom\",\"Fake\",\"00101\",8),,(0-4),(0-2)"
                   "\r\n\r\nOK\r\n");
  assert_not_registered (f);
  assert_exchange (f, "AT+QIACT=1", "\r\nERROR\r\n");

  control_ok (f, "fault roam");
  assert_urcs (f, "\r\n+CEREG: 5" REG_LOCATION "\r\n", "8\r\n");
  assert_exchange (f, "AT+CEREG?", "\r\n+CEREG: 2,5" REG_LOCATION "\r\n\r\nOK\r\n");
  assert_registered (f);
  assert_exchange (f, "AT+QIACT=1", "\r\nOK\r\n");
  open_expecting (f, 0, 0);
  assert_get_time (f, 0);
  control_fails (f, "fault roam=1");
}

/* No coverage from the start: the attach finds nothing until the network
 * is there. A registration fault needs no running modem. */
static const char *const no_coverage_sim[]
    = { "--boot-delay", "50", "--attach-delay", "100", "--fault", "deregister", NULL };

static void
test_network_no_coverage (Fixture *f, gconstpointer data)
{
  echo_off (f);
  assert_exchange (f, "AT+CEREG=1", "\r\nOK\r\n");
  assert_quiet (f, 300);
  assert_exchange (f, "AT+CEREG?", "\r\n+CEREG: 1,2\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+COPS=?", "\r\n+COPS: ,,(0-4),(0-2)\r\n\r\nOK\r\n");
  control_ok (f, "fault register");
  assert_urcs (f, "\r\n+CEREG: 1\r\n", "+CEREG: 1\r\n");
}

/* The signal follows the RSRP given on the command line and at run time. */
static const char *const weak_signal_sim[]
    = { "--boot-delay", "50", "--attach-delay", "0", "--fault", "signal=-120", NULL };

static void
test_network_signal (Fixture *f, gconstpointer data)
{
  echo_off (f);
  assert_exchange (f, "AT+CSQ", "\r\n+CSQ: 9,99\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QCSQ", "\r\n+QCSQ: \"CAT-M1\",-95,-120,110,-16\r\n\r\nOK\r\n");
  control_ok (f, "fault signal=-100");
  assert_exchange (f, "AT+CSQ", "\r\n+CSQ: 19,99\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QCSQ", "\r\n+QCSQ: \"CAT-M1\",-75,-100,160,-12\r\n\r\nOK\r\n");
  assert_exchange (
      f, "AT+QENG=\"servingcell\"",
      "\r\n+QENG: \"servingcell\",\"NOCONN\",\"CAT-M1\",\"FDD\",001,01,1A2D00F,123,6300,"
      "20,3,3,3A9F,-100,-12,-75,12,28\r\n\r\nOK\r\n");
  control_ok (f, "fault signal=-44");
  assert_exchange (f, "AT+CSQ", "\r\n+CSQ: 31,99\r\n\r\nOK\r\n");
  control_ok (f, "fault signal=-140");
  assert_exchange (f, "AT+CSQ", "\r\n+CSQ: 0,99\r\n\r\nOK\r\n");
  control_fails (f, "fault signal=-141");
  control_fails (f, "fault signal=-43");
  control_fails (f, "fault signal=strong");
  control_fails (f, "fault signal");
}

/* --network-ready: registered with context 1 up at every power-up; the
 * firmware activates context 1 again on every registration, and an open
 * meanwhile gets -6. */
static const char *const ready_sim[]
    = { "--boot-delay", "50", "--reset-silence", "300", "--network-ready", "--activation-delay",
        "1000",         NULL };

static void
test_network_ready (Fixture *f, gconstpointer data)
{
  g_autofree char *answer = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) buffer = g_byte_array_new ();

  echo_off (f);
  assert_exchange (f, "AT+CEREG?", "\r\n+CEREG: 0,1\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QIACT?", "\r\n+QIACT: 1,1,1,\"10.64.0.1\"\r\n\r\nOK\r\n");
  open_expecting (f, 0, 0);
  assert_exchange (f, "AT+CEREG=1", "\r\nOK\r\n");
  control_ok (f, "fault deregister");
  assert_urcs (f, "\r\n+CEREG: 2\r\n", "+CEREG: 2\r\n");
  assert_exchange (f, "AT+QCOAPOPEN?", "\r\nOK\r\n");
  open_expecting (f, 0, -4);
  control_ok (f, "fault register");
  assert_urcs (f, "\r\n+CEREG: 1\r\n", "+CEREG: 1\r\n");
  open_expecting (f, 0, -6);
  assert_exchange (f, "AT+QIACT=1", "\r\nERROR\r\n");
  harness_serial_read_for (f->serial, buffer, 1100);
  assert_bytes (buffer, "", 0);
  assert_exchange (f, "AT+QIACT?", "\r\n+QIACT: 1,1,1,\"10.64.0.1\"\r\n\r\nOK\r\n");
  open_expecting (f, 0, 0);
  assert_get_time (f, 0);

  /* A reset forgets the reports, keeps the settings, and the firmware has
   * the context up again. */
  assert_exchange (f, "AT+QICSGP=1,1,\"kept.example\"", "\r\nOK\r\n");
  answer = control (f, "reboot");
  g_assert_cmpstr (answer, ==, "OK booted");
  harness_serial_read_until (f->serial, buffer, "APP RDY\r\n", TIMEOUT_MS, &error);
  g_assert_no_error (error);
  echo_off (f);
  assert_exchange (f, "AT+CEREG?", "\r\n+CEREG: 0,1\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QICSGP=1", "\r\n+QICSGP: 1,\"kept.example\",\"\",\"\",0\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QIACT?", "\r\n+QIACT: 1,1,1,\"10.64.0.1\"\r\n\r\nOK\r\n");
  open_expecting (f, 0, 0);
}

/* An AT+QIACT still waiting when the registration goes answers ERROR. */
static const char *const slow_activation_sim[]
    = { "--boot-delay", "50", "--attach-delay", "0", "--activation-delay", "2000", NULL };

static void
test_network_loss_during_activation (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  echo_off (f);
  assert_exchange (f, "AT+CEREG=1", "\r\nOK\r\n");
  harness_serial_write (f->serial, "AT+QIACT=1\r", 11, &error);
  g_assert_no_error (error);
  control_ok (f, "fault deregister");
  assert_urcs (f, "\r\n+CEREG: 2\r\n\r\nERROR\r\n", "ERROR\r\n");
  assert_exchange (f, "AT+QIACT?", "\r\nOK\r\n");
  assert_quiet (f, 100);
}

/* pdp-drop and pdp-restore act on a running modem only. */
static void
test_network_fault_needs_modem (void)
{
  const char *const args[] = { "--fault", "pdp-drop", NULL };
  g_autofree char *dir = harness_make_temp_dir ();
  g_autoptr (GError) error = NULL;
  g_autoptr (HarnessSim) sim = harness_sim_start_bare (dir, args, &error);

  g_assert_null (sim);
  g_assert_nonnull (error);
  harness_remove_temp_dir (dir);
}

static const char *const field_sim[]
    = { "--boot-delay", "50", "--baud", "2400", "--pace-input", "--at-latency", "50", NULL };

/* --pace-input: the modem sees a command only when its last byte is
 * through the line (27 bytes at 240 a second: 112 ms); --at-latency: it
 * answers 50 ms after that; the answer then takes its own line time. Without
 * input pacing the exchange would take about 75 ms. */
static void
test_pace_input_and_at_latency (Fixture *f, gconstpointer data)
{
  const char *command = "AT+QCOAPCFG=\"trans\",5,60,8";
  const char *answer = "\r\nOK\r\n";
  gint64 line_us = (gint64)(strlen (command) + 1 + strlen (answer)) * G_USEC_PER_SEC / 240;
  gint64 start;

  echo_off (f);
  start = g_get_monotonic_time ();
  assert_exchange (f, command, answer);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, (line_us + 50 * 1000) * 9 / 10);
}

/* ---- the module's family, its URC port and power saving ---- */

static const char *const bg95_sim[] = { "--boot-delay", "50", "--reset-silence", "300",
                                        "--time-scale", "20", "--network-ready", "--model",
                                        "BG95",         NULL };
static const char *const bc66_sim[]
    = { "--boot-delay", "50", "--reset-silence", "300", "--model", "BC66", NULL };
static const char *const uart1_sim[]
    = { "--boot-delay",    "50",         "--reset-silence", "300", "--time-scale", "20",
        "--network-ready", "--urc-port", "uart1",           NULL };
static const char *const psm_sim[]
    = { "--boot-delay", "50", "--reset-silence", "300", "--psm-requested", NULL };

/* A BG95 says who it is and names LTE-M "eMTC"; the default BG96 says
 * "CAT-M1" (see /sim/network/commands). */
static void
test_model_bg95 (Fixture *f, gconstpointer data)
{
  echo_off (f);
  assert_exchange (f, "ATI", "\r\nQuectel\r\nBG95-M3\r\nRevision: BG95M3LAR02A03\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+CGMR", "\r\nBG95M3LAR02A03\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QCSQ", "\r\n+QCSQ: \"eMTC\",-62,-87,195,-10\r\n\r\nOK\r\n");
}

/* A BC66 has none of the BG96's CoAP commands. */
static void
test_model_bc66 (Fixture *f, gconstpointer data)
{
  echo_off (f);
  assert_exchange (f, "ATI", "\r\nQuectel\r\nBC66\r\nRevision: BC66NBR01A10\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+QCOAPCFG=?", "\r\nERROR\r\n");
  assert_exchange (f, "AT+QCOAPOPEN=0,\"127.0.0.1\",5683", "\r\nERROR\r\n");
  assert_exchange (f, "AT+GSN", "\r\n866425030123457\r\n\r\nOK\r\n");
}

/* URCs go to the stored port only; setting it to this one lets them out. */
static void
test_urc_port (Fixture *f, gconstpointer data)
{
  g_autofree char *open0 = NULL;

  echo_off (f);
  assert_exchange (f, "AT+QURCCFG=\"urcport\"",
                   "\r\n+QURCCFG: \"urcport\",\"uart1\"\r\n\r\nOK\r\n");
  open_peer (f);
  open0 = g_strdup_printf ("AT+QCOAPOPEN=0,\"127.0.0.1\",%u", f->peer_port);
  assert_exchange (f, open0, "\r\nOK\r\n");
  assert_quiet (f, 300);
  assert_exchange (f, "AT+QURCCFG=\"urcport\",\"bluetooth\"", "\r\nERROR\r\n");
  assert_exchange (f, "AT+QURCCFG=\"urcport\",\"usbat\"", "\r\nOK\r\n");
  open_client (f, 1, f->peer_port);
  /* The setting outlives a reboot. */
  g_free (control (f, "reboot"));
  assert_urcs (f, BOOT_URCS, "APP RDY\r\n");
  echo_off (f);
  assert_exchange (f, "AT+QURCCFG=\"urcport\"",
                   "\r\n+QURCCFG: \"urcport\",\"usbat\"\r\n\r\nOK\r\n");
}

/* With PSM requested the module sleeps when the network grants it, and boots
 * when it wakes; with PSM off it stays awake. */
static void
test_power_saving (Fixture *f, gconstpointer data)
{
  echo_off (f);
  assert_exchange (f, "AT+CPSMS?", "\r\n+CPSMS: 1\r\n\r\nOK\r\n");
  g_free (control (f, "fault psm-sleep=400"));
  assert_urcs (f, "\r\nPSM POWER DOWN\r\n", "DOWN\r\n");
  harness_serial_write (f->serial, "AT\r", 3, NULL);
  assert_quiet (f, 200);
  assert_urcs (f, BOOT_URCS, "APP RDY\r\n");
  echo_off (f);
  assert_exchange (f, "AT+CPSMS?", "\r\n+CPSMS: 1\r\n\r\nOK\r\n");
  assert_exchange (f, "AT+CPSMS=0", "\r\nOK\r\n");
  assert_exchange (f, "AT+CEDRXS=0", "\r\nOK\r\n");
  g_free (control (f, "fault psm-sleep=400"));
  assert_quiet (f, 600);
  assert_exchange (f, "AT", "\r\nOK\r\n");
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *server_dir = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  server_dir = harness_make_temp_dir ();
  coap_server = harness_coap_server_start (server_dir, NULL, &error);
  g_assert_no_error (error);

#define ADD(path, func, args)                                                                      \
  g_test_add (path, Fixture, args, fixture_set_up, func, fixture_tear_down)
  ADD ("/sim/at/echo", test_echo, NULL);
  ADD ("/sim/at/identification", test_identification, NULL);
  ADD ("/sim/at/cme-formats", test_cme_formats, NULL);
  ADD ("/sim/at/file-upload", test_file_upload, NULL);
  ADD ("/sim/at/reset", test_reset, NULL);
  ADD ("/sim/at/coapcfg", test_coapcfg, NULL);
  ADD ("/sim/at/open-close", test_open_close, NULL);
  ADD ("/sim/at/error-cases", test_error_cases, NULL);
  ADD ("/sim/at/payload-limits", test_payload_limits, NULL);
  ADD ("/sim/at/bad-input", test_bad_input, NULL);
  ADD ("/sim/coap/get-time", test_get_time, NULL);
  ADD ("/sim/coap/put-get-binary", test_put_get_binary, NULL);
  ADD ("/sim/coap/not-found", test_not_found, NULL);
  ADD ("/sim/coap/non-post", test_non_post, NULL);
  ADD ("/sim/coap/async-separate-response", test_async_separate_response, NULL);
  ADD ("/sim/coap/retransmission-exhausted", test_retransmission_exhausted, NULL);
  ADD ("/sim/coap/ack-rst-separate", test_ack_rst_and_separate_response, NULL);
  ADD ("/sim/coap/esc-cancels", test_esc_cancels, NULL);
  ADD ("/sim/coap/options-on-the-wire", test_options_on_the_wire, NULL);
  ADD ("/sim/coap/mask-selects-empty-slots", test_mask_selects_empty_slots, NULL);
  ADD ("/sim/coap/large-datagram", test_large_datagram, NULL);
  ADD ("/sim/faults", test_faults, NULL);
  ADD ("/sim/unplug-replug", test_unplug_replug, NULL);
  ADD ("/sim/baud-and-net-delay", test_baud_and_net_delay, slow_sim);
  ADD ("/sim/pace-input-and-at-latency", test_pace_input_and_at_latency, field_sim);
  ADD ("/sim/model/bg95", test_model_bg95, bg95_sim);
  ADD ("/sim/urc-port", test_urc_port, uart1_sim);
#define ADD_BARE(path, func, args)                                                                 \
  g_test_add (path, Fixture, args, fixture_set_up_bare, func, fixture_tear_down)
  ADD_BARE ("/sim/network/attach", test_network_attach, default_attach_sim);
  ADD_BARE ("/sim/network/commands", test_network_commands, registered_sim);
  ADD_BARE ("/sim/network/context", test_network_context, unattached_sim);
  ADD_BARE ("/sim/network/pdp-drop", test_network_pdp_drop, registered_sim);
  ADD_BARE ("/sim/network/drop-during-handshake", test_network_drop_during_handshake,
            registered_sim);
  ADD_BARE ("/sim/network/qiact-fail", test_network_qiact_fail, qiact_fail_sim);
  ADD_BARE ("/sim/network/deregister", test_network_deregister, registered_sim);
  ADD_BARE ("/sim/network/no-coverage", test_network_no_coverage, no_coverage_sim);
  ADD_BARE ("/sim/network/signal", test_network_signal, weak_signal_sim);
  ADD_BARE ("/sim/network/ready", test_network_ready, ready_sim);
  ADD_BARE ("/sim/network/loss-during-activation", test_network_loss_during_activation,
            slow_activation_sim);
  g_test_add_func ("/sim/network/fault-needs-modem", test_network_fault_needs_modem);
  ADD_BARE ("/sim/model/bc66", test_model_bc66, bc66_sim);
  ADD_BARE ("/sim/power-saving", test_power_saving, psm_sim);

  status = g_test_run ();
  g_clear_pointer (&coap_server, harness_coap_server_free);
  harness_remove_temp_dir (server_dir);
  return status;
}
