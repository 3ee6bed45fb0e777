/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Worker pools of threads and of subprocesses: calls go to the least busy
 * worker, round robin among equals; beyond the workers, a bounded FIFO
 * queue; cancelling a queued call; terminate settles every queued and
 * running call at once; a worker that exits is replaced, within a rate
 * limit; and nothing is left behind: workers, threads, children and file
 * descriptors. */

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "test-objects.h"

typedef enum
{
  KIND_THREAD,
  KIND_SUBPROCESS,
} Kind;

/* What a call's callback saw */
typedef struct
{
  guint   n_calls;
  guint   order; /* when it completed, among the calls of a test */
  GValue *value;
  GError *error;
} PoolResult;

typedef struct
{
  Kind               kind;
  ComlinkWorkerPool *pool;
  gboolean           started;
  gboolean           pool_dropped;
  TestWatch          pool_watch;
  GHashTable        *workers;      /* ComlinkWorker * (not held) -> TestWatch */
  GPtrArray         *subprocesses; /* held, to see them reaped */
  guint              fds_before;
  guint              threads_before;
  guint              children_before;
  guint              n_completed;

  /* What the pool's signals said */
  guint   n_worker_exited;
  GError *worker_exit_error;
  guint   n_respawn_stopped;
  GError *respawn_error;
} Fixture;

static Fixture *current;

static GObject *
setup_calc (gpointer user_data, GError **error)
{
  return G_OBJECT (test_calc_new ());
}

static GObject *
setup_fails (gpointer user_data, GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no model file");
  return NULL;
}

static GSubprocessLauncher *
child_launcher (void)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);

  /* A sanitizer's leak check in the child runs in a process that nobody
   * reaps; the child's leaks are not these tests' subject */
  g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", "detect_leaks=0", TRUE);
  return launcher;
}

static ComlinkWorkerPool *
subprocess_pool_new (const char *arg1,
                     const char *arg2,
                     guint       n_workers)
{
  g_autoptr(GSubprocessLauncher) launcher = child_launcher ();
  g_autoptr(GError) error = NULL;
  const char        *argv[] = { g_getenv ("COMLINK_TEST_CHILD"), arg1, arg2, NULL };
  ComlinkWorkerPool *pool;

  g_assert_nonnull (argv[0]);
  pool = comlink_worker_pool_new_subprocess (launcher, argv, n_workers, &error);
  g_assert_no_error (error);

  return pool;
}

/* Watches the workers the pool has now, which it may not have at the end */
static void
track_workers (Fixture *f)
{
  g_autolist (ComlinkWorker) workers = comlink_worker_pool_dup_workers (f->pool);

  for (GList *l = workers; l != NULL; l = l->next)
    {
      ComlinkWorker *worker = l->data;
      TestWatch     *watch = g_hash_table_lookup (f->workers, worker);

      if (watch != NULL && !test_watch_done (watch))
        continue;
      watch = g_new0 (TestWatch, 1);
      test_watch (watch, worker);
      g_hash_table_replace (f->workers, worker, watch);
      if (comlink_worker_get_subprocess (worker) != NULL)
        g_ptr_array_add (f->subprocesses, g_object_ref (comlink_worker_get_subprocess (worker)));
    }
}

static void
on_worker_exited (ComlinkWorkerPool *pool,
                  ComlinkWorker     *worker,
                  const GError      *error,
                  Fixture           *f)
{
  g_assert_true (COMLINK_IS_WORKER (worker));
  g_assert_cmpint (comlink_worker_get_state (worker), ==, COMLINK_WORKER_STATE_EXITED);
  f->n_worker_exited++;
  g_clear_error (&f->worker_exit_error);
  f->worker_exit_error = g_error_copy (error);
}

static void
on_respawn_stopped (ComlinkWorkerPool *pool,
                    const GError      *error,
                    Fixture           *f)
{
  f->n_respawn_stopped++;
  g_clear_error (&f->respawn_error);
  f->respawn_error = g_error_copy (error);
}

static void
fixture_start (Fixture           *f,
               ComlinkWorkerPool *pool)
{
  f->pool = pool;
  f->started = TRUE;
  test_watch (&f->pool_watch, pool);
  g_signal_connect (pool, "worker-exited", G_CALLBACK (on_worker_exited), f);
  g_signal_connect (pool, "respawn-stopped", G_CALLBACK (on_respawn_stopped), f);
  track_workers (f);
}

/* A pool of @n calc workers of the test's kind */
static void
fixture_start_calc (Fixture *f,
                    guint    n)
{
  if (f->kind == KIND_THREAD)
    fixture_start (f, comlink_worker_pool_new_thread ("calc", n, setup_calc, NULL, NULL));
  else
    fixture_start (f, subprocess_pool_new (NULL, NULL, n));
}

