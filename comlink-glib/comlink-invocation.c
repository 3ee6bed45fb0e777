/* SPDX-License-Identifier: LGPL-2.1-or-later */

/**
 * ComlinkInvocation:
 *
 * One request from the peer being served: a method call, a property read
 * or a property write, with its arguments and a #GCancellable that fires
 * when the caller cancels or the connection closes.
 *
 * The request is answered once, with [method@Comlink.Invocation.return_value]
 * or [method@Comlink.Invocation.return_gerror], from any thread, now or
 * later. An invocation that is finalized without an answer answers
 * %COMLINK_ERROR_NO_REPLY, so that the caller never waits forever.
 *
 * Lifetime: an invocation holds its connection and its target; the
 * connection holds the invocation until it is answered or the connection
 * closes. Answers after the connection closed are dropped.
 *
 * Since: 1.0
 */

#include "config.h"

#include "comlink-connection-private.h"
#include "comlink-error.h"
#include "comlink-invocation-private.h"
#include "comlink-private.h"

struct _ComlinkInvocation
{
  GObject parent_instance;

  ComlinkConnection    *connection;
  GObject              *target;
  GCancellable         *cancellable; /* made on first use */
  gint                  cancelled;
  char                **path;
  char                 *member;
  char                **names;
  GValue               *args;
  guint64               id;
  guint                 n_args;
  guint                 path_offset;
  ComlinkInvocationKind kind;
  gint                  answered;
};

G_DEFINE_FINAL_TYPE (ComlinkInvocation, comlink_invocation, G_TYPE_OBJECT)

/* The connection's table does not own the invocation, so a handler that
 * drops it unanswered ends up here; dispose may run twice if the
 * connection took a reference while it ran. */
static void
comlink_invocation_dispose (GObject *object)
{
  ComlinkInvocation *self = COMLINK_INVOCATION (object);

  if (g_atomic_int_compare_and_exchange (&self->answered, 0, 1))
    {
      g_autoptr(GError) error =
                   g_error_new (COMLINK_ERROR, COMLINK_ERROR_NO_REPLY,
                                _ ("The handler of “%s” returned no value and no error"),
                                self->member);
      _comlink_connection_return (self->connection, self, NULL, error);
    }

  G_OBJECT_CLASS (comlink_invocation_parent_class)->dispose (object);
}

static void
comlink_invocation_finalize (GObject *object)
{
  ComlinkInvocation *self = COMLINK_INVOCATION (object);

  for (guint i = 0; i < self->n_args; i++)
    if (G_IS_VALUE (&self->args[i]))
      g_value_unset (&self->args[i]);
  g_free (self->args);
  g_strfreev (self->path);
  g_strfreev (self->names);
  g_free (self->member);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->target);
  _comlink_connection_unref_in_context (self->connection);

  G_OBJECT_CLASS (comlink_invocation_parent_class)->finalize (object);
}

static void
comlink_invocation_class_init (ComlinkInvocationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  _comlink_init_i18n ();

  object_class->dispose = comlink_invocation_dispose;
  object_class->finalize = comlink_invocation_finalize;
}

static void
comlink_invocation_init (ComlinkInvocation *self)
{
}

/* Takes @path, @member and @args */
ComlinkInvocation *
_comlink_invocation_new (ComlinkConnection    *connection,
                         guint64               id,
                         ComlinkInvocationKind kind,
                         GObject              *target,
                         char                **path,
                         char                 *member,
                         GValue               *args,
                         guint                 n_args)
{
  ComlinkInvocation *self = g_object_new (COMLINK_TYPE_INVOCATION, NULL);

  self->connection = g_object_ref (connection);
  self->id = id;
  self->kind = kind;
  self->target = g_object_ref (target);
  self->path = path;
  self->member = member;
  self->args = args;
  self->n_args = n_args;

  return self;
}

/* Takes @names */
void
_comlink_invocation_set_names (ComlinkInvocation *self,
                               char             **names)
{
  g_strfreev (self->names);
  self->names = names;
}

