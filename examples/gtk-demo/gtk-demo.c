/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A GTK 4 application that keeps a heavy computation out of its main
 * thread.
 *
 * The computation, counting the primes below a number by trial division
 * (the slow way on purpose), runs in a worker process: this same program,
 * started with --worker. The window calls the worker's "count-primes"
 * method as if the object were local, passing a progress callback that the
 * worker calls back into; the main thread only draws the progress bar, so
 * the window stays responsive.
 *
 * - Cancel cancels the call's GCancellable: the call fails at once with
 *   G_IO_ERROR_CANCELLED, and the worker, whose invocation's cancellable
 *   fires, stops counting.
 * - Terminate ends the worker process: the call fails at once with
 *   COMLINK_ERROR_TERMINATED, and a fresh worker is started.
 * - "Crash the worker" makes the worker abort(), as a bug would: the call
 *   fails with COMLINK_ERROR_WORKER_EXITED, the worker emits ::exited, and
 *   a fresh worker is started.
 *
 * In every case the application goes on, and no process is left behind.
 *
 * With --self-test=FILE, the application drives its own buttons, checks
 * what happens, measures how smoothly the window draws meanwhile, and saves
 * a screenshot to FILE (see self-test.c). */

#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "gtk-demo.h"

/* --- the worker's side: runs in the child process --- */

#define DEMO_TYPE_PRIMES (demo_primes_get_type ())
G_DECLARE_FINAL_TYPE (DemoPrimes, demo_primes, DEMO, PRIMES, GObject)

struct _DemoPrimes
{
  GObject parent_instance;
};

G_DEFINE_FINAL_TYPE (DemoPrimes, demo_primes, G_TYPE_OBJECT)

static gboolean
is_prime (guint32 n)
{
  if (n < 4)
    return n >= 2;
  if (n % 2 == 0)
    return FALSE;
  for (guint32 d = 3; d <= n / d; d += 2)
    if (n % d == 0)
      return FALSE;

  return TRUE;
}

typedef struct
{
  ComlinkProxy *progress; /* the caller's callback: progress (double fraction) */
  guint         bound;
} CountJob;

static void
count_job_free (gpointer data)
{
  CountJob *job = data;

  g_object_unref (job->progress);
  g_free (job);
}

static void
report_progress (ComlinkProxy *progress,
                 double        fraction)
{
  GValue arg = G_VALUE_INIT;

  g_value_init (&arg, G_TYPE_DOUBLE);
  g_value_set_double (&arg, fraction);
  /* No reply is awaited: this thread runs no main context, and calls made
   * from any thread arrive in order */
  comlink_proxy_call_async (progress, NULL, &arg, 1, NULL, NULL, NULL);
  g_value_unset (&arg);
}

/* Runs in a thread of its own, so that the worker's main context stays
 * free to receive a cancellation (or a call to crash) meanwhile */
static void
count_primes_in_thread (ComlinkInvocation *invocation,
                        GCancellable      *cancellable,
                        gpointer           user_data)
{
  CountJob *job = user_data;
  gint64    last_report = 0;
  guint     count = 0;
  GValue    result = G_VALUE_INIT;

  for (guint32 n = 0; n < job->bound; n++)
    {
      /* Every 4096 numbers (a few milliseconds at most): stop if the
       * caller cancelled (or went away), and report progress 20 times a
       * second */
      if (n % 4096 == 0)
        {
          gint64 now = g_get_monotonic_time ();

          if (g_cancellable_is_cancelled (cancellable))
            {
              comlink_invocation_return_error (invocation, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                               "Cancelled at %u of %u", n, job->bound);
              return;
            }
          if (now - last_report >= 50 * G_TIME_SPAN_MILLISECOND)
            {
              report_progress (job->progress, (double) n / job->bound);
              last_report = now;
            }
        }
      count += is_prime (n);
    }

  g_value_init (&result, G_TYPE_UINT);
  g_value_set_uint (&result, count);
  comlink_invocation_return_value (invocation, &result);
  g_value_unset (&result);
}

