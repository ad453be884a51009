/* SPDX-License-Identifier: MIT */
/* session.c — see session.h. */
#include "session.h"

#include "qcoap-dbus-generated.h"
#include "qcoap-error.h"

struct _Session
{
  gatomicrefcount ref_count;
  guint id;
  char *object_path;
  char *end_reason; /* as the Closed signal said it, once ended */
  guint number;     /* of the path (see session_numbers_next()) */
  gboolean persistent;
  char *pinned_modem; /* the modem Open named: the session stays there */
  guint idle_timeout_s;
  Caller *owner;
  gulong owner_vanished_handler;
  SessionListeners *listeners; /* who hears the session's signals */
  gboolean silent;             /* the one-shot Request's: it emits no signals at all */
  CallerRegistry *callers;
  ModemClient *client;

  QcoapObjectSkeleton *object;
  QcoapSession *iface;
  guint idle_source;
  gint64 idle_deadline; /* wall-clock seconds of the idle timer's end; 0: none */

  SessionEndedFunc ended;
  gpointer ended_data;
};

/* The State property, by modem client state. */
static const char *const state_names[] = {
  [MODEM_CLIENT_OPENING] = "opening",
  [MODEM_CLIENT_OPEN] = "open",
  [MODEM_CLIENT_CLOSING] = "closing",
  [MODEM_CLIENT_ENDED] = "closed",
};

static const ModemClientListener client_listener;

/* ---- life cycle ------------------------------------------------------------------ */

Session *
session_ref (Session *session)
{
  g_atomic_ref_count_inc (&session->ref_count);
  return session;
}

static void
forget_owner (Session *session)
{
  if (session->owner_vanished_handler)
    g_clear_signal_handler (&session->owner_vanished_handler, session->owner);
}

void
session_unref (Session *session)
{
  if (!g_atomic_ref_count_dec (&session->ref_count))
    return;
  forget_owner (session);
  g_clear_pointer (&session->listeners, session_listeners_free);
  g_clear_handle_id (&session->idle_source, g_source_remove);
  g_clear_object (&session->client);
  g_clear_object (&session->owner);
  g_clear_object (&session->iface);
  g_clear_object (&session->object);
  g_free (session->object_path);
  g_free (session->pinned_modem);
  g_free (session->end_reason);
  g_free (session);
}

static gboolean on_handle_send (QcoapSession *iface, GDBusMethodInvocation *invocation, guint8 type,
                                guint8 code, GVariant *options, GVariant *payload, GVariant *flags,
                                Session *session);
static gboolean on_handle_request (QcoapSession *iface, GDBusMethodInvocation *invocation,
                                   guint8 code, GVariant *options, GVariant *payload,
                                   GVariant *flags, Session *session);
static gboolean on_handle_close (QcoapSession *iface, GDBusMethodInvocation *invocation,
                                 Session *session);
static gboolean on_handle_listen (QcoapSession *iface, GDBusMethodInvocation *invocation,
                                  Session *session);
static gboolean on_handle_unlisten (QcoapSession *iface, GDBusMethodInvocation *invocation,
                                    Session *session);

static void
create_object (Session *session, const ModemClientConfig *config, uid_t owner_uid)
{
  session->iface = qcoap_session_skeleton_new ();
  qcoap_session_set_client_id (session->iface, (guint8)session->id);
  /* Until the modem's unit takes it: the root path, as D-Bus has no empty
   * object path. */
  qcoap_session_set_modem (session->iface, "/");
  qcoap_session_set_host (session->iface, config->host);
  qcoap_session_set_port (session->iface, config->port);
  qcoap_session_set_secure (session->iface, config->psk_identity != NULL);
  qcoap_session_set_persistent (session->iface, config->persistent);
  qcoap_session_set_owner (session->iface, (guint32)owner_uid);
  qcoap_session_set_state (session->iface, state_names[MODEM_CLIENT_OPENING]);
  g_signal_connect (session->iface, "handle-send", G_CALLBACK (on_handle_send), session);
  g_signal_connect (session->iface, "handle-request", G_CALLBACK (on_handle_request), session);
  g_signal_connect (session->iface, "handle-close", G_CALLBACK (on_handle_close), session);
  g_signal_connect (session->iface, "handle-listen", G_CALLBACK (on_handle_listen), session);
  g_signal_connect (session->iface, "handle-unlisten", G_CALLBACK (on_handle_unlisten), session);
  session->object = qcoap_object_skeleton_new (session->object_path);
  qcoap_object_skeleton_set_session (session->object, session->iface);
}

