/* SPDX-License-Identifier: MIT */
/* qcoap-proto.c — parsers of the BG96's CoAP answers and URCs (the builders
 * are in qcoap-cmd.c). */

#include "qcoap-proto.h"

#include <gio/gio.h>
#include <string.h>

#include "at-fields.h"
#include "qcoap-error.h"

/* --- Field reading ---------------------------------------------------------- */

/* How many comma-separated fields each line has after its prefix. */
enum
{
  ACK_FIELDS = 4,         /* id, type, msgID, result */
  IND_FIELDS = 5,         /* id, type, msgID, attempt, result */
  ID_RESULT_FIELDS = 2,   /* id, result */
  OPEN_STATUS_FIELDS = 4, /* id, "host", port, status */
  QFUPL_FIELDS = 2,       /* size, checksum */
  RECV_HEAD_FIELDS = 6,   /* id, msgID, code, TKL, token, opt_count */
};

/* The +QFUPL checksum: a 16-bit number in hex. */
#define QFUPL_CHECKSUM_DIGITS 4

static gboolean
set_parse_error (GError **error, const char *line, const char *problem)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Malformed modem line \"%s\": %s", line,
               problem);
  return FALSE;
}

static const char *
skip_spaces (const char *p)
{
  while (*p == ' ')
    p++;
  return p;
}

/* Opens @line after @prefix, which must be followed by exactly @n_fields
 * fields. */
static gboolean
open_line (AtFieldsIter *fields, const char *line, const char *prefix, guint n_fields,
           GError **error)
{
  guint n;

  if (!at_fields_open (fields, line, prefix, AT_FIELDS_STYLE_QUECTEL))
    return set_parse_error (error, line, "unexpected prefix");
  switch (at_fields_check (fields, n_fields, &n))
    {
      case AT_FIELDS_OK:
        break;
      case AT_FIELDS_TOO_MANY:
        return set_parse_error (error, line, "too many fields");
      case AT_FIELDS_UNCLOSED_QUOTE:
      case AT_FIELDS_TEXT_AFTER_QUOTE:
      default:
        return set_parse_error (error, line, "a quoted field is not closed");
    }
  if (n != n_fields)
    return set_parse_error (error, line, "too few fields");
  return TRUE;
}

static gboolean
read_client_id (const char *line, AtFieldsIter *fields, guint *client_id, GError **error)
{
  guint64 value;

  if (!at_fields_next_uint (fields, QCOAP_MAX_CLIENTS - 1, &value))
    return set_parse_error (error, line, "the client ID is not 0 to 5");
  *client_id = (guint)value;
  return TRUE;
}

static gboolean
read_message_id (const char *line, AtFieldsIter *fields, guint16 *message_id, GError **error)
{
  guint64 value;

  if (!at_fields_next_uint (fields, G_MAXUINT16, &value))
    return set_parse_error (error, line, "the message ID is not 0 to 65535");
  *message_id = (guint16)value;
  return TRUE;
}

static gboolean
read_type (const char *line, AtFieldsIter *fields, guint8 *type, GError **error)
{
  guint64 value;

  if (!at_fields_next_uint (fields, QCOAP_TYPE_RST, &value))
    return set_parse_error (error, line, "the message type is not 0 to 3");
  *type = (guint8)value;
  return TRUE;
}

static gboolean
read_result (const char *line, AtFieldsIter *fields, int *result, GError **error)
{
  gint64 value;

  if (!at_fields_next_int (fields, G_MININT, G_MAXINT, &value))
    return set_parse_error (error, line, "the result is not an integer");
  *result = (int)value;
  return TRUE;
}

/* --- Codes ----------------------------------------------------------------- */

gboolean
at_coap_code_parse (const char *text, guint8 *code)
{
  guint64 detail;

  if (!g_ascii_isdigit (text[0]) || text[0] > '7' || text[1] != '.' || strlen (text) != 4)
    return FALSE;
  if (!at_parse_uint (text + 2, 2, 31, &detail))
    return FALSE;
  *code = (guint8)((text[0] - '0') * 32 + detail);
  return TRUE;
}

char *
at_coap_code_to_string (guint8 code)
{
  return g_strdup_printf ("%u.%02u", code >> 5, code & 0x1f);
}

/* --- Classification --------------------------------------------------------- */

