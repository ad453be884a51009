/* SPDX-License-Identifier: MIT */
/* test-at-engine.c — the AT command queue, driven without a port.
 *
 * The engine writes into a byte array the test inspects; the test plays the
 * modem by feeding response bytes. Timeouts run on a private main context that
 * the test iterates.
 */
#include "at-engine.h"
#include "backoff.h"

#include <string.h>

typedef struct
{
  GMainContext *context;
  AtEngine *engine;
  GByteArray *written;
  GPtrArray *urcs; /* char *: "L:<line>", "R:<line>|<payload>" or "U:<line>" */
  gboolean write_fails;
  guint failure_calls;
  guint failed_probes;
} Fixture;

typedef struct
{
  gboolean done;
  AtResponse *response;
  GError *error;
} Result;

static void
result_clear (Result *result)
{
  g_clear_pointer (&result->response, at_response_free);
  g_clear_error (&result->error);
  result->done = FALSE;
}

static gboolean
record_write (const guint8 *data, gsize length, gpointer user_data)
{
  Fixture *f = user_data;

  if (f->write_fails)
    return FALSE;
  g_byte_array_append (f->written, data, (guint)length);
  return TRUE;
}

static void
record_urc (const AtEvent *event, gpointer user_data)
{
  Fixture *f = user_data;

  if (event->kind == AT_EVENT_RECV)
    g_ptr_array_add (f->urcs, g_strdup_printf ("R:%s|%.*s", event->line, (int)event->payload_length,
                                               (const char *)event->payload));
  else if (event->kind == AT_EVENT_RECV_UNREADABLE)
    g_ptr_array_add (f->urcs, g_strdup_printf ("U:%s", event->line));
  else
    g_ptr_array_add (f->urcs, g_strdup_printf ("L:%s", event->line));
}

static void
record_failure (AtEngine *engine, guint failed_probes, gpointer user_data)
{
  Fixture *f = user_data;

  f->failure_calls++;
  f->failed_probes = failed_probes;
}

/* The probes the daemon gives its engine, as test data. */
static gboolean
is_revision_line (const char *line)
{
  return g_str_has_prefix (line, "Revision:");
}

static gboolean
is_imei_line (const char *line)
{
  return strlen (line) == 15 && strspn (line, "0123456789") == 15;
}

static gboolean
is_qcoapcfg_range_line (const char *line)
{
  return g_str_has_prefix (line, "+QCOAPCFG:") && strchr (line, '(') != NULL;
}

static const AtProbe probes[] = {
  { "ATI", is_revision_line, { "ATI", "AT+CGMR", "AT+GMR", NULL } },
  { "AT+GSN", is_imei_line, { "AT+GSN", "AT+CGSN", NULL } },
  { "AT+QCOAPCFG=?", is_qcoapcfg_range_line, { "AT+QCOAPCFG", NULL } },
};

/* The URCs the daemon's modules register for, recorded here. */
static const char *const urc_prefixes[] = {
  "+QCOAPRECV:", "+QCOAPACK:", "+COAPACK:", "+QCOAPIND:", "+QIURC:",
  "+CFUN:",      "+CPIN:",     "+QUSIM:",   "+QIND:",     "+CEREG:",
};

static gboolean
is_restart_line (const char *line)
{
  return g_str_equal (line, "RDY") || g_str_equal (line, "APP RDY")
         || g_str_equal (line, "POWERED DOWN") || g_str_equal (line, "NORMAL POWER DOWN");
}

/* "+QCOAPOPEN: <id>,<result>", "+QCOAPCLOSE: <id>,<result>": two numbers. */
static gboolean
is_open_close_result (const char *line)
{
  const char *p = strchr (line, ':');
  int fields = 0;

  if (!g_str_has_prefix (line, "+QCOAPOPEN:") && !g_str_has_prefix (line, "+QCOAPCLOSE:"))
    return FALSE;
  while (p != NULL && *p != '\0')
    {
      char *end;

      p++;
      g_ascii_strtoll (p, &end, 10);
      if (end == p || (*end != ',' && *end != '\0'))
        return FALSE;
      fields++;
      p = *end == ',' ? end : NULL;
    }
  return fields == 2;
}

static void
register_urcs (Fixture *f)
{
  for (gsize i = 0; i < G_N_ELEMENTS (urc_prefixes); i++)
    at_engine_add_urc_handler (f->engine, urc_prefixes[i], NULL, record_urc, f);
  at_engine_add_urc_handler (f->engine, NULL, is_restart_line, record_urc, f);
  at_engine_add_urc_handler (f->engine, NULL, is_open_close_result, record_urc, f);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->context = g_main_context_new ();
  g_main_context_push_thread_default (f->context);
  f->written = g_byte_array_new ();
  f->urcs = g_ptr_array_new_with_free_func (g_free);
  f->engine = at_engine_new (record_write, f);
  at_engine_set_failure_func (f->engine, record_failure, f);
  at_engine_set_probes (f->engine, probes, G_N_ELEMENTS (probes));
  register_urcs (f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  gpointer engine = f->engine;

  /* Every command has ended, so nothing may keep the engine alive. */
  if (engine != NULL)
    g_object_add_weak_pointer (engine, &engine);
  g_clear_pointer (&f->engine, at_engine_free);
  while (g_main_context_iteration (f->context, FALSE))
    ;
  g_assert_null (engine);
  g_main_context_pop_thread_default (f->context);
  g_main_context_unref (f->context);
  g_byte_array_unref (f->written);
  g_ptr_array_unref (f->urcs);
}

static void
on_command_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Result *r = user_data;

  g_assert_false (r->done);
  r->response = at_engine_command_finish (AT_ENGINE (source), result, &r->error);
  g_assert_true ((r->response == NULL) != (r->error == NULL));
  r->done = TRUE;
}

