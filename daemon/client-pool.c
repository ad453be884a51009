/* SPDX-License-Identifier: MIT */
/* client-pool.c — see client-pool.h. */
#include "client-pool.h"

#include <sys/random.h>

#include "log-level.h"
#include "qcoap-cmd.h"
#include "qcoap-error.h"

typedef struct
{
  ClientPool *pool;
  guint id;
  GPtrArray *steps;     /* AtStep */
  GPtrArray *responses; /* AtResponse */
  guint next_step;
  GTask *task;
  gulong cancelled_handler;
} Transaction;

/* The CoAP URCs that name a client ID first, by prefix (the results of
 * AT+QCOAPOPEN and AT+QCOAPCLOSE by their shape). */
static const char *const coap_urc_prefixes[] = {
  "+QCOAPRECV:",
  "+QCOAPACK:",
  "+COAPACK:", /* the spelling of some firmware */
  "+QCOAPIND:",
};

/* The client IDs' queues and the modem's own. */
#define N_QUEUES (QCOAP_MAX_CLIENTS + 1)

struct _ClientPool
{
  Modem *modem;
  const ClientPoolPreparer *preparer; /* nullable */
  gpointer preparer_data;
  guint queue_limit;
  gboolean taken[QCOAP_MAX_CLIENTS];
  GQueue queues[N_QUEUES]; /* Transaction*, not yet started */
  Transaction *running;
  guint last_served;
  gboolean dispatching; /* in dispatch(): a nested call leaves the work to it */
  guint16 next_message_id[QCOAP_MAX_CLIENTS];
  /* GUINT_TO_POINTER (mid) -> GUINT_TO_POINTER (owner): the client ID + 1,
   * or NO_OWNER */
  GHashTable *messages_in_flight;
  guint messages_per_client[QCOAP_MAX_CLIENTS];
  guint watch_span; /* 0: nobody watches the sequence */
  guint taken_since_watch;
  void (*watch_func) (ClientPool *pool, gpointer user_data);
  gpointer watch_data;
  struct
  {
    ClientPoolUrcFunc func;
    gpointer user_data;
  } holders[QCOAP_MAX_CLIENTS], unclaimed;
  guint urc_handlers[G_N_ELEMENTS (coap_urc_prefixes) + 1];
  void (*freed_func) (ClientPool *pool, gpointer data);
  gpointer freed_data;
};

#define NO_OWNER QCOAP_MAX_CLIENTS

static void dispatch (ClientPool *pool);

/* ---- URCs ------------------------------------------------------------------- */

/* "+QCOAPOPEN: <id>,<result>" and "+QCOAPCLOSE: <id>,<result>" by their two
 * integer fields: never the four fields of the AT+QCOAPOPEN? answer. */
static gboolean
is_open_close_result (const char *line)
{
  guint id;
  int result;

  return at_coap_open_result_parse (line, &id, &result, NULL)
         || at_coap_close_result_parse (line, &id, &result, NULL);
}

static void
on_coap_urc (const AtEvent *event, gpointer user_data)
{
  ClientPool *pool = user_data;
  ClientPoolUrc urc = { .kind = at_coap_urc_classify (event->line), .event = event };

  if (!at_coap_urc_client_id (event->line, &urc.client_id))
    {
      g_info ("A CoAP report that names no client ID: \"%s\"; dropped", event->line);
      return;
    }
  if (pool->holders[urc.client_id].func != NULL)
    pool->holders[urc.client_id].func (&urc, pool->holders[urc.client_id].user_data);
  else if (pool->unclaimed.func != NULL)
    pool->unclaimed.func (&urc, pool->unclaimed.user_data);
  else
    qcoapd_debug ("URC for client %u, which has no session: \"%s\"", urc.client_id, event->line);
}

