/* SPDX-License-Identifier: LGPL-2.1-or-later */

/**
 * ComlinkWorker:
 *
 * A worker and its connection: a thread that exposes an object, seen from
 * the thread that started it through a root [class@Comlink.Proxy].
 *
 * [ctor@Comlink.Worker.new_thread] starts a thread with its own
 * #GMainContext; a setup function, run in that thread, returns the object
 * to expose. Calls made while it starts are queued.
 *
 * [method@Comlink.Worker.terminate] ends the worker: before it returns,
 * every pending call has failed with %COMLINK_ERROR_TERMINATED, every
 * proxy of the worker is defunct, and the worker's side is told to close;
 * the worker's thread then cancels the requests it was serving, drops the
 * objects it exported, quits its loop and is joined from the main context
 * of the thread that created the worker, without blocking it. A thread
 * cannot be killed: a handler that never returns keeps its thread alive,
 * but nothing on this side waits for it.
 *
 * A worker whose side ends on its own (its setup failed, or it closed its
 * connection) moves to %COMLINK_WORKER_STATE_EXITED, fails every pending
 * call with %COMLINK_ERROR_WORKER_EXITED and emits
 * [signal@Comlink.Worker::exited] once.
 *
 * Lifetime: the worker holds its connection and root proxy; the thread
 * holds only a small shared record that the join frees. A worker that is
 * finalized while running is terminated. Create, use, terminate and
 * release a worker in one thread.
 *
 * Since: 1.0
 */

#include "config.h"

#include "comlink-channel.h"
#include "comlink-connection-private.h"
#include "comlink-enums.h"
#include "comlink-error.h"
#include "comlink-private.h"
#include "comlink-proxy-private.h"
#include "comlink-worker.h"

/* Shared by the worker and its thread; freed by the join */
typedef struct
{
  gatomicrefcount        ref_count;
  GMutex                 mutex;
  GThread               *thread;
  GMainContext          *owner_context;
  ComlinkEndpoint       *endpoint;
  ComlinkWorkerSetupFunc setup;
  gpointer               user_data;
  GDestroyNotify         destroy;
  GError                *exit_error;
} ThreadState;

struct _ComlinkWorker
{
  GObject parent_instance;

  char              *name;
  ComlinkEndpoint   *endpoint;
  ComlinkConnection *connection;
  ComlinkProxy      *proxy;
  ThreadState       *thread_state;
  gulong             closed_handler;
  gulong             ready_handler;
  ComlinkWorkerState state;
};

G_DEFINE_FINAL_TYPE (ComlinkWorker, comlink_worker, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_NAME,
  PROP_STATE,
  PROP_PROXY,
  PROP_CONNECTION,
  N_PROPS
};

