/* SPDX-License-Identifier: MIT */
/* modem-client.c — see modem-client.h. The messages: sending, requests,
 * the URCs and the one final Ack of each message. The client ID's life
 * (open, reopen, adopt, leave, close, end) is in modem-client-open.c. */
#include "modem-client-private.h"

#include <sys/random.h>

#include "at-fields.h"
#include "heap-trim.h"
#include "log-level.h"
#include "qcoap-cmd.h"
#include "qcoap-error.h"
#include "qcoap-registry.h"

/* Paced at 9600 baud a full 1024-byte payload takes ~1.1 s on the line. */
#define SEND_COMMAND_TIMEOUT_MS 5000
#define REQUEST_TOKEN_LENGTH    8
#define SEND_TOKEN_LENGTH       4
/* RFC 7252 §4.8: MAX_LATENCY, in ms. */
#define COAP_MAX_LATENCY_MS (100 * 1000)
/* Messages remembered per client ID to drop copies: at most this many
 * within an exchange's lifetime (247 s by default). */
#define RECENT_MESSAGES_KEPT 1024
/* A second of trims: GDBus frees the last calls' messages on its thread. */
#define TRIM_ROUNDS_AFTER_CLIENT 4
/* The +QCOAPACK result of a message that got no acknowledgement after all
 * retransmissions. */
#define RESULT_SEND_FAILED (-11)

/* A message in flight: its type, and whether the modem has taken it (or may
 * have: its AT+QCOAPSEND timed out). Stored in a pointer. */
#define SEND_STATE(type, taken) GUINT_TO_POINTER (0x10u | ((taken) ? 0x4u : 0u) | (type))
#define SEND_STATE_TYPE(state)  ((guint8)(GPOINTER_TO_UINT (state) & 0x3u))
#define SEND_STATE_TAKEN(state) ((GPOINTER_TO_UINT (state) & 0x4u) != 0)

G_DEFINE_FINAL_TYPE (ModemClient, modem_client, G_TYPE_OBJECT)

typedef struct
{
  ModemClient *client;
  char *token_hex;
  guint16 message_id;
  GTask *task;
  guint timeout_source;
} PendingRequest;

/* ---- values --------------------------------------------------------------------- */

void
modem_client_config_clear (ModemClientConfig *config)
{
  g_clear_pointer (&config->host, g_free);
  g_clear_pointer (&config->psk_identity, g_free);
  g_clear_pointer (&config->psk_key, g_bytes_unref);
}

static void
config_copy (ModemClientConfig *dest, const ModemClientConfig *src)
{
  *dest = *src;
  dest->host = g_strdup (src->host);
  dest->psk_identity = g_strdup (src->psk_identity);
  dest->psk_key = src->psk_key ? g_bytes_ref (src->psk_key) : NULL;
}

void
modem_client_message_free (ModemClientMessage *message)
{
  if (message == NULL)
    return;
  g_clear_pointer (&message->token, g_bytes_unref);
  g_clear_pointer (&message->options, g_ptr_array_unref);
  g_clear_pointer (&message->payload, g_bytes_unref);
  g_free (message);
}

static ModemClientMessage *
message_from_recv (QcoapRecv *recv, GBytes *payload)
{
  ModemClientMessage *message = g_new0 (ModemClientMessage, 1);

  message->message_id = recv->message_id;
  message->code = recv->code;
  message->token = g_bytes_ref (recv->token);
  message->options = g_ptr_array_ref (recv->options);
  message->payload = g_bytes_ref (payload);
  return message;
}

/* RFC 7252 5.3.1: a token an off-path attacker cannot guess, so from the
 * kernel's random source (GLib's generator is predictable). Its bytes are
 * fetched a block at a time: one getrandom () per message was a system
 * call on every Send's path. */
#define RANDOM_BLOCK 256