Session *
session_new (ClientPool *pool, CallerRegistry *callers, guint id, guint number, const char *host,
             guint16 port, const OpenArgs *args, const SessionLimits *limits, Caller *owner,
             SessionEndedFunc ended, gpointer user_data)
{
  Session *session = g_new0 (Session, 1);
  ModemClientConfig config = {
    .host = (char *)host,
    .port = port,
    .pdp_context = args->pdp_context,
    .ack_timeout = args->ack_timeout,
    .max_retransmit = args->max_retransmit,
    .open_timeout_ms = args->timeout_ms,
    .persistent = args->persistent,
    .psk_identity = args->psk_identity,
    .psk_key = args->psk_key,
    .queue_limit = limits->queue_limit,
    .max_in_flight = limits->max_in_flight,
  };

  g_atomic_ref_count_init (&session->ref_count);
  session->id = id;
  session->number = number != 0 ? number : session_numbers_next ();
  session_numbers_reserve (session->number);
  session->object_path = g_strdup_printf (SESSION_OBJECT_PATH_PREFIX "%u", session->number);
  session->persistent = args->persistent;
  session->pinned_modem = g_strdup (args->modem);
  session->idle_timeout_s = args->idle_timeout;
  session->owner = g_object_ref (owner);
  session->listeners = session_listeners_new (callers, id);
  session->silent = args->one_shot;
  session->callers = callers;
  session->ended = ended;
  session->ended_data = user_data;
  session->client = modem_client_new (pool, id, &config, &client_listener, session);
  create_object (session, &config, caller_get_uid (owner));
  if (args->listen && !session->silent)
    session_listeners_add_opener (session->listeners, owner);
  return session;
}

guint
session_get_id (Session *session)
{
  return session->id;
}

const char *
session_get_object_path (Session *session)
{
  return session->object_path;
}

void
session_set_modem (Session *session, const char *modem_path)
{
  qcoap_session_set_modem (session->iface, modem_path);
}

const char *
session_get_pinned_modem (Session *session)
{
  return session->pinned_modem;
}

gboolean
session_can_move (Session *session)
{
  return session->pinned_modem == NULL && modem_client_may_move (session->client);
}

void
session_move (Session *session, ClientPool *pool, guint id, gboolean close_old,
              const char *modem_path, gpointer ended_data)
{
  session->id = id;
  session->ended_data = ended_data;
  qcoap_session_set_client_id (session->iface, (guint8)id);
  qcoap_session_set_modem (session->iface, modem_path);
  modem_client_move (session->client, pool, id, close_old);
}

guint
session_get_number (Session *session)
{
  return session->number;
}

/* One daemon, one sequence: the next number a new session gets. */
static guint next_number = 1;

guint
session_numbers_next (void)
{
  return next_number;
}

void
session_numbers_reserve (guint number)
{
  if (number >= next_number && number < G_MAXUINT)
    next_number = number + 1;
}

const char *
session_get_end_reason (Session *session)
{
  return session->end_reason;
}

GDBusObjectSkeleton *
session_get_object (Session *session)
{
  return G_DBUS_OBJECT_SKELETON (session->object);
}

uid_t
session_get_owner_uid (Session *session)
{
  return caller_get_uid (session->owner);
}

guint
session_get_pdp_context (Session *session)
{
  return modem_client_get_config (session->client)->pdp_context;
}

/* ---- idle time and owner ---------------------------------------------------------- */

static gboolean
on_idle_timeout (gpointer user_data)
{
  Session *session = user_data;

  session->idle_source = 0;
  if (modem_client_get_state (session->client) == MODEM_CLIENT_OPEN)
    modem_client_close (session->client, "idle", NULL, NULL);
  return G_SOURCE_REMOVE;
}

