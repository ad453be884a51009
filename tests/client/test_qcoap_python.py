# SPDX-License-Identifier: MIT
"""The qcoap Python module against the real daemon, simulator and coap-server.

Runs under the Python with gi that tests/meson.build finds, inside
client-env-run, which provides QCOAP_TEST_BUS, QCOAP_TEST_COAP_PORT,
QCOAP_TEST_SILENT_PORT and QCOAP_TEST_SIM_CONTROL (the simulator's control
channel); QCOAP_PY_EXAMPLES is the directory of the example programs.
"""

import asyncio
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
import unittest

import qcoap
from gi.repository import Gio, GLib

BUS = os.environ["QCOAP_TEST_BUS"]
PORT = int(os.environ["QCOAP_TEST_COAP_PORT"])
SILENT_PORT = int(os.environ["QCOAP_TEST_SILENT_PORT"])
EXAMPLES = os.environ["QCOAP_PY_EXAMPLES"]
TIME = re.compile(rb"^[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}$")


def binary_payload(length, seed):
    data = bytearray(random.Random(seed).randbytes(length))
    data[0], data[1], data[2], data[-1] = 0, 0x0D, 0x0A, 0xFF
    return bytes(data)


def knock_off(unique_name):
    """Sends ``unique_name`` a unicast signal whose body GDBus fails to parse
    (valid D-Bus, routed by the bus): GDBus then closes that connection."""
    sender = Gio.DBusConnection.new_for_address_sync(
        BUS, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
        | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
    message = Gio.DBusMessage.new_signal("/org/qcoapd/Test", "org.qcoapd.Test", "KnockOff")
    message.set_destination(unique_name)
    message.set_body(GLib.Variant("(a(g)s)", ([("yyyyy",), ("y",)], "x")))
    sender.send_message(message, Gio.DBusSendMessageFlags.NONE)
    sender.flush_sync(None)
    sender.close_sync(None)


def wait_until(condition, seconds=15):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def sim_control(command):
    """Sends a line to the simulator's control channel; asserts its OK."""
    with socket.socket(socket.AF_UNIX) as control:
        control.connect(os.environ["QCOAP_TEST_SIM_CONTROL"])
        control.sendall(command.encode() + b"\n")
        answer = control.makefile().readline().strip()
    if not answer.startswith("OK"):
        raise AssertionError(f"the simulator answered {command!r} with {answer!r}")


def network_is_up(client):
    """Registered, the operator read and context 1 active (the daemon gets
    there a while after the modem registered)."""
    contexts = client.data_contexts
    return client.operator == "Fake Telecom" and bool(contexts) and contexts[0].active


class FirstRead(unittest.TestCase):
    """Runs before any test stores something smaller in /example_data."""

    def test_truncated_response(self):
        with qcoap.connect(BUS) as client:
            response = client.get(f"coap://127.0.0.1:{PORT}/example_data")
        self.assertEqual(response.code, "2.05")
        self.assertEqual(len(response.payload), 1024)
        self.assertTrue(response.truncated)
        self.assertEqual(response.total_size, 1500)


class ResponseObject(unittest.TestCase):
    """Response on its own, as a server's options make it."""

    def test_truncated(self):
        first_block = qcoap.Response(69, [(23, 0x0E), (28, 1500)], b"x" * 1024)
        self.assertTrue(first_block.truncated)
        self.assertEqual(first_block.total_size, 1500)
        # As a daemon that does not type Block2 and Size2 passes them on.
        as_text = qcoap.Response(69, [(23, b"14"), (28, b"1500")], b"x" * 1024)
        self.assertTrue(as_text.truncated)
        self.assertEqual(as_text.total_size, 1500)
        last_block = qcoap.Response(69, [(23, 0x16)], b"x" * 476)
        self.assertFalse(last_block.truncated)
        self.assertFalse(qcoap.Response(69, [], b"whole").truncated)
        self.assertIsNone(qcoap.Response(69, [], b"").total_size)

    def test_registry_names(self):
        self.assertEqual(qcoap.option_name(258), "No-Response")
        self.assertEqual(qcoap.option_number("size2"), 28)
        self.assertEqual(qcoap.content_format_number("application/senml+cbor"), 112)
        self.assertEqual(qcoap.content_format_name(11544), "application/vnd.oma.lwm2m+cbor")
        self.assertEqual(qcoap.content_format_number("text/plain"), 0)
        self.assertEqual(qcoap.code_description(0x8D), "Request Entity Too Large")

    def test_pyproject(self):
        import tomllib
        package_root = os.path.dirname(os.path.dirname(qcoap.__file__))
        with open(os.path.join(package_root, "pyproject.toml"), "rb") as pyproject:
            project = tomllib.load(pyproject)
        self.assertEqual(project["project"]["name"], "qcoap")
        self.assertEqual(project["project"]["version"], qcoap.__version__)
        self.assertIn("py.typed", project["tool"]["setuptools"]["package-data"]["qcoap"])

    def test_version_and_types(self):
        self.assertRegex(qcoap.__version__, r"^[0-9]+\.[0-9]+\.[0-9]+$")
        package = os.path.dirname(qcoap.__file__)
        self.assertTrue(os.path.exists(os.path.join(package, "py.typed")))
        for name in qcoap.__all__:
            if name != "__version__":
                self.assertTrue(getattr(qcoap, name).__doc__, f"{name} has no docstring")


class Blocking(unittest.TestCase):
    def setUp(self):
        self.client = qcoap.connect(BUS)

    def tearDown(self):
        self.client.close()

    def test_status(self):
        status = self.client.status()
        self.assertEqual(status["State"], "ready")
        self.assertEqual(self.client.model, "BG96")
        self.assertEqual(self.client.state_reason, "")
        self.assertRegex(self.client.imei, r"^[0-9]{15}$")
        self.assertEqual(self.client.free_clients, 6)

    def test_get_time(self):
        with self.client.open("127.0.0.1", PORT) as session:
            response = session.get("/time")
        self.assertEqual(response.code, "2.05")
        self.assertEqual(response.code_number, 69)
        self.assertEqual(response.description, "Content")
        self.assertTrue(response.ok)
        self.assertRegex(response.payload, TIME)
        self.assertEqual([name for name, _ in response.options], ["Max-Age"])

    def test_put_then_get_binary(self):
        payload = binary_payload(1000, 3)
        with self.client.open("127.0.0.1", PORT) as session:
            stored = session.put("/example_data", payload,
                                 content_format="application/octet-stream")
            self.assertTrue(stored.ok, stored)
            response = session.get("/example_data")
        self.assertEqual(response.payload, payload)
        self.assertEqual(response.content_format, "application/octet-stream")

    def test_one_shot_not_found(self):
        response = self.client.get(f"coap://127.0.0.1:{PORT}/no/such/thing")
        self.assertEqual((response.code, response.code_number), ("4.04", 132))
        self.assertEqual(response.description, "Not Found")
        self.assertFalse(response.ok)

    def test_post_with_options(self):
        with self.client.open("127.0.0.1", PORT) as session:
            response = session.post("/example_data", b'{"t":21.5}', content_format="json",
                                    options=[("Max-Age", 5)])
        self.assertEqual(response.code, "4.05")

    def test_context_manager_closes(self):
        with self.client.open("127.0.0.1", PORT) as session:
            self.assertIn(session.path, self.client.sessions)
            self.assertEqual(session.state, "open")
            self.assertEqual(session.port, PORT)
        self.assertNotIn(session.path, self.client.sessions)
        self.assertEqual(self.client.free_clients, 6)
        # An ended session reports its last known state, it does not raise.
        self.assertEqual(session.state, "closed")
        self.assertEqual(session.port, PORT)

    def test_session_ended_elsewhere(self):
        session = self.client.open("127.0.0.1", PORT)
        self.assertEqual(session.host, "127.0.0.1")
        with qcoap.connect(BUS) as other:
            by_id = other.session(session.client_id)
            self.assertEqual(by_id.path, session.path)
            by_id.close()
        # The object leaves the bus as the session ends, not before Close's
        # answer necessarily.
        self.assertTrue(wait_until(lambda: session.state == "closed"))
        self.assertEqual(session.host, "127.0.0.1")
        session.close()

    def test_on_received_and_raw_send(self):
        messages = []
        arrived = threading.Event()

        def on_received(message):
            messages.append(message)
            arrived.set()

        with self.client.open("127.0.0.1", PORT) as session:
            session.on_received(on_received)
            message_id, token = session.send("con", "get", options=[("Uri-Path", "time")])
            self.assertTrue(arrived.wait(20), "no Received signal")
        self.assertEqual(len(token), 4)
        answer = messages[0]
        self.assertEqual(answer.token, token)
        self.assertEqual(answer.message_id, message_id)
        self.assertEqual(answer.code, "2.05")
        self.assertRegex(answer.payload, TIME)

    def test_listening_follows_callbacks(self):
        heard = []
        raw = self.client.connection.signal_subscribe(
            "org.qcoapd.CoAP1", "org.qcoapd.CoAP1.Session", None, None, None,
            0, lambda *args: heard.append(args[4]))
        try:
            with self.client.open("127.0.0.1", PORT) as session:
                self.assertFalse(session.listening)
                session.get("/time")
                # Signals sent before the reply of a later call have arrived
                # by the time it returns; this thread's context dispatches them.
                self.client.status()
                while GLib.MainContext.default().iteration(False):
                    pass
                self.assertEqual(heard, [])
                arrived = threading.Event()
                session.on_ack(lambda *ack: arrived.set())
                self.assertTrue(session.listening)
                session.get("/time")
                self.assertTrue(arrived.wait(20), "no Ack signal once listening")
                session.unlisten()
                self.assertFalse(session.listening)
            with self.client.open("127.0.0.1", PORT, listen=True) as session:
                self.assertTrue(session.listening)
        finally:
            self.client.connection.signal_unsubscribe(raw)

    def test_timeout_exception(self):
        """timeout=3 is three seconds, not three milliseconds."""
        with self.client.open("127.0.0.1", SILENT_PORT) as session:
            started = time.monotonic()
            with self.assertRaises(qcoap.Timeout) as caught:
                session.get("/time", timeout=3)
            waited = time.monotonic() - started
        self.assertGreater(waited, 2.5)
        self.assertLess(waited, 20)
        self.assertIsInstance(caught.exception, TimeoutError)
        self.assertEqual(caught.exception.name, "org.qcoapd.CoAP1.Error.Timeout")
        self.assertIn("within 3 s", str(caught.exception))

    def test_fractional_timeout(self):
        uri = f"coap://127.0.0.1:{SILENT_PORT}/time"
        started = time.monotonic()
        with self.assertRaises(qcoap.Timeout) as caught:
            self.client.get(uri, timeout=1.5)
        waited = time.monotonic() - started
        self.assertGreater(waited, 1.2)
        self.assertLess(waited, 20)
        self.assertIn("within 1.5 s", caught.exception.message)

    def test_invalid_argument_exception(self):
        with self.assertRaises(qcoap.InvalidArgument) as caught:
            self.client.open("127.0.0.1", PORT, client_id=9)
        self.assertEqual(caught.exception.name, "org.qcoapd.CoAP1.Error.InvalidArgument")
        self.assertIn("client-id", caught.exception.message)

    def test_client_busy_exception(self):
        with self.client.open("127.0.0.1", PORT, client_id=3):
            with self.assertRaises(qcoap.ClientBusy):
                self.client.open("127.0.0.1", PORT, client_id=3)

    def test_unreachable_bus(self):
        with self.assertRaises(qcoap.DaemonUnavailable):
            qcoap.connect("unix:path=/nonexistent/qcoap-test-bus")

    def test_no_system_bus(self):
        saved = os.environ.get("DBUS_SYSTEM_BUS_ADDRESS")
        os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = "unix:path=/nonexistent/system_bus_socket"
        try:
            with self.assertRaises(qcoap.DaemonUnavailable):
                qcoap.connect("system")
        finally:
            if saved is None:
                del os.environ["DBUS_SYSTEM_BUS_ADDRESS"]
            else:
                os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = saved

    def test_one_shot_methods(self):
        uri = f"coap://127.0.0.1:{PORT}/example_data"
        self.assertTrue(self.client.put(uri, b"one shot", content_format="text").ok)
        self.assertEqual(self.client.get(uri).payload, b"one shot")
        self.assertEqual(self.client.post(uri, b"x").code, "4.05")
        self.assertEqual(self.client.delete(uri).code, "4.05")

    def test_reconnects_after_knock_off(self):
        received = []
        with self.client.open("127.0.0.1", PORT, persistent=True) as session:
            session.on_received(received.append)
            old = self.client.connection
            knock_off(old.get_unique_name())
            self.assertTrue(wait_until(old.is_closed), "the connection was not knocked off")
            self.assertTrue(wait_until(lambda: self.client.connection is not old))
            self.assertFalse(self.client.connection.is_closed())
            response = session.get("/time")
            self.assertRegex(response.payload, TIME)
            self.assertTrue(wait_until(lambda: received), "no Received after reconnecting")
            self.assertEqual(session.state, "open")


class Asyncio(unittest.TestCase):
    def setUp(self):
        self.client = qcoap.connect(BUS)

    def tearDown(self):
        self.client.close()

    def test_three_concurrent_requests(self):
        # /async?1 answers after one second: three at once take about one
        # second, one after the other they would take three.
        uri = f"coap://127.0.0.1:{PORT}/async?1"

        async def three():
            started = time.monotonic()
            responses = await asyncio.gather(*(self.client.get_async(uri) for _ in range(3)))
            return responses, time.monotonic() - started

        responses, elapsed = asyncio.run(three())
        self.assertEqual([r.code for r in responses], ["2.05"] * 3)
        self.assertEqual([r.payload for r in responses], [b"done"] * 3)
        self.assertLess(elapsed, 2.8)

    def test_session_and_signal_in_loop(self):
        async def run():
            loop_thread = threading.current_thread()
            received = asyncio.Queue()
            async with await self.client.open_async("127.0.0.1", PORT) as session:
                session.on_received(
                    lambda message: received.put_nowait((message, threading.current_thread())))
                response = await session.get_async("/time")
                message, thread = await asyncio.wait_for(received.get(), 20)
            return response, message, thread is loop_thread

        response, message, in_loop = asyncio.run(run())
        self.assertEqual(response.code, "2.05")
        self.assertEqual(message.payload, response.payload)
        self.assertTrue(in_loop, "the callback did not run in the asyncio loop")

    def test_timeout_frees_the_client(self):
        uri = f"coap://127.0.0.1:{SILENT_PORT}/time"

        async def run():
            started = time.monotonic()
            with self.assertRaises(qcoap.Timeout) as caught:
                await self.client.get_async(uri, timeout=2)
            self.assertIn("within 2 s", str(caught.exception))
            return time.monotonic() - started

        waited = asyncio.run(run())
        self.assertGreater(waited, 1.5)
        self.assertLess(waited, 20)
        self.assertTrue(wait_until(lambda: self.client.free_clients == 6))

    def test_async_error(self):
        async def run():
            await self.client.open_async("127.0.0.1", PORT, max_retransmit=99)

        with self.assertRaises(qcoap.InvalidArgument):
            asyncio.run(run())


class Examples(unittest.TestCase):
    def run_example(self, *args, timeout=60):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
        return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                              timeout=timeout)

    def test_sensor_upload(self):
        result = self.run_example(os.path.join(EXAMPLES, "sensor_upload.py"), "--bus", BUS,
                                  "--count", "3", "--interval", "0.2", "--method", "put",
                                  f"coap://127.0.0.1:{PORT}/example_data")
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.splitlines()
        self.assertEqual(len(lines), 3)
        for line in lines:
            self.assertRegex(line, r'^2\.0[14] \w+: \{"time": [0-9]+, "load": [0-9.]+\}$')

    def test_received_log_sees_another_client(self):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
        log_process = subprocess.Popen(
            [sys.executable, os.path.join(EXAMPLES, "received_log.py"), "--bus", BUS,
             "--duration", "30"], env=env, stdout=subprocess.PIPE, text=True)
        try:
            while log_process.stdout.readline().strip() != "listening":
                pass
            with qcoap.connect(BUS) as other, other.open("127.0.0.1", PORT) as session:
                # The session's signals reach the log once it listens.
                self.assertEqual(log_process.stdout.readline().strip(), f"hearing {session.path}")
                session.get("/time")
            line = log_process.stdout.readline()
            self.assertRegex(line, r"^/org/qcoapd/CoAP1/Session/[0-9]+: 2\.05 Content mid [0-9]+ "
                                   r"token [0-9a-f]{2,16} \[Max-Age: [0-9]+\] '.{15}'$")
        finally:
            log_process.kill()
            log_process.wait()
            log_process.stdout.close()


