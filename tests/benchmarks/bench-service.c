/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A load test of a service: many clients, each on a connection of its own,
 * calling one service in a child process over loopback (an abstract Unix
 * socket), side by side with GDBus peer to peer on the same work.
 *
 *  - comlink-glib: a ComlinkServer that makes an object per client, with
 *    the action signals add (int, int) -> int and n-clients () -> uint;
 *  - GDBus peer to peer: a GDBusServer whose connections export Add (ii)
 *    -> i and NClients () -> u, and as many GDBusConnections here.
 *
 * Each client keeps a window of calls in flight and makes its next call as
 * each one completes, until it made its share. Every call has an id of its
 * own; it asks add (id, client) and must get id + client back. The
 * benchmark counts completions per id and fails unless every call
 * completed exactly once with the right result (none lost, none twice).
 *
 * comlink runs a warm-up round (a tenth of the calls) and two full rounds,
 * each with fresh connections that are closed at its end; after each
 * round, once the service counts no client but the probe that asks it,
 * the benchmark reads the service's resident memory (VmRSS in
 * /proc/PID/status). The service's memory is flat when the second full
 * round leaves it at most 10 percent above the first; the benchmark fails
 * otherwise. GDBus runs a warm-up and one full round, and the report gives
 * the calls per second of both and their ratio.
 *
 * Usage: bench-service [--clients N] [--calls N] [--window N] [--quick]
 *                      [--no-gdbus]
 *   --clients  clients (connections) at once; default 100, or
 *              $COMLINK_BENCH_CLIENTS
 *   --calls    calls per client and round; default 10000, or
 *              $COMLINK_BENCH_CALLS
 *   --window   calls in flight per client; default 100, or
 *              $COMLINK_BENCH_WINDOW
 *   --quick    10 clients x 2000 calls, for a smoke run
 *   --no-gdbus comlink alone
 *
 * The service is this program again: bench-service --serve comlink|gdbus
 * ADDRESS, which listens on ADDRESS, prints "listening", and serves until
 * its standard input closes.
 */

#include <comlink-glib/comlink.h>

#include "bench-common.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <glib-unix.h>

#define GDBUS_PATH "/org/example/BenchService"
#define GDBUS_INTERFACE "org.example.BenchService"

/* The RSS of the second full round may exceed that of the first by this
 * much, in percent */
#define RSS_GROWTH_LIMIT 10.0

/* AddressSanitizer keeps freed memory in quarantine: resident memory
 * grows from round to round whatever the program does */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* A round is stuck when nothing completes for this long */
#define STALL_SECONDS 120

typedef struct
{
  guint n_clients;
  guint n_calls; /* per client */
  guint window;  /* per client */
} Params;

/* ================================================================== */
/* The service                                                          */

typedef struct
{
  GObject parent_instance;
} ServiceObject;

typedef struct
{
  GObjectClass parent_class;
} ServiceObjectClass;

static GType service_object_get_type (void);
G_DEFINE_TYPE (ServiceObject, service_object, G_TYPE_OBJECT)

static ComlinkServer *service_server;
static guint          service_n_gdbus_clients;

static int
service_object_add (ServiceObject *self, int a, int b)
{
  return a + b;
}

static guint
service_object_n_clients (ServiceObject *self)
{
  return comlink_server_get_n_clients (service_server);
}

static void
service_object_class_init (ServiceObjectClass *klass)
{
  GType type = G_TYPE_FROM_CLASS (klass);

  g_signal_new_class_handler ("add", type, G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (service_object_add), NULL, NULL, NULL,
                              G_TYPE_INT, 2, G_TYPE_INT, G_TYPE_INT);
  g_signal_new_class_handler ("n-clients", type, G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (service_object_n_clients), NULL, NULL, NULL,
                              G_TYPE_UINT, 0);
}

static void
service_object_init (ServiceObject *self)
{
}

