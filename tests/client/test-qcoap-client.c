/* SPDX-License-Identifier: MIT */
/* test-qcoap-client.c — libqcoap-glib in process against the real daemon:
 * asynchronous construction, Open, Request and Close, the typed signals,
 * sessions appearing and going, and errors in the QCOAP_ERROR domain. Runs
 * inside client-env-run (QCOAP_TEST_BUS, QCOAP_TEST_COAP_PORT,
 * QCOAP_TEST_SILENT_PORT, QCOAP_TEST_SIM_CONTROL). The network's
 * properties, their notify:: and Command too. */
#include <qcoap-glib/qcoap-glib.h>

#include "sim-control.h"

#include <string.h>
#include <unistd.h>

static const char *bus_address;
static guint16 coap_port;
static guint16 silent_port;

static void
store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **)user_data = g_object_ref (result);
}

/* Iterates the main context until the async call has finished. */
static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

/* Runs the main context until @condition holds or 20 s have passed, then
 * asserts it. */
#define WAIT_FOR(condition)                                                                        \
  G_STMT_START                                                                                     \
  {                                                                                                \
    gint64 end_ = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;                                   \
    while (!(condition) && g_get_monotonic_time () < end_)                                         \
      if (!g_main_context_iteration (NULL, FALSE))                                                 \
        g_usleep (1000);                                                                           \
    g_assert_true (condition);                                                                     \
  }                                                                                                \
  G_STMT_END

static QcoapClient *
new_client_async (void)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  QcoapClient *client;

  qcoap_client_new_for_address (bus_address, NULL, store_result, &result);
  client = qcoap_client_new_for_address_finish (wait_result (&result), &error);
  g_assert_no_error (error);
  return client;
}

typedef struct
{
  GPtrArray *received; /* QcoapResponse */
  guint acks;
  int last_ack_result;
  char *closed_reason;
  gboolean closed;
} SessionEvents;

static void
on_received (QcoapClientSession *session, QcoapResponse *message, SessionEvents *events)
{
  g_ptr_array_add (events->received, qcoap_response_ref (message));
}

static void
on_ack (QcoapClientSession *session, guint type, guint message_id, int result,
        SessionEvents *events)
{
  g_assert_cmpuint (type, ==, QCOAP_MESSAGE_CON);
  events->acks++;
  events->last_ack_result = result;
}

static void
on_closed (QcoapClientSession *session, const char *reason, SessionEvents *events)
{
  g_assert_false (events->closed); /* once */
  events->closed_reason = g_strdup (reason);
  events->closed = TRUE;
}

