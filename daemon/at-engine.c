/* at-engine.c — see at-engine.h. */
#include "at-engine.h"

#include <string.h>

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
  AtPayloadMode mode;
  GBytes *payload;
  guint timeout_ms;
  CommandStage stage;
  GPtrArray *lines;
  GSource *cancel_source; /* while queued: removes the command when cancelled */
} Command;

typedef enum
{
  SYNC_OK,
  SYNC_PROBING, /* a probe is written and its answer awaited */
  SYNC_BACKOFF, /* a probe failed; waiting before the next one */
} SyncState;

/* A resynchronisation probe: a command whose answer holds a line that no other
 * command's answer holds, except the commands listed in `conflicts` (a probe
 * is never used after a timeout of one of those). */
typedef struct
{
  const char *command;
  gboolean (*is_marker) (const char *line);
  const char *conflicts[4];
} Probe;

struct _AtEngine
{
  GObject parent_instance;

  AtEngineWriteFunc write;
  AtEngineUrcFunc urc;
  gpointer user_data;
  AtEngineFailureFunc failure;
  gpointer failure_data;

  GMainContext *context;
  AtLexer *lexer;
  gboolean closed;

  GQueue queue;     /* Command *, not yet written */
  Command *current; /* written, waiting for its final result */
  GSource *timer;   /* the current command's timeout, a probe's timeout or a back-off */

  SyncState sync;
  guint probe_timeout_ms;
  guint failed_probes;
  guint probe_index; /* the probe in use, or the last one used */
  gboolean probe_marker_seen;
  char *timed_out_command;
  gboolean escape_pending; /* the timed-out command may have left the modem in data mode */
};

G_DEFINE_QUARK (at - error - quark, at_error)

G_DEFINE_FINAL_TYPE (AtEngine, at_engine, G_TYPE_OBJECT)

/* ---- line classification ----------------------------------------------- */

static const char *const urc_prefixes[] = {
  "+QCOAPRECV:", "+QCOAPACK:", "+COAPACK:", "+QCOAPIND:", "+QIURC:", "+CFUN:",
  "+CPIN:",      "+QUSIM:",    "+QIND:",    "+CEREG:",    "+CGREG:", "+CREG:",
};

/* Some firmware says NORMAL POWER DOWN where the BG96 says POWERED DOWN. */
static const char *const urc_lines[] = { "RDY", "APP RDY", "POWERED DOWN", "NORMAL POWER DOWN" };

/* TRUE if @text is exactly @count comma-separated decimal integers, each
 * optionally signed and surrounded by spaces. */
static gboolean
is_integer_list (const char *text, guint count)
{
  const char *p = text;

  for (guint field = 0; field < count; field++)
    {
      if (field > 0 && *p++ != ',')
        return FALSE;
      while (*p == ' ')
        p++;
      if (*p == '-')
        p++;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      while (g_ascii_isdigit (*p))
        p++;
      while (*p == ' ')
        p++;
    }
  return *p == '\0';
}

/* "+QCOAPOPEN: <id>,<result>" and "+QCOAPCLOSE: <id>,<result>" are results of
 * earlier commands, unlike the four-field lines of "AT+QCOAPOPEN?". */
static gboolean
is_open_close_result (const char *line)
{
  if (g_str_has_prefix (line, "+QCOAPOPEN:"))
    return is_integer_list (line + strlen ("+QCOAPOPEN:"), 2);
  if (g_str_has_prefix (line, "+QCOAPCLOSE:"))
    return is_integer_list (line + strlen ("+QCOAPCLOSE:"), 2);
  return FALSE;
}

gboolean
at_line_is_urc (const char *line)
{
  g_return_val_if_fail (line != NULL, FALSE);

  for (gsize i = 0; i < G_N_ELEMENTS (urc_prefixes); i++)
    if (g_str_has_prefix (line, urc_prefixes[i]))
      return TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS (urc_lines); i++)
    if (g_str_equal (line, urc_lines[i]))
      return TRUE;
  return is_open_close_result (line);
}

