/* network.c — see network.h. */
#include "network.h"

#include "backoff.h"
#include "qcoap-error.h"

#define QUERY_TIMEOUT_MS 2000
/* The AT manual's limits: activation is up to the network (150 s),
 * deactivation up to 40 s. */
#define QIACT_TIMEOUT_MS   150000
#define QIDEACT_TIMEOUT_MS 40000
#define QIACT_PREFIX       "+QIACT:"
/* Back-off between failed activations: 500 ms, doubled, at most 30 s. */
#define ACTIVATE_FIRST_BACKOFF_MS 500
#define ACTIVATE_MAX_BACKOFF_MS   30000

typedef struct _Context Context;

struct _Context
{
  Network *network;
  guint cid;
  gboolean managed; /* kept up, and listed in DataContexts */
  gboolean active;
  char *address;
  gboolean needs_deact; /* the network dropped it: AT+QIDEACT before AT+QIACT */
  gboolean busy;        /* a command of its activation is under way */
  guint retry_source;
  guint failures;
  char *last_error; /* the modem's words for the last failed activation */
  GList *waiters;   /* Waiter */
};

typedef struct
{
  GTask *task;
  Context *context;
  guint timeout_source;
  guint cancel_source;
  gulong cancel_handler;
} Waiter;

struct _Network
{
  Modem *modem;
  NetworkConfig config;
  NetworkListener listener;
  gpointer user_data;

  guint urc_handlers[NETWORK_N_DOMAINS + 1];

  gboolean running; /* the modem is ready */
  gboolean set_up;  /* reports are on and the contexts written */
  guint generation; /* of the modem's life: answers of an older one are dropped */
  GCancellable *cancellable;
  gboolean refreshing;
  gboolean refresh_again;
  guint signal_source;

  NetworkRegistration domains[NETWORK_N_DOMAINS];
  NetworkTech domain_tech[NETWORK_N_DOMAINS];
  NetworkTech serving_tech; /* AT+QNWINFO, AT+COPS? */
  char *operator_name;      /* AT+COPS? */
  char *plmn;               /* AT+QNWINFO */

  NetworkRegistration registration;
  NetworkTech tech;
  char *operator_shown;
  NetworkSignal signal;
  Context contexts[NETWORK_MAX_CONTEXTS];
};

static void context_kick (Context *context);
static void refresh (Network *network);

/* ---- configuration ----------------------------------------------------------- */

void
network_config_init (NetworkConfig *config)
{
  memset (config, 0, sizeof *config);
  config->signal_interval = NETWORK_DEFAULT_SIGNAL_INTERVAL_S;
  for (guint i = 0; i < NETWORK_MAX_CONTEXTS; i++)
    config->contexts[i].ip_type = NETWORK_IP_V4;
}

void
network_config_clear (NetworkConfig *config)
{
  for (guint i = 0; i < NETWORK_MAX_CONTEXTS; i++)
    {
      NetworkContextConfig *context = &config->contexts[i];

      g_clear_pointer (&context->apn, g_free);
      g_clear_pointer (&context->username, g_free);
      if (context->password)
        memset (context->password, 0, strlen (context->password));
      g_clear_pointer (&context->password, g_free);
    }
}

void
network_config_copy (NetworkConfig *dest, const NetworkConfig *src)
{
  *dest = *src;
  for (guint i = 0; i < NETWORK_MAX_CONTEXTS; i++)
    {
      dest->contexts[i].apn = g_strdup (src->contexts[i].apn);
      dest->contexts[i].username = g_strdup (src->contexts[i].username);
      dest->contexts[i].password = g_strdup (src->contexts[i].password);
    }
}

/* ---- AT commands --------------------------------------------------------------- */

typedef void (*ReplyFunc) (Network *network, AtResponse *response, const GError *error,
                           gpointer data);

typedef struct
{
  Network *network;
  guint generation;
  ReplyFunc func;
  gpointer data;
  const char *response[2]; /* the prefix of the answer's lines, if it has any */
} Call;

static void
on_command_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree Call *call = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (AtResponse) response = modem_command_finish (NULL, result, &error);

  /* Cancelled: the network was freed or the modem's life ended. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      || call->generation != call->network->generation)
    return;
  call->func (call->network, response, error, call->data);
}

/* Sends @command, whose answer has lines starting with @response_prefix
 * (NULL: none). @shown (nullable) is what logs show of a command with a
 * secret. */
