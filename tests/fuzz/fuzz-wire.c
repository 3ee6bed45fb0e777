/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* libFuzzer target: the bytes are a serialised variant as a frame carries
 * it. The wire checker must give the verdict of GLib's own
 * g_variant_is_normal_form(), and GLib must read whatever the checker
 * accepts as trusted without complaint. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <comlink-glib/comlink.h>

#include "comlink-wire-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data,
                            size_t        size);

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
    }

  return 0;
}