/* A command whose answer declares @response. */
static void
command_expecting (Fixture *f, const char *text, const char *const *response, guint timeout_ms,
                   GCancellable *cancellable, Result *r)
{
  AtCommand command = { .text = text, .response = response, .timeout_ms = timeout_ms };

  at_engine_command (f->engine, &command, cancellable, on_command_done, r);
}

/* A command that takes any line no handler claims. */
static void
command (Fixture *f, const char *text, guint timeout_ms, GCancellable *cancellable, Result *r)
{
  command_expecting (f, text, AT_RESPONSE_ANY, timeout_ms, cancellable, r);
}

static void
payload_command (Fixture *f, const char *text, AtPayloadMode mode, GBytes *payload,
                 guint timeout_ms, GCancellable *cancellable, Result *r)
{
  AtCommand command = { .text = text,
                        .response = AT_RESPONSE_ANY,
                        .mode = mode,
                        .payload = payload,
                        .timeout_ms = timeout_ms };

  at_engine_command (f->engine, &command, cancellable, on_command_done, r);
}

static void
feed (Fixture *f, const char *bytes)
{
  at_engine_feed (f->engine, (const guint8 *)bytes, strlen (bytes));
}

static void
feed_bytewise (Fixture *f, const char *bytes)
{
  for (const char *p = bytes; *p != '\0'; p++)
    at_engine_feed (f->engine, (const guint8 *)p, 1);
}

static void
iterate (Fixture *f)
{
  while (g_main_context_iteration (f->context, FALSE))
    ;
}

static gboolean
wake_up (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the context until *@flag is set; fails the test after @limit_ms. */
static void
run_until (Fixture *f, const gboolean *flag, guint limit_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64)limit_ms * 1000;
  GSource *ticker = g_timeout_source_new (5);

  g_source_set_callback (ticker, wake_up, NULL, NULL);
  g_source_attach (ticker, f->context);
  while (!*flag && g_get_monotonic_time () < deadline)
    g_main_context_iteration (f->context, TRUE);
  g_source_destroy (ticker);
  g_source_unref (ticker);
  g_assert_true (*flag);
}

/* Returns what the engine wrote since the last call, as text. */
static char *
take_written (Fixture *f)
{
  char *text = g_strndup ((const char *)f->written->data, f->written->len);

  g_byte_array_set_size (f->written, 0);
  return text;
}

static void
assert_written (Fixture *f, const char *expected)
{
  g_autofree char *written = take_written (f);

  g_assert_cmpstr (written, ==, expected);
}