static GObject *
make_service_object (ComlinkServer     *server,
                     ComlinkConnection *client,
                     GCredentials      *credentials,
                     gpointer           user_data,
                     GError           **error)
{
  return g_object_new (service_object_get_type (), NULL);
}

static const char gdbus_xml[] =
  "<node>"
  "  <interface name='" GDBUS_INTERFACE "'>"
  "    <method name='Add'>"
  "      <arg type='i' name='a' direction='in'/>"
  "      <arg type='i' name='b' direction='in'/>"
  "      <arg type='i' name='sum' direction='out'/>"
  "    </method>"
  "    <method name='NClients'>"
  "      <arg type='u' name='n' direction='out'/>"
  "    </method>"
  "  </interface>"
  "</node>";

static GDBusNodeInfo *gdbus_info;

static void
gdbus_method_call (GDBusConnection       *connection,
                   const char            *sender,
                   const char            *object_path,
                   const char            *interface_name,
                   const char            *method_name,
                   GVariant              *parameters,
                   GDBusMethodInvocation *invocation,
                   gpointer               user_data)
{
  if (g_str_equal (method_name, "Add"))
    {
      gint32 a, b;

      g_variant_get (parameters, "(ii)", &a, &b);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(i)", a + b));
    }
  else if (g_str_equal (method_name, "NClients"))
    {
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", service_n_gdbus_clients));
    }
  else
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                             "No method %s", method_name);
    }
}

static const GDBusInterfaceVTable gdbus_vtable = {
  gdbus_method_call,
  NULL,
  NULL,
  { 0 }
};

static void
on_gdbus_closed (GDBusConnection *connection,
                 gboolean         remote_peer_vanished,
                 GError          *error,
                 gpointer         user_data)
{
  service_n_gdbus_clients--;
  /* The reference that on_new_gdbus_connection () took */
  g_object_unref (connection);
}

static gboolean
on_new_gdbus_connection (GDBusServer     *server,
                         GDBusConnection *connection,
                         gpointer         user_data)
{
  GError *error = NULL;

  if (g_dbus_connection_register_object (connection, GDBUS_PATH, gdbus_info->interfaces[0], &gdbus_vtable,
                                         NULL, NULL, &error) == 0)
    g_error ("cannot export the object: %s", error->message);
  service_n_gdbus_clients++;
  g_object_ref (connection);
  g_signal_connect (connection, "closed", G_CALLBACK (on_gdbus_closed), NULL);
  return TRUE;
}

static gboolean
on_stdin (gint fd, GIOCondition condition, gpointer user_data)
{
  char    buffer[64];
  ssize_t n = read (fd, buffer, sizeof buffer);

  if (n > 0 || (n < 0 && errno == EINTR))
    return G_SOURCE_CONTINUE;
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static int
serve (const char *kind, const char *address)
{
  GMainLoop   *loop = g_main_loop_new (NULL, FALSE);
  GDBusServer *gdbus_server = NULL;
  GError      *error = NULL;

  /* We die with the benchmark */
  prctl (PR_SET_PDEATHSIG, SIGKILL);

  if (g_str_equal (kind, "comlink"))
    {
      service_server = comlink_server_new_with_factory (make_service_object, NULL, NULL);
      if (!comlink_server_listen (service_server, address, &error))
        g_error ("cannot listen on %s: %s", address, error->message);
    }
  else if (g_str_equal (kind, "gdbus"))
    {
      char *guid = g_dbus_generate_guid ();

      gdbus_info = g_dbus_node_info_new_for_xml (gdbus_xml, &error);
      g_assert_no_error (error);
      gdbus_server = g_dbus_server_new_sync (address, G_DBUS_SERVER_FLAGS_NONE, guid, NULL, NULL, &error);
      g_free (guid);
      if (gdbus_server == NULL)
        g_error ("cannot listen on %s: %s", address, error->message);
      g_signal_connect (gdbus_server, "new-connection", G_CALLBACK (on_new_gdbus_connection), NULL);
      g_dbus_server_start (gdbus_server);
    }
  else
    {
      fprintf (stderr, "bench-service: --serve comlink|gdbus ADDRESS, not %s\n", kind);
      return 2;
    }

  g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, loop);
  printf ("listening\n");
  fflush (stdout);
  g_main_loop_run (loop);

  if (service_server != NULL)
    {
      comlink_server_stop (service_server);
      g_clear_object (&service_server);
    }
  if (gdbus_server != NULL)
    {
      g_dbus_server_stop (gdbus_server);
      g_object_unref (gdbus_server);
    }
  g_main_loop_unref (loop);
  return 0;
}

