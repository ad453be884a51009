/* SPDX-License-Identifier: MIT */
/* test-field-evidence.c — what real modules do beyond the application note,
 * end to end through D-Bus → qcoapd → bg96-sim → coap-server:
 * a response larger than one datagram arrives as its first block, with
 * Block2 and Size2 typed as numbers; the DTLS cipher suite of the
 * configuration reaches the modem; NORMAL POWER DOWN is a restart. */
#include <string.h>

#include "e2e-env.h"
#include "e2e-session.h"
#include "harness.h"

#define IDENTITY "qcoapd-field-test"
#define KEY      "field-evidence-psk"
/* Written in lower case in the configuration: the daemon normalises it. */
#define CIPHER_SUITE_CONFIG "0x00ae"
#define CIPHER_SUITE_AT     "0X00AE"

#define OPTION_BLOCK2 23
#define OPTION_SIZE2  28
#define BLOCK_MORE    0x08 /* the M bit of a Block option's value */
#define BLOCK_SZX     0x07
/* coap-server's /example_data before anyone writes it (measured: libcoap
 * 4.3.1 starts it at 1500 bytes, more than one 1024-byte datagram). */
#define EXAMPLE_DATA_SIZE 1500

static E2eEnv *env;
static HarnessCoapServer *dtls_server;
static char *dtls_dir;

/* ---- helpers ------------------------------------------------------------------------- */

/* The manager's one-shot Request: GET @uri, nothing else. */
static GVariant *
get (const char *uri)
{
  g_autoptr (GError) error = NULL;
  GVariant *reply = g_dbus_connection_call_sync (
      env->bus, "org.qcoapd.CoAP1", "/org/qcoapd/CoAP1", "org.qcoapd.CoAP1", "Request",
      g_variant_new ("(sy@a(qv)@ay@a{sv})", uri, 1, e2e_no_options (), e2e_bytes (NULL, 0),
                     e2e_no_flags ()),
      G_VARIANT_TYPE ("(ya(qv)ay)"), G_DBUS_CALL_FLAGS_NONE, E2E_CALL_TIMEOUT_MS, NULL, &error);

  g_assert_no_error (error);
  return reply;
}

