/* SPDX-License-Identifier: MIT */
/* qcoap-client.c — see qcoap-client.h. */
#include "qcoap-client-private.h"

#define SESSION_INTERFACE "org.qcoapd.CoAP1.Session"

struct _QcoapClient
{
  GObject parent_instance;

  GDBusConnection *connection;
  QcoapManager *manager;
  GDBusObjectManager *object_manager;
  GHashTable *sessions; /* object path → QcoapClientSession */
  /* object path → how many objects the object manager has still to announce
   * there for sessions that ended before it did (a daemon that gives a path
   * again: those objects are not the new session's) */
  GHashTable *stale_adds;
  char *address;         /* where to connect again; NULL on a caller's connection */
  gulong closed_handler; /* on connection */
  gboolean reconnecting;
  guint reconnect_id; /* the wait before the next try */
  /* The daemon came back: the sessions it kept are known once it is ready. */
  gboolean judge_sessions;
};

/* How often a client whose connection was closed tries to connect again. */
#define RECONNECT_INTERVAL_MS 1000

enum
{
  PROP_0,
  PROP_STATE,
  PROP_STATE_REASON,
  PROP_DEVICE,
  PROP_MANUFACTURER,
  PROP_MODEL,
  PROP_REVISION,
  PROP_IMEI,
  PROP_VERSION,
  PROP_FREE_CLIENTS,
  PROP_REGISTRATION,
  PROP_ACCESS_TECHNOLOGY,
  PROP_OPERATOR,
  PROP_SIGNAL,
  PROP_DATA_CONTEXTS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_SESSION_ADDED,
  SIGNAL_SESSION_REMOVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_TYPE (QcoapClient, qcoap_client, G_TYPE_OBJECT)

/* ---- sessions, as the object manager reports them ---- */

static QcoapSession *
session_proxy_of (GDBusObject *object)
{
  GDBusInterface *interface = g_dbus_object_get_interface (object, SESSION_INTERFACE);

  return interface ? QCOAP_SESSION (interface) : NULL;
}

/* A session that ended leaves the table when its path is met again. If the
 * object manager has not announced its object yet, that announcement is
 * still to come and is not the next session's. */
static void
retire_session (QcoapClient *self, const char *path)
{
  g_autoptr (QcoapClientSession) session = NULL;
  g_autofree char *key = NULL;

  if (!g_hash_table_steal_extended (self->sessions, path, (gpointer *)&key, (gpointer *)&session))
    return;
  if (_qcoap_client_session_get_object (session) == NULL)
    g_hash_table_insert (
        self->stale_adds, g_strdup (path),
        GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (self->stale_adds, path)) + 1));
  g_signal_emit (self, signals[SIGNAL_SESSION_REMOVED], 0, session);
}

/* The live session at @path, or NULL; one that ended is retired. */
static QcoapClientSession *
lookup_live (QcoapClient *self, const char *path)
{
  QcoapClientSession *session = g_hash_table_lookup (self->sessions, path);

  if (session == NULL || !_qcoap_client_session_is_closed (session))
    return session;
  retire_session (self, path);
  return NULL;
}

/* Whether @path has an announcement to come of an ended session's object;
 * counts it as come. */
static gboolean
take_stale_add (QcoapClient *self, const char *path)
{
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (self->stale_adds, path));

  if (count == 0)
    return FALSE;
  if (count == 1)
    g_hash_table_remove (self->stale_adds, path);
  else
    g_hash_table_insert (self->stale_adds, g_strdup (path), GUINT_TO_POINTER (count - 1));
  return TRUE;
}

/* Tracks @proxy's session (of the object manager's @object, or NULL for a
 * proxy of our own) unless it is known already; returns it (borrowed). */
static QcoapClientSession *
track_session (QcoapClient *self, QcoapSession *proxy, GDBusObject *object, gboolean announce)
{
  const char *path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (proxy));
  QcoapClientSession *session = lookup_live (self, path);

  if (session != NULL)
    return session;
  session = _qcoap_client_session_new (proxy, object);
  g_hash_table_insert (self->sessions, g_strdup (path), session);
  if (announce)
    g_signal_emit (self, signals[SIGNAL_SESSION_ADDED], 0, session);
  return session;
}

static gboolean
daemon_is_on_bus (GDBusObjectManager *manager)
{
  g_autofree char *owner
      = g_dbus_object_manager_client_get_name_owner (G_DBUS_OBJECT_MANAGER_CLIENT (manager));

  return owner != NULL;
}

static void
on_object_added (GDBusObjectManager *manager, GDBusObject *object, QcoapClient *self)
{
  g_autoptr (QcoapSession) proxy = session_proxy_of (object);
  const char *path = g_dbus_object_get_object_path (object);
  QcoapClientSession *known;

  if (proxy == NULL)
    return;
  known = lookup_live (self, path);
  /* The object of a session that ended before it was announced. */
  if ((known == NULL || _qcoap_client_session_get_object (known) == NULL)
      && take_stale_add (self, path))
    return;
  /* The object an Open's own proxy stood for, or a session kept over a
   * restart of the daemon, on its new proxy. */
  if (known)
    _qcoap_client_session_set_proxy (known, proxy, object);
  else
    track_session (self, proxy, object, TRUE);
}