/* count-primes (callback progress, guint bound) -> guint: answers later,
 * from the thread */
static void
demo_primes_count_primes (DemoPrimes        *self,
                          GObject           *progress,
                          guint              bound,
                          ComlinkInvocation *invocation)
{
  CountJob *job = g_new0 (CountJob, 1);

  job->progress = COMLINK_PROXY (g_object_ref (progress));
  job->bound = bound;
  comlink_invocation_run_in_thread (invocation, count_primes_in_thread, job, count_job_free);
}

/* crash (): the bug that takes the whole process down */
static void
demo_primes_crash (DemoPrimes *self)
{
  /* A crash on purpose leaves no core file behind */
  struct rlimit no_core = { 0, 0 };

  g_printerr ("worker %d: crashing on purpose\n", (int) getpid ());
  setrlimit (RLIMIT_CORE, &no_core);
  abort ();
}

static void
demo_primes_class_init (DemoPrimesClass *klass)
{
  /* The methods of a remote object are its action signals */
  g_signal_new_class_handler ("count-primes", G_TYPE_FROM_CLASS (klass),
                              G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (demo_primes_count_primes), NULL, NULL, NULL,
                              G_TYPE_NONE, 3, G_TYPE_OBJECT, G_TYPE_UINT, COMLINK_TYPE_INVOCATION);
  g_signal_new_class_handler ("crash", G_TYPE_FROM_CLASS (klass),
                              G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (demo_primes_crash), NULL, NULL, NULL,
                              G_TYPE_NONE, 0);
}

static void
demo_primes_init (DemoPrimes *self)
{
}

/* The child's main: expose the object until the parent goes away */
static int
run_worker (void)
{
  g_autoptr(GObject) primes = g_object_new (DEMO_TYPE_PRIMES, NULL);
  g_autoptr(GError) error = NULL;

  if (!comlink_worker_serve_parent (primes, &error))
    {
      g_printerr ("worker: %s\n", error->message);
      return 1;
    }

  return 0;
}

/* --- the application's side --- */

static void set_idle (DemoApp *app);

static void set_status (DemoApp    *app,
                        const char *format,
                        ...) G_GNUC_PRINTF (2, 3);

static void
set_status (DemoApp    *app,
            const char *format,
            ...)
{
  g_autofree char *text = NULL;
  va_list          args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  gtk_label_set_text (GTK_LABEL (app->status_label), text);
}

static void on_worker_exited (ComlinkWorker *worker,
                              const GError  *error,
                              DemoApp       *app);

/* Lets go of the current worker, if any; terminating one that already
 * ended does nothing. The worker reaps its process by itself. */
static void
drop_worker (DemoApp *app)
{
  if (app->worker == NULL)
    return;

  g_signal_handlers_disconnect_by_func (app->worker, on_worker_exited, app);
  comlink_worker_terminate (app->worker);
  g_clear_object (&app->worker);
}

/* Starts a fresh worker process, this program with --worker, in place of
 * the current one */
static void
start_worker (DemoApp *app)
{
  const char * const argv[] = { app->self_path, "--worker", NULL };
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;

  drop_worker (app);
  if (app->worker_environ != NULL)
    g_subprocess_launcher_set_environ (launcher, app->worker_environ);
  app->worker = comlink_worker_new_subprocess (launcher, argv, &error);
  if (app->worker == NULL)
    {
      set_status (app, "Could not start a worker: %s", error->message);
      gtk_label_set_text (GTK_LABEL (app->worker_label), "No worker");
      set_idle (app);
      return;
    }

  /* A worker that dies fails its pending calls, then emits ::exited */
  g_signal_connect (app->worker, "exited", G_CALLBACK (on_worker_exited), app);

  {
    g_autofree char *text = g_strdup_printf ("Worker process %s",
                                             g_subprocess_get_identifier (comlink_worker_get_subprocess (app->worker)));

    gtk_label_set_text (GTK_LABEL (app->worker_label), text);
  }
}

