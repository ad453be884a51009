/* SPDX-License-Identifier: MIT */
/* qcoap-proxy-forward.c — see qcoap-proxy-forward.h. */
#include "qcoap-proxy-forward.h"

/* How long stopping waits for calls to qcoapd to come back cancelled. */
#define STOP_WAIT_US (3 * G_USEC_PER_SEC)

struct _ProxyForward
{
  ProxyDaemon *daemon;
  ProxyUpstreamPool *pool;
  guint request_timeout_s;
  GCancellable *cancellable;
  GHashTable *operations; /* Operation (owned by itself) */
};

typedef struct
{
  ProxyForward *forward;
  ProxyRequest *request;
  ProxyExchange *exchange;
  ProxyUpstream *upstream;
  GBytes *token;     /* a Send's token, chosen by qcoapd */
  guint timeout_id;  /* a Send waiting for its response */
  gint64 started_us; /* for the log */
} Operation;

void
proxy_request_free (ProxyRequest *request)
{
  proxy_target_clear (&request->target);
  g_clear_pointer (&request->options, g_variant_unref);
  g_clear_pointer (&request->payload, g_bytes_unref);
  g_free (request->description);
  g_free (request);
}

/* ---- the end of an operation ---- */

static void
operation_end (Operation *op)
{
  g_hash_table_remove (op->forward->operations, op);
  g_clear_handle_id (&op->timeout_id, g_source_remove);
  if (op->upstream != NULL)
    {
      if (op->token != NULL)
        proxy_upstream_unexpect (op->upstream, op->token);
      proxy_upstream_release (op->upstream);
    }
  g_clear_pointer (&op->token, g_bytes_unref);
  proxy_exchange_unref (op->exchange);
  proxy_request_free (op->request);
  g_free (op);
}

static double
elapsed_ms (Operation *op)
{
  return (g_get_monotonic_time () - op->started_us) / 1000.0;
}

static void
operation_fail (Operation *op, const ProxyFailure *failure)
{
  g_autofree char *code = qcoap_code_to_string (failure->code);

  g_message ("%s: %s %s (%.0f ms)", op->request->description, code, failure->diagnostic,
             elapsed_ms (op));
  proxy_exchange_fail (op->exchange, failure);
  operation_end (op);
}

static void
operation_fail_error (Operation *op, const GError *error)
{
  ProxyFailure failure = { 0 };

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      proxy_exchange_abandon (op->exchange); /* the proxy is stopping */
      operation_end (op);
      return;
    }
  proxy_failure_from_error (&failure, error);
  operation_fail (op, &failure);
  proxy_failure_clear (&failure);
}

static void
operation_reply (Operation *op, QcoapResponse *response)
{
  ProxyFailure failure = { 0 };
  g_autoptr (GArray) options
      = proxy_options_from_variant (qcoap_response_get_options (response), &failure);
  g_autofree char *code = qcoap_code_to_string (qcoap_response_get_code (response));

  if (options == NULL)
    {
      operation_fail (op, &failure);
      proxy_failure_clear (&failure);
      return;
    }
  g_debug ("%s: %s, %" G_GSIZE_FORMAT " bytes (%.0f ms)", op->request->description, code,
           g_bytes_get_size (qcoap_response_get_payload (response)), elapsed_ms (op));
  proxy_exchange_reply (op->exchange, qcoap_response_get_code (response), options,
                        qcoap_response_get_payload (response));
  operation_end (op);
}

/* ---- Confirmable: a session Request ---- */

static void
on_requested (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Operation *op = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapResponse) response
      = qcoap_client_session_request_finish (QCOAP_CLIENT_SESSION (source), result, &error);

  if (response == NULL)
    operation_fail_error (op, error);
  else
    operation_reply (op, response);
}

static void
start_request (Operation *op, QcoapClientSession *session)
{
  g_auto (GVariantDict) flags = G_VARIANT_DICT_INIT (NULL);

  g_variant_dict_insert (&flags, "timeout", "u", op->forward->request_timeout_s * 1000);
  /* No path argument: Uri-Path and Uri-Query are among the options, as the
   * client sent them. */
  qcoap_client_session_request (session, op->request->code, NULL, op->request->options,
                                op->request->payload, g_variant_dict_end (&flags),
                                op->forward->cancellable, on_requested, op);
}

/* ---- Non-confirmable: a Send, then the Received signal ---- */

