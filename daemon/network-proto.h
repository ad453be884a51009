/* SPDX-License-Identifier: MIT */
/* network-proto.h — the modem's network AT commands and answers as text:
 * registration (+CEREG, +CGREG, +CREG), operator (+COPS), serving system
 * (+QNWINFO), signal (+QCSQ, +CSQ), data contexts (+QICSGP, +QIACT) and the
 * data call's loss (+QIURC: "pdpdeact").
 *
 * Parsers take one line without its CR LF framing and fail with
 * G_IO_ERROR_INVALID_DATA, saying which field was wrong. Builders return new
 * command lines without CR. Nothing here does I/O or keeps state.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define NETWORK_MAX_CONTEXTS 16 /* PDP context IDs 1-16 */
/* What AT+QICSGP takes: APN up to 100 bytes, user name and password up to
 * 127. */
#define NETWORK_MAX_APN        100
#define NETWORK_MAX_CREDENTIAL 127

typedef enum
{
  NETWORK_REGISTRATION_UNKNOWN,
  NETWORK_REGISTRATION_IDLE, /* not registered, not searching */
  NETWORK_REGISTRATION_SEARCHING,
  NETWORK_REGISTRATION_HOME,
  NETWORK_REGISTRATION_ROAMING,
  NETWORK_REGISTRATION_DENIED,
} NetworkRegistration;

typedef enum
{
  NETWORK_TECH_NONE,
  NETWORK_TECH_GSM,
  NETWORK_TECH_LTE_M,
  NETWORK_TECH_NB_IOT,
} NetworkTech;

/* Which registration a line reports: EPS (+CEREG), GPRS (+CGREG), CS
 * (+CREG). */
typedef enum
{
  NETWORK_DOMAIN_EPS,
  NETWORK_DOMAIN_GPRS,
  NETWORK_DOMAIN_CS,
  NETWORK_N_DOMAINS,
} NetworkDomain;

typedef enum
{
  NETWORK_AUTH_NONE = 0,
  NETWORK_AUTH_PAP = 1,
  NETWORK_AUTH_CHAP = 2,
  NETWORK_AUTH_PAP_OR_CHAP = 3,
} NetworkAuth;

typedef enum
{
  NETWORK_IP_V4 = 1,
  NETWORK_IP_V6 = 2,
  NETWORK_IP_V4V6 = 3,
} NetworkIpType;

/* "home", "searching", …: the names of the D-Bus API. */
const char *network_registration_to_string (NetworkRegistration registration);
/* "", "gsm", "lte-m", "nb-iot". */
const char *network_tech_to_string (NetworkTech tech);
gboolean network_registration_is_registered (NetworkRegistration registration);

/* --- Registration ------------------------------------------------------------- */

typedef struct
{
  NetworkDomain domain;
  NetworkRegistration registration;
  NetworkTech tech; /* NETWORK_TECH_NONE when the line carries no AcT */
} NetworkRegInfo;

/* "+CEREG:", "+CGREG:" or "+CREG:". */
const char *network_registration_prefix (NetworkDomain domain);
/* Reads both the URC "+CEREG: <stat>[,"<tac>","<ci>",<AcT>…]" and the read
 * form "+CEREG: <n>,<stat>[,…]" (told apart by the second field: an
 * unquoted number only in the read form). */
gboolean network_reg_parse (const char *line, NetworkRegInfo *info, GError **error);

/* --- Operator and serving system ---------------------------------------------- */

/* "+COPS: 0,0,"Fake Telecom",8" → "Fake Telecom" and LTE-M; "+COPS: 0" → ""
 * and NETWORK_TECH_NONE. */
gboolean network_cops_parse (const char *line, char **name, NetworkTech *tech, GError **error);

/* "+QNWINFO: "eMTC","00101","LTE BAND 20",6300" → LTE-M and "00101";
 * "+QNWINFO: No Service" → NETWORK_TECH_NONE and "". */
gboolean network_qnwinfo_parse (const char *line, NetworkTech *tech, char **plmn, GError **error);

/* --- Signal ------------------------------------------------------------------------ */

typedef struct
{
  gboolean has_rssi, has_rsrp, has_rsrq, has_sinr;
  int rssi;    /* dBm */
  int rsrp;    /* dBm */
  int rsrq;    /* dB */
  double sinr; /* dB */
} NetworkSignal;

/* "+QCSQ: "eMTC",<rssi>,<rsrp>,<sinr>,<rsrq>" (SINR in fifths of a dB
 * offset by 20 dB), "+QCSQ: "GSM",<rssi>", "+QCSQ: "NOSERVICE"" (nothing). */
gboolean network_qcsq_parse (const char *line, NetworkSignal *signal, GError **error);
/* "+CSQ: <rssi>,<ber>": 0-31 → -113…-51 dBm, 99 unknown (nothing). */
gboolean network_csq_parse (const char *line, NetworkSignal *signal, GError **error);
gboolean network_signal_equal (const NetworkSignal *a, const NetworkSignal *b);

/* --- Data contexts ----------------------------------------------------------------- */

/* One "+QIACT: <cid>,<state>,<type>,"<address>"" line. */
gboolean network_qiact_parse (const char *line, guint *cid, gboolean *active, char **address,
                              GError **error);
/* "+QIURC: "pdpdeact",<cid>". */
gboolean network_pdpdeact_parse (const char *line, guint *cid, GError **error);

/* AT+QICSGP=<cid>,<type>,"<apn>","<user>","<password>",<auth>: the text
 * fields must hold no '"' and no control character (config.c checks). */
/* What stands for the password where the command is logged or quoted. */
#define NETWORK_SECRET_MASK "********"
char *network_cmd_qicsgp (guint cid, NetworkIpType type, const char *apn, const char *username,
                          const char *password, NetworkAuth auth);
/* AT+QIACT=<cid>, AT+QIDEACT=<cid>. */
char *network_cmd_qiact (guint cid);
char *network_cmd_qideact (guint cid);

/* A value AT+QICSGP can carry between quotes: at most @max bytes, no '"',
 * no control character. */
gboolean network_check_quoted_text (const char *text, gsize max, GError **error);

G_END_DECLS
