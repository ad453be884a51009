/* SPDX-License-Identifier: MIT */
/* hostile-peer.c — see hostile-peer.h. */
#include "hostile-peer.h"

#include <gio/gio.h>
#include <string.h>

#include "coap-pdu.h"

#define URI_PATH       11
#define CODE_CONTENT   69  /* 2.05 */
#define CODE_NOT_FOUND 132 /* 4.04 */
/* Any UDP datagram. */
#define MAX_DATAGRAM 65535

/* What the modem would print if it were fooled: a message for another
 * session, a reboot, a final result and a prompt. */
static const char forged_output[] = "\r\n+QCOAPRECV: 1,7,2.05,0,,0,8\r\nINJECTED\r\n"
                                    "\r\nRDY\r\n\r\nOK\r\n\r\n> ";

typedef struct
{
  const char *path;
  guint16 option_number;
  guint n_options;
  gsize option_size;
  gsize payload_size;
  const char *option_text; /* instead of the above: one Location-Path */
  const char *payload_text;
} Response;

static const Response responses[] = {
  { HOSTILE_PATH_LONG_PAYLOAD, 0, 0, 0, HOSTILE_LONG_PAYLOAD_SIZE },
  { HOSTILE_PATH_MANY_OPTIONS, HOSTILE_LOCATION_PATH, HOSTILE_MANY_OPTIONS_COUNT,
    HOSTILE_MANY_OPTIONS_SIZE, HOSTILE_MANY_OPTIONS_PAYLOAD },
  { HOSTILE_PATH_HUGE_HEADER, HOSTILE_HUGE_HEADER_OPTION, HOSTILE_HUGE_HEADER_COUNT,
    HOSTILE_HUGE_HEADER_SIZE, HOSTILE_HUGE_HEADER_PAYLOAD },
  { HOSTILE_PATH_SPLIT_HEADER, .option_text = HOSTILE_SPLIT_HEADER_OPTION,
    .payload_text = HOSTILE_SPLIT_HEADER_PAYLOAD },
  { HOSTILE_PATH_PARSING_FRAGMENT, .option_text = HOSTILE_PARSING_FRAGMENT_OPTION,
    .payload_text = HOSTILE_PARSING_FRAGMENT_PAYLOAD },
};

struct _HostilePeer
{
  GSocket *socket;
  guint16 port;
  GCancellable *cancellable;
  GThread *thread;
  gint answered; /* atomic */
  gint flooded;  /* atomic */
};

GBytes *
hostile_peer_payload (gsize length)
{
  guint8 *data = g_malloc (length);

  for (gsize i = 0; i < length; i++)
    data[i] = (guint8)forged_output[i % (sizeof forged_output - 1)];
  return g_bytes_new_take (data, length);
}

static char *
option_value (guint index, gsize size)
{
  char *value = g_malloc (size + 1);

  for (gsize j = 0; j < size; j++)
    value[j] = (char)('a' + (index + j) % 26);
  value[size] = '\0';
  return value;
}

char *
hostile_peer_option_value (guint index)
{
  return option_value (index, HOSTILE_MANY_OPTIONS_SIZE);
}

static gboolean
asks_for (const CoapPdu *request, const char *wanted)
{
  const CoapOption *path = coap_pdu_find_option (request, URI_PATH, 0);

  return path != NULL && path->length == strlen (wanted)
         && memcmp (path->value, wanted, path->length) == 0;
}

static const Response *
find_response (const CoapPdu *request)
{
  const CoapOption *path = coap_pdu_find_option (request, URI_PATH, 0);

  for (gsize i = 0; path != NULL && i < G_N_ELEMENTS (responses); i++)
    if (path->length == strlen (responses[i].path)
        && memcmp (path->value, responses[i].path, path->length) == 0)
      return &responses[i];
  return NULL;
}

/* Fills @response as @what says; @values and @payload keep its bytes. */
static void
build_response (const Response *what, CoapPdu *response, GPtrArray *values, GBytes **payload)
{
  response->code = what != NULL ? CODE_CONTENT : CODE_NOT_FOUND;
  if (what == NULL)
    return;
  if (what->option_text != NULL)
    {
      g_assert_true (coap_pdu_add_option (response, HOSTILE_LOCATION_PATH,
                                          (const guint8 *)what->option_text,
                                          (guint16)strlen (what->option_text)));
      *payload = g_bytes_new_static (what->payload_text, strlen (what->payload_text));
      response->payload = g_bytes_get_data (*payload, &response->payload_length);
      return;
    }
  for (guint i = 0; i < what->n_options; i++)
    {
      char *value = option_value (i, what->option_size);

      g_ptr_array_add (values, value);
      g_assert_true (coap_pdu_add_option (response, what->option_number, (const guint8 *)value,
                                          (guint16)what->option_size));
    }
  *payload = hostile_peer_payload (what->payload_size);
  response->payload = g_bytes_get_data (*payload, &response->payload_length);
}

