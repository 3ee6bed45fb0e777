/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined(COMLINK_INSIDE) && !defined(COMLINK_COMPILATION)
#error "Only <comlink-glib/comlink.h> can be included directly."
#endif

#include "comlink-container.h"
#include "comlink-worker.h"

G_BEGIN_DECLS

/**
 * ComlinkWorkerPoolState:
 * @COMLINK_WORKER_POOL_STATE_RUNNING: the pool has workers, or is
 *   replacing them: calls are served or queued
 * @COMLINK_WORKER_POOL_STATE_EXITED: the pool stopped replacing the workers
 *   that exited (see [signal@Comlink.WorkerPool::respawn-stopped]) and the
 *   last one exited: every call fails with %COMLINK_ERROR_WORKER_EXITED
 * @COMLINK_WORKER_POOL_STATE_TERMINATED: [method@Comlink.WorkerPool.terminate]
 *   ended the pool
 *
 * The life cycle of a [class@Comlink.WorkerPool].
 *
 * Since: 0.1
 */
typedef enum
{
  COMLINK_WORKER_POOL_STATE_RUNNING,
  COMLINK_WORKER_POOL_STATE_EXITED,
  COMLINK_WORKER_POOL_STATE_TERMINATED,
} ComlinkWorkerPoolState;

#define COMLINK_TYPE_WORKER_POOL (comlink_worker_pool_get_type ())

COMLINK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (ComlinkWorkerPool, comlink_worker_pool, COMLINK, WORKER_POOL, GObject)

COMLINK_AVAILABLE_IN_ALL
ComlinkWorkerPool *comlink_worker_pool_new_thread (const char            *name,
                                                   guint                  n_workers,
                                                   ComlinkWorkerSetupFunc setup,
                                                   gpointer               user_data,
                                                   GDestroyNotify         destroy);
COMLINK_AVAILABLE_IN_ALL
ComlinkWorkerPool *comlink_worker_pool_new_subprocess (GSubprocessLauncher *launcher,
                                                       const char * const  *argv,
                                                       guint                n_workers,
                                                       GError             **error);

COMLINK_AVAILABLE_IN_ALL
const char *comlink_worker_pool_get_name (ComlinkWorkerPool *self);
COMLINK_AVAILABLE_IN_ALL
guint comlink_worker_pool_get_n_workers (ComlinkWorkerPool *self);
COMLINK_AVAILABLE_IN_ALL
GList *comlink_worker_pool_dup_workers (ComlinkWorkerPool *self);
COMLINK_AVAILABLE_IN_ALL
ComlinkWorkerPoolState comlink_worker_pool_get_state (ComlinkWorkerPool *self);
COMLINK_AVAILABLE_IN_ALL
guint comlink_worker_pool_get_n_busy (ComlinkWorkerPool *self);
COMLINK_AVAILABLE_IN_ALL
guint comlink_worker_pool_get_n_queued (ComlinkWorkerPool *self);
COMLINK_AVAILABLE_IN_ALL
guint comlink_worker_pool_get_max_queued (ComlinkWorkerPool *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_worker_pool_set_max_queued (ComlinkWorkerPool *self,
                                         guint              max_queued);
COMLINK_AVAILABLE_IN_ALL
guint comlink_worker_pool_get_max_calls_per_worker (ComlinkWorkerPool *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_worker_pool_set_max_calls_per_worker (ComlinkWorkerPool *self,
                                                   guint              max_calls);
COMLINK_AVAILABLE_IN_ALL
guint comlink_worker_pool_get_respawn_limit (ComlinkWorkerPool *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_worker_pool_set_respawn_limit (ComlinkWorkerPool *self,
                                            guint              respawn_limit);
COMLINK_AVAILABLE_IN_ALL
guint comlink_worker_pool_get_respawn_interval (ComlinkWorkerPool *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_worker_pool_set_respawn_interval (ComlinkWorkerPool *self,
                                               guint              interval_msec);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_worker_pool_get_respawn_stopped (ComlinkWorkerPool *self);

COMLINK_AVAILABLE_IN_ALL
void comlink_worker_pool_call_async (ComlinkWorkerPool  *self,
                                     const char         *method,
                                     const GValue       *args,
                                     guint               n_args,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
COMLINK_AVAILABLE_IN_ALL
GValue *comlink_worker_pool_call_finish (ComlinkWorkerPool *self,
                                         GAsyncResult      *result,
                                         GError           **error);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_worker_pool_call_finish_value (ComlinkWorkerPool *self,
                                                GAsyncResult      *result,
                                                GValue            *value,
                                                GError           **error);

COMLINK_AVAILABLE_IN_ALL
void comlink_worker_pool_call_full_async (ComlinkWorkerPool  *self,
                                          const char         *method,
                                          const GValue       *args,
                                          guint               n_args,
                                          gint                timeout_msec,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
COMLINK_AVAILABLE_IN_ALL
GValue *comlink_worker_pool_call_full_finish (ComlinkWorkerPool *self,
                                              GAsyncResult      *result,
                                              GError           **error);

COMLINK_AVAILABLE_IN_ALL
void comlink_worker_pool_call_variant_async (ComlinkWorkerPool  *self,
                                             const char         *method,
                                             GVariant           *parameters,
                                             GCancellable       *cancellable,
                                             GAsyncReadyCallback callback,
                                             gpointer            user_data);
COMLINK_AVAILABLE_IN_ALL
GVariant *comlink_worker_pool_call_variant_finish (ComlinkWorkerPool *self,
                                                   GAsyncResult      *result,
                                                   GError           **error);

COMLINK_AVAILABLE_IN_ALL
gboolean comlink_worker_pool_get_error_details (ComlinkWorkerPool *self,
                                                GAsyncResult      *result,
                                                const char       **class_name,
                                                const char       **stack);
COMLINK_AVAILABLE_IN_ALL
ComlinkContainer *comlink_worker_pool_propagate_in_container (ComlinkWorkerPool *self,
                                                              GAsyncResult      *result,
                                                              GError           **error);
COMLINK_AVAILABLE_IN_ALL
GValue *comlink_worker_pool_propagate_int64_as_variant (ComlinkWorkerPool *self,
                                                        GAsyncResult      *result,
                                                        GError           **error);

COMLINK_AVAILABLE_IN_ALL
void comlink_worker_pool_terminate (ComlinkWorkerPool *self);

G_END_DECLS
