/* SPDX-License-Identifier: MIT */
/* test-floods.c — what a flood costs everyone else.
 *
 * D-Bus → qcoapd → bg96-sim at 115 200 baud → UDP → a server of our own
 * (hostile-peer.c) that pushes NON messages as fast as the line carries
 * them: its session's Received are capped in rate, the rest dropped and
 * counted in the daemon's log, and another user's session keeps working.
 * A user's connections cannot listen without end, over all sessions; and
 * a listener that reads nothing does not keep a new caller from opening.
 */
#include <string.h>
#include <unistd.h>

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
/* The fixed part of a D-Bus message's header, which says how long it is. */
#define DBUS_HEADER_SIZE 16
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
  guint flood_end; /* the peer's count of NON sent once this flood is over */
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

  if (hostile_peer_get_flooded (peer) < count->flood_end)
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
  count.flood_end = hostile_peer_get_flooded (peer) + HOSTILE_FLOOD_COUNT;
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

/* ---- who calls, while a listener reads nothing ---- */

static void
write_all (GIOStream *stream, const void *data, gsize length)
{
  g_autoptr (GError) error = NULL;

  g_output_stream_write_all (g_io_stream_get_output_stream (stream), data, length, NULL, NULL,
                             &error);
  g_assert_no_error (error);
}

static void
send_message (GIOStream *stream, GDBusMessage *message, guint32 serial)
{
  g_autoptr (GError) error = NULL;
  g_autofree guchar *blob = NULL;
  gsize length;

  g_dbus_message_set_serial (message, serial);
  blob = g_dbus_message_to_blob (message, &length, G_DBUS_CAPABILITY_FLAGS_NONE, &error);
  g_assert_no_error (error);
  write_all (stream, blob, length);
}

static GDBusMessage *
read_message (GIOStream *stream)
{
  GInputStream *in = g_io_stream_get_input_stream (stream);
  g_autoptr (GError) error = NULL;
  guchar header[DBUS_HEADER_SIZE];
  g_autofree guchar *blob = NULL;
  gssize needed;

  g_input_stream_read_all (in, header, sizeof header, NULL, NULL, &error);
  g_assert_no_error (error);
  needed = g_dbus_message_bytes_needed (header, sizeof header, &error);
  g_assert_no_error (error);
  blob = g_malloc ((gsize)needed);
  memcpy (blob, header, sizeof header);
  g_input_stream_read_all (in, blob + sizeof header, (gsize)needed - sizeof header, NULL, NULL,
                           &error);
  g_assert_no_error (error);
  return g_dbus_message_new_from_blob (blob, (gsize)needed, G_DBUS_CAPABILITY_FLAGS_NONE, &error);
}

