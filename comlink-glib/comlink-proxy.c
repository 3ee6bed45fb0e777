/* SPDX-License-Identifier: LGPL-2.1-or-later */

/**
 * ComlinkProxy:
 *
 * A local stand-in for a remote object, or for a path on one.
 *
 * Every remote operation is an `_async`/`_finish` pair with a `_sync`
 * form: [method@Comlink.Proxy.call_async] calls a method (an action signal
 * of the remote object, or what its [iface@Comlink.Exposable]
 * implementation answers), [method@Comlink.Proxy.get_async] and
 * [method@Comlink.Proxy.set_async] read and write properties, and
 * [method@Comlink.Proxy.get_child] navigates to an object-valued property
 * without a round trip (`proxy.a.b` in Comlink).
 *
 * C has shorter call forms: `comlink_proxy_call_with_args_async()` takes
 * the arguments as `GType`, value pairs and stores the result where the
 * caller says, [method@Comlink.Proxy.call_variant_async] takes and returns
 * #GVariant tuples as g_dbus_proxy_call() does, and
 * [method@Comlink.Proxy.call_finish_value] tells a method that returns
 * nothing from a failure; [Calls from C](c-calls.html) has them all.
 *
 * Results arrive in the thread-default main context of the thread that
 * made the call, as with every GIO call; calls may be made from any thread.
 *
 * Lifetime: a proxy holds a reference to its connection and, for a path
 * proxy, to the proxy of the object it navigates from; the connection
 * holds only a weak reference to the proxy. When the connection closes
 * (the worker is terminated or dies), every proxy turns defunct: it drops
 * what it holds and every later call on it fails at once with the reason.
 * A proxy of a remote object that is released by hand or finalized tells
 * the peer, which drops its reference to the object.
 *
 * Calls, a property and a path, on the root proxy of a worker:
 *
 * |[<!-- language="C" -->
 * ComlinkProxy *proxy = comlink_worker_get_proxy (worker);
 * g_autoptr(ComlinkProxy) settings = comlink_proxy_get_child (proxy, "settings");
 * g_autoptr(GError) error = NULL;
 * GValue *label;
 * gint sum;
 *
 * // proxy.add (2, 3)
 * if (comlink_proxy_call_with_args_sync (proxy, "add", NULL, &error,
 *                                        G_TYPE_INT, 2, G_TYPE_INT, 3, G_TYPE_INVALID,
 *                                        G_TYPE_INT, &sum))
 *   g_print ("2 + 3 = %d\n", sum);
 * else
 *   g_clear_error (&error);
 *
 * // proxy.settings.label
 * label = comlink_proxy_get_sync (settings, "label", NULL, &error);
 * if (label != NULL)
 *   {
 *     g_print ("%s\n", g_value_get_string (label));
 *     g_boxed_free (G_TYPE_VALUE, label);
 *   }
 * ]|
 *
* See also: [Calls from C](c-calls.html), [Cancellation and
 * timeouts](cancellation.html), [Remote signals](signals.html),
 * [Constructing remote objects](construct.html).
 *
 * Since: 0.1
 */

#include "config.h"

#include <string.h>

#include <gobject/gvaluecollector.h>

#include "comlink-call-result-private.h"
#include "comlink-container-private.h"
#include "comlink-error.h"
#include "comlink-private.h"
#include "comlink-proxy-private.h"
#include "comlink-value-convert-private.h"

struct _ComlinkProxy
{
  GObject parent_instance;

  GMutex             mutex;
  ComlinkConnection *connection; /* NULL once defunct or released */
  ComlinkProxy      *parent;     /* the object proxy a path proxy navigates from */
  GError            *defunct_error;
  guint64            object_id;
  char             **path;
  /* The wire path of the last member used, reused while it repeats */
  char              *cached_member;
  GVariant          *cached_path;
  gint               timeout_msec;  /* -1: the connection's */
  GArray            *subscriptions; /* ids of its subscriptions */
  GVariant          *description;   /* what the peer's DESCRIBE answered */
  ComlinkProxyRecord record;
};

G_DEFINE_FINAL_TYPE (ComlinkProxy, comlink_proxy, G_TYPE_OBJECT)

static const char *empty_path[] = { NULL };

/* Ends the subscriptions of @self; called as it leaves service */
static void
proxy_unsubscribe_all (ComlinkProxy      *self,
                       ComlinkConnection *connection)
{
  g_autoptr(GArray) ids = NULL;

  g_mutex_lock (&self->mutex);
  ids = g_steal_pointer (&self->subscriptions);
  g_mutex_unlock (&self->mutex);

  for (guint i = 0; ids != NULL && i < ids->len; i++)
    _comlink_connection_unsubscribe (connection, g_array_index (ids, guint64, i));
}

static void
comlink_proxy_dispose (GObject *object)
{
  ComlinkProxy      *self = COMLINK_PROXY (object);
  ComlinkConnection *connection;
  ComlinkProxy      *parent;

  g_mutex_lock (&self->mutex);
  connection = g_steal_pointer (&self->connection);
  parent = g_steal_pointer (&self->parent);
  g_mutex_unlock (&self->mutex);

  if (connection != NULL)
    {
      proxy_unsubscribe_all (self, connection);
      _comlink_connection_unregister_proxy (connection, &self->record, NULL);
      _comlink_connection_unref_in_context (connection);
    }
  g_clear_object (&parent);

  G_OBJECT_CLASS (comlink_proxy_parent_class)->dispose (object);
}

static void
comlink_proxy_finalize (GObject *object)
{
  ComlinkProxy *self = COMLINK_PROXY (object);

  g_weak_ref_clear (&self->record.proxy);
  g_free (self->cached_member);
  g_clear_pointer (&self->cached_path, g_variant_unref);
  g_clear_error (&self->defunct_error);
  g_clear_pointer (&self->subscriptions, g_array_unref);
  g_clear_pointer (&self->description, g_variant_unref);
  g_strfreev (self->path);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (comlink_proxy_parent_class)->finalize (object);
}

static void
comlink_proxy_class_init (ComlinkProxyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  _comlink_init_i18n ();

  object_class->dispose = comlink_proxy_dispose;
  object_class->finalize = comlink_proxy_finalize;
}

static void
comlink_proxy_init (ComlinkProxy *self)
{
  self->timeout_msec = -1;
  g_mutex_init (&self->mutex);
  g_weak_ref_init (&self->record.proxy, self);
}

static ComlinkProxy *
proxy_new (ComlinkConnection *connection,
           guint64            object_id,
           ComlinkProxy      *parent,
           char             **path)
{
  ComlinkProxy *self = g_object_new (COMLINK_TYPE_PROXY, NULL);

  self->object_id = object_id;
  self->record.object_id = object_id;
  self->path = path ? path : g_new0 (char *, 1);
  self->parent = parent ? g_object_ref (parent) : NULL;
  self->connection = g_object_ref (connection);

  return self;
}

/* Creates a proxy for object @object_id; the caller registers it. */
ComlinkProxy *
_comlink_proxy_new (ComlinkConnection *connection,
                    guint64            object_id)
{
  return proxy_new (connection, object_id, NULL, NULL);
}

ComlinkProxyRecord *
_comlink_proxy_get_record (ComlinkProxy *self)
{
  return &self->record;
}

/* Called by the connection when it closes: @self drops what it holds and
 * fails every later call with @error. */
void
_comlink_proxy_defunct (ComlinkProxy *self,
                        const GError *error)
{
  ComlinkConnection *connection;
  ComlinkProxy      *parent;

  g_mutex_lock (&self->mutex);
  connection = g_steal_pointer (&self->connection);
  parent = g_steal_pointer (&self->parent);
  if (connection != NULL && self->defunct_error == NULL)
    self->defunct_error = g_error_copy (error);
  g_mutex_unlock (&self->mutex);

  if (connection != NULL)
    _comlink_connection_unref_in_context (connection);
  g_clear_object (&parent);
}

gboolean
_comlink_proxy_get_remote_id (ComlinkProxy      *self,
                              ComlinkConnection *connection,
                              guint64           *id,
                              GError           **error)
{
  gboolean ret = FALSE;

  g_mutex_lock (&self->mutex);
  if (self->connection != connection)
    g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE,
                         _ ("A proxy can only be sent back over its own connection"));
  else if (self->path[0] != NULL)
    g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE,
                         _ ("A proxy of a path cannot be sent; get the object first"));
  else
    {
      *id = self->object_id;
      ret = TRUE;
    }
  g_mutex_unlock (&self->mutex);

  return ret;
}

static ComlinkConnection *
proxy_dup_connection (ComlinkProxy *self,
                      GError      **error)
{
  ComlinkConnection *connection;

  g_mutex_lock (&self->mutex);
  connection = self->connection ? g_object_ref (self->connection) : NULL;
  if (connection == NULL)
    {
      if (self->defunct_error != NULL)
        g_propagate_error (error, g_error_copy (self->defunct_error));
      else
        g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_CLOSED,
                             _ ("The proxy was released"));
    }
  g_mutex_unlock (&self->mutex);

  return connection;
}

/**
 * comlink_proxy_dup_connection:
 * @self: a #ComlinkProxy
 *
 * Gets the connection of @self.
 *
 * Returns: (transfer full) (nullable): the connection of @self, or %NULL
 *   once @self was released or its connection closed
 *
 * Since: 0.1
 */
ComlinkConnection *
comlink_proxy_dup_connection (ComlinkProxy *self)
{
  g_return_val_if_fail (COMLINK_IS_PROXY (self), NULL);

  return proxy_dup_connection (self, NULL);
}

/**
 * comlink_proxy_get_path:
 * @self: a #ComlinkProxy
 *
 * Gets the path of @self.
 *
 * Returns: (transfer none) (array zero-terminated=1): the path that @self
 *   navigates from its remote object; empty for the proxy of an object
 *
 * Since: 0.1
 */
const char * const *
comlink_proxy_get_path (ComlinkProxy *self)
{
  g_return_val_if_fail (COMLINK_IS_PROXY (self), empty_path);

  return (const char * const *) self->path;
}

/**
 * comlink_proxy_is_released:
 * @self: a #ComlinkProxy
 *
 * Tells whether @self was released.
 *
 * Returns: %TRUE if @self was released or its connection closed, so that
 *   every call on it fails at once
 *
 * Since: 0.1
 */
gboolean
comlink_proxy_is_released (ComlinkProxy *self)
{
  gboolean ret;

  g_return_val_if_fail (COMLINK_IS_PROXY (self), TRUE);

  g_mutex_lock (&self->mutex);
  ret = self->connection == NULL;
  g_mutex_unlock (&self->mutex);

  return ret;
}

/**
 * comlink_proxy_get_child:
 * @self: a #ComlinkProxy
 * @name: the name of an object-valued property of the remote object
 *
 * Navigates to the object that the property @name of the remote object
 * (or of the path @self stands for) holds, without a round trip: the
 * property is read by the peer only when the returned proxy is used.
 *
 * The returned proxy keeps the remote object of @self alive.
 *
 * Returns: (transfer full): a proxy for the path of @self followed by @name
 *
 * Since: 0.1
 */
