/* SPDX-License-Identifier: MIT */
/* sim-dtls.c — see sim-dtls.h. */
#include "sim-dtls.h"

#include <errno.h>
#include <gio/gio.h>
#include <gnutls/dtls.h>
#include <gnutls/gnutls.h>
#include <string.h>

/* DTLS 1.2 with the PSK key exchanges the BG96 offers (plain PSK, and the
 * ephemeral ECDHE/DHE variants), with GnuTLS's usual ciphers. */
#define PRIORITIES "NORMAL:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:+ECDHE-PSK:+DHE-PSK:+PSK"

struct _SimDtls
{
  gnutls_session_t session;
  gnutls_psk_client_credentials_t credentials;
  SimDtlsSendFunc send_func;
  gpointer user_data;
  GQueue incoming; /* GBytes: datagrams GnuTLS has not read yet */

  gboolean established;
  gboolean handshaking;
  SimDtlsDoneFunc done_func;
  guint retransmit_source;
  guint deadline_source;
  guint done_source;
  gboolean done_ok;
  char *done_reason;
};

/* ---- transport: GnuTLS reads and writes through these ---- */

static ssize_t
push_datagram (gnutls_transport_ptr_t ptr, const void *data, size_t length)
{
  SimDtls *dtls = ptr;

  dtls->send_func (data, length, dtls->user_data);
  return (ssize_t)length;
}

static ssize_t
pull_datagram (gnutls_transport_ptr_t ptr, void *buffer, size_t size)
{
  SimDtls *dtls = ptr;
  g_autoptr (GBytes) datagram = g_queue_pop_head (&dtls->incoming);
  gsize length;
  const guint8 *data;

  if (datagram == NULL)
    {
      gnutls_transport_set_errno (dtls->session, EAGAIN);
      return -1;
    }
  /* A datagram larger than the buffer is truncated, as recv() would. */
  data = g_bytes_get_data (datagram, &length);
  length = MIN (length, size);
  memcpy (buffer, data, length);
  return (ssize_t)length;
}

/* Non-blocking: GnuTLS only asks whether a datagram is waiting. */
static int
pull_timeout (gnutls_transport_ptr_t ptr, unsigned int timeout_ms)
{
  SimDtls *dtls = ptr;

  return g_queue_is_empty (&dtls->incoming) ? 0 : 1;
}

SimDtls *
sim_dtls_new (const char *identity, GBytes *key, SimDtlsSendFunc send_func, gpointer user_data,
              GError **error)
{
  g_autoptr (SimDtls) dtls = g_new0 (SimDtls, 1);
  gsize key_length;
  gnutls_datum_t key_datum;
  const char *error_position = NULL;
  int ret;

  dtls->send_func = send_func;
  dtls->user_data = user_data;
  g_queue_init (&dtls->incoming);
  key_datum.data = (unsigned char *)g_bytes_get_data (key, &key_length);
  key_datum.size = (unsigned int)key_length;

  ret = gnutls_psk_allocate_client_credentials (&dtls->credentials);
  if (ret == GNUTLS_E_SUCCESS)
    ret = gnutls_psk_set_client_credentials (dtls->credentials, identity, &key_datum,
                                             GNUTLS_PSK_KEY_RAW);
  if (ret == GNUTLS_E_SUCCESS)
    ret = gnutls_init (&dtls->session, GNUTLS_CLIENT | GNUTLS_DATAGRAM | GNUTLS_NONBLOCK);
  if (ret == GNUTLS_E_SUCCESS)
    ret = gnutls_priority_set_direct (dtls->session, PRIORITIES, &error_position);
  if (ret == GNUTLS_E_SUCCESS)
    ret = gnutls_credentials_set (dtls->session, GNUTLS_CRD_PSK, dtls->credentials);
  if (ret != GNUTLS_E_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "DTLS setup failed: %s",
                   gnutls_strerror (ret));
      return NULL;
    }
  gnutls_transport_set_ptr (dtls->session, dtls);
  gnutls_transport_set_push_function (dtls->session, push_datagram);
  gnutls_transport_set_pull_function (dtls->session, pull_datagram);
  gnutls_transport_set_pull_timeout_function (dtls->session, pull_timeout);
  return g_steal_pointer (&dtls);
}

void
sim_dtls_free (SimDtls *dtls)
{
  if (dtls == NULL)
    return;
  g_clear_handle_id (&dtls->retransmit_source, g_source_remove);
  g_clear_handle_id (&dtls->deadline_source, g_source_remove);
  g_clear_handle_id (&dtls->done_source, g_source_remove);
  if (dtls->session != NULL)
    {
      /* Tell the server, so it frees its side at once. */
      if (dtls->established)
        gnutls_bye (dtls->session, GNUTLS_SHUT_WR);
      gnutls_deinit (dtls->session);
    }
  if (dtls->credentials != NULL)
    gnutls_psk_free_client_credentials (dtls->credentials);
  g_queue_clear_full (&dtls->incoming, (GDestroyNotify)g_bytes_unref);
  g_free (dtls->done_reason);
  g_free (dtls);
}

