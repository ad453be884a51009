/* SPDX-License-Identifier: MIT */
/* sim-log.c — see sim-log.h. */
#include "sim-log.h"

#include <errno.h>
#include <stdio.h>

static FILE *log_file;
static gint64 start_time;

static FILE *
output (void)
{
  if (start_time == 0)
    start_time = g_get_monotonic_time ();
  return log_file != NULL ? log_file : stderr;
}

gboolean
sim_log_open (const char *path, GError **error)
{
  FILE *file = fopen (path, "a");

  if (file == NULL)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "cannot open log %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }
  setvbuf (file, NULL, _IOLBF, 0);
  sim_log_close ();
  log_file = file;
  return TRUE;
}

void
sim_log_close (void)
{
  if (log_file != NULL)
    fclose (log_file);
  log_file = NULL;
}

void
sim_log (const char *tag, const char *format, ...)
{
  FILE *out = output ();
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (out, "%9.3f %s %s\n", (g_get_monotonic_time () - start_time) / 1e6, tag, text);
  fflush (out);
}

void
sim_log_text (const char *tag, const guint8 *data, gsize length)
{
  GString *escaped = g_string_sized_new (length + 2);

  for (gsize i = 0; i < length; i++)
    {
      guint8 c = data[i];

      if (c == '\r')
        g_string_append (escaped, "\\r");
      else if (c == '\n')
        g_string_append (escaped, "\\n");
      else if (c == '\\')
        g_string_append (escaped, "\\\\");
      else if (c < 0x20 || c >= 0x7f)
        g_string_append_printf (escaped, "\\x%02x", c);
      else
        g_string_append_c (escaped, (char)c);
    }
  sim_log (tag, "%s", escaped->str);
  g_string_free (escaped, TRUE);
}

char *
sim_log_hex (const guint8 *data, gsize length)
{
  GString *hex = g_string_sized_new (length * 3);

  for (gsize i = 0; i < length; i++)
    g_string_append_printf (hex, i > 0 ? " %02X" : "%02X", data[i]);
  return g_string_free (hex, FALSE);
}
