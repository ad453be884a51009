#!/bin/bash
# The demo: installs what is missing, builds into ./build, starts a real CoAP
# server (libcoap's coap-server-openssl) on a free 127.0.0.1 port and the
# BG96 simulator, and drives a short AT dialogue through the simulator's
# serial port: open a session, GET /time, PUT and GET back /example_data.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${QCOAPD_BUILDDIR:-$top/build}

"$top/tests/install-deps.sh"
if [ ! -d "$builddir/meson-private" ]; then
  meson setup "$builddir" "$top"
fi
meson compile -C "$builddir"

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(/usr/bin/python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')

echo "== coap-server-openssl on 127.0.0.1:$port"
coap-server-openssl -A 127.0.0.1 -p "$port" -v 7 >"$work/coap-server.log" 2>&1 &
pids+=($!)

echo "== bg96-sim on $work/modem"
"$builddir/tests/sim/bg96-sim" --link "$work/modem" --log "$work/bg96-sim.log" \
  </dev/null >"$work/bg96-sim.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  grep -q '^READY' "$work/bg96-sim.out" 2>/dev/null && break
  sleep 0.1
done
grep '^READY' "$work/bg96-sim.out"

cat >"$work/script" <<SCRIPT
# Who is there
ATE0
ATI
# Open client 0 towards the server
AT+QCOAPOPEN=0,"127.0.0.1",$port
wait +QCOAPOPEN:
# GET /time as a confirmable request with token 0A0B0C0D
AT+QCOAPHEADER=0,1,0,4,"0A0B0C0D"
AT+QCOAPOPTION=0,0,0,11,"time"
AT+QCOAPSEND=0,0,1,1
> \x1a
wait +QCOAPRECV:
# PUT 11 bytes (with a CR LF inside) to /example_data
AT+QCOAPHEADER=0,2,0,4,"0A0B0C0E"
AT+QCOAPOPTION=0,0,0,11,"example_data"
AT+QCOAPSEND=0,0,3,1,11
> Hello\r\nBG96
wait +QCOAPRECV:
# GET them back
AT+QCOAPHEADER=0,3,0,4,"0A0B0C0F"
AT+QCOAPSEND=0,0,1,1
> \x1a
wait +QCOAPRECV:
# Close the session
AT+QCOAPCLOSE=0
wait +QCOAPCLOSE:
SCRIPT

"$builddir/tests/sim/at-chat" "$work/modem" "$work/script"

echo
echo "== what the server saw"
grep -E '^v:1 ' "$work/coap-server.log" || true