QcoapUrcKind
at_coap_urc_classify (const char *line)
{
  if (g_str_has_prefix (line, "+QCOAPRECV:"))
    return QCOAP_URC_RECV;
  if (g_str_has_prefix (line, "+QCOAPACK:") || g_str_has_prefix (line, "+COAPACK:"))
    return QCOAP_URC_ACK;
  if (g_str_has_prefix (line, "+QCOAPIND:"))
    return QCOAP_URC_IND;
  if (g_str_has_prefix (line, "+QCOAPCLOSE:"))
    return QCOAP_URC_CLOSE;
  if (g_str_has_prefix (line, "+QCOAPCFG:"))
    return QCOAP_URC_CFG;
  if (g_str_has_prefix (line, "+QFUPL:"))
    return QCOAP_URC_QFUPL;
  if (g_str_has_prefix (line, "+QCOAPOPEN:"))
    {
      /* The result URC has two fields; the status line quotes the host. */
      const char *comma = strchr (line, ',');

      if (comma != NULL && *skip_spaces (comma + 1) == '"')
        return QCOAP_URC_OPEN_STATUS;
      return QCOAP_URC_OPEN_RESULT;
    }
  return QCOAP_URC_NONE;
}

gboolean
at_coap_urc_client_id (const char *line, guint *client_id)
{
  const char *colon = strchr (line, ':');
  g_autofree char *prefix = colon ? g_strndup (line, (gsize)(colon - line + 1)) : NULL;
  AtFieldsIter fields;
  guint64 value;

  if (prefix == NULL || !at_fields_open (&fields, line, prefix, AT_FIELDS_STYLE_QUECTEL)
      || !at_fields_next_uint (&fields, QCOAP_MAX_CLIENTS - 1, &value))
    return FALSE;
  *client_id = (guint)value;
  return TRUE;
}

/* --- Simple URCs ------------------------------------------------------------ */

gboolean
at_coap_ack_parse (const char *line, QcoapAck *ack, GError **error)
{
  const char *prefix = g_str_has_prefix (line, "+COAPACK:") ? "+COAPACK:" : "+QCOAPACK:";
  AtFieldsIter fields;

  return open_line (&fields, line, prefix, ACK_FIELDS, error)
         && read_client_id (line, &fields, &ack->client_id, error)
         && read_type (line, &fields, &ack->type, error)
         && read_message_id (line, &fields, &ack->message_id, error)
         && read_result (line, &fields, &ack->result, error);
}

gboolean
at_coap_ind_parse (const char *line, QcoapInd *ind, GError **error)
{
  AtFieldsIter fields;
  guint64 attempt;

  if (!open_line (&fields, line, "+QCOAPIND:", IND_FIELDS, error)
      || !read_client_id (line, &fields, &ind->client_id, error)
      || !read_type (line, &fields, &ind->type, error)
      || !read_message_id (line, &fields, &ind->message_id, error))
    return FALSE;
  if (!at_fields_next_uint (&fields, G_MAXUINT, &attempt))
    return set_parse_error (error, line, "the retransmission count is not a number");
  ind->attempt = (guint)attempt;
  return read_result (line, &fields, &ind->result, error);
}

static gboolean
parse_id_result (const char *line, const char *prefix, guint *client_id, int *result,
                 GError **error)
{
  AtFieldsIter fields;

  return open_line (&fields, line, prefix, ID_RESULT_FIELDS, error)
         && read_client_id (line, &fields, client_id, error)
         && read_result (line, &fields, result, error);
}

gboolean
at_coap_open_result_parse (const char *line, guint *client_id, int *result, GError **error)
{
  return parse_id_result (line, "+QCOAPOPEN:", client_id, result, error);
}

gboolean
at_coap_close_result_parse (const char *line, guint *client_id, int *result, GError **error)
{
  return parse_id_result (line, "+QCOAPCLOSE:", client_id, result, error);
}

gboolean
at_coap_open_status_parse (const char *line, guint *client_id, char **host, guint16 *port,
                           QcoapClientStatus *status, GError **error)
{
  AtFieldsIter fields;
  g_autofree char *server = NULL;
  guint64 value;

  if (!open_line (&fields, line, "+QCOAPOPEN:", OPEN_STATUS_FIELDS, error)
      || !read_client_id (line, &fields, client_id, error))
    return FALSE;
  if (!at_fields_next_string (&fields, &server))
    return set_parse_error (error, line, "the host is not quoted");
  if (!at_fields_next_uint (&fields, G_MAXUINT16, &value))
    return set_parse_error (error, line, "the port is not 0 to 65535");
  *port = (guint16)value;
  if (!at_fields_next_uint (&fields, QCOAP_STATUS_DISCONNECTING, &value))
    return set_parse_error (error, line, "the status is not 0 to 4");
  *status = (QcoapClientStatus)value;
  *host = g_steal_pointer (&server);
  return TRUE;
}

