# SPDX-License-Identifier: MIT
"""What every system check shares: each check prints "ok" or "FAIL" and
its message, and the verdict counts the failures."""

failures = []


def check(condition, message):
    """Prints the check's outcome; returns @condition."""
    print(("ok   " if condition else "FAIL ") + message, flush=True)
    if not condition:
        failures.append(message)
    return condition


def verdict(passed):
    """The exit status: 1 after saying how many checks failed, else 0 after
    "PASS: " and @passed."""
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("PASS: " + passed)
    return 0
