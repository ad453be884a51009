/* SPDX-License-Identifier: MIT */
/* state-file.h — what a restarted qcoapd needs to adopt its sessions.
 *
 * The modem keeps its CoAP clients open while the daemon is gone, so the
 * daemon keeps, in its runtime directory, what it would otherwise lose with
 * its process: each session's settings (never a key), its owner, and how far
 * the message-ID sequence may have got. The file is a key file (see
 * qcoapd(8)):
 *
 *   [qcoapd]                  Version=1, Imei=, Bus=, Clean=, MessageId=,
 *                             NextSession=
 *   [session N]               N = the client ID; Number= (of its path), Host=,
 *                             Port=, PdpContext=,
 *                             AckTimeout=, MaxRetransmit=, Persistent=,
 *                             IdleTimeout=, IdleDeadline=, DtlsIdentity=,
 *                             OwnerUid=, Owner=, Listeners=, MessageId=
 *
 * The format's reader and writer are free of I/O (unit-tested and fuzzed);
 * state_file_load() and state_file_save() do the file's I/O: an atomic
 * replace (write, fsync, rename) of a mode 0600 file.
 */
#pragma once

#include <gio/gio.h>

#include "qcoap-proto.h"

G_BEGIN_DECLS

#define STATE_FILE_VERSION 1
#define STATE_FILE_NAME    "state"
/* The modem whose file is STATE_FILE_NAME itself. */
#define STATE_FILE_DEFAULT_MODEM "default"
/* Where it lives when $RUNTIME_DIRECTORY is not set (systemd sets it from
 * RuntimeDirectory=qcoapd). */
#define STATE_FILE_DEFAULT_DIRECTORY "/run/qcoapd"

#define STATE_FILE_ERROR (state_file_error_quark ())
GQuark state_file_error_quark (void);

typedef enum
{
  STATE_FILE_ERROR_CORRUPT, /* not a state file, or a value out of range */
  STATE_FILE_ERROR_VERSION, /* a state file of another version */
  STATE_FILE_ERROR_FOREIGN, /* not ours: another owner, or writable by others */
} StateFileError;

typedef struct
{
  gboolean present;
  guint number; /* of its object path (0: not saved) */
  char *host;
  guint port;
  guint pdp_context;
  guint ack_timeout;
  guint max_retransmit;
  gboolean persistent;
  guint idle_timeout;   /* seconds */
  gint64 idle_deadline; /* wall-clock seconds since the epoch; 0: none */
  char *psk_identity;   /* NULL: plain UDP; the key is never kept */
  guint owner_uid;
  char *owner;      /* the unique bus name of the connection that opened it */
  char **listeners; /* unique bus names; NULL-terminated, may be NULL */
  guint message_id; /* its message-ID sequence continues from here */
} SavedSession;

typedef struct
{
  char *imei;         /* the modem the sessions are on */
  char *bus;          /* the bus's ID (its GUID): unique names mean nothing on another */
  gboolean clean;     /* written by a daemon that stopped knowingly */
  guint message_id;   /* for sessions saved without a MessageId= of their own */
  guint next_session; /* the next session's path number (0: not saved) */
  SavedSession sessions[QCOAP_MAX_CLIENTS];
} SavedState;

/* The state file is written again each time this many message IDs have
 * been handed out, and records a position twice as far ahead: a restarted
 * daemon starts there, past every ID its previous run may have used. */
#define STATE_FILE_MESSAGE_ID_SPAN   256
#define STATE_FILE_MESSAGE_ID_MARGIN (2 * STATE_FILE_MESSAGE_ID_SPAN)

/* The MessageId= to save while the sequence stands at @position. */
guint16 state_file_message_id_mark (guint16 position);

void saved_state_clear (SavedState *state);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SavedState, saved_state_clear)

/* The file's text. */
char *state_file_serialize (const SavedState *state);
/* Reads @length bytes of a state file into @state (cleared first). Any
 * unknown group or key, missing key or value out of range fails with
 * STATE_FILE_ERROR_CORRUPT, another version with STATE_FILE_ERROR_VERSION. */
gboolean state_file_parse (const char *data, gsize length, SavedState *state, GError **error);

/* Makes the directory of @path (mode 0700) if it is missing, as systemd's
 * RuntimeDirectory= would; FALSE if the daemon cannot write there. */
gboolean state_file_prepare_directory (const char *path, GError **error);

/* $RUNTIME_DIRECTORY/state, or STATE_FILE_DEFAULT_DIRECTORY/state. */
char *state_file_default_path (void);
/* The state file of the modem named @modem_name: the default path for the
 * modem "default" (a single modem keeps the file it always had), else
 * "state-NAME" beside it. */
char *state_file_path_for (const char *modem_name);
/* Reads the file at @path. A file that does not belong to this process's
 * user, or that others may write, fails with STATE_FILE_ERROR_FOREIGN;
 * a missing one with G_FILE_ERROR_NOENT. */
gboolean state_file_load (const char *path, SavedState *state, GError **error);
/* Replaces the file at @path atomically: a mode 0600 temporary file in the
 * same directory, written, synced and renamed over it. */
gboolean state_file_save (const char *path, const SavedState *state, GError **error);

G_END_DECLS
