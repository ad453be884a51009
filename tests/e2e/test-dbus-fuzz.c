/* SPDX-License-Identifier: MIT */
/* test-dbus-fuzz.c — random calls to every method of the D-Bus contract.
 *
 * Each method gets a few hundred calls with arguments drawn from a seeded
 * generator: well-typed calls with random values (hosts, ports, URIs, a{sv}
 * with known and unknown keys and any value types, a(qv) with any numbers and
 * value types, payloads up to 1100 bytes) and ill-typed calls whose signature
 * is wrong. Calls go out in small concurrent batches. Every reply must be a
 * success of the right type or an error the contract names for that method
 * (org.freedesktop.DBus.Error.InvalidArgs for a wrong signature, which GDBus
 * sends by itself); every call must get a reply, but for the calls of a
 * batch that carried a value GDBus cannot read (the daemon then loses its
 * bus connection, connects again and keeps its sessions: the fuzzer's own
 * session must still be there); the daemon must still be
 * ready at the end, with all six client IDs free once the fuzzer has closed
 * what it opened.
 *
 * The seed is printed; QCOAPD_DBUS_FUZZ_SEED repeats a run,
 * QCOAPD_DBUS_FUZZ_CALLS changes the number of calls per method and
 * QCOAPD_DBUS_FUZZ_MIN_OPEN_TIMEOUT the shortest Open timeout (default 1 ms).
 *
 * Hosts are only 127.0.0.1, "localhost" or names under .invalid (or strings
 * the contract rejects), so nothing ever leaves the machine. */
#include <string.h>

#include "e2e-env.h"
#include "e2e-session.h"

#define SERVICE_NAME      "org.qcoapd.CoAP1"
#define MANAGER_PATH      "/org/qcoapd/CoAP1"
#define MANAGER_INTERFACE "org.qcoapd.CoAP1"
#define SESSION_INTERFACE "org.qcoapd.CoAP1.Session"
#define SESSION_PATH_BASE "/org/qcoapd/CoAP1/Session/"
#define ERROR_PREFIX      "org.qcoapd.CoAP1.Error."
#define INVALID_ARGS      "org.freedesktop.DBus.Error.InvalidArgs"
#define DEFAULT_SEED      20240611u
#define DEFAULT_CALLS     500
#define CALL_TIMEOUT_MS   30000
#define MAX_BATCH         8
/* Timeouts the fuzzer asks for stay short, so that a request to a port where
 * nothing answers cannot hold the run up. */
#define MAX_REQUEST_TIMEOUT_MS 1500

static E2eEnv *env;
static guint32 base_seed;
static guint calls_per_method;
/* The shortest "timeout" given to anything that opens a session: down to
 * 1 ms, so Open also gives up while the modem is still opening. */
static guint min_open_timeout_ms;

/* ---- the contract ------------------------------------------------------------------- */

typedef enum
{
  METHOD_OPEN,
  METHOD_MANAGER_REQUEST,
  METHOD_SEND,
  METHOD_SESSION_REQUEST,
  METHOD_CLOSE,
  METHOD_LISTEN,
  METHOD_UNLISTEN,
} Method;

typedef struct
{
  const char *label;
  const char *interface;
  const char *member;
  const char *in_signature;
  const char *out_signature;
  const char *const *errors; /* without ERROR_PREFIX */
} MethodInfo;

static const char *const open_errors[]
    = { "InvalidArgument", "NoFreeClient",   "ClientBusy", "ModemUnavailable",
        "Timeout",         "NetworkFailure", "DnsError",   "SocketFailure",
        "DtlsHandshake",   "ModemError",     NULL };
/* "Those of Open and of Session.Request". */
static const char *const manager_request_errors[]
    = { "InvalidArgument", "NoFreeClient",   "ClientBusy",   "ModemUnavailable",
        "Timeout",         "NetworkFailure", "DnsError",     "SocketFailure",
        "DtlsHandshake",   "ModemError",     "AccessDenied", "QueueFull",
        "Closed",          "Reset",          "SendFailed",   NULL };
static const char *const send_errors[]
    = { "InvalidArgument", "AccessDenied", "ModemUnavailable", "QueueFull", "Closed",
        "Timeout",         "SendFailed",   "ModemError",       NULL };
static const char *const session_request_errors[]
    = { "InvalidArgument", "AccessDenied", "ModemUnavailable", "QueueFull",  "Closed",
        "Timeout",         "Reset",        "SendFailed",       "ModemError", NULL };
static const char *const close_errors[]
    = { "AccessDenied", "ModemUnavailable", "Timeout", "ModemError", NULL };
static const char *const listen_errors[] = { "AccessDenied", NULL };

static const MethodInfo methods[] = {
  [METHOD_OPEN] = { "Open", MANAGER_INTERFACE, "Open", "(sqa{sv})", "(o)", open_errors },
  [METHOD_MANAGER_REQUEST] = { "CoAP1.Request", MANAGER_INTERFACE, "Request", "(sya(qv)aya{sv})",
                               "(ya(qv)ay)", manager_request_errors },
  [METHOD_SEND] = { "Send", SESSION_INTERFACE, "Send", "(yya(qv)aya{sv})", "(qay)", send_errors },
  [METHOD_SESSION_REQUEST] = { "Session.Request", SESSION_INTERFACE, "Request", "(ya(qv)aya{sv})",
                               "(ya(qv)ay)", session_request_errors },
  [METHOD_CLOSE] = { "Close", SESSION_INTERFACE, "Close", "()", "()", close_errors },
  [METHOD_LISTEN] = { "Listen", SESSION_INTERFACE, "Listen", "()", "()", listen_errors },
  [METHOD_UNLISTEN] = { "Unlisten", SESSION_INTERFACE, "Unlisten", "()", "()", listen_errors },
};

typedef enum
{
  FORMAT_STRING,
  FORMAT_UINT,
  FORMAT_OPAQUE,
  FORMAT_EMPTY,
} OptionFormat;

/* The contract's option numbers and value formats. */
static const struct
{
  guint16 number;
  OptionFormat format;
} known_options[] = {
  { 1, FORMAT_OPAQUE },  { 3, FORMAT_STRING },  { 4, FORMAT_OPAQUE },  { 5, FORMAT_EMPTY },
  { 7, FORMAT_UINT },    { 8, FORMAT_STRING },  { 11, FORMAT_STRING }, { 12, FORMAT_UINT },
  { 14, FORMAT_UINT },   { 15, FORMAT_STRING }, { 17, FORMAT_UINT },   { 20, FORMAT_STRING },
  { 35, FORMAT_STRING }, { 39, FORMAT_STRING }, { 60, FORMAT_UINT },
};

/* ---- the fuzzer's state -------------------------------------------------------------- */

