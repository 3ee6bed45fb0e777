/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The wire checker against GLib's own g_variant_is_normal_form(): random
 * values of random types, serialised by GLib, are accepted; the same
 * bytes with a few of them changed get the verdict GLib gives; and the
 * bounds on elements and depth hold. */

#include <string.h>

#include <comlink-glib/comlink.h>

#include "comlink-wire-private.h"

static GRand *rng;

static guint
pick (guint n)
{
  return g_rand_int_range (rng, 0, (gint32) n);
}

static void
append_type (GString *type,
             guint    depth)
{
  static const char basic[] = "bynqiuxthdsog";
  guint             kind = depth == 0 ? 0 : pick (10);

  switch (kind)
    {
    case 5:
      g_string_append_c (type, 'v');
      break;
    case 6:
      g_string_append_c (type, 'm');
      append_type (type, depth - 1);
      break;
    case 7:
    case 8:
      g_string_append_c (type, 'a');
      append_type (type, depth - 1);
      break;
    case 9:
      {
        guint n = pick (4);

        if (pick (4) == 0)
          {
            g_string_append_c (type, '{');
            g_string_append_c (type, basic[pick (strlen (basic))]);
            append_type (type, depth - 1);
            g_string_append_c (type, '}');
            break;
          }
        g_string_append_c (type, '(');
        for (guint i = 0; i < n; i++)
          append_type (type, depth - 1);
        g_string_append_c (type, ')');
      }
      break;
    default:
      g_string_append_c (type, basic[pick (strlen (basic))]);
    }
}

static GVariant *random_value (const GVariantType *type,
                               guint               depth);

static GVariant *
random_basic (const GVariantType *type)
{
  static const char *strings[] = { "", "a", "h\xc3\xa9llo", "some longer text to pass 255 bytes of framing", "x" };

  switch (g_variant_type_peek_string (type)[0])
    {
    case 'b':
      return g_variant_new_boolean (pick (2));
    case 'y':
      return g_variant_new_byte (pick (256));
    case 'n':
      return g_variant_new_int16 (g_rand_int (rng));
    case 'q':
      return g_variant_new_uint16 (g_rand_int (rng));
    case 'i':
      return g_variant_new_int32 (g_rand_int (rng));
    case 'u':
      return g_variant_new_uint32 (g_rand_int (rng));
    case 'x':
      return g_variant_new_int64 (g_rand_int (rng));
    case 't':
      return g_variant_new_uint64 (g_rand_int (rng));
    case 'h':
      return g_variant_new_handle (g_rand_int (rng));
    case 'd':
      return g_variant_new_double (g_rand_double (rng));
    case 's':
      return g_variant_new_string (strings[pick (G_N_ELEMENTS (strings))]);
    case 'o':
      return g_variant_new_object_path (pick (2) ? "/" : "/org/gnome/a_b");
    case 'g':
      return g_variant_new_signature (pick (2) ? "" : "a{sv}(ii)");
    default:
      g_assert_not_reached ();
    }
}

static GVariant *
random_value (const GVariantType *type,
              guint               depth)
{
  if (g_variant_type_is_basic (type))
    return random_basic (type);

  if (g_variant_type_is_variant (type))
    {
      g_autoptr(GString) inner = g_string_new (NULL);
      g_autoptr(GVariantType) inner_type = NULL;

      append_type (inner, MIN (depth, 3));
      inner_type = g_variant_type_new (inner->str);
      return g_variant_new_variant (random_value (inner_type, depth > 0 ? depth - 1 : 0));
    }

  if (g_variant_type_is_maybe (type))
    {
      const GVariantType *element = g_variant_type_element (type);

      return g_variant_new_maybe (element, pick (2) ? random_value (element, depth) : NULL);
    }

  if (g_variant_type_is_array (type))
    {
      const GVariantType *element = g_variant_type_element (type);
      GVariantBuilder     builder;
      guint               n = pick (40) == 0 ? 100 + pick (300) : pick (5);

      g_variant_builder_init (&builder, type);
      for (guint i = 0; i < n; i++)
        g_variant_builder_add_value (&builder, random_value (element, depth));
      return g_variant_builder_end (&builder);
    }

  {
    GVariantBuilder     builder;
    const GVariantType *member;

    g_variant_builder_init (&builder, type);
    for (member = g_variant_type_first (type); member != NULL; member = g_variant_type_next (member))
      g_variant_builder_add_value (&builder, random_value (member, depth));
    return g_variant_builder_end (&builder);
  }
}

static gboolean
comlink_accepts (const guint8 *data,
                 gsize         size)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = _comlink_wire_check_serialised (data, size, G_MAXUINT64, &error);

  if (!ok)
    g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL);
  return ok;
}

