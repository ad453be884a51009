/* SPDX-License-Identifier: MIT */
/* qcoap-registry.h — the CoAP names of coap-registry.txt as C tables:
 * response codes, options with their value formats, content formats.
 *
 * The arrays are generated (qcoap-registry-data.c); the lookups here are
 * the only readers of them. Code that prints or reads CoAP names, in the
 * client library or in the daemon, depends on qcoap_registry_dep (a static
 * library that needs nothing but GLib) instead of keeping a table of its
 * own. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The value format of an option (RFC 7252 3.2). */
typedef enum
{
  QCOAP_REGISTRY_VALUE_EMPTY,
  QCOAP_REGISTRY_VALUE_OPAQUE,
  QCOAP_REGISTRY_VALUE_UINT,
  QCOAP_REGISTRY_VALUE_STRING,
} QcoapRegistryValue;

typedef struct
{
  guint8 code; /* class*32 + detail */
  const char *name;
} QcoapRegistryCode;

typedef struct
{
  guint16 number;
  const char *name;
  QcoapRegistryValue value;
} QcoapRegistryOption;

typedef struct
{
  guint16 number;
  const char *content_type;   /* IANA's "Content Type" column */
  const char *const *aliases; /* other names a person may type; NULL-terminated */
} QcoapRegistryContentFormat;

extern const QcoapRegistryCode qcoap_registry_codes[];
extern const gsize qcoap_registry_n_codes;
extern const QcoapRegistryOption qcoap_registry_options[];
extern const gsize qcoap_registry_n_options;
extern const QcoapRegistryContentFormat qcoap_registry_content_formats[];
extern const gsize qcoap_registry_n_content_formats;

/* The name of a code ("Content" for 2.05), or NULL. */
const char *qcoap_registry_code_name (guint8 code);

/* The option with this number, or with this name (any case); NULL if none. */
const QcoapRegistryOption *qcoap_registry_option (guint number);
const QcoapRegistryOption *qcoap_registry_option_by_name (const char *name);

/* The content format with this number, or whose content type or one of
 * whose aliases is @name (any case); NULL if none. */
const QcoapRegistryContentFormat *qcoap_registry_content_format (guint number);
const QcoapRegistryContentFormat *qcoap_registry_content_format_by_name (const char *name);

G_END_DECLS
