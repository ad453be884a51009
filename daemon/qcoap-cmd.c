/* SPDX-License-Identifier: MIT */
/* qcoap-cmd.c — see qcoap-cmd.h. */
#include "qcoap-cmd.h"

#include <gio/gio.h>
#include <string.h>

#include "at-fields.h"
#include "qcoap-error.h"
#include "qcoap-proto.h"

/* --- Checks ----------------------------------------------------------------- */

gboolean
at_coap_validate_host (const char *host, GError **error)
{
  gsize length = strlen (host);

  if (length == 0)
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT, "The host is empty");
      return FALSE;
    }
  if (length > QCOAP_MAX_HOST)
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                   "The host is %zu bytes long; the modem takes at most %d", length,
                   QCOAP_MAX_HOST);
      return FALSE;
    }
  if (!g_utf8_validate (host, length, NULL))
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT, "The host is not valid UTF-8");
      return FALSE;
    }
  /* AT+QCOAPOPEN quotes the host without any escape. */
  for (const char *c = host; *c != '\0'; c++)
    {
      if (*c == '"')
        {
          g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                       "The host \"%s\" contains a double quote", host);
          return FALSE;
        }
      if ((guchar)*c < 0x20 || *c == 0x7f)
        {
          g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                       "The host contains the control character 0x%02x", (guchar)*c);
          return FALSE;
        }
    }
  return TRUE;
}

/* --- Builders --------------------------------------------------------------- */

char *
at_coap_cmd_cfg_pdpcid (guint client_id, guint pdp_cid)
{
  g_return_val_if_fail (client_id < QCOAP_MAX_CLIENTS, NULL);
  g_return_val_if_fail (pdp_cid >= 1 && pdp_cid <= 16, NULL);
  return g_strdup_printf ("AT+QCOAPCFG=\"pdpcid\",%u,%u", client_id, pdp_cid);
}

char *
at_coap_cmd_cfg_pdpcid_query (guint client_id)
{
  g_return_val_if_fail (client_id < QCOAP_MAX_CLIENTS, NULL);
  return g_strdup_printf ("AT+QCOAPCFG=\"pdpcid\",%u", client_id);
}

char *
at_coap_cmd_cfg_dtls (guint client_id, gboolean enable, guint ssl_ctx)
{
  g_return_val_if_fail (client_id < QCOAP_MAX_CLIENTS, NULL);
  g_return_val_if_fail (ssl_ctx <= 5, NULL);
  return g_strdup_printf ("AT+QCOAPCFG=\"dtls\",%u,%d,%u", client_id, enable ? 1 : 0, ssl_ctx);
}

char *
at_coap_cmd_cfg_dtls_query (guint client_id)
{
  g_return_val_if_fail (client_id < QCOAP_MAX_CLIENTS, NULL);
  return g_strdup_printf ("AT+QCOAPCFG=\"dtls\",%u", client_id);
}

char *
at_coap_cmd_cfg_trans (guint client_id, guint ack_timeout, guint max_retransmit)
{
  g_return_val_if_fail (client_id < QCOAP_MAX_CLIENTS, NULL);
  g_return_val_if_fail (ack_timeout >= 2 && ack_timeout <= 60, NULL);
  g_return_val_if_fail (max_retransmit >= 4 && max_retransmit <= 8, NULL);
  return g_strdup_printf ("AT+QCOAPCFG=\"trans\",%u,%u,%u", client_id, ack_timeout, max_retransmit);
}

char *
at_coap_cmd_cfg_trans_query (guint client_id)
{
  g_return_val_if_fail (client_id < QCOAP_MAX_CLIENTS, NULL);
  return g_strdup_printf ("AT+QCOAPCFG=\"trans\",%u", client_id);
}

char *
at_coap_cmd_open (guint client_id, const char *host, guint16 port, GError **error)
{
  g_return_val_if_fail (client_id < QCOAP_MAX_CLIENTS, NULL);

  if (!at_coap_validate_host (host, error))
    return NULL;
  if (port == 0)
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                   "Port 0 is not a valid server port; use 1 to 65535");
      return NULL;
    }
  return g_strdup_printf ("AT+QCOAPOPEN=%u,\"%s\",%u", client_id, host, port);
}

const char *const at_coap_open_query_response[] = { "+QCOAPOPEN:", NULL };

char *
at_coap_cmd_open_query (void)
{
  return g_strdup ("AT+QCOAPOPEN?");
}

char *
at_coap_cmd_close (guint client_id)
{
  g_return_val_if_fail (client_id < QCOAP_MAX_CLIENTS, NULL);
  return g_strdup_printf ("AT+QCOAPCLOSE=%u", client_id);
}

char *
at_coap_cmd_header (guint client_id, guint16 message_id, GBytes *token)
{
  GString *command;
  gsize length;
  const guint8 *data;

  g_return_val_if_fail (client_id < QCOAP_MAX_CLIENTS, NULL);
  if (token == NULL)
    return g_strdup_printf ("AT+QCOAPHEADER=%u,%u,1", client_id, message_id);

  data = g_bytes_get_data (token, &length);
  g_return_val_if_fail (length <= QCOAP_MAX_TOKEN, NULL);

  command = g_string_new (NULL);
  g_string_printf (command, "AT+QCOAPHEADER=%u,%u,0,%zu,\"", client_id, message_id, length);
  at_append_hex (command, data, length);
  g_string_append_c (command, '"');
  return g_string_free (command, FALSE);
}

