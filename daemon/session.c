/* session.c — one CoAP session: a client ID of the modem connected to one
 * server, published as /org/qcoapd/CoAP1/Session/N.
 *
 * A session's AT work goes through the client pool (so it is scheduled fairly
 * against other sessions), and the modem's URCs for its client ID come back
 * through session_handle_urc(): results of Open and Close, delivery results
 * (Ack), retransmissions, and received messages, which also complete the
 * Request calls waiting for their token.
 */
#include "service-private.h"

#include "dtls-psk.h"
#include "option-mirror.h"
#include "qcoap-error.h"

#define LOCAL_COMMAND_TIMEOUT_MS 2000
/* Paced at 9600 baud a full 1024-byte payload takes ~1.1 s on the line. */
#define SEND_COMMAND_TIMEOUT_MS 5000
#define CLOSE_RESULT_TIMEOUT_MS 10000
#define MAX_PAYLOAD             1024
#define REQUEST_TOKEN_LENGTH    8
#define SEND_TOKEN_LENGTH       4
/* The Ack result of a message whose outcome the modem can no longer report:
 * its session ended first (closed, modem restarted or gone). The modem's
 * own "operation not allowed". */
#define SESSION_RESULT_ENDED (-3)
/* Attempts to open a persistent session again after the modem lost it:
 * with pauses of 1, 2, 4 … 30 s, about four minutes in all. */
#define REOPEN_ATTEMPTS 12

/* A message in flight: its type, and whether the modem has taken it (or may
 * have: its AT+QCOAPSEND timed out). Stored in a pointer. */
#define SEND_STATE(type, taken) GUINT_TO_POINTER (0x10u | ((taken) ? 0x4u : 0u) | (type))
#define SEND_STATE_TYPE(state)  ((guint8)(GPOINTER_TO_UINT (state) & 0x3u))
#define SEND_STATE_TAKEN(state) ((GPOINTER_TO_UINT (state) & 0x4u) != 0)

typedef enum
{
  SESSION_OPENING,
  SESSION_OPEN,
  SESSION_CLOSING,
  SESSION_ENDED,
} SessionState;

static const char *const state_names[] = { "opening", "open", "closing", "closed" };

struct _Session
{
  gatomicrefcount ref_count;
  Service *service;
  guint id;
  SessionState state;
  char *object_path;
  char *host;
  guint16 port;
  SessionSettings settings;
  uid_t owner_uid;
  char *owner_name;

  QcoapObjectSkeleton *object;
  QcoapSession *iface;
  guint owner_watch;
  guint idle_source;
  /* Cancelled when the session ends: fails its queued AT work. */
  GCancellable *cancellable;

  GTask *open_task;
  guint open_timeout_source;
  GTask *close_task;
  guint close_timeout_source;
  char *close_reason;

  GHashTable *requests_by_token; /* hex token → PendingRequest */
  /* What the modem holds of this client's header and option slots. */
  OptionMirror *option_mirror;
  /* Message ID → SendState of every message given to the modem whose final
   * +QCOAPACK has not come yet. */
  GHashTable *sends_in_flight;
  /* A persistent session being opened again after the modem restarted. */
  gboolean reopening;
  /* Failed attempts to open it again, and the timer of the next one. */
  guint reopen_failures;
  guint reopen_retry_source;
};

typedef struct
{
  Session *session;
  char *token_hex;
  guint16 message_id;
  GTask *task;
  guint timeout_source;
} PendingRequest;

static void session_finish_close (Session *session);

/* ---- settings -------------------------------------------------------------------- */

void
session_settings_init (SessionSettings *settings)
{
  *settings = (SessionSettings){
    .client_id = -1,
    .pdp_context = 1,
    .ack_timeout = 2,
    .max_retransmit = 5,
    .idle_timeout = 300,
    .timeout_ms = 75000,
  };
}

void
session_settings_clear (SessionSettings *settings)
{
  g_clear_pointer (&settings->psk_identity, g_free);
  g_clear_pointer (&settings->psk_key, g_bytes_unref);
}

static gboolean
check_type (const char *key, GVariant *value, const GVariantType *type, GError **error)
{
  if (g_variant_is_of_type (value, type))
    return TRUE;
  g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
               "Option \"%s\" must be of type %.*s, not %s", key,
               (int)g_variant_type_get_string_length (type), g_variant_type_peek_string (type),
               g_variant_get_type_string (value));
  return FALSE;
}

static gboolean
check_range (const char *key, guint value, guint min, guint max, GError **error)
{
  if (value >= min && value <= max)
    return TRUE;
  g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
               "Option \"%s\" is %u; it must be between %u and %u", key, value, min, max);
  return FALSE;
}

/* Open's numeric options: their D-Bus type, their range, and the guint of
 * SessionSettings they set. */
typedef struct
{
  const char *key;
  const GVariantType *type;
  guint min;
  guint max;
  gsize offset;
} NumericSetting;

static const NumericSetting numeric_settings[] = {
  { "pdp-context", G_VARIANT_TYPE_BYTE, 1, 16, G_STRUCT_OFFSET (SessionSettings, pdp_context) },
  { "ack-timeout", G_VARIANT_TYPE_UINT32, 2, 60, G_STRUCT_OFFSET (SessionSettings, ack_timeout) },
  { "max-retransmit", G_VARIANT_TYPE_UINT32, 4, 8,
    G_STRUCT_OFFSET (SessionSettings, max_retransmit) },
  { "idle-timeout", G_VARIANT_TYPE_UINT32, 1, 7 * 24 * 3600,
    G_STRUCT_OFFSET (SessionSettings, idle_timeout) },
  { "timeout", G_VARIANT_TYPE_UINT32, 1, 3600 * 1000,
    G_STRUCT_OFFSET (SessionSettings, timeout_ms) },
};

static guint
variant_get_number (GVariant *value)
{
  return g_variant_is_of_type (value, G_VARIANT_TYPE_BYTE) ? g_variant_get_byte (value)
                                                           : g_variant_get_uint32 (value);
}

/* Sets a numeric option; FALSE (without error) if @key is not one. */
static gboolean
parse_numeric_setting (SessionSettings *settings, const char *key, GVariant *value, gboolean *ok,
                       GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (numeric_settings); i++)
    {
      const NumericSetting *setting = &numeric_settings[i];

      if (!g_str_equal (key, setting->key))
        continue;
      *ok = check_type (key, value, setting->type, error)
            && check_range (key, variant_get_number (value), setting->min, setting->max, error);
      if (*ok)
        G_STRUCT_MEMBER (guint, settings, setting->offset) = variant_get_number (value);
      return TRUE;
    }
  return FALSE;
}