/* The value of option @number in an a(qv), which must be a u. */
static guint32
uint_option (GVariant *options, guint16 number)
{
  for (gsize i = 0; i < g_variant_n_children (options); i++)
    {
      guint16 found;
      g_autoptr (GVariant) value = NULL;

      g_variant_get_child (options, i, "(qv)", &found, &value);
      if (found != number)
        continue;
      if (!g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
        g_error ("option %u came back as %s, not u", number, g_variant_get_type_string (value));
      return g_variant_get_uint32 (value);
    }
  g_error ("option %u is missing", number);
}

/* ---- tests ------------------------------------------------------------------------- */

/* GET of a resource larger than a datagram: the server answers block-wise
 * on its own, the modem reports the first block, and the caller gets it as
 * it is, Block2 (block 0, more to come) and Size2 typed as u. */
static void
test_first_block (void)
{
  g_autofree char *uri
      = g_strdup_printf ("coap://127.0.0.1:%u/example_data", (guint)env->coap_port);
  g_autoptr (GVariant) reply = get (uri);
  g_autoptr (GVariant) options = NULL;
  g_autoptr (GVariant) payload = NULL;
  guint8 code;
  guint32 block2;

  g_variant_get (reply, "(y@a(qv)@ay)", &code, &options, &payload);
  g_assert_cmpuint (code, ==, 69);
  block2 = uint_option (options, OPTION_BLOCK2);
  g_assert_cmpuint (block2 >> 4, ==, 0);
  g_assert_cmphex (block2 & BLOCK_MORE, ==, BLOCK_MORE);
  g_assert_cmpuint (g_variant_n_children (payload), ==, 16u << (block2 & BLOCK_SZX));
  g_assert_cmpuint (uint_option (options, OPTION_SIZE2), ==, EXAMPLE_DATA_SIZE);
}

/* A DTLS session with the configured cipher suite: the daemon sets it on
 * the session's DTLS context after the DTLS version and before it turns
 * DTLS on for the client, and the session works. */
static void
test_cipher_suite (void)
{
  gsize offset = e2e_env_sim_log_offset (env);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autofree char *uri
      = g_strdup_printf ("coaps://127.0.0.1:%u/time", (guint)dtls_server->port + 1);
  g_autofree char *log = NULL;
  const char *version;
  const char *suite;
  const char *enable;
  guint8 code;

  reply = g_dbus_connection_call_sync (
      env->bus, "org.qcoapd.CoAP1", "/org/qcoapd/CoAP1", "org.qcoapd.CoAP1", "Request",
      g_variant_new ("(sy@a(qv)@ay@a{sv})", uri, 1, e2e_no_options (), e2e_bytes (NULL, 0),
                     e2e_vardict ("dtls-psk-identity", g_variant_new_string (IDENTITY),
                                  "dtls-psk-key", e2e_bytes (KEY, strlen (KEY)), NULL)),
      G_VARIANT_TYPE ("(ya(qv)ay)"), G_DBUS_CALL_FLAGS_NONE, E2E_CALL_TIMEOUT_MS, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(y@a(qv)@ay)", &code, NULL, NULL);
  g_assert_cmpuint (code, ==, 69);

  log = e2e_env_wait_sim_log (env, offset, "at-rx AT+QCOAPCFG=\"dtls\",");
  version = strstr (log, "at-rx AT+QSSLCFG=\"dtlsversion\",");
  suite = strstr (log, "at-rx AT+QSSLCFG=\"ciphersuite\",");
  enable = strstr (log, "at-rx AT+QCOAPCFG=\"dtls\",");
  g_assert_nonnull (version);
  g_assert_nonnull (suite);
  g_assert_true (version < suite && suite < enable);
  /* The same context as the DTLS version, and the suite as the modem
   * prints it. */
  g_assert_cmpint (version[strlen ("at-rx AT+QSSLCFG=\"dtlsversion\",")], ==,
                   suite[strlen ("at-rx AT+QSSLCFG=\"ciphersuite\",")]);
  g_assert_true (g_str_has_prefix (suite + strlen ("at-rx AT+QSSLCFG=\"ciphersuite\",N"),
                                   "," CIPHER_SUITE_AT "\n"));
  e2e_env_wait_free_clients (env, 6);
}

typedef struct
{
  char *reason;
  gboolean sim_had_booted; /* the sim log showed the boot when Closed came */
  gsize log_offset;
} ClosedSeen;

static void
on_closed (GDBusConnection *connection, const char *sender, const char *path, const char *interface,
           const char *member, GVariant *parameters, gpointer user_data)
{
  ClosedSeen *seen = user_data;
  g_autofree char *log = e2e_env_sim_log_since (env, seen->log_offset);

  g_variant_get (parameters, "(s)", &seen->reason);
  seen->sim_had_booted = strstr (log, "urc RDY") != NULL;
}

static gpointer
reboot_sim (gpointer line)
{
  g_autofree char *command = g_strdup_printf ("reboot %s", (const char *)line);

  return e2e_env_sim_control (env, command);
}

/* Some firmware prints NORMAL POWER DOWN where the BG96 prints POWERED
 * DOWN. The daemon takes it for the restart it is: the session ends with
 * Closed("modem-reset") during the modem's silence, before it boots again
 * (RDY), and the modem is ready again afterwards. */
static void
test_normal_power_down (void)
{
  g_autofree char *path = e2e_open_session (env->bus, env->coap_port, NULL);
  ClosedSeen seen = { .log_offset = e2e_env_sim_log_offset (env) };
  guint subscription = g_dbus_connection_signal_subscribe (
      env->bus, "org.qcoapd.CoAP1", "org.qcoapd.CoAP1.Session", "Closed", path, NULL,
      G_DBUS_SIGNAL_FLAGS_NONE, on_closed, &seen, NULL);
  GThread *reboot = g_thread_new ("reboot", reboot_sim, "NORMAL POWER DOWN");
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  g_autofree char *answer = NULL;

  while (seen.reason == NULL && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  answer = g_thread_join (reboot);
  g_dbus_connection_signal_unsubscribe (env->bus, subscription);
  g_assert_cmpstr (answer, ==, "OK booted");
  g_assert_cmpstr (seen.reason, ==, "modem-reset");
  g_assert_false (seen.sim_had_booted);
  g_free (seen.reason);
  g_assert_true (e2e_env_wait_modem_state (env, "ready", 20000));
  e2e_env_wait_free_clients (env, 6);
}

int
main (int argc, char **argv)
{
  int status;
  E2eOptions options = { .config_text = "[dtls]\nCipherSuite=" CIPHER_SUITE_CONFIG "\n" };
  const char *dtls_args[] = { "-k", KEY, NULL };
  g_autoptr (GError) error = NULL;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/field/first-block", test_first_block);
  g_test_add_func ("/field/cipher-suite", test_cipher_suite);
  /* Last: it restarts the modem. */
  g_test_add_func ("/field/normal-power-down", test_normal_power_down);

  env = e2e_env_start (&options);
  dtls_dir = harness_make_temp_dir ();
  dtls_server = harness_coap_server_start (dtls_dir, dtls_args, &error);
  g_assert_no_error (error);
  status = g_test_run ();
  g_clear_pointer (&dtls_server, harness_coap_server_free);
  if (!e2e_env_stop (env, status != 0))
    status = 1;
  if (status == 0)
    harness_remove_temp_dir (dtls_dir);
  g_free (dtls_dir);
  return status;
}
