/* SPDX-License-Identifier: MIT */
/* test-proxy-access.c — who may use qcoap-proxy, with real user IDs:
 * libcoap's coap-client runs through setpriv as other users, so that the
 * socket each request comes from is theirs, and the proxy must tell them
 * apart through the kernel.
 *
 * Checks that a user outside AllowedGroups= gets 4.03 and causes no AT
 * traffic; that a member, and root, get through; that a route's own
 * AllowedGroups= refuses a member of [proxy]'s group who is not in the
 * route's, on its endpoint and when a forward request would borrow its
 * key; and that MaxClientsPerUser= holds per user.
 *
 * Needs root (every test is skipped otherwise), setpriv and useradd.
 * Creates the group qcoapd and the users qcoapd-test and qcoapd-test2 in
 * it when they are missing, as tests/system/test-real-uids.py does; the
 * user nobody is the outsider. Paths come from the environment:
 * QCOAP_PROXY, and those of e2e-env (QCOAPD, BG96_SIM). */
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e-env.h"
#include "harness.h"

#define MEMBER_GROUP "qcoapd"
#define USER_A       "qcoapd-test"  /* in qcoapd; its own group narrows a route */
#define USER_B       "qcoapd-test2" /* in qcoapd only */
#define OUTSIDER     "nobody"
#define ROOT         "root"
#define IDENTITY     "proxy-access-device"
#define KEY          "Kq7-access-psk-3Wm9xT"
#define CLIENT_WAIT  "20"
/* Sessions stay open, and held by their users, for the whole test. */
#define IDLE_TIMEOUT     300
#define REQUEST_TIMEOUT  10
#define MAX_CLIENTS      1
#define READY_TIMEOUT_MS 20000
/* coap-server's /time, as coap-client logs the PDU that carries it. */
#define TIME_OF_DAY_REGEX ":: '[A-Z][a-z]{2} [0-9]{2} [0-9:]{8}'$"
#define BUSY_MAX_AGE      "Max-Age:5"

static struct
{
  const char *skip_reason; /* NULL once everything is set up */
  E2eEnv *env;
  char *dir;
  HarnessCoapServer *server; /* -k: DTLS on its port + 1 */
  GSubprocess *proxy;
  char *proxy_log;
  char *route_group; /* USER_A's primary group */
  guint16 forward_port, plain_port, secure_port;
  char *proxy_uri;
  /* coap-server's /time: through the routes, through the forward proxy
   * (plainly, and with the secure route's key), and a server that never
   * answers. */
  char *plain, *secure, *forward, *borrowed, *silent;
} t;

/* ---- users ---------------------------------------------------------------------------- */

static gboolean
run_quietly (const char *const *argv)
{
  int status = 0;

  return harness_run (argv, NULL, NULL, &status, NULL) && g_spawn_check_wait_status (status, NULL);
}

static gboolean
ensure_member (const char *name)
{
  const char *add[]
      = { "useradd", "--system",          "--user-group", "--no-create-home", "--home-dir", "/",
          "--shell", "/usr/sbin/nologin", "--groups",     MEMBER_GROUP,       name,         NULL };
  const char *join[] = { "usermod", "-a", "-G", MEMBER_GROUP, name, NULL };
  struct group *group;

  if (getpwnam (name) == NULL)
    return run_quietly (add);
  group = getgrnam (MEMBER_GROUP);
  for (char **member = group ? group->gr_mem : NULL; member && *member; member++)
    if (strcmp (*member, name) == 0)
      return TRUE;
  return run_quietly (join);
}

