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
 * A thread worker, called and terminated:
 *
 * |[<!-- language="C" -->
 * static GObject *
 * setup (gpointer user_data, GError **error)
 * {
 *   // Runs in the worker thread: returns the object to expose
 *   return g_object_new (MY_TYPE_PROCESSOR, NULL);
 * }
 *
 * g_autoptr(ComlinkWorker) worker = comlink_worker_new_thread ("processor", setup, NULL, NULL);
 * g_autoptr(GError) error = NULL;
 * gint sum;
 *
 * if (comlink_proxy_call_with_args_sync (comlink_worker_get_proxy (worker), "add", NULL, &error,
 *                                        G_TYPE_INT, 2, G_TYPE_INT, 3, G_TYPE_INVALID,
 *                                        G_TYPE_INT, &sum))
 *   g_print ("2 + 3 = %d\n", sum);
 *
 * comlink_worker_terminate (worker);
 * ]|
 *
* See also: [Getting started](getting-started.html), [Lifetimes and
 * threads](lifecycle.html), [Subprocess workers and
 * streams](subprocess.html), [Calls from C](c-calls.html).
 *
 * Since: 0.1
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gunixfdlist.h>

#include "comlink-channel.h"
#include "comlink-connection-private.h"
#include "comlink-enums.h"
#include "comlink-error.h"
#include "comlink-invocation-private.h"
#include "comlink-private.h"
#include "comlink-proxy-private.h"
#include "comlink-stream-endpoint.h"
#include "comlink-worker-private.h"

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
  GSubprocess       *subprocess;
  GError            *exit_status;   /* how the child ended, once it did */
  int                pidfd;         /* the child's, or -1 (see reap_leftover) */
  GSource           *kill_source;   /* SIGKILL after the grace period */
  GSource           *closed_source; /* waits for the child after EOF */
  guint              grace_period_ms;
  guint              endpoint_closed : 1;
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
  PROP_GRACE_PERIOD,
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

  /* Functions of comlink_invocation_run_in_thread() drop what they hold
   * here, once they returned */
  _comlink_invocation_wait_for_threads (context);

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

/* A timeout in the worker's own context (the thread-default one of the
 * thread that created it), not the global default */
static GSource *
worker_timeout_add (ComlinkWorker *self,
                    guint          msec,
                    GSourceFunc    func)
{
  GSource *source = g_timeout_source_new (msec);

  g_source_set_callback (source, func, self, NULL);
  g_source_attach (source, comlink_connection_get_context (self->connection));

  return source;
}

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

/* The worker ended on its own: calls fail with @error */
static void
worker_exited (ComlinkWorker *self,
               const GError  *error)
{
  if (self->state == COMLINK_WORKER_STATE_EXITED ||
      self->state == COMLINK_WORKER_STATE_TERMINATED)
    return;

  g_object_ref (self);
  disconnect_handlers (self);
  set_state (self, COMLINK_WORKER_STATE_EXITED);
  _comlink_connection_close_with_error (self->connection, error);
  g_signal_emit (self, signals[EXITED], 0, error);
  g_object_unref (self);
}

/* How the child ended: killed by @code as a signal, or exited with it */
static GError *
subprocess_exit_error (ComlinkWorker *self,
                       gboolean       signaled,
                       int            code)
{
  if (signaled)
    return g_error_new (COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED,
                        _ ("The worker “%s” was killed by signal %d (%s)"),
                        self->name, code, g_strsignal (code));

  return g_error_new (COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED,
                      _ ("The worker “%s” exited with status %d"),
                      self->name, code);
}

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* A child that a tracer (a debugger, LeakSanitizer checking the child as
 * it exits) held when it died is reported by GLib 2.74's child watch as
 * exited with status 0, but not reaped: it would stay a zombie. Each
 * subprocess worker keeps a pidfd of its child, and once GLib says the
 * child exited, reaps it if it is still there: at once if it can be
 * waited for, else from a thread of its own that waits until the tracer
 * lets it go, whatever becomes of the worker and of its main context. The
 * pidfd names that very child, whatever its pid became; the thread owns
 * it and closes it. */
static gpointer
reap_when_released (gpointer data)
{
  int       pidfd = GPOINTER_TO_INT (data);
  siginfo_t info = { 0 };

  while (waitid ((idtype_t) P_PIDFD, (id_t) pidfd, &info, WEXITED) != 0 && errno == EINTR)
    ;
  close (pidfd);
  return NULL;
}