static void
test_async_open_request_close (void)
{
  g_autoptr (QcoapClient) client = new_client_async ();
  g_autoptr (QcoapClientSession) session = NULL;
  g_autoptr (QcoapResponse) response = NULL;
  g_autoptr (GAsyncResult) opened = NULL;
  g_autoptr (GAsyncResult) answered = NULL;
  g_autoptr (GAsyncResult) closed = NULL;
  g_autoptr (GError) error = NULL;
  SessionEvents events = { g_ptr_array_new_with_free_func ((GDestroyNotify)qcoap_response_unref) };
  QcoapResponse *received;
  gsize length;

  g_assert_cmpstr (qcoap_client_get_state (client), ==, "ready");
  g_assert_cmpstr (qcoap_client_get_state_reason (client), ==, "");
  g_assert_cmpstr (qcoap_client_get_model (client), ==, "BG96");
  g_assert_cmpuint (qcoap_client_get_free_clients (client), ==, 6);

  qcoap_client_open (client, "127.0.0.1", coap_port, NULL, NULL, store_result, &opened);
  session = qcoap_client_open_finish (client, wait_result (&opened), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (qcoap_client_session_get_host (session), ==, "127.0.0.1");
  g_assert_cmpuint (qcoap_client_session_get_port (session), ==, coap_port);
  g_assert_false (qcoap_client_session_get_persistent (session));
  /* Nothing asked for the signals yet; a handler and a call do. */
  g_assert_false (qcoap_client_session_get_listening (session));
  g_signal_connect (session, "received", G_CALLBACK (on_received), &events);
  g_signal_connect (session, "ack", G_CALLBACK (on_ack), &events);
  g_signal_connect (session, "closed", G_CALLBACK (on_closed), &events);

  qcoap_client_session_request (session, QCOAP_METHOD_GET, "/time?ticks", NULL, NULL, NULL, NULL,
                                store_result, &answered);
  response = qcoap_client_session_request_finish (session, wait_result (&answered), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qcoap_response_get_code (response), ==, QCOAP_CODE (2, 5));
  g_assert_cmpuint (g_bytes_get_size (qcoap_response_get_payload (response)), >, 0);
  WAIT_FOR (qcoap_client_session_get_listening (session));

  /* The same response also comes as the typed received signal. */
  WAIT_FOR (events.received->len > 0);
  received = g_ptr_array_index (events.received, 0);
  g_assert_cmpuint (qcoap_response_get_code (received), ==, 69);
  g_assert_true (
      g_bytes_equal (qcoap_response_get_payload (received), qcoap_response_get_payload (response)));
  g_bytes_get_data (qcoap_response_get_token (received), &length);
  g_assert_cmpuint (length, >, 0);

  qcoap_client_session_close (session, NULL, store_result, &closed);
  g_assert_true (qcoap_client_session_close_finish (session, wait_result (&closed), &error));
  g_assert_no_error (error);
  WAIT_FOR (events.closed);
  g_assert_cmpstr (events.closed_reason, ==, "closed");
  g_assert_cmpstr (qcoap_client_session_get_state (session), ==, "closed");
  g_assert_cmpuint (events.acks, >=, 1);
  g_assert_cmpint (events.last_ack_result, ==, 0);

  g_ptr_array_unref (events.received);
  g_free (events.closed_reason);
}

typedef struct
{
  QcoapClientSession *added;
  QcoapClientSession *removed;
} Watch;

static void
on_session_added (QcoapClient *client, QcoapClientSession *session, Watch *watch)
{
  g_set_object (&watch->added, session);
}

static void
on_session_removed (QcoapClient *client, QcoapClientSession *session, Watch *watch)
{
  g_set_object (&watch->removed, session);
}

static void
test_sessions_of_another_client (void)
{
  g_autoptr (QcoapClient) watcher = new_client_async ();
  g_autoptr (QcoapClient) other = qcoap_client_new_for_address_sync (bus_address, NULL, NULL);
  g_autoptr (QcoapClientSession) session = NULL;
  g_autoptr (GError) error = NULL;
  Watch watch = { NULL, NULL };
  GList *sessions;

  g_assert_nonnull (other);
  g_signal_connect (watcher, "session-added", G_CALLBACK (on_session_added), &watch);
  g_signal_connect (watcher, "session-removed", G_CALLBACK (on_session_removed), &watch);

  session = qcoap_client_open_sync (other, "127.0.0.1", coap_port, NULL, NULL, &error);
  g_assert_no_error (error);
  WAIT_FOR (watch.added != NULL);
  g_assert_cmpstr (qcoap_client_session_get_object_path (watch.added), ==,
                   qcoap_client_session_get_object_path (session));
  sessions = qcoap_client_get_sessions (watcher);
  g_assert_cmpuint (g_list_length (sessions), ==, 1);
  g_list_free_full (sessions, g_object_unref);
  g_assert_true (
      qcoap_client_lookup_session (watcher, qcoap_client_session_get_object_path (session))
      == watch.added);

  /* The owner's connection goes away: the daemon closes the session. */
  g_clear_object (&session);
  g_dbus_connection_close_sync (qcoap_client_get_connection (other), NULL, NULL);
  WAIT_FOR (watch.removed != NULL);
  g_assert_true (watch.removed == watch.added);
  g_assert_cmpstr (qcoap_client_session_get_state (watch.removed), ==, "closed");
  g_clear_object (&watch.added);
  g_clear_object (&watch.removed);
}

/* A unicast signal whose body GDBus fails to parse (an a(g) whose last
 * element ends within the padding GDBus computes wrongly): valid D-Bus, which
 * the bus routes, but GDBus closes the receiving connection over it. Any
 * member of the bus may send one. */
static void
knock_off (const char *unique_name)
{
  g_autoptr (GDBusConnection) sender = NULL;
  g_autoptr (GDBusMessage) message
      = g_dbus_message_new_signal ("/org/qcoapd/Test", "org.qcoapd.Test", "KnockOff");
  g_autoptr (GError) error = NULL;
  GVariantBuilder array;

  sender = g_dbus_connection_new_for_address_sync (
      bus_address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  g_assert_no_error (error);
  g_variant_builder_init (&array, G_VARIANT_TYPE ("a(g)"));
  g_variant_builder_add (&array, "(g)", "yyyyy");
  g_variant_builder_add (&array, "(g)", "y");
  g_dbus_message_set_destination (message, unique_name);
  g_dbus_message_set_body (message, g_variant_new ("(a(g)s)", &array, "x"));
  g_dbus_connection_send_message (sender, message, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_flush_sync (sender, NULL, &error);
  g_assert_no_error (error);
}

/* The bus connection is knocked off: the client connects again and its
 * persistent session object keeps working. */
static void
test_reconnects (void)
{
  g_autoptr (QcoapClient) client = qcoap_client_new_for_address_sync (bus_address, NULL, NULL);
  g_autoptr (QcoapClientSession) session = NULL;
  g_autoptr (GDBusConnection) old = NULL;
  g_autoptr (QcoapResponse) response = NULL;
  g_autoptr (GVariantDict) options = g_variant_dict_new (NULL);
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (client);
  g_variant_dict_insert (options, "persistent", "b", TRUE);
  session = qcoap_client_open_sync (client, "127.0.0.1", coap_port, g_variant_dict_end (options),
                                    NULL, &error);
  g_assert_no_error (error);
  old = g_object_ref (qcoap_client_get_connection (client));
  /* The session's InterfacesAdded came before Open's reply; it is handled
   * now, before the knock-off: handled after it, GDBus would make its proxy
   * on the closed connection. */
  while (g_main_context_iteration (NULL, FALSE))
    ;

  /* GDBus warns of the message it cannot decode: expected here. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  knock_off (g_dbus_connection_get_unique_name (old));
  WAIT_FOR (g_dbus_connection_is_closed (old));
  WAIT_FOR (qcoap_client_get_connection (client) != old);
  g_assert_false (g_dbus_connection_is_closed (qcoap_client_get_connection (client)));
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);

  response = qcoap_client_session_request_sync (session, QCOAP_METHOD_GET, "/time", NULL, NULL,
                                                NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qcoap_response_get_code (response), ==, QCOAP_CODE (2, 5));
  g_assert_true (
      qcoap_client_lookup_session (client, qcoap_client_session_get_object_path (session))
      == session);
  g_assert_cmpstr (qcoap_client_get_state (client), ==, "ready");
  qcoap_client_session_close_sync (session, NULL, &error);
  g_assert_no_error (error);
}

static void
count_signal (GDBusConnection *connection, const char *sender, const char *path,
              const char *interface, const char *member, GVariant *parameters, gpointer user_data)
{
  (*(guint *)user_data)++;
}

/* Every signal the daemon sent before answering a call made now has been
 * dispatched once this returns. */
static void
flush_signals (QcoapClient *client)
{
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      qcoap_client_get_connection (client), QCOAP_SERVICE_NAME, QCOAP_MANAGER_PATH,
      "org.freedesktop.DBus.Properties", "Get", g_variant_new ("(ss)", "org.qcoapd.CoAP1", "State"),
      NULL, G_DBUS_CALL_FLAGS_NONE, 10000, NULL, NULL);

  g_assert_nonnull (reply);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* A session without handlers does not listen: its connection gets none of
 * its signals. Another program of the same user listens to it with
 * qcoap_client_session_listen() and hears its traffic until it unlistens. */
static void
test_listening (void)
{
  g_autoptr (QcoapClient) client = qcoap_client_new_for_address_sync (bus_address, NULL, NULL);
  g_autoptr (QcoapClient) watcher = new_client_async ();
  g_autoptr (QcoapClientSession) session = NULL;
  g_autoptr (QcoapResponse) response = NULL;
  g_autoptr (GAsyncResult) listened = NULL;
  g_autoptr (GError) error = NULL;
  SessionEvents events = { g_ptr_array_new_with_free_func ((GDestroyNotify)qcoap_response_unref) };
  QcoapClientSession *watched;
  guint heard = 0;
  guint subscription;

  session = qcoap_client_open_sync (client, "127.0.0.1", coap_port, NULL, NULL, &error);
  g_assert_no_error (error);
  subscription = g_dbus_connection_signal_subscribe (
      qcoap_client_get_connection (client), QCOAP_SERVICE_NAME, "org.qcoapd.CoAP1.Session", NULL,
      qcoap_client_session_get_object_path (session), NULL, G_DBUS_SIGNAL_FLAGS_NONE, count_signal,
      &heard, NULL);
  response = qcoap_client_session_request_sync (session, QCOAP_METHOD_GET, "/time", NULL, NULL,
                                                NULL, NULL, &error);
  g_assert_no_error (error);
  flush_signals (client);
  g_assert_cmpuint (heard, ==, 0);
  g_assert_false (qcoap_client_session_get_listening (session));

  WAIT_FOR (qcoap_client_lookup_session (watcher, qcoap_client_session_get_object_path (session)));
  watched = qcoap_client_lookup_session (watcher, qcoap_client_session_get_object_path (session));
  g_signal_connect (watched, "received", G_CALLBACK (on_received), &events);
  qcoap_client_session_listen (watched, NULL, store_result, &listened);
  g_assert_true (qcoap_client_session_listen_finish (watched, wait_result (&listened), &error));
  g_assert_no_error (error);
  g_assert_true (qcoap_client_session_get_listening (watched));
  g_clear_pointer (&response, qcoap_response_unref);
  response = qcoap_client_session_request_sync (session, QCOAP_METHOD_GET, "/time", NULL, NULL,
                                                NULL, NULL, &error);
  g_assert_no_error (error);
  WAIT_FOR (events.received->len == 1);
  g_assert_cmpuint (heard, ==, 0); /* still nothing for the opener */

  g_assert_true (qcoap_client_session_unlisten_sync (watched, NULL, &error));
  g_assert_false (qcoap_client_session_get_listening (watched));
  g_clear_pointer (&response, qcoap_response_unref);
  response = qcoap_client_session_request_sync (session, QCOAP_METHOD_GET, "/time", NULL, NULL,
                                                NULL, NULL, &error);
  g_assert_no_error (error);
  flush_signals (watcher);
  g_assert_cmpuint (events.received->len, ==, 1);

  g_signal_handlers_disconnect_by_data (watched, &events);
  g_dbus_connection_signal_unsubscribe (qcoap_client_get_connection (client), subscription);
  g_assert_true (qcoap_client_session_close_sync (session, NULL, &error));
  g_ptr_array_unref (events.received);
}

static void
test_errors (void)
{
  g_autoptr (QcoapClient) client = qcoap_client_new_for_address_sync (bus_address, NULL, NULL);
  g_autoptr (GVariantDict) options = g_variant_dict_new (NULL);
  g_autoptr (GVariantDict) flags = g_variant_dict_new (NULL);
  g_autoptr (QcoapClientSession) bad = NULL;
  g_autoptr (QcoapResponse) response = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *silent = g_strdup_printf ("coap://127.0.0.1:%u/time", silent_port);

  g_variant_dict_insert (options, "client-id", "y", 9);
  bad = qcoap_client_open_sync (client, "127.0.0.1", coap_port, g_variant_dict_end (options), NULL,
                                &error);
  g_assert_null (bad);
  g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
  /* The daemon's words, without the D-Bus wrapping. */
  g_assert_false (g_str_has_prefix (error->message, "GDBus.Error:"));
  g_clear_error (&error);

  g_variant_dict_insert (flags, "timeout", "u", 1500);
  response = qcoap_client_request_sync (client, QCOAP_METHOD_GET, silent, NULL, NULL,
                                        g_variant_dict_end (flags), NULL, &error);
  g_assert_null (response);
  g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_TIMEOUT);
}

/* The daemon reads the operator and activates context 1 a while after the
 * modem registered. */
static gboolean
network_is_up (QcoapClient *client)
{
  g_autoptr (GVariant) contexts = qcoap_client_get_data_contexts (client);
  gboolean active = FALSE;

  if (g_variant_n_children (contexts) > 0)
    g_variant_get_child (contexts, 0, "(ybs)", NULL, &active, NULL);
  return g_str_equal (qcoap_client_get_operator (client), "Fake Telecom") && active;
}

static void
count_notify (GObject *object, GParamSpec *pspec, guint *count)
{
  (*count)++;
}

static void
test_network_properties (void)
{
  g_autoptr (QcoapClient) client = new_client_async ();
  g_autoptr (GVariant) signal = NULL;
  g_autoptr (GVariant) contexts = NULL;
  g_autofree char *registration = NULL;
  guint8 cid = 0;
  gboolean active = FALSE;
  const char *address = NULL;
  gint32 rsrp = 0;
  guint registration_notes = 0, context_notes = 0;

  WAIT_FOR (network_is_up (client));
  g_assert_cmpstr (qcoap_client_get_registration (client), ==, "home");
  g_assert_cmpstr (qcoap_client_get_access_technology (client), ==, "lte-m");
  signal = qcoap_client_get_signal (client);
  g_assert_true (g_variant_lookup (signal, "rsrp", "i", &rsrp));
  g_assert_cmpint (rsrp, ==, -87);
  contexts = qcoap_client_get_data_contexts (client);
  g_assert_cmpuint (g_variant_n_children (contexts), ==, 1);
  g_variant_get_child (contexts, 0, "(yb&s)", &cid, &active, &address);
  g_assert_cmpuint (cid, ==, 1);
  g_assert_cmpstr (address, ==, "10.64.0.1");
  /* The same values as GObject properties. */
  g_object_get (client, "registration", &registration, NULL);
  g_assert_cmpstr (registration, ==, "home");

  /* Changes come as notify::. */
  g_signal_connect (client, "notify::registration", G_CALLBACK (count_notify), &registration_notes);
  g_signal_connect (client, "notify::data-contexts", G_CALLBACK (count_notify), &context_notes);
  sim_control ("fault deregister");
  WAIT_FOR (g_str_equal (qcoap_client_get_registration (client), "searching"));
  g_assert_cmpstr (qcoap_client_get_access_technology (client), ==, "");
  WAIT_FOR (!network_is_up (client) && context_notes > 0);
  g_assert_cmpuint (registration_notes, >=, 1);
  sim_control ("fault register");
  WAIT_FOR (network_is_up (client));
  g_assert_cmpuint (registration_notes, >=, 2);
  g_signal_handlers_disconnect_by_data (client, &registration_notes);
  g_signal_handlers_disconnect_by_data (client, &context_notes);
}

static void
test_command (void)
{
  g_autoptr (QcoapClient) client = new_client_async ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *serving = NULL;
  g_autofree char *cops = NULL;
  g_autofree char *refused = NULL;
  g_autoptr (GAsyncResult) answered = NULL;
  g_autoptr (GAsyncResult) unknown = NULL;
  g_autofree char *on_modem = NULL;
  g_autofree char *missing = NULL;

  if (geteuid () != 0)
    {
      /* The daemon answers AccessDenied to anyone else. */
      g_test_skip ("Command is for root only");
      return;
    }
  WAIT_FOR (network_is_up (client));
  qcoap_client_command (client, "AT+QENG=\"servingcell\"", 0, NULL, store_result, &result);
  serving = qcoap_client_command_finish (client, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (serving, "+QENG: \"servingcell\","));
  g_assert_true (g_str_has_suffix (serving, "\nOK"));

  cops = qcoap_client_command_sync (client, "AT+COPS?", 2000, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (cops, "\"Fake Telecom\""));

  refused = qcoap_client_command_sync (client, "AT+CEREG=0", 0, NULL, &error);
  g_assert_null (refused);
  g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
  g_assert_false (g_str_has_prefix (error->message, "GDBus.Error:"));
  g_clear_error (&error);

  /* On one modem's object: answered by that modem; an unknown modem is
   * refused before anything is sent. */
  qcoap_client_modem_command (client, "default", "AT+COPS?", 0, NULL, store_result, &answered);
  on_modem = qcoap_client_modem_command_finish (client, wait_result (&answered), &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (on_modem, "\"Fake Telecom\""));
  qcoap_client_modem_command (client, "no-such-modem", "AT+COPS?", 0, NULL, store_result, &unknown);
  missing = qcoap_client_modem_command_finish (client, wait_result (&unknown), &error);
  g_assert_null (missing);
  g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "no-such-modem"));
}

/* Opens a session synchronously and has its handlers ask for its signals. */
static QcoapClientSession *
open_sync_with_events (QcoapClient *client, SessionEvents *events)
{
  g_autoptr (GError) error = NULL;
  QcoapClientSession *session
      = qcoap_client_open_sync (client, "127.0.0.1", coap_port, NULL, NULL, &error);

  g_assert_no_error (error);
  g_signal_connect (session, "received", G_CALLBACK (on_received), events);
  g_signal_connect (session, "ack", G_CALLBACK (on_ack), events);
  return session;
}

static void
request_time_sync (QcoapClientSession *session)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapResponse) response = qcoap_client_session_request_sync (
      session, QCOAP_METHOD_GET, "/time", NULL, NULL, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (qcoap_response_get_code (response), ==, QCOAP_CODE (2, 5));
}

