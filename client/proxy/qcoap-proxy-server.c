/* SPDX-License-Identifier: MIT */
/* qcoap-proxy-server.c — see qcoap-proxy-server.h. */
#include "qcoap-proxy-server.h"

#include <glib-unix.h>
#include <string.h>

#include "qcoap-proxy-door.h"

/* Proxy-Uri is at most 1034 bytes; each segment gains at most 3 bytes of
 * option header when split. */
#define SPLIT_BUFFER_SIZE 4096
#define WELL_KNOWN_CORE   ".well-known/core"

typedef struct
{
  coap_address_t address;
  const ProxyRoute *route; /* NULL: the forward proxy */
} Listener;

struct _ProxyServer
{
  const ProxyConfig *config;
  ProxyForward *forward;
  ProxyDoor *door;
  coap_context_t *context;
  GArray *listeners; /* Listener */
  ProxyExchanges *exchanges;
  coap_resource_t *proxy_resource;
  guint io_watch;
  gboolean stopped;
};

/* The options of one request, sorted out. */
typedef struct
{
  GArray *forwarded; /* ProxyOption, pointing into the request or @storage */
  const ProxyOption *proxy_uri, *proxy_scheme, *uri_host, *uri_port;
  GArray *consumed; /* ProxyOption: the ones the proxy reads itself */
  guint8 storage[SPLIT_BUFFER_SIZE];
} RequestOptions;

static void
request_options_free (RequestOptions *options)
{
  g_array_unref (options->forwarded);
  g_array_unref (options->consumed);
  g_free (options);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RequestOptions, request_options_free)

static const Listener *
find_listener (ProxyServer *self, const coap_address_t *local)
{
  for (guint i = 0; i < self->listeners->len; i++)
    {
      const Listener *listener = &g_array_index (self->listeners, Listener, i);

      if (coap_address_equals (&listener->address, local))
        return listener;
    }
  return NULL;
}

/* ---- options ---- */

static gboolean
is_consumed (guint16 number)
{
  /* They name the server, which the proxy picks itself (RFC 7252 §5.7.2:
   * Proxy-Uri and Proxy-Scheme are consumed; Uri-Host and Uri-Port of a
   * request to a reverse route name the proxy). Hop-Limit, which
   * coap-client -P always sends, libcoap has checked and counted down
   * (RFC 8768); the next hop is the origin server, and the modem has no slot
   * for it. */
  return number == PROXY_OPTION_PROXY_URI || number == PROXY_OPTION_PROXY_SCHEME
         || number == PROXY_OPTION_URI_HOST || number == PROXY_OPTION_URI_PORT
         || number == PROXY_OPTION_HOP_LIMIT;
}

static RequestOptions *
sort_options (const coap_pdu_t *request)
{
  RequestOptions *options = g_new0 (RequestOptions, 1);
  coap_opt_iterator_t iter;
  coap_opt_t *opt;

  options->forwarded = g_array_new (FALSE, FALSE, sizeof (ProxyOption));
  options->consumed = g_array_sized_new (FALSE, FALSE, sizeof (ProxyOption), 4);
  coap_option_iterator_init (request, &iter, COAP_OPT_ALL);
  while ((opt = coap_option_next (&iter)) != NULL)
    {
      ProxyOption option = { iter.number, coap_opt_length (opt), coap_opt_value (opt) };

      g_array_append_val (is_consumed (option.number) ? options->consumed : options->forwarded,
                          option);
    }
  /* Taken once the array is complete, so the pointers stay valid; of a
   * repeated option the first counts. */
  for (guint i = options->consumed->len; i-- > 0;)
    {
      const ProxyOption *option = &g_array_index (options->consumed, ProxyOption, i);
      const ProxyOption **slot = option->number == PROXY_OPTION_PROXY_URI ? &options->proxy_uri
                                 : option->number == PROXY_OPTION_PROXY_SCHEME
                                     ? &options->proxy_scheme
                                 : option->number == PROXY_OPTION_URI_HOST ? &options->uri_host
                                 : option->number == PROXY_OPTION_URI_PORT ? &options->uri_port
                                                                           : NULL;

      if (slot != NULL)
        *slot = option;
    }
  return options;
}

