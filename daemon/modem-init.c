/* SPDX-License-Identifier: MIT */
/* modem-init.c — see modem-init.h. */
#include "modem-init.h"

#include <string.h>

#include "at-fields.h"
#include "port-role.h"

#define INIT_COMMAND_TIMEOUT_MS 2000
#define SYSFS_ROOT              "/sys"
#define SUPPORTED_MODULES       "qcoapd drives the BG96, BG95, BG77 and BG600L"

G_DEFINE_QUARK (modem - init - error - quark, modem_init_error)

/* ---- names ------------------------------------------------------------------- */

static const char *const urc_port_names[] = {
  [MODEM_URC_PORT_AUTO] = "auto",
  [MODEM_URC_PORT_USBAT] = "usbat",
  [MODEM_URC_PORT_USBMODEM] = "usbmodem",
  [MODEM_URC_PORT_UART1] = "uart1",
};

const char *
modem_urc_port_to_string (ModemUrcPort port)
{
  g_return_val_if_fail (port < G_N_ELEMENTS (urc_port_names), NULL);
  return urc_port_names[port];
}

gboolean
modem_urc_port_from_string (const char *text, ModemUrcPort *port)
{
  for (gsize i = 0; i < G_N_ELEMENTS (urc_port_names); i++)
    if (g_str_equal (text, urc_port_names[i]))
      {
        *port = (ModemUrcPort)i;
        return TRUE;
      }
  return FALSE;
}

gboolean
modem_power_saving_from_string (const char *text, ModemPowerSaving *power_saving)
{
  if (!g_str_equal (text, "off") && !g_str_equal (text, "keep"))
    return FALSE;
  *power_saving = g_str_equal (text, "off") ? MODEM_POWER_SAVING_OFF : MODEM_POWER_SAVING_KEEP;
  return TRUE;
}

/* ---- families ----------------------------------------------------------------- */

/* Models by the start of what ATI prints: "BG95-M3" is a BG95. */
static const struct
{
  const char *prefix;
  ModemFamily family;
} models[] = {
  { "BG96", MODEM_FAMILY_BG96 },   { "BG95", MODEM_FAMILY_BG96 },  { "BG77", MODEM_FAMILY_BG96 },
  { "BG600L", MODEM_FAMILY_BG96 }, { "BC66", MODEM_FAMILY_OTHER }, /* BC66, BC660K */
  { "BC95", MODEM_FAMILY_OTHER },  { "BC28", MODEM_FAMILY_OTHER }, { "BC68", MODEM_FAMILY_OTHER },
};

ModemFamily
modem_family_of (const char *model)
{
  for (gsize i = 0; model != NULL && i < G_N_ELEMENTS (models); i++)
    if (g_ascii_strncasecmp (model, models[i].prefix, strlen (models[i].prefix)) == 0)
      return models[i].family;
  return MODEM_FAMILY_UNKNOWN;
}

void
modem_identity_clear (ModemIdentity *identity)
{
  g_clear_pointer (&identity->manufacturer, g_free);
  g_clear_pointer (&identity->model, g_free);
  g_clear_pointer (&identity->revision, g_free);
  g_clear_pointer (&identity->imei, g_free);
}

/* ---- the run ------------------------------------------------------------------- */

typedef struct
{
  AtEngine *engine;
  char *device;
  ModemSettings settings;
  ModemIdentity identity;
  guint step;
  char *urc_port_found; /* what AT+QURCCFG="urcport" read, if it answered */
} InitRun;

static void
init_run_free (InitRun *run)
{
  g_object_unref (run->engine);
  g_free (run->device);
  modem_identity_clear (&run->identity);
  g_free (run->urc_port_found);
  g_free (run);
}

/* What a step does when the module answers it with an error. */
typedef enum
{
  ON_ERROR_FAIL, /* the run fails (and is tried again by the modem) */
  ON_ERROR_LOG,  /* a setting the module refused: logged, the run goes on */
  ON_ERROR_TAKE, /* the step's take function decides */
} OnError;

typedef struct
{
  const char *text;                              /* or: */
  char *(*build) (InitRun *run, GError **error); /* NULL and no error: skip the step */
  const char *const *response;
  gboolean (*take) (InitRun *run, AtResponse *response, const GError *at_error, GError **error);
  OnError on_error;
} InitStep;

static void
replace_string (char **slot, const char *value)
{
  g_free (*slot);
  *slot = g_strdup (value);
}

static gboolean
take_ati (InitRun *run, AtResponse *response, const GError *at_error, GError **error)
{
  /* ATI answers "Quectel", "BG96", "Revision: BG96MAR02A07M1G". */
  for (guint i = 0; i < response->lines->len; i++)
    {
      const char *line = g_ptr_array_index (response->lines, i);

      if (g_str_has_prefix (line, "Revision: "))
        replace_string (&run->identity.revision, line + strlen ("Revision: "));
      else if (i == 0)
        replace_string (&run->identity.manufacturer, line);
      else if (i == 1)
        replace_string (&run->identity.model, line);
    }
  return TRUE;
}

