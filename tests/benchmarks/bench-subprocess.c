/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Cross-process call cost, side by side, every server in a child process
 * (bench-child) over a socketpair:
 *
 *  - comlink-glib: a subprocess worker exposing an object with the action
 *    signals echo-int (int) -> int, ping () and size (GBytes) -> guint64;
 *  - the socket floor: bare blocking write() and read() on a socketpair,
 *    the child echoing 8-byte messages, or reading and dropping a bulk of
 *    bytes before it answers;
 *  - the sources floor, the floor of a library that lives in a main loop:
 *    the same messages, both ends in GLib main loops with GSocket sources
 *    (can-recurse) and non-blocking send() and recv() in their callbacks;
 *    pipelined, both floors answer the messages of a read in one write;
 *  - the single floor: the sources floor one message at a time, as a
 *    main-loop transport that does not batch: each dispatch reads one
 *    message and each message goes in a send() of its own, on both ends;
 *  - GDBus peer to peer, the server side (with a guid) in the child, with
 *    EchoInt(i) -> i, Ping() and Size(ay) -> t;
 *  - jsonrpc-glib (if it was found at build time): a JsonrpcServer in the
 *    child, a JsonrpcClient here, "echo" {value} -> value and "size"
 *    {data: base64} -> the decoded size, the base64 encoded for each call.
 *
 * For each: round-trip latency of one call at a time (median, p99),
 * pipelined throughput with 1000 calls in flight, and the time of a call
 * that carries 1 MiB (and, for comlink and the floors, 64 MiB) one way,
 * answered with its size: MB/s counts 10^6 bytes. comlink runs with the
 * default memfd-threshold of its stream endpoint there, so its heap GBytes
 * are copied into a new memfd for each call; it also sends 64 MiB of
 * shared GBytes (comlink_bytes_new_shared()), whose own memfd goes, and
 * 64 MiB of heap GBytes with memfd-threshold 0 on both sides, copied
 * through the stream, against the two floors' copies of the same bytes.
 * The ratios against the sources floor are the ones that say how close
 * comlink comes to its transport.
 *
 * Then a sweep of GBytes sizes, 64 KiB to 64 MiB, one way and answered
 * with the size, in four ways: comlink with every heap GBytes in a sealed
 * memfd (memfd-threshold 1 byte), comlink with every heap GBytes copied
 * through the socket (memfd-threshold 0), comlink with shared GBytes, all
 * on the same worker, and the floor. From it, the smallest size from which
 * the memfd is faster than the copy at that size and every larger one:
 * what memfd-threshold should default to.
 *
 * Shared GBytes are made once per size before any timing: their fill is
 * the application producing its data, not a part of the transfer.
 *
 * A wakeup across CPUs can cost far more than one on the same CPU on a
 * virtual machine, and the scheduler switches between the two as it
 * likes, so by default the processes are pinned and every figure is taken
 * twice: this process on one CPU and every child on another ("spread"),
 * then all of them on one CPU ("shared"). Every thread of a process goes
 * with it. --no-pin leaves the placement to the scheduler. The contenders
 * take turns, round after round, within each placement.
 *
 * Usage: bench-subprocess [--quick] [--verbose] [--no-pin] [--child PATH]
 *                         [--instructions CONTENDER [--calls N]]
 *   --quick    fewer calls, for a smoke run
 *   --verbose  the figures of every round, on stderr
 *   --no-pin   let the scheduler place the processes
 *   --child    the bench-child program; else $COMLINK_BENCH_CHILD, else
 *              bench-child next to this program
 *   --instructions  only N (20000) pipelined echo calls of one contender
 *              (comlink, floor, sources, single, gdbus or jsonrpc), with
 *              callgrind counting on both sides while they run: for
 *              bench-instructions.sh, which runs it under valgrind
 */


#include <comlink-glib/comlink.h>

#include "bench-common.h"

#ifdef HAVE_JSONRPC
#include <jsonrpc-glib.h>
#endif

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define BIG_SIZE (1024 * 1024)
#define HUGE_SIZE (64 * 1024 * 1024)
#define ECHO_VALUE BENCH_ECHO_VALUE
#define FLOOR_BULK_FLAG BENCH_FLOOR_BULK_FLAG
#define FLOOR_BUFFER_SIZE (256 * 1024)

typedef struct
{
  guint  latency_warmup;
  guint  latency_calls;
  guint  pipeline_depth;
  guint  pipeline_max_calls;
  double pipeline_seconds;
  guint  size_calls;      /* 1 MiB, per placement */
  guint  slow_size_calls; /* 1 MiB for jsonrpc, per placement */
  guint  huge_calls;      /* 64 MiB, per placement */
  /* the sweep: about this many bytes per size and way, per placement,
   * in so many calls at least and at most */
  guint64 sweep_bytes;
  guint   sweep_min_calls;
  guint   sweep_max_calls;
} Params;

static Params params = {
  .latency_warmup = 1000,
  .latency_calls = 10000,
  .pipeline_depth = 1000,
  .pipeline_max_calls = 200000,
  .pipeline_seconds = 1.5,
  .size_calls = 100,
  .slow_size_calls = 20,
  .huge_calls = 5,
  .sweep_bytes = G_GUINT64_CONSTANT (512) * 1024 * 1024,
  .sweep_min_calls = 10,
  .sweep_max_calls = 400,
};

static const Params quick_params = {
  .latency_warmup = 100,
  .latency_calls = 1000,
  .pipeline_depth = 1000,
  .pipeline_max_calls = 20000,
  .pipeline_seconds = 0.2,
  .size_calls = 20,
  .slow_size_calls = 10,
  .huge_calls = 2,
  .sweep_bytes = G_GUINT64_CONSTANT (64) * 1024 * 1024,
  .sweep_min_calls = 2,
  .sweep_max_calls = 40,
};

#define N_ROUNDS 10

static gboolean verbose;
static char    *child_path;
static GBytes  *big_bytes;
static GBytes  *huge_bytes;
static GBytes  *huge_shared_bytes; /* made by comlink_bytes_new_shared() */
static GBytes  *sweep_bytes;       /* the size of the sweep being measured */

