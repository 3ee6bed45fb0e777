/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The GAsyncResult of a call (comlink_proxy_call_async () and
 * comlink_proxy_call_full_async ()): its callback runs once, in the
 * caller's thread-default context, never from inside the _async call,
 * with a fired cancellable winning over a reply; the result is finalized
 * once the callback returned and nothing else holds it. */

#include "test-objects.h"

static GObject *
setup_calc (gpointer user_data, GError **error)
{
  return G_OBJECT (test_calc_new ());
}

static ComlinkWorker *
start_worker (void)
{
  ComlinkWorker *worker = comlink_worker_new_thread ("calc", setup_calc, NULL, NULL);

  test_wait_until (comlink_worker_get_state (worker) == COMLINK_WORKER_STATE_RUNNING);
  return worker;
}

static void
call_add (ComlinkProxy *proxy,
          int           a,
          int           b,
          GCancellable *cancellable,
          TestResult   *r)
{
  GValue *args = test_args_new (2, G_TYPE_INT, a, G_TYPE_INT, b);

  comlink_proxy_call_async (proxy, "add", args, 2, cancellable, test_on_call_done, r);
  test_args_free (args, 2);
}

/* A call completes once, with its value, and its result goes with the
 * callback; the GAsyncResult says where it came from */
static void
test_call_result_once (void)
{
  g_autoptr(ComlinkWorker) worker = start_worker ();
  ComlinkProxy *proxy = comlink_worker_get_proxy (worker);
  TestResult    r = { 0 };

  call_add (proxy, 2, 3, NULL, &r);
  g_assert_cmpuint (r.n_calls, ==, 0);
  test_wait_until (r.n_calls == 1);
  g_assert_no_error (r.error);
  g_assert_cmpint (g_value_get_int (r.value), ==, 5);
  g_assert_true (r.context == g_main_context_default ());
  g_assert_true (r.thread == g_thread_self ());
  /* Nothing holds the result once its callback returned */
  test_wait_until (test_watch_done (&r.task));
  test_iterate_pending ();
  g_assert_cmpuint (r.n_calls, ==, 1);
  test_result_clear (&r);

  comlink_worker_terminate (worker);
}

static void
on_done_keep (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **out = user_data;

  g_assert_true (G_IS_ASYNC_RESULT (result));
  g_assert_true (source == g_async_result_get_source_object (result));
  g_object_unref (source);
  g_assert_true (g_async_result_get_user_data (result) == out);
  g_assert_true (g_async_result_is_tagged (result, comlink_proxy_call_async));
  *out = g_object_ref (result);
}

/* The result may be finished after its callback, and goes when the
 * caller drops it */
static void
test_call_result_finish_later (void)
{
  g_autoptr(ComlinkWorker) worker = start_worker ();
  ComlinkProxy *proxy = comlink_worker_get_proxy (worker);
  GAsyncResult *result = NULL;
  GValue       *args = test_args_new (2, G_TYPE_INT, 40, G_TYPE_INT, 2);
  g_autoptr(GError) error = NULL;
  GValue   *value;
  TestWatch watch;

  comlink_proxy_call_full_async (proxy, "add", args, 2, -1, NULL, on_done_keep, &result);
  test_args_free (args, 2);
  test_wait_until (result != NULL);
  test_watch (&watch, result);
  value = comlink_proxy_call_full_finish (proxy, result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (value), ==, 42);
  g_boxed_free (G_TYPE_VALUE, value);
  g_assert_false (test_watch_done (&watch));
  g_object_unref (result);
  g_assert_true (test_watch_done (&watch));

  comlink_worker_terminate (worker);
}

/* A call that fails before it is sent completes from the main loop, not
 * from inside comlink_proxy_call_async () */
static void
test_call_result_early_failure (void)
{
  g_autoptr(ComlinkWorker) worker = start_worker ();
  g_autoptr(ComlinkProxy) proxy = g_object_ref (comlink_worker_get_proxy (worker));
  TestResult r = { 0 };

  comlink_worker_terminate (worker);
  call_add (proxy, 1, 1, NULL, &r);
  g_assert_cmpuint (r.n_calls, ==, 0);
  test_wait_until (r.n_calls == 1);
  g_assert_nonnull (r.error);
  g_assert_null (r.value);
  test_wait_until (test_watch_done (&r.task));
  test_iterate_pending ();
  g_assert_cmpuint (r.n_calls, ==, 1);
  test_result_clear (&r);
}

