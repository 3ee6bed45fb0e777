/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* How long a stream endpoint takes to check and decode the worst messages
 * a hostile peer can write, per MiB, against a byte array of the same size,
 * which is only copied (the floor). The isolation boundary holds only if
 * every shape stays within a small factor of that floor: a peer must not
 * be able to stall a main loop with a message that is merely big.
 *
 * End to end, through the public API: one end of a socketpair is a
 * ComlinkStreamEndpoint wrapped with comlink_wrap(), in a receiver process
 * of its own, with one call waiting for its reply; the other end is raw.
 * The benchmark writes the peer's HELLO, then one frame of the shape, and
 * times from the first byte written until the receiver's call completes,
 * with the value, or with the error that refused the message. A receiver
 * that takes longer than the timeout is killed and the benchmark goes on:
 * a quadratic check must not make it hang.
 *
 * The shapes, each one frame of about 1, 8 and 32 MiB:
 *  - ay under the BYTES tag: the floor, against which the others are put;
 *  - as of empty strings, a plain value: one string per byte and offset;
 *  - a() of units under the VARIANT tag: one value per byte;
 *  - av of chains <[<[...]>]>, and an array of tuples (((...(y)...))), as
 *    deep as GLib lets a value nest in a frame;
 *  - aav of one-element arrays, and av of small ints;
 *  - RELEASE of (id, count) pairs to a side that exports nothing, which
 *    must be refused as a protocol error; a linear check refuses it fast.
 *
 * The frames are serialised by hand: GLib builds large arrays of small
 * elements slowly, and a benchmark of a linear check must not wait on a
 * quadratic builder. Every shape is checked against GLib's own normal form
 * at a small size first.
 *
 * Usage: bench-decode [--quick] [--max-mib N] [--timeout SECONDS]
 *                     [--default-limits]
 *   --quick           sizes of 1 and 8 MiB only
 *   --max-mib N       no frame larger than N MiB (N may be a fraction)
 *   --timeout S       give up on a measurement after S seconds (default 20)
 *   --default-limits  leave the limits other than the size at their
 *                     defaults: what a peer meets in practice, where a
 *                     shape may be refused instead of measured
 */

#include <comlink-glib/comlink.h>

#include "bench-common.h"

#include <gio/gunixinputstream.h>
#include <glib-unix.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MIB 1048576.0
#define LABEL_WIDTH 30

/* doc/protocol.md */
#define KIND_RELEASE 5
#define KIND_REPLY 7
#define KIND_CALL 2
#define TAG_VARIANT 2
#define TAG_BYTES 3

/* The limits a receiver raises for the measurement when its build has
 * them; the size limit is raised through its own setter */
static const char * const optional_limits[] = {
  "max-message-elements",
};

/* ------------------------------------------------------------------ */
/* Hand serialisation of arrays of copies                               */

static gsize
align_up (gsize offset,
          gsize alignment)
{
  return (offset + alignment - 1) & ~(alignment - 1);
}

/* The framing offset size GLib picks for a container of @body bytes of
 * content and @n_offsets offsets */
static gsize
offset_size (gsize body,
             gsize n_offsets)
{
  if (body + n_offsets <= G_MAXUINT8)
    return 1;
  if (body + 2 * n_offsets <= G_MAXUINT16)
    return 2;
  if (body + 4 * n_offsets <= G_MAXUINT32)
    return 4;
  return 8;
}

static void
write_offset (guint8 *at,
              gsize   size,
              gsize   value)
{
  guint8  v8 = (guint8) value;
  guint16 v16 = (guint16) value;
  guint32 v32 = (guint32) value;
  guint64 v64 = (guint64) value;

  switch (size)
    {
    case 1: memcpy (at, &v8, 1); break;
    case 2: memcpy (at, &v16, 2); break;
    case 4: memcpy (at, &v32, 4); break;
    default: memcpy (at, &v64, 8); break;
    }
}

/* An array of @n copies of @element, in the byte order of this machine
 * (the frame is swapped as a whole where that is not little-endian).
 * Padding is zero, as normal form wants it. */
