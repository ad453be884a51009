/* SPDX-License-Identifier: MIT */
/* qcoap-proxy-upstream.h — sessions of qcoapd kept per upstream server
 * (scheme, host, port, PSK identity): opened by the first request for it,
 * reused by the later ones, closed after an idle time or when qcoapd ends
 * them. */
#pragma once

#include "qcoap-proxy-config.h"
#include "qcoap-proxy-daemon.h"

G_BEGIN_DECLS

typedef struct _ProxyUpstreamPool ProxyUpstreamPool;
typedef struct _ProxyUpstream ProxyUpstream;

ProxyUpstreamPool *proxy_upstream_pool_new (ProxyDaemon *daemon, guint idle_timeout_s,
                                            guint open_timeout_ms);
/* Closes the sessions still open. */
void proxy_upstream_pool_free (ProxyUpstreamPool *pool);

/* An open session to @target, held until proxy_upstream_release(). */
void proxy_upstream_pool_acquire (ProxyUpstreamPool *pool, const ProxyTarget *target,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data);
ProxyUpstream *proxy_upstream_pool_acquire_finish (ProxyUpstreamPool *pool, GAsyncResult *result,
                                                   GError **error);

void proxy_upstream_release (ProxyUpstream *upstream);
QcoapClientSession *proxy_upstream_get_session (ProxyUpstream *upstream);

/* Called once: with the message received with @token, or with NULL and a
 * reason when the session ended first. */
typedef void (*ProxyUpstreamReceived) (QcoapResponse *message, const char *closed_reason,
                                       gpointer user_data);

/* Routes the next message received with @token to @callback, until
 * proxy_upstream_unexpect(). */
void proxy_upstream_expect (ProxyUpstream *upstream, GBytes *token, ProxyUpstreamReceived callback,
                            gpointer user_data);
void proxy_upstream_unexpect (ProxyUpstream *upstream, GBytes *token);

G_END_DECLS
