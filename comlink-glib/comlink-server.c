/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * A service that many clients connect to: a GSocketService that listens
 * on Unix sockets, TCP (with TLS unless told otherwise) or sockets that
 * systemd passed, and serves each client on a connection of its own.
 *
 * Lifetime: the server holds each client's connection and the object it
 * exposes there until the connection closes, for whatever reason (the
 * client went, died, or sent garbage; comlink_server_stop()). Closing a
 * connection fails its calls, cancels the requests being served and drops
 * every object the client held (ComlinkConnection does that); the server
 * then forgets the client. A TLS handshake in progress belongs to its
 * callback, which frees it; the server only points to it, and
 * comlink_server_stop() (which disposing the server calls) cancels it and
 * makes it forget the server, so that dropping the server stops it at
 * once, however long a client takes to shake hands.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <sys/socket.h>

#include <gio/gunixfdlist.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include "comlink-address-private.h"
#include "comlink-client.h"
#include "comlink-connection.h"
#include "comlink-error.h"
#include "comlink-private.h"
#include "comlink-server.h"
#include "comlink-stream-endpoint.h"

#define COMLINK_SERVER_DEFAULT_MAX_CLIENTS 1024
#define COMLINK_SERVER_DEFAULT_HANDSHAKE_TIMEOUT 10000

typedef struct
{
  ComlinkServer     *server; /* not a reference: the server forgets the
                              * client before it goes */
  ComlinkConnection *connection;
  GObject           *object;
  gulong             closed_id;
} Client;

typedef struct
{
  ComlinkServer *server; /* not a reference: NULL once the server stopped */
  GCancellable  *cancellable;
  GSource       *timeout;
} Handshake;

struct _ComlinkServer
{
  GObject parent_instance;

  GObject                 *object;
  ComlinkServerFactoryFunc factory;
  gpointer                 factory_data;
  GDestroyNotify           factory_data_free;

  GSocketService *service;
  GObject        *tls_source; /* marks the listeners that speak TLS */
  GPtrArray      *addresses;  /* NULL-terminated */
  GPtrArray      *unix_paths; /* socket files to remove when stopping */
  GHashTable     *clients;    /* ComlinkConnection -> Client */
  GPtrArray      *handshakes; /* Handshake, in progress, not owned */
  GHashTable     *exports;    /* registration id -> GDBusConnection */
  gboolean        stopped;

  guint                  max_clients;
  guint                  handshake_timeout;
  GTlsCertificate       *tls_certificate;
  GTlsAuthenticationMode tls_authentication_mode;
  GTlsDatabase          *tls_database;
};

enum
{
  PROP_0,
  PROP_N_CLIENTS,
  PROP_MAX_CLIENTS,
  PROP_HANDSHAKE_TIMEOUT,
  PROP_TLS_CERTIFICATE,
  PROP_TLS_AUTHENTICATION_MODE,
  PROP_TLS_DATABASE,
  N_PROPS
};

enum
{
  AUTHORIZE,
  CLIENT_CONNECTED,
  CLIENT_GONE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint       signals[N_SIGNALS];

/**
 * ComlinkServer:
 *
 * A service that many clients connect to, each on a
 * [class@Comlink.Connection] of its own: the counterpart, for desktop
 * services, of a [class@Comlink.Worker], which serves one parent.
 *
 * A server listens on Unix sockets, TCP (with TLS unless told otherwise)
 * or sockets that systemd passed, and can hand out connections on the
 * session bus; it exposes one object to every client
 * ([ctor@Comlink.Server.new]) or one object per client, made by a factory
 * function that sees the client's credentials and may refuse it
 * ([ctor@Comlink.Server.new_with_factory]). A client that goes, for
 * whatever reason, is forgotten at once: its requests in flight are
 * cancelled and every object it held is dropped.
 *
 * A service that gives every client an object of its own:
 *
 * |[<!-- language="C" -->
 * static GObject *
 * make_session (ComlinkServer *server, ComlinkConnection *client,
 *               GCredentials *credentials, gpointer user_data, GError **error)
 * {
 *   return g_object_new (MY_TYPE_SESSION, NULL);
 * }
 *
 * g_autoptr(ComlinkServer) server = comlink_server_new_with_factory (make_session, NULL, NULL);
 * g_autoptr(GError) error = NULL;
 *
 * if (!comlink_server_listen (server, "unix:path=/run/user/1000/my-service", &error))
 *   g_error ("Cannot listen: %s", error->message);
 *
 * // ... run the main loop; clients come and go
 *
 * comlink_server_stop (server);
 * ]|
 *
 * See also: [Desktop services: one service, many applications](services.html),
 * [A hostile peer](security.html), [Lifetimes and threads](lifecycle.html).
 *
 * Since: 0.1
 */

G_DEFINE_FINAL_TYPE (ComlinkServer, comlink_server, G_TYPE_OBJECT)

static void
client_free (Client *client)
{
  g_clear_signal_handler (&client->closed_id, client->connection);
  g_clear_object (&client->object);
  g_clear_object (&client->connection);
  g_free (client);
}

static void
handshake_free (Handshake *handshake)
{
  if (handshake->timeout != NULL)
    {
      g_source_destroy (handshake->timeout);
      g_source_unref (handshake->timeout);
    }
  g_clear_object (&handshake->cancellable);
  g_free (handshake);
}

static void
on_client_closed (ComlinkConnection *connection,
                  const GError      *error,
                  Client            *client)
{
  ComlinkServer *self = client->server;
  g_autoptr(ComlinkConnection) held = g_object_ref (connection);

  g_hash_table_remove (self->clients, connection);
  g_signal_emit (self, signals[CLIENT_GONE], 0, held, error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_CLIENTS]);
}