static GBytes *
array_of_copies (GBytes  *element,
                 gsize    alignment,
                 gboolean fixed,
                 gsize    n)
{
  gsize         element_size;
  const guint8 *bytes = g_bytes_get_data (element, &element_size);
  gsize         stride = fixed ? element_size : align_up (element_size, alignment);
  gsize         body, per_offset, total;
  guint8       *data;

  if (n == 0)
    return g_bytes_new (NULL, 0);

  body = (n - 1) * stride + element_size;
  per_offset = fixed ? 0 : offset_size (body, n);
  total = body + n * per_offset;
  data = g_malloc0 (total);

  if (element_size == 1)
    memset (data, bytes[0], n);
  else
    for (gsize i = 0; i < n; i++)
      memcpy (data + i * stride, bytes, element_size);

  for (gsize i = 0; per_offset > 0 && i < n; i++)
    write_offset (data + body + i * per_offset, per_offset, i * stride + element_size);

  return g_bytes_new_take (data, total);
}

static GBytes *
serialise (GVariant *value)
{
  g_autoptr(GVariant) sunk = g_variant_ref_sink (value);

  return g_variant_get_data_as_bytes (sunk);
}

/* ------------------------------------------------------------------ */
/* Shapes                                                               */

typedef enum
{
  WRAP_PLAIN,   /* the array is the REPLY's value */
  WRAP_VARIANT, /* the REPLY's value is (VARIANT, <array>) */
  WRAP_BYTES,   /* the REPLY's value is (BYTES, <array>) */
  WRAP_RELEASE, /* the array is the body of a RELEASE */
} Wrap;

typedef struct
{
  char    *label;
  Wrap     wrap;
  char    *type; /* of the array */
  GBytes  *element;
  gsize    alignment;
  gboolean fixed;
  gboolean refused; /* the receiver must refuse it */
} Shape;

static GVariant *
shape_message (const Shape *shape,
               gsize        n)
{
  g_autoptr(GBytes) bytes = array_of_copies (shape->element, shape->alignment, shape->fixed, n);
  GVariant *array;
  GVariant *body;
  guint8    kind = KIND_REPLY;
  guint64   id = 1;

  if (shape->wrap == WRAP_RELEASE)
    {
      guint8 *data = (guint8 *) g_bytes_get_data (bytes, NULL);

      /* (tu) is 16 bytes: the id at 0, the count at 8. Every id is one
       * this side never exported. */
      for (gsize i = 0; i < n; i++)
        {
          guint64 object_id = i + 1;

          memcpy (data + i * 16, &object_id, sizeof object_id);
        }
    }

  array = g_variant_new_from_bytes (G_VARIANT_TYPE (shape->type), bytes, TRUE);
  switch (shape->wrap)
    {
    case WRAP_PLAIN: body = array; break;
    case WRAP_VARIANT: body = g_variant_new ("(yv)", TAG_VARIANT, array); break;
    case WRAP_BYTES: body = g_variant_new ("(yv)", TAG_BYTES, array); break;
    case WRAP_RELEASE:
    default:
      body = array;
      kind = KIND_RELEASE;
      id = 0;
      break;
    }

  return g_variant_new ("((ytt)@asv)", kind, id, (guint64) 0, g_variant_new_strv (NULL, 0), body);
}

/* How many elements make a frame of about @target bytes */
static gsize
shape_count_for (const Shape *shape,
                 gsize        target)
{
  gsize element_size = g_bytes_get_size (shape->element);
  gsize per = shape->fixed ? element_size
                           : align_up (element_size, shape->alignment) + offset_size (target, 0);
  gsize overhead = 256;

  return target > overhead + per ? (target - overhead) / per : 1;
}

/* @alignment and @fixed are those of the element type of @type */
static Shape *
shape_new (Wrap        wrap,
           const char *type,
           GVariant   *element,
           gsize       alignment,
           gboolean    fixed,
           gboolean    refused,
           const char *label)
{
  Shape *shape = g_new0 (Shape, 1);

  shape->label = g_strdup (label);
  shape->wrap = wrap;
  shape->type = g_strdup (type);
  shape->element = serialise (element);
  shape->alignment = alignment;
  shape->fixed = fixed;
  shape->refused = refused;

  return shape;
}

