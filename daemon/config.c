/* SPDX-License-Identifier: MIT */
/* config.c — see config.h. */
#include "config.h"

#include <string.h>

#include "network.h"
#include "qcoap-cmd.h"
#include "qcoap-proto.h"
#include "serial-port.h"

/* Calls one session may have waiting; more would only hide a stuck modem. */
#define MAX_QUEUE_LIMIT 1024
/* Confirmable messages in flight per session: far below the 65 536 message
 * IDs even with every client ID in use. */
#define MAX_IN_FLIGHT 1024
/* The longest idle-timeout Open takes at all: a week. */
#define MAX_IDLE_TIMEOUT_S (7 * 24 * 3600)
/* Longest decimal number a guint holds without overflow checks. */
#define MAX_UINT_DIGITS 9
/* The longest SignalInterval: a day. */
#define MAX_SIGNAL_INTERVAL_S (24 * 3600)
/* The groups [context 1] … [context 16]: one group name in the table, its
 * keys stored in the NetworkContextConfig of that context. */
#define CONTEXT_GROUP "context"
/* [modem] is the modem "default"; [modem NAME] another, and
 * [modem NAME context N] a data context of that modem only. */
#define MODEM_GROUP "modem"
/* A modem's name: letters, digits, '-' and '_', as in a file name. */
#define MODEM_NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
#define MAX_MODEM_NAME   32

typedef struct _ConfigKey ConfigKey;

/* Reads @value into @field; on failure, the error says what is wrong with
 * the value (the caller adds which file and key). */
typedef gboolean (*ConfigReadFunc) (const ConfigKey *key, const char *value, gpointer field,
                                    GError **error);

struct _ConfigKey
{
  const char *group;
  const char *name;
  ConfigReadFunc read;
  gsize offset; /* of the field in DaemonConfig */
  guint min;    /* for numbers */
  guint max;
};

static gboolean read_path (const ConfigKey *key, const char *value, gpointer field, GError **error);
static gboolean read_baud (const ConfigKey *key, const char *value, gpointer field, GError **error);
static gboolean read_flow_control (const ConfigKey *key, const char *value, gpointer field,
                                   GError **error);
static gboolean read_urc_port (const ConfigKey *key, const char *value, gpointer field,
                               GError **error);
static gboolean read_power_saving (const ConfigKey *key, const char *value, gpointer field,
                                   GError **error);
static gboolean read_uint (const ConfigKey *key, const char *value, gpointer field, GError **error);
static gboolean read_log_level (const ConfigKey *key, const char *value, gpointer field,
                                GError **error);
static gboolean read_cipher_suite (const ConfigKey *key, const char *value, gpointer field,
                                   GError **error);
static gboolean read_text (const ConfigKey *key, const char *value, gpointer field, GError **error);
static gboolean read_auth (const ConfigKey *key, const char *value, gpointer field, GError **error);
static gboolean read_ip_type (const ConfigKey *key, const char *value, gpointer field,
                              GError **error);

#define FIELD(member) ((gsize)G_STRUCT_OFFSET (DaemonConfig, member))
/* In the rows of [context N]: the offset in NetworkContextConfig. */
#define CONTEXT_FIELD(member) ((gsize)G_STRUCT_OFFSET (NetworkContextConfig, member))
/* In the rows of [modem NAME]: the offset in ModemUnitConfig. */
#define MODEM_FIELD(member) ((gsize)G_STRUCT_OFFSET (ModemUnitConfig, member))

/* Every key qcoapd.conf may hold; tests/system/check-config-keys.py reads
 * this table and checks that each row is documented. */