static GBytes *
random_token (gsize length)
{
  static guint8 block[RANDOM_BLOCK];
  static gsize used = RANDOM_BLOCK;
  GBytes *token;

  g_assert (length <= QCOAP_MAX_TOKEN);
  if (used + length > sizeof block)
    {
      if (getrandom (block, sizeof block, 0) != (gssize)sizeof block)
        for (gsize i = 0; i < sizeof block; i++)
          block[i] = (guint8)g_random_int_range (0, 256);
      used = 0;
    }
  token = g_bytes_new (block + used, length);
  used += length;
  return token;
}

/* One line per exchange that failed, for whoever reads the journal: which
 * session, which server, which message, what happened. */
static void
log_failed_exchange (ModemClient *self, guint16 message_id, const char *outcome)
{
  g_message ("Session %u (%s:%u): message ID %u failed: %s", self->id, self->config.host,
             self->config.port, message_id, outcome);
}

/* ---- life cycle ----------------------------------------------------------------- */

static void
modem_client_finalize (GObject *object)
{
  ModemClient *self = MODEM_CLIENT (object);

  g_assert (self->open_task == NULL && self->close_task == NULL);
  g_clear_handle_id (&self->reopen_retry_source, g_source_remove);
  g_clear_handle_id (&self->occupied_close_source, g_source_remove);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->requests_by_token, g_hash_table_unref);
  g_clear_pointer (&self->option_mirror, option_mirror_free);
  g_clear_pointer (&self->sends_in_flight, g_hash_table_unref);
  g_clear_pointer (&self->recent_messages, recent_messages_free);
  g_clear_pointer (&self->ahead_token, g_bytes_unref);
  g_clear_object (&self->ahead_cancellable);
  modem_client_config_clear (&self->config);
  /* A client ID's traffic is done: what it and its session's calls kept is
   * free now, in pages malloc would keep (heap-trim.h). */
  heap_trim_later (TRIM_ROUNDS_AFTER_CLIENT);
  g_free (self->close_reason);
  G_OBJECT_CLASS (modem_client_parent_class)->finalize (object);
}

static void
modem_client_class_init (ModemClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = modem_client_finalize;
}

static void pending_request_free (PendingRequest *pending);

static void
modem_client_init (ModemClient *self)
{
  self->cancellable = g_cancellable_new ();
  self->requests_by_token
      = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)pending_request_free);
  self->sends_in_flight = g_hash_table_new (NULL, NULL);
  self->recent_messages = recent_messages_new (RECENT_MESSAGES_KEPT);
  self->state = MODEM_CLIENT_OPENING;
}

/* The object without its client ID's life; modem_client_new() in
 * modem-client-open.c gives it one. */
ModemClient *
modem_client_alloc (ClientPool *pool, guint id, const ModemClientConfig *config,
                    const ModemClientListener *listener, gpointer user_data)
{
  ModemClient *self = g_object_new (MODEM_TYPE_CLIENT, NULL);

  self->pool = pool;
  self->id = id;
  config_copy (&self->config, config);
  self->listener = *listener;
  self->listener_data = user_data;
  self->option_mirror = option_mirror_new (id);
  return self;
}

guint
modem_client_get_id (ModemClient *client)
{
  return client->id;
}

ModemClientState
modem_client_get_state (ModemClient *client)
{
  return client->state;
}

const ModemClientConfig *
modem_client_get_config (ModemClient *client)
{
  return &client->config;
}

void
modem_client_set_state (ModemClient *self, ModemClientState state)
{
  if (self->state == state)
    return;
  self->state = state;
  if (state != MODEM_CLIENT_ENDED && self->listener.state_changed)
    self->listener.state_changed (self, self->listener_data);
}

static void
pending_request_free (PendingRequest *pending)
{
  pending->client->calls_waiting--;
  g_clear_handle_id (&pending->timeout_source, g_source_remove);
  g_clear_object (&pending->task);
  g_free (pending->token_hex);
  g_free (pending);
}

void
modem_client_fail_pending_requests (ModemClient *self, const char *message)
{
  GHashTableIter iter;
  PendingRequest *pending;

  g_hash_table_iter_init (&iter, self->requests_by_token);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&pending))
    {
      g_task_return_new_error (pending->task, QCOAP_ERROR, QCOAP_ERROR_CLOSED, "%s", message);
      g_hash_table_iter_remove (&iter);
    }
}

