/* SPDX-License-Identifier: LGPL-2.1-or-later */

/**
 * ComlinkExposable:
 *
 * An interface for objects that answer remote requests themselves.
 *
 * Any #GObject can be exposed as it is: its readable properties answer
 * gets, its writable (not construct-only) properties answer sets, and its
 * action signals (%G_SIGNAL_ACTION) are its methods, with the signal's
 * parameters and return type as the method's signature. A handler of an
 * action signal whose last parameter is a #ComlinkInvocation answers
 * through it, now or later. Plain signals are never callable by the peer.
 *
 * An object implementing #ComlinkExposable receives every request for
 * itself, and for paths below it, as a #ComlinkInvocation instead.
 *
 * Since: 1.0
 */

/*
 * This file holds the interface only. The dispatcher that serves plain
 * GObjects (properties, action signals, paths, constructible types) is
 * in comlink-dispatch.c.
 */

#include "config.h"

#include "comlink-exposable-private.h"
#include "comlink-invocation.h"

G_DEFINE_INTERFACE (ComlinkExposable, comlink_exposable, G_TYPE_OBJECT)

static void
comlink_exposable_default_init (ComlinkExposableInterface *iface)
{
}

/**
 * comlink_exposable_invoke:
 * @self: a #ComlinkExposable
 * @invocation: the request
 *
 * Hands @invocation to the implementation of @self.
 *
 * Since: 1.0
 */
void
comlink_exposable_invoke (ComlinkExposable  *self,
                          ComlinkInvocation *invocation)
{
  g_return_if_fail (COMLINK_IS_EXPOSABLE (self));
  g_return_if_fail (COMLINK_IS_INVOCATION (invocation));

  COMLINK_EXPOSABLE_GET_IFACE (self)->invoke (self, invocation);
}

void
_comlink_exposable_released (ComlinkExposable  *self,
                             ComlinkConnection *connection)
{
  ComlinkExposableInterface *iface = COMLINK_EXPOSABLE_GET_IFACE (self);

  if (iface->released != NULL)
    iface->released (self, connection);
}
