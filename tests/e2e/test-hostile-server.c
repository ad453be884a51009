/* SPDX-License-Identifier: MIT */
/* test-hostile-server.c — a CoAP server cannot write AT lines.
 *
 * D-Bus Request → qcoapd → bg96-sim → UDP → a hostile server of our own
 * (hostile-peer.c) whose responses are larger than anything the modem sends
 * and whose payloads look like the modem's output: a +QCOAPRECV for client
 * 1, an RDY, a final result, a prompt. The caller must get the response byte
 * for byte; a second caller's session on client 1 must hear nothing of it,
 * and no session may end and the modem stay ready. */
#include <string.h>

#include "e2e-env.h"
#include "e2e-session.h"
#include "hostile-peer.h"

#define ATTACKED_ID 0
#define VICTIM_ID   1
/* A response the daemon cannot read is not delivered; the call ends when
 * its own timeout does, if nothing else ends it first. */
#define UNREADABLE_TIMEOUT_MS 3000

static E2eEnv *env;
static HostilePeer *peer;

/* A caller with its own bus connection and one session. */
typedef struct
{
  GDBusConnection *connection;
  char *path;
  guint subscription;
  GPtrArray *received; /* GVariant: the arguments of each Received */
  guint closed;
  guint requests; /* Requests answered, each also a Received */
} Caller;

static Caller *attacked;
static Caller *victim;

static void
on_signal (GDBusConnection *connection, const char *sender, const char *path, const char *interface,
           const char *member, GVariant *parameters, gpointer user_data)
{
  Caller *caller = user_data;

  if (g_str_equal (member, "Received"))
    g_ptr_array_add (caller->received, g_variant_ref (parameters));
  else if (g_str_equal (member, "Closed"))
    caller->closed++;
}

static Caller *
caller_new (guint8 client_id, guint16 port)
{
  Caller *caller = g_new0 (Caller, 1);

  caller->connection = e2e_env_connect (env);
  caller->received = g_ptr_array_new_with_free_func ((GDestroyNotify)g_variant_unref);
  caller->path = e2e_open_session (caller->connection, port,
                                   e2e_vardict ("client-id", g_variant_new_byte (client_id), NULL));
  caller->subscription = g_dbus_connection_signal_subscribe (
      caller->connection, "org.qcoapd.CoAP1", "org.qcoapd.CoAP1.Session", NULL, caller->path, NULL,
      G_DBUS_SIGNAL_FLAGS_NONE, on_signal, caller, NULL);
  return caller;
}

static void
caller_free (Caller *caller)
{
  g_dbus_connection_signal_unsubscribe (caller->connection, caller->subscription);
  g_dbus_connection_close_sync (caller->connection, NULL, NULL);
  g_object_unref (caller->connection);
  g_ptr_array_unref (caller->received);
  g_free (caller->path);
  g_free (caller);
}

/* Session.Request GET @path; NULL with @error if it failed. */
static GVariant *
caller_request (Caller *caller, const char *path, guint timeout_ms, GError **error)
{
  g_autofree char *uri_path = g_strdup_printf ("/%s", path);
  GVariant *reply
      = e2e_session_request (caller->connection, caller->path, E2E_CODE_GET, NULL,
                             e2e_vardict ("uri-path", g_variant_new_string (uri_path), "timeout",
                                          g_variant_new_uint32 (timeout_ms), NULL),
                             error);

  if (reply != NULL)
    caller->requests++;
  return reply;
}

/* Signals emitted before a call's reply are queued on the main context by
 * the time the reply is read; this runs their handlers. */
