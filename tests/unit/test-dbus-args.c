/* SPDX-License-Identifier: MIT */
/* test-dbus-args.c — the readers of the API's a{sv} arguments and the checks
 * of its messages (daemon/dbus-args.c): what a caller may give is taken with
 * the right values, everything else is refused with InvalidArgument before
 * anything is built. No bus, no modem. */
#include <string.h>

#include "dbus-args.h"
#include "qcoap-error.h"
#include "qcoap-options.h"
#include "qcoap-proto.h"

/* An a{sv} from its GVariant text, e.g. "{'client-id': <byte 5>}". */
static GVariant *
dict (const char *text)
{
  g_autoptr (GError) error = NULL;
  GVariant *value = g_variant_parse (G_VARIANT_TYPE_VARDICT, text, NULL, NULL, &error);

  g_assert_no_error (error);
  return value; /* not floating */
}

/* The GVariant text of an ay of @length bytes: [byte 0x6b, 0x6b, …]. (Its
 * b'…' form would add a NUL.) */
static char *
bytes_text (gsize length)
{
  GString *text = g_string_new ("[byte 0x6b");

  for (gsize i = 1; i < length; i++)
    g_string_append (text, ", 0x6b");
  g_string_append_c (text, ']');
  return g_string_free (text, FALSE);
}

static GBytes *
bytes_of_size (gsize size)
{
  return g_bytes_new_take (g_malloc0 (size), size);
}

/* ---- the readers: one table of refused arguments for each ---- */

typedef gboolean (*ReadFunc) (GVariant *dict, GError **error);

typedef struct
{
  const char *what;
  const char *dict;
  const char *message; /* a part of the error's message */
} Refused;

static void
assert_refused (ReadFunc read, const Refused *cases, gsize n_cases)
{
  for (gsize i = 0; i < n_cases; i++)
    {
      g_autoptr (GVariant) value = dict (cases[i].dict);
      g_autoptr (GError) error = NULL;

      g_test_message ("%s: %s", cases[i].what, cases[i].dict);
      g_assert_false (read (value, &error));
      g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
      if (strstr (error->message, cases[i].message) == NULL)
        g_error ("%s: \"%s\" does not say \"%s\"", cases[i].what, error->message, cases[i].message);
    }
}

static gboolean
read_open (GVariant *value, GError **error)
{
  g_auto (OpenArgs) args;

  open_args_init (&args);
  return open_args_parse (&args, value, error);
}

static gboolean
read_one_shot (GVariant *value, GError **error)
{
  g_auto (OpenArgs) args;

  open_args_init (&args);
  return open_args_parse_one_shot (&args, value, error);
}

static gboolean
read_send (GVariant *value, GError **error)
{
  g_auto (SendFlags) flags = { 0 };

  return send_flags_parse (&flags, value, error);
}

static gboolean
read_request (GVariant *value, GError **error)
{
  g_auto (RequestFlags) flags = { 0 };

  return request_flags_parse (&flags, value, error);
}

/* What every reader refuses alike. */
static const Refused refused_by_all[] = {
  { "an unknown key", "{'colour': <'red'>}", "Unknown" },
  /* Keys are compared as they are. */
  { "a key in capitals", "{'TIMEOUT': <uint32 5>}", "Unknown" },
};

