/* SPDX-License-Identifier: MIT */
/* serial-port.c — see serial-port.h. */
#include "serial-port.h"
#include "log-level.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <sys/file.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

struct _SerialPort
{
  char *path;
  int fd;
  guint read_watch;
  guint write_watch;
  guint lost_idle;
  GError *lost_error;
  GByteArray *outgoing;
  SerialPortDataFunc data_func;
  SerialPortLostFunc lost_func;
  gpointer user_data;
};

static speed_t
baud_to_speed (guint baud)
{
  switch (baud)
    {
      case 9600:
        return B9600;
      case 19200:
        return B19200;
      case 38400:
        return B38400;
      case 57600:
        return B57600;
      case 115200:
        return B115200;
      case 230400:
        return B230400;
      case 460800:
        return B460800;
      case 921600:
        return B921600;
      default:
        return 0;
    }
}

gboolean
serial_port_baud_is_supported (guint baud)
{
  return baud_to_speed (baud) != 0;
}

static gboolean
configure_tty (int fd, guint baud, gboolean rtscts, GError **error)
{
  struct termios tio;
  speed_t speed = baud_to_speed (baud);

  if (speed == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Unsupported baud rate %u (use 9600 … 921600)", baud);
      return FALSE;
    }
  if (tcgetattr (fd, &tio) < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "Not a terminal: %s",
                   g_strerror (errno));
      return FALSE;
    }
  cfmakeraw (&tio);
  tio.c_cflag |= CLOCAL | CREAD;
  tio.c_cflag &= ~(CSTOPB | PARENB | CSIZE);
  tio.c_cflag |= CS8;
  if (rtscts)
    tio.c_cflag |= CRTSCTS;
  else
    tio.c_cflag &= ~CRTSCTS;
  tio.c_cc[VMIN] = 1;
  tio.c_cc[VTIME] = 0;
  cfsetispeed (&tio, speed);
  cfsetospeed (&tio, speed);
  if (tcsetattr (fd, TCSANOW, &tio) < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Cannot configure the line: %s", g_strerror (errno));
      return FALSE;
    }
  tcflush (fd, TCIOFLUSH);
  return TRUE;
}

/* TIOCEXCL stays on the tty after close() for as long as anyone else holds
 * it open (the other side of a pty, a getty's descriptor): without this a
 * restarted daemon, which is not root, would get EBUSY. A port that hung up
 * may refuse it, and then has nothing left to release. */
static void
release_port (SerialPort *port)
{
  if (ioctl (port->fd, TIOCNXCL) < 0)
    qcoapd_debug ("TIOCNXCL failed on %s: %s", port->path, g_strerror (errno));
  close (port->fd);
  port->fd = -1;
}

static void
stop_io (SerialPort *port)
{
  if (port->read_watch)
    g_source_remove (port->read_watch);
  if (port->write_watch)
    g_source_remove (port->write_watch);
  port->read_watch = port->write_watch = 0;
  if (port->fd >= 0)
    release_port (port);
  g_byte_array_set_size (port->outgoing, 0);
}

static gboolean
deliver_lost (gpointer user_data)
{
  SerialPort *port = user_data;
  g_autoptr (GError) error = g_steal_pointer (&port->lost_error);

  port->lost_idle = 0;
  if (port->lost_func)
    port->lost_func (error, port->user_data);
  return G_SOURCE_REMOVE;
}

/* Closes the descriptor at once and tells the owner from an idle callback, so
 * that the owner may free the port without pulling it from under a caller. */
static void
report_lost (SerialPort *port, int err, const char *what)
{
  stop_io (port);
  if (port->lost_idle)
    return;
  port->lost_error = g_error_new (
      G_IO_ERROR, err ? g_io_error_from_errno (err) : G_IO_ERROR_BROKEN_PIPE, "%s on %s%s%s", what,
      port->path, err ? ": " : "", err ? g_strerror (err) : "");
  port->lost_idle = g_idle_add (deliver_lost, port);
}

static gboolean
on_readable (int fd, GIOCondition condition, gpointer user_data)
{
  SerialPort *port = user_data;
  guint8 buffer[4096];
  ssize_t n;

  n = read (fd, buffer, sizeof buffer);
  if (n > 0)
    {
      port->data_func (buffer, (gsize)n, port->user_data);
      return G_SOURCE_CONTINUE;
    }
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return G_SOURCE_CONTINUE;

  /* A pty whose other side has gone reads EIO; a real tty hangs up with 0. */
  port->read_watch = 0;
  report_lost (port, n < 0 ? errno : 0, n < 0 ? "Read error" : "Hang-up");
  return G_SOURCE_REMOVE;
}

static gboolean flush_outgoing (SerialPort *port);

static gboolean
on_writable (int fd, GIOCondition condition, gpointer user_data)
{
  SerialPort *port = user_data;

  /* This watch ends here; flush_outgoing() arms a new one if the tty is
   * still full, and a write error inside it then has nothing to remove. */
  port->write_watch = 0;
  flush_outgoing (port);
  return G_SOURCE_REMOVE;
}

