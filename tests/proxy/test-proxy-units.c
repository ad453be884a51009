/* SPDX-License-Identifier: MIT */
/* test-proxy-units.c — qcoap-proxy's configuration reader, message
 * translation and sock_diag messages on their own: what is accepted, what
 * is refused and how, and that no refusal quotes a key. */
#include <arpa/inet.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qcoap-proxy-config.h"
#include "qcoap-proxy-message.h"
#include "qcoap-proxy-peer.h"

#define SECRET "S3cr3t-never-in-an-error"

/* ---- configuration ---- */

static ProxyConfig *
parse (const char *text, GError **error)
{
  return proxy_config_parse (text, strlen (text), error);
}

static char *
listen_text (GSocketAddress *address)
{
  return g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (address));
}

static void
test_config_defaults (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ProxyConfig) config = parse ("", &error);
  g_autofree char *listen = NULL;

  g_assert_no_error (error);
  listen = listen_text (config->listen);
  g_assert_cmpstr (listen, ==, "127.0.0.1:5683");
  g_assert_cmpuint (config->idle_timeout_s, ==, PROXY_DEFAULT_IDLE_TIMEOUT);
  g_assert_cmpuint (config->request_timeout_s, ==, PROXY_DEFAULT_REQUEST_TIMEOUT);
  g_assert_cmpuint (config->routes->len, ==, 0);
  g_assert_cmpstrv (config->allowed_groups, ((const char *[]){ "qcoapd", NULL }));
  g_assert_cmpuint (config->max_clients_per_user, ==, PROXY_DEFAULT_MAX_CLIENTS_PER_USER);
}

/* [proxy] admits its groups; a route narrows them or, without the key,
 * leaves them be; an empty list is root only. */
static void
test_config_allowed_groups (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ProxyConfig) config
      = parse ("[proxy]\nAllowedGroups=qcoapd  sensors\tlab.users\nMaxClientsPerUser=6\n"
               "[route open]\nUpstream=coap://h\n"
               "[route narrow]\nUpstream=coap://h2\nAllowedGroups=sensors\n"
               "[route root]\nUpstream=coap://h3\nAllowedGroups=\n",
               &error);
  const ProxyRoute *open, *narrow, *root;

  g_assert_no_error (error);
  g_assert_cmpstrv (config->allowed_groups,
                    ((const char *[]){ "qcoapd", "sensors", "lab.users", NULL }));
  g_assert_cmpuint (config->max_clients_per_user, ==, 6);
  open = g_ptr_array_index (config->routes, 0);
  narrow = g_ptr_array_index (config->routes, 1);
  root = g_ptr_array_index (config->routes, 2);
  g_assert_null (open->allowed_groups);
  g_assert_cmpstrv (narrow->allowed_groups, ((const char *[]){ "sensors", NULL }));
  g_assert_nonnull (root->allowed_groups);
  g_assert_cmpuint (g_strv_length (root->allowed_groups), ==, 0);
}

static void
test_config_routes (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ProxyConfig) config
      = parse ("[proxy]\nListen=\nIdleTimeout=5\n"
               "[route a]\nListen=[::1]:5700\nUpstream=coap://Sensors.example\n"
               "[route b]\nUpstream=coaps://192.0.2.1:6000/\nPskIdentity=id\nPskKey=" SECRET "\n",
               &error);
  const ProxyRoute *a, *b;
  g_autofree char *listen = NULL;

  g_assert_no_error (error);
  g_assert_null (config->listen);
  g_assert_cmpuint (config->idle_timeout_s, ==, 5);
  a = g_ptr_array_index (config->routes, 0);
  b = g_ptr_array_index (config->routes, 1);
  listen = listen_text (a->listen);
  g_assert_cmpstr (listen, ==, "[::1]:5700");
  g_assert_cmpint (a->target.scheme, ==, PROXY_SCHEME_COAP);
  g_assert_cmpuint (a->target.port, ==, 5683);
  g_assert_null (b->listen);
  g_assert_cmpuint (b->target.port, ==, 6000);
  g_assert_cmpmem (g_bytes_get_data (b->target.psk_key, NULL), g_bytes_get_size (b->target.psk_key),
                   SECRET, strlen (SECRET));
  /* A forward request to the same server finds the key, host in any case. */
  g_assert_true (proxy_config_find_route (config, PROXY_SCHEME_COAP, "sensors.EXAMPLE", 5683) == a);
  g_assert_true (proxy_config_find_route (config, PROXY_SCHEME_COAPS, "192.0.2.1", 6000) == b);
  g_assert_null (proxy_config_find_route (config, PROXY_SCHEME_COAP, "192.0.2.1", 6000));
}

