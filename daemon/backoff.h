/* SPDX-License-Identifier: MIT */
/* backoff.h — the pause before the next attempt of something that failed.
 *
 * Every retry of the daemon (a resynchronisation probe, a data context's
 * activation, a client's reopen, the bus connection) waits the same way: a
 * first pause, doubled after each further failure, never more than a
 * ceiling. One function, so that the rule and its overflow guard live in one
 * place.
 */
#pragma once

#include <glib.h>

/* @first × 2^@failures, at most @ceiling, in whatever unit the caller uses.
 * @failures counts the failures before this one (0 gives @first). */
guint backoff_delay (guint first, guint ceiling, guint failures);