class Network(unittest.TestCase):
    def setUp(self):
        self.client = qcoap.connect(BUS)
        self.assertTrue(wait_until(lambda: network_is_up(self.client), 20))

    def tearDown(self):
        # Whatever a test did to the network, the next one finds it up.
        self.assertTrue(wait_until(lambda: network_is_up(self.client), 20))
        self.client.close()

    def test_properties(self):
        self.assertEqual(self.client.registration, "home")
        self.assertEqual(self.client.access_technology, "lte-m")
        self.assertEqual(self.client.operator, "Fake Telecom")
        signal = self.client.signal
        self.assertEqual(signal["rsrp"], -87)
        self.assertIsInstance(signal.get("sinr", 0.0), float)
        context = self.client.data_contexts[0]
        self.assertIsInstance(context, qcoap.DataContext)
        self.assertEqual(context, (1, True, "10.64.0.1"))
        self.assertEqual(context.address, "10.64.0.1")

    def test_wait_ready(self):
        self.client.wait_ready(timeout=3)
        sim_control("unplug")
        self.assertTrue(wait_until(lambda: self.client.state == "absent"))
        started = time.monotonic()
        with self.assertRaises(qcoap.ModemUnavailable) as raised:
            self.client.wait_ready(timeout=0.5)
        self.assertGreaterEqual(time.monotonic() - started, 0.5)
        self.assertIn("not ready within 0.5 s: it is absent", str(raised.exception))
        sim_control("replug")
        self.client.wait_ready(timeout=20)
        self.assertEqual(self.client.state, "ready")
        asyncio.run(self.client.wait_ready_async(timeout=3))

    def test_deregister_and_register(self):
        sim_control("fault deregister")
        self.assertTrue(wait_until(lambda: self.client.registration == "searching"))
        self.assertEqual(self.client.access_technology, "")
        self.assertTrue(wait_until(lambda: not self.client.data_contexts[0].active))
        sim_control("fault register")
        self.assertTrue(wait_until(lambda: self.client.registration == "home"))

    @unittest.skipUnless(os.geteuid() == 0, "Command is for root only")
    def test_command(self):
        response = self.client.command('AT+QENG="servingcell"', timeout=2)
        self.assertTrue(response.startswith('+QENG: "servingcell",'), response)
        self.assertTrue(response.endswith("\nOK"), response)
        self.assertIn('"Fake Telecom"', asyncio.run(self.client.command_async("AT+COPS?")))

    def test_command_refused(self):
        with self.assertRaises(qcoap.InvalidArgument) as refused:
            self.client.command("ATZ")
        self.assertIn("ATZ", str(refused.exception))
        with self.assertRaises(qcoap.InvalidArgument):
            self.client.command("AT+COPS?;+CFUN=0")


