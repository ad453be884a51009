/* SPDX-License-Identifier: MIT */
/* modem-unit.c — see modem-unit.h. The session table of one modem is
 * written here only. */
#include "modem-unit.h"

#include "adoption.h"
#include "client-pool.h"
#include "dbus-args.h"
#include "diag-command.h"
#include "id-sweep.h"
#include "manager-network.h"
#include "modem.h"
#include "qcoap-error.h"
#include "state-file.h"

#define ROOT_UID 0

struct _ModemUnit
{
  char *name;
  char *path;
  ModemUnitShared shared;
  ModemUnitListener listener;
  gpointer user_data;

  QcoapObjectSkeleton *object;
  QcoapModem *iface;
  Modem *modem;
  Network *network;
  ClientPool *pool;
  Session *sessions[QCOAP_MAX_CLIENTS];
  gboolean temporary[QCOAP_MAX_CLIENTS]; /* one-shot Requests' sessions: not saved */

  /* A restart keeps the sessions (see adoption.h): nothing is handed out,
   * and nothing saved, until the previous run's sessions are taken over. */
  char *state_path;
  gboolean state_saved;  /* the last save worked */
  gboolean state_usable; /* the state file's directory can be written */
  Adopter *adopter;

  /* The sessions were lost while the module may have kept its clients
   * (see id-sweep.h): swept once it is ready again. */
  gboolean sweep_needed;
  GCancellable *cancellable;
};

/* ---- the configuration ------------------------------------------------------------ */

void
modem_unit_config_init (ModemUnitConfig *config, const char *name, const char *device, guint baud)
{
  *config = (ModemUnitConfig){ 0 };
  config->name = g_strdup (name);
  config->device = g_strdup (device);
  config->baud = baud;
  config->settings.urc_port = MODEM_URC_PORT_AUTO;
  config->settings.power_saving = MODEM_POWER_SAVING_OFF;
  network_config_init (&config->network);
}

void
modem_unit_config_clear (ModemUnitConfig *config)
{
  g_clear_pointer (&config->name, g_free);
  g_clear_pointer (&config->device, g_free);
  network_config_clear (&config->network);
}

void
modem_unit_config_copy (ModemUnitConfig *dest, const ModemUnitConfig *src)
{
  *dest = *src;
  dest->name = g_strdup (src->name);
  dest->device = g_strdup (src->device);
  network_config_copy (&dest->network, &src->network);
}

/* ---- the state file ------------------------------------------------------------ */

/* If the state file's directory cannot be written, says so once: the
 * sessions will not survive a restart, and nothing is saved. */
static gboolean
prepare_state_directory (const char *state_path)
{
  g_autoptr (GError) error = NULL;

  if (state_file_prepare_directory (state_path, &error))
    return TRUE;
  g_warning ("Sessions will not survive a restart of qcoapd: %s; systemd's "
             "RuntimeDirectory=qcoapd provides it, or create it for the daemon's user",
             error->message);
  return FALSE;
}

static void
save_state (ModemUnit *unit, gboolean clean)
{
  g_auto (SavedState) state = { 0 };
  g_autoptr (GError) error = NULL;
  GDBusConnection *connection
      = g_dbus_object_manager_server_get_connection (unit->shared.object_manager);

  if (!adopter_is_done (unit->adopter) || !unit->state_usable)
    return;
  state.imei = g_strdup (modem_get_imei (unit->modem));
  state.bus = g_strdup (connection ? g_dbus_connection_get_guid (connection) : "");
  g_clear_object (&connection);
  state.clean = clean;
  /* Read only by a daemon that keeps one sequence: client 0's will do. */
  state.message_id
      = state_file_message_id_mark (client_pool_get_message_id_position (unit->pool, 0));
  state.next_session = session_numbers_next ();
  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    if (unit->sessions[i] && !unit->temporary[i])
      {
        adoption_describe_session (unit->sessions[i], &state.sessions[i]);
        state.sessions[i].message_id
            = state_file_message_id_mark (client_pool_get_message_id_position (unit->pool, i));
      }
  if (state_file_save (unit->state_path, &state, &error))
    unit->state_saved = TRUE;
  else if (unit->state_saved)
    {
      /* Once per failure, not at every change. */
      g_warning ("Cannot save the sessions for a restart: %s", error->message);
      unit->state_saved = FALSE;
    }
}

