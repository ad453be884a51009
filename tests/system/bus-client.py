#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A D-Bus client for test-real-uids.py, run under the user ID being tested
(setpriv). It connects to the bus at ADDRESS and prints one JSON object per
line on stdout.

  bus-client.py ADDRESS call DEST PATH INTERFACE METHOD SIGNATURE ARGS
      one method call; ARGS is GVariant text of type SIGNATURE;
      prints {"reply": [...]} or {"error": NAME, "message": TEXT}
  bus-client.py ADDRESS listen
      subscribes to every signal the bus will deliver (a plain match rule,
      no eavesdropping), prints {"ready": UNIQUE_NAME} once the rule is in
      place, then {"signal": ...} per signal (with "payload" in hex for
      Received), until stdin closes; each line on stdin meanwhile is a call
      to the daemon, as JSON [PATH, INTERFACE, METHOD, SIGNATURE, ARGS],
      answered as with "call" after the signals that came before the reply
"""
import json
import sys

NAME = "org.qcoapd.CoAP1"

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402


def emit(obj):
    print(json.dumps(obj, default=lambda value: list(value)), flush=True)


def connect(address):
    flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
             | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
    return Gio.DBusConnection.new_for_address_sync(address, flags, None, None)


def error_of(exception):
    name = Gio.DBusError.get_remote_error(exception)
    if name is None:
        return {"error": "local:%s:%d" % (exception.domain, exception.code),
                "message": exception.message}
    # The message arrives as "GDBus.Error:NAME: text"; keep the text.
    return {"error": name, "message": exception.message.split(name + ": ", 1)[-1]}


def drain(context):
    """Dispatches what has arrived: signals that came before a reply."""
    while context.iteration(False):
        pass


def call(bus, dest, path, interface, method, signature, args, before_reply=lambda: None):
    parameters = GLib.Variant.parse(GLib.VariantType.new(signature), args, None, None) \
        if signature else None
    try:
        reply = bus.call_sync(dest, path, interface, method, parameters, None,
                              Gio.DBusCallFlags.NO_AUTO_START, 60000, None)
    except GLib.Error as exception:
        before_reply()
        emit(error_of(exception))
        return
    before_reply()
    emit({"reply": reply.unpack()})


def listen(bus):
    loop = GLib.MainLoop()

    def on_signal(connection, sender, path, interface, member, parameters):
        signal = {"sender": sender, "path": path, "interface": interface, "member": member}
        if member == "Received":
            signal["payload"] = bytes(parameters.get_child_value(4).get_data_as_bytes()
                                      .get_data()).hex()
        emit({"signal": signal})

    bus.signal_subscribe(None, None, None, None, None, Gio.DBusSignalFlags.NONE, on_signal)
    # A round trip to the bus after AddMatch: the bus has the rule when it answers.
    bus.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                  "GetId", None, None, Gio.DBusCallFlags.NONE, 10000, None)
    emit({"ready": bus.get_unique_name()})

    def on_stdin(channel, condition):
        line = channel.readline()
        if not line:
            loop.quit()
            return False
        path, interface, method, signature, args = json.loads(line)
        call(bus, NAME, path, interface, method, signature, args,
             before_reply=lambda: drain(loop.get_context()))
        return True

    GLib.io_add_watch(GLib.IOChannel.unix_new(0), GLib.PRIORITY_DEFAULT,
                      GLib.IOCondition.IN | GLib.IOCondition.HUP, on_stdin)
    loop.run()


def main():
    address, command = sys.argv[1], sys.argv[2]
    bus = connect(address)
    if command == "call":
        call(bus, *sys.argv[3:9])
    elif command == "listen":
        listen(bus)
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    main()
