/* SPDX-License-Identifier: MIT */
/* modem.c — see modem.h. */
#include "modem.h"
#include "log-level.h"

#include <string.h>

#include "backoff.h"
#include "qcoap-cmd.h"
#include "qcoap-error.h"
#include "qcoap-proto.h"
#include "qcoap-modem-limits.h"
#include "serial-port.h"

#define INIT_ATTEMPTS       5
#define INIT_RETRY_DELAY_MS 1000
/* After RDY the firmware needs a moment before it takes commands; APP RDY
 * says when, but real modules sometimes skip it, so a fallback delay. */
#define BOOT_SETTLE_MS         3000
#define MODEM_CANCEL_PAYLOAD   "\x1b"
#define IMEI_DIGITS            15
#define MODEM_N_STATUS_REPORTS 5
/* A port that exists but cannot be opened: 1 s, doubled, at most 30 s. */
#define OPEN_FIRST_RETRY_MS 1000
#define OPEN_MAX_RETRY_MS   30000
/* How long the module may take to answer the AT that checks a restart line:
 * a module that is booting does not answer at all. */
#define RESTART_CHECK_TIMEOUT_MS 1000
#define MODEM_SLEEP_REASON       "power saving: the module sleeps"

struct _Modem
{
  char *device;
  guint baud;
  gboolean rtscts;
  ModemSettings settings;
  ModemListener listener;
  gpointer user_data;

  ModemState state;
  char *state_reason;
  SerialPort *port;
  AtEngine *engine;
  GFileMonitor *device_monitor;
  GCancellable *init_cancellable;
  GCancellable *restart_check; /* a restart line is being checked */
  guint init_attempt;
  guint retry_source;
  guint open_retry_source; /* the next attempt at a port that exists */
  guint open_failures;

  char *manufacturer;
  char *model;
  char *revision;
  char *imei;
};

static void modem_begin_init (Modem *modem);

static void modem_watch_for_device (Modem *modem);

const char *
modem_state_to_string (ModemState state)
{
  static const char *const names[] = { "absent", "initializing", "ready", "failed", "sleeping" };

  return names[state];
}

/* Moves to @state for @reason (NULL: none to give). */
static void
set_state_for (Modem *modem, ModemState state, const char *reason)
{
  if (reason == NULL)
    reason = "";
  if (modem->state == state && g_strcmp0 (modem->state_reason, reason) == 0)
    return;
  if (modem->state != state)
    g_info ("Modem state: %s -> %s%s%s", modem_state_to_string (modem->state),
            modem_state_to_string (state), *reason ? ": " : "", reason);
  modem->state = state;
  g_free (modem->state_reason);
  modem->state_reason = g_strdup (reason);
  if (modem->listener.state_changed)
    modem->listener.state_changed (modem, modem->user_data);
}

static void
set_state (Modem *modem, ModemState state)
{
  set_state_for (modem, state, NULL);
}

static void
cancel_init (Modem *modem)
{
  g_cancellable_cancel (modem->init_cancellable);
  g_clear_object (&modem->init_cancellable);
  g_clear_handle_id (&modem->retry_source, g_source_remove);
}

static void
forget_sessions (Modem *modem, const char *reason, QcoapError code, const char *message)
{
  g_autoptr (GError) error = g_error_new_literal (QCOAP_ERROR, code, message);

  at_engine_reset (modem->engine, error);
  if (modem->listener.sessions_lost)
    modem->listener.sessions_lost (modem, reason, modem->user_data);
}

/* ---- port ---------------------------------------------------------------- */

static void
on_port_data (const guint8 *data, gsize length, gpointer user_data)
{
  Modem *modem = user_data;

  at_engine_feed (modem->engine, data, length);
}

static gboolean
write_to_port (const guint8 *data, gsize length, gpointer user_data)
{
  Modem *modem = user_data;

  return modem->port != NULL && serial_port_write (modem->port, data, length);
}

