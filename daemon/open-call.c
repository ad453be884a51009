/* SPDX-License-Identifier: MIT */
/* open-call.c — see open-call.h. */
#include "open-call.h"
#include "log-level.h"

#include "client-pool.h"
#include "qcoap-cmd.h"
#include "qcoap-error.h"

struct _Opener
{
  GPtrArray *units; /* ModemUnit, the service's */
  CallerRegistry *callers;
  OpenerLimits limits;
  /* One-shot Requests waiting for a free client ID (OpenCall), oldest
   * first. */
  GQueue waiting_calls;
};

/* ---- one call ------------------------------------------------------------------- */

typedef struct
{
  Opener *opener;
  GDBusMethodInvocation *invocation;
  char *host;
  guint16 port;
  OpenArgs args;
  /* One-shot Request only (options != NULL): */
  guint8 code;
  GPtrArray *options;
  GBytes *payload;
  Session *session;
  GError *request_error;
  GVariant *response;
  ModemUnit *unit; /* where its session is */
  /* Waiting for a client ID: who asked, and until when. */
  Caller *caller;
  gint64 deadline;
  guint wait_source;
} OpenCall;

static OpenCall *
open_call_new (Opener *opener, GDBusMethodInvocation *invocation)
{
  OpenCall *call = g_new0 (OpenCall, 1);

  call->opener = opener;
  call->invocation = invocation;
  open_args_init (&call->args);
  return call;
}

static void
open_call_free (OpenCall *call)
{
  g_free (call->host);
  open_args_clear (&call->args);
  g_clear_pointer (&call->options, g_ptr_array_unref);
  g_clear_pointer (&call->payload, g_bytes_unref);
  g_clear_error (&call->request_error);
  g_clear_pointer (&call->response, g_variant_unref);
  g_clear_pointer (&call->session, session_unref);
  g_clear_handle_id (&call->wait_source, g_source_remove);
  g_clear_object (&call->caller);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OpenCall, open_call_free)

static void
fail_call (OpenCall *call, const GError *error)
{
  dbus_args_return_error (call->invocation, error);
  open_call_free (call);
}

/* ---- which modem ----------------------------------------------------------------- */

/* The modem @reference names: its configured name, or its object path. */
static ModemUnit *
find_unit (Opener *opener, const char *reference, GError **error)
{
  g_autoptr (GString) names = g_string_new (NULL);

  for (guint i = 0; i < opener->units->len; i++)
    {
      ModemUnit *unit = opener->units->pdata[i];

      if (g_str_equal (reference, modem_unit_get_name (unit))
          || g_str_equal (reference, modem_unit_get_path (unit)))
        return unit;
      g_string_append_printf (names, "%s%s", i > 0 ? ", " : "", modem_unit_get_name (unit));
    }
  g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
               "There is no modem \"%s\"; the modems are %s", reference, names->str);
  return NULL;
}

/* Whether @unit may take a session of @caller now; if not, why. */
static gboolean
unit_can_take (Opener *opener, ModemUnit *unit, Caller *caller, GError **error)
{
  return modem_unit_check_ready (unit, error)
         && modem_unit_check_share (unit, caller_get_uid (caller),
                                    opener->limits.max_clients_per_user,
                                    opener->limits.reserved_for_root, error);
}

static gboolean
check_free (ModemUnit *unit, GError **error)
{
  if (modem_unit_count_free (unit) > 0)
    return TRUE;
  g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_NO_FREE_CLIENT,
               "All %u client IDs of the modem %s are in use", QCOAP_MAX_CLIENTS,
               modem_unit_get_name (unit));
  return FALSE;
}

/* Of the refusals, the one to give: NoFreeClient if any modem gave it (a
 * one-shot Request may wait for an ID), else the first modem's. */
static void
keep_refusal (GError **kept, GError *error)
{
  if (*kept == NULL
      || (g_error_matches (error, QCOAP_ERROR, QCOAP_ERROR_NO_FREE_CLIENT)
          && !g_error_matches (*kept, QCOAP_ERROR, QCOAP_ERROR_NO_FREE_CLIENT)))
    {
      g_clear_error (kept);
      *kept = g_error_copy (error);
    }
}

/* The modem for @call's session: the one it names, the only one, or the
 * best of those that can take it now. */
static ModemUnit *
choose_unit (Opener *opener, OpenCall *call, Caller *caller, GError **error)
{
  g_autoptr (GError) refusal = NULL;
  ModemUnit *best = NULL;

  if (call->args.modem != NULL || opener->units->len == 1)
    {
      ModemUnit *unit = call->args.modem ? find_unit (opener, call->args.modem, error)
                                         : opener->units->pdata[0];

      return unit != NULL && unit_can_take (opener, unit, caller, error) ? unit : NULL;
    }
  for (guint i = 0; i < opener->units->len; i++)
    {
      ModemUnit *unit = opener->units->pdata[i];
      g_autoptr (GError) unit_error = NULL;

      if (!unit_can_take (opener, unit, caller, &unit_error) || !check_free (unit, &unit_error))
        keep_refusal (&refusal, unit_error);
      else if (best == NULL || modem_unit_is_better (unit, best))
        best = unit;
    }
  if (best == NULL)
    g_propagate_error (error, g_steal_pointer (&refusal));
  return best;
}