/* A persistent session closes after idle-timeout seconds without a call. */
static void
touch (Session *session)
{
  if (!session->persistent || modem_client_get_state (session->client) != MODEM_CLIENT_OPEN)
    return;
  g_clear_handle_id (&session->idle_source, g_source_remove);
  session->idle_source = g_timeout_add_seconds (session->idle_timeout_s, on_idle_timeout, session);
  session->idle_deadline = g_get_real_time () / G_USEC_PER_SEC + session->idle_timeout_s;
}

static void
on_owner_vanished (Caller *owner, gpointer user_data)
{
  Session *session = user_data;

  forget_owner (session);
  g_info ("Owner (%s) of session %u left the bus", caller_describe (owner), session->id);
  if (modem_client_get_state (session->client) == MODEM_CLIENT_OPEN)
    modem_client_close (session->client, "owner-vanished", NULL, NULL);
}

/* A session that is not persistent belongs to its owner's connection too. */
static void
watch_owner (Session *session)
{
  if (session->persistent)
    return;
  if (!caller_is_on_bus (session->owner))
    {
      on_owner_vanished (session->owner, session);
      return;
    }
  session->owner_vanished_handler
      = g_signal_connect (session->owner, "vanished", G_CALLBACK (on_owner_vanished), session);
}

/* ---- listeners ---------------------------------------------------------------------- */

static gboolean
has_listeners (Session *session)
{
  return session_listeners_any (session->listeners);
}

static void
emit_to_listeners (Session *session, const char *member, GVariant *parameters)
{
  session_listeners_emit (session->listeners, G_DBUS_INTERFACE_SKELETON (session->iface), member,
                          parameters);
}

/* ---- the modem client's events ------------------------------------------------------ */

static GVariant *
bytes_variant (GBytes *bytes)
{
  return g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE);
}

/* The values every message sends (replies, Received, Ack) are built child
 * by child: g_variant_new () parses its format string on every call, which
 * cost more than building the value itself. */
#define TUPLE(...)                                                                                 \
  g_variant_new_tuple ((GVariant *[]){ __VA_ARGS__ },                                              \
                       sizeof ((GVariant *[]){ __VA_ARGS__ }) / sizeof (GVariant *))

static void
on_client_received (ModemClient *client, const ModemClientMessage *message, gpointer user_data)
{
  Session *session = user_data;

  if (!has_listeners (session) || !session_listeners_admit_received (session->listeners))
    return;
  emit_to_listeners (session, "Received",
                     TUPLE (g_variant_new_uint16 (message->message_id),
                            g_variant_new_byte (message->code), bytes_variant (message->token),
                            at_coap_option_list_to_variant (message->options),
                            bytes_variant (message->payload)));
}

static void
on_client_ack (ModemClient *client, guint8 type, guint16 message_id, int result, gpointer user_data)
{
  Session *session = user_data;

  if (has_listeners (session))
    emit_to_listeners (session, "Ack",
                       TUPLE (g_variant_new_byte (type), g_variant_new_uint16 (message_id),
                              g_variant_new_int32 (result)));
}

static void
on_client_retransmission (ModemClient *client, guint8 type, guint16 message_id, guint attempt,
                          int result, gpointer user_data)
{
  Session *session = user_data;

  if (has_listeners (session))
    emit_to_listeners (session, "Retransmission",
                       g_variant_new ("(yqui)", type, message_id, attempt, result));
}

static void
on_client_state_changed (ModemClient *client, gpointer user_data)
{
  Session *session = user_data;
  ModemClientState state = modem_client_get_state (client);

  qcoap_session_set_state (session->iface, state_names[state]);
  if (state == MODEM_CLIENT_OPEN)
    touch (session);
  else
    g_clear_handle_id (&session->idle_source, g_source_remove);
}

static void
on_client_ended (ModemClient *client, const char *reason, gpointer user_data)
{
  g_autoptr (Session) session = session_ref (user_data);

  g_clear_handle_id (&session->idle_source, g_source_remove);
  forget_owner (session);
  if (has_listeners (session))
    emit_to_listeners (session, "Closed", g_variant_new ("(s)", reason));
  session_listeners_clear (session->listeners);
  g_free (session->end_reason);
  session->end_reason = g_strdup (reason);
  session->ended (session, session->ended_data);
}

