/* SPDX-License-Identifier: MIT */
/* at-urc-table.h — who takes an unsolicited line from the modem.
 *
 * The engine's users register for the lines they consume, by prefix or by a
 * matcher of the whole line; the table keeps them in the order they were
 * added and answers which one takes a line. Free of I/O and of the engine.
 */
#pragma once

#include "at-lexer.h"

G_BEGIN_DECLS

/* A URC line (AT_EVENT_LINE) or a +QCOAPRECV event (AT_EVENT_RECV or
 * AT_EVENT_RECV_UNREADABLE); the event and its strings are valid during the
 * call only. */
typedef void (*AtUrcFunc) (const AtEvent *event, gpointer user_data);
/* TRUE if @line is a URC of the handler's, by its whole shape. */
typedef gboolean (*AtLineMatchFunc) (const char *line);

typedef struct
{
  guint id;
  char *prefix;
  AtLineMatchFunc matcher;
  AtUrcFunc func;
  gpointer user_data;
} AtUrcHandler;

typedef struct _AtUrcTable AtUrcTable;

AtUrcTable *at_urc_table_new (void);
void at_urc_table_free (AtUrcTable *table);
/* Exactly one of @prefix and @matcher; returns the handler's ID (never 0). */
guint at_urc_table_add (AtUrcTable *table, const char *prefix, AtLineMatchFunc matcher,
                        AtUrcFunc func, gpointer user_data);
void at_urc_table_remove (AtUrcTable *table, guint id);
void at_urc_table_clear (AtUrcTable *table);
/* The first handler that takes @line: by its matcher (@by_matcher) or by
 * its prefix; NULL if none. */
const AtUrcHandler *at_urc_table_find (AtUrcTable *table, const char *line, gboolean by_matcher);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AtUrcTable, at_urc_table_free)

G_END_DECLS
