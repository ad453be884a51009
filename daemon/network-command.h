/* SPDX-License-Identifier: MIT */
/* network-command.h — the inside of the network, shared by its three files:
 * the Network and Context structs, one AT command whose answer is dropped
 * when the modem's life it belonged to has ended, and the change
 * notification (network-command.c). network.c has the registration, operator
 * and signal and the modem's life; network-context.c, below it, the data
 * contexts; this file, below both, what they share. Not for use outside
 * these files. */
#pragma once

#include "network.h"

G_BEGIN_DECLS

#define QUERY_TIMEOUT_MS 2000

typedef struct _Context Context;

struct _Context
{
  Network *network;
  guint cid;
  gboolean managed; /* kept up, and listed in DataContexts */
  gboolean active;
  char *address;
  gboolean needs_deact; /* the network dropped it: AT+QIDEACT before AT+QIACT */
  gboolean busy;        /* a command of its activation is under way */
  guint retry_source;
  guint failures;
  char *last_error; /* the modem's words for the last failed activation */
  GList *waiters;   /* Waiter */
};

struct _Network
{
  Modem *modem;
  NetworkConfig config;
  NetworkListener listener;
  gpointer user_data;

  guint urc_handlers[NETWORK_N_DOMAINS + 1];

  gboolean running; /* the modem is ready */
  gboolean set_up;  /* reports are on and the contexts written */
  guint generation; /* of the modem's life: answers of an older one are dropped */
  GCancellable *cancellable;
  gboolean refreshing;
  gboolean refresh_again;
  guint signal_source;

  NetworkRegistration domains[NETWORK_N_DOMAINS];
  NetworkTech domain_tech[NETWORK_N_DOMAINS];
  NetworkTech serving_tech; /* AT+QNWINFO, AT+COPS? */
  char *operator_name;      /* AT+COPS? */
  char *plmn;               /* AT+QNWINFO */

  NetworkRegistration registration;
  NetworkTech tech;
  char *operator_shown;
  NetworkSignal signal;
  Context contexts[NETWORK_MAX_CONTEXTS];
};

typedef void (*ReplyFunc) (Network *network, AtResponse *response, const GError *error,
                           gpointer data);

void network_send_command_full (Network *network, const char *command, const char *shown,
                                const char *response_prefix, guint timeout_ms, ReplyFunc func,
                                gpointer data);
void network_send_command (Network *network, const char *command, const char *response_prefix,
                           guint timeout_ms, ReplyFunc func, gpointer data);
void network_notify (Network *network);

G_END_DECLS
