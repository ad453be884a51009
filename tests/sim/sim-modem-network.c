/* SPDX-License-Identifier: MIT */
/* sim-modem-network.c — the network as the modem lives it: the search after
 * power-up, registration changes and their URCs, PDP context activation and
 * loss, and the faults that drive them. The state and the text of the
 * answers are in sim-cellular.c, the AT commands in sim-commands-network.c. */
#include "sim-modem-private.h"

#include "sim-log.h"

#include <gio/gio.h>

#define FIRMWARE_CONTEXT 1 /* the context a network-ready module activates by itself */

typedef struct
{
  SimModem *modem;
  guint cid;
} ActivationTimer;

static void
send_registration_urcs (SimModem *modem)
{
  for (SimRegKind kind = 0; kind < SIM_REG_N_KINDS; kind++)
    {
      g_autofree char *urc = sim_cellular_format_registration (&modem->cellular, kind, FALSE);

      if (urc != NULL)
        sim_modem_send_urc (modem, urc, NULL, 0);
    }
}

/* Sessions do not survive their context. A DTLS handshake under way can no
 * longer end, so its open fails with a network failure. */
static void
close_sessions_on (SimModem *modem, guint cid)
{
  for (guint id = 0; id < SIM_COAP_N_CLIENTS; id++)
    {
      SimCoapStatus status = sim_coap_client_get_status (modem->clients[id]);

      if (status == SIM_COAP_STATUS_IDLE || modem->session_cid[id] != cid)
        continue;
      sim_coap_client_close (modem->clients[id]);
      sim_log ("info", "%u session gone with context %u", id, cid);
      if (status == SIM_COAP_STATUS_CONNECTING)
        {
          g_autofree char *urc = g_strdup_printf ("+QCOAPOPEN: %u,-4", id);

          sim_modem_send_urc (modem, urc, NULL, 0);
        }
    }
}

static void
finish_activation (SimModem *modem, guint cid, gboolean success)
{
  SimActivation *activation = &modem->activations[cid - 1];
  gboolean host = activation->host;

  g_clear_handle_id (&activation->source, g_source_remove);
  *activation = (SimActivation){ 0 };
  sim_cellular_set_state (&modem->cellular, cid, success ? SIM_PDP_ACTIVE : SIM_PDP_INACTIVE);
  sim_log ("info", "context %u %s", cid, success ? "active" : "not activated");
  if (host && success)
    sim_modem_send_ok (modem);
  else if (host)
    sim_modem_send_error (modem);
}

static gboolean
on_activation_done (gpointer user_data)
{
  ActivationTimer *timer = user_data;
  SimActivation *activation = &timer->modem->activations[timer->cid - 1];

  /* The source ends by returning: finish_activation must not remove it. */
  activation->source = 0;
  finish_activation (timer->modem, timer->cid, !activation->fails);
  return G_SOURCE_REMOVE;
}

void
sim_modem_activate (SimModem *modem, guint cid, gboolean host)
{
  SimActivation *activation = &modem->activations[cid - 1];
  ActivationTimer *timer = g_new0 (ActivationTimer, 1);

  g_clear_handle_id (&activation->source, g_source_remove);
  activation->host = host;
  activation->fails = host && modem->faults.qiact_failures > 0;
  if (activation->fails)
    {
      modem->faults.qiact_failures--;
      sim_log ("info", "fault: the activation of context %u will fail (%u more to fail)", cid,
               modem->faults.qiact_failures);
    }
  sim_cellular_set_state (&modem->cellular, cid, SIM_PDP_ACTIVATING);
  sim_log ("info", "context %u activating%s", cid, host ? "" : " by itself");
  timer->modem = modem;
  timer->cid = cid;
  activation->source = g_timeout_add_full (G_PRIORITY_DEFAULT, modem->config.activation_delay_ms,
                                           on_activation_done, timer, g_free);
}

