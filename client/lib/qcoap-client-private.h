/* SPDX-License-Identifier: MIT */
/* qcoap-client-private.h — what QcoapClient and QcoapClientSession share. */
#pragma once

#include <qcoap-glib/qcoap-glib.h>

#include "qcoap-dbus-generated.h"

G_BEGIN_DECLS

/* Wraps a Session proxy: that of @object, the object manager's, or one made
 * for an Open (@object NULL). */
QcoapClientSession *_qcoap_client_session_new (QcoapSession *proxy, GDBusObject *object);

/* Moves the session onto @proxy, of the object manager's @object: the same
 * session on a new connection, or the object its Open's proxy stood for. */
void _qcoap_client_session_set_proxy (QcoapClientSession *self, QcoapSession *proxy,
                                      GDBusObject *object);

/* The object manager's object the session is, or NULL while it has none.
 * Only a removal of this very object removes the session. */
GDBusObject *_qcoap_client_session_get_object (QcoapClientSession *self);

/* Whether the session ended (its Closed signal, its removal, or a Close of
 * ours that succeeded). */
gboolean _qcoap_client_session_is_closed (QcoapClientSession *self);

QcoapSession *_qcoap_client_session_get_proxy (QcoapClientSession *self);

/* Whether the daemon addresses the session's signals to this connection
 * (Open's "listen", or a Listen call), for the "listening" property. */
void _qcoap_client_session_set_listening (QcoapClientSession *self, gboolean listening);

/* The session object went away: emits "closed" ("vanished") unless the
 * daemon's Closed signal came first. */
void _qcoap_client_session_vanished (QcoapClientSession *self);
/* A restarted daemon has taken over its sessions, this one among them: a
 * close asked for while it was away is sent now. */
void _qcoap_client_session_daemon_returned (QcoapClientSession *self);

/* An ay variant holding @bytes (NULL: empty), floating. */
GVariant *_qcoap_bytes_to_variant (GBytes *bytes);

/* An empty a(qv) or a{sv} when @variant is NULL; @variant otherwise. */
GVariant *_qcoap_options_or_empty (GVariant *options);
GVariant *_qcoap_dict_or_empty (GVariant *dict);

/* D-Bus errors carry "GDBus.Error:org.qcoapd.CoAP1.Error.Timeout: " in front
 * of the daemon's words; callers get the words alone. The bus's
 * org.freedesktop.DBus.Error.AccessDenied (its policy refused the call)
 * stays G_DBUS_ERROR_ACCESS_DENIED and says who may use qcoapd. */
void _qcoap_error_strip (GError *error);

G_END_DECLS
