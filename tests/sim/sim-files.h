/* SPDX-License-Identifier: MIT */
/* sim-files.h — the modem's little file system (UFS), kept in memory.
 *
 * Holds what AT+QFUPL uploads (DTLS pre-shared keys) until AT+QFDEL removes
 * it. Files survive a modem reset, as they live in flash on the real module.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SimFiles SimFiles;

SimFiles *sim_files_new (void);
void sim_files_free (SimFiles *files);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimFiles, sim_files_free)

/* "UFS:a.psk" and "a.psk" name the same file; other prefixes ("RAM:") are
 * kept apart. Returns the canonical name, or NULL for an invalid one. */
char *sim_files_canonical_name (const char *name);

gboolean sim_files_exists (SimFiles *files, const char *name);
void sim_files_store (SimFiles *files, const char *name, GBytes *contents);
gboolean sim_files_delete (SimFiles *files, const char *name);
void sim_files_delete_all (SimFiles *files);
GBytes *sim_files_lookup (SimFiles *files, const char *name);

/* The QFUPL checksum: XOR of the data taken as 16-bit big-endian words, an
 * odd last byte padded with 0x00. */
guint16 sim_files_checksum (const guint8 *data, gsize length);

/* Reads a DTLS PSK file, "<identity>&<key in hexadecimal>" (either case; a
 * trailing line end is tolerated): identity 1-255 bytes, key 1-64 bytes.
 * FALSE, with a message that never quotes the key, if it is not that. */
gboolean sim_files_parse_psk (GBytes *contents, char **identity, GBytes **key, GError **error);

G_END_DECLS
