/* SPDX-License-Identifier: MIT */
/* qcoap-proxy-door.c — see qcoap-proxy-door.h. */
#include "qcoap-proxy-door.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "qcoap-proxy-peer.h"

#define ROOT_UID 0
/* At most one refusal a while goes to the log, so that a flood of
 * datagrams cannot flood the journal; the others are counted. */
#define REFUSAL_LOG_INTERVAL_US (10 * G_USEC_PER_SEC)
/* Where getpwuid_r() and getgrnam_r() start, and how far they may grow. */
#define NSS_BUFFER_INITIAL 1024
#define NSS_BUFFER_MAX     (1024 * 1024)
/* Where getgrouplist() starts; it says how many it needs when that is
 * short. */
#define GROUPS_INITIAL 32

typedef struct
{
  GArray *gids; /* gid_t: the user's primary and supplementary groups */
  gint64 expires_us;
} Membership;

struct _ProxyDoor
{
  const ProxyConfig *config;
  ProxyPeers *peers;
  GHashTable *memberships;    /* uid → Membership */
  GHashTable *unknown_groups; /* names warned about once */
  gint64 last_refusal_log_us; /* 0: none yet */
  guint refusals_not_logged;
};

static void
membership_free (Membership *membership)
{
  g_array_unref (membership->gids);
  g_free (membership);
}

ProxyDoor *
proxy_door_new (const ProxyConfig *config)
{
  ProxyDoor *door = g_new0 (ProxyDoor, 1);

  door->config = config;
  door->peers = proxy_peers_new ();
  door->memberships = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                             (GDestroyNotify)membership_free);
  door->unknown_groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return door;
}

void
proxy_door_free (ProxyDoor *door)
{
  proxy_peers_free (door->peers);
  g_hash_table_unref (door->memberships);
  g_hash_table_unref (door->unknown_groups);
  g_free (door);
}

/* ---- groups ---- */

/* The user's primary group and name, or FALSE for a uid without a passwd
 * entry. */
static gboolean
lookup_user (uid_t uid, char **name, gid_t *gid)
{
  g_autofree char *buffer = NULL;
  struct passwd entry, *found = NULL;
  int status = ERANGE;

  for (gsize size = NSS_BUFFER_INITIAL; status == ERANGE && size <= NSS_BUFFER_MAX; size *= 2)
    {
      buffer = g_realloc (buffer, size);
      status = getpwuid_r (uid, &entry, buffer, size, &found);
    }
  if (status != 0 || found == NULL)
    return FALSE;
  *name = g_strdup (entry.pw_name);
  *gid = entry.pw_gid;
  return TRUE;
}

static gboolean
lookup_group (const char *name, gid_t *gid)
{
  g_autofree char *buffer = NULL;
  struct group entry, *found = NULL;
  int status = ERANGE;

  for (gsize size = NSS_BUFFER_INITIAL; status == ERANGE && size <= NSS_BUFFER_MAX; size *= 2)
    {
      buffer = g_realloc (buffer, size);
      status = getgrnam_r (name, &entry, buffer, size, &found);
    }
  if (status != 0 || found == NULL)
    return FALSE;
  *gid = entry.gr_gid;
  return TRUE;
}

/* The groups of @uid's passwd entry, its primary group included; empty
 * for a uid without one. */
static GArray *
read_user_groups (uid_t uid)
{
  GArray *gids = g_array_new (FALSE, FALSE, sizeof (gid_t));
  g_autofree char *name = NULL;
  gid_t primary;
  int count = GROUPS_INITIAL;

  if (!lookup_user (uid, &name, &primary))
    return gids;
  g_array_set_size (gids, count);
  if (getgrouplist (name, primary, (gid_t *)gids->data, &count) < 0)
    {
      /* @count now says how many there are. */
      g_array_set_size (gids, count);
      if (getgrouplist (name, primary, (gid_t *)gids->data, &count) < 0)
        count = 0;
    }
  g_array_set_size (gids, count);
  /* getgrouplist() puts the primary group in; keep it even if not. */
  g_array_append_val (gids, primary);
  return gids;
}

