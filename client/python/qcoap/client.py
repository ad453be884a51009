# SPDX-License-Identifier: MIT
"""Client, Session and Response: qcoapd's D-Bus API for Python programs.

Blocking calls use Gio's synchronous calls. The ``*_async`` methods are
coroutines built on Gio's asynchronous calls: each Client runs a private
GLib main context in a dispatcher thread, starts calls there and hands
their results to the asyncio loop that awaits them. Signal callbacks run in
that thread too, unless they were registered from inside a running asyncio
loop, in which case they are called in that loop.

Timeouts (every ``timeout=``) are seconds, as a float (``timeout=3`` or
``timeout=0.5``); the module gives them to the daemon in the milliseconds of
the D-Bus API and libqcoap-glib. A :class:`qcoap.Timeout` names the limit
it waited (``… within 3 s``). ``ack_timeout`` and ``idle_timeout`` are the
whole seconds of the Open options of the same names.

A Client has a bus connection of its own. When the bus closes it (or a
member of the bus knocks it off with a message GDBus cannot read), the
Client connects again and subscribes its signals again; Session objects stay
valid, a persistent session stays usable, calls in flight fail with
:class:`qcoap.DaemonUnavailable`.
"""

import asyncio
import itertools
import os
import re
import threading
import time
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union
from urllib.parse import unquote, urlsplit

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

from . import codes, errors  # noqa: E402

SERVICE = "org.qcoapd.CoAP1"
MANAGER_PATH = "/org/qcoapd/CoAP1"
MANAGER_INTERFACE = "org.qcoapd.CoAP1"
SESSION_INTERFACE = "org.qcoapd.CoAP1.Session"
MODEM_INTERFACE = "org.qcoapd.CoAP1.Modem"
OBJECT_MANAGER_INTERFACE = "org.freedesktop.DBus.ObjectManager"
ROOT_UID = 0

# The daemon bounds every call itself (a request by the exchange lifetime,
# up to minutes), and the bus answers for it if it goes away.
_NO_TIMEOUT = GLib.MAXINT32

# How much longer than the daemon's own timeout a caller waits for its
# answer: the daemon gives up first and says so.
_REPLY_MARGIN_MS = 5000

# How often a Client whose connection was closed tries to connect again.
_RECONNECT_INTERVAL_MS = 1000

Payload = Union[bytes, bytearray, str]
Options = Optional[Sequence[Tuple[Union[int, str], Any]]]


_BLOCK2 = 23
_SIZE2 = 28
_BLOCK_MORE = 0x08  # Block2 is NUM << 4 | M << 3 | SZX (RFC 7959)


class Response:
    """A CoAP message from a server: a response, or a received message.

    ``code`` is the code as text (``"2.05"``), ``code_number`` as a number
    (69), ``options`` a list of ``(name, value)`` pairs (the number when the
    option has no name), ``payload`` bytes. Received messages also carry
    ``message_id`` and ``token``.
    """

    def __init__(self, code: int, options: Sequence[Tuple[int, Any]], payload: bytes,
                 message_id: Optional[int] = None, token: Optional[bytes] = None):
        self.code_number = code
        self.code = codes.code_to_string(code)
        self.description = codes.code_description(code)
        self.option_numbers = list(options)
        self.options = [(codes.option_name(n) or n, v) for n, v in options]
        self.payload = payload
        self.message_id = message_id
        self.token = token

    @property
    def ok(self) -> bool:
        """True for 2.xx codes."""
        return self.code_number >> 5 == 2

    @property
    def text(self) -> str:
        """The payload decoded as UTF-8 (undecodable bytes replaced)."""
        return self.payload.decode("utf-8", errors="replace")

    def _uint_option(self, number: int) -> Optional[int]:
        """A uint option's value; a daemon that does not type the option
        passes on the modem's decimal text of it as bytes."""
        value = self.option(number)
        if isinstance(value, (bytes, bytearray)):
            text = bytes(value).decode("ascii", errors="replace")
            return int(text) if text.isdigit() else None
        return value

    @property
    def truncated(self) -> bool:
        """True when the response is only the first block of a larger body
        (Block2 with the M bit set): the modem cannot ask for the others."""
        block2 = self._uint_option(_BLOCK2)
        return block2 is not None and bool(block2 & _BLOCK_MORE)

    @property
    def total_size(self) -> Optional[int]:
        """The whole body's size from the Size2 option, or None."""
        return self._uint_option(_SIZE2)

    def option(self, option: Union[int, str], default: Any = None) -> Any:
        """The value of the first option with this name or number."""
        number = codes.option_number(option)
        for n, value in self.option_numbers:
            if n == number:
                return value
        return default

    @property
    def content_format(self) -> Union[str, int, None]:
        """The Content-Format as a media type (or number), or None."""
        number = self.option(12)
        if number is None:
            return None
        return codes.content_format_name(number) or number

    def __repr__(self):
        payload = repr(self.payload[:32]) + ("…" if len(self.payload) > 32 else "")
        return f"<Response {self.code} {self.description or ''} options={self.options} payload={payload}>"


# ---- values to and from D-Bus ----

def _bytes_variant(data):
    if isinstance(data, str):
        data = data.encode()
    return GLib.Variant("ay", bytes(data or b""))


def _option_value(number, value):
    if isinstance(value, GLib.Variant):
        return value
    kind = codes.OPTIONS.get(number, (None, "ay"))[1]
    if number in (12, 17) and isinstance(value, str):
        value = codes.content_format_number(value)
    if kind == "u":
        return GLib.Variant("u", int(value))
    if kind == "s":
        return GLib.Variant("s", str(value))
    return _bytes_variant(value)


