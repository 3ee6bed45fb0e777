/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* ComlinkServer and ComlinkClient on TCP with TLS, with certificates that
 * the tests make at run time (make-certs.sh): a test CA, a server and a
 * client certificate it signed, and a second CA that signed others. A
 * client trusts the service's CA, or is refused; a service that asks for
 * client certificates takes only those its CA signed; a plain client and a
 * TLS service (or the other way round) fail cleanly; a client that never
 * does its handshake is disconnected after the handshake timeout, and
 * counts against the client limit meanwhile, and stopping or dropping the
 * service disconnects it at once. glib-networking is needed: without it
 * the tests fail. */

#include <glib/gstdio.h>

#include "test-objects.h"

/* How much slower than native the tests run: 20 under valgrind and the
 * sanitizers (COMLINK_TEST_SLOW), else 1, for the bounds on how soon
 * something happens */
static gint64
slowdown (void)
{
  return g_getenv ("COMLINK_TEST_SLOW") != NULL ? 20 : 1;
}

/* --- certificates --- */

typedef struct
{
  char            *dir;
  GTlsDatabase    *ca;           /* the test CA */
  GTlsDatabase    *other_ca;     /* a CA unrelated to it */
  GTlsCertificate *server;       /* localhost and 127.0.0.1, by the CA */
  GTlsCertificate *client;       /* by the CA */
  GTlsCertificate *other_server; /* localhost and 127.0.0.1, by the other CA */
  GTlsCertificate *other_client; /* by the other CA */
} Certs;

static Certs certs;

static void
make_certs (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) subprocess = NULL;
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "make-certs.sh", NULL);

  certs.dir = g_dir_make_tmp ("comlink-tls-XXXXXX", &error);
  g_assert_no_error (error);
  subprocess = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "/bin/sh", script, certs.dir, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (subprocess, NULL, &error));
  g_assert_no_error (error);
}

static GTlsDatabase *
load_ca (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (certs.dir, name, NULL);
  GTlsDatabase    *database = g_tls_file_database_new (path, &error);

  g_assert_no_error (error);
  return database;
}

static GTlsCertificate *
load_certificate (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pem = g_strdup_printf ("%s/%s.pem", certs.dir, name);
  g_autofree char *key = g_strdup_printf ("%s/%s.key", certs.dir, name);
  GTlsCertificate *certificate = g_tls_certificate_new_from_files (pem, key, &error);

  g_assert_no_error (error);
  return certificate;
}

/* Loads the certificates the first time: this needs a TLS backend */
static void
load_certs (void)
{
  g_assert_true (g_tls_backend_supports_tls (g_tls_backend_get_default ()));
  if (certs.ca != NULL)
    return;
  certs.ca = load_ca ("ca.pem");
  certs.other_ca = load_ca ("other-ca.pem");
  certs.server = load_certificate ("server");
  certs.client = load_certificate ("client");
  certs.other_server = load_certificate ("other-server");
  certs.other_client = load_certificate ("other-client");
}

static void
remove_certs (void)
{
  g_autoptr(GDir) d = g_dir_open (certs.dir, 0, NULL);
  const char *name;

  g_clear_object (&certs.ca);
  g_clear_object (&certs.other_ca);
  g_clear_object (&certs.server);
  g_clear_object (&certs.client);
  g_clear_object (&certs.other_server);
  g_clear_object (&certs.other_client);

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (certs.dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (certs.dir);
  g_clear_pointer (&certs.dir, g_free);
}

/* --- a service --- */

typedef struct
{
  ComlinkServer   *server;
  char            *address; /* the first one it listens on */
  guint            n_made;
  guint            n_asked;
  guint            n_tls;  /* clients authorized on a GTlsConnection */
  GTlsCertificate *peer;   /* the last one's certificate */
  guint            n_gone; /* clients gone */
} Service;

static GObject *
make_calc (ComlinkServer     *server,
           ComlinkConnection *client,
           GCredentials      *credentials,
           gpointer           user_data,
           GError           **error)
{
  Service *service = user_data;

  service->n_made++;
  return G_OBJECT (test_calc_new ());
}

static gboolean
on_authorize (ComlinkServer *server, GIOStream *stream, GCredentials *credentials, Service *service)
{
  service->n_asked++;
  g_assert_null (credentials);
  if (G_IS_TLS_CONNECTION (stream))
    {
      service->n_tls++;
      g_clear_object (&service->peer);
      if (g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (stream)) != NULL)
        service->peer = g_object_ref (g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (stream)));
    }
  return TRUE;
}

