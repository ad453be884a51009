/* SPDX-License-Identifier: MIT */
/* caller.c — see caller.h. */
#include "caller.h"

#include "log-level.h"
#include "qcoap-error.h"

#define BUS_NAME      "org.freedesktop.DBus"
#define BUS_PATH      "/org/freedesktop/DBus"
#define BUS_INTERFACE "org.freedesktop.DBus"
#define ROOT_UID      0

struct _Caller
{
  GObject parent;
  char *bus_name;
  uid_t uid;
  guint32 pid; /* 0: unknown */
  char *description;
  guint watch;
  gboolean on_bus;
  guint listening; /* sessions it listens to */
};

enum
{
  SIGNAL_VANISHED,
  N_SIGNALS,
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (Caller, caller, G_TYPE_OBJECT)

static void
caller_finalize (GObject *object)
{
  Caller *self = QCOAPD_CALLER (object);

  g_clear_handle_id (&self->watch, g_bus_unwatch_name);
  g_free (self->bus_name);
  g_free (self->description);
  G_OBJECT_CLASS (caller_parent_class)->finalize (object);
}

static void
caller_class_init (CallerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = caller_finalize;
  /* The caller's connection left the bus. */
  signals[SIGNAL_VANISHED] = g_signal_new ("vanished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
caller_init (Caller *self)
{
  self->on_bus = TRUE;
}

/* The command name of a process, for logs only: it is whatever the process
 * chose to call itself. */
static char *
read_command_name (guint32 pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%u/comm", pid);
  g_autofree char *contents = NULL;

  if (pid == 0 || !g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  return g_strdup (g_strstrip (contents));
}

static Caller *
caller_new (const char *bus_name, uid_t uid, guint32 pid)
{
  Caller *self = g_object_new (CALLER_TYPE, NULL);
  g_autofree char *command = read_command_name (pid);

  self->bus_name = g_strdup (bus_name);
  self->uid = uid;
  self->pid = pid;
  if (command)
    self->description = g_strdup_printf ("uid %u, pid %u (%s)", (guint)uid, pid, command);
  else if (pid)
    self->description = g_strdup_printf ("uid %u, pid %u", (guint)uid, pid);
  else
    self->description = g_strdup_printf ("uid %u (%s)", (guint)uid, bus_name);
  return self;
}

Caller *
caller_new_departed (const char *bus_name, uid_t uid)
{
  Caller *self = caller_new (bus_name, uid, 0);

  self->on_bus = FALSE;
  return self;
}

const char *
caller_get_bus_name (Caller *caller)
{
  return caller->bus_name;
}

uid_t
caller_get_uid (Caller *caller)
{
  return caller->uid;
}

const char *
caller_describe (Caller *caller)
{
  return caller->description;
}

gboolean
caller_is_on_bus (Caller *caller)
{
  return caller->on_bus;
}

void
caller_add_listening (Caller *caller)
{
  caller->listening++;
}

void
caller_remove_listening (Caller *caller)
{
  g_return_if_fail (caller->listening > 0);
  caller->listening--;
}

gboolean
caller_authorize (Caller *caller, uid_t owner_uid, GError **error, const char *format, ...)
{
  g_autofree char *what = NULL;
  va_list args;

  if (caller->uid == ROOT_UID || caller->uid == owner_uid)
    return TRUE;
  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_info ("%s denied access to %s of uid %u", caller->description, what, (guint)owner_uid);
  g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_ACCESS_DENIED, "%s belongs to another user", what);
  return FALSE;
}

/* ---- the registry ---------------------------------------------------------------- */

struct _CallerRegistry
{
  GDBusConnection *connection;
  GDBusConnection *lookup_connection; /* NULL: connection */
  GHashTable *callers;                /* unique name → Caller */
};

CallerRegistry *
caller_registry_new (GDBusConnection *connection)
{
  CallerRegistry *registry = g_new0 (CallerRegistry, 1);

  registry->connection = connection ? g_object_ref (connection) : NULL;
  registry->callers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  return registry;
}

static void
forget_all (CallerRegistry *registry)
{
  GHashTableIter iter;
  Caller *caller;

  g_hash_table_iter_init (&iter, registry->callers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&caller))
    g_clear_handle_id (&caller->watch, g_bus_unwatch_name);
  g_hash_table_remove_all (registry->callers);
}

void
caller_registry_free (CallerRegistry *registry)
{
  if (registry == NULL)
    return;
  forget_all (registry);
  g_hash_table_unref (registry->callers);
  g_clear_object (&registry->connection);
  g_clear_object (&registry->lookup_connection);
  g_free (registry);
}

static void watch (CallerRegistry *registry, Caller *caller);
static void forget (CallerRegistry *registry, Caller *caller);

/* The bus of the new connection is the same bus when its GUID is: then every
 * known caller is still who it was, and is watched again (one that left in
 * between is reported as vanished at once). On another bus the names mean
 * nothing: every known caller has vanished. */
void
caller_registry_set_connection (CallerRegistry *registry, GDBusConnection *connection,
                                GDBusConnection *lookup_connection)
{
  gboolean same_bus = registry->connection != NULL
                      && g_strcmp0 (g_dbus_connection_get_guid (registry->connection),
                                    g_dbus_connection_get_guid (connection))
                             == 0;
  g_autoptr (GPtrArray) callers = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  Caller *caller;

  g_hash_table_iter_init (&iter, registry->callers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&caller))
    {
      g_clear_handle_id (&caller->watch, g_bus_unwatch_name);
      g_ptr_array_add (callers, g_object_ref (caller));
    }
  g_set_object (&registry->connection, connection);
  g_set_object (&registry->lookup_connection, lookup_connection);
  for (guint i = 0; i < callers->len; i++)
    {
      if (same_bus)
        watch (registry, g_ptr_array_index (callers, i));
      else
        forget (registry, g_ptr_array_index (callers, i));
    }
}

/* A connection that left the bus has left the registry, and its listeners
 * have gone with it. */
guint
caller_registry_count_listening (CallerRegistry *registry, uid_t uid)
{
  GHashTableIter iter;
  Caller *caller;
  guint count = 0;

  g_hash_table_iter_init (&iter, registry->callers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&caller))
    if (caller->uid == uid)
      count += caller->listening;
  return count;
}

