#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Checks that the configuration keys agree in three places: the keys the
daemon reads (the rows of the key table in daemon/config.c), the commented
defaults of the installed /etc/qcoapd/qcoapd.conf, and the sections of
qcoapd.conf(5). Also checks that the default file, once uncommented, is a
valid key file.

Usage: check-config-keys.py DAEMON_CONFIG_C DEFAULT_CONFIG MAN_PAGE
"""
import configparser
import re
import sys
from checks import check, verdict


def daemon_keys(path):
    """The rows { "group", "Key", read_..., ... } of the table config_keys[]."""
    with open(path) as f:
        text = f.read()
    table = re.search(r"config_keys\[\]\s*=\s*\{(.*?)\n\};", text, re.S)
    check(table is not None, "daemon/config.c has its table config_keys[]")
    if table is None:
        return set()
    return set(re.findall(r'\{\s*"(\w+)"\s*,\s*"(\w+)"\s*,\s*read_\w+', table.group(1)))


def config_keys(path):
    keys, group, uncommented = set(), None, []
    with open(path) as f:
        for line in f:
            # [context 1] stands for the groups [context N].
            heading = re.match(r"^\[(\w+)(?: \d+)?\]", line)
            if heading:
                group = heading.group(1)
            default = re.match(r"^#(\w+)=(.*)$", line)
            if default and group:
                keys.add((group, default.group(1)))
                uncommented.append("%s=%s\n" % (default.group(1), default.group(2)))
            elif not line.startswith("#"):
                uncommented.append(line)
            if re.match(r"^\w+=", line):
                check(False, "the default file sets nothing, only shows defaults: %r"
                      % line.strip())
    return keys, "".join(uncommented)


def man_keys(path):
    keys, group = set(), None
    with open(path) as f:
        for line in f:
            section = re.match(r"^\.SH \[(\w+)(?: N)?\]", line)
            if section:
                group = section.group(1)
            elif line.startswith(".SH"):
                group = None
            key = re.match(r"^\.B[IR]? (\w+)=", line)
            if key and group:
                keys.add((group, key.group(1)))
    return keys


def main():
    code, config, man = sys.argv[1:4]
    read = daemon_keys(code)
    listed, uncommented = config_keys(config)
    documented = man_keys(man)
    show = lambda keys: ", ".join("[%s] %s" % k for k in sorted(keys))
    print("daemon reads:      " + show(read))
    print("default file has:  " + show(listed))
    print("manual documents:  " + show(documented))
    check(len(read) > 0, "the daemon reads some keys")
    check(read == listed, "the default file lists exactly the keys the daemon reads")
    check(read == documented, "qcoapd.conf(5) documents exactly the keys the daemon reads")
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    try:
        parser.read_string(uncommented)
        parsed = {(g.split()[0], k) for g in parser.sections() for k in parser[g]}
        check(parsed == listed, "the uncommented default file parses with every key")
    except configparser.Error as error:
        check(False, "the uncommented default file parses: %s" % error)
    return verdict("configuration keys agree")


if __name__ == "__main__":
    sys.exit(main())