void
sim_modem_context_down (SimModem *modem, guint cid, SimPdpState state)
{
  if (sim_cellular_get_state (&modem->cellular, cid) == SIM_PDP_ACTIVATING)
    finish_activation (modem, cid, FALSE);
  close_sessions_on (modem, cid);
  sim_cellular_set_state (&modem->cellular, cid, state);
}

/* A registration change: URCs for the reports that are on; losing it takes
 * the contexts down (a dropped one still waits for AT+QIDEACT); gaining it
 * lets a network-ready firmware activate its context. */
static void
set_status (SimModem *modem, SimRegStatus status)
{
  gboolean was_registered = sim_cellular_is_registered (&modem->cellular);

  if (modem->cellular.status == status)
    return;
  modem->cellular.status = status;
  sim_log ("info", "registration status %d", status);
  send_registration_urcs (modem);
  if (was_registered && !sim_cellular_is_registered (&modem->cellular))
    {
      for (guint cid = 1; cid <= SIM_PDP_N_CONTEXTS; cid++)
        if (sim_cellular_get_state (&modem->cellular, cid) != SIM_PDP_DROPPED)
          sim_modem_context_down (modem, cid, SIM_PDP_INACTIVE);
    }
  else if (!was_registered && sim_cellular_is_registered (&modem->cellular)
           && modem->config.network_ready
           && sim_cellular_get_state (&modem->cellular, FIRMWARE_CONTEXT) == SIM_PDP_INACTIVE)
    sim_modem_activate (modem, FIRMWARE_CONTEXT, FALSE);
}

static gboolean
on_attach_delay (gpointer user_data)
{
  SimModem *modem = user_data;

  modem->attach_source = 0;
  set_status (modem, modem->cellular.offer);
  return G_SOURCE_REMOVE;
}

void
sim_modem_network_power_on (SimModem *modem)
{
  if (!modem->config.network_ready)
    {
      modem->attach_source = g_timeout_add (modem->config.attach_delay_ms, on_attach_delay, modem);
      return;
    }
  /* Registered and with its data call up by the time the host looks. */
  modem->cellular.status = modem->cellular.offer;
  if (sim_cellular_is_registered (&modem->cellular))
    sim_cellular_set_state (&modem->cellular, FIRMWARE_CONTEXT, SIM_PDP_ACTIVE);
}

void
sim_modem_network_power_off (SimModem *modem)
{
  g_clear_handle_id (&modem->attach_source, g_source_remove);
  for (guint cid = 1; cid <= SIM_PDP_N_CONTEXTS; cid++)
    {
      g_clear_handle_id (&modem->activations[cid - 1].source, g_source_remove);
      modem->activations[cid - 1] = (SimActivation){ 0 };
      sim_cellular_set_state (&modem->cellular, cid, SIM_PDP_INACTIVE);
    }
  modem->cellular.status = SIM_REG_SEARCHING;
  for (SimRegKind kind = 0; kind < SIM_REG_N_KINDS; kind++)
    modem->cellular.report_mode[kind] = 0;
}

/* ---- faults ---- */

typedef struct _NetworkFault NetworkFault;

struct _NetworkFault
{
  const char *name;
  gboolean (*apply) (SimModem *modem, const NetworkFault *fault, const char *arg, GError **error);
  SimRegStatus offer; /* for the registration faults */
};

static gboolean fail (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail (GError **error, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, message);
  return FALSE;
}

/* What the network grants from now on; a modem that is on gets it at once,
 * one still off when it has searched after power-up. */
static gboolean
apply_offer (SimModem *modem, const NetworkFault *fault, const char *arg, GError **error)
{
  if (arg != NULL)
    return fail (error, "%s takes no argument", fault->name);
  modem->cellular.offer = fault->offer;
  if (modem->power == SIM_POWER_OFF)
    return TRUE;
  g_clear_handle_id (&modem->attach_source, g_source_remove);
  set_status (modem, fault->offer);
  return TRUE;
}

