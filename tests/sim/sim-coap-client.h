/* SPDX-License-Identifier: MIT */
/* sim-coap-client.h — one of the modem's six CoAP clients on the network side.
 *
 * A client owns a connected UDP socket to its server while open. It sends
 * what AT+QCOAPSEND built, retransmits a CON with the session's ACK timeout
 * (randomised ×1–1.5, doubling, RFC 7252 §4.2) and reports through a URC
 * callback as the decisions of daemon/AT-INTERFACE.md say: +QCOAPIND per
 * retransmission, +QCOAPACK for the outcome, +QCOAPRECV for every response
 * or request that arrives. Incoming CONs are acknowledged here with an empty
 * ACK and reported once per message ID.
 */
#pragma once

#include "coap-pdu.h"
#include "qcoap-modem.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/* Client IDs 0 to 5. */
#define SIM_COAP_N_CLIENTS QCOAP_MODEM_MAX_CLIENTS

typedef enum
{
  SIM_COAP_STATUS_IDLE = 0,
  SIM_COAP_STATUS_OPENING = 1,
  SIM_COAP_STATUS_CONNECTING = 2,
  SIM_COAP_STATUS_CONNECTED = 3,
  SIM_COAP_STATUS_DISCONNECTING = 4,
} SimCoapStatus;

/* Network behaviour shared by all clients. */
typedef struct
{
  guint net_delay_ms; /* one way, every datagram */
  guint time_scale;   /* CoAP timers run this many times faster (tests) */
} SimCoapNetwork;

/* A URC for the host: @line without framing; @payload (may be NULL) follows
 * it, framed as +QCOAPRECV's payload. */
typedef void (*SimCoapUrcFunc) (const char *line, const guint8 *payload, gsize payload_length,
                                gpointer user_data);

typedef struct _SimCoapClient SimCoapClient;

SimCoapClient *sim_coap_client_new (guint id, const SimCoapNetwork *network,
                                    SimCoapUrcFunc urc_func, gpointer user_data);
void sim_coap_client_free (SimCoapClient *client);

/* Connects to @address; @server and @port are what AT+QCOAPOPEN? shows. */
gboolean sim_coap_client_open (SimCoapClient *client, GSocketAddress *address, const char *server,
                               guint port, GError **error);
/* Connects to @address and runs a DTLS 1.2 handshake with the pre-shared
 * key (@identity, @key); the status is CONNECTING meanwhile. The outcome is
 * reported later through the URC function, "+QCOAPOPEN: <id>,0" or
 * "+QCOAPOPEN: <id>,-9" (the socket is closed again then), never before this
 * returns. Afterwards every message of the client travels inside the DTLS
 * session. FALSE (nothing reported) if the socket or DTLS could not be set
 * up at all. */
gboolean sim_coap_client_open_dtls (SimCoapClient *client, GSocketAddress *address,
                                    const char *server, guint port, const char *identity,
                                    GBytes *key, GError **error);
/* Closes the socket and forgets pending exchanges, without URCs. */
void sim_coap_client_close (SimCoapClient *client);

SimCoapStatus sim_coap_client_get_status (SimCoapClient *client);
const char *sim_coap_client_get_server (SimCoapClient *client);
guint sim_coap_client_get_port (SimCoapClient *client);

/* Session parameters of AT+QCOAPCFG="trans". */
void sim_coap_client_set_transmission (SimCoapClient *client, guint ack_timeout_s,
                                       guint max_retransmit);

/* Encodes and sends @pdu (a CON starts its retransmission cycle). FALSE if
 * the client is not connected or the message does not fit a datagram. */
gboolean sim_coap_client_send (SimCoapClient *client, const CoapPdu *pdu, GError **error);

/* Datagrams sent and received, for the control channel's statistics. */
guint sim_coap_client_get_tx_count (SimCoapClient *client);
guint sim_coap_client_get_rx_count (SimCoapClient *client);

G_END_DECLS