/* A cancellable that fired before the call completed wins: the callback
 * sees G_IO_ERROR_CANCELLED, once, even when the reply came in the same
 * batch (cancelled from the callback of the call before it) */
typedef struct
{
  TestResult    first;
  GCancellable *cancel;
} CancelLater;

static void
on_first_cancels (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  CancelLater *later = user_data;

  test_on_call_done (source, result, &later->first);
  g_cancellable_cancel (later->cancel);
}

static void
test_call_result_cancelled (void)
{
  g_autoptr(ComlinkWorker) worker = start_worker ();
  ComlinkProxy *proxy = comlink_worker_get_proxy (worker);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  CancelLater later = { { 0 }, NULL };
  TestResult  r = { 0 };
  GValue     *args = test_args_new (2, G_TYPE_INT, 1, G_TYPE_INT, 2);

  /* Cancelled at once */
  call_add (proxy, 1, 2, cancellable, &r);
  g_cancellable_cancel (cancellable);
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  test_wait_until (test_watch_done (&r.task));
  test_result_clear (&r);

  /* Cancelled while its reply may be waiting behind the one before */
  later.cancel = g_cancellable_new ();
  for (guint i = 0; i < 50; i++)
    {
      g_cancellable_reset (later.cancel);
      test_result_clear (&later.first);
      comlink_proxy_call_async (proxy, "add", args, 2, NULL, on_first_cancels, &later);
      call_add (proxy, 3, 4, later.cancel, &r);
      test_wait_until (r.n_calls == 1 && later.first.n_calls == 1);
      g_assert_no_error (later.first.error);
      g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_assert_null (r.value);
      test_wait_until (test_watch_done (&r.task));
      test_result_clear (&r);
    }
  test_iterate_pending ();
  g_assert_cmpuint (r.n_calls, ==, 0);
  test_result_clear (&later.first);
  g_object_unref (later.cancel);
  test_args_free (args, 2);

  comlink_worker_terminate (worker);
}

/* A call made in a thread with a context of its own completes there,
 * while the connection's context runs in the main thread */
typedef struct
{
  ComlinkProxy *proxy;
  GMainContext *context;
  TestResult    r;
  gint          done;
} OtherThread;

static gpointer
call_from_thread (gpointer data)
{
  OtherThread *other = data;

  other->context = g_main_context_new ();
  g_main_context_push_thread_default (other->context);
  call_add (other->proxy, 20, 22, NULL, &other->r);
  while (other->r.n_calls == 0)
    g_main_context_iteration (other->context, TRUE);
  test_wait_until (test_watch_done (&other->r.task));
  g_main_context_pop_thread_default (other->context);
  g_atomic_int_set (&other->done, 1);

  return NULL;
}

static void
test_call_result_other_context (void)
{
  g_autoptr(ComlinkWorker) worker = start_worker ();
  OtherThread other = { comlink_worker_get_proxy (worker), NULL, { 0 }, 0 };
  GThread    *thread = g_thread_new ("caller", call_from_thread, &other);

  test_wait_until (g_atomic_int_get (&other.done));
  g_assert_true (other.r.thread == thread);
  g_thread_join (thread);
  g_assert_true (other.r.context == other.context);
  g_assert_no_error (other.r.error);
  g_assert_cmpint (g_value_get_int (other.r.value), ==, 42);
  g_assert_cmpuint (other.r.n_calls, ==, 1);
  test_result_clear (&other.r);
  g_main_context_unref (other.context);

  comlink_worker_terminate (worker);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Comlink/CallResult/once", test_call_result_once);
  g_test_add_func ("/Comlink/CallResult/finish-later", test_call_result_finish_later);
  g_test_add_func ("/Comlink/CallResult/early-failure", test_call_result_early_failure);
  g_test_add_func ("/Comlink/CallResult/cancelled", test_call_result_cancelled);
  g_test_add_func ("/Comlink/CallResult/other-context", test_call_result_other_context);

  return g_test_run ();
}
