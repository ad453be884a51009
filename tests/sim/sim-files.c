/* sim-files.c — see sim-files.h. */
#include "sim-files.h"

#include <string.h>

struct _SimFiles
{
  GHashTable *contents; /* canonical name -> GBytes */
};

SimFiles *
sim_files_new (void)
{
  SimFiles *files = g_new0 (SimFiles, 1);

  files->contents
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
  return files;
}

void
sim_files_free (SimFiles *files)
{
  if (files == NULL)
    return;
  g_hash_table_unref (files->contents);
  g_free (files);
}

char *
sim_files_canonical_name (const char *name)
{
  const char *colon = strchr (name, ':');
  const char *base = colon != NULL ? colon + 1 : name;

  if (*base == '\0' || strlen (name) > 80 || strpbrk (base, "/\\*?") != NULL)
    return NULL;
  if (colon == NULL)
    return g_strconcat ("UFS:", name, NULL);
  if (g_ascii_strncasecmp (name, "UFS:", 4) == 0)
    return g_strconcat ("UFS:", base, NULL);
  if (g_ascii_strncasecmp (name, "RAM:", 4) == 0)
    return g_strconcat ("RAM:", base, NULL);
  return NULL;
}

gboolean
sim_files_exists (SimFiles *files, const char *name)
{
  return g_hash_table_contains (files->contents, name);
}

void
sim_files_store (SimFiles *files, const char *name, GBytes *contents)
{
  g_hash_table_replace (files->contents, g_strdup (name), g_bytes_ref (contents));
}

gboolean
sim_files_delete (SimFiles *files, const char *name)
{
  return g_hash_table_remove (files->contents, name);
}

void
sim_files_delete_all (SimFiles *files)
{
  g_hash_table_remove_all (files->contents);
}

GBytes *
sim_files_lookup (SimFiles *files, const char *name)
{
  return g_hash_table_lookup (files->contents, name);
}

guint16
sim_files_checksum (const guint8 *data, gsize length)
{
  guint16 sum = 0;

  for (gsize i = 0; i < length; i += 2)
    {
      guint16 word = (guint16)(data[i] << 8);

      if (i + 1 < length)
        word |= data[i + 1];
      sum ^= word;
    }
  return sum;
}
