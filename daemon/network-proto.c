/* SPDX-License-Identifier: MIT */
/* network-proto.c — see network-proto.h. */
#include "network-proto.h"

#include <gio/gio.h>
#include <string.h>

#include "at-fields.h"

/* No answer of these commands has more fields than a +CEREG with its
 * rejection cause and power-saving timers. */
#define MAX_FIELDS 12
/* AT+CSQ: 0 is -113 dBm or less, each step 2 dB; 99 unknown. */
#define CSQ_UNKNOWN    99
#define CSQ_MAX        31
#define CSQ_BASE_DBM   (-113)
#define QCSQ_SINR_STEP 5.0
#define QCSQ_SINR_BASE (-20.0)
/* The ranges +QCSQ's numbers are believed in: dBm, dB, fifths of a dB. */
#define QCSQ_DBM_MIN  (-200)
#define QCSQ_RSRQ_MIN (-50)
#define QCSQ_SINR_MAX 250
/* "eMTC",<rssi>,<rsrp>,<sinr>,<rsrq>; GSM has the RSSI only. */
#define QCSQ_LTE_FIELDS 5
/* 27.007's report mode <n> of +CEREG? and the bound of <stat> and <AcT>. */
#define REG_MODE_MAX   5
#define REG_NUMBER_MAX 255
/* <AcT> is the fourth field from <stat> on: <stat>,"<tac>","<ci>",<AcT>. */
#define REG_ACT_FIELD 3
/* <mode>,<format>,"<oper>",<AcT>: the index of the operator's name. */
#define COPS_NAME_FIELD 2
/* <cid>,<state>,<type>,"<address>" */
#define QIACT_FIELDS 4
/* "pdpdeact",<cid> */
#define PDPDEACT_FIELDS 2

static gboolean
fail (GError **error, const char *line, const char *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“%s”: %s", line, what);
  return FALSE;
}

/* Opens what follows "<prefix>: ": comma-separated fields, each bare or in
 * quotes (a quoted field ends at its closing quote); *n_fields receives how
 * many there are. */
static gboolean
open_fields (AtFieldsIter *fields, const char *line, const char *prefix, guint *n_fields,
             GError **error)
{
  if (!at_fields_open (fields, line, prefix, AT_FIELDS_STYLE_27007))
    return fail (error, line, "not the expected answer");
  switch (at_fields_check (fields, MAX_FIELDS, n_fields))
    {
      case AT_FIELDS_OK:
        return TRUE;
      case AT_FIELDS_UNCLOSED_QUOTE:
        return fail (error, line, "a quote is not closed");
      case AT_FIELDS_TEXT_AFTER_QUOTE:
        return fail (error, line, "text after a quoted field");
      case AT_FIELDS_TOO_MANY:
      default:
        return fail (error, line, "too many fields");
    }
}

/* A bare decimal integer, optionally signed, within [min, max]. */
static gboolean
next_int (AtFieldsIter *fields, gint64 min, gint64 max, int *value)
{
  gint64 number;

  if (!at_fields_next_int (fields, min, max, &number))
    return FALSE;
  *value = (int)number;
  return TRUE;
}

/* Moves past @n fields. */
static void
skip_fields (AtFieldsIter *fields, guint n)
{
  for (guint i = 0; i < n; i++)
    at_fields_skip (fields);
}

/* ---- names -------------------------------------------------------------------- */

const char *
network_registration_to_string (NetworkRegistration registration)
{
  static const char *const names[]
      = { "unknown", "idle", "searching", "home", "roaming", "denied" };

  g_return_val_if_fail (registration < G_N_ELEMENTS (names), "unknown");
  return names[registration];
}

const char *
network_tech_to_string (NetworkTech tech)
{
  static const char *const names[] = { "", "gsm", "lte-m", "nb-iot" };

  g_return_val_if_fail (tech < G_N_ELEMENTS (names), "");
  return names[tech];
}

