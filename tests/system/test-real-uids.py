#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Access control with real user IDs on a system-like bus.

Starts, as root: a private dbus-daemon whose configuration is the system
bus's default policy plus data/org.qcoapd.CoAP1.conf, a CoAP server on
127.0.0.1, the BG96 simulator and qcoapd, both as user qcoapd. Clients run
as root, as members of group qcoapd (users qcoapd-test and qcoapd-test2) and
as nobody, through setpriv. Checks:

- only user qcoapd (and root) may own the name; the daemon runs as qcoapd;
- nobody is refused by the bus (method calls, properties, introspection) and
  the daemon sends nothing to the modem for it; nobody's qcoapctl exits 8
  (AccessDenied) and says who may use qcoapd;
- root and group members succeed; the signals of their sessions reach no
  other connection: neither a group member's nor nobody's, each with a match
  rule for every signal;
- a session's signals reach its listeners only: its opener hears its
  Received with the payload; another member's Listen is AccessDenied with no
  AT traffic; root's Listen works and root then hears them; a listener that
  leaves the bus is dropped; a session opened with "listen" false emits
  nothing until someone listens; a persistent session opened with busctl is
  heard by "qcoapctl monitor" of the same user, not by another user's;
- a session of one user: Send, Request and Close from another user answer
  AccessDenied with no AT traffic in the simulator's log; root may close it;
- MaxClientsPerUser (default 4) holds for a user while IDs are still free;
  root and other users can still open sessions.

Needs root (exit 77, "skipped", otherwise). Needs user qcoapd and the test
users qcoapd-test and qcoapd-test2 in group qcoapd: when they are missing it
creates them (qcoapd from the sysusers entry) only if
QCOAPD_TEST_CREATE_USERS=1, which tests/check.sh sets when run as root, and
is skipped otherwise, so that a plain `meson test` changes no system.

Usage: test-real-uids.py  (paths from the environment: QCOAPD, BG96_SIM,
QCOAPD_POLICY, QCOAPD_SYSUSERS, BUS_CLIENT, QCOAPCTL, QCOAP_GLIB_LIBRARY)
"""
import grp
import json
import os
import queue
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import children
from checks import check, failures, verdict

SKIP = 77
NAME = "org.qcoapd.CoAP1"
MANAGER = "/org/qcoapd/CoAP1"
SESSION_IFACE = "org.qcoapd.CoAP1.Session"
MODEM = "/org/qcoapd/CoAP1/Modem/1"
MODEM_IFACE = "org.qcoapd.CoAP1.Modem"
BUS_DENIED = "org.freedesktop.DBus.Error.AccessDenied"
QCOAP_ERROR = "org.qcoapd.CoAP1.Error."
USER_A, USER_B = "qcoapd-test", "qcoapd-test2"
CREATE_USERS_ENV = "QCOAPD_TEST_CREATE_USERS"


def coap_commands(log):
    """The CoAP commands the modem received, as the simulator logs them. The
    daemon's own network reads (registration, signal, contexts) come at any
    moment and are not caused by a caller."""
    return [line for line in log.splitlines() if "at-rx" in line and "QCOAP" in line]

def run(argv):
    print("     $ " + " ".join(argv), flush=True)
    children.run(argv, check=True)


# ---- users -----------------------------------------------------------------

def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def users_ready():
    """Whether user qcoapd and both test users, members of group qcoapd, exist."""
    if not all(user_exists(name) for name in ("qcoapd", USER_A, USER_B)):
        return False
    members = grp.getgrnam("qcoapd").gr_mem
    return USER_A in members and USER_B in members


def ensure_users(sysusers):
    if not user_exists("qcoapd"):
        if shutil.which("systemd-sysusers"):
            run(["systemd-sysusers", sysusers])
        else:
            run(["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/",
                 "--shell", "/usr/sbin/nologin", "--groups", "dialout", "qcoapd"])
    for name in (USER_A, USER_B):
        if not user_exists(name):
            run(["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/",
                 "--shell", "/usr/sbin/nologin", "--groups", "qcoapd", name])
        elif name not in grp.getgrnam("qcoapd").gr_mem:
            run(["usermod", "-a", "-G", "qcoapd", name])


def as_user(user):
    """The setpriv prefix that runs a command as @user with that user's groups."""
    if user == "root":
        return []
    entry = pwd.getpwnam(user)
    return ["setpriv", "--reuid", str(entry.pw_uid), "--regid", str(entry.pw_gid),
            "--init-groups", "--pdeathsig", "SIGKILL", "--"]


