/* SPDX-License-Identifier: MIT */
/* qcoap-proxy-config.c — see qcoap-proxy-config.h. */
#include "qcoap-proxy-config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qcoap-modem.h"

#define PROXY_GROUP "proxy"
/* Longer names are not group names on any system the gateway runs. */
#define GROUP_NAME_MAX 64

typedef enum
{
  KEY_ADDRESS,  /* GSocketAddress *: an IP literal and a port */
  KEY_SECONDS,  /* guint, between min and max */
  KEY_COUNT,    /* guint, between min and max */
  KEY_GROUPS,   /* GStrv: group names, separated by spaces */
  KEY_UPSTREAM, /* ProxyTarget: coap:// or coaps:// host and port */
  KEY_STRING,   /* char * */
  KEY_SECRET,   /* GBytes *, never echoed in an error */
} KeyKind;

typedef struct
{
  const char *name;
  KeyKind kind;
  gsize offset;
  guint min, max;
} KeySpec;

static const KeySpec proxy_keys[] = {
  { "Listen", KEY_ADDRESS, G_STRUCT_OFFSET (ProxyConfig, listen) },
  { "IdleTimeout", KEY_SECONDS, G_STRUCT_OFFSET (ProxyConfig, idle_timeout_s), 1, 86400 },
  { "RequestTimeout", KEY_SECONDS, G_STRUCT_OFFSET (ProxyConfig, request_timeout_s), 1, 600 },
  { "AllowedGroups", KEY_GROUPS, G_STRUCT_OFFSET (ProxyConfig, allowed_groups) },
  { "MaxClientsPerUser", KEY_COUNT, G_STRUCT_OFFSET (ProxyConfig, max_clients_per_user), 1,
    QCOAP_MODEM_MAX_CLIENTS },
};

static const KeySpec route_keys[] = {
  { "Listen", KEY_ADDRESS, G_STRUCT_OFFSET (ProxyRoute, listen) },
  { "Upstream", KEY_UPSTREAM, G_STRUCT_OFFSET (ProxyRoute, target) },
  { "PskIdentity", KEY_STRING, G_STRUCT_OFFSET (ProxyRoute, target.psk_identity) },
  { "PskKey", KEY_SECRET, G_STRUCT_OFFSET (ProxyRoute, target.psk_key) },
  { "PskKeyFile", KEY_STRING, G_STRUCT_OFFSET (ProxyRoute, psk_key_file) },
  { "AllowedGroups", KEY_GROUPS, G_STRUCT_OFFSET (ProxyRoute, allowed_groups) },
};

static const guint16 default_ports[] = { [PROXY_SCHEME_COAP] = 5683, [PROXY_SCHEME_COAPS] = 5684 };
static const char *const scheme_names[]
    = { [PROXY_SCHEME_COAP] = "coap", [PROXY_SCHEME_COAPS] = "coaps" };

/* ---- targets and routes ---- */

const char *
proxy_scheme_to_string (ProxyScheme scheme)
{
  return scheme_names[scheme];
}

char *
proxy_target_to_string (const ProxyTarget *target)
{
  gboolean ipv6 = strchr (target->host, ':') != NULL;

  return g_strdup_printf ("%s://%s%s%s:%u", scheme_names[target->scheme], ipv6 ? "[" : "",
                          target->host, ipv6 ? "]" : "", target->port);
}

void
proxy_target_copy (ProxyTarget *to, const ProxyTarget *from)
{
  to->scheme = from->scheme;
  to->host = g_strdup (from->host);
  to->port = from->port;
  to->psk_identity = g_strdup (from->psk_identity);
  to->psk_key = from->psk_key ? g_bytes_ref (from->psk_key) : NULL;
}

void
proxy_target_clear (ProxyTarget *target)
{
  g_clear_pointer (&target->host, g_free);
  g_clear_pointer (&target->psk_identity, g_free);
  g_clear_pointer (&target->psk_key, g_bytes_unref);
}

static void
route_free (ProxyRoute *route)
{
  g_free (route->name);
  g_clear_object (&route->listen);
  proxy_target_clear (&route->target);
  g_free (route->psk_key_file);
  g_strfreev (route->allowed_groups);
  g_free (route);
}

void
proxy_config_free (ProxyConfig *config)
{
  g_clear_object (&config->listen);
  g_strfreev (config->allowed_groups);
  g_ptr_array_unref (config->routes);
  g_free (config);
}

const ProxyRoute *
proxy_config_find_route (const ProxyConfig *config, ProxyScheme scheme, const char *host,
                         guint16 port)
{
  for (guint i = 0; i < config->routes->len; i++)
    {
      const ProxyRoute *route = g_ptr_array_index (config->routes, i);

      if (route->target.scheme == scheme && route->target.port == port
          && g_ascii_strcasecmp (route->target.host, host) == 0)
        return route;
    }
  return NULL;
}