static gboolean
glib_accepts (const guint8 *data,
              gsize         size)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autoptr(GVariant) value = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARIANT, bytes, FALSE));

  return g_variant_is_normal_form (value);
}

/* A value of each random type as GLib writes it, in little-endian */
static GBytes *
random_serialised (void)
{
  g_autoptr(GString) type_string = g_string_new (NULL);
  g_autoptr(GVariantType) type = NULL;
  g_autoptr(GVariant) boxed = NULL;

  append_type (type_string, 4);
  type = g_variant_type_new (type_string->str);
  boxed = g_variant_ref_sink (g_variant_new_variant (random_value (type, 4)));
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (boxed);

      g_variant_unref (boxed);
      boxed = swapped;
    }

  return g_variant_get_data_as_bytes (boxed);
}

static void
test_wire_check_accepts_normal (void)
{
  for (guint i = 0; i < 3000; i++)
    {
      g_autoptr(GBytes) bytes = random_serialised ();
      gsize         size;
      const guint8 *data = g_bytes_get_data (bytes, &size);

      g_assert_true (glib_accepts (data, size));
      if (!comlink_accepts (data, size))
        {
          g_autoptr(GVariant) value = g_variant_new_from_bytes (G_VARIANT_TYPE_VARIANT, bytes, FALSE);
          g_autofree char *text = g_variant_print (value, TRUE);

          g_error ("Refused a value in normal form: %s", text);
        }
    }
}

/* Changed bytes: the same verdict as GLib, whichever it is */
static void
test_wire_check_agrees_with_glib (void)
{
  guint n_refused = 0;

  for (guint i = 0; i < 20000; i++)
    {
      g_autoptr(GBytes) bytes = random_serialised ();
      gsize    size = g_bytes_get_size (bytes);
      guint8  *data = g_memdup2 (g_bytes_get_data (bytes, NULL), MAX (size, 1));
      guint    n_changes = 1 + pick (3);
      gboolean ours;
      gboolean glibs;

      for (guint j = 0; j < n_changes && size > 0; j++)
        {
          gsize at = pick (size);

          switch (pick (3))
            {
            case 0:
              data[at] ^= 1 << pick (8);
              break;
            case 1:
              data[at] = pick (2) ? 0 : 0xff;
              break;
            default:
              data[at] = "bynqiuxthdsogvma(){}"[pick (20)];
              break;
            }
        }
      if (pick (8) == 0 && size > 0)
        size = pick (size);

      ours = comlink_accepts (data, size);
      glibs = glib_accepts (data, size);
      if (ours != glibs)
        {
          g_autoptr(GString) hex = g_string_new (NULL);

          for (gsize k = 0; k < size; k++)
            g_string_append_printf (hex, "%02x", data[k]);
          g_error ("Verdict %d where GLib says %d on %s", ours, glibs, hex->str);
        }
      n_refused += !ours;
      g_free (data);
    }

  /* The changes did make many refusals */
  g_assert_cmpuint (n_refused, >, 5000);
}

static GBytes *
serialise_boxed (GVariant *value)
{
  g_autoptr(GVariant) boxed = g_variant_ref_sink (g_variant_new_variant (value));

  return g_variant_get_data_as_bytes (boxed);
}

static gboolean
check_bytes (GBytes  *bytes,
             guint64  max_elements,
             GError **error)
{
  gsize         size;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  return _comlink_wire_check_serialised (data, size, max_elements, error);
}

/* Elements are counted at any depth; numbers are not */
static void
test_wire_check_elements (void)
{
  g_autoptr(GError) error = NULL;
  const char *strv[] = { "a", "b", "c", NULL };
  g_autoptr(GBytes) strings = serialise_boxed (g_variant_new_strv (strv, -1));
  g_autoptr(GBytes) units = NULL;
  g_autoptr(GBytes) numbers = NULL;
  GVariantBuilder builder;

  /* The variant itself and three strings */
  g_assert_true (check_bytes (strings, 4, NULL));
  g_assert_false (check_bytes (strings, 3, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "more than 3 elements"));
  g_clear_error (&error);

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a()"));
  for (guint i = 0; i < 1000; i++)
    g_variant_builder_add (&builder, "()");
  units = serialise_boxed (g_variant_builder_end (&builder));
  g_assert_true (check_bytes (units, 1001, NULL));
  g_assert_false (check_bytes (units, 1000, NULL));

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("at"));
  for (guint i = 0; i < 1000; i++)
    g_variant_builder_add (&builder, "t", (guint64) i);
  numbers = serialise_boxed (g_variant_builder_end (&builder));
  g_assert_true (check_bytes (numbers, 1, NULL));
}