/* Serves an authorized client */
static gboolean
serve (ComlinkServer *self,
       GIOStream     *stream,
       GCredentials  *credentials)
{
  g_autoptr(ComlinkEndpoint) endpoint = comlink_stream_endpoint_new (stream);
  g_autoptr(GError) error = NULL;
  ComlinkConnection *connection = comlink_connection_get_for_endpoint (endpoint);
  GObject           *object;
  Client            *client;

  if (self->factory != NULL)
    object = self->factory (self, connection, credentials, self->factory_data, &error);
  else
    object = g_object_ref (self->object);

  if (object == NULL)
    {
      g_debug ("A client was refused: %s", error ? error->message : "no object");
      comlink_connection_close (connection);
      return FALSE;
    }

  client = g_new0 (Client, 1);
  client->server = self;
  client->connection = g_object_ref (connection);
  client->object = object;
  client->closed_id = g_signal_connect (connection, "closed", G_CALLBACK (on_client_closed), client);
  g_hash_table_insert (self->clients, connection, client);

  comlink_connection_expose (connection, object);
  g_signal_emit (self, signals[CLIENT_CONNECTED], 0, connection, credentials);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_CLIENTS]);

  return TRUE;
}

static gboolean
accept_stream (ComlinkServer *self,
               GIOStream     *stream,
               GCredentials  *credentials)
{
  gboolean allowed = FALSE;

  if (self->stopped || g_hash_table_size (self->clients) >= self->max_clients)
    {
      g_io_stream_close (stream, NULL, NULL);
      return FALSE;
    }

  g_signal_emit (self, signals[AUTHORIZE], 0, stream, credentials, &allowed);
  if (!allowed)
    {
      g_io_stream_close (stream, NULL, NULL);
      return FALSE;
    }

  return serve (self, stream, credentials);
}

static gboolean
is_unix_stream (GIOStream *stream)
{
  GSocket *socket;

  if (!G_IS_SOCKET_CONNECTION (stream))
    return FALSE;
  socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));
  return g_socket_get_family (socket) == G_SOCKET_FAMILY_UNIX;
}

static GCredentials *
read_credentials (GIOStream *stream)
{
  g_autoptr(GError) error = NULL;
  GCredentials *credentials;

  if (!is_unix_stream (stream))
    return NULL;

  credentials = g_socket_get_credentials (g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream)), &error);
  if (credentials == NULL)
    g_debug ("The credentials of a client are unknown: %s", error->message);
  return credentials;
}

static void
on_handshake_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Handshake *handshake = user_data;
  g_autoptr(ComlinkServer) self = handshake->server ? g_object_ref (handshake->server) : NULL;
  g_autoptr(GError) error = NULL;

  if (self != NULL)
    g_ptr_array_remove_fast (self->handshakes, handshake);
  handshake_free (handshake);

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error))
    {
      g_debug ("A TLS handshake failed: %s", error->message);
      g_io_stream_close (G_IO_STREAM (source), NULL, NULL);
    }
  else if (self == NULL)
    g_io_stream_close (G_IO_STREAM (source), NULL, NULL);
  else
    accept_stream (self, G_IO_STREAM (source), NULL);
}

static gboolean
on_handshake_timeout (gpointer user_data)
{
  Handshake *handshake = user_data;

  g_cancellable_cancel (handshake->cancellable);
  return G_SOURCE_REMOVE;
}

/* A server connection asks about every certificate a client presents,
 * even one that its database validated, and refuses it unless a handler
 * accepts it: accept those without errors */
static gboolean
on_accept_certificate (GTlsConnection      *connection,
                       GTlsCertificate     *peer_certificate,
                       GTlsCertificateFlags errors,
                       gpointer             user_data)
{
  if (errors != 0)
    g_debug ("A client certificate was refused (flags 0x%x)", errors);
  return errors == 0;
}

static void
start_tls (ComlinkServer     *self,
           GSocketConnection *connection)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) tls = g_tls_server_connection_new (G_IO_STREAM (connection), self->tls_certificate, &error);
  Handshake *handshake;

  if (tls == NULL)
    {
      g_warning (_ ("Cannot start TLS: %s"), error->message);
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return;
    }

  g_object_set (tls, "authentication-mode", self->tls_authentication_mode, NULL);
  if (self->tls_database != NULL)
    g_tls_connection_set_database (G_TLS_CONNECTION (tls), self->tls_database);
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (on_accept_certificate), NULL);

  handshake = g_new0 (Handshake, 1);
  handshake->server = self;
  handshake->cancellable = g_cancellable_new ();
  if (self->handshake_timeout > 0)
    {
      handshake->timeout = g_timeout_source_new (self->handshake_timeout);
      g_source_set_callback (handshake->timeout, on_handshake_timeout, handshake, NULL);
      g_source_set_static_name (handshake->timeout, "[comlink-glib] TLS handshake timeout");
      g_source_attach (handshake->timeout, g_main_context_get_thread_default ());
    }
  g_ptr_array_add (self->handshakes, handshake);

  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT, handshake->cancellable,
                                    on_handshake_done, handshake);
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source,
             ComlinkServer     *self)
{
  g_autoptr(GCredentials) credentials = NULL;

  if (self->stopped || g_hash_table_size (self->clients) + self->handshakes->len >= self->max_clients)
    {
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return TRUE;
    }

  if (source != NULL && source == self->tls_source)
    {
      start_tls (self, connection);
      return TRUE;
    }

  credentials = read_credentials (G_IO_STREAM (connection));
  accept_stream (self, G_IO_STREAM (connection), credentials);
  return TRUE;
}

static gboolean
comlink_server_real_authorize (ComlinkServer *self,
                               GIOStream     *stream,
                               GCredentials  *credentials)
{
  GError *error = NULL;
  uid_t   uid;

  /* A Unix socket whose peer is unknown is refused */
  if (credentials == NULL)
    return !is_unix_stream (stream);

  uid = g_credentials_get_unix_user (credentials, &error);
  if (error != NULL)
    {
      g_error_free (error);
      return FALSE;
    }
  return uid == getuid ();
}