static void
on_message_ids_advanced (ClientPool *pool, gpointer user_data)
{
  save_state (user_data, FALSE);
}

/* Session numbers saved by the previous run are taken before any session
 * of any modem is made, so that no path is used twice whichever modem is
 * ready first. */
static void
reserve_saved_numbers (ModemUnit *unit)
{
  g_auto (SavedState) state = { 0 };

  if (state_file_load (unit->state_path, &state, NULL))
    adoption_reserve_numbers (&state);
}

/* ---- properties ----------------------------------------------------------------- */

static void
notify_changed (ModemUnit *unit)
{
  qcoap_modem_set_free_clients (unit->iface, (guint8)client_pool_count_free (unit->pool));
  unit->listener.changed (unit, unit->user_data);
}

static gboolean
is_exported (ModemUnit *unit, Session *session)
{
  return g_dbus_object_manager_server_is_exported (unit->shared.object_manager,
                                                   session_get_object (session));
}

static void
sessions_changed (ModemUnit *unit)
{
  notify_changed (unit);
  unit->listener.sessions_changed (unit, unit->user_data);
}

/* ---- the session table ---------------------------------------------------------- */

void
modem_unit_session_ended (Session *session, gpointer user_data)
{
  ModemUnit *unit = user_data;
  guint id = session_get_id (session);
  const char *reason = session_get_end_reason (session);

  g_return_if_fail (unit->sessions[id] == session);
  unit->sessions[id] = NULL;
  ended_sessions_add (unit->shared.ended, session_get_object_path (session),
                      reason ? reason : "closed");
  if (is_exported (unit, session))
    g_dbus_object_manager_server_unexport (unit->shared.object_manager,
                                           session_get_object_path (session));
  unit->temporary[id] = FALSE;
  sessions_changed (unit);
  save_state (unit, FALSE);
  session_unref (session);
  unit->listener.client_freed (unit, unit->user_data);
}

/* An ID the module was still closing is free now. */
static void
on_client_id_freed (ClientPool *pool, gpointer user_data)
{
  ModemUnit *unit = user_data;

  sessions_changed (unit);
  unit->listener.client_freed (unit, unit->user_data);
}

void
modem_unit_drop_session (ModemUnit *unit, Session *session)
{
  guint id = session_get_id (session);

  if (unit->sessions[id] == session)
    {
      unit->sessions[id] = NULL;
      session_unref (session);
    }
  sessions_changed (unit);
  unit->listener.client_freed (unit, unit->user_data);
}

void
modem_unit_add_session (ModemUnit *unit, Session *session)
{
  unit->sessions[session_get_id (session)] = session;
  session_set_modem (session, unit->path);
  notify_changed (unit);
}

void
modem_unit_export_session (ModemUnit *unit, Session *session, gboolean temporary)
{
  unit->temporary[session_get_id (session)] = temporary;
  g_dbus_object_manager_server_export (unit->shared.object_manager, session_get_object (session));
  sessions_changed (unit);
  save_state (unit, FALSE);
}

/* Runs @func on every session; @func may end the session. */
static void
for_each_session (ModemUnit *unit, void (*func) (Session *session, gpointer data), gpointer data)
{
  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    if (unit->sessions[i])
      func (unit->sessions[i], data);
}

/* ---- modem events ---------------------------------------------------------------- */

static void
reopen_session (Session *session, gpointer data)
{
  session_reopen (session);
}

static void
suspend_session (Session *session, gpointer reason)
{
  session_suspend (session, reason);
}

