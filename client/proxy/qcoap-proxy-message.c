/* SPDX-License-Identifier: MIT */
/* qcoap-proxy-message.c — see qcoap-proxy-message.h. */
#include "qcoap-proxy-message.h"

#include <string.h>

/* RFC 7252 §5.4.6: bit 1 of an option number marks it Unsafe to forward. */
#define OPTION_IS_UNSAFE(number) (((number)&0x02) != 0)
/* Long enough for any message qcoapd writes, short enough for one datagram. */
#define DIAGNOSTIC_MAX 512

/* Failures of qcoapd that are worth a retry after a while (5.03). */
static const struct
{
  QcoapError error;
  guint32 retry_after_s; /* Max-Age */
} unavailable_errors[] = {
  { QCOAP_ERROR_NO_FREE_CLIENT, PROXY_RETRY_BUSY_S },
  { QCOAP_ERROR_CLIENT_BUSY, PROXY_RETRY_BUSY_S },
  { QCOAP_ERROR_QUEUE_FULL, 1 },
};

/* Max-Age of a 5.03 while the modem cannot serve: about when it is worth
 * asking again. Setting up a modem takes a few seconds; a search for a
 * network tens of seconds, so retries faster than that only load the
 * proxy; a data context comes back within a second or two of registration,
 * as qcoapd activates it by itself. */
#define RETRY_MODEM_S        5
#define RETRY_REGISTRATION_S 10
#define RETRY_CONTEXT_S      2

/* An option the modem has a slot for (AT+QCOAPOPTION), or NULL: the
 * integer options it only receives are no more use here than unknown ones. */
static const QcoapModemOption *
lookup_option (guint16 number)
{
  const QcoapModemOption *info = qcoap_modem_option (number);

  return info != NULL && info->sendable ? info : NULL;
}

/* "Observe (6)", or "option 65000" for numbers without a name. */
static char *
describe_option (guint16 number)
{
  const char *name = qcoap_option_get_name (number);

  return name ? g_strdup_printf ("%s (%u)", name, number) : g_strdup_printf ("option %u", number);
}

/* ---- failures ---- */

void
proxy_failure_set (ProxyFailure *failure, guint8 code, const char *format, ...)
{
  va_list args;
  const char *end;

  failure->code = code;
  g_free (failure->diagnostic);
  va_start (args, format);
  failure->diagnostic = g_strdup_vprintf (format, args);
  va_end (args);
  if (strlen (failure->diagnostic) > DIAGNOSTIC_MAX)
    {
      /* Cut at a character boundary: the payload must stay UTF-8. */
      end = g_utf8_find_prev_char (failure->diagnostic, failure->diagnostic + DIAGNOSTIC_MAX + 1);
      failure->diagnostic[end ? end - failure->diagnostic : 0] = '\0';
    }
}

void
proxy_failure_clear (ProxyFailure *failure)
{
  g_clear_pointer (&failure->diagnostic, g_free);
  memset (failure, 0, sizeof *failure);
}

void
proxy_failure_from_error (ProxyFailure *failure, const GError *error)
{
  if (error->domain != QCOAP_ERROR)
    {
      proxy_failure_set (failure, QCOAP_CODE (5, 2), "qcoapd cannot be reached: %s",
                         error->message);
      return;
    }
  if (error->code == QCOAP_ERROR_TIMEOUT)
    {
      proxy_failure_set (failure, QCOAP_CODE (5, 4), "qcoapd: %s", error->message);
      return;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (unavailable_errors); i++)
    if ((int)unavailable_errors[i].error == error->code)
      {
        proxy_failure_set (failure, QCOAP_CODE (5, 3), "qcoapd: %s", error->message);
        failure->max_age = unavailable_errors[i].retry_after_s;
        return;
      }
  proxy_failure_set (failure, QCOAP_CODE (5, 2), "qcoapd: %s", error->message);
}

gboolean
proxy_payload_check (gsize length, ProxyFailure *failure)
{
  if (length <= PROXY_PAYLOAD_MAX)
    return TRUE;
  proxy_failure_set (
      failure, QCOAP_CODE (4, 13),
      "the modem carries payloads of at most %u bytes; this one has %" G_GSIZE_FORMAT,
      PROXY_PAYLOAD_MAX, length);
  failure->size1 = PROXY_PAYLOAD_MAX;
  return FALSE;
}

/* ---- requests: wire → D-Bus ---- */

static guint32
decode_uint (const guint8 *value, guint16 length)
{
  guint32 result = 0;

  for (guint16 i = 0; i < length; i++)
    result = (result << 8) | value[i];
  return result;
}

static GVariant *
option_value_to_variant (const ProxyOption *option, const QcoapModemOption *info,
                         ProxyFailure *failure)
{
  g_autofree char *text = NULL;

  switch (info->format)
    {
      case QCOAP_REGISTRY_VALUE_UINT:
        return qcoap_option_new_uint (option->number, decode_uint (option->value, option->length));
      case QCOAP_REGISTRY_VALUE_STRING:
        if (!g_utf8_validate ((const char *)option->value, option->length, NULL))
          {
            g_autofree char *name = describe_option (option->number);

            proxy_failure_set (failure, QCOAP_CODE (4, 0), "%s is not UTF-8 text without NUL bytes",
                               name);
            return NULL;
          }
        text = g_strndup ((const char *)option->value, option->length);
        return qcoap_option_new_string (option->number, text);
      case QCOAP_REGISTRY_VALUE_EMPTY:
      case QCOAP_REGISTRY_VALUE_OPAQUE:
        return qcoap_option_new_opaque (option->number, option->value, option->length);
    }
  g_assert_not_reached ();
}