static void
on_object_removed (GDBusObjectManager *manager, GDBusObject *object, QcoapClient *self)
{
  const char *path = g_dbus_object_get_object_path (object);
  QcoapClientSession *known = g_hash_table_lookup (self->sessions, path);
  g_autoptr (QcoapClientSession) session = NULL;

  /* The daemon left the bus: a restarted daemon takes its sessions over,
   * so they are judged once it is back (on_daemon_returned). Only the
   * removal of the session's own object counts, not a late one of an
   * earlier object at the same path. */
  if (!daemon_is_on_bus (manager) || known == NULL
      || _qcoap_client_session_get_object (known) != object)
    return;
  session = g_object_ref (known);
  g_hash_table_remove (self->sessions, path);
  _qcoap_client_session_vanished (session);
  g_signal_emit (self, signals[SIGNAL_SESSION_REMOVED], 0, session);
}

static void sync_sessions (QcoapClient *self, GDBusObjectManager *object_manager,
                           gboolean announce);

/* A restarted daemon is "ready" once it has taken over its sessions: those
 * it did not keep have ended. */
static void
judge_sessions_when_ready (QcoapClient *self)
{
  if (!self->judge_sessions || g_strcmp0 (qcoap_manager_get_state (self->manager), "ready") != 0)
    return;
  self->judge_sessions = FALSE;
  sync_sessions (self, self->object_manager, TRUE);
}

static void
on_manager_notify (GObject *manager, GParamSpec *pspec, QcoapClient *self)
{
  if (g_str_equal (pspec->name, "state"))
    judge_sessions_when_ready (self);
  /* The generated proxy's properties have the names of ours. */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (self), pspec->name) != NULL)
    g_object_notify (G_OBJECT (self), pspec->name);
}

static gboolean
check_daemon_present (QcoapManager *manager, GError **error)
{
  g_autofree char *owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (manager));

  if (owner != NULL)
    return TRUE;
  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN,
               "qcoapd is not running on this bus (nobody owns the name %s)", QCOAP_SERVICE_NAME);
  return FALSE;
}

/* Forgets the sessions the daemon no longer has (a session that was not
 * persistent ended with the old connection). */
static void
forget_sessions_not_in (QcoapClient *self, GHashTable *present)
{
  GHashTableIter iter;
  gpointer path, session;

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, &path, &session))
    {
      g_autoptr (QcoapClientSession) gone = NULL;

      if (g_hash_table_contains (present, path))
        continue;
      gone = g_object_ref (session);
      g_hash_table_iter_remove (&iter);
      _qcoap_client_session_vanished (gone);
      g_signal_emit (self, signals[SIGNAL_SESSION_REMOVED], 0, gone);
    }
}

/* Tracks the sessions of @object_manager: those known already move onto
 * their new proxies, the others are announced if @announce. */
static void
sync_sessions (QcoapClient *self, GDBusObjectManager *object_manager, gboolean announce)
{
  g_autoptr (GHashTable) present = g_hash_table_new (g_str_hash, g_str_equal);
  GList *objects = g_dbus_object_manager_get_objects (object_manager);

  for (GList *l = objects; l != NULL; l = l->next)
    {
      g_autoptr (QcoapSession) proxy = session_proxy_of (l->data);
      const char *path = g_dbus_object_get_object_path (l->data);
      QcoapClientSession *known = lookup_live (self, path);

      if (proxy == NULL)
        continue;
      g_hash_table_add (present, (gpointer)path);
      if (known)
        {
          _qcoap_client_session_set_proxy (known, proxy, l->data);
          _qcoap_client_session_daemon_returned (known);
        }
      else
        track_session (self, proxy, l->data, announce);
    }
  forget_sessions_not_in (self, present);
  g_list_free_full (objects, g_object_unref);
}

static void on_connection_closed (GDBusConnection *connection, gboolean remote_peer_vanished,
                                  GError *error, QcoapClient *self);

static void
on_daemon_returned (GDBusObjectManager *manager, GParamSpec *pspec, QcoapClient *self)
{
  if (!daemon_is_on_bus (manager))
    return;
  self->judge_sessions = TRUE;
  judge_sessions_when_ready (self);
}

/* Puts the client on @connection (its first, or a new one after the old was
 * closed); the session objects stay the same. */
static void
client_attach (QcoapClient *self, GDBusConnection *connection, QcoapManager *manager,
               GDBusObjectManager *object_manager)
{
  gboolean again = self->connection != NULL;

  /* Not g_signal_connect_object() on the connection: its last reference
   * may go in GDBus's worker thread. */
  if (self->closed_handler)
    g_clear_signal_handler (&self->closed_handler, self->connection);
  if (self->object_manager)
    g_signal_handlers_disconnect_by_data (self->object_manager, self);
  if (self->manager)
    g_signal_handlers_disconnect_by_data (self->manager, self);
  g_set_object (&self->connection, connection);
  g_set_object (&self->manager, manager);
  g_set_object (&self->object_manager, object_manager);
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (manager), G_MAXINT);
  sync_sessions (self, object_manager, again);
  g_signal_connect_object (object_manager, "object-added", G_CALLBACK (on_object_added), self, 0);
  g_signal_connect_object (object_manager, "object-removed", G_CALLBACK (on_object_removed), self,
                           0);
  g_signal_connect_object (object_manager, "notify::name-owner", G_CALLBACK (on_daemon_returned),
                           self, 0);
  g_signal_connect_object (manager, "notify", G_CALLBACK (on_manager_notify), self, 0);
  if (self->address)
    self->closed_handler
        = g_signal_connect (connection, "closed", G_CALLBACK (on_connection_closed), self);
}

static QcoapClient *
client_new (GDBusConnection *connection, QcoapManager *manager, GDBusObjectManager *object_manager,
            const char *address)
{
  QcoapClient *self = g_object_new (QCOAP_TYPE_CLIENT, NULL);

  self->address = g_strdup (address);
  client_attach (self, connection, manager, object_manager);
  return self;
}

/* ---- construction, synchronous ---- */