static void
track_send (ModemClient *self, guint16 message_id, gpointer state)
{
  gpointer key = GUINT_TO_POINTER (message_id);
  gpointer old = g_hash_table_lookup (self->sends_in_flight, key);

  if (old && SEND_STATE_TYPE (old) == QCOAP_TYPE_CON)
    self->con_in_flight--;
  if (state == NULL)
    g_hash_table_remove (self->sends_in_flight, key);
  else
    {
      g_hash_table_insert (self->sends_in_flight, key, state);
      if (SEND_STATE_TYPE (state) == QCOAP_TYPE_CON)
        self->con_in_flight++;
    }
}

/* Every message the modem took gets exactly one final Ack: those whose
 * outcome the modem can no longer report get one with
 * MODEM_CLIENT_RESULT_ENDED. Messages the modem has not taken yet are left
 * to their send, which fails. */
void
modem_client_end_messages_in_flight (ModemClient *self)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->sends_in_flight);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      guint16 message_id = (guint16)GPOINTER_TO_UINT (key);

      if (!SEND_STATE_TAKEN (value))
        continue;
      self->listener.ack (self, SEND_STATE_TYPE (value), message_id, MODEM_CLIENT_RESULT_ENDED,
                          self->listener_data);
      client_pool_message_done (self->pool, self->id, message_id);
      if (SEND_STATE_TYPE (value) == QCOAP_TYPE_CON)
        self->con_in_flight--;
      g_hash_table_iter_remove (&iter);
    }
}

/* ---- sending -------------------------------------------------------------------- */

/* The header and the options the modem does not hold yet (the option mirror
 * plans them and picks the slots), then SEND with the payload: one
 * uninterrupted transaction for the client ID. *plan must be finished when
 * the transaction ends. */
static GPtrArray *
build_message_steps (ModemClient *self, guint8 type, guint8 code, guint16 message_id, GBytes *token,
                     GPtrArray *options, GBytes *payload, OptionMirrorPlan **plan)
{
  GPtrArray *steps = g_ptr_array_new_with_free_func ((GDestroyNotify)at_step_free);
  /* The modem takes lengths 1-1024 only: an empty payload is announced
   * without a length and ended at once with Ctrl+Z. */
  static const guint8 ctrl_z_byte = 0x1A;
  g_autoptr (GBytes) ctrl_z = g_bytes_new_static (&ctrl_z_byte, 1);
  gsize length = g_bytes_get_size (payload);
  GPtrArray *commands;

  *plan = option_mirror_plan (self->option_mirror, message_id, token, options);
  commands = option_mirror_plan_get_commands (*plan);
  for (guint i = 0; i < commands->len; i++)
    g_ptr_array_add (steps, at_step_new (g_strdup (g_ptr_array_index (commands, i)), NULL,
                                         AT_PAYLOAD_NONE, NULL, LOCAL_COMMAND_TIMEOUT_MS));
  g_ptr_array_add (steps,
                   at_step_new (at_coap_cmd_send (self->id, type, code,
                                                  option_mirror_plan_get_bitmask (*plan), length),
                                NULL, AT_PAYLOAD_AFTER_PROMPT, length > 0 ? payload : ctrl_z,
                                SEND_COMMAND_TIMEOUT_MS));
  return steps;
}

typedef struct
{
  guint16 message_id;
  GBytes *token;
  OptionMirrorPlan *plan;
  /* A Send's own call (a Request's is counted by its PendingRequest). */
  gboolean counted;
} SendData;

static void
send_data_free (SendData *data)
{
  g_bytes_unref (data->token);
  option_mirror_plan_free (data->plan);
  g_free (data);
}

