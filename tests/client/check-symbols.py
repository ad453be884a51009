# SPDX-License-Identifier: MIT
"""Checks that the dynamic symbols libqcoap-glib.so defines are exactly the
names its version script lists, each in the version node that lists it:
a symbol missing from the library breaks its users, one the script does not
list is API nobody meant to publish.

Usage: check-symbols.py READELF VERSION_SCRIPT LIBRARY
"""
import re
import subprocess
import sys


def script_symbols(path):
    """{name: version node} of the names under each node's global: part."""
    text = re.sub(r"/\*.*?\*/", "", open(path, encoding="utf-8").read(), flags=re.S)
    nodes = re.findall(r"([A-Za-z0-9_.]+)\s*\{(.*?)\}\s*([A-Za-z0-9_.]*)\s*;", text, flags=re.S)
    if not nodes or "local:" not in nodes[0][1]:
        sys.exit(f"{path}: no version node with global: and local: parts")
    listed = {}
    for node, body, _parent in nodes:
        globals_part = re.search(r"global:(.*?)(?:local:|$)", body, flags=re.S)
        if globals_part is None:
            sys.exit(f"{path}: version node {node} has no global: part")
        for name in (name.strip() for name in globals_part.group(1).split(";")):
            if not name:
                continue
            if any(c in name for c in "*?["):
                sys.exit(f"{path}: a wildcard instead of names: {name}")
            if name in listed:
                sys.exit(f"{path}: {name} in both {listed[name]} and {node}")
            listed[name] = node
    return listed


def library_symbols(readelf, path):
    """The defined dynamic symbols, as {name: version}."""
    out = subprocess.run([readelf, "--dyn-syms", "--wide", path], capture_output=True,
                         text=True, check=True).stdout
    symbols = {}
    for line in out.splitlines():
        fields = line.split()
        # Num: Value Size Type Bind Vis Ndx Name
        if len(fields) < 8 or not fields[0].rstrip(":").isdigit() or fields[6] == "UND":
            continue
        if fields[3] == "SECTION" or fields[4] == "LOCAL":
            continue
        name, _, version = fields[7].partition("@")
        symbols[name] = version.lstrip("@")
    return symbols


def main():
    readelf, script, library = sys.argv[1:4]
    listed = script_symbols(script)
    exported = library_symbols(readelf, library)
    # Each version node is also an absolute symbol of its own name.
    for node in set(listed.values()):
        exported.pop(node, None)
    failures = 0
    for name in sorted(listed.keys() - exported.keys()):
        print(f"FAIL {name}: listed in the version script, not exported")
        failures += 1
    for name in sorted(exported.keys() - listed.keys()):
        print(f"FAIL {name}: exported, not listed in the version script")
        failures += 1
    for name in sorted(listed.keys() & exported.keys()):
        if exported[name] != listed[name]:
            print(f"FAIL {name}: version {exported[name] or 'none'}, not {listed[name]}")
            failures += 1
    print(f"{len(exported)} symbols exported, {len(listed)} listed, {failures} differences")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
