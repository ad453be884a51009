/* SPDX-License-Identifier: MIT */
/* bench-baseline.c — the straightforward host the benchmark compares qcoapd
 * with: one program that owns the modem's serial port, no D-Bus, and sends
 * every message as the AT reference describes it, waiting for each result:
 * AT+QCOAPHEADER, one AT+QCOAPOPTION per option (slot i = option i),
 * AT+QCOAPSEND with the bitmask and the length, then the payload.
 *
 *   bench-baseline --device PATH --port P --callers C --count N
 *                  [--request] [--path a/b] [--payload-size B]
 *
 * C callers, each on its own client ID, each doing N calls back to back: a
 * NON POST that is done when the modem took it (the Send of qcoapd), or with
 * --request a CON GET that is done when its response arrives (qcoapd's
 * Request). Transactions from different callers are served in turn, one at
 * a time, while responses arrive as URCs in between.
 *
 * Talks to the benchmark on stdin/stdout: prints "OPEN" once its clients are
 * connected, waits for a line on stdin, runs, prints
 * "RESULT messages=M seconds=S p50_us=X p99_us=Y", waits for another line,
 * closes its clients and exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <termios.h>
#include <unistd.h>

#include "bench-stats.h"

#define MAX_CALLERS       6
#define RESULT_TIMEOUT_MS 10000

typedef struct
{
  int fd;
  GByteArray *input;
} Port;

typedef struct
{
  guint id;
  guint remaining;
  gint64 started_us;
  char token_hex[17];
  gboolean waiting_response;
  gboolean open;
  gboolean closing;
} Caller;

static struct
{
  const char *device;
  int server_port;
  guint callers;
  guint count;
  gboolean request;
  const char *path;
  guint payload_size;
} opts = { .server_port = 5683, .callers = 1, .count = 100, .path = "data", .payload_size = 64 };

static Port port;
static Caller callers[MAX_CALLERS];
static GQueue ready = G_QUEUE_INIT;
static GArray *latencies_us;
static guint done_calls;
static guint16 next_message_id;

/* ---- the port ------------------------------------------------------------------- */