gboolean
at_coap_qfupl_parse (const char *line, gsize *size, guint16 *checksum, GError **error)
{
  AtFieldsIter fields;
  AtField sum_field;
  guint64 value;
  guint64 sum;

  if (!open_line (&fields, line, "+QFUPL:", QFUPL_FIELDS, error))
    return FALSE;
  if (!at_fields_next_uint (&fields, G_MAXSIZE, &value))
    return set_parse_error (error, line, "the size is not a number");
  /* Quoted or not: the checksum is read as the module prints it. */
  if (!at_fields_next (&fields, &sum_field) || sum_field.length == 0
      || sum_field.length > QFUPL_CHECKSUM_DIGITS)
    return set_parse_error (error, line, "the checksum is not 1 to 4 hexadecimal digits");
  if (!at_parse_hex_uint (sum_field.text, sum_field.length, G_MAXUINT16, &sum))
    return set_parse_error (error, line, "the checksum is not hexadecimal");
  *size = (gsize)value;
  *checksum = (guint16)sum;
  return TRUE;
}

/* --- +QCOAPRECV ------------------------------------------------------------- */

void
at_coap_recv_free (QcoapRecv *recv)
{
  if (recv == NULL)
    return;
  g_clear_pointer (&recv->token, g_bytes_unref);
  g_clear_pointer (&recv->options, g_ptr_array_unref);
  g_free (recv);
}

/* Types a received option value by the option table (see the header). */
static QcoapOption *
type_received_option (guint16 number, const char *text, gsize length)
{
  const QcoapOptionInfo *info = at_coap_option_info_lookup (number);
  guint64 uint_value;
  g_autoptr (GBytes) bytes = NULL;

  switch (info != NULL ? (int)info->format : -1)
    {
      case QCOAP_OPTION_FORMAT_STRING:
        return at_coap_option_new_bytes (number, QCOAP_OPTION_FORMAT_STRING, (const guint8 *)text,
                                         length);
      case QCOAP_OPTION_FORMAT_UINT:
        if (at_parse_uint (text, length, G_MAXUINT32, &uint_value))
          return at_coap_option_new_uint (number, (guint32)uint_value);
        break;
      case QCOAP_OPTION_FORMAT_OPAQUE:
        bytes = at_decode_hex (text, length);
        if (bytes != NULL)
          return at_coap_option_new_bytes (number, QCOAP_OPTION_FORMAT_OPAQUE,
                                           g_bytes_get_data (bytes, NULL),
                                           g_bytes_get_size (bytes));
        break;
      case QCOAP_OPTION_FORMAT_EMPTY:
        if (length == 0)
          return at_coap_option_new_bytes (number, QCOAP_OPTION_FORMAT_EMPTY, NULL, 0);
        break;
      default:
        break;
    }
  return at_coap_option_new_bytes (number, QCOAP_OPTION_FORMAT_OPAQUE, (const guint8 *)text,
                                   length);
}

/* Splitting the options of +QCOAPRECV.
 *
 * The modem prints string values raw between their quotes: a '"' or a ','
 * inside one is not escaped, so neither a comma nor a quote ends a value by
 * itself. What is certain is the option count and the final ",<length>".
 * The text between the option count and that comma is read as exactly
 * <opt_count> pieces "<number>,<value>", where <value> is quoted (everything
 * between the piece's first and last quote) or bare (no quote, no comma).
 * A piece can only end at a comma that is followed by "<digits>," (the next
 * option's number), so the candidate ends are known in advance; a front to
 * back search with memory (each candidate and option index is tried once)
 * finds the split.
 *
 * Consistent splits are preferred: option numbers that do not decrease (a
 * CoAP message carries its options in ascending order) and values that parse
 * in their option's format (a decimal number for Observe or Block2, hex for
 * ETag). Among those, each option takes the earliest end that lets the rest
 * of the line fit. Only if no split is consistent is any split taken, the
 * values then typed as far as they go (see type_received_option).
 *
 * What remains ambiguous: a string value (not the last one) that itself
 * holds '",<n>,"' with a number n no smaller than its own option's, when
 * the option count also fits a cut there; the earlier cut is taken, and the
 * rest of that value goes to the next option. */

