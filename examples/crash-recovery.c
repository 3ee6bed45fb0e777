/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Recovering from a worker process that crashes.
 *
 * A parser object lives in a child process: this same program, started
 * with --child. Its "parse" method turns a string into a number, and
 * aborts the whole process on the input "crash", as a parser with a memory
 * bug would on a hostile document. The application feeds it inputs one by
 * one. When the worker crashes, the call in flight fails with
 * WORKER_EXITED, whose message names the signal; the application reports
 * it, starts a fresh worker and goes on with the next input.
 *
 * In a worker thread the same crash would take the application with it. */

#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <comlink-glib/comlink.h>

/* --- the worker's side --- */

#define EXAMPLE_TYPE_PARSER (example_parser_get_type ())
G_DECLARE_FINAL_TYPE (ExampleParser, example_parser, EXAMPLE, PARSER, GObject)

struct _ExampleParser
{
  GObject parent_instance;
};

G_DEFINE_FINAL_TYPE (ExampleParser, example_parser, G_TYPE_OBJECT)

/* parse (text) -> the number that text spells; "crash" hits the bug */
static int
parser_parse (ExampleParser *self,
              const char    *text)
{
  if (g_strcmp0 (text, "crash") == 0)
    {
      /* A crash on purpose leaves no core file behind */
      struct rlimit no_core = { 0, 0 };

      g_print ("worker %d: \"%s\" hits a bug, aborting\n", (int) getpid (), text);
      setrlimit (RLIMIT_CORE, &no_core);
      abort ();
    }

  return (int) g_ascii_strtoll (text, NULL, 10);
}

static void
example_parser_class_init (ExampleParserClass *klass)
{
  g_signal_new_class_handler ("parse", G_TYPE_FROM_CLASS (klass),
                              G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (parser_parse), NULL, NULL, NULL,
                              G_TYPE_INT, 1, G_TYPE_STRING);
}

static void
example_parser_init (ExampleParser *self)
{
}

/* The child's main: expose a parser until the parent goes away */
static int
run_worker (void)
{
  g_autoptr(GObject) parser = g_object_new (EXAMPLE_TYPE_PARSER, NULL);
  g_autoptr(GError) error = NULL;

  if (!comlink_worker_serve_parent (parser, &error))
    {
      g_printerr ("worker: %s\n", error->message);
      return 1;
    }

  return 0;
}

/* --- the application's side --- */

static const char * const inputs[] = { "1", "22", "333", "crash", "4444", "55555" };

/* This program's own file, to start it again as a worker */
static char *
find_self (const char *argv0)
{
  char *path = g_file_read_link ("/proc/self/exe", NULL);

  if (path != NULL)
    return path;
  if (strchr (argv0, G_DIR_SEPARATOR) != NULL)
    return g_canonicalize_filename (argv0, NULL);

  return g_find_program_in_path (argv0);
}

static ComlinkWorker *
start_worker (const char *self_path)
{
  const char * const argv[] = { self_path, "--child", NULL };
  g_autoptr(GError) error = NULL;
  ComlinkWorker *worker;

  worker = comlink_worker_new_subprocess (NULL, argv, &error);
  if (worker == NULL)
    {
      g_printerr ("app: could not start a worker: %s\n", error->message);
      return NULL;
    }
  g_print ("app: started worker %s\n",
           g_subprocess_get_identifier (comlink_worker_get_subprocess (worker)));

  return worker;
}

/* Waits until the child has been reaped, and tells how it ended */
static int
reap_signal (GSubprocess *subprocess)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (g_subprocess_get_identifier (subprocess) != NULL &&
         g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);

  if (g_subprocess_get_identifier (subprocess) != NULL ||
      !g_subprocess_get_if_signaled (subprocess))
    return 0;

  return g_subprocess_get_term_sig (subprocess);
}

/* Parses @text in @worker; the result, or -1 with @error set */
static gint64
parse (ComlinkWorker *worker,
       const char    *text,
       GError       **error)
{
  GValue  arg = G_VALUE_INIT;
  GValue *ret;
  gint64  number;

  g_value_init (&arg, G_TYPE_STRING);
  g_value_set_static_string (&arg, text);
  ret = comlink_proxy_call_sync (comlink_worker_get_proxy (worker), "parse", &arg, 1, NULL, error);
  g_value_unset (&arg);
  if (ret == NULL)
    return -1;

  number = g_value_get_int (ret);
  g_boxed_free (G_TYPE_VALUE, ret);

  return number;
}

int
main (int argc, char *argv[])
{
  g_autofree char *self_path = NULL;
  ComlinkWorker   *worker;
  guint            n_crashes = 0, n_wrong = 0, n_after_crash = 0, n_expected_after = 0;
  int              crash_signal = 0;
  gboolean         ok;

  setlocale (LC_ALL, "");
  if (argc == 2 && g_str_equal (argv[1], "--child"))
    return run_worker ();

  self_path = find_self (argv[0]);
  if (self_path == NULL)
    {
      g_printerr ("app: cannot find this program's own file\n");
      return 1;
    }
  worker = start_worker (self_path);
  if (worker == NULL)
    return 1;

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 number = parse (worker, inputs[i], &error);

      if (n_crashes > 0)
        n_expected_after++;

      if (error == NULL)
        {
          g_print ("app: \"%s\" -> %" G_GINT64_FORMAT "\n", inputs[i], number);
          if (number != g_ascii_strtoll (inputs[i], NULL, 10))
            n_wrong++;
          else if (n_crashes > 0)
            n_after_crash++;
        }
      else if (g_error_matches (error, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED))
        {
          GSubprocess *subprocess = comlink_worker_get_subprocess (worker);

          g_print ("app: \"%s\" failed: %s\n", inputs[i], error->message);
          crash_signal = reap_signal (subprocess);
          g_print ("app: the worker is gone (%s); starting a fresh one\n",
                   crash_signal != 0 ? g_strsignal (crash_signal) : "not by a signal");
          n_crashes++;

          /* The dead worker fails every call at once: let go of it */
          g_object_unref (worker);
          worker = start_worker (self_path);
          if (worker == NULL)
            return 1;
        }
      else
        {
          g_print ("app: \"%s\" failed: %s\n", inputs[i], error->message);
          n_wrong++;
        }
    }

  comlink_worker_terminate (worker);
  reap_signal (comlink_worker_get_subprocess (worker));
  g_object_unref (worker);

  ok = n_crashes == 1 && crash_signal == SIGABRT && n_wrong == 0 &&
       n_expected_after > 0 && n_after_crash == n_expected_after;
  g_print ("%s\n", ok ? "The fresh worker parsed every remaining input."
                      : "The application did not recover!");

  return ok ? 0 : 1;
}
