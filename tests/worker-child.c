/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The child of the subprocess worker tests: exposes a TestCalc to its
 * parent. "exit-early N" exits with status N before exposing anything. */

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "test-objects.h"

int
main (int argc, char *argv[])
{
  g_autoptr(TestCalc) calc = NULL;
  g_autoptr(GError) error = NULL;

  if (argc == 3 && g_str_equal (argv[1], "exit-early"))
    return atoi (argv[2]);

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
  if (!comlink_worker_serve_parent (G_OBJECT (calc), &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  return 0;
}
