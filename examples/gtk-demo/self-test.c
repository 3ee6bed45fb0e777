/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The self-test of the GTK demo (--self-test=FILE).
 *
 * It clicks the demo's buttons as a user would, through the widgets, and
 * checks what the demo does and shows:
 *
 * 1. Compute to the end: the right count.
 * 2. Compute, then Cancel: the call fails at once with
 *    G_IO_ERROR_CANCELLED, and the worker stops computing (its CPU time
 *    stops growing), in the same process, which computes again after.
 * 3. Compute, then Terminate: the call fails at once with
 *    COMLINK_ERROR_TERMINATED, the old process is reaped, and a fresh
 *    worker computes the next count.
 * 4. Compute, then "Crash the worker": the call fails with
 *    COMLINK_ERROR_WORKER_EXITED, the old process died of SIGABRT and is
 *    reaped, and a fresh worker computes the next count.
 *
 * While a computation runs, the window must keep drawing: the spinner
 * animates, so the frame clock paints a frame every refresh (16.7 ms at
 * 60 Hz). The test records the time between consecutive frames and fails
 * if the longest gap reaches 100 ms. That is the bound under which users
 * perceive a reaction as immediate; a main thread blocked by the
 * computation would show a gap as long as the computation, seconds, while
 * one that only draws stays near 17 ms, with some scheduling noise. With
 * COMLINK_TEST_SLOW set (sanitizer builds, where every allocation is slow)
 * the time bounds are 10 times longer.
 *
 * At the end it saves a screenshot of the window, closes it, and checks
 * that every worker process was reaped: the demo leaves no child behind,
 * running or zombie. */

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gtk-demo.h"

struct _DemoSelfTest
{
  DemoApp   *app;
  gboolean   failed;
  GPtrArray *subprocesses; /* of every worker seen */
  guint      tick_id;      /* wakes the waits up now and then */

  /* Frames painted while a computation runs */
  GdkFrameClock *frame_clock;
  gulong         after_paint_id;
  gint64         last_frame; /* 0: no computation at the last frame */
  GArray        *gaps;       /* gint64, in µs */
};

/* The time bounds: longer where everything is slow */
static gint64
bound_ms (gint64 ms)
{
  return g_getenv ("COMLINK_TEST_SLOW") != NULL ? ms * 10 : ms;
}

static gboolean check (DemoSelfTest *test,
                       gboolean      ok,
                       const char   *format,
                       ...) G_GNUC_PRINTF (3, 4);

static gboolean
check (DemoSelfTest *test,
       gboolean      ok,
       const char   *format,
       ...)
{
  g_autofree char *text = NULL;
  va_list          args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_print ("%s - %s\n", ok ? "ok" : "FAIL", text);
  if (!ok)
    test->failed = TRUE;

  return ok;
}

/* Runs the main context (the window draws, the worker's answers arrive)
 * until @done returns TRUE or @timeout_ms passed; returns what @done says */
typedef gboolean (*Condition) (DemoSelfTest *test,
                               gconstpointer data);

