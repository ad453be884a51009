/* SPDX-License-Identifier: MIT */
/* modem-client.h — one CoAP client ID of the modem, talking to one server.
 *
 * A modem client configures its client ID and opens it (AT+QCOAPCFG,
 * AT+QCOAPOPEN, after putting a DTLS key on the modem for a coaps server),
 * sends messages through the option mirror as one uninterrupted transaction
 * of the client pool, matches responses to requests by token, and closes.
 * The modem's URCs for its ID come in through modem_client_handle_urc() and
 * go out to its listener: received messages, delivery results (Ack),
 * retransmissions, state changes, and the end of the client.
 *
 * The rules it keeps:
 *  - every message the modem took gets exactly one final Ack; when the
 *    modem can no longer report one (the client ended, the modem restarted
 *    or went away) the result is MODEM_CLIENT_RESULT_ENDED;
 *  - a message whose AT+QCOAPSEND timed out may have left: its message ID
 *    stays in flight until its +QCOAPACK or the end of the client;
 *  - a persistent client survives a modem reset or loss: it waits (state
 *    OPENING) and opens again when told to, retrying with a growing pause.
 *
 * Nothing here knows about D-Bus: errors are QCOAP_ERROR (the contract's
 * domain, independent of the bus), the AT layer's AT_ERROR, or
 * G_IO_ERROR_CANCELLED.
 */
#pragma once

#include <gio/gio.h>

#include "client-pool.h"
#include "qcoap-proto.h"

G_BEGIN_DECLS

/* The Ack result of a message whose outcome the modem can no longer
 * report: its client ended first. The modem's own "operation not allowed". */
#define MODEM_CLIENT_RESULT_ENDED (-3)
/* Attempts to open a persistent client again after the modem lost it: with
 * pauses of 1, 2, 4 … 30 s, about four minutes in all. */
#define MODEM_CLIENT_REOPEN_ATTEMPTS 12

typedef enum
{
  MODEM_CLIENT_OPENING, /* being opened, or waiting for the modem to open again */
  MODEM_CLIENT_OPEN,
  MODEM_CLIENT_CLOSING,
  MODEM_CLIENT_ENDED,
} ModemClientState;

typedef struct
{
  char *host;
  guint16 port;
  guint pdp_context;
  guint ack_timeout;    /* seconds */
  guint max_retransmit; /* 4-8 */
  guint open_timeout_ms;
  gboolean persistent;
  char *psk_identity; /* both NULL: plain UDP */
  GBytes *psk_key;
  /* Calls that may wait at once: messages the modem has not taken yet and
   * requests without their response; one more fails with QUEUE_FULL. */
  guint queue_limit;
  /* Confirmable messages the modem has taken whose final +QCOAPACK has not
   * come; one more fails with QUEUE_FULL (0: no limit). */
  guint max_in_flight;
} ModemClientConfig;

void modem_client_config_clear (ModemClientConfig *config);

/* A message the server sent, or the response to a request. */
typedef struct
{
  guint16 message_id;
  guint8 code;
  GBytes *token;
  GPtrArray *options; /* of QcoapOption */
  GBytes *payload;
} ModemClientMessage;

void modem_client_message_free (ModemClientMessage *message);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ModemClientMessage, modem_client_message_free)

#define MODEM_TYPE_CLIENT (modem_client_get_type ())
G_DECLARE_FINAL_TYPE (ModemClient, modem_client, MODEM, CLIENT, GObject)

typedef struct
{
  void (*received) (ModemClient *client, const ModemClientMessage *message, gpointer user_data);
  void (*ack) (ModemClient *client, guint8 type, guint16 message_id, int result,
               gpointer user_data);
  void (*retransmission) (ModemClient *client, guint8 type, guint16 message_id, guint attempt,
                          int result, gpointer user_data);
  void (*state_changed) (ModemClient *client, gpointer user_data);
  /* The client ended after it had opened (closed, modem gone, …); @reason
   * as the API's Closed signal spells it. Its ID is free again. */
  void (*ended) (ModemClient *client, const char *reason, gpointer user_data);
} ModemClientListener;

