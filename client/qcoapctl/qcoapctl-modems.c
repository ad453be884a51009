/* SPDX-License-Identifier: MIT */
/* qcoapctl-modems.c — the daemon's modems: their properties for status,
 * and the name of a session's modem. A daemon that lists no modems (one
 * that drives a single modem and predates the Modem objects) has its
 * modem's properties on the manager, which stand in for the one modem. */
#include "qcoapctl.h"

const char *
qcoapctl_modem_string (GVariant *modem, const char *key)
{
  g_autoptr (GVariant) value = g_variant_lookup_value (modem, key, NULL);

  /* An object path ("ObjectPath") reads as a string too. The string lives
   * in @modem, which holds its value after this reference is gone. */
  if (value == NULL
      || !(g_variant_is_of_type (value, G_VARIANT_TYPE_STRING)
           || g_variant_is_of_type (value, G_VARIANT_TYPE_OBJECT_PATH)))
    return "";
  return g_variant_get_string (value, NULL);
}

GPtrArray *
qcoapctl_get_modems (QcoapClient *client)
{
  g_auto (GStrv) names = qcoap_client_get_modems (client);
  GPtrArray *modems;

  if (names == NULL || names[0] == NULL)
    return NULL;
  modems = g_ptr_array_new_with_free_func ((GDestroyNotify)g_variant_unref);
  for (char **name = names; *name; name++)
    {
      GVariant *modem = qcoap_client_lookup_modem (client, *name);

      /* Listed but not announced yet: known by its path alone. */
      if (modem == NULL && g_variant_is_object_path (*name))
        modem = g_variant_ref_sink (g_variant_new_parsed ("{'ObjectPath': <%o>}", *name));
      else if (modem == NULL)
        modem = g_variant_ref_sink (g_variant_new_parsed ("{'Name': <%s>}", *name));
      g_ptr_array_add (modems, modem);
    }
  return modems;
}

GVariant *
qcoapctl_manager_modem (QcoapClient *client)
{
  g_autoptr (GVariantDict) dict = g_variant_dict_new (NULL);
  g_autoptr (GVariant) signal = qcoap_client_get_signal (client);
  g_autoptr (GVariant) contexts = qcoap_client_get_data_contexts (client);
  const struct
  {
    const char *key;
    const char *value;
  } strings[] = {
    { "State", qcoap_client_get_state (client) },
    { "StateReason", qcoap_client_get_state_reason (client) },
    { "Device", qcoap_client_get_device (client) },
    { "Manufacturer", qcoap_client_get_manufacturer (client) },
    { "Model", qcoap_client_get_model (client) },
    { "Revision", qcoap_client_get_revision (client) },
    { "Imei", qcoap_client_get_imei (client) },
    { "Registration", qcoap_client_get_registration (client) },
    { "AccessTechnology", qcoap_client_get_access_technology (client) },
    { "Operator", qcoap_client_get_operator (client) },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (strings); i++)
    g_variant_dict_insert (dict, strings[i].key, "s", strings[i].value);
  g_variant_dict_insert (dict, "FreeClients", "y", (guint8)qcoap_client_get_free_clients (client));
  /* The dictionary takes references of its own. */
  g_variant_dict_insert_value (dict, "Signal", signal);
  g_variant_dict_insert_value (dict, "DataContexts", contexts);
  return g_variant_ref_sink (g_variant_dict_end (dict));
}

const char *
qcoapctl_session_modem (QcoapClient *client, QcoapClientSession *session)
{
  const char *path = qcoap_client_session_get_modem (session);
  g_autoptr (GVariant) modem = NULL;
  const char *name;

  if (*path == '\0')
    return NULL;
  modem = qcoap_client_lookup_modem (client, path);
  name = modem ? qcoapctl_modem_string (modem, "Name") : "";
  /* Interned: a handful of modems, for the life of the program. */
  return g_intern_string (*name ? name : path);
}

static guint
modem_free_clients (GVariant *modem)
{
  guint8 free_clients = 0;

  g_variant_lookup (modem, "FreeClients", "y", &free_clients);
  return free_clients;
}

void
qcoapctl_print_modem_text (GVariant *modem, const char *rule, QcoapctlPrintField print_field)
{
  g_autofree char *free_clients = g_strdup_printf ("%u of 6", modem_free_clients (modem));
  const char *name = NULL;

  g_print ("%s", rule);
  if (g_variant_lookup (modem, "Name", "&s", &name))
    print_field ("Modem", "name", name);
  print_field (name ? "" : "Modem", "state", qcoapctl_modem_string (modem, "State"));
  if (*qcoapctl_modem_string (modem, "StateReason"))
    print_field ("", "reason", qcoapctl_modem_string (modem, "StateReason"));
  print_field ("", "device", qcoapctl_modem_string (modem, "Device"));
  g_print ("%s", rule);
  print_field ("Hardware", "manufacturer", qcoapctl_modem_string (modem, "Manufacturer"));
  print_field ("", "model", qcoapctl_modem_string (modem, "Model"));
  print_field ("", "revision", qcoapctl_modem_string (modem, "Revision"));
  print_field ("", "imei", qcoapctl_modem_string (modem, "Imei"));
  g_print ("%s", rule);
  qcoapctl_print_network_text (modem, print_field);
  g_print ("%s", rule);
  print_field ("Clients", "free", free_clients);
}

void
qcoapctl_append_modem_json (GString *json, GVariant *modem)
{
  const struct
  {
    const char *key;
    const char *property;
  } strings[] = {
    { "name", "Name" },     { "path", "ObjectPath" },
    { "state", "State" },   { "state_reason", "StateReason" },
    { "device", "Device" }, { "manufacturer", "Manufacturer" },
    { "model", "Model" },   { "revision", "Revision" },
    { "imei", "Imei" },
  };

  g_string_append_c (json, '{');
  for (gsize i = 0; i < G_N_ELEMENTS (strings); i++)
    {
      g_string_append_printf (json, "\"%s\":", strings[i].key);
      json_append_string (json, qcoapctl_modem_string (modem, strings[i].property), -1);
      g_string_append_c (json, ',');
    }
  qcoapctl_append_network_json (json, modem);
  g_string_append_printf (json, ",\"free_clients\":%u}", modem_free_clients (modem));
}
