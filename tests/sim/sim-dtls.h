/* SPDX-License-Identifier: MIT */
/* sim-dtls.h — the DTLS 1.2 client with a pre-shared key that the module
 * runs for a CoAP client whose AT+QCOAPCFG="dtls" is on.
 *
 * Built on GnuTLS, driven entirely by its owner: datagrams from the network
 * are handed in with sim_dtls_receive(), and the records GnuTLS wants on the
 * wire leave through the send function given to sim_dtls_new(). So the
 * socket, its GLib source and the simulated link stay with the CoAP client,
 * and no thread or blocking call is involved. Handshake retransmissions run
 * on timers of the thread-default main context.
 *
 * Nothing here logs or keeps the key beyond GnuTLS's own credentials.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How long a handshake may take before the open fails with -9. A server
 * given the wrong key answers nothing at all (libcoap's coap-server sends no
 * alert), so this is also how long a wrong key takes to be reported. Real
 * modules wait longer; tests want it short. */
#define SIM_DTLS_HANDSHAKE_TIMEOUT_MS 4000

typedef struct _SimDtls SimDtls;

/* Writes one datagram to the network. */
typedef void (*SimDtlsSendFunc) (const guint8 *data, gsize length, gpointer user_data);
/* The handshake ended: @ok, or failed for @reason. Called from the main
 * loop, never from inside a SimDtls call, so it may free @dtls. */
typedef void (*SimDtlsDoneFunc) (SimDtls *dtls, gboolean ok, const char *reason,
                                 gpointer user_data);

SimDtls *sim_dtls_new (const char *identity, GBytes *key, SimDtlsSendFunc send_func,
                       gpointer user_data, GError **error);
void sim_dtls_free (SimDtls *dtls);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimDtls, sim_dtls_free)

/* Sends the first flight and reports the outcome once, within @timeout_ms. */
void sim_dtls_handshake (SimDtls *dtls, guint timeout_ms, SimDtlsDoneFunc done_func);

gboolean sim_dtls_is_established (SimDtls *dtls);

/* A datagram from the server: during the handshake it moves the handshake on
 * (returns an empty array); afterwards returns the application data it
 * carried (GBytes, usually one). Records that fail to decrypt are dropped, as
 * RFC 6347 §4.1.2.7 allows. */
GPtrArray *sim_dtls_receive (SimDtls *dtls, const guint8 *data, gsize length);

/* Encrypts @data as one record, which leaves through the send function. */
gboolean sim_dtls_send (SimDtls *dtls, const guint8 *data, gsize length, GError **error);

G_END_DECLS