/* Each key's value of the wrong type, and its range's edges. */
static const Refused refused_by_open[] = {
  { "client-id of type u", "{'client-id': <uint32 1>}", "\"client-id\" of Open must be of type y" },
  { "client-id 6", "{'client-id': <byte 6>}", "between 0 and 5" },
  { "pdp-context 0", "{'pdp-context': <byte 0>}", "between 1 and 16" },
  { "pdp-context 17", "{'pdp-context': <byte 17>}", "between 1 and 16" },
  { "ack-timeout 1", "{'ack-timeout': <uint32 1>}", "between 2 and 60" },
  { "ack-timeout 61", "{'ack-timeout': <uint32 61>}", "between 2 and 60" },
  { "ack-timeout of type s", "{'ack-timeout': <'2'>}", "must be of type u, not s" },
  { "max-retransmit 3", "{'max-retransmit': <uint32 3>}", "between 4 and 8" },
  { "max-retransmit 9", "{'max-retransmit': <uint32 9>}", "between 4 and 8" },
  { "persistent of type u", "{'persistent': <uint32 1>}", "must be of type b" },
  { "listen of type s", "{'listen': <'yes'>}", "must be of type b" },
  { "idle-timeout 0", "{'idle-timeout': <uint32 0>}", "between 1 and 604800" },
  { "idle-timeout beyond a week", "{'idle-timeout': <uint32 604801>}", "between 1 and 604800" },
  { "timeout 0", "{'timeout': <uint32 0>}", "between 1 and 600000" },
  { "timeout beyond ten minutes", "{'timeout': <uint32 600001>}", "between 1 and 600000" },
  { "dtls-psk-identity of type ay", "{'dtls-psk-identity': <b'id'>}", "must be of type s" },
  { "dtls-psk-key of type s", "{'dtls-psk-key': <'key'>}", "must be of type ay" },
  { "identity without key", "{'dtls-psk-identity': <'gw'>}", "needs both" },
  { "key without identity", "{'dtls-psk-key': <b'secret'>}", "needs both" },
  { "empty identity", "{'dtls-psk-identity': <''>, 'dtls-psk-key': <b'secret'>}",
    "identity must be 1 to 255 bytes long, not 0" },
  { "identity with '&'", "{'dtls-psk-identity': <'a&b'>, 'dtls-psk-key': <b'secret'>}",
    "must not contain '&'" },
  { "empty key", "{'dtls-psk-identity': <'gw'>, 'dtls-psk-key': <@ay []>}",
    "key must be 1 to 64 bytes long, not 0" },
};

static const Refused refused_by_send[] = {
  { "message-id of type u", "{'message-id': <uint32 7>}",
    "\"message-id\" of Send must be of type q" },
  { "a token of 9 bytes", "{'token': <[byte 1, 2, 3, 4, 5, 6, 7, 8, 9]>}",
    "has 9 bytes; it may have 0 to 8" },
  { "token of type s", "{'token': <'ab'>}", "must be of type ay" },
  /* Open's and Request's keys are not Send's. */
  { "timeout", "{'timeout': <uint32 5>}", "Send takes \"message-id\", \"token\"" },
};

static const Refused refused_by_request[] = {
  { "confirmable of type y", "{'confirmable': <byte 1>}", "\"confirmable\" of Request" },
  { "timeout beyond ten minutes", "{'timeout': <uint32 600001>}", "between 0 and 600000" },
  { "uri-path of type ay", "{'uri-path': <b'/time'>}", "must be of type s" },
  { "uri-query of type u", "{'uri-query': <uint32 1>}", "must be of type s" },
  { "persistent", "{'persistent': <true>}", "Unknown flag \"persistent\"" },
};