/* The option's typed value, or NULL with @failure filled. */
static GVariant *
option_to_variant (const ProxyOption *option, ProxyFailure *failure)
{
  const QcoapModemOption *info = lookup_option (option->number);
  g_autofree char *name = describe_option (option->number);

  if (info == NULL && OPTION_IS_UNSAFE (option->number))
    proxy_failure_set (failure, QCOAP_CODE (4, 2), "the modem cannot send %s", name);
  else if (info == NULL)
    proxy_failure_set (failure, QCOAP_CODE (5, 5), "the modem cannot forward %s", name);
  else if (option->length < info->min_length || option->length > info->max_length)
    proxy_failure_set (failure, QCOAP_CODE (4, 2), "%s has %u bytes, outside %u to %u", name,
                       option->length, info->min_length, info->max_length);
  else
    return option_value_to_variant (option, info, failure);
  return NULL;
}

GVariant *
proxy_options_to_variant (const ProxyOption *options, gsize n_options, ProxyFailure *failure)
{
  g_auto (GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(qv)"));

  for (gsize i = 0; i < n_options; i++)
    {
      GVariant *option = option_to_variant (&options[i], failure);

      if (option == NULL)
        return NULL;
      g_variant_builder_add_value (&builder, option);
    }
  if (n_options > PROXY_OPTIONS_MAX)
    {
      proxy_failure_set (failure, QCOAP_CODE (5, 5),
                         "the modem sends at most %u options; this request needs %" G_GSIZE_FORMAT,
                         PROXY_OPTIONS_MAX, n_options);
      return NULL;
    }
  return g_variant_builder_end (&builder);
}

/* ---- responses: D-Bus → wire ---- */

static GBytes *
encode_uint (guint32 value)
{
  guint8 bytes[4];
  guint length = 0;

  /* The shortest form: RFC 7252 §3.2 leaves out leading zero bytes. */
  for (int shift = 24; shift >= 0; shift -= 8)
    if (length > 0 || (value >> shift) != 0)
      bytes[length++] = (guint8)(value >> shift);
  return g_bytes_new (bytes, length);
}

static GBytes *
variant_to_bytes (GVariant *value)
{
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    return encode_uint (g_variant_get_uint32 (value));
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    {
      gsize length;
      const char *text = g_variant_get_string (value, &length);

      return g_bytes_new (text, length);
    }
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_BYTESTRING))
    return g_variant_get_data_as_bytes (value);
  return NULL;
}

static void
wire_option_clear (ProxyWireOption *option)
{
  g_clear_pointer (&option->value, g_bytes_unref);
}

GArray *
proxy_options_from_variant (GVariant *options, ProxyFailure *failure)
{
  g_autoptr (GArray) wire = g_array_new (FALSE, TRUE, sizeof (ProxyWireOption));
  GVariantIter iter;
  GVariant *next;
  guint16 number;

  g_array_set_clear_func (wire, (GDestroyNotify)wire_option_clear);
  g_variant_iter_init (&iter, options);
  while (g_variant_iter_next (&iter, "(qv)", &number, &next))
    {
      g_autoptr (GVariant) value = next;
      ProxyWireOption option = { number, NULL };
      g_autofree char *name = describe_option (number);

      if (OPTION_IS_UNSAFE (number) && lookup_option (number) == NULL)
        {
          proxy_failure_set (failure, QCOAP_CODE (5, 2),
                             "the response carries %s, which the proxy cannot relay", name);
          return NULL;
        }
      option.value = variant_to_bytes (value);
      if (option.value == NULL)
        {
          proxy_failure_set (failure, QCOAP_CODE (5, 2), "qcoapd gave %s as an unexpected %s", name,
                             g_variant_get_type_string (value));
          return NULL;
        }
      g_array_append_val (wire, option);
    }
  return g_steal_pointer (&wire);
}

/* ---- whether the modem can serve ---- */

static gboolean
is_registered (const char *registration)
{
  return g_str_equal (registration, "home") || g_str_equal (registration, "roaming");
}

/* TRUE when @contexts lists @context_id as inactive; a context it does not
 * list is not known to be down. */
static gboolean
context_is_down (GVariant *contexts, guint8 context_id)
{
  GVariantIter iter;
  guint8 id;
  gboolean active;

  if (contexts == NULL)
    return FALSE;
  g_variant_iter_init (&iter, contexts);
  while (g_variant_iter_next (&iter, "(yb&s)", &id, &active, NULL))
    if (id == context_id)
      return !active;
  return FALSE;
}

gboolean
proxy_modem_check (const ProxyModemStatus *status, guint8 context_id, ProxyFailure *failure)
{
  const char *state = status->state ? status->state : "";
  const char *registration = status->registration ? status->registration : "";

  /* In this order: an unready modem has no registration to speak of, and
   * an unregistered one no data context. */
  if (*state != '\0' && !g_str_equal (state, "ready"))
    {
      proxy_failure_set (failure, QCOAP_CODE (5, 3), "modem %s", state);
      failure->max_age = RETRY_MODEM_S;
    }
  else if (*state != '\0' && *registration != '\0' && !is_registered (registration))
    {
      proxy_failure_set (failure, QCOAP_CODE (5, 3), "not registered: %s", registration);
      failure->max_age = RETRY_REGISTRATION_S;
    }
  else if (*state != '\0' && context_is_down (status->data_contexts, context_id))
    {
      proxy_failure_set (failure, QCOAP_CODE (5, 3), "data context %u down", context_id);
      failure->max_age = RETRY_CONTEXT_S;
    }
  else
    return TRUE;
  return FALSE;
}
