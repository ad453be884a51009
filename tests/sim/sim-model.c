/* SPDX-License-Identifier: MIT */
/* sim-model.c — see sim-model.h. */
#include "sim-model.h"

#include <string.h>

static const SimModel models[] = {
  { "BG96", "BG96MAR02A07M1G", "CAT-M1", TRUE }, { "BG95-M3", "BG95M3LAR02A03", "eMTC", TRUE },
  { "BG77", "BG77LAR02A04", "eMTC", TRUE },      { "BG600L-M3", "BG600LM3LAR02A01", "eMTC", TRUE },
  { "BC66", "BC66NBR01A10", "NBIoT", FALSE },
};

const SimModel *
sim_model_find (const char *name)
{
  if (name == NULL)
    return &models[0];
  for (gsize i = 0; i < G_N_ELEMENTS (models); i++)
    if (g_ascii_strncasecmp (models[i].name, name, strlen (name)) == 0
        && (models[i].name[strlen (name)] == '\0' || models[i].name[strlen (name)] == '-'))
      return &models[i];
  return NULL;
}

const char *
sim_model_names (void)
{
  return "BG96, BG95, BG77, BG600L, BC66";
}

gboolean
sim_urc_port_name_valid (const char *port)
{
  static const char *const ports[] = { "usbat", "usbmodem", "uart1" };

  for (gsize i = 0; port != NULL && i < G_N_ELEMENTS (ports); i++)
    if (strcmp (port, ports[i]) == 0)
      return TRUE;
  return FALSE;
}
