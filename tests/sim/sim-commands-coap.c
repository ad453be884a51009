/* SPDX-License-Identifier: MIT */
/* sim-commands-coap.c — AT+QCOAPCFG, QCOAPOPEN, QCOAPCLOSE, QCOAPHEADER,
 * QCOAPOPTION and QCOAPSEND, as daemon/AT-INTERFACE.md ("Commands the
 * daemon sends") describes them. */
#include "sim-modem-private.h"

#include "sim-coap-format.h"
#include "sim-log.h"

#include <string.h>

/* How long the module takes to report an open or close. */
#define SESSION_URC_DELAY_MS 20

static gboolean
get_client_id (const SimAtCommand *command, guint *id)
{
  return sim_at_command_get_uint (command, 0, 0, SIM_COAP_N_CLIENTS - 1, id);
}

/* ---- AT+QCOAPCFG ---- */

static gboolean
coapcfg_pdpcid (SimModem *modem, const SimAtCommand *command, guint id, guint n)
{
  SimCoapConfig *config = &modem->coap_config[id];

  if (n == 2)
    sim_modem_send_info (modem, "+QCOAPCFG: \"pdpcid\",%u", config->pdp_cid);
  else if (n != 3 || !sim_at_command_get_uint (command, 2, 1, 16, &config->pdp_cid))
    return FALSE;
  return TRUE;
}

static gboolean
coapcfg_dtls (SimModem *modem, const SimAtCommand *command, guint id, guint n)
{
  SimCoapConfig *config = &modem->coap_config[id];
  guint enable;
  guint ctx;

  if (n == 2)
    {
      sim_modem_send_info (modem, "+QCOAPCFG: \"dtls\",%u,%u", config->dtls_enable,
                           config->dtls_ctx);
      return TRUE;
    }
  if (n != 4 || !sim_at_command_get_uint (command, 2, 0, 1, &enable)
      || !sim_at_command_get_uint (command, 3, 0, 5, &ctx))
    return FALSE;
  config->dtls_enable = enable;
  config->dtls_ctx = ctx;
  return TRUE;
}

static gboolean
coapcfg_trans (SimModem *modem, const SimAtCommand *command, guint id, guint n)
{
  SimCoapConfig *config = &modem->coap_config[id];
  guint timeout;
  guint retry;

  if (n == 2)
    {
      sim_modem_send_info (modem, "+QCOAPCFG: \"trans\",%u,%u", config->ack_timeout_s,
                           config->max_retransmit);
      return TRUE;
    }
  if (n != 4 || !sim_at_command_get_uint (command, 2, 2, 60, &timeout)
      || !sim_at_command_get_uint (command, 3, 4, 8, &retry))
    return FALSE;
  config->ack_timeout_s = timeout;
  config->max_retransmit = retry;
  sim_coap_client_set_transmission (modem->clients[id], timeout, retry);
  return TRUE;
}

static void
at_qcoapcfg (SimModem *modem, const SimAtCommand *command)
{
  const char *key = sim_at_command_get_string (command, 0);
  guint n = sim_at_command_n_args (command);
  gboolean ok = FALSE;
  guint id;

  if (command->kind == SIM_AT_KIND_TEST)
    {
      sim_modem_send_info (modem, "+QCOAPCFG: \"pdpcid\",(0-%u),(1-16)", SIM_COAP_N_CLIENTS - 1);
      sim_modem_send_info (modem, "+QCOAPCFG: \"dtls\",(0-%u),(0,1),(0-5)", SIM_COAP_N_CLIENTS - 1);
      sim_modem_send_info (modem, "+QCOAPCFG: \"trans\",(0-%u),(2-60),(4-8)",
                           SIM_COAP_N_CLIENTS - 1);
      sim_modem_send_ok (modem);
      return;
    }
  if (command->kind == SIM_AT_KIND_WRITE && key != NULL
      && sim_at_command_get_uint (command, 1, 0, SIM_COAP_N_CLIENTS - 1, &id))
    {
      if (g_ascii_strcasecmp (key, "pdpcid") == 0)
        ok = coapcfg_pdpcid (modem, command, id, n);
      else if (g_ascii_strcasecmp (key, "dtls") == 0)
        ok = coapcfg_dtls (modem, command, id, n);
      else if (g_ascii_strcasecmp (key, "trans") == 0)
        ok = coapcfg_trans (modem, command, id, n);
    }
  if (ok)
    sim_modem_send_ok (modem);
  else
    sim_modem_send_error (modem);
}

/* ---- AT+QCOAPOPEN / AT+QCOAPCLOSE ---- */