/* Adds the options that coap_split_path() or coap_split_query() wrote. */
static void
add_split_options (GArray *forwarded, guint16 number, const guint8 *buffer, int count)
{
  for (; count > 0; count--)
    {
      ProxyOption option = { number, coap_opt_length (buffer), coap_opt_value (buffer) };

      g_array_append_val (forwarded, option);
      buffer += coap_opt_size (buffer);
    }
}

static void
drop_options (GArray *forwarded, guint16 number)
{
  for (guint i = forwarded->len; i-- > 0;)
    if (g_array_index (forwarded, ProxyOption, i).number == number)
      g_array_remove_index (forwarded, i);
}

static gint
compare_option_numbers (gconstpointer a, gconstpointer b, gpointer user_data)
{
  return (int)((const ProxyOption *)a)->number - (int)((const ProxyOption *)b)->number;
}

/* Proxy-Uri's path and query become Uri-Path and Uri-Query options, which
 * RFC 7252 §5.10.2 forbids next to Proxy-Uri anyway. */
static gboolean
split_uri_into_options (RequestOptions *options, const coap_uri_t *uri, ProxyFailure *failure)
{
  size_t path_length = sizeof options->storage / 2, query_length = sizeof options->storage / 2;
  guint8 *query_buffer = options->storage + path_length;
  int paths = 0, queries = 0;

  drop_options (options->forwarded, PROXY_OPTION_URI_PATH);
  drop_options (options->forwarded, PROXY_OPTION_URI_QUERY);
  if (uri->path.length > 0)
    paths = coap_split_path (uri->path.s, uri->path.length, options->storage, &path_length);
  if (uri->query.length > 0)
    queries = coap_split_query (uri->query.s, uri->query.length, query_buffer, &query_length);
  if (paths < 0 || queries < 0)
    {
      proxy_failure_set (failure, QCOAP_CODE (4, 0), "the path or query of Proxy-Uri is invalid");
      return FALSE;
    }
  add_split_options (options->forwarded, PROXY_OPTION_URI_PATH, options->storage, paths);
  add_split_options (options->forwarded, PROXY_OPTION_URI_QUERY, query_buffer, queries);
  g_qsort_with_data (options->forwarded->data, options->forwarded->len, sizeof (ProxyOption),
                     compare_option_numbers, NULL); /* stable: repeated options keep their order */
  return TRUE;
}

/* ---- where a request goes ---- */

static const char *
uri_scheme_name (coap_uri_scheme_t scheme)
{
  static const char *const names[] = { "coap", "coaps", "coap+tcp", "coaps+tcp", "http", "https" };

  return (guint)scheme < G_N_ELEMENTS (names) ? names[scheme] : "unknown";
}

static gboolean
set_scheme (coap_uri_scheme_t scheme, ProxyTarget *target, ProxyFailure *failure)
{
  if (scheme == COAP_URI_SCHEME_COAP || scheme == COAP_URI_SCHEME_COAPS)
    {
      target->scheme = scheme == COAP_URI_SCHEME_COAP ? PROXY_SCHEME_COAP : PROXY_SCHEME_COAPS;
      return TRUE;
    }
  proxy_failure_set (failure, QCOAP_CODE (5, 5),
                     "%s:// is not supported: the modem speaks coap:// and coaps:// (over UDP)",
                     uri_scheme_name (scheme));
  return FALSE;
}

/* The target of a Proxy-Scheme request: the URI is assembled from
 * Proxy-Scheme, Uri-Host and Uri-Port (RFC 7252 §6.5). */
