/* SPDX-License-Identifier: MIT */
/* dtls-psk.c — see dtls-psk.h. */
#include "dtls-psk.h"

#include <string.h>

#include "qcoap-cmd.h"
#include "qcoap-error.h"
#include "qcoap-proto.h"

#define LOCAL_COMMAND_TIMEOUT_MS 2000
/* The upload is a few hundred bytes at most: well under a second even at
 * 9600 baud, plus the modem's flash write. */
#define UPLOAD_TIMEOUT_MS 5000

/* From the configuration: the whole daemon uses one cipher suite, or none. */
static char *cipher_suite;

void
dtls_psk_set_cipher_suite (const char *suite)
{
  g_free (cipher_suite);
  cipher_suite = g_strdup (suite);
}

/* ---- the file contents, wiped when the last reference goes ---- */

static void
wipe_and_free (gpointer data)
{
  char *contents = data;

  explicit_bzero (contents, strlen (contents));
  g_free (contents);
}

static GBytes *
psk_file_contents (const char *identity, GBytes *key, GError **error)
{
  char *contents = at_coap_psk_file_contents (identity, key, error);

  if (contents == NULL)
    return NULL;
  return g_bytes_new_with_free_func (contents, strlen (contents), wipe_and_free, contents);
}

gboolean
dtls_psk_validate (const char *identity, GBytes *key, GError **error)
{
  g_autoptr (GBytes) contents = psk_file_contents (identity, key, error);

  return contents != NULL;
}

/* ---- shared helpers ---- */

static GPtrArray *
steps_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify)at_step_free);
}

static void
add_step (GPtrArray *steps, char *command)
{
  g_ptr_array_add (steps,
                   at_step_new (command, NULL, AT_PAYLOAD_NONE, NULL, LOCAL_COMMAND_TIMEOUT_MS));
}

/* The line AT+QFUPL answers after the upload: +QFUPL: <size>,<checksum>. */
static const char *const qfupl_response[] = { "+QFUPL:", NULL };

/* CME error 405 (file not found), by its number or in words. */
#define CME_FILE_NOT_FOUND 405

static gboolean
is_file_not_found (const GError *error)
{
  const AtFinal *final = at_error_get_final (error);

  return final != NULL && final->kind == AT_FINAL_CME_ERROR
         && (final->code == CME_FILE_NOT_FOUND || strstr (final->words, "not found") != NULL);
}

/* ---- install ---- */

typedef enum
{
  INSTALL_DELETE_OLD,
  INSTALL_UPLOAD,
  INSTALL_UPLOAD_AGAIN,
  INSTALL_CONFIGURE,
} InstallStage;

typedef struct
{
  ClientPool *pool;
  guint client_id;
  guint ssl_ctx;
  char *file_name;
  GBytes *contents;
  InstallStage stage;
} Install;

static void
install_free (Install *install)
{
  g_free (install->file_name);
  g_bytes_unref (install->contents);
  g_free (install);
}

static void on_install_step_done (GObject *source, GAsyncResult *result, gpointer user_data);

/* Queues @steps (taken over) for the client ID; the transaction holds a
 * reference on @task. */
static void
run (GTask *task, GPtrArray *steps)
{
  Install *install = g_task_get_task_data (task);

  client_pool_run (install->pool, install->client_id, steps, g_task_get_cancellable (task),
                   on_install_step_done, g_object_ref (task));
}

static void
add_upload_step (Install *install, GPtrArray *steps)
{
  g_ptr_array_add (
      steps,
      at_step_new (at_coap_cmd_qfupl (install->file_name, g_bytes_get_size (install->contents)),
                   qfupl_response, AT_PAYLOAD_AFTER_CONNECT, install->contents, UPLOAD_TIMEOUT_MS));
}

/* TRUE if the upload's "+QFUPL: <size>,<checksum>" matches what was sent. */
static gboolean
upload_is_intact (Install *install, GPtrArray *responses)
{
  AtResponse *response = g_ptr_array_index (responses, responses->len - 1);
  gsize length;
  const guint8 *data = g_bytes_get_data (install->contents, &length);

  for (guint i = 0; i < response->lines->len; i++)
    {
      const char *line = g_ptr_array_index (response->lines, i);
      gsize size;
      guint16 checksum;

      if (at_coap_urc_classify (line) == QCOAP_URC_QFUPL
          && at_coap_qfupl_parse (line, &size, &checksum, NULL))
        return size == length && checksum == at_coap_qfupl_checksum (data, length);
    }
  return FALSE;
}