static gboolean
parse_setting (SessionSettings *settings, const char *key, GVariant *value, GError **error)
{
  gboolean ok;

  if (parse_numeric_setting (settings, key, value, &ok, error))
    return ok;
  if (g_str_equal (key, "client-id"))
    {
      if (!check_type (key, value, G_VARIANT_TYPE_BYTE, error)
          || !check_range (key, g_variant_get_byte (value), 0, CLIENT_POOL_SIZE - 1, error))
        return FALSE;
      settings->client_id = g_variant_get_byte (value);
    }
  else if (g_str_equal (key, "persistent"))
    {
      if (!check_type (key, value, G_VARIANT_TYPE_BOOLEAN, error))
        return FALSE;
      settings->persistent = g_variant_get_boolean (value);
    }
  else if (g_str_equal (key, "dtls-psk-identity"))
    {
      if (!check_type (key, value, G_VARIANT_TYPE_STRING, error))
        return FALSE;
      g_free (settings->psk_identity);
      settings->psk_identity = g_variant_dup_string (value, NULL);
    }
  else if (g_str_equal (key, "dtls-psk-key"))
    {
      if (!check_type (key, value, G_VARIANT_TYPE_BYTESTRING, error))
        return FALSE;
      g_clear_pointer (&settings->psk_key, g_bytes_unref);
      settings->psk_key = g_variant_get_data_as_bytes (value);
    }
  else
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                   "Unknown option \"%s\"; see the documentation of Open for the keys", key);
      return FALSE;
    }
  return TRUE;
}

gboolean
session_settings_parse (SessionSettings *settings, GVariant *options, const char *const *extra_keys,
                        GError **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *next;

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &next))
    {
      g_autoptr (GVariant) value = next;

      if (extra_keys && g_strv_contains (extra_keys, key))
        continue;
      if (!parse_setting (settings, key, value, error))
        return FALSE;
    }
  if ((settings->psk_identity == NULL) != (settings->psk_key == NULL))
    {
      g_set_error_literal (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                           "DTLS needs both \"dtls-psk-identity\" and \"dtls-psk-key\"");
      return FALSE;
    }
  /* Checked here, before anything reaches the modem. */
  if (settings->psk_identity
      && !dtls_psk_validate (settings->psk_identity, settings->psk_key, error))
    return FALSE;
  return TRUE;
}

/* ---- life cycle -------------------------------------------------------------------- */

Session *
session_ref (Session *session)
{
  g_atomic_ref_count_inc (&session->ref_count);
  return session;
}

void
session_unref (Session *session)
{
  if (!g_atomic_ref_count_dec (&session->ref_count))
    return;
  g_assert (session->open_task == NULL && session->close_task == NULL);
  g_clear_object (&session->cancellable);
  g_clear_pointer (&session->requests_by_token, g_hash_table_unref);
  g_clear_pointer (&session->option_mirror, option_mirror_free);
  g_clear_pointer (&session->sends_in_flight, g_hash_table_unref);
  g_clear_object (&session->iface);
  g_clear_object (&session->object);
  session_settings_clear (&session->settings);
  g_free (session->close_reason);
  g_free (session->owner_name);
  g_free (session->host);
  g_free (session->object_path);
  g_free (session);
}

static void
set_state (Session *session, SessionState state)
{
  session->state = state;
  if (state != SESSION_ENDED)
    qcoap_session_set_state (session->iface, state_names[state]);
}

const char *
session_get_object_path (Session *session)
{
  return session->object_path;
}

uid_t
session_get_owner_uid (Session *session)
{
  return session->owner_uid;
}

static void
pending_request_free (PendingRequest *pending)
{
  g_clear_handle_id (&pending->timeout_source, g_source_remove);
  g_clear_object (&pending->task);
  g_free (pending->token_hex);
  g_free (pending);
}

static void
fail_pending_requests (Session *session, const char *message)
{
  GHashTableIter iter;
  PendingRequest *pending;

  g_hash_table_iter_init (&iter, session->requests_by_token);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&pending))
    {
      g_task_return_new_error (pending->task, QCOAP_ERROR, QCOAP_ERROR_CLOSED, "%s", message);
      g_hash_table_iter_remove (&iter);
    }
}

/* Every message the modem took gets exactly one final Ack: those whose
 * outcome the modem can no longer report (the session ended, the modem
 * restarted or went away) get one with SESSION_RESULT_ENDED. Messages the
 * modem has not taken yet are left to their Send, which fails. */
static void
end_messages_in_flight (Session *session)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, session->sends_in_flight);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      guint16 message_id = (guint16)GPOINTER_TO_UINT (key);

      if (!SEND_STATE_TAKEN (value))
        continue;
      qcoap_session_emit_ack (session->iface, SEND_STATE_TYPE (value), message_id,
                              SESSION_RESULT_ENDED);
      client_pool_message_done (session->service->pool, message_id);
      g_hash_table_iter_remove (&iter);
    }
}

/* A DTLS session's key does not stay on the modem after it: the removal is
 * queued on the client ID, so it runs before anything a next session of
 * that ID queues. */
static void
forget_psk (Session *session)
{
  if (session->settings.psk_identity)
    dtls_psk_remove (session->service->pool, session->id, session->id, NULL, NULL);
}

/* Ends the session without AT traffic: everything waiting fails with Closed,
 * Closed(@reason) is emitted, and the object and the client ID go away. */
void
session_end (Session *session, const char *reason)
{
  Service *service = session->service;
  g_autofree char *message = NULL;
  gboolean was_opening;

  if (session->state == SESSION_ENDED)
    return;
  g_info ("Session %u (%s:%u) ends: %s", session->id, session->host, session->port, reason);
  message = g_strdup_printf ("The session was closed (%s) while the call waited", reason);
  set_state (session, SESSION_ENDED);
  g_cancellable_cancel (session->cancellable);
  g_clear_handle_id (&session->owner_watch, g_bus_unwatch_name);
  g_clear_handle_id (&session->idle_source, g_source_remove);
  g_clear_handle_id (&session->open_timeout_source, g_source_remove);
  g_clear_handle_id (&session->close_timeout_source, g_source_remove);
  g_clear_handle_id (&session->reopen_retry_source, g_source_remove);
  fail_pending_requests (session, message);
  was_opening = session->open_task != NULL;
  if (!was_opening)
    end_messages_in_flight (session);
  if (was_opening)
    {
      GTask *task = g_steal_pointer (&session->open_task);

      g_task_return_new_error (task, QCOAP_ERROR, QCOAP_ERROR_CLOSED,
                               "The modem went away while the session was opening (%s)", reason);
      g_object_unref (task);
    }
  service->sessions[session->id] = NULL;
  forget_psk (session);
  client_pool_release (service->pool, session->id);
  /* Only an exported session announces its end. */
  if (!was_opening)
    {
      qcoap_session_emit_closed (session->iface, reason);
      service_session_removed (service, session);
    }
  if (session->close_task)
    {
      GTask *task = g_steal_pointer (&session->close_task);

      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }
  session_unref (session); /* the service's reference */
}

