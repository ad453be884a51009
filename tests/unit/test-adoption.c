/* SPDX-License-Identifier: MIT */
/* test-adoption.c — adoption_plan() (daemon/adoption.c): what a starting
 * daemon does with each client ID, from the session its previous run saved
 * there, what AT+QCOAPOPEN? says the modem holds on it, and whether the
 * saved session's owner is still on the bus. No modem, no bus: the plan is
 * free of I/O. */
#include <string.h>

#include "adoption.h"

#define SAVED_HOST  "192.0.2.10"
#define SAVED_PORT  5683
#define OTHER_HOST  "192.0.2.99"
#define NO_REASON   NULL
#define KEEP        FALSE /* close_on_modem */
#define CLOSE       TRUE
#define OWNER_GONE  FALSE
#define OWNER_THERE TRUE

/* One client ID: the situation, and the step the plan must take. */
typedef struct
{
  const char *path; /* the test's path under /adoption/plan/ */
  gboolean saved;   /* a session was saved on the ID */
  gboolean persistent;
  gboolean secure; /* saved with a DTLS identity (its key is never saved) */
  gboolean listed; /* AT+QCOAPOPEN? listed the ID */
  QcoapClientStatus status;
  const char *host; /* what the modem holds the ID open to */
  guint port;
  gboolean owner_on_bus;
  AdoptionAction action;
  gboolean close_on_modem;
  const char *reason;
} PlanCase;

static const PlanCase plan_cases[] = {
  { "nothing-saved/nothing-held", FALSE, FALSE, FALSE, FALSE, QCOAP_STATUS_IDLE, NULL, 0,
    OWNER_GONE, ADOPTION_NONE, KEEP, NO_REASON },
  /* The modem holds what no session explains: closed. */
  { "nothing-saved/held", FALSE, FALSE, FALSE, TRUE, QCOAP_STATUS_CONNECTED, SAVED_HOST, SAVED_PORT,
    OWNER_GONE, ADOPTION_NONE, CLOSE, NO_REASON },
  { "held-as-saved/persistent", TRUE, TRUE, FALSE, TRUE, QCOAP_STATUS_CONNECTED, SAVED_HOST,
    SAVED_PORT, OWNER_GONE, ADOPTION_ADOPT, KEEP, NO_REASON },
  { "held-as-saved/persistent-owner-there", TRUE, TRUE, FALSE, TRUE, QCOAP_STATUS_CONNECTED,
    SAVED_HOST, SAVED_PORT, OWNER_THERE, ADOPTION_ADOPT, KEEP, NO_REASON },
  /* Its key is still on the modem, in use: nothing needs it again. */
  { "held-as-saved/persistent-dtls", TRUE, TRUE, TRUE, TRUE, QCOAP_STATUS_CONNECTED, SAVED_HOST,
    SAVED_PORT, OWNER_GONE, ADOPTION_ADOPT, KEEP, NO_REASON },
  { "held-as-saved/owner-there", TRUE, FALSE, FALSE, TRUE, QCOAP_STATUS_CONNECTED, SAVED_HOST,
    SAVED_PORT, OWNER_THERE, ADOPTION_ADOPT, KEEP, NO_REASON },
  /* Nobody can use it any more: forgotten, and closed on the modem. */
  { "held-as-saved/owner-gone", TRUE, FALSE, FALSE, TRUE, QCOAP_STATUS_CONNECTED, SAVED_HOST,
    SAVED_PORT, OWNER_GONE, ADOPTION_DROP, CLOSE, NO_REASON },
  { "lost/persistent", TRUE, TRUE, FALSE, FALSE, QCOAP_STATUS_IDLE, NULL, 0, OWNER_GONE,
    ADOPTION_REOPEN, KEEP, NO_REASON },
  /* The key stayed with the caller that gave it: no way to open it again. */
  { "lost/persistent-dtls", TRUE, TRUE, TRUE, FALSE, QCOAP_STATUS_IDLE, NULL, 0, OWNER_THERE,
    ADOPTION_END, KEEP, "error" },
  { "lost/owner-there", TRUE, FALSE, FALSE, FALSE, QCOAP_STATUS_IDLE, NULL, 0, OWNER_THERE,
    ADOPTION_END, KEEP, "modem-reset" },
  { "lost/owner-gone", TRUE, FALSE, FALSE, FALSE, QCOAP_STATUS_IDLE, NULL, 0, OWNER_GONE,
    ADOPTION_DROP, KEEP, "modem-reset" },
  /* Held, but not as saved: the session is lost, and whatever the modem
   * holds there is closed. */
  { "held-otherwise/other-host", TRUE, TRUE, FALSE, TRUE, QCOAP_STATUS_CONNECTED, OTHER_HOST,
    SAVED_PORT, OWNER_GONE, ADOPTION_REOPEN, CLOSE, NO_REASON },
  { "held-otherwise/other-port", TRUE, FALSE, FALSE, TRUE, QCOAP_STATUS_CONNECTED, SAVED_HOST,
    SAVED_PORT + 1, OWNER_THERE, ADOPTION_END, CLOSE, "modem-reset" },
  { "held-otherwise/still-opening", TRUE, TRUE, FALSE, TRUE, QCOAP_STATUS_OPENING, SAVED_HOST,
    SAVED_PORT, OWNER_THERE, ADOPTION_REOPEN, CLOSE, NO_REASON },
  { "held-otherwise/disconnecting", TRUE, FALSE, FALSE, TRUE, QCOAP_STATUS_DISCONNECTING,
    SAVED_HOST, SAVED_PORT, OWNER_GONE, ADOPTION_DROP, CLOSE, "modem-reset" },
  { "held-otherwise/dtls", TRUE, TRUE, TRUE, TRUE, QCOAP_STATUS_CONNECTING, SAVED_HOST, SAVED_PORT,
    OWNER_THERE, ADOPTION_END, CLOSE, "error" },
};