static void
dispatch_signals (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
assert_bytes_equal (GVariant *bytes, GBytes *expected)
{
  gsize length;
  const guint8 *data = g_variant_get_fixed_array (bytes, &length, 1);

  g_assert_cmpmem (data, length, g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
}

/* Nothing the hostile server sent reached the victim, ended a session or
 * reset the modem. The victim's own Request on the same serial line comes
 * after everything the modem reported before it. */
static void
assert_nothing_forged (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = caller_request (victim, "time", E2E_CALL_TIMEOUT_MS, &error);
  g_autofree char *state = NULL;
  guint8 code;

  g_assert_no_error (error);
  g_variant_get (reply, "(y@a(qv)@ay)", &code, NULL, NULL);
  g_assert_cmpuint (code, ==, E2E_CODE_CONTENT);
  dispatch_signals ();
  g_assert_cmpuint (victim->received->len, ==, victim->requests);
  for (guint i = 0; i < victim->received->len; i++)
    {
      g_autoptr (GVariant) payload = NULL;
      gsize length;
      const char *data;

      g_variant_get_child (g_ptr_array_index (victim->received, i), 4, "@ay", &payload);
      data = g_variant_get_fixed_array (payload, &length, 1);
      g_assert_false (length == strlen ("INJECTED") && memcmp (data, "INJECTED", length) == 0);
    }
  g_assert_cmpuint (victim->closed, ==, 0);
  g_assert_cmpuint (attacked->closed, ==, 0);
  state = e2e_env_modem_state (env);
  g_assert_cmpstr (state, ==, "ready");
}

/* The last Received of the attacked session is the response @reply
 * returned. */
static void
assert_received_as_returned (GVariant *reply)
{
  g_autoptr (GVariant) options = NULL;
  g_autoptr (GVariant) payload = NULL;
  g_autoptr (GVariant) received_options = NULL;
  g_autoptr (GVariant) received_payload = NULL;
  GVariant *received;

  dispatch_signals ();
  g_assert_cmpuint (attacked->received->len, ==, attacked->requests);
  received = g_ptr_array_index (attacked->received, attacked->received->len - 1);
  g_variant_get (reply, "(y@a(qv)@ay)", NULL, &options, &payload);
  g_variant_get (received, "(qy@ay@a(qv)@ay)", NULL, NULL, NULL, &received_options,
                 &received_payload);
  g_assert_true (g_variant_equal (options, received_options));
  g_assert_true (g_variant_equal (payload, received_payload));
}

static void
test_long_payload (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) options = NULL;
  g_autoptr (GVariant) payload = NULL;
  g_autoptr (GBytes) expected = hostile_peer_payload (HOSTILE_LONG_PAYLOAD_SIZE);
  guint8 code;

  reply = caller_request (attacked, HOSTILE_PATH_LONG_PAYLOAD, E2E_CALL_TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(y@a(qv)@ay)", &code, &options, &payload);
  g_assert_cmpuint (code, ==, E2E_CODE_CONTENT);
  g_assert_cmpuint (g_variant_n_children (options), ==, 0);
  assert_bytes_equal (payload, expected);
  assert_received_as_returned (reply);
  assert_nothing_forged ();
}

static void
test_many_options (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) options = NULL;
  g_autoptr (GVariant) payload = NULL;
  g_autoptr (GBytes) expected = hostile_peer_payload (HOSTILE_MANY_OPTIONS_PAYLOAD);
  guint8 code;

  reply = caller_request (attacked, HOSTILE_PATH_MANY_OPTIONS, E2E_CALL_TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(y@a(qv)@ay)", &code, &options, &payload);
  g_assert_cmpuint (code, ==, E2E_CODE_CONTENT);
  g_assert_cmpuint (g_variant_n_children (options), ==, HOSTILE_MANY_OPTIONS_COUNT);
  for (guint i = 0; i < HOSTILE_MANY_OPTIONS_COUNT; i++)
    {
      g_autofree char *expected_value = hostile_peer_option_value (i);
      g_autoptr (GVariant) value = NULL;
      guint16 number;

      g_variant_get_child (options, i, "(qv)", &number, &value);
      g_assert_cmpuint (number, ==, HOSTILE_LOCATION_PATH);
      g_assert_cmpstr (g_variant_get_string (value, NULL), ==, expected_value);
    }
  assert_bytes_equal (payload, expected);
  assert_received_as_returned (reply);
  assert_nothing_forged ();
}

/* A Request of @path whose response the daemon cannot read: the call fails
 * at once (not at its timeout: the daemon knows whose it was) with
 * ModemError saying @said, nothing is delivered, the daemon's log says
 * @logged, and nothing is forged. */
static void
assert_unreadable (const char *path, const char *said, const char *logged)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autofree char *remote_error = NULL;
  g_autofree char *log = NULL;
  guint received_before = attacked->received->len;
  guint answered_before = hostile_peer_get_answered (peer);

  reply = caller_request (attacked, path, UNREADABLE_TIMEOUT_MS, &error);
  g_assert_null (reply);
  remote_error = g_dbus_error_get_remote_error (error);
  g_assert_cmpstr (remote_error, ==, E2E_ERROR_PREFIX "ModemError");
  g_assert_nonnull (strstr (error->message, said));
  g_assert_cmpuint (hostile_peer_get_answered (peer), ==, answered_before + 1);
  dispatch_signals ();
  g_assert_cmpuint (attacked->received->len, ==, received_before);
  g_assert_true (g_file_get_contents (env->daemon_log_path, &log, NULL, NULL));
  g_assert_nonnull (strstr (log, logged));
  assert_nothing_forged ();
}

/* A header longer than the daemon keeps: the message is not delivered (no
 * Received, no reply with a partial option list), the call fails. */
static void
test_huge_header (void)
{
  assert_unreadable (HOSTILE_PATH_HUGE_HEADER, "larger than the daemon reads",
                     "its header line is over");
}

/* No command the forged lines would have caused was sent. */
static void
assert_no_reaction (gsize sim_offset)
{
  g_autofree char *sim_log = e2e_env_sim_log_since (env, sim_offset);

  g_assert_null (strstr (sim_log, "AT+QIDEACT"));
  g_assert_null (strstr (sim_log, "AT+QCOAPOPEN="));
  g_assert_null (strstr (sim_log, "ATE0"));
}

/* Line ends inside an option: the header is read whole, the option holds
 * them, and none of the lines it carries is taken for the module's. */
static void
test_split_header (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) options = NULL;
  g_autoptr (GVariant) value = NULL;
  g_autoptr (GVariant) payload = NULL;
  gsize sim_offset = e2e_env_sim_log_offset (env);
  gsize length;
  guint16 number;

  reply = caller_request (attacked, HOSTILE_PATH_SPLIT_HEADER, E2E_CALL_TIMEOUT_MS, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(y@a(qv)@ay)", NULL, &options, &payload);
  g_assert_cmpuint (g_variant_n_children (options), ==, 1);
  g_variant_get_child (options, 0, "(qv)", &number, &value);
  g_assert_cmpuint (number, ==, HOSTILE_LOCATION_PATH);
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, HOSTILE_SPLIT_HEADER_OPTION);
  g_variant_get_fixed_array (payload, &length, 1);
  g_assert_cmpuint (length, ==, strlen (HOSTILE_SPLIT_HEADER_PAYLOAD));
  assert_received_as_returned (reply);
  assert_nothing_forged ();
  assert_no_reaction (sim_offset);
}