char *
at_coap_cmd_option_add (guint client_id, guint slot, const QcoapOption *option)
{
  GString *command;
  gsize length = 0;
  const guint8 *data = NULL;

  g_return_val_if_fail (client_id < QCOAP_MAX_CLIENTS, NULL);
  g_return_val_if_fail (slot < QCOAP_MAX_OPTIONS, NULL);

  command = g_string_new (NULL);
  g_string_printf (command, "AT+QCOAPOPTION=%u,0,%u,%u,", client_id, slot, option->number);
  if (option->format == QCOAP_OPTION_FORMAT_UINT)
    {
      g_string_append_printf (command, "%u", option->uint_value);
      return g_string_free (command, FALSE);
    }

  data = g_bytes_get_data (option->value, &length);
  g_string_append_c (command, '"');
  if (option->format == QCOAP_OPTION_FORMAT_STRING)
    g_string_append_len (command, (const char *)data, length);
  else
    at_append_hex (command, data, length);
  g_string_append_c (command, '"');
  return g_string_free (command, FALSE);
}

char *
at_coap_cmd_option_remove (guint client_id, guint slot)
{
  g_return_val_if_fail (client_id < QCOAP_MAX_CLIENTS, NULL);
  g_return_val_if_fail (slot < QCOAP_MAX_OPTIONS, NULL);
  return g_strdup_printf ("AT+QCOAPOPTION=%u,1,%u", client_id, slot);
}

char *
at_coap_cmd_send (guint client_id, guint8 type, guint8 code, guint8 slot_mask, gsize length)
{
  g_return_val_if_fail (client_id < QCOAP_MAX_CLIENTS, NULL);
  g_return_val_if_fail (type <= QCOAP_TYPE_RST, NULL);
  g_return_val_if_fail (length <= QCOAP_MAX_PAYLOAD, NULL);

  if (length == 0)
    return g_strdup_printf ("AT+QCOAPSEND=%u,%u,%u,%u", client_id, type, code, slot_mask);
  return g_strdup_printf ("AT+QCOAPSEND=%u,%u,%u,%u,%zu", client_id, type, code, slot_mask, length);
}

char *
at_coap_psk_file_name (guint ssl_ctx)
{
  g_return_val_if_fail (ssl_ctx <= 5, NULL);
  return g_strdup_printf ("UFS:%u_server.psk", ssl_ctx);
}

char *
at_coap_psk_file_contents (const char *identity, GBytes *key, GError **error)
{
  gsize identity_length = strlen (identity);
  gsize key_length = g_bytes_get_size (key);
  const guint8 *key_data = g_bytes_get_data (key, NULL);
  GString *contents;

  if (identity_length == 0 || identity_length > 255)
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                   "The DTLS PSK identity must be 1 to 255 bytes long, not %zu", identity_length);
      return NULL;
    }
  /* The file separates identity and key with '&', so the identity cannot
   * hold one; the file is text, so no control characters either. */
  for (const char *c = identity; *c != '\0'; c++)
    if (*c == '&' || (guchar)*c < 0x20 || *c == 0x7f)
      {
        g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                     "The DTLS PSK identity must not contain '&' or control characters");
        return NULL;
      }
  if (key_length == 0 || key_length > 64)
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                   "The DTLS PSK key must be 1 to 64 bytes long, not %zu", key_length);
      return NULL;
    }

  contents = g_string_new (identity);
  g_string_append_c (contents, '&');
  for (gsize i = 0; i < key_length; i++)
    g_string_append_printf (contents, "%02x", key_data[i]);
  return g_string_free (contents, FALSE);
}

char *
at_coap_cmd_qfupl (const char *file_name, gsize size)
{
  return g_strdup_printf ("AT+QFUPL=\"%s\",%zu", file_name, size);
}

char *
at_coap_cmd_qfdel (const char *file_name)
{
  return g_strdup_printf ("AT+QFDEL=\"%s\"", file_name);
}

char *
at_coap_cmd_ssl_dtls (guint ssl_ctx)
{
  g_return_val_if_fail (ssl_ctx <= 5, NULL);
  return g_strdup_printf ("AT+QSSLCFG=\"dtls\",%u,1", ssl_ctx);
}

char *
at_coap_cmd_ssl_dtls_version (guint ssl_ctx)
{
  g_return_val_if_fail (ssl_ctx <= 5, NULL);
  return g_strdup_printf ("AT+QSSLCFG=\"dtlsversion\",%u,1", ssl_ctx);
}

#define CIPHER_SUITE_DIGITS 4

char *
at_coap_cipher_suite_normalize (const char *text, GError **error)
{
  gsize length = strlen (text);

  if (length != 2 + CIPHER_SUITE_DIGITS || text[0] != '0' || (text[1] != 'x' && text[1] != 'X'))
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                   "\"%s\" is not a cipher suite: write 0x and four hexadecimal digits, "
                   "e.g. 0x00AE",
                   text);
      return NULL;
    }
  for (gsize i = 2; i < length; i++)
    if (!g_ascii_isxdigit (text[i]))
      {
        g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                     "\"%s\" is not a cipher suite: '%c' is not a hexadecimal digit", text,
                     text[i]);
        return NULL;
      }
  {
    g_autofree char *digits = g_ascii_strup (text + 2, -1);

    return g_strconcat ("0X", digits, NULL);
  }
}

char *
at_coap_cmd_ssl_cipher_suite (guint ssl_ctx, const char *suite)
{
  g_return_val_if_fail (ssl_ctx <= 5, NULL);
  g_return_val_if_fail (suite != NULL, NULL);
  return g_strdup_printf ("AT+QSSLCFG=\"ciphersuite\",%u,%s", ssl_ctx, suite);
}

guint16
at_coap_qfupl_checksum (const guint8 *data, gsize length)
{
  guint16 sum = 0;

  for (gsize i = 0; i + 1 < length; i += 2)
    sum ^= (guint16)(data[i] << 8 | data[i + 1]);
  if (length % 2 == 1)
    sum ^= (guint16)(data[length - 1] << 8);
  return sum;
}
