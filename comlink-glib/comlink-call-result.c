/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The result of a remote call.
 *
 * A call needs of a GAsyncResult its source object, its callback, its
 * value or error, and its cancellable: a GTask carries much more (a name,
 * a priority, a thread pool, the "completed" property, the thread-default
 * context pushed around the callback) and costs a large part of a call.
 * This is the rest. Other requests (properties, construction, signals)
 * keep GTasks; the _comlink_result_*() functions take either.
 */

#include "config.h"

#include "comlink-call-result-private.h"

struct _ComlinkCallResult
{
  GObject parent_instance;

  GObject            *source_object; /* owned */
  GCancellable       *cancellable;   /* owned, or NULL */
  GMainContext       *context;       /* owned: the caller's thread-default */
  GAsyncReadyCallback callback;
  gpointer            user_data;
  gpointer            source_tag;

  gpointer       value; /* owned through destroy */
  GDestroyNotify destroy;
  GError        *error;        /* owned */
  guint          started : 1;  /* the _async function returned */
  guint          returned : 1; /* a value or an error was given */
  guint          propagated : 1;

  ComlinkCallResult *next_spare; /* in its thread's spares */
};

/* Results a thread let go of with nothing attached to them, made anew for
 * its next calls: in GLib 2.74 making and finalizing a GObject costs more
 * than the rest of the caller's side of a call. A result is a spare only
 * when its last reference goes and no weak reference, toggle reference or
 * data is set on it; it holds nothing then. A thread's spares are
 * finalized when it exits; those of the main thread, or of a thread that
 * never calls again, stay (at most MAX_SPARES, a few hundred bytes). */
#define MAX_SPARES 16

typedef struct
{
  ComlinkCallResult *first;
  guint              n;
} Spares;

static void spares_free (gpointer data);

static GPrivate spares_key = G_PRIVATE_INIT (spares_free);

static gint n_alive; /* for the tests */

static void comlink_call_result_async_result_iface_init (GAsyncResultIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ComlinkCallResult, _comlink_call_result, G_TYPE_OBJECT, G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_RESULT, comlink_call_result_async_result_iface_init))

/* Lets go of all that @self holds */
static void
comlink_call_result_clear (ComlinkCallResult *self)
{
  if (self->destroy != NULL && self->value != NULL)
    self->destroy (self->value);
  self->value = NULL;
  self->destroy = NULL;
  g_clear_error (&self->error);
  g_clear_object (&self->source_object);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->context, g_main_context_unref);
}

static void
comlink_call_result_finalize (GObject *object)
{
  comlink_call_result_clear ((ComlinkCallResult *) object);
  g_atomic_int_add (&n_alive, -1);

  G_OBJECT_CLASS (_comlink_call_result_parent_class)->finalize (object);
}

static void
_comlink_call_result_class_init (ComlinkCallResultClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = comlink_call_result_finalize;
}

static void
_comlink_call_result_init (ComlinkCallResult *self)
{
  g_atomic_int_inc (&n_alive);
}

/* How many results are alive in the process, spares included */
guint
_comlink_call_result_count_alive (void)
{
  return g_atomic_int_get (&n_alive);
}

static gpointer
comlink_call_result_get_user_data (GAsyncResult *result)
{
  return ((ComlinkCallResult *) result)->user_data;
}

static GObject *
comlink_call_result_get_source_object (GAsyncResult *result)
{
  ComlinkCallResult *self = (ComlinkCallResult *) result;

  return self->source_object != NULL ? g_object_ref (self->source_object) : NULL;
}

static gboolean
comlink_call_result_is_tagged (GAsyncResult *result,
                               gpointer      source_tag)
{
  return ((ComlinkCallResult *) result)->source_tag == source_tag;
}

static void
comlink_call_result_async_result_iface_init (GAsyncResultIface *iface)
{
  iface->get_user_data = comlink_call_result_get_user_data;
  iface->get_source_object = comlink_call_result_get_source_object;
  iface->is_tagged = comlink_call_result_is_tagged;
}

ComlinkCallResult *
_comlink_call_result_new (gpointer            source_object,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data,
                          gpointer            source_tag)
{
  Spares            *spares = g_private_get (&spares_key);
  ComlinkCallResult *self;

  if (spares != NULL && spares->first != NULL)
    {
      self = spares->first;
      spares->first = self->next_spare;
      spares->n--;
      self->next_spare = NULL;
    }
  else
    self = g_object_new (COMLINK_TYPE_CALL_RESULT, NULL);

  self->source_object = source_object != NULL ? g_object_ref (source_object) : NULL;
  self->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  self->context = g_main_context_ref_thread_default ();
  self->callback = callback;
  self->user_data = user_data;
  self->source_tag = source_tag;

  return self;
}

static void
spares_free (gpointer data)
{
  Spares *spares = data;

  while (spares->first != NULL)
    {
      ComlinkCallResult *spare = spares->first;

      spares->first = spare->next_spare;
      g_object_unref (spare);
    }
  g_free (spares);
}

/* Drops a reference to @self, keeping it for the thread's next call when
 * it is the last and nothing is attached to it: no weak or toggle
 * reference, no data (a binding's wrapper sets some), and any signal
 * handler goes as it would with the object */
