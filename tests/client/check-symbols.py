# SPDX-License-Identifier: MIT
"""Checks that the dynamic symbols libqcoap-glib.so defines are exactly the
names its version script lists, each in the version node the script names:
a symbol missing from the library breaks its users, one the script does not
list is API nobody meant to publish.

Usage: check-symbols.py READELF VERSION_SCRIPT LIBRARY
"""
import re
import subprocess
import sys


def script_symbols(path):
    """The version node and the names under its global: part."""
    text = re.sub(r"/\*.*?\*/", "", open(path, encoding="utf-8").read(), flags=re.S)
    node = re.search(r"^\s*([A-Za-z0-9_.]+)\s*\{", text, flags=re.M)
    globals_part = re.search(r"global:(.*?)local:", text, flags=re.S)
    if node is None or globals_part is None:
        sys.exit(f"{path}: no version node with global: and local: parts")
    names = [name.strip() for name in globals_part.group(1).split(";") if name.strip()]
    wildcards = [name for name in names if any(c in name for c in "*?[")]
    if wildcards:
        sys.exit(f"{path}: wildcards instead of names: {', '.join(wildcards)}")
    return node.group(1), set(names)


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
    node, listed = script_symbols(script)
    exported = library_symbols(readelf, library)
    # The version node itself is an absolute symbol of its own name.
    exported.pop(node, None)
    failures = 0
    for name in sorted(listed - exported.keys()):
        print(f"FAIL {name}: listed in the version script, not exported")
        failures += 1
    for name in sorted(exported.keys() - listed):
        print(f"FAIL {name}: exported, not listed in the version script")
        failures += 1
    for name in sorted(listed & exported.keys()):
        if exported[name] != node:
            print(f"FAIL {name}: version {exported[name] or 'none'}, not {node}")
            failures += 1
    print(f"{len(exported)} symbols exported, {len(listed)} listed, {failures} differences")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
