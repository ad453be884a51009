/* SPDX-License-Identifier: MIT */
/* bench-proxy.c — what qcoap-proxy costs per request: the same requests
 * through the proxy (a reverse route, and the forward proxy with
 * Proxy-Uri) and straight through the D-Bus API, in one run, on one
 * bg96-sim at 115 200 baud (and unpaced, where the proxy's own cost is not
 * hidden behind the serial line).
 *
 * The D-Bus caller sends session Requests on one session; the CoAP callers
 * send Confirmable requests from their own UDP sockets and count a request
 * done when its response (piggybacked or separate) arrived. Printed per
 * workload and mode: requests/s, p50/p99 latency, the ratio to D-Bus, and
 * the CPU per request of qcoapd, of the callers (this process: the D-Bus
 * client, or the CoAP clients) and of the proxy.
 *
 *   bench-proxy [--quick] [--unpaced]
 *
 * Paths come from the environment (run-bench.sh --proxy sets them):
 * QCOAPD, BG96_SIM, QCOAP_PROXY.
 */
#include <gio/gio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "bench-stats.h"
#include "coap-pdu.h"
#include "harness.h"

#define CALLERS_MAX   6
#define REPLY_TIMEOUT 60000

typedef enum
{
  MODE_DBUS,
  MODE_ROUTE,
  MODE_FORWARD,
  N_MODES
} Mode;

static const char *const mode_names[] = { "D-Bus Request", "proxy route", "proxy Proxy-Uri" };

typedef struct
{
  const char *name;
  const char *description;
  guint callers;
  guint count; /* per caller */
  guint8 code;
  const char *path;
  guint payload_size;
} Workload;

static const Workload workloads[] = {
  { "g1", "CON GET /time, 1 caller", 1, 200, 1, "time", 0 },
  { "g6", "CON GET /time, 6 callers", 6, 50, 1, "time", 0 },
  { "p256", "CON PUT 256 B to /example_data, 1 caller", 1, 200, 3, "example_data", 256 },
};

typedef struct
{
  guint requests;
  gdouble seconds;
  gdouble p50_us, p99_us;
  gdouble daemon_cpu_us, proxy_cpu_us, caller_cpu_us; /* per request */
} Result;

static struct
{
  char *tmpdir;
  GTestDBus *bus;
  HarnessCoapServer *server;
  HarnessSim *sim;
  GSubprocess *daemon, *proxy;
  GDBusConnection *connection;
  char *session_path;
  guint16 route_port, forward_port;
  gboolean quick, unpaced;
} bench;

/* ---- processes ----------------------------------------------------------------------- */

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static GSubprocess *
spawn (const char *const *argv, const char *log_path)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr (GError) error = NULL;
  GSubprocess *process;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_set_stdout_file_path (launcher, log_path);
  g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
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
    g_error ("%s is not set; run tests/bench/run-bench.sh --proxy", variable);
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

/* CPU time of @process in µs, all threads, from /proc/PID/task/N/schedstat
 * (nanoseconds, where /proc/PID/stat counts clock ticks of 10 ms). Threads
 * that ended are not counted: GDBus's worker and GLib's other threads live as
 * long as the process. */
