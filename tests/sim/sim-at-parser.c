/* SPDX-License-Identifier: MIT */
/* sim-at-parser.c — see sim-at-parser.h. */
#include "sim-at-parser.h"

#include <string.h>

struct _SimAtParser
{
  SimAtMode mode;
  GByteArray *buffer;
  gboolean overlong;
  gsize expected;    /* FIXED: payload length; CTRLZ: maximum */
  gboolean complete; /* the buffer holds the last event's data */
};

SimAtParser *
sim_at_parser_new (void)
{
  SimAtParser *parser = g_new0 (SimAtParser, 1);

  parser->buffer = g_byte_array_sized_new (256);
  return parser;
}

void
sim_at_parser_free (SimAtParser *parser)
{
  if (parser == NULL)
    return;
  g_byte_array_unref (parser->buffer);
  g_free (parser);
}

/* The data of the previous event stays valid until the next call, so the
 * buffer is emptied lazily. */
static void
clear_completed_event (SimAtParser *parser)
{
  if (!parser->complete)
    return;
  g_byte_array_set_size (parser->buffer, 0);
  parser->complete = FALSE;
}

void
sim_at_parser_reset (SimAtParser *parser)
{
  g_byte_array_set_size (parser->buffer, 0);
  parser->complete = FALSE;
  parser->overlong = FALSE;
  parser->mode = SIM_AT_MODE_LINE;
  parser->expected = 0;
}

void
sim_at_parser_expect_payload (SimAtParser *parser, SimAtMode mode, gsize length)
{
  g_return_if_fail (mode != SIM_AT_MODE_LINE);
  g_return_if_fail (mode != SIM_AT_MODE_FIXED || length > 0);

  sim_at_parser_reset (parser);
  parser->mode = mode;
  parser->expected = length;
}

SimAtMode
sim_at_parser_get_mode (SimAtParser *parser)
{
  return parser->mode;
}

static void
complete (SimAtParser *parser, SimAtEventKind kind, SimAtEvent *event)
{
  event->kind = kind;
  if (kind == SIM_AT_EVENT_LINE)
    {
      /* NUL-terminate without counting it. */
      g_byte_array_append (parser->buffer, (const guint8 *)"", 1);
      g_byte_array_set_size (parser->buffer, parser->buffer->len - 1);
    }
  event->data = parser->buffer->data;
  event->length
      = kind == SIM_AT_EVENT_LINE || kind == SIM_AT_EVENT_PAYLOAD ? parser->buffer->len : 0;
  parser->complete = TRUE;
  parser->overlong = FALSE;
  parser->mode = SIM_AT_MODE_LINE;
}

/* Line mode: CR ends a line; LF, NUL and other control bytes (a stray
 * Ctrl+Z or Esc from a host cancelling a prompt) are dropped, backspace
 * edits, as a modem's command-line editor does. */
static gsize
feed_line (SimAtParser *parser, const guint8 *data, gsize length, SimAtEvent *event)
{
  for (gsize i = 0; i < length; i++)
    {
      guint8 byte = data[i];

      if (byte == '\r')
        {
          complete (parser, parser->overlong ? SIM_AT_EVENT_OVERLONG : SIM_AT_EVENT_LINE, event);
          return i + 1;
        }
      if (byte == '\b')
        {
          if (parser->buffer->len > 0 && !parser->overlong)
            g_byte_array_set_size (parser->buffer, parser->buffer->len - 1);
          continue;
        }
      if (byte < 0x20 || byte == 0x7f)
        continue;
      if (parser->buffer->len >= SIM_AT_MAX_LINE)
        {
          parser->overlong = TRUE;
          continue;
        }
      g_byte_array_append (parser->buffer, &byte, 1);
    }
  return length;
}

static gsize
feed_fixed (SimAtParser *parser, const guint8 *data, gsize length, SimAtEvent *event)
{
  gsize wanted = parser->expected - parser->buffer->len;
  gsize taken = MIN (wanted, length);

  g_byte_array_append (parser->buffer, data, taken);
  if (parser->buffer->len == parser->expected)
    complete (parser, SIM_AT_EVENT_PAYLOAD, event);
  return taken;
}