/* The synchronous sequence, without the main loop running in between:
 * open, request, close, open again. The events queued for the first session
 * (its object's removal among them) never reach the second. */
static void
test_sync_open_close_open (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapClient) client = qcoap_client_new_for_address_sync (bus_address, NULL, &error);
  g_autoptr (QcoapClientSession) first = NULL;
  g_autoptr (QcoapClientSession) second = NULL;
  SessionEvents events1 = { g_ptr_array_new_with_free_func ((GDestroyNotify)qcoap_response_unref) };
  SessionEvents events2 = { g_ptr_array_new_with_free_func ((GDestroyNotify)qcoap_response_unref) };
  g_autofree char *second_path = NULL;
  gint64 settle;

  g_assert_no_error (error);
  first = open_sync_with_events (client, &events1);
  request_time_sync (first);
  g_assert_true (qcoap_client_session_close_sync (first, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (qcoap_client_session_get_state (first), ==, "closed");

  second = open_sync_with_events (client, &events2);
  g_assert_true (second != first);
  second_path = g_strdup (qcoap_client_session_get_object_path (second));
  g_assert_cmpstr (qcoap_client_session_get_state (second), !=, "closed");
  request_time_sync (second);

  WAIT_FOR (events2.received->len > 0 && events2.acks > 0);
  /* Whatever was queued for the first session has arrived by now. */
  settle = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
  while (g_get_monotonic_time () < settle)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  g_assert_true (qcoap_client_lookup_session (client, second_path) == second);
  g_assert_cmpstr (qcoap_client_session_get_state (second), ==, "open");
  g_assert_cmpuint (qcoap_client_session_get_port (second), ==, coap_port);
  g_assert_cmpint (events2.last_ack_result, ==, 0);

  g_assert_true (qcoap_client_session_close_sync (second, NULL, &error));
  g_assert_no_error (error);
  /* An ended session's properties are its last known ones. */
  g_assert_cmpstr (qcoap_client_session_get_state (second), ==, "closed");
  g_assert_cmpuint (qcoap_client_session_get_port (second), ==, coap_port);
  g_assert_cmpstr (qcoap_client_session_get_host (second), ==, "127.0.0.1");
  g_ptr_array_unref (events1.received);
  g_ptr_array_unref (events2.received);
}

/* wait_ready: at once while ready; while the modem is away, it fails after
 * its timeout saying so (sync), or returns once the modem is back (async). */
static void
test_wait_ready (void)
{
  g_autoptr (QcoapClient) client = new_client_async ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  gint64 start;

  g_assert_true (qcoap_client_wait_ready_sync (client, 3000, NULL, &error));
  g_assert_no_error (error);
  sim_control ("unplug");
  WAIT_FOR (g_strcmp0 (qcoap_client_get_state (client), "absent") == 0);
  start = g_get_monotonic_time ();
  g_assert_false (qcoap_client_wait_ready_sync (client, 500, NULL, &error));
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 500 * 1000);
  g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_MODEM_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "it is absent"));
  g_clear_error (&error);
  qcoap_client_wait_ready (client, 20000, NULL, store_result, &result);
  sim_control ("replug");
  g_assert_true (qcoap_client_wait_ready_finish (client, wait_result (&result), &error));
  g_assert_no_error (error);
  g_assert_cmpstr (qcoap_client_get_state (client), ==, "ready");
}

