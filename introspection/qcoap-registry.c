/* SPDX-License-Identifier: MIT */
/* qcoap-registry.c — see qcoap-registry.h. */
#include "qcoap-registry.h"

const char *
qcoap_registry_code_name (guint8 code)
{
  for (gsize i = 0; i < qcoap_registry_n_codes; i++)
    if (qcoap_registry_codes[i].code == code)
      return qcoap_registry_codes[i].name;
  return NULL;
}

const QcoapRegistryOption *
qcoap_registry_option (guint number)
{
  for (gsize i = 0; i < qcoap_registry_n_options; i++)
    if (qcoap_registry_options[i].number == number)
      return &qcoap_registry_options[i];
  return NULL;
}

const QcoapRegistryOption *
qcoap_registry_option_by_name (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  for (gsize i = 0; i < qcoap_registry_n_options; i++)
    if (g_ascii_strcasecmp (qcoap_registry_options[i].name, name) == 0)
      return &qcoap_registry_options[i];
  return NULL;
}

const QcoapRegistryContentFormat *
qcoap_registry_content_format (guint number)
{
  for (gsize i = 0; i < qcoap_registry_n_content_formats; i++)
    if (qcoap_registry_content_formats[i].number == number)
      return &qcoap_registry_content_formats[i];
  return NULL;
}

static gboolean
content_format_has_name (const QcoapRegistryContentFormat *format, const char *name)
{
  if (g_ascii_strcasecmp (format->content_type, name) == 0)
    return TRUE;
  for (const char *const *alias = format->aliases; *alias; alias++)
    if (g_ascii_strcasecmp (*alias, name) == 0)
      return TRUE;
  return FALSE;
}

const QcoapRegistryContentFormat *
qcoap_registry_content_format_by_name (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  for (gsize i = 0; i < qcoap_registry_n_content_formats; i++)
    if (content_format_has_name (&qcoap_registry_content_formats[i], name))
      return &qcoap_registry_content_formats[i];
  return NULL;
}
