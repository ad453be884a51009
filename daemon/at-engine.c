/* SPDX-License-Identifier: MIT */
/* at-engine.c — see at-engine.h. */
#include "at-engine.h"

#include <string.h>

#include "backoff.h"
#include "log-level.h"

#define ESCAPE_BYTE 0x1b /* cancels the data mode that a "> " prompt opened */

typedef enum
{
  STAGE_QUEUED,
  STAGE_WAIT_PROMPT,  /* written; the payload goes after "> " */
  STAGE_WAIT_CONNECT, /* written; the payload goes after "CONNECT" */
  STAGE_WAIT_FINAL,   /* written (payload too, if any); waiting for OK/ERROR */
} CommandStage;

typedef struct
{
  GTask *task;
  char *text;
  char *shown; /* the text for logs and messages: secrets masked */
  const char *const *response;
  AtPayloadMode mode;
  GBytes *payload;
  guint timeout_ms;
  CommandStage stage;
  gboolean echoed;
  GPtrArray *lines;
  GSource *cancel_source; /* while queued: removes the command when cancelled */
} Command;

typedef enum
{
  SYNC_OK,
  SYNC_PROBING, /* a probe is written and its answer awaited */
  SYNC_BACKOFF, /* a probe failed; waiting before the next one */
} SyncState;

struct _AtEngine
{
  GObject parent_instance;

  AtEngineWriteFunc write;
  gpointer user_data;
  AtUrcTable *urc_handlers;
  AtEngineFailureFunc failure;
  gpointer failure_data;

  GMainContext *context;
  AtLexer *lexer;
  gboolean closed;

  GQueue queue;     /* Command *, not yet written */
  Command *current; /* written, waiting for its final result */
  GSource *timer;   /* the current command's timeout, a probe's timeout or a back-off */

  SyncState sync;
  const AtProbe *probes;
  guint n_probes;
  guint probe_timeout_ms;
  guint failed_probes;
  guint probe_index; /* the probe in use, or the last one used */
  gboolean probe_marker_seen;
  guint lines_during_probe; /* URCs that came while the probe waited */
  char *timed_out_command;
  gboolean escape_pending; /* the timed-out command may have left the modem in data mode */
  /* A +QCOAPRECV was framed wrongly: what follows may be a server's text, so
   * no line is taken for the module's report until the probes answer. */
  gboolean distrusted;
  gsize probe_filler; /* carriage returns written after a first unanswered probe */
};

G_DEFINE_FINAL_TYPE (AtEngine, at_engine, G_TYPE_OBJECT)

/* ---- who takes a line -------------------------------------------------------- */

/* Step 3 of the order in at-engine.h. */
static gboolean
command_declares (const Command *command, const char *line)
{
  return at_response_declares (command->response, command->text, line);
}

/* The handler that takes @line while @command (nullable) is in flight, if
 * any (steps 2 to 4). */
static const AtUrcHandler *
urc_handler_for (AtEngine *self, const char *line, const Command *command)
{
  const AtUrcHandler *handler = at_urc_table_find (self->urc_handlers, line, TRUE);

  if (handler != NULL)
    return handler;
  if (command != NULL && command_declares (command, line))
    return NULL;
  return at_urc_table_find (self->urc_handlers, line, FALSE);
}

/* ---- probes --------------------------------------------------------------- */

static gboolean
probe_conflicts_with (const AtProbe *probe, const char *command)
{
  if (command == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (probe->conflicts) && probe->conflicts[i] != NULL; i++)
    if (g_ascii_strncasecmp (command, probe->conflicts[i], strlen (probe->conflicts[i])) == 0)
      return TRUE;
  return FALSE;
}

/* The next probe after the last one used, skipping those that the timed-out
 * command could answer like: consecutive probes differ, so a late answer to
 * the previous probe is not taken for the answer to this one. */