const guint64 *
_comlink_invocation_get_id_ptr (ComlinkInvocation *self)
{
  return &self->id;
}

/* Most requests never look at their cancellable: it is made on first use,
 * already cancelled if the request was. Any thread. */
static void
invocation_cancel (ComlinkInvocation *self)
{
  GCancellable *cancellable;

  g_atomic_int_set (&self->cancelled, 1);
  cancellable = g_atomic_pointer_get (&self->cancellable);
  if (cancellable != NULL)
    g_cancellable_cancel (cancellable);
}

/* The caller cancelled: the handler learns it through the cancellable and
 * still answers (the caller drops that answer). */
void
_comlink_invocation_cancel (ComlinkInvocation *self)
{
  invocation_cancel (self);
}

/* The connection closed: nobody will read an answer any more. */
void
_comlink_invocation_abandon (ComlinkInvocation *self)
{
  g_atomic_int_set (&self->answered, 1);
  invocation_cancel (self);
}

/* Moves the invocation one step down its path, to @target */
void
_comlink_invocation_navigate (ComlinkInvocation *self,
                              GObject           *target)
{
  g_assert (self->path[self->path_offset] != NULL);

  g_set_object (&self->target, target);
  self->path_offset++;
}

/**
 * comlink_invocation_get_kind:
 * @self: a #ComlinkInvocation
 *
 * Returns: what @self asks for
 *
 * Since: 1.0
 */
ComlinkInvocationKind
comlink_invocation_get_kind (ComlinkInvocation *self)
{
  g_return_val_if_fail (COMLINK_IS_INVOCATION (self), COMLINK_INVOCATION_CALL);

  return self->kind;
}

/**
 * comlink_invocation_get_path:
 * @self: a #ComlinkInvocation
 *
 * The path from the target to the object that the member belongs to: for
 * `api.a.b.method()` it is `["a", "b"]` while the target is the object
 * `api` stands for. Empty when the member belongs to the target.
 *
 * Returns: (transfer none) (array zero-terminated=1): the path
 *
 * Since: 1.0
 */
const char * const *
comlink_invocation_get_path (ComlinkInvocation *self)
{
  g_return_val_if_fail (COMLINK_IS_INVOCATION (self), NULL);

  return (const char * const *) self->path + self->path_offset;
}

/**
 * comlink_invocation_get_member:
 * @self: a #ComlinkInvocation
 *
 * Returns: the name of the method or property; empty when the target
 *   itself is called (a callback)
 *
 * Since: 1.0
 */
const char *
comlink_invocation_get_member (ComlinkInvocation *self)
{
  g_return_val_if_fail (COMLINK_IS_INVOCATION (self), NULL);

  return self->member;
}

/**
 * comlink_invocation_get_target:
 * @self: a #ComlinkInvocation
 *
 * Returns: (transfer none): the local object that the request addresses
 *
 * Since: 1.0
 */
GObject *
comlink_invocation_get_target (ComlinkInvocation *self)
{
  g_return_val_if_fail (COMLINK_IS_INVOCATION (self), NULL);

  return self->target;
}

/**
 * comlink_invocation_get_args:
 * @self: a #ComlinkInvocation
 * @n_args: (out) (optional): the number of arguments
 *
 * The arguments as they arrived: numbers and strings in their natural
 * types, received objects as #ComlinkProxy, references back to local
 * objects as those objects. For a property write, the one argument is the
 * value.
 *
 * Returns: (transfer none) (array length=n_args): the arguments
 *
 * Since: 1.0
 */
const GValue *
comlink_invocation_get_args (ComlinkInvocation *self,
                             guint             *n_args)
{
  g_return_val_if_fail (COMLINK_IS_INVOCATION (self), NULL);

  if (n_args != NULL)
    *n_args = self->n_args;

  return self->args;
}

/**
 * comlink_invocation_get_n_args:
 * @self: a #ComlinkInvocation
 *
 * Returns: the number of arguments
 *
 * Since: 1.0
 */
