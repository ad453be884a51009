/* SPDX-License-Identifier: MIT */
/* harness.h — helpers for tests that run the real peers: a private
 * dbus-daemon, a CoAP server (libcoap's coap-server-openssl), the BG96
 * simulator and a serial port.
 *
 * Every process a test starts, here or in the test itself, comes from
 * harness_launcher_new(): it gets PR_SET_PDEATHSIG(SIGKILL), so a test that
 * crashes leaves nothing behind; a fixture's teardown still stops them with
 * harness_process_free() (SIGTERM, wait, then SIGKILL).
 *
 * Paths of built programs come from the environment, set by meson's
 * test(env: ...): BG96_SIM (the simulator), COAP_SERVER (default
 * "coap-server-openssl", looked up in PATH).
 *
 * All addresses are 127.0.0.1. Functions that wait take a timeout in
 * milliseconds and fail with G_IO_ERROR_TIMED_OUT; the timeout is scaled by
 * harness_scale_ms().
 */
#pragma once

#include <gio/gio.h>

/* The environment variable that slows every harness deadline down, as meson
 * test --timeout-multiplier does the tests' own limits (meson does not pass
 * its multiplier on to the tests; tests/check.sh sets both). */
#define HARNESS_TIMEOUT_MULTIPLIER_ENV "QCOAPD_TEST_TIMEOUT_MULTIPLIER"

/* @timeout_ms times $QCOAPD_TEST_TIMEOUT_MULTIPLIER (1 when it is unset or
 * below 1): a deadline for something expected to happen, under a sanitizer,
 * valgrind or an emulator as well as in a plain build. */
guint harness_scale_ms (guint timeout_ms);

G_BEGIN_DECLS

/* ---- processes ---- */

/* The one way tests start a program: a launcher with @flags whose children
 * die with the thread that starts them (PR_SET_PDEATHSIG(SIGKILL)), even
 * when a failed assertion skips the test's cleanup. Set its environment,
 * output files and so on, then g_subprocess_launcher_spawnv(). */
GSubprocessLauncher *harness_launcher_new (GSubprocessFlags flags);

/* Sends the children's stdout and stderr to @path through one open file,
 * so that their lines interleave rather than overwrite each other; the file
 * is appended to with @append, emptied first otherwise. */
gboolean harness_launcher_log_to (GSubprocessLauncher *launcher, const char *path, gboolean append,
                                  GError **error);

/* Runs @argv to its end through harness_launcher_new(); its stdout and
 * stderr in @out and @err (either may be NULL), and its wait status (see
 * g_spawn_check_wait_status()) in @wait_status. FALSE if it could not
 * start. */
gboolean harness_run (const char *const *argv, char **out, char **err, int *wait_status,
                      GError **error);

typedef struct
{
  GSubprocess *subprocess;
  int stdin_fd;           /* a pipe to the child's stdin, or -1 */
  int stdout_fd;          /* a pipe from the child's stdout, or -1 */
  GString *stdout_buffer; /* read but not yet returned by harness_process_read_line */
} HarnessProcess;

/* Starts @argv (argv[0] looked up in PATH). With @log_path, stdout and
 * stderr are appended to that file and stdin is /dev/null; otherwise stdin
 * and stdout are pipes (stdout_fd, stdin_fd) and stderr is inherited. */
HarnessProcess *harness_process_spawn (const char *const *argv, const char *log_path,
                                       GError **error);

/* Reads one line (without "\n") from the child's stdout. */
char *harness_process_read_line (HarnessProcess *process, guint timeout_ms, GError **error);

/* Writes @line and "\n" to the child's stdin. */
gboolean harness_process_write_line (HarnessProcess *process, const char *line, GError **error);

/* TRUE while the child has not exited (reaps it when it has). */
gboolean harness_process_is_running (HarnessProcess *process);

/* SIGTERM, wait up to @timeout_ms, then SIGKILL and wait. Returns TRUE if it
 * exited on SIGTERM. Idempotent. */
gboolean harness_process_stop (HarnessProcess *process, guint timeout_ms);

/* Stops (SIGKILL at once if still running) and frees. */
void harness_process_free (HarnessProcess *process);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HarnessProcess, harness_process_free)

/* ---- network ---- */

/* A UDP port on 127.0.0.1 that is free for UDP and TCP right now. */
guint16 harness_find_free_udp_port (void);

/* Sends a CoAP ping (empty CON) to 127.0.0.1:@port until something answers
 * or @timeout_ms passes. */
gboolean harness_coap_ping (guint16 port, guint timeout_ms);

/* ---- the bus ---- */

typedef struct
{
  HarnessProcess *process;
  char *address;
} HarnessBus;

