/* SPDX-License-Identifier: MIT */
/* option-mirror.c — see option-mirror.h.
 *
 * Choosing slots is a small search. Every option of the message either
 * reuses a slot that reliably holds an equal option, or is written to some
 * slot. Repeated options must sit in ascending slots in message order, so a
 * written option may only take a slot between the slots of its matched
 * neighbours of the same number. A depth-first search over the matches, best
 * reused bytes first, finds the assignment that reuses the most bytes for
 * which the writes still fit (an interval-to-point matching, solved exactly
 * by taking slots in ascending order and giving each to the eligible write
 * whose interval ends first). Eight options and eight slots keep this to a
 * few dozen nodes in practice; a budget bounds the pathological cases (many
 * slots holding the same value), falling back to the best found so far.
 */
#include "option-mirror.h"

#include <string.h>

#include "qcoap-cmd.h"
#include "qcoap-proto.h"

#define NO_SLOT (-1)
/* Search nodes per plan; the first leaf is reached within nine. */
#define SEARCH_BUDGET 4096
/* Bytes of "AT+QCOAPOPTION=i,0,s,nn," around an option's value: the weight
 * of a reused option is what its write would have cost. */
#define OPTION_COMMAND_OVERHEAD 24

typedef struct
{
  QcoapOption *option; /* what the modem holds; NULL if unknown or empty */
  guint pending;       /* unfinished plans that write this slot */
  guint64 last_used;   /* clock of the last plan that used it */
} Slot;

struct _OptionMirror
{
  guint client_id;
  guint generation;
  guint64 clock;
  Slot slots[OPTION_MIRROR_SLOTS];
  gboolean header_known;
  guint16 header_message_id;
  GBytes *header_token; /* NULL: mode 1 */
  guint header_pending;
};

struct _OptionMirrorPlan
{
  guint generation;
  GPtrArray *commands;
  guint8 bitmask;
  guint n_options;
  guint8 slot_of[OPTION_MIRROR_SLOTS];       /* by option index */
  QcoapOption *written[OPTION_MIRROR_SLOTS]; /* by slot: what this plan writes there */
  gboolean writes_header;
  guint16 message_id;
  GBytes *token;
};

typedef struct
{
  const OptionMirror *mirror;
  GPtrArray *options;
  guint n;
  guint weight[OPTION_MIRROR_SLOTS];
  guint remaining[OPTION_MIRROR_SLOTS + 1]; /* weight of options i..n-1 */
  int match[OPTION_MIRROR_SLOTS];           /* reused slot, or NO_SLOT: written */
  guint8 matched_slots;
  int best[OPTION_MIRROR_SLOTS];
  guint best_weight;
  gboolean found;
  guint budget;
} Search;

/* ---- options ------------------------------------------------------------------- */

static gboolean
option_equal (const QcoapOption *a, const QcoapOption *b)
{
  if (a->number != b->number || a->format != b->format)
    return FALSE;
  if (a->format == QCOAP_OPTION_FORMAT_UINT)
    return a->uint_value == b->uint_value;
  if (a->value == NULL || b->value == NULL)
    return (a->value == NULL || g_bytes_get_size (a->value) == 0)
           && (b->value == NULL || g_bytes_get_size (b->value) == 0);
  return g_bytes_equal (a->value, b->value);
}

static QcoapOption *
option_copy (const QcoapOption *option)
{
  gsize length = 0;
  const guint8 *data;

  if (option->format == QCOAP_OPTION_FORMAT_UINT)
    return at_coap_option_new_uint (option->number, option->uint_value);
  data = option->value ? g_bytes_get_data (option->value, &length) : NULL;
  return at_coap_option_new_bytes (option->number, option->format, data, length);
}

static guint
option_weight (const QcoapOption *option)
{
  if (option->format == QCOAP_OPTION_FORMAT_UINT)
    return OPTION_COMMAND_OVERHEAD + 10;
  return OPTION_COMMAND_OVERHEAD
         + (guint)(option->value ? g_bytes_get_size (option->value) * 2 : 0);
}

static const QcoapOption *
nth_option (GPtrArray *options, guint i)
{
  return g_ptr_array_index (options, i);
}