static guint
choose_probe (AtEngine *self)
{
  for (guint step = 1; step <= self->n_probes; step++)
    {
      guint index = (self->probe_index + step) % self->n_probes;

      if (!probe_conflicts_with (&self->probes[index], self->timed_out_command))
        return index;
    }
  return (self->probe_index + 1) % self->n_probes;
}

/* ---- commands ------------------------------------------------------------- */

static void
drop_cancel_source (Command *command)
{
  if (command->cancel_source == NULL)
    return;
  g_source_destroy (command->cancel_source);
  g_clear_pointer (&command->cancel_source, g_source_unref);
}

static void
command_free (Command *command)
{
  drop_cancel_source (command);
  g_clear_object (&command->task);
  g_free (command->text);
  g_free (command->shown);
  g_clear_pointer (&command->payload, g_bytes_unref);
  g_ptr_array_unref (command->lines);
  g_free (command);
}

static gboolean
command_is_cancelled (Command *command)
{
  return g_cancellable_is_cancelled (g_task_get_cancellable (command->task));
}

/* Completes @command with @error (taken) and frees it. */
static void
fail_command (Command *command, GError *error)
{
  g_task_return_error (command->task, error);
  command_free (command);
}

static void
fail_command_cancelled (Command *command)
{
  fail_command (command, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "“%s” was cancelled",
                                      command->shown));
}

/* ---- the port and the timer ----------------------------------------------- */

static gboolean
write_bytes (AtEngine *self, const guint8 *data, gsize length)
{
  if (self->write == NULL)
    return FALSE;
  return self->write (data, length, self->user_data);
}

/* Writes @text and CR; logs @shown. */
static gboolean
write_line (AtEngine *self, const char *text, const char *shown)
{
  g_autofree char *line = g_strconcat (text, "\r", NULL);

  qcoapd_debug ("AT> %s", shown);
  return write_bytes (self, (const guint8 *)line, strlen (line));
}

static void
write_escape (AtEngine *self)
{
  const guint8 escape = ESCAPE_BYTE;

  qcoapd_debug ("AT> <Esc>");
  write_bytes (self, &escape, 1);
}

static void
stop_timer (AtEngine *self)
{
  if (self->timer == NULL)
    return;
  g_source_destroy (self->timer);
  g_clear_pointer (&self->timer, g_source_unref);
}

static void
start_timer (AtEngine *self, guint timeout_ms, GSourceFunc func)
{
  stop_timer (self);
  self->timer = g_timeout_source_new (timeout_ms);
  g_source_set_callback (self->timer, func, self, NULL);
  g_source_set_static_name (self->timer, "[qcoapd] AT engine timer");
  g_source_attach (self->timer, self->context);
}

/* ---- the queue ------------------------------------------------------------ */

static void begin_resync (AtEngine *self);
static void process_queue (AtEngine *self);

static void
finish_current (AtEngine *self, const char *final)
{
  Command *command = g_steal_pointer (&self->current);
  AtResponse *response;
  AtFinal result;

  stop_timer (self);
  qcoapd_debug ("AT< %s (final result of “%s”)", final, command->shown);

  at_final_parse (final, &result);
  if (command_is_cancelled (command))
    fail_command_cancelled (command);
  else if (result.kind != AT_FINAL_OK)
    fail_command (command, at_error_new_modem (&result, command->shown));
  else
    {
      response = g_new0 (AtResponse, 1);
      response->lines = g_steal_pointer (&command->lines);
      command->lines = g_ptr_array_new_with_free_func (g_free);
      response->final = g_strdup (final);
      response->echoed = command->echoed;
      g_task_return_pointer (command->task, response, (GDestroyNotify)at_response_free);
      command_free (command);
    }
  at_final_clear (&result);

  process_queue (self);
}

