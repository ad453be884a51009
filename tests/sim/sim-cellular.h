/* SPDX-License-Identifier: MIT */
/* sim-cellular.h — the cellular side of the simulated modem, free of I/O:
 * registration, signal, and the sixteen PDP contexts with their settings.
 *
 * The modem (sim-modem-network.c) drives the state with its timers and
 * faults; this module keeps it and prints what the AT commands answer, so
 * the text of every answer can be tested without a pty.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SIM_PDP_N_CONTEXTS 16

/* Registration status, as +CEREG/+CGREG/+CREG print it. */
typedef enum
{
  SIM_REG_NOT_SEARCHING = 0,
  SIM_REG_HOME = 1,
  SIM_REG_SEARCHING = 2,
  SIM_REG_DENIED = 3,
  SIM_REG_UNKNOWN = 4,
  SIM_REG_ROAMING = 5,
} SimRegStatus;

/* The three registration reports: LTE, GPRS and GSM. */
typedef enum
{
  SIM_REG_CEREG,
  SIM_REG_CGREG,
  SIM_REG_CREG,
  SIM_REG_N_KINDS,
} SimRegKind;

typedef enum
{
  SIM_PDP_INACTIVE,
  SIM_PDP_ACTIVATING,
  SIM_PDP_ACTIVE,
  SIM_PDP_DROPPED, /* deactivated by the network: AT+QIDEACT before AT+QIACT */
} SimPdpState;

typedef enum
{
  SIM_PDP_IPV4 = 1,
  SIM_PDP_IPV6 = 2,
  SIM_PDP_IPV4V6 = 3,
} SimPdpType;

/* The longest APN, user name and password AT+QICSGP takes. */
#define SIM_PDP_MAX_APN        100
#define SIM_PDP_MAX_CREDENTIAL 127

/* AT+QICSGP of one context. */
typedef struct
{
  SimPdpType type;
  char *apn;
  char *user;
  char *password;
  guint auth; /* 0 none, 1 PAP, 2 CHAP, 3 PAP or CHAP */
} SimPdpSettings;

typedef struct
{
  /* What the network grants once the modem has searched: HOME, ROAMING,
   * DENIED, or SEARCHING when there is no coverage. It outlives resets. */
  SimRegStatus offer;
  SimRegStatus status;
  guint report_mode[SIM_REG_N_KINDS]; /* AT+CEREG=<n> etc., 0-2 */
  int rsrp_dbm;
  SimPdpSettings settings[SIM_PDP_N_CONTEXTS]; /* kept across resets */
  SimPdpState state[SIM_PDP_N_CONTEXTS];
  const char *lte_m_word; /* the model's name of LTE-M: "CAT-M1" (BG96) or "eMTC" */
} SimCellular;

/* Signal figures derived from the RSRP. */
typedef struct
{
  int rssi_dbm;
  guint csq; /* 0-31 */
  int rsrq_db;
  int sinr_db;
  guint sinr_code; /* AT+QCSQ's fifths of a dB offset by 20 dB, 0-250 */
  int srxlev;
} SimSignal;

#define SIM_RSRP_MIN     -140
#define SIM_RSRP_MAX     -44
#define SIM_RSRP_DEFAULT -87

/* Factory state: searching, reports off, default signal, contexts 1-16
 * IPv4 with an empty APN and inactive. */
void sim_cellular_init (SimCellular *cellular);
void sim_cellular_clear (SimCellular *cellular);

gboolean sim_cellular_is_registered (const SimCellular *cellular);

/* Contexts are numbered 1-16; an out-of-range @cid reads as INACTIVE. */
SimPdpState sim_cellular_get_state (const SimCellular *cellular, guint cid);
void sim_cellular_set_state (SimCellular *cellular, guint cid, SimPdpState state);

/* Replaces the settings of context @cid (1-16), copying the strings. */
void sim_cellular_set_settings (SimCellular *cellular, guint cid, SimPdpType type, const char *apn,
                                const char *user, const char *password, guint auth);

void sim_cellular_derive_signal (int rsrp_dbm, SimSignal *signal);

/* The answers, without framing. Registration: the URC ("+CEREG: 1,…") or,
 * with @with_mode, the read answer ("+CEREG: 2,1,…"); NULL for a URC when
 * the report is off. */
char *sim_cellular_format_registration (const SimCellular *cellular, SimRegKind kind,
                                        gboolean with_mode);
char *sim_cellular_format_cops (const SimCellular *cellular);
/* AT+COPS=?: the operators in reach (none without coverage). */
char *sim_cellular_format_cops_scan (const SimCellular *cellular);
char *sim_cellular_format_qnwinfo (const SimCellular *cellular);
char *sim_cellular_format_csq (const SimCellular *cellular);
char *sim_cellular_format_qcsq (const SimCellular *cellular);
char *sim_cellular_format_qeng (const SimCellular *cellular);
/* "+QICSGP: <type>,"<apn>","<user>","<password>",<auth>"; with
 * @mask_password the password is replaced by SIM_AT_MASK (for the log). */
char *sim_cellular_format_qicsgp (const SimCellular *cellular, guint cid, gboolean mask_password);
/* "+QIACT: <cid>,1,<type>,"<address>"" for an active context. */
char *sim_cellular_format_qiact (const SimCellular *cellular, guint cid);

G_END_DECLS
