/* SPDX-License-Identifier: MIT */
/* sim-log.h — the simulator's traffic log.
 *
 * One line per event, "<seconds since start> <tag> <text>", line-buffered to
 * stderr or a file, so tests can follow what crossed the serial line and the
 * network. Tags: at-rx (a command line from the host), at-tx (a response
 * line), urc (an unsolicited line), payload-rx (payload bytes after a prompt),
 * udp-tx / udp-rx (datagrams, as hex and decoded), dtls-tx / dtls-rx (the
 * same for CoAP inside a DTLS session), ctl (control channel),
 * info (anything else, e.g. a dropped datagram or an injected fault).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Sends the log to @path (appending) instead of stderr. */
gboolean sim_log_open (const char *path, GError **error);
void sim_log_close (void);

void sim_log (const char *tag, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* Logs @data escaped as a C string ("AT\r\n" -> "AT\\r\\n"). */
void sim_log_text (const char *tag, const guint8 *data, gsize length);

/* Returns @data as upper-case hexadecimal digits separated by spaces. */
char *sim_log_hex (const guint8 *data, gsize length);

G_END_DECLS
