# bash completion for qcoapctl                                  -*- shell-script -*-

_qcoapctl_sessions()
{
    # Client IDs of the sessions that exist now, asked of the same bus.
    qcoapctl "${bus_args[@]}" --json sessions 2>/dev/null |
        grep -o '"client_id":[0-9]*' | cut -d: -f2
}

_qcoapctl()
{
    local cur prev words cword
    _init_completion || return

    local commands="get post put delete open send close sessions status monitor"
    local global="--system --session --bus --json --verbose --help"
    local message="--text --file --content-format --accept --option"
    local formats="text/plain application/link-format application/xml application/octet-stream application/exi application/json application/cbor"
    local command="" i
    local -a bus_args=()

    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --bus) bus_args=(--bus "${words[i + 1]}"); ((i++)) ;;
            --session | --system) bus_args=("${words[i]}") ;;
            -*) ;;
            *) [[ -z $command ]] && command=${words[i]} ;;
        esac
    done

    case $prev in
        --bus | -T | --timeout | -e | --text | -u | --psk-identity | -k | --psk-key | \
        -m | --message-id | --token | -p | --path | -O | --option | --client-id | \
        --pdp-context | --ack-timeout | --max-retransmit | --idle-timeout)
            return ;;
        -f | --file)
            _filedir
            return ;;
        -t | --content-format | -A | --accept)
            COMPREPLY=($(compgen -W "$formats" -- "$cur"))
            return ;;
        --type)
            COMPREPLY=($(compgen -W "con non ack rst" -- "$cur"))
            return ;;
        -c | --code)
            COMPREPLY=($(compgen -W "get post put delete" -- "$cur"))
            return ;;
        -S | --use)
            COMPREPLY=($(compgen -W "$(_qcoapctl_sessions)" -- "$cur"))
            return ;;
    esac

    if [[ -z $command ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$global" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        fi
        return
    fi

    local options=""
    case $command in
        get | post | put | delete)
            options="$message --non-confirmable --psk-identity --psk-key --timeout --use" ;;
        send)
            options="$message --type --code --path --message-id --token" ;;
        open)
            options="--persistent --psk-identity --psk-key --client-id --pdp-context --ack-timeout --max-retransmit --idle-timeout --timeout" ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$options $global" -- "$cur"))
    else
        case $command in
            get | post | put | delete)
                COMPREPLY=($(compgen -W "coap:// coaps://" -- "$cur"))
                compopt -o nospace ;;
            send | close | monitor)
                COMPREPLY=($(compgen -W "$(_qcoapctl_sessions)" -- "$cur")) ;;
        esac
    fi
} &&
    complete -F _qcoapctl qcoapctl

# ex: filetype=sh