/* Only what resolves without a name server: numeric addresses and
 * "localhost" (as 127.0.0.1). Everything else is a DNS failure (-5). */
static GSocketAddress *
resolve_locally (const char *server, guint port)
{
  g_autoptr (GInetAddress) address = NULL;

  if (g_ascii_strcasecmp (server, "localhost") == 0)
    address = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    address = g_inet_address_new_from_string (server);
  if (address == NULL)
    return NULL;
  return g_inet_socket_address_new (address, port);
}

/* open_client()'s answer when the client reports the result itself, after
 * its DTLS handshake. */
#define OPEN_RESULT_LATER 1

/* Starts a DTLS session with the key of the client's DTLS context, read from
 * the PSK file "<ctx>_server.psk". -9 if that file is missing or malformed. */
static int
open_dtls_client (SimModem *modem, guint id, GSocketAddress *address, const char *server,
                  guint port)
{
  guint ctx = modem->coap_config[id].dtls_ctx;
  g_autofree char *file_name = g_strdup_printf ("UFS:%u_server.psk", ctx);
  GBytes *contents = sim_files_lookup (modem->files, file_name);
  g_autofree char *identity = NULL;
  g_autoptr (GBytes) key = NULL;
  g_autoptr (GError) error = NULL;

  if (contents == NULL)
    {
      sim_log ("info", "%u DTLS: no %s, so no key", id, file_name);
      return -9;
    }
  if (!sim_files_parse_psk (contents, &identity, &key, &error))
    {
      sim_log ("info", "%u DTLS: %s is malformed: %s", id, file_name, error->message);
      return -9;
    }
  if (!sim_coap_client_open_dtls (modem->clients[id], address, server, port, identity, key, &error))
    {
      sim_log ("info", "%u DTLS open failed: %s", id, error->message);
      return -9;
    }
  return OPEN_RESULT_LATER;
}

/* The result code of the +QCOAPOPEN URC, or OPEN_RESULT_LATER. */
static int
open_client (SimModem *modem, guint id, const char *server, guint port)
{
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GError) error = NULL;

  if (sim_coap_client_get_status (modem->clients[id]) != SIM_COAP_STATUS_IDLE || modem->closing[id])
    return -10;
  switch (sim_cellular_get_state (&modem->cellular, modem->coap_config[id].pdp_cid))
    {
      case SIM_PDP_ACTIVE:
        break;
      case SIM_PDP_ACTIVATING:
        return -6;
      case SIM_PDP_INACTIVE:
      case SIM_PDP_DROPPED:
      default:
        return -4;
    }
  address = resolve_locally (server, port);
  if (address == NULL)
    return -5;
  modem->session_cid[id] = modem->coap_config[id].pdp_cid;
  if (modem->coap_config[id].dtls_enable)
    return open_dtls_client (modem, id, address, server, port);
  if (!sim_coap_client_open (modem->clients[id], address, server, port, &error))
    {
      sim_log ("info", "%u open failed: %s", id, error->message);
      return -7;
    }
  return 0;
}

static void
at_qcoapopen (SimModem *modem, const SimAtCommand *command)
{
  const char *server = sim_at_command_get_string (command, 1);
  g_autofree char *urc = NULL;
  guint id;
  guint port;
  int result;

  switch (command->kind)
    {
      case SIM_AT_KIND_TEST:
        sim_modem_send_info (modem, "+QCOAPOPEN: (0-%u),\"<server>\",(1-65535)",
                             SIM_COAP_N_CLIENTS - 1);
        sim_modem_send_ok (modem);
        return;
      case SIM_AT_KIND_READ:
        for (id = 0; id < SIM_COAP_N_CLIENTS; id++)
          {
            SimCoapClient *client = modem->clients[id];
            SimCoapStatus status = sim_coap_client_get_status (client);

            if (status != SIM_COAP_STATUS_IDLE)
              sim_modem_send_info (modem, "+QCOAPOPEN: %u,\"%s\",%u,%d", id,
                                   sim_coap_client_get_server (client),
                                   sim_coap_client_get_port (client), status);
          }
        sim_modem_send_ok (modem);
        return;
      case SIM_AT_KIND_WRITE:
        if (sim_at_command_n_args (command) != 3 || !get_client_id (command, &id) || server == NULL
            || server[0] == '\0' || strlen (server) > QCOAP_MODEM_MAX_HOST
            || !sim_at_command_get_uint (command, 2, 1, 65535, &port))
          break;
        result = open_client (modem, id, server, port);
        sim_modem_send_ok (modem);
        if (result != OPEN_RESULT_LATER)
          {
            urc = g_strdup_printf ("+QCOAPOPEN: %u,%d", id, result);
            sim_modem_send_urc_later (modem, SESSION_URC_DELAY_MS, urc);
          }
        return;
      case SIM_AT_KIND_EXEC:
      default:
        break;
    }
  sim_modem_send_error (modem);
}

