/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include <gio/gio.h>

#include "comlink-connection.h"
#include "comlink-invocation.h"
#include "comlink-proxy.h"
#include "comlink-wire-private.h"

G_BEGIN_DECLS


/* What a ComlinkProxy registers with its connection. The proxy owns it;
 * the connection's tables point to it while the proxy is alive and the
 * connection open. Fields are protected by the connection's mutex. */
typedef struct
{
  GWeakRef proxy;
  guint64  object_id;
  guint32  import_count;
  guint    registered : 1;
} ComlinkProxyRecord;

void          _comlink_connection_close_with_error (ComlinkConnection *self,
                                                    const GError      *error);
const GError *_comlink_connection_get_close_error (ComlinkConnection *self);
void          _comlink_connection_request (ComlinkConnection  *self,
                                           ComlinkMessageType  type,
                                           guint64             target,
                                           GVariant           *path,
                                           const char          *const *names,
                                           const GValue       *args,
                                           guint               n_args,
                                           gint                call_timeout_msec,
                                           gint                proxy_timeout_msec,
                                           gpointer            task);
guint         _comlink_timeout_resolve (gint  call_timeout_msec,
                                        gint  proxy_timeout_msec,
                                        guint connection_timeout_msec);
GError       *_comlink_timeout_error_new (guint timeout_msec);
void          _comlink_connection_return (ComlinkConnection *self,
                                          ComlinkInvocation *invocation,
                                          const GValue      *value,
                                          const GError      *error);
void          _comlink_connection_return_error_full (ComlinkConnection *self,
                                                     ComlinkInvocation *invocation,
                                                     const GError      *error,
                                                     const char        *class_name,
                                                     const char        *stack);
void          _comlink_connection_register_proxy (ComlinkConnection  *self,
                                                  ComlinkProxyRecord *record);
void          _comlink_connection_unregister_proxy (ComlinkConnection  *self,
                                                    ComlinkProxyRecord *record,
                                                    GTask              *release_task);
void          _comlink_connection_unref_in_context (ComlinkConnection *self);

/* Used by the value conversion (comlink-value.c) */
guint64  _comlink_connection_export (ComlinkConnection *self,
                                     GObject           *object,
                                     GError           **error);
void     _comlink_connection_unexport (ComlinkConnection *self,
                                       guint64            id);
GObject *_comlink_connection_lookup_export (ComlinkConnection *self,
                                            guint64            id);
GObject *_comlink_connection_import (ComlinkConnection *self,
                                     guint64            id);

char   *_comlink_connection_park (ComlinkConnection *self,
                                  ComlinkEndpoint   *endpoint);
guint64 _comlink_connection_subscribe (ComlinkConnection    *self,
                                       ComlinkProxy         *proxy,
                                       guint64               target,
                                       GVariant             *path,
                                       ComlinkSubscribeFlags flags,
                                       GClosure             *closure,
                                       GTask                *task);
void    _comlink_connection_unsubscribe (ComlinkConnection *self,
                                         guint64            id);

/* What a peer's ERROR said beyond the GError, kept on the task of the
 * call that it failed; either may be NULL */
typedef struct
{
  char *class_name;
  char *stack;
} ComlinkErrorDetails;

gboolean _comlink_result_get_error_details (gpointer     result,
                                            const char **class_name,
                                            const char **stack);
void     _comlink_task_copy_error_details (gpointer to,
                                           gpointer from);

G_END_DECLS
