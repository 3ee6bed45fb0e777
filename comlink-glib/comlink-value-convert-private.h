/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Converts @src to a new value of @type in @dest (which is unset), with
 * range checks; fails with COMLINK_ERROR_TYPE_MISMATCH */
gboolean _comlink_value_convert (const GValue *src,
                                 GType         type,
                                 GValue       *dest,
                                 GError      **error);

gboolean _comlink_variant_basic_to_value (GVariant *variant,
                                          GValue   *dest);

G_END_DECLS