ComlinkProxy *
comlink_proxy_get_child (ComlinkProxy *self,
                         const char   *name)
{
  g_autoptr(ComlinkConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  ComlinkProxy *child;
  guint         len;
  char        **path;

  g_return_val_if_fail (COMLINK_IS_PROXY (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  len = g_strv_length (self->path);
  path = g_new0 (char *, len + 2);
  for (guint i = 0; i < len; i++)
    path[i] = g_strdup (self->path[i]);
  path[len] = g_strdup (name);

  connection = proxy_dup_connection (self, &error);
  if (connection == NULL)
    {
      child = g_object_new (COMLINK_TYPE_PROXY, NULL);
      child->object_id = self->object_id;
      child->path = path;
      child->defunct_error = g_steal_pointer (&error);
      return child;
    }

  child = proxy_new (connection, self->object_id,
                     self->parent ? self->parent : self, path);
  child->timeout_msec = comlink_proxy_get_timeout (self);
  _comlink_connection_register_proxy (connection, &child->record);

  return child;
}

/* Returns the wire path (navigation path and @member) of a request, or
 * NULL if it is too long */
static GVariant *
proxy_dup_wire_path (ComlinkProxy *self,
                     const char   *member)
{
  GVariant *path = NULL;
  guint     n_path = g_strv_length (self->path);

  if (n_path + 1 > COMLINK_MAX_PATH_LENGTH)
    return NULL;

  /* The path of the proxy itself */
  if (member == NULL)
    return g_variant_ref_sink (_comlink_message_new_path ((const char * const *) self->path, n_path, NULL));

  g_mutex_lock (&self->mutex);
  if (self->cached_member != NULL && strcmp (self->cached_member, member) == 0)
    path = g_variant_ref (self->cached_path);
  g_mutex_unlock (&self->mutex);

  if (path != NULL)
    return path;

  path = g_variant_ref_sink (_comlink_message_new_path ((const char * const *) self->path, n_path, member));

  g_mutex_lock (&self->mutex);
  g_free (self->cached_member);
  self->cached_member = g_strdup (member);
  g_clear_pointer (&self->cached_path, g_variant_unref);
  self->cached_path = g_variant_ref (path);
  g_mutex_unlock (&self->mutex);

  return path;
}

/* The proxy's own timeout, -1 if unset: the connection resolves the rest
 * (_comlink_timeout_resolve()) */
static gint
proxy_get_own_timeout (ComlinkProxy *self)
{
  gint ret;

  g_mutex_lock (&self->mutex);
  ret = self->timeout_msec;
  g_mutex_unlock (&self->mutex);

  return ret;
}

static void
proxy_request (ComlinkProxy       *self,
               ComlinkMessageType  type,
               const char         *member,
               const char * const *names,
               const GValue       *args,
               guint               n_args,
               gint                timeout_msec,
               gpointer            task)
{
  g_autoptr(GError) error = NULL;
  ComlinkConnection *connection = proxy_dup_connection (self, &error);
  GVariant          *path;

  if (connection == NULL)
    {
      _comlink_result_return_error (task, g_steal_pointer (&error));
      return;
    }

  path = proxy_dup_wire_path (self, member);
  if (path == NULL)
    _comlink_result_return_error (task, g_error_new (COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_OBJECT,
                                                     /* Translators: a path names an object through the
                                                      * properties that lead to it from a proxy */
                                                     g_dngettext (GETTEXT_PACKAGE,
                                                                  "A path may have at most %d element",
                                                                  "A path may have at most %d elements",
                                                                  COMLINK_MAX_PATH_LENGTH - 1),
                                                     COMLINK_MAX_PATH_LENGTH - 1));
  else
    _comlink_connection_request (connection, type, self->object_id, path, names, args, n_args,
                                 timeout_msec, proxy_get_own_timeout (self), task);
  g_clear_pointer (&path, g_variant_unref);
  _comlink_connection_unref_in_context (connection);
}

/* The _sync forms run the call's context until the result arrives: the
 * connection's own context when the caller is in it (its messages must
 * keep flowing), a private one otherwise. */
typedef struct
{
  GMainContext *context;
  GAsyncResult *result;
  gboolean      pushed;
} SyncCall;

static void
sync_call_begin (ComlinkProxy *self,
                 SyncCall     *sync)
{
  g_autoptr(ComlinkConnection) connection = proxy_dup_connection (self, NULL);
  GMainContext *current = g_main_context_get_thread_default ();

  if (current == NULL)
    current = g_main_context_default ();

  sync->result = NULL;
  if (connection == NULL || comlink_connection_get_context (connection) == current)
    {
      sync->context = g_main_context_ref (current);
      sync->pushed = FALSE;
    }
  else
    {
      sync->context = g_main_context_new ();
      sync->pushed = TRUE;
      g_main_context_push_thread_default (sync->context);
    }
}

static void
sync_call_done (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  SyncCall *sync = user_data;

  sync->result = g_object_ref (result);
}

static void
sync_call_wait (SyncCall *sync)
{
  while (sync->result == NULL)
    g_main_context_iteration (sync->context, TRUE);
}

static void
sync_call_end (SyncCall *sync)
{
  if (sync->pushed)
    g_main_context_pop_thread_default (sync->context);
  g_clear_object (&sync->result);
  g_main_context_unref (sync->context);
}

static void
value_free (gpointer value)
{
  g_boxed_free (G_TYPE_VALUE, value);
}

static GValue *
propagate_value (ComlinkProxy *self,
                 GAsyncResult *result,
                 gpointer      source_tag,
                 GError      **error)
{
  g_return_val_if_fail (_comlink_result_is_valid (result, self), NULL);
  g_return_val_if_fail (_comlink_result_get_source_tag (result) == source_tag, NULL);

  return _comlink_result_propagate_pointer (result, error);
}

/* What C callers see: a null result (a NULL gpointer, the wire's NULL)
 * folds into nothing, as a NULL GVariant or boxed always did; the
 * bindings' functions keep the two apart */
GValue *
_comlink_result_fold_null (GValue *value)
{
  if (value != NULL && G_VALUE_HOLDS (value, G_TYPE_POINTER) && g_value_get_pointer (value) == NULL)
    g_clear_pointer (&value, value_free);

  return value;
}

GValue *
_comlink_proxy_propagate_result (ComlinkProxy *self,
                                 GAsyncResult *result,
                                 GError      **error)
{
  gpointer tag = _comlink_result_get_source_tag (result);

  g_return_val_if_fail (tag == comlink_proxy_call_async || tag == comlink_proxy_get_async, NULL);

  return propagate_value (self, result, tag, error);
}

/* For operations whose result is an object of @type: a reply of any other
 * type fails with COMLINK_ERROR_TYPE_MISMATCH */
static gpointer
propagate_object (ComlinkProxy *self,
                  GAsyncResult *result,
                  gpointer      source_tag,
                  GType         type,
                  GError      **error)
{
  GValue  *value = propagate_value (self, result, source_tag, error);
  gpointer object = NULL;

  if (value == NULL)
    return NULL;

  if (G_VALUE_HOLDS (value, type))
    object = g_value_dup_object (value);
  else
    g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH,
                 _ ("The peer returned a %s, not a %s"), G_VALUE_TYPE_NAME (value), g_type_name (type));
  value_free (value);

  return object;
}

/**
 * comlink_proxy_call_async:
 * @self: a #ComlinkProxy
 * @method: (nullable): the name of the method, or %NULL to call the
 *   remote object itself (a callback made with [ctor@Comlink.Callback.new])
 * @args: (array length=n_args) (nullable): the arguments
 * @n_args: the number of arguments
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the call completes
 * @user_data: data for @callback
 *
 * Calls @method on the remote object. A method is an action signal of the
 * remote object (its parameters and return value are the method's), or
 * whatever its [iface@Comlink.Exposable] implementation answers.
 *
 * Objects among @args travel by reference: the peer receives a
 * #ComlinkProxy for them, or the original object for a proxy of the peer's
 * own object.
 *
 * @callback runs in the thread-default main context of the caller, once.
 * As with any #GAsyncResult, the one it is given lives past the callback
 * only if it takes a reference: one that nothing holds afterwards may be
 * used again for a later call of the same thread.
 *
 * Since: 0.1
 */
void
comlink_proxy_call_async (ComlinkProxy       *self,
                          const char         *method,
                          const GValue       *args,
                          guint               n_args,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  g_autoptr(ComlinkCallResult) result = NULL;

  g_return_if_fail (COMLINK_IS_PROXY (self));
  g_return_if_fail (args != NULL || n_args == 0);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  result = _comlink_call_result_new (self, cancellable, callback, user_data, comlink_proxy_call_async);
  proxy_request (self, COMLINK_MESSAGE_CALL, method ? method : "", NULL, args, n_args, -1, result);
  _comlink_call_result_started (result);
}

/**
 * comlink_proxy_call_full_async:
 * @self: a #ComlinkProxy
 * @method: (nullable): the name of the method, or %NULL to call the
 *   remote object itself
 * @args: (array length=n_args) (nullable): the arguments
 * @n_args: the number of arguments
 * @timeout_msec: the timeout of this call in milliseconds, 0 for none, or
 *   -1 for the proxy's ([method@Comlink.Proxy.set_timeout])
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the call completes
 * @user_data: data for @callback
 *
 * Calls @method as [method@Comlink.Proxy.call_async] does, with its own
 * timeout: when it expires, the call fails with %G_IO_ERROR_TIMED_OUT and
 * the remote invocation's cancellable fires.
 *
 * Since: 0.1
 */
void
comlink_proxy_call_full_async (ComlinkProxy       *self,
                               const char         *method,
                               const GValue       *args,
                               guint               n_args,
                               gint                timeout_msec,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  g_autoptr(ComlinkCallResult) result = NULL;

  g_return_if_fail (COMLINK_IS_PROXY (self));
  g_return_if_fail (args != NULL || n_args == 0);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  result = _comlink_call_result_new (self, cancellable, callback, user_data, comlink_proxy_call_async);
  proxy_request (self, COMLINK_MESSAGE_CALL, method ? method : "", NULL, args, n_args, timeout_msec, result);
  _comlink_call_result_started (result);
}

/**
 * comlink_proxy_call_full_finish:
 * @self: a #ComlinkProxy
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Completes a call started with [method@Comlink.Proxy.call_full_async];
 * see [method@Comlink.Proxy.call_finish].
 *
 * Returns: (transfer full) (nullable): the return value of the method, or
 *   %NULL for a method that returns nothing or on error
 *
 * Since: 0.1
 */
GValue *
comlink_proxy_call_full_finish (ComlinkProxy *self,
                                GAsyncResult *result,
                                GError      **error)
{
  return propagate_value (self, result, comlink_proxy_call_async, error);
}

/**
 * comlink_proxy_get_timeout:
 * @self: a #ComlinkProxy
 *
 * Gets the timeout of the calls made through @self.
 *
 * Returns: the timeout of calls made through @self, in milliseconds: its
 *   own if set, else its connection's ([property@Comlink.Connection:timeout]);
 *   0 for none
 *
 * Since: 0.1
 */
gint
comlink_proxy_get_timeout (ComlinkProxy *self)
{
  g_autoptr(ComlinkConnection) connection = NULL;
  guint connection_timeout = 0;
  gint  own;

  g_return_val_if_fail (COMLINK_IS_PROXY (self), 0);

  g_mutex_lock (&self->mutex);
  own = self->timeout_msec;
  if (own < 0 && self->connection != NULL)
    connection = g_object_ref (self->connection);
  g_mutex_unlock (&self->mutex);

  if (connection != NULL)
    {
      connection_timeout = comlink_connection_get_timeout (connection);
      _comlink_connection_unref_in_context (g_steal_pointer (&connection));
    }

  return (gint) _comlink_timeout_resolve (-1, own, connection_timeout);
}

/**
 * comlink_proxy_set_timeout:
 * @self: a #ComlinkProxy
 * @timeout_msec: a timeout in milliseconds, 0 for none, or -1 to use the
 *   connection's
 *
 * Sets the timeout of calls, gets and sets made through @self. Proxies
 * navigated from @self with [method@Comlink.Proxy.get_child] start with
 * the same timeout.
 *
 * Since: 0.1
 */
void
comlink_proxy_set_timeout (ComlinkProxy *self,
                           gint          timeout_msec)
{
  g_return_if_fail (COMLINK_IS_PROXY (self));
  g_return_if_fail (timeout_msec >= -1);

  g_mutex_lock (&self->mutex);
  self->timeout_msec = timeout_msec;
  g_mutex_unlock (&self->mutex);
}

/**
 * comlink_proxy_call_finish:
 * @self: a #ComlinkProxy
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Completes a call started with [method@Comlink.Proxy.call_async].
 *
 * A #GError raised by the remote method arrives with its domain, code and
 * message when the domain is known in this process, or as
 * %COMLINK_ERROR_REMOTE otherwise. A method that does not exist fails with
 * %COMLINK_ERROR_NO_SUCH_METHOD, wrong arguments with
 * %COMLINK_ERROR_INVALID_ARGUMENTS or %COMLINK_ERROR_TYPE_MISMATCH, a
 * terminated or dead worker with %COMLINK_ERROR_TERMINATED or
 * %COMLINK_ERROR_WORKER_EXITED.
 *
 * Returns: (transfer full) (nullable): the return value of the method, or
 *   %NULL for a method that returns nothing or on error
 *
 * Since: 0.1
 */
GValue *
comlink_proxy_call_finish (ComlinkProxy *self,
                           GAsyncResult *result,
                           GError      **error)
{
  return _comlink_result_fold_null (propagate_value (self, result, comlink_proxy_call_async, error));
}

/**
 * comlink_proxy_call_sync:
 * @self: a #ComlinkProxy
 * @method: (nullable): the name of the method, or %NULL to call the
 *   remote object itself
 * @args: (array length=n_args) (nullable): the arguments
 * @n_args: the number of arguments
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * The blocking form of [method@Comlink.Proxy.call_async]. Called from the
 * thread of the connection, it runs the connection's main context until
 * the reply arrives, so other sources of that context may be dispatched
 * meanwhile.
 *
 * Returns: (transfer full) (nullable): the return value of the method, or
 *   %NULL for a method that returns nothing or on error
 *
 * Since: 0.1
 */
GValue *
comlink_proxy_call_sync (ComlinkProxy *self,
                         const char   *method,
                         const GValue *args,
                         guint         n_args,
                         GCancellable *cancellable,
                         GError      **error)
{
  SyncCall sync;
  GValue  *ret;

  g_return_val_if_fail (COMLINK_IS_PROXY (self), NULL);

  sync_call_begin (self, &sync);
  comlink_proxy_call_async (self, method, args, n_args, cancellable, sync_call_done, &sync);
  sync_call_wait (&sync);
  ret = comlink_proxy_call_finish (self, sync.result, error);
  sync_call_end (&sync);

  return ret;
}

/**
 * comlink_proxy_call_sync_with_details:
 * @self: a #ComlinkProxy
 * @method: (nullable): the name of the method, or %NULL to call the
 *   remote object itself
 * @args: (array length=n_args) (nullable): the arguments
 * @n_args: the number of arguments
 * @cancellable: (nullable): a #GCancellable
 * @class_name: (out) (optional) (nullable) (transfer full): return
 *   location for the name of the class of the remote exception, or %NULL
 * @stack: (out) (optional) (nullable) (transfer full): return location
 *   for the remote stack as text, or %NULL
 * @error: return location for a #GError
 *
 * [method@Comlink.Proxy.call_sync] that also tells, on failure, where the
 * error was raised, as [method@Comlink.Proxy.get_error_details] tells it
 * for an asynchronous call. @class_name and @stack are set to %NULL
 * unless the call fails with an error whose reply carried them; free
 * them with g_free(). This is for C: bindings make their calls
 * asynchronously and read the details from the result.
 *
 * Returns: (transfer full) (nullable): the return value of the method, or
 *   %NULL for a method that returns nothing or on error
 *
 * Since: 0.1
 */
GValue *
comlink_proxy_call_sync_with_details (ComlinkProxy *self,
                                      const char   *method,
                                      const GValue *args,
                                      guint         n_args,
                                      GCancellable *cancellable,
                                      char        **class_name,
                                      char        **stack,
                                      GError      **error)
{
  const char *remote_class = NULL;
  const char *remote_stack = NULL;
  SyncCall    sync;
  GValue     *ret;

  if (class_name != NULL)
    *class_name = NULL;
  if (stack != NULL)
    *stack = NULL;

  g_return_val_if_fail (COMLINK_IS_PROXY (self), NULL);

  sync_call_begin (self, &sync);
  comlink_proxy_call_async (self, method, args, n_args, cancellable, sync_call_done, &sync);
  sync_call_wait (&sync);
  ret = comlink_proxy_call_finish (self, sync.result, error);
  comlink_proxy_get_error_details (self, sync.result, &remote_class, &remote_stack);
  if (class_name != NULL)
    *class_name = g_strdup (remote_class);
  if (stack != NULL)
    *stack = g_strdup (remote_stack);
  sync_call_end (&sync);

  return ret;
}

/**
 * comlink_proxy_call_finish_value: (skip)
 * @self: a #ComlinkProxy
 * @result: the #GAsyncResult given to the callback of
 *   [method@Comlink.Proxy.call_async] or
 *   [method@Comlink.Proxy.call_full_async]
 * @value: (out caller-allocates) (optional): an unset #GValue for the
 *   return value, or %NULL to ignore it
 * @error: return location for a #GError
 *
 * Completes a call as [method@Comlink.Proxy.call_finish] does, in a form
 * that tells a method that returns nothing from a failure: it returns
 * %TRUE on success, whether the method returned a value or not, and
 * %FALSE only with @error set.
 *
 * On success, @value holds the return value of the method, or stays unset
 * (`G_IS_VALUE (value)` is %FALSE) for a method that returns nothing, or
 * whose return value was a null (a %NULL #GVariant, boxed or pointer, a
 * JavaScript `null`). On failure it stays unset.
 * Unset it with g_value_unset() when it was set.
 *
 * |[<!-- language="C" -->
 * g_auto(GValue) value = G_VALUE_INIT;
 *
 * if (!comlink_proxy_call_finish_value (proxy, result, &value, &error))
 *   g_warning ("failed: %s", error->message);
 * else if (G_IS_VALUE (&value))
 *   g_print ("returned a %s\n", G_VALUE_TYPE_NAME (&value));
 * ]|
 *
 * It also completes calls made with `comlink_proxy_call_with_args_async()`.
 * It is for C: bindings complete calls with
 * [method@Comlink.Proxy.call_finish] or
 * [method@Comlink.Proxy.propagate_value], which never leave a value unset.
 *
 * Returns: %TRUE if the call succeeded, %FALSE with @error set
 *
 * Since: 0.1
 */
gboolean
comlink_proxy_call_finish_value (ComlinkProxy *self,
                                 GAsyncResult *result,
                                 GValue       *value,
                                 GError      **error)
{
  GError *local_error = NULL;
  GValue *ret;

  g_return_val_if_fail (COMLINK_IS_PROXY (self), FALSE);
  g_return_val_if_fail (_comlink_result_is_valid (result, self), FALSE);
  g_return_val_if_fail (_comlink_result_get_source_tag (result) == comlink_proxy_call_async, FALSE);
  g_return_val_if_fail (value == NULL || !G_IS_VALUE (value), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  ret = _comlink_result_fold_null (propagate_value (self, result, comlink_proxy_call_async, &local_error));
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }

  if (ret != NULL && value != NULL)
    {
      /* The contents move to @value: nothing is copied */
      *value = *ret;
      g_free (ret);
    }
  else if (ret != NULL)
    value_free (ret);

  return TRUE;
}

/* The GVariant form (doc/c-calls.md has the table): each child of the
 * parameter tuple becomes an argument of the GValue type a C method
 * would declare for it; what has no such type goes as a GVariant. */
static void
variant_to_value (GVariant *variant,
                  GValue   *value)
{
  const GVariantType *type = g_variant_get_type (variant);

  if (_comlink_variant_basic_to_value (variant, value))
    return;

  switch ((int) g_variant_classify (variant))
    {
    case G_VARIANT_CLASS_VARIANT:
      /* The escape hatch: the content goes as a GVariant, whatever it is */
      g_value_init (value, G_TYPE_VARIANT);
      g_value_take_variant (value, g_variant_get_variant (variant));
      return;
    case G_VARIANT_CLASS_MAYBE:
      {
        g_autoptr(GVariant) child = g_variant_get_maybe (variant);

        /* Its content, or nothing: a NULL of the declared pointer type */
        if (child != NULL)
          variant_to_value (child, value);
        return;
      }
    case G_VARIANT_CLASS_ARRAY:
      if (g_variant_type_equal (type, G_VARIANT_TYPE_STRING_ARRAY))
        {
          g_value_init (value, G_TYPE_STRV);
          g_value_take_boxed (value, g_variant_dup_strv (variant, NULL));
          return;
        }
      if (g_variant_type_equal (type, G_VARIANT_TYPE_OBJECT_PATH_ARRAY))
        {
          g_value_init (value, G_TYPE_STRV);
          g_value_take_boxed (value, g_variant_dup_objv (variant, NULL));
          return;
        }
      if (g_variant_type_equal (type, G_VARIANT_TYPE_BYTESTRING))
        {
          g_value_init (value, G_TYPE_BYTES);
          g_value_take_boxed (value, g_variant_get_data_as_bytes (variant));
          return;
        }
      break;
    case G_VARIANT_CLASS_TUPLE:
    case G_VARIANT_CLASS_DICT_ENTRY:
    default:
      break;
    }

  g_value_init (value, G_TYPE_VARIANT);
  g_value_set_variant (value, variant);
}

static GVariant *
enum_to_variant (const GValue *value)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (G_VALUE_TYPE (value));
  GEnumValue *enum_value = g_enum_get_value (klass, g_value_get_enum (value));

  return enum_value ? g_variant_new_string (enum_value->value_nick) : NULL;
}

static GVariant *
flags_to_variant (const GValue *value)
{
  g_autoptr(GFlagsClass) klass = g_type_class_ref (G_VALUE_TYPE (value));
  guint           flags = g_value_get_flags (value);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_STRING_ARRAY);
  while (flags != 0)
    {
      GFlagsValue *flags_value = g_flags_get_first_value (klass, flags);

      if (flags_value == NULL || flags_value->value == 0)
        {
          g_variant_builder_clear (&builder);
          return NULL;
        }
      g_variant_builder_add (&builder, "s", flags_value->value_nick);
      flags &= ~flags_value->value;
    }

  return g_variant_builder_end (&builder);
}