/* ================================================================== */
/* The benchmark                                                        */

/* The service, in a child process */
typedef struct
{
  const char       *kind;
  char             *address;
  GSubprocess      *subprocess;
  GDataInputStream *output;
  guint             pid;
} Service;

static void
service_start (Service *service, const char *kind)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                             G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  GError              *error = NULL;
  char                *self = g_file_read_link ("/proc/self/exe", &error);
  char                *line;
  const char          *argv[5];

  if (self == NULL)
    g_error ("cannot find this program: %s", error->message);

  service->kind = kind;
  service->address = g_strdup_printf ("unix:abstract=comlink-bench-service-%s-%d", kind, getpid ());
  argv[0] = self;
  argv[1] = "--serve";
  argv[2] = kind;
  argv[3] = service->address;
  argv[4] = NULL;
  service->subprocess = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (service->subprocess == NULL)
    g_error ("cannot start the %s service: %s", kind, error->message);
  g_object_unref (launcher);
  g_free (self);

  service->pid = (guint) g_ascii_strtoull (g_subprocess_get_identifier (service->subprocess), NULL, 10);
  service->output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (service->subprocess));
  line = g_data_input_stream_read_line_utf8 (service->output, NULL, NULL, &error);
  if (line == NULL || !g_str_equal (line, "listening"))
    g_error ("the %s service did not start: %s", kind,
             error != NULL ? error->message : (line != NULL ? line : "no output"));
  g_free (line);
}

static gboolean
service_stop (Service *service)
{
  GError  *error = NULL;
  gboolean ok;

  /* It serves until its standard input closes */
  g_output_stream_close (g_subprocess_get_stdin_pipe (service->subprocess), NULL, NULL);
  ok = g_subprocess_wait_check (service->subprocess, NULL, &error);
  if (!ok)
    {
      fprintf (stderr, "bench-service: the %s service: %s\n", service->kind, error->message);
      g_error_free (error);
    }
  g_clear_object (&service->output);
  g_clear_object (&service->subprocess);
  g_clear_pointer (&service->address, g_free);
  return ok;
}

