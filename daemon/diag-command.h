/* SPDX-License-Identifier: MIT */
/* diag-command.h — the manager's Command method: one AT command a root
 * user sends to the modem for diagnosis.
 *
 * The check lets through, and nothing else: the read (?) and test (=?)
 * forms of any extended command, and a short list of commands that only
 * report (ATI, AT+CSQ, AT+QENG="servingcell"…); never text that is not one
 * AT command line as the modem's line editor would take it (a control
 * byte, a space outside quotes, a ';' chaining a second command, more than
 * DIAG_COMMAND_MAX_LENGTH bytes).
 * The command then runs through the client pool's own queue, as one
 * transaction between those of the clients. No D-Bus here.
 */
#pragma once

#include <gio/gio.h>

#include "client-pool.h"

G_BEGIN_DECLS

#define DIAG_COMMAND_MAX_LENGTH         512
#define DIAG_COMMAND_DEFAULT_TIMEOUT_MS 5000
/* AT+COPS=? (a network scan) may take three minutes. */
#define DIAG_COMMAND_MAX_TIMEOUT_MS 180000

/* FALSE with QCOAP_ERROR_INVALID_ARGUMENT saying why @command may not be
 * sent, or a @timeout_ms over the maximum. */
gboolean diag_command_check (const char *command, guint timeout_ms, GError **error);

/* Runs @command (checked) with @timeout_ms (0: the default); completes with
 * every line the modem answered, its final result included, joined by
 * "\n". ERROR and +CME ERROR are AT_ERROR_MODEM errors quoting them. */
void diag_command_run (ClientPool *pool, const char *command, guint timeout_ms,
                       GAsyncReadyCallback callback, gpointer user_data);
char *diag_command_run_finish (GAsyncResult *result, GError **error);

G_END_DECLS
