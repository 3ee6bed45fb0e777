/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Connecting to a service: by an address in the D-Bus address syntax
 * (comlink-address.c), or by a bus name whose owner hands out a socket
 * (COMLINK_BUS_INTERFACE, see comlink-server.c). Either way the result is
 * the root proxy of a connection on a stream endpoint, once the service's
 * handshake arrived: a service that refuses the client closes the stream
 * before it, and connecting fails.
 */

#include "config.h"

#include <unistd.h>

#include <gio/gunixfdlist.h>
#include <gio/gunixsocketaddress.h>

#include "comlink-address-private.h"
#include "comlink-client.h"
#include "comlink-connection.h"
#include "comlink-error.h"
#include "comlink-private.h"
#include "comlink-stream-endpoint.h"

struct _ComlinkClient
{
  GObject parent_instance;

  GTlsCertificate *tls_certificate;
  GTlsDatabase    *tls_database;
};

enum
{
  PROP_0,
  PROP_TLS_CERTIFICATE,
  PROP_TLS_DATABASE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/**
 * ComlinkClient:
 *
 * Connects to services, with the TLS settings that TCP connections use:
 * a client certificate and the certificate authorities that a service's
 * certificate must be signed by. Without such settings,
 * [func@Comlink.connect_async] and [func@Comlink.connect_bus_async] do
 * the same.
 *
 * Connecting gives the root [class@Comlink.Proxy] of the service's object,
 * once the service accepted the client; when the service goes, every call
 * pending on it fails at once with %COMLINK_ERROR_CLOSED.
 *
 * A connection over TCP with TLS, to a service whose certificate is signed
 * by the authority in `ca.pem`:
 *
 * |[<!-- language="C" -->
 * static void
 * on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
 * {
 *   g_autoptr(GError) error = NULL;
 *   g_autoptr(ComlinkProxy) proxy = comlink_client_connect_finish (COMLINK_CLIENT (source),
 *                                                                  result, &error);
 *
 *   if (proxy == NULL)
 *     g_warning ("Cannot connect: %s", error->message);
 *   else
 *     comlink_proxy_call_with_args_async (proxy, "add", NULL, on_added, NULL,
 *                                         G_TYPE_INT, 2, G_TYPE_INT, 3, G_TYPE_INVALID);
 * }
 *
 * g_autoptr(ComlinkClient) client = comlink_client_new ();
 * g_autoptr(GTlsDatabase) authorities = g_tls_file_database_new ("ca.pem", &error);
 *
 * comlink_client_set_tls_database (client, authorities);
 * comlink_client_connect_async (client, "tcp:host=notes.example.org,port=4000", NULL,
 *                               on_connected, NULL);
 * ]|
 *
 * See also: [Desktop services: one service, many applications](services.html),
 * [A hostile peer](security.html).
 *
 * Since: 0.1
 */

G_DEFINE_FINAL_TYPE (ComlinkClient, comlink_client, G_TYPE_OBJECT)

typedef struct
{
  char              *address; /* as the caller gave it, for messages */
  GPtrArray         *entries; /* ComlinkAddress */
  guint              next;
  GError            *error; /* of the last entry that failed */
  GTlsCertificate   *tls_certificate;
  GTlsDatabase      *tls_database;
  ComlinkConnection *connection;
  ComlinkProxy      *proxy;
  gulong             ready_id;
  gulong             closed_id;
  GSource           *cancelled_source;
} Connect;

static void
connect_free (Connect *data)
{
  if (data->connection != NULL)
    {
      g_clear_signal_handler (&data->ready_id, data->connection);
      g_clear_signal_handler (&data->closed_id, data->connection);
    }
  if (data->cancelled_source != NULL)
    {
      g_source_destroy (data->cancelled_source);
      g_source_unref (data->cancelled_source);
    }
  g_clear_object (&data->proxy);
  g_clear_object (&data->connection);
  g_clear_object (&data->tls_certificate);
  g_clear_object (&data->tls_database);
  g_clear_pointer (&data->entries, g_ptr_array_unref);
  g_clear_error (&data->error);
  g_free (data->address);
  g_free (data);
}

static void
connect_succeed (GTask *task)
{
  Connect *data = g_task_get_task_data (task);

  g_clear_signal_handler (&data->ready_id, data->connection);
  g_clear_signal_handler (&data->closed_id, data->connection);
  g_task_return_pointer (task, g_steal_pointer (&data->proxy), g_object_unref);
}

static void
on_ready (ComlinkConnection *connection,
          GParamSpec        *pspec,
          GTask             *task)
{
  if (comlink_connection_is_ready (connection))
    {
      connect_succeed (task);
      g_object_unref (task);
    }
}

static void
on_closed_before_ready (ComlinkConnection *connection,
                        const GError      *error,
                        GTask             *task)
{
  Connect *data = g_task_get_task_data (task);

  g_clear_signal_handler (&data->ready_id, data->connection);
  g_clear_signal_handler (&data->closed_id, data->connection);
  if (!g_task_return_error_if_cancelled (task))
    g_task_return_new_error (task, COMLINK_ERROR, COMLINK_ERROR_CLOSED,
                             _ ("The service at “%s” closed the connection before serving it: "
                                "it refused this client, or failed (%s)"),
                             data->address, error->message);
  g_object_unref (task);
}

static gboolean
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  GTask   *task = user_data;
  Connect *data = g_task_get_task_data (task);

