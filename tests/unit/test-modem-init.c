/* SPDX-License-Identifier: MIT */
/* test-modem-init.c — what the initialisation decides without a modem: the
 * module's family from its model, the names of the settings, and the role
 * of a tty read from a sysfs tree the test builds. (The sequence itself runs
 * against the simulator in tests/e2e.)
 */
#include "modem-init.h"
#include "port-role.h"

#include <glib/gstdio.h>
#include <unistd.h>

static void
test_family (void)
{
  const struct
  {
    const char *model;
    ModemFamily family;
  } cases[] = {
    { "BG96", MODEM_FAMILY_BG96 },       { "BG95-M3", MODEM_FAMILY_BG96 },
    { "BG95", MODEM_FAMILY_BG96 },       { "bg77", MODEM_FAMILY_BG96 },
    { "BG600L-M3", MODEM_FAMILY_BG96 },  { "BC66", MODEM_FAMILY_OTHER },
    { "BC660K-GL", MODEM_FAMILY_OTHER }, { "BC95-G", MODEM_FAMILY_OTHER },
    { "BC28", MODEM_FAMILY_OTHER },      { "BC68", MODEM_FAMILY_OTHER },
    { "EC21", MODEM_FAMILY_UNKNOWN },    { "", MODEM_FAMILY_UNKNOWN },
    { "BG9", MODEM_FAMILY_UNKNOWN },     { NULL, MODEM_FAMILY_UNKNOWN },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (modem_family_of (cases[i].model), ==, cases[i].family);
}

static void
test_setting_names (void)
{
  const char *const ports[] = { "auto", "usbat", "usbmodem", "uart1" };
  ModemUrcPort port;
  ModemPowerSaving saving;

  for (gsize i = 0; i < G_N_ELEMENTS (ports); i++)
    {
      g_assert_true (modem_urc_port_from_string (ports[i], &port));
      g_assert_cmpstr (modem_urc_port_to_string (port), ==, ports[i]);
    }
  g_assert_false (modem_urc_port_from_string ("USBAT", &port));
  g_assert_false (modem_urc_port_from_string ("uart2", &port));
  g_assert_true (modem_power_saving_from_string ("keep", &saving));
  g_assert_cmpint (saving, ==, MODEM_POWER_SAVING_KEEP);
  g_assert_true (modem_power_saving_from_string ("off", &saving));
  g_assert_cmpint (saving, ==, MODEM_POWER_SAVING_OFF);
  g_assert_false (modem_power_saving_from_string ("on", &saving));
}

/* ---- the role of a tty ------------------------------------------------------------ */

typedef struct
{
  char *root; /* the test's tree: sys/ and dev/ */
  char *sys;
} Tree;

static void
write_file (const char *path, const char *contents)
{
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
}

static void
symlink_to (const char *target, const char *link)
{
  g_autofree char *dir = g_path_get_dirname (link);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_cmpint (symlink (target, link), ==, 0);
}

/* @contents in the file @dir/@name (relative to sys/). */
static void
write_sys_file (Tree *tree, const char *dir, const char *name, const char *contents)
{
  g_autofree char *path = g_build_filename (tree->sys, dir, name, NULL);

  write_file (path, contents);
}

/* A tty @name whose device directory is @device (relative to sys/), and a
 * device node for it in dev/. */
static char *
add_tty (Tree *tree, const char *name, const char *device)
{
  g_autofree char *device_dir = g_build_filename (tree->sys, device, NULL);
  g_autofree char *link = g_build_filename (tree->sys, "class", "tty", name, "device", NULL);
  char *node = g_build_filename (tree->root, "dev", name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (device_dir, 0755), ==, 0);
  symlink_to (device_dir, link);
  write_file (node, "");
  return node;
}

static void
test_port_role (void)
{
  g_autoptr (GError) error = NULL;
  Tree tree;
  g_autofree char *usb_at = NULL, *usb_modem = NULL, *usb_diag = NULL, *uart = NULL;
  g_autofree char *acm = NULL, *alias = NULL, *pty = NULL;
  g_autofree char *rm = NULL;
  /* The USB interfaces 1-1:1.0 to 1-1:1.3 of one module. */
  const char *const usb_if[] = {
    "devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0",
    "devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.1",
    "devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.2",
    "devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.3",
  };

  tree.root = g_dir_make_tmp ("qcoapd-sysfs-XXXXXX", &error);
  g_assert_no_error (error);
  tree.sys = g_build_filename (tree.root, "sys", NULL);

  /* usb-serial (option): the tty's device is the interface itself. */
  usb_at = add_tty (&tree, "ttyUSB2", "devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.2/ttyUSB2");
  write_sys_file (&tree, usb_if[2], "bInterfaceNumber", "02\n");
  usb_modem
      = add_tty (&tree, "ttyUSB3", "devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.3/ttyUSB3");
  write_sys_file (&tree, usb_if[3], "bInterfaceNumber", "03\n");
  usb_diag = add_tty (&tree, "ttyUSB0", "devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/ttyUSB0");
  write_sys_file (&tree, usb_if[0], "bInterfaceNumber", "00\n");
  /* cdc-acm: the interface holds the tty's device directly. */
  acm = add_tty (&tree, "ttyACM0", "devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.2");
  /* A UART on the SoC. */
  uart = add_tty (&tree, "ttyS1", "devices/platform/serial8250/serial8250:0.1");
  /* The udev rule's link, and a pseudo-terminal with no device behind it. */
  alias = g_build_filename (tree.root, "dev", "bg96-at", NULL);
  symlink_to (usb_at, alias);
  pty = g_build_filename (tree.root, "dev", "pts-7", NULL);
  write_file (pty, "");

  g_assert_cmpstr (port_role_lookup (tree.sys, usb_at), ==, "usbat");
  g_assert_cmpstr (port_role_lookup (tree.sys, alias), ==, "usbat");
  g_assert_cmpstr (port_role_lookup (tree.sys, usb_modem), ==, "usbmodem");
  g_assert_null (port_role_lookup (tree.sys, usb_diag));
  g_assert_cmpstr (port_role_lookup (tree.sys, acm), ==, "usbat");
  g_assert_cmpstr (port_role_lookup (tree.sys, uart), ==, "uart1");
  g_assert_null (port_role_lookup (tree.sys, pty));
  g_assert_null (port_role_lookup (tree.sys, "/nonexistent/ttyUSB9"));

  rm = g_strdup_printf ("rm -rf %s", tree.root);
  g_assert_true (g_spawn_command_line_sync (rm, NULL, NULL, NULL, NULL));
  g_free (tree.sys);
  g_free (tree.root);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/modem-init/family", test_family);
  g_test_add_func ("/modem-init/setting-names", test_setting_names);
  g_test_add_func ("/modem-init/port-role", test_port_role);
  return g_test_run ();
}