/* Nesting as deep as GLib allows, and one more */
static void
test_wire_check_depth (void)
{
  for (guint depth = 120; depth < 130; depth++)
    {
      GVariant *value = g_variant_new_int32 (1);
      g_autoptr(GBytes) bytes = NULL;
      gsize         size;
      const guint8 *data;

      for (guint i = 0; i < depth; i++)
        value = g_variant_new_variant (value);
      value = g_variant_ref_sink (value);
      bytes = g_variant_get_data_as_bytes (value);
      data = g_bytes_get_data (bytes, &size);
      g_assert_cmpint (comlink_accepts (data, size), ==, glib_accepts (data, size));
      g_variant_unref (value);
    }

  for (guint depth = 120; depth < 130; depth++)
    {
      g_autoptr(GString) type = g_string_new (NULL);
      g_autoptr(GString) frame = g_string_new (NULL);

      /* An empty array of a type nested @depth deep, in a variant */
      for (guint i = 0; i < depth; i++)
        g_string_append_c (type, 'a');
      g_string_append_c (type, 'i');
      g_string_append_c (frame, '\0');
      g_string_append (frame, type->str);
      /* GLib reads a type string nested more than 128 deep as no type at
       * all, and then takes the value for normal: it is refused here */
      g_assert_cmpint (comlink_accepts ((const guint8 *) frame->str, frame->len), ==, depth + 1 < 128);
      if (depth + 1 < 128)
        g_assert_true (glib_accepts ((const guint8 *) frame->str, frame->len));
    }
}

/* Framing offsets wider than the container's size needs are not normal:
 * a 257-byte array whose offsets take 2 bytes, the same value in 254
 * bytes with 1-byte offsets */
static void
test_wire_check_offset_size (void)
{
  g_autoptr(GByteArray) wide = g_byte_array_new ();
  g_autoptr(GByteArray) narrow = g_byte_array_new ();
  const guint16 ends[] = { 101, 202, 251 };
  guint8        body[251];

  memset (body, 'a', sizeof body);
  body[100] = body[201] = body[250] = '\0';
  g_byte_array_append (wide, body, sizeof body);
  g_byte_array_append (narrow, body, sizeof body);
  for (guint i = 0; i < G_N_ELEMENTS (ends); i++)
    {
      guint16 le = GUINT16_TO_LE (ends[i]);
      guint8  byte = (guint8) ends[i];

      g_byte_array_append (wide, (const guint8 *) &le, 2);
      g_byte_array_append (narrow, &byte, 1);
    }
  g_byte_array_append (wide, (const guint8 *) "\0as", 3);
  g_byte_array_append (narrow, (const guint8 *) "\0as", 3);

  g_assert_true (comlink_accepts (narrow->data, narrow->len));
  g_assert_true (glib_accepts (narrow->data, narrow->len));
  g_assert_false (comlink_accepts (wide->data, wide->len));
  g_assert_false (glib_accepts (wide->data, wide->len));
}

/* The output of the writer, its references spliced in where they belong */
static GByteArray *
written_bytes (GVariant *value,
               gsize     threshold,
               guint    *n_refs)
{
  g_autoptr(GByteArray) buffer = g_byte_array_new ();
  g_autoptr(GArray) refs = g_array_new (FALSE, FALSE, sizeof (ComlinkWireRef));
  GByteArray *out = g_byte_array_new ();
  gsize       at = 0;

  g_array_set_clear_func (refs, (GDestroyNotify) _comlink_wire_ref_clear);
  _comlink_wire_write (value, buffer, refs, threshold);
  for (guint i = 0; i < refs->len; i++)
    {
      ComlinkWireRef *ref = &g_array_index (refs, ComlinkWireRef, i);

      g_assert_cmpuint (ref->position, >=, at);
      g_byte_array_append (out, buffer->data + at, ref->position - at);
      if (ref->bytes != NULL)
        g_byte_array_append (out, g_bytes_get_data (ref->bytes, NULL), g_bytes_get_size (ref->bytes));
      at = ref->position + ref->skip;
    }
  g_byte_array_append (out, buffer->data + at, buffer->len - at);
  *n_refs = 0;
  for (guint i = 0; i < refs->len; i++)
    *n_refs += g_array_index (refs, ComlinkWireRef, i).bytes != NULL;

  return out;
}

/* The writer writes the bytes GLib would, whatever it copies and whatever
 * it references */
