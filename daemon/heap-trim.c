/* SPDX-License-Identifier: MIT */
/* heap-trim.c — see heap-trim.h. */
#include "heap-trim.h"

#include <malloc.h>

/* Apart enough that a burst of frees (sessions closing one after another)
 * is trimmed once, not once per free. */
#define TRIM_INTERVAL_MS 250

/* An arena's top is given back once this much of it is free, down to
 * TOP_PAD: small enough that a peak's pages go back, large enough that the
 * daemon's steady traffic (a few kB a message) does not ask the kernel for
 * memory and give it back at every message. */
#define TRIM_THRESHOLD_BYTES (64 * 1024)
#define TOP_PAD_BYTES        (16 * 1024)

static guint trim_source;
static guint trims_left;

static gboolean
trim_heap (gpointer user_data)
{
  malloc_trim (0);
  if (--trims_left > 0)
    return G_SOURCE_CONTINUE;
  trim_source = 0;
  return G_SOURCE_REMOVE;
}

void
heap_trim_setup (void)
{
  mallopt (M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES);
  mallopt (M_TOP_PAD, TOP_PAD_BYTES);
}

void
heap_trim_later (guint rounds)
{
  g_return_if_fail (rounds > 0);
  trims_left = MAX (trims_left, rounds);
  if (trim_source == 0)
    trim_source = g_timeout_add (TRIM_INTERVAL_MS, trim_heap, NULL);
}
