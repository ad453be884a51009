/* SPDX-License-Identifier: MIT */
/* qcoap-options.h — CoAP options as the BG96 takes them, and request URIs.
 *
 * The modem sends only the fifteen options of its option table
 * (AT+QCOAPOPTION), each with a format and a value length range. It receives
 * any option, and prints the integer ones CoAP defines beyond its table
 * (Observe, Block1/Block2, Size2, ...) as decimal numbers too: those are
 * rows of the table as well, marked as not sendable, so that they are typed
 * when received and refused when a caller tries to send them.
 * The table is introspection/modem-facts.txt (see qcoap-modem.h); this
 * module looks options up in it, checks the options a D-Bus caller gives as
 * a(qv) before any AT traffic, turns options received from the modem back
 * into a(qv), and turns a coap:// or coaps:// URI (or the "uri-path" and
 * "uri-query" flags) into Uri-Path and Uri-Query options. It does no I/O.
 *
 * Every validation failure is QCOAP_ERROR_INVALID_ARGUMENT with a message
 * that names the option (number and name) or the part of the URI and says
 * what is wrong with it.
 */
#pragma once

#include <glib.h>

#include "qcoap-modem.h"

G_BEGIN_DECLS

/* How many options one message may carry: the modem has that many option
 * slots. */
#define QCOAP_MAX_OPTIONS QCOAP_MODEM_MAX_OPTIONS

/* Longest value of a string option that fits one AT+QCOAPOPTION (Proxy-Uri). */
#define QCOAP_MAX_OPTION_LENGTH QCOAP_MODEM_MAX_OPTION_LENGTH

/* The value formats of the registry, which the option table is made with,
 * under the names the daemon gives them. */
typedef QcoapRegistryValue QcoapOptionFormat;
/* No value; D-Bus ay of length 0; AT: "". */
#define QCOAP_OPTION_FORMAT_EMPTY QCOAP_REGISTRY_VALUE_EMPTY
/* Bytes; D-Bus ay; AT: quoted upper-case hex. */
#define QCOAP_OPTION_FORMAT_OPAQUE QCOAP_REGISTRY_VALUE_OPAQUE
/* Unsigned integer; D-Bus u; AT: decimal. */
#define QCOAP_OPTION_FORMAT_UINT QCOAP_REGISTRY_VALUE_UINT
/* UTF-8 text; D-Bus s; AT: quoted text. */
#define QCOAP_OPTION_FORMAT_STRING QCOAP_REGISTRY_VALUE_STRING

/* Well-known option numbers (RFC 7252 section 5.10). */
enum
{
  QCOAP_OPTION_IF_MATCH = 1,
  QCOAP_OPTION_URI_HOST = 3,
  QCOAP_OPTION_ETAG = 4,
  QCOAP_OPTION_IF_NONE_MATCH = 5,
  QCOAP_OPTION_URI_PORT = 7,
  QCOAP_OPTION_LOCATION_PATH = 8,
  QCOAP_OPTION_URI_PATH = 11,
  QCOAP_OPTION_CONTENT_FORMAT = 12,
  QCOAP_OPTION_MAX_AGE = 14,
  QCOAP_OPTION_URI_QUERY = 15,
  QCOAP_OPTION_ACCEPT = 17,
  QCOAP_OPTION_LOCATION_QUERY = 20,
  QCOAP_OPTION_PROXY_URI = 35,
  QCOAP_OPTION_PROXY_SCHEME = 39,
  QCOAP_OPTION_SIZE1 = 60,
  /* Received only: the modem's option table lacks them. */
  QCOAP_OPTION_OBSERVE = 6,       /* RFC 7641 */
  QCOAP_OPTION_HOP_LIMIT = 16,    /* RFC 8768 */
  QCOAP_OPTION_Q_BLOCK1 = 19,     /* RFC 9177 */
  QCOAP_OPTION_BLOCK2 = 23,       /* RFC 7959 */
  QCOAP_OPTION_BLOCK1 = 27,       /* RFC 7959 */
  QCOAP_OPTION_SIZE2 = 28,        /* RFC 7959 */
  QCOAP_OPTION_Q_BLOCK2 = 31,     /* RFC 9177 */
  QCOAP_OPTION_NO_RESPONSE = 258, /* RFC 7967 */
};

/* One row of the option table (modem-facts.txt): number, name, format,
 * value length range and whether AT+QCOAPOPTION takes it. */
typedef QcoapModemOption QcoapOptionInfo;

/* The table row for @number (sendable or not), or NULL for a number the
 * table does not know. */
