/* SPDX-License-Identifier: MIT */
/* id-sweep.h — client IDs the module kept while the daemon lost its sessions.
 *
 * The daemon forgets its sessions when the module stops answering or its
 * port goes away, but a module that did not restart keeps its CoAP clients
 * open: an Open that lands on one of those IDs fails with -10, and
 * FreeClients counts it free. Once the module is ready again, AT+QCOAPOPEN?
 * lists what it holds, and every listed ID that no session holds is taken
 * and closed (client_pool_close_and_release()) before it is handed out.
 */
#pragma once

#include "client-pool.h"

G_BEGIN_DECLS

/* Runs once; nothing to wait for. Cancelling @cancellable stops it. */
void id_sweep_run (Modem *modem, ClientPool *pool, GCancellable *cancellable);

G_END_DECLS
