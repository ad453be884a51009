/* SPDX-License-Identifier: MIT */
/* service.c — see service.h. The manager object, the session table and URC
 * routing. The session table is written here only. */
#include "service.h"

#include "adoption.h"
#include "caller.h"
#include "client-pool.h"
#include "dbus-args.h"
#include "ended-sessions.h"
#include "diag-command.h"
#include "id-sweep.h"
#include "manager-network.h"
#include "modem.h"
#include "network.h"
#include "open-call.h"
#include "qcoap-dbus-generated.h"
#include "qcoap-error.h"
#include "session.h"

#define DEFAULT_BAUD                 115200
#define DEFAULT_DEVICE               "/dev/bg96-at"
#define DEFAULT_MAX_CLIENTS_PER_USER 4
#define DEFAULT_QUEUE_LIMIT          32
#define DEFAULT_MAX_IN_FLIGHT        64
#define DEFAULT_RESERVED_FOR_ROOT    1
#define DEFAULT_MAX_IDLE_TIMEOUT_S   (24 * 3600)
#define ROOT_UID                     0

struct _Service
{
  GDBusConnection *connection;
  ServiceConfig config;
  void (*status_func) (const char *status, gpointer user_data);
  gpointer status_data;

  QcoapManager *manager;
  GDBusObjectManagerServer *object_manager;
  Modem *modem;
  Network *network;
  ClientPool *pool;
  EndedSessions *ended; /* what a call on an ended session's path gets */
  CallerRegistry *callers;
  Session *sessions[QCOAP_MAX_CLIENTS];
  Opener *opener;
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

void
service_config_init (ServiceConfig *config)
{
  config->device = g_strdup (DEFAULT_DEVICE);
  config->baud = DEFAULT_BAUD;
  config->rtscts = FALSE;
  config->modem.urc_port = MODEM_URC_PORT_AUTO;
  config->modem.power_saving = MODEM_POWER_SAVING_OFF;
  config->max_clients_per_user = DEFAULT_MAX_CLIENTS_PER_USER;
  config->queue_limit = DEFAULT_QUEUE_LIMIT;
  config->max_in_flight = DEFAULT_MAX_IN_FLIGHT;
  config->reserved_for_root = DEFAULT_RESERVED_FOR_ROOT;
  config->max_idle_timeout = DEFAULT_MAX_IDLE_TIMEOUT_S;
  network_config_init (&config->network);
}

void
service_config_clear (ServiceConfig *config)
{
  g_clear_pointer (&config->device, g_free);
  network_config_clear (&config->network);
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
save_state (Service *service, gboolean clean)
{
  g_auto (SavedState) state = { 0 };
  g_autoptr (GError) error = NULL;

  if (!adopter_is_done (service->adopter) || !service->state_usable)
    return;
  state.imei = g_strdup (modem_get_imei (service->modem));
  state.bus
      = g_strdup (service->connection ? g_dbus_connection_get_guid (service->connection) : "");
  state.clean = clean;
  /* Read only by a daemon that keeps one sequence: client 0's will do. */
  state.message_id
      = state_file_message_id_mark (client_pool_get_message_id_position (service->pool, 0));
  state.next_session = session_numbers_next ();
  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    if (service->sessions[i] && !service->temporary[i])
      {
        adoption_describe_session (service->sessions[i], &state.sessions[i]);
        state.sessions[i].message_id
            = state_file_message_id_mark (client_pool_get_message_id_position (service->pool, i));
      }
  if (state_file_save (service->state_path, &state, &error))
    service->state_saved = TRUE;
  else if (service->state_saved)
    {
      /* Once per failure, not at every change. */
      g_warning ("Cannot save the sessions for a restart: %s", error->message);
      service->state_saved = FALSE;
    }
}

static void
on_message_ids_advanced (ClientPool *pool, gpointer user_data)
{
  save_state (user_data, FALSE);
}

/* ---- properties ----------------------------------------------------------------- */

static void
update_status (Service *service)
{
  g_autofree char *status = NULL;
  guint in_use = QCOAP_MAX_CLIENTS - client_pool_count_free (service->pool);

  if (!service->status_func)
    return;
  status = manager_network_status_line (modem_get_state (service->modem), service->network, in_use);
  service->status_func (status, service->status_data);
}

static gboolean
is_exported (Service *service, Session *session)
{
  return g_dbus_object_manager_server_is_exported (service->object_manager,
                                                   session_get_object (session));
}

static void
update_sessions_property (Service *service)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new ();

  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    if (service->sessions[i] && is_exported (service, service->sessions[i]))
      g_ptr_array_add (paths, (gpointer)session_get_object_path (service->sessions[i]));
  g_ptr_array_add (paths, NULL);
  qcoap_manager_set_sessions (service->manager, (const char *const *)paths->pdata);
  qcoap_manager_set_free_clients (service->manager, (guint8)client_pool_count_free (service->pool));
  update_status (service);
}

/* ---- the session table ---------------------------------------------------------- */

/* A session that had opened has ended (after its Closed signal). */
static void
on_session_ended (Session *session, gpointer user_data)
{
  Service *service = user_data;
  guint id = session_get_id (session);

  g_return_if_fail (service->sessions[id] == session);
  service->sessions[id] = NULL;
  ended_sessions_add (service->ended, session_get_object_path (session),
                      session_get_end_reason (session) ? session_get_end_reason (session)
                                                       : "closed");
  if (is_exported (service, session))
    g_dbus_object_manager_server_unexport (service->object_manager,
                                           session_get_object_path (session));
  service->temporary[id] = FALSE;
  update_sessions_property (service);
  save_state (service, FALSE);
  session_unref (session);
  opener_serve_waiting (service->opener);
}

/* An ID the module was still closing is free now. */
static void
on_client_id_freed (ClientPool *pool, gpointer user_data)
{
  Service *service = user_data;

  update_sessions_property (service);
  opener_serve_waiting (service->opener);
}

/* A session whose open failed: it never was in anyone's hands but ours. */
static void
drop_session (Service *service, Session *session)
{
  guint id = session_get_id (session);

  if (service->sessions[id] == session)
    {
      service->sessions[id] = NULL;
      session_unref (session);
    }
  update_sessions_property (service);
  opener_serve_waiting (service->opener);
}

static void
add_session (Service *service, Session *session)
{
  service->sessions[session_get_id (session)] = session;
  update_sessions_property (service);
}

static void
export_session (Service *service, Session *session)
{
  g_dbus_object_manager_server_export (service->object_manager, session_get_object (session));
  update_sessions_property (service);
  save_state (service, FALSE);
}

/* Runs @func on every session; @func may end the session. */
static void
for_each_session (Service *service, void (*func) (Session *session, gpointer data), gpointer data)
{
  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    if (service->sessions[i])
      func (service->sessions[i], data);
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
published_state (Service *service)
{
  ModemState state = modem_get_state (service->modem);

  if (state == MODEM_STATE_READY && !adopter_is_done (service->adopter))
    return modem_state_to_string (MODEM_STATE_INITIALIZING);
  return modem_state_to_string (state);
}

static const char *
published_state_reason (Service *service)
{
  if (modem_get_state (service->modem) == MODEM_STATE_READY && !adopter_is_done (service->adopter))
    return "qcoapd is taking over the sessions of its previous run";
  return modem_get_state_reason (service->modem);
}

static void
on_modem_state_changed (Modem *modem, gpointer user_data)
{
  Service *service = user_data;

  qcoap_manager_set_state (service->manager, published_state (service));
  qcoap_manager_set_state_reason (service->manager, published_state_reason (service));
  qcoap_manager_set_manufacturer (service->manager, modem_get_manufacturer (modem));
  qcoap_manager_set_model (service->manager, modem_get_model (modem));
  qcoap_manager_set_revision (service->manager, modem_get_revision (modem));
  qcoap_manager_set_imei (service->manager, modem_get_imei (modem));
  network_modem_state_changed (service->network);
  update_status (service);
  if (modem_get_state (modem) == MODEM_STATE_READY && !adopter_is_done (service->adopter))
    adopter_start (service->adopter);
  else if (modem_get_state (modem) == MODEM_STATE_READY)
    {
      if (service->sweep_needed)
        id_sweep_run (modem, service->pool, service->cancellable);
      service->sweep_needed = FALSE;
      for_each_session (service, reopen_session, NULL);
    }
}

static void
on_modem_sessions_lost (Modem *modem, const char *reason, gpointer user_data)
{
  Service *service = user_data;

  adopter_sessions_lost (service->adopter);
  /* A module that restarted has no clients left; one that stopped
   * answering, or whose port went away, may have kept them. */
  service->sweep_needed = !g_str_equal (reason, MODEM_REASON_RESET);
  suspend_sessions (reason, service);
}

/* ---- a restart: the previous run's sessions --------------------------------------- */

static void
on_session_taken_over (Session *session, gpointer user_data)
{
  add_session (user_data, session);
  export_session (user_data, session);
}

static void
on_adoption_finished (gpointer user_data)
{
  Service *service = user_data;

  save_state (service, FALSE);
  on_modem_state_changed (service->modem, service);
}

/* ---- network events -------------------------------------------------------------- */

static void
on_network_changed (Network *network, gpointer user_data)
{
  Service *service = user_data;

  manager_network_update (service->manager, network);
  update_status (service);
}

/* The sessions on @cid are gone while the modem stays ready: persistent
 * ones wait (in their open's preparation) until the network has the
 * context up again, then open again. */
static void
on_network_context_lost (Network *network, guint cid, const char *reason, gpointer user_data)
{
  Service *service = user_data;

  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    if (service->sessions[i] && session_get_pdp_context (service->sessions[i]) == cid)
      session_suspend (service->sessions[i], reason);
  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    if (service->sessions[i] && session_get_pdp_context (service->sessions[i]) == cid)
      session_reopen (service->sessions[i]);
}

static gboolean
context_ready (guint pdp_context, gpointer user_data)
{
  Service *service = user_data;
  NetworkContextInfo contexts[NETWORK_MAX_CONTEXTS];
  guint count = network_get_contexts (service->network, contexts);

  for (guint i = 0; i < count; i++)
    if (contexts[i].cid == pdp_context)
      return contexts[i].active;
  return FALSE;
}

static void
wait_for_context (guint pdp_context, guint timeout_ms, GCancellable *cancellable,
                  GAsyncReadyCallback callback, gpointer callback_data, gpointer user_data)
{
  Service *service = user_data;

  network_activate_context (service->network, pdp_context, timeout_ms, cancellable, callback,
                            callback_data);
}

static gboolean
wait_for_context_finish (GAsyncResult *result, GError **error, gpointer user_data)
{
  Service *service = user_data;

  return network_activate_context_finish (service->network, result, error);
}

static const ClientPoolPreparer context_preparer = {
  .ready = context_ready,
  .wait = wait_for_context,
  .wait_finish = wait_for_context_finish,
};

/* ---- Open and the one-shot Request ---------------------------------------------- */

/* Sessions are opened once the previous run's are taken over (Command
 * waits for that too). */
static gboolean
check_modem_ready (Service *service, GError **error)
{
  ModemState state = modem_get_state (service->modem);

  if (state == MODEM_STATE_READY && adopter_is_done (service->adopter))
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
               modem_state_to_string (state), *modem_get_state_reason (service->modem) ? ": " : "",
               modem_get_state_reason (service->modem));
  return FALSE;
}

static gboolean
check_ready (GError **error, gpointer user_data)
{
  return check_modem_ready (user_data, error);
}

static guint
count_sessions_of (uid_t uid, gpointer user_data)
{
  Service *service = user_data;
  guint count = 0;

  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    count += service->sessions[i] && session_get_owner_uid (service->sessions[i]) == uid;
  return count;
}

static void
on_session_opening (Session *session, gpointer user_data)
{
  add_session (user_data, session);
}

static void
on_session_open_failed (Session *session, gpointer user_data)
{
  drop_session (user_data, session);
}

static void
on_session_opened (Session *session, gboolean temporary, gpointer user_data)
{
  Service *service = user_data;

  service->temporary[session_get_id (session)] = temporary;
  export_session (service, session);
}

static gboolean
on_handle_open (QcoapManager *manager, GDBusMethodInvocation *invocation, const char *host,
                guint16 port, GVariant *options, Service *service)
{
  opener_open (service->opener, invocation, host, port, options);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_handle_request (QcoapManager *manager, GDBusMethodInvocation *invocation, const char *uri,
                   guint8 code, GVariant *options, GVariant *payload, GVariant *flags,
                   Service *service)
{
  opener_request (service->opener, invocation, uri, code, options, payload, flags);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- Command ------------------------------------------------------------------------ */

typedef struct
{
  Service *service;
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
  Service *service = call->service;
  g_autoptr (GError) error = NULL;
  g_autoptr (Caller) caller = caller_registry_lookup_finish (service->callers, result, &error);
  const char *command;
  guint timeout_ms;

  if (caller == NULL || !check_root (caller, &error) || !check_modem_ready (service, &error))
    {
      dbus_args_return_error (call->invocation, error);
      return;
    }
  g_info ("Root sends “%s” to the modem", call->command);
  command = call->command;
  timeout_ms = call->timeout_ms;
  diag_command_run (service->pool, command, timeout_ms, on_command_answered,
                    g_steal_pointer (&call));
}

/* Checked first, so nothing reaches the modem unless the text may. */
static gboolean
on_handle_command (QcoapManager *manager, GDBusMethodInvocation *invocation, const char *command,
                   guint timeout_ms, Service *service)
{
  g_autoptr (GError) error = NULL;
  CommandCall *call;

  if (!diag_command_check (command, timeout_ms, &error))
    {
      dbus_args_return_error (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  call = g_new0 (CommandCall, 1);
  call->service = service;
  call->invocation = invocation;
  call->command = g_strdup (command);
  call->timeout_ms = timeout_ms;
  caller_registry_lookup (service->callers, g_dbus_method_invocation_get_sender (invocation), NULL,
                          on_command_caller, call);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- life cycle ---------------------------------------------------------------------- */

/* The manager object, as the modem and the network stand now. */
static void
create_manager (Service *service)
{
  service->manager = qcoap_manager_skeleton_new ();
  qcoap_manager_set_version (service->manager, QCOAPD_VERSION);
  qcoap_manager_set_device (service->manager, service->config.device);
  manager_network_update (service->manager, service->network);
  on_modem_state_changed (service->modem, service);
  update_sessions_property (service);
  g_signal_connect (service->manager, "handle-open", G_CALLBACK (on_handle_open), service);
  g_signal_connect (service->manager, "handle-request", G_CALLBACK (on_handle_request), service);
  g_signal_connect (service->manager, "handle-command", G_CALLBACK (on_handle_command), service);
  service->object_manager = g_dbus_object_manager_server_new (SERVICE_OBJECT_PATH);
}

Service *
service_new (const ServiceConfig *config,
             void (*status_func) (const char *status, gpointer user_data), gpointer user_data)
{
  Service *service = g_new0 (Service, 1);
  const ModemListener listener = {
    .state_changed = on_modem_state_changed,
    .sessions_lost = on_modem_sessions_lost,
  };
  const NetworkListener network_listener = {
    .changed = on_network_changed,
    .context_lost = on_network_context_lost,
  };
  const AdopterListener adopter_listener = {
    .add_session = on_session_taken_over,
    .sessions_lost = suspend_sessions,
    .finished = on_adoption_finished,
  };
  const OpenerHooks opener_hooks = {
    .check_ready = check_ready,
    .count_sessions_of = count_sessions_of,
    .add_session = on_session_opening,
    .drop_session = on_session_open_failed,
    .export_session = on_session_opened,
  };
  SessionLimits limits = { config->queue_limit, config->max_in_flight };
  OpenerLimits opener_limits = { config->max_clients_per_user, config->reserved_for_root,
                                 config->max_idle_timeout, limits };

  service->config = *config;
  service->config.device = g_strdup (config->device);
  network_config_copy (&service->config.network, &config->network);
  service->status_func = status_func;
  service->cancellable = g_cancellable_new ();
  service->status_data = user_data;
  service->callers = caller_registry_new (NULL);
  service->state_path = state_file_default_path ();
  service->state_usable = prepare_state_directory (service->state_path);
  service->state_saved = TRUE;
  service->modem = modem_new (config->device, config->baud, config->rtscts, &config->modem,
                              &listener, service);
  service->pool = client_pool_new (service->modem, config->queue_limit);
  service->ended = ended_sessions_new ();
  service->adopter
      = adopter_new (service->modem, service->pool, service->callers, service->state_path, &limits,
                     on_session_ended, &adopter_listener, service);
  service->opener = opener_new (service->pool, service->callers, &opener_limits, on_session_ended,
                                &opener_hooks, service);
  client_pool_set_freed_func (service->pool, on_client_id_freed, service);
  client_pool_watch_message_ids (service->pool, STATE_FILE_MESSAGE_ID_SPAN, on_message_ids_advanced,
                                 service);

  service->network = network_new (service->modem, &config->network, &network_listener, service);
  client_pool_set_preparer (service->pool, &context_preparer, service);

  create_manager (service);
  return service;
}

gboolean
service_export (Service *service, GDBusConnection *connection, GDBusConnection *lookup_connection,
                GError **error)
{
  GDBusInterfaceSkeleton *manager = G_DBUS_INTERFACE_SKELETON (service->manager);

  if (g_dbus_interface_skeleton_get_connection (manager))
    g_dbus_interface_skeleton_unexport (manager);
  if (connection != service->connection)
    {
      g_set_object (&service->connection, connection);
      caller_registry_set_connection (service->callers, connection, lookup_connection);
      adopter_set_bus (service->adopter, g_dbus_connection_get_guid (connection));
    }
  if (!g_dbus_interface_skeleton_export (manager, connection, SERVICE_OBJECT_PATH, error)
      || !ended_sessions_export (service->ended, connection, error))
    return FALSE;
  g_dbus_object_manager_server_set_connection (service->object_manager, connection);
  adopter_start (service->adopter);
  return TRUE;
}

static guint
count_sessions (Service *service)
{
  guint count = 0;

  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    count += service->sessions[i] != NULL;
  return count;
}

void
service_connection_lost (Service *service, const char *reason)
{
  g_warning ("Lost the bus connection (%s): %u sessions kept; calls in flight at this moment "
             "are lost to their callers",
             reason, count_sessions (service));
}

void
service_start (Service *service)
{
  modem_start (service->modem);
}

static void
leave_session (Session *session, gpointer user_data)
{
  Service *service = user_data;
  guint id = session_get_id (session);
  QcoapSession *iface = qcoap_object_peek_session (QCOAP_OBJECT (session_get_object (session)));

  session_leave (session);
  service->sessions[id] = NULL;
  /* Its object stays exported until the daemon exits: a call that comes
   * meanwhile finds no handler (UnknownMethod, as in any restart) rather
   * than the freed session. */
  g_signal_handlers_disconnect_by_data (iface, session);
  session_unref (session);
}

/* The daemon goes: its sessions stay open on the modem, and the state file
 * tells the next run what they are. */
static void
leave_sessions (Service *service)
{
  opener_fail_waiting (service->opener);
  if (!adopter_is_done (service->adopter))
    return;
  save_state (service, TRUE);
  if (service->state_usable && service->state_saved)
    g_info ("Leaving %u sessions open on the modem for the next run (%s)", count_sessions (service),
            service->state_path);
  else if (count_sessions (service) > 0)
    g_warning ("The %u sessions could not be saved: they stay open on the modem, and the next "
               "run closes them",
               count_sessions (service));
  for_each_session (service, leave_session, service);
}

void
service_stop (Service *service, void (*done) (gpointer user_data), gpointer user_data)
{
  leave_sessions (service);
  done (user_data);
}

static void
end_session (Session *session, gpointer data)
{
  session_end (session, "closed");
}

void
service_free (Service *service)
{
  if (service == NULL)
    return;
  /* An exit the daemon did not ask for (the bus gave up on it) leaves the
   * sessions for the next run too. */
  if (count_sessions (service) > 0)
    leave_sessions (service);
  for_each_session (service, end_session, NULL);
  g_cancellable_cancel (service->cancellable);
  g_clear_object (&service->cancellable);
  g_clear_pointer (&service->opener, opener_free);
  g_clear_pointer (&service->adopter, adopter_free);
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (service->manager));
  g_clear_object (&service->object_manager);
  g_clear_object (&service->manager);
  g_clear_pointer (&service->pool, client_pool_free);
  g_clear_pointer (&service->ended, ended_sessions_free);
  g_clear_pointer (&service->network, network_free);
  g_clear_pointer (&service->modem, modem_free);
  g_clear_pointer (&service->callers, caller_registry_free);
  service_config_clear (&service->config);
  g_free (service->state_path);
  g_clear_object (&service->connection);
  g_free (service);
}
