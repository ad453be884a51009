/* qcoap-proxy-daemon.c — see qcoap-proxy-daemon.h. */
#include "qcoap-proxy-daemon.h"

struct _ProxyDaemon
{
  GDBusConnection *connection;
  QcoapClient *client; /* NULL until qcoapd was first seen */
  guint watch_id;
};

/* Makes the client when qcoapd is there. QcoapClient's proxies follow the
 * name's owner, so one client serves every later instance of qcoapd. */
static gboolean
ensure_client (ProxyDaemon *self, GError **error)
{
  if (self->client != NULL)
    return TRUE;
  self->client = qcoap_client_new_for_connection_sync (self->connection, NULL, error);
  return self->client != NULL;
}

static void
on_name_appeared (GDBusConnection *connection, const char *name, const char *owner,
                  gpointer user_data)
{
  ProxyDaemon *self = user_data;
  g_autoptr (GError) error = NULL;

  g_message ("qcoapd is on the bus as %s", owner);
  if (!ensure_client (self, &error))
    g_warning ("qcoapd is on the bus but cannot be used yet: %s", error->message);
}

static void
on_name_vanished (GDBusConnection *connection, const char *name, gpointer user_data)
{
  /* Requests get 5.02 until it is back; the bus says when. */
  g_message ("qcoapd is not on the bus; requests are answered 5.02 until it returns");
}

ProxyDaemon *
proxy_daemon_new (GDBusConnection *connection)
{
  ProxyDaemon *self = g_new0 (ProxyDaemon, 1);

  self->connection = g_object_ref (connection);
  self->watch_id = g_bus_watch_name_on_connection (connection, QCOAP_SERVICE_NAME,
                                                   G_BUS_NAME_WATCHER_FLAGS_AUTO_START,
                                                   on_name_appeared, on_name_vanished, self, NULL);
  return self;
}

void
proxy_daemon_free (ProxyDaemon *self)
{
  g_bus_unwatch_name (self->watch_id);
  g_clear_object (&self->client);
  g_clear_object (&self->connection);
  g_free (self);
}

QcoapClient *
proxy_daemon_get_client (ProxyDaemon *self, GError **error)
{
  return ensure_client (self, error) ? self->client : NULL;
}
