/* SPDX-License-Identifier: MIT */
/* qcoap-proxy-server.h — the local CoAP side: libcoap endpoints for the
 * forward proxy (requests with Proxy-Uri or Proxy-Scheme) and for each
 * reverse route, driven from the GLib main loop. Each request is checked,
 * translated for qcoapd and handed to the forward module; what cannot go
 * through the modem is answered here at once. */
#pragma once

#include "qcoap-proxy-config.h"
#include "qcoap-proxy-forward.h"

G_BEGIN_DECLS

typedef struct _ProxyServer ProxyServer;

/* Binds every endpoint of @config (borrowed, as is @forward, until
 * proxy_server_free()). */
ProxyServer *proxy_server_new (const ProxyConfig *config, ProxyForward *forward, GError **error);

/* Stops taking requests; the endpoints stay bound, so that answers to the
 * requests still on their way can go out. */
void proxy_server_stop (ProxyServer *server);
void proxy_server_free (ProxyServer *server);

G_END_DECLS