static void
shape_free (Shape *shape)
{
  g_free (shape->label);
  g_free (shape->type);
  g_bytes_unref (shape->element);
  g_free (shape);
}

/* ------------------------------------------------------------------ */
/* Frames                                                               */

static void
append_frame (GByteArray *out,
              GVariant   *message)
{
  g_autoptr(GVariant) boxed = g_variant_ref_sink (g_variant_new_variant (message));
  gsize   size, start;
  guint32 header;

  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (boxed);

      g_variant_unref (boxed);
      boxed = swapped;
    }

  /* Serialised on its own first: GLib stores a value only at an address
   * of its alignment, which 4 bytes after a frame's start is not */
  size = g_variant_get_size (boxed);
  g_assert (size < G_MAXINT32);
  header = GUINT32_TO_LE ((guint32) size);
  start = out->len;
  g_byte_array_set_size (out, start + 4 + size);
  memcpy (out->data + start, &header, 4);
  memcpy (out->data + start + 4, g_variant_get_data (boxed), size);
}

/* What the raw peer writes: its HELLO, then the frame of @message */
static GBytes *
peer_bytes (GVariant *message,
            gsize    *frame_size)
{
  GByteArray *out = g_byte_array_new ();
  gsize       hello_size;

  append_frame (out, g_variant_new_parsed ("((byte 1, uint64 0, uint64 0), @as [], <(uint32 1, 'bench')>)"));
  hello_size = out->len;
  append_frame (out, message);
  *frame_size = out->len - hello_size;

  return g_byte_array_free_to_bytes (out);
}

/* Whether the last frame of @peer is in normal form as GLib sees it, for
 * the check of each shape at a small size */
static gboolean
last_frame_is_normal (GBytes *peer,
                      gsize   frame_size)
{
  gsize         size;
  const guint8 *data = g_bytes_get_data (peer, &size);
  g_autoptr(GBytes) body = g_bytes_new (data + size - frame_size + 4, frame_size - 4);
  g_autoptr(GVariant) boxed = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARIANT, body, FALSE));

  return g_variant_is_normal_form (boxed);
}

static gboolean
shape_is_valid (const Shape *shape,
                gsize        n)
{
  gsize frame_size;
  g_autoptr(GBytes) peer = peer_bytes (shape_message (shape, n), &frame_size);

  return last_frame_is_normal (peer, frame_size);
}

/* ------------------------------------------------------------------ */
/* The deepest values a frame may carry                                 */

/* <[<[ ... <[]> ... ]>]>: @depth arrays of variants */
static GVariant *
chain_new (guint depth)
{
  GVariant *level = g_variant_new_array (G_VARIANT_TYPE_VARIANT, NULL, 0);

  for (guint i = 1; i < depth; i++)
    {
      GVariant *inner = g_variant_new_variant (level);

      level = g_variant_new_array (G_VARIANT_TYPE_VARIANT, &inner, 1);
    }

  return g_variant_new_variant (level);
}

static Shape *
deepest_chains (void)
{
  for (guint depth = 128; depth > 0; depth--)
    {
      g_autofree char *label = g_strdup_printf ("av of <[<[..]>]>, depth %u", depth);
      Shape           *shape = shape_new (WRAP_VARIANT, "av", chain_new (depth), 8, FALSE, FALSE, label);

      if (shape_is_valid (shape, 2))
        return shape;
      shape_free (shape);
    }
  g_error ("no chain of arrays of variants fits in a frame");
}

/* (((...(y)...))): @depth tuples around a byte */
static char *
tuple_type_new (guint depth)
{
  GString *type = g_string_new ("a");

  for (guint i = 0; i < depth; i++)
    g_string_append_c (type, '(');
  g_string_append_c (type, 'y');
  for (guint i = 0; i < depth; i++)
    g_string_append_c (type, ')');

  return g_string_free (type, FALSE);
}

