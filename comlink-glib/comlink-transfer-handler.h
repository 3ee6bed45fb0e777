/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined(COMLINK_INSIDE) && !defined(COMLINK_COMPILATION)
#error "Only <comlink-glib/comlink.h> can be included directly."
#endif

#include <glib-object.h>

#include "comlink-version.h"

G_BEGIN_DECLS

#define COMLINK_TYPE_TRANSFER_HANDLER (comlink_transfer_handler_get_type ())

COMLINK_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (ComlinkTransferHandler, comlink_transfer_handler, COMLINK, TRANSFER_HANDLER, GObject)

/**
 * ComlinkTransferHandlerClass:
 * @parent_class: the parent class
 * @can_handle: whether the handler writes @value; the default accepts
 *   values (and objects) of [property@Comlink.TransferHandler:value-type]
 * @serialize: writes @value as a #GVariant
 * @deserialize: reads a value back from what @serialize wrote; the data
 *   comes from the peer and must be checked
 *
 * The virtual functions of a transfer handler.
 *
 * Since: 0.1
 */
struct _ComlinkTransferHandlerClass
{
  GObjectClass parent_class;

  gboolean (*can_handle) (ComlinkTransferHandler *self,
                          const GValue           *value);
  GVariant *(*serialize) (ComlinkTransferHandler *self,
                          const GValue           *value,
                          GError                **error);
  gboolean (*deserialize) (ComlinkTransferHandler *self,
                           GVariant               *data,
                           GValue                 *value,
                           GError                **error);

  /*< private >*/
  gpointer _reserved[8];
};

COMLINK_AVAILABLE_IN_ALL
const char *comlink_transfer_handler_get_name (ComlinkTransferHandler *self);
COMLINK_AVAILABLE_IN_ALL
GType comlink_transfer_handler_get_value_type (ComlinkTransferHandler *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_transfer_handler_register (ComlinkTransferHandler *handler);
COMLINK_AVAILABLE_IN_ALL
void comlink_transfer_handler_unregister (const char *name);
COMLINK_AVAILABLE_IN_ALL
ComlinkTransferHandler *comlink_transfer_handler_lookup (const char *name);

G_END_DECLS
