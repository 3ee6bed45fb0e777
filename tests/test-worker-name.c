/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The name a subprocess worker gets from its command line: the script
 * that an interpreter runs, found past the interpreter's options, else
 * the program. */

#include <comlink-glib/comlink.h>

#include "comlink-worker-private.h"

typedef struct
{
  const char *argv[8];
  const char *name;
} NameCase;

static const NameCase cases[] = {
  /* Programs */
  { { "/usr/libexec/my-worker" }, "my-worker" },
  { { "my-worker", "--verbose", "input.txt" }, "my-worker" },
  { { "./python-helper" }, "python-helper" },
  { { "/usr/bin/foo2", "x.py" }, "foo2" },
  /* Python, its options and their values */
  { { "/usr/bin/python3", "worker.py" }, "worker.py" },
  { { "python3", "/srv/app/tasks/worker.py", "--port", "3" }, "worker.py" },
  { { "python", "-u", "worker.py" }, "worker.py" },
  { { "python3.11", "-W", "ignore", "-X", "dev", "worker.py" }, "worker.py" },
  { { "python3", "-Wignore", "-Xdev", "-OO", "worker.py" }, "worker.py" },
  { { "python3", "--check-hash-based-pycs", "never", "worker.py" }, "worker.py" },
  { { "python3", "-m", "app.worker", "--fast" }, "app.worker" },
  { { "python3", "-um", "app.worker" }, "app.worker" },
  { { "python3", "-mapp.worker" }, "app.worker" },
  { { "python3", "-c", "import app; app.run ()" }, "python3" },
  { { "python3", "-uc", "import app" }, "python3" },
  { { "python3", "-" }, "python3" },
  { { "python3" }, "python3" },
  { { "python3", "-u" }, "python3" },
  { { "python3", "-m" }, "python3" },
  { { "python3", "--", "-odd-name.py" }, "-odd-name.py" },
  /* GJS: -m is a flag, the module is the first argument */
  { { "gjs", "-m", "worker.js" }, "worker.js" },
  { { "/usr/bin/gjs", "-m", "/srv/app/worker.js", "class" }, "worker.js" },
  { { "gjs-console", "-I", "/srv/lib", "-m", "worker.js" }, "worker.js" },
  { { "gjs", "--include-path", "/srv/lib", "worker.js" }, "worker.js" },
  { { "gjs", "--include-path=/srv/lib", "--module", "worker.js" }, "worker.js" },
  { { "gjs", "-c", "print (1)" }, "gjs" },
  { { "gjs", "--command", "print (1)" }, "gjs" },
  /* Node, Perl, Ruby */
  { { "node", "--require", "ts-node/register", "worker.ts" }, "worker.ts" },
  { { "node18", "-r", "dotenv/config", "worker.js" }, "worker.js" },
  { { "node", "--eval", "1" }, "node" },
  { { "perl", "-Ilib", "-w", "worker.pl" }, "worker.pl" },
  { { "perl", "-I", "lib", "worker.pl" }, "worker.pl" },
  { { "perl", "-e", "print 1" }, "perl" },
  { { "ruby", "-r", "json", "worker.rb" }, "worker.rb" },
  /* Shells */
  { { "/bin/sh", "-e", "worker.sh" }, "worker.sh" },
  { { "bash", "-o", "pipefail", "+o", "posix", "worker.sh" }, "worker.sh" },
  { { "bash", "--rcfile", "rc", "worker.sh" }, "worker.sh" },
  { { "sh", "-c", "exec worker", "worker.sh" }, "sh" },
  /* env runs a program, which may be an interpreter */
  { { "/usr/bin/env", "python3", "worker.py" }, "worker.py" },
  { { "env", "-i", "A=1", "-u", "B", "/opt/worker" }, "worker" },
  { { "env", "A=1" }, "env" },
};

static void
test_names (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = _comlink_worker_name_from_argv (cases[i].argv);
      g_autofree char *line = g_strjoinv (" ", (char **) cases[i].argv);

      g_test_message ("%s", line);
      g_assert_cmpstr (name, ==, cases[i].name);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Comlink/Worker/name-from-argv", test_names);

  return g_test_run ();
}
