/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined(COMLINK_INSIDE) && !defined(COMLINK_COMPILATION)
#error "Only <comlink-glib/comlink.h> can be included directly."
#endif

#include <gio/gio.h>

#include "comlink-connection.h"
#include "comlink-container.h"

G_BEGIN_DECLS

#define COMLINK_TYPE_PROXY (comlink_proxy_get_type ())

/**
 * ComlinkSubscribeFlags:
 * @COMLINK_SUBSCRIBE_FLAGS_NONE: the arguments come as the peer's values
 * @COMLINK_SUBSCRIBE_FLAGS_INT64_AS_VARIANT: a 64-bit integer argument
 *   (`gint64`, `guint64`, `glong`, `gulong`) comes as a #GValue holding
 *   a #GVariant, `x` for a signed one, `t` for an unsigned one, as
 *   [method@Comlink.Proxy.propagate_int64_as_variant] gives a result: for
 *   bindings whose numbers are doubles (GJS)
 *
 * How [method@Comlink.Proxy.subscribe_full_async] hands the arguments of
 * an emission to its closure.
 *
 * Since: 0.1
 */
typedef enum /*< flags >*/
{
  COMLINK_SUBSCRIBE_FLAGS_NONE = 0,
  COMLINK_SUBSCRIBE_FLAGS_INT64_AS_VARIANT = 1 << 0,
} ComlinkSubscribeFlags;

COMLINK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (ComlinkProxy, comlink_proxy, COMLINK, PROXY, GObject)

COMLINK_AVAILABLE_IN_ALL
ComlinkProxy *comlink_wrap (ComlinkEndpoint *endpoint);
COMLINK_AVAILABLE_IN_ALL
ComlinkProxy *comlink_connection_wrap (ComlinkConnection *self);

COMLINK_AVAILABLE_IN_ALL
ComlinkConnection *comlink_proxy_dup_connection (ComlinkProxy *self);
COMLINK_AVAILABLE_IN_ALL
const char * const *comlink_proxy_get_path (ComlinkProxy *self);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_proxy_is_released (ComlinkProxy *self);
COMLINK_AVAILABLE_IN_ALL
ComlinkProxy *comlink_proxy_get_child (ComlinkProxy *self,
                                       const char   *name);

COMLINK_AVAILABLE_IN_ALL
void comlink_proxy_call_async (ComlinkProxy       *self,
                               const char         *method,
                               const GValue       *args,
                               guint               n_args,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data);
COMLINK_AVAILABLE_IN_ALL
GValue *comlink_proxy_call_finish (ComlinkProxy *self,
                                   GAsyncResult *result,
                                   GError      **error);
COMLINK_AVAILABLE_IN_ALL
GValue *comlink_proxy_call_sync (ComlinkProxy *self,
                                 const char   *method,
                                 const GValue *args,
                                 guint         n_args,
                                 GCancellable *cancellable,
                                 GError      **error);

COMLINK_AVAILABLE_IN_ALL
GValue *comlink_proxy_call_sync_with_details (ComlinkProxy *self,
                                              const char   *method,
                                              const GValue *args,
                                              guint         n_args,
                                              GCancellable *cancellable,
                                              char        **class_name,
                                              char        **stack,
                                              GError      **error);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_proxy_get_error_details (ComlinkProxy *self,
                                          GAsyncResult *result,
                                          const char  **class_name,
                                          const char  **stack);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_proxy_call_finish_value (ComlinkProxy *self,
                                          GAsyncResult *result,
                                          GValue       *value,
                                          GError      **error);

