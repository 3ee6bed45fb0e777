/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined(COMLINK_INSIDE) && !defined(COMLINK_COMPILATION)
#error "Only <comlink-glib/comlink.h> can be included directly."
#endif

#include <glib.h>

#include "comlink-version.h"

G_BEGIN_DECLS

/**
 * ComlinkBytesFillFunc:
 * @data: (array length=size) (element-type guint8): where to write
 * @size: the size of @data
 * @user_data: the data passed to comlink_bytes_new_shared()
 *
 * Writes the content of new shared bytes.
 *
 * Since: 0.1
 */
typedef void (*ComlinkBytesFillFunc) (guint8  *data,
                                      gsize    size,
                                      gpointer user_data);

COMLINK_AVAILABLE_IN_ALL
GBytes *comlink_bytes_new_shared (gsize                size,
                                  ComlinkBytesFillFunc fill,
                                  gpointer             user_data,
                                  GError             **error);
COMLINK_AVAILABLE_IN_ALL
GBytes *comlink_bytes_new_shared_copy (const guint8 *data,
                                       gsize         size,
                                       GError      **error);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_bytes_is_shared (GBytes *bytes);

G_END_DECLS
