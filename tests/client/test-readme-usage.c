/* SPDX-License-Identifier: MIT */
/* test-readme-usage.c — runs the shell blocks of the README that
 * are marked "<!-- tested: NAME -->", line for line, against the real
 * daemon, and checks what they print. Runs inside client-env-run: the
 * blocks use the system bus, which here is the private test bus
 * (DBUS_SYSTEM_BUS_ADDRESS), and the variables server and port, which here
 * name the test's coap-server. */
#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

typedef struct
{
  char *name;
  char *script;
} Block;

static GPtrArray *blocks; /* Block */

/* The block that runs qcoapctl at: the daemon's Command, root's only. */
#define ROOT_ONLY_BLOCK "qcoapctl"

/* What each block must print (multi-line regular expressions), and how
 * many times. */
static const struct
{
  const char *block;
  const char *pattern;
  guint count;
} expectations[] = {
  /* GET /time, and the one-shot request: 2.05 with Max-Age and 15 bytes. */
  { "busctl", "^ya\\(qv\\)ay 69 1 14 u [0-9]+ 15( [0-9]+){15}$", 2 },
  /* PUT: 2.01 Created or 2.04 Changed, no options, no payload. */
  { "busctl", "^ya\\(qv\\)ay 6[58] 0 0$", 1 },
  /* Send: a message ID and a 4-byte token. */
  { "busctl", "^qay [0-9]+ 4( [0-9]+){4}$", 1 },
  { "gdbus",
    "^\\(byte 0x45, \\[\\(uint16 14, <uint32 [0-9]+>\\)\\], \\[byte 0x4e?[0-9a-f]{1,2}(, "
    "0x[0-9a-f]{2}){14}\\]\\)$",
    2 },
  { "gdbus", "^\\(byte 0x4[14], @a\\(qv\\) \\[\\], @ay \\[\\]\\)$", 1 },
  { "gdbus", "^\\(uint16 [0-9]+, \\[byte 0x[0-9a-f]{2}(, 0x[0-9a-f]{2}){3}\\]\\)$", 1 },
  { "gdbus", "^\\(\\)$", 1 }, /* Close */
  /* status: one block, of the modem named "default". */
  { "qcoapctl", "^  Modem    \\| +name: default$", 1 },
  { "qcoapctl", "^           \\| +state: ready$", 1 },
  { "qcoapctl", "^[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}", 3 },
  { "qcoapctl", "^hello from the gateway$", 1 },
  { "qcoapctl", "^\\{\"code\":\"2\\.05\",\"code_number\":69,\"description\":\"Content\",", 1 },
  { "qcoapctl",
    "^/org/qcoapd/CoAP1/Session/[0-9]+  [0-5]  coap://127\\.0\\.0\\.1:[0-9]+  open  owner "
    "[a-z0-9_-]+  "
    "persistent  modem default$",
    1 },
  { "qcoapctl", "^message ID [0-9]+ \\(0x[0-9a-f]{4}\\), token [0-9a-f]{8}$", 1 },
  { "qcoapctl", "^4\\.04 Not Found$", 1 },
  { "qcoapctl", "^exit status 3 \\(3: a 4\\.xx response\\)$", 1 },
  /* status shows the network; by the time of at the modem is registered. */
  { "qcoapctl", "^  Network  \\| +registration: [a-z]+$", 1 },
  { "qcoapctl", "^\\+COPS: 0,0,\"Fake Telecom\",8$", 1 },
  { "qcoapctl", "^exit status 2 \\(2: refused\\)$", 1 },
};

static void
block_free (Block *block)
{
  g_free (block->name);
  g_free (block->script);
  g_free (block);
}

/* Every "<!-- tested: NAME -->" line followed by a ```sh fence. */
static GPtrArray *
extract_blocks (const char *markdown)
{
  GPtrArray *found = g_ptr_array_new_with_free_func ((GDestroyNotify)block_free);
  g_auto (GStrv) lines = g_strsplit (markdown, "\n", -1);

  for (guint i = 0; lines[i]; i++)
    {
      GString *script;
      Block *block;

      if (!g_regex_match_simple ("^<!-- tested: [a-z-]+ -->$", lines[i], 0, 0))
        continue;
      g_assert_nonnull (lines[i + 1]);
      g_assert_cmpstr (lines[i + 1], ==, "```sh");
      block = g_new0 (Block, 1);
      block->name = g_strndup (lines[i] + strlen ("<!-- tested: "),
                               strlen (lines[i]) - strlen ("<!-- tested: ") - strlen (" -->"));
      script = g_string_new (NULL);
      for (i += 2; lines[i] && !g_str_equal (lines[i], "```"); i++)
        g_string_append_printf (script, "%s\n", lines[i]);
      g_assert_nonnull (lines[i]);
      block->script = g_string_free (script, FALSE);
      g_ptr_array_add (found, block);
    }
  return found;
}

