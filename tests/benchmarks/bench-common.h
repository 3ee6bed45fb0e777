/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* What bench-thread and bench-subprocess share: the driver that times the
 * calls of a contender, the statistics of the samples, the choice of CPUs
 * to pin on, the rows of the report, and the GDBus contender (bench-child
 * serves it too). */

#pragma once

#include <comlink-glib/comlink.h>

#include <sched.h>
#include <sys/types.h>

G_BEGIN_DECLS

gint64 bench_now_ns (void);

/* Callgrind counts only between bench_instrument (TRUE) and
 * bench_instrument (FALSE) when the program runs under
 * `valgrind --tool=callgrind --instr-atstart=no`; elsewhere, or built
 * without valgrind's headers, it does nothing */
void bench_instrument (gboolean on);

/* The floor protocols of bench-child (bench-subprocess): 8-byte
 * little-endian headers come back as they are; one with the top bit set
 * announces that many bytes (the rest of the bits), read and dropped
 * before it comes back; one with the next bit set turns callgrind's
 * counting on (low bit 1) or off in the child before it comes back */
#define BENCH_FLOOR_BULK_FLAG (G_GUINT64_CONSTANT (1) << 63)
#define BENCH_FLOOR_INSTRUMENT_FLAG (G_GUINT64_CONSTANT (1) << 62)

/* ------------------------------------------------------------------ */
/* The driver, common to the contenders                                 */

typedef struct _BenchBackend BenchBackend;

/* A contender; each benchmark embeds it first in its own struct. @op is
 * one of the benchmark's own operations. */
struct _BenchBackend
{
  const char *name;
  void (*issue) (BenchBackend *be,
                 guint         op);
  /* NULL for the common one, which needs asynchronous completions */
  void (*pipeline) (BenchBackend *be,
                    guint         depth,
                    guint64       max_calls,
                    double        seconds,
                    guint64      *calls,
                    gint64       *ns);

  guint64 n_issued;
  guint64 n_done;
  guint   in_flight;

  /* pipelined mode */
  gboolean pipelined;
  guint    pipeline_op;
  guint64  pipeline_target;
  gint64   pipeline_deadline;
};

void bench_backend_done (BenchBackend *be);

void bench_measure_latency (BenchBackend *be,
                            guint         op,
                            guint         n_warmup,
                            guint         n,
                            GArray       *samples);

void bench_measure_throughput (BenchBackend *be,
                               guint         op,
                               guint         depth,
                               guint64       max_calls,
                               double        seconds,
                               guint64      *calls,
                               gint64       *ns);

/* ------------------------------------------------------------------ */
/* Statistics                                                           */

typedef struct
{
  double   median;
  double   p99;
  gboolean valid;
} BenchStats;

BenchStats bench_compute_stats (GArray *samples);

void bench_report_chunk (const char *contender,
                         const char *what,
                         GArray     *samples,
                         guint       from,
                         int         width);

/* ------------------------------------------------------------------ */
/* Where the threads run                                                */

typedef struct
{
  cpu_set_t original; /* the CPUs that the process started with */
  int       first;    /* the first two of them, or -1 */
  int       second;
} BenchCpus;

void bench_find_cpus (BenchCpus *cpus);

void bench_pin_thread (pid_t            tid,
                       const cpu_set_t *set);

/* ------------------------------------------------------------------ */
/* Report                                                               */

void bench_print_row (int         label_width,
                      const char *label,
                      ...) G_GNUC_NULL_TERMINATED;

/* ------------------------------------------------------------------ */
/* Plumbing                                                             */

GIOStream *bench_stream_for_fd (int fd);

/* ------------------------------------------------------------------ */
/* GDBus peer to peer: an object with EchoInt (i) -> i, Ping (),        */
/* Size (ay) -> t and Instrument (b), served on one connection and      */
/* called on the other                                                  */

#define BENCH_ECHO_VALUE 42

guint bench_gdbus_serve (GDBusConnection *connection,
                         GError         **error);

/* Each completes with bench_backend_done (@be), after checking the reply */
void bench_gdbus_echo (GDBusConnection *client,
                       BenchBackend    *be);
void bench_gdbus_ping (GDBusConnection *client,
                       BenchBackend    *be);
void bench_gdbus_size (GDBusConnection *client,
                       BenchBackend    *be,
                       GBytes          *bytes);
/* bench_instrument (@on) in the server */
void bench_gdbus_instrument (GDBusConnection *client,
                             BenchBackend    *be,
                             gboolean         on);

/* ------------------------------------------------------------------ */
/* comlink-glib: an object with the action signals echo-int (int) -> int, */
/* ping (), size (GBytes) -> guint64, instrument (gboolean) (calls        */
/* bench_instrument ()) and set-memfd-threshold (guint64) (of the stream  */
/* endpoint the call came over), and the completion of calls              */

GObject *bench_object_new (void);

/* What a call expects back: G_TYPE_NONE, an int (@expected) or a size
 * (the size of the GBytes argument). Calls in flight may share one. */
typedef struct
{
  BenchBackend *be;
  GType         type;
  guint64       expected;
} BenchComlinkCall;

/* Completes with bench_backend_done (@call->be) after checking the reply */
void bench_comlink_call (ComlinkProxy     *proxy,
                         BenchComlinkCall *call,
                         const char       *method,
                         const GValue     *arg);

G_END_DECLS
