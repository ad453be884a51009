/* SPDX-License-Identifier: MIT */
/* sim-commands-basic.c — the module's general commands: AT, echo,
 * identification, error format, reset, the file store (QFUPL/QFDEL) and the
 * SSL contexts (QSSLCFG, stored only). */
#include "sim-modem-private.h"

#include "sim-log.h"

#include <string.h>

#define IMEI          "866425030123457"
#define MAX_FILE_SIZE 10240

static void
at_plain (SimModem *modem, const SimAtCommand *command)
{
  if (command->kind == SIM_AT_KIND_EXEC)
    sim_modem_send_ok (modem);
  else
    sim_modem_send_error (modem);
}

/* ATE0 / ATE1 (ATE alone is ATE0). The line that changes the echo was
 * already echoed, or not, under the old setting. */
static void
at_echo (SimModem *modem, const SimAtCommand *command)
{
  if (command->kind != SIM_AT_KIND_EXEC)
    {
      sim_modem_send_error (modem);
      return;
    }
  modem->echo = strcmp (command->name, "E1") == 0;
  sim_modem_send_ok (modem);
}

static void
at_identify (SimModem *modem, const SimAtCommand *command)
{
  if (command->kind != SIM_AT_KIND_EXEC)
    {
      sim_modem_send_error (modem);
      return;
    }
  sim_modem_send_info (modem, "Quectel\r\n%s\r\nRevision: %s", modem->config.model->name,
                       modem->config.model->revision);
  sim_modem_send_ok (modem);
}

static void
at_gsn (SimModem *modem, const SimAtCommand *command)
{
  if (command->kind == SIM_AT_KIND_EXEC)
    sim_modem_send_info (modem, "%s", modem->config.imei ? modem->config.imei : IMEI);
  if (command->kind == SIM_AT_KIND_EXEC || command->kind == SIM_AT_KIND_TEST)
    sim_modem_send_ok (modem);
  else
    sim_modem_send_error (modem);
}

static void
at_cgmr (SimModem *modem, const SimAtCommand *command)
{
  if (command->kind == SIM_AT_KIND_EXEC)
    sim_modem_send_info (modem, "%s", modem->config.model->revision);
  if (command->kind == SIM_AT_KIND_EXEC || command->kind == SIM_AT_KIND_TEST)
    sim_modem_send_ok (modem);
  else
    sim_modem_send_error (modem);
}

static void
at_cmee (SimModem *modem, const SimAtCommand *command)
{
  sim_modem_uint_setting (modem, command, "CMEE", 2, 1, &modem->cmee);
}

/* AT+CFUN=<fun>[,<rst>]: only the reset matters to the simulator. */
static void
at_cfun (SimModem *modem, const SimAtCommand *command)
{
  guint fun;
  guint rst = 0;
  guint n = sim_at_command_n_args (command);

  switch (command->kind)
    {
      case SIM_AT_KIND_TEST:
        sim_modem_send_info (modem, "+CFUN: (0,1,4),(0,1)");
        sim_modem_send_ok (modem);
        return;
      case SIM_AT_KIND_READ:
        sim_modem_send_info (modem, "+CFUN: %u", modem->cfun);
        sim_modem_send_ok (modem);
        return;
      case SIM_AT_KIND_WRITE:
        if (n < 1 || n > 2 || !sim_at_command_get_uint (command, 0, 0, 4, &fun) || fun == 2
            || fun == 3 || (n == 2 && !sim_at_command_get_uint (command, 1, 0, 1, &rst)))
          break;
        modem->cfun = fun;
        sim_modem_send_ok (modem);
        if (rst == 1)
          sim_modem_power_cycle (modem, TRUE);
        return;
      case SIM_AT_KIND_EXEC:
      default:
        break;
    }
  sim_modem_send_error (modem);
}

/* ---- file store ---- */

typedef struct
{
  char *name;
} Upload;

static void
upload_free (gpointer data)
{
  Upload *upload = data;

  g_free (upload->name);
  g_free (upload);
}

