/* session-listeners.h — the connections that hear a session's signals.
 *
 * A session's signals carry its payloads, so they are never broadcast: each
 * goes to every listener, addressed to the listener's unique bus name. The
 * listeners are the connection that opened the session (unless Open had
 * "listen" false) and every connection of its owner, or of root, that
 * called Listen; one leaves when it calls Unlisten or leaves the bus.
 */
#pragma once

#include <gio/gio.h>

#include "caller.h"

G_BEGIN_DECLS

/* Listeners of one session, at most (the state file keeps as many): each
 * costs the daemon and the bus a copy of every signal. */
#define SESSION_MAX_LISTENERS 64

typedef struct _SessionListeners SessionListeners;

/* The listeners of session (client ID) @session_id, for the logs. */
SessionListeners *session_listeners_new (guint session_id);
void session_listeners_free (SessionListeners *listeners);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SessionListeners, session_listeners_free)

/* @caller listens from now on (again: nothing changes). A caller that has
 * left the bus cannot listen. The opener is always let in; one more beyond
 * SESSION_MAX_LISTENERS through Listen fails with QCOAP_ERROR_QUEUE_FULL. */
void session_listeners_add_opener (SessionListeners *listeners, Caller *caller);
gboolean session_listeners_add (SessionListeners *listeners, Caller *caller, GError **error);
void session_listeners_remove (SessionListeners *listeners, Caller *caller);
/* Every listener goes (the session ended). */
void session_listeners_clear (SessionListeners *listeners);
gboolean session_listeners_any (SessionListeners *listeners);

/* Sends the signal @member of @skeleton's interface, with @parameters (a
 * floating reference is taken), to each listener. */
void session_listeners_emit (SessionListeners *listeners, GDBusInterfaceSkeleton *skeleton,
                             const char *member, GVariant *parameters);

G_END_DECLS