static gboolean
wait_for (DemoSelfTest *test,
          Condition     done,
          gconstpointer data,
          gint64        timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;

  while (!done (test, data) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  return done (test, data);
}

static gboolean
never (DemoSelfTest *test,
       gconstpointer data)
{
  return FALSE;
}

static void
wait_ms (DemoSelfTest *test,
         gint64        ms)
{
  wait_for (test, never, NULL, ms);
}

static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* --- what the test watches --- */

static void
track_worker (DemoSelfTest *test)
{
  GSubprocess *subprocess;

  if (test->app->worker == NULL)
    return;

  subprocess = comlink_worker_get_subprocess (test->app->worker);
  if (!g_ptr_array_find (test->subprocesses, subprocess, NULL))
    g_ptr_array_add (test->subprocesses, g_object_ref (subprocess));
}

static gboolean
worker_running (DemoSelfTest *test,
                gconstpointer data)
{
  return test->app->worker != NULL &&
         comlink_worker_get_state (test->app->worker) == COMLINK_WORKER_STATE_RUNNING;
}

static gboolean
window_mapped (DemoSelfTest *test,
               gconstpointer data)
{
  return test->app->window != NULL && gtk_widget_get_mapped (test->app->window);
}

static gboolean
progress_shown (DemoSelfTest *test,
                gconstpointer data)
{
  return gtk_progress_bar_get_fraction (GTK_PROGRESS_BAR (test->app->progress_bar)) > 0.0;
}

/* The computation started when n_finished was *data has ended */
static gboolean
computation_over (DemoSelfTest *test,
                  gconstpointer data)
{
  return test->app->n_finished > *(const guint *) data;
}

static gboolean
reaped (DemoSelfTest *test,
        gconstpointer data)
{
  return g_subprocess_get_identifier ((GSubprocess *) data) == NULL;
}

static gboolean
all_reaped (DemoSelfTest *test,
            gconstpointer data)
{
  for (guint i = 0; i < test->subprocesses->len; i++)
    if (!reaped (test, test->subprocesses->pdata[i]))
      return FALSE;

  return TRUE;
}

static gboolean
worker_replaced (DemoSelfTest *test,
                 gconstpointer data)
{
  return test->app->worker != NULL && test->app->worker != data;
}

/* The CPU time (user and system) that process @pid used so far, in ms */
static gint64
cpu_time_ms (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat", pid);
  g_autofree char *contents = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after_name;

  if (!g_file_get_contents (path, &contents, NULL, NULL) ||
      (after_name = strrchr (contents, ')')) == NULL)
    return -1;

  /* After the name: state (field 3), ..., utime (14), stime (15) */
  fields = g_strsplit (after_name + 2, " ", 0);
  if (g_strv_length (fields) < 13)
    return -1;

  return (g_ascii_strtoll (fields[11], NULL, 10) + g_ascii_strtoll (fields[12], NULL, 10)) *
         1000 / sysconf (_SC_CLK_TCK);
}

/* The processes whose parent is this one, zombies included */
static guint
count_children (void)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;
  guint       n = 0;

  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *contents = NULL;
      const char      *after_name;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_strdup_printf ("/proc/%s/stat", name);
      if (!g_file_get_contents (path, &contents, NULL, NULL) ||
          (after_name = strrchr (contents, ')')) == NULL)
        continue;
      /* ") S 1234 ...": the state, then the parent */
      if (g_ascii_strtoll (after_name + 4, NULL, 10) == getpid ())
        {
          g_print ("  child process %s: %s", name, contents);
          n++;
        }
    }

  return n;
}

/* Records the time between frames painted while a computation runs */
static void
on_after_paint (GdkFrameClock *clock,
                DemoSelfTest  *test)
{
  gint64 now = g_get_monotonic_time ();

  if (test->app->cancellable == NULL)
    {
      test->last_frame = 0;
      return;
    }

  if (test->last_frame != 0)
    {
      gint64 gap = now - test->last_frame;

      g_array_append_val (test->gaps, gap);
    }
  test->last_frame = now;
}

