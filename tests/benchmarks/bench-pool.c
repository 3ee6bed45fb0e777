/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* CPU-bound jobs over a pool of workers, side by side:
 *
 *  - serial: every job in the main thread, one after the other;
 *  - a GThreadPool of K threads, each result handed back to the main
 *    context with g_main_context_invoke(), as a caller gets it;
 *  - g_task_run_in_thread(), on GTask's own pool (its size is GLib's);
 *  - a ComlinkWorkerPool of K thread workers, with one call at a time per
 *    worker (the default), then with two (the next call waits in the
 *    worker, not in the pool: no round trip between two jobs);
 *  - a ComlinkWorkerPool of K subprocess workers (this program, run with
 *    --child).
 *
 * A job is a loop of xorshift steps over a 64-bit state (no memory
 * traffic: pure CPU). Every contender runs the same jobs and must find
 * the same checksum. All jobs are submitted at once and the time runs
 * from the first submission to the last result in the main context;
 * each figure is the median of several rounds, the contenders taking
 * turns within a round. K goes from 1 to the number of CPUs, then twice
 * that.
 *
 * Two job sizes: large jobs (about a millisecond) show how close the pool
 * comes to the hardware, small ones (tens of microseconds) what a call
 * costs beside a bare thread pool.
 *
 * Usage: bench-pool [--quick] [--rounds N]
 */

#include <comlink-glib/comlink.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench-common.h"

typedef struct
{
  guint64 iterations;
  guint   n_jobs;
} Size;

static Size  large = { 1000000, 400 };
static Size  small = { 20000, 4000 };
static guint n_rounds = 3;

static guint64
work (guint64 iterations,
      guint64 seed)
{
  guint64 x = seed | 1;

  for (guint64 i = 0; i < iterations; i++)
    {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }

  return x;
}

/* --- The object the workers expose: work (iterations, seed) -> state --- */

#define BENCH_TYPE_WORK (bench_work_get_type ())
G_DECLARE_FINAL_TYPE (BenchWork, bench_work, BENCH, WORK, GObject)

struct _BenchWork
{
  GObject parent_instance;
};

G_DEFINE_FINAL_TYPE (BenchWork, bench_work, G_TYPE_OBJECT)

static guint64
bench_work_work (BenchWork *self,
                 guint64    iterations,
                 guint64    seed)
{
  return work (iterations, seed);
}

static void
bench_work_class_init (BenchWorkClass *klass)
{
  g_signal_new_class_handler ("work", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (bench_work_work), NULL, NULL, NULL,
                              G_TYPE_UINT64, 2, G_TYPE_UINT64, G_TYPE_UINT64);
}

static void
bench_work_init (BenchWork *self)
{
}

static GObject *
setup_work (gpointer user_data,
            GError **error)
{
  return g_object_new (BENCH_TYPE_WORK, NULL);
}

/* --- A run: all jobs submitted at once, results counted in the main
 * context --- */

typedef struct
{
  guint64 iterations;
  guint   n_jobs;
  guint   n_done;
  guint64 checksum;
  gint64  start;
} Run;

static void
run_begin (Run        *run,
           const Size *size)
{
  run->iterations = size->iterations;
  run->n_jobs = size->n_jobs;
  run->n_done = 0;
  run->checksum = 0;
  run->start = bench_now_ns ();
}

static void
run_job_done (Run    *run,
              guint64 result)
{
  run->checksum ^= result;
  run->n_done++;
}

/* Jobs per second */
static double
run_wait (Run *run)
{
  while (run->n_done < run->n_jobs)
    g_main_context_iteration (NULL, TRUE);

  return run->n_jobs / ((bench_now_ns () - run->start) / 1e9);
}

static guint64 expected_checksum;

static void
check (Run        *run,
       const char *who)
{
  if (run->checksum != expected_checksum)
    g_error ("%s found the checksum %" G_GINT64_MODIFIER "x, not %" G_GINT64_MODIFIER "x",
             who, run->checksum, expected_checksum);
}

/* --- serial --- */

static double
bench_serial (const Size *size)
{
  Run    run;
  double rate;

  run_begin (&run, size);
  for (guint i = 0; i < size->n_jobs; i++)
    run_job_done (&run, work (size->iterations, i));
  rate = run_wait (&run);
  expected_checksum = run.checksum;

  return rate;
}

/* --- GThreadPool, results handed back to the main context --- */

typedef struct
{
  Run    *run;
  guint64 seed;
  guint64 result;
} Job;

static gboolean
job_report (gpointer data)
{
  Job *job = data;

  run_job_done (job->run, job->result);
  g_free (job);

  return G_SOURCE_REMOVE;
}

static void
pool_job (gpointer data,
          gpointer user_data)
{
  Job *job = data;

  job->result = work (job->run->iterations, job->seed);
  g_main_context_invoke (NULL, job_report, job);
}

