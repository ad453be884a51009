/* SPDX-License-Identifier: MIT */
/* sim-port.c — see sim-port.h. */
#define _GNU_SOURCE
#include "sim-port.h"

#include "sim-log.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <gio/gio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

/* A host that stops reading must not make the simulator grow without end. */
#define MAX_QUEUED_OUTPUT (1024 * 1024)
#define PACING_TICK_MS    5
#define BITS_PER_BYTE     10 /* 8N1: a start bit, eight data bits, a stop bit */

/* Bytes from the host, held until the line would have carried them. */
typedef struct
{
  gint64 arrives_at; /* monotonic µs: when its last byte is through the line */
  GBytes *data;
} InputChunk;

struct _SimPort
{
  char *link_path;
  guint baud;
  SimPortInputFunc input_func;
  gpointer user_data;

  int master_fd;
  /* Kept open so the master never sees a hang-up when the host closes its
   * side (a real UART does not notice either), and set raw so the line
   * discipline does not echo or translate anything. */
  int slave_fd;
  guint read_source;
  guint write_source; /* waiting for the pty to accept more */
  guint pace_source;  /* waiting for line-rate credit */

  GByteArray *queue;
  gboolean split_writes;
  double credit; /* bytes the line rate allows now */
  gint64 credit_time;

  guint64 rx_bytes;
  guint64 tx_bytes;

  gboolean pace_input;
  GQueue input;          /* of InputChunk, in arrival order */
  gint64 input_free_at;  /* when the host-to-modem line is idle again */
  GSource *input_source; /* ready when the first chunk has arrived */
};

static void flush_queue (SimPort *port);

static void
input_chunk_free (InputChunk *chunk)
{
  g_bytes_unref (chunk->data);
  g_free (chunk);
}

static void
schedule_input (SimPort *port)
{
  InputChunk *first = g_queue_peek_head (&port->input);

  g_source_set_ready_time (port->input_source, first ? first->arrives_at : -1);
}

/* Hands the host's bytes to the modem once the line has carried them. */
static gboolean
on_input_arrived (gpointer user_data)
{
  SimPort *port = user_data;
  gint64 now = g_get_monotonic_time ();
  InputChunk *chunk;

  while ((chunk = g_queue_peek_head (&port->input)) != NULL && chunk->arrives_at <= now)
    {
      gsize length;
      const guint8 *data = g_bytes_get_data (chunk->data, &length);

      g_queue_pop_head (&port->input);
      port->input_func (data, length, port->user_data);
      input_chunk_free (chunk);
      if (port->input_source == NULL)
        return G_SOURCE_REMOVE; /* unplugged meanwhile */
    }
  schedule_input (port);
  return G_SOURCE_CONTINUE;
}

/* A source whose ready time is the next chunk's: microseconds, where a
 * timeout would round to milliseconds. */
static gboolean
dispatch_input (GSource *source, GSourceFunc callback, gpointer user_data)
{
  return callback (user_data);
}

static GSourceFuncs input_source_funcs = { .dispatch = dispatch_input };

/* At N baud a byte takes 10/N s on the line, whatever the host's write()
 * did: the modem sees a command only when its last byte is through. */
static void
pace_input (SimPort *port, const guint8 *data, gsize length)
{
  gint64 now = g_get_monotonic_time ();
  gint64 start = MAX (now, port->input_free_at);
  InputChunk *chunk = g_new0 (InputChunk, 1);

  port->input_free_at
      = start + (gint64)length * BITS_PER_BYTE * G_USEC_PER_SEC / (gint64)port->baud;
  chunk->arrives_at = port->input_free_at;
  chunk->data = g_bytes_new (data, length);
  g_queue_push_tail (&port->input, chunk);
  schedule_input (port);
}

static void
start_input_pacing (SimPort *port)
{
  port->input_source = g_source_new (&input_source_funcs, sizeof (GSource));
  g_source_set_callback (port->input_source, on_input_arrived, port, NULL);
  g_source_set_ready_time (port->input_source, -1);
  g_source_attach (port->input_source, NULL);
}

