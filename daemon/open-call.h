/* SPDX-License-Identifier: MIT */
/* open-call.h — Open and the one-shot Request, from the call to the
 * session.
 *
 * An opener takes the arguments of a call, asks the bus who calls, chooses
 * a modem (the one the call names; else, of those that are ready, have a
 * free client ID and leave the user within its share, a registered one,
 * then the one with fewer sessions, then the better signal), checks the
 * limits on it (the user's share and the client IDs kept for root count per
 * modem), takes a client ID and opens a session on it. A one-shot Request
 * then sends its request, answers with the response and closes its session;
 * when no client ID is free it waits, within its timeout, for one to become
 * free, in the order the calls came. Each modem's unit keeps its session
 * table: the opener reads it and has it written through the unit.
 */
#pragma once

#include <gio/gio.h>

#include "caller.h"
#include "modem-unit.h"
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

typedef struct _Opener Opener;

/* Sessions are opened on client IDs of the modems @units (ModemUnit, in the
 * order of the configuration; the service's), and put in their tables. */
Opener *opener_new (GPtrArray *units, CallerRegistry *callers, const OpenerLimits *limits);
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