/* An accumulator that keeps the first handler's answer: a handler
 * connected by the application decides instead of the default */
static gboolean
first_answer_wins (GSignalInvocationHint *hint,
                   GValue                *return_accu,
                   const GValue          *handler_return,
                   gpointer               data)
{
  g_value_copy (handler_return, return_accu);
  return FALSE;
}

static void
comlink_server_dispose (GObject *object)
{
  ComlinkServer *self = COMLINK_SERVER (object);

  comlink_server_stop (self);

  G_OBJECT_CLASS (comlink_server_parent_class)->dispose (object);
}

static void
comlink_server_finalize (GObject *object)
{
  ComlinkServer *self = COMLINK_SERVER (object);

  g_clear_object (&self->object);
  if (self->factory_data_free != NULL)
    self->factory_data_free (self->factory_data);
  g_clear_object (&self->service);
  g_clear_object (&self->tls_source);
  g_clear_pointer (&self->addresses, g_ptr_array_unref);
  g_clear_pointer (&self->unix_paths, g_ptr_array_unref);
  g_clear_pointer (&self->clients, g_hash_table_unref);
  g_clear_pointer (&self->handshakes, g_ptr_array_unref);
  g_clear_pointer (&self->exports, g_hash_table_unref);
  g_clear_object (&self->tls_certificate);
  g_clear_object (&self->tls_database);

  G_OBJECT_CLASS (comlink_server_parent_class)->finalize (object);
}