static Shape *
deepest_tuples (void)
{
  for (guint depth = 128; depth > 0; depth--)
    {
      g_autofree char *type = tuple_type_new (depth);
      g_autofree char *label = NULL;
      Shape           *shape;

      if (!g_variant_type_string_is_valid (type))
        continue;
      label = g_strdup_printf ("a(..(y)..), depth %u", depth);
      shape = shape_new (WRAP_VARIANT, type,
                         g_variant_new_from_data (G_VARIANT_TYPE (type + 1), "", 1, TRUE, NULL, NULL),
                         1, TRUE, FALSE, label);
      if (shape_is_valid (shape, 2))
        return shape;
      shape_free (shape);
    }
  g_error ("no tuple type nests in a frame");
}

static GPtrArray *
shapes_new (void)
{
  GPtrArray *shapes = g_ptr_array_new_with_free_func ((GDestroyNotify) shape_free);
  GVariant  *unit = g_variant_new_tuple (NULL, 0);
  GVariant  *one_unit = g_variant_new_variant (g_variant_new_tuple (NULL, 0));

  /* The anchor comes first: the others are put against it */
  g_ptr_array_add (shapes, shape_new (WRAP_BYTES, "ay", g_variant_new_byte (0xa5), 1, TRUE, FALSE,
                                      "ay, BYTES (the floor)"));
  g_ptr_array_add (shapes, shape_new (WRAP_PLAIN, "as", g_variant_new_string (""), 1, FALSE, FALSE,
                                      "as of empty strings"));
  g_ptr_array_add (shapes, shape_new (WRAP_VARIANT, "a()", unit, 1, TRUE, FALSE,
                                      "a() of units, VARIANT"));
  g_ptr_array_add (shapes, deepest_chains ());
  g_ptr_array_add (shapes, deepest_tuples ());
  g_ptr_array_add (shapes, shape_new (WRAP_VARIANT, "aav", g_variant_new_array (G_VARIANT_TYPE_VARIANT, &one_unit, 1), 8, FALSE, FALSE,
                                      "aav of [<()>]"));
  g_ptr_array_add (shapes, shape_new (WRAP_VARIANT, "av", g_variant_new_variant (g_variant_new_int32 (7)), 8, FALSE, FALSE,
                                      "av of <int32>"));
  g_ptr_array_add (shapes, shape_new (WRAP_RELEASE, "a(tu)", g_variant_new ("(tu)", (guint64) 1, 1), 8, TRUE, TRUE,
                                      "RELEASE a(tu), unknown ids"));

  for (guint i = 0; i < shapes->len; i++)
    {
      Shape *shape = g_ptr_array_index (shapes, i);

      /* Across the offset sizes of 1, 2 and 4 bytes */
      if (!shape_is_valid (shape, 1) || !shape_is_valid (shape, 40) || !shape_is_valid (shape, 5000))
        g_error ("%s: the serialisation is not in normal form", shape->label);
    }

  return shapes;
}

/* ------------------------------------------------------------------ */
/* The receiver, a process of its own                                   */

typedef struct
{
  gboolean done;
  gint64   end_ns;
  GValue  *value;
  GError  *error;
} CallState;

static void
call_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  CallState *state = user_data;

  state->end_ns = bench_now_ns ();
  state->value = comlink_proxy_call_finish (COMLINK_PROXY (source), result, &state->error);
  state->done = TRUE;
  g_main_context_wakeup (NULL);
}

static void
raise_to_maximum (GObject    *object,
                  const char *name)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (object), name);

  if (pspec == NULL)
    return;
  if (G_IS_PARAM_SPEC_UINT64 (pspec))
    g_object_set (object, name, G_PARAM_SPEC_UINT64 (pspec)->maximum, NULL);
  else if (G_IS_PARAM_SPEC_UINT (pspec))
    g_object_set (object, name, G_PARAM_SPEC_UINT (pspec)->maximum, NULL);
  else if (G_IS_PARAM_SPEC_INT64 (pspec))
    g_object_set (object, name, G_PARAM_SPEC_INT64 (pspec)->maximum, NULL);
  else if (G_IS_PARAM_SPEC_INT (pspec))
    g_object_set (object, name, G_PARAM_SPEC_INT (pspec)->maximum, NULL);
  else
    g_printerr ("warning: property %s of %s is not a number, left as it is\n",
                name, G_OBJECT_TYPE_NAME (object));
}

