/* SPDX-License-Identifier: MIT */
/* qcoap-client-session.h — one session of qcoapd: one of the modem's CoAP
 * client IDs, connected to one server. */
#pragma once

#if !defined(QCOAP_GLIB_INSIDE) && !defined(QCOAP_GLIB_COMPILATION)
#error "Only <qcoap-glib/qcoap-glib.h> can be included directly."
#endif

#include <gio/gio.h>

#include "qcoap-codes.h"
#include "qcoap-response.h"

G_BEGIN_DECLS

#define QCOAP_TYPE_CLIENT_SESSION (qcoap_client_session_get_type ())
G_DECLARE_FINAL_TYPE (QcoapClientSession, qcoap_client_session, QCOAP, CLIENT_SESSION, GObject)

/* Signals, all emitted in the thread-default main context of the
 * QcoapClient's creation, while the session listens (see below):
 *
 *   received (QcoapResponse *message)       every message the modem receives
 *                                           for the session, with message ID
 *                                           and token;
 *   ack (guint type, guint message_id, int result)
 *                                           a delivery result: 0, or the
 *                                           modem's negative result code;
 *   retransmission (guint type, guint message_id, guint attempt, int result)
 *   closed (const char *reason)             once, when the session ends:
 *                                           "closed", "owner-vanished",
 *                                           "idle", "modem-lost",
 *                                           "modem-reset", "network-lost",
 *                                           "data-context-lost", "error"
 *                                           (qcoapd may add others), or
 *                                           "vanished" when the session
 *                                           object went away without a
 *                                           reason (e.g. qcoapd stopped).
 */

/* Listening. The daemon sends a session's signals only to its listeners,
 * each addressed to its connection. A session made by qcoap_client_open()
 * does not listen unless its options say "listen" true; the library makes
 * it listen when the program wants the signals: before the first send,
 * request or close on a session with a handler connected to one of the
 * signals above, it calls qcoap_client_session_listen() first (on the same
 * connection, so the daemon takes it before the call). A program that
 * connects handlers and then only waits (a monitor, a session of another
 * program) calls qcoap_client_session_listen() itself; the signals come
 * from its completion on. Only the session's owner and root may listen
 * (else QCOAP_ERROR_ACCESS_DENIED). The "listening" property (boolean,
 * read-only, with notify) tells whether the daemon has this connection as
 * a listener. */
void qcoap_client_session_listen (QcoapClientSession *self, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
gboolean qcoap_client_session_listen_finish (QcoapClientSession *self, GAsyncResult *result,
                                             GError **error);
gboolean qcoap_client_session_listen_sync (QcoapClientSession *self, GCancellable *cancellable,
                                           GError **error);
/* Stops listening: the signals no longer come to this connection. */
void qcoap_client_session_unlisten (QcoapClientSession *self, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);
gboolean qcoap_client_session_unlisten_finish (QcoapClientSession *self, GAsyncResult *result,
                                               GError **error);
gboolean qcoap_client_session_unlisten_sync (QcoapClientSession *self, GCancellable *cancellable,
                                             GError **error);
gboolean qcoap_client_session_get_listening (QcoapClientSession *self);

const char *qcoap_client_session_get_object_path (QcoapClientSession *self);
guint qcoap_client_session_get_client_id (QcoapClientSession *self);
const char *qcoap_client_session_get_host (QcoapClientSession *self);
/* The object path of the modem whose client ID the session holds, one of
 * the daemon's modems (see qcoap_client_get_modems()); it changes when a
 * persistent session moves to another modem. "" from a daemon that drives
 * one modem only and says nothing of it. qcoap_client_lookup_modem() gives
 * the modem's name. Since 0.2. */
const char *qcoap_client_session_get_modem (QcoapClientSession *self);
guint16 qcoap_client_session_get_port (QcoapClientSession *self);
gboolean qcoap_client_session_get_secure (QcoapClientSession *self);
gboolean qcoap_client_session_get_persistent (QcoapClientSession *self);
/* The Unix user ID that opened the session. */
guint qcoap_client_session_get_owner (QcoapClientSession *self);
/* "opening", "open", "closing", or "closed" once the session ended (the
 * closed signal came, or a Close of this program's succeeded). An ended
 * session's getters return its last known values; they never fail. The
 * client drops an ended session when the daemon removes its object or
 * gives its object path to a new session, which is then a new
 * QcoapClientSession: a removal meant for the old object never reaches the
 * new one. */
const char *qcoap_client_session_get_state (QcoapClientSession *self);

/* Sends one message as given (the raw path) and returns its message ID and
 * token. @options is an a(qv) or NULL, @flags an a{sv} with "message-id"
 * (q) and "token" (ay), or NULL; floating references are sunk. */
void qcoap_client_session_send (QcoapClientSession *self, QcoapMessageType type, guint8 code,
                                GVariant *options, GBytes *payload, GVariant *flags,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data);
gboolean qcoap_client_session_send_finish (QcoapClientSession *self, GAsyncResult *result,
                                           guint16 *out_message_id, GBytes **out_token,
                                           GError **error);
gboolean qcoap_client_session_send_sync (QcoapClientSession *self, QcoapMessageType type,
                                         guint8 code, GVariant *options, GBytes *payload,
                                         GVariant *flags, guint16 *out_message_id,
                                         GBytes **out_token, GCancellable *cancellable,
                                         GError **error);

/* Sends a request and returns the response with the same token. @path is
 * "/a/b?k=v&x=y" (Uri-Path and Uri-Query options) or NULL; @options an
 * a(qv) of further options or NULL; @flags an a{sv} with "confirmable" (b)
 * and "timeout" (u, ms), or NULL. */
void qcoap_client_session_request (QcoapClientSession *self, guint8 code, const char *path,
                                   GVariant *options, GBytes *payload, GVariant *flags,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data);
QcoapResponse *qcoap_client_session_request_finish (QcoapClientSession *self, GAsyncResult *result,
                                                    GError **error);
QcoapResponse *qcoap_client_session_request_sync (QcoapClientSession *self, guint8 code,
                                                  const char *path, GVariant *options,
                                                  GBytes *payload, GVariant *flags,
                                                  GCancellable *cancellable, GError **error);

/* Closes the session; the closed signal follows. While qcoapd is off the bus
 * (a restart keeps sessions), the close waits and is sent once the daemon is
 * back: the asynchronous call finishes then, the synchronous one returns TRUE
 * at once. A session the restarted daemon did not keep is closed already. */
void qcoap_client_session_close (QcoapClientSession *self, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
gboolean qcoap_client_session_close_finish (QcoapClientSession *self, GAsyncResult *result,
                                            GError **error);
gboolean qcoap_client_session_close_sync (QcoapClientSession *self, GCancellable *cancellable,
                                          GError **error);

G_END_DECLS