static void
on_upload_payload (SimModem *modem, SimAtEventKind kind, const guint8 *data, gsize length,
                   gpointer user_data)
{
  Upload *upload = user_data;
  g_autofree guint8 *stored = g_memdup2 (data, length);
  g_autoptr (GBytes) contents = NULL;

  /* The fault damages what is stored, and the answer reports what was
   * stored, as a module whose flash write went wrong would. */
  if (modem->faults.corrupt_uploads > 0 && length > 0)
    {
      modem->faults.corrupt_uploads--;
      stored[0] ^= 0x01;
      sim_log ("info", "fault: %s stored with a flipped bit (%u more to damage)", upload->name,
               modem->faults.corrupt_uploads);
    }
  contents = g_bytes_new (stored, length);
  sim_files_store (modem->files, upload->name, contents);
  sim_log ("info", "file %s stored (%" G_GSIZE_FORMAT " bytes)", upload->name, length);
  sim_modem_send_info (modem, "+QFUPL: %" G_GSIZE_FORMAT ",%x", length,
                       sim_files_checksum (stored, length));
  sim_modem_send_ok (modem);
}

/* AT+QFUPL="<name>",<size>[,<timeout>[,<ackmode>]]: CONNECT, then exactly
 * <size> bytes. The timeout is accepted but not enforced: the vendor
 * leaves a short upload waiting. */
static void
at_qfupl (SimModem *modem, const SimAtCommand *command)
{
  g_autofree char *name = NULL;
  guint n = sim_at_command_n_args (command);
  guint size;
  guint ignored;
  Upload *upload;

  if (command->kind == SIM_AT_KIND_TEST)
    {
      sim_modem_send_info (modem, "+QFUPL: \"<filename>\",(1-%u),(1-65535),(0,1)", MAX_FILE_SIZE);
      sim_modem_send_ok (modem);
      return;
    }
  if (command->kind != SIM_AT_KIND_WRITE || n < 2 || n > 4
      || sim_at_command_get_string (command, 0) == NULL
      || !sim_at_command_get_uint (command, 1, 1, G_MAXUINT, &size)
      || (n >= 3 && !sim_at_command_get_uint (command, 2, 1, 65535, &ignored))
      || (n == 4 && !sim_at_command_get_uint (command, 3, 0, 1, &ignored)))
    {
      sim_modem_send_error (modem);
      return;
    }
  name = sim_files_canonical_name (sim_at_command_get_string (command, 0));
  if (name == NULL)
    {
      sim_modem_send_cme_error (modem, 406);
      return;
    }
  if (size > MAX_FILE_SIZE)
    {
      sim_modem_send_cme_error (modem, 423);
      return;
    }
  if (sim_files_exists (modem->files, name))
    {
      sim_modem_send_cme_error (modem, 407);
      return;
    }
  upload = g_new0 (Upload, 1);
  upload->name = g_steal_pointer (&name);
  sim_modem_expect_payload (modem, "\r\nCONNECT\r\n", SIM_AT_MODE_FIXED, size, on_upload_payload,
                            upload, upload_free);
  /* Uploaded files are DTLS keys: the traffic log shows their size only. */
  modem->payload_secret = TRUE;
}

/* AT+QFDEL="<name>" ("*" removes every file). */
static void
at_qfdel (SimModem *modem, const SimAtCommand *command)
{
  const char *given = sim_at_command_get_string (command, 0);
  g_autofree char *name = NULL;

  if (command->kind == SIM_AT_KIND_TEST)
    {
      sim_modem_send_ok (modem);
      return;
    }
  if (command->kind != SIM_AT_KIND_WRITE || sim_at_command_n_args (command) != 1 || given == NULL)
    {
      sim_modem_send_error (modem);
      return;
    }
  if (strcmp (given, "*") == 0 || g_ascii_strcasecmp (given, "UFS:*") == 0)
    {
      sim_files_delete_all (modem->files);
      sim_modem_send_ok (modem);
      return;
    }
  name = sim_files_canonical_name (given);
  if (name == NULL)
    sim_modem_send_cme_error (modem, 406);
  else if (!sim_files_delete (modem->files, name))
    sim_modem_send_cme_error (modem, 405);
  else
    sim_modem_send_ok (modem);
}

/* ---- SSL contexts ---- */

typedef struct
{
  const char *key;
  guint min; /* min == max == 0: a quoted string */
  guint max;
  const char *fallback;
} SslSetting;

