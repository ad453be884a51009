/* SPDX-License-Identifier: MIT */
/* sim-modem.c — the AT engine: input dispatch, response framing, boot and
 * reset, and the faults that bend the output. Command handlers live in
 * sim-commands-basic.c, sim-commands-coap.c and sim-commands-network.c;
 * the network side's life in sim-modem-network.c. */
#include "sim-modem-private.h"

#include "sim-log.h"

#include <gio/gio.h>
#include <string.h>

/* The URC the faults slip in: a signal-quality report, which a real BG96
 * sends whenever it likes and which no command of ours answers. */
#define FAULT_URC "+QIND: \"csq\",20,99"

static void on_port_input (const guint8 *data, gsize length, gpointer user_data);

static void
on_client_urc (const char *line, const guint8 *payload, gsize length, gpointer user_data)
{
  SimModem *modem = user_data;

  sim_modem_send_urc (modem, line, payload, length);
  /* As NB-IoT firmware does with a retransmitted message. */
  if (modem->faults.report_twice && g_str_has_prefix (line, "+QCOAPRECV:"))
    sim_modem_send_urc (modem, line, payload, length);
}

SimModem *
sim_modem_new (const char *link_path, guint baud, const SimModemConfig *config, GError **error)
{
  g_autoptr (SimModem) modem = g_new0 (SimModem, 1);

  modem->config = *config;
  if (modem->config.model == NULL)
    modem->config.model = sim_model_find (NULL);
  if (modem->config.port_role == NULL)
    modem->config.port_role = "usbat";
  modem->urc_port = g_strdup (config->urc_port != NULL ? config->urc_port : "usbat");
  modem->psm_mode = config->psm_requested ? 1 : 0;
  modem->network.net_delay_ms = config->net_delay_ms;
  modem->network.time_scale = MAX (config->time_scale, 1);
  modem->parser = sim_at_parser_new ();
  modem->files = sim_files_new ();
  modem->deferred_urcs = g_byte_array_new ();
  modem->held = g_byte_array_new ();
  modem->ssl_config = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  modem->power = SIM_POWER_OFF;
  sim_cellular_init (&modem->cellular);
  modem->cellular.lte_m_word = modem->config.model->lte_m;
  for (guint id = 0; id < SIM_COAP_N_CLIENTS; id++)
    modem->clients[id] = sim_coap_client_new (id, &modem->network, on_client_urc, modem);
  sim_modem_reset_coap_state (modem);

  modem->port = sim_port_new (link_path, baud, on_port_input, modem, error);
  if (modem->port == NULL)
    return NULL;
  sim_port_set_pace_input (modem->port, config->pace_input);
  return g_steal_pointer (&modem);
}

static void
clear_payload_handler (SimModem *modem)
{
  GDestroyNotify destroy = modem->payload_destroy;
  gpointer data = modem->payload_data;

  modem->payload_func = NULL;
  modem->payload_data = NULL;
  modem->payload_destroy = NULL;
  modem->payload_secret = FALSE;
  if (destroy != NULL)
    destroy (data);
}

void
sim_modem_free (SimModem *modem)
{
  if (modem == NULL)
    return;
  g_clear_handle_id (&modem->boot_source, g_source_remove);
  g_clear_handle_id (&modem->hold_source, g_source_remove);
  clear_payload_handler (modem);
  sim_modem_network_power_off (modem);
  sim_cellular_clear (&modem->cellular);
  sim_modem_reset_coap_state (modem);
  for (guint id = 0; id < SIM_COAP_N_CLIENTS; id++)
    sim_coap_client_free (modem->clients[id]);
  g_clear_pointer (&modem->port, sim_port_free);
  sim_at_parser_free (modem->parser);
  sim_files_free (modem->files);
  g_byte_array_unref (modem->deferred_urcs);
  g_byte_array_unref (modem->held);
  g_free (modem->urc_port);
  g_hash_table_unref (modem->ssl_config);
  g_free (modem);
}

void
sim_modem_set_booted_func (SimModem *modem, SimModemBootedFunc func, gpointer user_data)
{
  modem->booted_func = func;
  modem->booted_data = user_data;
}

/* ---- output ---- */

