/* SPDX-License-Identifier: MIT */
/* qcoap-options.c — lookups in the modem's option table, option validation
 * and URIs. */

#include "qcoap-options.h"

#include <gio/gio.h>
#include <string.h>

#include "qcoap-error.h"

const QcoapOptionInfo *
at_coap_option_info_lookup (guint number)
{
  return qcoap_modem_option (number);
}

const QcoapOptionInfo *
at_coap_option_info_table (gsize *n_infos)
{
  *n_infos = qcoap_modem_n_options;
  return qcoap_modem_options;
}

guint
at_coap_uint_length (guint32 value)
{
  guint length = 0;

  for (; value != 0; value >>= 8)
    length++;
  return length;
}

/* --- QcoapOption ------------------------------------------------------- */

QcoapOption *
at_coap_option_new_uint (guint16 number, guint32 value)
{
  QcoapOption *option = g_new0 (QcoapOption, 1);

  option->number = number;
  option->format = QCOAP_OPTION_FORMAT_UINT;
  option->uint_value = value;
  return option;
}

QcoapOption *
at_coap_option_new_string (guint16 number, const char *text)
{
  return at_coap_option_new_bytes (number, QCOAP_OPTION_FORMAT_STRING, (const guint8 *)text,
                                   strlen (text));
}

QcoapOption *
at_coap_option_new_bytes (guint16 number, QcoapOptionFormat format, const guint8 *data,
                          gsize length)
{
  QcoapOption *option;

  g_return_val_if_fail (format != QCOAP_OPTION_FORMAT_UINT, NULL);

  option = g_new0 (QcoapOption, 1);
  option->number = number;
  option->format = format;
  option->value = g_bytes_new (data, length);
  return option;
}

void
at_coap_option_free (QcoapOption *option)
{
  if (option == NULL)
    return;
  g_clear_pointer (&option->value, g_bytes_unref);
  g_free (option);
}

/* The value's bytes as text; GBytes gives NULL for an empty value. */
static const char *
option_text (const QcoapOption *option, gsize *length)
{
  const char *data = g_bytes_get_data (option->value, length);

  return data != NULL ? data : "";
}

char *
at_coap_option_dup_string (const QcoapOption *option)
{
  gsize length;
  const char *data;

  if (option->format != QCOAP_OPTION_FORMAT_STRING)
    return NULL;
  data = option_text (option, &length);
  return g_strndup (data, length);
}

GPtrArray *
at_coap_option_list_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify)at_coap_option_free);
}

/* --- Validation --------------------------------------------------------- */

static const char *
format_dbus_type (QcoapOptionFormat format)
{
  switch (format)
    {
      case QCOAP_OPTION_FORMAT_STRING:
        return "a string (s)";
      case QCOAP_OPTION_FORMAT_UINT:
        return "an unsigned integer (u)";
      case QCOAP_OPTION_FORMAT_EMPTY:
        return "an empty byte array (ay)";
      case QCOAP_OPTION_FORMAT_OPAQUE:
      default:
        return "a byte array (ay)";
    }
}

/* "option 11 (Uri-Path)", and the position in the caller's list if known. */
static char *
describe_option (guint number, int position)
{
  const QcoapOptionInfo *info = at_coap_option_info_lookup (number);
  g_autofree char *name = info != NULL ? g_strdup_printf ("option %u (%s)", number, info->name)
                                       : g_strdup_printf ("option %u", number);

  if (position < 0)
    return g_steal_pointer (&name);
  return g_strdup_printf ("%s at position %d", name, position + 1);
}

static char *
supported_numbers (void)
{
  GString *list = g_string_new (NULL);

  for (gsize i = 0; i < qcoap_modem_n_options; i++)
    if (qcoap_modem_options[i].sendable)
      g_string_append_printf (list, "%s%u", list->len == 0 ? "" : ", ",
                              qcoap_modem_options[i].number);
  return g_string_free (list, FALSE);
}

/* An option AT+QCOAPOPTION does not take; @info is its row if it is one the
 * modem only receives. */
