/* recent-messages.c — see recent-messages.h. */
#include "recent-messages.h"

#include <string.h>

/* A CoAP token has at most 8 bytes (RFC 7252 §3: lengths 9–15 are
 * reserved); a longer one is never remembered, so never taken for a copy. */
#define TOKEN_MAX 8

/* Held in place in the ring: a message received costs no allocation, and a
 * client ID's memory is the ring and the index whatever the traffic, so a
 * flood leaves no heap behind when the client ID is gone. */
typedef struct
{
  gint64 expires_us;
  guint16 message_id;
  guint8 token_length;
  guint8 token[TOKEN_MAX];
} Entry;

struct _RecentMessages
{
  guint capacity;
  Entry *ring; /* capacity entries, the oldest at head */
  guint head;
  guint length;
  GHashTable *index; /* Entry (in ring) → itself, by message ID and token */
  guint duplicates;
};

static guint
entry_hash (gconstpointer key)
{
  const Entry *entry = key;
  guint hash = entry->message_id;

  for (guint i = 0; i < entry->token_length; i++)
    hash = hash * 31 + entry->token[i];
  return hash;
}

static gboolean
entry_equal (gconstpointer a, gconstpointer b)
{
  const Entry *x = a, *y = b;

  return x->message_id == y->message_id && x->token_length == y->token_length
         && memcmp (x->token, y->token, x->token_length) == 0;
}

RecentMessages *
recent_messages_new (guint capacity)
{
  RecentMessages *recent;

  g_return_val_if_fail (capacity > 0, NULL);
  recent = g_new0 (RecentMessages, 1);
  recent->capacity = capacity;
  recent->ring = g_new (Entry, capacity);
  recent->index = g_hash_table_new (entry_hash, entry_equal);
  return recent;
}

void
recent_messages_free (RecentMessages *recent)
{
  if (recent == NULL)
    return;
  g_hash_table_unref (recent->index);
  g_free (recent->ring);
  g_free (recent);
}

/* Forgets what has expired, and the oldest beyond the capacity. Entries
 * expire in the order they came when all have one lifetime, and nearly so
 * otherwise: one that outlives an older one is kept a little longer. */
static void
prune (RecentMessages *recent, gint64 now_us)
{
  while (recent->length > 0)
    {
      Entry *oldest = &recent->ring[recent->head];

      if (oldest->expires_us > now_us && recent->length < recent->capacity)
        break;
      /* A later copy of the same message, stored after this one expired,
       * keeps its own place. */
      if (g_hash_table_lookup (recent->index, oldest) == oldest)
        g_hash_table_remove (recent->index, oldest);
      recent->head = (recent->head + 1) % recent->capacity;
      recent->length--;
    }
}

gboolean
recent_messages_check (RecentMessages *recent, guint16 message_id, GBytes *token, gint64 now_us,
                       gint64 lifetime_us)
{
  gsize token_length = 0;
  const guint8 *token_data = token ? g_bytes_get_data (token, &token_length) : NULL;
  Entry probe = { .expires_us = now_us + lifetime_us, .message_id = message_id };
  Entry *seen;

  if (token_length > TOKEN_MAX)
    return FALSE;
  probe.token_length = (guint8)token_length;
  if (token_length > 0)
    memcpy (probe.token, token_data, token_length);
  prune (recent, now_us);
  seen = g_hash_table_lookup (recent->index, &probe);
  if (seen != NULL && seen->expires_us > now_us)
    {
      recent->duplicates++;
      return TRUE;
    }
  /* prune() left a free slot. */
  seen = &recent->ring[(recent->head + recent->length) % recent->capacity];
  *seen = probe;
  recent->length++;
  g_hash_table_replace (recent->index, seen, seen);
  return FALSE;
}

guint
recent_messages_get_duplicates (RecentMessages *recent)
{
  return recent->duplicates;
}
