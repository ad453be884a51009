#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the performance benchmark: qcoapd against the straightforward AT host
# on bg96-sim at 115 200 baud, in the "field" mode (115 200 baud both ways,
# 5 ms per AT command, 50 ms of network each way) and unpaced, with the
# D-Bus echo floor, the daemon's CPU and memory, and the targets. Builds what
# it needs first.
#
#   tests/bench/run-bench.sh [--json] [--quick] [--long]
#   tests/bench/run-bench.sh --proxy [--quick]    # qcoap-proxy against the D-Bus API
#
# BUILD_DIR chooses the meson build directory (default: build).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}

"$root/tests/install-deps.sh" >&2
[ -f "$build/build.ninja" ] || meson setup "$build" "$root" >&2
ninja -C "$build" daemon/qcoapd tests/sim/bg96-sim tests/bench/bench tests/bench/bench-baseline \
  tests/bench/bench-echo >&2

export QCOAPD="$build/daemon/qcoapd"
export BG96_SIM="$build/tests/sim/bg96-sim"
export BENCH_BASELINE="$build/tests/bench/bench-baseline"
export BENCH_ECHO="$build/tests/bench/bench-echo"
export COAP_SERVER="${COAP_SERVER:-coap-server-openssl}"
if [ "${1:-}" = --proxy ]; then
  shift
  ninja -C "$build" client/proxy/qcoap-proxy tests/bench/bench-proxy >&2
  export QCOAP_PROXY="$build/client/proxy/qcoap-proxy"
  exec "$build/tests/bench/bench-proxy" "$@"
fi
exec "$build/tests/bench/bench" "$@"
