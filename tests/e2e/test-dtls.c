/* SPDX-License-Identifier: MIT */
/* test-dtls.c — coaps:// end to end: D-Bus → qcoapd → the PSK file and DTLS
 * settings on the modem → bg96-sim's DTLS client (GnuTLS) → libcoap's
 * coap-server-openssl with a pre-shared key, and back. */
#include <string.h>

#include "e2e-env.h"
#include "e2e-session.h"
#include "harness.h"

#define IDENTITY "qcoapd-test-device"
/* Distinctive enough that finding it (or its hex) in a log cannot be chance. */
#define KEY       "Qz7-dtls-psk-9fK2xW"
#define WRONG_KEY "not-the-key-at-all"

static E2eEnv *env;
static HarnessCoapServer *dtls_server;
static char *dtls_dir;    /* its own directory: the harness names its log coap-server.log too */
static guint16 dtls_port; /* coap-server serves DTLS on its port + 1 */

/* ---- helpers ------------------------------------------------------------------------- */

/* Open's options (or Request's flags) with a PSK; NULL leaves a field out. */
static GVariant *
psk_options (const char *identity, const void *key, gsize key_length, int client_id)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{sv}"));
  if (identity)
    g_variant_builder_add (&builder, "{sv}", "dtls-psk-identity", g_variant_new_string (identity));
  if (key)
    g_variant_builder_add (&builder, "{sv}", "dtls-psk-key", e2e_bytes (key, key_length));
  if (client_id >= 0)
    g_variant_builder_add (&builder, "{sv}", "client-id", g_variant_new_byte ((guint8)client_id));
  return g_variant_builder_end (&builder);
}

static char *
open_secure (int client_id)
{
  return e2e_open_session (env->bus, dtls_port,
                           psk_options (IDENTITY, KEY, strlen (KEY), client_id));
}

/* Session.Request on @path; returns the code and (in @payload) the body. */
static guint8
session_request (const char *path, guint8 code, const char *uri_path, const void *body,
                 gsize body_length, GBytes **payload)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) response_payload = NULL;
  guint8 response_code;

  reply = e2e_session_request (env->bus, path, code, e2e_bytes (body, body_length),
                               e2e_vardict ("uri-path", g_variant_new_string (uri_path), NULL),
                               &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(y@a(qv)@ay)", &response_code, NULL, &response_payload);
  if (payload)
    *payload = g_variant_get_data_as_bytes (response_payload);
  return response_code;
}

static gboolean
session_is_secure (const char *path)
{
  g_autoptr (GVariant) value = e2e_env_get_property (env, path, E2E_SESSION_IFACE, "Secure");

  g_assert_nonnull (value);
  return g_variant_get_boolean (value);
}

/* The position of @needle in @text after the match at @from (or anywhere
 * in @text, for NULL); fails if absent. */
static const char *
find_after (const char *text, const char *from, const char *needle)
{
  const char *start = from ? from + 1 : text;
  const char *found = strstr (start, needle);

  if (found == NULL)
    g_error ("“%s” not found in the simulator's log:\n%s", needle, start);
  return found;
}

/* ---- tests ------------------------------------------------------------------------- */

/* Open with the key, GET /time and a binary PUT/GET over DTLS, Close; the
 * simulator's log shows the whole AT sequence of "DTLS with a pre-shared
 * key" (daemon/AT-INTERFACE.md) in order, the CoAP inside DTLS, and the key
 * file deleted after the close. */
