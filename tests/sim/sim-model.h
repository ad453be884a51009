/* SPDX-License-Identifier: MIT */
/* sim-model.h — the modules the simulator can be (--model): what each says
 * of itself and how it names the network's technology.
 *
 * The BG96 names LTE-M "CAT-M1" and NB-IoT "CAT-NB1" (a trace of firmware
 * BG96MAR04A04M1G); the BG95, BG77 and BG600L say "eMTC" and "NBIoT". The
 * BC66 has a CoAP client of another family (AT+QCOAPCREATE…): every AT+QCOAP…
 * command of the BG96 answers ERROR there.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const char *name;     /* as ATI's second line prints it */
  const char *revision; /* ATI's "Revision:" and AT+CGMR */
  const char *lte_m;    /* the system mode in +QCSQ, +QNWINFO and +QENG */
  gboolean bg96_coap;   /* takes the BG96's AT+QCOAP… commands */
} SimModel;

/* The model called @name (any case), or NULL; NULL @name: the BG96. */
const SimModel *sim_model_find (const char *name);

/* "usbat", "usbmodem" or "uart1": the ports AT+QURCCFG names. */
gboolean sim_urc_port_name_valid (const char *port);

/* "BG96, BG95, BG77, BG600L, BC66" for --help and errors. */
const char *sim_model_names (void);

G_END_DECLS