static void
test_wire_writer_same_bytes (void)
{
  guint n_with_refs = 0;

  for (guint i = 0; i < 3000; i++)
    {
      g_autoptr(GString) type_string = g_string_new (NULL);
      g_autoptr(GVariantType) type = NULL;
      g_autoptr(GVariant) boxed = NULL;

      append_type (type_string, 4);
      type = g_variant_type_new (type_string->str);
      boxed = g_variant_ref_sink (g_variant_new_variant (random_value (type, 4)));

      for (gsize threshold = 1; threshold <= 4096; threshold *= 64)
        {
          g_autoptr(GByteArray) written = NULL;
          guint n_refs;

          written = written_bytes (boxed, threshold, &n_refs);
          n_with_refs += n_refs > 0;
          g_assert_cmpmem (written->data, written->len, g_variant_get_data (boxed), g_variant_get_size (boxed));
        }
    }

  /* Large arrays of numbers were referenced, not copied, now and then */
  g_assert_cmpuint (n_with_refs, >, 100);
}

/* A GBytes value is sent from where it is */
static void
test_wire_writer_references_bytes (void)
{
  g_autoptr(GBytes) payload = g_bytes_new_take (g_malloc0 (1024 * 1024), 1024 * 1024);
  g_autoptr(GVariant) message = NULL;
  g_autoptr(GVariant) boxed = NULL;
  g_autoptr(GByteArray) buffer = g_byte_array_new ();
  g_autoptr(GArray) refs = g_array_new (FALSE, FALSE, sizeof (ComlinkWireRef));

  g_array_set_clear_func (refs, (GDestroyNotify) _comlink_wire_ref_clear);
  message = g_variant_ref_sink (g_variant_new ("((ytt)asv)", 7, (guint64) 1, (guint64) 0, NULL,
                                               g_variant_new ("(yv)", 3, g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, payload, TRUE))));
  boxed = g_variant_ref_sink (g_variant_new_variant (message));
  _comlink_wire_write (boxed, buffer, refs, 64 * 1024);
  g_assert_cmpuint (refs->len, ==, 1);
  g_assert_true (g_bytes_get_data (g_array_index (refs, ComlinkWireRef, 0).bytes, NULL) ==
                 g_bytes_get_data (payload, NULL));
  g_assert_cmpuint (buffer->len, <, 100);
}

/* A random message: its body of a random type, a path of up to four
 * random strings (or none) */
static ComlinkOutgoing
random_message (GVariant **path_out)
{
  g_autoptr(GString) type_string = g_string_new (NULL);
  g_autoptr(GVariantType) type = NULL;
  g_autoptr(GPtrArray) path = g_ptr_array_new_with_free_func (g_free);
  guint n_path = g_rand_int_range (rng, 0, 5);

  append_type (type_string, 4);
  type = g_variant_type_new (type_string->str);
  for (guint i = 0; i < n_path; i++)
    g_ptr_array_add (path, g_strdup_printf ("m%u%*s", g_rand_int (rng), g_rand_int_range (rng, 0, 300), ""));
  *path_out = n_path > 0 ? g_variant_ref_sink (g_variant_new_strv ((const char * const *) path->pdata, path->len)) : NULL;

  return _comlink_message_new (g_rand_int_range (rng, 1, 256),
                               g_rand_boolean (rng) ? g_rand_int (rng) : ((guint64) g_rand_int (rng) << 32 | 7),
                               g_rand_int (rng), *path_out, random_value (type, 4));
}

/* The bytes of @buffer with its references spliced in, and its gaps left
 * out, as a stream sends them */
static GByteArray *
spliced (GByteArray *buffer,
         GArray     *refs)
{
  GByteArray *out = g_byte_array_new ();
  gsize       at = 0;

  for (guint i = 0; i < refs->len; i++)
    {
      ComlinkWireRef *ref = &g_array_index (refs, ComlinkWireRef, i);

      g_byte_array_append (out, buffer->data + at, ref->position - at);
      if (ref->bytes != NULL)
        g_byte_array_append (out, g_bytes_get_data (ref->bytes, NULL), g_bytes_get_size (ref->bytes));
      at = ref->position + ref->skip;
    }
  g_byte_array_append (out, buffer->data + at, buffer->len - at);

  return out;
}

/* A message written straight into a buffer is, byte for byte, the
 * documented frame: the "v" of its ((ytt)asv) as GLib serialises it */
static void
test_wire_message_same_bytes (void)
{
  for (guint i = 0; i < 2000; i++)
    {
      g_autoptr(GVariant) path = NULL;
      ComlinkOutgoing message = random_message (&path);
      g_autoptr(GVariant) boxed = g_variant_ref_sink (g_variant_new_variant (_comlink_message_build (&message)));

      for (gsize threshold = 1; threshold <= 65536; threshold *= 256)
        {
          g_autoptr(GByteArray) buffer = g_byte_array_new ();
          g_autoptr(GArray) refs = g_array_new (FALSE, FALSE, sizeof (ComlinkWireRef));
          g_autoptr(GByteArray) written = NULL;
          gsize size;

          g_array_set_clear_func (refs, (GDestroyNotify) _comlink_wire_ref_clear);
          size = _comlink_wire_write_message (&message, buffer, refs, threshold);
          written = spliced (buffer, refs);
          g_assert_cmpuint (size, ==, written->len);
          g_assert_cmpmem (written->data, written->len, g_variant_get_data (boxed), g_variant_get_size (boxed));
        }
      _comlink_outgoing_clear (&message);
    }
}

