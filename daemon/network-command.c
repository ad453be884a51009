/* SPDX-License-Identifier: MIT */
/* network-command.c — what both halves of the network use to talk to the
 * modem and to their listener: one AT command whose answer is dropped when
 * the modem's life it belonged to has ended, and the change notification.
 * Below network.c and network-context.c, so that neither calls back into
 * the other's half. */
#include "network-command.h"

/* ---- AT commands --------------------------------------------------------------- */

typedef struct
{
  Network *network;
  guint generation;
  ReplyFunc func;
  gpointer data;
  const char *response[2]; /* the prefix of the answer's lines, if it has any */
} Call;

static void
on_command_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree Call *call = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (AtResponse) response = modem_command_finish (NULL, result, &error);

  /* Cancelled: the network was freed or the modem's life ended. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      || call->generation != call->network->generation)
    return;
  call->func (call->network, response, error, call->data);
}

/* Sends @command, whose answer has lines starting with @response_prefix
 * (NULL: none). @shown (nullable) is what logs show of a command with a
 * secret. */
void
network_send_command_full (Network *network, const char *command, const char *shown,
                           const char *response_prefix, guint timeout_ms, ReplyFunc func,
                           gpointer data)
{
  Call *call = g_new0 (Call, 1);
  AtCommand at = { .text = command, .shown = shown, .timeout_ms = timeout_ms };

  call->network = network;
  call->generation = network->generation;
  call->func = func;
  call->data = data;
  call->response[0] = response_prefix;
  at.response = response_prefix ? call->response : NULL;
  modem_command (network->modem, &at, network->cancellable, on_command_done, call);
}

void
network_send_command (Network *network, const char *command, const char *response_prefix,
                      guint timeout_ms, ReplyFunc func, gpointer data)
{
  network_send_command_full (network, command, NULL, response_prefix, timeout_ms, func, data);
}

void
network_notify (Network *network)
{
  if (network->listener.changed)
    network->listener.changed (network, network->user_data);
}
