/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Cancellation against a worker, timeouts, limits, and the hook that tells
 * an exposed object that the peer released it. */

#include "test-objects.h"

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
  GValue    *ret;
  TestResult r = { 0 };
  gint64     cancelled_at;

  /* Make sure the worker runs, and the handler holds the call */
  ret = comlink_proxy_call_sync (comlink_worker_get_proxy (worker), "ping", NULL, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (ret);
  comlink_proxy_call_async (comlink_worker_get_proxy (worker), "hold", NULL, 0, cancellable, test_on_call_done, &r);
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
  test_result_clear (&r);

  comlink_worker_terminate (worker);
}

static void
test_timeout_worker (void)
{
  g_autoptr(ComlinkWorker) worker = comlink_worker_new_thread (NULL, setup_calc, NULL, NULL);
  g_autoptr(ComlinkProxy) child = NULL;
  TestResult r = { 0 };
  gint64     start;

  /* Per call */
  start = g_get_monotonic_time ();
  comlink_proxy_call_full_async (comlink_worker_get_proxy (worker), "hold", NULL, 0, 100,
                                 NULL, test_on_call_done, &r);
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpint (r.time - start, >=, 100000);
  g_assert_cmpint (r.time - start, <, usec (1000000));
  /* The worker's handler saw its cancellable fire */
  test_wait_until (test_calc_get_last_cancel_time () >= start + 100000);
  g_assert_cmpint (test_calc_get_last_cancel_time () - start, <, usec (150000));
  test_result_clear (&r);

  /* Per worker: the default of every proxy without its own */
  g_assert_cmpuint (comlink_worker_get_timeout (worker), ==, 0);
  comlink_worker_set_timeout (worker, 50);
  g_assert_cmpint (comlink_proxy_get_timeout (comlink_worker_get_proxy (worker)), ==, 50);
  comlink_proxy_call_async (comlink_worker_get_proxy (worker), "hold", NULL, 0, NULL, test_on_call_done, &r);
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  test_result_clear (&r);

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
                                   NULL, test_on_call_done, &r);
    test_args_free (args, 2);
  }
  test_wait_until (r.n_calls == 1);
  g_assert_no_error (r.error);
  g_assert_cmpint (g_value_get_int (r.value), ==, 3);
  test_result_clear (&r);
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
  p->exposing = g_object_ref (comlink_expose (G_OBJECT (p->calc), comlink_channel_get_port1 (p->channel)));
  p->proxy = comlink_wrap (comlink_channel_get_port2 (p->channel));
  p->wrapping = g_object_ref (comlink_connection_get_for_endpoint (comlink_channel_get_port2 (p->channel)));
}

static void
pair_clear (Pair *p)
{
  comlink_connection_close (p->exposing);
  g_clear_object (&p->exposing);
  g_clear_object (&p->wrapping);
  g_clear_object (&p->proxy);
  g_clear_object (&p->calc);
  g_clear_object (&p->channel);
  test_iterate_pending ();
}

static void
test_limit_pending (void)
{
  Pair       p;
  TestResult r[3] = { { 0 } };

  pair_init (&p);
  comlink_connection_set_max_pending_calls (p.wrapping, 2);
  g_assert_cmpuint (comlink_connection_get_max_pending_calls (p.wrapping), ==, 2);

  for (guint i = 0; i < 3; i++)
    comlink_proxy_call_async (p.proxy, "hold", NULL, 0, NULL, test_on_call_done, &r[i]);
  /* The third fails at once; nothing else does */
  test_wait_until (r[2].n_calls == 1);
  g_assert_error (r[2].error, COMLINK_ERROR, COMLINK_ERROR_LIMIT_EXCEEDED);
  g_assert_cmpuint (r[0].n_calls + r[1].n_calls, ==, 0);

  /* The exposing side limits the requests it serves the same way */
  comlink_connection_set_max_pending_calls (p.exposing, 2);
  comlink_connection_set_max_pending_calls (p.wrapping, 10);
  test_result_clear (&r[2]);
  comlink_proxy_call_async (p.proxy, "hold", NULL, 0, NULL, test_on_call_done, &r[2]);
  test_wait_until (r[2].n_calls == 1);
  g_assert_error (r[2].error, COMLINK_ERROR, COMLINK_ERROR_LIMIT_EXCEEDED);

  pair_clear (&p);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpuint (r[i].n_calls, ==, 1);
      test_result_clear (&r[i]);
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

/* Replies, cancellations and terminations race in every order; each call
 * completes exactly once */
static guint race_outcomes[3];
static gint  race_finalized;

static void
race_calc_finalized (gpointer data, GObject *where_the_object_was)
{
  g_atomic_int_inc (&race_finalized);
}

static GObject *
setup_race_calc (gpointer user_data, GError **error)
{
  TestCalc *calc = test_calc_new ();

  g_object_weak_ref (G_OBJECT (calc), race_calc_finalized, NULL);
  return G_OBJECT (calc);
}
static guint base_threads;

static void
on_race_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  guint  *n_calls = user_data;
  GError *error = NULL;
  GValue *value = comlink_proxy_call_finish (COMLINK_PROXY (source), res, &error);

  g_atomic_int_inc (n_calls);
  if (error == NULL)
    race_outcomes[0]++;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    race_outcomes[1]++;
  else if (g_error_matches (error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED))
    race_outcomes[2]++;
  else
    g_assert_no_error (error);
  g_clear_error (&error);
  if (value != NULL)
    g_boxed_free (G_TYPE_VALUE, value);
}