static void
on_port_lost (const GError *error, gpointer user_data)
{
  Modem *modem = user_data;

  g_autofree char *reason = g_strdup_printf ("the port went away: %s", error->message);

  g_warning ("Modem port lost: %s", error->message);
  cancel_init (modem);
  g_clear_pointer (&modem->port, serial_port_close);
  set_state_for (modem, MODEM_STATE_ABSENT, reason);
  forget_sessions (modem, MODEM_REASON_LOST, QCOAP_ERROR_MODEM_UNAVAILABLE,
                   "The modem's port went away");
  modem_watch_for_device (modem);
}

static gboolean try_open_port (Modem *modem);

static gboolean
retry_open (gpointer user_data)
{
  Modem *modem = user_data;

  modem->open_retry_source = 0;
  if (modem->port == NULL)
    try_open_port (modem);
  return G_SOURCE_REMOVE;
}

/* A port that exists but cannot be opened (held by another program, no
 * permission, an I/O error) may become free without any inotify event
 * (letting go of a lock makes none): it is tried again with back-off. A
 * missing one is waited for through inotify alone. */
static void
schedule_open_retry (Modem *modem)
{
  guint delay;

  if (modem->open_retry_source != 0 || !g_file_test (modem->device, G_FILE_TEST_EXISTS))
    return;
  delay = backoff_delay (OPEN_FIRST_RETRY_MS, OPEN_MAX_RETRY_MS, modem->open_failures++);
  g_info ("Trying %s again in %u ms", modem->device, delay);
  modem->open_retry_source = g_timeout_add (delay, retry_open, modem);
}

/* The engine got no answer to several probes in a row: the port itself may
 * be stuck (a USB serial converter that lost its endpoint answers nothing),
 * so it is closed and opened again, which also re-initialises the module. */
static void
on_engine_unresponsive (AtEngine *engine, guint failed_probes, gpointer user_data)
{
  Modem *modem = user_data;

  g_warning ("The modem did not answer %u probes in a row; reopening %s", failed_probes,
             modem->device);
  cancel_init (modem);
  g_clear_pointer (&modem->port, serial_port_close);
  set_state (modem, MODEM_STATE_INITIALIZING);
  forget_sessions (modem, MODEM_REASON_LOST, QCOAP_ERROR_MODEM_UNAVAILABLE,
                   "The modem stopped answering");
  if (!try_open_port (modem))
    modem_watch_for_device (modem);
}

static gboolean
try_open_port (Modem *modem)
{
  g_autoptr (GError) error = NULL;

  modem->port = serial_port_open (modem->device, modem->baud, modem->rtscts, on_port_data,
                                  on_port_lost, modem, &error);
  if (modem->port == NULL)
    {
      g_info ("Modem port not available: %s", error->message);
      set_state_for (modem, MODEM_STATE_ABSENT, error->message);
      schedule_open_retry (modem);
      return FALSE;
    }
  modem->open_failures = 0;
  g_clear_handle_id (&modem->open_retry_source, g_source_remove);
  g_info ("Opened %s at %u baud%s", modem->device, modem->baud,
          modem->rtscts ? " with RTS/CTS" : "");
  g_clear_object (&modem->device_monitor);
  /* A daemon that died after a "> " prompt left the module reading a
   * payload up to Ctrl+Z: Esc cancels it, and is ignored otherwise. */
  serial_port_write (modem->port, (const guint8 *)MODEM_CANCEL_PAYLOAD, 1);
  /* A daemon killed in the middle of a command leaves its answer on the way:
   * taken for the answer of our first command, it would shift every answer
   * after it by one (the IMEI read as "Quectel"). */
  at_engine_resynchronize (modem->engine);
  modem_begin_init (modem);
  return TRUE;
}

static void
on_device_dir_changed (GFileMonitor *monitor, GFile *file, GFile *other, GFileMonitorEvent event,
                       gpointer user_data)
{
  Modem *modem = user_data;
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *wanted = g_path_get_basename (modem->device);

  if (modem->port != NULL || g_strcmp0 (name, wanted) != 0)
    return;
  if (event == G_FILE_MONITOR_EVENT_CREATED || event == G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT
      || event == G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED)
    try_open_port (modem);
}