/* The modem lost what it held: also the adopter's word after a restart of
 * the modem during the take-over. */
static void
suspend_sessions (const char *reason, gpointer user_data)
{
  for_each_session (user_data, suspend_session, (gpointer)reason);
}

/* The modem is "ready" to callers once the previous run's sessions are
 * taken over; until then Open answers ModemUnavailable. */
static const char *
published_state (ModemUnit *unit)
{
  ModemState state = modem_get_state (unit->modem);

  if (state == MODEM_STATE_READY && !adopter_is_done (unit->adopter))
    return modem_state_to_string (MODEM_STATE_INITIALIZING);
  return modem_state_to_string (state);
}

static const char *
published_state_reason (ModemUnit *unit)
{
  if (modem_get_state (unit->modem) == MODEM_STATE_READY && !adopter_is_done (unit->adopter))
    return "qcoapd is taking over the sessions of its previous run";
  return modem_get_state_reason (unit->modem);
}

static void
publish_modem (ModemUnit *unit)
{
  qcoap_modem_set_state (unit->iface, published_state (unit));
  qcoap_modem_set_state_reason (unit->iface, published_state_reason (unit));
  qcoap_modem_set_manufacturer (unit->iface, modem_get_manufacturer (unit->modem));
  qcoap_modem_set_model (unit->iface, modem_get_model (unit->modem));
  qcoap_modem_set_revision (unit->iface, modem_get_revision (unit->modem));
  qcoap_modem_set_imei (unit->iface, modem_get_imei (unit->modem));
}

static void
on_modem_state_changed (Modem *modem, gpointer user_data)
{
  ModemUnit *unit = user_data;

  publish_modem (unit);
  network_modem_state_changed (unit->network);
  notify_changed (unit);
  if (modem_get_state (modem) == MODEM_STATE_READY && !adopter_is_done (unit->adopter))
    adopter_start (unit->adopter);
  else if (modem_get_state (modem) == MODEM_STATE_READY)
    {
      if (unit->sweep_needed)
        id_sweep_run (modem, unit->pool, unit->cancellable);
      unit->sweep_needed = FALSE;
      for_each_session (unit, reopen_session, NULL);
    }
}

static void
on_modem_sessions_lost (Modem *modem, const char *reason, gpointer user_data)
{
  ModemUnit *unit = user_data;

  adopter_sessions_lost (unit->adopter);
  /* A module that restarted has no clients left; one that stopped
   * answering, or whose port went away, may have kept them. */
  unit->sweep_needed = !g_str_equal (reason, MODEM_REASON_RESET);
  suspend_sessions (reason, unit);
}

/* ---- a restart: the previous run's sessions --------------------------------------- */

static void
on_session_taken_over (Session *session, gpointer user_data)
{
  modem_unit_add_session (user_data, session);
  modem_unit_export_session (user_data, session, FALSE);
}

static void
on_adoption_finished (gpointer user_data)
{
  ModemUnit *unit = user_data;

  save_state (unit, FALSE);
  on_modem_state_changed (unit->modem, unit);
}

/* ---- network events -------------------------------------------------------------- */

static void
on_network_changed (Network *network, gpointer user_data)
{
  ModemUnit *unit = user_data;

  manager_network_update (G_OBJECT (unit->iface), network);
  notify_changed (unit);
}

/* The sessions on @cid are gone while the modem stays ready: persistent
 * ones wait (in their open's preparation) until the network has the
 * context up again, then open again. */
static void
on_network_context_lost (Network *network, guint cid, const char *reason, gpointer user_data)
{
  ModemUnit *unit = user_data;

  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    if (unit->sessions[i] && session_get_pdp_context (unit->sessions[i]) == cid)
      session_suspend (unit->sessions[i], reason);
  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    if (unit->sessions[i] && session_get_pdp_context (unit->sessions[i]) == cid)
      session_reopen (unit->sessions[i]);
}

