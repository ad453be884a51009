/* SPDX-License-Identifier: MIT */
/* port-role.h — which of a Quectel module's ports a tty is.
 *
 * A module sends its URCs to one port only (AT+QURCCFG="urcport"), so the
 * daemon must know which port it holds: on the USB composition of the BG96
 * and BG95, interface 02 is the AT port ("usbat") and 03 the modem port
 * ("usbmodem"); a tty that is not on USB at all is the module's UART
 * ("uart1"). Read from sysfs; anything else (a pseudo-terminal, another
 * interface) has no role.
 */
#pragma once

#include <glib.h>

/* @device's role ("usbat", "usbmodem", "uart1"), or NULL when it cannot be
 * told. @sysfs_root is "/sys" but for tests. */
const char *port_role_lookup (const char *sysfs_root, const char *device);
