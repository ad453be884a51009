/* SPDX-License-Identifier: MIT */
/* recent-messages.c — see recent-messages.h. */
#include "recent-messages.h"

#include <string.h>
#include <sys/mman.h>

/* A CoAP token has at most 8 bytes (RFC 7252 §3: lengths 9–15 are
 * reserved); a longer one is never remembered, so never taken for a copy. */
#define TOKEN_MAX 8
/* A chain link: 1 + the entry's index in the ring, so that the pool's zero
 * pages read as empty chains without being written. */
#define NO_ENTRY 0
/* The buckets, a power of two at least the capacity, fit a guint. */
#define MAX_CAPACITY (1u << 30)

/* Held in place in the ring: a message received costs no allocation. */
typedef struct
{
  gint64 expires_us;
  guint32 next; /* the next entry of its bucket's chain */
  guint16 message_id;
  guint8 token_length;
  guint8 token[TOKEN_MAX];
} Entry;

/* The ring and the buckets are one pool of fixed size, mapped on its own:
 * a client ID's traffic never interleaves with the heap's other memory, and
 * the pool's pages all go back to the system when the client ID ends (in
 * the heap, a flood's entries would leave pages behind that a few small
 * values allocated meanwhile keep). Pages nothing was written to cost
 * nothing. */
struct _RecentMessages
{
  guint capacity;
  guint n_buckets; /* a power of two, at least the capacity */
  gpointer pool;
  gsize pool_size;
  Entry *ring; /* capacity entries, the oldest at head */
  guint32 *buckets;
  guint head;
  guint length;
  guint duplicates;
};

static guint
bucket_of (const RecentMessages *recent, const Entry *entry)
{
  guint hash = entry->message_id;

  for (guint i = 0; i < entry->token_length; i++)
    hash = hash * 31 + entry->token[i];
  return hash & (recent->n_buckets - 1);
}

static gboolean
same_message (const Entry *x, const Entry *y)
{
  return x->message_id == y->message_id && x->token_length == y->token_length
         && memcmp (x->token, y->token, x->token_length) == 0;
}

RecentMessages *
recent_messages_new (guint capacity)
{
  RecentMessages *recent;
  gsize ring_size;

  g_return_val_if_fail (capacity > 0 && capacity <= MAX_CAPACITY, NULL);
  recent = g_new0 (RecentMessages, 1);
  recent->capacity = capacity;
  recent->n_buckets = 1u << g_bit_storage (capacity - 1);
  ring_size = (gsize)capacity * sizeof (Entry);
  recent->pool_size = ring_size + (gsize)recent->n_buckets * sizeof (guint32);
  recent->pool
      = mmap (NULL, recent->pool_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (recent->pool == MAP_FAILED)
    g_error ("recent-messages: cannot map %" G_GSIZE_FORMAT " bytes", recent->pool_size);
  recent->ring = recent->pool;
  recent->buckets = (guint32 *)((guint8 *)recent->pool + ring_size);
  return recent;
}

void
recent_messages_free (RecentMessages *recent)
{
  if (recent == NULL)
    return;
  munmap (recent->pool, recent->pool_size);
  g_free (recent);
}

/* Takes the entry at @index out of its bucket's chain. */
static void
unlink_entry (RecentMessages *recent, guint index)
{
  guint32 *link = &recent->buckets[bucket_of (recent, &recent->ring[index])];

  while (*link != index + 1)
    link = &recent->ring[*link - 1].next;
  *link = recent->ring[index].next;
}

/* Forgets what has expired, and the oldest beyond the capacity. Entries
 * expire in the order they came when all have one lifetime, and nearly so
 * otherwise: one that outlives an older one is kept a little longer. */
static void
prune (RecentMessages *recent, gint64 now_us)
{
  while (recent->length > 0)
    {
      if (recent->ring[recent->head].expires_us > now_us && recent->length < recent->capacity)
        break;
      unlink_entry (recent, recent->head);
      recent->head = (recent->head + 1) % recent->capacity;
      recent->length--;
    }
}

/* TRUE if a copy of @probe is remembered and still within its lifetime. */
static gboolean
is_known (const RecentMessages *recent, const Entry *probe, gint64 now_us)
{
  for (guint32 link = recent->buckets[bucket_of (recent, probe)]; link != NO_ENTRY;
       link = recent->ring[link - 1].next)
    {
      const Entry *entry = &recent->ring[link - 1];

      if (entry->expires_us > now_us && same_message (entry, probe))
        return TRUE;
    }
  return FALSE;
}

gboolean
recent_messages_check (RecentMessages *recent, guint16 message_id, GBytes *token, gint64 now_us,
                       gint64 lifetime_us)
{
  gsize token_length = 0;
  const guint8 *token_data = token ? g_bytes_get_data (token, &token_length) : NULL;
  Entry probe = { .expires_us = now_us + lifetime_us, .message_id = message_id };
  guint index;
  guint32 *chain;

  if (token_length > TOKEN_MAX)
    return FALSE;
  probe.token_length = (guint8)token_length;
  if (token_length > 0)
    memcpy (probe.token, token_data, token_length);
  prune (recent, now_us);
  if (is_known (recent, &probe, now_us))
    {
      recent->duplicates++;
      return TRUE;
    }
  /* prune() left a free slot. */
  index = (recent->head + recent->length) % recent->capacity;
  chain = &recent->buckets[bucket_of (recent, &probe)];
  probe.next = *chain;
  recent->ring[index] = probe;
  *chain = index + 1;
  recent->length++;
  return FALSE;
}

guint
recent_messages_get_duplicates (RecentMessages *recent)
{
  return recent->duplicates;
}