typedef struct
{
  GRand *rand;
  GDBusConnection *connection;
  char *session_path;   /* the session that Send, Request and Close are fuzzed on */
  GPtrArray *opened;    /* paths returned by fuzzed calls, closed after each batch */
  GHashTable *outcomes; /* "method: outcome" → count */
  guint pending;
  char *failure;           /* the first reply that broke the contract */
  GPtrArray *batch;        /* the calls of the current batch, as text */
  gboolean session_closed; /* a fuzzed Close succeeded on session_path */
  /* Per call: wild calls take values from anywhere, tame ones only values
   * the contract accepts, so that half the calls get past the checks and
   * reach the modem. */
  gboolean wild;
  /* The daemon's unique name when the batch started: if it changed, the
   * daemon lost its bus connection during the batch (some values GDBus
   * cannot read), and calls in flight then may have been lost with it. */
  char *owner;
  guint lost_calls; /* of this batch, with a loss-like error */
  char *lost_example;
} Fuzzer;

typedef struct
{
  Fuzzer *fuzzer;
  Method method;
  gboolean well_typed;
  /* Sent after a Close of the same session in the same batch: the session
   * may be closing or already gone from the bus. */
  gboolean after_close;
  char *path;
  char *arguments;
} Call;

static guint32
test_seed (guint32 salt)
{
  return base_seed ^ (salt * 2654435761u);
}

static Fuzzer *
fuzzer_new (guint32 salt)
{
  Fuzzer *fuzzer = g_new0 (Fuzzer, 1);

  g_test_message ("seed %u, test seed %u (set QCOAPD_DBUS_FUZZ_SEED=%u to repeat the run)",
                  base_seed, test_seed (salt), base_seed);
  fuzzer->rand = g_rand_new_with_seed (test_seed (salt));
  fuzzer->connection = e2e_env_connect (env);
  fuzzer->opened = g_ptr_array_new_with_free_func (g_free);
  fuzzer->outcomes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  fuzzer->batch = g_ptr_array_new_with_free_func (g_free);
  fuzzer->owner = e2e_env_name_owner (env);
  return fuzzer;
}

static void
fuzzer_free (Fuzzer *fuzzer)
{
  g_rand_free (fuzzer->rand);
  g_dbus_connection_close_sync (fuzzer->connection, NULL, NULL);
  g_object_unref (fuzzer->connection);
  g_free (fuzzer->session_path);
  g_ptr_array_unref (fuzzer->opened);
  g_hash_table_unref (fuzzer->outcomes);
  g_free (fuzzer->failure);
  g_ptr_array_unref (fuzzer->batch);
  g_free (fuzzer->owner);
  g_free (fuzzer->lost_example);
  g_free (fuzzer);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fuzzer, fuzzer_free)

/* ---- random values ---------------------------------------------------------------------- */

static guint
pick (Fuzzer *fuzzer, guint n)
{
  return (guint)g_rand_int_range (fuzzer->rand, 0, (gint32)n);
}

static gboolean
chance (Fuzzer *fuzzer, guint percent)
{
  return pick (fuzzer, 100) < percent;
}

/* A chance of breaking a rule of the contract, in wild calls only. */
static gboolean
wild_chance (Fuzzer *fuzzer, guint percent)
{
  return fuzzer->wild && chance (fuzzer, percent);
}

/* Mostly short, sometimes up to @max: short values reach the checks behind
 * the length limits, long ones test the limits. */
static guint
random_length (Fuzzer *fuzzer, guint max)
{
  if (chance (fuzzer, 70))
    return pick (fuzzer, MIN (max, 16) + 1);
  return pick (fuzzer, max + 1);
}

/* A value near the interesting points of [min, max]: the bounds, one
 * beyond them, or anything. */
static guint32
random_uint_around (Fuzzer *fuzzer, guint32 min, guint32 max)
{
  switch (pick (fuzzer, 6))
    {
      case 0:
        return min;
      case 1:
        return max;
      case 2:
        return min > 0 ? min - 1 : 0;
      case 3:
        return max < G_MAXUINT32 ? max + 1 : max;
      case 4:
        return g_rand_int (fuzzer->rand);
      default:
        return min + (guint32)g_rand_double_range (fuzzer->rand, 0, (double)(max - min) + 1);
    }
}

/* One character that tends to break parsers: quotes, separators, control
 * characters, percent signs, multi-byte UTF-8. Never NUL, which a D-Bus
 * string cannot hold. */
static void
append_random_char (Fuzzer *fuzzer, GString *text)
{
  static const char *const specials[] = { "\"",   "\\", ",",  ";",  "%",           "%2F",  "%zz",
                                          "/",    "?",  "&",  "=",  ":",           "[",    "]",
                                          "#",    " ",  "\r", "\n", "\t",          "\x1a", "\x1b",
                                          "\x7f", "é",  "中", "😀",  "\xef\xbf\xbd" };

  switch (pick (fuzzer, 4))
    {
      case 0:
        g_string_append (text, specials[pick (fuzzer, G_N_ELEMENTS (specials))]);
        break;
      case 1:
        g_string_append_c (text, (char)(1 + pick (fuzzer, 0x7f)));
        break;
      default:
        g_string_append_c (text, "abcdefghijklmnopqrstuvwxyz0123456789-._~"[pick (fuzzer, 40)]);
        break;
    }
}

/* Text of at most @max_length bytes; tame text is short and plain. */
static char *
random_text (Fuzzer *fuzzer, guint max_length)
{
  GString *text = g_string_new (NULL);
  guint length = random_length (fuzzer, fuzzer->wild ? max_length : MIN (max_length, 20));

  while (text->len < length)
    {
      if (fuzzer->wild)
        append_random_char (fuzzer, text);
      else
        g_string_append_c (text, "abcdefghijklmnopqrstuvwxyzABC0123456789-._~"[pick (fuzzer, 43)]);
    }
  return g_string_free (text, FALSE);
}

/* A name that no resolver can turn into an address. */
static char *
random_invalid_name (Fuzzer *fuzzer)
{
  g_autofree char *label = random_text (fuzzer, 40);

  return g_strdup_printf ("%s.invalid", label);
}

/* Hosts: the loopback address, localhost, a name under .invalid, or
 * something the contract rejects (empty, too long, a quote, a control
 * character). */
static char *
random_host (Fuzzer *fuzzer)
{
  switch (pick (fuzzer, fuzzer->wild ? 8 : 5))
    {
      case 0:
      case 1:
      case 2:
        return g_strdup ("127.0.0.1");
      case 3:
        return g_strdup ("localhost");
      case 4:
        return random_invalid_name (fuzzer);
      case 5:
        return g_strdup ("");
      case 6:
        {
          g_autofree char *padding = g_strnfill (250 + pick (fuzzer, 20), 'x');

          return g_strdup_printf ("%s.invalid", padding);
        }
      default:
        {
          g_autofree char *name = random_invalid_name (fuzzer);
          static const char *const forbidden[] = { "\"", "\r", "\n", "\x01", "\x7f" };

          return g_strdup_printf ("%s%s", forbidden[pick (fuzzer, G_N_ELEMENTS (forbidden))], name);
        }
    }
}