static void
on_client_gone (ComlinkServer *server, ComlinkConnection *client, const GError *error, Service *service)
{
  service->n_gone++;
}

/* A service of a TestCalc for each client on @address, which speaks TLS
 * with @certificate unless it says tls=false */
static void
service_start (Service *service, GTlsCertificate *certificate, const char *address)
{
  g_autoptr(GError) error = NULL;

  memset (service, 0, sizeof *service);
  service->server = comlink_server_new_with_factory (make_calc, service, NULL);
  comlink_server_set_tls_certificate (service->server, certificate);
  g_signal_connect (service->server, "authorize", G_CALLBACK (on_authorize), service);
  g_signal_connect (service->server, "client-gone", G_CALLBACK (on_client_gone), service);
  g_assert_true (comlink_server_listen (service->server, address, &error));
  g_assert_no_error (error);
  service->address = g_strdup (comlink_server_get_addresses (service->server)[0]);
  g_assert_nonnull (service->address);
}

/* Drops the service, which goes at once (a handshake in progress does not
 * keep it), with nothing left: no client, no object */
static void
service_finish (Service *service)
{
  TestWatch watch;

  g_assert_cmpuint (comlink_server_get_n_clients (service->server), ==, 0);
  test_watch (&watch, service->server);
  g_clear_object (&service->server);
  g_assert_true (test_watch_done (&watch));
  test_wait_until (test_calc_get_n_alive () == 0);
  g_clear_object (&service->peer);
  g_clear_pointer (&service->address, g_free);
}

/* The port of a tcp: address */
static guint16
address_port (const char *address)
{
  const char *port = strstr (address, ",port=");
  guint64     value;

  g_assert_nonnull (port);
  value = g_ascii_strtoull (port + strlen (",port="), NULL, 10);
  g_assert_cmpuint (value, >, 0);
  g_assert_cmpuint (value, <=, G_MAXUINT16);
  return (guint16) value;
}

/* --- a client --- */

typedef struct
{
  guint         n_calls;
  ComlinkProxy *proxy;
  GError       *error;
  gint64        time;
} Connected;

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Connected *connected = user_data;

  connected->n_calls++;
  connected->time = g_get_monotonic_time ();
  connected->proxy = comlink_client_connect_finish (COMLINK_CLIENT (source), result, &connected->error);
}

/* Connects with a ComlinkClient that trusts @ca and presents
 * @certificate; the client goes when connecting is over */
static ComlinkProxy *
connect_sync (GTlsDatabase *ca, GTlsCertificate *certificate, const char *address, GError **error)
{
  ComlinkClient *client = comlink_client_new ();
  Connected      connected = { 0 };
  TestWatch      watch;

  g_object_set (client, "tls-database", ca, "tls-certificate", certificate, NULL);
  comlink_client_connect_async (client, address, NULL, on_connected, &connected);
  test_watch (&watch, client);
  g_object_unref (client);
  test_wait_until (connected.n_calls > 0);
  test_iterate_pending ();
  g_assert_cmpuint (connected.n_calls, ==, 1);
  test_wait_until (test_watch_done (&watch));
  g_assert_true ((connected.proxy == NULL) == (connected.error != NULL));
  if (connected.error != NULL)
    {
      g_test_message ("connecting to %s failed: %s %d: %s", address, g_quark_to_string (connected.error->domain),
                      connected.error->code, connected.error->message);
      g_propagate_error (error, connected.error);
    }
  return connected.proxy;
}

