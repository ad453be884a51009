/* SPDX-License-Identifier: MIT */
/* e2e-traffic.h — many callers, each with its own connection and session,
 * sending a mix of messages through qcoapd at once, with the bookkeeping
 * that proves nothing was lost, duplicated or misattributed. */
#pragma once

#include "e2e-env.h"

G_BEGIN_DECLS

typedef struct
{
  guint callers;
  guint messages_per_caller;
  guint window;        /* calls each caller keeps outstanding */
  gboolean persistent; /* open persistent sessions */
  guint request_timeout_ms;
} TrafficConfig;

typedef struct _Traffic Traffic;

/* Opens one session per caller, each on its own connection, which hears
 * its session's signals as their opener. */
Traffic *traffic_new (E2eEnv *env, const TrafficConfig *config);
void traffic_free (Traffic *traffic);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Traffic, traffic_free)

/* Starts sending (calls are made from the default main context). */
void traffic_start (Traffic *traffic);
/* Iterates the main context until every call has its reply and every
 * message that can still be acknowledged is, or @timeout_ms passes. */
gboolean traffic_wait (Traffic *traffic, guint timeout_ms);
/* Calls answered so far, over all callers. */
guint traffic_replied (Traffic *traffic);
/* Iterates the main context until @count calls are answered, over all
 * callers: the traffic is under way, and a test can bring its fault in.
 * FALSE if that takes longer than @timeout_ms. */
gboolean traffic_wait_replied (Traffic *traffic, guint count, guint timeout_ms);

/* Asserts the bookkeeping: every call answered; each message ID Send
 * returned acknowledged exactly once, on its own session; Acks for message
 * IDs no Send returned only for Requests and timed-out Sends, never more;
 * no message ID acknowledged twice; no error outside @allowed_errors (full
 * D-Bus error names, or ours without the org.qcoapd.CoAP1.Error. prefix;
 * NULL-terminated; NULL: none). */
void traffic_check (Traffic *traffic, const char *const *allowed_errors);

/* Only the errors and duplicate Acks of traffic_check(): for traffic whose
 * daemon went away in the middle, whose last Acks never come. */
void traffic_check_errors (Traffic *traffic, const char *const *allowed_errors);

/* Closes the sessions that are still open. */
void traffic_close (Traffic *traffic);

const char *traffic_session_path (Traffic *traffic, guint caller);
guint traffic_errors (Traffic *traffic);

G_END_DECLS
