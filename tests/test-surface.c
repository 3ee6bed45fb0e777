/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Cancellation against a worker, timeouts, limits, and the hook that tells
 * an exposed object that the peer released it. */

#include "test-objects.h"

typedef struct
{
  guint   n_calls;
  GValue *value;
  GError *error;
  gint64  time;
} Result;

static void
result_clear (Result *r)
{
  if (r->value != NULL)
    g_boxed_free (G_TYPE_VALUE, r->value);
  r->value = NULL;
  g_clear_error (&r->error);
  r->n_calls = 0;
}

static void
on_call_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Result *r = user_data;

  r->n_calls++;
  r->time = g_get_monotonic_time ();
  r->value = comlink_proxy_call_finish (COMLINK_PROXY (source), res, &r->error);
}

/* Time limits stretch under valgrind (the valgrind setup sets
 * COMLINK_TEST_SLOW) */
static gint64
usec (gint64 n)
{
  return g_getenv ("COMLINK_TEST_SLOW") ? n * 20 : n;
}

static GObject *
setup_calc (gpointer user_data, GError **error)
{
  return G_OBJECT (test_calc_new ());
}

/* The worker's handler loops until its invocation is cancelled */
static void
test_cancel_worker (void)
{
  g_autoptr(ComlinkWorker) worker = comlink_worker_new_thread (NULL, setup_calc, NULL, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  GValue *ret;
  Result  r = { 0 };
  gint64  cancelled_at;

  /* Make sure the worker runs, and the handler holds the call */
  ret = comlink_proxy_call_sync (comlink_worker_get_proxy (worker), "ping", NULL, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (ret);
  comlink_proxy_call_async (comlink_worker_get_proxy (worker), "hold", NULL, 0, cancellable, on_call_done, &r);
  g_usleep (20000);
  test_iterate_pending ();
  g_assert_cmpuint (r.n_calls, ==, 0);

  cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  /* The caller gets CANCELLED at once */
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (r.time - cancelled_at, <, usec (50000));

  /* The worker's handler observed the cancellation within 50 ms */
  test_wait_until (test_calc_get_last_cancel_time () >= cancelled_at);
  g_assert_cmpint (test_calc_get_last_cancel_time () - cancelled_at, <, usec (50000));
  test_iterate_pending ();
  g_assert_cmpuint (r.n_calls, ==, 1);
  result_clear (&r);

  comlink_worker_terminate (worker);
}

static void
test_timeout_worker (void)
{
  g_autoptr(ComlinkWorker) worker = comlink_worker_new_thread (NULL, setup_calc, NULL, NULL);
  g_autoptr(ComlinkProxy) child = NULL;
  Result r = { 0 };
  gint64 start;

  /* Per call */
  start = g_get_monotonic_time ();
  comlink_proxy_call_full_async (comlink_worker_get_proxy (worker), "hold", NULL, 0, 100,
                                 NULL, on_call_done, &r);
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpint (r.time - start, >=, 100000);
  g_assert_cmpint (r.time - start, <, usec (1000000));
  /* The worker's handler saw its cancellable fire */
  test_wait_until (test_calc_get_last_cancel_time () >= start + 100000);
  g_assert_cmpint (test_calc_get_last_cancel_time () - start, <, usec (150000));
  result_clear (&r);

  /* Per worker: the default of every proxy without its own */
  g_assert_cmpuint (comlink_worker_get_timeout (worker), ==, 0);
  comlink_worker_set_timeout (worker, 50);
  g_assert_cmpint (comlink_proxy_get_timeout (comlink_worker_get_proxy (worker)), ==, 50);
  comlink_proxy_call_async (comlink_worker_get_proxy (worker), "hold", NULL, 0, NULL, on_call_done, &r);
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  result_clear (&r);

  /* Per proxy, inherited by navigation; 0 turns it off */
  comlink_proxy_set_timeout (comlink_worker_get_proxy (worker), 0);
  child = comlink_proxy_get_child (comlink_worker_get_proxy (worker), "child");
  g_assert_cmpint (comlink_proxy_get_timeout (child), ==, 0);
  comlink_proxy_set_timeout (comlink_worker_get_proxy (worker), -1);
  g_assert_cmpint (comlink_proxy_get_timeout (comlink_worker_get_proxy (worker)), ==, 50);

  /* A call that answers in time is not affected, and leaves no timer */
  {
    GValue *args = test_args_new (2, G_TYPE_INT, 1, G_TYPE_INT, 2);
    comlink_proxy_call_full_async (comlink_worker_get_proxy (worker), "add", args, 2, 5000,
                                   NULL, on_call_done, &r);
    test_args_free (args, 2);
  }
  test_wait_until (r.n_calls == 1);
  g_assert_no_error (r.error);
  g_assert_cmpint (g_value_get_int (r.value), ==, 3);
  result_clear (&r);
  test_iterate_pending ();
  g_assert_false (g_main_context_pending (NULL));

  comlink_worker_terminate (worker);
}

typedef struct
{
  ComlinkChannel    *channel;
  TestCalc          *calc;
  ComlinkConnection *exposing;
  ComlinkConnection *wrapping;
  ComlinkProxy      *proxy;
} Pair;

static void
pair_init (Pair *p)
{
  p->channel = comlink_channel_new ();
  p->calc = test_calc_new ();
  p->exposing = comlink_expose (G_OBJECT (p->calc), comlink_channel_get_port1 (p->channel));
  p->proxy = comlink_wrap (comlink_channel_get_port2 (p->channel));
  p->wrapping = comlink_connection_get_for_endpoint (comlink_channel_get_port2 (p->channel));
}

static void
pair_clear (Pair *p)
{
  comlink_connection_close (p->exposing);
  g_clear_object (&p->proxy);
  g_clear_object (&p->calc);
  g_clear_object (&p->channel);
  test_iterate_pending ();
}

static void
test_limit_pending (void)
{
  Pair   p;
  Result r[3] = { { 0 } };

  pair_init (&p);
  comlink_connection_set_max_pending_calls (p.wrapping, 2);
  g_assert_cmpuint (comlink_connection_get_max_pending_calls (p.wrapping), ==, 2);

  for (guint i = 0; i < 3; i++)
    comlink_proxy_call_async (p.proxy, "hold", NULL, 0, NULL, on_call_done, &r[i]);
  /* The third fails at once; nothing else does */
  test_wait_until (r[2].n_calls == 1);
  g_assert_error (r[2].error, COMLINK_ERROR, COMLINK_ERROR_LIMIT_EXCEEDED);
  g_assert_cmpuint (r[0].n_calls + r[1].n_calls, ==, 0);

  /* The exposing side limits the requests it serves the same way */
  comlink_connection_set_max_pending_calls (p.exposing, 2);
  comlink_connection_set_max_pending_calls (p.wrapping, 10);
  result_clear (&r[2]);
  comlink_proxy_call_async (p.proxy, "hold", NULL, 0, NULL, on_call_done, &r[2]);
  test_wait_until (r[2].n_calls == 1);
  g_assert_error (r[2].error, COMLINK_ERROR, COMLINK_ERROR_LIMIT_EXCEEDED);

  pair_clear (&p);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpuint (r[i].n_calls, ==, 1);
      result_clear (&r[i]);
    }
}

static void
test_limit_exports (void)
{
  g_autoptr(TestCalc) a = test_calc_new ();
  g_autoptr(TestCalc) b = test_calc_new ();
  g_autoptr(GError) error = NULL;
  GValue *args, *ret;
  Pair    p;

  pair_init (&p);
  comlink_connection_set_max_exports (p.wrapping, 1);

  g_object_set (p.calc, "child", NULL, NULL);
  args = test_args_new (1, G_TYPE_OBJECT, a);
  g_assert_true (comlink_proxy_set_sync (p.proxy, "child", args, NULL, &error));
  g_assert_no_error (error);
  test_args_free (args, 1);
  g_assert_cmpuint (comlink_connection_get_n_exports (p.wrapping), ==, 1);

  /* A second object is one too many; the same one again is not */
  args = test_args_new (1, G_TYPE_OBJECT, b);
  ret = comlink_proxy_call_sync (p.proxy, "echo-object", args, 1, NULL, &error);
  g_assert_null (ret);
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_LIMIT_EXCEEDED);
  g_clear_error (&error);
  test_args_free (args, 1);
  args = test_args_new (1, G_TYPE_OBJECT, a);
  ret = comlink_proxy_call_sync (p.proxy, "echo-object", args, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_value_get_object (ret) == (GObject *) a);
  g_boxed_free (G_TYPE_VALUE, ret);
  test_args_free (args, 1);

  pair_clear (&p);
}

