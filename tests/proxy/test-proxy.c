/* SPDX-License-Identifier: MIT */
/* test-proxy.c — qcoap-proxy end to end, driven by libcoap's coap-client:
 * coap-client → qcoap-proxy → D-Bus → qcoapd → bg96-sim → UDP or DTLS →
 * coap-server-openssl, and back. The forward proxy is reached with
 * coap-client -P, the reverse routes as plain servers.
 *
 * Paths come from the environment: QCOAP_PROXY (the proxy), and those of
 * e2e-env (QCOAPD, BG96_SIM); COAP_CLIENT names the client (default
 * coap-client-openssl). */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include "coap-pdu.h"
#include "e2e-env.h"
#include "harness.h"

#define IDENTITY "proxy-test-device"
/* Distinctive enough that finding it in a log cannot be chance. */
#define KEY             "Kp4-proxy-psk-7Hq2zR"
#define REQUEST_TIMEOUT 4 /* s: RequestTimeout= of the proxy */
#define IDLE_TIMEOUT    2 /* s: IdleTimeout= */
#define CLIENT_WAIT     "20"
/* How soon a request must be answered while the modem cannot serve: well
 * below REQUEST_TIMEOUT, so that waiting for the modem cannot pass. */
#define ANSWER_AT_ONCE_US (2 * G_USEC_PER_SEC)
/* How long the proxy may take to hear of a change of the modem. */
#define NOTICE_TIMEOUT_MS 10000

static struct
{
  E2eEnv *env;
  char *dir;
  HarnessCoapServer *server; /* -d: PUT and POST create; -k: DTLS on its port + 1 */
  GSubprocess *proxy;
  char *proxy_log;
  char *config_path;
  guint16 forward_port, plain_port, secure_port, silent_port;
  char *proxy_uri; /* coap://127.0.0.1:forward_port, for -P */
} t;

/* ---- processes ----------------------------------------------------------------------- */

typedef struct
{
  int status;
  char *out; /* the payload, and with -v 7 the log of every PDU */
  char *err; /* the code of a 4.xx or 5.xx response */
} ClientRun;

static void
client_run_clear (ClientRun *run)
{
  g_free (run->out);
  g_free (run->err);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ClientRun, client_run_clear)

static const char *
client_program (void)
{
  return g_getenv ("COAP_CLIENT") ? g_getenv ("COAP_CLIENT") : "coap-client-openssl";
}

static GPtrArray *
client_argv (const char *first, va_list args)
{
  GPtrArray *argv = g_ptr_array_new ();
  const char *arg;

  g_ptr_array_add (argv, (gpointer)client_program ());
  g_ptr_array_add (argv, "-B");
  g_ptr_array_add (argv, CLIENT_WAIT);
  for (arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer)arg);
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* Runs coap-client with the arguments given (NULL-terminated). */
static void
run_client (ClientRun *run, const char *first, ...)
{
  g_autoptr (GPtrArray) argv = NULL;
  g_autoptr (GError) error = NULL;
  va_list args;

  va_start (args, first);
  argv = client_argv (first, args);
  va_end (args);
  harness_run ((const char *const *)argv->pdata, &run->out, &run->err, &run->status, &error);
  g_assert_no_error (error);
  g_strchomp (run->out); /* coap-client ends its output with a newline */
}

static char *
server_uri (const char *scheme, guint16 port, const char *path)
{
  return g_strdup_printf ("%s://127.0.0.1:%u%s", scheme, port, path);
}

static char *
plain_uri (const char *path)
{
  return server_uri ("coap", t.server->port, path);
}

/* The PDUs coap-client received, one a line, from its -v 7 log (which
 * shows each after a "received N bytes" line). */
static char *
received_pdus (const char *log)
{
  g_auto (GStrv) lines = g_strsplit (log, "\n", -1);
  g_autoptr (GString) found = g_string_new (NULL);
  gboolean after_received = FALSE;

  for (gsize i = 0; lines[i]; i++)
    {
      if (strstr (lines[i], "received ") != NULL)
        after_received = TRUE;
      else if (after_received && g_str_has_prefix (lines[i], "v:1 "))
        {
          g_string_append_printf (found, "%s\n", lines[i]);
          after_received = FALSE;
        }
    }
  return g_string_free (g_steal_pointer (&found), FALSE);
}

/* The last of them, e.g. "v:1 t:ACK c:5.03 i:… {…} [ Max-Age:5 ] :: '…'". */
static char *
last_received_pdu (const char *log)
{
  g_autofree char *all = received_pdus (log);
  g_auto (GStrv) lines = g_strsplit (all, "\n", -1);
  guint n = g_strv_length (lines);

  return g_strdup (n >= 2 ? lines[n - 2] : "");
}

static char *
read_file (const char *path)
{
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, NULL);
  return text ? text : g_strdup ("");
}

static gsize
proxy_log_offset (void)
{
  g_autofree char *log = read_file (t.proxy_log);

  return strlen (log);
}

/* Whether the proxy logs @needle after @offset within @timeout_ms: it
 * logs when it learns that the modem can or cannot serve, which is the
 * moment its answers change. */
static gboolean
proxy_logged (gsize offset, const char *needle, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)timeout_ms * 1000;

  do
    {
      g_autofree char *log = read_file (t.proxy_log);

      if (strlen (log) > offset && strstr (log + offset, needle) != NULL)
        return TRUE;
      g_usleep (50000);
    }
  while (g_get_monotonic_time () < end);
  return FALSE;
}

