/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* libFuzzer target: the bytes are a serialised variant as a frame carries
 * it. The wire checker must give the verdict of GLib's own
 * g_variant_is_normal_form(), and GLib must read whatever the checker
 * accepts as trusted without complaint. What it accepts goes to the reader
 * of messages in place too, which must read what GLib reads from the same
 * bytes, field by field, and each plain value of its body as GLib reads
 * it. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <comlink-glib/comlink.h>

#include "comlink-wire-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

/* A plain value read in place, @got, against GLib's reading of @wire */
static void
compare_plain (GVariant     *wire,
               const GValue *got)
{
  const char *type = g_variant_get_type_string (wire);
  gboolean    same;

  if (g_variant_equal (wire, _comlink_wire_none ()))
    same = !G_IS_VALUE (got);
  else if (g_variant_equal (wire, _comlink_wire_null ()))
    same = G_VALUE_HOLDS_POINTER (got) && g_value_get_pointer (got) == NULL;
  else if (strcmp (type, "ms") == 0)
    {
      g_autoptr(GVariant) child = g_variant_get_maybe (wire);

      same = G_VALUE_HOLDS_STRING (got) &&
             g_strcmp0 (g_value_get_string (got), child != NULL ? g_variant_get_string (child, NULL) : NULL) == 0;
    }
  else
    switch (type[1] == '\0' ? type[0] : '\0')
      {
      case 'b':
        same = G_VALUE_HOLDS_BOOLEAN (got) && g_value_get_boolean (got) == g_variant_get_boolean (wire);
        break;
      case 'y':
        same = G_VALUE_HOLDS_UCHAR (got) && g_value_get_uchar (got) == g_variant_get_byte (wire);
        break;
      case 'n':
        same = G_VALUE_HOLDS_CHAR (got) && g_value_get_schar (got) == g_variant_get_int16 (wire);
        break;
      case 'i':
        same = G_VALUE_HOLDS_INT (got) && g_value_get_int (got) == g_variant_get_int32 (wire);
        break;
      case 'u':
        same = G_VALUE_HOLDS_UINT (got) && g_value_get_uint (got) == g_variant_get_uint32 (wire);
        break;
      case 'x':
        same = G_VALUE_HOLDS_INT64 (got) && g_value_get_int64 (got) == g_variant_get_int64 (wire);
        break;
      case 't':
        same = G_VALUE_HOLDS_UINT64 (got) && g_value_get_uint64 (got) == g_variant_get_uint64 (wire);
        break;
      case 'd':
        {
          gdouble a = G_VALUE_HOLDS_DOUBLE (got) ? g_value_get_double (got) : 0;
          gdouble b = g_variant_get_double (wire);

          same = G_VALUE_HOLDS_DOUBLE (got) && memcmp (&a, &b, sizeof a) == 0;
        }
        break;
      default:
        same = FALSE;
        break;
      }

  if (!same)
    {
      fprintf (stderr, "A plain value of type %s read in place is not what GLib reads\n", type);
      abort ();
    }
}

/* The plain values of a body read where they lie, before anything makes
 * a GVariant of it, against GLib's reading of @body */
static void
compare_plain_values (ComlinkMessage *read,
                      GVariant       *body)
{
  const char *type = g_variant_get_type_string (body);

  if (strcmp (_comlink_message_get_body_type (read), type) != 0)
    {
      fprintf (stderr, "The reader reads a body of type %s, GLib %s\n", _comlink_message_get_body_type (read), type);
      abort ();
    }

  if (strcmp (type, "av") == 0 && read->frame_body != NULL)
    {
      ComlinkWireArray array;

      _comlink_wire_array_init (&array, read->frame_body, read->frame_body_size);
      if (array.n != g_variant_n_children (body))
        abort ();
      for (gsize i = 0; i < array.n; i++)
        {
          GValue got = G_VALUE_INIT;

          if (_comlink_wire_array_plain (&array, i, &got))
            {
              g_autoptr(GVariant) boxed = g_variant_get_child_value (body, i);
              g_autoptr(GVariant) child = g_variant_get_variant (boxed);

              compare_plain (child, &got);
              if (G_IS_VALUE (&got))
                g_value_unset (&got);
            }
        }
    }
  else
    {
      GValue got = G_VALUE_INIT;

      if (_comlink_message_read_plain (read, &got))
        {
          compare_plain (body, &got);
          if (G_IS_VALUE (&got))
            g_value_unset (&got);
        }
    }
}

/* The reader in place against GLib's reading of the same frame */
static void
compare_readers (const guint8 *data,
                 size_t        size,
                 GVariant     *trusted)
{
  g_autoptr(GVariant) inner = g_variant_get_variant (trusted);
  g_autoptr(GError) read_error = NULL;
  g_autoptr(GError) parse_error = NULL;
  guint8        *copy = g_memdup2 (data, size);
  ComlinkMessage read;
  ComlinkMessage parsed;
  gboolean       read_ok;
  gboolean       parse_ok;

  read_ok = _comlink_message_read (copy, size, g_free, copy, &read, &read_error);
  parse_ok = _comlink_message_parse (inner, &parsed, &parse_error);
  if (read_ok != parse_ok)
    {
      fprintf (stderr, "The reader says %d, the parser %d\n", read_ok, parse_ok);
      abort ();
    }
  if (read_ok)
    compare_plain_values (&read, _comlink_message_get_body (&parsed));
  if (read_ok &&
      (read.type != parsed.type || read.id != parsed.id || read.target != parsed.target ||
       read.n_path != parsed.n_path || (read.path == NULL) != (parsed.path == NULL) ||
       (read.path != NULL && !g_strv_equal ((const char * const *) read.path, (const char * const *) parsed.path)) ||
       !g_variant_equal (_comlink_message_get_body (&read), _comlink_message_get_body (&parsed)) ||
       strcmp (g_variant_get_type_string (_comlink_message_get_body (&read)), g_variant_get_type_string (_comlink_message_get_body (&parsed))) != 0))
    {
      fprintf (stderr, "The reader and the parser read different messages\n");
      abort ();
    }
  if (read_ok)
    {
      /* Both pass the same checks, or fail them alike */
      gboolean read_checked = _comlink_message_check (&read, NULL);

      if (read_checked != _comlink_message_check (&parsed, NULL))
        abort ();
    }
  _comlink_message_clear (&read);
  _comlink_message_clear (&parsed);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GVariant) untrusted = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ours;
  gboolean glibs;

  /* GLib's own check is quadratic: keep the inputs small */
  if (size > 4096)
    return 0;

  ours = _comlink_wire_check_serialised (data, size, G_MAXUINT64, &error);
  bytes = g_bytes_new (data, size);
  untrusted = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARIANT, bytes, FALSE));
  glibs = g_variant_is_normal_form (untrusted);

  if (ours && !glibs)
    {
      fprintf (stderr, "The checker accepts what GLib says is not in normal form\n");
      abort ();
    }
  /* A type nested deeper than GLib allows is refused here; GLib takes
   * such a variant for one holding a unit, in normal form if its value is
   * one zero byte */
  if (glibs && !ours && strstr (error->message, "nested too deep") == NULL)
    {
      fprintf (stderr, "The checker refuses what GLib says is in normal form: %s\n", error->message);
      abort ();
    }

  if (ours)
    {
      g_autoptr(GVariant) trusted = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARIANT, bytes, TRUE));
      g_autofree char *text = g_variant_print (trusted, TRUE);

      g_assert (text != NULL);
      compare_readers (data, size, trusted);
    }

  return 0;
}