/* ---- ownership --------------------------------------------------------------------- */

static void
on_owner_vanished (GDBusConnection *connection, const char *name, gpointer user_data)
{
  Session *session = user_data;

  g_clear_handle_id (&session->owner_watch, g_bus_unwatch_name);
  g_info ("Owner %s of session %u left the bus", name, session->id);
  if (session->state == SESSION_OPEN)
    session_close (session, "owner-vanished", NULL, NULL);
}

static gboolean
on_idle_timeout (gpointer user_data)
{
  Session *session = user_data;

  session->idle_source = 0;
  if (session->state == SESSION_OPEN)
    session_close (session, "idle", NULL, NULL);
  return G_SOURCE_REMOVE;
}

static void
touch (Session *session)
{
  if (!session->settings.persistent || session->state != SESSION_OPEN)
    return;
  g_clear_handle_id (&session->idle_source, g_source_remove);
  session->idle_source
      = g_timeout_add_seconds (session->settings.idle_timeout, on_idle_timeout, session);
}

/* ---- messages ------------------------------------------------------------------------ */

static gboolean
validate_code (guint8 code, GError **error)
{
  /* The codes of the AT reference's code table: the modem takes no other. */
  static const guint8 known[] = { 0,   1,   2,   3,   4,   65,  66,  67,  68,  69,  128, 129, 130,
                                  131, 132, 133, 134, 140, 141, 143, 160, 161, 162, 163, 164, 165 };

  for (gsize i = 0; i < G_N_ELEMENTS (known); i++)
    if (known[i] == code)
      return TRUE;
  g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
               "Code %u (%u.%02u) is not one the modem can send", code, code >> 5, code & 31);
  return FALSE;
}

static gboolean
validate_payload (GBytes *payload, GError **error)
{
  if (g_bytes_get_size (payload) <= MAX_PAYLOAD)
    return TRUE;
  g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
               "The payload has %zu bytes; the modem sends at most %d", g_bytes_get_size (payload),
               MAX_PAYLOAD);
  return FALSE;
}

gboolean
session_validate_request (guint8 code, GBytes *payload, GError **error)
{
  if (code < 1 || code > 4)
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                   "Code %u is not a request method (1 GET, 2 POST, 3 PUT, 4 DELETE)", code);
      return FALSE;
    }
  return validate_payload (payload, error);
}

static char *
token_to_hex (GBytes *token)
{
  gsize length;
  const guint8 *data = g_bytes_get_data (token, &length);
  GString *hex = g_string_sized_new (length * 2);

  for (gsize i = 0; i < length; i++)
    g_string_append_printf (hex, "%02X", data[i]);
  return g_string_free (hex, FALSE);
}

static GBytes *
random_token (gsize length)
{
  guint8 token[8];

  for (gsize i = 0; i < length; i++)
    token[i] = (guint8)g_random_int_range (0, 256);
  return g_bytes_new (token, length);
}

/* The header and the options the modem does not hold yet (the option
 * mirror plans them and picks the slots), then SEND with the payload: one
 * uninterrupted transaction for the client ID. *plan must be finished when
 * the transaction ends. */
static GPtrArray *
build_message_steps (Session *session, guint8 type, guint8 code, guint16 message_id, GBytes *token,
                     GPtrArray *options, GBytes *payload, OptionMirrorPlan **plan)
{
  GPtrArray *steps = g_ptr_array_new_with_free_func ((GDestroyNotify)at_step_free);
  /* The modem takes lengths 1-1024 only: an empty payload is announced
   * without a length and ended at once with Ctrl+Z. */
  static const guint8 ctrl_z_byte = 0x1A;
  g_autoptr (GBytes) ctrl_z = g_bytes_new_static (&ctrl_z_byte, 1);
  GPtrArray *commands;

  if (session->option_mirror == NULL)
    session->option_mirror = option_mirror_new (session->id);
  *plan = option_mirror_plan (session->option_mirror, message_id, token, options);
  commands = option_mirror_plan_get_commands (*plan);
  for (guint i = 0; i < commands->len; i++)
    g_ptr_array_add (steps, at_step_new (g_strdup (g_ptr_array_index (commands, i)),
                                         AT_PAYLOAD_NONE, NULL, LOCAL_COMMAND_TIMEOUT_MS));
  g_ptr_array_add (
      steps,
      at_step_new (qcoap_cmd_send (session->id, type, code, option_mirror_plan_get_bitmask (*plan),
                                   g_bytes_get_size (payload)),
                   AT_PAYLOAD_AFTER_PROMPT, g_bytes_get_size (payload) > 0 ? payload : ctrl_z,
                   SEND_COMMAND_TIMEOUT_MS));
  return steps;
}

typedef struct
{
  Session *session;
  guint16 message_id;
  GBytes *token;
  OptionMirrorPlan *plan;
} SendData;

static void
send_data_free (SendData *data)
{
  session_unref (data->session);
  g_bytes_unref (data->token);
  option_mirror_plan_free (data->plan);
  g_free (data);
}

static void
on_message_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  SendData *data = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) responses = NULL;

  Session *session = data->session;
  gpointer key = GUINT_TO_POINTER (data->message_id);
  gpointer state = g_hash_table_lookup (session->sends_in_flight, key);
  gboolean taken;

  responses = client_pool_run_finish (session->service->pool, result, &error);
  /* A failure leaves the modem's slots unknown: the mirror forgets them. */
  option_mirror_plan_finish (session->option_mirror, data->plan, responses != NULL);
  /* A timeout leaves it open whether the modem sent the message: it is then
   * treated as taken, and its message ID stays reserved until its +QCOAPACK
   * or the end of the session. Any other failure means not sent. */
  taken = responses != NULL || g_error_matches (error, QCOAP_ERROR, QCOAP_ERROR_TIMEOUT);
  if (state != NULL && taken)
    g_hash_table_insert (session->sends_in_flight, key, SEND_STATE (SEND_STATE_TYPE (state), TRUE));
  else if (state != NULL)
    {
      g_hash_table_remove (session->sends_in_flight, key);
      client_pool_message_done (session->service->pool, data->message_id);
    }
  if (responses == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/* Sends one message; completes when the modem has taken it. The message ID
 * stays in flight until its +QCOAPACK. */
static void
send_message (Session *session, guint8 type, guint8 code, guint16 message_id, GBytes *token,
              GPtrArray *options, GBytes *payload, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);
  SendData *data = g_new0 (SendData, 1);

  data->session = session_ref (session);
  data->message_id = message_id;
  data->token = g_bytes_ref (token);
  g_task_set_task_data (task, data, (GDestroyNotify)send_data_free);
  g_hash_table_insert (session->sends_in_flight, GUINT_TO_POINTER (message_id),
                       SEND_STATE (type, FALSE));
  client_pool_run (
      session->service->pool, session->id,
      build_message_steps (session, type, code, message_id, token, options, payload, &data->plan),
      session->cancellable, on_message_sent, task);
}

