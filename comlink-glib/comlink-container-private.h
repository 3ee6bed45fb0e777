/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include "comlink-container.h"

G_BEGIN_DECLS

/* How deep containers nest in a value, sent or received */
#define COMLINK_CONTAINER_MAX_DEPTH 16

void     _comlink_container_append_take (ComlinkContainer *self,
                                         GValue           *value);
gboolean _comlink_container_insert_take (ComlinkContainer *self,
                                         const char       *key,
                                         GValue           *value);

G_END_DECLS
