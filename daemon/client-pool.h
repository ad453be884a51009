/* SPDX-License-Identifier: MIT */
/* client-pool.h — the modem's six CoAP client IDs and the order in which
 * their AT work reaches the port.
 *
 * Each client ID has a bounded queue of transactions. A transaction is a short
 * list of AT commands that must reach the modem back to back for that ID
 * (HEADER, OPTION…, SEND: the module keeps one header and one option table per
 * client, so nothing of the same ID may come between them). Transactions are
 * served round-robin across client IDs, one at a time, so a caller with a long
 * queue cannot starve the others.
 *
 * The pool takes the module's CoAP URCs (+QCOAPRECV, +QCOAPACK, +QCOAPIND
 * and the results of AT+QCOAPOPEN and AT+QCOAPCLOSE) from the AT engine,
 * reads their kind and client ID once, and hands each to whoever is attached
 * to that client ID, or, for an ID nobody holds, to the handler of unclaimed
 * URCs (a starting daemon's adoption, while it closes what it found).
 *
 * The pool also hands out message IDs from one per-modem sequence that starts
 * at a random value and skips IDs still in flight. Each ID in flight belongs
 * to the client ID that reserved it, so that callers can cap what one client
 * holds; when all 65 536 are in flight a reservation fails.
 */
#pragma once

#include <gio/gio.h>

#include "modem.h"
#include "qcoap-proto.h"

G_BEGIN_DECLS

typedef struct _ClientPool ClientPool;

/* The queue of transactions that belong to no client ID (a diagnostic
 * command): served in the round robin like a seventh client, so it runs
 * between the clients' transactions and never inside one. */
#define CLIENT_POOL_MODEM_QUEUE QCOAP_MAX_CLIENTS

/* What a client needs before it opens: its data context up. The service
 * provides it (the network); the pool only passes it on, so that the
 * clients above do not depend on the network module. */
typedef struct
{
  /* TRUE when @pdp_context is up now. */
  gboolean (*ready) (guint pdp_context, gpointer user_data);
  /* Completes once it is up, or fails after @timeout_ms (0: no limit). */
  void (*wait) (guint pdp_context, guint timeout_ms, GCancellable *cancellable,
                GAsyncReadyCallback callback, gpointer callback_data, gpointer user_data);
  gboolean (*wait_finish) (GAsyncResult *result, GError **error, gpointer user_data);
} ClientPoolPreparer;

/* A CoAP URC, read once: what it is and which client ID it is for. */
typedef struct
{
  QcoapUrcKind kind; /* RECV, ACK, IND, OPEN_RESULT or CLOSE */
  guint client_id;
  const AtEvent *event; /* the line, and the payload of a RECV */
} ClientPoolUrc;

typedef void (*ClientPoolUrcFunc) (const ClientPoolUrc *urc, gpointer user_data);

ClientPool *client_pool_new (Modem *modem, guint queue_limit);
void client_pool_free (ClientPool *pool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClientPool, client_pool_free)

/* Takes client ID @wanted (0–5) or, with -1, the lowest free one.
 * QCOAP_ERROR_CLIENT_BUSY / QCOAP_ERROR_NO_FREE_CLIENT otherwise. */
gboolean client_pool_acquire (ClientPool *pool, int wanted, guint *id, GError **error);
/* Frees @id, and detaches whoever was attached to it. */
void client_pool_release (ClientPool *pool, guint id);
/* @func hears the URCs of client ID @id, which the caller holds, until the
 * ID is released or client_pool_detach() is called with the same @user_data. */
void client_pool_attach (ClientPool *pool, guint id, ClientPoolUrcFunc func, gpointer user_data);
void client_pool_detach (ClientPool *pool, guint id, gpointer user_data);
/* Whether @user_data is attached to @id now. */
gboolean client_pool_is_attached (ClientPool *pool, guint id, gpointer user_data);
/* The module closes a client ID on its own time: after AT+QCOAPCLOSE
 * answered OK, @id (taken) stays taken until its +QCOAPCLOSE result comes,
 * or @timeout_ms have passed, so that no Open lands on an ID the module
 * still holds. Whoever was attached to @id hears no more. */