static const ModemClientListener client_listener = {
  .received = on_client_received,
  .ack = on_client_ack,
  .retransmission = on_client_retransmission,
  .state_changed = on_client_state_changed,
  .ended = on_client_ended,
};

/* ---- what the service asks ------------------------------------------------------------ */

static void
on_client_opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Session *session = g_task_get_task_data (task);
  GError *error = NULL;

  if (!modem_client_open_finish (MODEM_CLIENT (source), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_info ("Session %u open to %s:%u for %s%s", session->id, qcoap_session_get_host (session->iface),
          qcoap_session_get_port (session->iface), caller_describe (session->owner),
          session->persistent ? " (persistent)" : "");
  g_task_return_boolean (task, TRUE);
  /* After the caller heard of it: a caller that left meanwhile still gets
   * its session closed. */
  watch_owner (session);
}

void
session_open (Session *session, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);

  g_task_set_source_tag (task, session_open);
  g_task_set_task_data (task, session_ref (session), (GDestroyNotify)session_unref);
  modem_client_open (session->client, on_client_opened, task);
}

gboolean
session_open_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == session_open, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

GVariant *
session_response_to_variant (const ModemClientMessage *response)
{
  return TUPLE (g_variant_new_byte (response->code),
                at_coap_option_list_to_variant (response->options),
                bytes_variant (response->payload));
}

static void
on_client_response (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  g_autoptr (ModemClientMessage) response
      = modem_client_request_finish (MODEM_CLIENT (source), result, &error);

  if (response == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_variant_ref_sink (session_response_to_variant (response)),
                           (GDestroyNotify)g_variant_unref);
}

void
session_request (Session *session, guint8 code, GPtrArray *options, GBytes *payload,
                 guint timeout_ms, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);

  g_task_set_source_tag (task, session_request);
  touch (session);
  modem_client_request (session->client, code, options, payload, TRUE, timeout_ms,
                        on_client_response, task);
}

GVariant *
session_request_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == session_request, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_client_closed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;

  if (modem_client_close_finish (MODEM_CLIENT (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
session_close (Session *session, const char *reason, GAsyncReadyCallback callback,
               gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);

  g_task_set_source_tag (task, session_close);
  modem_client_close (session->client, reason, on_client_closed, task);
}

gboolean
session_close_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == session_close, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
session_end (Session *session, const char *reason)
{
  modem_client_end (session->client, reason);
}

void
session_suspend (Session *session, const char *reason)
{
  modem_client_suspend (session->client, reason);
}

void
session_reopen (Session *session)
{
  modem_client_reopen (session->client);
}

/* ---- a restart of the daemon ------------------------------------------------------ */

/* The idle timer of an adopted session ends when it would have in the
 * daemon's previous run. */
static void
resume_idle_timer (Session *session, gint64 idle_deadline)
{
  gint64 remaining = idle_deadline - g_get_real_time () / G_USEC_PER_SEC;

  if (session->idle_source == 0)
    return;
  g_clear_handle_id (&session->idle_source, g_source_remove);
  session->idle_deadline = idle_deadline;
  session->idle_source
      = g_timeout_add_seconds ((guint)CLAMP (remaining, 0, G_MAXUINT), on_idle_timeout, session);
}

void
session_adopt (Session *session, gboolean held, gint64 idle_deadline)
{
  if (held)
    modem_client_adopt (session->client);
  if (held && idle_deadline > 0)
    resume_idle_timer (session, idle_deadline);
  g_info ("Session %u to %s:%u of %s %s", session->id, qcoap_session_get_host (session->iface),
          qcoap_session_get_port (session->iface), caller_describe (session->owner),
          held ? "adopted" : "waits to be opened again");
  watch_owner (session);
}

void
session_leave (Session *session)
{
  forget_owner (session);
  g_clear_handle_id (&session->idle_source, g_source_remove);
  modem_client_leave (session->client);
}

const ModemClientConfig *
session_get_config (Session *session)
{
  return modem_client_get_config (session->client);
}

guint
session_get_idle_timeout (Session *session)
{
  return session->idle_timeout_s;
}

gint64
session_get_idle_deadline (Session *session)
{
  return session->idle_source ? session->idle_deadline : 0;
}

Caller *
session_get_owner (Session *session)
{
  return session->owner;
}

/* ---- D-Bus methods -------------------------------------------------------------------- */

typedef void (*AuthorizedFunc) (Session *session, GDBusMethodInvocation *invocation,
                                Caller *caller);

static void do_close (Session *session, GDBusMethodInvocation *invocation, Caller *caller);
static void do_listen (Session *session, GDBusMethodInvocation *invocation, Caller *caller);
static void do_unlisten (Session *session, GDBusMethodInvocation *invocation, Caller *caller);

/* Whether the session can do @func's work now: a closing or waiting session
 * only takes Close, and listeners (a persistent session waiting for the
 * modem has signals to come). */
static gboolean
check_state (Session *session, AuthorizedFunc func, GError **error)
{
  ModemClientState state = modem_client_get_state (session->client);

  if (state == MODEM_CLIENT_OPEN || func == do_close || func == do_listen || func == do_unlisten)
    return TRUE;
  if (state == MODEM_CLIENT_OPENING)
    g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_MODEM_UNAVAILABLE,
                 "Session %u waits for the modem to come back; it reopens by itself", session->id);
  else
    g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_CLOSED, "Session %u is %s", session->id,
                 state_names[state]);
  return FALSE;
}