def _options_variant(options=None, content_format=None, accept=None):
    """a(qv) from ``[(number or name, value), …]`` plus the two shortcuts."""
    pairs = []
    if content_format is not None:
        pairs.append((12, GLib.Variant("u", codes.content_format_number(content_format))))
    if accept is not None:
        pairs.append((17, GLib.Variant("u", codes.content_format_number(accept))))
    for option, value in options or ():
        number = codes.option_number(option)
        pairs.append((number, _option_value(number, value)))
    return GLib.Variant("a(qv)", pairs)


def _unpack_options(variant):
    options = []
    for i in range(variant.n_children()):
        child = variant.get_child_value(i)
        number = child.get_child_value(0).get_uint16()
        value = child.get_child_value(1).get_variant()
        if value.get_type_string() == "ay":
            options.append((number, value.get_data_as_bytes().get_data()))
        else:
            options.append((number, value.unpack()))
    return options


def _response_from_reply(reply):
    return Response(reply.get_child_value(0).get_byte(),
                    _unpack_options(reply.get_child_value(1)),
                    reply.get_child_value(2).get_data_as_bytes().get_data())


def _received_message(parameters):
    """The Response of a Received signal's (qyaya(qv)ay)."""
    return Response(parameters.get_child_value(1).get_byte(),
                    _unpack_options(parameters.get_child_value(3)),
                    parameters.get_child_value(4).get_data_as_bytes().get_data(),
                    message_id=parameters.get_child_value(0).get_uint16(),
                    token=parameters.get_child_value(2).get_data_as_bytes().get_data())


def _open_options(persistent=None, psk_identity=None, psk_key=None, client_id=None,
                  pdp_context=None, ack_timeout=None, max_retransmit=None, idle_timeout=None,
                  timeout=None, listen=None, modem=None):
    """a{sv} for Open from keyword arguments (``ack_timeout``,
    ``idle_timeout`` and ``timeout`` in seconds; ``modem`` a name, an
    object path or a :class:`Modem`)."""
    options = {}
    if modem is not None:
        options["modem"] = GLib.Variant("s", modem.name if isinstance(modem, Modem) else modem)
    if persistent is not None:
        options["persistent"] = GLib.Variant("b", bool(persistent))
    if listen is not None:
        options["listen"] = GLib.Variant("b", bool(listen))
    if psk_identity is not None:
        options["dtls-psk-identity"] = GLib.Variant("s", psk_identity)
    if psk_key is not None:
        options["dtls-psk-key"] = _bytes_variant(psk_key)
    if client_id is not None:
        options["client-id"] = GLib.Variant("y", client_id)
    if pdp_context is not None:
        options["pdp-context"] = GLib.Variant("y", pdp_context)
    if ack_timeout is not None:
        options["ack-timeout"] = GLib.Variant("u", ack_timeout)
    if max_retransmit is not None:
        options["max-retransmit"] = GLib.Variant("u", max_retransmit)
    if idle_timeout is not None:
        options["idle-timeout"] = GLib.Variant("u", idle_timeout)
    if timeout is not None:
        options["timeout"] = GLib.Variant("u", _milliseconds(timeout))
    return options


# ---- the dispatcher thread ----

class _Dispatcher:
    """A GLib main context run by a thread of its own."""

    def __init__(self):
        self.context = GLib.MainContext()
        self._loop = GLib.MainLoop(self.context)
        started = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(started,),
                                        name="qcoap-dispatcher", daemon=True)
        self._thread.start()
        started.wait()

    def _run(self, started):
        self.context.push_thread_default()
        self.invoke(started.set)
        self._loop.run()
        self.context.pop_thread_default()

    def invoke(self, function, *args):
        """Runs ``function(*args)`` in the dispatcher thread, soon."""
        def once(*_):
            function(*args)
            return GLib.SOURCE_REMOVE
        source = GLib.Idle()
        source.set_callback(once)
        source.attach(self.context)

    def invoke_sync(self, function, *args):
        """Runs ``function(*args)`` in the dispatcher thread and returns its
        result, or raises its exception."""
        if threading.current_thread() is self._thread:
            return function(*args)
        done = threading.Event()
        outcome = []

        def run():
            try:
                outcome.append((function(*args), None))
            except Exception as error:  # handed to the caller's thread
                outcome.append((None, error))
            done.set()
        self.invoke(run)
        done.wait()
        value, error = outcome[0]
        if error is not None:
            raise error
        return value

    def stop(self):
        self.invoke(self._loop.quit)


def _deliver(loop, future, function):
    """Settles ``future`` (in its own loop) with ``function()``'s outcome."""
    try:
        value, error = function(), None
    except GLib.Error as glib_error:
        value, error = None, errors.from_glib(glib_error)

    def settle():
        if future.cancelled():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)
    loop.call_soon_threadsafe(settle)


def _milliseconds(seconds: float) -> int:
    """``seconds`` (a float) as the D-Bus API's milliseconds."""
    if seconds < 0:
        raise errors.InvalidArgument(f"a timeout cannot be negative: {seconds} s")
    return round(seconds * 1000)


def _reply_timeout(limit: Optional[float]) -> int:
    """The D-Bus reply timeout (ms) for a call whose daemon-side timeout is
    ``limit`` seconds: a little longer, so that the daemon's answer comes."""
    return _NO_TIMEOUT if not limit else _milliseconds(limit) + _REPLY_MARGIN_MS


def _name_limit(error, limit):
    """A Timeout's message names the limit it waited."""
    if isinstance(error, errors.Timeout) and limit:
        error.message = f"{error.message} (within {limit:g} s)"
        error.args = (error.message,)
    return error