  /* ::closed completes the task */
  if (data->connection != NULL && data->closed_id != 0)
    comlink_connection_close (data->connection);
  return G_SOURCE_REMOVE;
}

/* Serves the stream as a connection and waits for the service's
 * handshake */
static void
connect_stream (GTask     *task,
                GIOStream *stream)
{
  Connect *data = g_task_get_task_data (task);
  g_autoptr(ComlinkEndpoint) endpoint = comlink_stream_endpoint_new (stream);
  GCancellable *cancellable = g_task_get_cancellable (task);

  data->connection = g_object_ref (comlink_connection_get_for_endpoint (endpoint));
  data->proxy = comlink_connection_wrap (data->connection);

  if (comlink_connection_is_ready (data->connection))
    {
      connect_succeed (task);
      g_object_unref (task);
      return;
    }

  /* The reference passed along is given up when one of them runs: the
   * connection becomes ready, or closes (cancelling closes it too) */
  data->ready_id = g_signal_connect (data->connection, "notify::ready", G_CALLBACK (on_ready), task);
  data->closed_id = g_signal_connect (data->connection, "closed", G_CALLBACK (on_closed_before_ready), task);
  if (cancellable != NULL)
    {
      data->cancelled_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (data->cancelled_source, G_SOURCE_FUNC (on_cancelled), task, NULL);
      g_source_set_static_name (data->cancelled_source, "[comlink-glib] connect cancelled");
      g_source_attach (data->cancelled_source, g_task_get_context (task));
    }
}

static void connect_next (GTask *task);

static void
on_socket_event (GSocketClient      *socket_client,
                 GSocketClientEvent  event,
                 GSocketConnectable *connectable,
                 GIOStream          *connection,
                 Connect            *data)
{
  if (event != G_SOCKET_CLIENT_TLS_HANDSHAKING || !G_IS_TLS_CLIENT_CONNECTION (connection))
    return;

  if (data->tls_database != NULL)
    g_tls_connection_set_database (G_TLS_CONNECTION (connection), data->tls_database);
  if (data->tls_certificate != NULL)
    g_tls_connection_set_certificate (G_TLS_CONNECTION (connection), data->tls_certificate);
}

static void
on_socket_connected (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask   *task = user_data;
  Connect *data = g_task_get_task_data (task);
  GError  *error = NULL;
  g_autoptr(GSocketConnection) connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);

  if (connection == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, error);
          g_object_unref (task);
          return;
        }
      g_clear_error (&data->error);
      data->error = error;
      connect_next (task);
      return;
    }

  connect_stream (task, G_IO_STREAM (connection));
}