static gboolean
on_response_timeout (gpointer user_data)
{
  Operation *op = user_data;

  op->timeout_id = 0;
  g_debug ("%s: no response within %u s", op->request->description, op->forward->request_timeout_s);
  proxy_exchange_abandon (op->exchange);
  operation_end (op);
  return G_SOURCE_REMOVE;
}

static void
on_received (QcoapResponse *message, const char *closed_reason, gpointer user_data)
{
  Operation *op = user_data;
  ProxyFailure failure = { 0 };

  g_clear_pointer (&op->token, g_bytes_unref); /* no longer expected */
  if (message != NULL)
    {
      operation_reply (op, message);
      return;
    }
  proxy_failure_set (&failure, QCOAP_CODE (5, 2),
                     "qcoapd: the session ended (%s) before the response came", closed_reason);
  operation_fail (op, &failure);
  proxy_failure_clear (&failure);
}

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Operation *op = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) token = NULL;

  if (!qcoap_client_session_send_finish (QCOAP_CLIENT_SESSION (source), result, NULL, &token,
                                         &error))
    {
      operation_fail_error (op, error);
      return;
    }
  op->token = g_bytes_ref (token);
  op->timeout_id = g_timeout_add_seconds (op->forward->request_timeout_s, on_response_timeout, op);
  /* Last: the response may be here already, and end the operation. */
  proxy_upstream_expect (op->upstream, token, on_received, op);
}

static void
start_send (Operation *op, QcoapClientSession *session)
{
  qcoap_client_session_send (session, QCOAP_MESSAGE_NON, op->request->code, op->request->options,
                             op->request->payload, NULL, op->forward->cancellable, on_sent, op);
}

/* ---- the start ---- */

static void
on_acquired (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Operation *op = user_data;
  g_autoptr (GError) error = NULL;
  QcoapClientSession *session;

  op->upstream = proxy_upstream_pool_acquire_finish (op->forward->pool, result, &error);
  if (op->upstream == NULL)
    {
      operation_fail_error (op, error);
      return;
    }
  session = proxy_upstream_get_session (op->upstream);
  if (op->request->confirmable)
    start_request (op, session);
  else
    start_send (op, session);
}

void
proxy_forward_start (ProxyForward *forward, ProxyRequest *request, ProxyExchange *exchange)
{
  Operation *op = g_new0 (Operation, 1);
  ProxyFailure failure = { 0 };

  op->forward = forward;
  op->request = request;
  op->exchange = exchange;
  op->started_us = g_get_monotonic_time ();
  g_hash_table_add (forward->operations, op);
  if (!proxy_daemon_check_modem (forward->daemon, &failure))
    {
      operation_fail (op, &failure);
      proxy_failure_clear (&failure);
      return;
    }
  if (!proxy_upstream_pool_admit (forward->pool, &request->target, request->uid, &failure))
    {
      operation_fail (op, &failure);
      proxy_failure_clear (&failure);
      return;
    }
  g_debug ("%s: forwarding", request->description);
  proxy_upstream_pool_acquire (forward->pool, &request->target, request->uid, forward->cancellable,
                               on_acquired, op);
}

ProxyForward *
proxy_forward_new (ProxyDaemon *daemon, ProxyUpstreamPool *pool, guint request_timeout_s)
{
  ProxyForward *forward = g_new0 (ProxyForward, 1);

  forward->daemon = daemon;
  forward->pool = pool;
  forward->request_timeout_s = request_timeout_s;
  forward->cancellable = g_cancellable_new ();
  forward->operations = g_hash_table_new (NULL, NULL);
  return forward;
}

void
proxy_forward_free (ProxyForward *forward)
{
  gint64 deadline = g_get_monotonic_time () + STOP_WAIT_US;
  g_autoptr (GList) waiting = NULL;

  g_cancellable_cancel (forward->cancellable);
  /* Sends waiting for a response have no call to cancel. */
  waiting = g_hash_table_get_keys (forward->operations);
  for (GList *l = waiting; l != NULL; l = l->next)
    if (((Operation *)l->data)->timeout_id != 0)
      {
        proxy_exchange_abandon (((Operation *)l->data)->exchange);
        operation_end (l->data);
      }
  while (g_hash_table_size (forward->operations) > 0 && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  if (g_hash_table_size (forward->operations) > 0)
    {
      /* Calls still out own the operations: leave them be, we are exiting. */
      g_warning ("%u requests were still on their way at exit",
                 g_hash_table_size (forward->operations));
      return;
    }
  g_hash_table_unref (forward->operations);
  g_object_unref (forward->cancellable);
  g_free (forward);
}
