/* SPDX-License-Identifier: MIT */
/* qcoap-error.c — the QCOAP_ERROR domain and its D-Bus error names. */

#include "qcoap-error.h"

#include <gio/gio.h>

/* Indexed by QcoapError; the order must follow the enum. */
static const GDBusErrorEntry qcoap_error_entries[] = {
  { QCOAP_ERROR_INVALID_ARGUMENT, QCOAP_ERROR_PREFIX "InvalidArgument" },
  { QCOAP_ERROR_NO_FREE_CLIENT, QCOAP_ERROR_PREFIX "NoFreeClient" },
  { QCOAP_ERROR_CLIENT_BUSY, QCOAP_ERROR_PREFIX "ClientBusy" },
  { QCOAP_ERROR_ACCESS_DENIED, QCOAP_ERROR_PREFIX "AccessDenied" },
  { QCOAP_ERROR_MODEM_UNAVAILABLE, QCOAP_ERROR_PREFIX "ModemUnavailable" },
  { QCOAP_ERROR_TIMEOUT, QCOAP_ERROR_PREFIX "Timeout" },
  { QCOAP_ERROR_RESET, QCOAP_ERROR_PREFIX "Reset" },
  { QCOAP_ERROR_NETWORK_FAILURE, QCOAP_ERROR_PREFIX "NetworkFailure" },
  { QCOAP_ERROR_DNS_ERROR, QCOAP_ERROR_PREFIX "DnsError" },
  { QCOAP_ERROR_SOCKET_FAILURE, QCOAP_ERROR_PREFIX "SocketFailure" },
  { QCOAP_ERROR_DTLS_HANDSHAKE, QCOAP_ERROR_PREFIX "DtlsHandshake" },
  { QCOAP_ERROR_SEND_FAILED, QCOAP_ERROR_PREFIX "SendFailed" },
  { QCOAP_ERROR_MODEM_ERROR, QCOAP_ERROR_PREFIX "ModemError" },
  { QCOAP_ERROR_CLOSED, QCOAP_ERROR_PREFIX "Closed" },
  { QCOAP_ERROR_QUEUE_FULL, QCOAP_ERROR_PREFIX "QueueFull" },
};

GQuark
qcoap_error_quark (void)
{
  static gsize quark = 0;

  /* Registering the domain makes GDBus send these errors under their D-Bus
   * names and turn the names back into QCOAP_ERROR codes in clients. */
  g_dbus_error_register_error_domain ("qcoap-error-quark", &quark, qcoap_error_entries,
                                      G_N_ELEMENTS (qcoap_error_entries));
  return (GQuark)quark;
}

QcoapError
qcoap_error_from_result (int result)
{
  /* Only the results the contract names get their own error; everything
   * else (including -10, an ID the daemon believed free) is a modem error
   * whose message quotes the result. */
  switch (result)
    {
      case -4:
        return QCOAP_ERROR_NETWORK_FAILURE;
      case -5:
        return QCOAP_ERROR_DNS_ERROR;
      case -7:
        return QCOAP_ERROR_SOCKET_FAILURE;
      case -9:
        return QCOAP_ERROR_DTLS_HANDSHAKE;
      case -11:
        return QCOAP_ERROR_SEND_FAILED;
      default:
        return QCOAP_ERROR_MODEM_ERROR;
    }
}

const char *
qcoap_result_describe (int result)
{
  /* Wording of the AT reference's result table (section 5). */
  switch (result)
    {
      case 0:
        return "success";
      case -1:
        return "invalid parameter";
      case -2:
        return "operation in progress";
      case -3:
        return "operation not allowed";
      case -4:
        return "network failure";
      case -5:
        return "DNS error";
      case -6:
        return "data call activating";
      case -7:
        return "socket connection failure";
      case -8:
        return "out of memory";
      case -9:
        return "DTLS handshake failure";
      case -10:
        return "client ID occupied";
      case -11:
        return "data sending failure";
      default:
        return "unknown result";
    }
}