static void
stop_input_pacing (SimPort *port)
{
  if (port->input_source)
    {
      g_source_destroy (port->input_source);
      g_clear_pointer (&port->input_source, g_source_unref);
    }
  g_queue_clear_full (&port->input, (GDestroyNotify)input_chunk_free);
  port->input_free_at = 0;
}

static gboolean
on_master_readable (int fd, GIOCondition condition, gpointer user_data)
{
  SimPort *port = user_data;
  guint8 buffer[4096];
  ssize_t n = read (fd, buffer, sizeof buffer);

  if (n > 0)
    {
      port->rx_bytes += n;
      if (port->pace_input && port->baud != 0)
        pace_input (port, buffer, n);
      else
        port->input_func (buffer, n, port->user_data);
    }
  else if (n < 0 && errno != EAGAIN && errno != EINTR)
    {
      /* Should not happen while slave_fd is open; avoid a busy loop. */
      sim_log ("info", "pty read failed: %s", g_strerror (errno));
      port->read_source = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
make_raw (int fd, GError **error)
{
  struct termios tio;

  if (tcgetattr (fd, &tio) < 0)
    goto fail;
  cfmakeraw (&tio);
  if (tcsetattr (fd, TCSANOW, &tio) < 0)
    goto fail;
  return TRUE;

fail:
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot set the pty raw: %s",
               g_strerror (errno));
  return FALSE;
}

/* Replaces an old link (a previous run's) but never a real file. */
static gboolean
make_link (const char *target, const char *link_path, GError **error)
{
  struct stat st;

  if (lstat (link_path, &st) == 0)
    {
      if (!S_ISLNK (st.st_mode))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "%s exists and is not a link",
                       link_path);
          return FALSE;
        }
      unlink (link_path);
    }
  if (symlink (target, link_path) < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot link %s: %s",
                   link_path, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
open_pty (SimPort *port, GError **error)
{
  int master = posix_openpt (O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  const char *slave_name;
  int slave;

  if (master < 0 || grantpt (master) < 0 || unlockpt (master) < 0
      || (slave_name = ptsname (master)) == NULL)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot open a pty: %s",
                   g_strerror (errno));
      if (master >= 0)
        close (master);
      return FALSE;
    }
  slave = open (slave_name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0 || !make_raw (slave, error) || !make_link (slave_name, port->link_path, error))
    {
      if (slave < 0)
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot open %s: %s",
                     slave_name, g_strerror (errno));
      else
        close (slave);
      close (master);
      return FALSE;
    }
  sim_log ("info", "pty %s linked as %s", slave_name, port->link_path);
  port->master_fd = master;
  port->slave_fd = slave;
  port->read_source = g_unix_fd_add (master, G_IO_IN, on_master_readable, port);
  if (port->pace_input)
    start_input_pacing (port);
  return TRUE;
}

static void
close_pty (SimPort *port)
{
  g_clear_handle_id (&port->read_source, g_source_remove);
  g_clear_handle_id (&port->write_source, g_source_remove);
  g_clear_handle_id (&port->pace_source, g_source_remove);
  stop_input_pacing (port);
  if (port->master_fd >= 0)
    close (port->master_fd);
  if (port->slave_fd >= 0)
    close (port->slave_fd);
  port->master_fd = port->slave_fd = -1;
  g_byte_array_set_size (port->queue, 0);
}

SimPort *
sim_port_new (const char *link_path, guint baud, SimPortInputFunc input_func, gpointer user_data,
              GError **error)
{
  g_autoptr (SimPort) port = g_new0 (SimPort, 1);

  port->link_path = g_strdup (link_path);
  port->baud = baud;
  port->input_func = input_func;
  port->user_data = user_data;
  port->master_fd = port->slave_fd = -1;
  port->queue = g_byte_array_new ();
  if (!open_pty (port, error))
    return NULL;
  return g_steal_pointer (&port);
}

void
sim_port_free (SimPort *port)
{
  if (port == NULL)
    return;
  if (port->master_fd >= 0)
    unlink (port->link_path);
  close_pty (port);
  g_byte_array_unref (port->queue);
  g_free (port->link_path);
  g_free (port);
}

