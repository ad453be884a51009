/* SPDX-License-Identifier: MIT */
/* state-file.c — see state-file.h. */
#include "state-file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qcoap-cmd.h"

#define GROUP_DAEMON         "qcoapd"
#define SESSION_GROUP_PREFIX "session "
#define FILE_MODE            0600
#define DIRECTORY_MODE       0700
#define MAX_MESSAGE_ID       65535
#define MAX_IMEI_LENGTH      32
#define MAX_PSK_IDENTITY     255
/* A session's listeners: its owner and those that called Listen(). */
#define MAX_LISTENERS 64
/* Open's limits, as dbus-args.c checks them. */
#define MIN_PDP_CONTEXT    1
#define MAX_PDP_CONTEXT    16
#define MIN_ACK_TIMEOUT    2
#define MAX_ACK_TIMEOUT    60
#define MIN_MAX_RETRANSMIT 4
#define MAX_MAX_RETRANSMIT 8
#define MAX_IDLE_TIMEOUT_S (7 * 24 * 3600)

G_DEFINE_QUARK (qcoapd - state - file - error - quark, state_file_error)

typedef enum
{
  VALUE_UINT,
  VALUE_INT64,
  VALUE_BOOLEAN,
  VALUE_HOST,
  VALUE_TEXT,
  VALUE_UNIQUE_NAME,
  VALUE_NAME_LIST,
} ValueKind;

/* One key of a group: where it goes and what it may hold. */
typedef struct
{
  const char *name;
  ValueKind kind;
  gsize offset;
  guint64 max; /* numbers: the largest value; text: the longest */
  guint64 min;
  gboolean optional;
} StateKey;

#define STATE_FIELD(member)   ((gsize)G_STRUCT_OFFSET (SavedState, member))
#define SESSION_FIELD(member) ((gsize)G_STRUCT_OFFSET (SavedSession, member))

/* The [qcoapd] group (Version is read first, on its own). */
static const StateKey daemon_keys[] = {
  { "Imei", VALUE_TEXT, STATE_FIELD (imei), MAX_IMEI_LENGTH, 0, FALSE },
  { "Bus", VALUE_TEXT, STATE_FIELD (bus), 64, 0, FALSE },
  { "Clean", VALUE_BOOLEAN, STATE_FIELD (clean), 0, 0, FALSE },
  { "MessageId", VALUE_UINT, STATE_FIELD (message_id), MAX_MESSAGE_ID, 0, FALSE },
  { "NextSession", VALUE_UINT, STATE_FIELD (next_session), G_MAXUINT32 - 1, 0, TRUE },
};

/* A [session N] group. */
static const StateKey session_keys[] = {
  { "Number", VALUE_UINT, SESSION_FIELD (number), G_MAXUINT32 - 1, 0, TRUE },
  { "Host", VALUE_HOST, SESSION_FIELD (host), QCOAP_MAX_HOST, 1, FALSE },
  { "Port", VALUE_UINT, SESSION_FIELD (port), G_MAXUINT16, 1, FALSE },
  { "PdpContext", VALUE_UINT, SESSION_FIELD (pdp_context), MAX_PDP_CONTEXT, MIN_PDP_CONTEXT,
    FALSE },
  { "AckTimeout", VALUE_UINT, SESSION_FIELD (ack_timeout), MAX_ACK_TIMEOUT, MIN_ACK_TIMEOUT,
    FALSE },
  { "MaxRetransmit", VALUE_UINT, SESSION_FIELD (max_retransmit), MAX_MAX_RETRANSMIT,
    MIN_MAX_RETRANSMIT, FALSE },
  { "Persistent", VALUE_BOOLEAN, SESSION_FIELD (persistent), 0, 0, FALSE },
  { "IdleTimeout", VALUE_UINT, SESSION_FIELD (idle_timeout), MAX_IDLE_TIMEOUT_S, 0, FALSE },
  { "IdleDeadline", VALUE_INT64, SESSION_FIELD (idle_deadline), G_MAXINT64, 0, FALSE },
  { "DtlsIdentity", VALUE_TEXT, SESSION_FIELD (psk_identity), MAX_PSK_IDENTITY, 1, TRUE },
  { "OwnerUid", VALUE_UINT, SESSION_FIELD (owner_uid), G_MAXUINT32 - 1, 0, FALSE },
  { "Owner", VALUE_UNIQUE_NAME, SESSION_FIELD (owner), 255, 0, FALSE },
  { "Listeners", VALUE_NAME_LIST, SESSION_FIELD (listeners), MAX_LISTENERS, 0, TRUE },
  { "MessageId", VALUE_UINT, SESSION_FIELD (message_id), MAX_MESSAGE_ID, 0, TRUE },
};

