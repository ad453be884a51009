/* SPDX-License-Identifier: MIT */
/* sim-port.h — the modem's serial port: a pseudo-terminal whose slave side a
 * symbolic link names, and paced output.
 *
 * With a baud rate, output leaves at N/10 bytes per second as on a real UART
 * (8N1); without, as fast as the host reads. Input may be paced too: the
 * modem then gets the host's bytes when the line would have carried them.
 * "Split writes" writes one byte per write(), a millisecond apart, so a host
 * sees every response in pieces. Unplugging closes the pty (the host's
 * descriptor hangs up) and removes the link; replugging makes a new pty at
 * the same path.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SimPort SimPort;

typedef void (*SimPortInputFunc) (const guint8 *data, gsize length, gpointer user_data);

SimPort *sim_port_new (const char *link_path, guint baud, SimPortInputFunc input_func,
                       gpointer user_data, GError **error);
/* Removes the link. */
void sim_port_free (SimPort *port);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimPort, sim_port_free)

/* Queues bytes for the host; dropped while unplugged. */
void sim_port_write (SimPort *port, const void *data, gsize length);
void sim_port_set_split_writes (SimPort *port, gboolean split);
/* With a baud rate: hold the host's bytes for their time on the line. */
void sim_port_set_pace_input (SimPort *port, gboolean pace);

void sim_port_unplug (SimPort *port);
gboolean sim_port_replug (SimPort *port, GError **error);
gboolean sim_port_is_plugged (SimPort *port);

/* Serial bytes received from and sent to the host since start. */
guint64 sim_port_get_rx_bytes (SimPort *port);
guint64 sim_port_get_tx_bytes (SimPort *port);

G_END_DECLS
