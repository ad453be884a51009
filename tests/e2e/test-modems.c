/* SPDX-License-Identifier: MIT */
/* test-modems.c — two modems on one gateway: two simulators, each on its
 * own pty with its own IMEI (the second with a network of 20 ms each way),
 * and one qcoapd configured with [modem] and [modem second]. Twelve client
 * IDs as one pool, Open and the one-shot Request on a named modem, the
 * choice while one modem is gone, a restart that keeps the sessions of
 * both, failover, and the next header written while a request waits. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "e2e-env.h"
#include "e2e-session.h"
#include "harness.h"

#define MODEM_IFACE   "org.qcoapd.CoAP1.Modem"
#define SECOND_NAME   "second"
#define SECOND_IMEI   "866425030765432"
#define CLIENTS       6
#define SHARED_APN    "iot.example"
#define PSK_IDENTITY  "gateway"
#define PSK_KEY       "Mx4-failover-psk-7Qe"
#define SECOND_APN    "second.example"
#define SIM_TIMEOUT   15000
#define STATE_TIMEOUT 30000
/* FailoverDelay= of the test's configuration, s. */
#define FAILOVER_DELAY_S 1
/* The delay, and time to open on the other modem. */
#define MOVE_TIMEOUT (FAILOVER_DELAY_S * 1000 + 20000)

static E2eEnv *env;
static HarnessSim *second;
static char *second_dir;
/* coap-server with a pre-shared key: CoAP over DTLS on its port + 1. */
static HarnessCoapServer *dtls_server;
static char *dtls_dir;

/* ---- helpers ---- */

/* The manager's Modems. */
static GStrv
modem_paths (void)
{
  g_autoptr (GVariant) value
      = e2e_env_get_property (env, E2E_MANAGER_PATH, E2E_MANAGER_IFACE, "Modems");

  g_assert_nonnull (value);
  return g_variant_dup_objv (value, NULL);
}

static char *
modem_string (const char *path, const char *name)
{
  g_autoptr (GVariant) value = e2e_env_get_property (env, path, MODEM_IFACE, name);

  g_assert_nonnull (value);
  return g_variant_dup_string (value, NULL);
}

static guint8
modem_free_clients (const char *path)
{
  g_autoptr (GVariant) value = e2e_env_get_property (env, path, MODEM_IFACE, "FreeClients");

  g_assert_nonnull (value);
  return g_variant_get_byte (value);
}

static char *
session_modem (const char *session)
{
  g_autoptr (GVariant) value = e2e_env_get_property (env, session, E2E_SESSION_IFACE, "Modem");

  g_assert_nonnull (value);
  return g_variant_dup_string (value, NULL);
}

static char *
second_path (void)
{
  g_auto (GStrv) paths = modem_paths ();

  g_assert_cmpuint (g_strv_length (paths), ==, 2);
  return g_strdup (paths[1]);
}

static gsize
second_log_offset (void)
{
  g_autofree char *log = NULL;
  gsize length = 0;

  g_file_get_contents (second->log_path, &log, &length, NULL);
  return length;
}

static char *
second_log_since (gsize offset)
{
  g_autofree char *log = NULL;
  gsize length = 0;

  g_assert_true (g_file_get_contents (second->log_path, &log, &length, NULL));
  return g_strdup (log + MIN (offset, length));
}

static void
second_command (const char *command)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = harness_sim_control (second, command, SIM_TIMEOUT, &error);

  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (answer, "OK"));
}

/* A one-shot GET /time with @flags; its response code, or 0 and @error. */
static guint8
one_shot_get (GVariant *flags, GError **error)
{
  g_autofree char *uri = g_strdup_printf ("coap://127.0.0.1:%u/time", env->coap_port);
  g_autoptr (GVariant) reply = NULL;
  guint8 code = 0;

  reply = e2e_call (env->bus, E2E_MANAGER_PATH, E2E_MANAGER_IFACE, "Request",
                    g_variant_new ("(sy@a(qv)@ay@a{sv})", uri, E2E_CODE_GET,
                                   g_variant_new_array (G_VARIANT_TYPE ("(qv)"), NULL, 0),
                                   g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, NULL, 0, 1),
                                   flags ? flags : e2e_no_flags ()),
                    error);
  if (reply != NULL)
    g_variant_get (reply, "(y@a(qv)@ay)", &code, NULL, NULL);
  return code;
}