static gboolean
send_message_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Request ------------------------------------------------------------------------ */

static gboolean
on_request_timeout (gpointer user_data)
{
  PendingRequest *pending = user_data;
  Session *session = pending->session;

  pending->timeout_source = 0;
  g_task_return_new_error (pending->task, QCOAP_ERROR, QCOAP_ERROR_TIMEOUT,
                           "No response from %s:%u within the timeout", session->host,
                           session->port);
  g_hash_table_remove (session->requests_by_token, pending->token_hex);
  return G_SOURCE_REMOVE;
}

static void
on_request_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree char *token_hex = user_data;
  g_autoptr (GError) error = NULL;
  SendData *data = g_task_get_task_data (G_TASK (result));
  Session *session = data->session;
  PendingRequest *pending;

  if (send_message_finish (result, &error))
    return;
  pending = g_hash_table_lookup (session->requests_by_token, token_hex);
  if (pending == NULL)
    return;
  g_task_return_error (pending->task, g_steal_pointer (&error));
  g_hash_table_remove (session->requests_by_token, token_hex);
}

/* The default Request timeout: RFC 7252's EXCHANGE_LIFETIME for the session's
 * transmission parameters (MAX_TRANSMIT_SPAN + 2 × MAX_LATENCY + the
 * processing delay, with ACK_RANDOM_FACTOR 1.5 and MAX_LATENCY 100 s). */
static guint
exchange_lifetime_ms (const SessionSettings *settings)
{
  guint span_ms = settings->ack_timeout * 1000 * ((1u << settings->max_retransmit) - 1) * 3 / 2;

  return span_ms + 2 * 100 * 1000 + settings->ack_timeout * 1000;
}

void
session_request (Session *session, guint8 code, GPtrArray *options, GBytes *payload,
                 gboolean confirmable, guint timeout_ms, GAsyncReadyCallback callback,
                 gpointer user_data)
{
  PendingRequest *pending = g_new0 (PendingRequest, 1);
  g_autoptr (GBytes) token = NULL;

  pending->session = session;
  pending->task = g_task_new (NULL, NULL, callback, user_data);
  g_task_set_source_tag (pending->task, session_request);
  /* An unused token: the response is matched by token alone. */
  do
    {
      g_clear_pointer (&token, g_bytes_unref);
      g_free (pending->token_hex);
      token = random_token (REQUEST_TOKEN_LENGTH);
      pending->token_hex = token_to_hex (token);
    }
  while (g_hash_table_contains (session->requests_by_token, pending->token_hex));
  pending->message_id = client_pool_take_message_id (session->service->pool);
  if (timeout_ms == 0)
    timeout_ms = exchange_lifetime_ms (&session->settings);
  pending->timeout_source = g_timeout_add (timeout_ms, on_request_timeout, pending);
  g_hash_table_insert (session->requests_by_token, pending->token_hex, pending);
  touch (session);
  send_message (session, confirmable ? 0 : 1, code, pending->message_id, token, options, payload,
                on_request_sent, g_strdup (pending->token_hex));
}

GVariant *
session_request_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- URCs --------------------------------------------------------------------------- */

static void
complete_request (Session *session, const QcoapRecv *recv, GBytes *payload)
{
  g_autofree char *token_hex = token_to_hex (recv->token);
  PendingRequest *pending = g_hash_table_lookup (session->requests_by_token, token_hex);
  GVariant *response;

  if (pending == NULL)
    return;
  response
      = g_variant_new ("(y@a(qv)@ay)", recv->code, qcoap_option_list_to_variant (recv->options),
                       g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, payload, TRUE));
  g_task_return_pointer (pending->task, g_variant_ref_sink (response),
                         (GDestroyNotify)g_variant_unref);
  g_hash_table_remove (session->requests_by_token, token_hex);
}

static void
handle_recv (Session *session, const AtEvent *event)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapRecv) recv = qcoap_recv_parse (event->line, &error);
  g_autoptr (GBytes) payload = NULL;

  if (recv == NULL)
    {
      g_warning ("Client %u: ignoring a message the modem reported oddly: %s", session->id,
                 error->message);
      return;
    }
  payload = g_bytes_new (event->payload, event->payload_length);
  g_debug ("Client %u received %u.%02u, message ID %u, %zu bytes", session->id, recv->code >> 5,
           recv->code & 31, recv->message_id, event->payload_length);
  qcoap_session_emit_received (
      session->iface, recv->message_id, recv->code,
      g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, recv->token, TRUE),
      qcoap_option_list_to_variant (recv->options),
      g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, payload, TRUE));
  complete_request (session, recv, payload);
}

static void
fail_request_by_message_id (Session *session, guint16 message_id, QcoapError code,
                            const char *message)
{
  GHashTableIter iter;
  PendingRequest *pending;

  g_hash_table_iter_init (&iter, session->requests_by_token);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&pending))
    if (pending->message_id == message_id)
      {
        g_task_return_new_error (pending->task, QCOAP_ERROR, code, "%s", message);
        g_hash_table_iter_remove (&iter);
        return;
      }
}

static void
handle_ack (Session *session, const QcoapAck *ack)
{
  qcoap_session_emit_ack (session->iface, ack->type, ack->message_id, ack->result);
  if (g_hash_table_remove (session->sends_in_flight, GUINT_TO_POINTER (ack->message_id)))
    client_pool_message_done (session->service->pool, ack->message_id);
  if (ack->type == 3)
    fail_request_by_message_id (session, ack->message_id, QCOAP_ERROR_RESET,
                                "The server rejected the request with a reset (RST)");
  else if (ack->result != 0)
    fail_request_by_message_id (session, ack->message_id, qcoap_error_from_result (ack->result),
                                ack->result == -11
                                    ? "The server did not acknowledge the request after all "
                                      "retransmissions"
                                    : "The modem could not send the request");
}

static void finish_open (Session *session, int result);

