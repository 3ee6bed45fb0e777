/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Thread workers: calls, setup failures, a worker that quits, terminate
 * with calls in flight, and that nothing is left behind afterwards. */

#include "test-objects.h"

static guint base_threads;

/* Every worker thread of a test is gone before the next test starts */
static void
wait_for_worker_threads (void)
{
  test_wait_until (test_count_threads () <= base_threads);
}

static GObject *
setup_calc (gpointer user_data, GError **error)
{
  TestCalc *calc = test_calc_new ();

  if (user_data != NULL)
    test_watch (user_data, calc);

  return G_OBJECT (calc);
}

static GObject *
setup_fails (gpointer user_data, GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no model file");
  return NULL;
}

static void
call_async (ComlinkProxy *proxy, const char *method, TestResult *r, guint n, GValue *args)
{
  comlink_proxy_call_async (proxy, method, args, n, NULL, test_on_call_done, r);
  test_args_free (args, n);
}

static void
test_thread_call (void)
{
  TestWatch calc_watch;
  g_autoptr(ComlinkWorker) worker = comlink_worker_new_thread ("calc", setup_calc, &calc_watch, NULL);
  ComlinkProxy *proxy = comlink_worker_get_proxy (worker);
  g_autoptr(GError) error = NULL;
  GValue    *ret;
  TestResult r = { 0 };

  g_assert_cmpstr (comlink_worker_get_name (worker), ==, "calc");
  g_assert_cmpint (comlink_worker_get_state (worker), ==, COMLINK_WORKER_STATE_STARTING);

  call_async (proxy, "add", &r, 2, test_args_new (2, G_TYPE_INT, 20, G_TYPE_INT, 22));
  test_wait_until (r.n_calls == 1);
  g_assert_no_error (r.error);
  g_assert_cmpint (g_value_get_int (r.value), ==, 42);
  g_assert_true (r.thread == g_thread_self ());
  g_assert_cmpint (comlink_worker_get_state (worker), ==, COMLINK_WORKER_STATE_RUNNING);
  test_result_clear (&r);

  ret = comlink_proxy_call_sync (proxy, "add", NULL, 0, NULL, &error);
  g_assert_null (ret);
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_INVALID_ARGUMENTS);

  comlink_worker_terminate (worker);
  g_assert_cmpint (comlink_worker_get_state (worker), ==, COMLINK_WORKER_STATE_TERMINATED);
  test_wait_until (test_watch_done (&calc_watch));
  /* The exposed object died in the worker's thread */
  g_assert_true (calc_watch.thread != g_thread_self ());
  wait_for_worker_threads ();
}

static void
test_setup_fails (void)
{
  g_autoptr(ComlinkWorker) worker = comlink_worker_new_thread (NULL, setup_fails, NULL, NULL);
  TestExited e = { 0 };
  TestResult r = { 0 };

  g_signal_connect (worker, "exited", G_CALLBACK (test_on_exited), &e);
  call_async (comlink_worker_get_proxy (worker), "ping", &r, 0, NULL);

  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED);
  g_assert_nonnull (strstr (r.error->message, "no model file"));
  g_assert_cmpuint (e.n_exited, ==, 1);
  g_assert_error (e.error, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED);
  g_assert_cmpint (comlink_worker_get_state (worker), ==, COMLINK_WORKER_STATE_EXITED);
  test_result_clear (&r);

  /* Later calls fail at once; terminate does nothing more */
  call_async (comlink_worker_get_proxy (worker), "ping", &r, 0, NULL);
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED);
  test_result_clear (&r);
  comlink_worker_terminate (worker);
  g_assert_cmpint (comlink_worker_get_state (worker), ==, COMLINK_WORKER_STATE_EXITED);
  test_iterate_pending ();
  g_assert_cmpuint (e.n_exited, ==, 1);
  g_clear_error (&e.error);
  wait_for_worker_threads ();
}

