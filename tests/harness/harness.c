/* SPDX-License-Identifier: MIT */
/* harness.c — see harness.h. */
#define _GNU_SOURCE
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#define READY_TIMEOUT_MS 10000

guint
harness_scale_ms (guint timeout_ms)
{
  static gdouble multiplier = 0;

  if (multiplier == 0)
    {
      const char *value = g_getenv (HARNESS_TIMEOUT_MULTIPLIER_ENV);
      gdouble parsed = value != NULL ? g_ascii_strtod (value, NULL) : 1;

      /* Only ever slower: a multiplier below 1 would fail tests, not speed
       * them up. */
      multiplier = parsed >= 1 ? parsed : 1;
    }
  return (guint)MIN (timeout_ms * multiplier, (gdouble)G_MAXUINT);
}

/* A deadline for something expected: scaled (see harness_scale_ms()). */
static gint64
deadline_after (guint timeout_ms)
{
  return g_get_monotonic_time () + (gint64)harness_scale_ms (timeout_ms) * 1000;
}

/* Milliseconds left until @deadline, for poll(). */
static int
ms_until (gint64 deadline)
{
  gint64 left = deadline - g_get_monotonic_time ();

  return left <= 0 ? 0 : (int)((left + 999) / 1000);
}

static gboolean
wait_readable (int fd, gint64 deadline)
{
  struct pollfd pfd = { .fd = fd, .events = POLLIN };
  int n;

  do
    n = poll (&pfd, 1, ms_until (deadline));
  while (n < 0 && errno == EINTR);
  return n > 0;
}

static char *
escape_bytes (const guint8 *data, gsize length)
{
  GString *text = g_string_new (NULL);

  /* g_strescape stops at NUL: escape those by hand. */
  for (gsize i = 0; i < length; i++)
    {
      if (data[i] == 0)
        g_string_append (text, "\\000");
      else
        {
          char one[2] = { (char)data[i], 0 };
          g_autofree char *escaped = g_strescape (one, NULL);

          g_string_append (text, escaped);
        }
    }
  return g_string_free (text, FALSE);
}

/* ---- processes ---- */

/* Runs in the child between fork and exec: only async-signal-safe calls. */
static void
die_with_parent (gpointer user_data)
{
  pid_t parent = GPOINTER_TO_INT (user_data);

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  /* The parent may have died before the line above: nobody would send the
   * signal then. */
  if (getppid () != parent)
    raise (SIGKILL);
}

GSubprocessLauncher *
harness_launcher_new (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, GINT_TO_POINTER (getpid ()),
                                         NULL);
  return launcher;
}

gboolean
harness_launcher_log_to (GSubprocessLauncher *launcher, const char *path, gboolean append,
                         GError **error)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);

  if (fd < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot open %s: %s", path,
                   g_strerror (errno));
      return FALSE;
    }
  g_subprocess_launcher_take_stderr_fd (launcher, dup (fd));
  g_subprocess_launcher_take_stdout_fd (launcher, fd);
  return TRUE;
}

/* The bytes as a string, as g_spawn_sync() returns output: a program may
 * print anything, so no check that they are UTF-8. */
static char *
bytes_to_string (GBytes *bytes)
{
  gsize length = 0;
  const char *data = bytes ? g_bytes_get_data (bytes, &length) : NULL;
  char *text = g_malloc (length + 1);

  if (length > 0)
    memcpy (text, data, length);
  text[length] = '\0';
  return text;
}

gboolean
harness_run (const char *const *argv, char **out, char **err, int *wait_status, GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher
      = harness_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GSubprocess) process = g_subprocess_launcher_spawnv (launcher, argv, error);
  g_autoptr (GBytes) out_bytes = NULL;
  g_autoptr (GBytes) err_bytes = NULL;

  if (process == NULL
      || !g_subprocess_communicate (process, NULL, NULL, &out_bytes, &err_bytes, error))
    return FALSE;
  if (out != NULL)
    *out = bytes_to_string (out_bytes);
  if (err != NULL)
    *err = bytes_to_string (err_bytes);
  *wait_status = g_subprocess_get_status (process);
  return TRUE;
}