class _Bus:
    """A connection of its own to the bus at ``address``, with the calls and
    subscriptions both APIs need, and a new connection when the bus closes
    it (signal subscriptions are made again on the new one)."""

    _FLAGS = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
              | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)

    def __init__(self, address: str):
        self.address = address
        self.dispatcher = _Dispatcher()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._subscriptions: Dict[int, Tuple[tuple, int]] = {}
        # Sessions this connection listens to: a new connection is no
        # listener of anything, so it listens to them again.
        self.listened: set = set()
        self._closing = False
        self.connection = self.dispatcher.invoke_sync(self._connect)

    def _connect(self):
        """A new connection, made in the dispatcher thread so that its
        ``closed`` signal is handled there."""
        connection = Gio.DBusConnection.new_for_address_sync(self.address, self._FLAGS, None,
                                                             None)
        connection.set_exit_on_close(False)
        connection.connect("closed", self._on_closed)
        return connection

    def _on_closed(self, connection, remote_peer_vanished, error):
        if self._closing or connection is not self.connection:
            return
        if not remote_peer_vanished and error is None:
            return
        self._reconnect()

    def _reconnect(self):
        """Connects again (in the dispatcher thread), retrying every second."""
        try:
            connection = self._connect()
        except GLib.Error:
            retry = GLib.timeout_source_new(_RECONNECT_INTERVAL_MS)
            retry.set_callback(lambda *_: self._reconnect())
            retry.attach(self.dispatcher.context)
            return False
        with self._lock:
            # Subscribed and listening before anyone can use the new
            # connection: a call made on it reaches the daemon after the
            # Listen, and the signals it causes find their subscribers.
            for subscription, (args, _) in list(self._subscriptions.items()):
                self._subscriptions[subscription] = (args,
                                                     self._subscribe_now(*args, connection))
            for path in self.listened:
                connection.call(SERVICE, path, SESSION_INTERFACE, "Listen", None, None,
                                Gio.DBusCallFlags.NONE, -1, None, None, None)
            self.connection = connection
        return False

    def call_sync(self, path, interface, method, parameters, reply_type=None, limit=None):
        """Calls ``method``; ``limit`` is the daemon-side timeout (seconds) of
        the call, or None."""
        try:
            return errors.translate(lambda: self.connection.call_sync(
                SERVICE, path, interface, method, parameters,
                GLib.VariantType(reply_type) if reply_type else None,
                Gio.DBusCallFlags.NONE, _reply_timeout(limit), None))
        except errors.Timeout as error:
            raise _name_limit(error, limit) from None

    async def call(self, path, interface, method, parameters, reply_type=None, limit=None):
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        cancellable = Gio.Cancellable()

        def finish(connection, result, _data):
            _deliver(loop, future, lambda: connection.call_finish(result))

        def start():
            self.connection.call(SERVICE, path, interface, method, parameters,
                                 GLib.VariantType(reply_type) if reply_type else None,
                                 Gio.DBusCallFlags.NONE, _reply_timeout(limit), cancellable,
                                 finish, None)
        self.dispatcher.invoke(start)
        try:
            return await future
        except errors.Timeout as error:
            raise _name_limit(error, limit) from None
        except asyncio.CancelledError:
            cancellable.cancel()
            raise

    def _subscribe_now(self, path, interface, member, callback, connection=None):
        def on_signal(_connection, _sender, signal_path, _interface, signal, parameters, *_):
            callback(signal, signal_path, parameters)
        return (connection or self.connection).signal_subscribe(SERVICE, interface, member, path, None,
                                                Gio.DBusSignalFlags.NONE, on_signal)

    def subscribe(self, path, interface, member, callback) -> int:
        """Calls ``callback(member, path, parameters)`` for each signal; the
        subscription is made in the dispatcher thread so that it runs there,
        and made again on a new connection."""
        args = (path, interface, member, callback)

        def subscribe():
            with self._lock:
                subscription = next(self._ids)
                self._subscriptions[subscription] = (args, self._subscribe_now(*args))
                return subscription
        return self.dispatcher.invoke_sync(subscribe)

    def unsubscribe(self, subscription: int):
        with self._lock:
            entry = self._subscriptions.pop(subscription, None)
            if entry is not None:
                self.connection.signal_unsubscribe(entry[1])

    def close(self):
        self._closing = True
        self.dispatcher.stop()
        errors.translate(lambda: self.connection.close_sync(None))


