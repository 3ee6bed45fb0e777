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

#include "config.h"

#include <string.h>

#include "comlink-error.h"
#include "comlink-exposable-private.h"
#include "comlink-invocation-private.h"
#include "comlink-private.h"
#include "comlink-value-private.h"

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

static void
call_action_signal (GObject           *object,
                    ComlinkInvocation *invocation)
{
  const char        *member = comlink_invocation_get_member (invocation);
  g_autofree char   *canonical = NULL;
  const char        *name = member;
  g_autofree GValue *params = NULL;
  GValue             return_value = G_VALUE_INIT;
  const GValue      *args;
  GSignalQuery       query;
  gboolean           takes_invocation;
  guint              n_args, n_expected, signal_id = 0;
  GError            *error = NULL;

  /* Methods may be called with_underscores; signals are named-with-dashes */
  if (strchr (member, '_') != NULL)
    name = canonical = g_strdelimit (g_strdup (member), "_", '-');
  if (name[0] != '\0' && g_signal_is_valid_name (name))
    signal_id = g_signal_lookup (name, G_OBJECT_TYPE (object));
  if (signal_id == 0)
    {
      comlink_invocation_return_error (invocation, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_METHOD,
                                       _ ("%s has no method “%s”"),
                                       G_OBJECT_TYPE_NAME (object), member);
      return;
    }

  g_signal_query (signal_id, &query);
  /* GObject's own "notify" is an action signal, and "destroy" of widgets
   * must never be reachable either: only a type's own methods are. */
  if (!(query.signal_flags & G_SIGNAL_ACTION) ||
      query.itype == G_TYPE_OBJECT || query.itype == G_TYPE_INITIALLY_UNOWNED ||
      g_str_equal (query.signal_name, "destroy"))
    {
      comlink_invocation_return_error (invocation, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_METHOD,
                                       _ ("The signal “%s” of %s is not an action signal and cannot be called"),
                                       member, G_OBJECT_TYPE_NAME (object));
      return;
    }

  takes_invocation = query.n_params > 0 &&
                     (query.param_types[query.n_params - 1] & ~G_SIGNAL_TYPE_STATIC_SCOPE) == COMLINK_TYPE_INVOCATION;
  n_expected = query.n_params - (takes_invocation ? 1 : 0);
  args = comlink_invocation_get_args (invocation, &n_args);

  if (n_args != n_expected)
    {
      comlink_invocation_return_error (invocation, COMLINK_ERROR, COMLINK_ERROR_INVALID_ARGUMENTS,
                                       _ ("“%s” takes %u arguments, not %u"),
                                       member, n_expected, n_args);
      return;
    }

  params = g_new0 (GValue, query.n_params + 1);
  g_value_init (&params[0], G_OBJECT_TYPE (object));
  g_value_set_object (&params[0], object);

  for (guint i = 0; i < n_args; i++)
    {
      GType type = query.param_types[i] & ~G_SIGNAL_TYPE_STATIC_SCOPE;

      if (!_comlink_value_convert (&args[i], type, &params[i + 1], &error))
        {
          g_prefix_error (&error, _ ("Argument %u of “%s”: "), i + 1, member);
          comlink_invocation_take_error (invocation, error);
          goto out;
        }
    }

  if (takes_invocation)
    {
      g_value_init (&params[query.n_params], COMLINK_TYPE_INVOCATION);
      g_value_set_object (&params[query.n_params], invocation);
    }

  if (query.return_type != G_TYPE_NONE)
    g_value_init (&return_value, query.return_type & ~G_SIGNAL_TYPE_STATIC_SCOPE);

  g_signal_emitv (params, signal_id, 0, &return_value);

  if (!takes_invocation)
    comlink_invocation_return_value (invocation, G_IS_VALUE (&return_value) ? &return_value : NULL);

out:
  for (guint i = 0; i <= query.n_params; i++)
    if (G_IS_VALUE (&params[i]))
      g_value_unset (&params[i]);
  if (G_IS_VALUE (&return_value))
    g_value_unset (&return_value);
}

