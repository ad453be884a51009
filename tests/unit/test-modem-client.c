/* SPDX-License-Identifier: MIT */
/* Unit tests of daemon/modem-client.c against a fake client pool: what it
 * sends, how it matches responses, the exactly-one-final-Ack rule, and the
 * reopen of a persistent client with back-off. No modem, no bus. */
#include "modem-client.h"

#include <string.h>

#include "fake-client-pool.h"
#include "qcoap-error.h"

#define CLIENT_ID 2

typedef struct
{
  guint16 message_id;
  int result;
} AckEvent;

typedef struct
{
  ClientPool *pool;
  ModemClient *client;
  GArray *acks; /* AckEvent */
  guint received;
  guint retransmissions;
  guint state_changes;
  guint ended;
  char *ended_reason;
  /* the last async result, and those handed to the test */
  GAsyncResult *result;
  GPtrArray *taken;
} Fixture;

static void
on_received (ModemClient *client, const ModemClientMessage *message, gpointer user_data)
{
  ((Fixture *)user_data)->received++;
}

static void
on_ack (ModemClient *client, guint8 type, guint16 message_id, int result, gpointer user_data)
{
  AckEvent event = { message_id, result };

  g_array_append_val (((Fixture *)user_data)->acks, event);
}

static void
on_retransmission (ModemClient *client, guint8 type, guint16 message_id, guint attempt, int result,
                   gpointer user_data)
{
  ((Fixture *)user_data)->retransmissions++;
}

static void
on_state_changed (ModemClient *client, gpointer user_data)
{
  ((Fixture *)user_data)->state_changes++;
}

static void
on_ended (ModemClient *client, const char *reason, gpointer user_data)
{
  Fixture *f = user_data;

  f->ended++;
  g_free (f->ended_reason);
  f->ended_reason = g_strdup (reason);
}

static const ModemClientListener listener = {
  on_received, on_ack, on_retransmission, on_state_changed, on_ended,
};

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *f = user_data;

  g_clear_object (&f->result);
  f->result = g_object_ref (result);
}

static void
wait_result (Fixture *f)
{
  while (f->result == NULL)
    g_main_context_iteration (NULL, TRUE);
}