static void
child_setup (gpointer user_data)
{
  /* The child dies with us */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Starts bench-child in @mode with one end of a socketpair as its file
 * descriptor 3; returns the other end in @fd */
static GSubprocess *
spawn_child (const char *mode, int *fd)
{
  GSubprocessLauncher *launcher;
  GSubprocess         *child;
  GError              *error = NULL;
  const char          *argv[] = { child_path, mode, NULL };
  int                  fds[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    g_error ("socketpair: %s", g_strerror (errno));

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  child = g_subprocess_launcher_spawnv (launcher, argv, &error);
  /* Closes our copy of the child's end, so that it sees our close */
  g_object_unref (launcher);
  if (child == NULL)
    g_error ("cannot start %s: %s", child_path, error->message);

  *fd = fds[0];
  return child;
}

/* ------------------------------------------------------------------ */
/* The driver, common to the contenders                                 */

typedef enum
{
  OP_ECHO,
  OP_PING,
  OP_SIZE_BIG,
  OP_SIZE_HUGE,
  OP_SIZE_SWEEP,       /* sweep_bytes, comlink and the floor only */
  OP_SIZE_HUGE_SHARED, /* huge_shared_bytes, comlink only */
  OP_SIZE_HUGE_COPY,   /* huge_bytes through the socket, comlink only */
  OP_INSTRUMENT_ON,    /* callgrind's counting in the server */
  OP_INSTRUMENT_OFF,
} Op;

/* A contender, with what only this benchmark asks of it */
typedef struct
{
  BenchBackend base;
  gboolean     has_ping;
  gboolean     has_huge;
  gboolean     has_shared; /* 64 MiB of shared GBytes */
  gboolean     has_copy;   /* 64 MiB of heap GBytes through the socket */
  gboolean     copies;     /* its 64 MiB go through the socket anyway */
  guint        size_calls;
  GSubprocess *child;
} Backend;

typedef struct
{
  Backend *backend;
  GArray  *echo;
  GArray  *ping;
  GArray  *size_big;
  GArray  *size_huge;
  GArray  *size_huge_shared;
  GArray  *size_huge_copy;
  guint64  pipelined_calls;
  gint64   pipelined_ns;
} Contender;

static void
contender_init (Contender *c, Backend *be)
{
  c->backend = be;
  c->echo = g_array_new (FALSE, FALSE, sizeof (double));
  c->ping = g_array_new (FALSE, FALSE, sizeof (double));
  c->size_big = g_array_new (FALSE, FALSE, sizeof (double));
  c->size_huge = g_array_new (FALSE, FALSE, sizeof (double));
  c->size_huge_shared = g_array_new (FALSE, FALSE, sizeof (double));
  c->size_huge_copy = g_array_new (FALSE, FALSE, sizeof (double));
  c->pipelined_calls = 0;
  c->pipelined_ns = 0;
}

static void
contender_clear (Contender *c)
{
  g_array_unref (c->echo);
  g_array_unref (c->ping);
  g_array_unref (c->size_big);
  g_array_unref (c->size_huge);
  g_array_unref (c->size_huge_shared);
  g_array_unref (c->size_huge_copy);
}

/* ------------------------------------------------------------------ */
/* Where the processes run                                              */

typedef enum
{
  PLACEMENT_SPREAD,
  PLACEMENT_SHARED,
  PLACEMENT_UNPINNED,
} Placement;

static BenchCpus cpu_plan;

static void
describe_placement (Placement placement, char *buf, gsize size)
{
  switch (placement)
    {
    case PLACEMENT_SPREAD:
      g_snprintf (buf, size, "spread: this process on CPU %d, every child on CPU %d",
                  cpu_plan.first, cpu_plan.second);
      break;
    case PLACEMENT_SHARED:
      g_snprintf (buf, size, "shared: every process on CPU %d", cpu_plan.first);
      break;
    case PLACEMENT_UNPINNED:
      g_snprintf (buf, size, "unpinned: the scheduler places the processes");
      break;
    default:
      g_assert_not_reached ();
    }
}

static const char *
placement_name (Placement placement)
{
  switch (placement)
    {
    case PLACEMENT_SPREAD:
      return "spread";
    case PLACEMENT_SHARED:
      return "shared";
    case PLACEMENT_UNPINNED:
      return "unpinned";
    default:
      g_assert_not_reached ();
    }
  return NULL;
}

/* Pins every thread of process @pid on @cpus */
static void
pin_process (const char *pid, const cpu_set_t *cpus)
{
  char       *task_dir = g_strdup_printf ("/proc/%s/task", pid);
  GDir       *dir = g_dir_open (task_dir, 0, NULL);
  const char *name;

  g_free (task_dir);
  if (dir == NULL)
    return;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      bench_pin_thread ((pid_t) g_ascii_strtoll (name, NULL, 10), cpus);
    }
  g_dir_close (dir);
}

static void
place_processes (Placement placement, Backend **backends, guint n_backends)
{
  cpu_set_t parent_cpus, child_cpus;
  char     *self_pid;
  guint     i;

  if (cpu_plan.first < 0)
    return;

  CPU_ZERO (&parent_cpus);
  CPU_ZERO (&child_cpus);
  switch (placement)
    {
    case PLACEMENT_SPREAD:
      CPU_SET (cpu_plan.first, &parent_cpus);
      CPU_SET (cpu_plan.second, &child_cpus);
      break;
    case PLACEMENT_SHARED:
      CPU_SET (cpu_plan.first, &parent_cpus);
      CPU_SET (cpu_plan.first, &child_cpus);
      break;
    case PLACEMENT_UNPINNED:
      parent_cpus = cpu_plan.original;
      child_cpus = cpu_plan.original;
      break;
    default:
      g_assert_not_reached ();
    }

  self_pid = g_strdup_printf ("%d", (int) getpid ());
  pin_process (self_pid, &parent_cpus);
  g_free (self_pid);
  for (i = 0; i < n_backends; i++)
    {
      const char *pid = g_subprocess_get_identifier (backends[i]->child);

      if (pid != NULL)
        pin_process (pid, &child_cpus);
    }
}

/* With --verbose, the median of each chunk of samples, to see drift */
static void
report_chunk (const char *contender, const char *what, GArray *samples, guint from)
{
  if (verbose)
    bench_report_chunk (contender, what, samples, from, 10);
}

static guint
per_round (guint total)
{
  return MAX (1, total / N_ROUNDS);
}

/* @total calls spread over the rounds, for those too slow for one a round */
static guint
in_round (guint total, guint round)
{
  return (round + 1) * total / N_ROUNDS - round * total / N_ROUNDS;
}

static void measure_copy (Backend *be, guint n_warmup, guint n, GArray *samples);

static void
run_warmup (Contender *contenders, guint n_contenders)
{
  guint i;

  g_printerr ("warming up...\n");
  for (i = 0; i < n_contenders; i++)
    {
      Backend *be = contenders[i].backend;
      GArray  *scratch = g_array_new (FALSE, FALSE, sizeof (double));
      guint64  calls = 0;
      gint64   ns = 0;

      bench_measure_latency (&be->base, OP_ECHO, params.latency_warmup, 0, scratch);
      bench_measure_throughput (&be->base, OP_ECHO, params.pipeline_depth,
                                params.pipeline_max_calls / 10, params.pipeline_seconds / 10,
                                &calls, &ns);
      bench_measure_latency (&be->base, OP_SIZE_BIG, 3, 0, scratch);
      if (be->has_huge)
        bench_measure_latency (&be->base, OP_SIZE_HUGE, 1, 0, scratch);
      if (be->has_shared)
        bench_measure_latency (&be->base, OP_SIZE_HUGE_SHARED, 1, 0, scratch);
      if (be->has_copy)
        measure_copy (be, 1, 0, scratch);
      g_array_unref (scratch);
    }
}

/* The contenders take turns, round after round, so that a drift of the
 * machine touches them all alike */
static void
run_rounds (Contender *contenders, guint n_contenders, Placement placement)
{
  Backend *backends[8];
  guint    round, i;

  for (i = 0; i < n_contenders; i++)
    backends[i] = contenders[i].backend;

  for (round = 0; round < N_ROUNDS; round++)
    {
      /* again each round, for any thread started meanwhile */
      place_processes (placement, backends, n_contenders);
      g_printerr ("%s round %u/%u\n", placement_name (placement), round + 1, N_ROUNDS);
      for (i = 0; i < n_contenders; i++)
        {
          Contender *c = &contenders[i];
          Backend   *be = c->backend;
          guint64    calls = 0;
          gint64     ns = 0;
          guint      from;

          from = c->echo->len;
          bench_measure_latency (&be->base, OP_ECHO, 20, params.latency_calls / N_ROUNDS, c->echo);
          report_chunk (be->base.name, "echo", c->echo, from);
          if (be->has_ping)
            {
              from = c->ping->len;
              bench_measure_latency (&be->base, OP_PING, 20, params.latency_calls / N_ROUNDS / 4, c->ping);
              report_chunk (be->base.name, "ping", c->ping, from);
            }
          bench_measure_throughput (&be->base, OP_ECHO, params.pipeline_depth,
                                    params.pipeline_max_calls / N_ROUNDS,
                                    params.pipeline_seconds / N_ROUNDS,
                                    &calls, &ns);
          if (verbose)
            g_printerr ("  %-14s %-10s %10.0f calls/s\n", be->base.name, "pipelined",
                        (double) calls / ((double) ns / 1e9));
          c->pipelined_calls += calls;
          c->pipelined_ns += ns;
          from = c->size_big->len;
          bench_measure_latency (&be->base, OP_SIZE_BIG, 1, per_round (be->size_calls), c->size_big);
          report_chunk (be->base.name, "1 MiB", c->size_big, from);
          if (be->has_huge && in_round (params.huge_calls, round) > 0)
            {
              from = c->size_huge->len;
              bench_measure_latency (&be->base, OP_SIZE_HUGE, 0, in_round (params.huge_calls, round), c->size_huge);
              report_chunk (be->base.name, "64 MiB", c->size_huge, from);
            }
          if (be->has_shared)
            {
              /* as many as of 1 MiB: no byte is copied */
              from = c->size_huge_shared->len;
              bench_measure_latency (&be->base, OP_SIZE_HUGE_SHARED, 0, per_round (be->size_calls),
                                     c->size_huge_shared);
              report_chunk (be->base.name, "64 MiB shared", c->size_huge_shared, from);
            }
          if (be->has_copy && in_round (params.huge_calls, round) > 0)
            {
              from = c->size_huge_copy->len;
              measure_copy (be, 0, in_round (params.huge_calls, round), c->size_huge_copy);
              report_chunk (be->base.name, "64 MiB copy", c->size_huge_copy, from);
            }
        }
    }
}

/* ------------------------------------------------------------------ */
/* comlink-glib: a subprocess worker                                    */

typedef struct
{
  Backend                backend;
  ComlinkWorker         *worker;
  ComlinkProxy          *proxy;
  ComlinkStreamEndpoint *endpoint;
  guint64                default_memfd_threshold;
  GValue                 echo_arg;
  GValue                 big_arg;
  GValue                 huge_arg;
  GValue                 huge_shared_arg;
  GValue                 sweep_arg;
  GValue                 instrument_arg;
} ComlinkBackend;

static BenchComlinkCall comlink_calls[] = {
  [OP_ECHO] = { NULL, G_TYPE_INT, ECHO_VALUE },
  [OP_PING] = { NULL, G_TYPE_NONE, 0 },
  [OP_SIZE_BIG] = { NULL, G_TYPE_UINT64, 0 },
  [OP_SIZE_HUGE] = { NULL, G_TYPE_UINT64, 0 },
  [OP_SIZE_SWEEP] = { NULL, G_TYPE_UINT64, 0 },
  [OP_SIZE_HUGE_SHARED] = { NULL, G_TYPE_UINT64, 0 },
  [OP_SIZE_HUGE_COPY] = { NULL, G_TYPE_UINT64, 0 },
  [OP_INSTRUMENT_ON] = { NULL, G_TYPE_NONE, 0 },
  [OP_INSTRUMENT_OFF] = { NULL, G_TYPE_NONE, 0 },
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
    case OP_SIZE_BIG:
      bench_comlink_call (cb->proxy, call, "size", &cb->big_arg);
      break;
    case OP_SIZE_HUGE:
      bench_comlink_call (cb->proxy, call, "size", &cb->huge_arg);
      break;
    case OP_SIZE_SWEEP:
      g_value_set_boxed (&cb->sweep_arg, sweep_bytes);
      bench_comlink_call (cb->proxy, call, "size", &cb->sweep_arg);
      break;
    case OP_SIZE_HUGE_SHARED:
      bench_comlink_call (cb->proxy, call, "size", &cb->huge_shared_arg);
      break;
    case OP_SIZE_HUGE_COPY:
      bench_comlink_call (cb->proxy, call, "size", &cb->huge_arg);
      break;
    case OP_INSTRUMENT_ON:
    case OP_INSTRUMENT_OFF:
      g_value_set_boolean (&cb->instrument_arg, op == OP_INSTRUMENT_ON);
      bench_comlink_call (cb->proxy, call, "instrument", &cb->instrument_arg);
      break;
    default:
      g_assert_not_reached ();
    }
}

static ComlinkBackend comlink_backend;

