/* SPDX-License-Identifier: MIT */
/* qcoap-cmd.h — the BG96's CoAP AT commands as text: the command lines the
 * daemon sends (AT+QCOAPCFG, OPEN, CLOSE, HEADER, OPTION, SEND; the PSK file
 * and the SSL context of a secure session), and the checks of what callers
 * give them.
 *
 * Builders return newly allocated command lines without the trailing CR.
 * They trust their numeric arguments to be in the ranges of the AT
 * reference (client IDs 0-5, and so on): the D-Bus layer validates what
 * callers give before it gets here. Out-of-range values are programming
 * errors, caught with g_return_val_if_fail(). Text that comes from callers
 * (hosts) is checked and rejected with QCOAP_ERROR_INVALID_ARGUMENT.
 */
#pragma once

#include <glib.h>

#include "qcoap-options.h"

G_BEGIN_DECLS

/* --- Checks ---------------------------------------------------------------- */

/* A host AT+QCOAPOPEN can carry: 1-255 bytes of UTF-8 without '"' or control
 * characters. The message says what is wrong in words a caller can act on. */
gboolean at_coap_validate_host (const char *host, GError **error);

/* --- Command builders (no trailing CR) ------------------------------------ */

/* AT+QCOAPCFG="pdpcid",<id>,<pdp_cid> (PDP context 1-16) and the query
 * AT+QCOAPCFG="pdpcid",<id>. */
char *at_coap_cmd_cfg_pdpcid (guint client_id, guint pdp_cid);
char *at_coap_cmd_cfg_pdpcid_query (guint client_id);

/* AT+QCOAPCFG="dtls",<id>,<0|1>,<ctx> (DTLS context 0-5) and its query. */
char *at_coap_cmd_cfg_dtls (guint client_id, gboolean enable, guint ssl_ctx);
char *at_coap_cmd_cfg_dtls_query (guint client_id);

/* AT+QCOAPCFG="trans",<id>,<ack_timeout>,<max_retransmit> (2-60 s, 4-8) and
 * its query. */
char *at_coap_cmd_cfg_trans (guint client_id, guint ack_timeout, guint max_retransmit);
char *at_coap_cmd_cfg_trans_query (guint client_id);

/* AT+QCOAPOPEN=<id>,"<host>",<port>; fails as at_coap_validate_host() does,
 * and for port 0. */
char *at_coap_cmd_open (guint client_id, const char *host, guint16 port, GError **error);

/* AT+QCOAPOPEN?, and the prefixes of its answer's lines (its AtCommand's
 * `response`). */
char *at_coap_cmd_open_query (void);
extern const char *const at_coap_open_query_response[];

/* AT+QCOAPCLOSE=<id> */
char *at_coap_cmd_close (guint client_id);

/* The header of the next message. With a @token (0-8 bytes), mode 0:
 * AT+QCOAPHEADER=<id>,<mid>,0,<TKL>,"<upper-case hex>"; an empty token is
 * TKL 0 with an empty quoted string, AT+QCOAPHEADER=<id>,<mid>,0,0,"" —
 * the reference writes the token as exactly 2*TKL hex digits in quotes, and
 * only mode 0 lets the host know the token. With @token NULL, mode 1 (the
 * modem picks a token it does not report): AT+QCOAPHEADER=<id>,<mid>,1. */
char *at_coap_cmd_header (guint client_id, guint16 message_id, GBytes *token);

/* AT+QCOAPOPTION=<id>,0,<slot>,<number>,<value> for slot 0-7, the value
 * written per its format: "text", decimal, "HEX" (upper case), "". The
 * option must have passed at_coap_option_validate(). */
char *at_coap_cmd_option_add (guint client_id, guint slot, const QcoapOption *option);

/* AT+QCOAPOPTION=<id>,1,<slot> */
char *at_coap_cmd_option_remove (guint client_id, guint slot);

/* AT+QCOAPSEND=<id>,<type>,<code>,<slot_mask>,<length>. A payload of length
 * 0 cannot be announced (the modem takes 1-1024), so for 0 the length is left
 * out, AT+QCOAPSEND=<id>,<type>,<code>,<slot_mask>, and the sender ends the
 * (empty) data with Ctrl+Z (0x1A). */
char *at_coap_cmd_send (guint client_id, guint8 type, guint8 code, guint8 slot_mask, gsize length);

/* The name of DTLS context @ssl_ctx's PSK file: "UFS:<ctx>_server.psk". */
char *at_coap_psk_file_name (guint ssl_ctx);

/* The contents of a PSK file: "<identity>&<key in lower-case hex>". The
 * identity must be 1-255 bytes of printable text without '&'; the key 1-64
 * bytes. Fails with QCOAP_ERROR_INVALID_ARGUMENT. */
char *at_coap_psk_file_contents (const char *identity, GBytes *key, GError **error);

/* AT+QFUPL="<file>",<size> and AT+QFDEL="<file>". */
char *at_coap_cmd_qfupl (const char *file_name, gsize size);
char *at_coap_cmd_qfdel (const char *file_name);

/* AT+QSSLCFG="dtls",<ctx>,1 and AT+QSSLCFG="dtlsversion",<ctx>,1 (DTLS 1.2). */
char *at_coap_cmd_ssl_dtls (guint ssl_ctx);
char *at_coap_cmd_ssl_dtls_version (guint ssl_ctx);

/* A TLS cipher suite as AT+QSSLCFG="ciphersuite" takes it: "0x" or "0X" and
 * four hexadecimal digits, e.g. 0x00AE (TLS_PSK_WITH_AES_128_CBC_SHA256);
 * returned as the modem prints it, "0X00AE". Fails with
 * QCOAP_ERROR_INVALID_ARGUMENT, saying what is wrong. */
char *at_coap_cipher_suite_normalize (const char *text, GError **error);

/* AT+QSSLCFG="ciphersuite",<ctx>,<suite>; @suite as normalised above. */
char *at_coap_cmd_ssl_cipher_suite (guint ssl_ctx, const char *suite);

/* The checksum +QFUPL reports: the XOR of the data as 16-bit big-endian
 * words, an odd last byte padded with 0x00. */
guint16 at_coap_qfupl_checksum (const guint8 *data, gsize length);

G_END_DECLS
