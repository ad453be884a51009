/* SPDX-License-Identifier: MIT */
/* bus-link.c — see bus-link.h. */
#include "bus-link.h"

#include "backoff.h"

#define FIRST_PAUSE_MS 50
#define MAX_PAUSE_MS   2000
/* After a loss the bus may not have noticed yet that the old connection is
 * gone: the new one queues for the name and must have it within this time. */
#define NAME_WAIT_MS 5000

struct _BusLink
{
  char *address; /* NULL: resolved from type at each connection */
  GBusType type;
  char *name;
  BusLinkListener listener;
  gpointer user_data;

  GDBusConnection *connection;
  gulong closed_handler;
  GDBusConnection *lookup_connection;
  gulong lookup_closed_handler;
  guint name_id;
  guint retry_source;
  guint name_wait_source;
  guint attempts;
  GArray *losses; /* gint64 monotonic times of recent losses */
  gint64 lost_at;
};

static void on_closed (GDBusConnection *connection, gboolean remote_peer_vanished, GError *error,
                       gpointer user_data);

BusLink *
bus_link_new (const char *address, GBusType type, const char *name, const BusLinkListener *listener,
              gpointer user_data)
{
  BusLink *link = g_new0 (BusLink, 1);

  link->address = g_strdup (address);
  link->type = type;
  link->name = g_strdup (name);
  link->listener = *listener;
  link->user_data = user_data;
  link->losses = g_array_new (FALSE, FALSE, sizeof (gint64));
  return link;
}

static void
drop_connection (BusLink *link)
{
  g_clear_handle_id (&link->name_wait_source, g_source_remove);
  g_clear_handle_id (&link->name_id, g_bus_unown_name);
  if (link->connection)
    g_clear_signal_handler (&link->closed_handler, link->connection);
  g_clear_object (&link->connection);
  if (link->lookup_connection)
    g_clear_signal_handler (&link->lookup_closed_handler, link->lookup_connection);
  g_clear_object (&link->lookup_connection);
}

void
bus_link_free (BusLink *link)
{
  if (link == NULL)
    return;
  g_clear_handle_id (&link->retry_source, g_source_remove);
  drop_connection (link);
  g_array_unref (link->losses);
  g_free (link->address);
  g_free (link->name);
  g_free (link);
}

GDBusConnection *
bus_link_get_connection (BusLink *link)
{
  return link->connection;
}

GDBusConnection *
bus_link_get_lookup_connection (BusLink *link)
{
  return link->lookup_connection;
}

void
bus_link_flush (BusLink *link)
{
  if (link->connection && !g_dbus_connection_is_closed (link->connection))
    g_dbus_connection_flush_sync (link->connection, NULL, NULL);
}

static void
on_name_acquired (GDBusConnection *connection, const char *name, gpointer user_data)
{
  BusLink *link = user_data;

  g_info ("Owning %s", name);
  g_clear_handle_id (&link->name_wait_source, g_source_remove);
  link->listener.name_acquired (link, link->user_data);
}

static void
on_name_lost (GDBusConnection *connection, const char *name, gpointer user_data)
{
  BusLink *link = user_data;

  /* A closed connection also "loses" the name: that is a loss, handled by
   * on_closed(), not a rival. */
  if (connection == NULL || g_dbus_connection_is_closed (connection))
    return;
  /* Queued behind our old connection (GIO reports that as lost, then
   * acquired): the wait has its own timer. */
  if (link->name_wait_source)
    return;
  link->listener.failed (link, "could not own the name (another qcoapd, or the bus policy)",
                         link->user_data);
}

/* A connection of our own each time: the bus singletons of GIO would hand
 * back the closed one. */
static GDBusConnection *
open_connection (BusLink *link, GError **error)
{
  g_autofree char *address = NULL;

  address = link->address ? g_strdup (link->address)
                          : g_dbus_address_get_for_bus_sync (link->type, NULL, error);
  if (address == NULL)
    return NULL;
  return g_dbus_connection_new_for_address_sync (
      address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, error);
}

static gboolean
on_name_wait_over (gpointer user_data)
{
  BusLink *link = user_data;

  link->name_wait_source = 0;
  link->listener.failed (link, "the old connection still held the name", link->user_data);
  return G_SOURCE_REMOVE;
}