static void
comlink_server_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  ComlinkServer *self = COMLINK_SERVER (object);

  switch (prop_id)
    {
    case PROP_N_CLIENTS:
      g_value_set_uint (value, comlink_server_get_n_clients (self));
      break;
    case PROP_MAX_CLIENTS:
      g_value_set_uint (value, self->max_clients);
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      g_value_set_uint (value, self->handshake_timeout);
      break;
    case PROP_TLS_CERTIFICATE:
      g_value_set_object (value, self->tls_certificate);
      break;
    case PROP_TLS_AUTHENTICATION_MODE:
      g_value_set_enum (value, self->tls_authentication_mode);
      break;
    case PROP_TLS_DATABASE:
      g_value_set_object (value, self->tls_database);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
comlink_server_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  ComlinkServer *self = COMLINK_SERVER (object);

  switch (prop_id)
    {
    case PROP_MAX_CLIENTS:
      comlink_server_set_max_clients (self, g_value_get_uint (value));
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      comlink_server_set_handshake_timeout (self, g_value_get_uint (value));
      break;
    case PROP_TLS_CERTIFICATE:
      comlink_server_set_tls_certificate (self, g_value_get_object (value));
      break;
    case PROP_TLS_AUTHENTICATION_MODE:
      comlink_server_set_tls_authentication_mode (self, g_value_get_enum (value));
      break;
    case PROP_TLS_DATABASE:
      comlink_server_set_tls_database (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
comlink_server_class_init (ComlinkServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = comlink_server_dispose;
  object_class->finalize = comlink_server_finalize;
  object_class->get_property = comlink_server_get_property;
  object_class->set_property = comlink_server_set_property;

  /**
   * ComlinkServer:n-clients:
   *
   * How many clients are connected.
   *
   * Since: 0.1
   */
  properties[PROP_N_CLIENTS] =
    g_param_spec_uint ("n-clients", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkServer:max-clients:
   *
   * The most clients served at once, TLS handshakes in progress counted. A
   * client over the limit is disconnected at once. The default is 1024.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_CLIENTS] =
    g_param_spec_uint ("max-clients", NULL, NULL,
                       1, G_MAXUINT, COMLINK_SERVER_DEFAULT_MAX_CLIENTS,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkServer:handshake-timeout:
   *
   * The time in milliseconds a TLS client has to complete its handshake
   * before it is disconnected; 0 for no limit. The default is 10000. A
   * client shaking hands counts against
   * [property@Comlink.Server:max-clients].
   *
   * Since: 0.1
   */
  properties[PROP_HANDSHAKE_TIMEOUT] =
    g_param_spec_uint ("handshake-timeout", NULL, NULL,
                       0, G_MAXINT, COMLINK_SERVER_DEFAULT_HANDSHAKE_TIMEOUT,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkServer:tls-certificate:
   *
   * The certificate, with its private key, that the server presents on
   * TCP addresses. Listening on TCP without `tls=false` needs one, and
   * glib-networking (GIO's TLS backend). Clients validate it against
   * their [property@Comlink.Client:tls-database]: name in it the host
   * names and addresses that clients connect to.
   *
   * Since: 0.1
   */
  properties[PROP_TLS_CERTIFICATE] =
    g_param_spec_object ("tls-certificate", NULL, NULL,
                         G_TYPE_TLS_CERTIFICATE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkServer:tls-authentication-mode:
   *
   * Whether TLS clients are asked for a certificate. A certificate that a
   * client presents is accepted only if
   * [property@Comlink.Server:tls-database] (or the system's) validates it;
   * with %G_TLS_AUTHENTICATION_REQUIRED, a client without one fails the
   * handshake too, and with %G_TLS_AUTHENTICATION_REQUESTED it is served.
   * The [signal@Comlink.Server::authorize] handler reads the certificate
   * with g_tls_connection_get_peer_certificate(). With TLS 1.3 a refused
   * client has finished its side of the handshake already: connecting
   * fails with %COMLINK_ERROR_CLOSED. The default is
   * %G_TLS_AUTHENTICATION_NONE.
   *
   * Since: 0.1
   */
  properties[PROP_TLS_AUTHENTICATION_MODE] =
    g_param_spec_enum ("tls-authentication-mode", NULL, NULL,
                       G_TYPE_TLS_AUTHENTICATION_MODE, G_TLS_AUTHENTICATION_NONE,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkServer:tls-database:
   *
   * The certificate authorities that client certificates are validated
   * against (see [property@Comlink.Server:tls-authentication-mode]), or
   * %NULL for the system's: g_tls_file_database_new() reads them from a
   * PEM file.
   *
   * Since: 0.1
   */
  properties[PROP_TLS_DATABASE] =
    g_param_spec_object ("tls-database", NULL, NULL,
                         G_TYPE_TLS_DATABASE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * ComlinkServer::authorize:
   * @self: the server
   * @stream: the client's stream: a #GSocketConnection, or a
   *   #GTlsConnection on TCP with TLS (its peer certificate tells who
   *   the client is)
   * @credentials: (nullable): the client's credentials, on a Unix socket
   *
   * Emitted for each new client before anything is served: return %TRUE
   * to serve it, %FALSE to disconnect it. The first handler that runs
   * decides; the default one accepts a Unix-socket client of the same
   * user as the server and refuses one whose credentials are unknown, and
   * accepts TCP clients, which TLS checked (or plain TCP, which was asked
   * for).
   *
   * Returns: whether to serve the client
   *
   * Since: 0.1
   */
  signals[AUTHORIZE] =
    g_signal_new_class_handler ("authorize",
                                G_TYPE_FROM_CLASS (klass),
                                G_SIGNAL_RUN_LAST,
                                G_CALLBACK (comlink_server_real_authorize),
                                first_answer_wins, NULL,
                                NULL,
                                G_TYPE_BOOLEAN, 2, G_TYPE_IO_STREAM, G_TYPE_CREDENTIALS);

  /**
   * ComlinkServer::client-connected:
   * @self: the server
   * @client: the client's connection
   * @credentials: (nullable): the client's credentials, on a Unix socket
   *
   * Emitted when a client was accepted and its object exposed, before any
   * of its requests is served: set its limits (the properties of @client
   * and of its endpoint) here.
   *
   * Since: 0.1
   */
  signals[CLIENT_CONNECTED] =
    g_signal_new ("client-connected",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 2, COMLINK_TYPE_CONNECTION, G_TYPE_CREDENTIALS);

  /**
   * ComlinkServer::client-gone:
   * @self: the server
   * @client: the client's connection, closed
   * @error: why it closed
   *
   * Emitted when a client's connection closed, after its calls failed,
   * its requests were cancelled and the objects it held were dropped.
   *
   * Since: 0.1
   */
  signals[CLIENT_GONE] =
    g_signal_new ("client-gone",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 2, COMLINK_TYPE_CONNECTION, G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
comlink_server_init (ComlinkServer *self)
{
  self->max_clients = COMLINK_SERVER_DEFAULT_MAX_CLIENTS;
  self->handshake_timeout = COMLINK_SERVER_DEFAULT_HANDSHAKE_TIMEOUT;
  self->tls_authentication_mode = G_TLS_AUTHENTICATION_NONE;
  self->service = g_socket_service_new ();
  /* GLib's backlog is 10: an eleventh client connecting at once over a
   * Unix socket would fail with EAGAIN, which nobody retries */
  g_socket_listener_set_backlog (G_SOCKET_LISTENER (self->service), SOMAXCONN);
  self->tls_source = g_object_new (G_TYPE_OBJECT, NULL);
  self->addresses = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->addresses, NULL);
  self->unix_paths = g_ptr_array_new_with_free_func (g_free);
  self->clients = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) client_free);
  self->handshakes = g_ptr_array_new ();
  self->exports = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  g_signal_connect (self->service, "incoming", G_CALLBACK (on_incoming), self);
}

/**
 * comlink_server_new:
 * @object: the object that every client gets
 *
 * Creates a server that exposes @object to each client, on a connection
 * of the client's own. Use it in the thread whose thread-default main
 * context serves the clients.
 *
 * Returns: (transfer full): a new #ComlinkServer
 *
 * Since: 0.1
 */
ComlinkServer *
comlink_server_new (GObject *object)
{
  ComlinkServer *self;

  g_return_val_if_fail (G_IS_OBJECT (object), NULL);

  self = g_object_new (COMLINK_TYPE_SERVER, NULL);
  self->object = g_object_ref (object);
  return self;
}

/**
 * comlink_server_new_with_factory:
 * @factory: (scope notified) (closure user_data) (destroy user_data_free):
 *   makes the object of each new client
 * @user_data: data for @factory
 * @user_data_free: (nullable): frees @user_data with the server
 *
 * Creates a server that exposes to each client the object that @factory
 * makes for it, which is dropped when the client goes (unless something
 * else holds it).
 *
 * Returns: (transfer full): a new #ComlinkServer
 *
 * Since: 0.1
 */
ComlinkServer *
comlink_server_new_with_factory (ComlinkServerFactoryFunc factory,
                                 gpointer                 user_data,
                                 GDestroyNotify           user_data_free)
{
  ComlinkServer *self;

  g_return_val_if_fail (factory != NULL, NULL);

  self = g_object_new (COMLINK_TYPE_SERVER, NULL);
  self->factory = factory;
  self->factory_data = user_data;
  self->factory_data_free = user_data_free;
  return self;
}

static void
add_address (ComlinkServer  *self,
             GSocketAddress *address,
             gboolean        tls)
{
  char *text = _comlink_address_format (address, tls);

  if (text != NULL)
    g_ptr_array_insert (self->addresses, self->addresses->len - 1, text);
}

static GSocketAddress *
resolve (const ComlinkAddress *entry,
         GError              **error)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (entry->host);
  g_autoptr(GResolver) resolver = NULL;
  GList *list;

  if (inet == NULL)
    {
      resolver = g_resolver_get_default ();
      list = g_resolver_lookup_by_name (resolver, entry->host, NULL, error);
      if (list == NULL)
        return NULL;
      for (GList *l = list; l != NULL; l = l->next)
        if (entry->family == G_SOCKET_FAMILY_INVALID ||
            g_inet_address_get_family (l->data) == entry->family)
          {
            inet = g_object_ref (l->data);
            break;
          }
      g_resolver_free_addresses (list);
      if (inet == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       _ ("“%s” has no address of the family asked for"), entry->host);
          return NULL;
        }
    }

  return g_inet_socket_address_new (inet, entry->port);
}

static gboolean
listen_entry (ComlinkServer        *self,
              const ComlinkAddress *entry,
              GError              **error)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) effective = NULL;
  g_autofree char *path = NULL;
  GObject         *source = NULL;

  switch (entry->kind)
    {
    case COMLINK_ADDRESS_UNIX_PATH:
      path = g_strdup (entry->path);
      address = g_unix_socket_address_new (path);
      break;
    case COMLINK_ADDRESS_UNIX_DIR:
      {
        g_autofree char *name = g_strdup_printf ("comlink-%08x%08x", g_random_int (), g_random_int ());

        path = g_build_filename (entry->path, name, NULL);
        address = g_unix_socket_address_new (path);
        break;
      }
    case COMLINK_ADDRESS_UNIX_ABSTRACT:
      address = g_unix_socket_address_new_with_type (entry->path, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);
      break;
    case COMLINK_ADDRESS_TCP:
      if (entry->tls)
        {
          if (self->tls_certificate == NULL)
            {
              g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                   _ ("A TCP address needs a TLS certificate (the property tls-certificate), "
                                      "or tls=false for plain TCP"));
              return FALSE;
            }
          if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
            {
              g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                   _ ("TLS is not available: install glib-networking"));
              return FALSE;
            }
          source = self->tls_source;
        }
      address = resolve (entry, error);
      if (address == NULL)
        return FALSE;
      break;
    default:
      g_assert_not_reached ();
    }

  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_DEFAULT, source, &effective, error))
    return FALSE;

  if (path != NULL)
    g_ptr_array_add (self->unix_paths, g_steal_pointer (&path));
  add_address (self, effective, entry->kind == COMLINK_ADDRESS_TCP && entry->tls);
  return TRUE;
}

