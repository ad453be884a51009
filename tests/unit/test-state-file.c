/* SPDX-License-Identifier: MIT */
/* test-state-file.c — the state file's format (daemon/state-file.c): what
 * is written reads back the same, anything else is refused with the error
 * that says why, and the file on disk is private and replaced atomically. */
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "state-file.h"

static void
fill_state (SavedState *state)
{
  static const char *const listeners[] = { ":1.42", ":1.77", NULL };
  SavedSession *plain = &state->sessions[0];
  SavedSession *secure = &state->sessions[4];

  state->imei = g_strdup ("864475040000001");
  state->bus = g_strdup ("8f2c7a0b1e5d4c3a9b8e7f6a5d4c3b2a");
  state->clean = TRUE;
  state->message_id = 65535;
  plain->present = TRUE;
  plain->host = g_strdup ("192.0.2.10");
  plain->port = 5683;
  plain->pdp_context = 1;
  plain->ack_timeout = 2;
  plain->max_retransmit = 4;
  plain->persistent = TRUE;
  plain->idle_timeout = 300;
  plain->idle_deadline = G_GINT64_CONSTANT (1767225600);
  plain->owner_uid = 1000;
  plain->owner = g_strdup (":1.42");
  plain->listeners = g_strdupv ((char **)listeners);
  plain->message_id = 40000;
  secure->present = TRUE;
  secure->host = g_strdup ("coap.example");
  secure->port = 5684;
  secure->pdp_context = 16;
  secure->ack_timeout = 60;
  secure->max_retransmit = 8;
  secure->psk_identity = g_strdup ("gateway 7; #not a comment");
  secure->owner = g_strdup (":1.7");
  secure->message_id = 3;
}

static void
assert_same_session (const SavedSession *a, const SavedSession *b)
{
  g_assert_cmpint (a->present, ==, b->present);
  g_assert_cmpstr (a->host, ==, b->host);
  g_assert_cmpuint (a->port, ==, b->port);
  g_assert_cmpuint (a->pdp_context, ==, b->pdp_context);
  g_assert_cmpuint (a->ack_timeout, ==, b->ack_timeout);
  g_assert_cmpuint (a->max_retransmit, ==, b->max_retransmit);
  g_assert_cmpint (a->persistent, ==, b->persistent);
  g_assert_cmpuint (a->idle_timeout, ==, b->idle_timeout);
  g_assert_cmpint (a->idle_deadline, ==, b->idle_deadline);
  g_assert_cmpstr (a->psk_identity, ==, b->psk_identity);
  g_assert_cmpuint (a->owner_uid, ==, b->owner_uid);
  g_assert_cmpstr (a->owner, ==, b->owner);
  g_assert_cmpstrv (a->listeners, b->listeners);
  g_assert_cmpuint (a->message_id, ==, b->message_id);
}

