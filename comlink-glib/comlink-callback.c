/* SPDX-License-Identifier: LGPL-2.1-or-later */

/**
 * ComlinkCallback:
 *
 * A function that the peer can call, the counterpart of Comlink's
 * `Comlink.proxy(fn)`.
 *
 * A callback is an object, so it travels by reference: pass it as an
 * argument and the peer receives a #ComlinkProxy, which it calls with
 * [method@Comlink.Proxy.call_async] and a %NULL method. The closure runs in
 * the thread-default main context of the thread that created the
 * callback, with the callback itself as its first parameter and the
 * arguments after it, as a signal handler receives its instance. A
 * closure that fails calls [method@Comlink.Callback.return_error]: the
 * caller gets the error instead of the return value.
 *
 * Lifetime: the callback holds its closure; the connection holds the
 * callback while the peer holds a proxy of it.
 *
 * Since: 1.0
 */

#include "config.h"

#include "comlink-callback.h"
#include "comlink-error.h"
#include "comlink-private.h"

struct _ComlinkCallback
{
  GObject parent_instance;

  GClosure     *closure;
  GMainContext *context;
  GType         return_type;
  /* While the closure runs, in the callback's context */
  ComlinkInvocation *running;
  GError            *error;
};

static void exposable_iface_init (ComlinkExposableInterface *iface);

/* clang-format off */
G_DEFINE_FINAL_TYPE_WITH_CODE (ComlinkCallback, comlink_callback, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (COMLINK_TYPE_EXPOSABLE, exposable_iface_init))
/* clang-format on */

static gboolean
run_closure (gpointer user_data)
{
  ComlinkInvocation *invocation = user_data;
  ComlinkCallback   *self = COMLINK_CALLBACK (comlink_invocation_get_target (invocation));
  g_autofree GValue *params = NULL;
  GValue             return_value = G_VALUE_INIT;
  const GValue      *args;
  guint              n_args;

  args = comlink_invocation_get_args (invocation, &n_args);
  params = g_new0 (GValue, n_args + 1);
  g_value_init (&params[0], COMLINK_TYPE_CALLBACK);
  g_value_set_object (&params[0], self);
  for (guint i = 0; i < n_args; i++)
    {
      if (G_IS_VALUE (&args[i]))
        {
          g_value_init (&params[i + 1], G_VALUE_TYPE (&args[i]));
          g_value_copy (&args[i], &params[i + 1]);
        }
      else
        g_value_init (&params[i + 1], G_TYPE_POINTER);
    }

  if (self->return_type != G_TYPE_NONE)
    g_value_init (&return_value, self->return_type);

  {
    /* A closure may run a nested main loop that runs another call */
    ComlinkInvocation *outer = self->running;
    GError            *outer_error = self->error;

    self->running = invocation;
    self->error = NULL;
    g_closure_invoke (self->closure,
                      G_IS_VALUE (&return_value) ? &return_value : NULL,
                      n_args + 1, params, NULL);
    if (self->error != NULL)
      comlink_invocation_take_error (invocation, g_steal_pointer (&self->error));
    else
      comlink_invocation_return_value (invocation, G_IS_VALUE (&return_value) ? &return_value : NULL);
    self->running = outer;
    self->error = outer_error;
  }

  for (guint i = 0; i <= n_args; i++)
    g_value_unset (&params[i]);
  if (G_IS_VALUE (&return_value))
    g_value_unset (&return_value);

  return G_SOURCE_REMOVE;
}

static void
comlink_callback_invoke (ComlinkExposable  *exposable,
                         ComlinkInvocation *invocation)
{
  ComlinkCallback *self = COMLINK_CALLBACK (exposable);
  const char      *member = comlink_invocation_get_member (invocation);

  if (comlink_invocation_get_kind (invocation) != COMLINK_INVOCATION_CALL ||
      member[0] != '\0' || comlink_invocation_get_path (invocation)[0] != NULL)
    {
      comlink_invocation_return_error (invocation, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_METHOD,
                                       _ ("A callback can only be called itself, it has no member “%s”"),
                                       member);
      return;
    }

  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, run_closure,
                              g_object_ref (invocation), g_object_unref);
}

static void
exposable_iface_init (ComlinkExposableInterface *iface)
{
  iface->invoke = comlink_callback_invoke;
}

static void
comlink_callback_finalize (GObject *object)
{
  ComlinkCallback *self = COMLINK_CALLBACK (object);

  g_closure_invalidate (self->closure);
  g_closure_unref (self->closure);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (comlink_callback_parent_class)->finalize (object);
}

static void
comlink_callback_class_init (ComlinkCallbackClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  _comlink_init_i18n ();

  object_class->finalize = comlink_callback_finalize;
}

static void
comlink_callback_init (ComlinkCallback *self)
{
}

/**
 * comlink_callback_new_with_return_type:
 * @closure: the closure to run when the peer calls the callback
 * @return_type: the type of the value @closure returns, or %G_TYPE_NONE
 *
 * Creates a callback whose closure returns a value of @return_type, which
 * the peer receives as the result of its call. A C closure made with
 * g_cclosure_new() and no marshaller gets g_cclosure_marshal_generic().
 *
 * Returns: (transfer full): a new #ComlinkCallback
 *
 * Since: 1.0
 */
ComlinkCallback *
comlink_callback_new_with_return_type (GClosure *closure,
                                       GType     return_type)
{
  ComlinkCallback *self;

  g_return_val_if_fail (closure != NULL, NULL);

  self = g_object_new (COMLINK_TYPE_CALLBACK, NULL);
  self->closure = g_closure_ref (closure);
  g_closure_sink (closure);
  if (closure->marshal == NULL)
    g_closure_set_marshal (closure, g_cclosure_marshal_generic);
  self->context = g_main_context_ref_thread_default ();
  self->return_type = return_type;

  return self;
}

/**
 * comlink_callback_new:
 * @closure: the closure to run when the peer calls the callback
 *
 * Creates a callback that returns nothing; see
 * [ctor@Comlink.Callback.new_with_return_type].
 *
 * Returns: (transfer full): a new #ComlinkCallback
 *
 * Since: 1.0
 */
ComlinkCallback *
comlink_callback_new (GClosure *closure)
{
  return comlink_callback_new_with_return_type (closure, G_TYPE_NONE);
}

/**
 * comlink_callback_return_error:
 * @self: a #ComlinkCallback
 * @reason: what went wrong
 *
 * Makes the call that the closure of @self is running fail: the caller
 * gets a copy of @reason instead of the closure's return value. Call it
 * from within the closure; a later call replaces an earlier one.
 *
 * Since: 1.0
 */
void
comlink_callback_return_error (ComlinkCallback *self,
                               const GError    *reason)
{
  g_return_if_fail (COMLINK_IS_CALLBACK (self));
  g_return_if_fail (reason != NULL);
  g_return_if_fail (self->running != NULL);

  g_clear_error (&self->error);
  self->error = g_error_copy (reason);
}