/**
 * comlink_server_listen:
 * @self: a #ComlinkServer
 * @address: where to listen, in the D-Bus address syntax
 * @error: return location for a #GError
 *
 * Listens on @address: `unix:path=PATH` (a socket file, removed by
 * [method@Comlink.Server.stop]), `unix:abstract=NAME`, `unix:dir=DIR` (a
 * socket of a new name in DIR), or `tcp:host=HOST,port=PORT` (port 0 for
 * any free one; `family=ipv4` or `ipv6` to choose). TCP speaks TLS, with
 * [property@Comlink.Server:tls-certificate], unless the address says
 * `tls=false`. Entries separated by `;` are all listened on. The
 * addresses to connect to, with the ports chosen, are in
 * [method@Comlink.Server.get_addresses].
 *
 * Returns: %TRUE if the server listens on every entry of @address
 *
 * Since: 0.1
 */
gboolean
comlink_server_listen (ComlinkServer *self,
                       const char    *address,
                       GError       **error)
{
  g_autoptr(GPtrArray) entries = NULL;

  g_return_val_if_fail (COMLINK_IS_SERVER (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->stopped)
    {
      g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_CLOSED, _ ("The server was stopped"));
      return FALSE;
    }

  entries = _comlink_address_parse (address, error);
  if (entries == NULL)
    return FALSE;

  for (guint i = 0; i < entries->len; i++)
    if (!listen_entry (self, g_ptr_array_index (entries, i), error))
      return FALSE;

  return TRUE;
}

/**
 * comlink_server_listen_socket:
 * @self: a #ComlinkServer
 * @socket: a listening stream socket
 * @error: return location for a #GError
 *
 * Accepts clients on @socket, which is bound and listening already. Its
 * clients speak plain comlink-glib, without TLS.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
comlink_server_listen_socket (ComlinkServer *self,
                              GSocket       *socket,
                              GError       **error)
{
  g_autoptr(GSocketAddress) local = NULL;

  g_return_val_if_fail (COMLINK_IS_SERVER (self), FALSE);
  g_return_val_if_fail (G_IS_SOCKET (socket), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_socket_listener_add_socket (G_SOCKET_LISTENER (self->service), socket, NULL, error))
    return FALSE;

  local = g_socket_get_local_address (socket, NULL);
  if (local != NULL)
    add_address (self, local, FALSE);
  return TRUE;
}

/**
 * comlink_server_listen_systemd:
 * @self: a #ComlinkServer
 * @error: return location for a #GError
 *
 * Accepts clients on the listening sockets that systemd passed to this
 * process by socket activation (`LISTEN_FDS`, from descriptor 3 on, when
 * `LISTEN_PID` is this process), and unsets those variables so that
 * children do not take them too.
 *
 * Returns: how many sockets were passed: 0, with @error unset, when the
 *   process was not started by socket activation
 *
 * Since: 0.1
 */
