/* qcoap-proto.h — the BG96's CoAP AT commands and URCs as text.
 *
 * Builders return newly allocated command lines without the trailing CR;
 * parsers take one response or URC line without its CR LF framing (as the
 * AT lexer reports it). Nothing here does I/O or keeps state, so every
 * function can be tested and fuzzed on its own.
 *
 * Builders trust their numeric arguments to be in the ranges of the AT
 * reference (client IDs 0-5, and so on): the D-Bus layer validates what
 * callers give before it gets here. Out-of-range values are programming
 * errors, caught with g_return_val_if_fail(). Text that comes from callers
 * (hosts) is checked and rejected with QCOAP_ERROR_INVALID_ARGUMENT.
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

/* --- Checks ---------------------------------------------------------------- */

/* A host AT+QCOAPOPEN can carry: 1-255 bytes of UTF-8 without '"' or control
 * characters. The message says what is wrong in words a caller can act on. */
gboolean qcoap_validate_host (const char *host, GError **error);

/* --- Command builders (no trailing CR) ------------------------------------ */

/* AT+QCOAPCFG="pdpcid",<id>,<pdp_cid> (PDP context 1-16) and the query
 * AT+QCOAPCFG="pdpcid",<id>. */
char *qcoap_cmd_cfg_pdpcid (guint client_id, guint pdp_cid);
char *qcoap_cmd_cfg_pdpcid_query (guint client_id);

/* AT+QCOAPCFG="dtls",<id>,<0|1>,<ctx> (DTLS context 0-5) and its query. */
char *qcoap_cmd_cfg_dtls (guint client_id, gboolean enable, guint ssl_ctx);
char *qcoap_cmd_cfg_dtls_query (guint client_id);

/* AT+QCOAPCFG="trans",<id>,<ack_timeout>,<max_retransmit> (2-60 s, 4-8) and
 * its query. */
char *qcoap_cmd_cfg_trans (guint client_id, guint ack_timeout, guint max_retransmit);
char *qcoap_cmd_cfg_trans_query (guint client_id);

/* AT+QCOAPOPEN=<id>,"<host>",<port>; fails as qcoap_validate_host() does,
 * and for port 0. */
char *qcoap_cmd_open (guint client_id, const char *host, guint16 port, GError **error);

/* AT+QCOAPOPEN? */
char *qcoap_cmd_open_query (void);

/* AT+QCOAPCLOSE=<id> */
char *qcoap_cmd_close (guint client_id);

/* The header of the next message. With a @token (0-8 bytes), mode 0:
 * AT+QCOAPHEADER=<id>,<mid>,0,<TKL>,"<upper-case hex>"; an empty token is
 * TKL 0 with an empty quoted string, AT+QCOAPHEADER=<id>,<mid>,0,0,"" —
 * the reference writes the token as exactly 2*TKL hex digits in quotes, and
 * only mode 0 lets the host know the token. With @token NULL, mode 1 (the
 * modem picks a token it does not report): AT+QCOAPHEADER=<id>,<mid>,1. */
char *qcoap_cmd_header (guint client_id, guint16 message_id, GBytes *token);

/* AT+QCOAPOPTION=<id>,0,<slot>,<number>,<value> for slot 0-7, the value
 * written per its format: "text", decimal, "HEX" (upper case), "". The
 * option must have passed qcoap_option_validate(). */
char *qcoap_cmd_option_add (guint client_id, guint slot, const QcoapOption *option);

/* AT+QCOAPOPTION=<id>,1,<slot> */
char *qcoap_cmd_option_remove (guint client_id, guint slot);

/* AT+QCOAPSEND=<id>,<type>,<code>,<slot_mask>,<length>. A payload of length
 * 0 cannot be announced (the modem takes 1-1024), so for 0 the length is left
 * out, AT+QCOAPSEND=<id>,<type>,<code>,<slot_mask>, and the sender ends the
 * (empty) data with Ctrl+Z (0x1A). */
char *qcoap_cmd_send (guint client_id, guint8 type, guint8 code, guint8 slot_mask, gsize length);

/* The name of DTLS context @ssl_ctx's PSK file: "UFS:<ctx>_server.psk". */
char *qcoap_psk_file_name (guint ssl_ctx);

