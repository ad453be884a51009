/* SPDX-License-Identifier: MIT */
/* network.c — see network.h. The registration, operator and signal; the
 * data contexts are in network-context.c. */
#include "network.h"
#include "log-level.h"

#include "network-command.h"
#include "network-context.h"

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

static void
context_config_clear (NetworkContextConfig *context)
{
  g_clear_pointer (&context->apn, g_free);
  g_clear_pointer (&context->username, g_free);
  if (context->password)
    memset (context->password, 0, strlen (context->password));
  g_clear_pointer (&context->password, g_free);
}

static void
context_config_copy (NetworkContextConfig *dest, const NetworkContextConfig *src)
{
  *dest = *src;
  dest->apn = g_strdup (src->apn);
  dest->username = g_strdup (src->username);
  dest->password = g_strdup (src->password);
}

void
network_config_clear (NetworkConfig *config)
{
  for (guint i = 0; i < NETWORK_MAX_CONTEXTS; i++)
    context_config_clear (&config->contexts[i]);
}

void
network_config_copy (NetworkConfig *dest, const NetworkConfig *src)
{
  *dest = *src;
  for (guint i = 0; i < NETWORK_MAX_CONTEXTS; i++)
    context_config_copy (&dest->contexts[i], &src->contexts[i]);
}

void
network_config_override (NetworkConfig *config, const NetworkConfig *own)
{
  for (guint i = 0; i < NETWORK_MAX_CONTEXTS; i++)
    if (own->contexts[i].configured)
      {
        context_config_clear (&config->contexts[i]);
        context_config_copy (&config->contexts[i], &own->contexts[i]);
      }
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

/* A registration loss takes every context down; the module needs no
 * AT+QIDEACT afterwards. */
static void
registration_lost (Network *network)
{
  for (guint i = 0; i < NETWORK_MAX_CONTEXTS; i++)
    network_context_down (&network->contexts[i], NETWORK_LOST_REGISTRATION);
}

static void
kick_all (Network *network)
{
  for (guint i = 0; i < NETWORK_MAX_CONTEXTS; i++)
    network_context_kick (&network->contexts[i]);
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
  network_notify (network);
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
      network_notify (network);
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
    qcoapd_debug ("%s: %s", query->command, error->message);
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
  network_send_command (network, query->command, query->prefix, QUERY_TIMEOUT_MS, on_query_done,
                        run);
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
  network_notify (network);
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
    network_context_forget (&network->contexts[i]);
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
network_start (Network *network)
{
  network->running = TRUE;
  network->cancellable = g_cancellable_new ();
  network_write_contexts (network);
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
  network_notify (network);
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
  NetworkRegInfo info;

  if (!network->running)
    return;
  /* A loss is believed once the module's answer to the read commands says
   * so too: a server's text read as lines must not end every session. */
  if (network_registration_is_registered (network->registration)
      && network_reg_parse (event->line, &info, NULL)
      && !network_registration_is_registered (info.registration))
    {
      g_info ("\"%s\": asking the module before believing it", event->line);
      refresh (network);
      return;
    }
  if (take_registration (network, event->line))
    registration_changed (network, TRUE);
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
      = at_engine_add_urc_handler (engine, "+QIURC:", NULL, network_on_qiurc, network);
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
    network_context_clear (&network->contexts[i]);
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