static gboolean
on_command_timeout (gpointer user_data)
{
  g_autoptr (AtEngine) self = g_object_ref (AT_ENGINE (user_data));
  Command *command = g_steal_pointer (&self->current);

  stop_timer (self);
  qcoapd_debug ("“%s” timed out; resynchronising", command->shown);

  g_free (self->timed_out_command);
  self->timed_out_command = g_strdup (command->text);
  /* A prompt that comes after the timeout leaves the modem reading payload
   * bytes: the probe would be swallowed. Esc gets it out of that mode. */
  self->escape_pending = command->stage == STAGE_WAIT_PROMPT;
  begin_resync (self);

  if (command_is_cancelled (command))
    fail_command_cancelled (command);
  else
    fail_command (command, g_error_new (AT_ERROR, AT_ERROR_TIMEOUT,
                                        "The modem did not answer “%s” within %u ms",
                                        command->shown, command->timeout_ms));
  return G_SOURCE_REMOVE;
}

static void
start_command (AtEngine *self, Command *command)
{
  switch (command->mode)
    {
      case AT_PAYLOAD_AFTER_PROMPT:
        command->stage = STAGE_WAIT_PROMPT;
        break;
      case AT_PAYLOAD_AFTER_CONNECT:
        command->stage = STAGE_WAIT_CONNECT;
        break;
      case AT_PAYLOAD_NONE:
      default:
        command->stage = STAGE_WAIT_FINAL;
        break;
    }
  self->current = command;
  start_timer (self, command->timeout_ms, on_command_timeout);

  if (!write_line (self, command->text, command->shown) && self->current == command)
    {
      self->current = NULL;
      stop_timer (self);
      fail_command (command, g_error_new (AT_ERROR, AT_ERROR_PORT_LOST,
                                          "Could not write “%s” to the modem", command->shown));
    }
}

/* Writes the next queued command if nothing is in flight and the engine is in
 * step with the modem. Callbacks run from here may queue or reset: the loop
 * re-reads the state each time. */
static void
process_queue (AtEngine *self)
{
  if (self->distrusted && self->current == NULL && self->sync == SYNC_OK)
    begin_resync (self);
  while (self->current == NULL && self->sync == SYNC_OK && !g_queue_is_empty (&self->queue))
    {
      Command *command = g_queue_pop_head (&self->queue);

      drop_cancel_source (command);
      if (command_is_cancelled (command))
        fail_command_cancelled (command);
      else
        start_command (self, command);
    }
}

static void
fail_queued (AtEngine *self, const GError *error)
{
  GQueue victims = self->queue;
  Command *command;

  g_queue_init (&self->queue);
  while ((command = g_queue_pop_head (&victims)) != NULL)
    fail_command (command, g_error_copy (error));
}

/* ---- resynchronisation ---------------------------------------------------- */

static gboolean
on_backoff_done (gpointer user_data)
{
  AtEngine *self = AT_ENGINE (user_data);

  stop_timer (self);
  begin_resync (self);
  return G_SOURCE_REMOVE;
}

/* A module left reading a fixed-length payload (its host went away between
 * the command and the payload) eats probes as payload for minutes: carriage
 * returns complete any payload, and a module in command mode takes them for
 * empty lines. */
static void
write_filler (AtEngine *self)
{
  g_autofree guint8 *filler = g_malloc (self->probe_filler);

  memset (filler, '\r', self->probe_filler);
  g_message ("The modem did not answer a probe: it may be reading the payload of a command sent "
             "before; completing it with %" G_GSIZE_FORMAT " carriage returns",
             self->probe_filler);
  write_bytes (self, filler, self->probe_filler);
}