guint
comlink_invocation_get_n_args (ComlinkInvocation *self)
{
  g_return_val_if_fail (COMLINK_IS_INVOCATION (self), 0);

  return self->n_args;
}

/**
 * comlink_invocation_get_arg:
 * @self: a #ComlinkInvocation
 * @index: the index of an argument
 *
 * Returns: (transfer none): the argument at @index; an unset #GValue
 *   stands for a void or %NULL value
 *
 * Since: 1.0
 */
const GValue *
comlink_invocation_get_arg (ComlinkInvocation *self,
                            guint              index)
{
  g_return_val_if_fail (COMLINK_IS_INVOCATION (self), NULL);
  g_return_val_if_fail (index < self->n_args, NULL);

  return &self->args[index];
}

/**
 * comlink_invocation_get_arg_type:
 * @self: a #ComlinkInvocation
 * @index: the index of an argument
 *
 * The type of the argument at @index, without touching its value:
 * %G_TYPE_INVALID for a void or %NULL value, which
 * [method@Comlink.Invocation.get_arg] returns as an unset #GValue. Bindings
 * that cannot take an unset #GValue ask for the type first.
 *
 * Returns: the #GType of the argument at @index, or %G_TYPE_INVALID
 *
 * Since: 1.0
 */
GType
comlink_invocation_get_arg_type (ComlinkInvocation *self,
                                 guint              index)
{
  g_return_val_if_fail (COMLINK_IS_INVOCATION (self), G_TYPE_INVALID);
  g_return_val_if_fail (index < self->n_args, G_TYPE_INVALID);

  return G_VALUE_TYPE (&self->args[index]);
}

/**
 * comlink_invocation_get_names:
 * @self: a #ComlinkInvocation
 *
 * For a construction, the names of the properties whose values the
 * arguments are; empty when the arguments are positional.
 *
 * Returns: (transfer none) (array zero-terminated=1): the names
 *
 * Since: 1.0
 */
const char * const *
comlink_invocation_get_names (ComlinkInvocation *self)
{
  static const char *none[] = { NULL };

  g_return_val_if_fail (COMLINK_IS_INVOCATION (self), none);

  return self->names ? (const char * const *) self->names : none;
}

/**
 * comlink_invocation_get_cancellable:
 * @self: a #ComlinkInvocation
 *
 * Returns: (transfer none): a #GCancellable that is cancelled when the
 *   caller cancels the call or the connection closes
 *
 * Since: 1.0
 */
GCancellable *
comlink_invocation_get_cancellable (ComlinkInvocation *self)
{
  GCancellable *cancellable;

  g_return_val_if_fail (COMLINK_IS_INVOCATION (self), NULL);

  cancellable = g_atomic_pointer_get (&self->cancellable);
  if (cancellable != NULL)
    return cancellable;

  cancellable = g_cancellable_new ();
  if (!g_atomic_pointer_compare_and_exchange (&self->cancellable, NULL, cancellable))
    {
      g_object_unref (cancellable);
      return g_atomic_pointer_get (&self->cancellable);
    }
  if (g_atomic_int_get (&self->cancelled))
    g_cancellable_cancel (cancellable);

  return cancellable;
}

/**
 * comlink_invocation_get_connection:
 * @self: a #ComlinkInvocation
 *
 * Returns: (transfer none): the connection the request came over
 *
 * Since: 1.0
 */
ComlinkConnection *
comlink_invocation_get_connection (ComlinkInvocation *self)
{
  g_return_val_if_fail (COMLINK_IS_INVOCATION (self), NULL);

  return self->connection;
}

static gboolean
claim_answer (ComlinkInvocation *self)
{
  if (g_atomic_int_compare_and_exchange (&self->answered, 0, 1))
    return TRUE;

  /* After an abandon, answering is expected and harmless */
  if (!comlink_connection_is_closed (self->connection))
    g_critical ("The invocation of “%s” was answered twice", self->member);

  return FALSE;
}

