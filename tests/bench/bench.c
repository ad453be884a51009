/* SPDX-License-Identifier: MIT */
/* bench.c — qcoapd against the straightforward AT host, side by side.
 *
 * Starts a private bus, coap-server-openssl on 127.0.0.1, and for each mode
 * of the line (bg96-sim at --baud 115200 paced towards the host; "field":
 * 115 200 baud both ways, 5 ms per AT command and a 50 ms network one way;
 * unpaced) two simulators: one for qcoapd, one for bench-baseline. Runs the
 * workloads on both, calls the echo service (the floor of D-Bus) as often,
 * and prints per workload: messages/s and their ratio, p50/p99
 * call-to-reply latency and qcoapd's p50 against echo + baseline, serial
 * bytes per message both ways (from the simulator's counters), the line's
 * floor and qcoapd's rate over it (bench-floor.h: the port time a message
 * cannot avoid), the daemon's CPU per message against one echo call's, its
 * memory idle, after a warm-up of 1 000 messages, half-way through and
 * after 100 000 more, and whether each target holds.
 *
 * qcoapd's callers open their sessions with "listen" false: no workload
 * needs a signal (a NON POST is done when the modem took it, a Request when
 * its reply came), and a session without listeners sends none.
 *
 *   bench [--json] [--quick] [--long]
 *
 * --long runs only the unpaced mode's long run (the CPU and memory figures
 * and their two targets), for work on those alone.
 *
 * Paths come from the environment (run-bench.sh sets them): QCOAPD,
 * BG96_SIM, BENCH_BASELINE, BENCH_ECHO.
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "bench-floor.h"
#include "bench-stats.h"
#include "harness.h"

#define BUS_NAME            "org.qcoapd.CoAP1"
#define SESSION_IFACE       "org.qcoapd.CoAP1.Session"
#define LINE_BAUD           115200
#define LINE_US_PER_BYTE    ((gdouble)BENCH_BITS_PER_BYTE * G_USEC_PER_SEC / LINE_BAUD)
#define FIELD_AT_LATENCY_MS 5
#define FIELD_NET_DELAY_MS  50
#define MEMORY_MESSAGES     100000
#define WARM_UP_MESSAGES    1000
/* The most Private_Dirty may grow from after the warm-up to after the long
 * run: beyond that the daemon keeps something per message. */
#define MEMORY_GROWTH_PERCENT 5.0

typedef struct
{
  const char *name;
  const char *description;
  guint callers;
  guint count; /* per caller */
  gboolean request;
  const char *path;
  guint payload_size;
} Workload;

static const Workload workloads[] = {
  { "a", "6 sessions, NON POST 64 B to one path", 6, 100, FALSE, "data", 64 },
  { "b1", "Request GET round trips, 1 caller", 1, 200, TRUE, "time", 0 },
  { "b6", "Request GET round trips, 6 callers", 6, 50, TRUE, "time", 0 },
  { "c", "1000 Requests, one session, same 2-segment path", 1, 1000, TRUE, "bench/item", 0 },
  { "d1", "NON POST, 1 B payload", 1, 200, FALSE, "data", 1 },
  { "d256", "NON POST, 256 B payload", 1, 200, FALSE, "data", 256 },
  { "d1024", "NON POST, 1024 B payload", 1, 200, FALSE, "data", 1024 },
};

typedef struct
{
  guint messages;
  gdouble seconds;
  gdouble p50_us, p99_us;
  guint64 host_bytes;  /* host → modem */
  guint64 modem_bytes; /* modem → host */
  gdouble cpu_us;      /* of the serving process */
} Run;

typedef struct
{
  Run qcoapd, baseline, echo;
} WorkloadResult;

typedef struct
{
  const char *name;
  const char *const *sim_args;
  BenchLine line;      /* what sim_args do to the line, for the floor */
  guint count_divisor; /* the workloads' counts, divided: field runs are slow */
  gboolean paced;      /* the line is paced: the throughput targets apply */
  WorkloadResult results[G_N_ELEMENTS (workloads)];
} Mode;

/* --network-ready: the module registered, its data context up, as a
 * module whose firmware activates context 1 by itself; the baseline does
 * not drive the network side, and the bench measures CoAP, not attach. */
static const char *const paced_args[]
    = { "--network-ready", "--baud", G_STRINGIFY (LINE_BAUD), "--log", "/dev/null", NULL };
/* What a gateway's UART and a cellular link look like: both directions at
 * 115 200 baud, 5 ms for the module to act on each command, 50 ms each way
 * on the network. */
static const char *const field_args[] = { "--network-ready",
                                          "--baud",
                                          G_STRINGIFY (LINE_BAUD),
                                          "--pace-input",
                                          "--at-latency",
                                          G_STRINGIFY (FIELD_AT_LATENCY_MS),
                                          "--net-delay",
                                          G_STRINGIFY (FIELD_NET_DELAY_MS),
                                          "--log",
                                          "/dev/null",
                                          NULL };
static const char *const unpaced_args[] = { "--network-ready", "--log", "/dev/null", NULL };