void
session_handle_urc (Session *session, const AtEvent *event)
{
  QcoapAck ack;
  QcoapInd ind;
  guint id;
  int result;

  if (event->kind == AT_EVENT_RECV)
    {
      handle_recv (session, event);
      return;
    }
  switch (qcoap_urc_classify (event->line))
    {
      case QCOAP_URC_ACK:
        if (qcoap_ack_parse (event->line, &ack, NULL))
          handle_ack (session, &ack);
        break;
      case QCOAP_URC_IND:
        if (qcoap_ind_parse (event->line, &ind, NULL))
          qcoap_session_emit_retransmission (session->iface, ind.type, ind.message_id, ind.attempt,
                                             ind.result);
        break;
      case QCOAP_URC_OPEN_RESULT:
        if (qcoap_open_result_parse (event->line, &id, &result, NULL)
            && (session->open_task || session->reopening))
          finish_open (session, result);
        break;
      case QCOAP_URC_CLOSE:
        if (qcoap_close_result_parse (event->line, &id, &result, NULL) && session->close_task)
          session_finish_close (session);
        break;
      default:
        g_debug ("Client %u: unhandled URC \"%s\"", session->id, event->line);
    }
}

/* ---- Open ----------------------------------------------------------------------------- */

static gboolean on_handle_send (QcoapSession *iface, GDBusMethodInvocation *invocation, guint8 type,
                                guint8 code, GVariant *options, GVariant *payload, GVariant *flags,
                                Session *session);
static gboolean on_handle_request (QcoapSession *iface, GDBusMethodInvocation *invocation,
                                   guint8 code, GVariant *options, GVariant *payload,
                                   GVariant *flags, Session *session);
static gboolean on_handle_close (QcoapSession *iface, GDBusMethodInvocation *invocation,
                                 Session *session);

static Session *
session_new (Service *service, guint id, const char *host, guint16 port,
             const SessionSettings *settings, uid_t owner_uid, const char *owner_name)
{
  Session *session = g_new0 (Session, 1);

  g_atomic_ref_count_init (&session->ref_count);
  session->service = service;
  session->id = id;
  session->host = g_strdup (host);
  session->port = port;
  session->settings = *settings;
  session->settings.psk_identity = g_strdup (settings->psk_identity);
  session->settings.psk_key = settings->psk_key ? g_bytes_ref (settings->psk_key) : NULL;
  session->owner_uid = owner_uid;
  session->owner_name = g_strdup (owner_name);
  session->object_path = g_strdup_printf (SERVICE_OBJECT_PATH "/Session/%u", id);
  session->cancellable = g_cancellable_new ();
  session->requests_by_token
      = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)pending_request_free);
  session->sends_in_flight = g_hash_table_new (NULL, NULL);

  session->iface = qcoap_session_skeleton_new ();
  qcoap_session_set_client_id (session->iface, (guint8)id);
  qcoap_session_set_host (session->iface, host);
  qcoap_session_set_port (session->iface, port);
  qcoap_session_set_secure (session->iface, settings->psk_identity != NULL);
  qcoap_session_set_persistent (session->iface, settings->persistent);
  qcoap_session_set_owner (session->iface, (guint32)owner_uid);
  g_signal_connect (session->iface, "handle-send", G_CALLBACK (on_handle_send), session);
  g_signal_connect (session->iface, "handle-request", G_CALLBACK (on_handle_request), session);
  g_signal_connect (session->iface, "handle-close", G_CALLBACK (on_handle_close), session);
  session->object = qcoap_object_skeleton_new (session->object_path);
  qcoap_object_skeleton_set_session (session->object, session->iface);
  set_state (session, SESSION_OPENING);
  return session;
}

static void
forget_failed_open (Session *session)
{
  Service *service = session->service;

  set_state (session, SESSION_ENDED);
  g_cancellable_cancel (session->cancellable);
  g_clear_handle_id (&session->open_timeout_source, g_source_remove);
  service->sessions[session->id] = NULL;
  forget_psk (session);
  session_unref (session); /* the service's reference */
}

typedef struct
{
  Service *service;
  guint id;
} AbandonedClient;

static void
on_abandoned_close_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree AbandonedClient *abandoned = user_data;
  g_autoptr (GPtrArray) responses = NULL;

  responses = client_pool_run_finish (abandoned->service->pool, result, NULL);
  client_pool_release (abandoned->service->pool, abandoned->id);
}

/* An open that timed out may still complete on the modem: close the client
 * ID there before it can be handed out again. */
static void
abandon_client_id (Service *service, guint id)
{
  GPtrArray *steps = g_ptr_array_new_with_free_func ((GDestroyNotify)at_step_free);
  AbandonedClient *abandoned = g_new0 (AbandonedClient, 1);

  g_ptr_array_add (
      steps, at_step_new (qcoap_cmd_close (id), AT_PAYLOAD_NONE, NULL, LOCAL_COMMAND_TIMEOUT_MS));
  abandoned->service = service;
  abandoned->id = id;
  client_pool_run (service->pool, id, steps, NULL, on_abandoned_close_done, abandoned);
}

static gboolean
retry_reopen (gpointer user_data)
{
  Session *session = user_data;

  session->reopen_retry_source = 0;
  session_reopen (session);
  return G_SOURCE_REMOVE;
}

/* A reopen can fail for a while after a restart (no data call yet: −4), so
 * it is tried again with a growing pause, up to REOPEN_ATTEMPTS times. */
static void
finish_reopen (Session *session, int result)
{
  guint pause_s;

  session->reopening = FALSE;
  if (result == 0)
    {
      g_info ("Session %u open again to %s:%u", session->id, session->host, session->port);
      session->reopen_failures = 0;
      set_state (session, SESSION_OPEN);
      touch (session);
      return;
    }
  if (++session->reopen_failures >= REOPEN_ATTEMPTS)
    {
      g_warning ("Session %u could not be opened again to %s:%u (result %d, %u attempts)",
                 session->id, session->host, session->port, result, session->reopen_failures);
      session_end (session, "error");
      return;
    }
  pause_s = MIN (1u << (session->reopen_failures - 1), 30u);
  g_info ("Session %u could not be opened again (result %d); next attempt in %u s", session->id,
          result, pause_s);
  session->reopen_retry_source = g_timeout_add_seconds (pause_s, retry_reopen, session);
}