/* The resident memory of @pid, in KiB, or -1 */
static long
rss_kib (guint pid)
{
  char  *path = g_strdup_printf ("/proc/%u/status", pid);
  char  *contents = NULL;
  long   rss = -1;
  char **lines;

  if (g_file_get_contents (path, &contents, NULL, NULL))
    {
      lines = g_strsplit (contents, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        if (g_str_has_prefix (lines[i], "VmRSS:"))
          rss = strtol (lines[i] + strlen ("VmRSS:"), NULL, 10);
      g_strfreev (lines);
    }
  g_free (contents);
  g_free (path);
  return rss;
}

/* ------------------------------------------------------------------ */
/* A round: the clients, their calls, and the count of completions      */

typedef struct
{
  gpointer connection; /* ComlinkProxy or GDBusConnection */
  guint    index;
  guint    next; /* the next call to make, from 0 */
} Client;

typedef struct _Round Round;

struct _Round
{
  const char *kind;
  guint       n_clients;
  guint       n_calls; /* per client */
  guint       window;
  Client     *clients;
  guint8     *completions; /* per call id */
  guint64     n_completed;
  guint64     n_errors;
  guint64     n_wrong;
  guint64     n_twice;
  guint       n_connected;
  guint       n_connect_failed;
  gint64      last_progress;

  void (*issue) (Round  *round,
                 Client *client);
};

/* Only one round runs at a time */
static Round *current;

static guint
call_id (Round *round, Client *client)
{
  return client->index * round->n_calls + client->next;
}

/* Every completion ends here */
static void
round_complete (Round *round, guint id, gboolean ok, gint64 result, const GError *error)
{
  guint   index = id / round->n_calls;
  Client *client = &round->clients[index];

  if (round->completions[id] > 0)
    round->n_twice++;
  if (round->completions[id] < G_MAXUINT8)
    round->completions[id]++;
  round->n_completed++;
  round->last_progress = g_get_monotonic_time ();

  if (!ok)
    {
      if (round->n_errors++ < 5)
        fprintf (stderr, "bench-service: %s call %u failed: %s\n", round->kind, id, error->message);
    }
  else if (result != (gint64) id + index)
    {
      if (round->n_wrong++ < 5)
        fprintf (stderr, "bench-service: %s call %u returned %" G_GINT64_FORMAT ", not %u\n", round->kind, id,
                 result, id + index);
    }

  if (client->next < round->n_calls)
    round->issue (round, client);
}

/* comlink */

static void
on_comlink_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GError *error = NULL;
  GValue *value = comlink_proxy_call_finish (COMLINK_PROXY (source), result, &error);

  round_complete (current, GPOINTER_TO_UINT (user_data), value != NULL,
                  value != NULL && G_VALUE_HOLDS_INT (value) ? g_value_get_int (value) : -1, error);
  if (value != NULL)
    {
      g_value_unset (value);
      g_free (value);
    }
  g_clear_error (&error);
}

static void
comlink_issue (Round *round, Client *client)
{
  GValue args[2] = { G_VALUE_INIT, G_VALUE_INIT };
  guint  id = call_id (round, client);

  client->next++;
  g_value_init (&args[0], G_TYPE_INT);
  g_value_set_int (&args[0], (int) id);
  g_value_init (&args[1], G_TYPE_INT);
  g_value_set_int (&args[1], (int) client->index);
  comlink_proxy_call_async (client->connection, "add", args, 2, NULL, on_comlink_done, GUINT_TO_POINTER (id));
}

/* GDBus */

static void
on_gdbus_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GError   *error = NULL;
  GVariant *reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  gint32    sum = -1;

  if (reply != NULL)
    g_variant_get (reply, "(i)", &sum);
  round_complete (current, GPOINTER_TO_UINT (user_data), reply != NULL, sum, error);
  g_clear_pointer (&reply, g_variant_unref);
  g_clear_error (&error);
}

static void
gdbus_issue (Round *round, Client *client)
{
  guint id = call_id (round, client);

  client->next++;
  g_dbus_connection_call (client->connection, NULL, GDBUS_PATH, GDBUS_INTERFACE, "Add",
                          g_variant_new ("(ii)", (gint32) id, (gint32) client->index), G_VARIANT_TYPE ("(i)"),
                          G_DBUS_CALL_FLAGS_NONE, G_MAXINT, NULL, on_gdbus_done, GUINT_TO_POINTER (id));
}

/* Connecting and disconnecting */

static void
on_comlink_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Client *client = user_data;
  GError *error = NULL;

  client->connection = comlink_connect_finish (result, &error);
  if (client->connection == NULL)
    {
      fprintf (stderr, "bench-service: comlink client %u cannot connect: %s\n", client->index, error->message);
      g_error_free (error);
      current->n_connect_failed++;
      return;
    }
  current->n_connected++;
}

static void
on_gdbus_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Client *client = user_data;
  GError *error = NULL;

  client->connection = g_dbus_connection_new_for_address_finish (result, &error);
  if (client->connection == NULL)
    {
      fprintf (stderr, "bench-service: GDBus client %u cannot connect: %s\n", client->index, error->message);
      g_error_free (error);
      current->n_connect_failed++;
      return;
    }
  current->n_connected++;
}