/* Records the type of each released object: most die right after */
static void
on_released (ComlinkConnection *connection, GObject *object, GArray *released)
{
  GType type = G_OBJECT_TYPE (object);

  g_array_append_val (released, type);
}

static void
test_released_hook (void)
{
  g_autoptr(GArray) released = g_array_new (FALSE, FALSE, sizeof (GType));
  g_autoptr(TestDynamic) dynamic = g_object_new (TEST_TYPE_DYNAMIC, NULL);
  g_autoptr(GError) error = NULL;
  GValue *args, *ret;
  Pair    p;

  pair_init (&p);
  g_signal_connect (p.exposing, "released", G_CALLBACK (on_released), released);

  /* An object sent to the peer, then released by it */
  args = test_args_new (1, G_TYPE_OBJECT, dynamic);
  ret = comlink_proxy_call_sync (p.proxy, "echo-object", args, 1, NULL, &error);
  g_assert_no_error (error);
  test_args_free (args, 1);
  g_boxed_free (G_TYPE_VALUE, ret);
  /* The exposing side dropped its proxy of it: the sender learns it */
  test_wait_until (test_dynamic_get_n_released (dynamic) == 1);

  ret = comlink_proxy_call_sync (p.proxy, "make-child", (args = test_args_new (1, G_TYPE_INT, 1)), 1, NULL, &error);
  g_assert_no_error (error);
  test_args_free (args, 1);
  g_assert_cmpuint (released->len, ==, 0);
  g_assert_true (comlink_proxy_release_sync (COMLINK_PROXY (g_value_get_object (ret)), NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (released->len, ==, 1);
  g_assert_true (g_array_index (released, GType, 0) == TEST_TYPE_CALC);
  g_boxed_free (G_TYPE_VALUE, ret);

  /* Closing releases the exposed object too */
  comlink_connection_close (p.exposing);
  g_assert_cmpuint (released->len, ==, 2);
  g_assert_true (g_array_index (released, GType, 1) == TEST_TYPE_CALC);
  pair_clear (&p);
}

/* The exposed TestDynamic learns it through the interface */
static void
test_released_exposable (void)
{
  g_autoptr(ComlinkChannel) channel = comlink_channel_new ();
  g_autoptr(TestDynamic) dynamic = g_object_new (TEST_TYPE_DYNAMIC, NULL);
  ComlinkProxy *proxy;

  comlink_expose (G_OBJECT (dynamic), comlink_channel_get_port1 (channel));
  proxy = comlink_wrap (comlink_channel_get_port2 (channel));
  g_assert_cmpuint (test_dynamic_get_n_released (dynamic), ==, 0);

  /* Releasing the only proxy closes the wrapping side, which releases the
   * exposed object */
  comlink_proxy_release (proxy);
  g_object_unref (proxy);
  test_wait_until (test_dynamic_get_n_released (dynamic) == 1);
  test_iterate_pending ();
  g_assert_cmpuint (test_dynamic_get_n_released (dynamic), ==, 1);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Comlink/Cancel/worker-handler", test_cancel_worker);
  g_test_add_func ("/Comlink/Timeout/worker", test_timeout_worker);
  g_test_add_func ("/Comlink/Limits/pending-calls", test_limit_pending);
  g_test_add_func ("/Comlink/Limits/exports", test_limit_exports);
  g_test_add_func ("/Comlink/Release/hook", test_released_hook);
  g_test_add_func ("/Comlink/Release/hook-exposable", test_released_exposable);

  return g_test_run ();
}