static void
on_message_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  ModemClient *self = g_task_get_source_object (task);
  SendData *data = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) responses = client_pool_run_finish (self->pool, result, &error);
  gpointer key = GUINT_TO_POINTER (data->message_id);
  gpointer state = g_hash_table_lookup (self->sends_in_flight, key);
  gboolean taken;

  self->transactions--;
  /* A failure leaves the modem's slots unknown: the mirror forgets them. */
  option_mirror_plan_finish (self->option_mirror, data->plan, responses != NULL);
  if (responses == NULL)
    modem_client_ahead_drop (self);
  /* A timeout leaves it open whether the modem sent the message: it is then
   * treated as taken, and its message ID stays reserved until its
   * +QCOAPACK or the end of the client. Any other failure means not sent. */
  taken = responses != NULL || g_error_matches (error, AT_ERROR, AT_ERROR_TIMEOUT);
  if (data->counted)
    self->calls_waiting--;
  if (state != NULL && taken)
    track_send (self, data->message_id, SEND_STATE (SEND_STATE_TYPE (state), TRUE));
  else if (state != NULL)
    {
      track_send (self, data->message_id, NULL);
      client_pool_message_done (self->pool, self->id, data->message_id);
    }
  if (responses == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        log_failed_exchange (self, data->message_id, error->message);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
  modem_client_ahead_start (self);
}

/* Queues one message whose message ID is already in flight. */
static void
send_message (ModemClient *self, GTask *task, guint8 type, guint8 code, guint16 message_id,
              GBytes *token, GPtrArray *options, GBytes *payload)
{
  SendData *data = g_new0 (SendData, 1);

  data->message_id = message_id;
  data->token = g_bytes_ref (token);
  g_task_set_task_data (task, data, (GDestroyNotify)send_data_free);
  track_send (self, message_id, SEND_STATE (type, FALSE));
  /* Its header overwrites the one written ahead. */
  modem_client_ahead_drop (self);
  self->transactions++;
  client_pool_run (
      self->pool, self->id,
      build_message_steps (self, type, code, message_id, token, options, payload, &data->plan),
      self->cancellable, on_message_sent, task);
}

/* The limits of a client: calls waiting, and confirmable messages in
 * flight. Checked before a message ID is taken. */
static gboolean
admit (ModemClient *self, gboolean confirmable, GError **error)
{
  if (self->config.queue_limit && self->calls_waiting >= self->config.queue_limit)
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_QUEUE_FULL,
                   "Session %u already has %u calls waiting for the modem or for a response "
                   "(QueueLimit); wait for some to finish",
                   self->id, self->calls_waiting);
      return FALSE;
    }
  if (confirmable && self->config.max_in_flight
      && self->con_in_flight >= self->config.max_in_flight)
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_QUEUE_FULL,
                   "Session %u already has %u confirmable messages awaiting their "
                   "acknowledgement (MaxInFlight); wait for some Acks",
                   self->id, self->con_in_flight);
      return FALSE;
    }
  return TRUE;
}

static gboolean
take_message_id (ModemClient *self, int wanted, guint16 *message_id, GError **error)
{
  if (wanted < 0)
    return client_pool_reserve_message_id (self->pool, self->id, message_id, error);
  if (!client_pool_reserve_chosen_message_id (self->pool, self->id, (guint16)wanted, NULL))
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                   "Message ID %d is still in flight; choose another or let the daemon pick one",
                   wanted);
      return FALSE;
    }
  *message_id = (guint16)wanted;
  return TRUE;
}

