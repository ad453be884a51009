/* SPDX-License-Identifier: MIT */
/* test-qcoapctl.c — qcoapctl and the example program against the real
 * daemon, simulator and coap-server. Runs inside client-env-run, which
 * provides QCOAP_TEST_BUS and QCOAP_TEST_COAP_PORT; QCOAPCTL and
 * QCOAP_EXAMPLE name the programs under test. */
#include <pwd.h>
#include <unistd.h>
#include <gio/gio.h>
#include <signal.h>
#include <string.h>
#include "harness.h"
#include "sim-control.h"

static const char *bus_address;
static guint coap_port;
static guint silent_port;
static char *tmpdir;

/* Every program a test starts dies with the test, even after a failed
 * assertion has skipped the cleanup. */
static GSubprocess *
spawn (const char *const *argv, GSubprocessFlags flags)
{
  g_autoptr (GSubprocessLauncher) launcher = harness_launcher_new (flags);
  g_autoptr (GError) error = NULL;
  GSubprocess *process;

  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  return process;
}

typedef struct
{
  int status;
  GBytes *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->out, g_bytes_unref);
  g_clear_pointer (&run->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* The stdout of @run as a string (without the terminating newlines). */
static char *
run_stdout_text (Run *run)
{
  gsize length;
  const char *data = g_bytes_get_data (run->out, &length);
  char *text = g_strndup (data, length);

  return g_strchomp (text);
}

/* Runs @program with @args (NULL-terminated), @input on stdin; waits. */
static void
run_program (Run *run, const char *program, GBytes *input, const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GBytes) err = NULL;
  g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr (GError) error = NULL;

  g_ptr_array_add (argv, (gpointer)program);
  for (const char *const *a = args; *a; a++)
    g_ptr_array_add (argv, (gpointer)*a);
  g_ptr_array_add (argv, NULL);
  process = spawn ((const char *const *)argv->pdata, G_SUBPROCESS_FLAGS_STDIN_PIPE
                                                         | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                                         | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_communicate (process, input ? input : empty, NULL, &run->out, &err, &error);
  g_assert_no_error (error);
  run->err = g_strndup (g_bytes_get_size (err) ? g_bytes_get_data (err, NULL) : "",
                        g_bytes_get_size (err));
  /* A crash (a sanitizer's abort included) says why before the test fails. */
  if (!g_subprocess_get_if_exited (process))
    g_printerr ("%s did not exit; stderr:\n%s\n", program, run->err);
  g_assert_true (g_subprocess_get_if_exited (process));
  run->status = g_subprocess_get_exit_status (process);
  g_test_message ("%s exited %d; stderr: %s", program, run->status, run->err);
}

/* qcoapctl --bus ADDRESS ARGS… */
#define qcoapctl(run, input, ...)                                                                  \
  run_program (run, g_getenv ("QCOAPCTL"), input,                                                  \
               (const char *const[]){ "--bus", bus_address, __VA_ARGS__, NULL })

static char *
uri (const char *path)
{
  return g_strdup_printf ("coap://127.0.0.1:%u%s", coap_port, path);
}

/* Evaluates a Python expression over the JSON document @json (as `d`):
 * the tests parse qcoapctl's JSON with a real JSON parser. */
static char *
json_eval (const char *json, const char *expression)
{
  g_autofree char *script
      = g_strdup_printf ("import json, sys\nd = json.load(sys.stdin)\nprint(%s)\n", expression);
  g_autoptr (GBytes) input = g_bytes_new (json, strlen (json));
  g_auto (Run) run = { 0 };

  run_program (&run, "/usr/bin/python3", input, (const char *const[]){ "-c", script, NULL });
  g_assert_cmpint (run.status, ==, 0);
  return run_stdout_text (&run);
}

/* ---- requests ---- */

static void
test_get_time (void)
{
  g_autofree char *time_uri = uri ("/time");
  g_auto (Run) run = { 0 };
  g_autofree char *text = NULL;

  qcoapctl (&run, NULL, "get", time_uri);
  g_assert_cmpint (run.status, ==, 0);
  text = run_stdout_text (&run);
  /* coap-server's clock, e.g. "Nov 25 18:05:53". */
  g_assert_true (
      g_regex_match_simple ("^[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}$", text, 0, 0));
}

static void
test_get_verbose (void)
{
  g_autofree char *time_uri = uri ("/time?ticks");
  g_auto (Run) run = { 0 };

  qcoapctl (&run, NULL, "-v", "get", time_uri);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (g_str_has_prefix (run.err, "2.05 Content\n"));
  g_assert_nonnull (strstr (run.err, "Max-Age: "));
}

static GBytes *
binary_payload (gsize length, guint seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  guint8 *data = g_malloc (length);

  for (gsize i = 0; i < length; i++)
    data[i] = g_rand_int_range (rand, 0, 256);
  /* Bytes that a string-minded path would mangle. */
  data[0] = 0x00;
  data[1] = '\r';
  data[2] = '\n';
  data[length / 2] = 0x00;
  data[length - 1] = 0xff;
  return g_bytes_new_take (data, length);
}

static void
test_put_get_binary_file (void)
{
  g_autofree char *data_uri = uri ("/example_data");
  g_autofree char *path = g_build_filename (tmpdir, "payload.bin", NULL);
  g_autoptr (GBytes) payload = binary_payload (1000, 7);
  g_autoptr (GError) error = NULL;
  g_auto (Run) put = { 0 };
  g_auto (Run) get = { 0 };

  g_file_set_contents (path, g_bytes_get_data (payload, NULL), g_bytes_get_size (payload), &error);
  g_assert_no_error (error);
  qcoapctl (&put, NULL, "put", "-t", "application/octet-stream", "-f", path, data_uri);
  g_assert_cmpint (put.status, ==, 0);
  qcoapctl (&get, NULL, "get", data_uri);
  g_assert_cmpint (get.status, ==, 0);
  g_assert_cmpmem (g_bytes_get_data (get.out, NULL), g_bytes_get_size (get.out),
                   g_bytes_get_data (payload, NULL), g_bytes_get_size (payload));
}

static void
test_put_get_stdin (void)
{
  g_autofree char *data_uri = uri ("/example_data");
  g_autoptr (GBytes) payload = binary_payload (1024, 11);
  g_auto (Run) put = { 0 };
  g_auto (Run) get = { 0 };

  qcoapctl (&put, payload, "put", "-f", "-", data_uri);
  g_assert_cmpint (put.status, ==, 0);
  qcoapctl (&get, NULL, "get", "-N", data_uri);
  g_assert_cmpint (get.status, ==, 0);
  g_assert_true (g_bytes_equal (get.out, payload));
}

static void
test_not_found (void)
{
  g_autofree char *missing = uri ("/no/such/resource");
  g_auto (Run) run = { 0 };

  qcoapctl (&run, NULL, "-v", "get", missing);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "4.04 Not Found"));
}

