/* SPDX-License-Identifier: LGPL-2.1-or-later */

/**
 * ComlinkWorkerPool:
 *
 * N workers of one kind, thread or subprocess, that expose the same
 * object, behind one call API: [method@Comlink.WorkerPool.call_async]
 * and its forms work as [method@Comlink.Proxy.call_async] does on one
 * worker.
 *
 * Each call goes to the worker with the fewest calls in flight (ties go
 * round robin), as long as that worker has fewer than
 * [property@Comlink.WorkerPool:max-calls-per-worker] (1 by default, for
 * CPU-bound work). Beyond that, calls wait in a queue, first in first
 * out, of at most [property@Comlink.WorkerPool:max-queued] calls (1024 by
 * default); a call past it fails at once with
 * %COMLINK_ERROR_LIMIT_EXCEEDED. Cancelling a queued call removes it from
 * the queue and completes it with %G_IO_ERROR_CANCELLED at once; a
 * running one is cancelled as a proxy's call is.
 *
 * [method@Comlink.WorkerPool.terminate] ends the pool as
 * [method@Comlink.Worker.terminate] ends a worker: before it returns,
 * every queued and running call has failed with %COMLINK_ERROR_TERMINATED
 * and every worker is terminated; their threads are joined and their
 * children reaped afterwards, without blocking.
 *
 * A worker that exits or crashes fails its running calls with
 * %COMLINK_ERROR_WORKER_EXITED, as a lone worker does; the pool emits
 * [signal@Comlink.WorkerPool::worker-exited] and starts a new worker in
 * its place, and the queued calls go on to the others and to the new
 * one. Replacements are limited to
 * [property@Comlink.WorkerPool:respawn-limit] within
 * [property@Comlink.WorkerPool:respawn-interval] (5 in 10 seconds by
 * default, as systemd restarts a service): past that, the pool stops
 * replacing workers and emits [signal@Comlink.WorkerPool::respawn-stopped].
 * When its last worker is gone, it moves to
 * %COMLINK_WORKER_POOL_STATE_EXITED, fails its queued calls with
 * %COMLINK_ERROR_WORKER_EXITED and fails every later call at once.
 *
 * Lifetime: the pool holds its workers and the queued calls; a call in
 * flight holds the pool, as every GIO asynchronous operation holds its
 * source object, so terminate a pool whose calls may never answer. A pool
 * that is disposed is terminated. The pool lives in the thread-default
 * main context of the thread that created it, where its workers are
 * created and their results arrive: create, use, terminate and release it
 * in one thread, whose main context runs. Its calls' callbacks run in the
 * thread-default main context of the caller, as with every GIO call;
 * calls may be cancelled from any thread.
 *
 * Tiles of an image rendered by as many thread workers as there are
 * CPUs, each with a renderer of its own:
 *
 * |[<!-- language="C" -->
 * static GObject *
 * make_renderer (gpointer user_data, GError **error)
 * {
 *   return g_object_new (MY_TYPE_RENDERER, NULL);
 * }
 *
 * static void
 * on_tile_done (GObject *source, GAsyncResult *result, gpointer user_data)
 * {
 *   g_autoptr(GError) error = NULL;
 *   g_autoptr(GVariant) tile = comlink_worker_pool_call_variant_finish (COMLINK_WORKER_POOL (source),
 *                                                                       result, &error);
 *
 *   if (tile == NULL)
 *     g_warning ("A tile failed: %s", error->message); // TERMINATED, WORKER_EXITED, ...
 * }
 *
 * g_autoptr(ComlinkWorkerPool) pool = comlink_worker_pool_new_thread ("renderer", 0, make_renderer,
 *                                                                     NULL, NULL);
 *
 * for (int i = 0; i < n_tiles; i++)
 *   comlink_worker_pool_call_variant_async (pool, "render", g_variant_new ("(i)", i), NULL,
 *                                           on_tile_done, NULL);
 * ]|
 *
 * See also: [Worker pools](worker-pool.html),
 * [Lifetimes and threads](lifecycle.html),
 * [Cancellation and timeouts](cancellation.html).
 *
 * Since: 0.1
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "comlink-connection-private.h"
#include "comlink-enums.h"
#include "comlink-error.h"
#include "comlink-private.h"
#include "comlink-proxy-private.h"
#include "comlink-worker-pool.h"
#include "comlink-worker-private.h"

#define DEFAULT_MAX_QUEUED 1024
#define DEFAULT_MAX_CALLS_PER_WORKER 1
#define DEFAULT_RESPAWN_LIMIT 5
#define DEFAULT_RESPAWN_INTERVAL 10000

/* The setup function of a thread pool, shared by its workers: each holds
 * a reference until its setup ran, the pool one until it ends */
typedef struct
{
  gatomicrefcount        ref_count;
  ComlinkWorkerSetupFunc func;
  gpointer               user_data;
  GDestroyNotify         destroy;
} Setup;

typedef struct _PoolWorker PoolWorker;

/* A worker of the pool, with the calls it runs */
struct _PoolWorker
{
  ComlinkWorkerPool *pool;
  ComlinkWorker     *worker;
  guint              in_flight;
  GQueue             running;
  gulong             exited_handler;
};

typedef enum
{
  CALL_QUEUED,
  CALL_RUNNING,
  CALL_ENDING, /* taken from its worker by terminate, about to complete */
  CALL_DONE,
} CallState;

/* One call, from the caller to its completion. The pool's thread alone
 * changes it; the handler of its cancellable, which may run in another
 * thread, reads only what never changes. Held by the queue while queued,
 * by the callback of the worker's call while running, and by its
 * cancellable's handler while connected. */
typedef struct
{
  gatomicrefcount ref_count;
  CallState       state;
  GTask          *task; /* until it completes */
  GList           link; /* in the queue, or in its worker's running calls */
  PoolWorker     *worker;
  char           *method; /* and the arguments: while queued */
  GValue         *args;
  guint           n_args;
  guint           timeout_msec;
  gint64          deadline; /* monotonic, 0 for none */
  GSource        *timeout_source;
  GCancellable   *cancellable;
  gulong          cancelled_id;
  GMainContext   *context; /* the pool's */
  GThread        *thread;  /* the pool's */
} PoolCall;

struct _ComlinkWorkerPool
{
  GObject parent_instance;

  char                  *name;
  GMainContext          *context;
  GThread               *thread;
  ComlinkWorkerPoolState state;
  guint                  n_workers;
  GPtrArray             *workers; /* of PoolWorker */
  guint                  next;    /* where the round robin goes on */
  guint                  n_busy;
  GQueue                 queue;
  GError                *exit_error; /* once the last worker is gone */

  /* What makes a worker: a setup function, or a command line */
  Setup               *setup;
  guint                n_made;
  GSubprocessLauncher *launcher;
  char               **argv;
  int                  launcher_fd; /* the descriptor the launcher passes as 3 */

  guint   max_queued;
  guint   max_calls_per_worker;
  guint   respawn_limit;
  guint   respawn_interval;
  guint   respawn_stopped : 1;
  GArray *respawn_times; /* gint64, monotonic, oldest first */

  /* What the last notifications said */
  guint notified_busy;
  guint notified_queued;
};

G_DEFINE_FINAL_TYPE (ComlinkWorkerPool, comlink_worker_pool, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_NAME,
  PROP_N_WORKERS,
  PROP_STATE,
  PROP_N_BUSY,
  PROP_N_QUEUED,
  PROP_MAX_QUEUED,
  PROP_MAX_CALLS_PER_WORKER,
  PROP_RESPAWN_LIMIT,
  PROP_RESPAWN_INTERVAL,
  PROP_RESPAWN_STOPPED,
  N_PROPS
};

