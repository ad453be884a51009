/* SPDX-License-Identifier: MIT */
/* sim-cellular.c — see sim-cellular.h. */
#include "sim-cellular.h"

#include "sim-at-parser.h"

#include <string.h>

/* The simulated network: the test PLMN 001-01 on an LTE-M cell in band 20. */
#define OPERATOR_NAME       "Fake Telecom"
#define OPERATOR_SHORT_NAME "Fake"
#define MCC                 "001"
#define MNC                 "01"
#define TAC                 "3A9F"
#define CELL_ID             "1A2D00F"
#define PHYSICAL_CELL       123
#define EARFCN              6300
#define BAND                20
#define ACT_EMTC            8 /* the access technology the BG96 reports for LTE Cat M1 */

static const char *const report_names[SIM_REG_N_KINDS] = {
  [SIM_REG_CEREG] = "+CEREG",
  [SIM_REG_CGREG] = "+CGREG",
  [SIM_REG_CREG] = "+CREG",
};

void
sim_cellular_init (SimCellular *cellular)
{
  *cellular = (SimCellular){ .offer = SIM_REG_HOME,
                             .status = SIM_REG_SEARCHING,
                             .rsrp_dbm = SIM_RSRP_DEFAULT,
                             .lte_m_word = "CAT-M1" };
  for (guint cid = 1; cid <= SIM_PDP_N_CONTEXTS; cid++)
    sim_cellular_set_settings (cellular, cid, SIM_PDP_IPV4, "", "", "", 0);
}

