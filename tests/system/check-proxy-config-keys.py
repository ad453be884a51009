#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Checks that qcoap-proxy's configuration keys agree in three places: the
keys the proxy reads (the tables proxy_keys[] and route_keys[] of
client/proxy/qcoap-proxy-config.c), the installed
/etc/qcoapd/qcoap-proxy.conf and the CONFIGURATION section of
qcoap-proxy(8).

The manual documents every key of both groups. The default file shows
every key of [proxy] with its default; its example routes use only keys
the proxy reads (one route cannot show both PskKey= and PskKeyFile=).

Usage: check-proxy-config-keys.py PROXY_CONFIG_C DEFAULT_CONFIG MAN_PAGE
"""
import re
import sys
from checks import check, verdict


def code_keys(path):
    """The rows { "Key", KEY_... } of proxy_keys[] and route_keys[]."""
    with open(path) as f:
        text = f.read()
    keys = set()
    for group, table in (("proxy", "proxy_keys"), ("route", "route_keys")):
        rows = re.search(table + r"\[\]\s*=\s*\{(.*?)\n\};", text, re.S)
        check(rows is not None, "qcoap-proxy-config.c has its table %s[]" % table)
        if rows:
            keys |= {(group, k) for k in re.findall(r'\{\s*"(\w+)"\s*,\s*KEY_', rows.group(1))}
    return keys


def default_file_keys(path):
    """#Key= lines under [proxy] and under the commented #[route NAME]."""
    keys, group = set(), None
    with open(path) as f:
        for line in f:
            heading = re.match(r"^#?\[(proxy|route)\b[^\]]*\]", line)
            if heading:
                group = heading.group(1)
            default = re.match(r"^#(\w+)=", line)
            if default and group:
                keys.add((group, default.group(1)))
            if re.match(r"^\w+=", line):
                check(False, "the default file sets nothing, only shows: %r" % line.strip())
    return keys


def man_keys(path):
    """.B/.BI Key= under .SS [proxy] and .SS [route NAME]."""
    keys, group = set(), None
    with open(path) as f:
        for line in f:
            section = re.match(r"^\.SS \[(proxy|route)\b", line)
            if section:
                group = section.group(1)
            elif line.startswith(".SS") or line.startswith(".SH"):
                group = None
            key = re.match(r"^\.B[IR]? (\w+)=", line)
            if key and group:
                keys.add((group, key.group(1)))
    return keys


def main():
    code, config, man = sys.argv[1:4]
    read = code_keys(code)
    shown = default_file_keys(config)
    documented = man_keys(man)
    show = lambda keys: ", ".join("[%s] %s" % k for k in sorted(keys))
    print("the proxy reads:   " + show(read))
    print("default file has:  " + show(shown))
    print("manual documents:  " + show(documented))
    proxy = lambda keys: {k for k in keys if k[0] == "proxy"}
    check(len(proxy(read)) > 0 and len(read - proxy(read)) > 0, "the proxy reads keys of both groups")
    check(read == documented, "qcoap-proxy(8) documents exactly the keys the proxy reads")
    check(proxy(read) == proxy(shown), "the default file shows every key of [proxy]")
    check(shown <= read, "the default file shows only keys the proxy reads: %s"
          % show(shown - read))
    return verdict("qcoap-proxy's configuration keys agree")


if __name__ == "__main__":
    sys.exit(main())
