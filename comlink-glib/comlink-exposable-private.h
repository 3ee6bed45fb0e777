/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include "comlink-exposable.h"

G_BEGIN_DECLS

void _comlink_dispatch (ComlinkInvocation *invocation);
void _comlink_exposable_released (ComlinkExposable  *self,
                                  ComlinkConnection *connection);

GObject *_comlink_resolve_path (GObject            *object,
                                const char * const *path,
                                gsize               n_path,
                                GError            **error);

G_END_DECLS