static void
test_open_defaults (void)
{
  g_autoptr (GVariant) value = dict ("@a{sv} {}");
  g_autoptr (GError) error = NULL;
  g_auto (OpenArgs) args;

  open_args_init (&args);
  g_assert_true (open_args_parse (&args, value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (args.client_id, ==, -1);
  g_assert_cmpuint (args.pdp_context, ==, 1);
  g_assert_cmpuint (args.ack_timeout, ==, 2);
  g_assert_cmpuint (args.max_retransmit, ==, 4);
  g_assert_false (args.persistent);
  g_assert_true (args.listen);
  g_assert_false (args.listen_given);
  g_assert_false (args.one_shot);
  g_assert_cmpuint (args.idle_timeout, ==, 300);
  g_assert_false (args.idle_timeout_given);
  g_assert_cmpuint (args.timeout_ms, ==, 75000);
  g_assert_false (args.timeout_given);
  g_assert_null (args.psk_identity);
  g_assert_null (args.psk_key);
}

/* Every key at the far edge of its range. */
static void
test_open_every_key (void)
{
  g_autoptr (GVariant) value
      = dict ("{'client-id': <byte 5>, 'pdp-context': <byte 16>, 'ack-timeout': <uint32 60>,"
              " 'max-retransmit': <uint32 8>, 'persistent': <true>, 'listen': <false>,"
              " 'idle-timeout': <uint32 604800>, 'timeout': <uint32 600000>,"
              " 'dtls-psk-identity': <'gateway-7'>, 'dtls-psk-key': <[byte 0x73, 0x65, 0x63, 0x72, "
              "0x65, 0x74]>}");
  g_autoptr (GError) error = NULL;
  g_auto (OpenArgs) args;

  open_args_init (&args);
  g_assert_true (open_args_parse (&args, value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (args.client_id, ==, 5);
  g_assert_cmpuint (args.pdp_context, ==, 16);
  g_assert_cmpuint (args.ack_timeout, ==, 60);
  g_assert_cmpuint (args.max_retransmit, ==, 8);
  g_assert_true (args.persistent);
  g_assert_false (args.listen);
  g_assert_true (args.listen_given);
  g_assert_false (args.one_shot);
  g_assert_cmpuint (args.idle_timeout, ==, 604800);
  g_assert_true (args.idle_timeout_given);
  g_assert_cmpuint (args.timeout_ms, ==, 600000);
  g_assert_true (args.timeout_given);
  g_assert_cmpstr (args.psk_identity, ==, "gateway-7");
  g_assert_cmpmem (g_bytes_get_data (args.psk_key, NULL), g_bytes_get_size (args.psk_key), "secret",
                   6);
}

/* The near edges, and a key given twice: the last one counts. */
static void
test_open_low_edges_and_repeats (void)
{
  g_autoptr (GVariant) value
      = dict ("{'client-id': <byte 3>, 'client-id': <byte 0>, 'pdp-context': <byte 1>,"
              " 'ack-timeout': <uint32 2>, 'max-retransmit': <uint32 4>,"
              " 'idle-timeout': <uint32 1>, 'timeout': <uint32 1>, 'persistent': <true>,"
              " 'persistent': <false>}");
  g_autoptr (GError) error = NULL;
  g_auto (OpenArgs) args;

  open_args_init (&args);
  g_assert_true (open_args_parse (&args, value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (args.client_id, ==, 0);
  g_assert_cmpuint (args.pdp_context, ==, 1);
  g_assert_cmpuint (args.ack_timeout, ==, 2);
  g_assert_cmpuint (args.max_retransmit, ==, 4);
  g_assert_cmpuint (args.idle_timeout, ==, 1);
  g_assert_cmpuint (args.timeout_ms, ==, 1);
  g_assert_false (args.persistent);
}

static void
test_open_refused (void)
{
  g_autofree char *key = bytes_text (65);
  g_autofree char *long_key
      = g_strdup_printf ("{'dtls-psk-identity': <'gw'>, 'dtls-psk-key': <%s>}", key);
  const Refused refused_key[]
      = { { "key of 65 bytes", long_key, "key must be 1 to 64 bytes long, not 65" } };

  assert_refused (read_open, refused_by_all, G_N_ELEMENTS (refused_by_all));
  assert_refused (read_open, refused_by_open, G_N_ELEMENTS (refused_by_open));
  assert_refused (read_open, refused_key, G_N_ELEMENTS (refused_key));
}

/* A copy owns its own identity and key. */
static void
test_open_copy (void)
{
  g_autoptr (GVariant) value
      = dict ("{'client-id': <byte 2>, 'dtls-psk-identity': <'gw'>, 'dtls-psk-key': <[byte 7]>}");
  g_auto (OpenArgs) args;
  g_auto (OpenArgs) copy = { 0 };

  open_args_init (&args);
  g_assert_true (open_args_parse (&args, value, NULL));
  open_args_copy (&copy, &args);
  open_args_clear (&args);
  g_assert_cmpint (copy.client_id, ==, 2);
  g_assert_cmpstr (copy.psk_identity, ==, "gw");
  g_assert_cmpuint (g_bytes_get_size (copy.psk_key), ==, 1);
}

/* The one-shot Request takes Open's keys but "listen", and its session has
 * no listener. */
static void
test_one_shot (void)
{
  static const Refused refused_by_one_shot[] = {
    { "listen true", "{'listen': <true>}", "\"listen\" is for Open" },
    { "listen false", "{'listen': <false>}", "\"listen\" is for Open" },
  };
  g_autoptr (GVariant) value = dict ("{'timeout': <uint32 9000>, 'client-id': <byte 1>}");
  g_autoptr (GError) error = NULL;
  g_auto (OpenArgs) args;

  open_args_init (&args);
  g_assert_true (open_args_parse_one_shot (&args, value, &error));
  g_assert_no_error (error);
  g_assert_true (args.one_shot);
  g_assert_false (args.listen);
  g_assert_cmpuint (args.timeout_ms, ==, 9000);
  g_assert_cmpint (args.client_id, ==, 1);
  assert_refused (read_one_shot, refused_by_one_shot, G_N_ELEMENTS (refused_by_one_shot));
  assert_refused (read_one_shot, refused_by_open, G_N_ELEMENTS (refused_by_open));
}

static void
test_send_flags (void)
{
  g_autoptr (GVariant) none = dict ("@a{sv} {}");
  g_autoptr (GVariant) both
      = dict ("{'message-id': <uint16 65535>, 'token': <[byte 1, 2, 3, 4, 5, 6, 7, 8]>}");
  g_autoptr (GVariant) low = dict ("{'message-id': <uint16 0>, 'token': <@ay []>}");
  g_auto (SendFlags) flags = { 0 };

  g_assert_true (send_flags_parse (&flags, none, NULL));
  g_assert_cmpint (flags.message_id, ==, -1);
  g_assert_null (flags.token);
  send_flags_clear (&flags);
  g_assert_true (send_flags_parse (&flags, both, NULL));
  g_assert_cmpint (flags.message_id, ==, 65535);
  g_assert_cmpmem (g_bytes_get_data (flags.token, NULL), g_bytes_get_size (flags.token),
                   "\1\2\3\4\5\6\7\10", 8);
  send_flags_clear (&flags);
  g_assert_true (send_flags_parse (&flags, low, NULL));
  g_assert_cmpint (flags.message_id, ==, 0);
  g_assert_cmpuint (g_bytes_get_size (flags.token), ==, 0);
  assert_refused (read_send, refused_by_all, G_N_ELEMENTS (refused_by_all));
  assert_refused (read_send, refused_by_send, G_N_ELEMENTS (refused_by_send));
}

static void
test_request_flags (void)
{
  g_autofree char *longest = g_strnfill (QCOAP_MAX_OPTIONS * 256, 'a');
  g_autofree char *too_long = g_strnfill (QCOAP_MAX_OPTIONS * 256 + 1, 'a');
  g_autofree char *longest_dict = g_strdup_printf ("{'uri-path': <'%s'>}", longest);
  g_autofree char *too_long_dict = g_strdup_printf ("{'uri-query': <'%s'>}", too_long);
  const Refused too_long_query[] = { { "uri-query beyond eight options", too_long_dict,
                                       "has 2049 bytes; it may have 0 to 2048" } };
  g_autoptr (GVariant) none = dict ("@a{sv} {}");
  g_autoptr (GVariant) all = dict ("{'confirmable': <false>, 'timeout': <uint32 600000>,"
                                   " 'uri-path': <'/a/b'>, 'uri-query': <'k=v&x'>}");
  g_autoptr (GVariant) zero = dict ("{'timeout': <uint32 0>}");
  g_autoptr (GVariant) path = dict (longest_dict);
  g_auto (RequestFlags) flags = { 0 };

  g_assert_true (request_flags_parse (&flags, none, NULL));
  g_assert_true (flags.confirmable);
  g_assert_cmpuint (flags.timeout_ms, ==, 0);
  g_assert_false (flags.timeout_given);
  g_assert_null (flags.uri_path);
  g_assert_null (flags.uri_query);
  request_flags_clear (&flags);
  g_assert_true (request_flags_parse (&flags, all, NULL));
  g_assert_false (flags.confirmable);
  g_assert_cmpuint (flags.timeout_ms, ==, 600000);
  g_assert_true (flags.timeout_given);
  g_assert_cmpstr (flags.uri_path, ==, "/a/b");
  g_assert_cmpstr (flags.uri_query, ==, "k=v&x");
  request_flags_clear (&flags);
  /* A timeout of 0 would fire before anything was sent. */
  g_assert_true (request_flags_parse (&flags, zero, NULL));
  g_assert_cmpuint (flags.timeout_ms, ==, 1);
  g_assert_true (flags.timeout_given);
  request_flags_clear (&flags);
  g_assert_true (request_flags_parse (&flags, path, NULL));
  g_assert_cmpstr (flags.uri_path, ==, longest);
  assert_refused (read_request, refused_by_all, G_N_ELEMENTS (refused_by_all));
  assert_refused (read_request, refused_by_request, G_N_ELEMENTS (refused_by_request));
  assert_refused (read_request, too_long_query, G_N_ELEMENTS (too_long_query));
}

/* ---- the checks of messages, requests and URIs ---- */

/* @error by address: the call that sets it is an argument of the same call. */
static void
assert_invalid (gboolean ok, GError **error, const char *message)
{
  g_assert_false (ok);
  g_assert_error (*error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
  if (strstr ((*error)->message, message) == NULL)
    g_error ("\"%s\" does not say \"%s\"", (*error)->message, message);
}

static void
test_check_message (void)
{
  /* The modem's code table: the empty message, the methods, the responses
   * it knows. */
  static const guint8 known[] = { 0, 1, 4, 65, 69, 128, 132, 143, 160, 165 };
  static const guint8 unknown[] = { 5, 31, 64, 70, 127, 135, 144, 166, 255 };
  g_autoptr (GBytes) empty = bytes_of_size (0);
  g_autoptr (GBytes) largest = bytes_of_size (QCOAP_MAX_PAYLOAD);
  g_autoptr (GBytes) too_large = bytes_of_size (QCOAP_MAX_PAYLOAD + 1);

  for (guint8 type = QCOAP_TYPE_CON; type <= QCOAP_TYPE_RST; type++)
    g_assert_true (dbus_args_check_message (type, 1, empty, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (known); i++)
    g_assert_true (dbus_args_check_message (QCOAP_TYPE_NON, known[i], largest, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (unknown); i++)
    {
      g_autoptr (GError) error = NULL;

      assert_invalid (dbus_args_check_message (QCOAP_TYPE_CON, unknown[i], empty, &error), &error,
                      "is not one the modem can send");
    }
  {
    g_autoptr (GError) type_error = NULL;
    g_autoptr (GError) payload_error = NULL;

    assert_invalid (dbus_args_check_message (4, 1, empty, &type_error), &type_error,
                    "Message type 4");
    assert_invalid (dbus_args_check_message (QCOAP_TYPE_NON, 2, too_large, &payload_error),
                    &payload_error, "1025 bytes");
  }
}

static void
test_check_empty_message (void)
{
  g_autoptr (GPtrArray) no_options = at_coap_option_list_new ();
  g_autoptr (GPtrArray) one_option = at_coap_option_list_new ();
  g_autoptr (GBytes) empty = bytes_of_size (0);
  g_autoptr (GBytes) one_byte = bytes_of_size (1);
  g_autoptr (GError) options_error = NULL;
  g_autoptr (GError) payload_error = NULL;
  g_autoptr (GError) token_error = NULL;

  g_ptr_array_add (one_option, at_coap_option_new_string (QCOAP_OPTION_URI_PATH, "x"));
  /* A ping: nothing at all, an empty token counts as none. */
  g_assert_true (dbus_args_check_empty_message (0, no_options, empty, NULL, NULL));
  g_assert_true (dbus_args_check_empty_message (0, no_options, empty, empty, NULL));
  /* Only code 0 is held to it. */
  g_assert_true (dbus_args_check_empty_message (1, one_option, one_byte, one_byte, NULL));
  assert_invalid (dbus_args_check_empty_message (0, one_option, empty, NULL, &options_error),
                  &options_error, "empty message");
  assert_invalid (dbus_args_check_empty_message (0, no_options, one_byte, NULL, &payload_error),
                  &payload_error, "empty message");
  assert_invalid (dbus_args_check_empty_message (0, no_options, empty, one_byte, &token_error),
                  &token_error, "empty message");
}

static void
test_check_request (void)
{
  g_autoptr (GBytes) largest = bytes_of_size (QCOAP_MAX_PAYLOAD);
  g_autoptr (GBytes) too_large = bytes_of_size (QCOAP_MAX_PAYLOAD + 1);
  static const guint8 not_methods[] = { 0, 5, 31, 69 };

  for (guint8 code = 1; code <= 4; code++)
    g_assert_true (dbus_args_check_request (code, largest, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (not_methods); i++)
    {
      g_autoptr (GError) error = NULL;

      assert_invalid (dbus_args_check_request (not_methods[i], largest, &error), &error,
                      "is not a request method");
    }
  {
    g_autoptr (GError) error = NULL;

    assert_invalid (dbus_args_check_request (3, too_large, &error), &error, "1025 bytes");
  }
}

/* The longest request URI: "coaps://" and ":65535" (16), a host of 255
 * bytes, and a path and a query of eight 255-byte options and their
 * separators each (2 × 2048 bytes), every byte of them written %XX. */
#define LONGEST_URI (16 + 255 + 3 * 2 * QCOAP_MAX_OPTIONS * 256)

static void
test_check_uri (void)
{
  g_autoptr (GString) uri = g_string_new ("coap://127.0.0.1/");
  g_autoptr (GError) error = NULL;

  g_assert_true (dbus_args_check_uri (uri->str, NULL));
  while (uri->len < LONGEST_URI)
    g_string_append_c (uri, 'a');
  g_assert_true (dbus_args_check_uri (uri->str, NULL));
  g_string_append_c (uri, 'a');
  assert_invalid (dbus_args_check_uri (uri->str, &error), &error, "12560 bytes");
}

/* ---- the options of a request ---- */

static GVariant *
caller_options (guint count)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(qv)"));
  for (guint i = 0; i < count; i++)
    g_variant_builder_add (&builder, "(qv)", 17, g_variant_new_uint32 (i));
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/* The caller's options first, then the path's segments, then the query's
 * parts, each in order. */
static void
test_build_options (void)
{
  static const char *const path[] = { "sensors", "7", NULL };
  static const char *const query[] = { "unit=C", NULL };
  static const guint16 numbers[] = { 17, 11, 11, 15 };
  static const char *const texts[] = { NULL, "sensors", "7", "unit=C" };
  g_autoptr (GVariant) options = caller_options (1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = dbus_args_build_options (options, path, query, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, G_N_ELEMENTS (numbers));
  for (guint i = 0; i < list->len; i++)
    {
      const QcoapOption *option = g_ptr_array_index (list, i);
      g_autofree char *text = at_coap_option_dup_string (option);

      g_assert_cmpuint (option->number, ==, numbers[i]);
      g_assert_cmpstr (text, ==, texts[i]);
    }
  g_assert_cmpuint (((QcoapOption *)g_ptr_array_index (list, 0))->uint_value, ==, 0);
}

/* Eight in all is the most; the ninth fails whichever part brings it. */
static void
test_build_options_counted (void)
{
  static const char *const three[] = { "a", "b", "c", NULL };
  static const char *const four[] = { "a", "b", "c", "d", NULL };
  g_autoptr (GVariant) five = caller_options (5);
  g_autoptr (GVariant) nine = caller_options (QCOAP_MAX_OPTIONS + 1);
  g_autoptr (GVariant) none = caller_options (0);
  g_autoptr (GPtrArray) eight = dbus_args_build_options (five, three, NULL, NULL);
  g_autoptr (GError) path_error = NULL;
  g_autoptr (GError) query_error = NULL;
  g_autoptr (GError) caller_error = NULL;

  g_assert_nonnull (eight);
  g_assert_cmpuint (eight->len, ==, QCOAP_MAX_OPTIONS);
  g_assert_null (dbus_args_build_options (five, four, NULL, &path_error));
  assert_invalid (FALSE, &path_error, "has 9 options; the modem sends at most 8");
  g_assert_null (
      dbus_args_build_options (five, three, (const char *const[]){ "q", NULL }, &query_error));
  assert_invalid (FALSE, &query_error, "has 9 options");
  g_assert_null (dbus_args_build_options (nine, NULL, NULL, &caller_error));
  assert_invalid (FALSE, &caller_error, "has 9 options");
  {
    g_autoptr (GPtrArray) empty = dbus_args_build_options (none, NULL, NULL, NULL);

    g_assert_nonnull (empty);
    g_assert_cmpuint (empty->len, ==, 0);
  }
}

/* An option the modem cannot send, or a segment it cannot carry, fails the
 * whole list. */
static void
test_build_options_refused (void)
{
  static const char *const quoted[] = { "a\"b", NULL };
  g_autoptr (GVariant) unknown = g_variant_ref_sink (
      g_variant_new_parsed ("[(uint16 6, <uint32 0>)]")); /* Observe: the modem only reports it */
  g_autoptr (GVariant) none = caller_options (0);
  g_autoptr (GError) unknown_error = NULL;
  g_autoptr (GError) quoted_error = NULL;

  g_assert_null (dbus_args_build_options (unknown, NULL, NULL, &unknown_error));
  g_assert_error (unknown_error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
  g_assert_null (dbus_args_build_options (none, quoted, NULL, &quoted_error));
  g_assert_error (quoted_error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dbus-args/open/defaults", test_open_defaults);
  g_test_add_func ("/dbus-args/open/every-key", test_open_every_key);
  g_test_add_func ("/dbus-args/open/low-edges-and-repeats", test_open_low_edges_and_repeats);
  g_test_add_func ("/dbus-args/open/refused", test_open_refused);
  g_test_add_func ("/dbus-args/open/copy", test_open_copy);
  g_test_add_func ("/dbus-args/one-shot", test_one_shot);
  g_test_add_func ("/dbus-args/send", test_send_flags);
  g_test_add_func ("/dbus-args/request", test_request_flags);
  g_test_add_func ("/dbus-args/check/message", test_check_message);
  g_test_add_func ("/dbus-args/check/empty-message", test_check_empty_message);
  g_test_add_func ("/dbus-args/check/request", test_check_request);
  g_test_add_func ("/dbus-args/check/uri", test_check_uri);
  g_test_add_func ("/dbus-args/options/built", test_build_options);
  g_test_add_func ("/dbus-args/options/counted", test_build_options_counted);
  g_test_add_func ("/dbus-args/options/refused", test_build_options_refused);
  return g_test_run ();
}