static struct
{
  char *tmpdir;
  GTestDBus *bus;
  char *bus_address;
  HarnessCoapServer *coap_server;
  HarnessSim *sim;
  HarnessSim *baseline_sim;
  GSubprocess *daemon;
  GSubprocess *echo;
  gboolean quick;
  gboolean long_only; /* --long: the long run alone */
  guint64 idle_private_dirty_kb, idle_rss_kb;
  guint64 workloads_private_dirty_kb, workloads_rss_kb; /* after the workloads */
  guint64 warm_private_dirty_kb, warm_rss_kb;           /* after the warm-up, before the long run */
  guint64 half_private_dirty_kb, half_rss_kb;           /* half-way through the long run */
  guint64 after_private_dirty_kb, after_rss_kb;
  Run long_run, long_echo; /* the 100 000 messages, and as many echo calls */
} bench;

/* ---- processes --------------------------------------------------------------------- */

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* What data/qcoapd.service.in sets for the daemon: the bench measures the
 * daemon as the unit runs it. */
static const char *const unit_environment[][2] = {
  { "G_SLICE", "always-malloc" },
  { "GLIBC_TUNABLES", "glibc.malloc.tcache_count=0" },
};

static GSubprocess *
spawn (const char *const *argv, GSubprocessFlags flags, const char *log_path)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (flags);
  g_autoptr (GError) error = NULL;
  GSubprocess *process;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  if (g_strcmp0 (argv[0], g_getenv ("QCOAPD")) == 0)
    for (gsize i = 0; i < G_N_ELEMENTS (unit_environment); i++)
      g_subprocess_launcher_setenv (launcher, unit_environment[i][0], unit_environment[i][1], TRUE);
  if (log_path)
    {
      g_subprocess_launcher_set_stdout_file_path (launcher, log_path);
      g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
    }
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (process == NULL)
    g_error ("cannot start %s: %s", argv[0], error->message);
  return process;
}

static const char *
program (const char *variable)
{
  const char *path = g_getenv (variable);

  if (path == NULL)
    g_error ("%s is not set; run the benchmark with tests/bench/run-bench.sh", variable);
  return path;
}

static void
stop (GSubprocess **process)
{
  if (*process == NULL)
    return;
  g_subprocess_send_signal (*process, SIGTERM);
  g_subprocess_wait (*process, NULL, NULL);
  g_clear_object (process);
}

static char *
read_line (GSubprocess *process)
{
  GInputStream *stream = g_subprocess_get_stdout_pipe (process);
  GString *line = g_string_new (NULL);
  char c;

  while (g_input_stream_read (stream, &c, 1, NULL, NULL) == 1 && c != '\n')
    g_string_append_c (line, c);
  return g_string_free (line, FALSE);
}

static void
write_line (GSubprocess *process, const char *text)
{
  g_output_stream_write_all (g_subprocess_get_stdin_pipe (process), text, strlen (text), NULL, NULL,
                             NULL);
  g_output_stream_write_all (g_subprocess_get_stdin_pipe (process), "\n", 1, NULL, NULL, NULL);
}

/* ---- /proc ---------------------------------------------------------------------------- */

static GPid
pid_of (GSubprocess *process)
{
  return (GPid)atoi (g_subprocess_get_identifier (process));
}

/* User + system CPU of @pid (all threads) in µs, from /proc/PID/stat. */
static gdouble
process_cpu_us (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *text = NULL;
  g_auto (GStrv) fields = NULL;
  const char *after_name;

  if (!g_file_get_contents (path, &text, NULL, NULL) || !(after_name = strrchr (text, ')')))
    g_error ("cannot read %s", path);
  /* Fields after the name start with the state (field 3); utime and stime
   * are fields 14 and 15. */
  fields = g_strsplit (after_name + 2, " ", -1);
  return (gdouble)(g_ascii_strtoull (fields[11], NULL, 10)
                   + g_ascii_strtoull (fields[12], NULL, 10))
         * G_USEC_PER_SEC / (gdouble)sysconf (_SC_CLK_TCK);
}

static guint64
proc_kb (GPid pid, const char *file, const char *key)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/%s", pid, file);
  g_autofree char *text = NULL;
  const char *found;

  if (!g_file_get_contents (path, &text, NULL, NULL) || !(found = strstr (text, key)))
    g_error ("cannot read %s from %s", key, path);
  return g_ascii_strtoull (found + strlen (key), NULL, 10);
}

static void
read_memory (GPid pid, guint64 *private_dirty_kb, guint64 *rss_kb)
{
  *private_dirty_kb = proc_kb (pid, "smaps_rollup", "Private_Dirty:");
  *rss_kb = proc_kb (pid, "status", "VmRSS:");
}

/* ---- the simulator's counters ------------------------------------------------------- */

static void
sim_bytes (HarnessSim *sim, guint64 *host_bytes, guint64 *modem_bytes)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = harness_sim_control (sim, "stats", 5000, &error);
  guint64 rx = 0, tx = 0;

  if (answer == NULL
      || sscanf (answer, "OK rx=%" G_GUINT64_FORMAT " tx=%" G_GUINT64_FORMAT, &rx, &tx) != 2)
    g_error ("bg96-sim stats: %s", answer ? answer : error->message);
  *host_bytes = rx;
  *modem_bytes = tx;
}