/* What the call completed with: its kind, a count to check the shape
 * against, and the error message */
static void
print_outcome (const CallState *state)
{
  guint64 count = 0;

  if (state->error != NULL)
    {
      const char *nick = "error";

      if (state->error->domain == COMLINK_ERROR)
        {
          GEnumClass *klass = g_type_class_ref (COMLINK_TYPE_ERROR);
          GEnumValue *code = g_enum_get_value (klass, state->error->code);

          nick = code != NULL ? code->value_nick : nick;
          g_type_class_unref (klass);
        }
      printf ("%" G_GINT64_FORMAT "\trefused: %s\t0\t%s\n", state->end_ns, nick, state->error->message);
      return;
    }

  if (state->value != NULL && G_VALUE_HOLDS (state->value, G_TYPE_STRV))
    count = g_strv_length (g_value_get_boxed (state->value));
  else if (state->value != NULL && G_VALUE_HOLDS (state->value, G_TYPE_VARIANT))
    count = g_variant_n_children (g_value_get_variant (state->value));
  else if (state->value != NULL && G_VALUE_HOLDS (state->value, G_TYPE_BYTES))
    count = g_bytes_get_size (g_value_get_boxed (state->value));
  printf ("%" G_GINT64_FORMAT "\tvalue\t%" G_GUINT64_FORMAT "\t%s\n", state->end_ns, count,
          state->value != NULL ? G_VALUE_TYPE_NAME (state->value) : "none");
}

static int
run_receiver (int      fd,
              guint64  max_message_size,
              gboolean raise_limits)
{
  g_autoptr(GIOStream) stream = bench_stream_for_fd (fd);
  g_autoptr(ComlinkEndpoint) endpoint = comlink_stream_endpoint_new (stream);
  g_autoptr(ComlinkProxy) proxy = NULL;
  CallState state = { 0 };

  comlink_stream_endpoint_set_max_message_size (COMLINK_STREAM_ENDPOINT (endpoint), max_message_size);
  for (guint i = 0; raise_limits && i < G_N_ELEMENTS (optional_limits); i++)
    raise_to_maximum (G_OBJECT (endpoint), optional_limits[i]);

  proxy = comlink_wrap (endpoint);
  comlink_proxy_call_async (proxy, "work", NULL, 0, NULL, call_done, &state);
  while (!state.done)
    g_main_context_iteration (NULL, TRUE);

  print_outcome (&state);
  fflush (stdout);

  g_clear_error (&state.error);
  if (state.value != NULL)
    g_boxed_free (G_TYPE_VALUE, state.value);
  g_clear_object (&proxy);
  comlink_endpoint_close (endpoint);
  while (g_main_context_iteration (NULL, FALSE))
    ;

  return 0;
}

/* ------------------------------------------------------------------ */
/* One measurement                                                      */

typedef struct
{
  gboolean finished; /* FALSE: over the timeout, or the receiver died */
  double   ms;
  char    *outcome;
  guint64  count;
  char    *message;
} Measurement;

static void
measurement_clear (Measurement *m)
{
  g_clear_pointer (&m->outcome, g_free);
  g_clear_pointer (&m->message, g_free);
}

static char    *self_path;
static double   timeout_s = 20.0;
static gboolean default_limits;

/* Reads what the receiver wrote on the socket until its CALL is among it,
 * so that the reply finds the call pending */
static gboolean
wait_for_call (int         fd,
               GByteArray *in,
               gint64      deadline)
{
  gsize offset = 0;

  for (;;)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      guint8        buf[4096];
      ssize_t       n;
      int           wait_ms = (int) MAX (0, (deadline - bench_now_ns ()) / 1000000);

      while (in->len - offset >= 5)
        {
          guint32 size;

          memcpy (&size, in->data + offset, 4);
          size = GUINT32_FROM_LE (size) & 0x7fffffff;
          if (in->len - offset - 4 < size)
            break;
          /* The message is the first child of the variant, its kind its
           * first byte */
          if (in->data[offset + 4] == KIND_CALL)
            return TRUE;
          offset += 4 + size;
        }

      if (poll (&pfd, 1, wait_ms) <= 0)
        return FALSE;
      n = recv (fd, buf, sizeof buf, 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        return FALSE;
      if (n > 0)
        g_byte_array_append (in, buf, (guint) n);
    }
}