static void
on_worker_exited (ComlinkWorker *worker,
                  const GError  *error,
                  DemoApp       *app)
{
  /* Every call pending on the worker has failed with @error; a computation
   * in progress says so when its callback runs */
  if (app->cancellable == NULL)
    set_status (app, "The worker crashed: %s. A fresh worker is ready.", error->message);
  start_worker (app);
}

/* The buttons that make sense with and without a computation in progress */
static void
set_busy (DemoApp *app)
{
  gtk_widget_set_sensitive (app->compute_button, FALSE);
  gtk_widget_set_sensitive (app->terminate_button, TRUE);
  gtk_widget_set_sensitive (app->crash_button, TRUE);
  gtk_widget_set_sensitive (app->cancel_button, TRUE);
  gtk_spinner_start (GTK_SPINNER (app->spinner));
}

static void
set_idle (DemoApp *app)
{
  gtk_widget_set_sensitive (app->compute_button, app->worker != NULL);
  gtk_widget_set_sensitive (app->terminate_button, app->worker != NULL);
  gtk_widget_set_sensitive (app->crash_button, app->worker != NULL);
  gtk_widget_set_sensitive (app->cancel_button, FALSE);
  gtk_spinner_stop (GTK_SPINNER (app->spinner));
}

/* The worker calls this back while it counts */
static void
on_progress (ComlinkCallback *callback,
             double           fraction,
             DemoApp         *app)
{
  /* Reports of a computation that ended already may still arrive (the
   * worker sends a few more before it sees a cancellation): ignore them */
  if (callback != app->progress)
    return;

  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (app->progress_bar), fraction);
}

static void
on_counted (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  DemoApp *app = user_data;
  double   seconds = (g_get_monotonic_time () - app->started) / (double) G_USEC_PER_SEC;
  guint    count = 0;

  g_clear_error (&app->error);
  if (comlink_proxy_call_with_args_finish (COMLINK_PROXY (source), result, &app->error,
                                           G_TYPE_UINT, &count))
    app->count = count;
  app->n_finished++;
  g_clear_object (&app->cancellable);
  g_clear_object (&app->progress);

  /* The window went away meanwhile */
  if (app->window == NULL)
    return;

  set_idle (app);
  if (app->error == NULL)
    {
      g_autofree char *text = g_strdup_printf ("%'u primes below %'u", count, app->bound);

      gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (app->progress_bar), 1.0);
      gtk_label_set_text (GTK_LABEL (app->result_label), text);
      set_status (app, "Counted in %.1f s.", seconds);
    }
  else if (g_error_matches (app->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    set_status (app, "Cancelled after %.1f s.", seconds);
  else if (g_error_matches (app->error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED))
    set_status (app, "Terminated: %s. A fresh worker is ready.", app->error->message);
  else if (g_error_matches (app->error, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED))
    set_status (app, "The worker crashed: %s. A fresh worker is ready.", app->error->message);
  else
    set_status (app, "Failed: %s", app->error->message);
}

static void
on_compute_clicked (GtkButton *button,
                    DemoApp   *app)
{
  app->bound = gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (app->bound_spin));
  app->started = g_get_monotonic_time ();
  app->cancellable = g_cancellable_new ();
  /* The worker receives a proxy of this callback, and calling it runs
   * on_progress here, in the main thread */
  app->progress = comlink_callback_new_typed (g_cclosure_new (G_CALLBACK (on_progress), app, NULL),
                                              G_TYPE_NONE, 1, G_TYPE_DOUBLE);

  comlink_proxy_call_with_args_async (comlink_worker_get_proxy (app->worker), "count-primes",
                                      app->cancellable, on_counted, app,
                                      G_TYPE_OBJECT, app->progress,
                                      G_TYPE_UINT, app->bound,
                                      G_TYPE_INVALID);

  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (app->progress_bar), 0.0);
  set_status (app, "Counting in the worker…");
  set_busy (app);
}

static void
on_cancel_clicked (GtkButton *button,
                   DemoApp   *app)
{
  /* The call fails at once with G_IO_ERROR_CANCELLED; the worker is told,
   * and its computation stops */
  g_cancellable_cancel (app->cancellable);
}