void
_comlink_call_result_release (ComlinkCallResult *self)
{
  GObject *object = (GObject *) self;
  Spares  *spares;

  if (g_atomic_int_get (&object->ref_count) != 1 || g_atomic_pointer_get (&object->qdata) != NULL)
    {
      g_object_unref (self);
      return;
    }

  spares = g_private_get (&spares_key);
  if (spares == NULL)
    {
      spares = g_new0 (Spares, 1);
      g_private_set (&spares_key, spares);
    }
  if (spares->n >= MAX_SPARES)
    {
      g_object_unref (self);
      return;
    }

  g_signal_handlers_destroy (self);
  comlink_call_result_clear (self);
  self->callback = NULL;
  self->user_data = NULL;
  self->source_tag = NULL;
  self->started = FALSE;
  self->returned = FALSE;
  self->propagated = FALSE;

  self->next_spare = spares->first;
  spares->first = self;
  spares->n++;
}

static void
release (gpointer data)
{
  _comlink_call_result_release (data);
}

static void
complete (ComlinkCallResult *self)
{
  if (self->callback != NULL)
    self->callback (self->source_object, (GAsyncResult *) self, self->user_data);
}

static gboolean
complete_in_idle (gpointer data)
{
  complete (data);
  return G_SOURCE_REMOVE;
}

/* Completes @self, now or from an idle of its context */
static void
deliver (ComlinkCallResult *self)
{
  GMainContext *current;

  if (self->started)
    {
      current = g_main_context_get_thread_default ();
      if (current == NULL)
        current = g_main_context_default ();
      if (current == self->context && g_main_context_is_owner (current))
        {
          g_object_ref (self);
          complete (self);
          g_object_unref (self);
          return;
        }
    }

  {
    GSource *source = g_idle_source_new ();

    g_source_set_priority (source, G_PRIORITY_DEFAULT);
    g_source_set_static_name (source, "[comlink] call result");
    g_source_set_callback (source, complete_in_idle, g_object_ref (self), release);
    g_source_attach (source, self->context);
    g_source_unref (source);
  }
}

/* The _async function that made @self returned: a result given from now
 * on may complete it at once */
void
_comlink_call_result_started (ComlinkCallResult *self)
{
  self->started = TRUE;
}

static gboolean
is_call_result (gpointer result)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (result, COMLINK_TYPE_CALL_RESULT);
}

/* Drops the connection's reference to the result of a request */
void
_comlink_result_release (gpointer result)
{
  if (is_call_result (result))
    _comlink_call_result_release (result);
  else
    g_object_unref (result);
}

GCancellable *
_comlink_result_get_cancellable (gpointer result)
{
  if (is_call_result (result))
    return ((ComlinkCallResult *) result)->cancellable;
  return g_task_get_cancellable (G_TASK (result));
}

void
_comlink_result_return_pointer (gpointer       result,
                                gpointer       value,
                                GDestroyNotify destroy)
{
  ComlinkCallResult *self;

  if (!is_call_result (result))
    {
      g_task_return_pointer (G_TASK (result), value, destroy);
      return;
    }

  self = result;
  g_return_if_fail (!self->returned);
  self->returned = TRUE;
  self->value = value;
  self->destroy = destroy;
  deliver (self);
}

void
_comlink_result_return_error (gpointer result,
                              GError  *error)
{
  ComlinkCallResult *self;

  if (!is_call_result (result))
    {
      g_task_return_error (G_TASK (result), error);
      return;
    }

  self = result;
  g_return_if_fail (!self->returned);
  self->returned = TRUE;
  self->error = error;
  deliver (self);
}

gboolean
_comlink_result_return_error_if_cancelled (gpointer result)
{
  GCancellable *cancellable;
  GError       *error = NULL;

  if (!is_call_result (result))
    return g_task_return_error_if_cancelled (G_TASK (result));

  cancellable = ((ComlinkCallResult *) result)->cancellable;
  if (!g_cancellable_set_error_if_cancelled (cancellable, &error))
    return FALSE;
  _comlink_result_return_error (result, error);
  return TRUE;
}

/* As g_task_is_valid() */
gboolean
_comlink_result_is_valid (gpointer result,
                          gpointer source_object)
{
  if (is_call_result (result))
    return ((ComlinkCallResult *) result)->source_object == source_object;
  return g_task_is_valid (result, source_object);
}

gpointer
_comlink_result_get_source_tag (gpointer result)
{
  if (is_call_result (result))
    return ((ComlinkCallResult *) result)->source_tag;
  return g_task_get_source_tag (G_TASK (result));
}

/* As g_task_propagate_pointer(): the value, once; an error; or
 * G_IO_ERROR_CANCELLED when the cancellable fired */
gpointer
_comlink_result_propagate_pointer (gpointer result,
                                   GError **error)
{
  ComlinkCallResult *self;
  gpointer           value;

  if (!is_call_result (result))
    return g_task_propagate_pointer (G_TASK (result), error);

  self = result;
  g_return_val_if_fail (self->returned && !self->propagated, NULL);
  self->propagated = TRUE;

  if (g_cancellable_set_error_if_cancelled (self->cancellable, error))
    return NULL;
  if (self->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&self->error));
      return NULL;
    }

  value = g_steal_pointer (&self->value);
  self->destroy = NULL;
  return value;
}