static void
write_out (SimModem *modem, const void *data, gsize length)
{
  if (modem->holding)
    g_byte_array_append (modem->held, data, length);
  else
    sim_port_write (modem->port, data, length);
}

/* Frames @text; the log shows @shown. */
static void
write_line_shown (SimModem *modem, const char *tag, const char *text, const char *shown)
{
  g_autofree char *framed = g_strconcat ("\r\n", text, "\r\n", NULL);

  sim_log_text (tag, (const guint8 *)shown, strlen (shown));
  write_out (modem, framed, strlen (framed));
}

static void
write_line (SimModem *modem, const char *tag, const char *text)
{
  write_line_shown (modem, tag, text, text);
}

void
sim_modem_send_info (SimModem *modem, const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  write_line (modem, "at-tx", text);
}

void
sim_modem_send_secret_info (SimModem *modem, const char *text, const char *shown)
{
  write_line_shown (modem, "at-tx", text, shown);
}

void
sim_modem_send_intermediate (SimModem *modem, const char *text)
{
  write_line (modem, "at-tx", text);
}

static gboolean
on_hold_elapsed (gpointer user_data)
{
  SimModem *modem = user_data;

  modem->hold_source = 0;
  modem->holding = FALSE;
  if (modem->faults.delay_final_ms > 0)
    sim_log ("info", "delayed output released (%u bytes)", modem->held->len);
  sim_port_write (modem->port, modem->held->data, modem->held->len);
  g_byte_array_set_size (modem->held, 0);
  return G_SOURCE_REMOVE;
}

static void
flush_deferred_urcs (SimModem *modem)
{
  if (modem->deferred_urcs->len == 0)
    return;
  write_out (modem, modem->deferred_urcs->data, modem->deferred_urcs->len);
  g_byte_array_set_size (modem->deferred_urcs, 0);
}

/* Every final result code passes here, so the faults apply to all. */
static void
send_final (SimModem *modem, const char *text)
{
  if (modem->faults.urc_before_final)
    sim_modem_send_fault_urc (modem);
  if (modem->faults.drop_final > 0)
    {
      modem->faults.drop_final--;
      sim_log ("info", "fault: final result \"%s\" dropped (%u more to drop)", text,
               modem->faults.drop_final);
      return;
    }
  if (modem->faults.delay_final_ms > 0 && !modem->holding)
    {
      sim_log ("info", "fault: final result \"%s\" held for %u ms", text,
               modem->faults.delay_final_ms);
      modem->holding = TRUE;
      modem->hold_source = g_timeout_add (modem->faults.delay_final_ms, on_hold_elapsed, modem);
    }
  write_line (modem, "at-tx", text);
}

void
sim_modem_send_ok (SimModem *modem)
{
  send_final (modem, "OK");
}

void
sim_modem_send_error (SimModem *modem)
{
  send_final (modem, "ERROR");
}

static const char *
cme_error_text (guint code)
{
  switch (code)
    {
      case 3:
        return "Operation not allowed";
      case 4:
        return "Operation not supported";
      case 400:
        return "Invalid input value";
      case 405:
        return "File not found";
      case 406:
        return "Invalid file name";
      case 407:
        return "File already existed";
      case 423:
        return "File too large";
      default:
        return "Unknown error";
    }
}

void
sim_modem_send_cme_error (SimModem *modem, guint code)
{
  g_autofree char *text = NULL;

  if (modem->cmee == 0)
    text = g_strdup ("ERROR");
  else if (modem->cmee == 1)
    text = g_strdup_printf ("+CME ERROR: %u", code);
  else
    text = g_strdup_printf ("+CME ERROR: %s", cme_error_text (code));
  send_final (modem, text);
}

/* A setting that is one number, 0 to @max: test, read, and write with at
 * most @max_args arguments of which the first is kept. */
void
sim_modem_uint_setting (SimModem *modem, const SimAtCommand *command, const char *name, guint max,
                        guint max_args, guint *value)
{
  guint number;
  guint n;

  switch (command->kind)
    {
      case SIM_AT_KIND_TEST:
        sim_modem_send_info (modem, "+%s: (0-%u)", name, max);
        break;
      case SIM_AT_KIND_READ:
        sim_modem_send_info (modem, "+%s: %u", name, *value);
        break;
      case SIM_AT_KIND_WRITE:
        n = sim_at_command_n_args (command);
        if (n < 1 || n > max_args || !sim_at_command_get_uint (command, 0, 0, max, &number))
          {
            sim_modem_send_error (modem);
            return;
          }
        *value = number;
        break;
      case SIM_AT_KIND_EXEC:
      default:
        sim_modem_send_error (modem);
        return;
    }
  sim_modem_send_ok (modem);
}