static GSubprocess *
spawn_logged (const char *const *argv, const char *log_path, GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher = harness_launcher_new (G_SUBPROCESS_FLAGS_NONE);

  if (!harness_launcher_log_to (launcher, log_path, TRUE, error))
    return NULL;
  return g_subprocess_launcher_spawnv (launcher, argv, error);
}

static GSubprocess *
spawn_piped (const char *const *argv, GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher
      = harness_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);

  return g_subprocess_launcher_spawnv (launcher, argv, error);
}

HarnessProcess *
harness_process_spawn (const char *const *argv, const char *log_path, GError **error)
{
  g_autoptr (HarnessProcess) process = g_new0 (HarnessProcess, 1);

  process->stdin_fd = process->stdout_fd = -1;
  process->stdout_buffer = g_string_new (NULL);
  process->subprocess
      = log_path != NULL ? spawn_logged (argv, log_path, error) : spawn_piped (argv, error);
  if (process->subprocess == NULL)
    return NULL;
  /* The pipes stay the subprocess's: it closes them when it goes. The
   * control channel is read with poll() and a deadline, below. */
  if (log_path == NULL)
    {
      process->stdin_fd = g_unix_output_stream_get_fd (
          G_UNIX_OUTPUT_STREAM (g_subprocess_get_stdin_pipe (process->subprocess)));
      process->stdout_fd = g_unix_input_stream_get_fd (
          G_UNIX_INPUT_STREAM (g_subprocess_get_stdout_pipe (process->subprocess)));
    }
  return g_steal_pointer (&process);
}

static const char *
process_name (HarnessProcess *process)
{
  const char *pid = g_subprocess_get_identifier (process->subprocess);

  return pid != NULL ? pid : "(exited)";
}

char *
harness_process_read_line (HarnessProcess *process, guint timeout_ms, GError **error)
{
  gint64 deadline = deadline_after (timeout_ms);

  for (;;)
    {
      char *newline = memchr (process->stdout_buffer->str, '\n', process->stdout_buffer->len);
      char chunk[512];
      ssize_t n;

      if (newline != NULL)
        {
          gsize length = newline - process->stdout_buffer->str;
          char *line = g_strndup (process->stdout_buffer->str, length);

          g_string_erase (process->stdout_buffer, 0, length + 1);
          return line;
        }
      if (process->stdout_fd < 0 || !wait_readable (process->stdout_fd, deadline))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no line from pid %s in %u ms",
                       process_name (process), timeout_ms);
          return NULL;
        }
      n = read (process->stdout_fd, chunk, sizeof chunk);
      if (n <= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "pid %s closed its stdout",
                       process_name (process));
          return NULL;
        }
      g_string_append_len (process->stdout_buffer, chunk, n);
    }
}

gboolean
harness_process_write_line (HarnessProcess *process, const char *line, GError **error)
{
  g_autofree char *text = g_strconcat (line, "\n", NULL);
  gsize length = strlen (text);
  gsize done = 0;

  while (done < length)
    {
      ssize_t n = write (process->stdin_fd, text + done, length - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                       "cannot write to pid %s: %s", process_name (process), g_strerror (errno));
          return FALSE;
        }
      done += n;
    }
  return TRUE;
}

gboolean
harness_process_is_running (HarnessProcess *process)
{
  /* GLib's worker thread reaps the child: its identifier goes with it. */
  return g_subprocess_get_identifier (process->subprocess) != NULL;
}

gboolean
harness_process_stop (HarnessProcess *process, guint timeout_ms)
{
  gint64 deadline = deadline_after (timeout_ms);

  if (!harness_process_is_running (process))
    return TRUE;
  g_subprocess_send_signal (process->subprocess, SIGTERM);
  while (g_get_monotonic_time () < deadline)
    {
      if (!harness_process_is_running (process))
        return TRUE;
      g_usleep (5000);
    }
  g_subprocess_force_exit (process->subprocess);
  g_subprocess_wait (process->subprocess, NULL, NULL);
  return FALSE;
}

void
harness_process_free (HarnessProcess *process)
{
  if (process == NULL)
    return;
  if (process->subprocess != NULL)
    {
      g_subprocess_force_exit (process->subprocess);
      g_subprocess_wait (process->subprocess, NULL, NULL);
      g_object_unref (process->subprocess);
    }
  g_string_free (process->stdout_buffer, TRUE);
  g_free (process);
}

