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
 * An object that answers every call itself:
 *
 * |[<!-- language="C" -->
 * static void
 * echo_invoke (ComlinkExposable *exposable, ComlinkInvocation *invocation)
 * {
 *   guint n_args;
 *   const GValue *args = comlink_invocation_get_args (invocation, &n_args);
 *
 *   if (comlink_invocation_get_kind (invocation) == COMLINK_INVOCATION_CALL && n_args == 1)
 *     comlink_invocation_return_value (invocation, &args[0]);
 *   else
 *     comlink_invocation_return_error (invocation, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_METHOD,
 *                                      "Only calls with one argument");
 * }
 *
 * static void
 * echo_exposable_init (ComlinkExposableInterface *iface)
 * {
 *   iface->invoke = echo_invoke;
 * }
 *
 * G_DEFINE_TYPE_WITH_CODE (MyEcho, my_echo, G_TYPE_OBJECT,
 *                          G_IMPLEMENT_INTERFACE (COMLINK_TYPE_EXPOSABLE, echo_exposable_init))
 * ]|
 *
* See also: [Constructing remote objects](construct.html), [Remote
 * signals](signals.html), [A hostile peer](security.html).
 *
 * Since: 0.1
 */

/*
 * This file holds the interface only. The dispatcher that serves plain
 * GObjects (properties, action signals, paths, constructible types) is
 * in comlink-dispatch.c.
 */

#include "config.h"

#include "comlink-error.h"
#include "comlink-exposable-private.h"
#include "comlink-invocation.h"
#include "comlink-private.h"

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
 * Since: 0.1
 */
void
comlink_exposable_invoke (ComlinkExposable  *self,
                          ComlinkInvocation *invocation)
{
  g_return_if_fail (COMLINK_IS_EXPOSABLE (self));
  g_return_if_fail (COMLINK_IS_INVOCATION (invocation));

  COMLINK_EXPOSABLE_GET_IFACE (self)->invoke (self, invocation);
}

/**
 * comlink_exposable_describe:
 * @self: a #ComlinkExposable
 * @path: (array zero-terminated=1): the navigation path, from @self, to
 *   the object to describe; empty for @self itself
 * @error: return location for a #GError
 *
 * Describes the object that @path leads to from @self, as the peer's
 * [method@Comlink.Proxy.describe_async] receives it: a `a{sv}` with the
 * keys `type` (`s`), `methods` (`a(sass)`: name, argument type names,
 * return type name), `properties` (`a(ssu)`: name, type name, 1 if it
 * can be read, 2 if it can be written, or both), `signals` (`a(sas)`:
 * name, parameter type names) and `complete` (`b`), any of which may be
 * left out. A type that is not declared is named `any`. The library
 * checks the description and bounds each list before it sends it; see
 * [The wire protocol](protocol.html#describing-an-object).
 *
 * An implementation that cannot describe the object fails, and the peer
 * receives the error. One that does not implement the virtual function
 * fails with %COMLINK_ERROR_NOT_SUPPORTED.
 *
 * Returns: (transfer full): the description, or %NULL on error
 *
 * Since: 0.1
 */
GVariant *
comlink_exposable_describe (ComlinkExposable   *self,
                            const char * const *path,
                            GError            **error)
{
  ComlinkExposableInterface *iface;
  GError                    *local_error = NULL;
  GVariant                  *description;

  g_return_val_if_fail (COMLINK_IS_EXPOSABLE (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = COMLINK_EXPOSABLE_GET_IFACE (self);
  if (iface->describe == NULL)
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_NOT_SUPPORTED,
                   _ ("%s cannot describe itself"), G_OBJECT_TYPE_NAME (self));
      return NULL;
    }

  description = iface->describe (self, path, &local_error);
  if (description == NULL)
    {
      if (local_error == NULL)
        local_error = g_error_new (COMLINK_ERROR, COMLINK_ERROR_FAILED,
                                   _ ("%s gave no description and no error"), G_OBJECT_TYPE_NAME (self));
      g_propagate_error (error, local_error);
      return NULL;
    }
  g_clear_error (&local_error);

  /* An implementation in C may return a floating reference */
  return g_variant_take_ref (description);
}

void
_comlink_exposable_released (ComlinkExposable  *self,
                             ComlinkConnection *connection)
{
  ComlinkExposableInterface *iface = COMLINK_EXPOSABLE_GET_IFACE (self);

  if (iface->released != NULL)
    iface->released (self, connection);
}
