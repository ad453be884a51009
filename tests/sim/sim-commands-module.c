/* SPDX-License-Identifier: MIT */
/* sim-commands-module.c — the module's own settings that outlive a reboot:
 * where its URCs go (AT+QURCCFG="urcport") and power saving (AT+CPSMS,
 * AT+CEDRXS). */
#include "sim-modem-private.h"

#include "sim-log.h"

#include <string.h>

/* AT+QURCCFG="urcport"[,"<port>"]: read with one argument, set with two. */
static void
at_qurccfg (SimModem *modem, const SimAtCommand *command)
{
  guint n = sim_at_command_n_args (command);
  const char *what = n > 0 ? sim_at_command_get_string (command, 0) : NULL;
  const char *port = n > 1 ? sim_at_command_get_string (command, 1) : NULL;

  if (command->kind == SIM_AT_KIND_TEST)
    {
      sim_modem_send_info (modem, "+QURCCFG: \"urcport\",(\"usbat\",\"usbmodem\",\"uart1\")");
      sim_modem_send_ok (modem);
      return;
    }
  if (command->kind != SIM_AT_KIND_WRITE || g_strcmp0 (what, "urcport") != 0 || n > 2
      || (n == 2 && !sim_urc_port_name_valid (port)))
    {
      sim_modem_send_error (modem);
      return;
    }
  if (n == 2)
    {
      g_free (modem->urc_port);
      modem->urc_port = g_strdup (port);
      sim_log ("info", "URC port set to %s (this port is %s)", port, modem->config.port_role);
    }
  else
    sim_modem_send_info (modem, "+QURCCFG: \"urcport\",\"%s\"", modem->urc_port);
  sim_modem_send_ok (modem);
}

static void
at_cpsms (SimModem *modem, const SimAtCommand *command)
{
  /* Only the mode is kept of AT+CPSMS=<mode>[,…]. */
  sim_modem_uint_setting (modem, command, "CPSMS", 2, G_MAXUINT, &modem->psm_mode);
}

static void
at_cedrxs (SimModem *modem, const SimAtCommand *command)
{
  sim_modem_uint_setting (modem, command, "CEDRXS", 3, G_MAXUINT, &modem->edrx_mode);
}

const SimCommandEntry sim_module_commands[] = {
  { "+QURCCFG", at_qurccfg },
  { "+CPSMS", at_cpsms },
  { "+CEDRXS", at_cedrxs },
  { NULL, NULL },
};
