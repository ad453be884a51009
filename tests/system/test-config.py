#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Runs the qcoapd binary against configuration files and command lines:
every unknown group or key and every bad value stops it with exit status 2
and one line "<file>: key [group] Key: what is wrong"; --check-config reads
and checks a file and exits 0 or 2; the installed default file, uncommented,
is valid; LogLevel= decides what is logged (--verbose overrides it); --help
prints "[OPTION…] — …" as UTF-8 even in the C locale.

Usage: test-config.py DEFAULT_CONFIG   (the daemon is $QCOAPD)
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import children
from checks import check, verdict

QCOAPD = os.environ["QCOAPD"]
TIMEOUT = children.scaled(10)

# (file contents, what the message must say after "qcoapd.conf: ")
BAD_FILES = [
    ("[modem]\nBaud=fast\n", 'key [modem] Baud: "fast" is not a number'),
    ("[modem]\nBaud=1234\n", "key [modem] Baud: 1234 is not a line speed"),
    ("[modem]\nBaud=\n", 'key [modem] Baud: "" is not a number'),
    ("[modem]\nDevice=ttyUSB2\n", 'key [modem] Device: "ttyUSB2" is not an absolute path'),
    ("[modem]\nFlowControl=xonxoff\n",
     'key [modem] FlowControl: "xonxoff" is neither none nor rtscts'),
    ("[modem]\nSpeed=9600\n", "key [modem] Speed: unknown key; [modem] has Device, Baud"),
    ("[modem]\nbaud=9600\n", "key [modem] baud: unknown key"),
    ("[service]\nMaxClientsPerUser=9\n",
     "key [service] MaxClientsPerUser: 9 is out of range; use 1 to 6"),
    ("[service]\nMaxClientsPerUser=0\n", "key [service] MaxClientsPerUser: 0 is out of range"),
    ("[service]\nMaxClientsPerUser=four\n",
     'key [service] MaxClientsPerUser: "four" is not a number'),
    ("[service]\nQueueLimit=-1\n", 'key [service] QueueLimit: "-1" is not a number'),
    ("[service]\nQueueLimit=1025\n", "key [service] QueueLimit: 1025 is out of range"),
    ("[service]\nLogLevel=loud\n",
     'key [service] LogLevel: "loud" is not one of error, warning, info, debug'),
    ("[service]\nLogLevel=DEBUG\n", 'key [service] LogLevel: "DEBUG" is not one of'),
    ("[dtls]\nCipherSuite=00AE\n", 'key [dtls] CipherSuite: "00AE" is not a cipher suite'),
    ("[dtls]\nCipherSuite=0x00GG\n",
     "key [dtls] CipherSuite: \"0x00GG\" is not a cipher suite: 'G' is not a hexadecimal digit"),
    ("[serial]\nBaud=9600\n",
     "group [serial]: unknown group; the groups are [modem], [service], [dtls]"),
    ("[modem]\nBaud=9600\n[Modem]\n", "group [Modem]: unknown group"),
    # A later mistake is found after good keys.
    ("[modem]\nBaud=9600\nDevice=/dev/ttyUSB2\n[service]\nQueueLimit=x\n",
     'key [service] QueueLimit: "x" is not a number'),
    ("Baud=9600\n", "Key file does not start with a group"),
    ("[context 17]\nAPN=iot\n",
     "group [context 17]: a data context is [context N] with N from 1 to 16"),
    ("[context 0]\nAPN=iot\n", "group [context 0]: a data context is [context N]"),
    ("[context]\nAPN=iot\n", "group [context]: a data context is [context N]"),
    ("[context 1]\nIpType=ipv5\n",
     'key [context 1] IpType: "ipv5" is not one of ipv4, ipv6, ipv4v6'),
    ("[context 2]\nAuthentication=md5\n",
     'key [context 2] Authentication: "md5" is not one of none, pap, chap, pap-or-chap'),
    ("[context 1]\nAPN=%s\n" % ("a" * 101),
     "key [context 1] APN: the value is longer than 100 bytes"),
    # The value of a bad password is not repeated (see SECRET below).
    ('[context 1]\nPassword=Sekr"t-42\n',
     "key [context 1] Password: the value holds a quote or a control character"),
    ("[context 1]\nPin=1234\n", "key [context 1] Pin: unknown key; [context 1] has APN"),
    ("[network]\nSignalInterval=86401\n",
     "key [network] SignalInterval: 86401 is out of range; use 0 to 86400"),
    # Several modems.
    ("[modem a b]\nDevice=/dev/ttyUSB2\n", "group [modem a b]: a modem is [modem NAME]"),
    ("[modem a/b]\nDevice=/dev/ttyUSB2\n", "group [modem a/b]: a modem is [modem NAME]"),
    ("[modem %s]\nDevice=/dev/ttyUSB2\n" % ("m" * 33),
     "group [modem %s]: a modem is [modem NAME], NAME of 1 to 32" % ("m" * 33)),
    ("[modem a context 17]\nAPN=iot\n", "group [modem a context 17]: a data context is"),
    ("[modem a]\nDevice=/dev/ttyUSB2\n[modem b]\nDevice=/dev/ttyUSB2\n",
     'key [modem b] Device: "/dev/ttyUSB2" is the device of the modem a too'),
    ("[modem a]\nSpeed=1\n", "key [modem a] Speed: unknown key"),
    ("".join("[modem m%d]\nDevice=/dev/ttyUSB%d\n" % (i, i) for i in range(9)),
     "group [modem m8]: qcoapd drives at most 8 modems"),
    ("[service]\nFailoverDelay=3601\n",
     "key [service] FailoverDelay: 3601 is out of range; use 0 to 3600"),
]