static void
finish_open (Session *session, int result)
{
  g_autoptr (GTask) task = g_steal_pointer (&session->open_task);
  Service *service = session->service;
  guint id = session->id;

  g_clear_handle_id (&session->open_timeout_source, g_source_remove);
  if (session->reopening)
    {
      finish_reopen (session, result);
      return;
    }
  if (result != 0)
    {
      GError *error = g_error_new (QCOAP_ERROR, qcoap_error_from_result (result),
                                   "The modem could not open a session to %s:%u (result %d)",
                                   session->host, session->port, result);

      /* The client ID is free before the caller hears of the failure. */
      forget_failed_open (session);
      client_pool_release (service->pool, id);
      g_task_return_error (task, error);
      return;
    }
  g_info ("Session %u open to %s:%u for uid %u%s", id, session->host, session->port,
          (guint)session->owner_uid, session->settings.persistent ? " (persistent)" : "");
  set_state (session, SESSION_OPEN);
  service_session_added (service, session);
  if (!session->settings.persistent)
    session->owner_watch = g_bus_watch_name_on_connection (service->connection, session->owner_name,
                                                           G_BUS_NAME_WATCHER_FLAGS_NONE, NULL,
                                                           on_owner_vanished, session, NULL);
  touch (session);
  g_task_return_pointer (task, session, NULL);
}

static gboolean
on_open_timeout (gpointer user_data)
{
  Session *session = user_data;
  g_autoptr (GTask) task = g_steal_pointer (&session->open_task);
  Service *service = session->service;
  guint id = session->id;
  GError *error;

  session->open_timeout_source = 0;
  if (session->reopening)
    {
      finish_reopen (session, -2);
      return G_SOURCE_REMOVE;
    }
  error = g_error_new (QCOAP_ERROR, QCOAP_ERROR_TIMEOUT,
                       "The modem did not report the session to %s:%u as open within %u ms",
                       session->host, session->port, session->settings.timeout_ms);
  /* forget_failed_open() drops the session: nothing of it is used after. */
  forget_failed_open (session);
  abandon_client_id (service, id);
  g_task_return_error (task, error);
  return G_SOURCE_REMOVE;
}

static void
on_open_commands_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Session) session = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) responses = NULL;
  g_autoptr (GTask) task = NULL;

  responses = client_pool_run_finish (session->service->pool, result, &error);
  if (session->open_task == NULL && !session->reopening)
    return; /* the modem went away meanwhile */
  if (responses == NULL && session->reopening)
    {
      finish_reopen (session, -1);
      return;
    }
  if (responses != NULL)
    {
      /* Now wait for +QCOAPOPEN: <id>,<result>. */
      session->open_timeout_source
          = g_timeout_add (session->settings.timeout_ms, on_open_timeout, session);
      return;
    }
  /* The client ID is free before the caller hears of the failure. */
  task = g_steal_pointer (&session->open_task);
  client_pool_release (session->service->pool, session->id);
  forget_failed_open (session);
  g_task_return_error (task, g_steal_pointer (&error));
}

static void
send_connect_commands (Session *session)
{
  const SessionSettings *settings = &session->settings;
  guint id = session->id;
  GPtrArray *steps = g_ptr_array_new_with_free_func ((GDestroyNotify)at_step_free);

  g_ptr_array_add (
      steps, at_step_new (qcoap_cmd_cfg_trans (id, settings->ack_timeout, settings->max_retransmit),
                          AT_PAYLOAD_NONE, NULL, LOCAL_COMMAND_TIMEOUT_MS));
  g_ptr_array_add (steps, at_step_new (qcoap_cmd_cfg_pdpcid (id, settings->pdp_context),
                                       AT_PAYLOAD_NONE, NULL, LOCAL_COMMAND_TIMEOUT_MS));
  g_ptr_array_add (steps, at_step_new (qcoap_cmd_open (id, session->host, session->port, NULL),
                                       AT_PAYLOAD_NONE, NULL, LOCAL_COMMAND_TIMEOUT_MS));
  client_pool_run (session->service->pool, id, steps, NULL, on_open_commands_done,
                   session_ref (session));
}

static void
on_psk_installed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Session) session = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GTask) task = NULL;

  if (!dtls_psk_install_finish (result, &error))
    {
      if (session->state == SESSION_ENDED || (session->open_task == NULL && !session->reopening))
        return; /* the session ended meanwhile */
      g_info ("Client %u: the DTLS key could not be put on the modem: %s", session->id,
              error->message);
      if (session->reopening)
        {
          finish_reopen (session, -9);
          return;
        }
      task = g_steal_pointer (&session->open_task);
      client_pool_release (session->service->pool, session->id);
      forget_failed_open (session);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (session->state != SESSION_ENDED)
    send_connect_commands (session);
}

/* Configures the session's client ID and connects it (AT+QCOAPOPEN); the
 * +QCOAPOPEN URC then ends in finish_open(). Used for the first open and to
 * reopen a persistent session after the modem restarted. A DTLS session
 * first puts its key on the modem, in DTLS context N for client ID N (the
 * modem's settings of the context do not survive a restart). */
static void
session_connect (Session *session)
{
  const SessionSettings *settings = &session->settings;

  if (settings->psk_identity == NULL)
    {
      send_connect_commands (session);
      return;
    }
  dtls_psk_install (session->service->pool, session->id, session->id, settings->psk_identity,
                    settings->psk_key, session->cancellable, on_psk_installed,
                    session_ref (session));
}

void
session_open (Service *service, guint id, const char *host, guint16 port,
              const SessionSettings *settings, uid_t owner_uid, const char *owner_name,
              GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  Session *session = session_new (service, id, host, port, settings, owner_uid, owner_name);

  service->sessions[id] = session;
  session->open_task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (session->open_task, session_open);
  session_connect (session);
}

Session *
session_open_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- modem restarts --------------------------------------------------------------------- */

void
session_suspend (Session *session, const char *reason)
{
  g_autofree char *message = NULL;

  if (!session->settings.persistent || session->open_task != NULL
      || session->state == SESSION_CLOSING)
    {
      session_end (session, reason);
      return;
    }
  if (session->state == SESSION_OPENING)
    {
      /* Already waiting (the modem restarted again, or while it was being
       * reopened): go on waiting for the next "ready", with fresh attempts. */
      session->reopening = FALSE;
      session->reopen_failures = 0;
      g_clear_handle_id (&session->open_timeout_source, g_source_remove);
      return;
    }
  g_info ("Session %u (%s:%u) waits for the modem (%s)", session->id, session->host, session->port,
          reason);
  message = g_strdup_printf ("The modem went away (%s) while the call waited", reason);
  /* What was queued for the old modem session will not be sent. */
  g_cancellable_cancel (session->cancellable);
  g_object_unref (session->cancellable);
  session->cancellable = g_cancellable_new ();
  g_clear_handle_id (&session->idle_source, g_source_remove);
  fail_pending_requests (session, message);
  end_messages_in_flight (session);
  session->reopen_failures = 0;
  set_state (session, SESSION_OPENING);
}

void
session_reopen (Session *session)
{
  if (session->state != SESSION_OPENING || session->reopening || session->open_task != NULL)
    return;
  g_clear_handle_id (&session->reopen_retry_source, g_source_remove);
  /* The restarted modem holds no header and no options. */
  if (session->option_mirror)
    option_mirror_invalidate (session->option_mirror);
  session->reopening = TRUE;
  session_connect (session);
}

