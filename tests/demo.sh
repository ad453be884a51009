#!/bin/bash
# SPDX-License-Identifier: MIT
# The demo: qcoapd serving two simulated BG96 modules on a private D-Bus bus,
# the modems' CoAP going over real UDP to libcoap's coap-server on
# 127.0.0.1; a persistent session moves to the second when the first goes.
# Installs what is missing, builds, runs, shows each call, and cleans up.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${QCOAPD_BUILDDIR:-$top/build}

# QCOAPD_DEMO_BUILT=1: the build directory is complete already (the test
# that runs the demo under meson test).
if [ -z "${QCOAPD_DEMO_BUILT:-}" ]; then
  "$top/tests/install-deps.sh"
  if [ ! -d "$builddir/meson-private" ]; then
    meson setup "$builddir" "$top" >/dev/null
  fi
  meson compile -C "$builddir" >/dev/null
fi

work=$(mktemp -d /tmp/qcoapd-demo-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }
# A command that prints a payload: qcoapctl writes it exactly as it came,
# without a line end of its own, so one follows.
show_payload() { show "$@"; echo; }

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

step "A private D-Bus bus (the gateway would use the system bus)"
dbus-daemon --session --nofork --print-address=3 3>"$work/bus" 2>/dev/null &
pids+=($!)
for _ in $(seq 50); do [ -s "$work/bus" ] && break; sleep 0.1; done
export DBUS_SESSION_BUS_ADDRESS=$(head -n1 "$work/bus")
echo "$DBUS_SESSION_BUS_ADDRESS"

step "libcoap's coap-server on 127.0.0.1"
port=$(free_port)
coap-server-openssl -A 127.0.0.1 -p "$port" -d 16 -v 7 >"$work/coap-server.log" 2>&1 &
pids+=($!)
echo "coap-server-openssl -A 127.0.0.1 -p $port -d 16   (-d: POST and PUT create resources)"

# A simulated module NAME on the pseudo-terminal $work/NAME, with IMEI; its
# control channel is the FIFO $work/NAME-control.
start_sim() {
  local name=$1 imei=$2
  mkfifo "$work/$name-control"
  sleep 1000000 >"$work/$name-control" &
  pids+=($!)
  "$builddir/tests/sim/bg96-sim" --link "$work/$name" --log "$work/$name-sim.log" --imei "$imei" \
    <"$work/$name-control" >"$work/$name-sim.out" &
  pids+=($!)
  for _ in $(seq 100); do grep -q READY "$work/$name-sim.out" 2>/dev/null && break; sleep 0.05; done
  cat "$work/$name-sim.out"
}

step "Two simulated BG96 modules, each on a pseudo-terminal of its own"
start_sim modem 866425030123457
start_sim backup 866425030765432

step "qcoapd owning both modems' ports"
# The first modem's device comes from --device; a persistent session moves
# to the other modem 2 s after its own went away.
printf '[modem]\n\n[modem backup]\nDevice=%s\n\n[service]\nFailoverDelay=2\n' \
  "$work/backup" >"$work/qcoapd.conf"
sed 's/^/  /' "$work/qcoapd.conf"
RUNTIME_DIRECTORY="$work/run" "$builddir/daemon/qcoapd" --bus "$DBUS_SESSION_BUS_ADDRESS" \
  --device "$work/modem" \
  --config "$work/qcoapd.conf" 2>"$work/qcoapd.log" &
pids+=($!)
for _ in $(seq 100); do
  state=$(gdbus call --session -d org.qcoapd.CoAP1 -o /org/qcoapd/CoAP1 \
    -m org.freedesktop.DBus.Properties.Get org.qcoapd.CoAP1 State 2>/dev/null || true)
  [[ $state == *ready* ]] && break
  sleep 0.1
done
echo "qcoapd --bus \$DBUS_SESSION_BUS_ADDRESS --device $work/modem --config $work/qcoapd.conf: $state"

qcoapctl="$builddir/client/qcoapctl/qcoapctl"
uri="coap://127.0.0.1:$port"

