/* SPDX-License-Identifier: MIT */
/* sim-coap-client.c — see sim-coap-client.h. */
#include "sim-coap-client.h"

#include "sim-coap-format.h"
#include "sim-dtls.h"
#include "sim-log.h"

/* RFC 7252 EXCHANGE_LIFETIME: how long a received message ID is remembered. */
#define RECENT_ID_LIFETIME_US (247 * G_USEC_PER_SEC)
/* The largest datagram taken from the network: any UDP datagram. The module
 * takes datagrams larger than the 1024 bytes it sends (how much larger its
 * documentation does not say), and reports each one whole in +QCOAPRECV,
 * payload and every option, so the simulator caps nothing below what UDP
 * carries. */
#define SIM_MAX_RECEIVED_DATAGRAM 65535

typedef struct
{
  SimCoapClient *client;
  guint16 message_id;
  GBytes *datagram;
  guint retransmissions;
  guint timeout_ms;
  guint source;
} PendingCon;

typedef struct
{
  SimCoapClient *client;
  GBytes *datagram;
  gboolean outgoing;
  guint source;
} DelayedDatagram;

struct _SimCoapClient
{
  guint id;
  const SimCoapNetwork *network;
  SimCoapUrcFunc urc_func;
  gpointer user_data;

  SimCoapStatus status;
  char *server;
  guint port;
  GSocket *socket;
  GSource *socket_source;
  SimDtls *dtls; /* while a DTLS session runs (or is being set up) */

  guint ack_timeout_s;
  guint max_retransmit;
  GHashTable *pending; /* message ID -> PendingCon, CONs awaiting ACK/RST */
  GHashTable *recent;  /* message ID -> expiry time, received CONs */
  GList *delayed;      /* DelayedDatagram, in flight on the slow link */

  guint tx_count;
  guint rx_count;
  guint8 *receive_buffer; /* SIM_MAX_RECEIVED_DATAGRAM bytes */
};

static void
emit_urc (SimCoapClient *client, const char *line, const guint8 *payload, gsize length)
{
  client->urc_func (line, payload, length, client->user_data);
}

static void
pending_con_free (gpointer data)
{
  PendingCon *con = data;

  g_clear_handle_id (&con->source, g_source_remove);
  g_bytes_unref (con->datagram);
  g_free (con);
}

static void
delayed_datagram_free (DelayedDatagram *delayed)
{
  g_clear_handle_id (&delayed->source, g_source_remove);
  g_bytes_unref (delayed->datagram);
  g_free (delayed);
}

SimCoapClient *
sim_coap_client_new (guint id, const SimCoapNetwork *network, SimCoapUrcFunc urc_func,
                     gpointer user_data)
{
  SimCoapClient *client = g_new0 (SimCoapClient, 1);

  client->id = id;
  client->network = network;
  client->urc_func = urc_func;
  client->user_data = user_data;
  client->ack_timeout_s = 2;
  client->max_retransmit = 5;
  client->pending = g_hash_table_new_full (NULL, NULL, NULL, pending_con_free);
  client->recent = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  client->receive_buffer = g_malloc (SIM_MAX_RECEIVED_DATAGRAM);
  return client;
}

void
sim_coap_client_free (SimCoapClient *client)
{
  if (client == NULL)
    return;
  sim_coap_client_close (client);
  g_hash_table_unref (client->pending);
  g_hash_table_unref (client->recent);
  g_free (client->receive_buffer);
  g_free (client);
}

/* Datagrams of a DTLS session are logged as the CoAP they carry, under
 * dtls-tx / dtls-rx instead of udp-tx / udp-rx. */
static void
log_datagram (gboolean outgoing, SimCoapClient *client, GBytes *datagram)
{
  const char *tag = client->dtls != NULL ? (outgoing ? "dtls-tx" : "dtls-rx")
                                         : (outgoing ? "udp-tx" : "udp-rx");
  gsize length;
  const guint8 *data = g_bytes_get_data (datagram, &length);
  g_autofree char *hex = sim_log_hex (data, length);
  g_autoptr (GError) error = NULL;
  CoapPdu pdu;

  if (coap_pdu_decode (data, length, &pdu, &error))
    {
      g_autofree char *summary = sim_coap_describe (&pdu);

      sim_log (tag, "%u %s:%u %" G_GSIZE_FORMAT " bytes: %s | %s", client->id, client->server,
               client->port, length, hex, summary);
    }
  else
    sim_log (tag, "%u %s:%u %" G_GSIZE_FORMAT " bytes: %s | not CoAP: %s", client->id,
             client->server, client->port, length, hex, error->message);
}

/* One datagram onto the network, as it is (a CoAP message, or a DTLS
 * record). */
