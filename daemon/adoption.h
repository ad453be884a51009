/* SPDX-License-Identifier: MIT */
/* adoption.h — what a starting daemon does with its previous run's sessions.
 *
 * Once the modem is ready, the adoption asks it which client IDs it holds
 * (AT+QCOAPOPEN?), asks the bus whether the owners of the saved sessions
 * are still there, decides each client ID's fate (adoption_plan(), free of
 * I/O), and closes on the modem every client ID that no saved session
 * explains or that cannot be adopted, waiting for each +QCOAPCLOSE. The
 * adopter (at the end) runs it when it can, tries again after a failure,
 * and builds the sessions from the plan; the service puts them in its
 * table: it alone writes the session table.
 */
#pragma once

#include <gio/gio.h>

#include "caller.h"
#include "modem.h"
#include "session.h"
#include "state-file.h"

G_BEGIN_DECLS

typedef enum
{
  ADOPTION_NONE,   /* nothing saved on this ID (anything the modem holds is closed) */
  ADOPTION_ADOPT,  /* the modem holds it open: the session goes on as it was */
  ADOPTION_REOPEN, /* persistent, but the modem lost it: opened again, as after a reset */
  ADOPTION_END,    /* lost for good: the session ends with Closed(reason) */
  ADOPTION_DROP,   /* its owner has left: forgotten (and closed on the modem) */
} AdoptionAction;

typedef struct
{
  AdoptionAction action;
  gboolean close_on_modem; /* the modem holds this ID but the session cannot use it */
  const char *reason;      /* ADOPTION_END: the Closed signal's reason */
} AdoptionStep;

/* What AT+QCOAPOPEN? said of one client ID. */
typedef struct
{
  gboolean listed;
  char *host;
  guint port;
  QcoapClientStatus status;
} AdoptionListing;

/* The fate of each client ID, from the saved sessions (none if @state is
 * NULL), what the modem holds, and whether each saved session's owner is
 * still on the bus. */
void adoption_plan (const SavedState *state, const AdoptionListing listing[QCOAP_MAX_CLIENTS],
                    const gboolean owner_on_bus[QCOAP_MAX_CLIENTS],
                    AdoptionStep steps[QCOAP_MAX_CLIENTS]);

typedef struct _Adoption Adoption;

/* An adoption of @state (taken over; NULL: nothing saved, the modem's
 * client IDs are only cleaned up) on @modem, whose bus connection has the
 * ID @bus_id. Until it is freed it hears the CoAP URCs of the client IDs no
 * session holds from @pool. */
Adoption *adoption_new (Modem *modem, ClientPool *pool, CallerRegistry *callers, SavedState *state,
                        const char *bus_id);
void adoption_free (Adoption *adoption);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Adoption, adoption_free)

void adoption_run (Adoption *adoption, GCancellable *cancellable, GAsyncReadyCallback callback,
                   gpointer user_data);
gboolean adoption_run_finish (Adoption *adoption, GAsyncResult *result, GError **error);

/* After the run: the plan, the saved session and its owner (the caller on
 * the bus, or one that has departed) of client ID @id. */
const AdoptionStep *adoption_get_step (Adoption *adoption, guint id);
const SavedSession *adoption_get_session (Adoption *adoption, guint id);
Caller *adoption_get_owner (Adoption *adoption, guint id);
/* The saved message-ID position of the session of client ID @id, and
 * whether there was one. */
gboolean adoption_get_message_id (Adoption *adoption, guint id, guint16 *message_id);
/* Whether the saved state came from a daemon that stopped knowingly. */
gboolean adoption_was_clean (Adoption *adoption);

/* The session of client ID @id as the plan has it (ADOPT, REOPEN or END),
 * on an ID acquired from @pool; the service puts it in its table, exports
 * it, then starts it with adoption_start_session(). */
Session *adoption_create_session (Adoption *adoption, guint id, ClientPool *pool,
                                  const SessionLimits *limits, SessionEndedFunc ended,
                                  gpointer user_data);
void adoption_start_session (Adoption *adoption, Session *session);

/* The session paths the run that saved @state handed out are not handed
 * out again. */
void adoption_reserve_numbers (const SavedState *state);

/* What the state file keeps of @session. */
void adoption_describe_session (Session *session, SavedSession *saved);

/* The adopter: the whole take-over as the service starts it. Once the
 * modem is ready and the bus known it runs an adoption of what the
 * previous run saved at @state_path, tries again a second later if that
 * fails, and builds the sessions of the plan; the service puts each one in
 * its table and exports it (add_session), since it alone writes the table.
 * Until it is done, nothing may be handed out or saved. */
typedef struct
{
  /* @session, taken over, goes in the table and on the bus. */
  void (*add_session) (Session *session, gpointer user_data);
  /* The modem lost what it held: every session suspends with @reason. */
  void (*sessions_lost) (const char *reason, gpointer user_data);
  /* Every session is taken over: the state may be saved and published. */
  void (*finished) (gpointer user_data);
} AdopterListener;

typedef struct _Adopter Adopter;

/* The sessions it builds get @limits, and @ended with @user_data. */
Adopter *adopter_new (Modem *modem, ClientPool *pool, CallerRegistry *callers,
                      const char *state_path, const SessionLimits *limits, SessionEndedFunc ended,
                      const AdopterListener *listener, gpointer user_data);
void adopter_free (Adopter *adopter);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Adopter, adopter_free)

/* The bus is known, or known anew after a reconnection: @bus_id is its ID. */
void adopter_set_bus (Adopter *adopter, const char *bus_id);
/* Starts the take-over if the modem is ready, the bus known, and none is
 * done, under way or waiting to be tried again. */
void adopter_start (Adopter *adopter);
/* The modem restarted: a take-over under way ends with every session
 * suspended, since what the modem held is gone. */
void adopter_sessions_lost (Adopter *adopter);
gboolean adopter_is_done (Adopter *adopter);

G_END_DECLS
