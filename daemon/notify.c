/* SPDX-License-Identifier: MIT */
/* notify.c — the service manager's notifications, with or without
 * libsystemd (see notify.h). */
#include "notify.h"

#ifdef QCOAPD_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

void
notify_send (const char *state)
{
#ifdef QCOAPD_HAVE_SYSTEMD
  sd_notify (0, state);
#endif
}

void
notify_sendf (const char *format, ...)
{
#ifdef QCOAPD_HAVE_SYSTEMD
  g_autofree char *state = NULL;
  va_list args;

  va_start (args, format);
  state = g_strdup_vprintf (format, args);
  va_end (args);
  sd_notify (0, state);
#endif
}

guint64
notify_watchdog_usec (void)
{
#ifdef QCOAPD_HAVE_SYSTEMD
  uint64_t usec = 0;

  if (sd_watchdog_enabled (0, &usec) > 0)
    return usec;
#endif
  return 0;
}

/* Without systemd nobody reads a journal: everything goes to stderr. */
gboolean
notify_journal_wanted (void)
{
#ifdef QCOAPD_HAVE_SYSTEMD
  return TRUE;
#else
  return FALSE;
#endif
}
