/* SPDX-License-Identifier: MIT */
/* test-log-level.c — the threshold decides which levels are written, and
 * qcoapd_debug () does not even evaluate its arguments below it. */
#include "log-level.h"

static guint evaluated;

static const char *
counted (const char *text)
{
  evaluated++;
  return text;
}

static void
test_threshold (void)
{
  log_level_set_threshold (G_LOG_LEVEL_INFO);
  g_assert_true (log_level_wants (G_LOG_LEVEL_WARNING));
  g_assert_true (log_level_wants (G_LOG_LEVEL_MESSAGE));
  g_assert_true (log_level_wants (G_LOG_LEVEL_INFO));
  g_assert_false (log_level_wants (G_LOG_LEVEL_DEBUG));

  log_level_set_threshold (G_LOG_LEVEL_WARNING);
  g_assert_true (log_level_wants (G_LOG_LEVEL_CRITICAL));
  g_assert_false (log_level_wants (G_LOG_LEVEL_MESSAGE));

  log_level_set_threshold (G_LOG_LEVEL_DEBUG);
  g_assert_true (log_level_wants (G_LOG_LEVEL_DEBUG));
}

static void
test_debug_skipped (void)
{
  evaluated = 0;
  log_level_set_threshold (G_LOG_LEVEL_INFO);
  qcoapd_debug ("%s", counted ("not formatted"));
  g_assert_cmpuint (evaluated, ==, 0);

  /* Written, so formatted (GLib's default handler drops it unless
   * G_MESSAGES_DEBUG asks for it: only the evaluation is checked). */
  log_level_set_threshold (G_LOG_LEVEL_DEBUG);
  qcoapd_debug ("%s", counted ("formatted"));
  g_assert_cmpuint (evaluated, ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/log-level/threshold", test_threshold);
  g_test_add_func ("/log-level/debug-skipped", test_debug_skipped);
  return g_test_run ();
}
