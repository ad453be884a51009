/* SPDX-License-Identifier: MIT */
/* dbus-args.c — see dbus-args.h. */
#include "dbus-args.h"

#include "at-engine.h"
#include "dtls-psk.h"
#include "heap-trim.h"
#include "qcoap-error.h"
#include "qcoap-options.h"
#include "qcoap-proto.h"

#define DEFAULT_PDP_CONTEXT    1
#define DEFAULT_ACK_TIMEOUT_S  2
#define DEFAULT_MAX_RETRANSMIT 4
#define DEFAULT_IDLE_TIMEOUT_S 300
#define DEFAULT_OPEN_TIMEOUT   75000
#define MAX_IDLE_TIMEOUT_S     (7 * 24 * 3600)
/* No call waits longer than ten minutes for anything. */
#define MAX_TIMEOUT_MS 600000
/* A modem's name or object path is far shorter. */
#define MAX_MODEM_REFERENCE 255
/* The longest uri-path or uri-query that eight options of the longest
 * length, with their separators, can hold: anything longer is refused
 * before it is split. */
#define URI_OPTION_MAX_LENGTH                                                                      \
  MAX (QCOAP_MODEM_URI_PATH_MAX_LENGTH, QCOAP_MODEM_URI_QUERY_MAX_LENGTH)
#define MAX_URI_PART_LENGTH (QCOAP_MAX_OPTIONS * (URI_OPTION_MAX_LENGTH + 1))
/* Request methods: 1 GET … 4 DELETE. */
#define CODE_FIRST_METHOD 1
#define CODE_LAST_METHOD  4
#define NOT_GIVEN         (-1)
/* "coaps://" + a host + ":65535" + each byte of the path and query as %XX. */
#define MAX_URI_LENGTH (16 + QCOAP_MAX_HOST + 3 * 2 * MAX_URI_PART_LENGTH)

/* An argument of more than this many bytes or elements is one no call of
 * the API needs: refusing it is not enough. */
#define HUGE_ARGUMENT 65536
/* How many times, a quarter-second apart, the heap is trimmed after such a
 * call: GDBus lets go of the message a moment later, on its own thread. */
#define TRIM_ROUNDS 20

/* ---- memory ----------------------------------------------------------------------- */

/* GDBus parses a whole message into a tree of values before any handler
 * sees it, some 25 times its size (500 000 options take 190 MB), in the
 * arena of its worker thread. The tree is freed after the refusal, when
 * GDBus lets go of the message (a moment later, on its own thread), but
 * malloc keeps the pages unless told to give them back (heap-trim.h). (The
 * unit's G_SLICE=always-malloc makes GLib 2.74 free the values to malloc at
 * all.) */
static void
trim_heap_later (void)
{
  heap_trim_later (TRIM_ROUNDS);
}

/* ---- the reader ------------------------------------------------------------------- */

/* One key of an a{sv}: the type of its value, the range of a number or the
 * length of a string or byte array, where it goes in the target struct
 * (a guint or int for numbers, a gboolean, a char *, a GBytes *), and
 * optionally a gboolean that records that the key was given. */
typedef struct
{
  const char *key;
  const char *type;
  guint min;
  guint max;
  gsize offset;
  gssize given_offset;
} ArgSpec;

typedef struct
{
  const char *method;
  const char *noun; /* "option" or "flag", as the API calls them */
  const ArgSpec *specs;
  gsize n_specs;
} ArgTable;

static char *
list_keys (const ArgTable *table)
{
  GString *keys = g_string_new (NULL);

  for (gsize i = 0; i < table->n_specs; i++)
    g_string_append_printf (keys, "%s\"%s\"", i > 0 ? ", " : "", table->specs[i].key);
  return g_string_free (keys, FALSE);
}

static const ArgSpec *
find_spec (const ArgTable *table, const char *key, GError **error)
{
  g_autofree char *keys = NULL;

  for (gsize i = 0; i < table->n_specs; i++)
    if (g_str_equal (table->specs[i].key, key))
      return &table->specs[i];
  keys = list_keys (table);
  g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT, "Unknown %s \"%s\"; %s takes %s",
               table->noun, key, table->method, keys);
  return NULL;
}

static guint
value_as_number (GVariant *value)
{
  switch (g_variant_classify (value))
    {
      case G_VARIANT_CLASS_BYTE:
        return g_variant_get_byte (value);
      case G_VARIANT_CLASS_UINT16:
        return g_variant_get_uint16 (value);
      default:
        return g_variant_get_uint32 (value);
    }
}

/* The size that the range of a spec applies to: a number's value, or the
 * length of a string or byte array. */
static gsize
value_measure (GVariant *value)
{
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    return strlen (g_variant_get_string (value, NULL));
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_BYTESTRING))
    return g_variant_get_size (value);
  return value_as_number (value);
}