static gboolean
on_probe_timeout (gpointer user_data)
{
  g_autoptr (AtEngine) self = g_object_ref (AT_ENGINE (user_data));
  guint delay
      = backoff_delay (AT_ENGINE_FIRST_BACKOFF_MS, AT_ENGINE_MAX_BACKOFF_MS, self->failed_probes);

  stop_timer (self);
  self->sync = SYNC_BACKOFF;
  /* A module that reported lines meanwhile is alive, only busy (a flood of
   * messages from a server): that probe does not count towards giving up. */
  if (self->lines_during_probe > 0)
    {
      qcoapd_debug ("Probe “%s” got no answer, but the module sent %u other lines meanwhile",
                    self->probes[self->probe_index].command, self->lines_during_probe);
      start_timer (self, delay, on_backoff_done);
      return G_SOURCE_REMOVE;
    }
  self->failed_probes++;
  qcoapd_debug ("Probe “%s” got no answer (%u in a row); next in %u ms",
                self->n_probes ? self->probes[self->probe_index].command : "(none)",
                self->failed_probes, delay);
  start_timer (self, delay, on_backoff_done);
  if (self->failed_probes == 1 && self->probe_filler > 0)
    write_filler (self);

  if (self->failed_probes == AT_ENGINE_RESYNC_ATTEMPTS)
    {
      g_autoptr (GError) error
          = g_error_new (AT_ERROR, AT_ERROR_PORT_LOST, "The modem does not answer");

      g_message ("The modem failed %u probes in a row; it counts as unresponsive",
                 self->failed_probes);
      fail_queued (self, error);
      if (self->failure != NULL)
        self->failure (self, self->failed_probes, self->failure_data);
    }
  return G_SOURCE_REMOVE;
}

static void
begin_resync (AtEngine *self)
{
  self->sync = SYNC_PROBING;
  self->probe_marker_seen = FALSE;
  self->lines_during_probe = 0;
  start_timer (self, self->probe_timeout_ms, on_probe_timeout);
  if (self->n_probes == 0)
    return;
  self->probe_index = choose_probe (self);

  if (self->escape_pending)
    {
      self->escape_pending = FALSE;
      write_escape (self);
    }
  /* A failed write is a failed probe: its timeout handles it. */
  write_line (self, self->probes[self->probe_index].command,
              self->probes[self->probe_index].command);
}

static void
end_resync (AtEngine *self)
{
  stop_timer (self);
  if (self->failed_probes >= AT_ENGINE_RESYNC_ATTEMPTS)
    g_message ("The modem answers again");
  qcoapd_debug ("In step with the modem again");
  self->sync = SYNC_OK;
  self->distrusted = FALSE;
  self->failed_probes = 0;
  g_clear_pointer (&self->timed_out_command, g_free);
  process_queue (self);
}

static void
handle_probe_line (AtEngine *self, const char *line)
{
  const AtProbe *probe = self->n_probes ? &self->probes[self->probe_index] : NULL;

  if (self->sync != SYNC_PROBING || probe == NULL)
    qcoapd_debug ("Dropping “%s” while waiting to probe again", line);
  else if (!self->probe_marker_seen && probe->is_marker (line))
    self->probe_marker_seen = TRUE;
  else if (at_line_is_final (line) && self->probe_marker_seen)
    end_resync (self);
  else
    qcoapd_debug ("Dropping “%s”: a late answer, not the answer to “%s”", line, probe->command);
}

/* ---- events --------------------------------------------------------------- */

static void
deliver_urc (AtEngine *self, const AtUrcHandler *handler, const AtEvent *event)
{
  if (self->distrusted)
    {
      g_info ("Dropped “%s”: it came before the engine was in step again", event->line);
      return;
    }
  if (self->sync == SYNC_PROBING)
    self->lines_during_probe++;
  qcoapd_debug ("AT< %s (unsolicited)", event->line);
  handler->func (event, handler->user_data);
}

/* A +QCOAPRECV event: the lexer has told it from answers already. */
static void
deliver_event (AtEngine *self, const AtEvent *event)
{
  const AtUrcHandler *handler = at_urc_table_find (self->urc_handlers, event->line, TRUE);

  if (handler == NULL)
    handler = at_urc_table_find (self->urc_handlers, event->line, FALSE);
  if (handler != NULL)
    deliver_urc (self, handler, event);
  else
    g_info ("Nobody takes “%s” from the modem; dropped", event->line);
}

