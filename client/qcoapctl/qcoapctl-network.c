/* SPDX-License-Identifier: MIT */
/* qcoapctl-network.c — the cellular network: its lines in status, its
 * events in monitor, and the at command. */
#include "qcoapctl.h"

#include <stdio.h>
#include <string.h>

/* ---- the signal ---- */

/* The keys of the Signal property in the order they are printed: LTE's
 * first, the GSM measure last. */
static const struct
{
  const char *key;
  const char *label;
  const char *unit;
} signal_keys[] = {
  { "rsrp", "RSRP", "dBm" },
  { "rsrq", "RSRQ", "dB" },
  { "sinr", "SINR", "dB" },
  { "rssi", "RSSI", "dBm" },
};

/* "-87" for an i, "12.5" for a d; NULL for a type the API does not use. */
static char *
format_signal_value (GVariant *value)
{
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT32))
    return g_strdup_printf ("%d", g_variant_get_int32 (value));
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_DOUBLE))
    {
      char buffer[G_ASCII_DTOSTR_BUF_SIZE];

      return g_strdup (
          g_ascii_formatd (buffer, sizeof buffer, "%.1f", g_variant_get_double (value)));
    }
  return NULL;
}

/* "RSRP -87 dBm, RSRQ -10 dB", or "" when the modem reported nothing. */
static char *
format_signal_text (GVariant *signal)
{
  GString *text = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (signal_keys); i++)
    {
      g_autoptr (GVariant) value = g_variant_lookup_value (signal, signal_keys[i].key, NULL);
      g_autofree char *number = value ? format_signal_value (value) : NULL;

      if (number)
        g_string_append_printf (text, "%s%s %s %s", text->len ? ", " : "", signal_keys[i].label,
                                number, signal_keys[i].unit);
    }
  return g_string_free (text, FALSE);
}

static void
json_append_signal (GString *json, GVariant *signal)
{
  gboolean first = TRUE;

  g_string_append_c (json, '{');
  for (gsize i = 0; i < G_N_ELEMENTS (signal_keys); i++)
    {
      g_autoptr (GVariant) value = g_variant_lookup_value (signal, signal_keys[i].key, NULL);
      g_autofree char *number = value ? format_signal_value (value) : NULL;

      if (number == NULL)
        continue;
      g_string_append_printf (json, "%s\"%s\":%s", first ? "" : ",", signal_keys[i].key, number);
      first = FALSE;
    }
  g_string_append_c (json, '}');
}

/* ---- status ---- */

/* A property of @modem of @type, or an empty one of it. */
static GVariant *
modem_array (GVariant *modem, const char *key, const char *type)
{
  GVariant *value = g_variant_lookup_value (modem, key, G_VARIANT_TYPE (type));

  if (value)
    return value;
  return g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE (type + 1), NULL, 0));
}

/* "home (lte-m, Fake Telecom)", "searching": the registration and, while
 * registered, what it is registered with. */
static char *
describe_registration (QcoapClient *client)
{
  const char *registration = qcoap_client_get_registration (client);
  const char *technology = qcoap_client_get_access_technology (client);
  const char *network = qcoap_client_get_operator (client);

  if (!*registration)
    registration = "unknown";
  if (*technology && *network)
    return g_strdup_printf ("%s (%s, %s)", registration, technology, network);
  if (*technology || *network)
    return g_strdup_printf ("%s (%s)", registration, *technology ? technology : network);
  return g_strdup (registration);
}

/* "up 10.64.0.1" or "down". */
static char *
describe_context (gboolean active, const char *address)
{
  if (!active)
    return g_strdup ("down");
  return g_strdup_printf ("up %s", *address ? address : "(no address)");
}

void
qcoapctl_print_network_text (GVariant *modem, QcoapctlPrintField print_field)
{
  g_autoptr (GVariant) signal = modem_array (modem, "Signal", "a{sv}");
  g_autoptr (GVariant) contexts = modem_array (modem, "DataContexts", "a(ybs)");
  g_autofree char *signal_text = format_signal_text (signal);
  GVariantIter iter;
  guint8 cid;
  gboolean active;
  const char *address;
  gboolean first = TRUE;

  print_field ("Network", "registration", qcoapctl_modem_string (modem, "Registration"));
  print_field ("", "technology", qcoapctl_modem_string (modem, "AccessTechnology"));
  print_field ("", "operator", qcoapctl_modem_string (modem, "Operator"));
  print_field ("", "signal", signal_text);
  g_variant_iter_init (&iter, contexts);
  while (g_variant_iter_next (&iter, "(yb&s)", &cid, &active, &address))
    {
      g_autofree char *key = g_strdup_printf ("context %u", cid);
      g_autofree char *text = describe_context (active, address);

      print_field (first ? "Data" : "", key, text);
      first = FALSE;
    }
  if (first)
    print_field ("Data", "contexts", "none");
}

