/* SPDX-License-Identifier: MIT */
/* dbus-args.h — what the D-Bus methods take, checked before anything is
 * built, and the one place where a failure becomes a D-Bus error reply.
 *
 * Every a{sv} argument of the API (Open's options, Send's and Request's
 * flags, the one-shot Request's flags) is read by one table-driven reader:
 * an unknown key, a value of the wrong type and a value out of range are
 * answered the same way everywhere, naming the key and what it takes. Both
 * Request methods build their options with one builder, which measures the
 * caller's options, path and query before it builds anything.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Open's options (and the one-shot Request's flags). */
typedef struct
{
  int client_id; /* -1: any */
  guint pdp_context;
  guint ack_timeout;
  guint max_retransmit;
  gboolean persistent;
  gboolean listen; /* the opener hears the session's signals */
  gboolean listen_given;
  gboolean one_shot; /* the one-shot Request's session: no one hears it */
  guint idle_timeout;
  gboolean idle_timeout_given;
  guint timeout_ms;
  gboolean timeout_given; /* "timeout" was among the keys */
  char *psk_identity;
  GBytes *psk_key;
  char *modem; /* a modem's name or object path; NULL: qcoapd chooses */
} OpenArgs;

void open_args_init (OpenArgs *args);
void open_args_clear (OpenArgs *args);
void open_args_copy (OpenArgs *dest, const OpenArgs *src);
/* Reads Open's a{sv}; also checks the DTLS pair (both or neither, and what
 * the modem can store). */
gboolean open_args_parse (OpenArgs *args, GVariant *options, GError **error);
/* Reads the one-shot Request's flags: Open's keys but "listen", since the
 * one-shot Request's session has no listener (args->one_shot is TRUE). */
gboolean open_args_parse_one_shot (OpenArgs *args, GVariant *flags, GError **error);

/* Send's flags. */
typedef struct
{
  int message_id; /* -1: the daemon picks one */
  GBytes *token;  /* NULL: the daemon picks one */
} SendFlags;

void send_flags_clear (SendFlags *flags);
gboolean send_flags_parse (SendFlags *flags, GVariant *variant, GError **error);

/* Session.Request's flags. */
typedef struct
{
  gboolean confirmable;
  guint timeout_ms; /* 0: the exchange lifetime of the session's settings */
  gboolean timeout_given;
  char *uri_path; /* NULL if not given */
  char *uri_query;
} RequestFlags;

void request_flags_clear (RequestFlags *flags);
gboolean request_flags_parse (RequestFlags *flags, GVariant *variant, GError **error);

/* The message arguments of Send (y type, y code, a(qv) options, ay
 * payload, a{sv} flags) or, with @type NULL, of Request (no type), child by
 * child: g_variant_get () would scan a format string on every call. */
void dbus_args_get_message (GVariant *parameters, guint8 *type, guint8 *code, GVariant **options,
                            GVariant **payload, GVariant **flags);

/* A message's type (0-3), code (one of the modem's code table) and payload
 * (at most QCOAP_MAX_PAYLOAD bytes), as Send takes them. */
gboolean dbus_args_check_message (guint8 type, guint8 code, GBytes *payload, GError **error);
/* An empty message (code 0) has neither token, options nor payload (RFC
 * 7252 §4.1). */
gboolean dbus_args_check_empty_message (guint8 code, GPtrArray *options, GBytes *payload,
                                        GBytes *token, GError **error);
/* A request URI no longer than what eight options of 255 bytes, every byte
 * percent-encoded, and a host and port can spell: checked before parsing. */
gboolean dbus_args_check_uri (const char *uri, GError **error);
/* A request's code (a method: GET, POST, PUT, DELETE) and payload. */
gboolean dbus_args_check_request (guint8 code, GBytes *payload, GError **error);

/* A request's options: the caller's a(qv) @options, then one Uri-Path
 * option per segment of @path and one Uri-Query option per part of @query
 * (each may be NULL). Counts are checked before anything is built: more
 * than QCOAP_MAX_OPTIONS in all fails at once. */
GPtrArray *dbus_args_build_options (GVariant *options, const char *const *path,
                                    const char *const *query, GError **error);

/* Replies to @invocation with @error as one of the contract's errors. The
 * AT layer's errors say which layer failed: an AT command that timed out is a
 * Timeout whose message says so, unlike a CoAP exchange that timed out. */
void dbus_args_return_error (GDBusMethodInvocation *invocation, const GError *error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (OpenArgs, open_args_clear)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SendFlags, send_flags_clear)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RequestFlags, request_flags_clear)

G_END_DECLS
