/* SPDX-License-Identifier: MIT */
/* sim-commands-network.c — registration (CEREG, CGREG, CREG), operator and
 * signal (COPS, QNWINFO, CSQ, QCSQ, QENG) and the PDP contexts (QICSGP,
 * QIACT, QIDEACT). */
#include "sim-modem-private.h"

#include <string.h>

/* AT+QICSGP's password argument, which the traffic log masks. */
#define QICSGP_PASSWORD_INDEX 4

const SimSecretArgument sim_secret_arguments[] = {
  { "+QICSGP", QICSGP_PASSWORD_INDEX },
  { NULL, 0 },
};

static gboolean
get_cid (const SimAtCommand *command, guint *cid)
{
  return sim_at_command_get_uint (command, 0, 1, SIM_PDP_N_CONTEXTS, cid);
}

/* An execute command that prints one line; its test form answers OK. */
static void
answer_line (SimModem *modem, const SimAtCommand *command, char *(*format) (const SimCellular *))
{
  g_autofree char *line = NULL;

  if (command->kind == SIM_AT_KIND_TEST)
    {
      sim_modem_send_ok (modem);
      return;
    }
  if (command->kind != SIM_AT_KIND_EXEC)
    {
      sim_modem_send_error (modem);
      return;
    }
  line = format (&modem->cellular);
  sim_modem_send_info (modem, "%s", line);
  sim_modem_send_ok (modem);
}

/* ---- registration ---- */

static void
registration (SimModem *modem, const SimAtCommand *command, SimRegKind kind)
{
  g_autofree char *answer = NULL;
  guint mode;

  switch (command->kind)
    {
      case SIM_AT_KIND_TEST:
        sim_modem_send_info (modem, "%s: (0-2)", command->name);
        break;
      case SIM_AT_KIND_READ:
        answer = sim_cellular_format_registration (&modem->cellular, kind, TRUE);
        sim_modem_send_info (modem, "%s", answer);
        break;
      case SIM_AT_KIND_WRITE:
        if (sim_at_command_n_args (command) != 1
            || !sim_at_command_get_uint (command, 0, 0, 2, &mode))
          {
            sim_modem_send_error (modem);
            return;
          }
        modem->cellular.report_mode[kind] = mode;
        break;
      case SIM_AT_KIND_EXEC:
      default:
        sim_modem_send_error (modem);
        return;
    }
  sim_modem_send_ok (modem);
}

static void
at_cereg (SimModem *modem, const SimAtCommand *command)
{
  registration (modem, command, SIM_REG_CEREG);
}

static void
at_cgreg (SimModem *modem, const SimAtCommand *command)
{
  registration (modem, command, SIM_REG_CGREG);
}

static void
at_creg (SimModem *modem, const SimAtCommand *command)
{
  registration (modem, command, SIM_REG_CREG);
}

/* ---- operator and signal ---- */

/* AT+COPS? names the operator; AT+COPS=0 (automatic selection, what the
 * module does anyway) is the only write accepted. */
static void
at_cops (SimModem *modem, const SimAtCommand *command)
{
  g_autofree char *answer = NULL;
  guint mode;

  if (command->kind == SIM_AT_KIND_READ)
    {
      answer = sim_cellular_format_cops (&modem->cellular);
      sim_modem_send_info (modem, "%s", answer);
      sim_modem_send_ok (modem);
    }
  else if (command->kind == SIM_AT_KIND_TEST)
    {
      answer = sim_cellular_format_cops_scan (&modem->cellular);
      sim_modem_send_info (modem, "%s", answer);
      sim_modem_send_ok (modem);
    }
  else if (command->kind == SIM_AT_KIND_WRITE && sim_at_command_n_args (command) == 1
           && sim_at_command_get_uint (command, 0, 0, 0, &mode))
    sim_modem_send_ok (modem);
  else
    sim_modem_send_error (modem);
}

static void
at_qnwinfo (SimModem *modem, const SimAtCommand *command)
{
  answer_line (modem, command, sim_cellular_format_qnwinfo);
}

static void
at_csq (SimModem *modem, const SimAtCommand *command)
{
  if (command->kind == SIM_AT_KIND_TEST)
    sim_modem_send_info (modem, "+CSQ: (0-31,99),(0-7,99)");
  answer_line (modem, command, sim_cellular_format_csq);
}

static void
at_qcsq (SimModem *modem, const SimAtCommand *command)
{
  answer_line (modem, command, sim_cellular_format_qcsq);
}

/* AT+QENG="servingcell" describes the cell; there are no neighbours. */
static void
at_qeng (SimModem *modem, const SimAtCommand *command)
{
  const char *what = sim_at_command_get_string (command, 0);
  g_autofree char *answer = NULL;

  if (command->kind == SIM_AT_KIND_TEST)
    {
      sim_modem_send_info (modem, "+QENG: (\"servingcell\",\"neighbourcell\")");
      sim_modem_send_ok (modem);
      return;
    }
  if (command->kind != SIM_AT_KIND_WRITE || sim_at_command_n_args (command) != 1 || what == NULL
      || (g_ascii_strcasecmp (what, "servingcell") != 0
          && g_ascii_strcasecmp (what, "neighbourcell") != 0))
    {
      sim_modem_send_error (modem);
      return;
    }
  if (g_ascii_strcasecmp (what, "servingcell") == 0)
    {
      answer = sim_cellular_format_qeng (&modem->cellular);
      sim_modem_send_info (modem, "%s", answer);
    }
  sim_modem_send_ok (modem);
}