static void
port_open (const char *path)
{
  struct termios tio;

  port.fd = open (path, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (port.fd < 0)
    g_error ("cannot open %s: %s", path, g_strerror (errno));
  if (tcgetattr (port.fd, &tio) == 0)
    {
      cfmakeraw (&tio);
      cfsetspeed (&tio, B115200);
      tcsetattr (port.fd, TCSANOW, &tio);
    }
  tcflush (port.fd, TCIOFLUSH);
  port.input = g_byte_array_new ();
}

static void
port_write (const void *data, gsize length)
{
  const guint8 *bytes = data;

  while (length > 0)
    {
      ssize_t n = write (port.fd, bytes, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        g_error ("write to the modem failed: %s", g_strerror (errno));
      bytes += n;
      length -= (gsize)n;
    }
}

static void
port_read (int timeout_ms)
{
  struct pollfd pfd = { .fd = port.fd, .events = POLLIN };
  guint8 buffer[4096];
  ssize_t n;

  if (poll (&pfd, 1, timeout_ms) <= 0)
    g_error ("the modem did not answer within %d ms", timeout_ms);
  n = read (port.fd, buffer, sizeof buffer);
  if (n <= 0)
    g_error ("read from the modem failed: %s", n < 0 ? g_strerror (errno) : "end of file");
  g_byte_array_append (port.input, buffer, (guint)n);
}

/* ---- what the modem says -------------------------------------------------------- */

typedef enum
{
  EVENT_NONE,
  EVENT_LINE,
  EVENT_PROMPT,
} EventKind;

/* Takes one complete line or prompt from the input; +QCOAPRECV lines come
 * with their payload consumed. */
static EventKind
next_event (char **line)
{
  guint8 *data = port.input->data;
  gsize length = port.input->len, start = 0, end;

  while (start < length && (data[start] == '\r' || data[start] == '\n'))
    start++;
  if (start < length && data[start] == '>')
    {
      gsize skip = start + 1 + (start + 1 < length && data[start + 1] == ' ');

      g_byte_array_remove_range (port.input, 0, (guint)skip);
      return EVENT_PROMPT;
    }
  for (end = start; end + 1 < length; end++)
    if (data[end] == '\r' && data[end + 1] == '\n')
      break;
  if (end + 1 >= length)
    {
      g_byte_array_remove_range (port.input, 0, (guint)start);
      return EVENT_NONE;
    }
  *line = g_strndup ((const char *)data + start, end - start);
  if (g_str_has_prefix (*line, "+QCOAPRECV:"))
    {
      /* The last field is the payload length; the payload and CR LF follow. */
      const char *comma = strrchr (*line, ',');
      gsize payload = comma ? strtoul (comma + 1, NULL, 10) : 0;

      if (end + 2 + payload + 2 > length)
        {
          g_clear_pointer (line, g_free);
          return EVENT_NONE;
        }
      end += payload + 2;
    }
  g_byte_array_remove_range (port.input, 0, (guint)(end + 2));
  return EVENT_LINE;
}

static gboolean
is_final (const char *line)
{
  return g_str_equal (line, "OK") || g_str_equal (line, "ERROR")
         || g_str_has_prefix (line, "+CME ERROR:");
}

static void
call_done (Caller *caller)
{
  gdouble latency = (gdouble)(g_get_monotonic_time () - caller->started_us);

  g_array_append_val (latencies_us, latency);
  done_calls++;
  caller->waiting_response = FALSE;
  if (--caller->remaining > 0)
    {
      caller->started_us = g_get_monotonic_time ();
      g_queue_push_tail (&ready, caller);
    }
}

/* +QCOAPRECV: <id>,<mid>,<code>,<tkl>,<token>,... completes the request with
 * that token; +QCOAPOPEN: <id>,<result> marks a client open. */
static void
handle_urc (const char *line)
{
  g_auto (GStrv) fields = NULL;
  guint id;

  if (g_str_has_prefix (line, "+QCOAPOPEN:"))
    {
      fields = g_strsplit (line + strlen ("+QCOAPOPEN:"), ",", -1);
      id = (guint)strtoul (fields[0], NULL, 10);
      if (id < MAX_CALLERS && fields[1] && atoi (fields[1]) == 0)
        callers[id].open = TRUE;
      else if (fields[1])
        g_error ("AT+QCOAPOPEN failed: %s", line);
      return;
    }
  if (g_str_has_prefix (line, "+QCOAPCLOSE:"))
    {
      id = (guint)strtoul (line + strlen ("+QCOAPCLOSE:"), NULL, 10);
      if (id < MAX_CALLERS)
        callers[id].closing = FALSE;
      return;
    }
  if (!g_str_has_prefix (line, "+QCOAPRECV:"))
    return;
  fields = g_strsplit (line + strlen ("+QCOAPRECV:"), ",", 7);
  if (g_strv_length (fields) < 6)
    return;
  id = (guint)strtoul (fields[0], NULL, 10);
  if (id < MAX_CALLERS && callers[id].waiting_response
      && g_ascii_strcasecmp (g_strstrip (fields[4]), callers[id].token_hex) == 0)
    call_done (&callers[id]);
}

/* Reads until a final result (or, with @prompt, the "> " prompt) comes,
 * handling URCs on the way. Returns the final line, or NULL for the prompt. */
static char *
wait_result (gboolean prompt)
{
  for (;;)
    {
      char *line = NULL;
      EventKind kind;

      while ((kind = next_event (&line)) != EVENT_NONE)
        {
          if (kind == EVENT_PROMPT)
            {
              if (prompt)
                return NULL;
              continue;
            }
          if (is_final (line))
            return line;
          handle_urc (line);
          g_free (line);
        }
      port_read (RESULT_TIMEOUT_MS);
    }
}

/* Sends @text and returns its final result. */
static char *
try_command (const char *text)
{
  g_autofree char *line = g_strconcat (text, "\r", NULL);

  port_write (line, strlen (line));
  return wait_result (FALSE);
}

static void
command (const char *text)
{
  g_autofree char *result = try_command (text);

  if (!g_str_equal (result, "OK"))
    g_error ("%s answered %s", text, result);
}

static void
handle_pending_lines (void)
{
  char *line = NULL;

  while (next_event (&line) == EVENT_LINE)
    {
      handle_urc (line);
      g_free (line);
    }
}

/* Closes the client IDs in use and waits for their +QCOAPCLOSE, so that the
 * next run can open them again. With @tolerate_idle an ERROR (nothing open
 * there) is fine. */
static void
close_clients (gboolean tolerate_idle)
{
  gboolean closing = TRUE;

  for (guint i = 0; i < opts.callers; i++)
    {
      g_autofree char *close_command = g_strdup_printf ("AT+QCOAPCLOSE=%u", i);
      g_autofree char *result = try_command (close_command);

      callers[i].closing = g_str_equal (result, "OK");
      if (!callers[i].closing && !tolerate_idle)
        g_error ("%s answered %s", close_command, result);
    }
  while (closing)
    {
      handle_pending_lines ();
      closing = FALSE;
      for (guint i = 0; i < opts.callers; i++)
        closing = closing || callers[i].closing;
      if (closing)
        port_read (RESULT_TIMEOUT_MS);
    }
}

/* ---- the calls ---------------------------------------------------------------------- */

/* One message, step by step: HEADER, OPTION per segment, SEND, payload. */
static void
send_message (Caller *caller)
{
  g_auto (GStrv) segments = g_strsplit (opts.path, "/", -1);
  g_autofree char *header = NULL;
  g_autofree char *send = NULL;
  g_autofree char *result = NULL;
  guint token_length = opts.request ? 8 : 4;
  guint bitmask = 0;

  for (guint i = 0; i < token_length; i++)
    g_snprintf (caller->token_hex + 2 * i, 3, "%02X", g_random_int_range (0, 256));
  header = g_strdup_printf ("AT+QCOAPHEADER=%u,%u,0,%u,\"%s\"", caller->id, next_message_id++,
                            token_length, caller->token_hex);
  command (header);
  for (guint i = 0; segments[i]; i++)
    {
      g_autofree char *option
          = g_strdup_printf ("AT+QCOAPOPTION=%u,0,%u,11,\"%s\"", caller->id, i, segments[i]);

      command (option);
      bitmask |= 1u << i;
    }
  if (opts.request)
    {
      /* CON GET without a payload: no length, ended with Ctrl+Z. */
      send = g_strdup_printf ("AT+QCOAPSEND=%u,0,1,%u\r", caller->id, bitmask);
      caller->waiting_response = TRUE;
    }
  else
    send = g_strdup_printf ("AT+QCOAPSEND=%u,1,2,%u,%u\r", caller->id, bitmask, opts.payload_size);
  port_write (send, strlen (send));
  result = wait_result (TRUE);
  if (result != NULL)
    g_error ("AT+QCOAPSEND answered %s instead of the prompt", result);
  if (opts.request)
    port_write ("\x1a", 1);
  else
    {
      g_autofree guint8 *payload = g_malloc (opts.payload_size);

      memset (payload, 'p', opts.payload_size);
      port_write (payload, opts.payload_size);
    }
  result = wait_result (FALSE);
  if (!g_str_equal (result, "OK"))
    g_error ("the payload was answered %s", result);
  if (!opts.request)
    call_done (caller);
}

static void
wait_line_on_stdin (void)
{
  char buffer[64];

  if (fgets (buffer, sizeof buffer, stdin) == NULL)
    exit (0);
}

static void
open_clients (void)
{
  gboolean all_open = FALSE;

  command ("ATE0");
  /* A run that died may have left its clients open. */
  close_clients (TRUE);
  for (guint i = 0; i < opts.callers; i++)
    {
      g_autofree char *open_command
          = g_strdup_printf ("AT+QCOAPOPEN=%u,\"127.0.0.1\",%d", i, opts.server_port);

      callers[i].id = i;
      command (open_command);
    }
  while (!all_open)
    {
      char *line = NULL;

      while (next_event (&line) == EVENT_LINE)
        {
          handle_urc (line);
          g_free (line);
        }
      all_open = TRUE;
      for (guint i = 0; i < opts.callers; i++)
        all_open = all_open && callers[i].open;
      if (!all_open)
        port_read (RESULT_TIMEOUT_MS);
    }
}

static void
run (void)
{
  gint64 start = g_get_monotonic_time ();
  guint total = opts.callers * opts.count;

  for (guint i = 0; i < opts.callers; i++)
    {
      callers[i].remaining = opts.count;
      callers[i].started_us = start;
      g_queue_push_tail (&ready, &callers[i]);
    }
  while (done_calls < total)
    {
      Caller *caller = g_queue_pop_head (&ready);
      char *line = NULL;
      EventKind kind;

      if (caller)
        {
          send_message (caller);
          continue;
        }
      /* Everyone waits for a response: first from what was read already
       * (a response right behind the OK of its send), then from the port. */
      kind = next_event (&line);
      if (kind == EVENT_NONE)
        port_read (RESULT_TIMEOUT_MS);
      else if (kind == EVENT_LINE)
        {
          handle_urc (line);
          g_free (line);
        }
    }
  printf ("RESULT messages=%u seconds=%.6f p50_us=%.0f p99_us=%.0f\n", done_calls,
          (gdouble)(g_get_monotonic_time () - start) / G_USEC_PER_SEC,
          bench_percentile (latencies_us, 50), bench_percentile (latencies_us, 99));
  fflush (stdout);
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new ("— the straightforward AT host");
  g_autoptr (GError) error = NULL;
  int n_callers = 1, count = 100, payload_size = 64;
  GOptionEntry entries[] = {
    { "device", 0, 0, G_OPTION_ARG_STRING, &opts.device, "Serial port", "PATH" },
    { "port", 0, 0, G_OPTION_ARG_INT, &opts.server_port, "CoAP server port on 127.0.0.1", "P" },
    { "callers", 0, 0, G_OPTION_ARG_INT, &n_callers, "Concurrent callers (client IDs)", "C" },
    { "count", 0, 0, G_OPTION_ARG_INT, &count, "Calls per caller", "N" },
    { "request", 0, 0, G_OPTION_ARG_NONE, &opts.request, "CON GET, wait for the response", NULL },
    { "path", 0, 0, G_OPTION_ARG_STRING, &opts.path, "Uri-Path segments, a/b", "PATH" },
    { "payload-size", 0, 0, G_OPTION_ARG_INT, &payload_size, "POST payload bytes", "B" },
    { NULL },
  };

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || opts.device == NULL
      || n_callers < 1 || n_callers > MAX_CALLERS || count < 1 || payload_size < 1
      || payload_size > 1024)
    {
      g_printerr ("bench-baseline: %s\n", error ? error->message : "bad arguments");
      return 2;
    }
  opts.callers = (guint)n_callers;
  opts.count = (guint)count;
  opts.payload_size = (guint)payload_size;
  latencies_us = g_array_new (FALSE, FALSE, sizeof (gdouble));
  next_message_id = (guint16)g_random_int_range (0, 65536);

  port_open (opts.device);
  open_clients ();
  printf ("OPEN\n");
  fflush (stdout);
  wait_line_on_stdin ();
  run ();
  wait_line_on_stdin ();
  close_clients (FALSE);
  g_array_unref (latencies_us);
  return 0;
}
