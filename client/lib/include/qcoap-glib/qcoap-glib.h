/* SPDX-License-Identifier: MIT */
/* qcoap-glib.h — the C client library of qcoapd, on GLib and GIO.
 *
 *   g_autoptr (QcoapClient) client = qcoap_client_new_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
 *   g_autoptr (QcoapResponse) response = qcoap_client_request_sync (
 *       client, QCOAP_METHOD_GET, "coap://192.0.2.1/time", NULL, NULL, NULL, NULL, &error);
 *
 * Errors of the daemon arrive in the QCOAP_ERROR domain (qcoap-error.h);
 * those of the bus in G_DBUS_ERROR and G_IO_ERROR. */
#pragma once

#define QCOAP_GLIB_INSIDE

#include "qcoap-error.h"
#include "qcoap-codes.h"
#include "qcoap-response.h"
#include "qcoap-client-session.h"
#include "qcoap-client.h"

#undef QCOAP_GLIB_INSIDE
