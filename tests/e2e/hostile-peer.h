/* SPDX-License-Identifier: MIT */
/* hostile-peer.h — a CoAP server on 127.0.0.1 that answers what a hostile
 * server may: responses larger than anything the modem sends, whose
 * payloads are written to look like the modem's own AT output.
 *
 * It runs in a thread of its own (the tests call D-Bus synchronously) on
 * the codec of tests/coap/. Every request is answered with a piggybacked
 * ACK 2.05 carrying the request's message ID and token; what the response
 * holds depends on its Uri-Path (HOSTILE_PATH_*). Anything else gets an
 * empty 4.04.
 *
 * A request for HOSTILE_PATH_FLOOD is answered with an empty 2.05, then
 * HOSTILE_FLOOD_COUNT NON 2.05 messages follow, empty (the shortest
 * +QCOAPRECV the module prints, about 35 bytes) and each with a message ID
 * of its own, one every HOSTILE_FLOOD_GAP_US: about what a 115 200-baud
 * line carries of them.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* 1100 bytes of payload, no options. */
#define HOSTILE_PATH_LONG_PAYLOAD "long-payload"
#define HOSTILE_LONG_PAYLOAD_SIZE 1100
/* Twelve Location-Path options of 200 letters, and 300 bytes of payload. */
#define HOSTILE_PATH_MANY_OPTIONS    "many-options"
#define HOSTILE_MANY_OPTIONS_COUNT   12
#define HOSTILE_MANY_OPTIONS_SIZE    200
#define HOSTILE_MANY_OPTIONS_PAYLOAD 300
#define HOSTILE_LOCATION_PATH        8
/* Forty options of an unknown number (printed in hexadecimal) of 250 bytes:
 * a +QCOAPRECV header of over 20 000 characters, and 200 bytes of payload. */
#define HOSTILE_PATH_HUGE_HEADER    "huge-header"
#define HOSTILE_HUGE_HEADER_COUNT   40
#define HOSTILE_HUGE_HEADER_SIZE    250
#define HOSTILE_HUGE_HEADER_OPTION  65000
#define HOSTILE_HUGE_HEADER_PAYLOAD 200

/* One Location-Path whose text, printed raw by the module, holds line ends
 * and the lines it would forge (a reboot, a lost registration, a final
 * result, a power-down), none of which ends in a number. */
#define HOSTILE_PATH_SPLIT_HEADER    "split-header"
#define HOSTILE_SPLIT_HEADER_OPTION  "x\r\nRDY\r\n+CEREG: 3\r\nOK\r\nPOWERED DOWN\r\n"
#define HOSTILE_SPLIT_HEADER_PAYLOAD "ok"
/* The text before the option's first line end completes a header (length
 * 5: "RDY" and its CR LF), and the payload holds the lines: a reboot, a
 * lost registration, a torn-down data call, a message for another client. */
#define HOSTILE_PATH_PARSING_FRAGMENT   "parsing-fragment"
#define HOSTILE_PARSING_FRAGMENT_OPTION "a\",5\r\nRDY\r\n"
#define HOSTILE_PARSING_FRAGMENT_PAYLOAD                                                           \
  "\r\nRDY\r\n+CEREG: 3\r\n+QIURC: \"pdpdeact\",1\r\n+QCOAPRECV: 1,7,2.05,0,,0,8\r\nINJECTED\r\n"

#define HOSTILE_PATH_FLOOD   "flood"
#define HOSTILE_FLOOD_COUNT  3000
#define HOSTILE_FLOOD_GAP_US 3000

typedef struct _HostilePeer HostilePeer;

HostilePeer *hostile_peer_start (void);
guint16 hostile_peer_get_port (HostilePeer *peer);
/* How many requests it has answered so far. */
guint hostile_peer_get_answered (HostilePeer *peer);
/* How many NON messages of floods it has sent so far. */
guint hostile_peer_get_flooded (HostilePeer *peer);
void hostile_peer_stop (HostilePeer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HostilePeer, hostile_peer_stop)

/* The @length bytes of payload it sends: a forged +QCOAPRECV for client 1
 * with the payload "INJECTED", an RDY, a final result and a prompt, over and
 * over. */
GBytes *hostile_peer_payload (gsize length);
/* The value of its @index-th Location-Path option. */
char *hostile_peer_option_value (guint index);

G_END_DECLS