static void
fixture_set_up (Fixture      *f,
                gconstpointer data)
{
  f->kind = GPOINTER_TO_INT (data);
  f->workers = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  f->subprocesses = g_ptr_array_new_with_free_func (g_object_unref);
  f->fds_before = test_count_fds_baseline ();
  f->threads_before = test_count_threads ();
  f->children_before = test_count_children ();
  current = f;
}

/* Whatever the test did, the pool ends, and nothing of it stays */
static void
fixture_tear_down (Fixture      *f,
                   gconstpointer data)
{
  GHashTableIter iter;
  TestWatch     *watch;

  if (f->started && !f->pool_dropped)
    {
      track_workers (f);
      comlink_worker_pool_terminate (f->pool);
      g_assert_cmpint (comlink_worker_pool_get_state (f->pool), ==, COMLINK_WORKER_POOL_STATE_TERMINATED);
      g_assert_cmpuint (comlink_worker_pool_get_n_busy (f->pool), ==, 0);
      g_assert_cmpuint (comlink_worker_pool_get_n_queued (f->pool), ==, 0);
      g_clear_object (&f->pool);
    }
  if (f->started)
    test_wait_until (test_watch_done (&f->pool_watch));

  g_hash_table_iter_init (&iter, f->workers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &watch))
    test_wait_until (test_watch_done (watch));
  for (guint i = 0; i < f->subprocesses->len; i++)
    test_wait_until (g_subprocess_get_identifier (g_ptr_array_index (f->subprocesses, i)) == NULL);

  test_wait_until (test_count_threads () <= f->threads_before);
  test_wait_until (test_calc_get_n_alive () == 0);
  test_wait_until (test_count_children () <= f->children_before);
  test_wait_until (test_count_fds () <= f->fds_before);

  g_hash_table_unref (f->workers);
  g_ptr_array_unref (f->subprocesses);
  g_clear_error (&f->worker_exit_error);
  g_clear_error (&f->respawn_error);
  current = NULL;
}

static void
on_pool_call_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  PoolResult *r = user_data;

  r->n_calls++;
  r->order = ++current->n_completed;
  r->value = comlink_worker_pool_call_finish (COMLINK_WORKER_POOL (source), result, &r->error);
}

static void
pool_result_clear (PoolResult *r)
{
  if (r->value != NULL)
    g_boxed_free (G_TYPE_VALUE, r->value);
  r->value = NULL;
  g_clear_error (&r->error);
  r->n_calls = 0;
  r->order = 0;
}

static void
call (Fixture      *f,
      const char   *method,
      GCancellable *cancellable,
      PoolResult   *r)
{
  comlink_worker_pool_call_async (f->pool, method, NULL, 0, cancellable, on_pool_call_done, r);
}

static void
call_int (Fixture      *f,
          const char   *method,
          int           arg,
          GCancellable *cancellable,
          PoolResult   *r)
{
  GValue *args = test_args_new (1, G_TYPE_INT, arg);

  comlink_worker_pool_call_async (f->pool, method, args, 1, cancellable, on_pool_call_done, r);
  test_args_free (args, 1);
}

/* How an exposed calc leaves on its own: a thread worker closes its side,
 * a child kills itself */
static const char *
exit_method (Fixture *f)
{
  return f->kind == KIND_THREAD ? "quit" : "crash";
}

/* Each call goes to a worker that has none; with every worker busy, the
 * calls wait in the pool, and each goes to the first worker that is free:
 * 6 calls of the same length on 3 workers, 2 each */
static void
test_least_busy (Fixture      *f,
                 gconstpointer data)
{
  g_autoptr(GHashTable) served = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  PoolResult     r[6] = { 0 };
  GHashTableIter iter;
  gpointer       n;

  fixture_start_calc (f, 3);
  g_assert_cmpuint (comlink_worker_pool_get_n_workers (f->pool), ==, 3);
  g_assert_cmpuint (comlink_worker_pool_get_max_calls_per_worker (f->pool), ==, 1);
  g_assert_cmpuint (comlink_worker_pool_get_max_queued (f->pool), ==, 1024);

  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    call_int (f, "sleep", 150, NULL, &r[i]);
  g_assert_cmpuint (comlink_worker_pool_get_n_busy (f->pool), ==, 3);
  g_assert_cmpuint (comlink_worker_pool_get_n_queued (f->pool), ==, 3);

  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    {
      const char *who;

      test_wait_until (r[i].n_calls == 1);
      g_assert_no_error (r[i].error);
      who = g_value_get_string (r[i].value);
      g_hash_table_insert (served, g_strdup (who),
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (served, who)) + 1));
    }
  g_assert_cmpuint (g_hash_table_size (served), ==, 3);
  g_hash_table_iter_init (&iter, served);
  while (g_hash_table_iter_next (&iter, NULL, &n))
    g_assert_cmpuint (GPOINTER_TO_UINT (n), ==, 2);
  g_assert_cmpuint (comlink_worker_pool_get_n_busy (f->pool), ==, 0);
  g_assert_cmpuint (comlink_worker_pool_get_n_queued (f->pool), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    pool_result_clear (&r[i]);
}

