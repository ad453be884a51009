/* service.c — see service.h. The manager object, URC routing and ownership. */
#include "service-private.h"

#include "qcoap-error.h"

#define DEFAULT_BAUD                 115200
#define DEFAULT_DEVICE               "/dev/bg96-at"
#define DEFAULT_MAX_CLIENTS_PER_USER 4
#define DEFAULT_QUEUE_LIMIT          32
#define UID_CACHE_LIMIT              1024

void
service_config_init (ServiceConfig *config)
{
  config->device = g_strdup (DEFAULT_DEVICE);
  config->baud = DEFAULT_BAUD;
  config->rtscts = FALSE;
  config->max_clients_per_user = DEFAULT_MAX_CLIENTS_PER_USER;
  config->queue_limit = DEFAULT_QUEUE_LIMIT;
}

void
service_config_clear (ServiceConfig *config)
{
  g_clear_pointer (&config->device, g_free);
}

/* ---- errors ------------------------------------------------------------------ */

void
service_return_error (GDBusMethodInvocation *invocation, const GError *error)
{
  if (error->domain == QCOAP_ERROR)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_dbus_method_invocation_return_error_literal (
        invocation, QCOAP_ERROR, QCOAP_ERROR_CLOSED,
        "The session was closed before the modem took the message");
  else
    g_dbus_method_invocation_return_error (invocation, QCOAP_ERROR, QCOAP_ERROR_MODEM_ERROR, "%s",
                                           error->message);
}

/* ---- callers ------------------------------------------------------------------ */

static void
on_unix_user (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Service *service = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  guint32 uid;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL)
    {
      g_task_return_new_error (task, QCOAP_ERROR, QCOAP_ERROR_ACCESS_DENIED,
                               "Cannot tell who the caller is: %s", error->message);
      return;
    }
  g_variant_get (reply, "(u)", &uid);
  if (g_hash_table_size (service->uid_cache) >= UID_CACHE_LIMIT)
    g_hash_table_remove_all (service->uid_cache);
  g_hash_table_insert (service->uid_cache, g_strdup (g_task_get_name (task)),
                       GUINT_TO_POINTER (uid));
  g_task_return_int (task, uid);
}

/* Unique bus names are never reused within a bus's life, so a name's uid can
 * be cached. */
gboolean
service_lookup_caller_uid (Service *service, const char *sender, uid_t *uid)
{
  gpointer cached;

  if (!g_hash_table_lookup_extended (service->uid_cache, sender, NULL, &cached))
    return FALSE;
  *uid = (uid_t)GPOINTER_TO_UINT (cached);
  return TRUE;
}

void
service_get_caller_uid (Service *service, const char *sender, GAsyncReadyCallback callback,
                        gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, NULL, callback, user_data);
  uid_t uid;

  g_task_set_task_data (task, service, NULL);
  g_task_set_name (task, sender);
  if (service_lookup_caller_uid (service, sender, &uid))
    {
      g_task_return_int (task, uid);
      return;
    }
  g_dbus_connection_call (service->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "GetConnectionUnixUser",
                          g_variant_new ("(s)", sender), G_VARIANT_TYPE ("(u)"),
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_unix_user, g_steal_pointer (&task));
}

gboolean
service_get_caller_uid_finish (GAsyncResult *result, uid_t *uid, GError **error)
{
  gssize value = g_task_propagate_int (G_TASK (result), error);

  if (value < 0)
    return FALSE;
  *uid = (uid_t)value;
  return TRUE;
}

/* ---- properties ----------------------------------------------------------------- */

static void
update_status (Service *service)
{
  g_autofree char *status = NULL;
  guint free_clients = client_pool_count_free (service->pool);

  if (!service->status_func)
    return;
  status = g_strdup_printf ("Modem %s, %u of 6 client IDs in use",
                            modem_state_to_string (modem_get_state (service->modem)),
                            6 - free_clients);
  service->status_func (status, service->status_data);
}

static void
update_sessions_property (Service *service)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new ();

  for (guint i = 0; i < CLIENT_POOL_SIZE; i++)
    {
      Session *session = service->sessions[i];

      if (session
          && g_dbus_object_manager_server_is_exported (service->object_manager,
                                                       session_get_object (session)))
        g_ptr_array_add (paths, (gpointer)session_get_object_path (session));
    }
  g_ptr_array_add (paths, NULL);
  qcoap_manager_set_sessions (service->manager, (const char *const *)paths->pdata);
  qcoap_manager_set_free_clients (service->manager, (guint8)client_pool_count_free (service->pool));
  update_status (service);
}

void
service_session_added (Service *service, Session *session)
{
  g_dbus_object_manager_server_export (service->object_manager, session_get_object (session));
  update_sessions_property (service);
}