#define CLIENT_POOL_CLOSE_TIMEOUT_MS 75000 /* the application note's maximum */
void client_pool_release_when_closed (ClientPool *pool, guint id, guint timeout_ms);
/* @id (taken) is held by no session but may be open on the module: it is
 * closed there (AT+QCOAPCLOSE) and then released as above; an ERROR means
 * the module holds nothing on it, and it is free at once. */
#define CLIENT_POOL_CLOSE_COMMAND_TIMEOUT_MS 2000
void client_pool_close_and_release (ClientPool *pool, guint id);
/* @func hears when an ID the module was closing becomes free: nobody else
 * acts on that moment, so whoever shows FreeClients or waits for an ID
 * does. */
void client_pool_set_freed_func (ClientPool *pool, void (*func) (ClientPool *pool, gpointer data),
                                 gpointer data);

/* @func (NULL: none) hears the URCs of client IDs nobody is attached to. */
void client_pool_set_unclaimed_handler (ClientPool *pool, ClientPoolUrcFunc func,
                                        gpointer user_data);
gboolean client_pool_is_taken (ClientPool *pool, guint id);
guint client_pool_count_free (ClientPool *pool);

/* Queues a transaction (an array of AtStep, taken over) for client @id
 * (or CLIENT_POOL_MODEM_QUEUE).
 * Completes with the array of AtResponse of every step, or with the first
 * step's error (the remaining steps are then not sent). A queue already
 * holding its limit fails at once with QCOAP_ERROR_QUEUE_FULL. Cancelling
 * works until the transaction starts; once started it runs to its end so the
 * module is never left with half a message. */
void client_pool_run (ClientPool *pool, guint id, GPtrArray *steps, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *client_pool_run_finish (ClientPool *pool, GAsyncResult *result, GError **error);

/* Sets the preparation step of every open (none: opens go ahead at once). */
void client_pool_set_preparer (ClientPool *pool, const ClientPoolPreparer *preparer,
                               gpointer user_data);
/* TRUE at once when a client on @pdp_context may open now (@callback is
 * not called); otherwise completes when it may, or fails after @timeout_ms
 * (0: no limit) saying what is missing. */
gboolean client_pool_prepare (ClientPool *pool, guint pdp_context, guint timeout_ms,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data);
gboolean client_pool_prepare_finish (ClientPool *pool, GAsyncResult *result, GError **error);

/* Fails every queued (not yet started) transaction of @id with @error. */
void client_pool_fail_queued (ClientPool *pool, guint id, const GError *error);

/* Every message ID there is. */
#define CLIENT_POOL_MESSAGE_IDS 65536

/* Message IDs: each client ID is an endpoint of its own and has its own
 * sequence, from a random start, so that a server learns nothing of
 * another's messages and cannot predict their IDs. The next free ID of
 * @client_id's sequence is in flight until client_pool_message_done().
 * Fails with QCOAP_ERROR_QUEUE_FULL when every ID of it is in flight. */
gboolean client_pool_reserve_message_id (ClientPool *pool, guint client_id, guint16 *message_id,
                                         GError **error);
/* The same for an ID the caller chose; QCOAP_ERROR_INVALID_ARGUMENT if it is
 * in flight already on @client_id. */
gboolean client_pool_reserve_chosen_message_id (ClientPool *pool, guint client_id,
                                                guint16 message_id, GError **error);
/* How many message IDs @client_id holds in flight. */
guint client_pool_count_messages_in_flight (ClientPool *pool, guint client_id);
void client_pool_message_done (ClientPool *pool, guint client_id, guint16 message_id);
gboolean client_pool_message_in_flight (ClientPool *pool, guint client_id, guint16 message_id);
/* Where @client_id's sequence is: the next ID it would try. A restarted
 * daemon sets it past anything its previous run may have used. */
guint16 client_pool_get_message_id_position (ClientPool *pool, guint client_id);
void client_pool_set_message_id_position (ClientPool *pool, guint client_id, guint16 position);
/* Calls @func each time the sequences have handed out @span more IDs
 * together, so that whoever records the positions can keep ahead of them. */
void client_pool_watch_message_ids (ClientPool *pool, guint span,
                                    void (*func) (ClientPool *pool, gpointer user_data),
                                    gpointer user_data);

G_END_DECLS