/* Waits for the device node (or the simulator's link) to appear, through
 * inotify on its directory: no polling. */
static void
modem_watch_for_device (Modem *modem)
{
  g_autofree char *dir_path = g_path_get_dirname (modem->device);
  g_autoptr (GFile) dir = g_file_new_for_path (dir_path);
  g_autoptr (GError) error = NULL;

  if (modem->device_monitor != NULL)
    return;
  modem->device_monitor = g_file_monitor_directory (dir, G_FILE_MONITOR_NONE, NULL, &error);
  if (modem->device_monitor == NULL)
    {
      g_warning ("Cannot watch %s for the modem: %s", dir_path, error->message);
      return;
    }
  g_signal_connect (modem->device_monitor, "changed", G_CALLBACK (on_device_dir_changed), modem);
  /* It may have appeared between the failed open and the watch. */
  if (g_file_test (modem->device, G_FILE_TEST_EXISTS))
    try_open_port (modem);
}

/* ---- initialisation ------------------------------------------------------- */

static gboolean
retry_init (gpointer user_data)
{
  Modem *modem = user_data;

  modem->retry_source = 0;
  modem_begin_init (modem);
  return G_SOURCE_REMOVE;
}

static void
init_failed (Modem *modem, const GError *error)
{
  g_autofree char *reason = NULL;

  if (g_error_matches (error, MODEM_INIT_ERROR, MODEM_INIT_ERROR_UNSUPPORTED))
    {
      g_warning ("The module cannot be used: %s", error->message);
      set_state_for (modem, MODEM_STATE_FAILED, error->message);
      return;
    }
  if (++modem->init_attempt >= INIT_ATTEMPTS)
    {
      g_warning ("Modem initialisation failed %u times, giving up: %s", modem->init_attempt,
                 error->message);
      reason = g_strdup_printf ("the module did not answer its initialisation: %s", error->message);
      set_state_for (modem, MODEM_STATE_FAILED, reason);
      return;
    }
  g_info ("Modem initialisation failed (%s); retrying", error->message);
  modem->retry_source = g_timeout_add (INIT_RETRY_DELAY_MS, retry_init, modem);
}

static void
take_identity (Modem *modem, ModemIdentity *identity)
{
  g_free (modem->manufacturer);
  g_free (modem->model);
  g_free (modem->revision);
  g_free (modem->imei);
  modem->manufacturer = g_strdup (identity->manufacturer ? identity->manufacturer : "");
  modem->model = g_strdup (identity->model ? identity->model : "");
  modem->revision = g_strdup (identity->revision ? identity->revision : "");
  modem->imei = g_strdup (identity->imei ? identity->imei : "");
}

static void
on_init_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Modem *modem = user_data;
  g_autoptr (GError) error = NULL;
  ModemIdentity identity = { 0 };
  gboolean ok = modem_init_finish (result, &identity, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      modem_identity_clear (&identity);
      return;
    }
  take_identity (modem, &identity);
  modem_identity_clear (&identity);
  if (!ok)
    {
      init_failed (modem, error);
      return;
    }
  g_info ("Modem ready: %s %s, revision %s, IMEI %s", modem->manufacturer, modem->model,
          modem->revision, modem->imei);
  modem->init_attempt = 0;
  set_state (modem, MODEM_STATE_READY);
}

static void
modem_begin_init (Modem *modem)
{
  cancel_init (modem);
  modem->init_cancellable = g_cancellable_new ();
  set_state (modem, MODEM_STATE_INITIALIZING);
  modem_init_run (modem->engine, modem->device, &modem->settings, modem->init_cancellable,
                  on_init_done, modem);
}

/* ---- unsolicited results --------------------------------------------------- */

static gboolean
settle_after_boot (gpointer user_data)
{
  Modem *modem = user_data;

  modem->retry_source = 0;
  modem_begin_init (modem);
  return G_SOURCE_REMOVE;
}

/* The module rebooted (by itself, or AT+CFUN=1,1): every CoAP session on it
 * is gone, and the echo and error settings are back to factory values. */
