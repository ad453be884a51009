/* SPDX-License-Identifier: MIT */
/* network-context.c — the data contexts of the network (see network.h):
 * their activation with back-off (AT+QIACT?, AT+QIACT, AT+QIDEACT), their
 * configuration (AT+QICSGP), the callers waiting for one, and the
 * network's "pdpdeact". The rest of the network is in network.c. */
#include "network-context.h"
#include "log-level.h"

#include "backoff.h"
#include "qcoap-error.h"

/* The AT manual's limits: activation is up to the network (150 s),
 * deactivation up to 40 s. */
#define QIACT_TIMEOUT_MS   150000
#define QIDEACT_TIMEOUT_MS 40000
#define QIACT_PREFIX       "+QIACT:"
/* Back-off between failed activations: 500 ms, doubled, at most 30 s. */
#define ACTIVATE_FIRST_BACKOFF_MS 500
#define ACTIVATE_MAX_BACKOFF_MS   30000

typedef struct
{
  GTask *task;
  Context *context;
  guint timeout_source;
  guint cancel_source;
  gulong cancel_handler;
} Waiter;

/* ---- contexts going down --------------------------------------------------------- */

void
network_context_down (Context *context, const char *sessions_lost)
{
  Network *network = context->network;
  gboolean was_active = context->active;

  context->active = FALSE;
  g_clear_pointer (&context->address, g_free);
  if (was_active)
    g_info ("Data context %u is down", context->cid);
  if ((was_active || context->needs_deact) && sessions_lost && network->listener.context_lost)
    network->listener.context_lost (network, context->cid, sessions_lost, network->user_data);
}

/* ---- activation ------------------------------------------------------------------ */

static void
waiter_free (Waiter *waiter)
{
  GCancellable *cancellable = g_task_get_cancellable (waiter->task);

  g_clear_handle_id (&waiter->timeout_source, g_source_remove);
  g_clear_handle_id (&waiter->cancel_source, g_source_remove);
  if (waiter->cancel_handler)
    g_cancellable_disconnect (cancellable, waiter->cancel_handler);
  g_clear_object (&waiter->task);
  g_free (waiter);
}

static void
finish_waiter (Waiter *waiter, GError *error)
{
  Context *context = waiter->context;

  context->waiters = g_list_remove (context->waiters, waiter);
  if (error)
    g_task_return_error (waiter->task, error);
  else
    g_task_return_boolean (waiter->task, TRUE);
  waiter_free (waiter);
}

static void
context_up (Context *context, const char *address)
{
  context->active = TRUE;
  context->failures = 0;
  g_clear_pointer (&context->last_error, g_free);
  g_free (context->address);
  context->address = g_strdup (address);
  g_info ("Data context %u is up (%s)", context->cid, address);
  while (context->waiters)
    finish_waiter (context->waiters->data, NULL);
  network_notify (context->network);
}

static gboolean
on_retry (gpointer user_data)
{
  Context *context = user_data;

  context->retry_source = 0;
  network_context_kick (context);
  return G_SOURCE_REMOVE;
}

static void
context_failed (Context *context, const char *what, const GError *error)
{
  guint delay
      = backoff_delay (ACTIVATE_FIRST_BACKOFF_MS, ACTIVATE_MAX_BACKOFF_MS, context->failures);
  const AtFinal *final = at_error_get_final (error);

  context->busy = FALSE;
  context->failures++;
  g_free (context->last_error);
  /* The modem's own words ("+CME ERROR: 30"), or what went wrong instead. */
  context->last_error = g_strdup (final ? final->line : error->message);
  g_info ("%s of data context %u failed (%s); next attempt in %u ms", what, context->cid,
          context->last_error, delay);
  context->retry_source = g_timeout_add (delay, on_retry, context);
}

static void on_qiact_list (Network *network, AtResponse *response, const GError *error,
                           gpointer data);

static void
on_qiact_done (Network *network, AtResponse *response, const GError *error, gpointer data)
{
  Context *context = data;

  if (error)
    {
      context_failed (context, "Activation", error);
      return;
    }
  network_send_command (network, "AT+QIACT?", QIACT_PREFIX, QUERY_TIMEOUT_MS, on_qiact_list,
                        context);
}

/* Whether AT+QIACT?'s @response lists @context as active; its address in
 * @address (nullable). */
static gboolean
listed_active (const Context *context, const AtResponse *response, char **address)
{
  for (guint i = 0; response != NULL && i < response->lines->len; i++)
    {
      g_autofree char *listed = NULL;
      gboolean active;
      guint cid;

      if (network_qiact_parse (g_ptr_array_index (response->lines, i), &cid, &active, &listed, NULL)
          && cid == context->cid && active)
        {
          if (address != NULL)
            *address = g_steal_pointer (&listed);
          return TRUE;
        }
    }
  return FALSE;
}