/* A TCP connection that sends nothing: no handshake, no protocol */
static GSocketConnection *
connect_raw (const char *address)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection = g_socket_client_connect_to_host (client, "127.0.0.1", address_port (address),
                                                                   NULL, &error);

  g_assert_no_error (error);
  return connection;
}

/* Reads until the end of the stream, serving the main context */
typedef struct
{
  gboolean done;
  gsize    n_read;
  GError  *error;
  gint64   time;
  char     buffer[4096];
} Drain;

static void
on_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Drain *drain = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &drain->error);

  if (n > 0)
    {
      drain->n_read += (gsize) n;
      g_input_stream_read_async (G_INPUT_STREAM (source), drain->buffer, sizeof drain->buffer, G_PRIORITY_DEFAULT,
                                 NULL, on_read, drain);
      return;
    }
  drain->time = g_get_monotonic_time ();
  drain->done = TRUE;
}

static void
drain_start (Drain *drain, GSocketConnection *connection)
{
  memset (drain, 0, sizeof *drain);
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (connection)), drain->buffer,
                             sizeof drain->buffer, G_PRIORITY_DEFAULT, NULL, on_read, drain);
}

/* With max-clients 1 and no handshake timeout: connects a client that
 * trusts the CA as soon as the service has a place for it, that is once
 * the handshake of the client before is over. Until then, each try is
 * refused by the limit. */
static ComlinkProxy *
connect_when_free (Service *service)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  guint  n_refused = 0;

  g_assert_cmpuint (comlink_server_get_max_clients (service->server), ==, 1);
  g_assert_cmpuint (comlink_server_get_handshake_timeout (service->server), ==, 0);
  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(GError) error = NULL;
      ComlinkProxy *proxy = connect_sync (certs.ca, NULL, service->address, &error);

      if (proxy != NULL)
        {
          g_test_message ("served after %u refusals", n_refused);
          return proxy;
        }
      /* The service closed the connection before the handshake */
      g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS);
      n_refused++;
    }
  g_assert_not_reached ();
}

/* --- tests --- */

/* glib-networking is there: the other tests need it */
static void
test_backend (void)
{
  GTlsBackend *backend = g_tls_backend_get_default ();

  if (!g_tls_backend_supports_tls (backend))
    g_test_message ("GIO has no TLS backend: install glib-networking (tools/install-deps.sh)");
  g_assert_true (g_tls_backend_supports_tls (backend));
  load_certs ();
}

/* A client that trusts the service's CA connects and calls; the service
 * sees the client on a GTlsConnection. A client that trusts only the
 * system's CAs does not connect. */
static void
test_connect (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *localhost = NULL;
  ComlinkProxy    *proxy;
  Service          service;

  load_certs ();
  service_start (&service, certs.server, "tcp:host=127.0.0.1,port=0");
  g_assert_true (g_str_has_prefix (service.address, "tcp:host=127.0.0.1,port="));
  g_assert_null (strstr (service.address, "tls="));
  g_assert_null (comlink_server_get_addresses (service.server)[1]);

  proxy = connect_sync (certs.ca, NULL, service.address, &error);
  g_assert_no_error (error);
  g_assert_cmpint (test_proxy_add (proxy, 2, 3), ==, 5);
  g_assert_cmpuint (service.n_asked, ==, 1);
  g_assert_cmpuint (service.n_tls, ==, 1);
  g_assert_null (service.peer); /* not asked for */
  g_assert_cmpuint (service.n_made, ==, 1);
  g_assert_cmpuint (comlink_server_get_n_clients (service.server), ==, 1);
  test_disconnect (proxy);
  test_wait_until (service.n_gone == 1);
  g_assert_cmpuint (comlink_server_get_n_clients (service.server), ==, 0);
  g_assert_cmpuint (test_calc_get_n_alive (), ==, 0);

  /* localhost is in the certificate too */
  localhost = g_strdup_printf ("tcp:host=localhost,port=%u,family=ipv4", address_port (service.address));
  proxy = connect_sync (certs.ca, NULL, localhost, &error);
  g_assert_no_error (error);
  g_assert_cmpint (test_proxy_add (proxy, 1, 1), ==, 2);
  test_disconnect (proxy);
  test_wait_until (service.n_gone == 2);

  /* The system's CAs do not know the test CA */
  g_assert_null (connect_sync (NULL, NULL, service.address, &error));
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_clear_error (&error);

  g_assert_cmpuint (service.n_asked, ==, 2);
  g_assert_cmpuint (service.n_made, ==, 2);
  service_finish (&service);
}

