/* SPDX-License-Identifier: MIT */
/* backoff.c — see backoff.h. */
#include "backoff.h"

guint
backoff_delay (guint first, guint ceiling, guint failures)
{
  guint delay = first;

  /* Doubling stops at the ceiling, so no shift can overflow. */
  for (guint i = 0; i < failures && delay < ceiling; i++)
    delay = delay > G_MAXUINT / 2 ? G_MAXUINT : delay * 2;
  return MIN (delay, ceiling);
}
