/* SPDX-License-Identifier: MIT */
/* qcoap-client-session.c — see qcoap-client-session.h. */
#include "qcoap-client-private.h"

#include <string.h>

struct _QcoapClientSession
{
  GObject parent_instance;

  QcoapSession *proxy;
  GDBusObject *object; /* the object manager's, or NULL */
  gboolean closed;
  gboolean listening;   /* the daemon addresses the session's signals to us */
  gboolean listen_sent; /* a Listen of our own is on its way */
  /* Closes asked for while qcoapd was off the bus (GTask each): sent once a
   * restarted daemon presents the session again, so the module's client ID
   * is not left open for nobody. */
  GQueue closes_when_back;
};

enum
{
  PROP_0,
  PROP_LISTENING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_RECEIVED,
  SIGNAL_ACK,
  SIGNAL_RETRANSMISSION,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_TYPE (QcoapClientSession, qcoap_client_session, G_TYPE_OBJECT)

/* ---- helpers shared with qcoap-client.c ---- */

GVariant *
_qcoap_bytes_to_variant (GBytes *bytes)
{
  g_autoptr (GBytes) empty = NULL;

  if (bytes == NULL)
    bytes = empty = g_bytes_new (NULL, 0);
  return g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE);
}

GVariant *
_qcoap_options_or_empty (GVariant *options)
{
  return options ? options : g_variant_new_array (G_VARIANT_TYPE ("(qv)"), NULL, 0);
}

GVariant *
_qcoap_dict_or_empty (GVariant *dict)
{
  return dict ? dict : g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0);
}

void
_qcoap_error_strip (GError *error)
{
  g_autofree char *refused = NULL;

  if (error == NULL || !g_dbus_error_is_remote_error (error))
    return;
  g_dbus_error_strip_remote_error (error);
  if (!g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED))
    return;
  /* The bus's policy refused the call before it reached qcoapd. */
  refused = g_strdup_printf ("the bus refused the call to qcoapd (" QCOAP_ACCESS_HINT "): %s",
                             error->message);
  g_free (error->message);
  error->message = g_steal_pointer (&refused);
}

/* ---- signals from the proxy ---- */

static void
on_received (QcoapSession *proxy, guint message_id, guchar code, GVariant *token, GVariant *options,
             GVariant *payload, QcoapClientSession *self)
{
  g_autoptr (GBytes) token_bytes = g_variant_get_data_as_bytes (token);
  g_autoptr (GBytes) payload_bytes = g_variant_get_data_as_bytes (payload);
  g_autoptr (QcoapResponse) message
      = qcoap_response_new_received (message_id, code, token_bytes, options, payload_bytes);

  g_signal_emit (self, signals[SIGNAL_RECEIVED], 0, message);
}

static void
on_ack (QcoapSession *proxy, guchar type, guint message_id, int result, QcoapClientSession *self)
{
  g_signal_emit (self, signals[SIGNAL_ACK], 0, (guint)type, message_id, result);
}

static void
on_retransmission (QcoapSession *proxy, guchar type, guint message_id, guint attempt, int result,
                   QcoapClientSession *self)
{
  g_signal_emit (self, signals[SIGNAL_RETRANSMISSION], 0, (guint)type, message_id, attempt, result);
}

static void
emit_closed_once (QcoapClientSession *self, const char *reason)
{
  GTask *task;

  if (self->closed)
    return;
  self->closed = TRUE;
  /* Whatever ended it, a close that waited for the daemon is done. */
  while ((task = g_queue_pop_head (&self->closes_when_back)) != NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, reason);
}

static void
on_closed (QcoapSession *proxy, const char *reason, QcoapClientSession *self)
{
  emit_closed_once (self, reason);
}

void
_qcoap_client_session_vanished (QcoapClientSession *self)
{
  emit_closed_once (self, "vanished");
}

static void auto_listen_done (GObject *source, GAsyncResult *result, gpointer user_data);

