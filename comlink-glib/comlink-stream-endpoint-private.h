/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include "comlink-stream-endpoint.h"

G_BEGIN_DECLS

/* What the connection of a stream endpoint needs for backpressure: how
 * much waits to be written, a call in the endpoint's context each time a
 * batch was written, and a way to stop reading and delivering messages
 * until the peer reads what waits for it. */
typedef void (*ComlinkStreamWrittenFunc) (gpointer user_data);

gsize _comlink_stream_endpoint_get_queued_bytes (ComlinkStreamEndpoint *self);
void  _comlink_stream_endpoint_set_written_func (ComlinkStreamEndpoint   *self,
                                                 ComlinkStreamWrittenFunc func,
                                                 gpointer                 user_data);
void  _comlink_stream_endpoint_set_paused (ComlinkStreamEndpoint *self,
                                           gboolean               paused);

G_END_DECLS
