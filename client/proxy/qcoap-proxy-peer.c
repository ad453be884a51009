/* SPDX-License-Identifier: MIT */
/* qcoap-proxy-peer.c — see qcoap-proxy-peer.h. */
#include "qcoap-proxy-peer.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

/* The kernel answers a sock_diag request while it handles the send, so the
 * reply is there at once; this only bounds a wait that should not happen. */
#define REPLY_TIMEOUT_MS 100
/* The largest errno the kernel reports (include/linux/err.h). */
#define MAX_ERRNO 4095
/* Large enough for one inet_diag_msg with its attributes, many times over. */
#define REPLY_BUFFER_SIZE 8192
/* Answers remembered at most; past it the expired ones are dropped, and if
 * that is not enough, all of them. */
#define CACHE_MAX 256

#define IPV4_LENGTH     4
#define IPV6_LENGTH     16
#define LOOPBACK_NET_V4 127

typedef struct
{
  struct nlmsghdr header;
  struct inet_diag_req_v2 request;
} DiagRequest;

/* ---- endpoints ---- */

static gboolean
endpoint_from_ipv6 (const struct sockaddr_in6 *in6, ProxyPeerEndpoint *endpoint)
{
  endpoint->port = g_ntohs (in6->sin6_port);
  /* A dual-stack endpoint sees IPv4 clients as ::ffff:a.b.c.d; their
   * sockets are IPv4 ones. */
  if (IN6_IS_ADDR_V4MAPPED (&in6->sin6_addr))
    {
      endpoint->family = AF_INET;
      memcpy (endpoint->address, in6->sin6_addr.s6_addr + IPV6_LENGTH - IPV4_LENGTH, IPV4_LENGTH);
      return TRUE;
    }
  endpoint->family = AF_INET6;
  memcpy (endpoint->address, in6->sin6_addr.s6_addr, IPV6_LENGTH);
  return TRUE;
}

gboolean
proxy_peer_endpoint_from_native (const struct sockaddr *native, gsize length,
                                 ProxyPeerEndpoint *endpoint, GError **error)
{
  struct sockaddr_in in4;
  struct sockaddr_in6 in6;

  memset (endpoint, 0, sizeof *endpoint);
  if (length >= sizeof in4 && native->sa_family == AF_INET)
    {
      memcpy (&in4, native, sizeof in4);
      endpoint->family = AF_INET;
      endpoint->port = g_ntohs (in4.sin_port);
      memcpy (endpoint->address, &in4.sin_addr, IPV4_LENGTH);
      return TRUE;
    }
  if (length >= sizeof in6 && native->sa_family == AF_INET6)
    {
      memcpy (&in6, native, sizeof in6);
      return endpoint_from_ipv6 (&in6, endpoint);
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               "the sender's address is neither IPv4 nor IPv6");
  return FALSE;
}

gboolean
proxy_peer_endpoint_is_loopback (const ProxyPeerEndpoint *endpoint)
{
  if (endpoint->family == AF_INET)
    return endpoint->address[0] == LOOPBACK_NET_V4;
  return endpoint->family == AF_INET6
         && IN6_IS_ADDR_LOOPBACK ((const struct in6_addr *)endpoint->address);
}

char *
proxy_peer_endpoint_to_string (const ProxyPeerEndpoint *endpoint)
{
  gboolean ipv6 = endpoint->family == AF_INET6;
  g_autoptr (GInetAddress) address = g_inet_address_new_from_bytes (
      endpoint->address, ipv6 ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4);
  g_autofree char *text = g_inet_address_to_string (address);

  return g_strdup_printf ("%s%s%s:%u", ipv6 ? "[" : "", text, ipv6 ? "]" : "", endpoint->port);
}

/* ---- messages ---- */

gsize
proxy_peer_request_size (void)
{
  return NLMSG_LENGTH (sizeof (struct inet_diag_req_v2));
}

gsize
proxy_peer_build_request (const ProxyPeerEndpoint *source, const ProxyPeerEndpoint *local,
                          guint32 seq, guint8 *buffer, gsize size)
{
  DiagRequest message = { 0 };
  gsize address_length = source->family == AF_INET ? IPV4_LENGTH : IPV6_LENGTH;

  if (size < proxy_peer_request_size () || source->family != local->family)
    return 0;
  message.header.nlmsg_len = proxy_peer_request_size ();
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  /* One socket, not a dump: the kernel looks it up like an arriving
   * datagram. */
  message.header.nlmsg_flags = NLM_F_REQUEST;
  message.header.nlmsg_seq = seq;
  message.request.sdiag_family = source->family;
  message.request.sdiag_protocol = IPPROTO_UDP;
  message.request.idiag_states = G_MAXUINT32;
  /* For UDP the kernel reads the socket's own address from the "dst"
   * fields and its peer's from the "src" ones: the client's socket is
   * bound to @source and may be connected to @local. */
  message.request.id.idiag_dport = g_htons (source->port);
  memcpy (message.request.id.idiag_dst, source->address, address_length);
  message.request.id.idiag_sport = g_htons (local->port);
  memcpy (message.request.id.idiag_src, local->address, address_length);
  message.request.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  message.request.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  memcpy (buffer, &message, proxy_peer_request_size ());
  return proxy_peer_request_size ();
}

