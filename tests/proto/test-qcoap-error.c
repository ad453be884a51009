/* SPDX-License-Identifier: MIT */
/* Tests of the QCOAP_ERROR domain: D-Bus names both ways, result mapping. */

#include <gio/gio.h>

#include "qcoap-error.h"

/* The contract's error names, in the order of the QcoapError enum. */
static const char *const contract_names[] = {
  "InvalidArgument", "NoFreeClient", "ClientBusy",     "AccessDenied", "ModemUnavailable",
  "Timeout",         "Reset",        "NetworkFailure", "DnsError",     "SocketFailure",
  "DtlsHandshake",   "SendFailed",   "ModemError",     "Closed",       "QueueFull",
};

static void
test_error_encodes_contract_names (void)
{
  g_assert_cmpint (G_N_ELEMENTS (contract_names), ==, QCOAP_ERROR_QUEUE_FULL + 1);

  for (gsize code = 0; code < G_N_ELEMENTS (contract_names); code++)
    {
      g_autoptr (GError) error = g_error_new (QCOAP_ERROR, (int)code, "problem %zu", code);
      g_autofree char *name = g_dbus_error_encode_gerror (error);
      g_autofree char *expected
          = g_strconcat ("org.qcoapd.CoAP1.Error.", contract_names[code], NULL);

      g_assert_cmpstr (name, ==, expected);
    }
}

static void
test_error_decodes_contract_names (void)
{
  for (gsize code = 0; code < G_N_ELEMENTS (contract_names); code++)
    {
      g_autofree char *name = g_strconcat (QCOAP_ERROR_PREFIX, contract_names[code], NULL);
      g_autoptr (GError) error = g_dbus_error_new_for_dbus_error (name, "the modem said no");

      g_assert_error (error, QCOAP_ERROR, (int)code);
      /* GDBus keeps the remote name in the message until it is stripped. */
      g_assert_true (g_dbus_error_is_remote_error (error));
      g_dbus_error_strip_remote_error (error);
      g_assert_cmpstr (error->message, ==, "the modem said no");
    }
}

static void
test_error_from_result (void)
{
  g_assert_cmpint (qcoap_error_from_result (-4), ==, QCOAP_ERROR_NETWORK_FAILURE);
  g_assert_cmpint (qcoap_error_from_result (-5), ==, QCOAP_ERROR_DNS_ERROR);
  g_assert_cmpint (qcoap_error_from_result (-7), ==, QCOAP_ERROR_SOCKET_FAILURE);
  g_assert_cmpint (qcoap_error_from_result (-9), ==, QCOAP_ERROR_DTLS_HANDSHAKE);
  g_assert_cmpint (qcoap_error_from_result (-11), ==, QCOAP_ERROR_SEND_FAILED);

  /* Every other failure is a modem error whose message quotes the modem. */
  for (int result = -1; result >= -12; result--)
    if (result != -4 && result != -5 && result != -7 && result != -9 && result != -11)
      g_assert_cmpint (qcoap_error_from_result (result), ==, QCOAP_ERROR_MODEM_ERROR);
  g_assert_cmpint (qcoap_error_from_result (G_MININT), ==, QCOAP_ERROR_MODEM_ERROR);
}

static void
test_result_describe (void)
{
  g_assert_cmpstr (qcoap_result_describe (0), ==, "success");
  g_assert_cmpstr (qcoap_result_describe (-4), ==, "network failure");
  g_assert_cmpstr (qcoap_result_describe (-10), ==, "client ID occupied");
  g_assert_cmpstr (qcoap_result_describe (-11), ==, "data sending failure");
  g_assert_cmpstr (qcoap_result_describe (-12), ==, "unknown result");
  g_assert_cmpstr (qcoap_result_describe (1), ==, "unknown result");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/error/encodes-contract-names", test_error_encodes_contract_names);
  g_test_add_func ("/error/decodes-contract-names", test_error_decodes_contract_names);
  g_test_add_func ("/error/from-result", test_error_from_result);
  g_test_add_func ("/error/result-describe", test_result_describe);
  return g_test_run ();
}
