/* SPDX-License-Identifier: MIT */
/* e2e-session.c — see e2e-session.h. */
#include "e2e-session.h"

/* ---- arguments ---- */

GVariant *
e2e_bytes (const void *data, gsize length)
{
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, length, 1);
}

GVariant *
e2e_no_options (void)
{
  return g_variant_new_array (G_VARIANT_TYPE ("(qv)"), NULL, 0);
}

GVariant *
e2e_uri_path (const char *segment)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(qv)"));
  g_variant_builder_add (&builder, "(qv)", 11, g_variant_new_string (segment));
  return g_variant_builder_end (&builder);
}

GVariant *
e2e_no_flags (void)
{
  return g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0);
}

GVariant *
e2e_vardict (const char *first_key, ...)
{
  GVariantBuilder builder;
  va_list args;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  va_start (args, first_key);
  for (const char *key = first_key; key != NULL; key = va_arg (args, const char *))
    g_variant_builder_add (&builder, "{sv}", key, va_arg (args, GVariant *));
  va_end (args);
  return g_variant_builder_end (&builder);
}

GVariant *
e2e_persistent (void)
{
  return e2e_vardict ("persistent", g_variant_new_boolean (TRUE), NULL);
}

/* ---- calls ---- */

GVariant *
e2e_call (GDBusConnection *connection, const char *path, const char *interface, const char *method,
          GVariant *args, GError **error)
{
  return g_dbus_connection_call_sync (connection, E2E_BUS_NAME, path, interface, method, args, NULL,
                                      G_DBUS_CALL_FLAGS_NONE, E2E_CALL_TIMEOUT_MS, NULL, error);
}

/* ---- sessions ---- */

char *
e2e_try_open_session (GDBusConnection *connection, guint16 port, GVariant *options,
                      guint timeout_ms, GError **error)
{
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      connection, E2E_BUS_NAME, E2E_MANAGER_PATH, E2E_MANAGER_IFACE, "Open",
      g_variant_new ("(sq@a{sv})", "127.0.0.1", port, options ? options : e2e_no_flags ()),
      G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, timeout_ms, NULL, error);
  char *path = NULL;

  if (reply != NULL)
    g_variant_get (reply, "(o)", &path);
  return path;
}

char *
e2e_open_session (GDBusConnection *connection, guint16 port, GVariant *options)
{
  g_autoptr (GError) error = NULL;
  char *path = e2e_try_open_session (connection, port, options, E2E_CALL_TIMEOUT_MS, &error);

  g_assert_no_error (error);
  return path;
}

gboolean
e2e_try_close_session (GDBusConnection *connection, const char *path, guint timeout_ms,
                       GError **error)
{
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      connection, E2E_BUS_NAME, path, E2E_SESSION_IFACE, "Close", NULL, G_VARIANT_TYPE_UNIT,
      G_DBUS_CALL_FLAGS_NONE, timeout_ms, NULL, error);

  return reply != NULL;
}

void
e2e_close_session (GDBusConnection *connection, const char *path)
{
  g_autoptr (GError) error = NULL;

  e2e_try_close_session (connection, path, E2E_CALL_TIMEOUT_MS, &error);
  g_assert_no_error (error);
}

GVariant *
e2e_session_request (GDBusConnection *connection, const char *path, guint8 code, GVariant *payload,
                     GVariant *flags, GError **error)
{
  return g_dbus_connection_call_sync (
      connection, E2E_BUS_NAME, path, E2E_SESSION_IFACE, "Request",
      g_variant_new ("(y@a(qv)@ay@a{sv})", code, e2e_no_options (),
                     payload ? payload : e2e_bytes ("", 0), flags ? flags : e2e_no_flags ()),
      G_VARIANT_TYPE ("(ya(qv)ay)"), G_DBUS_CALL_FLAGS_NONE, E2E_CALL_TIMEOUT_MS, NULL, error);
}

static GVariant *
get_time (GDBusConnection *connection, const char *path, GError **error)
{
  return e2e_session_request (connection, path, E2E_CODE_GET, NULL,
                              e2e_vardict ("uri-path", g_variant_new_string ("/time"), NULL),
                              error);
}

gboolean
e2e_session_serves (GDBusConnection *connection, const char *path, GError **error)
{
  g_autoptr (GVariant) reply = get_time (connection, path, error);
  guint8 code;

  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(y@a(qv)@ay)", &code, NULL, NULL);
  return code == E2E_CODE_CONTENT;
}

void
e2e_assert_session_serves (GDBusConnection *connection, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = get_time (connection, path, &error);
  guint8 code;

  g_assert_no_error (error);
  g_variant_get (reply, "(y@a(qv)@ay)", &code, NULL, NULL);
  g_assert_cmpuint (code, ==, E2E_CODE_CONTENT);
}