# ---- processes -------------------------------------------------------------

class Processes:
    def __init__(self):
        self.running = []

    def spawn(self, argv, user="root", **kwargs):
        process = children.popen(as_user(user) + argv, **kwargs)
        self.running.append(process)
        return process

    def stop_all(self):
        for process in reversed(self.running):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def coap_ping(port, timeout):
    """An empty CON; a CoAP server answers RST."""
    end = time.monotonic() + children.scaled(timeout)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        while time.monotonic() < end:
            s.sendto(bytes([0x40, 0x00, 0x12, 0x34]), ("127.0.0.1", port))
            try:
                if s.recv(64):
                    return True
            except (socket.timeout, ConnectionRefusedError):
                time.sleep(0.1)
    return False


BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <!-- The default policy of a system bus: holes are punched by the
       policies of services, here only qcoapd's. -->
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
  </policy>
  <include>{policy}</include>
</busconfig>
"""


class Environment:
    def __init__(self):
        self.processes = Processes()
        self.tmp = tempfile.mkdtemp(prefix="qcoapd-system-")
        os.chmod(self.tmp, 0o755)
        # Programs and the client are run by other users, who may not be able
        # to reach the build directory: they get copies here.
        self.qcoapd = self.copy(os.environ["QCOAPD"])
        self.sim = self.copy(os.environ["BG96_SIM"])
        self.client = self.copy(os.environ["BUS_CLIENT"])
        self.qcoapctl = self.copy(os.environ["QCOAPCTL"])
        # qcoapctl finds its library here first (LD_LIBRARY_PATH), by soname.
        self.copy(os.environ["QCOAP_GLIB_LIBRARY"], "libqcoap-glib.so.1")
        self.modem_dir = os.path.join(self.tmp, "modem")
        os.mkdir(self.modem_dir)
        qcoapd = pwd.getpwnam("qcoapd")
        os.chown(self.modem_dir, qcoapd.pw_uid, qcoapd.pw_gid)
        self.modem = os.path.join(self.modem_dir, "modem")
        self.sim_log = os.path.join(self.modem_dir, "bg96-sim.log")
        self.daemon_log = os.path.join(self.tmp, "qcoapd.log")
        self.address = None
        self.coap_port = None

    def copy(self, path, name=None):
        target = os.path.join(self.tmp, name or os.path.basename(path))
        shutil.copy(path, target)
        os.chmod(target, 0o755)
        return target

    def start_bus(self):
        config = os.path.join(self.tmp, "bus.conf")
        with open(config, "w") as f:
            f.write(BUS_CONFIG.format(socket=os.path.join(self.tmp, "system_bus_socket"),
                                      policy=os.path.abspath(os.environ["QCOAPD_POLICY"])))
        bus = self.processes.spawn(["dbus-daemon", "--config-file=" + config, "--nofork",
                                    "--print-address=1"], stdout=subprocess.PIPE, text=True)
        self.address = bus.stdout.readline().strip()
        check(self.address.startswith("unix:"), "dbus-daemon listens at %s" % self.address)

    def start_coap_server(self):
        self.coap_port = free_udp_port()
        with open(os.path.join(self.tmp, "coap-server.log"), "w") as log:
            self.processes.spawn(["coap-server-openssl", "-A", "127.0.0.1",
                                  "-p", str(self.coap_port)], user="nobody",
                                 stdout=log, stderr=log)
        check(coap_ping(self.coap_port, 10), "coap-server answers on 127.0.0.1:%d"
              % self.coap_port)

    def start_simulator(self):
        # As user qcoapd, so that the pty it creates belongs to qcoapd, as a
        # serial port in group dialout would be reachable by it.
        # Unregistered at power-up, as tests/harness starts it: the daemon
        # registers it and activates context 1.
        sim = self.processes.spawn([self.sim, "--link", self.modem, "--log", self.sim_log,
                                    "--boot-delay", "100"], user="qcoapd",
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = sim.stdout.readline().strip()
        check(line.startswith("READY"), "bg96-sim is ready (%s)" % line)

    def start_daemon(self):
        config = os.path.join(self.tmp, "qcoapd.conf")
        with open(config, "w") as f:
            f.write("# defaults only\n")
        os.chmod(config, 0o644)
        with open(self.daemon_log, "w") as log:
            self.processes.spawn([self.qcoapd, "--bus=" + self.address, "--device=" + self.modem,
                                  "--config=" + config, "--verbose"], user="qcoapd",
                                 stdout=log, stderr=subprocess.STDOUT)
        end = time.monotonic() + children.scaled(60)
        state = None
        while time.monotonic() < end:
            reply = self.call("root", MANAGER, "org.freedesktop.DBus.Properties", "Get",
                              "(ss)", "('%s', 'State')" % NAME, quiet=True)
            state = reply.get("reply", [None])[0]
            if state == "ready":
                break
            time.sleep(0.2)
        check(state == "ready", "qcoapd, run as user qcoapd, reports State ready")

    # ---- clients ----

    def call(self, user, path, interface, method, signature="", args="", dest=NAME,
             quiet=False):
        argv = [sys.executable, self.client, self.address, "call", dest, path, interface,
                method, signature, args]
        out = children.run(as_user(user) + argv, capture_output=True, text=True, timeout=children.scaled(90),
                           check=False)
        try:
            result = json.loads(out.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            result = {"error": "client-failed", "message": out.stdout + out.stderr}
        if not quiet:
            shown = json.dumps(result)
            if len(shown) > 160:
                shown = shown[:160] + "..."
            print("     %s: %s.%s %s -> %s" % (user, interface, method, args, shown), flush=True)
        return result

    def bus_call(self, user, method, signature, args):
        return self.call(user, "/org/freedesktop/DBus", "org.freedesktop.DBus", method,
                         signature, args, dest="org.freedesktop.DBus")

    def open_session(self, user):
        return self.call(user, MANAGER, NAME, "Open", "(sqa{sv})",
                         "('127.0.0.1', %d, {'persistent': <true>})" % self.coap_port)

    def listen(self, user):
        listener = self.processes.spawn([sys.executable, self.client, self.address,
                                         "listen"], user=user, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        ready = json.loads(listener.stdout.readline())
        check("ready" in ready, "%s listens to every signal as %s" % (user, ready.get("ready")))
        return listener

    def peer(self, user):
        """A connection of @user that hears every signal the bus delivers
        to it and makes calls on request (see Peer)."""
        return Peer(self.processes.spawn([sys.executable, self.client, self.address,
                                          "listen"], user=user, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, text=True), user)

    def busctl(self, user, *args):
        argv = as_user(user) + ["busctl", "--address=" + self.address, "--json=short"] \
            + list(args)
        out = children.run(argv, capture_output=True, text=True, timeout=children.scaled(60), check=False)
        print("     %s: busctl %s -> %s" % (user, " ".join(args[:4]), out.stdout.strip()[:120]
                                              or out.stderr.strip()[:120]), flush=True)
        return json.loads(out.stdout) if out.returncode == 0 and out.stdout.strip() else None

    def monitor(self, user):
        """qcoapctl monitor run by @user; lines come from Peer-like reading."""
        process = self.processes.spawn(
            ["env", "LD_LIBRARY_PATH=" + self.tmp, self.qcoapctl, "--bus", self.address,
             "monitor"], user=user, stdout=subprocess.PIPE, text=True)
        return LineReader(process)

    def daemon_log_size(self):
        return os.path.getsize(self.daemon_log)

    def daemon_log_since(self, offset):
        with open(self.daemon_log, errors="replace") as f:
            f.seek(offset)
            return f.read()

    def sim_log_size(self):
        return os.path.getsize(self.sim_log)

    def sim_log_since(self, offset):
        with open(self.sim_log, errors="replace") as f:
            f.seek(offset)
            return f.read()

    def dump_logs(self):
        for path in (self.daemon_log, self.sim_log):
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    print("---- %s (last 60 lines) ----" % path)
                    print("".join(f.readlines()[-60:]))

    def close(self):
        self.processes.stop_all()
        shutil.rmtree(self.tmp, ignore_errors=True)


class LineReader:
    """The lines a process prints, read by a thread so that waits can time
    out."""

    def __init__(self, process):
        self.process = process
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        # Each line of the monitor begins with its time ("14:03:07.215 ").
        for line in self.process.stdout:
            self.lines.put(re.sub(r"^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} ", "", line.rstrip("\n")))
        self.lines.put(None)

    def next_line(self, timeout=20):
        return self._get(children.scaled(timeout))

    def _get(self, seconds):
        try:
            return self.lines.get(timeout=seconds)
        except queue.Empty:
            return None

    def expect(self, pattern, timeout=20):
        """Lines up to the first matching @pattern (a regex), or None."""
        end = time.monotonic() + children.scaled(timeout)
        seen = []
        while time.monotonic() < end:
            line = self._get(max(0.0, end - time.monotonic()))
            if line is None:
                break
            seen.append(line)
            if re.search(pattern, line):
                return seen
        print("     (no line matching /%s/; saw %r)" % (pattern, seen[-5:]), flush=True)
        return None

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


class Peer(LineReader):
    """A bus-client "listen" process: one connection of one user that
    records every signal it gets and makes calls to the daemon."""

    def __init__(self, process, user):
        super().__init__(process)
        self.user = user
        self.signals = []
        ready = json.loads(self.next_line())
        self.name = ready.get("ready")
        check(self.name is not None, "%s's connection listens to every signal as %s"
              % (user, self.name))

    def _take(self, line):
        message = json.loads(line)
        if "signal" in message:
            self.signals.append(message["signal"])
            return None
        return message

    def call(self, path, interface, method, signature="", args=""):
        """The reply of a call; every signal that came before it is in
        self.signals by then."""
        self.process.stdin.write(json.dumps([path, interface, method, signature, args]) + "\n")
        self.process.stdin.flush()
        while True:
            line = self.next_line(90)
            if line is None:
                result = {"error": "client-failed"}
                break
            result = self._take(line)
            if result is not None:
                break
        shown = json.dumps(result)
        print("     %s: %s.%s %s -> %s" % (self.user, interface, method, args,
                                            shown[:160] + ("..." if len(shown) > 160 else "")),
              flush=True)
        return result

    def session_signals(self, path, daemon):
        return [s for s in self.signals if s["path"] == path and s["sender"] == daemon]

    def close(self):
        """Leaves the bus; returns the signals that came until then."""
        self.process.stdin.close()
        for line in iter(lambda: self.next_line(10), None):
            self._take(line)
        self.process.wait(10)
        return self.signals


def session_path(result):
    reply = result.get("reply")
    return reply[0] if reply else None


def stop_listener(listener):
    listener.stdin.close()
    output = listener.stdout.read()
    listener.wait(10)
    return [json.loads(line)["signal"] for line in output.splitlines() if '"signal"' in line]


# ---- the checks ----------------------------------------------------------------

def check_ownership(env):
    print("== who owns the name")
    owner = env.bus_call("root", "GetNameOwner", "(s)", "('%s',)" % NAME)
    unique = owner["reply"][0]
    uid = env.bus_call("root", "GetConnectionUnixUser", "(s)", "('%s',)" % unique)
    check(uid.get("reply") == [pwd.getpwnam("qcoapd").pw_uid],
          "the name is owned by a connection of user qcoapd")
    for user in ("nobody", USER_A):
        result = env.bus_call(user, "RequestName", "(su)", "('%s', 4)" % NAME)
        check(result.get("error") == BUS_DENIED, "%s may not own %s" % (user, NAME))
    return unique


def check_nobody_refused(env):
    print("== nobody is refused by the bus")
    before = env.sim_log_size()
    calls = [
        (MANAGER, NAME, "Open", "(sqa{sv})", "('127.0.0.1', %d, {})" % env.coap_port),
        (MANAGER, NAME, "Request", "(sya(qv)aya{sv})",
         "('coap://127.0.0.1:%d/', 1, [], [], {})" % env.coap_port),
        (MANAGER, "org.freedesktop.DBus.Properties", "Get", "(ss)", "('%s', 'State')" % NAME),
        (MANAGER, "org.freedesktop.DBus.Properties", "GetAll", "(s)", "('%s',)" % NAME),
        (MANAGER, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", "", ""),
        (MANAGER, "org.freedesktop.DBus.Introspectable", "Introspect", "", ""),
        (MANAGER, "org.freedesktop.DBus.Peer", "Ping", "", ""),
    ]
    for path, interface, method, signature, args in calls:
        result = env.call("nobody", path, interface, method, signature, args)
        check(result.get("error") == BUS_DENIED,
              "nobody's %s.%s is refused by the bus" % (interface, method))
    qcoapctl = children.run(as_user("nobody") + [
        "env", "LD_LIBRARY_PATH=" + env.tmp, env.qcoapctl, "--bus", env.address, "status"],
        capture_output=True, text=True, timeout=children.scaled(60), check=False)
    check(qcoapctl.returncode == 8
          and "only root and members of group qcoapd may use qcoapd" in qcoapctl.stderr
          and "cannot reach" not in qcoapctl.stderr,
          "nobody's qcoapctl status exits 8 and says who may use qcoapd (%d: %s)"
          % (qcoapctl.returncode, qcoapctl.stderr.strip()[:100]))
    time.sleep(children.scaled(0.5))
    check(not coap_commands(env.sim_log_since(before)), "no AT command was sent for nobody")


def check_members_served(env, daemon):
    print("== root and group qcoapd are served; others receive none of their signals")
    stranger = env.listen("nobody")
    member = env.listen(USER_B)
    sessions = {}
    for user in ("root", USER_A):
        state = env.call(user, MANAGER, "org.freedesktop.DBus.Properties", "Get", "(ss)",
                         "('%s', 'State')" % NAME)
        check(state.get("reply") == ["ready"], "%s reads State" % user)
        path = session_path(env.open_session(user))
        if check(path is not None, "%s opens a session" % user):
            sessions[user] = path
    check(len(set(sessions.values())) == len(sessions), "the sessions are distinct objects")
    for user, path in sessions.items():
        response = env.call(user, path, SESSION_IFACE, "Request", "(ya(qv)aya{sv})",
                            "(1, [], [], {})")
        reply = response.get("reply")
        check(reply is not None and reply[0] == 69,
              "%s's GET / on its session is answered 2.05 (%s)" % (user, reply and reply[0]))
    for user, path in sessions.items():
        closed = env.call(user, path, SESSION_IFACE, "Close", "()", "()")
        check(closed.get("reply") == [], "%s closes its session" % user)
    time.sleep(children.scaled(0.5))
    heard_by_member = stop_listener(member)
    heard_by_stranger = stop_listener(stranger)
    from_daemon = lambda signals: [s for s in signals if s["sender"] == daemon]
    session_signals = lambda signals: [s for s in from_daemon(signals)
                                       if s["interface"] == SESSION_IFACE]
    # The broadcast ones (PropertiesChanged, InterfacesAdded) reach the member.
    check(len(from_daemon(heard_by_member)) > 0,
          "%s (group qcoapd) received %d broadcast signals of the daemon"
          % (USER_B, len(from_daemon(heard_by_member))))
    check(session_signals(heard_by_member) == [],
          "%s received none of the sessions' signals (%s)"
          % (USER_B, session_signals(heard_by_member)[:3]))
    check(from_daemon(heard_by_stranger) == [],
          "nobody received none of the daemon's signals (%d)"
          % len(from_daemon(heard_by_stranger)))


def check_other_user_denied(env):
    print("== a session belongs to its user")
    path = session_path(env.open_session(USER_A))
    if not check(path is not None, "%s opens a persistent session" % USER_A):
        return
    before = env.sim_log_size()
    calls = [
        ("Send", "(yya(qv)aya{sv})", "(0, 1, [], [], {})"),
        ("Request", "(ya(qv)aya{sv})", "(1, [], [], {})"),
        ("Close", "()", "()"),
    ]
    for method, signature, args in calls:
        result = env.call(USER_B, path, SESSION_IFACE, method, signature, args)
        check(result.get("error") == QCOAP_ERROR + "AccessDenied",
              "%s's %s on %s's session answers AccessDenied" % (USER_B, method, USER_A))
        check(bool(result.get("message")), "with a message: %s" % result.get("message"))
    time.sleep(children.scaled(0.5))
    traffic = env.sim_log_since(before)
    check(not coap_commands(traffic), "no AT command was sent for them (log: %r)" % traffic[-300:])
    before = env.sim_log_size()
    result = env.call("root", path, SESSION_IFACE, "Close", "()", "()")
    check(result.get("reply") == [], "root closes %s's session" % USER_A)
    time.sleep(children.scaled(0.3))
    check("QCOAPCLOSE" in env.sim_log_since(before), "and the modem was told AT+QCOAPCLOSE")


def check_command_root_only(env):
    print("== Command is root's")
    before = env.sim_log_size()
    for user in (USER_A, "nobody"):
        result = env.call(user, MANAGER, NAME, "Command", "(su)", "('AT+CSQ', 0)")
        check(result.get("error") == BUS_DENIED,
              "%s's Command is refused by the bus" % user)
    time.sleep(children.scaled(0.5))
    check("at-rx" not in env.sim_log_since(before), "no AT command was sent for them")
    result = env.call("root", MANAGER, NAME, "Command", "(su)", "('AT+CSQ', 0)")
    check(result.get("reply") == ["+CSQ: 25,99\nOK"], "root's AT+CSQ is answered: %r" % result)
    # The same method on the modem's own object.
    before = env.sim_log_size()
    for user in (USER_A, "nobody"):
        result = env.call(user, MODEM, MODEM_IFACE, "Command", "(su)", "('AT+CSQ', 0)")
        check(result.get("error") == BUS_DENIED,
              "%s's Command on %s is refused by the bus" % (user, MODEM))
    time.sleep(children.scaled(0.5))
    check("at-rx" not in env.sim_log_since(before), "no AT command was sent for them")
    result = env.call("root", MODEM, MODEM_IFACE, "Command", "(su)", "('AT+CSQ', 0)")
    check(result.get("reply") == ["+CSQ: 25,99\nOK"],
          "root's AT+CSQ on %s is answered: %r" % (MODEM, result))


def request_time(peer, path):
    return peer.call(path, SESSION_IFACE, "Request", "(ya(qv)aya{sv})",
                     "(1, [], [], {'uri-path': <'/time'>})")


def open_on(peer, env, options="{}"):
    return session_path(peer.call(MANAGER, NAME, "Open", "(sqa{sv})",
                                  "('127.0.0.1', %d, %s)" % (env.coap_port, options)))


def received(peer, path, daemon):
    return [s for s in peer.session_signals(path, daemon) if s["member"] == "Received"]


def check_listeners(env, daemon):
    print("== a session's signals reach its listeners only")
    owner = env.peer(USER_A)
    member = env.peer(USER_B)
    stranger = env.peer("nobody")
    admin = env.peer("root")
    path = open_on(owner, env)
    if not check(path is not None, "%s opens a session on its connection" % USER_A):
        return
    response = request_time(owner, path)
    payload = bytes(response.get("reply", [0, [], []])[2]).hex()
    heard = received(owner, path, daemon)
    check(len(heard) == 1 and heard[0]["payload"] == payload and payload != "",
          "%s's connection hears the Received of its GET, with the payload (%s)"
          % (USER_A, heard[:1]))
    # The member's sync point: the daemon's reply follows whatever it sent before.
    member.call(MANAGER, "org.freedesktop.DBus.Properties", "Get", "(ss)",
                "('%s', 'State')" % NAME)
    time.sleep(children.scaled(0.3))
    check(member.session_signals(path, daemon) == [],
          "%s (group qcoapd, a match rule for every signal) hears nothing of it" % USER_B)

    before = env.sim_log_size()
    result = member.call(path, SESSION_IFACE, "Listen")
    check(result.get("error") == QCOAP_ERROR + "AccessDenied",
          "%s's Listen on %s's session answers AccessDenied" % (USER_B, USER_A))
    time.sleep(children.scaled(0.3))
    check("at-rx" not in env.sim_log_since(before), "and no AT command was sent for it")

    check(admin.call(path, SESSION_IFACE, "Listen").get("reply") == [], "root's Listen works")
    request_time(owner, path)
    admin.call(MANAGER, "org.freedesktop.DBus.Properties", "Get", "(ss)", "('%s', 'State')" % NAME)
    time.sleep(children.scaled(0.3))
    check(len(received(admin, path, daemon)) == 1, "root then hears the session's Received")
    member.call(MANAGER, "org.freedesktop.DBus.Properties", "Get", "(ss)", "('%s', 'State')" % NAME)
    check(member.session_signals(path, daemon) == [], "%s still hears nothing" % USER_B)

    id_ = client_id_of(env, path)
    log_offset = env.daemon_log_size()
    admin.close()
    dropped = False
    end = time.monotonic() + children.scaled(5)
    while time.monotonic() < end:
        if re.search(r"Session %s: listener \(uid 0\b.*left the bus" % id_,
                     env.daemon_log_since(log_offset)):
            dropped = True
            break
        time.sleep(0.1)
    check(dropped, "root's connection, gone from the bus, is dropped as a listener")
    check(len(received(owner, path, daemon)) == 2, "%s heard both GETs" % USER_A)

    quiet = open_on(owner, env, "{'listen': <false>}")
    if check(quiet is not None, "%s opens a session with listen false" % USER_A):
        request_time(owner, quiet)
        check(owner.session_signals(quiet, daemon) == [],
              "it emits nothing, not even to its opener")
        check(owner.call(quiet, SESSION_IFACE, "Listen").get("reply") == [],
              "%s listens to it" % USER_A)
        request_time(owner, quiet)
        check(len(received(owner, quiet, daemon)) == 1, "and then hears its Received")
        owner.call(quiet, SESSION_IFACE, "Close", "()", "()")
    owner.call(path, SESSION_IFACE, "Close", "()", "()")
    time.sleep(children.scaled(0.5))
    member.close()
    heard_by_stranger = [s for s in stranger.close() if s["sender"] == daemon]
    check(heard_by_stranger == [], "nobody heard none of the daemon's signals (%d)"
          % len(heard_by_stranger))
    check([s for s in member.signals if s["interface"] == SESSION_IFACE] == [],
          "%s heard none of the sessions' signals in all" % USER_B)


def client_id_of(env, path):
    """The session's ClientId (its path has a number of its own)."""
    reply = env.call("root", path, "org.freedesktop.DBus.Properties", "Get", "(ss)",
                     "('%s', 'ClientId')" % SESSION_IFACE)
    return reply.get("reply", [None])[0]


