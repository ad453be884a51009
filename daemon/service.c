/* SPDX-License-Identifier: MIT */
/* service.c — see service.h. The manager object, the modems and the list
 * of sessions; each modem's unit keeps its own session table. */
#include "service.h"

#include "caller.h"
#include "dbus-args.h"
#include "ended-sessions.h"
#include "modem-unit.h"
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
/* Between the STATUS= parts of several modems. */
#define STATUS_SEPARATOR " | "

/* The properties the manager shows of the first modem, by their GObject
 * names: the same on org.qcoapd.CoAP1 and org.qcoapd.CoAP1.Modem. */
static const char *const first_modem_properties[] = {
  "state",    "state-reason", "device",        "manufacturer", "model",
  "revision", "imei",         "free-clients",  "registration", "access-technology",
  "operator", "signal",       "data-contexts",
};

struct _Service
{
  GDBusConnection *connection;
  ServiceConfig config;
  void (*status_func) (const char *status, gpointer user_data);
  gpointer status_data;

  QcoapManager *manager;
  GDBusObjectManagerServer *object_manager;
  GPtrArray *units;     /* ModemUnit, in the order of the configuration */
  EndedSessions *ended; /* what a call on an ended session's path gets */
  CallerRegistry *callers;
  Opener *opener;
};

void
service_config_init (ServiceConfig *config)
{
  config->n_modems = 0;
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
  for (guint i = 0; i < config->n_modems; i++)
    modem_unit_config_clear (&config->modems[i]);
  config->n_modems = 0;
  network_config_clear (&config->network);
}

ModemUnitConfig *
service_config_modem (ServiceConfig *config, const char *name)
{
  for (guint i = 0; i < config->n_modems; i++)
    if (g_str_equal (config->modems[i].name, name))
      return &config->modems[i];
  if (config->n_modems == SERVICE_MAX_MODEMS)
    return NULL;
  modem_unit_config_init (&config->modems[config->n_modems], name, DEFAULT_DEVICE, DEFAULT_BAUD);
  return &config->modems[config->n_modems++];
}

ModemUnitConfig *
service_config_first_modem (ServiceConfig *config)
{
  if (config->n_modems == 0)
    return service_config_modem (config, MODEM_UNIT_DEFAULT_NAME);
  return &config->modems[0];
}

static void
service_config_copy (ServiceConfig *dest, const ServiceConfig *src)
{
  *dest = *src;
  for (guint i = 0; i < src->n_modems; i++)
    modem_unit_config_copy (&dest->modems[i], &src->modems[i]);
  network_config_copy (&dest->network, &src->network);
}

/* ---- properties ----------------------------------------------------------------- */

static void
update_status (Service *service)
{
  g_autoptr (GString) status = g_string_new (NULL);

  if (!service->status_func)
    return;
  for (guint i = 0; i < service->units->len; i++)
    {
      ModemUnit *unit = service->units->pdata[i];
      g_autofree char *line = modem_unit_status (unit);

      if (service->units->len == 1)
        g_string_append (status, line);
      else
        g_string_append_printf (status, "%s%s: %s", i > 0 ? STATUS_SEPARATOR : "",
                                modem_unit_get_name (unit), line);
    }
  service->status_func (status->str, service->status_data);
}

static void
update_sessions_property (Service *service)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new ();

  for (guint i = 0; i < service->units->len; i++)
    modem_unit_list_sessions (service->units->pdata[i], paths);
  g_ptr_array_add (paths, NULL);
  qcoap_manager_set_sessions (service->manager, (const char *const *)paths->pdata);
}

/* ---- what the modems tell ---------------------------------------------------------- */

static void
on_unit_changed (ModemUnit *unit, gpointer user_data)
{
  update_status (user_data);
}

static void
on_unit_sessions_changed (ModemUnit *unit, gpointer user_data)
{
  update_sessions_property (user_data);
}

static void
on_unit_client_freed (ModemUnit *unit, gpointer user_data)
{
  Service *service = user_data;

  opener_serve_waiting (service->opener);
}

/* ---- the manager's methods ---------------------------------------------------------- */

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

