/* SPDX-License-Identifier: LGPL-2.1-or-later */


#include <comlink-glib/comlink.h>

#include "bench-common.h"
#include "bench-marshal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#endif
#endif

gint64
bench_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

void
bench_instrument (gboolean on)
{
#ifdef HAVE_CALLGRIND
  if (on)
    CALLGRIND_START_INSTRUMENTATION;
  else
    CALLGRIND_STOP_INSTRUMENTATION;
#endif
}

/* ------------------------------------------------------------------ */
/* The driver, common to the contenders                                 */

/* Every completion, of every contender, ends here */
void
bench_backend_done (BenchBackend *be)
{
  be->n_done++;
  be->in_flight--;

  if (be->pipelined &&
      be->n_issued < be->pipeline_target &&
      bench_now_ns () < be->pipeline_deadline)
    {
      be->n_issued++;
      be->in_flight++;
      be->issue (be, be->pipeline_op);
    }
}

/* Round trips of one call at a time, in microseconds, added to @samples */
void
bench_measure_latency (BenchBackend *be, guint op, guint n_warmup, guint n, GArray *samples)
{
  guint i;

  be->pipelined = FALSE;
  for (i = 0; i < n_warmup + n; i++)
    {
      guint64 target = be->n_done + 1;
      gint64  t0 = bench_now_ns ();

      be->n_issued++;
      be->in_flight++;
      be->issue (be, op);
      while (be->n_done < target)
        g_main_context_iteration (NULL, TRUE);

      if (i >= n_warmup)
        {
          double us = (double) (bench_now_ns () - t0) / 1000.0;

          g_array_append_val (samples, us);
        }
    }
}

/* Keeps @depth calls in flight until @max_calls are done or @seconds
 * pass; adds the calls made and the time taken to @calls and @ns */
void
bench_measure_throughput (BenchBackend *be, guint op, guint depth, guint64 max_calls, double seconds, guint64 *calls, gint64 *ns)
{
  guint64 done_before = be->n_done;
  gint64  t0;
  guint   i;

  if (be->pipeline != NULL)
    {
      be->pipeline (be, depth, max_calls, seconds, calls, ns);
      return;
    }

  be->pipelined = TRUE;
  be->pipeline_op = op;
  be->pipeline_target = be->n_issued + max_calls;

  t0 = bench_now_ns ();
  be->pipeline_deadline = t0 + (gint64) (seconds * 1e9);
  for (i = 0; i < depth && be->n_issued < be->pipeline_target; i++)
    {
      be->n_issued++;
      be->in_flight++;
      be->issue (be, op);
    }
  while (be->in_flight > 0)
    g_main_context_iteration (NULL, TRUE);

  *ns += bench_now_ns () - t0;
  *calls += be->n_done - done_before;
  be->pipelined = FALSE;
}

/* ------------------------------------------------------------------ */
/* Statistics                                                           */

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Sorts @samples */
BenchStats
bench_compute_stats (GArray *samples)
{
  BenchStats stats = { 0 };
  double    *v = (double *) (gpointer) samples->data;
  guint      n = samples->len;

  if (n == 0)
    return stats;

  qsort (v, n, sizeof (double), compare_doubles);
  stats.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
  stats.p99 = v[MIN ((guint) (n * 0.99), n - 1)];
  stats.valid = TRUE;

  return stats;
}

/* The median of the samples from @from on, on stderr, to see drift;
 * @width is that of the figures */
void
bench_report_chunk (const char *contender, const char *what, GArray *samples, guint from, int width)
{
  GArray    *chunk;
  BenchStats stats;

  if (samples->len <= from)
    return;

  chunk = g_array_new (FALSE, FALSE, sizeof (double));
  g_array_append_vals (chunk, &g_array_index (samples, double, from), samples->len - from);
  stats = bench_compute_stats (chunk);
  g_printerr ("  %-14s %-10s median %*.1f us  p99 %*.1f us\n", contender, what,
              width, stats.median, width, stats.p99);
  g_array_unref (chunk);
}

/* ------------------------------------------------------------------ */
/* Where the threads run                                                */

void
bench_find_cpus (BenchCpus *cpus)
{
  int cpu;

  cpus->first = -1;
  cpus->second = -1;
  CPU_ZERO (&cpus->original);
  if (sched_getaffinity (0, sizeof cpus->original, &cpus->original) != 0)
    return;
  for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
    if (CPU_ISSET (cpu, &cpus->original))
      {
        if (cpus->first < 0)
          cpus->first = cpu;
        else if (cpus->second < 0)
          cpus->second = cpu;
      }
}

void
bench_pin_thread (pid_t tid, const cpu_set_t *set)
{
  /* a thread may end meanwhile: ESRCH is fine */
  if (sched_setaffinity (tid, sizeof *set, set) != 0 && errno != ESRCH)
    g_printerr ("warning: cannot pin thread %d: %s\n", (int) tid, g_strerror (errno));
}

/* ------------------------------------------------------------------ */
/* Report                                                               */

/* Prints @label in @label_width and after it the strings that follow,
 * up to NULL, each in 14 characters; frees the strings */