/* ---- handshake ---- */

static gboolean
report_done (gpointer user_data)
{
  SimDtls *dtls = user_data;
  g_autofree char *reason = g_steal_pointer (&dtls->done_reason);

  dtls->done_source = 0;
  dtls->done_func (dtls, dtls->done_ok, reason, dtls->user_data);
  return G_SOURCE_REMOVE;
}

/* Ends the handshake; the owner hears of it from the main loop. */
static void
finish_handshake (SimDtls *dtls, gboolean ok, const char *reason)
{
  dtls->handshaking = FALSE;
  dtls->established = ok;
  dtls->done_ok = ok;
  dtls->done_reason = g_strdup (reason);
  g_clear_handle_id (&dtls->retransmit_source, g_source_remove);
  g_clear_handle_id (&dtls->deadline_source, g_source_remove);
  dtls->done_source = g_idle_add (report_done, dtls);
}

static void continue_handshake (SimDtls *dtls);

static gboolean
on_retransmit_timer (gpointer user_data)
{
  SimDtls *dtls = user_data;

  dtls->retransmit_source = 0;
  continue_handshake (dtls);
  return G_SOURCE_REMOVE;
}

static gboolean
on_deadline (gpointer user_data)
{
  SimDtls *dtls = user_data;

  dtls->deadline_source = 0;
  finish_handshake (dtls, FALSE, "no answer from the server within the handshake timeout");
  return G_SOURCE_REMOVE;
}

/* Runs GnuTLS's handshake state machine as far as the datagrams received so
 * far allow; when it waits, a timer brings it back to retransmit its flight. */
static void
continue_handshake (SimDtls *dtls)
{
  int ret;

  if (!dtls->handshaking)
    return;
  ret = gnutls_handshake (dtls->session);
  if (ret == GNUTLS_E_SUCCESS)
    {
      finish_handshake (dtls, TRUE, NULL);
      return;
    }
  if (ret != GNUTLS_E_AGAIN && ret != GNUTLS_E_INTERRUPTED && gnutls_error_is_fatal (ret))
    {
      finish_handshake (dtls, FALSE, gnutls_strerror (ret));
      return;
    }
  g_clear_handle_id (&dtls->retransmit_source, g_source_remove);
  dtls->retransmit_source
      = g_timeout_add (MAX (gnutls_dtls_get_timeout (dtls->session), 1), on_retransmit_timer, dtls);
}

void
sim_dtls_handshake (SimDtls *dtls, guint timeout_ms, SimDtlsDoneFunc done_func)
{
  g_return_if_fail (!dtls->handshaking && !dtls->established);

  dtls->done_func = done_func;
  dtls->handshaking = TRUE;
  dtls->deadline_source = g_timeout_add (timeout_ms, on_deadline, dtls);
  continue_handshake (dtls);
}

gboolean
sim_dtls_is_established (SimDtls *dtls)
{
  return dtls->established;
}

/* ---- records ---- */

GPtrArray *
sim_dtls_receive (SimDtls *dtls, const guint8 *data, gsize length)
{
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);

  g_queue_push_tail (&dtls->incoming, g_bytes_new (data, length));
  if (dtls->handshaking)
    {
      continue_handshake (dtls);
      return records;
    }
  if (!dtls->established)
    {
      /* A late datagram of a failed handshake. */
      g_queue_clear_full (&dtls->incoming, (GDestroyNotify)g_bytes_unref);
      return records;
    }
  /* Bounded: a non-fatal error that left its datagram queued must not spin. */
  for (guint round = 0; round < 16 && !g_queue_is_empty (&dtls->incoming); round++)
    {
      guint8 buffer[2048];
      ssize_t n = gnutls_record_recv (dtls->session, buffer, sizeof buffer);

      if (n > 0)
        g_ptr_array_add (records, g_bytes_new (buffer, (gsize)n));
      else if (n == 0 || n == GNUTLS_E_AGAIN || gnutls_error_is_fatal ((int)n))
        {
          /* Closed by the server, nothing more to read, or broken: what is
           * left over is of no use. */
          g_queue_clear_full (&dtls->incoming, (GDestroyNotify)g_bytes_unref);
          break;
        }
    }
  return records;
}

gboolean
sim_dtls_send (SimDtls *dtls, const guint8 *data, gsize length, GError **error)
{
  ssize_t n;

  if (!dtls->established)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                           "the DTLS handshake has not completed");
      return FALSE;
    }
  n = gnutls_record_send (dtls->session, data, length);
  if (n < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "DTLS send failed: %s",
                   gnutls_strerror ((int)n));
      return FALSE;
    }
  return TRUE;
}
