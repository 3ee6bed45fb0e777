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
 * The peer is not trusted to send the arguments the closure expects. A
 * callback made with [ctor@Comlink.Callback.new_with_types] (or
 * comlink_callback_new_typed() in C) declares its parameter types: a call
 * with another number of arguments fails with
 * %COMLINK_ERROR_INVALID_ARGUMENTS, and each argument is converted to its
 * declared type (an integer to a double and so on, with range checks) or
 * the call fails with %COMLINK_ERROR_TYPE_MISMATCH, before the closure
 * runs. A callback made with [ctor@Comlink.Callback.new] declares no
 * parameter types: its closure receives the arguments as they arrived,
 * which only a closure that converts values by their type can take (the
 * closures of PyGObject and GJS do). A C closure with no marshaller of its
 * own (one from g_cclosure_new()) cannot: such an untyped callback takes
 * calls with no arguments only, and refuses the others with
 * %COMLINK_ERROR_INVALID_ARGUMENTS.
 *
 * Lifetime: the callback holds its closure; the connection holds the
 * callback while the peer holds a proxy of it.
 *
 * A progress function handed to a remote method:
 *
 * |[<!-- language="C" -->
 * static void
 * on_progress (ComlinkCallback *callback, gint percent, gpointer user_data)
 * {
 *   g_print ("%d%%\n", percent);
 * }
 *
 * g_autoptr(ComlinkCallback) progress =
 *   comlink_callback_new_typed (g_cclosure_new (G_CALLBACK (on_progress), NULL, NULL),
 *                               G_TYPE_NONE, 1, G_TYPE_INT);
 *
 * // proxy.process (progress, 10): the worker calls progress (percent)
 * comlink_proxy_call_with_args_async (proxy, "process", NULL, on_done, NULL,
 *                                     COMLINK_TYPE_CALLBACK, progress, G_TYPE_INT, 10, G_TYPE_INVALID);
 * ]|
 *
* See also: [Calls from C](c-calls.html), [Lifetimes and
 * threads](lifecycle.html).
 *
 * Since: 0.1
 */

#include "config.h"

#include "comlink-callback.h"
#include "comlink-error.h"
#include "comlink-private.h"
#include "comlink-value-convert-private.h"

struct _ComlinkCallback
{
  GObject parent_instance;

  GClosure     *closure;
  GMainContext *context;
  /* What comlink_callback_return_error_with_details() gave beside the
   * error of the running call */
  char *error_class;
  char *error_stack;
  GType return_type;
  /* The declared parameter types, or NULL for an untyped callback */
  GType   *param_types;
  guint    n_params;
  gboolean typed;
  /* A C closure that came with no marshaller: it reads its arguments as
   * the types its C function declares, whatever they are */
  gboolean needs_types;
  /* While the closure runs, in the callback's context */
  ComlinkInvocation *running;
  GError            *error;
};

static void exposable_iface_init (ComlinkExposableInterface *iface);

/* clang-format off */
G_DEFINE_FINAL_TYPE_WITH_CODE (ComlinkCallback, comlink_callback, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (COMLINK_TYPE_EXPOSABLE, exposable_iface_init))
/* clang-format on */

/* Fills @params (1 + n_args values, unset) with the callback and its
 * arguments, converted to the declared types of a typed callback */
static gboolean
collect_params (ComlinkCallback *self,
                const GValue    *args,
                guint            n_args,
                GValue          *params,
                GError         **error)
{
  g_value_init (&params[0], COMLINK_TYPE_CALLBACK);
  g_value_set_object (&params[0], self);

  for (guint i = 0; i < n_args; i++)
    {
      if (self->typed)
        {
          if (!_comlink_value_convert (&args[i], self->param_types[i], &params[i + 1], error))
            {
              /* Translators: this is put before another error message */
              g_prefix_error (error, _ ("Argument %u of the callback: "), i + 1);
              return FALSE;
            }
        }
      else if (G_IS_VALUE (&args[i]))
        {
          g_value_init (&params[i + 1], G_VALUE_TYPE (&args[i]));
          g_value_copy (&args[i], &params[i + 1]);
        }
      else
        g_value_init (&params[i + 1], G_TYPE_POINTER);
    }

  return TRUE;
}

