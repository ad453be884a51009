#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Evaluates data/77-qcoapd.rules for the ports of the modules it names and
for ports it must leave alone, with a small interpreter of the part of the
udev rule language the file uses (==, !=, =, +=, GOTO, LABEL; globs and |
alternatives in matches). A port the rule takes gets ID_MM_PORT_IGNORE=1,
the link bg96-at, group dialout and mode 0660; any other gets nothing.

Usage: check-udev-rule.py RULES_FILE
"""
import fnmatch
import re
import sys
from checks import check, verdict

TOKEN = re.compile(r'\s*([A-Z_]+(?:\{[A-Za-z0-9_]+\})?)\s*(==|!=|\+=|=)\s*"([^"]*)"\s*(,|$)')
MATCH_KEYS = ("ACTION", "SUBSYSTEM", "KERNEL")

# (what, device properties, taken?)
USB_PORT = {"ACTION": "add", "SUBSYSTEM": "tty", "KERNEL": "ttyUSB2", "ID_VENDOR_ID": "2c7c"}
CASES = [
    ("BG96 AT port", dict(USB_PORT, ID_MODEL_ID="0296", ID_USB_INTERFACE_NUM="02"), True),
    ("BG95 AT port", dict(USB_PORT, ID_MODEL_ID="0700", ID_USB_INTERFACE_NUM="02"), True),
    ("BG96 modem port", dict(USB_PORT, ID_MODEL_ID="0296", ID_USB_INTERFACE_NUM="03"), False),
    ("BG96 NMEA port", dict(USB_PORT, ID_MODEL_ID="0296", ID_USB_INTERFACE_NUM="01"), False),
    ("BG95 network", dict(USB_PORT, ID_MODEL_ID="0700", ID_USB_INTERFACE_NUM="03"), False),
    ("BG95-M3 (0203) AT port", dict(USB_PORT, ID_MODEL_ID="0203", ID_USB_INTERFACE_NUM="02"), True),
    ("BG95-M3 (0203) NMEA port", dict(USB_PORT, ID_MODEL_ID="0203", ID_USB_INTERFACE_NUM="01"),
     False),
    ("BG95-M3 (0203) ECM", dict(USB_PORT, ID_MODEL_ID="0203", ID_USB_INTERFACE_NUM="03"), False),
    ("EC25 AT port", dict(USB_PORT, ID_MODEL_ID="0125", ID_USB_INTERFACE_NUM="02"), False),
    ("other vendor", dict(USB_PORT, ID_VENDOR_ID="1bc7", ID_MODEL_ID="0296",
                          ID_USB_INTERFACE_NUM="02"), False),
    ("BG96 AT port removed", dict(USB_PORT, ACTION="remove", ID_MODEL_ID="0296",
                                  ID_USB_INTERFACE_NUM="02"), False),
    ("not a tty", dict(USB_PORT, SUBSYSTEM="usb", ID_MODEL_ID="0296",
                       ID_USB_INTERFACE_NUM="02"), False),
    ("a UART", {"ACTION": "add", "SUBSYSTEM": "tty", "KERNEL": "ttyS1"}, False),
]


def parse(path):
    """The rules as lists of (key, operator, value), continuations joined."""
    with open(path) as f:
        text = f.read().replace("\\\n", " ")
    rules = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        tokens, position = [], 0
        while position < len(line):
            token = TOKEN.match(line, position)
            if token is None:
                check(False, "rule line parses: %r" % line)
                return []
            tokens.append(token.groups()[:3])
            position = token.end()
        rules.append(tokens)
    return rules


def value_of(device, key):
    env = re.match(r"ENV\{(\w+)\}$", key)
    return device.get(env.group(1) if env else key, "")


def matches(device, key, operator, pattern):
    found = any(fnmatch.fnmatchcase(value_of(device, key), p) for p in pattern.split("|"))
    return found if operator == "==" else not found


def evaluate(rules, device):
    """What the rules assign to @device: ENV values, SYMLINK, GROUP, MODE."""
    result, index = {}, 0
    while index < len(rules):
        rule, index = rules[index], index + 1
        tests = [t for t in rule if t[1] in ("==", "!=")]
        if not all(matches(device, *t) for t in tests):
            continue
        for key, operator, value in rule:
            if key == "GOTO":
                labels = [i for i, r in enumerate(rules) if ("LABEL", "=", value) in r]
                check(len(labels) == 1, "GOTO %s has one LABEL" % value)
                index = labels[0] if labels else len(rules)
            elif key == "SYMLINK" and operator == "+=":
                result.setdefault("SYMLINK", []).append(value)
            elif operator == "=" and key != "LABEL":
                result[key] = value
    return result


def main():
    rules = parse(sys.argv[1])
    check(len(rules) > 0, "the rules file has rules")
    taken = {"ENV{ID_MM_PORT_IGNORE}": "1", "SYMLINK": ["bg96-at"], "GROUP": "dialout",
             "MODE": "0660"}
    for what, device, expected in CASES:
        result = evaluate(rules, device)
        check(result == (taken if expected else {}),
              "%s: %s" % (what, result if result else "left alone"))
    return verdict("the udev rule takes exactly the AT ports it names")


if __name__ == "__main__":
    sys.exit(main())