static void
send_to_wire (SimCoapClient *client, const guint8 *data, gsize length)
{
  g_autoptr (GError) error = NULL;

  client->tx_count++;
  if (g_socket_send (client->socket, (const char *)data, length, NULL, &error) < 0)
    sim_log ("info", "%u send failed: %s", client->id, error->message);
}

static void
send_now (SimCoapClient *client, GBytes *datagram)
{
  g_autoptr (GError) error = NULL;
  gsize length;
  const guint8 *data = g_bytes_get_data (datagram, &length);

  if (client->socket == NULL)
    return;
  log_datagram (TRUE, client, datagram);
  if (client->dtls == NULL)
    send_to_wire (client, data, length);
  else if (!sim_dtls_send (client->dtls, data, length, &error))
    sim_log ("info", "%u send failed: %s", client->id, error->message);
}

static void handle_datagram (SimCoapClient *client, GBytes *datagram);

static gboolean
on_delay_elapsed (gpointer user_data)
{
  DelayedDatagram *delayed = user_data;
  SimCoapClient *client = delayed->client;

  delayed->source = 0;
  client->delayed = g_list_remove (client->delayed, delayed);
  if (delayed->outgoing)
    send_now (client, delayed->datagram);
  else
    handle_datagram (client, delayed->datagram);
  delayed_datagram_free (delayed);
  return G_SOURCE_REMOVE;
}

/* Every datagram crosses the simulated cellular link with the same one-way
 * delay, so their order is kept. */
static void
delay_datagram (SimCoapClient *client, GBytes *datagram, gboolean outgoing)
{
  DelayedDatagram *delayed = g_new0 (DelayedDatagram, 1);

  delayed->client = client;
  delayed->datagram = g_bytes_ref (datagram);
  delayed->outgoing = outgoing;
  delayed->source = g_timeout_add (client->network->net_delay_ms, on_delay_elapsed, delayed);
  client->delayed = g_list_append (client->delayed, delayed);
}

static void
transmit (SimCoapClient *client, GBytes *datagram)
{
  if (client->network->net_delay_ms > 0)
    delay_datagram (client, datagram, TRUE);
  else
    send_now (client, datagram);
}

static void
send_empty (SimCoapClient *client, CoapType type, guint16 message_id)
{
  CoapPdu pdu = { .type = type, .code = 0, .message_id = message_id };
  guint8 buffer[4];
  gssize length = coap_pdu_encode (&pdu, buffer, sizeof buffer, NULL);
  g_autoptr (GBytes) datagram = g_bytes_new (buffer, length);

  transmit (client, datagram);
}

static guint
scaled_ms (SimCoapClient *client, double seconds)
{
  return MAX (1, (guint)(seconds * 1000 / MAX (client->network->time_scale, 1)));
}

static gboolean
on_ack_timeout (gpointer user_data)
{
  PendingCon *con = user_data;
  SimCoapClient *client = con->client;
  g_autofree char *line = NULL;

  con->source = 0;
  if (con->retransmissions >= client->max_retransmit)
    {
      line = g_strdup_printf ("+QCOAPACK: %u,0,%u,-11", client->id, con->message_id);
      g_hash_table_remove (client->pending, GUINT_TO_POINTER (con->message_id));
      emit_urc (client, line, NULL, 0);
      return G_SOURCE_REMOVE;
    }
  con->retransmissions++;
  transmit (client, con->datagram);
  line = g_strdup_printf ("+QCOAPIND: %u,0,%u,%u,0", client->id, con->message_id,
                          con->retransmissions);
  emit_urc (client, line, NULL, 0);
  con->timeout_ms *= 2;
  con->source = g_timeout_add (con->timeout_ms, on_ack_timeout, con);
  return G_SOURCE_REMOVE;
}

static void
start_con (SimCoapClient *client, guint16 message_id, GBytes *datagram)
{
  PendingCon *con = g_new0 (PendingCon, 1);

  con->client = client;
  con->message_id = message_id;
  con->datagram = g_bytes_ref (datagram);
  con->timeout_ms = scaled_ms (client, client->ack_timeout_s * g_random_double_range (1.0, 1.5));
  con->source = g_timeout_add (con->timeout_ms, on_ack_timeout, con);
  /* A host reusing a message ID replaces the older exchange. */
  g_hash_table_replace (client->pending, GUINT_TO_POINTER (message_id), con);
}

/* TRUE if @message_id was seen recently; remembers it otherwise. */
static gboolean
is_duplicate (SimCoapClient *client, guint16 message_id)
{
  gint64 now = g_get_monotonic_time ();
  gint64 *expiry = g_hash_table_lookup (client->recent, GUINT_TO_POINTER (message_id));
  GHashTableIter iter;
  gpointer value;

  if (expiry != NULL && *expiry > now)
    return TRUE;

  g_hash_table_iter_init (&iter, client->recent);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (*(gint64 *)value <= now)
      g_hash_table_iter_remove (&iter);

  expiry = g_new (gint64, 1);
  *expiry = now + RECENT_ID_LIFETIME_US;
  g_hash_table_replace (client->recent, GUINT_TO_POINTER (message_id), expiry);
  return FALSE;
}