static void
assert_lines (const AtResponse *response, const char *const *expected)
{
  guint n = g_strv_length ((char **)expected);

  g_assert_cmpuint (response->lines->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpstr (g_ptr_array_index (response->lines, i), ==, expected[i]);
  g_assert_cmpstr (response->final, ==, "OK");
}

static void
assert_urcs (Fixture *f, const char *const *expected)
{
  guint n = g_strv_length ((char **)expected);

  g_assert_cmpuint (f->urcs->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpstr (g_ptr_array_index (f->urcs, i), ==, expected[i]);
  g_ptr_array_set_size (f->urcs, 0);
}

static const char *const no_lines[] = { NULL };

/* ---- back-off (the probes' pauses, and every other retry of the daemon) ---------- */

static void
test_backoff (void)
{
  const struct
  {
    guint first, ceiling, failures, expected;
  } cases[] = {
    { 125, 1000, 0, 125 },
    { 125, 1000, 1, 250 },
    { 125, 1000, 3, 1000 },
    { 125, 1000, 40, 1000 },
    { 1, 30, 4, 16 },
    { 1, 30, 5, 30 },
    { 500, 30000, 200, 30000 },
    { 3, G_MAXUINT, 64, G_MAXUINT },
    { 7, 5, 0, 5 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpuint (backoff_delay (cases[i].first, cases[i].ceiling, cases[i].failures), ==,
                      cases[i].expected);
}

/* ---- final results ------------------------------------------------------------ */

static void
test_finals (void)
{
  const struct
  {
    const char *line;
    AtFinalKind kind;
    int code;
    const char *words;
  } finals[] = {
    { "OK", AT_FINAL_OK, -1, "" },
    { "ERROR", AT_FINAL_ERROR, -1, "" },
    { "+CME ERROR: 407", AT_FINAL_CME_ERROR, 407, "407" },
    { "+CME ERROR: Operation not supported", AT_FINAL_CME_ERROR, -1, "Operation not supported" },
    { "+CMS ERROR: 500", AT_FINAL_CMS_ERROR, 500, "500" },
    { "+CME ERROR:", AT_FINAL_CME_ERROR, -1, "" },
    { "+CME ERROR: 99999999999", AT_FINAL_CME_ERROR, -1, "99999999999" },
  };
  const char *const not_finals[] = { "OKAY", "ERRORS", "+CME: 1", "CONNECT", "> ", "RDY" };

  for (gsize i = 0; i < G_N_ELEMENTS (finals); i++)
    {
      AtFinal final;

      g_assert_true (at_line_is_final (finals[i].line));
      g_assert_true (at_final_parse (finals[i].line, &final));
      g_assert_cmpint (final.kind, ==, finals[i].kind);
      g_assert_cmpint (final.code, ==, finals[i].code);
      g_assert_cmpstr (final.words, ==, finals[i].words);
      g_assert_cmpstr (final.line, ==, finals[i].line);
      at_final_clear (&final);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (not_finals); i++)
    {
      AtFinal final;

      g_assert_false (at_line_is_final (not_finals[i]));
      g_assert_false (at_final_parse (not_finals[i], &final));
    }
}

/* ---- queue ---------------------------------------------------------------------- */

static void
test_queue_order (Fixture *f, gconstpointer data)
{
  Result a = { 0 }, b = { 0 }, c = { 0 };

  command (f, "AT", 0, NULL, &a);
  command (f, "AT+GSN", 0, NULL, &b);
  command (f, "AT+QCOAPCLOSE=3", 0, NULL, &c);
  iterate (f);
  /* One command in flight: the others wait for its final result. */
  assert_written (f, "AT\r");
  g_assert_false (a.done);

  feed (f, "\r\nOK\r\n");
  iterate (f);
  g_assert_true (a.done);
  g_assert_no_error (a.error);
  assert_lines (a.response, no_lines);
  g_assert_false (b.done);
  assert_written (f, "AT+GSN\r");

  feed (f, "\r\n866425030123456\r\n\r\nOK");
  iterate (f);
  g_assert_false (b.done); /* "OK" is not a line before its line end */
  assert_written (f, "");
  feed (f, "\r\n");
  iterate (f);
  g_assert_true (b.done);
  assert_lines (b.response, (const char *const[]){ "866425030123456", NULL });
  assert_written (f, "AT+QCOAPCLOSE=3\r");

  feed (f, "\r\nERROR\r\n");
  iterate (f);
  g_assert_true (c.done);
  g_assert_error (c.error, AT_ERROR, AT_ERROR_MODEM);
  g_assert_nonnull (strstr (c.error->message, "AT+QCOAPCLOSE=3"));
  g_assert_nonnull (strstr (c.error->message, "ERROR"));
  assert_written (f, "");

  result_clear (&a);
  result_clear (&b);
  result_clear (&c);
}

static void
test_echo_and_intermediate_lines (Fixture *f, gconstpointer data)
{
  Result r = { 0 };

  command (f, "ATI", 0, NULL, &r);
  assert_written (f, "ATI\r");
  feed_bytewise (f, "ATI\r\r\nQuectel\r\nBG96\r\nRevision: BG96MAR02A07M1G\r\n\r\nOK\r\n");
  iterate (f);
  g_assert_true (r.done);
  assert_lines (r.response,
                (const char *const[]){ "Quectel", "BG96", "Revision: BG96MAR02A07M1G", NULL });
  result_clear (&r);
}

static void
test_cme_errors (Fixture *f, gconstpointer data)
{
  const char *const answers[] = { "+CME ERROR: 407", "+CME ERROR: Operation not supported" };

  for (gsize i = 0; i < G_N_ELEMENTS (answers); i++)
    {
      Result r = { 0 };
      g_autofree char *reply = g_strdup_printf ("\r\n%s\r\n", answers[i]);

      command (f, "AT+QFDEL=\"UFS:0_server.psk\"", 0, NULL, &r);
      feed (f, reply);
      iterate (f);
      g_assert_true (r.done);
      g_assert_error (r.error, AT_ERROR, AT_ERROR_MODEM);
      g_assert_nonnull (strstr (r.error->message, answers[i]));
      g_assert_nonnull (strstr (r.error->message, "AT+QFDEL=\"UFS:0_server.psk\""));
      result_clear (&r);
    }
  assert_written (f, "AT+QFDEL=\"UFS:0_server.psk\"\rAT+QFDEL=\"UFS:0_server.psk\"\r");
}

static void
test_urc_inside_response (Fixture *f, gconstpointer data)
{
  Result r = { 0 };

  command (f, "AT+QCOAPOPEN?", 0, NULL, &r);
  feed_bytewise (f, "\r\n+QCOAPOPEN: 0,\"127.0.0.1\",5683,3\r\n"
                    "\r\n+QCOAPACK: 0,0,1,0\r\n"
                    "\r\n+QCOAPOPEN: 1,0\r\n"
                    "\r\n+QCOAPRECV: 0,1,2.05,0,,0,6\r\n\r\nOK\r\n\r\n"
                    "\r\n+QCOAPOPEN: 2,\"example.com\",5684,1\r\n"
                    "\r\nOK\r\n");
  iterate (f);
  g_assert_true (r.done);
  assert_lines (r.response, (const char *const[]){ "+QCOAPOPEN: 0,\"127.0.0.1\",5683,3",
                                                   "+QCOAPOPEN: 2,\"example.com\",5684,1", NULL });
  assert_urcs (f, (const char *const[]){ "L:+QCOAPACK: 0,0,1,0", "L:+QCOAPOPEN: 1,0",
                                         "R:+QCOAPRECV: 0,1,2.05,0,,0,6|\r\nOK\r\n", NULL });
  result_clear (&r);
}

/* A +QCOAPRECV too large to read, whose payload holds a final result and a
 * reboot, goes to the URC function without them; the command in flight
 * still ends with its own OK. */
static void
test_unreadable_recv_inside_response (Fixture *f, gconstpointer data)
{
  static const char urc[] = "+QCOAPRECV: 0,1,2.05,0,,0,65537";
  static const char forged[] = "\r\nOK\r\n\r\nRDY\r\n";
  g_autoptr (GString) input = g_string_new ("\r\n");
  g_autofree char *expected = g_strdup_printf ("U:%s", urc);
  GLogLevelFlags fatal;
  Result r = { 0 };

  g_string_append_printf (input, "%s\r\n", urc);
  for (gsize i = 0; i < AT_LEXER_MAX_PAYLOAD + 1; i++)
    g_string_append_c (input, forged[i % (sizeof forged - 1)]);
  g_string_append (input, "\r\n\r\nOK\r\n");

  command (f, "AT+QCOAPOPEN?", 0, NULL, &r);
  /* The engine warns about it; g_test_expect_message() does not see
   * structured logging, so warnings are not fatal for this feed. */
  fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  feed (f, input->str);
  g_log_set_always_fatal (fatal);
  iterate (f);
  g_assert_true (r.done);
  g_assert_no_error (r.error);
  g_assert_cmpuint (r.response->lines->len, ==, 0);
  assert_urcs (f, (const char *const[]){ expected, NULL });
  result_clear (&r);
}

/* "+CFUN: 1" is a URC after a reset, but the answer to AT+CFUN?. */
static void
test_read_answer_named_like_urc (Fixture *f, gconstpointer data)
{
  Result r = { 0 };

  command (f, "AT+CFUN?", 0, NULL, &r);
  feed (f, "\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nOK\r\n");
  iterate (f);
  assert_lines (r.response, (const char *const[]){ "+CFUN: 1", NULL });
  assert_urcs (f, (const char *const[]){ "L:+CPIN: READY", NULL });

  feed (f, "\r\n+CFUN: 1\r\n");
  assert_urcs (f, (const char *const[]){ "L:+CFUN: 1", NULL });
  result_clear (&r);
}

/* A line nobody registered for and the command did not declare is dropped:
 * never taken for part of the answer. */
static void
test_undeclared_line_dropped (Fixture *f, gconstpointer data)
{
  static const char *const qcsq[] = { "+QCSQ:", NULL };
  Result r = { 0 };

  command_expecting (f, "AT+QCSQ", qcsq, 0, NULL, &r);
  feed (f, "\r\n+QSTRAY: 1\r\n\r\nQuectel\r\n\r\n+QCSQ: \"eMTC\",-62,-87,111,-12\r\n"
           "\r\n+CPIN: READY\r\n\r\nOK\r\n");
  iterate (f);
  g_assert_no_error (r.error);
  assert_lines (r.response, (const char *const[]){ "+QCSQ: \"eMTC\",-62,-87,111,-12", NULL });
  assert_urcs (f, (const char *const[]){ "L:+CPIN: READY", NULL });
  result_clear (&r);
}

/* A command that declares no lines gets none; a removed handler hears no
 * more. */
static void
test_handler_removed (Fixture *f, gconstpointer data)
{
  Result r = { 0 };
  guint id = at_engine_add_urc_handler (f->engine, "+QTEST:", NULL, record_urc, f);

  feed (f, "\r\n+QTEST: 1\r\n");
  assert_urcs (f, (const char *const[]){ "L:+QTEST: 1", NULL });
  at_engine_remove_urc_handler (f->engine, id);
  command_expecting (f, "AT+QTEST=2", NULL, 0, NULL, &r);
  feed (f, "\r\n+QTEST: 2\r\n\r\nOK\r\n");
  iterate (f);
  g_assert_cmpuint (r.response->lines->len, ==, 0);
  assert_urcs (f, no_lines);
  result_clear (&r);
}

/* An error answer reaches the caller as fields, not only as words. */
static void
test_error_carries_final (Fixture *f, gconstpointer data)
{
  Result r = { 0 };
  const AtFinal *final;
  g_autoptr (GError) copy = NULL;

  command (f, "AT+QIACT=1", 0, NULL, &r);
  feed (f, "\r\n+CME ERROR: 30\r\n");
  iterate (f);
  g_assert_error (r.error, AT_ERROR, AT_ERROR_MODEM);
  copy = g_error_copy (r.error);
  result_clear (&r);
  final = at_error_get_final (copy);
  g_assert_nonnull (final);
  g_assert_cmpint (final->kind, ==, AT_FINAL_CME_ERROR);
  g_assert_cmpint (final->code, ==, 30);
  g_assert_cmpstr (final->line, ==, "+CME ERROR: 30");

  command (f, "AT+QIACT=1", 30, NULL, &r);
  run_until (f, &r.done, 2000);
  g_assert_error (r.error, AT_ERROR, AT_ERROR_TIMEOUT);
  g_assert_null (at_error_get_final (r.error));
  result_clear (&r);
}

static void
test_idle_lines_dropped (Fixture *f, gconstpointer data)
{
  Result r = { 0 };

  feed (f, "\r\nOK\r\n\r\ngarbage\x01\r\n\r\nERROR\r\n\r\nRDY\r\n");
  iterate (f);
  assert_urcs (f, (const char *const[]){ "L:RDY", NULL });

  command (f, "AT+CGMR", 0, NULL, &r);
  iterate (f);
  g_assert_false (r.done);
  feed (f, "\r\nBG96MAR02A07M1G\r\n\r\nOK\r\n");
  iterate (f);
  assert_lines (r.response, (const char *const[]){ "BG96MAR02A07M1G", NULL });
  result_clear (&r);
}

/* ---- payloads ------------------------------------------------------------------ */

static const guint8 binary_payload[] = { 'a', 0, '\r', '\n', 'O', 'K', '\r', '\n', 0x1a, 0xff };

static void
test_prompt_payload (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) payload = g_bytes_new_static (binary_payload, sizeof binary_payload);
  const char *text = "AT+QCOAPSEND=0,1,2,0,10";
  Result r = { 0 };

  payload_command (f, text, AT_PAYLOAD_AFTER_PROMPT, payload, 0, NULL, &r);
  assert_written (f, "AT+QCOAPSEND=0,1,2,0,10\r");

  /* Echo and a URC before the prompt: the payload waits for the prompt. */
  feed (f, "AT+QCOAPSEND=0,1,2,0,10\r\r\n+QCOAPIND: 0,0,5,1,0\r\n\r\n");
  assert_written (f, "");
  assert_urcs (f, (const char *const[]){ "L:+QCOAPIND: 0,0,5,1,0", NULL });

  feed (f, ">");
  g_assert_cmpmem (f->written->data, f->written->len, binary_payload, sizeof binary_payload);
  g_byte_array_set_size (f->written, 0);
  feed (f, " \r\nOK\r\n");
  iterate (f);
  g_assert_true (r.done);
  assert_lines (r.response, no_lines);
  assert_written (f, "");
  result_clear (&r);
}

static void
test_prompt_replaced_by_error (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) payload = g_bytes_new_static ("hello", 5);
  Result r = { 0 }, next = { 0 };

  payload_command (f, "AT+QCOAPSEND=4,1,2,0,5", AT_PAYLOAD_AFTER_PROMPT, payload, 0, NULL, &r);
  command (f, "AT", 0, NULL, &next);
  feed (f, "\r\nERROR\r\n");
  iterate (f);
  g_assert_error (r.error, AT_ERROR, AT_ERROR_MODEM);
  /* The payload is never written; the next command is. */
  assert_written (f, "AT+QCOAPSEND=4,1,2,0,5\rAT\r");
  feed (f, "\r\nOK\r\n");
  iterate (f);
  g_assert_no_error (next.error);
  result_clear (&r);
  result_clear (&next);
}

/* An OK where the module can only say "> " or an error is not the module's
 * (a server's text read as lines): the command still waits for its prompt,
 * and the next command is not written into the module's payload. */
static void
test_ok_before_prompt_dropped (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) payload = g_bytes_new_static ("hello", 5);
  Result r = { 0 }, next = { 0 };
  GLogLevelFlags fatal;

  payload_command (f, "AT+QCOAPSEND=0,1,2,0,5", AT_PAYLOAD_AFTER_PROMPT, payload, 0, NULL, &r);
  command (f, "AT", 0, NULL, &next);
  /* The engine warns about it (structured logging: not seen by
   * g_test_expect_message()). */
  fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  feed (f, "\r\nOK\r\n");
  g_log_set_always_fatal (fatal);
  iterate (f);
  g_assert_false (r.done);
  assert_written (f, "AT+QCOAPSEND=0,1,2,0,5\r");
  feed (f, "> ");
  assert_written (f, "hello");
  feed (f, "\r\nOK\r\n");
  iterate (f);
  g_assert_true (r.done);
  g_assert_no_error (r.error);
  assert_written (f, "AT\r");
  feed (f, "\r\nOK\r\n");
  iterate (f);
  g_assert_no_error (next.error);
  result_clear (&r);
  result_clear (&next);
}

static void
test_connect_payload (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) payload = g_bytes_new_static (binary_payload, sizeof binary_payload);
  Result r = { 0 };

  payload_command (f, "AT+QFUPL=\"UFS:0_server.psk\",10", AT_PAYLOAD_AFTER_CONNECT, payload, 0,
                   NULL, &r);
  assert_written (f, "AT+QFUPL=\"UFS:0_server.psk\",10\r");
  feed (f, "\r\n+QIURC: \"pdpdeact\",1\r\n\r\nCONNECT");
  assert_written (f, "");
  feed (f, "\r\n");
  g_assert_cmpmem (f->written->data, f->written->len, binary_payload, sizeof binary_payload);
  g_byte_array_set_size (f->written, 0);
  feed (f, "\r\n+QFUPL: 10,1234\r\n\r\nOK\r\n");
  iterate (f);
  assert_lines (r.response, (const char *const[]){ "+QFUPL: 10,1234", NULL });
  assert_urcs (f, (const char *const[]){ "L:+QIURC: \"pdpdeact\",1", NULL });
  result_clear (&r);
}