static const ConfigKey config_keys[] = {
  { "modem", "Device", read_path, MODEM_FIELD (device), 0, 0 },
  { "modem", "Baud", read_baud, MODEM_FIELD (baud), 0, 0 },
  { "modem", "FlowControl", read_flow_control, MODEM_FIELD (rtscts), 0, 0 },
  { "modem", "UrcPort", read_urc_port, MODEM_FIELD (settings.urc_port), 0, 0 },
  { "modem", "PowerSaving", read_power_saving, MODEM_FIELD (settings.power_saving), 0, 0 },
  { "service", "MaxClientsPerUser", read_uint, FIELD (service.max_clients_per_user), 1,
    QCOAP_MAX_CLIENTS },
  { "service", "QueueLimit", read_uint, FIELD (service.queue_limit), 1, MAX_QUEUE_LIMIT },
  { "service", "MaxInFlight", read_uint, FIELD (service.max_in_flight), 1, MAX_IN_FLIGHT },
  { "service", "ReservedForRoot", read_uint, FIELD (service.reserved_for_root), 0,
    QCOAP_MAX_CLIENTS - 1 },
  { "service", "MaxIdleTimeout", read_uint, FIELD (service.max_idle_timeout), 1,
    MAX_IDLE_TIMEOUT_S },
  { "service", "LogLevel", read_log_level, FIELD (log_level), 0, 0 },
  { "dtls", "CipherSuite", read_cipher_suite, FIELD (cipher_suite), 0, 0 },
  { "network", "SignalInterval", read_uint, FIELD (service.network.signal_interval), 0,
    MAX_SIGNAL_INTERVAL_S },
  { "context", "APN", read_text, CONTEXT_FIELD (apn), 0, NETWORK_MAX_APN },
  { "context", "Username", read_text, CONTEXT_FIELD (username), 0, NETWORK_MAX_CREDENTIAL },
  { "context", "Password", read_text, CONTEXT_FIELD (password), 0, NETWORK_MAX_CREDENTIAL },
  { "context", "Authentication", read_auth, CONTEXT_FIELD (auth), 0, 0 },
  { "context", "IpType", read_ip_type, CONTEXT_FIELD (ip_type), 0, 0 },
};

/* The words of Authentication= and IpType=. */
typedef struct
{
  const char *name;
  int value;
} ConfigWord;

static const ConfigWord auth_words[] = {
  { "none", NETWORK_AUTH_NONE },
  { "pap", NETWORK_AUTH_PAP },
  { "chap", NETWORK_AUTH_CHAP },
  { "pap-or-chap", NETWORK_AUTH_PAP_OR_CHAP },
};

static const ConfigWord ip_type_words[] = {
  { "ipv4", NETWORK_IP_V4 },
  { "ipv6", NETWORK_IP_V6 },
  { "ipv4v6", NETWORK_IP_V4V6 },
};

static const struct
{
  const char *name;
  GLogLevelFlags level;
} log_levels[] = {
  { "error", G_LOG_LEVEL_CRITICAL },
  { "warning", G_LOG_LEVEL_WARNING },
  { "info", G_LOG_LEVEL_INFO },
  { "debug", G_LOG_LEVEL_DEBUG },
};

void
daemon_config_init (DaemonConfig *config)
{
  service_config_init (&config->service);
  config->log_level = G_LOG_LEVEL_INFO;
  config->cipher_suite = NULL;
}

void
daemon_config_clear (DaemonConfig *config)
{
  service_config_clear (&config->service);
  g_clear_pointer (&config->cipher_suite, g_free);
}

static gboolean
set_value_error (GError **error, const char *problem)
{
  g_set_error_literal (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, problem);
  return FALSE;
}

/* ---- value readers ------------------------------------------------------------ */

static gboolean
read_path (const ConfigKey *key, const char *value, gpointer field, GError **error)
{
  char **path = field;

  if (value[0] != '/')
    {
      g_autofree char *problem
          = g_strdup_printf ("\"%s\" is not an absolute path (e.g. /dev/ttyUSB2)", value);

      return set_value_error (error, problem);
    }
  for (const char *c = value; *c != '\0'; c++)
    if ((guchar)*c < 0x20 || *c == 0x7f)
      return set_value_error (error, "the path contains a control character");
  g_free (*path);
  *path = g_strdup (value);
  return TRUE;
}

/* Decimal digits only: no sign, no spaces, no other base. */
static gboolean
parse_number (const char *value, guint *number, GError **error)
{
  gsize length = strlen (value);
  guint result = 0;

  if (length == 0 || length > MAX_UINT_DIGITS || strspn (value, "0123456789") != length)
    {
      g_autofree char *problem = g_strdup_printf ("\"%s\" is not a number", value);

      return set_value_error (error, problem);
    }
  for (gsize i = 0; i < length; i++)
    result = result * 10 + (guint)(value[i] - '0');
  *number = result;
  return TRUE;
}