static void
test_race (void)
{
  guint          n = g_getenv ("COMLINK_TEST_SLOW") ? 2000 : 10000;
  guint         *n_calls = g_new0 (guint, n);
  GRand         *rand = g_rand_new_with_seed (7);
  GValue        *args = test_args_new (2, G_TYPE_INT, 1, G_TYPE_INT, 2);
  guint          n_workers = 0;
  ComlinkWorker *worker = NULL;
  GPtrArray     *cancellables = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n; i++)
    {
      GCancellable *cancellable = g_cancellable_new ();
      guint         action = g_rand_int_range (rand, 0, 6);

      if (worker == NULL)
        {
          worker = comlink_worker_new_thread (NULL, setup_race_calc, NULL, NULL);
          n_workers++;
        }

      comlink_proxy_call_async (comlink_worker_get_proxy (worker), action == 5 ? "hold" : "add",
                                action == 5 ? NULL : args, action == 5 ? 0 : 2,
                                cancellable, on_race_done, &n_calls[i]);
      if (action == 0)
        g_cancellable_cancel (cancellable);
      else
        g_ptr_array_add (cancellables, g_object_ref (cancellable));
      g_object_unref (cancellable);

      /* Sometimes let replies arrive, sometimes cancel what is pending,
       * sometimes terminate with calls in flight */
      if (action == 1)
        for (guint j = 0; j < 5; j++)
          g_main_context_iteration (NULL, FALSE);
      if (action == 2 && cancellables->len > 0)
        g_cancellable_cancel (g_ptr_array_index (cancellables, g_rand_int_range (rand, 0, cancellables->len)));
      if (i % 97 == 96)
        {
          comlink_worker_terminate (worker);
          g_clear_object (&worker);
          g_ptr_array_set_size (cancellables, 0);
        }
    }
  comlink_worker_terminate (worker);
  g_clear_object (&worker);
  g_ptr_array_unref (cancellables);

  /* Every worker's object died, and every worker thread is gone */
  test_wait_until ((guint) g_atomic_int_get (&race_finalized) == n_workers);
  test_wait_until (test_count_threads () <= base_threads);
  test_iterate_pending ();
  for (guint i = 0; i < n; i++)
    g_assert_cmpuint (g_atomic_int_get (&n_calls[i]), ==, 1);
  g_test_message ("%u answered, %u cancelled, %u terminated",
                  race_outcomes[0], race_outcomes[1], race_outcomes[2]);
  g_assert_cmpuint (race_outcomes[0], >, 0);
  g_assert_cmpuint (race_outcomes[1], >, 0);
  g_assert_cmpuint (race_outcomes[2], >, 0);

  test_args_free (args, 2);
  g_rand_free (rand);
  g_free (n_calls);
}

/* --- construct --- */

static GObject *
setup_calc_with_counter (gpointer user_data, GError **error)
{
  TestCalc *calc = test_calc_new ();

  comlink_register_constructible (G_OBJECT (calc), "Counter", TEST_TYPE_COUNTER);
  return G_OBJECT (calc);
}