/* A client that trusts only another CA refuses the service's certificate:
 * nothing is served, and the service's handshake ends with it */
static void
test_untrusted_server (void)
{
  g_autoptr(GError) error = NULL;
  ComlinkProxy *proxy;
  Service       service;

  load_certs ();
  service_start (&service, certs.server, "tcp:host=127.0.0.1,port=0");
  comlink_server_set_handshake_timeout (service.server, 0); /* no limit */
  comlink_server_set_max_clients (service.server, 1);

  g_assert_null (connect_sync (certs.other_ca, NULL, service.address, &error));
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_assert_nonnull (strstr (error->message, service.address));
  g_clear_error (&error);
  g_assert_cmpuint (service.n_asked, ==, 0);
  g_assert_cmpuint (service.n_made, ==, 0);
  g_assert_cmpuint (comlink_server_get_n_clients (service.server), ==, 0);

  /* The refused handshake does not hold the only place */
  proxy = connect_when_free (&service);
  g_assert_cmpint (test_proxy_add (proxy, 2, 2), ==, 4);
  test_disconnect (proxy);
  test_wait_until (service.n_gone == 1);

  g_assert_cmpuint (service.n_asked, ==, 1);
  service_finish (&service);
}

/* A service whose certificate another CA signed is refused by a client
 * that trusts the test CA, and so is one whose certificate names another
 * host */
static void
test_wrong_server_certificate (void)
{
  g_autoptr(GError) error = NULL;
  Service service;

  load_certs ();
  service_start (&service, certs.other_server, "tcp:host=127.0.0.1,port=0");
  comlink_server_set_handshake_timeout (service.server, 0);

  g_assert_null (connect_sync (certs.ca, NULL, service.address, &error));
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_clear_error (&error);

  g_assert_cmpuint (service.n_asked, ==, 0);
  g_assert_cmpuint (service.n_made, ==, 0);
  g_assert_cmpuint (comlink_server_get_n_clients (service.server), ==, 0);
  service_finish (&service);

  /* A certificate of the trusted CA that does not name the host */
  service_start (&service, certs.server, "tcp:host=127.0.0.2,port=0");
  comlink_server_set_handshake_timeout (service.server, 0);
  g_assert_null (connect_sync (certs.ca, NULL, service.address, &error));
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_clear_error (&error);
  g_assert_cmpuint (service.n_asked, ==, 0);
  service_finish (&service);
}

/* A service that requires client certificates signed by its CA. With TLS
 * 1.3 the client's handshake is over before the service checks its
 * certificate: the client learns that it was refused when the service
 * closes the connection instead of serving it. */