/* Reaps the child if GLib left it; returns how it ended when this did */
static gboolean
reap_leftover (ComlinkWorker *self,
               siginfo_t     *info)
{
  int pidfd = self->pidfd;

  if (pidfd < 0)
    return FALSE;
  self->pidfd = -1;

  memset (info, 0, sizeof *info);
  if (waitid ((idtype_t) P_PIDFD, (id_t) pidfd, info, WEXITED | WNOHANG) == 0)
    {
      if (info->si_pid != 0)
        {
          close (pidfd);
          return TRUE;
        }

      /* Exited, but not yet to be waited for */
      g_thread_unref (g_thread_new ("comlink-reaper", reap_when_released, GINT_TO_POINTER (pidfd)));
      return FALSE;
    }

  /* ECHILD: GLib reaped it, as it should */
  close (pidfd);
  return FALSE;
}

static void
on_subprocess_exited (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  ComlinkWorker *self = user_data;
  siginfo_t      info = { 0 };

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  clear_source (&self->kill_source);
  clear_source (&self->closed_source);

  /* When this reaped the child, GLib's status is not the child's */
  if (reap_leftover (self, &info))
    self->exit_status = subprocess_exit_error (self, info.si_code != CLD_EXITED, info.si_status);
  else if (g_subprocess_get_if_signaled (self->subprocess))
    self->exit_status = subprocess_exit_error (self, TRUE, g_subprocess_get_term_sig (self->subprocess));
  else
    self->exit_status = subprocess_exit_error (self, FALSE, g_subprocess_get_exit_status (self->subprocess));
  worker_exited (self, self->exit_status);

  g_object_unref (self);
}

/* The child closed its socket but lives on: it is killed, and the calls
 * fail now */
static gboolean
on_closed_without_exit (gpointer user_data)
{
  ComlinkWorker *self = user_data;
  g_autoptr(GError) error = NULL;

  clear_source (&self->closed_source);
  g_subprocess_force_exit (self->subprocess);
  error = g_error_new (COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED,
                       _ ("The worker “%s” closed its side"), self->name);
  worker_exited (self, error);

  return G_SOURCE_REMOVE;
}