/* ---- the mirror ------------------------------------------------------------------ */

OptionMirror *
option_mirror_new (guint client_id)
{
  OptionMirror *mirror = g_new0 (OptionMirror, 1);

  mirror->client_id = client_id;
  return mirror;
}

static void
forget_contents (OptionMirror *mirror)
{
  for (guint s = 0; s < OPTION_MIRROR_SLOTS; s++)
    g_clear_pointer (&mirror->slots[s].option, at_coap_option_free);
  mirror->header_known = FALSE;
  g_clear_pointer (&mirror->header_token, g_bytes_unref);
}

void
option_mirror_free (OptionMirror *mirror)
{
  if (mirror == NULL)
    return;
  forget_contents (mirror);
  g_free (mirror);
}

void
option_mirror_invalidate (OptionMirror *mirror)
{
  forget_contents (mirror);
  /* Unfinished plans keep their pending marks (their commands may still
   * run) but no longer confirm anything. */
  mirror->generation++;
}

/* A slot a plan may rely on: its content is known and no unfinished plan
 * writes it (that write may fail half-way and leave either value). */
static gboolean
slot_is_reusable (const OptionMirror *mirror, guint s)
{
  return mirror->slots[s].option != NULL && mirror->slots[s].pending == 0;
}

static gboolean
header_is_reusable (const OptionMirror *mirror, guint16 message_id, GBytes *token)
{
  if (!mirror->header_known || mirror->header_pending > 0
      || mirror->header_message_id != message_id)
    return FALSE;
  if (token == NULL || mirror->header_token == NULL)
    return token == mirror->header_token;
  return g_bytes_equal (token, mirror->header_token);
}

/* ---- fitting the writes ----------------------------------------------------------- */

/* The open interval of slots option @i may be written to: after the matched
 * slot of the nearest earlier option of the same number, before that of the
 * nearest later one. */
static void
write_interval (GPtrArray *options, guint n, const int *match, guint i, int *lo, int *hi)
{
  guint16 number = nth_option (options, i)->number;

  *lo = NO_SLOT;
  *hi = OPTION_MIRROR_SLOTS;
  for (guint j = i; j-- > 0;)
    if (nth_option (options, j)->number == number && match[j] != NO_SLOT)
      {
        *lo = match[j];
        break;
      }
  for (guint j = i + 1; j < n; j++)
    if (nth_option (options, j)->number == number && match[j] != NO_SLOT)
      {
        *hi = match[j];
        break;
      }
}

/* Whether the options in @writes (a set of indexes) each get a distinct slot
 * outside @taken within their interval. */
static gboolean
writes_fit (GPtrArray *options, guint n, const int *match, guint8 taken, guint writes)
{
  int lo[OPTION_MIRROR_SLOTS], hi[OPTION_MIRROR_SLOTS];

  for (guint i = 0; i < n; i++)
    if (writes & (1u << i))
      write_interval (options, n, match, i, &lo[i], &hi[i]);
  for (int s = 0; s < OPTION_MIRROR_SLOTS && writes != 0; s++)
    {
      int pick = NO_SLOT;

      if (taken & (1u << s))
        continue;
      for (guint i = 0; i < n; i++)
        if ((writes & (1u << i)) && lo[i] < s && s < hi[i] && (pick == NO_SLOT || hi[i] < hi[pick]))
          pick = (int)i;
      if (pick != NO_SLOT)
        writes &= ~(1u << pick);
    }
  return writes == 0;
}

static guint
unmatched_set (const Search *search)
{
  guint writes = 0;

  for (guint i = 0; i < search->n; i++)
    if (search->match[i] == NO_SLOT)
      writes |= 1u << i;
  return writes;
}

/* ---- the search --------------------------------------------------------------------- */

static int
previous_match_of_number (const Search *search, guint i)
{
  guint16 number = nth_option (search->options, i)->number;

  for (guint j = i; j-- > 0;)
    if (nth_option (search->options, j)->number == number && search->match[j] != NO_SLOT)
      return search->match[j];
  return NO_SLOT;
}