static void
saved_session_clear (SavedSession *session)
{
  g_free (session->host);
  g_free (session->psk_identity);
  g_free (session->owner);
  g_strfreev (session->listeners);
  memset (session, 0, sizeof *session);
}

guint16
state_file_message_id_mark (guint16 position)
{
  return (guint16)(position + STATE_FILE_MESSAGE_ID_MARGIN);
}

void
saved_state_clear (SavedState *state)
{
  g_clear_pointer (&state->imei, g_free);
  g_clear_pointer (&state->bus, g_free);
  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    saved_session_clear (&state->sessions[i]);
  memset (state, 0, sizeof *state);
}

/* ---- writing -------------------------------------------------------------------- */

static void
write_key (GKeyFile *file, const char *group, const StateKey *key, gconstpointer record)
{
  gconstpointer field = (const char *)record + key->offset;
  const char *text = NULL;
  char **names;

  switch (key->kind)
    {
      case VALUE_UINT:
        g_key_file_set_uint64 (file, group, key->name, *(const guint *)field);
        break;
      case VALUE_INT64:
        g_key_file_set_int64 (file, group, key->name, *(const gint64 *)field);
        break;
      case VALUE_BOOLEAN:
        g_key_file_set_boolean (file, group, key->name, *(const gboolean *)field);
        break;
      case VALUE_NAME_LIST:
        names = *(char **const *)field;
        if (names)
          g_key_file_set_string_list (file, group, key->name, (const char *const *)names,
                                      g_strv_length (names));
        break;
      default:
        text = *(const char *const *)field;
        if (text)
          g_key_file_set_string (file, group, key->name, text);
    }
}

static void
write_group (GKeyFile *file, const char *group, const StateKey *keys, gsize n_keys,
             gconstpointer record)
{
  for (gsize i = 0; i < n_keys; i++)
    write_key (file, group, &keys[i], record);
}

char *
state_file_serialize (const SavedState *state)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();

  g_key_file_set_integer (file, GROUP_DAEMON, "Version", STATE_FILE_VERSION);
  write_group (file, GROUP_DAEMON, daemon_keys, G_N_ELEMENTS (daemon_keys), state);
  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    if (state->sessions[i].present)
      {
        g_autofree char *group = g_strdup_printf (SESSION_GROUP_PREFIX "%u", i);

        write_group (file, group, session_keys, G_N_ELEMENTS (session_keys), &state->sessions[i]);
      }
  g_key_file_set_comment (file, NULL, NULL,
                          " qcoapd's sessions, adopted when it starts again; see qcoapd(8)", NULL);
  return g_key_file_to_data (file, NULL, NULL);
}

/* ---- reading -------------------------------------------------------------------- */

static gboolean
corrupt (GError **error, const char *group, const char *key, const char *problem)
{
  g_set_error (error, STATE_FILE_ERROR, STATE_FILE_ERROR_CORRUPT, "[%s] %s%s%s", group,
               key ? key : "", key ? ": " : "", problem);
  return FALSE;
}

static gboolean
read_number (const StateKey *key, const char *text, gint64 *value)
{
  guint64 number;

  if (!g_ascii_string_to_unsigned (text, 10, key->min, key->max, &number, NULL))
    return FALSE;
  *value = (gint64)number;
  return TRUE;
}

static gboolean
valid_text (const StateKey *key, const char *text)
{
  gsize length = strlen (text);

  if (length < key->min || length > key->max || !g_utf8_validate (text, -1, NULL))
    return FALSE;
  for (const char *c = text; *c; c++)
    if ((guchar)*c < 0x20 || *c == 0x7f)
      return FALSE;
  return TRUE;
}

static gboolean
read_name_list (GKeyFile *file, const char *group, const StateKey *key, char ***field)
{
  gsize count = 0;
  g_auto (GStrv) names = g_key_file_get_string_list (file, group, key->name, &count, NULL);

  if (names == NULL || count > key->max)
    return FALSE;
  for (gsize i = 0; i < count; i++)
    if (!g_dbus_is_unique_name (names[i]))
      return FALSE;
  /* A group may appear twice: its later keys win. */
  g_strfreev (*field);
  *field = g_steal_pointer (&names);
  return TRUE;
}