static void
test_session (void)
{
  gsize offset = e2e_env_sim_log_offset (env);
  g_autofree char *path = open_secure (0);
  g_autoptr (GBytes) time_payload = NULL;
  g_autoptr (GBytes) read_back = NULL;
  g_autofree char *upload = NULL;
  g_autofree char *log = NULL;
  g_autofree char *session_log = NULL;
  const char *at;
  guint8 body[300];
  guint8 code;

  g_assert_true (session_is_secure (path));
  g_assert_cmpuint (session_request (path, 1, "/time", NULL, 0, &time_payload), ==, 69);
  g_assert_cmpuint (g_bytes_get_size (time_payload), >, 0);

  /* Every byte value, CR LF, Ctrl+Z and NUL included. */
  for (guint i = 0; i < sizeof body; i++)
    body[i] = (guint8)(i * 7 + 3);
  body[0] = 0x00;
  body[1] = 0x1a;
  body[2] = '\r';
  body[3] = '\n';
  /* 2.01 Created the first time, 2.04 Changed after. */
  code = session_request (path, 3, "/example_data", body, sizeof body, NULL);
  g_assert_true (code == 65 || code == 68);
  g_assert_cmpuint (session_request (path, 1, "/example_data", NULL, 0, &read_back), ==, 69);
  g_assert_cmpmem (g_bytes_get_data (read_back, NULL), g_bytes_get_size (read_back), body,
                   sizeof body);

  e2e_close_session (env->bus, path);
  e2e_env_wait_free_clients (env, 6);
  log = e2e_env_wait_sim_log (env, offset, "at-rx AT+QCOAPCFG=\"dtls\",0,0,0");

  /* Install: delete, upload (size and checksum answered), configure, open. */
  upload = g_strdup_printf ("at-rx AT+QFUPL=\"UFS:0_server.psk\",%zu",
                            strlen (IDENTITY) + 1 + 2 * strlen (KEY));
  at = find_after (log, NULL, "at-rx AT+QFDEL=\"UFS:0_server.psk\"");
  at = find_after (log, at, upload);
  at = find_after (log, at, "at-tx \\r\\nCONNECT\\r\\n");
  at = find_after (log, at, "payload-rx (");
  at = find_after (log, at, "at-tx +QFUPL: ");
  at = find_after (log, at, "at-rx AT+QSSLCFG=\"dtls\",0,1");
  at = find_after (log, at, "at-rx AT+QSSLCFG=\"dtlsversion\",0,1");
  at = find_after (log, at, "at-rx AT+QCOAPCFG=\"dtls\",0,1,0");
  /* No CipherSuite= in the configuration: the module keeps its own. */
  g_assert_null (strstr (log, "ciphersuite"));
  at = find_after (log, at, "at-rx AT+QCOAPOPEN=0,");
  at = find_after (log, at, "DTLS session with 127.0.0.1");
  session_log = g_strdup (at);
  /* The CoAP went inside DTLS, none of it as plain UDP. */
  at = find_after (log, at, "dtls-tx 0 ");
  at = find_after (log, at, "dtls-rx 0 ");
  at = find_after (log, at, "at-rx AT+QCOAPCLOSE=0");
  g_assert_null (strstr (session_log, "udp-tx 0 "));
  /* After the close: the key file goes, and DTLS is off for client 0. */
  find_after (log, at, "at-rx AT+QFDEL=\"UFS:0_server.psk\"");
  find_after (log, at, "at-rx AT+QCOAPCFG=\"dtls\",0,0,0");
}

/* The client ID of a DTLS session serves a plain session afterwards. */
static void
test_plain_after_secure (void)
{
  g_autofree char *secure = open_secure (0);
  g_autofree char *plain = NULL;

  e2e_close_session (env->bus, secure);
  e2e_env_wait_free_clients (env, 6);
  plain = e2e_open_session (env->bus, env->coap_port, psk_options (NULL, NULL, 0, 0));
  g_assert_false (session_is_secure (plain));
  g_assert_cmpuint (session_request (plain, 1, "/time", NULL, 0, NULL), ==, 69);
  e2e_close_session (env->bus, plain);
  e2e_env_wait_free_clients (env, 6);
}