void
sim_modem_send_urc (SimModem *modem, const char *line, const guint8 *payload, gsize length)
{
  g_autoptr (GByteArray) framed = g_byte_array_new ();

  if (modem->power == SIM_POWER_OFF)
    return;
  /* The module sends its URCs to the stored port only. */
  if (strcmp (modem->urc_port, modem->config.port_role) != 0)
    {
      sim_log ("urc", "%s (to the %s port, not this one)", line, modem->urc_port);
      return;
    }
  sim_log ("urc", "%s", line);
  g_byte_array_append (framed, (const guint8 *)"\r\n", 2);
  g_byte_array_append (framed, (const guint8 *)line, strlen (line));
  g_byte_array_append (framed, (const guint8 *)"\r\n", 2);
  if (payload != NULL)
    {
      g_byte_array_append (framed, payload, length);
      g_byte_array_append (framed, (const guint8 *)"\r\n", 2);
    }
  /* While the host streams a payload, the module keeps its URCs back. */
  if (sim_at_parser_get_mode (modem->parser) != SIM_AT_MODE_LINE)
    g_byte_array_append (modem->deferred_urcs, framed->data, framed->len);
  else
    write_out (modem, framed->data, framed->len);
}

typedef struct
{
  SimModem *modem;
  guint generation;
  char *line;
} LaterUrc;

static void
later_urc_free (gpointer data)
{
  LaterUrc *later = data;

  g_free (later->line);
  g_free (later);
}

static gboolean
on_later_urc (gpointer user_data)
{
  LaterUrc *later = user_data;

  if (later->generation == later->modem->generation)
    sim_modem_send_urc (later->modem, later->line, NULL, 0);
  return G_SOURCE_REMOVE;
}

void
sim_modem_send_urc_later (SimModem *modem, guint delay_ms, const char *line)
{
  LaterUrc *later = g_new0 (LaterUrc, 1);

  later->modem = modem;
  later->generation = modem->generation;
  later->line = g_strdup (line);
  g_timeout_add_full (G_PRIORITY_DEFAULT, delay_ms, on_later_urc, later, later_urc_free);
}

void
sim_modem_send_fault_urc (SimModem *modem)
{
  sim_modem_send_urc (modem, FAULT_URC, NULL, 0);
}

static void handle_line (SimModem *modem, const char *line, gsize length);

void
sim_modem_take_host_line (SimModem *modem, const char *line)
{
  handle_line (modem, line, strlen (line));
}

void
sim_modem_inject_urc (SimModem *modem, const char *line)
{
  sim_modem_send_urc (modem, line, NULL, 0);
}

void
sim_modem_expect_payload (SimModem *modem, const char *prompt, SimAtMode mode, gsize length,
                          SimPayloadFunc func, gpointer user_data, GDestroyNotify destroy)
{
  clear_payload_handler (modem);
  sim_log_text ("at-tx", (const guint8 *)prompt, strlen (prompt));
  write_out (modem, prompt, strlen (prompt));
  sim_at_parser_expect_payload (modem->parser, mode, length);
  modem->payload_func = func;
  modem->payload_data = user_data;
  modem->payload_destroy = destroy;
}

/* ---- input ---- */

static const SimCommandEntry *
find_command (const char *name)
{
  const SimCommandEntry *tables[]
      = { sim_basic_commands, sim_coap_commands, sim_network_commands, sim_module_commands };

  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    for (const SimCommandEntry *entry = tables[t]; entry->name != NULL; entry++)
      if (strcmp (entry->name, name) == 0)
        return entry;
  return NULL;
}

/* Logs a command line, with its secret argument masked. */
static void
log_command_line (const char *line, gsize length)
{
  for (const SimSecretArgument *secret = sim_secret_arguments; secret->name != NULL; secret++)
    {
      g_autofree char *masked = sim_at_mask_argument (line, secret->name, secret->index);

      if (masked != NULL)
        {
          sim_log_text ("at-rx", (const guint8 *)masked, strlen (masked));
          return;
        }
    }
  sim_log_text ("at-rx", (const guint8 *)line, length);
}