void
modem_client_send (ModemClient *self, guint8 type, guint8 code, int message_id, GBytes *token,
                   GPtrArray *options, GBytes *payload, GAsyncReadyCallback callback,
                   gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, NULL, callback, user_data);
  g_autoptr (GBytes) chosen_token = NULL;
  g_autoptr (GError) error = NULL;
  guint16 id;

  g_task_set_source_tag (task, modem_client_send);
  if (!admit (self, type == QCOAP_TYPE_CON, &error)
      || !take_message_id (self, message_id, &id, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (token)
    chosen_token = g_bytes_ref (token);
  else if (code != QCOAP_CODE_EMPTY && (type == QCOAP_TYPE_CON || type == QCOAP_TYPE_NON))
    chosen_token = random_token (SEND_TOKEN_LENGTH);
  else
    chosen_token = g_bytes_new (NULL, 0);
  self->calls_waiting++;
  send_message (self, task, type, code, id, chosen_token, options, payload);
  ((SendData *)g_task_get_task_data (task))->counted = TRUE;
  g_steal_pointer (&task);
}

gboolean
modem_client_send_finish (ModemClient *self, GAsyncResult *result, guint16 *message_id,
                          GBytes **token, GError **error)
{
  SendData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  data = g_task_get_task_data (G_TASK (result));
  *message_id = data->message_id;
  *token = g_bytes_ref (data->token);
  return TRUE;
}

/* ---- requests ------------------------------------------------------------------- */

static gboolean
on_request_timeout (gpointer user_data)
{
  PendingRequest *pending = user_data;
  ModemClient *self = pending->client;

  pending->timeout_source = 0;
  log_failed_exchange (self, pending->message_id, "no response in time");
  g_task_return_new_error (pending->task, QCOAP_ERROR, QCOAP_ERROR_TIMEOUT,
                           "CoAP exchange timeout: no response from %s:%u in time",
                           self->config.host, self->config.port);
  g_hash_table_remove (self->requests_by_token, pending->token_hex);
  return G_SOURCE_REMOVE;
}

static void
on_request_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree char *token_hex = user_data;
  ModemClient *self = MODEM_CLIENT (source);
  g_autoptr (GError) error = NULL;
  PendingRequest *pending;

  if (g_task_propagate_boolean (G_TASK (result), &error))
    return;
  pending = g_hash_table_lookup (self->requests_by_token, token_hex);
  if (pending == NULL)
    return;
  g_task_return_error (pending->task, g_steal_pointer (&error));
  g_hash_table_remove (self->requests_by_token, token_hex);
}

/* The default request timeout: RFC 7252's EXCHANGE_LIFETIME for the client's
 * transmission parameters (MAX_TRANSMIT_SPAN + 2 × MAX_LATENCY + the
 * processing delay, with ACK_RANDOM_FACTOR 1.5). */
static guint
exchange_lifetime_ms (const ModemClientConfig *config)
{
  guint ack_timeout_ms = config->ack_timeout * 1000;
  guint span_ms = ack_timeout_ms * ((1u << config->max_retransmit) - 1) * 3 / 2;

  return span_ms + 2 * COAP_MAX_LATENCY_MS + ack_timeout_ms;
}

/* A token no waiting request uses: the response is matched by token alone. */
GBytes *
modem_client_unused_token (ModemClient *self, char **token_hex)
{
  GBytes *token = NULL;
  g_autofree char *hex = NULL;

  do
    {
      g_clear_pointer (&token, g_bytes_unref);
      g_clear_pointer (&hex, g_free);
      token = random_token (REQUEST_TOKEN_LENGTH);
      hex = at_encode_hex (token);
    }
  while (g_hash_table_contains (self->requests_by_token, hex)
         || modem_client_ahead_holds (self, token));
  if (token_hex)
    *token_hex = g_steal_pointer (&hex);
  return token;
}

/* The request's message ID and token: those of the header written ahead if
 * the modem holds it, else new ones. */
static gboolean
take_request_header (ModemClient *self, guint16 *message_id, GBytes **token, char **token_hex,
                     GError **error)
{
  if (modem_client_ahead_take (self, message_id, token))
    {
      *token_hex = at_encode_hex (*token);
      return TRUE;
    }
  if (!client_pool_reserve_message_id (self->pool, self->id, message_id, error))
    return FALSE;
  *token = modem_client_unused_token (self, token_hex);
  return TRUE;
}

