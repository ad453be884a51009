/* SPDX-License-Identifier: MIT */
/* recent-messages.h — the messages a client ID received lately, to drop a
 * message the module reports again.
 *
 * A server retransmits a confirmable message whose ACK it missed, and
 * Quectel's firmware reports each copy (field code of the NB-IoT modules
 * drops them; RFC 7252 §4.5 asks every receiver to). A copy has the same
 * message ID and token within the exchange's lifetime; a message ID seen
 * again with another token is a new message (the sequence wrapped). Free of
 * I/O: the caller gives the time.
 */
#pragma once

#include <glib.h>

typedef struct _RecentMessages RecentMessages;

/* At most @capacity messages are remembered: under a flood the oldest go
 * first. Their memory is taken once, here, and not per message. */
RecentMessages *recent_messages_new (guint capacity);
void recent_messages_free (RecentMessages *recent);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RecentMessages, recent_messages_free)

/* TRUE if @message_id with @token was received before and is still within
 * its lifetime at @now_us; otherwise remembers it until @now_us +
 * @lifetime_us and returns FALSE. */
gboolean recent_messages_check (RecentMessages *recent, guint16 message_id, GBytes *token,
                                gint64 now_us, gint64 lifetime_us);
/* How many copies check() has found. */
guint recent_messages_get_duplicates (RecentMessages *recent);