static void
handle_reboot (Modem *modem, const char *line)
{
  gboolean was_running = modem->state == MODEM_STATE_READY || modem->init_cancellable != NULL;

  if (g_str_equal (line, "APP RDY"))
    {
      if (modem->state != MODEM_STATE_READY)
        {
          cancel_init (modem);
          modem_begin_init (modem);
        }
      return;
    }
  if (modem->state == MODEM_STATE_SLEEPING)
    {
      /* The boot that ends a sleep: the sessions were told when it began. */
      g_message ("Modem reports \"%s\": it wakes from power saving", line);
      set_state_for (modem, MODEM_STATE_INITIALIZING, "the module wakes from power saving");
      modem->retry_source = g_timeout_add (BOOT_SETTLE_MS, settle_after_boot, modem);
      return;
    }
  if (!was_running && modem->retry_source != 0)
    return;
  g_warning ("Modem reports \"%s\": it restarted", line);
  cancel_init (modem);
  set_state (modem, MODEM_STATE_INITIALIZING);
  forget_sessions (modem, MODEM_REASON_RESET, QCOAP_ERROR_CLOSED, "The modem restarted");
  modem->retry_source = g_timeout_add (BOOT_SETTLE_MS, settle_after_boot, modem);
}

/* The lines a module prints when it powers down or boots. Some firmware
 * says NORMAL POWER DOWN where the BG96 says POWERED DOWN. */
static const char *const restart_lines[]
    = { "RDY", "APP RDY", "POWERED DOWN", "NORMAL POWER DOWN" };

static gboolean
is_restart_line (const char *line)
{
  for (gsize i = 0; i < G_N_ELEMENTS (restart_lines); i++)
    if (g_str_equal (line, restart_lines[i]))
      return TRUE;
  return FALSE;
}

typedef struct
{
  Modem *modem;
  GCancellable *cancellable;
  char *line;
} RestartCheck;

static void
restart_check_free (RestartCheck *check)
{
  g_object_unref (check->cancellable);
  g_free (check->line);
  g_free (check);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RestartCheck, restart_check_free)

static void
restart_check_end (RestartCheck *check, gboolean believed)
{
  g_clear_object (&check->modem->restart_check);
  if (believed)
    handle_reboot (check->modem, check->line);
  else
    g_warning ("A line said \"%s\", but the module kept its settings and its clients: not the "
               "module's; ignored",
               check->line);
}

static gboolean
lists_open_client (const AtResponse *response)
{
  guint id;

  for (guint i = 0; i < response->lines->len; i++)
    if (at_coap_open_status_lists_held (g_ptr_array_index (response->lines, i), &id))
      return TRUE;
  return FALSE;
}

/* A module whose profile keeps ATE0 answers without echo after a boot too:
 * it restarted if it holds no open client. One that cannot say is taken
 * at its settings' word. */
static void
on_clients_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (RestartCheck) check = user_data;
  g_autoptr (AtResponse) response = at_engine_command_finish (AT_ENGINE (source), result, NULL);

  if (!g_cancellable_is_cancelled (check->cancellable))
    restart_check_end (check, response != NULL && !lists_open_client (response));
}

/* A line saying the module restarted is the module's if it shows it: after
 * a boot its echo is on again (ATE0 is not saved), it does not answer yet,
 * or its CoAP clients are gone. A module that kept its settings and its
 * clients did not restart: the line was a server's text read as lines. */
static void
on_restart_checked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (RestartCheck) check = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (AtResponse) response = at_engine_command_finish (AT_ENGINE (source), result, &error);
  g_autofree char *query = NULL;
  GCancellable *cancellable;

  if (g_cancellable_is_cancelled (check->cancellable))
    return;
  if (response == NULL)
    {
      /* Another failure (the port went away) is handled where it is seen. */
      if (g_error_matches (error, AT_ERROR, AT_ERROR_TIMEOUT))
        restart_check_end (check, TRUE);
      else
        g_clear_object (&check->modem->restart_check);
      return;
    }
  if (response->echoed)
    {
      restart_check_end (check, TRUE);
      return;
    }
  query = at_coap_cmd_open_query ();
  cancellable = check->cancellable;
  at_engine_command (AT_ENGINE (source),
                     &(AtCommand){ .text = query,
                                   .response = at_coap_open_query_response,
                                   .timeout_ms = RESTART_CHECK_TIMEOUT_MS },
                     cancellable, on_clients_listed, g_steal_pointer (&check));
}