/* ---- timeouts and resynchronisation ------------------------------------------- */

static void
test_timeout_absorbs_late_reply (Fixture *f, gconstpointer data)
{
  Result slow = { 0 }, next = { 0 };

  command (f, "AT+QCOAPCFG=\"trans\",0", 50, NULL, &slow);
  command (f, "AT+QCOAPCFG=\"pdpcid\",0", 0, NULL, &next);
  assert_written (f, "AT+QCOAPCFG=\"trans\",0\r");

  run_until (f, &slow.done, 2000);
  g_assert_error (slow.error, AT_ERROR, AT_ERROR_TIMEOUT);
  g_assert_false (at_engine_is_synchronized (f->engine));
  /* Not the next command: a probe whose answer can be told apart. */
  assert_written (f, "ATI\r");

  /* The late reply of the timed-out command looks like an answer to the
   * next one; it must be absorbed. */
  feed (f, "\r\n+QCOAPCFG: \"trans\",2,5\r\n\r\nOK\r\n");
  iterate (f);
  assert_written (f, "");
  g_assert_false (next.done);

  feed (f,
        "\r\nQuectel\r\nBG96\r\n\r\n+QCOAPACK: 0,0,7,0\r\nRevision: BG96MAR02A07M1G\r\n\r\nOK\r\n");
  iterate (f);
  g_assert_true (at_engine_is_synchronized (f->engine));
  assert_urcs (f, (const char *const[]){ "L:+QCOAPACK: 0,0,7,0", NULL });
  assert_written (f, "AT+QCOAPCFG=\"pdpcid\",0\r");

  feed (f, "\r\n+QCOAPCFG: \"pdpcid\",1\r\n\r\nOK\r\n");
  iterate (f);
  g_assert_true (next.done);
  assert_lines (next.response, (const char *const[]){ "+QCOAPCFG: \"pdpcid\",1", NULL });
  g_assert_cmpuint (f->failure_calls, ==, 0);
  result_clear (&slow);
  result_clear (&next);
}