static guint16
random_port (Fuzzer *fuzzer)
{
  if (!fuzzer->wild)
    return chance (fuzzer, 70) ? env->coap_port : (guint16)(1 + pick (fuzzer, G_MAXUINT16));
  switch (pick (fuzzer, 8))
    {
      case 0:
      case 1:
      case 2:
        return env->coap_port;
      case 3:
        return env->silent_port;
      case 4:
        return 0;
      case 5:
        return G_MAXUINT16;
      default:
        return (guint16)(1 + pick (fuzzer, G_MAXUINT16));
    }
}

static GVariant *
random_bytes (Fuzzer *fuzzer, guint length)
{
  g_autofree guint8 *data = g_malloc (MAX (length, 1));

  for (guint i = 0; i < length; i++)
    data[i] = (guint8)pick (fuzzer, 256);
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, length, 1);
}

static GVariant *
random_payload (Fuzzer *fuzzer)
{
  switch (pick (fuzzer, 5))
    {
      case 0:
      case 1:
        return random_bytes (fuzzer, pick (fuzzer, 65));
      case 2:
      case 3:
        return random_bytes (fuzzer, pick (fuzzer, 1025));
      default:
        return random_bytes (fuzzer, fuzzer->wild ? 1000 + pick (fuzzer, 101) : 1024);
    }
}

/* ---- values of any D-Bus type ------------------------------------------------------------ */

/* Signatures ('g') also inside containers: GLib's GDBus cannot decode some
 * arrays of structs holding signatures that it encodes itself (e.g. (a(g)s)
 * ([('yyyyy',), ('y',)], 'x')) and drops the receiving connection when that
 * happens. The daemon then connects again and keeps its sessions; the calls
 * of that batch may be lost (see wait_for_replies()). */
static const char basic_types[] = "ybnqiuxtdso";

static void
append_random_type (Fuzzer *fuzzer, GString *type, guint depth)
{
  guint kind = depth >= 2 ? 0 : pick (fuzzer, 8);

  if (chance (fuzzer, 5))
    {
      g_string_append_c (type, 'g');
      return;
    }
  switch (kind)
    {
      case 4:
        g_string_append_c (type, 'a');
        append_random_type (fuzzer, type, depth + 1);
        break;
      case 5:
        g_string_append (type, "a{");
        g_string_append_c (type, basic_types[pick (fuzzer, strlen (basic_types))]);
        append_random_type (fuzzer, type, depth + 1);
        g_string_append_c (type, '}');
        break;
      case 6:
        {
          guint n = 1 + pick (fuzzer, 3);

          g_string_append_c (type, '(');
          for (guint i = 0; i < n; i++)
            append_random_type (fuzzer, type, depth + 1);
          g_string_append_c (type, ')');
        }
        break;
      case 7:
        g_string_append_c (type, 'v');
        break;
      default:
        g_string_append_c (type, basic_types[pick (fuzzer, strlen (basic_types))]);
        break;
    }
}

static char *
random_type_string (Fuzzer *fuzzer)
{
  GString *type = g_string_new (NULL);

  append_random_type (fuzzer, type, 0);
  return g_string_free (type, FALSE);
}

static GVariant *random_value_of_type (Fuzzer *fuzzer, const GVariantType *type, guint depth);

static GVariant *
random_object_path (Fuzzer *fuzzer)
{
  g_autoptr (GString) path = g_string_new (NULL);
  guint segments = pick (fuzzer, 4);

  for (guint i = 0; i < segments; i++)
    g_string_append_printf (path, "/%c%u", "abcSx_"[pick (fuzzer, 6)], pick (fuzzer, 100));
  return g_variant_new_object_path (path->len ? path->str : "/");
}

static GVariant *
random_basic_value (Fuzzer *fuzzer, char type)
{
  switch (type)
    {
      case 'y':
        return g_variant_new_byte ((guint8)pick (fuzzer, 256));
      case 'b':
        return g_variant_new_boolean (chance (fuzzer, 50));
      case 'n':
        return g_variant_new_int16 ((gint16)g_rand_int (fuzzer->rand));
      case 'q':
        return g_variant_new_uint16 ((guint16)g_rand_int (fuzzer->rand));
      case 'i':
        return g_variant_new_int32 ((gint32)g_rand_int (fuzzer->rand));
      case 'u':
        return g_variant_new_uint32 (random_uint_around (fuzzer, 0, 100000));
      case 'x':
        return g_variant_new_int64 ((gint64)g_rand_int (fuzzer->rand) << 20);
      case 't':
        return g_variant_new_uint64 ((guint64)g_rand_int (fuzzer->rand) << 24);
      case 'd':
        return g_variant_new_double (g_rand_double_range (fuzzer->rand, -1e9, 1e9));
      case 'o':
        return random_object_path (fuzzer);
      case 'g':
        {
          g_autofree char *signature = random_type_string (fuzzer);

          return g_variant_new_signature (signature);
        }
      default:
        {
          g_autofree char *text = random_text (fuzzer, 300);

          return g_variant_new_string (text);
        }
    }
}

static GVariant *
random_array (Fuzzer *fuzzer, const GVariantType *type, guint depth)
{
  const GVariantType *element = g_variant_type_element (type);
  GVariantBuilder builder;
  guint n = pick (fuzzer, 4);

  if (g_variant_type_equal (element, G_VARIANT_TYPE_BYTE))
    return random_bytes (fuzzer, random_length (fuzzer, 64));
  g_variant_builder_init (&builder, type);
  for (guint i = 0; i < n; i++)
    g_variant_builder_add_value (&builder, random_value_of_type (fuzzer, element, depth + 1));
  return g_variant_builder_end (&builder);
}

static GVariant *
random_value_of_type (Fuzzer *fuzzer, const GVariantType *type, guint depth)
{
  if (g_variant_type_is_basic (type))
    return random_basic_value (fuzzer, *g_variant_type_peek_string (type));
  if (g_variant_type_is_variant (type))
    {
      g_autofree char *inner = depth >= 2 ? g_strdup ("s") : random_type_string (fuzzer);

      return g_variant_new_variant (
          random_value_of_type (fuzzer, G_VARIANT_TYPE (inner), depth + 1));
    }
  if (g_variant_type_is_array (type))
    return random_array (fuzzer, type, depth);
  if (g_variant_type_is_dict_entry (type))
    {
      const GVariantType *key = g_variant_type_key (type);

      return g_variant_new_dict_entry (
          random_value_of_type (fuzzer, key, depth + 1),
          random_value_of_type (fuzzer, g_variant_type_value (type), depth + 1));
    }
  /* A tuple. */
  {
    GVariantBuilder builder;

    g_variant_builder_init (&builder, type);
    for (const GVariantType *item = g_variant_type_first (type); item != NULL;
         item = g_variant_type_next (item))
      g_variant_builder_add_value (&builder, random_value_of_type (fuzzer, item, depth + 1));
    return g_variant_builder_end (&builder);
  }
}