static gboolean
context_ready (guint pdp_context, gpointer user_data)
{
  ModemUnit *unit = user_data;
  NetworkContextInfo contexts[NETWORK_MAX_CONTEXTS];
  guint count = network_get_contexts (unit->network, contexts);

  for (guint i = 0; i < count; i++)
    if (contexts[i].cid == pdp_context)
      return contexts[i].active;
  return FALSE;
}

static void
wait_for_context (guint pdp_context, guint timeout_ms, GCancellable *cancellable,
                  GAsyncReadyCallback callback, gpointer callback_data, gpointer user_data)
{
  ModemUnit *unit = user_data;

  network_activate_context (unit->network, pdp_context, timeout_ms, cancellable, callback,
                            callback_data);
}

static gboolean
wait_for_context_finish (GAsyncResult *result, GError **error, gpointer user_data)
{
  ModemUnit *unit = user_data;

  return network_activate_context_finish (unit->network, result, error);
}

static const ClientPoolPreparer context_preparer = {
  .ready = context_ready,
  .wait = wait_for_context,
  .wait_finish = wait_for_context_finish,
};

/* ---- what the opener asks -------------------------------------------------------- */

/* Sessions are opened once the previous run's are taken over (Command
 * waits for that too). */
gboolean
modem_unit_check_ready (ModemUnit *unit, GError **error)
{
  ModemState state = modem_get_state (unit->modem);

  if (state == MODEM_STATE_READY && adopter_is_done (unit->adopter))
    return TRUE;
  if (state == MODEM_STATE_READY)
    {
      g_set_error_literal (error, QCOAP_ERROR, QCOAP_ERROR_MODEM_UNAVAILABLE,
                           "qcoapd is taking over the sessions of its previous run; "
                           "try again in a moment");
      return FALSE;
    }
  g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_MODEM_UNAVAILABLE,
               "The modem is %s%s%s; sessions can be opened once it is ready",
               modem_state_to_string (state), *modem_get_state_reason (unit->modem) ? ": " : "",
               modem_get_state_reason (unit->modem));
  return FALSE;
}

/* No user but root may hold more than @max_per_user client IDs of the
 * modem, and the last @reserved_for_root free ones are root's: two users
 * within their share cannot lock root out. */
gboolean
modem_unit_check_share (ModemUnit *unit, uid_t uid, guint max_per_user, guint reserved_for_root,
                        GError **error)
{
  guint free_clients = client_pool_count_free (unit->pool);

  if (uid == ROOT_UID)
    return TRUE;
  if (modem_unit_count_sessions_of (unit, uid) >= max_per_user)
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_NO_FREE_CLIENT,
                   "User %u already holds %u sessions, the most one user may hold "
                   "(MaxClientsPerUser); close one first",
                   (guint)uid, max_per_user);
      return FALSE;
    }
  if (free_clients > reserved_for_root)
    return TRUE;
  g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_NO_FREE_CLIENT,
               "%u of the modem's %u client IDs are free, and the last %u are kept for root "
               "(ReservedForRoot)",
               free_clients, QCOAP_MAX_CLIENTS, reserved_for_root);
  return FALSE;
}

gboolean
modem_unit_is_registered (ModemUnit *unit)
{
  NetworkRegistration registration = network_get_registration (unit->network);

  return registration == NETWORK_REGISTRATION_HOME || registration == NETWORK_REGISTRATION_ROAMING;
}

int
modem_unit_signal_rank (ModemUnit *unit)
{
  const NetworkSignal *signal = network_get_signal (unit->network);

  if (signal->has_rsrp)
    return signal->rsrp;
  return signal->has_rssi ? signal->rssi : G_MININT;
}

guint
modem_unit_count_sessions (ModemUnit *unit)
{
  guint count = 0;

  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    count += unit->sessions[i] != NULL;
  return count;
}

guint
modem_unit_count_sessions_of (ModemUnit *unit, uid_t uid)
{
  guint count = 0;

  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    count += unit->sessions[i] && session_get_owner_uid (unit->sessions[i]) == uid;
  return count;
}