static GVariant *
on_modem (const char *modem)
{
  return e2e_vardict ("modem", g_variant_new_string (modem), NULL);
}

/* ---- the tests ---- */

/* Each modem is an object with its own facts; the manager's are the
 * first modem's. */
static void
test_objects (void)
{
  g_auto (GStrv) paths = modem_paths ();
  g_autofree char *first_name = NULL, *second_name = NULL;
  g_autofree char *first_imei = NULL, *second_imei = NULL;
  g_autofree char *manager_imei = NULL, *device = NULL;
  g_autoptr (GVariant) manager_imei_value = NULL;

  g_assert_cmpuint (g_strv_length (paths), ==, 2);
  g_assert_cmpstr (paths[0], ==, "/org/qcoapd/CoAP1/Modem/1");
  first_name = modem_string (paths[0], "Name");
  second_name = modem_string (paths[1], "Name");
  g_assert_cmpstr (first_name, ==, "default");
  g_assert_cmpstr (second_name, ==, SECOND_NAME);
  e2e_env_wait_property (env, paths[1], MODEM_IFACE, "State", "ready", STATE_TIMEOUT);
  first_imei = modem_string (paths[0], "Imei");
  second_imei = modem_string (paths[1], "Imei");
  g_assert_cmpstr (second_imei, ==, SECOND_IMEI);
  g_assert_cmpstr (first_imei, !=, second_imei);
  manager_imei_value = e2e_env_get_property (env, E2E_MANAGER_PATH, E2E_MANAGER_IFACE, "Imei");
  g_assert_cmpstr (g_variant_get_string (manager_imei_value, NULL), ==, first_imei);
  device = modem_string (paths[1], "Device");
  g_assert_cmpstr (device, ==, second->link_path);
  g_assert_cmpuint (modem_free_clients (paths[1]), ==, CLIENTS);
}

/* [context 1] is every modem's unless a modem has its own
 * [modem NAME context 1]: each module got its APN. */
static void
test_own_context (void)
{
  g_autofree char *first = e2e_env_sim_log_since (env, 0);
  g_autofree char *other = second_log_since (0);

  g_assert_nonnull (strstr (first, "at-rx AT+QICSGP=1,1,\"" SHARED_APN "\""));
  g_assert_null (strstr (first, SECOND_APN));
  g_assert_nonnull (strstr (other, "at-rx AT+QICSGP=1,1,\"" SECOND_APN "\""));
  g_assert_null (strstr (other, SHARED_APN));
}

/* Twelve sessions at once, six on each modem, all serving; a thirteenth
 * finds no client ID. */
static void
test_twelve (void)
{
  g_auto (GStrv) paths = modem_paths ();
  char *sessions[2 * CLIENTS];
  guint on_second = 0;
  g_autoptr (GError) error = NULL;
  g_autofree char *thirteenth = NULL;

  e2e_env_wait_property (env, paths[1], MODEM_IFACE, "Registration", "home", STATE_TIMEOUT);
  for (guint i = 0; i < G_N_ELEMENTS (sessions); i++)
    {
      g_autofree char *modem = NULL;

      sessions[i] = e2e_open_session (env->bus, env->coap_port, NULL);
      modem = session_modem (sessions[i]);
      on_second += g_str_equal (modem, paths[1]);
    }
  g_assert_cmpuint (on_second, ==, CLIENTS);
  g_assert_cmpuint (modem_free_clients (paths[0]), ==, 0);
  g_assert_cmpuint (modem_free_clients (paths[1]), ==, 0);
  thirteenth = e2e_try_open_session (env->bus, env->coap_port, NULL, E2E_CALL_TIMEOUT_MS, &error);
  g_assert_null (thirteenth);
  e2e_assert_remote_error (error, E2E_ERROR_PREFIX "NoFreeClient");
  e2e_assert_session_serves (env->bus, sessions[0]);
  e2e_assert_session_serves (env->bus, sessions[2 * CLIENTS - 1]);
  for (guint i = 0; i < G_N_ELEMENTS (sessions); i++)
    {
      e2e_close_session (env->bus, sessions[i]);
      g_free (sessions[i]);
    }
  e2e_env_wait_free_clients (env, CLIENTS);
}