/* ---- values ---- */

static gboolean
parse_address (const char *text, GSocketAddress **out, GError **error)
{
  g_autoptr (GSocketConnectable) parsed = NULL;
  g_autoptr (GInetAddress) address = NULL;
  guint16 port;

  if (*text == '\0')
    return TRUE; /* empty: no endpoint */
  parsed = g_network_address_parse (text, 0, NULL);
  if (parsed != NULL)
    address = g_inet_address_new_from_string (
        g_network_address_get_hostname (G_NETWORK_ADDRESS (parsed)));
  if (address == NULL)
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "\"%s\" is not an IP address and port (e.g. 127.0.0.1:5683, [::1]:5683)", text);
      return FALSE;
    }
  port = g_network_address_get_port (G_NETWORK_ADDRESS (parsed));
  if (port == 0)
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "\"%s\" has no port (e.g. 127.0.0.1:5683)", text);
      return FALSE;
    }
  *out = g_inet_socket_address_new (address, port);
  return TRUE;
}

static gboolean
parse_scheme (const char *name, ProxyScheme *out)
{
  for (gsize i = 0; i < G_N_ELEMENTS (scheme_names); i++)
    if (g_ascii_strcasecmp (name, scheme_names[i]) == 0)
      {
        *out = (ProxyScheme)i;
        return TRUE;
      }
  return FALSE;
}

static gboolean
parse_upstream (const char *text, ProxyTarget *out, GError **error)
{
  g_autoptr (GUri) uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  const char *path = uri ? g_uri_get_path (uri) : NULL;
  int port;

  if (uri == NULL || !parse_scheme (g_uri_get_scheme (uri), &out->scheme)
      || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "\"%s\" is not a coap:// or coaps:// URI with a host", text);
      return FALSE;
    }
  if ((*path != '\0' && strcmp (path, "/") != 0) || g_uri_get_query (uri) != NULL
      || g_uri_get_fragment (uri) != NULL || g_uri_get_userinfo (uri) != NULL)
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "\"%s\" names more than a server: give only scheme://host:port", text);
      return FALSE;
    }
  port = g_uri_get_port (uri);
  g_free (out->host);
  out->host = g_strdup (g_uri_get_host (uri));
  out->port = port > 0 ? (guint16)port : default_ports[out->scheme];
  return TRUE;
}

static gboolean
parse_number (const char *text, const KeySpec *spec, guint *out, GError **error)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, spec->min, spec->max, &value, NULL))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "\"%s\" is not a number%s from %u to %u", text,
                   spec->kind == KEY_SECONDS ? " of seconds" : "", spec->min, spec->max);
      return FALSE;
    }
  *out = (guint)value;
  return TRUE;
}

/* The portable characters of a group name (POSIX), which is what
 * groupadd takes on Debian; a leading '-' would read as an option. */
static gboolean
is_group_name (const char *name)
{
  gsize length = strlen (name);

  if (length == 0 || length > GROUP_NAME_MAX || name[0] == '-')
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isalnum (name[i]) && strchr ("._-", name[i]) == NULL)
      return FALSE;
  return TRUE;
}

/* "qcoapd sensors": names separated by spaces; empty: no group (root
 * only). */
static gboolean
parse_groups (const char *text, GStrv *out, GError **error)
{
  g_auto (GStrv) words = g_strsplit_set (text, " \t", -1);
  g_autoptr (GStrvBuilder) names = g_strv_builder_new ();

  for (gsize i = 0; words[i]; i++)
    {
      if (*words[i] == '\0')
        continue;
      if (!is_group_name (words[i]))
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                       "\"%s\" is not a group name (letters, digits, '.', '_', '-')", words[i]);
          return FALSE;
        }
      g_strv_builder_add (names, words[i]);
    }
  g_strfreev (*out);
  *out = g_strv_builder_end (names);
  return TRUE;
}

/* ---- the table-driven reader ---- */

static gboolean
read_value (const KeySpec *spec, const char *text, gpointer base, GError **error)
{
  gpointer field = G_STRUCT_MEMBER_P (base, spec->offset);

  switch (spec->kind)
    {
      case KEY_ADDRESS:
        g_clear_object ((GSocketAddress **)field);
        return parse_address (text, field, error);
      case KEY_SECONDS:
      case KEY_COUNT:
        return parse_number (text, spec, field, error);
      case KEY_GROUPS:
        return parse_groups (text, field, error);
      case KEY_UPSTREAM:
        return parse_upstream (text, field, error);
      case KEY_STRING:
        g_free (*(char **)field);
        *(char **)field = *text ? g_strdup (text) : NULL;
        return TRUE;
      case KEY_SECRET:
        g_clear_pointer ((GBytes **)field, g_bytes_unref);
        if (*text != '\0')
          *(GBytes **)field = g_bytes_new (text, strlen (text));
        return TRUE;
    }
  g_assert_not_reached ();
}