/* The manager's Command is the first modem's. */
static gboolean
on_handle_command (QcoapManager *manager, GDBusMethodInvocation *invocation, const char *command,
                   guint timeout_ms, Service *service)
{
  modem_unit_handle_command (service->units->pdata[0], invocation, command, timeout_ms);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- life cycle ---------------------------------------------------------------------- */

/* The manager object: its modem properties follow the first modem's. */
static void
create_manager (Service *service)
{
  QcoapModem *first = modem_unit_get_interface (service->units->pdata[0]);
  g_autoptr (GPtrArray) modems = g_ptr_array_new ();

  service->manager = qcoap_manager_skeleton_new ();
  qcoap_manager_set_version (service->manager, QCOAPD_VERSION);
  for (gsize i = 0; i < G_N_ELEMENTS (first_modem_properties); i++)
    g_object_bind_property (first, first_modem_properties[i], service->manager,
                            first_modem_properties[i], G_BINDING_SYNC_CREATE);
  for (guint i = 0; i < service->units->len; i++)
    g_ptr_array_add (modems, (gpointer)modem_unit_get_path (service->units->pdata[i]));
  g_ptr_array_add (modems, NULL);
  qcoap_manager_set_modems (service->manager, (const char *const *)modems->pdata);
  update_sessions_property (service);
  g_signal_connect (service->manager, "handle-open", G_CALLBACK (on_handle_open), service);
  g_signal_connect (service->manager, "handle-request", G_CALLBACK (on_handle_request), service);
  g_signal_connect (service->manager, "handle-command", G_CALLBACK (on_handle_command), service);
}

static void
create_units (Service *service)
{
  const ModemUnitListener listener = {
    .changed = on_unit_changed,
    .sessions_changed = on_unit_sessions_changed,
    .client_freed = on_unit_client_freed,
  };
  const ModemUnitShared shared = {
    .callers = service->callers,
    .ended = service->ended,
    .object_manager = service->object_manager,
    .limits = { service->config.queue_limit, service->config.max_in_flight },
  };

  service_config_first_modem (&service->config);
  service->units = g_ptr_array_new_with_free_func ((GDestroyNotify)modem_unit_free);
  for (guint i = 0; i < service->config.n_modems; i++)
    g_ptr_array_add (service->units,
                     modem_unit_new (i + 1, &service->config.modems[i], &service->config.network,
                                     &shared, &listener, service));
}

Service *
service_new (const ServiceConfig *config,
             void (*status_func) (const char *status, gpointer user_data), gpointer user_data)
{
  Service *service = g_new0 (Service, 1);
  const ServiceConfig *c = config;
  OpenerLimits opener_limits = { c->max_clients_per_user,
                                 c->reserved_for_root,
                                 c->max_idle_timeout,
                                 { c->queue_limit, c->max_in_flight } };

  service_config_copy (&service->config, config);
  service->status_func = status_func;
  service->status_data = user_data;
  service->callers = caller_registry_new (NULL);
  service->ended = ended_sessions_new ();
  service->object_manager = g_dbus_object_manager_server_new (SERVICE_OBJECT_PATH);
  create_units (service);
  service->opener = opener_new (service->units, service->callers, &opener_limits);
  create_manager (service);
  update_status (service);
  return service;
}

gboolean
service_export (Service *service, GDBusConnection *connection, GDBusConnection *lookup_connection,
                GError **error)
{
  GDBusInterfaceSkeleton *manager = G_DBUS_INTERFACE_SKELETON (service->manager);
  const char *bus_id = NULL;

  if (g_dbus_interface_skeleton_get_connection (manager))
    g_dbus_interface_skeleton_unexport (manager);
  if (connection != service->connection)
    {
      g_set_object (&service->connection, connection);
      caller_registry_set_connection (service->callers, connection, lookup_connection);
      bus_id = g_dbus_connection_get_guid (connection);
    }
  if (!g_dbus_interface_skeleton_export (manager, connection, SERVICE_OBJECT_PATH, error)
      || !ended_sessions_export (service->ended, connection, error))
    return FALSE;
  g_dbus_object_manager_server_set_connection (service->object_manager, connection);
  for (guint i = 0; i < service->units->len; i++)
    modem_unit_set_bus (service->units->pdata[i], bus_id);
  return TRUE;
}

static guint
count_sessions (Service *service)
{
  guint count = 0;

  for (guint i = 0; i < service->units->len; i++)
    count += modem_unit_count_sessions (service->units->pdata[i]);
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
  for (guint i = 0; i < service->units->len; i++)
    modem_unit_start (service->units->pdata[i]);
}

/* The daemon goes: its sessions stay open on the modems, and the state
 * files tell the next run what they are. */
static void
leave_sessions (Service *service)
{
  opener_fail_waiting (service->opener);
  for (guint i = 0; i < service->units->len; i++)
    modem_unit_leave_sessions (service->units->pdata[i]);
}

void
service_stop (Service *service, void (*done) (gpointer user_data), gpointer user_data)
{
  leave_sessions (service);
  done (user_data);
}

void
service_free (Service *service)
{
  if (service == NULL)
    return;
  g_clear_pointer (&service->opener, opener_free);
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (service->manager));
  g_clear_object (&service->manager);
  /* Each unit leaves its sessions for the next run, as service_stop(). */
  g_clear_pointer (&service->units, g_ptr_array_unref);
  g_clear_object (&service->object_manager);
  g_clear_pointer (&service->ended, ended_sessions_free);
  g_clear_pointer (&service->callers, caller_registry_free);
  service_config_clear (&service->config);
  g_clear_object (&service->connection);
  g_free (service);
}