gboolean
network_registration_is_registered (NetworkRegistration registration)
{
  return registration == NETWORK_REGISTRATION_HOME || registration == NETWORK_REGISTRATION_ROAMING;
}

/* ---- registration ------------------------------------------------------------- */

static const char *const reg_prefixes[NETWORK_N_DOMAINS] = { "+CEREG:", "+CGREG:", "+CREG:" };

const char *
network_registration_prefix (NetworkDomain domain)
{
  g_return_val_if_fail (domain < NETWORK_N_DOMAINS, NULL);
  return reg_prefixes[domain];
}

/* 27.007's <stat>: 0 idle, 1 home, 2 searching, 3 denied, 4 unknown, 5
 * roaming (6-10, SMS-only and emergency variants, count as their base). */
static NetworkRegistration
registration_from_stat (int stat)
{
  static const NetworkRegistration table[] = {
    NETWORK_REGISTRATION_IDLE,   NETWORK_REGISTRATION_HOME,    NETWORK_REGISTRATION_SEARCHING,
    NETWORK_REGISTRATION_DENIED, NETWORK_REGISTRATION_UNKNOWN, NETWORK_REGISTRATION_ROAMING,
    NETWORK_REGISTRATION_HOME,   NETWORK_REGISTRATION_ROAMING, NETWORK_REGISTRATION_IDLE,
    NETWORK_REGISTRATION_HOME,   NETWORK_REGISTRATION_ROAMING,
  };

  return stat >= 0 && (gsize)stat < G_N_ELEMENTS (table) ? table[stat]
                                                         : NETWORK_REGISTRATION_UNKNOWN;
}

/* 27.007's <AcT>: 0 GSM, 1 GSM compact, 3 EDGE, 7 E-UTRAN (Cat M1 on
 * older BG96 firmware), 8 Cat M1, 9 NB-IoT. */
static NetworkTech
tech_from_act (int act)
{
  switch (act)
    {
      case 0:
      case 1:
      case 3:
        return NETWORK_TECH_GSM;
      case 7:
      case 8:
        return NETWORK_TECH_LTE_M;
      case 9:
        return NETWORK_TECH_NB_IOT;
      default:
        return NETWORK_TECH_NONE;
    }
}

gboolean
network_reg_parse (const char *line, NetworkRegInfo *info, GError **error)
{
  AtFieldsIter fields;
  AtFieldsIter probe;
  guint n_fields;
  guint first = 0;
  int stat, act, mode;
  guint domain;

  for (domain = 0; domain < NETWORK_N_DOMAINS; domain++)
    if (g_str_has_prefix (line, reg_prefixes[domain]))
      break;
  if (domain == NETWORK_N_DOMAINS)
    return fail (error, line, "not a registration line");
  if (!open_fields (&fields, line, reg_prefixes[domain], &n_fields, error))
    return FALSE;
  /* The read form starts with the report mode: two bare numbers. */
  probe = fields;
  if (n_fields >= 2 && next_int (&probe, 0, REG_MODE_MAX, &mode)
      && next_int (&probe, 0, REG_NUMBER_MAX, &stat))
    first = 1;
  skip_fields (&fields, first);
  if (!next_int (&fields, 0, REG_NUMBER_MAX, &stat))
    return fail (error, line, "the registration status is not a number");
  info->domain = (NetworkDomain)domain;
  info->registration = registration_from_stat (stat);
  info->tech = NETWORK_TECH_NONE;
  /* <stat>,"<tac>","<ci>",<AcT>: the technology is the fourth. */
  skip_fields (&fields, REG_ACT_FIELD - 1);
  if (n_fields > first + REG_ACT_FIELD && next_int (&fields, 0, REG_NUMBER_MAX, &act))
    info->tech = tech_from_act (act);
  return TRUE;
}

/* ---- operator and serving system ---------------------------------------------- */