/* Open with "modem" lands there, by name or by path, and its AT traffic
 * goes to that modem's port; an unknown modem is refused. */
static void
test_named (void)
{
  g_autofree char *path = second_path ();
  gsize first_offset = e2e_env_sim_log_offset (env);
  gsize offset = second_log_offset ();
  g_autofree char *by_name = e2e_open_session (env->bus, env->coap_port, on_modem (SECOND_NAME));
  g_autofree char *by_path = e2e_open_session (env->bus, env->coap_port, on_modem (path));
  g_autofree char *modem = session_modem (by_name);
  g_autofree char *log = second_log_since (offset);
  g_autofree char *first_log = e2e_env_sim_log_since (env, first_offset);
  g_autoptr (GError) error = NULL;
  g_autofree char *unknown = NULL;

  g_assert_cmpstr (modem, ==, path);
  g_clear_pointer (&modem, g_free);
  modem = session_modem (by_path);
  g_assert_cmpstr (modem, ==, path);
  g_assert_nonnull (strstr (log, "AT+QCOAPOPEN="));
  g_assert_null (strstr (first_log, "AT+QCOAPOPEN="));
  e2e_assert_session_serves (env->bus, by_name);
  first_offset = e2e_env_sim_log_offset (env);
  offset = second_log_offset ();
  unknown = e2e_try_open_session (env->bus, env->coap_port, on_modem ("third"), E2E_CALL_TIMEOUT_MS,
                                  &error);
  g_assert_null (unknown);
  e2e_assert_remote_error (error, E2E_ERROR_PREFIX "InvalidArgument");
  g_assert_nonnull (strstr (error->message, SECOND_NAME));
  /* Refused before anything reached either modem. */
  e2e_env_assert_no_at_traffic (env, first_offset, "an Open on an unknown modem");
  g_clear_pointer (&log, g_free);
  log = second_log_since (offset);
  g_assert_null (strstr (log, "at-rx AT+QCOAP"));
  e2e_close_session (env->bus, by_name);
  e2e_close_session (env->bus, by_path);
}

/* The one-shot Request takes "modem" too. */
static void
test_one_shot_named (void)
{
  gsize offset = second_log_offset ();
  g_autoptr (GError) error = NULL;
  g_autofree char *log = NULL;

  g_assert_cmpuint (one_shot_get (on_modem (SECOND_NAME), &error), ==, E2E_CODE_CONTENT);
  g_assert_no_error (error);
  log = second_log_since (offset);
  g_assert_nonnull (strstr (log, "AT+QCOAPSEND="));
}

/* While the second modem is unplugged, Opens and one-shot Requests go to
 * the first; once it is back it takes sessions again. */
static void
test_one_gone (void)
{
  g_autofree char *path = second_path ();
  g_autoptr (GError) error = NULL;
  char *sessions[3];

  second_command ("unplug");
  e2e_env_wait_property (env, path, MODEM_IFACE, "State", "absent", STATE_TIMEOUT);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (GError) request_error = NULL;

      g_assert_cmpuint (one_shot_get (NULL, &request_error), ==, E2E_CODE_CONTENT);
      g_assert_no_error (request_error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (sessions); i++)
    {
      g_autofree char *modem = NULL;

      sessions[i] = e2e_open_session (env->bus, env->coap_port, NULL);
      modem = session_modem (sessions[i]);
      g_assert_cmpstr (modem, !=, path);
    }
  g_assert_null (e2e_try_open_session (env->bus, env->coap_port, on_modem (SECOND_NAME),
                                       E2E_CALL_TIMEOUT_MS, &error));
  e2e_assert_remote_error (error, E2E_ERROR_PREFIX "ModemUnavailable");
  second_command ("replug");
  e2e_env_wait_property (env, path, MODEM_IFACE, "State", "ready", STATE_TIMEOUT);
  e2e_env_wait_property (env, path, MODEM_IFACE, "Registration", "home", STATE_TIMEOUT);
  {
    g_autofree char *back = e2e_open_session (env->bus, env->coap_port, NULL);
    g_autofree char *modem = session_modem (back);

    /* The first holds three sessions, the second none: it is chosen. */
    g_assert_cmpstr (modem, ==, path);
    e2e_assert_session_serves (env->bus, back);
    e2e_close_session (env->bus, back);
  }
  for (guint i = 0; i < G_N_ELEMENTS (sessions); i++)
    {
      e2e_close_session (env->bus, sessions[i]);
      g_free (sessions[i]);
    }
}