static gdouble
pid_cpu_us (const char *pid)
{
  g_autofree char *tasks = g_strdup_printf ("/proc/%s/task", pid);
  g_autoptr (GDir) dir = g_dir_open (tasks, 0, NULL);
  const char *task;
  guint64 total_ns = 0;

  if (dir == NULL)
    g_error ("cannot read %s", tasks);
  while ((task = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (tasks, task, "schedstat", NULL);
      g_autofree char *text = NULL;

      if (g_file_get_contents (path, &text, NULL, NULL))
        total_ns += g_ascii_strtoull (text, NULL, 10);
    }
  return total_ns / 1000.0;
}

static gdouble
process_cpu_us (GSubprocess *process)
{
  return pid_cpu_us (g_subprocess_get_identifier (process));
}

static gdouble
self_cpu_us (void)
{
  return pid_cpu_us ("self");
}

/* ---- D-Bus callers ---------------------------------------------------------------------- */

typedef struct Run Run;

typedef struct
{
  Run *run;
  guint index;
  guint remaining;
  gint64 started_us;
  GSocket *socket; /* CoAP callers */
  GSource *source;
  guint16 message_id;
  guint8 token[4];
} Caller;

struct Run
{
  const Workload *workload;
  Mode mode;
  Caller callers[CALLERS_MAX];
  GArray *latencies_us;
  guint outstanding;
  GBytes *payload;
};

static void caller_next (Caller *caller);

static void
caller_done (Caller *caller)
{
  gdouble latency = (gdouble)(g_get_monotonic_time () - caller->started_us);

  g_array_append_val (caller->run->latencies_us, latency);
  if (--caller->remaining > 0)
    caller_next (caller);
  else
    caller->run->outstanding--;
}

static void
on_dbus_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply
      = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  guint8 code;

  if (reply == NULL)
    g_error ("Request failed: %s", error->message);
  g_variant_get_child (reply, 0, "y", &code);
  if (code >> 5 != 2)
    g_error ("Request answered %u.%02u", code >> 5, code & 0x1f);
  caller_done (user_data);
}

static void
dbus_request (Caller *caller)
{
  const Workload *w = caller->run->workload;
  g_autofree char *path = g_strconcat ("/", w->path, NULL);
  GVariantBuilder flags;

  g_variant_builder_init (&flags, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&flags, "{sv}", "uri-path", g_variant_new_string (path));
  g_dbus_connection_call (
      bench.connection, "org.qcoapd.CoAP1", bench.session_path, "org.qcoapd.CoAP1.Session",
      "Request",
      g_variant_new (
          "(y@a(qv)@aya{sv})", w->code, g_variant_new_array (G_VARIANT_TYPE ("(qv)"), NULL, 0),
          g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, caller->run->payload, TRUE), &flags),
      G_VARIANT_TYPE ("(ya(qv)ay)"), G_DBUS_CALL_FLAGS_NONE, REPLY_TIMEOUT, NULL, on_dbus_reply,
      caller);
}

/* ---- CoAP callers --------------------------------------------------------------------- */

static void
coap_send (Caller *caller, const CoapPdu *pdu, guint16 port)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) to = g_inet_socket_address_new (loopback, port);
  g_autoptr (GError) error = NULL;
  guint8 datagram[COAP_MAX_DATAGRAM];
  gssize length = coap_pdu_encode (pdu, datagram, sizeof datagram, &error);

  if (length < 0
      || g_socket_send_to (caller->socket, to, (const char *)datagram, length, NULL, &error) < 0)
    g_error ("cannot send a request: %s", error->message);
}

static void
coap_request (Caller *caller)
{
  const Workload *w = caller->run->workload;
  CoapPdu pdu = { .type = COAP_TYPE_CON, .code = w->code, .token_length = sizeof caller->token };
  g_autofree char *uri = g_strdup_printf ("coap://127.0.0.1:%u/%s", bench.server->port, w->path);
  gsize length;
  gboolean forward = caller->run->mode == MODE_FORWARD;

  pdu.message_id = ++caller->message_id;
  caller->token[0] = (guint8)caller->index;
  caller->token[3] = (guint8)caller->message_id;
  caller->token[2] = (guint8)(caller->message_id >> 8);
  memcpy (pdu.token, caller->token, sizeof caller->token);
  if (forward)
    coap_pdu_add_option (&pdu, 35, (const guint8 *)uri, strlen (uri));
  else
    coap_pdu_add_option (&pdu, 11, (const guint8 *)w->path, strlen (w->path));
  pdu.payload = g_bytes_get_data (caller->run->payload, &length);
  pdu.payload_length = length;
  coap_send (caller, &pdu, forward ? bench.forward_port : bench.route_port);
}