typedef struct
{
  SimModem *modem;
  guint generation;
  guint id;
} ClosingClient;

/* The module closes in its own time (--close-delay): the ID is occupied
 * until it says so. */
static gboolean
on_close_done (gpointer user_data)
{
  ClosingClient *closing = user_data;
  SimModem *modem = closing->modem;
  g_autofree char *urc = NULL;

  if (closing->generation != modem->generation)
    return G_SOURCE_REMOVE;
  modem->closing[closing->id] = FALSE;
  urc = g_strdup_printf ("+QCOAPCLOSE: %u,0", closing->id);
  sim_modem_send_urc (modem, urc, NULL, 0);
  return G_SOURCE_REMOVE;
}

static void
finish_close_later (SimModem *modem, guint id)
{
  ClosingClient *closing = g_new0 (ClosingClient, 1);
  guint delay
      = modem->config.close_delay_ms > 0 ? modem->config.close_delay_ms : SESSION_URC_DELAY_MS;

  closing->modem = modem;
  closing->generation = modem->generation;
  closing->id = id;
  modem->closing[id] = TRUE;
  g_timeout_add_full (G_PRIORITY_DEFAULT, delay, on_close_done, closing, g_free);
}

static void
at_qcoapclose (SimModem *modem, const SimAtCommand *command)
{
  guint id;

  if (command->kind == SIM_AT_KIND_TEST)
    {
      sim_modem_send_info (modem, "+QCOAPCLOSE: (0-%u)", SIM_COAP_N_CLIENTS - 1);
      sim_modem_send_ok (modem);
      return;
    }
  if (command->kind != SIM_AT_KIND_WRITE || sim_at_command_n_args (command) != 1
      || !get_client_id (command, &id)
      || (sim_coap_client_get_status (modem->clients[id]) == SIM_COAP_STATUS_IDLE
          && !modem->closing[id]))
    {
      sim_modem_send_error (modem);
      return;
    }
  sim_coap_client_close (modem->clients[id]);
  sim_modem_send_ok (modem);
  finish_close_later (modem, id);
}

/* ---- AT+QCOAPHEADER ---- */

static gboolean
parse_header (const SimAtCommand *command, SimCoapHeader *header)
{
  guint n = sim_at_command_n_args (command);
  const char *token_hex;
  g_autoptr (GBytes) token = NULL;
  guint message_id;
  guint mode;
  guint tkl;

  if (n < 3 || !sim_at_command_get_uint (command, 1, 0, 65535, &message_id)
      || !sim_at_command_get_uint (command, 2, 0, 1, &mode))
    return FALSE;
  *header = (SimCoapHeader){ .message_id = message_id, .generate_token = mode == 1 };
  if (mode == 1)
    return n == 3;

  /* Mode 0: the host's TKL and token; a zero-length token may be left out. */
  if (n < 4 || n > 5 || !sim_at_command_get_uint (command, 3, 0, QCOAP_MODEM_MAX_TOKEN, &tkl))
    return FALSE;
  token_hex = n == 5 ? sim_at_command_get_string (command, 4) : "";
  if (token_hex == NULL || strlen (token_hex) != 2 * tkl)
    return FALSE;
  token = sim_at_hex_decode (token_hex);
  if (token == NULL)
    return FALSE;
  header->token_length = tkl;
  memcpy (header->token, g_bytes_get_data (token, NULL), tkl);
  return TRUE;
}

static void
at_qcoapheader (SimModem *modem, const SimAtCommand *command)
{
  SimCoapHeader header;
  guint id;

  if (command->kind == SIM_AT_KIND_TEST)
    {
      sim_modem_send_info (modem, "+QCOAPHEADER: (0-%u),(0-65535),(0,1),(0-%u),\"<token>\"",
                           SIM_COAP_N_CLIENTS - 1, QCOAP_MODEM_MAX_TOKEN);
      sim_modem_send_ok (modem);
      return;
    }
  if (command->kind != SIM_AT_KIND_WRITE || !get_client_id (command, &id)
      || !parse_header (command, &header))
    {
      sim_modem_send_error (modem);
      return;
    }
  modem->header[id] = header;
  sim_modem_send_ok (modem);
}

/* ---- AT+QCOAPOPTION ---- */