static const struct
{
  const char *text;
  const char *message; /* a part of the error message */
} bad_configs[] = {
  { "[proxy]\nListn=1\n", "has no key Listn" },
  { "[other]\n", "Unknown group [other]" },
  { "[route ]\nUpstream=coap://h\n", "needs a name" },
  { "[route r]\nListen=127.0.0.1:5700\n", "needs Upstream=" },
  { "[route r]\nUpstream=http://h\n", "not a coap:// or coaps:// URI" },
  { "[route r]\nUpstream=coap://h/path\n", "only scheme://host:port" },
  { "[route r]\nUpstream=coaps://h\nPskKey=" SECRET "\n", "needs PskIdentity=" },
  { "[route r]\nUpstream=coap://h\nPskIdentity=x\n", "takes no PskIdentity=" },
  { "[route r]\nUpstream=coaps://h\nPskIdentity=x\nPskKey=k\nPskKeyFile=/k\n", "give one" },
  { "[proxy]\nListen=localhost:5683\n", "not an IP address" },
  { "[proxy]\nListen=127.0.0.1\n", "has no port" },
  { "[proxy]\nRequestTimeout=601\n", "from 1 to 600" },
  { "[route r]\nListen=127.0.0.1:5683\nUpstream=coap://h\n", "given twice" },
  { "[proxy]\nAllowedGroups=qcoapd,sensors\n", "not a group name" },
  { "[proxy]\nAllowedGroups=-g\n", "not a group name" },
  { "[route r]\nUpstream=coap://h\nAllowedGroups=a/b\n", "not a group name" },
  { "[proxy]\nMaxClientsPerUser=0\n", "not a number from 1 to 6" },
  { "[proxy]\nMaxClientsPerUser=7\n", "not a number from 1 to 6" },
};

static void
test_config_refused (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (bad_configs); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (ProxyConfig) config = parse (bad_configs[i].text, &error);

      g_test_message ("%s", bad_configs[i].text);
      g_assert_null (config);
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, bad_configs[i].message));
      g_assert_null (strstr (error->message, SECRET));
    }
}

static char *
write_temp (const char *name, const char *text, int mode)
{
  g_autofree char *dir = g_dir_make_tmp ("proxy-units-XXXXXX", NULL);
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
  return path;
}

static void
test_config_key_file (void)
{
  g_autofree char *key = write_temp ("key", SECRET "\n", 0640);
  g_autofree char *open_key = write_temp ("open-key", SECRET, 0644);
  g_autofree char *text
      = g_strdup_printf ("[route r]\nUpstream=coaps://h\nPskIdentity=x\nPskKeyFile=%s\n", key);
  g_autofree char *open_text
      = g_strdup_printf ("[route r]\nUpstream=coaps://h\nPskIdentity=x\nPskKeyFile=%s\n", open_key);
  g_autoptr (GError) error = NULL;
  g_autoptr (ProxyConfig) config = parse (text, &error);
  g_autoptr (ProxyConfig) open_config = parse (open_text, &error);
  ProxyRoute *route = g_ptr_array_index (config->routes, 0);

  /* Read without its newline. */
  g_assert_true (proxy_config_load_keys (config, 0600, &error));
  g_assert_cmpmem (g_bytes_get_data (route->target.psk_key, NULL),
                   g_bytes_get_size (route->target.psk_key), SECRET, strlen (SECRET));
  /* Readable by others: refused, and the message names the file, not the key. */
  g_assert_false (proxy_config_load_keys (open_config, 0600, &error));
  g_assert_nonnull (strstr (error->message, "read or written by others"));
  g_assert_nonnull (strstr (error->message, open_key));
  g_assert_null (strstr (error->message, SECRET));
}

static void
test_config_inline_key_needs_private_file (void)
{
  const char *text = "[route r]\nUpstream=coaps://h\nPskIdentity=x\nPskKey=" SECRET "\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (ProxyConfig) config = parse (text, &error);

  g_assert_true (proxy_config_load_keys (config, S_IFREG | 0640, &error));
  g_assert_false (proxy_config_load_keys (config, S_IFREG | 0644, &error));
  g_assert_nonnull (strstr (error->message, "PskKey="));
  g_assert_null (strstr (error->message, SECRET));
}