/* Runs @func for the session's owner (or root). */
static void
run_if_authorized (Session *session, GDBusMethodInvocation *invocation, AuthorizedFunc func,
                   Caller *caller)
{
  g_autoptr (GError) error = NULL;

  if (!caller_authorize (caller, session_get_owner_uid (session), &error, "Session %u", session->id)
      || !check_state (session, func, &error))
    {
      dbus_args_return_error (invocation, error);
      return;
    }
  touch (session);
  func (session, invocation, caller);
}

typedef struct
{
  Session *session;
  GDBusMethodInvocation *invocation;
  AuthorizedFunc func;
} AccessCheck;

static void
on_caller_known (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree AccessCheck *check = user_data;
  g_autoptr (Session) session = check->session;
  g_autoptr (GError) error = NULL;
  g_autoptr (Caller) caller = caller_registry_lookup_finish (session->callers, result, &error);

  if (caller == NULL)
    dbus_args_return_error (check->invocation, error);
  else
    run_if_authorized (session, check->invocation, check->func, caller);
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
  Caller *known = caller_registry_peek (session->callers, sender);
  AccessCheck *check;

  if (known)
    {
      run_if_authorized (session, invocation, func, known);
      return;
    }
  check = g_new0 (AccessCheck, 1);
  check->session = session_ref (session);
  check->invocation = invocation;
  check->func = func;
  caller_registry_lookup (session->callers, sender, NULL, on_caller_known, check);
}

/* Send(y type, y code, a(qv) options, ay payload, a{sv} flags) */

static void
on_send_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GDBusMethodInvocation *invocation = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) token = NULL;
  guint16 message_id;

  if (!modem_client_send_finish (MODEM_CLIENT (source), result, &message_id, &token, &error))
    dbus_args_return_error (invocation, error);
  else
    g_dbus_method_invocation_return_value (
        invocation, TUPLE (g_variant_new_uint16 (message_id), bytes_variant (token)));
}

static void
do_send (Session *session, GDBusMethodInvocation *invocation, Caller *caller)
{
  guint8 type, code;
  g_autoptr (GVariant) options_variant = NULL;
  g_autoptr (GVariant) payload_variant = NULL;
  g_autoptr (GVariant) flags_variant = NULL;
  g_autoptr (GPtrArray) options = NULL;
  g_autoptr (GBytes) payload = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (SendFlags) flags = { 0 };

  dbus_args_get_message (g_dbus_method_invocation_get_parameters (invocation), &type, &code,
                         &options_variant, &payload_variant, &flags_variant);
  payload = g_variant_get_data_as_bytes (payload_variant);
  if (!dbus_args_check_message (type, code, payload, &error)
      || !(options = dbus_args_build_options (options_variant, NULL, NULL, &error))
      || !send_flags_parse (&flags, flags_variant, &error)
      || !dbus_args_check_empty_message (code, options, payload, flags.token, &error))
    {
      dbus_args_return_error (invocation, error);
      return;
    }
  modem_client_send (session->client, type, code, flags.message_id, flags.token, options, payload,
                     on_send_done, invocation);
}