/* ---- network ---- */

static int
bind_loopback (int type, guint16 port, guint16 *bound_port)
{
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons (port) };
  socklen_t length = sizeof address;
  int fd = socket (AF_INET, type | SOCK_CLOEXEC, 0);

  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (fd < 0)
    return -1;
  if (bind (fd, (struct sockaddr *)&address, sizeof address) < 0
      || getsockname (fd, (struct sockaddr *)&address, &length) < 0)
    {
      close (fd);
      return -1;
    }
  if (bound_port != NULL)
    *bound_port = ntohs (address.sin_port);
  return fd;
}

guint16
harness_find_free_udp_port (void)
{
  for (guint attempt = 0; attempt < 50; attempt++)
    {
      guint16 port = 0;
      int udp = bind_loopback (SOCK_DGRAM, 0, &port);
      int tcp;

      if (udp < 0)
        continue;
      /* coap-server also listens on TCP at the same port. */
      tcp = bind_loopback (SOCK_STREAM, port, NULL);
      close (udp);
      if (tcp >= 0)
        {
          close (tcp);
          return port;
        }
    }
  return 0;
}

gboolean
harness_coap_ping (guint16 port, guint timeout_ms)
{
  struct sockaddr_in server = { .sin_family = AF_INET, .sin_port = htons (port) };
  gint64 deadline = deadline_after (timeout_ms);
  gboolean answered = FALSE;
  guint16 message_id = (guint16)g_random_int ();
  int fd;

  server.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  fd = bind_loopback (SOCK_DGRAM, 0, NULL);
  if (fd < 0 || connect (fd, (struct sockaddr *)&server, sizeof server) < 0)
    goto out;
  while (!answered && g_get_monotonic_time () < deadline)
    {
      guint8 ping[4] = { 0x40, 0x00, message_id >> 8, message_id & 0xff };
      guint8 reply[64];

      if (send (fd, ping, sizeof ping, 0) == sizeof ping
          && wait_readable (fd, MIN (deadline, deadline_after (100)))
          && recv (fd, reply, sizeof reply, 0) >= 4)
        answered = TRUE;
      else
        g_usleep (20000);
    }
out:
  if (fd >= 0)
    close (fd);
  return answered;
}

/* ---- the bus ---- */

static char *
write_bus_config (const char *dir, GError **error)
{
  g_autofree char *path = g_build_filename (dir, "dbus-daemon.conf", NULL);
  g_autofree char *text
      = g_markup_printf_escaped ("<busconfig>\n"
                                 "  <type>session</type>\n"
                                 "  <listen>unix:dir=%s</listen>\n"
                                 "  <policy context=\"default\">\n"
                                 "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
                                 "    <allow eavesdrop=\"true\"/>\n"
                                 "    <allow own=\"*\"/>\n"
                                 "  </policy>\n"
                                 "</busconfig>\n",
                                 dir);

  if (!g_file_set_contents (path, text, -1, error))
    return NULL;
  return g_steal_pointer (&path);
}

HarnessBus *
harness_bus_start (const char *dir, GError **error)
{
  g_autoptr (HarnessBus) bus = g_new0 (HarnessBus, 1);
  g_autofree char *config_path = write_bus_config (dir, error);
  g_autofree char *config = NULL;

  if (config_path == NULL)
    return NULL;
  config = g_strdup_printf ("--config-file=%s", config_path);
  bus->process = harness_process_spawn (
      (const char *const[]){ "dbus-daemon", "--nofork", "--print-address=1", config, NULL }, NULL,
      error);
  if (bus->process == NULL)
    return NULL;
  bus->address = harness_process_read_line (bus->process, READY_TIMEOUT_MS, error);
  if (bus->address == NULL)
    return NULL;
  return g_steal_pointer (&bus);
}

void
harness_bus_free (HarnessBus *bus)
{
  if (bus == NULL)
    return;
  if (bus->process != NULL)
    harness_process_stop (bus->process, 2000);
  g_clear_pointer (&bus->process, harness_process_free);
  g_free (bus->address);
  g_free (bus);
}