/* Why the tests cannot run here, or NULL once the users exist. */
static const char *
ensure_users (void)
{
  const char *add_group[] = { "groupadd", "--system", MEMBER_GROUP, NULL };
  g_autofree char *setpriv = g_find_program_in_path ("setpriv");
  g_autofree char *useradd = g_find_program_in_path ("useradd");
  struct passwd *user_a;
  struct group *primary;

  if (geteuid () != 0)
    return "needs root, to run clients as other users and to create them";
  if (setpriv == NULL || useradd == NULL)
    return "needs setpriv and useradd";
  if (getpwnam (OUTSIDER) == NULL)
    return "needs the user " OUTSIDER;
  if (getgrnam (MEMBER_GROUP) == NULL && !run_quietly (add_group))
    return "cannot create the group " MEMBER_GROUP;
  if (!ensure_member (USER_A) || !ensure_member (USER_B))
    return "cannot create the users " USER_A " and " USER_B;
  user_a = getpwnam (USER_A);
  primary = user_a ? getgrgid (user_a->pw_gid) : NULL;
  if (primary == NULL || strcmp (primary->gr_name, MEMBER_GROUP) == 0)
    return USER_A " needs a primary group of its own";
  t.route_group = g_strdup (primary->gr_name);
  return NULL;
}

/* ---- clients --------------------------------------------------------------------------- */

/* setpriv's arguments that run a program as @user, with that user's
 * groups. */
static GPtrArray *
as_user (const char *user)
{
  struct passwd *entry = getpwnam (user);
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  g_assert_nonnull (entry);
  g_ptr_array_add (argv, g_strdup ("setpriv"));
  g_ptr_array_add (argv, g_strdup_printf ("--reuid=%u", (guint)entry->pw_uid));
  g_ptr_array_add (argv, g_strdup_printf ("--regid=%u", (guint)entry->pw_gid));
  g_ptr_array_add (argv, g_strdup ("--init-groups"));
  g_ptr_array_add (argv, g_strdup ("--"));
  return argv;
}

/* coap-client as @user, through the forward proxy @proxy or straight to
 * @uri; "-v 7" logs the PDUs it receives. Returns the last one, e.g.
 * "v:1 t:ACK c:4.03 … :: 'forbidden…'". */
static char *
request_as (const char *user, const char *proxy, const char *uri)
{
  g_autoptr (GPtrArray) argv = as_user (user);
  const char *client[] = { "coap-client-openssl", "-B", CLIENT_WAIT, "-v", "7" };
  g_autofree char *out = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  const char *last = "";
  int status;

  for (gsize i = 0; i < G_N_ELEMENTS (client); i++)
    g_ptr_array_add (argv, g_strdup (client[i]));
  if (proxy != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("-P"));
      g_ptr_array_add (argv, g_strdup (proxy));
    }
  g_ptr_array_add (argv, g_strdup (uri));
  g_ptr_array_add (argv, NULL);
  g_assert_true (harness_run ((const char *const *)argv->pdata, &out, NULL, &status, &error));
  g_assert_no_error (error);
  lines = g_strsplit (out, "\n", -1);
  for (gsize i = 0; lines[i]; i++)
    if (g_str_has_prefix (lines[i], "v:1 ") && i > 0 && strstr (lines[i - 1], "received "))
      last = lines[i];
  return g_strdup (last);
}

static char *
local_uri (guint16 port, const char *path)
{
  return g_strdup_printf ("coap://127.0.0.1:%u%s", port, path);
}

/* The request went through: coap-server's time of day came back. */
static void
assert_served (const char *user, const char *proxy, const char *uri)
{
  g_autofree char *answer = request_as (user, proxy, uri);

  g_test_message ("%s %s: %s", user, uri, answer);
  g_assert_nonnull (strstr (answer, "c:2.05"));
  g_assert_true (g_regex_match_simple (TIME_OF_DAY_REGEX, answer, 0, 0));
}

static guint
coap_commands_since (gsize offset)
{
  g_autofree char *log = e2e_env_sim_log_since (t.env, offset);
  g_auto (GStrv) lines = g_strsplit (log, "\n", -1);
  guint count = 0;

  for (gsize i = 0; lines[i]; i++)
    count += strstr (lines[i], "at-rx") != NULL && strstr (lines[i], "QCOAP") != NULL;
  return count;
}

/* The request got @code with @text in its answer, and the modem heard
 * nothing of it. */
