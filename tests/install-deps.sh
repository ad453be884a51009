#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian 12 packages that building, testing and the demo need,
# only when one of them is missing (so a second run costs nothing).
#
# With --cross ARCH (arm64 or armhf): instead, what tests/cross/build.sh
# needs to cross-build for ARCH and run the unit tests under qemu — the
# cross compiler, qemu-user and the ARCH -dev packages, after adding ARCH to
# dpkg's architectures.
set -eu

packages="
  meson ninja-build pkg-config gcc clang libclang-rt-14-dev
  libglib2.0-dev libglib2.0-bin libsystemd-dev libgnutls28-dev
  libcoap3-bin libcoap3-dev dbus
  python3 python3-gi
  valgrind
  systemd udev libdbus-1-dev util-linux passwd groff-base man-db
"

if [ "${1:-}" = --cross ]; then
  arch=${2:?usage: install-deps.sh [--cross arm64|armhf]}
  case $arch in
    arm64 | armhf) ;;
    *)
      echo "install-deps: no cross build for $arch (arm64 or armhf)" >&2
      exit 2
      ;;
  esac
  packages="crossbuild-essential-$arch qemu-user libglib2.0-dev:$arch libsystemd-dev:$arch"
  if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "install-deps: dpkg lacks architecture $arch (run as root to add it)" >&2
      exit 1
    fi
    dpkg --add-architecture "$arch"
  fi
fi

missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done

if [ -n "$missing" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages:$missing (run as root to install them)" >&2
    exit 1
  fi
  echo "install-deps: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  # shellcheck disable=SC2086
  apt-get install -y --no-install-recommends $missing
fi