/* Plain values of the same type and content */
static gboolean
values_equal (const GValue *a,
              const GValue *b)
{
  if (G_VALUE_TYPE (a) != G_VALUE_TYPE (b))
    return FALSE;
  if (G_VALUE_HOLDS_STRING (a))
    return g_strcmp0 (g_value_get_string (a), g_value_get_string (b)) == 0;
  return memcmp (&a->data[0], &b->data[0], sizeof a->data[0]) == 0;
}

/* What the receiver reads in place from @value: a plain value, also
 * one that the sender had as a GVariant; FALSE for others */
static gboolean
expected_plain (const ComlinkWireValue *value,
                GValue                 *out)
{
  GVariant   *variant = value->u.variant;
  const char *type;

  if (value->kind != 'v')
    return _comlink_wire_value_plain (value, out);
  if (g_variant_equal (variant, _comlink_wire_none ()))
    return TRUE;
  if (g_variant_equal (variant, _comlink_wire_null ()))
    {
      g_value_init (out, G_TYPE_POINTER);
      return TRUE;
    }

  type = g_variant_get_type_string (variant);
  if (strcmp (type, "ms") == 0)
    {
      g_autoptr(GVariant) string = g_variant_get_maybe (variant);

      g_value_init (out, G_TYPE_STRING);
      g_value_set_string (out, string != NULL ? g_variant_get_string (string, NULL) : NULL);
      return TRUE;
    }
  if (type[1] != '\0')
    return FALSE;
  switch (type[0])
    {
    case 'b':
      g_value_init (out, G_TYPE_BOOLEAN);
      g_value_set_boolean (out, g_variant_get_boolean (variant));
      return TRUE;
    case 'y':
      g_value_init (out, G_TYPE_UCHAR);
      g_value_set_uchar (out, g_variant_get_byte (variant));
      return TRUE;
    case 'n':
      if (g_variant_get_int16 (variant) < G_MININT8 || g_variant_get_int16 (variant) > G_MAXINT8)
        return FALSE;
      g_value_init (out, G_TYPE_CHAR);
      g_value_set_schar (out, (gint8) g_variant_get_int16 (variant));
      return TRUE;
    case 'i':
      g_value_init (out, G_TYPE_INT);
      g_value_set_int (out, g_variant_get_int32 (variant));
      return TRUE;
    case 'u':
      g_value_init (out, G_TYPE_UINT);
      g_value_set_uint (out, g_variant_get_uint32 (variant));
      return TRUE;
    case 'x':
      g_value_init (out, G_TYPE_INT64);
      g_value_set_int64 (out, g_variant_get_int64 (variant));
      return TRUE;
    case 't':
      g_value_init (out, G_TYPE_UINT64);
      g_value_set_uint64 (out, g_variant_get_uint64 (variant));
      return TRUE;
    case 'd':
      g_value_init (out, G_TYPE_DOUBLE);
      g_value_set_double (out, g_variant_get_double (variant));
      return TRUE;
    default:
      return FALSE;
    }
}

/* A random value as the connection hands it to the writer: a plain one
 * of each kind, or a GVariant */
static void
random_wire_value (ComlinkWireValue *value)
{
  static const char kinds[] = "bynixtuds";

  if (pick (4) == 0)
    {
      g_autoptr(GString) type_string = g_string_new (NULL);
      g_autoptr(GVariantType) type = NULL;

      value->kind = 'v';
      switch (pick (3))
        {
        case 0:
          value->u.variant = g_variant_ref (_comlink_wire_none ());
          return;
        case 1:
          value->u.variant = g_variant_ref (_comlink_wire_null ());
          return;
        default:
          append_type (type_string, 3);
          type = g_variant_type_new (type_string->str);
          value->u.variant = g_variant_ref_sink (random_value (type, 3));
          return;
        }
    }

  value->kind = kinds[pick (sizeof kinds - 1)];
  switch (value->kind)
    {
    case 'b':
      value->u.number = pick (2);
      break;
    case 'n':
      value->u.number = (guint64) (gint64) g_rand_int_range (rng, G_MININT8, G_MAXINT8 + 1);
      break;
    case 'd':
      value->u.dbl = g_rand_double_range (rng, -1e300, 1e300);
      break;
    case 's':
      value->u.string = pick (5) == 0 ? NULL : g_strdup_printf ("%*s\u00e9%u", pick (2) ? (int) pick (300) : 0, "", g_rand_int (rng));
      break;
    default:
      /* Sign-extended for the signed kinds, as the sender stores them */
      value->u.number = ((guint64) g_rand_int (rng) << 32) | g_rand_int (rng);
      if (value->kind == 'y')
        value->u.number &= 0xff;
      else if (value->kind == 'i')
        value->u.number = (guint64) (gint64) (gint32) value->u.number;
      else if (value->kind == 'u')
        value->u.number &= 0xffffffff;
      break;
    }
}