static void
register_urcs (ClientPool *pool)
{
  AtEngine *engine;
  guint n = 0;

  /* A pool without a modem (tests of its message IDs) hears nothing. */
  if (pool->modem == NULL)
    return;
  engine = modem_get_engine (pool->modem);
  for (gsize i = 0; i < G_N_ELEMENTS (coap_urc_prefixes); i++)
    pool->urc_handlers[n++]
        = at_engine_add_urc_handler (engine, coap_urc_prefixes[i], NULL, on_coap_urc, pool);
  pool->urc_handlers[n++]
      = at_engine_add_urc_handler (engine, NULL, is_open_close_result, on_coap_urc, pool);
  /* A server's string option may hold a line end, which the module prints
   * raw: the header goes on after it. */
  at_engine_set_recv_continuation (engine, at_coap_recv_head_reads);
}

static void
unregister_urcs (ClientPool *pool)
{
  if (pool->modem == NULL)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (pool->urc_handlers); i++)
    at_engine_remove_urc_handler (modem_get_engine (pool->modem), pool->urc_handlers[i]);
}

void
client_pool_attach (ClientPool *pool, guint id, ClientPoolUrcFunc func, gpointer user_data)
{
  g_return_if_fail (id < QCOAP_MAX_CLIENTS && pool->taken[id]);

  pool->holders[id].func = func;
  pool->holders[id].user_data = user_data;
}

void
client_pool_detach (ClientPool *pool, guint id, gpointer user_data)
{
  g_return_if_fail (id < QCOAP_MAX_CLIENTS);

  if (pool->holders[id].user_data != user_data)
    return;
  pool->holders[id].func = NULL;
  pool->holders[id].user_data = NULL;
}

/* ---- client IDs the module is still closing ---------------------------------- */

typedef struct
{
  ClientPool *pool;
  guint id;
  guint timeout_source;
} ClosingId;

static void
closing_id_release (ClosingId *closing)
{
  ClientPool *pool = closing->pool;
  guint id = closing->id;

  g_clear_handle_id (&closing->timeout_source, g_source_remove);
  g_free (closing);
  client_pool_release (pool, id);
  if (pool->freed_func != NULL)
    pool->freed_func (pool, pool->freed_data);
}

void
client_pool_set_freed_func (ClientPool *pool, void (*func) (ClientPool *pool, gpointer data),
                            gpointer data)
{
  pool->freed_func = func;
  pool->freed_data = data;
}

static void
on_closing_urc (const ClientPoolUrc *urc, gpointer user_data)
{
  ClosingId *closing = user_data;

  if (urc->kind != QCOAP_URC_CLOSE)
    return;
  qcoapd_debug ("Client ID %u: the module has closed it; it is free", closing->id);
  closing_id_release (closing);
}

static gboolean
on_closing_timeout (gpointer user_data)
{
  ClosingId *closing = user_data;

  closing->timeout_source = 0;
  g_warning ("Client ID %u: no +QCOAPCLOSE result within the module's maximum; freeing it anyway",
             closing->id);
  closing_id_release (closing);
  return G_SOURCE_REMOVE;
}

void
client_pool_release_when_closed (ClientPool *pool, guint id, guint timeout_ms)
{
  ClosingId *closing = g_new0 (ClosingId, 1);

  g_return_if_fail (id < QCOAP_MAX_CLIENTS && pool->taken[id]);
  closing->pool = pool;
  closing->id = id;
  closing->timeout_source = g_timeout_add (timeout_ms, on_closing_timeout, closing);
  client_pool_attach (pool, id, on_closing_urc, closing);
}

typedef struct
{
  ClientPool *pool;
  guint id;
} AbandonedId;

static void
on_abandoned_close_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree AbandonedId *abandoned = user_data;
  g_autoptr (GPtrArray) responses = client_pool_run_finish (abandoned->pool, result, NULL);

  /* OK: the module closes it now, and says so with +QCOAPCLOSE. */
  if (responses != NULL)
    client_pool_release_when_closed (abandoned->pool, abandoned->id, CLIENT_POOL_CLOSE_TIMEOUT_MS);
  else
    client_pool_release (abandoned->pool, abandoned->id);
}

