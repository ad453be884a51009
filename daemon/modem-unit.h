/* SPDX-License-Identifier: MIT */
/* modem-unit.h — one configured modem and everything that is its own.
 *
 * A unit owns a modem's port and engine (Modem), its network (Network),
 * its six client IDs (ClientPool), the take-over of what the previous run
 * left on it (Adopter, with its own state file), the sweep of client IDs
 * it may have kept (id-sweep), the sessions on its client IDs, and its
 * object /org/qcoapd/CoAP1/Modem/N. Everything below a unit knows one
 * modem only; the service holds the units and is the only place that knows
 * there are several.
 */
#pragma once

#include <gio/gio.h>

#include "caller.h"
#include "ended-sessions.h"
#include "modem-init.h"
#include "network.h"
#include "qcoap-dbus-generated.h"
#include "session.h"
#include "state-file.h"

G_BEGIN_DECLS

#define MODEM_UNIT_DEFAULT_NAME "default"
#define MODEM_UNIT_PATH_PREFIX  "/org/qcoapd/CoAP1/Modem/"
/* The longest name of a modem ([modem NAME]), as its sessions' state
 * file keeps it. */
#define MODEM_UNIT_MAX_NAME STATE_FILE_MAX_MODEM_NAME

/* One [modem NAME] group ([modem] is the modem "default"). */
typedef struct
{
  char *name;
  char *device;
  guint baud;
  gboolean rtscts;
  ModemSettings settings; /* UrcPort=, PowerSaving= */
  /* Its own [modem NAME context N] groups; a context it does not configure
   * is the shared [context N]. */
  NetworkConfig network;
} ModemUnitConfig;

void modem_unit_config_init (ModemUnitConfig *config, const char *name, const char *device,
                             guint baud);
void modem_unit_config_clear (ModemUnitConfig *config);
void modem_unit_config_copy (ModemUnitConfig *dest, const ModemUnitConfig *src);

typedef struct _ModemUnit ModemUnit;

/* What the service hears from a unit; each gets the unit's @user_data. */
typedef struct
{
  /* The modem, its network or its free client IDs changed. */
  void (*changed) (ModemUnit *unit, gpointer user_data);
  /* A session appeared on the bus, or left it. */
  void (*sessions_changed) (ModemUnit *unit, gpointer user_data);
  /* A client ID became free: calls waiting for one may try again. */
  void (*client_freed) (ModemUnit *unit, gpointer user_data);
} ModemUnitListener;

/* Shared with every unit: who calls, what ended sessions answer, where
 * sessions and modems are exported, and the sessions' limits. */
typedef struct
{
  CallerRegistry *callers;
  EndedSessions *ended;
  GDBusObjectManagerServer *object_manager;
  SessionLimits limits;
} ModemUnitShared;

/* @number makes its path (MODEM_UNIT_PATH_PREFIX @number); @network is the
 * shared data-context configuration, which @config's own groups override. */
ModemUnit *modem_unit_new (guint number, const ModemUnitConfig *config,
                           const NetworkConfig *network, const ModemUnitShared *shared,
                           const ModemUnitListener *listener, gpointer user_data);
void modem_unit_free (ModemUnit *unit);

void modem_unit_start (ModemUnit *unit);
/* The bus (its ID @bus_id) is known, or known anew; NULL: the same bus
 * again. The take-over may run. */
void modem_unit_set_bus (ModemUnit *unit, const char *bus_id);

const char *modem_unit_get_name (ModemUnit *unit);
const char *modem_unit_get_path (ModemUnit *unit);
/* Its org.qcoapd.CoAP1.Modem interface, whose properties the manager shows
 * for the first modem. */
QcoapModem *modem_unit_get_interface (ModemUnit *unit);
ClientPool *modem_unit_get_pool (ModemUnit *unit);

/* Whether sessions may be opened on it now, and if not why
 * (ModemUnavailable). */
gboolean modem_unit_check_ready (ModemUnit *unit, GError **error);
/* Whether user @uid may take one more of its client IDs: within
 * MaxClientsPerUser (@max_per_user), and not one of the last
 * ReservedForRoot free ones (root always may); if not, NoFreeClient. */
gboolean modem_unit_check_share (ModemUnit *unit, uid_t uid, guint max_per_user,
                                 guint reserved_for_root, GError **error);
gboolean modem_unit_is_registered (ModemUnit *unit);
/* The signal as one number, higher is better (RSRP, else RSSI; G_MININT
 * when unknown). */
int modem_unit_signal_rank (ModemUnit *unit);
guint modem_unit_count_sessions (ModemUnit *unit);
guint modem_unit_count_sessions_of (ModemUnit *unit, uid_t uid);
guint modem_unit_count_free (ModemUnit *unit);
/* "ready; home, LTE-M, …; 2 sessions", for systemd's STATUS=. */
char *modem_unit_status (ModemUnit *unit);
/* Adds the paths of its exported sessions to @paths. */
void modem_unit_list_sessions (ModemUnit *unit, GPtrArray *paths);

/* A new session on one of its client IDs, not yet open: into the table. */
void modem_unit_add_session (ModemUnit *unit, Session *session);
/* Its open failed (its client ID is free again): out of the table. */
void modem_unit_drop_session (ModemUnit *unit, Session *session);
/* It is open: on the bus, and in the state file unless @temporary. */
void modem_unit_export_session (ModemUnit *unit, Session *session, gboolean temporary);
/* Where a session of this unit reports its end. */
void modem_unit_session_ended (Session *session, gpointer unit);

/* Whether @unit is a better choice than @than for a new session:
 * registered first, then fewer sessions, then the better signal. */
gboolean modem_unit_is_better (ModemUnit *unit, ModemUnit *than);
/* Whether it cannot serve now: not ready (gone, restarting, asleep), or
 * ready without registration. */
gboolean modem_unit_is_away (ModemUnit *unit);
/* Its sessions that may move to another modem now (session_can_move()),
 * each with a reference. */
GPtrArray *modem_unit_movable_sessions (ModemUnit *unit);
/* Moves @session, one of @from's, to a free client ID of @to and opens it
 * there; FALSE (nothing changed) if @to has no free client ID. */
gboolean modem_unit_move_session (ModemUnit *from, ModemUnit *to, Session *session);

/* Command(command, timeout_ms) on this modem: root only, once ready. */
void modem_unit_handle_command (ModemUnit *unit, GDBusMethodInvocation *invocation,
                                const char *command, guint timeout_ms);

/* The daemon goes: the sessions are saved and left open on the modem. */
void modem_unit_leave_sessions (ModemUnit *unit);

G_END_DECLS