static void
test_no_daemon (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapClient) client
      = qcoap_client_new_for_address_sync ("unix:path=/nonexistent/qcoap-bus", NULL, &error);

  g_assert_null (client);
  g_assert_nonnull (error);
}

/* ---- the modems: the test bed has one, named "default" ---- */

static void
test_modems (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapClient) client = qcoap_client_new_for_address_sync (bus_address, NULL, &error);
  g_auto (GStrv) modems = NULL;
  g_autoptr (GVariant) modem = NULL;
  g_autoptr (GVariant) by_path = NULL;
  const char *path = NULL;
  const char *state = NULL;
  guint8 free_clients = 0;

  g_assert_no_error (error);
  modems = qcoap_client_get_modems (client);
  g_assert_cmpstrv (modems, ((const char *const[]){ "default", NULL }));
  g_assert_null (qcoap_client_lookup_modem (client, "no-such-modem"));
  modem = qcoap_client_lookup_modem (client, "default");
  g_assert_nonnull (modem);
  g_assert_true (g_variant_lookup (modem, "ObjectPath", "&o", &path));
  g_assert_true (g_str_has_prefix (path, "/org/qcoapd/CoAP1/Modem/"));
  g_assert_true (g_variant_lookup (modem, "State", "&s", &state));
  g_assert_cmpstr (state, ==, "ready");
  g_assert_true (g_variant_lookup (modem, "FreeClients", "y", &free_clients));
  g_assert_cmpuint (free_clients, ==, 6);
  by_path = qcoap_client_lookup_modem (client, path);
  g_assert_true (g_variant_equal (by_path, modem));
}