static void
test_method_not_allowed (void)
{
  g_autofree char *data_uri = uri ("/example_data");
  g_auto (Run) run = { 0 };

  qcoapctl (&run, NULL, "post", "-e", "x", data_uri);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "4.05"));
}

static void
test_timeout (void)
{
  g_autofree char *silent = g_strdup_printf ("coap://127.0.0.1:%u/time", silent_port);
  g_auto (Run) run = { 0 };
  gint64 start = g_get_monotonic_time ();

  qcoapctl (&run, NULL, "get", "-B", "2", silent);
  g_assert_cmpint (run.status, ==, 5);
  g_assert_nonnull (strstr (run.err, "org.qcoapd.CoAP1.Error.Timeout"));
  /* -B bounds the wait: well under the exchange lifetime of 247 s. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 60 * G_USEC_PER_SEC);
}

static void
test_json (void)
{
  g_autofree char *time_uri = uri ("/time");
  g_autofree char *missing = uri ("/missing");
  g_autofree char *summary = NULL;
  g_autofree char *json = NULL;
  g_auto (Run) run = { 0 };
  g_auto (Run) not_found = { 0 };

  qcoapctl (&run, NULL, "--json", "get", time_uri);
  g_assert_cmpint (run.status, ==, 0);
  json = run_stdout_text (&run);
  summary = json_eval (json, "d['code'], d['code_number'], d['description'], "
                             "[o['name'] for o in d['options']], "
                             "__import__('base64').b64decode(d['payload_base64']).decode() "
                             "== d['payload'], len(d['payload'])");
  g_assert_cmpstr (summary, ==, "2.05 69 Content ['Max-Age'] True 15");

  qcoapctl (&not_found, NULL, "--json", "get", missing);
  g_assert_cmpint (not_found.status, ==, 3);
  g_clear_pointer (&json, g_free);
  g_clear_pointer (&summary, g_free);
  json = run_stdout_text (&not_found);
  summary = json_eval (json, "d['code'], d['description']");
  g_assert_cmpstr (summary, ==, "4.04 Not Found");
}

static void
test_json_error (void)
{
  g_auto (Run) run = { 0 };
  g_autofree char *json = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *port = g_strdup_printf ("%u", coap_port);

  /* A client ID the modem does not have: the daemon refuses. */
  qcoapctl (&run, NULL, "--json", "open", "--persistent", "--client-id", "9", "127.0.0.1", port);
  g_assert_cmpint (run.status, ==, 2);
  json = run_stdout_text (&run);
  summary = json_eval (json, "d['error']['name'], d['error']['exit_status'], "
                             "len(d['error']['message']) > 0");
  g_assert_cmpstr (summary, ==, "org.qcoapd.CoAP1.Error.InvalidArgument 2 True");
}

static void
test_usage_errors (void)
{
  g_autofree char *time_uri = uri ("/time");
  g_auto (Run) no_uri = { 0 };
  g_auto (Run) bad_scheme = { 0 };
  g_auto (Run) bad_format = { 0 };
  g_auto (Run) unknown = { 0 };

  qcoapctl (&no_uri, NULL, "get");
  g_assert_cmpint (no_uri.status, ==, 2);
  qcoapctl (&bad_scheme, NULL, "get", "http://127.0.0.1/time");
  g_assert_cmpint (bad_scheme.status, ==, 2);
  qcoapctl (&bad_format, NULL, "post", "-t", "image/png", "-e", "x", time_uri);
  g_assert_cmpint (bad_format.status, ==, 2);
  g_assert_nonnull (strstr (bad_format.err, "image/png"));
  qcoapctl (&unknown, NULL, "fetch", time_uri);
  g_assert_cmpint (unknown.status, ==, 2);
}

static void
test_unreachable (void)
{
  g_autofree char *time_uri = uri ("/time");
  g_autofree char *address = g_strdup_printf ("unix:path=%s/no-bus", tmpdir);
  g_auto (Run) run = { 0 };

  run_program (&run, g_getenv ("QCOAPCTL"), NULL,
               (const char *const[]){ "--bus", address, "get", time_uri, NULL });
  g_assert_cmpint (run.status, ==, 7);
  g_assert_nonnull (strstr (run.err, "cannot reach qcoapd"));
}

/* The first GET of /example_data, before any test stored something smaller
 * there: coap-server answers 1500 bytes with their first 1024 as Block2
 * block 0 (M=1) and Size2 1500, and the modem cannot fetch the rest. */
static void
test_truncated_response (void)
{
  g_autofree char *data_uri = uri ("/example_data");
  g_autofree char *summary = NULL;
  g_autofree char *json = NULL;
  g_auto (Run) run = { 0 };
  g_auto (Run) json_run = { 0 };

  qcoapctl (&run, NULL, "get", data_uri);
  g_assert_cmpint (run.status, ==, 9);
  g_assert_cmpuint (g_bytes_get_size (run.out), ==, 1024);
  g_assert_nonnull (strstr (
      run.err, "response truncated: 1024 of 1500 bytes; the modem cannot ask for further blocks"));

  qcoapctl (&json_run, NULL, "--json", "get", data_uri);
  g_assert_cmpint (json_run.status, ==, 9);
  json = run_stdout_text (&json_run);
  summary = json_eval (json, "d['truncated'], d['size2'], len(d['payload_base64'])");
  g_assert_cmpstr (summary, ==, "True 1500 1368");
}

/* --psk-key-file: the key from a file or standard input, never both ways. */
static void
test_psk_key_file (void)
{
  g_autofree char *secure = g_strdup_printf ("coaps://127.0.0.1:%u/time", silent_port);
  g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);
  g_auto (Run) both = { 0 };
  g_auto (Run) missing = { 0 };
  g_auto (Run) no_key = { 0 };
  g_auto (Run) open_both = { 0 };

  qcoapctl (&both, NULL, "get", "-u", "gw", "-k", "x", "--psk-key-file", "-", secure);
  g_assert_cmpint (both.status, ==, 2);
  g_assert_nonnull (strstr (both.err, "not both"));
  qcoapctl (&missing, NULL, "get", "-u", "gw", "--psk-key-file", "/nonexistent/key", secure);
  g_assert_cmpint (missing.status, ==, 2);
  g_assert_nonnull (strstr (missing.err, "--psk-key-file /nonexistent/key"));
  qcoapctl (&no_key, empty, "get", "-u", "gw", "--psk-key-file", "-", secure);
  g_assert_cmpint (no_key.status, ==, 2);
  g_assert_nonnull (strstr (no_key.err, "no key in it"));
  qcoapctl (&open_both, NULL, "open", "-u", "gw", "-k", "x", "--psk-key-file", "-", "127.0.0.1");
  g_assert_cmpint (open_both.status, ==, 2);
}

