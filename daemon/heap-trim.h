/* SPDX-License-Identifier: MIT */
/* heap-trim.h — gives the allocator's free pages back after a peak.
 *
 * glibc's malloc returns memory to the system only from the top of an
 * arena; the pages of memory freed below it stay dirty in the process for
 * good. A peak — a huge call GDBus parsed into values, the traffic of
 * sessions that have ended — would so set the daemon's footprint for the
 * rest of its life. malloc_trim (0) hands every whole free page of every
 * arena back; it is run a few times, a little apart, after the memory of a
 * peak has been freed (some of it is freed later, on GDBus's thread).
 */
#pragma once

#include <glib.h>

/* Sets how much free memory malloc keeps at the top of each arena (call
 * first thing in main()). malloc_trim () cannot shrink the top of a
 * thread's arena — GDBus's worker thread has one — only free () does, and
 * by default only once 128 kB are free there, keeping 128 kB: a peak of the
 * bus's traffic would stay in it. */
void heap_trim_setup (void);

/* Trims the heap @rounds times over the next @rounds quarter-seconds; a
 * call while trims are due extends them, never runs more at once. */
void heap_trim_later (guint rounds);