/* The result of the last call; the fixture keeps it until the test ends. */
static GAsyncResult *
take_result (Fixture *f)
{
  GAsyncResult *result;

  wait_result (f);
  result = g_steal_pointer (&f->result);
  g_ptr_array_add (f->taken, result);
  return result;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  ModemClientConfig config = {
    .host = "127.0.0.1",
    .port = 5683,
    .pdp_context = 1,
    .ack_timeout = 2,
    .max_retransmit = 4,
    .open_timeout_ms = 60000,
    .persistent = GPOINTER_TO_INT (data),
  };

  f->pool = fake_pool_new ();
  f->acks = g_array_new (FALSE, FALSE, sizeof (AckEvent));
  f->taken = g_ptr_array_new_with_free_func (g_object_unref);
  f->client = modem_client_new (f->pool, CLIENT_ID, &config, &listener, f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  modem_client_end (f->client, "closed");
  g_ptr_array_unref (f->taken);
  g_clear_object (&f->client);
  fake_pool_free (f->pool);
  g_clear_object (&f->result);
  g_array_unref (f->acks);
  g_free (f->ended_reason);
}

/* Hands @event to the client as the pool would: read once, by kind and
 * client ID. */
static void
deliver (Fixture *f, const AtEvent *event)
{
  ClientPoolUrc urc = { .kind = at_coap_urc_classify (event->line), .event = event };

  g_assert_true (at_coap_urc_client_id (event->line, &urc.client_id));
  g_assert_cmpuint (urc.client_id, ==, modem_client_get_id (f->client));
  fake_pool_deliver_urc (f->pool, &urc);
}

static void
urc (Fixture *f, const char *line)
{
  AtEvent event = { .kind = AT_EVENT_LINE, .line = line };

  deliver (f, &event);
}

static void
recv_urc (Fixture *f, const char *line, const char *payload)
{
  AtEvent event = { .kind = AT_EVENT_RECV,
                    .line = line,
                    .payload = (const guint8 *)payload,
                    .payload_length = strlen (payload) };

  deliver (f, &event);
}

static void
assert_commands (Fixture *f, const char *const *expected)
{
  g_autoptr (GPtrArray) commands = fake_pool_peek_commands (f->pool);

  g_assert_cmpuint (commands->len, ==, g_strv_length ((char **)expected));
  for (guint i = 0; i < commands->len; i++)
    g_assert_cmpstr (g_ptr_array_index (commands, i), ==, expected[i]);
}

static void
open_client (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  modem_client_open (f->client, on_done, f);
  assert_commands (f, (const char *const[]){ "AT+QCOAPCFG=\"trans\",2,2,4",
                                             "AT+QCOAPCFG=\"pdpcid\",2,1",
                                             "AT+QCOAPOPEN=2,\"127.0.0.1\",5683", NULL });
  fake_pool_answer (f->pool, NULL);
  g_assert_cmpint (modem_client_get_state (f->client), ==, MODEM_CLIENT_OPENING);
  urc (f, "+QCOAPOPEN: 2,0");
  g_assert_true (modem_client_open_finish (f->client, take_result (f), &error));
  g_assert_no_error (error);
  g_assert_cmpint (modem_client_get_state (f->client), ==, MODEM_CLIENT_OPEN);
}

/* The message ID and token of the transaction about to be answered, from its
 * AT+QCOAPHEADER=<id>,<mid>,0,<tkl>,"<hex>". */
static void
header_of (Fixture *f, guint *message_id, char **token_hex)
{
  g_autoptr (GPtrArray) commands = fake_pool_peek_commands (f->pool);
  const char *header = g_ptr_array_index (commands, 0);
  g_auto (GStrv) fields = NULL;

  g_assert_true (g_str_has_prefix (header, "AT+QCOAPHEADER=2,"));
  fields = g_strsplit (header + strlen ("AT+QCOAPHEADER="), ",", -1);
  g_assert_cmpuint (g_strv_length (fields), ==, 5);
  *message_id = (guint)g_ascii_strtoull (fields[1], NULL, 10);
  *token_hex = g_strndup (fields[4] + 1, strlen (fields[4]) - 2);
}

static void
test_open (Fixture *f, gconstpointer data)
{
  open_client (f);
  g_assert_cmpuint (f->state_changes, ==, 1);
  g_assert_cmpuint (fake_pool_releases (f->pool, CLIENT_ID), ==, 0);
}

static void
test_open_fails (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  modem_client_open (f->client, on_done, f);
  fake_pool_answer (f->pool, NULL);
  urc (f, "+QCOAPOPEN: 2,-4");
  g_assert_false (modem_client_open_finish (f->client, take_result (f), &error));
  g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_NETWORK_FAILURE);
  /* The ID is free, and a client that never opened does not announce an end. */
  g_assert_cmpuint (fake_pool_releases (f->pool, CLIENT_ID), ==, 1);
  g_assert_cmpint (modem_client_get_state (f->client), ==, MODEM_CLIENT_ENDED);
  g_assert_cmpuint (f->ended, ==, 0);
}

static void
test_request_matched_by_token (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) payload = g_bytes_new_static ("", 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (ModemClientMessage) response = NULL;
  g_autofree char *token = NULL;
  g_autofree char *other = NULL;
  g_autofree char *line = NULL;
  guint message_id;

  open_client (f);
  modem_client_request (f->client, 1, NULL, payload, TRUE, 0, on_done, f);
  header_of (f, &message_id, &token);
  g_assert_cmpuint (strlen (token), ==, 16);
  fake_pool_answer (f->pool, NULL);
  /* A response with another token completes nothing. */
  other = g_strdup_printf ("+QCOAPRECV: 2,%u,2.05,8,0000000000000000,0,5", message_id);
  recv_urc (f, other, "wrong");
  g_assert_null (f->result);
  line = g_strdup_printf ("+QCOAPRECV: 2,%u,2.05,8,%s,1,14,\"60\",5", message_id, token);
  recv_urc (f, line, "hello");
  response = modem_client_request_finish (f->client, take_result (f), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (response->code, ==, 69);
  g_assert_cmpuint (response->options->len, ==, 1);
  g_assert_cmpmem (g_bytes_get_data (response->payload, NULL), 5, "hello", 5);
  g_assert_cmpuint (f->received, ==, 2);
}

static void
test_request_reset (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) payload = g_bytes_new_static ("", 0);
  g_autoptr (GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *rst = NULL;
  g_autofree char *ind = NULL;
  guint message_id;

  open_client (f);
  modem_client_request (f->client, 1, NULL, payload, TRUE, 0, on_done, f);
  header_of (f, &message_id, &token);
  fake_pool_answer (f->pool, NULL);
  ind = g_strdup_printf ("+QCOAPIND: 2,0,%u,1,0", message_id);
  urc (f, ind);
  rst = g_strdup_printf ("+QCOAPACK: 2,3,%u,0", message_id);
  urc (f, rst);
  g_assert_null (modem_client_request_finish (f->client, take_result (f), &error));
  g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_RESET);
  g_assert_cmpuint (f->retransmissions, ==, 1);
  g_assert_cmpuint (f->acks->len, ==, 1);
}