static GArray *
user_groups (ProxyDoor *door, uid_t uid)
{
  Membership *membership = g_hash_table_lookup (door->memberships, GUINT_TO_POINTER (uid));
  gint64 now = g_get_monotonic_time ();

  if (membership != NULL && membership->expires_us > now)
    return membership->gids;
  membership = g_new (Membership, 1);
  membership->gids = read_user_groups (uid);
  membership->expires_us = now + PROXY_DOOR_GROUPS_LIFETIME_US;
  g_hash_table_replace (door->memberships, GUINT_TO_POINTER (uid), membership);
  return membership->gids;
}

static gboolean
has_gid (GArray *gids, gid_t gid)
{
  for (guint i = 0; i < gids->len; i++)
    if (g_array_index (gids, gid_t, i) == gid)
      return TRUE;
  return FALSE;
}

/* Whether @uid is root or a member (primary or supplementary) of one of
 * @groups, a NULL-terminated list of group names. */
static gboolean
user_in_groups (ProxyDoor *door, uid_t uid, const char *const *groups)
{
  GArray *gids;

  if (uid == ROOT_UID)
    return TRUE;
  gids = user_groups (door, uid);
  for (gsize i = 0; groups != NULL && groups[i] != NULL; i++)
    {
      gid_t gid;

      if (lookup_group (groups[i], &gid))
        {
          if (has_gid (gids, gid))
            return TRUE;
        }
      else if (g_hash_table_add (door->unknown_groups, g_strdup (groups[i])))
        g_warning ("AllowedGroups= names group %s, which does not exist: it admits no one",
                   groups[i]);
    }
  return FALSE;
}

/* ---- refusals ---- */

static void
log_refusal (ProxyDoor *door, const char *from, const char *reason)
{
  gint64 now = g_get_monotonic_time ();

  if (door->last_refusal_log_us != 0 && now - door->last_refusal_log_us < REFUSAL_LOG_INTERVAL_US)
    {
      door->refusals_not_logged++;
      return;
    }
  if (door->refusals_not_logged > 0)
    g_message ("refused a request from %s: %s (and %u more refusals since the last logged one)",
               from, reason, door->refusals_not_logged);
  else
    g_message ("refused a request from %s: %s", from, reason);
  door->last_refusal_log_us = now;
  door->refusals_not_logged = 0;
}

static gboolean
refuse (ProxyDoor *door, const char *from, const char *reason, ProxyFailure *failure)
{
  log_refusal (door, from, reason);
  proxy_failure_set (failure, QCOAP_CODE (4, 3), "forbidden: %s", reason);
  return FALSE;
}

/* ---- admission ---- */

gboolean
proxy_door_admit (ProxyDoor *door, const struct sockaddr *remote, gsize remote_length,
                  const struct sockaddr *local, gsize local_length, uid_t *uid,
                  ProxyFailure *failure)
{
  ProxyPeerEndpoint source, endpoint;
  g_autoptr (GError) error = NULL;
  g_autofree char *from = NULL;
  g_autofree char *reason = NULL;

  if (!proxy_peer_endpoint_from_native (remote, remote_length, &source, &error)
      || !proxy_peer_endpoint_from_native (local, local_length, &endpoint, &error))
    return refuse (door, "an unknown address", error->message, failure);
  from = proxy_peer_endpoint_to_string (&source);
  if (!proxy_peers_lookup (door->peers, &source, &endpoint, uid, &error))
    {
      reason = g_strdup_printf ("the sender's user cannot be told (%s)", error->message);
      return refuse (door, from, reason, failure);
    }
  if (user_in_groups (door, *uid, (const char *const *)door->config->allowed_groups))
    return TRUE;
  reason = g_strdup_printf ("user %u is not in AllowedGroups=", (guint)*uid);
  return refuse (door, from, reason, failure);
}

gboolean
proxy_door_admit_route (ProxyDoor *door, uid_t uid, const ProxyRoute *route, ProxyFailure *failure)
{
  g_autofree char *from = NULL;
  g_autofree char *reason = NULL;

  if (route == NULL || route->allowed_groups == NULL
      || user_in_groups (door, uid, (const char *const *)route->allowed_groups))
    return TRUE;
  from = g_strdup_printf ("user %u", (guint)uid);
  reason = g_strdup_printf ("user %u is not in the AllowedGroups= of route %s", (guint)uid,
                            route->name);
  return refuse (door, from, reason, failure);
}