/* --at-latency: the module takes that long to act on a command line, so
 * everything it says meanwhile (the command's answer, URCs) waits. */
static void
hold_for_latency (SimModem *modem)
{
  if (modem->config.at_latency_ms == 0 || modem->holding)
    return;
  modem->holding = TRUE;
  modem->hold_source = g_timeout_add (modem->config.at_latency_ms, on_hold_elapsed, modem);
}

static void
handle_line (SimModem *modem, const char *line, gsize length)
{
  g_autoptr (SimAtCommand) command = NULL;
  const SimCommandEntry *entry;

  modem->command_lines++;
  log_command_line (line, length);
  /* A stray CR LF (after a payload, say) is an empty line: ignored. */
  if (length == 0)
    return;
  if (modem->echo)
    {
      write_out (modem, line, length);
      write_out (modem, "\r", 1);
    }
  hold_for_latency (modem);
  command = sim_at_command_parse (line);
  entry = command != NULL ? find_command (command->name) : NULL;
  /* A module of another family has no command of the BG96's CoAP set. */
  if (entry != NULL && !modem->config.model->bg96_coap
      && g_str_has_prefix (command->name, "+QCOAP"))
    entry = NULL;
  if (entry == NULL)
    {
      sim_modem_send_error (modem);
      return;
    }
  entry->func (modem, command);
}

static void
handle_payload_event (SimModem *modem, const SimAtEvent *event)
{
  SimPayloadFunc func = modem->payload_func;
  gpointer data = modem->payload_data;
  GDestroyNotify destroy = modem->payload_destroy;

  modem->payload_func = NULL;
  modem->payload_data = NULL;
  modem->payload_destroy = NULL;
  if (event->kind == SIM_AT_EVENT_PAYLOAD && modem->payload_secret)
    sim_log ("payload-rx", "(%" G_GSIZE_FORMAT " bytes of file contents, not logged)",
             event->length);
  else if (event->kind == SIM_AT_EVENT_PAYLOAD)
    sim_log_text ("payload-rx", event->data, event->length);
  else
    sim_log ("payload-rx", "%s",
             event->kind == SIM_AT_EVENT_CANCELLED ? "cancelled by Esc" : "too long");
  modem->payload_secret = FALSE;
  if (func != NULL)
    func (modem, event->kind, event->data, event->length, data);
  if (destroy != NULL)
    destroy (data);
  flush_deferred_urcs (modem);
}

static void
on_port_input (const guint8 *data, gsize length, gpointer user_data)
{
  SimModem *modem = user_data;
  gsize offset = 0;

  while (offset < length)
    {
      SimAtEvent event;

      if (modem->power == SIM_POWER_OFF)
        {
          sim_log ("info", "%" G_GSIZE_FORMAT " bytes ignored: the modem is off", length - offset);
          return;
        }
      offset += sim_at_parser_feed (modem->parser, data + offset, length - offset, &event);
      switch (event.kind)
        {
          case SIM_AT_EVENT_LINE:
            handle_line (modem, (const char *)event.data, event.length);
            break;
          case SIM_AT_EVENT_OVERLONG:
            sim_log ("at-rx", "(a line over %u bytes)", SIM_AT_MAX_LINE);
            sim_modem_send_error (modem);
            break;
          case SIM_AT_EVENT_PAYLOAD:
          case SIM_AT_EVENT_CANCELLED:
          case SIM_AT_EVENT_OVERFLOW:
            handle_payload_event (modem, &event);
            break;
          case SIM_AT_EVENT_NONE:
          default:
            break;
        }
    }
}

/* ---- power ---- */

void
sim_modem_reset_coap_state (SimModem *modem)
{
  for (guint id = 0; id < SIM_COAP_N_CLIENTS; id++)
    {
      modem->coap_config[id] = (SimCoapConfig){
        .pdp_cid = 1, .dtls_enable = 0, .dtls_ctx = 0, .ack_timeout_s = 2, .max_retransmit = 5
      };
      sim_coap_client_set_transmission (modem->clients[id], 2, 5);
      modem->header[id] = (SimCoapHeader){ .message_id = 0, .generate_token = TRUE };
      modem->closing[id] = FALSE;
      for (guint slot = 0; slot < SIM_COAP_N_SLOTS; slot++)
        {
          g_clear_pointer (&modem->slots[id][slot].value, g_bytes_unref);
          modem->slots[id][slot].used = FALSE;
        }
    }
}

