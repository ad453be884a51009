/* SPDX-License-Identifier: MIT */
/* test-recovery.c — qcoapd under faults: the modem restarts or is unplugged
 * in the middle of six callers' traffic, stops answering, or speaks through
 * a noisy line. Every call must get its reply, every message one final Ack on
 * its own session, persistent sessions must come back, and nothing may be
 * delivered to the wrong session. */
#include <string.h>

#include "e2e-session.h"
#include "e2e-traffic.h"

static E2eEnv *env;

typedef struct
{
  GHashTable *reasons; /* object path → reason of its Closed signal */
  guint subscription;
} ClosedLog;

static void
on_closed (GDBusConnection *connection, const char *sender, const char *path, const char *interface,
           const char *member, GVariant *parameters, gpointer user_data)
{
  ClosedLog *log = user_data;
  const char *reason;

  g_variant_get (parameters, "(&s)", &reason);
  g_hash_table_insert (log->reasons, g_strdup (path), g_strdup (reason));
}

static ClosedLog *
closed_log_new (void)
{
  ClosedLog *log = g_new0 (ClosedLog, 1);

  log->reasons = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  log->subscription = g_dbus_connection_signal_subscribe (
      env->bus, "org.qcoapd.CoAP1", "org.qcoapd.CoAP1.Session", "Closed", NULL, NULL,
      G_DBUS_SIGNAL_FLAGS_NONE, on_closed, log, NULL);
  return log;
}

static void
closed_log_free (ClosedLog *log)
{
  g_dbus_connection_signal_unsubscribe (env->bus, log->subscription);
  g_hash_table_unref (log->reasons);
  g_free (log);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClosedLog, closed_log_free)

typedef struct
{
  ClosedLog *log;
  const char *path;
} ClosedWait;

static gboolean
closed_seen (gpointer data)
{
  ClosedWait *wait = data;

  return g_hash_table_contains (wait->log->reasons, wait->path);
}

static void
iterate_until_closed (ClosedLog *log, const char *path)
{
  ClosedWait wait = { log, path };

  e2e_iterate_until (closed_seen, &wait, 10000);
}

/* A call made while its session was ending can find the object gone. */
static const char *const errors_of_a_lost_modem[]
    = { "Closed", "ModemUnavailable", "Timeout", "org.freedesktop.DBus.Error.UnknownMethod", NULL };

/* The modem loses everything (@trigger) under traffic; @lost_reason is the
 * Closed reason of non-persistent sessions. */
static void
run_loss_under_traffic (const char *trigger, const char *restore, const char *lost_reason)
{
  TrafficConfig config
      = { .callers = 3, .messages_per_caller = 150, .window = 4, .request_timeout_ms = 20000 };
  g_autoptr (Traffic) plain = NULL;
  g_autoptr (Traffic) persistent = NULL;
  g_autoptr (ClosedLog) closed = closed_log_new ();

  plain = traffic_new (env, &config);
  config.persistent = TRUE;
  persistent = traffic_new (env, &config);
  /* The Closed signals go to each session's listeners: the test's own
   * connection listens too. */
  for (guint i = 0; i < config.callers; i++)
    {
      e2e_env_listen (env->bus, traffic_session_path (plain, i));
      e2e_env_listen (env->bus, traffic_session_path (persistent, i));
    }
  traffic_start (plain);
  traffic_start (persistent);
  g_assert_true (traffic_wait_replied (persistent, 60, 30000));

  e2e_env_sim_command (env, trigger);
  if (restore)
    {
      g_assert_true (e2e_env_wait_modem_state (env, "absent", 5000));
      e2e_env_sim_command (env, restore);
    }
  g_assert_true (e2e_env_wait_modem_state (env, "ready", 10000));

  g_assert_true (traffic_wait (plain, 60000));
  g_assert_true (traffic_wait (persistent, 60000));
  traffic_check (plain, errors_of_a_lost_modem);
  traffic_check (persistent, errors_of_a_lost_modem);

  for (guint i = 0; i < 3; i++)
    {
      /* Non-persistent sessions ended with the modem... */
      g_assert_cmpstr (g_hash_table_lookup (closed->reasons, traffic_session_path (plain, i)), ==,
                       lost_reason);
      /* ...persistent ones came back, same object, and work. */
      g_assert_null (g_hash_table_lookup (closed->reasons, traffic_session_path (persistent, i)));
      e2e_env_wait_session_state (env, traffic_session_path (persistent, i), "open", 10000);
      e2e_assert_session_serves (env->bus, traffic_session_path (persistent, i));
    }
  traffic_close (persistent);
  e2e_env_wait_free_clients (env, 6);
}

