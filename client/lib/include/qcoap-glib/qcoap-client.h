/* SPDX-License-Identifier: MIT */
/* qcoap-client.h — a connection to qcoapd: the modem's state and identity,
 * its sessions, opening new ones and one-shot requests. */
#pragma once

#if !defined(QCOAP_GLIB_INSIDE) && !defined(QCOAP_GLIB_COMPILATION)
#error "Only <qcoap-glib/qcoap-glib.h> can be included directly."
#endif

#include <gio/gio.h>

#include "qcoap-client-session.h"
#include "qcoap-response.h"

G_BEGIN_DECLS

#define QCOAP_SERVICE_NAME "org.qcoapd.CoAP1"
#define QCOAP_MANAGER_PATH "/org/qcoapd/CoAP1"

/* What a caller refused by the bus's policy is told: such a failure is
 * G_DBUS_ERROR_ACCESS_DENIED (org.freedesktop.DBus.Error.AccessDenied),
 * from the constructors or from any call, with this in its message. */
#define QCOAP_ACCESS_HINT "only root and members of group qcoapd may use qcoapd"

#define QCOAP_TYPE_CLIENT (qcoap_client_get_type ())
G_DECLARE_FINAL_TYPE (QcoapClient, qcoap_client, QCOAP, CLIENT, GObject)

/* Connects to qcoapd on the system or session bus, on a connection of the
 * client's own (not the process's shared one). Fails with
 * G_DBUS_ERROR_SERVICE_UNKNOWN when qcoapd is not running there (after
 * trying to have the bus start it).
 *
 * When the bus closes the client's connection (or another member of the
 * bus knocks it off with a message GDBus cannot read), the client connects
 * again, at once and then every second until it succeeds, and keeps its
 * session objects: a persistent session's QcoapClientSession stays usable
 * on the new connection, a session that was not persistent ended with the
 * old connection and is removed ("closed" with "vanished", then
 * "session-removed"). Calls in flight when the connection closed fail with
 * G_IO_ERROR_CLOSED. qcoap_client_get_connection() returns the new
 * connection from then on. */
void qcoap_client_new (GBusType bus_type, GCancellable *cancellable, GAsyncReadyCallback callback,
                       gpointer user_data);
QcoapClient *qcoap_client_new_finish (GAsyncResult *result, GError **error);
QcoapClient *qcoap_client_new_sync (GBusType bus_type, GCancellable *cancellable, GError **error);

/* The same on a private connection to the bus at @address (a D-Bus address
 * such as "unix:path=/run/…"); it connects again the same way. */
