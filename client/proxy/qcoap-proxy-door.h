/* SPDX-License-Identifier: MIT */
/* qcoap-proxy-door.h — who may use the proxy: root and the members of the
 * groups of AllowedGroups=, each route possibly narrowing them. A request's
 * user is the owner of the UDP socket it came from (qcoap-proxy-peer.h);
 * a request whose user cannot be told is refused. Refusals are 4.03
 * Forbidden, with a short diagnostic, and logged at a bounded rate. */
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include "qcoap-proxy-config.h"
#include "qcoap-proxy-message.h"

G_BEGIN_DECLS

/* How long a user's groups are used before they are read again: group
 * changes take effect within this time. */
#define PROXY_DOOR_GROUPS_LIFETIME_US (5 * G_USEC_PER_SEC)

typedef struct _ProxyDoor ProxyDoor;

/* @config is borrowed until proxy_door_free(). */
ProxyDoor *proxy_door_new (const ProxyConfig *config);
void proxy_door_free (ProxyDoor *door);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ProxyDoor, proxy_door_free)

/* Whether the sender of a datagram from @remote to the proxy's @local (both
 * struct sockaddr_in or sockaddr_in6) may use the proxy: TRUE with its
 * user in @uid, else FALSE with the 4.03 in @failure. */
gboolean proxy_door_admit (ProxyDoor *door, const struct sockaddr *remote, gsize remote_length,
                           const struct sockaddr *local, gsize local_length, uid_t *uid,
                           ProxyFailure *failure);

/* Whether @uid, admitted by proxy_door_admit(), may also use @route (its
 * endpoint, or its key for a forward request); @route may be NULL. */
gboolean proxy_door_admit_route (ProxyDoor *door, uid_t uid, const ProxyRoute *route,
                                 ProxyFailure *failure);

G_END_DECLS