static QcoapClientSession *
open_on_modem (QcoapClient *client, const char *modem, GError **error)
{
  GVariant *options = modem ? g_variant_new_parsed ("{'modem': <%s>}", modem) : NULL;

  return qcoap_client_open_sync (client, "127.0.0.1", coap_port, options, NULL, error);
}

/* The session's modem: the one named, or the one the daemon chose. */
static void
check_session_modem (QcoapClient *client, const char *modem_option)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapClientSession) session = open_on_modem (client, modem_option, &error);
  g_autoptr (GVariant) modem = NULL;
  const char *name = NULL;

  g_assert_no_error (error);
  modem = qcoap_client_lookup_modem (client, qcoap_client_session_get_modem (session));
  g_assert_nonnull (modem);
  g_assert_true (g_variant_lookup (modem, "Name", "&s", &name));
  g_assert_cmpstr (name, ==, "default");
  g_assert_true (qcoap_client_session_close_sync (session, NULL, &error));
  g_assert_no_error (error);
}

static void
test_open_on_a_modem (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (QcoapClient) client = qcoap_client_new_for_address_sync (bus_address, NULL, &error);
  g_autoptr (QcoapResponse) response = NULL;
  g_autofree char *uri = g_strdup_printf ("coap://127.0.0.1:%u/time", coap_port);

  g_assert_no_error (error);
  check_session_modem (client, "default");
  check_session_modem (client, NULL);
  g_assert_null (open_on_modem (client, "no-such-modem", &error));
  g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  response
      = qcoap_client_request_sync (client, QCOAP_METHOD_GET, uri, NULL, NULL,
                                   g_variant_new_parsed ("{'modem': <'default'>}"), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qcoap_response_get_code (response), ==, 69);
  g_clear_pointer (&response, qcoap_response_unref);
  response = qcoap_client_request_sync (client, QCOAP_METHOD_GET, uri, NULL, NULL,
                                        g_variant_new_parsed ("{'modem': <'no-such-modem'>}"), NULL,
                                        &error);
  g_assert_null (response);
  g_assert_error (error, QCOAP_ERROR, QCOAP_ERROR_INVALID_ARGUMENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  bus_address = g_getenv ("QCOAP_TEST_BUS");
  if (bus_address == NULL)
    {
      g_printerr ("run me with client-env-run\n");
      return 1;
    }
  coap_port = atoi (g_getenv ("QCOAP_TEST_COAP_PORT"));
  silent_port = atoi (g_getenv ("QCOAP_TEST_SILENT_PORT"));

  g_test_add_func ("/qcoap-glib/async-open-request-close", test_async_open_request_close);
  g_test_add_func ("/qcoap-glib/sessions-of-another-client", test_sessions_of_another_client);
  g_test_add_func ("/qcoap-glib/listening", test_listening);
  g_test_add_func ("/qcoap-glib/errors", test_errors);
  g_test_add_func ("/qcoap-glib/reconnects", test_reconnects);
  g_test_add_func ("/qcoap-glib/sync-open-close-open", test_sync_open_close_open);
  g_test_add_func ("/qcoap-glib/wait-ready", test_wait_ready);
  g_test_add_func ("/qcoap-glib/no-daemon", test_no_daemon);
  g_test_add_func ("/qcoap-glib/network-properties", test_network_properties);
  g_test_add_func ("/qcoap-glib/command", test_command);
  g_test_add_func ("/qcoap-glib/modems", test_modems);
  g_test_add_func ("/qcoap-glib/open-on-a-modem", test_open_on_a_modem);
  return g_test_run ();
}
