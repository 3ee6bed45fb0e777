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
 * A handler that must block (a computation, a synchronous library call)
 * can run it in a thread of its own with
 * [method@Comlink.Invocation.run_in_thread], so that the thread serving the
 * connection stays free.
 *
 * Lifetime: an invocation holds its connection and its target; the
 * connection holds the invocation until it is answered or the connection
 * closes. Answers after the connection closed are dropped. When both ends
 * of the connection are in one process (a [class@Comlink.Channel], a
 * thread worker), the channel also knows the invocation by its call id
 * until it is answered or finalized, so that the calling side can cancel
 * it from its own thread; that side holds a reference to the cancellable,
 * never to the invocation, while it cancels.
 *
 * A method that answers later, through the invocation that its action signal receives last:
 *
 * |[<!-- language="C" -->
 * static void
 * on_slow_add (GObject *self, gint a, gint b, ComlinkInvocation *invocation)
 * {
 *   GValue sum = G_VALUE_INIT;
 *
 *   // Here at once; the invocation may as well be kept and answered later
 *   g_value_init (&sum, G_TYPE_INT);
 *   g_value_set_int (&sum, a + b);
 *   comlink_invocation_return_value (invocation, &sum);
 *   g_value_unset (&sum);
 * }
 *
 * // In class_init
 * g_signal_new_class_handler ("slow-add", G_TYPE_FROM_CLASS (klass),
 *                             G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
 *                             G_CALLBACK (on_slow_add), NULL, NULL, NULL,
 *                             G_TYPE_NONE, 3, G_TYPE_INT, G_TYPE_INT, COMLINK_TYPE_INVOCATION);
 * ]|
 *
* See also: [Cancellation and timeouts](cancellation.html), [Calls from
 * C](c-calls.html).
 *
 * Since: 0.1
 */

#include "config.h"

#include "comlink-channel-private.h"
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
  gint                  in_channel; /* known to the channel by its id */
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

static void leave_channel (ComlinkInvocation *self);

