/* SPDX-License-Identifier: MIT */
/* test-recent-messages.c — a copy of a message within its lifetime is
 * found; a new token, an expired entry and a full memory are not copies. */
#include "recent-messages.h"

#define LIFETIME_US (247 * G_USEC_PER_SEC)

static GBytes *
token (guint8 byte)
{
  return g_bytes_new (&byte, 1);
}

static void
test_copies (void)
{
  g_autoptr (RecentMessages) recent = recent_messages_new (16);
  g_autoptr (GBytes) a = token (0xa1);
  g_autoptr (GBytes) b = token (0xb2);
  g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);

  g_assert_false (recent_messages_check (recent, 100, a, 0, LIFETIME_US));
  g_assert_true (recent_messages_check (recent, 100, a, G_USEC_PER_SEC, LIFETIME_US));
  /* The same message ID with another token: the sequence wrapped. */
  g_assert_false (recent_messages_check (recent, 100, b, 2 * G_USEC_PER_SEC, LIFETIME_US));
  g_assert_false (recent_messages_check (recent, 101, empty, 0, LIFETIME_US));
  g_assert_true (recent_messages_check (recent, 101, empty, 10, LIFETIME_US));
  g_assert_false (recent_messages_check (recent, 101, NULL, LIFETIME_US + 11, LIFETIME_US));
  /* After its lifetime a message is new again, and remembered anew. */
  g_assert_false (recent_messages_check (recent, 100, a, LIFETIME_US + 1, LIFETIME_US));
  g_assert_true (recent_messages_check (recent, 100, a, LIFETIME_US + 2, LIFETIME_US));
  g_assert_cmpuint (recent_messages_get_duplicates (recent), ==, 3);
}

/* A flood keeps the memory bounded: the oldest are forgotten first. */
static void
test_capacity (void)
{
  g_autoptr (RecentMessages) recent = recent_messages_new (4);
  g_autoptr (GBytes) t = token (1);

  for (guint16 id = 0; id < 10; id++)
    g_assert_false (recent_messages_check (recent, id, t, id, LIFETIME_US));
  g_assert_true (recent_messages_check (recent, 9, t, 20, LIFETIME_US));
  g_assert_false (recent_messages_check (recent, 0, t, 21, LIFETIME_US));
}

/* Many more messages than are kept, their IDs spread over the buckets: exactly
 * the newest are known. */
static void
test_flood (void)
{
  g_autoptr (RecentMessages) recent = recent_messages_new (1024);
  g_autoptr (GBytes) t = token (7);

  for (guint i = 0; i < 5000; i++)
    g_assert_false (recent_messages_check (recent, (guint16)(i * 61), t, i, LIFETIME_US));
  for (guint i = 5000 - 1024 + 1; i < 5000; i++)
    g_assert_true (recent_messages_check (recent, (guint16)(i * 61), t, 5000, LIFETIME_US));
  g_assert_false (recent_messages_check (recent, (guint16)(3000 * 61), t, 5000, LIFETIME_US));
}

/* CoAP has no token of more than 8 bytes: such a message is never taken for
 * a copy (nor remembered). */
static void
test_long_token (void)
{
  g_autoptr (RecentMessages) recent = recent_messages_new (4);
  static const guint8 nine[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
  g_autoptr (GBytes) t = g_bytes_new_static (nine, sizeof nine);

  g_assert_false (recent_messages_check (recent, 7, t, 0, LIFETIME_US));
  g_assert_false (recent_messages_check (recent, 7, t, 1, LIFETIME_US));
  g_assert_cmpuint (recent_messages_get_duplicates (recent), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/recent-messages/copies", test_copies);
  g_test_add_func ("/recent-messages/capacity", test_capacity);
  g_test_add_func ("/recent-messages/long-token", test_long_token);
  g_test_add_func ("/recent-messages/flood", test_flood);
  return g_test_run ();
}