void
client_pool_close_and_release (ClientPool *pool, guint id)
{
  GPtrArray *steps = g_ptr_array_new_with_free_func ((GDestroyNotify)at_step_free);
  AbandonedId *abandoned = g_new0 (AbandonedId, 1);

  g_return_if_fail (id < QCOAP_MAX_CLIENTS && pool->taken[id]);
  g_ptr_array_add (steps, at_step_new (at_coap_cmd_close (id), NULL, AT_PAYLOAD_NONE, NULL,
                                       CLIENT_POOL_CLOSE_COMMAND_TIMEOUT_MS));
  abandoned->pool = pool;
  abandoned->id = id;
  client_pool_run (pool, id, steps, NULL, on_abandoned_close_done, abandoned);
}

gboolean
client_pool_is_attached (ClientPool *pool, guint id, gpointer user_data)
{
  g_return_val_if_fail (id < QCOAP_MAX_CLIENTS, FALSE);
  return pool->taken[id] && pool->holders[id].user_data == user_data;
}

void
client_pool_set_unclaimed_handler (ClientPool *pool, ClientPoolUrcFunc func, gpointer user_data)
{
  pool->unclaimed.func = func;
  pool->unclaimed.user_data = user_data;
}

/* From the kernel's random source, as tokens are (RFC 7252 §5.3.1 asks the
 * same unpredictability of them). */
static guint16
random_message_id (void)
{
  guint16 value;

  if (getrandom (&value, sizeof value, 0) != (gssize)sizeof value)
    value = (guint16)g_random_int_range (0, CLIENT_POOL_MESSAGE_IDS);
  return value;
}

ClientPool *
client_pool_new (Modem *modem, guint queue_limit)
{
  ClientPool *pool = g_new0 (ClientPool, 1);

  pool->modem = modem;
  pool->queue_limit = queue_limit;
  for (guint i = 0; i < N_QUEUES; i++)
    g_queue_init (&pool->queues[i]);
  pool->last_served = N_QUEUES - 1;
  /* Random starts: a server cannot predict another client's IDs, and a
   * restarted daemon does not repeat the IDs of its previous life, which a
   * server may still hold for deduplication. */
  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    pool->next_message_id[i] = random_message_id ();
  pool->messages_in_flight = g_hash_table_new (NULL, NULL);
  register_urcs (pool);
  return pool;
}

/* ---- client IDs --------------------------------------------------------- */

gboolean
client_pool_acquire (ClientPool *pool, int wanted, guint *id, GError **error)
{
  if (wanted >= 0)
    {
      if (pool->taken[wanted])
        {
          g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_CLIENT_BUSY,
                       "Client ID %d is already in use; omit client-id to get any free one",
                       wanted);
          return FALSE;
        }
      pool->taken[wanted] = TRUE;
      *id = (guint)wanted;
      return TRUE;
    }
  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    if (!pool->taken[i])
      {
        pool->taken[i] = TRUE;
        *id = i;
        return TRUE;
      }
  g_set_error_literal (error, QCOAP_ERROR, QCOAP_ERROR_NO_FREE_CLIENT,
                       "All six CoAP client IDs of the modem are in use; close a session first");
  return FALSE;
}

void
client_pool_release (ClientPool *pool, guint id)
{
  g_return_if_fail (id < QCOAP_MAX_CLIENTS);
  pool->taken[id] = FALSE;
  pool->holders[id].func = NULL;
  pool->holders[id].user_data = NULL;
}

gboolean
client_pool_is_taken (ClientPool *pool, guint id)
{
  return id < QCOAP_MAX_CLIENTS && pool->taken[id];
}

guint
client_pool_count_free (ClientPool *pool)
{
  guint count = 0;

  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    count += !pool->taken[i];
  return count;
}

