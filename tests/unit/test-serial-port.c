/* SPDX-License-Identifier: MIT */
/* test-serial-port.c — the daemon's hold on its port ends with the port.
 *
 * A pseudo-terminal plays the modem's port, its master and a descriptor of
 * its slave side held open all along, as bg96-sim holds them (and as a real
 * tty may stay open elsewhere). The daemon's serial-port module opens the
 * slave and closes it again; another process, as an unprivileged user
 * (TIOCEXCL does not stop root), must be refused while the daemon holds the
 * port and let in afterwards — as a restarted daemon would be. */
#define _GNU_SOURCE
#include "serial-port.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define UNPRIVILEGED_ID 65534 /* nobody */
/* The child's exit status when it could not become that user. */
#define NO_SWITCH 254

typedef struct
{
  int master;
  int holder; /* the other program's descriptor of the slave side */
  char *path;
} Pty;

static void
pty_open (Pty *pty)
{
  pty->master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  g_assert_cmpint (pty->master, >=, 0);
  g_assert_cmpint (grantpt (pty->master), ==, 0);
  g_assert_cmpint (unlockpt (pty->master), ==, 0);
  pty->path = g_strdup (ptsname (pty->master));
  if (geteuid () == 0)
    g_assert_cmpint (chmod (pty->path, 0666), ==, 0);
  pty->holder = open (pty->path, O_RDWR | O_NOCTTY | O_CLOEXEC);
  g_assert_cmpint (pty->holder, >=, 0);
}

static void
pty_close (Pty *pty)
{
  close (pty->holder);
  close (pty->master);
  g_free (pty->path);
}

/* open()s @path in a child process that is not root; 0 or the errno. */
static int
open_unprivileged (const char *path)
{
  int status;
  pid_t child = fork ();

  g_assert_cmpint (child, >=, 0);
  if (child == 0)
    {
      if (geteuid () == 0
          && (setgroups (0, NULL) < 0 || setgid (UNPRIVILEGED_ID) < 0
              || setuid (UNPRIVILEGED_ID) < 0))
        _exit (NO_SWITCH);
      _exit (open (path, O_RDWR | O_NOCTTY | O_NONBLOCK) >= 0 ? 0 : errno);
    }
  g_assert_cmpint (waitpid (child, &status, 0), ==, child);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

static void
ignore_data (const guint8 *data, gsize length, gpointer user_data)
{
}

static void
ignore_loss (const GError *error, gpointer user_data)
{
}

static void
test_exclusive_until_closed (void)
{
  g_autoptr (GError) error = NULL;
  SerialPort *port;
  Pty pty;
  int refused;

  pty_open (&pty);
  port = serial_port_open (pty.path, 115200, FALSE, ignore_data, ignore_loss, NULL, &error);
  g_assert_no_error (error);
  refused = open_unprivileged (pty.path);
  if (refused == NO_SWITCH)
    {
      serial_port_close (port);
      pty_close (&pty);
      g_test_skip ("cannot run a process as an unprivileged user here");
      return;
    }
  g_assert_cmpint (refused, ==, EBUSY);

  serial_port_close (port);
  g_assert_cmpint (open_unprivileged (pty.path), ==, 0);

  /* And the daemon itself gets it again. */
  port = serial_port_open (pty.path, 115200, FALSE, ignore_data, ignore_loss, NULL, &error);
  g_assert_no_error (error);
  serial_port_close (port);
  pty_close (&pty);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/serial-port/exclusive-until-closed", test_exclusive_until_closed);
  return g_test_run ();
}
