/* SPDX-License-Identifier: MIT */
/* test-option-mirror.c — the option mirror plans the fewest AT commands, and
 * every message the modem then sends is the one asked for, whatever fails.
 *
 * The modem is modelled here from the AT reference alone: eight slots and a
 * header per client, set by the commands a plan gives, and a message made of
 * the slots the bitmask selects, ordered by option number with repeated
 * options in slot order.
 */
#include "option-mirror.h"

#include <stdlib.h>
#include <string.h>

#include "qcoap-cmd.h"
#include "qcoap-proto.h"

#define CLIENT 3

/* ---- the modem model ------------------------------------------------------------- */

typedef struct
{
  char *header;       /* the last AT+QCOAPHEADER line */
  char *slots[8];     /* "<number>,<value>" as the option command wrote it */
  guint options_sent; /* AT+QCOAPOPTION lines received */
  guint headers_sent; /* AT+QCOAPHEADER lines received */
} Modem;

static void
modem_clear (Modem *modem)
{
  g_free (modem->header);
  for (guint s = 0; s < 8; s++)
    g_free (modem->slots[s]);
  memset (modem, 0, sizeof *modem);
}

/* "<number>,<value>" of an AT+QCOAPOPTION=<id>,0,<slot>,<number>,<value> line;
 * the slot goes to *slot. */
static const char *
option_fields (const char *command, guint *slot)
{
  const char *p = strchr (command, '=');
  char *end;

  g_assert_nonnull (p);
  g_assert_cmpuint (strtoul (p + 1, &end, 10), ==, CLIENT);
  g_assert_true (g_str_has_prefix (end, ",0,"));
  *slot = (guint)strtoul (end + 3, &end, 10);
  g_assert_cmpint (*end, ==, ',');
  return end + 1;
}

static void
modem_apply (Modem *modem, const char *command)
{
  guint slot;
  const char *fields;

  if (g_str_has_prefix (command, "AT+QCOAPHEADER="))
    {
      g_free (modem->header);
      modem->header = g_strdup (command);
      modem->headers_sent++;
      return;
    }
  g_assert_true (g_str_has_prefix (command, "AT+QCOAPOPTION="));
  fields = option_fields (command, &slot);
  g_assert_cmpuint (slot, <, 8);
  g_free (modem->slots[slot]);
  modem->slots[slot] = g_strdup (fields);
  modem->options_sent++;
}

static guint
fields_number (const char *fields)
{
  return (guint)strtoul (fields, NULL, 10);
}

/* Stable sort by option number of "<number>,<value>" strings. */
static void
sort_by_number (GPtrArray *fields)
{
  for (guint i = 1; i < fields->len; i++)
    for (guint j = i; j > 0
                      && fields_number (g_ptr_array_index (fields, j - 1))
                             > fields_number (g_ptr_array_index (fields, j));
         j--)
      {
        gpointer tmp = fields->pdata[j];

        fields->pdata[j] = fields->pdata[j - 1];
        fields->pdata[j - 1] = tmp;
      }
}

/* The options of the message AT+QCOAPSEND with @bitmask sends, as text. */
static char *
modem_message (Modem *modem, guint8 bitmask)
{
  g_autoptr (GPtrArray) fields = g_ptr_array_new ();

  for (guint s = 0; s < 8; s++)
    if (bitmask & (1u << s))
      {
        g_assert_nonnull (modem->slots[s]); /* the modem answers ERROR otherwise */
        g_ptr_array_add (fields, modem->slots[s]);
      }
  sort_by_number (fields);
  g_ptr_array_add (fields, NULL);
  return g_strjoinv (" ", (char **)fields->pdata);
}

/* What the message with @options must carry, in the same text. */
static char *
expected_message (GPtrArray *options)
{
  g_autoptr (GPtrArray) fields = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) borrowed = g_ptr_array_new ();

  for (guint i = 0; options && i < options->len; i++)
    {
      g_autofree char *command = at_coap_cmd_option_add (CLIENT, 0, g_ptr_array_index (options, i));
      guint slot;

      g_ptr_array_add (fields, g_strdup (option_fields (command, &slot)));
      g_ptr_array_add (borrowed, g_ptr_array_index (fields, i));
    }
  sort_by_number (borrowed);
  g_ptr_array_add (borrowed, NULL);
  return g_strjoinv (" ", (char **)borrowed->pdata);
}

/* ---- helpers --------------------------------------------------------------------- */

