/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The GAsyncResult of a call (comlink_proxy_call_async () and
 * comlink_proxy_call_full_async ()): its callback runs once, in the
 * caller's thread-default context, never from inside the _async call,
 * with a fired cancellable winning over a reply; the result is finalized
 * once the callback returned and nothing else holds it, or made anew for
 * the thread's next call when nothing is attached to it. */

#include "test-objects.h"

#include "comlink-call-result-private.h"

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

/* A result that nothing holds after its callback is made anew for the
 * thread's next call: nothing of its last call shows through, and it
 * holds nothing meanwhile */
typedef struct
{
  GAsyncResult *result; /* not held */
  guint         n_calls;
  GValue       *value;
  GError       *error;
  gboolean      keep;
  GAsyncResult *kept;
} Noted;

static void
on_done_note (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Noted   *noted = user_data;
  GObject *source_object = g_async_result_get_source_object (result);

  g_assert_true (source_object == source);
  g_object_unref (source_object);
  g_assert_true (g_async_result_get_user_data (result) == noted);
  g_assert_true (g_async_result_is_tagged (result, comlink_proxy_call_async));
  noted->n_calls++;
  noted->result = result;
  noted->value = comlink_proxy_call_finish (COMLINK_PROXY (source), result, &noted->error);
  if (noted->keep)
    noted->kept = g_object_ref (result);
}

static void
noted_clear (Noted *noted)
{
  if (noted->value != NULL)
    g_boxed_free (G_TYPE_VALUE, noted->value);
  g_clear_error (&noted->error);
  memset (noted, 0, sizeof *noted);
}

static guint
count_results (void)
{
  return _comlink_call_result_count_alive ();
}

static void
note_call (ComlinkProxy *proxy,
           const char   *method,
           int           a,
           GCancellable *cancellable,
           Noted        *noted)
{
  GValue *args = test_args_new (2, G_TYPE_INT, a, G_TYPE_INT, 1);

  comlink_proxy_call_full_async (proxy, method, args, 2, -1, cancellable, on_done_note, noted);
  test_args_free (args, 2);
  test_wait_until (noted->n_calls == 1);
  test_iterate_pending ();
  g_assert_cmpuint (noted->n_calls, ==, 1);
}

static void
test_call_result_made_anew (void)
{
  ComlinkWorker *worker = start_worker ();
  ComlinkProxy  *proxy = comlink_worker_get_proxy (worker);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Noted         noted = { 0 };
  GAsyncResult *first;
  TestWatch     watch;
  guint         n_alive;

  note_call (proxy, "add", 1, NULL, &noted);
  g_assert_no_error (noted.error);
  g_assert_cmpint (g_value_get_int (noted.value), ==, 2);
  first = noted.result;
  n_alive = count_results ();
  g_assert_cmpuint (n_alive, >, 0);
  noted_clear (&noted);

  /* The next call has the same object, and the one after it, without
   * the error of the last */
  note_call (proxy, "no-such-method", 2, NULL, &noted);
  g_assert_true (noted.result == first);
  g_assert_error (noted.error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_METHOD);
  g_assert_null (noted.value);
  g_assert_cmpuint (count_results (), ==, n_alive);
  noted_clear (&noted);
  note_call (proxy, "add", 2, NULL, &noted);
  g_assert_true (noted.result == first);
  g_assert_no_error (noted.error);
  g_assert_cmpint (g_value_get_int (noted.value), ==, 3);
  g_assert_cmpuint (count_results (), ==, n_alive);
  noted_clear (&noted);

  /* A call cancelled before it is sent completes from an idle, and its
   * result is made anew after it; the cancellable is let go */
  g_cancellable_cancel (cancellable);
  note_call (proxy, "add", 3, cancellable, &noted);
  g_assert_error (noted.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (noted.result == first);
  noted_clear (&noted);
  test_watch (&watch, cancellable);
  g_clear_object (&cancellable);
  g_assert_true (test_watch_done (&watch));

  note_call (proxy, "add", 4, NULL, &noted);
  g_assert_true (noted.result == first);
  g_assert_no_error (noted.error);
  g_assert_cmpint (g_value_get_int (noted.value), ==, 5);
  noted_clear (&noted);

  /* A result the caller keeps is not made anew: the next call has
   * another, and the kept one goes when the caller drops it */
  noted.keep = TRUE;
  note_call (proxy, "add", 5, NULL, &noted);
  g_assert_true (noted.result == first);
  test_watch (&watch, noted.kept);
  first = noted.kept;
  noted_clear (&noted);
  note_call (proxy, "add", 6, NULL, &noted);
  g_assert_true (noted.result != first);
  g_assert_cmpint (g_value_get_int (noted.value), ==, 7);
  noted_clear (&noted);
  g_assert_false (test_watch_done (&watch));
  g_object_unref (first);
  g_assert_true (test_watch_done (&watch));

  /* The results kept for the next calls hold no proxy */
  test_watch (&watch, proxy);
  comlink_worker_terminate (worker);
  g_object_unref (worker);
  test_wait_until (test_watch_done (&watch));
}

/* A thread keeps at most 16 results for its next calls, and they are
 * finalized when it exits */
typedef struct
{
  guint n_done;
  guint n_kept;
} ManyCalls;

static void
on_many_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  ManyCalls *many = user_data;
  g_autoptr(GError) error = NULL;
  GValue *value = comlink_proxy_call_finish (COMLINK_PROXY (source), result, &error);

  g_assert_no_error (error);
  g_boxed_free (G_TYPE_VALUE, value);
  many->n_done++;
}

/* The worker's connection runs in the thread's context: every result
 * completes and goes there */
static gpointer
many_calls_thread (gpointer data)
{
  ManyCalls     *many = data;
  GMainContext  *context = g_main_context_new ();
  ComlinkWorker *worker;
  GValue        *args = test_args_new (2, G_TYPE_INT, 1, G_TYPE_INT, 2);
  guint          n_before = count_results ();

  g_main_context_push_thread_default (context);
  worker = start_worker ();
  for (guint i = 0; i < 40; i++)
    comlink_proxy_call_async (comlink_worker_get_proxy (worker), "add", args, 2, NULL, on_many_done, many);
  test_wait_until (many->n_done == 40);
  test_iterate_pending ();
  many->n_kept = count_results () - n_before;
  comlink_worker_terminate (worker);
  g_object_unref (worker);
  test_iterate_pending ();
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  test_args_free (args, 2);

  return NULL;
}

static void
test_call_result_thread_exit (void)
{
  ManyCalls many = { 0 };
  guint     n_before = count_results ();
  GThread  *thread;

  thread = g_thread_new ("caller", many_calls_thread, &many);
  g_thread_join (thread);
  g_assert_cmpuint (many.n_done, ==, 40);
  g_assert_cmpuint (many.n_kept, ==, 16);
  g_assert_cmpuint (count_results (), ==, n_before);
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
  g_test_add_func ("/Comlink/CallResult/made-anew", test_call_result_made_anew);
  g_test_add_func ("/Comlink/CallResult/thread-exit", test_call_result_thread_exit);

  return g_test_run ();
}
