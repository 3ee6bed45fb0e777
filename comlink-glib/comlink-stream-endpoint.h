/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined(COMLINK_INSIDE) && !defined(COMLINK_COMPILATION)
#error "Only <comlink-glib/comlink.h> can be included directly."
#endif

#include <gio/gio.h>

#include "comlink-endpoint.h"

G_BEGIN_DECLS

#define COMLINK_TYPE_STREAM_ENDPOINT (comlink_stream_endpoint_get_type ())

COMLINK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (ComlinkStreamEndpoint, comlink_stream_endpoint, COMLINK, STREAM_ENDPOINT, ComlinkEndpoint)

COMLINK_AVAILABLE_IN_ALL
ComlinkEndpoint *comlink_stream_endpoint_new (GIOStream *stream);
COMLINK_AVAILABLE_IN_ALL
GIOStream *comlink_stream_endpoint_get_stream (ComlinkStreamEndpoint *self);
COMLINK_AVAILABLE_IN_ALL
gsize comlink_stream_endpoint_get_max_message_size (ComlinkStreamEndpoint *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_stream_endpoint_set_max_message_size (ComlinkStreamEndpoint *self,
                                                   gsize                  max_message_size);

COMLINK_AVAILABLE_IN_ALL
guint64 comlink_stream_endpoint_get_memfd_threshold (ComlinkStreamEndpoint *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_stream_endpoint_set_memfd_threshold (ComlinkStreamEndpoint *self,
                                                  guint64                memfd_threshold);
COMLINK_AVAILABLE_IN_ALL
guint64 comlink_stream_endpoint_get_max_message_elements (ComlinkStreamEndpoint *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_stream_endpoint_set_max_message_elements (ComlinkStreamEndpoint *self,
                                                       guint64                max_message_elements);
COMLINK_AVAILABLE_IN_ALL
guint comlink_stream_endpoint_get_read_timeout (ComlinkStreamEndpoint *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_stream_endpoint_set_read_timeout (ComlinkStreamEndpoint *self,
                                               guint                  seconds);

G_END_DECLS