static void
check_restart (Modem *modem, const char *line)
{
  static const AtCommand probe = { .text = "AT", .timeout_ms = RESTART_CHECK_TIMEOUT_MS };
  RestartCheck *check;

  if (modem->restart_check != NULL)
    return;
  modem->restart_check = g_cancellable_new ();
  check = g_new0 (RestartCheck, 1);
  check->modem = modem;
  check->cancellable = g_object_ref (modem->restart_check);
  check->line = g_strdup (line);
  g_info ("\"%s\": asking the module whether it restarted", line);
  at_engine_command (modem->engine, &probe, modem->restart_check, on_restart_checked, check);
}

/* While sessions are open, a restart is believed once the module shows it;
 * otherwise (initialising, asleep) there is nothing to lose. */
static void
on_restart_line (const AtEvent *event, gpointer user_data)
{
  Modem *modem = user_data;

  if (modem->state == MODEM_STATE_READY && !g_str_equal (event->line, "APP RDY"))
    check_restart (modem, event->line);
  else
    handle_reboot (modem, event->line);
}

/* With PSM granted the module says so, stops answering, and later boots
 * again: its CoAP clients are gone until then. Persistent sessions wait for
 * the wake-up; commands are not sent to a module that cannot hear them. */
static gboolean
is_power_saving_line (const char *line)
{
  return g_str_equal (line, "PSM POWER DOWN");
}

static void
on_power_saving (const AtEvent *event, gpointer user_data)
{
  Modem *modem = user_data;

  if (modem->state == MODEM_STATE_SLEEPING)
    return;
  g_message ("The module sleeps (power saving); its CoAP clients are gone until it wakes");
  cancel_init (modem);
  set_state_for (modem, MODEM_STATE_SLEEPING, MODEM_SLEEP_REASON);
  forget_sessions (modem, MODEM_REASON_LOST, QCOAP_ERROR_MODEM_UNAVAILABLE,
                   "The module sleeps (power saving)");
}

/* What the module reports of its SIM and functionality ("+CPIN: READY",
 * "+CFUN: 1", "+QUSIM: 1", "+QIND: SMS DONE") after a boot: nothing the
 * daemon acts on, but taken here so that no answer mistakes it for one of
 * its lines. */
static const char *const status_reports[MODEM_N_STATUS_REPORTS]
    = { "+CPIN:", "+CFUN:", "+QUSIM:", "+QIND:", "+QPSMTIMER:" };

static void
on_status_report (const AtEvent *event, gpointer user_data)
{
  qcoapd_debug ("Modem status: %s", event->line);
}

/* The probes of the engine's resynchronisation: answers no other command
 * gives (see at-engine.h). */
static gboolean
is_revision_line (const char *line)
{
  return g_str_has_prefix (line, "Revision:");
}

