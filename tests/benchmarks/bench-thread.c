/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Cross-thread call cost, side by side:
 *
 *  - comlink-glib: a thread worker exposing an object with the action
 *    signals echo-int (int) -> int, ping () and size (GBytes) -> guint64;
 *  - the floor: a bare g_main_context_invoke() ping-pong between the main
 *    thread and a thread running its own GMainContext;
 *  - GDBus peer to peer over a socketpair, the server in its own thread,
 *    with EchoInt(i) -> i, Ping() and Size(ay) -> t.
 *
 * For each: round-trip latency of one call at a time (median, p99),
 * pipelined throughput with a fixed number of calls in flight, and the
 * latency of a call carrying a 1 MiB byte array against a small one.
 *
 * On a virtual machine, a wakeup across CPUs can cost ten times one on
 * the same CPU, and left to itself the scheduler switches between the two
 * from one second to the next. So every figure is taken twice, with the
 * threads pinned: the main thread on one CPU and every other thread on
 * another ("spread"), then all of them on one CPU ("shared"). The
 * contenders take turns, round after round, within each placement.
 *
 * The ratio that tells how close a thread worker comes to the transport
 * is its pipelined calls/s against the floor's pipelined invokes/s.
 *
 * Usage: bench-thread [--quick] [--verbose] [--instructions CONTENDER [--calls N]]
 *   --quick    fewer calls, for a smoke run
 *   --verbose  the figures of every round, on stderr
 *   --instructions  only N (20000) pipelined echo calls of one contender
 *              (comlink, floor or gdbus), with callgrind counting while
 *              they run: for bench-instructions.sh, which runs it under
 *              valgrind
 */


#include <comlink-glib/comlink.h>

#include "bench-common.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BIG_SIZE (1024 * 1024)
#define SMALL_SIZE 16
#define ECHO_VALUE BENCH_ECHO_VALUE

typedef struct
{
  guint  latency_warmup;
  guint  latency_calls;
  guint  pipeline_depth;
  guint  pipeline_max_calls;
  double pipeline_seconds;
  guint  size_warmup;
  guint  size_calls;
} Params;

static Params params = {
  .latency_warmup = 2000,
  .latency_calls = 20000,
  .pipeline_depth = 1000,
  .pipeline_max_calls = 200000,
  .pipeline_seconds = 2.0,
  .size_warmup = 20,
  .size_calls = 300,
};

static gboolean verbose;

static const Params quick_params = {
  .latency_warmup = 200,
  .latency_calls = 2000,
  .pipeline_depth = 1000,
  .pipeline_max_calls = 20000,
  .pipeline_seconds = 0.3,
  .size_warmup = 5,
  .size_calls = 40,
};

static guint
count_threads (void)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  guint n = 0;

  if (dir == NULL)
    return 0;
  while (g_dir_read_name (dir) != NULL)
    n++;
  g_dir_close (dir);
  return n;
}