void
bench_print_row (int label_width, const char *label, ...)
{
  va_list cells;
  char   *cell;

  printf ("%-*s", label_width, label);
  va_start (cells, label);
  while ((cell = va_arg (cells, char *)) != NULL)
    {
      printf (" %14s", cell);
      g_free (cell);
    }
  va_end (cells);
  printf ("\n");
}

/* ------------------------------------------------------------------ */
/* Plumbing                                                             */

GIOStream *
bench_stream_for_fd (int fd)
{
  GError            *error = NULL;
  GSocket           *socket = g_socket_new_from_fd (fd, &error);
  GSocketConnection *connection;

  if (socket == NULL)
    g_error ("g_socket_new_from_fd: %s", error->message);
  connection = g_socket_connection_factory_create_connection (socket);
  g_object_unref (socket);

  return G_IO_STREAM (connection);
}

/* ------------------------------------------------------------------ */
/* GDBus peer to peer                                                   */

#define BENCH_PATH "/org/example/Bench"
#define BENCH_INTERFACE "org.example.Bench"

static const char gdbus_xml[] =
  "<node>"
  "  <interface name='" BENCH_INTERFACE "'>"
  "    <method name='EchoInt'>"
  "      <arg type='i' name='value' direction='in'/>"
  "      <arg type='i' name='result' direction='out'/>"
  "    </method>"
  "    <method name='Ping'/>"
  "    <method name='Size'>"
  "      <arg type='ay' name='data' direction='in'/>"
  "      <arg type='t' name='size' direction='out'/>"
  "    </method>"
  "    <method name='Instrument'>"
  "      <arg type='b' name='on' direction='in'/>"
  "    </method>"
  "  </interface>"
  "</node>";

static void
server_method_call (GDBusConnection       *connection,
                    const char            *sender,
                    const char            *object_path,
                    const char            *interface_name,
                    const char            *method_name,
                    GVariant              *parameters,
                    GDBusMethodInvocation *invocation,
                    gpointer               user_data)
{
  if (g_str_equal (method_name, "EchoInt"))
    {
      gint32 value;

      g_variant_get (parameters, "(i)", &value);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(i)", value));
    }
  else if (g_str_equal (method_name, "Ping"))
    {
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else if (g_str_equal (method_name, "Size"))
    {
      GVariant *data = g_variant_get_child_value (parameters, 0);
      guint64   size = g_variant_get_size (data);

      g_variant_unref (data);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(t)", size));
    }
  else if (g_str_equal (method_name, "Instrument"))
    {
      gboolean on;

      g_variant_get (parameters, "(b)", &on);
      bench_instrument (on);
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                             "No method %s", method_name);
    }
}

static const GDBusInterfaceVTable server_vtable = {
  server_method_call,
  NULL,
  NULL,
  { 0 }
};

guint
bench_gdbus_serve (GDBusConnection *connection,
                   GError         **error)
{
  GDBusNodeInfo *info = g_dbus_node_info_new_for_xml (gdbus_xml, error);
  guint          registration;

  if (info == NULL)
    return 0;
  registration = g_dbus_connection_register_object (connection, BENCH_PATH, info->interfaces[0],
                                                    &server_vtable, NULL, NULL, error);
  g_dbus_node_info_unref (info);

  return registration;
}

static GVariant *
gdbus_reply (GObject *source, GAsyncResult *result)
{
  GError   *error = NULL;
  GVariant *reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  if (reply == NULL)
    g_error ("GDBus call failed: %s", error->message);
  return reply;
}

static void
gdbus_ping_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_variant_unref (gdbus_reply (source, result));
  bench_backend_done (user_data);
}

static void
gdbus_echo_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GVariant *reply = gdbus_reply (source, result);
  gint32    value;

  g_variant_get (reply, "(i)", &value);
  if (value != BENCH_ECHO_VALUE)
    g_error ("GDBus EchoInt returned a wrong value");
  g_variant_unref (reply);
  bench_backend_done (user_data);
}

typedef struct
{
  BenchBackend *be;
  guint64       expected;
} SizeCall;

static void
gdbus_size_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SizeCall *call = user_data;
  GVariant *reply = gdbus_reply (source, result);
  guint64   size;

  g_variant_get (reply, "(t)", &size);
  if (size != call->expected)
    g_error ("GDBus Size returned a wrong value");
  g_variant_unref (reply);
  bench_backend_done (call->be);
  g_free (call);
}

void
bench_gdbus_echo (GDBusConnection *client,
                  BenchBackend    *be)
{
  g_dbus_connection_call (client, NULL, BENCH_PATH, BENCH_INTERFACE, "EchoInt",
                          g_variant_new ("(i)", BENCH_ECHO_VALUE), G_VARIANT_TYPE ("(i)"),
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, gdbus_echo_done, be);
}

void
bench_gdbus_ping (GDBusConnection *client,
                  BenchBackend    *be)
{
  g_dbus_connection_call (client, NULL, BENCH_PATH, BENCH_INTERFACE, "Ping",
                          NULL, G_VARIANT_TYPE_UNIT,
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, gdbus_ping_done, be);
}