/* AT+QIACT? lists the active contexts: @context is up when listed, else
 * AT+QIACT activates it. */
static void
on_qiact_list (Network *network, AtResponse *response, const GError *error, gpointer data)
{
  Context *context = data;
  g_autofree char *command = NULL;
  g_autofree char *address = NULL;

  if (listed_active (context, response, &address))
    {
      context->busy = FALSE;
      context_up (context, address);
      return;
    }
  if (!network_registration_is_registered (network->registration))
    {
      context->busy = FALSE;
      return;
    }
  command = network_cmd_qiact (context->cid);
  network_send_command (network, command, NULL, QIACT_TIMEOUT_MS, on_qiact_done, context);
}

static void
on_qideact_done (Network *network, AtResponse *response, const GError *error, gpointer data)
{
  Context *context = data;

  if (error)
    {
      context_failed (context, "Deactivation", error);
      return;
    }
  context->needs_deact = FALSE;
  context->busy = FALSE;
  network_context_kick (context);
}

/* One step towards an active context, unless one is under way or waits
 * for its back-off: AT+QIDEACT after a drop, else AT+QIACT? (and AT+QIACT
 * when the context is not listed). */
void
network_context_kick (Context *context)
{
  Network *network = context->network;
  g_autofree char *command = NULL;

  if (!network->set_up || context->busy || context->retry_source || context->active
      || !(context->managed || context->waiters)
      || !network_registration_is_registered (network->registration))
    return;
  context->busy = TRUE;
  if (context->needs_deact)
    {
      command = network_cmd_qideact (context->cid);
      network_send_command (network, command, NULL, QIDEACT_TIMEOUT_MS, on_qideact_done, context);
      return;
    }
  network_send_command (network, "AT+QIACT?", QIACT_PREFIX, QUERY_TIMEOUT_MS, on_qiact_list,
                        context);
}

/* What an Open waiting for @context misses, in words. */
static char *
describe_missing (Context *context)
{
  Network *network = context->network;

  if (!network->running)
    return g_strdup ("the modem is not ready");
  switch (network->registration)
    {
      case NETWORK_REGISTRATION_SEARCHING:
        return g_strdup ("not registered: searching for a network");
      case NETWORK_REGISTRATION_DENIED:
        return g_strdup ("registration denied by the network");
      case NETWORK_REGISTRATION_IDLE:
        return g_strdup ("not registered: the modem is not searching for a network");
      case NETWORK_REGISTRATION_UNKNOWN:
        return g_strdup ("not registered: the registration status is not known yet");
      default:
        break;
    }
  if (context->last_error)
    return g_strdup_printf ("data context %u could not be activated: %s", context->cid,
                            context->last_error);
  return g_strdup_printf ("data context %u is still being activated", context->cid);
}

/* ---- the modem's life ------------------------------------------------------------- */

/* The modem's life ended: what it held of @context is gone. */
void
network_context_forget (Context *context)
{
  context->active = FALSE;
  context->needs_deact = FALSE;
  context->busy = FALSE;
  context->failures = 0;
  g_clear_pointer (&context->address, g_free);
  g_clear_handle_id (&context->retry_source, g_source_remove);
}

/* The network is freed: @context's waiters fail. */
void
network_context_clear (Context *context)
{
  while (context->waiters)
    finish_waiter (context->waiters->data, g_error_new_literal (QCOAP_ERROR, QCOAP_ERROR_CLOSED,
                                                                "The daemon is shutting down"));
  g_clear_handle_id (&context->retry_source, g_source_remove);
  g_free (context->address);
  g_free (context->last_error);
}

static void
on_qicsgp_done (Network *network, AtResponse *response, const GError *error, gpointer data)
{
  guint cid = GPOINTER_TO_UINT (data);

  if (error)
    g_warning ("Data context %u could not be configured: %s", cid, error->message);
}

/* The configured contexts (the module keeps them, but the file may have
 * changed). Queued before the state queries: the engine keeps the order. */
void
network_write_contexts (Network *network)
{
  for (guint i = 0; i < NETWORK_MAX_CONTEXTS; i++)
    {
      const NetworkContextConfig *config = &network->config.contexts[i];
      g_autofree char *command = NULL;
      g_autofree char *shown = NULL;

      if (!config->configured)
        continue;
      command = network_cmd_qicsgp (i + 1, config->ip_type, config->apn ? config->apn : "",
                                    config->username ? config->username : "",
                                    config->password ? config->password : "", config->auth);
      /* The password never reaches a log or an error message. */
      shown = network_cmd_qicsgp (i + 1, config->ip_type, config->apn ? config->apn : "",
                                  config->username ? config->username : "", NETWORK_SECRET_MASK,
                                  config->auth);
      network_send_command_full (network, command, shown, NULL, QUERY_TIMEOUT_MS, on_qicsgp_done,
                                 GUINT_TO_POINTER (i + 1));
      if (command)
        memset (command, 0, strlen (command));
    }
}