def _in_callers_loop(callback):
    """``callback`` as it should be called from the dispatcher thread: in the
    asyncio loop running now, if any, else directly."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return callback
    return lambda *args: loop.call_soon_threadsafe(callback, *args)


def _request_flags(path, confirmable=True, timeout=None):
    flags = {}
    if path:
        path_part, _, query = str(path).partition("?")
        flags["uri-path"] = GLib.Variant("s", path_part)
        if query:
            flags["uri-query"] = GLib.Variant("s", query)
    if not confirmable:
        flags["confirmable"] = GLib.Variant("b", False)
    if timeout is not None:
        flags["timeout"] = GLib.Variant("u", _milliseconds(timeout))
    return flags


# What a call on a session that has ended answers: the daemon's Closed, or
# the bus's words for an object (or its interface) that is not there.
_ENDED = {
    errors.ERROR_PREFIX + "Closed",
    "org.freedesktop.DBus.Error.UnknownObject",
    "org.freedesktop.DBus.Error.UnknownInterface",
    "org.freedesktop.DBus.Error.UnknownMethod",
    "org.freedesktop.DBus.Error.UnknownProperty",
    "org.freedesktop.DBus.Error.InvalidArgs",
}


def _ended(error):
    """Whether ``error`` says that the session has ended."""
    return error.name in _ENDED


def _ended_reason(error):
    """The reason a Closed error gives ("… closed: network-lost"), or
    ``"vanished"`` when it gives none."""
    match = re.search(r"closed: ([a-z-]+)$", error.message or "")
    return match.group(1) if match and error.name == errors.ERROR_PREFIX + "Closed" \
        else "vanished"


def _may_listen(owner):
    """Whether the daemon lets this process listen to a session of ``owner``."""
    return os.geteuid() in (ROOT_UID, owner)


class Session:
    """An open session: one of the modem's client IDs, connected to a server.

    A context manager: leaving the ``with`` block closes it.

    The daemon sends a session's signals only to its listeners. A session
    listens once the program asks for its signals: the first ``on_*``
    callback makes it call :meth:`listen` (``open(..., listen=True)``
    listens from the start).
    """

    def __init__(self, bus: "_Bus", path: str, listening: bool = False):
        self._bus = bus
        self.path = path
        self._subscriptions = []
        self.listening = listening
        if listening:
            bus.listened.add(path)
        self.closed_reason = None
        self._last_known = {}  # the properties as last read
        self._closed_subscription = bus.subscribe(path, SESSION_INTERFACE, "Closed",
                                                  self._on_closed)

    def _on_closed(self, _member, _path, parameters):
        self.closed_reason = parameters.unpack()[0]

    # properties

    def _property(self, name):
        """The property now; once the session has ended, its last known value
        (State: ``"closed"``), without asking the daemon."""
        if self.closed_reason is None:
            try:
                reply = self._bus.call_sync(self.path, "org.freedesktop.DBus.Properties",
                                            "GetAll", GLib.Variant("(s)", (SESSION_INTERFACE,)),
                                            "(a{sv})")
                properties = reply.unpack()[0]
                # No properties: nothing is there any more.
                if not properties:
                    raise errors.Closed("the session has ended", errors.ERROR_PREFIX + "Closed")
                self._last_known.update(properties)
            except errors.Error as error:
                if not _ended(error):
                    raise
                self.closed_reason = _ended_reason(error)
        if self.closed_reason is not None:
            return "closed" if name == "State" else self._last_known.get(name)
        return self._last_known.get(name)

    @property
    def client_id(self) -> int:
        """The modem's client ID of the session, 0-5."""
        return self._property("ClientId")

    @property
    def host(self) -> str:
        """The server's host."""
        return self._property("Host")

    @property
    def port(self) -> int:
        """The server's port."""
        return self._property("Port")

    @property
    def state(self) -> str:
        """opening, open or closing; ``"closed"`` once the session has ended
        (its other properties are then the last ones read)."""
        return self._property("State")

    @property
    def persistent(self) -> bool:
        """Whether the session outlives the connection that opened it."""
        return self._property("Persistent")

    @property
    def modem(self) -> Optional[str]:
        """The name of the modem whose client ID the session holds (its
        object path while the daemon does not name it); it changes when a
        persistent session moves to another modem. None from a daemon that
        does not say."""
        return _modem_name(self._bus, self._property("Modem"))

    # requests

    def _request_call(self, code, path, payload, options, content_format, accept, confirmable,
                      timeout):
        parameters = GLib.Variant.new_tuple(
            GLib.Variant("y", codes.parse_code(code)),
            _options_variant(options, content_format, accept), _bytes_variant(payload),
            GLib.Variant("a{sv}", _request_flags(path, confirmable, timeout)))
        return (self.path, SESSION_INTERFACE, "Request", parameters, "(ya(qv)ay)",
                timeout)

    def request(self, code: Union[int, str], path: Optional[str] = None,
                payload: Payload = b"", *, options: Options = None,
                content_format: Union[int, str, None] = None,
                accept: Union[int, str, None] = None, confirmable: bool = True,
                timeout: Optional[float] = None) -> Response:
        """Sends a request and returns the Response with the same token.
        ``timeout`` is in seconds (default: the daemon's, CoAP's
        exchange lifetime)."""
        reply = self._bus.call_sync(*self._request_call(
            code, path, payload, options, content_format, accept, confirmable, timeout))
        return _response_from_reply(reply)

    async def request_async(self, code: Union[int, str], path: Optional[str] = None,
                            payload: Payload = b"", *, options: Options = None,
                            content_format: Union[int, str, None] = None,
                            accept: Union[int, str, None] = None, confirmable: bool = True,
                            timeout: Optional[float] = None) -> Response:
        """:meth:`request` as a coroutine; ``timeout`` (seconds) goes to the
        daemon."""
        reply = await self._bus.call(*self._request_call(
            code, path, payload, options, content_format, accept, confirmable, timeout))
        return _response_from_reply(reply)

    def get(self, path: str, **kwargs: Any) -> Response:
        """A GET; see :meth:`request`."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, payload: Payload = b"", **kwargs: Any) -> Response:
        """A POST; see :meth:`request`."""
        return self.request("POST", path, payload, **kwargs)

    def put(self, path: str, payload: Payload = b"", **kwargs: Any) -> Response:
        """A PUT; see :meth:`request`."""
        return self.request("PUT", path, payload, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Response:
        """A DELETE; see :meth:`request`."""
        return self.request("DELETE", path, **kwargs)

    async def get_async(self, path: str, **kwargs: Any) -> Response:
        """:meth:`get` as a coroutine."""
        return await self.request_async("GET", path, **kwargs)

    async def post_async(self, path: str, payload: Payload = b"", **kwargs: Any) -> Response:
        """:meth:`post` as a coroutine."""
        return await self.request_async("POST", path, payload, **kwargs)

    async def put_async(self, path: str, payload: Payload = b"", **kwargs: Any) -> Response:
        """:meth:`put` as a coroutine."""
        return await self.request_async("PUT", path, payload, **kwargs)

    async def delete_async(self, path: str, **kwargs: Any) -> Response:
        """:meth:`delete` as a coroutine."""
        return await self.request_async("DELETE", path, **kwargs)

    # the raw path

    def _send_parameters(self, message_type, code, options, payload, message_id, token):
        flags = {}
        if message_id is not None:
            flags["message-id"] = GLib.Variant("q", message_id)
        if token is not None:
            flags["token"] = _bytes_variant(token)
        return GLib.Variant.new_tuple(
            GLib.Variant("y", codes.parse_message_type(message_type)),
            GLib.Variant("y", codes.parse_code(code)), _options_variant(options),
            _bytes_variant(payload), GLib.Variant("a{sv}", flags))

    def send(self, message_type="con", code="get", options=None, payload=b"", *,
             message_id=None, token=None):
        """Sends one message as given; returns ``(message_id, token)``.
        Answers arrive through :meth:`on_received`."""
        reply = self._bus.call_sync(
            self.path, SESSION_INTERFACE, "Send",
            self._send_parameters(message_type, code, options, payload, message_id, token),
            "(qay)")
        return (reply.get_child_value(0).get_uint16(),
                reply.get_child_value(1).get_data_as_bytes().get_data())

    async def send_async(self, message_type="con", code="get", options=None, payload=b"", *,
                         message_id=None, token=None):
        """:meth:`send` as a coroutine."""
        reply = await self._bus.call(
            self.path, SESSION_INTERFACE, "Send",
            self._send_parameters(message_type, code, options, payload, message_id, token),
            "(qay)")
        return (reply.get_child_value(0).get_uint16(),
                reply.get_child_value(1).get_data_as_bytes().get_data())

    # signals

    def listen(self):
        """Makes this connection a listener of the session: its signals come
        here from now on. Only the session's owner and root may
        (AccessDenied otherwise)."""
        self._bus.call_sync(self.path, SESSION_INTERFACE, "Listen", None)
        self._bus.listened.add(self.path)
        self.listening = True

    def unlisten(self):
        """The session's signals no longer come to this connection."""
        self._bus.call_sync(self.path, SESSION_INTERFACE, "Unlisten", None)
        self._bus.listened.discard(self.path)
        self.listening = False

    def _subscribe(self, member, callback, convert):
        deliver = _in_callers_loop(callback)
        subscription = self._bus.subscribe(
            self.path, SESSION_INTERFACE, member,
            lambda _member, _path, parameters: deliver(*convert(parameters)))
        self._subscriptions.append(subscription)
        if not self.listening:
            self.listen()
        return subscription

    def on_received(self, callback):
        """Calls ``callback(response)`` for every message received on this
        session (Received), with ``message_id`` and ``token`` set."""
        return self._subscribe("Received", callback, lambda p: (_received_message(p),))

    def on_ack(self, callback):
        """Calls ``callback(type, message_id, result)`` for each delivery result."""
        return self._subscribe("Ack", callback, lambda p: tuple(p.unpack()))

    def on_retransmission(self, callback):
        """Calls ``callback(type, message_id, attempt, result)``."""
        return self._subscribe("Retransmission", callback, lambda p: tuple(p.unpack()))

    def on_closed(self, callback):
        """Calls ``callback(reason)`` when the session closes: ``"closed"``,
        ``"owner-vanished"``, ``"idle"``, ``"modem-lost"``, ``"modem-reset"``,
        ``"network-lost"``, ``"data-context-lost"``, ``"error"`` (qcoapd may
        add others)."""
        return self._subscribe("Closed", callback, lambda p: tuple(p.unpack()))

    def disconnect(self, subscription: int) -> None:
        """Ends a subscription made by one of the ``on_*`` methods."""
        self._bus.unsubscribe(subscription)
        self._subscriptions.remove(subscription)

    # closing

    def close(self):
        """Closes the session (once; later calls do nothing)."""
        try:
            if self.closed_reason is None:
                self._bus.call_sync(self.path, SESSION_INTERFACE, "Close", None)
        finally:
            self._forget()

    async def close_async(self):
        """:meth:`close` as a coroutine."""
        try:
            if self.closed_reason is None:
                await self._bus.call(self.path, SESSION_INTERFACE, "Close", None)
        finally:
            self._forget()

    def _forget(self):
        self.closed_reason = self.closed_reason or "closed"
        for subscription in self._subscriptions + [self._closed_subscription]:
            self._bus.unsubscribe(subscription)
        self._subscriptions = []
        self._closed_subscription = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            self.close()
        except errors.Error:
            # Already gone (the daemon closed it): nothing left to close.
            pass

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        try:
            await self.close_async()
        except errors.Error:
            pass

    def __repr__(self):
        return f"<qcoap.Session {self.path}>"