/* The context a pdp-drop or pdp-restore acts on: ARG, or 1. */
static gboolean
parse_context (SimModem *modem, const NetworkFault *fault, const char *arg, guint *cid,
               GError **error)
{
  guint64 value = 1;

  if (arg != NULL && !g_ascii_string_to_unsigned (arg, 10, 1, SIM_PDP_N_CONTEXTS, &value, NULL))
    return fail (error, "%s takes a context, 1-%d", fault->name, SIM_PDP_N_CONTEXTS);
  if (modem->power == SIM_POWER_OFF)
    return fail (error, "%s acts on a modem that is on (use the control channel)", fault->name);
  *cid = (guint)value;
  return TRUE;
}

static gboolean
apply_pdp_drop (SimModem *modem, const NetworkFault *fault, const char *arg, GError **error)
{
  g_autofree char *urc = NULL;
  guint cid;

  if (!parse_context (modem, fault, arg, &cid, error))
    return FALSE;
  if (sim_cellular_get_state (&modem->cellular, cid) != SIM_PDP_ACTIVE)
    return fail (error, "%s: context %u is not active", fault->name, cid);
  /* The host hears of the loss first, then of what it cost. */
  urc = g_strdup_printf ("+QIURC: \"pdpdeact\",%u", cid);
  sim_modem_send_urc (modem, urc, NULL, 0);
  sim_modem_context_down (modem, cid, SIM_PDP_DROPPED);
  return TRUE;
}

/* The data call is back without the host asking, as a firmware that
 * activates its context by itself would bring it back. */
static gboolean
apply_pdp_restore (SimModem *modem, const NetworkFault *fault, const char *arg, GError **error)
{
  guint cid;

  if (!parse_context (modem, fault, arg, &cid, error))
    return FALSE;
  if (!sim_cellular_is_registered (&modem->cellular))
    return fail (error, "%s: not registered", fault->name);
  if (sim_cellular_get_state (&modem->cellular, cid) == SIM_PDP_ACTIVATING)
    finish_activation (modem, cid, TRUE);
  sim_cellular_set_state (&modem->cellular, cid, SIM_PDP_ACTIVE);
  return TRUE;
}

static gboolean
apply_qiact_fail (SimModem *modem, const NetworkFault *fault, const char *arg, GError **error)
{
  guint64 count;

  if (arg == NULL || !g_ascii_string_to_unsigned (arg, 10, 0, G_MAXINT, &count, NULL))
    return fail (error, "%s takes a count", fault->name);
  modem->faults.qiact_failures = (guint)count;
  return TRUE;
}

static gboolean
apply_signal (SimModem *modem, const NetworkFault *fault, const char *arg, GError **error)
{
  gint64 rsrp;

  if (arg == NULL || !g_ascii_string_to_signed (arg, 10, SIM_RSRP_MIN, SIM_RSRP_MAX, &rsrp, NULL))
    return fail (error, "%s takes an RSRP in dBm, %d to %d", fault->name, SIM_RSRP_MIN,
                 SIM_RSRP_MAX);
  modem->cellular.rsrp_dbm = (int)rsrp;
  return TRUE;
}

static const NetworkFault network_faults[] = {
  { "register", apply_offer, SIM_REG_HOME }, { "roam", apply_offer, SIM_REG_ROAMING },
  { "deny", apply_offer, SIM_REG_DENIED },   { "deregister", apply_offer, SIM_REG_SEARCHING },
  { "pdp-drop", apply_pdp_drop, 0 },         { "pdp-restore", apply_pdp_restore, 0 },
  { "qiact-fail", apply_qiact_fail, 0 },     { "signal", apply_signal, 0 },
};

gboolean
sim_modem_network_fault (SimModem *modem, const char *name, const char *arg, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (network_faults); i++)
    if (g_strcmp0 (network_faults[i].name, name) == 0)
      return network_faults[i].apply (modem, &network_faults[i], arg, error);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "unknown fault \"%s\"", name);
  return FALSE;
}