static gboolean
check_value (const ArgTable *table, const ArgSpec *spec, GVariant *value, GError **error)
{
  gsize measure;

  if (!g_variant_is_of_type (value, G_VARIANT_TYPE (spec->type)))
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                   "The %s \"%s\" of %s must be of type %s, not %s", table->noun, spec->key,
                   table->method, spec->type, g_variant_get_type_string (value));
      return FALSE;
    }
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    return TRUE;
  measure = value_measure (value);
  if (measure >= spec->min && measure <= spec->max)
    return TRUE;
  if (measure > HUGE_ARGUMENT)
    trim_heap_later ();
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING)
      || g_variant_is_of_type (value, G_VARIANT_TYPE_BYTESTRING))
    g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                 "The %s \"%s\" of %s has %zu bytes; it may have %u to %u", table->noun, spec->key,
                 table->method, measure, spec->min, spec->max);
  else
    g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                 "The %s \"%s\" of %s is %zu; it must be between %u and %u", table->noun, spec->key,
                 table->method, measure, spec->min, spec->max);
  return FALSE;
}

/* An a{sv} may repeat a key: the last one counts. */
static void
store_value (const ArgSpec *spec, GVariant *value, gpointer target)
{
  gpointer field = G_STRUCT_MEMBER_P (target, spec->offset);

  if (spec->given_offset >= 0)
    G_STRUCT_MEMBER (gboolean, target, spec->given_offset) = TRUE;
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    *(gboolean *)field = g_variant_get_boolean (value);
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    {
      g_free (*(char **)field);
      *(char **)field = g_variant_dup_string (value, NULL);
    }
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_BYTESTRING))
    {
      g_clear_pointer ((GBytes **)field, g_bytes_unref);
      *(GBytes **)field = g_variant_get_data_as_bytes (value);
    }
  else
    *(guint *)field = value_as_number (value);
}

static gboolean
read_args (const ArgTable *table, GVariant *dict, gpointer target, GError **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *next;

  g_variant_iter_init (&iter, dict);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &next))
    {
      g_autoptr (GVariant) value = next;
      const ArgSpec *spec = find_spec (table, key, error);

      if (spec == NULL || !check_value (table, spec, value, error))
        return FALSE;
      store_value (spec, value, target);
    }
  return TRUE;
}

#define FIELD(type, member) G_STRUCT_OFFSET (type, member)

/* ---- Open ------------------------------------------------------------------------- */

static const ArgSpec open_specs[] = {
  { "client-id", "y", 0, QCOAP_MAX_CLIENTS - 1, FIELD (OpenArgs, client_id), NOT_GIVEN },
  { "pdp-context", "y", 1, 16, FIELD (OpenArgs, pdp_context), NOT_GIVEN },
  { "ack-timeout", "u", 2, 60, FIELD (OpenArgs, ack_timeout), NOT_GIVEN },
  { "max-retransmit", "u", 4, 8, FIELD (OpenArgs, max_retransmit), NOT_GIVEN },
  { "persistent", "b", 0, 0, FIELD (OpenArgs, persistent), NOT_GIVEN },
  { "listen", "b", 0, 0, FIELD (OpenArgs, listen), FIELD (OpenArgs, listen_given) },
  { "idle-timeout", "u", 1, MAX_IDLE_TIMEOUT_S, FIELD (OpenArgs, idle_timeout),
    FIELD (OpenArgs, idle_timeout_given) },
  { "timeout", "u", 1, MAX_TIMEOUT_MS, FIELD (OpenArgs, timeout_ms),
    FIELD (OpenArgs, timeout_given) },
  /* Their contents are checked by dtls_psk_validate(). */
  { "dtls-psk-identity", "s", 0, G_MAXUINT, FIELD (OpenArgs, psk_identity), NOT_GIVEN },
  { "dtls-psk-key", "ay", 0, G_MAXUINT, FIELD (OpenArgs, psk_key), NOT_GIVEN },
  /* Which modems there are is the opener's to check. */
  { "modem", "s", 1, MAX_MODEM_REFERENCE, FIELD (OpenArgs, modem), NOT_GIVEN },
};

static const ArgTable open_table = { "Open", "option", open_specs, G_N_ELEMENTS (open_specs) };

void
open_args_init (OpenArgs *args)
{
  *args = (OpenArgs){
    .client_id = -1,
    .pdp_context = DEFAULT_PDP_CONTEXT,
    .ack_timeout = DEFAULT_ACK_TIMEOUT_S,
    .max_retransmit = DEFAULT_MAX_RETRANSMIT,
    .listen = TRUE,
    .idle_timeout = DEFAULT_IDLE_TIMEOUT_S,
    .timeout_ms = DEFAULT_OPEN_TIMEOUT,
  };
}