static gboolean
run_closure (gpointer user_data)
{
  ComlinkInvocation *invocation = user_data;
  ComlinkCallback   *self = COMLINK_CALLBACK (comlink_invocation_get_target (invocation));
  g_autofree GValue *params = NULL;
  GValue             return_value = G_VALUE_INIT;
  const GValue      *args;
  GError            *error = NULL;
  guint              n_args;

  args = comlink_invocation_get_args (invocation, &n_args);
  params = g_new0 (GValue, n_args + 1);
  if (!collect_params (self, args, n_args, params, &error))
    {
      comlink_invocation_take_error (invocation, error);
      goto out;
    }

  if (self->return_type != G_TYPE_NONE)
    g_value_init (&return_value, self->return_type);

  {
    /* A closure may run a nested main loop that runs another call */
    ComlinkInvocation *outer = self->running;
    GError            *outer_error = self->error;
    char              *outer_class = self->error_class;
    char              *outer_stack = self->error_stack;

    self->running = invocation;
    self->error = NULL;
    self->error_class = NULL;
    self->error_stack = NULL;
    g_closure_invoke (self->closure,
                      G_IS_VALUE (&return_value) ? &return_value : NULL,
                      n_args + 1, params, NULL);
    if (self->error != NULL && (self->error_class != NULL || self->error_stack != NULL))
      {
        comlink_invocation_return_error_with_details (invocation, self->error, self->error_class,
                                                      self->error_stack);
        g_clear_error (&self->error);
      }
    else if (self->error != NULL)
      comlink_invocation_take_error (invocation, g_steal_pointer (&self->error));
    else
      comlink_invocation_return_value (invocation, G_IS_VALUE (&return_value) ? &return_value : NULL);
    g_free (self->error_class);
    g_free (self->error_stack);
    self->running = outer;
    self->error = outer_error;
    self->error_class = outer_class;
    self->error_stack = outer_stack;
  }

out:
  for (guint i = 0; i <= n_args; i++)
    if (G_IS_VALUE (&params[i]))
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
  guint            n_args;

  if (comlink_invocation_get_kind (invocation) != COMLINK_INVOCATION_CALL ||
      member[0] != '\0' || comlink_invocation_get_path (invocation)[0] != NULL)
    {
      comlink_invocation_return_error (invocation, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_METHOD,
                                       _ ("A callback can only be called itself, it has no member “%s”"),
                                       member);
      return;
    }

  comlink_invocation_get_args (invocation, &n_args);
  if (self->typed && n_args != self->n_params)
    {
      comlink_invocation_return_error (invocation, COMLINK_ERROR, COMLINK_ERROR_INVALID_ARGUMENTS,
                                       g_dngettext (GETTEXT_PACKAGE,
                                                    "The callback takes %u argument, not %u",
                                                    "The callback takes %u arguments, not %u",
                                                    self->n_params),
                                       self->n_params, n_args);
      return;
    }
  if (!self->typed && self->needs_types && n_args > 0)
    {
      comlink_invocation_return_error (invocation, COMLINK_ERROR, COMLINK_ERROR_INVALID_ARGUMENTS,
                                       _ ("The callback declares no parameter types and takes no arguments, not %u"),
                                       n_args);
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
  g_free (self->param_types);

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

static ComlinkCallback *
callback_new (GClosure    *closure,
              GType        return_type,
              gboolean     typed,
              guint        n_params,
              const GType *param_types)
{
  ComlinkCallback *self;

  self = g_object_new (COMLINK_TYPE_CALLBACK, NULL);
  self->closure = g_closure_ref (closure);
  g_closure_sink (closure);
  self->needs_types = closure->marshal == NULL;
  if (closure->marshal == NULL)
    g_closure_set_marshal (closure, g_cclosure_marshal_generic);
  self->context = g_main_context_ref_thread_default ();
  self->return_type = return_type & ~G_SIGNAL_TYPE_STATIC_SCOPE;
  self->typed = typed;
  self->n_params = n_params;
  self->param_types = g_new (GType, MAX (n_params, 1));
  for (guint i = 0; i < n_params; i++)
    self->param_types[i] = param_types[i] & ~G_SIGNAL_TYPE_STATIC_SCOPE;

  return self;
}

static gboolean
is_value_type (GType type)
{
  return G_TYPE_IS_VALUE (type & ~G_SIGNAL_TYPE_STATIC_SCOPE);
}

/**
 * comlink_callback_new_with_types:
 * @closure: the closure to run when the peer calls the callback
 * @return_type: the type of the value @closure returns, or %G_TYPE_NONE
 * @n_params: the number of parameters @closure takes after the callback
 * @param_types: (array length=n_params): the types of those parameters
 *
 * Creates a callback that the peer calls with @n_params arguments of
 * @param_types, and whose closure returns a value of @return_type, which
 * the peer receives as the result of its call.
 *
 * Each call is checked before @closure runs: another number of arguments
 * fails with %COMLINK_ERROR_INVALID_ARGUMENTS, and an argument that does
 * not convert to its declared type (with range checks, as for the
 * arguments of a method) fails with %COMLINK_ERROR_TYPE_MISMATCH. So
 * @closure always receives the callback and then values of exactly
 * @param_types, as a signal handler does. A C closure made with
 * g_cclosure_new() and no marshaller gets g_cclosure_marshal_generic().
 *
 * Returns: (transfer full): a new #ComlinkCallback
 *
 * Since: 0.1
 */
ComlinkCallback *
comlink_callback_new_with_types (GClosure    *closure,
                                 GType        return_type,
                                 guint        n_params,
                                 const GType *param_types)
{
  g_return_val_if_fail (closure != NULL, NULL);
  g_return_val_if_fail (return_type == G_TYPE_NONE || is_value_type (return_type), NULL);
  g_return_val_if_fail (n_params == 0 || param_types != NULL, NULL);
  for (guint i = 0; i < n_params; i++)
    g_return_val_if_fail (is_value_type (param_types[i]), NULL);

  return callback_new (closure, return_type, TRUE, n_params, param_types);
}

/**
 * comlink_callback_new_typed: (skip)
 * @closure: the closure to run when the peer calls the callback
 * @return_type: the type of the value @closure returns, or %G_TYPE_NONE
 * @n_params: the number of parameters @closure takes after the callback
 * @...: the #GType of each parameter
 *
 * The same as [ctor@Comlink.Callback.new_with_types], with the parameter
 * types given as arguments, as for g_signal_new():
 *
 * ```c
 * callback = comlink_callback_new_typed (g_cclosure_new (G_CALLBACK (on_progress), self, NULL),
 *                                        G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
 * ```
 *
 * Returns: (transfer full): a new #ComlinkCallback
 *
 * Since: 0.1
 */
ComlinkCallback *
comlink_callback_new_typed (GClosure *closure,
                            GType     return_type,
                            guint     n_params,
                            ...)
{
  g_autofree GType *param_types = g_new (GType, MAX (n_params, 1));
  va_list           args;

  va_start (args, n_params);
  for (guint i = 0; i < n_params; i++)
    param_types[i] = va_arg (args, GType);
  va_end (args);

  return comlink_callback_new_with_types (closure, return_type, n_params, param_types);
}

/**
 * comlink_callback_new_with_return_type:
 * @closure: the closure to run when the peer calls the callback
 * @return_type: the type of the value @closure returns, or %G_TYPE_NONE
 *
 * Creates a callback that declares no parameter types, whose closure
 * returns a value of @return_type, which the peer receives as the result
 * of its call.
 *
 * @closure receives the arguments with the types they arrived with, so
 * it must check them itself, as the closures of PyGObject and GJS do. A C
 * closure with no marshaller of its own (one made with g_cclosure_new())
 * cannot: the callback then takes calls with no arguments only and
 * refuses the others with %COMLINK_ERROR_INVALID_ARGUMENTS. Declare the
 * parameter types of such a closure with
 * [ctor@Comlink.Callback.new_with_types].
 *
 * Returns: (transfer full): a new #ComlinkCallback
 *
 * Since: 0.1
 */
ComlinkCallback *
comlink_callback_new_with_return_type (GClosure *closure,
                                       GType     return_type)
{
  g_return_val_if_fail (closure != NULL, NULL);
  g_return_val_if_fail (return_type == G_TYPE_NONE || is_value_type (return_type), NULL);

  return callback_new (closure, return_type, FALSE, 0, NULL);
}

/**
 * comlink_callback_new:
 * @closure: the closure to run when the peer calls the callback
 *
 * Creates a callback that returns nothing and declares no parameter
 * types; see [ctor@Comlink.Callback.new_with_return_type] for what that
 * means, and [ctor@Comlink.Callback.new_with_types] for a callback that
 * declares them.
 *
 * Returns: (transfer full): a new #ComlinkCallback
 *
 * Since: 0.1
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
 * Since: 0.1
 */
void
comlink_callback_return_error (ComlinkCallback *self,
                               const GError    *reason)
{
  g_return_if_fail (COMLINK_IS_CALLBACK (self));
  g_return_if_fail (reason != NULL);
  g_return_if_fail (self->running != NULL);

  g_clear_error (&self->error);
  g_clear_pointer (&self->error_class, g_free);
  g_clear_pointer (&self->error_stack, g_free);
  self->error = g_error_copy (reason);
}

/**
 * comlink_callback_return_error_with_details:
 * @self: a #ComlinkCallback
 * @reason: what went wrong
 * @class_name: (nullable): the class of the exception that stands for
 *   @reason in the closure's language (`"TypeError"`, `"KeyError"`)
 * @stack: (nullable): where it was raised: a JavaScript stack or a
 *   Python traceback, as text
 *
 * As [method@Comlink.Callback.return_error], with the exception's class
 * and stack beside the error, as
 * [method@Comlink.Invocation.return_error_with_details] sends them: the
 * caller reads them with [method@Comlink.Proxy.get_error_details]. This is
 * how the bindings report an exception raised in a callback.
 *
 * Since: 0.1
 */
void
comlink_callback_return_error_with_details (ComlinkCallback *self,
                                            const GError    *reason,
                                            const char      *class_name,
                                            const char      *stack)
{
  g_return_if_fail (COMLINK_IS_CALLBACK (self));
  g_return_if_fail (reason != NULL);
  g_return_if_fail (self->running != NULL);

  comlink_callback_return_error (self, reason);
  self->error_class = g_strdup (class_name);
  self->error_stack = g_strdup (stack);
}
