/* SPDX-License-Identifier: MIT */
/* fuzz-network-proto.c — libFuzzer target for the network parsers
 * (daemon/network-proto.c) and the check of Command (diag-command.c).
 *
 * Every parser gets every input; what one accepts must respect the ranges
 * network-proto.h promises. */
#include <stdlib.h>
#include <string.h>

#include "diag-command.h"
#include "network-proto.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
check (gboolean condition)
{
  if (!condition)
    abort ();
}

static void
fuzz_line (const char *line)
{
  g_autofree char *name = NULL;
  g_autofree char *plmn = NULL;
  g_autofree char *address = NULL;
  NetworkRegInfo info;
  NetworkSignal signal;
  NetworkTech tech;
  gboolean active;
  guint cid;

  if (network_reg_parse (line, &info, NULL))
    check (info.domain < NETWORK_N_DOMAINS && info.registration <= NETWORK_REGISTRATION_DENIED
           && info.tech <= NETWORK_TECH_NB_IOT);
  if (network_cops_parse (line, &name, &tech, NULL))
    check (name != NULL && tech <= NETWORK_TECH_NB_IOT);
  if (network_qnwinfo_parse (line, &tech, &plmn, NULL))
    check (plmn != NULL);
  if (network_qcsq_parse (line, &signal, NULL) && signal.has_sinr)
    check (signal.sinr >= -20.0 && signal.sinr <= 30.0);
  if (network_csq_parse (line, &signal, NULL) && signal.has_rssi)
    check (signal.rssi >= -113 && signal.rssi <= -51);
  if (network_qiact_parse (line, &cid, &active, &address, NULL))
    check (cid >= 1 && cid <= NETWORK_MAX_CONTEXTS && address != NULL);
  if (network_pdpdeact_parse (line, &cid, NULL))
    check (cid >= 1 && cid <= NETWORK_MAX_CONTEXTS);
  if (diag_command_check (line, 0, NULL))
    check (strlen (line) <= DIAG_COMMAND_MAX_LENGTH && g_ascii_strncasecmp (line, "AT", 2) == 0
           && strpbrk (line, "\r\n\x1a\x1b") == NULL);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *line = g_strndup ((const char *)data, size);

  fuzz_line (line);
  return 0;
}