/* The contents of a PSK file: "<identity>&<key in lower-case hex>". The
 * identity must be 1-255 bytes of printable text without '&'; the key 1-64
 * bytes. Fails with QCOAP_ERROR_INVALID_ARGUMENT. */
char *qcoap_psk_file_contents (const char *identity, GBytes *key, GError **error);

/* AT+QFUPL="<file>",<size> and AT+QFDEL="<file>". */
char *qcoap_cmd_qfupl (const char *file_name, gsize size);
char *qcoap_cmd_qfdel (const char *file_name);

/* AT+QSSLCFG="dtls",<ctx>,1 and AT+QSSLCFG="dtlsversion",<ctx>,1 (DTLS 1.2). */
char *qcoap_cmd_ssl_dtls (guint ssl_ctx);
char *qcoap_cmd_ssl_dtls_version (guint ssl_ctx);

/* A TLS cipher suite as AT+QSSLCFG="ciphersuite" takes it: "0x" or "0X" and
 * four hexadecimal digits, e.g. 0x00AE (TLS_PSK_WITH_AES_128_CBC_SHA256);
 * returned as the modem prints it, "0X00AE". Fails with
 * QCOAP_ERROR_INVALID_ARGUMENT, saying what is wrong. */
char *qcoap_cipher_suite_normalize (const char *text, GError **error);

/* AT+QSSLCFG="ciphersuite",<ctx>,<suite>; @suite as normalised above. */
char *qcoap_cmd_ssl_cipher_suite (guint ssl_ctx, const char *suite);

/* The checksum +QFUPL reports: the XOR of the data as 16-bit big-endian
 * words, an odd last byte padded with 0x00. */
guint16 qcoap_qfupl_checksum (const guint8 *data, gsize length);

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
QcoapUrcKind qcoap_urc_classify (const char *line);
/* The client ID, the first field of every +QCOAP… URC (0-5); FALSE if the
 * line has none. Reads nothing else of the line. */
gboolean qcoap_urc_client_id (const char *line, guint *client_id);

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

QcoapRecv *qcoap_recv_parse (const char *line, GError **error);
/* Only the fields before the options (client ID, message ID, code, token) of
 * a line that may have been cut anywhere after them, as the lexer reports a
 * +QCOAPRECV too large to read: enough to tell who waited for it. The
 * options array is empty and payload_length 0, whatever the line says. */
QcoapRecv *qcoap_recv_parse_head (const char *line, GError **error);
void qcoap_recv_free (QcoapRecv *recv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QcoapRecv, qcoap_recv_free)

/* +QCOAPACK: <id>,<type>,<msgID>,<result> (also spelt +COAPACK:) */
typedef struct
{
  guint client_id;
  guint8 type;
  guint16 message_id;
  int result;
} QcoapAck;

gboolean qcoap_ack_parse (const char *line, QcoapAck *ack, GError **error);

/* +QCOAPIND: <id>,<type>,<msgID>,<retry_times>,<result> */
typedef struct
{
  guint client_id;
  guint8 type;
  guint16 message_id;
  guint attempt;
  int result;
} QcoapInd;

gboolean qcoap_ind_parse (const char *line, QcoapInd *ind, GError **error);

/* +QCOAPOPEN: <id>,<result> and +QCOAPCLOSE: <id>,<result> */
gboolean qcoap_open_result_parse (const char *line, guint *client_id, int *result, GError **error);
gboolean qcoap_close_result_parse (const char *line, guint *client_id, int *result, GError **error);

/* +QCOAPOPEN: <id>,"<host>",<port>,<status> — one line of AT+QCOAPOPEN?.
 * *host receives a newly allocated string. */
gboolean qcoap_open_status_parse (const char *line, guint *client_id, char **host, guint16 *port,
                                  QcoapClientStatus *status, GError **error);

/* +QFUPL: <size>,<checksum> (checksum in hex, either case). */
gboolean qcoap_qfupl_parse (const char *line, gsize *size, guint16 *checksum, GError **error);

/* "c.dd" → class*32 + detail (class 0-7, detail 0-31), and back ("4.04"). */
gboolean qcoap_code_parse (const char *text, guint8 *code);
char *qcoap_code_to_string (guint8 code);

G_END_DECLS