static void
test_modem_reset_under_traffic (void)
{
  run_loss_under_traffic ("reboot", NULL, "modem-reset");
}

static void
test_unplug_under_traffic (void)
{
  run_loss_under_traffic ("unplug", "replug", "modem-lost");
}

/* The device comes back: qcoapd is ready within a second of the modem's
 * APP RDY (replug answers once the modem has booted). */
static void
test_ready_within_a_second_of_return (void)
{
  gint64 back;

  e2e_env_sim_command (env, "unplug");
  g_assert_true (e2e_env_wait_modem_state (env, "absent", 5000));
  e2e_env_sim_command (env, "replug");
  back = g_get_monotonic_time ();
  g_assert_true (e2e_env_wait_modem_state (env, "ready", 5000));
  g_test_message ("ready %.0f ms after the modem booted",
                  (g_get_monotonic_time () - back) / 1000.0);
  g_assert_cmpint (g_get_monotonic_time () - back, <, G_USEC_PER_SEC);
}

/* A final result that never comes: the call fails with Timeout, the engine
 * resynchronises, and the next call works. */
static void
test_silence_then_resync (void)
{
  TrafficConfig config = { .callers = 1, .messages_per_caller = 1, .window = 1 };
  g_autoptr (Traffic) traffic = traffic_new (env, &config);
  const char *const timeout_only[] = { "Timeout", NULL };

  e2e_env_sim_command (env, "fault drop-final=1");
  traffic_start (traffic);
  g_assert_true (traffic_wait (traffic, 30000));
  g_assert_cmpuint (traffic_errors (traffic), ==, 1);
  traffic_check (traffic, timeout_only);
  e2e_assert_session_serves (env->bus, traffic_session_path (traffic, 0));
  traffic_close (traffic);
  e2e_env_wait_free_clients (env, 6);
}

/* The module stops answering (its final results are swallowed) and the
 * daemon opens its port again, forgetting its sessions; but the module did
 * not restart and still holds their client IDs. They are closed before
 * anyone is given them: six sessions open again, none of them on -10. */
static void
test_kept_ids_closed (void)
{
  g_autofree char *first = e2e_open_session (env->bus, env->coap_port, NULL);
  g_autofree char *second = e2e_open_session (env->bus, env->coap_port, NULL);
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  g_autofree char *log = NULL;
  gsize offset = e2e_env_sim_log_offset (env);

  e2e_env_sim_command (env, "fault drop-final=5");
  g_assert_false (e2e_session_serves (env->bus, first, &error));
  /* The port opened again: the module is set up anew. */
  g_free (e2e_env_wait_sim_log (env, offset, "at-rx ATE0"));
  g_assert_true (e2e_env_wait_modem_state (env, "ready", 30000));
  e2e_env_wait_free_clients (env, 6);
  log = e2e_env_wait_sim_log (env, offset, "urc +QCOAPCLOSE: 1,0");
  g_assert_nonnull (strstr (log, "at-rx AT+QCOAPCLOSE=0"));
  g_assert_nonnull (strstr (log, "at-rx AT+QCOAPCLOSE=1"));
  offset = e2e_env_sim_log_offset (env);
  for (guint i = 0; i < 6; i++)
    g_ptr_array_add (paths, e2e_open_session (env->bus, env->coap_port, NULL));
  g_free (log);
  log = e2e_env_sim_log_since (env, offset);
  g_assert_null (strstr (log, ",-10"));
  for (guint i = 0; i < paths->len; i++)
    e2e_close_session (env->bus, paths->pdata[i]);
  e2e_env_wait_free_clients (env, 6);
}

