/* SPDX-License-Identifier: MIT */
/* sim-coap-format.h — how the modem prints CoAP messages: the +QCOAPRECV
 * line and a one-line summary for the traffic log. Free of I/O.
 *
 * The options the modem takes and prints, and the codes it takes, are those
 * of introspection/modem-facts.txt (qcoap-modem.h), which the daemon reads
 * too. */
#pragma once

#include "coap-pdu.h"
#include "qcoap-modem.h"

G_BEGIN_DECLS

/* Minimal big-endian encoding of a uint option value (0 has no bytes). */
guint sim_coap_uint_encode (guint64 value, guint8 out[8]);
guint64 sim_coap_uint_decode (const guint8 *data, gsize length);

/* "+QCOAPRECV: <id>,<msgID>,<c.dd>,<TKL>,<token>,<opt_count>[,<num>,"<value>"]…,<length>"
 * without the line end. */
char *sim_coap_format_recv (guint id, const CoapPdu *pdu);

/* "CON GET mid=1234 token=0A0B [11:"time"] payload=0" for the log. */
char *sim_coap_describe (const CoapPdu *pdu);

G_END_DECLS
