/* SPDX-License-Identifier: MIT */
/* sim-control.h — the simulator's control channel, for client tests that
 * run inside client-env-run (QCOAP_TEST_SIM_CONTROL names its socket). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Sends @command (e.g. "fault deregister") and asserts that the simulator
 * answered OK. */
void sim_control (const char *command);

G_END_DECLS
