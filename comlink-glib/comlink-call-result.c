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
};

static void comlink_call_result_async_result_iface_init (GAsyncResultIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ComlinkCallResult, _comlink_call_result, G_TYPE_OBJECT, G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_RESULT, comlink_call_result_async_result_iface_init))

static void
comlink_call_result_finalize (GObject *object)
{
  ComlinkCallResult *self = COMLINK_CALL_RESULT (object);

  if (self->destroy != NULL && self->value != NULL)
    self->destroy (self->value);
  g_clear_error (&self->error);
  g_clear_object (&self->source_object);
  g_clear_object (&self->cancellable);
  g_main_context_unref (self->context);

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
}

static gpointer
comlink_call_result_get_user_data (GAsyncResult *result)
{
  return COMLINK_CALL_RESULT (result)->user_data;
}

static GObject *
comlink_call_result_get_source_object (GAsyncResult *result)
{
  ComlinkCallResult *self = COMLINK_CALL_RESULT (result);

  return self->source_object != NULL ? g_object_ref (self->source_object) : NULL;
}

static gboolean
comlink_call_result_is_tagged (GAsyncResult *result,
                               gpointer      source_tag)
{
  return COMLINK_CALL_RESULT (result)->source_tag == source_tag;
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
  ComlinkCallResult *self = g_object_new (COMLINK_TYPE_CALL_RESULT, NULL);

  self->source_object = source_object != NULL ? g_object_ref (source_object) : NULL;
  self->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  self->context = g_main_context_ref_thread_default ();
  self->callback = callback;
  self->user_data = user_data;
  self->source_tag = source_tag;

  return self;
}

static void
complete (ComlinkCallResult *self)
{
  if (self->callback != NULL)
    self->callback (self->source_object, G_ASYNC_RESULT (self), self->user_data);
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
    g_source_set_callback (source, complete_in_idle, g_object_ref (self), g_object_unref);
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

GCancellable *
_comlink_result_get_cancellable (gpointer result)
{
  if (is_call_result (result))
    return COMLINK_CALL_RESULT (result)->cancellable;
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

  cancellable = COMLINK_CALL_RESULT (result)->cancellable;
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
    return COMLINK_CALL_RESULT (result)->source_object == source_object;
  return g_task_is_valid (result, source_object);
}

gpointer
_comlink_result_get_source_tag (gpointer result)
{
  if (is_call_result (result))
    return COMLINK_CALL_RESULT (result)->source_tag;
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
