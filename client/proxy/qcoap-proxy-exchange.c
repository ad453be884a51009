/* SPDX-License-Identifier: MIT */
/* qcoap-proxy-exchange.c — see qcoap-proxy-exchange.h. */
#include "qcoap-proxy-exchange.h"

#include <string.h>

/* How long a Confirmable request may wait for a piggybacked response before
 * it gets an empty ACK: half of RFC 7252's smallest ACK_TIMEOUT (2 s), so
 * that clients do not retransmit while the modem works. */
#define PIGGYBACK_WINDOW_MS 1000
/* RFC 7252 §4.8.2: how long a message ID may come back as a duplicate. */
#define EXCHANGE_LIFETIME_US (247 * G_USEC_PER_SEC)
/* Finished exchanges remembered at most (the oldest are forgotten first). */
#define REMEMBERED_MAX 512

typedef struct
{
  coap_session_t *session;
  coap_mid_t mid;
} ExchangeKey;

struct _ProxyExchange
{
  ExchangeKey key; /* first, so that a bare key can look an exchange up */
  gint ref_count;
  ProxyExchanges *table; /* NULL once the table is gone */
  coap_pdu_type_t type;
  guint8 token[8];
  gsize token_length;
  gboolean acked; /* an empty ACK went out: the response is separate */
  gboolean done;
  gboolean piggybacked; /* the response went in the ACK: a duplicate gets it again */
  guint piggyback_id;
  gint64 done_at;
  guint8 code;
  GArray *options; /* ProxyWireOption */
  GBytes *payload;
};

struct _ProxyExchanges
{
  coap_context_t *context;
  GHashTable *by_key; /* ExchangeKey → ProxyExchange (a reference) */
  GQueue done;        /* finished exchanges, oldest first (borrowed from by_key) */
  guint kick_id;
};

static guint
key_hash (gconstpointer data)
{
  const ExchangeKey *key = data;

  return g_direct_hash (key->session) ^ (guint)key->mid;
}

static gboolean
key_equal (gconstpointer a, gconstpointer b)
{
  const ExchangeKey *x = a, *y = b;

  return x->session == y->session && x->mid == y->mid;
}

/* ---- sending ---- */

/* libcoap arms its retransmission timer only inside coap_io_process(): a
 * Confirmable message sent from a D-Bus callback needs one more pass. */
static gboolean
on_kick (gpointer user_data)
{
  ProxyExchanges *table = user_data;

  table->kick_id = 0;
  coap_io_process (table->context, COAP_IO_NO_WAIT);
  return G_SOURCE_REMOVE;
}

static void
kick (ProxyExchanges *table)
{
  if (table != NULL && table->kick_id == 0)
    table->kick_id = g_idle_add (on_kick, table);
}

static void
send_empty_ack (ProxyExchange *self)
{
  coap_pdu_t *pdu = coap_pdu_init (COAP_MESSAGE_ACK, COAP_EMPTY_CODE, self->key.mid, 0);

  if (pdu != NULL)
    coap_send (self->key.session, pdu);
  self->acked = TRUE;
  kick (self->table);
}

static void
send_response (ProxyExchange *self, coap_pdu_type_t type, coap_mid_t mid)
{
  coap_pdu_t *pdu
      = coap_pdu_init (type, self->code, mid, coap_session_max_pdu_size (self->key.session));
  gsize length = self->payload ? g_bytes_get_size (self->payload) : 0;
  gboolean fits = pdu != NULL && coap_add_token (pdu, self->token_length, self->token);

  for (guint i = 0; fits && self->options != NULL && i < self->options->len; i++)
    {
      const ProxyWireOption *option = &g_array_index (self->options, ProxyWireOption, i);
      gsize size;
      const guint8 *value = g_bytes_get_data (option->value, &size);

      fits = coap_add_option (pdu, option->number, size, value) > 0 || size == 0;
    }
  if (fits && length > 0)
    fits = coap_add_data (pdu, length, g_bytes_get_data (self->payload, NULL));
  if (!fits)
    {
      g_warning ("a response of %" G_GSIZE_FORMAT " bytes does not fit one datagram", length);
      if (pdu != NULL)
        coap_delete_pdu (pdu);
      return;
    }
  coap_send (self->key.session, pdu);
  kick (self->table);
}

/* ---- the life of an exchange ---- */

static gboolean
on_piggyback_window_over (gpointer user_data)
{
  ProxyExchange *self = user_data;

  self->piggyback_id = 0;
  send_empty_ack (self);
  return G_SOURCE_REMOVE;
}

ProxyExchange *
proxy_exchange_new (ProxyExchanges *table, coap_session_t *session, const coap_pdu_t *request,
                    gboolean acked)
{
  ProxyExchange *self = g_new0 (ProxyExchange, 1);
  coap_bin_const_t token = coap_pdu_get_token (request);

  self->ref_count = 2; /* the table's and the caller's */
  self->table = table;
  self->key.session = coap_session_reference (session);
  self->key.mid = coap_pdu_get_mid (request);
  self->type = coap_pdu_get_type (request);
  self->token_length = MIN (token.length, sizeof self->token);
  memcpy (self->token, token.s, self->token_length);
  self->acked = acked;
  if (self->type == COAP_MESSAGE_CON && !acked)
    self->piggyback_id = g_timeout_add (PIGGYBACK_WINDOW_MS, on_piggyback_window_over, self);
  g_hash_table_replace (table->by_key, &self->key, self);
  return self;
}

ProxyExchange *
proxy_exchange_ref (ProxyExchange *self)
{
  g_atomic_int_inc (&self->ref_count);
  return self;
}