static GVariant *
random_value (Fuzzer *fuzzer)
{
  g_autofree char *type = random_type_string (fuzzer);

  return random_value_of_type (fuzzer, G_VARIANT_TYPE (type), 0);
}

/* ---- a(qv) ------------------------------------------------------------------------------- */

static guint16
random_option_number (Fuzzer *fuzzer)
{
  static const guint16 near_known[] = { 0, 2, 6, 9, 10, 13, 16, 21, 258, 2048, 65535 };

  if (!wild_chance (fuzzer, 25))
    return known_options[pick (fuzzer, G_N_ELEMENTS (known_options))].number;
  if (chance (fuzzer, 50))
    return near_known[pick (fuzzer, G_N_ELEMENTS (near_known))];
  return (guint16)g_rand_int (fuzzer->rand);
}

/* A value of the option's own format (tame: of a length the option allows),
 * or of any type. */
static GVariant *
random_option_value (Fuzzer *fuzzer, guint16 number)
{
  for (gsize i = 0; i < G_N_ELEMENTS (known_options) && !wild_chance (fuzzer, 10); i++)
    {
      if (known_options[i].number != number)
        continue;
      switch (known_options[i].format)
        {
          case FORMAT_STRING:
            {
              g_autofree char *text = random_text (fuzzer, chance (fuzzer, 90) ? 260 : 1100);

              /* Uri-Host and the proxy options need at least one byte. */
              if (!fuzzer->wild && *text == '\0')
                return g_variant_new_string ("x");
              return g_variant_new_string (text);
            }
          case FORMAT_UINT:
            if (!fuzzer->wild)
              return g_variant_new_uint32 (pick (fuzzer, 65536));
            return g_variant_new_uint32 (chance (fuzzer, 50) ? pick (fuzzer, 70000)
                                                             : g_rand_int (fuzzer->rand));
          case FORMAT_OPAQUE:
            return random_bytes (fuzzer, fuzzer->wild ? pick (fuzzer, 11) : 1 + pick (fuzzer, 8));
          case FORMAT_EMPTY:
            return random_bytes (fuzzer, !wild_chance (fuzzer, 20) ? 0 : 1 + pick (fuzzer, 3));
        }
    }
  return random_value (fuzzer);
}

static GVariant *
random_options (Fuzzer *fuzzer)
{
  GVariantBuilder builder;
  guint n = !wild_chance (fuzzer, 20) ? pick (fuzzer, 4) : pick (fuzzer, 11);

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(qv)"));
  for (guint i = 0; i < n; i++)
    {
      guint16 number = random_option_number (fuzzer);

      g_variant_builder_add (&builder, "(qv)", number, random_option_value (fuzzer, number));
    }
  return g_variant_builder_end (&builder);
}

/* ---- a{sv} ------------------------------------------------------------------------------ */

typedef struct
{
  const char *key;
  const char *type;
  guint32 min;
  guint32 max;
} KnownKey;

/* Open's keys (Request on the manager takes them too); "timeout" is
 * generated separately so that it stays short. */
static const KnownKey open_keys[] = {
  { "client-id", "y", 0, 5 },
  { "pdp-context", "y", 1, 16 },
  { "ack-timeout", "u", 2, 60 },
  { "max-retransmit", "u", 4, 8 },
  { "dtls-psk-identity", "s", 0, 0 },
  { "dtls-psk-key", "ay", 0, 0 },
  { "persistent", "b", 0, 0 },
  { "idle-timeout", "u", 1, 600 },
  { "listen", "b", 0, 0 },
};
static const KnownKey send_keys[] = {
  { "message-id", "q", 0, 65535 },
  { "token", "ay", 0, 8 },
};
static const KnownKey session_request_keys[] = {
  { "confirmable", "b", 0, 0 },
  { "uri-path", "s", 0, 0 },
  { "uri-query", "s", 0, 0 },
};

/* A number of [min, max] when tame, near its bounds or anything when wild. */
static guint32
random_setting_number (Fuzzer *fuzzer, const KnownKey *known)
{
  if (!fuzzer->wild)
    return known->min + pick (fuzzer, known->max - known->min + 1);
  return random_uint_around (fuzzer, known->min, known->max);
}

static GVariant *
random_known_value (Fuzzer *fuzzer, const KnownKey *known)
{
  if (wild_chance (fuzzer, 15))
    return random_value (fuzzer);
  switch (known->type[0])
    {
      case 'y':
        return g_variant_new_byte ((guint8)MIN (random_setting_number (fuzzer, known), G_MAXUINT8));
      case 'q':
        return g_variant_new_uint16 ((guint16)random_setting_number (fuzzer, known));
      case 'u':
        return g_variant_new_uint32 (random_setting_number (fuzzer, known));
      case 'b':
        return g_variant_new_boolean (chance (fuzzer, 50));
      case 's':
        {
          g_autofree char *text = random_text (fuzzer, 300);

          return g_variant_new_string (text);
        }
      default:
        if (!fuzzer->wild)
          return random_bytes (fuzzer, pick (fuzzer, known->max ? known->max + 1 : 40));
        return random_bytes (fuzzer, pick (fuzzer, known->max ? known->max + 3 : 40));
    }
}

/* A "timeout" of at least @min ms, or (wild) 0 or of a wrong type. */
static GVariant *
random_timeout_value (Fuzzer *fuzzer, guint min)
{
  if (wild_chance (fuzzer, 5))
    return g_variant_new_uint32 (0);
  if (wild_chance (fuzzer, 5))
    return chance (fuzzer, 50) ? g_variant_new_int32 (500) : g_variant_new_string ("500");
  /* Past the Open's minimum, a request to a port where nothing answers
   * only needs to wait a little. */
  return g_variant_new_uint32 (min + pick (fuzzer, min > 1 ? 300 : MAX_REQUEST_TIMEOUT_MS));
}

/* Known keys with random values, unknown keys, and a short "timeout" of at
 * least @timeout_min ms unless that is 0. Keys may repeat, which an a{sv} on the bus allows. */
/* Values GDBus writes but cannot read back, whatever surrounds them (see
 * append_random_type()): the receiving connection closes. */
