/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include "comlink-worker.h"

G_BEGIN_DECLS

/* The name of a subprocess worker started with @argv: the script (or
 * module) when argv[0] is a known interpreter, else argv[0]'s basename */
char *_comlink_worker_name_from_argv (const char * const *argv);

G_END_DECLS
