/* SPDX-License-Identifier: MIT */
/* test-token-bucket.c — a burst passes whole, then the rate holds; a pause
 * fills the bucket again but never beyond its burst. */
#include "token-bucket.h"

#define RATE  200
#define BURST 400
#define START ((gint64)1000 * G_USEC_PER_SEC)

/* How many of @count events, @interval_us apart from @start, pass. */
static guint
take_many (TokenBucket *bucket, guint count, gint64 start, gint64 interval_us)
{
  guint taken = 0;

  for (guint i = 0; i < count; i++)
    taken += token_bucket_take (bucket, start + (gint64)i * interval_us);
  return taken;
}

static void
test_burst (void)
{
  TokenBucket bucket;

  token_bucket_init (&bucket, RATE, BURST, START);
  /* All at the same instant: the burst and not one more. */
  g_assert_cmpuint (take_many (&bucket, BURST + 50, START, 0), ==, BURST);
  g_assert_false (token_bucket_take (&bucket, START));
  /* One token's time later, one more. */
  g_assert_true (token_bucket_take (&bucket, START + G_USEC_PER_SEC / RATE));
  g_assert_false (token_bucket_take (&bucket, START + G_USEC_PER_SEC / RATE));
}

/* A flood of 1000 a second for ten seconds: the burst, then RATE a second. */
static void
test_rate (void)
{
  TokenBucket bucket;
  guint taken;

  token_bucket_init (&bucket, RATE, BURST, START);
  taken = take_many (&bucket, 10000, START, G_USEC_PER_SEC / 1000);
  g_assert_cmpuint (taken, >=, BURST + 10 * RATE - 2);
  g_assert_cmpuint (taken, <=, BURST + 10 * RATE);
  /* Below the rate nothing is refused, however long it goes on. */
  token_bucket_init (&bucket, RATE, BURST, START);
  g_assert_cmpuint (take_many (&bucket, 5000, START, G_USEC_PER_SEC / (RATE / 2)), ==, 5000);
}

/* A long pause fills the bucket to its burst only; a clock that goes back
 * gains nothing. */
static void
test_pause (void)
{
  TokenBucket bucket;

  token_bucket_init (&bucket, RATE, BURST, START);
  g_assert_cmpuint (take_many (&bucket, BURST, START, 0), ==, BURST);
  g_assert_false (token_bucket_take (&bucket, START - G_USEC_PER_SEC));
  g_assert_cmpuint (take_many (&bucket, 2 * BURST, START + (gint64)3600 * G_USEC_PER_SEC, 0), ==,
                    BURST);
  g_assert_cmpuint (take_many (&bucket, 10, G_MAXINT64 / 2, 0), ==, 10);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/token-bucket/burst", test_burst);
  g_test_add_func ("/token-bucket/rate", test_rate);
  g_test_add_func ("/token-bucket/pause", test_pause);
  return g_test_run ();
}
