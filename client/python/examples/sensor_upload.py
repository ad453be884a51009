#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Uploads a sensor reading to a CoAP server at a fixed interval, through qcoapd.

    sensor_upload.py [--bus BUS] [--interval S] [--count N] [--method put] coap://host/path

The reading is JSON (application/json). Without a real sensor it reports the
machine's load average, which changes like a sensor would.
"""

import argparse
import json
import os
import sys
import time

import qcoap


def read_sensor():
    load, _, _ = os.getloadavg()
    return {"time": int(time.time()), "load": round(load, 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("uri", help="coap://host[:port]/path")
    parser.add_argument("--bus", default="system", help="system, session or a D-Bus address")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between uploads")
    parser.add_argument("--count", type=int, default=0, help="stop after N uploads (0: never)")
    parser.add_argument("--method", default="post", choices=["post", "put"])
    args = parser.parse_args()

    host, port, path = qcoap.split_uri(args.uri)
    client = qcoap.connect(args.bus)
    sent = 0
    with client.open(host, port) as session:
        upload = session.post if args.method == "post" else session.put
        while args.count == 0 or sent < args.count:
            reading = json.dumps(read_sensor()).encode()
            try:
                response = upload(path, reading, content_format="application/json")
                print(f"{response.code} {response.description}: {reading.decode()}", flush=True)
                if not response.ok:
                    return 1
            except qcoap.Timeout:
                print("no answer; trying again at the next interval", file=sys.stderr)
            sent += 1
            if args.count == 0 or sent < args.count:
                time.sleep(args.interval)
    return 0


if __name__ == "__main__":
    sys.exit(main())
