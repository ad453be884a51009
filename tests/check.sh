#!/bin/bash
# The whole test suite: installs what is missing, builds with -Werror and runs
# every test with meson. Used as is by .ci/run.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${QCOAPD_BUILDDIR:-$top/build}

"$top/tests/install-deps.sh"

if [ -d "$builddir/meson-private" ]; then
  meson setup --reconfigure -Dwerror=true "$builddir" "$top" >/dev/null
else
  meson setup -Dwerror=true "$builddir" "$top"
fi
meson compile -C "$builddir"

status=0
meson test -C "$builddir" --print-errorlogs "$@" || status=$?

# One plain summary line that any reader of the log can count.
/usr/bin/python3 - "$builddir/meson-logs/testlog.json" <<'PY'
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
exit $status