static void
test_round_trip (void)
{
  g_auto (SavedState) state = { 0 };
  g_auto (SavedState) read = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  fill_state (&state);
  text = state_file_serialize (&state);
  g_assert_true (state_file_parse (text, strlen (text), &read, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (read.imei, ==, state.imei);
  g_assert_cmpstr (read.bus, ==, state.bus);
  g_assert_true (read.clean);
  g_assert_cmpuint (read.message_id, ==, 65535);
  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    assert_same_session (&read.sessions[i], &state.sessions[i]);
  /* Never a key: the format has no place for one. */
  g_assert_null (strstr (text, "Key"));
}

static const char valid_header[] = "[qcoapd]\nVersion=1\nImei=1\nBus=b\nClean=false\nMessageId=7\n";
static const char valid_session[]
    = "Host=127.0.0.1\nPort=5683\nPdpContext=1\nAckTimeout=2\nMaxRetransmit=4\n"
      "Persistent=true\nIdleTimeout=300\nIdleDeadline=0\nOwnerUid=1000\nOwner=:1.5\n";

/* A session saved without its own MessageId= (by a daemon that kept one
 * sequence) continues from the file's. */
static void
test_message_id_inherited (void)
{
  g_autofree char *text = g_strconcat (valid_header, "[session 2]\n", valid_session,
                                       "[session 3]\nMessageId=9\n", valid_session, NULL);
  g_auto (SavedState) state = { 0 };
  g_autoptr (GError) error = NULL;

  g_assert_true (state_file_parse (text, strlen (text), &state, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (state.sessions[2].message_id, ==, 7);
  g_assert_cmpuint (state.sessions[3].message_id, ==, 9);
}

static void
assert_refused (const char *text, StateFileError code)
{
  g_auto (SavedState) state = { 0 };
  g_autoptr (GError) error = NULL;

  if (state_file_parse (text, strlen (text), &state, &error))
    g_error ("accepted:\n%s", text);
  g_assert_error (error, STATE_FILE_ERROR, (gint)code);
  /* A refused file leaves nothing half read. */
  for (guint i = 0; i < QCOAP_MAX_CLIENTS; i++)
    g_assert_false (state.sessions[i].present);
}

static void
test_valid_minimum (void)
{
  g_autofree char *text = g_strconcat (valid_header, "[session 5]\n", valid_session, NULL);
  g_auto (SavedState) state = { 0 };
  g_autoptr (GError) error = NULL;

  g_assert_true (state_file_parse (text, strlen (text), &state, &error));
  g_assert_no_error (error);
  g_assert_true (state.sessions[5].present);
  g_assert_null (state.sessions[5].psk_identity);
  g_assert_null (state.sessions[5].listeners);
}

/* Each line replaces one line of a valid session group. */
static const struct
{
  const char *replace;
  const char *with;
} corrupt_sessions[] = {
  { "Port=5683", "Port=0" },
  { "Port=5683", "Port=65536" },
  { "Port=5683", "Port=-1" },
  { "Port=5683", "Port=56x" },
  { "PdpContext=1", "PdpContext=17" },
  { "AckTimeout=2", "AckTimeout=1" },
  { "MaxRetransmit=4", "MaxRetransmit=9" },
  { "Persistent=true", "Persistent=yes" },
  { "Host=127.0.0.1", "Host=" },
  { "Host=127.0.0.1", "Host=a\"b" },
  { "Owner=:1.5", "Owner=org.example.Name" },
  { "Owner=:1.5", "Owner=" },
  { "OwnerUid=1000", "OwnerUid=4294967295" },
  { "IdleDeadline=0", "IdleDeadline=-5" },
  { "IdleTimeout=300", "IdleTimeout=604801" },
  { "Port=5683", "Port=5683\nPsk=00" },
  { "Port=5683", "Listeners=:1.5;org.example;" },
  { "Port=5683\n", "" },
};

static void
test_corrupt_session (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (corrupt_sessions); i++)
    {
      g_autoptr (GString) session = g_string_new (valid_session);
      g_autofree char *text = NULL;

      g_assert_cmpint (
          g_string_replace (session, corrupt_sessions[i].replace, corrupt_sessions[i].with, 1), ==,
          1);
      text = g_strconcat (valid_header, "[session 2]\n", session->str, NULL);
      assert_refused (text, STATE_FILE_ERROR_CORRUPT);
    }
}

static void
test_corrupt_file (void)
{
  static const char *const texts[] = {
    "",
    "\x00\x01\x02",
    "not a key file at all",
    "[other]\nVersion=1\n",
    "[qcoapd]\nImei=1\nBus=b\nClean=false\nMessageId=7\n",
    "[qcoapd]\nVersion=one\nImei=1\nBus=b\nClean=false\nMessageId=7\n",
    "[qcoapd]\nVersion=1\nImei=1\nBus=b\nClean=false\nMessageId=65536\n",
    "[qcoapd]\nVersion=1\nImei=1\nBus=b\nClean=false\n",
    "[qcoapd]\nVersion=1\nImei=1\nBus=b\nClean=false\nMessageId=7\n[session 6]\n",
    "[qcoapd]\nVersion=1\nImei=1\nBus=b\nClean=false\nMessageId=7\n[session 01]\n",
    "[qcoapd]\nVersion=1\nImei=1\nBus=b\nClean=false\nMessageId=7\n[extra]\nA=1\n",
    "[qcoapd]\nVersion=1\nImei=1\nBus=b\nClean=false\nMessageId=7\n[session 1]\nHost=h\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    assert_refused (texts[i], STATE_FILE_ERROR_CORRUPT);
}

static void
test_wrong_version (void)
{
  g_autofree char *text
      = g_strconcat ("[qcoapd]\nVersion=2\nImei=1\n[session 0]\n", valid_session, NULL);
  g_auto (SavedState) state = { 0 };
  g_autoptr (GError) error = NULL;

  assert_refused (text, STATE_FILE_ERROR_VERSION);
  assert_refused ("[qcoapd]\nVersion=0\n", STATE_FILE_ERROR_VERSION);
  g_assert_false (state_file_parse (text, strlen (text), &state, &error));
  g_assert_nonnull (strstr (error->message, "version 2"));
}

static void
test_save_and_load (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-state-file-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, STATE_FILE_NAME, NULL);
  g_auto (SavedState) state = { 0 };
  g_auto (SavedState) read = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) listing = NULL;
  struct stat st;

  fill_state (&state);
  g_assert_true (state_file_save (path, &state, &error));
  g_assert_no_error (error);
  state.message_id = 12;
  /* A second save replaces the first. */
  g_assert_true (state_file_save (path, &state, &error));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, 0600);
  g_assert_true (state_file_load (path, &read, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (read.message_id, ==, 12);
  /* No temporary file is left behind. */
  listing = g_dir_open (dir, 0, NULL);
  g_assert_cmpstr (g_dir_read_name (listing), ==, STATE_FILE_NAME);
  g_assert_null (g_dir_read_name (listing));

  /* A file others may write is not ours to trust. */
  g_assert_cmpint (g_chmod (path, 0666), ==, 0);
  g_assert_false (state_file_load (path, &read, &error));
  g_assert_error (error, STATE_FILE_ERROR, STATE_FILE_ERROR_FOREIGN);
  g_clear_error (&error);
  g_clear_error (&error);
  /* Nor is a FIFO, and reading it does not wait for a writer. */
  g_unlink (path);
  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  g_assert_false (state_file_load (path, &read, &error));
  g_assert_error (error, STATE_FILE_ERROR, STATE_FILE_ERROR_FOREIGN);
  g_clear_error (&error);
  g_unlink (path);
  g_assert_false (state_file_load (path, &read, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_rmdir (dir);
}

static void
test_default_path (void)
{
  g_autofree char *fallback = NULL;
  g_autofree char *given = NULL;

  g_unsetenv ("RUNTIME_DIRECTORY");
  fallback = state_file_default_path ();
  g_assert_cmpstr (fallback, ==, "/run/qcoapd/state");
  g_setenv ("RUNTIME_DIRECTORY", "/tmp/qcoapd-test", TRUE);
  given = state_file_default_path ();
  g_assert_cmpstr (given, ==, "/tmp/qcoapd-test/state");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/state-file/round-trip", test_round_trip);
  g_test_add_func ("/state-file/valid-minimum", test_valid_minimum);
  g_test_add_func ("/state-file/message-id-inherited", test_message_id_inherited);
  g_test_add_func ("/state-file/corrupt-session", test_corrupt_session);
  g_test_add_func ("/state-file/corrupt-file", test_corrupt_file);
  g_test_add_func ("/state-file/wrong-version", test_wrong_version);
  g_test_add_func ("/state-file/save-and-load", test_save_and_load);
  g_test_add_func ("/state-file/default-path", test_default_path);
  return g_test_run ();
}