/* The manager's proxy and the object manager on @connection, the daemon
 * present: what a client needs of a connection. */
static gboolean
proxies_new_sync (GDBusConnection *connection, GCancellable *cancellable,
                  QcoapManager **out_manager, GDBusObjectManager **out_object_manager,
                  GError **error)
{
  g_autoptr (QcoapManager) manager = NULL;

  /* Registers the QCOAP_ERROR domain's D-Bus names before any call. */
  (void)QCOAP_ERROR;
  manager = qcoap_manager_proxy_new_sync (connection, G_DBUS_PROXY_FLAGS_NONE, QCOAP_SERVICE_NAME,
                                          QCOAP_MANAGER_PATH, cancellable, error);
  if (manager == NULL || !check_daemon_present (manager, error))
    return FALSE;
  *out_object_manager = qcoap_object_manager_client_new_sync (
      connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE, QCOAP_SERVICE_NAME, QCOAP_MANAGER_PATH,
      cancellable, error);
  if (*out_object_manager == NULL)
    {
      _qcoap_error_strip (error ? *error : NULL);
      return FALSE;
    }
  *out_manager = g_steal_pointer (&manager);
  return TRUE;
}

static QcoapClient *
client_new_sync (GDBusConnection *connection, const char *address, GCancellable *cancellable,
                 GError **error)
{
  g_autoptr (QcoapManager) manager = NULL;
  g_autoptr (GDBusObjectManager) object_manager = NULL;

  if (!proxies_new_sync (connection, cancellable, &manager, &object_manager, error))
    return NULL;
  return client_new (connection, manager, object_manager, address);
}

QcoapClient *
qcoap_client_new_for_connection_sync (GDBusConnection *connection, GCancellable *cancellable,
                                      GError **error)
{
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);

  return client_new_sync (connection, NULL, cancellable, error);
}

static const GDBusConnectionFlags address_flags = G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
                                                  | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION;

QcoapClient *
qcoap_client_new_for_address_sync (const char *address, GCancellable *cancellable, GError **error)
{
  g_autoptr (GDBusConnection) connection = NULL;

  g_return_val_if_fail (address != NULL, NULL);

  connection
      = g_dbus_connection_new_for_address_sync (address, address_flags, NULL, cancellable, error);
  if (connection == NULL)
    return NULL;
  return client_new_sync (connection, address, cancellable, error);
}

/* A connection of the client's own, not the process's shared one: it can be
 * replaced when it is closed, and its closing does not end the program. */
QcoapClient *
qcoap_client_new_sync (GBusType bus_type, GCancellable *cancellable, GError **error)
{
  g_autofree char *address = g_dbus_address_get_for_bus_sync (bus_type, cancellable, error);

  if (address == NULL)
    return NULL;
  return qcoap_client_new_for_address_sync (address, cancellable, error);
}

/* ---- construction, asynchronous: connection → manager → object manager ---- */

typedef struct
{
  GDBusConnection *connection;
  QcoapManager *manager;
  char *address;
} NewData;

static void
new_data_free (NewData *data)
{
  g_free (data->address);
  g_clear_object (&data->connection);
  g_clear_object (&data->manager);
  g_free (data);
}

