# SPDX-License-Identifier: MIT
"""Exceptions of the qcoap module, one class per error of qcoapd's D-Bus API.

Every error the daemon returns is named ``org.qcoapd.CoAP1.Error.<Name>``;
it arrives here as the class of the same name, a subclass of :class:`Error`.
"""

import re

from gi.repository import Gio, GLib

ERROR_PREFIX = "org.qcoapd.CoAP1.Error."


class Error(Exception):
    """An error of qcoapd or of the way to it.

    ``name`` is the D-Bus error name (or None), ``message`` the daemon's words.
    """

    def __init__(self, message, name=None):
        super().__init__(message)
        self.message = message
        self.name = name

    def __str__(self):
        return f"{self.message} ({self.name})" if self.name else self.message


class DaemonUnavailable(Error):
    """The bus could not be reached, or qcoapd is not running on it."""


class InvalidArgument(Error, ValueError):
    """An argument was wrong; nothing was sent."""


class NoFreeClient(Error):
    """All six client IDs of the modem are in use."""


class ClientBusy(Error):
    """The client ID asked for is taken."""


# What a caller refused by the bus's policy is told.
ACCESS_HINT = "only root and members of group qcoapd may use qcoapd"
BUS_ACCESS_DENIED = "org.freedesktop.DBus.Error.AccessDenied"


class AccessDenied(Error, PermissionError):
    """The session belongs to another user (qcoapd's AccessDenied), or the
    bus's policy refused the call (``name`` is then
    ``org.freedesktop.DBus.Error.AccessDenied``: only root and members of
    group qcoapd may use qcoapd)."""


class ModemUnavailable(Error):
    """The modem is absent, initializing, sleeping or failed."""


class Timeout(Error, TimeoutError):
    """No answer in time."""


class Reset(Error):
    """The server answered with RST."""


class NetworkFailure(Error):
    """The modem reported a network failure (-4)."""


class DnsError(Error):
    """The modem could not resolve the host (-5)."""


class SocketFailure(Error):
    """The modem reported a socket failure (-7)."""


class DtlsHandshake(Error):
    """The DTLS handshake failed (-9)."""


class SendFailed(Error):
    """The retransmissions were exhausted (-11)."""


class ModemError(Error):
    """Any other failure of the modem; the message quotes it."""


class Closed(Error):
    """The session closed while the call waited."""


class QueueFull(Error):
    """The session already has its maximum of calls waiting."""


_BY_NAME = {
    ERROR_PREFIX + cls.__name__: cls
    for cls in (InvalidArgument, NoFreeClient, ClientBusy, AccessDenied, ModemUnavailable,
                Timeout, Reset, NetworkFailure, DnsError, SocketFailure, DtlsHandshake,
                SendFailed, ModemError, Closed, QueueFull)
}

# Names of the bus itself that mean "qcoapd is not there".
_UNAVAILABLE = {
    "org.freedesktop.DBus.Error.ServiceUnknown",
    "org.freedesktop.DBus.Error.NameHasNoOwner",
    "org.freedesktop.DBus.Error.NoReply",
    "org.freedesktop.DBus.Error.Disconnected",
}

_REMOTE = re.compile(r"^GDBus\.Error:([^\s:]+): (.*)$", re.DOTALL)


def from_glib(error):
    """The exception for a GLib.Error of a D-Bus call."""
    name = Gio.DBusError.get_remote_error(error)
    message = error.message
    match = _REMOTE.match(message)
    if match:
        name, message = match.group(1), match.group(2)
    if name in _BY_NAME:
        return _BY_NAME[name](message, name)
    if name == BUS_ACCESS_DENIED:
        return AccessDenied(f"the bus refused the call to qcoapd ({ACCESS_HINT}): {message}",
                            name)
    if name in _UNAVAILABLE or error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CLOSED):
        return DaemonUnavailable(f"cannot reach qcoapd: {message}", name)
    if error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT):
        return Timeout(message, name)
    return Error(message, name)


def translate(function):
    """Runs ``function()``, turning GLib errors into qcoap exceptions."""
    try:
        return function()
    except GLib.Error as error:
        raise from_glib(error) from None
