/* SPDX-License-Identifier: MIT */
/* sim-modem-private.h — what the command handlers see of the modem. */
#pragma once

#include "sim-at-parser.h"
#include "sim-cellular.h"
#include "sim-coap-client.h"
#include "sim-files.h"
#include "sim-modem.h"

G_BEGIN_DECLS

/* The module's option slots per client ID. */
#define SIM_COAP_N_SLOTS QCOAP_MODEM_MAX_OPTIONS

typedef enum
{
  SIM_POWER_OFF, /* before RDY, or the silence of a reset: input ignored */
  SIM_POWER_BOOTING,
  SIM_POWER_READY,
} SimPowerState;

typedef struct
{
  guint delay_final_ms;       /* hold every final result code this long */
  guint drop_final;           /* final result codes still to swallow */
  gboolean urc_before_final;  /* a URC between every command and its result */
  gboolean urc_before_prompt; /* a URC between AT+QCOAPSEND and "> " */
  gboolean report_twice;      /* every +QCOAPRECV reported twice */
  guint corrupt_uploads;      /* AT+QFUPL uploads still to store with a flipped bit */
  guint qiact_failures;       /* AT+QIACT activations still to answer ERROR */
} SimFaults;

/* A PDP context being activated. */
typedef struct
{
  guint source;   /* the activation delay's timer, 0 when none runs */
  gboolean host;  /* an AT+QIACT waits for the result (else the firmware activates by itself) */
  gboolean fails; /* it ends in ERROR (the qiact-fail fault) */
} SimActivation;

/* AT+QCOAPCFG values of one client ID. */
typedef struct
{
  guint pdp_cid;
  guint dtls_enable;
  guint dtls_ctx;
  guint ack_timeout_s;
  guint max_retransmit;
} SimCoapConfig;

/* AT+QCOAPHEADER of one client ID. */
typedef struct
{
  guint16 message_id;
  gboolean generate_token;
  guint8 token_length;
  guint8 token[8];
} SimCoapHeader;

/* One AT+QCOAPOPTION slot. */
typedef struct
{
  gboolean used;
  guint16 number;
  GBytes *value;
} SimCoapSlot;

/* Receives the payload after a prompt (CONNECT or "> "): the event kind
 * says whether it is complete, cancelled or too long. */
typedef void (*SimPayloadFunc) (SimModem *modem, SimAtEventKind kind, const guint8 *data,
                                gsize length, gpointer user_data);

struct _SimModem
{
  SimPort *port;
  SimModemConfig config;
  SimCoapNetwork network;
  SimAtParser *parser;
  SimFiles *files;
  SimModemBootedFunc booted_func;
  gpointer booted_data;

  SimPowerState power;
  guint boot_source;
  guint generation; /* bumped by every reset: stale timers check it */
  gboolean echo;
  guint cmee;
  guint cfun;

  SimCellular cellular;
  guint attach_source; /* the search after power-up */
  SimActivation activations[SIM_PDP_N_CONTEXTS];

  SimPayloadFunc payload_func;
  gpointer payload_data;
  GDestroyNotify payload_destroy;
  gboolean payload_secret;   /* the payload is not logged (file uploads: they hold keys) */
  GByteArray *deferred_urcs; /* framed URCs held back while a payload is read */

  SimFaults faults;
  gboolean holding; /* a delayed final result code holds all output */
  GByteArray *held;
  guint hold_source;

  SimCoapClient *clients[SIM_COAP_N_CLIENTS];
  guint session_cid[SIM_COAP_N_CLIENTS]; /* the PDP context an open session runs on */
  gboolean closing[SIM_COAP_N_CLIENTS];  /* AT+QCOAPCLOSE taken, +QCOAPCLOSE not sent yet */
  SimCoapConfig coap_config[SIM_COAP_N_CLIENTS];
  SimCoapHeader header[SIM_COAP_N_CLIENTS];
  SimCoapSlot slots[SIM_COAP_N_CLIENTS][SIM_COAP_N_SLOTS];
  GHashTable *ssl_config; /* "<key>,<ctx>" -> value as printed */

  guint64 command_lines;

