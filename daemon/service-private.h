/* service-private.h — what the manager and its sessions share. */
#pragma once

#include <sys/types.h>

#include "client-pool.h"
#include "modem.h"
#include "qcoap-dbus-generated.h"
#include "qcoap-options.h"
#include "qcoap-proto.h"
#include "service.h"

G_BEGIN_DECLS

typedef struct _Session Session;

struct _Service
{
  GDBusConnection *connection;
  ServiceConfig config;
  void (*status_func) (const char *status, gpointer user_data);
  gpointer status_data;

  QcoapManager *manager;
  GDBusObjectManagerServer *object_manager;
  Modem *modem;
  ClientPool *pool;
  Session *sessions[CLIENT_POOL_SIZE];
  GHashTable *uid_cache; /* unique bus name → uid */

  void (*stop_done) (gpointer user_data);
  gpointer stop_data;
};

/* Session settings, as Open's options give them. */
typedef struct
{
  int client_id; /* -1: any */
  guint pdp_context;
  guint ack_timeout;
  guint max_retransmit;
  gboolean persistent;
  guint idle_timeout;
  guint timeout_ms;
  char *psk_identity;
  GBytes *psk_key;
} SessionSettings;

void session_settings_init (SessionSettings *settings);
void session_settings_clear (SessionSettings *settings);
/* Reads Open's a{sv} (and Request's flags, with @extra_keys allowed). */
gboolean session_settings_parse (SessionSettings *settings, GVariant *options,
                                 const char *const *extra_keys, GError **error);

/* Opens a session on client @id, owned by @owner_uid / @owner_name. */
void session_open (Service *service, guint id, const char *host, guint16 port,
                   const SessionSettings *settings, uid_t owner_uid, const char *owner_name,
                   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
Session *session_open_finish (GAsyncResult *result, GError **error);

/* Checks a request's code (a method) and payload (at most 1024 bytes), as
 * both Request methods need before any AT traffic. */
gboolean session_validate_request (guint8 code, GBytes *payload, GError **error);

/* Sends a request on @session and waits for its response. A @timeout_ms
 * of 0 means RFC 7252's exchange lifetime for the session's settings. */
void session_request (Session *session, guint8 code, GPtrArray *options, GBytes *payload,
                      gboolean confirmable, guint timeout_ms, GAsyncReadyCallback callback,
                      gpointer user_data);
/* Returns the response as (y a(qv) ay). */
GVariant *session_request_finish (GAsyncResult *result, GError **error);

/* Closes @session on the modem, emits Closed(@reason) and frees it. */
void session_close (Session *session, const char *reason, GAsyncReadyCallback callback,
                    gpointer user_data);
gboolean session_close_finish (GAsyncResult *result, GError **error);

/* Ends @session without AT traffic. */
void session_end (Session *session, const char *reason);
/* The modem restarted or went away (@reason "modem-reset" or "modem-lost"):
 * a persistent session keeps its object and client ID and waits (State
 * "opening"); any other session ends. */
void session_suspend (Session *session, const char *reason);
/* The modem is ready again: opens a waiting persistent session again. */
void session_reopen (Session *session);
/* A URC for this session's client ID. */
void session_handle_urc (Session *session, const AtEvent *event);

Session *session_ref (Session *session);
void session_unref (Session *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Session, session_unref)

const char *session_get_object_path (Session *session);
/* The exported object (with its Session interface). */
GDBusObjectSkeleton *session_get_object (Session *session);
uid_t session_get_owner_uid (Session *session);

/* Called by sessions when they appear or disappear. */
void service_session_added (Service *service, Session *session);
void service_session_removed (Service *service, Session *session);

/* Looks up the Unix user of a bus peer (cached). */
void service_get_caller_uid (Service *service, const char *sender, GAsyncReadyCallback callback,
                             gpointer user_data);
gboolean service_get_caller_uid_finish (GAsyncResult *result, uid_t *uid, GError **error);
/* The Unix user of a bus peer if it is cached; FALSE if it must be looked up. */
gboolean service_lookup_caller_uid (Service *service, const char *sender, uid_t *uid);

/* Replies to @invocation with @error, mapping non-QCOAP errors. */
void service_return_error (GDBusMethodInvocation *invocation, const GError *error);

G_END_DECLS