class DataContext(NamedTuple):
    """A PDP context the daemon manages: its ID (1-16), whether it is
    active, and its IP address (``""`` while inactive)."""

    cid: int
    active: bool
    address: str


class Modem(NamedTuple):
    """One of the modems qcoapd drives: its name in the daemon's
    configuration (``"default"`` for a plain ``[modem]``), its object path,
    its state (as :attr:`Client.state`) and how many of its six client IDs
    are free."""

    name: str
    path: str
    state: str
    free_clients: int


def _modem_paths(manager_properties):
    """The modems the manager lists; none from a daemon that predates them."""
    return list(manager_properties.get("Modems", []))


def _modem_from_properties(path, properties):
    return Modem(properties.get("Name", path), path, properties.get("State", ""),
                 properties.get("FreeClients", 0))


def _get_all_call(path, interface):
    return (path, "org.freedesktop.DBus.Properties", "GetAll",
            GLib.Variant("(s)", (interface,)), "(a{sv})")


def _modem_name(bus, path):
    """The name of the modem at ``path``, else the path; None for a daemon
    that does not say (the property missing, or ``/``)."""
    if not path or path == "/":
        return None
    try:
        properties = bus.call_sync(*_get_all_call(path, MODEM_INTERFACE)).unpack()[0]
    except errors.Error:
        return path
    return properties.get("Name") or path