/* Reads one key into its field; FALSE if its value is not what it may hold. */
static gboolean
read_value (GKeyFile *file, const char *group, const StateKey *key, const char *text,
            gpointer field)
{
  gint64 number;
  gboolean flag;

  switch (key->kind)
    {
      case VALUE_UINT:
        if (!read_number (key, text, &number))
          return FALSE;
        *(guint *)field = (guint)number;
        return TRUE;
      case VALUE_INT64:
        if (!read_number (key, text, &number))
          return FALSE;
        *(gint64 *)field = number;
        return TRUE;
      case VALUE_BOOLEAN:
        if (!g_str_equal (text, "true") && !g_str_equal (text, "false"))
          return FALSE;
        flag = g_str_equal (text, "true");
        *(gboolean *)field = flag;
        return TRUE;
      case VALUE_HOST:
        if (!at_coap_validate_host (text, NULL))
          return FALSE;
        break;
      case VALUE_UNIQUE_NAME:
        if (!g_dbus_is_unique_name (text))
          return FALSE;
        break;
      case VALUE_NAME_LIST:
        return read_name_list (file, group, key, field);
      case VALUE_TEXT:
        if (!valid_text (key, text))
          return FALSE;
        break;
    }
  g_free (*(char **)field);
  *(char **)field = g_strdup (text);
  return TRUE;
}

static const StateKey *
find_key (const StateKey *keys, gsize n_keys, const char *name)
{
  for (gsize i = 0; i < n_keys; i++)
    if (g_str_equal (keys[i].name, name))
      return &keys[i];
  return NULL;
}

/* Reads a whole group through its table: every key it holds must be known,
 * every key it must hold present. */
static gboolean
read_group (GKeyFile *file, const char *group, const StateKey *keys, gsize n_keys, gpointer record,
            const char *skip, GError **error)
{
  g_auto (GStrv) names = g_key_file_get_keys (file, group, NULL, NULL);

  for (guint i = 0; names && names[i]; i++)
    {
      const StateKey *key = find_key (keys, n_keys, names[i]);
      /* Unescaped, as the writer escaped it: a bad escape is a bad value. */
      g_autofree char *text = g_key_file_get_string (file, group, names[i], NULL);

      if (skip && g_str_equal (names[i], skip))
        continue;
      if (key == NULL)
        return corrupt (error, group, names[i], "unknown key");
      if (text == NULL || !read_value (file, group, key, text, (char *)record + key->offset))
        return corrupt (error, group, names[i], "invalid value");
    }
  for (gsize i = 0; i < n_keys; i++)
    if (!keys[i].optional && !g_key_file_has_key (file, group, keys[i].name, NULL))
      return corrupt (error, group, keys[i].name, "missing");
  return TRUE;
}

static gboolean
read_version (GKeyFile *file, GError **error)
{
  g_autofree char *text = g_key_file_get_value (file, GROUP_DAEMON, "Version", NULL);
  guint64 version;

  if (text == NULL)
    return corrupt (error, GROUP_DAEMON, "Version", "missing");
  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT32, &version, NULL))
    return corrupt (error, GROUP_DAEMON, "Version", "invalid value");
  if (version == STATE_FILE_VERSION)
    return TRUE;
  g_set_error (error, STATE_FILE_ERROR, STATE_FILE_ERROR_VERSION,
               "version %" G_GUINT64_FORMAT ", this qcoapd reads version %d", version,
               STATE_FILE_VERSION);
  return FALSE;
}

/* "session N" with N a client ID written the one way it is written. */
static gboolean
session_group_id (const char *group, guint *id)
{
  guint64 value;

  if (!g_str_has_prefix (group, SESSION_GROUP_PREFIX))
    return FALSE;
  group += strlen (SESSION_GROUP_PREFIX);
  if (strlen (group) != 1
      || !g_ascii_string_to_unsigned (group, 10, 0, QCOAP_MAX_CLIENTS - 1, &value, NULL))
    return FALSE;
  *id = (guint)value;
  return TRUE;
}

static gboolean
read_groups (GKeyFile *file, SavedState *state, GError **error)
{
  g_auto (GStrv) groups = g_key_file_get_groups (file, NULL);
  guint id;

  for (guint i = 0; groups[i]; i++)
    {
      if (g_str_equal (groups[i], GROUP_DAEMON))
        continue;
      if (!session_group_id (groups[i], &id))
        return corrupt (error, groups[i], NULL, "unknown group");
      state->sessions[id].present = TRUE;
      if (!read_group (file, groups[i], session_keys, G_N_ELEMENTS (session_keys),
                       &state->sessions[id], NULL, error))
        return FALSE;
    }
  return TRUE;
}

/* A session saved by a daemon that kept one sequence for all continues
 * from that sequence's position. */
static void
inherit_message_ids (GKeyFile *file, SavedState *state)
{
  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    {
      g_autofree char *group = g_strdup_printf (SESSION_GROUP_PREFIX "%u", i);

      if (state->sessions[i].present && !g_key_file_has_key (file, group, "MessageId", NULL))
        state->sessions[i].message_id = state->message_id;
    }
}