static void
report_message (SimCoapClient *client, const CoapPdu *pdu)
{
  g_autofree char *line = sim_coap_format_recv (client->id, pdu);

  /* The payload frame (CR LF, bytes, CR LF) follows even an empty payload. */
  emit_urc (client, line, pdu->payload != NULL ? pdu->payload : (const guint8 *)"",
            pdu->payload_length);
}

/* An ACK or RST ends the CON exchange with its message ID, if any. */
static void
complete_con (SimCoapClient *client, const CoapPdu *pdu)
{
  gpointer key = GUINT_TO_POINTER (pdu->message_id);
  g_autofree char *line = NULL;

  if (!g_hash_table_contains (client->pending, key))
    {
      sim_log ("info", "%u %s %u matches no pending CON: dropped", client->id,
               pdu->type == COAP_TYPE_ACK ? "ACK" : "RST", pdu->message_id);
      return;
    }
  g_hash_table_remove (client->pending, key);
  line = g_strdup_printf ("+QCOAPACK: %u,%u,%u,0", client->id, pdu->type == COAP_TYPE_ACK ? 0 : 3,
                          pdu->message_id);
  emit_urc (client, line, NULL, 0);
  if (pdu->type == COAP_TYPE_ACK && pdu->code != 0)
    report_message (client, pdu);
}

static void
handle_datagram (SimCoapClient *client, GBytes *datagram)
{
  gsize length;
  const guint8 *data = g_bytes_get_data (datagram, &length);
  g_autoptr (GError) error = NULL;
  CoapPdu pdu;

  if (client->socket == NULL)
    return;
  log_datagram (FALSE, client, datagram);
  if (!coap_pdu_decode (data, length, &pdu, &error))
    {
      sim_log ("info", "%u datagram dropped: %s", client->id, error->message);
      return;
    }

  switch (pdu.type)
    {
      case COAP_TYPE_ACK:
      case COAP_TYPE_RST:
        complete_con (client, &pdu);
        break;
      case COAP_TYPE_CON:
        if (pdu.code == 0)
          {
            /* A CoAP ping: RFC 7252 §4.3 answers it with a Reset. */
            send_empty (client, COAP_TYPE_RST, pdu.message_id);
            break;
          }
        send_empty (client, COAP_TYPE_ACK, pdu.message_id);
        if (is_duplicate (client, pdu.message_id))
          sim_log ("info", "%u duplicate CON %u acknowledged again, not reported", client->id,
                   pdu.message_id);
        else
          report_message (client, &pdu);
        break;
      case COAP_TYPE_NON:
      default:
        if (pdu.code != 0)
          report_message (client, &pdu);
        break;
    }
}

/* A CoAP datagram from the server (decrypted, for DTLS) crosses the link. */
static void
arrive (SimCoapClient *client, GBytes *datagram)
{
  if (client->network->net_delay_ms > 0)
    delay_datagram (client, datagram, FALSE);
  else
    handle_datagram (client, datagram);
}

static gboolean
on_socket_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  SimCoapClient *client = user_data;

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) datagram = NULL;
      gssize n = g_socket_receive (socket, (char *)client->receive_buffer,
                                   SIM_MAX_RECEIVED_DATAGRAM, NULL, &error);
      const guint8 *buffer = client->receive_buffer;

      if (n < 0)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            sim_log ("info", "%u receive failed: %s", client->id, error->message);
          break;
        }
      client->rx_count++;
      if (client->dtls != NULL)
        {
          g_autoptr (GPtrArray) records = sim_dtls_receive (client->dtls, buffer, n);

          for (guint i = 0; i < records->len && client->socket != NULL; i++)
            arrive (client, g_ptr_array_index (records, i));
        }
      else
        {
          datagram = g_bytes_new (buffer, n);
          arrive (client, datagram);
        }
      if (client->socket == NULL)
        break; /* closed by a URC handler */
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
connect_socket (SimCoapClient *client, GSocketAddress *address, const char *server, guint port,
                GError **error)
{
  g_autoptr (GSocket) socket = NULL;

  g_return_val_if_fail (client->socket == NULL, FALSE);

  socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_DATAGRAM,
                         G_SOCKET_PROTOCOL_UDP, error);
  if (socket == NULL)
    return FALSE;
  g_socket_set_blocking (socket, FALSE);
  if (!g_socket_connect (socket, address, NULL, error))
    return FALSE;

  client->socket = g_steal_pointer (&socket);
  client->socket_source = g_socket_create_source (client->socket, G_IO_IN, NULL);
  g_source_set_callback (client->socket_source, G_SOURCE_FUNC (on_socket_readable), client, NULL);
  g_source_attach (client->socket_source, NULL);
  client->server = g_strdup (server);
  client->port = port;
  return TRUE;
}

