/* SPDX-License-Identifier: MIT */
/* test-network.c — the network side through the real path: a modem that
 * powers up unregistered, registration denied and lost, a failing and a
 * dropped data call under six callers' traffic, the manager's network
 * properties, and the root-only Command. The times to recovery are
 * measured and printed (g_test_message), for the README's table. */
#include <string.h>
#include <unistd.h>

#include "e2e-session.h"
#include "e2e-traffic.h"

/* The module registers this long after RDY: long enough that an Open made
 * as soon as the daemon is ready has to wait for it. */
#define ATTACH_DELAY_MS "4000"
#define APN_PASSWORD    "Pw-of-the-APN-7731"
/* Longer than the daemon's own default timeout of an Open (75 s). */
#define OPEN_CALL_TIMEOUT_MS  90000
#define CLOSE_CALL_TIMEOUT_MS 10000

static E2eEnv *env;

static GVariant *
manager_property (const char *name)
{
  GVariant *value = e2e_env_get_property (env, E2E_MANAGER_PATH, E2E_MANAGER_IFACE, name);

  g_assert_nonnull (value);
  return value;
}

static gint64
wait_registration (const char *wanted, guint timeout_ms)
{
  return e2e_env_wait_property (env, E2E_MANAGER_PATH, E2E_MANAGER_IFACE, "Registration", wanted,
                                timeout_ms);
}

static char *
manager_string (const char *name)
{
  g_autoptr (GVariant) value = manager_property (name);

  return g_variant_dup_string (value, NULL);
}

static gboolean
context_active (guint8 cid, const char **address)
{
  g_autoptr (GVariant) contexts = manager_property ("DataContexts");
  GVariantIter iter;
  guint8 id;
  gboolean active;
  const char *text;

  g_variant_iter_init (&iter, contexts);
  while (g_variant_iter_next (&iter, "(yb&s)", &id, &active, &text))
    if (id == cid)
      {
        if (address)
          *address = g_intern_string (text);
        return active;
      }
  return FALSE;
}

static void
wait_context_active (guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)timeout_ms * 1000;

  while (!context_active (1, NULL))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (20000);
    }
}

static guint
count (const char *haystack, const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (haystack, needle); p; p = strstr (p + 1, needle))
    n++;
  return n;
}

/* ---- tests ----------------------------------------------------------------------- */

/* Runs first: the daemon is ready while the module still searches. An Open
 * made at once waits for registration and the data context, then opens. */
