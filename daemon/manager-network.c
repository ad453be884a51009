/* SPDX-License-Identifier: MIT */
/* manager-network.c — see manager-network.h. */
#include "manager-network.h"

static GVariant *
signal_to_variant (const NetworkSignal *signal)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{sv}"));
  if (signal->has_rssi)
    g_variant_builder_add (&builder, "{sv}", "rssi", g_variant_new_int32 (signal->rssi));
  if (signal->has_rsrp)
    g_variant_builder_add (&builder, "{sv}", "rsrp", g_variant_new_int32 (signal->rsrp));
  if (signal->has_rsrq)
    g_variant_builder_add (&builder, "{sv}", "rsrq", g_variant_new_int32 (signal->rsrq));
  if (signal->has_sinr)
    g_variant_builder_add (&builder, "{sv}", "sinr", g_variant_new_double (signal->sinr));
  return g_variant_builder_end (&builder);
}

static GVariant *
contexts_to_variant (Network *network)
{
  NetworkContextInfo contexts[NETWORK_MAX_CONTEXTS];
  guint count = network_get_contexts (network, contexts);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ybs)"));
  for (guint i = 0; i < count; i++)
    g_variant_builder_add (&builder, "(ybs)", (guchar)contexts[i].cid, contexts[i].active,
                           contexts[i].address);
  return g_variant_builder_end (&builder);
}

/* Sets a variant property only when it differs: the skeleton compares
 * variants too, but a new floating value every time would still be built
 * and dropped. */
static void
set_variant (GObject *object, const char *name, GVariant *value)
{
  g_autoptr (GVariant) current = NULL;

  g_variant_ref_sink (value);
  g_object_get (object, name, &current, NULL);
  if (current == NULL || !g_variant_equal (current, value))
    g_object_set (object, name, value, NULL);
  g_variant_unref (value);
}

void
manager_network_update (GObject *object, Network *network)
{
  g_object_set (object, "registration",
                network_registration_to_string (network_get_registration (network)),
                "access-technology", network_tech_to_string (network_get_tech (network)),
                "operator", network_get_operator (network), NULL);
  set_variant (object, "signal", signal_to_variant (network_get_signal (network)));
  set_variant (object, "data-contexts", contexts_to_variant (network));
}

static const char *const tech_labels[] = { "", "GSM", "LTE-M", "NB-IoT" };

char *
manager_network_status (Network *network)
{
  NetworkContextInfo contexts[NETWORK_MAX_CONTEXTS];
  guint count = network_get_contexts (network, contexts);
  const NetworkSignal *signal = network_get_signal (network);
  NetworkTech tech = network_get_tech (network);
  GString *status
      = g_string_new (network_registration_to_string (network_get_registration (network)));

  if (tech != NETWORK_TECH_NONE)
    g_string_append_printf (status, ", %s", tech_labels[tech]);
  if (network_get_operator (network)[0] != '\0')
    g_string_append_printf (status, ", %s", network_get_operator (network));
  if (signal->has_rsrp)
    g_string_append_printf (status, ", RSRP %d dBm", signal->rsrp);
  else if (signal->has_rssi)
    g_string_append_printf (status, ", RSSI %d dBm", signal->rssi);
  for (guint i = 0; i < count; i++)
    g_string_append_printf (status, "%s context %u %s", i == 0 ? ";" : ",", contexts[i].cid,
                            contexts[i].active ? "up" : "down");
  return g_string_free (status, FALSE);
}

char *
manager_network_status_line (ModemState state, Network *network, guint sessions)
{
  g_autofree char *network_status = manager_network_status (network);

  return g_strdup_printf ("%s; %s; %u session%s", modem_state_to_string (state), network_status,
                          sessions, sessions == 1 ? "" : "s");
}
