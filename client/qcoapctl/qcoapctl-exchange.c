/* SPDX-License-Identifier: MIT */
/* qcoapctl-exchange.c — one request on a session while its signals are
 * watched: -v prints each retransmission as the modem reports it, and a
 * token of the caller's (-T) sends the request by the raw path and waits
 * for the message that comes back with that token. */
#include "qcoapctl.h"

/* RFC 7252's EXCHANGE_LIFETIME: how long -T waits without -B. */
#define DEFAULT_RAW_WAIT_S 247

typedef struct
{
  const ExchangeRequest *request;
  GMainLoop *loop;
  QcoapResponse *response;
  GError *error;
  gint message_id; /* of the raw path's message, -1 until sent */
} Exchange;

static void
exchange_finish (Exchange *exchange, QcoapResponse *response, GError *error)
{
  if (exchange->response || exchange->error)
    {
      g_clear_pointer (&response, qcoap_response_unref);
      g_clear_error (&error);
      return;
    }
  exchange->response = response;
  exchange->error = error;
  g_main_loop_quit (exchange->loop);
}

static void
on_retransmission (QcoapClientSession *session, guint type, guint message_id, guint attempt,
                   int result, gpointer user_data)
{
  g_printerr ("Retransmission %s mid 0x%04x attempt %u%s%s\n",
              qcoap_message_type_to_string (type) ?: "?", message_id, attempt, result ? ": " : "",
              result ? qcoap_result_describe (result) : "");
}

static void
on_closed (QcoapClientSession *session, const char *reason, Exchange *exchange)
{
  exchange_finish (exchange, NULL,
                   g_error_new (QCOAP_ERROR, QCOAP_ERROR_CLOSED,
                                "the session closed (%s) before the response came", reason));
}

static void
on_received (QcoapClientSession *session, QcoapResponse *message, Exchange *exchange)
{
  /* The token is ours: the message may even come before Send's reply. */
  if (g_bytes_equal (qcoap_response_get_token (message), exchange->request->token))
    exchange_finish (exchange, qcoap_response_ref (message), NULL);
}

static void
on_ack (QcoapClientSession *session, guint type, guint message_id, int result, Exchange *exchange)
{
  if ((gint)message_id != exchange->message_id || result == 0)
    return;
  exchange_finish (exchange, NULL,
                   g_error_new (QCOAP_ERROR, qcoap_error_from_result (result),
                                "the request was not delivered: %s",
                                qcoap_result_describe (result)));
}

static gboolean
on_wait_over (gpointer user_data)
{
  Exchange *exchange = user_data;

  exchange_finish (exchange, NULL,
                   g_error_new (QCOAP_ERROR, QCOAP_ERROR_TIMEOUT, "no response within %u s",
                                exchange->request->wait_s ?: DEFAULT_RAW_WAIT_S));
  return G_SOURCE_REMOVE;
}

static void
request_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Exchange *exchange = user_data;
  GError *error = NULL;
  QcoapResponse *response
      = qcoap_client_session_request_finish (QCOAP_CLIENT_SESSION (source), result, &error);

  exchange_finish (exchange, response, error);
}

static void
send_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Exchange *exchange = user_data;
  GError *error = NULL;
  guint16 message_id;

  if (!qcoap_client_session_send_finish (QCOAP_CLIENT_SESSION (source), result, &message_id, NULL,
                                         &error))
    exchange_finish (exchange, NULL, error);
  else
    exchange->message_id = message_id;
}

/* The raw path: Uri-Path and Uri-Query from the path, then the caller's
 * options, with the caller's token. */
static void
start_raw (QcoapClientSession *session, Exchange *exchange)
{
  const ExchangeRequest *request = exchange->request;
  g_autoptr (GVariantBuilder) options = g_variant_builder_new (G_VARIANT_TYPE ("a(qv)"));
  g_autoptr (GVariantDict) flags = g_variant_dict_new (NULL);
  GVariantIter iter;
  GVariant *option;

  qcoapctl_add_path_options (options, request->path);
  g_variant_iter_init (&iter, request->options);
  while ((option = g_variant_iter_next_value (&iter)))
    {
      g_variant_builder_add_value (options, option);
      g_variant_unref (option);
    }
  g_variant_dict_insert_value (
      flags, "token", g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, request->token, TRUE));
  qcoap_client_session_send (session, request->confirmable ? QCOAP_MESSAGE_CON : QCOAP_MESSAGE_NON,
                             request->method, g_variant_builder_end (options), request->payload,
                             g_variant_dict_end (flags), NULL, send_done, exchange);
  g_timeout_add_seconds (request->wait_s ?: DEFAULT_RAW_WAIT_S, on_wait_over, exchange);
}

static void
start_request (QcoapClientSession *session, Exchange *exchange)
{
  const ExchangeRequest *request = exchange->request;
  g_autoptr (GVariantDict) flags = g_variant_dict_new (NULL);

  if (!request->confirmable)
    g_variant_dict_insert (flags, "confirmable", "b", FALSE);
  if (request->wait_s > 0)
    g_variant_dict_insert (flags, "timeout", "u", request->wait_s * 1000);
  qcoap_client_session_request (session, request->method, request->path, request->options,
                                request->payload, g_variant_dict_end (flags), NULL, request_done,
                                exchange);
}

QcoapResponse *
qcoapctl_exchange (Qcoapctl *ctl, QcoapClientSession *session, const ExchangeRequest *request,
                   GError **error)
{
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Exchange exchange = { request, loop, NULL, NULL, -1 };
  gulong handlers[4] = { 0 };

  if (ctl->verbose)
    handlers[0]
        = g_signal_connect (session, "retransmission", G_CALLBACK (on_retransmission), NULL);
  handlers[1] = g_signal_connect (session, "closed", G_CALLBACK (on_closed), &exchange);
  if (request->token)
    {
      handlers[2] = g_signal_connect (session, "received", G_CALLBACK (on_received), &exchange);
      handlers[3] = g_signal_connect (session, "ack", G_CALLBACK (on_ack), &exchange);
      start_raw (session, &exchange);
    }
  else
    start_request (session, &exchange);
  g_main_loop_run (loop);

  for (gsize i = 0; i < G_N_ELEMENTS (handlers); i++)
    if (handlers[i])
      g_signal_handler_disconnect (session, handlers[i]);
  g_source_remove_by_user_data (&exchange);
  if (exchange.error)
    g_propagate_error (error, exchange.error);
  return exchange.response;
}