static GVariant *
unreadable_value (Fuzzer *fuzzer)
{
  static const char *const texts[] = {
    "[(signature 'yyyyy',), (signature 'y',)]",
    "[([byte 1, 2, 3, 4],), (@ay [],)]",
    "[(<uint32 1>,), (<byte 2>,)]",
  };

  return g_variant_parse (NULL, texts[pick (fuzzer, G_N_ELEMENTS (texts))], NULL, NULL, NULL);
}

static GVariant *
random_dict (Fuzzer *fuzzer, const KnownKey *keys, gsize n_keys, guint timeout_min)
{
  static const char *const unknown[]
      = { "", "Timeout", "client_id", "dtls", "payload", "uri", "persistent ", "token\n" };
  GVariantBuilder builder;
  guint n = pick (fuzzer, 5);

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  if (timeout_min > 0)
    g_variant_builder_add (&builder, "{sv}", "timeout", random_timeout_value (fuzzer, timeout_min));
  for (guint i = 0; i < n; i++)
    {
      if (!wild_chance (fuzzer, 25))
        {
          const KnownKey *known = &keys[pick (fuzzer, n_keys)];

          /* Half a DTLS key pair is refused, and so is a whole one for now. */
          if (!fuzzer->wild && g_str_has_prefix (known->key, "dtls-"))
            continue;
          g_variant_builder_add (&builder, "{sv}", known->key, random_known_value (fuzzer, known));
        }
      else if (chance (fuzzer, 4))
        {
          /* A parsed value is not floating: the builder takes a reference. */
          g_autoptr (GVariant) value = unreadable_value (fuzzer);

          g_variant_builder_add (&builder, "{sv}", unknown[pick (fuzzer, G_N_ELEMENTS (unknown))],
                                 value);
        }
      else if (chance (fuzzer, 50))
        g_variant_builder_add (&builder, "{sv}", unknown[pick (fuzzer, G_N_ELEMENTS (unknown))],
                               random_value (fuzzer));
      else
        {
          g_autofree char *key = random_text (fuzzer, 20);

          g_variant_builder_add (&builder, "{sv}", key, random_value (fuzzer));
        }
    }
  return g_variant_builder_end (&builder);
}

/* ---- URIs ------------------------------------------------------------------------------- */

static char *
random_uri (Fuzzer *fuzzer)
{
  static const char *const schemes[]
      = { "coap://", "coap://", "coap://", "coaps://", "COAP://", "http://", "coap:/", "" };
  g_autoptr (GString) uri
      = g_string_new (fuzzer->wild ? schemes[pick (fuzzer, G_N_ELEMENTS (schemes))] : "coap://");
  guint segments = pick (fuzzer, 5);

  switch (pick (fuzzer, fuzzer->wild ? 6 : 5))
    {
      case 0:
      case 1:
      case 2:
        g_string_append (uri, "127.0.0.1");
        break;
      case 3:
        g_string_append (uri, "localhost");
        break;
      case 4:
        {
          g_autofree char *name = random_invalid_name (fuzzer);

          g_string_append (uri, name);
        }
        break;
      default:
        g_string_append (uri, chance (fuzzer, 50) ? "" : "[::");
        break;
    }
  switch (fuzzer->wild ? pick (fuzzer, 6) : 2 + 2 * pick (fuzzer, 2))
    {
      case 0:
        break;
      case 1:
        g_string_append (uri, ":");
        break;
      case 2:
        g_string_append_printf (uri, ":%u", random_port (fuzzer));
        break;
      case 3:
        g_string_append (uri, chance (fuzzer, 50) ? ":65536" : ":12a");
        break;
      default:
        g_string_append_printf (uri, ":%u", env->coap_port);
        break;
    }
  for (guint i = 0; i < segments; i++)
    {
      g_autofree char *segment = random_text (fuzzer, chance (fuzzer, 95) ? 20 : 300);

      g_string_append_printf (uri, "/%s", segment);
    }
  if (chance (fuzzer, 40))
    {
      g_autofree char *query = random_text (fuzzer, 40);

      g_string_append_printf (uri, "?%s", query);
    }
  if (wild_chance (fuzzer, 5))
    g_string_append (uri, "#fragment");
  return g_string_free (g_steal_pointer (&uri), FALSE);
}

/* ---- well-typed and ill-typed arguments ------------------------------------------------- */

static guint8
random_code (Fuzzer *fuzzer)
{
  static const guint8 codes[] = { 0, 1, 2, 3, 4, 5, 31, 65, 69, 132, 160, 255 };

  if (!wild_chance (fuzzer, 30))
    return (guint8)(1 + pick (fuzzer, 4));
  return codes[pick (fuzzer, G_N_ELEMENTS (codes))];
}

static GVariant *
well_typed_arguments (Fuzzer *fuzzer, Method method)
{
  switch (method)
    {
      case METHOD_OPEN:
        {
          g_autofree char *host = random_host (fuzzer);

          return g_variant_new ("(sq@a{sv})", host, random_port (fuzzer),
                                random_dict (fuzzer, open_keys, G_N_ELEMENTS (open_keys),
                                             chance (fuzzer, 30) ? min_open_timeout_ms : 0));
        }
      case METHOD_MANAGER_REQUEST:
        {
          g_autofree char *uri = random_uri (fuzzer);

          return g_variant_new (
              "(sy@a(qv)@ay@a{sv})", uri, random_code (fuzzer), random_options (fuzzer),
              random_payload (fuzzer),
              random_dict (fuzzer, open_keys, G_N_ELEMENTS (open_keys), min_open_timeout_ms));
        }
      case METHOD_SEND:
        return g_variant_new (
            "(yy@a(qv)@ay@a{sv})",
            (guint8)(!wild_chance (fuzzer, 15) ? pick (fuzzer, 4) : pick (fuzzer, 256)),
            random_code (fuzzer), random_options (fuzzer), random_payload (fuzzer),
            random_dict (fuzzer, send_keys, G_N_ELEMENTS (send_keys), 0));
      case METHOD_SESSION_REQUEST:
        return g_variant_new (
            "(y@a(qv)@ay@a{sv})", random_code (fuzzer), random_options (fuzzer),
            random_payload (fuzzer),
            random_dict (fuzzer, session_request_keys, G_N_ELEMENTS (session_request_keys), 1));
      case METHOD_CLOSE:
      default:
        return g_variant_new ("()");
    }
}

/* The right arguments with one dropped, one added or one replaced by a value
 * of another type, or a tuple of anything; never the method's signature. */