static gboolean
on_master_writable (int fd, GIOCondition condition, gpointer user_data)
{
  SimPort *port = user_data;

  port->write_source = 0;
  flush_queue (port);
  return G_SOURCE_REMOVE;
}

static gboolean
on_pace_tick (gpointer user_data)
{
  SimPort *port = user_data;

  port->pace_source = 0;
  flush_queue (port);
  return G_SOURCE_REMOVE;
}

/* How many bytes may leave now: unlimited without a baud rate, else the
 * credit earned since the last write, with a small burst allowance. */
static gsize
allowed_bytes (SimPort *port)
{
  double rate = port->baud / 10.0;
  gint64 now = g_get_monotonic_time ();

  if (port->baud == 0)
    return G_MAXSIZE;
  port->credit += (now - port->credit_time) * rate / G_USEC_PER_SEC;
  port->credit = MIN (port->credit, 1.0 + rate * 2 * PACING_TICK_MS / 1000.0);
  port->credit_time = now;
  return (gsize)port->credit;
}

static void
flush_queue (SimPort *port)
{
  gsize allowed;
  ssize_t n;

  if (port->queue->len == 0 || port->write_source != 0 || port->pace_source != 0)
    return;

  allowed = MIN (allowed_bytes (port), port->queue->len);
  if (port->split_writes)
    allowed = MIN (allowed, 1);
  if (allowed > 0)
    {
      n = write (port->master_fd, port->queue->data, allowed);
      if (n < 0 && errno != EAGAIN && errno != EINTR)
        {
          sim_log ("info", "pty write failed: %s; output dropped", g_strerror (errno));
          g_byte_array_set_size (port->queue, 0);
          return;
        }
      if (n < 0)
        {
          port->write_source = g_unix_fd_add (port->master_fd, G_IO_OUT, on_master_writable, port);
          return;
        }
      g_byte_array_remove_range (port->queue, 0, n);
      port->tx_bytes += n;
      if (port->baud != 0)
        port->credit -= n;
    }
  if (port->queue->len > 0)
    port->pace_source = g_timeout_add (port->split_writes ? 1 : PACING_TICK_MS, on_pace_tick, port);
}

void
sim_port_write (SimPort *port, const void *data, gsize length)
{
  if (port->master_fd < 0 || length == 0)
    return;
  if (port->queue->len == 0 && port->pace_source == 0)
    {
      /* An idle line: the first byte may leave at once. */
      port->credit = 1.0;
      port->credit_time = g_get_monotonic_time ();
    }
  if (port->queue->len + length > MAX_QUEUED_OUTPUT)
    {
      sim_log ("info", "host is not reading; %u queued bytes dropped", port->queue->len);
      g_byte_array_set_size (port->queue, 0);
    }
  g_byte_array_append (port->queue, data, length);
  flush_queue (port);
}

void
sim_port_set_split_writes (SimPort *port, gboolean split)
{
  port->split_writes = split;
}

void
sim_port_set_pace_input (SimPort *port, gboolean pace)
{
  if (pace == port->pace_input)
    return;
  port->pace_input = pace;
  if (pace && port->master_fd >= 0)
    start_input_pacing (port);
  else if (!pace)
    stop_input_pacing (port);
}

void
sim_port_unplug (SimPort *port)
{
  if (port->master_fd < 0)
    return;
  unlink (port->link_path);
  close_pty (port);
  sim_log ("info", "unplugged: %s removed", port->link_path);
}

gboolean
sim_port_replug (SimPort *port, GError **error)
{
  if (port->master_fd >= 0)
    return TRUE;
  return open_pty (port, error);
}

gboolean
sim_port_is_plugged (SimPort *port)
{
  return port->master_fd >= 0;
}

guint64
sim_port_get_rx_bytes (SimPort *port)
{
  return port->rx_bytes;
}

guint64
sim_port_get_tx_bytes (SimPort *port)
{
  return port->tx_bytes;
}