/* The sessions the daemon has now, through a plain D-Bus call. */
static gsize
count_sessions (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) bus = g_dbus_connection_new_for_address_sync (
      g_getenv ("QCOAP_TEST_BUS"),
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) sessions = NULL;

  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (
      bus, "org.qcoapd.CoAP1", "/org/qcoapd/CoAP1", "org.freedesktop.DBus.Properties", "Get",
      g_variant_new ("(ss)", "org.qcoapd.CoAP1", "Sessions"), G_VARIANT_TYPE ("(v)"),
      G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &sessions);
  return g_variant_n_children (sessions);
}

static guint
count_matches (const char *pattern, const char *text)
{
  g_autoptr (GRegex) regex = g_regex_new (pattern, G_REGEX_MULTILINE, 0, NULL);
  g_autoptr (GMatchInfo) match = NULL;
  guint count = 0;

  g_assert_nonnull (regex);
  for (g_regex_match (regex, text, 0, &match); g_match_info_matches (match);
       g_match_info_next (match, NULL))
    count++;
  return count;
}

static void
test_block (gconstpointer data)
{
  const Block *block = data;
  g_autoptr (GSubprocessLauncher) launcher
      = harness_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr (GSubprocess) shell = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *output = NULL;
  g_autofree char *tools = g_path_get_dirname (g_getenv ("QCOAPCTL"));
  g_autofree char *path = g_strdup_printf ("%s:%s", tools, g_getenv ("PATH"));

  if (geteuid () != 0 && g_str_equal (block->name, ROOT_ONLY_BLOCK))
    {
      g_test_skip ("the block runs qcoapctl at, which is for root only");
      return;
    }
  g_subprocess_launcher_setenv (launcher, "DBUS_SYSTEM_BUS_ADDRESS", g_getenv ("QCOAP_TEST_BUS"),
                                TRUE);
  g_subprocess_launcher_setenv (launcher, "server", "127.0.0.1", TRUE);
  g_subprocess_launcher_setenv (launcher, "port", g_getenv ("QCOAP_TEST_COAP_PORT"), TRUE);
  g_subprocess_launcher_setenv (launcher, "PATH", path, TRUE);
  /* -e: every line must succeed; -x: the log shows which did not. */
  shell = g_subprocess_launcher_spawn (launcher, &error, "/bin/bash", "-euxo", "pipefail", "-c",
                                       block->script, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (shell, NULL, NULL, &output, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("output of the %s block:\n%s", block->name, output);
  g_assert_true (g_subprocess_get_if_exited (shell));
  g_assert_cmpint (g_subprocess_get_exit_status (shell), ==, 0);

  for (gsize i = 0; i < G_N_ELEMENTS (expectations); i++)
    if (g_str_equal (expectations[i].block, block->name))
      {
        g_test_message ("expecting %u x /%s/", expectations[i].count, expectations[i].pattern);
        g_assert_cmpuint (count_matches (expectations[i].pattern, output), ==,
                          expectations[i].count);
      }
  /* Each block closes what it opened. */
  g_assert_cmpuint (count_sessions (), ==, 0);
}

static void
test_all_blocks_found (void)
{
  /* A marker lost in an edit would silently drop a block from the test. */
  g_assert_cmpuint (blocks->len, ==, 3);
  for (gsize i = 0; i < G_N_ELEMENTS (expectations); i++)
    {
      gboolean found = FALSE;

      for (guint b = 0; b < blocks->len; b++)
        found
            |= g_str_equal (((Block *)g_ptr_array_index (blocks, b))->name, expectations[i].block);
      g_assert_true (found);
    }
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *markdown = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  if (!g_file_get_contents (g_getenv ("QCOAP_README_USAGE"), &markdown, NULL, &error))
    g_error ("cannot read QCOAP_README_USAGE: %s", error->message);
  blocks = extract_blocks (markdown);

  g_test_add_func ("/readme/blocks-found", test_all_blocks_found);
  for (guint i = 0; i < blocks->len; i++)
    {
      Block *block = g_ptr_array_index (blocks, i);
      g_autofree char *test_path = g_strdup_printf ("/readme/%s", block->name);

      g_test_add_data_func (test_path, block, test_block);
    }
  status = g_test_run ();
  g_ptr_array_unref (blocks);
  return status;
}