static gboolean
is_imei_line (const char *line)
{
  if (strlen (line) != IMEI_DIGITS)
    return FALSE;
  for (const char *p = line; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

/* Two probes that any module answers, so that a module of another family
 * gets no AT+QCOAP… command from a resynchronisation either. */
static const AtProbe modem_probes[] = {
  { "ATI", is_revision_line, { "ATI", "AT+CGMR", "AT+GMR", NULL } },
  { "AT+GSN", is_imei_line, { "AT+GSN", "AT+CGSN", NULL } },
};

/* The handlers live as long as the engine, which is the modem's. */
static void
register_lines (Modem *modem)
{
  at_engine_set_probes (modem->engine, modem_probes, G_N_ELEMENTS (modem_probes));
  /* The longest payload an AT+QCOAPSEND reads. */
  at_engine_set_probe_filler (modem->engine, QCOAP_MODEM_MAX_PAYLOAD);
  at_engine_add_urc_handler (modem->engine, NULL, is_restart_line, on_restart_line, modem);
  at_engine_add_urc_handler (modem->engine, NULL, is_power_saving_line, on_power_saving, modem);
  /* By prefix: "+CFUN: 1" is the answer while "AT+CFUN?" runs. */
  for (guint i = 0; i < MODEM_N_STATUS_REPORTS; i++)
    at_engine_add_urc_handler (modem->engine, status_reports[i], NULL, on_status_report, modem);
}

/* ---- public ----------------------------------------------------------------- */

Modem *
modem_new (const char *device, guint baud, gboolean rtscts, const ModemSettings *settings,
           const ModemListener *listener, gpointer user_data)
{
  Modem *modem = g_new0 (Modem, 1);

  modem->device = g_strdup (device);
  modem->baud = baud;
  modem->rtscts = rtscts;
  modem->settings = *settings;
  modem->state_reason = g_strdup ("");
  modem->listener = *listener;
  modem->user_data = user_data;
  modem->state = MODEM_STATE_ABSENT;
  modem->engine = at_engine_new (write_to_port, modem);
  at_engine_set_failure_func (modem->engine, on_engine_unresponsive, modem);
  register_lines (modem);
  modem->manufacturer = g_strdup ("");
  modem->model = g_strdup ("");
  modem->revision = g_strdup ("");
  modem->imei = g_strdup ("");
  return modem;
}

void
modem_start (Modem *modem)
{
  if (!try_open_port (modem))
    modem_watch_for_device (modem);
}

void
modem_free (Modem *modem)
{
  if (modem == NULL)
    return;
  cancel_init (modem);
  if (modem->restart_check != NULL)
    g_cancellable_cancel (modem->restart_check);
  g_clear_object (&modem->restart_check);
  g_clear_handle_id (&modem->open_retry_source, g_source_remove);
  g_clear_object (&modem->device_monitor);
  g_clear_pointer (&modem->engine, at_engine_free);
  g_clear_pointer (&modem->port, serial_port_close);
  g_free (modem->device);
  g_free (modem->manufacturer);
  g_free (modem->model);
  g_free (modem->revision);
  g_free (modem->imei);
  g_free (modem->state_reason);
  g_free (modem);
}

ModemState
modem_get_state (Modem *modem)
{
  return modem->state;
}

const char *
modem_get_device (Modem *modem)
{
  return modem->device;
}

const char *
modem_get_manufacturer (Modem *modem)
{
  return modem->manufacturer;
}

const char *
modem_get_model (Modem *modem)
{
  return modem->model;
}

const char *
modem_get_revision (Modem *modem)
{
  return modem->revision;
}

const char *
modem_get_imei (Modem *modem)
{
  return modem->imei;
}

const char *
modem_get_state_reason (Modem *modem)
{
  return modem->state_reason;
}

AtEngine *
modem_get_engine (Modem *modem)
{
  return modem->engine;
}

static void
on_command_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  AtResponse *response = at_engine_command_finish (AT_ENGINE (source), result, &error);

  if (response == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, response, (GDestroyNotify)at_response_free);
}

gboolean
modem_check_ready (Modem *modem, GError **error)
{
  if (modem->state == MODEM_STATE_READY)
    return TRUE;
  g_set_error (error, QCOAP_ERROR, QCOAP_ERROR_MODEM_UNAVAILABLE,
               "The modem is %s%s%s; try again when it is ready",
               modem_state_to_string (modem->state), *modem->state_reason ? ": " : "",
               modem->state_reason);
  return FALSE;
}

void
modem_command (Modem *modem, const AtCommand *command, GCancellable *cancellable,
               GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  GError *error = NULL;

  g_task_set_source_tag (task, modem_command);
  if (!modem_check_ready (modem, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  at_engine_command (modem->engine, command, cancellable, on_command_done, g_steal_pointer (&task));
}

AtResponse *
modem_command_finish (Modem *modem, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