typedef struct
{
  Traffic *traffic;
  guint next_fault_at;
  guint step;
  const char *undo;
  gint64 undo_at;
} Chaos;

#define FAULT_WINDOW_US (200 * 1000)

/* Roughly one fault per 100 messages: garbage bytes, short bursts of
 * byte-by-byte writes, URCs inside responses and before prompts, delayed
 * final results, and now and then a final result that never comes. */
static void
chaos_tick (Chaos *chaos)
{
  static const struct
  {
    const char *on;
    const char *off;
  } faults[] = {
    { "fault garbage=12", NULL },
    { "fault split-writes=on", "fault split-writes=off" },
    { "fault urc-before-final=on", "fault urc-before-final=off" },
    { "fault urc-before-prompt=on", "fault urc-before-prompt=off" },
    { "fault delay-final=150", "fault delay-final=0" },
    { "fault garbage=3", NULL },
  };
  guint replied = traffic_replied (chaos->traffic);

  if (chaos->undo)
    {
      if (g_get_monotonic_time () < chaos->undo_at)
        return;
      e2e_env_sim_command (env, chaos->undo);
      chaos->undo = NULL;
      chaos->next_fault_at = replied + 50 + g_random_int_range (0, 100);
    }
  if (replied < chaos->next_fault_at)
    return;
  if (chaos->step % 40 == 39)
    e2e_env_sim_command (env, "fault drop-final=1");
  else
    {
      e2e_env_sim_command (env, faults[chaos->step % G_N_ELEMENTS (faults)].on);
      chaos->undo = faults[chaos->step % G_N_ELEMENTS (faults)].off;
      chaos->undo_at = g_get_monotonic_time () + FAULT_WINDOW_US;
    }
  chaos->step++;
  chaos->next_fault_at = replied + 50 + g_random_int_range (0, 100);
}

static void
test_noise_ten_thousand_messages (void)
{
  TrafficConfig config
      = { .callers = 6, .messages_per_caller = 1667, .window = 4, .request_timeout_ms = 20000 };
  g_autoptr (Traffic) traffic = traffic_new (env, &config);
  const char *const timeout_only[] = { "Timeout", NULL };
  Chaos chaos = { .traffic = traffic, .next_fault_at = 50 };
  gint64 end = g_get_monotonic_time () + 400 * G_USEC_PER_SEC;

  traffic_start (traffic);
  while (traffic_replied (traffic) < config.callers * config.messages_per_caller
         && g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, TRUE);
      chaos_tick (&chaos);
    }
  if (chaos.undo)
    e2e_env_sim_command (env, chaos.undo);
  g_assert_true (traffic_wait (traffic, 60000));
  g_test_message ("%u calls, %u faults injected, %u calls timed out", traffic_replied (traffic),
                  chaos.step, traffic_errors (traffic));
  traffic_check (traffic, timeout_only);
  /* Timeouts only where a final result was dropped (a drop can cost the
   * command in flight and, during the resync, nothing else). */
  g_assert_cmpuint (traffic_errors (traffic), <=, chaos.step / 40 + 1);
  traffic_close (traffic);
  e2e_env_wait_free_clients (env, 6);
}

/* A caller that dies in the middle of Open, or of a Request waiting for a
 * separate response, leaves nothing behind: its client ID comes back. */
