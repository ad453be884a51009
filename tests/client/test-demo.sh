#!/bin/bash
# SPDX-License-Identifier: MIT
# The demo runs to its end, shows the network lines of status, and each
# payload it prints stands on a line of its own (the next line is empty,
# not the next step's heading).
#   test-demo.sh DEMO BUILDDIR
set -u
output=$(QCOAPD_DEMO_BUILT=1 QCOAPD_BUILDDIR=$2 bash "$1" 2>&1)
status=$?
printf '%s\n' "$output" | sed 's/^/# /'
[ "$status" -eq 0 ] || { echo "not ok - the demo exited $status"; exit 1; }
echo "ok - the demo ran"
# The network lines of status, once the modem registered.
for line in 'registration: home$' 'technology: lte-m$' 'operator: Fake Telecom$' \
    'signal: RSRP -87 dBm' 'context 1: up 10\.64\.0\.1$'; do
  if printf '%s\n' "$output" | grep -qE "$line"; then
    echo "ok - the demo shows $line"
  else
    echo "not ok - the demo does not show $line"
    exit 1
  fi
done
# The GET of /time prints coap-server's clock, e.g. "Dec 01 09:41:43".
if printf '%s\n' "$output" | grep -A1 -E '^[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}$' |
    sed -n 2p | grep -qx ''; then
  echo "ok - the payload is followed by a line end"
else
  echo "not ok - the payload runs into the next line"
  exit 1
fi
# Two modems, and the persistent session that moved to the second.
for line in 'name: default$' 'name: backup$' 'is on .*/org/qcoapd/CoAP1/Modem/2'; do
  if printf '%s\n' "$output" | grep -qE "$line"; then
    echo "ok - the demo shows $line"
  else
    echo "not ok - the demo does not show $line"
    exit 1
  fi
done