/* Tries the next entry of the address */
static void
connect_next (GTask *task)
{
  Connect        *data = g_task_get_task_data (task);
  ComlinkAddress *entry;
  g_autoptr(GSocketClient) socket_client = NULL;
  g_autoptr(GSocketConnectable) connectable = NULL;

  if (data->next >= data->entries->len)
    {
      /* Translators: this is put before another error message; %s is an address */
      g_prefix_error (&data->error, _ ("Cannot connect to “%s”: "), data->address);
      g_task_return_error (task, g_steal_pointer (&data->error));
      g_object_unref (task);
      return;
    }

  entry = g_ptr_array_index (data->entries, data->next++);
  socket_client = g_socket_client_new ();
  /* A service is reached directly, as D-Bus reaches its peers: not through
   * the proxy that the desktop's settings name for the web */
  g_socket_client_set_enable_proxy (socket_client, FALSE);

  switch (entry->kind)
    {
    case COMLINK_ADDRESS_UNIX_PATH:
      connectable = G_SOCKET_CONNECTABLE (g_unix_socket_address_new (entry->path));
      break;
    case COMLINK_ADDRESS_UNIX_ABSTRACT:
      connectable = G_SOCKET_CONNECTABLE (g_unix_socket_address_new_with_type (entry->path, -1,
                                                                               G_UNIX_SOCKET_ADDRESS_ABSTRACT));
      break;
    case COMLINK_ADDRESS_TCP:
      connectable = g_network_address_new (entry->host, entry->port);
      if (entry->family != G_SOCKET_FAMILY_INVALID)
        g_socket_client_set_family (socket_client, entry->family);
      if (entry->tls)
        {
          g_socket_client_set_tls (socket_client, TRUE);
          g_signal_connect (socket_client, "event", G_CALLBACK (on_socket_event), data);
        }
      break;
    case COMLINK_ADDRESS_UNIX_DIR:
    default:
      g_clear_error (&data->error);
      g_set_error_literal (&data->error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           /* Translators: unix:dir= and unix:tmpdir= are parts of addresses, not to be translated */
                           _ ("unix:dir= and unix:tmpdir= are for listening, not for connecting"));
      connect_next (task);
      return;
    }

  g_socket_client_connect_async (socket_client, connectable, g_task_get_cancellable (task),
                                 on_socket_connected, task);
}

static GTask *
connect_task_new (ComlinkClient      *self,
                  const char         *address,
                  gpointer            source_tag,
                  GCancellable       *cancellable,
                  GAsyncReadyCallback callback,
                  gpointer            user_data)
{
  GTask   *task = g_task_new (self, cancellable, callback, user_data);
  Connect *data = g_new0 (Connect, 1);

  g_task_set_source_tag (task, source_tag);
  data->address = g_strdup (address);
  if (self != NULL)
    {
      g_set_object (&data->tls_certificate, self->tls_certificate);
      g_set_object (&data->tls_database, self->tls_database);
    }
  g_task_set_task_data (task, data, (GDestroyNotify) connect_free);
  return task;
}

