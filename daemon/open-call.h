/* SPDX-License-Identifier: MIT */
/* open-call.h — Open and the one-shot Request, from the call to the
 * session.
 *
 * An opener takes the arguments of a call, asks the bus who calls, checks
 * the limits (the modem ready, the user's share, the client IDs kept for
 * root), takes a client ID and opens a session on it. A one-shot Request
 * then sends its request, answers with the response and closes its session;
 * when no client ID is free it waits, within its timeout, for one to become
 * free, in the order the calls came. The service keeps the session table:
 * the opener reads it and has it written through the hooks below.
 */
#pragma once

#include <gio/gio.h>

#include "caller.h"
#include "session.h"

G_BEGIN_DECLS

/* What the gateway's configuration allows. */
typedef struct
{
  guint max_clients_per_user; /* for users other than root */
  guint reserved_for_root;    /* client IDs only root may take */
  guint max_idle_timeout;     /* the longest idle-timeout of a persistent session, s */
  SessionLimits session;
} OpenerLimits;

/* The service's side: every hook gets the opener's @user_data. */
typedef struct
{
  /* Whether sessions may be opened now, and if not why (ModemUnavailable). */
  gboolean (*check_ready) (GError **error, gpointer user_data);
  /* How many sessions the user @uid holds. */
  guint (*count_sessions_of) (uid_t uid, gpointer user_data);
  /* @session is new, not yet open: it goes in the table. */
  void (*add_session) (Session *session, gpointer user_data);
  /* @session's open failed (its client ID is free again): it leaves the
   * table. */
  void (*drop_session) (Session *session, gpointer user_data);
  /* @session is open: it goes on the bus, and in the state file unless
   * @temporary (a one-shot Request's). */
  void (*export_session) (Session *session, gboolean temporary, gpointer user_data);
} OpenerHooks;

typedef struct _Opener Opener;

/* Sessions are opened on client IDs of @pool; once open they end through
 * @ended with @user_data, as the hooks are called. */
Opener *opener_new (ClientPool *pool, CallerRegistry *callers, const OpenerLimits *limits,
                    SessionEndedFunc ended, const OpenerHooks *hooks, gpointer user_data);
/* Calls still waiting for a client ID are dropped without an answer. */
void opener_free (Opener *opener);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Opener, opener_free)

/* Open(host, port, options): answers @invocation with the session's path. */
void opener_open (Opener *opener, GDBusMethodInvocation *invocation, const char *host, guint16 port,
                  GVariant *options);
/* Request(uri, code, options, payload, flags): answers @invocation with the
 * response. */
void opener_request (Opener *opener, GDBusMethodInvocation *invocation, const char *uri,
                     guint8 code, GVariant *options, GVariant *payload, GVariant *flags);

/* A client ID became free: the longest-waiting one-shot Request tries it. */
void opener_serve_waiting (Opener *opener);
/* The daemon stops: the waiting calls fail with Closed. */
void opener_fail_waiting (Opener *opener);

G_END_DECLS
