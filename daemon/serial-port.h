/* SPDX-License-Identifier: MIT */
/* serial-port.h — the modem's AT port: a raw 8N1 tty owned exclusively.
 *
 * The port is opened non-blocking, put into raw mode at the configured speed
 * and made exclusive twice over: TIOCEXCL refuses further open()s by anyone but
 * root, and a flock() tells cooperating programs (ModemManager honours it
 * through its port probing rules) that the port is taken. Both end when the
 * daemon lets the port go (TIOCNXCL before the close). Reads are delivered
 * from the thread-default main context; writes are queued and drained when
 * the tty accepts them, so a paced line never blocks the daemon.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SerialPort SerialPort;

/* Bytes read from the port. */
typedef void (*SerialPortDataFunc) (const guint8 *data, gsize length, gpointer user_data);
/* The port failed (hang-up, read or write error); it is closed already. */
typedef void (*SerialPortLostFunc) (const GError *error, gpointer user_data);

/* Is @baud one of the line speeds the port can be set to (9600 to 921600)? */
gboolean serial_port_baud_is_supported (guint baud);

SerialPort *serial_port_open (const char *path, guint baud, gboolean rtscts,
                              SerialPortDataFunc data_func, SerialPortLostFunc lost_func,
                              gpointer user_data, GError **error);
void serial_port_close (SerialPort *port);

/* Queues @length bytes for writing. FALSE when the port is closed. */
gboolean serial_port_write (SerialPort *port, const guint8 *data, gsize length);

const char *serial_port_get_path (SerialPort *port);
gboolean serial_port_is_open (SerialPort *port);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SerialPort, serial_port_close)

G_END_DECLS
