/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include "comlink-invocation.h"

G_BEGIN_DECLS

ComlinkInvocation *_comlink_invocation_new (ComlinkConnection    *connection,
                                            guint64               id,
                                            ComlinkInvocationKind kind,
                                            GObject              *target,
                                            char                **path,
                                            char                 *member,
                                            GValue               *args,
                                            guint                 n_args);
const guint64     *_comlink_invocation_get_id_ptr (ComlinkInvocation *self);
void               _comlink_invocation_cancel (ComlinkInvocation *self);
void               _comlink_invocation_abandon (ComlinkInvocation *self);
void               _comlink_invocation_join_channel (ComlinkInvocation *self);
void               _comlink_invocation_cancel_peer_request (ComlinkEndpoint *endpoint,
                                                            guint64          id);
void               _comlink_invocation_cancel_peer_requests (ComlinkEndpoint *endpoint);
void               _comlink_invocation_navigate (ComlinkInvocation *self,
                                                 GObject           *target);

void _comlink_invocation_wait_for_threads (GMainContext *context);

void _comlink_invocation_set_names (ComlinkInvocation *self,
                                    char             **names);

G_END_DECLS