/* A +QCOAPRECV whose payload is not followed by the module's line end was
 * cut where an option held one: what follows may be the server's text, so
 * no line reaches a handler until a probe is answered. */
static void
test_misframed_recv_distrusts (Fixture *f, gconstpointer data)
{
  GLogLevelFlags fatal;
  Result next = { 0 };

  fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  feed (f, "\r\n+QCOAPRECV: 0,1,2.05,0,,1,8,\"a\",3\r\nRDYb\",4\r\nRDY\r\n+QCOAPACK: 1,0,7,-1\r\n");
  g_log_set_always_fatal (fatal);
  assert_urcs (f, (const char *const[]){ "U:+QCOAPRECV: 0,1,2.05,0,,1,8,\"a\",3", NULL });
  command (f, "AT+QCOAPOPEN?", 0, NULL, &next);
  /* The probe goes first. */
  assert_written (f, "ATI\r");
  feed (f, "\r\nRDY\r\n\r\nQuectel\r\nBG96\r\nRevision: BG96MAR02A07M1G\r\n\r\nOK\r\n");
  iterate (f);
  assert_urcs (f, (const char *const[]){ NULL });
  assert_written (f, "AT+QCOAPOPEN?\r");
  feed (f, "\r\nOK\r\n\r\nRDY\r\n");
  iterate (f);
  g_assert_no_error (next.error);
  assert_urcs (f, (const char *const[]){ "L:RDY", NULL });
  result_clear (&next);
}