/* A restart of qcoapd keeps the persistent sessions of both modems: same
 * paths, same modems, and both serve. */
static void
test_restart (void)
{
  g_autofree char *path = second_path ();
  GVariant *first_options = e2e_persistent ();
  g_autofree char *on_first = NULL;
  g_autofree char *on_second = NULL;
  g_autofree char *first_modem = NULL;
  g_autofree char *modem = NULL;

  on_first = e2e_open_session (env->bus, env->coap_port, first_options);
  first_modem = session_modem (on_first);
  on_second = e2e_open_session (env->bus, env->coap_port,
                                e2e_vardict ("persistent", g_variant_new_boolean (TRUE), "modem",
                                             g_variant_new_string (SECOND_NAME), NULL));
  g_assert_cmpstr (first_modem, !=, path);
  g_assert_cmpint (e2e_env_kill_daemon (env, SIGTERM), ==, 0);
  e2e_env_restart_daemon (env);
  e2e_env_wait_property (env, path, MODEM_IFACE, "State", "ready", STATE_TIMEOUT);
  modem = session_modem (on_second);
  g_assert_cmpstr (modem, ==, path);
  g_clear_pointer (&modem, g_free);
  modem = session_modem (on_first);
  g_assert_cmpstr (modem, ==, first_modem);
  e2e_assert_session_serves (env->bus, on_first);
  e2e_assert_session_serves (env->bus, on_second);
  e2e_close_session (env->bus, on_first);
  e2e_close_session (env->bus, on_second);
}

/* ---- failover ---- */

static char *
first_path (void)
{
  g_auto (GStrv) paths = modem_paths ();

  return g_strdup (paths[0]);
}

static char *
open_persistent (const char *modem)
{
  GVariant *options = modem ? e2e_vardict ("persistent", g_variant_new_boolean (TRUE), "modem",
                                           g_variant_new_string (modem), NULL)
                            : e2e_persistent ();

  return e2e_open_session (env->bus, env->coap_port, options);
}

/* @session is on @modem, open, and serves there. */
static void
assert_serves_on (const char *session, const char *modem)
{
  g_autofree char *now = NULL;

  e2e_env_wait_property (env, session, E2E_SESSION_IFACE, "Modem", modem, MOVE_TIMEOUT);
  e2e_env_wait_session_state (env, session, "open", MOVE_TIMEOUT);
  now = session_modem (session);
  g_assert_cmpstr (now, ==, modem);
  e2e_assert_session_serves (env->bus, session);
}

/* Waits until the modem at @path reports its signal again (after a
 * registration it is read anew). */
static void
wait_signal (const char *path)
{
  gint64 deadline = g_get_monotonic_time () + STATE_TIMEOUT * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr (GVariant) signal = e2e_env_get_property (env, path, MODEM_IFACE, "Signal");

      if (signal != NULL && g_variant_n_children (signal) > 0)
        return;
      g_usleep (20000);
    }
  g_error ("%s reports no signal", path);
}

/* Idle modems with equal signals: the first is chosen. */
static char *
open_persistent_on_first (void)
{
  g_autofree char *first = first_path ();
  g_autofree char *other = second_path ();
  char *session;

  wait_signal (first);
  wait_signal (other);
  session = open_persistent (NULL);

  assert_serves_on (session, first);
  return session;
}

/* The first modem is unplugged: the session that did not name it opens on
 * the second, same path; the one that named it waits, and serves again
 * when its modem is back. */