/* Starts a dbus-daemon of the test's own (the configuration GLib's
 * GTestDBus writes: a session bus where anyone may own and send anything,
 * here listening in @dir) and waits for its address. */
HarnessBus *harness_bus_start (const char *dir, GError **error);
/* SIGTERM, and waits for it to exit. */
void harness_bus_free (HarnessBus *bus);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HarnessBus, harness_bus_free)

/* ---- the CoAP server ---- */

typedef struct
{
  HarnessProcess *process;
  guint16 port;
  char *log_path; /* the server's -v 7 log */
} HarnessCoapServer;

/* Starts `coap-server-openssl -A 127.0.0.1 -p PORT -v 7 [extra_args]` on a
 * free port, logging to @dir/coap-server.log, and waits until it answers a
 * ping. */
HarnessCoapServer *harness_coap_server_start (const char *dir, const char *const *extra_args,
                                              GError **error);
/* Kills at once: the server takes 1-2 s to honour SIGTERM. */
void harness_coap_server_free (HarnessCoapServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HarnessCoapServer, harness_coap_server_free)

/* ---- the simulator ---- */

typedef struct
{
  HarnessProcess *process;
  char *link_path; /* @dir/modem */
  char *log_path;  /* @dir/bg96-sim.log, its traffic log */
} HarnessSim;

/* Starts `$BG96_SIM --link DIR/modem --log DIR/bg96-sim.log DEFAULTS
 * [extra_args]` and waits for its "READY" line. DEFAULTS is empty: the modem
 * powers up unregistered, as a real one does, and qcoapd registers it and
 * activates the data context (pass --network-ready for a module whose
 * firmware has done both). */
HarnessSim *harness_sim_start (const char *dir, const char *const *extra_args, GError **error);
/* The same without the defaults (today the same as harness_sim_start). */
HarnessSim *harness_sim_start_bare (const char *dir, const char *const *extra_args, GError **error);

/* Sends a control-channel command and returns its answer line ("OK ..." or
 * "ERROR ..."). */
char *harness_sim_control (HarnessSim *sim, const char *command, guint timeout_ms, GError **error);

void harness_sim_free (HarnessSim *sim);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HarnessSim, harness_sim_free)

/* ---- the serial port ---- */

/* A host's end of the serial line. Bytes read past what a call returns
 * (a URC right behind an OK, say) stay in @pending for the next call, so
 * every call returns an exact piece of the transcript. */
typedef struct
{
  int fd;
  GByteArray *pending;
} HarnessSerial;

/* Opens @path raw (no echo, no translation, 8N1, 115200), non-blocking, and
 * discards anything already queued (the boot URCs). */
HarnessSerial *harness_serial_open (const char *path, GError **error);
void harness_serial_close (HarnessSerial *serial);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HarnessSerial, harness_serial_close)

gboolean harness_serial_write (HarnessSerial *serial, const void *data, gsize length,
                               GError **error);

/* Appends to @buffer everything that arrives within @timeout_ms (pending
 * bytes first); returns the number of bytes appended. */
gsize harness_serial_read_for (HarnessSerial *serial, GByteArray *buffer, guint timeout_ms);

/* Appends to @buffer the bytes up to and including the first @needle. On
 * timeout (or hang-up) appends what came and fails. */
gboolean harness_serial_read_until (HarnessSerial *serial, GByteArray *buffer, const char *needle,
                                    guint timeout_ms, GError **error);

/* Appends exactly @length bytes to @buffer. */
gboolean harness_serial_read_bytes (HarnessSerial *serial, GByteArray *buffer, gsize length,
                                    guint timeout_ms, GError **error);

/* Length of the complete response at the start of @data: up to and
 * including the first final result code (OK, ERROR, +CME ERROR: …), CONNECT
 * or "> " prompt, +QCOAPRECV payloads skipped by their length; 0 when
 * incomplete. */
gsize harness_response_length (const guint8 *data, gsize length);

/* Writes @command and CR and returns the response (echo, intermediate
 * lines, URCs that came first, final result code). */
GByteArray *harness_serial_command (HarnessSerial *serial, const char *command, guint timeout_ms,
                                    GError **error);

/* Writes raw bytes (a payload) and returns the response, as above. */
GByteArray *harness_serial_exchange (HarnessSerial *serial, const void *data, gsize length,
                                     guint timeout_ms, GError **error);

/* ---- directories ---- */

/* A new directory under $TMPDIR for one test's files. */
char *harness_make_temp_dir (void);
/* Removes @dir and what it holds (one level, as tests leave it). */
void harness_remove_temp_dir (const char *dir);

G_END_DECLS