guint
modem_unit_count_free (ModemUnit *unit)
{
  return client_pool_count_free (unit->pool);
}

char *
modem_unit_status (ModemUnit *unit)
{
  guint in_use = QCOAP_MAX_CLIENTS - client_pool_count_free (unit->pool);

  return manager_network_status_line (modem_get_state (unit->modem), unit->network, in_use);
}

void
modem_unit_list_sessions (ModemUnit *unit, GPtrArray *paths)
{
  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    if (unit->sessions[i] && is_exported (unit, unit->sessions[i]))
      g_ptr_array_add (paths, (gpointer)session_get_object_path (unit->sessions[i]));
}

const char *
modem_unit_get_name (ModemUnit *unit)
{
  return unit->name;
}

const char *
modem_unit_get_path (ModemUnit *unit)
{
  return unit->path;
}

QcoapModem *
modem_unit_get_interface (ModemUnit *unit)
{
  return unit->iface;
}

ClientPool *
modem_unit_get_pool (ModemUnit *unit)
{
  return unit->pool;
}

gboolean
modem_unit_is_better (ModemUnit *unit, ModemUnit *than)
{
  guint sessions = modem_unit_count_sessions (unit);
  guint than_sessions = modem_unit_count_sessions (than);

  if (modem_unit_is_registered (unit) != modem_unit_is_registered (than))
    return modem_unit_is_registered (unit);
  if (sessions != than_sessions)
    return sessions < than_sessions;
  return modem_unit_signal_rank (unit) > modem_unit_signal_rank (than);
}

gboolean
modem_unit_is_away (ModemUnit *unit)
{
  return !modem_unit_check_ready (unit, NULL) || !modem_unit_is_registered (unit);
}

/* ---- a session moves ------------------------------------------------------------- */

GPtrArray *
modem_unit_movable_sessions (ModemUnit *unit)
{
  GPtrArray *sessions = g_ptr_array_new_with_free_func ((GDestroyNotify)session_unref);

  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    if (unit->sessions[i] && !unit->temporary[i] && session_can_move (unit->sessions[i]))
      g_ptr_array_add (sessions, session_ref (unit->sessions[i]));
  return sessions;
}

gboolean
modem_unit_move_session (ModemUnit *from, ModemUnit *to, Session *session)
{
  guint old_id = session_get_id (session);
  /* A module that still answers may hold the old client ID open. */
  gboolean close_old = modem_get_state (from->modem) == MODEM_STATE_READY;
  guint id;

  g_return_val_if_fail (from->sessions[old_id] == session, FALSE);
  if (!client_pool_acquire (to->pool, -1, &id, NULL))
    return FALSE;
  g_info ("Moving session %s from the modem %s (client ID %u) to the modem %s (client ID %u)",
          session_get_object_path (session), from->name, old_id, to->name, id);
  from->sessions[old_id] = NULL;
  to->sessions[id] = session;
  session_move (session, to->pool, id, close_old, to->path, to);
  save_state (from, FALSE);
  save_state (to, FALSE);
  sessions_changed (from);
  sessions_changed (to);
  return TRUE;
}

/* ---- Command ------------------------------------------------------------------------ */

typedef struct
{
  ModemUnit *unit;
  GDBusMethodInvocation *invocation;
  char *command;
  guint timeout_ms;
} CommandCall;

static void
command_call_free (CommandCall *call)
{
  g_free (call->command);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CommandCall, command_call_free)

static void
on_command_answered (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (CommandCall) call = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *response = diag_command_run_finish (result, &error);

  if (response == NULL)
    dbus_args_return_error (call->invocation, error);
  else
    g_dbus_method_invocation_return_value (call->invocation, g_variant_new ("(s)", response));
}

static gboolean
check_root (Caller *caller, GError **error)
{
  if (caller_get_uid (caller) == ROOT_UID)
    return TRUE;
  g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_ACCESS_DENIED,
               "Only root may send AT commands to the modem (the caller is user %u)",
               (guint)caller_get_uid (caller));
  return FALSE;
}