Caller *
caller_registry_peek (CallerRegistry *registry, const char *bus_name)
{
  return bus_name ? g_hash_table_lookup (registry->callers, bus_name) : NULL;
}

typedef struct
{
  CallerRegistry *registry;
  Caller *caller;
} WatchData;

/* The caller left the bus: it is forgotten, and its holders are told. */
static void
forget (CallerRegistry *registry, Caller *caller)
{
  g_autoptr (Caller) hold = g_object_ref (caller);

  g_clear_handle_id (&caller->watch, g_bus_unwatch_name);
  caller->on_bus = FALSE;
  qcoapd_debug ("%s left the bus", caller->description);
  g_hash_table_remove (registry->callers, caller->bus_name);
  g_signal_emit (caller, signals[SIGNAL_VANISHED], 0);
}

static void
on_name_vanished (GDBusConnection *connection, const char *name, gpointer user_data)
{
  WatchData *data = user_data;

  /* A watch also reports its name gone when our own connection closes: the
   * caller is watched again on the next one (see set_connection). */
  if (connection == NULL || g_dbus_connection_is_closed (connection))
    return;
  forget (data->registry, data->caller);
}

static void
watch (CallerRegistry *registry, Caller *caller)
{
  WatchData *data = g_new0 (WatchData, 1);

  data->registry = registry;
  data->caller = caller;
  caller->watch = g_bus_watch_name_on_connection (registry->connection, caller->bus_name,
                                                  G_BUS_NAME_WATCHER_FLAGS_NONE, NULL,
                                                  on_name_vanished, data, g_free);
}

/* Unique names are never reused within a bus's life, so a caller stays known
 * until its name leaves the bus. */
static Caller *
remember (CallerRegistry *registry, const char *bus_name, uid_t uid, guint32 pid)
{
  Caller *caller = g_hash_table_lookup (registry->callers, bus_name);

  if (caller)
    return caller;
  caller = caller_new (bus_name, uid, pid);
  g_hash_table_insert (registry->callers, caller->bus_name, caller);
  watch (registry, caller);
  return caller;
}

static void
on_credentials (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  CallerRegistry *registry = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) credentials = NULL;
  guint32 uid, pid = 0;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply)
    credentials = g_variant_get_child_value (reply, 0);
  if (credentials == NULL || !g_variant_lookup (credentials, "UnixUserID", "u", &uid))
    {
      g_info ("The bus did not say who %s is: %s", g_task_get_name (task),
              error ? error->message : "no user in its answer");
      g_task_return_new_error (task, QCOAP_ERROR, QCOAP_ERROR_MODEM_UNAVAILABLE,
                               "qcoapd could not learn from the bus who calls (%s); try again",
                               error ? error->message : "no user in its answer");
      return;
    }
  g_variant_lookup (credentials, "ProcessID", "u", &pid);
  g_task_return_pointer (
      task, g_object_ref (remember (registry, g_task_get_name (task), (uid_t)uid, pid)),
      g_object_unref);
}

void
caller_registry_lookup (CallerRegistry *registry, const char *bus_name, GCancellable *cancellable,
                        GAsyncReadyCallback callback, gpointer user_data)
{
  /* The registry is a plain struct: it rides along as the task's data. */
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  Caller *known = caller_registry_peek (registry, bus_name);

  g_task_set_source_tag (task, caller_registry_lookup);
  g_task_set_task_data (task, registry, NULL);
  g_task_set_name (task, bus_name);
  if (known)
    {
      g_task_return_pointer (task, g_object_ref (known), g_object_unref);
      return;
    }
  g_dbus_connection_call (
      registry->lookup_connection ? registry->lookup_connection : registry->connection, BUS_NAME,
      BUS_PATH, BUS_INTERFACE, "GetConnectionCredentials", g_variant_new ("(s)", bus_name),
      G_VARIANT_TYPE ("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, CALLER_LOOKUP_TIMEOUT_MS, cancellable,
      on_credentials, g_steal_pointer (&task));
}

Caller *
caller_registry_lookup_finish (CallerRegistry *registry, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == caller_registry_lookup, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