gboolean
at_line_is_final (const char *line)
{
  g_return_val_if_fail (line != NULL, FALSE);

  return g_str_equal (line, "OK") || g_str_equal (line, "ERROR")
         || g_str_has_prefix (line, "+CME ERROR:") || g_str_has_prefix (line, "+CMS ERROR:");
}

/* TRUE if @line ("+CFUN: 1") carries the name of @command ("AT+CFUN?"): then
 * it is that command's answer, even though the same line may come as a URC. */
static gboolean
line_answers_command (const char *line, const char *command)
{
  const char *colon;
  gsize name_length;
  char next;

  if (command == NULL || line[0] != '+' || g_ascii_strncasecmp (command, "AT", 2) != 0)
    return FALSE;
  colon = strchr (line, ':');
  if (colon == NULL)
    return FALSE;
  name_length = (gsize)(colon - line);
  if (g_ascii_strncasecmp (command + 2, line, name_length) != 0)
    return FALSE;
  next = command[2 + name_length];
  return next == '\0' || next == '?' || next == '=';
}

static gboolean
is_urc_while (const char *line, const char *command_in_flight)
{
  if (!at_line_is_urc (line))
    return FALSE;
  if (g_str_has_prefix (line, "+QCOAPRECV:") || is_open_close_result (line))
    return TRUE;
  return !line_answers_command (line, command_in_flight);
}

/* ---- secrets in logs -------------------------------------------------------- */

/* Commands with an argument that is a secret, and its index (0 first). */
static const struct
{
  const char *prefix;
  guint secret_field;
} secret_commands[] = {
  { "AT+QICSGP=", 4 }, /* <cid>,<type>,"<APN>","<user>","<password>",<auth> */
};

#define MASK "********"

/* @command with the @field-th argument after @arguments bytes (commas
 * inside quotes do not count) replaced by a quoted mask. */
static char *
mask_field (const char *command, gsize arguments, guint field)
{
  GString *shown = g_string_new_len (command, (gssize)arguments);
  gboolean quoted = FALSE;
  gboolean masked = FALSE;
  guint index = 0;

  for (const char *p = command + arguments; *p != '\0'; p++)
    {
      if (*p == ',' && !quoted)
        index++;
      else if (*p == '"')
        quoted = !quoted;
      if (index != field || *p == ',')
        g_string_append_c (shown, *p);
      else if (!masked)
        {
          g_string_append (shown, "\"" MASK "\"");
          masked = TRUE;
        }
    }
  return g_string_free (shown, FALSE);
}

char *
at_command_redact (const char *command)
{
  for (gsize i = 0; i < G_N_ELEMENTS (secret_commands); i++)
    if (g_ascii_strncasecmp (command, secret_commands[i].prefix, strlen (secret_commands[i].prefix))
        == 0)
      return mask_field (command, strlen (secret_commands[i].prefix),
                         secret_commands[i].secret_field);
  return g_strdup (command);
}

char *
at_error_dup_modem_words (const GError *error)
{
  const char *start, *end;

  /* finish_current() writes "The modem answered “<final>” to “<command>”". */
  if (!g_error_matches (error, AT_ERROR, AT_ERROR_MODEM)
      || (start = strstr (error->message, "“")) == NULL || (end = strstr (start, "”")) == NULL)
    return NULL;
  start += strlen ("“");
  return g_strndup (start, (gsize)(end - start));
}

/* ---- probes --------------------------------------------------------------- */

static gboolean
is_revision_line (const char *line)
{
  return g_str_has_prefix (line, "Revision:");
}

