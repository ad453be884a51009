#!/bin/bash
# SPDX-License-Identifier: MIT
# Cross-builds for ARCH (arm64 or armhf) with tests/cross/ARCH.ini and runs
# the unit tests there (suite unit: nothing that needs a bus, the simulator
# or the network) under qemu. Needs what `tests/install-deps.sh --cross ARCH`
# installs.
#
# Usage: tests/cross/build.sh ARCH [BUILDDIR]   (default build dir: build-ARCH)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
arch=${1:?usage: build.sh arm64|armhf [BUILDDIR]}
builddir=${2:-$top/build-$arch}
cross_file=$top/tests/cross/$arch.ini
# Programs run emulated, several times slower than natively.
emulated_multiplier=3

if [ ! -f "$cross_file" ]; then
  echo "cross: no cross file $cross_file" >&2
  exit 2
fi

# The simulator and the proxy would need gnutls and libcoap for ARCH as
# well, and only tests outside the unit suite use them.
options=(--cross-file "$cross_file" -Dwerror=true -Dsimulator=disabled -Dproxy=disabled)
if [ -d "$builddir/meson-private" ]; then
  meson setup --reconfigure "${options[@]}" "$builddir" "$top" >/dev/null
else
  meson setup "${options[@]}" "$builddir" "$top"
fi
meson compile -C "$builddir"
QCOAPD_TEST_TIMEOUT_MULTIPLIER=$emulated_multiplier \
  meson test -C "$builddir" --suite unit --print-errorlogs --timeout-multiplier "$emulated_multiplier"