/* ---- the CoAP server ---- */

HarnessCoapServer *
harness_coap_server_start (const char *dir, const char *const *extra_args, GError **error)
{
  const char *program = g_getenv ("COAP_SERVER");
  g_autoptr (HarnessCoapServer) server = g_new0 (HarnessCoapServer, 1);

  server->log_path = g_build_filename (dir, "coap-server.log", NULL);
  /* Another test may take the port between our check and the server's bind:
   * try a few. */
  for (guint attempt = 0; attempt < 5; attempt++)
    {
      g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
      g_autoptr (HarnessProcess) process = NULL;
      guint16 port = harness_find_free_udp_port ();

      g_ptr_array_add (argv, g_strdup (program != NULL ? program : "coap-server-openssl"));
      g_ptr_array_add (argv, g_strdup ("-A"));
      g_ptr_array_add (argv, g_strdup ("127.0.0.1"));
      g_ptr_array_add (argv, g_strdup ("-p"));
      g_ptr_array_add (argv, g_strdup_printf ("%u", port));
      g_ptr_array_add (argv, g_strdup ("-v"));
      g_ptr_array_add (argv, g_strdup ("7"));
      for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
        g_ptr_array_add (argv, g_strdup (extra_args[i]));
      g_ptr_array_add (argv, NULL);

      process = harness_process_spawn ((const char *const *)argv->pdata, server->log_path, error);
      if (process == NULL)
        return NULL;
      if (harness_coap_ping (port, 3000))
        {
          server->process = g_steal_pointer (&process);
          server->port = port;
          return g_steal_pointer (&server);
        }
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
               "coap-server did not answer a ping (see %s)", server->log_path);
  return NULL;
}

void
harness_coap_server_free (HarnessCoapServer *server)
{
  if (server == NULL)
    return;
  g_clear_pointer (&server->process, harness_process_free);
  g_free (server->log_path);
  g_free (server);
}

/* ---- the simulator ---- */

/* What every simulator of harness_sim_start() gets before the test's own
 * arguments (see harness.h): nothing now, so that every test meets a modem
 * that powers up unregistered and has qcoapd register it and bring up its
 * data context. A test that wants a module whose firmware does both passes
 * --network-ready itself. */
static const char *const sim_default_args[] = { NULL };

static HarnessSim *
sim_start (const char *dir, const char *const *defaults, const char *const *extra_args,
           GError **error)
{
  const char *program = g_getenv ("BG96_SIM");
  g_autoptr (HarnessSim) sim = g_new0 (HarnessSim, 1);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *line = NULL;
  g_autofree char *expected = NULL;

  if (program == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "BG96_SIM is not set");
      return NULL;
    }
  sim->link_path = g_build_filename (dir, "modem", NULL);
  sim->log_path = g_build_filename (dir, "bg96-sim.log", NULL);
  g_ptr_array_add (argv, (gpointer)program);
  g_ptr_array_add (argv, "--link");
  g_ptr_array_add (argv, sim->link_path);
  g_ptr_array_add (argv, "--log");
  g_ptr_array_add (argv, sim->log_path);
  for (guint i = 0; defaults != NULL && defaults[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer)defaults[i]);
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer)extra_args[i]);
  g_ptr_array_add (argv, NULL);

  sim->process = harness_process_spawn ((const char *const *)argv->pdata, NULL, error);
  if (sim->process == NULL)
    return NULL;
  line = harness_process_read_line (sim->process, READY_TIMEOUT_MS, error);
  if (line == NULL)
    return NULL;
  expected = g_strconcat ("READY ", sim->link_path, NULL);
  if (strcmp (line, expected) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "bg96-sim said \"%s\", not \"%s\"", line,
                   expected);
      return NULL;
    }
  return g_steal_pointer (&sim);
}

HarnessSim *
harness_sim_start (const char *dir, const char *const *extra_args, GError **error)
{
  return sim_start (dir, sim_default_args, extra_args, error);
}

HarnessSim *
harness_sim_start_bare (const char *dir, const char *const *extra_args, GError **error)
{
  return sim_start (dir, NULL, extra_args, error);
}