/* The text before the option's first line end completes a header: the
 * payload is not followed by the module's line end, the response is not
 * delivered, and what follows reaches nobody until the daemon is in step
 * with the module again. */
static void
test_parsing_fragment (void)
{
  gsize sim_offset = e2e_env_sim_log_offset (env);

  assert_unreadable (HOSTILE_PATH_PARSING_FRAGMENT, "could not be read",
                     "no line end after its payload");
  assert_no_reaction (sim_offset);
}

/* Waits until the daemon's log holds @needle (10 s at most). */
static gboolean
daemon_log_shows (const char *needle)
{
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < end)
    {
      g_autofree char *log = NULL;

      if (g_file_get_contents (env->daemon_log_path, &log, NULL, NULL) && strstr (log, needle))
        return TRUE;
      g_usleep (20000);
    }
  return FALSE;
}

/* Lines that look like the module's reports but are not (printed here by
 * the simulator, as if a server's text had slipped past the framing): the
 * daemon asks the module before it acts, and the module says otherwise. */
static void
test_forged_lines_checked (void)
{
  gsize sim_offset = e2e_env_sim_log_offset (env);

  e2e_env_sim_command (env, "urc +QIURC: \"pdpdeact\",1");
  g_assert_true (daemon_log_shows ("lists it as active: not the module's report; ignored"));
  e2e_env_sim_command (env, "urc RDY");
  g_assert_true (daemon_log_shows ("A line said \"RDY\", but the module kept its settings"));
  e2e_env_sim_command (env, "urc +CEREG: 3");
  g_assert_true (daemon_log_shows ("\"+CEREG: 3\": asking the module before believing it"));
  assert_nothing_forged ();
  assert_no_reaction (sim_offset);
}

int
main (int argc, char **argv)
{
  int status;
  E2eOptions options = { .config_text = NULL };

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hostile-server/long-payload", test_long_payload);
  g_test_add_func ("/hostile-server/many-options", test_many_options);
  g_test_add_func ("/hostile-server/huge-header", test_huge_header);
  g_test_add_func ("/hostile-server/split-header", test_split_header);
  g_test_add_func ("/hostile-server/parsing-fragment", test_parsing_fragment);
  g_test_add_func ("/hostile-server/forged-lines-checked", test_forged_lines_checked);

  env = e2e_env_start (&options);
  peer = hostile_peer_start ();
  attacked = caller_new (ATTACKED_ID, hostile_peer_get_port (peer));
  victim = caller_new (VICTIM_ID, env->coap_port);
  status = g_test_run ();
  g_clear_pointer (&attacked, caller_free);
  g_clear_pointer (&victim, caller_free);
  g_clear_pointer (&peer, hostile_peer_stop);
  if (status == 0)
    e2e_env_wait_free_clients (env, 6);
  if (!e2e_env_stop (env, status != 0))
    status = 1;
  return status;
}