/* Manager.Request with a coaps:// URI and the key in its flags. */
static void
test_one_shot (void)
{
  g_autofree char *uri = g_strdup_printf ("coaps://127.0.0.1:%u/time", dtls_port);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) payload = NULL;
  guint8 code;

  reply
      = e2e_call (env->bus, E2E_MANAGER_PATH, E2E_MANAGER_IFACE, "Request",
                  g_variant_new ("(sy@a(qv)@ay@a{sv})", uri, 1, e2e_no_options (),
                                 e2e_bytes ("", 0), psk_options (IDENTITY, KEY, strlen (KEY), -1)),
                  &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(y@a(qv)@ay)", &code, NULL, &payload);
  g_assert_cmpuint (code, ==, 69);
  g_assert_cmpuint (g_variant_n_children (payload), >, 0);
  e2e_env_wait_free_clients (env, 6);
}

/* The wrong key: the server stays silent, the handshake times out, Open
 * fails with DtlsHandshake, and the client ID and the modem are clean. */
static void
test_wrong_key (void)
{
  gsize offset = e2e_env_sim_log_offset (env);
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *log = NULL;
  const char *at;
  gint64 start = g_get_monotonic_time ();
  gint64 elapsed_ms;

  path = e2e_try_open_session (env->bus, dtls_port,
                               psk_options (IDENTITY, WRONG_KEY, strlen (WRONG_KEY), 2),
                               E2E_CALL_TIMEOUT_MS, &error);
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  g_assert_null (path);
  e2e_assert_remote_error (error, E2E_ERROR_PREFIX "DtlsHandshake");
  g_test_message ("wrong key reported after %" G_GINT64_FORMAT " ms", elapsed_ms);
  e2e_env_wait_free_clients (env, 6);

  log = e2e_env_wait_sim_log (env, offset, "at-rx AT+QCOAPCFG=\"dtls\",2,0,2");
  at = find_after (log, NULL, "at-rx AT+QCOAPOPEN=2,");
  at = find_after (log, at, "DTLS handshake with 127.0.0.1");
  at = find_after (log, at, "urc +QCOAPOPEN: 2,-9");
  find_after (log, at, "at-rx AT+QFDEL=\"UFS:2_server.psk\"");
}

/* The modem reports a damaged upload once: the daemon deletes it, uploads
 * again, and the session works. */
static void
test_upload_retried (void)
{
  gsize offset = e2e_env_sim_log_offset (env);
  g_autofree char *path = NULL;
  g_autofree char *log = NULL;
  const char *at;

  e2e_env_sim_command (env, "fault corrupt-upload=1");
  path = open_secure (1);
  g_assert_cmpuint (session_request (path, 1, "/time", NULL, 0, NULL), ==, 69);
  e2e_close_session (env->bus, path);
  e2e_env_wait_free_clients (env, 6);
  log = e2e_env_wait_sim_log (env, offset, "at-rx AT+QCOAPCFG=\"dtls\",1,0,1");
  at = find_after (log, NULL, "at-rx AT+QFUPL=\"UFS:1_server.psk\"");
  at = find_after (log, at, "stored with a flipped bit");
  at = find_after (log, at, "at-rx AT+QFDEL=\"UFS:1_server.psk\"");
  at = find_after (log, at, "at-rx AT+QFUPL=\"UFS:1_server.psk\"");
  find_after (log, at, "DTLS session with 127.0.0.1");
}

