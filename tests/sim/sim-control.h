/* SPDX-License-Identifier: MIT */
/* sim-control.h — the simulator's control channel: one command per line on
 * stdin, one answer line on stdout (protocol in bg96-sim.c and README.md). */
#pragma once

#include "sim-modem.h"

G_BEGIN_DECLS

typedef struct _SimControl SimControl;

/* Reads commands from @input_fd and answers on stdout; @quit_loop ends on
 * "quit". */
SimControl *sim_control_new (SimModem *modem, int input_fd, GMainLoop *quit_loop);
void sim_control_free (SimControl *control);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimControl, sim_control_free)

/* Answers the commands that wait for the modem to boot. */
void sim_control_booted (SimControl *control);

/* Runs one command line and returns its answer, or NULL if the answer comes
 * later (reboot, replug). */
char *sim_control_execute (SimControl *control, const char *line);

G_END_DECLS