  /* Settings the module keeps across reboots. */
  char *urc_port; /* AT+QURCCFG="urcport" */
  guint psm_mode; /* AT+CPSMS=<mode>: 1 asks the network for PSM */
  guint edrx_mode;
};

typedef void (*SimCommandFunc) (SimModem *modem, const SimAtCommand *command);

typedef struct
{
  const char *name; /* as SimAtCommand.name */
  SimCommandFunc func;
} SimCommandEntry;

/* Tables, ended by a NULL name. */
extern const SimCommandEntry sim_basic_commands[];
extern const SimCommandEntry sim_coap_commands[];
extern const SimCommandEntry sim_network_commands[];
extern const SimCommandEntry sim_module_commands[];

/* A command argument the traffic log must not show (see
 * sim_at_mask_argument). */
typedef struct
{
  const char *name; /* as SimAtCommand.name */
  guint index;
} SimSecretArgument;

/* Ended by a NULL name. */
extern const SimSecretArgument sim_secret_arguments[];

/* Responses. Each command ends with exactly one final result code, or a
 * prompt whose payload handler sends it. */
void sim_modem_send_info (SimModem *modem, const char *format, ...) G_GNUC_PRINTF (2, 3);
/* An information line that holds a secret: the log shows @shown instead. */
void sim_modem_send_secret_info (SimModem *modem, const char *text, const char *shown);
void sim_modem_send_ok (SimModem *modem);
/* Answers a command whose setting is one number 0-@max (AT+CMEE,
 * AT+CPSMS…): "+NAME: (0-max)", "+NAME: <value>", or a write of at most
 * @max_args arguments, the first one kept in *@value. */
void sim_modem_uint_setting (SimModem *modem, const SimAtCommand *command, const char *name,
                             guint max, guint max_args, guint *value);
void sim_modem_send_error (SimModem *modem);
void sim_modem_send_cme_error (SimModem *modem, guint code);
void sim_modem_send_intermediate (SimModem *modem, const char *text);

/* A URC now (or after the payload being read); @payload follows +QCOAPRECV. */
void sim_modem_send_urc (SimModem *modem, const char *line, const guint8 *payload, gsize length);
/* A URC after @delay_ms, unless the modem resets in between. */
void sim_modem_send_urc_later (SimModem *modem, guint delay_ms, const char *line);
/* The URC the faults insert before final results and prompts. */
void sim_modem_send_fault_urc (SimModem *modem);

/* Writes @prompt and reads a payload in @mode (see sim_at_parser_expect_payload). */
void sim_modem_expect_payload (SimModem *modem, const char *prompt, SimAtMode mode, gsize length,
                               SimPayloadFunc func, gpointer user_data, GDestroyNotify destroy);

/* AT+CFUN=1,1: POWERED DOWN, silence, boot. */
void sim_modem_power_cycle (SimModem *modem, gboolean say_powered_down);

/* ---- the network side (sim-modem-network.c) ---- */

/* Power-up: search, and register after the attach delay, or at once (and
 * with context 1 active) when the modem is configured network-ready. */
void sim_modem_network_power_on (SimModem *modem);
/* Power loss: not registered, every context inactive, timers stopped. */
void sim_modem_network_power_off (SimModem *modem);
/* Starts activating context @cid; @host: an AT+QIACT waits for the result. */
void sim_modem_activate (SimModem *modem, guint cid, gboolean host);
/* Takes context @cid down to @state (INACTIVE or DROPPED): an activation
 * under way fails, the sessions on it are gone. */
void sim_modem_context_down (SimModem *modem, guint cid, SimPdpState state);
/* Applies the network fault @name (register, roam, deny, deregister,
 * pdp-drop, pdp-restore, qiact-fail, signal); G_IO_ERROR_NOT_FOUND when
 * there is none of that name. */
gboolean sim_modem_network_fault (SimModem *modem, const char *name, const char *arg,
                                  GError **error);

/* Factory state of the CoAP clients' settings (after boot). */
void sim_modem_reset_coap_state (SimModem *modem);
void sim_modem_close_all_clients (SimModem *modem);

G_END_DECLS
