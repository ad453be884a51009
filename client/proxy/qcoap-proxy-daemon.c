/* SPDX-License-Identifier: MIT */
/* qcoap-proxy-daemon.c — see qcoap-proxy-daemon.h. */
#include "qcoap-proxy-daemon.h"

struct _ProxyDaemon
{
  GDBusConnection *connection;
  QcoapClient *client; /* NULL until qcoapd was first seen */
  guint watch_id;
  gboolean present;         /* qcoapd owns its name */
  ProxyFailure unavailable; /* code 0 while the modem can serve */
};

/* The manager's properties that say whether the modem can serve; the
 * decision is remade when one of them changes, not per request. */
static const char *const modem_properties[] = { "state", "registration", "data-contexts" };

/* Decides again from the client's cached properties (kept up to date by
 * the daemon's PropertiesChanged), and logs when the answer changes. */
static void
update_modem (ProxyDaemon *self)
{
  g_autoptr (GVariant) contexts = qcoap_client_get_data_contexts (self->client);
  ProxyModemStatus status = { qcoap_client_get_state (self->client),
                              qcoap_client_get_registration (self->client), contexts };
  ProxyFailure now = { 0 };

  proxy_modem_check (&status, PROXY_PDP_CONTEXT, &now);
  if (g_strcmp0 (now.diagnostic, self->unavailable.diagnostic) != 0)
    {
      if (now.code != 0)
        g_message ("the modem cannot serve (%s): requests are answered 5.03 at once",
                   now.diagnostic);
      else if (*status.state != '\0') /* not when qcoapd left the bus */
        g_message ("the modem can serve again");
    }
  proxy_failure_clear (&self->unavailable);
  self->unavailable = now;
}

static void
on_modem_notify (QcoapClient *client, GParamSpec *pspec, gpointer user_data)
{
  update_modem (user_data);
}

/* Makes the client when qcoapd is there. QcoapClient's proxies follow the
 * name's owner, so one client serves every later instance of qcoapd. */
static gboolean
ensure_client (ProxyDaemon *self, GError **error)
{
  if (self->client != NULL)
    return TRUE;
  self->client = qcoap_client_new_for_connection_sync (self->connection, NULL, error);
  if (self->client == NULL)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (modem_properties); i++)
    {
      g_autofree char *signal = g_strconcat ("notify::", modem_properties[i], NULL);

      g_signal_connect (self->client, signal, G_CALLBACK (on_modem_notify), self);
    }
  update_modem (self);
  return TRUE;
}

static void
on_name_appeared (GDBusConnection *connection, const char *name, const char *owner,
                  gpointer user_data)
{
  ProxyDaemon *self = user_data;
  g_autoptr (GError) error = NULL;

  g_message ("qcoapd is on the bus as %s", owner);
  self->present = TRUE;
  if (!ensure_client (self, &error))
    g_warning ("qcoapd is on the bus but cannot be used yet: %s", error->message);
}

static void
on_name_vanished (GDBusConnection *connection, const char *name, gpointer user_data)
{
  ProxyDaemon *self = user_data;

  /* Requests get 5.02 until it is back; the bus says when. */
  self->present = FALSE;
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
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  g_clear_object (&self->connection);
  proxy_failure_clear (&self->unavailable);
  g_free (self);
}

QcoapClient *
proxy_daemon_get_client (ProxyDaemon *self, GError **error)
{
  return ensure_client (self, error) ? self->client : NULL;
}

gboolean
proxy_daemon_check_modem (ProxyDaemon *self, ProxyFailure *failure)
{
  if (!self->present || self->unavailable.code == 0)
    return TRUE;
  proxy_failure_set (failure, self->unavailable.code, "%s", self->unavailable.diagnostic);
  failure->max_age = self->unavailable.max_age;
  return FALSE;
}