static void
test_output_file (void)
{
  g_autofree char *time_uri = uri ("/time");
  g_autofree char *path = g_build_filename (tmpdir, "time.txt", NULL);
  g_autofree char *contents = NULL;
  g_auto (Run) run = { 0 };

  qcoapctl (&run, NULL, "get", "-o", path, time_uri);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpuint (g_bytes_get_size (run.out), ==, 0);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_true (g_regex_match_simple ("^[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8}$", contents, 0, 0));
}

/* -T is the token, as coap-client has it: the request goes out with it and
 * the response that comes back carries it. */
static void
test_token (void)
{
  g_autofree char *time_uri = uri ("/time");
  g_autofree char *json = NULL;
  g_autofree char *summary = NULL;
  g_auto (Run) run = { 0 };
  g_auto (Run) bad = { 0 };

  qcoapctl (&run, NULL, "--json", "get", "-T", "0a0b0c", time_uri);
  g_assert_cmpint (run.status, ==, 0);
  json = run_stdout_text (&run);
  summary = json_eval (json, "d['code'], d['token'], len(d['payload'])");
  g_assert_cmpstr (summary, ==, "2.05 0a0b0c 15");

  qcoapctl (&bad, NULL, "get", "-T", "xyz", time_uri);
  g_assert_cmpint (bad.status, ==, 2);
}

/* -v on a server that never answers: each retransmission is reported as
 * it happens, and running out of time is the timeout status. */
static void
test_verbose_retransmissions (void)
{
  g_autofree char *silent = g_strdup_printf ("coap://127.0.0.1:%u/time", silent_port);
  g_auto (Run) run = { 0 };

  qcoapctl (&run, NULL, "-v", "get", "-B", "7", silent);
  g_assert_cmpint (run.status, ==, 5);
  g_assert_true (g_regex_match_simple ("^Retransmission CON mid 0x[0-9a-f]{4} attempt 1$", run.err,
                                       G_REGEX_MULTILINE, 0));
  g_assert_nonnull (strstr (run.err, "org.qcoapd.CoAP1.Error.Timeout"));
}

/* A payload file that cannot be read is a fault of the command line, and
 * --json reports usage errors as JSON too. */
static void
test_missing_file (void)
{
  g_autofree char *data_uri = uri ("/example_data");
  g_autofree char *missing = g_build_filename (tmpdir, "no-such-file", NULL);
  g_autofree char *json = NULL;
  g_autofree char *summary = NULL;
  g_auto (Run) plain = { 0 };
  g_auto (Run) as_json = { 0 };
  g_auto (Run) no_uri = { 0 };

  qcoapctl (&plain, NULL, "put", "-f", missing, data_uri);
  g_assert_cmpint (plain.status, ==, 2);
  g_assert_nonnull (strstr (plain.err, "no-such-file"));

  qcoapctl (&as_json, NULL, "--json", "put", "-f", missing, data_uri);
  g_assert_cmpint (as_json.status, ==, 2);
  json = run_stdout_text (&as_json);
  summary = json_eval (json, "d['error']['exit_status'], 'no-such-file' in d['error']['message']");
  g_assert_cmpstr (summary, ==, "2 True");

  qcoapctl (&no_uri, NULL, "get", "--json");
  g_assert_cmpint (no_uri.status, ==, 2);
  g_clear_pointer (&json, g_free);
  g_clear_pointer (&summary, g_free);
  json = run_stdout_text (&no_uri);
  summary = json_eval (json, "d['error']['exit_status']");
  g_assert_cmpstr (summary, ==, "2");
}

/* A URI is wrong with one status, whether qcoapctl or qcoapd finds it so. */
static void
test_bad_uri_one_status (void)
{
  g_autofree char *long_segment = g_strnfill (300, 'x');
  g_autofree char *long_uri = g_strdup_printf ("coap://127.0.0.1:%u/%s", coap_port, long_segment);
  g_auto (Run) local = { 0 };
  g_auto (Run) daemon = { 0 };

  qcoapctl (&local, NULL, "get", "coap:///time");
  qcoapctl (&daemon, NULL, "get", long_uri);
  g_assert_nonnull (strstr (daemon.err, "org.qcoapd.CoAP1.Error.InvalidArgument"));
  g_assert_cmpint (local.status, ==, 2);
  g_assert_cmpint (daemon.status, ==, local.status);
}

/* --use with a URI of another server is refused, not sent to the session's. */
static void
test_use_other_server (void)
{
  g_autofree char *port = g_strdup_printf ("%u", coap_port);
  g_autofree char *path = NULL;
  g_autofree char *same = uri ("/time");
  g_autofree char *other_host = g_strdup_printf ("coap://127.0.0.2:%u/time", coap_port);
  g_autofree char *other_port = g_strdup_printf ("coap://127.0.0.1:%u/time", silent_port);
  g_auto (Run) open = { 0 };
  g_auto (Run) good = { 0 };
  g_auto (Run) host = { 0 };
  g_auto (Run) port_run = { 0 };
  g_auto (Run) close = { 0 };

  qcoapctl (&open, NULL, "open", "--persistent", "127.0.0.1", port);
  g_assert_cmpint (open.status, ==, 0);
  path = run_stdout_text (&open);
  qcoapctl (&good, NULL, "get", "--use", path, same);
  qcoapctl (&host, NULL, "get", "--use", path, other_host);
  qcoapctl (&port_run, NULL, "get", "--use", path, other_port);
  qcoapctl (&close, NULL, "close", path);
  g_assert_cmpint (good.status, ==, 0);
  g_assert_cmpint (host.status, ==, 2);
  g_assert_nonnull (strstr (host.err, "is connected to 127.0.0.1:"));
  g_assert_cmpint (port_run.status, ==, 2);
  g_assert_cmpint (close.status, ==, 0);
}

/* ---- sessions and status ---- */