/* Lets URCs still on their way (Acks, NON responses) reach the counters. */
static void
settle (void)
{
  g_usleep (300 * 1000);
}

/* ---- D-Bus callers ---------------------------------------------------------------------- */

typedef struct
{
  GDBusConnection *connection;
  char *object_path;
  guint remaining;
  gint64 started_us;
} Caller;

typedef struct
{
  const Workload *workload;
  gboolean echo;
  Caller callers[6];
  GArray *latencies_us;
  guint outstanding;
  GBytes *payload;
  guint memory_probe_at; /* reads the daemon's memory after that many calls; 0: never */
} CallRun;

static GDBusConnection *
connect_bus (void)
{
  g_autoptr (GError) error = NULL;
  GDBusConnection *connection = g_dbus_connection_new_for_address_sync (
      bench.bus_address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);

  if (connection == NULL)
    g_error ("cannot connect to the bus: %s", error->message);
  return connection;
}

static void issue_call (CallRun *run, Caller *caller);

static void
on_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Caller *caller = user_data;
  CallRun *run = g_object_get_data (source, "bench-run");
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply
      = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  gdouble latency = (gdouble)(g_get_monotonic_time () - caller->started_us);

  if (reply == NULL)
    g_error ("call failed: %s", error->message);
  g_array_append_val (run->latencies_us, latency);
  if (run->latencies_us->len == run->memory_probe_at)
    read_memory (pid_of (bench.daemon), &bench.half_private_dirty_kb, &bench.half_rss_kb);
  if (--caller->remaining > 0)
    issue_call (run, caller);
  else
    run->outstanding--;
}

static void
issue_call (CallRun *run, Caller *caller)
{
  const Workload *w = run->workload;
  GVariant *payload = g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, run->payload, TRUE);
  GVariant *parameters;
  GVariantBuilder options;

  caller->started_us = g_get_monotonic_time ();
  if (run->echo)
    {
      g_dbus_connection_call (caller->connection, "org.qcoapd.BenchEcho", "/org/qcoapd/BenchEcho",
                              "org.qcoapd.BenchEcho", "Echo", g_variant_new_tuple (&payload, 1),
                              G_VARIANT_TYPE ("(ay)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_reply,
                              caller);
      return;
    }
  g_variant_builder_init (&options, G_VARIANT_TYPE ("a(qv)"));
  if (w->request)
    {
      GVariantBuilder flags;
      g_autofree char *path = g_strconcat ("/", w->path, NULL);

      g_variant_builder_init (&flags, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&flags, "{sv}", "uri-path", g_variant_new_string (path));
      parameters = g_variant_new ("(y@a(qv)@aya{sv})", 1, g_variant_builder_end (&options), payload,
                                  &flags);
    }
  else
    {
      g_variant_builder_add (&options, "(qv)", 11, g_variant_new_string (w->path));
      parameters = g_variant_new ("(yy@a(qv)@aya{sv})", 1, 2, g_variant_builder_end (&options),
                                  payload, NULL);
    }
  g_dbus_connection_call (caller->connection, BUS_NAME, caller->object_path, SESSION_IFACE,
                          w->request ? "Request" : "Send", parameters, NULL, G_DBUS_CALL_FLAGS_NONE,
                          120000, NULL, on_reply, caller);
}

static void
open_callers (CallRun *run)
{
  for (guint i = 0; i < run->workload->callers; i++)
    {
      Caller *caller = &run->callers[i];
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) reply = NULL;
      GVariantBuilder options;

      caller->connection = connect_bus ();
      g_object_set_data (G_OBJECT (caller->connection), "bench-run", run);
      if (run->echo)
        continue;
      g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
      /* No workload needs the session's signals (see the top). */
      g_variant_builder_add (&options, "{sv}", "listen", g_variant_new_boolean (FALSE));
      reply = g_dbus_connection_call_sync (
          caller->connection, BUS_NAME, "/org/qcoapd/CoAP1", BUS_NAME, "Open",
          g_variant_new ("(sqa{sv})", "127.0.0.1", bench.coap_server->port, &options),
          G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, 30000, NULL, &error);
      if (reply == NULL)
        g_error ("Open failed: %s", error->message);
      g_variant_get (reply, "(o)", &caller->object_path);
    }
}

static void
close_callers (CallRun *run)
{
  for (guint i = 0; i < run->workload->callers; i++)
    {
      Caller *caller = &run->callers[i];

      if (caller->object_path)
        g_dbus_connection_call_sync (caller->connection, BUS_NAME, caller->object_path,
                                     SESSION_IFACE, "Close", NULL, NULL, G_DBUS_CALL_FLAGS_NONE,
                                     30000, NULL, NULL);
      g_dbus_connection_close_sync (caller->connection, NULL, NULL);
      g_clear_object (&caller->connection);
      g_clear_pointer (&caller->object_path, g_free);
    }
}

