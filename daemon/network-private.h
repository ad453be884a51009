/* network-private.h — what the two halves of the network share: its
 * struct and its data contexts' struct, and the few functions one half
 * calls in the other. network.c has the registration, operator and signal,
 * the AT commands and the modem's life; network-context.c has the data
 * contexts (activation with back-off, waiters, "pdpdeact"). Not for use
 * outside these two files. */
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

/* In network.c. */
void network_send_command_full (Network *network, const char *command, const char *shown,
                                const char *response_prefix, guint timeout_ms, ReplyFunc func,
                                gpointer data);
void network_send_command (Network *network, const char *command, const char *response_prefix,
                           guint timeout_ms, ReplyFunc func, gpointer data);
void network_notify (Network *network);

/* In network-context.c. */
void network_context_down (Context *context, gboolean sessions_lost);
void network_context_kick (Context *context);
void network_context_forget (Context *context);
void network_context_clear (Context *context);
void network_write_contexts (Network *network);
void network_on_qiurc (const AtEvent *event, gpointer user_data);

G_END_DECLS
