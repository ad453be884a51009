/* SPDX-License-Identifier: MIT */
/* fuzz-proxy-config.c — qcoap-proxy's configuration reader on arbitrary
 * text: it must refuse or accept, never crash, leak or read past the input;
 * whatever it accepts has an upstream for every route. */
#include "qcoap-proxy-config.h"

int LLVMFuzzerTestOneInput (const guint8 *data, gsize size);

int
LLVMFuzzerTestOneInput (const guint8 *data, gsize size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ProxyConfig) config = proxy_config_parse ((const char *)data, size, &error);

  g_assert ((config == NULL) == (error != NULL));
  for (guint i = 0; config != NULL && i < config->routes->len; i++)
    {
      const ProxyRoute *route = g_ptr_array_index (config->routes, i);

      g_assert_nonnull (route->target.host);
      g_assert (route->target.scheme != PROXY_SCHEME_COAPS || route->target.psk_identity != NULL);
    }
  return 0;
}