static void
test_failover_unplug (void)
{
  g_autofree char *first = first_path ();
  g_autofree char *other = second_path ();
  g_autofree char *moving = open_persistent_on_first ();
  g_autofree char *pinned = open_persistent ("default");
  gsize offset = second_log_offset ();
  g_autofree char *log = NULL;
  g_autofree char *modem = NULL;
  g_autofree char *state = NULL;
  gint64 start = g_get_monotonic_time ();

  e2e_env_sim_command (env, "unplug");
  e2e_env_wait_modem_state (env, "absent", STATE_TIMEOUT);
  assert_serves_on (moving, other);
  g_test_message ("open and serving on the other modem %" G_GINT64_FORMAT " ms after the unplug",
                  (g_get_monotonic_time () - start) / G_TIME_SPAN_MILLISECOND);
  log = second_log_since (offset);
  g_assert_nonnull (strstr (log, "AT+QCOAPOPEN="));
  modem = session_modem (pinned);
  g_assert_cmpstr (modem, ==, first);
  state = e2e_env_session_state (env, pinned);
  g_assert_cmpstr (state, ==, "opening");
  e2e_env_sim_command (env, "replug");
  g_assert_true (e2e_env_wait_modem_state (env, "ready", STATE_TIMEOUT));
  assert_serves_on (pinned, first);
  /* It stays where it moved. */
  assert_serves_on (moving, other);
  e2e_close_session (env->bus, moving);
  e2e_close_session (env->bus, pinned);
}

/* The first modem is put away by the simulator's @fault: its session moves
 * once the delay is over and serves on the second; @restore (or nothing)
 * brings the first back, registered. */
static void
assert_moves_after (const char *fault, const char *restore)
{
  g_autofree char *first = first_path ();
  g_autofree char *other = second_path ();
  g_autofree char *moving = open_persistent_on_first ();

  e2e_env_sim_command (env, fault);
  assert_serves_on (moving, other);
  if (restore)
    e2e_env_sim_command (env, restore);
  e2e_env_wait_property (env, first, MODEM_IFACE, "Registration", "home", STATE_TIMEOUT);
  e2e_close_session (env->bus, moving);
}

/* The first modem loses the network. */
static void
test_failover_deregister (void)
{
  assert_moves_after ("fault deregister", "fault register");
}

/* The first modem restarts (longer than the delay, with its boot and
 * registration). */
static void
test_failover_reset (void)
{
  assert_moves_after ("reboot", NULL);
}

/* ---- the header ahead of time ---- */

/* A caller that waits for each response: while a request waits for the
 * network (the second simulator delays every datagram), the next header
 * goes to the modem, so the next request is one AT+QCOAPSEND after the
 * response. In the second modem's log no AT+QCOAPHEADER comes between a
 * response and the next AT+QCOAPSEND, and no message ID is written twice. */
static void
test_header_ahead (void)
{
  g_autofree char *path = e2e_open_session (env->bus, env->coap_port, on_modem (SECOND_NAME));
  gsize offset = second_log_offset ();
  g_autofree char *log = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GHashTable) headers = g_hash_table_new (NULL, NULL);
  gboolean after_response = FALSE;
  guint sends = 0;

  for (guint i = 0; i < 5; i++)
    e2e_assert_session_serves (env->bus, path);
  log = second_log_since (offset);
  lines = g_strsplit (log, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      const char *header = strstr (lines[i], "at-rx AT+QCOAPHEADER=");
      guint id, message_id;

      if (strstr (lines[i], "+QCOAPRECV:"))
        after_response = TRUE;
      else if (strstr (lines[i], "at-rx AT+QCOAPSEND="))
        {
          after_response = FALSE;
          sends++;
        }
      else if (header && sscanf (header, "at-rx AT+QCOAPHEADER=%u,%u,", &id, &message_id) == 2)
        {
          if (after_response)
            g_error ("a header written after a response, on the critical path: %s", lines[i]);
          g_assert_false (g_hash_table_contains (headers, GUINT_TO_POINTER (message_id)));
          g_hash_table_add (headers, GUINT_TO_POINTER (message_id));
        }
    }
  g_assert_cmpuint (sends, ==, 5);
  /* The first request's header, and the next one's ahead of each. */
  g_assert_cmpuint (g_hash_table_size (headers), ==, 6);
  e2e_close_session (env->bus, path);
}

