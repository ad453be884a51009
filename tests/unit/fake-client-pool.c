/* SPDX-License-Identifier: MIT */
/* fake-client-pool.c — see fake-client-pool.h. Implements client-pool.h. */
#include "fake-client-pool.h"

#include "qcoap-cmd.h"
#include "qcoap-error.h"

typedef struct
{
  GPtrArray *steps;
  GTask *task;
} Transaction;

struct _ClientPool
{
  GQueue transactions;
  guint16 next_message_id;
  GHashTable *in_flight;
  guint releases[QCOAP_MAX_CLIENTS];
  ClientPoolUrcFunc holders[QCOAP_MAX_CLIENTS];
  gpointer holder_data[QCOAP_MAX_CLIENTS];
};

ClientPool *
fake_pool_new (void)
{
  ClientPool *pool = g_new0 (ClientPool, 1);

  g_queue_init (&pool->transactions);
  pool->next_message_id = 100;
  pool->in_flight = g_hash_table_new (NULL, NULL);
  return pool;
}

void
fake_pool_free (ClientPool *pool)
{
  while (fake_pool_pending (pool) > 0)
    fake_pool_answer (pool, NULL);
  g_hash_table_unref (pool->in_flight);
  g_free (pool);
}

void
client_pool_run (ClientPool *pool, guint id, GPtrArray *steps, GCancellable *cancellable,
                 GAsyncReadyCallback callback, gpointer user_data)
{
  Transaction *transaction = g_new0 (Transaction, 1);

  transaction->steps = steps;
  transaction->task = g_task_new (NULL, cancellable, callback, user_data);
  g_queue_push_tail (&pool->transactions, transaction);
}

GPtrArray *
client_pool_run_finish (ClientPool *pool, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

guint
fake_pool_pending (ClientPool *pool)
{
  return g_queue_get_length (&pool->transactions);
}

GPtrArray *
fake_pool_peek_commands (ClientPool *pool)
{
  Transaction *transaction = g_queue_peek_head (&pool->transactions);
  GPtrArray *commands = g_ptr_array_new ();

  g_assert_nonnull (transaction);
  for (guint i = 0; i < transaction->steps->len; i++)
    g_ptr_array_add (commands, ((AtStep *)g_ptr_array_index (transaction->steps, i))->command);
  return commands;
}

static GPtrArray *
ok_responses (guint count)
{
  GPtrArray *responses = g_ptr_array_new_with_free_func ((GDestroyNotify)at_response_free);

  for (guint i = 0; i < count; i++)
    {
      AtResponse *response = g_new0 (AtResponse, 1);

      response->lines = g_ptr_array_new_with_free_func (g_free);
      response->final = g_strdup ("OK");
      g_ptr_array_add (responses, response);
    }
  return responses;
}

void
fake_pool_answer (ClientPool *pool, const GError *error)
{
  Transaction *transaction = g_queue_pop_head (&pool->transactions);
  g_autoptr (GTask) task = NULL;

  g_assert_nonnull (transaction);
  task = transaction->task;
  if (g_task_return_error_if_cancelled (task))
    ;
  else if (error)
    g_task_return_error (task, g_error_copy (error));
  else
    g_task_return_pointer (task, ok_responses (transaction->steps->len),
                           (GDestroyNotify)g_ptr_array_unref);
  g_ptr_array_unref (transaction->steps);
  g_free (transaction);
}

void
client_pool_release (ClientPool *pool, guint id)
{
  pool->releases[id]++;
  pool->holders[id] = NULL;
  pool->holder_data[id] = NULL;
}

guint
fake_pool_releases (ClientPool *pool, guint id)
{
  return pool->releases[id];
}

gboolean
client_pool_reserve_message_id (ClientPool *pool, guint client_id, guint16 *message_id,
                                GError **error)
{
  while (g_hash_table_contains (pool->in_flight, GUINT_TO_POINTER (pool->next_message_id)))
    pool->next_message_id++;
  g_hash_table_add (pool->in_flight, GUINT_TO_POINTER (pool->next_message_id));
  *message_id = pool->next_message_id++;
  return TRUE;
}

gboolean
client_pool_reserve_chosen_message_id (ClientPool *pool, guint client_id, guint16 message_id,
                                       GError **error)
{
  if (g_hash_table_add (pool->in_flight, GUINT_TO_POINTER (message_id)))
    return TRUE;
  g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT, "Message ID %u is in flight",
               message_id);
  return FALSE;
}

void
client_pool_message_done (ClientPool *pool, guint client_id, guint16 message_id)
{
  g_assert_true (g_hash_table_remove (pool->in_flight, GUINT_TO_POINTER (message_id)));
}

gboolean
client_pool_message_in_flight (ClientPool *pool, guint client_id, guint16 message_id)
{
  return g_hash_table_contains (pool->in_flight, GUINT_TO_POINTER (message_id));
}

/* The fake's data context is always up. */
gboolean
client_pool_prepare (ClientPool *pool, guint pdp_context, guint timeout_ms,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  return TRUE;
}

gboolean
client_pool_prepare_finish (ClientPool *pool, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
client_pool_attach (ClientPool *pool, guint id, ClientPoolUrcFunc func, gpointer user_data)
{
  pool->holders[id] = func;
  pool->holder_data[id] = user_data;
}

void
client_pool_detach (ClientPool *pool, guint id, gpointer user_data)
{
  if (pool->holder_data[id] != user_data)
    return;
  pool->holders[id] = NULL;
  pool->holder_data[id] = NULL;
}

void
client_pool_set_unclaimed_handler (ClientPool *pool, ClientPoolUrcFunc func, gpointer user_data)
{
}

gboolean
fake_pool_deliver_urc (ClientPool *pool, const ClientPoolUrc *urc)
{
  if (pool->holders[urc->client_id] == NULL)
    return FALSE;
  pool->holders[urc->client_id](urc, pool->holder_data[urc->client_id]);
  return TRUE;
}

gboolean
client_pool_is_attached (ClientPool *pool, guint id, gpointer user_data)
{
  return pool->holders[id] != NULL && pool->holder_data[id] == user_data;
}

/* The fake module closes at once: the ID is released as the +QCOAPCLOSE
 * result would release it. */
void
client_pool_release_when_closed (ClientPool *pool, guint id, guint timeout_ms)
{
  client_pool_release (pool, id);
}

static void
on_fake_close_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ClientPool *pool = g_task_get_task_data (G_TASK (result));
  g_autoptr (GPtrArray) responses = client_pool_run_finish (pool, result, NULL);

  client_pool_release (pool, GPOINTER_TO_UINT (user_data));
}

/* As the real pool does: the close is a transaction of its own, and the ID
 * is released when it ends. */
void
client_pool_close_and_release (ClientPool *pool, guint id)
{
  GPtrArray *steps = g_ptr_array_new_with_free_func ((GDestroyNotify)at_step_free);
  Transaction *transaction;

  g_ptr_array_add (steps, at_step_new (at_coap_cmd_close (id), NULL, AT_PAYLOAD_NONE, NULL,
                                       CLIENT_POOL_CLOSE_COMMAND_TIMEOUT_MS));
  client_pool_run (pool, id, steps, NULL, on_fake_close_done, GUINT_TO_POINTER (id));
  transaction = g_queue_peek_tail (&pool->transactions);
  g_task_set_task_data (transaction->task, pool, NULL);
}

void
client_pool_set_freed_func (ClientPool *pool, void (*func) (ClientPool *pool, gpointer data),
                            gpointer data)
{
}