/* A body of values (the arguments of a call, the value of a reply) is
 * written straight from them, byte for byte the documented frame of the
 * GVariant they make; the receiver reads each plain value back where it
 * lies, as the sender had it */
static void
test_wire_message_values_same_bytes (void)
{
  for (guint i = 0; i < 2000; i++)
    {
      gboolean           is_array = pick (3) != 0;
      guint              n = is_array ? (pick (20) == 0 ? 100 + pick (200) : pick (6)) : 1;
      ComlinkWireValues *values = _comlink_wire_values_new (is_array, n);
      ComlinkOutgoing    message;
      g_autoptr(GVariant) boxed = NULL;
      g_autoptr(GByteArray) buffer = g_byte_array_new ();
      g_autoptr(GArray) refs = g_array_new (FALSE, FALSE, sizeof (ComlinkWireRef));
      g_autoptr(GByteArray) written = NULL;
      ComlinkMessage read;
      guint8        *frame;
      gsize          size;

      for (guint j = 0; j < n; j++)
        random_wire_value (&values->values[j]);
      message = _comlink_message_new_values (is_array ? COMLINK_MESSAGE_CALL : COMLINK_MESSAGE_REPLY,
                                             g_rand_int (rng), g_rand_int (rng), NULL, values);
      boxed = g_variant_ref_sink (g_variant_new_variant (_comlink_message_build (&message)));

      g_array_set_clear_func (refs, (GDestroyNotify) _comlink_wire_ref_clear);
      size = _comlink_wire_write_message (&message, buffer, refs, 1 + pick (65536));
      written = spliced (buffer, refs);
      g_assert_cmpuint (size, ==, written->len);
      g_assert_cmpmem (written->data, written->len, g_variant_get_data (boxed), g_variant_get_size (boxed));

      /* Read back in place */
      frame = g_memdup2 (written->data, written->len);
      g_assert_true (_comlink_wire_check_serialised (frame, written->len, G_MAXUINT64, NULL));
      g_assert_true (_comlink_message_read (frame, written->len, g_free, frame, &read, NULL));
      g_assert_cmpstr (_comlink_message_get_body_type (&read), ==, is_array ? "av" : _comlink_wire_value_type (&values->values[0]));
      if (is_array)
        {
          ComlinkWireArray array;

          _comlink_wire_array_init (&array, read.frame_body, read.frame_body_size);
          g_assert_cmpuint (array.n, ==, n);
          for (guint j = 0; j < n; j++)
            {
              GValue   expected = G_VALUE_INIT;
              GValue   got = G_VALUE_INIT;
              gboolean plain = expected_plain (&values->values[j], &expected);

              g_assert_cmpint (_comlink_wire_array_plain (&array, j, &got), ==, plain);
              if (plain && G_IS_VALUE (&expected))
                g_assert_true (values_equal (&got, &expected));
              else
                g_assert_false (G_IS_VALUE (&got));
              if (G_IS_VALUE (&expected))
                g_value_unset (&expected);
              if (G_IS_VALUE (&got))
                g_value_unset (&got);
            }
        }
      else
        {
          GValue   expected = G_VALUE_INIT;
          GValue   got = G_VALUE_INIT;
          gboolean plain = expected_plain (&values->values[0], &expected);

          g_assert_cmpint (_comlink_message_read_plain (&read, &got), ==, plain);
          if (G_IS_VALUE (&expected))
            {
              g_assert_true (values_equal (&got, &expected));
              g_value_unset (&expected);
            }
          if (G_IS_VALUE (&got))
            g_value_unset (&got);
        }
      _comlink_message_clear (&read);
      _comlink_outgoing_clear (&message);
    }
}

static guint n_frames_released;

static void
release_frame (gpointer data)
{
  n_frames_released++;
  g_free (data);
}

/* A frame read in place gives the message GLib reads from it; its body
 * is the frame's own memory, released when the body goes */