void
service_session_removed (Service *service, Session *session)
{
  g_dbus_object_manager_server_unexport (service->object_manager,
                                         session_get_object_path (session));
  update_sessions_property (service);
}

/* ---- modem events ---------------------------------------------------------------- */

static void
on_modem_state_changed (Modem *modem, gpointer user_data)
{
  Service *service = user_data;

  qcoap_manager_set_state (service->manager, modem_state_to_string (modem_get_state (modem)));
  qcoap_manager_set_manufacturer (service->manager, modem_get_manufacturer (modem));
  qcoap_manager_set_model (service->manager, modem_get_model (modem));
  qcoap_manager_set_revision (service->manager, modem_get_revision (modem));
  qcoap_manager_set_imei (service->manager, modem_get_imei (modem));
  update_status (service);
  if (modem_get_state (modem) == MODEM_STATE_READY)
    for (guint i = 0; i < CLIENT_POOL_SIZE; i++)
      if (service->sessions[i])
        session_reopen (service->sessions[i]);
}

/* The client ID is the first field of every +QCOAP URC. */
static gboolean
urc_client_id (const char *line, guint *id)
{
  const char *colon = strchr (line, ':');
  guint64 value;
  char *end;

  if (colon == NULL || !g_str_has_prefix (line, "+") || !strstr (line, "COAP"))
    return FALSE;
  value = g_ascii_strtoull (colon + 1, &end, 10);
  if (end == colon + 1 || value >= CLIENT_POOL_SIZE)
    return FALSE;
  *id = (guint)value;
  return TRUE;
}

static void
on_modem_urc (Modem *modem, const AtEvent *event, gpointer user_data)
{
  Service *service = user_data;
  guint id;

  if (!urc_client_id (event->line, &id))
    {
      g_debug ("Unsolicited \"%s\"", event->line);
      return;
    }
  if (service->sessions[id] == NULL)
    {
      g_debug ("URC for client %u, which has no session: \"%s\"", id, event->line);
      return;
    }
  session_handle_urc (service->sessions[id], event);
}

static void
on_modem_sessions_lost (Modem *modem, const char *reason, gpointer user_data)
{
  Service *service = user_data;

  for (guint i = 0; i < CLIENT_POOL_SIZE; i++)
    if (service->sessions[i])
      session_suspend (service->sessions[i], reason);
  /* Lost while the modem stays ready (the data call dropped): waiting
   * persistent sessions try to open again at once. */
  if (modem_get_state (modem) == MODEM_STATE_READY)
    for (guint i = 0; i < CLIENT_POOL_SIZE; i++)
      if (service->sessions[i])
        session_reopen (service->sessions[i]);
}

/* ---- Open -------------------------------------------------------------------------- */

typedef struct
{
  Service *service;
  GDBusMethodInvocation *invocation;
  char *host;
  guint16 port;
  SessionSettings settings;
  /* Request only: */
  guint8 code;
  GPtrArray *options;
  GBytes *payload;
  guint request_timeout_ms;
  gboolean has_request_timeout;
  Session *session;
  GError *request_error;
  GVariant *response;
} OpenCall;

static void
open_call_free (OpenCall *call)
{
  g_free (call->host);
  session_settings_clear (&call->settings);
  g_clear_pointer (&call->options, g_ptr_array_unref);
  g_clear_pointer (&call->payload, g_bytes_unref);
  g_clear_error (&call->request_error);
  g_clear_pointer (&call->response, g_variant_unref);
  g_clear_pointer (&call->session, session_unref);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OpenCall, open_call_free)

static guint
count_sessions_of (Service *service, uid_t uid)
{
  guint count = 0;

  for (guint i = 0; i < CLIENT_POOL_SIZE; i++)
    count += service->sessions[i] && session_get_owner_uid (service->sessions[i]) == uid;
  return count;
}

static gboolean
check_modem_ready (Service *service, GError **error)
{
  ModemState state = modem_get_state (service->modem);

  if (state == MODEM_STATE_READY)
    return TRUE;
  g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_MODEM_UNAVAILABLE,
               "The modem is %s; sessions can be opened once it is ready",
               modem_state_to_string (state));
  return FALSE;
}

static void on_session_opened (GObject *source, GAsyncResult *result, gpointer user_data);