/* A client on ID @id, which the caller has acquired from @pool; the client
 * releases it when it ends. */
ModemClient *modem_client_new (ClientPool *pool, guint id, const ModemClientConfig *config,
                               const ModemClientListener *listener, gpointer user_data);

guint modem_client_get_id (ModemClient *client);
ModemClientState modem_client_get_state (ModemClient *client);
const ModemClientConfig *modem_client_get_config (ModemClient *client);

/* Opens the client on the modem. On failure the client has ended (without
 * telling its listener) and its ID is free before the callback runs. */
void modem_client_open (ModemClient *client, GAsyncReadyCallback callback, gpointer user_data);
gboolean modem_client_open_finish (ModemClient *client, GAsyncResult *result, GError **error);

/* Sends one message; completes when the modem has taken it. @message_id -1
 * lets the pool pick one; @token NULL picks a random one for CON and NON
 * and none for ACK and RST. */
void modem_client_send (ModemClient *client, guint8 type, guint8 code, int message_id,
                        GBytes *token, GPtrArray *options, GBytes *payload,
                        GAsyncReadyCallback callback, gpointer user_data);
gboolean modem_client_send_finish (ModemClient *client, GAsyncResult *result, guint16 *message_id,
                                   GBytes **token, GError **error);

/* Sends a request with a fresh token and completes with the response whose
 * token matches, piggybacked or separate. A @timeout_ms of 0 means RFC
 * 7252's exchange lifetime for the client's transmission settings. */
void modem_client_request (ModemClient *client, guint8 code, GPtrArray *options, GBytes *payload,
                           gboolean confirmable, guint timeout_ms, GAsyncReadyCallback callback,
                           gpointer user_data);
ModemClientMessage *modem_client_request_finish (ModemClient *client, GAsyncResult *result,
                                                 GError **error);

/* Closes the client on the modem (AT+QCOAPCLOSE), then ends it with
 * @reason. A client waiting for the modem ends at once. */
void modem_client_close (ModemClient *client, const char *reason, GAsyncReadyCallback callback,
                         gpointer user_data);
gboolean modem_client_close_finish (ModemClient *client, GAsyncResult *result, GError **error);

/* Ends the client without AT traffic: everything waiting fails with
 * QCOAP_ERROR_CLOSED and the ID is free. */
void modem_client_end (ModemClient *client, const char *reason);
/* The modem restarted or went away (@reason "modem-reset", "modem-lost",
 * "error"): a persistent open client waits; any other client ends. */
void modem_client_suspend (ModemClient *client, const char *reason);
/* The modem can take sessions again: a waiting client opens again. */
void modem_client_reopen (ModemClient *client);
/* Whether the client waits for its modem (a persistent client the modem
 * lost, between attempts or during one) and could open elsewhere: a DTLS
 * client only with its key in memory. */
gboolean modem_client_may_move (ModemClient *client);
/* Moves a client that may move to client ID @id of @pool (attached to it
 * there) and opens it there. Its old ID goes back to its pool: closed on
 * the module first if @close_old (a module still answering may hold it),
 * else at once (one that restarted holds nothing, and one that stopped
 * answering is swept when it is back). */
void modem_client_move (ModemClient *client, ClientPool *pool, guint id, gboolean close_old);
/* The modem already holds this client open (a restarted daemon found it
 * so): the client is open without any AT command. What the modem holds of
 * its header and option slots is not known; the first message writes it. */
void modem_client_adopt (ModemClient *client);
/* The daemon stops and leaves the client open on the modem for its next
 * run: everything waiting fails with QCOAP_ERROR_CLOSED, nothing is sent,
 * the listener hears nothing, and the ID is free. */
void modem_client_leave (ModemClient *client);
/* A URC for this client's ID (@user_data: the client). The client attaches
 * it to its ID in the pool when it is made. */
void modem_client_handle_urc (const ClientPoolUrc *urc, gpointer user_data);

G_END_DECLS
