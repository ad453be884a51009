/* SPDX-License-Identifier: MIT */
/* fuzz-at-engine.c — libFuzzer target for the AT engine.
 *
 * Arbitrary modem output is fed (in chunks whose sizes come from the input)
 * while commands of every payload mode are queued. Whatever the modem says,
 * every command must end exactly once — by its answer, or when the engine is
 * freed — and the engine must never write a payload that was not asked for.
 */
#include "at-engine.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

typedef struct
{
  guint issued;
  guint ended;
  gsize payload_writes;
} Run;

static const char payload_text[] = "fuzz-payload";

static gboolean
count_writes (const guint8 *data, gsize length, gpointer user_data)
{
  Run *run = user_data;

  if (length == strlen (payload_text) && memcmp (data, payload_text, length) == 0)
    run->payload_writes++;
  return TRUE;
}

static void
check_urc (const AtEvent *event, gpointer user_data)
{
  if (event->kind == AT_EVENT_PROMPT || event->line == NULL)
    abort ();
}

/* Handlers of both kinds, so that every step of the line order is reached:
 * URCs by prefix, by matcher, and the resynchronisation's probes. */
static gboolean
is_restart_line (const char *line)
{
  return g_str_equal (line, "RDY");
}

static gboolean
is_any_revision (const char *line)
{
  return g_str_has_prefix (line, "Revision:");
}

static gboolean
is_any_digit_line (const char *line)
{
  return line[0] >= '0' && line[0] <= '9';
}

static const AtProbe probes[] = {
  { "ATI", is_any_revision, { "ATI", NULL } },
  { "AT+GSN", is_any_digit_line, { "AT+GSN", NULL } },
};

static const char *const cfun_response[] = { "+CFUN:", NULL };

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Run *run = user_data;
  GError *error = NULL;
  AtResponse *response = at_engine_command_finish (AT_ENGINE (source), result, &error);

  if ((response == NULL) == (error == NULL))
    abort ();
  if (response != NULL && g_strcmp0 (response->final, "OK") != 0)
    abort ();
  at_response_free (response);
  g_clear_error (&error);
  run->ended++;
}

static void
queue_command (AtEngine *engine, Run *run, guint8 selector, GBytes *payload)
{
  static const char *const texts[]
      = { "AT+QCOAPSEND=0,1,2,0,12", "AT+QFUPL=\"UFS:x\",12", "ATI", "AT+CFUN?" };
  static const char *const *const responses[] = { NULL, AT_RESPONSE_ANY, cfun_response };
  AtCommand command = {
    .text = texts[selector % G_N_ELEMENTS (texts)],
    .response = responses[(selector / 4) % G_N_ELEMENTS (responses)],
    .mode = (AtPayloadMode)(selector % 3),
    .payload = payload,
    .timeout_ms = 60000,
  };

  run->issued++;
  at_engine_command (engine, &command, NULL, on_done, run);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  Run run = { 0 };
  GBytes *payload = g_bytes_new_static (payload_text, strlen (payload_text));
  AtEngine *engine = at_engine_new (count_writes, &run);
  gsize offset = 0;

  at_engine_set_probes (engine, probes, G_N_ELEMENTS (probes));
  at_engine_add_urc_handler (engine, "+QCOAP", NULL, check_urc, NULL);
  at_engine_add_urc_handler (engine, NULL, is_restart_line, check_urc, NULL);

  for (gsize chunk = 0; offset < size; chunk++)
    {
      gsize n = MIN (1 + data[(chunk * 13 + 3) % size] % 48, size - offset);

      /* Keep a couple of commands queued so that every stage is reached. */
      while (run.issued - run.ended < 2)
        queue_command (engine, &run, data[(offset + run.issued) % size], payload);
      at_engine_feed (engine, data + offset, n);
      offset += n;
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }

  at_engine_free (engine);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (run.ended != run.issued || run.payload_writes > run.issued)
    abort ();
  g_bytes_unref (payload);
  return 0;
}
