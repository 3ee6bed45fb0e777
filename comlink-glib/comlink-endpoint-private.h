/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include "comlink-endpoint.h"

G_BEGIN_DECLS

typedef void (*ComlinkEndpointReceiver) (ComlinkEndpoint *endpoint,
                                         GVariant        *message,
                                         GUnixFDList     *fd_list,
                                         gpointer         user_data);

/* The connection of an endpoint receives its messages through a direct
 * call rather than a signal emission: it is the hot path. */
void _comlink_endpoint_set_receiver (ComlinkEndpoint        *self,
                                     ComlinkEndpointReceiver receiver,
                                     gpointer                user_data);

G_END_DECLS