static gboolean
target_from_proxy_scheme (const RequestOptions *options, ProxyTarget *target, ProxyFailure *failure)
{
  g_autofree char *scheme
      = g_strndup ((const char *)options->proxy_scheme->value, options->proxy_scheme->length);
  coap_uri_scheme_t parsed = g_ascii_strcasecmp (scheme, "coap") == 0    ? COAP_URI_SCHEME_COAP
                             : g_ascii_strcasecmp (scheme, "coaps") == 0 ? COAP_URI_SCHEME_COAPS
                                                                         : COAP_URI_SCHEME_HTTP;

  if (parsed == COAP_URI_SCHEME_HTTP)
    {
      proxy_failure_set (failure, QCOAP_CODE (5, 5),
                         "Proxy-Scheme %s is not supported: the modem speaks coap and coaps",
                         g_utf8_validate (scheme, -1, NULL) ? scheme : "(not text)");
      return FALSE;
    }
  if (options->uri_host == NULL)
    {
      proxy_failure_set (failure, QCOAP_CODE (4, 0), "Proxy-Scheme needs Uri-Host");
      return FALSE;
    }
  target->scheme = parsed == COAP_URI_SCHEME_COAP ? PROXY_SCHEME_COAP : PROXY_SCHEME_COAPS;
  target->host = g_strndup ((const char *)options->uri_host->value, options->uri_host->length);
  target->port = parsed == COAP_URI_SCHEME_COAP ? COAP_DEFAULT_PORT : COAPS_DEFAULT_PORT;
  if (options->uri_port != NULL)
    target->port
        = (guint16)coap_decode_var_bytes (options->uri_port->value, options->uri_port->length);
  return TRUE;
}

static gboolean
target_from_proxy_uri (RequestOptions *options, ProxyTarget *target, ProxyFailure *failure)
{
  coap_uri_t uri;

  if (coap_split_proxy_uri (options->proxy_uri->value, options->proxy_uri->length, &uri) < 0
      || uri.host.length == 0)
    {
      proxy_failure_set (failure, QCOAP_CODE (4, 0), "Proxy-Uri is not an absolute URI");
      return FALSE;
    }
  if (!set_scheme (uri.scheme, target, failure))
    return FALSE;
  target->host = g_strndup ((const char *)uri.host.s, uri.host.length);
  target->port = uri.port;
  return split_uri_into_options (options, &uri, failure);
}

/* A coaps:// server gets the key of the route that names it; the request
 * then uses that route, and is for those the route admits. */
static gboolean
add_key (ProxyServer *self, ProxyRequest *request, ProxyFailure *failure)
{
  ProxyTarget *target = &request->target;
  const ProxyRoute *route;
  g_autofree char *name = NULL;

  if (target->scheme != PROXY_SCHEME_COAPS)
    return TRUE;
  route = proxy_config_find_route (self->config, target->scheme, target->host, target->port);
  if (route != NULL)
    {
      target->psk_identity = g_strdup (route->target.psk_identity);
      target->psk_key = g_bytes_ref (route->target.psk_key);
      request->route = route;
      return TRUE;
    }
  name = proxy_target_to_string (target);
  proxy_failure_set (failure, QCOAP_CODE (5, 5),
                     "no key for %s: the proxy's configuration needs a route to it", name);
  return FALSE;
}

static gboolean
resolve_target (ProxyServer *self, const Listener *listener, gboolean proxied,
                RequestOptions *options, ProxyRequest *request, ProxyFailure *failure)
{
  ProxyTarget *target = &request->target;

  if (listener->route != NULL && proxied)
    proxy_failure_set (failure, QCOAP_CODE (5, 5),
                       "this endpoint is the route %s, not a forward proxy", listener->route->name);
  else if (listener->route != NULL)
    {
      proxy_target_copy (target, &listener->route->target);
      request->route = listener->route;
      return TRUE;
    }
  else if (!proxied)
    proxy_failure_set (failure, QCOAP_CODE (4, 4),
                       "this is a forward proxy: name the server with Proxy-Uri or Proxy-Scheme");
  else if (options->proxy_uri != NULL ? target_from_proxy_uri (options, target, failure)
                                      : target_from_proxy_scheme (options, target, failure))
    return add_key (self, request, failure);
  return FALSE;
}

/* ---- requests ---- */

/* "GET coap://host:port/a/b" for the log. */
static char *
describe (const ProxyRequest *request, const GArray *options)
{
  g_autofree char *server = proxy_target_to_string (&request->target);
  g_autoptr (GString) text = g_string_new (NULL);
  const char *method = qcoap_code_get_description (request->code);

  g_string_printf (text, "%s %s", method ? method : "?", server);
  for (guint i = 0; i < options->len; i++)
    {
      const ProxyOption *option = &g_array_index (options, ProxyOption, i);

      if (option->number == PROXY_OPTION_URI_PATH)
        {
          g_string_append_c (text, '/');
          g_string_append_len (text, (const char *)option->value, option->length);
        }
    }
  return g_utf8_make_valid (text->str, text->len);
}

