/* bg96-sim — a Quectel BG96 on a pseudo-terminal, doing real CoAP over UDP.
 *
 *   bg96-sim --link PATH [--baud N] [--net-delay MS] [--fault SPEC]... [--log FILE]
 *            [--boot-delay MS] [--reset-silence MS] [--time-scale N]
 *
 * It makes PATH a symbolic link to a pty's slave side, boots as the module
 * does (RDY ... APP RDY, echo on), prints "READY PATH" on stdout and then
 * answers AT commands as daemon/AT-INTERFACE.md says. --baud paces output at
 * N/10 bytes per second; --net-delay delays every datagram one way;
 * --boot-delay is the time from RDY to APP RDY (default 800 ms),
 * --reset-silence the silence of AT+CFUN=1,1 (default 2000 ms), --time-scale
 * divides the CoAP ACK timeouts (tests of retransmission use it to stay
 * short). The traffic log (every AT line, response, URC and datagram) goes to
 * stderr or --log FILE; see sim-log.h for its format.
 *
 * Control channel: one command per line on stdin; every command is answered
 * by one line on stdout, "OK[ detail]" or "ERROR reason". Besides answers,
 * stdout carries only "READY PATH", once, after the first boot.
 *
 *   fault NAME[=ARG]  set a fault, as --fault NAME[=ARG] does at start:
 *       delay-final=MS        hold every final result code (and all output
 *                             after it) MS ms; 0 turns it off
 *       drop-final=N          swallow the next N final result codes
 *       garbage=N             send N random bytes now
 *       split-writes=on|off   write one byte per write(), 1 ms apart
 *       urc-before-final=on|off   a URC (+QIND: "csq",20,99) between every
 *                             command and its final result code
 *       urc-before-prompt=on|off  the same URC between AT+QCOAPSEND and "> "
 *       corrupt-upload=N      store the next N AT+QFUPL uploads with a bit
 *                             flipped (their +QFUPL checksum shows it)
 *   reboot [LINE] reset now (no POWERED DOWN; LINE, e.g. NORMAL POWER DOWN,
 *                 is printed first); answered "OK booted" after APP RDY
 *   pdp-drop      the network drops the data call: +QIURC: "pdpdeact",1, every
 *                 session is gone, opens fail with -4
 *   pdp-restore   the data call is back
 *   unplug        close the pty and remove the link
 *   replug        a new pty at the same link; answered "OK booted" after
 *                 APP RDY
 *   urc TEXT      send TEXT to the host as a URC
 *   stats         "OK rx=<bytes from host> tx=<bytes to host> lines=<command
 *                 lines> udp-tx=<datagrams> udp-rx=<datagrams>"
 *   quit          exit (as SIGTERM does), removing the link
 *
 * End of input on stdin only stops the control channel.
 */
#include "sim-control.h"
#include "sim-log.h"
#include "sim-modem.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>

typedef struct
{
  char *link_path;
  gboolean ready_printed;
  SimControl *control;
} SimMain;

static void
on_booted (SimModem *modem, gpointer user_data)
{
  SimMain *main_state = user_data;

  if (!main_state->ready_printed)
    {
      main_state->ready_printed = TRUE;
      sim_log ("info", "READY %s", main_state->link_path);
      printf ("READY %s\n", main_state->link_path);
      fflush (stdout);
    }
  if (main_state->control != NULL)
    sim_control_booted (main_state->control);
}

static gboolean
on_terminate (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
apply_faults (SimModem *modem, char **faults, GError **error)
{
  for (guint i = 0; faults != NULL && faults[i] != NULL; i++)
    if (!sim_modem_set_fault (modem, faults[i], error))
      return FALSE;
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autofree char *link_path = NULL;
  g_autofree char *log_path = NULL;
  g_auto (GStrv) faults = NULL;
  int baud = 0;
  int net_delay = 0;
  int boot_delay = 800;
  int reset_silence = 2000;
  int time_scale = 1;
  GOptionEntry entries[] = {
    { "link", 0, 0, G_OPTION_ARG_FILENAME, &link_path, "Symbolic link to create", "PATH" },
    { "baud", 0, 0, G_OPTION_ARG_INT, &baud, "Pace output to this line rate", "N" },
    { "net-delay", 0, 0, G_OPTION_ARG_INT, &net_delay, "One-way delay of every datagram", "MS" },
    { "fault", 0, 0, G_OPTION_ARG_STRING_ARRAY, &faults, "Set a fault (repeatable)", "SPEC" },
    { "log", 0, 0, G_OPTION_ARG_FILENAME, &log_path, "Write the traffic log here", "FILE" },
    { "boot-delay", 0, 0, G_OPTION_ARG_INT, &boot_delay, "Time from RDY to APP RDY", "MS" },
    { "reset-silence", 0, 0, G_OPTION_ARG_INT, &reset_silence, "Silence of a reset", "MS" },
    { "time-scale", 0, 0, G_OPTION_ARG_INT, &time_scale, "Run CoAP timers N times faster", "N" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- a simulated Quectel BG96");
  g_autoptr (GError) error = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (SimModem) modem = NULL;
  SimModemConfig config;
  SimMain main_state = { 0 };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bg96-sim: %s\n", error->message);
      return 2;
    }
  if (link_path == NULL || baud < 0 || net_delay < 0 || boot_delay < 0 || reset_silence < 0
      || time_scale < 1)
    {
      g_printerr ("bg96-sim: --link PATH is required; numbers must not be negative\n");
      return 2;
    }
  if (log_path != NULL && !sim_log_open (log_path, &error))
    {
      g_printerr ("bg96-sim: %s\n", error->message);
      return 1;
    }
  /* A test that closes our stdout must not kill us with SIGPIPE. */
  signal (SIGPIPE, SIG_IGN);

  config = (SimModemConfig){ .boot_delay_ms = boot_delay,
                             .reset_silence_ms = reset_silence,
                             .net_delay_ms = net_delay,
                             .time_scale = time_scale };
  modem = sim_modem_new (link_path, baud, &config, &error);
  if (modem == NULL || !apply_faults (modem, faults, &error))
    {
      g_printerr ("bg96-sim: %s\n", error->message);
      return 1;
    }

  loop = g_main_loop_new (NULL, FALSE);
  main_state.link_path = link_path;
  main_state.control = sim_control_new (modem, 0, loop);
  sim_modem_set_booted_func (modem, on_booted, &main_state);
  g_unix_signal_add (SIGTERM, on_terminate, loop);
  g_unix_signal_add (SIGINT, on_terminate, loop);

  sim_modem_boot (modem);
  g_main_loop_run (loop);

  sim_log ("info", "exiting");
  g_clear_pointer (&main_state.control, sim_control_free);
  g_clear_pointer (&modem, sim_modem_free);
  sim_log_close ();
  return 0;
}
