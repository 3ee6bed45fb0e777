/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined(COMLINK_INSIDE) && !defined(COMLINK_COMPILATION)
#error "Only <comlink-glib/comlink.h> can be included directly."
#endif

#include <gio/gio.h>
#include <gio/gunixfdlist.h>

#include "comlink-version.h"

G_BEGIN_DECLS

#define COMLINK_TYPE_ENDPOINT (comlink_endpoint_get_type ())

COMLINK_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (ComlinkEndpoint, comlink_endpoint, COMLINK, ENDPOINT, GObject)

/**
 * ComlinkEndpointClass:
 * @parent_class: the parent class
 * @start: begins delivering received messages in the thread-default main
 *   context, which the base class has recorded; messages that arrived
 *   earlier are delivered then
 * @send: sends one message, and the file descriptors of @fd_list (or
 *   %NULL) beside it, to the peer; called from any thread
 * @close: releases the transport; called once, from the endpoint's context
 * @closed: class handler of the [signal@Comlink.Endpoint::closed] signal
 * @can_send_fds: whether file descriptors can travel beside messages; an
 *   endpoint that leaves it %NULL carries none
 *
 * The virtual functions of an endpoint transport.
 *
 * Since: 0.1
 */
struct _ComlinkEndpointClass
{
  GObjectClass parent_class;

  void (*start) (ComlinkEndpoint *self);
  gboolean (*send) (ComlinkEndpoint *self,
                    GVariant        *message,
                    GUnixFDList     *fd_list,
                    GError         **error);
  void (*close) (ComlinkEndpoint *self);
  void (*closed) (ComlinkEndpoint *self,
                  const GError    *error);
  gboolean (*can_send_fds) (ComlinkEndpoint *self);

  /*< private >*/
  gpointer _reserved[7];
};

COMLINK_AVAILABLE_IN_ALL
void comlink_endpoint_start (ComlinkEndpoint *self);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_endpoint_send (ComlinkEndpoint *self,
                                GVariant        *message,
                                GError         **error);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_endpoint_send_with_fds (ComlinkEndpoint *self,
                                         GVariant        *message,
                                         GUnixFDList     *fd_list,
                                         GError         **error);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_endpoint_can_send_fds (ComlinkEndpoint *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_endpoint_close (ComlinkEndpoint *self);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_endpoint_is_closed (ComlinkEndpoint *self);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_endpoint_is_started (ComlinkEndpoint *self);
COMLINK_AVAILABLE_IN_ALL
GMainContext *comlink_endpoint_get_context (ComlinkEndpoint *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_endpoint_receive (ComlinkEndpoint *self,
                               GVariant        *message);
COMLINK_AVAILABLE_IN_ALL
void comlink_endpoint_receive_with_fds (ComlinkEndpoint *self,
                                        GVariant        *message,
                                        GUnixFDList     *fd_list);
COMLINK_AVAILABLE_IN_ALL
void comlink_endpoint_close_with_error (ComlinkEndpoint *self,
                                        const GError    *error);

G_END_DECLS
