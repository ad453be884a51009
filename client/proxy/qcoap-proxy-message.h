/* SPDX-License-Identifier: MIT */
/* qcoap-proxy-message.h — a CoAP message between its wire form (as libcoap
 * parsed it) and the D-Bus form of qcoapd, and the CoAP answers that stand
 * for what cannot be forwarded or failed on the way. Free of I/O and of
 * libcoap, so that it can be tested and fuzzed on its own. */
#pragma once

#include <qcoap-glib/qcoap-glib.h>

#include "qcoap-modem.h"

G_BEGIN_DECLS

/* What the modem takes (introspection/modem-facts.txt). */
#define PROXY_PAYLOAD_MAX QCOAP_MODEM_MAX_PAYLOAD
#define PROXY_OPTIONS_MAX QCOAP_MODEM_MAX_OPTIONS

/* Option numbers the proxy itself looks at. */
enum
{
  PROXY_OPTION_URI_HOST = 3,
  PROXY_OPTION_URI_PORT = 7,
  PROXY_OPTION_URI_PATH = 11,
  PROXY_OPTION_MAX_AGE = 14,
  PROXY_OPTION_URI_QUERY = 15,
  PROXY_OPTION_HOP_LIMIT = 16,
  PROXY_OPTION_PROXY_URI = 35,
  PROXY_OPTION_PROXY_SCHEME = 39,
  PROXY_OPTION_SIZE1 = 60,
};

/* One option as it is on the wire; @value points into the message. */
typedef struct
{
  guint16 number;
  guint16 length;
  const guint8 *value;
} ProxyOption;

/* One option to put on the wire, owning its value. */
typedef struct
{
  guint16 number;
  GBytes *value;
} ProxyWireOption;

/* Max-Age of a 5.03 while the client IDs the request needs are taken (all
 * of the modem's, or all its user may hold): sessions are short, and
 * closing an idle one takes a few seconds. */
#define PROXY_RETRY_BUSY_S 5

/* A CoAP answer made by the proxy itself (RFC 7252 §5.5.2: a diagnostic
 * payload in UTF-8, without Content-Format). */
typedef struct
{
  guint8 code;
  guint32 max_age; /* 0: no Max-Age option */
  guint32 size1;   /* 0: no Size1 option */
  char *diagnostic;
} ProxyFailure;

void proxy_failure_set (ProxyFailure *failure, guint8 code, const char *format, ...)
    G_GNUC_PRINTF (3, 4);
void proxy_failure_clear (ProxyFailure *failure);

/* Types @options for qcoapd (an a(qv), floating). Refuses, filling
 * @failure, what the modem cannot send (RFC 7252 §5.7.1): an Unsafe option
 * it has no slot for is 4.02 (Observe, Block1, Block2 …), a Safe-to-Forward
 * one 5.05, more than eight options 5.05, a value outside the option's
 * length range 4.02, a string option that is not UTF-8 text 4.00. */
GVariant *proxy_options_to_variant (const ProxyOption *options, gsize n_options,
                                    ProxyFailure *failure);

/* 4.13 with Size1 for a payload the modem cannot carry. */
gboolean proxy_payload_check (gsize length, ProxyFailure *failure);

/* The wire form (a GArray of ProxyWireOption) of the options of a response
 * from qcoapd. An Unsafe option the proxy does not know cannot be relayed:
 * 5.02 (RFC 7252 §5.7.1). */
GArray *proxy_options_from_variant (GVariant *options, ProxyFailure *failure);

/* The answer for a failed call to qcoapd: 5.04 for Timeout, 5.03 with
 * Max-Age for NoFreeClient, ClientBusy and QueueFull, 5.02 for the rest
 * (the modem, the network, the server's RST, qcoapd gone from the bus). */
void proxy_failure_from_error (ProxyFailure *failure, const GError *error);

/* The data context the proxy's sessions use: it opens them without
 * "pdp-context", which gives qcoapd's default. */
#define PROXY_PDP_CONTEXT 1

/* What qcoapd's manager last reported about the modem (State,
 * Registration, DataContexts as a(ybs)). */
typedef struct
{
  const char *state;
  const char *registration;
  GVariant *data_contexts;
} ProxyModemStatus;

/* Whether a request may go to the modem now. FALSE, with 5.03, Max-Age and
 * the reason ("modem initializing", "not registered: searching", "data
 * context 1 down") in @failure, while the modem is not "ready", not
 * registered ("home" or "roaming") or data context @context_id is not
 * active. What qcoapd has not reported (an empty string, a context it does
 * not list) holds no request back: the call's own outcome answers it. */
gboolean proxy_modem_check (const ProxyModemStatus *status, guint8 context_id,
                            ProxyFailure *failure);

G_END_DECLS