static void
test_boot_unregistered (void)
{
  g_autofree char *registration = manager_string ("Registration");
  g_autofree char *path = NULL;
  g_autofree char *log = NULL;
  g_autoptr (GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  const char *activate;

  g_assert_true (g_str_equal (registration, "searching") || g_str_equal (registration, "unknown"));
  path = e2e_try_open_session (env->bus, env->coap_port, NULL, OPEN_CALL_TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_test_message ("boots unregistered: Open made at once succeeded after %" G_GINT64_FORMAT
                  " ms (the module registers %s ms after RDY)",
                  (g_get_monotonic_time () - start) / 1000, ATTACH_DELAY_MS);
  g_free (registration);
  registration = manager_string ("Registration");
  g_assert_cmpstr (registration, ==, "home");
  log = e2e_env_sim_log_since (env, 0);
  g_assert_nonnull (strstr (log, "at-rx AT+CEREG=2"));
  activate = strstr (log, "at-rx AT+QIACT=1");
  g_assert_nonnull (activate);
  g_assert_nonnull (strstr (activate, "at-rx AT+QCOAPOPEN="));
  /* The open waited: no attempt was made on an inactive context. */
  g_assert_null (strstr (log, ",-4"));
  e2e_assert_session_serves (env->bus, path);
  g_assert_true (e2e_try_close_session (env->bus, path, CLOSE_CALL_TIMEOUT_MS, NULL));
}

static void
test_properties (void)
{
  g_autofree char *tech = manager_string ("AccessTechnology");
  g_autofree char *operator_name = manager_string ("Operator");
  g_autoptr (GVariant) signal = manager_property ("Signal");
  const char *address = NULL;
  gint32 rsrp, rssi, rsrq;
  gdouble sinr;

  g_assert_cmpstr (tech, ==, "lte-m");
  g_assert_cmpstr (operator_name, ==, "Fake Telecom");
  g_assert_true (g_variant_lookup (signal, "rsrp", "i", &rsrp));
  g_assert_true (g_variant_lookup (signal, "rssi", "i", &rssi));
  g_assert_true (g_variant_lookup (signal, "rsrq", "i", &rsrq));
  g_assert_true (g_variant_lookup (signal, "sinr", "d", &sinr));
  g_assert_cmpint (rsrp, ==, -87);
  g_assert_cmpint (rssi, ==, -62);
  g_assert_cmpint (rsrq, ==, -10);
  g_assert_cmpfloat_with_epsilon (sinr, 19.0, 0.01);
  g_assert_true (context_active (1, &address));
  g_assert_cmpstr (address, ==, "10.64.0.1");
}

/* The network refuses the modem: an Open fails within its timeout, saying
 * so; the properties follow, and everything comes back on registration. */
static void
test_denied (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *tech = NULL;
  gint64 start;

  e2e_env_sim_command (env, "fault deny");
  wait_registration ("denied", 5000);
  g_assert_false (context_active (1, NULL));
  tech = manager_string ("AccessTechnology");
  g_assert_cmpstr (tech, ==, "");
  start = g_get_monotonic_time ();
  path = e2e_try_open_session (env->bus, env->coap_port,
                               e2e_vardict ("timeout", g_variant_new_uint32 (2000), NULL),
                               OPEN_CALL_TIMEOUT_MS, &error);
  g_assert_null (path);
  e2e_assert_remote_error (error, "org.qcoapd.CoAP1.Error.NetworkFailure");
  g_assert_nonnull (strstr (error->message, "registration denied by the network"));
  g_assert_cmpint ((g_get_monotonic_time () - start) / 1000, >=, 1900);
  g_assert_cmpint ((g_get_monotonic_time () - start) / 1000, <, 5000);
  e2e_env_sim_command (env, "fault register");
  wait_registration ("home", 5000);
  wait_context_active (5000);
}

/* Searching: the error names it. Then three activations fail: the daemon
 * backs off and tries again until one works, within the Open's timeout. */
static void
test_searching_then_qiact_fails (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *log = NULL;
  gsize offset;
  gint64 start;

  e2e_env_sim_command (env, "fault deregister");
  wait_registration ("searching", 5000);
  path = e2e_try_open_session (env->bus, env->coap_port,
                               e2e_vardict ("timeout", g_variant_new_uint32 (1000), NULL),
                               OPEN_CALL_TIMEOUT_MS, &error);
  g_assert_null (path);
  e2e_assert_remote_error (error, "org.qcoapd.CoAP1.Error.NetworkFailure");
  g_assert_nonnull (strstr (error->message, "not registered: searching for a network"));
  g_clear_error (&error);

  e2e_env_sim_command (env, "fault qiact-fail=3");
  offset = e2e_env_sim_log_offset (env);
  start = g_get_monotonic_time ();
  e2e_env_sim_command (env, "fault register");
  path = e2e_try_open_session (env->bus, env->coap_port,
                               e2e_vardict ("timeout", g_variant_new_uint32 (30000), NULL),
                               OPEN_CALL_TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_test_message ("qiact-fail=3: the Open succeeded %" G_GINT64_FORMAT
                  " ms after registration, after back-off",
                  (g_get_monotonic_time () - start) / 1000);
  log = e2e_env_sim_log_since (env, offset);
  g_assert_cmpuint (count (log, "at-rx AT+QIACT=1"), >=, 4);
  e2e_assert_session_serves (env->bus, path);
  g_assert_true (e2e_try_close_session (env->bus, path, CLOSE_CALL_TIMEOUT_MS, NULL));
}

/* Coverage lost and back: a persistent session waits, then opens again. */
static void
test_deregister_register (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) owner = e2e_env_connect (env);
  g_autofree char *path = e2e_try_open_session (owner, env->coap_port, e2e_persistent (),
                                                OPEN_CALL_TIMEOUT_MS, &error);
  gint64 took;

  g_autofree char *plain = e2e_open_session (owner, env->coap_port, NULL);
  g_autofree char *plain_again = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) property = NULL;

  g_assert_no_error (error);
  e2e_env_sim_command (env, "fault deregister");
  wait_registration ("searching", 5000);
  e2e_env_wait_session_state (env, path, "opening", 5000);
  /* The plain session ended, and its path says why: Closed, not
   * UnknownObject, for a method call and a property read alike. */
  while (e2e_env_session_state (env, plain) != NULL)
    g_usleep (20 * 1000);
  reply = e2e_session_request (owner, plain, E2E_CODE_GET, NULL, NULL, &error);
  g_assert_null (reply);
  e2e_assert_remote_error (error, E2E_ERROR_PREFIX "Closed");
  g_assert_nonnull (strstr (error->message, "network-lost"));
  g_clear_error (&error);
  property = g_dbus_connection_call_sync (
      owner, E2E_BUS_NAME, plain, "org.freedesktop.DBus.Properties", "Get",
      g_variant_new ("(ss)", E2E_SESSION_IFACE, "State"), NULL, G_DBUS_CALL_FLAGS_NONE,
      E2E_CALL_TIMEOUT_MS, NULL, &error);
  g_assert_null (property);
  e2e_assert_remote_error (error, E2E_ERROR_PREFIX "Closed");
  g_clear_error (&error);
  property
      = g_dbus_connection_call_sync (owner, E2E_BUS_NAME, plain, "org.freedesktop.DBus.Properties",
                                     "GetAll", g_variant_new ("(s)", E2E_SESSION_IFACE), NULL,
                                     G_DBUS_CALL_FLAGS_NONE, E2E_CALL_TIMEOUT_MS, NULL, &error);
  g_assert_null (property);
  e2e_assert_remote_error (error, E2E_ERROR_PREFIX "Closed");
  g_clear_error (&error);
  e2e_env_sim_command (env, "fault register");
  took = e2e_env_wait_session_state (env, path, "open", 20000);
  g_test_message ("registration lost: the persistent session was open again %" G_GINT64_FORMAT
                  " ms after the module registered again",
                  took);
  e2e_assert_session_serves (env->bus, path);
  g_assert_true (e2e_try_close_session (env->bus, path, CLOSE_CALL_TIMEOUT_MS, NULL));
  /* A path is never used twice: the next session on that client ID has
   * another one, and the old one still answers Closed. */
  g_free (plain_again);
  plain_again = e2e_open_session (owner, env->coap_port, NULL);
  g_assert_cmpstr (plain_again, !=, plain);
  g_assert_cmpstr (plain_again, !=, path);
  reply = e2e_session_request (owner, plain, E2E_CODE_GET, NULL, NULL, &error);
  e2e_assert_remote_error (error, E2E_ERROR_PREFIX "Closed");
  e2e_close_session (owner, plain_again);
}

/* Calls made while a session waits for its context fail as they do while
 * it waits for a restarted modem; a message that reached the module just
 * after the drop (before its URC) is refused there: ModemError, not taken,
 * so no Ack is owed. */
static const char *const errors_of_a_dropped_call[] = {
  "Closed", "ModemUnavailable", "ModemError", "Timeout", "SendFailed", NULL,
};

static gboolean
all_open (Traffic *traffic)
{
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *state = e2e_env_session_state (env, traffic_session_path (traffic, i));

      if (g_strcmp0 (state, "open") != 0)
        return FALSE;
    }
  return TRUE;
}