/* Queues a CON and returns its message ID, as its header gives it. */
static guint16
send_con (Fixture *f)
{
  g_autoptr (GBytes) payload = g_bytes_new_static ("x", 1);
  g_autofree char *token = NULL;
  guint message_id;

  modem_client_send (f->client, QCOAP_TYPE_CON, 2, -1, NULL, NULL, payload, on_done, f);
  header_of (f, &message_id, &token);
  g_assert_cmpuint (strlen (token), ==, 8);
  return (guint16)message_id;
}

/* Completes the send; the message ID it reports is the one of its header. */
static gboolean
finish_send (Fixture *f, const guint16 *expected_id, GError **error)
{
  g_autoptr (GBytes) token = NULL;
  guint16 message_id = 0;
  gboolean ok = modem_client_send_finish (f->client, take_result (f), &message_id, &token, error);

  if (ok)
    g_assert_cmpuint (message_id, ==, *expected_id);
  return ok;
}

/* Every message the modem took gets exactly one final Ack: from the modem,
 * or MODEM_CLIENT_RESULT_ENDED when the client ends first. A message whose
 * AT+QCOAPSEND timed out counts as taken; one the modem refused does not. */
static void
test_one_final_ack (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) refused = g_error_new_literal (AT_ERROR, AT_ERROR_MODEM, "ERROR");
  g_autoptr (GError) timed_out = g_error_new_literal (AT_ERROR, AT_ERROR_TIMEOUT, "timeout");
  g_autoptr (GError) error = NULL;
  g_autofree char *ack = NULL;
  guint16 acked, lost, refused_id, uncertain;

  open_client (f);
  acked = send_con (f);
  fake_pool_answer (f->pool, NULL);
  g_assert_true (finish_send (f, &acked, &error));
  lost = send_con (f);
  fake_pool_answer (f->pool, NULL);
  g_assert_true (finish_send (f, &lost, &error));
  refused_id = send_con (f);
  fake_pool_answer (f->pool, refused);
  g_assert_false (finish_send (f, &refused_id, &error));
  g_clear_error (&error);
  uncertain = send_con (f);
  fake_pool_answer (f->pool, timed_out);
  g_assert_false (finish_send (f, &uncertain, &error));
  g_assert_error (error, AT_ERROR, AT_ERROR_TIMEOUT);

  ack = g_strdup_printf ("+QCOAPACK: 2,0,%u,0", acked);
  urc (f, ack);
  urc (f, ack); /* a repeated URC is passed on, but frees nothing twice */
  modem_client_end (f->client, "modem-lost");
  g_assert_cmpuint (f->ended, ==, 1);
  g_assert_cmpstr (f->ended_reason, ==, "modem-lost");
  /* acked (twice, as the modem said), then lost and uncertain with -3, and
   * nothing for the message the modem refused */
  g_assert_cmpuint (f->acks->len, ==, 4);
  g_assert_cmpuint (g_array_index (f->acks, AckEvent, 1).message_id, ==, acked);
  for (guint i = 2; i < 4; i++)
    {
      AckEvent *event = &g_array_index (f->acks, AckEvent, i);

      g_assert_cmpint (event->result, ==, MODEM_CLIENT_RESULT_ENDED);
      g_assert_true (event->message_id == lost || event->message_id == uncertain);
    }
  g_assert_cmpuint (g_array_index (f->acks, AckEvent, 2).message_id, !=,
                    g_array_index (f->acks, AckEvent, 3).message_id);
  g_assert_cmpuint (lost, !=, refused_id);
  g_assert_cmpuint (fake_pool_releases (f->pool, CLIENT_ID), ==, 1);
}

/* A persistent client waits through a modem reset and opens again, retrying
 * with a pause while the modem answers -4. */