gboolean
sim_coap_client_open (SimCoapClient *client, GSocketAddress *address, const char *server,
                      guint port, GError **error)
{
  if (!connect_socket (client, address, server, port, error))
    return FALSE;
  client->status = SIM_COAP_STATUS_CONNECTED;
  return TRUE;
}

/* DTLS records leave unlogged: their bytes say nothing readable, and the
 * CoAP inside is logged as dtls-tx. */
static void
on_dtls_send (const guint8 *data, gsize length, gpointer user_data)
{
  SimCoapClient *client = user_data;

  if (client->socket != NULL)
    send_to_wire (client, data, length);
}

static void
on_handshake_done (SimDtls *dtls, gboolean ok, const char *reason, gpointer user_data)
{
  SimCoapClient *client = user_data;
  g_autofree char *line = NULL;

  if (ok)
    {
      sim_log ("info", "%u DTLS session with %s:%u established", client->id, client->server,
               client->port);
      client->status = SIM_COAP_STATUS_CONNECTED;
      line = g_strdup_printf ("+QCOAPOPEN: %u,0", client->id);
    }
  else
    {
      sim_log ("info", "%u DTLS handshake with %s:%u failed: %s", client->id, client->server,
               client->port, reason);
      sim_coap_client_close (client);
      line = g_strdup_printf ("+QCOAPOPEN: %u,-9", client->id);
    }
  emit_urc (client, line, NULL, 0);
}

gboolean
sim_coap_client_open_dtls (SimCoapClient *client, GSocketAddress *address, const char *server,
                           guint port, const char *identity, GBytes *key, GError **error)
{
  g_return_val_if_fail (client->socket == NULL, FALSE);

  client->dtls = sim_dtls_new (identity, key, on_dtls_send, client, error);
  if (client->dtls == NULL)
    return FALSE;
  if (!connect_socket (client, address, server, port, error))
    {
      g_clear_pointer (&client->dtls, sim_dtls_free);
      return FALSE;
    }
  sim_log ("info", "%u DTLS handshake with %s:%u as \"%s\"", client->id, server, port, identity);
  client->status = SIM_COAP_STATUS_CONNECTING;
  sim_dtls_handshake (client->dtls, SIM_DTLS_HANDSHAKE_TIMEOUT_MS, on_handshake_done);
  return TRUE;
}

void
sim_coap_client_close (SimCoapClient *client)
{
  g_list_free_full (g_steal_pointer (&client->delayed), (GDestroyNotify)delayed_datagram_free);
  g_hash_table_remove_all (client->pending);
  g_hash_table_remove_all (client->recent);
  /* Before the socket goes: an established session says goodbye on it. */
  g_clear_pointer (&client->dtls, sim_dtls_free);
  if (client->socket_source != NULL)
    {
      g_source_destroy (client->socket_source);
      g_clear_pointer (&client->socket_source, g_source_unref);
    }
  if (client->socket != NULL)
    g_socket_close (client->socket, NULL);
  g_clear_object (&client->socket);
  g_clear_pointer (&client->server, g_free);
  client->port = 0;
  client->status = SIM_COAP_STATUS_IDLE;
}

SimCoapStatus
sim_coap_client_get_status (SimCoapClient *client)
{
  return client->status;
}

const char *
sim_coap_client_get_server (SimCoapClient *client)
{
  return client->server;
}

guint
sim_coap_client_get_port (SimCoapClient *client)
{
  return client->port;
}

void
sim_coap_client_set_transmission (SimCoapClient *client, guint ack_timeout_s, guint max_retransmit)
{
  client->ack_timeout_s = ack_timeout_s;
  client->max_retransmit = max_retransmit;
}

gboolean
sim_coap_client_send (SimCoapClient *client, const CoapPdu *pdu, GError **error)
{
  guint8 buffer[COAP_MAX_DATAGRAM];
  g_autoptr (GBytes) datagram = NULL;
  gssize length;

  if (client->socket == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "client %u is not open",
                   client->id);
      return FALSE;
    }
  length = coap_pdu_encode (pdu, buffer, sizeof buffer, error);
  if (length < 0)
    return FALSE;
  datagram = g_bytes_new (buffer, length);
  if (pdu->type == COAP_TYPE_CON)
    start_con (client, pdu->message_id, datagram);
  transmit (client, datagram);
  return TRUE;
}

guint
sim_coap_client_get_tx_count (SimCoapClient *client)
{
  return client->tx_count;
}

guint
sim_coap_client_get_rx_count (SimCoapClient *client)
{
  return client->rx_count;
}