static gboolean
on_grace_period_over (gpointer user_data)
{
  ComlinkWorker *self = user_data;

  clear_source (&self->kill_source);
  g_subprocess_force_exit (self->subprocess);

  return G_SOURCE_REMOVE;
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

  /* The connection may have closed the endpoint itself, on a message it
   * refused */
  if (g_error_matches (reason, COMLINK_ERROR, COMLINK_ERROR_CLOSED) &&
      _comlink_connection_get_close_error (self->connection) != NULL)
    reason = _comlink_connection_get_close_error (self->connection);

  /* A child that broke the protocol is not waited for: the calls fail now
   * with what was wrong, and the child, which cannot be talked to any
   * more, is killed and reaped */
  if (self->subprocess != NULL && g_error_matches (reason, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL))
    {
      g_signal_stop_emission_by_name (endpoint, "closed");
      self->endpoint_closed = TRUE;
      error = g_error_new (COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                           _ ("The worker “%s” broke the protocol: %s"),
                           self->name, reason->message);
      if (self->exit_status == NULL)
        g_subprocess_force_exit (self->subprocess);
      worker_exited (self, error);
      return;
    }

  if (self->subprocess != NULL)
    {
      /* The end of the stream usually comes just before the exit status:
       * wait for it a little, so that the calls fail with it */
      g_signal_stop_emission_by_name (endpoint, "closed");
      self->endpoint_closed = TRUE;
      if (self->exit_status != NULL)
        worker_exited (self, self->exit_status);
      else if (self->closed_source == NULL)
        self->closed_source = worker_timeout_add (self, 500, on_closed_without_exit);
      return;
    }

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
  clear_source (&self->kill_source);
  clear_source (&self->closed_source);
  g_clear_object (&self->subprocess);
  g_clear_error (&self->exit_status);
  if (self->pidfd >= 0)
    close (self->pidfd);
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

    case PROP_GRACE_PERIOD:
      g_value_set_uint (value, self->grace_period_ms);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
comlink_worker_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  ComlinkWorker *self = COMLINK_WORKER (object);

  switch (prop_id)
    {
    case PROP_GRACE_PERIOD:
      comlink_worker_set_grace_period (self, g_value_get_uint (value));
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
  object_class->set_property = comlink_worker_set_property;

  /**
   * ComlinkWorker:name:
   *
   * The name of the worker, used for its thread and in error messages:
   * the name given to [ctor@Comlink.Worker.new_thread] (`comlink-worker`
   * for %NULL), or for a subprocess worker the script its interpreter
   * runs, else its program (see [ctor@Comlink.Worker.new_subprocess]).
   *
   * Since: 0.1
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
   * Since: 0.1
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
   * Since: 0.1
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
   * Since: 0.1
   */
  properties[PROP_CONNECTION] =
    g_param_spec_object ("connection", NULL, NULL,
                         COMLINK_TYPE_CONNECTION,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkWorker:grace-period:
   *
   * For a subprocess worker: how long, in milliseconds,
   * [method@Comlink.Worker.terminate] lets the child handle SIGTERM before
   * it sends SIGKILL.
   *
   * Since: 0.1
   */
  properties[PROP_GRACE_PERIOD] =
    g_param_spec_uint ("grace-period", NULL, NULL,
                       0, G_MAXUINT, 2000,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

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
   * Since: 0.1
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
  self->grace_period_ms = 2000;
  self->pidfd = -1;
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
 * Since: 0.1
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

/* How to find the script on an interpreter's command line. Short options
 * are single letters, which may be clustered (`-uc`); an option that takes
 * a value takes the rest of its cluster, or else the next argument. */
typedef struct
{
  const char        *name;
  gboolean           shell;              /* +o OPTION too */
  const char        *short_with_value;   /* -I DIR */
  const char        *short_code;         /* -c CODE: no script */
  const char        *short_module;       /* -m MODULE: the module is the script */
  const char * const long_with_value[4]; /* --include-path DIR */
  const char * const long_code[3];       /* --command CODE */
} Interpreter;

static const Interpreter interpreters[] = {
  { "python", FALSE, "WX", "c", "m", { "--check-hash-based-pycs" }, { NULL } },
  { "gjs", FALSE, "IC", "c", "", { "--include-path", "--coverage-prefix", "--coverage-output" }, { "--command" } },
  { "gjs-console", FALSE, "IC", "c", "", { "--include-path", "--coverage-prefix", "--coverage-output" }, { "--command" } },
  { "node", FALSE, "rC", "ep", "", { "--require", "--import", "--conditions", "--loader" }, { "--eval", "--print" } },
  { "nodejs", FALSE, "rC", "ep", "", { "--require", "--import", "--conditions", "--loader" }, { "--eval", "--print" } },
  { "perl", FALSE, "IMmx", "eE", "", { NULL }, { NULL } },
  { "ruby", FALSE, "IrCEF", "e", "", { "--encoding" }, { NULL } },
  { "sh", TRUE, "o", "c", "", { NULL }, { NULL } },
  { "dash", TRUE, "o", "c", "", { NULL }, { NULL } },
  { "bash", TRUE, "oO", "c", "", { "--rcfile", "--init-file" }, { NULL } },
  { "zsh", TRUE, "o", "c", "", { NULL }, { NULL } },
  { "env", FALSE, "uCS", "", "", { "--unset", "--chdir", "--split-string" }, { NULL } },
};

static gboolean
in_list (const char * const *list,
         gsize               n,
         const char         *word)
{
  for (gsize i = 0; i < n && list[i] != NULL; i++)
    if (strcmp (list[i], word) == 0)
      return TRUE;
  return FALSE;
}

/* python3.11 is python, node18 is node */
static const Interpreter *
lookup_interpreter (const char *basename)
{
  gsize length = strlen (basename);

  while (length > 0 && (g_ascii_isdigit (basename[length - 1]) || basename[length - 1] == '.'))
    length--;
  for (gsize i = 0; i < G_N_ELEMENTS (interpreters); i++)
    if (strlen (interpreters[i].name) == length &&
        strncmp (interpreters[i].name, basename, length) == 0)
      return &interpreters[i];
  return NULL;
}

/* Returns the script or module @argv runs (borrowed, possibly a path), or
 * %NULL if it runs code given on its command line or read from its input */
static const char *
find_script (const Interpreter  *interpreter,
             const char * const *argv)
{
  for (gsize i = 1; argv[i] != NULL; i++)
    {
      const char *arg = argv[i];

      if (strcmp (arg, "--") == 0)
        return argv[i + 1];
      if (strcmp (arg, "-") == 0)
        return NULL;

      if (g_str_has_prefix (arg, "--"))
        {
          if (strchr (arg, '=') != NULL)
            continue;
          if (in_list (interpreter->long_code, G_N_ELEMENTS (interpreter->long_code), arg))
            return NULL;
          if (in_list (interpreter->long_with_value, G_N_ELEMENTS (interpreter->long_with_value), arg) &&
              argv[i + 1] != NULL)
            i++;
          continue;
        }

      if (arg[0] == '-' || (interpreter->shell && arg[0] == '+'))
        {
          for (const char *letter = arg + 1; *letter != '\0'; letter++)
            {
              const char *value = letter[1] != '\0' ? letter + 1 : argv[i + 1];

              if (strchr (interpreter->short_code, *letter) != NULL)
                return NULL;
              if (strchr (interpreter->short_module, *letter) != NULL)
                return value;
              if (strchr (interpreter->short_with_value, *letter) != NULL)
                {
                  if (letter[1] == '\0' && argv[i + 1] != NULL)
                    i++;
                  break;
                }
            }
          continue;
        }

      /* env's NAME=VALUE */
      if (strcmp (interpreter->name, "env") == 0 && strchr (arg, '=') != NULL)
        continue;

      return arg;
    }

  return NULL;
}

char *
_comlink_worker_name_from_argv (const char * const *argv)
{
  g_autofree char   *program = NULL;
  const Interpreter *interpreter;
  const char        *script;

  g_assert (argv != NULL && argv[0] != NULL);

  program = g_path_get_basename (argv[0]);
  interpreter = lookup_interpreter (program);
  if (interpreter == NULL)
    return g_steal_pointer (&program);

  script = find_script (interpreter, argv);
  if (script == NULL || *script == '\0')
    return g_steal_pointer (&program);

  /* env runs a program, which may be an interpreter in its turn */
  if (strcmp (interpreter->name, "env") == 0)
    {
      gsize i = 0;

      while (argv[i] != NULL && argv[i] != script)
        i++;
      if (argv[i] != NULL)
        return _comlink_worker_name_from_argv (argv + i);
      return g_steal_pointer (&program);
    }

  return g_path_get_basename (script);
}

static void
child_setup (gpointer user_data)
{
  /* The child dies with its parent */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/**
 * comlink_worker_new_subprocess:
 * @launcher: (nullable): a #GSubprocessLauncher for the environment and
 *   working directory of the child, or %NULL
 * @argv: (array zero-terminated=1): the command line of the child
 * @error: return location for a #GError
 *
 * Starts a subprocess worker: the child runs @argv with one end of a
 * socketpair as file descriptor 3 (named in the `COMLINK_WORKER_FD`
 * environment variable), and exposes its object with
 * [func@Comlink.Worker.serve_parent]. The child dies when the thread that
 * started it dies, and exits on its own when the socket closes.
 *
 * A child that exits, crashes or is killed fails every pending call with
 * %COMLINK_ERROR_WORKER_EXITED, whose message names the exit status or
 * the signal. [method@Comlink.Worker.terminate] sends SIGTERM, then
 * SIGKILL after [property@Comlink.Worker:grace-period]; the child is
 * always reaped.
 *
 * @launcher is changed: it passes the socket and sets the environment
 * variable and a child setup function.
 *
 * The worker's [property@Comlink.Worker:name], which its errors quote, is
 * the basename of the script when @argv starts with a known interpreter:
 * `python3 -u /srv/app/worker.py` is `worker.py`, `gjs -m worker.js` is
 * `worker.js` and `python3 -m app.worker` is `app.worker`. The
 * interpreter's options are skipped, with their values (`-W ignore`,
 * `-I DIR`, `--include-path DIR`); the interpreters known are python
 * (any version, such as `python3.11`), gjs, gjs-console, node, nodejs,
 * perl, ruby, sh, dash, bash and zsh, and env, which is looked through to
 * the program it runs. An interpreter given code on its command line
 * (`-c`, `-e`) or reading it from its input, and any other program, name
 * the worker with the basename of `argv[0]`.
 *
 * Returns: (transfer full): a new #ComlinkWorker, or %NULL if the child
 *   could not be started
 *
 * Since: 0.1
 */
ComlinkWorker *
comlink_worker_new_subprocess (GSubprocessLauncher *launcher,
                               const char * const  *argv,
                               GError             **error)
{
  g_autoptr(GSubprocessLauncher) owned = NULL;
  int fds[2];

  g_return_val_if_fail (launcher == NULL || G_IS_SUBPROCESS_LAUNCHER (launcher), NULL);
  g_return_val_if_fail (argv != NULL && argv[0] != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!_comlink_worker_socketpair (fds, error))
    return NULL;

  if (launcher == NULL)
    launcher = owned = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);

  return _comlink_worker_spawn (launcher, argv, fds[0], error);
}

gboolean
_comlink_worker_socketpair (int      fds[2],
                            GError **error)
{
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _ ("Could not create a socket pair: %s"), g_strerror (errsv));
      return FALSE;
    }

  return TRUE;
}

/* Starts the child with @launcher, which already passes the child's end
 * of the socketpair as its descriptor 3; @fd, the parent's end, is taken */
ComlinkWorker *
_comlink_worker_spawn (GSubprocessLauncher *launcher,
                       const char * const  *argv,
                       int                  fd,
                       GError             **error)
{
  g_autoptr(ComlinkWorker) self = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GIOStream) stream = NULL;

  g_subprocess_launcher_setenv (launcher, "COMLINK_WORKER_FD", "3", TRUE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);

  socket = g_socket_new_from_fd (fd, error);
  if (socket == NULL)
    {
      close (fd);
      return NULL;
    }

  self = g_object_new (COMLINK_TYPE_WORKER, NULL);
  self->name = _comlink_worker_name_from_argv (argv);
  self->subprocess = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (self->subprocess == NULL)
    {
      /* Nothing started: nothing to terminate */
      self->state = COMLINK_WORKER_STATE_EXITED;
      return NULL;
    }

  /* See reap_leftover (). A child that is gone already has no identifier:
   * GLib reaped it. */
  if (g_subprocess_get_identifier (self->subprocess) != NULL)
    {
      self->pidfd = (int) syscall (SYS_pidfd_open, (pid_t) atoi (g_subprocess_get_identifier (self->subprocess)), 0);
      if (self->pidfd >= 0)
        fcntl (self->pidfd, F_SETFD, FD_CLOEXEC);
    }

  stream = G_IO_STREAM (g_socket_connection_factory_create_connection (socket));
  self->endpoint = comlink_stream_endpoint_new (stream);
  self->closed_handler = g_signal_connect (self->endpoint, "closed",
                                           G_CALLBACK (on_endpoint_closed), self);
  self->connection = g_object_ref (comlink_connection_get_for_endpoint (self->endpoint));
  self->ready_handler = g_signal_connect (self->connection, "notify::ready",
                                          G_CALLBACK (on_ready), self);
  self->proxy = comlink_connection_wrap (self->connection);
  g_subprocess_wait_async (self->subprocess, NULL, on_subprocess_exited, g_object_ref (self));

  return g_steal_pointer (&self);
}

typedef struct
{
  gboolean closed;
  GError  *error;
} ParentState;

static void
on_parent_closed (ComlinkConnection *connection,
                  const GError      *error,
                  gpointer           user_data)
{
  ParentState *state = user_data;

  state->closed = TRUE;
  /* The parent going away is the normal end, also when the socket breaks
   * (a reset, as the parent closes with messages unread); a message the
   * parent should not have sent, or a bound it went over, is reported */
  if (error->domain == COMLINK_ERROR && error->code != COMLINK_ERROR_CLOSED)
    state->error = g_error_copy (error);
}

/**
 * comlink_worker_serve_parent:
 * @object: the object to expose
 * @error: return location for a #GError
 *
 * For the child of a subprocess worker: exposes @object to the parent
 * over the socket that [ctor@Comlink.Worker.new_subprocess] passed, and
 * runs the thread-default main context until the parent goes away or
 * closes the connection. The child then usually exits.
 *
 * Returns: %TRUE when the parent went away (it closed the socket, or the
 *   socket broke), %FALSE with @error set if the process was not started
 *   as a subprocess worker, or if the connection closed with a
 *   #ComlinkError: %COMLINK_ERROR_PROTOCOL when the parent sent something
 *   that is not the protocol, for instance
 *
 * Since: 0.1
 */
gboolean
comlink_worker_serve_parent (GObject *object,
                             GError **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(ComlinkEndpoint) endpoint = NULL;
  g_autoptr(ComlinkConnection) connection = NULL;
  GMainContext *context = g_main_context_ref_thread_default ();
  const char   *fd_text = g_getenv ("COMLINK_WORKER_FD");
  ParentState   state = { FALSE, NULL };
  gint64        fd;
  gulong        handler;

  g_return_val_if_fail (G_IS_OBJECT (object), FALSE);

  if (fd_text == NULL || !g_ascii_string_to_signed (fd_text, 10, 0, G_MAXINT, &fd, NULL))
    {
      g_main_context_unref (context);
      g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_FAILED,
                           _ ("This process was not started as a subprocess worker"));
      return FALSE;
    }
  /* Grandchildren do not inherit it */
  g_unsetenv ("COMLINK_WORKER_FD");

  socket = g_socket_new_from_fd ((int) fd, error);
  if (socket == NULL)
    {
      g_main_context_unref (context);
      return FALSE;
    }

  stream = G_IO_STREAM (g_socket_connection_factory_create_connection (socket));
  endpoint = comlink_stream_endpoint_new (stream);
  connection = g_object_ref (comlink_connection_get_for_endpoint (endpoint));
  handler = g_signal_connect (connection, "closed", G_CALLBACK (on_parent_closed), &state);
  comlink_connection_expose (connection, object);

  while (!state.closed)
    g_main_context_iteration (context, TRUE);

  g_signal_handler_disconnect (connection, handler);
  g_clear_object (&connection);
  /* Let closing finish: deferred unrefs of the connection */
  for (guint i = 0; i < 1000 && g_main_context_iteration (context, FALSE); i++)
    ;
  g_main_context_unref (context);

  if (state.error != NULL)
    {
      g_propagate_error (error, state.error);
      return FALSE;
    }

  return TRUE;
}