static const SslSetting ssl_settings[] = {
  { "sslversion", 0, 4, "4" },
  { "ciphersuite", 0, 0, "0XFFFF" },
  { "seclevel", 0, 2, "0" },
  { "cacert", 0, 0, "\"\"" },
  { "clientcert", 0, 0, "\"\"" },
  { "clientkey", 0, 0, "\"\"" },
  { "ignorelocaltime", 0, 1, "1" },
  { "negotiatetime", 10, 300, "300" },
  { "sni", 0, 1, "0" },
  { "dtls", 0, 1, "0" },
  { "dtlsversion", 0, 2, "1" },
};

static const SslSetting *
find_ssl_setting (const char *key)
{
  for (guint i = 0; key != NULL && i < G_N_ELEMENTS (ssl_settings); i++)
    if (g_ascii_strcasecmp (ssl_settings[i].key, key) == 0)
      return &ssl_settings[i];
  return NULL;
}

/* The value as the query prints it, or NULL if invalid. */
static char *
ssl_value_text (const SslSetting *setting, const SimAtCommand *command)
{
  const char *text = sim_at_command_get_string (command, 2);
  guint value;

  if (strcmp (setting->key, "ciphersuite") == 0)
    {
      const SimAtArg *arg = g_ptr_array_index (command->args, 2);

      return arg->text[0] != '\0' ? g_ascii_strup (arg->text, -1) : NULL;
    }
  if (setting->min == 0 && setting->max == 0)
    return text != NULL ? g_strdup_printf ("\"%s\"", text) : NULL;
  if (!sim_at_command_get_uint (command, 2, setting->min, setting->max, &value))
    return NULL;
  return g_strdup_printf ("%u", value);
}

static void
at_qsslcfg (SimModem *modem, const SimAtCommand *command)
{
  const SslSetting *setting = find_ssl_setting (sim_at_command_get_string (command, 0));
  guint n = sim_at_command_n_args (command);
  g_autofree char *slot = NULL;
  char *value;
  guint ctx;

  if (command->kind == SIM_AT_KIND_TEST)
    {
      for (guint i = 0; i < G_N_ELEMENTS (ssl_settings); i++)
        {
          if (ssl_settings[i].max > 0)
            sim_modem_send_info (modem, "+QSSLCFG: \"%s\",(0-5),(%u-%u)", ssl_settings[i].key,
                                 ssl_settings[i].min, ssl_settings[i].max);
          else
            sim_modem_send_info (modem, "+QSSLCFG: \"%s\",(0-5),<value>", ssl_settings[i].key);
        }
      sim_modem_send_ok (modem);
      return;
    }
  if (command->kind != SIM_AT_KIND_WRITE || setting == NULL || (n != 2 && n != 3)
      || !sim_at_command_get_uint (command, 1, 0, 5, &ctx))
    {
      sim_modem_send_error (modem);
      return;
    }
  slot = g_strdup_printf ("%s,%u", setting->key, ctx);
  if (n == 2)
    {
      const char *stored = g_hash_table_lookup (modem->ssl_config, slot);

      sim_modem_send_info (modem, "+QSSLCFG: \"%s\",%u,%s", setting->key, ctx,
                           stored != NULL ? stored : setting->fallback);
      sim_modem_send_ok (modem);
      return;
    }
  value = ssl_value_text (setting, command);
  if (value == NULL)
    {
      sim_modem_send_error (modem);
      return;
    }
  g_hash_table_replace (modem->ssl_config, g_steal_pointer (&slot), value);
  sim_modem_send_ok (modem);
}

const SimCommandEntry sim_basic_commands[] = {
  { "", at_plain },           { "E", at_echo },     { "E0", at_echo },      { "E1", at_echo },
  { "I", at_identify },       { "+GSN", at_gsn },   { "+CGSN", at_gsn },    { "+CGMR", at_cgmr },
  { "+CMEE", at_cmee },       { "+CFUN", at_cfun }, { "+QFUPL", at_qfupl }, { "+QFDEL", at_qfdel },
  { "+QSSLCFG", at_qsslcfg }, { NULL, NULL },
};