static gboolean
set_unsendable_error (GError **error, const char *what, const QcoapOptionInfo *info)
{
  g_autofree char *numbers = supported_numbers ();

  g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
               "%s is not supported by the modem%s; supported option numbers are %s", what,
               info != NULL ? " (it can receive it, but not send it)" : "", numbers);
  return FALSE;
}

/* The AT command quotes string values and has no escape, so a '"' or a line
 * break inside one would end the value or the command early. The message
 * names nothing: the caller prefixes what held the text. */
static gboolean
check_quotable (const char *text, gsize length, GError **error)
{
  if (!g_utf8_validate (text, length, NULL))
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT, "is not valid UTF-8");
      return FALSE;
    }
  for (gsize i = 0; i < length; i++)
    {
      guchar c = text[i];

      if (c == '"')
        {
          g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                       "contains a double quote, which the modem cannot carry");
          return FALSE;
        }
      if (c < 0x20 || c == 0x7f)
        {
          g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                       "contains the control character 0x%02x, which the modem cannot carry", c);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
check_text_is_quotable (const char *what, const char *text, gsize length, GError **error)
{
  if (check_quotable (text, length, error))
    return TRUE;
  g_prefix_error (error, "%s ", what);
  return FALSE;
}

/* Whether @option fits @info's row; the message starts after the option's
 * name, so that the name is only written for an option that is refused. */
static gboolean
check_option (const QcoapOption *option, const QcoapOptionInfo *info, GError **error)
{
  gsize length;

  if (option->format != info->format)
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT, "takes %s, not %s",
                   format_dbus_type (info->format), format_dbus_type (option->format));
      return FALSE;
    }
  if (info->format == QCOAP_OPTION_FORMAT_UINT)
    {
      length = at_coap_uint_length (option->uint_value);
      if (length <= info->max_length)
        return TRUE;
      g_set_error (
          error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
          "takes at most %u bytes, but the value %u needs %zu (largest value %" G_GUINT64_FORMAT
          ")",
          info->max_length, option->uint_value, length,
          (G_GUINT64_CONSTANT (1) << (8 * info->max_length)) - 1);
      return FALSE;
    }
  length = g_bytes_get_size (option->value);
  if (length < info->min_length || length > info->max_length)
    {
      if (info->format == QCOAP_OPTION_FORMAT_EMPTY)
        g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                     "takes no value, but %zu bytes were given", length);
      else
        g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                     "is %zu bytes long, but must be %u to %u bytes", length, info->min_length,
                     info->max_length);
      return FALSE;
    }
  if (info->format == QCOAP_OPTION_FORMAT_STRING)
    return check_quotable (option_text (option, NULL), length, error);
  return TRUE;
}

static gboolean
validate_option_at (const QcoapOption *option, int position, GError **error)
{
  const QcoapOptionInfo *info = at_coap_option_info_lookup (option->number);
  g_autofree char *what = NULL;

  if (info != NULL && info->sendable && check_option (option, info, error))
    return TRUE;
  what = describe_option (option->number, position);
  if (info == NULL || !info->sendable)
    return set_unsendable_error (error, what, info);
  g_prefix_error (error, "%s ", what);
  return FALSE;
}

gboolean
at_coap_option_validate (const QcoapOption *option, GError **error)
{
  return validate_option_at (option, -1, error);
}

gboolean
at_coap_option_list_check_count (GPtrArray *options, GError **error)
{
  if (options->len > QCOAP_MAX_OPTIONS)
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                   "%u options given, but a message can carry at most %d", options->len,
                   QCOAP_MAX_OPTIONS);
      return FALSE;
    }
  return TRUE;
}

/* Takes the value as the variant's type says; the table check comes after,
 * so a wrong type is reported against what the option expects. */