/* Parses "END_NS\tOUTCOME\tCOUNT\tMESSAGE\n" */
static gboolean
parse_report (const char  *line,
              gint64       start_ns,
              Measurement *m)
{
  g_auto(GStrv) fields = g_strsplit (line, "\t", 4);

  if (g_strv_length (fields) != 4)
    return FALSE;
  m->ms = (double) (g_ascii_strtoll (fields[0], NULL, 10) - start_ns) / 1e6;
  m->outcome = g_strdup (fields[1]);
  m->count = g_ascii_strtoull (fields[2], NULL, 10);
  m->message = g_strdup (g_strchomp (fields[3]));
  m->finished = TRUE;

  return TRUE;
}

/* Writes @peer to @fd and waits for the receiver's report on @report_fd,
 * until the deadline; what the receiver writes meanwhile is dropped */
static void
write_and_wait (int          fd,
                int          report_fd,
                GBytes      *peer,
                gint64       deadline,
                Measurement *m)
{
  gsize         size;
  const guint8 *data = g_bytes_get_data (peer, &size);
  gsize         written = 0;
  gboolean      writing = TRUE;
  g_autoptr(GString) report = g_string_new (NULL);
  gint64 start_ns = bench_now_ns ();

  for (;;)
    {
      struct pollfd pfds[2] = {
        { fd, (short) (POLLIN | (writing ? POLLOUT : 0)), 0 },
        { report_fd, POLLIN, 0 },
      };
      gint64  left = deadline - bench_now_ns ();
      char    buf[4096];
      ssize_t n;

      if (left <= 0 || poll (pfds, 2, (int) (left / 1000000) + 1) < 0)
        {
          if (left > 0 && errno == EINTR)
            continue;
          return;
        }

      if (writing && (pfds[0].revents & (POLLOUT | POLLERR | POLLHUP)))
        {
          n = send (fd, data + written, size - written, MSG_NOSIGNAL | MSG_DONTWAIT);
          if (n > 0)
            written += (gsize) n;
          /* A receiver that refused the message has closed its end */
          if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == size)
            writing = FALSE;
        }
      if (pfds[0].revents & POLLIN)
        (void) recv (fd, buf, sizeof buf, MSG_DONTWAIT);

      if (pfds[1].revents & (POLLIN | POLLHUP))
        {
          n = read (report_fd, buf, sizeof buf);
          if (n <= 0)
            return; /* the receiver died without a report */
          g_string_append_len (report, buf, n);
          if (strchr (report->str, '\n') != NULL)
            {
              if (!parse_report (report->str, start_ns, m))
                g_printerr ("warning: unreadable report from the receiver: %s", report->str);
              return;
            }
        }
    }
}

static Measurement
measure (GBytes *peer,
         gsize   frame_size)
{
  Measurement m = { 0 };
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) receiver = NULL;
  g_autoptr(GByteArray) in = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *max_size = g_strdup_printf ("%" G_GSIZE_FORMAT, frame_size + 4096);
  int              fds[2];
  int              report_fd;
  gint64           deadline;

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    g_error ("socketpair: %s", g_strerror (errno));
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  receiver = g_subprocess_launcher_spawn (launcher, &error, self_path, "--receiver", "3", max_size,
                                          default_limits ? "keep" : "raise", NULL);
  if (receiver == NULL)
    g_error ("cannot start the receiver: %s", error->message);
  g_clear_object (&launcher); /* closes our copy of its end */
  report_fd = g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (g_subprocess_get_stdout_pipe (receiver)));

  if (!wait_for_call (fds[0], in, bench_now_ns () + 10 * G_GINT64_CONSTANT (1000000000)))
    {
      m.outcome = g_strdup ("receiver did not call");
    }
  else
    {
      deadline = bench_now_ns () + (gint64) (timeout_s * 1e9);
      write_and_wait (fds[0], report_fd, peer, deadline, &m);
      if (!m.finished)
        m.outcome = g_strdup (bench_now_ns () >= deadline ? "killed" : "receiver died");
    }

  if (!m.finished)
    g_subprocess_force_exit (receiver);
  close (fds[0]);
  if (!g_subprocess_wait (receiver, NULL, &error))
    g_printerr ("warning: waiting for the receiver: %s\n", error->message);

  return m;
}

