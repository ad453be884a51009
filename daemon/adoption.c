/* SPDX-License-Identifier: MIT */
/* adoption.c — see adoption.h. */
#include "adoption.h"

#include "qcoap-cmd.h"
#include "qcoap-error.h"

#define QUERY_TIMEOUT_MS 2000
#define CLOSE_TIMEOUT_MS 2000
/* How long the +QCOAPCLOSE results may take, all of them. */
#define CLOSE_RESULTS_TIMEOUT_MS 10000

struct _Adoption
{
  Modem *modem;
  ClientPool *pool;
  CallerRegistry *callers;
  SavedState *state; /* NULL: nothing usable was saved */
  char *bus_id;
  AdoptionListing listing[QCOAP_MAX_CLIENTS];
  gboolean owner_on_bus[QCOAP_MAX_CLIENTS];
  Caller *owners[QCOAP_MAX_CLIENTS];
  AdoptionStep steps[QCOAP_MAX_CLIENTS];

  GTask *task;
  guint lookups_pending;
  guint closes_pending; /* AT+QCOAPCLOSE commands without their answer */
  guint close_results;  /* bit per ID: +QCOAPCLOSE results still to come */
  guint close_timeout_source;
};

static void on_unclaimed_urc (const ClientPoolUrc *urc, gpointer user_data);

/* ---- the plan ------------------------------------------------------------------- */

static gboolean
listing_matches (const AdoptionListing *listed, const SavedSession *saved)
{
  return listed->listed && listed->status == QCOAP_STATUS_CONNECTED
         && g_strcmp0 (listed->host, saved->host) == 0 && listed->port == saved->port;
}

/* A saved session whose client ID the modem does not hold (any more). */
static AdoptionStep
plan_lost (const SavedSession *saved, gboolean owner_on_bus)
{
  AdoptionStep step = { ADOPTION_REOPEN, FALSE, NULL };

  if (saved->persistent && saved->psk_identity)
    {
      /* Its key stayed with its caller: it cannot be opened again. */
      step.action = ADOPTION_END;
      step.reason = "error";
    }
  else if (!saved->persistent)
    {
      step.action = owner_on_bus ? ADOPTION_END : ADOPTION_DROP;
      step.reason = MODEM_REASON_RESET;
    }
  return step;
}

static AdoptionStep
plan_one (const SavedSession *saved, const AdoptionListing *listed, gboolean owner_on_bus)
{
  AdoptionStep step = { ADOPTION_NONE, listed->listed, NULL };

  if (saved == NULL || !saved->present)
    return step;
  if (!listing_matches (listed, saved))
    {
      step = plan_lost (saved, owner_on_bus);
      /* Whatever the modem holds on the ID is not this session. */
      step.close_on_modem = listed->listed;
      return step;
    }
  step.close_on_modem = FALSE;
  step.action = saved->persistent || owner_on_bus ? ADOPTION_ADOPT : ADOPTION_DROP;
  step.close_on_modem = step.action == ADOPTION_DROP;
  return step;
}

void
adoption_plan (const SavedState *state, const AdoptionListing listing[QCOAP_MAX_CLIENTS],
               const gboolean owner_on_bus[QCOAP_MAX_CLIENTS],
               AdoptionStep steps[QCOAP_MAX_CLIENTS])
{
  for (guint id = 0; id < QCOAP_MAX_CLIENTS; id++)
    steps[id] = plan_one (state ? &state->sessions[id] : NULL, &listing[id], owner_on_bus[id]);
}

/* ---- life cycle ----------------------------------------------------------------- */

Adoption *
adoption_new (Modem *modem, ClientPool *pool, CallerRegistry *callers, SavedState *state,
              const char *bus_id)
{
  Adoption *adoption = g_new0 (Adoption, 1);

  adoption->modem = modem;
  adoption->pool = pool;
  client_pool_set_unclaimed_handler (pool, on_unclaimed_urc, adoption);
  adoption->callers = callers;
  adoption->state = state;
  adoption->bus_id = g_strdup (bus_id);
  return adoption;
}

void
adoption_free (Adoption *adoption)
{
  if (adoption == NULL)
    return;
  g_assert (adoption->task == NULL);
  client_pool_set_unclaimed_handler (adoption->pool, NULL, NULL);
  if (adoption->state)
    {
      saved_state_clear (adoption->state);
      g_free (adoption->state);
    }
  for (guint id = 0; id < QCOAP_MAX_CLIENTS; id++)
    {
      g_free (adoption->listing[id].host);
      g_clear_object (&adoption->owners[id]);
    }
  g_free (adoption->bus_id);
  g_free (adoption);
}

