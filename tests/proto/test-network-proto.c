/* SPDX-License-Identifier: MIT */
/* test-network-proto.c — the network parsers and builders
 * (daemon/network-proto.c) and the check of Command (daemon/diag-command.c)
 * on the forms the BG96 manual and real modules print. */
#include <gio/gio.h>

#include "diag-command.h"
#include "network-proto.h"
#include "qcoap-error.h"

static void
test_registration (void)
{
  static const struct
  {
    const char *line;
    NetworkDomain domain;
    NetworkRegistration registration;
    NetworkTech tech;
  } cases[] = {
    { "+CEREG: 0,2", NETWORK_DOMAIN_EPS, NETWORK_REGISTRATION_SEARCHING, NETWORK_TECH_NONE },
    { "+CEREG: 2", NETWORK_DOMAIN_EPS, NETWORK_REGISTRATION_SEARCHING, NETWORK_TECH_NONE },
    { "+CEREG: 1,\"3A9F\",\"1A2D00F\",8", NETWORK_DOMAIN_EPS, NETWORK_REGISTRATION_HOME,
      NETWORK_TECH_LTE_M },
    { "+CEREG: 2,1,\"3A9F\",\"1A2D00F\",8", NETWORK_DOMAIN_EPS, NETWORK_REGISTRATION_HOME,
      NETWORK_TECH_LTE_M },
    { "+CEREG: 5,\"3A9F\",\"1A2D00F\",9", NETWORK_DOMAIN_EPS, NETWORK_REGISTRATION_ROAMING,
      NETWORK_TECH_NB_IOT },
    { "+CEREG: 2,5,\"3A9F\",\"1A2D00F\",7,,,\"00100001\",\"00000110\"", NETWORK_DOMAIN_EPS,
      NETWORK_REGISTRATION_ROAMING, NETWORK_TECH_LTE_M },
    { "+CEREG: 3", NETWORK_DOMAIN_EPS, NETWORK_REGISTRATION_DENIED, NETWORK_TECH_NONE },
    { "+CEREG: 2,0", NETWORK_DOMAIN_EPS, NETWORK_REGISTRATION_IDLE, NETWORK_TECH_NONE },
    { "+CEREG: 4", NETWORK_DOMAIN_EPS, NETWORK_REGISTRATION_UNKNOWN, NETWORK_TECH_NONE },
    { "+CGREG: 1,\"3A9F\",\"1A2D\",0", NETWORK_DOMAIN_GPRS, NETWORK_REGISTRATION_HOME,
      NETWORK_TECH_GSM },
    { "+CREG: 0,1", NETWORK_DOMAIN_CS, NETWORK_REGISTRATION_HOME, NETWORK_TECH_NONE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      NetworkRegInfo info;

      /* The prefix the network registers its URC handler with. */
      g_assert_true (
          g_str_has_prefix (cases[i].line, network_registration_prefix (cases[i].domain)));
      g_assert_true (network_reg_parse (cases[i].line, &info, &error));
      g_assert_no_error (error);
      g_assert_cmpint (info.domain, ==, cases[i].domain);
      g_assert_cmpint (info.registration, ==, cases[i].registration);
      g_assert_cmpint (info.tech, ==, cases[i].tech);
    }
  for (const char *const *bad
       = (const char *const[]){ "+CEREG:", "+CEREG: x", "+CEREG: \"1", "+COPS: 0", NULL };
       *bad; bad++)
    {
      g_autoptr (GError) error = NULL;
      NetworkRegInfo info;

      g_assert_false (network_reg_parse (*bad, &info, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }
}

static void
test_operator_and_system (void)
{
  g_autofree char *name = NULL;
  g_autofree char *none = NULL;
  g_autofree char *plmn = NULL;
  g_autofree char *no_plmn = NULL;
  NetworkTech tech;

  g_assert_true (network_cops_parse ("+COPS: 0,0,\"Fake Telecom\",8", &name, &tech, NULL));
  g_assert_cmpstr (name, ==, "Fake Telecom");
  g_assert_cmpint (tech, ==, NETWORK_TECH_LTE_M);
  g_assert_true (network_cops_parse ("+COPS: 0", &none, &tech, NULL));
  g_assert_cmpstr (none, ==, "");
  g_assert_cmpint (tech, ==, NETWORK_TECH_NONE);
  g_assert_true (network_qnwinfo_parse ("+QNWINFO: \"eMTC\",\"00101\",\"LTE BAND 20\",6300", &tech,
                                        &plmn, NULL));
  g_assert_cmpint (tech, ==, NETWORK_TECH_LTE_M);
  g_assert_cmpstr (plmn, ==, "00101");
  /* A BG96's own words (firmware BG96MAR04A04M1G). */
  g_clear_pointer (&plmn, g_free);
  g_assert_true (network_qnwinfo_parse ("+QNWINFO: \"CAT-M1\",\"23203\",\"LTE BAND 20\",6400",
                                        &tech, &plmn, NULL));
  g_assert_cmpint (tech, ==, NETWORK_TECH_LTE_M);
  g_assert_cmpstr (plmn, ==, "23203");
  g_clear_pointer (&plmn, g_free);
  g_assert_true (network_qnwinfo_parse ("+QNWINFO: \"CAT-NB1\",\"23203\",\"LTE BAND 20\",6400",
                                        &tech, &plmn, NULL));
  g_assert_cmpint (tech, ==, NETWORK_TECH_NB_IOT);
  g_assert_true (network_qnwinfo_parse ("+QNWINFO: No Service", &tech, &no_plmn, NULL));
  g_assert_cmpint (tech, ==, NETWORK_TECH_NONE);
  g_assert_cmpstr (no_plmn, ==, "");
}

static void
test_signal (void)
{
  NetworkSignal signal;

  g_assert_true (network_qcsq_parse ("+QCSQ: \"eMTC\",-62,-87,195,-10", &signal, NULL));
  g_assert_true (signal.has_rssi && signal.has_rsrp && signal.has_rsrq && signal.has_sinr);
  g_assert_cmpint (signal.rssi, ==, -62);
  g_assert_cmpint (signal.rsrp, ==, -87);
  g_assert_cmpint (signal.rsrq, ==, -10);
  g_assert_cmpfloat_with_epsilon (signal.sinr, 19.0, 1e-9);
  /* A BG96: "CAT-M1", SINR in fifths of a dB above -20 as the BG95 prints it. */
  g_assert_true (network_qcsq_parse ("+QCSQ: \"CAT-M1\",-62,-101,71,-20", &signal, NULL));
  g_assert_true (signal.has_rssi && signal.has_rsrp && signal.has_rsrq && signal.has_sinr);
  g_assert_cmpint (signal.rssi, ==, -62);
  g_assert_cmpint (signal.rsrp, ==, -101);
  g_assert_cmpint (signal.rsrq, ==, -20);
  g_assert_cmpfloat_with_epsilon (signal.sinr, -5.8, 1e-9);
  g_assert_true (network_qcsq_parse ("+QCSQ: \"CAT-NB1\",-80,-90,82,-10", &signal, NULL));
  g_assert_true (signal.has_rsrp && signal.rsrp == -90);
  g_assert_true (network_qcsq_parse ("+QCSQ: \"NBIoT\",-70,-95,0,-12", &signal, NULL));
  g_assert_cmpfloat_with_epsilon (signal.sinr, -20.0, 1e-9);
  g_assert_true (network_qcsq_parse ("+QCSQ: \"GSM\",-71", &signal, NULL));
  g_assert_true (signal.has_rssi && !signal.has_rsrp && !signal.has_sinr);
  g_assert_true (network_qcsq_parse ("+QCSQ: \"NOSERVICE\"", &signal, NULL));
  g_assert_false (signal.has_rssi || signal.has_rsrp || signal.has_rsrq || signal.has_sinr);
  g_assert_false (network_qcsq_parse ("+QCSQ: \"eMTC\",-62,-87,251,-10", &signal, NULL));
  g_assert_true (network_csq_parse ("+CSQ: 25,99", &signal, NULL));
  g_assert_true (signal.has_rssi);
  g_assert_cmpint (signal.rssi, ==, -63);
  g_assert_true (network_csq_parse ("+CSQ: 99,99", &signal, NULL));
  g_assert_false (signal.has_rssi);
  g_assert_false (network_csq_parse ("+CSQ: 40,99", &signal, NULL));
}

static void
test_contexts (void)
{
  g_autofree char *address = NULL;
  g_autofree char *qicsgp = NULL;
  gboolean active;
  guint cid;

  g_assert_true (
      network_qiact_parse ("+QIACT: 1,1,1,\"10.64.0.1\"", &cid, &active, &address, NULL));
  g_assert_cmpuint (cid, ==, 1);
  g_assert_true (active);
  g_assert_cmpstr (address, ==, "10.64.0.1");
  g_assert_false (network_qiact_parse ("+QIACT: 17,1,1,\"x\"", &cid, &active, NULL, NULL));
  g_assert_true (network_pdpdeact_parse ("+QIURC: \"pdpdeact\",3", &cid, NULL));
  g_assert_cmpuint (cid, ==, 3);
  g_assert_false (network_pdpdeact_parse ("+QIURC: \"recv\",3", &cid, NULL));
  g_assert_false (network_pdpdeact_parse ("+QIURC: \"pdpdeact\",0", &cid, NULL));
  qicsgp = network_cmd_qicsgp (2, NETWORK_IP_V4V6, "iot", "u", "p", NETWORK_AUTH_CHAP);
  g_assert_cmpstr (qicsgp, ==, "AT+QICSGP=2,3,\"iot\",\"u\",\"p\",2");
  g_assert_true (network_check_quoted_text ("iot.example", NETWORK_MAX_APN, NULL));
  g_assert_false (network_check_quoted_text ("a\"b", NETWORK_MAX_APN, NULL));
  g_assert_false (network_check_quoted_text ("a\nb", NETWORK_MAX_APN, NULL));
}

static void
test_diag_check (void)
{
  static const char *const allowed[] = {
    "AT",
    "ATI",
    "AT+CSQ",
    "AT+QENG=\"servingcell\"",
    "AT+CFUN?",
    "AT+CEREG?",
    "AT+CEREG=?",
    "AT&V",
    "AT+QCOAPCFG=?",
    "AT+QIACT?",
    "at+cops?",
    "AT+QCFG=\"band\"",
    /* The settings the daemon makes may be read. */
    "AT+QURCCFG?",
    "AT+QURCCFG=\"urcport\"",
    "AT+QURCCFG=?",
    "AT+CPSMS?",
    "AT+CEDRXS?",
    /* Any read or test form, the daemon's settings' too. */
    "AT+CMEE?",
    "AT+CFUN=?",
    "AT+QICSGP=?",
    "at+qnwinfo",
  };
  static const char *const refused[] = {
    "ATE0",
    "ate1",
    "ATV1",
    "ATQ0",
    "ATZ",
    "AT&F0",
    "ATI E0",
    "AT+CMEE=2",
    "AT+IPR=115200",
    "AT+IFC=0,0",
    "AT+QURCCFG=\"urcport\",\"uart1\"",
    "AT+QURCCFG=\"urcport\",\"usbat\"",
    "AT+CPSMS=1",
    "AT+CEDRXS=1,5,\"0101\"",
    "AT+CFUN=1,1",
    /* What the line editor drops or applies, and what changes the module's
     * state the daemon relies on without being one of its settings. */
    "AT+CMEE =0",
    "AT+QCOA\bAPCLOSE=1",
    "AT +CFUN=0",
    "AT+QIDE\x03"
    "ACT=1",
    "AT+CGACT=0,1",
    "AT+CGATT=0",
    "AT+COPS=2",
    "AT+QPOWD",
    "ATS3=13",
    "AT+CSQ?X",
    "AT+CFUN",
    "AT+QCOAPSEND=0,0,1,0",
    "AT+QFUPL=\"a\",1",
    "AT+QICSGP=1",
    "AT+QIACT=1",
    "AT+QIDEACT=1",
    "AT+CREG=2",
    "AT+CSQ;E0",
    "CSQ",
    "AT+CSQ\r",
    "AT\x1a",
    "AT\x1b",
    "AT+CSQ\nATE1",
  };
  g_autofree char *long_text = g_strnfill (513, 'A');

  for (gsize i = 0; i < G_N_ELEMENTS (allowed); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_true (diag_command_check (allowed[i], 0, &error));
      g_assert_no_error (error);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (diag_command_check (refused[i], 0, &error));
      g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
    }
  g_assert_false (diag_command_check (long_text, 0, NULL));
  g_assert_false (diag_command_check ("AT+CSQ", DIAG_COMMAND_MAX_TIMEOUT_MS + 1, NULL));
  /* A ';' or a space inside quotes is text: this one is refused for what it
   * is (not a read, not a reporting command), not for them. */
  {
    g_autoptr (GError) error = NULL;

    g_assert_false (diag_command_check ("AT+QENG=\"a; b\"", 0, &error));
    g_assert_null (strstr (error->message, "';'"));
    g_assert_null (strstr (error->message, "space"));
    g_assert_nonnull (strstr (error->message, "read (?)"));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/network-proto/registration", test_registration);
  g_test_add_func ("/network-proto/operator-and-system", test_operator_and_system);
  g_test_add_func ("/network-proto/signal", test_signal);
  g_test_add_func ("/network-proto/contexts", test_contexts);
  g_test_add_func ("/network-proto/diag-check", test_diag_check);
  return g_test_run ();
}