static void
send_pdu (HostilePeer *peer, const CoapPdu *pdu, GSocketAddress *to)
{
  g_autofree guint8 *datagram = g_malloc (MAX_DATAGRAM);
  g_autoptr (GError) error = NULL;
  gssize n = coap_pdu_encode (pdu, datagram, MAX_DATAGRAM, &error);

  g_assert_no_error (error);
  g_socket_send_to (peer->socket, to, (const char *)datagram, (gsize)n, NULL, &error);
  g_assert_no_error (error);
}

/* NON messages, as a server pushing notifications as fast as it can; the
 * serving thread answers nothing else meanwhile. */
static void
flood (HostilePeer *peer, guint16 first_message_id, GSocketAddress *to)
{
  CoapPdu message = { .type = COAP_TYPE_NON, .code = CODE_CONTENT };
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < HOSTILE_FLOOD_COUNT && !g_cancellable_is_cancelled (peer->cancellable); i++)
    {
      gint64 due = start + (gint64)i * HOSTILE_FLOOD_GAP_US;
      gint64 now = g_get_monotonic_time ();

      if (due > now)
        g_usleep ((gulong)(due - now));
      message.message_id = (guint16)(first_message_id + i);
      send_pdu (peer, &message, to);
      g_atomic_int_inc (&peer->flooded);
    }
}

static void
answer (HostilePeer *peer, const guint8 *data, gsize length, GSocketAddress *from)
{
  g_autoptr (GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GBytes) payload = NULL;
  CoapPdu request, response = { 0 };

  if (!coap_pdu_decode (data, length, &request, NULL) || request.type != COAP_TYPE_CON
      || request.code == 0)
    return;
  response.type = COAP_TYPE_ACK;
  response.message_id = request.message_id;
  response.token_length = request.token_length;
  memcpy (response.token, request.token, request.token_length);
  build_response (find_response (&request), &response, values, &payload);

  if (asks_for (&request, HOSTILE_PATH_FLOOD))
    response.code = CODE_CONTENT;
  send_pdu (peer, &response, from);
  g_atomic_int_inc (&peer->answered);
  if (asks_for (&request, HOSTILE_PATH_FLOOD))
    flood (peer, (guint16)(request.message_id + 1), from);
}

static gpointer
serve (gpointer user_data)
{
  HostilePeer *peer = user_data;
  g_autofree guint8 *buffer = g_malloc (MAX_DATAGRAM);

  while (!g_cancellable_is_cancelled (peer->cancellable))
    {
      g_autoptr (GSocketAddress) from = NULL;
      g_autoptr (GError) error = NULL;
      gssize n = g_socket_receive_from (peer->socket, &from, (char *)buffer, MAX_DATAGRAM,
                                        peer->cancellable, &error);

      if (n > 0)
        answer (peer, buffer, (gsize)n, from);
    }
  return NULL;
}

HostilePeer *
hostile_peer_start (void)
{
  HostilePeer *peer = g_new0 (HostilePeer, 1);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;

  peer->socket
      = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_socket_bind (peer->socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (peer->socket, &error);
  g_assert_no_error (error);
  peer->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  peer->cancellable = g_cancellable_new ();
  peer->thread = g_thread_new ("hostile-peer", serve, peer);
  return peer;
}

guint16
hostile_peer_get_port (HostilePeer *peer)
{
  return peer->port;
}

guint
hostile_peer_get_answered (HostilePeer *peer)
{
  return (guint)g_atomic_int_get (&peer->answered);
}

guint
hostile_peer_get_flooded (HostilePeer *peer)
{
  return (guint)g_atomic_int_get (&peer->flooded);
}

void
hostile_peer_stop (HostilePeer *peer)
{
  if (peer == NULL)
    return;
  g_cancellable_cancel (peer->cancellable);
  g_thread_join (peer->thread);
  g_object_unref (peer->cancellable);
  g_object_unref (peer->socket);
  g_free (peer);
}