static GVariant *
ill_typed_arguments (Fuzzer *fuzzer, Method method)
{
  const GVariantType *expected = G_VARIANT_TYPE (methods[method].in_signature);

  while (TRUE)
    {
      g_autoptr (GVariant) right = g_variant_ref_sink (well_typed_arguments (fuzzer, method));
      gsize n = g_variant_n_children (right);
      g_autoptr (GPtrArray) items
          = g_ptr_array_new_with_free_func ((GDestroyNotify)g_variant_unref);
      GVariant *result;

      for (gsize i = 0; i < n; i++)
        g_ptr_array_add (items, g_variant_get_child_value (right, i));
      switch (pick (fuzzer, 4))
        {
          case 0:
            if (items->len > 0)
              g_ptr_array_remove_index (items, pick (fuzzer, items->len));
            break;
          case 1:
            g_ptr_array_insert (items, (gint)pick (fuzzer, items->len + 1),
                                g_variant_ref_sink (random_value (fuzzer)));
            break;
          case 2:
            if (items->len > 0)
              {
                guint i = pick (fuzzer, items->len);

                g_variant_unref (items->pdata[i]);
                items->pdata[i] = g_variant_ref_sink (random_value (fuzzer));
              }
            break;
          default:
            g_ptr_array_set_size (items, 0);
            for (guint i = pick (fuzzer, 6); i > 0; i--)
              g_ptr_array_add (items, g_variant_ref_sink (random_value (fuzzer)));
            break;
        }
      result = g_variant_new_tuple ((GVariant *const *)items->pdata, items->len);
      if (!g_variant_is_of_type (result, expected))
        return result;
      g_variant_unref (g_variant_ref_sink (result));
    }
}

/* ---- calls and replies ------------------------------------------------------------------- */

static void
count_outcome (Fuzzer *fuzzer, Method method, const char *outcome)
{
  char *key = g_strdup_printf ("%s: %s", methods[method].label, outcome);
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (fuzzer->outcomes, key));

  g_hash_table_replace (fuzzer->outcomes, key, GUINT_TO_POINTER (count + 1));
}

static guint
outcome_count (Fuzzer *fuzzer, Method method, const char *outcome)
{
  g_autofree char *key = g_strdup_printf ("%s: %s", methods[method].label, outcome);

  return GPOINTER_TO_UINT (g_hash_table_lookup (fuzzer->outcomes, key));
}

static void
fail_call (Call *call, const char *what)
{
  if (call->fuzzer->failure != NULL)
    return;
  call->fuzzer->failure
      = g_strdup_printf ("%s on %s: %s\n  arguments: %s", methods[call->method].label, call->path,
                         what, call->arguments);
}

/* A successful reply: its type, and what the contract says of its values. */
static void
check_success (Call *call, GVariant *reply)
{
  const MethodInfo *info = &methods[call->method];

  if (!call->well_typed)
    {
      fail_call (call, "a call with a wrong signature succeeded");
      return;
    }
  if (!g_variant_is_of_type (reply, G_VARIANT_TYPE (info->out_signature)))
    {
      g_autofree char *what = g_strdup_printf (
          "the reply has type %s, not %s", g_variant_get_type_string (reply), info->out_signature);

      fail_call (call, what);
      return;
    }
  if (call->method == METHOD_OPEN)
    {
      const char *path;

      g_variant_get (reply, "(&o)", &path);
      if (!g_str_has_prefix (path, SESSION_PATH_BASE)
          || strspn (path + strlen (SESSION_PATH_BASE), "0123456789")
                 != strlen (path + strlen (SESSION_PATH_BASE))
          || strlen (path) == strlen (SESSION_PATH_BASE))
        fail_call (call, "Open returned a path that is not a session's");
      g_ptr_array_add (call->fuzzer->opened, g_strdup (path));
    }
  else if (call->method == METHOD_SEND)
    {
      g_autoptr (GVariant) token = g_variant_get_child_value (reply, 1);

      if (g_variant_n_children (token) > 8)
        fail_call (call, "Send returned a token of more than 8 bytes");
    }
  else if (call->method == METHOD_CLOSE)
    call->fuzzer->session_closed = TRUE;
  count_outcome (call->fuzzer, call->method, "ok");
}

static gboolean
is_contract_error (Call *call, const char *name)
{
  if (!g_str_has_prefix (name, ERROR_PREFIX))
    return FALSE;
  if (call->after_close && g_str_equal (name, ERROR_PREFIX "Closed"))
    return TRUE;
  return g_strv_contains (methods[call->method].errors, name + strlen (ERROR_PREFIX));
}

/* What a caller sees when the daemon's connection closed under its call, or
 * the daemon is between two connections. */
static gboolean
is_bus_loss (const char *name)
{
  return name == NULL || g_str_equal (name, "org.freedesktop.DBus.Error.NoReply")
         || g_str_equal (name, "org.freedesktop.DBus.Error.ServiceUnknown")
         || g_str_equal (name, "org.freedesktop.DBus.Error.NameHasNoOwner");
}

static void
check_error (Call *call, const GError *error)
{
  g_autofree char *name = g_dbus_error_get_remote_error (error);
  g_autofree char *what = NULL;

  if (is_bus_loss (name))
    {
      /* Judged at the end of the batch: fine only if the daemon's
       * connection was lost meanwhile. */
      if (call->fuzzer->lost_calls++ == 0)
        call->fuzzer->lost_example = g_strdup_printf ("%s: %s", call->arguments, error->message);
      count_outcome (call->fuzzer, call->method, "lost with the connection");
      return;
    }
  if (name == NULL)
    what = g_strdup_printf ("no reply from the daemon: %s", error->message);
  else if (call->after_close
           && (g_str_equal (name, "org.freedesktop.DBus.Error.UnknownMethod")
               || g_str_equal (name, "org.freedesktop.DBus.Error.UnknownObject")))
    {
      /* The session had left the bus before this call arrived. */
      count_outcome (call->fuzzer, call->method, "session gone");
      return;
    }
  else if (!call->well_typed && !g_str_equal (name, INVALID_ARGS))
    what = g_strdup_printf ("a wrong signature gave %s, not %s: %s", name, INVALID_ARGS,
                            error->message);
  else if (call->well_typed && !is_contract_error (call, name))
    what = g_strdup_printf ("the error %s is not one the contract names for this method: %s", name,
                            error->message);
  if (what)
    {
      fail_call (call, what);
      return;
    }
  count_outcome (call->fuzzer, call->method,
                 name
                     + (g_str_has_prefix (name, ERROR_PREFIX)
                            ? strlen (ERROR_PREFIX)
                            : strlen ("org.freedesktop.DBus.Error.")));
}

static void
call_free (Call *call)
{
  g_free (call->path);
  g_free (call->arguments);
  g_free (call);
}

static void
on_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *call = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply
      = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  if (reply)
    check_success (call, reply);
  else
    check_error (call, error);
  call->fuzzer->pending--;
  call_free (call);
}