/* Damaged twice: Open fails with ModemError, nothing is left behind. */
static void
test_upload_damaged_twice (void)
{
  gsize offset = e2e_env_sim_log_offset (env);
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *log = NULL;
  const char *at;

  e2e_env_sim_command (env, "fault corrupt-upload=2");
  path = e2e_try_open_session (env->bus, dtls_port, psk_options (IDENTITY, KEY, strlen (KEY), 1),
                               E2E_CALL_TIMEOUT_MS, &error);
  g_assert_null (path);
  e2e_assert_remote_error (error, E2E_ERROR_PREFIX "ModemError");
  g_assert_nonnull (strstr (error->message, "UFS:1_server.psk"));
  e2e_env_wait_free_clients (env, 6);
  log = e2e_env_wait_sim_log (env, offset, "at-rx AT+QCOAPCFG=\"dtls\",1,0,1");
  at = find_after (log, NULL, "at-rx AT+QFUPL=\"UFS:1_server.psk\"");
  at = find_after (log, at, "at-rx AT+QFUPL=\"UFS:1_server.psk\"");
  at = find_after (log, at, "at-rx AT+QFDEL=\"UFS:1_server.psk\"");
  /* Two uploads only, and no open. */
  g_assert_null (strstr (at, "AT+QFUPL="));
  g_assert_null (strstr (log, "AT+QCOAPOPEN=1,"));
}

/* Bad keys are refused before anything reaches the modem. */
static void
test_bad_input (void)
{
  guint8 long_key[65];
  const struct
  {
    const char *what;
    const char *identity;
    const void *key;
    gsize key_length;
  } cases[] = {
    { "empty identity", "", KEY, strlen (KEY) },
    { "key of 65 bytes", IDENTITY, long_key, sizeof long_key },
    { "empty key", IDENTITY, "", 0 },
    { "identity with '&'", "a&b", KEY, strlen (KEY) },
    { "identity without key", IDENTITY, NULL, 0 },
    { "key without identity", NULL, KEY, strlen (KEY) },
  };
  gsize offset;

  memset (long_key, 'k', sizeof long_key);
  /* Earlier tests' clean-up may still be on its way to the modem. */
  g_usleep (300000);
  offset = e2e_env_sim_log_offset (env);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) open_error = NULL;
      g_autoptr (GError) request_error = NULL;
      g_autoptr (GVariant) reply = NULL;
      g_autofree char *path = NULL;
      g_autofree char *uri = g_strdup_printf ("coaps://127.0.0.1:%u/time", dtls_port);

      g_test_message ("%s", cases[i].what);
      path = e2e_try_open_session (
          env->bus, dtls_port,
          psk_options (cases[i].identity, cases[i].key, cases[i].key_length, -1),
          E2E_CALL_TIMEOUT_MS, &open_error);
      g_assert_null (path);
      e2e_assert_remote_error (open_error, E2E_ERROR_PREFIX "InvalidArgument");
      reply = e2e_call (
          env->bus, E2E_MANAGER_PATH, E2E_MANAGER_IFACE, "Request",
          g_variant_new ("(sy@a(qv)@ay@a{sv})", uri, 1, e2e_no_options (), e2e_bytes ("", 0),
                         psk_options (cases[i].identity, cases[i].key, cases[i].key_length, -1)),
          &request_error);
      g_assert_null (reply);
      e2e_assert_remote_error (request_error, E2E_ERROR_PREFIX "InvalidArgument");
    }
  g_assert_cmpuint (e2e_env_sim_log_offset (env), ==, offset);
  g_assert_cmpuint (e2e_env_free_clients (env), ==, 6);
}

/* qcoapctl's coaps:// with -u and -k. */
static void
test_qcoapctl (void)
{
  const char *qcoapctl = g_getenv ("QCOAPCTL");
  g_autofree char *uri = g_strdup_printf ("coaps://127.0.0.1:%u/time", dtls_port);
  g_autofree char *bus = g_strdup_printf ("--bus=%s", env->bus_address);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  int status;
  const char *argv[] = { qcoapctl, bus, "get", "-u", IDENTITY, "-k", KEY, uri, NULL };

  if (qcoapctl == NULL)
    {
      g_test_skip ("QCOAPCTL is not set");
      return;
    }
  harness_run (argv, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("qcoapctl failed: %s", err);
  /* /time answers like "Nov 25 18:05:53". */
  g_assert_true (g_regex_match_simple ("^[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8}", out, 0, 0));
  e2e_env_wait_free_clients (env, 6);
}

/* Asserts that no *.log file in @dir holds any of @needles; returns how
 * many log files it read. */
static guint
assert_logs_free_of (const char *dir_path, const char *const *needles)
{
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GError) error = NULL;
  const char *name;
  guint files = 0;

  dir = g_dir_open (dir_path, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (dir_path, name, NULL);
      g_autofree char *text = NULL;
      gsize length;

      if (!g_str_has_suffix (name, ".log") || !g_file_get_contents (file, &text, &length, NULL))
        continue;
      files++;
      g_test_message ("%s: %zu bytes", file, length);
      g_assert_cmpuint (length, >, 0);
      for (const char *const *needle = needles; *needle != NULL; needle++)
        if (g_strstr_len (text, length, *needle) != NULL)
          g_error ("%s contains “%s”", file, *needle);
    }
  return files;
}