static ProxyRequest *
parse_request (ProxyServer *self, coap_session_t *session, const coap_pdu_t *request,
               gboolean proxied, ProxyFailure *failure)
{
  const Listener *listener = find_listener (self, coap_session_get_addr_local (session));
  g_autoptr (ProxyRequest) parsed = g_new0 (ProxyRequest, 1);
  g_autoptr (RequestOptions) options = sort_options (request);
  const guint8 *data = NULL;
  size_t length = 0;

  if (listener == NULL)
    {
      proxy_failure_set (failure, QCOAP_CODE (5, 0), "the request came to an unknown endpoint");
      return NULL;
    }
  coap_get_data (request, &length, &data);
  if (!proxy_payload_check (length, failure)
      || !resolve_target (self, listener, proxied, options, parsed, failure))
    return NULL;
  parsed->options = proxy_options_to_variant ((const ProxyOption *)options->forwarded->data,
                                              options->forwarded->len, failure);
  if (parsed->options == NULL)
    return NULL;
  g_variant_ref_sink (parsed->options);
  parsed->code = coap_pdu_get_code (request);
  parsed->confirmable = coap_pdu_get_type (request) == COAP_MESSAGE_CON;
  parsed->payload = g_bytes_new (data, length);
  parsed->description = describe (parsed, options->forwarded);
  return g_steal_pointer (&parsed);
}

/* Whether the sender may use the proxy: its user, from the socket it sent
 * from, in @uid. */
static gboolean
admit (ProxyServer *self, coap_session_t *session, uid_t *uid, ProxyFailure *failure)
{
  const coap_address_t *remote = coap_session_get_addr_remote (session);
  const coap_address_t *local = coap_session_get_addr_local (session);

  return proxy_door_admit (self->door, &remote->addr.sa, remote->size, &local->addr.sa, local->size,
                           uid, failure);
}

/* Every method of every resource comes here. libcoap's own response is
 * used only for an answer given at once; otherwise it is left empty and
 * Non-confirmable, which libcoap drops, and the exchange answers later. */
static void
on_request (coap_resource_t *resource, coap_session_t *session, const coap_pdu_t *request,
            const coap_string_t *query, coap_pdu_t *response)
{
  ProxyServer *self = coap_get_app_data (coap_session_get_context (session));
  gboolean proxied = resource == self->proxy_resource;
  /* libcoap acknowledges a Confirmable proxy request before it calls us. */
  gboolean acked = proxied && coap_pdu_get_type (request) == COAP_MESSAGE_CON;
  ProxyFailure failure = { 0 };
  ProxyRequest *parsed = NULL;
  uid_t uid;

  /* A refused sender gets its 4.03 below; an admitted one's duplicate is
   * answered as the first was. */
  if (self->stopped
      || (admit (self, session, &uid, &failure)
          && proxy_exchanges_handle_duplicate (self->exchanges, session, request, acked)))
    {
      coap_pdu_set_type (response, COAP_MESSAGE_NON);
      return;
    }
  if (failure.code == 0)
    parsed = parse_request (self, session, request, proxied, &failure);
  if (parsed != NULL && !proxy_door_admit_route (self->door, uid, parsed->route, &failure))
    g_clear_pointer (&parsed, proxy_request_free);
  if (parsed == NULL)
    {
      g_debug ("a request from %s: %s", coap_session_str (session), failure.diagnostic);
      proxy_failure_to_pdu (&failure, response);
      proxy_failure_clear (&failure);
      return;
    }
  parsed->uid = uid;
  coap_pdu_set_type (response, COAP_MESSAGE_NON);
  proxy_forward_start (self->forward, parsed,
                       proxy_exchange_new (self->exchanges, session, request, acked));
}

/* ---- libcoap ---- */

