/* SPDX-License-Identifier: MIT */
/* bench-stats.h — small helpers the benchmark's programs share. */
#pragma once

#include <glib.h>
#include <stdlib.h>

static int
bench_compare_doubles (const void *a, const void *b)
{
  gdouble x = *(const gdouble *)a, y = *(const gdouble *)b;

  return x < y ? -1 : x > y;
}

/* The @percent-th percentile (nearest rank) of @samples (gdouble); sorts
 * them. 0 for no samples. */
static inline gdouble
bench_percentile (GArray *samples, guint percent)
{
  gsize rank;

  if (samples->len == 0)
    return 0;
  qsort (samples->data, samples->len, sizeof (gdouble), bench_compare_doubles);
  rank = (samples->len * percent + 99) / 100;
  return g_array_index (samples, gdouble, rank > 0 ? rank - 1 : 0);
}