static void
write_payload (AtEngine *self, Command *command)
{
  gsize length;
  const guint8 *data = g_bytes_get_data (command->payload, &length);

  qcoapd_debug ("AT> <%" G_GSIZE_FORMAT " payload bytes>", length);
  command->stage = STAGE_WAIT_FINAL;
  if (!write_bytes (self, data, length))
    qcoapd_debug ("Could not write the payload of “%s”; its timeout will end it", command->shown);
}

static void
handle_prompt (AtEngine *self)
{
  Command *command = self->current;

  if (self->sync != SYNC_OK)
    {
      /* Most likely the late prompt of a timed-out command: without Esc the
       * modem would read the next probe as payload. */
      write_escape (self);
      return;
    }
  if (command == NULL || command->stage != STAGE_WAIT_PROMPT)
    {
      qcoapd_debug ("Ignoring a prompt nobody waits for");
      return;
    }
  if (command_is_cancelled (command))
    {
      command->stage = STAGE_WAIT_FINAL;
      write_escape (self);
      return;
    }
  write_payload (self, command);
}

/* A command that writes a payload hears "> " or CONNECT, or an error, before
 * its OK: an OK then would leave the module reading the next commands as
 * payload. */
static gboolean
ok_before_payload (const Command *command, const char *line)
{
  return (command->stage == STAGE_WAIT_PROMPT || command->stage == STAGE_WAIT_CONNECT)
         && g_str_equal (line, AT_FINAL_OK_TEXT);
}

static void
handle_line (AtEngine *self, const AtEvent *event)
{
  Command *command = self->sync == SYNC_OK ? self->current : NULL;
  const char *line = event->line;
  const AtUrcHandler *handler;

  if (command != NULL && g_str_equal (line, command->text))
    {
      command->echoed = TRUE;
      qcoapd_debug ("AT< %s (echo)", command->shown);
    }
  else if (command != NULL && ok_before_payload (command, line))
    g_warning ("An OK came while “%s” waited to write its payload: the module never says that "
               "there, so it was not the module's; dropped",
               command->shown);
  else if (command != NULL && at_line_is_final (line))
    finish_current (self, line);
  else if (command != NULL && command->stage == STAGE_WAIT_CONNECT && g_str_equal (line, "CONNECT"))
    write_payload (self, command);
  else if ((handler = urc_handler_for (self, line, command)) != NULL)
    deliver_urc (self, handler, event);
  else if (self->sync != SYNC_OK)
    handle_probe_line (self, line);
  else if (command != NULL
           && (command->response == AT_RESPONSE_ANY || command_declares (command, line)))
    {
      qcoapd_debug ("AT< %s", line);
      g_ptr_array_add (command->lines, g_strdup (line));
    }
  else
    g_info ("Unknown line from the modem%s%s%s: “%s”; dropped", command ? " (while “" : "",
            command ? command->shown : "", command ? "” runs)" : "", line);
}

static void
on_lexer_event (const AtEvent *event, gpointer user_data)
{
  AtEngine *self = user_data;

  switch (event->kind)
    {
      case AT_EVENT_RECV_UNREADABLE:
        /* Its bytes were consumed; it goes to the URC function all the same
         * so that whoever waits for it can be told. */
        g_warning ("A +QCOAPRECV could not be read (%s); it was skipped",
                   at_recv_fault_describe (event->fault));
        deliver_event (self, event);
        if (event->fault == AT_RECV_FAULT_MISFRAMED || event->fault == AT_RECV_FAULT_UNFINISHED)
          {
            self->distrusted = TRUE;
            process_queue (self);
          }
        break;
      case AT_EVENT_RECV:
        deliver_event (self, event);
        break;
      case AT_EVENT_PROMPT:
        handle_prompt (self);
        break;
      case AT_EVENT_LINE:
        handle_line (self, event);
        break;
      default:
        g_assert_not_reached ();
    }
}

/* ---- public --------------------------------------------------------------- */