/* Runs @w over D-Bus, on qcoapd or (@echo) on the echo service. */
static Run
run_dbus (const Workload *w, guint count, gboolean echo, guint memory_probe_at)
{
  CallRun run = { .workload = w, .echo = echo, .memory_probe_at = memory_probe_at };
  GSubprocess *server = echo ? bench.echo : bench.daemon;
  g_autofree guint8 *payload = g_malloc (MAX (w->payload_size, 1));
  Run result = { 0 };
  guint64 host0 = 0, modem0 = 0, host1 = 0, modem1 = 0;
  gdouble cpu0;
  gint64 start;

  memset (payload, 'p', MAX (w->payload_size, 1));
  run.payload = g_bytes_new (payload, w->payload_size);
  run.latencies_us = g_array_new (FALSE, FALSE, sizeof (gdouble));
  open_callers (&run);
  if (!echo)
    sim_bytes (bench.sim, &host0, &modem0);
  cpu0 = process_cpu_us (pid_of (server));
  start = g_get_monotonic_time ();
  for (guint i = 0; i < w->callers; i++)
    {
      run.callers[i].remaining = count;
      run.outstanding++;
      issue_call (&run, &run.callers[i]);
    }
  while (run.outstanding > 0)
    g_main_context_iteration (NULL, TRUE);
  result.seconds = (gdouble)(g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  result.messages = run.latencies_us->len;
  if (!echo)
    {
      settle ();
      sim_bytes (bench.sim, &host1, &modem1);
    }
  result.cpu_us = process_cpu_us (pid_of (server)) - cpu0;
  result.host_bytes = host1 - host0;
  result.modem_bytes = modem1 - modem0;
  result.p50_us = bench_percentile (run.latencies_us, 50);
  result.p99_us = bench_percentile (run.latencies_us, 99);
  close_callers (&run);
  g_array_unref (run.latencies_us);
  g_bytes_unref (run.payload);
  return result;
}

/* ---- the baseline ------------------------------------------------------------------------ */

static Run
run_baseline (const Workload *w)
{
  g_autofree char *port = g_strdup_printf ("%u", bench.coap_server->port);
  g_autofree char *callers = g_strdup_printf ("%u", w->callers);
  g_autofree char *count = g_strdup_printf ("%u", w->count);
  g_autofree char *payload_size = g_strdup_printf ("%u", MAX (w->payload_size, 1));
  const char *argv[] = { program ("BENCH_BASELINE"),
                         "--device",
                         bench.baseline_sim->link_path,
                         "--port",
                         port,
                         "--callers",
                         callers,
                         "--count",
                         count,
                         "--path",
                         w->path,
                         "--payload-size",
                         payload_size,
                         w->request ? "--request" : NULL,
                         NULL };
  g_autoptr (GSubprocess) process
      = spawn (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, NULL);
  g_autofree char *open = read_line (process);
  g_autofree char *result_line = NULL;
  Run result = { 0 };
  guint64 host0, modem0, host1, modem1;

  if (!g_str_equal (open, "OPEN"))
    g_error ("bench-baseline did not open its clients (said \"%s\")", open);
  sim_bytes (bench.baseline_sim, &host0, &modem0);
  write_line (process, "go");
  result_line = read_line (process);
  if (sscanf (result_line, "RESULT messages=%u seconds=%lf p50_us=%lf p99_us=%lf", &result.messages,
              &result.seconds, &result.p50_us, &result.p99_us)
      != 4)
    g_error ("bench-baseline said \"%s\"", result_line);
  settle ();
  sim_bytes (bench.baseline_sim, &host1, &modem1);
  result.host_bytes = host1 - host0;
  result.modem_bytes = modem1 - modem0;
  write_line (process, "quit");
  g_subprocess_wait_check (process, NULL, NULL);
  return result;
}

/* ---- set-up ------------------------------------------------------------------------------- */

static gboolean
daemon_is_ready (GDBusConnection *connection)
{
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      connection, BUS_NAME, "/org/qcoapd/CoAP1", "org.freedesktop.DBus.Properties", "Get",
      g_variant_new ("(ss)", BUS_NAME, "State"), G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE,
      1000, NULL, NULL);
  g_autoptr (GVariant) state = NULL;

  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(v)", &state);
  return g_str_equal (g_variant_get_string (state, NULL), "ready");
}