guint
comlink_server_listen_systemd (ComlinkServer *self,
                               GError       **error)
{
  const char *pid_text = g_getenv ("LISTEN_PID");
  const char *fds_text = g_getenv ("LISTEN_FDS");
  guint64     pid, n_fds;

  g_return_val_if_fail (COMLINK_IS_SERVER (self), 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  if (pid_text == NULL || fds_text == NULL ||
      !g_ascii_string_to_unsigned (pid_text, 10, 1, G_MAXINT, &pid, NULL) ||
      (pid_t) pid != getpid ())
    return 0;

  if (!g_ascii_string_to_unsigned (fds_text, 10, 0, 1024, &n_fds, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("LISTEN_FDS is not a number of descriptors: “%s”"), fds_text);
      return 0;
    }

  g_unsetenv ("LISTEN_PID");
  g_unsetenv ("LISTEN_FDS");
  g_unsetenv ("LISTEN_FDNAMES");

  for (guint i = 0; i < n_fds; i++)
    {
      g_autoptr(GSocket) socket = NULL;
      int fd = 3 + (int) i;

      fcntl (fd, F_SETFD, FD_CLOEXEC);
      socket = g_socket_new_from_fd (fd, error);
      if (socket == NULL || !comlink_server_listen_socket (self, socket, error))
        return 0;
    }

  return (guint) n_fds;
}

/**
 * comlink_server_add_stream:
 * @self: a #ComlinkServer
 * @stream: a connected stream
 * @credentials: (nullable): who is at the other end, if known
 *
 * Serves a client that comes by another way than the server's sockets:
 * one end of a socket pair, say. It is authorized as the others (see
 * [signal@Comlink.Server::authorize]): with @credentials %NULL, a stream
 * on a Unix socket is refused by default.
 *
 * Returns: %TRUE if the client is served, %FALSE if it was refused (the
 *   stream is closed)
 *
 * Since: 0.1
 */
gboolean
comlink_server_add_stream (ComlinkServer *self,
                           GIOStream     *stream,
                           GCredentials  *credentials)
{
  g_return_val_if_fail (COMLINK_IS_SERVER (self), FALSE);
  g_return_val_if_fail (G_IS_IO_STREAM (stream), FALSE);
  g_return_val_if_fail (credentials == NULL || G_IS_CREDENTIALS (credentials), FALSE);

  return accept_stream (self, stream, credentials);
}

/* --- On a message bus --- */

static const char bus_introspection[] =
  "<node>"
  "  <interface name='" COMLINK_BUS_INTERFACE "'>"
  "    <method name='Connect'>"
  "      <arg type='h' name='socket' direction='out'/>"
  "    </method>"
  "  </interface>"
  "</node>";

/* A Connect call while the bus is asked who the caller is. The server
 * is not held: stopped or dropped meanwhile, it refuses the caller. */
typedef struct
{
  GWeakRef               server;
  GDBusMethodInvocation *invocation; /* answering it gives it up */
} BusConnect;

static void
bus_connect_free (BusConnect *data)
{
  g_weak_ref_clear (&data->server);
  g_free (data);
}

/* The bus's credentials of the caller as GCredentials */
static GCredentials *
credentials_from_bus (GVariant *reply)
{
  g_autoptr(GVariant) dict = g_variant_get_child_value (reply, 0);
  g_autoptr(GVariant) groups = NULL;
  GCredentials *credentials;
  struct ucred  ucred = { 0, (uid_t) -1, (gid_t) -1 };
  guint32       value;

  if (!g_variant_lookup (dict, "UnixUserID", "u", &value))
    return NULL;
  ucred.uid = value;
  if (g_variant_lookup (dict, "ProcessID", "u", &value))
    ucred.pid = (pid_t) value;
  groups = g_variant_lookup_value (dict, "UnixGroupIDs", G_VARIANT_TYPE ("au"));
  if (groups != NULL && g_variant_n_children (groups) > 0)
    {
      g_variant_get_child (groups, 0, "u", &value);
      ucred.gid = value;
    }

  credentials = g_credentials_new ();
  g_credentials_set_native (credentials, G_CREDENTIALS_TYPE_LINUX_UCRED, &ucred);
  return credentials;
}

static void
on_caller_credentials (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  BusConnect            *data = user_data;
  GDBusMethodInvocation *invocation = data->invocation;
  g_autoptr(ComlinkServer) self = g_weak_ref_get (&data->server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  g_autoptr(GCredentials) credentials = NULL;
  g_autoptr(GUnixFDList) fds = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketConnection) stream = NULL;
  int pair[2];

  bus_connect_free (data);

  if (self == NULL || self->stopped)
    {
      g_dbus_method_invocation_return_error_literal (invocation, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
                                                     _ ("The service does not accept connections"));
      return;
    }

  if (reply != NULL)
    credentials = credentials_from_bus (reply);
  if (credentials == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
                                             _ ("The bus does not tell who the caller is: %s"),
                                             /* Translators: put into “The bus does not tell who the caller is: %s” */
                                             error ? error->message : _ ("no user id"));
      return;
    }

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    {
      int errsv = errno;
      g_dbus_method_invocation_return_error (invocation, G_IO_ERROR, g_io_error_from_errno (errsv),
                                             _ ("Cannot make a socket pair: %s"), g_strerror (errsv));
      return;
    }

  socket = g_socket_new_from_fd (pair[0], &error);
  if (socket == NULL)
    {
      close (pair[0]);
      close (pair[1]);
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }

  stream = g_socket_connection_factory_create_connection (socket);
  if (!accept_stream (self, G_IO_STREAM (stream), credentials))
    {
      close (pair[1]);
      g_dbus_method_invocation_return_error_literal (invocation, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
                                                     _ ("The service refused the connection"));
      return;
    }

  fds = g_unix_fd_list_new_from_array (&pair[1], 1);
  g_dbus_method_invocation_return_value_with_unix_fd_list (invocation, g_variant_new ("(h)", 0), fds);
}

static void
on_bus_method_call (GDBusConnection       *bus,
                    const char            *sender,
                    const char            *object_path,
                    const char            *interface_name,
                    const char            *method_name,
                    GVariant              *parameters,
                    GDBusMethodInvocation *invocation,
                    gpointer               user_data)
{
  ComlinkServer *self = user_data;
  BusConnect    *data;

  if (self->stopped || sender == NULL)
    {
      g_dbus_method_invocation_return_error_literal (invocation, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED,
                                                     _ ("The service does not accept connections"));
      return;
    }

  /* Who the caller is, as the bus knows it */
  data = g_new0 (BusConnect, 1);
  g_weak_ref_init (&data->server, self);
  data->invocation = invocation;
  g_dbus_connection_call (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                          "GetConnectionCredentials", g_variant_new ("(s)", sender), G_VARIANT_TYPE ("(a{sv})"),
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_caller_credentials, data);
}

static const GDBusInterfaceVTable bus_vtable = { on_bus_method_call, NULL, NULL, { 0 } };

