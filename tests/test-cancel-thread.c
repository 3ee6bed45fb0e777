/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Cancellation of a method that blocks its thread: a thread worker's
 * invocation is cancelled at once from the caller's thread (cancel,
 * timeout, terminate), a subprocess worker's through the CANCEL message;
 * and comlink_invocation_run_in_thread(): results, errors, cancellation,
 * progress, and a worker terminated while a function runs. */

#include "test-objects.h"

static guint base_threads;

/* Under valgrind everything is slower */
static gint64
bound_usec (gint64 usec)
{
  return g_getenv ("COMLINK_TEST_SLOW") != NULL ? usec * 20 : usec;
}

static GThread *worker_thread;

static GObject *
setup_slow (gpointer user_data, GError **error)
{
  TestSlow *slow = g_object_new (TEST_TYPE_SLOW, NULL);

  worker_thread = g_thread_self ();
  if (user_data != NULL)
    test_watch (user_data, slow);

  return G_OBJECT (slow);
}

static guint
n_entered (void)
{
  TestSlowStats stats;

  test_slow_get_stats (&stats);
  return stats.n_entered;
}

static guint
n_stopped (void)
{
  TestSlowStats stats;

  test_slow_get_stats (&stats);
  return stats.n_stopped;
}

/* Every worker thread of a test is gone, and its objects with it */
static void
finish_worker (ComlinkWorker *worker,
               TestWatch     *slow_watch)
{
  TestWatch worker_watch, connection_watch, proxy_watch;

  test_watch (&worker_watch, worker);
  test_watch (&connection_watch, comlink_worker_get_connection (worker));
  test_watch (&proxy_watch, comlink_worker_get_proxy (worker));
  comlink_worker_terminate (worker);
  g_object_unref (worker);
  test_wait_until (test_watch_done (&worker_watch) && test_watch_done (&connection_watch) &&
                   test_watch_done (&proxy_watch));
  if (slow_watch != NULL)
    {
      test_wait_until (test_watch_done (slow_watch));
      g_assert_true (slow_watch->thread != g_thread_self ());
    }
  test_wait_until (test_count_threads () <= base_threads);
  test_iterate_pending ();
}

static void
call_async (ComlinkProxy *proxy, const char *method, TestResult *r, guint n, GValue *args)
{
  comlink_proxy_call_async (proxy, method, args, n, NULL, test_on_call_done, r);
  test_args_free (args, n);
}

/* The callback ran once, and runs no more */
static void
assert_completed_once (TestResult *r)
{
  test_iterate_pending ();
  g_usleep (20000);
  test_iterate_pending ();
  g_assert_cmpuint (r->n_calls, ==, 1);
}

/* --- a method that blocks in its handler, in a thread worker --- */