static gboolean
read_uint (const ConfigKey *key, const char *value, gpointer field, GError **error)
{
  guint number;

  if (!parse_number (value, &number, error))
    return FALSE;
  if (number < key->min || number > key->max)
    {
      g_autofree char *problem
          = g_strdup_printf ("%u is out of range; use %u to %u", number, key->min, key->max);

      return set_value_error (error, problem);
    }
  *(guint *)field = number;
  return TRUE;
}

gboolean
daemon_config_check_baud (guint baud, GError **error)
{
  if (serial_port_baud_is_supported (baud))
    return TRUE;
  g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
               "%u is not a line speed the serial port takes; use 9600, 19200, 38400, 57600, "
               "115200, 230400, 460800 or 921600",
               baud);
  return FALSE;
}

static gboolean
read_baud (const ConfigKey *key, const char *value, gpointer field, GError **error)
{
  guint baud;

  if (!parse_number (value, &baud, error) || !daemon_config_check_baud (baud, error))
    return FALSE;
  *(guint *)field = baud;
  return TRUE;
}

static gboolean
read_flow_control (const ConfigKey *key, const char *value, gpointer field, GError **error)
{
  g_autofree char *problem = NULL;

  if (g_str_equal (value, "none") || g_str_equal (value, "rtscts"))
    {
      *(gboolean *)field = g_str_equal (value, "rtscts");
      return TRUE;
    }
  problem = g_strdup_printf ("\"%s\" is neither none nor rtscts", value);
  return set_value_error (error, problem);
}

static gboolean
read_urc_port (const ConfigKey *key, const char *value, gpointer field, GError **error)
{
  g_autofree char *problem = NULL;

  if (modem_urc_port_from_string (value, field))
    return TRUE;
  problem = g_strdup_printf ("\"%s\" is none of auto, usbat, usbmodem, uart1", value);
  return set_value_error (error, problem);
}

static gboolean
read_power_saving (const ConfigKey *key, const char *value, gpointer field, GError **error)
{
  g_autofree char *problem = NULL;

  if (modem_power_saving_from_string (value, field))
    return TRUE;
  problem = g_strdup_printf ("\"%s\" is neither off nor keep", value);
  return set_value_error (error, problem);
}

static gboolean
read_log_level (const ConfigKey *key, const char *value, gpointer field, GError **error)
{
  g_autofree char *problem = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (log_levels); i++)
    if (g_str_equal (value, log_levels[i].name))
      {
        *(GLogLevelFlags *)field = log_levels[i].level;
        return TRUE;
      }
  problem = g_strdup_printf ("\"%s\" is not one of error, warning, info, debug", value);
  return set_value_error (error, problem);
}

static gboolean
read_cipher_suite (const ConfigKey *key, const char *value, gpointer field, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  char *suite = NULL;

  /* Empty, as the installed file shows it: the module keeps its own. */
  if (value[0] != '\0')
    suite = at_coap_cipher_suite_normalize (value, &local_error);
  if (local_error != NULL)
    return set_value_error (error, local_error->message);
  g_free (*(char **)field);
  *(char **)field = suite;
  return TRUE;
}

/* Text AT+QICSGP carries in quotes. The value is not repeated in the
 * message: it may be a password. */
static gboolean
read_text (const ConfigKey *key, const char *value, gpointer field, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  if (!network_check_quoted_text (value, key->max, &local_error))
    {
      g_autofree char *problem = g_strdup_printf ("the value %s", local_error->message);

      return set_value_error (error, problem);
    }
  g_free (*(char **)field);
  *(char **)field = g_strdup (value);
  return TRUE;
}

static gboolean
read_word (const ConfigWord *words, gsize count, const char *value, int *field, GError **error)
{
  g_autoptr (GString) names = g_string_new (NULL);
  g_autofree char *problem = NULL;

  for (gsize i = 0; i < count; i++)
    {
      if (g_str_equal (value, words[i].name))
        {
          *field = words[i].value;
          return TRUE;
        }
      g_string_append_printf (names, "%s%s", i > 0 ? ", " : "", words[i].name);
    }
  problem = g_strdup_printf ("\"%s\" is not one of %s", value, names->str);
  return set_value_error (error, problem);
}