/* ------------------------------------------------------------------ */
/* The report                                                           */

typedef struct
{
  const Shape *shape;
  gsize        n;
  gsize        frame_size;
  Measurement  m;
  gboolean     skipped; /* a smaller frame of the shape went over */
} Row;

static int
compare_ms (gconstpointer a,
            gconstpointer b)
{
  double x = ((const Measurement *) a)->ms;
  double y = ((const Measurement *) b)->ms;

  return (x > y) - (x < y);
}

/* The median of up to three runs; one that takes a second is not run
 * again */
static Measurement
measure_shape (const Shape *shape,
               gsize        n,
               gsize       *frame_size)
{
  g_autoptr(GBytes) peer = peer_bytes (shape_message (shape, n), frame_size);
  Measurement runs[3];
  guint       n_runs = 0;

  do
    runs[n_runs++] = measure (peer, *frame_size);
  while (n_runs < G_N_ELEMENTS (runs) && runs[0].finished && runs[n_runs - 1].finished && runs[0].ms < 1000.0);

  qsort (runs, n_runs, sizeof runs[0], compare_ms);
  for (guint i = 0; i < n_runs; i++)
    if (i != n_runs / 2)
      measurement_clear (&runs[i]);

  return runs[n_runs / 2];
}

static char *
format_timeout (void)
{
  return g_strdup_printf ("over %.0f s", timeout_s);
}

static void
print_rows (double  target_mib,
            GArray *rows)
{
  const Row *anchor = &g_array_index (rows, Row, 0);

  printf ("\nframes of about %g MiB\n%-*s %14s %14s %14s %14s %14s %14s\n", target_mib, LABEL_WIDTH, "shape",
          "MiB", "elements", "time (ms)", "ms/MiB", "x floor", "outcome");
  for (guint i = 0; i < rows->len; i++)
    {
      const Row *row = &g_array_index (rows, Row, i);
      double     mib = (double) row->frame_size / MIB;
      gboolean   timed = row->m.finished && !row->skipped;

      bench_print_row (LABEL_WIDTH, row->shape->label,
                       g_strdup_printf ("%.2f", mib),
                       g_strdup_printf ("%" G_GSIZE_FORMAT, row->n),
                       timed ? g_strdup_printf ("%.1f", row->m.ms) : format_timeout (),
                       timed ? g_strdup_printf ("%.1f", row->m.ms / mib) : g_strdup ("-"),
                       timed && anchor->m.finished && anchor->m.ms > 0
                         ? g_strdup_printf ("%.1f", row->m.ms / anchor->m.ms)
                         : g_strdup ("-"),
                       g_strdup (row->skipped ? "not run" : row->m.outcome),
                       NULL);
    }
  fflush (stdout);
}

/* Tells on stderr what a measurement gave, and whether the receiver got
 * the whole value, or refused a message that it must refuse */
static void
report_progress (const Row *row)
{
  const Shape *shape = row->shape;

  if (!row->m.finished)
    {
      g_printerr ("  %s, %" G_GSIZE_FORMAT " bytes: %s\n", shape->label, row->frame_size, row->m.outcome);
      return;
    }
  g_printerr ("  %s, %" G_GSIZE_FORMAT " bytes: %.1f ms, %s (%s)\n", shape->label, row->frame_size,
              row->m.ms, row->m.outcome, row->m.message);
  if (shape->refused != g_str_has_prefix (row->m.outcome, "refused"))
    g_printerr ("  note: %s was %s\n", shape->label, shape->refused ? "accepted" : "refused");
  else if (!shape->refused && row->m.count != row->n)
    g_printerr ("  warning: %s: the receiver got %" G_GUINT64_FORMAT " elements of %" G_GSIZE_FORMAT "\n",
                shape->label, row->m.count, row->n);
}

