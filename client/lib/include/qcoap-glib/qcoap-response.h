/* SPDX-License-Identifier: MIT */
/* qcoap-response.h — a CoAP message received from a server: the answer to a
 * request, or any message a session's "received" signal reports. */
#pragma once

#if !defined(QCOAP_GLIB_INSIDE) && !defined(QCOAP_GLIB_COMPILATION)
#error "Only <qcoap-glib/qcoap-glib.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

#define QCOAP_TYPE_RESPONSE (qcoap_response_get_type ())
GType qcoap_response_get_type (void);

/* Immutable and reference counted. */
typedef struct _QcoapResponse QcoapResponse;

/* @options is an a(qv) (NULL for none; a floating reference is sunk),
 * @payload NULL for none. The message ID and token are those of a received
 * message; responses returned by a request have message ID 0 and no token. */
QcoapResponse *qcoap_response_new (guint8 code, GVariant *options, GBytes *payload);
QcoapResponse *qcoap_response_new_received (guint16 message_id, guint8 code, GBytes *token,
                                            GVariant *options, GBytes *payload);

QcoapResponse *qcoap_response_ref (QcoapResponse *response);
void qcoap_response_unref (QcoapResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QcoapResponse, qcoap_response_unref)

/* The code, e.g. 69; see qcoap_code_to_string(). */
guint8 qcoap_response_get_code (QcoapResponse *response);

/* TRUE for class 2 (Success) codes. */
gboolean qcoap_response_is_success (QcoapResponse *response);

guint16 qcoap_response_get_message_id (QcoapResponse *response);

/* The token; never NULL (may be empty). */
GBytes *qcoap_response_get_token (QcoapResponse *response);

/* The options as an a(qv), in the order received; never NULL. */
GVariant *qcoap_response_get_options (QcoapResponse *response);

/* The value of the first option @number (a new reference), or NULL. */
GVariant *qcoap_response_lookup_option (QcoapResponse *response, guint16 number);

/* The Content-Format option's value, or -1 when the response has none. */
gint qcoap_response_get_content_format (QcoapResponse *response);

/* TRUE when the response is the first block of a larger body (Block2 with
 * its M bit set, RFC 7959): the modem cannot ask the server for the further
 * blocks, so the payload is only the start of the body. *@out_total_size is
 * then the whole body's size from the Size2 option, or 0 without one. */
gboolean qcoap_response_is_truncated (QcoapResponse *response, guint *out_total_size);

/* The payload; never NULL (may be empty). */
GBytes *qcoap_response_get_payload (QcoapResponse *response);

G_END_DECLS