static void
test_sessions_and_status (void)
{
  g_autofree char *port = g_strdup_printf ("%u", coap_port);
  g_autofree char *path = NULL;
  g_autofree char *json = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *time_text = NULL;
  g_auto (Run) open = { 0 };
  g_auto (Run) status = { 0 };
  g_auto (Run) get = { 0 };
  g_auto (Run) close = { 0 };
  g_auto (Run) after = { 0 };

  qcoapctl (&open, NULL, "open", "--persistent", "127.0.0.1", port);
  g_assert_cmpint (open.status, ==, 0);
  path = run_stdout_text (&open);
  g_assert_true (g_str_has_prefix (path, "/org/qcoapd/CoAP1/Session/"));

  qcoapctl (&status, NULL, "--json", "status");
  g_assert_cmpint (status.status, ==, 0);
  json = run_stdout_text (&status);
  summary = json_eval (json, "d['state'], repr(d['state_reason']), d['model'], d['free_clients'], "
                             "[(s['session'], s['port'], s['persistent'], s['state']) "
                             "for s in d['sessions']]");
  {
    g_autofree char *expected
        = g_strdup_printf ("ready '' BG96 5 [('%s', %s, True, 'open')]", path, port);

    g_assert_cmpstr (summary, ==, expected);
  }

  qcoapctl (&get, NULL, "get", "-S", path, "/time");
  g_assert_cmpint (get.status, ==, 0);
  time_text = run_stdout_text (&get);
  g_assert_cmpuint (strlen (time_text), ==, 15);

  qcoapctl (&close, NULL, "close", path);
  g_assert_cmpint (close.status, ==, 0);
  qcoapctl (&after, NULL, "sessions");
  g_assert_cmpint (after.status, ==, 0);
  g_assert_null (
      g_strstr_len (g_bytes_get_data (after.out, NULL), g_bytes_get_size (after.out), path));
}

