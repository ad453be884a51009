/* SPDX-License-Identifier: MIT */
/* session-listeners.h — the connections that hear a session's signals.
 *
 * A session's signals carry its payloads, so they are never broadcast: each
 * goes to every listener, addressed to the listener's unique bus name. The
 * listeners are the connection that opened the session (unless Open had
 * "listen" false) and every connection of its owner, or of root, that
 * called Listen; one leaves when it calls Unlisten or leaves the bus.
 *
 * Received is the one signal a server can cause without being asked: a
 * server that pushes NON messages causes as many as the line carries, each
 * copied to every listener. Beyond SESSION_RECEIVED_RATE a second (after a
 * burst of SESSION_RECEIVED_BURST) they are dropped and counted, with one
 * warning a second at most saying how many.
 */
#pragma once

#include <gio/gio.h>

#include "caller.h"

G_BEGIN_DECLS

/* Listeners of one session, at most (the state file keeps as many): each
 * costs the daemon and the bus a copy of every signal. */
#define SESSION_MAX_LISTENERS 64
/* Listeners of one user's connections (root's too) over all sessions, at
 * most: two sessions can be heard by as many as a session may have, but a
 * user's four sessions cannot each cost 64 copies of every message. The
 * openers count, though they are always let in. */
#define USER_MAX_LISTENERS 128

/* At 115 200 baud the line carries at most about 300 of the shortest
 * +QCOAPRECV a second, and a session's own exchanges come to about 60 a
 * second: 200 a second is well above what a session needs, and bounds a
 * flood on a faster port (USB, where the baud rate means nothing). The
 * burst passes at once many times what one session can have outstanding
 * (QueueLimit plus MaxInFlight, 96 by default), and a proxy's burst of a
 * few hundred responses. */
#define SESSION_RECEIVED_RATE  200
#define SESSION_RECEIVED_BURST 400

typedef struct _SessionListeners SessionListeners;

/* The listeners of session (client ID) @session_id, for the logs; @callers
 * counts each user's listeners. */
SessionListeners *session_listeners_new (CallerRegistry *callers, guint session_id);
void session_listeners_free (SessionListeners *listeners);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SessionListeners, session_listeners_free)

/* @caller listens from now on (again: nothing changes). A caller that has
 * left the bus cannot listen. The opener is always let in; through Listen,
 * one more beyond SESSION_MAX_LISTENERS, or beyond USER_MAX_LISTENERS of
 * the caller's user, fails with QCOAP_ERROR_QUEUE_FULL. */
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

/* Whether one more Received may go to the listeners now; if not, it is
 * counted as dropped (asked before the signal is built: a flood costs no
 * more than the count). */
gboolean session_listeners_admit_received (SessionListeners *listeners);

G_END_DECLS
