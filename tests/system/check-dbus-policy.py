#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Checks the D-Bus system policy against the introspection XML:

- every method of every org.qcoapd interface, and the standard methods a
  client needs (Properties Get/GetAll, Introspectable, Peer, ObjectManager),
  is allowed by name, with send_destination, for root and for group qcoapd,
  except the root-only methods (Command), which group qcoapd is not allowed;
- no allow rule is broader than one member of one interface, and none names
  a method that does not exist;
- the default context denies owning, calling and receiving from the name,
  and allows nothing;
- only user qcoapd and root may own the name; root and group qcoapd may
  receive its signals.

Usage: check-dbus-policy.py POLICY INTROSPECTION_XML
"""
import sys
import xml.etree.ElementTree as ET
from checks import check, verdict

NAME = "org.qcoapd.CoAP1"
STANDARD = {
    ("org.freedesktop.DBus.Properties", "Get"),
    ("org.freedesktop.DBus.Properties", "GetAll"),
    ("org.freedesktop.DBus.Introspectable", "Introspect"),
    ("org.freedesktop.DBus.Peer", "Ping"),
    ("org.freedesktop.DBus.Peer", "GetMachineId"),
    ("org.freedesktop.DBus.ObjectManager", "GetManagedObjects"),
}
CLIENTS = (("user", "root"), ("group", "qcoapd"))
# Methods only root may call (the daemon checks the caller's uid as well).
ROOT_ONLY = {("org.qcoapd.CoAP1", "Command"), ("org.qcoapd.CoAP1.Modem", "Command")}


def api_methods(path):
    methods, writable = set(), False
    for iface in ET.parse(path).getroot().iter("interface"):
        for method in iface.iter("method"):
            methods.add((iface.get("name"), method.get("name")))
        writable |= any("write" in p.get("access", "") for p in iface.iter("property"))
    if writable:
        methods.add(("org.freedesktop.DBus.Properties", "Set"))
    return methods


def policies(path):
    """{(attribute, value): [rule elements]} for every <policy>."""
    found = {}
    for policy in ET.parse(path).getroot().iter("policy"):
        key = next(iter(policy.attrib.items()))
        found.setdefault(key, []).extend(policy)
    return found


def allowed_calls(rules, who):
    calls = set()
    for rule in rules:
        if rule.tag != "allow" or not any(k.startswith("send_") for k in rule.attrib):
            continue
        a = rule.attrib
        precise = (a.get("send_destination") == NAME and "send_interface" in a
                   and "send_member" in a and a.get("send_type", "method_call") == "method_call")
        check(precise, "%s=%s: allow rule %s names destination, interface and member"
              % (who[0], who[1], sorted(a.items())))
        if precise:
            calls.add((a["send_interface"], a["send_member"]))
    return calls


def main():
    policy_path, xml_path = sys.argv[1], sys.argv[2]
    wanted = api_methods(xml_path) | STANDARD
    own_api = sorted(m for m in wanted if m[0].startswith("org.qcoapd."))
    print("methods in %s: %s" % (xml_path, ", ".join("%s.%s" % m for m in own_api)))
    check(len(own_api) > 0, "the introspection XML declares methods")

    found = policies(policy_path)
    check(set(found) <= {("context", "default"), ("user", "qcoapd"), *CLIENTS},
          "only the default context, user qcoapd, user root and group qcoapd have policies"
          " (found %s)" % sorted(found))

    default = found.get(("context", "default"), [])
    check(all(r.tag == "deny" for r in default), "the default context allows nothing")
    for attribute in ("own", "send_destination", "receive_sender"):
        check(any(r.tag == "deny" and r.get(attribute) == NAME for r in default),
              "the default context denies %s=%s" % (attribute, NAME))

    owners = {who for who, rules in found.items()
              if any(r.tag == "allow" and r.get("own") == NAME for r in rules)}
    check(owners == {("user", "qcoapd"), ("user", "root")},
          "only user qcoapd and root may own the name (found %s)" % sorted(owners))

    for who in CLIENTS:
        rules = found.get(who, [])
        check(any(r.tag == "allow" and r.get("receive_sender") == NAME for r in rules),
              "%s=%s may receive from %s" % (who[0], who[1], NAME))
        calls = allowed_calls(rules, who)
        for method in sorted(wanted):
            if method in ROOT_ONLY and who != ("user", "root"):
                check(method not in calls, "%s=%s may not call %s.%s" % (who[0], who[1], *method))
            else:
                check(method in calls, "%s=%s may call %s.%s" % (who[0], who[1], *method))
        for extra in sorted(calls - wanted):
            check(False, "%s=%s is allowed %s.%s, which the API does not have"
                  % (who[0], who[1], *extra))

    return verdict("the policy covers every method, and nothing more")


if __name__ == "__main__":
    sys.exit(main())