static void
test_status_text (void)
{
  g_auto (Run) run = { 0 };
  g_autofree char *text = NULL;

  qcoapctl (&run, NULL, "status");
  g_assert_cmpint (run.status, ==, 0);
  text = run_stdout_text (&run);
  g_assert_true (g_regex_match_simple ("state: ready$", text, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("model: BG96$", text, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("imei: [0-9]{15}$", text, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("free: 6 of 6$", text, G_REGEX_MULTILINE, 0));
  /* Ready has no reason to give: no reason line. */
  g_assert_false (g_regex_match_simple (" reason: ", text, G_REGEX_MULTILINE, 0));
}

/* ---- the modems: the test bed has one, named "default" ---- */

static void
test_status_modems (void)
{
  g_auto (Run) text_run = { 0 };
  g_auto (Run) json_run = { 0 };
  g_autofree char *text = NULL;
  g_autofree char *json = NULL;
  g_autofree char *summary = NULL;

  qcoapctl (&text_run, NULL, "status");
  g_assert_cmpint (text_run.status, ==, 0);
  text = run_stdout_text (&text_run);
  g_assert_true (g_regex_match_simple ("^  Modem    \\|          name: default\n"
                                       "           \\|         state: ready$",
                                       text, G_REGEX_MULTILINE, 0));
  /* One block: one name line. */
  g_assert_null (strstr (strstr (text, " name: ") + 1, " name: "));

  qcoapctl (&json_run, NULL, "--json", "status");
  g_assert_cmpint (json_run.status, ==, 0);
  json = run_stdout_text (&json_run);
  summary = json_eval (json, "[(m['name'], m['state'], m['model'], m['free_clients'], "
                             "m['path'].startswith('/org/qcoapd/CoAP1/Modem/')) "
                             "for m in d['modems']], d['state'], d['free_clients']");
  g_assert_cmpstr (summary, ==, "[('default', 'ready', 'BG96', 6, True)] ready 6");
}

/* open and get with --modem; sessions shows the session's modem; a modem
 * that is not there is the daemon's InvalidArgument. */
static void
test_open_on_a_modem (void)
{
  g_autofree char *port = g_strdup_printf ("%u", coap_port);
  g_autofree char *time_uri = uri ("/time");
  g_autofree char *path = NULL;
  g_autofree char *json = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *expression = NULL;
  g_auto (Run) open = { 0 };
  g_auto (Run) sessions = { 0 };
  g_auto (Run) get = { 0 };
  g_auto (Run) missing = { 0 };
  g_auto (Run) close = { 0 };

  qcoapctl (&open, NULL, "open", "--persistent", "--modem", "default", "127.0.0.1", port);
  g_assert_cmpint (open.status, ==, 0);
  path = run_stdout_text (&open);
  qcoapctl (&sessions, NULL, "--json", "sessions");
  json = run_stdout_text (&sessions);
  expression = g_strdup_printf ("[s['modem'] for s in d if s['session'] == '%s']", path);
  summary = json_eval (json, expression);
  g_assert_cmpstr (summary, ==, "['default']");
  qcoapctl (&close, NULL, "close", path);
  g_assert_cmpint (close.status, ==, 0);

  qcoapctl (&get, NULL, "get", "--modem", "default", time_uri);
  g_assert_cmpint (get.status, ==, 0);
  qcoapctl (&missing, NULL, "get", "--modem", "no-such-modem", time_uri);
  g_assert_cmpint (missing.status, ==, 2);
  g_assert_nonnull (strstr (missing.err, "no-such-modem"));
}

/* An open session's modem is chosen already. */
static void
test_modem_with_use (void)
{
  g_auto (Run) run = { 0 };

  qcoapctl (&run, NULL, "get", "--modem", "default", "-S", "0", "/time");
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "-S"));
}

/* ---- the network ---- */

/* The simulator registers a while after it booted, and the daemon then
 * reads the operator and activates context 1: waits (up to 20 s) until
 * status shows all of it. */
static void
wait_for_network (void)
{
  for (int i = 0; i < 200; i++)
    {
      g_auto (Run) run = { 0 };
      g_autofree char *text = NULL;

      qcoapctl (&run, NULL, "status");
      g_assert_cmpint (run.status, ==, 0);
      text = run_stdout_text (&run);
      if (strstr (text, "operator: Fake Telecom") && strstr (text, "context 1: up "))
        return;
      g_usleep (100 * 1000);
    }
  g_error ("the modem did not register, or context 1 did not come up");
}

static void
test_status_network (void)
{
  g_auto (Run) run = { 0 };
  g_auto (Run) json_run = { 0 };
  g_autofree char *text = NULL;
  g_autofree char *json = NULL;
  g_autofree char *summary = NULL;

  wait_for_network ();
  qcoapctl (&run, NULL, "status");
  g_assert_cmpint (run.status, ==, 0);
  text = run_stdout_text (&run);
  g_assert_true (
      g_regex_match_simple ("^  Network  \\|  registration: home$", text, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("technology: lte-m$", text, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("operator: Fake Telecom$", text, G_REGEX_MULTILINE, 0));
  /* The simulator reports all four; printed LTE's first, RSSI last. */
  g_assert_true (g_regex_match_simple (
      "signal: RSRP -87 dBm, RSRQ -?[0-9]+ dB, SINR -?[0-9]+\\.[0-9] dB, RSSI -[0-9]+ dBm$", text,
      G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^  Data     \\|     context 1: up 10\\.64\\.0\\.1$", text,
                                       G_REGEX_MULTILINE, 0));

  qcoapctl (&json_run, NULL, "--json", "status");
  g_assert_cmpint (json_run.status, ==, 0);
  json = run_stdout_text (&json_run);
  summary = json_eval (json, "d['registration'], d['access_technology'], d['operator'], "
                             "d['signal']['rsrp'], d['data_contexts'][0]");
  g_assert_cmpstr (summary, ==,
                   "home lte-m Fake Telecom -87 {'cid': 1, 'active': True, 'address': "
                   "'10.64.0.1'}");
}

static void
test_at_command (void)
{
  g_auto (Run) run = { 0 };
  g_auto (Run) json_run = { 0 };
  g_autofree char *text = NULL;
  g_autofree char *json = NULL;
  g_autofree char *summary = NULL;

  if (geteuid () != 0)
    {
      /* The daemon answers AccessDenied to anyone else. */
      g_test_skip ("Command is for root only");
      return;
    }
  wait_for_network ();
  qcoapctl (&run, NULL, "at", "AT+QENG=\"servingcell\"");
  g_assert_cmpint (run.status, ==, 0);
  text = run_stdout_text (&run);
  /* The serving cell's line with its RSRP, and the final result. */
  g_assert_true (
      g_regex_match_simple ("^\\+QENG: \"servingcell\",.*,-87,", text, G_REGEX_MULTILINE, 0));
  g_assert_true (g_str_has_suffix (text, "\nOK"));

  qcoapctl (&json_run, NULL, "--json", "at", "AT+COPS?");
  g_assert_cmpint (json_run.status, ==, 0);
  json = run_stdout_text (&json_run);
  summary = json_eval (json, "d['command'], 'Fake Telecom' in d['response'], "
                             "d['response'].endswith('OK')");
  g_assert_cmpstr (summary, ==, "AT+COPS? True True");
}

/* at --modem: the command goes to that modem's object; an unknown modem
 * is a usage error that names the modems. */
static void
test_at_modem (void)
{
  g_auto (Run) run = { 0 };
  g_auto (Run) unknown = { 0 };
  g_autofree char *text = NULL;

  if (geteuid () != 0)
    {
      g_test_skip ("Command is for root only");
      return;
    }
  wait_for_network ();
  qcoapctl (&run, NULL, "at", "--modem", "default", "AT+CSQ");
  g_assert_cmpint (run.status, ==, 0);
  text = run_stdout_text (&run);
  g_assert_cmpstr (text, ==, "+CSQ: 25,99\nOK");
  qcoapctl (&unknown, NULL, "at", "--modem", "backup", "AT+CSQ");
  g_assert_cmpint (unknown.status, ==, 2);
  g_assert_nonnull (strstr (unknown.err, "There is no modem \"backup\"; the modems are default"));
}

static void
test_at_refused (void)
{
  g_auto (Run) refused = { 0 };
  g_auto (Run) missing = { 0 };
  g_auto (Run) json_run = { 0 };
  g_autofree char *json = NULL;
  g_autofree char *summary = NULL;

  /* The daemon refuses it; qcoapctl's status is that of a usage error and
   * the daemon's words are printed. */
  qcoapctl (&refused, NULL, "at", "ATZ");
  g_assert_cmpint (refused.status, ==, 2);
  g_assert_cmpuint (g_bytes_get_size (refused.out), ==, 0);
  g_assert_nonnull (strstr (refused.err, "“ATZ” was not sent"));
  g_assert_nonnull (strstr (refused.err, "(org.qcoapd.CoAP1.Error.InvalidArgument)"));

  qcoapctl (&json_run, NULL, "--json", "at", "AT+CFUN=0");
  g_assert_cmpint (json_run.status, ==, 2);
  json = run_stdout_text (&json_run);
  summary = json_eval (json, "d['error']['name'], d['error']['exit_status']");
  g_assert_cmpstr (summary, ==, "org.qcoapd.CoAP1.Error.InvalidArgument 2");

  qcoapctl (&missing, NULL, "at");
  g_assert_cmpint (missing.status, ==, 2);
}

/* ---- processes that keep running: open (held) and monitor ---- */

typedef struct
{
  GSubprocess *process;
  GDataInputStream *lines;
  gboolean stamped; /* monitor: each line has its time */
} Background;

static Background *
background_start (const char *const *args)
{
  Background *background = g_new0 (Background, 1);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();

  g_ptr_array_add (argv, (gpointer)g_getenv ("QCOAPCTL"));
  g_ptr_array_add (argv, "--bus");
  g_ptr_array_add (argv, (gpointer)bus_address);
  for (const char *const *a = args; *a; a++)
    {
      g_ptr_array_add (argv, (gpointer)*a);
      background->stamped |= g_str_equal (*a, "monitor");
    }
  g_ptr_array_add (argv, NULL);
  background->process = spawn ((const char *const *)argv->pdata, G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  background->lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (background->process));
  return background;
}

static void
background_free (Background *background)
{
  /* Also on a failed assertion: nothing outlives the test. */
  g_subprocess_force_exit (background->process);
  g_subprocess_wait (background->process, NULL, NULL);
  g_object_unref (background->lines);
  g_object_unref (background->process);
  g_free (background);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Background, background_free)

typedef struct
{
  char *line;
  gboolean done;
} LineRead;

/* A monitor's line without its time: asserts that it has one ("14:03:07.215 "
 * before the text, a "time" member in JSON). */
static char *
unstamped (char *line)
{
  static const char stamp[] = "^[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} ";
  char *text;

  if (line[0] == '{')
    {
      g_assert_true (g_regex_match_simple ("\"time\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T", line, 0, 0));
      return line;
    }
  g_assert_true (g_regex_match_simple (stamp, line, 0, 0));
  text = g_strdup (line + strlen ("00:00:00.000 "));
  g_free (line);
  return text;
}

static void
line_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LineRead *read = user_data;

  read->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                          NULL, NULL);
  read->done = TRUE;
}

static gboolean
on_read_timeout (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* The next line of output, or NULL at the end or after 20 s. */
static char *
background_read_line (Background *background)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  LineRead read = { NULL, FALSE };
  guint timeout = g_timeout_add (20000, on_read_timeout, cancellable);

  g_data_input_stream_read_line_async (background->lines, G_PRIORITY_DEFAULT, cancellable,
                                       line_read, &read);
  while (!read.done)
    g_main_context_iteration (NULL, TRUE);
  if (!g_cancellable_is_cancelled (cancellable))
    g_source_remove (timeout);
  if (read.line)
    g_test_message ("output: %s", read.line);
  if (read.line && background->stamped)
    return unstamped (read.line);
  return read.line;
}

/* Reads lines until one matches @pattern; fails on end of output. */
static char *
background_expect (Background *background, const char *pattern)
{
  while (TRUE)
    {
      char *line = background_read_line (background);

      if (line == NULL)
        g_error ("no line matching /%s/ came", pattern);
      if (g_regex_match_simple (pattern, line, 0, 0))
        return line;
      g_free (line);
    }
}

static int
background_stop (Background *background)
{
  g_autoptr (GError) error = NULL;

  g_subprocess_send_signal (background->process, SIGTERM);
  g_subprocess_wait (background->process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (background->process));
  return g_subprocess_get_exit_status (background->process);
}

/* The index of the first of @events matching @pattern, or -1. */
static int
find_event (GPtrArray *events, const char *pattern)
{
  for (guint i = 0; i < events->len; i++)
    if (g_regex_match_simple (pattern, g_ptr_array_index (events, i), 0, 0))
      return i;
  return -1;
}

static void
test_monitor_sees_other_client (void)
{
  g_autoptr (Background) monitor = background_start ((const char *const[]){ "monitor", NULL });
  g_autofree char *port = g_strdup_printf ("%u", coap_port);
  g_autofree char *first = background_expect (monitor, "^monitoring ");

  g_assert_nonnull (first);
  g_autofree char *path = NULL;
  g_autofree char *added = NULL;
  g_autoptr (GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *id = NULL;
  g_autofree char *pattern = NULL;
  g_auto (Run) open = { 0 };
  g_auto (Run) get = { 0 };
  g_auto (Run) close = { 0 };

  /* Another client (another process, another connection) does the work,
   * once the monitor listens to the session it opened. */
  qcoapctl (&open, NULL, "open", "--persistent", "127.0.0.1", port);
  g_assert_cmpint (open.status, ==, 0);
  path = run_stdout_text (&open);
  /* The client ID is the modem's; the object path need not say it. */
  /* The line ends with the session's modem, the test bed's one. */
  pattern = g_strdup_printf ("^\\[[0-5]\\] session-added: %s 127\\.0\\.0\\.1:%s modem default$",
                             path, port);
  added = background_expect (monitor, pattern);
  id = g_strndup (added + 1, strcspn (added + 1, "]"));
  g_free (background_expect (monitor, "^\\[[0-5]\\] listening$"));
  qcoapctl (&get, NULL, "get", "-S", id, "/time");
  g_assert_cmpint (get.status, ==, 0);
  qcoapctl (&close, NULL, "close", id);
  g_assert_cmpint (close.status, ==, 0);

  /* Everything up to the session's removal, in the order it came. */
  while (TRUE)
    {
      char *line = background_read_line (monitor);

      g_assert_nonnull (line);
      g_ptr_array_add (events, line);
      if (g_str_has_prefix (line, "[") && strstr (line, "] session-removed: "))
        break;
    }
  /* The piggybacked response brings both an Ack and a Received, in either
   * order; Closed comes before the object goes. */
  g_assert_cmpint (find_event (events, "^\\[[0-5]\\] received mid 0x[0-9a-f]{4} token [0-9a-f]+: "
                                       "2\\.05 Content \\[Max-Age: [0-9]+\\] '.{15}'$"),
                   >=, 0);
  g_assert_cmpint (find_event (events, "^\\[[0-5]\\] ack CON mid 0x[0-9a-f]{4}: delivered$"), >=,
                   0);
  g_assert_cmpint (find_event (events, "^\\[[0-5]\\] closed: closed$"), ==, events->len - 2);
  g_assert_cmpint (background_stop (monitor), ==, 0);
}

/* The next lines up to the one matching @pattern, joined. */
static char *
background_lines_until (Background *background, const char *pattern)
{
  g_autoptr (GString) lines = g_string_new (NULL);

  while (TRUE)
    {
      g_autofree char *line = background_read_line (background);

      if (line == NULL)
        g_error ("no line matching /%s/ came", pattern);
      g_string_append_printf (lines, "%s\n", line);
      if (g_regex_match_simple (pattern, line, 0, 0))
        return g_string_free (g_steal_pointer (&lines), FALSE);
    }
}

static void
test_monitor_json (void)
{
  g_autoptr (Background) monitor
      = background_start ((const char *const[]){ "--json", "monitor", NULL });
  g_autofree char *time_uri = uri ("/time");
  g_autofree char *port = g_strdup_printf ("%u", coap_port);
  g_autofree char *first = background_expect (monitor, "\"event\":\"monitoring\"");

  g_assert_nonnull (first);
  g_autofree char *one_shot = NULL;
  g_autofree char *received = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *path = NULL;
  g_auto (Run) one_shot_get = { 0 };
  g_auto (Run) open = { 0 };
  g_auto (Run) get = { 0 };
  g_auto (Run) close = { 0 };

  /* The one-shot request's temporary session shows up, but it emits no
   * signals: its Received would come before its removal. */
  qcoapctl (&one_shot_get, NULL, "get", time_uri);
  g_assert_cmpint (one_shot_get.status, ==, 0);
  one_shot = background_lines_until (monitor, "\"event\":\"session-removed\"");
  g_assert_nonnull (strstr (one_shot, "\"event\":\"session-added\""));
  /* On the test bed's one modem. */
  g_assert_nonnull (strstr (one_shot, ",\"modem\":\"default\""));
  g_assert_null (strstr (one_shot, "\"event\":\"received\""));
  /* Not "closed" with "vanished": it was a Request's, and it is removed. */
  g_assert_null (strstr (one_shot, "\"event\":\"closed\""));

  /* A session of the same user: heard once the monitor listens. */
  qcoapctl (&open, NULL, "open", "--persistent", "127.0.0.1", port);
  g_assert_cmpint (open.status, ==, 0);
  path = run_stdout_text (&open);
  g_free (background_expect (monitor, "\"event\":\"listening\""));
  qcoapctl (&get, NULL, "get", "-S", path, "/time");
  g_assert_cmpint (get.status, ==, 0);
  received = background_expect (monitor, "\"event\":\"received\"");
  summary = json_eval (received, "d['code'], d['description'], d['options'][0]['name'], "
                                 "len(d['payload']), d['session'].startswith('/org/qcoapd/')");
  g_assert_cmpstr (summary, ==, "2.05 Content Max-Age 15 True");
  qcoapctl (&close, NULL, "close", path);
  g_assert_cmpint (close.status, ==, 0);
  g_assert_cmpint (background_stop (monitor), ==, 0);
}

/* Sends @unique_name a unicast signal whose body GDBus fails to read (valid
 * D-Bus, routed by the bus): GDBus then closes that connection. */
static void
knock_off (const char *unique_name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) sender = g_dbus_connection_new_for_address_sync (
      bus_address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  g_autoptr (GDBusMessage) message
      = g_dbus_message_new_signal ("/org/qcoapd/Test", "org.qcoapd.Test", "KnockOff");

  g_assert_no_error (error);
  g_dbus_message_set_destination (message, unique_name);
  g_dbus_message_set_body (
      message, g_variant_new_parsed ("([(signature 'yyyyy',), (signature 'y',)], 'x')"));
  g_dbus_connection_send_message (sender, message, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_flush_sync (sender, NULL, NULL);
  g_dbus_connection_close_sync (sender, NULL, NULL);
}

static char *
daemon_unique_name (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) connection = g_dbus_connection_new_for_address_sync (
      bus_address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  g_autoptr (GVariant) reply = NULL;
  char *owner = NULL;

  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (
      connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "GetNameOwner", g_variant_new ("(s)", "org.qcoapd.CoAP1"), G_VARIANT_TYPE ("(s)"),
      G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(s)", &owner);
  return owner;
}

/* qcoapd knocked off the bus connects again: the monitor says it left and
 * came back, each line with its time. */
static void
test_monitor_daemon_leaves (void)
{
  g_autoptr (Background) monitor
      = background_start ((const char *const[]){ "monitor", "--no-listen", NULL });
  g_autofree char *first = background_expect (monitor, "^monitoring ");
  g_autofree char *owner = daemon_unique_name ();

  g_assert_nonnull (first);
  knock_off (owner);
  g_free (background_expect (monitor, "^daemon: qcoapd left the bus$"));
  g_free (background_expect (monitor, "^daemon: qcoapd is back on the bus$"));
  g_assert_cmpint (background_stop (monitor), ==, 0);
}

/* With --no-listen the monitor sees sessions come and go, and none of
 * their signals. */
static void
test_monitor_no_listen (void)
{
  g_autoptr (Background) monitor
      = background_start ((const char *const[]){ "monitor", "--no-listen", NULL });
  g_autofree char *port = g_strdup_printf ("%u", coap_port);
  g_autofree char *first = background_expect (monitor, "^monitoring ");
  g_autofree char *path = NULL;
  g_autofree char *seen = NULL;
  g_auto (Run) open = { 0 };
  g_auto (Run) get = { 0 };
  g_auto (Run) close = { 0 };

  g_assert_nonnull (first);
  qcoapctl (&open, NULL, "open", "--persistent", "127.0.0.1", port);
  g_assert_cmpint (open.status, ==, 0);
  path = run_stdout_text (&open);
  g_free (background_expect (monitor, "\\] session-added: "));
  qcoapctl (&get, NULL, "get", "-S", path, "/time");
  g_assert_cmpint (get.status, ==, 0);
  qcoapctl (&close, NULL, "close", path);
  g_assert_cmpint (close.status, ==, 0);
  seen = background_lines_until (monitor, "\\] session-removed: ");
  g_assert_null (strstr (seen, "listening"));
  g_assert_null (strstr (seen, "] received "));
  /* Without the Closed signal the reason is unknown: only the removal. */
  g_assert_null (strstr (seen, "] closed: "));
  g_assert_cmpint (background_stop (monitor), ==, 0);
}

/* Reads lines until every one of @patterns has matched one, in any order
 * (a registration and a context change come in either order). */
static void
background_expect_all (Background *background, const char *const *patterns)
{
  guint n = g_strv_length ((char **)patterns);
  g_autofree gboolean *seen = g_new0 (gboolean, n);
  guint left = n;

  while (left > 0)
    {
      g_autofree char *line = background_read_line (background);

      if (line == NULL)
        g_error ("the monitor ended before all of its expected lines came");
      for (guint i = 0; i < n; i++)
        if (!seen[i] && g_regex_match_simple (patterns[i], line, 0, 0))
          {
            seen[i] = TRUE;
            left--;
          }
    }
}

static void
test_monitor_network (void)
{
  g_autoptr (Background) monitor = NULL;
  g_autofree char *first = NULL;

  wait_for_network ();
  monitor = background_start ((const char *const[]){ "monitor", NULL });
  first = background_expect (
      monitor, "^monitoring all sessions \\(modem ready, home \\(lte-m, Fake Telecom\\)\\); ");

  /* The network is lost: searching, and the data call goes with it. */
  sim_control ("fault deregister");
  background_expect_all (
      monitor, (const char *const[]){ "^registration: searching$", "^context 1: down$", NULL });
  /* Back: registered, then the daemon activates the context again. */
  sim_control ("fault register");
  background_expect_all (monitor,
                         (const char *const[]){ "^registration: home \\(lte-m, Fake Telecom\\)$",
                                                "^context 1: up 10\\.64\\.0\\.1$", NULL });
  g_assert_cmpint (background_stop (monitor), ==, 0);
  wait_for_network ();
}

static void
test_monitor_network_json (void)
{
  g_autoptr (Background) monitor = NULL;
  g_autofree char *first = NULL;
  g_autofree char *line = NULL;
  g_autofree char *summary = NULL;

  wait_for_network ();
  monitor = background_start ((const char *const[]){ "--json", "monitor", NULL });
  first = background_expect (monitor, "\"event\":\"monitoring\"");
  sim_control ("fault pdp-drop");
  line = background_expect (monitor, "\"event\":\"context\"");
  summary = json_eval (line, "d['cid'], d['active'], repr(d['address'])");
  g_assert_cmpstr (summary, ==, "1 False ''");
  g_clear_pointer (&line, g_free);
  g_clear_pointer (&summary, g_free);
  /* The daemon activates it again by itself. */
  line = background_expect (monitor, "\"event\":\"context\"");
  summary = json_eval (line, "d['cid'], d['active'], d['address']");
  g_assert_cmpstr (summary, ==, "1 True 10.64.0.1");
  g_assert_cmpint (background_stop (monitor), ==, 0);
  wait_for_network ();
}

static void
test_open_held_until_interrupted (void)
{
  g_autofree char *port = g_strdup_printf ("%u", coap_port);
  g_autoptr (Background) open
      = background_start ((const char *const[]){ "open", "127.0.0.1", port, NULL });
  g_autofree char *path = background_read_line (open);
  g_auto (Run) during = { 0 };
  g_auto (Run) after = { 0 };

  g_assert_nonnull (path);
  g_assert_true (g_str_has_prefix (path, "/org/qcoapd/CoAP1/Session/"));
  qcoapctl (&during, NULL, "sessions");
  g_assert_nonnull (
      g_strstr_len (g_bytes_get_data (during.out, NULL), g_bytes_get_size (during.out), path));
  /* The session's owner is the user the bus saw open it: this test's. */
  {
    g_autofree char *listing = run_stdout_text (&during);
    struct passwd *me = getpwuid (getuid ());

    g_assert_nonnull (me);
    g_assert_nonnull (strstr (listing, me->pw_name));
    g_assert_nonnull (strstr (listing, "owner "));
  }
  /* Ctrl-C: qcoapctl closes the session and exits 0. */
  g_assert_cmpint (background_stop (open), ==, 0);
  qcoapctl (&after, NULL, "--json", "sessions");
  g_assert_cmpstr (g_bytes_get_data (after.out, NULL), ==, "[]\n");
}

/* ---- the example program ---- */

static void
test_example_program (void)
{
  g_autofree char *port = g_strdup_printf ("%u", coap_port);
  g_auto (Run) run = { 0 };
  g_autofree char *text = NULL;

  run_program (&run, g_getenv ("QCOAP_EXAMPLE"), NULL,
               (const char *const[]){ "--bus", bus_address, "127.0.0.1", port, NULL });
  g_assert_cmpint (run.status, ==, 0);
  text = run_stdout_text (&run);
  g_assert_true (g_regex_match_simple ("^modem Quectel BG96, ready, 6 free client IDs$", text,
                                       G_REGEX_MULTILINE, 0));
  g_assert_true (
      g_regex_match_simple ("^GET /time: [A-Z][a-z]{2} .{11}$", text, G_REGEX_MULTILINE, 0));
  g_assert_true (
      g_regex_match_simple ("^PUT /example_data: 2\\.0[14] ", text, G_REGEX_MULTILINE, 0));
  g_assert_true (g_regex_match_simple ("^signal: received 2\\.05 ", text, G_REGEX_MULTILINE, 0));
  g_assert_true (
      g_regex_match_simple ("^signal: closed \\(closed\\)$", text, G_REGEX_MULTILINE, 0));
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  bus_address = g_getenv ("QCOAP_TEST_BUS");
  if (bus_address == NULL || g_getenv ("QCOAPCTL") == NULL)
    {
      g_printerr ("run me with client-env-run, QCOAPCTL and QCOAP_EXAMPLE set\n");
      return 1;
    }
  coap_port = atoi (g_getenv ("QCOAP_TEST_COAP_PORT"));
  silent_port = atoi (g_getenv ("QCOAP_TEST_SILENT_PORT"));
  tmpdir = g_dir_make_tmp ("qcoapctl-test-XXXXXX", &error);
  g_assert_no_error (error);

  /* First: it needs coap-server's /example_data as it starts. */
  g_test_add_func ("/qcoapctl/get/truncated", test_truncated_response);
  g_test_add_func ("/qcoapctl/psk-key-file", test_psk_key_file);
  g_test_add_func ("/qcoapctl/get/time", test_get_time);
  g_test_add_func ("/qcoapctl/get/output-file", test_output_file);
  g_test_add_func ("/qcoapctl/get/token", test_token);
  g_test_add_func ("/qcoapctl/get/verbose-retransmissions", test_verbose_retransmissions);
  g_test_add_func ("/qcoapctl/get/use-other-server", test_use_other_server);
  g_test_add_func ("/qcoapctl/exit/missing-file", test_missing_file);
  g_test_add_func ("/qcoapctl/exit/bad-uri-one-status", test_bad_uri_one_status);
  g_test_add_func ("/qcoapctl/get/verbose", test_get_verbose);
  g_test_add_func ("/qcoapctl/put-get/binary-file", test_put_get_binary_file);
  g_test_add_func ("/qcoapctl/put-get/stdin-non-confirmable", test_put_get_stdin);
  g_test_add_func ("/qcoapctl/exit/not-found", test_not_found);
  g_test_add_func ("/qcoapctl/exit/method-not-allowed", test_method_not_allowed);
  g_test_add_func ("/qcoapctl/exit/timeout", test_timeout);
  g_test_add_func ("/qcoapctl/exit/usage", test_usage_errors);
  g_test_add_func ("/qcoapctl/exit/unreachable", test_unreachable);
  g_test_add_func ("/qcoapctl/json/response", test_json);
  g_test_add_func ("/qcoapctl/json/error", test_json_error);
  g_test_add_func ("/qcoapctl/status/text", test_status_text);
  g_test_add_func ("/qcoapctl/status/modems", test_status_modems);
  g_test_add_func ("/qcoapctl/modem/open-and-get", test_open_on_a_modem);
  g_test_add_func ("/qcoapctl/modem/not-with-use", test_modem_with_use);
  g_test_add_func ("/qcoapctl/sessions/open-get-close", test_sessions_and_status);
  g_test_add_func ("/qcoapctl/sessions/open-held", test_open_held_until_interrupted);
  g_test_add_func ("/qcoapctl/monitor/other-client", test_monitor_sees_other_client);
  g_test_add_func ("/qcoapctl/monitor/json", test_monitor_json);
  g_test_add_func ("/qcoapctl/monitor/no-listen", test_monitor_no_listen);
  g_test_add_func ("/qcoapctl/monitor/daemon-leaves", test_monitor_daemon_leaves);
  g_test_add_func ("/example/runs", test_example_program);
  g_test_add_func ("/qcoapctl/status/network", test_status_network);
  g_test_add_func ("/qcoapctl/at/command", test_at_command);
  g_test_add_func ("/qcoapctl/at/refused", test_at_refused);
  g_test_add_func ("/qcoapctl/at/modem", test_at_modem);
  g_test_add_func ("/qcoapctl/monitor/network", test_monitor_network);
  g_test_add_func ("/qcoapctl/monitor/network-json", test_monitor_network_json);
  status = g_test_run ();

  harness_remove_temp_dir (tmpdir);
  return status;
}