void
sim_modem_close_all_clients (SimModem *modem)
{
  for (guint id = 0; id < SIM_COAP_N_CLIENTS; id++)
    sim_coap_client_close (modem->clients[id]);
}

/* Everything a power loss forgets. */
static void
power_off (SimModem *modem)
{
  modem->power = SIM_POWER_OFF;
  modem->generation++;
  g_clear_handle_id (&modem->boot_source, g_source_remove);
  clear_payload_handler (modem);
  sim_at_parser_reset (modem->parser);
  g_byte_array_set_size (modem->deferred_urcs, 0);
  sim_modem_close_all_clients (modem);
  sim_modem_reset_coap_state (modem);
  g_hash_table_remove_all (modem->ssl_config);
  sim_modem_network_power_off (modem);
}

static gboolean
on_app_ready (gpointer user_data)
{
  SimModem *modem = user_data;

  modem->boot_source = 0;
  modem->power = SIM_POWER_READY;
  sim_modem_send_urc (modem, "APP RDY", NULL, 0);
  if (modem->booted_func != NULL)
    modem->booted_func (modem, modem->booted_data);
  return G_SOURCE_REMOVE;
}

void
sim_modem_boot (SimModem *modem)
{
  power_off (modem);
  modem->power = SIM_POWER_BOOTING;
  modem->echo = !modem->config.echo_saved_off;
  modem->cmee = 1;
  modem->cfun = 1;
  sim_log ("info", "booting");
  sim_modem_send_urc (modem, "RDY", NULL, 0);
  sim_modem_send_urc (modem, "+CFUN: 1", NULL, 0);
  sim_modem_send_urc (modem, "+CPIN: READY", NULL, 0);
  sim_modem_send_urc (modem, "+QUSIM: 1", NULL, 0);
  sim_modem_send_urc (modem, "+QIND: SMS DONE", NULL, 0);
  sim_modem_network_power_on (modem);
  modem->boot_source = g_timeout_add (modem->config.boot_delay_ms, on_app_ready, modem);
}

static gboolean
on_silence_over (gpointer user_data)
{
  SimModem *modem = user_data;

  modem->boot_source = 0;
  sim_modem_boot (modem);
  return G_SOURCE_REMOVE;
}

void
sim_modem_power_cycle (SimModem *modem, gboolean say_powered_down)
{
  if (say_powered_down)
    sim_modem_send_urc (modem, "POWERED DOWN", NULL, 0);
  sim_log ("info", "power cycle: %u ms of silence", modem->config.reset_silence_ms);
  power_off (modem);
  modem->boot_source = g_timeout_add (modem->config.reset_silence_ms, on_silence_over, modem);
}

/* The network grants PSM: a module that asked for it (AT+CPSMS=1) says so,
 * goes silent with its CoAP clients gone, and boots again @sleep_ms later. */
void
sim_modem_psm_sleep (SimModem *modem, guint sleep_ms)
{
  if (modem->psm_mode == 0)
    {
      sim_log ("info", "PSM not requested (AT+CPSMS=0): the module stays awake");
      return;
    }
  sim_modem_send_urc (modem, "PSM POWER DOWN", NULL, 0);
  sim_log ("info", "power saving: asleep for %u ms", sleep_ms);
  power_off (modem);
  modem->boot_source = g_timeout_add (sleep_ms, on_silence_over, modem);
}

void
sim_modem_reboot (SimModem *modem)
{
  sim_modem_power_cycle (modem, FALSE);
}

void
sim_modem_unplug (SimModem *modem)
{
  power_off (modem);
  g_clear_handle_id (&modem->hold_source, g_source_remove);
  modem->holding = FALSE;
  g_byte_array_set_size (modem->held, 0);
  sim_port_unplug (modem->port);
}

