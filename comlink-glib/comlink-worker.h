/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined(COMLINK_INSIDE) && !defined(COMLINK_COMPILATION)
#error "Only <comlink-glib/comlink.h> can be included directly."
#endif

#include "comlink-proxy.h"

G_BEGIN_DECLS

/**
 * ComlinkWorkerState:
 * @COMLINK_WORKER_STATE_STARTING: the worker is being set up; calls are
 *   queued
 * @COMLINK_WORKER_STATE_RUNNING: the worker's object is exposed
 * @COMLINK_WORKER_STATE_EXITED: the worker ended on its own: its setup
 *   failed, it closed its side, exited or crashed
 * @COMLINK_WORKER_STATE_TERMINATED: [method@Comlink.Worker.terminate] ended
 *   the worker
 *
 * The life cycle of a [class@Comlink.Worker].
 *
 * Since: 0.1
 */
typedef enum
{
  COMLINK_WORKER_STATE_STARTING,
  COMLINK_WORKER_STATE_RUNNING,
  COMLINK_WORKER_STATE_EXITED,
  COMLINK_WORKER_STATE_TERMINATED,
} ComlinkWorkerState;

/**
 * ComlinkWorkerSetupFunc:
 * @user_data: the data given with the function
 * @error: return location for a #GError
 *
 * Runs in the worker's thread, with the worker's main context as the
 * thread-default one, and returns the object to expose.
 *
 * Returns: (transfer full) (nullable): the object to expose, or %NULL with
 *   @error set if the worker cannot start
 *
 * Since: 0.1
 */
typedef GObject *(*ComlinkWorkerSetupFunc) (gpointer user_data,
                                            GError **error);

#define COMLINK_TYPE_WORKER (comlink_worker_get_type ())

COMLINK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (ComlinkWorker, comlink_worker, COMLINK, WORKER, GObject)

COMLINK_AVAILABLE_IN_ALL
ComlinkWorker *comlink_worker_new_thread (const char            *name,
                                          ComlinkWorkerSetupFunc setup,
                                          gpointer               user_data,
                                          GDestroyNotify         destroy);
COMLINK_AVAILABLE_IN_ALL
ComlinkWorker *comlink_worker_new_subprocess (GSubprocessLauncher *launcher,
                                              const char * const  *argv,
                                              GError             **error);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_worker_serve_parent (GObject *object,
                                      GError **error);
COMLINK_AVAILABLE_IN_ALL
GSubprocess *comlink_worker_get_subprocess (ComlinkWorker *self);
COMLINK_AVAILABLE_IN_ALL
guint comlink_worker_get_grace_period (ComlinkWorker *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_worker_set_grace_period (ComlinkWorker *self,
                                      guint          grace_period_ms);
COMLINK_AVAILABLE_IN_ALL
ComlinkProxy *comlink_worker_get_proxy (ComlinkWorker *self);
COMLINK_AVAILABLE_IN_ALL
ComlinkConnection *comlink_worker_get_connection (ComlinkWorker *self);
COMLINK_AVAILABLE_IN_ALL
ComlinkWorkerState comlink_worker_get_state (ComlinkWorker *self);
COMLINK_AVAILABLE_IN_ALL
const char *comlink_worker_get_name (ComlinkWorker *self);
COMLINK_AVAILABLE_IN_ALL
guint comlink_worker_get_timeout (ComlinkWorker *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_worker_set_timeout (ComlinkWorker *self,
                                 guint          timeout_msec);
COMLINK_AVAILABLE_IN_ALL
void comlink_worker_terminate (ComlinkWorker *self);

G_END_DECLS