static GPtrArray *
options_of (const char *spec)
{
  /* "p:a p:b cf:50 q:x" — Uri-Path, Content-Format, Uri-Query, Accept (a:),
   * ETag (e:hex). */
  GPtrArray *options = at_coap_option_list_new ();
  g_auto (GStrv) parts = g_strsplit (spec, " ", -1);

  for (guint i = 0; parts[i] && *parts[i]; i++)
    {
      const char *value = parts[i] + 2;

      if (g_str_has_prefix (parts[i], "p:"))
        g_ptr_array_add (options, at_coap_option_new_string (QCOAP_OPTION_URI_PATH, value));
      else if (g_str_has_prefix (parts[i], "q:"))
        g_ptr_array_add (options, at_coap_option_new_string (QCOAP_OPTION_URI_QUERY, value));
      else if (g_str_has_prefix (parts[i], "f:"))
        g_ptr_array_add (
            options, at_coap_option_new_uint (QCOAP_OPTION_CONTENT_FORMAT, (guint32)atoi (value)));
      else if (g_str_has_prefix (parts[i], "a:"))
        g_ptr_array_add (options,
                         at_coap_option_new_uint (QCOAP_OPTION_ACCEPT, (guint32)atoi (value)));
      else if (g_str_has_prefix (parts[i], "e:"))
        g_ptr_array_add (options,
                         at_coap_option_new_bytes (QCOAP_OPTION_ETAG, QCOAP_OPTION_FORMAT_OPAQUE,
                                                   (const guint8 *)value, strlen (value)));
      else
        g_assert_not_reached ();
    }
  return options;
}

static GBytes *
token_of (guint32 value)
{
  return g_bytes_new (&value, sizeof value);
}

/* Plans a message, runs its commands on @modem, checks what the modem sends
 * and finishes the plan successfully. Returns the number of commands. */
static guint
send_ok (OptionMirror *mirror, Modem *modem, guint16 mid, const char *spec)
{
  g_autoptr (GPtrArray) options = options_of (spec);
  g_autoptr (GBytes) token = token_of (mid * 7u);
  g_autoptr (OptionMirrorPlan) plan = option_mirror_plan (mirror, mid, token, options);
  GPtrArray *commands = option_mirror_plan_get_commands (plan);
  g_autofree char *sent = NULL;
  g_autofree char *wanted = expected_message (options);
  g_autofree char *header = at_coap_cmd_header (CLIENT, mid, token);

  for (guint i = 0; i < commands->len; i++)
    modem_apply (modem, g_ptr_array_index (commands, i));
  sent = modem_message (modem, option_mirror_plan_get_bitmask (plan));
  g_assert_cmpstr (sent, ==, wanted);
  g_assert_cmpstr (modem->header, ==, header);
  option_mirror_plan_finish (mirror, plan, TRUE);
  return commands->len;
}

/* ---- cases ----------------------------------------------------------------------- */

static void
test_first_message_writes_everything (void)
{
  g_autoptr (OptionMirror) mirror = option_mirror_new (CLIENT);
  g_autoptr (GPtrArray) options = options_of ("p:sensors p:t1 f:50");
  g_autoptr (GBytes) token = token_of (0xA1B2C3D4);
  g_autoptr (OptionMirrorPlan) plan = option_mirror_plan (mirror, 4660, token, options);
  GPtrArray *commands = option_mirror_plan_get_commands (plan);
  g_autofree char *header = at_coap_cmd_header (CLIENT, 4660, token);

  /* Knowing nothing, the plan is what a straightforward host sends. */
  g_assert_cmpuint (commands->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (commands, 0), ==, header);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *command = at_coap_cmd_option_add (CLIENT, i, g_ptr_array_index (options, i));

      g_assert_cmpstr (g_ptr_array_index (commands, i + 1), ==, command);
      g_assert_cmpuint (option_mirror_plan_get_slot (plan, i), ==, i);
    }
  g_assert_cmpuint (option_mirror_plan_get_bitmask (plan), ==, 0x07);
  option_mirror_plan_finish (mirror, plan, TRUE);
}

static void
test_same_path_sends_header_only (void)
{
  g_autoptr (OptionMirror) mirror = option_mirror_new (CLIENT);
  Modem modem = { 0 };

  g_assert_cmpuint (send_ok (mirror, &modem, 100, "p:sensors p:t1"), ==, 3);
  for (guint16 mid = 101; mid < 110; mid++)
    g_assert_cmpuint (send_ok (mirror, &modem, mid, "p:sensors p:t1"), ==, 1);
  g_assert_cmpuint (modem.options_sent, ==, 2);
  g_assert_cmpuint (modem.headers_sent, ==, 10);
  modem_clear (&modem);
}