static gboolean
take_gsn (InitRun *run, AtResponse *response, const GError *at_error, GError **error)
{
  if (response->lines->len > 0)
    replace_string (&run->identity.imei, g_ptr_array_index (response->lines, 0));
  return TRUE;
}

static gboolean
take_cgmr (InitRun *run, AtResponse *response, const GError *at_error, GError **error)
{
  if (response->lines->len > 0)
    replace_string (&run->identity.revision, g_ptr_array_index (response->lines, 0));
  return TRUE;
}

/* ---- the family ---------------------------------------------------------------- */

static const char *
shown_model (InitRun *run)
{
  return run->identity.model && *run->identity.model ? run->identity.model : "this module";
}

/* The probe, for a model nobody has vouched for; a module of another
 * family gets no AT+QCOAP… command at all. */
static char *
build_family_probe (InitRun *run, GError **error)
{
  switch (modem_family_of (run->identity.model))
    {
      case MODEM_FAMILY_BG96:
        return NULL;
      case MODEM_FAMILY_OTHER:
        g_set_error (error, MODEM_INIT_ERROR, MODEM_INIT_ERROR_UNSUPPORTED,
                     "%s: this module's CoAP commands are a different family "
                     "(AT+QCOAPCREATE…); " SUPPORTED_MODULES,
                     shown_model (run));
        return NULL;
      case MODEM_FAMILY_UNKNOWN:
      default:
        return g_strdup ("AT+QCOAPCFG=?");
    }
}

static const char *const qcoapcfg_response[] = { "+QCOAPCFG:", NULL };

/* The BG96 lists its ranges: +QCOAPCFG: "trans",(0-5),(2-60),(4-8). */
static gboolean
take_family_probe (InitRun *run, AtResponse *response, const GError *at_error, GError **error)
{
  gboolean ranges = FALSE;

  if (at_error != NULL && !g_error_matches (at_error, AT_ERROR, AT_ERROR_MODEM))
    {
      g_propagate_error (error, g_error_copy (at_error));
      return FALSE;
    }
  for (guint i = 0; response != NULL && i < response->lines->len; i++)
    ranges |= strchr (g_ptr_array_index (response->lines, i), '(') != NULL;
  if (!ranges)
    {
      g_set_error (error, MODEM_INIT_ERROR, MODEM_INIT_ERROR_UNSUPPORTED,
                   "%s: it does not answer AT+QCOAPCFG=? as the BG96 does, so its CoAP "
                   "commands are not the BG96's; " SUPPORTED_MODULES,
                   shown_model (run));
      return FALSE;
    }
  g_message ("The model \"%s\" is not one qcoapd knows, but it answers AT+QCOAPCFG=? as the "
             "BG96 does: it is driven as a BG96",
             shown_model (run));
  return TRUE;
}

/* ---- the URC port ---------------------------------------------------------------- */

#define URC_PORT_PREFIX "+QURCCFG:"
static const char *const qurccfg_response[] = { URC_PORT_PREFIX, NULL };

/* +QURCCFG: "urcport","usbat" → usbat */
static char *
parse_urc_port (const char *line)
{
  AtFieldsIter fields;
  g_autofree char *setting = NULL;
  char *port = NULL;

  if (!at_fields_open (&fields, line, URC_PORT_PREFIX, AT_FIELDS_STYLE_27007)
      || !at_fields_next_string (&fields, &setting) || g_strcmp0 (setting, "urcport") != 0
      || !at_fields_next_string (&fields, &port) || !at_fields_at_end (&fields))
    g_clear_pointer (&port, g_free);
  return port;
}

static gboolean
take_urc_port (InitRun *run, AtResponse *response, const GError *at_error, GError **error)
{
  for (guint i = 0; i < response->lines->len && run->urc_port_found == NULL; i++)
    run->urc_port_found = parse_urc_port (g_ptr_array_index (response->lines, i));
  if (run->urc_port_found == NULL)
    g_message ("The module's answer to AT+QURCCFG=\"urcport\" names no port");
  return TRUE;
}

/* The port this daemon holds, as AT+QURCCFG names it, or NULL. */
static const char *
wanted_urc_port (InitRun *run)
{
  if (run->settings.urc_port != MODEM_URC_PORT_AUTO)
    return modem_urc_port_to_string (run->settings.urc_port);
  return port_role_lookup (SYSFS_ROOT, run->device);
}