void
open_args_clear (OpenArgs *args)
{
  g_clear_pointer (&args->psk_identity, g_free);
  g_clear_pointer (&args->psk_key, g_bytes_unref);
  g_clear_pointer (&args->modem, g_free);
}

void
open_args_copy (OpenArgs *dest, const OpenArgs *src)
{
  *dest = *src;
  dest->psk_identity = g_strdup (src->psk_identity);
  dest->psk_key = src->psk_key ? g_bytes_ref (src->psk_key) : NULL;
  dest->modem = g_strdup (src->modem);
}

gboolean
open_args_parse (OpenArgs *args, GVariant *options, GError **error)
{
  if (!read_args (&open_table, options, args, error))
    return FALSE;
  if ((args->psk_identity == NULL) != (args->psk_key == NULL))
    {
      g_set_error_literal (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                           "DTLS needs both \"dtls-psk-identity\" and \"dtls-psk-key\"");
      return FALSE;
    }
  /* Checked here, before anything reaches the modem. */
  return args->psk_identity == NULL || dtls_psk_validate (args->psk_identity, args->psk_key, error);
}

gboolean
open_args_parse_one_shot (OpenArgs *args, GVariant *flags, GError **error)
{
  if (!open_args_parse (args, flags, error))
    return FALSE;
  if (!args->listen_given)
    {
      args->listen = FALSE;
      args->one_shot = TRUE;
      return TRUE;
    }
  g_set_error_literal (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                       "The flag \"listen\" is for Open: the one-shot Request emits no signals");
  return FALSE;
}

/* ---- Send ------------------------------------------------------------------------- */

static const ArgSpec send_specs[] = {
  { "message-id", "q", 0, G_MAXUINT16, FIELD (SendFlags, message_id), NOT_GIVEN },
  { "token", "ay", 0, QCOAP_MAX_TOKEN, FIELD (SendFlags, token), NOT_GIVEN },
};

static const ArgTable send_table = { "Send", "flag", send_specs, G_N_ELEMENTS (send_specs) };

void
send_flags_clear (SendFlags *flags)
{
  g_clear_pointer (&flags->token, g_bytes_unref);
}

gboolean
send_flags_parse (SendFlags *flags, GVariant *variant, GError **error)
{
  *flags = (SendFlags){ .message_id = -1 };
  return read_args (&send_table, variant, flags, error);
}

/* ---- Request ---------------------------------------------------------------------- */

static const ArgSpec request_specs[] = {
  { "confirmable", "b", 0, 0, FIELD (RequestFlags, confirmable), NOT_GIVEN },
  { "timeout", "u", 0, MAX_TIMEOUT_MS, FIELD (RequestFlags, timeout_ms),
    FIELD (RequestFlags, timeout_given) },
  { "uri-path", "s", 0, MAX_URI_PART_LENGTH, FIELD (RequestFlags, uri_path), NOT_GIVEN },
  { "uri-query", "s", 0, MAX_URI_PART_LENGTH, FIELD (RequestFlags, uri_query), NOT_GIVEN },
};

static const ArgTable request_table
    = { "Request", "flag", request_specs, G_N_ELEMENTS (request_specs) };

void
request_flags_clear (RequestFlags *flags)
{
  g_clear_pointer (&flags->uri_path, g_free);
  g_clear_pointer (&flags->uri_query, g_free);
}

gboolean
request_flags_parse (RequestFlags *flags, GVariant *variant, GError **error)
{
  *flags = (RequestFlags){ .confirmable = TRUE };
  if (!read_args (&request_table, variant, flags, error))
    return FALSE;
  /* A timeout of 0 would fire before anything was sent. */
  if (flags->timeout_given)
    flags->timeout_ms = MAX (flags->timeout_ms, 1);
  return TRUE;
}

/* ---- messages --------------------------------------------------------------------- */

static gboolean
check_code (guint8 code, GError **error)
{
  /* The codes of the modem's code table: it sends no other. */
  if (qcoap_modem_takes_code (code))
    return TRUE;
  g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
               "Code %u (%u.%02u) is not one the modem can send", code, code >> 5, code & 31);
  return FALSE;
}

static gboolean
check_payload (GBytes *payload, GError **error)
{
  if (g_bytes_get_size (payload) <= QCOAP_MAX_PAYLOAD)
    return TRUE;
  g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
               "The payload has %zu bytes; the modem sends at most %d", g_bytes_get_size (payload),
               QCOAP_MAX_PAYLOAD);
  return FALSE;
}

static guint8
child_byte (GVariant *tuple, gsize index)
{
  g_autoptr (GVariant) child = g_variant_get_child_value (tuple, index);

  return g_variant_get_byte (child);
}