COMLINK_AVAILABLE_IN_ALL
void comlink_proxy_call_variant_async (ComlinkProxy       *self,
                                       const char         *method,
                                       GVariant           *parameters,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
COMLINK_AVAILABLE_IN_ALL
GVariant *comlink_proxy_call_variant_finish (ComlinkProxy *self,
                                             GAsyncResult *result,
                                             GError      **error);
COMLINK_AVAILABLE_IN_ALL
GVariant *comlink_proxy_call_variant_sync (ComlinkProxy *self,
                                           const char   *method,
                                           GVariant     *parameters,
                                           GCancellable *cancellable,
                                           GError      **error);

COMLINK_AVAILABLE_IN_ALL
void comlink_proxy_call_with_args_async (ComlinkProxy       *self,
                                         const char         *method,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data,
                                         GType               first_arg_type,
                                         ...);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_proxy_call_with_args_finish (ComlinkProxy *self,
                                              GAsyncResult *result,
                                              GError      **error,
                                              GType         return_type,
                                              ...);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_proxy_call_with_args_sync (ComlinkProxy *self,
                                            const char   *method,
                                            GCancellable *cancellable,
                                            GError      **error,
                                            GType         first_arg_type,
                                            ...);

COMLINK_AVAILABLE_IN_ALL
void comlink_proxy_call_full_async (ComlinkProxy       *self,
                                    const char         *method,
                                    const GValue       *args,
                                    guint               n_args,
                                    gint                timeout_msec,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data);
COMLINK_AVAILABLE_IN_ALL
GValue *comlink_proxy_call_full_finish (ComlinkProxy *self,
                                        GAsyncResult *result,
                                        GError      **error);
COMLINK_AVAILABLE_IN_ALL
gint comlink_proxy_get_timeout (ComlinkProxy *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_proxy_set_timeout (ComlinkProxy *self,
                                gint          timeout_msec);

COMLINK_AVAILABLE_IN_ALL
void comlink_proxy_get_async (ComlinkProxy       *self,
                              const char         *property,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data);
COMLINK_AVAILABLE_IN_ALL
GValue *comlink_proxy_get_finish (ComlinkProxy *self,
                                  GAsyncResult *result,
                                  GError      **error);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_proxy_propagate_value (ComlinkProxy *self,
                                        GAsyncResult *result,
                                        GValue       *value,
                                        GError      **error);
COMLINK_AVAILABLE_IN_ALL
ComlinkContainer *comlink_proxy_propagate_in_container (ComlinkProxy *self,
                                                        GAsyncResult *result,
                                                        GError      **error);
COMLINK_AVAILABLE_IN_ALL
GValue *comlink_proxy_propagate_int64_as_variant (ComlinkProxy *self,
                                                  GAsyncResult *result,
                                                  GError      **error);
COMLINK_AVAILABLE_IN_ALL
GValue *comlink_proxy_get_sync (ComlinkProxy *self,
                                const char   *property,
                                GCancellable *cancellable,
                                GError      **error);

COMLINK_AVAILABLE_IN_ALL
void comlink_proxy_set_async (ComlinkProxy       *self,
                              const char         *property,
                              const GValue       *value,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_proxy_set_finish (ComlinkProxy *self,
                                   GAsyncResult *result,
                                   GError      **error);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_proxy_set_sync (ComlinkProxy *self,
                                 const char   *property,
                                 const GValue *value,
                                 GCancellable *cancellable,
                                 GError      **error);

COMLINK_AVAILABLE_IN_ALL
void comlink_proxy_release (ComlinkProxy *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_proxy_release_async (ComlinkProxy       *self,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_proxy_release_finish (ComlinkProxy *self,
                                       GAsyncResult *result,
                                       GError      **error);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_proxy_release_sync (ComlinkProxy *self,
                                     GCancellable *cancellable,
                                     GError      **error);

COMLINK_AVAILABLE_IN_ALL
void comlink_proxy_construct_async (ComlinkProxy       *self,
                                    const char * const *names,
                                    const GValue       *values,
                                    guint               n_values,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data);
COMLINK_AVAILABLE_IN_ALL
ComlinkProxy *comlink_proxy_construct_finish (ComlinkProxy *self,
                                              GAsyncResult *result,
                                              GError      **error);
COMLINK_AVAILABLE_IN_ALL
ComlinkProxy *comlink_proxy_construct_sync (ComlinkProxy       *self,
                                            const char * const *names,
                                            const GValue       *values,
                                            guint               n_values,
                                            GCancellable       *cancellable,
                                            GError            **error);

COMLINK_AVAILABLE_IN_ALL
void comlink_proxy_subscribe_async (ComlinkProxy       *self,
                                    const char         *signal,
                                    GClosure           *closure,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data);
COMLINK_AVAILABLE_IN_ALL
void comlink_proxy_subscribe_full_async (ComlinkProxy         *self,
                                         const char           *signal,
                                         ComlinkSubscribeFlags flags,
                                         GClosure             *closure,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
COMLINK_AVAILABLE_IN_ALL
guint64 comlink_proxy_subscribe_finish (ComlinkProxy *self,
                                        GAsyncResult *result,
                                        GError      **error);
COMLINK_AVAILABLE_IN_ALL
guint64 comlink_proxy_subscribe_full_finish (ComlinkProxy *self,
                                             GAsyncResult *result,
                                             GError      **error);
COMLINK_AVAILABLE_IN_ALL
guint64 comlink_proxy_subscribe_sync (ComlinkProxy *self,
                                      const char   *signal,
                                      GClosure     *closure,
                                      GCancellable *cancellable,
                                      GError      **error);
COMLINK_AVAILABLE_IN_ALL
void comlink_proxy_unsubscribe (ComlinkProxy *self,
                                guint64       subscription);

COMLINK_AVAILABLE_IN_ALL
void comlink_proxy_create_endpoint_async (ComlinkProxy       *self,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
COMLINK_AVAILABLE_IN_ALL
ComlinkEndpoint *comlink_proxy_create_endpoint_finish (ComlinkProxy *self,
                                                       GAsyncResult *result,
                                                       GError      **error);
COMLINK_AVAILABLE_IN_ALL
ComlinkEndpoint *comlink_proxy_create_endpoint_sync (ComlinkProxy *self,
                                                     GCancellable *cancellable,
                                                     GError      **error);

COMLINK_AVAILABLE_IN_ALL
void comlink_proxy_describe_async (ComlinkProxy       *self,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data);
COMLINK_AVAILABLE_IN_ALL
GVariant *comlink_proxy_describe_finish (ComlinkProxy *self,
                                         GAsyncResult *result,
                                         GError      **error);
COMLINK_AVAILABLE_IN_ALL
GVariant *comlink_proxy_describe_sync (ComlinkProxy *self,
                                       GCancellable *cancellable,
                                       GError      **error);

G_END_DECLS