/**
 * comlink_invocation_return_value:
 * @self: a #ComlinkInvocation
 * @value: (nullable): the result, or %NULL for none
 *
 * Answers the request with @value. Objects travel by reference. A value
 * that cannot travel answers %COMLINK_ERROR_NOT_TRANSFERABLE instead.
 * May be called from any thread.
 *
 * Since: 1.0
 */
void
comlink_invocation_return_value (ComlinkInvocation *self,
                                 const GValue      *value)
{
  g_return_if_fail (COMLINK_IS_INVOCATION (self));

  if (claim_answer (self))
    _comlink_connection_return (self->connection, self, value, NULL);
}

/**
 * comlink_invocation_return_gerror:
 * @self: a #ComlinkInvocation
 * @error: the error
 *
 * Answers the request with @error; the caller receives the same domain,
 * code and message. May be called from any thread.
 *
 * Since: 1.0
 */
void
comlink_invocation_return_gerror (ComlinkInvocation *self,
                                  const GError      *error)
{
  g_return_if_fail (COMLINK_IS_INVOCATION (self));
  g_return_if_fail (error != NULL);

  if (claim_answer (self))
    _comlink_connection_return (self->connection, self, NULL, error);
}

/**
 * comlink_invocation_return_error_with_details:
 * @self: a #ComlinkInvocation
 * @error: the error
 * @class_name: (nullable): the name of the class of the exception that
 *   @error stands for, such as `TypeError`, or %NULL
 * @stack: (nullable): the stack of that exception as text (a JavaScript
 *   `stack`, a Python traceback), or %NULL
 *
 * Answers the request with @error, as
 * [method@Comlink.Invocation.return_gerror] does, and tells the caller
 * where it was raised: the caller reads @class_name and @stack with
 * [method@Comlink.Proxy.get_error_details]. This is how the GJS and
 * Python bindings send the stack of an exception that an exposed method
 * raised.
 *
 * Both are optional and bounded: a @class_name longer than 256 bytes, and
 * either one that is empty or not valid UTF-8, is not sent; a @stack
 * longer than 64 KiB is cut to its first 64 KiB, at a character boundary.
 * May be called from any thread.
 *
 * Since: 1.0
 */
void
comlink_invocation_return_error_with_details (ComlinkInvocation *self,
                                              const GError      *error,
                                              const char        *class_name,
                                              const char        *stack)
{
  g_return_if_fail (COMLINK_IS_INVOCATION (self));
  g_return_if_fail (error != NULL);

  if (claim_answer (self))
    _comlink_connection_return_error_full (self->connection, self, error, class_name, stack);
}

/**
 * comlink_invocation_take_error: (skip)
 * @self: a #ComlinkInvocation
 * @error: (transfer full): the error
 *
 * Like [method@Comlink.Invocation.return_gerror], and frees @error.
 *
 * Since: 1.0
 */
void
comlink_invocation_take_error (ComlinkInvocation *self,
                               GError            *error)
{
  g_return_if_fail (COMLINK_IS_INVOCATION (self));
  g_return_if_fail (error != NULL);

  comlink_invocation_return_gerror (self, error);
  g_error_free (error);
}

/**
 * comlink_invocation_return_error: (skip)
 * @self: a #ComlinkInvocation
 * @domain: the error domain
 * @code: the error code
 * @format: printf()-style format of the message
 * @...: the parameters of @format
 *
 * Answers the request with a new error.
 *
 * Since: 1.0
 */
void
comlink_invocation_return_error (ComlinkInvocation *self,
                                 GQuark             domain,
                                 gint               code,
                                 const char        *format,
                                 ...)
{
  g_autoptr(GError) error = NULL;
  va_list args;

  g_return_if_fail (COMLINK_IS_INVOCATION (self));
  g_return_if_fail (format != NULL);

  va_start (args, format);
  error = g_error_new_valist (domain, code, format, args);
  va_end (args);

  comlink_invocation_return_gerror (self, error);
}