static const KeySpec *
find_spec (const KeySpec *specs, gsize n_specs, const char *key)
{
  for (gsize i = 0; i < n_specs; i++)
    if (strcmp (specs[i].name, key) == 0)
      return &specs[i];
  return NULL;
}

/* Reads every key of @group into @base; an unknown key is an error, so that
 * a misspelt one is not silently ignored. */
static gboolean
read_group (GKeyFile *file, const char *group, const KeySpec *specs, gsize n_specs, gpointer base,
            GError **error)
{
  g_auto (GStrv) keys = g_key_file_get_keys (file, group, NULL, NULL);

  for (gsize i = 0; keys && keys[i]; i++)
    {
      const KeySpec *spec = find_spec (specs, n_specs, keys[i]);
      g_autofree char *text = NULL;
      g_autoptr (GError) local_error = NULL;

      if (spec == NULL)
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                       "[%s] has no key %s", group, keys[i]);
          return FALSE;
        }
      text = g_key_file_get_string (file, group, keys[i], &local_error);
      if (text != NULL)
        read_value (spec, text, base, &local_error);
      if (local_error != NULL)
        {
          /* A secret's value never goes into a message. */
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, "[%s] %s=: %s",
                       group, keys[i],
                       spec->kind == KEY_SECRET ? "cannot be read" : local_error->message);
          return FALSE;
        }
    }
  return TRUE;
}

/* ---- routes ---- */

static gboolean
check_route (const ProxyRoute *route, GError **error)
{
  gboolean secure = route->target.scheme == PROXY_SCHEME_COAPS;
  gboolean has_key = route->target.psk_key != NULL || route->psk_key_file != NULL;
  const char *problem = NULL;

  if (route->target.host == NULL)
    problem = "needs Upstream=";
  else if (secure && (route->target.psk_identity == NULL || !has_key))
    problem = "is coaps:// and needs PskIdentity= and PskKey= or PskKeyFile=";
  else if (!secure && (route->target.psk_identity != NULL || has_key))
    problem = "is coap://, which takes no PskIdentity=, PskKey= or PskKeyFile=";
  else if (route->target.psk_key != NULL && route->psk_key_file != NULL)
    problem = "has both PskKey= and PskKeyFile=: give one";
  if (problem == NULL)
    return TRUE;
  g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, "[%s%s] %s",
               PROXY_ROUTE_GROUP_PREFIX, route->name, problem);
  return FALSE;
}

static ProxyRoute *
read_route (GKeyFile *file, const char *group, GError **error)
{
  ProxyRoute *route = g_new0 (ProxyRoute, 1);

  route->name = g_strdup (group + strlen (PROXY_ROUTE_GROUP_PREFIX));
  if (*route->name == '\0')
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
                 "[%s] needs a name: [route NAME]", group);
  else if (read_group (file, group, route_keys, G_N_ELEMENTS (route_keys), route, error)
           && check_route (route, error))
    return route;
  route_free (route);
  return NULL;
}

/* Two endpoints on one address would take each other's requests. */
static gboolean
check_listen_unique (const ProxyConfig *config, GError **error)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i <= config->routes->len; i++)
    {
      GSocketAddress *listen
          = i == 0 ? config->listen
                   : ((ProxyRoute *)g_ptr_array_index (config->routes, i - 1))->listen;
      char *text;

      if (listen == NULL)
        continue;
      text = g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (listen));
      if (!g_hash_table_add (seen, text))
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                       "Listen=%s is given twice", text);
          return FALSE;
        }
    }
  return TRUE;
}

static ProxyConfig *
config_new_default (void)
{
  ProxyConfig *config = g_new0 (ProxyConfig, 1);

  parse_address (PROXY_DEFAULT_LISTEN, &config->listen, NULL);
  config->idle_timeout_s = PROXY_DEFAULT_IDLE_TIMEOUT;
  config->request_timeout_s = PROXY_DEFAULT_REQUEST_TIMEOUT;
  config->allowed_groups = g_strsplit (PROXY_DEFAULT_ALLOWED_GROUPS, " ", -1);
  config->max_clients_per_user = PROXY_DEFAULT_MAX_CLIENTS_PER_USER;
  config->routes = g_ptr_array_new_with_free_func ((GDestroyNotify)route_free);
  return config;
}

