/* test-floods.c — what a flood costs everyone else.
 *
 * D-Bus → qcoapd → bg96-sim at 115 200 baud → UDP → a server of our own
 * (hostile-peer.c) that pushes NON messages as fast as the line carries
 * them: its session's Received are capped in rate, the rest dropped and
 * counted in the daemon's log, and another user's session keeps working.
 * A user's connections cannot listen without end, over all sessions; and
 * a listener that reads nothing does not keep a new caller from opening.
 */
#include <gio/gunixsocketaddress.h>
#include <string.h>

#include "e2e-env.h"
#include "e2e-session.h"
#include "hostile-peer.h"

/* The daemon's limits (daemon/session-listeners.h). */
#define RECEIVED_RATE         200
#define RECEIVED_BURST        400
#define SESSION_MAX_LISTENERS 64
#define USER_MAX_LISTENERS    128
/* The flood lasts about 10 s; what the line holds back drains after. */
#define FLOOD_TIMEOUT_MS 60000
/* How often the other session makes its Request meanwhile. */
#define OTHER_REQUEST_INTERVAL_MS 500
/* A Request behind the flood on the same line takes its turn. */
#define OTHER_REQUEST_TIMEOUT_MS 10000

static E2eEnv *env;
static HostilePeer *peer;

/* ---- the daemon's and the simulator's logs ---- */

static char *
daemon_log (void)
{
  char *text = NULL;

  g_assert_true (g_file_get_contents (env->daemon_log_path, &text, NULL, NULL));
  return text;
}

static guint
count_occurrences (const char *text, const char *needle)
{
  guint count = 0;

  for (const char *p = strstr (text, needle); p != NULL; p = strstr (p + 1, needle))
    count++;
  return count;
}

/* The Received the daemon dropped on session @id as its warnings after
 * @offset tell; @warnings gets how many warnings there were. */
static guint
dropped_in_log (guint8 id, gsize offset, guint *warnings)
{
  g_autofree char *text = daemon_log ();
  g_autofree char *prefix = g_strdup_printf ("Session %u: ", id);
  guint dropped = 0;

  *warnings = 0;
  for (const char *p = strstr (text + offset, prefix); p != NULL; p = strstr (p + 1, prefix))
    {
      const char *count = p + strlen (prefix);
      char *end;
      guint64 n = g_ascii_strtoull (count, &end, 10);

      if (end == count || !g_str_has_prefix (end, " Received dropped"))
        continue;
      dropped += (guint)n;
      (*warnings)++;
    }
  return dropped;
}

static gsize
daemon_log_offset (void)
{
  g_autofree char *text = daemon_log ();

  return strlen (text);
}

/* e2e_iterate_until() waits for an event: once the flood is over there may
 * be none. */
static gboolean
on_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static gboolean
iterate_until (gboolean (*done) (gpointer data), gpointer data, guint timeout_ms)
{
  guint tick = g_timeout_add (OTHER_REQUEST_INTERVAL_MS / 5, on_tick, NULL);
  gboolean result = e2e_iterate_until (done, data, timeout_ms);

  g_source_remove (tick);
  return result;
}

/* ---- the flooded session ---- */

typedef struct
{
  GDBusConnection *connection;
  char *path;
  guint8 id;
  guint subscription;
  guint received;
} Listened;

static void
on_received (GDBusConnection *connection, const char *sender, const char *path,
             const char *interface, const char *member, GVariant *parameters, gpointer user_data)
{
  Listened *listened = user_data;

  listened->received++;
}

static Listened *
listened_open (guint16 port)
{
  Listened *listened = g_new0 (Listened, 1);
  g_autoptr (GVariant) id = NULL;

  listened->connection = e2e_env_connect (env);
  listened->path = e2e_open_session (listened->connection, port, NULL);
  id = e2e_env_get_property (env, listened->path, E2E_SESSION_IFACE, "ClientId");
  listened->id = g_variant_get_byte (id);
  listened->subscription = g_dbus_connection_signal_subscribe (
      listened->connection, E2E_BUS_NAME, E2E_SESSION_IFACE, "Received", listened->path, NULL,
      G_DBUS_SIGNAL_FLAGS_NONE, on_received, listened, NULL);
  return listened;
}