static void
search_from (Search *search, guint i, guint weight)
{
  const QcoapOption *option;

  if (search->budget == 0)
    return;
  search->budget--;
  if (search->found && weight + search->remaining[i] <= search->best_weight)
    return;
  if (i == search->n)
    {
      if (writes_fit (search->options, search->n, search->match, search->matched_slots,
                      unmatched_set (search)))
        {
          memcpy (search->best, search->match, sizeof search->best);
          search->best_weight = weight;
          search->found = TRUE;
        }
      return;
    }
  option = nth_option (search->options, i);
  for (int s = previous_match_of_number (search, i) + 1; s < OPTION_MIRROR_SLOTS; s++)
    {
      if ((search->matched_slots & (1u << s)) || !slot_is_reusable (search->mirror, s)
          || !option_equal (search->mirror->slots[s].option, option))
        continue;
      search->match[i] = s;
      search->matched_slots |= 1u << s;
      search_from (search, i + 1, weight + search->weight[i]);
      search->matched_slots &= ~(1u << s);
    }
  search->match[i] = NO_SLOT;
  search_from (search, i + 1, weight);
}

/* What overwriting slot @s loses: nothing for an unknown slot, else the
 * more the more recently it was used. */
static guint64
overwrite_cost (const OptionMirror *mirror, guint s)
{
  const Slot *slot = &mirror->slots[s];

  if (slot->option == NULL && slot->pending == 0)
    return 0;
  return slot->last_used + 1;
}

/* Gives each write of @match a slot: the cheapest to overwrite in its
 * interval that still lets the other writes fit, narrowest interval first;
 * then puts repeated options that share an interval back in message order. */
static void
place_writes (const Search *search, const int *match, guint8 *slot_of)
{
  GPtrArray *options = search->options;
  guint n = search->n;
  guint8 taken = 0;
  guint writes = 0;
  int lo[OPTION_MIRROR_SLOTS], hi[OPTION_MIRROR_SLOTS];

  for (guint i = 0; i < n; i++)
    {
      if (match[i] != NO_SLOT)
        {
          slot_of[i] = (guint8)match[i];
          taken |= 1u << match[i];
          continue;
        }
      writes |= 1u << i;
      write_interval (options, n, match, i, &lo[i], &hi[i]);
    }
  while (writes != 0)
    {
      guint i = 0;
      int chosen = NO_SLOT;

      for (guint j = 0; j < n; j++)
        if ((writes & (1u << j)) && (!(writes & (1u << i)) || hi[j] - lo[j] < hi[i] - lo[i]))
          i = j;
      writes &= ~(1u << i);
      for (int s = lo[i] + 1; s < hi[i]; s++)
        {
          if ((taken & (1u << s))
              || !writes_fit (options, n, match, (guint8)(taken | (1u << s)), writes))
            continue;
          if (chosen == NO_SLOT
              || overwrite_cost (search->mirror, s) < overwrite_cost (search->mirror, chosen))
            chosen = s;
        }
      g_assert (chosen != NO_SLOT);
      slot_of[i] = (guint8)chosen;
      taken |= 1u << chosen;
    }
  /* Writes of one number in one interval may have come out of order. */
  for (gboolean swapped = TRUE; swapped;)
    {
      swapped = FALSE;
      for (guint i = 0; i < n; i++)
        for (guint j = i + 1; j < n; j++)
          if (match[i] == NO_SLOT && match[j] == NO_SLOT
              && nth_option (options, i)->number == nth_option (options, j)->number
              && lo[i] == lo[j] && slot_of[i] > slot_of[j])
            {
              guint8 slot = slot_of[i];

              slot_of[i] = slot_of[j];
              slot_of[j] = slot;
              swapped = TRUE;
            }
    }
}

static void
choose_slots (const OptionMirror *mirror, GPtrArray *options, guint8 *slot_of, guint8 *reused)
{
  Search search = { .mirror = mirror, .options = options, .budget = SEARCH_BUDGET };

  search.n = options ? options->len : 0;
  for (guint i = search.n; i-- > 0;)
    {
      search.weight[i] = option_weight (nth_option (options, i));
      search.remaining[i] = search.remaining[i + 1] + search.weight[i];
    }
  search_from (&search, 0, 0);
  if (!search.found)
    for (guint i = 0; i < search.n; i++)
      search.best[i] = NO_SLOT; /* writing everything always fits */
  *reused = 0;
  for (guint i = 0; i < search.n; i++)
    if (search.best[i] != NO_SLOT)
      *reused |= 1u << i;
  place_writes (&search, search.best, slot_of);
}