gboolean
network_cops_parse (const char *line, char **name, NetworkTech *tech, GError **error)
{
  AtFieldsIter fields;
  guint n_fields;
  int act;

  if (!open_fields (&fields, line, "+COPS:", &n_fields, error))
    return FALSE;
  *tech = NETWORK_TECH_NONE;
  /* <mode>,<format>,"<oper>",<AcT> */
  skip_fields (&fields, COPS_NAME_FIELD);
  if (n_fields <= COPS_NAME_FIELD || !at_fields_next_text (&fields, name))
    *name = g_strdup ("");
  if (n_fields > COPS_NAME_FIELD + 1 && next_int (&fields, 0, REG_NUMBER_MAX, &act))
    *tech = tech_from_act (act);
  return TRUE;
}

static const struct
{
  const char *name;
  NetworkTech tech;
} system_modes[] = {
  /* The BG95 and BG77 say eMTC and NBIoT, the BG96 CAT-M1 and CAT-NB1. */
  { "eMTC", NETWORK_TECH_LTE_M },     { "CAT-M1", NETWORK_TECH_LTE_M },
  { "CAT-M", NETWORK_TECH_LTE_M },    { "NBIoT", NETWORK_TECH_NB_IOT },
  { "CAT-NB1", NETWORK_TECH_NB_IOT }, { "NB-IoT", NETWORK_TECH_NB_IOT },
  { "GSM", NETWORK_TECH_GSM },        { "EDGE", NETWORK_TECH_GSM },
  { "GPRS", NETWORK_TECH_GSM },
};

static NetworkTech
tech_from_mode (const char *mode)
{
  for (gsize i = 0; i < G_N_ELEMENTS (system_modes); i++)
    if (g_ascii_strcasecmp (mode, system_modes[i].name) == 0)
      return system_modes[i].tech;
  return NETWORK_TECH_NONE;
}

/* The technology named by the next field, as +QNWINFO and +QCSQ begin. */
static NetworkTech
next_tech (AtFieldsIter *fields)
{
  g_autofree char *mode = NULL;

  if (!at_fields_next_text (fields, &mode))
    return NETWORK_TECH_NONE;
  return tech_from_mode (mode);
}

gboolean
network_qnwinfo_parse (const char *line, NetworkTech *tech, char **plmn, GError **error)
{
  AtFieldsIter fields;
  guint n_fields;

  if (!open_fields (&fields, line, "+QNWINFO:", &n_fields, error))
    return FALSE;
  *tech = next_tech (&fields);
  if (*tech == NETWORK_TECH_NONE || n_fields < 2 || !at_fields_next_text (&fields, plmn))
    *plmn = g_strdup ("");
  return TRUE;
}

/* ---- signal ----------------------------------------------------------------------- */

gboolean
network_qcsq_parse (const char *line, NetworkSignal *signal, GError **error)
{
  AtFieldsIter fields;
  guint n_fields;
  int sinr = 0;

  memset (signal, 0, sizeof *signal);
  if (!open_fields (&fields, line, "+QCSQ:", &n_fields, error))
    return FALSE;
  if (next_tech (&fields) == NETWORK_TECH_NONE)
    return TRUE; /* "NOSERVICE" */
  if (n_fields >= 2 && !(signal->has_rssi = next_int (&fields, QCSQ_DBM_MIN, 0, &signal->rssi)))
    return fail (error, line, "the RSSI is not a number of dBm");
  if (n_fields < QCSQ_LTE_FIELDS)
    return TRUE; /* GSM: the RSSI only */
  signal->has_rsrp = next_int (&fields, QCSQ_DBM_MIN, 0, &signal->rsrp);
  signal->has_sinr = next_int (&fields, 0, QCSQ_SINR_MAX, &sinr);
  signal->has_rsrq = next_int (&fields, QCSQ_RSRQ_MIN, 0, &signal->rsrq);
  if (!signal->has_rsrp || !signal->has_sinr || !signal->has_rsrq)
    return fail (error, line, "RSRP, SINR and RSRQ must be numbers in their ranges");
  signal->sinr = sinr / QCSQ_SINR_STEP + QCSQ_SINR_BASE;
  return TRUE;
}