void
_qcoap_client_session_set_proxy (QcoapClientSession *self, QcoapSession *proxy, GDBusObject *object)
{
  gboolean moved = self->proxy != NULL;

  g_set_object (&self->object, object);
  if (self->proxy == proxy)
    return;

  if (self->proxy)
    g_signal_handlers_disconnect_by_data (self->proxy, self);
  g_set_object (&self->proxy, proxy);
  /* Without a reply timeout of our own: the daemon bounds every call
   * (Request by the exchange lifetime, up to minutes), and the bus answers
   * for it if it disappears. */
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (proxy), G_MAXINT);
  g_signal_connect_object (proxy, "received", G_CALLBACK (on_received), self, 0);
  g_signal_connect_object (proxy, "ack", G_CALLBACK (on_ack), self, 0);
  g_signal_connect_object (proxy, "retransmission", G_CALLBACK (on_retransmission), self, 0);
  g_signal_connect_object (proxy, "closed", G_CALLBACK (on_closed), self, 0);
  /* A new connection is nobody's listener: a session that listened does
   * again. */
  if (moved && self->listening)
    {
      _qcoap_client_session_set_listening (self, FALSE);
      self->listen_sent = TRUE;
      qcoap_session_call_listen (self->proxy, NULL, auto_listen_done, g_object_ref (self));
    }
}

QcoapClientSession *
_qcoap_client_session_new (QcoapSession *proxy, GDBusObject *object)
{
  QcoapClientSession *self = g_object_new (QCOAP_TYPE_CLIENT_SESSION, NULL);

  _qcoap_client_session_set_proxy (self, proxy, object);
  return self;
}

GDBusObject *
_qcoap_client_session_get_object (QcoapClientSession *self)
{
  return self->object;
}

gboolean
_qcoap_client_session_is_closed (QcoapClientSession *self)
{
  return self->closed;
}

QcoapSession *
_qcoap_client_session_get_proxy (QcoapClientSession *self)
{
  return self->proxy;
}

void
_qcoap_client_session_set_listening (QcoapClientSession *self, gboolean listening)
{
  if (self->listening == listening)
    return;
  self->listening = listening;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LISTENING]);
}

/* ---- listening ---- */

static gboolean
wants_signals (QcoapClientSession *self)
{
  for (guint i = 0; i < N_SIGNALS; i++)
    if (g_signal_has_handler_pending (self, signals[i], 0, FALSE))
      return TRUE;
  return FALSE;
}

static void
auto_listen_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (QcoapClientSession) self = user_data;
  g_autoptr (GError) error = NULL;

  self->listen_sent = FALSE;
  if (qcoap_session_call_listen_finish (QCOAP_SESSION (source), result, &error))
    _qcoap_client_session_set_listening (self, TRUE);
  else
    /* The call it preceded fails the same way, and says so. */
    g_debug ("Listen on %s: %s", g_dbus_proxy_get_object_path (G_DBUS_PROXY (source)),
             error->message);
}

/* Before each call: a program that connected a handler to one of the
 * session's signals wants them, so the session listens first. (GObject does
 * not tell when a handler is connected.) The Listen goes out on the same
 * connection before the call, so the daemon takes it first. */
static void
listen_if_wanted (QcoapClientSession *self)
{
  if (self->listening || self->listen_sent || self->closed || !wants_signals (self))
    return;
  self->listen_sent = TRUE;
  qcoap_session_call_listen (self->proxy, NULL, auto_listen_done, g_object_ref (self));
}

