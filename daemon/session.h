/* SPDX-License-Identifier: MIT */
/* session.h — one session of the API: a modem client published on the bus
 * as /org/qcoapd/CoAP1/Session/N.
 *
 * The session holds the D-Bus object (its properties and signals), its
 * owner and idle timer, and answers its methods: each handler checks who
 * calls (the owner's user or root), reads the arguments, and hands the work
 * to its modem client. The service creates sessions and is told through the
 * "ended" function when one is over, after its Closed signal.
 */
#pragma once

#include <gio/gio.h>

#include "caller.h"
#include "dbus-args.h"
#include "modem-client.h"
#include "session-listeners.h"

G_BEGIN_DECLS

#define SESSION_OBJECT_PATH_PREFIX "/org/qcoapd/CoAP1/Session/"

typedef struct _Session Session;

/* What the gateway's configuration allows one session: see
 * ModemClientConfig. */
typedef struct
{
  guint queue_limit;
  guint max_in_flight;
} SessionLimits;

/* The session has ended (Closed has been emitted if it was ever open). */
typedef void (*SessionEndedFunc) (Session *session, gpointer user_data);

/* A session on client ID @id (acquired from @pool) to @host:@port with
 * Open's @args, owned by @owner. */
Session *session_new (ClientPool *pool, CallerRegistry *callers, guint id, guint number,
                      const char *host, guint16 port, const OpenArgs *args,
                      const SessionLimits *limits, Caller *owner, SessionEndedFunc ended,
                      gpointer user_data);
Session *session_ref (Session *session);
void session_unref (Session *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Session, session_unref)

/* Opens the session on the modem. On failure the session has ended without
 * calling the ended function, and its client ID is free. */
void session_open (Session *session, GAsyncReadyCallback callback, gpointer user_data);
gboolean session_open_finish (GAsyncResult *result, GError **error);

/* A request on the session (for the one-shot Request). */
void session_request (Session *session, guint8 code, GPtrArray *options, GBytes *payload,
                      guint timeout_ms, GAsyncReadyCallback callback, gpointer user_data);
/* The response as (y a(qv) ay). */
GVariant *session_request_finish (GAsyncResult *result, GError **error);

void session_close (Session *session, const char *reason, GAsyncReadyCallback callback,
                    gpointer user_data);
gboolean session_close_finish (GAsyncResult *result, GError **error);

/* Ends the session without AT traffic. */
void session_end (Session *session, const char *reason);
/* The modem restarted or went away: see modem_client_suspend(). */
void session_suspend (Session *session, const char *reason);
/* The modem can take sessions again. */
void session_reopen (Session *session);
/* A session from the daemon's previous run: @held if the modem still holds
 * its client ID open (adopted as it is; its idle timer ends at
 * @idle_deadline, wall-clock seconds, unless 0), otherwise waiting to be
 * opened again as after a modem reset. */
void session_adopt (Session *session, gboolean held, gint64 idle_deadline);
/* The daemon stops: see modem_client_leave(). No Closed signal. */
void session_leave (Session *session);

guint session_get_id (Session *session);
const char *session_get_object_path (Session *session);
guint session_get_number (Session *session);

/* Session paths are SESSION_OBJECT_PATH_PREFIX and a number that is never
 * used twice while the daemon runs, nor across a restart (the state file
 * keeps how far the numbers got): a program that holds the path of a
 * session that ended can never reach another one. session_new() with a
 * @number of 0 takes the next one. */
guint session_numbers_next (void);
/* The numbers up to @number are taken (a saved session's, or the saved
 * count). */
void session_numbers_reserve (guint number);
/* Why the session ended (the reason of its Closed signal); NULL before. */
const char *session_get_end_reason (Session *session);
/* Its Modem property: the object path of the modem its client ID is on. */
void session_set_modem (Session *session, const char *modem_path);
/* The exported object (with its Session interface). */
GDBusObjectSkeleton *session_get_object (Session *session);
uid_t session_get_owner_uid (Session *session);
Caller *session_get_owner (Session *session);
const ModemClientConfig *session_get_config (Session *session);
guint session_get_idle_timeout (Session *session);
/* When the idle timer ends, in wall-clock seconds; 0 if it does not run. */
gint64 session_get_idle_deadline (Session *session);
/* The data context (1-16) the session uses. */
guint session_get_pdp_context (Session *session);

/* The (y a(qv) ay) a Request answers. */
GVariant *session_response_to_variant (const ModemClientMessage *response);

G_END_DECLS