/* Last: no log of any process the tests ran holds the key, raw or in hex. */
static void
test_no_key_in_logs (void)
{
  g_autofree char *hex_lower = NULL;
  g_autofree char *hex_upper = NULL;
  g_autofree char *hex_spaced = NULL;
  g_autoptr (GString) spaced = g_string_new (NULL);
  guint files;

  hex_lower = g_malloc0 (2 * strlen (KEY) + 1);
  for (gsize i = 0; i < strlen (KEY); i++)
    {
      g_snprintf (hex_lower + 2 * i, 3, "%02x", (guint8)KEY[i]);
      g_string_append_printf (spaced, "%s%02X", i ? " " : "", (guint8)KEY[i]);
    }
  hex_upper = g_ascii_strup (hex_lower, -1);
  hex_spaced = g_strdup (spaced->str);

  {
    const char *const needles[] = { KEY, hex_lower, hex_upper, hex_spaced, WRONG_KEY, NULL };

    /* qcoapd.log, bg96-sim.log and coap-server.log, then the DTLS
     * coap-server's log. */
    files = assert_logs_free_of (env->tmpdir, needles);
    g_assert_cmpuint (files, >=, 3);
    g_assert_cmpuint (assert_logs_free_of (dtls_dir, needles), ==, 1);
  }
}

int
main (int argc, char **argv)
{
  int status;
  E2eOptions options = { .config_text = NULL };
  const char *dtls_args[] = { "-k", KEY, NULL };
  g_autoptr (GError) error = NULL;

  g_test_init (&argc, &argv, NULL);
  options.under_valgrind = g_getenv ("QCOAPD_VALGRIND") != NULL;
  g_test_add_func ("/dtls/session", test_session);
  g_test_add_func ("/dtls/plain-after-secure", test_plain_after_secure);
  g_test_add_func ("/dtls/one-shot", test_one_shot);
  g_test_add_func ("/dtls/wrong-key", test_wrong_key);
  g_test_add_func ("/dtls/upload-retried", test_upload_retried);
  g_test_add_func ("/dtls/upload-damaged-twice", test_upload_damaged_twice);
  g_test_add_func ("/dtls/bad-input", test_bad_input);
  g_test_add_func ("/dtls/qcoapctl", test_qcoapctl);
  g_test_add_func ("/dtls/no-key-in-logs", test_no_key_in_logs);

  env = e2e_env_start (&options);
  /* A second coap-server, with the key: DTLS on its port + 1. */
  dtls_dir = harness_make_temp_dir ();
  dtls_server = harness_coap_server_start (dtls_dir, dtls_args, &error);
  g_assert_no_error (error);
  dtls_port = dtls_server->port + 1;
  status = g_test_run ();
  g_clear_pointer (&dtls_server, harness_coap_server_free);
  if (!e2e_env_stop (env, status != 0))
    status = 1;
  if (status == 0)
    harness_remove_temp_dir (dtls_dir);
  else
    g_printerr ("DTLS coap-server log kept in %s\n", dtls_dir);
  g_free (dtls_dir);
  return status;
}