void
bench_gdbus_size (GDBusConnection *client,
                  BenchBackend    *be,
                  GBytes          *bytes)
{
  GVariant *data = g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE);
  SizeCall *call = g_new (SizeCall, 1);

  call->be = be;
  call->expected = g_bytes_get_size (bytes);
  g_dbus_connection_call (client, NULL, BENCH_PATH, BENCH_INTERFACE, "Size",
                          g_variant_new_tuple (&data, 1), G_VARIANT_TYPE ("(t)"),
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, gdbus_size_done, call);
}

void
bench_gdbus_instrument (GDBusConnection *client,
                        BenchBackend    *be,
                        gboolean         on)
{
  g_dbus_connection_call (client, NULL, BENCH_PATH, BENCH_INTERFACE, "Instrument",
                          g_variant_new ("(b)", on), G_VARIANT_TYPE_UNIT,
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, gdbus_ping_done, be);
}

/* ------------------------------------------------------------------ */
/* comlink-glib                                                         */

typedef struct
{
  GObject parent_instance;
} BenchObject;

typedef struct
{
  GObjectClass parent_class;
} BenchObjectClass;

static GType bench_object_get_type (void);
G_DEFINE_TYPE (BenchObject, bench_object, G_TYPE_OBJECT)

static int
bench_object_echo_int (BenchObject *self, int value)
{
  return value;
}

static void
bench_object_ping (BenchObject *self)
{
}

static guint64
bench_object_size (BenchObject *self, GBytes *bytes)
{
  return bytes != NULL ? g_bytes_get_size (bytes) : 0;
}

static void
bench_object_instrument (BenchObject *self, gboolean on)
{
  bench_instrument (on);
}

/* Sets the threshold of the side that serves the call: the parent sets
 * its own with comlink_stream_endpoint_set_memfd_threshold() */
static void
bench_object_set_memfd_threshold (BenchObject       *self,
                                  guint64            threshold,
                                  ComlinkInvocation *invocation)
{
  ComlinkEndpoint *endpoint = comlink_connection_get_endpoint (comlink_invocation_get_connection (invocation));

  if (COMLINK_IS_STREAM_ENDPOINT (endpoint))
    comlink_stream_endpoint_set_memfd_threshold (COMLINK_STREAM_ENDPOINT (endpoint), threshold);
  comlink_invocation_return_value (invocation, NULL);
}

static void
bench_object_class_init (BenchObjectClass *klass)
{
  GType type = G_TYPE_FROM_CLASS (klass);

  g_signal_new_class_handler ("echo-int", type, G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (bench_object_echo_int), NULL, NULL,
                              bench_marshal_INT__INT,
                              G_TYPE_INT, 1, G_TYPE_INT);
  g_signal_new_class_handler ("ping", type, G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (bench_object_ping), NULL, NULL,
                              g_cclosure_marshal_VOID__VOID,
                              G_TYPE_NONE, 0);
  g_signal_new_class_handler ("size", type, G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (bench_object_size), NULL, NULL,
                              bench_marshal_UINT64__BOXED,
                              G_TYPE_UINT64, 1, G_TYPE_BYTES);
  g_signal_new_class_handler ("instrument", type, G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (bench_object_instrument), NULL, NULL,
                              g_cclosure_marshal_VOID__BOOLEAN,
                              G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
  g_signal_new_class_handler ("set-memfd-threshold", type, G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (bench_object_set_memfd_threshold), NULL, NULL,
                              bench_marshal_VOID__UINT64_OBJECT,
                              G_TYPE_NONE, 2, G_TYPE_UINT64, COMLINK_TYPE_INVOCATION);
}

static void
bench_object_init (BenchObject *self)
{
}

GObject *
bench_object_new (void)
{
  return g_object_new (bench_object_get_type (), NULL);
}

static void
comlink_call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  BenchComlinkCall *call = user_data;
  GError           *error = NULL;
  GValue           *value = comlink_proxy_call_finish (COMLINK_PROXY (source), result, &error);

  if (error != NULL)
    g_error ("comlink call failed: %s", error->message);
  if (call->type == G_TYPE_INT &&
      (value == NULL || g_value_get_int (value) != (gint) call->expected))
    g_error ("comlink echo-int returned a wrong value");
  if (call->type == G_TYPE_UINT64 &&
      (value == NULL || g_value_get_uint64 (value) != call->expected))
    g_error ("comlink size returned a wrong value");

  if (value != NULL)
    g_boxed_free (G_TYPE_VALUE, value);
  bench_backend_done (call->be);
}

void
bench_comlink_call (ComlinkProxy     *proxy,
                    BenchComlinkCall *call,
                    const char       *method,
                    const GValue     *arg)
{
  if (call->type == G_TYPE_UINT64)
    call->expected = g_bytes_get_size (g_value_get_boxed (arg));
  comlink_proxy_call_async (proxy, method, arg, arg != NULL ? 1 : 0, NULL, comlink_call_done, call);
}