/* On a port just opened, a previous owner's answer may still be coming:
 * the first command waits for a probe, and the stale OK answers nothing. */
static void
test_resynchronize_before_first_command (Fixture *f, gconstpointer data)
{
  Result first = { 0 };

  at_engine_resynchronize (f->engine);
  command (f, "ATE0", 0, NULL, &first);
  assert_written (f, "ATI\r");
  feed (f, "\r\nOK\r\n");
  iterate (f);
  g_assert_false (first.done);
  assert_written (f, "");
  feed (f, "\r\nQuectel\r\nBG96\r\nRevision: BG96MAR02A07M1G\r\n\r\nOK\r\n");
  iterate (f);
  assert_written (f, "ATE0\r");
  feed (f, "\r\nOK\r\n");
  iterate (f);
  g_assert_true (first.done);
  g_assert_no_error (first.error);
  result_clear (&first);
}

/* A probe's OK before its marker line is somebody else's OK; and the probe
 * never is the command that timed out. */
static void
test_probe_differs_from_timed_out_command (Fixture *f, gconstpointer data)
{
  Result slow = { 0 }, next = { 0 };

  command (f, "ATI", 30, NULL, &slow);
  command (f, "AT", 0, NULL, &next);
  run_until (f, &slow.done, 2000);
  g_assert_error (slow.error, AT_ERROR, AT_ERROR_TIMEOUT);
  assert_written (f, "ATI\rAT+GSN\r");

  /* The late ATI answer has a Revision line but is no IMEI. */
  feed (f, "\r\nQuectel\r\nBG96\r\nRevision: BG96MAR02A07M1G\r\n\r\nOK\r\n");
  iterate (f);
  g_assert_false (at_engine_is_synchronized (f->engine));
  feed (f, "\r\n866425030123456\r\n\r\nOK\r\n");
  iterate (f);
  g_assert_true (at_engine_is_synchronized (f->engine));
  assert_written (f, "AT\r");
  feed (f, "\r\nOK\r\n");
  iterate (f);
  g_assert_no_error (next.error);
  result_clear (&slow);
  result_clear (&next);
}

/* A prompt that arrives after its command timed out is cancelled with Esc,
 * before the probe, so that the probe is not read as payload. */
static void
test_timeout_waiting_for_prompt (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) payload = g_bytes_new_static ("hello", 5);
  Result r = { 0 };

  payload_command (f, "AT+QCOAPSEND=0,1,2,0,5", AT_PAYLOAD_AFTER_PROMPT, payload, 30, NULL, &r);
  run_until (f, &r.done, 2000);
  g_assert_error (r.error, AT_ERROR, AT_ERROR_TIMEOUT);
  assert_written (f, "AT+QCOAPSEND=0,1,2,0,5\r\x1b"
                     "ATI\r");

  feed (f, "\r\n> ");
  assert_written (f, "\x1b");
  result_clear (&r);
}

static const char *
answer_to_probe (const char *probe)
{
  if (g_str_equal (probe, "ATI"))
    return "\r\nQuectel\r\nBG96\r\nRevision: BG96MAR02A07M1G\r\n\r\nOK\r\n";
  if (g_str_equal (probe, "AT+GSN"))
    return "\r\n866425030123456\r\n\r\nOK\r\n";
  if (g_str_equal (probe, "AT+QCOAPCFG=?"))
    return "\r\n+QCOAPCFG: \"pdpcid\",(0-5),(1-16)\r\n+QCOAPCFG: \"dtls\",(0-5),(0,1),(0-5)\r\n"
           "+QCOAPCFG: \"trans\",(0-5),(2-60),(4-8)\r\n\r\nOK\r\n";
  g_assert_not_reached ();
}

/* A module left reading a fixed-length payload eats the first probe: after
 * it went unanswered, carriage returns complete the payload (or are empty
 * lines), and the next probe is answered. */
static void
test_probe_filler (Fixture *f, gconstpointer data)
{
  g_autofree char *written = NULL;
  GLogLevelFlags fatal;
  Result first = { 0 };

  at_engine_set_probe_timeout (f->engine, 20);
  at_engine_set_probe_filler (f->engine, 8);
  at_engine_resynchronize (f->engine);
  command (f, "ATE0", 0, NULL, &first);
  fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  while (f->written->len <= strlen ("ATI\r"))
    g_main_context_iteration (f->context, TRUE);
  g_log_set_always_fatal (fatal);
  written = take_written (f);
  g_assert_cmpstr (written, ==, "ATI\r\r\r\r\r\r\r\r\r");
  /* Only once: the next probe goes out alone. */
  while (f->written->len == 0)
    g_main_context_iteration (f->context, TRUE);
  g_free (written);
  written = take_written (f);
  g_assert_true (strchr (written, '\r') == written + strlen (written) - 1);
  written[strlen (written) - 1] = '\0';
  feed (f, answer_to_probe (written));
  iterate (f);
  assert_written (f, "ATE0\r");
  feed (f, "\r\nOK\r\n");
  iterate (f);
  g_assert_no_error (first.error);
  result_clear (&first);
}