static void
test_same_header_is_not_resent (void)
{
  g_autoptr (OptionMirror) mirror = option_mirror_new (CLIENT);
  Modem modem = { 0 };

  send_ok (mirror, &modem, 7, "f:0");
  g_assert_cmpuint (send_ok (mirror, &modem, 7, "f:0"), ==, 0);
  /* A different token is a different header. */
  g_assert_cmpuint (send_ok (mirror, &modem, 8, "f:0"), ==, 1);
  modem_clear (&modem);
}

static void
test_changed_option_only (void)
{
  g_autoptr (OptionMirror) mirror = option_mirror_new (CLIENT);
  Modem modem = { 0 };

  send_ok (mirror, &modem, 1, "p:a p:x f:50");
  /* Header plus the one new segment; a and 50 are reused. */
  g_assert_cmpuint (send_ok (mirror, &modem, 2, "p:a p:y f:50"), ==, 2);
  /* Both paths are now in slots: alternating costs only headers. */
  g_assert_cmpuint (send_ok (mirror, &modem, 3, "p:a p:x f:50"), ==, 1);
  g_assert_cmpuint (send_ok (mirror, &modem, 4, "p:a p:y f:50"), ==, 1);
  /* Fewer options: a subset of the slots is selected, nothing written. */
  g_assert_cmpuint (send_ok (mirror, &modem, 5, "p:a"), ==, 1);
  g_assert_cmpuint (send_ok (mirror, &modem, 6, ""), ==, 1);
  modem_clear (&modem);
}

static void
test_repeated_options_keep_their_order (void)
{
  g_autoptr (OptionMirror) mirror = option_mirror_new (CLIENT);
  Modem modem = { 0 };

  send_ok (mirror, &modem, 1, "p:a p:b");
  /* Reversed: only one can be reused, the other must go to a slot on the
   * right side of it (send_ok checks the order the modem emits). */
  g_assert_cmpuint (send_ok (mirror, &modem, 2, "p:b p:a"), ==, 2);
  g_assert_cmpuint (send_ok (mirror, &modem, 3, "p:a p:a p:a"), <=, 3);
  g_assert_cmpuint (send_ok (mirror, &modem, 4, "p:a p:b p:a p:b"), <=, 3);
  g_assert_cmpuint (send_ok (mirror, &modem, 5, "p:a p:b p:a p:b"), ==, 1);
  modem_clear (&modem);
}

static void
test_eight_options_fill_every_slot (void)
{
  g_autoptr (OptionMirror) mirror = option_mirror_new (CLIENT);
  Modem modem = { 0 };
  const char *full = "p:1 p:2 p:3 p:4 p:5 p:6 q:x f:0";

  g_assert_cmpuint (send_ok (mirror, &modem, 1, full), ==, 9);
  g_assert_cmpuint (send_ok (mirror, &modem, 2, full), ==, 1);
  /* One segment inserted in the middle: the later segments must shift
   * right, so reuse is limited by the order, but the message is right. */
  g_assert_cmpuint (send_ok (mirror, &modem, 3, "p:1 p:2 p:9 p:3 p:4 p:5 p:6 f:0"), >=, 2);
  g_assert_cmpuint (send_ok (mirror, &modem, 4, full), >=, 2);
  modem_clear (&modem);
}

static void
test_failure_forgets_everything (void)
{
  g_autoptr (OptionMirror) mirror = option_mirror_new (CLIENT);
  Modem modem = { 0 };
  g_autoptr (GPtrArray) options = options_of ("p:a f:50");
  g_autoptr (GBytes) token = token_of (1);
  OptionMirrorPlan *plan;

  send_ok (mirror, &modem, 1, "p:a f:50");
  plan = option_mirror_plan (mirror, 2, token, options);
  g_assert_cmpuint (option_mirror_plan_get_commands (plan)->len, ==, 1);
  /* The HEADER timed out: the slots may be anything now. */
  option_mirror_plan_finish (mirror, plan, FALSE);
  option_mirror_plan_free (plan);
  g_assert_cmpuint (send_ok (mirror, &modem, 3, "p:a f:50"), ==, 3);
  modem_clear (&modem);
}