static GParamSpec *
find_property (GObject           *object,
               ComlinkInvocation *invocation,
               const char        *name,
               GParamFlags        needed)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (object), name);

  if (pspec == NULL || (pspec->flags & needed) != needed ||
      ((needed & G_PARAM_WRITABLE) && (pspec->flags & G_PARAM_CONSTRUCT_ONLY)))
    {
      comlink_invocation_return_error (invocation, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_PROPERTY,
                                       (needed & G_PARAM_WRITABLE)
                                         ? _ ("%s has no writable property “%s”")
                                         : _ ("%s has no readable property “%s”"),
                                       G_OBJECT_TYPE_NAME (object), name);
      return NULL;
    }

  return pspec;
}

static void
get_property (GObject           *object,
              ComlinkInvocation *invocation)
{
  const char *name = comlink_invocation_get_member (invocation);
  GValue      value = G_VALUE_INIT;
  GParamSpec *pspec;

  if (!(pspec = find_property (object, invocation, name, G_PARAM_READABLE)))
    return;

  g_value_init (&value, pspec->value_type);
  g_object_get_property (object, pspec->name, &value);
  comlink_invocation_return_value (invocation, &value);
  g_value_unset (&value);
}

static void
set_property (GObject           *object,
              ComlinkInvocation *invocation)
{
  const char *name = comlink_invocation_get_member (invocation);
  GValue      value = G_VALUE_INIT;
  GValue      checked = G_VALUE_INIT;
  GError     *error = NULL;
  GParamSpec *pspec;

  if (!(pspec = find_property (object, invocation, name, G_PARAM_WRITABLE)))
    return;

  if (!_comlink_value_convert (comlink_invocation_get_arg (invocation, 0),
                               pspec->value_type, &value, &error))
    {
      g_prefix_error (&error, _ ("Property “%s”: "), name);
      comlink_invocation_take_error (invocation, error);
      return;
    }

  /* GObject would warn and ignore a value out of the property's range */
  g_value_init (&checked, pspec->value_type);
  g_value_copy (&value, &checked);
  if (g_param_value_validate (pspec, &checked))
    comlink_invocation_return_error (invocation, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH,
                                     _ ("The value is not valid for the property “%s”"), name);
  else
    {
      g_object_set_property (object, pspec->name, &value);
      comlink_invocation_return_value (invocation, NULL);
    }

  g_value_unset (&checked);
  g_value_unset (&value);
}

/* Walks the invocation's path through object-valued properties until it
 * reaches the object the member belongs to, or an object that answers for
 * itself, then serves the request. */
void
_comlink_dispatch (ComlinkInvocation *invocation)
{
  g_autoptr(GObject) object = g_object_ref (comlink_invocation_get_target (invocation));

  while (!COMLINK_IS_EXPOSABLE (object) && comlink_invocation_get_path (invocation)[0] != NULL)
    {
      const char *name = comlink_invocation_get_path (invocation)[0];
      g_autoptr(GObject) child = NULL;
      GParamSpec *pspec;

      if (!(pspec = find_property (object, invocation, name, G_PARAM_READABLE)))
        return;

      if (!G_TYPE_IS_OBJECT (pspec->value_type) && !G_TYPE_IS_INTERFACE (pspec->value_type))
        {
          comlink_invocation_return_error (invocation, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_OBJECT,
                                           _ ("The property “%s” of %s does not hold an object"),
                                           name, G_OBJECT_TYPE_NAME (object));
          return;
        }

      g_object_get (object, pspec->name, &child, NULL);
      if (child == NULL)
        {
          comlink_invocation_return_error (invocation, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_OBJECT,
                                           _ ("The property “%s” of %s holds no object"),
                                           name, G_OBJECT_TYPE_NAME (object));
          return;
        }

      _comlink_invocation_navigate (invocation, child);
      g_set_object (&object, child);
    }

  if (COMLINK_IS_EXPOSABLE (object))
    {
      comlink_exposable_invoke (COMLINK_EXPOSABLE (object), invocation);
      return;
    }

  switch (comlink_invocation_get_kind (invocation))
    {
    case COMLINK_INVOCATION_CALL:
      call_action_signal (object, invocation);
      break;

    case COMLINK_INVOCATION_GET:
      get_property (object, invocation);
      break;

    case COMLINK_INVOCATION_SET:
      set_property (object, invocation);
      break;

    default:
      g_assert_not_reached ();
    }
}
