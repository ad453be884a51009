#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Applies the sysusers.d entry with `systemd-sysusers --root` to a scratch
root holding only root's user and the dialout and nogroup groups, and checks
the result: a system user qcoapd with a group of its own, no login shell,
and membership in dialout. With the proxy's entry as well, both are applied
as systemd-sysusers does at boot, and user qcoap-proxy must come out a
system user with a group of its own, in group qcoapd.

Usage: check-sysusers.py SYSUSERS_FILE [PROXY_SYSUSERS_FILE]
"""
import os
import shutil
import sys
import tempfile

import children
from checks import check, verdict


def table(path):
    with open(path) as f:
        return {line.split(":")[0]: line.rstrip("\n").split(":") for line in f if line.strip()}


def check_proxy_user(users, groups):
    user = users.get("qcoap-proxy")
    check(user is not None, "user qcoap-proxy is created")
    if user is None:
        return
    print("     " + ":".join(user))
    check(0 < int(user[2]) < 1000, "qcoap-proxy is a system user (uid %s)" % user[2])
    check(user[6].endswith("nologin"), "qcoap-proxy has no login shell (%s)" % user[6])
    group = groups.get("qcoap-proxy")
    check(group is not None and group[2] == user[3],
          "qcoap-proxy's primary group is group qcoap-proxy")
    check("qcoap-proxy" in groups["qcoapd"][3].split(","),
          "qcoap-proxy is a member of qcoapd, whom the bus lets call qcoapd")
    check(groups["qcoapd"][2] == users["qcoapd"][3], "group qcoapd is still qcoapd's own")


def main():
    entry = os.path.abspath(sys.argv[1])
    proxy_entry = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None
    with tempfile.TemporaryDirectory() as root:
        etc = os.path.join(root, "etc")
        os.makedirs(etc)
        with open(os.path.join(etc, "passwd"), "w") as f:
            f.write("root:x:0:0:root:/root:/bin/sh\n")
        with open(os.path.join(etc, "group"), "w") as f:
            f.write("root:x:0:\ndialout:x:20:\nnogroup:x:65534:\n")
        # sysusers reads the files by the names they are installed under,
        # in the order of those names.
        installed = [os.path.join(root, "qcoapd.conf")]
        shutil.copy(entry, installed[0])
        if proxy_entry:
            installed.insert(0, os.path.join(root, "qcoap-proxy.conf"))
            shutil.copy(proxy_entry, installed[0])
        run = children.run(["systemd-sysusers", "--root=" + root] + installed,
                           capture_output=True, text=True, check=False)
        print(run.stdout + run.stderr)
        check(run.returncode == 0, "systemd-sysusers accepts the entry")

        users, groups = table(os.path.join(etc, "passwd")), table(os.path.join(etc, "group"))
        user = users.get("qcoapd")
        check(user is not None, "user qcoapd is created")
        if user is None:
            return 1
        print("     " + ":".join(user))
        check(0 < int(user[2]) < 1000, "qcoapd is a system user (uid %s)" % user[2])
        check(user[6].endswith("nologin"), "qcoapd has no login shell (%s)" % user[6])
        group = groups.get("qcoapd")
        check(group is not None and group[2] == user[3],
              "qcoapd's primary group is group qcoapd")
        check("qcoapd" in groups["dialout"][3].split(","), "qcoapd is a member of dialout")
        check(groups["dialout"][2] == "20", "dialout keeps its gid")
        if proxy_entry:
            check_proxy_user(users, groups)
    return verdict("the sysusers entry makes user qcoapd as intended")


if __name__ == "__main__":
    sys.exit(main())