/* ---- Close ---------------------------------------------------------------------------- */

static void
session_finish_close (Session *session)
{
  g_autofree char *reason = g_steal_pointer (&session->close_reason);

  g_clear_handle_id (&session->close_timeout_source, g_source_remove);
  session_end (session, reason ? reason : "closed");
}

static gboolean
on_close_timeout (gpointer user_data)
{
  Session *session = user_data;

  session->close_timeout_source = 0;
  g_warning ("Client %u: no +QCOAPCLOSE result from the modem; freeing it anyway", session->id);
  session_finish_close (session);
  return G_SOURCE_REMOVE;
}

static void
on_close_command_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (Session) session = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) responses = NULL;

  responses = client_pool_run_finish (session->service->pool, result, &error);
  if (session->state == SESSION_ENDED)
    return;
  if (responses == NULL)
    {
      /* ERROR: the modem holds no session on this ID any more (it closed by
       * itself); there is nothing left to wait for. */
      g_info ("Client %u: close answered \"%s\"", session->id, error->message);
      session_finish_close (session);
      return;
    }
  session->close_timeout_source
      = g_timeout_add (CLOSE_RESULT_TIMEOUT_MS, on_close_timeout, session);
}

void
session_close (Session *session, const char *reason, GAsyncReadyCallback callback,
               gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, NULL, callback, user_data);
  GPtrArray *steps;

  g_task_set_source_tag (task, session_close);
  if (session->state == SESSION_OPENING && session->open_task == NULL)
    {
      /* Waiting for the modem to come back: the modem holds nothing. */
      session_end (session, reason);
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (session->state != SESSION_OPEN)
    {
      g_task_return_new_error (task, QCOAP_ERROR, QCOAP_ERROR_CLOSED,
                               "The session is already closing");
      return;
    }
  session->close_task = g_steal_pointer (&task);
  session->close_reason = g_strdup (reason);
  set_state (session, SESSION_CLOSING);
  g_clear_handle_id (&session->idle_source, g_source_remove);
  /* Queued messages will not be sent any more. */
  g_cancellable_cancel (session->cancellable);
  steps = g_ptr_array_new_with_free_func ((GDestroyNotify)at_step_free);
  g_ptr_array_add (steps, at_step_new (qcoap_cmd_close (session->id), AT_PAYLOAD_NONE, NULL,
                                       LOCAL_COMMAND_TIMEOUT_MS));
  client_pool_run (session->service->pool, session->id, steps, NULL, on_close_command_done,
                   session_ref (session));
}

gboolean
session_close_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- D-Bus methods ---------------------------------------------------------------------- */

typedef void (*AuthorizedFunc) (Session *session, GDBusMethodInvocation *invocation);

static void do_close (Session *session, GDBusMethodInvocation *invocation);

typedef struct
{
  Session *session;
  GDBusMethodInvocation *invocation;
  AuthorizedFunc func;
} AccessCheck;

/* Runs @func for @session's owner (or root) once the caller's uid is known. */
static void
run_if_authorized (Session *session, GDBusMethodInvocation *invocation, AuthorizedFunc func,
                   uid_t uid)
{
  if (uid != 0 && uid != session->owner_uid)
    {
      g_info ("uid %u denied access to session %u of uid %u", (guint)uid, session->id,
              (guint)session->owner_uid);
      g_dbus_method_invocation_return_error (invocation, QCOAP_ERROR, QCOAP_ERROR_ACCESS_DENIED,
                                             "Session %u belongs to another user", session->id);
      return;
    }
  if (session->state == SESSION_OPENING && func != do_close)
    {
      g_dbus_method_invocation_return_error (
          invocation, QCOAP_ERROR, QCOAP_ERROR_MODEM_UNAVAILABLE,
          "Session %u waits for the modem to come back; it reopens by itself", session->id);
      return;
    }
  if (session->state != SESSION_OPEN && func != do_close)
    {
      g_dbus_method_invocation_return_error (invocation, QCOAP_ERROR, QCOAP_ERROR_CLOSED,
                                             "Session %u is %s", session->id,
                                             state_names[session->state]);
      return;
    }
  touch (session);
  func (session, invocation);
}

static void
on_caller_uid (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree AccessCheck *check = user_data;
  g_autoptr (Session) session = check->session;
  g_autoptr (GError) error = NULL;
  uid_t uid;

  if (!service_get_caller_uid_finish (result, &uid, &error))
    service_return_error (check->invocation, error);
  else
    run_if_authorized (session, check->invocation, check->func, uid);
}

/* Runs @func once the caller is known to be the session's owner or root. The
 * caller is identified by the bus, never by anything it sends. A caller seen
 * before is known at once: going through a GTask there would cost a main-loop
 * iteration per method call, since a task completed in the iteration that
 * created it returns from an idle. */
static void
check_access (Session *session, GDBusMethodInvocation *invocation, AuthorizedFunc func)
{
  const char *sender = g_dbus_method_invocation_get_sender (invocation);
  AccessCheck *check;
  uid_t uid;

  if (service_lookup_caller_uid (session->service, sender, &uid))
    {
      run_if_authorized (session, invocation, func, uid);
      return;
    }
  check = g_new0 (AccessCheck, 1);
  check->session = session_ref (session);
  check->invocation = invocation;
  check->func = func;
  service_get_caller_uid (session->service, sender, on_caller_uid, check);
}

/* Send(y type, y code, a(qv) options, ay payload, a{sv} flags) */

static gboolean
parse_send_flags (GVariant *flags, guint8 type, int *message_id, GBytes **token, GError **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *next;

  *message_id = -1;
  *token = NULL;
  g_variant_iter_init (&iter, flags);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &next))
    {
      g_autoptr (GVariant) value = next;

      if (g_str_equal (key, "message-id") && check_type (key, value, G_VARIANT_TYPE_UINT16, error))
        *message_id = g_variant_get_uint16 (value);
      else if (g_str_equal (key, "token")
               && check_type (key, value, G_VARIANT_TYPE_BYTESTRING, error))
        {
          g_clear_pointer (token, g_bytes_unref);
          *token = g_variant_get_data_as_bytes (value);
          if (g_bytes_get_size (*token) > 8)
            {
              g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                           "The token has %zu bytes; CoAP tokens have at most 8",
                           g_bytes_get_size (*token));
              return FALSE;
            }
        }
      else if (error && *error)
        return FALSE;
      else
        {
          g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                       "Unknown flag \"%s\" (Send takes \"message-id\" and \"token\")", key);
          return FALSE;
        }
    }
  if (*token == NULL)
    *token = type <= 1 ? random_token (SEND_TOKEN_LENGTH) : g_bytes_new (NULL, 0);
  return TRUE;
}

