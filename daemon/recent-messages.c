/* SPDX-License-Identifier: MIT */
/* recent-messages.c — see recent-messages.h. */
#include "recent-messages.h"

typedef struct
{
  char *key; /* "<message ID>:<token in hex>" */
  gint64 expires_us;
} Entry;

struct _RecentMessages
{
  guint capacity;
  GQueue order;     /* Entry, oldest first */
  GHashTable *keys; /* key → Entry */
  guint duplicates;
};

static void
entry_free (Entry *entry)
{
  g_free (entry->key);
  g_free (entry);
}

RecentMessages *
recent_messages_new (guint capacity)
{
  RecentMessages *recent = g_new0 (RecentMessages, 1);

  g_return_val_if_fail (capacity > 0, NULL);
  recent->capacity = capacity;
  g_queue_init (&recent->order);
  recent->keys = g_hash_table_new (g_str_hash, g_str_equal);
  return recent;
}

void
recent_messages_free (RecentMessages *recent)
{
  if (recent == NULL)
    return;
  g_hash_table_unref (recent->keys);
  g_queue_clear_full (&recent->order, (GDestroyNotify)entry_free);
  g_free (recent);
}

static char *
make_key (guint16 message_id, GBytes *token)
{
  gsize length = 0;
  const guint8 *data = token ? g_bytes_get_data (token, &length) : NULL;
  GString *key = g_string_new (NULL);

  g_string_append_printf (key, "%u:", message_id);
  for (gsize i = 0; i < length; i++)
    g_string_append_printf (key, "%02x", data[i]);
  return g_string_free (key, FALSE);
}

/* Forgets what has expired, and the oldest beyond the capacity. Entries
 * expire in the order they came when all have one lifetime, and nearly so
 * otherwise: one that outlives an older one is kept a little longer. */
static void
prune (RecentMessages *recent, gint64 now_us)
{
  Entry *oldest;

  while ((oldest = g_queue_peek_head (&recent->order)) != NULL
         && (oldest->expires_us <= now_us || recent->order.length >= recent->capacity))
    {
      g_queue_pop_head (&recent->order);
      /* A later copy of the same key, stored after this one expired,
       * keeps its own place. */
      if (g_hash_table_lookup (recent->keys, oldest->key) == oldest)
        g_hash_table_remove (recent->keys, oldest->key);
      entry_free (oldest);
    }
}

gboolean
recent_messages_check (RecentMessages *recent, guint16 message_id, GBytes *token, gint64 now_us,
                       gint64 lifetime_us)
{
  g_autofree char *key = make_key (message_id, token);
  Entry *seen;

  prune (recent, now_us);
  seen = g_hash_table_lookup (recent->keys, key);
  if (seen != NULL && seen->expires_us > now_us)
    {
      recent->duplicates++;
      return TRUE;
    }
  seen = g_new0 (Entry, 1);
  seen->key = g_steal_pointer (&key);
  seen->expires_us = now_us + lifetime_us;
  g_queue_push_tail (&recent->order, seen);
  g_hash_table_insert (recent->keys, seen->key, seen);
  return FALSE;
}

guint
recent_messages_get_duplicates (RecentMessages *recent)
{
  return recent->duplicates;
}