gboolean
state_file_parse (const char *data, gsize length, SavedState *state, GError **error)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autoptr (GError) local_error = NULL;

  saved_state_clear (state);
  if (!g_key_file_load_from_data (file, data, length, G_KEY_FILE_NONE, &local_error))
    return corrupt (error, GROUP_DAEMON, NULL, local_error->message);
  if (!g_key_file_has_group (file, GROUP_DAEMON))
    return corrupt (error, GROUP_DAEMON, NULL, "missing: not a state file of qcoapd");
  if (!read_version (file, error)
      || !read_group (file, GROUP_DAEMON, daemon_keys, G_N_ELEMENTS (daemon_keys), state, "Version",
                      error)
      || !read_groups (file, state, error))
    {
      saved_state_clear (state);
      return FALSE;
    }
  inherit_message_ids (file, state);
  return TRUE;
}

/* ---- the file ------------------------------------------------------------------- */

gboolean
state_file_prepare_directory (const char *path, GError **error)
{
  g_autofree char *directory = g_path_get_dirname (path);

  if (!g_file_test (directory, G_FILE_TEST_IS_DIR)
      && g_mkdir_with_parents (directory, DIRECTORY_MODE) == 0)
    g_info ("Created %s for the sessions' state", directory);
  if (g_access (directory, W_OK | X_OK) == 0)
    return TRUE;
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "%s cannot be written (%s)",
               directory, g_strerror (errno));
  return FALSE;
}

char *
state_file_default_path (void)
{
  const char *directory = g_getenv ("RUNTIME_DIRECTORY");

  /* systemd gives a list when a unit has several runtime directories. */
  if (directory == NULL || directory[0] != '/' || strchr (directory, ':'))
    directory = STATE_FILE_DEFAULT_DIRECTORY;
  return g_build_filename (directory, STATE_FILE_NAME, NULL);
}

char *
state_file_path_for (const char *modem_name)
{
  g_autofree char *path = state_file_default_path ();

  if (g_str_equal (modem_name, STATE_FILE_DEFAULT_MODEM))
    return g_steal_pointer (&path);
  return g_strdup_printf ("%s-%s", path, modem_name);
}

static gboolean
check_ours (int fd, const char *path, GError **error)
{
  struct stat st;

  if (fstat (fd, &st) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "%s: %s", path,
                   g_strerror (errno));
      return FALSE;
    }
  if (S_ISREG (st.st_mode) && st.st_uid == geteuid () && (st.st_mode & 0022) == 0)
    return TRUE;
  g_set_error (error, STATE_FILE_ERROR, STATE_FILE_ERROR_FOREIGN,
               "%s is not qcoapd's own (owner uid %u, mode %04o)", path, (guint)st.st_uid,
               (guint)(st.st_mode & 07777));
  return FALSE;
}

/* A state file is a few kilobytes; anything much larger is not one. */
#define MAX_FILE_SIZE (256 * 1024)

gboolean
state_file_load (const char *path, SavedState *state, GError **error)
{
  g_autofree char *data = g_malloc (MAX_FILE_SIZE);
  /* Non-blocking: a FIFO put there must not hold the start in open(). */
  int fd = g_open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0);
  gssize length;

  if (fd < 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "%s: %s", path,
                   g_strerror (errno));
      return FALSE;
    }
  if (!check_ours (fd, path, error))
    {
      close (fd);
      return FALSE;
    }
  length = read (fd, data, MAX_FILE_SIZE);
  close (fd);
  if (length < 0 || length == MAX_FILE_SIZE)
    {
      g_set_error (error, STATE_FILE_ERROR, STATE_FILE_ERROR_CORRUPT, "%s: %s", path,
                   length < 0 ? g_strerror (errno) : "too large for a state file");
      return FALSE;
    }
  return state_file_parse (data, (gsize)length, state, error);
}

static gboolean
write_all (int fd, const char *data, gsize length)
{
  while (length > 0)
    {
      gssize written = write (fd, data, length);

      if (written < 0 && errno == EINTR)
        continue;
      if (written <= 0)
        return FALSE;
      data += written;
      length -= (gsize)written;
    }
  return TRUE;
}

gboolean
state_file_save (const char *path, const SavedState *state, GError **error)
{
  g_autofree char *text = state_file_serialize (state);
  g_autofree char *temporary = g_strdup_printf ("%s.XXXXXX", path);
  int fd = g_mkstemp_full (temporary, O_WRONLY | O_CLOEXEC, FILE_MODE);
  int saved_errno;

  if (fd < 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "%s: %s", temporary,
                   g_strerror (errno));
      return FALSE;
    }
  /* The data reach the disk before the name does: a crash leaves the old
   * file or the new one, never a part. */
  if (write_all (fd, text, strlen (text)) && fsync (fd) == 0 && close (fd) == 0)
    {
      fd = -1;
      if (g_rename (temporary, path) == 0)
        return TRUE;
    }
  saved_errno = errno;
  if (fd >= 0)
    close (fd);
  g_unlink (temporary);
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno), "%s: %s", path,
               g_strerror (saved_errno));
  return FALSE;
}