static void on_session_opened (GObject *source, GAsyncResult *result, gpointer user_data);

static void start_session (OpenCall *call, Caller *caller);

static gboolean
on_wait_over (gpointer user_data)
{
  OpenCall *call = user_data;
  g_autoptr (GError) error = NULL;

  call->wait_source = 0;
  g_queue_remove (&call->opener->waiting_calls, call);
  g_set_error (&error, QCOAP_ERROR, QCOAP_ERROR_NO_FREE_CLIENT,
               "No client ID of the modem became free within %u ms", call->args.timeout_ms);
  fail_call (call, error);
  return G_SOURCE_REMOVE;
}

/* How many calls of @uid wait for a client ID. */
static guint
count_waiting_of (Opener *opener, uid_t uid)
{
  guint count = 0;

  for (GList *link = opener->waiting_calls.head; link != NULL; link = link->next)
    count += caller_get_uid (((OpenCall *)link->data)->caller) == uid;
  return count;
}

/* A one-shot Request waits for a client ID to become free, within its
 * timeout; an Open answers NoFreeClient at once (its caller may close
 * another session or come back). */
static gboolean
wait_for_client (OpenCall *call, Caller *caller, const GError *error)
{
  gint64 now = g_get_monotonic_time ();
  gint64 left_ms;

  if (call->options == NULL || !g_error_matches (error, QCOAP_ERROR, QCOAP_ERROR_NO_FREE_CLIENT))
    return FALSE;
  /* Each waiting call holds memory: one user may not queue without end. */
  if (count_waiting_of (call->opener, caller_get_uid (caller))
      >= call->opener->limits.session.queue_limit)
    return FALSE;
  if (call->deadline == 0)
    call->deadline = now + (gint64)call->args.timeout_ms * G_TIME_SPAN_MILLISECOND;
  left_ms = (call->deadline - now) / G_TIME_SPAN_MILLISECOND;
  if (left_ms <= 0)
    return FALSE;
  g_set_object (&call->caller, caller);
  call->wait_source = g_timeout_add ((guint)left_ms, on_wait_over, call);
  g_queue_push_tail (&call->opener->waiting_calls, call);
  qcoapd_debug ("%s waits for a free client ID (%s)", caller_describe (caller), error->message);
  return TRUE;
}

/* Whether @call could take a free client ID now. */
static gboolean
may_take_one (Opener *opener, OpenCall *call)
{
  ModemUnit *unit = choose_unit (opener, call, call->caller, NULL);

  return unit != NULL && modem_unit_count_free (unit) > 0;
}

/* A freed ID goes to the first waiting call that may take it: a user at
 * their MaxClientsPerUser at the head of the queue does not hold up the
 * calls of others behind. */
void
opener_serve_waiting (Opener *opener)
{
  for (GList *link = opener->waiting_calls.head; link != NULL; link = link->next)
    {
      OpenCall *call = link->data;
      g_autoptr (Caller) caller = NULL;

      if (!may_take_one (opener, call))
        continue;
      g_queue_delete_link (&opener->waiting_calls, link);
      g_clear_handle_id (&call->wait_source, g_source_remove);
      caller = g_steal_pointer (&call->caller);
      start_session (call, caller);
      return;
    }
}

/* Takes a client ID for @call and opens a session on it. */
static void
start_session (OpenCall *call, Caller *caller)
{
  Opener *opener = call->opener;
  g_autoptr (GError) error = NULL;
  ModemUnit *unit = choose_unit (opener, call, caller, &error);
  Session *session;
  guint id;

  if (unit == NULL
      || !client_pool_acquire (modem_unit_get_pool (unit), call->args.client_id, &id, &error))
    {
      if (!caller_is_on_bus (caller) || !wait_for_client (call, caller, error))
        fail_call (call, error);
      return;
    }
  session
      = session_new (modem_unit_get_pool (unit), opener->callers, id, 0, call->host, call->port,
                     &call->args, &opener->limits.session, caller, modem_unit_session_ended, unit);
  call->unit = unit;
  modem_unit_add_session (unit, session);
  call->session = session_ref (session);
  session_open (session, on_session_opened, call);
}

static void
on_open_caller (GObject *source, GAsyncResult *result, gpointer user_data)
{
  OpenCall *call = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (Caller) caller = caller_registry_lookup_finish (call->opener->callers, result, &error);

  if (caller == NULL)
    fail_call (call, error);
  else
    start_session (call, caller);
}

static gboolean
validate_port (guint16 port, GError **error)
{
  if (port != 0)
    return TRUE;
  g_set_error_literal (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                       "Port 0 is not a server port; use 1-65535 (CoAP's own is 5683)");
  return FALSE;
}

/* The gateway's MaxIdleTimeout caps what a caller asks for, and the default
 * too. */
