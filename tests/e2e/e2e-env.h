/* SPDX-License-Identifier: MIT */
/* e2e-env.h — the whole real path for end-to-end tests: a private
 * dbus-daemon, libcoap's coap-server on 127.0.0.1, bg96-sim on a
 * pseudo-terminal, and qcoapd serving on the private bus. Started once per
 * test program, each process through harness_launcher_new(): every one dies
 * with the test program. */
#pragma once

#include <gio/gio.h>

#include "qcoap-dbus-generated.h"

G_BEGIN_DECLS

typedef struct
{
  char *tmpdir;
  char *bus_address;
  guint16 coap_port;
  guint16 silent_port; /* a UDP port that reads and never answers */
  char *modem_link;
  char *sim_log_path;
  char *coap_log_path;
  char *daemon_log_path;
  char *runtime_dir;    /* qcoapd's $RUNTIME_DIRECTORY: its state file */
  GDBusConnection *bus; /* the test's own connection */
  QcoapManager *manager;
} E2eEnv;

typedef struct
{
  const char *config_text; /* extra qcoapd.conf content, or NULL */
  gboolean under_valgrind;
  const char *const *sim_args; /* extra bg96-sim arguments, or NULL */
  /* qcoapd's --device instead of the simulator's link (a path that does not
   * exist yet: the daemon then starts in state "absent"), or NULL. */
  const char *device;
  /* The State to wait for at a start (NULL: "ready", or "absent" with
   * @device). */
  const char *start_state;
  /* qcoapd's RUNTIME_DIRECTORY instead of a fresh one of the test's (which
   * it may have to create, or cannot), or NULL. */
  const char *runtime_dir;
} E2eOptions;

E2eEnv *e2e_env_start (const E2eOptions *options);
/* Stops everything, printing the logs if @tests_failed; FALSE if qcoapd did not exit cleanly on
 * SIGTERM (under valgrind: it found errors or definite leaks). */
gboolean e2e_env_stop (E2eEnv *env, gboolean tests_failed);

/* Stops qcoapd with SIGTERM (as systemctl stop does) and waits for a clean
 * exit; the bus, the simulator and coap-server stay. */
void e2e_env_stop_daemon (E2eEnv *env);
/* Starts qcoapd again with the options of e2e_env_start(), or another
 * configuration text, and waits until it is up. The daemon's log starts
 * afresh. */
void e2e_env_start_daemon (E2eEnv *env, const char *config_text);
/* Sends @signal to qcoapd and waits for it to end; returns its exit
 * status, or -1 if the signal killed it. */
int e2e_env_kill_daemon (E2eEnv *env, int signal);
/* Starts qcoapd again (after it ended) with the same options and runtime
 * directory; returns once its State is "ready". The log of the run before
 * is kept as qcoapd.log.N. */
void e2e_env_restart_daemon (E2eEnv *env);

/* Sends a line to the simulator's control channel; returns its answer. */
char *e2e_env_sim_control (E2eEnv *env, const char *command);

/* The manager's State property, read from the bus now. */
char *e2e_env_modem_state (E2eEnv *env);
/* The manager's FreeClients property, read from the bus now. */
guint8 e2e_env_free_clients (E2eEnv *env);
/* Asserts that FreeClients becomes @n within 15 s (sessions end
 * asynchronously after the call that ended them returned). */
void e2e_env_wait_free_clients (E2eEnv *env, guint8 n);

/* Waits until the manager's State is @state; FALSE on timeout. */
gboolean e2e_env_wait_modem_state (E2eEnv *env, const char *state, guint timeout_ms);

/* Waits for qcoapd to exit by itself (the test fails if it is still running
 * after @timeout_ms); returns its exit status, or -1 if a signal killed it. */
int e2e_env_wait_daemon_exit (E2eEnv *env, guint timeout_ms);

/* A new, separate client connection to the private bus. */
GDBusConnection *e2e_env_connect (E2eEnv *env);

/* Makes @connection a listener of the session at @path (Session.Listen),
 * asserting that the daemon agreed: a session's signals go to its listeners
 * only, and the opener is the only one unless others listen. */
void e2e_env_listen (GDBusConnection *connection, const char *path);

/* The sim log's size now, and its text from @offset: tests assert on the AT
 * traffic a call caused. */
gsize e2e_env_sim_log_offset (E2eEnv *env);
char *e2e_env_sim_log_since (E2eEnv *env, gsize offset);
/* coap-server's log text. */
char *e2e_env_coap_log (E2eEnv *env);

/* The unique name that owns the daemon's name now, or NULL. */
char *e2e_env_name_owner (E2eEnv *env);

/* Property @name of @interface at @path, read from the bus now; NULL if it
 * cannot be read (the object is gone, say). */
GVariant *e2e_env_get_property (E2eEnv *env, const char *path, const char *interface,
                                const char *name);
/* Waits until the string property is @wanted and returns how many ms that
 * took; the test fails, naming the last value, after @timeout_ms. */
gint64 e2e_env_wait_property (E2eEnv *env, const char *path, const char *interface,
                              const char *name, const char *wanted, guint timeout_ms);
/* A session's State now, or NULL once the session is gone. */
char *e2e_env_session_state (E2eEnv *env, const char *path);
/* e2e_env_wait_property() of a session's State. */
gint64 e2e_env_wait_session_state (E2eEnv *env, const char *path, const char *state,
                                   guint timeout_ms);

/* Sends a control command that must work: the test fails unless the
 * simulator answers "OK…". */
void e2e_env_sim_command (E2eEnv *env, const char *command);
/* Waits up to 10 s until the sim log since @offset holds @needle; returns
 * that text, with or without it. */
char *e2e_env_wait_sim_log (E2eEnv *env, gsize offset, const char *needle);
/* The test fails, naming @what, if a CoAP command (AT+QCOAP…) reached the
 * modem since @offset: for calls that must be refused before they do. */
void e2e_env_assert_no_at_traffic (E2eEnv *env, gsize offset, const char *what);

/* Waits (iterating the default main context) until @done is TRUE or the
 * timeout passes; returns the final value of *done. */
gboolean e2e_wait_for (gboolean *done, guint timeout_ms);
/* The same for a condition: until @done (@data) is TRUE; returns its last
 * answer. */
gboolean e2e_iterate_until (gboolean (*done) (gpointer data), gpointer data, guint timeout_ms);

/* Asserts that @error is the D-Bus error @name (freeing what it looks up). */
#define e2e_assert_remote_error(error, name)                                                       \
  G_STMT_START                                                                                     \
  {                                                                                                \
    g_autofree char *e2e_remote_name_ = g_dbus_error_get_remote_error (error);                     \
    g_assert_cmpstr (e2e_remote_name_, ==, (name));                                                \
  }                                                                                                \
  G_STMT_END

G_END_DECLS
