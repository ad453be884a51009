/* sim-coap-format.h — how the modem names, checks and prints CoAP options and
 * messages: the option table of AT+QCOAPOPTION, the +QCOAPRECV line and a
 * one-line summary for the traffic log. Free of I/O.
 */
#pragma once

#include "coap-pdu.h"

G_BEGIN_DECLS

typedef enum
{
  SIM_OPTION_EMPTY,
  SIM_OPTION_OPAQUE,
  SIM_OPTION_UINT,
  SIM_OPTION_STRING,
} SimOptionFormat;

typedef struct
{
  guint16 number;
  SimOptionFormat format;
  guint16 min_length;
  guint16 max_length;
  gboolean settable; /* accepted by AT+QCOAPOPTION */
} SimOptionInfo;

/* The format of option @number: the 15 of AT+QCOAPOPTION, and the integer
 * options that only appear in received messages (Observe, Block1/2, Size2,
 * Hop-Limit, Q-Block1/2, No-Response). NULL for any other number. */
const SimOptionInfo *sim_coap_option_info (guint number);

/* Minimal big-endian encoding of a uint option value (0 has no bytes). */
guint sim_coap_uint_encode (guint64 value, guint8 out[8]);
guint64 sim_coap_uint_decode (const guint8 *data, gsize length);

/* Returns TRUE for the code values of the application note's table. */
gboolean sim_coap_code_is_valid (guint code);

/* "+QCOAPRECV: <id>,<msgID>,<c.dd>,<TKL>,<token>,<opt_count>[,<num>,"<value>"]…,<length>"
 * without the line end. */
char *sim_coap_format_recv (guint id, const CoapPdu *pdu);

/* "CON GET mid=1234 token=0A0B [11:"time"] payload=0" for the log. */
char *sim_coap_describe (const CoapPdu *pdu);

G_END_DECLS