static GVariant *value_to_variant (const GValue *value);

/* A container of values that GVariants hold as `av` or `a{sv}` */
static GVariant *
container_to_variant (ComlinkContainer *container)
{
  g_autoptr(GPtrArray) children = NULL;
  gboolean is_dict;
  guint    n;

  if (container == NULL)
    return NULL;

  is_dict = comlink_container_is_dict (container);
  n = comlink_container_get_n_items (container);
  children = g_ptr_array_new_full (n, (GDestroyNotify) g_variant_unref);
  for (guint i = 0; i < n; i++)
    {
      const GValue *item = comlink_container_get_item (container, i);
      GVariant     *child;

      /* No value and a null are the Nothings the bindings send for
       * JavaScript's undefined and null */
      if (!G_IS_VALUE (item))
        child = g_variant_new_variant (g_variant_new_maybe (G_VARIANT_TYPE_UNIT, NULL));
      else if (g_value_fits_pointer (item) && g_value_peek_pointer (item) == NULL)
        child = g_variant_new_variant (g_variant_new_maybe (G_VARIANT_TYPE_VARIANT, NULL));
      else if (G_VALUE_HOLDS_VARIANT (item))
        child = g_variant_new_variant (g_value_get_variant (item));
      else if ((child = value_to_variant (item)) != NULL)
        child = g_variant_new_variant (child);
      else
        return NULL;
      if (is_dict)
        child = g_variant_new_dict_entry (g_variant_new_string (comlink_container_get_key (container, i)), child);
      g_ptr_array_add (children, g_variant_ref_sink (child));
    }

  return g_variant_new_array (is_dict ? G_VARIANT_TYPE ("{sv}") : G_VARIANT_TYPE_VARIANT,
                              (GVariant **) children->pdata, n);
}

