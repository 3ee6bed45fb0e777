/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Traces a process and holds it when it dies, as a debugger or
 * LeakSanitizer (which traces a process as it exits) can:
 *
 *   ptrace-holder PID MS
 *
 * attaches to PID, prints "attached", lets it run (passing its signals
 * on), and once it has died waits MS milliseconds before taking notice,
 * which is when its parent may reap it. Until then it is a zombie that its
 * parent cannot wait for yet. */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int
main (int argc, char *argv[])
{
  pid_t pid;
  int   ms;

  if (argc != 3)
    {
      fprintf (stderr, "usage: ptrace-holder PID MS\n");
      return 2;
    }
  pid = (pid_t) atoi (argv[1]);
  ms = atoi (argv[2]);

  if (ptrace (PTRACE_SEIZE, pid, NULL, NULL) != 0)
    {
      perror ("ptrace-holder: PTRACE_SEIZE");
      return 1;
    }
  printf ("attached\n");
  fflush (stdout);

  for (;;)
    {
      siginfo_t info = { 0 };

      /* Learn of the death without taking notice of it yet */
      if (waitid (P_PID, (id_t) pid, &info, WEXITED | WSTOPPED | WNOWAIT | __WALL) != 0)
        {
          perror ("ptrace-holder: waitid");
          return 1;
        }
      if (info.si_code == CLD_EXITED || info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED)
        {
          int status;

          usleep ((useconds_t) ms * 1000);
          waitpid (pid, &status, __WALL);
          return 0;
        }

      /* A stop: let it go on, with the signal that stopped it */
      {
        int status;

        waitpid (pid, &status, __WALL);
        if (WIFSTOPPED (status))
          ptrace (PTRACE_CONT, pid, NULL, (void *) (long) (status >> 16 == 0 ? WSTOPSIG (status) : 0));
      }
    }
}