void
modem_client_request (ModemClient *self, guint8 code, GPtrArray *options, GBytes *payload,
                      gboolean confirmable, guint timeout_ms, GAsyncReadyCallback callback,
                      gpointer user_data)
{
  PendingRequest *pending;
  g_autoptr (GBytes) token = NULL;
  g_autoptr (GError) error = NULL;
  GTask *task = g_task_new (self, NULL, callback, user_data);
  GTask *send_task;
  guint16 message_id;
  g_autofree char *token_hex = NULL;

  g_task_set_source_tag (task, modem_client_request);
  /* A request counts as one call waiting until its response. */
  if (!admit (self, confirmable, &error)
      || !take_request_header (self, &message_id, &token, &token_hex, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  pending = g_new0 (PendingRequest, 1);
  pending->client = self;
  pending->task = task;
  pending->token_hex = g_steal_pointer (&token_hex);
  pending->message_id = message_id;
  if (timeout_ms == 0)
    timeout_ms = exchange_lifetime_ms (&self->config);
  pending->timeout_source = g_timeout_add (timeout_ms, on_request_timeout, pending);
  g_hash_table_insert (self->requests_by_token, pending->token_hex, pending);
  self->calls_waiting++;
  send_task = g_task_new (self, NULL, on_request_sent, g_strdup (pending->token_hex));
  send_message (self, send_task, confirmable ? QCOAP_TYPE_CON : QCOAP_TYPE_NON, code,
                pending->message_id, token, options, payload);
}

ModemClientMessage *
modem_client_request_finish (ModemClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == modem_client_request, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- URCs ----------------------------------------------------------------------- */

static void
complete_request (ModemClient *self, const ModemClientMessage *message)
{
  g_autofree char *token_hex = NULL;
  PendingRequest *pending;
  ModemClientMessage *response;

  /* A Send's response (nobody waits) skips the token's text and lookup. */
  if (g_hash_table_size (self->requests_by_token) == 0)
    return;
  token_hex = at_encode_hex (message->token);
  pending = g_hash_table_lookup (self->requests_by_token, token_hex);
  if (pending == NULL)
    return;
  response = g_new0 (ModemClientMessage, 1);
  response->message_id = message->message_id;
  response->code = message->code;
  response->token = g_bytes_ref (message->token);
  response->options = g_ptr_array_ref (message->options);
  response->payload = g_bytes_ref (message->payload);
  g_task_return_pointer (pending->task, response, (GDestroyNotify)modem_client_message_free);
  g_hash_table_remove (self->requests_by_token, token_hex);
}

static void
handle_recv (ModemClient *self, const AtEvent *event)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapRecv) recv = at_coap_recv_parse (event->line, &error);
  g_autoptr (GBytes) payload = NULL;
  g_autoptr (ModemClientMessage) message = NULL;

  if (recv == NULL)
    {
      g_warning ("Client %u: ignoring a message the modem reported oddly: %s", self->id,
                 error->message);
      return;
    }
  if (recent_messages_check (self->recent_messages, recv->message_id, recv->token,
                             g_get_monotonic_time (),
                             (gint64)exchange_lifetime_ms (&self->config) * 1000))
    {
      qcoapd_debug ("Client %u: message ID %u reported again (a copy); dropped, %u so far",
                    self->id, recv->message_id,
                    recent_messages_get_duplicates (self->recent_messages));
      return;
    }
  payload = g_bytes_new (event->payload, event->payload_length);
  qcoapd_debug ("Client %u received %u.%02u %s, message ID %u, %zu bytes", self->id,
                recv->code >> 5, recv->code & 31, qcoap_registry_code_name (recv->code) ?: "",
                recv->message_id, event->payload_length);
  message = message_from_recv (recv, payload);
  self->listener.received (self, message, self->listener_data);
  complete_request (self, message);
}

static void
fail_request_by_message_id (ModemClient *self, guint16 message_id, QcoapError code,
                            const char *message)
{
  GHashTableIter iter;
  PendingRequest *pending;

  g_hash_table_iter_init (&iter, self->requests_by_token);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&pending))
    if (pending->message_id == message_id)
      {
        g_task_return_new_error (pending->task, QCOAP_ERROR, code, "%s", message);
        g_hash_table_iter_remove (&iter);
        return;
      }
}

