/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined(COMLINK_INSIDE) && !defined(COMLINK_COMPILATION)
#error "Only <comlink-glib/comlink.h> can be included directly."
#endif

#include "comlink-endpoint.h"

G_BEGIN_DECLS

#define COMLINK_TYPE_CHANNEL (comlink_channel_get_type ())

COMLINK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (ComlinkChannel, comlink_channel, COMLINK, CHANNEL, GObject)

COMLINK_AVAILABLE_IN_ALL
ComlinkChannel *comlink_channel_new (void);
COMLINK_AVAILABLE_IN_ALL
ComlinkEndpoint *comlink_channel_get_port1 (ComlinkChannel *self);
COMLINK_AVAILABLE_IN_ALL
ComlinkEndpoint *comlink_channel_get_port2 (ComlinkChannel *self);

G_END_DECLS