static void
start_call (Fuzzer *fuzzer, Method method, const char *path, gboolean well_typed,
            gboolean after_close)
{
  Call *call = g_new0 (Call, 1);
  GVariant *arguments;
  g_autofree char *printed = NULL;

  fuzzer->wild = chance (fuzzer, 50);
  arguments
      = well_typed ? well_typed_arguments (fuzzer, method) : ill_typed_arguments (fuzzer, method);
  printed = g_variant_print (g_variant_ref_sink (arguments), TRUE);

  call->fuzzer = fuzzer;
  call->method = method;
  call->well_typed = well_typed;
  call->after_close = after_close;
  call->path = g_strdup (path);
  /* Enough to recognise the call; the seed reproduces it exactly. */
  call->arguments = g_strndup (printed, 600);
  g_ptr_array_add (fuzzer->batch,
                   g_strdup_printf ("%s on %s%s: %s", methods[method].label, path,
                                    well_typed ? "" : " (ill-typed)", call->arguments));
  fuzzer->pending++;
  g_dbus_connection_call (fuzzer->connection, SERVICE_NAME, path, methods[method].interface,
                          methods[method].member, arguments, NULL, G_DBUS_CALL_FLAGS_NONE,
                          CALL_TIMEOUT_MS, NULL, on_reply, call);
  g_variant_unref (arguments);
}

/* Waits for the batch's replies. If the daemon lost its bus connection
 * during the batch (its unique name changed), calls lost with it are fine,
 * and the next batch waits for the daemon to own its name again (within
 * 5 s); otherwise a lost call breaks the contract. TRUE if the connection
 * was lost. */
static gboolean
wait_for_replies (Fuzzer *fuzzer)
{
  gint64 end;
  g_autofree char *owner = NULL;
  gboolean lost;

  while (fuzzer->pending > 0)
    g_main_context_iteration (NULL, TRUE);
  end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while ((owner = e2e_env_name_owner (env)) == NULL && g_get_monotonic_time () < end)
    g_usleep (10000);
  lost = g_strcmp0 (owner, fuzzer->owner) != 0;
  if (owner == NULL && fuzzer->failure == NULL)
    fuzzer->failure = g_strdup ("the daemon did not own its name again after losing the bus");
  else if (!lost && fuzzer->lost_calls > 0 && fuzzer->failure == NULL)
    fuzzer->failure = g_strdup_printf ("%u calls got no answer while the daemon stayed on the "
                                       "bus, e.g. %s",
                                       fuzzer->lost_calls, fuzzer->lost_example);
  g_free (fuzzer->owner);
  fuzzer->owner = g_steal_pointer (&owner);
  fuzzer->lost_calls = 0;
  g_clear_pointer (&fuzzer->lost_example, g_free);
  return lost;
}

/* The daemon's last words, printed at once: if it died, later tests abort
 * before the whole log would be printed. */
static void
print_daemon_log_tail (void)
{
  g_autofree char *log = NULL;
  gsize length = 0;

  if (!g_file_get_contents (env->daemon_log_path, &log, &length, NULL))
    return;
  g_printerr ("---- end of the qcoapd log ----\n%s\n", log + (length > 8000 ? length - 8000 : 0));
}

/* Stops the test at the first broken reply, naming the call and the calls
 * that went out with it (any of them may have caused it). */
static gboolean
batch_failed (Fuzzer *fuzzer)
{
  if (fuzzer->failure == NULL)
    {
      g_ptr_array_set_size (fuzzer->batch, 0);
      return FALSE;
    }
  for (guint i = 0; i < fuzzer->batch->len; i++)
    g_test_message ("batch call %u: %s", i, (const char *)g_ptr_array_index (fuzzer->batch, i));
  print_daemon_log_tail ();
  g_test_fail_printf ("%s", fuzzer->failure);
  return TRUE;
}

/* ---- sessions ----------------------------------------------------------------------------- */

static GVariant *
call_sync (GDBusConnection *connection, const char *path, const char *interface, const char *method,
           GVariant *arguments, GError **error)
{
  return g_dbus_connection_call_sync (connection, SERVICE_NAME, path, interface, method, arguments,
                                      NULL, G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, error);
}

static gboolean
session_exists (Fuzzer *fuzzer)
{
  g_autoptr (GVariant) reply
      = call_sync (fuzzer->connection, fuzzer->session_path, "org.freedesktop.DBus.Properties",
                   "Get", g_variant_new ("(ss)", SESSION_INTERFACE, "ClientId"), NULL);

  return reply != NULL;
}

/* Closes what fuzzed calls opened. A session may have ended by itself
 * (a persistent one with a short idle-timeout), and then it is gone. */
static void
close_opened (Fuzzer *fuzzer)
{
  for (guint i = 0; i < fuzzer->opened->len; i++)
    {
      const char *path = g_ptr_array_index (fuzzer->opened, i);
      g_autoptr (GError) error = NULL;
      g_autofree char *name = NULL;

      if (e2e_try_close_session (fuzzer->connection, path, CALL_TIMEOUT_MS, &error))
        continue;
      name = g_dbus_error_get_remote_error (error);
      if (g_strcmp0 (name, "org.freedesktop.DBus.Error.UnknownMethod") != 0
          && g_strcmp0 (name, "org.freedesktop.DBus.Error.UnknownObject") != 0
          && g_strcmp0 (name, ERROR_PREFIX "Closed") != 0)
        {
          g_autofree char *what = g_strdup_printf ("closing %s failed: %s", path, error->message);

          if (fuzzer->failure == NULL)
            fuzzer->failure = g_steal_pointer (&what);
        }
    }
  g_ptr_array_set_size (fuzzer->opened, 0);
}

static void
assert_daemon_ready (void)
{
  g_autoptr (GVariant) state = e2e_env_get_property (env, MANAGER_PATH, MANAGER_INTERFACE, "State");
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) pong = NULL;

  g_assert_nonnull (state);
  g_assert_cmpstr (g_variant_get_string (state, NULL), ==, "ready");
  pong = call_sync (env->bus, MANAGER_PATH, "org.freedesktop.DBus.Peer", "Ping", NULL, &error);
  g_assert_no_error (error);
}

/* ---- the runs ---------------------------------------------------------------------------- */

static void
report_outcomes (Fuzzer *fuzzer)
{
  g_autoptr (GList) keys
      = g_list_sort (g_hash_table_get_keys (fuzzer->outcomes), (GCompareFunc)g_strcmp0);

  for (GList *key = keys; key != NULL; key = key->next)
    g_test_message ("%s: %u", (const char *)key->data,
                    GPOINTER_TO_UINT (g_hash_table_lookup (fuzzer->outcomes, key->data)));
}