static void
test_blocking_cancel (void)
{
  TestWatch      slow_watch;
  ComlinkWorker *worker = comlink_worker_new_thread ("slow", setup_slow, &slow_watch, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  TestResult    r = { 0 };
  gint64        cancelled_at;
  TestSlowStats stats;

  test_slow_reset_stats ();
  comlink_proxy_call_async (comlink_worker_get_proxy (worker), "spin", NULL, 0, cancellable,
                            test_on_call_done, &r);
  test_wait_until (n_entered () == 1);

  cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* The handler saw it without returning to its main context */
  test_wait_until (n_stopped () == 1);
  test_slow_get_stats (&stats);
  g_assert_cmpuint (stats.n_saw_cancel, ==, 1);
  g_assert_cmpint (stats.last_stop_time - cancelled_at, <, bound_usec (G_USEC_PER_SEC / 2));
  assert_completed_once (&r);
  test_result_clear (&r);

  /* The worker serves on, and the late CANCEL finds nothing */
  {
    g_autoptr(GError) error = NULL;
    GValue *args = test_args_new (2, G_TYPE_INT, 40, G_TYPE_INT, 2);
    GValue *ret = comlink_proxy_call_sync (comlink_worker_get_proxy (worker), "add-in-thread", args, 2,
                                           NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpint (g_value_get_int (ret), ==, 42);
    g_boxed_free (G_TYPE_VALUE, ret);
    test_args_free (args, 2);
  }

  finish_worker (worker, &slow_watch);
}

/* A call cancelled while it waits behind a blocking one is cancelled
 * when it comes to be served, though its CANCEL still waits behind it */
static void
test_blocking_queued (void)
{
  TestWatch      slow_watch;
  ComlinkWorker *worker = comlink_worker_new_thread ("slow", setup_slow, &slow_watch, NULL);
  ComlinkProxy  *proxy = comlink_worker_get_proxy (worker);
  g_autoptr(GCancellable) first = g_cancellable_new ();
  g_autoptr(GCancellable) second = g_cancellable_new ();
  TestResult    r1 = { 0 }, r2 = { 0 };
  gint64        cancelled_at;
  TestSlowStats stats;

  test_slow_reset_stats ();
  comlink_proxy_call_async (proxy, "spin", NULL, 0, first, test_on_call_done, &r1);
  comlink_proxy_call_async (proxy, "spin", NULL, 0, second, test_on_call_done, &r2);
  test_wait_until (n_entered () == 1);

  cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (second);
  test_wait_until (r2.n_calls == 1);
  g_assert_error (r2.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_cancellable_cancel (first);
  test_wait_until (r1.n_calls == 1);
  g_assert_error (r1.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  test_wait_until (n_stopped () == 2);
  test_slow_get_stats (&stats);
  g_assert_cmpuint (stats.n_entered, ==, 2);
  g_assert_cmpuint (stats.n_saw_cancel, ==, 2);
  g_assert_cmpint (stats.last_stop_time - cancelled_at, <, bound_usec (G_USEC_PER_SEC / 2));
  assert_completed_once (&r1);
  assert_completed_once (&r2);
  test_result_clear (&r1);
  test_result_clear (&r2);

  /* And those queued when the worker is terminated */
  comlink_proxy_call_async (proxy, "spin", NULL, 0, NULL, test_on_call_done, &r1);
  comlink_proxy_call_async (proxy, "spin", NULL, 0, NULL, test_on_call_done, &r2);
  test_wait_until (n_entered () == 3);
  g_object_ref (worker);
  comlink_worker_terminate (worker);
  test_wait_until (r1.n_calls == 1 && r2.n_calls == 1);
  g_assert_error (r1.error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED);
  g_assert_error (r2.error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED);
  /* The second one may still be served, if the closing comes after it:
   * then it stops at once too */
  test_wait_until (n_stopped () >= 3);
  test_iterate_pending ();
  g_usleep (50000);
  test_slow_get_stats (&stats);
  g_assert_cmpuint (stats.n_stopped, ==, stats.n_entered);
  g_assert_cmpuint (stats.n_saw_cancel, ==, stats.n_entered);
  test_result_clear (&r1);
  test_result_clear (&r2);
  g_object_unref (worker);

  finish_worker (worker, &slow_watch);
}

static void
test_blocking_timeout (void)
{
  TestWatch      slow_watch;
  ComlinkWorker *worker = comlink_worker_new_thread ("slow", setup_slow, &slow_watch, NULL);
  TestResult     r = { 0 };
  gint64         called_at;
  TestSlowStats  stats;

  test_slow_reset_stats ();
  called_at = g_get_monotonic_time ();
  comlink_proxy_call_full_async (comlink_worker_get_proxy (worker), "spin", NULL, 0, 100, NULL,
                                 test_on_call_done, &r);
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);

  test_wait_until (n_stopped () == 1);
  test_slow_get_stats (&stats);
  g_assert_cmpuint (stats.n_entered, ==, 1);
  g_assert_cmpuint (stats.n_saw_cancel, ==, 1);
  g_assert_cmpint (stats.last_stop_time - called_at, <, 100000 + bound_usec (G_USEC_PER_SEC / 2));
  assert_completed_once (&r);
  test_result_clear (&r);

  finish_worker (worker, &slow_watch);
}

/* Terminate cancels the invocations being served at once too */
static void
test_blocking_terminate (void)
{
  TestWatch      slow_watch;
  ComlinkWorker *worker = comlink_worker_new_thread ("slow", setup_slow, &slow_watch, NULL);
  TestResult     r = { 0 };
  gint64         terminated_at;
  TestSlowStats  stats;

  test_slow_reset_stats ();
  comlink_proxy_call_async (comlink_worker_get_proxy (worker), "spin", NULL, 0, NULL,
                            test_on_call_done, &r);
  test_wait_until (n_entered () == 1);

  terminated_at = g_get_monotonic_time ();
  comlink_worker_terminate (worker);
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED);

  test_wait_until (n_stopped () == 1);
  test_slow_get_stats (&stats);
  g_assert_cmpuint (stats.n_saw_cancel, ==, 1);
  g_assert_cmpint (stats.last_stop_time - terminated_at, <, bound_usec (G_USEC_PER_SEC / 2));
  assert_completed_once (&r);
  test_result_clear (&r);

  finish_worker (worker, &slow_watch);
}

/* Calls on an in-process channel in one thread: the invocation's
 * cancellable fires inside g_cancellable_cancel(), before any message */
static void
test_channel_same_thread (void)
{
  g_autoptr(ComlinkChannel) channel = comlink_channel_new ();
  g_autoptr(TestCalc) calc = test_calc_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) remote = NULL;
  g_autoptr(ComlinkProxy) proxy = NULL;
  TestResult r = { 0 };

  comlink_expose (G_OBJECT (calc), comlink_channel_get_port1 (channel));
  proxy = comlink_wrap (comlink_channel_get_port2 (channel));
  comlink_proxy_call_async (proxy, "hold", NULL, 0, cancellable, test_on_call_done, &r);
  test_wait_until (test_calc_get_held (calc) != NULL);
  remote = g_object_ref (comlink_invocation_get_cancellable (test_calc_get_held (calc)));

  g_cancellable_cancel (cancellable);
  g_assert_true (g_cancellable_is_cancelled (remote));
  g_assert_null (test_calc_get_held (calc));
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_completed_once (&r);
  test_result_clear (&r);

  {
    ComlinkConnection *exposing = comlink_connection_get_for_endpoint (comlink_channel_get_port1 (channel));
    GObject           *object = G_OBJECT (calc);

    g_object_add_weak_pointer (G_OBJECT (exposing), (gpointer *) &exposing);
    g_object_add_weak_pointer (object, (gpointer *) &object);
    comlink_connection_close (exposing);
    g_clear_object (&calc);
    g_clear_object (&proxy);
    g_clear_object (&channel);
    test_wait_until (object == NULL && exposing == NULL);
    test_iterate_pending ();
  }
}

/* --- a subprocess worker: the CANCEL message --- */

static gint
remote_int (ComlinkProxy *proxy, const char *method)
{
  g_autoptr(GError) error = NULL;
  gint n = -1;

  comlink_proxy_call_with_args_sync (proxy, method, NULL, &error, G_TYPE_INVALID, G_TYPE_INT, &n);
  g_assert_no_error (error);

  return n;
}

static void
test_subprocess_cancel (void)
{
  const char *argv[] = { g_getenv ("COMLINK_TEST_CHILD"), NULL };
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(ComlinkWorker) worker = NULL;
  g_autoptr(ComlinkProxy) constructor = NULL;
  g_autoptr(ComlinkProxy) slow = NULL;
  TestResult r = { 0 };

  g_assert_nonnull (argv[0]);
  g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", "detect_leaks=0", TRUE);
  worker = comlink_worker_new_subprocess (launcher, argv, &error);
  g_assert_no_error (error);
  constructor = comlink_proxy_get_child (comlink_worker_get_proxy (worker), "Slow");
  slow = comlink_proxy_construct_sync (constructor, NULL, NULL, 0, NULL, &error);
  g_assert_no_error (error);

  comlink_proxy_call_async (slow, "spin-in-thread", NULL, 0, cancellable, test_on_call_done, &r);
  test_wait_until (remote_int (slow, "n-entered") == 1);

  g_cancellable_cancel (cancellable);
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* The child's function saw the cancellable fire */
  test_wait_until (remote_int (slow, "n-saw-cancel") == 1);
  assert_completed_once (&r);
  test_result_clear (&r);

  comlink_worker_terminate (worker);
}

/* --- comlink_invocation_run_in_thread() --- */

static void
test_thread_result (void)
{
  TestWatch      slow_watch;
  ComlinkWorker *worker = comlink_worker_new_thread ("slow", setup_slow, &slow_watch, NULL);
  TestResult     r = { 0 };
  TestSlowStats  stats;

  test_slow_reset_stats ();
  call_async (comlink_worker_get_proxy (worker), "add-in-thread", &r, 2,
              test_args_new (2, G_TYPE_INT, 20, G_TYPE_INT, 22));
  test_wait_until (r.n_calls == 1);
  g_assert_no_error (r.error);
  g_assert_cmpint (g_value_get_int (r.value), ==, 42);
  test_result_clear (&r);

  /* The function ran in a thread of its own; its data was freed in the
   * worker's thread */
  test_wait_until ((test_slow_get_stats (&stats), stats.notify_thread != NULL));
  g_assert_nonnull (stats.func_thread);
  g_assert_true (stats.func_thread != worker_thread);
  g_assert_true (stats.func_thread != g_thread_self ());
  g_assert_true (stats.notify_thread == worker_thread);

  finish_worker (worker, &slow_watch);
}

static void
test_thread_error (void)
{
  ComlinkWorker *worker = comlink_worker_new_thread ("slow", setup_slow, NULL, NULL);
  ComlinkProxy  *proxy = comlink_worker_get_proxy (worker);
  TestResult     r = { 0 };

  call_async (proxy, "fail-in-thread", &r, 1, test_args_new (1, G_TYPE_INT, G_IO_ERROR_NOT_FOUND));
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (r.error->message, ==, "failed in a thread");
  assert_completed_once (&r);
  test_result_clear (&r);

  /* A function that answers nothing answers NO_REPLY */
  comlink_proxy_call_async (proxy, "forget-in-thread", NULL, 0, NULL, test_on_call_done, &r);
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, COMLINK_ERROR, COMLINK_ERROR_NO_REPLY);
  test_result_clear (&r);

  finish_worker (worker, NULL);
}