static int
compare_gaps (gconstpointer a,
              gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

/* --- driving the window --- */

/* Clicks @button as a user would: only if it is sensitive */
static gboolean
click (DemoSelfTest *test,
       GtkWidget    *button)
{
  if (!check (test, gtk_widget_is_sensitive (button), "\"%s\" can be clicked",
              gtk_button_get_label (GTK_BUTTON (button))))
    return FALSE;

  g_signal_emit_by_name (button, "clicked");

  return TRUE;
}

static gboolean
label_contains (GtkWidget  *label,
                const char *text)
{
  return strstr (gtk_label_get_text (GTK_LABEL (label)), text) != NULL;
}

/* Computes the primes below @bound to the end, and checks the count */
static gboolean
compute (DemoSelfTest *test,
         guint         bound,
         guint         expected)
{
  DemoApp         *app = test->app;
  guint            n_finished = app->n_finished;
  g_autofree char *result = g_strdup_printf ("%'u primes below %'u", expected, bound);
  gint64           started = g_get_monotonic_time ();

  gtk_spin_button_set_value (GTK_SPIN_BUTTON (app->bound_spin), bound);
  if (!click (test, app->compute_button))
    return FALSE;
  track_worker (test);
  if (!check (test, wait_for (test, computation_over, &n_finished, 120000),
              "the count of primes below %u ends", bound))
    return FALSE;

  return check (test, app->error == NULL, "it succeeds (%s)",
                app->error != NULL ? app->error->message : "no error") &&
         check (test, app->count == expected, "%u primes below %u, in %.1f s", app->count, bound,
                (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC) &&
         check (test, g_str_equal (gtk_label_get_text (GTK_LABEL (app->result_label)), result),
                "the result label says \"%s\"", result) &&
         check (test, label_contains (app->status_label, "Counted"),
                "the status label says \"%s\"", gtk_label_get_text (GTK_LABEL (app->status_label)));
}

/* Starts a long computation, and waits until the worker reports progress */
static gboolean
start_long_computation (DemoSelfTest *test)
{
  DemoApp *app = test->app;

  gtk_spin_button_set_value (GTK_SPIN_BUTTON (app->bound_spin), 1000000000);
  if (!click (test, app->compute_button))
    return FALSE;
  track_worker (test);
  if (!check (test, wait_for (test, progress_shown, NULL, bound_ms (10000)),
              "the worker reports progress"))
    return FALSE;

  /* Some more frames painted while it computes */
  wait_ms (test, 500);

  return check (test, app->cancellable != NULL, "it is still computing");
}

/* Clicks @button with a computation running, and checks that the
 * computation fails with @domain, @code within @within_ms */
static gboolean
interrupt (DemoSelfTest *test,
           GtkWidget    *button,
           GQuark        domain,
           int           code,
           gint64        within_ms,
           const char   *status)
{
  DemoApp *app = test->app;
  guint    n_finished = app->n_finished;
  gint64   clicked, elapsed;

  clicked = g_get_monotonic_time ();
  if (!click (test, button))
    return FALSE;
  if (!check (test, wait_for (test, computation_over, &n_finished, bound_ms (10000)),
              "the computation ends"))
    return FALSE;
  elapsed = g_get_monotonic_time () - clicked;

  return check (test, g_error_matches (app->error, domain, code), "it fails with %s %d (%s)",
                g_quark_to_string (domain), code,
                app->error != NULL ? app->error->message : "no error") &&
         check (test, elapsed < within_ms * G_TIME_SPAN_MILLISECOND,
                "%.1f ms after the click (bound: %" G_GINT64_FORMAT " ms)",
                elapsed / 1000.0, within_ms) &&
         check (test, label_contains (app->status_label, status),
                "the status label says \"%s\"", gtk_label_get_text (GTK_LABEL (app->status_label)));
}

static gboolean
test_cancel (DemoSelfTest *test)
{
  DemoApp       *app = test->app;
  ComlinkWorker *worker = app->worker;
  const char    *pid = g_subprocess_get_identifier (comlink_worker_get_subprocess (worker));
  gint64         before, after;

  g_print ("# Compute, then Cancel\n");
  if (!start_long_computation (test) ||
      !interrupt (test, app->cancel_button, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                  bound_ms (100), "Cancelled"))
    return FALSE;

  /* The worker learns of the cancellation through a message, and checks
   * its cancellable every few milliseconds: give it some time, then it
   * must be idle */
  wait_ms (test, 200);
  before = cpu_time_ms (pid);
  wait_ms (test, 500);
  after = cpu_time_ms (pid);

  return check (test, before >= 0 && after - before < 50,
                "the worker stopped computing: %" G_GINT64_FORMAT " ms of CPU in 500 ms",
                after - before) &&
         check (test, app->worker == worker && worker_running (test, NULL),
                "the same worker is still running");
}

static gboolean
test_terminate (DemoSelfTest *test)
{
  DemoApp *app = test->app;
  g_autoptr(GSubprocess) old = g_object_ref (comlink_worker_get_subprocess (app->worker));
  ComlinkWorker *old_worker = app->worker;

  g_print ("# Compute, then Terminate\n");
  if (!start_long_computation (test) ||
      !interrupt (test, app->terminate_button, COMLINK_ERROR, COMLINK_ERROR_TERMINATED,
                  bound_ms (100), "Terminated"))
    return FALSE;
  track_worker (test);

  return check (test, app->worker != old_worker, "a fresh worker replaced it") &&
         check (test, wait_for (test, reaped, old, bound_ms (5000)),
                "the terminated process was reaped") &&
         compute (test, 1000000, 78498);
}

static gboolean
test_crash (DemoSelfTest *test)
{
  DemoApp *app = test->app;
  g_autoptr(GSubprocess) old = g_object_ref (comlink_worker_get_subprocess (app->worker));
  ComlinkWorker *old_worker = app->worker;

  g_print ("# Compute, then Crash the worker\n");
  /* The crash takes a round trip to the worker, and its exit status is
   * waited for: allow more than for the other two */
  if (!start_long_computation (test) ||
      !interrupt (test, app->crash_button, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED,
                  bound_ms (1000), "crashed"))
    return FALSE;

  if (!check (test, wait_for (test, worker_replaced, old_worker, bound_ms (5000)),
              "a fresh worker replaced it") ||
      !check (test, wait_for (test, reaped, old, bound_ms (5000)),
              "the crashed process was reaped"))
    return FALSE;
  track_worker (test);

  return check (test, g_subprocess_get_if_signaled (old) && g_subprocess_get_term_sig (old) == SIGABRT,
                "it died of SIGABRT") &&
         compute (test, 10000000, 664579);
}

/* The frame gaps while the worker computed */
static gboolean
check_frame_gaps (DemoSelfTest *test)
{
  GArray *gaps = test->gaps;
  gint64  total = 0, max;

  if (!check (test, gaps->len >= 60, "%u frames painted while the worker computed", gaps->len))
    return FALSE;

  g_array_sort (gaps, compare_gaps);
  for (guint i = 0; i < gaps->len; i++)
    total += g_array_index (gaps, gint64, i);
  max = g_array_index (gaps, gint64, gaps->len - 1);
  g_print ("# frame gaps while computing: %u frames in %.1f s (%.0f per second), "
           "median %.1f ms, 99th percentile %.1f ms, longest %.1f ms\n",
           gaps->len, total / (double) G_USEC_PER_SEC, gaps->len / (total / (double) G_USEC_PER_SEC),
           g_array_index (gaps, gint64, gaps->len / 2) / 1000.0,
           g_array_index (gaps, gint64, gaps->len * 99 / 100) / 1000.0, max / 1000.0);

  return check (test, max < bound_ms (100) * G_TIME_SPAN_MILLISECOND,
                "the longest gap between frames, %.1f ms, is under %" G_GINT64_FORMAT " ms",
                max / 1000.0, bound_ms (100));
}

static void
on_invalidate_contents (GdkPaintable *paintable,
                        gboolean     *invalidated)
{
  *invalidated = TRUE;
}

static gboolean
is_true (DemoSelfTest *test,
         gconstpointer data)
{
  return *(const gboolean *) data;
}

/* Renders the window into a PNG file */
static gboolean
save_screenshot (DemoSelfTest *test,
                 const char   *path)
{
  GtkWidget *window = test->app->window;
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (window);
  gboolean     invalidated = FALSE;
  GtkSnapshot *snapshot;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  int width, height;

  /* The paintable shows what the window painted last: have it paint */
  g_signal_connect (paintable, "invalidate-contents", G_CALLBACK (on_invalidate_contents), &invalidated);
  gtk_widget_queue_draw (window);
  if (!check (test, wait_for (test, is_true, &invalidated, bound_ms (5000)), "the window painted again"))
    return FALSE;
  g_signal_handlers_disconnect_by_func (paintable, on_invalidate_contents, &invalidated);

  width = gdk_paintable_get_intrinsic_width (paintable);
  height = gdk_paintable_get_intrinsic_height (paintable);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  if (!check (test, node != NULL && width > 0 && height > 0, "the window has a picture"))
    return FALSE;
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));

  return check (test, gdk_texture_save_to_png (texture, path),
                "saved a %d×%d screenshot to %s", width, height, path);
}

