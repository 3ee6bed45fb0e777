/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include "comlink-worker.h"

G_BEGIN_DECLS

/* The name of a subprocess worker started with @argv: the script (or
 * module) when argv[0] is a known interpreter, else argv[0]'s basename */
char *_comlink_worker_name_from_argv (const char * const *argv);

/* For the pool, which passes the child's end of the socket itself:
 * comlink_worker_new_subprocess() is a socketpair, the child's end passed
 * as descriptor 3 by @launcher, then _comlink_worker_spawn() with the
 * parent's end as @fd (taken, also on failure) */
gboolean       _comlink_worker_socketpair (int      fds[2],
                                           GError **error);
ComlinkWorker *_comlink_worker_spawn (GSubprocessLauncher *launcher,
                                      const char * const  *argv,
                                      int                  fd,
                                      GError             **error);

G_END_DECLS
