# SPDX-License-Identifier: MIT
"""How the Python tests start programs, as harness_launcher_new() in
tests/harness/harness.h does for the C ones: every child gets
PR_SET_PDEATHSIG(SIGKILL), so a test that dies, or is killed at its
timeout, leaves no dbus-daemon, simulator or daemon running.

popen() and run() take what subprocess.Popen() and subprocess.run() take.
scaled() stretches a deadline as harness_scale_ms() does in C.
"""
import ctypes
import os
import signal
import subprocess

_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1
# Set by tests/check.sh with meson test --timeout-multiplier, which meson
# does not pass on to the tests themselves.
TIMEOUT_MULTIPLIER_ENV = "QCOAPD_TEST_TIMEOUT_MULTIPLIER"


def scaled(seconds):
    """@seconds times $QCOAPD_TEST_TIMEOUT_MULTIPLIER (1 when unset or below
    1): a deadline for something expected, slower under sanitizers."""
    try:
        multiplier = float(os.environ.get(TIMEOUT_MULTIPLIER_ENV, "1"))
    except ValueError:
        multiplier = 1.0
    return seconds * max(multiplier, 1.0)


def _dying_with(parent):
    def setup():
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        # The parent may have died before the line above: nobody would send
        # the signal then.
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
    return setup


def popen(argv, **kwargs):
    return subprocess.Popen(argv, preexec_fn=_dying_with(os.getpid()), **kwargs)


def run(argv, **kwargs):
    return subprocess.run(argv, preexec_fn=_dying_with(os.getpid()), **kwargs)