/* Connects every client of @round, all at once */
static void
connect_clients (Round *round, Service *service)
{
  for (guint i = 0; i < round->n_clients; i++)
    {
      Client *client = &round->clients[i];

      client->index = i;
      if (g_str_equal (round->kind, "comlink"))
        comlink_connect_async (service->address, NULL, on_comlink_connected, client);
      else
        g_dbus_connection_new_for_address (service->address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT, NULL,
                                           NULL, on_gdbus_connected, client);
    }
  while (round->n_connected + round->n_connect_failed < round->n_clients)
    g_main_context_iteration (NULL, TRUE);
  if (round->n_connect_failed > 0)
    g_error ("%u %s clients could not connect", round->n_connect_failed, round->kind);
}

static void
on_finalized (gpointer data, GObject *where_the_object_was)
{
  guint *n_alive = data;

  (*n_alive)--;
}

/* Closes every connection of @round and waits until they are gone here */
static void
disconnect_clients (Round *round)
{
  guint  n_alive = 0;
  gint64 deadline;

  for (guint i = 0; i < round->n_clients; i++)
    {
      Client *client = &round->clients[i];

      if (client->connection == NULL)
        continue;
      if (COMLINK_IS_PROXY (client->connection))
        {
          ComlinkConnection *connection = comlink_proxy_dup_connection (client->connection);

          n_alive++;
          g_object_weak_ref (G_OBJECT (connection), on_finalized, &n_alive);
          comlink_connection_close (connection);
          g_object_unref (connection);
        }
      else
        {
          n_alive++;
          g_object_weak_ref (G_OBJECT (client->connection), on_finalized, &n_alive);
          g_dbus_connection_close (client->connection, NULL, NULL, NULL);
        }
      g_clear_object (&client->connection);
    }

  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (n_alive > 0 && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  if (n_alive > 0)
    g_error ("%u %s connections are still alive 30 s after they were closed", n_alive, round->kind);
}

/* Makes every call of @round, @window at a time per client; returns the
 * time it took, in ns */
static gboolean
on_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static gint64
run_calls (Round *round)
{
  guint64 total = (guint64) round->n_clients * round->n_calls;
  gint64  t0 = bench_now_ns ();
  gint64  ns;
  guint   tick;

  round->last_progress = g_get_monotonic_time ();
  for (guint i = 0; i < round->n_clients; i++)
    for (guint j = 0; j < round->window && round->clients[i].next < round->n_calls; j++)
      round->issue (round, &round->clients[i]);

  /* Wakes up now and then to see whether anything still moves */
  tick = g_timeout_add_seconds (1, on_tick, NULL);
  while (round->n_completed < total)
    {
      g_main_context_iteration (NULL, TRUE);

      if (g_get_monotonic_time () - round->last_progress > STALL_SECONDS * G_USEC_PER_SEC)
        {
          fprintf (stderr, "bench-service: %s: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " calls never "
                           "completed (nothing for %d s)\n",
                   round->kind, total - round->n_completed, total, STALL_SECONDS);
          break;
        }
    }
  ns = bench_now_ns () - t0;
  g_source_remove (tick);

  return ns;
}

/* Every call completed once, with the right result */
static gboolean
check_round (Round *round)
{
  guint64 total = (guint64) round->n_clients * round->n_calls;
  guint64 n_missing = 0;

  for (guint64 id = 0; id < total; id++)
    if (round->completions[id] == 0)
      n_missing++;

  if (n_missing == 0 && round->n_twice == 0 && round->n_errors == 0 && round->n_wrong == 0 &&
      round->n_completed == total)
    return TRUE;

  fprintf (stderr, "bench-service: %s: of %" G_GUINT64_FORMAT " calls, %" G_GUINT64_FORMAT " never completed, "
                   "%" G_GUINT64_FORMAT " completed more than once, %" G_GUINT64_FORMAT " failed, "
                   "%" G_GUINT64_FORMAT " returned a wrong result\n",
           round->kind, total, n_missing, round->n_twice, round->n_errors, round->n_wrong);
  return FALSE;
}

/* The number of clients the service counts, through a probe connection
 * of its own */
static guint
probe_n_clients (Service *service, gpointer probe)
{
  GError *error = NULL;
  guint   n = 0;

  if (COMLINK_IS_PROXY (probe))
    {
      if (!comlink_proxy_call_with_args_sync (probe, "n-clients", NULL, &error, G_TYPE_INVALID, G_TYPE_UINT, &n))
        g_error ("n-clients: %s", error->message);
    }
  else
    {
      GVariant *reply = g_dbus_connection_call_sync (probe, NULL, GDBUS_PATH, GDBUS_INTERFACE, "NClients", NULL,
                                                     G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                                     &error);

      if (reply == NULL)
        g_error ("NClients: %s", error->message);
      g_variant_get (reply, "(u)", &n);
      g_variant_unref (reply);
    }
  return n;
}

/* The service's RSS once it counts no client but the probe */
static long
settled_rss (Service *service)
{
  Round    probe_round = { 0 };
  Client   probe_client = { 0 };
  gint64   deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  long     rss;
  gboolean settled = FALSE;

  probe_round.kind = service->kind;
  probe_round.n_clients = 1;
  probe_round.clients = &probe_client;
  current = &probe_round;
  connect_clients (&probe_round, service);

  while (g_get_monotonic_time () < deadline)
    {
      if (probe_n_clients (service, probe_client.connection) == 1)
        {
          settled = TRUE;
          break;
        }
      g_usleep (10000);
    }
  if (!settled)
    fprintf (stderr, "bench-service: the %s service still counts other clients after 30 s\n", service->kind);

  rss = rss_kib (service->pid);
  disconnect_clients (&probe_round);
  current = NULL;
  return rss;
}

typedef struct
{
  gboolean ok;
  double   seconds;
  double   calls_per_second;
  long     rss_kib; /* of the service, after the round */
} RoundResult;

static RoundResult
run_round (Service *service, guint n_clients, guint n_calls, guint window)
{
  Round       round = { 0 };
  RoundResult result = { 0 };
  gint64      ns;

  round.kind = service->kind;
  round.n_clients = n_clients;
  round.n_calls = n_calls;
  round.window = window;
  round.clients = g_new0 (Client, n_clients);
  round.completions = g_malloc0 ((gsize) n_clients * n_calls);
  round.issue = g_str_equal (service->kind, "comlink") ? comlink_issue : gdbus_issue;
  current = &round;

  connect_clients (&round, service);
  ns = run_calls (&round);
  result.ok = check_round (&round);
  result.seconds = (double) ns / 1e9;
  result.calls_per_second = (double) round.n_completed / result.seconds;
  disconnect_clients (&round);
  current = NULL;

  g_free (round.clients);
  g_free (round.completions);

  result.rss_kib = settled_rss (service);
  return result;
}

static char *
format_count (double value)
{
  guint64  n = (guint64) (value + 0.5);
  GString *s = g_string_new (NULL);
  char    *digits = g_strdup_printf ("%" G_GUINT64_FORMAT, n);
  gsize    len = strlen (digits);

  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append_c (s, ',');
      g_string_append_c (s, digits[i]);
    }
  g_free (digits);
  return g_string_free (s, FALSE);
}

