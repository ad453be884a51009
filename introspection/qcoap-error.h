/* SPDX-License-Identifier: MIT */
/* qcoap-error.h — the one error domain of qcoapd.
 *
 * Every failure that can reach a D-Bus caller is a QCOAP_ERROR. The domain is
 * registered with g_dbus_error_register_error_domain(), so each code crosses
 * the bus as org.qcoapd.CoAP1.Error.<Name> and comes back to GLib clients as
 * the same GError code.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define QCOAP_ERROR (qcoap_error_quark ())
GQuark qcoap_error_quark (void);

#define QCOAP_ERROR_PREFIX "org.qcoapd.CoAP1.Error."

typedef enum
{
  QCOAP_ERROR_INVALID_ARGUMENT,  /* InvalidArgument */
  QCOAP_ERROR_NO_FREE_CLIENT,    /* NoFreeClient: all six client IDs in use */
  QCOAP_ERROR_CLIENT_BUSY,       /* ClientBusy: the requested client ID is taken */
  QCOAP_ERROR_ACCESS_DENIED,     /* AccessDenied */
  QCOAP_ERROR_MODEM_UNAVAILABLE, /* ModemUnavailable: port absent, initializing or failed */
  QCOAP_ERROR_TIMEOUT,           /* Timeout */
  QCOAP_ERROR_RESET,             /* Reset: the server answered RST */
  QCOAP_ERROR_NETWORK_FAILURE,   /* NetworkFailure: modem result -4 */
  QCOAP_ERROR_DNS_ERROR,         /* DnsError: -5 */
  QCOAP_ERROR_SOCKET_FAILURE,    /* SocketFailure: -7 */
  QCOAP_ERROR_DTLS_HANDSHAKE,    /* DtlsHandshake: -9 */
  QCOAP_ERROR_SEND_FAILED,       /* SendFailed: -11 */
  QCOAP_ERROR_MODEM_ERROR,       /* ModemError: any other failure, quoting the modem */
  QCOAP_ERROR_CLOSED,            /* Closed: the session closed while the call waited */
  QCOAP_ERROR_QUEUE_FULL,        /* QueueFull */
} QcoapError;

/* Maps a modem result code (0, -1 .. -11 of the AT reference) to an error code. */
QcoapError qcoap_error_from_result (int result);

/* A short English description of a modem result code ("network failure" for
 * -4, "unknown result" for codes outside the reference), for error messages. */
const char *qcoap_result_describe (int result);

G_END_DECLS
