/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The child of the subprocess worker tests: exposes a TestCalc to its
 * parent, which may construct a TestCounter ("Counter") or a TestCalc
 * ("Calc") through it. "exit-early N" exits with status N before exposing anything;
 * "report [QUARK...]" tells, when its parent is gone, how the connection
 * ended and what it left behind (with COMLINK_TEST_READ_TIMEOUT set, it
 * serves with that read timeout). */

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "test-objects.h"

static long
rss_kib (void)
{
  g_autofree char *statm = NULL;
  long             size = 0;
  long             resident = 0;

  malloc_trim (0);
  if (g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL))
    sscanf (statm, "%ld %ld", &size, &resident);
  return resident * (sysconf (_SC_PAGESIZE) / 1024);
}

static void
on_closed (ComlinkConnection *connection,
           const GError      *error,
           GError           **closed)
{
  *closed = g_error_copy (error);
}

/* As comlink_worker_serve_parent(), with a read timeout of @seconds */
static gboolean
serve_with_read_timeout (GObject *object,
                         guint    seconds,
                         GError **error)
{
  g_autoptr(GSocket) socket = g_socket_new_from_fd (atoi (g_getenv ("COMLINK_WORKER_FD")), error);
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(ComlinkEndpoint) endpoint = NULL;
  ComlinkConnection *connection;
  GError            *closed = NULL;

  if (socket == NULL)
    return FALSE;
  stream = G_IO_STREAM (g_socket_connection_factory_create_connection (socket));
  endpoint = comlink_stream_endpoint_new (stream);
  comlink_stream_endpoint_set_read_timeout (COMLINK_STREAM_ENDPOINT (endpoint), seconds);
  connection = comlink_expose (object, endpoint);
  g_signal_connect (connection, "closed", G_CALLBACK (on_closed), &closed);
  while (closed == NULL)
    g_main_context_iteration (NULL, TRUE);
  while (g_main_context_iteration (NULL, FALSE))
    ;

  if (g_error_matches (closed, COMLINK_ERROR, COMLINK_ERROR_CLOSED))
    {
      g_error_free (closed);
      return TRUE;
    }
  g_propagate_error (error, closed);
  return FALSE;
}

/* Serves the parent, then prints, for a test that plays a hostile
 * parent: how the connection ended ("result ok" or "result DOMAIN CODE
 * MESSAGE"), the descriptors and resident memory before (the worker's
 * socket not counted) and after, and whether each of @quarks exists. */
static int
report (int          n_quarks,
        char * const quarks[])
{
  g_autoptr(TestCalc) calc = test_calc_new ();
  g_autoptr(GError) error = NULL;
  guint fds_baseline;
  long  rss_before;

  comlink_register_constructible (G_OBJECT (calc), "Counter", TEST_TYPE_COUNTER);
  comlink_register_constructible (G_OBJECT (calc), "Calc", TEST_TYPE_CALC);
  /* The main context's own descriptor belongs to the baseline */
  g_main_context_iteration (NULL, FALSE);
  fds_baseline = test_count_fds () - 1;
  rss_before = rss_kib ();

  if (g_getenv ("COMLINK_TEST_READ_TIMEOUT") != NULL
        ? serve_with_read_timeout (G_OBJECT (calc), atoi (g_getenv ("COMLINK_TEST_READ_TIMEOUT")), &error)
        : comlink_worker_serve_parent (G_OBJECT (calc), &error))
    g_print ("result ok\n");
  else
    g_print ("result %s %d %s\n", g_quark_to_string (error->domain), error->code, error->message);

  g_print ("fds-baseline %u\nfds-after %u\n", fds_baseline, test_count_fds ());
  g_print ("rss-before %ld\nrss-after %ld\n", rss_before, rss_kib ());
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

  if (argc == 3 && g_str_equal (argv[1], "exit-early"))
    return atoi (argv[2]);

  if (argc >= 2 && g_str_equal (argv[1], "report"))
    return report (argc - 2, argv + 2);

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
  if (!comlink_worker_serve_parent (G_OBJECT (calc), &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  return 0;
}