static void
configure (GTask *task)
{
  Install *install = g_task_get_task_data (task);
  GPtrArray *steps = steps_new ();

  install->stage = INSTALL_CONFIGURE;
  add_step (steps, at_coap_cmd_ssl_dtls (install->ssl_ctx));
  add_step (steps, at_coap_cmd_ssl_dtls_version (install->ssl_ctx));
  if (cipher_suite != NULL)
    add_step (steps, at_coap_cmd_ssl_cipher_suite (install->ssl_ctx, cipher_suite));
  add_step (steps, at_coap_cmd_cfg_dtls (install->client_id, TRUE, install->ssl_ctx));
  run (task, steps);
}

static void
check_upload (GTask *task, GPtrArray *responses)
{
  Install *install = g_task_get_task_data (task);
  GPtrArray *steps;

  if (upload_is_intact (install, responses))
    {
      configure (task);
      return;
    }
  if (install->stage == INSTALL_UPLOAD_AGAIN)
    {
      g_task_return_new_error (task, QCOAP_ERROR, QCOAP_ERROR_MODEM_ERROR,
                               "The modem stored the DTLS key file %s with a size or checksum "
                               "other than what was sent, twice; the session was not opened",
                               install->file_name);
      return;
    }
  g_message ("Client %u: the modem reported a different size or checksum for %s; uploading it "
             "again",
             install->client_id, install->file_name);
  /* The damaged file is there now: remove it, then upload once more. */
  install->stage = INSTALL_UPLOAD_AGAIN;
  steps = steps_new ();
  add_step (steps, at_coap_cmd_qfdel (install->file_name));
  add_upload_step (install, steps);
  run (task, steps);
}

static void
on_install_step_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Install *install = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) responses = NULL;
  GPtrArray *steps;

  responses = client_pool_run_finish (install->pool, result, &error);
  if (responses == NULL && !(install->stage == INSTALL_DELETE_OLD && is_file_not_found (error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;
  switch (install->stage)
    {
      case INSTALL_DELETE_OLD:
        install->stage = INSTALL_UPLOAD;
        steps = steps_new ();
        add_upload_step (install, steps);
        run (task, steps);
        break;
      case INSTALL_UPLOAD:
      case INSTALL_UPLOAD_AGAIN:
        check_upload (task, responses);
        break;
      case INSTALL_CONFIGURE:
      default:
        g_task_return_boolean (task, TRUE);
        break;
    }
}

void
dtls_psk_install (ClientPool *pool, guint client_id, guint ssl_ctx, const char *identity,
                  GBytes *key, GCancellable *cancellable, GAsyncReadyCallback callback,
                  gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Install *install = g_new0 (Install, 1);
  GError *error = NULL;
  GPtrArray *steps;

  g_task_set_source_tag (task, dtls_psk_install);
  install->pool = pool;
  install->client_id = client_id;
  install->ssl_ctx = ssl_ctx;
  install->file_name = at_coap_psk_file_name (ssl_ctx);
  install->contents = psk_file_contents (identity, key, &error);
  install->stage = INSTALL_DELETE_OLD;
  g_task_set_task_data (task, install, (GDestroyNotify)install_free);
  if (install->contents == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  /* A file left over (by an earlier session, or before a restart) would make
   * the upload fail with "file exists". */
  steps = steps_new ();
  add_step (steps, at_coap_cmd_qfdel (install->file_name));
  run (task, steps);
  g_object_unref (task);
}

gboolean
dtls_psk_install_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- remove ---- */

typedef struct
{
  ClientPool *pool;
  guint client_id;
  guint outstanding;
} Removal;

static void
on_removal_step_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Removal *removal = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) responses = NULL;

  responses = client_pool_run_finish (removal->pool, result, &error);
  if (responses == NULL && !is_file_not_found (error))
    g_info ("Client %u: cleaning up after DTLS failed: %s", removal->client_id, error->message);
  if (--removal->outstanding > 0)
    return;
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

void
dtls_psk_remove (ClientPool *pool, guint client_id, guint ssl_ctx, GAsyncReadyCallback callback,
                 gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);
  Removal *removal = g_new0 (Removal, 1);
  g_autofree char *file_name = at_coap_psk_file_name (ssl_ctx);
  GPtrArray *delete_file = steps_new ();
  GPtrArray *plain_again = steps_new ();

  g_task_set_source_tag (task, dtls_psk_remove);
  removal->pool = pool;
  removal->client_id = client_id;
  removal->outstanding = 2;
  g_task_set_task_data (task, removal, g_free);
  /* Two transactions queued at once, so that neither waits for the other's
   * outcome (and nothing here touches the pool after a completion). */
  add_step (delete_file, at_coap_cmd_qfdel (file_name));
  add_step (plain_again, at_coap_cmd_cfg_dtls (client_id, FALSE, ssl_ctx));
  client_pool_run (pool, client_id, delete_file, NULL, on_removal_step_done, task);
  client_pool_run (pool, client_id, plain_again, NULL, on_removal_step_done, task);
}

gboolean
dtls_psk_remove_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
