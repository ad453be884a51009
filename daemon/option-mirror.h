/* SPDX-License-Identifier: MIT */
/* option-mirror.h — what one client ID of the modem still holds from the
 * previous messages, so that the next message sends only what changed.
 *
 * The BG96 keeps, per client ID, one header (AT+QCOAPHEADER) and eight
 * option slots (AT+QCOAPOPTION); AT+QCOAPSEND picks the slots of a message
 * with its bitmask, and slots stay set until overwritten. A host that writes
 * every option of every message spends most of the serial line on options
 * the modem already holds. The mirror remembers the header and the slots and
 * plans each message: a header only if the message ID or token differs,
 * option writes only for options no reusable slot holds, and the bitmask
 * that selects the slots. Slots are chosen to reuse as many option bytes as
 * possible; repeated options (Uri-Path segments) keep their message order in
 * slot order, because the modem emits repeated options in slot order.
 * Options not in the message stay in their slots (unselected) for later
 * messages, and the least recently used slot is overwritten first.
 *
 * Plans are made when a message is queued, possibly while earlier messages
 * of the same client are still queued or running. A slot or header that an
 * unfinished plan writes is not relied on by a later plan: if the earlier
 * transaction fails half-way, the modem holds either value. Each plan must
 * be finished with option_mirror_plan_finish() when its transaction ends;
 * a failure (ERROR, timeout, cancellation) forgets everything the mirror
 * knew, because the modem's state is then unknown. The mirror also has to be
 * forgotten when the modem resets or the client's session is reopened
 * (a new session gets a new mirror).
 *
 * No I/O: the plan is a list of AT command lines (without CR).
 */
#pragma once

#include <glib.h>

#include "qcoap-options.h"

G_BEGIN_DECLS

#define OPTION_MIRROR_SLOTS QCOAP_MAX_OPTIONS

typedef struct _OptionMirror OptionMirror;
typedef struct _OptionMirrorPlan OptionMirrorPlan;

/* A mirror of client @client_id (0-5) that knows nothing yet. */
OptionMirror *option_mirror_new (guint client_id);
void option_mirror_free (OptionMirror *mirror);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OptionMirror, option_mirror_free)

/* Forgets the header and every slot (modem reset, session reopened).
 * Plans still unfinished then teach the mirror nothing when they finish. */
void option_mirror_invalidate (OptionMirror *mirror);

/* Plans the next message: @message_id and @token (NULL: the modem picks the
 * token, mode 1) for the header, and @options (validated, at most
 * OPTION_MIRROR_SLOTS; NULL or empty for none), in message order. The mirror
 * assumes the plan's commands will be sent in order, before any later plan's,
 * each followed by AT+QCOAPSEND with the plan's bitmask. */
OptionMirrorPlan *option_mirror_plan (OptionMirror *mirror, guint16 message_id, GBytes *token,
                                      GPtrArray *options);

/* The AT command lines to send before AT+QCOAPSEND, in order: an
 * AT+QCOAPHEADER if the header changed, then one AT+QCOAPOPTION per option
 * write. The array and its strings belong to @plan. */
GPtrArray *option_mirror_plan_get_commands (OptionMirrorPlan *plan);

/* The message ID the plan's header is for. */
guint16 option_mirror_plan_get_message_id (OptionMirrorPlan *plan);

/* The <opt_bitmask> of AT+QCOAPSEND: bit i selects slot i. */
guint8 option_mirror_plan_get_bitmask (OptionMirrorPlan *plan);

/* The slot option @index of the planned message goes into. */
guint option_mirror_plan_get_slot (OptionMirrorPlan *plan, guint index);

/* The transaction of @plan ended. With @succeeded (the modem answered OK to
 * every command, payload included) the modem holds what the plan wrote;
 * otherwise the mirror is invalidated. Does not free @plan. */
void option_mirror_plan_finish (OptionMirror *mirror, OptionMirrorPlan *plan, gboolean succeeded);

/* The transaction of @plan was cancelled before any of its commands was
 * sent: the mirror stays as it was. Does not free @plan. */
void option_mirror_plan_abandon (OptionMirror *mirror, OptionMirrorPlan *plan);

void option_mirror_plan_free (OptionMirrorPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OptionMirrorPlan, option_mirror_plan_free)

G_END_DECLS
