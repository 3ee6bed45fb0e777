/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined(COMLINK_INSIDE) && !defined(COMLINK_COMPILATION)
#error "Only <comlink-glib/comlink.h> can be included directly."
#endif

#include <glib-object.h>

#include "comlink-version.h"

G_BEGIN_DECLS

#define COMLINK_TYPE_CONTAINER (comlink_container_get_type ())

typedef struct _ComlinkContainer ComlinkContainer;

COMLINK_AVAILABLE_IN_ALL
GType comlink_container_get_type (void) G_GNUC_CONST;
COMLINK_AVAILABLE_IN_ALL
ComlinkContainer *comlink_container_new_array (void);
COMLINK_AVAILABLE_IN_ALL
ComlinkContainer *comlink_container_new_dict (void);
COMLINK_AVAILABLE_IN_ALL
ComlinkContainer *comlink_container_ref (ComlinkContainer *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_container_unref (ComlinkContainer *self);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_container_is_dict (ComlinkContainer *self);
COMLINK_AVAILABLE_IN_ALL
guint comlink_container_get_n_items (ComlinkContainer *self);
COMLINK_AVAILABLE_IN_ALL
const GValue *comlink_container_get_item (ComlinkContainer *self,
                                          guint             index);
COMLINK_AVAILABLE_IN_ALL
GType comlink_container_get_item_type (ComlinkContainer *self,
                                       guint             index);
COMLINK_AVAILABLE_IN_ALL
GVariant *comlink_container_dup_item_variant (ComlinkContainer *self,
                                              guint             index);
COMLINK_AVAILABLE_IN_ALL
const char *comlink_container_get_key (ComlinkContainer *self,
                                       guint             index);
COMLINK_AVAILABLE_IN_ALL
const GValue *comlink_container_lookup (ComlinkContainer *self,
                                        const char       *key);
COMLINK_AVAILABLE_IN_ALL
void comlink_container_append (ComlinkContainer *self,
                               const GValue     *value);
COMLINK_AVAILABLE_IN_ALL
void comlink_container_insert (ComlinkContainer *self,
                               const char       *key,
                               const GValue     *value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ComlinkContainer, comlink_container_unref)

G_END_DECLS