/* Runs the main context until only @n threads are left, or 5 s pass */
static void
wait_for_threads (guint n)
{
  gint64 deadline = bench_now_ns () + 5 * G_GINT64_CONSTANT (1000000000);

  while (count_threads () > n && bench_now_ns () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  if (count_threads () > n)
    {
      GDir       *dir = g_dir_open ("/proc/self/task", 0, NULL);
      const char *tid;

      g_printerr ("warning: %u threads left, expected %u:", count_threads (), n);
      while (dir != NULL && (tid = g_dir_read_name (dir)) != NULL)
        {
          char *path = g_build_filename ("/proc/self/task", tid, "comm", NULL);
          char *comm = NULL;

          if (g_file_get_contents (path, &comm, NULL, NULL))
            g_printerr (" %s", g_strstrip (comm));
          g_free (comm);
          g_free (path);
        }
      g_printerr ("\n");
      g_clear_pointer (&dir, g_dir_close);
    }
}

/* ------------------------------------------------------------------ */
/* The driver, common to the three contenders                          */

typedef enum
{
  OP_ECHO,
  OP_PING,
  OP_SIZE_SMALL,
  OP_SIZE_BIG,
} Op;

typedef struct
{
  BenchBackend *backend;
  gboolean      has_size;
  GArray       *echo;
  GArray       *ping;
  GArray       *size_small;
  GArray       *size_big;
  guint64       pipelined_calls;
  gint64        pipelined_ns;
} Contender;

static void
contender_init (Contender *c, BenchBackend *be, gboolean has_size)
{
  c->backend = be;
  c->has_size = has_size;
  c->echo = g_array_new (FALSE, FALSE, sizeof (double));
  c->ping = g_array_new (FALSE, FALSE, sizeof (double));
  c->size_small = g_array_new (FALSE, FALSE, sizeof (double));
  c->size_big = g_array_new (FALSE, FALSE, sizeof (double));
  c->pipelined_calls = 0;
  c->pipelined_ns = 0;
}

static void
contender_clear (Contender *c)
{
  g_array_unref (c->echo);
  g_array_unref (c->ping);
  g_array_unref (c->size_small);
  g_array_unref (c->size_big);
}

#define N_ROUNDS 10

/* ------------------------------------------------------------------ */
/* Where the threads run                                                */

typedef enum
{
  PLACEMENT_SPREAD,
  PLACEMENT_SHARED,
  N_PLACEMENTS,
} Placement;

static BenchCpus cpu_plan;

static void
describe_placement (Placement placement, char *buf, gsize size)
{
  if (placement == PLACEMENT_SPREAD)
    g_snprintf (buf, size, "spread: main thread on CPU %d, the other threads on CPU %d",
                cpu_plan.first, cpu_plan.second);
  else
    g_snprintf (buf, size, "shared: every thread on CPU %d", cpu_plan.first);
}

/* Pins every thread of the process; with @restore, gives them back the
 * CPUs that the process started with */
static void
place_threads (Placement placement, gboolean restore)
{
  GDir       *dir = g_dir_open ("/proc/self/task", 0, NULL);
  pid_t       main_tid = getpid ();
  const char *name;

  if (dir == NULL || cpu_plan.first < 0)
    {
      g_clear_pointer (&dir, g_dir_close);
      return;
    }

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      pid_t     tid = (pid_t) g_ascii_strtoll (name, NULL, 10);
      cpu_set_t cpus;

      CPU_ZERO (&cpus);
      if (restore)
        cpus = cpu_plan.original;
      else if (placement == PLACEMENT_SHARED || tid == main_tid)
        CPU_SET (cpu_plan.first, &cpus);
      else
        CPU_SET (cpu_plan.second, &cpus);

      bench_pin_thread (tid, &cpus);
    }
  g_dir_close (dir);
}

/* With --verbose, the median of each chunk of samples, to see drift */
static void
report_chunk (const char *contender, const char *what, GArray *samples, guint from)
{
  if (verbose)
    bench_report_chunk (contender, what, samples, from, 8);
}

static void
run_warmup (Contender *contenders, guint n_contenders)
{
  guint i;

  g_printerr ("warming up...\n");
  for (i = 0; i < n_contenders; i++)
    {
      Contender *c = &contenders[i];
      GArray    *scratch = g_array_new (FALSE, FALSE, sizeof (double));
      guint64    calls = 0;
      gint64     ns = 0;

      bench_measure_latency (c->backend, OP_ECHO, params.latency_warmup, 0, scratch);
      bench_measure_throughput (c->backend, OP_ECHO, params.pipeline_depth,
                                params.pipeline_max_calls / 10, params.pipeline_seconds / 10,
                                &calls, &ns);
      if (c->has_size)
        bench_measure_latency (c->backend, OP_SIZE_BIG, params.size_warmup, 0, scratch);
      g_array_unref (scratch);
    }
}

/* The contenders take turns, round after round, so that a drift of the
 * machine touches them all alike */
