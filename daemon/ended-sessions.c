/* SPDX-License-Identifier: MIT */
/* ended-sessions.c — see ended-sessions.h. */
#include "ended-sessions.h"

#include "qcoap-dbus-generated.h"
#include "qcoap-error.h"
#include "session.h"

/* The subtree's root: SESSION_OBJECT_PATH_PREFIX without its last '/'. */
#define SESSIONS_ROOT "/org/qcoapd/CoAP1/Session"

struct _EndedSessions
{
  GHashTable *reasons; /* path → reason */
  GQueue order;        /* paths, oldest first (owned by reasons) */
  GDBusConnection *connection;
  guint registration;
};

EndedSessions *
ended_sessions_new (void)
{
  EndedSessions *ended = g_new0 (EndedSessions, 1);

  ended->reasons = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_queue_init (&ended->order);
  return ended;
}

static void
unregister (EndedSessions *ended)
{
  if (ended->connection != NULL && ended->registration != 0)
    g_dbus_connection_unregister_subtree (ended->connection, ended->registration);
  ended->registration = 0;
  g_clear_object (&ended->connection);
}

void
ended_sessions_free (EndedSessions *ended)
{
  if (ended == NULL)
    return;
  unregister (ended);
  g_queue_clear (&ended->order);
  g_hash_table_unref (ended->reasons);
  g_free (ended);
}

void
ended_sessions_add (EndedSessions *ended, const char *path, const char *reason)
{
  char *key = g_strdup (path);

  if (g_hash_table_contains (ended->reasons, path))
    return;
  if (g_queue_get_length (&ended->order) >= ENDED_SESSIONS_KEPT)
    g_hash_table_remove (ended->reasons, g_queue_pop_head (&ended->order));
  g_hash_table_insert (ended->reasons, key, g_strdup (reason));
  g_queue_push_tail (&ended->order, key);
}

const char *
ended_sessions_lookup (EndedSessions *ended, const char *path)
{
  return g_hash_table_lookup (ended->reasons, path);
}

/* ---- the subtree ------------------------------------------------------------------- */

static GError *
closed_error (EndedSessions *ended, const char *path)
{
  const char *reason = ended_sessions_lookup (ended, path);

  if (reason != NULL)
    return g_error_new (QCOAP_ERROR, QCOAP_ERROR_CLOSED, "The session %s has closed: %s", path,
                        reason);
  return g_error_new (QCOAP_ERROR, QCOAP_ERROR_CLOSED, "%s is an unknown or ended session", path);
}

static void
on_method_call (GDBusConnection *connection, const char *sender, const char *path,
                const char *interface, const char *method, GVariant *parameters,
                GDBusMethodInvocation *invocation, gpointer user_data)
{
  g_dbus_method_invocation_take_error (invocation, closed_error (user_data, path));
}

/* No get_property: GDBus then hands Properties.Get, Set and GetAll to
 * method_call too, so that GetAll answers Closed rather than {}. */
static const GDBusInterfaceVTable session_vtable = {
  .method_call = on_method_call,
};

/* No child is listed: only live sessions show in introspection and in the
 * ObjectManager. */
static char **
on_enumerate (GDBusConnection *connection, const char *sender, const char *path, gpointer user_data)
{
  return g_new0 (char *, 1);
}

static GDBusInterfaceInfo **
on_introspect (GDBusConnection *connection, const char *sender, const char *path, const char *node,
               gpointer user_data)
{
  GPtrArray *interfaces = g_ptr_array_new ();

  if (node != NULL)
    g_ptr_array_add (interfaces, g_dbus_interface_info_ref (qcoap_session_interface_info ()));
  g_ptr_array_add (interfaces, NULL);
  return (GDBusInterfaceInfo **)g_ptr_array_free (interfaces, FALSE);
}

static const GDBusInterfaceVTable *
on_dispatch (GDBusConnection *connection, const char *sender, const char *path,
             const char *interface, const char *node, gpointer *out_user_data, gpointer user_data)
{
  *out_user_data = user_data;
  return node != NULL ? &session_vtable : NULL;
}

static const GDBusSubtreeVTable subtree_vtable = {
  .enumerate = on_enumerate,
  .introspect = on_introspect,
  .dispatch = on_dispatch,
};

gboolean
ended_sessions_export (EndedSessions *ended, GDBusConnection *connection, GError **error)
{
  unregister (ended);
  ended->registration = g_dbus_connection_register_subtree (
      connection, SESSIONS_ROOT, &subtree_vtable,
      G_DBUS_SUBTREE_FLAGS_DISPATCH_TO_UNENUMERATED_NODES, ended, NULL, error);
  if (ended->registration == 0)
    return FALSE;
  ended->connection = g_object_ref (connection);
  return TRUE;
}
