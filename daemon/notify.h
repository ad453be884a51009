/* SPDX-License-Identifier: MIT */
/* notify.h — what qcoapd and qcoap-proxy tell the service manager.
 *
 * With libsystemd (meson option systemd) these are sd_notify(),
 * sd_notifyf() and sd_watchdog_enabled(); built without it they do nothing,
 * so that one source serves systems with and without systemd. */
#pragma once

#include <glib.h>

/* Sends one notification (READY=1, STOPPING=1, WATCHDOG=1, ...). */
void notify_send (const char *state);

/* Sends one notification made from a printf format. */
void notify_sendf (const char *format, ...) G_GNUC_PRINTF (1, 2);

/* The watchdog interval the service manager asked for, in microseconds,
 * or 0 when there is none. */
guint64 notify_watchdog_usec (void);

/* Whether log records may go to the journal rather than to stderr. */
gboolean notify_journal_wanted (void);