void
proxy_exchange_unref (ProxyExchange *self)
{
  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return;
  g_clear_handle_id (&self->piggyback_id, g_source_remove);
  coap_session_release (self->key.session);
  g_clear_pointer (&self->options, g_array_unref);
  g_clear_pointer (&self->payload, g_bytes_unref);
  g_free (self);
}

/* Forgets what is older than the exchange lifetime, and the oldest beyond
 * the cap. */
static void
prune (ProxyExchanges *table)
{
  gint64 oldest = g_get_monotonic_time () - EXCHANGE_LIFETIME_US;
  ProxyExchange *head;

  while ((head = g_queue_peek_head (&table->done)) != NULL
         && (head->done_at < oldest || g_queue_get_length (&table->done) > REMEMBERED_MAX))
    {
      g_queue_pop_head (&table->done);
      g_hash_table_remove (table->by_key, &head->key);
    }
}

static void
finish (ProxyExchange *self)
{
  self->done = TRUE;
  g_clear_handle_id (&self->piggyback_id, g_source_remove);
  self->done_at = g_get_monotonic_time ();
  if (self->table == NULL)
    return;
  g_queue_push_tail (&self->table->done, self);
  prune (self->table);
}

void
proxy_exchange_reply (ProxyExchange *self, guint8 code, GArray *options, GBytes *payload)
{
  if (self->done)
    return;
  self->code = code;
  self->options = options ? g_array_ref (options) : NULL;
  self->payload = payload ? g_bytes_ref (payload) : NULL;
  if (self->type == COAP_MESSAGE_CON && !self->acked)
    {
      self->piggybacked = TRUE;
      send_response (self, COAP_MESSAGE_ACK, self->key.mid);
    }
  else
    send_response (self, self->type == COAP_MESSAGE_CON ? COAP_MESSAGE_CON : COAP_MESSAGE_NON,
                   coap_new_message_id (self->key.session));
  finish (self);
}

static void
append_uint_option (GArray *options, guint16 number, guint32 value)
{
  guint8 buffer[4];
  ProxyWireOption option = { number, NULL };

  option.value = g_bytes_new (buffer, coap_encode_var_safe (buffer, sizeof buffer, value));
  g_array_append_val (options, option);
}

static void
clear_wire_option (ProxyWireOption *option)
{
  g_clear_pointer (&option->value, g_bytes_unref);
}

void
proxy_exchange_fail (ProxyExchange *self, const ProxyFailure *failure)
{
  g_autoptr (GArray) options = g_array_new (FALSE, TRUE, sizeof (ProxyWireOption));
  g_autoptr (GBytes) payload
      = g_bytes_new (failure->diagnostic, failure->diagnostic ? strlen (failure->diagnostic) : 0);

  g_array_set_clear_func (options, (GDestroyNotify)clear_wire_option);
  if (failure->max_age != 0)
    append_uint_option (options, PROXY_OPTION_MAX_AGE, failure->max_age);
  if (failure->size1 != 0)
    append_uint_option (options, PROXY_OPTION_SIZE1, failure->size1);
  proxy_exchange_reply (self, failure->code, options, payload);
}

void
proxy_exchange_abandon (ProxyExchange *self)
{
  if (!self->done)
    finish (self);
}

void
proxy_failure_to_pdu (const ProxyFailure *failure, coap_pdu_t *response)
{
  guint8 buffer[4];

  coap_pdu_set_code (response, failure->code);
  if (failure->max_age != 0)
    coap_add_option (response, PROXY_OPTION_MAX_AGE,
                     coap_encode_var_safe (buffer, sizeof buffer, failure->max_age), buffer);
  if (failure->size1 != 0)
    coap_add_option (response, PROXY_OPTION_SIZE1,
                     coap_encode_var_safe (buffer, sizeof buffer, failure->size1), buffer);
  if (failure->diagnostic != NULL)
    coap_add_data (response, strlen (failure->diagnostic), (const guint8 *)failure->diagnostic);
}

/* ---- duplicates ---- */

gboolean
proxy_exchanges_handle_duplicate (ProxyExchanges *table, coap_session_t *session,
                                  const coap_pdu_t *request, gboolean acked_by_library)
{
  ExchangeKey key = { session, coap_pdu_get_mid (request) };
  ProxyExchange *self = g_hash_table_lookup (table->by_key, &key);

  if (self == NULL)
    return FALSE;
  g_debug ("a duplicate of message 0x%04x from %s", (guint)key.mid, coap_session_str (session));
  if (self->type != COAP_MESSAGE_CON)
    return TRUE; /* a repeated NON is dropped */
  if (self->piggybacked)
    send_response (self, COAP_MESSAGE_ACK, self->key.mid);
  else if (!acked_by_library)
    {
      /* The client has given up waiting for the piggybacked response:
       * promise a separate one (§5.2.2). */
      g_clear_handle_id (&self->piggyback_id, g_source_remove);
      send_empty_ack (self);
    }
  return TRUE;
}

/* ---- the table ---- */

ProxyExchanges *
proxy_exchanges_new (coap_context_t *context)
{
  ProxyExchanges *table = g_new0 (ProxyExchanges, 1);

  table->context = context;
  table->by_key
      = g_hash_table_new_full (key_hash, key_equal, NULL, (GDestroyNotify)proxy_exchange_unref);
  return table;
}

void
proxy_exchanges_free (ProxyExchanges *table)
{
  GHashTableIter iter;
  ProxyExchange *exchange;

  g_hash_table_iter_init (&iter, table->by_key);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&exchange))
    {
      g_clear_handle_id (&exchange->piggyback_id, g_source_remove);
      exchange->table = NULL;
    }
  g_queue_clear (&table->done);
  g_hash_table_unref (table->by_key);
  g_clear_handle_id (&table->kick_id, g_source_remove);
  g_free (table);
}
