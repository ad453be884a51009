/* SPDX-License-Identifier: MIT */
/* test-client-pool.c — the message-ID allocator of the client pool.
 *
 * Message IDs need no modem, so the pool is made without one. */
#include "client-pool.h"

#include "qcoap-error.h"

static ClientPool *
pool_new (void)
{
  return client_pool_new (NULL, 8);
}

static guint16
reserve (ClientPool *pool, guint client_id)
{
  g_autoptr (GError) error = NULL;
  guint16 message_id = 0;

  g_assert_true (client_pool_reserve_message_id (pool, client_id, &message_id, &error));
  g_assert_no_error (error);
  return message_id;
}

/* Each client ID's IDs follow its own sequence, skip those in flight on it
 * and come back when done. */
static void
test_sequence (void)
{
  g_autoptr (ClientPool) pool = pool_new ();
  guint16 first = reserve (pool, 0);
  guint16 second = reserve (pool, 0);
  guint16 third;

  g_assert_cmpuint (second, ==, (guint16)(first + 1));
  g_assert_true (client_pool_message_in_flight (pool, 0, first));
  g_assert_false (client_pool_message_in_flight (pool, 1, first));
  /* A chosen ID ahead of the sequence is skipped by it. */
  g_assert_true (client_pool_reserve_chosen_message_id (pool, 0, (guint16)(second + 1), NULL));
  third = reserve (pool, 0);
  g_assert_cmpuint (third, ==, (guint16)(second + 2));
  client_pool_message_done (pool, 0, first);
  g_assert_false (client_pool_message_in_flight (pool, 0, first));
  g_assert_true (client_pool_reserve_chosen_message_id (pool, 0, first, NULL));
}

/* Another client's traffic moves nothing in this one's sequence, and the
 * sequences start at unrelated places: what one server sees tells it
 * nothing about the IDs of another's messages. */
static void
test_sequences_independent (void)
{
  g_autoptr (ClientPool) pool = pool_new ();
  g_autoptr (GHashTable) starts = g_hash_table_new (NULL, NULL);
  guint16 before = client_pool_get_message_id_position (pool, 0);

  for (guint i = 0; i < 100; i++)
    reserve (pool, 1);
  g_assert_cmpuint (reserve (pool, 0), ==, before);
  /* The same ID may be in flight on two clients. */
  g_assert_true (client_pool_reserve_chosen_message_id (pool, 2, 4711, NULL));
  g_assert_true (client_pool_reserve_chosen_message_id (pool, 3, 4711, NULL));
  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    g_hash_table_add (starts, GUINT_TO_POINTER (client_pool_get_message_id_position (pool, i)));
  /* Six random 16-bit starts, or the same one twice: at most 15 in 65 536. */
  g_assert_cmpuint (g_hash_table_size (starts), >=, QCOAP_MAX_CLIENTS - 1);
}

/* With every ID of a client in flight a reservation fails (it used to spin
 * for ever) with QueueFull; the first ID done is the next one given. Other
 * clients are not concerned. */
static void
test_all_in_flight (void)
{
  g_autoptr (ClientPool) pool = pool_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
  guint16 message_id = 0;
  guint16 freed;

  for (guint i = 0; i < CLIENT_POOL_MESSAGE_IDS; i++)
    g_hash_table_add (seen, GUINT_TO_POINTER (reserve (pool, 5)));
  g_assert_cmpuint (g_hash_table_size (seen), ==, CLIENT_POOL_MESSAGE_IDS);

  g_assert_false (client_pool_reserve_message_id (pool, 5, &message_id, &error));
  g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_QUEUE_FULL);
  g_clear_error (&error);
  g_assert_false (client_pool_reserve_chosen_message_id (pool, 5, 4711, &error));
  g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
  reserve (pool, 0);

  freed = 12345;
  client_pool_message_done (pool, 5, freed);
  g_assert_cmpuint (reserve (pool, 5), ==, freed);
}

/* Each client ID's count of IDs in flight, whichever way they were taken. */
static void
test_count_per_client (void)
{
  g_autoptr (ClientPool) pool = pool_new ();
  g_autoptr (GError) error = NULL;
  guint16 a = reserve (pool, 2);
  guint16 b = reserve (pool, 2);
  guint16 other = reserve (pool, 3);

  reserve (pool, 5);
  g_assert_true (client_pool_reserve_chosen_message_id (pool, 2, (guint16)(a - 1), NULL));
  g_assert_cmpuint (client_pool_count_messages_in_flight (pool, 2), ==, 3);
  g_assert_cmpuint (client_pool_count_messages_in_flight (pool, 5), ==, 1);
  g_assert_cmpuint (client_pool_count_messages_in_flight (pool, 0), ==, 0);

  /* A refused ID counts for no one; an ID done twice is done once. */
  g_assert_false (client_pool_reserve_chosen_message_id (pool, 2, a, &error));
  g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (client_pool_count_messages_in_flight (pool, 2), ==, 3);
  client_pool_message_done (pool, 2, a);
  client_pool_message_done (pool, 2, a);
  client_pool_message_done (pool, 2, b);
  client_pool_message_done (pool, 3, other);
  g_assert_cmpuint (client_pool_count_messages_in_flight (pool, 2), ==, 1);
  g_assert_cmpuint (client_pool_count_messages_in_flight (pool, 3), ==, 0);
  g_assert_false (client_pool_message_in_flight (pool, 3, other));
  g_assert_false (client_pool_reserve_chosen_message_id (pool, 2, (guint16)(a - 1), NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/client-pool/message-ids/sequence", test_sequence);
  g_test_add_func ("/client-pool/message-ids/sequences-independent", test_sequences_independent);
  g_test_add_func ("/client-pool/message-ids/all-in-flight", test_all_in_flight);
  g_test_add_func ("/client-pool/message-ids/count-per-client", test_count_per_client);
  return g_test_run ();
}
