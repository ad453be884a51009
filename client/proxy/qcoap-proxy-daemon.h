/* SPDX-License-Identifier: MIT */
/* qcoap-proxy-daemon.h — the proxy's link to qcoapd: the bus connection and
 * a QcoapClient while qcoapd is there. The client follows qcoapd when it
 * restarts; while it is gone, callers get an error they can answer with. */
#pragma once

#include <qcoap-glib/qcoap-glib.h>

#include "qcoap-proxy-message.h"

G_BEGIN_DECLS

typedef struct _ProxyDaemon ProxyDaemon;

/* Watches the name org.qcoapd.CoAP1 on @connection (asking the bus to start
 * qcoapd when it can). */
ProxyDaemon *proxy_daemon_new (GDBusConnection *connection);
void proxy_daemon_free (ProxyDaemon *daemon);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ProxyDaemon, proxy_daemon_free)

/* The client, made on first use; NULL with G_DBUS_ERROR_SERVICE_UNKNOWN
 * while qcoapd is not on the bus. Borrowed. */
QcoapClient *proxy_daemon_get_client (ProxyDaemon *daemon, GError **error);

/* Whether the modem can serve a request now, from the manager's State,
 * Registration and DataContexts as qcoapd last announced them (no call to
 * qcoapd): FALSE with the 5.03 to answer in @failure (see
 * proxy_modem_check()). TRUE while qcoapd is not on the bus: the request
 * then fails on its own with 5.02. */
gboolean proxy_daemon_check_modem (ProxyDaemon *daemon, ProxyFailure *failure);

G_END_DECLS