/* ---- message IDs ---------------------------------------------------------- */

/* The in-flight table's key: a client ID and one of its message IDs. */
#define IN_FLIGHT_KEY(client_id, message_id)                                                       \
  GUINT_TO_POINTER (((guint)(client_id) << 16) | (guint)(message_id))

static void
mark_in_flight (ClientPool *pool, guint owner, guint16 message_id)
{
  g_hash_table_add (pool->messages_in_flight, IN_FLIGHT_KEY (owner, message_id));
  pool->messages_per_client[owner]++;
}

static gboolean
reserve_next (ClientPool *pool, guint owner, guint16 *message_id, GError **error)
{
  if (pool->messages_per_client[owner] >= CLIENT_POOL_MESSAGE_IDS)
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_QUEUE_FULL,
                   "All %u message IDs are in flight; wait for some messages to be delivered",
                   CLIENT_POOL_MESSAGE_IDS);
      return FALSE;
    }
  /* At least one ID is free, so this ends within a turn of the sequence. */
  while (g_hash_table_contains (pool->messages_in_flight,
                                IN_FLIGHT_KEY (owner, pool->next_message_id[owner])))
    pool->next_message_id[owner]++;
  *message_id = pool->next_message_id[owner]++;
  mark_in_flight (pool, owner, *message_id);
  /* The position is saved every watch_span IDs, for a restarted daemon. */
  if (pool->watch_span && ++pool->taken_since_watch >= pool->watch_span)
    {
      pool->taken_since_watch = 0;
      pool->watch_func (pool, pool->watch_data);
    }
  return TRUE;
}

static gboolean
reserve_chosen (ClientPool *pool, guint owner, guint16 message_id, GError **error)
{
  if (g_hash_table_contains (pool->messages_in_flight, IN_FLIGHT_KEY (owner, message_id)))
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                   "Message ID %u is still in flight; choose another or let the daemon pick one",
                   message_id);
      return FALSE;
    }
  mark_in_flight (pool, owner, message_id);
  return TRUE;
}

gboolean
client_pool_reserve_message_id (ClientPool *pool, guint client_id, guint16 *message_id,
                                GError **error)
{
  g_return_val_if_fail (client_id < QCOAP_MAX_CLIENTS, FALSE);
  return reserve_next (pool, client_id, message_id, error);
}

gboolean
client_pool_reserve_chosen_message_id (ClientPool *pool, guint client_id, guint16 message_id,
                                       GError **error)
{
  g_return_val_if_fail (client_id < QCOAP_MAX_CLIENTS, FALSE);
  return reserve_chosen (pool, client_id, message_id, error);
}

guint
client_pool_count_messages_in_flight (ClientPool *pool, guint client_id)
{
  g_return_val_if_fail (client_id < QCOAP_MAX_CLIENTS, 0);
  return pool->messages_per_client[client_id];
}

guint16
client_pool_get_message_id_position (ClientPool *pool, guint client_id)
{
  g_return_val_if_fail (client_id < QCOAP_MAX_CLIENTS, 0);
  return pool->next_message_id[client_id];
}

void
client_pool_set_message_id_position (ClientPool *pool, guint client_id, guint16 position)
{
  g_return_if_fail (client_id < QCOAP_MAX_CLIENTS);
  pool->next_message_id[client_id] = position;
}

void
client_pool_watch_message_ids (ClientPool *pool, guint span,
                               void (*func) (ClientPool *pool, gpointer user_data),
                               gpointer user_data)
{
  pool->watch_span = span;
  pool->taken_since_watch = 0;
  pool->watch_func = func;
  pool->watch_data = user_data;
}

void
client_pool_message_done (ClientPool *pool, guint client_id, guint16 message_id)
{
  g_return_if_fail (client_id < QCOAP_MAX_CLIENTS);

  if (g_hash_table_remove (pool->messages_in_flight, IN_FLIGHT_KEY (client_id, message_id)))
    pool->messages_per_client[client_id]--;
}