enum
{
  WORKER_EXITED,
  RESPAWN_STOPPED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint       signals[N_SIGNALS];

static void dispatch_queue (ComlinkWorkerPool *self);

/* --- Setup --- */

static Setup *
setup_ref (Setup *setup)
{
  g_atomic_ref_count_inc (&setup->ref_count);
  return setup;
}

/* The last reference may go in a worker's thread */
static void
setup_unref (gpointer data)
{
  Setup *setup = data;

  if (g_atomic_ref_count_dec (&setup->ref_count))
    {
      if (setup->destroy != NULL)
        setup->destroy (setup->user_data);
      g_free (setup);
    }
}

static GObject *
setup_run (gpointer data,
           GError **error)
{
  Setup *setup = data;

  return setup->func (setup->user_data, error);
}

/* --- Calls --- */

static PoolCall *
pool_call_ref (PoolCall *call)
{
  g_atomic_ref_count_inc (&call->ref_count);
  return call;
}

static void
pool_call_unref (gpointer data)
{
  PoolCall *call = data;

  if (!g_atomic_ref_count_dec (&call->ref_count))
    return;

  g_assert (call->task == NULL);
  g_assert (call->timeout_source == NULL);
  g_assert (call->cancelled_id == 0);
  _comlink_args_free (call->args, call->n_args);
  g_free (call->method);
  g_clear_object (&call->cancellable);
  g_main_context_unref (call->context);
  g_free (call);
}

typedef struct
{
  GCancellable *cancellable;
  gulong        handler;
} Disconnect;

static gboolean
disconnect_later (gpointer data)
{
  Disconnect *disconnect = data;

  g_cancellable_disconnect (disconnect->cancellable, disconnect->handler);
  g_object_unref (disconnect->cancellable);
  g_free (disconnect);

  return G_SOURCE_REMOVE;
}

/* The call leaves the queue: its timeout and its cancellable's handler
 * go. g_cancellable_disconnect() deadlocks inside the emission of
 * ::cancelled, where a cancelled call may be: then it is left to an
 * idle. */
static void
call_stop_watching (PoolCall *call)
{
  if (call->timeout_source != NULL)
    {
      g_source_destroy (call->timeout_source);
      g_clear_pointer (&call->timeout_source, g_source_unref);
    }

  if (call->cancelled_id == 0)
    return;

  if (!g_cancellable_is_cancelled (call->cancellable))
    g_cancellable_disconnect (call->cancellable, call->cancelled_id);
  else
    {
      Disconnect *disconnect = g_new0 (Disconnect, 1);
      GSource    *source = g_idle_source_new ();

      disconnect->cancellable = g_object_ref (call->cancellable);
      disconnect->handler = call->cancelled_id;
      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_static_name (source, "[comlink] disconnect cancellable");
      g_source_set_callback (source, disconnect_later, disconnect, NULL);
      g_source_attach (source, call->context);
      g_source_unref (source);
    }
  call->cancelled_id = 0;
}

static void
value_free (gpointer value)
{
  g_boxed_free (G_TYPE_VALUE, value);
}

/* Completes @call, exactly once: with @value (taken; NULL for nothing)
 * or, if set, @error (taken). The caller holds a reference to the pool:
 * the callback may run now and drop the caller's. */
static void
call_complete (PoolCall *call,
               GValue   *value,
               GError   *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&call->task);

  g_assert (task != NULL);
  call->state = CALL_DONE;

  if (error != NULL)
    {
      if (value != NULL)
        value_free (value);
      g_task_return_error (task, error);
    }
  else
    g_task_return_pointer (task, value, value != NULL ? value_free : NULL);
}

/* Calls that end before they reach a worker: @calls holds references,
 * which are dropped */
static void
complete_calls_with_error (GQueue       *calls,
                           const GError *error)
{
  PoolCall *call;

  while ((call = g_queue_pop_head (calls)) != NULL)
    {
      if (call->state != CALL_DONE)
        call_complete (call, NULL, g_error_copy (error));
      pool_call_unref (call);
    }
}

static void
notify_counts (ComlinkWorkerPool *self)
{
  if (self->notified_busy != self->n_busy)
    {
      self->notified_busy = self->n_busy;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_BUSY]);
    }
  if (self->notified_queued != self->queue.length)
    {
      self->notified_queued = self->queue.length;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_QUEUED]);
    }
}

static void
set_state (ComlinkWorkerPool     *self,
           ComlinkWorkerPoolState state)
{
  if (self->state == state)
    return;

  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/* Pushes the pool's context as the thread-default one, if it is not:
 * the workers are made, and their results arrive, there */
static gboolean
enter_context (ComlinkWorkerPool *self)
{
  GMainContext *current = g_main_context_get_thread_default ();

  if ((current != NULL ? current : g_main_context_default ()) == self->context)
    return FALSE;

  g_main_context_push_thread_default (self->context);
  return TRUE;
}

static void
leave_context (ComlinkWorkerPool *self,
               gboolean           entered)
{
  if (entered)
    g_main_context_pop_thread_default (self->context);
}

/* The call's worker answered (or failed it). Its callback may come
 * before the pool knows that the worker exited, while the worker fails
 * its calls, or after. */
static void
on_worker_call_done (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  PoolCall *call = user_data;
  GError   *error = NULL;
  GValue   *value = _comlink_proxy_propagate_result (COMLINK_PROXY (source), result, &error);

  if (call->state == CALL_RUNNING)
    {
      ComlinkWorkerPool *self = g_object_ref (g_task_get_source_object (call->task));
      PoolWorker        *worker = call->worker;

      /* A worker that exited left its calls to their callbacks */
      if (worker != NULL)
        {
          g_queue_unlink (&worker->running, &call->link);
          call->worker = NULL;
          if (--worker->in_flight == 0)
            self->n_busy--;
        }

      _comlink_task_copy_error_details (call->task, result);

      /* The freed place goes to the queue first, before the callback may
       * make a call of its own */
      dispatch_queue (self);
      call_complete (call, value, error);
      notify_counts (self);
      g_object_unref (self);
    }
  else
    {
      if (value != NULL)
        value_free (value);
      g_clear_error (&error);
    }

  pool_call_unref (call);
}

static void
call_start (ComlinkWorkerPool *self,
            PoolWorker        *worker,
            PoolCall          *call,
            const char        *method,
            const GValue      *args,
            guint              n_args)
{
  gint     timeout_msec = -1;
  gboolean entered;

  call->state = CALL_RUNNING;
  call->worker = worker;
  g_queue_push_tail_link (&worker->running, &call->link);
  if (worker->in_flight++ == 0)
    self->n_busy++;

  /* The time the call waited in the queue counts */
  if (call->deadline != 0)
    {
      gint64 left = call->deadline - g_get_monotonic_time ();

      timeout_msec = (gint) CLAMP ((left + 999) / 1000, 1, G_MAXINT);
    }

  entered = enter_context (self);
  comlink_proxy_call_full_async (comlink_worker_get_proxy (worker->worker),
                                 method, args, n_args, timeout_msec,
                                 call->cancellable, on_worker_call_done, pool_call_ref (call));
  leave_context (self, entered);
}

/* The worker with the fewest calls in flight that may take one more, the
 * first in round-robin order among equals; NULL when all are full */
static PoolWorker *
pick_worker (ComlinkWorkerPool *self)
{
  PoolWorker *best = NULL;
  guint       n = self->workers->len;
  guint       best_index = 0;

  for (guint k = 0; k < n; k++)
    {
      guint       i = (self->next + k) % n;
      PoolWorker *worker = g_ptr_array_index (self->workers, i);

      if (self->max_calls_per_worker != 0 && worker->in_flight >= self->max_calls_per_worker)
        continue;
      /* One that is exiting, and fails its calls now */
      if (comlink_worker_get_state (worker->worker) >= COMLINK_WORKER_STATE_EXITED)
        continue;
      if (best == NULL || worker->in_flight < best->in_flight)
        {
          best = worker;
          best_index = i;
          if (worker->in_flight == 0)
            break;
        }
    }

  if (best != NULL)
    self->next = (best_index + 1) % n;

  return best;
}

/* Starts queued calls while workers have room. A call whose cancellable
 * fired in another thread, and whose handler has not reached this thread
 * yet, completes now, after the others started. */
static void
dispatch_queue (ComlinkWorkerPool *self)
{
  GQueue    cancelled = G_QUEUE_INIT;
  PoolCall *call;

  while (self->queue.head != NULL)
    {
      PoolWorker *worker = NULL;

      call = self->queue.head->data;
      if (call->cancellable == NULL || !g_cancellable_is_cancelled (call->cancellable))
        {
          worker = pick_worker (self);
          if (worker == NULL)
            break;
        }

      g_queue_unlink (&self->queue, &call->link);
      call_stop_watching (call);
      if (worker == NULL)
        {
          g_queue_push_tail (&cancelled, call);
          continue;
        }
      call_start (self, worker, call, call->method, call->args, call->n_args);
      /* The request holds its arguments now */
      g_clear_pointer (&call->method, g_free);
      _comlink_args_free (g_steal_pointer (&call->args), call->n_args);
      call->n_args = 0;
      pool_call_unref (call);
    }

  while ((call = g_queue_pop_head (&cancelled)) != NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&call->task);

      call->state = CALL_DONE;
      g_task_return_error_if_cancelled (task);
      pool_call_unref (call);
    }
}