static void
run_rounds (Contender *contenders, guint n_contenders, Placement placement)
{
  guint round, i;

  for (round = 0; round < N_ROUNDS; round++)
    {
      /* again each round, for any thread started meanwhile */
      place_threads (placement, FALSE);
      g_printerr ("%s round %u/%u\n", placement == PLACEMENT_SPREAD ? "spread" : "shared",
                  round + 1, N_ROUNDS);
      for (i = 0; i < n_contenders; i++)
        {
          Contender    *c = &contenders[i];
          BenchBackend *be = c->backend;
          guint64       calls = 0;
          gint64        ns = 0;
          guint         from;

          from = c->echo->len;
          bench_measure_latency (be, OP_ECHO, 20, params.latency_calls / N_ROUNDS, c->echo);
          report_chunk (be->name, "echo", c->echo, from);
          from = c->ping->len;
          bench_measure_latency (be, OP_PING, 20, params.latency_calls / N_ROUNDS / 4, c->ping);
          report_chunk (be->name, "ping", c->ping, from);
          bench_measure_throughput (be, OP_ECHO, params.pipeline_depth,
                                    params.pipeline_max_calls / N_ROUNDS,
                                    params.pipeline_seconds / N_ROUNDS,
                                    &calls, &ns);
          if (verbose)
            g_printerr ("  %-14s %-10s %8.0f calls/s\n", be->name, "pipelined",
                        (double) calls / ((double) ns / 1e9));
          c->pipelined_calls += calls;
          c->pipelined_ns += ns;
          if (c->has_size)
            {
              from = c->size_small->len;
              bench_measure_latency (be, OP_SIZE_SMALL, 2, params.size_calls / N_ROUNDS, c->size_small);
              report_chunk (be->name, "size 16 B", c->size_small, from);
              from = c->size_big->len;
              bench_measure_latency (be, OP_SIZE_BIG, 2, params.size_calls / N_ROUNDS, c->size_big);
              report_chunk (be->name, "size 1 MiB", c->size_big, from);
            }
        }
    }
}

static GBytes *small_bytes;
static GBytes *big_bytes;

/* ------------------------------------------------------------------ */
/* comlink-glib                                                         */

static GObject *
setup_bench_object (gpointer user_data, GError **error)
{
  return bench_object_new ();
}

typedef struct
{
  BenchBackend   backend;
  ComlinkWorker *worker;
  ComlinkProxy  *proxy;
  GValue         echo_arg;
  GValue         small_arg;
  GValue         big_arg;
} ComlinkBackend;

static BenchComlinkCall comlink_calls[] = {
  [OP_ECHO] = { NULL, G_TYPE_INT, ECHO_VALUE },
  [OP_PING] = { NULL, G_TYPE_NONE, 0 },
  [OP_SIZE_SMALL] = { NULL, G_TYPE_UINT64, 0 },
  [OP_SIZE_BIG] = { NULL, G_TYPE_UINT64, 0 },
};

static void
comlink_issue (BenchBackend *be, guint op)
{
  ComlinkBackend   *cb = (ComlinkBackend *) be;
  BenchComlinkCall *call = &comlink_calls[op];

  call->be = be;
  switch ((Op) op)
    {
    case OP_ECHO:
      bench_comlink_call (cb->proxy, call, "echo-int", &cb->echo_arg);
      break;
    case OP_PING:
      bench_comlink_call (cb->proxy, call, "ping", NULL);
      break;
    case OP_SIZE_SMALL:
      bench_comlink_call (cb->proxy, call, "size", &cb->small_arg);
      break;
    case OP_SIZE_BIG:
      bench_comlink_call (cb->proxy, call, "size", &cb->big_arg);
      break;
    default:
      g_assert_not_reached ();
    }
}

static ComlinkBackend comlink_backend = {
  { "comlink", comlink_issue },
  NULL,
  NULL,
  G_VALUE_INIT,
  G_VALUE_INIT,
  G_VALUE_INIT
};

static BenchBackend *
start_comlink (void)
{
  ComlinkBackend *cb = &comlink_backend;

  g_value_init (&cb->echo_arg, G_TYPE_INT);
  g_value_set_int (&cb->echo_arg, ECHO_VALUE);
  g_value_init (&cb->small_arg, G_TYPE_BYTES);
  g_value_set_boxed (&cb->small_arg, small_bytes);
  g_value_init (&cb->big_arg, G_TYPE_BYTES);
  g_value_set_boxed (&cb->big_arg, big_bytes);

  cb->worker = comlink_worker_new_thread ("bench", setup_bench_object, NULL, NULL);
  cb->proxy = comlink_worker_get_proxy (cb->worker);

  return &cb->backend;
}

static void
stop_comlink (void)
{
  ComlinkBackend *cb = &comlink_backend;

  if (comlink_worker_get_state (cb->worker) != COMLINK_WORKER_STATE_RUNNING)
    g_error ("the comlink worker is not running");

  comlink_worker_terminate (cb->worker);
  g_clear_object (&cb->worker);
  cb->proxy = NULL;

  g_value_unset (&cb->echo_arg);
  g_value_unset (&cb->small_arg);
  g_value_unset (&cb->big_arg);
}