static Backend *
start_comlink (void)
{
  ComlinkBackend *cb = &comlink_backend;
  GError         *error = NULL;
  const char     *argv[] = { child_path, "comlink", NULL };
  gint64          deadline = bench_now_ns () + 10 * G_GINT64_CONSTANT (1000000000);
  GValue          threshold = G_VALUE_INIT;
  GValue         *reply;

  cb->backend.base.name = "comlink";
  cb->backend.base.issue = comlink_issue;
  cb->backend.has_ping = TRUE;
  cb->backend.has_huge = TRUE;
  cb->backend.has_shared = TRUE;
  cb->backend.has_copy = TRUE;
  cb->backend.size_calls = params.size_calls;

  g_value_init (&cb->echo_arg, G_TYPE_INT);
  g_value_set_int (&cb->echo_arg, ECHO_VALUE);
  g_value_init (&cb->big_arg, G_TYPE_BYTES);
  g_value_set_boxed (&cb->big_arg, big_bytes);
  g_value_init (&cb->huge_arg, G_TYPE_BYTES);
  g_value_set_boxed (&cb->huge_arg, huge_bytes);
  g_value_init (&cb->huge_shared_arg, G_TYPE_BYTES);
  g_value_set_boxed (&cb->huge_shared_arg, huge_shared_bytes);
  g_value_init (&cb->sweep_arg, G_TYPE_BYTES);
  g_value_init (&cb->instrument_arg, G_TYPE_BOOLEAN);

  cb->worker = comlink_worker_new_subprocess (NULL, argv, &error);
  if (cb->worker == NULL)
    g_error ("cannot start the comlink worker: %s", error->message);
  cb->proxy = comlink_worker_get_proxy (cb->worker);
  cb->backend.child = g_object_ref (comlink_worker_get_subprocess (cb->worker));
  cb->endpoint = COMLINK_STREAM_ENDPOINT (comlink_connection_get_endpoint (comlink_worker_get_connection (cb->worker)));
  cb->default_memfd_threshold = comlink_stream_endpoint_get_memfd_threshold (cb->endpoint);

  while (comlink_worker_get_state (cb->worker) == COMLINK_WORKER_STATE_STARTING &&
         bench_now_ns () < deadline)
    g_main_context_iteration (NULL, TRUE);
  if (comlink_worker_get_state (cb->worker) != COMLINK_WORKER_STATE_RUNNING)
    g_error ("the comlink worker did not start");

  /* The child only sends small replies, so its threshold changes nothing
   * but that no byte of either side goes in a memfd when the copy is
   * measured */
  g_value_init (&threshold, G_TYPE_UINT64);
  g_value_set_uint64 (&threshold, 0);
  reply = comlink_proxy_call_sync (cb->proxy, "set-memfd-threshold", &threshold, 1, NULL, &error);
  if (error != NULL)
    g_error ("cannot set the child's memfd-threshold: %s", error->message);
  if (reply != NULL)
    g_boxed_free (G_TYPE_VALUE, reply);

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
  cb->endpoint = NULL;

  g_value_unset (&cb->echo_arg);
  g_value_unset (&cb->big_arg);
  g_value_unset (&cb->huge_arg);
  g_value_unset (&cb->huge_shared_arg);
  g_value_unset (&cb->sweep_arg);
  g_value_unset (&cb->instrument_arg);
}

/* 64 MiB of heap GBytes copied through the socket: no memfd on this side
 * either for that while */
static void
measure_copy (Backend *be, guint n_warmup, guint n, GArray *samples)
{
  ComlinkBackend *cb = &comlink_backend;

  g_assert (be == &cb->backend);
  comlink_stream_endpoint_set_memfd_threshold (cb->endpoint, 0);
  bench_measure_latency (&be->base, OP_SIZE_HUGE_COPY, n_warmup, n, samples);
  comlink_stream_endpoint_set_memfd_threshold (cb->endpoint, cb->default_memfd_threshold);
}

/* ------------------------------------------------------------------ */
/* The floor: bare blocking reads and writes on a socketpair            */

typedef struct
{
  Backend backend;
  int     fd;
} FloorBackend;

static void
floor_write (int fd, const void *data, gsize size)
{
  const guint8 *p = data;

  while (size > 0)
    {
      ssize_t n = write (fd, p, size);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        g_error ("floor: write: %s", n < 0 ? g_strerror (errno) : "nothing written");
      p += n;
      size -= (gsize) n;
    }
}

static void
floor_read (int fd, void *data, gsize size)
{
  guint8 *p = data;

  while (size > 0)
    {
      ssize_t n = read (fd, p, size);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        g_error ("floor: read: %s", n < 0 ? g_strerror (errno) : "the child closed the socket");
      p += n;
      size -= (gsize) n;
    }
}

/* Completes at once: the latency loop then needs no main loop */
static void
floor_issue (BenchBackend *be, guint op)
{
  FloorBackend *fb = (FloorBackend *) be;
  GBytes       *bulk = NULL;
  guint64       header, reply;

  switch ((Op) op)
    {
    case OP_ECHO:
    case OP_PING:
      header = GUINT64_TO_LE ((guint64) ECHO_VALUE);
      floor_write (fb->fd, &header, sizeof header);
      break;
    case OP_INSTRUMENT_ON:
    case OP_INSTRUMENT_OFF:
      header = GUINT64_TO_LE (BENCH_FLOOR_INSTRUMENT_FLAG | (op == OP_INSTRUMENT_ON));
      floor_write (fb->fd, &header, sizeof header);
      break;
    case OP_SIZE_BIG:
    case OP_SIZE_HUGE:
    case OP_SIZE_SWEEP:
      bulk = op == OP_SIZE_BIG ? big_bytes : op == OP_SIZE_HUGE ? huge_bytes
                                                                : sweep_bytes;
      header = GUINT64_TO_LE (FLOOR_BULK_FLAG | (guint64) g_bytes_get_size (bulk));
      floor_write (fb->fd, &header, sizeof header);
      floor_write (fb->fd, g_bytes_get_data (bulk, NULL), g_bytes_get_size (bulk));
      break;
    case OP_SIZE_HUGE_SHARED:
    case OP_SIZE_HUGE_COPY:
    default:
      g_assert_not_reached ();
    }

  floor_read (fb->fd, &reply, sizeof reply);
  if (reply != header)
    g_error ("floor: wrong reply");
  bench_backend_done (be);
}

/* @depth 8-byte messages in flight: the replies are counted as they come
 * and as many new messages go out, in one write */
static void
floor_pipeline (BenchBackend *be, guint depth, guint64 max_calls, double seconds, guint64 *calls, gint64 *ns)
{
  FloorBackend *fb = (FloorBackend *) be;
  gsize         buffer_size = (gsize) depth * sizeof (guint64);
  guint8       *out = g_malloc (buffer_size);
  guint8       *in = g_malloc (buffer_size);
  guint64       header = GUINT64_TO_LE ((guint64) ECHO_VALUE);
  guint64       issued, done = 0;
  gsize         have = 0;
  gint64        t0, deadline;
  guint         i;

  for (i = 0; i < depth; i++)
    memcpy (out + i * sizeof header, &header, sizeof header);

  t0 = bench_now_ns ();
  deadline = t0 + (gint64) (seconds * 1e9);
  issued = MIN ((guint64) depth, max_calls);
  floor_write (fb->fd, out, issued * sizeof header);

  while (done < issued)
    {
      ssize_t n = read (fb->fd, in + have, buffer_size - have);
      guint64 k, refill = 0;

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        g_error ("floor: read: %s", n < 0 ? g_strerror (errno) : "the child closed the socket");
      have += (gsize) n;

      k = have / sizeof header;
      for (i = 0; i < k; i++)
        if (memcmp (in + i * sizeof header, &header, sizeof header) != 0)
          g_error ("floor: wrong reply");
      done += k;
      memmove (in, in + k * sizeof header, have - k * sizeof header);
      have -= k * sizeof header;

      if (issued < max_calls && bench_now_ns () < deadline)
        refill = MIN (k, max_calls - issued);
      if (refill > 0)
        {
          floor_write (fb->fd, out, refill * sizeof header);
          issued += refill;
        }
    }

  *ns += bench_now_ns () - t0;
  *calls += done;
  be->n_issued += issued;
  be->n_done += done;
  g_free (out);
  g_free (in);
}

static FloorBackend floor_backend;

static Backend *
start_floor (void)
{
  FloorBackend *fb = &floor_backend;

  fb->backend.base.name = "socket floor";
  fb->backend.base.issue = floor_issue;
  fb->backend.base.pipeline = floor_pipeline;
  fb->backend.has_ping = FALSE;
  fb->backend.has_huge = TRUE;
  fb->backend.copies = TRUE;
  fb->backend.size_calls = params.size_calls;
  fb->backend.child = spawn_child ("floor", &fb->fd);

  return &fb->backend;
}

static void
stop_floor (void)
{
  close (floor_backend.fd);
  floor_backend.fd = -1;
}

/* ------------------------------------------------------------------ */
/* The GSocket-sources floor: the same bytes, both ends driven by GLib  */
/* main loops with GSocket sources and non-blocking reads and writes    */

typedef struct
{
  Backend     backend;
  GSocket    *socket;
  GSource    *in_source;
  GSource    *out_source; /* while bytes wait for room in the socket */
  guint8     *in;
  gsize       have;
  guint64     expected; /* the header that every reply repeats */
  GByteArray *pending;  /* headers not written yet, before the bulk */
  GBytes     *bulk;     /* bulk bytes not written yet, after them */
  gsize       bulk_sent;

  /* the pipelined mode: the replies of a read are counted and as many new
   * messages go out in one write, as the blocking floor does */
  gboolean pipelined;
  guint64  issued;
  guint64  done;
  guint64  max_calls;
  gint64   deadline;
  guint8  *refill;

  /* the single floor: a reply a dispatch, a message a send */
  gboolean single;
} SourcesBackend;

static SourcesBackend sources_backend;
static SourcesBackend single_backend;

static gboolean sources_out_ready (GSocket *socket, GIOCondition condition, gpointer user_data);

static void
sources_attach (SourcesBackend *sb, GSource **source, GIOCondition condition, GSocketSourceFunc func)
{
  *source = g_socket_create_source (sb->socket, condition, NULL);
  g_source_set_callback (*source, G_SOURCE_FUNC (func), sb, NULL);
  /* Else GLib 2.74 takes the fd out of the poll set and back around every
   * dispatch, and wakes its own context to do it: twice the syscalls */
  g_source_set_can_recurse (*source, TRUE);
  g_source_attach (*source, NULL);
}