gboolean
client_pool_message_in_flight (ClientPool *pool, guint client_id, guint16 message_id)
{
  g_return_val_if_fail (client_id < QCOAP_MAX_CLIENTS, FALSE);
  return g_hash_table_contains (pool->messages_in_flight, IN_FLIGHT_KEY (client_id, message_id));
}

/* ---- transactions ---------------------------------------------------------- */

static void
transaction_free (Transaction *transaction)
{
  g_clear_pointer (&transaction->steps, g_ptr_array_unref);
  g_clear_pointer (&transaction->responses, g_ptr_array_unref);
  g_clear_object (&transaction->task);
  g_free (transaction);
}

static void
transaction_disconnect_cancellable (Transaction *transaction)
{
  GCancellable *cancellable = g_task_get_cancellable (transaction->task);

  if (transaction->cancelled_handler)
    g_cancellable_disconnect (cancellable, transaction->cancelled_handler);
  transaction->cancelled_handler = 0;
}

static void
transaction_finish (Transaction *transaction, GError *error)
{
  GTask *task = g_steal_pointer (&transaction->task);

  if (error)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&transaction->responses),
                           (GDestroyNotify)g_ptr_array_unref);
  g_object_unref (task);
  transaction_free (transaction);
}

static void run_next_step (Transaction *transaction);

static void
on_step_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Transaction *transaction = user_data;
  ClientPool *pool = transaction->pool;
  GError *error = NULL;
  AtResponse *response;

  response = at_engine_command_finish (AT_ENGINE (source), result, &error);
  if (response == NULL)
    {
      pool->running = NULL;
      transaction_finish (transaction, error);
      dispatch (pool);
      return;
    }
  g_ptr_array_add (transaction->responses, response);
  run_next_step (transaction);
}

static void
run_next_step (Transaction *transaction)
{
  ClientPool *pool = transaction->pool;
  GError *error = NULL;
  AtStep *step;
  AtCommand command;

  if (transaction->next_step == transaction->steps->len)
    {
      pool->running = NULL;
      transaction_finish (transaction, NULL);
      dispatch (pool);
      return;
    }
  /* Each line goes to the engine itself (one task a line): the modem is
   * asked before each whether it is still ready, since a restart noticed
   * half-way hands the port to the initialisation. */
  if (!modem_check_ready (pool->modem, &error))
    {
      pool->running = NULL;
      transaction_finish (transaction, error);
      dispatch (pool);
      return;
    }
  step = g_ptr_array_index (transaction->steps, transaction->next_step++);
  command = at_step_get_command (step);
  /* No cancellable: a started transaction always runs to its end. */
  at_engine_command (modem_get_engine (pool->modem), &command, NULL, on_step_done, transaction);
}

static Transaction *
pick_next_transaction (ClientPool *pool)
{
  for (guint n = 1; n <= N_QUEUES; n++)
    {
      guint id = (pool->last_served + n) % N_QUEUES;
      Transaction *transaction = g_queue_pop_head (&pool->queues[id]);

      if (transaction)
        {
          pool->last_served = id;
          return transaction;
        }
    }
  return NULL;
}

/* Starts queued transactions while the modem's port is free. The first AT
 * command is written at once, from the caller's own main-loop iteration: a
 * dispatch from an idle cost one more iteration per transaction. Completion
 * callbacks still never nest inside each other: a transaction's task
 * completes from a later iteration (its command's reply) or, if it ends in
 * the iteration that started it, from GTask's idle; and a dispatch asked for
 * while one is under way only leaves the work to the loop below it. */
static void
dispatch (ClientPool *pool)
{
  Transaction *transaction;

  if (pool->dispatching)
    return;
  pool->dispatching = TRUE;
  while (pool->running == NULL && (transaction = pick_next_transaction (pool)) != NULL)
    {
      transaction_disconnect_cancellable (transaction);
      pool->running = transaction;
      run_next_step (transaction);
    }
  pool->dispatching = FALSE;
}