static void
on_send_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GDBusMethodInvocation *invocation = user_data;
  SendData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;

  if (!send_message_finish (result, &error))
    {
      service_return_error (invocation, error);
      return;
    }
  g_dbus_method_invocation_return_value (
      invocation,
      g_variant_new ("(q@ay)", data->message_id,
                     g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, data->token, TRUE)));
}

static void
do_send (Session *session, GDBusMethodInvocation *invocation)
{
  guint8 type, code;
  g_autoptr (GVariant) options_variant = NULL;
  g_autoptr (GVariant) payload_variant = NULL;
  g_autoptr (GVariant) flags = NULL;
  g_autoptr (GPtrArray) options = NULL;
  g_autoptr (GBytes) payload = NULL;
  g_autoptr (GBytes) token = NULL;
  g_autoptr (GError) error = NULL;
  int message_id;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(yy@a(qv)@ay@a{sv})", &type,
                 &code, &options_variant, &payload_variant, &flags);
  payload = g_variant_get_data_as_bytes (payload_variant);
  if (type > 3)
    g_set_error (&error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                 "Message type %u is not one of 0 CON, 1 NON, 2 ACK, 3 RST", type);
  if (error || !validate_code (code, &error) || !validate_payload (payload, &error)
      || !(options = qcoap_option_list_from_variant (options_variant, &error))
      || !parse_send_flags (flags, type, &message_id, &token, &error))
    {
      service_return_error (invocation, error);
      return;
    }
  if (message_id < 0)
    message_id = client_pool_take_message_id (session->service->pool);
  else if (!client_pool_claim_message_id (session->service->pool, (guint16)message_id))
    {
      g_dbus_method_invocation_return_error (
          invocation, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
          "Message ID %d is still in flight; choose another or let the daemon pick one",
          message_id);
      return;
    }
  send_message (session, type, code, (guint16)message_id, token, options, payload, on_send_done,
                invocation);
}

static gboolean
on_handle_send (QcoapSession *iface, GDBusMethodInvocation *invocation, guint8 type, guint8 code,
                GVariant *options, GVariant *payload, GVariant *flags, Session *session)
{
  check_access (session, invocation, do_send);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* Request(y code, a(qv) options, ay payload, a{sv} flags) */

static gboolean
parse_request_flags (Session *session, GVariant *flags, GPtrArray *options, gboolean *confirmable,
                     guint *timeout_ms, GError **error)
{
  g_auto (GStrv) path = NULL;
  g_auto (GStrv) query = NULL;
  GVariantIter iter;
  const char *key;
  GVariant *next;

  *confirmable = TRUE;
  *timeout_ms = exchange_lifetime_ms (&session->settings);
  g_variant_iter_init (&iter, flags);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &next))
    {
      g_autoptr (GVariant) value = next;
      const GVariantType *type = g_str_equal (key, "confirmable") ? G_VARIANT_TYPE_BOOLEAN
                                 : g_str_equal (key, "timeout")   ? G_VARIANT_TYPE_UINT32
                                                                  : G_VARIANT_TYPE_STRING;

      if (!g_strv_contains (
              (const char *const[]){ "confirmable", "timeout", "uri-path", "uri-query", NULL },
              key))
        {
          g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                       "Unknown flag \"%s\" (Request takes \"confirmable\", \"timeout\", "
                       "\"uri-path\" and \"uri-query\")",
                       key);
          return FALSE;
        }
      if (!check_type (key, value, type, error))
        return FALSE;
      if (g_str_equal (key, "confirmable"))
        *confirmable = g_variant_get_boolean (value);
      else if (g_str_equal (key, "timeout"))
        *timeout_ms = MAX (g_variant_get_uint32 (value), 1);
      else if (g_str_equal (key, "uri-path"))
        {
          /* An a{sv} may repeat a key: the last one counts. */
          g_strfreev (path);
          path = qcoap_split_uri_path (g_variant_get_string (value, NULL));
        }
      else
        {
          g_strfreev (query);
          query = qcoap_split_uri_query (g_variant_get_string (value, NULL));
        }
    }
  if (path
      && !qcoap_option_list_add_strings (options, QCOAP_OPTION_URI_PATH, (const char *const *)path,
                                         error))
    return FALSE;
  if (query
      && !qcoap_option_list_add_strings (options, QCOAP_OPTION_URI_QUERY,
                                         (const char *const *)query, error))
    return FALSE;
  return qcoap_option_list_check_count (options, error);
}

static void
on_request_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GDBusMethodInvocation *invocation = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) response = session_request_finish (result, &error);

  if (response == NULL)
    service_return_error (invocation, error);
  else
    g_dbus_method_invocation_return_value (invocation, response);
}

static void
do_request (Session *session, GDBusMethodInvocation *invocation)
{
  guint8 code;
  g_autoptr (GVariant) options_variant = NULL;
  g_autoptr (GVariant) payload_variant = NULL;
  g_autoptr (GVariant) flags = NULL;
  g_autoptr (GPtrArray) options = NULL;
  g_autoptr (GBytes) payload = NULL;
  g_autoptr (GError) error = NULL;
  gboolean confirmable;
  guint timeout_ms;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(y@a(qv)@ay@a{sv})", &code,
                 &options_variant, &payload_variant, &flags);
  payload = g_variant_get_data_as_bytes (payload_variant);
  if (!session_validate_request (code, payload, &error)
      || !(options = qcoap_option_list_from_variant (options_variant, &error))
      || !parse_request_flags (session, flags, options, &confirmable, &timeout_ms, &error))
    {
      service_return_error (invocation, error);
      return;
    }
  session_request (session, code, options, payload, confirmable, timeout_ms, on_request_done,
                   invocation);
}

static gboolean
on_handle_request (QcoapSession *iface, GDBusMethodInvocation *invocation, guint8 code,
                   GVariant *options, GVariant *payload, GVariant *flags, Session *session)
{
  check_access (session, invocation, do_request);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* Close() */

static void
on_close_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GDBusMethodInvocation *invocation = user_data;
  g_autoptr (GError) error = NULL;

  if (!session_close_finish (result, &error))
    service_return_error (invocation, error);
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

static void
do_close (Session *session, GDBusMethodInvocation *invocation)
{
  session_close (session, "closed", on_close_done, invocation);
}

static gboolean
on_handle_close (QcoapSession *iface, GDBusMethodInvocation *invocation, Session *session)
{
  check_access (session, invocation, do_close);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

GDBusObjectSkeleton *
session_get_object (Session *session)
{
  return G_DBUS_OBJECT_SKELETON (session->object);
}
