/* SPDX-License-Identifier: MIT */
/* modem-client-ahead.c — the next header ahead of time.
 *
 * A caller that waits for each response sends its next request as soon as
 * the last one is answered; the port then carries AT+QCOAPHEADER (a command
 * and the module's answer, with its latency) before AT+QCOAPSEND. While a
 * request waits for the network instead, the client writes the header of
 * its next message: a message ID reserved from its own sequence and a fresh
 * token. A request that comes once that header is on the modem takes both,
 * the option mirror (which planned and recorded the write) sees the header
 * it wants already there, and the request is a single AT+QCOAPSEND.
 *
 * One model of what the module holds: the header ahead is a plan of the
 * option mirror like any other, and the client only remembers which message
 * ID and token it reserved. It is given up — its message ID back to the
 * sequence, never sent — when another message writes a header of its own
 * (the modem's is then overwritten), when its write failed or is not done
 * as a request wants it (still queued behind other clients' work on a busy
 * port, it is cancelled and never sent), and whenever the mirror is
 * forgotten (the module restarted, the client reopens, moves, ends or is
 * left).
 */
#include "modem-client-private.h"

#include "qcoap-cmd.h"

static void
on_header_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (ModemClient) self = user_data;
  g_autoptr (OptionMirrorPlan) plan = g_steal_pointer (&self->ahead_plan);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) responses = client_pool_run_finish (self->pool, result, &error);

  self->transactions--;
  /* Cancelled means never started: a started transaction runs to its end. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    option_mirror_plan_abandon (self->option_mirror, plan);
  else
    option_mirror_plan_finish (self->option_mirror, plan, responses != NULL);
  if (!self->ahead || self->ahead_message_id != option_mirror_plan_get_message_id (plan))
    return;
  if (responses == NULL)
    modem_client_ahead_drop (self);
  else
    self->ahead_ready = TRUE;
}

/* Worth it only while a request waits for its response and nothing else of
 * this client is on its way to the modem. */
static gboolean
wants_header_ahead (ModemClient *self)
{
  return self->state == MODEM_CLIENT_OPEN && !self->ahead && self->transactions == 0
         && self->ahead_plan == NULL && g_hash_table_size (self->requests_by_token) > 0;
}

void
modem_client_ahead_start (ModemClient *self)
{
  GPtrArray *steps;
  GPtrArray *commands;

  if (!wants_header_ahead (self)
      || !client_pool_reserve_message_id (self->pool, self->id, &self->ahead_message_id, NULL))
    return;
  self->ahead = TRUE;
  self->ahead_ready = FALSE;
  self->ahead_token = modem_client_unused_token (self, NULL);
  self->ahead_plan
      = option_mirror_plan (self->option_mirror, self->ahead_message_id, self->ahead_token, NULL);
  commands = option_mirror_plan_get_commands (self->ahead_plan);
  steps = g_ptr_array_new_with_free_func ((GDestroyNotify)at_step_free);
  for (guint i = 0; i < commands->len; i++)
    g_ptr_array_add (steps, at_step_new (g_strdup (g_ptr_array_index (commands, i)), NULL,
                                         AT_PAYLOAD_NONE, NULL, LOCAL_COMMAND_TIMEOUT_MS));
  self->transactions++;
  self->ahead_cancellable = g_cancellable_new ();
  client_pool_run (self->pool, self->id, steps, self->ahead_cancellable, on_header_written,
                   g_object_ref (self));
}

gboolean
modem_client_ahead_take (ModemClient *self, guint16 *message_id, GBytes **token)
{
  if (!self->ahead)
    return FALSE;
  if (!self->ahead_ready)
    {
      /* Its write is not done: a plan may not rely on it. Still queued
       * (the port was busy), it is cancelled and costs nothing. */
      modem_client_ahead_drop (self);
      return FALSE;
    }
  *message_id = self->ahead_message_id;
  *token = g_steal_pointer (&self->ahead_token);
  self->ahead = FALSE;
  self->ahead_ready = FALSE;
  return TRUE;
}

void
modem_client_ahead_drop (ModemClient *self)
{
  if (!self->ahead)
    return;
  client_pool_message_done (self->pool, self->id, self->ahead_message_id);
  g_clear_pointer (&self->ahead_token, g_bytes_unref);
  if (self->ahead_cancellable)
    g_cancellable_cancel (self->ahead_cancellable);
  g_clear_object (&self->ahead_cancellable);
  self->ahead = FALSE;
  self->ahead_ready = FALSE;
}

gboolean
modem_client_ahead_holds (ModemClient *self, GBytes *token)
{
  return self->ahead && self->ahead_token != NULL && g_bytes_equal (token, self->ahead_token);
}