static void
test_worker_quits (void)
{
  g_autoptr(ComlinkWorker) worker = comlink_worker_new_thread (NULL, setup_calc, NULL, NULL);
  ComlinkProxy *proxy = comlink_worker_get_proxy (worker);
  TestExited    e = { 0 };
  TestResult    held = { 0 }, quit = { 0 };

  g_signal_connect (worker, "exited", G_CALLBACK (test_on_exited), &e);
  call_async (proxy, "hold", &held, 0, NULL);
  call_async (proxy, "quit", &quit, 0, NULL);

  test_wait_until (held.n_calls == 1 && quit.n_calls == 1);
  g_assert_error (held.error, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED);
  g_assert_error (quit.error, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED);
  g_assert_cmpuint (e.n_exited, ==, 1);
  g_assert_cmpint (comlink_worker_get_state (worker), ==, COMLINK_WORKER_STATE_EXITED);
  g_assert_true (comlink_proxy_is_released (proxy));
  test_result_clear (&held);
  test_result_clear (&quit);
  g_clear_error (&e.error);
  wait_for_worker_threads ();
}

/* The seed scenario: a call blocked inside its handler, every reference
 * dropped but the worker's, terminate. */
static void
test_terminate_seed (void)
{
  TestWatch      calc_watch, worker_watch, connection_watch, proxy_watch;
  guint          threads_before = test_count_threads ();
  ComlinkWorker *worker = comlink_worker_new_thread ("seed", setup_calc, &calc_watch, NULL);
  TestResult     r = { 0 };

  test_watch (&worker_watch, worker);
  test_watch (&connection_watch, comlink_worker_get_connection (worker));
  test_watch (&proxy_watch, comlink_worker_get_proxy (worker));

  call_async (comlink_worker_get_proxy (worker), "hold", &r, 0, NULL);
  /* Wait until the handler holds the call */
  test_wait_until (comlink_worker_get_state (worker) == COMLINK_WORKER_STATE_RUNNING);
  test_iterate_pending ();
  g_usleep (10000);
  test_iterate_pending ();
  g_assert_cmpuint (r.n_calls, ==, 0);

  comlink_worker_terminate (worker);
  /* Before terminate returned, the call failed (its callback may run in
   * the next iteration, as GTask does) and the proxy is defunct */
  g_assert_true (comlink_proxy_is_released (comlink_worker_get_proxy (worker)));
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED);

  g_object_unref (worker);
  test_wait_until (test_watch_done (&worker_watch) && test_watch_done (&connection_watch) &&
                   test_watch_done (&proxy_watch) && test_watch_done (&r.task) &&
                   test_watch_done (&calc_watch));
  /* Each object died in its own thread */
  g_assert_true (connection_watch.thread == g_thread_self ());
  g_assert_true (proxy_watch.thread == g_thread_self ());
  g_assert_true (calc_watch.thread != g_thread_self ());
  /* The thread is joined */
  test_wait_until (test_count_threads () <= threads_before);
  test_iterate_pending ();
  g_assert_cmpuint (r.n_calls, ==, 1);
  test_result_clear (&r);
  g_assert_false (g_main_context_pending (NULL));
}

/* A handler that blocks its thread: terminate does not wait for it */
static void
test_terminate_blocked_thread (void)
{
  TestWatch      calc_watch;
  guint          threads_before = test_count_threads ();
  ComlinkWorker *worker = comlink_worker_new_thread (NULL, setup_calc, &calc_watch, NULL);
  TestResult     r = { 0 };

  test_block_reset ();
  call_async (comlink_worker_get_proxy (worker), "block", &r, 0, NULL);
  test_block_wait_entered ();

  comlink_worker_terminate (worker);
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED);
  test_result_clear (&r);
  g_object_unref (worker);
  g_assert_false (test_watch_done (&calc_watch));

  /* Once the handler returns, the thread cleans up and is joined */
  test_block_release ();
  test_wait_until (test_watch_done (&calc_watch));
  test_wait_until (test_count_threads () <= threads_before);
}

