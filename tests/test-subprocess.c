/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Subprocess workers: calls, a child killed with calls in flight, a child
 * that exits before exposing anything, the worker's name, terminate, and
 * that start and terminate leave no file descriptor, thread or child
 * process behind. */

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test-objects.h"

static ComlinkWorker *
start_argv (const char * const *argv)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;
  ComlinkWorker *worker;

  /* In a sanitizer build, the child's own leak check at exit runs in a
   * process cloned as a sibling of the child, that is as a child of this
   * process, which nobody reaps: it would count as a zombie here. The
   * child's leaks are not this test's subject. */
  g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", "detect_leaks=0", TRUE);

  g_assert_nonnull (argv[0]);
  worker = comlink_worker_new_subprocess (launcher, argv, &error);
  g_assert_no_error (error);

  return worker;
}

static ComlinkWorker *
start_child (const char *arg1,
             const char *arg2)
{
  const char *argv[] = { g_getenv ("COMLINK_TEST_CHILD"), arg1, arg2, NULL };

  return start_argv (argv);
}

static ComlinkEndpoint *
test_stream_endpoint_for_fd (int fd)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new_from_fd (fd, &error);
  g_autoptr(GSocketConnection) connection = NULL;

  g_assert_no_error (error);
  connection = g_socket_connection_factory_create_connection (socket);
  return comlink_stream_endpoint_new (G_IO_STREAM (connection));
}

static void
wait_reaped (GSubprocess *subprocess)
{
  /* The identifier goes when the child has been reaped */
  test_wait_until (g_subprocess_get_identifier (subprocess) == NULL);
}

static void
test_subprocess_call (void)
{
  g_autoptr(ComlinkWorker) worker = start_child (NULL, NULL);
  g_autoptr(GSubprocess) subprocess = g_object_ref (comlink_worker_get_subprocess (worker));
  g_autoptr(GError) error = NULL;
  GValue *args = test_args_new (2, G_TYPE_INT, 40, G_TYPE_INT, 2);
  GValue *ret;

  ret = comlink_proxy_call_sync (comlink_worker_get_proxy (worker), "add", args, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (ret), ==, 42);
  g_boxed_free (G_TYPE_VALUE, ret);
  test_args_free (args, 2);
  g_assert_cmpint (comlink_worker_get_state (worker), ==, COMLINK_WORKER_STATE_RUNNING);

  comlink_worker_terminate (worker);
  g_assert_cmpint (comlink_worker_get_state (worker), ==, COMLINK_WORKER_STATE_TERMINATED);
  wait_reaped (subprocess);
  /* The child left when its socket closed, before SIGTERM or with it */
  g_assert_true (g_subprocess_get_if_exited (subprocess) || g_subprocess_get_if_signaled (subprocess));
}

/* Descriptors and large bytes cross to the child and back; none stays
 * open after terminate */
