#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Prints every message that the qcoapd sessions it may hear receive (the Received signal).

    received_log.py [--bus BUS] [--duration S]

It follows qcoapd's D-Bus signals; it does not register as a CoAP observer
(the Observe option) with any server.

The daemon sends a session's signals to its listeners only: the log
listens to every session of its user (every session, as root), including
those that appear later, and prints "hearing PATH" as each is heard.

Uses asyncio: the callback is registered inside the running loop, so it runs
there, like the rest of an asyncio program.
"""

import argparse
import asyncio
import sys

import qcoap


def describe(path, message):
    payload = message.payload
    try:
        text = repr(payload.decode())
    except UnicodeDecodeError:
        text = payload.hex()
    options = ", ".join(f"{name}: {value}" for name, value in message.options)
    return (f"{path}: {message.code} {message.description or ''} mid {message.message_id} "
            f"token {message.token.hex() or '-'} [{options}] {text}")


async def log_received(client, duration):
    def on_received(path, message):
        print(describe(path, message), flush=True)

    def on_listening(path):
        print(f"hearing {path}", flush=True)

    subscription = client.on_received(on_received, on_listening)
    print("listening", flush=True)
    try:
        if duration:
            await asyncio.sleep(duration)
        else:
            await asyncio.Event().wait()
    finally:
        client.disconnect(subscription)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bus", default="system", help="system, session or a D-Bus address")
    parser.add_argument("--duration", type=float, default=0, help="stop after S seconds")
    args = parser.parse_args()

    client = qcoap.connect(args.bus)
    try:
        asyncio.run(log_received(client, args.duration))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