static double
bench_thread_pool (const Size *size,
                   guint       n_threads)
{
  GThreadPool *pool = g_thread_pool_new (pool_job, NULL, n_threads, TRUE, NULL);
  Run          run;
  double       rate;

  run_begin (&run, size);
  for (guint i = 0; i < size->n_jobs; i++)
    {
      Job *job = g_new0 (Job, 1);

      job->run = &run;
      job->seed = i;
      g_thread_pool_push (pool, job, NULL);
    }
  rate = run_wait (&run);
  check (&run, "GThreadPool");
  g_thread_pool_free (pool, FALSE, TRUE);

  return rate;
}

/* --- g_task_run_in_thread () --- */

static void
task_job (GTask        *task,
          gpointer      source_object,
          gpointer      task_data,
          GCancellable *cancellable)
{
  Job *job = task_data;

  job->result = work (job->run->iterations, job->seed);
  g_task_return_boolean (task, TRUE);
}

static void
task_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Job *job = g_task_get_task_data (G_TASK (result));

  g_task_propagate_boolean (G_TASK (result), NULL);
  run_job_done (job->run, job->result);
}

static double
bench_gtask (const Size *size)
{
  Run    run;
  double rate;

  run_begin (&run, size);
  for (guint i = 0; i < size->n_jobs; i++)
    {
      GTask *task = g_task_new (NULL, NULL, task_done, NULL);
      Job   *job = g_new0 (Job, 1);

      job->run = &run;
      job->seed = i;
      g_task_set_task_data (task, job, g_free);
      g_task_run_in_thread (task, task_job);
      g_object_unref (task);
    }
  rate = run_wait (&run);
  check (&run, "g_task_run_in_thread");

  return rate;
}

/* --- ComlinkWorkerPool --- */

static void
comlink_job_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GError *error = NULL;
  GValue *value = comlink_worker_pool_call_finish (COMLINK_WORKER_POOL (source), result, &error);

  if (value == NULL)
    g_error ("a call failed: %s", error ? error->message : "no value");
  run_job_done (user_data, g_value_get_uint64 (value));
  g_boxed_free (G_TYPE_VALUE, value);
}

static void
comlink_submit (ComlinkWorkerPool *pool,
                Run               *run,
                guint64            iterations,
                guint64            seed)
{
  GValue args[2] = { G_VALUE_INIT, G_VALUE_INIT };

  g_value_init (&args[0], G_TYPE_UINT64);
  g_value_set_uint64 (&args[0], iterations);
  g_value_init (&args[1], G_TYPE_UINT64);
  g_value_set_uint64 (&args[1], seed);
  comlink_worker_pool_call_async (pool, "work", args, 2, NULL, comlink_job_done, run);
  g_value_unset (&args[0]);
  g_value_unset (&args[1]);
}

static const char *self_path;

static ComlinkWorkerPool *
comlink_pool_new (gboolean subprocess,
                  guint    n_workers)
{
  ComlinkWorkerPool *pool;
  Size               warm_up = { 1, n_workers };
  Run                run;

  if (subprocess)
    {
      const char *argv[] = { self_path, "--child", NULL };
      GError     *error = NULL;

      pool = comlink_worker_pool_new_subprocess (NULL, argv, n_workers, &error);
      if (pool == NULL)
        g_error ("could not start the children: %s", error->message);
    }
  else
    pool = comlink_worker_pool_new_thread ("bench", n_workers, setup_work, NULL, NULL);

  /* Every worker running before the clock starts */
  comlink_worker_pool_set_max_queued (pool, G_MAXUINT);
  run_begin (&run, &warm_up);
  for (guint i = 0; i < n_workers; i++)
    comlink_submit (pool, &run, 1, i);
  run_wait (&run);

  return pool;
}

static double
bench_comlink (ComlinkWorkerPool *pool,
               const Size        *size,
               const char        *who)
{
  Run    run;
  double rate;

  run_begin (&run, size);
  for (guint i = 0; i < size->n_jobs; i++)
    comlink_submit (pool, &run, size->iterations, i);
  rate = run_wait (&run);
  check (&run, who);

  return rate;
}

/* --- The report --- */

enum
{
  SERIAL,
  GTASK,
  THREAD_POOL,
  COMLINK_THREADS,
  COMLINK_THREADS_2,
  COMLINK_CHILDREN,
  N_CONTENDERS
};

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (GArray *samples)
{
  g_array_sort (samples, compare_doubles);
  return g_array_index (samples, double, samples->len / 2);
}

static char *
rate_cell (double rate)
{
  return g_strdup_printf ("%.0f", rate);
}

static char *
ratio_cell (double a,
            double b)
{
  return g_strdup_printf ("%.2f", a / b);
}