static void
listened_free (Listened *listened)
{
  e2e_close_session (listened->connection, listened->path);
  g_dbus_connection_signal_unsubscribe (listened->connection, listened->subscription);
  g_dbus_connection_close_sync (listened->connection, NULL, NULL);
  g_object_unref (listened->connection);
  g_free (listened->path);
  g_free (listened);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Listened, listened_free)

/* Asks the peer for its flood: the Request's own answer comes first. */
static void
start_flood (Listened *flooded)
{
  g_autofree char *uri_path = g_strdup_printf ("/%s", HOSTILE_PATH_FLOOD);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = e2e_session_request (
      flooded->connection, flooded->path, E2E_CODE_GET, NULL,
      e2e_vardict ("uri-path", g_variant_new_string (uri_path), NULL), &error);

  g_assert_no_error (error);
}

/* The +QCOAPRECV the simulator sent for client @id since @offset. */
static guint
urcs_sent (guint8 id, gsize offset)
{
  g_autofree char *text = e2e_env_sim_log_since (env, offset);
  g_autofree char *needle = g_strdup_printf ("urc +QCOAPRECV: %u,", id);

  return count_occurrences (text, needle);
}

typedef struct
{
  Listened *flooded;
  gsize sim_offset;
  gsize log_offset;
  guint urcs;
  guint dropped;
  guint warnings;
} FloodCount;

/* Every Received the simulator sent is either heard or told dropped (the
 * last warning comes within a second of the last drop). */
static gboolean
flood_accounted (gpointer user_data)
{
  FloodCount *count = user_data;

  if (hostile_peer_get_flooded (peer) < HOSTILE_FLOOD_COUNT)
    return FALSE;
  count->urcs = urcs_sent (count->flooded->id, count->sim_offset);
  count->dropped = dropped_in_log (count->flooded->id, count->log_offset, &count->warnings);
  return count->urcs > HOSTILE_FLOOD_COUNT / 2
         && count->flooded->received + count->dropped >= count->urcs;
}

/* The other session's Request works all along the flood. */
static guint
serve_during_flood (Listened *other, FloodCount *count)
{
  guint served = 0;

  while (!flood_accounted (count))
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) reply = e2e_session_request (
          other->connection, other->path, E2E_CODE_GET, NULL,
          e2e_vardict ("uri-path", g_variant_new_string ("/time"), "timeout",
                       g_variant_new_uint32 (OTHER_REQUEST_TIMEOUT_MS), NULL),
          &error);

      g_assert_no_error (error);
      served++;
      g_assert_cmpuint (served * OTHER_REQUEST_INTERVAL_MS, <, FLOOD_TIMEOUT_MS);
      iterate_until (flood_accounted, count, OTHER_REQUEST_INTERVAL_MS);
    }
  return served;
}

/* A flood at the line's rate: the flooded session's listener hears the
 * burst and then about RECEIVED_RATE a second, the rest is dropped and
 * counted in at most one warning a second, the other session serves all
 * along, and the modem stays ready. */