char *
harness_sim_control (HarnessSim *sim, const char *command, guint timeout_ms, GError **error)
{
  if (!harness_process_write_line (sim->process, command, error))
    return NULL;
  return harness_process_read_line (sim->process, timeout_ms, error);
}

void
harness_sim_free (HarnessSim *sim)
{
  if (sim == NULL)
    return;
  if (sim->process != NULL)
    harness_process_stop (sim->process, 2000);
  g_clear_pointer (&sim->process, harness_process_free);
  g_free (sim->link_path);
  g_free (sim->log_path);
  g_free (sim);
}

/* ---- the serial port ---- */

static void
drain (int fd, guint quiet_ms)
{
  guint8 chunk[4096];

  while (wait_readable (fd, deadline_after (quiet_ms)))
    if (read (fd, chunk, sizeof chunk) <= 0)
      break;
}

HarnessSerial *
harness_serial_open (const char *path, GError **error)
{
  struct termios tio;
  HarnessSerial *serial;
  int fd = open (path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

  if (fd < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "cannot open %s: %s", path,
                   g_strerror (errno));
      return NULL;
    }
  if (tcgetattr (fd, &tio) == 0)
    {
      cfmakeraw (&tio);
      tio.c_cflag |= CLOCAL | CREAD;
      tio.c_cc[VMIN] = 0;
      tio.c_cc[VTIME] = 0;
      cfsetspeed (&tio, B115200);
      tcsetattr (fd, TCSANOW, &tio);
    }
  /* tcflush() misses bytes the pty has not moved to the queue yet: drain
   * until the line has been quiet for a moment. */
  tcflush (fd, TCIOFLUSH);
  drain (fd, 30);

  serial = g_new0 (HarnessSerial, 1);
  serial->fd = fd;
  serial->pending = g_byte_array_new ();
  return serial;
}

void
harness_serial_close (HarnessSerial *serial)
{
  if (serial == NULL)
    return;
  if (serial->fd >= 0)
    close (serial->fd);
  g_byte_array_unref (serial->pending);
  g_free (serial);
}

gboolean
harness_serial_write (HarnessSerial *serial, const void *data, gsize length, GError **error)
{
  const guint8 *bytes = data;
  gsize done = 0;

  while (done < length)
    {
      ssize_t n = write (serial->fd, bytes + done, length - done);

      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        {
          g_usleep (1000);
          continue;
        }
      if (n < 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "serial write: %s",
                       g_strerror (errno));
          return FALSE;
        }
      done += n;
    }
  return TRUE;
}

/* One read of what is available into pending, waiting until @deadline.
 * Returns the bytes read, 0 on timeout, -1 on hang-up. */
static gssize
fill (HarnessSerial *serial, gint64 deadline)
{
  guint8 chunk[4096];
  ssize_t n;

  if (!wait_readable (serial->fd, deadline))
    return 0;
  n = read (serial->fd, chunk, sizeof chunk);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return 0;
  if (n <= 0)
    return -1;
  g_byte_array_append (serial->pending, chunk, n);
  return n;
}

static void
take_pending (HarnessSerial *serial, GByteArray *buffer, gsize length)
{
  g_byte_array_append (buffer, serial->pending->data, length);
  g_byte_array_remove_range (serial->pending, 0, length);
}

gsize
harness_serial_read_for (HarnessSerial *serial, GByteArray *buffer, guint timeout_ms)
{
  /* Not scaled: the caller chose how long to listen, not a limit for
   * something it waits for. */
  gint64 deadline = g_get_monotonic_time () + (gint64)timeout_ms * 1000;
  gsize before = buffer->len;

  while (g_get_monotonic_time () < deadline && fill (serial, deadline) >= 0)
    ;
  take_pending (serial, buffer, serial->pending->len);
  return buffer->len - before;
}

static void
set_timeout_error (GError **error, const char *what, GByteArray *buffer, guint timeout_ms)
{
  g_autofree char *text = escape_bytes (buffer->data, buffer->len);

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no %s within %u ms; received \"%s\"", what,
               timeout_ms, text);
}