/* Only queued commands have a cancel source: a command leaving the queue
 * drops it, and from then on cancellation is checked at its end. */
static gboolean
remove_cancelled_command (GCancellable *cancellable, gpointer user_data)
{
  Command *command = user_data;
  AtEngine *self = g_task_get_source_object (command->task);

  g_queue_remove (&self->queue, command);
  fail_command_cancelled (command);
  return G_SOURCE_REMOVE;
}

void
at_engine_command (AtEngine *self, const AtCommand *command, GCancellable *cancellable,
                   GAsyncReadyCallback callback, gpointer user_data)
{
  Command *queued;
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (AT_IS_ENGINE (self));
  g_return_if_fail (command != NULL && command->text != NULL);
  g_return_if_fail (command->mode == AT_PAYLOAD_NONE || command->payload != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, at_engine_command);

  if (self->closed || self->failed_probes >= AT_ENGINE_RESYNC_ATTEMPTS)
    {
      g_task_return_new_error (task, AT_ERROR, AT_ERROR_PORT_LOST,
                               self->closed ? "The modem connection is closed"
                                            : "The modem does not answer");
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  queued = g_new0 (Command, 1);
  queued->task = g_steal_pointer (&task);
  queued->text = g_strdup (command->text);
  queued->shown = g_strdup (command->shown ? command->shown : command->text);
  queued->response = command->response;
  queued->mode = command->mode;
  queued->payload = command->mode != AT_PAYLOAD_NONE ? g_bytes_ref (command->payload) : NULL;
  queued->timeout_ms = command->timeout_ms > 0 ? command->timeout_ms : AT_ENGINE_DEFAULT_TIMEOUT_MS;
  queued->stage = STAGE_QUEUED;
  queued->lines = g_ptr_array_new_with_free_func (g_free);
  if (cancellable != NULL)
    {
      queued->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (queued->cancel_source, G_SOURCE_FUNC (remove_cancelled_command),
                             queued, NULL);
      g_source_attach (queued->cancel_source, self->context);
    }
  g_queue_push_tail (&self->queue, queued);
  process_queue (self);
}

AtResponse *
at_engine_command_finish (AtEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (AT_IS_ENGINE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == at_engine_command, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
at_engine_feed (AtEngine *self, const guint8 *data, gsize length)
{
  g_autoptr (AtEngine) hold = NULL;

  g_return_if_fail (AT_IS_ENGINE (self));

  if (self->closed)
    return;
  /* Completing a command may drop the owner's last reference. */
  hold = g_object_ref (self);
  at_lexer_feed (self->lexer, data, length);
}

void
at_engine_reset (AtEngine *self, const GError *reason)
{
  g_autoptr (AtEngine) hold = NULL;
  g_autoptr (GError) fallback = NULL;
  Command *in_flight;

  g_return_if_fail (AT_IS_ENGINE (self));

  hold = g_object_ref (self);
  if (reason == NULL)
    {
      fallback
          = g_error_new_literal (AT_ERROR, AT_ERROR_PORT_LOST, "The modem connection was reset");
      reason = fallback;
    }

  at_lexer_reset (self->lexer);
  stop_timer (self);
  self->sync = SYNC_OK;
  self->distrusted = FALSE; /* the lexer starts afresh */
  self->failed_probes = 0;
  self->probe_marker_seen = FALSE;
  self->escape_pending = FALSE;
  g_clear_pointer (&self->timed_out_command, g_free);

  in_flight = g_steal_pointer (&self->current);
  if (in_flight != NULL)
    fail_command (in_flight, g_error_copy (reason));
  fail_queued (self, reason);
}

void
at_engine_free (AtEngine *self)
{
  g_autoptr (GError) error = NULL;

  if (self == NULL)
    return;
  g_return_if_fail (AT_IS_ENGINE (self));

  self->closed = TRUE;
  self->write = NULL;
  at_urc_table_clear (self->urc_handlers);
  self->failure = NULL;
  error = g_error_new_literal (AT_ERROR, AT_ERROR_PORT_LOST, "The modem connection is closed");
  at_engine_reset (self, error);
  g_object_unref (self);
}

void
at_engine_set_failure_func (AtEngine *self, AtEngineFailureFunc func, gpointer user_data)
{
  g_return_if_fail (AT_IS_ENGINE (self));

  self->failure = func;
  self->failure_data = user_data;
}

void
at_engine_set_probes (AtEngine *self, const AtProbe *probes, guint n_probes)
{
  g_return_if_fail (AT_IS_ENGINE (self));
  g_return_if_fail (n_probes >= 2);

  self->probes = probes;
  self->n_probes = n_probes;
  self->probe_index = n_probes - 1; /* so that the first probe is the first */
}

guint
at_engine_add_urc_handler (AtEngine *self, const char *prefix, AtLineMatchFunc matcher,
                           AtUrcFunc func, gpointer user_data)
{
  g_return_val_if_fail (AT_IS_ENGINE (self), 0);

  return at_urc_table_add (self->urc_handlers, prefix, matcher, func, user_data);
}

void
at_engine_remove_urc_handler (AtEngine *self, guint id)
{
  g_return_if_fail (AT_IS_ENGINE (self));

  at_urc_table_remove (self->urc_handlers, id);
}

void
at_engine_set_recv_continuation (AtEngine *self, AtLexerContinuationFunc func)
{
  g_return_if_fail (AT_IS_ENGINE (self));

  at_lexer_set_continuation (self->lexer, func);
}

void
at_engine_set_probe_filler (AtEngine *self, gsize length)
{
  g_return_if_fail (AT_IS_ENGINE (self));

  self->probe_filler = length;
}

void
at_engine_set_probe_timeout (AtEngine *self, guint timeout_ms)
{
  g_return_if_fail (AT_IS_ENGINE (self));
  g_return_if_fail (timeout_ms > 0);

  self->probe_timeout_ms = timeout_ms;
}

void
at_engine_resynchronize (AtEngine *self)
{
  g_return_if_fail (AT_IS_ENGINE (self));

  if (self->closed || self->sync != SYNC_OK || self->current != NULL)
    return;
  begin_resync (self);
}

gboolean
at_engine_is_synchronized (AtEngine *self)
{
  g_return_val_if_fail (AT_IS_ENGINE (self), FALSE);

  return self->sync == SYNC_OK;
}

AtEngine *
at_engine_new (AtEngineWriteFunc write, gpointer user_data)
{
  AtEngine *self;

  g_return_val_if_fail (write != NULL, NULL);

  self = g_object_new (AT_TYPE_ENGINE, NULL);
  self->write = write;
  self->user_data = user_data;
  return self;
}

static void
at_engine_init (AtEngine *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->lexer = at_lexer_new (on_lexer_event, self);
  self->probe_timeout_ms = AT_ENGINE_PROBE_TIMEOUT_MS;
  self->urc_handlers = at_urc_table_new ();
  g_queue_init (&self->queue);
}

static void
at_engine_dispose (GObject *object)
{
  AtEngine *self = AT_ENGINE (object);

  /* Queued and in-flight commands hold a reference through their GTask, so
   * only timers can be left here. */
  stop_timer (self);
  G_OBJECT_CLASS (at_engine_parent_class)->dispose (object);
}

static void
at_engine_finalize (GObject *object)
{
  AtEngine *self = AT_ENGINE (object);

  g_assert (self->current == NULL && g_queue_is_empty (&self->queue));
  g_clear_pointer (&self->lexer, at_lexer_free);
  g_clear_pointer (&self->urc_handlers, at_urc_table_free);
  g_clear_pointer (&self->timed_out_command, g_free);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (at_engine_parent_class)->finalize (object);
}

static void
at_engine_class_init (AtEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = at_engine_dispose;
  object_class->finalize = at_engine_finalize;
}