/**
 * comlink_worker_get_subprocess:
 * @self: a #ComlinkWorker
 *
 * Gets the child process of @self.
 *
 * Returns: (transfer none) (nullable): the child process of a subprocess
 *   worker, or %NULL for a thread worker
 *
 * Since: 0.1
 */
GSubprocess *
comlink_worker_get_subprocess (ComlinkWorker *self)
{
  g_return_val_if_fail (COMLINK_IS_WORKER (self), NULL);

  return self->subprocess;
}

/**
 * comlink_worker_get_grace_period:
 * @self: a #ComlinkWorker
 *
 * Gets the value of [property@Comlink.Worker:grace-period].
 *
 * Returns: the value of [property@Comlink.Worker:grace-period]
 *
 * Since: 0.1
 */
guint
comlink_worker_get_grace_period (ComlinkWorker *self)
{
  g_return_val_if_fail (COMLINK_IS_WORKER (self), 0);

  return self->grace_period_ms;
}

/**
 * comlink_worker_set_grace_period:
 * @self: a #ComlinkWorker
 * @grace_period_ms: milliseconds between SIGTERM and SIGKILL
 *
 * Sets [property@Comlink.Worker:grace-period].
 *
 * Since: 0.1
 */
void
comlink_worker_set_grace_period (ComlinkWorker *self,
                                 guint          grace_period_ms)
{
  g_return_if_fail (COMLINK_IS_WORKER (self));

  if (self->grace_period_ms == grace_period_ms)
    return;

  self->grace_period_ms = grace_period_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GRACE_PERIOD]);
}