gboolean
sim_modem_replug (SimModem *modem, GError **error)
{
  if (sim_port_is_plugged (modem->port))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "already plugged in");
      return FALSE;
    }
  if (!sim_port_replug (modem->port, error))
    return FALSE;
  sim_modem_boot (modem);
  return TRUE;
}

/* ---- faults ---- */

static gboolean
parse_switch (const char *arg, gboolean *value)
{
  if (arg == NULL || g_strcmp0 (arg, "on") == 0 || g_strcmp0 (arg, "1") == 0)
    *value = TRUE;
  else if (g_strcmp0 (arg, "off") == 0 || g_strcmp0 (arg, "0") == 0)
    *value = FALSE;
  else
    return FALSE;
  return TRUE;
}

static gboolean
parse_count (const char *arg, guint max, guint *value)
{
  guint64 v;

  if (arg == NULL || !g_ascii_string_to_unsigned (arg, 10, 0, max, &v, NULL))
    return FALSE;
  *value = (guint)v;
  return TRUE;
}

static void
send_garbage (SimModem *modem, guint count)
{
  g_autofree guint8 *bytes = g_malloc (count);

  for (guint i = 0; i < count; i++)
    bytes[i] = (guint8)g_random_int_range (0, 256);
  sim_log ("info", "fault: %u garbage bytes sent", count);
  write_out (modem, bytes, count);
}

gboolean
sim_modem_set_fault (SimModem *modem, const char *spec, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (spec, "=", 2);
  const char *name = parts[0];
  const char *arg = parts[1];
  gboolean ok = FALSE;
  gboolean on;
  guint count;

  if (g_strcmp0 (name, "delay-final") == 0)
    ok = parse_count (arg, 600000, &modem->faults.delay_final_ms);
  else if (g_strcmp0 (name, "drop-final") == 0)
    ok = parse_count (arg, G_MAXINT, &modem->faults.drop_final);
  else if (g_strcmp0 (name, "garbage") == 0)
    {
      ok = parse_count (arg, 65536, &count);
      if (ok)
        send_garbage (modem, count);
    }
  else if (g_strcmp0 (name, "split-writes") == 0)
    {
      ok = parse_switch (arg, &on);
      if (ok)
        sim_port_set_split_writes (modem->port, on);
    }
  else if (g_strcmp0 (name, "urc-before-final") == 0)
    ok = parse_switch (arg, &modem->faults.urc_before_final);
  else if (g_strcmp0 (name, "urc-before-prompt") == 0)
    ok = parse_switch (arg, &modem->faults.urc_before_prompt);
  else if (g_strcmp0 (name, "occupy") == 0)
    {
      ok = parse_count (arg, SIM_COAP_N_CLIENTS - 1, &count);
      if (ok)
        modem->closing[count] = TRUE;
    }
  else if (g_strcmp0 (name, "report-twice") == 0)
    ok = parse_switch (arg, &modem->faults.report_twice);
  else if (g_strcmp0 (name, "corrupt-upload") == 0)
    ok = parse_count (arg, G_MAXINT, &modem->faults.corrupt_uploads);
  else if (g_strcmp0 (name, "psm-sleep") == 0)
    {
      ok = parse_count (arg, 600000, &count);
      if (ok)
        sim_modem_psm_sleep (modem, count);
    }
  else if (!sim_modem_network_fault (modem, name, arg, error))
    return FALSE;
  else
    ok = TRUE;
  if (!ok)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad argument for %s", name);
      return FALSE;
    }
  sim_log ("info", "fault set: %s", spec);
  return TRUE;
}

char *
sim_modem_describe_stats (SimModem *modem)
{
  guint udp_tx = 0;
  guint udp_rx = 0;

  for (guint id = 0; id < SIM_COAP_N_CLIENTS; id++)
    {
      udp_tx += sim_coap_client_get_tx_count (modem->clients[id]);
      udp_rx += sim_coap_client_get_rx_count (modem->clients[id]);
    }
  return g_strdup_printf ("rx=%" G_GUINT64_FORMAT " tx=%" G_GUINT64_FORMAT
                          " lines=%" G_GUINT64_FORMAT " udp-tx=%u udp-rx=%u",
                          sim_port_get_rx_bytes (modem->port), sim_port_get_tx_bytes (modem->port),
                          modem->command_lines, udp_tx, udp_rx);
}
