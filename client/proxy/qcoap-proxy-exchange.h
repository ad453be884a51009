/* SPDX-License-Identifier: MIT */
/* qcoap-proxy-exchange.h — one request from a local CoAP client, from its
 * arrival to the answer: a piggybacked response when the answer comes within
 * a second, else an empty ACK at once and a separate Confirmable response
 * later (RFC 7252 §5.2); a response to a Non-confirmable request is
 * Non-confirmable. Exchanges are remembered by endpoint and message ID so
 * that a retransmitted request is answered again instead of being forwarded
 * twice (§4.5). */
#pragma once

#include <coap3/coap.h>
#include <glib.h>

#include "qcoap-proxy-message.h"

G_BEGIN_DECLS

typedef struct _ProxyExchanges ProxyExchanges;
typedef struct _ProxyExchange ProxyExchange;

ProxyExchanges *proxy_exchanges_new (coap_context_t *context);
void proxy_exchanges_free (ProxyExchanges *exchanges);

/* TRUE when @request repeats one seen before from the same endpoint (the
 * same message ID): it has been answered as before and must not go further.
 * @acked_by_library: libcoap has already sent an empty ACK for it. */
gboolean proxy_exchanges_handle_duplicate (ProxyExchanges *exchanges, coap_session_t *session,
                                           const coap_pdu_t *request, gboolean acked_by_library);

/* The exchange of @request, which libcoap has answered with an empty ACK
 * already when @acked. The table keeps a reference until it is done and
 * then remembers it for a while; the caller gets one. */
ProxyExchange *proxy_exchange_new (ProxyExchanges *exchanges, coap_session_t *session,
                                   const coap_pdu_t *request, gboolean acked);
ProxyExchange *proxy_exchange_ref (ProxyExchange *exchange);
void proxy_exchange_unref (ProxyExchange *exchange);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ProxyExchange, proxy_exchange_unref)

/* Sends the response: @options is a GArray of ProxyWireOption or NULL. */
void proxy_exchange_reply (ProxyExchange *exchange, guint8 code, GArray *options, GBytes *payload);
/* Sends the proxy's own answer for @failure. */
void proxy_exchange_fail (ProxyExchange *exchange, const ProxyFailure *failure);
/* Ends a Non-confirmable exchange whose response never came, without an
 * answer. */
void proxy_exchange_abandon (ProxyExchange *exchange);

/* Puts @failure into @response, libcoap's response to a request being
 * handled now. */
void proxy_failure_to_pdu (const ProxyFailure *failure, coap_pdu_t *response);

G_END_DECLS