static void
test_wire_message_read_in_place (void)
{
  for (guint i = 0; i < 2000; i++)
    {
      g_autoptr(GVariant) path = NULL;
      ComlinkOutgoing message = random_message (&path);
      g_autoptr(GVariant) boxed = g_variant_ref_sink (g_variant_new_variant (_comlink_message_build (&message)));
      g_autoptr(GVariant) inner = g_variant_get_variant (boxed);
      gsize   size = g_variant_get_size (boxed);
      guint8 *frame = g_memdup2 (g_variant_get_data (boxed), size);
      g_autoptr(GError) error = NULL;
      ComlinkMessage read;
      ComlinkMessage parsed;

      n_frames_released = 0;
      g_assert_true (_comlink_wire_check_serialised (frame, size, G_MAXUINT64, NULL));
      g_assert_true (_comlink_message_read (frame, size, release_frame, frame, &read, &error));
      g_assert_no_error (error);
      g_assert_true (_comlink_message_parse (inner, &parsed, NULL));

      g_assert_cmpint (read.type, ==, message.type);
      g_assert_cmpuint (read.id, ==, message.id);
      g_assert_cmpuint (read.target, ==, message.target);
      g_assert_cmpuint (read.n_path, ==, parsed.n_path);
      if (parsed.path != NULL)
        g_assert_true (g_strv_equal ((const char * const *) read.path, (const char * const *) parsed.path));
      else
        g_assert_null (read.path);
      g_assert_cmpstr (g_variant_get_type_string (_comlink_message_get_body (&read)), ==, g_variant_get_type_string (message.body));
      g_assert_true (g_variant_equal (_comlink_message_get_body (&read), message.body));
      g_assert_cmpuint (read.size, ==, size);
      /* Not copied: the body lies in the frame */
      if (g_variant_get_size (_comlink_message_get_body (&read)) > 0)
        {
          const guint8 *data = g_variant_get_data (_comlink_message_get_body (&read));

          g_assert_true (data >= frame && data < frame + size);
        }

      g_assert_cmpuint (n_frames_released, ==, 0);
      _comlink_message_clear (&read);
      g_assert_cmpuint (n_frames_released, ==, 1);
      _comlink_message_clear (&parsed);
      _comlink_outgoing_clear (&message);
    }
}

/* A checked frame that holds something other than a message is refused,
 * and its memory released at once */
static void
test_wire_message_read_refuses (void)
{
  g_autoptr(GVariant) boxed = g_variant_ref_sink (g_variant_new_variant (g_variant_new ("(ytt)", 2, (guint64) 1, (guint64) 0)));
  gsize   size = g_variant_get_size (boxed);
  guint8 *frame = g_memdup2 (g_variant_get_data (boxed), size);
  g_autoptr(GError) error = NULL;
  ComlinkMessage read;

  n_frames_released = 0;
  g_assert_true (_comlink_wire_check_serialised (frame, size, G_MAXUINT64, NULL));
  g_assert_false (_comlink_message_read (frame, size, release_frame, frame, &read, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "(ytt)"));
  g_assert_cmpuint (n_frames_released, ==, 1);
  g_assert_null (read.body_variant);
  g_assert_null (read.frame_body);
  g_assert_null (read.path);
}

/* The elements of an "av" read where they lie: every plain number,
 * boolean and string, no value and null, gives the GValue that the slow
 * way gives, anything else is left to the slow way */
