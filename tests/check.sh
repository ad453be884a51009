#!/bin/bash
# SPDX-License-Identifier: MIT
# The whole test suite: installs what is missing, builds with -Werror and runs
# every test with meson. Used as is by .ci/run.
#
# With QCOAPD_FULL_CHECK=1 (set by .ci/run) it then also
#   - builds with AddressSanitizer and UndefinedBehaviorSanitizer and runs the
#     whole suite again there (build dir $QCOAPD_ASAN_BUILDDIR, default
#     build-asan), and
#   - runs every libFuzzer target for $QCOAPD_FUZZ_SECONDS (default 60) on a
#     copy of its seed corpus (tests/fuzz/run-fuzzers.sh, build dir
#     $QCOAPD_FUZZ_BUILDDIR, default build-fuzz).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${QCOAPD_BUILDDIR:-$top/build}

# Any sanitizer finding fails the test that made it, with a stack to read.
sanitizer_env=(
  ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1
  UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
  G_SLICE=always-malloc
)

configure() {
  local dir=$1
  shift
  if [ -d "$dir/meson-private" ]; then
    meson setup --reconfigure "$@" "$dir" "$top" >/dev/null
  else
    meson setup "$@" "$dir" "$top"
  fi
}

# One plain summary line that any reader of the log can count.
summarize() {
  /usr/bin/python3 - "$1/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = skipped = 0
with open(sys.argv[1]) as log:
    for line in log:
        result = json.loads(line)["result"]
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
}

# meson test does not pass --timeout-multiplier on to the tests; the test
# harnesses read it from QCOAPD_TEST_TIMEOUT_MULTIPLIER instead. The last
# one given wins, as with meson.
timeout_multiplier() {
  local multiplier=1
  while [ $# -gt 0 ]; do
    case $1 in
      --timeout-multiplier | -t)
        [ $# -gt 1 ] && multiplier=$2 && shift
        ;;
      --timeout-multiplier=*)
        multiplier=${1#*=}
        ;;
    esac
    shift
  done
  echo "$multiplier"
}

# Tests that need system users (tests/system/test-real-uids.py) create them
# only when asked to, and only root can: this script is the one that asks.
if [ "$(id -u)" -eq 0 ]; then
  export QCOAPD_TEST_CREATE_USERS=1
fi

"$top/tests/install-deps.sh"

status=0
start=$SECONDS
configure "$builddir" -Dwerror=true
meson compile -C "$builddir"
QCOAPD_TEST_TIMEOUT_MULTIPLIER=$(timeout_multiplier "$@") \
  meson test -C "$builddir" --print-errorlogs "$@" || status=$?
summarize "$builddir"

if [ "${QCOAPD_FULL_CHECK:-0}" = 1 ]; then
  echo "check: test suite took $((SECONDS - start)) s"

  start=$SECONDS
  asan_builddir=${QCOAPD_ASAN_BUILDDIR:-$top/build-asan}
  # -Db_lundef=false: the sanitizer runtimes resolve symbols at load time.
  configure "$asan_builddir" -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false
  meson compile -C "$asan_builddir"
  env "${sanitizer_env[@]}" \
    QCOAPD_TEST_TIMEOUT_MULTIPLIER="$(timeout_multiplier --timeout-multiplier 3 "$@")" \
    meson test -C "$asan_builddir" --print-errorlogs --timeout-multiplier 3 "$@" || status=$?
  echo -n "check: sanitizer build: "
  summarize "$asan_builddir"
  echo "check: sanitizer build and suite took $((SECONDS - start)) s"

  start=$SECONDS
  "$top/tests/fuzz/run-fuzzers.sh" "${QCOAPD_FUZZ_SECONDS:-60}" || status=$?
  echo "check: fuzzing took $((SECONDS - start)) s"
fi
exit $status
