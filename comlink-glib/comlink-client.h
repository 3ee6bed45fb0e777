/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined(COMLINK_INSIDE) && !defined(COMLINK_COMPILATION)
#error "Only <comlink-glib/comlink.h> can be included directly."
#endif

#include <gio/gio.h>

#include "comlink-proxy.h"

G_BEGIN_DECLS

/**
 * COMLINK_BUS_INTERFACE:
 *
 * The D-Bus interface through which a service hands out connections (see
 * [method@Comlink.Server.export_on_bus]).
 *
 * Since: 0.1
 */
#define COMLINK_BUS_INTERFACE "org.gnome.Comlink1"

/**
 * COMLINK_BUS_OBJECT_PATH:
 *
 * The object path at which a service exports
 * [const@Comlink.BUS_INTERFACE] unless told otherwise.
 *
 * Since: 0.1
 */
#define COMLINK_BUS_OBJECT_PATH "/org/gnome/Comlink1"

#define COMLINK_TYPE_CLIENT (comlink_client_get_type ())

COMLINK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (ComlinkClient, comlink_client, COMLINK, CLIENT, GObject)

COMLINK_AVAILABLE_IN_ALL
ComlinkClient *comlink_client_new (void);
COMLINK_AVAILABLE_IN_ALL
void comlink_client_connect_async (ComlinkClient      *self,
                                   const char         *address,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data);
COMLINK_AVAILABLE_IN_ALL
ComlinkProxy *comlink_client_connect_finish (ComlinkClient *self,
                                             GAsyncResult  *result,
                                             GError       **error);
COMLINK_AVAILABLE_IN_ALL
void comlink_client_connect_bus_async (ComlinkClient      *self,
                                       GDBusConnection    *bus,
                                       const char         *bus_name,
                                       const char         *object_path,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
COMLINK_AVAILABLE_IN_ALL
ComlinkProxy *comlink_client_connect_bus_finish (ComlinkClient *self,
                                                 GAsyncResult  *result,
                                                 GError       **error);

COMLINK_AVAILABLE_IN_ALL
GTlsCertificate *comlink_client_get_tls_certificate (ComlinkClient *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_client_set_tls_certificate (ComlinkClient   *self,
                                         GTlsCertificate *certificate);
COMLINK_AVAILABLE_IN_ALL
GTlsDatabase *comlink_client_get_tls_database (ComlinkClient *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_client_set_tls_database (ComlinkClient *self,
                                      GTlsDatabase  *database);

COMLINK_AVAILABLE_IN_ALL
void comlink_connect_async (const char         *address,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data);
COMLINK_AVAILABLE_IN_ALL
ComlinkProxy *comlink_connect_finish (GAsyncResult *result,
                                      GError      **error);
COMLINK_AVAILABLE_IN_ALL
void comlink_connect_bus_async (const char         *bus_name,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data);
COMLINK_AVAILABLE_IN_ALL
ComlinkProxy *comlink_connect_bus_finish (GAsyncResult *result,
                                          GError      **error);

G_END_DECLS