static void
start_mode (const Mode *mode)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_build_filename (bench.tmpdir, mode->name, NULL);
  g_autofree char *sim_dir = g_build_filename (dir, "qcoapd", NULL);
  g_autofree char *baseline_dir = g_build_filename (dir, "baseline", NULL);
  g_autofree char *config = g_build_filename (dir, "qcoapd.conf", NULL);
  g_autofree char *log = g_build_filename (dir, "qcoapd.log", NULL);
  g_autofree char *bus_arg = g_strdup_printf ("--bus=%s", bench.bus_address);
  g_autofree char *device_arg = NULL;
  g_autofree char *config_arg = g_strdup_printf ("--config=%s", config);
  g_autoptr (GDBusConnection) connection = connect_bus ();
  g_autofree char *ready = NULL;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  g_mkdir_with_parents (sim_dir, 0700);
  g_mkdir_with_parents (baseline_dir, 0700);
  g_file_set_contents (config, "", 0, NULL);
  bench.sim = harness_sim_start (sim_dir, mode->sim_args, &error);
  g_assert_no_error (error);
  bench.baseline_sim = harness_sim_start (baseline_dir, mode->sim_args, &error);
  g_assert_no_error (error);
  device_arg = g_strdup_printf ("--device=%s", bench.sim->link_path);
  bench.daemon
      = spawn ((const char *const[]){ program ("QCOAPD"), bus_arg, device_arg, config_arg, NULL },
               G_SUBPROCESS_FLAGS_NONE, log);
  while (!daemon_is_ready (connection))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("qcoapd did not become ready; see %s", log);
      g_usleep (50 * 1000);
    }
  bench.echo
      = spawn ((const char *const[]){ program ("BENCH_ECHO"), "--bus", bench.bus_address, NULL },
               G_SUBPROCESS_FLAGS_STDOUT_PIPE, NULL);
  ready = read_line (bench.echo);
  if (!g_str_equal (ready, "READY"))
    g_error ("bench-echo did not start");
}

static void
stop_mode (void)
{
  stop (&bench.echo);
  stop (&bench.daemon);
  g_clear_pointer (&bench.sim, harness_sim_free);
  g_clear_pointer (&bench.baseline_sim, harness_sim_free);
}

/* The long run's calls (workload a's) @total times, reading the daemon's
 * memory half-way if @probe_half. */
static Run
run_many (guint total, gboolean echo, gboolean probe_half)
{
  Workload many = workloads[0];

  many.count = total / many.callers;
  return run_dbus (&many, many.count, echo, probe_half ? many.count * many.callers / 2 : 0);
}

static void
measure_memory_and_cpu (const Mode *mode)
{
  guint total = bench.quick ? MEMORY_MESSAGES / 10 : MEMORY_MESSAGES;

  g_usleep (1000 * 1000);
  read_memory (pid_of (bench.daemon), &bench.workloads_private_dirty_kb, &bench.workloads_rss_kb);
  g_printerr ("[%s] a warm-up of %u messages, then %u for the memory and CPU figures\n", mode->name,
              WARM_UP_MESSAGES, total);
  run_many (WARM_UP_MESSAGES, FALSE, FALSE);
  g_usleep (1000 * 1000);
  read_memory (pid_of (bench.daemon), &bench.warm_private_dirty_kb, &bench.warm_rss_kb);
  bench.long_run = run_many (total, FALSE, TRUE);
  g_usleep (1000 * 1000);
  read_memory (pid_of (bench.daemon), &bench.after_private_dirty_kb, &bench.after_rss_kb);
  bench.long_echo = run_many (total, TRUE, FALSE);
}