static void
on_open_caller_uid (GObject *source, GAsyncResult *result, gpointer user_data)
{
  OpenCall *call = user_data;
  Service *service = call->service;
  g_autoptr (GError) error = NULL;
  uid_t uid;
  guint id;

  if (!service_get_caller_uid_finish (result, &uid, &error) || !check_modem_ready (service, &error))
    goto fail;
  if (uid != 0 && count_sessions_of (service, uid) >= service->config.max_clients_per_user)
    {
      g_set_error (&error, QCOAP_ERROR, QCOAP_ERROR_NO_FREE_CLIENT,
                   "User %u already holds %u sessions, the most one user may hold "
                   "(MaxClientsPerUser); close one first",
                   (guint)uid, service->config.max_clients_per_user);
      goto fail;
    }
  if (!client_pool_acquire (service->pool, call->settings.client_id, &id, &error))
    goto fail;
  update_sessions_property (service);
  session_open (service, id, call->host, call->port, &call->settings, uid,
                g_dbus_method_invocation_get_sender (call->invocation), NULL, on_session_opened,
                call);
  return;

fail:
  service_return_error (call->invocation, error);
  open_call_free (call);
}

static gboolean
validate_port (guint16 port, GError **error)
{
  if (port != 0)
    return TRUE;
  g_set_error_literal (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                       "Port 0 is not a server port; use 1-65535 (CoAP's own is 5683)");
  return FALSE;
}

/* Checks everything the caller gave before any AT traffic, then asks the
 * bus who the caller is. */
static void
start_open (OpenCall *call, GVariant *options, const char *const *extra_keys)
{
  g_autoptr (GError) error = NULL;

  if (!qcoap_validate_host (call->host, &error) || !validate_port (call->port, &error)
      || !session_settings_parse (&call->settings, options, extra_keys, &error))
    {
      service_return_error (call->invocation, error);
      open_call_free (call);
      return;
    }
  service_get_caller_uid (call->service, g_dbus_method_invocation_get_sender (call->invocation),
                          on_open_caller_uid, call);
}

static OpenCall *
open_call_new (Service *service, GDBusMethodInvocation *invocation)
{
  OpenCall *call = g_new0 (OpenCall, 1);

  call->service = service;
  call->invocation = invocation;
  session_settings_init (&call->settings);
  return call;
}

static gboolean
on_handle_open (QcoapManager *manager, GDBusMethodInvocation *invocation, const char *host,
                guint16 port, GVariant *options, Service *service)
{
  OpenCall *call = open_call_new (service, invocation);

  call->host = g_strdup (host);
  call->port = port;
  start_open (call, options, NULL);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- Request (one-shot) ------------------------------------------------------------ */

static void
on_temporary_session_closed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (OpenCall) call = user_data;

  session_close_finish (result, NULL);
  if (call->response)
    g_dbus_method_invocation_return_value (call->invocation, call->response);
  else
    service_return_error (call->invocation, call->request_error);
}

static void
on_one_shot_response (GObject *source, GAsyncResult *result, gpointer user_data)
{
  OpenCall *call = user_data;

  call->response = session_request_finish (result, &call->request_error);
  session_close (call->session, "closed", on_temporary_session_closed, call);
}

static void
on_session_opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  OpenCall *call = user_data;
  g_autoptr (GError) error = NULL;
  Session *session = session_open_finish (result, &error);

  if (session == NULL)
    {
      /* The failed open gave its client ID back. */
      update_sessions_property (call->service);
      service_return_error (call->invocation, error);
      open_call_free (call);
      return;
    }
  if (call->options == NULL)
    {
      g_dbus_method_invocation_return_value (
          call->invocation, g_variant_new ("(o)", session_get_object_path (session)));
      open_call_free (call);
      return;
    }
  call->session = session_ref (session);
  session_request (session, call->code, call->options, call->payload, TRUE,
                   call->has_request_timeout ? call->request_timeout_ms : 0, on_one_shot_response,
                   call);
}

static gboolean
prepare_one_shot (OpenCall *call, const char *uri_text, GVariant *options, GVariant *payload,
                  GVariant *flags, GError **error)
{
  g_autoptr (QcoapUri) uri = NULL;
  g_autoptr (GPtrArray) extra = NULL;
  g_autoptr (GVariant) timeout = NULL;
  g_autoptr (GVariant) identity = NULL;

  call->payload = g_variant_get_data_as_bytes (payload);
  if (!session_validate_request (call->code, call->payload, error))
    return FALSE;
  uri = qcoap_uri_parse (uri_text, error);
  if (uri == NULL)
    return FALSE;
  extra = qcoap_option_list_from_variant (options, error);
  if (extra == NULL)
    return FALSE;
  call->options = qcoap_option_list_new ();
  if (!qcoap_option_list_add_strings (call->options, QCOAP_OPTION_URI_PATH,
                                      (const char *const *)uri->path, error)
      || !qcoap_option_list_add_strings (call->options, QCOAP_OPTION_URI_QUERY,
                                         (const char *const *)uri->query, error))
    return FALSE;
  for (guint i = 0; i < extra->len; i++)
    g_ptr_array_add (call->options, g_ptr_array_steal_index (extra, 0));
  if (!qcoap_option_list_check_count (call->options, error))
    return FALSE;
  identity = g_variant_lookup_value (flags, "dtls-psk-identity", NULL);
  if (uri->secure && identity == NULL)
    {
      g_set_error_literal (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                           "A coaps:// URI needs the \"dtls-psk-identity\" and \"dtls-psk-key\" "
                           "flags");
      return FALSE;
    }
  timeout = g_variant_lookup_value (flags, "timeout", NULL);
  if (timeout && g_variant_is_of_type (timeout, G_VARIANT_TYPE_UINT32))
    {
      call->has_request_timeout = TRUE;
      call->request_timeout_ms = MAX (g_variant_get_uint32 (timeout), 1);
    }
  call->host = g_strdup (uri->host);
  call->port = uri->port;
  return TRUE;
}