static gboolean
malformed (GError **error, const char *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "sock_diag: %s", what);
  return FALSE;
}

static gboolean
parse_error_message (const guint8 *payload, gsize length, gboolean *answered, GError **error)
{
  int code;

  if (length < sizeof code)
    return malformed (error, "a truncated error message");
  memcpy (&code, payload, sizeof code);
  if (code == 0)
    return TRUE; /* an acknowledgement, which carries no answer */
  *answered = TRUE;
  /* The kernel sends a negative errno; anything else is not its. */
  if (code > 0 || code < -MAX_ERRNO)
    return malformed (error, "an error message with no errno in it");
  if (code == -ENOENT)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no local UDP socket sent it");
  else
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (-code), "sock_diag: %s",
                 g_strerror (-code));
  return FALSE;
}

static gboolean
parse_diag_message (const guint8 *payload, gsize length, const ProxyPeerEndpoint *source,
                    uid_t *uid, GError **error)
{
  struct inet_diag_msg message;

  if (length < sizeof message)
    return malformed (error, "a truncated socket description");
  memcpy (&message, payload, sizeof message);
  /* The kernel names the socket by its own port: it must be the one asked
   * about. An IPv4 sender may own an IPv6 socket that takes IPv4 too (as
   * aiocoap's is). */
  if ((message.idiag_family != source->family
       && !(source->family == AF_INET && message.idiag_family == AF_INET6))
      || message.id.idiag_sport != g_htons (source->port))
    return malformed (error, "the reply describes another socket");
  *uid = message.idiag_uid;
  return TRUE;
}

/* One message of the reply; *@answered once it settles the question. */
static gboolean
parse_message (const struct nlmsghdr *header, const guint8 *payload, guint32 seq,
               const ProxyPeerEndpoint *source, uid_t *uid, gboolean *answered, GError **error)
{
  gsize length = header->nlmsg_len - NLMSG_HDRLEN;

  if (header->nlmsg_seq != seq)
    return TRUE; /* the late answer to an earlier request */
  switch (header->nlmsg_type)
    {
      case NLMSG_ERROR:
        return parse_error_message (payload, length, answered, error);
      case NLMSG_DONE:
        *answered = TRUE;
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no local UDP socket sent it");
        return FALSE;
      case SOCK_DIAG_BY_FAMILY:
        *answered = TRUE;
        return parse_diag_message (payload, length, source, uid, error);
      default:
        return TRUE;
    }
}

gboolean
proxy_peer_parse_reply (const guint8 *data, gsize length, guint32 seq,
                        const ProxyPeerEndpoint *source, uid_t *uid, GError **error)
{
  gsize offset = 0;

  while (length - offset >= NLMSG_HDRLEN)
    {
      struct nlmsghdr header;
      gboolean answered = FALSE;

      /* Copied out: a crafted buffer need not be aligned. */
      memcpy (&header, data + offset, sizeof header);
      if (header.nlmsg_len < NLMSG_HDRLEN || header.nlmsg_len > length - offset)
        return malformed (error, "a message's length runs past the reply");
      if (!parse_message (&header, data + offset + NLMSG_HDRLEN, seq, source, uid, &answered,
                          error))
        return FALSE;
      if (answered)
        return TRUE;
      offset += MIN (NLMSG_ALIGN (header.nlmsg_len), length - offset);
    }
  if (offset != length)
    return malformed (error, "a truncated message header");
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_PENDING, "no answer to request %u yet", seq);
  return FALSE;
}

/* ---- asking the kernel ---- */

typedef struct
{
  uid_t uid;
  gint64 expires_us;
} CachedPeer;

struct _ProxyPeers
{
  int fd; /* the sock_diag socket, or -1 until first use */
  guint32 seq;
  GHashTable *cache; /* GBytes (ProxyPeerEndpoint) → CachedPeer */
};

ProxyPeers *
proxy_peers_new (void)
{
  ProxyPeers *peers = g_new0 (ProxyPeers, 1);

  peers->fd = -1;
  peers->cache
      = g_hash_table_new_full (g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref, g_free);
  return peers;
}

