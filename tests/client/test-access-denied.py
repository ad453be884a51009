#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A caller the bus policy refuses: qcoapctl, libqcoap-glib and the Python
module report AccessDenied with the hint, not "cannot reach qcoapd".

Starts a private dbus-daemon whose policy lets anyone own
org.qcoapd.CoAP1 but lets nobody call it (as the system bus's policy treats
a user outside group qcoapd), and a stand-in that owns the name. Needs no
modem: the bus refuses every call before it reaches the owner.

Usage: test-access-denied.py  (QCOAPCTL, QCOAP_GLIB_PROBE and PYTHONPATH
from the environment)
"""
import os
import subprocess
import sys
import tempfile
import time
import unittest

from gi.repository import Gio, GLib

NAME = "org.qcoapd.CoAP1"
HINT = "only root and members of group qcoapd may use qcoapd"
EXIT_ACCESS_DENIED = 8

CONFIG = """<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <policy context="default">
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
    <allow own="*"/>
    <deny send_destination="{name}"/>
  </policy>
</busconfig>
"""

OWNER = """
import sys
from gi.repository import Gio, GLib
connection = Gio.DBusConnection.new_for_address_sync(
    sys.argv[1], Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
    | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
connection.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                     "RequestName", GLib.Variant("(su)", (sys.argv[2], 4)), None,
                     Gio.DBusCallFlags.NONE, -1, None)
print("owned", flush=True)
GLib.MainLoop().run()
"""


class Refused(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        config = os.path.join(cls.dir.name, "bus.conf")
        with open(config, "w") as out:
            out.write(CONFIG.format(dir=cls.dir.name, name=NAME))
        cls.bus = subprocess.Popen(["dbus-daemon", "--nofork", "--print-address=1", "--nosyslog",
                                    f"--config-file={config}"], stdout=subprocess.PIPE, text=True)
        cls.address = cls.bus.stdout.readline().strip()
        cls.owner = subprocess.Popen([sys.executable, "-c", OWNER, cls.address, NAME],
                                     stdout=subprocess.PIPE, text=True)
        assert cls.owner.stdout.readline().strip() == "owned"

    @classmethod
    def tearDownClass(cls):
        for process in (cls.owner, cls.bus):
            process.terminate()
            process.wait()
        cls.dir.cleanup()

    def test_qcoapctl(self):
        for arguments in (["status"], ["get", "coap://127.0.0.1/time"]):
            run = subprocess.run([os.environ["QCOAPCTL"], "--bus", self.address] + arguments,
                                 capture_output=True, text=True, timeout=60)
            self.assertEqual(run.returncode, EXIT_ACCESS_DENIED, run.stderr)
            self.assertIn(HINT, run.stderr)
            self.assertIn("org.freedesktop.DBus.Error.AccessDenied", run.stderr)
            self.assertNotIn("cannot reach", run.stderr)

    def test_qcoapctl_json(self):
        run = subprocess.run([os.environ["QCOAPCTL"], "--bus", self.address, "--json", "status"],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, EXIT_ACCESS_DENIED, run.stderr)
        self.assertIn("AccessDenied", run.stdout)

    def test_python(self):
        import qcoap

        with self.assertRaises(qcoap.AccessDenied) as caught:
            qcoap.connect(self.address)
        self.assertIsInstance(caught.exception, PermissionError)
        self.assertIn(HINT, str(caught.exception))
        self.assertEqual(caught.exception.name, "org.freedesktop.DBus.Error.AccessDenied")


if __name__ == "__main__":
    unittest.main(verbosity=2)