static void
test_reopen_with_backoff (Fixture *f, gconstpointer data)
{
  open_client (f);
  modem_client_suspend (f->client, "modem-reset");
  g_assert_cmpint (modem_client_get_state (f->client), ==, MODEM_CLIENT_OPENING);
  g_assert_cmpuint (f->ended, ==, 0);
  modem_client_reopen (f->client);
  fake_pool_answer (f->pool, NULL);
  urc (f, "+QCOAPOPEN: 2,-4");
  g_assert_cmpint (modem_client_get_state (f->client), ==, MODEM_CLIENT_OPENING);
  /* Not at once: the next attempt comes by itself after a pause. */
  g_assert_cmpuint (fake_pool_pending (f->pool), ==, 0);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (fake_pool_pending (f->pool), ==, 0);
  while (fake_pool_pending (f->pool) == 0)
    g_main_context_iteration (NULL, TRUE);
  fake_pool_answer (f->pool, NULL);
  urc (f, "+QCOAPOPEN: 2,0");
  g_assert_cmpint (modem_client_get_state (f->client), ==, MODEM_CLIENT_OPEN);
  g_assert_cmpuint (f->ended, ==, 0);
}

/* A client that is not persistent ends when the modem goes away. */
static void
test_suspend_ends_plain_client (Fixture *f, gconstpointer data)
{
  open_client (f);
  modem_client_suspend (f->client, "modem-reset");
  g_assert_cmpint (modem_client_get_state (f->client), ==, MODEM_CLIENT_ENDED);
  g_assert_cmpuint (f->ended, ==, 1);
  g_assert_cmpstr (f->ended_reason, ==, "modem-reset");
}

static void
test_close (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  open_client (f);
  modem_client_close (f->client, "idle", on_done, f);
  assert_commands (f, (const char *const[]){ "AT+QCOAPCLOSE=2", NULL });
  fake_pool_answer (f->pool, NULL);
  g_assert_cmpint (modem_client_get_state (f->client), ==, MODEM_CLIENT_CLOSING);
  urc (f, "+QCOAPCLOSE: 2,0");
  g_assert_true (modem_client_close_finish (f->client, take_result (f), &error));
  g_assert_cmpuint (f->ended, ==, 1);
  g_assert_cmpstr (f->ended_reason, ==, "idle");
  g_assert_cmpuint (fake_pool_releases (f->pool, CLIENT_ID), ==, 1);
}

/* The commands of the oldest transaction not answered yet, once the
 * answers given so far have reached the client (a GTask completes in an
 * idle of the main context). */
static GPtrArray *
pending_commands (Fixture *f)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (fake_pool_pending (f->pool), >, 0);
  return fake_pool_peek_commands (f->pool);
}

/* Answers the oldest transaction once it is there (see pending_commands()). */
static void
answer_pending (Fixture *f, const GError *error)
{
  g_ptr_array_unref (pending_commands (f));
  fake_pool_answer (f->pool, error);
}

/* Answers the request of @message_id and @token with 2.05 and takes its
 * result. */
static void
respond (Fixture *f, guint message_id, const char *token)
{
  g_autofree char *line = g_strdup_printf ("+QCOAPRECV: 2,%u,2.05,8,%s,0,2", message_id, token);
  g_autoptr (ModemClientMessage) response = NULL;
  g_autoptr (GError) error = NULL;

  recv_urc (f, line, "ok");
  response = modem_client_request_finish (f->client, take_result (f), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (response->code, ==, 69);
}

/* While a request waits for its response, the next header goes to the
 * modem; the next request takes it and is one AT+QCOAPSEND. */
static void
test_header_ahead (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) payload = g_bytes_new_static ("", 0);
  g_autoptr (GPtrArray) ahead = NULL;
  g_autoptr (GPtrArray) second = NULL;
  g_autofree char *token = NULL;
  g_autofree char *next_token = NULL;
  guint message_id, next_id;

  open_client (f);
  modem_client_request (f->client, 1, NULL, payload, TRUE, 0, on_done, f);
  header_of (f, &message_id, &token);
  fake_pool_answer (f->pool, NULL);
  /* The header ahead: a header alone, another message ID and token. */
  ahead = pending_commands (f);
  g_assert_cmpuint (ahead->len, ==, 1);
  header_of (f, &next_id, &next_token);
  g_assert_cmpuint (next_id, !=, message_id);
  g_assert_cmpstr (next_token, !=, token);
  fake_pool_answer (f->pool, NULL);
  respond (f, message_id, token);

  modem_client_request (f->client, 1, NULL, payload, TRUE, 0, on_done, f);
  second = pending_commands (f);
  g_assert_cmpuint (second->len, ==, 1);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (second, 0), "AT+QCOAPSEND=2,"));
  fake_pool_answer (f->pool, NULL);
  /* Its response carries the token written ahead. */
  respond (f, next_id, next_token);
}

