/* network-proto.c — see network-proto.h. */
#include "network-proto.h"

#include <gio/gio.h>
#include <string.h>

/* No answer of these commands has more fields than a +CEREG with its
 * rejection cause and power-saving timers. */
#define MAX_FIELDS 12
/* AT+CSQ: 0 is -113 dBm or less, each step 2 dB; 99 unknown. */
#define CSQ_UNKNOWN    99
#define CSQ_MAX        31
#define CSQ_BASE_DBM   (-113)
#define QCSQ_SINR_STEP 5.0
#define QCSQ_SINR_BASE (-20.0)

typedef struct
{
  char *text;
  gboolean quoted;
} Field;

typedef struct
{
  Field fields[MAX_FIELDS];
  guint count;
} Fields;

static void
fields_clear (Fields *fields)
{
  for (guint i = 0; i < fields->count; i++)
    g_free (fields->fields[i].text);
  fields->count = 0;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Fields, fields_clear)

static gboolean
fail (GError **error, const char *line, const char *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“%s”: %s", line, what);
  return FALSE;
}

/* Splits what follows "<prefix>: " into comma-separated fields, each bare
 * or in quotes (a quoted field ends at its closing quote). */
static gboolean
split_fields (const char *line, const char *prefix, Fields *fields, GError **error)
{
  const char *p;

  if (!g_str_has_prefix (line, prefix))
    return fail (error, line, "not the expected answer");
  p = line + strlen (prefix);
  while (*p == ' ')
    p++;
  while (fields->count < MAX_FIELDS)
    {
      Field *field = &fields->fields[fields->count++];
      const char *end;

      while (*p == ' ')
        p++;
      field->quoted = *p == '"';
      if (field->quoted && (end = strchr (p + 1, '"')) == NULL)
        return fail (error, line, "a quote is not closed");
      if (field->quoted)
        {
          field->text = g_strndup (p + 1, (gsize)(end - p - 1));
          p = end + 1;
        }
      else
        {
          end = p + strcspn (p, ",");
          field->text = g_strstrip (g_strndup (p, (gsize)(end - p)));
          p = end;
        }
      if (*p == '\0')
        return TRUE;
      if (*p++ != ',')
        return fail (error, line, "text after a quoted field");
    }
  return fail (error, line, "too many fields");
}

