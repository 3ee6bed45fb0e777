/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined(COMLINK_INSIDE) && !defined(COMLINK_COMPILATION)
#error "Only <comlink-glib/comlink.h> can be included directly."
#endif

#include "comlink-invocation.h"

G_BEGIN_DECLS

#define COMLINK_TYPE_EXPOSABLE (comlink_exposable_get_type ())

COMLINK_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (ComlinkExposable, comlink_exposable, COMLINK, EXPOSABLE, GObject)

/**
 * ComlinkExposableInterface:
 * @parent_iface: the parent interface
 * @invoke: serves one request; must eventually answer it with
 *   [method@Comlink.Invocation.return_value] or
 *   [method@Comlink.Invocation.return_gerror], now or later
 * @released: optional; called in the connection's context when the peer
 *   of @connection no longer holds any reference to the object (the
 *   counterpart of Comlink's `finalizer`)
 * @describe: optional; describes, for [method@Comlink.Proxy.describe_async],
 *   the object that a path leads to from the object: see
 *   [method@Comlink.Exposable.describe]. An object without it cannot be
 *   described. Since: 0.1
 *
 * The interface of objects that serve remote requests themselves.
 *
 * Since: 0.1
 */
struct _ComlinkExposableInterface
{
  GTypeInterface parent_iface;

  void (*invoke) (ComlinkExposable  *self,
                  ComlinkInvocation *invocation);
  void (*released) (ComlinkExposable  *self,
                    ComlinkConnection *connection);
  GVariant *(*describe) (ComlinkExposable   *self,
                         const char * const *path,
                         GError            **error);
};

COMLINK_AVAILABLE_IN_ALL
void comlink_exposable_invoke (ComlinkExposable  *self,
                               ComlinkInvocation *invocation);

COMLINK_AVAILABLE_IN_ALL
GVariant *comlink_exposable_describe (ComlinkExposable   *self,
                                      const char * const *path,
                                      GError            **error);

COMLINK_AVAILABLE_IN_ALL
void comlink_register_constructible (GObject    *object,
                                     const char *name,
                                     GType       type);

G_END_DECLS
