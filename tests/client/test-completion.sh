#!/bin/bash
# SPDX-License-Identifier: MIT
# The bash completion offers the content formats and option names of the
# shared registry, the commands and read commands of at, and the names of
# the daemon's modems after --modem.  test-completion.sh COMPLETION-SCRIPT
set -u
script=$1
failures=0

# bash-completion's helper, as far as the script uses it.
_init_completion() {
    cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
}
_filedir() { :; }
compopt() { :; }
complete() { :; }
# shellcheck source=/dev/null
source "$script"

# complete WORD… : the candidates for the last word.
candidates() {
    COMP_WORDS=(qcoapctl "$@") COMP_CWORD=$#
    COMPREPLY=()
    _qcoapctl
    printf '%s\n' "${COMPREPLY[@]}"
}

expect() {
    local want=$1; shift
    if candidates "$@" | grep -qxF -- "$want"; then
        echo "ok - ${*} offers $want"
    else
        echo "not ok - ${*} does not offer $want"
        failures=$((failures + 1))
    fi
}

expect application/senml+json get -t application/senml
expect application/vnd.oma.lwm2m+cbor post -A application/vnd
expect text/plain put -t text
expect No-Response get -O No
expect Block2 get -O Bl
expect at a
expect --wait at --w
expect 'AT+QENG=\"servingcell\"' at AT+QE
expect 'AT+COPS\?' at AT+CO
expect --psk-key-file get --psk-key-
expect --psk-key-file open --psk-key-
expect get -v 7 g
expect --modem get --mo
expect --modem open --mo

# What qcoapctl --json status prints of two modems, in place of the daemon.
qcoapctl() {
    echo '{"state":"ready","modems":[{"name":"north","path":"/org/qcoapd/CoAP1/Modem/0"},{"name":"south","path":"/org/qcoapd/CoAP1/Modem/1"}],"sessions":[]}'
}
expect north get --modem n
expect south open --modem s
expect south --json put --modem ''
[ "$failures" -eq 0 ]
