/* SPDX-License-Identifier: MIT */
/* at-chat — sends a script to a serial port and prints the exchange.
 *
 *   at-chat PORT SCRIPT
 *
 * Script lines:
 *   AT...        a command: sent with CR, answered up to its final result code
 *                (or a "> " / CONNECT prompt)
 *   > BYTES      payload bytes after a prompt; \r \n \\ and \xHH escapes
 *   wait TEXT    read until TEXT has arrived (a URC), then what follows it
 *   # text       printed as a heading
 * Empty lines are skipped. Exits 1 when an answer does not come in time.
 */
#include "harness.h"

#include <stdio.h>
#include <string.h>

#define TIMEOUT_MS 5000

static GByteArray *
unescape (const char *text)
{
  GByteArray *bytes = g_byte_array_new ();

  for (const char *p = text; *p != '\0'; p++)
    {
      guint8 byte = (guint8)*p;

      if (*p == '\\' && p[1] != '\0')
        {
          p++;
          if (*p == 'r')
            byte = '\r';
          else if (*p == 'n')
            byte = '\n';
          else if (*p == 'x' && g_ascii_isxdigit (p[1]) && g_ascii_isxdigit (p[2]))
            {
              byte = (guint8)(g_ascii_xdigit_value (p[1]) << 4 | g_ascii_xdigit_value (p[2]));
              p += 2;
            }
          else
            byte = (guint8)*p;
        }
      g_byte_array_append (bytes, &byte, 1);
    }
  return bytes;
}

/* Prints received bytes line by line, control characters escaped. */
static void
print_received (const GByteArray *data)
{
  GString *line = g_string_new (NULL);

  for (guint i = 0; i < data->len; i++)
    {
      guint8 c = data->data[i];

      if (c == '\n')
        {
          if (line->len > 0)
            printf ("  <- %s\n", line->str);
          g_string_truncate (line, 0);
        }
      else if (c == '\r')
        continue;
      else if (c < 0x20 || c >= 0x7f)
        g_string_append_printf (line, "\\x%02x", c);
      else
        g_string_append_c (line, (char)c);
    }
  if (line->len > 0)
    printf ("  <- %s\n", line->str);
  g_string_free (line, TRUE);
  fflush (stdout);
}

static gboolean
run_line (HarnessSerial *serial, const char *line, GError **error)
{
  g_autoptr (GByteArray) reply = NULL;

  if (line[0] == '\0')
    return TRUE;
  if (line[0] == '#')
    {
      printf ("\n%s\n", line);
      return TRUE;
    }
  if (g_str_has_prefix (line, "> "))
    {
      g_autoptr (GByteArray) bytes = unescape (line + 2);

      printf ("  -> (%u payload bytes) %s\n", bytes->len, line + 2);
      reply = harness_serial_exchange (serial, bytes->data, bytes->len, TIMEOUT_MS, error);
    }
  else if (g_str_has_prefix (line, "wait "))
    {
      reply = g_byte_array_new ();
      if (!harness_serial_read_until (serial, reply, line + 5, TIMEOUT_MS, error))
        return FALSE;
      harness_serial_read_for (serial, reply, 200);
    }
  else
    {
      printf ("  -> %s\n", line);
      reply = harness_serial_command (serial, line, TIMEOUT_MS, error);
    }
  if (reply == NULL)
    return FALSE;
  print_received (reply);
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *script = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (HarnessSerial) serial = NULL;

  if (argc != 3)
    {
      fprintf (stderr, "usage: at-chat PORT SCRIPT\n");
      return 2;
    }
  if (!g_file_get_contents (argv[2], &script, NULL, &error))
    {
      fprintf (stderr, "at-chat: %s\n", error->message);
      return 2;
    }
  serial = harness_serial_open (argv[1], &error);
  if (serial == NULL)
    {
      fprintf (stderr, "at-chat: %s\n", error->message);
      return 1;
    }
  lines = g_strsplit (script, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (!run_line (serial, lines[i], &error))
      {
        fprintf (stderr, "at-chat: %s\n", error->message);
        return 1;
      }
  return 0;
}