static gsize
feed_ctrlz (SimAtParser *parser, const guint8 *data, gsize length, SimAtEvent *event)
{
  for (gsize i = 0; i < length; i++)
    {
      guint8 byte = data[i];

      if (byte == SIM_AT_CTRL_Z)
        {
          complete (parser, SIM_AT_EVENT_PAYLOAD, event);
          return i + 1;
        }
      if (byte == SIM_AT_ESC)
        {
          complete (parser, SIM_AT_EVENT_CANCELLED, event);
          return i + 1;
        }
      if (parser->buffer->len >= parser->expected)
        {
          complete (parser, SIM_AT_EVENT_OVERFLOW, event);
          return i + 1;
        }
      g_byte_array_append (parser->buffer, &byte, 1);
    }
  return length;
}

gsize
sim_at_parser_feed (SimAtParser *parser, const guint8 *data, gsize length, SimAtEvent *event)
{
  memset (event, 0, sizeof *event);
  event->kind = SIM_AT_EVENT_NONE;
  clear_completed_event (parser);

  switch (parser->mode)
    {
      case SIM_AT_MODE_FIXED:
        return feed_fixed (parser, data, length, event);
      case SIM_AT_MODE_CTRLZ:
        return feed_ctrlz (parser, data, length, event);
      case SIM_AT_MODE_LINE:
      default:
        return feed_line (parser, data, length, event);
    }
}

/* ---- command line splitting ---- */

static void
sim_at_arg_free (gpointer data)
{
  SimAtArg *arg = data;

  g_free (arg->text);
  g_free (arg);
}

void
sim_at_command_free (SimAtCommand *command)
{
  if (command == NULL)
    return;
  g_free (command->name);
  g_clear_pointer (&command->args, g_ptr_array_unref);
  g_free (command);
}

/* Splits "1,\"a,b\",,3" into arguments; NULL on a malformed list. */
static GPtrArray *
split_arguments (const char *text)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (sim_at_arg_free);
  const char *p = text;

  for (;;)
    {
      SimAtArg *arg = g_new0 (SimAtArg, 1);

      g_ptr_array_add (args, arg);
      while (*p == ' ')
        p++;
      if (*p == '"')
        {
          const char *end = strchr (p + 1, '"');

          if (end == NULL)
            return NULL;
          arg->quoted = TRUE;
          arg->text = g_strndup (p + 1, end - p - 1);
          p = end + 1;
          while (*p == ' ')
            p++;
          if (*p != ',' && *p != '\0')
            return NULL;
        }
      else
        {
          const char *end = strchr (p, ',');
          gsize len = end != NULL ? (gsize)(end - p) : strlen (p);

          arg->text = g_strstrip (g_strndup (p, len));
          p += len;
        }
      if (*p == '\0')
        break;
      p++; /* the comma */
    }
  return g_steal_pointer (&args);
}

SimAtCommand *
sim_at_command_parse (const char *line)
{
  g_autoptr (SimAtCommand) command = g_new0 (SimAtCommand, 1);
  const char *p;
  const char *name_end;

  if (g_ascii_strncasecmp (line, "AT", 2) != 0)
    return NULL;
  p = line + 2;

  /* The name runs to '=', '?' or the end; basic commands like "E1" and
   * "I" carry their parameter in the name. */
  name_end = p + strcspn (p, "=?");
  command->name = g_ascii_strup (p, name_end - p);
  g_strstrip (command->name);

  if (*name_end == '\0')
    command->kind = SIM_AT_KIND_EXEC;
  else if (strcmp (name_end, "?") == 0)
    command->kind = SIM_AT_KIND_READ;
  else if (strcmp (name_end, "=?") == 0)
    command->kind = SIM_AT_KIND_TEST;
  else if (*name_end == '=')
    {
      command->kind = SIM_AT_KIND_WRITE;
      command->args = split_arguments (name_end + 1);
      if (command->args == NULL)
        return NULL;
    }
  else
    return NULL;

  return g_steal_pointer (&command);
}