/* Writes as much as the tty takes now. Returns TRUE while bytes remain. */
static gboolean
flush_outgoing (SerialPort *port)
{
  while (port->outgoing->len > 0)
    {
      ssize_t n = write (port->fd, port->outgoing->data, port->outgoing->len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        {
          if (port->write_watch == 0)
            port->write_watch = g_unix_fd_add (port->fd, G_IO_OUT, on_writable, port);
          return TRUE;
        }
      if (n < 0)
        {
          report_lost (port, errno, "Write error");
          return FALSE;
        }
      g_byte_array_remove_range (port->outgoing, 0, (guint)n);
    }
  return FALSE;
}

gboolean
serial_port_write (SerialPort *port, const guint8 *data, gsize length)
{
  if (port->fd < 0)
    return FALSE;
  g_byte_array_append (port->outgoing, data, (guint)length);
  if (port->write_watch == 0)
    flush_outgoing (port);
  return TRUE;
}

/* The first other process with @device open, as "pid 4242, picocom", or
 * NULL: only the processes whose /proc entries the daemon may read are
 * looked at (all of them for root). */
static char *
find_holder (const char *device)
{
  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
  struct stat target;
  const char *pid;

  if (proc == NULL || stat (device, &target) < 0 || !S_ISCHR (target.st_mode))
    return NULL;
  while ((pid = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *fd_dir = g_build_filename ("/proc", pid, "fd", NULL);
      g_autoptr (GDir) fds = NULL;
      const char *fd;

      if (!g_ascii_isdigit (pid[0]) || atoi (pid) == getpid ()
          || (fds = g_dir_open (fd_dir, 0, NULL)) == NULL)
        continue;
      while ((fd = g_dir_read_name (fds)) != NULL)
        {
          g_autofree char *link = g_build_filename (fd_dir, fd, NULL);
          g_autofree char *comm_path = g_build_filename ("/proc", pid, "comm", NULL);
          g_autofree char *comm = NULL;
          struct stat info;

          if (stat (link, &info) < 0 || !S_ISCHR (info.st_mode) || info.st_rdev != target.st_rdev)
            continue;
          g_file_get_contents (comm_path, &comm, NULL, NULL);
          return g_strdup_printf ("pid %s, %s", pid, comm ? g_strstrip (comm) : "?");
        }
    }
  return NULL;
}

/* Why @path cannot be ours: another program holds it. */
static void
set_busy_error (GError **error, const char *path)
{
  g_autofree char *holder = find_holder (path);

  if (holder != NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY, "%s is held by another program (%s)", path,
                 holder);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                 "%s is held by another program (it holds the port's lock)", path);
}

static gboolean
lock_exclusively (int fd, const char *path, GError **error)
{
  if (flock (fd, LOCK_EX | LOCK_NB) < 0)
    {
      set_busy_error (error, path);
      return FALSE;
    }
  /* Further open()s by anyone but root now fail with EBUSY. */
  if (ioctl (fd, TIOCEXCL) < 0)
    qcoapd_debug ("TIOCEXCL not supported on %s: %s", path, g_strerror (errno));
  return TRUE;
}

/* The read watch may recurse: nothing dispatched from it runs a nested main
 * loop, and a source that may not recurse is blocked around each dispatch —
 * its descriptor leaves the poll set and comes back, and each of those
 * changes wakes the main context once more. That was two extra wake-ups (a
 * write, a poll and a read of the context's eventfd each) per read of the
 * port. */
static guint
add_read_watch (SerialPort *port)
{
  g_autoptr (GSource) source = g_unix_fd_source_new (port->fd, G_IO_IN | G_IO_HUP | G_IO_ERR);

  g_source_set_callback (source, G_SOURCE_FUNC (on_readable), port, NULL);
  g_source_set_can_recurse (source, TRUE);
  g_source_set_static_name (source, "[qcoapd] serial port reader");
  return g_source_attach (source, NULL);
}

SerialPort *
serial_port_open (const char *path, guint baud, gboolean rtscts, SerialPortDataFunc data_func,
                  SerialPortLostFunc lost_func, gpointer user_data, GError **error)
{
  SerialPort *port;
  int fd;

  fd = open (path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 && errno == EBUSY)
    {
      /* TIOCEXCL of another program. */
      set_busy_error (error, path);
      return NULL;
    }
  if (fd < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "Cannot open %s: %s", path,
                   g_strerror (errno));
      return NULL;
    }
  if (!lock_exclusively (fd, path, error) || !configure_tty (fd, baud, rtscts, error))
    {
      close (fd);
      return NULL;
    }

  port = g_new0 (SerialPort, 1);
  port->path = g_strdup (path);
  port->fd = fd;
  port->outgoing = g_byte_array_new ();
  port->data_func = data_func;
  port->lost_func = lost_func;
  port->user_data = user_data;
  port->read_watch = add_read_watch (port);
  return port;
}

void
serial_port_close (SerialPort *port)
{
  if (port == NULL)
    return;
  stop_io (port);
  if (port->lost_idle)
    g_source_remove (port->lost_idle);
  g_clear_error (&port->lost_error);
  g_byte_array_unref (port->outgoing);
  g_free (port->path);
  g_free (port);
}

const char *
serial_port_get_path (SerialPort *port)
{
  return port->path;
}

gboolean
serial_port_is_open (SerialPort *port)
{
  return port->fd >= 0;
}