/* ---- PDP contexts ---- */

static void
qicsgp_read (SimModem *modem, guint cid)
{
  g_autofree char *text = sim_cellular_format_qicsgp (&modem->cellular, cid, FALSE);
  g_autofree char *shown = sim_cellular_format_qicsgp (&modem->cellular, cid, TRUE);

  sim_modem_send_secret_info (modem, text, shown);
  sim_modem_send_ok (modem);
}

static const char *
get_text (const SimAtCommand *command, guint index, gsize max_length)
{
  const char *text = sim_at_command_get_string (command, index);

  return text != NULL && strlen (text) <= max_length ? text : NULL;
}

/* AT+QICSGP=<cid>,<type>,"<APN>"[,"<user>","<password>"[,<auth>]]: what is
 * left out is reset (no credentials, no authentication). */
static gboolean
qicsgp_write (SimModem *modem, const SimAtCommand *command, guint cid)
{
  guint n = sim_at_command_n_args (command);
  const char *apn = get_text (command, 2, SIM_PDP_MAX_APN);
  const char *user = n >= 5 ? get_text (command, 3, SIM_PDP_MAX_CREDENTIAL) : "";
  const char *password = n >= 5 ? get_text (command, 4, SIM_PDP_MAX_CREDENTIAL) : "";
  guint type;
  guint auth = 0;

  if ((n != 3 && n != 5 && n != 6) || !sim_at_command_get_uint (command, 1, 1, 3, &type)
      || apn == NULL || user == NULL || password == NULL
      || (n == 6 && !sim_at_command_get_uint (command, 5, 0, 3, &auth)))
    return FALSE;
  sim_cellular_set_settings (&modem->cellular, cid, type, apn, user, password, auth);
  return TRUE;
}

static void
at_qicsgp (SimModem *modem, const SimAtCommand *command)
{
  guint cid;

  if (command->kind == SIM_AT_KIND_TEST)
    {
      sim_modem_send_info (modem, "+QICSGP: (1-16),(1-3),<APN>,<username>,<password>,(0-3)");
      sim_modem_send_ok (modem);
      return;
    }
  if (command->kind != SIM_AT_KIND_WRITE || !get_cid (command, &cid))
    sim_modem_send_error (modem);
  else if (sim_at_command_n_args (command) == 1)
    qicsgp_read (modem, cid);
  else if (qicsgp_write (modem, command, cid))
    sim_modem_send_ok (modem);
  else
    sim_modem_send_error (modem);
}

static void
qiact_list (SimModem *modem)
{
  for (guint cid = 1; cid <= SIM_PDP_N_CONTEXTS; cid++)
    if (sim_cellular_get_state (&modem->cellular, cid) == SIM_PDP_ACTIVE)
      {
        g_autofree char *line = sim_cellular_format_qiact (&modem->cellular, cid);

        sim_modem_send_info (modem, "%s", line);
      }
  sim_modem_send_ok (modem);
}

/* AT+QIACT=<cid> answers when the activation ends. Only an inactive context
 * of a registered modem can be activated: one that is active or activating
 * already, or that the network dropped (AT+QIDEACT first), gets ERROR. */
static void
at_qiact (SimModem *modem, const SimAtCommand *command)
{
  guint cid;

  if (command->kind == SIM_AT_KIND_TEST)
    {
      sim_modem_send_info (modem, "+QIACT: (1-%d)", SIM_PDP_N_CONTEXTS);
      sim_modem_send_ok (modem);
    }
  else if (command->kind == SIM_AT_KIND_READ)
    qiact_list (modem);
  else if (command->kind == SIM_AT_KIND_WRITE && sim_at_command_n_args (command) == 1
           && get_cid (command, &cid)
           && sim_cellular_get_state (&modem->cellular, cid) == SIM_PDP_INACTIVE
           && sim_cellular_is_registered (&modem->cellular))
    sim_modem_activate (modem, cid, TRUE);
  else
    sim_modem_send_error (modem);
}

/* AT+QIDEACT=<cid>: OK whatever the context's state; its sessions end. */
static void
at_qideact (SimModem *modem, const SimAtCommand *command)
{
  guint cid;

  if (command->kind == SIM_AT_KIND_TEST)
    {
      sim_modem_send_info (modem, "+QIDEACT: (1-%d)", SIM_PDP_N_CONTEXTS);
      sim_modem_send_ok (modem);
    }
  else if (command->kind == SIM_AT_KIND_WRITE && sim_at_command_n_args (command) == 1
           && get_cid (command, &cid))
    {
      sim_modem_context_down (modem, cid, SIM_PDP_INACTIVE);
      sim_modem_send_ok (modem);
    }
  else
    sim_modem_send_error (modem);
}

const SimCommandEntry sim_network_commands[] = {
  { "+CEREG", at_cereg }, { "+CGREG", at_cgreg },     { "+CREG", at_creg },
  { "+COPS", at_cops },   { "+QNWINFO", at_qnwinfo }, { "+CSQ", at_csq },
  { "+QCSQ", at_qcsq },   { "+QENG", at_qeng },       { "+QICSGP", at_qicsgp },
  { "+QIACT", at_qiact }, { "+QIDEACT", at_qideact }, { NULL, NULL },
};