/**
 * comlink_worker_get_proxy:
 * @self: a #ComlinkWorker
 *
 * Gets the root proxy of @self.
 *
 * Returns: (transfer none): the root proxy, which stands for the object
 *   the worker exposes
 *
 * Since: 0.1
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
 * Gets the connection to the worker.
 *
 * Returns: (transfer none): this side's connection to the worker
 *
 * Since: 0.1
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
 * Gets the state of @self.
 *
 * Returns: where @self is in its life cycle
 *
 * Since: 0.1
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
 * Gets the name of @self: see [property@Comlink.Worker:name].
 *
 * Returns: the name of @self
 *
 * Since: 0.1
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
 * Gets the default timeout of the calls to @self.
 *
 * Returns: the default timeout of calls to the worker, in milliseconds;
 *   0 for none
 *
 * Since: 0.1
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
 * Since: 0.1
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
 * Since: 0.1
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

  /* SIGTERM, then SIGKILL after the grace period; the wait reaps it */
  if (self->subprocess != NULL && self->exit_status == NULL)
    {
      clear_source (&self->closed_source);
      g_subprocess_send_signal (self->subprocess, SIGTERM);
      if (self->kill_source == NULL)
        self->kill_source = worker_timeout_add (self, self->grace_period_ms, on_grace_period_over);
    }
  g_object_unref (self);
}
