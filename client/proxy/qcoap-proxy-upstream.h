/* SPDX-License-Identifier: MIT */
/* qcoap-proxy-upstream.h — sessions of qcoapd kept per upstream server
 * (scheme, host, port, PSK identity): opened by the first request for it,
 * reused by the later ones, closed after an idle time or when qcoapd ends
 * them.
 *
 * Each session counts for every local user who sent a request through it,
 * until it closes: no user but root may hold more than the pool's
 * max_per_user of them, as qcoapd bounds the sessions of each bus caller. */
#pragma once

#include "qcoap-proxy-config.h"
#include "qcoap-proxy-daemon.h"

G_BEGIN_DECLS

typedef struct _ProxyUpstreamPool ProxyUpstreamPool;
typedef struct _ProxyUpstream ProxyUpstream;

ProxyUpstreamPool *proxy_upstream_pool_new (ProxyDaemon *daemon, guint idle_timeout_s,
                                            guint open_timeout_ms, guint max_per_user);
/* Closes the sessions still open. */
void proxy_upstream_pool_free (ProxyUpstreamPool *pool);

/* Whether @uid may use a session to @target: root always, others while
 * they hold fewer than max_per_user sessions or already hold that one.
 * FALSE with a 5.03 and its Max-Age in @failure. */
gboolean proxy_upstream_pool_admit (ProxyUpstreamPool *pool, const ProxyTarget *target, uid_t uid,
                                    ProxyFailure *failure);

/* How many sessions @uid holds now. */
guint proxy_upstream_pool_count_held (ProxyUpstreamPool *pool, uid_t uid);

/* An open session to @target for @uid, held until
 * proxy_upstream_release(). */
void proxy_upstream_pool_acquire (ProxyUpstreamPool *pool, const ProxyTarget *target, uid_t uid,
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
