/* SPDX-License-Identifier: MIT */
/* modem-client-open.c — the life of a modem client's ID: open (with its
 * wait for the network and its DTLS key), reopen with a growing pause after
 * a modem restart, adoption and leaving across a restart of the daemon,
 * close, and the end. See modem-client.h; the messages are in
 * modem-client.c. */
#include "modem-client-private.h"

#include "backoff.h"
#include "dtls-psk.h"
#include "qcoap-cmd.h"
#include "qcoap-error.h"

/* How long a Close waits for the module to say it is done (field code
 * waits 20 s; a D-Bus call's default timeout is 25 s). */
#define CLOSE_WAIT_MS        10000
#define REOPEN_FIRST_PAUSE_S 1
#define REOPEN_MAX_PAUSE_S   30
/* Result codes the open path gives itself when it fails before the modem
 * reports one: an open that timed out ("operation in progress"), commands
 * the modem refused ("invalid parameter"), a key it did not take. */
#define RESULT_OPEN_TIMED_OUT (-2)
#define RESULT_REFUSED        (-1)
#define RESULT_DTLS_FAILED    (-9)
#define RESULT_ID_OCCUPIED    (-10)
/* The modem's results for "no data call" (-4) and "data call being
 * activated" (-6): the network, not the server, is the problem. */
#define RESULT_NETWORK_FAILURE (-4)
#define RESULT_PDP_ACTIVATING  (-6)
/* The least time left for AT+QCOAPOPEN once the data context is up, even
 * if waiting for the network took most of the open's timeout. */
#define MIN_OPEN_RESULT_MS 1000

/* ---- the end ------------------------------------------------------------------- */

/* A DTLS client's key does not stay on the modem after it: the removal is
 * queued on the client ID, so it runs before anything a next client of that
 * ID queues. */
static void
forget_psk (ModemClient *self)
{
  if (self->config.psk_identity)
    dtls_psk_remove (self->pool, self->id, self->id, NULL, NULL);
}

static void
stop_timers (ModemClient *self)
{
  g_clear_handle_id (&self->open_timeout_source, g_source_remove);
  g_clear_handle_id (&self->occupied_close_source, g_source_remove);
  self->awaiting_occupied_close = FALSE;
  g_clear_handle_id (&self->close_timeout_source, g_source_remove);
  g_clear_handle_id (&self->reopen_retry_source, g_source_remove);
}

static void
return_open_error (ModemClient *self, GError *error)
{
  g_autoptr (GTask) task = g_steal_pointer (&self->open_task);

  g_task_return_error (task, error);
}

void
modem_client_end (ModemClient *self, const char *reason)
{
  g_autoptr (ModemClient) hold = NULL;
  g_autoptr (GTask) open_task = NULL;
  g_autoptr (GTask) close_task = NULL;
  g_autofree char *message = NULL;

  if (self->state == MODEM_CLIENT_ENDED)
    return;
  hold = g_object_ref (self);
  g_info ("Client %u (%s:%u) ends: %s", self->id, self->config.host, self->config.port, reason);
  message = g_strdup_printf ("The session was closed (%s) while the call waited", reason);
  modem_client_ahead_drop (self);
  self->state = MODEM_CLIENT_ENDED;
  g_cancellable_cancel (self->cancellable);
  stop_timers (self);
  modem_client_fail_pending_requests (self, message);
  open_task = g_steal_pointer (&self->open_task);
  close_task = g_steal_pointer (&self->close_task);
  if (open_task == NULL)
    modem_client_end_messages_in_flight (self);
  forget_psk (self);
  /* The ID is free before anyone hears of the end, unless the module is
   * still closing it (see client_pool_release_when_closed()). */
  if (client_pool_is_attached (self->pool, self->id, self))
    client_pool_release (self->pool, self->id);
  /* Only a client that opened announces its end. */
  if (open_task)
    g_task_return_new_error (open_task, QCOAP_ERROR, QCOAP_ERROR_CLOSED,
                             "The modem went away while the session was opening (%s)", reason);
  else
    self->listener.ended (self, reason, self->listener_data);
  if (close_task)
    g_task_return_boolean (close_task, TRUE);
}