# A password from BAD_FILES that no message may show.
SECRET = 'Sekr"t-42'

GOOD_FILES = [
    "",
    "# only a comment\n",
    "[modem]\nDevice=/dev/ttyS1\nBaud=921600\nFlowControl=rtscts\n"
    "[service]\nMaxClientsPerUser=6\nQueueLimit=1024\nLogLevel=debug\n"
    "[dtls]\nCipherSuite=0x00ae\n",
    "[service]\nLogLevel=error\n[dtls]\nCipherSuite=\n",
    "[network]\nSignalInterval=0\n[context 1]\nAPN=iot.example\nUsername=gw\nPassword=s3cret\n"
    "Authentication=pap-or-chap\nIpType=ipv4v6\n[context 16]\nAPN=\n",
    "[modem]\nDevice=/dev/ttyUSB2\n[modem backup]\nDevice=/dev/ttyUSB6\nBaud=9600\n"
    "[modem backup context 1]\nAPN=other.example\n[service]\nFailoverDelay=0\n",
]


def run(args, env=None):
    return children.run([QCOAPD] + args, capture_output=True, text=True, timeout=TIMEOUT,
                        env=env)


def write_config(directory, text):
    path = os.path.join(directory, "qcoapd.conf")
    with open(path, "w") as f:
        f.write(text)
    return path


def uncommented(path):
    """The installed file with every commented default turned into a key."""
    with open(path) as f:
        return "".join(re.sub(r"^#(\w+=)", r"\1", line) for line in f)


def test_bad_files(directory):
    for text, expected in BAD_FILES:
        path = write_config(directory, text)
        for args in (["--check-config", "--config=" + path], ["--config=" + path]):
            result = run(args)
            line = "qcoapd: %s: %s" % (path, expected)
            check(result.returncode == 2 and result.stderr.startswith(line),
                  "%r with %s: exit %d, %r" % (text, args[0], result.returncode,
                                               result.stderr.strip()))
            check(result.stderr.count("\n") == 1 and result.stdout == "",
                  "one line on stderr, nothing on stdout")
            check(SECRET not in result.stderr, "the message does not show the password")


def test_good_files(directory, default_config):
    for text in GOOD_FILES + [uncommented(default_config)]:
        path = write_config(directory, text)
        result = run(["--check-config", "--config=" + path])
        check(result.returncode == 0 and result.stdout == "%s: valid\n" % path
              and result.stderr == "", "%r is valid: exit %d, %r %r"
              % (text[:60], result.returncode, result.stdout, result.stderr))
    result = run(["--check-config", "--config=" + os.path.join(directory, "missing.conf")])
    check(result.returncode == 2 and "No such file" in result.stderr,
          "a file named with --config must exist: exit %d" % result.returncode)


def test_command_line():
    for args, expected in ((["--baud=1234"], "--baud: 1234 is not a line speed"),
                           (["--baud=-5"], "--baud: not a line speed"),
                           (["--nonsense"], "Unknown option --nonsense"),
                           (["extra"], 'unexpected argument "extra"'),
                           (["--session", "--bus=unix:path=/x"], "exclude each other")):
        result = run(args)
        check(result.returncode == 2 and expected in result.stderr,
              "%s: exit %d, %r" % (args, result.returncode, result.stderr.strip()))
    env = dict(os.environ, LC_ALL="C", LANG="C")
    result = run(["--help"], env=env)
    usage = "qcoapd [OPTION…] — share a Quectel modem's CoAP client over D-Bus"
    check(result.returncode == 0 and usage in result.stdout and "?" not in result.stdout,
          "--help in the C locale: %r" % result.stdout.splitlines()[:2])
    check("--check-config" in result.stdout, "--help lists --check-config")


def daemon_log(directory, bus_address, config_text, extra_args):
    """What the daemon logs in its first second, with no modem."""
    path = write_config(directory, config_text)
    daemon = children.popen(
        [QCOAPD, "--bus=" + bus_address, "--device=" + os.path.join(directory, "no-modem"),
         "--config=" + path] + extra_args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    time.sleep(1)
    daemon.send_signal(signal.SIGTERM)
    output, _ = daemon.communicate(timeout=TIMEOUT)
    return output


def test_log_level(directory):
    dbus_daemon = shutil.which("dbus-daemon")
    if dbus_daemon is None:
        print("skip LogLevel: no dbus-daemon")
        return
    socket = os.path.join(directory, "bus")
    bus = children.popen([dbus_daemon, "--session", "--nofork", "--print-address=1",
                          "--address=unix:path=" + socket], stdout=subprocess.PIPE, text=True)
    try:
        address = bus.stdout.readline().strip()
        info = daemon_log(directory, address, "[service]\nLogLevel=info\n", [])
        warning = daemon_log(directory, address, "[service]\nLogLevel=warning\n", [])
        verbose = daemon_log(directory, address, "[service]\nLogLevel=error\n", ["--verbose"])
    finally:
        bus.terminate()
        bus.wait(timeout=TIMEOUT)
    check("qcoapd[info]: Owning org.qcoapd.CoAP1" in info, "LogLevel=info logs information")
    check("[info]" not in warning, "LogLevel=warning leaves information out: %r" % warning)
    check("qcoapd[info]: Owning org.qcoapd.CoAP1" in verbose,
          "--verbose logs more than LogLevel=error")


def main():
    default_config = sys.argv[1]
    directory = tempfile.mkdtemp(prefix="qcoapd-config-test-")
    try:
        test_bad_files(directory)
        test_good_files(directory, default_config)
        test_command_line()
        test_log_level(directory)
    finally:
        shutil.rmtree(directory)
    return verdict("configuration and command line")


if __name__ == "__main__":
    sys.exit(main())
