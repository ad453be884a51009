/* SPDX-License-Identifier: MIT */
/* network-context.h — the network's data contexts (network-context.c):
 * their activation with back-off, the calls waiting for one, and the
 * network's "pdpdeact". Used by network.c only. */
#pragma once

#include "network-command.h"

G_BEGIN_DECLS

/* @sessions_lost: the reason the sessions on it are gone, or NULL when none
 * can have been (the modem's life ended). */
void network_context_down (Context *context, const char *sessions_lost);
void network_context_kick (Context *context);
void network_context_forget (Context *context);
void network_context_clear (Context *context);
void network_write_contexts (Network *network);
void network_on_qiurc (const AtEvent *event, gpointer user_data);

G_END_DECLS