static gboolean
read_auth (const ConfigKey *key, const char *value, gpointer field, GError **error)
{
  return read_word (auth_words, G_N_ELEMENTS (auth_words), value, field, error);
}

static gboolean
read_ip_type (const ConfigKey *key, const char *value, gpointer field, GError **error)
{
  return read_word (ip_type_words, G_N_ELEMENTS (ip_type_words), value, field, error);
}

/* ---- the file --------------------------------------------------------------------- */

static const ConfigKey *
find_key (const char *group, const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (config_keys); i++)
    if (g_str_equal (config_keys[i].group, group)
        && (name == NULL || g_str_equal (config_keys[i].name, name)))
      return &config_keys[i];
  return NULL;
}

/* "Device, Baud, FlowControl" for "modem". */
static char *
list_keys_of (const char *group)
{
  GString *list = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (config_keys); i++)
    if (g_str_equal (config_keys[i].group, group))
      g_string_append_printf (list, "%s%s", list->len > 0 ? ", " : "", config_keys[i].name);
  return g_string_free (list, FALSE);
}

/* "[modem], [service], [dtls]": each group once, at its first key. */
static char *
list_groups (void)
{
  GString *list = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (config_keys); i++)
    if (find_key (config_keys[i].group, NULL) == &config_keys[i])
      g_string_append_printf (list, "%s[%s%s]", list->len > 0 ? ", " : "", config_keys[i].group,
                              g_str_equal (config_keys[i].group, CONTEXT_GROUP) ? " N" : "");
  return g_string_free (list, FALSE);
}

/* A key of @group (as the file names it) in the table's group @table_group;
 * its value goes to @base + the key's offset. */
static gboolean
read_key (gpointer base, GKeyFile *file, const char *path, const char *group,
          const char *table_group, const char *name, GError **error)
{
  const ConfigKey *key = find_key (table_group, name);
  g_autofree char *value = NULL;
  g_autoptr (GError) local_error = NULL;

  if (key == NULL)
    {
      g_autofree char *names = list_keys_of (table_group);

      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                   "%s: key [%s] %s: unknown key; [%s] has %s", path, group, name, group, names);
      return FALSE;
    }
  value = g_key_file_get_string (file, group, name, &local_error);
  if (value == NULL || !key->read (key, value, (guint8 *)base + key->offset, &local_error))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "%s: key [%s] %s: ", path,
                                  group, name);
      return FALSE;
    }
  if (g_str_equal (name, "Password"))
    memset (value, 0, strlen (value));
  return TRUE;
}

/* "3" → the NetworkContextConfig of context 3 in @network. */
static gpointer
context_group (NetworkConfig *network, const char *path, const char *group, const char *number,
               GError **error)
{
  guint64 cid = 0;

  if (!g_ascii_string_to_unsigned (number, 10, 1, NETWORK_MAX_CONTEXTS, &cid, NULL))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
                   "%s: group [%s]: a data context is [context N] with N from 1 to %d", path, group,
                   NETWORK_MAX_CONTEXTS);
      return NULL;
    }
  return &network->contexts[cid - 1];
}

static gpointer
modem_group_error (const char *path, const char *group, GError **error)
{
  g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
               "%s: group [%s]: a modem is [modem NAME], NAME of 1 to %d letters, digits, "
               "'-' or '_' (and its own data contexts [modem NAME context N])",
               path, group, MAX_MODEM_NAME);
  return NULL;
}

static gboolean
is_modem_name (const char *name, gsize length)
{
  return length > 0 && length <= MAX_MODEM_NAME && strspn (name, MODEM_NAME_CHARS) >= length;
}

/* "modem", "modem NAME" → that modem's ModemUnitConfig (table group
 * "modem"); "modem NAME context N" → its own context N ("context"). */
