/* SPDX-License-Identifier: MIT */
/* bench-floor.h — the line's floor: the port time a message cannot avoid.
 *
 * Whatever host drives the module, every message is at least its
 * AT+QCOAPSEND line and payload, the module's answers to it ("> " and OK),
 * the URCs the message causes (+QCOAPACK, and +QCOAPRECV when the server
 * answers), the module's latency on that one command line, and — where the
 * caller waits for the server's answer (a Request) — the network's round
 * trip. AT+QCOAPHEADER and AT+QCOAPOPTION are not in it: a host could in
 * principle keep them off the line (the option mirror does for options).
 *
 *   host bytes   = strlen ("AT+QCOAPSEND=<id>,<type>,<code>,<mask>[,<len>]\r")
 *                  + the payload's length (1: the Ctrl+Z of an empty one)
 *   modem bytes  = 4 ("\r\n> ") + 6 ("\r\nOK\r\n") + URC bytes
 *   URC bytes    = the baseline's modem→host bytes per message (the
 *                  simulator's stats counter) less the answers it had to
 *                  its other commands: 6 ("\r\nOK\r\n") for its
 *                  AT+QCOAPHEADER and each AT+QCOAPOPTION, and 10 for
 *                  AT+QCOAPSEND's prompt and OK
 *   port time    = (host bytes if the host's bytes are paced) × 10 / baud
 *                  + modem bytes × 10 / baud + the module's latency
 *   floor msg/s  = min (1 / port time,
 *                       callers / (port time + network round trip))
 *                  (the round trip only for a Request; a NON POST is done
 *                  when the module took it)
 *
 * The port time is a sum, as the AT dialogue runs: the host waits for each
 * answer before it goes on, and the module holds all its output (URCs too)
 * while it acts on a command. A mode that paces only what the module sends
 * (--baud without --pace-input) counts only the modem's bytes; the
 * simulator's 5 ms pacing tick is its own granularity, not the line's, and
 * is not in the floor. An unpaced line has no floor (0).
 */
#pragma once

#include <glib.h>
#include <string.h>

/* What the simulator of a mode does to the line. */
typedef struct
{
  guint baud;          /* 0: nothing is paced */
  gboolean pace_input; /* the host's bytes take line time too */
  guint at_latency_ms; /* per command line */
  guint net_delay_ms;  /* per datagram, one way */
} BenchLine;

/* What one message of a workload is. */
typedef struct
{
  guint callers;
  gboolean request; /* CON GET, done when its response arrived */
  guint path_segments;
  guint payload_size;
} BenchFloorMessage;

typedef struct
{
  guint host_bytes;
  gdouble modem_bytes;
  gdouble port_us;
  gdouble wait_us;    /* the network's round trip the caller waits for */
  gdouble msgs_per_s; /* 0: no floor (unpaced) */
} BenchFloor;

#define BENCH_BITS_PER_BYTE 10 /* 8N1 */
#define BENCH_PROMPT_BYTES  4  /* "\r\n> " */
#define BENCH_OK_BYTES      6  /* "\r\nOK\r\n" */
#define BENCH_FLOOR_ID      0  /* a client ID is one digit, whichever */
#define BENCH_TYPE_CON      0
#define BENCH_TYPE_NON      1
#define BENCH_CODE_GET      1
#define BENCH_CODE_POST     2

/* The AT+QCOAPSEND line and the payload (or the Ctrl+Z of none). */
static inline guint
bench_floor_host_bytes (const BenchFloorMessage *message)
{
  g_autofree char *send = NULL;
  guint mask = (1u << message->path_segments) - 1;

  if (message->payload_size == 0)
    send = g_strdup_printf ("AT+QCOAPSEND=%u,%u,%u,%u\r", BENCH_FLOOR_ID, BENCH_TYPE_CON,
                            BENCH_CODE_GET, mask);
  else
    send = g_strdup_printf ("AT+QCOAPSEND=%u,%u,%u,%u,%u\r", BENCH_FLOOR_ID,
                            message->request ? BENCH_TYPE_CON : BENCH_TYPE_NON,
                            message->request ? BENCH_CODE_GET : BENCH_CODE_POST, mask,
                            message->payload_size);
  return (guint)strlen (send) + MAX (message->payload_size, 1);
}

/* @baseline_modem_bytes: the baseline's modem→host bytes per message, which
 * sent an AT+QCOAPHEADER and one AT+QCOAPOPTION per path segment besides
 * the AT+QCOAPSEND. */
static inline BenchFloor
bench_floor (const BenchLine *line, const BenchFloorMessage *message, gdouble baseline_modem_bytes)
{
  BenchFloor floor = { 0 };
  gdouble other_answers = BENCH_OK_BYTES * (1 + message->path_segments);
  gdouble urc_bytes
      = MAX (baseline_modem_bytes - other_answers - BENCH_PROMPT_BYTES - BENCH_OK_BYTES, 0);
  gdouble byte_us;

  floor.host_bytes = bench_floor_host_bytes (message);
  floor.modem_bytes = BENCH_PROMPT_BYTES + BENCH_OK_BYTES + urc_bytes;
  if (line->baud == 0)
    return floor;
  byte_us = (gdouble)BENCH_BITS_PER_BYTE * G_USEC_PER_SEC / line->baud;
  floor.port_us = (line->pace_input ? floor.host_bytes * byte_us : 0) + floor.modem_bytes * byte_us
                  + line->at_latency_ms * (gdouble)G_TIME_SPAN_MILLISECOND;
  floor.wait_us = message->request ? 2.0 * line->net_delay_ms * G_TIME_SPAN_MILLISECOND : 0;
  floor.msgs_per_s = MIN (G_USEC_PER_SEC / floor.port_us,
                          message->callers * G_USEC_PER_SEC / (floor.port_us + floor.wait_us));
  return floor;
}