static void
test_subprocess_fds (void)
{
  guint fds_before = test_count_fds_baseline ();

  {
    g_autoptr(ComlinkWorker) worker = start_child (NULL, NULL);
    g_autoptr(GUnixFDList) list = g_unix_fd_list_new ();
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) bytes = NULL;
    ComlinkProxy *proxy = comlink_worker_get_proxy (worker);
    guint8       *data = g_malloc (8 << 20);
    char          buffer[16] = { 0 };
    gsize         n_read = 0;
    GValue       *args, *ret;

    for (guint i = 0; i < 2; i++)
      {
        int fd = test_pipe_with (i == 0 ? "left" : "right");

        g_unix_fd_list_append (list, fd, &error);
        close (fd);
      }
    args = test_args_new (1, G_TYPE_UNIX_FD_LIST, list);
    ret = comlink_proxy_call_sync (proxy, "read-fds", args, 1, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (g_value_get_string (ret), ==, "left|right");
    g_boxed_free (G_TYPE_VALUE, ret);
    test_args_free (args, 1);

    args = test_args_new (1, G_TYPE_STRING, "from the child");
    ret = comlink_proxy_call_sync (proxy, "open-pipe", args, 1, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (g_input_stream_read_all (g_value_get_object (ret), buffer, sizeof buffer - 1,
                                            &n_read, NULL, &error));
    g_assert_cmpstr (buffer, ==, "from the child");
    g_boxed_free (G_TYPE_VALUE, ret);
    test_args_free (args, 1);

    for (gsize j = 0; j < (8 << 20); j++)
      data[j] = (guint8) (j ^ (j >> 11));
    bytes = g_bytes_new_take (data, 8 << 20);

    /* Heap bytes go through the socket, shared ones as their own memfd,
     * both ways */
    for (guint shared = 0; shared < 2; shared++)
      {
        g_autoptr(GBytes) sent = shared ? comlink_bytes_new_shared_copy (g_bytes_get_data (bytes, NULL), 8 << 20, &error)
                                         : g_bytes_ref (bytes);

        g_assert_no_error (error);
        args = test_args_new (1, G_TYPE_BYTES, sent);
        ret = comlink_proxy_call_sync (proxy, "echo-bytes", args, 1, NULL, &error);
        g_assert_no_error (error);
        g_assert_true (g_bytes_equal (g_value_get_boxed (ret), bytes));
        g_assert_cmpint (test_is_in_memfd (g_bytes_get_data (g_value_get_boxed (ret), NULL)), ==, shared);
        g_boxed_free (G_TYPE_VALUE, ret);
        test_args_free (args, 1);
      }

    comlink_worker_terminate (worker);
    wait_reaped (comlink_worker_get_subprocess (worker));
  }

  test_wait_until (test_count_fds () <= fds_before);
}

static int
times_ten (ComlinkCallback *callback, int i)
{
  return i * 10;
}

/* The child makes blocking calls back to the parent while it serves a
 * request: its endpoint goes on reading in the nested main loop */
static void
test_subprocess_call_back_sync (void)
{
  g_autoptr(ComlinkWorker) worker = start_child (NULL, NULL);
  g_autoptr(ComlinkCallback) callback =
               comlink_callback_new_typed (g_cclosure_new (G_CALLBACK (times_ten), NULL, NULL),
                                           G_TYPE_INT, 1, G_TYPE_INT);
  g_autoptr(GError) error = NULL;
  GValue *args = test_args_new (2, G_TYPE_OBJECT, callback, G_TYPE_INT, 5);
  GValue *ret;

  ret = comlink_proxy_call_sync (comlink_worker_get_proxy (worker), "call-back-sync", args, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (ret), ==, 0 + 10 + 20 + 30 + 40);
  g_boxed_free (G_TYPE_VALUE, ret);
  test_args_free (args, 2);

  comlink_worker_terminate (worker);
  wait_reaped (comlink_worker_get_subprocess (worker));
}

static void
test_subprocess_sigkill (void)
{
  g_autoptr(ComlinkWorker) worker = start_child (NULL, NULL);
  g_autoptr(GError) error = NULL;
  TestExited e = { 0 };
  TestResult r[3] = { { 0 } };
  gint64     killed_at;
  GValue    *ret;

  g_signal_connect (worker, "exited", G_CALLBACK (test_on_exited), &e);
  ret = comlink_proxy_call_sync (comlink_worker_get_proxy (worker), "ping", NULL, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (ret);
  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    comlink_proxy_call_async (comlink_worker_get_proxy (worker), "hold", NULL, 0, NULL, test_on_call_done, &r[i]);
  g_usleep (20000);
  test_iterate_pending ();

  killed_at = g_get_monotonic_time ();
  g_subprocess_force_exit (comlink_worker_get_subprocess (worker));
  test_wait_until (r[0].n_calls + r[1].n_calls + r[2].n_calls == 3);

  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    {
      g_assert_error (r[i].error, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED);
      g_assert_nonnull (strstr (r[i].error->message, "signal 9"));
      g_assert_cmpint (r[i].time - killed_at, <, g_getenv ("COMLINK_TEST_SLOW") ? 2000000 : 100000);
    }
  g_assert_cmpuint (e.n_exited, ==, 1);
  g_assert_cmpint (comlink_worker_get_state (worker), ==, COMLINK_WORKER_STATE_EXITED);

  /* Later calls fail at once */
  g_assert_null (comlink_proxy_call_sync (comlink_worker_get_proxy (worker), "ping", NULL, 0, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED);
  test_iterate_pending ();
  g_assert_cmpuint (e.n_exited, ==, 1);

  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    test_result_clear (&r[i]);
  g_clear_error (&e.error);
}

/* The descriptors the process @pid has open */
static guint
count_fds_of (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/fd", pid);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static int
add_sync (ComlinkProxy *proxy,
          int           a,
          int           b)
{
  g_autoptr(GError) error = NULL;
  GValue *args = test_args_new (2, G_TYPE_INT, a, G_TYPE_INT, b);
  GValue *ret = comlink_proxy_call_sync (proxy, "add", args, 2, NULL, &error);
  int     sum;

  g_assert_no_error (error);
  sum = g_value_get_int (ret);
  g_boxed_free (G_TYPE_VALUE, ret);
  test_args_free (args, 2);
  return sum;
}

/* A new endpoint to the child's object comes as a Unix socket: wrapped,
 * it serves calls beside the first; releasing its proxy closes it on both
 * sides; terminating the child fails its calls at once; nothing is left
 * open */
static void
test_subprocess_create_endpoint (void)
{
  guint fds_before = test_count_fds_baseline ();

  {
    g_autoptr(ComlinkWorker) worker = start_child (NULL, NULL);
    g_autoptr(GError) error = NULL;
    g_autofree char *pid = g_strdup (g_subprocess_get_identifier (comlink_worker_get_subprocess (worker)));
    ComlinkEndpoint *endpoint;
    ComlinkProxy    *proxy;
    TestResult       r = { 0 };
    guint            child_fds;

    g_assert_cmpint (add_sync (comlink_worker_get_proxy (worker), 1, 2), ==, 3);
    child_fds = count_fds_of (pid);

    endpoint = comlink_proxy_create_endpoint_sync (comlink_worker_get_proxy (worker), NULL, &error);
    g_assert_no_error (error);
    g_assert_true (COMLINK_IS_STREAM_ENDPOINT (endpoint));
    proxy = comlink_wrap (endpoint);
    g_assert_cmpint (add_sync (proxy, 20, 22), ==, 42);
    g_assert_cmpuint (count_fds_of (pid), ==, child_fds + 1);

    /* Released: closed here, and there */
    g_object_add_weak_pointer (G_OBJECT (endpoint), (gpointer *) &endpoint);
    g_object_add_weak_pointer (G_OBJECT (proxy), (gpointer *) &proxy);
    g_object_unref (endpoint);
    comlink_proxy_release (proxy);
    g_object_unref (proxy);
    test_wait_until (endpoint == NULL && proxy == NULL);
    test_wait_until (count_fds_of (pid) == child_fds);
    g_assert_cmpint (add_sync (comlink_worker_get_proxy (worker), 3, 4), ==, 7);

    /* A call through a second one waits when the child goes */
    endpoint = comlink_proxy_create_endpoint_sync (comlink_worker_get_proxy (worker), NULL, &error);
    g_assert_no_error (error);
    proxy = comlink_wrap (endpoint);
    g_object_unref (endpoint);
    comlink_proxy_call_async (proxy, "hold", NULL, 0, NULL, test_on_call_done, &r);
    test_iterate_pending ();
    g_assert_cmpuint (r.n_calls, ==, 0);
    comlink_worker_terminate (worker);
    test_wait_until (r.n_calls == 1);
    /* The peer went: its end closed, or was reset if it had not read all */
    g_assert_true (g_error_matches (r.error, COMLINK_ERROR, COMLINK_ERROR_CLOSED) ||
                   g_error_matches (r.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED));
    g_object_add_weak_pointer (G_OBJECT (proxy), (gpointer *) &proxy);
    g_object_unref (proxy);
    test_wait_until (proxy == NULL);
    test_iterate_pending ();
    g_assert_cmpuint (r.n_calls, ==, 1);
    test_result_clear (&r);
  }

  test_wait_until (test_count_fds_baseline () == fds_before);
}

/* Endpoints passed to the child as arguments: a port of a channel is
 * bridged to a socket whose other end goes; a stream endpoint that was
 * not started goes with its own socket. Either way the child reaches the
 * object exposed here through it, and closing the child's side closes
 * this side too. */
static void
test_subprocess_endpoint_argument (void)
{
  guint fds_before = test_count_fds_baseline ();

  {
    g_autoptr(ComlinkWorker) worker = start_child (NULL, NULL);
    g_autoptr(ComlinkChannel) channel = comlink_channel_new ();
    g_autoptr(TestCalc) calc = test_calc_new ();
    g_autoptr(GError) error = NULL;
    ComlinkConnection *exposed;
    GValue            *args, *ret;

    exposed = g_object_ref (comlink_expose (G_OBJECT (calc), comlink_channel_get_port1 (channel)));
    args = test_args_new (3, COMLINK_TYPE_ENDPOINT, comlink_channel_get_port2 (channel), G_TYPE_INT, 20, G_TYPE_INT, 22);
    ret = comlink_proxy_call_sync (comlink_worker_get_proxy (worker), "add-through", args, 3, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (g_value_get_int (ret), ==, 42);
    g_boxed_free (G_TYPE_VALUE, ret);
    test_args_free (args, 3);
    /* The child dropped its proxy: its end closed, and the bridge closed
     * this one */
    test_wait_until (comlink_connection_is_closed (exposed));
    g_object_unref (exposed);

    {
      int pair[2];
      g_autoptr(ComlinkEndpoint) moving = NULL;
      g_autoptr(ComlinkEndpoint) serving = NULL;

      g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), ==, 0);
      moving = test_stream_endpoint_for_fd (pair[0]);
      serving = test_stream_endpoint_for_fd (pair[1]);
      exposed = g_object_ref (comlink_expose (G_OBJECT (calc), serving));
      args = test_args_new (3, COMLINK_TYPE_ENDPOINT, moving, G_TYPE_INT, 1, G_TYPE_INT, 2);
      ret = comlink_proxy_call_sync (comlink_worker_get_proxy (worker), "add-through", args, 3, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (g_value_get_int (ret), ==, 3);
      g_boxed_free (G_TYPE_VALUE, ret);
      test_args_free (args, 3);
      /* It moved: closed here */
      g_assert_true (comlink_endpoint_is_closed (moving));
      test_wait_until (comlink_connection_is_closed (exposed));
      g_object_unref (exposed);
    }

    comlink_worker_terminate (worker);
  }

  test_wait_until (test_count_fds_baseline () == fds_before);
}

static void
test_subprocess_exit_early (void)
{
  g_autoptr(ComlinkWorker) worker = start_child ("exit-early", "7");
  TestExited e = { 0 };
  TestResult r = { 0 };

  g_signal_connect (worker, "exited", G_CALLBACK (test_on_exited), &e);
  comlink_proxy_call_async (comlink_worker_get_proxy (worker), "ping", NULL, 0, NULL, test_on_call_done, &r);
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED);
  g_assert_nonnull (strstr (r.error->message, "status 7"));
  g_assert_cmpuint (e.n_exited, ==, 1);
  test_result_clear (&r);
  g_clear_error (&e.error);
}

/* A worker is named after its program; the error of a child that exited
 * names it */
static void
test_subprocess_name_program (void)
{
  g_autoptr(ComlinkWorker) worker = start_child ("exit-early", "7");
  TestResult r = { 0 };

  g_assert_cmpstr (comlink_worker_get_name (worker), ==, "worker-child");
  comlink_proxy_call_async (comlink_worker_get_proxy (worker), "ping", NULL, 0, NULL, test_on_call_done, &r);
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED);
  g_assert_nonnull (strstr (r.error->message, "“worker-child”"));
  test_result_clear (&r);
}

/* A program that env runs names the worker, not env */
static void
test_subprocess_name_through_env (void)
{
  const char *argv[] = { "/usr/bin/env", "COMLINK_TEST_UNUSED=1", g_getenv ("COMLINK_TEST_CHILD"), NULL };
  g_autoptr(ComlinkWorker) worker = start_argv (argv);
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  GValue          *args = test_args_new (2, G_TYPE_INT, 40, G_TYPE_INT, 2);
  GValue          *ret;

  g_assert_nonnull (argv[2]);
  g_object_get (worker, "name", &name, NULL);
  g_assert_cmpstr (name, ==, "worker-child");

  /* env passed the socket on: the worker works */
  ret = comlink_proxy_call_sync (comlink_worker_get_proxy (worker), "add", args, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (ret), ==, 42);
  g_boxed_free (G_TYPE_VALUE, ret);
  test_args_free (args, 2);
  comlink_worker_terminate (worker);
}

/* A worker that an interpreter runs is named after the script, past the
 * interpreter's options, also in the error when the child exits */
static void
test_subprocess_name_script (void)
{
  const char *argv[] = { "/usr/bin/python3", "-u", "-W", "ignore", "/nonexistent/comlink-test/missing-worker.py", "--verbose", NULL };
  g_autoptr(ComlinkWorker) worker = start_argv (argv);
  TestResult r = { 0 };

  g_assert_cmpstr (comlink_worker_get_name (worker), ==, "missing-worker.py");

  /* python3 cannot open the script and exits with status 2 */
  comlink_proxy_call_async (comlink_worker_get_proxy (worker), "ping", NULL, 0, NULL, test_on_call_done, &r);
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED);
  g_assert_nonnull (strstr (r.error->message, "“missing-worker.py”"));
  g_assert_nonnull (strstr (r.error->message, "status 2"));
  test_result_clear (&r);
}

/* A child that ignores SIGTERM is killed after the grace period */
static void
test_subprocess_grace_period (void)
{
  g_autoptr(ComlinkWorker) worker = start_child ("stubborn", NULL);
  g_autoptr(GSubprocess) subprocess = g_object_ref (comlink_worker_get_subprocess (worker));
  g_autoptr(GError) error = NULL;
  gint64 start;

  g_assert_null (comlink_proxy_call_sync (comlink_worker_get_proxy (worker), "ping", NULL, 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (comlink_worker_get_grace_period (worker), ==, 2000);
  comlink_worker_set_grace_period (worker, 100);

  start = g_get_monotonic_time ();
  comlink_worker_terminate (worker);
  wait_reaped (subprocess);
  g_assert_true (g_subprocess_get_if_signaled (subprocess));
  g_assert_cmpint (g_subprocess_get_term_sig (subprocess), ==, SIGKILL);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 100000);
}

static void
test_subprocess_spawn_fails (void)
{
  const char *argv[] = { "/nonexistent/comlink-child", NULL };
  g_autoptr(GError) error = NULL;

  g_assert_null (comlink_worker_new_subprocess (NULL, argv, &error));
  g_assert_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT);
}

static void
test_serve_parent_without_parent (void)
{
  g_autoptr(TestCalc) calc = test_calc_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (comlink_worker_serve_parent (G_OBJECT (calc), &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_FAILED);
}

static void
test_subprocess_cycles (void)
{
  guint          cycles = g_getenv ("COMLINK_TEST_SLOW") ? 20 : 200;
  guint          fds_before, threads_before, children_before;
  ComlinkWorker *warmup = start_child (NULL, NULL);

  /* Warm up: GLib starts its helper threads on first use */
  comlink_worker_terminate (warmup);
  wait_reaped (comlink_worker_get_subprocess (warmup));
  g_object_unref (warmup);
  test_start_glib_threads ();
  test_iterate_pending ();
  fds_before = test_count_fds ();
  threads_before = test_count_threads ();
  children_before = test_count_children ();

  for (guint i = 0; i < cycles; i++)
    {
      ComlinkWorker *worker = start_child (NULL, NULL);
      g_autoptr(GSubprocess) subprocess = g_object_ref (comlink_worker_get_subprocess (worker));
      TestResult r = { 0 };

      if (i % 2 == 0)
        {
          comlink_proxy_call_async (comlink_worker_get_proxy (worker), "ping", NULL, 0, NULL, test_on_call_done, &r);
          test_wait_until (r.n_calls == 1);
          g_assert_no_error (r.error);
          test_result_clear (&r);
        }
      comlink_worker_terminate (worker);
      g_object_unref (worker);
      wait_reaped (subprocess);
    }

  test_wait_until (test_count_fds () <= fds_before);
  test_wait_until (test_count_threads () <= threads_before);
  test_wait_until (test_count_children () <= children_before);
}

/* A worker that a tracer holds when it dies (a debugger; LeakSanitizer,
 * which traces a process as it exits): its parent cannot reap it until
 * the tracer lets go, and GLib 2.74 then reports it as exited with status
 * 0 without reaping it. The worker reaps it all the same: no zombie is
 * left. */
static void
test_subprocess_traced_at_exit (void)
{
  const char *argv[] = { g_getenv ("COMLINK_TEST_CHILD"), NULL };
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GSubprocess) holder = NULL;
  g_autoptr(GSubprocess) subprocess = NULL;
  g_autoptr(GDataInputStream) holder_output = NULL;
  g_autoptr(ComlinkWorker) worker = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stat_path = NULL;
  g_autofree char *line = NULL;
  const char      *holder_argv[4];
  char             pid[32];
  int              sum = 0;

  g_subprocess_launcher_setenv (launcher, "COMLINK_TEST_ALLOW_PTRACE", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", "detect_leaks=0", TRUE);
  worker = comlink_worker_new_subprocess (launcher, argv, &error);
  g_assert_no_error (error);
  subprocess = g_object_ref (comlink_worker_get_subprocess (worker));
  g_strlcpy (pid, g_subprocess_get_identifier (subprocess), sizeof pid);
  g_assert_true (comlink_proxy_call_with_args_sync (comlink_worker_get_proxy (worker), "add", NULL, &error,
                                                    G_TYPE_INT, 1, G_TYPE_INT, 2, G_TYPE_INVALID, G_TYPE_INT, &sum));
  g_assert_cmpint (sum, ==, 3);

  holder_argv[0] = g_getenv ("COMLINK_TEST_PTRACE_HOLDER");
  holder_argv[1] = pid;
  holder_argv[2] = "300";
  holder_argv[3] = NULL;
  g_assert_nonnull (holder_argv[0]);
  holder = g_subprocess_newv (holder_argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  holder_output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (holder));
  line = g_data_input_stream_read_line_utf8 (holder_output, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "attached");

  comlink_worker_terminate (worker);
  g_assert_cmpint (comlink_worker_get_state (worker), ==, COMLINK_WORKER_STATE_TERMINATED);
  test_wait_until (g_subprocess_get_identifier (subprocess) == NULL);
  g_assert_true (g_subprocess_wait (holder, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (holder));

  /* Gone, not a zombie: the worker reaped what GLib left */
  stat_path = g_strdup_printf ("/proc/%s/stat", pid);
  test_wait_until (!g_file_test (stat_path, G_FILE_TEST_EXISTS));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Comlink/Subprocess/call", test_subprocess_call);
  g_test_add_func ("/Comlink/Subprocess/fds", test_subprocess_fds);
  g_test_add_func ("/Comlink/Subprocess/call-back-sync", test_subprocess_call_back_sync);
  g_test_add_func ("/Comlink/Subprocess/sigkill-with-calls-in-flight", test_subprocess_sigkill);
  g_test_add_func ("/Comlink/Subprocess/exit-before-exposing", test_subprocess_exit_early);
  g_test_add_func ("/Comlink/Subprocess/name/program", test_subprocess_name_program);
  g_test_add_func ("/Comlink/Subprocess/name/through-env", test_subprocess_name_through_env);
  g_test_add_func ("/Comlink/Subprocess/name/script", test_subprocess_name_script);
  g_test_add_func ("/Comlink/Subprocess/create-endpoint", test_subprocess_create_endpoint);
  g_test_add_func ("/Comlink/Subprocess/endpoint-argument", test_subprocess_endpoint_argument);
  g_test_add_func ("/Comlink/Subprocess/grace-period", test_subprocess_grace_period);
  g_test_add_func ("/Comlink/Subprocess/spawn-fails", test_subprocess_spawn_fails);
  g_test_add_func ("/Comlink/Subprocess/serve-parent-without-parent", test_serve_parent_without_parent);
  g_test_add_func ("/Comlink/Subprocess/start-terminate-cycles", test_subprocess_cycles);
  g_test_add_func ("/Comlink/Subprocess/traced-at-exit", test_subprocess_traced_at_exit);

  return g_test_run ();
}