static gboolean
complete_cancelled (gpointer user_data)
{
  Transaction *transaction = user_data;

  transaction_finish (transaction,
                      g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled"));
  return G_SOURCE_REMOVE;
}

static void
on_transaction_cancelled (GCancellable *cancellable, gpointer user_data)
{
  Transaction *transaction = user_data;
  ClientPool *pool = transaction->pool;

  /* Still queued (the handler is disconnected once it starts). The task is
   * completed from an idle so as not to re-enter the canceller. */
  g_queue_remove (&pool->queues[transaction->id], transaction);
  g_idle_add (complete_cancelled, transaction);
}

void
client_pool_run (ClientPool *pool, guint id, GPtrArray *steps, GCancellable *cancellable,
                 GAsyncReadyCallback callback, gpointer user_data)
{
  Transaction *transaction;
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, client_pool_run);
  if (g_queue_get_length (&pool->queues[id]) >= pool->queue_limit)
    {
      g_ptr_array_unref (steps);
      g_task_return_new_error (task, QCOAP_ERROR, QCOAP_ERROR_QUEUE_FULL,
                               "Session %u already has %u messages waiting for the modem; "
                               "wait for some to finish",
                               id, pool->queue_limit);
      return;
    }
  transaction = g_new0 (Transaction, 1);
  transaction->pool = pool;
  transaction->id = id;
  transaction->steps = steps;
  transaction->responses = g_ptr_array_new_with_free_func ((GDestroyNotify)at_response_free);
  transaction->task = g_steal_pointer (&task);
  g_queue_push_tail (&pool->queues[id], transaction);
  if (cancellable)
    transaction->cancelled_handler = g_cancellable_connect (
        cancellable, G_CALLBACK (on_transaction_cancelled), transaction, NULL);
  dispatch (pool);
}

GPtrArray *
client_pool_run_finish (ClientPool *pool, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- preparing an open ----------------------------------------------------------- */

void
client_pool_set_preparer (ClientPool *pool, const ClientPoolPreparer *preparer, gpointer user_data)
{
  pool->preparer = preparer;
  pool->preparer_data = user_data;
}

static void
on_prepared (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  ClientPool *pool = g_task_get_task_data (task);
  GError *error = NULL;

  if (pool->preparer->wait_finish (result, &error, pool->preparer_data))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

gboolean
client_pool_prepare (ClientPool *pool, guint pdp_context, guint timeout_ms,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  if (pool->preparer == NULL || pool->preparer->ready (pdp_context, pool->preparer_data))
    return TRUE;
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, client_pool_prepare);
  g_task_set_task_data (task, pool, NULL);
  pool->preparer->wait (pdp_context, timeout_ms, cancellable, on_prepared, task,
                        pool->preparer_data);
  return FALSE;
}

gboolean
client_pool_prepare_finish (ClientPool *pool, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == client_pool_prepare, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
client_pool_fail_queued (ClientPool *pool, guint id, const GError *error)
{
  Transaction *transaction;

  while ((transaction = g_queue_pop_head (&pool->queues[id])) != NULL)
    {
      transaction_disconnect_cancellable (transaction);
      transaction_finish (transaction, g_error_copy (error));
    }
}

void
client_pool_free (ClientPool *pool)
{
  g_autoptr (GError) error = NULL;

  if (pool == NULL)
    return;
  error = g_error_new_literal (QCOAP_ERROR, QCOAP_ERROR_CLOSED, "The daemon is shutting down");
  for (guint i = 0; i < N_QUEUES; i++)
    client_pool_fail_queued (pool, i, error);
  unregister_urcs (pool);
  g_hash_table_unref (pool->messages_in_flight);
  g_free (pool);
}
