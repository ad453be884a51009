/* SPDX-License-Identifier: MIT */
/* qcoap-proxy-forward.h — a local request on its way through qcoapd: a
 * Confirmable one becomes a session Request, a Non-confirmable one a Send
 * whose response is relayed when its Received signal comes. */
#pragma once

#include "qcoap-proxy-exchange.h"
#include "qcoap-proxy-upstream.h"

G_BEGIN_DECLS

/* A request as the D-Bus API takes it, and where it goes. */
typedef struct
{
  ProxyTarget target;
  guint8 code;
  gboolean confirmable;
  GVariant *options; /* a(qv), a full reference */
  GBytes *payload;
  char *description; /* "GET coap://host:port/path", for logs; no key */
  uid_t uid;         /* the local user who sent it */
  /* The route whose endpoint or key it uses, or NULL. */
  const ProxyRoute *route;
} ProxyRequest;

void proxy_request_free (ProxyRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ProxyRequest, proxy_request_free)

typedef struct _ProxyForward ProxyForward;

/* @daemon says whether the modem can serve: while it cannot, requests are
 * answered 5.03 at once instead of waiting for a call that cannot succeed. */
ProxyForward *proxy_forward_new (ProxyDaemon *daemon, ProxyUpstreamPool *pool,
                                 guint request_timeout_s);
/* Gives up every request on its way (their clients get no answer) and
 * waits for the calls to end. */
void proxy_forward_free (ProxyForward *forward);

/* Forwards @request (taken) and answers @exchange (a reference taken). */
void proxy_forward_start (ProxyForward *forward, ProxyRequest *request, ProxyExchange *exchange);

G_END_DECLS
