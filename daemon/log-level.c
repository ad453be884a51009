/* SPDX-License-Identifier: MIT */
/* log-level.c — see log-level.h. */
#include "log-level.h"

#define THRESHOLD_UNSET 0

static GLogLevelFlags threshold = THRESHOLD_UNSET;

void
log_level_set_threshold (GLogLevelFlags level)
{
  threshold = level & G_LOG_LEVEL_MASK;
}

gboolean
log_level_wants (GLogLevelFlags level)
{
  if (threshold == THRESHOLD_UNSET)
    return !g_log_writer_default_would_drop (level, NULL);
  /* GLib's levels are bits, most severe first: a larger bit is less severe. */
  return (level & G_LOG_LEVEL_MASK) <= threshold;
}