/* The child of the result tuple for a value that is not nothing, or NULL
 * for a value no GVariant can hold (an object, a GError, a pointer) */
static GVariant *
value_to_variant (const GValue *value)
{
  GType type = G_VALUE_TYPE (value);

  switch (G_TYPE_FUNDAMENTAL (type))
    {
    case G_TYPE_BOOLEAN: return g_variant_new_boolean (g_value_get_boolean (value));
    case G_TYPE_CHAR: return g_variant_new_int16 (g_value_get_schar (value));
    case G_TYPE_UCHAR: return g_variant_new_byte (g_value_get_uchar (value));
    case G_TYPE_INT: return g_variant_new_int32 (g_value_get_int (value));
    case G_TYPE_UINT: return g_variant_new_uint32 (g_value_get_uint (value));
    case G_TYPE_LONG: return g_variant_new_int64 (g_value_get_long (value));
    case G_TYPE_ULONG: return g_variant_new_uint64 (g_value_get_ulong (value));
    case G_TYPE_INT64: return g_variant_new_int64 (g_value_get_int64 (value));
    case G_TYPE_UINT64: return g_variant_new_uint64 (g_value_get_uint64 (value));
    case G_TYPE_FLOAT: return g_variant_new_double (g_value_get_float (value));
    case G_TYPE_DOUBLE: return g_variant_new_double (g_value_get_double (value));
    case G_TYPE_STRING: return g_variant_new_string (g_value_get_string (value));
    case G_TYPE_ENUM: return enum_to_variant (value);
    case G_TYPE_FLAGS: return flags_to_variant (value);
    case G_TYPE_VARIANT: return g_variant_new_variant (g_value_get_variant (value));
    case G_TYPE_BOXED:
      if (type == G_TYPE_STRV)
        return g_variant_new_strv (g_value_get_boxed (value), -1);
      if (type == G_TYPE_BYTES)
        return g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, g_value_get_boxed (value), TRUE);
      if (type == COMLINK_TYPE_CONTAINER)
        return container_to_variant (g_value_get_boxed (value));
      return NULL;
    default:
      return NULL;
    }
}

/* The result tuple of a call: () for nothing, (child) for a value */
GVariant *
_comlink_result_to_tuple (const GValue *value,
                          GError      **error)
{
  GVariant *child;

  /* A method that returns nothing, or a NULL */
  if (value == NULL || (g_value_fits_pointer (value) && g_value_peek_pointer (value) == NULL))
    return g_variant_ref_sink (g_variant_new_tuple (NULL, 0));

  child = value_to_variant (value);
  if (child == NULL)
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH,
                   _ ("The method returned a value of type %s, which a GVariant cannot hold"),
                   G_VALUE_TYPE_NAME (value));
      return NULL;
    }

  return g_variant_ref_sink (g_variant_new_tuple (&child, 1));
}

/**
 * comlink_proxy_call_variant_async:
 * @self: a #ComlinkProxy
 * @method: (nullable): the name of the method, or %NULL to call the
 *   remote object itself
 * @parameters: (nullable): a tuple of the arguments, or %NULL for none;
 *   a floating reference is consumed
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the call completes
 * @user_data: data for @callback
 *
 * Calls @method as [method@Comlink.Proxy.call_async] does, with its
 * arguments in a #GVariant tuple, as g_dbus_proxy_call() takes them:
 *
 * |[<!-- language="C" -->
 * comlink_proxy_call_variant_async (proxy, "add", g_variant_new ("(ii)", 2, 3),
 *                                   NULL, on_added, NULL);
 * ]|
 *
 * Each child of @parameters becomes one argument: `b` a `gboolean`,
 * `y` a `guchar`, `n`, `i` and `h` a `gint`, `q` and `u` a `guint`, `x` a
 * `gint64`, `t` a `guint64`, `d` a `gdouble`, `s`, `o` and `g` a string, `as`
 * and `ao` a #GStrv, `ay` a #GBytes. A maybe passes its content by the
 * same rules, or, when it holds nothing (`@ms nothing`), a %NULL string,
 * object, #GVariant or boxed, whichever the method declares. A child of
 * type `v` passes its content as a #GVariant, whatever its type; any
 * other child (a tuple, a dictionary, an array of another type) passes
 * as a #GVariant itself. The peer then converts each argument to the type
 * the method declares, with range checks. [Calls from C](c-calls.html)
 * has the whole mapping, both ways.
 *
 * Since: 0.1
 */
void
comlink_proxy_call_variant_async (ComlinkProxy       *self,
                                  const char         *method,
                                  GVariant           *parameters,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GVariant) tuple = NULL;
  GValue *args;
  guint   n_args;

  g_return_if_fail (COMLINK_IS_PROXY (self));
  g_return_if_fail (parameters == NULL || g_variant_is_of_type (parameters, G_VARIANT_TYPE_TUPLE));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  if (parameters != NULL)
    tuple = g_variant_ref_sink (parameters);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, comlink_proxy_call_variant_async);

  args = _comlink_args_from_tuple (tuple, &n_args);
  proxy_request (self, COMLINK_MESSAGE_CALL, method ? method : "", NULL, args, n_args, -1, task);
  _comlink_args_free (args, n_args);
}

/* The arguments of a call in the GVariant form: one per child of @tuple
 * (none for NULL) */
GValue *
_comlink_args_from_tuple (GVariant *tuple,
                          guint    *n_args)
{
  gsize   n = tuple ? g_variant_n_children (tuple) : 0;
  GValue *args = g_new0 (GValue, MAX (n, 1));

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (tuple, i);

      variant_to_value (child, &args[i]);
    }
  *n_args = (guint) n;

  return args;
}

void
_comlink_args_free (GValue *args,
                    guint   n_args)
{
  for (guint i = 0; i < n_args; i++)
    if (G_IS_VALUE (&args[i]))
      g_value_unset (&args[i]);
  g_free (args);
}

/**
 * comlink_proxy_call_variant_finish:
 * @self: a #ComlinkProxy
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Completes [method@Comlink.Proxy.call_variant_async]. The return value
 * comes as a tuple of one child, or as the empty tuple `()` for a method
 * that returns nothing (or a %NULL string, object, #GVariant or
 * #GBytes), as g_dbus_proxy_call_finish() returns it: `b` for a
 * `gboolean`, `y` for a `guchar`, `n` for a `gchar`, `i` for a `gint`, `u`
 * for a `guint`, `x` for a `gint64` or a `glong`, `t` for a `guint64` or a
 * `gulong`, `d` for a `gdouble` or a `gfloat`, `s` for a string or the nick
 * of an enumeration value, `as` for a #GStrv or the nicks of flags, `ay`
 * for a #GBytes, `v` holding a returned #GVariant.
 *
 * An object (a [class@Comlink.Proxy] of a remote object, or a local
 * object sent back), a #GError or any other value that no #GVariant can
 * hold fails with %COMLINK_ERROR_TYPE_MISMATCH; the object is released.
 * Other errors are those of [method@Comlink.Proxy.call_finish].
 *
 * Returns: (transfer full) (nullable): a tuple holding the return value,
 *   or %NULL on error
 *
 * Since: 0.1
 */
GVariant *
comlink_proxy_call_variant_finish (ComlinkProxy *self,
                                   GAsyncResult *result,
                                   GError      **error)
{
  GError   *local_error = NULL;
  GValue   *value;
  GVariant *ret;

  g_return_val_if_fail (COMLINK_IS_PROXY (self), NULL);
  g_return_val_if_fail (_comlink_result_is_valid (result, self), NULL);
  g_return_val_if_fail (_comlink_result_get_source_tag (result) == comlink_proxy_call_variant_async, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  value = propagate_value (self, result, comlink_proxy_call_variant_async, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }

  ret = _comlink_result_to_tuple (value, error);
  g_clear_pointer (&value, value_free);

  return ret;
}

/**
 * comlink_proxy_call_variant_sync:
 * @self: a #ComlinkProxy
 * @method: (nullable): the name of the method, or %NULL to call the
 *   remote object itself
 * @parameters: (nullable): a tuple of the arguments, or %NULL for none;
 *   a floating reference is consumed
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * The blocking form of [method@Comlink.Proxy.call_variant_async]; see
 * [method@Comlink.Proxy.call_sync] for the main context it runs.
 *
 * Returns: (transfer full) (nullable): a tuple holding the return value,
 *   the empty tuple for nothing, or %NULL on error
 *
 * Since: 0.1
 */
GVariant *
comlink_proxy_call_variant_sync (ComlinkProxy *self,
                                 const char   *method,
                                 GVariant     *parameters,
                                 GCancellable *cancellable,
                                 GError      **error)
{
  SyncCall  sync;
  GVariant *ret;

  g_return_val_if_fail (COMLINK_IS_PROXY (self), NULL);

  sync_call_begin (self, &sync);
  comlink_proxy_call_variant_async (self, method, parameters, cancellable, sync_call_done, &sync);
  sync_call_wait (&sync);
  ret = comlink_proxy_call_variant_finish (self, sync.result, error);
  sync_call_end (&sync);

  return ret;
}

/* The varargs form: collects (GType, value) pairs up to G_TYPE_INVALID
 * into an array of GValues, as g_object_new() collects properties. On a
 * type that cannot be collected, the rest of @args cannot be read: it
 * warns and returns NULL. */
static GArray *
collect_args (GType    first_type,
              va_list *args)
{
  g_autoptr(GArray) values = g_array_new (FALSE, TRUE, sizeof (GValue));

  g_array_set_clear_func (values, (GDestroyNotify) g_value_unset);

  for (GType type = first_type; type != G_TYPE_INVALID; type = va_arg (*args, GType))
    {
      g_autofree char *collect_error = NULL;
      GValue          *value;

      if (!G_TYPE_IS_VALUE_TYPE (type))
        {
          g_critical ("%s: argument %u: %s is not a type of value", G_STRFUNC,
                      values->len + 1, g_type_name (type) ? g_type_name (type) : "an unknown type");
          return NULL;
        }

      g_array_set_size (values, values->len + 1);
      value = &g_array_index (values, GValue, values->len - 1);
      G_VALUE_COLLECT_INIT (value, type, *args, 0, &collect_error);
      if (collect_error != NULL)
        {
          g_critical ("%s: argument %u: %s", G_STRFUNC, values->len, collect_error);
          /* A value whose collection failed may be in any state: it is
           * leaked rather than unset, as g_object_new() does */
          memset (value, 0, sizeof *value);
          return NULL;
        }
    }

  return g_steal_pointer (&values);
}

/* Returns whether @args could be read up to their end */
static gboolean
call_with_args_valist (ComlinkProxy       *self,
                       const char         *method,
                       GCancellable       *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer            user_data,
                       GType               first_arg_type,
                       va_list            *args)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GArray) values = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, comlink_proxy_call_async);

  values = collect_args (first_arg_type, args);
  if (values == NULL)
    {
      g_task_return_new_error (task, COMLINK_ERROR, COMLINK_ERROR_INVALID_ARGUMENTS,
                               _ ("The arguments could not be collected"));
      return FALSE;
    }

  proxy_request (self, COMLINK_MESSAGE_CALL, method ? method : "", NULL,
                 (const GValue *) (gpointer) values->data, values->len, -1, task);
  return TRUE;
}

