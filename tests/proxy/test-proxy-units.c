/* SPDX-License-Identifier: MIT */
/* test-proxy-units.c — qcoap-proxy's configuration reader and message
 * translation on their own: what is accepted, what is refused and how, and
 * that no refusal quotes a key. */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "qcoap-proxy-config.h"
#include "qcoap-proxy-message.h"

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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/proxy-config/defaults", test_config_defaults);
  g_test_add_func ("/proxy-config/routes", test_config_routes);
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
  return g_test_run ();
}