/* ---- open ----------------------------------------------------------------------- */

/* An open that failed: the client ends without telling its listener, and its
 * ID is free before the caller hears of the failure. */
static void
fail_open (ModemClient *self, GError *error)
{
  g_autoptr (ModemClient) hold = g_object_ref (self);

  self->state = MODEM_CLIENT_ENDED;
  g_cancellable_cancel (self->cancellable);
  stop_timers (self);
  forget_psk (self);
  client_pool_release (self->pool, self->id);
  return_open_error (self, error);
}

/* An open that timed out may still complete on the modem: close the client
 * ID there before it can be handed out again. */
static void
abandon_client_id (ModemClient *self)
{
  g_autoptr (GTask) task = g_steal_pointer (&self->open_task);

  self->state = MODEM_CLIENT_ENDED;
  g_cancellable_cancel (self->cancellable);
  stop_timers (self);
  forget_psk (self);
  client_pool_close_and_release (self->pool, self->id);
  g_task_return_new_error (task, QCOAP_ERROR, QCOAP_ERROR_TIMEOUT,
                           "The modem did not report the session to %s:%u as open within %u ms",
                           self->config.host, self->config.port, self->config.open_timeout_ms);
}

static void connect_client (ModemClient *self);

static gboolean
retry_reopen (gpointer user_data)
{
  ModemClient *self = user_data;

  self->reopen_retry_source = 0;
  modem_client_reopen (self);
  return G_SOURCE_REMOVE;
}

/* A reopen can fail for a while after a restart (no data call yet: −4), so
 * it is tried again with a growing pause, up to
 * MODEM_CLIENT_REOPEN_ATTEMPTS times. */
static void
finish_reopen (ModemClient *self, int result)
{
  guint pause_s;

  self->reopening = FALSE;
  if (result == 0)
    {
      g_info ("Client %u open again to %s:%u", self->id, self->config.host, self->config.port);
      self->reopen_failures = 0;
      modem_client_set_state (self, MODEM_CLIENT_OPEN);
      return;
    }
  /* No data call is the network's problem: the next attempt waits for the
   * context again, and does not count towards giving up. */
  if (result != RESULT_NETWORK_FAILURE && result != RESULT_PDP_ACTIVATING)
    self->reopen_failures++;
  if (self->reopen_failures >= MODEM_CLIENT_REOPEN_ATTEMPTS)
    {
      g_warning ("Client %u could not be opened again to %s:%u (result %d, %u attempts)", self->id,
                 self->config.host, self->config.port, result, self->reopen_failures);
      modem_client_end (self, "error");
      return;
    }
  pause_s = backoff_delay (REOPEN_FIRST_PAUSE_S, REOPEN_MAX_PAUSE_S,
                           self->reopen_failures > 0 ? self->reopen_failures - 1 : 0);
  g_info ("Client %u could not be opened again (result %d); next attempt in %u s", self->id, result,
          pause_s);
  self->reopen_retry_source = g_timeout_add_seconds (pause_s, retry_reopen, self);
}

static void configure_and_open (ModemClient *self);
static void add_local_step (GPtrArray *steps, char *command);

/* The module closed the ID it held (or said so): the open goes on. */
static void
open_after_occupied_close (ModemClient *self)
{
  self->awaiting_occupied_close = FALSE;
  g_clear_handle_id (&self->occupied_close_source, g_source_remove);
  if (self->state == MODEM_CLIENT_OPENING && (self->open_task || self->reopening))
    configure_and_open (self);
}

static gboolean
on_occupied_close_wait_over (gpointer user_data)
{
  ModemClient *self = user_data;

  self->occupied_close_source = 0;
  open_after_occupied_close (self);
  return G_SOURCE_REMOVE;
}

static void
on_occupied_close_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (ModemClient) self = user_data;
  g_autoptr (GPtrArray) responses = client_pool_run_finish (self->pool, result, NULL);

  /* ERROR: the module holds nothing there after all; no result follows. */
  if (responses == NULL && self->awaiting_occupied_close)
    open_after_occupied_close (self);
}