static void
on_terminate_clicked (GtkButton *button,
                      DemoApp   *app)
{
  /* Terminating the worker fails its pending call at once with
   * COMLINK_ERROR_TERMINATED and kills the process; the next computation
   * runs in a fresh one */
  drop_worker (app);
  start_worker (app);
  if (app->cancellable == NULL)
    set_status (app, "Terminated the worker. A fresh worker is ready.");
}

static void
on_crash_clicked (GtkButton *button,
                  DemoApp   *app)
{
  /* Fire and forget: this call fails too when the worker dies, and
   * on_worker_exited handles the death */
  comlink_proxy_call_with_args_async (comlink_worker_get_proxy (app->worker), "crash",
                                      NULL, NULL, NULL, G_TYPE_INVALID);
}

/* The window is gone: so are its widgets, and the worker goes too */
static void
on_window_destroy (GtkWidget *window,
                   DemoApp   *app)
{
  app->window = NULL;
  app->bound_spin = app->compute_button = app->cancel_button = NULL;
  app->terminate_button = app->crash_button = NULL;
  app->progress_bar = app->spinner = NULL;
  app->status_label = app->result_label = app->worker_label = NULL;
  drop_worker (app);
}

static GtkWidget *
add_button (GtkWidget  *box,
            const char *label,
            const char *style_class,
            GCallback   clicked,
            DemoApp    *app)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  if (style_class != NULL)
    gtk_widget_add_css_class (button, style_class);
  g_signal_connect (button, "clicked", clicked, app);
  gtk_box_append (GTK_BOX (box), button);

  return button;
}

static void
build_window (DemoApp *app)
{
  GtkWidget *box, *row, *label;

  app->window = gtk_application_window_new (app->application);
  gtk_window_set_title (GTK_WINDOW (app->window), "Comlink demo");
  gtk_window_set_titlebar (GTK_WINDOW (app->window), gtk_header_bar_new ());
  gtk_window_set_default_size (GTK_WINDOW (app->window), 560, -1);
  g_signal_connect (app->window, "destroy", G_CALLBACK (on_window_destroy), app);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);
  gtk_widget_set_margin_start (box, 18);
  gtk_widget_set_margin_end (box, 18);
  gtk_window_set_child (GTK_WINDOW (app->window), box);

  label = gtk_label_new ("A worker process counts the primes below a number, "
                         "the slow way, while this window stays responsive.");
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_box_append (GTK_BOX (box), label);

  /* Count the primes below [ 10000000 ] */
  row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_box_append (GTK_BOX (row), gtk_label_new ("Count the primes below"));
  app->bound_spin = gtk_spin_button_new_with_range (2, 1000000000, 1000000);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (app->bound_spin), 10000000);
  gtk_widget_set_hexpand (app->bound_spin, TRUE);
  gtk_box_append (GTK_BOX (row), app->bound_spin);
  gtk_box_append (GTK_BOX (box), row);

  /* The progress bar, and a spinner that shows the window never freezes */
  row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  app->progress_bar = gtk_progress_bar_new ();
  gtk_progress_bar_set_show_text (GTK_PROGRESS_BAR (app->progress_bar), TRUE);
  gtk_widget_set_hexpand (app->progress_bar, TRUE);
  gtk_widget_set_valign (app->progress_bar, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (row), app->progress_bar);
  app->spinner = gtk_spinner_new ();
  gtk_box_append (GTK_BOX (row), app->spinner);
  gtk_box_append (GTK_BOX (box), row);

  row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_box_set_homogeneous (GTK_BOX (row), TRUE);
  app->compute_button = add_button (row, "C_ompute", "suggested-action",
                                    G_CALLBACK (on_compute_clicked), app);
  app->cancel_button = add_button (row, "_Cancel", NULL,
                                   G_CALLBACK (on_cancel_clicked), app);
  app->terminate_button = add_button (row, "_Terminate", NULL,
                                      G_CALLBACK (on_terminate_clicked), app);
  app->crash_button = add_button (row, "C_rash the worker", "destructive-action",
                                  G_CALLBACK (on_crash_clicked), app);
  gtk_box_append (GTK_BOX (box), row);

  app->result_label = gtk_label_new ("No result yet");
  gtk_widget_add_css_class (app->result_label, "title-2");
  gtk_label_set_selectable (GTK_LABEL (app->result_label), TRUE);
  gtk_box_append (GTK_BOX (box), app->result_label);

  app->status_label = gtk_label_new ("");
  gtk_label_set_wrap (GTK_LABEL (app->status_label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (app->status_label), 0.0);
  gtk_box_append (GTK_BOX (box), app->status_label);

  app->worker_label = gtk_label_new ("");
  gtk_widget_add_css_class (app->worker_label, "dim-label");
  gtk_label_set_xalign (GTK_LABEL (app->worker_label), 0.0);
  gtk_box_append (GTK_BOX (box), app->worker_label);

  /* Enter computes */
  gtk_window_set_focus (GTK_WINDOW (app->window), app->compute_button);
}