static void
json_append_contexts (GString *json, GVariant *contexts)
{
  GVariantIter iter;
  guint8 cid;
  gboolean active;
  const char *address;
  gboolean first = TRUE;

  g_string_append_c (json, '[');
  g_variant_iter_init (&iter, contexts);
  while (g_variant_iter_next (&iter, "(yb&s)", &cid, &active, &address))
    {
      g_string_append_printf (json, "%s{\"cid\":%u,\"active\":%s,\"address\":", first ? "" : ",",
                              cid, active ? "true" : "false");
      json_append_string (json, address, -1);
      g_string_append_c (json, '}');
      first = FALSE;
    }
  g_string_append_c (json, ']');
}

void
qcoapctl_append_network_json (GString *json, GVariant *modem)
{
  g_autoptr (GVariant) signal = modem_array (modem, "Signal", "a{sv}");
  g_autoptr (GVariant) contexts = modem_array (modem, "DataContexts", "a(ybs)");

  g_string_append (json, "\"registration\":");
  json_append_string (json, qcoapctl_modem_string (modem, "Registration"), -1);
  g_string_append (json, ",\"access_technology\":");
  json_append_string (json, qcoapctl_modem_string (modem, "AccessTechnology"), -1);
  g_string_append (json, ",\"operator\":");
  json_append_string (json, qcoapctl_modem_string (modem, "Operator"), -1);
  g_string_append (json, ",\"signal\":");
  json_append_signal (json, signal);
  g_string_append (json, ",\"data_contexts\":");
  json_append_contexts (json, contexts);
}

/* ---- monitor ---- */

struct _QcoapctlNetworkWatch
{
  Qcoapctl *ctl;
  char *registration; /* the last line printed, to print only changes */
  GVariant *contexts; /* the contexts as last printed */
  guint idle_id;
};

static void
print_registration (QcoapctlNetworkWatch *watch)
{
  QcoapClient *client = watch->ctl->client;
  g_autofree char *text = describe_registration (client);
  g_autoptr (GVariant) manager = NULL;
  GString *line;

  if (g_strcmp0 (text, watch->registration) == 0)
    return;
  g_free (watch->registration);
  watch->registration = g_steal_pointer (&text);
  if (!watch->ctl->json)
    {
      line = g_string_new (NULL);
      g_string_append_printf (line, "registration: %s", watch->registration);
      qcoapctl_emit_event (watch->ctl, line);
      return;
    }
  line = g_string_new ("{\"event\":\"registration\",");
  manager = qcoapctl_manager_modem (client);
  qcoapctl_append_network_json (line, manager);
  g_string_append_c (line, '}');
  qcoapctl_emit_event (watch->ctl, line);
}

/* Registration, technology and operator change together, in one
 * PropertiesChanged: one line for all of them, once they are all in. */
static gboolean
on_registration_idle (gpointer user_data)
{
  QcoapctlNetworkWatch *watch = user_data;

  watch->idle_id = 0;
  print_registration (watch);
  return G_SOURCE_REMOVE;
}

static void
on_registration_notify (QcoapClient *client, GParamSpec *pspec, QcoapctlNetworkWatch *watch)
{
  if (watch->idle_id == 0)
    watch->idle_id = g_idle_add (on_registration_idle, watch);
}

/* The entry for @cid in @contexts: its activity and address, FALSE if
 * there is none. */
static gboolean
lookup_context (GVariant *contexts, guint8 cid, gboolean *out_active, const char **out_address)
{
  GVariantIter iter;
  guint8 id;

  g_variant_iter_init (&iter, contexts);
  while (g_variant_iter_next (&iter, "(yb&s)", &id, out_active, out_address))
    if (id == cid)
      return TRUE;
  return FALSE;
}

static void
print_context (QcoapctlNetworkWatch *watch, guint8 cid, gboolean active, const char *address)
{
  GString *line = g_string_new (NULL);

  if (watch->ctl->json)
    {
      g_string_append_printf (line,
                              "{\"event\":\"context\",\"cid\":%u,\"active\":%s,\"address\":", cid,
                              active ? "true" : "false");
      json_append_string (line, address, -1);
      g_string_append_c (line, '}');
    }
  else
    {
      g_autofree char *text = describe_context (active, address);

      g_string_append_printf (line, "context %u: %s", cid, text);
    }
  qcoapctl_emit_event (watch->ctl, line);
}