guint
sim_at_command_n_args (const SimAtCommand *command)
{
  return command->args != NULL ? command->args->len : 0;
}

static const SimAtArg *
get_arg (const SimAtCommand *command, guint index)
{
  if (command->args == NULL || index >= command->args->len)
    return NULL;
  return g_ptr_array_index (command->args, index);
}

gboolean
sim_at_command_get_uint64 (const SimAtCommand *command, guint index, guint64 max, guint64 *value)
{
  const SimAtArg *arg = get_arg (command, index);

  if (arg == NULL || arg->quoted || arg->text[0] == '\0')
    return FALSE;
  return g_ascii_string_to_unsigned (arg->text, 10, 0, max, value, NULL);
}

gboolean
sim_at_command_get_uint (const SimAtCommand *command, guint index, guint min, guint max,
                         guint *value)
{
  guint64 v;

  if (!sim_at_command_get_uint64 (command, index, max, &v) || v < min)
    return FALSE;
  *value = (guint)v;
  return TRUE;
}

const char *
sim_at_command_get_string (const SimAtCommand *command, guint index)
{
  const SimAtArg *arg = get_arg (command, index);

  if (arg == NULL || !arg->quoted)
    return NULL;
  return arg->text;
}

GBytes *
sim_at_hex_decode (const char *text)
{
  gsize len = strlen (text);
  g_autofree guint8 *bytes = NULL;

  if (len % 2 != 0)
    return NULL;
  bytes = g_malloc (len / 2 + 1);
  for (gsize i = 0; i < len / 2; i++)
    {
      int hi = g_ascii_xdigit_value (text[2 * i]);
      int lo = g_ascii_xdigit_value (text[2 * i + 1]);

      if (hi < 0 || lo < 0)
        return NULL;
      bytes[i] = (guint8)(hi << 4 | lo);
    }
  return g_bytes_new_take (g_steal_pointer (&bytes), len / 2);
}

/* ---- masking secrets ---- */

/* @line with [@start, @end) replaced by the mask. */
static char *
mask_range (const char *line, const char *start, const char *end)
{
  g_autofree char *prefix = g_strndup (line, start - line);

  return g_strconcat (prefix, SIM_AT_MASK, end, NULL);
}

/* The first argument of a write command whose name is @name, or NULL. */
static const char *
arguments_of (const char *line, const char *name)
{
  g_autofree char *found = NULL;
  const char *name_end;

  if (g_ascii_strncasecmp (line, "AT", 2) != 0)
    return NULL;
  name_end = line + 2 + strcspn (line + 2, "=?");
  found = g_ascii_strup (line + 2, name_end - (line + 2));
  g_strstrip (found);
  if (strcmp (found, name) != 0 || *name_end != '=' || strcmp (name_end, "=?") == 0)
    return NULL;
  return name_end + 1;
}

char *
sim_at_mask_argument (const char *line, const char *name, guint index)
{
  const char *p = arguments_of (line, name);
  const char *line_end = line + strlen (line);

  if (p == NULL)
    return NULL;
  /* The same reading as split_arguments(). */
  for (guint i = 0;; i++)
    {
      const char *start;
      const char *end;
      const char *next;

      while (*p == ' ')
        p++;
      if (*p == '"')
        {
          start = p + 1;
          end = strchr (start, '"');
          if (end == NULL)
            return mask_range (line, start, line_end);
          next = end + 1;
          while (*next == ' ')
            next++;
          if (*next != ',' && *next != '\0')
            return mask_range (line, i == index ? start : next, line_end);
        }
      else
        {
          start = p;
          end = next = p + strcspn (p, ",");
        }
      if (i == index)
        return mask_range (line, start, end);
      if (*next == '\0')
        return NULL;
      p = next + 1;
    }
}
