/* SPDX-License-Identifier: MIT */
/* Feeds arbitrary bytes to the AT input parser and command splitter.
 *
 * The first byte of the input chooses when a line switches the parser into a
 * payload mode, so the fuzzer explores every mode and its transitions. Every
 * line also goes through the log's masking of secrets.
 * Run by hand: fuzz-sim-at -max_total_time=30
 */
#include "sim-at-parser.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The log's masking of a secret argument: whenever the parser would see the
 * argument, the masked line parses to the same arguments with the mask in
 * its place; it never grows by more than the mask. */
static void
check_masking (const char *line, const SimAtCommand *command)
{
  g_autofree char *masked = sim_at_mask_argument (line, "+QICSGP", 4);
  g_autoptr (SimAtCommand) reparsed = NULL;

  g_assert (masked == NULL || strlen (masked) <= strlen (line) + strlen (SIM_AT_MASK));
  if (command == NULL || strcmp (command->name, "+QICSGP") != 0
      || command->kind != SIM_AT_KIND_WRITE || sim_at_command_n_args (command) < 5)
    return;
  g_assert (masked != NULL);
  reparsed = sim_at_command_parse (masked);
  g_assert (reparsed != NULL);
  g_assert (sim_at_command_n_args (reparsed) == sim_at_command_n_args (command));
  g_assert (strcmp (((SimAtArg *)g_ptr_array_index (reparsed->args, 4))->text, SIM_AT_MASK) == 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (SimAtParser) parser = sim_at_parser_new ();
  guint8 selector;
  gsize offset = 1;

  if (size < 1)
    return 0;
  selector = data[0];

  while (offset < size)
    {
      SimAtEvent event;
      gsize used = sim_at_parser_feed (parser, data + offset, size - offset, &event);

      g_assert (used > 0 && used <= size - offset);
      offset += used;
      if (event.kind == SIM_AT_EVENT_LINE)
        {
          g_autoptr (SimAtCommand) command = sim_at_command_parse ((const char *)event.data);
          guint value;

          if (command != NULL && sim_at_command_get_uint (command, 0, 1, 1024, &value))
            {
              if (selector & 1)
                sim_at_parser_expect_payload (parser, SIM_AT_MODE_FIXED, value);
              else
                sim_at_parser_expect_payload (parser, SIM_AT_MODE_CTRLZ, value);
            }
          check_masking ((const char *)event.data, command);
          if (command != NULL && sim_at_command_get_string (command, 1) != NULL)
            {
              const char *hex = sim_at_command_get_string (command, 1);
              g_autoptr (GBytes) bytes = sim_at_hex_decode (hex);

              g_assert (bytes == NULL || g_bytes_get_size (bytes) * 2 == strlen (hex));
            }
        }
    }
  return 0;
}
