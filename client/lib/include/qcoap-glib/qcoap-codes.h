/* SPDX-License-Identifier: MIT */
/* qcoap-codes.h — CoAP codes, message types, options and content formats as
 * qcoapd's D-Bus API carries them, with their names for people. */
#pragma once

#if !defined(QCOAP_GLIB_INSIDE) && !defined(QCOAP_GLIB_COMPILATION)
#error "Only <qcoap-glib/qcoap-glib.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/* Request codes (class 0). */
typedef enum
{
  QCOAP_METHOD_GET = 1,
  QCOAP_METHOD_POST = 2,
  QCOAP_METHOD_PUT = 3,
  QCOAP_METHOD_DELETE = 4,
} QcoapMethod;

/* Message types, as the "type" arguments of Send, Ack and Retransmission. */
typedef enum
{
  QCOAP_MESSAGE_CON = 0,
  QCOAP_MESSAGE_NON = 1,
  QCOAP_MESSAGE_ACK = 2,
  QCOAP_MESSAGE_RST = 3,
} QcoapMessageType;

/* Option numbers the library and its users name in code (the names of all
 * of them are in qcoap_option_get_name()). */
typedef enum
{
  QCOAP_OPTION_URI_PATH = 11,
  QCOAP_OPTION_CONTENT_FORMAT = 12,
  QCOAP_OPTION_URI_QUERY = 15,
  QCOAP_OPTION_ACCEPT = 17,
  QCOAP_OPTION_BLOCK2 = 23,
  QCOAP_OPTION_SIZE2 = 28,
} QcoapOptionNumber;

/* A code is class*32 + detail; these split and join it. */
#define QCOAP_CODE(klass, detail) ((guint8)(((klass) << 5) | (detail)))
#define QCOAP_CODE_CLASS(code)    (((guint8)(code)) >> 5)
#define QCOAP_CODE_DETAIL(code)   (((guint8)(code)) & 0x1f)

/* "2.05" for 69. */
char *qcoap_code_to_string (guint8 code);

/* The RFC 7252 name of a code ("Content" for 2.05, "GET" for 0.01), or NULL
 * when the code has no registered name. */
const char *qcoap_code_get_description (guint8 code);

/* Reads a code written as a method name ("get", any case), as "c.dd"
 * ("2.05") or as a number ("69"). FALSE if @text is none of these. */
gboolean qcoap_code_parse (const char *text, guint8 *out_code);

/* "CON", "NON", "ACK", "RST", or NULL for other values. */
const char *qcoap_message_type_to_string (guint type);

/* Reads "con"/"non"/"ack"/"rst" (any case) or "0".."3". */
gboolean qcoap_message_type_parse (const char *text, QcoapMessageType *out_type);

/* The registered name of an option ("Uri-Path" for 11), or NULL. */
const char *qcoap_option_get_name (guint number);

/* Reads an option written as its name (any case, "Uri-Path") or its number
 * ("11"). Returns the number, or -1. */
gint qcoap_option_parse_number (const char *text);

/* One (qv) option as the API carries it, from text a person typed: the
 * value's type follows the option's format (uint options take a decimal
 * number, and Content-Format and Accept also take a content-format name;
 * opaque options take "0x" followed by hex digits, or the text's bytes;
 * If-None-Match takes ""; string options take the text as it is). Options
 * the library does not know take the text's bytes as opaque. Returns a
 * floating (qv), or NULL with QCOAP_ERROR_INVALID_ARGUMENT. */
GVariant *qcoap_option_new_from_string (guint16 number, const char *text, GError **error);

/* A (qv) option with a uint, string or opaque value, floating. */
GVariant *qcoap_option_new_uint (guint16 number, guint32 value);
GVariant *qcoap_option_new_string (guint16 number, const char *value);
GVariant *qcoap_option_new_opaque (guint16 number, const guint8 *data, gsize length);

/* A value of option @number for people: content-format names for
 * Content-Format and Accept ("text/plain"), decimal for other uints, the
 * text of strings, and "0x…" hex for opaque values. */
char *qcoap_option_value_to_string (guint16 number, GVariant *value);

/* The content type of a CoAP content format as IANA registers it
 * ("application/json" for 50, "text/plain; charset=utf-8" for 0), or NULL
 * for a number the library does not know. */
const char *qcoap_content_format_get_name (guint number);

/* Reads a content format written as its content type
 * ("application/senml+json", any case), a short name ("text/plain", "text",
 * "json", "cbor", "link", "xml", "octets", "exi", "senml") or a number.
 * Returns the number, or -1. */
gint qcoap_content_format_parse (const char *text);

G_END_DECLS