gboolean
network_csq_parse (const char *line, NetworkSignal *signal, GError **error)
{
  AtFieldsIter fields;
  guint n_fields;
  int rssi;

  memset (signal, 0, sizeof *signal);
  if (!open_fields (&fields, line, "+CSQ:", &n_fields, error))
    return FALSE;
  if (!next_int (&fields, 0, CSQ_UNKNOWN, &rssi) || (rssi > CSQ_MAX && rssi != CSQ_UNKNOWN))
    return fail (error, line, "the RSSI is not 0-31 or 99");
  if (rssi <= CSQ_MAX)
    {
      signal->has_rssi = TRUE;
      signal->rssi = CSQ_BASE_DBM + 2 * rssi;
    }
  return TRUE;
}

gboolean
network_signal_equal (const NetworkSignal *a, const NetworkSignal *b)
{
  return a->has_rssi == b->has_rssi && a->has_rsrp == b->has_rsrp && a->has_rsrq == b->has_rsrq
         && a->has_sinr == b->has_sinr && (!a->has_rssi || a->rssi == b->rssi)
         && (!a->has_rsrp || a->rsrp == b->rsrp) && (!a->has_rsrq || a->rsrq == b->rsrq)
         && (!a->has_sinr || a->sinr == b->sinr);
}

/* ---- data contexts ----------------------------------------------------------------- */

gboolean
network_qiact_parse (const char *line, guint *cid, gboolean *active, char **address, GError **error)
{
  AtFieldsIter fields;
  guint n_fields;
  int id, state, type;

  if (!open_fields (&fields, line, "+QIACT:", &n_fields, error))
    return FALSE;
  if (n_fields < QIACT_FIELDS || !next_int (&fields, 1, NETWORK_MAX_CONTEXTS, &id)
      || !next_int (&fields, 0, 1, &state)
      || !next_int (&fields, NETWORK_IP_V4, NETWORK_IP_V4V6, &type))
    return fail (error, line, "not <cid 1-16>,<state 0-1>,<type 1-3>,\"<address>\"");
  *cid = (guint)id;
  *active = state == 1;
  at_fields_next_text (&fields, address);
  return TRUE;
}

gboolean
network_pdpdeact_parse (const char *line, guint *cid, GError **error)
{
  AtFieldsIter fields;
  g_autofree char *report = NULL;
  guint n_fields;
  int id;

  if (!open_fields (&fields, line, "+QIURC:", &n_fields, error))
    return FALSE;
  if (n_fields != PDPDEACT_FIELDS || !at_fields_next_string (&fields, &report)
      || !g_str_equal (report, "pdpdeact"))
    return fail (error, line, "not a \"pdpdeact\" report");
  if (!next_int (&fields, 1, NETWORK_MAX_CONTEXTS, &id))
    return fail (error, line, "the context ID is not 1-16");
  *cid = (guint)id;
  return TRUE;
}

char *
network_cmd_qicsgp (guint cid, NetworkIpType type, const char *apn, const char *username,
                    const char *password, NetworkAuth auth)
{
  g_return_val_if_fail (cid >= 1 && cid <= NETWORK_MAX_CONTEXTS, NULL);
  return g_strdup_printf ("AT+QICSGP=%u,%d,\"%s\",\"%s\",\"%s\",%d", cid, type, apn, username,
                          password, auth);
}

char *
network_cmd_qiact (guint cid)
{
  return g_strdup_printf ("AT+QIACT=%u", cid);
}

char *
network_cmd_qideact (guint cid)
{
  return g_strdup_printf ("AT+QIDEACT=%u", cid);
}

gboolean
network_check_quoted_text (const char *text, gsize max, GError **error)
{
  if (strlen (text) > max)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "is longer than %zu bytes", max);
      return FALSE;
    }
  for (const char *c = text; *c != '\0'; c++)
    if (*c == '"' || (guchar)*c < 0x20 || *c == 0x7f)
      {
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                             "holds a quote or a control character, which AT+QICSGP cannot carry");
        return FALSE;
      }
  return TRUE;
}
