#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Runs `systemd-analyze verify` on the unit meson generated.

verify checks that ExecStart names an executable and that the manual pages
of Documentation= exist, so the unit is verified as installed: a copy whose
ExecStart is the program just built, with the built manual pages on MANPATH.
A second copy whose ExecStart is missing must be rejected, which shows that
the check can fail.

Usage: check-unit-verify.py UNIT BINARY MANPAGE...
"""
import os
import re
import shutil
import sys
import tempfile

import children


def verify(path, manpath):
    env = dict(os.environ, MANPATH=manpath, SYSTEMD_LOG_LEVEL="notice")
    run = children.run(["systemd-analyze", "verify", path],
                       capture_output=True, text=True, env=env, check=False)
    return run.returncode, (run.stdout + run.stderr).strip()


def with_exec_start(text, binary):
    new, count = re.subn(r"^ExecStart=\S+", "ExecStart=" + binary, text, flags=re.M)
    if count != 1:
        raise SystemExit("FAIL: expected exactly one ExecStart= line, found %d" % count)
    return new


def main():
    unit, binary, manpages = sys.argv[1], sys.argv[2], sys.argv[3:]
    program = os.path.basename(binary)
    name = os.path.basename(unit)
    with open(unit) as f:
        text = f.read()
    exec_start = re.search(r"^ExecStart=(\S+)", text, flags=re.M).group(1)
    print("installed ExecStart=%s" % exec_start)
    if not exec_start.endswith("/" + program) or not os.path.isabs(exec_start):
        print("FAIL: ExecStart is not an absolute path to %s" % program)
        return 1

    with tempfile.TemporaryDirectory() as tmp:
        for page in manpages:
            section = page.rsplit(".", 1)[1]
            os.makedirs(os.path.join(tmp, "man", "man" + section), exist_ok=True)
            shutil.copy(page, os.path.join(tmp, "man", "man" + section))
        manpath = os.path.join(tmp, "man")

        good = os.path.join(tmp, "good", name)
        os.makedirs(os.path.dirname(good))
        with open(good, "w") as f:
            f.write(with_exec_start(text, os.path.abspath(binary)))
        status, output = verify(good, manpath)
        print("systemd-analyze verify (ExecStart=%s): exit %d %s"
              % (binary, status, output))
        if status != 0 or output:
            print("FAIL: verify did not accept the unit silently")
            return 1

        bad = os.path.join(tmp, "bad", name)
        os.makedirs(os.path.dirname(bad))
        with open(bad, "w") as f:
            f.write(with_exec_start(text, os.path.join(tmp, "missing", program)))
        status, output = verify(bad, manpath)
        print("systemd-analyze verify (ExecStart missing): exit %d %s" % (status, output))
        if status == 0:
            print("FAIL: verify accepted a unit whose ExecStart does not exist")
            return 1
    print("PASS: systemd-analyze verify accepts the unit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