static gpointer
modem_group (DaemonConfig *config, const char *path, const char *group, const char **table_group,
             GError **error)
{
  const char *name = group + strlen (MODEM_GROUP);
  g_autofree char *modem_name = NULL;
  const char *rest;
  ModemUnitConfig *modem;

  if (*name == '\0')
    name = " " MODEM_UNIT_DEFAULT_NAME;
  rest = strchr (++name, ' ');
  if (!is_modem_name (name, rest ? (gsize)(rest - name) : strlen (name)))
    return modem_group_error (path, group, error);
  modem_name = g_strndup (name, rest ? (gsize)(rest - name) : strlen (name));
  if ((modem = service_config_modem (&config->service, modem_name)) == NULL)
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
                   "%s: group [%s]: qcoapd drives at most %d modems", path, group,
                   SERVICE_MAX_MODEMS);
      return NULL;
    }
  *table_group = MODEM_GROUP;
  if (rest == NULL)
    return modem;
  *table_group = CONTEXT_GROUP;
  if (!g_str_has_prefix (rest, " " CONTEXT_GROUP " "))
    return modem_group_error (path, group, error);
  return context_group (&modem->network, path, group, rest + strlen (" " CONTEXT_GROUP " "), error);
}

/* Where the keys of @group go, and which rows of the table they are. */
static gpointer
group_base (DaemonConfig *config, const char *path, const char *group, const char **table_group,
            GError **error)
{
  *table_group = group;
  if (g_str_has_prefix (group, CONTEXT_GROUP))
    {
      *table_group = CONTEXT_GROUP;
      if (group[strlen (CONTEXT_GROUP)] == ' ')
        return context_group (&config->service.network, path, group,
                              group + strlen (CONTEXT_GROUP) + 1, error);
      return context_group (&config->service.network, path, group, "", error);
    }
  if (g_str_equal (group, MODEM_GROUP) || g_str_has_prefix (group, MODEM_GROUP " "))
    return modem_group (config, path, group, table_group, error);
  if (find_key (group, NULL) == NULL)
    {
      g_autofree char *groups = list_groups ();

      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
                   "%s: group [%s]: unknown group; the groups are %s", path, group, groups);
      return NULL;
    }
  return config;
}

static gboolean
read_group (DaemonConfig *config, GKeyFile *file, const char *path, const char *group,
            GError **error)
{
  g_auto (GStrv) names = NULL;
  const char *table_group = NULL;
  gpointer base = group_base (config, path, group, &table_group, error);

  if (base == NULL)
    return FALSE;
  names = g_key_file_get_keys (file, group, NULL, NULL);
  for (gsize i = 0; names != NULL && names[i] != NULL; i++)
    if (!read_key (base, file, path, group, table_group, names[i], error))
      return FALSE;
  /* A group with keys is written to the modem; an empty one (the
   * installed file's, all commented) leaves the module's settings. */
  if (g_str_equal (table_group, CONTEXT_GROUP) && names != NULL && names[0] != NULL)
    ((NetworkContextConfig *)base)->configured = TRUE;
  return TRUE;
}

/* Two modems on one port would fight over it. */
static gboolean
check_modems (DaemonConfig *config, const char *path, GError **error)
{
  const ServiceConfig *service = &config->service;

  for (guint i = 0; i < service->n_modems; i++)
    for (guint j = 0; j < i; j++)
      if (g_str_equal (service->modems[i].device, service->modems[j].device))
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                       "%s: key [modem %s] Device: \"%s\" is the device of the modem %s too; "
                       "each modem needs its own Device=",
                       path, service->modems[i].name, service->modems[i].device,
                       service->modems[j].name);
          return FALSE;
        }
  return TRUE;
}

gboolean
daemon_config_load (DaemonConfig *config, const char *path, gboolean must_exist, gboolean *found,
                    GError **error)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autoptr (GError) local_error = NULL;
  g_auto (GStrv) groups = NULL;

  *found = FALSE;
  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, &local_error))
    {
      if (!must_exist && g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "%s: ", path);
      return FALSE;
    }
  *found = TRUE;
  groups = g_key_file_get_groups (file, NULL);
  for (gsize i = 0; groups[i] != NULL; i++)
    if (!read_group (config, file, path, groups[i], error))
      return FALSE;
  return check_modems (config, path, error);
}
