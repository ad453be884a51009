/* SPDX-License-Identifier: MIT */
/* id-sweep.c — see id-sweep.h. */
#include "id-sweep.h"

#include "qcoap-cmd.h"

#define SWEEP_QUERY_TIMEOUT_MS 2000

typedef struct
{
  Modem *modem;
  ClientPool *pool;
  GCancellable *cancellable;
} Sweep;

static void
sweep_free (Sweep *sweep)
{
  g_clear_object (&sweep->cancellable);
  g_free (sweep);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Sweep, sweep_free)

static void
on_listing (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Sweep) sweep = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (AtResponse) response = modem_command_finish (sweep->modem, result, &error);
  guint closed = 0;

  if (g_cancellable_is_cancelled (sweep->cancellable))
    return;
  if (response == NULL)
    {
      /* An Open that lands on a kept ID still recovers from its -10. */
      g_info ("Cannot list the module's open client IDs: %s", error->message);
      return;
    }
  for (guint i = 0; i < response->lines->len; i++)
    {
      guint id;

      if (at_coap_open_status_lists_held (g_ptr_array_index (response->lines, i), &id)
          && client_pool_acquire (sweep->pool, (int)id, &id, NULL))
        {
          client_pool_close_and_release (sweep->pool, id);
          closed++;
        }
    }
  if (closed > 0)
    g_message ("The module kept %u client IDs that no session holds any more; closing them",
               closed);
}

void
id_sweep_run (Modem *modem, ClientPool *pool, GCancellable *cancellable)
{
  g_autofree char *command = at_coap_cmd_open_query ();
  AtCommand at = { .text = command,
                   .response = at_coap_open_query_response,
                   .timeout_ms = SWEEP_QUERY_TIMEOUT_MS };
  Sweep *sweep = g_new0 (Sweep, 1);

  sweep->modem = modem;
  sweep->pool = pool;
  sweep->cancellable = cancellable ? g_object_ref (cancellable) : g_cancellable_new ();
  modem_command (modem, &at, sweep->cancellable, on_listing, sweep);
}
