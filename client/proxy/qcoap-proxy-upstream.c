/* SPDX-License-Identifier: MIT */
/* qcoap-proxy-upstream.c — see qcoap-proxy-upstream.h. */
#include "qcoap-proxy-upstream.h"

/* Messages that arrive before anyone expects their token (a response that
 * overtook the reply to its Send) wait here, a few at most. */
#define UNCLAIMED_MAX 8
#define ROOT_UID      0

typedef enum
{
  UPSTREAM_OPENING,
  UPSTREAM_OPEN,
  UPSTREAM_GONE,
} UpstreamState;

struct _ProxyUpstreamPool
{
  ProxyDaemon *daemon;
  guint idle_timeout_s;
  guint open_timeout_ms;
  guint max_per_user;
  GHashTable *upstreams; /* key → ProxyUpstream (a reference) */
};

struct _ProxyUpstream
{
  gint ref_count;
  ProxyUpstreamPool *pool;
  char *key;
  char *description; /* "coaps://host:port", for logs */
  ProxyTarget target;
  UpstreamState state;
  QcoapClientSession *session;
  GQueue waiters; /* GTask: acquire calls waiting for the Open */
  guint users;
  guint idle_id;
  GHashTable *expected; /* token (GBytes) → Expectation */
  GQueue unclaimed;     /* QcoapResponse */
  GHashTable *holders;  /* the uids (not root) it counts for */
};

typedef struct
{
  ProxyUpstreamReceived callback;
  gpointer user_data;
} Expectation;

static ProxyUpstream *
upstream_ref (ProxyUpstream *self)
{
  g_atomic_int_inc (&self->ref_count);
  return self;
}

static void
upstream_unref (ProxyUpstream *self)
{
  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return;
  g_assert (g_queue_is_empty (&self->waiters));
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->session);
  g_clear_handle_id (&self->idle_id, g_source_remove);
  g_hash_table_unref (self->expected);
  g_hash_table_unref (self->holders);
  g_queue_clear_full (&self->unclaimed, (GDestroyNotify)qcoap_response_unref);
  proxy_target_clear (&self->target);
  g_free (self->description);
  g_free (self->key);
  g_free (self);
}

/* Everything that tells two sessions apart, the key excepted: the same
 * identity always has the same key in one configuration. */
static char *
upstream_key (const ProxyTarget *target)
{
  g_autofree char *host = g_ascii_strdown (target->host, -1);

  return g_strdup_printf ("%s://%s:%u#%s", proxy_scheme_to_string (target->scheme), host,
                          target->port, target->psk_identity ? target->psk_identity : "");
}

/* ---- the end of an upstream ---- */

static void
on_close_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  if (!qcoap_client_session_close_finish (QCOAP_CLIENT_SESSION (source), result, &error))
    g_debug ("closing an idle session: %s", error->message);
}

static void
fail_expectations (ProxyUpstream *self, const char *reason)
{
  g_autoptr (GHashTable) expected = g_steal_pointer (&self->expected);
  GHashTableIter iter;
  Expectation *expectation;

  self->expected
      = g_hash_table_new_full (g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref, g_free);
  g_hash_table_iter_init (&iter, expected);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&expectation))
    expectation->callback (NULL, reason, expectation->user_data);
}

static void
fail_waiters (ProxyUpstream *self, const GError *error)
{
  GTask *task;

  while ((task = g_queue_pop_head (&self->waiters)) != NULL)
    {
      g_task_return_error (task, g_error_copy (error));
      g_object_unref (task);
    }
}

/* Takes the upstream out of the pool: later requests open a new session. */
static void
retire (ProxyUpstream *self, const char *reason, gboolean close_session)
{
  ProxyUpstream *owned = NULL;

  if (self->state == UPSTREAM_GONE)
    return;
  self->state = UPSTREAM_GONE;
  g_clear_handle_id (&self->idle_id, g_source_remove);
  if (!g_queue_is_empty (&self->waiters))
    {
      g_autoptr (GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                              "the session to %s was given up", self->description);

      fail_waiters (self, error);
    }
  g_hash_table_steal_extended (self->pool->upstreams, self->key, NULL, (gpointer *)&owned);
  if (close_session && self->session != NULL)
    qcoap_client_session_close (self->session, NULL, on_close_done, NULL);
  fail_expectations (self, reason);
  if (owned != NULL)
    upstream_unref (owned);
}

static gboolean
on_idle_timeout (gpointer user_data)
{
  ProxyUpstream *self = user_data;

  self->idle_id = 0;
  g_debug ("%s: idle for %u s, closing its session", self->description, self->pool->idle_timeout_s);
  retire (self, "idle", TRUE);
  return G_SOURCE_REMOVE;
}