static void
test_wire_array_plain (void)
{
  static const char *plain[] = { "b", "y", "n", "i", "u", "x", "t", "d", "ms" };
  guint              n_read = 0;

  for (guint round = 0; round < 300; round++)
    {
      g_autoptr(GVariantBuilder) builder = g_variant_builder_new (G_VARIANT_TYPE ("av"));
      g_autoptr(GVariant) built = NULL;
      g_autoptr(GVariant) av = NULL;
      g_autoptr(GBytes) bytes = NULL;
      ComlinkWireArray array;
      guint            n = g_rand_int_range (rng, 0, 40);

      for (guint i = 0; i < n; i++)
        {
          g_autoptr(GString) type_string = g_string_new (NULL);
          g_autoptr(GVariantType) type = NULL;

          switch (g_rand_int_range (rng, 0, 6))
            {
            case 0:
              g_variant_builder_add (builder, "v", _comlink_wire_none ());
              continue;
            case 1:
              g_variant_builder_add (builder, "v", _comlink_wire_null ());
              continue;
            case 2:
            case 3:
              g_string_append (type_string, plain[g_rand_int_range (rng, 0, G_N_ELEMENTS (plain))]);
              break;
            default:
              append_type (type_string, 3);
              break;
            }
          type = g_variant_type_new (type_string->str);
          g_variant_builder_add (builder, "v", random_value (type, 3));
        }
      built = g_variant_ref_sink (g_variant_builder_end (builder));
      /* Serialised, as a frame's body is */
      bytes = g_variant_get_data_as_bytes (built);
      av = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE ("av"), bytes, TRUE));

      _comlink_wire_array_init (&array, g_variant_get_data (av), g_variant_get_size (av));
      g_assert_cmpuint (array.n, ==, n);
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(GVariant) boxed = g_variant_get_child_value (av, i);
          g_autoptr(GVariant) child = g_variant_get_variant (boxed);
          const char *type = g_variant_get_type_string (child);
          GValue      value = G_VALUE_INIT;
          gboolean    is_none = g_variant_equal (child, _comlink_wire_none ());
          gboolean    is_null = g_variant_equal (child, _comlink_wire_null ());
          gboolean    is_plain = (type[1] == '\0' && strchr ("bynixtud", type[0]) != NULL &&
                               !(type[0] == 'n' && (g_variant_get_int16 (child) < G_MININT8 ||
                                                    g_variant_get_int16 (child) > G_MAXINT8))) ||
                              strcmp (type, "ms") == 0 || is_none || is_null;

          g_assert_cmpint (_comlink_wire_array_plain (&array, i, &value), ==, is_plain);
          if (!is_plain)
            {
              g_assert_false (G_IS_VALUE (&value));
              continue;
            }
          n_read++;
          if (is_none)
            {
              g_assert_false (G_IS_VALUE (&value));
              continue;
            }
          if (is_null)
            {
              g_assert_true (G_VALUE_HOLDS_POINTER (&value));
              g_assert_null (g_value_get_pointer (&value));
              g_value_unset (&value);
              continue;
            }
          switch (type[0])
            {
            case 'm':
              {
                g_autoptr(GVariant) string = g_variant_get_maybe (child);

                g_assert_true (G_VALUE_HOLDS_STRING (&value));
                g_assert_cmpstr (g_value_get_string (&value), ==, string != NULL ? g_variant_get_string (string, NULL) : NULL);
              }
              break;
            case 'b':
              g_assert_cmpint (g_value_get_boolean (&value), ==, g_variant_get_boolean (child));
              break;
            case 'y':
              g_assert_cmpuint (g_value_get_uchar (&value), ==, g_variant_get_byte (child));
              break;
            case 'n':
              g_assert_cmpint (g_value_get_schar (&value), ==, g_variant_get_int16 (child));
              break;
            case 'i':
              g_assert_cmpint (g_value_get_int (&value), ==, g_variant_get_int32 (child));
              break;
            case 'u':
              g_assert_cmpuint (g_value_get_uint (&value), ==, g_variant_get_uint32 (child));
              break;
            case 'x':
              g_assert_cmpint (g_value_get_int64 (&value), ==, g_variant_get_int64 (child));
              break;
            case 't':
              g_assert_cmpuint (g_value_get_uint64 (&value), ==, g_variant_get_uint64 (child));
              break;
            case 'd':
              {
                gdouble a = g_value_get_double (&value);
                gdouble b = g_variant_get_double (child);

                g_assert_cmpmem (&a, sizeof a, &b, sizeof b);
              }
              break;
            default:
              g_assert_not_reached ();
            }
          g_value_unset (&value);
        }
    }

  g_assert_cmpuint (n_read, >, 1000);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  rng = g_rand_new_with_seed (g_test_rand_int ());

  g_test_add_func ("/Comlink/WireCheck/accepts-normal", test_wire_check_accepts_normal);
  g_test_add_func ("/Comlink/WireCheck/agrees-with-glib", test_wire_check_agrees_with_glib);
  g_test_add_func ("/Comlink/WireCheck/elements", test_wire_check_elements);
  g_test_add_func ("/Comlink/WireCheck/depth", test_wire_check_depth);
  g_test_add_func ("/Comlink/WireCheck/offset-size", test_wire_check_offset_size);
  g_test_add_func ("/Comlink/WireWriter/same-bytes", test_wire_writer_same_bytes);
  g_test_add_func ("/Comlink/WireWriter/references-bytes", test_wire_writer_references_bytes);
  g_test_add_func ("/Comlink/WireWriter/message-same-bytes", test_wire_message_same_bytes);
  g_test_add_func ("/Comlink/WireWriter/values-same-bytes", test_wire_message_values_same_bytes);
  g_test_add_func ("/Comlink/WireReader/read-in-place", test_wire_message_read_in_place);
  g_test_add_func ("/Comlink/WireReader/refuses", test_wire_message_read_refuses);
  g_test_add_func ("/Comlink/WireReader/plain-values", test_wire_array_plain);

  return g_test_run ();
}
