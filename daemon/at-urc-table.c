/* SPDX-License-Identifier: MIT */
/* at-urc-table.c — see at-urc-table.h. */
#include "at-urc-table.h"

struct _AtUrcTable
{
  GArray *handlers; /* AtUrcHandler, in the order they were added */
  guint last_id;
};

static void
handler_clear (AtUrcHandler *handler)
{
  g_free (handler->prefix);
}

AtUrcTable *
at_urc_table_new (void)
{
  AtUrcTable *table = g_new0 (AtUrcTable, 1);

  table->handlers = g_array_new (FALSE, TRUE, sizeof (AtUrcHandler));
  g_array_set_clear_func (table->handlers, (GDestroyNotify)handler_clear);
  return table;
}

void
at_urc_table_free (AtUrcTable *table)
{
  if (table == NULL)
    return;
  g_array_unref (table->handlers);
  g_free (table);
}

guint
at_urc_table_add (AtUrcTable *table, const char *prefix, AtLineMatchFunc matcher, AtUrcFunc func,
                  gpointer user_data)
{
  AtUrcHandler handler = { 0 };

  g_return_val_if_fail ((prefix == NULL) != (matcher == NULL), 0);
  g_return_val_if_fail (func != NULL, 0);

  handler.id = ++table->last_id;
  handler.prefix = g_strdup (prefix);
  handler.matcher = matcher;
  handler.func = func;
  handler.user_data = user_data;
  g_array_append_val (table->handlers, handler);
  return handler.id;
}

void
at_urc_table_remove (AtUrcTable *table, guint id)
{
  for (guint i = 0; i < table->handlers->len; i++)
    if (g_array_index (table->handlers, AtUrcHandler, i).id == id)
      {
        g_array_remove_index (table->handlers, i);
        return;
      }
}

void
at_urc_table_clear (AtUrcTable *table)
{
  g_array_set_size (table->handlers, 0);
}

const AtUrcHandler *
at_urc_table_find (AtUrcTable *table, const char *line, gboolean by_matcher)
{
  for (guint i = 0; i < table->handlers->len; i++)
    {
      const AtUrcHandler *handler = &g_array_index (table->handlers, AtUrcHandler, i);

      if (by_matcher && handler->matcher != NULL && handler->matcher (line))
        return handler;
      if (!by_matcher && handler->prefix != NULL && g_str_has_prefix (line, handler->prefix))
        return handler;
    }
  return NULL;
}