/* ---- URCs ------------------------------------------------------------------------ */

static void
on_deact_checked (Network *network, AtResponse *response, const GError *error, gpointer data)
{
  Context *context = data;

  if (listed_active (context, response, NULL))
    {
      g_warning ("A report said data context %u was dropped, but the module lists it as active: "
                 "not the module's report; ignored",
                 context->cid);
      return;
    }
  g_warning ("The network dropped data context %u", context->cid);
  context->needs_deact = TRUE;
  context->managed = TRUE;
  network_context_down (context, NETWORK_LOST_DATA_CONTEXT);
  network_notify (network);
  network_context_kick (context);
}

/* +QIURC: "pdpdeact",<cid>: the network took a data context down. Other
 * +QIURC reports (of the module's TCP/IP sockets) concern no one here. */
void
network_on_qiurc (const AtEvent *event, gpointer user_data)
{
  Network *network = user_data;
  const char *line = event->line;
  guint cid;

  if (!g_str_has_prefix (line, "+QIURC: \"pdpdeact\""))
    {
      qcoapd_debug ("Ignoring \"%s\"", line);
      return;
    }
  if (!network_pdpdeact_parse (line, &cid, NULL))
    return;
  /* Believed once AT+QIACT? agrees: a server's text read as lines must not
   * tear down everyone's data call. */
  g_info ("\"%s\": asking the module whether data context %u is up", line, cid);
  network_send_command (network, "AT+QIACT?", QIACT_PREFIX, QUERY_TIMEOUT_MS, on_deact_checked,
                        &network->contexts[cid - 1]);
}

/* ---- public ------------------------------------------------------------------------ */

guint
network_get_contexts (Network *network, NetworkContextInfo contexts[NETWORK_MAX_CONTEXTS])
{
  guint count = 0;

  for (guint i = 0; i < NETWORK_MAX_CONTEXTS; i++)
    if (network->contexts[i].managed)
      {
        contexts[count].cid = network->contexts[i].cid;
        contexts[count].active = network->contexts[i].active;
        contexts[count].address = network->contexts[i].address ? network->contexts[i].address : "";
        count++;
      }
  return count;
}

static gboolean
on_waiter_timeout (gpointer user_data)
{
  Waiter *waiter = user_data;
  g_autofree char *missing = describe_missing (waiter->context);

  waiter->timeout_source = 0;
  finish_waiter (waiter, g_error_new (QCOAP_ERROR, QCOAP_ERROR_NETWORK_FAILURE,
                                      "The network is not ready: %s", missing));
  return G_SOURCE_REMOVE;
}

static gboolean
on_waiter_cancelled_idle (gpointer user_data)
{
  Waiter *waiter = user_data;

  waiter->cancel_source = 0;
  finish_waiter (waiter,
                 g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Activation cancelled"));
  return G_SOURCE_REMOVE;
}

/* Runs inside g_cancellable_cancel(): the waiter ends from an idle, which
 * may disconnect the handler (disconnecting from the handler would hang). */
static void
on_waiter_cancelled (GCancellable *cancellable, gpointer user_data)
{
  Waiter *waiter = user_data;

  if (waiter->cancel_source == 0)
    waiter->cancel_source = g_idle_add (on_waiter_cancelled_idle, waiter);
}

void
network_activate_context (Network *network, guint cid, guint timeout_ms, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  Context *context;
  Waiter *waiter;

  g_task_set_source_tag (task, network_activate_context);
  g_return_if_fail (cid >= 1 && cid <= NETWORK_MAX_CONTEXTS);
  context = &network->contexts[cid - 1];
  if (!context->managed)
    {
      context->managed = TRUE;
      network_notify (network);
    }
  if (context->active && network->running)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  waiter = g_new0 (Waiter, 1);
  waiter->task = g_steal_pointer (&task);
  waiter->context = context;
  context->waiters = g_list_append (context->waiters, waiter);
  if (timeout_ms > 0)
    waiter->timeout_source = g_timeout_add (timeout_ms, on_waiter_timeout, waiter);
  if (cancellable)
    waiter->cancel_handler
        = g_cancellable_connect (cancellable, G_CALLBACK (on_waiter_cancelled), waiter, NULL);
  network_context_kick (context);
}

gboolean
network_activate_context_finish (Network *network, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == network_activate_context, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
