/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The wire layer: writing a message into an output buffer.
 *
 * A message is serialised as GLib would serialise it (the bytes are the
 * same, which a test checks), but straight into the caller's buffer, and
 * without copying large byte payloads: an array of numbers of at least
 * the threshold (a GBytes value, for instance) is not copied but
 * referenced, so that a stream sends it from where it is. Small parts
 * are written by g_variant_store(), which serialises a value where it is
 * told to, without a copy of its own.
 */

#include "config.h"

#include <string.h>

#include "comlink-wire-private.h"

typedef struct
{
  GByteArray *buffer;
  GArray     *refs; /* of ComlinkWireRef */
  gsize       threshold;
  gsize       pos; /* from the start of the value written, refs included */
  /* Small pieces are gathered here and go into @buffer together: the
   * buffer's end is where they belong once they are flushed */
  gsize  staged;
  guint8 stage[256];
} Writer;

#define WRITER_INIT(buffer, refs, threshold)      \
  {                                               \
    (buffer), (refs), MAX ((threshold), 1), 0, 0, \
    {                                             \
      0                                           \
    }                                             \
  }

static void
flush_stage (Writer *w)
{
  if (w->staged > 0)
    g_byte_array_append (w->buffer, w->stage, w->staged);
  w->staged = 0;
}

static void
append (Writer       *w,
        gconstpointer data,
        gsize         size)
{
  if (w->staged + size > sizeof w->stage)
    flush_stage (w);
  if (size > sizeof w->stage)
    g_byte_array_append (w->buffer, data, size);
  else
    {
      memcpy (w->stage + w->staged, data, size);
      w->staged += size;
    }
  w->pos += size;
}

static void
pad_to (Writer *w,
        gsize   alignment)
{
  static const guint8 zeros[8] = { 0 };

  append (w, zeros, (alignment + 1 - (w->pos & alignment)) & alignment);
}

static void
write_offset (Writer *w,
              gsize   value,
              gsize   offset_size)
{
  guint8 bytes[8];

  /* Framing offsets are little-endian in every byte order */
  for (gsize i = 0; i < offset_size; i++)
    bytes[i] = (value >> (8 * i)) & 0xff;
  append (w, bytes, offset_size);
}

/* The layout of @type, as the checker derives it */
static gsize
alignment_of (const GVariantType *type)
{
  gsize alignment;
  gsize fixed_size;

  _comlink_wire_type_layout (g_variant_type_peek_string (type), g_variant_type_get_string_length (type),
                             &alignment, &fixed_size);
  return alignment;
}

/* The size of every value of @type, or 0 if it varies */
static gsize
fixed_size_of (const GVariantType *type)
{
  gsize alignment;
  gsize fixed_size;

  _comlink_wire_type_layout (g_variant_type_peek_string (type), g_variant_type_get_string_length (type),
                             &alignment, &fixed_size);
  return fixed_size;
}

static gboolean
is_number_array (const GVariantType *type)
{
  const char *s = g_variant_type_peek_string (type);

  return s[0] == 'a' && strchr ("bynqiuxthd", s[1]) != NULL;
}

static void write_value (Writer   *w,
                         GVariant *value);

static void
write_array (Writer   *w,
             GVariant *value,
             gsize     size)
{
  const GVariantType *element = g_variant_type_element (g_variant_get_type (value));
  gsize               alignment = alignment_of (element);
  gboolean            fixed = fixed_size_of (element) != 0;
  gsize               n = g_variant_n_children (value);
  gsize               start = w->pos;
  g_autofree gsize   *ends = fixed ? NULL : g_new (gsize, MAX (n, 1));

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (value, i);

      pad_to (w, alignment);
      write_value (w, child);
      if (!fixed)
        ends[i] = w->pos - start;
    }

  if (!fixed)
    for (gsize i = 0; i < n; i++)
      write_offset (w, ends[i], _comlink_wire_offset_size (size));
}