/* A bare decimal integer, optionally negative, within [min, max]. */
static gboolean
field_int (const Field *field, gint64 min, gint64 max, int *value)
{
  gint64 number;

  if (field->quoted || !g_ascii_string_to_signed (field->text, 10, min, max, &number, NULL))
    return FALSE;
  *value = (int)number;
  return TRUE;
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

gboolean
network_line_is_registration (const char *line)
{
  for (guint i = 0; i < NETWORK_N_DOMAINS; i++)
    if (g_str_has_prefix (line, reg_prefixes[i]))
      return TRUE;
  return FALSE;
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
  g_auto (Fields) fields = { 0 };
  guint first = 0;
  int stat, act, mode;
  guint domain;

  for (domain = 0; domain < NETWORK_N_DOMAINS; domain++)
    if (g_str_has_prefix (line, reg_prefixes[domain]))
      break;
  if (domain == NETWORK_N_DOMAINS)
    return fail (error, line, "not a registration line");
  if (!split_fields (line, reg_prefixes[domain], &fields, error))
    return FALSE;
  /* The read form starts with the report mode: two bare numbers. */
  if (fields.count >= 2 && field_int (&fields.fields[0], 0, 5, &mode)
      && field_int (&fields.fields[1], 0, 255, &stat))
    first = 1;
  if (!field_int (&fields.fields[first], 0, 255, &stat))
    return fail (error, line, "the registration status is not a number");
  info->domain = (NetworkDomain)domain;
  info->registration = registration_from_stat (stat);
  info->tech = NETWORK_TECH_NONE;
  /* <stat>,"<tac>","<ci>",<AcT>: the technology is the fourth. */
  if (fields.count > first + 3 && field_int (&fields.fields[first + 3], 0, 255, &act))
    info->tech = tech_from_act (act);
  return TRUE;
}

/* ---- operator and serving system ---------------------------------------------- */

gboolean
network_cops_parse (const char *line, char **name, NetworkTech *tech, GError **error)
{
  g_auto (Fields) fields = { 0 };
  int act;

  if (!split_fields (line, "+COPS:", &fields, error))
    return FALSE;
  *tech = NETWORK_TECH_NONE;
  *name = g_strdup (fields.count >= 3 ? fields.fields[2].text : "");
  if (fields.count >= 4 && field_int (&fields.fields[3], 0, 255, &act))
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

gboolean
network_qnwinfo_parse (const char *line, NetworkTech *tech, char **plmn, GError **error)
{
  g_auto (Fields) fields = { 0 };

  if (!split_fields (line, "+QNWINFO:", &fields, error))
    return FALSE;
  *tech = tech_from_mode (fields.fields[0].text);
  *plmn = g_strdup (*tech != NETWORK_TECH_NONE && fields.count >= 2 ? fields.fields[1].text : "");
  return TRUE;
}

/* ---- signal ----------------------------------------------------------------------- */

gboolean
network_qcsq_parse (const char *line, NetworkSignal *signal, GError **error)
{
  g_auto (Fields) fields = { 0 };
  int sinr = 0;

  memset (signal, 0, sizeof *signal);
  if (!split_fields (line, "+QCSQ:", &fields, error))
    return FALSE;
  if (tech_from_mode (fields.fields[0].text) == NETWORK_TECH_NONE)
    return TRUE; /* "NOSERVICE" */
  if (fields.count >= 2
      && !(signal->has_rssi = field_int (&fields.fields[1], -200, 0, &signal->rssi)))
    return fail (error, line, "the RSSI is not a number of dBm");
  if (fields.count < 5)
    return TRUE; /* GSM: the RSSI only */
  signal->has_rsrp = field_int (&fields.fields[2], -200, 0, &signal->rsrp);
  signal->has_sinr = field_int (&fields.fields[3], 0, 250, &sinr);
  signal->has_rsrq = field_int (&fields.fields[4], -50, 0, &signal->rsrq);
  if (!signal->has_rsrp || !signal->has_sinr || !signal->has_rsrq)
    return fail (error, line, "RSRP, SINR and RSRQ must be numbers in their ranges");
  signal->sinr = sinr / QCSQ_SINR_STEP + QCSQ_SINR_BASE;
  return TRUE;
}

gboolean
network_csq_parse (const char *line, NetworkSignal *signal, GError **error)
{
  g_auto (Fields) fields = { 0 };
  int rssi;

  memset (signal, 0, sizeof *signal);
  if (!split_fields (line, "+CSQ:", &fields, error))
    return FALSE;
  if (!field_int (&fields.fields[0], 0, CSQ_UNKNOWN, &rssi)
      || (rssi > CSQ_MAX && rssi != CSQ_UNKNOWN))
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
  g_auto (Fields) fields = { 0 };
  int id, state, type;

  if (!split_fields (line, "+QIACT:", &fields, error))
    return FALSE;
  if (fields.count < 4 || !field_int (&fields.fields[0], 1, NETWORK_MAX_CONTEXTS, &id)
      || !field_int (&fields.fields[1], 0, 1, &state)
      || !field_int (&fields.fields[2], 1, 3, &type))
    return fail (error, line, "not <cid 1-16>,<state 0-1>,<type 1-3>,\"<address>\"");
  *cid = (guint)id;
  *active = state == 1;
  *address = g_strdup (fields.fields[3].text);
  return TRUE;
}

gboolean
network_pdpdeact_parse (const char *line, guint *cid, GError **error)
{
  g_auto (Fields) fields = { 0 };
  int id;

  if (!split_fields (line, "+QIURC:", &fields, error))
    return FALSE;
  if (fields.count != 2 || !fields.fields[0].quoted
      || !g_str_equal (fields.fields[0].text, "pdpdeact"))
    return fail (error, line, "not a \"pdpdeact\" report");
  if (!field_int (&fields.fields[1], 1, NETWORK_MAX_CONTEXTS, &id))
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