/**
 * comlink_server_export_on_bus:
 * @self: a #ComlinkServer
 * @bus: a message bus connection
 * @object_path: (nullable): where to export, or %NULL for
 *   [const@Comlink.BUS_OBJECT_PATH]
 * @error: return location for a #GError
 *
 * Exports [const@Comlink.BUS_INTERFACE] on @bus: its `Connect` method
 * makes a socket pair, serves one end as a client of its own, and returns
 * the other to the caller, as portals hand out PipeWire remotes. The
 * client is authorized (see [signal@Comlink.Server::authorize]) with the
 * credentials that the bus tells of the caller; a refused one gets
 * `org.freedesktop.DBus.Error.AccessDenied`. Own a well-known name on
 * @bus for clients to find the service by (see
 * [func@Comlink.connect_bus_async]).
 *
 * Returns: an id for [method@Comlink.Server.unexport_from_bus], or 0 on
 *   error (%COMLINK_ERROR_CLOSED when the server was stopped)
 *
 * Since: 0.1
 */
guint
comlink_server_export_on_bus (ComlinkServer   *self,
                              GDBusConnection *bus,
                              const char      *object_path,
                              GError         **error)
{
  static GDBusNodeInfo *node_info;
  guint                 id;

  g_return_val_if_fail (COMLINK_IS_SERVER (self), 0);
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (bus), 0);
  g_return_val_if_fail (object_path == NULL || g_variant_is_object_path (object_path), 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  /* Nothing would unexport it: it would outlive the server */
  if (self->stopped)
    {
      g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_CLOSED, _ ("The server was stopped"));
      return 0;
    }

  if (g_once_init_enter (&node_info))
    g_once_init_leave (&node_info, g_dbus_node_info_new_for_xml (bus_introspection, NULL));

  id = g_dbus_connection_register_object (bus, object_path ? object_path : COMLINK_BUS_OBJECT_PATH,
                                          node_info->interfaces[0], &bus_vtable, self, NULL, error);
  if (id != 0)
    g_hash_table_insert (self->exports, GUINT_TO_POINTER (id), g_object_ref (bus));
  return id;
}

/**
 * comlink_server_unexport_from_bus:
 * @self: a #ComlinkServer
 * @export_id: an id from [method@Comlink.Server.export_on_bus]
 *
 * Stops handing out connections on a bus. Clients connected already
 * stay; [method@Comlink.Server.stop] unexports from every bus, after which
 * this does nothing.
 *
 * Since: 0.1
 */
void
comlink_server_unexport_from_bus (ComlinkServer *self,
                                  guint          export_id)
{
  GDBusConnection *bus;

  g_return_if_fail (COMLINK_IS_SERVER (self));

  if (self->stopped)
    return;

  bus = g_hash_table_lookup (self->exports, GUINT_TO_POINTER (export_id));
  g_return_if_fail (bus != NULL);
  g_dbus_connection_unregister_object (bus, export_id);
  g_hash_table_remove (self->exports, GUINT_TO_POINTER (export_id));
}

/**
 * comlink_server_get_addresses:
 * @self: a #ComlinkServer
 *
 * The addresses that clients connect to, one for each socket the server
 * listens on, with the ports and names it chose.
 *
 * Returns: (transfer none) (array zero-terminated=1): the addresses
 *
 * Since: 0.1
 */
const char * const *
comlink_server_get_addresses (ComlinkServer *self)
{
  g_return_val_if_fail (COMLINK_IS_SERVER (self), NULL);

  return (const char * const *) self->addresses->pdata;
}

/**
 * comlink_server_stop:
 * @self: a #ComlinkServer
 *
 * Stops listening, removes the socket files the server made, disconnects
 * the TLS clients still shaking hands, and closes every client's
 * connection: their calls fail, their requests are cancelled and the
 * objects they held are dropped. A stopped server does not start again.
 * Disposing the server stops it.
 *
 * Since: 0.1
 */
void
comlink_server_stop (ComlinkServer *self)
{
  g_autoptr(GPtrArray) connections = NULL;
  GHashTableIter iter;
  gpointer       key, value;

  g_return_if_fail (COMLINK_IS_SERVER (self));

  if (self->stopped)
    return;
  self->stopped = TRUE;

  g_socket_service_stop (self->service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));
  for (guint i = 0; i < self->unix_paths->len; i++)
    g_unlink (g_ptr_array_index (self->unix_paths, i));
  g_ptr_array_set_size (self->unix_paths, 0);

  g_hash_table_iter_init (&iter, self->exports);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_dbus_connection_unregister_object (value, GPOINTER_TO_UINT (key));
  g_hash_table_remove_all (self->exports);

  /* Their callbacks close the streams and free them */
  for (guint i = 0; i < self->handshakes->len; i++)
    {
      Handshake *handshake = g_ptr_array_index (self->handshakes, i);

      handshake->server = NULL;
      g_cancellable_cancel (handshake->cancellable);
    }
  g_ptr_array_set_size (self->handshakes, 0);

  connections = comlink_server_dup_clients (self);
  for (guint i = 0; i < connections->len; i++)
    comlink_connection_close (g_ptr_array_index (connections, i));
}

/**
 * comlink_server_get_n_clients:
 * @self: a #ComlinkServer
 *
 * Gets how many clients are connected.
 *
 * Returns: how many clients are connected
 *
 * Since: 0.1
 */
guint
comlink_server_get_n_clients (ComlinkServer *self)
{
  g_return_val_if_fail (COMLINK_IS_SERVER (self), 0);

  return g_hash_table_size (self->clients);
}

/**
 * comlink_server_dup_clients:
 * @self: a #ComlinkServer
 *
 * The connections of the clients connected now.
 *
 * Returns: (transfer full) (element-type ComlinkConnection): the clients'
 *   connections
 *
 * Since: 0.1
 */
