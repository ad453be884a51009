/* SPDX-License-Identifier: MIT */
/* bus-link.h — the daemon's connection to its bus, kept up.
 *
 * The link connects to the bus, owns the service's name, and, when the
 * connection closes under it, connects again and owns the name again, so
 * that the sessions in memory go on serving. A connection closes when the
 * bus goes away, and also when GDBus cannot read a message it received (GLib
 * computes an array's end before the padding of its first struct or dict
 * entry, so some valid bodies fail to parse, and GDBus then gives up on the
 * whole connection): any caller the bus lets in can send such a message.
 * Reconnecting is bounded: after too many losses in a short time the link
 * gives up, and the daemon exits with a failure for systemd to restart it.
 *
 * Beside it the link keeps a second connection to the same bus, for asking
 * the bus who a caller is: the main connection's outgoing queue can hold
 * megabytes of signals for slow listeners, and a question asked there waits
 * behind them. The second connection sends nothing else, owns no name, and
 * is made again with the main one; either one closing is a loss of both.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* At most this many losses within BUS_LINK_LOSS_WINDOW_S seconds. */
#define BUS_LINK_MAX_LOSSES    100
#define BUS_LINK_LOSS_WINDOW_S 60
/* Attempts to connect again after one loss, with pauses of 50 ms doubling
 * up to 2 s. */
#define BUS_LINK_CONNECT_ATTEMPTS 12

typedef struct _BusLink BusLink;

typedef struct
{
  /* A connection is up (the first one or a new one): export everything on
   * it. FALSE with @error stops the link. */
  gboolean (*connected) (BusLink *link, GDBusConnection *connection, gboolean reconnected,
                         GError **error, gpointer user_data);
  /* The connection closed; @connected is called again once a new one is up. */
  void (*lost) (BusLink *link, const char *reason, gpointer user_data);
  void (*name_acquired) (BusLink *link, gpointer user_data);
  /* The name is taken by someone else, or the link gave up. */
  void (*failed) (BusLink *link, const char *why, gpointer user_data);
} BusLinkListener;

/* @address: a bus address, or NULL for the bus of @type. */
BusLink *bus_link_new (const char *address, GBusType type, const char *name,
                       const BusLinkListener *listener, gpointer user_data);
void bus_link_free (BusLink *link);

/* Makes the first connection (synchronously) and starts owning the name. */
gboolean bus_link_start (BusLink *link, GError **error);
GDBusConnection *bus_link_get_connection (BusLink *link);
/* The second connection, for the bus's own methods only. */
GDBusConnection *bus_link_get_lookup_connection (BusLink *link);
/* Writes out what is queued on the connection (before exiting). */
void bus_link_flush (BusLink *link);

G_END_DECLS
