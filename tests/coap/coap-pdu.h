/* SPDX-License-Identifier: MIT */
/* coap-pdu.h — RFC 7252 message encoding and decoding for the BG96 simulator.
 *
 * The simulator plays the modem's firmware, so it carries its own small codec
 * rather than libcoap's: libcoap chooses message IDs and tokens itself, while
 * the firmware must put exactly the host's message ID and token on the wire.
 *
 * The codec is pure (no I/O, no allocation on decode) so it can be unit-tested
 * against byte vectors and fuzzed.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define COAP_MAX_TOKEN_LEN 8
/* A decoded message may carry more options than the modem can send (8). */
#define COAP_PDU_MAX_OPTIONS 64
/* Largest datagram the simulator builds or accepts. */
#define COAP_MAX_DATAGRAM 1500

typedef enum
{
  COAP_TYPE_CON = 0,
  COAP_TYPE_NON = 1,
  COAP_TYPE_ACK = 2,
  COAP_TYPE_RST = 3,
} CoapType;

typedef struct
{
  guint16 number;
  guint16 length;
  /* Points into the buffer given to coap_pdu_decode(), or into caller-owned
   * memory for coap_pdu_encode(). */
  const guint8 *value;
} CoapOption;

typedef struct
{
  guint8 type; /* CoapType */
  guint8 code; /* class * 32 + detail */
  guint16 message_id;
  guint8 token_length; /* 0..8 */
  guint8 token[COAP_MAX_TOKEN_LEN];
  guint n_options;
  CoapOption options[COAP_PDU_MAX_OPTIONS];
  const guint8 *payload; /* NULL or points into the decoded buffer */
  gsize payload_length;
} CoapPdu;

#define COAP_PDU_ERROR (coap_pdu_error_quark ())
GQuark coap_pdu_error_quark (void);

typedef enum
{
  COAP_PDU_ERROR_MALFORMED, /* the datagram is not a valid CoAP message */
  COAP_PDU_ERROR_TOO_LARGE, /* the message does not fit the output buffer */
} CoapPduError;

/* Decodes @len bytes at @data into @pdu. Option values and the payload point
 * into @data, which must outlive @pdu. Rejects: version != 1, TKL > 8, a
 * truncated header/token/option, option delta or length nibble 15 outside the
 * payload marker, a payload marker followed by nothing, more than
 * COAP_PDU_MAX_OPTIONS options, and an empty message (code 0) with anything
 * after the header. */
gboolean coap_pdu_decode (const guint8 *data, gsize len, CoapPdu *pdu, GError **error);

/* Encodes @pdu into @buf (at most @buf_size bytes). Options are written in
 * ascending option number; options with the same number keep their relative
 * order (stable sort), as RFC 7252 §3.1 requires for repeated options.
 * Returns the encoded length, or -1 with COAP_PDU_ERROR_TOO_LARGE. */
gssize coap_pdu_encode (const CoapPdu *pdu, guint8 *buf, gsize buf_size, GError **error);

/* Appends an option to @pdu (value not copied). FALSE when full. */
gboolean coap_pdu_add_option (CoapPdu *pdu, guint16 number, const guint8 *value, guint16 length);

/* Returns the @index-th option with @number (0-based), or NULL. */
const CoapOption *coap_pdu_find_option (const CoapPdu *pdu, guint16 number, guint index);

/* "2.05" style text for @code into @buf (at least 5 bytes). */
const char *coap_code_to_string (guint8 code, char buf[static 5]);

G_END_DECLS