/* Runs in the pool's thread */
static gboolean
cancel_queued (gpointer data)
{
  PoolCall *call = data;

  if (call->state == CALL_QUEUED)
    {
      ComlinkWorkerPool *self = g_object_ref (g_task_get_source_object (call->task));
      g_autoptr(GTask) task = g_steal_pointer (&call->task);

      g_queue_unlink (&self->queue, &call->link);
      call_stop_watching (call);
      call->state = CALL_DONE;
      g_task_return_error_if_cancelled (task);
      /* The queue's reference */
      pool_call_unref (call);
      notify_counts (self);
      g_object_unref (self);
    }

  return G_SOURCE_REMOVE;
}

/* Any thread: the call leaves the queue at once in the pool's thread,
 * else as soon as the pool's context runs */
static void
on_queued_call_cancelled (GCancellable *cancellable,
                          gpointer      data)
{
  PoolCall *call = data;
  GSource  *source;

  if (g_thread_self () == call->thread)
    {
      cancel_queued (call);
      return;
    }

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (source, "[comlink] cancel queued call");
  g_source_set_callback (source, cancel_queued, pool_call_ref (call), pool_call_unref);
  g_source_attach (source, call->context);
  g_source_unref (source);
}

static gboolean
on_queued_call_timeout (gpointer data)
{
  PoolCall *call = data;

  if (call->state == CALL_QUEUED)
    {
      ComlinkWorkerPool *self = g_object_ref (g_task_get_source_object (call->task));

      g_queue_unlink (&self->queue, &call->link);
      call_stop_watching (call);
      call_complete (call, NULL, _comlink_timeout_error_new (call->timeout_msec));
      pool_call_unref (call);
      notify_counts (self);
      g_object_unref (self);
    }

  return G_SOURCE_REMOVE;
}

static void
call_enqueue (ComlinkWorkerPool *self,
              PoolCall          *call)
{
  call->state = CALL_QUEUED;
  g_queue_push_tail_link (&self->queue, &call->link);
  pool_call_ref (call);

  if (call->deadline != 0)
    {
      gint64 left = call->deadline - g_get_monotonic_time ();

      call->timeout_source = g_timeout_source_new ((guint) CLAMP ((left + 999) / 1000, 0, G_MAXUINT));
      g_source_set_static_name (call->timeout_source, "[comlink] queued call timeout");
      g_source_set_callback (call->timeout_source, on_queued_call_timeout, call, NULL);
      g_source_attach (call->timeout_source, self->context);
    }

  if (call->cancellable != NULL)
    call->cancelled_id = g_cancellable_connect (call->cancellable,
                                                G_CALLBACK (on_queued_call_cancelled),
                                                pool_call_ref (call), pool_call_unref);
}

static GValue *
copy_args (const GValue *args,
           guint         n_args)
{
  GValue *copy = g_new0 (GValue, MAX (n_args, 1));

  for (guint i = 0; i < n_args; i++)
    if (G_IS_VALUE (&args[i]))
      {
        g_value_init (&copy[i], G_VALUE_TYPE (&args[i]));
        g_value_copy (&args[i], &copy[i]);
      }

  return copy;
}

/* A call that goes to a worker at once sends @args as they are; one that
 * waits keeps a copy */
static void
pool_call (ComlinkWorkerPool *self,
           GTask             *task,
           const char        *method,
           const GValue      *args,
           guint              n_args,
           gint               timeout_msec)
{
  PoolCall   *call;
  PoolWorker *worker;

  if (self->state != COMLINK_WORKER_POOL_STATE_RUNNING)
    {
      if (self->state == COMLINK_WORKER_POOL_STATE_TERMINATED)
        g_task_return_new_error (task, COMLINK_ERROR, COMLINK_ERROR_TERMINATED,
                                 _ ("The worker pool “%s” was terminated"), self->name);
      else
        g_task_return_error (task, g_error_copy (self->exit_error));
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    return;

  call = g_new0 (PoolCall, 1);
  g_atomic_ref_count_init (&call->ref_count);
  call->task = g_object_ref (task);
  call->link.data = call;
  if (timeout_msec > 0)
    {
      call->timeout_msec = (guint) timeout_msec;
      call->deadline = g_get_monotonic_time () + (gint64) timeout_msec * 1000;
    }
  call->cancellable = g_task_get_cancellable (task) ? g_object_ref (g_task_get_cancellable (task)) : NULL;
  call->context = g_main_context_ref (self->context);
  call->thread = self->thread;

  /* A queue means every worker is full */
  worker = self->queue.head == NULL ? pick_worker (self) : NULL;
  if (worker != NULL)
    call_start (self, worker, call, method, args, n_args);
  else if (self->queue.length < self->max_queued)
    {
      call->method = g_strdup (method);
      call->args = copy_args (args, n_args);
      call->n_args = n_args;
      call_enqueue (self, call);
    }
  else
    call_complete (call, NULL,
                   g_error_new (COMLINK_ERROR, COMLINK_ERROR_LIMIT_EXCEEDED,
                                /* Translators: the first placeholder is the name of the
                                 * pool, the second the most calls that wait in its queue */
                                g_dngettext (GETTEXT_PACKAGE,
                                             "The worker pool “%s” has %u call queued, the most it takes",
                                             "The worker pool “%s” has %u calls queued, the most it takes",
                                             self->max_queued),
                                self->name, self->max_queued));

  pool_call_unref (call);
  notify_counts (self);
}

/* --- Workers --- */

static void on_worker_exited (ComlinkWorker *worker,
                              const GError  *error,
                              gpointer       user_data);

static void
pool_worker_free (PoolWorker *worker)
{
  g_clear_signal_handler (&worker->exited_handler, worker->worker);
  g_clear_object (&worker->worker);
  g_free (worker);
}

/* Makes the launcher pass the child's end of a new socketpair as the
 * child's descriptor 3, and returns the parent's end. The launcher keeps
 * one descriptor for that, which points to the child's end only while a
 * child starts: a copy kept in the parent would hold the socket open
 * after the child died. */
static int
launcher_arm (ComlinkWorkerPool *self,
              GError           **error)
{
  int fds[2];

  if (!_comlink_worker_socketpair (fds, error))
    return -1;

  if (self->launcher_fd < 0)
    {
      self->launcher_fd = fds[1];
      g_subprocess_launcher_take_fd (self->launcher, fds[1], 3);
      return fds[0];
    }

  if (dup3 (fds[1], self->launcher_fd, O_CLOEXEC) < 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _ ("Could not pass a socket to a worker: %s"), g_strerror (errsv));
      close (fds[0]);
      close (fds[1]);
      return -1;
    }
  close (fds[1]);

  return fds[0];
}

static void
launcher_disarm (ComlinkWorkerPool *self)
{
  int null_fd = open ("/dev/null", O_RDWR | O_CLOEXEC);

  if (null_fd < 0)
    return;
  if (null_fd != self->launcher_fd)
    {
      dup3 (null_fd, self->launcher_fd, O_CLOEXEC);
      close (null_fd);
    }
}

static ComlinkWorker *
make_worker (ComlinkWorkerPool *self,
             GError           **error)
{
  ComlinkWorker *worker;
  gboolean       entered;

  self->n_made++;
  entered = enter_context (self);
  if (self->setup != NULL)
    {
      g_autofree char *name = g_strdup_printf ("%s-%u", self->name, self->n_made);

      worker = comlink_worker_new_thread (name, setup_run, setup_ref (self->setup), setup_unref);
    }
  else
    {
      int fd = launcher_arm (self, error);

      worker = NULL;
      if (fd >= 0)
        {
          worker = _comlink_worker_spawn (self->launcher, (const char * const *) self->argv, fd, error);
          launcher_disarm (self);
        }
    }
  leave_context (self, entered);

  return worker;
}