/* Writes what it can without blocking, headers first, then the bulk; waits
 * for room in the socket for the rest */
static void
sources_flush (SourcesBackend *sb)
{
  int fd = g_socket_get_fd (sb->socket);

  for (;;)
    {
      const guint8 *data;
      gsize         size;
      ssize_t       n;

      if (sb->pending->len > 0)
        {
          data = sb->pending->data;
          size = sb->single ? sizeof (guint64) : sb->pending->len;
        }
      else if (sb->bulk != NULL)
        {
          data = (const guint8 *) g_bytes_get_data (sb->bulk, &size) + sb->bulk_sent;
          size -= sb->bulk_sent;
        }
      else
        break;

      n = send (fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      if (n <= 0)
        g_error ("sources floor: send: %s", n < 0 ? g_strerror (errno) : "nothing written");

      if (sb->pending->len > 0)
        g_byte_array_remove_range (sb->pending, 0, (guint) n);
      else if ((sb->bulk_sent += (gsize) n) == g_bytes_get_size (sb->bulk))
        g_clear_pointer (&sb->bulk, g_bytes_unref);
    }

  if ((sb->pending->len > 0 || sb->bulk != NULL) && sb->out_source == NULL)
    sources_attach (sb, &sb->out_source, G_IO_OUT, sources_out_ready);
}

static gboolean
sources_out_ready (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  SourcesBackend *sb = user_data;

  sources_flush (sb);
  if (sb->pending->len > 0 || sb->bulk != NULL)
    return G_SOURCE_CONTINUE;

  g_clear_pointer (&sb->out_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
sources_queue (SourcesBackend *sb, const void *data, gsize size)
{
  g_byte_array_append (sb->pending, data, (guint) size);
  if (sb->out_source == NULL)
    sources_flush (sb);
}

/* @n messages of 8 bytes: in one write, or in one send each for the
 * single floor */
static void
sources_queue_messages (SourcesBackend *sb, const guint8 *messages, guint64 n)
{
  if (!sb->single)
    {
      sources_queue (sb, messages, n * sizeof (guint64));
      return;
    }
  for (guint64 i = 0; i < n; i++)
    sources_queue (sb, messages + i * sizeof (guint64), sizeof (guint64));
}

/* @k replies came */
static void
sources_replies (SourcesBackend *sb, guint64 k)
{
  guint64 i, refill = 0;

  if (!sb->pipelined)
    {
      for (i = 0; i < k; i++)
        bench_backend_done (&sb->backend.base);
      return;
    }

  sb->done += k;
  if (sb->issued < sb->max_calls && bench_now_ns () < sb->deadline)
    refill = MIN (k, sb->max_calls - sb->issued);
  if (refill > 0)
    {
      sources_queue_messages (sb, sb->refill, refill);
      sb->issued += refill;
    }
}

static gboolean
sources_in_ready (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  SourcesBackend *sb = user_data;
  int             fd = g_socket_get_fd (socket);

  /* A full read may have left more behind; a short one, or none, did not */
  for (;;)
    {
      gsize   space = (sb->single ? sizeof (guint64) : FLOOR_BUFFER_SIZE) - sb->have;
      guint64 k, i;
      ssize_t n = recv (fd, sb->in + sb->have, space, MSG_DONTWAIT);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return G_SOURCE_CONTINUE;
      if (n <= 0)
        g_error ("sources floor: recv: %s", n < 0 ? g_strerror (errno) : "the child closed the socket");
      sb->have += (gsize) n;

      k = sb->have / sizeof (guint64);
      for (i = 0; i < k; i++)
        if (memcmp (sb->in + i * sizeof (guint64), &sb->expected, sizeof (guint64)) != 0)
          g_error ("sources floor: wrong reply");
      memmove (sb->in, sb->in + k * sizeof (guint64), sb->have - k * sizeof (guint64));
      sb->have -= k * sizeof (guint64);
      sources_replies (sb, k);

      /* One reply a dispatch: the source is dispatched again at once
       * while more wait */
      if ((gsize) n < space || sb->single)
        return G_SOURCE_CONTINUE;
    }
}

/* Completes in the main loop, as the other contenders that have one */
static void
sources_issue (BenchBackend *be, guint op)
{
  SourcesBackend *sb = (SourcesBackend *) be;
  GBytes         *bulk = NULL;

  switch ((Op) op)
    {
    case OP_ECHO:
    case OP_PING:
      sb->expected = GUINT64_TO_LE ((guint64) ECHO_VALUE);
      break;
    case OP_INSTRUMENT_ON:
    case OP_INSTRUMENT_OFF:
      sb->expected = GUINT64_TO_LE (BENCH_FLOOR_INSTRUMENT_FLAG | (op == OP_INSTRUMENT_ON));
      break;
    case OP_SIZE_BIG:
    case OP_SIZE_HUGE:
      bulk = op == OP_SIZE_BIG ? big_bytes : huge_bytes;
      sb->expected = GUINT64_TO_LE (FLOOR_BULK_FLAG | (guint64) g_bytes_get_size (bulk));
      break;
    case OP_SIZE_SWEEP:
    case OP_SIZE_HUGE_SHARED:
    case OP_SIZE_HUGE_COPY:
    default:
      g_assert_not_reached ();
    }

  if (bulk != NULL)
    {
      g_assert (sb->bulk == NULL);
      sb->bulk = g_bytes_ref (bulk);
      sb->bulk_sent = 0;
    }
  sources_queue (sb, &sb->expected, sizeof sb->expected);
}

static void
sources_pipeline (BenchBackend *be, guint depth, guint64 max_calls, double seconds, guint64 *calls, gint64 *ns)
{
  SourcesBackend *sb = (SourcesBackend *) be;
  gint64          t0;
  guint           i;

  sb->expected = GUINT64_TO_LE ((guint64) ECHO_VALUE);
  sb->refill = g_malloc ((gsize) depth * sizeof (guint64));
  for (i = 0; i < depth; i++)
    memcpy (sb->refill + i * sizeof (guint64), &sb->expected, sizeof (guint64));

  sb->pipelined = TRUE;
  sb->done = 0;
  sb->max_calls = max_calls;
  t0 = bench_now_ns ();
  sb->deadline = t0 + (gint64) (seconds * 1e9);
  sb->issued = MIN ((guint64) depth, max_calls);
  sources_queue_messages (sb, sb->refill, sb->issued);
  while (sb->done < sb->issued)
    g_main_context_iteration (NULL, TRUE);

  *ns += bench_now_ns () - t0;
  *calls += sb->done;
  be->n_issued += sb->issued;
  be->n_done += sb->done;
  sb->pipelined = FALSE;
  g_clear_pointer (&sb->refill, g_free);
}

static Backend *
start_sources_backend (SourcesBackend *sb, gboolean single)
{
  GError *error = NULL;
  int     fd;

  sb->single = single;
  sb->backend.base.name = single ? "single floor" : "sources floor";
  sb->backend.base.issue = sources_issue;
  sb->backend.base.pipeline = sources_pipeline;
  sb->backend.has_ping = FALSE;
  sb->backend.has_huge = !single;
  sb->backend.copies = !single;
  sb->backend.size_calls = params.size_calls;
  sb->backend.child = spawn_child (single ? "single" : "sources", &fd);

  sb->socket = g_socket_new_from_fd (fd, &error);
  if (sb->socket == NULL)
    g_error ("g_socket_new_from_fd: %s", error->message);
  sb->in = g_malloc (FLOOR_BUFFER_SIZE);
  sb->pending = g_byte_array_new ();
  sources_attach (sb, &sb->in_source, G_IO_IN, sources_in_ready);

  return &sb->backend;
}

static Backend *
start_sources (void)
{
  return start_sources_backend (&sources_backend, FALSE);
}

static Backend *
start_single (void)
{
  return start_sources_backend (&single_backend, TRUE);
}

static void
stop_sources_backend (SourcesBackend *sb)
{
  g_source_destroy (sb->in_source);
  g_clear_pointer (&sb->in_source, g_source_unref);
  if (sb->out_source != NULL)
    {
      g_source_destroy (sb->out_source);
      g_clear_pointer (&sb->out_source, g_source_unref);
    }
  g_socket_close (sb->socket, NULL);
  g_clear_object (&sb->socket);
  g_clear_pointer (&sb->pending, g_byte_array_unref);
  g_clear_pointer (&sb->bulk, g_bytes_unref);
  g_clear_pointer (&sb->in, g_free);
}

static void
stop_sources (void)
{
  stop_sources_backend (&sources_backend);
}

static void
stop_single (void)
{
  stop_sources_backend (&single_backend);
}

/* ------------------------------------------------------------------ */
/* GDBus peer to peer, the server in the child                          */

typedef struct
{
  Backend          backend;
  GDBusConnection *client;
  GIOStream       *stream;
} GDBusBackend;

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
    case OP_SIZE_BIG:
    case OP_SIZE_HUGE:
      bench_gdbus_size (gb->client, be, op == OP_SIZE_BIG ? big_bytes : huge_bytes);
      break;
    case OP_INSTRUMENT_ON:
    case OP_INSTRUMENT_OFF:
      bench_gdbus_instrument (gb->client, be, op == OP_INSTRUMENT_ON);
      break;
    case OP_SIZE_SWEEP:
    case OP_SIZE_HUGE_SHARED:
    case OP_SIZE_HUGE_COPY:
    default:
      g_assert_not_reached ();
    }
}

static GDBusBackend gdbus_backend;

static Backend *
start_gdbus (void)
{
  GDBusBackend *gb = &gdbus_backend;
  GError       *error = NULL;
  int           fd;

  gb->backend.base.name = "GDBus p2p";
  gb->backend.base.issue = gdbus_issue;
  gb->backend.has_ping = TRUE;
  gb->backend.has_huge = FALSE;
  gb->backend.size_calls = params.size_calls;
  gb->backend.child = spawn_child ("gdbus", &fd);

  /* The child authenticates as the server meanwhile */
  gb->stream = bench_stream_for_fd (fd);
  gb->client = g_dbus_connection_new_sync (gb->stream, NULL,
                                           G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT,
                                           NULL, NULL, &error);
  if (gb->client == NULL)
    g_error ("GDBus client: %s", error->message);

  return &gb->backend;
}

static void
stop_gdbus (void)
{
  GDBusBackend *gb = &gdbus_backend;

  g_dbus_connection_close_sync (gb->client, NULL, NULL);
  g_clear_object (&gb->client);
  g_clear_object (&gb->stream);
}

/* ------------------------------------------------------------------ */
/* jsonrpc-glib, the server in the child                                */

#ifdef HAVE_JSONRPC

typedef struct
{
  Backend        backend;
  JsonrpcClient *client;
  GIOStream     *stream;
  GVariant      *echo_params;
} JsonrpcBackend;

typedef struct
{
  JsonrpcBackend *jb;
  gint64          expected;
} JsonrpcCall;

static JsonrpcCall jsonrpc_calls[] = {
  [OP_ECHO] = { NULL, ECHO_VALUE },
  [OP_PING] = { NULL, ECHO_VALUE },
  [OP_SIZE_BIG] = { NULL, BIG_SIZE },
  [OP_SIZE_HUGE] = { NULL, HUGE_SIZE },
  [OP_SIZE_SWEEP] = { NULL, 0 },
  [OP_SIZE_HUGE_SHARED] = { NULL, 0 },
  [OP_SIZE_HUGE_COPY] = { NULL, 0 },
  [OP_INSTRUMENT_ON] = { NULL, TRUE },
  [OP_INSTRUMENT_OFF] = { NULL, FALSE },
};

static void
jsonrpc_call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  JsonrpcCall *call = user_data;
  GError      *error = NULL;
  GVariant    *reply = NULL;
  gint64       value = -1;

  if (!jsonrpc_client_call_finish (JSONRPC_CLIENT (source), result, &reply, &error))
    g_error ("jsonrpc call failed: %s", error->message);
  if (reply != NULL && g_variant_is_of_type (reply, G_VARIANT_TYPE_INT64))
    value = g_variant_get_int64 (reply);
  else if (reply != NULL && g_variant_is_of_type (reply, G_VARIANT_TYPE_INT32))
    value = g_variant_get_int32 (reply);
  if (value != call->expected)
    g_error ("jsonrpc returned a wrong value");
  g_clear_pointer (&reply, g_variant_unref);
  bench_backend_done (&call->jb->backend.base);
}