const AdoptionStep *
adoption_get_step (Adoption *adoption, guint id)
{
  return &adoption->steps[id];
}

const SavedSession *
adoption_get_session (Adoption *adoption, guint id)
{
  return adoption->state ? &adoption->state->sessions[id] : NULL;
}

Caller *
adoption_get_owner (Adoption *adoption, guint id)
{
  return adoption->owners[id];
}

gboolean
adoption_get_message_id (Adoption *adoption, guint id, guint16 *message_id)
{
  if (adoption->state == NULL || !adoption->state->sessions[id].present)
    return FALSE;
  *message_id = (guint16)adoption->state->sessions[id].message_id;
  return TRUE;
}

gboolean
adoption_was_clean (Adoption *adoption)
{
  return adoption->state && adoption->state->clean;
}

static void
finish (Adoption *adoption, GError *error)
{
  g_autoptr (GTask) task = g_steal_pointer (&adoption->task);

  g_clear_handle_id (&adoption->close_timeout_source, g_source_remove);
  if (error)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* ---- closing what cannot be adopted --------------------------------------------- */

static void
maybe_finish_closing (Adoption *adoption)
{
  if (adoption->task && adoption->closes_pending == 0 && adoption->close_results == 0)
    finish (adoption, NULL);
}

static gboolean
on_close_results_timeout (gpointer user_data)
{
  Adoption *adoption = user_data;

  adoption->close_timeout_source = 0;
  g_warning ("No +QCOAPCLOSE result for client IDs 0x%02x yet; they stay taken until it comes",
             adoption->close_results);
  /* The module may take up to 75 s: the sessions go on, but those IDs are
   * not handed out before the module has let them go. */
  for (guint id = 0; id < QCOAP_MAX_CLIENTS; id++)
    {
      guint held;

      if ((adoption->close_results & (1u << id))
          && client_pool_acquire (adoption->pool, (int)id, &held, NULL))
        client_pool_release_when_closed (adoption->pool, held, CLIENT_POOL_CLOSE_TIMEOUT_MS);
    }
  adoption->close_results = 0;
  maybe_finish_closing (adoption);
  return G_SOURCE_REMOVE;
}

typedef struct
{
  Adoption *adoption;
  guint id;
} CloseData;

static void
on_close_answered (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree CloseData *data = user_data;
  Adoption *adoption = data->adoption;
  g_autoptr (GError) error = NULL;
  g_autoptr (AtResponse) response = modem_command_finish (adoption->modem, result, &error);

  if (adoption->task == NULL)
    return;
  adoption->closes_pending--;
  /* ERROR: the modem holds nothing there (any more); no result follows. */
  if (response == NULL)
    adoption->close_results &= ~(1u << data->id);
  maybe_finish_closing (adoption);
}

static void
close_on_modem (Adoption *adoption, guint id)
{
  g_autofree char *command = at_coap_cmd_close (id);
  CloseData *data = g_new0 (CloseData, 1);
  /* Its result comes later, as a +QCOAPCLOSE URC. */
  AtCommand at = { .timeout_ms = CLOSE_TIMEOUT_MS };

  g_info ("Client ID %u is open on the modem to %s:%u, and no session of this daemon can use it: "
          "closing it",
          id, adoption->listing[id].host, adoption->listing[id].port);
  data->adoption = adoption;
  data->id = id;
  adoption->closes_pending++;
  adoption->close_results |= 1u << id;
  at.text = command;
  modem_command (adoption->modem, &at, g_task_get_cancellable (adoption->task), on_close_answered,
                 data);
}

/* A URC for a client ID that has no session: the adoption waits for the
 * +QCOAPCLOSE results of the IDs it closes. */
static void
on_unclaimed_urc (const ClientPoolUrc *urc, gpointer user_data)
{
  Adoption *adoption = user_data;

  if (adoption->task == NULL || urc->kind != QCOAP_URC_CLOSE)
    return;
  adoption->close_results &= ~(1u << urc->client_id);
  maybe_finish_closing (adoption);
}

static void
log_plan (Adoption *adoption)
{
  static const char *const names[] = {
    [ADOPTION_NONE] = "nothing saved",
    [ADOPTION_ADOPT] = "adopted",
    [ADOPTION_REOPEN] = "opened again",
    [ADOPTION_END] = "ended",
    [ADOPTION_DROP] = "closed: its owner has left",
  };

  for (guint id = 0; id < QCOAP_MAX_CLIENTS; id++)
    if (adoption->steps[id].action != ADOPTION_NONE)
      g_info ("Saved session %u (%s:%u): %s", id, adoption->state->sessions[id].host,
              adoption->state->sessions[id].port, names[adoption->steps[id].action]);
}

static void
carry_out_plan (Adoption *adoption)
{
  adoption_plan (adoption->state, adoption->listing, adoption->owner_on_bus, adoption->steps);
  log_plan (adoption);
  adoption->close_timeout_source
      = g_timeout_add (CLOSE_RESULTS_TIMEOUT_MS, on_close_results_timeout, adoption);
  for (guint id = 0; id < QCOAP_MAX_CLIENTS; id++)
    if (adoption->steps[id].close_on_modem)
      close_on_modem (adoption, id);
  maybe_finish_closing (adoption);
}

/* ---- owners --------------------------------------------------------------------- */

typedef struct
{
  Adoption *adoption;
  guint id;
} LookupData;

static void
on_owner_known (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree LookupData *data = user_data;
  Adoption *adoption = data->adoption;
  const SavedSession *saved;
  g_autoptr (Caller) caller = caller_registry_lookup_finish (adoption->callers, result, NULL);

  if (adoption->task == NULL)
    return;
  saved = &adoption->state->sessions[data->id];
  /* Same name, same user: the same connection (a bus never reuses a name). */
  if (caller && caller_get_uid (caller) == saved->owner_uid)
    {
      adoption->owner_on_bus[data->id] = TRUE;
      g_set_object (&adoption->owners[data->id], caller);
    }
  if (--adoption->lookups_pending == 0)
    carry_out_plan (adoption);
}

/* Every saved session gets an owner: the caller on the bus when its name
 * is still there, a departed one otherwise. */
static void
look_up_owners (Adoption *adoption)
{
  gboolean same_bus = adoption->state && g_strcmp0 (adoption->state->bus, adoption->bus_id) == 0;

  adoption->lookups_pending = 1;
  for (guint id = 0; adoption->state && id < QCOAP_MAX_CLIENTS; id++)
    {
      const SavedSession *saved = &adoption->state->sessions[id];
      LookupData *data;

      if (!saved->present)
        continue;
      adoption->owners[id] = caller_new_departed (saved->owner, (uid_t)saved->owner_uid);
      if (!same_bus)
        continue;
      data = g_new0 (LookupData, 1);
      data->adoption = adoption;
      data->id = id;
      adoption->lookups_pending++;
      caller_registry_lookup (adoption->callers, saved->owner,
                              g_task_get_cancellable (adoption->task), on_owner_known, data);
    }
  if (--adoption->lookups_pending == 0)
    carry_out_plan (adoption);
}

/* ---- what the modem holds ------------------------------------------------------- */

static void
read_listing (Adoption *adoption, const AtResponse *response)
{
  for (guint i = 0; i < response->lines->len; i++)
    {
      const char *line = g_ptr_array_index (response->lines, i);
      g_autofree char *host = NULL;
      QcoapClientStatus status;
      guint id;
      guint16 port;

      if (!at_coap_open_status_parse (line, &id, &host, &port, &status, NULL)
          || id >= QCOAP_MAX_CLIENTS)
        {
          g_info ("AT+QCOAPOPEN? answered an unexpected line \"%s\"", line);
          continue;
        }
      adoption->listing[id].listed = status != QCOAP_STATUS_IDLE;
      adoption->listing[id].port = port;
      adoption->listing[id].status = status;
      g_free (adoption->listing[id].host);
      adoption->listing[id].host = g_steal_pointer (&host);
    }
}

static void
on_listing (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Adoption *adoption = user_data;
  GError *error = NULL;
  g_autoptr (AtResponse) response = modem_command_finish (adoption->modem, result, &error);

  if (adoption->task == NULL)
    {
      g_clear_error (&error);
      return;
    }
  if (response == NULL)
    {
      finish (adoption, error);
      return;
    }
  read_listing (adoption, response);
  look_up_owners (adoption);
}

/* A state file written for another modem holds nothing for this one. */
static void
check_modem (Adoption *adoption)
{
  const char *imei = modem_get_imei (adoption->modem);

  if (adoption->state == NULL || g_strcmp0 (adoption->state->imei, imei) == 0)
    return;
  g_warning ("The saved sessions are of another modem (IMEI %s, this one is %s); ignoring them",
             adoption->state->imei, imei);
  saved_state_clear (adoption->state);
  g_clear_pointer (&adoption->state, g_free);
}

void
adoption_run (Adoption *adoption, GCancellable *cancellable, GAsyncReadyCallback callback,
              gpointer user_data)
{
  g_autofree char *command = at_coap_cmd_open_query ();
  AtCommand at = { .text = command,
                   .response = at_coap_open_query_response,
                   .timeout_ms = QUERY_TIMEOUT_MS };

  g_return_if_fail (adoption->task == NULL);
  adoption->task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (adoption->task, adoption_run);
  check_modem (adoption);
  modem_command (adoption->modem, &at, cancellable, on_listing, adoption);
}

gboolean
adoption_run_finish (Adoption *adoption, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == adoption_run, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- sessions ------------------------------------------------------------------- */

Session *
adoption_create_session (Adoption *adoption, guint id, ClientPool *pool,
                         const SessionLimits *limits, SessionEndedFunc ended, gpointer user_data)
{
  const SavedSession *saved = &adoption->state->sessions[id];
  g_auto (OpenArgs) args;

  open_args_init (&args);
  args.client_id = (int)id;
  args.pdp_context = saved->pdp_context;
  args.ack_timeout = saved->ack_timeout;
  args.max_retransmit = saved->max_retransmit;
  args.persistent = saved->persistent;
  args.idle_timeout = saved->idle_timeout;
  args.psk_identity = g_strdup (saved->psk_identity);
  args.modem = g_strdup (saved->modem);
  return session_new (pool, adoption->callers, id, saved->number, saved->host, (guint16)saved->port,
                      &args, limits, adoption->owners[id], ended, user_data);
}

void
adoption_start_session (Adoption *adoption, Session *session)
{
  guint id = session_get_id (session);
  const AdoptionStep *step = &adoption->steps[id];
  /* A daemon that stopped knowingly wrote the idle deadlines as they were;
   * after a crash they may be older than the last call, so the idle timer
   * starts afresh. */
  gint64 deadline = adoption->state->clean ? adoption->state->sessions[id].idle_deadline : 0;

  if (step->action == ADOPTION_END)
    {
      if (g_strcmp0 (step->reason, "error") == 0)
        g_warning ("Session %u (%s:%u) is gone from the modem and cannot be opened again: "
                   "its DTLS key is not kept across restarts of qcoapd",
                   id, adoption->state->sessions[id].host, adoption->state->sessions[id].port);
      session_end (session, step->reason);
      return;
    }
  session_adopt (session, step->action == ADOPTION_ADOPT, deadline);
}

void
adoption_describe_session (Session *session, SavedSession *saved)
{
  const ModemClientConfig *config = session_get_config (session);

  saved->present = TRUE;
  saved->number = session_get_number (session);
  saved->host = g_strdup (config->host);
  saved->port = config->port;
  saved->pdp_context = config->pdp_context;
  saved->ack_timeout = config->ack_timeout;
  saved->max_retransmit = config->max_retransmit;
  saved->persistent = config->persistent;
  saved->idle_timeout = session_get_idle_timeout (session);
  saved->idle_deadline = session_get_idle_deadline (session);
  saved->psk_identity = g_strdup (config->psk_identity);
  saved->modem = g_strdup (session_get_pinned_modem (session));
  saved->owner_uid = (guint)session_get_owner_uid (session);
  saved->owner = g_strdup (caller_get_bus_name (session_get_owner (session)));
}

/* ---- the adopter: run, retry, take over ------------------------------------------- */

#define RETRY_MS 1000

struct _Adopter
{
  Modem *modem;
  ClientPool *pool;
  CallerRegistry *callers;
  char *state_path;
  SessionLimits limits;
  SessionEndedFunc ended;
  AdopterListener listener;
  gpointer user_data;

  char *bus_id; /* NULL until the bus is known */
  gboolean done;
  Adoption *adoption; /* the run under way */
  gboolean lost_during_run;
  guint retry_source;
};

Adopter *
adopter_new (Modem *modem, ClientPool *pool, CallerRegistry *callers, const char *state_path,
             const SessionLimits *limits, SessionEndedFunc ended, const AdopterListener *listener,
             gpointer user_data)
{
  Adopter *adopter = g_new0 (Adopter, 1);

  adopter->modem = modem;
  adopter->pool = pool;
  adopter->callers = callers;
  adopter->state_path = g_strdup (state_path);
  adopter->limits = *limits;
  adopter->ended = ended;
  adopter->listener = *listener;
  adopter->user_data = user_data;
  return adopter;
}

/* A run still under way is not freed: its task would call back into it.
 * Only the daemon's exit frees an adopter that early. */
void
adopter_free (Adopter *adopter)
{
  if (adopter == NULL)
    return;
  g_clear_handle_id (&adopter->retry_source, g_source_remove);
  g_free (adopter->bus_id);
  g_free (adopter->state_path);
  g_free (adopter);
}

gboolean
adopter_is_done (Adopter *adopter)
{
  return adopter->done;
}

void
adopter_set_bus (Adopter *adopter, const char *bus_id)
{
  g_free (adopter->bus_id);
  adopter->bus_id = g_strdup (bus_id);
}

void
adopter_sessions_lost (Adopter *adopter)
{
  adopter->lost_during_run = adopter->adoption != NULL;
}

void
adoption_reserve_numbers (const SavedState *state)
{
  if (state->next_session > 0)
    session_numbers_reserve (state->next_session - 1);
  for (guint id = 0; id < QCOAP_MAX_CLIENTS; id++)
    session_numbers_reserve (state->sessions[id].number);
}

/* What the previous run saved, or NULL: a missing, corrupt or foreign file
 * is logged and ignored. */
static SavedState *
load_saved_state (const char *path)
{
  g_autofree SavedState *state = g_new0 (SavedState, 1);
  g_autoptr (GError) error = NULL;

  if (state_file_load (path, state, &error))
    {
      adoption_reserve_numbers (state);
      return g_steal_pointer (&state);
    }
  if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    g_info ("No saved sessions (%s)", path);
  else
    g_warning ("Ignoring the saved sessions: %s", error->message);
  return NULL;
}

static void
take_over_session (Adopter *adopter, guint id)
{
  AdoptionAction action = adoption_get_step (adopter->adoption, id)->action;
  Session *session;
  guint acquired;

  if (action == ADOPTION_NONE || action == ADOPTION_DROP
      || !client_pool_acquire (adopter->pool, (int)id, &acquired, NULL))
    return;
  session = adoption_create_session (adopter->adoption, id, adopter->pool, &adopter->limits,
                                     adopter->ended, adopter->user_data);
  adopter->listener.add_session (session, adopter->user_data);
  adoption_start_session (adopter->adoption, session);
}

static gboolean
retry (gpointer user_data)
{
  Adopter *adopter = user_data;

  adopter->retry_source = 0;
  adopter_start (adopter);
  return G_SOURCE_REMOVE;
}

/* A saved session's message-ID sequence goes on past its saved position,
 * and the table is marked done before the sessions go in, so that adding
 * them saves. */
static void
finish_run (Adopter *adopter)
{
  guint16 message_id;

  for (guint id = 0; id < QCOAP_MAX_CLIENTS; id++)
    if (adoption_get_message_id (adopter->adoption, id, &message_id))
      client_pool_set_message_id_position (adopter->pool, id, message_id);
  adopter->done = TRUE;
  for (guint id = 0; id < QCOAP_MAX_CLIENTS; id++)
    take_over_session (adopter, id);
  g_clear_pointer (&adopter->adoption, adoption_free);
  /* The modem restarted while its sessions were being taken over: what it
   * held is gone now. */
  if (adopter->lost_during_run)
    adopter->listener.sessions_lost (MODEM_REASON_RESET, adopter->user_data);
  adopter->listener.finished (adopter->user_data);
}

static void
on_run_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Adopter *adopter = user_data;
  g_autoptr (GError) error = NULL;

  if (adoption_run_finish (adopter->adoption, result, &error))
    {
      finish_run (adopter);
      return;
    }
  g_warning ("Cannot take over the previous run's sessions yet: %s", error->message);
  g_clear_pointer (&adopter->adoption, adoption_free);
  adopter->retry_source = g_timeout_add (RETRY_MS, retry, adopter);
}

/* What the modem holds and what the previous run saved decide which
 * sessions go on. */
void
adopter_start (Adopter *adopter)
{
  if (adopter->done || modem_get_state (adopter->modem) != MODEM_STATE_READY || adopter->adoption
      || adopter->retry_source || adopter->bus_id == NULL)
    return;
  adopter->lost_during_run = FALSE;
  adopter->adoption = adoption_new (adopter->modem, adopter->pool, adopter->callers,
                                    load_saved_state (adopter->state_path), adopter->bus_id);
  adoption_run (adopter->adoption, NULL, on_run_done, adopter);
}
