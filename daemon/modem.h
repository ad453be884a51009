/* SPDX-License-Identifier: MIT */
/* modem.h — the modem's life cycle: port, AT engine, initialisation, identity.
 *
 * The modem owns the serial port and the AT engine on top of it. It opens the
 * configured device (staying up in state "absent" while there is none, and
 * watching the device's directory for it to appear), initialises the module
 * (echo off, verbose errors, identity), and tells its listener when the state
 * changes and when every session on the module is gone (the port was lost or
 * the module rebooted). It takes the module's restart lines (RDY, APP RDY,
 * POWERED DOWN…) and its SIM and functionality reports from the engine; the
 * other modules register for their own URCs on the engine
 * (modem_get_engine()).
 */
#pragma once

#include <gio/gio.h>

#include "at-engine.h"
#include "modem-init.h"

G_BEGIN_DECLS

typedef enum
{
  MODEM_STATE_ABSENT,
  MODEM_STATE_INITIALIZING,
  MODEM_STATE_READY,
  MODEM_STATE_FAILED,
  MODEM_STATE_SLEEPING, /* power saving (PSM): the module answers nothing until it wakes */
} ModemState;

typedef struct _Modem Modem;

/* Why every session on the module ended, as the Closed signal spells it. */
#define MODEM_REASON_LOST  "modem-lost"  /* the port went away, or the module stopped answering */
#define MODEM_REASON_RESET "modem-reset" /* the module restarted */

typedef struct
{
  void (*state_changed) (Modem *modem, gpointer user_data);
  /* Every CoAP session on the module is gone; @reason is MODEM_REASON_LOST
   * or MODEM_REASON_RESET. (A dropped data call is the network's, which
   * hears of it through its own URC handler.) */
  void (*sessions_lost) (Modem *modem, const char *reason, gpointer user_data);
} ModemListener;

Modem *modem_new (const char *device, guint baud, gboolean rtscts, const ModemSettings *settings,
                  const ModemListener *listener, gpointer user_data);
void modem_free (Modem *modem);
/* Opens the port (or starts waiting for it) and initialises the module. */
void modem_start (Modem *modem);

ModemState modem_get_state (Modem *modem);
const char *modem_state_to_string (ModemState state);
/* Why the state is what it is, in words a person can act on ("BC66: this
 * module's CoAP commands are a different family…", "power saving: the
 * module sleeps"); "" when there is nothing to say. state_changed is called
 * when it changes too. */
const char *modem_get_state_reason (Modem *modem);
const char *modem_get_device (Modem *modem);
const char *modem_get_manufacturer (Modem *modem);
const char *modem_get_model (Modem *modem);
const char *modem_get_revision (Modem *modem);
const char *modem_get_imei (Modem *modem);
/* The engine, for registering URC handlers; it lives as long as @modem. */
AtEngine *modem_get_engine (Modem *modem);

/* Whether commands may go to the modem now; if not, a
 * QCOAP_ERROR_MODEM_UNAVAILABLE that says why. */
gboolean modem_check_ready (Modem *modem, GError **error);

/* Runs one AT command. Fails with QCOAP_ERROR_MODEM_UNAVAILABLE unless the
 * modem is ready. */
void modem_command (Modem *modem, const AtCommand *command, GCancellable *cancellable,
                    GAsyncReadyCallback callback, gpointer user_data);
AtResponse *modem_command_finish (Modem *modem, GAsyncResult *result, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Modem, modem_free)

G_END_DECLS