static QcoapOption *
option_from_value (guint16 number, GVariant *value, int position, GError **error)
{
  const QcoapOptionInfo *info = at_coap_option_info_lookup (number);

  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    return at_coap_option_new_string (number, g_variant_get_string (value, NULL));
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    return at_coap_option_new_uint (number, g_variant_get_uint32 (value));
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_BYTESTRING))
    {
      gsize length;
      const guint8 *data = g_variant_get_fixed_array (value, &length, 1);
      QcoapOptionFormat format = QCOAP_OPTION_FORMAT_OPAQUE;

      /* An ay is the right type for both opaque and empty options. */
      if (info != NULL && info->format == QCOAP_OPTION_FORMAT_EMPTY)
        format = QCOAP_OPTION_FORMAT_EMPTY;
      return at_coap_option_new_bytes (number, format, data, length);
    }

  {
    g_autofree char *what = describe_option (number, position);

    if (info == NULL || !info->sendable)
      set_unsendable_error (error, what, info);
    else
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                   "%s takes %s, not a value of D-Bus type %s", what,
                   format_dbus_type (info->format), g_variant_get_type_string (value));
    return NULL;
  }
}

GPtrArray *
at_coap_option_list_from_variant (GVariant *variant, GError **error)
{
  g_autoptr (GPtrArray) options = at_coap_option_list_new ();
  gsize n_children;

  g_return_val_if_fail (g_variant_is_of_type (variant, G_VARIANT_TYPE ("a(qv)")), NULL);

  n_children = g_variant_n_children (variant);
  if (n_children > QCOAP_MAX_OPTIONS)
    {
      g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT,
                   "%zu options given, but a message can carry at most %d", n_children,
                   QCOAP_MAX_OPTIONS);
      return NULL;
    }

  for (gsize i = 0; i < n_children; i++)
    {
      guint16 number;
      g_autoptr (GVariant) value = NULL;
      g_autoptr (QcoapOption) option = NULL;

      g_variant_get_child (variant, i, "(qv)", &number, &value);
      option = option_from_value (number, value, (int)i, error);
      if (option == NULL || !validate_option_at (option, (int)i, error))
        return NULL;
      g_ptr_array_add (options, g_steal_pointer (&option));
    }
  return g_steal_pointer (&options);
}

static GVariant *
option_value_to_variant (const QcoapOption *option)
{
  if (option->format == QCOAP_OPTION_FORMAT_UINT)
    return g_variant_new_uint32 (option->uint_value);

  if (option->format == QCOAP_OPTION_FORMAT_STRING)
    {
      gsize length;
      const char *text = option_text (option, &length);

      /* D-Bus strings must be UTF-8 without NUL; anything else goes as ay. */
      if (g_utf8_validate (text, length, NULL))
        {
          g_autofree char *copy = g_strndup (text, length);

          return g_variant_new_string (copy);
        }
    }
  return g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, option->value, TRUE);
}

GVariant *
at_coap_option_list_to_variant (GPtrArray *options)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(qv)"));
  for (guint i = 0; options != NULL && i < options->len; i++)
    {
      const QcoapOption *option = g_ptr_array_index (options, i);

      /* Child by child: a format string is parsed on every call. */
      GVariant *entry[] = { g_variant_new_uint16 (option->number),
                            g_variant_new_variant (option_value_to_variant (option)) };

      g_variant_builder_add_value (&builder, g_variant_new_tuple (entry, G_N_ELEMENTS (entry)));
    }
  return g_variant_builder_end (&builder);
}

gboolean
at_coap_option_list_add_strings (GPtrArray *options, guint16 number, const char *const *values,
                                 GError **error)
{
  g_autoptr (GPtrArray) added = at_coap_option_list_new ();

  for (gsize i = 0; values != NULL && values[i] != NULL; i++)
    {
      g_autoptr (QcoapOption) option = at_coap_option_new_string (number, values[i]);

      if (!at_coap_option_validate (option, error))
        return FALSE;
      g_ptr_array_add (added, g_steal_pointer (&option));
    }
  while (added->len > 0)
    g_ptr_array_add (options, g_ptr_array_steal_index (added, 0));
  return TRUE;
}

/* --- Flags and URIs ----------------------------------------------------- */

GStrv
at_coap_split_uri_path (const char *path)
{
  if (path[0] == '/')
    path++;
  if (path[0] == '\0')
    return g_new0 (char *, 1);
  return g_strsplit (path, "/", -1);
}

