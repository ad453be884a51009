/* SPDX-License-Identifier: MIT */
/* bench-echo.c — the floor of D-Bus itself: a service that does nothing but
 * return what it is given. The benchmark calls it as often as it calls
 * qcoapd and compares their CPU per call.
 *
 *   bench-echo --bus ADDRESS
 *
 * Owns org.qcoapd.BenchEcho, serves Echo(ay) → (ay) on /org/qcoapd/BenchEcho
 * and prints "READY" once the name is owned.
 */
#include <gio/gio.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>

static const char introspection_xml[]
    = "<node><interface name='org.qcoapd.BenchEcho'>"
      "<method name='Echo'><arg type='ay' direction='in'/><arg type='ay' direction='out'/></method>"
      "</interface></node>";

static void
on_method_call (GDBusConnection *connection, const char *sender, const char *object_path,
                const char *interface_name, const char *method_name, GVariant *parameters,
                GDBusMethodInvocation *invocation, gpointer user_data)
{
  g_dbus_method_invocation_return_value (invocation, g_variant_ref (parameters));
}

static const GDBusInterfaceVTable vtable = { .method_call = on_method_call };

static gboolean
on_sigterm (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
on_name_acquired (GDBusConnection *connection, const char *name, gpointer user_data)
{
  printf ("READY\n");
  fflush (stdout);
}

static void
on_name_lost (GDBusConnection *connection, const char *name, gpointer user_data)
{
  g_printerr ("bench-echo: could not own %s\n", name);
  g_main_loop_quit (user_data);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusNodeInfo) info = NULL;
  g_autoptr (GDBusConnection) connection = NULL;
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  prctl (PR_SET_PDEATHSIG, SIGTERM);
  if (argc != 3 || !g_str_equal (argv[1], "--bus"))
    {
      g_printerr ("usage: bench-echo --bus ADDRESS\n");
      return 2;
    }
  info = g_dbus_node_info_new_for_xml (introspection_xml, &error);
  g_assert_no_error (error);
  connection = g_dbus_connection_new_for_address_sync (
      argv[2],
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  if (connection == NULL)
    {
      g_printerr ("bench-echo: %s\n", error->message);
      return 1;
    }
  g_dbus_connection_register_object (connection, "/org/qcoapd/BenchEcho", info->interfaces[0],
                                     &vtable, NULL, NULL, &error);
  g_assert_no_error (error);
  g_bus_own_name_on_connection (connection, "org.qcoapd.BenchEcho", G_BUS_NAME_OWNER_FLAGS_NONE,
                                on_name_acquired, on_name_lost, loop, NULL);
  g_unix_signal_add (SIGTERM, on_sigterm, loop);
  g_main_loop_run (loop);
  return 0;
}
