/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined(COMLINK_INSIDE) && !defined(COMLINK_COMPILATION)
#error "Only <comlink-glib/comlink.h> can be included directly."
#endif

#include <gio/gio.h>

#include "comlink-connection.h"

G_BEGIN_DECLS

#define COMLINK_TYPE_SERVER (comlink_server_get_type ())

COMLINK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (ComlinkServer, comlink_server, COMLINK, SERVER, GObject)

/**
 * ComlinkServerFactoryFunc:
 * @server: the server
 * @client: the connection of a new client
 * @credentials: (nullable): the client's credentials, when its socket
 *   tells them
 * @user_data: the data passed to comlink_server_new_with_factory()
 * @error: return location for a #GError
 *
 * Makes the object that @client gets: its own, or a shared one.
 *
 * Returns: (transfer full) (nullable): the object to expose to @client,
 *   or %NULL with @error set to refuse it
 *
 * Since: 0.1
 */
typedef GObject *(*ComlinkServerFactoryFunc) (ComlinkServer     *server,
                                              ComlinkConnection *client,
                                              GCredentials      *credentials,
                                              gpointer           user_data,
                                              GError           **error);

COMLINK_AVAILABLE_IN_ALL
ComlinkServer *comlink_server_new (GObject *object);
COMLINK_AVAILABLE_IN_ALL
ComlinkServer *comlink_server_new_with_factory (ComlinkServerFactoryFunc factory,
                                                gpointer                 user_data,
                                                GDestroyNotify           user_data_free);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_server_listen (ComlinkServer *self,
                                const char    *address,
                                GError       **error);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_server_listen_socket (ComlinkServer *self,
                                       GSocket       *socket,
                                       GError       **error);
COMLINK_AVAILABLE_IN_ALL
guint comlink_server_listen_systemd (ComlinkServer *self,
                                     GError       **error);
COMLINK_AVAILABLE_IN_ALL
gboolean comlink_server_add_stream (ComlinkServer *self,
                                    GIOStream     *stream,
                                    GCredentials  *credentials);
COMLINK_AVAILABLE_IN_ALL
guint comlink_server_export_on_bus (ComlinkServer   *self,
                                    GDBusConnection *bus,
                                    const char      *object_path,
                                    GError         **error);
COMLINK_AVAILABLE_IN_ALL
void comlink_server_unexport_from_bus (ComlinkServer *self,
                                       guint          export_id);
COMLINK_AVAILABLE_IN_ALL
const char * const *comlink_server_get_addresses (ComlinkServer *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_server_stop (ComlinkServer *self);
COMLINK_AVAILABLE_IN_ALL
guint comlink_server_get_n_clients (ComlinkServer *self);
COMLINK_AVAILABLE_IN_ALL
GPtrArray *comlink_server_dup_clients (ComlinkServer *self);

COMLINK_AVAILABLE_IN_ALL
guint comlink_server_get_max_clients (ComlinkServer *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_server_set_max_clients (ComlinkServer *self,
                                     guint          max_clients);
COMLINK_AVAILABLE_IN_ALL
GTlsCertificate *comlink_server_get_tls_certificate (ComlinkServer *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_server_set_tls_certificate (ComlinkServer   *self,
                                         GTlsCertificate *certificate);
COMLINK_AVAILABLE_IN_ALL
GTlsAuthenticationMode comlink_server_get_tls_authentication_mode (ComlinkServer *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_server_set_tls_authentication_mode (ComlinkServer         *self,
                                                 GTlsAuthenticationMode mode);
COMLINK_AVAILABLE_IN_ALL
GTlsDatabase *comlink_server_get_tls_database (ComlinkServer *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_server_set_tls_database (ComlinkServer *self,
                                      GTlsDatabase  *database);
COMLINK_AVAILABLE_IN_ALL
guint comlink_server_get_handshake_timeout (ComlinkServer *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_server_set_handshake_timeout (ComlinkServer *self,
                                           guint          timeout_ms);

G_END_DECLS
