/* SPDX-License-Identifier: MIT */
/* sim-control.c — see sim-control.h. */
#include "sim-control.h"

#include "sim-log.h"

#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <stdio.h>
#include <string.h>

struct _SimControl
{
  SimModem *modem;
  GMainLoop *loop;
  GDataInputStream *input;
  GCancellable *cancellable;
  guint waiting_for_boot; /* answers owed once the modem has booted */
};

static void answer (const char *text);
static void read_next_line (SimControl *control);

static void
answer (const char *text)
{
  sim_log ("ctl", "> %s", text);
  fprintf (stdout, "%s\n", text);
  fflush (stdout);
}

static char *
run_fault (SimControl *control, const char *spec)
{
  g_autoptr (GError) error = NULL;

  if (!sim_modem_set_fault (control->modem, spec, &error))
    return g_strdup_printf ("ERROR %s", error->message);
  return g_strdup ("OK");
}

static char *
run_replug (SimControl *control)
{
  g_autoptr (GError) error = NULL;

  if (!sim_modem_replug (control->modem, &error))
    return g_strdup_printf ("ERROR %s", error->message);
  control->waiting_for_boot++;
  return NULL;
}

char *
sim_control_execute (SimControl *control, const char *line)
{
  g_autofree char *command = g_strstrip (g_strdup (line));
  char *argument = strchr (command, ' ');

  if (argument != NULL)
    {
      *argument++ = '\0';
      while (*argument == ' ')
        argument++;
    }

  if (strcmp (command, "fault") == 0 && argument != NULL)
    return run_fault (control, argument);
  if (strcmp (command, "reboot") == 0)
    {
      /* "reboot NORMAL POWER DOWN": that line first, as some firmware says. */
      if (argument != NULL)
        sim_modem_inject_urc (control->modem, argument);
      sim_modem_reboot (control->modem);
      control->waiting_for_boot++;
      return NULL;
    }
  /* The data call's faults also go without "fault". */
  if ((strcmp (command, "pdp-drop") == 0 || strcmp (command, "pdp-restore") == 0)
      && argument == NULL)
    return run_fault (control, command);
  if (strcmp (command, "unplug") == 0)
    {
      sim_modem_unplug (control->modem);
      return g_strdup ("OK");
    }
  if (strcmp (command, "replug") == 0)
    return run_replug (control);
  if (strcmp (command, "urc") == 0 && argument != NULL)
    {
      sim_modem_inject_urc (control->modem, argument);
      return g_strdup ("OK");
    }
  if (strcmp (command, "host") == 0 && argument != NULL)
    {
      sim_modem_take_host_line (control->modem, argument);
      return g_strdup ("OK");
    }
  if (strcmp (command, "stats") == 0)
    {
      g_autofree char *stats = sim_modem_describe_stats (control->modem);

      return g_strdup_printf ("OK %s", stats);
    }
  if (strcmp (command, "quit") == 0)
    {
      g_main_loop_quit (control->loop);
      return g_strdup ("OK");
    }
  return g_strdup_printf ("ERROR unknown command \"%s\"", line);
}

static void
on_line_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SimControl *control = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *reply = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL,
                                                    &error);
  if (line == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        sim_log ("ctl", "control channel closed%s%s", error != NULL ? ": " : "",
                 error != NULL ? error->message : "");
      return;
    }
  sim_log ("ctl", "< %s", line);
  if (line[0] != '\0')
    {
      reply = sim_control_execute (control, line);
      if (reply != NULL)
        answer (reply);
    }
  read_next_line (control);
}

static void
read_next_line (SimControl *control)
{
  g_data_input_stream_read_line_async (control->input, G_PRIORITY_DEFAULT, control->cancellable,
                                       on_line_read, control);
}

SimControl *
sim_control_new (SimModem *modem, int input_fd, GMainLoop *quit_loop)
{
  SimControl *control = g_new0 (SimControl, 1);
  g_autoptr (GInputStream) raw = g_unix_input_stream_new (input_fd, FALSE);

  control->modem = modem;
  control->loop = g_main_loop_ref (quit_loop);
  control->input = g_data_input_stream_new (raw);
  control->cancellable = g_cancellable_new ();
  read_next_line (control);
  return control;
}

void
sim_control_free (SimControl *control)
{
  if (control == NULL)
    return;
  g_cancellable_cancel (control->cancellable);
  g_object_unref (control->cancellable);
  g_object_unref (control->input);
  g_main_loop_unref (control->loop);
  g_free (control);
}

void
sim_control_booted (SimControl *control)
{
  for (; control->waiting_for_boot > 0; control->waiting_for_boot--)
    answer ("OK booted");
}
