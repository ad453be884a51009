/* SPDX-License-Identifier: MIT */
/* failover.c — see failover.h. */
#include "failover.h"
#include "log-level.h"

/* The delay is counted from the moment the modem went away, not in the
 * main loop's whole seconds. */
#define MS_PER_S 1000

/* What the failover knows of one modem. */
typedef struct
{
  Failover *failover;
  ModemUnit *unit;
  guint timer;  /* away, and the delay not over yet */
  gboolean due; /* away longer than the delay: its sessions may move */
} Watch;

struct _Failover
{
  GPtrArray *units;
  FailoverConfig config;
  Watch *watches; /* one per unit, in the same order */
  gboolean moving;
};

static Watch *
find_watch (Failover *failover, ModemUnit *unit)
{
  for (guint i = 0; i < failover->units->len; i++)
    if (failover->watches[i].unit == unit)
      return &failover->watches[i];
  return NULL;
}

/* Whether @unit can take a session of the user @uid now. */
static gboolean
can_take (Failover *failover, ModemUnit *unit, uid_t uid)
{
  return !modem_unit_is_away (unit) && modem_unit_count_free (unit) > 0
         && modem_unit_check_share (unit, uid, failover->config.max_clients_per_user,
                                    failover->config.reserved_for_root, NULL);
}

static ModemUnit *
choose_target (Failover *failover, ModemUnit *from, uid_t uid)
{
  ModemUnit *best = NULL;

  for (guint i = 0; i < failover->units->len; i++)
    {
      ModemUnit *unit = failover->units->pdata[i];

      if (unit != from && can_take (failover, unit, uid)
          && (best == NULL || modem_unit_is_better (unit, best)))
        best = unit;
    }
  return best;
}

/* Each session of @watch's modem that may move goes where it can. */
static void
move_sessions (Failover *failover, Watch *watch)
{
  g_autoptr (GPtrArray) sessions = modem_unit_movable_sessions (watch->unit);

  for (guint i = 0; i < sessions->len; i++)
    {
      Session *session = sessions->pdata[i];
      ModemUnit *target = choose_target (failover, watch->unit, session_get_owner_uid (session));

      if (target == NULL)
        {
          qcoapd_debug ("Session %s waits for its modem %s: no other modem can take it now",
                        session_get_object_path (session), modem_unit_get_name (watch->unit));
          continue;
        }
      modem_unit_move_session (watch->unit, target, session);
    }
}

/* Moving changes the modems, which tell the failover again: once is enough. */
static void
move_due_sessions (Failover *failover)
{
  if (failover->moving)
    return;
  failover->moving = TRUE;
  for (guint i = 0; i < failover->units->len; i++)
    if (failover->watches[i].due)
      move_sessions (failover, &failover->watches[i]);
  failover->moving = FALSE;
}

static gboolean
on_delay_over (gpointer user_data)
{
  Watch *watch = user_data;

  watch->timer = 0;
  watch->due = TRUE;
  g_info ("The modem %s has been away for %u s: its sessions move to another modem if one can "
          "take them",
          modem_unit_get_name (watch->unit), watch->failover->config.delay_s);
  move_due_sessions (watch->failover);
  return G_SOURCE_REMOVE;
}

void
failover_unit_changed (Failover *failover, ModemUnit *unit)
{
  Watch *watch = find_watch (failover, unit);

  /* One modem: there is nowhere to go. */
  if (watch == NULL || failover->units->len < 2)
    return;
  if (!modem_unit_is_away (unit))
    {
      g_clear_handle_id (&watch->timer, g_source_remove);
      watch->due = FALSE;
    }
  else if (!watch->due && watch->timer == 0)
    watch->timer = g_timeout_add (failover->config.delay_s * MS_PER_S, on_delay_over, watch);
  move_due_sessions (failover);
}

Failover *
failover_new (GPtrArray *units, const FailoverConfig *config)
{
  Failover *failover = g_new0 (Failover, 1);

  failover->units = units;
  failover->config = *config;
  failover->watches = g_new0 (Watch, units->len);
  for (guint i = 0; i < units->len; i++)
    {
      failover->watches[i].failover = failover;
      failover->watches[i].unit = units->pdata[i];
    }
  return failover;
}

void
failover_free (Failover *failover)
{
  if (failover == NULL)
    return;
  for (guint i = 0; i < failover->units->len; i++)
    g_clear_handle_id (&failover->watches[i].timer, g_source_remove);
  g_free (failover->watches);
  g_free (failover);
}
