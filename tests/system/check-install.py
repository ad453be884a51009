#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Checks what `meson install --destdir` puts where.

1. The build under test is installed whole into a scratch DESTDIR: each of
   qcoapd's system files must be at the place that pkg-config of systemd,
   udev and dbus-1 names (looked up here, independently of data/meson.build),
   with the right mode and content, and the unit's ExecStart must name the
   installed daemon.
2. The source tree is configured again with Debian's layout (--prefix=/usr,
   which makes sysconfdir /etc) and only the files tagged qcoapd-system and
   man are installed: they must land exactly in Debian's directories.

Usage: check-install.py SOURCE_ROOT BUILD_ROOT
"""
import json
import os
import re
import stat
import sys
import tempfile

import children
from checks import check, verdict


def pkg_variable(package, variable):
    run = children.run(["pkg-config", "--variable=" + variable, package],
                       capture_output=True, text=True, check=False)
    return run.stdout.strip() if run.returncode == 0 and run.stdout.strip() else None


def system_dirs(prefix, datadir):
    """Where the system's .pc files say each kind of file goes (meson.build's
    fallbacks below the prefix when a .pc file is absent)."""
    unitdir = pkg_variable("systemd", "systemd_system_unit_dir") \
        or os.path.join(prefix, "lib/systemd/system")
    sysusersdir = pkg_variable("systemd", "sysusers_dir") \
        or os.path.join(prefix, "lib/sysusers.d")
    udevdir = pkg_variable("udev", "udev_dir") or os.path.join(prefix, "lib/udev")
    dbus_datadir = pkg_variable("dbus-1", "datadir") or datadir
    servicedir = pkg_variable("dbus-1", "system_bus_services_dir") \
        or os.path.join(datadir, "dbus-1/system-services")
    return unitdir, sysusersdir, udevdir, dbus_datadir, servicedir


def expected_files(options):
    prefix = options["prefix"]
    join = lambda key: os.path.join(prefix, options[key])
    unitdir, sysusersdir, udevdir, dbus_datadir, servicedir = \
        system_dirs(prefix, join("datadir"))
    return {
        os.path.join(unitdir, "qcoapd.service"): None,
        os.path.join(sysusersdir, "qcoapd.conf"): "data/qcoapd.sysusers",
        os.path.join(udevdir, "rules.d/77-qcoapd.rules"): "data/77-qcoapd.rules",
        os.path.join(dbus_datadir, "dbus-1/system.d/org.qcoapd.CoAP1.conf"):
            "data/org.qcoapd.CoAP1.conf",
        os.path.join(servicedir, "org.qcoapd.CoAP1.service"): "data/org.qcoapd.CoAP1.service",
        os.path.join(join("sysconfdir"), "qcoapd/qcoapd.conf"): "data/qcoapd.conf",
        os.path.join(join("mandir"), "man8/qcoapd.8"): None,
        os.path.join(join("mandir"), "man5/qcoapd.conf.5"): None,
        # qcoap-proxy's
        os.path.join(unitdir, "qcoap-proxy.service"): None,
        os.path.join(sysusersdir, "qcoap-proxy.conf"): "client/proxy/qcoap-proxy.sysusers",
        os.path.join(join("sysconfdir"), "qcoapd/qcoap-proxy.conf"): "client/proxy/qcoap-proxy.conf",
        os.path.join(join("mandir"), "man8/qcoap-proxy.8"): None,
    }


def installed(destdir):
    files = set()
    for root, _, names in os.walk(destdir):
        for name in names:
            files.add("/" + os.path.relpath(os.path.join(root, name), destdir))
    return files


def meson_install(build, destdir, *extra):
    run = children.run(["meson", "install", "-C", build, "--no-rebuild", "--quiet",
                        "--destdir", destdir, *extra],
                       capture_output=True, text=True, check=False)
    check(run.returncode == 0, "meson install %s into %s" % (" ".join(extra), destdir))
    if run.returncode != 0:
        print(run.stdout + run.stderr)


def check_system_files(source, destdir, expected, sbindir):
    files = installed(destdir)
    for path in sorted(files):
        print("     installed " + path)
    for path, origin in sorted(expected.items()):
        full = destdir + path
        present = path in files
        check(present, "%s is installed" % path)
        if not present:
            continue
        mode = stat.S_IMODE(os.stat(full).st_mode)
        check(mode == 0o644, "%s has mode 0644 (%04o)" % (path, mode))
        with open(full, "rb") as f:
            content = f.read()
        if origin is not None:
            with open(os.path.join(source, origin), "rb") as f:
                check(content == f.read(), "%s is %s unchanged" % (path, origin))
        else:
            check(re.search(rb"@[A-Za-z_]+@", content) is None,
                  "%s has no unsubstituted @VARIABLE@" % path)
    for program in ("qcoapd", "qcoap-proxy"):
        unit = next(p for p in expected if p.endswith("/%s.service" % program))
        if unit in files:
            with open(destdir + unit) as f:
                exec_start = re.search(r"^ExecStart=(\S+)", f.read(), flags=re.M)
            wanted = os.path.join(sbindir, program)
            check(exec_start is not None and exec_start.group(1) == wanted,
                  "%s's ExecStart is %s" % (os.path.basename(unit), wanted))
    return files


def check_build_install(source, build):
    with open(os.path.join(build, "meson-info", "intro-buildoptions.json")) as f:
        options = {o["name"]: o["value"] for o in json.load(f)}
    sbindir = os.path.join(options["prefix"], options["sbindir"])
    with tempfile.TemporaryDirectory() as destdir:
        meson_install(build, destdir)
        files = check_system_files(source, destdir, expected_files(options), sbindir)
        for program in ("qcoapd", "qcoap-proxy"):
            path = os.path.join(sbindir, program)
            check(path in files and os.access(destdir + path, os.X_OK),
                  "%s is installed and executable" % path)


def check_debian_layout(source):
    debian = {"prefix": "/usr", "sbindir": "sbin", "sysconfdir": "/etc",
              "datadir": "share", "mandir": "share/man"}
    expected = expected_files(debian)
    for path in expected:
        check(re.match(r"^/(usr/|etc/|lib/)", path) is not None,
              "%s is a system directory" % path)
    with tempfile.TemporaryDirectory() as tmp:
        build = os.path.join(tmp, "build")
        run = children.run(["meson", "setup", "--prefix=/usr", build, source],
                           capture_output=True, text=True, check=False)
        check(run.returncode == 0, "meson setup --prefix=/usr")
        if run.returncode != 0:
            print(run.stdout + run.stderr)
            return
        destdir = os.path.join(tmp, "root")
        meson_install(build, destdir, "--tags", "qcoapd-system,man")
        files = check_system_files(source, destdir, expected, "/usr/sbin")
        check("/etc/qcoapd/qcoapd.conf" in files,
              "the configuration is /etc/qcoapd/qcoapd.conf, where qcoapd reads it")
        check("/etc/qcoapd/qcoap-proxy.conf" in files,
              "the proxy's is /etc/qcoapd/qcoap-proxy.conf, where qcoap-proxy reads it")
        for path in sorted(files - set(expected)):
            check(path.startswith("/usr/share/man/"),
                  "%s (tagged, but not one of qcoapd's system files) is a manual page"
                  % path)


def main():
    source, build = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    print("== the build under test, installed whole")
    check_build_install(source, build)
    print("== Debian's layout (--prefix=/usr), system files and manual pages only")
    check_debian_layout(source)
    return verdict("every file is where it belongs")


if __name__ == "__main__":
    sys.exit(main())
