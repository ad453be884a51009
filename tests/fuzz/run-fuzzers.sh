#!/bin/bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets with clang and runs each one for SECONDS
# (default 60) on a copy of its seed corpus. Fails if any target crashes,
# leaks, hangs or trips a sanitizer, and keeps the failing input outside the
# repository (its path is printed; add it to the seed corpus as a regression
# input once the bug is fixed).
#
#   tests/fuzz/run-fuzzers.sh [SECONDS]
#
# SECONDS=0 only replays the seed corpora. The build directory is
# $QCOAPD_FUZZ_BUILDDIR (default: build-fuzz in the source tree).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-60}
builddir=${QCOAPD_FUZZ_BUILDDIR:-$top/build-fuzz}

# Every fuzz target and its seed corpus. A target built but missing here is an
# error, so a new target cannot be forgotten.
declare -A corpus=(
  [fuzz-at-lexer]=daemon/fuzz/corpus/at-lexer
  [fuzz-at-engine]=daemon/fuzz/corpus/at-lexer
  [fuzz-state-file]=daemon/fuzz/corpus/state-file
  [fuzz-coap-pdu]=tests/coap/corpus
  [fuzz-sim-at]=tests/sim/corpus-sim-at
  [fuzz-qcoap-urc]=tests/proto/corpus-urc
  [fuzz-qcoap-uri]=tests/proto/corpus-uri
  [fuzz-qcoap-options]=tests/proto/corpus-options
  [fuzz-proxy-config]=tests/proxy/corpus-config
  [fuzz-proxy-options]=tests/proxy/corpus-options
  [fuzz-proxy-peer]=tests/proxy/corpus-peer
  [fuzz-network-proto]=tests/proto/corpus-network
  [fuzz-at-fields]=tests/proto/corpus-at-fields
)

if ! [[ $seconds =~ ^[0-9]+$ ]]; then
  echo "usage: $0 [SECONDS]" >&2
  exit 2
fi

if [ -d "$builddir/meson-private" ]; then
  meson setup --reconfigure "$builddir" "$top" >/dev/null
else
  # -Db_lundef=false: the sanitizer runtimes resolve symbols at load time.
  CC=clang meson setup -Db_lundef=false "$builddir" "$top" >/dev/null
fi
mapfile -t targets < <(meson introspect --targets "$builddir" \
  | /usr/bin/python3 -c 'import json, sys; print("\n".join(sorted(t["name"] for t in json.load(sys.stdin) if t["name"].startswith("fuzz-"))))')
if [ ${#targets[@]} -eq 0 ]; then
  echo "run-fuzzers: no fuzz targets in $builddir (not a clang build, or libFuzzer missing: see tests/install-deps.sh)" >&2
  exit 1
fi
for target in "${targets[@]}"; do
  if [ -z "${corpus[$target]:-}" ]; then
    echo "run-fuzzers: $target has no seed corpus listed in $0" >&2
    exit 1
  fi
done
# ninja writes the compiler's errors to stdout: keep them for a failed build,
# each line marked so that .ci/run's summary shows them.
if ! build_log=$(meson compile -C "$builddir" "${targets[@]}" 2>&1); then
  echo "run-fuzzers: FAIL: the fuzz targets did not build; the end of the build's output:" >&2
  tail -n 20 <<<"$build_log" | sed 's/^/run-fuzzers:   /' >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/qcoapd-fuzz.XXXXXX")
# Any sanitizer finding is fatal, with a stack to read.
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
export G_SLICE=always-malloc

failed=()
for target in "${targets[@]}"; do
  binary=$(find "$builddir" -type f -name "$target" -perm -u+x | head -n 1)
  runs=()
  [ "$seconds" -eq 0 ] && runs=(-runs=0)
  mkdir -p "$work/$target/corpus" "$work/$target/artifacts"
  cp -r "$top/${corpus[$target]}/." "$work/$target/corpus/"
  start=$SECONDS
  if "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 "${runs[@]}" \
    -artifact_prefix="$work/$target/artifacts/" "$work/$target/corpus" \
    >"$work/$target/log" 2>&1; then
    echo "run-fuzzers: $target ok in $((SECONDS - start)) s: $(grep -E '^(#[0-9]+|Done)' "$work/$target/log" | tail -n 1)"
  else
    echo "run-fuzzers: $target FAILED after $((SECONDS - start)) s; its log:" >&2
    tail -n 60 "$work/$target/log" >&2
    ls "$work/$target/artifacts/"* >&2 || true
    failed+=("$target")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "run-fuzzers: failed: ${failed[*]} (inputs and logs kept in $work)" >&2
  exit 1
fi
rm -rf "$work"
echo "run-fuzzers: ${#targets[@]} targets, ${seconds} s each, no findings"