static gboolean
add_worker (ComlinkWorkerPool *self,
            GError           **error)
{
  ComlinkWorker *made = make_worker (self, error);
  PoolWorker    *worker;

  if (made == NULL)
    return FALSE;

  worker = g_new0 (PoolWorker, 1);
  worker->pool = self;
  worker->worker = made;
  worker->exited_handler = g_signal_connect (made, "exited", G_CALLBACK (on_worker_exited), worker);
  g_ptr_array_add (self->workers, worker);

  return TRUE;
}

/* The pool lets go of @worker; the calls it ran complete through their
 * own callbacks, which its worker already failed */
static void
remove_worker (ComlinkWorkerPool *self,
               PoolWorker        *worker)
{
  guint    index;
  gboolean found;

  for (GList *l = worker->running.head; l != NULL; l = l->next)
    ((PoolCall *) l->data)->worker = NULL;
  g_queue_init (&worker->running);
  if (worker->in_flight > 0)
    self->n_busy--;

  found = g_ptr_array_find (self->workers, worker, &index);
  g_assert (found);
  g_ptr_array_remove_index (self->workers, index);
  if (self->next > index)
    self->next--;
  if (self->next >= self->workers->len)
    self->next = 0;
}

/* No worker is left and none will come: the queued calls fail, and so
 * does every later call */
static void
pool_exited (ComlinkWorkerPool *self)
{
  GQueue queued = G_QUEUE_INIT;

  set_state (self, COMLINK_WORKER_POOL_STATE_EXITED);

  for (GList *l = self->queue.head; l != NULL; l = l->next)
    call_stop_watching (l->data);
  queued = self->queue;
  g_queue_init (&self->queue);
  complete_calls_with_error (&queued, self->exit_error);
}

static void
stop_respawning (ComlinkWorkerPool *self,
                 GError            *error)
{
  self->respawn_stopped = TRUE;
  g_clear_error (&self->exit_error);
  self->exit_error = error;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESPAWN_STOPPED]);
  g_signal_emit (self, signals[RESPAWN_STOPPED], 0, error);
}

/* Starts a worker in the place of one that exited with @exit_error,
 * unless that makes too many in the interval */
static void
replace_worker (ComlinkWorkerPool *self,
                const GError      *exit_error)
{
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_monotonic_time ();
  gint64 since = now - (gint64) self->respawn_interval * 1000;
  guint  n_old = 0;

  while (n_old < self->respawn_times->len && g_array_index (self->respawn_times, gint64, n_old) < since)
    n_old++;
  g_array_remove_range (self->respawn_times, 0, n_old);

  if (self->respawn_times->len >= self->respawn_limit)
    {
      stop_respawning (self, g_error_new (COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED,
                                          /* Translators: the pool's name; the number of
                                           * workers replaced, the most the pool allows; the
                                           * interval in milliseconds (ms) in which it
                                           * counts them; the error of the last worker
                                           * that exited */
                                          g_dngettext (GETTEXT_PACKAGE,
                                                       "The worker pool “%s” stopped replacing its workers: "
                                                       "%u was replaced within %u ms, the most it allows. "
                                                       "The last one ended so: %s",
                                                       "The worker pool “%s” stopped replacing its workers: "
                                                       "%u were replaced within %u ms, the most it allows. "
                                                       "The last one ended so: %s",
                                                       self->respawn_limit),
                                          self->name, self->respawn_limit, self->respawn_interval,
                                          exit_error->message));
      return;
    }

  g_array_append_val (self->respawn_times, now);
  if (!add_worker (self, &error))
    stop_respawning (self, g_error_new (COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED,
                                        _ ("The worker pool “%s” could not replace a worker: %s"),
                                        self->name, error->message));
}

static void
on_worker_exited (ComlinkWorker *exited,
                  const GError  *error,
                  gpointer       user_data)
{
  PoolWorker        *worker = user_data;
  ComlinkWorkerPool *self = g_object_ref (worker->pool);

  g_object_ref (exited);
  remove_worker (self, worker);
  pool_worker_free (worker);

  g_signal_emit (self, signals[WORKER_EXITED], 0, exited, error);

  /* A handler may have terminated the pool */
  if (self->state == COMLINK_WORKER_POOL_STATE_RUNNING)
    {
      if (!self->respawn_stopped)
        replace_worker (self, error);
      if (self->workers->len == 0 && self->state == COMLINK_WORKER_POOL_STATE_RUNNING)
        pool_exited (self);
      else
        dispatch_queue (self);
    }

  notify_counts (self);
  g_object_unref (exited);
  g_object_unref (self);
}

/* --- GObject --- */

static void
comlink_worker_pool_dispose (GObject *object)
{
  ComlinkWorkerPool *self = COMLINK_WORKER_POOL (object);

  comlink_worker_pool_terminate (self);

  G_OBJECT_CLASS (comlink_worker_pool_parent_class)->dispose (object);
}

static void
comlink_worker_pool_finalize (GObject *object)
{
  ComlinkWorkerPool *self = COMLINK_WORKER_POOL (object);

  g_assert (self->queue.length == 0);
  g_assert (self->workers->len == 0);

  g_ptr_array_unref (self->workers);
  g_clear_pointer (&self->setup, setup_unref);
  /* It closes the descriptor it was given */
  g_clear_object (&self->launcher);
  g_strfreev (self->argv);
  g_array_unref (self->respawn_times);
  g_clear_error (&self->exit_error);
  g_main_context_unref (self->context);
  g_free (self->name);

  G_OBJECT_CLASS (comlink_worker_pool_parent_class)->finalize (object);
}

