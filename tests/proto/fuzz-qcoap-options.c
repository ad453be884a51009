/* SPDX-License-Identifier: MIT */
/* fuzz-qcoap-options.c — libFuzzer target for a(qv) validation.
 *
 * The input is taken as the serialised form of an a(qv), as it would arrive
 * from the bus. What at_coap_option_list_from_variant() accepts must pass
 * at_coap_option_validate() one by one, fit the modem's slots, become AT
 * lines, and convert back to the same a(qv). */
#include "qcoap-cmd.h"
#include "qcoap-proto.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
check (gboolean condition)
{
  if (!condition)
    abort ();
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, size);
  g_autoptr (GVariant) input
      = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE ("a(qv)"), bytes, FALSE));
  g_autoptr (GVariant) options = g_variant_get_normal_form (input);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = at_coap_option_list_from_variant (options, &error);
  g_autoptr (GVariant) back = NULL;

  check ((list == NULL) == (error != NULL));
  if (list == NULL)
    return 0;

  check (list->len <= QCOAP_MAX_OPTIONS);
  for (guint i = 0; i < list->len; i++)
    {
      const QcoapOption *option = g_ptr_array_index (list, i);
      g_autofree char *command = at_coap_cmd_option_add (5, i, option);

      check (at_coap_option_validate (option, NULL));
      check (command != NULL && strchr (command, '\r') == NULL && strchr (command, '\n') == NULL);
    }
  back = g_variant_ref_sink (at_coap_option_list_to_variant (list));
  check (g_variant_equal (back, options));
  return 0;
}