static void
comlink_invocation_finalize (GObject *object)
{
  ComlinkInvocation *self = COMLINK_INVOCATION (object);

  /* First: the calling side may be reading the cancellable */
  leave_channel (self);

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

/* --- In-process cancellation --- */

/* With the channel's records locked, in the calling side's thread: the
 * invocation is alive (it leaves the records before it is freed), and so
 * is its cancellable, which is cancelled once the records are unlocked. */
static GCancellable *
claim_cancel (gpointer item)
{
  ComlinkInvocation *self = item;
  GCancellable      *cancellable;

  g_atomic_int_set (&self->cancelled, 1);
  cancellable = g_atomic_pointer_get (&self->cancellable);

  return cancellable != NULL ? g_object_ref (cancellable) : NULL;
}

/* Called by the connection before it dispatches the invocation: when the
 * peer is in this process, it can cancel the invocation at once, from its
 * own thread, even while this one is blocked in the handler. */
void
_comlink_invocation_join_channel (ComlinkInvocation *self)
{
  ComlinkEndpoint *endpoint = comlink_connection_get_endpoint (self->connection);

  if (!_comlink_channel_is_port (endpoint))
    return;

  g_atomic_int_set (&self->in_channel, 1);
  if (_comlink_channel_add_served (endpoint, self->id, self))
    invocation_cancel (self);
}

/* Once answered, or when finalized; any thread */
static void
leave_channel (ComlinkInvocation *self)
{
  if (g_atomic_int_compare_and_exchange (&self->in_channel, 1, 0))
    _comlink_channel_remove_served (comlink_connection_get_endpoint (self->connection),
                                    self->id, self);
}

/* The calling side of @endpoint cancelled call @id (or it timed out):
 * when the peer serves it in this process, its cancellable fires now, in
 * this thread. The CANCEL message goes as well. */
void
_comlink_invocation_cancel_peer_request (ComlinkEndpoint *endpoint,
                                         guint64          id)
{
  if (_comlink_channel_is_port (endpoint))
    _comlink_channel_cancel_peer_request (endpoint, id, claim_cancel);
}

/* The calling side of @endpoint closed: every request that the peer serves
 * for it in this process is cancelled now, in this thread. */
void
_comlink_invocation_cancel_peer_requests (ComlinkEndpoint *endpoint)
{
  if (_comlink_channel_is_port (endpoint))
    _comlink_channel_cancel_peer_requests (endpoint, claim_cancel);
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
 * Gets the kind of the request: a call, a read, a write or a construction.
 *
 * Returns: what @self asks for
 *
 * Since: 0.1
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
 * Since: 0.1
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
 * Gets the name of the method or property that the request names.
 *
 * Returns: the name of the method or property; empty when the target
 *   itself is called (a callback)
 *
 * Since: 0.1
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
 * Gets the local object that the request addresses.
 *
 * Returns: (transfer none): the local object that the request addresses
 *
 * Since: 0.1
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
 * Since: 0.1
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
 * Gets the number of arguments of the request.
 *
 * Returns: the number of arguments
 *
 * Since: 0.1
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
 * Gets an argument of the request.
 *
 * Returns: (transfer none): the argument at @index; an unset #GValue
 *   stands for no value (void, JavaScript's `undefined`), a #GValue
 *   holding a %NULL %G_TYPE_POINTER for a null (a %NULL #GVariant, boxed
 *   or pointer, JavaScript's `null`, Python's `None`)
 *
 * Since: 0.1
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
 * comlink_invocation_dup_arg_variant:
 * @self: a #ComlinkInvocation
 * @index: the index of an argument
 *
 * The argument at @index as a #GVariant when it is a 64-bit integer: `x`
 * for a `gint64` or a `glong`, `t` for a `guint64` or a `gulong`. This is
 * for bindings whose numbers are doubles (GJS), which cannot read every
 * such value from a #GValue without rounding it. Any other argument gives
 * %NULL: read it with [method@Comlink.Invocation.get_arg].
 *
 * Returns: (transfer full) (nullable): the argument as a #GVariant, or
 *   %NULL
 *
 * Since: 0.1
 */
GVariant *
comlink_invocation_dup_arg_variant (ComlinkInvocation *self,
                                    guint              index)
{
  const GValue *value;

  g_return_val_if_fail (COMLINK_IS_INVOCATION (self), NULL);
  g_return_val_if_fail (index < self->n_args, NULL);

  value = &self->args[index];
  switch (G_VALUE_TYPE (value))
    {
    case G_TYPE_INT64: return g_variant_ref_sink (g_variant_new_int64 (g_value_get_int64 (value)));
    case G_TYPE_LONG: return g_variant_ref_sink (g_variant_new_int64 (g_value_get_long (value)));
    case G_TYPE_UINT64: return g_variant_ref_sink (g_variant_new_uint64 (g_value_get_uint64 (value)));
    case G_TYPE_ULONG: return g_variant_ref_sink (g_variant_new_uint64 (g_value_get_ulong (value)));
    default: return NULL;
    }
}

/**
 * comlink_invocation_get_arg_type:
 * @self: a #ComlinkInvocation
 * @index: the index of an argument
 *
 * The type of the argument at @index, without touching its value:
 * %G_TYPE_INVALID for no value (void, JavaScript's `undefined`), which
 * [method@Comlink.Invocation.get_arg] returns as an unset #GValue, and
 * %G_TYPE_POINTER for a null. Bindings that cannot take an unset #GValue
 * ask for the type first.
 *
 * Returns: the #GType of the argument at @index, or %G_TYPE_INVALID
 *
 * Since: 0.1
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
 * Since: 0.1
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
 * Gets the cancellable of the request.
 *
 * Returns: (transfer none): a #GCancellable that is cancelled when the
 *   caller cancels the call or the connection closes
 *
 * Since: 0.1
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
 * Gets the connection that the request came over.
 *
 * Returns: (transfer none): the connection the request came over
 *
 * Since: 0.1
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
    {
      leave_channel (self);
      return TRUE;
    }

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
 * Since: 0.1
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
 * Since: 0.1
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
 * Since: 0.1
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
 * Since: 0.1
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
 * Since: 0.1
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

/* --- Blocking work in a thread --- */

/* A function of run_in_thread() runs in a thread of a pool that grows as
 * needed, so that blocking work never waits for other blocking work.
 * The job holds the invocation (which holds its connection, and so the
 * connection's context) until the function returned; then it goes back
 * to that context, where the invocation and the user data are dropped, in
 * the thread that serves the connection. The number of jobs of each
 * context is counted, so that a thread worker waits for its jobs before
 * its thread ends (_comlink_invocation_wait_for_threads()). */

typedef struct
{
  ComlinkInvocation          *invocation;
  ComlinkInvocationThreadFunc func;
  gpointer                    user_data;
  GDestroyNotify              notify;
  GMainContext               *context; /* not owned: the connection holds it */
} ThreadJob;

G_LOCK_DEFINE_STATIC (thread_jobs);
static GHashTable *thread_jobs; /* GMainContext -> number of jobs */

static void
thread_jobs_add (GMainContext *context,
                 gint          delta)
{
  guint n;

  G_LOCK (thread_jobs);
  if (thread_jobs == NULL)
    thread_jobs = g_hash_table_new (NULL, NULL);
  n = GPOINTER_TO_UINT (g_hash_table_lookup (thread_jobs, context)) + delta;
  if (n > 0)
    g_hash_table_insert (thread_jobs, context, GUINT_TO_POINTER (n));
  else
    g_hash_table_remove (thread_jobs, context);
  G_UNLOCK (thread_jobs);
}

static gboolean
thread_jobs_pending (GMainContext *context)
{
  gboolean ret;

  G_LOCK (thread_jobs);
  ret = thread_jobs != NULL && g_hash_table_contains (thread_jobs, context);
  G_UNLOCK (thread_jobs);

  return ret;
}

/* In the connection's context, or wherever the context is finalized if
 * nothing runs it any more */
static void
thread_job_free (gpointer data)
{
  ThreadJob    *job = data;
  GMainContext *context = job->context;

  if (job->notify != NULL)
    job->notify (job->user_data);
  g_object_unref (job->invocation);
  g_free (job);

  thread_jobs_add (context, -1);
}

static gboolean
thread_job_done (gpointer data)
{
  return G_SOURCE_REMOVE;
}

static void
thread_job_run (gpointer data,
                gpointer pool_data)
{
  ThreadJob *job = data;
  GSource   *source;

  job->func (job->invocation, comlink_invocation_get_cancellable (job->invocation), job->user_data);

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (source, "[comlink] invocation thread done");
  g_source_set_callback (source, thread_job_done, job, thread_job_free);
  g_source_attach (source, job->context);
  g_source_unref (source);
}

static GThreadPool *
thread_pool_get (void)
{
  static GThreadPool *pool;

  if (g_once_init_enter (&pool))
    g_once_init_leave (&pool, g_thread_pool_new (thread_job_run, NULL, -1, FALSE, NULL));

  return pool;
}

/* Runs @context until the functions of run_in_thread() that answer
 * invocations of connections in it have returned and their data is
 * dropped: a thread worker calls it before its thread ends. */
void
_comlink_invocation_wait_for_threads (GMainContext *context)
{
  while (thread_jobs_pending (context))
    g_main_context_iteration (context, TRUE);
}

/**
 * comlink_invocation_run_in_thread:
 * @self: a #ComlinkInvocation
 * @func: (scope notified) (closure user_data) (destroy notify): the function
 *   that serves @self
 * @user_data: data for @func
 * @notify: (nullable): frees @user_data
 *
 * Runs @func in a thread of its own, as g_task_run_in_thread() does for a
 * #GTask, so that a handler can do blocking work without blocking the
 * thread that serves the connection: that thread goes on serving other
 * requests, and the messages that cancel @self. @func receives the
 * cancellable of @self, which fires when the caller cancels the call, when
 * the call times out or when the connection closes, and answers @self from
 * its thread.
 *
 * @self is held until @func returns. Then @self and @user_data (with
 * @notify) are dropped in the main context of the connection, the
 * thread-default main context of the thread that serves it.
 *
 * To report progress, take a callback from the caller as an argument (a
 * [class@Comlink.Callback] on the caller's side, a #ComlinkProxy here) and
 * call it from @func with [method@Comlink.Proxy.call_async]; calls may be
 * made from any thread and arrive in the order they were made. Pass no
 * callback to such a call unless the thread runs a main context: its
 * result would be dispatched in the thread-default main context of the
 * calling thread.
 *
 * A thread cannot be killed. A thread worker that is terminated (or whose
 * connection closes) while @func runs has its cancellable cancelled at
 * once; the caller does not wait, but the worker's thread ends only after
 * @func returned, and a function that never returns keeps it alive.
 *
 * JavaScript (GJS) runs on one thread only and cannot use this function.
 *
 * Since: 0.1
 */
void
comlink_invocation_run_in_thread (ComlinkInvocation          *self,
                                  ComlinkInvocationThreadFunc func,
                                  gpointer                    user_data,
                                  GDestroyNotify              notify)
{
  g_autoptr(GError) error = NULL;
  ThreadJob *job;

  g_return_if_fail (COMLINK_IS_INVOCATION (self));
  g_return_if_fail (func != NULL);

  job = g_new0 (ThreadJob, 1);
  job->invocation = g_object_ref (self);
  job->func = func;
  job->user_data = user_data;
  job->notify = notify;
  job->context = comlink_connection_get_context (self->connection);
  thread_jobs_add (job->context, 1);

  if (!g_thread_pool_push (thread_pool_get (), job, &error))
    {
      comlink_invocation_return_gerror (self, error);
      thread_job_free (job);
    }
}
