/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined(COMLINK_INSIDE) && !defined(COMLINK_COMPILATION)
#error "Only <comlink-glib/comlink.h> can be included directly."
#endif

#include "comlink-endpoint.h"

G_BEGIN_DECLS

#define COMLINK_TYPE_CONNECTION (comlink_connection_get_type ())

COMLINK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (ComlinkConnection, comlink_connection, COMLINK, CONNECTION, GObject)

COMLINK_AVAILABLE_IN_ALL
ComlinkConnection *comlink_connection_get_for_endpoint (ComlinkEndpoint *endpoint);
COMLINK_AVAILABLE_IN_ALL
ComlinkEndpoint *comlink_connection_get_endpoint (ComlinkConnection *self);
COMLINK_AVAILABLE_IN_ALL
GMainContext *comlink_connection_get_context (ComlinkConnection *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_connection_expose (ComlinkConnection *self,
                                GObject           *object);
COMLINK_AVAILABLE_IN_ALL
void comlink_connection_close (ComlinkConnection *self);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_connection_is_closed (ComlinkConnection *self);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_connection_is_ready (ComlinkConnection *self);
COMLINK_AVAILABLE_IN_ALL
guint comlink_connection_get_n_proxies (ComlinkConnection *self);
COMLINK_AVAILABLE_IN_ALL
guint comlink_connection_get_n_exports (ComlinkConnection *self);

COMLINK_AVAILABLE_IN_ALL
guint comlink_connection_get_timeout (ComlinkConnection *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_connection_set_timeout (ComlinkConnection *self,
                                     guint              timeout_msec);
COMLINK_AVAILABLE_IN_ALL
guint comlink_connection_get_max_pending_calls (ComlinkConnection *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_connection_set_max_pending_calls (ComlinkConnection *self,
                                               guint              max_pending_calls);
COMLINK_AVAILABLE_IN_ALL
guint comlink_connection_get_max_exports (ComlinkConnection *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_connection_set_max_exports (ComlinkConnection *self,
                                         guint              max_exports);

COMLINK_AVAILABLE_IN_ALL
guint comlink_connection_get_max_held_requests (ComlinkConnection *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_connection_set_max_held_requests (ComlinkConnection *self,
                                               guint              max_held_requests);
COMLINK_AVAILABLE_IN_ALL
guint comlink_connection_get_max_held_fds (ComlinkConnection *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_connection_set_max_held_fds (ComlinkConnection *self,
                                          guint              max_held_fds);
COMLINK_AVAILABLE_IN_ALL
guint64 comlink_connection_get_max_held_bytes (ComlinkConnection *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_connection_set_max_held_bytes (ComlinkConnection *self,
                                            guint64            max_held_bytes);
COMLINK_AVAILABLE_IN_ALL
guint comlink_connection_get_max_subscriptions (ComlinkConnection *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_connection_set_max_subscriptions (ComlinkConnection *self,
                                               guint              max_subscriptions);
COMLINK_AVAILABLE_IN_ALL
guint64 comlink_connection_get_max_queued_bytes (ComlinkConnection *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_connection_set_max_queued_bytes (ComlinkConnection *self,
                                              guint64            max_queued_bytes);
COMLINK_AVAILABLE_IN_ALL
guint comlink_connection_get_max_nesting_depth (ComlinkConnection *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_connection_set_max_nesting_depth (ComlinkConnection *self,
                                               guint              max_nesting_depth);

COMLINK_AVAILABLE_IN_ALL
ComlinkConnection *comlink_expose (GObject         *object,
                                   ComlinkEndpoint *endpoint);

G_END_DECLS
