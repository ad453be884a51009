/* SPDX-License-Identifier: MIT */
/* qcoap-modem.c — see qcoap-modem.h. */
#include "qcoap-modem.h"

const QcoapModemOption *
qcoap_modem_option (guint number)
{
  for (gsize i = 0; i < qcoap_modem_n_options; i++)
    if (qcoap_modem_options[i].number == number)
      return &qcoap_modem_options[i];
  return NULL;
}

gboolean
qcoap_modem_takes_code (guint code)
{
  for (gsize i = 0; i < qcoap_modem_n_codes; i++)
    if (qcoap_modem_codes[i] == code)
      return TRUE;
  return FALSE;
}