static gboolean
on_handle_request (QcoapManager *manager, GDBusMethodInvocation *invocation, const char *uri,
                   guint8 code, GVariant *options, GVariant *payload, GVariant *flags,
                   Service *service)
{
  OpenCall *call = open_call_new (service, invocation);
  g_autoptr (GError) error = NULL;

  call->code = code;
  if (!prepare_one_shot (call, uri, options, payload, flags, &error))
    {
      service_return_error (invocation, error);
      open_call_free (call);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  /* A one-shot session never outlives the call. */
  start_open (call, flags, NULL);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- life cycle ---------------------------------------------------------------------- */

Service *
service_new (GDBusConnection *connection, const ServiceConfig *config,
             void (*status_func) (const char *status, gpointer user_data), gpointer user_data)
{
  Service *service = g_new0 (Service, 1);
  const ModemListener listener = {
    .state_changed = on_modem_state_changed,
    .urc = on_modem_urc,
    .sessions_lost = on_modem_sessions_lost,
  };

  service->connection = g_object_ref (connection);
  service->config = *config;
  service->config.device = g_strdup (config->device);
  service->status_func = status_func;
  service->status_data = user_data;
  service->uid_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  service->modem = modem_new (config->device, config->baud, config->rtscts, &listener, service);
  service->pool = client_pool_new (service->modem, config->queue_limit);

  service->manager = qcoap_manager_skeleton_new ();
  qcoap_manager_set_version (service->manager, QCOAPD_VERSION);
  qcoap_manager_set_device (service->manager, config->device);
  on_modem_state_changed (service->modem, service);
  update_sessions_property (service);
  g_signal_connect (service->manager, "handle-open", G_CALLBACK (on_handle_open), service);
  g_signal_connect (service->manager, "handle-request", G_CALLBACK (on_handle_request), service);
  service->object_manager = g_dbus_object_manager_server_new (SERVICE_OBJECT_PATH);
  return service;
}

gboolean
service_export (Service *service, GError **error)
{
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (service->manager),
                                         service->connection, SERVICE_OBJECT_PATH, error))
    return FALSE;
  g_dbus_object_manager_server_set_connection (service->object_manager, service->connection);
  return TRUE;
}

void
service_start (Service *service)
{
  modem_start (service->modem);
}

static gboolean
all_sessions_gone (Service *service)
{
  for (guint i = 0; i < CLIENT_POOL_SIZE; i++)
    if (service->sessions[i])
      return FALSE;
  return TRUE;
}

static void
on_shutdown_close_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Service *service = user_data;

  session_close_finish (result, NULL);
  if (service->stop_done && all_sessions_gone (service))
    {
      void (*done) (gpointer) = service->stop_done;

      service->stop_done = NULL;
      done (service->stop_data);
    }
}

void
service_stop (Service *service, void (*done) (gpointer user_data), gpointer user_data)
{
  service->stop_done = done;
  service->stop_data = user_data;
  for (guint i = 0; i < CLIENT_POOL_SIZE; i++)
    if (service->sessions[i])
      session_close (service->sessions[i], "closed", on_shutdown_close_done, service);
  if (all_sessions_gone (service))
    {
      service->stop_done = NULL;
      done (user_data);
    }
}

void
service_free (Service *service)
{
  if (service == NULL)
    return;
  for (guint i = 0; i < CLIENT_POOL_SIZE; i++)
    if (service->sessions[i])
      session_end (service->sessions[i], "closed");
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (service->manager));
  g_clear_object (&service->object_manager);
  g_clear_object (&service->manager);
  g_clear_pointer (&service->pool, client_pool_free);
  g_clear_pointer (&service->modem, modem_free);
  g_clear_pointer (&service->uid_cache, g_hash_table_unref);
  service_config_clear (&service->config);
  g_clear_object (&service->connection);
  g_free (service);
}