/* ------------------------------------------------------------------ */
/* The floor: g_main_context_invoke() both ways                         */

typedef struct
{
  BenchBackend  backend;
  GMainContext *main_context;
  GMainContext *thread_context;
  GMainLoop    *thread_loop;
  GThread      *thread;
  GMutex        mutex;
  GCond         cond;
  gboolean      ready;
} FloorBackend;

/* The completions run in the main thread; the op travels as the data */
static FloorBackend *floor_backend;

static gboolean
floor_reply (gpointer data)
{
  if (GPOINTER_TO_INT (data) != ECHO_VALUE + 1)
    g_error ("floor: wrong reply");
  bench_backend_done (&floor_backend->backend);
  return G_SOURCE_REMOVE;
}

static gboolean
floor_request (gpointer data)
{
  g_main_context_invoke (floor_backend->main_context, floor_reply,
                         GINT_TO_POINTER (GPOINTER_TO_INT (data) + 1));
  return G_SOURCE_REMOVE;
}

static void
floor_issue (BenchBackend *be, guint op)
{
  FloorBackend *fb = (FloorBackend *) be;

  g_main_context_invoke (fb->thread_context, floor_request, GINT_TO_POINTER (ECHO_VALUE));
}

static gpointer
floor_thread (gpointer data)
{
  FloorBackend *fb = data;

  g_main_context_push_thread_default (fb->thread_context);
  g_mutex_lock (&fb->mutex);
  fb->ready = TRUE;
  g_cond_signal (&fb->cond);
  g_mutex_unlock (&fb->mutex);

  g_main_loop_run (fb->thread_loop);

  g_main_context_pop_thread_default (fb->thread_context);
  return NULL;
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static BenchBackend *
start_floor (void)
{
  static FloorBackend fb = { { "invoke floor", floor_issue } };

  floor_backend = &fb;
  fb.main_context = g_main_context_default ();
  fb.thread_context = g_main_context_new ();
  fb.thread_loop = g_main_loop_new (fb.thread_context, FALSE);
  g_mutex_init (&fb.mutex);
  g_cond_init (&fb.cond);

  fb.thread = g_thread_new ("bench-floor", floor_thread, &fb);
  g_mutex_lock (&fb.mutex);
  while (!fb.ready)
    g_cond_wait (&fb.cond, &fb.mutex);
  g_mutex_unlock (&fb.mutex);

  return &fb.backend;
}

static void
stop_floor (void)
{
  FloorBackend *fb = floor_backend;

  g_main_context_invoke (fb->thread_context, quit_loop, fb->thread_loop);
  g_thread_join (fb->thread);

  g_main_loop_unref (fb->thread_loop);
  g_main_context_unref (fb->thread_context);
  g_mutex_clear (&fb->mutex);
  g_cond_clear (&fb->cond);
  floor_backend = NULL;
}

/* ------------------------------------------------------------------ */
/* GDBus peer to peer                                                   */

typedef struct
{
  BenchBackend     backend;
  GDBusConnection *client;
  GIOStream       *client_stream;

  /* the server thread */
  GThread      *thread;
  GIOStream    *server_stream;
  GMainContext *server_context;
  GMainLoop    *server_loop;
  GMutex        mutex;
  GCond         cond;
  gboolean      ready;
  GError       *server_error;
} GDBusBackend;

static gpointer
gdbus_server_thread (gpointer data)
{
  GDBusBackend    *gb = data;
  GDBusConnection *connection;
  GError          *error = NULL;
  char            *guid = g_dbus_generate_guid ();
  guint            registration = 0;

  g_main_context_push_thread_default (gb->server_context);

  connection = g_dbus_connection_new_sync (gb->server_stream, guid,
                                           G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_SERVER,
                                           NULL, NULL, &error);
  if (connection != NULL)
    registration = bench_gdbus_serve (connection, &error);

  g_mutex_lock (&gb->mutex);
  gb->ready = TRUE;
  gb->server_error = error;
  g_cond_signal (&gb->cond);
  g_mutex_unlock (&gb->mutex);

  if (registration != 0)
    g_main_loop_run (gb->server_loop);

  if (registration != 0)
    g_dbus_connection_unregister_object (connection, registration);
  if (connection != NULL)
    {
      g_dbus_connection_close_sync (connection, NULL, NULL);
      g_object_unref (connection);
    }
  g_free (guid);

  /* Let whatever the connection left in this context run and go */
  while (g_main_context_iteration (gb->server_context, FALSE))
    ;
  g_main_context_pop_thread_default (gb->server_context);

  return NULL;
}

static void
gdbus_issue (BenchBackend *be, guint op)
{
  GDBusBackend *gb = (GDBusBackend *) be;

  switch ((Op) op)
    {
    case OP_ECHO:
      bench_gdbus_echo (gb->client, be);
      break;
    case OP_PING:
      bench_gdbus_ping (gb->client, be);
      break;
    case OP_SIZE_SMALL:
    case OP_SIZE_BIG:
      bench_gdbus_size (gb->client, be, op == OP_SIZE_BIG ? big_bytes : small_bytes);
      break;
    default:
      g_assert_not_reached ();
    }
}

static GDBusBackend gdbus_backend = { { "GDBus p2p", gdbus_issue } };

static BenchBackend *
start_gdbus (void)
{
  GDBusBackend *gb = &gdbus_backend;
  GError       *error = NULL;
  int           fds[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    g_error ("socketpair: %s", g_strerror (errno));

  gb->client_stream = bench_stream_for_fd (fds[0]);
  gb->server_stream = bench_stream_for_fd (fds[1]);
  gb->server_context = g_main_context_new ();
  gb->server_loop = g_main_loop_new (gb->server_context, FALSE);
  g_mutex_init (&gb->mutex);
  g_cond_init (&gb->cond);

  /* Both ends authenticate at once, each in its own thread */
  gb->thread = g_thread_new ("bench-gdbus", gdbus_server_thread, gb);
  gb->client = g_dbus_connection_new_sync (gb->client_stream, NULL,
                                           G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT,
                                           NULL, NULL, &error);
  if (gb->client == NULL)
    g_error ("GDBus client: %s", error->message);

  g_mutex_lock (&gb->mutex);
  while (!gb->ready)
    g_cond_wait (&gb->cond, &gb->mutex);
  g_mutex_unlock (&gb->mutex);
  if (gb->server_error != NULL)
    g_error ("GDBus server: %s", gb->server_error->message);

  return &gb->backend;
}

static void
stop_gdbus (void)
{
  GDBusBackend *gb = &gdbus_backend;

  g_main_context_invoke (gb->server_context, quit_loop, gb->server_loop);
  g_thread_join (gb->thread);

  g_dbus_connection_close_sync (gb->client, NULL, NULL);
  g_clear_object (&gb->client);
  g_clear_object (&gb->client_stream);
  g_clear_object (&gb->server_stream);
  while (g_main_context_iteration (NULL, FALSE))
    ;

  g_main_loop_unref (gb->server_loop);
  g_main_context_unref (gb->server_context);
  g_mutex_clear (&gb->mutex);
  g_cond_clear (&gb->cond);
}

/* ------------------------------------------------------------------ */
/* Report                                                               */

static char *
format_us (const BenchStats *s, gboolean p99)
{
  if (!s->valid)
    return g_strdup ("-");
  return g_strdup_printf ("%.1f", p99 ? s->p99 : s->median);
}

static char *
format_mib_s (const BenchStats *s)
{
  if (!s->valid)
    return g_strdup ("-");
  return g_strdup_printf ("%.0f", (BIG_SIZE / 1048576.0) / (s->median / 1e6));
}

#define LABEL_WIDTH 28

typedef struct
{
  BenchStats echo;
  BenchStats ping;
  double     calls_per_s;
  BenchStats size_small;
  BenchStats size_big;
} Results;

static Results
contender_results (Contender *c)
{
  Results r;

  r.echo = bench_compute_stats (c->echo);
  r.ping = bench_compute_stats (c->ping);
  r.calls_per_s = c->pipelined_ns > 0 ? (double) c->pipelined_calls / ((double) c->pipelined_ns / 1e9) : 0;
  r.size_small = bench_compute_stats (c->size_small);
  r.size_big = bench_compute_stats (c->size_big);

  return r;
}

static void
print_report (const char *title, const Results *c, const Results *f, const Results *d)
{
  double lat_ratio = c->echo.median / f->echo.median;
  double gdbus_ratio = d->echo.median / c->echo.median;
  double tput_ratio = c->calls_per_s / d->calls_per_s;
  double size_ratio = c->size_big.median / c->size_small.median;
  double gdbus_floor_ratio = d->echo.median / f->echo.median;
  double floor_tput_ratio = c->calls_per_s / f->calls_per_s;

  printf ("\n%s\n%-28s %14s %14s %14s\n", title, "", "comlink", "invoke floor", "GDBus p2p");
  bench_print_row (LABEL_WIDTH, "call latency median (us)", format_us (&c->echo, FALSE),
                   format_us (&f->echo, FALSE), format_us (&d->echo, FALSE), NULL);
  bench_print_row (LABEL_WIDTH, "call latency p99 (us)", format_us (&c->echo, TRUE),
                   format_us (&f->echo, TRUE), format_us (&d->echo, TRUE), NULL);
  bench_print_row (LABEL_WIDTH, "ping latency median (us)", format_us (&c->ping, FALSE),
                   format_us (&f->ping, FALSE), format_us (&d->ping, FALSE), NULL);
  bench_print_row (LABEL_WIDTH, "pipelined calls/s", g_strdup_printf ("%.0f", c->calls_per_s),
                   g_strdup_printf ("%.0f", f->calls_per_s), g_strdup_printf ("%.0f", d->calls_per_s), NULL);
  bench_print_row (LABEL_WIDTH, "16 B arg median (us)", format_us (&c->size_small, FALSE),
                   format_us (&f->size_small, FALSE), format_us (&d->size_small, FALSE), NULL);
  bench_print_row (LABEL_WIDTH, "1 MiB arg median (us)", format_us (&c->size_big, FALSE),
                   format_us (&f->size_big, FALSE), format_us (&d->size_big, FALSE), NULL);
  bench_print_row (LABEL_WIDTH, "1 MiB arg p99 (us)", format_us (&c->size_big, TRUE),
                   format_us (&f->size_big, TRUE), format_us (&d->size_big, TRUE), NULL);
  bench_print_row (LABEL_WIDTH, "1 MiB arg MiB/s", format_mib_s (&c->size_big),
                   format_mib_s (&f->size_big), format_mib_s (&d->size_big), NULL);

  printf ("ratios: comlink/floor latency = %.2f (goal <= 2), "
          "GDBus/comlink latency = %.2f (goal >= 3), "
          "comlink/GDBus throughput = %.1f (goal >= 10), "
          "comlink 1MiB/small = %.2f (goal ~1)\n",
          lat_ratio, gdbus_ratio, tput_ratio, size_ratio);
  printf ("        GDBus/floor latency = %.2f (what GDBus/comlink latency would be at the floor)\n",
          gdbus_floor_ratio);
  printf ("        comlink/invoke floor pipelined = %.2f (goal >= 0.8)\n", floor_tput_ratio);
  printf ("goals met: latency vs floor %s, latency vs GDBus %s, throughput vs GDBus %s, 1 MiB %s, "
          "pipelined vs floor %s\n",
          lat_ratio <= 2.0 ? "yes" : "NO",
          gdbus_ratio >= 3.0 ? "yes" : "NO",
          tput_ratio >= 10.0 ? "yes" : "NO",
          size_ratio <= 1.5 ? "yes" : "NO",
          floor_tput_ratio >= 0.8 ? "yes" : "NO");
}

/* @calls pipelined echo calls of one contender, with callgrind counting
 * only while they run (after a warm-up that makes GLib's one-time
 * allocations and fills the caches); bench-instructions.sh runs it under
 * valgrind, one file per thread, and divides */
static int
run_instructions (const char *name, guint64 calls)
{
  GArray       *scratch = g_array_new (FALSE, FALSE, sizeof (double));
  BenchBackend *be;
  guint64       done = 0;
  gint64        ns = 0;

  if (g_str_equal (name, "comlink"))
    be = start_comlink ();
  else if (g_str_equal (name, "floor"))
    be = start_floor ();
  else if (g_str_equal (name, "gdbus"))
    be = start_gdbus ();
  else
    {
      fprintf (stderr, "--instructions: comlink, floor or gdbus, not %s\n", name);
      g_array_unref (scratch);
      return 2;
    }

  bench_measure_latency (be, OP_ECHO, 100, 0, scratch);
  bench_measure_throughput (be, OP_ECHO, params.pipeline_depth, MAX (calls / 10, 1000), G_MAXINT,
                            &done, &ns);
  done = 0;
  bench_instrument (TRUE);
  bench_measure_throughput (be, OP_ECHO, params.pipeline_depth, calls, G_MAXINT, &done, &ns);
  bench_instrument (FALSE);

  printf ("%s: %" G_GUINT64_FORMAT " pipelined calls, %u in flight\n", name, done,
          params.pipeline_depth);
  fflush (stdout);

  if (g_str_equal (name, "comlink"))
    stop_comlink ();
  else if (g_str_equal (name, "floor"))
    stop_floor ();
  else
    stop_gdbus ();
  g_array_unref (scratch);

  return done == calls ? 0 : 1;
}

int
main (int argc, char **argv)
{
  Contender     contenders[N_PLACEMENTS][3];
  BenchBackend *backends[3];
  gboolean      has_size[3] = { TRUE, FALSE, TRUE };
  guint         n_placements, base_threads;
  Placement     p;
  guint8       *big;
  const char   *instructions = NULL;
  guint64       instruction_calls = 20000;
  int           i, j;

  for (i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--quick"))
        params = quick_params;
      else if (g_str_equal (argv[i], "--verbose"))
        verbose = TRUE;
      else if (g_str_equal (argv[i], "--instructions") && i + 1 < argc)
        instructions = argv[++i];
      else if (g_str_equal (argv[i], "--calls") && i + 1 < argc &&
               g_ascii_string_to_unsigned (argv[i + 1], 10, 1, G_MAXUINT32, &instruction_calls, NULL))
        i++;
      else
        {
          fprintf (stderr, "usage: %s [--quick] [--verbose] [--instructions CONTENDER [--calls N]]\n",
                   argv[0]);
          return 2;
        }
    }

  /* Make the pages real so that no contender pays for first touches */
  big = g_malloc (BIG_SIZE);
  memset (big, 0xa5, BIG_SIZE);
  big_bytes = g_bytes_new_take (big, BIG_SIZE);
  small_bytes = g_bytes_new_static ("0123456789abcdef", SMALL_SIZE);

  if (instructions != NULL)
    {
      int status = run_instructions (instructions, instruction_calls);

      g_bytes_unref (big_bytes);
      g_bytes_unref (small_bytes);
      return status;
    }

  bench_find_cpus (&cpu_plan);
  /* With a single CPU there is nothing to spread */
  n_placements = cpu_plan.second >= 0 ? N_PLACEMENTS : 1;

  /* GTask's class starts GLib's shared "gmain" thread, which never ends:
   * start it now so that it does not count as a thread left behind */
  g_type_ensure (G_TYPE_TASK);
  base_threads = count_threads ();

  backends[0] = start_comlink ();
  backends[1] = start_floor ();
  backends[2] = start_gdbus ();

  for (p = 0; p < n_placements; p++)
    for (j = 0; j < 3; j++)
      contender_init (&contenders[p][j], backends[j], has_size[j]);

  run_warmup (contenders[0], 3);
  for (p = 0; p < n_placements; p++)
    run_rounds (contenders[p], 3, n_placements == 1 ? PLACEMENT_SHARED : p);
  place_threads (PLACEMENT_SPREAD, TRUE);

  printf ("\nlatency: %u calls one at a time (ping: %u); pipelined: %u in flight, "
          "up to %u calls or %.1f s; sizes: %u calls each; %u interleaved rounds per placement\n",
          params.latency_calls, params.latency_calls / 4, params.pipeline_depth,
          params.pipeline_max_calls, params.pipeline_seconds, params.size_calls, N_ROUNDS);
  for (p = 0; p < n_placements; p++)
    {
      Results comlink_r = contender_results (&contenders[p][0]);
      Results floor_r = contender_results (&contenders[p][1]);
      Results gdbus_r = contender_results (&contenders[p][2]);
      char    title[128];

      describe_placement (n_placements == 1 ? PLACEMENT_SHARED : p, title, sizeof title);
      print_report (title, &comlink_r, &floor_r, &gdbus_r);
    }
  fflush (stdout);

  stop_comlink ();
  stop_floor ();
  stop_gdbus ();
  /* GDBus keeps its own shared thread for the life of the process */
  wait_for_threads (base_threads + 1);

  for (p = 0; p < n_placements; p++)
    for (j = 0; j < 3; j++)
      contender_clear (&contenders[p][j]);
  g_bytes_unref (big_bytes);
  g_bytes_unref (small_bytes);

  return 0;
}
