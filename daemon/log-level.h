/* SPDX-License-Identifier: MIT */
/* log-level.h — the least severe level the daemon writes, and debug
 * messages that cost nothing when they are not written.
 *
 * g_debug () formats its message before any writer can drop it. On the
 * paths every message takes (each AT line, each URC) that formatting was a
 * measurable share of the daemon's CPU with debug output off, so those
 * paths use qcoapd_debug (), which asks first.
 */
#pragma once

#include <glib.h>

/* Sets the least severe level written (main () does, from LogLevel= or
 * --verbose). Until it is set, GLib's default writer decides (tests). */
void log_level_set_threshold (GLogLevelFlags threshold);

/* Whether a message of @level would be written. */
gboolean log_level_wants (GLogLevelFlags level);

#define qcoapd_debug(...)                                                                          \
  G_STMT_START                                                                                     \
  {                                                                                                \
    if (G_UNLIKELY (log_level_wants (G_LOG_LEVEL_DEBUG)))                                          \
      g_debug (__VA_ARGS__);                                                                       \
  }                                                                                                \
  G_STMT_END