/* A secret does not linger in freed memory. */
static void
free_secret (char *secret)
{
  if (secret == NULL)
    return;
  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

static void
clear_settings (SimPdpSettings *settings)
{
  g_clear_pointer (&settings->apn, g_free);
  g_clear_pointer (&settings->user, g_free);
  g_clear_pointer (&settings->password, free_secret);
}

void
sim_cellular_clear (SimCellular *cellular)
{
  for (guint i = 0; i < SIM_PDP_N_CONTEXTS; i++)
    clear_settings (&cellular->settings[i]);
}

gboolean
sim_cellular_is_registered (const SimCellular *cellular)
{
  return cellular->status == SIM_REG_HOME || cellular->status == SIM_REG_ROAMING;
}

static gboolean
valid_cid (guint cid)
{
  return cid >= 1 && cid <= SIM_PDP_N_CONTEXTS;
}

SimPdpState
sim_cellular_get_state (const SimCellular *cellular, guint cid)
{
  return valid_cid (cid) ? cellular->state[cid - 1] : SIM_PDP_INACTIVE;
}

void
sim_cellular_set_state (SimCellular *cellular, guint cid, SimPdpState state)
{
  g_return_if_fail (valid_cid (cid));
  cellular->state[cid - 1] = state;
}

void
sim_cellular_set_settings (SimCellular *cellular, guint cid, SimPdpType type, const char *apn,
                           const char *user, const char *password, guint auth)
{
  SimPdpSettings *settings;

  g_return_if_fail (valid_cid (cid));
  settings = &cellular->settings[cid - 1];
  clear_settings (settings);
  *settings = (SimPdpSettings){ .type = type,
                                .apn = g_strdup (apn),
                                .user = g_strdup (user),
                                .password = g_strdup (password),
                                .auth = auth };
}

void
sim_cellular_derive_signal (int rsrp_dbm, SimSignal *signal)
{
  /* Plausible for one LTE-M cell: RSSI sits some 25 dB above the RSRP,
   * quality and SINR fall with the level. */
  signal->rssi_dbm = CLAMP (rsrp_dbm + 25, -113, -51);
  signal->csq = (guint)((signal->rssi_dbm + 113) / 2);
  signal->rsrq_db = CLAMP (-20 + (rsrp_dbm + 140) / 5, -20, -3);
  signal->sinr_db = CLAMP ((rsrp_dbm + 125) / 2, -20, 30);
  signal->sinr_code = (guint)((signal->sinr_db + 20) * 5);
  signal->srxlev = MAX (rsrp_dbm + 128, 0);
}

char *
sim_cellular_format_registration (const SimCellular *cellular, SimRegKind kind, gboolean with_mode)
{
  guint mode = cellular->report_mode[kind];
  GString *text;

  if (!with_mode && mode == 0)
    return NULL;
  text = g_string_new (report_names[kind]);
  g_string_append (text, ": ");
  if (with_mode)
    g_string_append_printf (text, "%u,", mode);
  g_string_append_printf (text, "%d", cellular->status);
  /* The location comes with <n> 2, once there is a cell to name. */
  if (mode == 2 && sim_cellular_is_registered (cellular))
    g_string_append_printf (text, ",\"%s\",\"%s\",%d", TAC, CELL_ID, ACT_EMTC);
  return g_string_free (text, FALSE);
}

char *
sim_cellular_format_cops (const SimCellular *cellular)
{
  if (!sim_cellular_is_registered (cellular))
    return g_strdup ("+COPS: 0");
  return g_strdup_printf ("+COPS: 0,0,\"%s\",%d", OPERATOR_NAME, ACT_EMTC);
}

char *
sim_cellular_format_cops_scan (const SimCellular *cellular)
{
  /* The operator's status: 1 available, 2 current, 3 forbidden. */
  int status = sim_cellular_is_registered (cellular) ? 2 : 1;

  if (cellular->offer == SIM_REG_SEARCHING)
    return g_strdup ("+COPS: ,,(0-4),(0-2)");
  if (cellular->offer == SIM_REG_DENIED)
    status = 3;
  return g_strdup_printf ("+COPS: (%d,\"%s\",\"%s\",\"%s%s\",%d),,(0-4),(0-2)", status,
                          OPERATOR_NAME, OPERATOR_SHORT_NAME, MCC, MNC, ACT_EMTC);
}

char *
sim_cellular_format_qnwinfo (const SimCellular *cellular)
{
  if (!sim_cellular_is_registered (cellular))
    return g_strdup ("+QNWINFO: No Service");
  return g_strdup_printf ("+QNWINFO: \"%s\",\"%s%s\",\"LTE BAND %d\",%d", cellular->lte_m_word, MCC,
                          MNC, BAND, EARFCN);
}

char *
sim_cellular_format_csq (const SimCellular *cellular)
{
  SimSignal signal;

  if (!sim_cellular_is_registered (cellular))
    return g_strdup ("+CSQ: 99,99");
  sim_cellular_derive_signal (cellular->rsrp_dbm, &signal);
  return g_strdup_printf ("+CSQ: %u,99", signal.csq);
}

char *
sim_cellular_format_qcsq (const SimCellular *cellular)
{
  SimSignal signal;

  if (!sim_cellular_is_registered (cellular))
    return g_strdup ("+QCSQ: \"NOSERVICE\"");
  sim_cellular_derive_signal (cellular->rsrp_dbm, &signal);
  return g_strdup_printf ("+QCSQ: \"%s\",%d,%d,%u,%d", cellular->lte_m_word, signal.rssi_dbm,
                          cellular->rsrp_dbm, signal.sinr_code, signal.rsrq_db);
}

char *
sim_cellular_format_qeng (const SimCellular *cellular)
{
  SimSignal signal;

  if (cellular->status == SIM_REG_DENIED)
    return g_strdup ("+QENG: \"servingcell\",\"LIMSRV\"");
  if (!sim_cellular_is_registered (cellular))
    return g_strdup ("+QENG: \"servingcell\",\"SEARCH\"");
  sim_cellular_derive_signal (cellular->rsrp_dbm, &signal);
  /* state, RAT, duplex, MCC, MNC, cell, PCI, EARFCN, band, UL and DL
   * bandwidth (3: 5 MHz), TAC, RSRP, RSRQ, RSSI, SINR, srxlev */
  return g_strdup_printf ("+QENG: \"servingcell\",\"NOCONN\",\"%s\",\"FDD\",%s,%s,%s,%d,%d,%d,3,3,"
                          "%s,%d,%d,%d,%d,%d",
                          cellular->lte_m_word, MCC, MNC, CELL_ID, PHYSICAL_CELL, EARFCN, BAND, TAC,
                          cellular->rsrp_dbm, signal.rsrq_db, signal.rssi_dbm, signal.sinr_db,
                          signal.srxlev);
}

char *
sim_cellular_format_qicsgp (const SimCellular *cellular, guint cid, gboolean mask_password)
{
  const SimPdpSettings *settings;

  g_return_val_if_fail (valid_cid (cid), NULL);
  settings = &cellular->settings[cid - 1];
  return g_strdup_printf ("+QICSGP: %d,\"%s\",\"%s\",\"%s\",%u", settings->type, settings->apn,
                          settings->user, mask_password ? SIM_AT_MASK : settings->password,
                          settings->auth);
}

char *
sim_cellular_format_qiact (const SimCellular *cellular, guint cid)
{
  const SimPdpSettings *settings;

  g_return_val_if_fail (valid_cid (cid), NULL);
  settings = &cellular->settings[cid - 1];
  /* Addresses from private and documentation ranges: nothing routes them. */
  if (settings->type == SIM_PDP_IPV6)
    return g_strdup_printf ("+QIACT: %u,1,%d,\"2001:DB8:0:%X::1\"", cid, settings->type, cid);
  return g_strdup_printf ("+QIACT: %u,1,%d,\"10.64.0.%u\"", cid, settings->type, cid);
}