static void
run_mode (Mode *mode, gboolean measure_memory)
{
  start_mode (mode);
  if (measure_memory)
    {
      g_usleep (500 * 1000);
      read_memory (pid_of (bench.daemon), &bench.idle_private_dirty_kb, &bench.idle_rss_kb);
    }
  for (guint i = 0; i < G_N_ELEMENTS (workloads) && !bench.long_only; i++)
    {
      const Workload *w = &workloads[i];
      WorkloadResult *r = &mode->results[i];
      guint count = MAX (w->count / mode->count_divisor / (bench.quick ? 10 : 1), 5);
      Workload scaled = *w;

      scaled.count = count;
      g_printerr ("[%s] workload %s: %s (%u per caller)\n", mode->name, w->name, w->description,
                  count);
      r->qcoapd = run_dbus (&scaled, count, FALSE, 0);
      r->baseline = run_baseline (&scaled);
      r->echo = run_dbus (&scaled, count, TRUE, 0);
    }
  if (measure_memory)
    measure_memory_and_cpu (mode);
  stop_mode ();
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/* ---- output ---------------------------------------------------------------------------------- */

static gdouble
rate (const Run *run)
{
  return run->seconds > 0 ? run->messages / run->seconds : 0;
}

static gdouble
per_message (guint64 value, const Run *run)
{
  return run->messages ? (gdouble)value / run->messages : 0;
}

static gdouble
throughput_ratio (const WorkloadResult *r)
{
  return rate (&r->baseline) > 0 ? rate (&r->qcoapd) / rate (&r->baseline) : 0;
}

/* qcoapd's p50 beyond the sum of a bare D-Bus call's and the baseline's. */
static gdouble
p50_excess_us (const WorkloadResult *r)
{
  return r->qcoapd.p50_us - (r->echo.p50_us + r->baseline.p50_us);
}

static gdouble
growth_percent (guint64 now, guint64 before)
{
  return before ? 100.0 * ((gdouble)now - (gdouble)before) / (gdouble)before : 0;
}

static gdouble
long_run_cpu_ratio (void)
{
  gdouble echo = per_message (1, &bench.long_echo) * bench.long_echo.cpu_us;

  return echo > 0 ? per_message (1, &bench.long_run) * bench.long_run.cpu_us / echo : 0;
}

/* Throughput if host → modem bytes also cost line time: the simulator paces
 * only what it sends, but on a real UART the command bytes are on the
 * critical path too, since the host waits for each result. */
static gdouble
line_model_rate (const Run *run)
{
  gdouble seconds = run->seconds + run->host_bytes * LINE_US_PER_BYTE / G_USEC_PER_SEC;

  return seconds > 0 ? run->messages / seconds : 0;
}

/* The floor of workload @i in @mode (see bench-floor.h), with the URC
 * bytes its baseline run counted. */
static BenchFloor
workload_floor (const Mode *mode, guint i)
{
  const Workload *w = &workloads[i];
  const Run *baseline = &mode->results[i].baseline;
  g_auto (GStrv) segments = g_strsplit (w->path, "/", -1);
  BenchFloorMessage message = { .callers = w->callers,
                                .request = w->request,
                                .path_segments = g_strv_length (segments),
                                .payload_size = w->payload_size };

  return bench_floor (&mode->line, &message, per_message (baseline->modem_bytes, baseline));
}

static void
print_header (const Mode *mode, gboolean line_model)
{
  printf ("\n== bg96-sim %s ==\n", mode->name);
  printf ("%-6s %9s %9s %6s | %7s %7s %7s %7s %7s %7s | %6s %6s %6s %6s %5s | %6s %6s %5s | %7s "
          "%6s",
          "load", "qcoapd/s", "base/s", "ratio", "q p50", "q p99", "b p50", "b p99", "e p50",
          "q-e-b", "q>mdm", "q<mdm", "b>mdm", "b<mdm", "ratio", "cpu_us", "echo", "ratio",
          "floor/s", "q/flr");
  if (line_model)
    printf (" | %9s %5s", "line-model", "ratio");
  printf ("\n");
}

static void
print_row (const Mode *mode, guint i, gboolean line_model)
{
  const WorkloadResult *r = &mode->results[i];
  gdouble q_bytes = per_message (r->qcoapd.host_bytes + r->qcoapd.modem_bytes, &r->qcoapd);
  gdouble b_bytes = per_message (r->baseline.host_bytes + r->baseline.modem_bytes, &r->baseline);
  gdouble q_cpu = per_message (1, &r->qcoapd) * r->qcoapd.cpu_us;
  gdouble e_cpu = per_message (1, &r->echo) * r->echo.cpu_us;
  BenchFloor floor = workload_floor (mode, i);

  printf ("%-6s %9.1f %9.1f %6.2f | %7.2f %7.2f %7.2f %7.2f %7.2f %7.2f | %6.1f %6.1f "
          "%6.1f %6.1f %5.2f | %6.0f %6.0f %5.2f",
          workloads[i].name, rate (&r->qcoapd), rate (&r->baseline),
          rate (&r->qcoapd) / rate (&r->baseline), r->qcoapd.p50_us / 1000, r->qcoapd.p99_us / 1000,
          r->baseline.p50_us / 1000, r->baseline.p99_us / 1000, r->echo.p50_us / 1000,
          p50_excess_us (r) / 1000, per_message (r->qcoapd.host_bytes, &r->qcoapd),
          per_message (r->qcoapd.modem_bytes, &r->qcoapd),
          per_message (r->baseline.host_bytes, &r->baseline),
          per_message (r->baseline.modem_bytes, &r->baseline), q_bytes / b_bytes, q_cpu, e_cpu,
          e_cpu > 0 ? q_cpu / e_cpu : 0);
  if (floor.msgs_per_s > 0)
    printf (" | %7.1f %6.2f", floor.msgs_per_s, rate (&r->qcoapd) / floor.msgs_per_s);
  else
    printf (" | %7s %6s", "-", "-");
  if (line_model)
    printf (" | %9.1f %5.2f", line_model_rate (&r->qcoapd),
            line_model_rate (&r->qcoapd) / line_model_rate (&r->baseline));
  printf ("\n");
}

static void
print_memory (void)
{
  printf ("\nlong run (unpaced, workload a's calls): %u messages at %.1f/s, daemon CPU %.1f µs "
          "per message; %u echo calls, %.1f µs each; ratio %.2f\n",
          bench.long_run.messages, rate (&bench.long_run),
          per_message (1, &bench.long_run) * bench.long_run.cpu_us, bench.long_echo.messages,
          per_message (1, &bench.long_echo) * bench.long_echo.cpu_us, long_run_cpu_ratio ());
  printf ("qcoapd memory (kB): Private_Dirty idle %" G_GUINT64_FORMAT
          ", after the workloads %" G_GUINT64_FORMAT
          ", after a warm-up of %u messages %" G_GUINT64_FORMAT
          ",\n                    half-way through %u more %" G_GUINT64_FORMAT
          ", after them %" G_GUINT64_FORMAT " (%+.1f %% of after the warm-up, %+.1f %% of idle)\n",
          bench.idle_private_dirty_kb, bench.workloads_private_dirty_kb, WARM_UP_MESSAGES,
          bench.warm_private_dirty_kb, bench.long_run.messages, bench.half_private_dirty_kb,
          bench.after_private_dirty_kb,
          growth_percent (bench.after_private_dirty_kb, bench.warm_private_dirty_kb),
          growth_percent (bench.after_private_dirty_kb, bench.idle_private_dirty_kb));
  printf ("                    VmRSS idle %" G_GUINT64_FORMAT
          ", after the warm-up %" G_GUINT64_FORMAT ", after the long run %" G_GUINT64_FORMAT "\n",
          bench.idle_rss_kb, bench.warm_rss_kb, bench.after_rss_kb);
}

static void
print_table (Mode *modes, guint n_modes)
{
  for (guint m = 0; m < n_modes; m++)
    {
      print_header (&modes[m], m == 0);
      for (guint i = 0; i < G_N_ELEMENTS (workloads); i++)
        print_row (&modes[m], i, m == 0);
    }
  printf ("\nlatencies in ms (e = echo call; q-e-b: qcoapd's p50 less echo's and baseline's); "
          "bytes per message: q = qcoapd,\nb = baseline, >mdm host to modem, <mdm modem to host; "
          "cpu_us: daemon CPU per message (from /proc/PID/stat,\n10 ms ticks: coarse here), echo: "
          "CPU of one echo call; floor/s: the line's floor (AT+QCOAPSEND, payload,\nanswers and "
          "URCs at the line rate, the module's latency, the network's round trip a Request waits "
          "for;\nsee bench-floor.h), q/flr: qcoapd's rate over it; line-model: as if host-to-modem "
          "bytes also took 86.8 us\neach (field paces them: --pace-input)\n");
  print_memory ();
}

static void
print_target (const char *target, gboolean holds, const char *measured)
{
  printf ("%-58s %-7s %s\n", target, holds ? "holds" : "MISSED", measured);
}

/* The targets, each with what was measured. */
static void
print_targets (Mode *modes, guint n_modes)
{
  printf ("\ntargets:\n");
  for (guint m = 0; m < n_modes && !bench.long_only; m++)
    {
      gdouble low = G_MAXDOUBLE, high = 0;
      g_autofree char *target = NULL;
      g_autofree char *measured = NULL;

      if (!modes[m].paced)
        continue;
      for (guint i = 0; i < G_N_ELEMENTS (workloads); i++)
        {
          low = MIN (low, throughput_ratio (&modes[m].results[i]));
          high = MAX (high, throughput_ratio (&modes[m].results[i]));
        }
      target = g_strdup_printf ("%s: every workload >= 1.0x the baseline", modes[m].name);
      measured = g_strdup_printf ("%.2f-%.2fx", low, high);
      print_target (target, low >= 1.0, measured);
      if (g_str_equal (modes[m].name, "field"))
        for (guint i = 0; i < G_N_ELEMENTS (workloads); i++)
          if (g_str_equal (workloads[i].name, "b6") || g_str_equal (workloads[i].name, "c"))
            {
              gdouble ratio = throughput_ratio (&modes[m].results[i]);
              g_autofree char *what = g_strdup_printf ("field: (%s) >= 1.3x", workloads[i].name);
              g_autofree char *value = g_strdup_printf ("%.2fx", ratio);

              print_target (what, ratio >= 1.3, value);
            }
    }
  for (guint m = 0; m < n_modes && !bench.long_only; m++)
    if (g_str_equal (modes[m].name, "unpaced"))
      {
        gdouble excess = p50_excess_us (&modes[m].results[1]);
        g_autofree char *value = g_strdup_printf ("%+.0f us", excess);

        print_target ("unpaced b1: p50 <= echo p50 + baseline p50 + 100 us", excess <= 100, value);
      }
  {
    gdouble ratio = long_run_cpu_ratio ();
    g_autofree char *value = g_strdup_printf ("%.2fx", ratio);
    gdouble growth = growth_percent (bench.after_private_dirty_kb, bench.warm_private_dirty_kb);
    g_autofree char *memory = g_strdup_printf ("%+.1f %%", growth);

    print_target ("daemon CPU per message <= 2x an echo call", ratio <= 2.0, value);
    print_target ("Private_Dirty after the long run <= 1.05x after the warm-up",
                  growth <= MEMORY_GROWTH_PERCENT, memory);
  }
}

static void
append_run (GString *out, const char *name, const Run *run)
{
  g_string_append_printf (
      out,
      "\"%s\": {\"messages\": %u, \"seconds\": %.6f, \"msgs_per_s\": %.2f, "
      "\"p50_us\": %.0f, \"p99_us\": %.0f, \"host_to_modem_bytes\": %" G_GUINT64_FORMAT
      ", \"modem_to_host_bytes\": %" G_GUINT64_FORMAT ", \"cpu_us\": %.0f}",
      name, run->messages, run->seconds, rate (run), run->p50_us, run->p99_us, run->host_bytes,
      run->modem_bytes, run->cpu_us);
}

/* "floor": the line's floor of workload @i; msgs_per_s null where nothing
 * is paced. */
static void
append_floor (GString *out, const Mode *mode, guint i)
{
  BenchFloor floor = workload_floor (mode, i);

  g_string_append (out, ", \"floor\": {\"msgs_per_s\": ");
  if (floor.msgs_per_s > 0)
    g_string_append_printf (out, "%.2f", floor.msgs_per_s);
  else
    g_string_append (out, "null");
  g_string_append_printf (out,
                          ", \"host_to_modem_bytes\": %u, \"modem_to_host_bytes\": %.1f, "
                          "\"port_us\": %.0f, \"wait_us\": %.0f}",
                          floor.host_bytes, floor.modem_bytes, floor.port_us, floor.wait_us);
}

static void
print_json (Mode *modes, guint n_modes)
{
  g_autoptr (GString) out = g_string_new ("{\"modes\": {");

  for (guint m = 0; m < n_modes; m++)
    {
      g_string_append_printf (out, "%s\"%s\": {", m ? ", " : "", modes[m].name);
      for (guint i = 0; i < G_N_ELEMENTS (workloads); i++)
        {
          const WorkloadResult *r = &modes[m].results[i];

          g_string_append_printf (out, "%s\"%s\": {\"description\": \"%s\", ", i ? ", " : "",
                                  workloads[i].name, workloads[i].description);
          append_run (out, "qcoapd", &r->qcoapd);
          g_string_append (out, ", ");
          append_run (out, "baseline", &r->baseline);
          g_string_append (out, ", ");
          append_run (out, "echo", &r->echo);
          append_floor (out, &modes[m], i);
          g_string_append (out, "}");
        }
      g_string_append (out, "}");
    }
  g_string_append (out, "}, \"long_run\": {");
  append_run (out, "qcoapd", &bench.long_run);
  g_string_append (out, ", ");
  append_run (out, "echo", &bench.long_echo);
  g_string_append_printf (
      out,
      "}, \"memory\": {\"idle_private_dirty_kb\": %" G_GUINT64_FORMAT
      ", \"idle_vmrss_kb\": %" G_GUINT64_FORMAT
      ", \"after_workloads_private_dirty_kb\": %" G_GUINT64_FORMAT
      ", \"warm_up_messages\": %u, \"after_warm_up_private_dirty_kb\": %" G_GUINT64_FORMAT
      ", \"after_warm_up_vmrss_kb\": %" G_GUINT64_FORMAT ", \"long_run_messages\": %u"
      ", \"half_long_run_private_dirty_kb\": %" G_GUINT64_FORMAT
      ", \"after_long_run_private_dirty_kb\": %" G_GUINT64_FORMAT
      ", \"after_long_run_vmrss_kb\": %" G_GUINT64_FORMAT "}}\n",
      bench.idle_private_dirty_kb, bench.idle_rss_kb, bench.workloads_private_dirty_kb,
      WARM_UP_MESSAGES, bench.warm_private_dirty_kb, bench.warm_rss_kb, bench.long_run.messages,
      bench.half_private_dirty_kb, bench.after_private_dirty_kb, bench.after_rss_kb);
  fputs (out->str, stdout);
}

int
main (int argc, char **argv)
{
  gboolean json = FALSE;
  g_autoptr (GOptionContext) context = g_option_context_new ("— qcoapd against the AT host");
  g_autoptr (GError) error = NULL;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON instead of a table", NULL },
    { "quick", 0, 0, G_OPTION_ARG_NONE, &bench.quick, "A tenth of the messages (a smoke run)",
      NULL },
    { "long", 0, 0, G_OPTION_ARG_NONE, &bench.long_only,
      "Only the unpaced long run: daemon CPU and memory", NULL },
    { NULL },
  };
  Mode modes[] = {
    { .name = "115200",
      .sim_args = paced_args,
      .line = { .baud = LINE_BAUD },
      .count_divisor = 1,
      .paced = TRUE },
    { .name = "field",
      .sim_args = field_args,
      .line = { .baud = LINE_BAUD,
                .pace_input = TRUE,
                .at_latency_ms = FIELD_AT_LATENCY_MS,
                .net_delay_ms = FIELD_NET_DELAY_MS },
      .count_divisor = 5,
      .paced = TRUE },
    { .name = "unpaced", .sim_args = unpaced_args, .count_divisor = 1 },
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench: %s\n", error->message);
      return 2;
    }
  bench.tmpdir = harness_make_temp_dir ();
  bench.bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bench.bus);
  bench.bus_address = g_strdup (g_test_dbus_get_bus_address (bench.bus));
  bench.coap_server = harness_coap_server_start (bench.tmpdir, NULL, &error);
  g_assert_no_error (error);

  for (guint m = 0; m < G_N_ELEMENTS (modes); m++)
    if (!bench.long_only || !modes[m].paced)
      run_mode (&modes[m], !modes[m].paced);

  if (json)
    print_json (modes, G_N_ELEMENTS (modes));
  else
    {
      if (bench.long_only)
        print_memory ();
      else
        print_table (modes, G_N_ELEMENTS (modes));
      print_targets (modes, G_N_ELEMENTS (modes));
    }

  g_clear_pointer (&bench.coap_server, harness_coap_server_free);
  g_test_dbus_down (bench.bus);
  g_clear_object (&bench.bus);
  if (g_getenv ("BENCH_KEEP_LOGS") == NULL)
    remove_tree (bench.tmpdir);
  else
    g_printerr ("logs kept in %s\n", bench.tmpdir);
  return 0;
}