static void
write_tuple (Writer   *w,
             GVariant *value,
             gsize     size)
{
  const GVariantType *type = g_variant_get_type (value);
  const GVariantType *member = g_variant_type_first (type);
  gsize               n = g_variant_n_children (value);
  gsize               start = w->pos;
  g_autofree gsize   *ends = g_new (gsize, MAX (n, 1));
  gsize               n_ends = 0;

  for (gsize i = 0; i < n; i++, member = g_variant_type_next (member))
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (value, i);

      pad_to (w, alignment_of (member));
      write_value (w, child);
      /* The end of each member of variable size but the last */
      if (i + 1 < n && fixed_size_of (member) == 0)
        ends[n_ends++] = w->pos - start;
    }

  if (n == 0)
    /* The unit is one zero byte */
    append (w, "", 1);
  else if (fixed_size_of (type) != 0)
    pad_to (w, alignment_of (type));
  else
    /* In reverse order, after the members */
    for (gsize i = n_ends; i > 0; i--)
      write_offset (w, ends[i - 1], _comlink_wire_offset_size (size));
}

static void
write_value (Writer   *w,
             GVariant *value)
{
  const GVariantType *type = g_variant_get_type (value);
  gsize               size = g_variant_get_size (value);

  if (size == 0)
    return;

  flush_stage (w);
  if (size < w->threshold || !g_variant_is_container (value))
    {
      /* GVariant writes in place only where the value is aligned in
       * memory: after a reference, padding that is not sent puts it
       * there */
      gsize skip = (w->pos - w->buffer->len) & 7;

      if (skip != 0)
        {
          ComlinkWireRef gap = { w->buffer->len, NULL, skip };

          g_byte_array_set_size (w->buffer, w->buffer->len + skip);
          g_array_append_val (w->refs, gap);
        }
      g_byte_array_set_size (w->buffer, w->buffer->len + size);
      g_variant_store (value, w->buffer->data + w->buffer->len - size);
      w->pos += size;
      return;
    }

  /* A large array of numbers, a GBytes value for instance, is sent from
   * where it is */
  if (is_number_array (type))
    {
      ComlinkWireRef ref;

      ref.position = w->buffer->len;
      ref.bytes = g_variant_get_data_as_bytes (value);
      ref.skip = 0;
      g_array_append_val (w->refs, ref);
      w->pos += size;
      return;
    }

  switch (g_variant_type_peek_string (type)[0])
    {
    case 'v':
      {
        g_autoptr(GVariant) child = g_variant_get_variant (value);
        const char *child_type = g_variant_get_type_string (child);

        write_value (w, child);
        append (w, "", 1);
        append (w, child_type, strlen (child_type));
      }
      break;

    case 'm':
      {
        g_autoptr(GVariant) child = g_variant_get_maybe (value);

        write_value (w, child);
        if (fixed_size_of (g_variant_get_type (child)) == 0)
          append (w, "", 1);
      }
      break;

    case 'a':
      write_array (w, value, size);
      break;

    default:
      write_tuple (w, value, size);
      break;
    }
}

/* Writes the serialisation of @value, as g_variant_store() would, at the
 * end of @buffer, but for arrays of numbers of @threshold bytes or more,
 * which are not copied: each is appended to @refs with the position in
 * @buffer where it belongs. The end of @buffer must be aligned to 8 in
 * memory, as g_variant_store() writes in place; after a reference, @refs
 * gets gaps too (no bytes, a skip): padding in @buffer that keeps what
 * follows aligned, and is not part of the output. */
void
_comlink_wire_write (GVariant   *value,
                     GByteArray *buffer,
                     GArray     *refs,
                     gsize       threshold)
{
  Writer w = WRITER_INIT (buffer, refs, threshold);

  write_value (&w, value);
  flush_stage (&w);
}

void
_comlink_wire_ref_clear (ComlinkWireRef *ref)
{
  g_clear_pointer (&ref->bytes, g_bytes_unref);
}

/* The size of a container whose members take @content bytes, with
 * @n_offsets framing offsets, each as small as the total allows */
static gsize
framed_size (gsize content,
             gsize n_offsets)
{
  if (n_offsets == 0)
    return content;
  if (content + n_offsets <= G_MAXUINT8)
    return content + n_offsets;
  if (content + 2 * n_offsets <= G_MAXUINT16)
    return content + 2 * n_offsets;
  if (content + 4 * n_offsets <= G_MAXUINT32)
    return content + 4 * n_offsets;
  return content + 8 * n_offsets;
}