def check_monitor_of_busctl_session(env):
    print("== qcoapctl monitor hears a persistent session opened with busctl")
    opened = env.busctl(USER_A, "call", NAME, MANAGER, NAME, "Open", "sqa{sv}", "127.0.0.1",
                        str(env.coap_port), "1", "persistent", "b", "true")
    path = opened and opened["data"][0]
    if not check(path is not None, "%s opens a persistent session with busctl" % USER_A):
        return
    # The modem's client ID; the object path need not say it.
    id_ = env.busctl(USER_A, "get-property", NAME, path, SESSION_IFACE, "ClientId")["data"]
    own = env.monitor(USER_A)
    other = env.monitor(USER_B)
    check(own.expect(r"^\[%s\] listening$" % id_) is not None,
          "%s's qcoapctl monitor listens to it" % USER_A)
    seen_by_other = other.expect(r"^monitoring ")
    check(seen_by_other is not None and not any("listening" in l for l in seen_by_other),
          "%s's monitor lists it but does not listen (%s)" % (USER_B, seen_by_other))
    env.busctl(USER_A, "call", NAME, path, SESSION_IFACE, "Request", "ya(qv)aya{sv}", "1", "0",
               "0", "1", "uri-path", "s", "/time")
    env.busctl(USER_A, "call", NAME, path, SESSION_IFACE, "Close")
    lines = own.expect(r"^\[%s\] session-removed: " % id_) or []
    check(any(re.match(r"^\[%s\] received mid .*: 2\.05 Content" % id_, l) for l in lines),
          "the monitor printed the session's Received")
    check("[%s] closed: closed" % id_ in lines, "and its Closed, with the reason")
    other_lines = other.expect(r"^\[%s\] session-removed: " % id_) or []
    check(not any("] received " in l for l in other_lines),
          "%s's monitor printed none of its signals" % USER_B)
    own.stop()
    other.stop()