static void
send_command_full (Network *network, const char *command, const char *shown,
                   const char *response_prefix, guint timeout_ms, ReplyFunc func, gpointer data)
{
  Call *call = g_new0 (Call, 1);
  AtCommand at = { .text = command, .shown = shown, .timeout_ms = timeout_ms };

  call->network = network;
  call->generation = network->generation;
  call->func = func;
  call->data = data;
  call->response[0] = response_prefix;
  at.response = response_prefix ? call->response : NULL;
  modem_command (network->modem, &at, network->cancellable, on_command_done, call);
}

static void
send_command (Network *network, const char *command, const char *response_prefix, guint timeout_ms,
              ReplyFunc func, gpointer data)
{
  send_command_full (network, command, NULL, response_prefix, timeout_ms, func, data);
}

static const char *
first_line (AtResponse *response, const char *prefix)
{
  for (guint i = 0; response != NULL && i < response->lines->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (response->lines, i), prefix))
      return g_ptr_array_index (response->lines, i);
  return NULL;
}

/* ---- what is known, and what the API shows ---------------------------------------- */

static void
notify (Network *network)
{
  if (network->listener.changed)
    network->listener.changed (network, network->user_data);
}

/* LTE first; GPRS or GSM when only they are registered (a fallback). */
static void
choose_registration (Network *network, NetworkRegistration *registration, NetworkTech *tech)
{
  *registration = network->domains[NETWORK_DOMAIN_EPS];
  *tech = network->domain_tech[NETWORK_DOMAIN_EPS];
  for (guint d = NETWORK_DOMAIN_GPRS; d < NETWORK_N_DOMAINS; d++)
    if (!network_registration_is_registered (*registration)
        && network_registration_is_registered (network->domains[d]))
      {
        *registration = network->domains[d];
        *tech = network->domain_tech[d] != NETWORK_TECH_NONE ? network->domain_tech[d]
                                                             : NETWORK_TECH_GSM;
      }
  if (*registration == NETWORK_REGISTRATION_UNKNOWN)
    for (guint d = NETWORK_DOMAIN_GPRS; d < NETWORK_N_DOMAINS; d++)
      if (network->domains[d] != NETWORK_REGISTRATION_UNKNOWN)
        *registration = network->domains[d];
  if (*tech == NETWORK_TECH_NONE)
    *tech = network->serving_tech;
  if (!network_registration_is_registered (*registration))
    *tech = NETWORK_TECH_NONE;
}

static gboolean
update_shown (Network *network)
{
  NetworkRegistration registration;
  NetworkTech tech;
  const char *name;
  gboolean changed;

  choose_registration (network, &registration, &tech);
  name = !network_registration_is_registered (registration)    ? ""
         : network->operator_name && network->operator_name[0] ? network->operator_name
         : network->plmn                                       ? network->plmn
                                                               : "";
  changed = registration != network->registration || tech != network->tech
            || g_strcmp0 (name, network->operator_shown) != 0;
  network->tech = tech;
  g_free (network->operator_shown);
  network->operator_shown = g_strdup (name);
  if (registration != network->registration)
    g_info ("Network registration: %s -> %s%s%s",
            network_registration_to_string (network->registration),
            network_registration_to_string (registration), name[0] ? ", " : "", name);
  network->registration = registration;
  return changed;
}

/* ---- contexts going down --------------------------------------------------------- */

static void
context_down (Context *context, gboolean sessions_lost)
{
  Network *network = context->network;
  gboolean was_active = context->active;

  context->active = FALSE;
  g_clear_pointer (&context->address, g_free);
  if (was_active)
    g_info ("Data context %u is down", context->cid);
  if ((was_active || context->needs_deact) && sessions_lost && network->listener.context_lost)
    network->listener.context_lost (network, context->cid, network->user_data);
}

/* A registration loss takes every context down; the module needs no
 * AT+QIDEACT afterwards. */
static void
registration_lost (Network *network)
{
  for (guint i = 0; i < NETWORK_MAX_CONTEXTS; i++)
    context_down (&network->contexts[i], TRUE);
}

static void
kick_all (Network *network)
{
  for (guint i = 0; i < NETWORK_MAX_CONTEXTS; i++)
    context_kick (&network->contexts[i]);
}

/* After a registration report (URC or read answer). */
static void
registration_changed (Network *network, gboolean from_urc)
{
  gboolean was_registered = network_registration_is_registered (network->registration);

  if (!update_shown (network))
    return;
  if (was_registered && !network_registration_is_registered (network->registration))
    registration_lost (network);
  notify (network);
  if (network_registration_is_registered (network->registration))
    kick_all (network);
  if (from_urc)
    refresh (network);
}

