/* SPDX-License-Identifier: MIT */
/* config.h — qcoapd.conf: the daemon's settings, read and checked.
 *
 * One table lists every key the file may hold (group, key, how its value is
 * read and checked, where it goes). A group or key the table does not know,
 * or a value that does not read, is an error that names the file, the key
 * and what is wrong, e.g.
 *   /etc/qcoapd/qcoapd.conf: key [modem] Baud: "fast" is not a number
 * so that a mistake stops the daemon at once instead of being ignored.
 * Missing keys keep their defaults. Nothing here does more I/O than reading
 * the file.
 */
#pragma once

#include <glib.h>

#include "service.h"

G_BEGIN_DECLS

typedef struct
{
  ServiceConfig service;
  /* The least severe level that is logged: G_LOG_LEVEL_CRITICAL (LogLevel=error),
   * _WARNING, _INFO or _DEBUG. */
  GLogLevelFlags log_level;
  /* AT+QSSLCFG="ciphersuite" value ("0X00AE"), or NULL: no such command. */
  char *cipher_suite;
} DaemonConfig;

/* The defaults: those of the service, LogLevel=info, no cipher suite. */
void daemon_config_init (DaemonConfig *config);
void daemon_config_clear (DaemonConfig *config);

/* Reads @path into @config. A missing file is an error only if
 * @must_exist (a file named on the command line); *found says whether it
 * was there. Fails with G_KEY_FILE_ERROR or G_FILE_ERROR, the message
 * starting with @path. */
gboolean daemon_config_load (DaemonConfig *config, const char *path, gboolean must_exist,
                             gboolean *found, GError **error);

/* The line speeds the serial port takes, for --baud and Baud=. */
gboolean daemon_config_check_baud (guint baud, GError **error);

G_END_DECLS
