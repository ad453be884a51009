/* SPDX-License-Identifier: MIT */
/* sim-control.c — see sim-control.h. */
#include "sim-control.h"

#include <gio/gunixsocketaddress.h>
#include <string.h>

/* Sends @command to the simulator's control channel (through
 * client-env-run's socket) and asserts that it answered OK. */
void
sim_control (const char *command)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketAddress) address
      = g_unix_socket_address_new (g_getenv ("QCOAP_TEST_SIM_CONTROL"));
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GDataInputStream) in = NULL;
  g_autofree char *line = g_strdup_printf ("%s\n", command);
  g_autofree char *answer = NULL;
  g_autoptr (GError) error = NULL;

  connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), line,
                             strlen (line), NULL, NULL, &error);
  g_assert_no_error (error);
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  answer = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("simulator: %s → %s", command, answer);
  g_assert_true (g_str_has_prefix (answer, "OK"));
}