static void
register_methods (coap_resource_t *resource)
{
  for (coap_request_t method = COAP_REQUEST_GET; method <= COAP_REQUEST_IPATCH; method++)
    coap_register_request_handler (resource, method, on_request);
}

static void
add_resources (ProxyServer *self)
{
  const char *names[] = { g_get_host_name () };
  coap_resource_t *resource = coap_resource_unknown_init2 (on_request, 0);

  register_methods (resource);
  coap_add_resource (self->context, resource);
  /* Also /.well-known/core, which libcoap would otherwise answer itself:
   * through a route it is the server's. */
  resource = coap_resource_init (
      coap_new_str_const ((const guint8 *)WELL_KNOWN_CORE, strlen (WELL_KNOWN_CORE)),
      COAP_RESOURCE_FLAGS_RELEASE_URI);
  register_methods (resource);
  coap_add_resource (self->context, resource);
  if (self->config->listen == NULL)
    return;
  /* libcoap treats a Proxy-Uri naming one of these hosts as a local
   * request (RFC 7252 §5.7.2): this machine's name, never an address. */
  self->proxy_resource = coap_resource_proxy_uri_init2 (on_request, G_N_ELEMENTS (names), names, 0);
  register_methods (self->proxy_resource);
  coap_add_resource (self->context, self->proxy_resource);
}

static gboolean
add_listener (ProxyServer *self, GSocketAddress *address, const ProxyRoute *route, GError **error)
{
  Listener listener = { .route = route };
  g_autofree char *text = g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (address));

  coap_address_init (&listener.address);
  if (!g_socket_address_to_native (address, &listener.address.addr, sizeof listener.address.addr,
                                   error))
    return FALSE;
  listener.address.size = g_socket_address_get_native_size (address);
  if (coap_new_endpoint (self->context, &listener.address, COAP_PROTO_UDP) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot listen on %s (UDP)", text);
      return FALSE;
    }
  g_array_append_val (self->listeners, listener);
  g_message ("listening on %s: %s%s", text, route ? "route " : "the forward proxy",
             route ? route->name : "");
  return TRUE;
}

static gboolean
on_coap_io (int fd, GIOCondition condition, gpointer user_data)
{
  ProxyServer *self = user_data;

  coap_io_process (self->context, COAP_IO_NO_WAIT);
  return G_SOURCE_CONTINUE;
}

static gboolean
add_listeners (ProxyServer *self, GError **error)
{
  if (self->config->listen != NULL && !add_listener (self, self->config->listen, NULL, error))
    return FALSE;
  for (guint i = 0; i < self->config->routes->len; i++)
    {
      const ProxyRoute *route = g_ptr_array_index (self->config->routes, i);

      if (route->listen != NULL && !add_listener (self, route->listen, route, error))
        return FALSE;
    }
  return TRUE;
}

ProxyServer *
proxy_server_new (const ProxyConfig *config, ProxyForward *forward, GError **error)
{
  ProxyServer *self = g_new0 (ProxyServer, 1);
  int fd;

  self->config = config;
  self->forward = forward;
  self->listeners = g_array_new (FALSE, FALSE, sizeof (Listener));
  self->door = proxy_door_new (config);
  self->context = coap_new_context (NULL);
  if (self->context == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "libcoap cannot make a context");
  else if (add_listeners (self, error))
    {
      coap_set_app_data (self->context, self);
      self->exchanges = proxy_exchanges_new (self->context);
      add_resources (self);
      fd = coap_context_get_coap_fd (self->context);
      if (fd >= 0)
        {
          self->io_watch = g_unix_fd_add (fd, G_IO_IN, on_coap_io, self);
          return self;
        }
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "this libcoap has no epoll support, which the proxy needs");
    }
  proxy_server_free (self);
  return NULL;
}

void
proxy_server_stop (ProxyServer *self)
{
  self->stopped = TRUE;
}

void
proxy_server_free (ProxyServer *self)
{
  g_clear_handle_id (&self->io_watch, g_source_remove);
  g_clear_pointer (&self->exchanges, proxy_exchanges_free);
  g_clear_pointer (&self->context, coap_free_context);
  g_array_unref (self->listeners);
  proxy_door_free (self->door);
  g_free (self);
}