static gboolean
on_handle_send (QcoapSession *iface, GDBusMethodInvocation *invocation, guint8 type, guint8 code,
                GVariant *options, GVariant *payload, GVariant *flags, Session *session)
{
  check_access (session, invocation, do_send);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* Request(y code, a(qv) options, ay payload, a{sv} flags) */

static void
on_request_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GDBusMethodInvocation *invocation = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (ModemClientMessage) response
      = modem_client_request_finish (MODEM_CLIENT (source), result, &error);

  if (response == NULL)
    dbus_args_return_error (invocation, error);
  else
    g_dbus_method_invocation_return_value (invocation, session_response_to_variant (response));
}

/* The options of a Request: the caller's, then the uri-path and uri-query
 * flags as Uri-Path and Uri-Query options. */
static GPtrArray *
request_options (GVariant *options, const RequestFlags *flags, GError **error)
{
  g_auto (GStrv) path = flags->uri_path ? at_coap_split_uri_path (flags->uri_path) : NULL;
  g_auto (GStrv) query = flags->uri_query ? at_coap_split_uri_query (flags->uri_query) : NULL;

  return dbus_args_build_options (options, (const char *const *)path, (const char *const *)query,
                                  error);
}

static void
do_request (Session *session, GDBusMethodInvocation *invocation, Caller *caller)
{
  guint8 code;
  g_autoptr (GVariant) options_variant = NULL;
  g_autoptr (GVariant) payload_variant = NULL;
  g_autoptr (GVariant) flags_variant = NULL;
  g_autoptr (GPtrArray) options = NULL;
  g_autoptr (GBytes) payload = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (RequestFlags) flags = { 0 };

  dbus_args_get_message (g_dbus_method_invocation_get_parameters (invocation), NULL, &code,
                         &options_variant, &payload_variant, &flags_variant);
  payload = g_variant_get_data_as_bytes (payload_variant);
  if (!dbus_args_check_request (code, payload, &error)
      || !request_flags_parse (&flags, flags_variant, &error)
      || !(options = request_options (options_variant, &flags, &error)))
    {
      dbus_args_return_error (invocation, error);
      return;
    }
  modem_client_request (session->client, code, options, payload, flags.confirmable,
                        flags.timeout_ms, on_request_done, invocation);
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

  if (!modem_client_close_finish (MODEM_CLIENT (source), result, &error))
    dbus_args_return_error (invocation, error);
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

static void
do_close (Session *session, GDBusMethodInvocation *invocation, Caller *caller)
{
  modem_client_close (session->client, "closed", on_close_done, invocation);
}

static gboolean
on_handle_close (QcoapSession *iface, GDBusMethodInvocation *invocation, Session *session)
{
  check_access (session, invocation, do_close);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* Listen() and Unlisten() */

/* The one-shot Request's session has no listeners: nobody hears it. */
static void
do_listen (Session *session, GDBusMethodInvocation *invocation, Caller *caller)
{
  g_autoptr (GError) error = NULL;

  if (!session->silent && !session_listeners_add (session->listeners, caller, &error))
    {
      dbus_args_return_error (invocation, error);
      return;
    }
  qcoap_session_complete_listen (session->iface, invocation);
}

static gboolean
on_handle_listen (QcoapSession *iface, GDBusMethodInvocation *invocation, Session *session)
{
  check_access (session, invocation, do_listen);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
do_unlisten (Session *session, GDBusMethodInvocation *invocation, Caller *caller)
{
  session_listeners_remove (session->listeners, caller);
  qcoap_session_complete_unlisten (session->iface, invocation);
}

static gboolean
on_handle_unlisten (QcoapSession *iface, GDBusMethodInvocation *invocation, Session *session)
{
  check_access (session, invocation, do_unlisten);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}
