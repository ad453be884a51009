/* SPDX-License-Identifier: MIT */
/* bg96-sim — a Quectel BG96 on a pseudo-terminal, doing real CoAP over UDP.
 *
 *   bg96-sim --link PATH [--baud N [--pace-input]] [--net-delay MS] [--at-latency MS]
 *            [--fault SPEC]... [--log FILE] [--boot-delay MS] [--reset-silence MS]
 *            [--time-scale N]
 *            [--attach-delay MS] [--activation-delay MS] [--network-ready]
 *
 * It makes PATH a symbolic link to a pty's slave side, boots as the module
 * does (RDY ... APP RDY, echo on), prints "READY PATH" on stdout and then
 * answers AT commands as daemon/AT-INTERFACE.md says. --baud paces output at
 * N/10 bytes per second, and with --pace-input the host's bytes too (the
 * modem sees each when the line has carried it); --net-delay delays every
 * datagram one way; --at-latency makes the module answer each command line
 * MS ms late (all its output waits meanwhile);
 * --boot-delay is the time from RDY to APP RDY (default 800 ms),
 * --reset-silence the silence of AT+CFUN=1,1 (default 2000 ms), --time-scale
 * divides the CoAP ACK timeouts (tests of retransmission use it to stay
 * short). The modem registers --attach-delay after RDY (default 1500 ms) and
 * activates a PDP context --activation-delay after AT+QIACT (default 200 ms);
 * --network-ready boots it registered at home with context 1 active, as a
 * module whose firmware activates context 1 by itself. The traffic log
 * (every AT line, response, URC and datagram; APN passwords masked) goes to
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
 *       register / roam / deny / deregister
 *                             the network registers the modem at home (stat
 *                             1), roaming (5), refuses it (3), or is lost
 *                             (2, searching: the contexts go down with it)
 *       pdp-drop[=CID]        the network drops the data call: +QIURC:
 *                             "pdpdeact",CID (default 1), its sessions are
 *                             gone, AT+QIDEACT is due before AT+QIACT
 *       pdp-restore[=CID]     the data call is back without the host asking
 *       qiact-fail=N          the next N AT+QIACT activations answer ERROR
 *       signal=RSRP           the RSRP in dBm (-140 to -44; default -87)
 *   reboot [LINE] reset now (no POWERED DOWN; LINE, e.g. NORMAL POWER DOWN,
 *                 is printed first); answered "OK booted" after APP RDY
 *   pdp-drop, pdp-restore   the same as "fault pdp-drop" and "fault
 *                 pdp-restore"
 *   unplug        close the pty and remove the link
 *   replug        a new pty at the same link; answered "OK booted" after
 *                 APP RDY
 *   urc TEXT      send TEXT to the host as a URC
 *   host LINE     take LINE as a command line from the host
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

typedef struct
{
  char *link_path;
  char *log_path;
  char **faults;
  int baud;
  gboolean pace_input;
  int net_delay;
  int at_latency;
  int boot_delay;
  int reset_silence;
  int time_scale;
  int attach_delay;
  int activation_delay;
  gboolean network_ready;
  char *model;
  char *urc_port;
  char *port_role;
  gboolean psm_requested;
  gboolean echo_saved_off;
  char *imei;
  int close_delay;
} Options;

static void
options_clear (Options *options)
{
  g_free (options->link_path);
  g_free (options->log_path);
  g_strfreev (options->faults);
  g_free (options->model);
  g_free (options->urc_port);
  g_free (options->port_role);
  g_free (options->imei);
}

/* Parses the command line into @o, which holds the defaults. */
static gboolean
parse_options (int *argc, char ***argv, Options *o, GError **error)
{
  GOptionEntry entries[] = {
    { "link", 0, 0, G_OPTION_ARG_FILENAME, &o->link_path, "Symbolic link to create", "PATH" },
    { "baud", 0, 0, G_OPTION_ARG_INT, &o->baud, "Pace output to this line rate", "N" },
    { "pace-input", 0, 0, G_OPTION_ARG_NONE, &o->pace_input,
      "Pace the host's bytes at --baud too (both directions)", NULL },
    { "net-delay", 0, 0, G_OPTION_ARG_INT, &o->net_delay, "One-way delay of every datagram", "MS" },
    { "at-latency", 0, 0, G_OPTION_ARG_INT, &o->at_latency, "Answer each command line MS ms late",
      "MS" },
    { "fault", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->faults, "Set a fault (repeatable)", "SPEC" },
    { "log", 0, 0, G_OPTION_ARG_FILENAME, &o->log_path, "Write the traffic log here", "FILE" },
    { "boot-delay", 0, 0, G_OPTION_ARG_INT, &o->boot_delay, "Time from RDY to APP RDY", "MS" },
    { "reset-silence", 0, 0, G_OPTION_ARG_INT, &o->reset_silence, "Silence of a reset", "MS" },
    { "time-scale", 0, 0, G_OPTION_ARG_INT, &o->time_scale, "Run CoAP timers N times faster", "N" },
    { "attach-delay", 0, 0, G_OPTION_ARG_INT, &o->attach_delay, "Time from RDY to registration",
      "MS" },
    { "activation-delay", 0, 0, G_OPTION_ARG_INT, &o->activation_delay,
      "Time a PDP context takes to activate", "MS" },
    { "network-ready", 0, 0, G_OPTION_ARG_NONE, &o->network_ready,
      "Boot registered at home with context 1 active, as a module whose firmware "
      "auto-activates context 1",
      NULL },
    { "model", 0, 0, G_OPTION_ARG_STRING, &o->model,
      "The module: BG96 (the default), BG95, BG77, BG600L or BC66", "MODEL" },
    { "urc-port", 0, 0, G_OPTION_ARG_STRING, &o->urc_port,
      "The stored AT+QURCCFG=\"urcport\" at start: usbat (the default), usbmodem, uart1", "PORT" },
    { "port-role", 0, 0, G_OPTION_ARG_STRING, &o->port_role,
      "Which port this pty is: usbat (the default), usbmodem, uart1; URCs come only while "
      "the stored URC port is this one",
      "PORT" },
    { "close-delay", 0, 0, G_OPTION_ARG_INT, &o->close_delay,
      "AT+QCOAPCLOSE's OK to its +QCOAPCLOSE result (an open of the ID meanwhile: -10)", "MS" },
    { "psm-requested", 0, 0, G_OPTION_ARG_NONE, &o->psm_requested,
      "Start with AT+CPSMS=1 stored, as a module set up for power saving", NULL },
    { "echo-saved-off", 0, 0, G_OPTION_ARG_NONE, &o->echo_saved_off,
      "ATE0 is stored in the profile: every boot starts with echo off", NULL },
    { "imei", 0, 0, G_OPTION_ARG_STRING, &o->imei,
      "The IMEI AT+GSN answers (a second module on one gateway has its own)", "DIGITS" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- a simulated Quectel BG96");

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if ((o->model != NULL && sim_model_find (o->model) == NULL)
      || (o->urc_port != NULL && !sim_urc_port_name_valid (o->urc_port))
      || (o->port_role != NULL && !sim_urc_port_name_valid (o->port_role)))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--model is one of %s; --urc-port and --port-role one of usbat, usbmodem, "
                   "uart1",
                   sim_model_names ());
      return FALSE;
    }
  if (o->link_path == NULL || o->baud < 0 || o->net_delay < 0 || o->boot_delay < 0
      || o->reset_silence < 0 || o->time_scale < 1 || o->attach_delay < 0 || o->activation_delay < 0
      || o->at_latency < 0 || o->close_delay < 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--link PATH is required; numbers must not be negative");
      return FALSE;
    }
  return TRUE;
}