static void
comlink_worker_pool_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  ComlinkWorkerPool *self = COMLINK_WORKER_POOL (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    case PROP_N_WORKERS:
      g_value_set_uint (value, self->n_workers);
      break;

    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_N_BUSY:
      g_value_set_uint (value, self->n_busy);
      break;

    case PROP_N_QUEUED:
      g_value_set_uint (value, self->queue.length);
      break;

    case PROP_MAX_QUEUED:
      g_value_set_uint (value, self->max_queued);
      break;

    case PROP_MAX_CALLS_PER_WORKER:
      g_value_set_uint (value, self->max_calls_per_worker);
      break;

    case PROP_RESPAWN_LIMIT:
      g_value_set_uint (value, self->respawn_limit);
      break;

    case PROP_RESPAWN_INTERVAL:
      g_value_set_uint (value, self->respawn_interval);
      break;

    case PROP_RESPAWN_STOPPED:
      g_value_set_boolean (value, self->respawn_stopped);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
comlink_worker_pool_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  ComlinkWorkerPool *self = COMLINK_WORKER_POOL (object);

  switch (prop_id)
    {
    case PROP_MAX_QUEUED:
      comlink_worker_pool_set_max_queued (self, g_value_get_uint (value));
      break;

    case PROP_MAX_CALLS_PER_WORKER:
      comlink_worker_pool_set_max_calls_per_worker (self, g_value_get_uint (value));
      break;

    case PROP_RESPAWN_LIMIT:
      comlink_worker_pool_set_respawn_limit (self, g_value_get_uint (value));
      break;

    case PROP_RESPAWN_INTERVAL:
      comlink_worker_pool_set_respawn_interval (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
comlink_worker_pool_class_init (ComlinkWorkerPoolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  _comlink_init_i18n ();

  object_class->dispose = comlink_worker_pool_dispose;
  object_class->finalize = comlink_worker_pool_finalize;
  object_class->get_property = comlink_worker_pool_get_property;
  object_class->set_property = comlink_worker_pool_set_property;

  /**
   * ComlinkWorkerPool:name:
   *
   * The name of the pool, used in error messages: the name given to
   * [ctor@Comlink.WorkerPool.new_thread] (`comlink-pool` for %NULL),
   * whose workers are named after it with a number (`calc-1`, `calc-2`,
   * ...), or the name of the workers of
   * [ctor@Comlink.WorkerPool.new_subprocess] (see
   * [property@Comlink.Worker:name]).
   *
   * Since: 0.1
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkWorkerPool:n-workers:
   *
   * How many workers the pool keeps running: the number given to its
   * constructor, or the number of processors for 0.
   *
   * Since: 0.1
   */
  properties[PROP_N_WORKERS] =
    g_param_spec_uint ("n-workers", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkWorkerPool:state:
   *
   * Where the pool is in its life cycle.
   *
   * Since: 0.1
   */
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       COMLINK_TYPE_WORKER_POOL_STATE,
                       COMLINK_WORKER_POOL_STATE_RUNNING,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkWorkerPool:n-busy:
   *
   * How many workers have at least one call in flight.
   *
   * Since: 0.1
   */
  properties[PROP_N_BUSY] =
    g_param_spec_uint ("n-busy", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkWorkerPool:n-queued:
   *
   * How many calls wait in the queue for a worker.
   *
   * Since: 0.1
   */
  properties[PROP_N_QUEUED] =
    g_param_spec_uint ("n-queued", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkWorkerPool:max-queued:
   *
   * The most calls that wait in the queue when every worker is full; a
   * call past it fails at once with %COMLINK_ERROR_LIMIT_EXCEEDED. 0 makes
   * no queue: a call that no worker can take fails at once. Lowering it
   * leaves the calls already queued there.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_QUEUED] =
    g_param_spec_uint ("max-queued", NULL, NULL,
                       0, G_MAXUINT, DEFAULT_MAX_QUEUED,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkWorkerPool:max-calls-per-worker:
   *
   * The most calls a worker runs at once; the pool queues the others.
   * 1, the default, suits CPU-bound work, which a worker serves one call
   * at a time anyway: a call then waits in the pool, where it goes to the
   * first worker that is free, rather than behind another in one worker.
   * Raise it for methods that answer later through their invocation (I/O
   * bound work), which a worker serves many at a time. 0 is no limit:
   * nothing is queued, every call goes to the least busy worker.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_CALLS_PER_WORKER] =
    g_param_spec_uint ("max-calls-per-worker", NULL, NULL,
                       0, G_MAXUINT, DEFAULT_MAX_CALLS_PER_WORKER,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkWorkerPool:respawn-limit:
   *
   * The most workers the pool starts in the place of workers that exited
   * within [property@Comlink.WorkerPool:respawn-interval]; 5 by default.
   * When one more exits, the pool stops replacing them and emits
   * [signal@Comlink.WorkerPool::respawn-stopped]. 0 replaces none.
   *
   * Since: 0.1
   */
  properties[PROP_RESPAWN_LIMIT] =
    g_param_spec_uint ("respawn-limit", NULL, NULL,
                       0, G_MAXUINT, DEFAULT_RESPAWN_LIMIT,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkWorkerPool:respawn-interval:
   *
   * The interval, in milliseconds, over which
   * [property@Comlink.WorkerPool:respawn-limit] counts replacements; 10
   * seconds by default.
   *
   * Since: 0.1
   */
  properties[PROP_RESPAWN_INTERVAL] =
    g_param_spec_uint ("respawn-interval", NULL, NULL,
                       0, G_MAXUINT, DEFAULT_RESPAWN_INTERVAL,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkWorkerPool:respawn-stopped:
   *
   * Whether the pool stopped replacing the workers that exit: see
   * [signal@Comlink.WorkerPool::respawn-stopped].
   *
   * Since: 0.1
   */
  properties[PROP_RESPAWN_STOPPED] =
    g_param_spec_boolean ("respawn-stopped", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * ComlinkWorkerPool::worker-exited:
   * @self: the pool
   * @worker: the worker that exited
   * @error: why it ended, in the %COMLINK_ERROR_WORKER_EXITED code
   *
   * Emitted when a worker of the pool ends on its own, as
   * [signal@Comlink.Worker::exited] is, after the pool let go of it and
   * before it starts another in its place. The calls the worker was
   * running fail with @error. Not emitted by
   * [method@Comlink.WorkerPool.terminate].
   *
   * Since: 0.1
   */
  signals[WORKER_EXITED] =
    g_signal_new ("worker-exited",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 2,
                  COMLINK_TYPE_WORKER,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * ComlinkWorkerPool::respawn-stopped:
   * @self: the pool
   * @error: why, in the %COMLINK_ERROR_WORKER_EXITED code: how many
   *   workers were replaced within which interval, and how the last one
   *   ended; or why a new worker could not be started
   *
   * Emitted once, when the pool stops replacing the workers that exit:
   * more exited within [property@Comlink.WorkerPool:respawn-interval]
   * than [property@Comlink.WorkerPool:respawn-limit] allows (a crash
   * loop), or a new worker could not be started. The workers left go on
   * serving; when the last one is gone, the pool moves to
   * %COMLINK_WORKER_POOL_STATE_EXITED and its calls fail with @error.
   *
   * Since: 0.1
   */
  signals[RESPAWN_STOPPED] =
    g_signal_new ("respawn-stopped",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  g_cclosure_marshal_VOID__BOXED,
                  G_TYPE_NONE, 1,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
comlink_worker_pool_init (ComlinkWorkerPool *self)
{
  self->state = COMLINK_WORKER_POOL_STATE_RUNNING;
  self->context = g_main_context_ref_thread_default ();
  self->thread = g_thread_self ();
  self->workers = g_ptr_array_new ();
  self->launcher_fd = -1;
  self->respawn_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->max_queued = DEFAULT_MAX_QUEUED;
  self->max_calls_per_worker = DEFAULT_MAX_CALLS_PER_WORKER;
  self->respawn_limit = DEFAULT_RESPAWN_LIMIT;
  self->respawn_interval = DEFAULT_RESPAWN_INTERVAL;
}

/* --- Public API --- */

/**
 * comlink_worker_pool_new_thread:
 * @name: (nullable): a name for the pool, and after it its workers and
 *   their threads
 * @n_workers: how many workers to keep, or 0 for one per processor
 * @setup: (scope notified): returns the object a worker exposes; runs in
 *   the thread of each worker, the ones that replace others included
 * @user_data: data for @setup
 * @destroy: (nullable): frees @user_data once no worker will run @setup
 *   any more: after the pool ended and the last setup returned, in the
 *   thread that drops it last
 *
 * Starts a pool of @n_workers thread workers: each is a worker of
 * [ctor@Comlink.Worker.new_thread], whose thread runs @setup, so @setup
 * runs in several threads at once. Calls may be made at once; they wait
 * in the workers while they start.
 *
 * A worker whose setup fails exits, as a lone worker does, and is
 * replaced within the limits of
 * [property@Comlink.WorkerPool:respawn-limit].
 *
 * Returns: (transfer full): a new #ComlinkWorkerPool
 *
 * Since: 0.1
 */
ComlinkWorkerPool *
comlink_worker_pool_new_thread (const char            *name,
                                guint                  n_workers,
                                ComlinkWorkerSetupFunc setup,
                                gpointer               user_data,
                                GDestroyNotify         destroy)
{
  ComlinkWorkerPool *self;
  Setup             *shared;

  g_return_val_if_fail (setup != NULL, NULL);

  self = g_object_new (COMLINK_TYPE_WORKER_POOL, NULL);
  self->name = g_strdup (name ? name : "comlink-pool");
  self->n_workers = n_workers > 0 ? n_workers : g_get_num_processors ();

  shared = g_new0 (Setup, 1);
  g_atomic_ref_count_init (&shared->ref_count);
  shared->func = setup;
  shared->user_data = user_data;
  shared->destroy = destroy;
  self->setup = shared;

  for (guint i = 0; i < self->n_workers; i++)
    add_worker (self, NULL);

  return self;
}

/**
 * comlink_worker_pool_new_subprocess:
 * @launcher: (nullable): a #GSubprocessLauncher for the environment and
 *   working directory of the children, or %NULL
 * @argv: (array zero-terminated=1): the command line of each child
 * @n_workers: how many workers to keep, or 0 for one per processor
 * @error: return location for a #GError
 *
 * Starts a pool of @n_workers subprocess workers, each a child that runs
 * @argv as [ctor@Comlink.Worker.new_subprocess] starts it, with the
 * same @launcher.
 *
 * The pool keeps @launcher, and changes it as
 * [ctor@Comlink.Worker.new_subprocess] does: it must not start anything
 * else. It keeps one file descriptor of the pool's, which points to
 * `/dev/null` while no child starts, until it is finalized.
 *
 * Returns: (transfer full): a new #ComlinkWorkerPool, or %NULL if a child
 *   could not be started
 *
 * Since: 0.1
 */
ComlinkWorkerPool *
comlink_worker_pool_new_subprocess (GSubprocessLauncher *launcher,
                                    const char * const  *argv,
                                    guint                n_workers,
                                    GError             **error)
{
  g_autoptr(ComlinkWorkerPool) self = NULL;

  g_return_val_if_fail (launcher == NULL || G_IS_SUBPROCESS_LAUNCHER (launcher), NULL);
  g_return_val_if_fail (argv != NULL && argv[0] != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (COMLINK_TYPE_WORKER_POOL, NULL);
  self->name = _comlink_worker_name_from_argv (argv);
  self->n_workers = n_workers > 0 ? n_workers : g_get_num_processors ();
  self->launcher = launcher ? g_object_ref (launcher) : g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  self->argv = g_strdupv ((char **) argv);

  for (guint i = 0; i < self->n_workers; i++)
    if (!add_worker (self, error))
      {
        comlink_worker_pool_terminate (self);
        return NULL;
      }

  return g_steal_pointer (&self);
}

/**
 * comlink_worker_pool_get_name:
 * @self: a #ComlinkWorkerPool
 *
 * Gets the name of @self: see [property@Comlink.WorkerPool:name].
 *
 * Returns: the name of @self
 *
 * Since: 0.1
 */
const char *
comlink_worker_pool_get_name (ComlinkWorkerPool *self)
{
  g_return_val_if_fail (COMLINK_IS_WORKER_POOL (self), NULL);

  return self->name;
}

/**
 * comlink_worker_pool_get_n_workers:
 * @self: a #ComlinkWorkerPool
 *
 * Gets how many workers the pool keeps.
 *
 * Returns: the value of [property@Comlink.WorkerPool:n-workers]
 *
 * Since: 0.1
 */
guint
comlink_worker_pool_get_n_workers (ComlinkWorkerPool *self)
{
  g_return_val_if_fail (COMLINK_IS_WORKER_POOL (self), 0);

  return self->n_workers;
}

/**
 * comlink_worker_pool_dup_workers:
 * @self: a #ComlinkWorkerPool
 *
 * Lists the workers of the pool now, starting or running: fewer than
 * [property@Comlink.WorkerPool:n-workers] while the pool replaces one
 * that exited, or after it stopped replacing them, and none once it
 * ended. Use it to look at a worker (its name, its child process), not
 * to call it: calls through a worker's own proxy are not scheduled by
 * the pool.
 *
 * |[<!-- language="C" -->
 * g_autolist (ComlinkWorker) workers = comlink_worker_pool_dup_workers (pool);
 * ]|
 *
 * Returns: (transfer full) (element-type ComlinkWorker): the workers
 *
 * Since: 0.1
 */
GList *
comlink_worker_pool_dup_workers (ComlinkWorkerPool *self)
{
  GList *workers = NULL;

  g_return_val_if_fail (COMLINK_IS_WORKER_POOL (self), NULL);

  for (guint i = self->workers->len; i > 0; i--)
    workers = g_list_prepend (workers, g_object_ref (((PoolWorker *) g_ptr_array_index (self->workers, i - 1))->worker));

  return workers;
}

/**
 * comlink_worker_pool_get_state:
 * @self: a #ComlinkWorkerPool
 *
 * Gets the state of the pool.
 *
 * Returns: where @self is in its life cycle
 *
 * Since: 0.1
 */
ComlinkWorkerPoolState
comlink_worker_pool_get_state (ComlinkWorkerPool *self)
{
  g_return_val_if_fail (COMLINK_IS_WORKER_POOL (self), COMLINK_WORKER_POOL_STATE_TERMINATED);

  return self->state;
}

/**
 * comlink_worker_pool_get_n_busy:
 * @self: a #ComlinkWorkerPool
 *
 * Gets how many workers have a call in flight.
 *
 * Returns: the value of [property@Comlink.WorkerPool:n-busy]
 *
 * Since: 0.1
 */
guint
comlink_worker_pool_get_n_busy (ComlinkWorkerPool *self)
{
  g_return_val_if_fail (COMLINK_IS_WORKER_POOL (self), 0);

  return self->n_busy;
}

/**
 * comlink_worker_pool_get_n_queued:
 * @self: a #ComlinkWorkerPool
 *
 * Gets how many calls wait for a worker.
 *
 * Returns: the value of [property@Comlink.WorkerPool:n-queued]
 *
 * Since: 0.1
 */
guint
comlink_worker_pool_get_n_queued (ComlinkWorkerPool *self)
{
  g_return_val_if_fail (COMLINK_IS_WORKER_POOL (self), 0);

  return self->queue.length;
}

/**
 * comlink_worker_pool_get_max_queued:
 * @self: a #ComlinkWorkerPool
 *
 * Gets how many calls may wait for a worker.
 *
 * Returns: the value of [property@Comlink.WorkerPool:max-queued]
 *
 * Since: 0.1
 */
guint
comlink_worker_pool_get_max_queued (ComlinkWorkerPool *self)
{
  g_return_val_if_fail (COMLINK_IS_WORKER_POOL (self), 0);

  return self->max_queued;
}

/**
 * comlink_worker_pool_set_max_queued:
 * @self: a #ComlinkWorkerPool
 * @max_queued: the most calls that may wait in the queue
 *
 * Sets [property@Comlink.WorkerPool:max-queued].
 *
 * Since: 0.1
 */
void
comlink_worker_pool_set_max_queued (ComlinkWorkerPool *self,
                                    guint              max_queued)
{
  g_return_if_fail (COMLINK_IS_WORKER_POOL (self));

  if (self->max_queued == max_queued)
    return;

  self->max_queued = max_queued;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_QUEUED]);
}

/**
 * comlink_worker_pool_get_max_calls_per_worker:
 * @self: a #ComlinkWorkerPool
 *
 * Gets how many calls each worker is given at once.
 *
 * Returns: the value of [property@Comlink.WorkerPool:max-calls-per-worker]
 *
 * Since: 0.1
 */
guint
comlink_worker_pool_get_max_calls_per_worker (ComlinkWorkerPool *self)
{
  g_return_val_if_fail (COMLINK_IS_WORKER_POOL (self), 0);

  return self->max_calls_per_worker;
}

/**
 * comlink_worker_pool_set_max_calls_per_worker:
 * @self: a #ComlinkWorkerPool
 * @max_calls: the most calls a worker runs at once, or 0 for no limit
 *
 * Sets [property@Comlink.WorkerPool:max-calls-per-worker]. Raising it
 * starts queued calls at once.
 *
 * Since: 0.1
 */
void
comlink_worker_pool_set_max_calls_per_worker (ComlinkWorkerPool *self,
                                              guint              max_calls)
{
  g_return_if_fail (COMLINK_IS_WORKER_POOL (self));

  if (self->max_calls_per_worker == max_calls)
    return;

  self->max_calls_per_worker = max_calls;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_CALLS_PER_WORKER]);

  if (self->state == COMLINK_WORKER_POOL_STATE_RUNNING)
    {
      g_object_ref (self);
      dispatch_queue (self);
      notify_counts (self);
      g_object_unref (self);
    }
}

/**
 * comlink_worker_pool_get_respawn_limit:
 * @self: a #ComlinkWorkerPool
 *
 * Gets how many workers may be replaced within the respawn interval.
 *
 * Returns: the value of [property@Comlink.WorkerPool:respawn-limit]
 *
 * Since: 0.1
 */
guint
comlink_worker_pool_get_respawn_limit (ComlinkWorkerPool *self)
{
  g_return_val_if_fail (COMLINK_IS_WORKER_POOL (self), 0);

  return self->respawn_limit;
}

/**
 * comlink_worker_pool_set_respawn_limit:
 * @self: a #ComlinkWorkerPool
 * @respawn_limit: the most workers started in the place of others within
 *   the interval
 *
 * Sets [property@Comlink.WorkerPool:respawn-limit].
 *
 * Since: 0.1
 */
void
comlink_worker_pool_set_respawn_limit (ComlinkWorkerPool *self,
                                       guint              respawn_limit)
{
  g_return_if_fail (COMLINK_IS_WORKER_POOL (self));

  if (self->respawn_limit == respawn_limit)
    return;

  self->respawn_limit = respawn_limit;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESPAWN_LIMIT]);
}

/**
 * comlink_worker_pool_get_respawn_interval:
 * @self: a #ComlinkWorkerPool
 *
 * Gets the interval over which replacements of workers are counted.
 *
 * Returns: the value of [property@Comlink.WorkerPool:respawn-interval],
 *   in milliseconds
 *
 * Since: 0.1
 */
guint
comlink_worker_pool_get_respawn_interval (ComlinkWorkerPool *self)
{
  g_return_val_if_fail (COMLINK_IS_WORKER_POOL (self), 0);

  return self->respawn_interval;
}

/**
 * comlink_worker_pool_set_respawn_interval:
 * @self: a #ComlinkWorkerPool
 * @interval_msec: the interval in milliseconds
 *
 * Sets [property@Comlink.WorkerPool:respawn-interval].
 *
 * Since: 0.1
 */
void
comlink_worker_pool_set_respawn_interval (ComlinkWorkerPool *self,
                                          guint              interval_msec)
{
  g_return_if_fail (COMLINK_IS_WORKER_POOL (self));

  if (self->respawn_interval == interval_msec)
    return;

  self->respawn_interval = interval_msec;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESPAWN_INTERVAL]);
}

/**
 * comlink_worker_pool_get_respawn_stopped:
 * @self: a #ComlinkWorkerPool
 *
 * Gets whether the pool stopped replacing workers that exit.
 *
 * Returns: the value of [property@Comlink.WorkerPool:respawn-stopped]
 *
 * Since: 0.1
 */
gboolean
comlink_worker_pool_get_respawn_stopped (ComlinkWorkerPool *self)
{
  g_return_val_if_fail (COMLINK_IS_WORKER_POOL (self), FALSE);

  return self->respawn_stopped;
}

/**
 * comlink_worker_pool_call_async:
 * @self: a #ComlinkWorkerPool
 * @method: (nullable): the name of the method, or %NULL to call the
 *   exposed object itself
 * @args: (array length=n_args) (nullable): the arguments
 * @n_args: the number of arguments
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the call completes
 * @user_data: data for @callback
 *
 * Calls @method on the object that a worker of the pool exposes, as
 * [method@Comlink.Proxy.call_async] calls it on one worker: on the
 * worker with the fewest calls in flight, or later, when every worker
 * is full, on the first one that is free (see
 * [property@Comlink.WorkerPool:max-calls-per-worker]).
 *
 * The call fails at once with %COMLINK_ERROR_LIMIT_EXCEEDED when the
 * queue is full, with %COMLINK_ERROR_TERMINATED once the pool was
 * terminated, and with %COMLINK_ERROR_WORKER_EXITED once it has no
 * worker left. Cancelling @cancellable completes a queued call with
 * %G_IO_ERROR_CANCELLED at once, and cancels a running one as
 * [method@Comlink.Proxy.call_async] does.
 *
 * @args may be freed once it returns; objects among them travel by
 * reference to the worker that runs the call.
 *
 * Since: 0.1
 */
void
comlink_worker_pool_call_async (ComlinkWorkerPool  *self,
                                const char         *method,
                                const GValue       *args,
                                guint               n_args,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  comlink_worker_pool_call_full_async (self, method, args, n_args, -1, cancellable, callback, user_data);
}

/**
 * comlink_worker_pool_call_full_async:
 * @self: a #ComlinkWorkerPool
 * @method: (nullable): the name of the method, or %NULL to call the
 *   exposed object itself
 * @args: (array length=n_args) (nullable): the arguments
 * @n_args: the number of arguments
 * @timeout_msec: the timeout of this call in milliseconds, counted from
 *   now, the time it waits in the queue included; 0 or -1 for none (a
 *   worker's own default timeout, [method@Comlink.Worker.set_timeout],
 *   still applies while it runs the call)
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the call completes
 * @user_data: data for @callback
 *
 * Calls @method as [method@Comlink.WorkerPool.call_async] does, with a
 * timeout: when it expires, the call fails with %G_IO_ERROR_TIMED_OUT,
 * leaves the queue if it waits there, and sees its remote invocation's
 * cancellable fire if it runs.
 *
 * Since: 0.1
 */
void
comlink_worker_pool_call_full_async (ComlinkWorkerPool  *self,
                                     const char         *method,
                                     const GValue       *args,
                                     guint               n_args,
                                     gint                timeout_msec,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (COMLINK_IS_WORKER_POOL (self));
  g_return_if_fail (args != NULL || n_args == 0);
  g_return_if_fail (timeout_msec >= -1);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, comlink_worker_pool_call_async);

  pool_call (self, task, method, args, n_args, timeout_msec);
}

static GValue *
propagate_raw (ComlinkWorkerPool *self,
               GAsyncResult      *result,
               gpointer           source_tag,
               GError           **error)
{
  g_return_val_if_fail (COMLINK_IS_WORKER_POOL (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * comlink_worker_pool_call_finish:
 * @self: a #ComlinkWorkerPool
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Completes a call started with [method@Comlink.WorkerPool.call_async].
 * Its errors are those of [method@Comlink.Proxy.call_finish], and those
 * of the pool: %COMLINK_ERROR_LIMIT_EXCEEDED, %COMLINK_ERROR_TERMINATED,
 * %COMLINK_ERROR_WORKER_EXITED, %G_IO_ERROR_CANCELLED and
 * %G_IO_ERROR_TIMED_OUT.
 *
 * Returns: (transfer full) (nullable): the return value of the method, or
 *   %NULL for a method that returns nothing or on error
 *
 * Since: 0.1
 */
GValue *
comlink_worker_pool_call_finish (ComlinkWorkerPool *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  return _comlink_result_fold_null (propagate_raw (self, result, comlink_worker_pool_call_async, error));
}

/**
 * comlink_worker_pool_call_full_finish:
 * @self: a #ComlinkWorkerPool
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Completes a call started with
 * [method@Comlink.WorkerPool.call_full_async]; see
 * [method@Comlink.WorkerPool.call_finish].
 *
 * Returns: (transfer full) (nullable): the return value of the method, or
 *   %NULL for a method that returns nothing or on error
 *
 * Since: 0.1
 */
GValue *
comlink_worker_pool_call_full_finish (ComlinkWorkerPool *self,
                                      GAsyncResult      *result,
                                      GError           **error)
{
  return comlink_worker_pool_call_finish (self, result, error);
}

/**
 * comlink_worker_pool_call_finish_value: (skip)
 * @self: a #ComlinkWorkerPool
 * @result: the #GAsyncResult given to the callback of
 *   [method@Comlink.WorkerPool.call_async] or
 *   [method@Comlink.WorkerPool.call_full_async]
 * @value: (out caller-allocates) (optional): an unset #GValue for the
 *   return value, or %NULL to ignore it
 * @error: return location for a #GError
 *
 * Completes a call as [method@Comlink.WorkerPool.call_finish] does, in
 * the form of [method@Comlink.Proxy.call_finish_value]: %TRUE on success,
 * with @value set to the return value, or left unset for a method that
 * returns nothing (or a null); %FALSE only with @error set.
 *
 * Returns: %TRUE if the call succeeded, %FALSE with @error set
 *
 * Since: 0.1
 */
gboolean
comlink_worker_pool_call_finish_value (ComlinkWorkerPool *self,
                                       GAsyncResult      *result,
                                       GValue            *value,
                                       GError           **error)
{
  GError *local_error = NULL;
  GValue *ret;

  g_return_val_if_fail (value == NULL || !G_IS_VALUE (value), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  ret = comlink_worker_pool_call_finish (self, result, &local_error);
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

/**
 * comlink_worker_pool_call_variant_async:
 * @self: a #ComlinkWorkerPool
 * @method: (nullable): the name of the method, or %NULL to call the
 *   exposed object itself
 * @parameters: (nullable): a tuple of the arguments, or %NULL for none;
 *   a floating reference is consumed
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the call completes
 * @user_data: data for @callback
 *
 * Calls @method as [method@Comlink.WorkerPool.call_async] does, with its
 * arguments in a #GVariant tuple, as
 * [method@Comlink.Proxy.call_variant_async] takes them:
 *
 * |[<!-- language="C" -->
 * comlink_worker_pool_call_variant_async (pool, "add", g_variant_new ("(ii)", 2, 3),
 *                                         NULL, on_added, NULL);
 * ]|
 *
 * Since: 0.1
 */
void
comlink_worker_pool_call_variant_async (ComlinkWorkerPool  *self,
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

  g_return_if_fail (COMLINK_IS_WORKER_POOL (self));
  g_return_if_fail (parameters == NULL || g_variant_is_of_type (parameters, G_VARIANT_TYPE_TUPLE));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  if (parameters != NULL)
    tuple = g_variant_ref_sink (parameters);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, comlink_worker_pool_call_variant_async);

  args = _comlink_args_from_tuple (tuple, &n_args);
  pool_call (self, task, method, args, n_args, -1);
  _comlink_args_free (args, n_args);
}

/**
 * comlink_worker_pool_call_variant_finish:
 * @self: a #ComlinkWorkerPool
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Completes [method@Comlink.WorkerPool.call_variant_async]: the return
 * value comes as [method@Comlink.Proxy.call_variant_finish] gives it, a
 * tuple of one child, or the empty tuple for a method that returns
 * nothing.
 *
 * Returns: (transfer full) (nullable): a tuple holding the return value,
 *   or %NULL on error
 *
 * Since: 0.1
 */
GVariant *
comlink_worker_pool_call_variant_finish (ComlinkWorkerPool *self,
                                         GAsyncResult      *result,
                                         GError           **error)
{
  GError   *local_error = NULL;
  GValue   *value;
  GVariant *ret;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  value = propagate_raw (self, result, comlink_worker_pool_call_variant_async, &local_error);
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
 * comlink_worker_pool_get_error_details:
 * @self: a #ComlinkWorkerPool
 * @result: the #GAsyncResult given to the callback of a call of @self
 * @class_name: (out) (optional) (nullable) (transfer none): return
 *   location for the name of the class of the remote exception, or %NULL
 * @stack: (out) (optional) (nullable) (transfer none): return location for
 *   the remote stack as text, or %NULL
 *
 * Tells where the error of a failed call was raised in its worker, as
 * [method@Comlink.Proxy.get_error_details] does for a call of a proxy.
 *
 * Returns: %TRUE if the worker sent a class name or a stack with the
 *   error that failed the call of @result
 *
 * Since: 0.1
 */
gboolean
comlink_worker_pool_get_error_details (ComlinkWorkerPool *self,
                                       GAsyncResult      *result,
                                       const char       **class_name,
                                       const char       **stack)
{
  if (class_name != NULL)
    *class_name = NULL;
  if (stack != NULL)
    *stack = NULL;

  g_return_val_if_fail (COMLINK_IS_WORKER_POOL (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return _comlink_result_get_error_details (result, class_name, stack);
}

/**
 * comlink_worker_pool_propagate_in_container:
 * @self: a #ComlinkWorkerPool
 * @result: the #GAsyncResult of [method@Comlink.WorkerPool.call_async] or
 *   [method@Comlink.WorkerPool.call_full_async]
 * @error: return location for a #GError
 *
 * Completes a call as [method@Comlink.WorkerPool.call_finish] does, and
 * returns the value as the only item of a new array, as
 * [method@Comlink.Proxy.propagate_in_container] does. This is for
 * bindings.
 *
 * Returns: (transfer full) (nullable): an array of one item, or %NULL
 *   with @error set
 *
 * Since: 0.1
 */
ComlinkContainer *
comlink_worker_pool_propagate_in_container (ComlinkWorkerPool *self,
                                            GAsyncResult      *result,
                                            GError           **error)
{
  GError *local_error = NULL;
  GValue *value;

  value = propagate_raw (self, result, comlink_worker_pool_call_async, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }

  return _comlink_result_in_container (value);
}

/**
 * comlink_worker_pool_propagate_int64_as_variant:
 * @self: a #ComlinkWorkerPool
 * @result: the #GAsyncResult of [method@Comlink.WorkerPool.call_async] or
 *   [method@Comlink.WorkerPool.call_full_async]
 * @error: return location for a #GError
 *
 * Completes a call as [method@Comlink.WorkerPool.call_finish] does,
 * except for a 64-bit integer, which comes as a #GVariant, and nothing,
 * which comes as the #GVariant `m()` Nothing, as
 * [method@Comlink.Proxy.propagate_int64_as_variant] gives them. This is
 * for bindings whose numbers are doubles (GJS).
 *
 * Returns: (transfer full) (nullable): the value, or %NULL on error
 *
 * Since: 0.1
 */
GValue *
comlink_worker_pool_propagate_int64_as_variant (ComlinkWorkerPool *self,
                                                GAsyncResult      *result,
                                                GError           **error)
{
  GError *local_error = NULL;
  GValue *value;

  value = propagate_raw (self, result, comlink_worker_pool_call_async, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }

  return _comlink_result_int64_as_variant (value);
}

/**
 * comlink_worker_pool_terminate:
 * @self: a #ComlinkWorkerPool
 *
 * Ends the pool. When it returns, @self is in state
 * %COMLINK_WORKER_POOL_STATE_TERMINATED, every call it queued or ran has
 * failed with %COMLINK_ERROR_TERMINATED (each callback runs once, in its
 * context, as usual), and every worker was terminated with
 * [method@Comlink.Worker.terminate]: the requests they were serving see
 * their cancellables cancelled, their threads are joined and their
 * children reaped afterwards. Later calls fail at once with
 * %COMLINK_ERROR_TERMINATED. It never blocks.
 *
 * Terminating a pool that already ended terminates what it has left.
 *
 * Since: 0.1
 */
void
comlink_worker_pool_terminate (ComlinkWorkerPool *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) workers = NULL;
  GQueue calls = G_QUEUE_INIT;

  g_return_if_fail (COMLINK_IS_WORKER_POOL (self));

  if (self->state == COMLINK_WORKER_POOL_STATE_TERMINATED)
    return;

  g_object_ref (self);
  set_state (self, COMLINK_WORKER_POOL_STATE_TERMINATED);

  /* Running calls first, oldest first, then the queue: each with a
   * reference, as the queue holds its own */
  workers = g_steal_pointer (&self->workers);
  self->workers = g_ptr_array_new ();
  self->n_busy = 0;
  for (guint i = 0; i < workers->len; i++)
    {
      PoolWorker *worker = g_ptr_array_index (workers, i);

      for (GList *l = worker->running.head; l != NULL; l = l->next)
        {
          PoolCall *call = l->data;

          call->worker = NULL;
          call->state = CALL_ENDING;
          g_queue_push_tail (&calls, pool_call_ref (call));
        }
      g_queue_init (&worker->running);
    }
  for (GList *l = self->queue.head; l != NULL; l = l->next)
    call_stop_watching (l->data);
  while (self->queue.head != NULL)
    {
      PoolCall *call = self->queue.head->data;

      g_queue_unlink (&self->queue, &call->link);
      g_queue_push_tail (&calls, call);
    }

  /* The workers end before any callback runs */
  for (guint i = 0; i < workers->len; i++)
    {
      PoolWorker *worker = g_ptr_array_index (workers, i);

      g_clear_signal_handler (&worker->exited_handler, worker->worker);
      comlink_worker_terminate (worker->worker);
      pool_worker_free (worker);
    }
  g_clear_pointer (&self->setup, setup_unref);

  error = g_error_new (COMLINK_ERROR, COMLINK_ERROR_TERMINATED,
                       _ ("The worker pool “%s” was terminated"), self->name);
  complete_calls_with_error (&calls, error);
  notify_counts (self);
  g_object_unref (self);
}