/* Opens a connection that stays when GDBus closes it: the link decides. */
static GDBusConnection *
open_kept_connection (BusLink *link, gulong *closed_handler, GError **error)
{
  GDBusConnection *connection = open_connection (link, error);

  if (connection == NULL)
    return NULL;
  /* GDBus would otherwise raise SIGTERM, a clean stop, when it closes. */
  g_dbus_connection_set_exit_on_close (connection, FALSE);
  *closed_handler = g_signal_connect (connection, "closed", G_CALLBACK (on_closed), link);
  return connection;
}

static gboolean
connect_once (BusLink *link, gboolean reconnected, GError **error)
{
  link->connection = open_kept_connection (link, &link->closed_handler, error);
  if (link->connection == NULL)
    return FALSE;
  link->lookup_connection = open_kept_connection (link, &link->lookup_closed_handler, error);
  if (link->lookup_connection == NULL)
    return FALSE;
  if (!link->listener.connected (link, link->connection, reconnected, error, link->user_data))
    return FALSE;
  link->name_id = g_bus_own_name_on_connection (link->connection, link->name,
                                                reconnected ? G_BUS_NAME_OWNER_FLAGS_NONE
                                                            : G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                                on_name_acquired, on_name_lost, link, NULL);
  if (reconnected)
    link->name_wait_source = g_timeout_add (NAME_WAIT_MS, on_name_wait_over, link);
  return TRUE;
}

gboolean
bus_link_start (BusLink *link, GError **error)
{
  return connect_once (link, FALSE, error);
}

static gboolean
try_reconnect (gpointer user_data)
{
  BusLink *link = user_data;
  g_autoptr (GError) error = NULL;
  guint pause_ms;

  link->retry_source = 0;
  link->attempts++;
  if (connect_once (link, TRUE, &error))
    {
      g_message ("Connected to the bus again after %" G_GINT64_FORMAT " ms (attempt %u)",
                 (g_get_monotonic_time () - link->lost_at) / 1000, link->attempts);
      return G_SOURCE_REMOVE;
    }
  drop_connection (link);
  if (link->attempts >= BUS_LINK_CONNECT_ATTEMPTS)
    {
      g_autofree char *why
          = g_strdup_printf ("could not connect to the bus again: %s", error->message);

      link->listener.failed (link, why, link->user_data);
      return G_SOURCE_REMOVE;
    }
  pause_ms = backoff_delay (FIRST_PAUSE_MS, MAX_PAUSE_MS, link->attempts);
  g_warning ("Could not connect to the bus again (%s); next attempt in %u ms", error->message,
             pause_ms);
  link->retry_source = g_timeout_add (pause_ms, try_reconnect, link);
  return G_SOURCE_REMOVE;
}

/* Counts this loss; FALSE if there were too many in the window. */
static gboolean
count_loss (BusLink *link, gint64 now)
{
  gint64 window_start = now - (gint64)BUS_LINK_LOSS_WINDOW_S * G_USEC_PER_SEC;

  while (link->losses->len > 0 && g_array_index (link->losses, gint64, 0) < window_start)
    g_array_remove_index (link->losses, 0);
  g_array_append_val (link->losses, now);
  return link->losses->len <= BUS_LINK_MAX_LOSSES;
}

static void
on_closed (GDBusConnection *connection, gboolean remote_peer_vanished, GError *error,
           gpointer user_data)
{
  BusLink *link = user_data;
  g_autofree char *reason = g_strdup (error                  ? error->message
                                      : remote_peer_vanished ? "the bus went away"
                                                             : "closed");

  link->lost_at = g_get_monotonic_time ();
  drop_connection (link);
  link->listener.lost (link, reason, link->user_data);
  if (!count_loss (link, link->lost_at))
    {
      g_autofree char *why = g_strdup_printf ("lost the bus connection %u times within %d s",
                                              link->losses->len, BUS_LINK_LOSS_WINDOW_S);

      link->listener.failed (link, why, link->user_data);
      return;
    }
  link->attempts = 0;
  link->retry_source = g_idle_add (try_reconnect, link);
}
