/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include "comlink-connection-private.h"
#include "comlink-proxy.h"

G_BEGIN_DECLS

ComlinkProxy       *_comlink_proxy_new (ComlinkConnection *connection,
                                        guint64            object_id);
ComlinkProxyRecord *_comlink_proxy_get_record (ComlinkProxy *self);
void                _comlink_proxy_defunct (ComlinkProxy *self,
                                            const GError *error);
gboolean            _comlink_proxy_get_remote_id (ComlinkProxy      *self,
                                                  ComlinkConnection *connection,
                                                  guint64           *id,
                                                  GError           **error);
GValue             *_comlink_proxy_propagate_result (ComlinkProxy *self,
                                                     GAsyncResult *result,
                                                     GError      **error);

/* What the `_finish` functions of calls make of the value a call returned
 * (NULL for nothing); the worker pool's complete its calls the same way.
 * Those that take @value take it. */
GValue           *_comlink_result_fold_null (GValue *value);
GVariant         *_comlink_result_to_tuple (const GValue *value,
                                            GError      **error);
ComlinkContainer *_comlink_result_in_container (GValue *value);
GValue           *_comlink_result_int64_as_variant (GValue *value);
void              _comlink_value_int64_to_variant (GValue *value);

/* The arguments of the GVariant form of a call, one per child of @tuple */
GValue *_comlink_args_from_tuple (GVariant *tuple,
                                  guint    *n_args);
void    _comlink_args_free (GValue *args,
                            guint   n_args);

G_END_DECLS