/**
 * comlink_proxy_call_with_args_async: (skip)
 * @self: a #ComlinkProxy
 * @method: (nullable): the name of the method, or %NULL to call the
 *   remote object itself
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the call completes
 * @user_data: data for @callback
 * @first_arg_type: the type of the first argument, or %G_TYPE_INVALID
 *   for none
 * @...: its value, then the type and value of each further argument,
 *   ending with %G_TYPE_INVALID
 *
 * Calls @method as [method@Comlink.Proxy.call_async] does, with its
 * arguments given as pairs of a #GType and a value, as g_object_new()
 * takes properties:
 *
 * |[<!-- language="C" -->
 * comlink_proxy_call_with_args_async (proxy, "add", NULL, on_added, NULL,
 *                                     G_TYPE_INT, 2, G_TYPE_INT, 3, G_TYPE_INVALID);
 * ]|
 *
 * Each value is what a #GValue of its type collects: a `gboolean` for
 * %G_TYPE_BOOLEAN, a `gint` for %G_TYPE_INT, a `guint64` for
 * %G_TYPE_UINT64, a `gdouble` for %G_TYPE_DOUBLE, a `const char *` for
 * %G_TYPE_STRING, a #GStrv for %G_TYPE_STRV, a #GBytes for %G_TYPE_BYTES, a
 * #GObject for %G_TYPE_OBJECT (or any object type), a #GVariant for
 * %G_TYPE_VARIANT (a floating reference is consumed), and so on. The
 * values are copied before this function returns. Each type must be a
 * #GType, never a plain `0`: write %G_TYPE_INVALID at the end.
 *
 * Complete the call with `comlink_proxy_call_with_args_finish()`,
 * which stores the return value where the caller says, or with any other
 * `_finish` of [method@Comlink.Proxy.call_async].
 *
 * Since: 0.1
 */
void
comlink_proxy_call_with_args_async (ComlinkProxy       *self,
                                    const char         *method,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data,
                                    GType               first_arg_type,
                                    ...)
{
  va_list args;

  g_return_if_fail (COMLINK_IS_PROXY (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  va_start (args, first_arg_type);
  call_with_args_valist (self, method, cancellable, callback, user_data, first_arg_type, &args);
  va_end (args);
}

/* Stores the return value of a call of @result, converted to
 * @return_type, where the next argument of @location says */
static gboolean
call_with_args_finish_valist (ComlinkProxy *self,
                              GAsyncResult *result,
                              GError      **error,
                              GType         return_type,
                              va_list      *location)
{
  g_auto(GValue) ret = G_VALUE_INIT;
  g_auto(GValue) converted = G_VALUE_INIT;
  g_autofree char *lcopy_error = NULL;

  if (!comlink_proxy_call_finish_value (self, result, &ret, error))
    return FALSE;

  if (return_type == G_TYPE_NONE)
    return TRUE;

  if (!G_TYPE_IS_VALUE_TYPE (return_type))
    {
      g_critical ("%s: %s is not a type of value", G_STRFUNC,
                  g_type_name (return_type) ? g_type_name (return_type) : "an unknown type");
      g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH,
                           _ ("The return value could not be stored"));
      return FALSE;
    }

  /* Nothing converts to a NULL of a pointer type, numbers with range
   * checks, a proxy to GObject */
  if (!_comlink_value_convert (&ret, return_type, &converted, error))
    return FALSE;

  G_VALUE_LCOPY (&converted, *location, 0, &lcopy_error);
  if (lcopy_error != NULL)
    {
      g_critical ("%s: %s", G_STRFUNC, lcopy_error);
      g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH,
                           _ ("The return value could not be stored"));
      return FALSE;
    }

  return TRUE;
}

/**
 * comlink_proxy_call_with_args_finish: (skip)
 * @self: a #ComlinkProxy
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 * @return_type: the type to store the return value as, or %G_TYPE_NONE
 *   to ignore it
 * @...: unless @return_type is %G_TYPE_NONE, where to store the value:
 *   a `gint *` for %G_TYPE_INT, a `char **` for %G_TYPE_STRING, and so on
 *
 * Completes `comlink_proxy_call_with_args_async()` (or
 * [method@Comlink.Proxy.call_async]) and stores the return value of the
 * method where the caller says, as g_object_get() does:
 *
 * |[<!-- language="C" -->
 * gint sum;
 *
 * if (comlink_proxy_call_with_args_finish (proxy, result, &error, G_TYPE_INT, &sum))
 *   g_print ("2 + 3 = %d\n", sum);
 * ]|
 *
 * The value is converted to @return_type as the peer converts arguments:
 * numbers with range checks, an object to a type it is (a remote object
 * arrives as a [class@Comlink.Proxy]), nothing (a method that returns
 * nothing) to %NULL for a string, boxed, #GVariant or object type. A value
 * that does not convert fails with %COMLINK_ERROR_TYPE_MISMATCH. What is
 * stored belongs to the caller: free a string with g_free(), a #GStrv
 * with g_strfreev(), unref a #GVariant, #GBytes or object.
 *
 * On failure, nothing is stored. For a method that returns nothing, pass
 * %G_TYPE_NONE: the result is %TRUE on success and %FALSE only on error.
 *
 * Returns: %TRUE if the call succeeded and its value was stored, %FALSE
 *   with @error set
 *
 * Since: 0.1
 */