static void
assert_refused (const char *user, const char *proxy, const char *uri, const char *code,
                const char *text)
{
  gsize offset = e2e_env_sim_log_offset (t.env);
  g_autofree char *answer = request_as (user, proxy, uri);

  g_test_message ("%s %s: %s", user, uri, answer);
  g_assert_nonnull (strstr (answer, code));
  g_assert_nonnull (strstr (answer, text));
  g_assert_cmpuint (coap_commands_since (offset), ==, 0);
}

/* ---- the proxy ------------------------------------------------------------------------- */

static char *
write_config (void)
{
  g_autofree char *key_path = g_build_filename (t.dir, "secure.key", NULL);
  char *config_path = g_build_filename (t.dir, "qcoap-proxy.conf", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  g_file_set_contents (key_path, KEY "\n", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (chmod (key_path, 0600), ==, 0);
  text = g_strdup_printf (
      "[proxy]\nListen=127.0.0.1:%u\nAllowedGroups=" MEMBER_GROUP "\nMaxClientsPerUser=%u\n"
      "IdleTimeout=%u\nRequestTimeout=%u\n"
      "[route plain]\nListen=127.0.0.1:%u\nUpstream=coap://127.0.0.1:%u\n"
      "[route secure]\nListen=127.0.0.1:%u\nUpstream=coaps://127.0.0.1:%u\n"
      "PskIdentity=" IDENTITY "\nPskKeyFile=%s\nAllowedGroups=%s\n",
      t.forward_port, MAX_CLIENTS, IDLE_TIMEOUT, REQUEST_TIMEOUT, t.plain_port, t.server->port,
      t.secure_port, t.server->port + 1, key_path, t.route_group);
  g_file_set_contents (config_path, text, -1, &error);
  g_assert_no_error (error);
  return config_path;
}

static void
start_proxy (void)
{
  g_autoptr (GSubprocessLauncher) launcher = harness_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *config_path = NULL;
  g_autofree char *bus = g_strdup_printf ("--bus=%s", t.env->bus_address);
  g_autofree char *config = NULL;
  g_autoptr (GError) error = NULL;

  t.forward_port = harness_find_free_udp_port ();
  t.plain_port = harness_find_free_udp_port ();
  t.secure_port = harness_find_free_udp_port ();
  t.proxy_uri = local_uri (t.forward_port, "");
  t.plain = local_uri (t.plain_port, "/time");
  t.secure = local_uri (t.secure_port, "/time");
  t.forward = local_uri (t.server->port, "/time");
  t.borrowed = g_strdup_printf ("coaps://127.0.0.1:%u/time", t.server->port + 1);
  t.silent = local_uri (t.env->silent_port, "/time");
  config_path = write_config ();
  config = g_strdup_printf ("--config=%s", config_path);
  t.proxy_log = g_build_filename (t.dir, "qcoap-proxy.log", NULL);
  harness_launcher_log_to (launcher, t.proxy_log, FALSE, &error);
  g_assert_no_error (error);
  t.proxy = g_subprocess_launcher_spawnv (
      launcher, (const char *[]){ g_getenv ("QCOAP_PROXY"), bus, config, "--verbose", NULL },
      &error);
  g_assert_no_error (error);
  g_assert_true (harness_coap_ping (t.forward_port, READY_TIMEOUT_MS));
}

/* Root's requests go through once the modem is registered and its data
 * context up (the proxy answers 5.03 until then). */
static void
wait_until_served (void)
{
  gint64 end = g_get_monotonic_time () + READY_TIMEOUT_MS * (gint64)1000;

  while (g_get_monotonic_time () < end)
    {
      g_autofree char *answer = request_as (ROOT, NULL, t.plain);

      if (strstr (answer, "c:2.05") != NULL)
        return;
      g_usleep (G_USEC_PER_SEC / 2);
    }
  g_assert_not_reached ();
}

/* ---- the tests ------------------------------------------------------------------------- */

static gboolean
skipped (void)
{
  if (t.skip_reason != NULL)
    g_test_skip (t.skip_reason);
  return t.skip_reason != NULL;
}

static void
test_outsider_refused (void)
{
  g_autofree char *log = NULL;

  if (skipped ())
    return;
  assert_refused (OUTSIDER, NULL, t.plain, "c:4.03", "forbidden");
  assert_refused (OUTSIDER, NULL, t.secure, "c:4.03", "not in AllowedGroups=");
  assert_refused (OUTSIDER, t.proxy_uri, t.forward, "c:4.03", "forbidden");
  g_assert_true (g_file_get_contents (t.proxy_log, &log, NULL, NULL));
  g_assert_nonnull (strstr (log, "refused a request from 127.0.0.1:"));
}

static void
test_member_admitted (void)
{
  gsize offset;

  if (skipped ())
    return;
  offset = e2e_env_sim_log_offset (t.env);
  assert_served (USER_B, NULL, t.plain);
  assert_served (USER_B, t.proxy_uri, t.forward);
  /* The log the refusals are checked against does show served requests. */
  g_assert_cmpuint (coap_commands_since (offset), >, 0);
}

static void
test_root_admitted (void)
{
  if (skipped ())
    return;
  assert_served (ROOT, NULL, t.plain);
  assert_served (ROOT, NULL, t.secure);
  assert_served (ROOT, t.proxy_uri, t.forward);
}

/* USER_B is in [proxy]'s group, not in the secure route's: refused on the
 * route's endpoint and to its key; USER_A, whose primary group it is, is
 * served. */
static void
test_route_narrowed (void)
{
  if (skipped ())
    return;
  assert_refused (USER_B, NULL, t.secure, "c:4.03", "route secure");
  assert_refused (USER_B, t.proxy_uri, t.borrowed, "c:4.03", "route secure");
  assert_served (USER_A, NULL, t.secure);
}

/* Each user holds one session at most (MaxClientsPerUser=1): USER_B the
 * plain server's, USER_A the secure one's. Neither gets another, though
 * both are open; root gets both. */
static void
test_max_clients_per_user (void)
{
  if (skipped ())
    return;
  assert_served (USER_B, NULL, t.plain);
  assert_served (USER_A, NULL, t.secure);
  assert_refused (USER_B, t.proxy_uri, t.silent, "c:5.03", BUSY_MAX_AGE);
  assert_refused (USER_A, NULL, t.plain, "c:5.03", "MaxClientsPerUser");
  assert_served (USER_B, NULL, t.plain);
  assert_served (ROOT, NULL, t.plain);
  assert_served (ROOT, NULL, t.secure);
}

/* ---- main ------------------------------------------------------------------------------ */

static void
set_up (void)
{
  E2eOptions options = { 0 };
  const char *server_args[] = { "-k", KEY, NULL };
  g_autoptr (GError) error = NULL;

  t.skip_reason = ensure_users ();
  if (t.skip_reason != NULL)
    return;
  t.env = e2e_env_start (&options);
  t.dir = harness_make_temp_dir ();
  t.server = harness_coap_server_start (t.dir, server_args, &error);
  g_assert_no_error (error);
  start_proxy ();
  wait_until_served ();
}

static int
tear_down (int status)
{
  if (t.skip_reason != NULL)
    return status;
  g_subprocess_send_signal (t.proxy, SIGTERM);
  g_assert_true (g_subprocess_wait_check (t.proxy, NULL, NULL));
  if (status != 0)
    {
      g_autofree char *log = NULL;

      g_file_get_contents (t.proxy_log, &log, NULL, NULL);
      g_printerr ("---- qcoap-proxy log ----\n%s\n", log ? log : "");
    }
  g_clear_pointer (&t.server, harness_coap_server_free);
  e2e_env_stop (t.env, status != 0);
  if (status == 0)
    harness_remove_temp_dir (t.dir);
  return status;
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  set_up ();
  g_test_add_func ("/proxy-access/outsider-refused", test_outsider_refused);
  g_test_add_func ("/proxy-access/member-admitted", test_member_admitted);
  g_test_add_func ("/proxy-access/root-admitted", test_root_admitted);
  g_test_add_func ("/proxy-access/route-narrowed", test_route_narrowed);
  g_test_add_func ("/proxy-access/max-clients-per-user", test_max_clients_per_user);
  return tear_down (g_test_run ());
}