/* An option value in the syntax of its format (AT-INTERFACE.md): strings quoted,
 * uints decimal, opaque quoted hexadecimal, empty "". NULL if it is not
 * that, or its length is outside the option's range. */
static GBytes *
parse_option_value (const SimAtCommand *command, guint index, const QcoapModemOption *info)
{
  const char *text = sim_at_command_get_string (command, index);
  g_autoptr (GBytes) value = NULL;
  guint8 encoded[8];
  guint64 number;

  switch (info->format)
    {
      case QCOAP_REGISTRY_VALUE_STRING:
        if (text != NULL)
          value = g_bytes_new (text, strlen (text));
        break;
      case QCOAP_REGISTRY_VALUE_OPAQUE:
        if (text != NULL)
          value = sim_at_hex_decode (text);
        break;
      case QCOAP_REGISTRY_VALUE_EMPTY:
        if (text != NULL && text[0] == '\0')
          value = g_bytes_new (NULL, 0);
        break;
      case QCOAP_REGISTRY_VALUE_UINT:
      default:
        if (sim_at_command_get_uint64 (command, index, G_MAXUINT32, &number))
          value = g_bytes_new (encoded, sim_coap_uint_encode (number, encoded));
        break;
    }
  if (value == NULL || g_bytes_get_size (value) < info->min_length
      || g_bytes_get_size (value) > info->max_length)
    return NULL;
  return g_steal_pointer (&value);
}

static gboolean
set_option (SimModem *modem, const SimAtCommand *command, guint id)
{
  guint n = sim_at_command_n_args (command);
  const QcoapModemOption *info;
  SimCoapSlot *slot;
  GBytes *value;
  guint action;
  guint index;
  guint number;

  if (!sim_at_command_get_uint (command, 1, 0, 1, &action)
      || !sim_at_command_get_uint (command, 2, 0, SIM_COAP_N_SLOTS - 1, &index))
    return FALSE;
  slot = &modem->slots[id][index];
  if (action == 1)
    {
      if (n != 3)
        return FALSE;
      g_clear_pointer (&slot->value, g_bytes_unref);
      slot->used = FALSE;
      return TRUE;
    }
  if (n != 5 || !sim_at_command_get_uint (command, 3, 0, 65535, &number))
    return FALSE;
  info = qcoap_modem_option (number);
  if (info == NULL || !info->sendable)
    return FALSE;
  value = parse_option_value (command, 4, info);
  if (value == NULL)
    return FALSE;
  g_clear_pointer (&slot->value, g_bytes_unref);
  slot->value = value;
  slot->number = number;
  slot->used = TRUE;
  return TRUE;
}

/* "1,3,4,…": the option numbers AT+QCOAPOPTION takes. */
static char *
sendable_numbers (void)
{
  GString *list = g_string_new (NULL);

  for (gsize i = 0; i < qcoap_modem_n_options; i++)
    if (qcoap_modem_options[i].sendable)
      g_string_append_printf (list, "%s%u", list->len > 0 ? "," : "",
                              qcoap_modem_options[i].number);
  return g_string_free (list, FALSE);
}

static void
at_qcoapoption (SimModem *modem, const SimAtCommand *command)
{
  guint id;

  if (command->kind == SIM_AT_KIND_TEST)
    {
      g_autofree char *numbers = sendable_numbers ();

      sim_modem_send_info (modem, "+QCOAPOPTION: (0-%u),(0,1),(0-%u),(%s),<value>",
                           SIM_COAP_N_CLIENTS - 1, SIM_COAP_N_SLOTS - 1, numbers);
      sim_modem_send_ok (modem);
      return;
    }
  if (command->kind == SIM_AT_KIND_WRITE && get_client_id (command, &id)
      && set_option (modem, command, id))
    sim_modem_send_ok (modem);
  else
    sim_modem_send_error (modem);
}

/* ---- AT+QCOAPSEND ---- */

typedef struct
{
  guint id;
  CoapType type;
  guint code;
  guint option_mask;
} PendingSend;