/* Sets the URC port if it is not the one this daemon holds. */
static char *
build_urc_port_write (InitRun *run, GError **error)
{
  const char *wanted = wanted_urc_port (run);

  if (run->urc_port_found == NULL)
    return NULL;
  if (wanted == NULL)
    {
      g_info ("The module sends its URCs to \"%s\"; which port %s is cannot be told "
              "(UrcPort=auto), so that is left as it is",
              run->urc_port_found, run->device);
      return NULL;
    }
  if (g_str_equal (wanted, run->urc_port_found))
    {
      g_info ("The module sends its URCs to \"%s\", this port", wanted);
      return NULL;
    }
  g_message ("The module sent its URCs to \"%s\"; setting \"%s\", the port qcoapd holds",
             run->urc_port_found, wanted);
  return g_strdup_printf ("AT+QURCCFG=\"urcport\",\"%s\"", wanted);
}

/* ---- power saving ------------------------------------------------------------------ */

/* A gateway wants its module reachable: PSM and eDRX off, unless kept. */
static char *
build_psm_off (InitRun *run, GError **error)
{
  return run->settings.power_saving == MODEM_POWER_SAVING_OFF ? g_strdup ("AT+CPSMS=0") : NULL;
}

static char *
build_edrx_off (InitRun *run, GError **error)
{
  return run->settings.power_saving == MODEM_POWER_SAVING_OFF ? g_strdup ("AT+CEDRXS=0") : NULL;
}

static const InitStep init_steps[] = {
  { "ATE0", NULL, NULL, NULL, ON_ERROR_FAIL },      /* echo off: every later line is an answer */
  { "AT+CMEE=2", NULL, NULL, NULL, ON_ERROR_FAIL }, /* errors in words, for messages */
  /* Answers in free text: "Quectel", "BG96", "Revision: …"; the IMEI. */
  { "ATI", NULL, AT_RESPONSE_ANY, take_ati, ON_ERROR_FAIL },
  { "AT+GSN", NULL, AT_RESPONSE_ANY, take_gsn, ON_ERROR_FAIL },
  { "AT+CGMR", NULL, AT_RESPONSE_ANY, take_cgmr, ON_ERROR_FAIL },
  { NULL, build_family_probe, qcoapcfg_response, take_family_probe, ON_ERROR_TAKE },
  { "AT+QURCCFG=\"urcport\"", NULL, qurccfg_response, take_urc_port, ON_ERROR_LOG },
  { NULL, build_urc_port_write, NULL, NULL, ON_ERROR_LOG },
  { NULL, build_psm_off, NULL, NULL, ON_ERROR_LOG },
  { NULL, build_edrx_off, NULL, NULL, ON_ERROR_LOG },
};

static void run_step (GTask *task);

static void
on_step_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  InitRun *run = g_task_get_task_data (task);
  const InitStep *step = &init_steps[run->step];
  g_autoptr (GError) at_error = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (AtResponse) response = at_engine_command_finish (run->engine, result, &at_error);

  if (at_error != NULL && step->on_error == ON_ERROR_LOG
      && !g_error_matches (at_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("The module refused a setting: %s", at_error->message);
  else if (at_error != NULL && step->on_error != ON_ERROR_TAKE)
    {
      g_task_return_error (task, g_steal_pointer (&at_error));
      return;
    }
  if ((response != NULL || step->on_error == ON_ERROR_TAKE) && step->take != NULL
      && !step->take (run, response, at_error, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  run->step++;
  run_step (g_steal_pointer (&task));
}

static void
run_step (GTask *task)
{
  InitRun *run = g_task_get_task_data (task);
  g_autofree char *built = NULL;
  g_autoptr (GError) error = NULL;
  AtCommand command = { .timeout_ms = INIT_COMMAND_TIMEOUT_MS };

  for (; run->step < G_N_ELEMENTS (init_steps); run->step++)
    {
      const InitStep *step = &init_steps[run->step];

      built = step->build ? step->build (run, &error) : g_strdup (step->text);
      if (error != NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          g_object_unref (task);
          return;
        }
      if (built != NULL)
        break;
    }
  if (built == NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  command.text = built;
  command.response = init_steps[run->step].response;
  at_engine_command (run->engine, &command, g_task_get_cancellable (task), on_step_done, task);
}

void
modem_init_run (AtEngine *engine, const char *device, const ModemSettings *settings,
                GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  InitRun *run = g_new0 (InitRun, 1);

  g_task_set_source_tag (task, modem_init_run);
  run->engine = g_object_ref (engine);
  run->device = g_strdup (device);
  run->settings = *settings;
  g_task_set_task_data (task, run, (GDestroyNotify)init_run_free);
  run_step (task);
}

gboolean
modem_init_finish (GAsyncResult *result, ModemIdentity *identity, GError **error)
{
  InitRun *run;

  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == modem_init_run, FALSE);
  run = g_task_get_task_data (G_TASK (result));
  *identity = run->identity;
  run->identity = (ModemIdentity){ 0 };
  return g_task_propagate_boolean (G_TASK (result), error);
}