static void
on_session_closed (QcoapClientSession *session, const char *reason, ProxyUpstream *self)
{
  g_message ("%s: the session ended (%s)", self->description, reason);
  retire (self, reason, FALSE);
}

static void
on_session_received (QcoapClientSession *session, QcoapResponse *message, ProxyUpstream *self)
{
  Expectation *expectation
      = g_hash_table_lookup (self->expected, qcoap_response_get_token (message));
  Expectation copy;

  if (expectation == NULL)
    {
      g_queue_push_tail (&self->unclaimed, qcoap_response_ref (message));
      if (g_queue_get_length (&self->unclaimed) > UNCLAIMED_MAX)
        qcoap_response_unref (g_queue_pop_head (&self->unclaimed));
      return;
    }
  copy = *expectation;
  g_hash_table_remove (self->expected, qcoap_response_get_token (message));
  copy.callback (message, NULL, copy.user_data);
}

/* ---- opening ---- */

/* The pool's reference keeps it while the timer runs. */
static void
start_idle_if_unused (ProxyUpstream *self)
{
  if (self->users == 0 && self->state == UPSTREAM_OPEN && self->idle_id == 0)
    self->idle_id = g_timeout_add_seconds (self->pool->idle_timeout_s, on_idle_timeout, self);
}

static void
hand_over (ProxyUpstream *self, GTask *task)
{
  self->users++;
  g_clear_handle_id (&self->idle_id, g_source_remove);
  g_task_return_pointer (task, upstream_ref (self), (GDestroyNotify)proxy_upstream_release);
  g_object_unref (task);
}

static void
on_opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ProxyUpstream *self = user_data;
  g_autoptr (GError) error = NULL;
  QcoapClientSession *session = qcoap_client_open_finish (QCOAP_CLIENT (source), result, &error);
  GTask *task;

  if (session == NULL)
    {
      g_message ("%s: cannot open a session: %s", self->description, error->message);
      fail_waiters (self, error);
      retire (self, "open-failed", FALSE);
      upstream_unref (self);
      return;
    }
  self->session = session;
  if (self->state == UPSTREAM_GONE)
    {
      /* The pool let go of it while it opened (the proxy is stopping). */
      qcoap_client_session_close (session, NULL, on_close_done, NULL);
      upstream_unref (self);
      return;
    }
  g_signal_connect (session, "closed", G_CALLBACK (on_session_closed), self);
  g_signal_connect (session, "received", G_CALLBACK (on_session_received), self);
  g_message ("%s: session %s opened", self->description,
             qcoap_client_session_get_object_path (session));
  self->state = UPSTREAM_OPEN;
  while ((task = g_queue_pop_head (&self->waiters)) != NULL)
    hand_over (self, task);
  start_idle_if_unused (self);
  upstream_unref (self);
}

static GVariant *
open_options (ProxyUpstreamPool *pool, const ProxyTarget *target)
{
  g_auto (GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);

  g_variant_dict_insert (&dict, "timeout", "u", pool->open_timeout_ms);
  if (target->scheme == PROXY_SCHEME_COAPS)
    {
      g_variant_dict_insert (&dict, "dtls-psk-identity", "s", target->psk_identity);
      g_variant_dict_insert_value (
          &dict, "dtls-psk-key",
          g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, target->psk_key, TRUE));
    }
  return g_variant_dict_end (&dict);
}

static ProxyUpstream *
upstream_new (ProxyUpstreamPool *pool, const ProxyTarget *target, char *key)
{
  ProxyUpstream *self = g_new0 (ProxyUpstream, 1);

  self->ref_count = 1; /* the pool's */
  self->pool = pool;
  self->key = key;
  proxy_target_copy (&self->target, target);
  self->description = proxy_target_to_string (target);
  self->expected
      = g_hash_table_new_full (g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref, g_free);
  self->holders = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_hash_table_insert (pool->upstreams, self->key, self);
  return self;
}

static void
upstream_start_open (ProxyUpstream *self)
{
  g_autoptr (GError) error = NULL;
  QcoapClient *client = proxy_daemon_get_client (self->pool->daemon, &error);

  if (client == NULL)
    {
      /* The waiters hear of it from an idle: GTask returns later. */
      fail_waiters (self, error);
      retire (self, "no-daemon", FALSE);
      return;
    }
  qcoap_client_open (client, self->target.host, self->target.port,
                     open_options (self->pool, &self->target), NULL, on_opened,
                     upstream_ref (self));
}

/* ---- who holds what ---- */