static void
test_resync_failure_and_recovery (Fixture *f, gconstpointer data)
{
  Result slow = { 0 }, queued = { 0 }, refused = { 0 }, later = { 0 };
  g_autofree char *all_written = NULL;
  g_auto (GStrv) writes = NULL;
  gint64 started;
  gint64 elapsed_ms;

  at_engine_set_probe_timeout (f->engine, 20);
  command (f, "AT+QCOAPOPEN=0,\"127.0.0.1\",5683", 20, NULL, &slow);
  command (f, "AT", 0, NULL, &queued);
  started = g_get_monotonic_time ();
  run_until (f, &queued.done, 5000);
  elapsed_ms = (g_get_monotonic_time () - started) / 1000;

  /* Four probes failed: the queued command fails, the owner is told once. */
  g_assert_error (slow.error, AT_ERROR, AT_ERROR_TIMEOUT);
  g_assert_error (queued.error, AT_ERROR, AT_ERROR_PORT_LOST);
  g_assert_cmpuint (f->failure_calls, ==, 1);
  g_assert_cmpuint (f->failed_probes, ==, AT_ENGINE_RESYNC_ATTEMPTS);
  /* Back-off 125 + 250 + 500 ms between the four probes. */
  g_assert_cmpint (elapsed_ms, >=, 125 + 250 + 500);

  all_written = take_written (f);
  writes = g_strsplit (all_written, "\r", -1);
  g_assert_cmpuint (g_strv_length (writes), ==, 1 + AT_ENGINE_RESYNC_ATTEMPTS + 1);
  g_assert_cmpstr (writes[0], ==, "AT+QCOAPOPEN=0,\"127.0.0.1\",5683");
  for (guint i = 2; i <= AT_ENGINE_RESYNC_ATTEMPTS; i++)
    g_assert_cmpstr (writes[i], !=, writes[i - 1]);

  /* While the modem counts as unresponsive, new commands fail at once. */
  command (f, "AT+GSN", 0, NULL, &refused);
  run_until (f, &refused.done, 100);
  g_assert_error (refused.error, AT_ERROR, AT_ERROR_PORT_LOST);

  /* Probing goes on at most a second apart; an answer ends it. */
  while (f->written->len == 0)
    g_main_context_iteration (f->context, TRUE);
  {
    g_autofree char *probe = take_written (f);

    probe[strlen (probe) - 1] = '\0';
    feed (f, answer_to_probe (probe));
  }
  g_assert_true (at_engine_is_synchronized (f->engine));
  command (f, "AT", 0, NULL, &later);
  assert_written (f, "AT\r");
  feed (f, "\r\nOK\r\n");
  run_until (f, &later.done, 100);
  g_assert_no_error (later.error);

  result_clear (&slow);
  result_clear (&queued);
  result_clear (&refused);
  result_clear (&later);
}

/* ---- cancellation, reset, write failures ---------------------------------------- */

/* Probes that go unanswered while the module floods the line with URCs do
 * not make it unresponsive: it is alive, only busy. */
static void
test_busy_module_not_unresponsive (Fixture *f, gconstpointer data)
{
  Result slow = { 0 }, queued = { 0 };
  gint64 end;

  at_engine_set_probe_timeout (f->engine, 20);
  command (f, "AT+QCOAPOPEN=0,\"127.0.0.1\",5683", 20, NULL, &slow);
  command (f, "AT", 0, NULL, &queued);
  end = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  /* Well past four probes' worth of back-off (125 + 250 + 500 ms). */
  while (g_get_monotonic_time () < end)
    {
      feed (f, "\r\n+QCOAPIND: 0,0,5,1,0\r\n");
      g_main_context_iteration (f->context, FALSE);
      g_usleep (2000);
    }
  g_assert_cmpuint (f->failure_calls, ==, 0);
  g_assert_false (queued.done);
  g_ptr_array_set_size (f->urcs, 0);
  /* The next probe's answer ends it, and the queued command goes. */
  g_free (take_written (f));
  while (f->written->len == 0)
    g_main_context_iteration (f->context, TRUE);
  {
    g_autofree char *probe = take_written (f);

    probe[strlen (probe) - 1] = '\0';
    feed (f, answer_to_probe (probe));
  }
  g_assert_true (at_engine_is_synchronized (f->engine));
  feed (f, "\r\nOK\r\n");
  run_until (f, &queued.done, 1000);
  g_assert_no_error (queued.error);
  result_clear (&slow);
  result_clear (&queued);
}

static void
test_cancel_queued (Fixture *f, gconstpointer data)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Result a = { 0 }, b = { 0 }, c = { 0 };

  command (f, "AT", 0, NULL, &a);
  command (f, "AT+CGMR", 0, cancellable, &b);
  command (f, "AT+GSN", 0, NULL, &c);
  g_cancellable_cancel (cancellable);
  run_until (f, &b.done, 100);
  g_assert_error (b.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (a.done);

  feed (f, "\r\nOK\r\n");
  iterate (f);
  g_assert_no_error (a.error);
  /* The cancelled command was never written. */
  assert_written (f, "AT\rAT+GSN\r");
  feed (f, "\r\n866425030123456\r\n\r\nOK\r\n");
  iterate (f);
  assert_lines (c.response, (const char *const[]){ "866425030123456", NULL });
  result_clear (&a);
  result_clear (&b);
  result_clear (&c);
}

static void
test_cancel_in_flight (Fixture *f, gconstpointer data)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Result a = { 0 }, b = { 0 };

  command (f, "AT+CGMR", 0, cancellable, &a);
  command (f, "AT+GSN", 0, NULL, &b);
  g_cancellable_cancel (cancellable);
  iterate (f);
  /* Written already: it waits for its reply, so the reply is absorbed. */
  g_assert_false (a.done);
  assert_written (f, "AT+CGMR\r");

  feed (f, "\r\nBG96MAR02A07M1G\r\n\r\nOK\r\n");
  iterate (f);
  g_assert_error (a.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_written (f, "AT+GSN\r");
  feed (f, "\r\n866425030123456\r\n\r\nOK\r\n");
  iterate (f);
  assert_lines (b.response, (const char *const[]){ "866425030123456", NULL });
  result_clear (&a);
  result_clear (&b);
}