static gboolean
take_registration (Network *network, const char *line)
{
  g_autoptr (GError) error = NULL;
  NetworkRegInfo info;

  if (!network_reg_parse (line, &info, &error))
    {
      g_info ("Ignoring a registration report: %s", error->message);
      return FALSE;
    }
  network->domains[info.domain] = info.registration;
  network->domain_tech[info.domain] = info.tech;
  return TRUE;
}

/* ---- the state read from the modem ----------------------------------------------- */

typedef struct
{
  const char *command;
  const char *prefix;
  void (*take) (Network *network, const char *line);
  /* Only when the row before failed: AT+CSQ where AT+QCSQ is missing. */
  gboolean fallback;
} Query;

static void
take_reg_line (Network *network, const char *line)
{
  take_registration (network, line);
}

static void
take_cops (Network *network, const char *line)
{
  g_autofree char *name = NULL;
  NetworkTech tech;

  if (network_cops_parse (line, &name, &tech, NULL))
    {
      g_free (network->operator_name);
      network->operator_name = g_steal_pointer (&name);
    }
}

static void
take_qnwinfo (Network *network, const char *line)
{
  g_autofree char *plmn = NULL;
  NetworkTech tech;

  if (network_qnwinfo_parse (line, &tech, &plmn, NULL))
    {
      network->serving_tech = tech;
      g_free (network->plmn);
      network->plmn = g_steal_pointer (&plmn);
    }
}

static void
take_signal (Network *network, const char *line,
             gboolean (*parse) (const char *, NetworkSignal *, GError **))
{
  NetworkSignal signal;

  if (parse (line, &signal, NULL) && !network_signal_equal (&signal, &network->signal))
    {
      network->signal = signal;
      notify (network);
    }
}

static void
take_qcsq (Network *network, const char *line)
{
  take_signal (network, line, network_qcsq_parse);
}

static void
take_csq (Network *network, const char *line)
{
  take_signal (network, line, network_csq_parse);
}

static const Query setup_queries[] = {
  /* Registration reports with location and technology. GPRS and CS
   * reports are for a GSM fallback; LTE-only firmware may refuse them. */
  { "AT+CEREG=2", NULL, NULL, FALSE },
  { "AT+CGREG=2", NULL, NULL, FALSE },
  { "AT+CREG=2", NULL, NULL, FALSE },
};

static const Query state_queries[] = {
  { "AT+CEREG?", "+CEREG:", take_reg_line, FALSE },
  { "AT+CGREG?", "+CGREG:", take_reg_line, FALSE },
  { "AT+CREG?", "+CREG:", take_reg_line, FALSE },
  { "AT+COPS?", "+COPS:", take_cops, FALSE },
  { "AT+QNWINFO", "+QNWINFO:", take_qnwinfo, FALSE },
  { "AT+QCSQ", "+QCSQ:", take_qcsq, FALSE },
  { "AT+CSQ", "+CSQ:", take_csq, TRUE },
};

static const Query signal_queries[] = {
  { "AT+QCSQ", "+QCSQ:", take_qcsq, FALSE },
  { "AT+CSQ", "+CSQ:", take_csq, TRUE },
};

typedef struct
{
  const Query *queries;
  guint count;
  guint next;
  gboolean last_ok;
  void (*done) (Network *network);
} QueryRun;

static void run_next_query (Network *network, QueryRun *run);

static void
on_query_done (Network *network, AtResponse *response, const GError *error, gpointer data)
{
  QueryRun *run = data;
  const Query *query = &run->queries[run->next - 1];
  const char *line = query->prefix ? first_line (response, query->prefix) : NULL;

  run->last_ok = response != NULL;
  if (error)
    g_debug ("%s: %s", query->command, error->message);
  if (line && query->take)
    query->take (network, line);
  run_next_query (network, run);
}

static void
run_next_query (Network *network, QueryRun *run)
{
  const Query *query;

  while (run->next < run->count && run->queries[run->next].fallback && run->last_ok)
    run->next++;
  if (run->next == run->count)
    {
      void (*done) (Network *) = run->done;

      g_free (run);
      if (done)
        done (network);
      return;
    }
  query = &run->queries[run->next++];
  send_command (network, query->command, query->prefix, QUERY_TIMEOUT_MS, on_query_done, run);
}

static void
run_queries (Network *network, const Query *queries, guint count, void (*done) (Network *network))
{
  QueryRun *run = g_new0 (QueryRun, 1);

  run->queries = queries;
  run->count = count;
  run->done = done;
  run_next_query (network, run);
}

