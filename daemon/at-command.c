/* SPDX-License-Identifier: MIT */
/* at-command.c — see at-command.h. */
#include "at-command.h"

#include <string.h>

/* What an AT_ERROR carries besides its message. */
typedef struct
{
  AtFinal final; /* kind AT_FINAL_OK unless the error is AT_ERROR_MODEM */
} AtErrorPrivate;

/* GLib never passes NULL; the checks keep -Wnull-dereference quiet about the
 * code G_DEFINE_EXTENDED_ERROR generates around these. */
static void
at_error_private_init (AtErrorPrivate *priv)
{
  if (priv == NULL)
    return;
  priv->final.kind = AT_FINAL_OK;
  priv->final.code = -1;
}

static void
at_error_private_copy (const AtErrorPrivate *src, AtErrorPrivate *dest)
{
  if (src == NULL || dest == NULL)
    return;
  dest->final.kind = src->final.kind;
  dest->final.code = src->final.code;
  dest->final.words = g_strdup (src->final.words);
  dest->final.line = g_strdup (src->final.line);
}

static void
at_error_private_clear (AtErrorPrivate *priv)
{
  if (priv == NULL)
    return;
  at_final_clear (&priv->final);
}

G_DEFINE_EXTENDED_ERROR (AtError, at_error)

const char *const at_response_any[] = { NULL };

/* ---- final results ---------------------------------------------------------- */

static const struct
{
  const char *prefix;
  AtFinalKind kind;
} error_finals[] = {
  { "+CME ERROR:", AT_FINAL_CME_ERROR },
  { "+CMS ERROR:", AT_FINAL_CMS_ERROR },
};

/* "30" → 30; words, an empty text or anything past G_MAXINT → -1. */
static int
read_error_code (const char *words)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (words, 10, 0, G_MAXINT, &value, NULL))
    return -1;
  return (int)value;
}

gboolean
at_final_parse (const char *line, AtFinal *final)
{
  g_return_val_if_fail (line != NULL && final != NULL, FALSE);

  *final = (AtFinal){ .code = -1 };
  if (g_str_equal (line, AT_FINAL_OK_TEXT) || g_str_equal (line, AT_FINAL_ERROR_TEXT))
    {
      final->kind = g_str_equal (line, AT_FINAL_OK_TEXT) ? AT_FINAL_OK : AT_FINAL_ERROR;
      final->words = g_strdup ("");
      final->line = g_strdup (line);
      return TRUE;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (error_finals); i++)
    if (g_str_has_prefix (line, error_finals[i].prefix))
      {
        final->kind = error_finals[i].kind;
        final->words = g_strstrip (g_strdup (line + strlen (error_finals[i].prefix)));
        final->code = read_error_code (final->words);
        final->line = g_strdup (line);
        return TRUE;
      }
  return FALSE;
}

void
at_final_clear (AtFinal *final)
{
  g_clear_pointer (&final->words, g_free);
  g_clear_pointer (&final->line, g_free);
}

gboolean
at_line_is_final (const char *line)
{
  g_return_val_if_fail (line != NULL, FALSE);

  if (g_str_equal (line, AT_FINAL_OK_TEXT) || g_str_equal (line, AT_FINAL_ERROR_TEXT))
    return TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS (error_finals); i++)
    if (g_str_has_prefix (line, error_finals[i].prefix))
      return TRUE;
  return FALSE;
}

const AtFinal *
at_error_get_final (const GError *error)
{
  AtErrorPrivate *priv;

  if (!g_error_matches (error, AT_ERROR, AT_ERROR_MODEM))
    return NULL;
  priv = at_error_get_private (error);
  return priv != NULL ? &priv->final : NULL;
}

GError *
at_error_new_modem (AtFinal *final, const char *shown)
{
  GError *error = g_error_new (AT_ERROR, AT_ERROR_MODEM, "The modem answered “%s” to “%s”",
                               final->line, shown);
  AtErrorPrivate *priv = at_error_get_private (error);

  if (priv != NULL)
    {
      priv->final = *final;
      *final = (AtFinal){ .code = -1 };
    }
  at_final_clear (final);
  return error;
}

/* ---- steps and responses ------------------------------------------------------- */

AtStep *
at_step_new (char *command, const char *const *response, AtPayloadMode mode, GBytes *payload,
             guint timeout_ms)
{
  AtStep *step = g_new0 (AtStep, 1);

  step->command = command;
  step->response = response;
  step->mode = mode;
  step->payload = payload ? g_bytes_ref (payload) : NULL;
  step->timeout_ms = timeout_ms;
  return step;
}

void
at_step_set_shown (AtStep *step, char *shown)
{
  g_free (step->shown);
  step->shown = shown;
}

void
at_step_free (AtStep *step)
{
  if (step == NULL)
    return;
  g_free (step->command);
  g_free (step->shown);
  g_clear_pointer (&step->payload, g_bytes_unref);
  g_free (step);
}

AtCommand
at_step_get_command (const AtStep *step)
{
  return (AtCommand){
    .text = step->command,
    .shown = step->shown,
    .response = step->response,
    .mode = step->mode,
    .payload = step->payload,
    .timeout_ms = step->timeout_ms,
  };
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

/* TRUE if @line ("+CFUN: 1") carries the name of @command ("AT+CFUN?"). */
static gboolean
line_answers_command (const char *line, const char *command)
{
  const char *colon;
  gsize name_length;
  char next;

  if (line[0] != '+' || g_ascii_strncasecmp (command, "AT", 2) != 0)
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

gboolean
at_response_declares (const char *const *response, const char *text, const char *line)
{
  if (response == AT_RESPONSE_ANY)
    return line_answers_command (line, text);
  for (guint i = 0; response != NULL && response[i] != NULL; i++)
    if (g_str_has_prefix (line, response[i]))
      return TRUE;
  return FALSE;
}
