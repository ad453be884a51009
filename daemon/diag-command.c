/* SPDX-License-Identifier: MIT */
/* diag-command.c — see diag-command.h. */
#include "diag-command.h"

#include <string.h>

#include "qcoap-error.h"

/* What Command sends besides the read (?) and test (=?) forms of any
 * extended command: executions that only report (the identity, the signal,
 * the serving cell, settings read with a write form that only reads).
 * Everything else could change what the daemon believes about the module
 * (a context, an attach, the power, the echo…) and is refused. */
static const char *const harmless_commands[] = {
  "AT",
  "ATI",
  "AT&V",
  "AT+CSQ",
  "AT+QCSQ",
  "AT+QNWINFO",
  "AT+QSPN",
  "AT+QENG=\"servingcell\"",
  "AT+QENG=\"neighbourcell\"",
  "AT+CGMI",
  "AT+CGMM",
  "AT+CGMR",
  "AT+GMR",
  "AT+CGSN",
  "AT+GSN",
  "AT+QCCID",
  "AT+QLTS",
  "AT+QURCCFG=\"urcport\"",
  "AT+QCFG=\"band\"",
  "AT+QCFG=\"iotopmode\"",
  "AT+QCFG=\"nwscanmode\"",
  "AT+QCFG=\"nwscanseq\"",
};

static gboolean
invalid (GError **error, const char *command, const char *why)
{
  g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT, "“%s” was not sent: %s", command,
               why);
  return FALSE;
}

/* One command line as the modem's line editor will not change it: no
 * control byte (it would drop or apply it: "AT+QCOA\bAPCLOSE"), no space
 * outside quotes ("AT+CMEE =0"), no ';' chaining another command. */
static gboolean
check_characters (const char *command, GError **error)
{
  gboolean quoted = FALSE;

  if (strlen (command) > DIAG_COMMAND_MAX_LENGTH)
    return invalid (error, command, "it is longer than 512 bytes");
  for (const char *p = command; *p != '\0'; p++)
    {
      if ((guchar)*p < 0x20 || *p == 0x7f)
        return invalid (error, command,
                        "it holds a control byte (CR, LF, Ctrl+Z, Esc…), which would end it, "
                        "start data or be applied by the modem's line editor");
      if (*p == '"')
        quoted = !quoted;
      else if (*p == ';' && !quoted)
        return invalid (error, command, "one command at a time: ';' would chain another");
      else if (*p == ' ' && !quoted)
        return invalid (error, command, "a space outside quotes, which the modem would drop");
    }
  return TRUE;
}

/* AT+NAME? or AT+NAME=? of any extended command. */
static gboolean
is_read_or_test (const char *command)
{
  const char *p = command + strlen ("AT+");

  if (g_ascii_strncasecmp (command, "AT+", strlen ("AT+")) != 0)
    return FALSE;
  if (!g_ascii_isalpha (*p))
    return FALSE;
  while (g_ascii_isalnum (*p) || *p == '&' || *p == '%' || *p == '$' || *p == '_')
    p++;
  return g_str_equal (p, "?") || g_str_equal (p, "=?");
}

static gboolean
is_harmless (const char *command)
{
  for (gsize i = 0; i < G_N_ELEMENTS (harmless_commands); i++)
    if (g_ascii_strcasecmp (command, harmless_commands[i]) == 0)
      return TRUE;
  return FALSE;
}

gboolean
diag_command_check (const char *command, guint timeout_ms, GError **error)
{
  if (timeout_ms > DIAG_COMMAND_MAX_TIMEOUT_MS)
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                   "A timeout of %u ms is too long; at most %u ms", timeout_ms,
                   DIAG_COMMAND_MAX_TIMEOUT_MS);
      return FALSE;
    }
  if (!check_characters (command, error))
    return FALSE;
  if (g_ascii_strncasecmp (command, "AT", 2) != 0)
    return invalid (error, command, "an AT command starts with “AT”");
  if (is_read_or_test (command) || is_harmless (command))
    return TRUE;
  return invalid (error, command,
                  "only the read (?) and test (=?) forms of a command, and a few commands that "
                  "only report (see qcoapd(8)), may be sent: anything else could change what "
                  "the daemon relies on");
}

/* ---- running it ----------------------------------------------------------------- */

static void
on_command_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  g_autoptr (GPtrArray) responses = client_pool_run_finish (NULL, result, &error);
  AtResponse *response;
  GString *text;

  if (responses == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  response = g_ptr_array_index (responses, 0);
  text = g_string_new (NULL);
  for (guint i = 0; i < response->lines->len; i++)
    g_string_append_printf (text, "%s\n", (const char *)g_ptr_array_index (response->lines, i));
  g_string_append (text, response->final);
  g_task_return_pointer (task, g_string_free (text, FALSE), g_free);
}

void
diag_command_run (ClientPool *pool, const char *command, guint timeout_ms,
                  GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);
  GPtrArray *steps = g_ptr_array_new_with_free_func ((GDestroyNotify)at_step_free);

  g_task_set_source_tag (task, diag_command_run);
  g_ptr_array_add (steps,
                   at_step_new (g_strdup (command), AT_RESPONSE_ANY, AT_PAYLOAD_NONE, NULL,
                                timeout_ms > 0 ? timeout_ms : DIAG_COMMAND_DEFAULT_TIMEOUT_MS));
  client_pool_run (pool, CLIENT_POOL_MODEM_QUEUE, steps, NULL, on_command_done, task);
}

char *
diag_command_run_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == diag_command_run, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