static void
test_construct_counter (void)
{
  g_autoptr(ComlinkWorker) worker = comlink_worker_new_thread (NULL, setup_calc_with_counter, NULL, NULL);
  g_autoptr(ComlinkProxy) counter_class = comlink_proxy_get_child (comlink_worker_get_proxy (worker), "Counter");
  g_autoptr(ComlinkProxy) nope = comlink_proxy_get_child (comlink_worker_get_proxy (worker), "Nope");
  g_autoptr(ComlinkProxy) counter = NULL;
  g_autoptr(GError) error = NULL;
  const char *names[] = { "value", NULL };
  const char *bad_names[] = { "nope", NULL };
  guint       finalized_before = test_counter_get_n_finalized ();
  GValue     *values = test_args_new (1, G_TYPE_INT, 5);
  GValue     *ret;

  counter = comlink_proxy_construct_sync (counter_class, names, values, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (COMLINK_IS_PROXY (counter));

  for (int i = 6; i <= 7; i++)
    {
      ret = comlink_proxy_call_sync (counter, "increment", NULL, 0, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (g_value_get_int (ret), ==, i);
      g_boxed_free (G_TYPE_VALUE, ret);
    }
  ret = comlink_proxy_get_sync (counter, "value", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (ret), ==, 7);
  g_boxed_free (G_TYPE_VALUE, ret);

  /* The remote counter lives until its proxy is released */
  g_assert_cmpuint (test_counter_get_n_finalized (), ==, finalized_before);
  g_assert_true (comlink_proxy_release_sync (counter, NULL, &error));
  g_assert_no_error (error);
  test_wait_until (test_counter_get_n_finalized () == finalized_before + 1);

  /* Only registered names, only real properties */
  g_assert_null (comlink_proxy_construct_sync (nope, NULL, NULL, 0, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NOT_CONSTRUCTIBLE);
  g_clear_error (&error);
  g_assert_null (comlink_proxy_construct_sync (counter_class, bad_names, values, 1, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_PROPERTY);
  g_clear_error (&error);
  g_assert_null (comlink_proxy_construct_sync (counter_class, NULL, values, 1, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_INVALID_ARGUMENTS);
  g_clear_error (&error);
  g_assert_null (comlink_proxy_construct_sync (comlink_worker_get_proxy (worker), NULL, NULL, 0, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NOT_CONSTRUCTIBLE);
  g_clear_error (&error);

  test_args_free (values, 1);
  comlink_worker_terminate (worker);
}

/* --- remote signals --- */

typedef struct
{
  GArray       *values;
  GMainContext *context;
  gboolean      wrong_context;
} Received;

static void
on_changed (ComlinkProxy *proxy, int value, Received *received)
{
  if (g_main_context_get_thread_default () != received->context)
    received->wrong_context = TRUE;
  g_array_append_val (received->values, value);
}

static void
test_signals_thousand (void)
{
  g_autoptr(ComlinkWorker) worker = comlink_worker_new_thread (NULL, setup_calc, NULL, NULL);
  ComlinkProxy *proxy = comlink_worker_get_proxy (worker);
  Received      received = { g_array_new (FALSE, FALSE, sizeof (int)), NULL, FALSE };
  g_autoptr(GError) error = NULL;
  GValue *args;
  GValue *ret;
  guint64 id;

  id = comlink_proxy_subscribe_sync (proxy, "changed",
                                     g_cclosure_new (G_CALLBACK (on_changed), &received, NULL),
                                     NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (id, !=, 0);

  args = test_args_new (1, G_TYPE_INT, 1000);
  ret = comlink_proxy_call_sync (proxy, "emit-changed", args, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (ret);
  test_wait_until (received.values->len == 1000);
  for (int i = 0; i < 1000; i++)
    g_assert_cmpint (g_array_index (received.values, int, i), ==, i);
  g_assert_false (received.wrong_context);

  /* After unsubscribing, nothing arrives */
  comlink_proxy_unsubscribe (proxy, id);
  ret = comlink_proxy_call_sync (proxy, "emit-changed", args, 1, NULL, &error);
  g_assert_no_error (error);
  ret = comlink_proxy_call_sync (proxy, "ping", NULL, 0, NULL, &error);
  g_assert_no_error (error);
  test_iterate_pending ();
  g_assert_cmpuint (received.values->len, ==, 1000);

  /* A signal that does not exist */
  g_assert_cmpuint (comlink_proxy_subscribe_sync (proxy, "nope",
                                                  g_cclosure_new (G_CALLBACK (on_changed), &received, NULL),
                                                  NULL, &error),
                    ==, 0);
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_SIGNAL);
  g_clear_error (&error);

  /* Terminate ends the subscriptions: no handler runs after it */
  comlink_proxy_subscribe_sync (proxy, "changed",
                                g_cclosure_new (G_CALLBACK (on_changed), &received, NULL),
                                NULL, &error);
  g_assert_no_error (error);
  comlink_proxy_call_async (proxy, "emit-changed", args, 1, NULL, NULL, NULL);
  comlink_worker_terminate (worker);
  test_iterate_pending ();
  g_usleep (10000);
  test_iterate_pending ();
  g_assert_cmpuint (received.values->len, ==, 1000);

  test_args_free (args, 1);
  g_array_unref (received.values);
}

/* 64-bit arguments come as they are, or as GVariants x and t when the
 * subscription asks, exactly either way */
typedef struct
{
  GPtrArray *printed; /* of each emission's arguments */
  gboolean   as_variant;
} BigReceived;

static void
on_big (GClosure     *closure,
        GValue       *return_value,
        guint         n_params,
        const GValue *params,
        gpointer      hint,
        gpointer      data)
{
  BigReceived *received = closure->data;

  g_assert_cmpuint (n_params, ==, 3);
  g_assert_true (G_VALUE_HOLDS (&params[0], COMLINK_TYPE_PROXY));
  if (received->as_variant)
    {
      GVariant *x = g_value_get_variant (&params[1]);
      GVariant *t = g_value_get_variant (&params[2]);

      g_assert_true (G_VALUE_HOLDS_VARIANT (&params[1]) && G_VALUE_HOLDS_VARIANT (&params[2]));
      g_assert_true (g_variant_is_of_type (x, G_VARIANT_TYPE_INT64));
      g_assert_true (g_variant_is_of_type (t, G_VARIANT_TYPE_UINT64));
      g_ptr_array_add (received->printed,
                       g_strdup_printf ("%" G_GINT64_FORMAT " %" G_GUINT64_FORMAT,
                                        g_variant_get_int64 (x), g_variant_get_uint64 (t)));
    }
  else
    {
      g_assert_true (G_VALUE_HOLDS_INT64 (&params[1]) && G_VALUE_HOLDS_UINT64 (&params[2]));
      g_ptr_array_add (received->printed,
                       g_strdup_printf ("%" G_GINT64_FORMAT " %" G_GUINT64_FORMAT,
                                        g_value_get_int64 (&params[1]), g_value_get_uint64 (&params[2])));
    }
}

static void
subscribe_big_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  guint64 *id = user_data;
  g_autoptr(GError) error = NULL;

  *id = comlink_proxy_subscribe_full_finish (COMLINK_PROXY (source), result, &error);
  g_assert_no_error (error);
}

static void
test_signals_int64 (void)
{
  g_autoptr(ComlinkWorker) worker = comlink_worker_new_thread (NULL, setup_calc, NULL, NULL);
  ComlinkProxy *proxy = comlink_worker_get_proxy (worker);
  g_autoptr(GError) error = NULL;

  for (guint as_variant = 0; as_variant < 2; as_variant++)
    {
      BigReceived received = { g_ptr_array_new_with_free_func (g_free), as_variant };
      GClosure   *closure = g_closure_new_simple (sizeof (GClosure), &received);
      guint64     id = 0;
      GValue     *ret;

      g_closure_set_marshal (closure, on_big);
      comlink_proxy_subscribe_full_async (proxy, "big",
                                          as_variant ? COMLINK_SUBSCRIBE_FLAGS_INT64_AS_VARIANT
                                                     : COMLINK_SUBSCRIBE_FLAGS_NONE,
                                          closure, NULL, subscribe_big_done, &id);
      test_wait_until (id != 0);
      ret = comlink_proxy_call_sync (proxy, "emit-big", NULL, 0, NULL, &error);
      g_assert_no_error (error);
      g_assert_null (ret);
      test_wait_until (received.printed->len == 2);
      g_assert_cmpstr (g_ptr_array_index (received.printed, 0), ==, "9223372036854775807 18446744073709551615");
      g_assert_cmpstr (g_ptr_array_index (received.printed, 1), ==, "-5 7");
      comlink_proxy_unsubscribe (proxy, id);
      g_ptr_array_unref (received.printed);
    }

  comlink_worker_terminate (worker);
}

/* In one thread: release and unsubscribe disconnect the handler on the
 * exposing side */
static void
test_signals_release (void)
{
  Received received = { g_array_new (FALSE, FALSE, sizeof (int)), NULL, FALSE };
  g_autoptr(GError) error = NULL;
  guint signal_id;
  Pair  p;

  pair_init (&p);
  signal_id = g_signal_lookup ("changed", TEST_TYPE_CALC);
  comlink_proxy_subscribe_sync (p.proxy, "changed",
                                g_cclosure_new (G_CALLBACK (on_changed), &received, NULL),
                                NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_signal_has_handler_pending (p.calc, signal_id, 0, FALSE));

  g_signal_emit_by_name (p.calc, "changed", 42);
  test_wait_until (received.values->len == 1);
  g_assert_cmpint (g_array_index (received.values, int, 0), ==, 42);

  comlink_proxy_release (p.proxy);
  test_wait_until (!g_signal_has_handler_pending (p.calc, signal_id, 0, FALSE));
  g_signal_emit_by_name (p.calc, "changed", 43);
  test_iterate_pending ();
  g_assert_cmpuint (received.values->len, ==, 1);

  pair_clear (&p);
  g_array_unref (received.values);
}

/* --- a callback, an object by reference --- */

typedef struct
{
  guint n_calls;
} Counted;

static void
on_tick (ComlinkCallback *callback, int i, const char *what, Counted *counted)
{
  counted->n_calls++;
}

static void
test_callback_three_times (void)
{
  g_autoptr(ComlinkWorker) worker = comlink_worker_new_thread (NULL, setup_calc, NULL, NULL);
  Counted          counted = { 0 };
  ComlinkCallback *callback = comlink_callback_new_typed (g_cclosure_new (G_CALLBACK (on_tick), &counted, NULL),
                                                          G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_STRING);
  g_autoptr(GError) error = NULL;
  GObject *weak = G_OBJECT (callback);
  GValue  *args = test_args_new (2, G_TYPE_OBJECT, callback, G_TYPE_INT, 3);

  g_object_add_weak_pointer (weak, (gpointer *) &weak);
  g_assert_null (comlink_proxy_call_sync (comlink_worker_get_proxy (worker), "call-back", args, 2, NULL, &error));
  g_assert_no_error (error);
  test_args_free (args, 2);
  g_object_unref (callback);

  test_wait_until (counted.n_calls == 3);
  /* The worker dropped its proxy: the callback is released, and gone */
  test_wait_until (weak == NULL);
  g_assert_cmpuint (comlink_connection_get_n_exports (comlink_worker_get_connection (worker)), ==, 0);
  comlink_worker_terminate (worker);
}

static void
test_object_property_by_reference (void)
{
  g_autoptr(ComlinkWorker) worker = comlink_worker_new_thread (NULL, setup_calc, NULL, NULL);
  g_autoptr(ComlinkProxy) child = comlink_proxy_get_child (comlink_worker_get_proxy (worker), "child");
  g_autoptr(TestCalc) local = test_calc_new ();
  g_autoptr(GError) error = NULL;
  GValue *args;
  GValue *ret;

  g_object_set (local, "value", 99, NULL);
  args = test_args_new (1, G_TYPE_OBJECT, local);
  g_assert_true (comlink_proxy_set_sync (comlink_worker_get_proxy (worker), "child", args, NULL, &error));
  g_assert_no_error (error);
  test_args_free (args, 1);

  /* Called through the remote property, the call comes back to it */
  args = test_args_new (2, G_TYPE_INT, 40, G_TYPE_INT, 2);
  ret = comlink_proxy_call_sync (child, "add", args, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (ret), ==, 42);
  g_boxed_free (G_TYPE_VALUE, ret);
  test_args_free (args, 2);
  ret = comlink_proxy_get_sync (child, "value", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (ret), ==, 99);
  g_boxed_free (G_TYPE_VALUE, ret);

  /* Reading the property gives the very object back */
  ret = comlink_proxy_get_sync (comlink_worker_get_proxy (worker), "child", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_value_get_object (ret) == (GObject *) local);
  g_boxed_free (G_TYPE_VALUE, ret);

  comlink_worker_terminate (worker);
}

/* --- transfer handlers --- */

#define TEST_TYPE_DATE_TIME_HANDLER (test_date_time_handler_get_type ())
G_DECLARE_FINAL_TYPE (TestDateTimeHandler, test_date_time_handler, TEST, DATE_TIME_HANDLER, ComlinkTransferHandler)

struct _TestDateTimeHandler
{
  ComlinkTransferHandler parent_instance;
};

G_DEFINE_FINAL_TYPE (TestDateTimeHandler, test_date_time_handler, COMLINK_TYPE_TRANSFER_HANDLER)

static GVariant *
date_time_serialize (ComlinkTransferHandler *handler, const GValue *value, GError **error)
{
  g_autofree char *text = g_date_time_format_iso8601 (g_value_get_boxed (value));

  return g_variant_new_string (text);
}

static gboolean
date_time_deserialize (ComlinkTransferHandler *handler, GVariant *data, GValue *value, GError **error)
{
  GDateTime *date_time;

  if (!g_variant_is_of_type (data, G_VARIANT_TYPE_STRING) ||
      !(date_time = g_date_time_new_from_iso8601 (g_variant_get_string (data, NULL), NULL)))
    {
      g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL, "not a date");
      return FALSE;
    }
  g_value_init (value, G_TYPE_DATE_TIME);
  g_value_take_boxed (value, date_time);
  return TRUE;
}

static void
test_date_time_handler_class_init (TestDateTimeHandlerClass *klass)
{
  COMLINK_TRANSFER_HANDLER_CLASS (klass)->serialize = date_time_serialize;
  COMLINK_TRANSFER_HANDLER_CLASS (klass)->deserialize = date_time_deserialize;
}

static void
test_date_time_handler_init (TestDateTimeHandler *self)
{
}

static void
test_transfer_handlers (void)
{
  g_autoptr(ComlinkWorker) worker = comlink_worker_new_thread (NULL, setup_calc, NULL, NULL);
  g_autoptr(ComlinkTransferHandler) handler =
               g_object_new (TEST_TYPE_DATE_TIME_HANDLER, "name", "test-date-time", "value-type", G_TYPE_DATE_TIME, NULL);
  g_autoptr(GFile) file = g_file_new_for_path ("/tmp/some file.txt");
  g_autoptr(GDateTime) date_time = g_date_time_new_utc (2026, 11, 26, 12, 0, 0);
  g_autoptr(GError) error = NULL;
  GValue *args, *ret;

  /* Built in: a GFile travels by URI */
  args = test_args_new (1, G_TYPE_FILE, file);
  ret = comlink_proxy_call_sync (comlink_worker_get_proxy (worker), "echo-file", args, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (G_IS_FILE (g_value_get_object (ret)));
  g_assert_true (g_value_get_object (ret) != (GObject *) file);
  g_assert_true (g_file_equal (g_value_get_object (ret), file));
  g_boxed_free (G_TYPE_VALUE, ret);
  test_args_free (args, 1);
  g_assert_cmpuint (comlink_connection_get_n_exports (comlink_worker_get_connection (worker)), ==, 0);

  /* Without a handler, a GDateTime cannot travel; with one, it does */
  args = test_args_new (1, G_TYPE_DATE_TIME, date_time);
  g_assert_null (comlink_proxy_call_sync (comlink_worker_get_proxy (worker), "echo-date-time", args, 1, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE);
  g_clear_error (&error);

  comlink_transfer_handler_register (handler);
  ret = comlink_proxy_call_sync (comlink_worker_get_proxy (worker), "echo-date-time", args, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_date_time_equal (g_value_get_boxed (ret), date_time));
  g_boxed_free (G_TYPE_VALUE, ret);
  test_args_free (args, 1);

  {
    g_autoptr(ComlinkTransferHandler) found = comlink_transfer_handler_lookup ("test-date-time");
    g_assert_true (found == handler);
  }
  comlink_transfer_handler_unregister ("test-date-time");
  g_assert_null (comlink_transfer_handler_lookup ("test-date-time"));

  comlink_worker_terminate (worker);
}

/* --- new endpoints --- */

static void
test_create_endpoint (void)
{
  g_autoptr(ComlinkWorker) worker = comlink_worker_new_thread (NULL, setup_calc, NULL, NULL);
  g_autoptr(ComlinkEndpoint) endpoint = NULL;
  g_autoptr(GError) error = NULL;
  ComlinkProxy *second;
  GValue       *args = test_args_new (2, G_TYPE_INT, 2, G_TYPE_INT, 3);
  GValue       *ret;

  endpoint = comlink_proxy_create_endpoint_sync (comlink_worker_get_proxy (worker), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (COMLINK_IS_ENDPOINT (endpoint));

  second = comlink_wrap (endpoint);
  ret = comlink_proxy_call_sync (second, "add", args, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (ret), ==, 5);
  g_boxed_free (G_TYPE_VALUE, ret);

  /* Both stay usable; the same object answers on both */
  {
    GValue *value = test_args_new (1, G_TYPE_INT, 17);
    g_assert_true (comlink_proxy_set_sync (second, "value", value, NULL, &error));
    g_assert_no_error (error);
    test_args_free (value, 1);
  }
  ret = comlink_proxy_get_sync (comlink_worker_get_proxy (worker), "value", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (ret), ==, 17);
  g_boxed_free (G_TYPE_VALUE, ret);

  /* Releasing the second proxy closes only its own endpoint */
  comlink_proxy_release (second);
  g_object_unref (second);
  test_wait_until (comlink_endpoint_is_closed (endpoint));
  ret = comlink_proxy_call_sync (comlink_worker_get_proxy (worker), "add", args, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (ret), ==, 5);
  g_boxed_free (G_TYPE_VALUE, ret);

  /* An endpoint created from a worker closes when the worker ends */
  {
    g_autoptr(ComlinkEndpoint) third = comlink_proxy_create_endpoint_sync (comlink_worker_get_proxy (worker), NULL, &error);
    g_autoptr(ComlinkProxy) third_proxy = NULL;

    g_assert_no_error (error);
    third_proxy = comlink_wrap (third);
    ret = comlink_proxy_call_sync (third_proxy, "add", args, 2, NULL, &error);
    g_assert_no_error (error);
    g_boxed_free (G_TYPE_VALUE, ret);

    comlink_worker_terminate (worker);
    test_wait_until (comlink_endpoint_is_closed (third));
    g_assert_null (comlink_proxy_call_sync (third_proxy, "add", args, 2, NULL, &error));
    g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_CLOSED);
  }

  test_args_free (args, 2);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* GLib's own helper threads start on first use: start them now */
  test_start_glib_threads ();
  {
    ComlinkWorker *worker = comlink_worker_new_thread (NULL, setup_calc, NULL, NULL);
    GError        *error = NULL;

    g_assert_null (comlink_proxy_call_sync (comlink_worker_get_proxy (worker), "ping", NULL, 0, NULL, &error));
    g_assert_no_error (error);
    g_object_unref (worker);
    test_wait_until (test_count_threads () <= 2);
    base_threads = test_count_threads ();
  }

  g_test_add_func ("/Comlink/Cancel/worker-handler", test_cancel_worker);
  g_test_add_func ("/Comlink/Timeout/worker", test_timeout_worker);
  g_test_add_func ("/Comlink/Limits/pending-calls", test_limit_pending);
  g_test_add_func ("/Comlink/Limits/exports", test_limit_exports);
  g_test_add_func ("/Comlink/Release/hook", test_released_hook);
  g_test_add_func ("/Comlink/Release/hook-exposable", test_released_exposable);
  g_test_add_func ("/Comlink/Cancel/race", test_race);
  g_test_add_func ("/Comlink/Construct/counter", test_construct_counter);
  g_test_add_func ("/Comlink/Signals/thousand-in-order", test_signals_thousand);
  g_test_add_func ("/Comlink/Signals/int64", test_signals_int64);
  g_test_add_func ("/Comlink/Signals/release-disconnects", test_signals_release);
  g_test_add_func ("/Comlink/Callback/three-times-then-released", test_callback_three_times);
  g_test_add_func ("/Comlink/Values/object-property-by-reference", test_object_property_by_reference);
  g_test_add_func ("/Comlink/Transfer/handlers", test_transfer_handlers);
  g_test_add_func ("/Comlink/Endpoint/create", test_create_endpoint);

  return g_test_run ();
}
