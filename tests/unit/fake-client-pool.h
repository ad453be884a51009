/* SPDX-License-Identifier: MIT */
/* fake-client-pool.h — a client pool without a modem, for unit tests of the
 * code above it: transactions are recorded and answered by the test. */
#pragma once

#include "client-pool.h"

G_BEGIN_DECLS

ClientPool *fake_pool_new (void);
void fake_pool_free (ClientPool *pool);

/* Transactions not answered yet. */
guint fake_pool_pending (ClientPool *pool);
/* The AT commands of the oldest transaction not answered yet. */
GPtrArray *fake_pool_peek_commands (ClientPool *pool);
/* Answers the oldest transaction: OK to every step, or @error (copied). */
void fake_pool_answer (ClientPool *pool, const GError *error);
/* How often client ID @id has been released. */
guint fake_pool_releases (ClientPool *pool, guint id);
/* Hands @urc to whoever is attached to its client ID, as the pool does;
 * FALSE if nobody is (the ID was released). */
gboolean fake_pool_deliver_urc (ClientPool *pool, const ClientPoolUrc *urc);

G_END_DECLS