static void
test_call_after_terminate (void)
{
  g_autoptr(ComlinkWorker) worker = comlink_worker_new_thread (NULL, setup_calc, NULL, NULL);
  g_autoptr(ComlinkProxy) child = comlink_proxy_get_child (comlink_worker_get_proxy (worker), "child");
  g_autoptr(ComlinkProxy) late_child = NULL;
  g_autoptr(GError) error = NULL;
  TestResult r = { 0 };

  comlink_worker_terminate (worker);
  comlink_worker_terminate (worker);

  call_async (comlink_worker_get_proxy (worker), "ping", &r, 0, NULL);
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED);
  test_result_clear (&r);

  g_assert_null (comlink_proxy_get_sync (child, "value", NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED);
  g_clear_error (&error);

  late_child = comlink_proxy_get_child (comlink_worker_get_proxy (worker), "child");
  g_assert_false (comlink_proxy_set_sync (late_child, "value", &(GValue) G_VALUE_INIT, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED);
  wait_for_worker_threads ();
}

static void
test_exported_objects_released (void)
{
  TestWatch      child_watch;
  guint          finalized_before = test_calc_get_n_finalized ();
  ComlinkWorker *worker = comlink_worker_new_thread (NULL, setup_calc, NULL, NULL);
  g_autoptr(GError) error = NULL;
  GValue       *args = test_args_new (1, G_TYPE_INT, 3);
  GValue       *child = comlink_proxy_call_sync (comlink_worker_get_proxy (worker), "make-child", args, 1, NULL, &error);
  ComlinkProxy *child_proxy;

  test_args_free (args, 1);
  g_assert_no_error (error);
  child_proxy = g_value_get_object (child);
  test_watch (&child_watch, child_proxy);
  g_assert_cmpuint (comlink_connection_get_n_proxies (comlink_worker_get_connection (worker)), ==, 2);

  comlink_worker_terminate (worker);
  g_assert_true (comlink_proxy_is_released (child_proxy));
  g_assert_cmpuint (comlink_connection_get_n_proxies (comlink_worker_get_connection (worker)), ==, 0);
  g_boxed_free (G_TYPE_VALUE, child);
  g_assert_true (test_watch_done (&child_watch));
  g_object_unref (worker);

  /* The worker's root and child objects die in the worker thread */
  test_wait_until (test_calc_get_n_finalized () == finalized_before + 2);
}

static void
test_dispose_terminates (void)
{
  ComlinkWorker *worker = comlink_worker_new_thread (NULL, setup_calc, NULL, NULL);
  TestResult     r = { 0 };

  call_async (comlink_worker_get_proxy (worker), "hold", &r, 0, NULL);
  g_object_unref (worker);
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED);
  test_result_clear (&r);
  wait_for_worker_threads ();
}

/* Calls made from a second thread that runs its own main context complete
 * in that context */
typedef struct
{
  ComlinkProxy *proxy;
  TestResult    r;
  GMainContext *context;
  gint          done;
} Caller;

