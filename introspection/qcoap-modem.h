/* SPDX-License-Identifier: MIT */
/* qcoap-modem.h — what the BG96's CoAP client takes, from modem-facts.txt:
 * the options of AT+QCOAPOPTION with their value lengths, the integer
 * options the module only receives, the codes of AT+QCOAPSEND, and the
 * limits of its commands (qcoap-modem-limits.h).
 *
 * The arrays and the limits are generated; the daemon, bg96-sim and
 * qcoap-proxy depend on qcoap_modem_dep (a static library that needs
 * nothing but GLib) instead of writing these facts out again. */
#pragma once

#include <glib.h>

#include "qcoap-modem-limits.h"
#include "qcoap-registry.h"

G_BEGIN_DECLS

/* One option the module knows. Lengths are in bytes; for an integer option
 * the length of a value is the number of bytes it needs (0 for 0).
 * @sendable says whether AT+QCOAPOPTION takes the option; the others are
 * integer options the module only reports in +QCOAPRECV. */
typedef struct
{
  guint16 number;
  const char *name;
  QcoapRegistryValue format;
  guint16 min_length;
  guint16 max_length;
  gboolean sendable;
} QcoapModemOption;

/* Ascending by number. */
extern const QcoapModemOption qcoap_modem_options[];
extern const gsize qcoap_modem_n_options;
/* Ascending; class*32 + detail. */
extern const guint8 qcoap_modem_codes[];
extern const gsize qcoap_modem_n_codes;

/* The option with this number, sendable or not; NULL if the module does
 * not know it. */
const QcoapModemOption *qcoap_modem_option (guint number);

/* Whether AT+QCOAPSEND takes @code. */
gboolean qcoap_modem_takes_code (guint code);

G_END_DECLS
