/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The story comlink-glib exists for.
 *
 * A processor object lives in a worker thread. The application calls its
 * slow "process" method with a progress callback, and terminates the worker
 * in the middle of the work. The call fails at once with TERMINATED, and
 * every object involved (the worker, its connection, the proxy, the
 * callback, the processor in the worker thread, the call's task) is
 * finalized: nothing stays in memory, no thread is left.
 *
 * With Comlink, the same call would stay pending forever and keep all of
 * that alive. */

#include <locale.h>

#include <comlink-glib/comlink.h>

/* --- the worker's side --- */

#define EXAMPLE_TYPE_PROCESSOR (example_processor_get_type ())
G_DECLARE_FINAL_TYPE (ExampleProcessor, example_processor, EXAMPLE, PROCESSOR, GObject)

struct _ExampleProcessor
{
  GObject parent_instance;
};

G_DEFINE_FINAL_TYPE (ExampleProcessor, example_processor, G_TYPE_OBJECT)

static gint processor_finalized;

typedef struct
{
  ComlinkInvocation *invocation;
  ComlinkProxy      *progress;
  guint              step;
  guint              n_steps;
  guint              timeout_id;
  gulong             cancelled_id;
} Job;

static void
job_free (Job *job)
{
  g_clear_handle_id (&job->timeout_id, g_source_remove);
  g_clear_object (&job->progress);
  g_clear_object (&job->invocation);
  g_free (job);
}

static gboolean
job_step (gpointer data)
{
  Job   *job = data;
  GValue arg = G_VALUE_INIT;

  job->step++;
  g_value_init (&arg, G_TYPE_UINT);
  g_value_set_uint (&arg, job->step * 100 / job->n_steps);
  comlink_proxy_call_async (job->progress, NULL, &arg, 1, NULL, NULL, NULL);
  g_value_unset (&arg);

  if (job->step < job->n_steps)
    return G_SOURCE_CONTINUE;

  {
    GValue result = G_VALUE_INIT;

    g_value_init (&result, G_TYPE_STRING);
    g_value_set_static_string (&result, "done");
    comlink_invocation_return_value (job->invocation, &result);
    g_value_unset (&result);
  }
  job->timeout_id = 0;
  /* Frees the job, through the handler's destroy notify */
  g_cancellable_disconnect (comlink_invocation_get_cancellable (job->invocation), job->cancelled_id);

  return G_SOURCE_REMOVE;
}

/* The caller went away (terminate): stop working and let go of everything */
static void
job_cancelled (GCancellable *cancellable, gpointer data)
{
  Job *job = data;

  g_print ("worker: the call was cancelled at step %u, stopping\n", job->step);
  comlink_invocation_return_error (job->invocation, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
  g_clear_handle_id (&job->timeout_id, g_source_remove);
  /* The invocation owns the cancellable that owns this handler: let go of
   * it here, or the three would keep each other alive */
  g_clear_object (&job->progress);
  g_clear_object (&job->invocation);
}

/* process (progress callback, steps) answers later, through the invocation */
static void
processor_process (ExampleProcessor  *self,
                   GObject           *progress,
                   guint              n_steps,
                   ComlinkInvocation *invocation)
{
  Job *job = g_new0 (Job, 1);

  job->invocation = g_object_ref (invocation);
  job->progress = COMLINK_PROXY (g_object_ref (progress));
  job->n_steps = n_steps;
  job->timeout_id = g_timeout_add (100, job_step, job);
  job->cancelled_id = g_cancellable_connect (comlink_invocation_get_cancellable (invocation),
                                             G_CALLBACK (job_cancelled), job,
                                             (GDestroyNotify) job_free);
}

static void
example_processor_finalize (GObject *object)
{
  g_atomic_int_set (&processor_finalized, 1);
  G_OBJECT_CLASS (example_processor_parent_class)->finalize (object);
}

static void
example_processor_class_init (ExampleProcessorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = example_processor_finalize;

  g_signal_new_class_handler ("process", G_TYPE_FROM_CLASS (klass),
                              G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (processor_process), NULL, NULL, NULL,
                              G_TYPE_NONE, 3, G_TYPE_OBJECT, G_TYPE_UINT, COMLINK_TYPE_INVOCATION);
}

static void
example_processor_init (ExampleProcessor *self)
{
}

static GObject *
setup_processor (gpointer user_data, GError **error)
{
  return g_object_new (EXAMPLE_TYPE_PROCESSOR, NULL);
}

/* --- the application's side --- */

typedef struct
{
  ComlinkWorker *worker;
  guint          n_progress;
  guint          n_done;
  GError        *error;
  gboolean       task_finalized;
} App;

static void
on_progress (ComlinkCallback *callback, guint percent, App *app)
{
  g_print ("app: progress %u%%\n", percent);
  if (++app->n_progress == 3)
    {
      g_print ("app: terminating the worker in the middle of the work\n");
      comlink_worker_terminate (app->worker);
      g_print ("app: terminate returned; worker state is %s\n",
               comlink_worker_get_state (app->worker) == COMLINK_WORKER_STATE_TERMINATED ? "TERMINATED" : "?");
    }
}

static void
on_task_finalized (gpointer data, GObject *where)
{
  ((App *) data)->task_finalized = TRUE;
}

static void
on_process_done (GObject *source, GAsyncResult *result, gpointer data)
{
  App    *app = data;
  GValue *value;

  app->n_done++;
  g_object_weak_ref (G_OBJECT (result), on_task_finalized, app);
  value = comlink_proxy_call_finish (COMLINK_PROXY (source), result, &app->error);
  if (value != NULL)
    g_boxed_free (G_TYPE_VALUE, value);
}

static gboolean
all_gone (gpointer *watched, guint n)
{
  for (guint i = 0; i < n; i++)
    if (watched[i] != NULL)
      return FALSE;
  return TRUE;
}

int
main (int argc, char *argv[])
{
  App              app = { 0 };
  ComlinkCallback *progress;
  gpointer         watched[4];
  GValue           args[2] = { G_VALUE_INIT, G_VALUE_INIT };
  gint64           deadline;
  gboolean         ok;

  setlocale (LC_ALL, "");
  app.worker = comlink_worker_new_thread ("processor", setup_processor, NULL, NULL);
  progress = comlink_callback_new_typed (g_cclosure_new (G_CALLBACK (on_progress), &app, NULL),
                                         G_TYPE_NONE, 1, G_TYPE_UINT);

  watched[0] = app.worker;
  watched[1] = comlink_worker_get_connection (app.worker);
  watched[2] = comlink_worker_get_proxy (app.worker);
  watched[3] = progress;
  for (guint i = 0; i < G_N_ELEMENTS (watched); i++)
    g_object_add_weak_pointer (watched[i], &watched[i]);

  g_print ("app: calling process (10 steps of 100 ms) on a worker thread\n");
  g_value_init (&args[0], G_TYPE_OBJECT);
  g_value_set_object (&args[0], progress);
  g_value_init (&args[1], G_TYPE_UINT);
  g_value_set_uint (&args[1], 10);
  comlink_proxy_call_async (comlink_worker_get_proxy (app.worker), "process", args, 2,
                            NULL, on_process_done, &app);
  g_value_unset (&args[0]);
  g_value_unset (&args[1]);

  /* The application lets go of the callback and the worker: only the
   * pending call references them now */
  g_object_unref (progress);
  while (app.n_done == 0)
    g_main_context_iteration (NULL, TRUE);
  g_object_unref (app.worker);

  g_print ("app: the call failed: %s (%s, code %d)\n", app.error->message,
           g_quark_to_string (app.error->domain), app.error->code);

  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while ((!all_gone (watched, G_N_ELEMENTS (watched)) || !app.task_finalized ||
          !g_atomic_int_get (&processor_finalized)) &&
         g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (1000), TRUE);

  g_print ("app: worker finalized: %s\n", watched[0] == NULL ? "yes" : "NO");
  g_print ("app: connection finalized: %s\n", watched[1] == NULL ? "yes" : "NO");
  g_print ("app: proxy finalized: %s\n", watched[2] == NULL ? "yes" : "NO");
  g_print ("app: progress callback finalized: %s\n", watched[3] == NULL ? "yes" : "NO");
  g_print ("app: the call's task finalized: %s\n", app.task_finalized ? "yes" : "NO");
  g_print ("app: processor finalized in its thread: %s\n", g_atomic_int_get (&processor_finalized) ? "yes" : "NO");

  ok = g_error_matches (app.error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED) &&
       app.n_done == 1 && all_gone (watched, G_N_ELEMENTS (watched)) &&
       app.task_finalized && g_atomic_int_get (&processor_finalized);
  g_print ("%s\n", ok ? "Nothing was left behind." : "Something was left behind!");
  g_clear_error (&app.error);

  return ok ? 0 : 1;
}