static void
on_refresh_done (Network *network)
{
  network->refreshing = FALSE;
  registration_changed (network, FALSE);
  notify (network);
  if (network->refresh_again)
    refresh (network);
}

/* Reads registration, operator, serving system and signal; a refresh asked
 * for while one runs follows it. */
static void
refresh (Network *network)
{
  if (!network->running)
    return;
  if (network->refreshing)
    {
      network->refresh_again = TRUE;
      return;
    }
  network->refreshing = TRUE;
  network->refresh_again = FALSE;
  run_queries (network, state_queries, G_N_ELEMENTS (state_queries), on_refresh_done);
}

static gboolean
on_signal_timer (gpointer user_data)
{
  Network *network = user_data;

  if (!network->refreshing)
    run_queries (network, signal_queries, G_N_ELEMENTS (signal_queries), NULL);
  return G_SOURCE_CONTINUE;
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
  notify (context->network);
}

static gboolean
on_retry (gpointer user_data)
{
  Context *context = user_data;

  context->retry_source = 0;
  context_kick (context);
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
  send_command (network, "AT+QIACT?", QIACT_PREFIX, QUERY_TIMEOUT_MS, on_qiact_list, context);
}

/* AT+QIACT? lists the active contexts: @context is up when listed, else
 * AT+QIACT activates it. */
static void
on_qiact_list (Network *network, AtResponse *response, const GError *error, gpointer data)
{
  Context *context = data;
  g_autofree char *command = NULL;

  for (guint i = 0; response != NULL && i < response->lines->len; i++)
    {
      g_autofree char *address = NULL;
      gboolean active;
      guint cid;

      if (network_qiact_parse (g_ptr_array_index (response->lines, i), &cid, &active, &address,
                               NULL)
          && cid == context->cid && active)
        {
          context->busy = FALSE;
          context_up (context, address);
          return;
        }
    }
  if (!network_registration_is_registered (network->registration))
    {
      context->busy = FALSE;
      return;
    }
  command = network_cmd_qiact (context->cid);
  send_command (network, command, NULL, QIACT_TIMEOUT_MS, on_qiact_done, context);
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
  context_kick (context);
}

/* One step towards an active context, unless one is under way or waits
 * for its back-off: AT+QIDEACT after a drop, else AT+QIACT? (and AT+QIACT
 * when the context is not listed). */
static void
context_kick (Context *context)
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
      send_command (network, command, NULL, QIDEACT_TIMEOUT_MS, on_qideact_done, context);
      return;
    }
  send_command (network, "AT+QIACT?", QIACT_PREFIX, QUERY_TIMEOUT_MS, on_qiact_list, context);
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

static void
forget_state (Network *network)
{
  for (guint d = 0; d < NETWORK_N_DOMAINS; d++)
    {
      network->domains[d] = NETWORK_REGISTRATION_UNKNOWN;
      network->domain_tech[d] = NETWORK_TECH_NONE;
    }
  network->serving_tech = NETWORK_TECH_NONE;
  g_clear_pointer (&network->operator_name, g_free);
  g_clear_pointer (&network->plmn, g_free);
  memset (&network->signal, 0, sizeof network->signal);
  for (guint i = 0; i < NETWORK_MAX_CONTEXTS; i++)
    {
      Context *context = &network->contexts[i];

      context->active = FALSE;
      context->needs_deact = FALSE;
      context->busy = FALSE;
      context->failures = 0;
      g_clear_pointer (&context->address, g_free);
      g_clear_handle_id (&context->retry_source, g_source_remove);
    }
  update_shown (network);
}

static void
on_set_up (Network *network)
{
  network->set_up = TRUE;
  refresh (network);
  kick_all (network);
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
static void
write_contexts (Network *network)
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
      send_command_full (network, command, shown, NULL, QUERY_TIMEOUT_MS, on_qicsgp_done,
                         GUINT_TO_POINTER (i + 1));
      if (command)
        memset (command, 0, strlen (command));
    }
}

static void
network_start (Network *network)
{
  network->running = TRUE;
  network->cancellable = g_cancellable_new ();
  write_contexts (network);
  run_queries (network, setup_queries, G_N_ELEMENTS (setup_queries), on_set_up);
  if (network->config.signal_interval > 0)
    network->signal_source
        = g_timeout_add_seconds (network->config.signal_interval, on_signal_timer, network);
}

