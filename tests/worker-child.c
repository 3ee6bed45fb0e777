/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The child of the subprocess worker tests: exposes a TestCalc to its
 * parent, which may construct a TestCounter ("Counter"), a TestCalc
 * ("Calc") or a TestSlow ("Slow") through it. "exit-early N" exits with status N before exposing anything;
 * "report [QUARK...]" tells, when its parent is gone, how the connection
 * ended and what it left behind; "report-late [QUARK...]" does the same,
 * but exposes its object only when SIGUSR1 comes. With
 * COMLINK_TEST_READ_TIMEOUT set, both serve with that read timeout. With
 * COMLINK_TEST_ALLOW_PTRACE set, any process may trace it. */

#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include "test-objects.h"

/* The peak of the resident memory, in KiB */
static long
rss_peak_kib (void)
{
  g_autofree char *status = NULL;
  const char      *line;
  long             peak = 0;

  if (g_file_get_contents ("/proc/self/status", &status, NULL, NULL) &&
      (line = strstr (status, "VmHWM:")) != NULL)
    sscanf (line, "VmHWM: %ld", &peak);
  return peak;
}

typedef struct
{
  ComlinkConnection *connection;
  GObject           *object;
  GError            *error;
  gboolean           closed;
  gboolean           exposed;
} LateState;

static void
on_late_closed (ComlinkConnection *connection,
                const GError      *error,
                LateState         *state)
{
  state->closed = TRUE;
  /* As comlink_worker_serve_parent() tells them apart */
  if (error->domain == COMLINK_ERROR && error->code != COMLINK_ERROR_CLOSED)
    state->error = g_error_copy (error);
}

static gboolean
on_expose_signal (gpointer user_data)
{
  LateState *state = user_data;

  /* The source stays until the end, when it is removed */
  if (state != NULL && !state->exposed)
    {
      state->exposed = TRUE;
      comlink_connection_expose (state->connection, state->object);
    }
  return G_SOURCE_CONTINUE;
}

/* As comlink_worker_serve_parent(), with the read timeout that
 * COMLINK_TEST_READ_TIMEOUT gives, if any; with @signal_source, the
 * object is exposed only when SIGUSR1 comes: until then, the parent's
 * requests for it wait */
static gboolean
serve_parent_own (GObject *object,
                  guint    signal_source,
                  GError **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(ComlinkEndpoint) endpoint = NULL;
  LateState state = { NULL, object, NULL, FALSE, FALSE };

  socket = g_socket_new_from_fd (atoi (g_getenv ("COMLINK_WORKER_FD")), error);
  if (socket == NULL)
    return FALSE;
  stream = G_IO_STREAM (g_socket_connection_factory_create_connection (socket));
  endpoint = comlink_stream_endpoint_new (stream);
  if (g_getenv ("COMLINK_TEST_READ_TIMEOUT") != NULL)
    comlink_stream_endpoint_set_read_timeout (COMLINK_STREAM_ENDPOINT (endpoint),
                                              atoi (g_getenv ("COMLINK_TEST_READ_TIMEOUT")));
  state.connection = g_object_ref (comlink_connection_get_for_endpoint (endpoint));
  g_signal_connect (state.connection, "closed", G_CALLBACK (on_late_closed), &state);
  if (signal_source != 0)
    g_source_set_callback (g_main_context_find_source_by_id (NULL, signal_source),
                           on_expose_signal, &state, NULL);
  else
    on_expose_signal (&state);

  while (!state.closed)
    g_main_context_iteration (NULL, TRUE);

  if (signal_source != 0)
    g_source_remove (signal_source);
  g_signal_handlers_disconnect_by_data (state.connection, &state);
  g_clear_object (&state.connection);
  for (guint i = 0; i < 1000 && g_main_context_iteration (NULL, FALSE); i++)
    ;

  if (state.error != NULL)
    {
      g_propagate_error (error, state.error);
      return FALSE;
    }
  return TRUE;
}

/* Serves the parent, then prints, for a test that plays a hostile
 * parent: how the connection ended ("result ok" or "result DOMAIN CODE
 * MESSAGE"), the descriptors and resident memory before (the worker's
 * socket not counted) and after, and whether each of @quarks exists. */
static int
report (gboolean     late,
        int          n_quarks,
        char * const quarks[])
{
  g_autoptr(TestCalc) calc = test_calc_new ();
  g_autoptr(GError) error = NULL;
  guint    fds_baseline;
  long     rss_before;
  guint    signal_source = 0;
  gboolean ok;

  comlink_register_constructible (G_OBJECT (calc), "Counter", TEST_TYPE_COUNTER);
  comlink_register_constructible (G_OBJECT (calc), "Calc", TEST_TYPE_CALC);
  /* Signal handling keeps descriptors of its own: in the baseline */
  if (late)
    signal_source = g_unix_signal_add (SIGUSR1, on_expose_signal, NULL);
  /* So do the main context's own descriptor, and the one GTask makes
   * once, on its first use (a blocking call back to the parent) */
  g_main_context_iteration (NULL, FALSE);
  g_type_ensure (G_TYPE_TASK);
  fds_baseline = test_count_fds () - 1;
  rss_before = test_rss_kib ();

  if (late || g_getenv ("COMLINK_TEST_READ_TIMEOUT") != NULL)
    ok = serve_parent_own (G_OBJECT (calc), signal_source, &error);
  else
    ok = comlink_worker_serve_parent (G_OBJECT (calc), &error);

  if (ok)
    g_print ("result ok\n");
  else
    g_print ("result %s %d %s\n", g_quark_to_string (error->domain), error->code, error->message);

  g_print ("fds-baseline %u\nfds-after %u\n", fds_baseline, test_count_fds ());
  g_print ("rss-before %ld\nrss-after %ld\nrss-peak %ld\n", rss_before, test_rss_kib (), rss_peak_kib ());
  g_print ("callbacks-alive %u\n", test_calc_get_n_callbacks_alive ());
  for (int i = 0; i < n_quarks; i++)
    g_print ("quark %s %d\n", quarks[i], g_quark_try_string (quarks[i]) != 0);

  return 0;
}

int
main (int argc, char *argv[])
{
  g_autoptr(TestCalc) calc = NULL;
  g_autoptr(GError) error = NULL;

  /* Any process may trace this one (ptrace-holder), whatever Yama says */
  if (g_getenv ("COMLINK_TEST_ALLOW_PTRACE") != NULL)
    prctl (PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);

  if (argc == 3 && g_str_equal (argv[1], "exit-early"))
    return atoi (argv[2]);

  if (argc >= 2 && g_str_equal (argv[1], "report"))
    return report (FALSE, argc - 2, argv + 2);
  if (argc >= 2 && g_str_equal (argv[1], "report-late"))
    return report (TRUE, argc - 2, argv + 2);

  /* A child that does not stop on SIGTERM and stays after its socket
   * closes: only SIGKILL ends it */
  if (argc == 2 && g_str_equal (argv[1], "stubborn"))
    {
      signal (SIGTERM, SIG_IGN);
      calc = test_calc_new ();
      comlink_worker_serve_parent (G_OBJECT (calc), NULL);
      for (;;)
        pause ();
    }

  calc = test_calc_new ();
  comlink_register_constructible (G_OBJECT (calc), "Counter", TEST_TYPE_COUNTER);
  comlink_register_constructible (G_OBJECT (calc), "Calc", TEST_TYPE_CALC);
  comlink_register_constructible (G_OBJECT (calc), "Slow", TEST_TYPE_SLOW);
  if (!comlink_worker_serve_parent (G_OBJECT (calc), &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  return 0;
}