/* A header ahead whose write failed, or that a Send overwrote, is not
 * relied on: the next request writes its own. */
static void
test_header_ahead_given_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) payload = g_bytes_new_static ("", 0);
  g_autoptr (GError) refused = g_error_new_literal (AT_ERROR, AT_ERROR_MODEM, "ERROR");
  g_autofree char *token = NULL;
  g_autofree char *second_token = NULL;
  g_autoptr (GPtrArray) commands = NULL;
  g_autoptr (GError) error = NULL;
  guint message_id, second_id;
  guint16 sent;

  open_client (f);
  modem_client_request (f->client, 1, NULL, payload, TRUE, 0, on_done, f);
  header_of (f, &message_id, &token);
  fake_pool_answer (f->pool, NULL);
  answer_pending (f, refused); /* the header ahead */
  respond (f, message_id, token);
  modem_client_request (f->client, 1, NULL, payload, TRUE, 0, on_done, f);
  commands = pending_commands (f);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (commands, 0), "AT+QCOAPHEADER=2,"));
  header_of (f, &second_id, &second_token);
  fake_pool_answer (f->pool, NULL);
  /* A Send while the next header waits ahead writes a header of its own
   * (send_con() reads it), which overwrites that one. */
  answer_pending (f, NULL);
  sent = send_con (f);
  g_assert_cmpuint (sent, !=, second_id);
  fake_pool_answer (f->pool, NULL);
  g_assert_true (finish_send (f, &sent, &error));
  respond (f, second_id, second_token);
}

/* A request that comes while the header ahead still waits in the queue
 * (a busy port): that write is cancelled, never sent, and the request
 * writes its own header. */
static void
test_header_ahead_cancelled (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) payload = g_bytes_new_static ("", 0);
  g_autoptr (GPtrArray) ahead = NULL;
  g_autoptr (GPtrArray) second = NULL;
  g_autofree char *token = NULL;
  g_autofree char *ahead_token = NULL;
  g_autofree char *second_token = NULL;
  guint message_id, ahead_id, second_id;

  open_client (f);
  modem_client_request (f->client, 1, NULL, payload, TRUE, 0, on_done, f);
  header_of (f, &message_id, &token);
  fake_pool_answer (f->pool, NULL);
  ahead = pending_commands (f);
  header_of (f, &ahead_id, &ahead_token);
  respond (f, message_id, token);
  modem_client_request (f->client, 1, NULL, payload, TRUE, 0, on_done, f);
  /* The pool finds the header's transaction cancelled... */
  fake_pool_answer (f->pool, NULL);
  g_assert_cmpuint (fake_pool_pending (f->pool), ==, 1);
  /* ... and the request writes a header of its own. */
  second = pending_commands (f);
  header_of (f, &second_id, &second_token);
  g_assert_cmpuint (second_id, !=, ahead_id);
  fake_pool_answer (f->pool, NULL);
  respond (f, second_id, second_token);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, persistent, func)                                                                \
  g_test_add (path, Fixture, GINT_TO_POINTER (persistent), fixture_set_up, func, fixture_tear_down)
  ADD ("/modem-client/open", FALSE, test_open);
  ADD ("/modem-client/open-fails", FALSE, test_open_fails);
  ADD ("/modem-client/request-matched-by-token", FALSE, test_request_matched_by_token);
  ADD ("/modem-client/request-reset", FALSE, test_request_reset);
  ADD ("/modem-client/one-final-ack", FALSE, test_one_final_ack);
  ADD ("/modem-client/header-ahead", FALSE, test_header_ahead);
  ADD ("/modem-client/header-ahead-given-up", FALSE, test_header_ahead_given_up);
  ADD ("/modem-client/header-ahead-cancelled", FALSE, test_header_ahead_cancelled);
  ADD ("/modem-client/reopen-with-backoff", TRUE, test_reopen_with_backoff);
  ADD ("/modem-client/suspend-ends-plain-client", FALSE, test_suspend_ends_plain_client);
  ADD ("/modem-client/close", FALSE, test_close);
  return g_test_run ();
}