/* Writes @value, a plain one as it is, any other from its GVariant;
 * returns its type */
static const char *
write_wire_value (Writer                 *w,
                  const ComlinkWireValue *value)
{
  static const guint8 sizes[] = { ['b'] = 1, ['y'] = 1, ['n'] = 2, ['i'] = 4, ['u'] = 4, ['x'] = 8, ['t'] = 8, ['d'] = 8 };

  switch (value->kind)
    {
    case 'b':
    case 'y':
    case 'n':
    case 'i':
    case 'u':
    case 'x':
    case 't':
    case 'd':
      /* The low bytes of the number, or the double: the writer runs on
       * little-endian machines only, whose frames are in their own order */
      append (w, &value->u, sizes[(guchar) value->kind]);
      break;

    case 's':
      /* "ms": nothing for NULL; else the string, its nul, and the zero
       * byte of a maybe of a value of variable size */
      if (value->u.string != NULL)
        {
          append (w, value->u.string, strlen (value->u.string) + 1);
          append (w, "", 1);
        }
      break;

    default:
      write_value (w, value->u.variant);
      break;
    }

  return _comlink_wire_value_type (value);
}

/* Writes the body that @values make: an "av" of them, or the one value;
 * returns its type */
static const char *
write_wire_values (Writer                  *w,
                   const ComlinkWireValues *values)
{
  gsize             start = w->pos;
  g_autofree gsize *ends = NULL;
  gsize             stack_ends[16];
  gsize            *end;

  if (!values->is_array)
    return write_wire_value (w, &values->values[0]);

  end = values->n <= G_N_ELEMENTS (stack_ends) ? stack_ends : (ends = g_new (gsize, values->n));
  for (guint i = 0; i < values->n; i++)
    {
      const char *type;

      /* Each element is a variant: aligned to 8, its value, a zero byte,
       * its type */
      pad_to (w, 7);
      type = write_wire_value (w, &values->values[i]);
      append (w, "", 1);
      append (w, type, strlen (type));
      end[i] = w->pos - start;
    }

  if (values->n > 0)
    {
      gsize offset_size = framed_size (w->pos - start, values->n) - (w->pos - start);

      offset_size /= values->n;
      for (guint i = 0; i < values->n; i++)
        write_offset (w, end[i], offset_size);
    }

  return "av";
}

/* Writes @message at the end of @buffer as the serialised "v" holding its
 * ((ytt)asv), little-endian, the bytes that g_variant_store() would write
 * for it, with the large arrays of numbers in @refs as
 * _comlink_wire_write() does. The end of @buffer must be aligned to 8 in
 * memory. Returns the size of what was written, refs included. */
gsize
_comlink_wire_write_message (const ComlinkOutgoing *message,
                             GByteArray            *buffer,
                             GArray                *refs,
                             gsize                  threshold)
{
  static const char type_string[] = COMLINK_MESSAGE_TYPE_STRING;
  Writer            w = WRITER_INIT (buffer, refs, threshold);
  guint8            header[24] = { 0 };
  guint64           id = GUINT64_TO_LE (message->id);
  guint64           target = GUINT64_TO_LE (message->target);
  const char       *body_type;
  gsize             path_end;
  gsize             content;

  header[0] = message->type;
  memcpy (header + 8, &id, sizeof id);
  memcpy (header + 16, &target, sizeof target);
  append (&w, header, sizeof header);

  if (message->path != NULL)
    write_value (&w, message->path);
  path_end = w.pos;

  pad_to (&w, 7);
  if (message->values != NULL)
    body_type = write_wire_values (&w, message->values);
  else
    {
      body_type = g_variant_get_type_string (message->body);
      write_value (&w, message->body);
    }
  append (&w, "", 1);
  append (&w, body_type, strlen (body_type));

  content = w.pos;
  write_offset (&w, path_end, framed_size (content, 1) - content);

  append (&w, "", 1);
  append (&w, type_string, sizeof type_string - 1);
  flush_stage (&w);

  return w.pos;
}
