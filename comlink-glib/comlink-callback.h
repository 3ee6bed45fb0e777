/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined(COMLINK_INSIDE) && !defined(COMLINK_COMPILATION)
#error "Only <comlink-glib/comlink.h> can be included directly."
#endif

#include "comlink-exposable.h"

G_BEGIN_DECLS

#define COMLINK_TYPE_CALLBACK (comlink_callback_get_type ())

COMLINK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (ComlinkCallback, comlink_callback, COMLINK, CALLBACK, GObject)

COMLINK_AVAILABLE_IN_ALL
ComlinkCallback *comlink_callback_new (GClosure *closure);
COMLINK_AVAILABLE_IN_ALL
ComlinkCallback *comlink_callback_new_with_return_type (GClosure *closure,
                                                        GType     return_type);
COMLINK_AVAILABLE_IN_ALL
ComlinkCallback *comlink_callback_new_with_types (GClosure    *closure,
                                                  GType        return_type,
                                                  guint        n_params,
                                                  const GType *param_types);
COMLINK_AVAILABLE_IN_ALL
ComlinkCallback *comlink_callback_new_typed (GClosure *closure,
                                             GType     return_type,
                                             guint     n_params,
                                             ...);

COMLINK_AVAILABLE_IN_ALL
void comlink_callback_return_error (ComlinkCallback *self,
                                    const GError    *reason);
COMLINK_AVAILABLE_IN_ALL
void comlink_callback_return_error_with_details (ComlinkCallback *self,
                                                 const GError    *reason,
                                                 const char      *class_name,
                                                 const char      *stack);

G_END_DECLS