GStrv
at_coap_split_uri_query (const char *query)
{
  if (query[0] == '\0')
    return g_new0 (char *, 1);
  return g_strsplit (query, "&", -1);
}

void
at_coap_uri_free (QcoapUri *uri)
{
  if (uri == NULL)
    return;
  g_free (uri->host);
  g_strfreev (uri->path);
  g_strfreev (uri->query);
  g_free (uri);
}

static gboolean
set_uri_error (GError **error, const char *uri, const char *problem)
{
  g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT, "The URI \"%s\" %s", uri, problem);
  return FALSE;
}

/* Decodes %XY escapes of one path segment or query part. The result becomes
 * a quoted AT value, so it must be UTF-8 without '"' or control characters. */
static char *
percent_decode (const char *uri, const char *part, gsize length, GError **error)
{
  g_autoptr (GString) out = g_string_sized_new (length);

  for (gsize i = 0; i < length; i++)
    {
      if (part[i] != '%')
        {
          g_string_append_c (out, part[i]);
          continue;
        }
      if (i + 2 >= length || !g_ascii_isxdigit (part[i + 1]) || !g_ascii_isxdigit (part[i + 2]))
        {
          set_uri_error (error, uri, "has a '%' that is not followed by two hexadecimal digits");
          return NULL;
        }
      g_string_append_c (out, (char)(g_ascii_xdigit_value (part[i + 1]) << 4
                                     | g_ascii_xdigit_value (part[i + 2])));
      i += 2;
    }

  if (memchr (out->str, '\0', out->len) != NULL)
    {
      set_uri_error (error, uri, "decodes to a NUL byte, which the modem cannot carry");
      return NULL;
    }
  {
    g_autofree char *what = g_strdup_printf ("The URI \"%s\"", uri);

    if (!check_text_is_quotable (what, out->str, out->len, error))
      return NULL;
  }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Splits @text[0..length) at @separator and percent-decodes each piece. */
static GStrv
decode_parts (const char *uri, const char *text, gsize length, char separator, GError **error)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  const char *end = text + length;

  for (const char *start = text;;)
    {
      const char *stop = memchr (start, separator, end - start);
      g_autofree char *part = NULL;

      if (stop == NULL)
        stop = end;
      part = percent_decode (uri, start, stop - start, error);
      if (part == NULL)
        return NULL;
      g_strv_builder_add (builder, part);
      if (stop == end)
        break;
      start = stop + 1;
    }
  return g_strv_builder_end (builder);
}

static gboolean
is_host_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '.' || c == '_';
}

static char *
host_error (GError **error, const char *uri, const char *problem)
{
  set_uri_error (error, uri, problem);
  return NULL;
}

/* "[v6]": the host between the brackets; *host_end is after the ']'. */
static char *
parse_ipv6_host (const char *uri, const char *authority, const char *end, const char **host_end,
                 GError **error)
{
  const char *close = memchr (authority, ']', end - authority);
  g_autofree char *host = NULL;

  if (close == NULL)
    return host_error (error, uri, "has an IPv6 address without its closing ']'");
  host = g_strndup (authority + 1, close - authority - 1);
  if (strchr (host, ':') == NULL || !g_hostname_is_ip_address (host))
    return host_error (error, uri, "has something in brackets that is not an IPv6 address");
  *host_end = close + 1;
  if (*host_end != end && **host_end != ':')
    return host_error (error, uri, "has characters after the IPv6 address's ']'");
  return g_steal_pointer (&host);
}

/* A name or IPv4 address, up to the ':' of a port. */
static char *
parse_name_host (const char *uri, const char *authority, const char *end, const char **host_end,
                 GError **error)
{
  g_autofree char *host = NULL;

  *host_end = memchr (authority, ':', end - authority);
  if (*host_end == NULL)
    *host_end = end;
  host = g_strndup (authority, *host_end - authority);
  if (host[0] == '\0')
    return host_error (error, uri, "has no host");
  for (const char *c = host; *c != '\0'; c++)
    if (!is_host_name_char (*c))
      return host_error (error, uri,
                         "has a host with a character other than letters, digits, '-', "
                         "'_' and '.' (write IPv6 addresses in brackets)");
  /* A host name of a URI as AT+QCOAPOPEN takes it. */
  if (strlen (host) > QCOAP_MODEM_MAX_HOST)
    return host_error (error, uri,
                       "has a host name longer than " G_STRINGIFY (QCOAP_MODEM_MAX_HOST) " bytes");
  return g_steal_pointer (&host);
}

