/* diag-command.c — see diag-command.h. */
#include "diag-command.h"

#include <string.h>

#include "qcoap-error.h"

typedef enum
{
  GUARD_ALWAYS,       /* every form */
  GUARD_UNLESS_READ,  /* every form but "?" */
  GUARD_UNLESS_QUERY, /* every form but "?" and "=?" */
} Guard;

/* The commands the daemon relies on. Basic commands (one letter, or & and
 * a letter) are matched by name wherever they stand in a basic command
 * line; extended ones by name, or by prefix where marked. */
static const struct
{
  const char *name;
  gboolean prefix;
  Guard guard;
  const char *read_form; /* a write form that only reads, allowed too */
} protected_commands[] = {
  { "E", FALSE, GUARD_ALWAYS },  /* echo */
  { "V", FALSE, GUARD_ALWAYS },  /* result code format */
  { "Q", FALSE, GUARD_ALWAYS },  /* result codes suppressed */
  { "Z", FALSE, GUARD_ALWAYS },  /* reset to the stored profile */
  { "&F", FALSE, GUARD_ALWAYS }, /* factory defaults */
  { "+CMEE", FALSE, GUARD_ALWAYS },
  { "+IPR", FALSE, GUARD_ALWAYS },
  { "+IFC", FALSE, GUARD_ALWAYS },
  /* The URC port: the daemon sets it; reading it helps whoever wonders
   * why no URC comes. */
  { "+QURCCFG", FALSE, GUARD_UNLESS_QUERY, "=\"urcport\"" },
  { "+CPSMS", FALSE, GUARD_UNLESS_QUERY },
  { "+CEDRXS", FALSE, GUARD_UNLESS_QUERY },
  { "+CFUN", FALSE, GUARD_UNLESS_READ },
  { "+QCOAP", TRUE, GUARD_UNLESS_QUERY },
  { "+QFUPL", FALSE, GUARD_UNLESS_QUERY },
  { "+QFDEL", FALSE, GUARD_UNLESS_QUERY },
  { "+QSSLCFG", FALSE, GUARD_UNLESS_QUERY },
  { "+QICSGP", FALSE, GUARD_UNLESS_QUERY },
  { "+QIACT", FALSE, GUARD_UNLESS_QUERY },
  { "+QIDEACT", FALSE, GUARD_UNLESS_QUERY },
  { "+CEREG", FALSE, GUARD_UNLESS_QUERY },
  { "+CGREG", FALSE, GUARD_UNLESS_QUERY },
  { "+CREG", FALSE, GUARD_UNLESS_QUERY },
};

static gboolean
invalid (GError **error, const char *command, const char *why)
{
  g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT, "“%s” was not sent: %s", command,
               why);
  return FALSE;
}

static gboolean
name_matches (const char *name, gsize length, gsize i)
{
  gsize wanted = strlen (protected_commands[i].name);

  if (protected_commands[i].prefix ? length < wanted : length != wanted)
    return FALSE;
  return g_ascii_strncasecmp (name, protected_commands[i].name, wanted) == 0;
}

/* Whether command @name (@length bytes) followed by @form may be sent. */
static gboolean
check_name (const char *command, const char *name, gsize length, const char *form, GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (protected_commands); i++)
    {
      Guard guard = protected_commands[i].guard;

      if (!name_matches (name, length, i))
        continue;
      if (guard == GUARD_UNLESS_READ && g_str_equal (form, "?"))
        return TRUE;
      if (guard == GUARD_UNLESS_QUERY && (g_str_equal (form, "?") || g_str_equal (form, "=?")))
        return TRUE;
      if (protected_commands[i].read_form != NULL
          && g_ascii_strcasecmp (form, protected_commands[i].read_form) == 0)
        return TRUE;
      return invalid (error, command,
                      guard == GUARD_ALWAYS ? "the daemon relies on this setting"
                      : guard == GUARD_UNLESS_READ
                          ? "the daemon relies on this setting; only its read form (?) may be sent"
                          : "the daemon drives this command; only its read (?) and test (=?) "
                            "forms may be sent");
    }
  return TRUE;
}

/* A basic command line ("I", "E0", "&V", "S0=1", "D*99#"): each command's
 * name is checked; a dial command takes the rest of the line. */
static gboolean
check_basic (const char *command, const char *p, GError **error)
{
  while (*p != '\0')
    {
      const char *name = p;
      gsize length = *p == '&' && p[1] != '\0' ? 2 : 1;

      if (*p == ' ')
        {
          p++;
          continue;
        }
      if (!check_name (command, name, length, "", error))
        return FALSE;
      if (g_ascii_toupper (*p) == 'D')
        return TRUE;
      p += length;
      while (*p != '\0' && !g_ascii_isalpha (*p) && *p != '&')
        p++;
    }
  return TRUE;
}

static gboolean
check_characters (const char *command, GError **error)
{
  gboolean quoted = FALSE;

  if (strlen (command) > DIAG_COMMAND_MAX_LENGTH)
    return invalid (error, command, "it is longer than 512 bytes");
  for (const char *p = command; *p != '\0'; p++)
    {
      if (*p == '\r' || *p == '\n' || *p == 0x1a || *p == 0x1b)
        return invalid (error, command,
                        "it holds CR, LF, Ctrl+Z or Esc, which would end it or start data");
      if (*p == '"')
        quoted = !quoted;
      else if (*p == ';' && !quoted)
        return invalid (error, command, "one command at a time: ';' would chain another");
    }
  return TRUE;
}

gboolean
diag_command_check (const char *command, guint timeout_ms, GError **error)
{
  const char *body;
  gsize length;

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
  body = command + 2;
  if (*body != '+')
    return check_basic (command, body, error);
  length = strcspn (body, "=?");
  return check_name (command, body, length, body + length, error);
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