static void
handle_ack (ModemClient *self, const QcoapAck *ack)
{
  self->listener.ack (self, ack->type, ack->message_id, ack->result, self->listener_data);
  if (g_hash_table_contains (self->sends_in_flight, GUINT_TO_POINTER (ack->message_id)))
    {
      track_send (self, ack->message_id, NULL);
      client_pool_message_done (self->pool, self->id, ack->message_id);
    }
  if (ack->type == QCOAP_TYPE_RST)
    log_failed_exchange (self, ack->message_id, "reset by the server (RST)");
  else if (ack->result != 0)
    {
      g_autofree char *outcome = g_strdup_printf (
          "%s (modem result %d)",
          ack->result == RESULT_SEND_FAILED ? "no acknowledgement after all retransmissions"
                                            : qcoap_result_describe (ack->result),
          ack->result);

      log_failed_exchange (self, ack->message_id, outcome);
    }
  if (ack->type == QCOAP_TYPE_RST)
    fail_request_by_message_id (self, ack->message_id, QCOAP_ERROR_RESET,
                                "The server rejected the request with a reset (RST)");
  else if (ack->result != 0)
    fail_request_by_message_id (self, ack->message_id, qcoap_error_from_result (ack->result),
                                ack->result == RESULT_SEND_FAILED
                                    ? "The server did not acknowledge the request after all "
                                      "retransmissions"
                                    : "The modem could not send the request");
}

static void
handle_line (ModemClient *self, QcoapUrcKind kind, const char *line)
{
  QcoapAck ack;
  QcoapInd ind;

  switch (kind)
    {
      case QCOAP_URC_ACK:
        if (at_coap_ack_parse (line, &ack, NULL))
          handle_ack (self, &ack);
        break;
      case QCOAP_URC_IND:
        if (at_coap_ind_parse (line, &ind, NULL))
          self->listener.retransmission (self, ind.type, ind.message_id, ind.attempt, ind.result,
                                         self->listener_data);
        break;
      default:
        qcoapd_debug ("Client %u: unhandled URC \"%s\"", self->id, line);
    }
}

/* A message the lexer could not report whole (its header or payload beyond
 * what the daemon reads, or framed wrongly where an option held a line
 * end): nothing of it is passed on, but the request it answers fails at once
 * instead of at its timeout. */
static void
handle_unreadable (ModemClient *self, const AtEvent *event)
{
  g_autoptr (QcoapRecv) head = at_coap_recv_parse_head (event->line, NULL);
  g_autofree char *token_hex = head ? at_encode_hex (head->token) : NULL;
  PendingRequest *pending
      = token_hex ? g_hash_table_lookup (self->requests_by_token, token_hex) : NULL;

  if (pending == NULL)
    return;
  log_failed_exchange (self, pending->message_id, at_recv_fault_describe (event->fault));
  if (event->fault == AT_RECV_FAULT_MISFRAMED || event->fault == AT_RECV_FAULT_UNFINISHED)
    g_task_return_new_error (pending->task, QCOAP_ERROR, QCOAP_ERROR_MODEM_ERROR,
                             "The response from %s:%u could not be read: %s", self->config.host,
                             self->config.port, at_recv_fault_describe (event->fault));
  else
    g_task_return_new_error (pending->task, QCOAP_ERROR, QCOAP_ERROR_MODEM_ERROR,
                             "The response from %s:%u is larger than the daemon reads (%u bytes "
                             "of options, %u of payload)",
                             self->config.host, self->config.port, AT_LEXER_MAX_RECV_LINE,
                             AT_LEXER_MAX_PAYLOAD);
  g_hash_table_remove (self->requests_by_token, token_hex);
}

void
modem_client_handle_message_urc (ModemClient *self, const ClientPoolUrc *urc)
{
  if (urc->event->kind == AT_EVENT_RECV)
    handle_recv (self, urc->event);
  else if (urc->event->kind == AT_EVENT_RECV_UNREADABLE)
    handle_unreadable (self, urc->event);
  else
    handle_line (self, urc->kind, urc->event->line);
}
