/* SPDX-License-Identifier: MIT */
/* qcoap-proxy-config.h — the configuration of qcoap-proxy: the forward
 * proxy's address, its timeouts, and the reverse routes with their keys.
 *
 *   [proxy]
 *   Listen=127.0.0.1:5683
 *   AllowedGroups=qcoapd
 *   MaxClientsPerUser=2
 *   [route NAME]
 *   Listen=127.0.0.1:5700
 *   AllowedGroups=…  (narrows [proxy]'s)
 *   Upstream=coaps://host:5684
 *   PskIdentity=…
 *   PskKey=…  or  PskKeyFile=…
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PROXY_DEFAULT_LISTEN          "127.0.0.1:5683"
#define PROXY_DEFAULT_IDLE_TIMEOUT    60
#define PROXY_DEFAULT_REQUEST_TIMEOUT 60
#define PROXY_ROUTE_GROUP_PREFIX      "route "
/* The group that qcoapd's bus policy admits: who may use qcoapd may use the
 * proxy. */
#define PROXY_DEFAULT_ALLOWED_GROUPS "qcoapd"
/* Half of what qcoapd gives the proxy's own user by default (its
 * MaxClientsPerUser=4): one local user cannot take all of the proxy's
 * share of the modem. */
#define PROXY_DEFAULT_MAX_CLIENTS_PER_USER 2
/* Longer keys are refused: DTLS implementations take at most 64 bytes. */
#define PROXY_PSK_KEY_MAX 64

typedef enum
{
  PROXY_SCHEME_COAP,
  PROXY_SCHEME_COAPS,
} ProxyScheme;

/* One upstream server and what it takes to reach it. */
typedef struct
{
  ProxyScheme scheme;
  char *host;
  guint16 port;
  char *psk_identity; /* coaps:// only */
  GBytes *psk_key;    /* coaps:// only; never logged */
} ProxyTarget;

typedef struct
{
  char *name;
  /* NULL: the route has no local endpoint and only lends its key to forward
   * requests for the same server. */
  GSocketAddress *listen;
  ProxyTarget target;
  char *psk_key_file; /* read by proxy_config_load_keys() into target.psk_key */
  /* NULL: whoever [proxy] admits; else only those the route's groups admit
   * too (an empty list: root only). */
  GStrv allowed_groups;
} ProxyRoute;

typedef struct
{
  GSocketAddress *listen; /* the forward proxy, or NULL when Listen= is empty */
  guint idle_timeout_s;
  guint request_timeout_s;
  GStrv allowed_groups;       /* group names; root is always admitted */
  guint max_clients_per_user; /* sessions of qcoapd per user other than root */
  GPtrArray *routes;          /* ProxyRoute */
} ProxyConfig;

/* Parses the text of a configuration file; reads nothing else (key files
 * are read by proxy_config_load_keys()). */
ProxyConfig *proxy_config_parse (const char *text, gsize length, GError **error);

/* Reads each route's PskKeyFile, refusing files that others may read, and
 * refuses an inline PskKey in a configuration file that others may read
 * (@config_mode is that file's st_mode). */
gboolean proxy_config_load_keys (ProxyConfig *config, guint config_mode, GError **error);

/* Reads, parses and loads keys. A missing file gives the defaults unless
 * @must_exist. */
ProxyConfig *proxy_config_load (const char *path, gboolean must_exist, GError **error);

void proxy_config_free (ProxyConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ProxyConfig, proxy_config_free)

/* The first route whose upstream is @scheme://@host:@port (host compared
 * without case), or NULL: its key serves forward requests to that server. */
const ProxyRoute *proxy_config_find_route (const ProxyConfig *config, ProxyScheme scheme,
                                           const char *host, guint16 port);

/* "coap" or "coaps". */
const char *proxy_scheme_to_string (ProxyScheme scheme);

/* "coaps://host:port" — never the key. */
char *proxy_target_to_string (const ProxyTarget *target);

void proxy_target_copy (ProxyTarget *to, const ProxyTarget *from);
void proxy_target_clear (ProxyTarget *target);

G_END_DECLS