static void
build_message (SimModem *modem, const PendingSend *send, const guint8 *payload, gsize length,
               CoapPdu *pdu)
{
  const SimCoapHeader *header = &modem->header[send->id];

  memset (pdu, 0, sizeof *pdu);
  pdu->type = send->type;
  pdu->code = send->code;
  pdu->message_id = header->message_id;
  /* An empty message (code 0) is only the 4-byte header (RFC 7252 §4.1). */
  if (send->code == 0)
    return;
  if (header->generate_token)
    {
      pdu->token_length = 4;
      for (guint i = 0; i < 4; i++)
        pdu->token[i] = (guint8)g_random_int_range (0, 256);
    }
  else
    {
      pdu->token_length = header->token_length;
      memcpy (pdu->token, header->token, header->token_length);
    }
  /* Slot order; the encoder sorts by number and keeps repeated options in
   * this order. */
  for (guint slot = 0; slot < SIM_COAP_N_SLOTS; slot++)
    {
      const SimCoapSlot *option = &modem->slots[send->id][slot];
      gsize size;
      const guint8 *value;

      if (!(send->option_mask & (1u << slot)) || !option->used)
        continue;
      value = g_bytes_get_data (option->value, &size);
      coap_pdu_add_option (pdu, option->number, value, (guint16)size);
    }
  pdu->payload = length > 0 ? payload : NULL;
  pdu->payload_length = length;
}

static void
on_send_payload (SimModem *modem, SimAtEventKind kind, const guint8 *data, gsize length,
                 gpointer user_data)
{
  PendingSend *send = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *urc = NULL;
  CoapPdu pdu;

  if (kind == SIM_AT_EVENT_CANCELLED)
    {
      sim_modem_send_ok (modem);
      return;
    }
  if (kind != SIM_AT_EVENT_PAYLOAD)
    {
      sim_modem_send_error (modem);
      return;
    }
  build_message (modem, send, data, length, &pdu);
  if (!sim_coap_client_send (modem->clients[send->id], &pdu, &error))
    {
      sim_log ("info", "%u send refused: %s", send->id, error->message);
      sim_modem_send_error (modem);
      return;
    }
  sim_modem_send_ok (modem);
  /* Only a CON waits for its outcome; the others are done once sent. */
  if (send->type != COAP_TYPE_CON)
    {
      urc = g_strdup_printf ("+QCOAPACK: %u,%u,%u,0", send->id, send->type, pdu.message_id);
      sim_modem_send_urc (modem, urc, NULL, 0);
    }
}

static gboolean
parse_send (SimModem *modem, const SimAtCommand *command, PendingSend *send, guint *length)
{
  guint n = sim_at_command_n_args (command);
  guint type;

  if ((n != 4 && n != 5) || !get_client_id (command, &send->id)
      || !sim_at_command_get_uint (command, 1, 0, 3, &type)
      || !sim_at_command_get_uint (command, 2, 0, 255, &send->code)
      || !qcoap_modem_takes_code (send->code)
      || !sim_at_command_get_uint (command, 3, 0, 255, &send->option_mask))
    return FALSE;
  send->type = type;
  *length = 0;
  if (n == 5 && !sim_at_command_get_uint (command, 4, 1, QCOAP_MODEM_MAX_PAYLOAD, length))
    return FALSE;
  /* Bits for empty slots are fine, as on real firmware: build_message()
   * adds only the options that exist. */
  return sim_coap_client_get_status (modem->clients[send->id]) == SIM_COAP_STATUS_CONNECTED;
}

static void
at_qcoapsend (SimModem *modem, const SimAtCommand *command)
{
  PendingSend parsed = { 0 };
  guint length;

  if (command->kind == SIM_AT_KIND_TEST)
    {
      sim_modem_send_info (modem, "+QCOAPSEND: (0-%u),(0-3),<code_value>,(0-255),(1-%u)",
                           SIM_COAP_N_CLIENTS - 1, QCOAP_MODEM_MAX_PAYLOAD);
      sim_modem_send_ok (modem);
      return;
    }
  if (command->kind != SIM_AT_KIND_WRITE || !parse_send (modem, command, &parsed, &length))
    {
      sim_modem_send_error (modem);
      return;
    }
  if (modem->faults.urc_before_prompt)
    sim_modem_send_fault_urc (modem);
  sim_modem_expect_payload (modem, "\r\n> ", length > 0 ? SIM_AT_MODE_FIXED : SIM_AT_MODE_CTRLZ,
                            length > 0 ? length : QCOAP_MODEM_MAX_PAYLOAD, on_send_payload,
                            g_memdup2 (&parsed, sizeof parsed), g_free);
}

const SimCommandEntry sim_coap_commands[] = {
  { "+QCOAPCFG", at_qcoapcfg },
  { "+QCOAPOPEN", at_qcoapopen },
  { "+QCOAPCLOSE", at_qcoapclose },
  { "+QCOAPHEADER", at_qcoapheader },
  { "+QCOAPOPTION", at_qcoapoption },
  { "+QCOAPSEND", at_qcoapsend },
  { NULL, NULL },
};