/* The network drops the data call in the middle of six callers' traffic:
 * the daemon deactivates and activates the context, the persistent
 * sessions open again and serve, and every message the modem took gets
 * exactly one final Ack. */
static void
test_pdp_drop_under_traffic (void)
{
  TrafficConfig config = { .callers = 6,
                           .messages_per_caller = 60,
                           .window = 2,
                           .persistent = TRUE,
                           .request_timeout_ms = 20000 };
  g_autoptr (Traffic) traffic = traffic_new (env, &config);
  gsize offset = e2e_env_sim_log_offset (env);
  g_autofree char *log = NULL;
  const char *deact;
  gint64 dropped;

  traffic_start (traffic);
  g_assert_true (traffic_wait_replied (traffic, 60, 30000));
  e2e_env_sim_command (env, "pdp-drop");
  dropped = g_get_monotonic_time ();
  while (!all_open (traffic) || !context_active (1, NULL))
    {
      g_assert_cmpint (g_get_monotonic_time () - dropped, <, 30 * G_USEC_PER_SEC);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
  g_test_message ("data call dropped: six persistent sessions open again after %" G_GINT64_FORMAT
                  " ms",
                  (g_get_monotonic_time () - dropped) / 1000);
  g_assert_true (traffic_wait (traffic, 90000));
  traffic_check (traffic, errors_of_a_dropped_call);
  log = e2e_env_sim_log_since (env, offset);
  deact = strstr (log, "at-rx AT+QIDEACT=1");
  g_assert_nonnull (deact);
  g_assert_nonnull (strstr (deact, "at-rx AT+QIACT=1"));
  for (guint i = 0; i < 6; i++)
    e2e_assert_session_serves (env->bus, traffic_session_path (traffic, i));
  traffic_close (traffic);
  e2e_env_wait_free_clients (env, 6);
}

static GVariant *
command (const char *text, GError **error)
{
  return g_dbus_connection_call_sync (env->bus, "org.qcoapd.CoAP1", "/org/qcoapd/CoAP1",
                                      "org.qcoapd.CoAP1", "Command",
                                      g_variant_new ("(su)", text, 0), G_VARIANT_TYPE ("(s)"),
                                      G_DBUS_CALL_FLAGS_NONE, 10000, NULL, error);
}

static void
test_command (void)
{
  static const char *const refused[] = {
    "ATE1",
    "ATV0",
    "ATQ1",
    "ATZ",
    "AT&F",
    "ATI E1",
    "AT+CMEE=0",
    "AT+IPR=9600",
    "AT+IFC=2,2",
    "AT+QURCCFG=\"urcport\",\"uart1\"",
    "AT+CFUN=0",
    "AT+QCOAPCLOSE=0",
    "AT+CMEE =0",
    "AT+QCOA\bAPCLOSE=1",
    "AT +CFUN=0",
    "AT+QIDE\x03"
    "ACT=1",
    "AT+CGATT=0",
    "AT+QPOWD",
    "at+qcoapopen=1,\"127.0.0.1\",5683",
    "AT+QFDEL=\"UFS:0_server.psk\"",
    "AT+QSSLCFG=\"dtls\",0,1",
    "AT+QICSGP=1",
    "AT+QIACT=1",
    "AT+QIDEACT=1",
    "AT+CEREG=0",
    "AT+CGREG=0",
    "AT+CREG=0",
    "AT+CSQ;+QCOAPCLOSE=0",
    "CSQ",
    "AT+CSQ\r",
    "AT+CSQ\n",
    "AT+QFUPL=\"x\",1\x1a",
    "AT\x1b",
  };
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *long_text = g_strnfill (520, 'A');
  g_autofree char *log = NULL;
  gsize offset = e2e_env_sim_log_offset (env);
  const char *response;

  if (geteuid () != 0)
    {
      /* The daemon answers AccessDenied to anyone else. */
      g_test_skip ("Command is for root only");
      return;
    }
  reply = command ("AT+CSQ", &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(&s)", &response);
  g_assert_cmpstr (response, ==, "+CSQ: 25,99\nOK");
  g_clear_pointer (&reply, g_variant_unref);
  reply = command ("AT+QENG=\"servingcell\"", &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(&s)", &response);
  g_assert_true (g_str_has_prefix (response, "+QENG: \"servingcell\",\"NOCONN\",\"CAT-M1\""));
  g_assert_true (g_str_has_suffix (response, "\nOK"));
  g_clear_pointer (&reply, g_variant_unref);
  /* Read and test forms of the daemon's commands are fine. */
  reply = command ("AT+CEREG?", &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);
  reply = command ("AT+QCOAPCFG=?", &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);
  /* A read the module does not know: its ERROR comes back. */
  reply = command ("AT+CGDCONT?", &error);
  e2e_assert_remote_error (error, "org.qcoapd.CoAP1.Error.ModemError");
  g_assert_nonnull (strstr (error->message, "ERROR"));
  g_clear_error (&error);

  offset = e2e_env_sim_log_offset (env);
  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      reply = command (refused[i], &error);
      g_assert_null (reply);
      e2e_assert_remote_error (error, "org.qcoapd.CoAP1.Error.InvalidArgument");
      g_clear_error (&error);
    }
  reply = command (long_text, &error);
  e2e_assert_remote_error (error, "org.qcoapd.CoAP1.Error.InvalidArgument");
  /* Not one byte of them reached the modem. */
  log = e2e_env_sim_log_since (env, offset);
  g_assert_null (strstr (log, "at-rx "));
}

/* The APN password of the configuration is written to the modem, and
 * appears in no log line, property or status. */
static void
test_password_never_shown (void)
{
  g_autofree char *daemon_log = NULL;
  g_autoptr (GVariant) contexts = manager_property ("DataContexts");
  g_autofree char *printed = g_variant_print (contexts, TRUE);

  g_assert_true (g_file_get_contents (env->daemon_log_path, &daemon_log, NULL, NULL));
  g_assert_nonnull (strstr (daemon_log, "AT+QICSGP=1,1,\"iot.example\",\"gw\",\"********\",2"));
  g_assert_null (strstr (daemon_log, APN_PASSWORD));
  g_assert_null (strstr (printed, APN_PASSWORD));
}

int
main (int argc, char **argv)
{
  int status;
  const char *const sim_args[] = { "--attach-delay", ATTACH_DELAY_MS, NULL };
  E2eOptions options = {
    .sim_args = sim_args,
    .config_text = "[network]\nSignalInterval=5\n"
                   "[context 1]\nAPN=iot.example\nUsername=gw\nPassword=" APN_PASSWORD "\n"
                   "Authentication=chap\n",
  };

  g_test_init (&argc, &argv, NULL);
  /* In this order: the first one needs the module still searching. */
  g_test_add_func ("/network/boot-unregistered", test_boot_unregistered);
  g_test_add_func ("/network/properties", test_properties);
  g_test_add_func ("/network/denied", test_denied);
  g_test_add_func ("/network/searching-then-qiact-fails", test_searching_then_qiact_fails);
  g_test_add_func ("/network/deregister-register", test_deregister_register);
  g_test_add_func ("/network/pdp-drop-under-traffic", test_pdp_drop_under_traffic);
  g_test_add_func ("/network/command", test_command);
  g_test_add_func ("/network/password-never-shown", test_password_never_shown);

  env = e2e_env_start (&options);
  status = g_test_run ();
  if (!e2e_env_stop (env, status != 0))
    status = 1;
  return status;
}