int
main (int argc, char **argv)
{
  Options options = { .boot_delay = 800,
                      .reset_silence = 2000,
                      .time_scale = 1,
                      .attach_delay = 1500,
                      .activation_delay = 200 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (SimModem) modem = NULL;
  SimModemConfig config;
  SimMain main_state = { 0 };
  int status = 1;

  if (!parse_options (&argc, &argv, &options, &error))
    {
      g_printerr ("bg96-sim: %s\n", error->message);
      options_clear (&options);
      return 2;
    }
  if (options.log_path != NULL && !sim_log_open (options.log_path, &error))
    goto out;
  /* A test that closes our stdout must not kill us with SIGPIPE. */
  signal (SIGPIPE, SIG_IGN);

  config = (SimModemConfig){ .boot_delay_ms = options.boot_delay,
                             .reset_silence_ms = options.reset_silence,
                             .net_delay_ms = options.net_delay,
                             .time_scale = options.time_scale,
                             .attach_delay_ms = options.attach_delay,
                             .activation_delay_ms = options.activation_delay,
                             .network_ready = options.network_ready,
                             .at_latency_ms = options.at_latency,
                             .pace_input = options.pace_input,
                             .model = sim_model_find (options.model),
                             .urc_port = options.urc_port,
                             .port_role = options.port_role,
                             .psm_requested = options.psm_requested,
                             .echo_saved_off = options.echo_saved_off,
                             .imei = options.imei,
                             .close_delay_ms = options.close_delay };
  modem = sim_modem_new (options.link_path, options.baud, &config, &error);
  if (modem == NULL || !apply_faults (modem, options.faults, &error))
    goto out;

  loop = g_main_loop_new (NULL, FALSE);
  main_state.link_path = options.link_path;
  main_state.control = sim_control_new (modem, 0, loop);
  sim_modem_set_booted_func (modem, on_booted, &main_state);
  g_unix_signal_add (SIGTERM, on_terminate, loop);
  g_unix_signal_add (SIGINT, on_terminate, loop);

  sim_modem_boot (modem);
  g_main_loop_run (loop);

  sim_log ("info", "exiting");
  g_clear_pointer (&main_state.control, sim_control_free);
  status = 0;
out:
  if (error != NULL)
    g_printerr ("bg96-sim: %s\n", error->message);
  g_clear_pointer (&modem, sim_modem_free);
  sim_log_close ();
  options_clear (&options);
  return status;
}
