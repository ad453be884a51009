/* SPDX-License-Identifier: MIT */
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

static int
hex_digit_value (char c)
{
  return g_ascii_isxdigit (c) ? g_ascii_xdigit_value (c) : -1;
}

gboolean
sim_files_parse_psk (GBytes *contents, char **identity, GBytes **key, GError **error)
{
  gsize length;
  const char *data = g_bytes_get_data (contents, &length);
  const char *separator = data != NULL ? memchr (data, '&', length) : NULL;
  const char *hex;
  gsize hex_length;
  guint8 buffer[64];

  if (separator == NULL || separator == data || separator - data > 255
      || memchr (data, '\0', separator - data) != NULL)
    {
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                           "not \"<identity>&<hex key>\" with an identity of 1-255 bytes");
      return FALSE;
    }
  hex = separator + 1;
  hex_length = length - (gsize)(hex - data);
  while (hex_length > 0 && (hex[hex_length - 1] == '\n' || hex[hex_length - 1] == '\r'))
    hex_length--;
  if (hex_length == 0 || hex_length % 2 != 0 || hex_length / 2 > sizeof buffer)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "the key has %" G_GSIZE_FORMAT " hex digits; it needs an even 2-128",
                   hex_length);
      return FALSE;
    }
  for (gsize i = 0; i < hex_length / 2; i++)
    {
      int high = hex_digit_value (hex[2 * i]);
      int low = hex_digit_value (hex[2 * i + 1]);

      if (high < 0 || low < 0)
        {
          memset (buffer, 0, sizeof buffer);
          g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                               "the key is not hexadecimal");
          return FALSE;
        }
      buffer[i] = (guint8)(high << 4 | low);
    }
  *identity = g_strndup (data, separator - data);
  *key = g_bytes_new (buffer, hex_length / 2);
  memset (buffer, 0, sizeof buffer);
  return TRUE;
}