static void
new_got_object_manager (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  NewData *data = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusObjectManager) object_manager
      = qcoap_object_manager_client_new_finish (result, &error);

  if (object_manager == NULL)
    {
      _qcoap_error_strip (error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Connecting again: the client is the task's source object. */
  if (g_task_get_source_object (task) != NULL)
    {
      QcoapClient *self = g_task_get_source_object (task);

      client_attach (self, data->connection, data->manager, object_manager);
      g_task_return_pointer (task, g_object_ref (self), g_object_unref);
      return;
    }
  g_task_return_pointer (
      task, client_new (data->connection, data->manager, object_manager, data->address),
      g_object_unref);
}

static void
new_got_manager (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  NewData *data = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

  data->manager = qcoap_manager_proxy_new_finish (result, &error);
  if (data->manager == NULL || !check_daemon_present (data->manager, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  qcoap_object_manager_client_new (data->connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE,
                                   QCOAP_SERVICE_NAME, QCOAP_MANAGER_PATH,
                                   g_task_get_cancellable (task), new_got_object_manager,
                                   g_object_ref (task));
}

static void
new_start_on_connection (GTask *task, GDBusConnection *connection)
{
  NewData *data = g_task_get_task_data (task);

  (void)QCOAP_ERROR;
  data->connection = connection;
  qcoap_manager_proxy_new (connection, G_DBUS_PROXY_FLAGS_NONE, QCOAP_SERVICE_NAME,
                           QCOAP_MANAGER_PATH, g_task_get_cancellable (task), new_got_manager,
                           g_object_ref (task));
}

static void
new_got_address_connection (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  GDBusConnection *connection = g_dbus_connection_new_for_address_finish (result, &error);

  if (connection == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    new_start_on_connection (task, connection);
}

static GTask *
new_task (gpointer source_tag, GCancellable *cancellable, GAsyncReadyCallback callback,
          gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, g_new0 (NewData, 1), (GDestroyNotify)new_data_free);
  return task;
}

void
qcoap_client_new (GBusType bus_type, GCancellable *cancellable, GAsyncReadyCallback callback,
                  gpointer user_data)
{
  GTask *task = new_task (qcoap_client_new, cancellable, callback, user_data);
  NewData *data = g_task_get_task_data (task);
  GError *error = NULL;

  /* A connection of the client's own, as qcoap_client_new_sync() makes. */
  data->address = g_dbus_address_get_for_bus_sync (bus_type, cancellable, &error);
  if (data->address == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  g_dbus_connection_new_for_address (data->address, address_flags, NULL, cancellable,
                                     new_got_address_connection, task);
}

QcoapClient *
qcoap_client_new_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
qcoap_client_new_for_address (const char *address, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = new_task (qcoap_client_new_for_address, cancellable, callback, user_data);
  NewData *data = g_task_get_task_data (task);

  data->address = g_strdup (address);
  g_dbus_connection_new_for_address (address, address_flags, NULL, cancellable,
                                     new_got_address_connection, task);
}

QcoapClient *
qcoap_client_new_for_address_finish (GAsyncResult *result, GError **error)
{
  return qcoap_client_new_finish (result, error);
}

/* ---- connecting again ---- */

static void reconnect (QcoapClient *self);

static gboolean
on_reconnect_interval (gpointer user_data)
{
  QcoapClient *self = user_data;

  self->reconnect_id = 0;
  reconnect (self);
  return G_SOURCE_REMOVE;
}

static void
reconnect_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  QcoapClient *self = QCOAP_CLIENT (source);
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapClient) same = g_task_propagate_pointer (G_TASK (result), &error);

  self->reconnecting = FALSE;
  if (same == NULL)
    {
      /* No bus, or no qcoapd on it, for now: try again later. */
      g_debug ("connecting to qcoapd again failed: %s", error->message);
      self->reconnect_id = g_timeout_add (RECONNECT_INTERVAL_MS, on_reconnect_interval, self);
      return;
    }
  for (guint i = 1; i < N_PROPS; i++)
    g_object_notify_by_pspec (G_OBJECT (self), properties[i]);
}

/* The asynchronous construction's steps, with the client as the task's
 * source object: the last step moves it onto the new connection. */
static void
reconnect (QcoapClient *self)
{
  GTask *task = g_task_new (self, NULL, reconnect_done, NULL);
  NewData *data = g_new0 (NewData, 1);

  g_task_set_source_tag (task, reconnect);
  data->address = g_strdup (self->address);
  g_task_set_task_data (task, data, (GDestroyNotify)new_data_free);
  self->reconnecting = TRUE;
  g_dbus_connection_new_for_address (self->address, address_flags, NULL, NULL,
                                     new_got_address_connection, task);
}

static void
on_connection_closed (GDBusConnection *connection, gboolean remote_peer_vanished, GError *error,
                      QcoapClient *self)
{
  /* A connection closed by its own program (no error, no vanished peer)
   * stays closed; one the bus dropped, or that failed to read a message,
   * is replaced. */
  if (connection != self->connection || self->reconnecting || self->reconnect_id != 0
      || (!remote_peer_vanished && error == NULL))
    return;
  g_debug ("the bus closed the connection (%s); connecting again",
           error ? error->message : "no reason given");
  reconnect (self);
}

/* ---- GObject ---- */

static void
qcoap_client_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  QcoapClient *self = QCOAP_CLIENT (object);

  switch (prop_id)
    {
      case PROP_STATE:
        g_value_set_string (value, qcoap_client_get_state (self));
        break;
      case PROP_STATE_REASON:
        g_value_set_string (value, qcoap_client_get_state_reason (self));
        break;
      case PROP_DEVICE:
        g_value_set_string (value, qcoap_client_get_device (self));
        break;
      case PROP_MANUFACTURER:
        g_value_set_string (value, qcoap_client_get_manufacturer (self));
        break;
      case PROP_MODEL:
        g_value_set_string (value, qcoap_client_get_model (self));
        break;
      case PROP_REVISION:
        g_value_set_string (value, qcoap_client_get_revision (self));
        break;
      case PROP_IMEI:
        g_value_set_string (value, qcoap_client_get_imei (self));
        break;
      case PROP_VERSION:
        g_value_set_string (value, qcoap_client_get_version (self));
        break;
      case PROP_FREE_CLIENTS:
        g_value_set_uint (value, qcoap_client_get_free_clients (self));
        break;
      case PROP_REGISTRATION:
        g_value_set_string (value, qcoap_client_get_registration (self));
        break;
      case PROP_ACCESS_TECHNOLOGY:
        g_value_set_string (value, qcoap_client_get_access_technology (self));
        break;
      case PROP_OPERATOR:
        g_value_set_string (value, qcoap_client_get_operator (self));
        break;
      case PROP_SIGNAL:
        g_value_take_variant (value, qcoap_client_get_signal (self));
        break;
      case PROP_DATA_CONTEXTS:
        g_value_take_variant (value, qcoap_client_get_data_contexts (self));
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qcoap_client_dispose (GObject *object)
{
  QcoapClient *self = QCOAP_CLIENT (object);

  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  if (self->closed_handler)
    g_clear_signal_handler (&self->closed_handler, self->connection);
  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_clear_pointer (&self->stale_adds, g_hash_table_unref);
  g_clear_pointer (&self->address, g_free);
  g_clear_object (&self->object_manager);
  g_clear_object (&self->manager);
  g_clear_object (&self->connection);
  G_OBJECT_CLASS (qcoap_client_parent_class)->dispose (object);
}

static GParamSpec *
string_property (const char *name, const char *blurb)
{
  return g_param_spec_string (name, NULL, blurb, "",
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static GParamSpec *
variant_property (const char *name, const char *type, const char *blurb)
{
  return g_param_spec_variant (name, NULL, blurb, G_VARIANT_TYPE (type), NULL,
                               G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static void
qcoap_client_class_init (QcoapClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = qcoap_client_get_property;
  object_class->dispose = qcoap_client_dispose;

  properties[PROP_STATE]
      = string_property ("state", "absent, initializing, ready, sleeping or failed");
  properties[PROP_STATE_REASON] = string_property ("state-reason", "Why the state is what it is");
  properties[PROP_DEVICE] = string_property ("device", "The modem's serial port");
  properties[PROP_MANUFACTURER] = string_property ("manufacturer", "The modem's manufacturer");
  properties[PROP_MODEL] = string_property ("model", "The modem's model");
  properties[PROP_REVISION] = string_property ("revision", "The modem's firmware revision");
  properties[PROP_IMEI] = string_property ("imei", "The modem's IMEI");
  properties[PROP_VERSION] = string_property ("version", "The daemon's version");
  properties[PROP_FREE_CLIENTS]
      = g_param_spec_uint ("free-clients", NULL, "Free client IDs, 0-6", 0, 6, 0,
                           G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REGISTRATION]
      = string_property ("registration", "unknown, idle, searching, home, roaming or denied");
  properties[PROP_ACCESS_TECHNOLOGY]
      = string_property ("access-technology", "lte-m, nb-iot or gsm; empty while not registered");
  properties[PROP_OPERATOR] = string_property ("operator", "The network's name");
  properties[PROP_SIGNAL]
      = variant_property ("signal", "a{sv}", "rssi, rsrp, rsrq and sinr, as far as reported");
  properties[PROP_DATA_CONTEXTS]
      = variant_property ("data-contexts", "a(ybs)", "(context ID, active, address)");
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_SESSION_ADDED]
      = g_signal_new ("session-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, QCOAP_TYPE_CLIENT_SESSION);
  signals[SIGNAL_SESSION_REMOVED]
      = g_signal_new ("session-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 1, QCOAP_TYPE_CLIENT_SESSION);
}

static void
qcoap_client_init (QcoapClient *self)
{
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->stale_adds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* ---- properties ---- */

GDBusConnection *
qcoap_client_get_connection (QcoapClient *self)
{
  g_return_val_if_fail (QCOAP_IS_CLIENT (self), NULL);

  return self->connection;
}

#define STRING_GETTER(name)                                                                        \
  const char *qcoap_client_get_##name (QcoapClient *self)                                          \
  {                                                                                                \
    g_return_val_if_fail (QCOAP_IS_CLIENT (self), NULL);                                           \
    return qcoap_manager_get_##name (self->manager) ?: "";                                         \
  }

STRING_GETTER (state)
STRING_GETTER (state_reason)
STRING_GETTER (device)
STRING_GETTER (manufacturer)
STRING_GETTER (model)
STRING_GETTER (revision)
STRING_GETTER (imei)
STRING_GETTER (version)
STRING_GETTER (registration)
STRING_GETTER (access_technology)
STRING_GETTER (operator)

/* A new reference to the proxy's value, or an empty one of @type before
 * the daemon has reported any. */
static GVariant *
variant_or_empty (GVariant *value, const char *type)
{
  if (value != NULL)
    return g_variant_ref (value);
  return g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE (type + 1), NULL, 0));
}

GVariant *
qcoap_client_get_signal (QcoapClient *self)
{
  g_return_val_if_fail (QCOAP_IS_CLIENT (self), NULL);

  return variant_or_empty (qcoap_manager_get_signal (self->manager), "a{sv}");
}

GVariant *
qcoap_client_get_data_contexts (QcoapClient *self)
{
  g_return_val_if_fail (QCOAP_IS_CLIENT (self), NULL);

  return variant_or_empty (qcoap_manager_get_data_contexts (self->manager), "a(ybs)");
}

guint
qcoap_client_get_free_clients (QcoapClient *self)
{
  g_return_val_if_fail (QCOAP_IS_CLIENT (self), 0);

  return qcoap_manager_get_free_clients (self->manager);
}

static gint
compare_by_client_id (gconstpointer a, gconstpointer b)
{
  guint id_a = qcoap_client_session_get_client_id ((QcoapClientSession *)a);
  guint id_b = qcoap_client_session_get_client_id ((QcoapClientSession *)b);

  return (id_a > id_b) - (id_a < id_b);
}

GList *
qcoap_client_get_sessions (QcoapClient *self)
{
  GList *sessions;

  g_return_val_if_fail (QCOAP_IS_CLIENT (self), NULL);

  sessions = g_hash_table_get_values (self->sessions);
  g_list_foreach (sessions, (GFunc)(void (*) (void))g_object_ref, NULL);
  return g_list_sort (sessions, compare_by_client_id);
}

/* The live session with client ID @id: the object path need not say it
 * (a daemon that never gives a path again counts them). */
static QcoapClientSession *
lookup_client_id (QcoapClient *self, guint id)
{
  GHashTableIter iter;
  gpointer session;

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &session))
    if (!_qcoap_client_session_is_closed (session)
        && qcoap_client_session_get_client_id (session) == id)
      return session;
  return NULL;
}

QcoapClientSession *
qcoap_client_lookup_session (QcoapClient *self, const char *id_or_path)
{
  guint64 id;

  g_return_val_if_fail (QCOAP_IS_CLIENT (self), NULL);
  g_return_val_if_fail (id_or_path != NULL, NULL);

  if (g_ascii_string_to_unsigned (id_or_path, 10, 0, 255, &id, NULL))
    return lookup_client_id (self, id);
  return g_hash_table_lookup (self->sessions, id_or_path);
}

/* ---- modems ---- */

#define MODEM_INTERFACE "org.qcoapd.CoAP1.Modem"

/* The Modem proxy the object manager holds at @path, or NULL: a daemon of
 * one modem only has none, and a modem's object may be announced after
 * the manager's Modems lists it. */
static QcoapModem *
modem_proxy_at (QcoapClient *self, const char *path)
{
  GDBusInterface *interface;

  if (!g_variant_is_object_path (path))
    return NULL;
  interface = g_dbus_object_manager_get_interface (self->object_manager, path, MODEM_INTERFACE);
  return interface ? QCOAP_MODEM (interface) : NULL;
}

/* The daemon's modems, in the order of its configuration; never NULL. */
static const char *const *
modem_paths (QcoapClient *self)
{
  static const char *const none[] = { NULL };
  const char *const *paths = qcoap_manager_get_modems (self->manager);

  return paths ? paths : none;
}

char **
qcoap_client_get_modems (QcoapClient *self)
{
  GPtrArray *names;

  g_return_val_if_fail (QCOAP_IS_CLIENT (self), NULL);

  names = g_ptr_array_new ();
  for (const char *const *path = modem_paths (self); *path != NULL; path++)
    {
      g_autoptr (QcoapModem) modem = modem_proxy_at (self, *path);
      const char *name = modem ? qcoap_modem_get_name (modem) : NULL;

      /* Not announced yet: the path is all there is to name it by. */
      g_ptr_array_add (names, g_strdup (name != NULL && *name != '\0' ? name : *path));
    }
  g_ptr_array_add (names, NULL);
  return (char **)g_ptr_array_free (names, FALSE);
}

/* The modem called @name_or_path, by its name or its object path. */
static QcoapModem *
modem_proxy_named (QcoapClient *self, const char *name_or_path)
{
  for (const char *const *path = modem_paths (self); *path != NULL; path++)
    {
      g_autoptr (QcoapModem) modem = modem_proxy_at (self, *path);

      if (g_str_equal (*path, name_or_path)
          || (modem && g_strcmp0 (qcoap_modem_get_name (modem), name_or_path) == 0))
        return g_steal_pointer (&modem);
    }
  return NULL;
}

GVariant *
qcoap_client_lookup_modem (QcoapClient *self, const char *name_or_path)
{
  g_autoptr (QcoapModem) modem = NULL;
  g_auto (GStrv) names = NULL;
  GVariantDict dict;

  g_return_val_if_fail (QCOAP_IS_CLIENT (self), NULL);
  g_return_val_if_fail (name_or_path != NULL, NULL);

  modem = modem_proxy_named (self, name_or_path);
  if (modem == NULL)
    return NULL;
  g_variant_dict_init (&dict, NULL);
  names = g_dbus_proxy_get_cached_property_names (G_DBUS_PROXY (modem));
  for (char **name = names; name && *name; name++)
    {
      g_autoptr (GVariant) value = g_dbus_proxy_get_cached_property (G_DBUS_PROXY (modem), *name);

      g_variant_dict_insert_value (&dict, *name, value);
    }
  g_variant_dict_insert (&dict, "ObjectPath", "o",
                         g_dbus_proxy_get_object_path (G_DBUS_PROXY (modem)));
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

/* ---- Open ---- */

/* Open's options as the library sends them: "listen" false unless the
 * caller says otherwise; *@listening says which. Floating. */
static GVariant *
open_options (GVariant *options, gboolean *listening)
{
  g_autoptr (GVariantDict) dict = NULL;

  if (options)
    g_variant_ref_sink (options);
  dict = g_variant_dict_new (options);
  if (options)
    g_variant_unref (options);
  if (g_variant_dict_contains (dict, "listen"))
    *listening = g_variant_dict_lookup (dict, "listen", "b", listening) && *listening;
  else
    {
      *listening = FALSE;
      g_variant_dict_insert (dict, "listen", "b", FALSE);
    }
  return g_variant_dict_end (dict);
}

static QcoapClientSession *
opened (QcoapClientSession *session, gboolean listening)
{
  _qcoap_client_session_set_listening (session, listening);
  return g_object_ref (session);
}

static void
open_got_proxy (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  QcoapClient *self = g_task_get_source_object (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapSession) proxy = qcoap_session_proxy_new_finish (result, &error);

  if (proxy == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task,
                         opened (track_session (self, proxy, NULL, FALSE),
                                 GPOINTER_TO_INT (g_task_get_task_data (task))),
                         g_object_unref);
}

static void
open_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  QcoapClient *self = g_task_get_source_object (task);
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  QcoapClientSession *session;

  if (!qcoap_manager_call_open_finish (QCOAP_MANAGER (source), &path, result, &error))
    {
      _qcoap_error_strip (error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* The object manager has normally announced the object already (the
   * daemon exports it before it replies); otherwise make a proxy here. */
  session = lookup_live (self, path);
  if (session != NULL)
    {
      g_task_return_pointer (task, opened (session, GPOINTER_TO_INT (g_task_get_task_data (task))),
                             g_object_unref);
      return;
    }
  qcoap_session_proxy_new (self->connection, G_DBUS_PROXY_FLAGS_NONE, QCOAP_SERVICE_NAME, path,
                           g_task_get_cancellable (task), open_got_proxy, g_object_ref (task));
}

void
qcoap_client_open (QcoapClient *self, const char *host, guint16 port, GVariant *options,
                   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;
  gboolean listening;

  g_return_if_fail (QCOAP_IS_CLIENT (self));
  g_return_if_fail (host != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, qcoap_client_open);
  options = open_options (options, &listening);
  g_task_set_task_data (task, GINT_TO_POINTER (listening), NULL);
  qcoap_manager_call_open (self->manager, host, port, options, cancellable, open_done, task);
}

QcoapClientSession *
qcoap_client_open_finish (QcoapClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

QcoapClientSession *
qcoap_client_open_sync (QcoapClient *self, const char *host, guint16 port, GVariant *options,
                        GCancellable *cancellable, GError **error)
{
  g_autofree char *path = NULL;
  g_autoptr (QcoapSession) proxy = NULL;
  QcoapClientSession *session;
  gboolean listening;

  g_return_val_if_fail (QCOAP_IS_CLIENT (self), NULL);
  g_return_val_if_fail (host != NULL, NULL);

  options = open_options (options, &listening);
  if (!qcoap_manager_call_open_sync (self->manager, host, port, options, &path, cancellable, error))
    {
      _qcoap_error_strip (error ? *error : NULL);
      return NULL;
    }
  /* A synchronous call does not run the main loop, so the object manager
   * may not have seen the new object yet. */
  session = lookup_live (self, path);
  if (session != NULL)
    return opened (session, listening);
  proxy = qcoap_session_proxy_new_sync (self->connection, G_DBUS_PROXY_FLAGS_NONE,
                                        QCOAP_SERVICE_NAME, path, cancellable, error);
  if (proxy == NULL)
    return NULL;
  return opened (track_session (self, proxy, NULL, FALSE), listening);
}

/* ---- one-shot Request ---- */

static void
request_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) options = NULL;
  g_autoptr (GVariant) payload = NULL;
  g_autoptr (GBytes) payload_bytes = NULL;
  guchar code;

  if (!qcoap_manager_call_request_finish (QCOAP_MANAGER (source), &code, &options, &payload, result,
                                          &error))
    {
      _qcoap_error_strip (error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  payload_bytes = g_variant_get_data_as_bytes (payload);
  g_task_return_pointer (task, qcoap_response_new (code, options, payload_bytes),
                         (GDestroyNotify)qcoap_response_unref);
}

void
qcoap_client_request (QcoapClient *self, guint8 code, const char *uri, GVariant *options,
                      GBytes *payload, GVariant *flags, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (QCOAP_IS_CLIENT (self));
  g_return_if_fail (uri != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, qcoap_client_request);
  qcoap_manager_call_request (self->manager, uri, code, _qcoap_options_or_empty (options),
                              _qcoap_bytes_to_variant (payload), _qcoap_dict_or_empty (flags),
                              cancellable, request_done, task);
}

QcoapResponse *
qcoap_client_request_finish (QcoapClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

QcoapResponse *
qcoap_client_request_sync (QcoapClient *self, guint8 code, const char *uri, GVariant *options,
                           GBytes *payload, GVariant *flags, GCancellable *cancellable,
                           GError **error)
{
  g_autoptr (GVariant) response_options = NULL;
  g_autoptr (GVariant) response_payload = NULL;
  g_autoptr (GBytes) payload_bytes = NULL;
  guchar response_code;

  g_return_val_if_fail (QCOAP_IS_CLIENT (self), NULL);
  g_return_val_if_fail (uri != NULL, NULL);

  if (!qcoap_manager_call_request_sync (self->manager, uri, code, _qcoap_options_or_empty (options),
                                        _qcoap_bytes_to_variant (payload),
                                        _qcoap_dict_or_empty (flags), &response_code,
                                        &response_options, &response_payload, cancellable, error))
    {
      _qcoap_error_strip (error ? *error : NULL);
      return NULL;
    }
  payload_bytes = g_variant_get_data_as_bytes (response_payload);
  return qcoap_response_new (response_code, response_options, payload_bytes);
}

/* ---- Command ---- */

/* The end of Command on the manager or on one modem's object: the two
 * generated proxies finish it alike. */
static void
command_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  char *response = NULL;
  gboolean done
      = QCOAP_IS_MODEM (source)
            ? qcoap_modem_call_command_finish (QCOAP_MODEM (source), &response, result, &error)
            : qcoap_manager_call_command_finish (QCOAP_MANAGER (source), &response, result, &error);

  if (!done)
    {
      _qcoap_error_strip (error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, response, g_free);
}

void
qcoap_client_command (QcoapClient *self, const char *command, guint timeout_ms,
                      GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (QCOAP_IS_CLIENT (self));
  g_return_if_fail (command != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, qcoap_client_command);
  qcoap_manager_call_command (self->manager, command, timeout_ms, cancellable, command_done, task);
}

char *
qcoap_client_command_finish (QcoapClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == qcoap_client_command, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

char *
qcoap_client_command_sync (QcoapClient *self, const char *command, guint timeout_ms,
                           GCancellable *cancellable, GError **error)
{
  char *response = NULL;

  g_return_val_if_fail (QCOAP_IS_CLIENT (self), NULL);
  g_return_val_if_fail (command != NULL, NULL);

  if (!qcoap_manager_call_command_sync (self->manager, command, timeout_ms, &response, cancellable,
                                        error))
    {
      _qcoap_error_strip (error ? *error : NULL);
      return NULL;
    }
  return response;
}

/* The modem @name_or_path names, or a QCOAP_ERROR_INVALID_ARGUMENT that
 * lists the modems there are. */
static QcoapModem *
modem_for_command (QcoapClient *self, const char *name_or_path, GError **error)
{
  QcoapModem *modem = modem_proxy_named (self, name_or_path);
  g_auto (GStrv) names = NULL;
  g_autofree char *list = NULL;

  if (modem != NULL)
    return modem;
  names = qcoap_client_get_modems (self);
  list = g_strjoinv (", ", names);
  g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
               "There is no modem \"%s\"; the modems are %s", name_or_path,
               *list ? list : "not listed by this qcoapd");
  return NULL;
}

void
qcoap_client_modem_command (QcoapClient *self, const char *modem, const char *command,
                            guint timeout_ms, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (QcoapModem) proxy = NULL;
  GError *error = NULL;

  g_return_if_fail (QCOAP_IS_CLIENT (self));
  g_return_if_fail (modem != NULL && command != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, qcoap_client_modem_command);
  if ((proxy = modem_for_command (self, modem, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  qcoap_modem_call_command (proxy, command, timeout_ms, cancellable, command_done,
                            g_steal_pointer (&task));
}

char *
qcoap_client_modem_command_finish (QcoapClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == qcoap_client_modem_command,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

char *
qcoap_client_modem_command_sync (QcoapClient *self, const char *modem, const char *command,
                                 guint timeout_ms, GCancellable *cancellable, GError **error)
{
  g_autoptr (QcoapModem) proxy = NULL;
  char *response = NULL;

  g_return_val_if_fail (QCOAP_IS_CLIENT (self), NULL);
  g_return_val_if_fail (modem != NULL && command != NULL, NULL);

  if ((proxy = modem_for_command (self, modem, error)) == NULL)
    return NULL;
  if (!qcoap_modem_call_command_sync (proxy, command, timeout_ms, &response, cancellable, error))
    {
      _qcoap_error_strip (error ? *error : NULL);
      return NULL;
    }
  return response;
}

/* ---- waiting for the modem ---- */

#define WAIT_READY_POLL_US (100 * 1000)

/* The manager's State and StateReason read from the bus now: a synchronous
 * caller runs no main loop, so the cached properties do not move. */
static gboolean
read_state (QcoapClient *self, char **state, char **reason, GCancellable *cancellable,
            GError **error)
{
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      self->connection, QCOAP_SERVICE_NAME, QCOAP_MANAGER_PATH, "org.freedesktop.DBus.Properties",
      "GetAll", g_variant_new ("(s)", "org.qcoapd.CoAP1"), G_VARIANT_TYPE ("(a{sv})"),
      G_DBUS_CALL_FLAGS_NONE, -1, cancellable, error);
  g_autoptr (GVariant) values = NULL;

  if (reply == NULL)
    return FALSE;
  values = g_variant_get_child_value (reply, 0);
  if (!g_variant_lookup (values, "State", "s", state))
    *state = g_strdup ("");
  if (!g_variant_lookup (values, "StateReason", "s", reason))
    *reason = g_strdup ("");
  return TRUE;
}

gboolean
qcoap_client_wait_ready_sync (QcoapClient *self, guint timeout_ms, GCancellable *cancellable,
                              GError **error)
{
  gint64 end = g_get_monotonic_time () + (gint64)timeout_ms * 1000;

  g_return_val_if_fail (QCOAP_IS_CLIENT (self), FALSE);

  while (TRUE)
    {
      g_autofree char *state = NULL;
      g_autofree char *reason = NULL;

      if (!read_state (self, &state, &reason, cancellable, error))
        {
          _qcoap_error_strip (error ? *error : NULL);
          return FALSE;
        }
      if (g_str_equal (state, "ready"))
        return TRUE;
      if (g_get_monotonic_time () >= end
          || g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          if (error && *error == NULL)
            g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_MODEM_UNAVAILABLE,
                         "The modem was not ready within %u ms: it is %s%s%s", timeout_ms, state,
                         *reason ? ": " : "", reason);
          return FALSE;
        }
      g_usleep (WAIT_READY_POLL_US);
    }
}

typedef struct
{
  QcoapClient *client;
  gulong notify_handler;
  guint timeout_source;
} WaitReady;

static void
wait_ready_free (WaitReady *wait)
{
  g_clear_signal_handler (&wait->notify_handler, wait->client);
  g_clear_handle_id (&wait->timeout_source, g_source_remove);
  g_object_unref (wait->client);
  g_free (wait);
}

/* Ends the wait once: its handlers go before the task returns. */
static void
finish_wait (GTask *task, GError *error)
{
  WaitReady *wait = g_task_get_task_data (task);

  g_clear_signal_handler (&wait->notify_handler, wait->client);
  g_clear_handle_id (&wait->timeout_source, g_source_remove);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
on_state_notify (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  if (g_strcmp0 (qcoap_client_get_state (QCOAP_CLIENT (object)), "ready") == 0)
    finish_wait (user_data, NULL);
}

static gboolean
on_wait_ready_timeout (gpointer user_data)
{
  GTask *task = user_data;
  WaitReady *wait = g_task_get_task_data (task);
  const char *reason = qcoap_client_get_state_reason (wait->client);

  wait->timeout_source = 0;
  finish_wait (task,
               g_error_new (QCOAP_ERROR, QCOAP_ERROR_MODEM_UNAVAILABLE,
                            "The modem was not ready in time: it is %s%s%s",
                            qcoap_client_get_state (wait->client), *reason ? ": " : "", reason));
  return G_SOURCE_REMOVE;
}

void
qcoap_client_wait_ready (QcoapClient *self, guint timeout_ms, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  WaitReady *wait = g_new0 (WaitReady, 1);

  g_task_set_source_tag (task, qcoap_client_wait_ready);
  wait->client = g_object_ref (self);
  g_task_set_task_data (task, wait, (GDestroyNotify)wait_ready_free);
  if (g_strcmp0 (qcoap_client_get_state (self), "ready") == 0)
    {
      finish_wait (task, NULL);
      return;
    }
  wait->notify_handler
      = g_signal_connect (self, "notify::state", G_CALLBACK (on_state_notify), task);
  wait->timeout_source = g_timeout_add (timeout_ms, on_wait_ready_timeout, task);
}

gboolean
qcoap_client_wait_ready_finish (QcoapClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == qcoap_client_wait_ready, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