static void
network_stop (Network *network)
{
  network->running = FALSE;
  network->set_up = FALSE;
  network->refreshing = FALSE;
  network->generation++;
  g_cancellable_cancel (network->cancellable);
  g_clear_object (&network->cancellable);
  g_clear_handle_id (&network->signal_source, g_source_remove);
  forget_state (network);
  notify (network);
}

void
network_modem_state_changed (Network *network)
{
  gboolean ready = modem_get_state (network->modem) == MODEM_STATE_READY;

  if (ready && !network->running)
    network_start (network);
  else if (!ready && network->running)
    network_stop (network);
}

/* ---- URCs ------------------------------------------------------------------------ */

/* +CEREG, +CGREG, +CREG: registered by prefix, so that the answer of a read
 * command ("AT+CEREG?") stays the command's. */
static void
on_registration_urc (const AtEvent *event, gpointer user_data)
{
  Network *network = user_data;

  if (network->running && take_registration (network, event->line))
    registration_changed (network, TRUE);
}

/* +QIURC: "pdpdeact",<cid>: the network took a data context down. Other
 * +QIURC reports (of the module's TCP/IP sockets) concern no one here. */
static void
on_qiurc (const AtEvent *event, gpointer user_data)
{
  Network *network = user_data;
  const char *line = event->line;
  guint cid;

  if (!g_str_has_prefix (line, "+QIURC: \"pdpdeact\""))
    {
      g_debug ("Ignoring \"%s\"", line);
      return;
    }
  if (!network_pdpdeact_parse (line, &cid, NULL))
    return;
  g_warning ("The network dropped data context %u", cid);
  network->contexts[cid - 1].needs_deact = TRUE;
  network->contexts[cid - 1].managed = TRUE;
  context_down (&network->contexts[cid - 1], TRUE);
  notify (network);
  context_kick (&network->contexts[cid - 1]);
}

static void
register_urcs (Network *network)
{
  AtEngine *engine = modem_get_engine (network->modem);
  guint n = 0;

  for (guint i = 0; i < NETWORK_N_DOMAINS; i++)
    network->urc_handlers[n++] = at_engine_add_urc_handler (
        engine, network_registration_prefix ((NetworkDomain)i), NULL, on_registration_urc, network);
  network->urc_handlers[n++]
      = at_engine_add_urc_handler (engine, "+QIURC:", NULL, on_qiurc, network);
  g_assert (n == G_N_ELEMENTS (network->urc_handlers));
}

/* ---- public ------------------------------------------------------------------------ */

Network *
network_new (Modem *modem, const NetworkConfig *config, const NetworkListener *listener,
             gpointer user_data)
{
  Network *network = g_new0 (Network, 1);

  network->modem = modem;
  network_config_copy (&network->config, config);
  network->listener = *listener;
  network->user_data = user_data;
  network->operator_shown = g_strdup ("");
  for (guint i = 0; i < NETWORK_MAX_CONTEXTS; i++)
    {
      network->contexts[i].network = network;
      network->contexts[i].cid = i + 1;
      network->contexts[i].managed = config->contexts[i].configured;
    }
  network->contexts[NETWORK_DEFAULT_CONTEXT - 1].managed = TRUE;
  register_urcs (network);
  return network;
}

void
network_free (Network *network)
{
  if (network == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (network->urc_handlers); i++)
    at_engine_remove_urc_handler (modem_get_engine (network->modem), network->urc_handlers[i]);
  network->generation++;
  g_cancellable_cancel (network->cancellable);
  g_clear_object (&network->cancellable);
  g_clear_handle_id (&network->signal_source, g_source_remove);
  for (guint i = 0; i < NETWORK_MAX_CONTEXTS; i++)
    {
      Context *context = &network->contexts[i];

      while (context->waiters)
        finish_waiter (context->waiters->data, g_error_new_literal (QCOAP_ERROR, QCOAP_ERROR_CLOSED,
                                                                    "The daemon is shutting down"));
      g_clear_handle_id (&context->retry_source, g_source_remove);
      g_free (context->address);
      g_free (context->last_error);
    }
  network_config_clear (&network->config);
  g_free (network->operator_name);
  g_free (network->plmn);
  g_free (network->operator_shown);
  g_free (network);
}

NetworkRegistration
network_get_registration (Network *network)
{
  return network->registration;
}

NetworkTech
network_get_tech (Network *network)
{
  return network->tech;
}

const char *
network_get_operator (Network *network)
{
  return network->operator_shown;
}

const NetworkSignal *
network_get_signal (Network *network)
{
  return &network->signal;
}

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
      notify (network);
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
  context_kick (context);
}

gboolean
network_activate_context_finish (Network *network, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == network_activate_context, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
