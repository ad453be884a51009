/* SPDX-License-Identifier: MIT */
/* fuzz-qcoap-uri.c — libFuzzer target for the URI parser and the flag
 * splitters.
 *
 * Whatever at_coap_uri_parse() accepts must be usable as is: the host must be
 * accepted by AT+QCOAPOPEN's builder, and every path segment and query part
 * must give an AT+QCOAPOPTION line without quotes or line breaks inside its
 * value (only 255-byte or shorter ones are options at all). */
#include "qcoap-cmd.h"
#include "qcoap-proto.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
check (gboolean condition)
{
  if (!condition)
    abort ();
}

static void
check_parts (guint16 number, GStrv parts)
{
  for (gsize i = 0; parts[i] != NULL; i++)
    {
      g_autoptr (QcoapOption) option = at_coap_option_new_string (number, parts[i]);
      g_autofree char *command = NULL;
      gsize length = strlen (parts[i]);

      if (!at_coap_option_validate (option, NULL))
        {
          /* Only the length can be wrong after the parser's own checks. */
          check (length > 255);
          continue;
        }
      command = at_coap_cmd_option_add (0, 0, option);
      /* The value sits between the last two quotes of the line. */
      check (g_str_has_suffix (command, "\""));
      check (strchr (command, '\r') == NULL && strchr (command, '\n') == NULL);
      check (strlen (strchr (command, '"') + 1) == length + 1);
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *)data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapUri) uri = at_coap_uri_parse (text, &error);
  GStrv path = at_coap_split_uri_path (text);
  GStrv query = at_coap_split_uri_query (text);

  check (path != NULL && query != NULL);
  g_strfreev (path);
  g_strfreev (query);

  check ((uri == NULL) == (error != NULL));
  if (uri != NULL)
    {
      g_autofree char *command = at_coap_cmd_open (0, uri->host, uri->port, NULL);

      check (command != NULL);
      check (uri->port != 0);
      check_parts (QCOAP_OPTION_URI_PATH, uri->path);
      check_parts (QCOAP_OPTION_URI_QUERY, uri->query);
    }
  return 0;
}