static guint
count_lines_with (const char *text, const char *a, const char *b)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  guint count = 0;

  for (gsize i = 0; lines[i]; i++)
    count += strstr (lines[i], a) != NULL && (b == NULL || strstr (lines[i], b) != NULL);
  return count;
}

/* ---- the proxy ----------------------------------------------------------------------- */

static void
write_config (void)
{
  g_autofree char *key_path = g_build_filename (t.dir, "secure.key", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  g_file_set_contents (key_path, KEY "\n", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (chmod (key_path, 0600), ==, 0);
  text = g_strdup_printf ("[proxy]\nListen=127.0.0.1:%u\nRequestTimeout=%u\nIdleTimeout=%u\n"
                          "[route plain]\nListen=127.0.0.1:%u\nUpstream=coap://127.0.0.1:%u\n"
                          "[route secure]\nListen=127.0.0.1:%u\nUpstream=coaps://127.0.0.1:%u\n"
                          "PskIdentity=" IDENTITY "\nPskKeyFile=%s\n"
                          "[route silent]\nListen=127.0.0.1:%u\nUpstream=coap://127.0.0.1:%u\n",
                          t.forward_port, REQUEST_TIMEOUT, IDLE_TIMEOUT, t.plain_port,
                          t.server->port, t.secure_port, t.server->port + 1, key_path,
                          t.silent_port, t.env->silent_port);
  t.config_path = g_build_filename (t.dir, "qcoap-proxy.conf", NULL);
  g_file_set_contents (t.config_path, text, -1, &error);
  g_assert_no_error (error);
}

static GSubprocess *
spawn_proxy (const char *config_path, const char *log_path)
{
  g_autoptr (GSubprocessLauncher) launcher = harness_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *bus = g_strdup_printf ("--bus=%s", t.env->bus_address);
  g_autofree char *config = g_strdup_printf ("--config=%s", config_path);
  const char *argv[] = { g_getenv ("QCOAP_PROXY"), bus, config, "--verbose", NULL };
  g_autoptr (GError) error = NULL;
  GSubprocess *process;

  harness_launcher_log_to (launcher, log_path, FALSE, &error);
  g_assert_no_error (error);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  return process;
}

static void
start_proxy (void)
{
  t.forward_port = harness_find_free_udp_port ();
  t.plain_port = harness_find_free_udp_port ();
  t.secure_port = harness_find_free_udp_port ();
  t.silent_port = harness_find_free_udp_port ();
  t.proxy_uri = server_uri ("coap", t.forward_port, "");
  write_config ();
  t.proxy_log = g_build_filename (t.dir, "qcoap-proxy.log", NULL);
  t.proxy = spawn_proxy (t.config_path, t.proxy_log);
  /* libcoap answers a CoAP ping once the endpoints are bound. */
  g_assert_true (harness_coap_ping (t.forward_port, 10000));
  g_assert_true (harness_coap_ping (t.silent_port, 10000));
}

static void
on_proxy_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  gboolean *exited = user_data;

  *exited = TRUE;
}

static void
assert_proxy_running (void)
{
  static gboolean exited, watching;

  if (!watching)
    g_subprocess_wait_async (t.proxy, NULL, on_proxy_exited, &exited);
  watching = TRUE;
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_false (exited);
}

/* ---- the forward proxy: coap-client -P ----------------------------------------------- */

static void
test_forward_get (void)
{
  g_autofree char *uri = plain_uri ("/time");
  g_auto (ClientRun) run = { 0 };
  g_autofree char *server_log = NULL;

  run_client (&run, "-P", t.proxy_uri, uri, NULL);
  g_assert_cmpint (run.status, ==, 0);
  /* coap-server's /time: "Dec 01 09:46:32" */
  g_assert_true (g_regex_match_simple ("^[A-Z][a-z]{2} [0-9]{2} [0-9:]{8}$", run.out, 0, 0));
  /* It came through the modem: the simulator sent it. */
  server_log = read_file (t.server->log_path);
  g_assert_cmpuint (count_lines_with (server_log, "c:GET", "Uri-Path:time"), >=, 1);
}

static void
test_forward_put_post_delete (void)
{
  g_autofree char *uri = plain_uri ("/proxy/item");
  g_autofree char *post_uri = plain_uri ("/proxy/posted");
  g_auto (ClientRun) put = { 0 }, get = { 0 }, post = { 0 }, del = { 0 }, gone = { 0 };
  g_autofree char *post_pdu = NULL, *del_pdu = NULL, *gone_pdu = NULL;

  run_client (&put, "-P", t.proxy_uri, "-m", "put", "-e", "hello through the modem", uri, NULL);
  g_assert_cmpint (put.status, ==, 0);
  run_client (&get, "-P", t.proxy_uri, uri, NULL);
  g_assert_cmpstr (get.out, ==, "hello through the modem");
  run_client (&post, "-v", "7", "-P", t.proxy_uri, "-m", "post", "-e", "{\"t\":21.5}", "-t", "json",
              post_uri, NULL);
  post_pdu = last_received_pdu (post.out);
  g_assert_nonnull (strstr (post_pdu, "c:2.01"));
  /* coap-server -d answers with Location-Path; relayed as it came. */
  g_assert_nonnull (strstr (post_pdu, "Location-Path:proxy"));
  run_client (&del, "-v", "7", "-P", t.proxy_uri, "-m", "delete", uri, NULL);
  del_pdu = last_received_pdu (del.out);
  g_assert_nonnull (strstr (del_pdu, "c:2.02"));
  run_client (&gone, "-v", "7", "-P", t.proxy_uri, uri, NULL);
  gone_pdu = last_received_pdu (gone.out);
  g_assert_nonnull (strstr (gone_pdu, "c:4.04"));
}

/* 700 bytes of every value, zeros included, out and back byte for byte. */
static void
test_forward_binary (void)
{
  g_autofree char *uri = plain_uri ("/proxy/blob");
  g_autofree char *in_path = g_build_filename (t.dir, "blob.in", NULL);
  g_autofree char *out_path = g_build_filename (t.dir, "blob.out", NULL);
  g_autofree char *back = NULL;
  guint8 blob[700];
  gsize length = 0;
  g_auto (ClientRun) put = { 0 }, get = { 0 };

  for (gsize i = 0; i < sizeof blob; i++)
    blob[i] = (guint8)(i * 7 + (i >> 8));
  g_assert_true (g_file_set_contents (in_path, (const char *)blob, sizeof blob, NULL));
  run_client (&put, "-P", t.proxy_uri, "-m", "put", "-t", "octet-stream", "-f", in_path, uri, NULL);
  g_assert_cmpint (put.status, ==, 0);
  run_client (&get, "-P", t.proxy_uri, "-o", out_path, uri, NULL);
  g_assert_cmpint (get.status, ==, 0);
  g_assert_true (g_file_get_contents (out_path, &back, &length, NULL));
  g_assert_cmpmem (back, length, blob, sizeof blob);
}

static void
test_forward_not_found (void)
{
  g_autofree char *uri = plain_uri ("/no/such/resource");
  g_auto (ClientRun) run = { 0 };

  run_client (&run, "-P", t.proxy_uri, uri, NULL);
  /* coap-client prints the code of a 4.xx and still exits 0. */
  g_assert_nonnull (strstr (run.err, "4.04"));
}

/* NON: a Send, and the response relayed when its Received signal comes. */
static void
test_forward_non (void)
{
  g_autofree char *uri = plain_uri ("/time");
  g_autofree char *sim_log = NULL;
  g_auto (ClientRun) run = { 0 };
  gsize offset = e2e_env_sim_log_offset (t.env);

  run_client (&run, "-N", "-P", t.proxy_uri, uri, NULL);
  g_assert_true (g_regex_match_simple ("^[A-Z][a-z]{2} [0-9]{2} [0-9:]{8}$", run.out, 0, 0));
  sim_log = e2e_env_sim_log_since (t.env, offset);
  g_assert_cmpuint (count_lines_with (sim_log, "udp-tx", "NON GET"), ==, 1);
}

/* ---- reverse routes: plain clients, no proxy option ---------------------------------- */

static void
test_route_plain (void)
{
  g_autofree char *uri = server_uri ("coap", t.plain_port, "/time");
  g_auto (ClientRun) run = { 0 };

  run_client (&run, uri, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (g_regex_match_simple ("^[A-Z][a-z]{2} [0-9]{2} [0-9:]{8}$", run.out, 0, 0));
}

/* coaps:// with the key only in the proxy's configuration: the client
 * speaks plain CoAP on loopback and knows no key. */
static void
test_route_secure (void)
{
  g_autofree char *uri = server_uri ("coap", t.secure_port, "/proxy/secret");
  g_autofree char *forward = server_uri ("coaps", t.server->port + 1, "/proxy/secret");
  g_auto (ClientRun) put = { 0 }, get = { 0 }, via_forward = { 0 };
  g_autofree char *sim_log = NULL;
  gsize offset = e2e_env_sim_log_offset (t.env);

  run_client (&put, "-m", "put", "-e", "over dtls", uri, NULL);
  g_assert_cmpint (put.status, ==, 0);
  run_client (&get, uri, NULL);
  g_assert_cmpstr (get.out, ==, "over dtls");
  /* The forward proxy lends the route's key to the same server. */
  run_client (&via_forward, "-P", t.proxy_uri, forward, NULL);
  g_assert_cmpstr (via_forward.out, ==, "over dtls");
  /* It went inside DTLS: the simulator logs those messages as dtls-tx. */
  sim_log = e2e_env_sim_log_since (t.env, offset);
  g_assert_cmpuint (count_lines_with (sim_log, "dtls-tx", "secret"), >=, 3);
  g_assert_cmpuint (count_lines_with (sim_log, "udp-tx", "secret"), ==, 0);
}

/* A route sends no Proxy-Uri requests on: it is not a forward proxy. */
static void
test_route_is_not_a_forward_proxy (void)
{
  g_autofree char *proxy = server_uri ("coap", t.plain_port, "");
  g_autofree char *uri = plain_uri ("/time");
  g_auto (ClientRun) run = { 0 };

  run_client (&run, "-P", proxy, uri, NULL);
  g_assert_nonnull (strstr (run.err, "5.05"));
}

/* ---- sessions ------------------------------------------------------------------------- */

/* One session per server, reused; closed when idle. */
static void
test_session_reused_then_idle (void)
{
  g_autofree char *uri = server_uri ("coap", t.plain_port, "/time");
  g_autofree char *sim_log = NULL;
  gsize offset;

  e2e_env_wait_free_clients (t.env, 6);
  offset = e2e_env_sim_log_offset (t.env);
  for (int i = 0; i < 3; i++)
    {
      g_auto (ClientRun) run = { 0 };

      run_client (&run, uri, NULL);
      g_assert_cmpint (run.status, ==, 0);
    }
  g_assert_cmpuint (e2e_env_free_clients (t.env), ==, 5);
  sim_log = e2e_env_sim_log_since (t.env, offset);
  g_assert_cmpuint (count_lines_with (sim_log, "at-rx", "AT+QCOAPOPEN="), ==, 1);
  e2e_env_wait_free_clients (t.env, 6); /* IdleTimeout=2 */
}

/* Six clients at once, through the forward proxy and both routes. */
static void
test_six_clients (void)
{
  g_autofree char *plain = server_uri ("coap", t.plain_port, "/time");
  g_autofree char *secure = server_uri ("coap", t.secure_port, "/time");
  g_autofree char *forward = plain_uri ("/time");
  const char *uris[6] = { plain, plain, secure, secure, forward, forward };
  g_autoptr (GSubprocessLauncher) launcher = harness_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  GSubprocess *clients[6];

  for (int i = 0; i < 6; i++)
    {
      g_autoptr (GError) error = NULL;
      const char *plain_argv[] = { client_program (), "-B", CLIENT_WAIT, uris[i], NULL };
      const char *proxy_argv[]
          = { client_program (), "-B", CLIENT_WAIT, "-P", t.proxy_uri, uris[i], NULL };

      clients[i]
          = g_subprocess_launcher_spawnv (launcher, i >= 4 ? proxy_argv : plain_argv, &error);
      g_assert_no_error (error);
    }
  for (int i = 0; i < 6; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *out = NULL;

      g_subprocess_communicate_utf8 (clients[i], NULL, NULL, &out, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (g_regex_match_simple ("^[A-Z][a-z]{2} [0-9]{2} [0-9:]{8}$", out, 0, 0));
      g_object_unref (clients[i]);
    }
}

/* Piggybacked when the answer comes soon; an empty ACK and a separate
 * Confirmable response when it does not (coap-server's /async?2 answers
 * after two seconds). */
static void
test_piggybacked_and_separate (void)
{
  g_autofree char *now = server_uri ("coap", t.plain_port, "/time");
  g_autofree char *later = server_uri ("coap", t.plain_port, "/async?2");
  g_auto (ClientRun) quick = { 0 }, slow = { 0 };

  g_autofree char *quick_pdus = NULL, *slow_pdus = NULL;

  run_client (&quick, "-v", "7", now, NULL);
  quick_pdus = received_pdus (quick.out);
  g_assert_cmpuint (count_lines_with (quick_pdus, "t:ACK c:2.05", NULL), ==, 1);
  g_assert_cmpuint (count_lines_with (quick_pdus, "v:1", NULL), ==, 1);
  run_client (&slow, "-v", "7", later, NULL);
  slow_pdus = received_pdus (slow.out);
  g_assert_cmpuint (count_lines_with (slow_pdus, "t:ACK c:0.00", NULL), ==, 1);
  g_assert_cmpuint (count_lines_with (slow_pdus, "t:CON c:2.05", NULL), ==, 1);
  g_assert_cmpuint (count_lines_with (slow_pdus, "t:CON c:2.05", ":: 'done'"), ==, 1);
}

/* ---- what the modem cannot carry, answered at once ----------------------------------- */

/* The last PDU the client received for @uri through the forward proxy. */
static char *
forward_answer (const char *uri, const char *option, const char *value)
{
  g_auto (ClientRun) run = { 0 };

  if (option != NULL)
    run_client (&run, "-v", "7", "-P", t.proxy_uri, option, value, uri, NULL);
  else
    run_client (&run, "-v", "7", "-P", t.proxy_uri, uri, NULL);
  return last_received_pdu (run.out);
}

static void
test_error_unsendable_options (void)
{
  g_autofree char *uri = plain_uri ("/time");
  g_autofree char *observe = forward_answer (uri, "-s", "3");
  g_autofree char *block = forward_answer (uri, "-b", "64");
  g_autofree char *size2 = forward_answer (uri, "-O", "28,x");

  /* Unsafe options the modem has no slot for: 4.02 (RFC 7252 §5.7.1). */
  g_assert_nonnull (strstr (observe, "c:4.02"));
  g_assert_nonnull (strstr (observe, "Observe (6)"));
  g_assert_nonnull (strstr (block, "c:4.02"));
  g_assert_nonnull (strstr (block, "Block2 (23)"));
  /* A Safe-to-Forward one it cannot forward: 5.05. */
  g_assert_nonnull (strstr (size2, "c:5.05"));
}

static void
test_error_payload_too_large (void)
{
  g_autofree char *path = g_build_filename (t.dir, "large.in", NULL);
  g_autofree char *uri = plain_uri ("/proxy/large");
  g_autofree char *text = g_strnfill (1030, 'a');
  g_autofree char *answer = NULL;

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  answer = forward_answer (uri, "-f", path);
  g_assert_nonnull (strstr (answer, "c:4.13"));
  g_assert_nonnull (strstr (answer, "Size1:1024"));
}

static void
test_error_unsupported_scheme (void)
{
  g_autofree char *http = g_strdup ("http://127.0.0.1/index.html");
  g_autofree char *keyless = server_uri ("coaps", harness_find_free_udp_port (), "/x");
  g_autofree char *http_answer = forward_answer (http, NULL, NULL);
  g_autofree char *keyless_answer = forward_answer (keyless, NULL, NULL);

  g_assert_nonnull (strstr (http_answer, "c:5.05"));
  /* coaps:// without a route that holds its key. */
  g_assert_nonnull (strstr (keyless_answer, "c:5.05"));
  g_assert_nonnull (strstr (keyless_answer, "no key"));
}

/* ---- what fails on the way ------------------------------------------------------------ */

static void
test_error_timeout (void)
{
  g_autofree char *uri = server_uri ("coap", t.silent_port, "/x");
  g_auto (ClientRun) run = { 0 };
  gint64 start = g_get_monotonic_time ();
  g_autofree char *answer = NULL;

  run_client (&run, "-v", "7", uri, NULL);
  answer = last_received_pdu (run.out);
  g_assert_nonnull (strstr (answer, "c:5.04"));
  g_assert_cmpint (g_get_monotonic_time () - start, >=, REQUEST_TIMEOUT * G_USEC_PER_SEC);
}

static char *
open_session (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;

  if (!qcoap_manager_call_open_sync (t.env->manager, "127.0.0.1", t.env->coap_port,
                                     g_variant_new ("a{sv}", NULL), &path, NULL, &error))
    return NULL;
  return g_steal_pointer (&path);
}

static void
test_error_no_free_client (void)
{
  g_autofree char *uri = server_uri ("coap", t.plain_port, "/time");
  g_autoptr (GPtrArray) sessions = g_ptr_array_new_with_free_func (g_free);
  g_auto (ClientRun) run = { 0 };
  g_autofree char *answer = NULL;
  char *path;

  e2e_env_wait_free_clients (t.env, 6);
  while ((path = open_session ()) != NULL)
    g_ptr_array_add (sessions, path);
  g_assert_cmpuint (sessions->len, ==, 6);
  run_client (&run, "-v", "7", uri, NULL);
  answer = last_received_pdu (run.out);
  g_assert_nonnull (strstr (answer, "c:5.03"));
  g_assert_nonnull (strstr (answer, "Max-Age:5"));
  for (guint i = 0; i < sessions->len; i++)
    {
      g_autoptr (QcoapSession) session = qcoap_session_proxy_new_sync (
          t.env->bus, G_DBUS_PROXY_FLAGS_NONE, "org.qcoapd.CoAP1", sessions->pdata[i], NULL, NULL);

      g_assert_true (qcoap_session_call_close_sync (session, NULL, NULL));
    }
}

/* Polls a route until it answers 2.05 (after a failure was repaired). */
static gboolean
route_serves_again (guint timeout_ms)
{
  g_autofree char *uri = server_uri ("coap", t.plain_port, "/time");
  gint64 end = g_get_monotonic_time () + (gint64)timeout_ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      g_auto (ClientRun) run = { 0 };
      g_autofree char *answer = NULL;

      run_client (&run, "-v", "7", uri, NULL);
      answer = last_received_pdu (run.out);
      if (strstr (answer, "c:2.05") != NULL)
        return TRUE;
      g_usleep (200000);
    }
  return FALSE;
}

/* A slow modem and a queue of one: the requests beyond it get 5.03. */
static void
test_error_queue_full (void)
{
  g_autofree char *uri = server_uri ("coap", t.plain_port, "/time");
  g_autofree char *answer = NULL;
  g_autoptr (GSubprocessLauncher) launcher = harness_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  GSubprocess *clients[6];
  guint full = 0, served = 0;

  e2e_env_stop_daemon (t.env);
  e2e_env_start_daemon (t.env, "[service]\nQueueLimit=1\n");
  /* A daemon that has just started is ready before its data context is up
   * (5.03 "data context 1 down" to everyone); the queue is what is tested. */
  g_assert_true (route_serves_again (20000));
  g_free (e2e_env_sim_control (t.env, "fault delay-final=200"));
  for (int i = 0; i < 6; i++)
    {
      const char *argv[] = { client_program (), "-B", CLIENT_WAIT, "-v", "7", uri, NULL };

      clients[i] = g_subprocess_launcher_spawnv (launcher, argv, NULL);
    }
  for (int i = 0; i < 6; i++)
    {
      g_autofree char *out = NULL, *pdu = NULL;

      g_subprocess_communicate_utf8 (clients[i], NULL, NULL, &out, NULL, NULL);
      pdu = last_received_pdu (out);
      full += strstr (pdu, "c:5.03") != NULL && strstr (pdu, "Max-Age:1") != NULL;
      served += strstr (pdu, "c:2.05") != NULL;
      g_object_unref (clients[i]);
    }
  g_free (e2e_env_sim_control (t.env, "fault delay-final=0"));
  e2e_env_stop_daemon (t.env);
  e2e_env_start_daemon (t.env, NULL);
  g_assert_true (route_serves_again (20000));
  g_assert_cmpuint (full, >=, 1);
  g_assert_cmpuint (served, >=, 1);
  g_assert_cmpuint (full + served, ==, 6);
}

static char *
route_answer (void)
{
  g_autofree char *uri = server_uri ("coap", t.plain_port, "/time");
  g_auto (ClientRun) run = { 0 };

  run_client (&run, "-v", "7", uri, NULL);
  return last_received_pdu (run.out);
}

/* The answer of the plain route, which must come at once. */
static char *
route_answer_at_once (void)
{
  gint64 start = g_get_monotonic_time ();
  char *answer = route_answer ();

  g_assert_cmpint (g_get_monotonic_time () - start, <, ANSWER_AT_ONCE_US);
  return answer;
}

/* A 5.03 with Max-Age @max_age and @reason as its diagnostic payload, as
 * coap-client -v 7 shows it. */
static void
assert_unavailable (const char *answer, guint max_age, const char *reason)
{
  g_autofree char *option = g_strdup_printf ("Max-Age:%u ", max_age);
  g_autofree char *payload = g_strdup_printf (":: '%s'", reason);

  g_assert_nonnull (strstr (answer, "c:5.03"));
  g_assert_nonnull (strstr (answer, option));
  g_assert_nonnull (strstr (answer, payload));
}

/* While the modem searches for a network, requests through a route and
 * through the forward proxy get 5.03 with Max-Age at once, not 5.02 after
 * RequestTimeout; once it is registered again they go through. */
static void
test_unavailable_while_searching (void)
{
  g_autofree char *uri = plain_uri ("/time");
  g_autofree char *routed = NULL, *forwarded = NULL;
  gint64 start;
  gsize offset;

  g_assert_true (route_serves_again (10000));
  offset = proxy_log_offset ();
  e2e_env_sim_command (t.env, "fault deregister");
  g_assert_true (proxy_logged (offset, "(not registered: searching)", NOTICE_TIMEOUT_MS));
  routed = route_answer_at_once ();
  start = g_get_monotonic_time ();
  forwarded = forward_answer (uri, NULL, NULL);
  g_assert_cmpint (g_get_monotonic_time () - start, <, ANSWER_AT_ONCE_US);
  e2e_env_sim_command (t.env, "fault register");
  assert_unavailable (routed, 10, "not registered: searching");
  assert_unavailable (forwarded, 10, "not registered: searching");
  g_assert_true (proxy_logged (offset, "the modem can serve again", NOTICE_TIMEOUT_MS));
  g_assert_true (route_serves_again (20000));
}

/* The network refused the modem (qcoapd brings a dropped data call back by
 * itself, a denied registration it cannot), then the modem unplugged:
 * 5.03 at once with the reason, and service again once they are back. */
static void
test_unavailable_denied_then_unplugged (void)
{
  g_autofree char *no_network = NULL, *no_modem = NULL, *booted = NULL;
  gsize offset = proxy_log_offset ();

  e2e_env_sim_command (t.env, "fault deny");
  g_assert_true (proxy_logged (offset, "(not registered: denied)", NOTICE_TIMEOUT_MS));
  no_network = route_answer_at_once ();
  e2e_env_sim_command (t.env, "fault register");
  assert_unavailable (no_network, 10, "not registered: denied");
  g_assert_true (route_serves_again (20000));

  offset = proxy_log_offset ();
  e2e_env_sim_command (t.env, "unplug");
  g_assert_true (proxy_logged (offset, "(modem absent)", NOTICE_TIMEOUT_MS));
  no_modem = route_answer_at_once ();
  booted = e2e_env_sim_control (t.env, "replug");
  assert_unavailable (no_modem, 5, "modem absent");
  g_assert_true (e2e_env_wait_modem_state (t.env, "ready", 20000));
  g_assert_true (route_serves_again (20000));
}

/* qcoapd stops: requests get 5.02 at once; it comes back: they go through,
 * and the proxy never restarted. */
static void
test_daemon_restart (void)
{
  g_autofree char *gone = NULL;

  g_assert_true (route_serves_again (10000));
  e2e_env_stop_daemon (t.env);
  gone = route_answer ();
  g_assert_nonnull (strstr (gone, "c:5.02"));
  g_assert_nonnull (strstr (gone, "cannot be reached"));
  /* The session the proxy held goes idle while qcoapd is away: its close
   * reaches the restarted daemon, which kept the session. */
  g_usleep ((IDLE_TIMEOUT + 1) * G_USEC_PER_SEC);
  e2e_env_start_daemon (t.env, NULL);
  g_assert_true (route_serves_again (20000));
  assert_proxy_running ();
  e2e_env_wait_free_clients (t.env, 6);
}

/* ---- retransmitted requests ----------------------------------------------------------- */

static GSocket *
client_socket (void)
{
  g_autoptr (GError) error = NULL;
  GSocket *socket
      = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);

  g_assert_no_error (error);
  g_socket_set_timeout (socket, 10);
  return socket;
}

static void
send_pdu (GSocket *socket, guint16 port, const CoapPdu *pdu)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) to = g_inet_socket_address_new (loopback, port);
  g_autoptr (GError) error = NULL;
  guint8 datagram[COAP_MAX_DATAGRAM];
  gssize length = coap_pdu_encode (pdu, datagram, sizeof datagram, &error);

  g_assert_no_error (error);
  g_socket_send_to (socket, to, (const char *)datagram, length, NULL, &error);
  g_assert_no_error (error);
}