static void
test_client_certificate (void)
{
  g_autoptr(GError) error = NULL;
  ComlinkProxy *proxy;
  Service       service;

  load_certs ();
  service_start (&service, certs.server, "tcp:host=127.0.0.1,port=0");
  comlink_server_set_handshake_timeout (service.server, 0);
  comlink_server_set_max_clients (service.server, 1);
  comlink_server_set_tls_authentication_mode (service.server, G_TLS_AUTHENTICATION_REQUIRED);
  comlink_server_set_tls_database (service.server, certs.ca);

  /* Without a certificate */
  g_assert_null (connect_sync (certs.ca, NULL, service.address, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_CLOSED);
  g_clear_error (&error);

  /* With one of another CA */
  g_assert_null (connect_sync (certs.ca, certs.other_client, service.address, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_cmpuint (service.n_asked, ==, 0);
  g_assert_cmpuint (service.n_made, ==, 0);
  g_assert_cmpuint (comlink_server_get_n_clients (service.server), ==, 0);

  /* With the client certificate: the service sees it. The handshakes
   * refused before hold no place: they were over when the service closed
   * their connections. */
  proxy = connect_sync (certs.ca, certs.client, service.address, &error);
  g_assert_no_error (error);
  g_assert_cmpint (test_proxy_add (proxy, 20, 22), ==, 42);
  g_assert_cmpuint (service.n_asked, ==, 1);
  g_assert_cmpuint (service.n_tls, ==, 1);
  g_assert_nonnull (service.peer);
  g_assert_true (g_tls_certificate_is_same (service.peer, certs.client));
  test_disconnect (proxy);
  test_wait_until (service.n_gone == 1);

  /* Asked for, not required: a client without one is served, and one
   * whose certificate is of another CA is still refused */
  comlink_server_set_tls_authentication_mode (service.server, G_TLS_AUTHENTICATION_REQUESTED);
  proxy = connect_sync (certs.ca, NULL, service.address, &error);
  g_assert_no_error (error);
  g_assert_cmpint (test_proxy_add (proxy, 1, 2), ==, 3);
  g_assert_cmpuint (service.n_asked, ==, 2);
  g_assert_null (service.peer);
  test_disconnect (proxy);
  test_wait_until (service.n_gone == 2);
  g_assert_null (connect_sync (certs.ca, certs.other_client, service.address, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_CLOSED);
  g_clear_error (&error);

  g_assert_cmpuint (service.n_asked, ==, 2);
  g_assert_cmpuint (service.n_made, ==, 2);
  service_finish (&service);
}

/* A plain client and a TLS service, and a TLS client and a plain service,
 * do not understand each other: connecting fails soon, and the service
 * keeps nothing */
static void
test_plain_and_tls (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *tls = NULL;
  ComlinkProxy    *proxy;
  Service          service;

  load_certs ();

  /* A plain client: its handshake is not TLS, the service's TLS handshake
   * fails on it at once (no limit, so that the timeout cannot be what
   * ends it) and the service closes the connection */
  service_start (&service, certs.server, "tcp:host=127.0.0.1,port=0");
  comlink_server_set_handshake_timeout (service.server, 0);
  comlink_server_set_max_clients (service.server, 1);
  plain = g_strconcat (service.address, ",tls=false", NULL);
  g_assert_null (connect_sync (certs.ca, NULL, plain, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_cmpuint (service.n_asked, ==, 0);

  /* The place it took is free again: its handshake is over */
  proxy = connect_sync (certs.ca, NULL, service.address, &error);
  g_assert_no_error (error);
  g_assert_cmpint (test_proxy_add (proxy, 5, 5), ==, 10);
  test_disconnect (proxy);
  test_wait_until (service.n_gone == 1);
  service_finish (&service);

  /* A TLS client and a plain service: the service's handshake is not a
   * TLS record, and the client's TLS handshake fails on it */
  service_start (&service, NULL, "tcp:host=127.0.0.1,port=0,tls=false");
  g_assert_true (g_str_has_suffix (service.address, ",tls=false"));
  tls = g_strndup (service.address, strlen (service.address) - strlen (",tls=false"));
  g_assert_null (connect_sync (certs.ca, NULL, tls, &error));
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_MISC);
  g_clear_error (&error);
  /* The plain service served it, until it went */
  test_wait_until (service.n_gone == 1);
  g_assert_cmpuint (service.n_asked, ==, 1);
  g_assert_cmpuint (service.n_tls, ==, 0);
  g_assert_cmpuint (service.n_made, ==, 1);
  service_finish (&service);
}

/* A client that connects and never does its handshake is disconnected
 * after handshake-timeout, and counts against max-clients meanwhile */
static void
test_handshake_timeout (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) raw = NULL;
  ComlinkProxy *proxy;
  Service       service;
  Drain         drain;
  gint64        start;

  load_certs ();
  service_start (&service, certs.server, "tcp:host=127.0.0.1,port=0");
  comlink_server_set_handshake_timeout (service.server, 500);
  comlink_server_set_max_clients (service.server, 1);

  start = g_get_monotonic_time ();
  raw = connect_raw (service.address);
  drain_start (&drain, raw);

  /* The place is taken: the service closes the connection at once, and
   * the client's TLS handshake fails (it may learn it after the timeout,
   * under valgrind) */
  g_assert_null (connect_sync (certs.ca, NULL, service.address, &error));
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS);
  g_clear_error (&error);

  /* The end of the stream, from the service, after the timeout */
  test_wait_until (drain.done);
  g_assert_no_error (drain.error);
  g_assert_cmpuint (drain.n_read, ==, 0);
  g_assert_cmpint (drain.time - start, >=, 500 * 1000);
  g_assert_cmpint (drain.time - start, <, 500 * 1000 + slowdown () * G_USEC_PER_SEC);
  g_clear_object (&raw);

  /* The place is free again (with the default timeout: valgrind is slow) */
  comlink_server_set_handshake_timeout (service.server, 10000);
  proxy = connect_sync (certs.ca, NULL, service.address, &error);
  g_assert_no_error (error);
  g_assert_cmpint (test_proxy_add (proxy, 3, 4), ==, 7);
  test_disconnect (proxy);
  test_wait_until (service.n_gone == 1);

  g_assert_cmpuint (service.n_asked, ==, 1);
  service_finish (&service);
}

/* Connects a client that never does its handshake, and waits until the
 * service took it */
static GSocketConnection *
connect_raw_taken (Service *service, Drain *drain)
{
  GSocketConnection *raw = connect_raw (service->address);

  drain_start (drain, raw);
  for (guint i = 0; i < 20; i++)
    {
      test_iterate_pending ();
      g_usleep (5000);
    }
  g_assert_false (drain->done);
  return raw;
}

/* Stopping the service, or dropping it, ends the handshakes in progress
 * at once: they do not keep it alive */
static void
test_stop_during_handshake (void)
{
  g_autoptr(GSocketConnection) raw = NULL;
  Service service;
  Drain   drain;
  gint64  stopped;

  load_certs ();
  service_start (&service, certs.server, "tcp:host=127.0.0.1,port=0");
  comlink_server_set_handshake_timeout (service.server, 0); /* no limit */
  raw = connect_raw_taken (&service, &drain);

  stopped = g_get_monotonic_time ();
  comlink_server_stop (service.server);
  test_wait_until (drain.done);
  /* The end of the stream: the service had accepted it, and closed it */
  g_assert_no_error (drain.error);
  g_assert_cmpuint (drain.n_read, ==, 0);
  g_assert_cmpint (drain.time - stopped, <, slowdown () * 200 * 1000);
  g_assert_cmpuint (service.n_asked, ==, 0);
  service_finish (&service);
  g_clear_object (&raw);

  /* Dropped: it goes at once, and the client is disconnected */
  service_start (&service, certs.server, "tcp:host=127.0.0.1,port=0");
  comlink_server_set_handshake_timeout (service.server, 0);
  raw = connect_raw_taken (&service, &drain);
  stopped = g_get_monotonic_time ();
  service_finish (&service);
  test_wait_until (drain.done);
  g_assert_no_error (drain.error);
  g_assert_cmpuint (drain.n_read, ==, 0);
  g_assert_cmpint (drain.time - stopped, <, slowdown () * 200 * 1000);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  make_certs ();

  g_test_add_func ("/Comlink/TLS/backend", test_backend);
  g_test_add_func ("/Comlink/TLS/connect", test_connect);
  g_test_add_func ("/Comlink/TLS/untrusted-server", test_untrusted_server);
  g_test_add_func ("/Comlink/TLS/wrong-server-certificate", test_wrong_server_certificate);
  g_test_add_func ("/Comlink/TLS/client-certificate", test_client_certificate);
  g_test_add_func ("/Comlink/TLS/plain-and-tls", test_plain_and_tls);
  g_test_add_func ("/Comlink/TLS/handshake-timeout", test_handshake_timeout);
  g_test_add_func ("/Comlink/TLS/stop-during-handshake", test_stop_during_handshake);

  status = g_test_run ();
  remove_certs ();
  return status;
}