static void
on_activate (GApplication *application,
             DemoApp      *app)
{
  if (app->window != NULL)
    {
      gtk_window_present (GTK_WINDOW (app->window));
      return;
    }

  if (app->self_test_screenshot != NULL)
    demo_self_test_start (app);

  build_window (app);
  start_worker (app);
  if (app->worker != NULL)
    set_status (app, "Ready.");
  set_idle (app);
  gtk_window_present (GTK_WINDOW (app->window));
}

static int
on_handle_local_options (GApplication *application,
                         GVariantDict *options,
                         DemoApp      *app)
{
  if (g_variant_dict_lookup (options, "self-test", "^ay", &app->self_test_screenshot))
    /* The self-test must drive a window of its own, not one of an instance
     * that runs already */
    g_application_set_flags (application, G_APPLICATION_NON_UNIQUE);

  return -1; /* go on */
}

/* This program's own file, to start it again as a worker */
static char *
find_self (const char *argv0)
{
  char *path = g_file_read_link ("/proc/self/exe", NULL);

  if (path != NULL)
    return path;
  if (strchr (argv0, G_DIR_SEPARATOR) != NULL)
    return g_canonicalize_filename (argv0, NULL);

  return g_find_program_in_path (argv0);
}

int
main (int   argc,
      char *argv[])
{
  DemoApp app = { 0 };
  int     status;

  /* The worker process needs no display: it never initializes GTK */
  if (argc == 2 && g_str_equal (argv[1], "--worker"))
    return run_worker ();

  setlocale (LC_ALL, "");
  app.self_path = find_self (argv[0]);
  if (app.self_path == NULL)
    {
      g_printerr ("Cannot find this program's own file\n");
      return 1;
    }

  app.application = gtk_application_new ("org.gnome.Comlink.Demo", G_APPLICATION_DEFAULT_FLAGS);
  g_application_add_main_option (G_APPLICATION (app.application), "self-test", 0,
                                 G_OPTION_FLAG_NONE, G_OPTION_ARG_FILENAME,
                                 "Click through the demo, check it and save a screenshot to FILE",
                                 "FILE");
  g_signal_connect (app.application, "handle-local-options",
                    G_CALLBACK (on_handle_local_options), &app);
  g_signal_connect (app.application, "activate", G_CALLBACK (on_activate), &app);
  status = g_application_run (G_APPLICATION (app.application), argc, argv);

  /* A computation still in progress when the window closed failed at once
   * with COMLINK_ERROR_TERMINATED: let its callback run */
  while (app.cancellable != NULL)
    g_main_context_iteration (NULL, TRUE);

  if (app.self_test_screenshot != NULL && !demo_self_test_finish (&app))
    status = 1;

  g_clear_object (&app.application);
  g_clear_error (&app.error);
  g_strfreev (app.worker_environ);
  g_free (app.self_test_screenshot);
  g_free (app.self_path);

  return status;
}