static gboolean
run_script (gpointer data)
{
  DemoSelfTest *test = data;
  DemoApp      *app = test->app;

  if (!check (test, wait_for (test, window_mapped, NULL, bound_ms (10000)), "the window is shown") ||
      !check (test, wait_for (test, worker_running, NULL, bound_ms (10000)), "the worker runs"))
    goto out;
  track_worker (test);

  test->frame_clock = g_object_ref (gtk_widget_get_frame_clock (app->window));
  test->after_paint_id = g_signal_connect (test->frame_clock, "after-paint",
                                           G_CALLBACK (on_after_paint), test);

  g_print ("# Compute to the end\n");
  if (!compute (test, 2000000, 148933) ||
      !test_cancel (test) ||
      !compute (test, 100000, 9592) ||
      !test_terminate (test) ||
      !test_crash (test) ||
      !check_frame_gaps (test))
    goto out;

  save_screenshot (test, app->self_test_screenshot);

out:
  g_clear_signal_handler (&test->after_paint_id, test->frame_clock);
  g_clear_object (&test->frame_clock);
  /* Closing the window ends the application; the demo terminates its
   * worker then */
  if (app->window != NULL)
    gtk_window_destroy (GTK_WINDOW (app->window));

  return G_SOURCE_REMOVE;
}