/* The port after "host:", if any; an empty one ("host:") means the default,
 * as RFC 3986 says. */
static gboolean
parse_port (const char *uri, const char *port_text, const char *end, QcoapUri *parsed,
            GError **error)
{
  guint64 port = 0;

  if (port_text == end)
    return TRUE;
  for (const char *c = port_text; c != end; c++)
    {
      if (!g_ascii_isdigit (*c))
        return set_uri_error (error, uri, "has a port that is not a decimal number");
      port = port * 10 + (guint64)(*c - '0');
      if (port > G_MAXUINT16)
        return set_uri_error (error, uri, "has a port above 65535");
    }
  if (port == 0)
    return set_uri_error (error, uri, "has port 0; ports are 1 to 65535");
  parsed->port = (guint16)port;
  return TRUE;
}

/* Parses the authority "host[:port]" or "[v6][:port]" into @parsed. */
static gboolean
parse_authority (const char *uri, const char *authority, gsize length, QcoapUri *parsed,
                 GError **error)
{
  const char *end = authority + length;
  const char *host_end = end;
  g_autofree char *host = NULL;

  if (memchr (authority, '@', length) != NULL)
    return set_uri_error (error, uri, "has user information (\"user@\"), which CoAP does not use");
  if (length > 0 && authority[0] == '[')
    host = parse_ipv6_host (uri, authority, end, &host_end, error);
  else
    host = parse_name_host (uri, authority, end, &host_end, error);
  if (host == NULL || (host_end != end && !parse_port (uri, host_end + 1, end, parsed, error)))
    return FALSE;
  parsed->host = g_steal_pointer (&host);
  return TRUE;
}

QcoapUri *
at_coap_uri_parse (const char *uri, GError **error)
{
  g_autoptr (QcoapUri) parsed = g_new0 (QcoapUri, 1);
  const char *scheme_end = strstr (uri, "://");
  const char *authority;
  const char *path;
  const char *query;
  gsize scheme_length;

  if (scheme_end == NULL)
    {
      set_uri_error (error, uri, "is not a coap:// or coaps:// URI");
      return NULL;
    }
  scheme_length = scheme_end - uri;
  if (scheme_length == 4 && g_ascii_strncasecmp (uri, "coap", 4) == 0)
    parsed->secure = FALSE;
  else if (scheme_length == 5 && g_ascii_strncasecmp (uri, "coaps", 5) == 0)
    parsed->secure = TRUE;
  else
    {
      set_uri_error (error, uri, "has a scheme other than coap or coaps");
      return NULL;
    }
  if (strchr (uri, '#') != NULL)
    {
      set_uri_error (error, uri, "has a fragment (\"#...\"), which CoAP does not use");
      return NULL;
    }
  parsed->port = parsed->secure ? 5684 : 5683;

  authority = scheme_end + 3;
  path = authority + strcspn (authority, "/?");
  if (!parse_authority (uri, authority, path - authority, parsed, error))
    return NULL;

  query = path + strcspn (path, "?");
  /* "" and "/" mean no Uri-Path option (RFC 7252 section 6.4). */
  if (query - path <= 1)
    parsed->path = g_new0 (char *, 1);
  else
    parsed->path = decode_parts (uri, path + 1, query - path - 1, '/', error);
  if (parsed->path == NULL)
    return NULL;

  if (query[0] == '\0' || query[1] == '\0')
    parsed->query = g_new0 (char *, 1);
  else
    parsed->query = decode_parts (uri, query + 1, strlen (query + 1), '&', error);
  if (parsed->query == NULL)
    return NULL;

  return g_steal_pointer (&parsed);
}
