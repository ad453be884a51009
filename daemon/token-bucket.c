/* SPDX-License-Identifier: MIT */
/* token-bucket.c — see token-bucket.h. */
#include "token-bucket.h"

/* Tokens are counted in millionths, so that a rate of N a second gains
 * exactly N tokens in G_USEC_PER_SEC microseconds, without rounding. */
#define ONE_TOKEN G_USEC_PER_SEC

void
token_bucket_init (TokenBucket *bucket, guint rate, guint burst, gint64 now_us)
{
  bucket->rate = rate;
  bucket->burst = burst;
  bucket->tokens = (gint64)burst * ONE_TOKEN;
  bucket->updated = now_us;
}

static void
refill (TokenBucket *bucket, gint64 now_us)
{
  gint64 full = (gint64)bucket->burst * ONE_TOKEN;
  gint64 elapsed = now_us - bucket->updated;

  /* A clock that went back gains nothing. A pause long enough to fill the
   * bucket fills it, and the product below cannot overflow. */
  if (elapsed <= 0)
    return;
  bucket->updated = now_us;
  if (bucket->rate == 0)
    return;
  if (elapsed > full / bucket->rate)
    bucket->tokens = full;
  else
    bucket->tokens = MIN (full, bucket->tokens + elapsed * bucket->rate);
}

gboolean
token_bucket_take (TokenBucket *bucket, gint64 now_us)
{
  refill (bucket, now_us);
  if (bucket->tokens < ONE_TOKEN)
    return FALSE;
  bucket->tokens -= ONE_TOKEN;
  return TRUE;
}