/* One option's text: its number and the value without its quotes. */
typedef struct
{
  guint16 number;
  const char *value;
  gsize length;
} OptionText;

/* A comma at which an option may end, the number that follows it, and
 * whether a quote comes right before it (spaces aside). */
typedef struct
{
  const char *at;
  guint64 next_number;
  gboolean after_quote;
} OptionEnd;

typedef struct
{
  GArray *ends; /* of OptionEnd: [0] before the first option, the last before <length> */
  guint n_options;
  gboolean strict;
  gint8 *known;  /* per (end, option): 0 not tried yet, 1 the rest fits, -1 it does not */
  guint *chosen; /* per (end, option) that fits: where that option ends */
  guint steps;   /* candidate ends left to try, for both passes */
} OptionSplit;

/* Each (end, option) pair is tried once, but each tries every later end, so
 * a line crafted full of candidate ends that do not fit (",1,\"\"" over and
 * over) costs ends x ends x options steps: seconds for a header of 16 KiB.
 * Past this many steps (some milliseconds) the line is refused as not
 * splittable; what the module prints for real options needs a few per end. */
#define OPTION_SPLIT_STEPS 300000

/* Reads "<number>,<value>" from [start, end). */
static gboolean
option_text_parse (const char *start, const char *end, OptionText *text)
{
  const char *p = skip_spaces (start);
  const char *comma = memchr (p, ',', end - p);
  guint64 number;

  if (comma == NULL || !at_parse_uint (p, comma - p, G_MAXUINT16, &number))
    return FALSE;
  p = skip_spaces (comma + 1);
  while (end > p && end[-1] == ' ')
    end--;
  if (p < end && *p == '"')
    {
      if (end - p < 2 || end[-1] != '"')
        return FALSE;
      text->value = p + 1;
      text->length = end - p - 2;
    }
  else
    {
      if (memchr (p, '"', end - p) != NULL || memchr (p, ',', end - p) != NULL)
        return FALSE;
      text->value = p;
      text->length = end - p;
    }
  text->number = (guint16)number;
  return TRUE;
}

/* Does the value parse in its option's format? Strings and numbers the
 * table does not know take anything. */
static gboolean
option_text_fits_format (const OptionText *text)
{
  const QcoapOptionInfo *info = at_coap_option_info_lookup (text->number);
  guint64 value;

  switch (info != NULL ? info->format : QCOAP_OPTION_FORMAT_STRING)
    {
      case QCOAP_OPTION_FORMAT_UINT:
        return at_parse_uint (text->value, text->length, G_MAXUINT32, &value);
      case QCOAP_OPTION_FORMAT_OPAQUE:
        return at_is_hex (text->value, text->length);
      case QCOAP_OPTION_FORMAT_EMPTY:
        return text->length == 0;
      case QCOAP_OPTION_FORMAT_STRING:
      default:
        return TRUE;
    }
}

/* Does the comma at @p start ",<digits>,"? Then *number receives the
 * digits' value (G_MAXUINT64 if it overflows). */
static gboolean
is_option_start (const char *p, guint64 *number)
{
  const char *digits = skip_spaces (p + 1);
  const char *q = digits;

  while (g_ascii_isdigit (*q))
    q++;
  if (q == digits || *q != ',')
    return FALSE;
  if (!at_parse_uint (digits, q - digits, G_MAXUINT64, number))
    *number = G_MAXUINT64;
  return TRUE;
}

/* The candidate ends between @first (the comma before the first option) and
 * @last (the comma before <length>), both included. */
static GArray *
find_option_ends (const char *first, const char *last)
{
  GArray *ends = g_array_new (FALSE, FALSE, sizeof (OptionEnd));

  /* @last is a comma after @first, so strchr() reaches it. */
  for (const char *p = first;; p = strchr (p + 1, ','))
    {
      OptionEnd end = { p, 0, FALSE };
      const char *before = p;

      while (before > first && before[-1] == ' ')
        before--;
      end.after_quote = before > first && before[-1] == '"';
      if (p == first || p == last || is_option_start (p, &end.next_number))
        g_array_append_val (ends, end);
      if (p == last)
        return ends;
    }
}

