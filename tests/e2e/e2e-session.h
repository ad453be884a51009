/* SPDX-License-Identifier: MIT */
/* e2e-session.h — the calls end-to-end tests make again and again: the
 * arguments of the API's methods, opening and closing a session, and a
 * Request on it. The functions without "try" assert that the call worked;
 * they wait up to E2E_CALL_TIMEOUT_MS. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define E2E_BUS_NAME        "org.qcoapd.CoAP1"
#define E2E_MANAGER_PATH    "/org/qcoapd/CoAP1"
#define E2E_MANAGER_IFACE   "org.qcoapd.CoAP1"
#define E2E_SESSION_IFACE   "org.qcoapd.CoAP1.Session"
#define E2E_ERROR_PREFIX    "org.qcoapd.CoAP1.Error."
#define E2E_CALL_TIMEOUT_MS 30000

#define E2E_CODE_GET     1
#define E2E_CODE_CONTENT 69 /* 2.05 */

/* ---- arguments (floating: they go straight into g_variant_new's "@") ---- */

/* An ay of @length bytes at @data. */
GVariant *e2e_bytes (const void *data, gsize length);
/* An empty a(qv). */
GVariant *e2e_no_options (void);
/* An a(qv) of one Uri-Path option, @segment. */
GVariant *e2e_uri_path (const char *segment);
/* An empty a{sv}: no options of Open, no flags of Send or Request. */
GVariant *e2e_no_flags (void);
/* An a{sv} of the key and value (a floating GVariant) pairs given, up to a
 * NULL key. */
GVariant *e2e_vardict (const char *first_key, ...) G_GNUC_NULL_TERMINATED;
/* Open's options of a persistent session. */
GVariant *e2e_persistent (void);

/* ---- calls ---- */

/* A method call to the daemon by @connection; its reply, or NULL and
 * @error. */
GVariant *e2e_call (GDBusConnection *connection, const char *path, const char *interface,
                    const char *method, GVariant *args, GError **error);

/* ---- sessions ---- */

/* Open on @connection to 127.0.0.1:@port with @options (an a{sv}; NULL:
 * none); the session's path, or NULL and @error. */
char *e2e_try_open_session (GDBusConnection *connection, guint16 port, GVariant *options,
                            guint timeout_ms, GError **error);
char *e2e_open_session (GDBusConnection *connection, guint16 port, GVariant *options);

/* Session.Close of @path by @connection. */
gboolean e2e_try_close_session (GDBusConnection *connection, const char *path, guint timeout_ms,
                                GError **error);
void e2e_close_session (GDBusConnection *connection, const char *path);

/* Session.Request on @path with @code, @payload (an ay; NULL: none) and
 * @flags (an a{sv}; NULL: none); its reply (ya(qv)ay), or NULL and @error. */
GVariant *e2e_session_request (GDBusConnection *connection, const char *path, guint8 code,
                               GVariant *payload, GVariant *flags, GError **error);
/* Whether a GET /time through Request on @path is answered 2.05. */
gboolean e2e_session_serves (GDBusConnection *connection, const char *path, GError **error);
void e2e_assert_session_serves (GDBusConnection *connection, const char *path);

G_END_DECLS