def free_clients(env):
    result = env.call("root", MANAGER, "org.freedesktop.DBus.Properties", "Get", "(ss)",
                      "('%s', 'FreeClients')" % NAME, quiet=True)
    return result.get("reply", [None])[0]


def check_per_user_limit(env):
    print("== MaxClientsPerUser (default 4)")
    opened = []
    for i in range(4):
        path = session_path(env.open_session(USER_A))
        check(path is not None, "%s opens session %d of 4" % (USER_A, i + 1))
        if path:
            opened.append((USER_A, path))
    check(free_clients(env) == 2, "two client IDs are still free")
    result = env.open_session(USER_A)
    check(result.get("error") == QCOAP_ERROR + "NoFreeClient",
          "%s's fifth Open answers NoFreeClient" % USER_A)
    message = result.get("message", "")
    check(re.search(r"\b4\b", message) is not None,
          "and the message gives the limit: %s" % message)
    # Two users within their share must not lock root out: the last free
    # client ID is root's (ReservedForRoot=1).
    path = session_path(env.open_session(USER_B))
    check(path is not None, "%s can still open a session" % USER_B)
    if path:
        opened.append((USER_B, path))
    result = env.open_session(USER_B)
    check(result.get("error") == QCOAP_ERROR + "NoFreeClient",
          "%s's Open for the last free client ID answers NoFreeClient" % USER_B)
    check("ReservedForRoot" in result.get("message", ""),
          "and the message names ReservedForRoot: %s" % result.get("message", ""))
    path = session_path(env.open_session("root"))
    check(path is not None, "root can still open a session")
    if path:
        opened.append(("root", path))
    check(free_clients(env) == 0, "all six client IDs are in use")
    for user, path in opened:
        result = env.call(user, path, SESSION_IFACE, "Close", "()", "()")
        check(result.get("reply") == [], "%s closes %s" % (user, path))
    check(free_clients(env) == 6, "all six client IDs are free again")


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root to create users and run processes as them")
        return SKIP
    for tool in ("setpriv", "dbus-daemon", "coap-server-openssl"):
        if shutil.which(tool) is None:
            print("SKIP: %s is not installed" % tool)
            return SKIP
    if not users_ready():
        if os.environ.get(CREATE_USERS_ENV) != "1":
            print("SKIP: needs users qcoapd, %s and %s (members of group qcoapd), not all"
                  " there; with %s=1 this test creates them" % (USER_A, USER_B, CREATE_USERS_ENV))
            return SKIP
        if shutil.which("useradd") is None:
            print("SKIP: useradd is not installed")
            return SKIP
        ensure_users(os.environ["QCOAPD_SYSUSERS"])
    env = Environment()
    try:
        env.start_bus()
        env.start_coap_server()
        env.start_simulator()
        env.start_daemon()
        if not failures:
            daemon = check_ownership(env)
            check_nobody_refused(env)
            check_members_served(env, daemon)
            check_listeners(env, daemon)
            check_monitor_of_busctl_session(env)
            check_other_user_denied(env)
            check_command_root_only(env)
            check_per_user_limit(env)
        if failures:
            env.dump_logs()
    finally:
        env.close()
    return verdict("the bus and the daemon keep users apart")


if __name__ == "__main__":
    sys.exit(main())
