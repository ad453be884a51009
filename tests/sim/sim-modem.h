/* SPDX-License-Identifier: MIT */
/* sim-modem.h — the simulated BG96: boot, the AT command engine and the
 * fidelity faults. It reads and writes the serial line through a SimPort and
 * talks CoAP through its six SimCoapClients.
 */
#pragma once

#include "sim-model.h"
#include "sim-port.h"

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint boot_delay_ms;       /* RDY to APP RDY */
  guint reset_silence_ms;    /* POWERED DOWN to RDY */
  guint net_delay_ms;        /* one-way delay of every datagram */
  guint time_scale;          /* CoAP timers run this many times faster */
  guint attach_delay_ms;     /* power-up to registration */
  guint activation_delay_ms; /* AT+QIACT to its result */
  gboolean network_ready;    /* registered with context 1 active at power-up, and
                              * context 1 activated again on every registration */
  guint at_latency_ms;       /* the module's time to answer each command line */
  gboolean pace_input;       /* host-to-modem bytes take their line time too */
  const SimModel *model;     /* what the module is (NULL: a BG96) */
  const char *urc_port;      /* the stored AT+QURCCFG="urcport" at start (NULL: usbat) */
  const char *port_role;     /* which port this pty is (NULL: usbat): URCs go out only
                              * while the stored URC port is this one */
  gboolean psm_requested;    /* AT+CPSMS=1 stored at start, as a module set up for PSM */
  gboolean echo_saved_off;   /* ATE0 stored in the profile (AT&W): every boot starts
                              * with echo off */
  const char *imei;          /* what AT+GSN answers (NULL: the built-in one) */
  guint close_delay_ms;      /* AT+QCOAPCLOSE's OK to its +QCOAPCLOSE result (0: 20 ms);
                              * an open on the ID meanwhile fails with -10 */
} SimModemConfig;

typedef struct _SimModem SimModem;

/* Called each time the modem has booted (after APP RDY). */
typedef void (*SimModemBootedFunc) (SimModem *modem, gpointer user_data);

/* Creates the modem and its serial port at @link_path (see sim_port_new). */
SimModem *sim_modem_new (const char *link_path, guint baud, const SimModemConfig *config,
                         GError **error);
void sim_modem_free (SimModem *modem);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimModem, sim_modem_free)

void sim_modem_set_booted_func (SimModem *modem, SimModemBootedFunc func, gpointer user_data);

/* Powers up: the boot URCs, then APP RDY after the boot delay. */
void sim_modem_boot (SimModem *modem);

/* Power saving granted: "PSM POWER DOWN", silence, then the boot URCs; only
 * if the host left PSM requested (AT+CPSMS=1). */
void sim_modem_psm_sleep (SimModem *modem, guint sleep_ms);

/* Resets at once, as a watchdog would: silence, then the boot URCs. */
void sim_modem_reboot (SimModem *modem);

/* Closes the pty and removes the link / makes a new one and boots. */
void sim_modem_unplug (SimModem *modem);
gboolean sim_modem_replug (SimModem *modem, GError **error);

/* Sets a fault from "NAME[=ARG]", or makes the network do something
 * (register, deregister, pdp-drop, …; see README.md). */
gboolean sim_modem_set_fault (SimModem *modem, const char *spec, GError **error);

/* Sends an arbitrary URC line to the host. */
void sim_modem_inject_urc (SimModem *modem, const char *line);
/* Takes @line as a command line the host wrote (as a host that went away
 * after writing it left it). */
void sim_modem_take_host_line (SimModem *modem, const char *line);

/* "rx=… tx=… lines=… udp-tx=… udp-rx=…" */
char *sim_modem_describe_stats (SimModem *modem);

G_END_DECLS
