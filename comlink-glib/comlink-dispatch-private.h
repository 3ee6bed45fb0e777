/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include "comlink-invocation.h"
#include "comlink-proxy.h"

G_BEGIN_DECLS

/* Serves @invocation on its target: see comlink-dispatch.c */
void _comlink_dispatch (ComlinkInvocation *invocation);

/* An action signal that the peer may call as a method of a type, looked
 * up once per type and name */
typedef struct
{
  guint    signal_id;
  guint    n_params;
  GType   *param_types; /* static scope flag removed */
  GType    return_type; /* the same */
  gboolean takes_invocation;
} ComlinkMethod;

const ComlinkMethod *_comlink_dispatch_find_method (GObject    *object,
                                                    const char *member,
                                                    GError    **error);
gboolean             _comlink_dispatch_emit (GObject             *object,
                                             const ComlinkMethod *method,
                                             const char          *member,
                                             const GValue        *args,
                                             guint                n_args,
                                             ComlinkInvocation   *invocation,
                                             GValue              *return_value,
                                             GError             **error);

GVariant *_comlink_dispatch_describe (GObject            *object,
                                      const char * const *path,
                                      ComlinkProxy      **forward,
                                      GError            **error);

GObject *_comlink_resolve_path (GObject            *object,
                                const char * const *path,
                                gsize               n_path,
                                GError            **error);

G_END_DECLS
