/* SPDX-License-Identifier: MIT */
/* session-listeners.c — see session-listeners.h. */
#include "session-listeners.h"
#include "log-level.h"

#include "qcoap-error.h"
#include "token-bucket.h"

/* Received dropped are told at most once in this time: a flood must not
 * flood the journal too. */
#define DROPPED_REPORT_INTERVAL_S 1

struct _SessionListeners
{
  guint session_id;
  CallerRegistry *callers;
  GPtrArray *listeners; /* of Listener */

  TokenBucket received_budget;
  guint dropped_unreported; /* since the last warning */
  guint64 dropped;          /* in all */
  guint report_source;
};

/* One connection that hears the session's signals. */
typedef struct
{
  SessionListeners *owner; /* which frees its listeners before it goes */
  Caller *caller;
  gulong vanished_handler;
} Listener;

static void
listener_free (Listener *listener)
{
  g_clear_signal_handler (&listener->vanished_handler, listener->caller);
  caller_remove_listening (listener->caller);
  g_object_unref (listener->caller);
  g_free (listener);
}

SessionListeners *
session_listeners_new (CallerRegistry *callers, guint session_id)
{
  SessionListeners *self = g_new0 (SessionListeners, 1);

  self->session_id = session_id;
  self->callers = callers;
  self->listeners = g_ptr_array_new_with_free_func ((GDestroyNotify)listener_free);
  token_bucket_init (&self->received_budget, SESSION_RECEIVED_RATE, SESSION_RECEIVED_BURST,
                     g_get_monotonic_time ());
  return self;
}

static void
report_dropped (SessionListeners *self)
{
  if (self->dropped_unreported == 0)
    return;
  g_warning ("Session %u: %u Received dropped, more than %u a second came (%" G_GUINT64_FORMAT
             " dropped in all)",
             self->session_id, self->dropped_unreported, SESSION_RECEIVED_RATE, self->dropped);
  self->dropped_unreported = 0;
}

void
session_listeners_free (SessionListeners *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id (&self->report_source, g_source_remove);
  report_dropped (self);
  g_ptr_array_unref (self->listeners);
  g_free (self);
}

static Listener *
find_listener (SessionListeners *self, Caller *caller, guint *index)
{
  for (guint i = 0; i < self->listeners->len; i++)
    {
      Listener *listener = g_ptr_array_index (self->listeners, i);

      if (listener->caller == caller)
        {
          if (index)
            *index = i;
          return listener;
        }
    }
  return NULL;
}

void
session_listeners_remove (SessionListeners *self, Caller *caller)
{
  guint index;

  if (find_listener (self, caller, &index))
    g_ptr_array_remove_index_fast (self->listeners, index);
}

void
session_listeners_clear (SessionListeners *self)
{
  g_ptr_array_set_size (self->listeners, 0);
}

gboolean
session_listeners_any (SessionListeners *self)
{
  return self->listeners->len > 0;
}

static void
on_listener_vanished (Caller *caller, gpointer user_data)
{
  Listener *listener = user_data;

  qcoapd_debug ("Session %u: listener (%s) left the bus", listener->owner->session_id,
                caller_describe (caller));
  session_listeners_remove (listener->owner, caller);
}

static void
add (SessionListeners *self, Caller *caller)
{
  Listener *listener = g_new0 (Listener, 1);

  listener->owner = self;
  listener->caller = g_object_ref (caller);
  caller_add_listening (caller);
  listener->vanished_handler
      = g_signal_connect (caller, "vanished", G_CALLBACK (on_listener_vanished), listener);
  g_ptr_array_add (self->listeners, listener);
  qcoapd_debug ("Session %u: %s listens", self->session_id, caller_describe (caller));
}

void
session_listeners_add_opener (SessionListeners *self, Caller *caller)
{
  if (!find_listener (self, caller, NULL) && caller_is_on_bus (caller))
    add (self, caller);
}

/* Each listener costs the daemon and the bus a copy of every signal. */
static gboolean
check_caps (SessionListeners *self, Caller *caller, GError **error)
{
  uid_t uid = caller_get_uid (caller);

  if (self->listeners->len >= SESSION_MAX_LISTENERS)
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_QUEUE_FULL,
                   "Session %u has %u listeners, the most one session may have", self->session_id,
                   SESSION_MAX_LISTENERS);
      return FALSE;
    }
  if (caller_registry_count_listening (self->callers, uid) >= USER_MAX_LISTENERS)
    {
      g_info ("%s may not listen to session %u: user %u listens %u times already",
              caller_describe (caller), self->session_id, (guint)uid, USER_MAX_LISTENERS);
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_QUEUE_FULL,
                   "User %u listens to sessions %u times already, the most one user may; "
                   "Unlisten elsewhere first",
                   (guint)uid, USER_MAX_LISTENERS);
      return FALSE;
    }
  return TRUE;
}

gboolean
session_listeners_add (SessionListeners *self, Caller *caller, GError **error)
{
  if (find_listener (self, caller, NULL) || !caller_is_on_bus (caller))
    return TRUE;
  if (!check_caps (self, caller, error))
    return FALSE;
  add (self, caller);
  return TRUE;
}

/* Addressed to each listener's unique name: never broadcast, so that no one
 * else on the bus hears the session's traffic. (The generated
 * qcoap_session_emit_*() would broadcast.) */
void
session_listeners_emit (SessionListeners *self, GDBusInterfaceSkeleton *skeleton,
                        const char *member, GVariant *parameters)
{
  g_autoptr (GVariant) args = g_variant_ref_sink (parameters);
  const char *path = g_dbus_interface_skeleton_get_object_path (skeleton);
  const char *interface = g_dbus_interface_skeleton_get_info (skeleton)->name;
  GList *connections;

  if (path == NULL)
    return;
  connections = g_dbus_interface_skeleton_get_connections (skeleton);
  for (GList *l = connections; l; l = l->next)
    for (guint i = 0; i < self->listeners->len; i++)
      {
        Listener *listener = g_ptr_array_index (self->listeners, i);

        g_dbus_connection_emit_signal (l->data, caller_get_bus_name (listener->caller), path,
                                       interface, member, args, NULL);
      }
  g_list_free_full (connections, g_object_unref);
}

static gboolean
on_report_due (gpointer user_data)
{
  SessionListeners *self = user_data;

  self->report_source = 0;
  report_dropped (self);
  return G_SOURCE_REMOVE;
}

/* The first message dropped starts the interval; those dropped in it are
 * told at its end, in one line. */
static void
count_dropped (SessionListeners *self)
{
  self->dropped++;
  self->dropped_unreported++;
  if (self->report_source == 0)
    self->report_source = g_timeout_add_seconds (DROPPED_REPORT_INTERVAL_S, on_report_due, self);
}

gboolean
session_listeners_admit_received (SessionListeners *self)
{
  if (token_bucket_take (&self->received_budget, g_get_monotonic_time ()))
    return TRUE;
  count_dropped (self);
  return FALSE;
}