static void
on_contexts_notify (QcoapClient *client, GParamSpec *pspec, QcoapctlNetworkWatch *watch)
{
  g_autoptr (GVariant) contexts = qcoap_client_get_data_contexts (client);
  GVariantIter iter;
  guint8 cid;
  gboolean active, was_active;
  const char *address, *old_address;

  g_variant_iter_init (&iter, contexts);
  while (g_variant_iter_next (&iter, "(yb&s)", &cid, &active, &address))
    if (!lookup_context (watch->contexts, cid, &was_active, &old_address) || active != was_active
        || !g_str_equal (address, old_address))
      print_context (watch, cid, active, address);
  g_variant_unref (watch->contexts);
  watch->contexts = g_steal_pointer (&contexts);
}

QcoapctlNetworkWatch *
qcoapctl_network_watch_start (Qcoapctl *ctl)
{
  QcoapctlNetworkWatch *watch = g_new0 (QcoapctlNetworkWatch, 1);
  const char *registration_properties[]
      = { "notify::registration", "notify::access-technology", "notify::operator" };

  watch->ctl = ctl;
  /* What holds now is known from the "monitoring" line or status; only
   * changes are printed. */
  watch->registration = describe_registration (ctl->client);
  watch->contexts = qcoap_client_get_data_contexts (ctl->client);
  for (gsize i = 0; i < G_N_ELEMENTS (registration_properties); i++)
    g_signal_connect (ctl->client, registration_properties[i], G_CALLBACK (on_registration_notify),
                      watch);
  g_signal_connect (ctl->client, "notify::data-contexts", G_CALLBACK (on_contexts_notify), watch);
  return watch;
}

const char *
qcoapctl_network_watch_get_registration (QcoapctlNetworkWatch *watch)
{
  return watch->registration;
}

void
qcoapctl_network_watch_stop (QcoapctlNetworkWatch *watch)
{
  g_signal_handlers_disconnect_by_data (watch->ctl->client, watch);
  g_clear_handle_id (&watch->idle_id, g_source_remove);
  g_variant_unref (watch->contexts);
  g_free (watch->registration);
  g_free (watch);
}

/* ---- at ---- */

/* The daemon's bound on a command's time, in seconds. */
#define AT_WAIT_MAX_S 180

int
qcoapctl_at (Qcoapctl *ctl, int argc, char **argv)
{
  gint wait_s = 0;
  g_autofree char *modem = NULL;
  GOptionEntry entries[] = {
    { "wait", 'B', 0, G_OPTION_ARG_INT, &wait_s,
      "Wait at most SECONDS for the modem's answer (default 5)", "SECONDS" },
    { "modem", 0, 0, G_OPTION_ARG_STRING, &modem, "Send it to the modem NAME (default: the first)",
      "NAME" },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  g_autofree char *response = NULL;

  if (!qcoapctl_parse (ctl, "at", "COMMAND",
                       "Sends one AT command line to the modem, between the sessions' "
                       "transactions, and prints every line of its answer. Only root may; the "
                       "daemon refuses the commands it relies on itself.",
                       entries, &argc, &argv))
    return QCOAPCTL_EXIT_USAGE;
  if (argc != 2 || !*argv[1])
    return qcoapctl_usage_error (ctl, "at takes one COMMAND, e.g. 'AT+COPS?'");
  if (wait_s < 0 || wait_s > AT_WAIT_MAX_S)
    return qcoapctl_usage_error (ctl, "-B takes a number of seconds, up to %d", AT_WAIT_MAX_S);
  if (!qcoapctl_connect (ctl))
    return ctl->connect_status;

  if (modem)
    response = qcoap_client_modem_command_sync (ctl->client, modem, argv[1], (guint)wait_s * 1000,
                                                NULL, &error);
  else
    response = qcoap_client_command_sync (ctl->client, argv[1], (guint)wait_s * 1000, NULL, &error);
  if (response == NULL)
    return qcoapctl_report_error (ctl, error);
  if (ctl->json)
    {
      g_autoptr (GString) json = g_string_new ("{\"command\":");

      json_append_string (json, argv[1], -1);
      g_string_append (json, ",\"response\":");
      json_append_string (json, response, -1);
      g_string_append_c (json, '}');
      g_print ("%s\n", json->str);
    }
  else
    g_print ("%s\n", response);
  return QCOAPCTL_EXIT_OK;
}