void
demo_self_test_start (DemoApp *app)
{
  DemoSelfTest    *test = g_new0 (DemoSelfTest, 1);
  g_autofree char *options = NULL;

  test->app = app;
  test->subprocesses = g_ptr_array_new_with_free_func (g_object_unref);
  test->gaps = g_array_new (FALSE, FALSE, sizeof (gint64));
  test->tick_id = g_timeout_add (10, tick, NULL);
  app->self_test = test;

  /* In a sanitizer build, a worker that exits on its own (as one does when
   * its socket closes, just before the SIGTERM of terminate) runs the leak
   * check, which ptraces the process while it dies. GLib 2.74 then reports
   * the child as exited with status 0 but does not reap it, and this test
   * would see a zombie. The workers' leaks are not this test's subject:
   * they are not checked (the variable means nothing to other builds). */
  options = g_getenv ("ASAN_OPTIONS") != NULL
              ? g_strconcat (g_getenv ("ASAN_OPTIONS"), ":detect_leaks=0", NULL)
              : g_strdup ("detect_leaks=0");
  app->worker_environ = g_environ_setenv (g_get_environ (), "ASAN_OPTIONS", options, TRUE);

  /* Once the window is up */
  g_idle_add (run_script, test);
}

/* After the application's main loop: no worker may be left */
gboolean
demo_self_test_finish (DemoApp *app)
{
  DemoSelfTest *test = app->self_test;
  gboolean      ok;

  if (test == NULL)
    {
      g_print ("FAIL - the self-test never started\n");
      return FALSE;
    }

  check (test, app->worker == NULL, "the demo let go of its worker");
  check (test, wait_for (test, all_reaped, NULL, bound_ms (5000)),
         "all %u worker processes were reaped", test->subprocesses->len);
  check (test, count_children () == 0, "no child process is left");

  ok = !test->failed;
  g_clear_handle_id (&test->tick_id, g_source_remove);
  g_ptr_array_unref (test->subprocesses);
  g_array_unref (test->gaps);
  g_free (test);
  app->self_test = NULL;
  g_print ("%s\n", ok ? "The demo passed its self-test." : "The demo FAILED its self-test!");

  return ok;
}
