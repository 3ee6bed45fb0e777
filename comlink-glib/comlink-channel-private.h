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

G_END_DECLS