/* -10: the module still holds the ID (a close the daemon did not see end,
 * a previous owner of the port). Closed there, it is opened again, once. */
static gboolean
retry_occupied (ModemClient *self, int result)
{
  GPtrArray *steps;

  if (result != RESULT_ID_OCCUPIED || self->occupied_retried)
    return FALSE;
  self->occupied_retried = TRUE;
  self->awaiting_occupied_close = TRUE;
  g_message ("Client %u: the module still holds this ID (-10); closing it there and opening again",
             self->id);
  self->occupied_close_source = g_timeout_add (CLOSE_WAIT_MS, on_occupied_close_wait_over, self);
  steps = g_ptr_array_new_with_free_func ((GDestroyNotify)at_step_free);
  add_local_step (steps, at_coap_cmd_close (self->id));
  client_pool_run (self->pool, self->id, steps, NULL, on_occupied_close_sent, g_object_ref (self));
  return TRUE;
}

static void
handle_open_result (ModemClient *self, int result)
{
  g_autoptr (GTask) task = NULL;

  g_clear_handle_id (&self->open_timeout_source, g_source_remove);
  if (retry_occupied (self, result))
    return;
  self->occupied_retried = FALSE;
  if (self->reopening)
    {
      finish_reopen (self, result);
      return;
    }
  if (result != 0)
    {
      fail_open (self, g_error_new (QCOAP_ERROR, qcoap_error_from_result (result),
                                    "The modem could not open a session to %s:%u (result %d)",
                                    self->config.host, self->config.port, result));
      return;
    }
  task = g_steal_pointer (&self->open_task);
  modem_client_set_state (self, MODEM_CLIENT_OPEN);
  g_task_return_boolean (task, TRUE);
}

static gboolean
on_open_timeout (gpointer user_data)
{
  ModemClient *self = user_data;

  self->open_timeout_source = 0;
  if (self->reopening)
    finish_reopen (self, RESULT_OPEN_TIMED_OUT);
  else
    abandon_client_id (self);
  return G_SOURCE_REMOVE;
}

/* Whether the open this callback belongs to still matters: the client may
 * have ended meanwhile (the modem went away). */
static gboolean
open_in_progress (ModemClient *self)
{
  return self->state != MODEM_CLIENT_ENDED && (self->open_task != NULL || self->reopening);
}

/* An open's timeout covers waiting for the network too. */
static guint
open_time_left_ms (ModemClient *self)
{
  gint64 spent_ms = (g_get_monotonic_time () - self->open_started_us) / 1000;

  if (self->reopening)
    return self->config.open_timeout_ms;
  return (guint)MAX ((gint64)self->config.open_timeout_ms - spent_ms, MIN_OPEN_RESULT_MS);
}

static void
on_open_commands_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (ModemClient) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) responses = client_pool_run_finish (self->pool, result, &error);

  if (!open_in_progress (self))
    return;
  if (responses != NULL)
    {
      /* Now wait for +QCOAPOPEN: <id>,<result>. */
      self->open_timeout_source = g_timeout_add (open_time_left_ms (self), on_open_timeout, self);
      return;
    }
  if (self->reopening)
    finish_reopen (self, RESULT_REFUSED);
  else
    fail_open (self, g_steal_pointer (&error));
}

static void
add_local_step (GPtrArray *steps, char *command)
{
  g_ptr_array_add (steps,
                   at_step_new (command, NULL, AT_PAYLOAD_NONE, NULL, LOCAL_COMMAND_TIMEOUT_MS));
}

static void
send_connect_commands (ModemClient *self)
{
  const ModemClientConfig *config = &self->config;
  GPtrArray *steps = g_ptr_array_new_with_free_func ((GDestroyNotify)at_step_free);

  add_local_step (steps,
                  at_coap_cmd_cfg_trans (self->id, config->ack_timeout, config->max_retransmit));
  add_local_step (steps, at_coap_cmd_cfg_pdpcid (self->id, config->pdp_context));
  add_local_step (steps, at_coap_cmd_open (self->id, config->host, config->port, NULL));
  client_pool_run (self->pool, self->id, steps, NULL, on_open_commands_done, g_object_ref (self));
}