/* format_count () for printf: the text lives until this was called
 * eight times more */
static const char *
count_text (double value)
{
  static char *ring[8];
  static guint next;
  guint        slot = next++ % G_N_ELEMENTS (ring);

  g_free (ring[slot]);
  ring[slot] = format_count (value);
  return ring[slot];
}

static gboolean
parse_count (const char *text, const char *what, guint *value)
{
  guint64 n;

  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT32, &n, NULL))
    {
      fprintf (stderr, "bench-service: %s takes a number above 0, not “%s”\n", what, text);
      return FALSE;
    }
  *value = (guint) n;
  return TRUE;
}

static gboolean
count_from_env (const char *name, guint *value)
{
  const char *text = g_getenv (name);

  return text == NULL || *text == '\0' || parse_count (text, name, value);
}

int
main (int argc, char **argv)
{
  Params      params = { 100, 10000, 100 };
  gboolean    gdbus = TRUE, ok = TRUE;
  Service     service = { 0 };
  RoundResult warmup, first, second, gdbus_warmup = { 0 }, gdbus_full = { 0 };
  guint       warmup_calls;
  double      growth;
  int         i;

  if (argc == 4 && g_str_equal (argv[1], "--serve"))
    return serve (argv[2], argv[3]);

  if (!count_from_env ("COMLINK_BENCH_CLIENTS", &params.n_clients) ||
      !count_from_env ("COMLINK_BENCH_CALLS", &params.n_calls) ||
      !count_from_env ("COMLINK_BENCH_WINDOW", &params.window))
    return 2;

  for (i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--quick"))
        {
          params.n_clients = 10;
          params.n_calls = 2000;
        }
      else if (g_str_equal (argv[i], "--no-gdbus"))
        gdbus = FALSE;
      else if (g_str_equal (argv[i], "--clients") && i + 1 < argc)
        {
          if (!parse_count (argv[++i], "--clients", &params.n_clients))
            return 2;
        }
      else if (g_str_equal (argv[i], "--calls") && i + 1 < argc)
        {
          if (!parse_count (argv[++i], "--calls", &params.n_calls))
            return 2;
        }
      else if (g_str_equal (argv[i], "--window") && i + 1 < argc)
        {
          if (!parse_count (argv[++i], "--window", &params.window))
            return 2;
        }
      else
        {
          fprintf (stderr, "usage: %s [--clients N] [--calls N] [--window N] [--quick] [--no-gdbus]\n", argv[0]);
          return 2;
        }
    }

  if ((guint64) params.n_clients * params.n_calls > G_MAXINT32 / 2)
    {
      fprintf (stderr, "bench-service: at most %d calls a round\n", G_MAXINT32 / 2);
      return 2;
    }

  /* A service that goes away must fail a write, not end us */
  signal (SIGPIPE, SIG_IGN);

  warmup_calls = MAX (params.n_calls / 10, 1);
  printf ("bench-service: %u clients x %u calls = %s calls a round, %u in flight per client (%s in all),\n"
          "each client on a connection of its own, the service in a child process, over an abstract Unix socket;\n"
          "a warm-up round of %u calls per client first. Processes not pinned.\n\n",
          params.n_clients, params.n_calls, count_text ((double) params.n_clients * params.n_calls),
          params.window, count_text ((double) params.n_clients * MIN (params.window, params.n_calls)),
          warmup_calls);
  fflush (stdout);

  service_start (&service, "comlink");
  printf ("service RSS at start (comlink): %ld KiB\n", rss_kib (service.pid));
  warmup = run_round (&service, params.n_clients, warmup_calls, params.window);
  printf ("comlink warm-up: %.2f s, %s calls/s, service RSS %ld KiB\n", warmup.seconds,
          count_text (warmup.calls_per_second), warmup.rss_kib);
  fflush (stdout);
  first = run_round (&service, params.n_clients, params.n_calls, params.window);
  printf ("comlink round 1: %.2f s, %s calls/s, service RSS %ld KiB\n", first.seconds,
          count_text (first.calls_per_second), first.rss_kib);
  fflush (stdout);
  second = run_round (&service, params.n_clients, params.n_calls, params.window);
  printf ("comlink round 2: %.2f s, %s calls/s, service RSS %ld KiB\n", second.seconds,
          count_text (second.calls_per_second), second.rss_kib);
  fflush (stdout);
  ok = service_stop (&service) && ok;
  ok = warmup.ok && first.ok && second.ok && ok;

  if (gdbus)
    {
      service_start (&service, "gdbus");
      printf ("service RSS at start (GDBus): %ld KiB\n", rss_kib (service.pid));
      gdbus_warmup = run_round (&service, params.n_clients, warmup_calls, params.window);
      printf ("GDBus warm-up: %.2f s, %s calls/s, service RSS %ld KiB\n", gdbus_warmup.seconds,
              count_text (gdbus_warmup.calls_per_second), gdbus_warmup.rss_kib);
      fflush (stdout);
      gdbus_full = run_round (&service, params.n_clients, params.n_calls, params.window);
      printf ("GDBus round 1: %.2f s, %s calls/s, service RSS %ld KiB\n", gdbus_full.seconds,
              count_text (gdbus_full.calls_per_second), gdbus_full.rss_kib);
      fflush (stdout);
      ok = service_stop (&service) && ok;
      ok = gdbus_warmup.ok && gdbus_full.ok && ok;
    }

  growth = first.rss_kib > 0 ? 100.0 * (double) (second.rss_kib - first.rss_kib) / (double) first.rss_kib : 0.0;

  printf ("\n%-44s %14s %14s\n", "", "comlink", gdbus ? "GDBus p2p" : "");
  bench_print_row (44, "calls/s, round 1", format_count (first.calls_per_second),
                   gdbus ? format_count (gdbus_full.calls_per_second) : g_strdup (""), NULL);
  bench_print_row (44, "calls/s, round 2", format_count (second.calls_per_second), g_strdup (""), NULL);
  bench_print_row (44, "time of a round (s)", g_strdup_printf ("%.2f", first.seconds),
                   gdbus ? g_strdup_printf ("%.2f", gdbus_full.seconds) : g_strdup (""), NULL);
  bench_print_row (44, "service RSS after the warm-up (KiB)", format_count (warmup.rss_kib),
                   gdbus ? format_count (gdbus_warmup.rss_kib) : g_strdup (""), NULL);
  bench_print_row (44, "service RSS after round 1 (KiB)", format_count (first.rss_kib),
                   gdbus ? format_count (gdbus_full.rss_kib) : g_strdup (""), NULL);
  bench_print_row (44, "service RSS after round 2 (KiB)", format_count (second.rss_kib), g_strdup (""), NULL);
  bench_print_row (44, "service RSS, round 2 against round 1", g_strdup_printf ("%+.1f%%", growth), g_strdup (""),
                   NULL);
  if (gdbus && gdbus_full.calls_per_second > 0)
    printf ("\ncomlink calls/s / GDBus calls/s: %.1f (round 1), %.1f (round 2)\n",
            first.calls_per_second / gdbus_full.calls_per_second,
            second.calls_per_second / gdbus_full.calls_per_second);

  printf ("every call completed exactly once with the right result: %s\n",
          warmup.ok && first.ok && second.ok && (!gdbus || (gdbus_warmup.ok && gdbus_full.ok)) ? "yes" : "NO");

  fflush (stdout);
#ifdef UNDER_ASAN
  printf ("service RSS not checked: built with AddressSanitizer, whose quarantine keeps freed memory\n");
#else
  if (first.rss_kib < 0 || second.rss_kib < 0)
    {
      fprintf (stderr, "bench-service: could not read the service's VmRSS\n");
      ok = FALSE;
    }
  else if (growth > RSS_GROWTH_LIMIT)
    {
      fprintf (stderr, "bench-service: FAILED: the service's RSS grew by %.1f%% from round 1 to round 2 "
                       "(%ld KiB to %ld KiB), more than %.0f%%\n",
               growth, first.rss_kib, second.rss_kib, RSS_GROWTH_LIMIT);
      ok = FALSE;
    }
  else
    {
      printf ("service RSS flat: round 2 within %.0f%% of round 1\n", RSS_GROWTH_LIMIT);
    }
#endif

  if (!ok)
    fprintf (stderr, "bench-service: FAILED\n");
  return ok ? 0 : 1;
}