void
dbus_args_get_message (GVariant *parameters, guint8 *type, guint8 *code, GVariant **options,
                       GVariant **payload, GVariant **flags)
{
  gsize index = 0;

  if (type != NULL)
    *type = child_byte (parameters, index++);
  *code = child_byte (parameters, index++);
  *options = g_variant_get_child_value (parameters, index++);
  *payload = g_variant_get_child_value (parameters, index++);
  *flags = g_variant_get_child_value (parameters, index);
}

gboolean
dbus_args_check_message (guint8 type, guint8 code, GBytes *payload, GError **error)
{
  if (type > QCOAP_TYPE_RST)
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                   "Message type %u is not one of 0 CON, 1 NON, 2 ACK, 3 RST", type);
      return FALSE;
    }
  return check_code (code, error) && check_payload (payload, error);
}

gboolean
dbus_args_check_empty_message (guint8 code, GPtrArray *options, GBytes *payload, GBytes *token,
                               GError **error)
{
  if (code != QCOAP_CODE_EMPTY
      || (options->len == 0 && g_bytes_get_size (payload) == 0
          && (token == NULL || g_bytes_get_size (token) == 0)))
    return TRUE;
  g_set_error_literal (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                       "An empty message (code 0) carries no token, options or payload");
  return FALSE;
}

gboolean
dbus_args_check_uri (const char *uri, GError **error)
{
  gsize length = strlen (uri);

  if (length <= MAX_URI_LENGTH)
    return TRUE;
  if (length > HUGE_ARGUMENT)
    trim_heap_later ();
  g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
               "The URI has %zu bytes; a request the modem can send fits in %d", length,
               MAX_URI_LENGTH);
  return FALSE;
}

gboolean
dbus_args_check_request (guint8 code, GBytes *payload, GError **error)
{
  if (code < CODE_FIRST_METHOD || code > CODE_LAST_METHOD)
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                   "Code %u is not a request method (1 GET, 2 POST, 3 PUT, 4 DELETE)", code);
      return FALSE;
    }
  return check_payload (payload, error);
}

/* ---- options ---------------------------------------------------------------------- */

static gboolean
check_option_count (gsize count, GError **error)
{
  if (count <= QCOAP_MAX_OPTIONS)
    return TRUE;
  if (count > HUGE_ARGUMENT / 8)
    trim_heap_later ();
  g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
               "The request has %zu options; the modem sends at most %d", count, QCOAP_MAX_OPTIONS);
  return FALSE;
}

GPtrArray *
dbus_args_build_options (GVariant *options, const char *const *path, const char *const *query,
                         GError **error)
{
  gsize count = g_variant_n_children (options);
  g_autoptr (GPtrArray) list = NULL;

  count += path ? g_strv_length ((char **)path) : 0;
  count += query ? g_strv_length ((char **)query) : 0;
  if (!check_option_count (count, error))
    return NULL;
  list = at_coap_option_list_from_variant (options, error);
  if (list == NULL)
    return NULL;
  if ((path && !at_coap_option_list_add_strings (list, QCOAP_OPTION_URI_PATH, path, error))
      || (query && !at_coap_option_list_add_strings (list, QCOAP_OPTION_URI_QUERY, query, error)))
    return NULL;
  return g_steal_pointer (&list);
}

/* ---- errors ----------------------------------------------------------------------- */

static QcoapError
contract_code (const GError *error)
{
  if (error->domain == QCOAP_ERROR)
    return (QcoapError)error->code;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return QCOAP_ERROR_CLOSED;
  if (error->domain != AT_ERROR)
    return QCOAP_ERROR_MODEM_ERROR;
  switch ((AtError)error->code)
    {
      case AT_ERROR_TIMEOUT:
        return QCOAP_ERROR_TIMEOUT;
      case AT_ERROR_PORT_LOST:
        return QCOAP_ERROR_MODEM_UNAVAILABLE;
      case AT_ERROR_MODEM:
      default:
        return QCOAP_ERROR_MODEM_ERROR;
    }
}

void
dbus_args_return_error (GDBusMethodInvocation *invocation, const GError *error)
{
  QcoapError code = contract_code (error);

  if (error->domain == QCOAP_ERROR)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_dbus_method_invocation_return_error_literal (
        invocation, QCOAP_ERROR, code, "The session was closed before the modem took the message");
  else if (g_error_matches (error, AT_ERROR, AT_ERROR_TIMEOUT))
    g_dbus_method_invocation_return_error (invocation, QCOAP_ERROR, code, "AT command timeout: %s",
                                           error->message);
  else
    g_dbus_method_invocation_return_error (invocation, QCOAP_ERROR, code, "%s", error->message);
}