/* ---- plans ---------------------------------------------------------------------------- */

OptionMirrorPlan *
option_mirror_plan (OptionMirror *mirror, guint16 message_id, GBytes *token, GPtrArray *options)
{
  OptionMirrorPlan *plan = g_new0 (OptionMirrorPlan, 1);
  guint8 reused = 0;

  g_return_val_if_fail (options == NULL || options->len <= OPTION_MIRROR_SLOTS, NULL);

  plan->generation = mirror->generation;
  plan->commands = g_ptr_array_new_with_free_func (g_free);
  plan->message_id = message_id;
  plan->token = token ? g_bytes_ref (token) : NULL;
  plan->n_options = options ? options->len : 0;
  mirror->clock++;

  if (!header_is_reusable (mirror, message_id, token))
    {
      plan->writes_header = TRUE;
      mirror->header_pending++;
      g_ptr_array_add (plan->commands, at_coap_cmd_header (mirror->client_id, message_id, token));
    }

  choose_slots (mirror, options, plan->slot_of, &reused);
  for (guint i = 0; i < plan->n_options; i++)
    {
      guint s = plan->slot_of[i];
      const QcoapOption *option = nth_option (options, i);

      plan->bitmask |= 1u << s;
      mirror->slots[s].last_used = mirror->clock;
      if (reused & (1u << i))
        continue;
      mirror->slots[s].pending++;
      plan->written[s] = option_copy (option);
      g_ptr_array_add (plan->commands, at_coap_cmd_option_add (mirror->client_id, s, option));
    }
  return plan;
}

GPtrArray *
option_mirror_plan_get_commands (OptionMirrorPlan *plan)
{
  return plan->commands;
}

guint8
option_mirror_plan_get_bitmask (OptionMirrorPlan *plan)
{
  return plan->bitmask;
}

guint
option_mirror_plan_get_slot (OptionMirrorPlan *plan, guint index)
{
  g_return_val_if_fail (index < plan->n_options, 0);
  return plan->slot_of[index];
}

/* The plan's writes are no longer under way. */
static void
release_pending (OptionMirror *mirror, OptionMirrorPlan *plan)
{
  for (guint s = 0; s < OPTION_MIRROR_SLOTS; s++)
    if (plan->written[s])
      mirror->slots[s].pending--;
  if (plan->writes_header)
    mirror->header_pending--;
}

void
option_mirror_plan_abandon (OptionMirror *mirror, OptionMirrorPlan *plan)
{
  release_pending (mirror, plan);
}

void
option_mirror_plan_finish (OptionMirror *mirror, OptionMirrorPlan *plan, gboolean succeeded)
{
  gboolean current = plan->generation == mirror->generation;

  release_pending (mirror, plan);
  if (!succeeded)
    {
      /* Some of the plan's commands may or may not have reached the modem. */
      option_mirror_invalidate (mirror);
      return;
    }
  if (!current)
    return;
  for (guint s = 0; s < OPTION_MIRROR_SLOTS; s++)
    if (plan->written[s])
      {
        at_coap_option_free (mirror->slots[s].option);
        mirror->slots[s].option = g_steal_pointer (&plan->written[s]);
      }
  if (plan->writes_header)
    {
      mirror->header_known = TRUE;
      mirror->header_message_id = plan->message_id;
      g_clear_pointer (&mirror->header_token, g_bytes_unref);
      mirror->header_token = plan->token ? g_bytes_ref (plan->token) : NULL;
    }
}

guint16
option_mirror_plan_get_message_id (OptionMirrorPlan *plan)
{
  return plan->message_id;
}

void
option_mirror_plan_free (OptionMirrorPlan *plan)
{
  if (plan == NULL)
    return;
  g_ptr_array_unref (plan->commands);
  for (guint s = 0; s < OPTION_MIRROR_SLOTS; s++)
    at_coap_option_free (plan->written[s]);
  g_clear_pointer (&plan->token, g_bytes_unref);
  g_free (plan);
}
