# SPDX-License-Identifier: MIT
"""qcoap — Python client of qcoapd, the D-Bus service for a Quectel modem's CoAP client.

    import qcoap

    client = qcoap.connect(bus="system")          # or "session", or a D-Bus address
    with client.open("192.0.2.10", 5683) as s:
        r = s.get("/time", timeout=5)            # seconds
        print(r.code, r.description, r.payload)  # 2.05 Content b'Nov 25 18:05:53'
        s.post("/sensors", b'{"t":21.5}', content_format="application/json")

    r = client.get("coap://192.0.2.10/time")      # one-shot

Every blocking call has an ``*_async`` coroutine twin for asyncio. Errors of
the daemon raise the subclass of :class:`qcoap.Error` named like the D-Bus
error (``qcoap.Timeout`` for org.qcoapd.CoAP1.Error.Timeout, …); no bus, or
no qcoapd on it, raises :class:`qcoap.DaemonUnavailable`.
"""

from .client import Client, DataContext, Modem, Response, Session, connect, split_uri
from .codes import (CONTENT_FORMATS, code_description, code_to_string, content_format_name,
                    content_format_number, option_name, option_number)
from .errors import (AccessDenied, ClientBusy, Closed, DaemonUnavailable, DnsError,
                     DtlsHandshake, Error, InvalidArgument, ModemError, ModemUnavailable,
                     NetworkFailure, NoFreeClient, QueueFull, Reset, SendFailed, SocketFailure,
                     Timeout)

__version__ = "@VERSION@"
"""The version of qcoapd this module belongs to."""

__all__ = [
    "__version__",
    "Client", "DataContext", "Modem", "Response", "Session", "connect", "split_uri",
    "CONTENT_FORMATS", "code_description", "code_to_string", "content_format_name",
    "content_format_number", "option_name", "option_number",
    "Error", "DaemonUnavailable", "InvalidArgument", "NoFreeClient", "ClientBusy",
    "AccessDenied", "ModemUnavailable", "Timeout", "Reset", "NetworkFailure", "DnsError",
    "SocketFailure", "DtlsHandshake", "SendFailed", "ModemError", "Closed", "QueueFull",
]