static void
connect_address (ComlinkClient      *self,
                 const char         *address,
                 gpointer            source_tag,
                 GCancellable       *cancellable,
                 GAsyncReadyCallback callback,
                 gpointer            user_data)
{
  GTask   *task = connect_task_new (self, address, source_tag, cancellable, callback, user_data);
  Connect *data = g_task_get_task_data (task);
  GError  *error = NULL;

  data->entries = _comlink_address_parse (address, &error);
  if (data->entries == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  connect_next (task);
}

static void
on_bus_connected (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask  *task = user_data;
  GError *error = NULL;
  g_autoptr(GUnixFDList) fds = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_with_unix_fd_list_finish (G_DBUS_CONNECTION (source), &fds,
                                                                                result, &error);
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  gint32 index;
  int    fd;

  if (reply == NULL)
    {
      g_dbus_error_strip_remote_error (error);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  /* The handle is the service's word: it may name no descriptor */
  g_variant_get (reply, "(h)", &index);
  if (fds != NULL && index >= 0 && index < g_unix_fd_list_get_length (fds))
    fd = g_unix_fd_list_get (fds, index, &error);
  else
    fd = -1;
  if (fd < 0)
    {
      if (error == NULL)
        error = g_error_new_literal (COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                                     /* Translators: Connect is the name of a D-Bus method, not to be translated */
                                     _ ("The service answered Connect without a socket"));
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  socket = g_socket_new_from_fd (fd, &error);
  if (socket == NULL)
    {
      close (fd);
      g_task_return_new_error (task, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                               _ ("The service answered Connect with a descriptor that is not a socket: %s"),
                               error->message);
      g_error_free (error);
      g_object_unref (task);
      return;
    }

  connection = g_socket_connection_factory_create_connection (socket);
  connect_stream (task, G_IO_STREAM (connection));
}

static void
call_connect (GTask           *task,
              GDBusConnection *bus)
{
  const char *bus_name = g_object_get_data (G_OBJECT (task), "comlink-bus-name");
  const char *path = g_object_get_data (G_OBJECT (task), "comlink-object-path");

  g_dbus_connection_call_with_unix_fd_list (bus, bus_name, path, COMLINK_BUS_INTERFACE, "Connect",
                                            NULL, G_VARIANT_TYPE ("(h)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                            g_task_get_cancellable (task), on_bus_connected, task);
}

static void
on_bus_got (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask  *task = user_data;
  GError *error = NULL;
  g_autoptr(GDBusConnection) bus = g_bus_get_finish (result, &error);

  if (bus == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  call_connect (task, bus);
}

static void
connect_bus (ComlinkClient      *self,
             GDBusConnection    *bus,
             const char         *bus_name,
             const char         *object_path,
             gpointer            source_tag,
             GCancellable       *cancellable,
             GAsyncReadyCallback callback,
             gpointer            user_data)
{
  GTask *task = connect_task_new (self, bus_name, source_tag, cancellable, callback, user_data);

  g_object_set_data_full (G_OBJECT (task), "comlink-bus-name", g_strdup (bus_name), g_free);
  g_object_set_data_full (G_OBJECT (task), "comlink-object-path",
                          g_strdup (object_path ? object_path : COMLINK_BUS_OBJECT_PATH), g_free);

  if (bus != NULL)
    call_connect (task, bus);
  else
    g_bus_get (G_BUS_TYPE_SESSION, cancellable, on_bus_got, task);
}

static void
comlink_client_finalize (GObject *object)
{
  ComlinkClient *self = COMLINK_CLIENT (object);

  g_clear_object (&self->tls_certificate);
  g_clear_object (&self->tls_database);

  G_OBJECT_CLASS (comlink_client_parent_class)->finalize (object);
}

static void
comlink_client_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  ComlinkClient *self = COMLINK_CLIENT (object);

  switch (prop_id)
    {
    case PROP_TLS_CERTIFICATE:
      g_value_set_object (value, self->tls_certificate);
      break;
    case PROP_TLS_DATABASE:
      g_value_set_object (value, self->tls_database);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
comlink_client_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  ComlinkClient *self = COMLINK_CLIENT (object);

  switch (prop_id)
    {
    case PROP_TLS_CERTIFICATE:
      comlink_client_set_tls_certificate (self, g_value_get_object (value));
      break;
    case PROP_TLS_DATABASE:
      comlink_client_set_tls_database (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
comlink_client_class_init (ComlinkClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = comlink_client_finalize;
  object_class->get_property = comlink_client_get_property;
  object_class->set_property = comlink_client_set_property;

  /**
   * ComlinkClient:tls-certificate:
   *
   * The certificate, with its private key, that the client presents to
   * services that ask for one over TLS (see
   * [property@Comlink.Server:tls-authentication-mode]); %NULL for none.
   *
   * Since: 0.1
   */
  properties[PROP_TLS_CERTIFICATE] =
    g_param_spec_object ("tls-certificate", NULL, NULL,
                         G_TYPE_TLS_CERTIFICATE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkClient:tls-database:
   *
   * The certificate authorities that a service's certificate is validated
   * against, or %NULL for the system's: set it to the CA that signed the
   * service's certificate (g_tls_file_database_new() reads it from a PEM
   * file). The certificate must also name the host of the address.
   *
   * Since: 0.1
   */
  properties[PROP_TLS_DATABASE] =
    g_param_spec_object ("tls-database", NULL, NULL,
                         G_TYPE_TLS_DATABASE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
comlink_client_init (ComlinkClient *self)
{
}

/**
 * comlink_client_new:
 *
 * Creates a client, which connects to services with the TLS settings of
 * its properties. [func@Comlink.connect_async] needs none.
 *
 * Returns: (transfer full): a new #ComlinkClient
 *
 * Since: 0.1
 */
ComlinkClient *
comlink_client_new (void)
{
  return g_object_new (COMLINK_TYPE_CLIENT, NULL);
}

/**
 * comlink_client_connect_async:
 * @self: a #ComlinkClient
 * @address: the service's address, in the D-Bus address syntax
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when connected, or when it failed
 * @user_data: data for @callback
 *
 * Connects to the service at @address: `unix:path=PATH`,
 * `unix:abstract=NAME` or `tcp:host=HOST,port=PORT` (TLS, validated
 * against [property@Comlink.Client:tls-database], unless the address says
 * `tls=false`); entries separated by `;` are tried in order. It completes
 * when the service's handshake arrived, in the thread-default main
 * context, which the connection is bound to.
 *
 * Since: 0.1
 */
void
comlink_client_connect_async (ComlinkClient      *self,
                              const char         *address,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  g_return_if_fail (COMLINK_IS_CLIENT (self));
  g_return_if_fail (address != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  connect_address (self, address, comlink_client_connect_async, cancellable, callback, user_data);
}

/**
 * comlink_client_connect_finish:
 * @self: a #ComlinkClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Completes [method@Comlink.Client.connect_async]. The root proxy holds
 * its [class@Comlink.Connection]: when the service goes, every call
 * pending on it fails with %COMLINK_ERROR_CLOSED. Close the connection
 * (see [method@Comlink.Proxy.dup_connection]) to disconnect.
 *
 * Returns: (transfer full): the proxy of the object the service exposes,
 *   or %NULL on error: the socket's, TLS's (%G_TLS_ERROR_BAD_CERTIFICATE
 *   when the service's certificate is not trusted, %G_TLS_ERROR_NOT_TLS
 *   when the service closed the connection during the handshake), or
 *   %COMLINK_ERROR_CLOSED when the service closed the connection before
 *   serving it (it refused the client, or its certificate)
 *
 * Since: 0.1
 */
ComlinkProxy *
comlink_client_connect_finish (ComlinkClient *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (COMLINK_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * comlink_client_connect_bus_async:
 * @self: a #ComlinkClient
 * @bus: (nullable): a bus connection, or %NULL for the session bus
 * @bus_name: the service's bus name
 * @object_path: (nullable): where the service exports
 *   [const@Comlink.BUS_INTERFACE], or %NULL for
 *   [const@Comlink.BUS_OBJECT_PATH]
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when connected, or when it failed
 * @user_data: data for @callback
 *
 * Asks the owner of @bus_name for a connection of its own (its `Connect`
 * method hands out a socket) and connects over it. The bus starts the
 * service if it is not running and a D-Bus service file names it.
 *
 * Since: 0.1
 */
void
comlink_client_connect_bus_async (ComlinkClient      *self,
                                  GDBusConnection    *bus,
                                  const char         *bus_name,
                                  const char         *object_path,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  g_return_if_fail (COMLINK_IS_CLIENT (self));
  g_return_if_fail (bus == NULL || G_IS_DBUS_CONNECTION (bus));
  g_return_if_fail (g_dbus_is_name (bus_name));
  g_return_if_fail (object_path == NULL || g_variant_is_object_path (object_path));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  connect_bus (self, bus, bus_name, object_path, comlink_client_connect_bus_async, cancellable, callback,
               user_data);
}

/**
 * comlink_client_connect_bus_finish:
 * @self: a #ComlinkClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Completes [method@Comlink.Client.connect_bus_async].
 *
 * Returns: (transfer full): the proxy of the object the service exposes,
 *   or %NULL on error: the bus's (%G_DBUS_ERROR_SERVICE_UNKNOWN when
 *   nobody owns the name and no service file names it,
 *   %G_DBUS_ERROR_ACCESS_DENIED when the service refused the client),
 *   %COMLINK_ERROR_PROTOCOL when the service answered without a socket, or
 *   %COMLINK_ERROR_CLOSED when the service closed the connection before
 *   serving it
 *
 * Since: 0.1
 */
ComlinkProxy *
comlink_client_connect_bus_finish (ComlinkClient *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (COMLINK_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * comlink_client_get_tls_certificate:
 * @self: a #ComlinkClient
 *
 * Gets the certificate that @self presents to services.
 *
 * Returns: (transfer none) (nullable): the client's certificate
 *
 * Since: 0.1
 */
GTlsCertificate *
comlink_client_get_tls_certificate (ComlinkClient *self)
{
  g_return_val_if_fail (COMLINK_IS_CLIENT (self), NULL);

  return self->tls_certificate;
}

/**
 * comlink_client_set_tls_certificate:
 * @self: a #ComlinkClient
 * @certificate: (nullable): a certificate with its private key
 *
 * Sets [property@Comlink.Client:tls-certificate].
 *
 * Since: 0.1
 */
void
comlink_client_set_tls_certificate (ComlinkClient   *self,
                                    GTlsCertificate *certificate)
{
  g_return_if_fail (COMLINK_IS_CLIENT (self));
  g_return_if_fail (certificate == NULL || G_IS_TLS_CERTIFICATE (certificate));

  if (g_set_object (&self->tls_certificate, certificate))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TLS_CERTIFICATE]);
}

/**
 * comlink_client_get_tls_database:
 * @self: a #ComlinkClient
 *
 * Gets the certificate authorities that @self trusts.
 *
 * Returns: (transfer none) (nullable): the certificate authorities for
 *   services' certificates
 *
 * Since: 0.1
 */
GTlsDatabase *
comlink_client_get_tls_database (ComlinkClient *self)
{
  g_return_val_if_fail (COMLINK_IS_CLIENT (self), NULL);

  return self->tls_database;
}

/**
 * comlink_client_set_tls_database:
 * @self: a #ComlinkClient
 * @database: (nullable): the certificate authorities, or %NULL for the
 *   system's
 *
 * Sets [property@Comlink.Client:tls-database].
 *
 * Since: 0.1
 */
void
comlink_client_set_tls_database (ComlinkClient *self,
                                 GTlsDatabase  *database)
{
  g_return_if_fail (COMLINK_IS_CLIENT (self));
  g_return_if_fail (database == NULL || G_IS_TLS_DATABASE (database));

  if (g_set_object (&self->tls_database, database))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TLS_DATABASE]);
}

/**
 * comlink_connect_async:
 * @address: the service's address, in the D-Bus address syntax
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when connected, or when it failed
 * @user_data: data for @callback
 *
 * Connects to the service at @address, as
 * [method@Comlink.Client.connect_async] does with the system's
 * certificate authorities and no client certificate.
 *
 * Since: 0.1
 */
void
comlink_connect_async (const char         *address,
                       GCancellable       *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer            user_data)
{
  g_return_if_fail (address != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  connect_address (NULL, address, comlink_connect_async, cancellable, callback, user_data);
}

/**
 * comlink_connect_finish:
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Completes [func@Comlink.connect_async].
 *
 * Returns: (transfer full): the proxy of the object the service exposes,
 *   or %NULL on error
 *
 * Since: 0.1
 */
ComlinkProxy *
comlink_connect_finish (GAsyncResult *result,
                        GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * comlink_connect_bus_async:
 * @bus_name: the service's name on the session bus
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when connected, or when it failed
 * @user_data: data for @callback
 *
 * Connects to the service that owns @bus_name on the session bus, as
 * [method@Comlink.Client.connect_bus_async] does.
 *
 * Since: 0.1
 */
void
comlink_connect_bus_async (const char         *bus_name,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_return_if_fail (g_dbus_is_name (bus_name));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  connect_bus (NULL, NULL, bus_name, NULL, comlink_connect_bus_async, cancellable, callback, user_data);
}

/**
 * comlink_connect_bus_finish:
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Completes [func@Comlink.connect_bus_async].
 *
 * Returns: (transfer full): the proxy of the object the service exposes,
 *   or %NULL on error
 *
 * Since: 0.1
 */
ComlinkProxy *
comlink_connect_bus_finish (GAsyncResult *result,
                            GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
