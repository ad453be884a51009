/* SPDX-License-Identifier: MIT */
/* modem-client-private.h — what the two halves of the modem client share:
 * its instance struct and the few functions one half calls in the other.
 * modem-client.c has the messages (sending, requests, URCs, the one final
 * Ack of each message); modem-client-open.c has the client ID's life (open,
 * reopen after a modem restart, adoption, leaving, close, the end). Not for
 * use outside these two files. */
#pragma once

#include "modem-client.h"
#include "option-mirror.h"
#include "recent-messages.h"

G_BEGIN_DECLS

#define LOCAL_COMMAND_TIMEOUT_MS 2000

struct _ModemClient
{
  GObject parent;
  ClientPool *pool;
  guint id;
  ModemClientConfig config;
  ModemClientListener listener;
  gpointer listener_data;
  ModemClientState state;

  /* Cancelled when the client ends or the modem loses it: fails its queued
   * AT work. */
  GCancellable *cancellable;
  GTask *open_task;
  guint open_timeout_source;
  GTask *close_task;
  guint close_timeout_source;
  char *close_reason;

  GHashTable *requests_by_token; /* hex token → PendingRequest */
  /* What the modem holds of this client's header and option slots. */
  OptionMirror *option_mirror;
  /* Message ID → SEND_STATE of every message given to the modem whose
   * final +QCOAPACK has not come yet. */
  GHashTable *sends_in_flight;
  /* What the module reported lately, to drop its reports of a copy. */
  RecentMessages *recent_messages;
  /* Sends not taken yet and requests not answered yet (queue_limit). */
  guint calls_waiting;
  /* Confirmable messages in sends_in_flight (max_in_flight). */
  guint con_in_flight;
  /* A persistent client being opened again after the modem lost it. */
  gboolean reopening;
  /* Failed attempts to open it again, and the timer of the next one. */
  guint reopen_failures;
  guint reopen_retry_source;
  /* Counts connect attempts, so a late answer of the network for an
   * earlier one is ignored; and when the first open started. */
  guint connect_attempt;
  gint64 open_started_us;
  /* An open answered -10 (the module still holds the ID): closed there
   * once, and opened again when the module says it is closed. */
  gboolean occupied_retried;
  gboolean awaiting_occupied_close;
  guint occupied_close_source;

  /* AT transactions of this client queued or running. */
  guint transactions;
  /* The next header, written ahead (modem-client-ahead.c): its message ID
   * is reserved while @ahead; @ahead_ready once the modem holds it. */
  gboolean ahead;
  gboolean ahead_ready;
  guint16 ahead_message_id;
  GBytes *ahead_token;
  OptionMirrorPlan *ahead_plan;    /* its write, while under way */
  GCancellable *ahead_cancellable; /* cancels that write while it is queued */
};

/* In modem-client.c. */
ModemClient *modem_client_alloc (ClientPool *pool, guint id, const ModemClientConfig *config,
                                 const ModemClientListener *listener, gpointer user_data);
/* +QCOAPRECV, +QCOAPACK, +QCOAPIND: the messages of the client. */
void modem_client_handle_message_urc (ModemClient *self, const ClientPoolUrc *urc);
void modem_client_set_state (ModemClient *self, ModemClientState state);
void modem_client_fail_pending_requests (ModemClient *self, const char *message);
void modem_client_end_messages_in_flight (ModemClient *self);
/* A random request token that no waiting request and no header written
 * ahead uses; its hex form in *@token_hex unless NULL. */
GBytes *modem_client_unused_token (ModemClient *self, char **token_hex);

/* In modem-client-ahead.c. */
/* A request's message went to the modem: while it waits for its response,
 * and nothing else of the client is queued, the next header is written. */
void modem_client_ahead_start (ModemClient *self);
/* A request takes the header written ahead, if the modem holds it; FALSE
 * (and the header is given up if its write is still under way) if not. */
gboolean modem_client_ahead_take (ModemClient *self, guint16 *message_id, GBytes **token);
/* The header ahead is not used (another header overwrites it, or the
 * modem's state is forgotten): its message ID goes back. */
void modem_client_ahead_drop (ModemClient *self);
/* Whether @token is the header ahead's. */
gboolean modem_client_ahead_holds (ModemClient *self, GBytes *token);

G_END_DECLS