/* Can option @option and those after it be laid out from candidate @from
 * on? Remembers the answer and, when it is yes, where @option ends. */
static gboolean
split_fits (OptionSplit *split, guint from, guint option)
{
  gsize state = (gsize)from * split->n_options + option;
  gboolean last = option + 1 == split->n_options;
  const OptionEnd *ends = (const OptionEnd *)(gpointer)split->ends->data;
  guint n_ends = split->ends->len;

  const char *number_comma = strchr (ends[from].at + 1, ',');
  /* A bare value holds no comma: it ends at the comma after its number's. */
  const char *bare_end = number_comma != NULL ? strchr (number_comma + 1, ',') : NULL;

  if (split->known[state] != 0)
    return split->known[state] > 0;
  split->known[state] = -1;
  for (guint to = last ? n_ends - 1 : from + 1; to + (last ? 0 : 1) < n_ends; to++)
    {
      OptionText text;

      if (split->steps == 0)
        return FALSE;
      split->steps--;
      /* Cheap first: a quoted value ends with a quote, a bare one at once. */
      if ((!ends[to].after_quote && ends[to].at != bare_end)
          || !option_text_parse (ends[from].at + 1, ends[to].at, &text))
        continue;
      if (split->strict
          && (!option_text_fits_format (&text) || (!last && ends[to].next_number < text.number)))
        continue;
      if (!last && !split_fits (split, to, option + 1))
        continue;
      split->chosen[state] = to;
      split->known[state] = 1;
      return TRUE;
    }
  return FALSE;
}

/* The options between @first and @last (commas of the line), typed.
 * *@too_costly tells a line given up on from one that does not fit. */
static gboolean
read_received_options (const char *first, const char *last, guint n_options, GPtrArray *options,
                       gboolean *too_costly)
{
  g_autoptr (GArray) ends = find_option_ends (first, last);
  gsize n_states = (gsize)ends->len * n_options;
  g_autofree gint8 *known = g_new0 (gint8, n_states);
  g_autofree guint *chosen = g_new0 (guint, n_states);
  OptionSplit split = { ends, n_options, TRUE, known, chosen, OPTION_SPLIT_STEPS };
  guint from = 0;

  *too_costly = FALSE;
  if (!split_fits (&split, 0, 0))
    {
      split.strict = FALSE;
      memset (known, 0, n_states);
      if (!split_fits (&split, 0, 0))
        {
          *too_costly = split.steps == 0;
          return FALSE;
        }
    }
  for (guint option = 0; option < n_options; option++)
    {
      guint to = chosen[(gsize)from * n_options + option];
      OptionText text;

      option_text_parse (g_array_index (ends, OptionEnd, from).at + 1,
                         g_array_index (ends, OptionEnd, to).at, &text);
      g_ptr_array_add (options, type_received_option (text.number, text.value, text.length));
      from = to;
    }
  return TRUE;
}

/* The comma before the line's final "<length>" field (spaces tolerated
 * around the digits), or NULL. */
static const char *
find_length_comma (const char *line)
{
  const char *p = line + strlen (line);

  while (p > line && p[-1] == ' ')
    p--;
  while (p > line && g_ascii_isdigit (p[-1]))
    p--;
  while (p > line && p[-1] == ' ')
    p--;
  return p > line && p[-1] == ',' ? p - 1 : NULL;
}

static gboolean
read_recv_token (const char *line, AtFieldsIter *fields, QcoapRecv *recv, GError **error)
{
  AtField token;
  guint64 tkl;

  if (!at_fields_next_uint (fields, QCOAP_MAX_TOKEN, &tkl))
    return set_parse_error (error, line, "the token length is not 0 to 8");
  if (!at_fields_next (fields, &token) || token.length != 2 * tkl)
    return set_parse_error (error, line, "the token does not have 2*TKL hexadecimal digits");
  recv->token = at_decode_hex (token.text, token.length);
  if (recv->token == NULL)
    return set_parse_error (error, line, "the token is not hexadecimal");
  return TRUE;
}

/* id, msgID, code, TKL, token, opt_count: none of them holds a comma, and a
 * comma follows them (options or the length). Leaves *cursor after it: what
 * comes next is split otherwise (see read_received_options). */