static void
assert_outcomes_varied (Fuzzer *fuzzer, Method method)
{
  report_outcomes (fuzzer);
  /* A daemon that refused everything, or accepted everything, would not be
   * exercised by the run. */
  g_assert_cmpuint (outcome_count (fuzzer, method, "ok"), >, 0);
  if (method != METHOD_CLOSE)
    g_assert_cmpuint (outcome_count (fuzzer, method, "InvalidArgument"), >, 0);
  g_assert_cmpuint (outcome_count (fuzzer, method, "InvalidArgs"), >, 0);
}

/* Batches of random calls to a manager method; what they open is closed
 * after each batch. */
static void
fuzz_manager_method (Method method, guint32 salt)
{
  g_autoptr (Fuzzer) fuzzer = fuzzer_new (salt);
  guint sent = 0;

  while (sent < calls_per_method)
    {
      guint batch = 1 + pick (fuzzer, MAX_BATCH);

      for (guint i = 0; i < batch && sent < calls_per_method; i++, sent++)
        start_call (fuzzer, method, MANAGER_PATH, !chance (fuzzer, 15), FALSE);
      wait_for_replies (fuzzer);
      close_opened (fuzzer);
      if (batch_failed (fuzzer))
        return;
    }
  assert_outcomes_varied (fuzzer, method);
  assert_daemon_ready ();
  e2e_env_wait_free_clients (env, 6);
}

static void
test_open (void)
{
  fuzz_manager_method (METHOD_OPEN, 1);
}

static void
test_manager_request (void)
{
  fuzz_manager_method (METHOD_MANAGER_REQUEST, 2);
}

/* Among the calls around a Close: Send, Listen, Unlisten or @method. */
static Method
mixed_method (Fuzzer *fuzzer, Method method)
{
  if (chance (fuzzer, 50))
    return METHOD_SEND;
  if (chance (fuzzer, 20))
    return chance (fuzzer, 50) ? METHOD_LISTEN : METHOD_UNLISTEN;
  return method;
}

/* Batches of calls to one session. With @close_too, a batch may also hold a
 * Close (well- or ill-typed); the calls after it in the batch may find the
 * session closing or gone, and a new session is opened for the next batch. */
static void
fuzz_session_methods (Method method, gboolean close_too, guint32 salt)
{
  g_autoptr (Fuzzer) fuzzer = fuzzer_new (salt);
  guint sent = 0;

  fuzzer->session_path = e2e_open_session (fuzzer->connection, env->coap_port, NULL);
  while (sent < calls_per_method)
    {
      guint batch = 1 + pick (fuzzer, MAX_BATCH);
      gboolean closing = FALSE;

      for (guint i = 0; i < batch && sent < calls_per_method; i++, sent++)
        {
          gboolean well_typed = !chance (fuzzer, 15);

          if (close_too && !closing && chance (fuzzer, 20))
            {
              start_call (fuzzer, METHOD_CLOSE, fuzzer->session_path, well_typed, FALSE);
              closing = well_typed;
              continue;
            }
          start_call (fuzzer, close_too ? mixed_method (fuzzer, method) : method,
                      fuzzer->session_path, well_typed, closing);
        }
      /* A Close whose reply was lost with the connection may have closed
       * the session: it is reopened if it is gone. */
      if (wait_for_replies (fuzzer) && !session_exists (fuzzer))
        fuzzer->session_closed = TRUE;
      if (batch_failed (fuzzer))
        return;
      if (fuzzer->session_closed)
        {
          g_free (fuzzer->session_path);
          fuzzer->session_path = e2e_open_session (fuzzer->connection, env->coap_port, NULL);
          fuzzer->session_closed = FALSE;
        }
    }
  g_ptr_array_add (fuzzer->opened, g_steal_pointer (&fuzzer->session_path));
  close_opened (fuzzer);
  if (batch_failed (fuzzer))
    return;
  assert_outcomes_varied (fuzzer, close_too ? METHOD_CLOSE : method);
  assert_daemon_ready ();
  e2e_env_wait_free_clients (env, 6);
}

static void
test_send (void)
{
  fuzz_session_methods (METHOD_SEND, FALSE, 3);
}

static void
test_session_request (void)
{
  fuzz_session_methods (METHOD_SESSION_REQUEST, FALSE, 4);
}

static void
test_close (void)
{
  fuzz_session_methods (METHOD_SESSION_REQUEST, TRUE, 5);
}

/* After everything: still serving, nothing held. */
static void
test_daemon_alive (void)
{
  g_autofree char *path = NULL;

  assert_daemon_ready ();
  e2e_env_wait_free_clients (env, 6);
  {
    g_autofree char *log = NULL;
    guint losses = 0;

    g_assert_true (g_file_get_contents (env->daemon_log_path, &log, NULL, NULL));
    for (const char *at = strstr (log, "Lost the bus connection"); at;
         at = strstr (at + 1, "Lost the bus connection"))
      losses++;
    /* The run did knock the daemon off the bus, and it came back each time. */
    g_test_message ("the daemon lost its bus connection %u times", losses);
    g_assert_cmpuint (losses, >, 0);
  }
  /* And it still does real work. */
  path = e2e_open_session (env->bus, env->coap_port, NULL);
  e2e_close_session (env->bus, path);
  e2e_env_wait_free_clients (env, 6);
}

static guint
env_uint (const char *name, guint fallback)
{
  const char *text = g_getenv (name);
  guint64 value;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT32, &value, NULL))
    return fallback;
  return (guint)value;
}

int
main (int argc, char **argv)
{
  int status;
  E2eOptions options = { .config_text = NULL };

  g_test_init (&argc, &argv, NULL);
  base_seed = env_uint ("QCOAPD_DBUS_FUZZ_SEED", DEFAULT_SEED);
  calls_per_method = env_uint ("QCOAPD_DBUS_FUZZ_CALLS", DEFAULT_CALLS);
  min_open_timeout_ms = MAX (env_uint ("QCOAPD_DBUS_FUZZ_MIN_OPEN_TIMEOUT", 1), 1);
  g_test_message ("D-Bus fuzzer: seed %u, %u calls per method", base_seed, calls_per_method);
  g_test_add_func ("/dbus-fuzz/open", test_open);
  g_test_add_func ("/dbus-fuzz/manager-request", test_manager_request);
  g_test_add_func ("/dbus-fuzz/send", test_send);
  g_test_add_func ("/dbus-fuzz/session-request", test_session_request);
  g_test_add_func ("/dbus-fuzz/close", test_close);
  g_test_add_func ("/dbus-fuzz/daemon-alive", test_daemon_alive);

  env = e2e_env_start (&options);
  status = g_test_run ();
  if (!e2e_env_stop (env, status != 0))
    status = 1;
  return status;
}