/* Authenticates as this process's user (SASL EXTERNAL). */
static void
authenticate (GIOStream *stream)
{
  g_autofree char *uid = g_strdup_printf ("%u", (guint)getuid ());
  g_autoptr (GString) command
      = g_string_new_len ("\0AUTH EXTERNAL ", strlen ("AUTH EXTERNAL ") + 1);
  char answer[256];
  gsize length = 0;

  for (const char *c = uid; *c; c++)
    g_string_append_printf (command, "%02x", (guint)*c);
  g_string_append (command, "\r\n");
  write_all (stream, command->str, command->len);
  while (length < sizeof answer - 1 && (length < 2 || answer[length - 1] != '\n'))
    {
      g_autoptr (GError) error = NULL;
      gssize n = g_input_stream_read (g_io_stream_get_input_stream (stream), answer + length, 1,
                                      NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpint (n, ==, 1);
      length++;
    }
  answer[length] = '\0';
  if (!g_str_has_prefix (answer, "OK "))
    g_error ("The bus refused to authenticate: %s", answer);
  write_all (stream, "BEGIN\r\n", strlen ("BEGIN\r\n"));
}

/* A connection that listens to @path and then reads nothing more, as the
 * connection of a process that is stuck: made by hand, since GDBus always
 * reads. */
static GIOStream *
stalled_listener_new (const char *path)
{
  g_autoptr (GError) error = NULL;
  GIOStream *stream = g_dbus_address_get_stream_sync (env->bus_address, NULL, NULL, &error);
  g_autoptr (GDBusMessage) hello = g_dbus_message_new_method_call (
      "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello");
  g_autoptr (GDBusMessage) listen
      = g_dbus_message_new_method_call (E2E_BUS_NAME, path, E2E_SESSION_IFACE, "Listen");

  g_assert_no_error (error);
  authenticate (stream);
  send_message (stream, hello, 1);
  send_message (stream, listen, 2);
  for (;;)
    {
      g_autoptr (GDBusMessage) reply = read_message (stream);

      if (g_dbus_message_get_reply_serial (reply) != 2)
        continue;
      g_assert_cmpint (g_dbus_message_get_message_type (reply), ==,
                       G_DBUS_MESSAGE_TYPE_METHOD_RETURN);
      return stream;
    }
}

typedef struct
{
  GMutex lock;
  GPtrArray *senders; /* of GetConnectionCredentials calls */
} Monitored;

/* In GDBus's worker thread. */
static GDBusMessage *
on_monitored (GDBusConnection *connection, GDBusMessage *message, gboolean incoming,
              gpointer user_data)
{
  Monitored *monitored = user_data;

  if (incoming && g_strcmp0 (g_dbus_message_get_member (message), "GetConnectionCredentials") == 0)
    {
      g_mutex_lock (&monitored->lock);
      g_ptr_array_add (monitored->senders, g_strdup (g_dbus_message_get_sender (message)));
      g_mutex_unlock (&monitored->lock);
      /* Not for GDBus to answer: a monitor that sends anything is closed. */
      g_object_unref (message);
      return NULL;
    }
  return message;
}

/* A bus monitor of the daemon's questions about its callers. */
static GDBusConnection *
monitor_lookups (Monitored *monitored)
{
  GDBusConnection *monitor = e2e_env_connect (env);
  const char *rules[] = { "type='method_call',member='GetConnectionCredentials'", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;

  g_dbus_connection_add_filter (monitor, on_monitored, monitored, NULL);
  reply = g_dbus_connection_call_sync (monitor, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus.Monitoring", "BecomeMonitor",
                                       g_variant_new ("(^asu)", rules, 0), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  return monitor;
}

static guint32
pid_of (const char *bus_name)
{
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      env->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "GetConnectionUnixProcessID", g_variant_new ("(s)", bus_name), G_VARIANT_TYPE ("(u)"),
      G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  guint32 pid = 0;

  g_assert_nonnull (reply);
  g_variant_get (reply, "(u)", &pid);
  return pid;
}

/* A caller the daemon has not met opens (and closes) a session. */
static void
open_as_newcomer (void)
{
  g_autoptr (GDBusConnection) newcomer = e2e_env_connect (env);
  g_autoptr (GError) error = NULL;
  g_autofree char *path
      = e2e_try_open_session (newcomer, env->coap_port, NULL, E2E_CALL_TIMEOUT_MS, &error);

  g_assert_no_error (error);
  e2e_close_session (newcomer, path);
  g_dbus_connection_close_sync (newcomer, NULL, NULL);
}

/* While a session is flooded and one of its listeners reads nothing, new
 * callers open sessions, and the daemon asks who they are on a connection
 * of its own: the process that owns the name, not the connection that
 * does. */
static void
test_open_while_listener_stalled (void)
{
  g_autoptr (Listened) flooded = listened_open (hostile_peer_get_port (peer));
  g_autoptr (GIOStream) stalled = stalled_listener_new (flooded->path);
  Monitored monitored = { .senders = g_ptr_array_new_with_free_func (g_free) };
  g_autoptr (GDBusConnection) monitor = monitor_lookups (&monitored);
  g_autofree char *owner = e2e_env_name_owner (env);
  guint flood_end = hostile_peer_get_flooded (peer) + HOSTILE_FLOOD_COUNT;
  guint opened = 0;

  start_flood (flooded);
  while (hostile_peer_get_flooded (peer) < flood_end)
    {
      open_as_newcomer ();
      opened++;
    }
  g_test_message ("%u sessions opened by newcomers during the flood", opened);
  g_assert_cmpuint (opened, >, 1);
  g_mutex_lock (&monitored.lock);
  g_assert_cmpuint (monitored.senders->len, >=, opened);
  for (guint i = 0; i < monitored.senders->len; i++)
    {
      const char *sender = g_ptr_array_index (monitored.senders, i);

      g_assert_cmpstr (sender, !=, owner);
      g_assert_cmpuint (pid_of (sender), ==, pid_of (owner));
    }
  g_mutex_unlock (&monitored.lock);
  g_dbus_connection_close_sync (monitor, NULL, NULL);
  g_ptr_array_unref (monitored.senders);
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
  g_test_add_func ("/floods/open-while-listener-stalled", test_open_while_listener_stalled);
  env = e2e_env_start (&options);
  peer = hostile_peer_start ();
  status = g_test_run ();
  hostile_peer_stop (peer);
  if (!e2e_env_stop (env, status != 0))
    status = 1;
  return status;
}