static void
test_invalidate (void)
{
  g_autoptr (OptionMirror) mirror = option_mirror_new (CLIENT);
  Modem modem = { 0 };
  g_autoptr (GPtrArray) options = options_of ("p:b");
  g_autoptr (GBytes) token = token_of (2);
  OptionMirrorPlan *plan;

  send_ok (mirror, &modem, 1, "p:a");
  plan = option_mirror_plan (mirror, 2, token, options);
  /* The modem reset while the plan was queued; its success afterwards
   * (impossible on a real reset, but the mirror must not care) teaches
   * nothing. */
  option_mirror_invalidate (mirror);
  option_mirror_plan_finish (mirror, plan, TRUE);
  option_mirror_plan_free (plan);
  g_assert_cmpuint (send_ok (mirror, &modem, 3, "p:b"), ==, 2);
  modem_clear (&modem);
}

static void
test_unfinished_writes_are_not_relied_on (void)
{
  g_autoptr (OptionMirror) mirror = option_mirror_new (CLIENT);
  Modem modem = { 0 };
  g_autoptr (GPtrArray) first_options = options_of ("p:a p:x");
  g_autoptr (GPtrArray) second_options = options_of ("p:a p:x");
  g_autoptr (GBytes) token1 = token_of (11);
  g_autoptr (GBytes) token2 = token_of (12);
  g_autoptr (OptionMirrorPlan) first = NULL;
  g_autoptr (OptionMirrorPlan) second = NULL;
  GPtrArray *commands;
  g_autofree char *sent = NULL;
  g_autofree char *wanted = expected_message (second_options);

  send_ok (mirror, &modem, 10, "p:a p:y");
  first = option_mirror_plan (mirror, 11, token1, first_options);
  second = option_mirror_plan (mirror, 12, token2, second_options);
  /* The first writes x; the second may reuse a (untouched by the first)
   * but must not count on the first's x. */
  g_assert_cmpuint (option_mirror_plan_get_commands (first)->len, ==, 2);
  g_assert_cmpuint (option_mirror_plan_get_commands (second)->len, ==, 2);

  /* The first fails before anything reached the modem; the second still
   * sends the right message. */
  option_mirror_plan_finish (mirror, first, FALSE);
  commands = option_mirror_plan_get_commands (second);
  for (guint i = 0; i < commands->len; i++)
    modem_apply (&modem, g_ptr_array_index (commands, i));
  sent = modem_message (&modem, option_mirror_plan_get_bitmask (second));
  g_assert_cmpstr (sent, ==, wanted);
  option_mirror_plan_finish (mirror, second, TRUE);
  modem_clear (&modem);
}

/* All eight slots hold known options; the next message overwrites the
 * least recently used one, and a message queued behind it that wants the
 * overwritten option must write it again. */
static void
test_overwritten_slot_is_not_reused (void)
{
  g_autoptr (OptionMirror) mirror = option_mirror_new (CLIENT);
  Modem modem = { 0 };
  g_autoptr (GPtrArray) first_options = options_of ("p:9");
  g_autoptr (GPtrArray) second_options = options_of ("p:1");
  g_autoptr (GBytes) token1 = token_of (21);
  g_autoptr (GBytes) token2 = token_of (22);
  g_autoptr (OptionMirrorPlan) first = NULL;
  g_autoptr (OptionMirrorPlan) second = NULL;
  OptionMirrorPlan *plans[2];

  send_ok (mirror, &modem, 20, "p:1 p:2 p:3 p:4 p:5 p:6 p:7 p:8");
  first = option_mirror_plan (mirror, 21, token1, first_options);
  second = option_mirror_plan (mirror, 22, token2, second_options);
  plans[0] = first;
  plans[1] = second;
  for (guint k = 0; k < 2; k++)
    {
      GPtrArray *commands = option_mirror_plan_get_commands (plans[k]);
      g_autofree char *sent = NULL;
      g_autofree char *wanted = expected_message (k == 0 ? first_options : second_options);

      g_assert_cmpuint (commands->len, ==, 2);
      for (guint i = 0; i < commands->len; i++)
        modem_apply (&modem, g_ptr_array_index (commands, i));
      sent = modem_message (&modem, option_mirror_plan_get_bitmask (plans[k]));
      g_assert_cmpstr (sent, ==, wanted);
      option_mirror_plan_finish (mirror, plans[k], TRUE);
    }
  modem_clear (&modem);
}

/* Random messages from a small vocabulary, up to three plans queued ahead
 * of the modem, and random failures that cut a transaction after any of its
 * commands: every message that goes out is right, and a run of identical
 * messages costs headers only once the mirror has settled. */
