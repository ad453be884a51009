#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The Python package installs with pip on a Debian system, offline, against
the distribution's python3-gi (the package lists no dependency pip would
build from source), and imports from where pip put it."""
import os
import subprocess
import sys
import tempfile

SKIP = 77


def main():
    package = sys.argv[1]
    if subprocess.run([sys.executable, "-m", "pip", "--version"],
                      capture_output=True).returncode != 0:
        print("pip is not installed (Debian: python3-pip); nothing to test")
        return SKIP
    with tempfile.TemporaryDirectory() as target:
        install = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-index",
             "--disable-pip-version-check", "--target", target, package],
            capture_output=True, text=True)
        if install.returncode != 0:
            print(install.stdout, install.stderr)
            print("FAIL pip install", package)
            return 1
        imported = subprocess.run(
            [sys.executable, "-c", "import qcoap, os; print(os.path.dirname(qcoap.__file__))"],
            capture_output=True, text=True, cwd=target,
            env=dict(os.environ, PYTHONPATH=target))
        where = imported.stdout.strip()
        if imported.returncode != 0 or not where.startswith(target):
            print(imported.stdout, imported.stderr)
            print("FAIL the installed package does not import from", target)
            return 1
    print("ok pip installs the package offline and it imports")
    return 0


if __name__ == "__main__":
    sys.exit(main())
