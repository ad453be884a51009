#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Rates the installed systemd unit with `systemd-analyze security --offline`
and fails when its exposure score is above the limit (lower is safer).

Usage: check-unit-security.py UNIT [LIMIT]
"""
import re
import sys

import children

LIMIT_DEFAULT = 1.0


def main():
    unit = sys.argv[1]
    limit = float(sys.argv[2]) if len(sys.argv) > 2 else LIMIT_DEFAULT
    run = children.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager", unit],
        capture_output=True, text=True, check=False)
    print(run.stdout)
    if run.stderr:
        print(run.stderr, file=sys.stderr)
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+) (\w+)", run.stdout)
    if match is None:
        print("FAIL: no overall exposure level in the output (exit status %d)"
              % run.returncode)
        return 1
    score = float(match.group(1))
    print("systemd-analyze security --offline=true: exposure %.1f (%s), limit %.1f"
          % (score, match.group(2), limit))
    if score > limit:
        print("FAIL: %s is rated %.1f, above %.1f" % (unit, score, limit))
        return 1
    print("PASS: exposure %.1f <= %.1f" % (score, limit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