static gboolean
read_groups (GKeyFile *file, ProxyConfig *config, GError **error)
{
  g_auto (GStrv) groups = g_key_file_get_groups (file, NULL);

  for (gsize i = 0; groups[i]; i++)
    {
      ProxyRoute *route;

      if (strcmp (groups[i], PROXY_GROUP) == 0)
        {
          if (!read_group (file, groups[i], proxy_keys, G_N_ELEMENTS (proxy_keys), config, error))
            return FALSE;
          continue;
        }
      if (!g_str_has_prefix (groups[i], PROXY_ROUTE_GROUP_PREFIX))
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
                       "Unknown group [%s]: the groups are [proxy] and [route NAME]", groups[i]);
          return FALSE;
        }
      route = read_route (file, groups[i], error);
      if (route == NULL)
        return FALSE;
      g_ptr_array_add (config->routes, route);
    }
  return TRUE;
}

ProxyConfig *
proxy_config_parse (const char *text, gsize length, GError **error)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autoptr (ProxyConfig) config = config_new_default ();

  if (!g_key_file_load_from_data (file, text, length, G_KEY_FILE_NONE, error)
      || !read_groups (file, config, error) || !check_listen_unique (config, error))
    return NULL;
  return g_steal_pointer (&config);
}

/* ---- keys ---- */

static gboolean
refuse_mode (const char *what, const char *path, guint mode, GError **error)
{
  if ((mode & (S_IROTH | S_IWOTH)) == 0)
    return TRUE;
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM,
               "%s %s may be read or written by others (mode %04o): chmod o-rw it", what, path,
               mode & 07777);
  return FALSE;
}

/* The bytes of an open key file, without one trailing newline. */
static GBytes *
read_key (int fd, const char *path, GError **error)
{
  guint8 buffer[PROXY_PSK_KEY_MAX + 2];
  struct stat st;
  ssize_t length;

  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "PskKeyFile %s is not a file", path);
      return NULL;
    }
  if (!refuse_mode ("PskKeyFile", path, st.st_mode, error))
    return NULL;
  length = read (fd, buffer, sizeof buffer);
  if (length > 0 && buffer[length - 1] == '\n')
    length--;
  if (length > 0 && buffer[length - 1] == '\r')
    length--;
  if (length <= 0 || length > PROXY_PSK_KEY_MAX)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "PskKeyFile %s must hold a key of 1 to %u bytes", path, PROXY_PSK_KEY_MAX);
      return NULL;
    }
  return g_bytes_new (buffer, length);
}

/* Opened once and checked with fstat(), so that the file checked is the
 * file read. */
static GBytes *
read_key_file (const char *path, GError **error)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  GBytes *key;

  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "PskKeyFile %s cannot be read: %s", path, g_strerror (saved));
      return NULL;
    }
  key = read_key (fd, path, error);
  close (fd);
  return key;
}

gboolean
proxy_config_load_keys (ProxyConfig *config, guint config_mode, GError **error)
{
  for (guint i = 0; i < config->routes->len; i++)
    {
      ProxyRoute *route = g_ptr_array_index (config->routes, i);
      g_autofree char *group = g_strconcat (PROXY_ROUTE_GROUP_PREFIX, route->name, NULL);

      if (route->target.psk_key != NULL)
        {
          if (!refuse_mode ("The configuration with the PskKey= of", group, config_mode, error))
            return FALSE;
          if (g_bytes_get_size (route->target.psk_key) > PROXY_PSK_KEY_MAX)
            {
              g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                           "[%s] PskKey= is longer than %u bytes", group, PROXY_PSK_KEY_MAX);
              return FALSE;
            }
        }
      else if (route->psk_key_file != NULL)
        {
          route->target.psk_key = read_key_file (route->psk_key_file, error);
          if (route->target.psk_key == NULL)
            return FALSE;
        }
    }
  return TRUE;
}

ProxyConfig *
proxy_config_load (const char *path, gboolean must_exist, GError **error)
{
  g_autoptr (ProxyConfig) config = NULL;
  g_autoptr (GError) read_error = NULL;
  g_autofree char *text = NULL;
  gsize length;
  struct stat st;

  if (!g_file_get_contents (path, &text, &length, &read_error))
    {
      if (!must_exist && g_error_matches (read_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return config_new_default ();
      g_propagate_error (error, g_steal_pointer (&read_error));
      return NULL;
    }
  config = proxy_config_parse (text, length, error);
  if (config == NULL)
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  if (stat (path, &st) < 0)
    st.st_mode = 0;
  if (!proxy_config_load_keys (config, st.st_mode, error))
    return NULL;
  return g_steal_pointer (&config);
}
