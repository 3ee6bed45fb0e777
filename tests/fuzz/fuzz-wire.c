/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* libFuzzer target: the bytes are a serialised variant as a frame carries
 * it. The wire checker must give the verdict of GLib's own
 * g_variant_is_normal_form(), and GLib must read whatever the checker
 * accepts as trusted without complaint. What it accepts goes to the reader
 * of messages in place too, which must read what GLib reads from the same
 * bytes, field by field. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <comlink-glib/comlink.h>

#include "comlink-wire-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

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