static gpointer
caller_thread (gpointer data)
{
  Caller *c = data;

  c->context = g_main_context_new ();
  g_main_context_push_thread_default (c->context);
  call_async (c->proxy, "add", &c->r, 2, test_args_new (2, G_TYPE_INT, 1, G_TYPE_INT, 2));
  while (c->r.n_calls == 0)
    g_main_context_iteration (c->context, TRUE);

  /* A sync call from this thread too */
  {
    g_autoptr(GError) error = NULL;
    GValue *args = test_args_new (2, G_TYPE_INT, 3, G_TYPE_INT, 4);
    GValue *ret = comlink_proxy_call_sync (c->proxy, "add", args, 2, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpint (g_value_get_int (ret), ==, 7);
    g_boxed_free (G_TYPE_VALUE, ret);
    test_args_free (args, 2);
  }
  g_main_context_pop_thread_default (c->context);
  g_atomic_int_set (&c->done, 1);

  return NULL;
}

static void
test_other_thread_caller (void)
{
  g_autoptr(ComlinkWorker) worker = comlink_worker_new_thread (NULL, setup_calc, NULL, NULL);
  Caller   c = { comlink_worker_get_proxy (worker), { 0 }, NULL, 0 };
  GThread *thread = g_thread_new ("caller", caller_thread, &c);

  /* This thread runs the connection's context meanwhile */
  test_wait_until (g_atomic_int_get (&c.done));
  g_thread_join (thread);
  g_assert_no_error (c.r.error);
  g_assert_cmpint (g_value_get_int (c.r.value), ==, 3);
  g_assert_true (c.r.context == c.context);
  g_assert_true (c.r.thread != g_thread_self ());
  test_result_clear (&c.r);
  comlink_worker_terminate (worker);
  g_main_context_unref (c.context);
  wait_for_worker_threads ();
}

/* 1000 cycles of start, 10 calls, terminate with some still in flight */
static void
test_stress (void)
{
  guint  cycles = g_getenv ("COMLINK_TEST_SLOW") ? 100 : 1000;
  guint  threads_before = test_count_threads ();
  guint  finalized_before = test_calc_get_n_finalized ();
  GRand *rand = g_rand_new_with_seed (42);
  guint  n_ok = 0, n_terminated = 0;

  for (guint cycle = 0; cycle < cycles; cycle++)
    {
      ComlinkWorker *worker = comlink_worker_new_thread (NULL, setup_calc, NULL, NULL);
      TestResult     r[10] = { 0 };
      guint          spins = g_rand_int_range (rand, 0, 20);

      for (guint i = 0; i < G_N_ELEMENTS (r); i++)
        {
          if (i % 3 == 2)
            call_async (comlink_worker_get_proxy (worker), "hold", &r[i], 0, NULL);
          else
            call_async (comlink_worker_get_proxy (worker), "add", &r[i], 2,
                        test_args_new (2, G_TYPE_INT, i, G_TYPE_INT, 1));
        }

      for (guint i = 0; i < spins; i++)
        g_main_context_iteration (NULL, FALSE);

      comlink_worker_terminate (worker);
      g_object_unref (worker);
      test_wait_until (r[0].n_calls + r[1].n_calls + r[2].n_calls + r[3].n_calls + r[4].n_calls +
                         r[5].n_calls + r[6].n_calls + r[7].n_calls + r[8].n_calls + r[9].n_calls ==
                       10);

      for (guint i = 0; i < G_N_ELEMENTS (r); i++)
        {
          g_assert_cmpuint (r[i].n_calls, ==, 1);
          if (r[i].error == NULL)
            {
              g_assert_cmpint (g_value_get_int (r[i].value), ==, i + 1);
              n_ok++;
            }
          else
            {
              g_assert_error (r[i].error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED);
              n_terminated++;
            }
        }
      test_iterate_pending ();
      for (guint i = 0; i < G_N_ELEMENTS (r); i++)
        {
          g_assert_cmpuint (r[i].n_calls, ==, 1);
          test_result_clear (&r[i]);
        }
    }

  /* Every worker object died, and every thread is gone */
  test_wait_until (test_calc_get_n_finalized () == finalized_before + cycles);
  test_wait_until (test_count_threads () <= threads_before);
  g_test_message ("%u calls answered, %u terminated", n_ok, n_terminated);
  g_assert_cmpuint (n_terminated, >=, cycles * 3);
  g_rand_free (rand);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* GLib starts helper threads of its own on first use; start them now,
   * so that the tests can count their own threads */
  test_start_glib_threads ();
  {
    ComlinkWorker *worker = comlink_worker_new_thread (NULL, setup_calc, NULL, NULL);
    GError        *error = NULL;
    GValue        *ret = comlink_proxy_call_sync (comlink_worker_get_proxy (worker), "ping", NULL, 0, NULL, &error);

    g_assert_no_error (error);
    g_assert_null (ret);
    g_object_unref (worker);
    test_wait_until (test_count_threads () == 1 || test_count_threads () == 2);
    base_threads = test_count_threads ();
  }

  g_test_add_func ("/Comlink/Worker/thread-call", test_thread_call);
  g_test_add_func ("/Comlink/Worker/setup-fails", test_setup_fails);
  g_test_add_func ("/Comlink/Worker/worker-quits", test_worker_quits);
  g_test_add_func ("/Comlink/Worker/terminate-seed", test_terminate_seed);
  g_test_add_func ("/Comlink/Worker/terminate-blocked-thread", test_terminate_blocked_thread);
  g_test_add_func ("/Comlink/Worker/call-after-terminate", test_call_after_terminate);
  g_test_add_func ("/Comlink/Worker/exported-objects-released", test_exported_objects_released);
  g_test_add_func ("/Comlink/Worker/dispose-terminates", test_dispose_terminates);
  g_test_add_func ("/Comlink/Worker/other-thread-caller", test_other_thread_caller);
  g_test_add_func ("/Comlink/Worker/stress", test_stress);

  return g_test_run ();
}