static gboolean
check_idle_timeout (Opener *opener, OpenArgs *args, GError **error)
{
  if (!args->idle_timeout_given)
    args->idle_timeout = MIN (args->idle_timeout, opener->limits.max_idle_timeout);
  if (args->idle_timeout <= opener->limits.max_idle_timeout)
    return TRUE;
  g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
               "The option \"idle-timeout\" of Open is %u s; this gateway allows at most %u s "
               "(MaxIdleTimeout)",
               args->idle_timeout, opener->limits.max_idle_timeout);
  return FALSE;
}

/* Everything the caller gave has been checked: ask the bus who it is. */
static void
start_open (OpenCall *call)
{
  caller_registry_lookup (call->opener->callers,
                          g_dbus_method_invocation_get_sender (call->invocation), NULL,
                          on_open_caller, call);
}

void
opener_open (Opener *opener, GDBusMethodInvocation *invocation, const char *host, guint16 port,
             GVariant *options)
{
  OpenCall *call = open_call_new (opener, invocation);
  g_autoptr (GError) error = NULL;

  call->host = g_strdup (host);
  call->port = port;
  if (!at_coap_validate_host (host, &error) || !validate_port (port, &error)
      || !open_args_parse (&call->args, options, &error)
      || !check_idle_timeout (opener, &call->args, &error))
    fail_call (call, error);
  else
    start_open (call);
}

static void
on_temporary_session_closed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (OpenCall) call = user_data;

  session_close_finish (result, NULL);
  if (call->response)
    g_dbus_method_invocation_return_value (call->invocation, call->response);
  else
    dbus_args_return_error (call->invocation, call->request_error);
}

static void
on_one_shot_response (GObject *source, GAsyncResult *result, gpointer user_data)
{
  OpenCall *call = user_data;

  call->response = session_request_finish (result, &call->request_error);
  session_close (call->session, "closed", on_temporary_session_closed, call);
}

static void
on_session_opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  OpenCall *call = user_data;
  g_autoptr (GError) error = NULL;

  if (!session_open_finish (result, &error))
    {
      /* The failed open gave its client ID back. */
      modem_unit_drop_session (call->unit, call->session);
      fail_call (call, error);
      return;
    }
  modem_unit_export_session (call->unit, call->session, call->options != NULL);
  if (call->options == NULL)
    {
      g_dbus_method_invocation_return_value (
          call->invocation, g_variant_new ("(o)", session_get_object_path (call->session)));
      open_call_free (call);
      return;
    }
  session_request (call->session, call->code, call->options, call->payload,
                   call->args.timeout_given ? call->args.timeout_ms : 0, on_one_shot_response,
                   call);
}

static gboolean
require_dtls_keys (const QcoapUri *uri, const OpenArgs *args, GError **error)
{
  if (!uri->secure || args->psk_identity != NULL)
    return TRUE;
  g_set_error_literal (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                       "A coaps:// URI needs the \"dtls-psk-identity\" and \"dtls-psk-key\" flags");
  return FALSE;
}

/* The one-shot Request's arguments: the URI gives the server and the
 * request's path and query; the flags are Open's options. */
static gboolean
prepare_one_shot (OpenCall *call, const char *uri_text, GVariant *options, GVariant *payload,
                  GVariant *flags, GError **error)
{
  g_autoptr (QcoapUri) uri = NULL;

  call->payload = g_variant_get_data_as_bytes (payload);
  if (!dbus_args_check_request (call->code, call->payload, error)
      || !dbus_args_check_uri (uri_text, error) || !(uri = at_coap_uri_parse (uri_text, error))
      || !(call->options = dbus_args_build_options (options, (const char *const *)uri->path,
                                                    (const char *const *)uri->query, error))
      || !open_args_parse_one_shot (&call->args, flags, error)
      || !require_dtls_keys (uri, &call->args, error))
    return FALSE;
  call->host = g_strdup (uri->host);
  call->port = uri->port;
  return TRUE;
}

void
opener_request (Opener *opener, GDBusMethodInvocation *invocation, const char *uri, guint8 code,
                GVariant *options, GVariant *payload, GVariant *flags)
{
  OpenCall *call = open_call_new (opener, invocation);
  g_autoptr (GError) error = NULL;

  call->code = code;
  if (!prepare_one_shot (call, uri, options, payload, flags, &error))
    fail_call (call, error);
  else
    start_open (call);
}

/* ---- the opener ----------------------------------------------------------------- */

Opener *
opener_new (GPtrArray *units, CallerRegistry *callers, const OpenerLimits *limits)
{
  Opener *opener = g_new0 (Opener, 1);

  opener->units = units;
  opener->callers = callers;
  opener->limits = *limits;
  g_queue_init (&opener->waiting_calls);
  return opener;
}

void
opener_free (Opener *opener)
{
  if (opener == NULL)
    return;
  g_queue_clear_full (&opener->waiting_calls, (GDestroyNotify)open_call_free);
  g_free (opener);
}

void
opener_fail_waiting (Opener *opener)
{
  g_autoptr (GError) error = g_error_new_literal (
      QCOAP_ERROR, QCOAP_ERROR_CLOSED, "qcoapd is stopping; try again once it has started again");
  OpenCall *call;

  while ((call = g_queue_pop_head (&opener->waiting_calls)) != NULL)
    fail_call (call, error);
}