static void
on_command_caller (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (CommandCall) call = user_data;
  ModemUnit *unit = call->unit;
  g_autoptr (GError) error = NULL;
  g_autoptr (Caller) caller = caller_registry_lookup_finish (unit->shared.callers, result, &error);
  const char *command;
  guint timeout_ms;

  if (caller == NULL || !check_root (caller, &error) || !modem_unit_check_ready (unit, &error))
    {
      dbus_args_return_error (call->invocation, error);
      return;
    }
  g_info ("Root sends “%s” to the modem %s", call->command, unit->name);
  command = call->command;
  timeout_ms = call->timeout_ms;
  diag_command_run (unit->pool, command, timeout_ms, on_command_answered, g_steal_pointer (&call));
}

/* Checked first, so nothing reaches the modem unless the text may. */
void
modem_unit_handle_command (ModemUnit *unit, GDBusMethodInvocation *invocation, const char *command,
                           guint timeout_ms)
{
  g_autoptr (GError) error = NULL;
  CommandCall *call;

  if (!diag_command_check (command, timeout_ms, &error))
    {
      dbus_args_return_error (invocation, error);
      return;
    }
  call = g_new0 (CommandCall, 1);
  call->unit = unit;
  call->invocation = invocation;
  call->command = g_strdup (command);
  call->timeout_ms = timeout_ms;
  caller_registry_lookup (unit->shared.callers, g_dbus_method_invocation_get_sender (invocation),
                          NULL, on_command_caller, call);
}