static void
test_caller_crashes (void)
{
  g_autoptr (GDBusConnection) opener = e2e_env_connect (env);
  g_autoptr (GDBusConnection) requester = e2e_env_connect (env);
  g_autofree char *path = NULL;

  /* Mid-Open: the modem's answers are slowed so the caller is gone first. */
  e2e_env_sim_command (env, "fault delay-final=300");
  g_dbus_connection_call (
      opener, "org.qcoapd.CoAP1", "/org/qcoapd/CoAP1", "org.qcoapd.CoAP1", "Open",
      g_variant_new ("(sq@a{sv})", "127.0.0.1", env->coap_port, e2e_no_flags ()), NULL,
      G_DBUS_CALL_FLAGS_NONE, 30000, NULL, NULL, NULL);
  g_dbus_connection_flush_sync (opener, NULL, NULL);
  g_dbus_connection_close_sync (opener, NULL, NULL);
  e2e_env_sim_command (env, "fault delay-final=0");
  e2e_env_wait_free_clients (env, 6);

  /* Mid-Request: /async answers after 3 s; the caller leaves at once. */
  path = e2e_open_session (requester, env->coap_port, NULL);
  g_dbus_connection_call (
      requester, E2E_BUS_NAME, path, E2E_SESSION_IFACE, "Request",
      g_variant_new ("(y@a(qv)@ay@a{sv})", E2E_CODE_GET, e2e_no_options (), e2e_bytes ("", 0),
                     e2e_vardict ("uri-path", g_variant_new_string ("/async"), "uri-query",
                                  g_variant_new_string ("3"), NULL)),
      NULL, G_DBUS_CALL_FLAGS_NONE, 30000, NULL, NULL, NULL);
  g_dbus_connection_flush_sync (requester, NULL, NULL);
  g_usleep (200000);
  g_dbus_connection_close_sync (requester, NULL, NULL);
  e2e_env_wait_free_clients (env, 6);
  /* And the daemon still serves. */
  g_clear_pointer (&path, g_free);
  {
    g_autoptr (GDBusConnection) again = e2e_env_connect (env);

    path = e2e_open_session (again, env->coap_port, NULL);
    g_assert_false (g_dbus_connection_is_closed (again));
    e2e_assert_session_serves (env->bus, path);
  }
  e2e_env_wait_free_clients (env, 6);
}

#define FLOOD_CALLS 120

typedef struct
{
  guint replied;
  guint queue_full;
  guint other_errors;
} FloodCount;

static void
on_flood_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FloodCount *count = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply
      = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  g_autofree char *name = error ? g_dbus_error_get_remote_error (error) : NULL;

  count->replied++;
  g_assert_true ((reply == NULL) == (error != NULL));
  if (g_strcmp0 (name, "org.qcoapd.CoAP1.Error.QueueFull") == 0)
    count->queue_full++;
  else if (error)
    count->other_errors++;
}

static gboolean
flood_done (gpointer data)
{
  FloodCount *count = data;

  return count->replied == FLOOD_CALLS;
}

/* One caller floods its session with calls at once (fewer than the bus's
 * own limit of pending replies per connection, far more than a session's
 * queue): beyond its queue it gets QueueFull, while another caller's
 * messages go through meanwhile. */
static void
test_flood_gets_queue_full (void)
{
  g_autoptr (GDBusConnection) flooder = e2e_env_connect (env);
  g_autofree char *flood_path = e2e_open_session (flooder, env->coap_port, NULL);
  TrafficConfig config
      = { .callers = 1, .messages_per_caller = 60, .window = 1, .request_timeout_ms = 20000 };
  g_autoptr (Traffic) polite = traffic_new (env, &config);
  FloodCount count = { 0 };

  for (guint i = 0; i < FLOOD_CALLS; i++)
    g_dbus_connection_call (flooder, "org.qcoapd.CoAP1", flood_path, "org.qcoapd.CoAP1.Session",
                            "Send",
                            g_variant_new ("(yy@a(qv)@ay@a{sv})", 1, 2, e2e_no_options (),
                                           e2e_bytes ("flood", 5), e2e_no_flags ()),
                            NULL, G_DBUS_CALL_FLAGS_NONE, 60000, NULL, on_flood_reply, &count);
  traffic_start (polite);
  g_assert_true (traffic_wait (polite, 60000));
  traffic_check (polite, NULL);
  e2e_iterate_until (flood_done, &count, 60000);
  g_test_message ("flood: %u QueueFull of %u", count.queue_full, FLOOD_CALLS);
  g_assert_cmpuint (count.replied, ==, FLOOD_CALLS);
  g_assert_cmpuint (count.queue_full, >, 0);
  g_assert_cmpuint (count.other_errors, ==, 0);
  g_dbus_connection_close_sync (flooder, NULL, NULL);
  traffic_close (polite);
  e2e_env_wait_free_clients (env, 6);
}