static void
on_psk_installed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (ModemClient) self = user_data;
  g_autoptr (GError) error = NULL;

  if (dtls_psk_install_finish (result, &error))
    {
      if (self->state != MODEM_CLIENT_ENDED)
        send_connect_commands (self);
      return;
    }
  if (!open_in_progress (self))
    return;
  g_info ("Client %u: the DTLS key could not be put on the modem: %s", self->id, error->message);
  if (self->reopening)
    finish_reopen (self, RESULT_DTLS_FAILED);
  else
    fail_open (self, g_steal_pointer (&error));
}

static void configure_and_open (ModemClient *self);

typedef struct
{
  ModemClient *client;
  guint attempt;
} PrepareData;

static void
on_prepared (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree PrepareData *data = user_data;
  g_autoptr (ModemClient) self = data->client;
  g_autoptr (GError) error = NULL;
  gboolean ready = client_pool_prepare_finish (self->pool, result, &error);

  if (data->attempt != self->connect_attempt || !open_in_progress (self))
    return;
  if (ready)
    configure_and_open (self);
  else if (!self->reopening)
    fail_open (self, g_steal_pointer (&error));
  else
    finish_reopen (self, RESULT_NETWORK_FAILURE);
}

/* Waits until the network has the client's data context up (the whole
 * open's timeout for a first open, as long as it takes for a reopen), then
 * configures and connects. */
static void
connect_client (ModemClient *self)
{
  PrepareData *data = g_new0 (PrepareData, 1);

  data->client = g_object_ref (self);
  data->attempt = ++self->connect_attempt;
  if (client_pool_prepare (self->pool, self->config.pdp_context,
                           self->reopening ? 0 : self->config.open_timeout_ms, self->cancellable,
                           on_prepared, data))
    {
      g_object_unref (data->client);
      g_free (data);
      configure_and_open (self);
    }
}

/* Configures the client ID and connects it (AT+QCOAPOPEN); the +QCOAPOPEN
 * URC then ends in handle_open_result(). Used for the first open and to
 * reopen a persistent client after the modem lost it. A DTLS client first
 * puts its key on the modem, in DTLS context N for client ID N (the modem's
 * settings of the context do not survive a restart). */
static void
configure_and_open (ModemClient *self)
{
  const ModemClientConfig *config = &self->config;

  if (config->psk_identity == NULL)
    {
      send_connect_commands (self);
      return;
    }
  dtls_psk_install (self->pool, self->id, self->id, config->psk_identity, config->psk_key,
                    self->cancellable, on_psk_installed, g_object_ref (self));
}

void
modem_client_open (ModemClient *self, GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (self->open_task == NULL && self->state == MODEM_CLIENT_OPENING);

  self->open_task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (self->open_task, modem_client_open);
  self->open_started_us = g_get_monotonic_time ();
  connect_client (self);
}

