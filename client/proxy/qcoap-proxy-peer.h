/* SPDX-License-Identifier: MIT */
/* qcoap-proxy-peer.h — who sent a datagram: the user that owns the local
 * UDP socket it came from, as the kernel tells it through sock_diag
 * (NETLINK_SOCK_DIAG, an inet_diag_req_v2 for one UDP socket).
 *
 * The netlink messages are built and parsed by functions free of I/O, so
 * that the parser can be tested on crafted replies; ProxyPeers asks the
 * kernel and remembers each answer briefly. */
#pragma once

#include <gio/gio.h>
#include <sys/socket.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* How long an answer is used for later datagrams from the same address and
 * port: long enough to cover a client's retransmissions, short enough that
 * a port freed and taken by another user is soon asked about again. */
#define PROXY_PEER_CACHE_LIFETIME_US (2 * G_USEC_PER_SEC)

/* One end of a UDP exchange: AF_INET or AF_INET6, the address in network
 * order (4 or 16 bytes used), the port in host order. An IPv4-mapped IPv6
 * address is kept as the IPv4 address it maps. */
typedef struct
{
  int family;
  guint8 address[16];
  guint16 port;
} ProxyPeerEndpoint;

/* @native: a struct sockaddr_in or sockaddr_in6 of @length bytes. */
gboolean proxy_peer_endpoint_from_native (const struct sockaddr *native, gsize length,
                                          ProxyPeerEndpoint *endpoint, GError **error);
gboolean proxy_peer_endpoint_is_loopback (const ProxyPeerEndpoint *endpoint);
/* "127.0.0.1:40000", "[::1]:40000". */
char *proxy_peer_endpoint_to_string (const ProxyPeerEndpoint *endpoint);

/* The size of the request proxy_peer_build_request() writes. */
gsize proxy_peer_request_size (void);

/* Writes into @buffer (of @size bytes, at least proxy_peer_request_size())
 * the request for the socket bound to @source that may send to @local (the
 * proxy's endpoint), numbered @seq. Returns the bytes written, or 0 when
 * they do not fit or the families differ. */
gsize proxy_peer_build_request (const ProxyPeerEndpoint *source, const ProxyPeerEndpoint *local,
                                guint32 seq, guint8 *buffer, gsize size);

/* Reads the kernel's reply to request @seq about @source: TRUE with the
 * socket's owner in @uid; FALSE with G_IO_ERROR_NOT_FOUND when the kernel
 * knows no such socket, G_IO_ERROR_PENDING when the datagram holds no
 * answer to @seq (read the next one), or another error for a malformed or
 * mismatched reply. */
gboolean proxy_peer_parse_reply (const guint8 *data, gsize length, guint32 seq,
                                 const ProxyPeerEndpoint *source, uid_t *uid, GError **error);

typedef struct _ProxyPeers ProxyPeers;

ProxyPeers *proxy_peers_new (void);
void proxy_peers_free (ProxyPeers *peers);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ProxyPeers, proxy_peers_free)

/* The owner of the socket that sent from @source to the proxy's @local;
 * FALSE, with the reason, when @source is not a loopback address or the
 * kernel cannot tell. */
gboolean proxy_peers_lookup (ProxyPeers *peers, const ProxyPeerEndpoint *source,
                             const ProxyPeerEndpoint *local, uid_t *uid, GError **error);

G_END_DECLS