gboolean
harness_serial_read_until (HarnessSerial *serial, GByteArray *buffer, const char *needle,
                           guint timeout_ms, GError **error)
{
  gint64 deadline = deadline_after (timeout_ms);
  gsize needle_length = strlen (needle);

  for (;;)
    {
      const guint8 *found
          = memmem (serial->pending->data, serial->pending->len, needle, needle_length);

      if (found != NULL)
        {
          take_pending (serial, buffer, found - serial->pending->data + needle_length);
          return TRUE;
        }
      if (g_get_monotonic_time () >= deadline || fill (serial, deadline) < 0)
        {
          g_autofree char *what = g_strdup_printf ("\"%s\"", needle);

          take_pending (serial, buffer, serial->pending->len);
          set_timeout_error (error, what, buffer, timeout_ms);
          return FALSE;
        }
    }
}

gboolean
harness_serial_read_bytes (HarnessSerial *serial, GByteArray *buffer, gsize length,
                           guint timeout_ms, GError **error)
{
  gint64 deadline = deadline_after (timeout_ms);

  while (serial->pending->len < length)
    {
      if (g_get_monotonic_time () >= deadline || fill (serial, deadline) < 0)
        {
          g_autofree char *what = g_strdup_printf ("%" G_GSIZE_FORMAT " bytes", length);

          take_pending (serial, buffer, serial->pending->len);
          set_timeout_error (error, what, buffer, timeout_ms);
          return FALSE;
        }
    }
  take_pending (serial, buffer, length);
  return TRUE;
}

static gboolean
is_final_line (const char *line, gsize length)
{
  g_autofree char *text = g_strndup (line, length);

  return strcmp (text, "OK") == 0 || strcmp (text, "ERROR") == 0
         || g_str_has_prefix (text, "+CME ERROR:") || strcmp (text, "CONNECT") == 0;
}

/* The <length> at the end of a +QCOAPRECV line, or -1. */
static gssize
recv_payload_length (const char *line, gsize length)
{
  g_autofree char *text = g_strndup (line, length);
  const char *comma = strrchr (text, ',');
  guint64 value;

  if (!g_str_has_prefix (text, "+QCOAPRECV:") || comma == NULL
      || !g_ascii_string_to_unsigned (comma + 1, 10, 0, 65535, &value, NULL))
    return -1;
  return (gssize)value;
}

gsize
harness_response_length (const guint8 *data, gsize length)
{
  const char *text = (const char *)data;
  gsize pos = 0;

  while (pos < length)
    {
      const char *end;
      gsize line_length;
      gssize payload;

      if (length - pos >= 2 && memcmp (text + pos, "> ", 2) == 0)
        return pos + 2;
      end = memmem (text + pos, length - pos, "\r\n", 2);
      if (end == NULL)
        return 0;
      line_length = end - (text + pos);
      if (line_length > 0 && is_final_line (text + pos, line_length))
        return pos + line_length + 2;
      payload = recv_payload_length (text + pos, line_length);
      pos += line_length + 2;
      if (payload >= 0)
        pos += payload + 2;
    }
  return 0;
}

GByteArray *
harness_serial_exchange (HarnessSerial *serial, const void *data, gsize length, guint timeout_ms,
                         GError **error)
{
  g_autoptr (GByteArray) response = g_byte_array_new ();
  gint64 deadline = deadline_after (timeout_ms);

  if (!harness_serial_write (serial, data, length, error))
    return NULL;
  for (;;)
    {
      gsize complete = harness_response_length (serial->pending->data, serial->pending->len);

      if (complete > 0)
        {
          take_pending (serial, response, complete);
          return g_steal_pointer (&response);
        }
      if (g_get_monotonic_time () >= deadline || fill (serial, deadline) < 0)
        {
          set_timeout_error (error, "final result code", serial->pending, timeout_ms);
          return NULL;
        }
    }
}

GByteArray *
harness_serial_command (HarnessSerial *serial, const char *command, guint timeout_ms,
                        GError **error)
{
  g_autofree char *line = g_strconcat (command, "\r", NULL);

  return harness_serial_exchange (serial, line, strlen (line), timeout_ms, error);
}

/* ---- directories ---- */

char *
harness_make_temp_dir (void)
{
  return g_dir_make_tmp ("qcoapd-test-XXXXXX", NULL);
}

void
harness_remove_temp_dir (const char *dir)
{
  g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (dir);
}