step "The modems register with the (simulated) network and qcoapd starts their data calls"
# The simulator registers 1.5 s after it booted; the operator's name and
# the context's address follow a moment later.
for _ in $(seq 100); do
  network=$("$qcoapctl" --session status 2>/dev/null || true)
  [ "$(grep -c "registration: home" <<<"$network")" -ge 2 ] &&
    [ "$(grep -c "context 1: up" <<<"$network")" -ge 2 ] && break
  sleep 0.1
done
echo "$ qcoapctl --session status   (one block per modem)"
printf '%s\n' "$network"
if [ "$(id -u)" -eq 0 ]; then
  # Command is for root only.
  show "$qcoapctl" --session at 'AT+QENG="servingcell"'
fi

step "GET $uri/time with qcoapctl (a one-shot Request)"
show_payload "$qcoapctl" --session -v get "$uri/time"

step "POST a JSON reading, then PUT and GET back binary bytes"
echo '{"t":21.5}' >"$work/reading.json"
show_payload "$qcoapctl" --session -v post -t application/json -f "$work/reading.json" "$uri/sensors"
printf 'bytes\r\n\x00\x1a\x1b end' >"$work/blob"
show "$qcoapctl" --session put -f "$work/blob" "$uri/example_data"
"$qcoapctl" --session get "$uri/example_data" >"$work/blob.back"
show cmp "$work/blob" "$work/blob.back"
echo "the bytes came back unchanged"

step "The same API with gdbus: a persistent session, a NON POST with Send, a Request, Close"
session=$(gdbus call --session -d org.qcoapd.CoAP1 -o /org/qcoapd/CoAP1 -m org.qcoapd.CoAP1.Open \
  127.0.0.1 "$port" "{'persistent': <true>}" | cut -d"'" -f2)
echo "opened $session"
show gdbus call --session -d org.qcoapd.CoAP1 -o "$session" -m org.qcoapd.CoAP1.Session.Send \
  1 2 "[(11, <'sensors'>), (12, <uint32 50>)]" '[byte 0x7b, 0x7d]' '{}'
show gdbus call --session -d org.qcoapd.CoAP1 -o "$session" -m org.qcoapd.CoAP1.Session.Request \
  1 '[]' '[]' "{'uri-path': <'/time'>}"
show "$qcoapctl" --session status
show gdbus call --session -d org.qcoapd.CoAP1 -o "$session" -m org.qcoapd.CoAP1.Session.Close

step "A one-shot Request on the modem named backup"
show_payload "$qcoapctl" --session get --modem backup "$uri/time"

step "Failover: the first modem is unplugged; a persistent session moves to backup"
session=$(gdbus call --session -d org.qcoapd.CoAP1 -o /org/qcoapd/CoAP1 -m org.qcoapd.CoAP1.Open \
  127.0.0.1 "$port" "{'persistent': <true>}" | cut -d"'" -f2)
modem_of() {
  gdbus call --session -d org.qcoapd.CoAP1 -o "$session" \
    -m org.freedesktop.DBus.Properties.Get org.qcoapd.CoAP1.Session Modem
}
echo "opened $session on $(modem_of)"
echo unplug >"$work/modem-control"
for _ in $(seq 200); do
  [[ $(modem_of) == *Modem/2* ]] &&
    [[ $("$qcoapctl" --session sessions 2>/dev/null) == *open* ]] && break
  sleep 0.1
done
echo "after the unplug and FailoverDelay=2: $session is on $(modem_of)"
show gdbus call --session -d org.qcoapd.CoAP1 -o "$session" -m org.qcoapd.CoAP1.Session.Request \
  1 '[]' '[]' "{'uri-path': <'/time'>}"
echo replug >"$work/modem-control"
show gdbus call --session -d org.qcoapd.CoAP1 -o "$session" -m org.qcoapd.CoAP1.Session.Close

step "And with busctl: a one-shot Request (code 1 = GET)"
show busctl --address="$DBUS_SESSION_BUS_ADDRESS" call org.qcoapd.CoAP1 /org/qcoapd/CoAP1 \
  org.qcoapd.CoAP1 Request 'sya(qv)aya{sv}' "$uri/time" 1 0 0 0

step "What coap-server received"
grep -E "^v:1 " "$work/coap-server.log" | sed 's/^/  /' || true

step "The AT dialogue qcoapd held with the modem (first lines)"
grep -E "at-(rx|tx)|urc" "$work/modem-sim.log" | sed -n '1,40s/^/  /p'
