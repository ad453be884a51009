/* SPDX-License-Identifier: MIT */
/* failover.h — persistent sessions move when their modem goes away.
 *
 * A modem is away while it is not ready (gone, restarting, asleep) or ready
 * without registration. Once it has been away for the failover delay
 * (FailoverDelay=), each of its sessions that may move (persistent, opened
 * without "modem", waiting for the modem; see session_can_move()) goes to
 * the best other modem that can take it: ready, registered, with a free
 * client ID within its owner's share and the IDs kept for root. A session
 * that finds none stays where it is, waiting for its own modem, and tries
 * again whenever another modem changes. A modem that comes back before the
 * delay keeps its sessions. With one modem nothing ever moves.
 */
#pragma once

#include <glib.h>

#include "modem-unit.h"

G_BEGIN_DECLS

typedef struct
{
  guint delay_s;              /* away this long before sessions move */
  guint max_clients_per_user; /* per modem, for users other than root */
  guint reserved_for_root;    /* client IDs of each modem only root may take */
} FailoverConfig;

typedef struct _Failover Failover;

/* Watches @units (ModemUnit, the service's). */
Failover *failover_new (GPtrArray *units, const FailoverConfig *config);
void failover_free (Failover *failover);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Failover, failover_free)

/* @unit changed (its state, network or sessions). */
void failover_unit_changed (Failover *failover, ModemUnit *unit);

G_END_DECLS