static void
test_random_traffic (void)
{
  static const char *const words[]
      = { "p:a", "p:b", "p:c", "q:k=1", "q:k=2", "f:0", "f:50", "a:60", "e:A1", "p:a" };
  g_autoptr (OptionMirror) mirror = option_mirror_new (CLIENT);
  g_autoptr (GRand) rand = g_rand_new_with_seed (20240611);
  Modem modem = { 0 };
  GQueue queue = G_QUEUE_INIT;
  guint16 mid = 0;
  guint messages = 0, failures = 0;

  for (guint round = 0; round < 40000; round++)
    {
      /* Queue a message. */
      if (g_queue_get_length (&queue) < 3 && g_rand_boolean (rand))
        {
          g_autoptr (GString) spec = g_string_new (NULL);
          guint n = (guint)g_rand_int_range (rand, 0, 9);
          GPtrArray *options;
          g_autoptr (GBytes) token = token_of (g_rand_int (rand));
          OptionMirrorPlan *plan;

          for (guint i = 0; i < n; i++)
            g_string_append_printf (spec, "%s%s", i ? " " : "",
                                    words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))]);
          options = options_of (spec->str);
          plan = option_mirror_plan (mirror, ++mid, token, options);
          g_queue_push_tail (&queue, plan);
          g_queue_push_tail (&queue, options);
          g_queue_push_tail (&queue, at_coap_cmd_header (CLIENT, mid, token));
          continue;
        }
      if (g_queue_is_empty (&queue))
        continue;
      /* Run the oldest transaction. */
      {
        g_autoptr (OptionMirrorPlan) plan = g_queue_pop_head (&queue);
        g_autoptr (GPtrArray) options = g_queue_pop_head (&queue);
        g_autofree char *header = g_queue_pop_head (&queue);
        GPtrArray *commands = option_mirror_plan_get_commands (plan);
        gboolean fail = g_rand_int_range (rand, 0, 40) == 0;
        guint run
            = fail ? (guint)g_rand_int_range (rand, 0, (gint32)commands->len + 1) : commands->len;

        for (guint i = 0; i < run; i++)
          modem_apply (&modem, g_ptr_array_index (commands, i));
        if (!fail)
          {
            g_autofree char *sent = modem_message (&modem, option_mirror_plan_get_bitmask (plan));
            g_autofree char *wanted = expected_message (options);

            g_assert_cmpstr (sent, ==, wanted);
            g_assert_cmpstr (modem.header, ==, header);
            messages++;
          }
        else
          failures++;
        option_mirror_plan_finish (mirror, plan, !fail);
      }
    }
  while (!g_queue_is_empty (&queue))
    {
      option_mirror_plan_free (g_queue_pop_head (&queue));
      g_ptr_array_unref (g_queue_pop_head (&queue));
      g_free (g_queue_pop_head (&queue));
    }
  g_assert_cmpuint (messages, >, 10000);
  g_assert_cmpuint (failures, >, 200);
  /* Settled: the same message twice in a row costs one header. */
  send_ok (mirror, &modem, ++mid, "p:a p:b q:k=1 f:50");
  g_assert_cmpuint (send_ok (mirror, &modem, ++mid, "p:a p:b q:k=1 f:50"), ==, 1);
  modem_clear (&modem);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/option-mirror/first-message-writes-everything",
                   test_first_message_writes_everything);
  g_test_add_func ("/option-mirror/same-path-sends-header-only", test_same_path_sends_header_only);
  g_test_add_func ("/option-mirror/same-header-is-not-resent", test_same_header_is_not_resent);
  g_test_add_func ("/option-mirror/changed-option-only", test_changed_option_only);
  g_test_add_func ("/option-mirror/repeated-options-keep-their-order",
                   test_repeated_options_keep_their_order);
  g_test_add_func ("/option-mirror/eight-options-fill-every-slot",
                   test_eight_options_fill_every_slot);
  g_test_add_func ("/option-mirror/failure-forgets-everything", test_failure_forgets_everything);
  g_test_add_func ("/option-mirror/invalidate", test_invalidate);
  g_test_add_func ("/option-mirror/unfinished-writes-are-not-relied-on",
                   test_unfinished_writes_are_not_relied_on);
  g_test_add_func ("/option-mirror/overwritten-slot-is-not-reused",
                   test_overwritten_slot_is_not_reused);
  g_test_add_func ("/option-mirror/random-traffic", test_random_traffic);
  return g_test_run ();
}