/* Among idle workers, one call after the other goes round robin */
static void
test_round_robin (Fixture      *f,
                  gconstpointer data)
{
  char *order[6] = { NULL };

  fixture_start_calc (f, 3);

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      PoolResult r = { 0 };

      call (f, "whoami", NULL, &r);
      test_wait_until (r.n_calls == 1);
      g_assert_no_error (r.error);
      order[i] = g_value_dup_string (r.value);
      pool_result_clear (&r);
    }

  g_assert_cmpstr (order[0], !=, order[1]);
  g_assert_cmpstr (order[1], !=, order[2]);
  g_assert_cmpstr (order[0], !=, order[2]);
  for (guint i = 3; i < G_N_ELEMENTS (order); i++)
    g_assert_cmpstr (order[i], ==, order[i - 3]);
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    g_free (order[i]);
}

/* Past max-queued, a call fails at once with LIMIT_EXCEEDED; the queued
 * ones are not disturbed */
static void
test_queue_limit (Fixture      *f,
                  gconstpointer data)
{
  g_autoptr(GCancellable) hold = g_cancellable_new ();
  PoolResult held = { 0 }, queued[2] = { 0 }, refused = { 0 };

  fixture_start_calc (f, 1);
  comlink_worker_pool_set_max_queued (f->pool, 2);

  call (f, "hold", hold, &held);
  call (f, "whoami", NULL, &queued[0]);
  call (f, "whoami", NULL, &queued[1]);
  g_assert_cmpuint (comlink_worker_pool_get_n_queued (f->pool), ==, 2);
  call (f, "whoami", NULL, &refused);
  g_assert_cmpuint (comlink_worker_pool_get_n_queued (f->pool), ==, 2);

  test_iterate_pending ();
  g_assert_cmpuint (refused.n_calls, ==, 1);
  g_assert_error (refused.error, COMLINK_ERROR, COMLINK_ERROR_LIMIT_EXCEEDED);
  g_assert_cmpuint (held.n_calls + queued[0].n_calls + queued[1].n_calls, ==, 0);

  /* With no queue, a call that no worker can take fails at once */
  pool_result_clear (&refused);
  comlink_worker_pool_set_max_queued (f->pool, 0);
  call (f, "whoami", NULL, &refused);
  test_iterate_pending ();
  g_assert_error (refused.error, COMLINK_ERROR, COMLINK_ERROR_LIMIT_EXCEEDED);
  g_assert_cmpuint (comlink_worker_pool_get_n_queued (f->pool), ==, 2);

  /* The worker frees up: the queued calls run */
  g_cancellable_cancel (hold);
  test_wait_until (queued[0].n_calls == 1 && queued[1].n_calls == 1);
  g_assert_error (held.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_no_error (queued[0].error);
  g_assert_no_error (queued[1].error);
  g_assert_cmpuint (queued[0].order, <, queued[1].order);
  g_assert_cmpuint (held.n_calls, ==, 1);
  g_assert_cmpuint (refused.n_calls, ==, 1);
  g_assert_cmpuint (comlink_worker_pool_get_n_queued (f->pool), ==, 0);

  pool_result_clear (&held);
  pool_result_clear (&queued[0]);
  pool_result_clear (&queued[1]);
  pool_result_clear (&refused);
}

/* Queued calls run in the order they were made */
static void
test_fifo (Fixture      *f,
           gconstpointer data)
{
  PoolResult first = { 0 }, r[8] = { 0 };

  fixture_start_calc (f, 1);

  call_int (f, "sleep", 50, NULL, &first);
  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    {
      g_autofree char *text = g_strdup_printf ("%u", i);
      GValue          *args = test_args_new (1, G_TYPE_STRING, text);

      comlink_worker_pool_call_async (f->pool, "echo-string", args, 1, NULL, on_pool_call_done, &r[i]);
      test_args_free (args, 1);
    }
  g_assert_cmpuint (comlink_worker_pool_get_n_queued (f->pool), ==, G_N_ELEMENTS (r));

  test_wait_until (r[G_N_ELEMENTS (r) - 1].n_calls == 1);
  g_assert_no_error (first.error);
  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    {
      g_autofree char *text = g_strdup_printf ("%u", i);

      g_assert_cmpuint (r[i].n_calls, ==, 1);
      g_assert_no_error (r[i].error);
      g_assert_cmpstr (g_value_get_string (r[i].value), ==, text);
      g_assert_cmpuint (r[i].order, ==, first.order + 1 + i);
      pool_result_clear (&r[i]);
    }
  pool_result_clear (&first);
}

static gpointer
cancel_in_thread (gpointer data)
{
  g_cancellable_cancel (data);
  return NULL;
}

/* A queued call that is cancelled leaves the queue and fails at once,
 * from this thread or another; the others go on */
static void
test_cancel_queued (Fixture      *f,
                    gconstpointer data)
{
  g_autoptr(GCancellable) hold = g_cancellable_new ();
  g_autoptr(GCancellable) cancel_here = g_cancellable_new ();
  g_autoptr(GCancellable) cancel_there = g_cancellable_new ();
  g_autoptr(GCancellable) cancelled_before = g_cancellable_new ();
  PoolResult held = { 0 }, here = { 0 }, there = { 0 }, before = { 0 }, last = { 0 };
  GThread   *thread;
  gint64     start;

  fixture_start_calc (f, 1);

  call (f, "hold", hold, &held);
  call (f, "whoami", cancel_here, &here);
  call (f, "whoami", cancel_there, &there);
  call (f, "whoami", NULL, &last);
  g_assert_cmpuint (comlink_worker_pool_get_n_queued (f->pool), ==, 3);

  start = g_get_monotonic_time ();
  g_cancellable_cancel (cancel_here);
  g_assert_cmpuint (comlink_worker_pool_get_n_queued (f->pool), ==, 2);
  test_wait_until (here.n_calls == 1);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
  g_assert_error (here.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* From another thread, it leaves when this thread's context runs */
  thread = g_thread_new ("cancel", cancel_in_thread, cancel_there);
  g_thread_join (thread);
  test_wait_until (there.n_calls == 1);
  g_assert_error (there.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (comlink_worker_pool_get_n_queued (f->pool), ==, 1);

  /* A call whose cancellable already fired does not queue */
  g_cancellable_cancel (cancelled_before);
  call (f, "whoami", cancelled_before, &before);
  g_assert_cmpuint (comlink_worker_pool_get_n_queued (f->pool), ==, 1);
  test_wait_until (before.n_calls == 1);
  g_assert_error (before.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  test_iterate_pending ();
  g_assert_cmpuint (held.n_calls + last.n_calls, ==, 0);
  g_assert_cmpuint (here.n_calls + there.n_calls, ==, 2);

  /* The running one is cancelled as a proxy's call is */
  g_cancellable_cancel (hold);
  test_wait_until (held.n_calls == 1 && last.n_calls == 1);
  g_assert_error (held.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_no_error (last.error);
  if (f->kind == KIND_THREAD)
    test_wait_until (test_calc_get_last_cancel_time () >= start);

  test_iterate_pending ();
  g_assert_cmpuint (here.n_calls + there.n_calls + before.n_calls, ==, 3);
  pool_result_clear (&held);
  pool_result_clear (&here);
  pool_result_clear (&there);
  pool_result_clear (&before);
  pool_result_clear (&last);
}

/* A timeout counts the time a call waits in the queue */
static void
test_timeout (Fixture      *f,
              gconstpointer data)
{
  g_autoptr(GCancellable) hold = g_cancellable_new ();
  PoolResult timed = { 0 }, held = { 0 }, queued = { 0 };

  fixture_start_calc (f, 1);

  /* While it runs */
  comlink_worker_pool_call_full_async (f->pool, "hold", NULL, 0, 100, NULL, on_pool_call_done, &timed);
  test_wait_until (timed.n_calls == 1);
  g_assert_error (timed.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);

  /* While it waits */
  call (f, "hold", hold, &held);
  comlink_worker_pool_call_full_async (f->pool, "whoami", NULL, 0, 100, NULL, on_pool_call_done, &queued);
  g_assert_cmpuint (comlink_worker_pool_get_n_queued (f->pool), ==, 1);
  test_wait_until (queued.n_calls == 1);
  g_assert_error (queued.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpuint (comlink_worker_pool_get_n_queued (f->pool), ==, 0);
  g_assert_cmpuint (held.n_calls, ==, 0);

  g_cancellable_cancel (hold);
  test_wait_until (held.n_calls == 1);
  pool_result_clear (&timed);
  pool_result_clear (&held);
  pool_result_clear (&queued);
}

/* Terminate fails every queued and running call at once, each once, and
 * ends every worker */
static void
test_terminate (Fixture      *f,
                gconstpointer data)
{
  PoolResult running[2] = { 0 }, queued[3] = { 0 }, later = { 0 };
  GList     *workers;

  fixture_start_calc (f, 2);

  call (f, "hold", NULL, &running[0]);
  call (f, "hold", NULL, &running[1]);
  for (guint i = 0; i < G_N_ELEMENTS (queued); i++)
    call (f, "whoami", NULL, &queued[i]);
  g_assert_cmpuint (comlink_worker_pool_get_n_busy (f->pool), ==, 2);
  g_assert_cmpuint (comlink_worker_pool_get_n_queued (f->pool), ==, 3);
  /* The holds reach their workers */
  test_iterate_pending ();
  g_usleep (50000);
  test_iterate_pending ();

  workers = comlink_worker_pool_dup_workers (f->pool);
  g_assert_cmpuint (g_list_length (workers), ==, 2);
  comlink_worker_pool_terminate (f->pool);
  g_assert_cmpint (comlink_worker_pool_get_state (f->pool), ==, COMLINK_WORKER_POOL_STATE_TERMINATED);
  g_assert_cmpuint (comlink_worker_pool_get_n_busy (f->pool), ==, 0);
  g_assert_cmpuint (comlink_worker_pool_get_n_queued (f->pool), ==, 0);
  for (GList *l = workers; l != NULL; l = l->next)
    g_assert_cmpint (comlink_worker_get_state (l->data), ==, COMLINK_WORKER_STATE_TERMINATED);
  g_list_free_full (workers, g_object_unref);
  g_assert_null (comlink_worker_pool_dup_workers (f->pool));

  /* No waiting: what is pending in the context is enough */
  test_iterate_pending ();
  for (guint i = 0; i < G_N_ELEMENTS (running); i++)
    {
      g_assert_cmpuint (running[i].n_calls, ==, 1);
      g_assert_error (running[i].error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED);
    }
  for (guint i = 0; i < G_N_ELEMENTS (queued); i++)
    {
      g_assert_cmpuint (queued[i].n_calls, ==, 1);
      g_assert_error (queued[i].error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED);
    }

  call (f, "whoami", NULL, &later);
  test_iterate_pending ();
  g_assert_cmpuint (later.n_calls, ==, 1);
  g_assert_error (later.error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED);

  /* Terminating again does nothing; each callback ran once */
  comlink_worker_pool_terminate (f->pool);
  test_iterate_pending ();
  for (guint i = 0; i < G_N_ELEMENTS (running); i++)
    g_assert_cmpuint (running[i].n_calls, ==, 1);
  for (guint i = 0; i < G_N_ELEMENTS (queued); i++)
    g_assert_cmpuint (queued[i].n_calls, ==, 1);
  g_assert_cmpuint (f->n_worker_exited, ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (running); i++)
    pool_result_clear (&running[i]);
  for (guint i = 0; i < G_N_ELEMENTS (queued); i++)
    pool_result_clear (&queued[i]);
  pool_result_clear (&later);
}

/* A pool that is released, with no call in flight, is terminated */
static void
test_dispose (Fixture      *f,
              gconstpointer data)
{
  PoolResult r = { 0 };

  fixture_start_calc (f, 2);
  call_int (f, "sleep", 1, NULL, &r);
  test_wait_until (r.n_calls == 1);
  g_assert_no_error (r.error);
  pool_result_clear (&r);

  track_workers (f);
  g_clear_object (&f->pool);
  f->pool_dropped = TRUE;
}

/* A worker that exits fails its running calls with WORKER_EXITED and is
 * replaced; the queued calls go on, to the new one */
static void
test_worker_exits (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr(GCancellable) hold = g_cancellable_new ();
  g_autolist (ComlinkWorker) before = NULL;
  g_autolist (ComlinkWorker) after = NULL;
  PoolResult     held[2] = { 0 }, queued = { 0 };
  TestResult     exit = { 0 };
  ComlinkWorker *victim, *survivor, *replacement = NULL;

  fixture_start_calc (f, 2);

  call (f, "hold", NULL, &held[0]);
  call (f, "hold", hold, &held[1]);
  call (f, "whoami", NULL, &queued);
  g_assert_cmpuint (comlink_worker_pool_get_n_queued (f->pool), ==, 1);

  /* Through the first worker's own proxy: the pool has no room */
  before = comlink_worker_pool_dup_workers (f->pool);
  g_assert_cmpuint (g_list_length (before), ==, 2);
  victim = before->data;
  survivor = before->next->data;
  comlink_proxy_call_async (comlink_worker_get_proxy (victim), exit_method (f), NULL, 0, NULL,
                            test_on_call_done, &exit);

  test_wait_until (f->n_worker_exited == 1);
  g_assert_error (f->worker_exit_error, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED);
  if (f->kind == KIND_SUBPROCESS)
    g_assert_nonnull (strstr (f->worker_exit_error->message, "signal 9"));
  g_assert_cmpint (comlink_worker_get_state (victim), ==, COMLINK_WORKER_STATE_EXITED);

  test_wait_until (held[0].n_calls == 1 && queued.n_calls == 1);
  g_assert_error (held[0].error, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED);
  g_assert_no_error (queued.error);
  g_assert_cmpuint (held[1].n_calls, ==, 0);

  after = comlink_worker_pool_dup_workers (f->pool);
  g_assert_cmpuint (g_list_length (after), ==, 2);
  for (GList *l = after; l != NULL; l = l->next)
    {
      ComlinkWorker *worker = l->data;

      g_assert_true (worker != victim);
      if (worker != survivor)
        replacement = worker;
    }
  g_assert_nonnull (replacement);
  g_assert_nonnull (g_list_find (after, survivor));
  track_workers (f);
  g_assert_false (comlink_worker_pool_get_respawn_stopped (f->pool));
  g_assert_cmpint (comlink_worker_pool_get_state (f->pool), ==, COMLINK_WORKER_POOL_STATE_RUNNING);
  if (f->kind == KIND_THREAD)
    g_assert_cmpstr (comlink_worker_get_name (replacement), ==, "calc-3");

  g_cancellable_cancel (hold);
  test_wait_until (held[1].n_calls == 1);
  g_assert_error (held[1].error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  test_wait_until (exit.n_calls == 1);
  g_assert_error (exit.error, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED);
  g_assert_cmpuint (f->n_worker_exited, ==, 1);
  g_assert_cmpuint (f->n_respawn_stopped, ==, 0);

  pool_result_clear (&held[0]);
  pool_result_clear (&held[1]);
  pool_result_clear (&queued);
  test_result_clear (&exit);
}

/* Exits through the pool's own calls: a running call of the pool fails
 * with WORKER_EXITED */
static void
test_call_exits_worker (Fixture      *f,
                        gconstpointer data)
{
  PoolResult exit = { 0 }, next = { 0 };

  fixture_start_calc (f, 1);

  call (f, exit_method (f), NULL, &exit);
  test_wait_until (exit.n_calls == 1);
  g_assert_error (exit.error, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED);
  test_wait_until (f->n_worker_exited == 1);

  call (f, "whoami", NULL, &next);
  test_wait_until (next.n_calls == 1);
  g_assert_no_error (next.error);
  pool_result_clear (&exit);
  pool_result_clear (&next);
}

/* Workers that exit as soon as they start: after respawn-limit
 * replacements, the pool stops, says so once, and once no worker is left,
 * every call fails with WORKER_EXITED */
static void
test_crash_loop (Fixture      *f,
                 gconstpointer data)
{
  PoolResult r[4] = { 0 }, later = { 0 };

  if (f->kind == KIND_THREAD)
    fixture_start (f, comlink_worker_pool_new_thread ("broken", 2, setup_fails, NULL, NULL));
  else
    fixture_start (f, subprocess_pool_new ("exit-early", "3", 2));
  comlink_worker_pool_set_respawn_limit (f->pool, 3);
  comlink_worker_pool_set_respawn_interval (f->pool, 60000);

  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    call (f, "whoami", NULL, &r[i]);

  test_wait_until (comlink_worker_pool_get_state (f->pool) == COMLINK_WORKER_POOL_STATE_EXITED);
  g_assert_cmpuint (f->n_respawn_stopped, ==, 1);
  g_assert_true (comlink_worker_pool_get_respawn_stopped (f->pool));
  g_assert_error (f->respawn_error, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED);
  g_assert_nonnull (strstr (f->respawn_error->message, "stopped replacing its workers"));
  g_assert_nonnull (strstr (f->respawn_error->message,
                            f->kind == KIND_THREAD ? "no model file" : "exited with status 3"));
  /* The 2 first, and 3 replacements */
  g_assert_cmpuint (f->n_worker_exited, ==, 5);

  test_iterate_pending ();
  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    {
      g_assert_cmpuint (r[i].n_calls, ==, 1);
      g_assert_error (r[i].error, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED);
      pool_result_clear (&r[i]);
    }

  call (f, "whoami", NULL, &later);
  g_assert_cmpuint (comlink_worker_pool_get_n_queued (f->pool), ==, 0);
  test_iterate_pending ();
  g_assert_cmpuint (later.n_calls, ==, 1);
  g_assert_error (later.error, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED);
  g_assert_cmpstr (later.error->message, ==, f->respawn_error->message);
  pool_result_clear (&later);
  g_assert_cmpuint (f->n_respawn_stopped, ==, 1);
}

/* A child that cannot start fails the constructor, and leaves nothing */
static void
test_spawn_fails (Fixture      *f,
                  gconstpointer data)
{
  g_autoptr(GSubprocessLauncher) launcher = child_launcher ();
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "/nonexistent/worker-child", NULL };

  g_assert_null (comlink_worker_pool_new_subprocess (launcher, argv, 2, &error));
  g_assert_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT);
}

/* A replacement that cannot start stops the replacing, and the workers
 * left go on */
static void
test_respawn_fails (Fixture      *f,
                    gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("comlink-pool-XXXXXX", &error);
  g_autofree char *copy = NULL;
  g_autofree char *contents = NULL;
  gsize            length;
  PoolResult       exit = { 0 }, next = { 0 };

  g_assert_no_error (error);
  copy = g_build_filename (dir, "worker-child", NULL);
  g_assert_true (g_file_get_contents (g_getenv ("COMLINK_TEST_CHILD"), &contents, &length, NULL));
  g_assert_true (g_file_set_contents_full (copy, contents, length, G_FILE_SET_CONTENTS_NONE, 0755, NULL));
  {
    g_autoptr(GSubprocessLauncher) launcher = child_launcher ();
    const char *argv[] = { copy, NULL };

    fixture_start (f, comlink_worker_pool_new_subprocess (launcher, argv, 2, &error));
    g_assert_no_error (error);
  }
  g_assert_cmpint (g_unlink (copy), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);

  call (f, "crash", NULL, &exit);
  test_wait_until (f->n_respawn_stopped == 1);
  g_assert_error (f->respawn_error, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED);
  g_assert_nonnull (strstr (f->respawn_error->message, "could not replace a worker"));
  g_assert_true (comlink_worker_pool_get_respawn_stopped (f->pool));
  g_assert_cmpint (comlink_worker_pool_get_state (f->pool), ==, COMLINK_WORKER_POOL_STATE_RUNNING);

  call (f, "whoami", NULL, &next);
  test_wait_until (exit.n_calls == 1 && next.n_calls == 1);
  g_assert_error (exit.error, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED);
  g_assert_no_error (next.error);
  pool_result_clear (&exit);
  pool_result_clear (&next);
}

static gint     n_setups;
static gint     n_destroyed;
static GThread *destroy_thread;

static GObject *
setup_counted (gpointer user_data, GError **error)
{
  g_assert_cmpstr (user_data, ==, "data");
  g_atomic_int_inc (&n_setups);
  return G_OBJECT (test_calc_new ());
}

static void
destroy_counted (gpointer user_data)
{
  g_assert_cmpstr (user_data, ==, "data");
  g_atomic_pointer_set (&destroy_thread, g_thread_self ());
  g_atomic_int_inc (&n_destroyed);
}

/* The setup runs once per worker, replacements included, and its data is
 * freed once, when no worker will run it any more */
static void
test_thread_setup (Fixture      *f,
                   gconstpointer data)
{
  PoolResult exit = { 0 };

  g_atomic_int_set (&n_setups, 0);
  g_atomic_int_set (&n_destroyed, 0);
  fixture_start (f, comlink_worker_pool_new_thread ("counted", 3, setup_counted, (gpointer) "data", destroy_counted));

  test_wait_until (g_atomic_int_get (&n_setups) == 3);
  call (f, "quit", NULL, &exit);
  test_wait_until (exit.n_calls == 1 && f->n_worker_exited == 1);
  test_wait_until (g_atomic_int_get (&n_setups) == 4);
  g_assert_cmpint (g_atomic_int_get (&n_destroyed), ==, 0);

  comlink_worker_pool_terminate (f->pool);
  test_wait_until (g_atomic_int_get (&n_destroyed) == 1);
  test_iterate_pending ();
  g_assert_cmpint (g_atomic_int_get (&n_destroyed), ==, 1);
  pool_result_clear (&exit);
}

static void
on_variant_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GVariant **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = comlink_worker_pool_call_variant_finish (COMLINK_WORKER_POOL (source), result, &error);
  g_assert_no_error (error);
}

static void
on_result (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **result)
{
  test_wait_until (*result != NULL);
  return *result;
}

/* The GVariant form, the boolean form and the binding helpers */
static void
test_call_forms (Fixture      *f,
                 gconstpointer data)
{
  g_autoptr(GVariant) sum = NULL;
  g_autoptr(GVariant) five = g_variant_ref_sink (g_variant_new ("(i)", 5));
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(ComlinkContainer) container = NULL;
  g_auto(GValue) value = G_VALUE_INIT;
  GValue *args, *ret;

  fixture_start_calc (f, 2);

  comlink_worker_pool_call_variant_async (f->pool, "add", g_variant_new ("(ii)", 2, 3), NULL, on_variant_done, &sum);
  test_wait_until (sum != NULL);
  g_assert_true (g_variant_equal (sum, five));

  /* A method that returns nothing */
  comlink_worker_pool_call_async (f->pool, "ping", NULL, 0, NULL, on_result, &result);
  g_assert_true (comlink_worker_pool_call_finish_value (f->pool, wait_result (&result), &value, &error));
  g_assert_no_error (error);
  g_assert_false (G_IS_VALUE (&value));
  g_clear_object (&result);

  args = test_args_new (1, G_TYPE_INT64, G_GINT64_CONSTANT (1) << 60);
  comlink_worker_pool_call_async (f->pool, "echo-int64", args, 1, NULL, on_result, &result);
  ret = comlink_worker_pool_propagate_int64_as_variant (f->pool, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_true (G_VALUE_HOLDS_VARIANT (ret));
  g_assert_cmpint (g_variant_get_int64 (g_value_get_variant (ret)), ==, G_GINT64_CONSTANT (1) << 60);
  g_boxed_free (G_TYPE_VALUE, ret);
  g_clear_object (&result);

  comlink_worker_pool_call_async (f->pool, "echo-int64", args, 1, NULL, on_result, &result);
  container = comlink_worker_pool_propagate_in_container (f->pool, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (comlink_container_get_n_items (container), ==, 1);
  g_assert_cmpint (g_value_get_int64 (comlink_container_get_item (container, 0)), ==, G_GINT64_CONSTANT (1) << 60);
  g_clear_object (&result);
  test_args_free (args, 1);

  /* A remote error comes as it was raised; a C method sends no details */
  args = test_args_new (1, G_TYPE_INT, G_IO_ERROR_NOT_FOUND);
  comlink_worker_pool_call_async (f->pool, "fail", args, 1, NULL, on_result, &result);
  g_assert_null (comlink_worker_pool_call_finish (f->pool, wait_result (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_false (comlink_worker_pool_get_error_details (f->pool, result, NULL, NULL));
  g_clear_error (&error);
  g_clear_object (&result);
  test_args_free (args, 1);

  comlink_worker_pool_call_async (f->pool, "no-such-method", NULL, 0, NULL, on_result, &result);
  g_assert_null (comlink_worker_pool_call_finish (f->pool, wait_result (&result), &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_METHOD);
}

/* Raising max-calls-per-worker starts queued calls at once; 0 queues
 * nothing */
static void
test_max_calls_per_worker (Fixture      *f,
                           gconstpointer data)
{
  g_autoptr(GCancellable) hold = g_cancellable_new ();
  PoolResult held[4] = { 0 }, r = { 0 };

  fixture_start_calc (f, 2);

  for (guint i = 0; i < G_N_ELEMENTS (held); i++)
    call (f, "hold", hold, &held[i]);
  g_assert_cmpuint (comlink_worker_pool_get_n_busy (f->pool), ==, 2);
  g_assert_cmpuint (comlink_worker_pool_get_n_queued (f->pool), ==, 2);

  comlink_worker_pool_set_max_calls_per_worker (f->pool, 2);
  g_assert_cmpuint (comlink_worker_pool_get_n_queued (f->pool), ==, 0);

  comlink_worker_pool_set_max_calls_per_worker (f->pool, 0);
  call (f, "whoami", NULL, &r);
  g_assert_cmpuint (comlink_worker_pool_get_n_queued (f->pool), ==, 0);
  test_wait_until (r.n_calls == 1);
  g_assert_no_error (r.error);

  g_cancellable_cancel (hold);
  for (guint i = 0; i < G_N_ELEMENTS (held); i++)
    {
      test_wait_until (held[i].n_calls == 1);
      g_assert_error (held[i].error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      pool_result_clear (&held[i]);
    }
  pool_result_clear (&r);
}

/* Not "subprocess": GLib runs no test whose path has that component but
 * through g_test_trap_subprocess() */
static void
add_test (const char *name,
          Kind        kind,
          void (*func) (Fixture *, gconstpointer))
{
  g_autofree char *path = g_strdup_printf ("/Comlink/WorkerPool/%s/%s",
                                           kind == KIND_THREAD ? "thread" : "process", name);

  g_test_add (path, Fixture, GINT_TO_POINTER (kind), fixture_set_up, func, fixture_tear_down);
}

/* GLib makes helpers on first use (the wakeup of the worker of GTask, the
 * handling of SIGCHLD) and keeps them: before any test counts */
static void
warm_up (void)
{
  Fixture f = { 0 };

  fixture_set_up (&f, GINT_TO_POINTER (KIND_SUBPROCESS));
  fixture_start_calc (&f, 1);
  {
    PoolResult r = { 0 };

    call (&f, "whoami", NULL, &r);
    test_wait_until (r.n_calls == 1);
    pool_result_clear (&r);
  }
  fixture_tear_down (&f, NULL);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  warm_up ();

  for (Kind kind = KIND_THREAD; kind <= KIND_SUBPROCESS; kind++)
    {
      add_test ("least-busy", kind, test_least_busy);
      add_test ("round-robin", kind, test_round_robin);
      add_test ("queue-limit", kind, test_queue_limit);
      add_test ("fifo", kind, test_fifo);
      add_test ("cancel-queued", kind, test_cancel_queued);
      add_test ("timeout", kind, test_timeout);
      add_test ("terminate", kind, test_terminate);
      add_test ("dispose", kind, test_dispose);
      add_test ("worker-exits", kind, test_worker_exits);
      add_test ("call-exits-worker", kind, test_call_exits_worker);
      add_test ("crash-loop", kind, test_crash_loop);
      add_test ("max-calls-per-worker", kind, test_max_calls_per_worker);
    }
  add_test ("spawn-fails", KIND_SUBPROCESS, test_spawn_fails);
  add_test ("respawn-fails", KIND_SUBPROCESS, test_respawn_fails);
  add_test ("setup-and-destroy", KIND_THREAD, test_thread_setup);
  add_test ("call-forms", KIND_THREAD, test_call_forms);

  return g_test_run ();
}
