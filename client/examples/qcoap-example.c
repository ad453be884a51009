/* SPDX-License-Identifier: MIT */
/* qcoap-example — a small program on libqcoap-glib: opens a session to a CoAP
 * server, asks for /time asynchronously while watching the session's
 * signals, stores a reading with PUT, and closes the session.
 *
 *   qcoap-example [--bus ADDRESS] HOST [PORT]
 *
 * Build it out of the tree with:
 *   cc qcoap-example.c $(pkg-config --cflags --libs qcoap-glib) -o qcoap-example */
#include <qcoap-glib/qcoap-glib.h>

typedef struct
{
  GMainLoop *loop;
  QcoapClientSession *session;
  guint received;
  int status;
} Example;

static void
on_received (QcoapClientSession *session, QcoapResponse *message, Example *example)
{
  g_autofree char *code = qcoap_code_to_string (qcoap_response_get_code (message));

  example->received++;
  g_print ("signal: received %s (message ID %u, %zu bytes)\n", code,
           qcoap_response_get_message_id (message),
           g_bytes_get_size (qcoap_response_get_payload (message)));
}

static void
on_ack (QcoapClientSession *session, guint type, guint message_id, int result, Example *example)
{
  g_print ("signal: ack for %s message %u: %s\n", qcoap_message_type_to_string (type), message_id,
           result == 0 ? "delivered" : qcoap_result_describe (result));
}

static void
on_closed (QcoapClientSession *session, const char *reason, Example *example)
{
  g_print ("signal: closed (%s)\n", reason);
  g_main_loop_quit (example->loop);
}

static void
fail (Example *example, const char *what, const GError *error)
{
  g_printerr ("qcoap-example: %s: %s\n", what, error->message);
  example->status = 1;
  g_main_loop_quit (example->loop);
}

static void
closed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Example *example = user_data;
  g_autoptr (GError) error = NULL;

  /* The loop ends in on_closed(), when the daemon confirms. */
  if (!qcoap_client_session_close_finish (example->session, result, &error))
    fail (example, "Close", error);
}

static void
stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Example *example = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapResponse) response
      = qcoap_client_session_request_finish (example->session, result, &error);
  g_autofree char *code = NULL;

  if (response == NULL)
    return fail (example, "PUT", error);
  code = qcoap_code_to_string (qcoap_response_get_code (response));
  g_print ("PUT /example_data: %s %s\n", code,
           qcoap_code_get_description (qcoap_response_get_code (response)));
  qcoap_client_session_close (example->session, NULL, closed, example);
}

static void
got_time (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Example *example = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapResponse) response
      = qcoap_client_session_request_finish (example->session, result, &error);
  g_autoptr (GVariantBuilder) options = g_variant_builder_new (G_VARIANT_TYPE ("a(qv)"));
  g_autoptr (GBytes) reading = g_bytes_new_static ("{\"t\":21.5}", 10);
  gsize length;
  const char *text;

  if (response == NULL)
    return fail (example, "GET", error);
  text = g_bytes_get_data (qcoap_response_get_payload (response), &length);
  g_print ("GET /time: %.*s\n", (int)length, text);

  g_variant_builder_add_value (options, qcoap_option_new_uint (12, 50 /* application/json */));
  qcoap_client_session_request (example->session, QCOAP_METHOD_PUT, "/example_data",
                                g_variant_builder_end (options), reading, NULL, NULL, stored,
                                example);
}

static void
opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Example *example = user_data;
  g_autoptr (GError) error = NULL;

  example->session = qcoap_client_open_finish (QCOAP_CLIENT (source), result, &error);
  if (example->session == NULL)
    return fail (example, "Open", error);
  g_print ("opened %s\n", qcoap_client_session_get_object_path (example->session));
  g_signal_connect (example->session, "received", G_CALLBACK (on_received), example);
  g_signal_connect (example->session, "ack", G_CALLBACK (on_ack), example);
  g_signal_connect (example->session, "closed", G_CALLBACK (on_closed), example);
  qcoap_client_session_request (example->session, QCOAP_METHOD_GET, "/time", NULL, NULL, NULL, NULL,
                                got_time, example);
}

int
main (int argc, char **argv)
{
  g_autofree char *bus_address = NULL;
  GOptionEntry entries[] = {
    { "bus", 0, 0, G_OPTION_ARG_STRING, &bus_address, "D-Bus address (default: system bus)",
      "ADDRESS" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("HOST [PORT]");
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr (QcoapClient) client = NULL;
  g_autoptr (GError) error = NULL;
  Example example = { loop, NULL, 0, 0 };
  guint64 port = 5683;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc < 2
      || (argc == 3 && !g_ascii_string_to_unsigned (argv[2], 10, 1, 65535, &port, NULL)))
    {
      g_printerr ("Usage: qcoap-example [--bus ADDRESS] HOST [PORT]\n");
      return 2;
    }

  if (bus_address)
    client = qcoap_client_new_for_address_sync (bus_address, NULL, &error);
  else
    client = qcoap_client_new_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  if (client == NULL)
    {
      g_printerr ("qcoap-example: %s\n", error->message);
      return 1;
    }
  g_print ("modem %s %s, %s, %u free client IDs\n", qcoap_client_get_manufacturer (client),
           qcoap_client_get_model (client), qcoap_client_get_state (client),
           qcoap_client_get_free_clients (client));

  qcoap_client_open (client, argv[1], port, NULL, NULL, opened, &example);
  g_main_loop_run (loop);

  if (example.status == 0)
    g_print ("%u messages received\n", example.received);
  g_clear_object (&example.session);
  return example.status;
}