static void
test_cancel_before_prompt (Fixture *f, gconstpointer data)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GBytes) payload = g_bytes_new_static ("hello", 5);
  Result r = { 0 };

  payload_command (f, "AT+QCOAPSEND=0,1,2,0,5", AT_PAYLOAD_AFTER_PROMPT, payload, 0, cancellable,
                   &r);
  assert_written (f, "AT+QCOAPSEND=0,1,2,0,5\r");
  g_cancellable_cancel (cancellable);
  iterate (f);
  feed (f, "\r\n> ");
  /* Esc instead of the payload: the module then sends nothing. */
  assert_written (f, "\x1b");
  g_assert_false (r.done);
  feed (f, "\r\nOK\r\n");
  iterate (f);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  result_clear (&r);
}

static void
test_reset_fails_everything (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) reason
      = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED, "The modem restarted");
  Result results[3] = { 0 };
  Result after = { 0 };

  command (f, "AT+QCOAPCLOSE=0", 0, NULL, &results[0]);
  command (f, "AT+QCOAPCLOSE=1", 0, NULL, &results[1]);
  command (f, "AT+QCOAPCLOSE=2", 0, NULL, &results[2]);
  feed (f, "\r\nOK\r\n\r\n+QCOAPCL"); /* a partial line is forgotten too */
  iterate (f);
  g_assert_no_error (results[0].error);
  result_clear (&results[0]);
  command (f, "AT+QCOAPCLOSE=0", 0, NULL, &results[0]);

  at_engine_reset (f->engine, reason);
  iterate (f);
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_assert_true (results[i].done);
      g_assert_error (results[i].error, G_IO_ERROR, G_IO_ERROR_CLOSED);
      g_assert_cmpstr (results[i].error->message, ==, "The modem restarted");
      result_clear (&results[i]);
    }
  g_byte_array_set_size (f->written, 0);

  command (f, "AT", 0, NULL, &after);
  assert_written (f, "AT\r");
  feed (f, "OSE: 0,0\r\n\r\nOK\r\n");
  iterate (f);
  g_assert_no_error (after.error);
  /* The half line from before the reset was not joined to the new one. */
  assert_lines (after.response, (const char *const[]){ "OSE: 0,0", NULL });
  assert_urcs (f, no_lines);
  result_clear (&after);
}

static void
test_write_failure (Fixture *f, gconstpointer data)
{
  Result a = { 0 }, b = { 0 };

  f->write_fails = TRUE;
  command (f, "AT", 0, NULL, &a);
  iterate (f);
  g_assert_error (a.error, AT_ERROR, AT_ERROR_PORT_LOST);

  f->write_fails = FALSE;
  command (f, "AT", 0, NULL, &b);
  assert_written (f, "AT\r");
  feed (f, "\r\nOK\r\n");
  iterate (f);
  g_assert_no_error (b.error);
  result_clear (&a);
  result_clear (&b);
}

static void
test_free_fails_pending (Fixture *f, gconstpointer data)
{
  Result a = { 0 }, b = { 0 };

  command (f, "AT", 0, NULL, &a);
  command (f, "AT", 0, NULL, &b);
  g_clear_pointer (&f->engine, at_engine_free);
  iterate (f);
  g_assert_error (a.error, AT_ERROR, AT_ERROR_PORT_LOST);
  g_assert_error (b.error, AT_ERROR, AT_ERROR_PORT_LOST);
  result_clear (&a);
  result_clear (&b);
}

#define ADD(path, func)                                                                            \
  g_test_add ("/at-engine/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/at-engine/finals", test_finals);
  g_test_add_func ("/at-engine/backoff", test_backoff);
  ADD ("queue-order", test_queue_order);
  ADD ("echo-and-intermediate-lines", test_echo_and_intermediate_lines);
  ADD ("cme-errors", test_cme_errors);
  ADD ("urc-inside-response", test_urc_inside_response);
  ADD ("unreadable-recv-inside-response", test_unreadable_recv_inside_response);
  ADD ("read-answer-named-like-urc", test_read_answer_named_like_urc);
  ADD ("undeclared-line-dropped", test_undeclared_line_dropped);
  ADD ("busy-module-not-unresponsive", test_busy_module_not_unresponsive);
  ADD ("handler-removed", test_handler_removed);
  ADD ("error-carries-final", test_error_carries_final);
  ADD ("idle-lines-dropped", test_idle_lines_dropped);
  ADD ("prompt-payload", test_prompt_payload);
  ADD ("prompt-replaced-by-error", test_prompt_replaced_by_error);
  ADD ("ok-before-prompt-dropped", test_ok_before_prompt_dropped);
  ADD ("misframed-recv-distrusts", test_misframed_recv_distrusts);
  ADD ("probe-filler", test_probe_filler);
  ADD ("connect-payload", test_connect_payload);
  ADD ("timeout-absorbs-late-reply", test_timeout_absorbs_late_reply);
  ADD ("resynchronize-before-first-command", test_resynchronize_before_first_command);
  ADD ("probe-differs-from-timed-out-command", test_probe_differs_from_timed_out_command);
  ADD ("timeout-waiting-for-prompt", test_timeout_waiting_for_prompt);
  ADD ("resync-failure-and-recovery", test_resync_failure_and_recovery);
  ADD ("cancel-queued", test_cancel_queued);
  ADD ("cancel-in-flight", test_cancel_in_flight);
  ADD ("cancel-before-prompt", test_cancel_before_prompt);
  ADD ("reset-fails-everything", test_reset_fails_everything);
  ADD ("write-failure", test_write_failure);
  ADD ("free-fails-pending", test_free_fails_pending);

  return g_test_run ();
}