gboolean
modem_client_open_finish (ModemClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == modem_client_open, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- modem restarts ------------------------------------------------------------- */

void
modem_client_suspend (ModemClient *self, const char *reason)
{
  g_autofree char *message = NULL;

  /* The module lost its header, or the client ends. */
  modem_client_ahead_drop (self);
  if (!self->config.persistent || self->open_task != NULL || self->state == MODEM_CLIENT_CLOSING)
    {
      modem_client_end (self, reason);
      return;
    }
  if (self->state == MODEM_CLIENT_OPENING)
    {
      /* Already waiting (the modem restarted again, or while it was being
       * reopened): go on waiting for the next "ready", with fresh attempts. */
      self->reopening = FALSE;
      self->reopen_failures = 0;
      g_clear_handle_id (&self->open_timeout_source, g_source_remove);
      /* A wait for the network of the old attempt ends. */
      g_cancellable_cancel (self->cancellable);
      g_set_object (&self->cancellable, NULL);
      self->cancellable = g_cancellable_new ();
      return;
    }
  g_info ("Client %u (%s:%u) waits for the modem (%s)", self->id, self->config.host,
          self->config.port, reason);
  message = g_strdup_printf ("The modem went away (%s) while the call waited", reason);
  /* What was queued for the old modem session will not be sent. */
  g_cancellable_cancel (self->cancellable);
  g_set_object (&self->cancellable, NULL);
  self->cancellable = g_cancellable_new ();
  modem_client_fail_pending_requests (self, message);
  modem_client_end_messages_in_flight (self);
  self->reopen_failures = 0;
  modem_client_set_state (self, MODEM_CLIENT_OPENING);
}

void
modem_client_reopen (ModemClient *self)
{
  if (self->state != MODEM_CLIENT_OPENING || self->reopening || self->open_task != NULL)
    return;
  /* A session adopted from an earlier run of the daemon has no key: that
   * stayed with the caller and on the modem, which has lost it now. */
  if (self->config.psk_identity && self->config.psk_key == NULL)
    {
      g_warning ("Client %u (%s:%u) cannot be opened again: its DTLS key is not known to this "
                 "run of qcoapd",
                 self->id, self->config.host, self->config.port);
      modem_client_end (self, "error");
      return;
    }
  g_clear_handle_id (&self->reopen_retry_source, g_source_remove);
  /* The restarted modem holds no header and no options. */
  option_mirror_invalidate (self->option_mirror);
  self->reopening = TRUE;
  connect_client (self);
}

/* ---- another modem ---------------------------------------------------------------- */

gboolean
modem_client_may_move (ModemClient *self)
{
  return self->config.persistent && self->state == MODEM_CLIENT_OPENING && self->open_task == NULL
         && (self->config.psk_identity == NULL || self->config.psk_key != NULL);
}

/* The old ID's pool and holder forget the client. */
static void
leave_client_id (ModemClient *self, gboolean close_old)
{
  client_pool_detach (self->pool, self->id, self);
  if (close_old)
    client_pool_close_and_release (self->pool, self->id);
  else
    client_pool_release (self->pool, self->id);
}

void
modem_client_move (ModemClient *self, ClientPool *pool, guint id, gboolean close_old)
{
  g_return_if_fail (modem_client_may_move (self));

  /* An attempt on the old modem (a wait for its network) ends here. */
  stop_timers (self);
  g_cancellable_cancel (self->cancellable);
  g_set_object (&self->cancellable, NULL);
  self->cancellable = g_cancellable_new ();
  self->reopening = FALSE;
  self->reopen_failures = 0;
  leave_client_id (self, close_old);
  self->pool = pool;
  self->id = id;
  option_mirror_free (self->option_mirror);
  self->option_mirror = option_mirror_new (id);
  client_pool_attach (pool, id, modem_client_handle_urc, self);
  modem_client_reopen (self);
}

/* ---- a restart of the daemon ------------------------------------------------------ */

void
modem_client_adopt (ModemClient *self)
{
  g_return_if_fail (self->state == MODEM_CLIENT_OPENING && self->open_task == NULL);

  option_mirror_invalidate (self->option_mirror);
  g_info ("Client %u (%s:%u) adopted: the modem still holds it open", self->id, self->config.host,
          self->config.port);
  modem_client_set_state (self, MODEM_CLIENT_OPEN);
}

void
modem_client_leave (ModemClient *self)
{
  g_autoptr (ModemClient) hold = NULL;
  g_autoptr (GTask) open_task = NULL;
  g_autoptr (GTask) close_task = NULL;
  static const char message[] = "qcoapd is stopping; the session stays open on the modem and "
                                "is adopted when qcoapd starts again";

  if (self->state == MODEM_CLIENT_ENDED)
    return;
  hold = g_object_ref (self);
  modem_client_ahead_drop (self);
  self->state = MODEM_CLIENT_ENDED;
  g_cancellable_cancel (self->cancellable);
  stop_timers (self);
  modem_client_fail_pending_requests (self, message);
  open_task = g_steal_pointer (&self->open_task);
  close_task = g_steal_pointer (&self->close_task);
  client_pool_release (self->pool, self->id);
  if (open_task)
    g_task_return_new_error (open_task, QCOAP_ERROR, QCOAP_ERROR_CLOSED, "%s", message);
  if (close_task)
    g_task_return_new_error (close_task, QCOAP_ERROR, QCOAP_ERROR_CLOSED, "%s", message);
}

/* ---- close ---------------------------------------------------------------------- */

static void
finish_close (ModemClient *self)
{
  g_autofree char *reason = g_steal_pointer (&self->close_reason);

  g_clear_handle_id (&self->close_timeout_source, g_source_remove);
  modem_client_end (self, reason ? reason : "closed");
}

/* The module took the close but has not said it is done: the session ends
 * now (a caller's Close does not wait for ever), and its ID stays taken
 * until the module reports the close, up to the application note's 75 s. */
static gboolean
on_close_wait_over (gpointer user_data)
{
  ModemClient *self = user_data;

  self->close_timeout_source = 0;
  g_message ("Client %u: the module is still closing it; the session ends, its ID stays taken "
             "until the module is done",
             self->id);
  client_pool_release_when_closed (self->pool, self->id,
                                   CLIENT_POOL_CLOSE_TIMEOUT_MS - CLOSE_WAIT_MS);
  finish_close (self);
  return G_SOURCE_REMOVE;
}

static void
on_close_command_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (ModemClient) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) responses = client_pool_run_finish (self->pool, result, &error);

  if (self->state == MODEM_CLIENT_ENDED)
    return;
  if (responses == NULL)
    {
      /* ERROR: the modem holds no session on this ID any more (it closed by
       * itself); there is nothing left to wait for. */
      g_info ("Client %u: close answered \"%s\"", self->id, error->message);
      finish_close (self);
      return;
    }
  self->close_timeout_source = g_timeout_add (CLOSE_WAIT_MS, on_close_wait_over, self);
}