class Modems(unittest.TestCase):
    """The test bed has one modem, named "default"."""

    def setUp(self):
        self.client = qcoap.connect(BUS)

    def tearDown(self):
        self.client.close()

    def test_modems(self):
        modems = self.client.modems()
        self.assertEqual([modem.name for modem in modems], ["default"])
        self.assertRegex(modems[0].path, r"^/org/qcoapd/CoAP1/Modem/[0-9]+$")
        self.assertEqual((modems[0].state, modems[0].free_clients), ("ready", 6))
        self.assertEqual(asyncio.run(self.client.modems_async()), modems)

    def test_open_on_a_modem(self):
        modem = self.client.modems()[0]
        for chosen in ("default", modem.path, modem):
            with self.client.open("127.0.0.1", PORT, modem=chosen) as session:
                self.assertEqual(session.modem, "default")
                self.assertTrue(session.get("/time").ok)
        # The daemon's choice: the one there is.
        with self.client.open("127.0.0.1", PORT) as session:
            self.assertEqual(session.modem, "default")
        with self.assertRaisesRegex(qcoap.InvalidArgument, "no-such-modem"):
            self.client.open("127.0.0.1", PORT, modem="no-such-modem")
        self.assertEqual(self.client.free_clients, 6)

    def test_one_shot_on_a_modem(self):
        uri = f"coap://127.0.0.1:{PORT}/time"
        self.assertRegex(self.client.get(uri, modem="default").payload, TIME)
        response = asyncio.run(self.client.get_async(uri, modem="default"))
        self.assertRegex(response.payload, TIME)
        with self.assertRaisesRegex(qcoap.InvalidArgument, "no-such-modem"):
            self.client.get(uri, modem="no-such-modem")


def load_tests(loader, tests, pattern):
    """FirstRead first: it needs coap-server's /example_data as it starts."""
    suite = unittest.TestSuite([loader.loadTestsFromTestCase(FirstRead)])
    for case in (ResponseObject, Blocking, Asyncio, Examples, Network, Modems):
        suite.addTests(loader.loadTestsFromTestCase(case))
    return suite


if __name__ == "__main__":
    unittest.main(verbosity=2)
