/* SPDX-License-Identifier: MIT */
/* manager-network.h — the network's state as the manager shows it: the
 * Registration, AccessTechnology, Operator, Signal and DataContexts
 * properties, and the network's part of systemd's STATUS= line. */
#pragma once

#include "network.h"
#include "qcoap-dbus-generated.h"

G_BEGIN_DECLS

/* Sets the properties of @object, a QcoapModem (or anything with the same
 * properties); the skeleton emits PropertiesChanged for those that
 * changed. */
void manager_network_update (GObject *object, Network *network);

/* "home, LTE-M, Fake Telecom, RSRP -87 dBm; context 1 up", or
 * "searching; context 1 down". */
char *manager_network_status (Network *network);

/* The whole STATUS= line, with the modem's @state and the number of client
 * IDs in use: "ready; home, LTE-M, Fake Telecom, RSRP -87 dBm; context 1
 * up; 2 sessions". */
char *manager_network_status_line (ModemState state, Network *network, guint sessions);

G_END_DECLS
