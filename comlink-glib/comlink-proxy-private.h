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

G_END_DECLS