void
modem_client_close (ModemClient *self, const char *reason, GAsyncReadyCallback callback,
                    gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, NULL, callback, user_data);
  GPtrArray *steps;

  g_task_set_source_tag (task, modem_client_close);
  if (self->state == MODEM_CLIENT_OPENING && self->open_task == NULL)
    {
      /* Waiting for the modem to come back: the modem holds nothing. */
      modem_client_end (self, reason);
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (self->state != MODEM_CLIENT_OPEN)
    {
      g_task_return_new_error (task, QCOAP_ERROR, QCOAP_ERROR_CLOSED,
                               "The session is already closing");
      return;
    }
  self->close_task = g_steal_pointer (&task);
  self->close_reason = g_strdup (reason);
  modem_client_set_state (self, MODEM_CLIENT_CLOSING);
  /* Queued messages will not be sent any more. */
  g_cancellable_cancel (self->cancellable);
  steps = g_ptr_array_new_with_free_func ((GDestroyNotify)at_step_free);
  add_local_step (steps, at_coap_cmd_close (self->id));
  client_pool_run (self->pool, self->id, steps, NULL, on_close_command_done, g_object_ref (self));
}

gboolean
modem_client_close_finish (ModemClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == modem_client_close, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- the object and its URCs --------------------------------------------------------- */

/* +QCOAPOPEN and +QCOAPCLOSE end an open or a close here; the rest are the
 * client's messages. */
void
modem_client_handle_urc (const ClientPoolUrc *urc, gpointer user_data)
{
  g_autoptr (ModemClient) self = g_object_ref (MODEM_CLIENT (user_data));
  const char *line = urc->event->line;
  guint id;
  int result;

  if (urc->kind == QCOAP_URC_OPEN_RESULT)
    {
      if (at_coap_open_result_parse (line, &id, &result, NULL)
          && (self->open_task || self->reopening))
        handle_open_result (self, result);
    }
  else if (urc->kind == QCOAP_URC_CLOSE)
    {
      if (at_coap_close_result_parse (line, &id, &result, NULL) && self->close_task)
        finish_close (self);
      else if (self->awaiting_occupied_close)
        open_after_occupied_close (self);
    }
  else
    modem_client_handle_message_urc (self, urc);
}

ModemClient *
modem_client_new (ClientPool *pool, guint id, const ModemClientConfig *config,
                  const ModemClientListener *listener, gpointer user_data)
{
  ModemClient *self = modem_client_alloc (pool, id, config, listener, user_data);

  client_pool_attach (pool, id, modem_client_handle_urc, self);
  return self;
}
