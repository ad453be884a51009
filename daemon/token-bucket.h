/* SPDX-License-Identifier: MIT */
/* token-bucket.h — at most so many events a second, with a burst.
 *
 * The bucket holds up to @burst tokens and gains @rate a second; an event
 * takes one, and an event that finds none is over the rate. Free of I/O:
 * the caller gives the time (monotonic microseconds).
 */
#pragma once

#include <glib.h>

typedef struct
{
  guint rate;     /* tokens gained a second */
  guint burst;    /* tokens held at most */
  gint64 tokens;  /* in millionths of a token */
  gint64 updated; /* when @tokens was last brought up to date, µs */
} TokenBucket;

/* A full bucket at @now_us. */
void token_bucket_init (TokenBucket *bucket, guint rate, guint burst, gint64 now_us);
/* Takes a token at @now_us: FALSE, and nothing taken, if there is none. */
gboolean token_bucket_take (TokenBucket *bucket, gint64 now_us);
