/* SPDX-License-Identifier: MIT */
/* port-role.c — see port-role.h. */
#include "port-role.h"

#include <stdlib.h>
#include <string.h>

#define ROLE_USBAT    "usbat"
#define ROLE_USBMODEM "usbmodem"
#define ROLE_UART     "uart1"

/* The BG96/BG95 USB composition: 00 diagnostics, 01 GNSS, 02 AT, 03 modem. */
static const struct
{
  guint interface;
  const char *role;
} usb_interfaces[] = {
  { 2, ROLE_USBAT },
  { 3, ROLE_USBMODEM },
};

/* The number in @dir/bInterfaceNumber ("02"), or -1. */
static int
read_interface_number (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "bInterfaceNumber", NULL);
  g_autofree char *text = NULL;
  guint64 value;

  if (!g_file_get_contents (path, &text, NULL, NULL)
      || !g_ascii_string_to_unsigned (g_strstrip (text), 16, 0, G_MAXUINT8, &value, NULL))
    return -1;
  return (int)value;
}

/* A USB serial tty's device directory is the interface itself
 * (…/1-1:1.2/ttyUSB2 → …/1-1:1.2) or holds it one level up (cdc-acm's
 * …/1-1:1.2/tty/ttyACM0 is reached as …/1-1:1.2 too). */
static const char *
usb_role (const char *device_dir)
{
  int number = read_interface_number (device_dir);
  g_autofree char *parent = NULL;

  if (number < 0)
    {
      parent = g_path_get_dirname (device_dir);
      number = read_interface_number (parent);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (usb_interfaces); i++)
    if ((guint)number == usb_interfaces[i].interface)
      return usb_interfaces[i].role;
  return NULL;
}

const char *
port_role_lookup (const char *sysfs_root, const char *device)
{
  g_autofree char *real = realpath (device, NULL);
  g_autofree char *name = real ? g_path_get_basename (real) : NULL;
  g_autofree char *link = NULL;
  g_autofree char *device_dir = NULL;

  if (name == NULL)
    return NULL;
  link = g_build_filename (sysfs_root, "class", "tty", name, "device", NULL);
  device_dir = realpath (link, NULL);
  /* No device behind it: a pseudo-terminal or a virtual console. */
  if (device_dir == NULL)
    return NULL;
  if (strstr (device_dir, "/usb") != NULL)
    return usb_role (device_dir);
  return ROLE_UART;
}