class Client:
    """A connection to qcoapd. Make one with :func:`connect`.

    The connection is the Client's own; when the bus closes it, the Client
    connects again and keeps its Session objects (see the module's notes).
    A context manager: leaving the ``with`` block closes it.
    """

    def __init__(self, address: str):
        try:
            self._bus = _Bus(address)
        except GLib.Error as error:
            raise errors.DaemonUnavailable(
                f"cannot reach the bus at {address}: {error.message}") from None
        self._watchers = {}  # Received subscription → InterfacesAdded subscription
        # Fails at once, with DaemonUnavailable, when qcoapd is not there.
        try:
            self._bus.call_sync(MANAGER_PATH, "org.freedesktop.DBus.Peer", "Ping", None)
        except errors.Error:
            self._bus.close()
            raise

    @property
    def connection(self) -> Gio.DBusConnection:
        """The Gio.DBusConnection in use now (a new one after a reconnect)."""
        return self._bus.connection

    def _properties(self) -> Dict[str, Any]:
        reply = self._bus.call_sync(MANAGER_PATH, "org.freedesktop.DBus.Properties", "GetAll",
                                    GLib.Variant("(s)", (MANAGER_INTERFACE,)), "(a{sv})")
        return reply.unpack()[0]

    def status(self) -> Dict[str, Any]:
        """The manager's properties as a dict (State, Model, FreeClients, …)."""
        return self._properties()

    @property
    def state(self) -> str:
        """The modem's state: absent, initializing, ready, sleeping (power
        saving: the module sleeps until the network wakes it) or failed."""
        return self._properties()["State"]

    @property
    def state_reason(self) -> str:
        """Why the state is what it is, in words a person can act on (e.g.
        why the serial port cannot be opened); ``""`` when there is nothing
        to say."""
        return self._properties().get("StateReason", "")

    _WAIT_READY_POLL = 0.1

    def wait_ready(self, timeout: Optional[float] = None) -> None:
        """Waits until the modem is ``ready``, at most ``timeout`` seconds
        (``None``: for ever); raises :class:`qcoap.ModemUnavailable` saying
        the state and its reason. What to call after ModemUnavailable,
        before trying again."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            properties = self._properties()
            if properties["State"] == "ready":
                return
            if deadline is not None and time.monotonic() >= deadline:
                raise errors.ModemUnavailable(self._not_ready(properties, timeout))
            time.sleep(self._WAIT_READY_POLL)

    async def wait_ready_async(self, timeout: Optional[float] = None) -> None:
        """:meth:`wait_ready` for asyncio."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            properties = self._properties()
            if properties["State"] == "ready":
                return
            if deadline is not None and loop.time() >= deadline:
                raise errors.ModemUnavailable(self._not_ready(properties, timeout))
            await asyncio.sleep(self._WAIT_READY_POLL)

    @staticmethod
    def _not_ready(properties, timeout):
        reason = properties.get("StateReason", "")
        return (f"The modem was not ready within {timeout:g} s: it is {properties['State']}"
                + (f": {reason}" if reason else ""))

    def modems(self) -> List[Modem]:
        """The modems qcoapd drives, in the order of its configuration, as
        :class:`Modem`; the properties of this client (state, model, …) are
        those of the first. Empty from a daemon that does not list them."""
        return [_modem_from_properties(path, self._bus.call_sync(
                    *_get_all_call(path, MODEM_INTERFACE)).unpack()[0])
                for path in _modem_paths(self._properties())]

    async def modems_async(self) -> List[Modem]:
        """:meth:`modems` as a coroutine."""
        reply = await self._bus.call(*_get_all_call(MANAGER_PATH, MANAGER_INTERFACE))
        modems = []
        for path in _modem_paths(reply.unpack()[0]):
            properties = await self._bus.call(*_get_all_call(path, MODEM_INTERFACE))
            modems.append(_modem_from_properties(path, properties.unpack()[0]))
        return modems

    @property
    def model(self) -> str:
        """The modem's model, e.g. ``"BG96"``."""
        return self._properties()["Model"]

    @property
    def imei(self) -> str:
        """The modem's IMEI."""
        return self._properties()["Imei"]

    @property
    def free_clients(self) -> int:
        """How many of the modem's six client IDs are free."""
        return self._properties()["FreeClients"]

    @property
    def sessions(self) -> List[str]:
        """Object paths of the sessions that exist now."""
        return list(self._properties()["Sessions"])

    @property
    def registration(self) -> str:
        """The registration with the cellular network: unknown, idle,
        searching, home, roaming or denied."""
        return self._properties()["Registration"]

    @property
    def access_technology(self) -> str:
        """``"lte-m"``, ``"nb-iot"`` or ``"gsm"``; ``""`` while not
        registered."""
        return self._properties()["AccessTechnology"]

    @property
    def operator(self) -> str:
        """The network's name; ``""`` while not registered."""
        return self._properties()["Operator"]

    @property
    def signal(self) -> Dict[str, Union[int, float]]:
        """The signal with the keys the modem reported: ``rssi`` and
        ``rsrp`` (dBm), ``rsrq`` (dB) as ints, ``sinr`` (dB) as a float;
        empty while there is no service."""
        return dict(self._properties()["Signal"])

    @property
    def data_contexts(self) -> List[DataContext]:
        """The PDP contexts the daemon manages, as :class:`DataContext`."""
        return [DataContext(*context) for context in self._properties()["DataContexts"]]

    def _command_call(self, text: str, timeout: Optional[float]):
        milliseconds = _milliseconds(timeout) if timeout else 0
        return (MANAGER_PATH, MANAGER_INTERFACE, "Command",
                GLib.Variant("(su)", (text, milliseconds)), "(s)", timeout)

    def command(self, text: str, timeout: Optional[float] = None) -> str:
        """Sends one AT command line to the modem (root only) and returns
        every line it answered, joined by newlines, the final OK included.
        ``timeout`` in seconds; None (or 0) is the daemon's default. A command the daemon
        relies on raises :class:`qcoap.InvalidArgument`, an ERROR answer
        :class:`qcoap.ModemError`."""
        return self._bus.call_sync(*self._command_call(text, timeout)).unpack()[0]

    async def command_async(self, text: str, timeout: Optional[float] = None) -> str:
        """:meth:`command` as a coroutine."""
        return (await self._bus.call(*self._command_call(text, timeout))).unpack()[0]

    def _open_call(self, host: str, port: int, options: Dict[str, Any]):
        return (MANAGER_PATH, MANAGER_INTERFACE, "Open",
                GLib.Variant("(sqa{sv})", (host, port, _open_options(**options))), "(o)",
                options.get("timeout"))

    def open(self, host: str, port: int = 5683, listen: bool = False,
             **options: Any) -> "Session":
        """Opens a session to ``host:port``; use it as a context manager.
        Keyword options: persistent, psk_identity, psk_key, client_id,
        pdp_context, ack_timeout, max_retransmit, idle_timeout (seconds),
        timeout (seconds), modem (a modem's name, object path or
        :class:`Modem`: the session is opened there; by default the daemon
        chooses), listen (hear the session's signals from the start; by
        default the session listens once a callback is registered)."""
        reply = self._bus.call_sync(*self._open_call(host, port, dict(options, listen=listen)))
        return Session(self._bus, reply.unpack()[0], listening=listen)

    async def open_async(self, host: str, port: int = 5683, listen: bool = False,
                         **options: Any) -> "Session":
        """:meth:`open` as a coroutine. Give ``timeout`` (seconds) rather than
        only wrapping it in asyncio.wait_for: the daemon then gives up when
        the caller does and frees the client ID."""
        reply = await self._bus.call(*self._open_call(host, port, dict(options, listen=listen)))
        return Session(self._bus, reply.unpack()[0], listening=listen)

    def session(self, path_or_id: Union[str, int]) -> "Session":
        """A Session object for an existing session (e.g. a persistent one),
        by object path or by the modem's client ID (0-5)."""
        path = path_or_id
        if isinstance(path_or_id, int) or str(path_or_id).isdigit():
            path = self._path_of_client_id(int(path_or_id))
        return Session(self._bus, str(path))

    def _path_of_client_id(self, client_id: int) -> str:
        """The object path of the session with this client ID: the path need
        not say it. Raises InvalidArgument when there is none."""
        objects = self._bus.call_sync(MANAGER_PATH, OBJECT_MANAGER_INTERFACE,
                                      "GetManagedObjects", None,
                                      "(a{oa{sa{sv}}})").unpack()[0]
        for path, interfaces in objects.items():
            if interfaces.get(SESSION_INTERFACE, {}).get("ClientId") == client_id:
                return path
        raise errors.InvalidArgument(f"no session has client ID {client_id}")

    def on_received(self, callback: Callable[[str, Response], None],
                    on_listening: Optional[Callable[[str], None]] = None) -> int:
        """Calls ``callback(session_path, response)`` for every message that
        a session this connection listens to receives. It listens to every
        session it may (root: all; anyone else: their own), those there now
        and those that appear later; ``on_listening(session_path)``, if
        given, is called as each starts to be heard. Returns a subscription
        ID for :meth:`disconnect`."""
        deliver = _in_callers_loop(callback)
        subscription = self._bus.subscribe(
            None, SESSION_INTERFACE, "Received",
            lambda _member, path, parameters: deliver(path, _received_message(parameters)))
        self._watchers[subscription] = self._listen_to_all(on_listening)
        return subscription

    def _listen_to_all(self, on_listening):
        """Listens to the sessions this process may hear, now and as they
        appear (InterfacesAdded first, so that none is missed)."""
        announce = _in_callers_loop(on_listening) if on_listening else (lambda _path: None)

        def listened(connection, result, path):
            try:
                connection.call_finish(result)
            except GLib.Error:
                return  # gone already, or not ours
            self._bus.listened.add(path)
            announce(path)

        def on_added(_member, _path, parameters):
            path, interfaces = parameters.unpack()
            owner = interfaces.get(SESSION_INTERFACE, {}).get("Owner")
            if owner is not None and _may_listen(owner):
                self._bus.connection.call(SERVICE, path, SESSION_INTERFACE, "Listen", None, None,
                                          Gio.DBusCallFlags.NONE, _NO_TIMEOUT, None, listened,
                                          path)

        watcher = self._bus.subscribe(MANAGER_PATH, OBJECT_MANAGER_INTERFACE, "InterfacesAdded",
                                      on_added)
        objects = self._bus.call_sync(MANAGER_PATH, OBJECT_MANAGER_INTERFACE, "GetManagedObjects",
                                      None, "(a{oa{sa{sv}}})").unpack()[0]
        for path, interfaces in objects.items():
            owner = interfaces.get(SESSION_INTERFACE, {}).get("Owner")
            if owner is None or not _may_listen(owner):
                continue
            try:
                self._bus.call_sync(path, SESSION_INTERFACE, "Listen", None)
            except errors.Error:
                continue
            self._bus.listened.add(path)
            if on_listening:
                on_listening(path)
        return watcher

    def disconnect(self, subscription: int) -> None:
        """Ends a subscription made by :meth:`on_received`."""
        self._bus.unsubscribe(subscription)
        watcher = self._watchers.pop(subscription, None)
        if watcher is not None:
            self._bus.unsubscribe(watcher)

    # one-shot requests

    def _request_call(self, code, uri, payload, options, content_format, accept, timeout,
                      psk_identity, psk_key, modem):
        flags = _open_options(psk_identity=psk_identity, psk_key=psk_key, timeout=timeout,
                              modem=modem)
        parameters = GLib.Variant.new_tuple(
            GLib.Variant("s", uri), GLib.Variant("y", codes.parse_code(code)),
            _options_variant(options, content_format, accept), _bytes_variant(payload),
            GLib.Variant("a{sv}", flags))
        return (MANAGER_PATH, MANAGER_INTERFACE, "Request", parameters, "(ya(qv)ay)",
                timeout)

    def request(self, code: Union[int, str], uri: str, payload: Payload = b"", *,
                options: Options = None, content_format: Union[int, str, None] = None,
                accept: Union[int, str, None] = None, timeout: Optional[float] = None,
                psk_identity: Optional[str] = None,
                psk_key: Union[bytes, str, None] = None,
                modem: Union[str, Modem, None] = None) -> Response:
        """A one-shot confirmable request to ``coap://host[:port]/path?query``
        (or coaps:// with psk_identity and psk_key); ``timeout`` in seconds;
        ``modem`` as for :meth:`open`."""
        reply = self._bus.call_sync(*self._request_call(
            code, uri, payload, options, content_format, accept, timeout, psk_identity,
            psk_key, modem))
        return _response_from_reply(reply)

    async def request_async(self, code: Union[int, str], uri: str, payload: Payload = b"", *,
                            options: Options = None,
                            content_format: Union[int, str, None] = None,
                            accept: Union[int, str, None] = None, timeout: Optional[float] = None,
                            psk_identity: Optional[str] = None,
                            psk_key: Union[bytes, str, None] = None,
                            modem: Union[str, Modem, None] = None) -> Response:
        """:meth:`request` as a coroutine; ``timeout`` (seconds) goes to the
        daemon, which then frees the request's client ID when it runs out."""
        reply = await self._bus.call(*self._request_call(
            code, uri, payload, options, content_format, accept, timeout, psk_identity,
            psk_key, modem))
        return _response_from_reply(reply)

    def get(self, uri: str, **kwargs: Any) -> Response:
        """A one-shot GET; see :meth:`request`."""
        return self.request("GET", uri, **kwargs)

    def post(self, uri: str, payload: Payload = b"", **kwargs: Any) -> Response:
        """A one-shot POST; see :meth:`request`."""
        return self.request("POST", uri, payload, **kwargs)

    def put(self, uri: str, payload: Payload = b"", **kwargs: Any) -> Response:
        """A one-shot PUT; see :meth:`request`."""
        return self.request("PUT", uri, payload, **kwargs)

    def delete(self, uri: str, **kwargs: Any) -> Response:
        """A one-shot DELETE; see :meth:`request`."""
        return self.request("DELETE", uri, **kwargs)

    async def get_async(self, uri: str, **kwargs: Any) -> Response:
        """:meth:`get` as a coroutine."""
        return await self.request_async("GET", uri, **kwargs)

    async def post_async(self, uri: str, payload: Payload = b"", **kwargs: Any) -> Response:
        """:meth:`post` as a coroutine."""
        return await self.request_async("POST", uri, payload, **kwargs)

    async def put_async(self, uri: str, payload: Payload = b"", **kwargs: Any) -> Response:
        """:meth:`put` as a coroutine."""
        return await self.request_async("PUT", uri, payload, **kwargs)

    async def delete_async(self, uri: str, **kwargs: Any) -> Response:
        """:meth:`delete` as a coroutine."""
        return await self.request_async("DELETE", uri, **kwargs)

    def close(self) -> None:
        """Closes the connection (and with it the sessions that are not
        persistent)."""
        self._bus.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def connect(bus: str = "system") -> Client:
    """Connects to qcoapd on ``bus``: ``"system"``, ``"session"``, or a D-Bus
    address. Raises DaemonUnavailable when there is no such bus or qcoapd is
    not on it, AccessDenied when the bus's policy refuses the caller (only
    root and members of group qcoapd may use qcoapd)."""
    if bus in ("system", "session"):
        bus_type = Gio.BusType.SYSTEM if bus == "system" else Gio.BusType.SESSION
        try:
            address = Gio.dbus_address_get_for_bus_sync(bus_type, None)
        except GLib.Error as error:
            raise errors.DaemonUnavailable(f"there is no {bus} bus: {error.message}") from None
        return Client(address)
    return Client(bus)


def split_uri(uri):
    """``(host, port, path)`` of a coap:// or coaps:// URI, for Client.open."""
    parts = urlsplit(uri)
    if parts.scheme not in ("coap", "coaps") or not parts.hostname:
        raise ValueError(f"not a coap:// or coaps:// URI: {uri!r}")
    port = parts.port or (5684 if parts.scheme == "coaps" else 5683)
    path = unquote(parts.path or "/")
    return parts.hostname, port, path + (f"?{parts.query}" if parts.query else "")
