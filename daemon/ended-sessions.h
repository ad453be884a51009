/* SPDX-License-Identifier: MIT */
/* ended-sessions.h — what a call on the path of a session that ended gets.
 *
 * A session's object leaves the bus when the session ends, and a program
 * that still holds its path would otherwise get GDBus's UnknownMethod or
 * UnknownObject, or, were paths reused, talk to another session. Paths are
 * never reused (session.h); below SESSION_OBJECT_PATH_PREFIX every path that
 * holds no session answers org.qcoapd.CoAP1.Error.Closed, methods and
 * property reads alike, with the reason the session closed while it is
 * remembered ("… closed: network-lost"), "unknown or ended session" after.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* How many ended sessions keep their reason. */
#define ENDED_SESSIONS_KEPT 256

typedef struct _EndedSessions EndedSessions;

EndedSessions *ended_sessions_new (void);
void ended_sessions_free (EndedSessions *ended);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EndedSessions, ended_sessions_free)

/* The session at @path ended with @reason (as its Closed signal said). */
void ended_sessions_add (EndedSessions *ended, const char *path, const char *reason);
/* The reason the session at @path ended, or NULL if it is not remembered. */
const char *ended_sessions_lookup (EndedSessions *ended, const char *path);

/* Answers for the paths below the sessions' prefix on @connection (the
 * previous connection's registration, if any, is dropped). */
gboolean ended_sessions_export (EndedSessions *ended, GDBusConnection *connection, GError **error);

G_END_DECLS