static void
test_thread_cancel (void)
{
  TestWatch      slow_watch;
  ComlinkWorker *worker = comlink_worker_new_thread ("slow", setup_slow, &slow_watch, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  TestResult    r = { 0 }, timed = { 0 };
  gint64        cancelled_at;
  TestSlowStats stats;

  test_slow_reset_stats ();
  comlink_proxy_call_async (comlink_worker_get_proxy (worker), "spin-in-thread", NULL, 0, cancellable,
                            test_on_call_done, &r);
  test_wait_until (n_entered () == 1);

  cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  test_wait_until (n_stopped () == 1);
  test_slow_get_stats (&stats);
  g_assert_cmpuint (stats.n_saw_cancel, ==, 1);
  g_assert_cmpint (stats.last_stop_time - cancelled_at, <, bound_usec (G_USEC_PER_SEC / 2));
  assert_completed_once (&r);
  test_result_clear (&r);

  /* And on a timeout */
  comlink_proxy_call_full_async (comlink_worker_get_proxy (worker), "spin-in-thread", NULL, 0, 100, NULL,
                                 test_on_call_done, &timed);
  test_wait_until (timed.n_calls == 1);
  g_assert_error (timed.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  test_wait_until (n_stopped () == 2);
  test_slow_get_stats (&stats);
  g_assert_cmpuint (stats.n_saw_cancel, ==, 2);
  assert_completed_once (&timed);
  test_result_clear (&timed);

  finish_worker (worker, &slow_watch);
}

typedef struct
{
  GArray *values;
} Progress;

static void
on_progress (ComlinkCallback *callback, int value, Progress *progress)
{
  g_array_append_val (progress->values, value);
}

static void
test_thread_progress (void)
{
  TestWatch        slow_watch, callback_watch;
  ComlinkWorker   *worker = comlink_worker_new_thread ("slow", setup_slow, &slow_watch, NULL);
  Progress         progress = { g_array_new (FALSE, FALSE, sizeof (int)) };
  ComlinkCallback *callback;
  TestResult       r = { 0 };
  guint            n = g_getenv ("COMLINK_TEST_SLOW") != NULL ? 50 : 500;

  callback = comlink_callback_new_typed (g_cclosure_new (G_CALLBACK (on_progress), &progress, NULL),
                                         G_TYPE_NONE, 1, G_TYPE_INT);
  test_watch (&callback_watch, callback);
  call_async (comlink_worker_get_proxy (worker), "count-in-thread", &r, 2,
              test_args_new (2, G_TYPE_OBJECT, callback, G_TYPE_INT, n));
  g_object_unref (callback);

  test_wait_until (r.n_calls == 1 && progress.values->len == n);
  g_assert_no_error (r.error);
  g_assert_cmpint (g_value_get_int (r.value), ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpint (g_array_index (progress.values, int, i), ==, i);
  test_result_clear (&r);

  /* The worker lets go of the callback once the function is done */
  test_wait_until (test_watch_done (&callback_watch));
  finish_worker (worker, &slow_watch);
  g_array_unref (progress.values);
}

/* Terminated while a function runs: the caller does not wait, the
 * function sees its cancellable fire, and once it returned the worker's
 * thread ends and everything is finalized */
static void
test_thread_terminate (void)
{
  TestWatch      slow_watch;
  ComlinkWorker *worker = comlink_worker_new_thread ("slow", setup_slow, &slow_watch, NULL);
  TestResult     r = { 0 };
  gint64         terminated_at;
  TestSlowStats  stats;

  test_slow_reset_stats ();
  comlink_proxy_call_async (comlink_worker_get_proxy (worker), "spin-in-thread", NULL, 0, NULL,
                            test_on_call_done, &r);
  test_wait_until (n_entered () == 1);

  terminated_at = g_get_monotonic_time ();
  comlink_worker_terminate (worker);
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED);
  test_wait_until (n_stopped () == 1);
  test_slow_get_stats (&stats);
  g_assert_cmpuint (stats.n_saw_cancel, ==, 1);
  g_assert_cmpint (stats.last_stop_time - terminated_at, <, bound_usec (G_USEC_PER_SEC / 2));
  assert_completed_once (&r);
  test_result_clear (&r);

  finish_worker (worker, &slow_watch);
}

/* A function that ignores its cancellable keeps the worker's thread (not
 * the caller) until it returns */
static void
test_thread_terminate_stubborn (void)
{
  TestWatch      slow_watch, worker_watch;
  ComlinkWorker *worker = comlink_worker_new_thread ("slow", setup_slow, &slow_watch, NULL);
  TestResult     r = { 0 };

  test_block_reset ();
  comlink_proxy_call_async (comlink_worker_get_proxy (worker), "block-in-thread", NULL, 0, NULL,
                            test_on_call_done, &r);
  test_block_wait_entered ();

  test_watch (&worker_watch, worker);
  comlink_worker_terminate (worker);
  g_object_unref (worker);
  test_wait_until (r.n_calls == 1 && test_watch_done (&worker_watch));
  g_assert_error (r.error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED);
  test_result_clear (&r);
  g_usleep (20000);
  test_iterate_pending ();
  g_assert_false (test_watch_done (&slow_watch));
  g_assert_cmpuint (test_count_threads (), >, base_threads);

  test_block_release ();
  test_wait_until (test_watch_done (&slow_watch));
  g_assert_true (slow_watch.thread == worker_thread);
  test_wait_until (test_count_threads () <= base_threads);
  test_iterate_pending ();
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* The threads of run_in_thread() end soon after their function */
  g_thread_pool_set_max_unused_threads (0);

  /* GLib starts helper threads of its own on first use, and the threads
   * of run_in_thread() stay for a while after use: start them now, so
   * that the tests can count the worker threads */
  test_start_glib_threads ();
  {
    ComlinkWorker *worker = comlink_worker_new_thread (NULL, setup_slow, NULL, NULL);
    GError        *error = NULL;
    GValue        *args = test_args_new (2, G_TYPE_INT, 1, G_TYPE_INT, 2);
    GValue        *ret = comlink_proxy_call_sync (comlink_worker_get_proxy (worker), "add-in-thread", args, 2,
                                                  NULL, &error);

    g_assert_no_error (error);
    g_boxed_free (G_TYPE_VALUE, ret);
    test_args_free (args, 2);
    comlink_worker_terminate (worker);
    g_object_unref (worker);
    /* An idle thread of the pool ends after half a second */
    for (guint i = 0; i < 20; i++)
      {
        test_iterate_pending ();
        g_usleep (100000);
      }
    test_iterate_pending ();
    base_threads = test_count_threads ();
  }

  g_test_add_func ("/Comlink/CancelThread/blocking-cancel", test_blocking_cancel);
  g_test_add_func ("/Comlink/CancelThread/blocking-queued", test_blocking_queued);
  g_test_add_func ("/Comlink/CancelThread/blocking-timeout", test_blocking_timeout);
  g_test_add_func ("/Comlink/CancelThread/blocking-terminate", test_blocking_terminate);
  g_test_add_func ("/Comlink/CancelThread/channel-same-thread", test_channel_same_thread);
  g_test_add_func ("/Comlink/CancelThread/thread-result", test_thread_result);
  g_test_add_func ("/Comlink/CancelThread/thread-error", test_thread_error);
  g_test_add_func ("/Comlink/CancelThread/thread-cancel", test_thread_cancel);
  g_test_add_func ("/Comlink/CancelThread/thread-progress", test_thread_progress);
  g_test_add_func ("/Comlink/CancelThread/thread-terminate", test_thread_terminate);
  g_test_add_func ("/Comlink/CancelThread/thread-terminate-stubborn", test_thread_terminate_stubborn);
  /* Last: it starts a helper thread of GLib's, which stays */
  g_test_add_func ("/Comlink/CancelThread/in-subprocess", test_subprocess_cancel);

  return g_test_run ();
}