/* A GET of @path to the plain route, with a token made of @mid. */
static void
send_request (GSocket *socket, CoapType type, guint16 mid, const char *path)
{
  CoapPdu pdu = { .type = type, .code = 1, .message_id = mid, .token_length = 2 };

  pdu.token[0] = 0xd0;
  pdu.token[1] = (guint8)mid;
  coap_pdu_add_option (&pdu, 11, (const guint8 *)path, strlen (path));
  send_pdu (socket, t.plain_port, &pdu);
}

/* The next datagram from the proxy, decoded; its bytes stay in @buffer. */
static void
receive_pdu (GSocket *socket, guint8 *buffer, gsize size, CoapPdu *pdu)
{
  g_autoptr (GError) error = NULL;
  gssize length = g_socket_receive (socket, (char *)buffer, size, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (coap_pdu_decode (buffer, length, pdu, &error));
}

static guint
server_saw (const char *path)
{
  g_autofree char *log = read_file (t.server->log_path);
  g_autofree char *needle = g_strdup_printf ("Uri-Path:%s ", path);

  return count_lines_with (log, "c:GET", needle);
}

/* A piggybacked answer is sent again for a retransmission, which goes no
 * further (RFC 7252 §4.5). */
static void
test_duplicate_after_piggyback (void)
{
  g_autoptr (GSocket) socket = client_socket ();
  guint8 first_bytes[COAP_MAX_DATAGRAM], again_bytes[COAP_MAX_DATAGRAM];
  CoapPdu first, again;

  send_request (socket, COAP_TYPE_CON, 0x5a01, "dup-piggyback");
  receive_pdu (socket, first_bytes, sizeof first_bytes, &first);
  g_assert_cmpuint (first.type, ==, COAP_TYPE_ACK);
  g_assert_cmpuint (first.code, ==, ((4 << 5) | 4));
  send_request (socket, COAP_TYPE_CON, 0x5a01, "dup-piggyback");
  receive_pdu (socket, again_bytes, sizeof again_bytes, &again);
  g_assert_cmpuint (again.type, ==, COAP_TYPE_ACK);
  g_assert_cmpuint (again.message_id, ==, 0x5a01);
  g_assert_cmpuint (again.code, ==, first.code);
  g_assert_cmpmem (again.token, again.token_length, first.token, first.token_length);
  g_assert_cmpuint (server_saw ("dup-piggyback"), ==, 1);
}

/* A retransmission while the answer is on its way gets an empty ACK, and
 * the answer comes as a separate response. */
static void
test_duplicate_while_pending (void)
{
  g_autoptr (GSocket) socket = client_socket ();
  guint8 ack_bytes[COAP_MAX_DATAGRAM], response_bytes[COAP_MAX_DATAGRAM];
  CoapPdu ack, response;

  g_free (e2e_env_sim_control (t.env, "fault delay-final=100"));
  send_request (socket, COAP_TYPE_CON, 0x5a02, "dup-pending");
  send_request (socket, COAP_TYPE_CON, 0x5a02, "dup-pending");
  receive_pdu (socket, ack_bytes, sizeof ack_bytes, &ack);
  receive_pdu (socket, response_bytes, sizeof response_bytes, &response);
  g_free (e2e_env_sim_control (t.env, "fault delay-final=0"));
  g_assert_cmpuint (ack.type, ==, COAP_TYPE_ACK);
  g_assert_cmpuint (ack.code, ==, 0);
  g_assert_cmpuint (ack.message_id, ==, 0x5a02);
  g_assert_cmpuint (response.type, ==, COAP_TYPE_CON);
  g_assert_cmpuint (response.code, ==, ((4 << 5) | 4));
  g_assert_cmpuint (response.token[1], ==, 0x02);
  g_assert_cmpuint (server_saw ("dup-pending"), ==, 1);
}

static void
test_duplicate_non (void)
{
  g_autoptr (GSocket) socket = client_socket ();
  guint8 bytes[COAP_MAX_DATAGRAM];
  CoapPdu response;
  g_autoptr (GError) error = NULL;

  send_request (socket, COAP_TYPE_NON, 0x5a03, "dup-non");
  send_request (socket, COAP_TYPE_NON, 0x5a03, "dup-non");
  receive_pdu (socket, bytes, sizeof bytes, &response);
  g_assert_cmpuint (response.type, ==, COAP_TYPE_NON);
  g_socket_set_timeout (socket, 1);
  g_assert_cmpint (g_socket_receive (socket, (char *)bytes, sizeof bytes, NULL, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpuint (server_saw ("dup-non"), ==, 1);
}

/* ---- Proxy-Scheme ---------------------------------------------------------------------- */

/* The URI assembled from Proxy-Scheme, Uri-Host, Uri-Port and Uri-Path
 * (RFC 7252 §6.5), which coap-client does not send; libcoap acknowledges a
 * proxy request at once, so the answer is separate. */
static void
test_forward_proxy_scheme (void)
{
  g_autoptr (GSocket) socket = client_socket ();
  CoapPdu pdu = { .type = COAP_TYPE_CON, .code = 1, .message_id = 0x5a10, .token_length = 1 };
  guint8 port[2] = { t.server->port >> 8, t.server->port & 0xff };
  guint8 ack_bytes[COAP_MAX_DATAGRAM], response_bytes[COAP_MAX_DATAGRAM];
  CoapPdu ack, response;

  pdu.token[0] = 0x5c;
  coap_pdu_add_option (&pdu, 3, (const guint8 *)"127.0.0.1", 9);
  coap_pdu_add_option (&pdu, 7, port, sizeof port);
  coap_pdu_add_option (&pdu, 11, (const guint8 *)"time", 4);
  coap_pdu_add_option (&pdu, 39, (const guint8 *)"coap", 4);
  send_pdu (socket, t.forward_port, &pdu);
  receive_pdu (socket, ack_bytes, sizeof ack_bytes, &ack);
  receive_pdu (socket, response_bytes, sizeof response_bytes, &response);
  g_assert_cmpuint (ack.type, ==, COAP_TYPE_ACK);
  g_assert_cmpuint (ack.code, ==, 0);
  g_assert_cmpuint (response.type, ==, COAP_TYPE_CON);
  g_assert_cmpuint (response.code, ==, (2 << 5) | 5);
  g_assert_cmpuint (response.token[0], ==, 0x5c);
  g_assert_cmpuint (response.payload_length, ==, 15); /* "Dec 01 09:46:32" */
}

/* ---- keys ------------------------------------------------------------------------------ */

static void
test_key_never_logged (void)
{
  g_autofree char *proxy_log = read_file (t.proxy_log);
  g_autofree char *daemon_log = read_file (t.env->daemon_log_path);

  g_assert_nonnull (strstr (proxy_log, "coaps://127.0.0.1"));
  g_assert_null (strstr (proxy_log, KEY));
  g_assert_null (strstr (daemon_log, KEY));
}

/* A key file others can read is refused, and the refusal does not quote it. */
static void
test_key_file_readable_by_others (void)
{
  g_autofree char *key_path = g_build_filename (t.dir, "open.key", NULL);
  g_autofree char *config_path = g_build_filename (t.dir, "open.conf", NULL);
  g_autofree char *log_path = g_build_filename (t.dir, "open.log", NULL);
  g_autofree char *config = g_strdup_printf (
      "[proxy]\nListen=\n[route open]\nUpstream=coaps://127.0.0.1:5684\nPskIdentity=x\n"
      "PskKeyFile=%s\n",
      key_path);
  g_autoptr (GSubprocess) proxy = NULL;
  g_autofree char *log = NULL;

  g_assert_true (g_file_set_contents (key_path, KEY, -1, NULL));
  g_assert_cmpint (chmod (key_path, 0644), ==, 0);
  g_assert_true (g_file_set_contents (config_path, config, -1, NULL));
  proxy = spawn_proxy (config_path, log_path);
  g_assert_true (g_subprocess_wait (proxy, NULL, NULL));
  g_assert_true (g_subprocess_get_if_exited (proxy));
  g_assert_cmpint (g_subprocess_get_exit_status (proxy), ==, 1);
  log = read_file (log_path);
  g_assert_nonnull (strstr (log, "read or written by others"));
  g_assert_null (strstr (log, KEY));
}

/* ---- main ------------------------------------------------------------------------------ */

int
main (int argc, char **argv)
{
  E2eOptions options = { 0 };
  const char *server_args[] = { "-d", "20", "-k", KEY, NULL };
  g_autoptr (GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  t.env = e2e_env_start (&options);
  t.dir = harness_make_temp_dir ();
  t.server = harness_coap_server_start (t.dir, server_args, &error);
  g_assert_no_error (error);
  start_proxy ();
  /* Until the modem is registered and its data context up, the proxy
   * answers 5.03. */
  g_assert_true (route_serves_again (20000));

  g_test_add_func ("/proxy/forward/get", test_forward_get);
  g_test_add_func ("/proxy/forward/put-post-delete", test_forward_put_post_delete);
  g_test_add_func ("/proxy/forward/binary-700-bytes", test_forward_binary);
  g_test_add_func ("/proxy/forward/not-found-relayed", test_forward_not_found);
  g_test_add_func ("/proxy/forward/non-confirmable", test_forward_non);
  g_test_add_func ("/proxy/forward/proxy-scheme", test_forward_proxy_scheme);
  g_test_add_func ("/proxy/route/plain", test_route_plain);
  g_test_add_func ("/proxy/route/secure-key-in-config-only", test_route_secure);
  g_test_add_func ("/proxy/route/not-a-forward-proxy", test_route_is_not_a_forward_proxy);
  g_test_add_func ("/proxy/session/reused-then-closed-when-idle", test_session_reused_then_idle);
  g_test_add_func ("/proxy/six-clients-at-once", test_six_clients);
  g_test_add_func ("/proxy/piggybacked-and-separate", test_piggybacked_and_separate);
  g_test_add_func ("/proxy/duplicate/after-piggyback", test_duplicate_after_piggyback);
  g_test_add_func ("/proxy/duplicate/while-pending", test_duplicate_while_pending);
  g_test_add_func ("/proxy/duplicate/non-confirmable", test_duplicate_non);
  g_test_add_func ("/proxy/error/unsendable-options", test_error_unsendable_options);
  g_test_add_func ("/proxy/error/payload-too-large", test_error_payload_too_large);
  g_test_add_func ("/proxy/error/unsupported-scheme", test_error_unsupported_scheme);
  g_test_add_func ("/proxy/error/timeout", test_error_timeout);
  g_test_add_func ("/proxy/error/no-free-client", test_error_no_free_client);
  g_test_add_func ("/proxy/error/queue-full", test_error_queue_full);
  g_test_add_func ("/proxy/unavailable/while-searching", test_unavailable_while_searching);
  g_test_add_func ("/proxy/unavailable/denied-then-unplugged",
                   test_unavailable_denied_then_unplugged);
  g_test_add_func ("/proxy/daemon-restart", test_daemon_restart);
  g_test_add_func ("/proxy/key/never-logged", test_key_never_logged);
  g_test_add_func ("/proxy/key/file-readable-by-others", test_key_file_readable_by_others);
  status = g_test_run ();

  assert_proxy_running ();
  g_subprocess_send_signal (t.proxy, SIGTERM);
  g_assert_true (g_subprocess_wait_check (t.proxy, NULL, NULL));
  if (status != 0)
    g_printerr ("---- qcoap-proxy log ----\n%s\n", read_file (t.proxy_log));
  g_clear_pointer (&t.server, harness_coap_server_free);
  e2e_env_stop (t.env, status != 0);
  if (status == 0)
    harness_remove_temp_dir (t.dir);
  else
    g_printerr ("qcoap-proxy's and coap-server's logs kept in %s\n", t.dir);
  return status;
}
