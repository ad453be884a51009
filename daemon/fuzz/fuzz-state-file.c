/* SPDX-License-Identifier: MIT */
/* fuzz-state-file.c — libFuzzer target for the state file's reader.
 *
 * Whatever the bytes, the reader must not crash, leak or accept a value the
 * daemon could not use; and what it accepts must survive a round trip: the
 * text written from it reads back to the same text. */
#include "qcoap-cmd.h"
#include "state-file.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
check_accepted (const SavedState *state)
{
  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    {
      const SavedSession *session = &state->sessions[i];

      if (!session->present)
        continue;
      if (session->host == NULL || session->owner == NULL || session->port == 0
          || session->port > G_MAXUINT16 || !at_coap_validate_host (session->host, NULL))
        abort ();
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_auto (SavedState) state = { 0 };
  g_auto (SavedState) again = { 0 };
  g_autofree char *text = NULL;
  g_autofree char *text_again = NULL;

  if (!state_file_parse ((const char *)data, size, &state, NULL))
    return 0;
  check_accepted (&state);
  text = state_file_serialize (&state);
  if (!state_file_parse (text, strlen (text), &again, NULL))
    abort ();
  text_again = state_file_serialize (&again);
  if (strcmp (text, text_again) != 0)
    abort ();
  return 0;
}