static void
test_config_load_missing (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ProxyConfig) defaults
      = proxy_config_load ("/nonexistent/qcoap-proxy.conf", FALSE, &error);

  g_assert_no_error (error);
  g_assert_nonnull (defaults->listen);
  g_assert_null (proxy_config_load ("/nonexistent/qcoap-proxy.conf", TRUE, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

/* The installed default file, every commented key and group taken in: it
 * must parse, so that an administrator who uncomments it gets a proxy. */
static void
test_config_default_file (void)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GString) uncommented = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (ProxyConfig) config = NULL;

  g_assert_true (g_file_get_contents (g_getenv ("QCOAP_PROXY_DEFAULT_CONFIG"), &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (gsize i = 0; lines[i]; i++)
    {
      gboolean setting = g_regex_match_simple ("^#(\\[|[A-Za-z]+=)", lines[i], 0, 0);

      g_string_append_printf (uncommented, "%s\n", setting ? lines[i] + 1 : lines[i]);
    }
  config = parse (uncommented->str, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (config->routes->len, ==, 2);
  g_assert_cmpuint (config->idle_timeout_s, ==, PROXY_DEFAULT_IDLE_TIMEOUT);
}

/* ---- requests: options for the modem ---- */

typedef struct
{
  guint16 number;
  const char *value;
  guint16 length;
} OptionCase;

static GVariant *
translate (const OptionCase *cases, gsize n, ProxyFailure *failure)
{
  g_autofree ProxyOption *options = g_new0 (ProxyOption, n);

  for (gsize i = 0; i < n; i++)
    options[i] = (ProxyOption){ cases[i].number, cases[i].length, (const guint8 *)cases[i].value };
  return proxy_options_to_variant (options, n, failure);
}

static void
test_options_typed (void)
{
  const OptionCase cases[] = {
    { 4, "\x01\x02", 2 },    /* ETag: ay */
    { 5, "", 0 },            /* If-None-Match: an empty ay */
    { 11, "a b", 3 },        /* Uri-Path: s */
    { 12, "\x00\x32", 2 },   /* Content-Format 50, with a leading zero byte */
    { 15, "k=\xc3\xa9", 4 }, /* Uri-Query, UTF-8 */
  };
  ProxyFailure failure = { 0 };
  g_autoptr (GVariant) options
      = g_variant_ref_sink (translate (cases, G_N_ELEMENTS (cases), &failure));
  g_autofree char *text = g_variant_print (options, TRUE);

  g_assert_cmpstr (text, ==,
                   "[(uint16 4, <[byte 0x01, 0x02]>), (5, <@ay []>), (11, <'a b'>), "
                   "(12, <uint32 50>), (15, <'k=é'>)]");
}

static const struct
{
  OptionCase option;
  guint8 code;
  const char *message;
} refused_options[] = {
  { { 6, "", 0 }, QCOAP_CODE (4, 2), "Observe (6)" },      /* Unsafe */
  { { 23, "\x02", 1 }, QCOAP_CODE (4, 2), "Block2 (23)" }, /* Unsafe, critical */
  { { 27, "\x0a", 1 }, QCOAP_CODE (4, 2), "Block1 (27)" },
  { { 28, "\x10", 1 }, QCOAP_CODE (5, 5), "Size2 (28)" }, /* Safe-to-Forward */
  { { 65000, "x", 1 }, QCOAP_CODE (5, 5), "option 65000" },
  { { 4, "123456789", 9 }, QCOAP_CODE (4, 2), "outside 1 to 8" }, /* ETag too long */
  { { 11, "\xff\xfe", 2 }, QCOAP_CODE (4, 0), "not UTF-8" },
  { { 11, "a\0b", 3 }, QCOAP_CODE (4, 0), "not UTF-8" },
};

static void
test_options_refused (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (refused_options); i++)
    {
      ProxyFailure failure = { 0 };

      g_assert_null (translate (&refused_options[i].option, 1, &failure));
      g_assert_cmpuint (failure.code, ==, refused_options[i].code);
      g_assert_nonnull (strstr (failure.diagnostic, refused_options[i].message));
      g_assert_true (g_utf8_validate (failure.diagnostic, -1, NULL));
      proxy_failure_clear (&failure);
    }
}

static void
test_options_at_most_eight (void)
{
  OptionCase cases[9];
  ProxyFailure failure = { 0 };
  g_autoptr (GVariant) eight = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    cases[i] = (OptionCase){ 11, "p", 1 };
  eight = g_variant_ref_sink (translate (cases, 8, &failure));
  g_assert_cmpuint (g_variant_n_children (eight), ==, 8);
  g_assert_null (translate (cases, 9, &failure));
  g_assert_cmpuint (failure.code, ==, QCOAP_CODE (5, 5));
  proxy_failure_clear (&failure);
}

static void
test_payload_limit (void)
{
  ProxyFailure failure = { 0 };

  g_assert_true (proxy_payload_check (PROXY_PAYLOAD_MAX, &failure));
  g_assert_false (proxy_payload_check (PROXY_PAYLOAD_MAX + 1, &failure));
  g_assert_cmpuint (failure.code, ==, QCOAP_CODE (4, 13));
  g_assert_cmpuint (failure.size1, ==, PROXY_PAYLOAD_MAX);
  proxy_failure_clear (&failure);
}

/* ---- responses: options for the client ---- */

static void
test_response_options (void)
{
  g_autoptr (GVariant) options = g_variant_ref_sink (g_variant_new_parsed (
      "[(uint16 8, <'made'>), (14, <uint32 0>), (14, <uint32 300>), (28, <[byte 0x10]>)]"));
  ProxyFailure failure = { 0 };
  g_autoptr (GArray) wire = proxy_options_from_variant (options, &failure);
  const guint8 max_age[] = { 0x01, 0x2c };
  const ProxyWireOption *o;

  g_assert_nonnull (wire);
  g_assert_cmpuint (wire->len, ==, 4);
  o = &g_array_index (wire, ProxyWireOption, 0);
  g_assert_cmpmem (g_bytes_get_data (o->value, NULL), g_bytes_get_size (o->value), "made", 4);
  /* Shortest form: 0 is no bytes, 300 two. */
  o = &g_array_index (wire, ProxyWireOption, 1);
  g_assert_cmpuint (g_bytes_get_size (o->value), ==, 0);
  o = &g_array_index (wire, ProxyWireOption, 2);
  g_assert_cmpmem (g_bytes_get_data (o->value, NULL), g_bytes_get_size (o->value), max_age, 2);
  /* An unknown Safe-to-Forward option is relayed. */
  g_assert_cmpuint (g_array_index (wire, ProxyWireOption, 3).number, ==, 28);
}

static void
test_response_unsafe_option (void)
{
  g_autoptr (GVariant) options
      = g_variant_ref_sink (g_variant_new_parsed ("[(uint16 23, <[byte 0x0e]>)]"));
  ProxyFailure failure = { 0 };

  g_assert_null (proxy_options_from_variant (options, &failure));
  g_assert_cmpuint (failure.code, ==, QCOAP_CODE (5, 2));
  g_assert_nonnull (strstr (failure.diagnostic, "Block2"));
  proxy_failure_clear (&failure);
}

/* ---- failures of qcoapd ---- */

static void
test_errors (void)
{
  const struct
  {
    GQuark domain;
    int code;
    guint8 coap;
    guint32 max_age;
  } cases[] = {
    { QCOAP_ERROR, QCOAP_ERROR_TIMEOUT, QCOAP_CODE (5, 4), 0 },
    { QCOAP_ERROR, QCOAP_ERROR_NO_FREE_CLIENT, QCOAP_CODE (5, 3), 5 },
    { QCOAP_ERROR, QCOAP_ERROR_QUEUE_FULL, QCOAP_CODE (5, 3), 1 },
    { QCOAP_ERROR, QCOAP_ERROR_NETWORK_FAILURE, QCOAP_CODE (5, 2), 0 },
    { QCOAP_ERROR, QCOAP_ERROR_MODEM_UNAVAILABLE, QCOAP_CODE (5, 2), 0 },
    { QCOAP_ERROR, QCOAP_ERROR_RESET, QCOAP_CODE (5, 2), 0 },
    { G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN, QCOAP_CODE (5, 2), 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = g_error_new (cases[i].domain, cases[i].code, "what went wrong");
      ProxyFailure failure = { 0 };

      proxy_failure_from_error (&failure, error);
      g_assert_cmpuint (failure.code, ==, cases[i].coap);
      g_assert_cmpuint (failure.max_age, ==, cases[i].max_age);
      g_assert_nonnull (strstr (failure.diagnostic, "what went wrong"));
      proxy_failure_clear (&failure);
    }
}

/* ---- whether the modem can serve ---- */

/* DataContexts with context 1 active or not, and context 2 inactive. */
static GVariant *
data_contexts (gboolean first_active)
{
  return g_variant_new_parsed ("[(byte 1, %b, %s), (byte 2, false, '')]", first_active,
                               first_active ? "10.0.0.7" : "");
}

static void
test_modem_check (void)
{
  const struct
  {
    const char *state, *registration;
    gboolean context_up;
    const char *diagnostic; /* NULL: the request goes on */
    guint32 max_age;
  } cases[] = {
    { "ready", "home", TRUE, NULL, 0 },
    { "ready", "roaming", TRUE, NULL, 0 },
    { "initializing", "unknown", FALSE, "modem initializing", 5 },
    { "absent", "home", TRUE, "modem absent", 5 },
    { "sleeping", "home", TRUE, "modem sleeping", 5 },
    { "failed", "unknown", FALSE, "modem failed", 5 },
    { "ready", "searching", FALSE, "not registered: searching", 10 },
    { "ready", "denied", FALSE, "not registered: denied", 10 },
    { "ready", "idle", TRUE, "not registered: idle", 10 },
    { "ready", "unknown", TRUE, "not registered: unknown", 10 },
    { "ready", "home", FALSE, "data context 1 down", 2 },
    /* What qcoapd has not reported (it is not on the bus, or has not read
     * it yet) holds nothing back. */
    { "", "", FALSE, NULL, 0 },
    { "ready", "", TRUE, NULL, 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GVariant) contexts = g_variant_ref_sink (data_contexts (cases[i].context_up));
      ProxyModemStatus status = { cases[i].state, cases[i].registration, contexts };
      ProxyFailure failure = { 0 };
      gboolean can_serve = proxy_modem_check (&status, PROXY_PDP_CONTEXT, &failure);

      g_test_message ("State %s, Registration %s", cases[i].state, cases[i].registration);
      g_assert_cmpint (can_serve, ==, cases[i].diagnostic == NULL);
      g_assert_cmpuint (failure.code, ==, can_serve ? 0 : QCOAP_CODE (5, 3));
      g_assert_cmpstr (failure.diagnostic, ==, cases[i].diagnostic);
      g_assert_cmpuint (failure.max_age, ==, cases[i].max_age);
      proxy_failure_clear (&failure);
    }
}

/* Only the context the proxy's sessions use counts; one qcoapd does not
 * list, or no list at all, is not known to be down. */
static void
test_modem_check_context (void)
{
  g_autoptr (GVariant) contexts = g_variant_ref_sink (data_contexts (TRUE));
  g_autoptr (GVariant) none = g_variant_ref_sink (g_variant_new_parsed ("@a(ybs) []"));
  ProxyModemStatus status = { "ready", "home", contexts };
  ProxyFailure failure = { 0 };

  g_assert_true (proxy_modem_check (&status, 1, &failure));
  g_assert_false (proxy_modem_check (&status, 2, &failure));
  g_assert_cmpstr (failure.diagnostic, ==, "data context 2 down");
  proxy_failure_clear (&failure);
  g_assert_true (proxy_modem_check (&status, 3, &failure));
  status.data_contexts = none;
  g_assert_true (proxy_modem_check (&status, 1, &failure));
  status.data_contexts = NULL;
  g_assert_true (proxy_modem_check (&status, 1, &failure));
  g_assert_null (failure.diagnostic);
}

/* A long message is cut to fit a datagram, at a character boundary. */
static void
test_diagnostic_cut (void)
{
  g_autoptr (GString) long_text = g_string_new (NULL);
  ProxyFailure failure = { 0 };

  for (int i = 0; i < 400; i++)
    g_string_append (long_text, "é");
  proxy_failure_set (&failure, QCOAP_CODE (5, 2), "%s", long_text->str);
  g_assert_cmpuint (strlen (failure.diagnostic), <=, 512);
  g_assert_cmpuint (strlen (failure.diagnostic), >=, 510);
  g_assert_true (g_utf8_validate (failure.diagnostic, -1, NULL));
  proxy_failure_clear (&failure);
}

/* ---- sock_diag: who sent a datagram ---- */

#define PEER_PORT  40001
#define PROXY_PORT 5683
#define PEER_UID   1234
#define PEER_SEQ   7

static ProxyPeerEndpoint
endpoint_v4 (guint8 last, guint16 port)
{
  ProxyPeerEndpoint endpoint = { 0 };

  endpoint.family = AF_INET;
  endpoint.address[0] = 127;
  endpoint.address[3] = last;
  endpoint.port = port;
  return endpoint;
}

/* Appends one netlink message of @type, numbered @seq, with @payload. */
static void
append_message (GByteArray *reply, guint16 type, guint32 seq, const void *payload, gsize length)
{
  struct nlmsghdr header = { 0 };
  static const guint8 padding[NLMSG_ALIGNTO] = { 0 };

  header.nlmsg_len = NLMSG_LENGTH (length);
  header.nlmsg_type = type;
  header.nlmsg_seq = seq;
  g_byte_array_append (reply, (const guint8 *)&header, sizeof header);
  g_byte_array_append (reply, payload, length);
  g_byte_array_append (reply, padding, NLMSG_ALIGN (length) - length);
}

/* What the kernel answers for a UDP socket: its description, then an
 * attribute (which the parser must skip). */
static void
append_socket (GByteArray *reply, guint32 seq, int family, guint16 own_port, uid_t uid)
{
  guint8 payload[sizeof (struct inet_diag_msg) + 8] = { 0 };
  struct inet_diag_msg message = { 0 };

  message.idiag_family = family;
  message.id.idiag_sport = g_htons (own_port);
  message.id.idiag_dport = g_htons (PROXY_PORT);
  message.idiag_uid = uid;
  memcpy (payload, &message, sizeof message);
  payload[sizeof message] = 8; /* an rtattr of 8 bytes */
  append_message (reply, SOCK_DIAG_BY_FAMILY, seq, payload, sizeof payload);
}

static void
append_error (GByteArray *reply, guint32 seq, int code)
{
  struct nlmsgerr error = { 0 };

  error.error = code;
  append_message (reply, NLMSG_ERROR, seq, &error, sizeof error);
}

static gboolean
parse_reply (GByteArray *reply, gsize length, uid_t *uid, GError **error)
{
  ProxyPeerEndpoint source = endpoint_v4 (1, PEER_PORT);

  return proxy_peer_parse_reply (reply->data, length, PEER_SEQ, &source, uid, error);
}

/* The request names the client's socket in the "dst" fields, as the
 * kernel's UDP lookup reads them, and the proxy's endpoint in "src". */
static void
test_peer_request (void)
{
  ProxyPeerEndpoint source = endpoint_v4 (1, PEER_PORT), local = endpoint_v4 (1, PROXY_PORT);
  ProxyPeerEndpoint v6 = { .family = AF_INET6, .port = PEER_PORT };
  guint8 buffer[256];
  struct nlmsghdr header;
  struct inet_diag_req_v2 request;
  gsize length = proxy_peer_build_request (&source, &local, PEER_SEQ, buffer, sizeof buffer);

  g_assert_cmpuint (length, ==, NLMSG_LENGTH (sizeof request));
  memcpy (&header, buffer, sizeof header);
  memcpy (&request, buffer + NLMSG_HDRLEN, sizeof request);
  g_assert_cmpuint (header.nlmsg_len, ==, length);
  g_assert_cmpuint (header.nlmsg_type, ==, SOCK_DIAG_BY_FAMILY);
  g_assert_cmpuint (header.nlmsg_flags, ==, NLM_F_REQUEST); /* one socket, no dump */
  g_assert_cmpuint (header.nlmsg_seq, ==, PEER_SEQ);
  g_assert_cmpuint (request.sdiag_family, ==, AF_INET);
  g_assert_cmpuint (request.sdiag_protocol, ==, IPPROTO_UDP);
  g_assert_cmpuint (g_ntohs (request.id.idiag_dport), ==, PEER_PORT);
  g_assert_cmpuint (g_ntohs (request.id.idiag_sport), ==, PROXY_PORT);
  g_assert_cmpmem (request.id.idiag_dst, 4, source.address, 4);
  g_assert_cmpmem (request.id.idiag_src, 4, local.address, 4);
  g_assert_cmpuint (request.id.idiag_cookie[0], ==, INET_DIAG_NOCOOKIE);
  g_assert_cmpuint (request.id.idiag_cookie[1], ==, INET_DIAG_NOCOOKIE);
  /* Too small a buffer, or families that differ: nothing. */
  g_assert_cmpuint (proxy_peer_build_request (&source, &local, 1, buffer, length - 1), ==, 0);
  g_assert_cmpuint (proxy_peer_build_request (&v6, &local, 1, buffer, sizeof buffer), ==, 0);
}

static void
test_peer_reply_uid (void)
{
  g_autoptr (GByteArray) reply = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  uid_t uid = 0;

  /* A late answer to an earlier request comes first and is skipped. */
  append_socket (reply, PEER_SEQ - 1, AF_INET, PEER_PORT, 0);
  append_socket (reply, PEER_SEQ, AF_INET, PEER_PORT, PEER_UID);
  g_assert_true (parse_reply (reply, reply->len, &uid, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (uid, ==, PEER_UID);
}

static void
test_peer_reply_not_found (void)
{
  g_autoptr (GByteArray) missing = g_byte_array_new ();
  g_autoptr (GByteArray) done = g_byte_array_new ();
  g_autoptr (GByteArray) denied = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  const int not_errnos[] = { G_MININT, -4096, 1 };
  uid_t uid = PEER_UID;

  append_error (missing, PEER_SEQ, -ENOENT);
  g_assert_false (parse_reply (missing, missing->len, &uid, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  append_message (done, NLMSG_DONE, PEER_SEQ, "\0\0\0\0", 4);
  g_assert_false (parse_reply (done, done->len, &uid, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  append_error (denied, PEER_SEQ, -EPERM);
  g_assert_false (parse_reply (denied, denied->len, &uid, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_cmpuint (uid, ==, PEER_UID); /* untouched */
  g_clear_error (&error);
  /* No errno at all (the kernel never sends these): refused, not negated. */
  for (guint i = 0; i < G_N_ELEMENTS (not_errnos); i++)
    {
      g_autoptr (GByteArray) odd = g_byte_array_new ();

      append_error (odd, PEER_SEQ, not_errnos[i]);
      g_assert_false (parse_reply (odd, odd->len, &uid, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_clear_error (&error);
    }
}

/* An acknowledgement, or answers to other requests only: read on. */
static void
test_peer_reply_pending (void)
{
  g_autoptr (GByteArray) reply = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  uid_t uid;

  append_error (reply, PEER_SEQ, 0);
  append_socket (reply, PEER_SEQ + 1, AF_INET, PEER_PORT, PEER_UID);
  g_assert_false (parse_reply (reply, reply->len, &uid, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PENDING);
  g_clear_error (&error);
  g_assert_false (parse_reply (reply, 0, &uid, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PENDING);
}

/* An IPv4 sender's socket may be a dual-stack IPv6 one; an IPv6 sender's
 * is never IPv4. */
static void
test_peer_reply_dual_stack (void)
{
  g_autoptr (GByteArray) reply = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  ProxyPeerEndpoint v6 = { .family = AF_INET6, .port = PEER_PORT };
  uid_t uid = 0;

  append_socket (reply, PEER_SEQ, AF_INET6, PEER_PORT, PEER_UID);
  g_assert_true (parse_reply (reply, reply->len, &uid, &error));
  g_assert_cmpuint (uid, ==, PEER_UID);
  g_byte_array_set_size (reply, 0);
  append_socket (reply, PEER_SEQ, AF_INET, PEER_PORT, PEER_UID);
  g_assert_false (proxy_peer_parse_reply (reply->data, reply->len, PEER_SEQ, &v6, &uid, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

/* A description of another socket, of another family, or cut short is
 * never taken for an answer. */
static void
test_peer_reply_refused (void)
{
  g_autoptr (GByteArray) other_port = g_byte_array_new ();
  g_autoptr (GByteArray) other_family = g_byte_array_new ();
  g_autoptr (GByteArray) short_message = g_byte_array_new ();
  g_autoptr (GByteArray) good = g_byte_array_new ();
  GByteArray *refused[] = { other_port, other_family, short_message };
  g_autoptr (GError) error = NULL;
  uid_t uid;

  append_socket (other_port, PEER_SEQ, AF_INET, PEER_PORT + 1, PEER_UID);
  append_socket (other_family, PEER_SEQ, AF_UNIX, PEER_PORT, PEER_UID);
  append_message (short_message, SOCK_DIAG_BY_FAMILY, PEER_SEQ, "\x02\0\0\0", 4);
  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_assert_false (parse_reply (refused[i], refused[i]->len, &uid, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_clear_error (&error);
    }
  append_socket (good, PEER_SEQ, AF_INET, PEER_PORT, PEER_UID);
  for (gsize length = 1; length < good->len; length++)
    {
      g_assert_false (parse_reply (good, length, &uid, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_clear_error (&error);
    }
}

static void
test_peer_endpoints (void)
{
  struct sockaddr_in6 mapped = { .sin6_family = AF_INET6, .sin6_port = g_htons (PEER_PORT) };
  struct sockaddr_in6 loopback6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
  struct sockaddr_in other = { .sin_family = AF_INET, .sin_addr.s_addr = g_htonl (0xC0000201) };
  ProxyPeerEndpoint endpoint;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (inet_pton (AF_INET6, "::ffff:127.0.0.2", &mapped.sin6_addr), ==, 1);
  g_assert_true (proxy_peer_endpoint_from_native ((struct sockaddr *)&mapped, sizeof mapped,
                                                  &endpoint, &error));
  g_assert_cmpint (endpoint.family, ==, AF_INET);
  g_assert_true (proxy_peer_endpoint_is_loopback (&endpoint));
  text = proxy_peer_endpoint_to_string (&endpoint);
  g_assert_cmpstr (text, ==, "127.0.0.2:40001");
  g_assert_true (proxy_peer_endpoint_from_native ((struct sockaddr *)&loopback6, sizeof loopback6,
                                                  &endpoint, &error));
  g_assert_true (proxy_peer_endpoint_is_loopback (&endpoint));
  g_assert_true (
      proxy_peer_endpoint_from_native ((struct sockaddr *)&other, sizeof other, &endpoint, &error));
  g_assert_false (proxy_peer_endpoint_is_loopback (&endpoint));
  g_assert_false (proxy_peer_endpoint_from_native ((struct sockaddr *)&other, sizeof other - 1,
                                                   &endpoint, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
}

static int
bound_socket (struct sockaddr_in *address)
{
  socklen_t length = sizeof *address;
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  memset (address, 0, sizeof *address);
  address->sin_family = AF_INET;
  address->sin_addr.s_addr = g_htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (fd, (struct sockaddr *)address, length), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *)address, &length), ==, 0);
  return fd;
}

static ProxyPeerEndpoint
endpoint_of (const struct sockaddr_in *address)
{
  ProxyPeerEndpoint endpoint;

  g_assert_true (proxy_peer_endpoint_from_native ((const struct sockaddr *)address, sizeof *address,
                                                  &endpoint, NULL));
  return endpoint;
}

/* The kernel's own answer about a socket of this process: its owner is
 * us; a port no socket holds is not found, and a sender that is not on
 * loopback is not asked about. */
static void
test_peer_lookup_live (void)
{
  g_autoptr (ProxyPeers) peers = proxy_peers_new ();
  struct sockaddr_in proxy_address, client_address;
  struct sockaddr_in unused_address;
  int proxy_fd = bound_socket (&proxy_address), client_fd = bound_socket (&client_address);
  int unused_fd = bound_socket (&unused_address);
  ProxyPeerEndpoint source = endpoint_of (&client_address), local = endpoint_of (&proxy_address);
  ProxyPeerEndpoint nobody = source, remote = endpoint_v4 (1, PEER_PORT);
  g_autoptr (GError) error = NULL;
  uid_t uid = G_MAXUINT32;

  g_assert_cmpint (connect (client_fd, (struct sockaddr *)&proxy_address, sizeof proxy_address), ==,
                   0);
  g_assert_true (proxy_peers_lookup (peers, &source, &local, &uid, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (uid, ==, geteuid ());
  /* A port that a socket held a moment ago and none holds now. */
  close (unused_fd);
  nobody.port = g_ntohs (unused_address.sin_port);
  g_assert_false (proxy_peers_lookup (peers, &nobody, &local, &uid, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  remote.address[0] = 192;
  g_assert_false (proxy_peers_lookup (peers, &remote, &local, &uid, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  close (client_fd);
  close (proxy_fd);
}

/* A dual-stack IPv6 socket that sends to an IPv4 endpoint, as aiocoap's
 * does: the kernel finds it through the IPv4 address it sent from. */
static void
test_peer_lookup_dual_stack (void)
{
  g_autoptr (ProxyPeers) peers = proxy_peers_new ();
  struct sockaddr_in proxy_address;
  struct sockaddr_in6 client_address = { .sin6_family = AF_INET6 };
  struct sockaddr_in6 mapped = { .sin6_family = AF_INET6 };
  socklen_t length = sizeof client_address;
  int proxy_fd = bound_socket (&proxy_address);
  int client_fd = socket (AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ProxyPeerEndpoint source = endpoint_v4 (1, 0), local = endpoint_of (&proxy_address);
  g_autoptr (GError) error = NULL;
  uid_t uid = G_MAXUINT32;

  if (client_fd < 0 || bind (client_fd, (struct sockaddr *)&client_address, length) < 0)
    {
      g_test_skip ("no IPv6 here");
      close (proxy_fd);
      return;
    }
  g_assert_cmpint (getsockname (client_fd, (struct sockaddr *)&client_address, &length), ==, 0);
  g_assert_cmpint (inet_pton (AF_INET6, "::ffff:127.0.0.1", &mapped.sin6_addr), ==, 1);
  mapped.sin6_port = proxy_address.sin_port;
  g_assert_cmpint (sendto (client_fd, "", 0, 0, (struct sockaddr *)&mapped, sizeof mapped), ==, 0);
  source.port = g_ntohs (client_address.sin6_port);
  g_assert_true (proxy_peers_lookup (peers, &source, &local, &uid, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (uid, ==, geteuid ());
  close (client_fd);
  close (proxy_fd);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/proxy-config/defaults", test_config_defaults);
  g_test_add_func ("/proxy-config/routes", test_config_routes);
  g_test_add_func ("/proxy-config/allowed-groups", test_config_allowed_groups);
  g_test_add_func ("/proxy-config/refused", test_config_refused);
  g_test_add_func ("/proxy-config/key-file", test_config_key_file);
  g_test_add_func ("/proxy-config/inline-key-needs-private-file",
                   test_config_inline_key_needs_private_file);
  g_test_add_func ("/proxy-config/load-missing", test_config_load_missing);
  g_test_add_func ("/proxy-config/default-file", test_config_default_file);
  g_test_add_func ("/proxy-message/options-typed", test_options_typed);
  g_test_add_func ("/proxy-message/options-refused", test_options_refused);
  g_test_add_func ("/proxy-message/options-at-most-eight", test_options_at_most_eight);
  g_test_add_func ("/proxy-message/payload-limit", test_payload_limit);
  g_test_add_func ("/proxy-message/response-options", test_response_options);
  g_test_add_func ("/proxy-message/response-unsafe-option", test_response_unsafe_option);
  g_test_add_func ("/proxy-message/errors", test_errors);
  g_test_add_func ("/proxy-message/diagnostic-cut", test_diagnostic_cut);
  g_test_add_func ("/proxy-message/modem-check", test_modem_check);
  g_test_add_func ("/proxy-message/modem-check-context", test_modem_check_context);
  g_test_add_func ("/proxy-peer/request", test_peer_request);
  g_test_add_func ("/proxy-peer/reply-uid", test_peer_reply_uid);
  g_test_add_func ("/proxy-peer/reply-not-found", test_peer_reply_not_found);
  g_test_add_func ("/proxy-peer/reply-pending", test_peer_reply_pending);
  g_test_add_func ("/proxy-peer/reply-dual-stack", test_peer_reply_dual_stack);
  g_test_add_func ("/proxy-peer/reply-refused", test_peer_reply_refused);
  g_test_add_func ("/proxy-peer/endpoints", test_peer_endpoints);
  g_test_add_func ("/proxy-peer/lookup-live", test_peer_lookup_live);
  g_test_add_func ("/proxy-peer/lookup-dual-stack", test_peer_lookup_dual_stack);
  return g_test_run ();
}