static void
listening_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  QcoapClientSession *self = g_task_get_source_object (task);
  gboolean listen = g_task_get_source_tag (task) == qcoap_client_session_listen;
  g_autoptr (GError) error = NULL;
  gboolean done = listen
                      ? qcoap_session_call_listen_finish (QCOAP_SESSION (source), result, &error)
                      : qcoap_session_call_unlisten_finish (QCOAP_SESSION (source), result, &error);

  if (!done)
    {
      _qcoap_error_strip (error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  _qcoap_client_session_set_listening (self, listen);
  g_task_return_boolean (task, TRUE);
}

void
qcoap_client_session_listen (QcoapClientSession *self, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (QCOAP_IS_CLIENT_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, qcoap_client_session_listen);
  qcoap_session_call_listen (self->proxy, cancellable, listening_done, task);
}

gboolean
qcoap_client_session_listen_finish (QcoapClientSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
qcoap_client_session_listen_sync (QcoapClientSession *self, GCancellable *cancellable,
                                  GError **error)
{
  g_return_val_if_fail (QCOAP_IS_CLIENT_SESSION (self), FALSE);

  if (!qcoap_session_call_listen_sync (self->proxy, cancellable, error))
    {
      _qcoap_error_strip (error ? *error : NULL);
      return FALSE;
    }
  _qcoap_client_session_set_listening (self, TRUE);
  return TRUE;
}

void
qcoap_client_session_unlisten (QcoapClientSession *self, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (QCOAP_IS_CLIENT_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, qcoap_client_session_unlisten);
  qcoap_session_call_unlisten (self->proxy, cancellable, listening_done, task);
}

gboolean
qcoap_client_session_unlisten_finish (QcoapClientSession *self, GAsyncResult *result,
                                      GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
qcoap_client_session_unlisten_sync (QcoapClientSession *self, GCancellable *cancellable,
                                    GError **error)
{
  g_return_val_if_fail (QCOAP_IS_CLIENT_SESSION (self), FALSE);

  if (!qcoap_session_call_unlisten_sync (self->proxy, cancellable, error))
    {
      _qcoap_error_strip (error ? *error : NULL);
      return FALSE;
    }
  _qcoap_client_session_set_listening (self, FALSE);
  return TRUE;
}

gboolean
qcoap_client_session_get_listening (QcoapClientSession *self)
{
  g_return_val_if_fail (QCOAP_IS_CLIENT_SESSION (self), FALSE);

  return self->listening;
}

/* ---- GObject ---- */

static void
qcoap_client_session_dispose (GObject *object)
{
  QcoapClientSession *self = QCOAP_CLIENT_SESSION (object);

  g_clear_object (&self->proxy);
  g_clear_object (&self->object);
  G_OBJECT_CLASS (qcoap_client_session_parent_class)->dispose (object);
}

static void
qcoap_client_session_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  QcoapClientSession *self = QCOAP_CLIENT_SESSION (object);

  switch (prop_id)
    {
      case PROP_LISTENING:
        g_value_set_boolean (value, self->listening);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qcoap_client_session_class_init (QcoapClientSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = qcoap_client_session_dispose;
  object_class->get_property = qcoap_client_session_get_property;

  properties[PROP_LISTENING] = g_param_spec_boolean ("listening", NULL, NULL, FALSE,
                                                     G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_RECEIVED]
      = g_signal_new ("received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 1, QCOAP_TYPE_RESPONSE);
  signals[SIGNAL_ACK]
      = g_signal_new ("ack", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_INT);
  signals[SIGNAL_RETRANSMISSION]
      = g_signal_new ("retransmission", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 4, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_INT);
  signals[SIGNAL_CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
qcoap_client_session_init (QcoapClientSession *self)
{
}

/* ---- properties ---- */

const char *
qcoap_client_session_get_object_path (QcoapClientSession *self)
{
  g_return_val_if_fail (QCOAP_IS_CLIENT_SESSION (self), NULL);

  return g_dbus_proxy_get_object_path (G_DBUS_PROXY (self->proxy));
}

guint
qcoap_client_session_get_client_id (QcoapClientSession *self)
{
  g_return_val_if_fail (QCOAP_IS_CLIENT_SESSION (self), 0);

  return qcoap_session_get_client_id (self->proxy);
}

const char *
qcoap_client_session_get_modem (QcoapClientSession *self)
{
  g_return_val_if_fail (QCOAP_IS_CLIENT_SESSION (self), NULL);

  const char *path = qcoap_session_get_modem (self->proxy);

  /* "/" is what a daemon that does not set the property holds: no modem. */
  if (path == NULL || g_str_equal (path, "/"))
    return "";
  return path;
}

const char *
qcoap_client_session_get_host (QcoapClientSession *self)
{
  g_return_val_if_fail (QCOAP_IS_CLIENT_SESSION (self), NULL);

  return qcoap_session_get_host (self->proxy) ?: "";
}

guint16
qcoap_client_session_get_port (QcoapClientSession *self)
{
  g_return_val_if_fail (QCOAP_IS_CLIENT_SESSION (self), 0);

  return qcoap_session_get_port (self->proxy);
}

gboolean
qcoap_client_session_get_secure (QcoapClientSession *self)
{
  g_return_val_if_fail (QCOAP_IS_CLIENT_SESSION (self), FALSE);

  return qcoap_session_get_secure (self->proxy);
}

gboolean
qcoap_client_session_get_persistent (QcoapClientSession *self)
{
  g_return_val_if_fail (QCOAP_IS_CLIENT_SESSION (self), FALSE);

  return qcoap_session_get_persistent (self->proxy);
}

guint
qcoap_client_session_get_owner (QcoapClientSession *self)
{
  g_return_val_if_fail (QCOAP_IS_CLIENT_SESSION (self), 0);

  return qcoap_session_get_owner (self->proxy);
}

const char *
qcoap_client_session_get_state (QcoapClientSession *self)
{
  g_return_val_if_fail (QCOAP_IS_CLIENT_SESSION (self), NULL);

  if (self->closed)
    return "closed";
  return qcoap_session_get_state (self->proxy) ?: "";
}

/* ---- Send ---- */

static void
send_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) token = NULL;
  guint16 message_id;

  if (!qcoap_session_call_send_finish (QCOAP_SESSION (source), &message_id, &token, result, &error))
    {
      _qcoap_error_strip (error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* The message ID rides in the task data, the token is the value. */
  g_task_set_task_data (task, GUINT_TO_POINTER (message_id), NULL);
  g_task_return_pointer (task, g_variant_get_data_as_bytes (token), (GDestroyNotify)g_bytes_unref);
}

void
qcoap_client_session_send (QcoapClientSession *self, QcoapMessageType type, guint8 code,
                           GVariant *options, GBytes *payload, GVariant *flags,
                           GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data)
{
  GTask *task;

  g_return_if_fail (QCOAP_IS_CLIENT_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, qcoap_client_session_send);
  listen_if_wanted (self);
  qcoap_session_call_send (self->proxy, type, code, _qcoap_options_or_empty (options),
                           _qcoap_bytes_to_variant (payload), _qcoap_dict_or_empty (flags),
                           cancellable, send_done, task);
}

gboolean
qcoap_client_session_send_finish (QcoapClientSession *self, GAsyncResult *result,
                                  guint16 *out_message_id, GBytes **out_token, GError **error)
{
  g_autoptr (GBytes) token = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  token = g_task_propagate_pointer (G_TASK (result), error);
  if (token == NULL)
    return FALSE;
  if (out_message_id)
    *out_message_id = GPOINTER_TO_UINT (g_task_get_task_data (G_TASK (result)));
  if (out_token)
    *out_token = g_steal_pointer (&token);
  return TRUE;
}

gboolean
qcoap_client_session_send_sync (QcoapClientSession *self, QcoapMessageType type, guint8 code,
                                GVariant *options, GBytes *payload, GVariant *flags,
                                guint16 *out_message_id, GBytes **out_token,
                                GCancellable *cancellable, GError **error)
{
  g_autoptr (GVariant) token = NULL;
  guint16 message_id;

  g_return_val_if_fail (QCOAP_IS_CLIENT_SESSION (self), FALSE);

  listen_if_wanted (self);
  if (!qcoap_session_call_send_sync (self->proxy, type, code, _qcoap_options_or_empty (options),
                                     _qcoap_bytes_to_variant (payload),
                                     _qcoap_dict_or_empty (flags), &message_id, &token, cancellable,
                                     error))
    {
      _qcoap_error_strip (error ? *error : NULL);
      return FALSE;
    }
  if (out_message_id)
    *out_message_id = message_id;
  if (out_token)
    *out_token = g_variant_get_data_as_bytes (token);
  return TRUE;
}

/* ---- Request ---- */

/* The caller's flags with "uri-path" and "uri-query" taken from @path
 * ("/a/b?k=v"). Floating. */
static GVariant *
request_flags (const char *path, GVariant *flags)
{
  g_autoptr (GVariantDict) dict = NULL;
  const char *query;

  if (flags)
    g_variant_ref_sink (flags);
  dict = g_variant_dict_new (flags);
  if (flags)
    g_variant_unref (flags);
  if (path != NULL)
    {
      query = strchr (path, '?');
      if (query)
        {
          g_autofree char *path_only = g_strndup (path, query - path);

          g_variant_dict_insert (dict, "uri-path", "s", path_only);
          g_variant_dict_insert (dict, "uri-query", "s", query + 1);
        }
      else
        g_variant_dict_insert (dict, "uri-path", "s", path);
    }
  return g_variant_dict_end (dict);
}

/* A response from the out-arguments of a Request call. */
static QcoapResponse *
response_from_reply (guint8 code, GVariant *options, GVariant *payload)
{
  g_autoptr (GBytes) bytes = g_variant_get_data_as_bytes (payload);

  return qcoap_response_new (code, options, bytes);
}

static void
session_request_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) options = NULL;
  g_autoptr (GVariant) payload = NULL;
  guchar code;

  if (!qcoap_session_call_request_finish (QCOAP_SESSION (source), &code, &options, &payload, result,
                                          &error))
    {
      _qcoap_error_strip (error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, response_from_reply (code, options, payload),
                         (GDestroyNotify)qcoap_response_unref);
}

void
qcoap_client_session_request (QcoapClientSession *self, guint8 code, const char *path,
                              GVariant *options, GBytes *payload, GVariant *flags,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data)
{
  GTask *task;

  g_return_if_fail (QCOAP_IS_CLIENT_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, qcoap_client_session_request);
  listen_if_wanted (self);
  qcoap_session_call_request (self->proxy, code, _qcoap_options_or_empty (options),
                              _qcoap_bytes_to_variant (payload), request_flags (path, flags),
                              cancellable, session_request_done, task);
}

QcoapResponse *
qcoap_client_session_request_finish (QcoapClientSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

QcoapResponse *
qcoap_client_session_request_sync (QcoapClientSession *self, guint8 code, const char *path,
                                   GVariant *options, GBytes *payload, GVariant *flags,
                                   GCancellable *cancellable, GError **error)
{
  g_autoptr (GVariant) response_options = NULL;
  g_autoptr (GVariant) response_payload = NULL;
  guchar response_code;

  g_return_val_if_fail (QCOAP_IS_CLIENT_SESSION (self), NULL);

  listen_if_wanted (self);
  if (!qcoap_session_call_request_sync (self->proxy, code, _qcoap_options_or_empty (options),
                                        _qcoap_bytes_to_variant (payload),
                                        request_flags (path, flags), &response_code,
                                        &response_options, &response_payload, cancellable, error))
    {
      _qcoap_error_strip (error ? *error : NULL);
      return NULL;
    }
  return response_from_reply (response_code, response_options, response_payload);
}

/* ---- Close ---- */

static void
close_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;

  QcoapClientSession *self = g_task_get_source_object (task);
  GTask *waiting;

  if (!qcoap_session_call_close_finish (QCOAP_SESSION (source), result, &error))
    {
      _qcoap_error_strip (error);
      while ((waiting = g_queue_pop_head (&self->closes_when_back)) != NULL)
        {
          g_task_return_error (waiting, g_error_copy (error));
          g_object_unref (waiting);
        }
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  emit_closed_once (self, "closed");
  g_task_return_boolean (task, TRUE);
}

/* Whether qcoapd is off the bus: a restart keeps the session, so a close
 * now waits for the daemon's return instead of failing. */
static gboolean
daemon_away (QcoapClientSession *self)
{
  g_autofree char *owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (self->proxy));

  return owner == NULL && !self->closed;
}

/* One Close for all the closes that waited: the others finish with the
 * closed signal (emit_closed_once), or with the first one's error. */
void
_qcoap_client_session_daemon_returned (QcoapClientSession *self)
{
  GTask *task;

  while ((task = g_queue_pop_head (&self->closes_when_back)) != NULL)
    {
      if (!g_task_return_error_if_cancelled (task))
        break;
      g_object_unref (task);
    }
  if (task == NULL)
    return;
  g_debug ("%s: qcoapd is back; closing the session as asked while it was away",
           g_dbus_proxy_get_object_path (G_DBUS_PROXY (self->proxy)));
  qcoap_session_call_close (self->proxy, NULL, close_done, task);
}

void
qcoap_client_session_close (QcoapClientSession *self, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (QCOAP_IS_CLIENT_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, qcoap_client_session_close);
  if (daemon_away (self))
    {
      g_queue_push_tail (&self->closes_when_back, task);
      return;
    }
  listen_if_wanted (self);
  qcoap_session_call_close (self->proxy, cancellable, close_done, task);
}

gboolean
qcoap_client_session_close_finish (QcoapClientSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
qcoap_client_session_close_sync (QcoapClientSession *self, GCancellable *cancellable,
                                 GError **error)
{
  g_return_val_if_fail (QCOAP_IS_CLIENT_SESSION (self), FALSE);

  if (daemon_away (self))
    {
      /* Nobody waits for this one: it is sent when qcoapd is back. */
      GTask *task = g_task_new (self, NULL, NULL, NULL);

      g_task_set_source_tag (task, qcoap_client_session_close);
      g_queue_push_tail (&self->closes_when_back, task);
      return TRUE;
    }
  listen_if_wanted (self);
  if (!qcoap_session_call_close_sync (self->proxy, cancellable, error))
    {
      _qcoap_error_strip (error ? *error : NULL);
      return FALSE;
    }
  /* Ended now: a later Open may be given the same object path before the
   * object manager has told of this one's removal. */
  emit_closed_once (self, "closed");
  return TRUE;
}