static gboolean
on_handle_command (QcoapModem *iface, GDBusMethodInvocation *invocation, const char *command,
                   guint timeout_ms, ModemUnit *unit)
{
  modem_unit_handle_command (unit, invocation, command, timeout_ms);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- life cycle ---------------------------------------------------------------------- */

/* Its object, as the modem and the network stand now. */
static void
create_object (ModemUnit *unit, const ModemUnitConfig *config)
{
  unit->object = qcoap_object_skeleton_new (unit->path);
  unit->iface = qcoap_modem_skeleton_new ();
  qcoap_modem_set_name (unit->iface, unit->name);
  qcoap_modem_set_device (unit->iface, config->device);
  manager_network_update (G_OBJECT (unit->iface), unit->network);
  publish_modem (unit);
  qcoap_modem_set_free_clients (unit->iface, (guint8)client_pool_count_free (unit->pool));
  g_signal_connect (unit->iface, "handle-command", G_CALLBACK (on_handle_command), unit);
  qcoap_object_skeleton_set_modem (unit->object, unit->iface);
  g_dbus_object_manager_server_export (unit->shared.object_manager,
                                       G_DBUS_OBJECT_SKELETON (unit->object));
}

static void
create_parts (ModemUnit *unit, const ModemUnitConfig *config, const NetworkConfig *network_config)
{
  static const ModemListener listener = {
    .state_changed = on_modem_state_changed,
    .sessions_lost = on_modem_sessions_lost,
  };
  static const NetworkListener network_listener = {
    .changed = on_network_changed,
    .context_lost = on_network_context_lost,
  };
  static const AdopterListener adopter_listener = {
    .add_session = on_session_taken_over,
    .sessions_lost = suspend_sessions,
    .finished = on_adoption_finished,
  };
  g_autoptr (GError) error = NULL;

  unit->modem = modem_new (config->device, config->baud, config->rtscts, &config->settings,
                           &listener, unit);
  unit->pool = client_pool_new (unit->modem, unit->shared.limits.queue_limit);
  unit->adopter
      = adopter_new (unit->modem, unit->pool, unit->shared.callers, unit->state_path,
                     &unit->shared.limits, modem_unit_session_ended, &adopter_listener, unit);
  client_pool_set_freed_func (unit->pool, on_client_id_freed, unit);
  client_pool_watch_message_ids (unit->pool, STATE_FILE_MESSAGE_ID_SPAN, on_message_ids_advanced,
                                 unit);
  unit->network = network_new (unit->modem, network_config, &network_listener, unit);
  client_pool_set_preparer (unit->pool, &context_preparer, unit);
}

ModemUnit *
modem_unit_new (guint number, const ModemUnitConfig *config, const NetworkConfig *network,
                const ModemUnitShared *shared, const ModemUnitListener *listener,
                gpointer user_data)
{
  ModemUnit *unit = g_new0 (ModemUnit, 1);
  NetworkConfig merged;

  unit->name = g_strdup (config->name);
  unit->path = g_strdup_printf (MODEM_UNIT_PATH_PREFIX "%u", number);
  unit->shared = *shared;
  unit->listener = *listener;
  unit->user_data = user_data;
  unit->cancellable = g_cancellable_new ();
  unit->state_path = state_file_path_for (config->name);
  unit->state_usable = prepare_state_directory (unit->state_path);
  unit->state_saved = TRUE;
  reserve_saved_numbers (unit);
  network_config_copy (&merged, network);
  network_config_override (&merged, &config->network);
  create_parts (unit, config, &merged);
  network_config_clear (&merged);
  create_object (unit, config);
  return unit;
}

void
modem_unit_start (ModemUnit *unit)
{
  modem_start (unit->modem);
}

void
modem_unit_set_bus (ModemUnit *unit, const char *bus_id)
{
  if (bus_id != NULL)
    adopter_set_bus (unit->adopter, bus_id);
  adopter_start (unit->adopter);
}

static void
leave_session (Session *session, gpointer user_data)
{
  ModemUnit *unit = user_data;
  guint id = session_get_id (session);
  QcoapSession *iface = qcoap_object_peek_session (QCOAP_OBJECT (session_get_object (session)));

  session_leave (session);
  unit->sessions[id] = NULL;
  /* Its object stays exported until the daemon exits: a call that comes
   * meanwhile finds no handler (UnknownMethod, as in any restart) rather
   * than the freed session. */
  g_signal_handlers_disconnect_by_data (iface, session);
  session_unref (session);
}

void
modem_unit_leave_sessions (ModemUnit *unit)
{
  guint count = modem_unit_count_sessions (unit);

  if (!adopter_is_done (unit->adopter))
    return;
  save_state (unit, TRUE);
  if (unit->state_usable && unit->state_saved)
    g_info ("Leaving %u sessions open on the modem %s for the next run (%s)", count, unit->name,
            unit->state_path);
  else if (count > 0)
    g_warning ("The %u sessions could not be saved: they stay open on the modem %s, and the "
               "next run closes them",
               count, unit->name);
  for_each_session (unit, leave_session, unit);
}

static void
end_session (Session *session, gpointer data)
{
  session_end (session, "closed");
}

void
modem_unit_free (ModemUnit *unit)
{
  if (unit == NULL)
    return;
  /* An exit the daemon did not ask for (the bus gave up on it) leaves the
   * sessions for the next run too. */
  if (modem_unit_count_sessions (unit) > 0)
    modem_unit_leave_sessions (unit);
  for_each_session (unit, end_session, NULL);
  g_cancellable_cancel (unit->cancellable);
  g_clear_object (&unit->cancellable);
  g_clear_pointer (&unit->adopter, adopter_free);
  g_clear_pointer (&unit->pool, client_pool_free);
  g_clear_pointer (&unit->network, network_free);
  g_clear_pointer (&unit->modem, modem_free);
  /* No call may reach the freed unit through its object. */
  g_signal_handlers_disconnect_by_data (unit->iface, unit);
  g_dbus_object_manager_server_unexport (unit->shared.object_manager, unit->path);
  g_clear_object (&unit->iface);
  g_clear_object (&unit->object);
  g_free (unit->state_path);
  g_free (unit->path);
  g_free (unit->name);
  g_free (unit);
}
