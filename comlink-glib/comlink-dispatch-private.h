/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include "comlink-invocation.h"

G_BEGIN_DECLS

/* Serves @invocation on its target: see comlink-dispatch.c */
void _comlink_dispatch (ComlinkInvocation *invocation);

GObject *_comlink_resolve_path (GObject            *object,
                                const char * const *path,
                                gsize               n_path,
                                GError            **error);

G_END_DECLS