/* @uid counts this session among its own until it closes. */
static void
hold (ProxyUpstream *self, uid_t uid)
{
  if (uid != ROOT_UID)
    g_hash_table_add (self->holders, GUINT_TO_POINTER (uid));
}

guint
proxy_upstream_pool_count_held (ProxyUpstreamPool *pool, uid_t uid)
{
  GHashTableIter iter;
  ProxyUpstream *upstream;
  guint count = 0;

  g_hash_table_iter_init (&iter, pool->upstreams);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&upstream))
    count += g_hash_table_contains (upstream->holders, GUINT_TO_POINTER (uid));
  return count;
}

gboolean
proxy_upstream_pool_admit (ProxyUpstreamPool *pool, const ProxyTarget *target, uid_t uid,
                           ProxyFailure *failure)
{
  g_autofree char *key = NULL;
  ProxyUpstream *upstream;

  if (uid == ROOT_UID)
    return TRUE;
  key = upstream_key (target);
  upstream = g_hash_table_lookup (pool->upstreams, key);
  if ((upstream != NULL && g_hash_table_contains (upstream->holders, GUINT_TO_POINTER (uid)))
      || proxy_upstream_pool_count_held (pool, uid) < pool->max_per_user)
    return TRUE;
  proxy_failure_set (failure, QCOAP_CODE (5, 3),
                     "user %u already uses as many sessions of qcoapd as one user may "
                     "(MaxClientsPerUser=%u)",
                     (guint)uid, pool->max_per_user);
  failure->max_age = PROXY_RETRY_BUSY_S;
  return FALSE;
}

void
proxy_upstream_pool_acquire (ProxyUpstreamPool *pool, const ProxyTarget *target, uid_t uid,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree char *key = upstream_key (target);
  ProxyUpstream *self = g_hash_table_lookup (pool->upstreams, key);

  g_task_set_source_tag (task, proxy_upstream_pool_acquire);
  if (self != NULL && self->state == UPSTREAM_OPEN)
    {
      hold (self, uid);
      hand_over (self, task);
      return;
    }
  if (self != NULL)
    {
      hold (self, uid);
      g_queue_push_tail (&self->waiters, task);
      return;
    }
  self = upstream_new (pool, target, g_steal_pointer (&key));
  hold (self, uid);
  g_queue_push_tail (&self->waiters, task);
  upstream_start_open (self);
}

ProxyUpstream *
proxy_upstream_pool_acquire_finish (ProxyUpstreamPool *pool, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- holding ---- */

void
proxy_upstream_release (ProxyUpstream *self)
{
  g_return_if_fail (self->users > 0);

  self->users--;
  start_idle_if_unused (self);
  upstream_unref (self);
}

QcoapClientSession *
proxy_upstream_get_session (ProxyUpstream *self)
{
  return self->session;
}

void
proxy_upstream_expect (ProxyUpstream *self, GBytes *token, ProxyUpstreamReceived callback,
                       gpointer user_data)
{
  Expectation *expectation;

  if (self->state == UPSTREAM_GONE)
    {
      callback (NULL, "closed", user_data);
      return;
    }
  for (GList *l = self->unclaimed.head; l != NULL; l = l->next)
    if (g_bytes_equal (qcoap_response_get_token (l->data), token))
      {
        g_autoptr (QcoapResponse) message = l->data;

        g_queue_delete_link (&self->unclaimed, l);
        callback (message, NULL, user_data);
        return;
      }
  expectation = g_new (Expectation, 1);
  expectation->callback = callback;
  expectation->user_data = user_data;
  g_hash_table_insert (self->expected, g_bytes_ref (token), expectation);
}

void
proxy_upstream_unexpect (ProxyUpstream *self, GBytes *token)
{
  g_hash_table_remove (self->expected, token);
}

/* ---- the pool ---- */

ProxyUpstreamPool *
proxy_upstream_pool_new (ProxyDaemon *daemon, guint idle_timeout_s, guint open_timeout_ms,
                         guint max_per_user)
{
  ProxyUpstreamPool *pool = g_new0 (ProxyUpstreamPool, 1);

  pool->daemon = daemon;
  pool->idle_timeout_s = idle_timeout_s;
  pool->open_timeout_ms = open_timeout_ms;
  pool->max_per_user = max_per_user;
  pool->upstreams = g_hash_table_new (g_str_hash, g_str_equal);
  return pool;
}

void
proxy_upstream_pool_free (ProxyUpstreamPool *pool)
{
  GList *upstreams = g_hash_table_get_values (pool->upstreams);

  for (GList *l = upstreams; l != NULL; l = l->next)
    retire (l->data, "closed", TRUE);
  g_list_free (upstreams);
  g_hash_table_unref (pool->upstreams);
  g_free (pool);
}
