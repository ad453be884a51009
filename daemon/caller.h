/* SPDX-License-Identifier: MIT */
/* caller.h — a D-Bus caller of the service, as the bus describes it.
 *
 * A caller is one connection to the bus (one unique name). Who it is comes
 * from the bus (GetConnectionCredentials), never from anything it sends: its
 * Unix user decides what it may do, its process ID and command name only
 * make the logs readable. The registry keeps one Caller per unique name
 * while that name is on the bus, so a caller seen before is known at once,
 * and tells whoever holds a Caller when it leaves the bus ("vanished").
 */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

G_BEGIN_DECLS

#define CALLER_TYPE (caller_get_type ())
G_DECLARE_FINAL_TYPE (Caller, caller, QCOAPD, CALLER, GObject)

const char *caller_get_bus_name (Caller *caller);
uid_t caller_get_uid (Caller *caller);
/* "uid 1000, pid 4242 (sensor-upload)", for logs. */
const char *caller_describe (Caller *caller);
/* FALSE once the caller's connection has left the bus. */
gboolean caller_is_on_bus (Caller *caller);

/* How many sessions @caller listens to (see session-listeners.c), counted
 * here so that a user's listeners can be counted over every session. */
void caller_add_listening (Caller *caller);
void caller_remove_listening (Caller *caller);

/* A caller known only by name and user, from before the daemon's restart,
 * whose connection is not on the bus (any more). */
Caller *caller_new_departed (const char *bus_name, uid_t uid);

/* May @caller use what @owner_uid owns? Its owner and root may; anyone
 * else gets QCOAP_ERROR_ACCESS_DENIED, with what is refused named in the
 * message by @format (written only then: this runs on every call). */
gboolean caller_authorize (Caller *caller, uid_t owner_uid, GError **error, const char *format, ...)
    G_GNUC_PRINTF (4, 5);

/* The bus answers from memory: on a connection of its own the answer comes
 * at once unless the bus itself is stuck. */
#define CALLER_LOOKUP_TIMEOUT_MS 5000

typedef struct _CallerRegistry CallerRegistry;

/* @connection may be NULL until the first caller_registry_set_connection(). */
CallerRegistry *caller_registry_new (GDBusConnection *connection);
void caller_registry_free (CallerRegistry *registry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CallerRegistry, caller_registry_free)

/* The bus connection changed (it was lost and made again). On the same bus
 * the known callers are watched again; on another bus they have vanished.
 * The bus is asked who a caller is on @lookup_connection, a second
 * connection to the same bus that carries nothing else, so that the
 * question never waits behind the signals queued on @connection (NULL:
 * asked on @connection). */
void caller_registry_set_connection (CallerRegistry *registry, GDBusConnection *connection,
                                     GDBusConnection *lookup_connection);

/* How many sessions the connections of user @uid on the bus listen to, in
 * all. */
guint caller_registry_count_listening (CallerRegistry *registry, uid_t uid);

/* The caller with unique name @bus_name if it is known already, else NULL. */
Caller *caller_registry_peek (CallerRegistry *registry, const char *bus_name);
/* Finds or asks the bus who @bus_name is. If the bus cannot tell within
 * CALLER_LOOKUP_TIMEOUT_MS (or the caller left), fails with
 * QCOAP_ERROR_MODEM_UNAVAILABLE, the error a caller tries again after:
 * nobody is denied anything for a question the bus did not answer. */
void caller_registry_lookup (CallerRegistry *registry, const char *bus_name,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data);
Caller *caller_registry_lookup_finish (CallerRegistry *registry, GAsyncResult *result,
                                       GError **error);

G_END_DECLS