static void
print_limits (void)
{
  GObjectClass *klass = g_type_class_ref (COMLINK_TYPE_STREAM_ENDPOINT);

  printf ("receiver: a ComlinkStreamEndpoint in a process of its own; raised: max-message-size");
  for (guint i = 0; i < G_N_ELEMENTS (optional_limits); i++)
    {
      const char *state = "";

      if (g_object_class_find_property (klass, optional_limits[i]) == NULL)
        state = " (not in this build)";
      else if (default_limits)
        state = " (left at its default)";
      printf (", %s%s", optional_limits[i], state);
    }
  printf ("\ntime: from the first byte of the peer's HELLO written to the completion of the call; "
          "median of 3 runs, 1 run above 1 s; timeout %.0f s\n",
          timeout_s);
  g_type_class_unref (klass);
}

static void
usage (const char *argv0)
{
  fprintf (stderr, "usage: %s [--quick] [--max-mib N] [--timeout SECONDS] [--default-limits]\n", argv0);
  exit (2);
}

int
main (int argc, char **argv)
{
  static const double all_sizes[] = { 1, 8, 32 };
  g_autoptr(GPtrArray) shapes = NULL;
  g_autoptr(GArray) sizes = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree gboolean *over = NULL;
  gboolean             quick = FALSE;
  double               max_mib = G_MAXDOUBLE;

  if (argc == 5 && g_str_equal (argv[1], "--receiver"))
    return run_receiver (atoi (argv[2]), g_ascii_strtoull (argv[3], NULL, 10), g_str_equal (argv[4], "raise"));

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--quick"))
        quick = TRUE;
      else if (g_str_equal (argv[i], "--max-mib") && i + 1 < argc)
        max_mib = g_ascii_strtod (argv[++i], NULL);
      else if (g_str_equal (argv[i], "--timeout") && i + 1 < argc)
        timeout_s = g_ascii_strtod (argv[++i], NULL);
      else if (g_str_equal (argv[i], "--default-limits"))
        default_limits = TRUE;
      else
        usage (argv[0]);
    }
  if (max_mib <= 0 || timeout_s <= 0)
    usage (argv[0]);

  /* Every size capped at --max-mib, each once */
  for (guint i = 0; i < G_N_ELEMENTS (all_sizes) - (quick ? 1 : 0); i++)
    {
      double size = MIN (all_sizes[i], max_mib);

      if (sizes->len == 0 || g_array_index (sizes, double, sizes->len - 1) < size)
        g_array_append_val (sizes, size);
    }

  self_path = g_file_read_link ("/proc/self/exe", NULL);
  if (self_path == NULL)
    g_error ("cannot find this program in /proc/self/exe");

  shapes = shapes_new ();
  over = g_new0 (gboolean, shapes->len);
  print_limits ();

  for (guint s = 0; s < sizes->len; s++)
    {
      double target_mib = g_array_index (sizes, double, s);
      gsize  target = (gsize) (target_mib * MIB);
      g_autoptr(GArray) rows = g_array_new (FALSE, TRUE, sizeof (Row));

      g_printerr ("frames of about %g MiB:\n", target_mib);
      for (guint i = 0; i < shapes->len; i++)
        {
          Row row = { 0 };

          row.shape = g_ptr_array_index (shapes, i);
          row.n = shape_count_for (row.shape, target);
          /* A shape that went over the timeout with a smaller frame
           * would go over with this one too */
          row.skipped = over[i];
          if (!row.skipped)
            {
              row.m = measure_shape (row.shape, row.n, &row.frame_size);
              over[i] = !row.m.finished;
              report_progress (&row);
            }
          else
            {
              row.frame_size = target;
            }
          g_array_append_val (rows, row);
        }
      print_rows (target_mib, rows);
      for (guint i = 0; i < rows->len; i++)
        measurement_clear (&g_array_index (rows, Row, i).m);
    }

  return 0;
}