enum
{
  EXITED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint       signals[N_SIGNALS];

static gboolean
do_nothing (gpointer data)
{
  return G_SOURCE_REMOVE;
}

static void
thread_state_unref (ThreadState *state)
{
  if (g_atomic_ref_count_dec (&state->ref_count))
    {
      g_main_context_unref (state->owner_context);
      g_clear_error (&state->exit_error);
      g_mutex_clear (&state->mutex);
      g_free (state);
    }
}

/* The last thing a worker thread asks of the thread that created it */
static void
thread_state_join (gpointer data)
{
  ThreadState *state = data;
  GThread     *thread;

  g_mutex_lock (&state->mutex);
  thread = g_steal_pointer (&state->thread);
  g_mutex_unlock (&state->mutex);

  g_thread_join (thread);
  thread_state_unref (state);
}

static void
on_thread_endpoint_closed (ComlinkEndpoint *endpoint,
                           const GError    *error,
                           gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

static gpointer
worker_thread_main (gpointer data)
{
  ThreadState  *state = data;
  GMainContext *context = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  ComlinkEndpoint *endpoint;
  GObject         *object;
  gboolean         closed = FALSE;
  gulong           handler;

  g_main_context_push_thread_default (context);

  endpoint = g_steal_pointer (&state->endpoint);
  handler = g_signal_connect (endpoint, "closed",
                              G_CALLBACK (on_thread_endpoint_closed), &closed);

  object = state->setup (state->user_data, &error);
  if (state->destroy != NULL)
    state->destroy (state->user_data);

  if (object != NULL)
    {
      comlink_expose (object, endpoint);
      g_object_unref (object);
    }
  else
    {
      g_mutex_lock (&state->mutex);
      if (error != NULL)
        state->exit_error = g_steal_pointer (&error);
      else
        state->exit_error = g_error_new_literal (COMLINK_ERROR, COMLINK_ERROR_FAILED,
                                                 _ ("The setup function returned no object"));
      g_mutex_unlock (&state->mutex);
      comlink_endpoint_close (endpoint);
    }

  while (!closed)
    g_main_context_iteration (context, TRUE);

  g_signal_handler_disconnect (endpoint, handler);
  g_object_unref (endpoint);

  /* Run what closing left behind (deferred unrefs, answers of abandoned
   * requests), so that everything is finalized in this thread. A source
   * that keeps itself ready forever does not hold the thread. */
  for (guint i = 0; i < 1000 && g_main_context_iteration (context, FALSE); i++)
    ;

  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);

  /* Not g_main_context_invoke(): it could run the join right here, in
   * the thread being joined. */
  {
    GSource *source = g_idle_source_new ();

    g_source_set_priority (source, G_PRIORITY_DEFAULT);
    g_source_set_static_name (source, "[comlink] join worker thread");
    g_source_set_callback (source, do_nothing, state, thread_state_join);
    g_source_attach (source, state->owner_context);
    g_source_unref (source);
  }

  return NULL;
}

static void
set_state (ComlinkWorker     *self,
           ComlinkWorkerState state)
{
  if (self->state == state)
    return;

  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
on_ready (ComlinkConnection *connection,
          GParamSpec        *pspec,
          gpointer           user_data)
{
  ComlinkWorker *self = user_data;

  if (self->state == COMLINK_WORKER_STATE_STARTING && comlink_connection_is_ready (connection))
    set_state (self, COMLINK_WORKER_STATE_RUNNING);
}

static void
disconnect_handlers (ComlinkWorker *self)
{
  g_clear_signal_handler (&self->closed_handler, self->endpoint);
  g_clear_signal_handler (&self->ready_handler, self->connection);
}

/* Runs before the connection's own handler, so that the calls fail with
 * the reason the worker knows. */
static void
on_endpoint_closed (ComlinkEndpoint *endpoint,
                    const GError    *reason,
                    gpointer         user_data)
{
  ComlinkWorker *self = user_data;
  g_autoptr(GError) error = NULL;

  g_object_ref (self);
  disconnect_handlers (self);

  g_mutex_lock (&self->thread_state->mutex);
  if (self->thread_state->exit_error != NULL)
    error = g_error_new (COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED,
                         _ ("The worker “%s” failed to start: %s"),
                         self->name, self->thread_state->exit_error->message);
  g_mutex_unlock (&self->thread_state->mutex);

  if (error == NULL)
    error = g_error_new (COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED,
                         _ ("The worker “%s” closed its side: %s"),
                         self->name, reason->message);

  set_state (self, COMLINK_WORKER_STATE_EXITED);
  _comlink_connection_close_with_error (self->connection, error);
  g_signal_emit (self, signals[EXITED], 0, error);
  g_object_unref (self);
}

static void
comlink_worker_dispose (GObject *object)
{
  ComlinkWorker *self = COMLINK_WORKER (object);

  if (self->connection != NULL)
    comlink_worker_terminate (self);

  G_OBJECT_CLASS (comlink_worker_parent_class)->dispose (object);
}

static void
comlink_worker_finalize (GObject *object)
{
  ComlinkWorker *self = COMLINK_WORKER (object);

  g_clear_object (&self->proxy);
  g_clear_object (&self->connection);
  g_clear_pointer (&self->thread_state, thread_state_unref);
  g_clear_object (&self->endpoint);
  g_free (self->name);

  G_OBJECT_CLASS (comlink_worker_parent_class)->finalize (object);
}

static void
comlink_worker_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  ComlinkWorker *self = COMLINK_WORKER (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_PROXY:
      g_value_set_object (value, self->proxy);
      break;

    case PROP_CONNECTION:
      g_value_set_object (value, self->connection);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
comlink_worker_class_init (ComlinkWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  _comlink_init_i18n ();

  object_class->dispose = comlink_worker_dispose;
  object_class->finalize = comlink_worker_finalize;
  object_class->get_property = comlink_worker_get_property;

  /**
   * ComlinkWorker:name:
   *
   * The name of the worker, used for its thread and in error messages.
   *
   * Since: 1.0
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkWorker:state:
   *
   * Where the worker is in its life cycle.
   *
   * Since: 1.0
   */
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       COMLINK_TYPE_WORKER_STATE,
                       COMLINK_WORKER_STATE_STARTING,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkWorker:proxy:
   *
   * The root proxy: it stands for the object the worker exposes.
   *
   * Since: 1.0
   */
  properties[PROP_PROXY] =
    g_param_spec_object ("proxy", NULL, NULL,
                         COMLINK_TYPE_PROXY,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkWorker:connection:
   *
   * This side's connection to the worker.
   *
   * Since: 1.0
   */
  properties[PROP_CONNECTION] =
    g_param_spec_object ("connection", NULL, NULL,
                         COMLINK_TYPE_CONNECTION,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * ComlinkWorker::exited:
   * @self: the worker
   * @error: why the worker ended, in the %COMLINK_ERROR_WORKER_EXITED code
   *
   * Emitted once when the worker ends on its own, after every pending
   * call has failed with @error. Not emitted by
   * [method@Comlink.Worker.terminate].
   *
   * Since: 1.0
   */
  signals[EXITED] =
    g_signal_new ("exited",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  g_cclosure_marshal_VOID__BOXED,
                  G_TYPE_NONE, 1, G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
comlink_worker_init (ComlinkWorker *self)
{
  self->state = COMLINK_WORKER_STATE_STARTING;
}

/**
 * comlink_worker_new_thread:
 * @name: (nullable): a name for the worker and its thread
 * @setup: (scope notified): returns the object to expose; runs in the new
 *   thread
 * @user_data: data for @setup
 * @destroy: (nullable): frees @user_data, in the new thread, after @setup
 *
 * Starts a thread worker. The thread gets its own #GMainContext, runs
 * @setup in it and exposes the object @setup returns. The worker's proxy
 * lives in the thread-default main context of the calling thread.
 *
 * If @setup fails, the worker moves to %COMLINK_WORKER_STATE_EXITED and
 * every call fails with %COMLINK_ERROR_WORKER_EXITED, whose message
 * includes the setup's error.
 *
 * Returns: (transfer full): a new #ComlinkWorker
 *
 * Since: 1.0
 */
ComlinkWorker *
comlink_worker_new_thread (const char            *name,
                           ComlinkWorkerSetupFunc setup,
                           gpointer               user_data,
                           GDestroyNotify         destroy)
{
  g_autoptr(ComlinkChannel) channel = NULL;
  ComlinkWorker *self;
  ThreadState   *state;

  g_return_val_if_fail (setup != NULL, NULL);

  self = g_object_new (COMLINK_TYPE_WORKER, NULL);
  self->name = g_strdup (name ? name : "comlink-worker");

  channel = comlink_channel_new ();
  self->endpoint = g_object_ref (comlink_channel_get_port1 (channel));

  state = g_new0 (ThreadState, 1);
  /* One reference for the worker, one for the thread */
  g_atomic_ref_count_init (&state->ref_count);
  g_atomic_ref_count_inc (&state->ref_count);
  g_mutex_init (&state->mutex);
  state->owner_context = g_main_context_ref_thread_default ();
  state->endpoint = g_object_ref (comlink_channel_get_port2 (channel));
  state->setup = setup;
  state->user_data = user_data;
  state->destroy = destroy;
  self->thread_state = state;

  /* Connected first, so that it runs before the connection's handler */
  self->closed_handler = g_signal_connect (self->endpoint, "closed",
                                           G_CALLBACK (on_endpoint_closed), self);
  self->connection = g_object_ref (comlink_connection_get_for_endpoint (self->endpoint));
  self->ready_handler = g_signal_connect (self->connection, "notify::ready",
                                          G_CALLBACK (on_ready), self);
  self->proxy = comlink_connection_wrap (self->connection);

  g_mutex_lock (&state->mutex);
  state->thread = g_thread_new (self->name, worker_thread_main, state);
  g_mutex_unlock (&state->mutex);

  return self;
}

/**
 * comlink_worker_get_proxy:
 * @self: a #ComlinkWorker
 *
 * Returns: (transfer none): the root proxy, which stands for the object
 *   the worker exposes
 *
 * Since: 1.0
 */
ComlinkProxy *
comlink_worker_get_proxy (ComlinkWorker *self)
{
  g_return_val_if_fail (COMLINK_IS_WORKER (self), NULL);

  return self->proxy;
}

/**
 * comlink_worker_get_connection:
 * @self: a #ComlinkWorker
 *
 * Returns: (transfer none): this side's connection to the worker
 *
 * Since: 1.0
 */
ComlinkConnection *
comlink_worker_get_connection (ComlinkWorker *self)
{
  g_return_val_if_fail (COMLINK_IS_WORKER (self), NULL);

  return self->connection;
}

/**
 * comlink_worker_get_state:
 * @self: a #ComlinkWorker
 *
 * Returns: where @self is in its life cycle
 *
 * Since: 1.0
 */
ComlinkWorkerState
comlink_worker_get_state (ComlinkWorker *self)
{
  g_return_val_if_fail (COMLINK_IS_WORKER (self), COMLINK_WORKER_STATE_TERMINATED);

  return self->state;
}

/**
 * comlink_worker_get_name:
 * @self: a #ComlinkWorker
 *
 * Returns: the name of @self
 *
 * Since: 1.0
 */
const char *
comlink_worker_get_name (ComlinkWorker *self)
{
  g_return_val_if_fail (COMLINK_IS_WORKER (self), NULL);

  return self->name;
}

/**
 * comlink_worker_get_timeout:
 * @self: a #ComlinkWorker
 *
 * Returns: the default timeout of calls to the worker, in milliseconds;
 *   0 for none
 *
 * Since: 1.0
 */
guint
comlink_worker_get_timeout (ComlinkWorker *self)
{
  g_return_val_if_fail (COMLINK_IS_WORKER (self), 0);

  return comlink_connection_get_timeout (self->connection);
}

/**
 * comlink_worker_set_timeout:
 * @self: a #ComlinkWorker
 * @timeout_msec: a timeout in milliseconds; 0 for none
 *
 * Sets the default timeout of calls made through the proxies of the
 * worker that have none of their own: see
 * [property@Comlink.Connection:timeout].
 *
 * Since: 1.0
 */
void
comlink_worker_set_timeout (ComlinkWorker *self,
                            guint          timeout_msec)
{
  g_return_if_fail (COMLINK_IS_WORKER (self));

  comlink_connection_set_timeout (self->connection, timeout_msec);
}

/**
 * comlink_worker_terminate:
 * @self: a #ComlinkWorker
 *
 * Ends the worker. When it returns, @self is in state
 * %COMLINK_WORKER_STATE_TERMINATED, every call pending on it has failed
 * with %COMLINK_ERROR_TERMINATED (the callbacks are dispatched to their
 * contexts as usual), and every proxy of it is defunct: a later call fails
 * at once with %COMLINK_ERROR_TERMINATED. The requests the worker was
 * serving see their cancellables cancelled. It never blocks.
 *
 * Terminating a worker that already ended does nothing.
 *
 * Since: 1.0
 */
void
comlink_worker_terminate (ComlinkWorker *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (COMLINK_IS_WORKER (self));

  if (self->state == COMLINK_WORKER_STATE_EXITED ||
      self->state == COMLINK_WORKER_STATE_TERMINATED)
    return;

  g_object_ref (self);
  disconnect_handlers (self);
  set_state (self, COMLINK_WORKER_STATE_TERMINATED);

  error = g_error_new (COMLINK_ERROR, COMLINK_ERROR_TERMINATED,
                       _ ("The worker “%s” was terminated"), self->name);
  _comlink_connection_close_with_error (self->connection, error);
  g_object_unref (self);
}