gboolean
comlink_proxy_call_with_args_finish (ComlinkProxy *self,
                                     GAsyncResult *result,
                                     GError      **error,
                                     GType         return_type,
                                     ...)
{
  va_list  location;
  gboolean ret;

  g_return_val_if_fail (COMLINK_IS_PROXY (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  va_start (location, return_type);
  ret = call_with_args_finish_valist (self, result, error, return_type, &location);
  va_end (location);

  return ret;
}

/**
 * comlink_proxy_call_with_args_sync: (skip)
 * @self: a #ComlinkProxy
 * @method: (nullable): the name of the method, or %NULL to call the
 *   remote object itself
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 * @first_arg_type: the type of the first argument, or %G_TYPE_INVALID
 *   for none
 * @...: the arguments as `comlink_proxy_call_with_args_async()` takes
 *   them, ending with %G_TYPE_INVALID, then the return type and location
 *   as `comlink_proxy_call_with_args_finish()` takes them
 *
 * The blocking form of `comlink_proxy_call_with_args_async()`, the
 * shortest call in C; see [method@Comlink.Proxy.call_sync] for the main
 * context it runs:
 *
 * |[<!-- language="C" -->
 * gint sum;
 *
 * if (!comlink_proxy_call_with_args_sync (proxy, "add", NULL, &error,
 *                                         G_TYPE_INT, 2, G_TYPE_INT, 3, G_TYPE_INVALID,
 *                                         G_TYPE_INT, &sum))
 *   g_warning ("add failed: %s", error->message);
 *
 * comlink_proxy_call_with_args_sync (proxy, "ping", NULL, &error,
 *                                    G_TYPE_INVALID, G_TYPE_NONE);
 * ]|
 *
 * Returns: %TRUE if the call succeeded and its value was stored, %FALSE
 *   with @error set
 *
 * Since: 0.1
 */
gboolean
comlink_proxy_call_with_args_sync (ComlinkProxy *self,
                                   const char   *method,
                                   GCancellable *cancellable,
                                   GError      **error,
                                   GType         first_arg_type,
                                   ...)
{
  SyncCall sync;
  va_list  args;
  gboolean collected;
  GType    return_type;
  gboolean ret;

  g_return_val_if_fail (COMLINK_IS_PROXY (self), FALSE);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  va_start (args, first_arg_type);
  sync_call_begin (self, &sync);
  collected = call_with_args_valist (self, method, cancellable, sync_call_done, &sync, first_arg_type, &args);
  sync_call_wait (&sync);
  /* Past arguments that could not be read, nothing can be */
  return_type = collected ? va_arg (args, GType) : G_TYPE_NONE;
  ret = call_with_args_finish_valist (self, sync.result, error, return_type, &args);
  sync_call_end (&sync);
  va_end (args);

  return ret;
}

/**
 * comlink_proxy_get_async:
 * @self: a #ComlinkProxy
 * @property: the name of a readable property of the remote object
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the value arrives
 * @user_data: data for @callback
 *
 * Reads the property @property of the remote object.
 *
 * Since: 0.1
 */
void
comlink_proxy_get_async (ComlinkProxy       *self,
                         const char         *property,
                         GCancellable       *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (COMLINK_IS_PROXY (self));
  g_return_if_fail (property != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, comlink_proxy_get_async);

  proxy_request (self, COMLINK_MESSAGE_GET, property, NULL, NULL, 0, -1, task);
}

/**
 * comlink_proxy_get_finish:
 * @self: a #ComlinkProxy
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Completes [method@Comlink.Proxy.get_async]. A property that does not
 * exist or is not readable fails with %COMLINK_ERROR_NO_SUCH_PROPERTY.
 *
 * Returns: (transfer full) (nullable): the value of the property, or
 *   %NULL on error
 *
 * Since: 0.1
 */
GValue *
comlink_proxy_get_finish (ComlinkProxy *self,
                          GAsyncResult *result,
                          GError      **error)
{
  return _comlink_result_fold_null (propagate_value (self, result, comlink_proxy_get_async, error));
}

/**
 * comlink_proxy_propagate_value:
 * @self: a #ComlinkProxy
 * @result: the #GAsyncResult of [method@Comlink.Proxy.call_async],
 *   [method@Comlink.Proxy.call_full_async] or
 *   [method@Comlink.Proxy.get_async]
 * @value: (out caller-allocates): an unset #GValue for the result
 * @error: return location for a #GError
 *
 * Completes a call or a property read as its `_finish` function does, but
 * stores the value in @value instead of returning a new #GValue. This is
 * for bindings: PyGObject 3.42 never frees a #GValue returned with full
 * transfer (nor the object or string it holds), while it unsets a
 * caller-allocated one.
 *
 * A result of nothing (a method that returns nothing, a %NULL value), and
 * a failure, leave @value holding a %NULL %G_TYPE_POINTER, which bindings
 * see as `None` or `null`.
 *
 * Returns: (skip): %TRUE on success, %FALSE with @error set
 *
 * Since: 0.1
 */
gboolean
comlink_proxy_propagate_value (ComlinkProxy *self,
                               GAsyncResult *result,
                               GValue       *value,
                               GError      **error)
{
  GError  *local_error = NULL;
  gpointer tag;
  GValue  *ret;

  g_return_val_if_fail (COMLINK_IS_PROXY (self), FALSE);
  g_return_val_if_fail (_comlink_result_is_valid (result, self), FALSE);
  g_return_val_if_fail (value != NULL && !G_IS_VALUE (value), FALSE);

  tag = _comlink_result_get_source_tag (result);
  g_return_val_if_fail (tag == comlink_proxy_call_async || tag == comlink_proxy_get_async, FALSE);

  ret = _comlink_result_propagate_pointer (result, &local_error);
  if (ret != NULL && G_IS_VALUE (ret))
    {
      g_value_init (value, G_VALUE_TYPE (ret));
      g_value_copy (ret, value);
    }
  else
    g_value_init (value, G_TYPE_POINTER);
  if (ret != NULL)
    value_free (ret);

  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }

  return TRUE;
}

/**
 * comlink_proxy_propagate_in_container:
 * @self: a #ComlinkProxy
 * @result: the #GAsyncResult of [method@Comlink.Proxy.call_async],
 *   [method@Comlink.Proxy.call_full_async] or
 *   [method@Comlink.Proxy.get_async]
 * @error: return location for a #GError
 *
 * Completes a call or a property read as its `_finish` function does, and
 * returns the value as the only item of a new array: no value (an unset
 * item) for nothing, a %NULL %G_TYPE_POINTER for a null. This is for
 * bindings that read a boxed value out of a #GValue without a reference
 * of their own, as PyGObject 3.42 does with the #GValue of
 * [method@Comlink.Proxy.propagate_value], which it then unsets: a
 * [struct@Comlink.Container] result, with the proxies it holds, stays
 * alive as long as the binding holds the array.
 *
 * Returns: (transfer full) (nullable): an array of one item, or %NULL
 *   with @error set
 *
 * Since: 0.1
 */
ComlinkContainer *
comlink_proxy_propagate_in_container (ComlinkProxy *self,
                                      GAsyncResult *result,
                                      GError      **error)
{
  GError  *local_error = NULL;
  gpointer tag;
  GValue  *ret;

  g_return_val_if_fail (COMLINK_IS_PROXY (self), NULL);
  g_return_val_if_fail (_comlink_result_is_valid (result, self), NULL);

  tag = _comlink_result_get_source_tag (result);
  g_return_val_if_fail (tag == comlink_proxy_call_async || tag == comlink_proxy_get_async, NULL);

  ret = _comlink_result_propagate_pointer (result, &local_error);
  if (local_error != NULL)
    {
      if (ret != NULL)
        value_free (ret);
      g_propagate_error (error, local_error);
      return NULL;
    }

  return _comlink_result_in_container (ret);
}

/* @value (taken) as the only item of a new array */
ComlinkContainer *
_comlink_result_in_container (GValue *value)
{
  ComlinkContainer *container = comlink_container_new_array ();

  /* An unset GValue, or none, is nothing */
  if (value != NULL)
    {
      _comlink_container_append_take (container, value);
      g_free (value);
    }
  else
    comlink_container_append (container, NULL);

  return container;
}

/**
 * comlink_proxy_get_error_details:
 * @self: a #ComlinkProxy
 * @result: the #GAsyncResult given to the callback of an asynchronous
 *   operation of @self
 * @class_name: (out) (optional) (nullable) (transfer none): return
 *   location for the name of the class of the remote exception, or %NULL
 * @stack: (out) (optional) (nullable) (transfer none): return location for
 *   the remote stack as text, or %NULL
 *
 * Tells where the error of a failed operation was raised, when the peer
 * said so: a method served by the GJS or Python bindings that throws sends
 * the class name and the stack of its exception (a JavaScript `stack`, a
 * Python traceback), and a C method sends what it gives
 * [method@Comlink.Invocation.return_error_with_details]. The #GError that
 * the `_finish` function returns has the domain, code and message as
 * always; a #GError has no room for more.
 *
 * It may be called before or after the `_finish` function. The strings
 * belong to @result and are valid as long as it is: copy them to keep
 * them longer. Either may be %NULL when the peer sent only the other. An
 * error that did not come from the peer (a timeout, a cancellation, a
 * closed connection), a plain error reply, and a successful operation
 * have no details.
 *
 * |[<!-- language="C" -->
 * const char *stack;
 *
 * value = comlink_proxy_call_finish (proxy, result, &error);
 * if (value == NULL && error != NULL &&
 *     comlink_proxy_get_error_details (proxy, result, NULL, &stack) && stack != NULL)
 *   g_printerr ("%s\nremote stack:\n%s\n", error->message, stack);
 * ]|
 *
 * Returns: %TRUE if the peer sent a class name or a stack with the error
 *   that failed the operation of @result
 *
 * Since: 0.1
 */
gboolean
comlink_proxy_get_error_details (ComlinkProxy *self,
                                 GAsyncResult *result,
                                 const char  **class_name,
                                 const char  **stack)
{
  if (class_name != NULL)
    *class_name = NULL;
  if (stack != NULL)
    *stack = NULL;

  g_return_val_if_fail (COMLINK_IS_PROXY (self), FALSE);
  g_return_val_if_fail (_comlink_result_is_valid (result, self), FALSE);

  return _comlink_result_get_error_details (result, class_name, stack);
}

/**
 * comlink_proxy_propagate_int64_as_variant:
 * @self: a #ComlinkProxy
 * @result: the #GAsyncResult of [method@Comlink.Proxy.call_async],
 *   [method@Comlink.Proxy.call_full_async] or
 *   [method@Comlink.Proxy.get_async]
 * @error: return location for a #GError
 *
 * Completes a call or a property read as its `_finish` function does,
 * except for a result that is a 64-bit integer: that one comes as a
 * #GValue holding a #GVariant, `x` for a `gint64` or a `glong`, `t` for a
 * `guint64` or a `gulong`. This is for bindings whose numbers are doubles
 * (GJS), which cannot read every such value from a #GValue without
 * rounding it.
 *
 * It also tells nothing from a null, as JavaScript tells `undefined` from
 * `null`: a result of nothing (a method that returns nothing, a property
 * that holds `undefined`) comes as a #GValue holding the #GVariant `m()`
 * Nothing, the form that stands for `undefined` inside arrays and objects
 * too, while a null comes as a %NULL %G_TYPE_POINTER (or a %NULL object
 * or string).
 *
 * Returns: (transfer full) (nullable): the value, or %NULL on error
 *
 * Since: 0.1
 */
GValue *
comlink_proxy_propagate_int64_as_variant (ComlinkProxy *self,
                                          GAsyncResult *result,
                                          GError      **error)
{
  gpointer tag;
  GValue  *value;
  GError  *local_error = NULL;

  g_return_val_if_fail (COMLINK_IS_PROXY (self), NULL);
  g_return_val_if_fail (_comlink_result_is_valid (result, self), NULL);

  tag = _comlink_result_get_source_tag (result);
  g_return_val_if_fail (tag == comlink_proxy_call_async || tag == comlink_proxy_get_async, NULL);

  value = _comlink_result_propagate_pointer (result, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }

  return _comlink_result_int64_as_variant (value);
}

/* @value (taken) with a 64-bit integer as a GVariant, and nothing as the
 * GVariant m() Nothing */
GValue *
_comlink_result_int64_as_variant (GValue *value)
{
  if (value == NULL)
    {
      value = g_new0 (GValue, 1);
      g_value_init (value, G_TYPE_VARIANT);
      g_value_take_variant (value, g_variant_ref_sink (g_variant_new_maybe (G_VARIANT_TYPE_UNIT, NULL)));
      return value;
    }

  _comlink_value_int64_to_variant (value);
  return value;
}

/* Replaces a 64-bit integer in @value by a GVariant x or t of it; leaves
 * any other value, and no value, as it is */
void
_comlink_value_int64_to_variant (GValue *value)
{
  GVariant *variant = NULL;

  if (!G_IS_VALUE (value))
    return;

  switch (G_VALUE_TYPE (value))
    {
    case G_TYPE_INT64: variant = g_variant_new_int64 (g_value_get_int64 (value)); break;
    case G_TYPE_LONG: variant = g_variant_new_int64 (g_value_get_long (value)); break;
    case G_TYPE_UINT64: variant = g_variant_new_uint64 (g_value_get_uint64 (value)); break;
    case G_TYPE_ULONG: variant = g_variant_new_uint64 (g_value_get_ulong (value)); break;
    default: return;
    }

  g_value_unset (value);
  g_value_init (value, G_TYPE_VARIANT);
  g_value_take_variant (value, g_variant_ref_sink (variant));
}

/**
 * comlink_proxy_get_sync:
 * @self: a #ComlinkProxy
 * @property: the name of a readable property of the remote object
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * The blocking form of [method@Comlink.Proxy.get_async].
 *
 * Returns: (transfer full) (nullable): the value of the property, or
 *   %NULL on error
 *
 * Since: 0.1
 */
GValue *
comlink_proxy_get_sync (ComlinkProxy *self,
                        const char   *property,
                        GCancellable *cancellable,
                        GError      **error)
{
  SyncCall sync;
  GValue  *ret;

  g_return_val_if_fail (COMLINK_IS_PROXY (self), NULL);

  sync_call_begin (self, &sync);
  comlink_proxy_get_async (self, property, cancellable, sync_call_done, &sync);
  sync_call_wait (&sync);
  ret = comlink_proxy_get_finish (self, sync.result, error);
  sync_call_end (&sync);

  return ret;
}

/**
 * comlink_proxy_set_async:
 * @self: a #ComlinkProxy
 * @property: the name of a writable property of the remote object
 * @value: the new value
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the property was set
 * @user_data: data for @callback
 *
 * Writes the property @property of the remote object. The value is
 * converted to the type of the property, with range checks.
 *
 * Since: 0.1
 */
void
comlink_proxy_set_async (ComlinkProxy       *self,
                         const char         *property,
                         const GValue       *value,
                         GCancellable       *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (COMLINK_IS_PROXY (self));
  g_return_if_fail (property != NULL);
  g_return_if_fail (value != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, comlink_proxy_set_async);

  proxy_request (self, COMLINK_MESSAGE_SET, property, NULL, value, 1, -1, task);
}

/**
 * comlink_proxy_set_finish:
 * @self: a #ComlinkProxy
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Completes [method@Comlink.Proxy.set_async]. A property that does not
 * exist or is not writable fails with %COMLINK_ERROR_NO_SUCH_PROPERTY, a
 * value that does not fit it with %COMLINK_ERROR_TYPE_MISMATCH.
 *
 * Returns: %TRUE if the property was set
 *
 * Since: 0.1
 */
gboolean
comlink_proxy_set_finish (ComlinkProxy *self,
                          GAsyncResult *result,
                          GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  GValue *value = propagate_value (self, result, comlink_proxy_set_async, &local_error);

  g_clear_pointer (&value, value_free);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  return TRUE;
}

/**
 * comlink_proxy_set_sync:
 * @self: a #ComlinkProxy
 * @property: the name of a writable property of the remote object
 * @value: the new value
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * The blocking form of [method@Comlink.Proxy.set_async].
 *
 * Returns: %TRUE if the property was set
 *
 * Since: 0.1
 */
gboolean
comlink_proxy_set_sync (ComlinkProxy *self,
                        const char   *property,
                        const GValue *value,
                        GCancellable *cancellable,
                        GError      **error)
{
  SyncCall sync;
  gboolean ret;

  g_return_val_if_fail (COMLINK_IS_PROXY (self), FALSE);

  sync_call_begin (self, &sync);
  comlink_proxy_set_async (self, property, value, cancellable, sync_call_done, &sync);
  sync_call_wait (&sync);
  ret = comlink_proxy_set_finish (self, sync.result, error);
  sync_call_end (&sync);

  return ret;
}

/* Takes @self out of service and returns its connection reference. */
static ComlinkConnection *
proxy_take_out_of_service (ComlinkProxy  *self,
                           ComlinkProxy **parent)
{
  ComlinkConnection *connection;

  g_mutex_lock (&self->mutex);
  connection = g_steal_pointer (&self->connection);
  *parent = g_steal_pointer (&self->parent);
  if (connection != NULL && self->defunct_error == NULL)
    self->defunct_error = g_error_new_literal (COMLINK_ERROR, COMLINK_ERROR_CLOSED,
                                               _ ("The proxy was released"));
  g_mutex_unlock (&self->mutex);

  return connection;
}

/**
 * comlink_proxy_release:
 * @self: a #ComlinkProxy
 *
 * Releases @self at once: every later call on it fails with
 * %COMLINK_ERROR_CLOSED, and the peer is told (in a batch, from an idle
 * source of the connection's context) to drop its reference to the
 * remote object. Finalizing the last reference to a proxy does the same.
 *
 * When the last proxy of a connection that exposes nothing is released,
 * the connection closes, and with it its endpoint.
 *
 * Since: 0.1
 */
void
comlink_proxy_release (ComlinkProxy *self)
{
  ComlinkConnection *connection;
  ComlinkProxy      *parent = NULL;

  g_return_if_fail (COMLINK_IS_PROXY (self));

  connection = proxy_take_out_of_service (self, &parent);
  if (connection != NULL)
    {
      proxy_unsubscribe_all (self, connection);
      _comlink_connection_unregister_proxy (connection, &self->record, NULL);
      _comlink_connection_unref_in_context (connection);
    }
  g_clear_object (&parent);
}

/**
 * comlink_proxy_release_async:
 * @self: a #ComlinkProxy
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the peer dropped the object
 * @user_data: data for @callback
 *
 * Releases @self as [method@Comlink.Proxy.release] does, at once, and
 * completes when the peer has dropped its reference to the remote object.
 *
 * Since: 0.1
 */
void
comlink_proxy_release_async (ComlinkProxy       *self,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  ComlinkConnection *connection;
  ComlinkProxy      *parent = NULL;

  g_return_if_fail (COMLINK_IS_PROXY (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, comlink_proxy_release_async);

  connection = proxy_take_out_of_service (self, &parent);
  if (connection == NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  proxy_unsubscribe_all (self, connection);
  _comlink_connection_unregister_proxy (connection, &self->record, task);
  _comlink_connection_unref_in_context (connection);
  g_clear_object (&parent);
}

/**
 * comlink_proxy_release_finish:
 * @self: a #ComlinkProxy
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Completes [method@Comlink.Proxy.release_async].
 *
 * Returns: %TRUE once the peer dropped the object; %FALSE if the
 *   connection closed first (the peer dropped it then too)
 *
 * Since: 0.1
 */
gboolean
comlink_proxy_release_finish (ComlinkProxy *self,
                              GAsyncResult *result,
                              GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  GValue *value = propagate_value (self, result, comlink_proxy_release_async, &local_error);

  g_clear_pointer (&value, value_free);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  return TRUE;
}

/**
 * comlink_proxy_release_sync:
 * @self: a #ComlinkProxy
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * The blocking form of [method@Comlink.Proxy.release_async].
 *
 * Returns: %TRUE once the peer dropped the object
 *
 * Since: 0.1
 */
gboolean
comlink_proxy_release_sync (ComlinkProxy *self,
                            GCancellable *cancellable,
                            GError      **error)
{
  SyncCall sync;
  gboolean ret;

  g_return_val_if_fail (COMLINK_IS_PROXY (self), FALSE);

  sync_call_begin (self, &sync);
  comlink_proxy_release_async (self, cancellable, sync_call_done, &sync);
  sync_call_wait (&sync);
  ret = comlink_proxy_release_finish (self, sync.result, error);
  sync_call_end (&sync);

  return ret;
}

/**
 * comlink_proxy_construct_async:
 * @self: a proxy of the path to a constructible type (`api.Counter`)
 * @names: (array zero-terminated=1) (nullable): the names of the
 *   properties to set, or %NULL for positional arguments
 * @values: (array length=n_values) (nullable): the values
 * @n_values: the number of values
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the object exists
 * @user_data: data for @callback
 *
 * Constructs a remote object of the type that the peer registered under
 * the last element of the path of @self with
 * [func@Comlink.register_constructible]: `await new api.Counter()` in
 * Comlink. A #GObject type is constructed from named properties; an
 * [iface@Comlink.Exposable] may accept positional arguments.
 *
 * Since: 0.1
 */
void
comlink_proxy_construct_async (ComlinkProxy       *self,
                               const char * const *names,
                               const GValue       *values,
                               guint               n_values,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (COMLINK_IS_PROXY (self));
  g_return_if_fail (values != NULL || n_values == 0);
  g_return_if_fail (names == NULL || g_strv_length ((char **) names) == n_values);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, comlink_proxy_construct_async);

  if (self->path[0] == NULL)
    {
      g_task_return_new_error (task, COMLINK_ERROR, COMLINK_ERROR_NOT_CONSTRUCTIBLE,
                               _ ("Construct through the proxy of a constructible name"));
      return;
    }

  proxy_request (self, COMLINK_MESSAGE_CONSTRUCT, NULL, names, values, n_values, -1, task);
}

/**
 * comlink_proxy_construct_finish:
 * @self: a #ComlinkProxy
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Completes [method@Comlink.Proxy.construct_async]. A name the peer did
 * not register fails with %COMLINK_ERROR_NOT_CONSTRUCTIBLE.
 *
 * Returns: (transfer full) (nullable): a proxy of the new object, which
 *   lives until this proxy is released
 *
 * Since: 0.1
 */
ComlinkProxy *
comlink_proxy_construct_finish (ComlinkProxy *self,
                                GAsyncResult *result,
                                GError      **error)
{
  return propagate_object (self, result, comlink_proxy_construct_async, COMLINK_TYPE_PROXY, error);
}

/**
 * comlink_proxy_construct_sync:
 * @self: a proxy of the path to a constructible type
 * @names: (array zero-terminated=1) (nullable): the names of the
 *   properties to set, or %NULL for positional arguments
 * @values: (array length=n_values) (nullable): the values
 * @n_values: the number of values
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * The blocking form of [method@Comlink.Proxy.construct_async].
 *
 * Returns: (transfer full) (nullable): a proxy of the new object
 *
 * Since: 0.1
 */
ComlinkProxy *
comlink_proxy_construct_sync (ComlinkProxy       *self,
                              const char * const *names,
                              const GValue       *values,
                              guint               n_values,
                              GCancellable       *cancellable,
                              GError            **error)
{
  SyncCall      sync;
  ComlinkProxy *ret;

  g_return_val_if_fail (COMLINK_IS_PROXY (self), NULL);

  sync_call_begin (self, &sync);
  comlink_proxy_construct_async (self, names, values, n_values, cancellable, sync_call_done, &sync);
  sync_call_wait (&sync);
  ret = comlink_proxy_construct_finish (self, sync.result, error);
  sync_call_end (&sync);

  return ret;
}

/**
 * comlink_proxy_subscribe_async:
 * @self: a #ComlinkProxy
 * @signal: the name of a signal of the remote object, with an optional
 *   detail (`notify::value`)
 * @closure: the closure to run on each emission
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the subscription is in place
 * @user_data: data for @callback
 *
 * Subscribes @closure to a signal of the remote object. On each emission,
 * @closure runs in the thread-default main context of the calling thread,
 * with @self as its first parameter and the signal's arguments after it,
 * in the order the peer emitted them.
 *
 * The subscription ends with [method@Comlink.Proxy.unsubscribe], when
 * @self is released or finalized, or when the connection closes; no
 * emission reaches @closure after that.
 *
 * Since: 0.1
 */
void
comlink_proxy_subscribe_async (ComlinkProxy       *self,
                               const char         *signal,
                               GClosure           *closure,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  comlink_proxy_subscribe_full_async (self, signal, COMLINK_SUBSCRIBE_FLAGS_NONE, closure,
                                      cancellable, callback, user_data);
}

/**
 * comlink_proxy_subscribe_full_async:
 * @self: a #ComlinkProxy
 * @signal: the name of a signal of the remote object, with an optional
 *   detail (`notify::value`)
 * @flags: how the arguments reach @closure
 * @closure: the closure to run on each emission
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the subscription is in place
 * @user_data: data for @callback
 *
 * Subscribes @closure to a signal of the remote object as
 * [method@Comlink.Proxy.subscribe_async] does, its arguments given as
 * @flags says. Complete it with
 * [method@Comlink.Proxy.subscribe_full_finish] (or
 * [method@Comlink.Proxy.subscribe_finish], which is the same).
 *
 * Since: 0.1
 */
void
comlink_proxy_subscribe_full_async (ComlinkProxy         *self,
                                    const char           *signal,
                                    ComlinkSubscribeFlags flags,
                                    GClosure             *closure,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) path = NULL;
  ComlinkConnection *connection;
  guint64            id;

  g_return_if_fail (COMLINK_IS_PROXY (self));
  g_return_if_fail (signal != NULL);
  g_return_if_fail (closure != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, comlink_proxy_subscribe_async);

  /* Take the floating reference of a new closure, whatever happens */
  g_closure_ref (closure);
  g_closure_sink (closure);
  g_task_set_task_data (task, closure, (GDestroyNotify) g_closure_unref);

  connection = proxy_dup_connection (self, &error);
  if (connection == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  path = proxy_dup_wire_path (self, signal);
  if (path == NULL)
    g_task_return_new_error (task, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_OBJECT,
                             g_dngettext (GETTEXT_PACKAGE,
                                          "A path may have at most %d element",
                                          "A path may have at most %d elements",
                                          COMLINK_MAX_PATH_LENGTH - 1),
                             COMLINK_MAX_PATH_LENGTH - 1);
  else
    {
      id = _comlink_connection_subscribe (connection, self, self->object_id, path, flags, closure, task);
      if (id != 0)
        {
          g_object_set_data_full (G_OBJECT (task), "comlink-subscription",
                                  g_memdup2 (&id, sizeof id), g_free);
          g_mutex_lock (&self->mutex);
          if (self->subscriptions == NULL)
            self->subscriptions = g_array_new (FALSE, FALSE, sizeof (guint64));
          g_array_append_val (self->subscriptions, id);
          g_mutex_unlock (&self->mutex);
        }
    }
  _comlink_connection_unref_in_context (connection);
}

/* Forgets @id in @self's list; returns whether it was there */
static gboolean
proxy_forget_subscription (ComlinkProxy *self,
                           guint64       id)
{
  gboolean found = FALSE;

  g_mutex_lock (&self->mutex);
  for (guint i = 0; self->subscriptions != NULL && i < self->subscriptions->len; i++)
    if (g_array_index (self->subscriptions, guint64, i) == id)
      {
        g_array_remove_index_fast (self->subscriptions, i);
        found = TRUE;
        break;
      }
  g_mutex_unlock (&self->mutex);

  return found;
}

/**
 * comlink_proxy_subscribe_finish:
 * @self: a #ComlinkProxy
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Completes [method@Comlink.Proxy.subscribe_async] or
 * [method@Comlink.Proxy.subscribe_full_async]. A signal the remote
 * object does not have fails with %COMLINK_ERROR_NO_SUCH_SIGNAL.
 *
 * Returns: the id of the subscription, for
 *   [method@Comlink.Proxy.unsubscribe], or 0 on error
 *
 * Since: 0.1
 */
guint64
comlink_proxy_subscribe_finish (ComlinkProxy *self,
                                GAsyncResult *result,
                                GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  GValue  *value = propagate_value (self, result, comlink_proxy_subscribe_async, &local_error);
  guint64 *id = g_object_get_data (G_OBJECT (result), "comlink-subscription");

  g_clear_pointer (&value, value_free);
  if (local_error != NULL)
    {
      /* The subscription failed remotely: drop it here too */
      if (id != NULL && proxy_forget_subscription (self, *id))
        {
          g_autoptr(ComlinkConnection) connection = proxy_dup_connection (self, NULL);

          if (connection != NULL)
            _comlink_connection_unsubscribe (connection, *id);
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return 0;
    }

  return id ? *id : 0;
}

/**
 * comlink_proxy_subscribe_full_finish:
 * @self: a #ComlinkProxy
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Completes [method@Comlink.Proxy.subscribe_full_async], as
 * [method@Comlink.Proxy.subscribe_finish] does.
 *
 * Returns: the id of the subscription, for
 *   [method@Comlink.Proxy.unsubscribe], or 0 on error
 *
 * Since: 0.1
 */
guint64
comlink_proxy_subscribe_full_finish (ComlinkProxy *self,
                                     GAsyncResult *result,
                                     GError      **error)
{
  return comlink_proxy_subscribe_finish (self, result, error);
}

/**
 * comlink_proxy_subscribe_sync:
 * @self: a #ComlinkProxy
 * @signal: the name of a signal of the remote object
 * @closure: the closure to run on each emission
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * The blocking form of [method@Comlink.Proxy.subscribe_async].
 *
 * Returns: the id of the subscription, or 0 on error
 *
 * Since: 0.1
 */
guint64
comlink_proxy_subscribe_sync (ComlinkProxy *self,
                              const char   *signal,
                              GClosure     *closure,
                              GCancellable *cancellable,
                              GError      **error)
{
  SyncCall sync;
  guint64  ret;

  g_return_val_if_fail (COMLINK_IS_PROXY (self), 0);

  sync_call_begin (self, &sync);
  comlink_proxy_subscribe_async (self, signal, closure, cancellable, sync_call_done, &sync);
  sync_call_wait (&sync);
  ret = comlink_proxy_subscribe_finish (self, sync.result, error);
  sync_call_end (&sync);

  return ret;
}

/**
 * comlink_proxy_unsubscribe:
 * @self: a #ComlinkProxy
 * @subscription: an id from [method@Comlink.Proxy.subscribe_finish]
 *
 * Ends a subscription: its closure is not run again, and the peer
 * disconnects its handler.
 *
 * Since: 0.1
 */
void
comlink_proxy_unsubscribe (ComlinkProxy *self,
                           guint64       subscription)
{
  g_autoptr(ComlinkConnection) connection = NULL;

  g_return_if_fail (COMLINK_IS_PROXY (self));

  if (!proxy_forget_subscription (self, subscription))
    return;

  connection = proxy_dup_connection (self, NULL);
  if (connection != NULL)
    _comlink_connection_unsubscribe (connection, subscription);
}

/**
 * comlink_proxy_create_endpoint_async:
 * @self: a #ComlinkProxy
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the endpoint exists
 * @user_data: data for @callback
 *
 * Asks the peer for a new endpoint connected to the object it exposes,
 * Comlink's `createEndpoint`. The endpoint can be wrapped into an
 * independent proxy, in any thread; releasing that proxy closes only the
 * new endpoint. A peer in this process (a thread worker, a channel) hands
 * out a port of a new channel; a peer across a Unix socket (a subprocess
 * worker) a [class@Comlink.StreamEndpoint] on a new socket. Other peers
 * fail with %COMLINK_ERROR_NOT_TRANSFERABLE.
 *
 * Since: 0.1
 */
void
comlink_proxy_create_endpoint_async (ComlinkProxy       *self,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  ComlinkConnection *connection;

  g_return_if_fail (COMLINK_IS_PROXY (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, comlink_proxy_create_endpoint_async);

  connection = proxy_dup_connection (self, &error);
  if (connection == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  _comlink_connection_request (connection, COMLINK_MESSAGE_ENDPOINT, 0, NULL, NULL, NULL, 0,
                               -1, proxy_get_own_timeout (self), task);
  _comlink_connection_unref_in_context (connection);
}

/**
 * comlink_proxy_create_endpoint_finish:
 * @self: a #ComlinkProxy
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Completes [method@Comlink.Proxy.create_endpoint_async].
 *
 * Returns: (transfer full) (nullable): the new endpoint
 *
 * Since: 0.1
 */
ComlinkEndpoint *
comlink_proxy_create_endpoint_finish (ComlinkProxy *self,
                                      GAsyncResult *result,
                                      GError      **error)
{
  return propagate_object (self, result, comlink_proxy_create_endpoint_async, COMLINK_TYPE_ENDPOINT, error);
}

/**
 * comlink_proxy_create_endpoint_sync:
 * @self: a #ComlinkProxy
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * The blocking form of [method@Comlink.Proxy.create_endpoint_async].
 *
 * Returns: (transfer full) (nullable): the new endpoint
 *
 * Since: 0.1
 */
ComlinkEndpoint *
comlink_proxy_create_endpoint_sync (ComlinkProxy *self,
                                    GCancellable *cancellable,
                                    GError      **error)
{
  SyncCall         sync;
  ComlinkEndpoint *ret;

  g_return_val_if_fail (COMLINK_IS_PROXY (self), NULL);

  sync_call_begin (self, &sync);
  comlink_proxy_create_endpoint_async (self, cancellable, sync_call_done, &sync);
  sync_call_wait (&sync);
  ret = comlink_proxy_create_endpoint_finish (self, sync.result, error);
  sync_call_end (&sync);

  return ret;
}

static void
describe_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  ComlinkProxy *self = COMLINK_PROXY (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GVariant) description = NULL;
  GError *error = NULL;
  GValue *value;

  value = _comlink_result_propagate_pointer (result, &error);
  if (value != NULL && G_VALUE_HOLDS (value, G_TYPE_VARIANT) && g_value_get_variant (value) != NULL)
    description = _comlink_wire_description_check (g_value_get_variant (value), &error);
  else if (error == NULL)
    g_set_error (&error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH,
                 _ ("The peer described the object with a %s, not a GVariant"),
                 value != NULL ? G_VALUE_TYPE_NAME (value) : "void");
  g_clear_pointer (&value, value_free);

  if (description == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  /* The first description that arrives stays */
  g_mutex_lock (&self->mutex);
  if (self->description == NULL)
    self->description = g_variant_ref (description);
  g_clear_pointer (&description, g_variant_unref);
  description = g_variant_ref (self->description);
  g_mutex_unlock (&self->mutex);

  g_task_return_pointer (task, g_steal_pointer (&description), (GDestroyNotify) g_variant_unref);
}

/**
 * comlink_proxy_describe_async:
 * @self: a #ComlinkProxy
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the description is there
 * @user_data: data for @callback
 *
 * Asks the peer what the remote object (or the object at the path @self
 * stands for) offers: its methods with the types of their arguments and
 * of their result, its properties with their types and whether they can
 * be read and written, and its signals with the types of their
 * parameters. [method@Comlink.Proxy.describe_finish] gives the
 * description.
 *
 * A plain #GObject is described from its class, by the rules it is
 * served by: its callable action signals, its properties that can be read
 * or written, its other signals. An object that implements
 * [iface@Comlink.Exposable] describes itself, as the Python and GJS
 * bindings do for the objects they expose; one that cannot fails with
 * %COMLINK_ERROR_NOT_SUPPORTED.
 *
 * @self keeps the first description it receives: later calls complete
 * with it, without a round trip, for as long as @self lives. Objects that
 * change what they offer are described as they were then.
 *
 * Since: 0.1
 */
void
comlink_proxy_describe_async (ComlinkProxy       *self,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) description = NULL;
  ComlinkConnection *connection;
  GTask             *request;

  g_return_if_fail (COMLINK_IS_PROXY (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, comlink_proxy_describe_async);

  connection = proxy_dup_connection (self, &error);
  if (connection == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  _comlink_connection_unref_in_context (connection);

  g_mutex_lock (&self->mutex);
  if (self->description != NULL)
    description = g_variant_ref (self->description);
  g_mutex_unlock (&self->mutex);
  if (description != NULL)
    {
      g_task_return_pointer (task, g_steal_pointer (&description), (GDestroyNotify) g_variant_unref);
      return;
    }

  /* The reply is checked and kept before the caller sees it */
  request = g_task_new (self, cancellable, describe_done, g_steal_pointer (&task));
  g_task_set_source_tag (request, describe_done);
  proxy_request (self, COMLINK_MESSAGE_DESCRIBE, NULL, NULL, NULL, 0, -1, request);
  g_object_unref (request);
}

/**
 * comlink_proxy_describe_finish:
 * @self: a #ComlinkProxy
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Completes [method@Comlink.Proxy.describe_async].
 *
 * The description is a `a{sv}` with these keys:
 *
 * - `type` (`s`): the name of the object's type (its #GType, or the
 *   class that a binding exposes);
 * - `methods` (`a(sass)`): for each method, its name, the type names of
 *   its arguments and the type name of its result (`void` for none);
 * - `properties` (`a(ssu)`): for each property, its name, its type name,
 *   and 1 if it can be read, 2 if it can be written, 3 for both;
 * - `signals` (`a(sas)`): for each signal that can be subscribed to
 *   ([method@Comlink.Proxy.subscribe_async]), its name and the type names
 *   of its parameters;
 * - `complete` (`b`): %FALSE if entries were left out, each list holding
 *   at most 1024 of them.
 *
 * Type names are #GType names; `any` names a type that is not declared,
 * as for the members of objects exposed from Python or JavaScript. Names
 * are as the object has them: the methods and properties of a #GObject
 * with dashes, which a call may also write with underscores.
 *
 * Returns: (transfer full): the description, or %NULL on error
 *
 * Since: 0.1
 */
GVariant *
comlink_proxy_describe_finish (ComlinkProxy *self,
                               GAsyncResult *result,
                               GError      **error)
{
  g_return_val_if_fail (_comlink_result_is_valid (result, self), NULL);
  g_return_val_if_fail (_comlink_result_get_source_tag (result) == comlink_proxy_describe_async, NULL);

  return _comlink_result_propagate_pointer (result, error);
}

/**
 * comlink_proxy_describe_sync:
 * @self: a #ComlinkProxy
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * The blocking form of [method@Comlink.Proxy.describe_async].
 *
 * Returns: (transfer full): the description, or %NULL on error
 *
 * Since: 0.1
 */
GVariant *
comlink_proxy_describe_sync (ComlinkProxy *self,
                             GCancellable *cancellable,
                             GError      **error)
{
  SyncCall  sync;
  GVariant *ret;

  g_return_val_if_fail (COMLINK_IS_PROXY (self), NULL);

  sync_call_begin (self, &sync);
  comlink_proxy_describe_async (self, cancellable, sync_call_done, &sync);
  sync_call_wait (&sync);
  ret = comlink_proxy_describe_finish (self, sync.result, error);
  sync_call_end (&sync);

  return ret;
}

/**
 * comlink_wrap:
 * @endpoint: a #ComlinkEndpoint
 *
 * Returns a proxy for the object that the peer of @endpoint exposes, the
 * counterpart of Comlink's `wrap()`. The endpoint gets a
 * [class@Comlink.Connection] if it has none yet (the same one that
 * [func@Comlink.expose] uses), bound to the thread-default main context.
 *
 * Calls made before the peer has exposed its object are queued.
 *
 * Returns: (transfer full): a new root proxy
 *
 * Since: 0.1
 */
ComlinkProxy *
comlink_wrap (ComlinkEndpoint *endpoint)
{
  g_return_val_if_fail (COMLINK_IS_ENDPOINT (endpoint), NULL);

  return comlink_connection_wrap (comlink_connection_get_for_endpoint (endpoint));
}

/**
 * comlink_connection_wrap:
 * @self: a #ComlinkConnection
 *
 * Returns a proxy for the object that the peer exposes.
 *
 * Returns: (transfer full): a new root proxy
 *
 * Since: 0.1
 */
ComlinkProxy *
comlink_connection_wrap (ComlinkConnection *self)
{
  ComlinkProxy *proxy;

  g_return_val_if_fail (COMLINK_IS_CONNECTION (self), NULL);

  proxy = _comlink_proxy_new (self, 0);
  _comlink_connection_register_proxy (self, &proxy->record);
  if (comlink_connection_is_closed (self))
    _comlink_proxy_defunct (proxy, _comlink_connection_get_close_error (self));

  return proxy;
}