void qcoap_client_new_for_address (const char *address, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
QcoapClient *qcoap_client_new_for_address_finish (GAsyncResult *result, GError **error);
QcoapClient *qcoap_client_new_for_address_sync (const char *address, GCancellable *cancellable,
                                                GError **error);

/* The same on a connection the caller already has. Such a client does not
 * connect again: the connection is the caller's. */
QcoapClient *qcoap_client_new_for_connection_sync (GDBusConnection *connection,
                                                   GCancellable *cancellable, GError **error);

/* The connection now. A session that is not persistent lives as long as it. */
GDBusConnection *qcoap_client_get_connection (QcoapClient *self);

/* The manager's properties (also GObject properties of the same names, with
 * notify:: emitted when the daemon reports a change). Strings are "" until
 * the daemon has read them. */
const char *qcoap_client_get_state (QcoapClient *self);

/* Why the state is what it is, in words a person can act on (e.g. the
 * reason the serial port cannot be opened, or "power saving: the module
 * sleeps"); "" when there is nothing to say. GObject property
 * "state-reason". The state is "absent", "initializing", "ready",
 * "sleeping" (power saving: the module sleeps until the network wakes it)
 * or "failed". */
const char *qcoap_client_get_state_reason (QcoapClient *self);

/* Waits until the modem is "ready", at most @timeout_ms; fails with
 * QCOAP_ERROR_MODEM_UNAVAILABLE saying the state and its reason. What to
 * call after ModemUnavailable, before trying again. */
void qcoap_client_wait_ready (QcoapClient *self, guint timeout_ms, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data);
gboolean qcoap_client_wait_ready_finish (QcoapClient *self, GAsyncResult *result, GError **error);
gboolean qcoap_client_wait_ready_sync (QcoapClient *self, guint timeout_ms,
                                       GCancellable *cancellable, GError **error);
const char *qcoap_client_get_device (QcoapClient *self);
const char *qcoap_client_get_manufacturer (QcoapClient *self);
const char *qcoap_client_get_model (QcoapClient *self);
const char *qcoap_client_get_revision (QcoapClient *self);
const char *qcoap_client_get_imei (QcoapClient *self);
const char *qcoap_client_get_version (QcoapClient *self);
guint qcoap_client_get_free_clients (QcoapClient *self);

/* The cellular network, as the daemon reports it (GObject properties
 * "registration", "access-technology", "operator", "signal" and
 * "data-contexts", with notify:: on change). Registration is "unknown",
 * "idle", "searching", "home", "roaming" or "denied"; the access
 * technology "lte-m", "nb-iot" or "gsm", and it and the operator are ""
 * while not registered. */
const char *qcoap_client_get_registration (QcoapClient *self);
const char *qcoap_client_get_access_technology (QcoapClient *self);
const char *qcoap_client_get_operator (QcoapClient *self);

/* The signal as an a{sv} with the keys the modem reported: "rssi", "rsrp"
 * (i, dBm), "rsrq" (i, dB), "sinr" (d, dB); empty while there is no
 * service. A new reference: free it with g_variant_unref(). */
GVariant *qcoap_client_get_signal (QcoapClient *self);

/* The PDP contexts the daemon manages, an a(ybs) of (context ID 1-16,
 * active, IP address; "" while inactive). A new reference. */
GVariant *qcoap_client_get_data_contexts (QcoapClient *self);

/* The names of the daemon's modems ([modem NAME] in qcoapd.conf, "default"
 * for a plain [modem]), in the order of its configuration; a modem not yet
 * announced is named by its object path. The manager's own properties
 * above are those of the first. An empty array from a daemon that does
 * not list its modems. Free it with g_strfreev(). Since 0.2. */
char **qcoap_client_get_modems (QcoapClient *self);

/* The properties of the modem called @name_or_path (its name or object
 * path), as an a{sv} keyed by the D-Bus names of the Modem interface's
 * properties ("Name", "State", "StateReason", "Device", "Manufacturer",
 * "Model", "Revision", "Imei", "FreeClients" (y), "Registration",
 * "AccessTechnology", "Operator", "Signal" (a{sv}), "DataContexts"
 * (a(ybs))) and "ObjectPath" (o); those the daemon has not reported yet
 * are missing. NULL when there is no such modem. A new reference: free it
 * with g_variant_unref(). Since 0.2. */
GVariant *qcoap_client_lookup_modem (QcoapClient *self, const char *name_or_path);

/* Every session that exists now, whoever opened it, sorted by client ID.
 * The "session-added" and "session-removed" signals report changes. */
GList *qcoap_client_get_sessions (QcoapClient *self);

/* The session with this client ID (0-5, the modem's, whatever its object
 * path) or object path, or NULL. */
QcoapClientSession *qcoap_client_lookup_session (QcoapClient *self, const char *id_or_path);

/* Opens a session to @host:@port. @options is an a{sv} with the keys of the
 * D-Bus Open method ("persistent", "dtls-psk-identity", "dtls-psk-key",
 * "ack-timeout", "max-retransmit", "client-id", "pdp-context",
 * "idle-timeout", "timeout", "listen", and since 0.2 "modem": a modem's
 * name or object path, see qcoap_client_get_modems()), or NULL; a floating
 * reference is sunk. Unlike the D-Bus method, "listen" defaults to false: the session
 * listens once the program wants its signals (see
 * qcoap_client_session_listen()). */
void qcoap_client_open (QcoapClient *self, const char *host, guint16 port, GVariant *options,
                        GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data);
QcoapClientSession *qcoap_client_open_finish (QcoapClient *self, GAsyncResult *result,
                                              GError **error);
QcoapClientSession *qcoap_client_open_sync (QcoapClient *self, const char *host, guint16 port,
                                            GVariant *options, GCancellable *cancellable,
                                            GError **error);

/* A one-shot confirmable request to @uri (coap://host[:port]/path?query or
 * coaps://…): the daemon opens a session, sends the request, waits for the
 * response and closes the session. @options is an a(qv) of further options
 * or NULL, @payload NULL for none, @flags an a{sv} with "timeout" (u, ms)
 * and for coaps the DTLS keys of qcoap_client_open(), and "modem" (s) as
 * in qcoap_client_open(), or NULL. */
void qcoap_client_request (QcoapClient *self, guint8 code, const char *uri, GVariant *options,
                           GBytes *payload, GVariant *flags, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data);
QcoapResponse *qcoap_client_request_finish (QcoapClient *self, GAsyncResult *result,
                                            GError **error);
QcoapResponse *qcoap_client_request_sync (QcoapClient *self, guint8 code, const char *uri,
                                          GVariant *options, GBytes *payload, GVariant *flags,
                                          GCancellable *cancellable, GError **error);

/* Sends one AT command line to the modem for diagnosis (root only) and
 * returns every line it answered, joined by newlines; @timeout_ms 0 for the
 * daemon's default. Commands the daemon relies on are refused with
 * QCOAP_ERROR_INVALID_ARGUMENT; an ERROR answer is QCOAP_ERROR_MODEM_ERROR. */
void qcoap_client_command (QcoapClient *self, const char *command, guint timeout_ms,
                           GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data);
char *qcoap_client_command_finish (QcoapClient *self, GAsyncResult *result, GError **error);
char *qcoap_client_command_sync (QcoapClient *self, const char *command, guint timeout_ms,
                                 GCancellable *cancellable, GError **error);

/* qcoap_client_command() on the modem called @modem (its name or object
 * path; see qcoap_client_get_modems()). An unknown modem is
 * QCOAP_ERROR_INVALID_ARGUMENT, naming the modems there are. Since 0.2. */
void qcoap_client_modem_command (QcoapClient *self, const char *modem, const char *command,
                                 guint timeout_ms, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
char *qcoap_client_modem_command_finish (QcoapClient *self, GAsyncResult *result, GError **error);
char *qcoap_client_modem_command_sync (QcoapClient *self, const char *modem, const char *command,
                                       guint timeout_ms, GCancellable *cancellable, GError **error);

G_END_DECLS
