/* SPDX-License-Identifier: MIT */
/* qcoap-proto.h — the BG96's CoAP AT commands and URCs as text.
 *
 * The builders of the command lines are in qcoap-cmd.h, above this. Parsers
 * take one response or URC line without its CR LF framing (as the
 * AT lexer reports it). Nothing here does I/O or keeps state, so every
 * function can be tested and fuzzed on its own.
 *
 * Parsers fail with G_IO_ERROR_INVALID_DATA and a message saying which field
 * was wrong; numbers outside their field's range (a client ID of 6, a message
 * ID of 65536, a result that does not fit an int) are failures too.
 */
#pragma once

#include <glib.h>

#include "qcoap-options.h"

G_BEGIN_DECLS

/* The module's limits (introspection/modem-facts.txt). */
#define QCOAP_MAX_CLIENTS   QCOAP_MODEM_MAX_CLIENTS /* client IDs 0-5 */
#define QCOAP_MAX_PAYLOAD   QCOAP_MODEM_MAX_PAYLOAD /* bytes of one AT+QCOAPSEND */
#define QCOAP_MAX_TOKEN     QCOAP_MODEM_MAX_TOKEN   /* bytes of a token */
#define QCOAP_MAX_HOST      QCOAP_MODEM_MAX_HOST    /* bytes of AT+QCOAPOPEN's server */
#define QCOAP_DEFAULT_PORT  5683
#define QCOAP_DEFAULT_PORTS 5684 /* coaps */

typedef enum
{
  QCOAP_TYPE_CON = 0,
  QCOAP_TYPE_NON = 1,
  QCOAP_TYPE_ACK = 2,
  QCOAP_TYPE_RST = 3,
} QcoapType;

/* The code of an empty message (RFC 7252 §4.1: no token, options or
 * payload), used for pings and empty ACKs. */
#define QCOAP_CODE_EMPTY 0

/* Status of a client in AT+QCOAPOPEN? */
typedef enum
{
  QCOAP_STATUS_IDLE = 0,
  QCOAP_STATUS_OPENING = 1,
  QCOAP_STATUS_CONNECTING = 2,
  QCOAP_STATUS_CONNECTED = 3,
  QCOAP_STATUS_DISCONNECTING = 4,
} QcoapClientStatus;

/* --- Response and URC parsers -------------------------------------------- */

typedef enum
{
  QCOAP_URC_NONE,        /* not one of the lines below */
  QCOAP_URC_RECV,        /* +QCOAPRECV: */
  QCOAP_URC_ACK,         /* +QCOAPACK: or +COAPACK: */
  QCOAP_URC_IND,         /* +QCOAPIND: */
  QCOAP_URC_OPEN_RESULT, /* +QCOAPOPEN: <id>,<result> */
  QCOAP_URC_OPEN_STATUS, /* +QCOAPOPEN: <id>,"<host>",<port>,<status> (AT+QCOAPOPEN?) */
  QCOAP_URC_CLOSE,       /* +QCOAPCLOSE: */
  QCOAP_URC_CFG,         /* +QCOAPCFG: (query responses) */
  QCOAP_URC_QFUPL,       /* +QFUPL: */
} QcoapUrcKind;

/* Which of the lines above @line is, by its prefix (and, for +QCOAPOPEN:,
 * by whether the second field is quoted). Does not check the fields. */
QcoapUrcKind at_coap_urc_classify (const char *line);
/* The client ID, the first field of every +QCOAP… URC (0-5); FALSE if the
 * line has none. Reads nothing else of the line. */
gboolean at_coap_urc_client_id (const char *line, guint *client_id);

/* +QCOAPRECV: <id>,<msgID>,<c.dd>,<TKL>,<token>,<opt_count>[,<num>,"<value>"…],<length>
 *
 * The token is hex in either case, quoted or not, and must have 2*TKL
 * digits. Options are typed back by the option table: string options as
 * text, uint options as numbers (also those the modem cannot send, such as
 * Observe, Block2 and Size2), opaque options from hex, If-None-Match as
 * empty; an unknown number, or a value that does not parse in its format,
 * comes back as OPAQUE holding the bytes of the printed text. String values
 * are printed raw, so a '"' or ',' inside one is not escaped: the line is
 * split by <opt_count> and the final <length> (the rule, and what it leaves
 * ambiguous, is described in qcoap-proto.c and daemon/AT-INTERFACE.md).
 *
 * Whatever the module received is taken: up to 64 options (the limit of
 * eight is the modem's for sending) and a payload length of 0 to 4294967295
 * (the AT lexer decides what it can report). */
typedef struct
{
  guint client_id;
  guint16 message_id;
  guint8 code; /* class*32 + detail */
  GBytes *token;
  GPtrArray *options; /* of QcoapOption */
  gsize payload_length;
} QcoapRecv;

QcoapRecv *at_coap_recv_parse (const char *line, GError **error);
/* Only the fields before the options (client ID, message ID, code, token) of
 * a line that may have been cut anywhere after them, as the lexer reports a
 * +QCOAPRECV too large to read: enough to tell who waited for it. The
 * options array is empty and payload_length 0, whatever the line says. */
QcoapRecv *at_coap_recv_parse_head (const char *line, GError **error);
/* Whether the fields before the options of @line read: a header that a
 * line end inside an option cut goes on (see AtLexerContinuationFunc). */
gboolean at_coap_recv_head_reads (const char *line);
void at_coap_recv_free (QcoapRecv *recv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QcoapRecv, at_coap_recv_free)

/* +QCOAPACK: <id>,<type>,<msgID>,<result> (also spelt +COAPACK:) */
typedef struct
{
  guint client_id;
  guint8 type;
  guint16 message_id;
  int result;
} QcoapAck;

gboolean at_coap_ack_parse (const char *line, QcoapAck *ack, GError **error);

/* +QCOAPIND: <id>,<type>,<msgID>,<retry_times>,<result> */
typedef struct
{
  guint client_id;
  guint8 type;
  guint16 message_id;
  guint attempt;
  int result;
} QcoapInd;

gboolean at_coap_ind_parse (const char *line, QcoapInd *ind, GError **error);

/* +QCOAPOPEN: <id>,<result> and +QCOAPCLOSE: <id>,<result> */
gboolean at_coap_open_result_parse (const char *line, guint *client_id, int *result,
                                    GError **error);
gboolean at_coap_close_result_parse (const char *line, guint *client_id, int *result,
                                     GError **error);

/* +QCOAPOPEN: <id>,"<host>",<port>,<status> — one line of AT+QCOAPOPEN?.
 * *host receives a newly allocated string. */
gboolean at_coap_open_status_parse (const char *line, guint *client_id, char **host, guint16 *port,
                                    QcoapClientStatus *status, GError **error);
/* Whether @line of AT+QCOAPOPEN? lists a client ID (0-5, into @client_id)
 * that is not idle: the module holds it. */
gboolean at_coap_open_status_lists_held (const char *line, guint *client_id);

/* +QFUPL: <size>,<checksum> (checksum in hex, either case). */
gboolean at_coap_qfupl_parse (const char *line, gsize *size, guint16 *checksum, GError **error);

/* "c.dd" → class*32 + detail (class 0-7, detail 0-31), and back ("4.04"). */
gboolean at_coap_code_parse (const char *text, guint8 *code);
char *at_coap_code_to_string (guint8 code);

G_END_DECLS
