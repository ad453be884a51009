/* SPDX-License-Identifier: MIT */
/* dtls-psk.h — putting a DTLS pre-shared key on the modem and taking it
 * away again (daemon/AT-INTERFACE.md, "DTLS with a pre-shared key").
 *
 * A DTLS session of client ID N uses DTLS context N, whose key lives in the
 * modem's file "UFS:N_server.psk" as "<identity>&<key in hex>". Installing
 * removes any old file (AT+QFDEL; "not found" is fine), uploads the new one
 * (AT+QFUPL, checking the size and checksum the modem reports and uploading
 * once more if they differ), then turns DTLS 1.2 on for the context
 * (AT+QSSLCFG "dtls" and "dtlsversion", and "ciphersuite" when one is
 * configured) and for the client
 * (AT+QCOAPCFG="dtls",N,1,N). Removing deletes the file and turns DTLS off
 * for the client again, so a later plain session on that ID is plain.
 *
 * All AT work goes through the client pool as transactions of the client
 * ID, so it is scheduled like the session's own commands and keeps their
 * order. The key travels only as the upload's payload, which the AT engine
 * logs as a byte count; no message here contains it, and the file contents
 * are wiped from memory once sent.
 */
#pragma once

#include <gio/gio.h>

#include "client-pool.h"

G_BEGIN_DECLS

/* An identity of 1-255 printable bytes without '&', and a key of 1-64
 * bytes: what the PSK file can hold. Fails with
 * QCOAP_ERROR_INVALID_ARGUMENT, in words that never quote the key. */
gboolean dtls_psk_validate (const char *identity, GBytes *key, GError **error);

/* The TLS cipher suite every DTLS context is set to before its session
 * opens (AT+QSSLCFG="ciphersuite"), as at_coap_cipher_suite_normalize() writes
 * it; NULL (the default) sends no such command and leaves the module's own
 * choice. Set once, from the configuration, before the first session. */
void dtls_psk_set_cipher_suite (const char *suite);

void dtls_psk_install (ClientPool *pool, guint client_id, guint ssl_ctx, const char *identity,
                       GBytes *key, GCancellable *cancellable, GAsyncReadyCallback callback,
                       gpointer user_data);
gboolean dtls_psk_install_finish (GAsyncResult *result, GError **error);

/* Deletes the PSK file of @ssl_ctx and turns DTLS off for @client_id. Both
 * are attempted whatever the other's outcome; failures are logged (the
 * modem may be gone). @callback may be NULL. */
void dtls_psk_remove (ClientPool *pool, guint client_id, guint ssl_ctx,
                      GAsyncReadyCallback callback, gpointer user_data);
gboolean dtls_psk_remove_finish (GAsyncResult *result, GError **error);

G_END_DECLS