void
proxy_peers_free (ProxyPeers *peers)
{
  if (peers->fd >= 0)
    close (peers->fd);
  g_hash_table_unref (peers->cache);
  g_free (peers);
}

static gboolean
set_errno_error (GError **error, const char *what)
{
  int saved = errno;

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "sock_diag: %s: %s", what,
               g_strerror (saved));
  return FALSE;
}

static gboolean
open_socket (ProxyPeers *peers, GError **error)
{
  if (peers->fd >= 0)
    return TRUE;
  peers->fd = socket (AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_SOCK_DIAG);
  return peers->fd >= 0 || set_errno_error (error, "socket");
}

/* Drops whatever an earlier request left behind. */
static void
drain (ProxyPeers *peers, guint8 *buffer, gsize size)
{
  while (recv (peers->fd, buffer, size, MSG_DONTWAIT) > 0)
    ;
}

static gboolean
send_request (ProxyPeers *peers, const ProxyPeerEndpoint *source, const ProxyPeerEndpoint *local,
              GError **error)
{
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  guint8 request[sizeof (DiagRequest)];
  gsize length = proxy_peer_build_request (source, local, ++peers->seq, request, sizeof request);

  if (length == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "the sender and the endpoint are of different address families");
      return FALSE;
    }
  if (sendto (peers->fd, request, length, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0)
    return set_errno_error (error, "send");
  return TRUE;
}

static gboolean
receive_answer (ProxyPeers *peers, const ProxyPeerEndpoint *source, guint8 *buffer, gsize size,
                uid_t *uid, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + REPLY_TIMEOUT_MS * 1000;

  for (;;)
    {
      struct pollfd poll_fd = { peers->fd, POLLIN, 0 };
      gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
      g_autoptr (GError) local_error = NULL;
      ssize_t length;

      if (left_ms <= 0 || poll (&poll_fd, 1, (int)left_ms) <= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "sock_diag: no answer");
          return FALSE;
        }
      length = recv (peers->fd, buffer, size, MSG_DONTWAIT);
      if (length < 0 && errno != EAGAIN && errno != EINTR)
        return set_errno_error (error, "receive");
      if (length > 0
          && proxy_peer_parse_reply (buffer, length, peers->seq, source, uid, &local_error))
        return TRUE;
      if (local_error != NULL && !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_PENDING))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
}

static gboolean
ask_kernel (ProxyPeers *peers, const ProxyPeerEndpoint *source, const ProxyPeerEndpoint *local,
            uid_t *uid, GError **error)
{
  union
  {
    struct nlmsghdr align;
    guint8 bytes[REPLY_BUFFER_SIZE];
  } reply;

  if (!open_socket (peers, error))
    return FALSE;
  drain (peers, reply.bytes, sizeof reply.bytes);
  if (send_request (peers, source, local, error)
      && receive_answer (peers, source, reply.bytes, sizeof reply.bytes, uid, error))
    return TRUE;
  return FALSE;
}

static void
remember (ProxyPeers *peers, GBytes *key, uid_t uid)
{
  gint64 now = g_get_monotonic_time ();
  CachedPeer *cached = g_new (CachedPeer, 1);
  GHashTableIter iter;
  CachedPeer *old;

  if (g_hash_table_size (peers->cache) >= CACHE_MAX)
    {
      g_hash_table_iter_init (&iter, peers->cache);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&old))
        if (old->expires_us <= now)
          g_hash_table_iter_remove (&iter);
    }
  if (g_hash_table_size (peers->cache) >= CACHE_MAX)
    g_hash_table_remove_all (peers->cache);
  cached->uid = uid;
  cached->expires_us = now + PROXY_PEER_CACHE_LIFETIME_US;
  g_hash_table_replace (peers->cache, g_bytes_ref (key), cached);
}

gboolean
proxy_peers_lookup (ProxyPeers *peers, const ProxyPeerEndpoint *source,
                    const ProxyPeerEndpoint *local, uid_t *uid, GError **error)
{
  g_autoptr (GBytes) key = g_bytes_new (source, sizeof *source);
  CachedPeer *cached = g_hash_table_lookup (peers->cache, key);

  if (!proxy_peer_endpoint_is_loopback (source))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "it did not come from a loopback address");
      return FALSE;
    }
  if (cached != NULL && cached->expires_us > g_get_monotonic_time ())
    {
      *uid = cached->uid;
      return TRUE;
    }
  if (!ask_kernel (peers, source, local, uid, error))
    return FALSE;
  remember (peers, key, *uid);
  return TRUE;
}
