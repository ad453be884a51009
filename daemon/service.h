/* SPDX-License-Identifier: MIT */
/* service.h — the D-Bus service: the manager object and its sessions.
 *
 * The service exports org.qcoapd.CoAP1 (and an ObjectManager) at
 * /org/qcoapd/CoAP1, holds one unit per configured modem (modem-unit.h;
 * each with its object /org/qcoapd/CoAP1/Modem/N and its sessions), hands
 * Open and the one-shot Request to the opener, which chooses the modem,
 * and lists every modem's sessions. The manager's modem properties are
 * the first modem's. A session belongs to the Unix user that opened it
 * (root excepted), and a non-persistent one also to the caller's
 * connection.
 */
#pragma once

#include <gio/gio.h>

#include "modem-init.h"
#include "modem-unit.h"
#include "network.h"

G_BEGIN_DECLS

#define SERVICE_BUS_NAME    "org.qcoapd.CoAP1"
#define SERVICE_OBJECT_PATH "/org/qcoapd/CoAP1"

/* The most [modem NAME] groups one daemon drives. */
#define SERVICE_MAX_MODEMS 8

typedef struct
{
  ModemUnitConfig modems[SERVICE_MAX_MODEMS]; /* in the order of the file */
  guint n_modems;
  guint max_clients_per_user; /* for users other than root, per modem */
  guint queue_limit;          /* calls waiting per session (for the modem or a response) */
  guint max_in_flight;        /* confirmable messages awaiting their Ack, per session */
  guint reserved_for_root;    /* client IDs only root may take, per modem */
  guint max_idle_timeout;     /* the longest idle-timeout of a persistent session, s */
  NetworkConfig network;      /* [context N], [network]: every modem's */
} ServiceConfig;

void service_config_init (ServiceConfig *config);
void service_config_clear (ServiceConfig *config);
/* The modem named @name, added with the defaults if it is new; NULL when
 * there are SERVICE_MAX_MODEMS already. */
ModemUnitConfig *service_config_modem (ServiceConfig *config, const char *name);
/* The first configured modem; the modem "default" if none is. */
ModemUnitConfig *service_config_first_modem (ServiceConfig *config);

typedef struct _Service Service;

/* @status_func gets a one-line status for systemd (STATUS=) on changes. */
Service *service_new (const ServiceConfig *config,
                      void (*status_func) (const char *status, gpointer user_data),
                      gpointer user_data);
/* Exports the manager and every session on @connection (the first one, or
 * a new one after the old closed: sessions, listeners and queues stay).
 * Who calls is asked on @lookup_connection, a second connection to the
 * same bus (see caller_registry_set_connection()). */
gboolean service_export (Service *service, GDBusConnection *connection,
                         GDBusConnection *lookup_connection, GError **error);
/* The bus connection closed: the objects wait for the next export. */
void service_connection_lost (Service *service, const char *reason);
/* Opens the modem's port and starts serving. */
void service_start (Service *service);
/* Saves the sessions in the state file and leaves them open on the modem
 * for the next run to adopt (calls waiting fail with Closed), then calls
 * @done. */
void service_stop (Service *service, void (*done) (gpointer user_data), gpointer user_data);
void service_free (Service *service);

G_END_DECLS