/* The network drops the data call: the modem stays ready but its CoAP
 * sessions are gone. A non-persistent session ends with Closed("data-context-lost"); a
 * persistent one waits while the daemon deactivates and activates the
 * context again (the module wants AT+QIDEACT before AT+QIACT), then opens
 * again. */
static void
test_data_call_dropped (void)
{
  g_autoptr (GDBusConnection) plain = e2e_env_connect (env);
  g_autoptr (GDBusConnection) persistent = e2e_env_connect (env);
  g_autofree char *plain_path = e2e_open_session (plain, env->coap_port, NULL);
  g_autofree char *persistent_path
      = e2e_open_session (persistent, env->coap_port, e2e_persistent ());
  g_autoptr (ClosedLog) closed = closed_log_new ();
  gsize offset = e2e_env_sim_log_offset (env);
  g_autofree char *traffic = NULL;
  const char *deact;

  e2e_env_listen (env->bus, plain_path);
  e2e_env_listen (env->bus, persistent_path);

  e2e_env_sim_command (env, "pdp-drop");
  e2e_env_wait_session_state (env, persistent_path, "opening", 5000);
  e2e_env_wait_session_state (env, persistent_path, "open", 10000);
  e2e_assert_session_serves (env->bus, persistent_path);
  traffic = e2e_env_sim_log_since (env, offset);
  deact = strstr (traffic, "at-rx AT+QIDEACT=1");
  g_assert_nonnull (deact);
  g_assert_nonnull (strstr (deact, "at-rx AT+QIACT=1"));
  /* The reopen waited for the context instead of failing with -4. */
  g_assert_null (strstr (traffic, ",-4"));

  iterate_until_closed (closed, plain_path);
  g_assert_cmpstr (g_hash_table_lookup (closed->reasons, plain_path), ==, "data-context-lost");
  g_assert_null (g_hash_table_lookup (closed->reasons, persistent_path));
  g_dbus_connection_close_sync (persistent, NULL, NULL);
  g_assert_true (e2e_try_close_session (env->bus, persistent_path, 10000, NULL));
  e2e_env_wait_free_clients (env, 6);
}

int
main (int argc, char **argv)
{
  int status;
  const char *const sim_args[] = { "--reset-silence", "500", NULL };
  E2eOptions options = { .sim_args = sim_args };

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/recovery/silence-then-resync", test_silence_then_resync);
  g_test_add_func ("/recovery/kept-ids-closed", test_kept_ids_closed);
  g_test_add_func ("/recovery/modem-reset-under-traffic", test_modem_reset_under_traffic);
  g_test_add_func ("/recovery/unplug-under-traffic", test_unplug_under_traffic);
  g_test_add_func ("/recovery/ready-within-a-second", test_ready_within_a_second_of_return);
  g_test_add_func ("/recovery/data-call-dropped", test_data_call_dropped);
  g_test_add_func ("/recovery/caller-crashes", test_caller_crashes);
  g_test_add_func ("/recovery/flood-gets-queue-full", test_flood_gets_queue_full);
  g_test_add_func ("/recovery/noise-ten-thousand-messages", test_noise_ten_thousand_messages);

  env = e2e_env_start (&options);
  status = g_test_run ();
  if (!e2e_env_stop (env, status != 0))
    status = 1;
  return status;
}