static gboolean
read_recv_head (const char *line, const char **cursor, QcoapRecv *recv, guint64 *n_options,
                GError **error)
{
  AtFieldsIter fields;
  AtFieldsIter after_head;
  g_autofree char *code = NULL;

  if (!at_fields_open (&fields, line, "+QCOAPRECV:", AT_FIELDS_STYLE_QUECTEL))
    return set_parse_error (error, line, "unexpected prefix");
  after_head = fields;
  for (guint i = 0; i < RECV_HEAD_FIELDS; i++)
    if (at_fields_at_end (&after_head) || !at_fields_skip (&after_head))
      return set_parse_error (error, line, "too few fields");
  if (at_fields_at_end (&after_head))
    return set_parse_error (error, line, "the payload length is missing");
  *cursor = at_fields_rest (&after_head);

  if (!read_client_id (line, &fields, &recv->client_id, error)
      || !read_message_id (line, &fields, &recv->message_id, error))
    return FALSE;
  if (!at_fields_next_text (&fields, &code) || !at_coap_code_parse (code, &recv->code))
    return set_parse_error (error, line, "the code is not of the form c.dd");
  if (!read_recv_token (line, &fields, recv, error))
    return FALSE;
  if (!at_fields_next_uint (&fields, G_MAXUINT32, n_options))
    return set_parse_error (error, line, "the option count is not a number");
  return TRUE;
}

/* More than the modem's slots by far; the bound also keeps the search for
 * the options' split (its memory grows with the count) small. */
#define MAX_RECEIVED_OPTIONS 64

static gboolean
read_recv_options (const char *line, const char **cursor, guint64 n_options, QcoapRecv *recv,
                   GError **error)
{
  const char *length_comma;
  gboolean too_costly = FALSE;

  if (n_options > MAX_RECEIVED_OPTIONS)
    return set_parse_error (error, line, "the option count is not 0 to 64");
  if (n_options == 0)
    return TRUE;
  length_comma = find_length_comma (line);
  /* (*cursor)[-1] is the comma after the option count. */
  if (length_comma == NULL || length_comma < *cursor
      || !read_received_options (*cursor - 1, length_comma, (guint)n_options, recv->options,
                                 &too_costly))
    return set_parse_error (error, line,
                            too_costly ? "the options can be split in too many ways to try"
                                       : "the options do not match the option count");
  *cursor = length_comma + 1;
  return TRUE;
}

/* The last field: digits, blanks around them aside, and nothing after. */
static gboolean
read_recv_length (const char *line, const char *cursor, QcoapRecv *recv, GError **error)
{
  AtFieldsIter rest;
  guint64 value;

  if (!at_fields_open (&rest, cursor, "", AT_FIELDS_STYLE_QUECTEL)
      || !at_fields_next_uint (&rest, G_MAXUINT32, &value) || !at_fields_at_end (&rest))
    return set_parse_error (error, line, "the payload length is not 0 to 4294967295");
  recv->payload_length = (gsize)value;
  return TRUE;
}

QcoapRecv *
at_coap_recv_parse (const char *line, GError **error)
{
  g_autoptr (QcoapRecv) recv = g_new0 (QcoapRecv, 1);
  const char *cursor;
  guint64 n_options;

  recv->options = at_coap_option_list_new ();
  if (!read_recv_head (line, &cursor, recv, &n_options, error)
      || !read_recv_options (line, &cursor, n_options, recv, error)
      || !read_recv_length (line, cursor, recv, error))
    return NULL;
  return g_steal_pointer (&recv);
}

QcoapRecv *
at_coap_recv_parse_head (const char *line, GError **error)
{
  g_autoptr (QcoapRecv) recv = g_new0 (QcoapRecv, 1);
  const char *cursor;
  guint64 n_options;

  recv->options = at_coap_option_list_new ();
  if (!read_recv_head (line, &cursor, recv, &n_options, error))
    return NULL;
  return g_steal_pointer (&recv);
}

gboolean
at_coap_recv_head_reads (const char *line)
{
  g_autoptr (QcoapRecv) recv = at_coap_recv_parse_head (line, NULL);

  return recv != NULL;
}

gboolean
at_coap_open_status_lists_held (const char *line, guint *client_id)
{
  g_autofree char *host = NULL;
  QcoapClientStatus status;
  guint16 port;

  return at_coap_open_status_parse (line, client_id, &host, &port, &status, NULL)
         && *client_id < QCOAP_MAX_CLIENTS && status != QCOAP_STATUS_IDLE;
}