const QcoapOptionInfo *at_coap_option_info_lookup (guint number);

/* All rows, in ascending option number; *n_infos receives their count: the
 * fifteen sendable ones and the integer options received only. */
const QcoapOptionInfo *at_coap_option_info_table (gsize *n_infos);

/* Bytes needed to encode @value as a CoAP uint: 0 for 0, then 1..4. */
guint at_coap_uint_length (guint32 value);

/* One option with a typed value.
 *
 * @format says which field holds the value: @uint_value for UINT, @value for
 * STRING (the text, without a terminating NUL), OPAQUE and EMPTY (0 bytes).
 * An option received from the modem that could not be typed (an unknown
 * number, or a value that does not parse in its option's format) is OPAQUE
 * and holds the bytes of the text the modem printed. */
typedef struct
{
  guint16 number;
  QcoapOptionFormat format;
  guint32 uint_value;
  GBytes *value;
} QcoapOption;

QcoapOption *at_coap_option_new_uint (guint16 number, guint32 value);
QcoapOption *at_coap_option_new_string (guint16 number, const char *text);
QcoapOption *at_coap_option_new_bytes (guint16 number, QcoapOptionFormat format, const guint8 *data,
                                       gsize length);
void at_coap_option_free (QcoapOption *option);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QcoapOption, at_coap_option_free)

/* A NUL-terminated copy of a STRING option's text; NULL for other formats. */
char *at_coap_option_dup_string (const QcoapOption *option);

/* A new, empty GPtrArray of QcoapOption that frees its elements. */
GPtrArray *at_coap_option_list_new (void);

/* Checks one option against the option table: a sendable number, the format
 * of the table, a length in range, and, for strings, text the AT command can
 * carry (no '"' and no control characters). */
gboolean at_coap_option_validate (const QcoapOption *option, GError **error);

/* Fails if @options holds more than QCOAP_MAX_OPTIONS options. */
gboolean at_coap_option_list_check_count (GPtrArray *options, GError **error);

/* Turns the a(qv) a D-Bus caller gave into a list of validated options, in
 * the caller's order. @variant must be of type a(qv). Fails on a value of
 * the wrong type, an option the modem cannot send, a value whose length is out of
 * range, a string the AT command cannot carry, or more than
 * QCOAP_MAX_OPTIONS options. */
GPtrArray *at_coap_option_list_from_variant (GVariant *variant, GError **error);

/* The a(qv) form of @options (may be NULL or empty): s for STRING, u for
 * UINT, ay for OPAQUE and EMPTY. Returns a floating reference. */
GVariant *at_coap_option_list_to_variant (GPtrArray *options);

/* Appends one STRING option @number for each of @values (validating each),
 * e.g. the Uri-Path segments of a URI. Appends nothing on failure. */
gboolean at_coap_option_list_add_strings (GPtrArray *options, guint16 number,
                                          const char *const *values, GError **error);

/* The "uri-path" flag: "/a/b" gives { "a", "b" }; "" and "/" give no
 * segment; a trailing '/' gives a last, empty segment ("/a/" → "a", ""),
 * as RFC 7252 section 6.4 does for URIs. Segments are taken literally (no
 * percent-decoding). Never fails; the segments are checked when they become
 * options. */
GStrv at_coap_split_uri_path (const char *path);

/* The "uri-query" flag: "k=v&x=y" gives { "k=v", "x=y" }; "" gives none.
 * Parts are taken literally, empty parts included. */
GStrv at_coap_split_uri_query (const char *query);

/* A parsed request URI (coap://host[:port]/path?query or coaps://...). */
typedef struct
{
  char *host;      /* IPv4 address, IPv6 address without brackets, or name */
  guint16 port;    /* explicit, or 5683 for coap and 5684 for coaps */
  gboolean secure; /* coaps */
  GStrv path;      /* percent-decoded Uri-Path segments, possibly empty */
  GStrv query;     /* percent-decoded Uri-Query parts, possibly empty */
} QcoapUri;

/* Parses @uri. The scheme is "coap" or "coaps" (any case); the host is an
 * IPv4 address, a bracketed IPv6 address or a name of letters, digits, '-',
 * '_' and '.'; the port, if given, is 1-65535. Path segments and query parts
 * are percent-decoded and must not decode to NUL, '"' or control characters.
 * Rejects other schemes, an empty host, user information ("user@host") and
 * fragments ("#..."). */
QcoapUri *at_coap_uri_parse (const char *uri, GError **error);
void at_coap_uri_free (QcoapUri *uri);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QcoapUri, at_coap_uri_free)

G_END_DECLS