static gboolean
is_imei_line (const char *line)
{
  if (strlen (line) != 15)
    return FALSE;
  for (const char *p = line; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

/* The test command lists ranges, e.g. +QCOAPCFG: "trans",(0-5),(2-60),(4-8);
 * the query forms print plain values. */
static gboolean
is_qcoapcfg_range_line (const char *line)
{
  return g_str_has_prefix (line, "+QCOAPCFG:") && strchr (line, '(') != NULL;
}

static const Probe probes[] = {
  { "ATI", is_revision_line, { "ATI", "AT+CGMR", "AT+GMR", NULL } },
  { "AT+GSN", is_imei_line, { "AT+GSN", "AT+CGSN", NULL } },
  { "AT+QCOAPCFG=?", is_qcoapcfg_range_line, { "AT+QCOAPCFG", NULL } },
};

static gboolean
probe_conflicts_with (const Probe *probe, const char *command)
{
  if (command == NULL)
    return FALSE;
  for (guint i = 0; probe->conflicts[i] != NULL; i++)
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
  for (guint step = 1; step <= G_N_ELEMENTS (probes); step++)
    {
      guint index = (self->probe_index + step) % G_N_ELEMENTS (probes);

      if (!probe_conflicts_with (&probes[index], self->timed_out_command))
        return index;
    }
  return (self->probe_index + 1) % G_N_ELEMENTS (probes);
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

void
at_response_free (AtResponse *response)
{
  if (response == NULL)
    return;
  g_ptr_array_unref (response->lines);
  g_free (response->final);
  g_free (response);
}

/* ---- the port and the timer ----------------------------------------------- */

static gboolean
write_bytes (AtEngine *self, const guint8 *data, gsize length)
{
  if (self->write == NULL)
    return FALSE;
  return self->write (data, length, self->user_data);
}

static gboolean
write_line (AtEngine *self, const char *text)
{
  g_autofree char *line = g_strconcat (text, "\r", NULL);

  g_autofree char *shown = at_command_redact (text);

  g_debug ("AT> %s", shown);
  return write_bytes (self, (const guint8 *)line, strlen (line));
}

static void
write_escape (AtEngine *self)
{
  const guint8 escape = ESCAPE_BYTE;

  g_debug ("AT> <Esc>");
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

  stop_timer (self);
  g_debug ("AT< %s (final result of “%s”)", final, command->shown);

  if (command_is_cancelled (command))
    fail_command_cancelled (command);
  else if (!g_str_equal (final, "OK"))
    fail_command (command, g_error_new (AT_ERROR, AT_ERROR_MODEM, "The modem answered “%s” to “%s”",
                                        final, command->shown));
  else
    {
      response = g_new0 (AtResponse, 1);
      response->lines = g_steal_pointer (&command->lines);
      command->lines = g_ptr_array_new_with_free_func (g_free);
      response->final = g_strdup (final);
      g_task_return_pointer (command->task, response, (GDestroyNotify)at_response_free);
      command_free (command);
    }

  process_queue (self);
}

static gboolean
on_command_timeout (gpointer user_data)
{
  g_autoptr (AtEngine) self = g_object_ref (AT_ENGINE (user_data));
  Command *command = g_steal_pointer (&self->current);

  stop_timer (self);
  g_debug ("“%s” timed out; resynchronising", command->shown);

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

  if (!write_line (self, command->text) && self->current == command)
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

static gboolean
on_probe_timeout (gpointer user_data)
{
  g_autoptr (AtEngine) self = g_object_ref (AT_ENGINE (user_data));
  guint shift = MIN (self->failed_probes, 8);
  guint delay = MIN (AT_ENGINE_FIRST_BACKOFF_MS << shift, AT_ENGINE_MAX_BACKOFF_MS);

  stop_timer (self);
  self->failed_probes++;
  self->sync = SYNC_BACKOFF;
  g_debug ("Probe “%s” got no answer (%u in a row); next in %u ms",
           probes[self->probe_index].command, self->failed_probes, delay);
  start_timer (self, delay, on_backoff_done);

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
  self->probe_index = choose_probe (self);
  self->probe_marker_seen = FALSE;
  start_timer (self, self->probe_timeout_ms, on_probe_timeout);

  if (self->escape_pending)
    {
      self->escape_pending = FALSE;
      write_escape (self);
    }
  /* A failed write is a failed probe: its timeout handles it. */
  write_line (self, probes[self->probe_index].command);
}

static void
end_resync (AtEngine *self)
{
  stop_timer (self);
  if (self->failed_probes >= AT_ENGINE_RESYNC_ATTEMPTS)
    g_message ("The modem answers again");
  g_debug ("In step with the modem again");
  self->sync = SYNC_OK;
  self->failed_probes = 0;
  g_clear_pointer (&self->timed_out_command, g_free);
  process_queue (self);
}

static void
handle_probe_line (AtEngine *self, const char *line)
{
  const Probe *probe = &probes[self->probe_index];

  if (self->sync != SYNC_PROBING)
    g_debug ("Dropping “%s” while waiting to probe again", line);
  else if (!self->probe_marker_seen && probe->is_marker (line))
    self->probe_marker_seen = TRUE;
  else if (at_line_is_final (line) && self->probe_marker_seen)
    end_resync (self);
  else
    g_debug ("Dropping “%s”: a late answer, not the answer to “%s”", line, probe->command);
}

/* ---- events --------------------------------------------------------------- */

static void
deliver_urc (AtEngine *self, const AtEvent *event)
{
  g_debug ("AT< %s (unsolicited)", event->line);
  if (self->urc != NULL)
    self->urc (event, self->user_data);
}

static void
write_payload (AtEngine *self, Command *command)
{
  gsize length;
  const guint8 *data = g_bytes_get_data (command->payload, &length);

  g_debug ("AT> <%" G_GSIZE_FORMAT " payload bytes>", length);
  command->stage = STAGE_WAIT_FINAL;
  if (!write_bytes (self, data, length))
    g_debug ("Could not write the payload of “%s”; its timeout will end it", command->shown);
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
      g_debug ("Ignoring a prompt nobody waits for");
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

static void
handle_line (AtEngine *self, const AtEvent *event)
{
  Command *command = self->current;
  const char *line = event->line;

  if (is_urc_while (line, command != NULL ? command->text : NULL))
    deliver_urc (self, event);
  else if (self->sync != SYNC_OK)
    handle_probe_line (self, line);
  else if (command == NULL)
    g_debug ("Dropping unsolicited “%s”", line);
  else if (g_str_equal (line, command->text))
    g_debug ("AT< %s (echo)", command->shown);
  else if (at_line_is_final (line))
    finish_current (self, line);
  else if (command->stage == STAGE_WAIT_CONNECT && g_str_equal (line, "CONNECT"))
    write_payload (self, command);
  else
    {
      g_debug ("AT< %s", line);
      g_ptr_array_add (command->lines, g_strdup (line));
    }
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
        g_warning ("A +QCOAPRECV was too large to read: its %s; it was skipped",
                   event->truncated
                       ? "header line is over " G_STRINGIFY (AT_LEXER_MAX_RECV_LINE) " bytes"
                       : "payload is over " G_STRINGIFY (AT_LEXER_MAX_PAYLOAD) " bytes");
        deliver_urc (self, event);
        break;
      case AT_EVENT_RECV:
        deliver_urc (self, event);
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
at_engine_command (AtEngine *self, const char *command, AtPayloadMode mode, GBytes *payload,
                   guint timeout_ms, GCancellable *cancellable, GAsyncReadyCallback callback,
                   gpointer user_data)
{
  Command *queued;
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (AT_IS_ENGINE (self));
  g_return_if_fail (command != NULL);
  g_return_if_fail (mode == AT_PAYLOAD_NONE || payload != NULL);

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
  queued->text = g_strdup (command);
  queued->shown = at_command_redact (command);
  queued->mode = mode;
  queued->payload = mode != AT_PAYLOAD_NONE ? g_bytes_ref (payload) : NULL;
  queued->timeout_ms = timeout_ms > 0 ? timeout_ms : AT_ENGINE_DEFAULT_TIMEOUT_MS;
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
  self->urc = NULL;
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
at_engine_new (AtEngineWriteFunc write, AtEngineUrcFunc urc, gpointer user_data)
{
  AtEngine *self;

  g_return_val_if_fail (write != NULL, NULL);

  self = g_object_new (AT_TYPE_ENGINE, NULL);
  self->write = write;
  self->urc = urc;
  self->user_data = user_data;
  return self;
}

static void
at_engine_init (AtEngine *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->lexer = at_lexer_new (on_lexer_event, self);
  self->probe_timeout_ms = AT_ENGINE_PROBE_TIMEOUT_MS;
  self->probe_index = G_N_ELEMENTS (probes) - 1; /* so that the first probe is ATI */
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