/* A response piggybacked in the ACK, or a separate one (acknowledged). */
static gboolean
on_coap_readable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Caller *caller = user_data;
  guint8 datagram[COAP_MAX_DATAGRAM];
  gssize length = g_socket_receive (socket, (char *)datagram, sizeof datagram, NULL, NULL);
  CoapPdu pdu;

  if (length <= 0 || !coap_pdu_decode (datagram, length, &pdu, NULL) || pdu.code == 0)
    return G_SOURCE_CONTINUE; /* an empty ACK: the response follows */
  if (pdu.type == COAP_TYPE_CON)
    {
      CoapPdu ack = { .type = COAP_TYPE_ACK, .message_id = pdu.message_id };

      coap_send (caller, &ack,
                 caller->run->mode == MODE_FORWARD ? bench.forward_port : bench.route_port);
    }
  if (pdu.token_length != sizeof caller->token
      || memcmp (pdu.token, caller->token, sizeof caller->token) != 0)
    return G_SOURCE_CONTINUE; /* an old retransmission */
  if (pdu.code >> 5 != 2)
    g_error ("the proxy answered %u.%02u", pdu.code >> 5, pdu.code & 0x1f);
  caller_done (caller);
  return G_SOURCE_CONTINUE;
}

static void
caller_open_socket (Caller *caller)
{
  g_autoptr (GError) error = NULL;

  caller->socket
      = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  if (caller->socket == NULL)
    g_error ("socket: %s", error->message);
  g_socket_set_blocking (caller->socket, FALSE);
  caller->source = g_socket_create_source (caller->socket, G_IO_IN, NULL);
  g_source_set_callback (caller->source, G_SOURCE_FUNC (on_coap_readable), caller, NULL);
  g_source_attach (caller->source, NULL);
  g_random_set_seed (caller->index);
  caller->message_id = (guint16)g_random_int ();
}

static void
caller_next (Caller *caller)
{
  caller->started_us = g_get_monotonic_time ();
  if (caller->run->mode == MODE_DBUS)
    dbus_request (caller);
  else
    coap_request (caller);
}

/* ---- runs ---------------------------------------------------------------------------- */

static GBytes *
make_payload (gsize size)
{
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8)('a' + i % 26);
  return g_bytes_new_take (data, size);
}

static Result
run_workload (const Workload *w, Mode mode, guint count)
{
  Run run = { .workload = w, .mode = mode, .outstanding = w->callers };
  gdouble daemon_cpu = process_cpu_us (bench.daemon), proxy_cpu = process_cpu_us (bench.proxy);
  gdouble caller_cpu = self_cpu_us ();
  gint64 start = g_get_monotonic_time ();
  Result result = { w->callers * count };

  run.latencies_us = g_array_new (FALSE, FALSE, sizeof (gdouble));
  run.payload = make_payload (w->payload_size);
  for (guint i = 0; i < w->callers; i++)
    {
      run.callers[i] = (Caller){ .run = &run, .index = i, .remaining = count };
      if (mode != MODE_DBUS)
        caller_open_socket (&run.callers[i]);
    }
  for (guint i = 0; i < w->callers; i++)
    caller_next (&run.callers[i]);
  while (run.outstanding > 0)
    g_main_context_iteration (NULL, TRUE);
  result.seconds = (g_get_monotonic_time () - start) / (gdouble)G_USEC_PER_SEC;
  result.daemon_cpu_us = (process_cpu_us (bench.daemon) - daemon_cpu) / result.requests;
  result.proxy_cpu_us = (process_cpu_us (bench.proxy) - proxy_cpu) / result.requests;
  result.caller_cpu_us = (self_cpu_us () - caller_cpu) / result.requests;
  result.p50_us = bench_percentile (run.latencies_us, 50);
  result.p99_us = bench_percentile (run.latencies_us, 99);
  for (guint i = 0; i < w->callers; i++)
    if (run.callers[i].socket != NULL)
      {
        g_source_destroy (run.callers[i].source);
        g_source_unref (run.callers[i].source);
        g_object_unref (run.callers[i].socket);
      }
  g_array_unref (run.latencies_us);
  g_bytes_unref (run.payload);
  return result;
}

