/* SPDX-License-Identifier: MIT */
/* fuzz-proxy-peer.c — qcoap-proxy's reader of the kernel's sock_diag
 * replies on arbitrary bytes, as if they came from the netlink socket: it
 * must never crash or read past the input, and it gives a user exactly
 * when it sets no error. */
#include <sys/socket.h>

#include "qcoap-proxy-peer.h"

/* What the seed corpus was made for: request 1, about 127.0.0.1:40001. */
#define FUZZ_SEQ  1
#define FUZZ_PORT 40001

int LLVMFuzzerTestOneInput (const guint8 *data, gsize size);

int
LLVMFuzzerTestOneInput (const guint8 *data, gsize size)
{
  ProxyPeerEndpoint source = { .family = AF_INET, .address = { 127, 0, 0, 1 }, .port = FUZZ_PORT };
  g_autoptr (GError) error = NULL;
  uid_t uid;
  gboolean answered = proxy_peer_parse_reply (data, size, FUZZ_SEQ, &source, &uid, &error);

  g_assert (answered == (error == NULL));
  return 0;
}
