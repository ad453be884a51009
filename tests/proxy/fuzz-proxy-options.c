/* SPDX-License-Identifier: MIT */
/* fuzz-proxy-options.c — qcoap-proxy's option translation both ways on
 * arbitrary bytes: read as a list of options (number: 2 bytes, length: 1
 * byte, value) for proxy_options_to_variant(), and as a serialized a(qv)
 * for proxy_options_from_variant(). Each either translates or fills a
 * failure with a CoAP code and UTF-8 text; a request it accepts carries at
 * most eight options. */
#include <string.h>

#include "qcoap-proxy-message.h"

int LLVMFuzzerTestOneInput (const guint8 *data, gsize size);

static void
check_failure (const ProxyFailure *failure)
{
  g_assert_cmpuint (failure->code >> 5, >=, 4);
  g_assert_true (g_utf8_validate (failure->diagnostic, -1, NULL));
}

static void
fuzz_request (const guint8 *data, gsize size)
{
  ProxyOption options[16];
  gsize n = 0;
  ProxyFailure failure = { 0 };
  g_autoptr (GVariant) variant = NULL;

  while (n < G_N_ELEMENTS (options) && size >= 3 && data[2] <= size - 3)
    {
      options[n++] = (ProxyOption){ (guint16)(data[0] << 8 | data[1]), data[2], data + 3 };
      size -= 3u + data[2];
      data += 3u + data[2];
    }
  variant = proxy_options_to_variant (options, n, &failure);
  if (variant == NULL)
    check_failure (&failure);
  else
    g_assert_cmpuint (g_variant_n_children (g_variant_ref_sink (variant)), <=, PROXY_OPTIONS_MAX);
  proxy_failure_clear (&failure);
}

static void
fuzz_response (const guint8 *data, gsize size)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, size);
  g_autoptr (GVariant) variant
      = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE ("a(qv)"), bytes, FALSE));
  ProxyFailure failure = { 0 };
  g_autoptr (GArray) wire = proxy_options_from_variant (variant, &failure);

  if (wire == NULL)
    check_failure (&failure);
  proxy_failure_clear (&failure);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, gsize size)
{
  fuzz_request (data, size);
  fuzz_response (data, size);
  return 0;
}