/* A DTLS session moves too while its key is in memory: the other module
 * gets the key file and the handshake, and the session serves over DTLS
 * there. */
static void
test_failover_dtls (void)
{
  g_autofree char *first = first_path ();
  g_autofree char *other = second_path ();
  guint16 port = dtls_server->port + 1;
  gsize offset;
  g_autofree char *log = NULL;
  g_autofree char *moving = NULL;

  wait_signal (first);
  wait_signal (other);
  moving = e2e_open_session (env->bus, port,
                             e2e_vardict ("persistent", g_variant_new_boolean (TRUE),
                                          "dtls-psk-identity", g_variant_new_string (PSK_IDENTITY),
                                          "dtls-psk-key", e2e_bytes (PSK_KEY, strlen (PSK_KEY)),
                                          NULL));
  assert_serves_on (moving, first);
  offset = second_log_offset ();
  e2e_env_sim_command (env, "unplug");
  assert_serves_on (moving, other);
  log = second_log_since (offset);
  g_assert_nonnull (strstr (log, "at-rx AT+QFUPL="));
  g_assert_nonnull (strstr (log, "at-rx AT+QCOAPCFG=\"dtls\""));
  e2e_env_sim_command (env, "replug");
  g_assert_true (e2e_env_wait_modem_state (env, "ready", STATE_TIMEOUT));
  e2e_env_wait_property (env, first, MODEM_IFACE, "Registration", "home", STATE_TIMEOUT);
  e2e_close_session (env->bus, moving);
}

int
main (int argc, char **argv)
{
  /* The second module's network takes 20 ms each way, as a cellular one
   * takes more: a request waits for it. */
  const char *const dtls_args[] = { "-k", PSK_KEY, NULL };
  const char *const second_args[] = { "--imei", SECOND_IMEI, "--net-delay", "20", NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *config = NULL;
  /* The first modem takes 3 s from a restart to its registration: longer
   * than the failover delay, whatever the timing. */
  const char *const first_args[] = { "--attach-delay", "3000", NULL };
  E2eOptions options = { .sim_args = first_args };
  int status;

  g_test_init (&argc, &argv, NULL);
  second_dir = harness_make_temp_dir ();
  second = harness_sim_start (second_dir, second_args, &error);
  g_assert_no_error (error);
  dtls_dir = harness_make_temp_dir ();
  dtls_server = harness_coap_server_start (dtls_dir, dtls_args, &error);
  g_assert_no_error (error);
  /* [modem] is the first modem, the test's own simulator (--device). */
  config = g_strdup_printf ("[modem]\n\n[modem %s]\nDevice=%s\n\n[service]\nFailoverDelay=%d\n\n"
                            "[context 1]\nAPN=" SHARED_APN
                            "\n\n[modem %s context 1]\nAPN=" SECOND_APN "\n",
                            SECOND_NAME, second->link_path, FAILOVER_DELAY_S, SECOND_NAME);
  options.config_text = config;
  g_test_add_func ("/modems/objects", test_objects);
  g_test_add_func ("/modems/own-context", test_own_context);
  g_test_add_func ("/modems/twelve", test_twelve);
  g_test_add_func ("/modems/named", test_named);
  g_test_add_func ("/modems/one-shot-named", test_one_shot_named);
  g_test_add_func ("/modems/header-ahead", test_header_ahead);
  g_test_add_func ("/modems/one-gone", test_one_gone);
  g_test_add_func ("/modems/restart", test_restart);
  g_test_add_func ("/modems/failover/unplug", test_failover_unplug);
  g_test_add_func ("/modems/failover/deregister", test_failover_deregister);
  g_test_add_func ("/modems/failover/reset", test_failover_reset);
  g_test_add_func ("/modems/failover/dtls", test_failover_dtls);
  env = e2e_env_start (&options);
  status = g_test_run ();
  if (!e2e_env_stop (env, status != 0))
    status = 1;
  harness_sim_free (second);
  harness_remove_temp_dir (second_dir);
  g_free (second_dir);
  harness_coap_server_free (dtls_server);
  harness_remove_temp_dir (dtls_dir);
  g_free (dtls_dir);
  return status;
}