static void
bench_size (const char *title,
            const Size *size,
            guint       n_cpus)
{
  guint   counts[] = { 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64 };
  GArray *ks = g_array_new (FALSE, FALSE, sizeof (guint));
  GArray *samples[N_CONTENDERS][16] = { { NULL } };
  double  serial, gtask;

  for (guint i = 0; i < G_N_ELEMENTS (counts) && counts[i] <= n_cpus; i++)
    g_array_append_val (ks, counts[i]);
  if (g_array_index (ks, guint, ks->len - 1) != n_cpus)
    g_array_append_val (ks, n_cpus);
  {
    guint twice = 2 * n_cpus;

    g_array_append_val (ks, twice);
  }
  g_assert (ks->len <= 16);

  for (guint c = 0; c < N_CONTENDERS; c++)
    for (guint k = 0; k < ks->len; k++)
      samples[c][k] = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint round = 0; round < n_rounds; round++)
    {
      double rate;

      rate = bench_serial (size);
      g_array_append_val (samples[SERIAL][0], rate);
      rate = bench_gtask (size);
      g_array_append_val (samples[GTASK][0], rate);

      for (guint k = 0; k < ks->len; k++)
        {
          guint              n = g_array_index (ks, guint, k);
          ComlinkWorkerPool *threads = comlink_pool_new (FALSE, n);
          ComlinkWorkerPool *children = comlink_pool_new (TRUE, n);

          rate = bench_thread_pool (size, n);
          g_array_append_val (samples[THREAD_POOL][k], rate);
          rate = bench_comlink (threads, size, "comlink threads");
          g_array_append_val (samples[COMLINK_THREADS][k], rate);
          comlink_worker_pool_set_max_calls_per_worker (threads, 2);
          rate = bench_comlink (threads, size, "comlink threads, 2 calls each");
          g_array_append_val (samples[COMLINK_THREADS_2][k], rate);
          rate = bench_comlink (children, size, "comlink children");
          g_array_append_val (samples[COMLINK_CHILDREN][k], rate);

          comlink_worker_pool_terminate (threads);
          comlink_worker_pool_terminate (children);
          g_object_unref (threads);
          g_object_unref (children);
        }
    }

  serial = median (samples[SERIAL][0]);
  gtask = median (samples[GTASK][0]);
  printf ("\n%s: %u jobs of %" G_GUINT64_FORMAT " steps, jobs/s (median of %u rounds)\n",
          title, size->n_jobs, size->iterations, n_rounds);
  printf ("serial (main thread): %.0f jobs/s;  g_task_run_in_thread (GTask's pool): %.0f jobs/s (%.2fx serial)\n",
          serial, gtask, gtask / serial);
  bench_print_row (8, "workers",
                   g_strdup ("GThreadPool"), g_strdup ("comlink thr"), g_strdup ("thr 2/worker"),
                   g_strdup ("comlink proc"), g_strdup ("GTP/serial"), g_strdup ("thr/GTP"),
                   g_strdup ("thr2/GTP"), g_strdup ("proc/GTP"), g_strdup ("thr/GTask"), NULL);
  for (guint k = 0; k < ks->len; k++)
    {
      g_autofree char *label = g_strdup_printf ("%u", g_array_index (ks, guint, k));
      double           pool = median (samples[THREAD_POOL][k]);
      double           threads = median (samples[COMLINK_THREADS][k]);
      double           threads_2 = median (samples[COMLINK_THREADS_2][k]);
      double           children = median (samples[COMLINK_CHILDREN][k]);

      bench_print_row (8, label,
                       rate_cell (pool), rate_cell (threads), rate_cell (threads_2), rate_cell (children),
                       ratio_cell (pool, serial), ratio_cell (threads, pool), ratio_cell (threads_2, pool),
                       ratio_cell (children, pool), ratio_cell (threads, gtask), NULL);
    }

  for (guint c = 0; c < N_CONTENDERS; c++)
    for (guint k = 0; k < ks->len; k++)
      g_array_unref (samples[c][k]);
  g_array_unref (ks);
}

int
main (int   argc,
      char *argv[])
{
  guint n_cpus = g_get_num_processors ();

  if (argc == 2 && g_str_equal (argv[1], "--child"))
    {
      GObject *object = setup_work (NULL, NULL);
      GError  *error = NULL;
      gboolean ok = comlink_worker_serve_parent (object, &error);

      g_object_unref (object);
      if (!ok)
        g_error ("%s", error->message);
      return 0;
    }

  for (int i = 1; i < argc; i++)
    {
      guint64 n;

      if (g_str_equal (argv[i], "--quick"))
        {
          large.n_jobs = 40;
          small.n_jobs = 400;
          n_rounds = 1;
        }
      else if (g_str_equal (argv[i], "--rounds") && i + 1 < argc &&
               g_ascii_string_to_unsigned (argv[i + 1], 10, 1, 100, &n, NULL))
        {
          n_rounds = (guint) n;
          i++;
        }
      else
        {
          fprintf (stderr, "usage: %s [--quick] [--rounds N]\n", argv[0]);
          return 2;
        }
    }

  self_path = "/proc/self/exe";
  {
    /* The children run this same file: its path now, not the link */
    static char path[4096];
    ssize_t     n = readlink ("/proc/self/exe", path, sizeof path - 1);

    if (n > 0)
      {
        path[n] = '\0';
        self_path = path;
      }
  }

  printf ("%u CPUs\n", n_cpus);
  bench_size ("Large jobs", &large, n_cpus);
  bench_size ("Small jobs", &small, n_cpus);

  return 0;
}
