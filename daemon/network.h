/* SPDX-License-Identifier: MIT */
/* network.h — the modem's network side: registration, operator, signal and
 * data contexts.
 *
 * Once the modem is ready the network turns registration reports on
 * (AT+CEREG=2, and AT+CGREG=2 / AT+CREG=2 where the firmware has them),
 * writes the configured data contexts (AT+QICSGP), and reads the state:
 * registration, operator (AT+COPS?), serving system (AT+QNWINFO) and signal
 * (AT+QCSQ, or AT+CSQ). It reads it again at every registration change and
 * every SignalInterval seconds, and follows the +CEREG/+CGREG/+CREG and
 * +QIURC: "pdpdeact" URCs the service hands it.
 *
 * It keeps the data contexts it manages up: context 1, every configured
 * context, and every context a session asked for. A context is activated
 * once the modem is registered (AT+QIACT? first, then AT+QIACT, with
 * back-off after ERROR); after "pdpdeact" it is deactivated (AT+QIDEACT, as
 * the module requires) and activated again. When the sessions on a context
 * are gone (the data call dropped, or the registration was lost) the
 * listener hears of it, so that persistent sessions can open again; they
 * wait in network_activate_context() until the context is back.
 *
 * Nothing here knows D-Bus; the password of a context never leaves this
 * module except in its AT+QICSGP command, which the AT engine masks in its
 * log.
 */
#pragma once

#include <gio/gio.h>

#include "modem.h"
#include "network-proto.h"

G_BEGIN_DECLS

/* SignalInterval= when the configuration says nothing, in seconds. */
#define NETWORK_DEFAULT_SIGNAL_INTERVAL_S 60
/* The context sessions use unless they ask for another one. */
#define NETWORK_DEFAULT_CONTEXT 1

typedef struct
{
  gboolean configured; /* a [context N] group exists */
  char *apn;
  char *username;
  char *password;
  NetworkAuth auth;
  NetworkIpType ip_type;
} NetworkContextConfig;

typedef struct
{
  NetworkContextConfig contexts[NETWORK_MAX_CONTEXTS]; /* [N - 1] for context N */
  guint signal_interval;                               /* seconds; 0 never */
} NetworkConfig;

void network_config_init (NetworkConfig *config);
void network_config_clear (NetworkConfig *config);
void network_config_copy (NetworkConfig *dest, const NetworkConfig *src);
/* The contexts @own configures replace those of @config (a modem's own
 * [modem NAME context N] over the shared [context N]). */
void network_config_override (NetworkConfig *config, const NetworkConfig *own);

typedef struct _Network Network;

#define NETWORK_LOST_REGISTRATION "network-lost"
#define NETWORK_LOST_DATA_CONTEXT "data-context-lost"

typedef struct
{
  /* Registration, technology, operator, signal or a context changed. */
  void (*changed) (Network *network, gpointer user_data);
  /* Every CoAP session on context @cid is gone: @reason is
   * NETWORK_LOST_DATA_CONTEXT (the network dropped the data call) or
   * NETWORK_LOST_REGISTRATION, as the Closed signal spells them. */
  void (*context_lost) (Network *network, guint cid, const char *reason, gpointer user_data);
} NetworkListener;

typedef struct
{
  guint cid;
  gboolean active;
  const char *address; /* "" while inactive */
} NetworkContextInfo;

Network *network_new (Modem *modem, const NetworkConfig *config, const NetworkListener *listener,
                      gpointer user_data);
void network_free (Network *network);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Network, network_free)

/* The modem's state changed: a ready modem is set up and followed, anything
 * else forgets what was known. */
void network_modem_state_changed (Network *network);

NetworkRegistration network_get_registration (Network *network);
NetworkTech network_get_tech (Network *network);
/* The operator's name, or MCC+MNC; "" while unregistered. */
const char *network_get_operator (Network *network);
const NetworkSignal *network_get_signal (Network *network);
/* The managed contexts in ascending order, into @contexts; returns how
 * many. */
guint network_get_contexts (Network *network, NetworkContextInfo contexts[NETWORK_MAX_CONTEXTS]);

/* Completes once context @cid (1-16) is active, waiting for registration
 * and activation as long as it takes. With a @timeout_ms (0: none) it fails
 * after that long with QCOAP_ERROR_NETWORK_FAILURE saying what was missing
 * ("not registered: searching for a network", "registration denied by the
 * network", "data context 1 could not be activated: ERROR"). */
void network_activate_context (Network *network, guint cid, guint timeout_ms,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data);
gboolean network_activate_context_finish (Network *network, GAsyncResult *result, GError **error);

G_END_DECLS
