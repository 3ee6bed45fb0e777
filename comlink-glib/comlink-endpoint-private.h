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

/* A message and the file descriptors beside it, as queues keep them */
typedef struct
{
  GVariant    *message;
  GUnixFDList *fds;
} ComlinkQueuedMessage;

ComlinkQueuedMessage *_comlink_queued_message_new (GVariant    *message,
                                                   GUnixFDList *fds);
void                  _comlink_queued_message_free (ComlinkQueuedMessage *queued);

G_END_DECLS
