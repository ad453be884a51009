/* heap-trim.c — see heap-trim.h. */
#include "heap-trim.h"

#include <malloc.h>

/* Apart enough that a burst of frees (sessions closing one after another)
 * is trimmed once, not once per free. */
#define TRIM_INTERVAL_MS 250

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
heap_trim_later (guint rounds)
{
  g_return_if_fail (rounds > 0);
  trims_left = MAX (trims_left, rounds);
  if (trim_source == 0)
    trim_source = g_timeout_add (TRIM_INTERVAL_MS, trim_heap, NULL);
}