/* The inputs of one plan: every ID empty and unlisted until a case fills
 * one. */
typedef struct
{
  SavedState state;
  AdoptionListing listing[QCOAP_MAX_CLIENTS];
  gboolean owner_on_bus[QCOAP_MAX_CLIENTS];
  AdoptionStep steps[QCOAP_MAX_CLIENTS];
} Plan;

static void
plan_clear (Plan *plan)
{
  saved_state_clear (&plan->state);
  for (guint id = 0; id < QCOAP_MAX_CLIENTS; id++)
    g_free (plan->listing[id].host);
  memset (plan, 0, sizeof *plan);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Plan, plan_clear)

static void
plan_put_case (Plan *plan, guint id, const PlanCase *c)
{
  SavedSession *saved = &plan->state.sessions[id];

  if (c->saved)
    {
      saved->present = TRUE;
      saved->host = g_strdup (SAVED_HOST);
      saved->port = SAVED_PORT;
      saved->persistent = c->persistent;
      saved->psk_identity = c->secure ? g_strdup ("gateway-7") : NULL;
      saved->owner = g_strdup_printf (":1.%u", 40 + id);
    }
  plan->listing[id] = (AdoptionListing){
    .listed = c->listed, .host = g_strdup (c->host), .port = c->port, .status = c->status
  };
  plan->owner_on_bus[id] = c->owner_on_bus;
}

static void
assert_step (const AdoptionStep *step, const PlanCase *c)
{
  g_assert_cmpint (step->action, ==, c->action);
  g_assert_cmpint (step->close_on_modem, ==, c->close_on_modem);
  g_assert_cmpstr (step->reason, ==, c->reason);
}

static void
assert_untouched (const AdoptionStep *step)
{
  g_assert_cmpint (step->action, ==, ADOPTION_NONE);
  g_assert_false (step->close_on_modem);
  g_assert_null (step->reason);
}

/* The case on each client ID in turn, the others empty: the step is the
 * same whichever ID it is on, and nothing happens to the others. */
static void
test_plan_case (gconstpointer data)
{
  const PlanCase *c = data;

  for (guint id = 0; id < QCOAP_MAX_CLIENTS; id++)
    {
      g_auto (Plan) plan = { 0 };

      plan_put_case (&plan, id, c);
      adoption_plan (&plan.state, plan.listing, plan.owner_on_bus, plan.steps);
      for (guint other = 0; other < QCOAP_MAX_CLIENTS; other++)
        if (other == id)
          assert_step (&plan.steps[other], c);
        else
          assert_untouched (&plan.steps[other]);
    }
}

/* Six different cases on the six IDs at once: each ID is planned on its
 * own. */
static void
test_plan_all_ids (void)
{
  /* Adopted, dropped, opened again, ended, opened again after a close, and
   * closed: indexes into plan_cases. */
  static const guint picks[QCOAP_MAX_CLIENTS] = { 2, 6, 7, 8, 11, 1 };
  g_auto (Plan) plan = { 0 };

  for (guint id = 0; id < QCOAP_MAX_CLIENTS; id++)
    plan_put_case (&plan, id, &plan_cases[picks[id]]);
  adoption_plan (&plan.state, plan.listing, plan.owner_on_bus, plan.steps);
  for (guint id = 0; id < QCOAP_MAX_CLIENTS; id++)
    assert_step (&plan.steps[id], &plan_cases[picks[id]]);
}

/* Without a usable state file (none, or one of another modem, which the
 * adoption drops before it plans), nothing is adopted and every ID the
 * modem holds is closed. */
static void
test_plan_without_state (void)
{
  g_auto (Plan) plan = { 0 };

  for (guint id = 0; id < QCOAP_MAX_CLIENTS; id++)
    {
      plan.listing[id].listed = id % 2 == 0;
      plan.listing[id].status = id % 2 == 0 ? QCOAP_STATUS_CONNECTED : QCOAP_STATUS_IDLE;
      plan.listing[id].host = g_strdup (SAVED_HOST);
      plan.listing[id].port = SAVED_PORT;
      plan.owner_on_bus[id] = TRUE;
    }
  adoption_plan (NULL, plan.listing, plan.owner_on_bus, plan.steps);
  for (guint id = 0; id < QCOAP_MAX_CLIENTS; id++)
    {
      g_assert_cmpint (plan.steps[id].action, ==, ADOPTION_NONE);
      g_assert_cmpint (plan.steps[id].close_on_modem, ==, id % 2 == 0);
      g_assert_null (plan.steps[id].reason);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (plan_cases); i++)
    {
      g_autofree char *path = g_strconcat ("/adoption/plan/", plan_cases[i].path, NULL);

      g_test_add_data_func (path, &plan_cases[i], test_plan_case);
    }
  g_test_add_func ("/adoption/plan/all-ids-at-once", test_plan_all_ids);
  g_test_add_func ("/adoption/plan/without-state", test_plan_without_state);
  return g_test_run ();
}