/* ---- set-up -------------------------------------------------------------------------- */

static void
wait_until_ready (void)
{
  gint64 end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < end)
    {
      g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
          bench.connection, "org.qcoapd.CoAP1", "/org/qcoapd/CoAP1",
          "org.freedesktop.DBus.Properties", "Get",
          g_variant_new ("(ss)", "org.qcoapd.CoAP1", "State"), G_VARIANT_TYPE ("(v)"),
          G_DBUS_CALL_FLAGS_NONE, 1000, NULL, NULL);
      g_autoptr (GVariant) state = NULL;

      if (reply != NULL)
        {
          g_variant_get (reply, "(v)", &state);
          if (g_str_equal (g_variant_get_string (state, NULL), "ready"))
            return;
        }
      g_usleep (20000);
    }
  g_error ("qcoapd did not become ready");
}

static void
start_daemon (void)
{
  g_autofree char *config = g_build_filename (bench.tmpdir, "qcoapd.conf", NULL);
  g_autofree char *log = g_build_filename (bench.tmpdir, "qcoapd.log", NULL);
  g_autofree char *bus = g_strdup_printf ("--bus=%s", g_test_dbus_get_bus_address (bench.bus));
  g_autofree char *device = g_strdup_printf ("--device=%s", bench.sim->link_path);
  g_autofree char *config_arg = g_strdup_printf ("--config=%s", config);
  const char *argv[] = { program ("QCOAPD"), bus, device, config_arg, NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;

  g_file_set_contents (config, "", 0, NULL);
  bench.daemon = spawn (argv, log);
  bench.connection = g_dbus_connection_new_for_address_sync (
      g_test_dbus_get_bus_address (bench.bus),
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  if (bench.connection == NULL)
    g_error ("bus: %s", error->message);
  wait_until_ready ();
  reply = g_dbus_connection_call_sync (
      bench.connection, "org.qcoapd.CoAP1", "/org/qcoapd/CoAP1", "org.qcoapd.CoAP1", "Open",
      g_variant_new ("(sqa{sv})", "127.0.0.1", bench.server->port, NULL), G_VARIANT_TYPE ("(o)"),
      G_DBUS_CALL_FLAGS_NONE, REPLY_TIMEOUT, NULL, &error);
  if (reply == NULL)
    g_error ("Open: %s", error->message);
  g_variant_get (reply, "(o)", &bench.session_path);
}

static void
start_proxy (void)
{
  g_autofree char *config = g_build_filename (bench.tmpdir, "qcoap-proxy.conf", NULL);
  g_autofree char *log = g_build_filename (bench.tmpdir, "qcoap-proxy.log", NULL);
  g_autofree char *bus = g_strdup_printf ("--bus=%s", g_test_dbus_get_bus_address (bench.bus));
  g_autofree char *config_arg = g_strdup_printf ("--config=%s", config);
  g_autofree char *text = NULL;
  const char *argv[] = { program ("QCOAP_PROXY"), bus, config_arg, NULL };

  bench.route_port = harness_find_free_udp_port ();
  bench.forward_port = harness_find_free_udp_port ();
  text = g_strdup_printf ("[proxy]\nListen=127.0.0.1:%u\nIdleTimeout=3600\n"
                          "[route bench]\nListen=127.0.0.1:%u\nUpstream=coap://127.0.0.1:%u\n",
                          bench.forward_port, bench.route_port, bench.server->port);
  g_file_set_contents (config, text, -1, NULL);
  bench.proxy = spawn (argv, log);
  if (!harness_coap_ping (bench.route_port, 10000))
    g_error ("qcoap-proxy does not answer on port %u", bench.route_port);
}

static void
set_up (void)
{
  const char *paced[] = { "--baud", "115200", "--log", "/dev/null", NULL };
  const char *unpaced[] = { "--log", "/dev/null", NULL };
  const char *const *sim_args = bench.unpaced ? unpaced : paced;
  g_autoptr (GError) error = NULL;

  bench.tmpdir = harness_make_temp_dir ();
  bench.bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bench.bus);
  bench.server
      = harness_coap_server_start (bench.tmpdir, (const char *[]){ "-v", "0", NULL }, &error);
  if (bench.server == NULL)
    g_error ("coap-server: %s", error->message);
  bench.sim = harness_sim_start (bench.tmpdir, sim_args, &error);
  if (bench.sim == NULL)
    g_error ("bg96-sim: %s", error->message);
  start_daemon ();
  start_proxy ();
}

static void
tear_down (void)
{
  stop (&bench.proxy);
  g_dbus_connection_close_sync (bench.connection, NULL, NULL);
  g_clear_object (&bench.connection);
  stop (&bench.daemon);
  g_clear_pointer (&bench.sim, harness_sim_free);
  g_clear_pointer (&bench.server, harness_coap_server_free);
  g_test_dbus_down (bench.bus);
  g_clear_object (&bench.bus);
  harness_remove_temp_dir (bench.tmpdir);
  g_free (bench.tmpdir);
  g_free (bench.session_path);
}

/* ---- report -------------------------------------------------------------------------- */

static void
print_row (const Workload *w, Mode mode, const Result *r, const Result *dbus)
{
  gdouble rate = r->requests / r->seconds, dbus_rate = dbus->requests / dbus->seconds;
  char proxy_cpu[32] = "–";

  if (mode != MODE_DBUS)
    g_snprintf (proxy_cpu, sizeof proxy_cpu, "%.0f", r->proxy_cpu_us);
  printf ("| %s | %s | %.1f | **%.2f** | %.1f | %.1f | %+.1f | %.0f | %.0f | %s |\n", w->name,
          mode_names[mode], rate, rate / dbus_rate, r->p50_us / 1000, r->p99_us / 1000,
          (r->p50_us - dbus->p50_us) / 1000, r->daemon_cpu_us, r->caller_cpu_us, proxy_cpu);
}

int
main (int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      bench.quick |= g_str_equal (argv[i], "--quick");
      bench.unpaced |= g_str_equal (argv[i], "--unpaced");
    }
  set_up ();
  /* Opens the proxy's session and warms every path once. */
  for (Mode mode = 0; mode < N_MODES; mode++)
    run_workload (&workloads[0], mode, 1);
  printf (
      "qcoap-proxy against the D-Bus API: bg96-sim at 115 200 baud, one run, same requests\n\n");
  printf ("| load | path | req/s | ratio to D-Bus | p50 ms | p99 ms | p50 added ms | "
          "qcoapd CPU µs/req | caller CPU µs/req | proxy CPU µs/req |\n");
  printf ("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (gsize i = 0; i < G_N_ELEMENTS (workloads); i++)
    {
      const Workload *w = &workloads[i];
      guint count = bench.quick ? MAX (w->count / 10, 5) : w->count;
      Result results[N_MODES];

      for (Mode mode = 0; mode < N_MODES; mode++)
        results[mode] = run_workload (w, mode, count);
      for (Mode mode = 0; mode < N_MODES; mode++)
        print_row (w, mode, &results[mode], &results[MODE_DBUS]);
      fflush (stdout);
    }
  printf ("\nLoads: ");
  for (gsize i = 0; i < G_N_ELEMENTS (workloads); i++)
    printf ("%s%s %s", i ? "; " : "", workloads[i].name, workloads[i].description);
  printf (".\n");
  tear_down ();
  return 0;
}
