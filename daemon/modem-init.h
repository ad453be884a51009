/* SPDX-License-Identifier: MIT */
/* modem-init.h — what the daemon asks and sets at every initialisation of
 * the module.
 *
 * The sequence: echo off (ATE0) and errors in words (AT+CMEE=2); the
 * identity (ATI, AT+GSN, AT+CGMR); the family check (the BG96, BG95, BG77 and
 * BG600L share the AT+QCOAP… commands; a module of another family, or an
 * unknown model that does not answer AT+QCOAPCFG=? as the BG96 does, is
 * refused with a reason a person can act on); the URC port
 * (AT+QURCCFG="urcport": the module sends its URCs to that port only, and
 * keeps the setting across reboots); power saving (AT+CPSMS=0, AT+CEDRXS=0
 * unless the configuration keeps the module's own settings).
 *
 * The steps after the identity are the module's settings: a module that
 * refuses one of them is still usable, so their errors are logged, not
 * fatal. The family check is the exception: nothing else is sent to a module
 * of another family.
 */
#pragma once

#include <gio/gio.h>

#include "at-engine.h"

G_BEGIN_DECLS

typedef enum
{
  MODEM_URC_PORT_AUTO, /* from the port's place in sysfs; unchanged where that is unknown */
  MODEM_URC_PORT_USBAT,
  MODEM_URC_PORT_USBMODEM,
  MODEM_URC_PORT_UART1,
} ModemUrcPort;

typedef enum
{
  MODEM_POWER_SAVING_OFF,  /* AT+CPSMS=0 and AT+CEDRXS=0 at every initialisation */
  MODEM_POWER_SAVING_KEEP, /* the module's settings stay; it may sleep (PSM) */
} ModemPowerSaving;

typedef struct
{
  ModemUrcPort urc_port;
  ModemPowerSaving power_saving;
} ModemSettings;

/* "auto", "usbat", "usbmodem", "uart1" — as the configuration and the AT
 * command spell them. */
const char *modem_urc_port_to_string (ModemUrcPort port);
gboolean modem_urc_port_from_string (const char *text, ModemUrcPort *port);
/* "off", "keep". */
gboolean modem_power_saving_from_string (const char *text, ModemPowerSaving *power_saving);

typedef enum
{
  MODEM_FAMILY_BG96,    /* BG96, BG95 (-M1, -M2, -M3, -N1…), BG77, BG600L */
  MODEM_FAMILY_OTHER,   /* a module with another CoAP command set (BC66, BC95…) */
  MODEM_FAMILY_UNKNOWN, /* a model nobody has vouched for: the probe decides */
} ModemFamily;

/* The family of the model ATI printed ("BG96", "BG95-M3", "BC66"). */
ModemFamily modem_family_of (const char *model);

/* What ATI, AT+GSN and AT+CGMR told. */
typedef struct
{
  char *manufacturer;
  char *model;
  char *revision;
  char *imei;
} ModemIdentity;

void modem_identity_clear (ModemIdentity *identity);

#define MODEM_INIT_ERROR (modem_init_error_quark ())
GQuark modem_init_error_quark (void);

typedef enum
{
  /* The module is not one qcoapd can drive: the message says which and why. */
  MODEM_INIT_ERROR_UNSUPPORTED,
} ModemInitError;

/* Runs the sequence on @engine for the port @device. Completes with the
 * identity, MODEM_INIT_ERROR_UNSUPPORTED (retrying cannot help), or the
 * engine's error of a command that had to succeed. */
void modem_init_run (AtEngine *engine, const char *device, const ModemSettings *settings,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
/* @identity is filled (clear it) when the sequence succeeded, and as far as
 * it got when it failed with MODEM_INIT_ERROR_UNSUPPORTED. */
gboolean modem_init_finish (GAsyncResult *result, ModemIdentity *identity, GError **error);

G_END_DECLS
