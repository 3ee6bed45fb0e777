/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include "comlink-channel.h"

G_BEGIN_DECLS

/* An in-process endpoint handed to the peer (a new endpoint of
 * comlink_proxy_create_endpoint_async()) waits here under a token that
 * cannot be guessed until the peer claims it. */
gboolean         _comlink_channel_is_port (gpointer object);
char            *_comlink_channel_park (ComlinkEndpoint *endpoint);
ComlinkEndpoint *_comlink_channel_claim (const char *token);
void             _comlink_channel_unpark (const char *token);

/* In-process cancellation (see comlink-channel.c): the side serving a
 * request records it by call id, and the calling side cancels it from its
 * own thread. @claim runs with the records locked: it marks its item
 * cancelled and returns a new reference to a cancellable to cancel once
 * they are unlocked, or NULL. */
typedef GCancellable *(*ComlinkChannelClaimFunc) (gpointer item);

gboolean _comlink_channel_add_served (ComlinkEndpoint *port,
                                      guint64          id,
                                      gpointer         item);
void     _comlink_channel_remove_served (ComlinkEndpoint *port,
                                         guint64          id,
                                         gpointer         item);
void     _comlink_channel_cancel_peer_request (ComlinkEndpoint        *port,
                                               guint64                 id,
                                               ComlinkChannelClaimFunc claim);
void     _comlink_channel_cancel_peer_requests (ComlinkEndpoint        *port,
                                                ComlinkChannelClaimFunc claim);

G_END_DECLS