GPtrArray *
comlink_server_dup_clients (ComlinkServer *self)
{
  GPtrArray     *connections;
  GHashTableIter iter;
  gpointer       key;

  g_return_val_if_fail (COMLINK_IS_SERVER (self), NULL);

  connections = g_ptr_array_new_with_free_func (g_object_unref);
  g_hash_table_iter_init (&iter, self->clients);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (connections, g_object_ref (key));
  return connections;
}

/**
 * comlink_server_get_max_clients:
 * @self: a #ComlinkServer
 *
 * Gets the most clients that @self serves at once.
 *
 * Returns: the most clients served at once
 *
 * Since: 0.1
 */
guint
comlink_server_get_max_clients (ComlinkServer *self)
{
  g_return_val_if_fail (COMLINK_IS_SERVER (self), 0);

  return self->max_clients;
}

/**
 * comlink_server_set_max_clients:
 * @self: a #ComlinkServer
 * @max_clients: the most clients served at once, at least 1
 *
 * Sets [property@Comlink.Server:max-clients]. Clients connected already
 * stay.
 *
 * Since: 0.1
 */
void
comlink_server_set_max_clients (ComlinkServer *self,
                                guint          max_clients)
{
  g_return_if_fail (COMLINK_IS_SERVER (self));
  g_return_if_fail (max_clients >= 1);

  if (self->max_clients == max_clients)
    return;
  self->max_clients = max_clients;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_CLIENTS]);
}

/**
 * comlink_server_get_handshake_timeout:
 * @self: a #ComlinkServer
 *
 * Gets how long a TLS client has for its handshake.
 *
 * Returns: the time in milliseconds a TLS client has for its handshake
 *
 * Since: 0.1
 */
guint
comlink_server_get_handshake_timeout (ComlinkServer *self)
{
  g_return_val_if_fail (COMLINK_IS_SERVER (self), 0);

  return self->handshake_timeout;
}

/**
 * comlink_server_set_handshake_timeout:
 * @self: a #ComlinkServer
 * @timeout_ms: the time in milliseconds, or 0 for no limit
 *
 * Sets [property@Comlink.Server:handshake-timeout] for the clients to come.
 *
 * Since: 0.1
 */
void
comlink_server_set_handshake_timeout (ComlinkServer *self,
                                      guint          timeout_ms)
{
  g_return_if_fail (COMLINK_IS_SERVER (self));
  g_return_if_fail (timeout_ms <= G_MAXINT);

  if (self->handshake_timeout == timeout_ms)
    return;
  self->handshake_timeout = timeout_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HANDSHAKE_TIMEOUT]);
}

/**
 * comlink_server_get_tls_certificate:
 * @self: a #ComlinkServer
 *
 * Gets the certificate that @self presents to TCP clients.
 *
 * Returns: (transfer none) (nullable): the certificate the server presents
 *
 * Since: 0.1
 */
GTlsCertificate *
comlink_server_get_tls_certificate (ComlinkServer *self)
{
  g_return_val_if_fail (COMLINK_IS_SERVER (self), NULL);

  return self->tls_certificate;
}

/**
 * comlink_server_set_tls_certificate:
 * @self: a #ComlinkServer
 * @certificate: (nullable): a certificate with its private key
 *
 * Sets [property@Comlink.Server:tls-certificate].
 *
 * Since: 0.1
 */
void
comlink_server_set_tls_certificate (ComlinkServer   *self,
                                    GTlsCertificate *certificate)
{
  g_return_if_fail (COMLINK_IS_SERVER (self));
  g_return_if_fail (certificate == NULL || G_IS_TLS_CERTIFICATE (certificate));

  if (g_set_object (&self->tls_certificate, certificate))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TLS_CERTIFICATE]);
}

/**
 * comlink_server_get_tls_authentication_mode:
 * @self: a #ComlinkServer
 *
 * Gets whether @self asks TLS clients for a certificate.
 *
 * Returns: whether TLS clients are asked for a certificate
 *
 * Since: 0.1
 */
GTlsAuthenticationMode
comlink_server_get_tls_authentication_mode (ComlinkServer *self)
{
  g_return_val_if_fail (COMLINK_IS_SERVER (self), G_TLS_AUTHENTICATION_NONE);

  return self->tls_authentication_mode;
}

/**
 * comlink_server_set_tls_authentication_mode:
 * @self: a #ComlinkServer
 * @mode: whether to ask TLS clients for a certificate
 *
 * Sets [property@Comlink.Server:tls-authentication-mode].
 *
 * Since: 0.1
 */
void
comlink_server_set_tls_authentication_mode (ComlinkServer         *self,
                                            GTlsAuthenticationMode mode)
{
  g_return_if_fail (COMLINK_IS_SERVER (self));

  if (self->tls_authentication_mode == mode)
    return;
  self->tls_authentication_mode = mode;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TLS_AUTHENTICATION_MODE]);
}

/**
 * comlink_server_get_tls_database:
 * @self: a #ComlinkServer
 *
 * Gets the certificate authorities that @self trusts for client certificates.
 *
 * Returns: (transfer none) (nullable): the certificate authorities for
 *   client certificates
 *
 * Since: 0.1
 */
GTlsDatabase *
comlink_server_get_tls_database (ComlinkServer *self)
{
  g_return_val_if_fail (COMLINK_IS_SERVER (self), NULL);

  return self->tls_database;
}

/**
 * comlink_server_set_tls_database:
 * @self: a #ComlinkServer
 * @database: (nullable): the certificate authorities for client
 *   certificates, or %NULL for the system's
 *
 * Sets [property@Comlink.Server:tls-database].
 *
 * Since: 0.1
 */
void
comlink_server_set_tls_database (ComlinkServer *self,
                                 GTlsDatabase  *database)
{
  g_return_if_fail (COMLINK_IS_SERVER (self));
  g_return_if_fail (database == NULL || G_IS_TLS_DATABASE (database));

  if (g_set_object (&self->tls_database, database))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TLS_DATABASE]);
}