static GVariant *
size_params (GBytes *bytes)
{
  GVariantDict  dict;
  gsize         size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  char         *base64 = g_base64_encode (data, size);

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert_value (&dict, "data", g_variant_new_take_string (base64));

  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

static GVariant *
instrument_params (gboolean on)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert_value (&dict, "on", g_variant_new_boolean (on));

  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

static void
jsonrpc_issue (BenchBackend *be, guint op)
{
  JsonrpcBackend *jb = (JsonrpcBackend *) be;
  JsonrpcCall    *call = &jsonrpc_calls[op];
  GVariant       *payload;

  call->jb = jb;
  switch ((Op) op)
    {
    case OP_ECHO:
    case OP_PING:
      jsonrpc_client_call_async (jb->client, "echo", jb->echo_params, NULL, jsonrpc_call_done, call);
      break;
    case OP_SIZE_BIG:
    case OP_SIZE_HUGE:
      /* Encoded for each call: that is the price of a payload in JSON */
      payload = size_params (op == OP_SIZE_BIG ? big_bytes : huge_bytes);
      jsonrpc_client_call_async (jb->client, "size", payload, NULL, jsonrpc_call_done, call);
      g_variant_unref (payload);
      break;
    case OP_INSTRUMENT_ON:
    case OP_INSTRUMENT_OFF:
      payload = instrument_params (op == OP_INSTRUMENT_ON);
      jsonrpc_client_call_async (jb->client, "instrument", payload, NULL, jsonrpc_call_done, call);
      g_variant_unref (payload);
      break;
    case OP_SIZE_SWEEP:
    case OP_SIZE_HUGE_SHARED:
    case OP_SIZE_HUGE_COPY:
    default:
      g_assert_not_reached ();
    }
}

static JsonrpcBackend jsonrpc_backend;

static Backend *
start_jsonrpc (void)
{
  JsonrpcBackend *jb = &jsonrpc_backend;
  GVariantDict    dict;
  int             fd;

  jb->backend.base.name = "jsonrpc-glib";
  jb->backend.base.issue = jsonrpc_issue;
  jb->backend.has_ping = FALSE;
  jb->backend.has_huge = FALSE;
  jb->backend.size_calls = params.slow_size_calls;
  jb->backend.child = spawn_child ("jsonrpc", &fd);

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert_value (&dict, "value", g_variant_new_int64 (ECHO_VALUE));
  jb->echo_params = g_variant_ref_sink (g_variant_dict_end (&dict));

  jb->stream = bench_stream_for_fd (fd);
  jb->client = jsonrpc_client_new (jb->stream);

  return &jb->backend;
}

static void
stop_jsonrpc (void)
{
  JsonrpcBackend *jb = &jsonrpc_backend;

  jsonrpc_client_close (jb->client, NULL, NULL);
  g_clear_object (&jb->client);
  g_clear_object (&jb->stream);
  g_clear_pointer (&jb->echo_params, g_variant_unref);
}

#endif

/* ------------------------------------------------------------------ */
/* The size sweep: memfd, copy through the socket, the floor            */

static const gsize sweep_sizes[] = {
  64 * 1024,
  128 * 1024,
  256 * 1024,
  512 * 1024,
  1024 * 1024,
  2 * 1024 * 1024,
  4 * 1024 * 1024,
  16 * 1024 * 1024,
  64 * 1024 * 1024,
};

#define N_SWEEP_SIZES G_N_ELEMENTS (sweep_sizes)

/* The ways a GBytes goes; comlink's three on the same worker: heap
 * GBytes with one memfd-threshold or the other, and shared GBytes, which
 * go as their own memfd whatever the threshold */
typedef enum
{
  WAY_MEMFD,
  WAY_COPY,
  WAY_SHARED,
  WAY_FLOOR,
  N_WAYS,
} Way;

static const char * const way_names[N_WAYS] = { "memfd", "copy", "shared", "floor" };

/* Slices of huge_bytes, whose pages are real already */
static GBytes *sweep_slices[N_SWEEP_SIZES];
/* Shared GBytes of each size, made before any timing */
static GBytes *shared_slices[N_SWEEP_SIZES];

typedef struct
{
  GArray *samples[N_WAYS][N_SWEEP_SIZES];
} Sweep;

static void
sweep_init (Sweep *sweep)
{
  guint w, s;

  for (w = 0; w < N_WAYS; w++)
    for (s = 0; s < N_SWEEP_SIZES; s++)
      sweep->samples[w][s] = g_array_new (FALSE, FALSE, sizeof (double));
}

static void
sweep_clear (Sweep *sweep)
{
  guint w, s;

  for (w = 0; w < N_WAYS; w++)
    for (s = 0; s < N_SWEEP_SIZES; s++)
      g_array_unref (sweep->samples[w][s]);
}

static guint
sweep_calls (gsize size)
{
  return (guint) CLAMP (params.sweep_bytes / size, params.sweep_min_calls, params.sweep_max_calls);
}

static char *
format_size (gsize size)
{
  if (size >= 1024 * 1024)
    return g_strdup_printf ("%" G_GSIZE_FORMAT " MiB", size / (1024 * 1024));
  return g_strdup_printf ("%" G_GSIZE_FORMAT " KiB", size / 1024);
}

/* The backend of @way, ready to send GBytes of size @s that way */
static Backend *
sweep_prepare (Way way, guint s)
{
  guint64 threshold;

  sweep_bytes = way == WAY_SHARED ? shared_slices[s] : sweep_slices[s];
  switch (way)
    {
    case WAY_FLOOR:
      return &floor_backend.backend;
    case WAY_MEMFD:
      /* The threshold compares with >=: 1 puts every GBytes in a memfd */
      threshold = 1;
      break;
    case WAY_COPY:
      threshold = 0;
      break;
    case WAY_SHARED:
      threshold = comlink_backend.default_memfd_threshold;
      break;
    case N_WAYS:
    default:
      g_assert_not_reached ();
    }

  comlink_stream_endpoint_set_memfd_threshold (comlink_backend.endpoint, threshold);
  return &comlink_backend.backend;
}

static void
run_sweep (Sweep *sweep, Placement placement, Backend **backends, guint n_backends)
{
  GArray *scratch = g_array_new (FALSE, FALSE, sizeof (double));
  guint   round, s, w;

  place_processes (placement, backends, n_backends);
  g_printerr ("%s sweep: warming up...\n", placement_name (placement));
  for (s = 0; s < N_SWEEP_SIZES; s++)
    for (w = 0; w < N_WAYS; w++)
      bench_measure_latency (&sweep_prepare (w, s)->base, OP_SIZE_SWEEP, 1, 0, scratch);

  for (round = 0; round < N_ROUNDS; round++)
    {
      place_processes (placement, backends, n_backends);
      g_printerr ("%s sweep round %u/%u\n", placement_name (placement), round + 1, N_ROUNDS);
      for (s = 0; s < N_SWEEP_SIZES; s++)
        {
          guint n = in_round (sweep_calls (sweep_sizes[s]), round);
          /* a call after the other ways' is no first call for small sizes */
          guint warmup = sweep_sizes[s] <= 1024 * 1024 ? 1 : 0;

          if (n == 0)
            continue;
          for (w = 0; w < N_WAYS; w++)
            {
              Backend *be = sweep_prepare (w, s);
              GArray  *samples = sweep->samples[w][s];
              guint    from = samples->len;

              bench_measure_latency (&be->base, OP_SIZE_SWEEP, warmup, n, samples);
              if (verbose)
                {
                  char *size = format_size (sweep_sizes[s]);
                  char *what = g_strdup_printf ("%s %s", way_names[w], size);

                  report_chunk ("sweep", what, samples, from);
                  g_free (what);
                  g_free (size);
                }
            }
        }
    }

  comlink_stream_endpoint_set_memfd_threshold (comlink_backend.endpoint,
                                               comlink_backend.default_memfd_threshold);
  g_array_unref (scratch);
}

/* ------------------------------------------------------------------ */
/* The end of the children                                              */

/* Runs the main context until @child is reaped, killing it after 5 s;
 * returns FALSE if it did not end as expected */
static gboolean
reap_child (const char *name, GSubprocess *child, gboolean sigterm_expected)
{
  gint64   deadline = bench_now_ns () + 5 * G_GINT64_CONSTANT (1000000000);
  gboolean killed = FALSE;

  while (g_subprocess_get_identifier (child) != NULL)
    {
      if (!killed && bench_now_ns () > deadline)
        {
          g_printerr ("warning: the %s child did not exit: killing it\n", name);
          g_subprocess_force_exit (child);
          killed = TRUE;
        }
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }

  if (killed)
    return FALSE;
  if (g_subprocess_get_if_exited (child))
    {
      if (g_subprocess_get_exit_status (child) == 0)
        return TRUE;
      g_printerr ("warning: the %s child exited with status %d\n", name,
                  g_subprocess_get_exit_status (child));
      return FALSE;
    }
  if (g_subprocess_get_if_signaled (child))
    {
      int signum = g_subprocess_get_term_sig (child);

      if (sigterm_expected && signum == SIGTERM)
        return TRUE;
      g_printerr ("warning: the %s child died of signal %d\n", name, signum);
    }
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Report                                                               */

typedef struct
{
  gboolean   present;
  BenchStats echo;
  BenchStats ping;
  double     calls_per_s;
  BenchStats size_big;
  BenchStats size_huge;
  BenchStats size_huge_shared;
  BenchStats size_copy; /* 64 MiB of heap bytes through the socket */
} Results;

static Results
contender_results (Contender *c)
{
  Results r;

  r.present = TRUE;
  r.echo = bench_compute_stats (c->echo);
  r.ping = bench_compute_stats (c->ping);
  r.calls_per_s = c->pipelined_ns > 0 ? (double) c->pipelined_calls / ((double) c->pipelined_ns / 1e9) : 0;
  r.size_big = bench_compute_stats (c->size_big);
  r.size_huge = bench_compute_stats (c->size_huge);
  r.size_huge_shared = bench_compute_stats (c->size_huge_shared);
  /* after size_huge: each sorts its own samples */
  r.size_copy = c->backend->copies ? r.size_huge : bench_compute_stats (c->size_huge_copy);

  return r;
}

static double
megabytes_per_s (const BenchStats *s, gsize size)
{
  return (double) size / (s->median / 1e6) / 1e6;
}

typedef enum
{
  FIELD_ECHO_MEDIAN,
  FIELD_ECHO_P99,
  FIELD_PING_MEDIAN,
  FIELD_PIPELINED,
  FIELD_BIG_MEDIAN,
  FIELD_BIG_P99,
  FIELD_BIG_MB_S,
  FIELD_HUGE_MEDIAN_MS,
  FIELD_HUGE_MB_S,
  FIELD_HUGE_SHARED_MEDIAN_MS,
  FIELD_HUGE_SHARED_GB_S,
  FIELD_COPY_MEDIAN_MS,
  FIELD_COPY_GB_S,
} Field;

static char *
format_field (const Results *r, Field field)
{
  if (!r->present)
    return g_strdup ("-");

  switch (field)
    {
    case FIELD_ECHO_MEDIAN:
      return r->echo.valid ? g_strdup_printf ("%.1f", r->echo.median) : g_strdup ("-");
    case FIELD_ECHO_P99:
      return r->echo.valid ? g_strdup_printf ("%.1f", r->echo.p99) : g_strdup ("-");
    case FIELD_PING_MEDIAN:
      return r->ping.valid ? g_strdup_printf ("%.1f", r->ping.median) : g_strdup ("-");
    case FIELD_PIPELINED:
      return r->calls_per_s > 0 ? g_strdup_printf ("%.0f", r->calls_per_s) : g_strdup ("-");
    case FIELD_BIG_MEDIAN:
      return r->size_big.valid ? g_strdup_printf ("%.0f", r->size_big.median) : g_strdup ("-");
    case FIELD_BIG_P99:
      return r->size_big.valid ? g_strdup_printf ("%.0f", r->size_big.p99) : g_strdup ("-");
    case FIELD_BIG_MB_S:
      return r->size_big.valid ? g_strdup_printf ("%.0f", megabytes_per_s (&r->size_big, BIG_SIZE)) : g_strdup ("-");
    case FIELD_HUGE_MEDIAN_MS:
      return r->size_huge.valid ? g_strdup_printf ("%.1f", r->size_huge.median / 1000.0) : g_strdup ("-");
    case FIELD_HUGE_MB_S:
      return r->size_huge.valid ? g_strdup_printf ("%.0f", megabytes_per_s (&r->size_huge, HUGE_SIZE)) : g_strdup ("-");
    case FIELD_HUGE_SHARED_MEDIAN_MS:
      return r->size_huge_shared.valid ? g_strdup_printf ("%.3f", r->size_huge_shared.median / 1000.0) : g_strdup ("-");
    case FIELD_HUGE_SHARED_GB_S:
      return r->size_huge_shared.valid
               ? g_strdup_printf ("%.1f", megabytes_per_s (&r->size_huge_shared, HUGE_SIZE) / 1000.0)
               : g_strdup ("-");
    case FIELD_COPY_MEDIAN_MS:
      return r->size_copy.valid ? g_strdup_printf ("%.1f", r->size_copy.median / 1000.0) : g_strdup ("-");
    case FIELD_COPY_GB_S:
      return r->size_copy.valid ? g_strdup_printf ("%.2f", megabytes_per_s (&r->size_copy, HUGE_SIZE) / 1000.0)
                                : g_strdup ("-");
    default:
      g_assert_not_reached ();
    }
  return NULL;
}

static void
print_row (const char *label, const Results *r, Field field)
{
  char *v[6];
  int   i;

  for (i = 0; i < 6; i++)
    v[i] = format_field (&r[i], field);
  bench_print_row (32, label, v[0], v[1], v[2], v[3], v[4], v[5], NULL);
}

/* @r: comlink, the blocking floor, the sources floor, the single floor,
 * GDBus, jsonrpc */
static void
print_report (const char *title, const Results *r)
{
  const Results *c = &r[0], *f = &r[1], *s = &r[2], *o = &r[3], *d = &r[4], *j = &r[5];
  double         sources_tput_ratio = c->calls_per_s / s->calls_per_s;
  double         single_tput_ratio = c->calls_per_s / o->calls_per_s;
  double         sources_lat_ratio = c->echo.median / s->echo.median;
  double         copy_ratio = megabytes_per_s (&c->size_copy, HUGE_SIZE) / megabytes_per_s (&f->size_copy, HUGE_SIZE);
  double         sources_copy_ratio = megabytes_per_s (&c->size_copy, HUGE_SIZE) / megabytes_per_s (&s->size_copy, HUGE_SIZE);
  double         lat_ratio = c->echo.median / f->echo.median;
  double         gdbus_ratio = d->echo.median / c->echo.median;
  double         tput_ratio = c->calls_per_s / d->calls_per_s;
  double         huge_gb_s = megabytes_per_s (&c->size_huge, HUGE_SIZE) / 1000.0;
  double         floor_huge_gb_s = megabytes_per_s (&f->size_huge, HUGE_SIZE) / 1000.0;
  double         shared_gb_s = megabytes_per_s (&c->size_huge_shared, HUGE_SIZE) / 1000.0;

  printf ("\n%s\n%-32s %14s %14s %14s %14s %14s %14s\n", title, "", "comlink", "socket floor",
          "sources floor", "single floor", "GDBus p2p", "jsonrpc-glib");
  print_row ("call latency median (us)", r, FIELD_ECHO_MEDIAN);
  print_row ("call latency p99 (us)", r, FIELD_ECHO_P99);
  print_row ("ping latency median (us)", r, FIELD_PING_MEDIAN);
  print_row ("pipelined calls/s", r, FIELD_PIPELINED);
  print_row ("1 MiB one way median (us)", r, FIELD_BIG_MEDIAN);
  print_row ("1 MiB one way p99 (us)", r, FIELD_BIG_P99);
  print_row ("1 MiB one way MB/s", r, FIELD_BIG_MB_S);
  print_row ("64 MiB one way median (ms)", r, FIELD_HUGE_MEDIAN_MS);
  print_row ("64 MiB one way MB/s", r, FIELD_HUGE_MB_S);
  print_row ("64 MiB shared one way median (ms)", r, FIELD_HUGE_SHARED_MEDIAN_MS);
  print_row ("64 MiB shared one way GB/s", r, FIELD_HUGE_SHARED_GB_S);
  print_row ("64 MiB copied one way (ms)", r, FIELD_COPY_MEDIAN_MS);
  print_row ("64 MiB copied one way GB/s", r, FIELD_COPY_GB_S);

  printf ("ratios: comlink/floor latency = %.2f (goal <= 2), "
          "GDBus/comlink latency = %.2f (goal >= 3), "
          "comlink/GDBus pipelined = %.1f (goal >= 8), "
          "comlink 64 MiB = %.2f GB/s heap GBytes, %.1f GB/s shared GBytes "
          "(goal >= 4; the floor does %.2f GB/s)\n",
          lat_ratio, gdbus_ratio, tput_ratio, huge_gb_s, shared_gb_s, floor_huge_gb_s);
  printf ("        GDBus/floor latency = %.2f (what GDBus/comlink latency would be at the floor)\n",
          d->echo.median / f->echo.median);
  printf ("against the sources floor: comlink/sources pipelined = %.3f (goal >= 0.33), "
          "comlink/sources latency = %.2f (goal <= 2); sources/blocking floor: latency %.2f, "
          "pipelined %.2f\n",
          sources_tput_ratio, sources_lat_ratio, s->echo.median / f->echo.median,
          s->calls_per_s / f->calls_per_s);
  printf ("against the single floor: comlink/single pipelined = %.2f, comlink/single latency = %.2f; "
          "single/sources floor pipelined %.3f\n",
          single_tput_ratio, c->echo.median / o->echo.median, o->calls_per_s / s->calls_per_s);
  printf ("64 MiB copied through the socket: comlink/blocking copy = %.2f, comlink/sources copy = %.2f "
          "(goal >= 0.8)\n",
          copy_ratio, sources_copy_ratio);
  if (j->present)
    printf ("        jsonrpc/comlink latency = %.2f, comlink/jsonrpc pipelined = %.1f, "
            "jsonrpc/comlink 1 MiB time = %.1f\n",
            j->echo.median / c->echo.median, c->calls_per_s / j->calls_per_s,
            j->size_big.median / c->size_big.median);
  printf ("goals met: latency vs floor %s, latency vs GDBus %s, pipelined vs GDBus %s, "
          "64 MiB heap GBytes %s, 64 MiB shared GBytes %s, pipelined vs sources %s, "
          "latency vs sources %s, copy vs bare copy %s\n",
          lat_ratio <= 2.0 ? "yes" : "NO",
          gdbus_ratio >= 3.0 ? "yes" : "NO",
          tput_ratio >= 8.0 ? "yes" : "NO",
          huge_gb_s >= 4.0 ? "yes" : "NO",
          c->size_huge_shared.valid && shared_gb_s >= 4.0 ? "yes" : "NO",
          sources_tput_ratio >= 1.0 / 3.0 ? "yes" : "NO",
          sources_lat_ratio <= 2.0 ? "yes" : "NO",
          copy_ratio >= 0.8 && sources_copy_ratio >= 0.8 ? "yes" : "NO");
}

static char *
format_us (double us)
{
  return us >= 100 ? g_strdup_printf ("%.0f", us) : g_strdup_printf ("%.1f", us);
}

/* The index of the smallest size from which the memfd is faster than the
 * copy at every size measured, or N_SWEEP_SIZES if it is not even at the
 * largest */
static guint
sweep_crossover (BenchStats stats[N_WAYS][N_SWEEP_SIZES])
{
  guint s = N_SWEEP_SIZES;

  while (s > 0 && stats[WAY_MEMFD][s - 1].valid && stats[WAY_COPY][s - 1].valid &&
         stats[WAY_MEMFD][s - 1].median < stats[WAY_COPY][s - 1].median)
    s--;

  return s;
}

/* Medians of a call per size and way; returns sweep_crossover() */
static guint
print_sweep (const char *title, Sweep *sweep)
{
  BenchStats stats[N_WAYS][N_SWEEP_SIZES];
  guint      crossover, s, w;

  for (w = 0; w < N_WAYS; w++)
    for (s = 0; s < N_SWEEP_SIZES; s++)
      stats[w][s] = bench_compute_stats (sweep->samples[w][s]);

  printf ("\n%s: GBytes one way by size, median per call\n", title);
  printf ("%-8s %10s %10s %10s %10s %10s %10s %10s %10s %10s %10s\n", "size", "memfd us",
          "memfd MB/s", "copy us", "copy MB/s", "shared us", "shared MB/s", "floor us", "floor MB/s",
          "copy/memfd", "memfd/floor");
  for (s = 0; s < N_SWEEP_SIZES; s++)
    {
      const BenchStats *m = &stats[WAY_MEMFD][s], *c = &stats[WAY_COPY][s];
      const BenchStats *sh = &stats[WAY_SHARED][s], *f = &stats[WAY_FLOOR][s];
      char             *size = format_size (sweep_sizes[s]);
      char             *cells[8];

      if (!m->valid || !c->valid || !sh->valid || !f->valid)
        {
          printf ("%-8s %11s\n", size, "-");
          g_free (size);
          continue;
        }
      cells[0] = format_us (m->median);
      cells[1] = g_strdup_printf ("%.0f", megabytes_per_s (m, sweep_sizes[s]));
      cells[2] = format_us (c->median);
      cells[3] = g_strdup_printf ("%.0f", megabytes_per_s (c, sweep_sizes[s]));
      cells[4] = format_us (sh->median);
      cells[5] = g_strdup_printf ("%.0f", megabytes_per_s (sh, sweep_sizes[s]));
      cells[6] = format_us (f->median);
      cells[7] = g_strdup_printf ("%.0f", megabytes_per_s (f, sweep_sizes[s]));
      printf ("%-8s %10s %10s %10s %10s %10s %10s %10s %10s %10.2f %10.2f\n", size, cells[0],
              cells[1], cells[2], cells[3], cells[4], cells[5], cells[6], cells[7],
              c->median / m->median, f->median / m->median);
      for (w = 0; w < G_N_ELEMENTS (cells); w++)
        g_free (cells[w]);
      g_free (size);
    }

  crossover = sweep_crossover (stats);
  if (crossover < N_SWEEP_SIZES)
    {
      char *size = format_size (sweep_sizes[crossover]);

      printf ("the memfd is faster than the copy from %s up, at every size measured%s\n", size,
              crossover == 0 ? " (perhaps below too)" : "");
      g_free (size);
    }
  else
    printf ("the memfd is not faster than the copy, not even at the largest size\n");
  if (stats[WAY_MEMFD][N_SWEEP_SIZES - 1].valid && stats[WAY_SHARED][N_SWEEP_SIZES - 1].valid)
    printf ("comlink 64 MiB = %.2f GB/s heap GBytes in a memfd, %.1f GB/s shared GBytes (goal >= 4)\n",
            megabytes_per_s (&stats[WAY_MEMFD][N_SWEEP_SIZES - 1], sweep_sizes[N_SWEEP_SIZES - 1]) / 1000.0,
            megabytes_per_s (&stats[WAY_SHARED][N_SWEEP_SIZES - 1], sweep_sizes[N_SWEEP_SIZES - 1]) / 1000.0);

  return crossover;
}

/* What the sender does for each heap GBytes at or above the threshold:
 * a new memfd, a copy into it, the seals. comlink_bytes_new_shared_copy()
 * does the same, and maps the result. */
static double
memfd_fill_gb_per_s (GBytes *bytes)
{
  gsize         size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  gint64        best = G_MAXINT64;

  for (guint i = 0; i < 7; i++)
    {
      gint64  start = bench_now_ns ();
      GBytes *copy = comlink_bytes_new_shared_copy (data, size, NULL);
      gint64  ns = bench_now_ns () - start;

      if (copy == NULL)
        g_error ("cannot make shared bytes");
      g_bytes_unref (copy);
      best = MIN (best, ns);
    }

  /* The best of seven: the cost of the work itself, without noise */
  return (double) size / (double) best;
}

static GBytes *
touched_bytes (gsize size)
{
  guint8 *data = g_malloc (size);

  /* Make the pages real so that no contender pays for first touches */
  memset (data, 0xa5, size);
  return g_bytes_new_take (data, size);
}

/* The application producing its data, before any timing */
static void
fill_pattern (guint8 *data, gsize size, gpointer user_data)
{
  memset (data, 0xa5, size);
}

static GBytes *
shared_bytes (gsize size)
{
  GError *error = NULL;
  GBytes *bytes = comlink_bytes_new_shared (size, fill_pattern, NULL, &error);

  if (bytes == NULL)
    g_error ("cannot make shared GBytes: %s", error->message);
  return bytes;
}

static char *
find_child (const char *argv0, const char *option)
{
  const char *env = g_getenv ("COMLINK_BENCH_CHILD");
  char       *dir;
  char       *path;

  if (option != NULL)
    return g_strdup (option);
  if (env != NULL && *env != '\0')
    return g_strdup (env);

  dir = g_path_get_dirname (argv0);
  path = g_build_filename (dir, "bench-child", NULL);
  g_free (dir);
  return path;
}

#define MAX_CONTENDERS 6

/* ------------------------------------------------------------------ */
/* Instructions per call                                                */

/* @calls pipelined echo calls of one contender, with callgrind counting
 * on both sides only while they run (after a warm-up that makes GLib's
 * one-time allocations and fills the caches); bench-instructions.sh
 * runs it under valgrind and divides */
static int
run_instructions (const char *name, guint64 calls)
{
  GArray  *scratch = g_array_new (FALSE, FALSE, sizeof (double));
  Backend *be = NULL;
  guint64  done = 0;
  gint64   ns = 0;
  gboolean ok;

  if (g_str_equal (name, "comlink"))
    {
      be = start_comlink ();
      /* valgrind writes its counts as the child ends */
      comlink_worker_set_grace_period (comlink_backend.worker, 30000);
    }
  else if (g_str_equal (name, "floor"))
    be = start_floor ();
  else if (g_str_equal (name, "sources"))
    be = start_sources ();
  else if (g_str_equal (name, "single"))
    be = start_single ();
  else if (g_str_equal (name, "gdbus"))
    be = start_gdbus ();
#ifdef HAVE_JSONRPC
  else if (g_str_equal (name, "jsonrpc"))
    be = start_jsonrpc ();
#endif
  if (be == NULL)
    {
      fprintf (stderr, "--instructions: comlink, floor, sources, single, gdbus or jsonrpc, not %s\n", name);
      g_array_unref (scratch);
      return 2;
    }

  bench_measure_latency (&be->base, OP_ECHO, 100, 0, scratch);
  bench_measure_throughput (&be->base, OP_ECHO, params.pipeline_depth, MAX (calls / 10, 1000),
                            G_MAXINT, &done, &ns);

  bench_measure_latency (&be->base, OP_INSTRUMENT_ON, 0, 1, scratch);
  done = 0;
  bench_instrument (TRUE);
  bench_measure_throughput (&be->base, OP_ECHO, params.pipeline_depth, calls, G_MAXINT, &done, &ns);
  bench_instrument (FALSE);
  bench_measure_latency (&be->base, OP_INSTRUMENT_OFF, 0, 1, scratch);

  printf ("%s: %" G_GUINT64_FORMAT " pipelined calls, %u in flight\n", name, done,
          params.pipeline_depth);
  fflush (stdout);

  if (be == &comlink_backend.backend)
    stop_comlink ();
  else if (be == &floor_backend.backend)
    stop_floor ();
  else if (be == &sources_backend.backend)
    stop_sources ();
  else if (be == &single_backend.backend)
    stop_single ();
  else if (be == &gdbus_backend.backend)
    stop_gdbus ();
#ifdef HAVE_JSONRPC
  else if (be == &jsonrpc_backend.backend)
    stop_jsonrpc ();
#endif
  ok = reap_child (be->base.name, be->child, be == &comlink_backend.backend);
  g_clear_object (&be->child);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_array_unref (scratch);

  return ok && done == calls ? 0 : 1;
}

int
main (int argc, char **argv)
{
  Contender   contenders[2][MAX_CONTENDERS];
  Sweep       sweeps[2];
  guint       crossover = 0;
  Backend    *backends[MAX_CONTENDERS];
  Placement   placements[2];
  guint       n_placements, n_backends = 0, p, j;
  gboolean    pin = TRUE, ok = TRUE;
  const char *child_option = NULL;
  const char *instructions = NULL;
  guint64     instruction_calls = 20000;
  int         i;

  for (i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--quick"))
        params = quick_params;
      else if (g_str_equal (argv[i], "--verbose"))
        verbose = TRUE;
      else if (g_str_equal (argv[i], "--no-pin"))
        pin = FALSE;
      else if (g_str_equal (argv[i], "--child") && i + 1 < argc)
        child_option = argv[++i];
      else if (g_str_equal (argv[i], "--instructions") && i + 1 < argc)
        instructions = argv[++i];
      else if (g_str_equal (argv[i], "--calls") && i + 1 < argc &&
               g_ascii_string_to_unsigned (argv[i + 1], 10, 1, G_MAXUINT32, &instruction_calls, NULL))
        i++;
      else
        {
          fprintf (stderr, "usage: %s [--quick] [--verbose] [--no-pin] [--child PATH] "
                           "[--instructions CONTENDER [--calls N]]\n",
                   argv[0]);
          return 2;
        }
    }

  child_path = find_child (argv[0], child_option);
  if (!g_file_test (child_path, G_FILE_TEST_IS_EXECUTABLE))
    {
      fprintf (stderr, "%s: no child program at %s (use --child or COMLINK_BENCH_CHILD)\n",
               argv[0], child_path);
      g_free (child_path);
      return 2;
    }

  /* A child that goes away must fail a write, not end us */
  signal (SIGPIPE, SIG_IGN);

  if (instructions != NULL)
    {
      int status = run_instructions (instructions, instruction_calls);

      g_free (child_path);
      return status;
    }

  big_bytes = touched_bytes (BIG_SIZE);
  huge_bytes = touched_bytes (HUGE_SIZE);
  huge_shared_bytes = shared_bytes (HUGE_SIZE);
  for (j = 0; j < N_SWEEP_SIZES; j++)
    {
      sweep_slices[j] = g_bytes_new_from_bytes (huge_bytes, 0, sweep_sizes[j]);
      /* A slice of shared GBytes is not shared: each size has its own */
      shared_slices[j] = sweep_sizes[j] == HUGE_SIZE ? g_bytes_ref (huge_shared_bytes)
                                                     : shared_bytes (sweep_sizes[j]);
      g_assert (comlink_bytes_is_shared (shared_slices[j]));
    }

  bench_find_cpus (&cpu_plan);
  if (pin && cpu_plan.second >= 0)
    {
      placements[0] = PLACEMENT_SPREAD;
      placements[1] = PLACEMENT_SHARED;
      n_placements = 2;
    }
  else
    {
      /* With a single CPU there is nothing to spread */
      placements[0] = pin ? PLACEMENT_SHARED : PLACEMENT_UNPINNED;
      n_placements = 1;
    }

  backends[n_backends++] = start_comlink ();
  backends[n_backends++] = start_floor ();
  backends[n_backends++] = start_sources ();
  backends[n_backends++] = start_single ();
  backends[n_backends++] = start_gdbus ();
#ifdef HAVE_JSONRPC
  backends[n_backends++] = start_jsonrpc ();
#endif

  for (p = 0; p < n_placements; p++)
    {
      for (j = 0; j < n_backends; j++)
        contender_init (&contenders[p][j], backends[j]);
      sweep_init (&sweeps[p]);
    }

  run_warmup (contenders[0], n_backends);
  for (p = 0; p < n_placements; p++)
    {
      run_rounds (contenders[p], n_backends, placements[p]);
      run_sweep (&sweeps[p], placements[p], backends, n_backends);
    }
  place_processes (PLACEMENT_UNPINNED, backends, n_backends);

  printf ("\nevery server in a child process over a socketpair; latency: %u calls one at a time "
          "(ping: %u); pipelined: %u in flight, up to %u calls or %.1f s; 1 MiB: %u calls "
          "(jsonrpc-glib: %u, base64 in a JSON string); 64 MiB: %u calls (shared GBytes: %u); "
          "%u interleaved rounds per placement; MB/s = 10^6 bytes/s\n",
          params.latency_calls, params.latency_calls / 4, params.pipeline_depth,
          params.pipeline_max_calls, params.pipeline_seconds, params.size_calls,
          params.slow_size_calls, params.huge_calls, params.size_calls, N_ROUNDS);
  printf ("socket floor: blocking write() and read() of 8-byte messages; pipelined, the replies "
          "are read as they come and as many messages go out in one write()\n");
  printf ("sources floor: the same messages, both ends in GLib main loops with GSocket sources "
          "(can-recurse) and non-blocking send() and recv() in their callbacks; pipelined the "
          "same way\n");
  printf ("single floor: the sources floor one message at a time, as a main-loop transport that "
          "does not batch: each dispatch reads one message, each message goes in a send() of its "
          "own, both ends; its 1 MiB goes as the sources floor's (no 64 MiB)\n");
  printf ("64 MiB copied: comlink with memfd-threshold 0 on both sides, the heap GBytes in the "
          "stream; the floors write the same bytes to the socket\n");
  printf ("comlink: memfd-threshold %" G_GUINT64_FORMAT " bytes (the default): heap GBytes "
          "at or above it are copied into a new memfd for each call; the sweep sends GBytes of "
          "%" G_GUINT64_FORMAT " MiB worth, in %u to %u calls, per size and way and placement, heap "
          "GBytes with memfd-threshold 1 (memfd) and 0 (copy through the socket) and shared GBytes, "
          "on the same worker; the child only asks the size: it maps the memfd but does not read it\n",
          comlink_backend.default_memfd_threshold, params.sweep_bytes / (1024 * 1024),
          params.sweep_min_calls, params.sweep_max_calls);
  printf ("shared GBytes: made once per size by comlink_bytes_new_shared() before any timing (the "
          "fill is the application producing its data, not a part of the transfer), then sent "
          "again and again: their own memfd goes, without a copy\n");
  printf ("a new sealed memfd holding a copy of 64 MiB, as the sender makes for heap GBytes, "
          "in this process: %.2f GB/s (the bound of the heap path)\n",
          memfd_fill_gb_per_s (huge_bytes));
  printf ("placement: %s\n",
          pin ? "pinned, every thread of a process with it (--no-pin to let the scheduler place them)"
              : "left to the scheduler (--no-pin)");
#ifndef HAVE_JSONRPC
  printf ("jsonrpc-glib was not found at build time: its column is empty\n");
#endif
  for (p = 0; p < n_placements; p++)
    {
      Results r[MAX_CONTENDERS] = { { 0 } };
      char    title[128];

      for (j = 0; j < n_backends; j++)
        r[j] = contender_results (&contenders[p][j]);
      describe_placement (placements[p], title, sizeof title);
      print_report (title, r);
    }
  for (p = 0; p < n_placements; p++)
    {
      char  title[128];
      guint from;

      describe_placement (placements[p], title, sizeof title);
      /* not within MAX (), which would print it twice */
      from = print_sweep (title, &sweeps[p]);
      crossover = MAX (crossover, from);
    }
  if (crossover < N_SWEEP_SIZES)
    {
      char *size = format_size (sweep_sizes[crossover]);

      printf ("\nmemfd-threshold to choose: %s (%" G_GSIZE_FORMAT " bytes), from where the memfd is "
              "faster in every placement; the default is %" G_GUINT64_FORMAT " bytes\n",
              size, sweep_sizes[crossover], comlink_backend.default_memfd_threshold);
      g_free (size);
    }
  else
    printf ("\nmemfd-threshold to choose: 0 (off), the memfd is not faster at the largest size\n");
  fflush (stdout);

  stop_comlink ();
  stop_floor ();
  stop_sources ();
  stop_single ();
  stop_gdbus ();
#ifdef HAVE_JSONRPC
  stop_jsonrpc ();
#endif

  for (j = 0; j < n_backends; j++)
    {
      /* The comlink worker ends its child with SIGTERM */
      ok &= reap_child (backends[j]->base.name, backends[j]->child, j == 0);
      g_clear_object (&backends[j]->child);
    }
  /* Let the worker's own wait and grace-period sources run and go */
  while (g_main_context_iteration (NULL, FALSE))
    ;

  for (p = 0; p < n_placements; p++)
    for (j = 0; j < n_backends; j++)
      contender_clear (&contenders[p][j]);
  for (p = 0; p < n_placements; p++)
    sweep_clear (&sweeps[p]);
  for (j = 0; j < N_SWEEP_SIZES; j++)
    {
      g_bytes_unref (sweep_slices[j]);
      g_bytes_unref (shared_slices[j]);
    }
  g_bytes_unref (big_bytes);
  g_bytes_unref (huge_bytes);
  g_bytes_unref (huge_shared_bytes);
  g_free (child_path);

  return ok ? 0 : 1;
}