static void
test_received_capped (void)
{
  g_autoptr (Listened) other = listened_open (env->coap_port);
  g_autoptr (Listened) flooded = listened_open (hostile_peer_get_port (peer));
  FloodCount count = { .flooded = flooded };
  gint64 start;
  guint served, seconds;
  g_autofree char *state = NULL;

  count.sim_offset = e2e_env_sim_log_offset (env);
  count.log_offset = daemon_log_offset ();
  start = g_get_monotonic_time ();
  start_flood (flooded);
  served = serve_during_flood (other, &count);
  /* The signals are all in by now: the daemon sent them before its last
   * warning, which came after the last drop. */
  iterate_until (flood_accounted, &count, OTHER_REQUEST_INTERVAL_MS);
  seconds = (guint)((g_get_monotonic_time () - start) / G_USEC_PER_SEC) + 1;
  g_test_message ("%u NON sent, %u reported by the module in %u s; %u heard, %u dropped in %u "
                  "warnings; %u Requests of the other session served",
                  HOSTILE_FLOOD_COUNT, count.urcs, seconds, flooded->received, count.dropped,
                  count.warnings, served);
  g_assert_cmpuint (flooded->received + count.dropped, ==, count.urcs);
  g_assert_cmpuint (count.dropped, >, 0);
  g_assert_cmpuint (flooded->received, >=, RECEIVED_BURST);
  g_assert_cmpuint (flooded->received, <=, RECEIVED_BURST + RECEIVED_RATE * seconds);
  g_assert_cmpuint (count.warnings, >=, 1);
  g_assert_cmpuint (count.warnings, <=, seconds + 1);
  g_assert_cmpuint (served, >, 0);
  state = e2e_env_modem_state (env);
  g_assert_cmpstr (state, ==, "ready");
  g_clear_pointer (&state, g_free);
  state = e2e_env_session_state (env, flooded->path);
  g_assert_cmpstr (state, ==, "open");
}

/* ---- listeners per user ---- */

static void
assert_listen_refused (GDBusConnection *connection, const char *path, const char *words)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply
      = e2e_call (connection, path, E2E_SESSION_IFACE, "Listen", NULL, &error);

  g_assert_null (reply);
  e2e_assert_remote_error (error, E2E_ERROR_PREFIX "QueueFull");
  g_assert_nonnull (strstr (error->message, words));
}

static void
unlisten (GDBusConnection *connection, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply
      = e2e_call (connection, path, E2E_SESSION_IFACE, "Unlisten", NULL, &error);

  g_assert_no_error (error);
}

/* One user's connections listen at most USER_MAX_LISTENERS times over all
 * sessions, the openers counted: beyond it Listen is QueueFull on a session
 * that has room, until one listener goes. */
static void
test_listeners_per_user (void)
{
  g_autoptr (GPtrArray) connections = g_ptr_array_new_with_free_func (g_object_unref);
  char *paths[3];
  guint listening = G_N_ELEMENTS (paths);

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    paths[i] = e2e_open_session (env->bus, env->coap_port, NULL);
  for (guint i = 1; i < SESSION_MAX_LISTENERS; i++)
    {
      GDBusConnection *connection = e2e_env_connect (env);

      g_ptr_array_add (connections, connection);
      e2e_env_listen (connection, paths[0]);
      listening++;
    }
  for (guint i = 0; listening < USER_MAX_LISTENERS; i++, listening++)
    e2e_env_listen (g_ptr_array_index (connections, i), paths[1]);
  /* paths[1] has room, the user has none left. */
  assert_listen_refused (g_ptr_array_index (connections, connections->len - 1), paths[1], "User");
  assert_listen_refused (g_ptr_array_index (connections, 0), paths[2], "User");
  /* Listening again is no new listener. */
  e2e_env_listen (g_ptr_array_index (connections, 0), paths[1]);
  /* One goes, another may come. */
  unlisten (g_ptr_array_index (connections, 0), paths[0]);
  e2e_env_listen (g_ptr_array_index (connections, 0), paths[2]);
  assert_listen_refused (g_ptr_array_index (connections, 1), paths[2], "User");
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      e2e_close_session (env->bus, paths[i]);
      g_free (paths[i]);
    }
  e2e_env_wait_free_clients (env, 6);
}

int
main (int argc, char **argv)
{
  const char *const sim_args[] = { "--baud", "115200", NULL };
  E2eOptions options = { .sim_args = sim_args };
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/floods/received-capped", test_received_capped);
  g_test_add_func ("/floods/listeners-per-user", test_listeners_per_user);
  env = e2e_env_start (&options);
  peer = hostile_peer_start ();
  status = g_test_run ();
  hostile_peer_stop (peer);
  if (!e2e_env_stop (env, status != 0))
    status = 1;
  return status;
}
