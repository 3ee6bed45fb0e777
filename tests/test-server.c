/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* ComlinkServer and comlink_connect_async() on real sockets: every kind
 * of address, an object per client, many clients at once, a client
 * killed with SIGKILL in the middle of a call (its objects released, its
 * request cancelled, the others going on), the service killed (every
 * call failing), authorization, the client limit, socket activation with
 * a passed socket, and reconnecting. */

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include "test-objects.h"

/* --- helpers --- */

typedef struct
{
  guint         n_calls;
  ComlinkProxy *proxy;
  GError       *error;
} Connected;

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Connected *connected = user_data;

  connected->n_calls++;
  connected->proxy = comlink_connect_finish (result, &connected->error);
}

static ComlinkProxy *
connect_sync (const char *address, GError **error)
{
  Connected connected = { 0 };

  comlink_connect_async (address, NULL, on_connected, &connected);
  test_wait_until (connected.n_calls > 0);
  g_assert_cmpuint (connected.n_calls, ==, 1);
  if (connected.error != NULL)
    g_propagate_error (error, connected.error);
  return connected.proxy;
}

static GObject *
make_calc (ComlinkServer     *server,
           ComlinkConnection *client,
           GCredentials      *credentials,
           gpointer           user_data,
           GError           **error)
{
  guint *n_made = user_data;

  if (n_made != NULL)
    (*n_made)++;
  return G_OBJECT (test_calc_new ());
}

typedef struct
{
  guint              n_connected;
  guint              n_gone;
  ComlinkConnection *last_gone;
  GError            *last_error;
  gint64             gone_time;
  GCredentials      *credentials;
} Events;

static void
on_client_connected (ComlinkServer *server, ComlinkConnection *client, GCredentials *credentials, Events *events)
{
  events->n_connected++;
  g_clear_object (&events->credentials);
  if (credentials != NULL)
    events->credentials = g_object_ref (credentials);
}

static void
on_client_gone (ComlinkServer *server, ComlinkConnection *client, const GError *error, Events *events)
{
  events->n_gone++;
  events->gone_time = g_get_monotonic_time ();
  g_clear_error (&events->last_error);
  events->last_error = g_error_copy (error);
  events->last_gone = client;
}

static void
events_clear (Events *events)
{
  g_clear_error (&events->last_error);
  g_clear_object (&events->credentials);
}

static void
watch_server (ComlinkServer *server, Events *events)
{
  g_signal_connect (server, "client-connected", G_CALLBACK (on_client_connected), events);
  g_signal_connect (server, "client-gone", G_CALLBACK (on_client_gone), events);
}

/* A new directory for socket files, removed with its content */
static char *
socket_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("comlink-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

/* --- tests --- */

static void
test_bad_addresses (void)
{
  g_autoptr(TestCalc) calc = test_calc_new ();
  g_autoptr(ComlinkServer) server = comlink_server_new (G_OBJECT (calc));
  const char *invalid[] = {
    "nothing",
    ":path=/x",
    "unix:",
    "unix:path=/a,abstract=b",
    "unix:path",
    "tcp:port=70000",
    "tcp:port=1,family=ipx",
    "tcp:port=1,tls=maybe",
    "unix:path=%zz",
  };
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_assert_false (comlink_server_listen (server, invalid[i], &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
    }

  g_assert_false (comlink_server_listen (server, "launchd:env=X", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);

  /* TCP is TLS unless asked otherwise, and TLS needs a certificate */
  g_assert_false (comlink_server_listen (server, "tcp:host=127.0.0.1,port=0", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (comlink_server_get_addresses (server)[0]);

  /* A client gets the same errors, once */
  g_assert_null (connect_sync ("unix:", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (connect_sync ("unix:dir=/tmp", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* Nobody listening */
  g_assert_null (connect_sync ("unix:abstract=comlink-test-nobody-here", &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "comlink-test-nobody-here"));
}

/* Every kind of address, with an object of its own for each client */
static void
test_addresses (void)
{
  g_autofree char *dir = socket_dir ();
  g_autofree char *path = g_build_filename (dir, "socket", NULL);
  g_autofree char *abstract = g_strdup_printf ("comlink-test-%d-%u", getpid (), g_random_int ());
  g_autofree char *address = g_strdup_printf ("unix:path=%s;unix:abstract=%s;unix:dir=%s;tcp:host=127.0.0.1,port=0,tls=false",
                                              path, abstract, dir);
  guint            n_made = 0;
  g_autoptr(ComlinkServer) server = comlink_server_new_with_factory (make_calc, &n_made, NULL);
  g_autoptr(GError) error = NULL;
  const char * const *addresses;
  Events              events = { 0 };

  watch_server (server, &events);
  g_assert_true (comlink_server_listen (server, address, &error));
  g_assert_no_error (error);

  addresses = comlink_server_get_addresses (server);
  g_assert_cmpuint (g_strv_length ((GStrv) addresses), ==, 4);
  g_assert_true (g_str_has_prefix (addresses[0], "unix:path="));
  g_assert_true (g_str_has_prefix (addresses[1], "unix:abstract=comlink-test-"));
  g_assert_true (g_str_has_prefix (addresses[2], "unix:path="));
  g_assert_true (g_str_has_prefix (addresses[3], "tcp:host=127.0.0.1,port="));
  g_assert_true (g_str_has_suffix (addresses[3], ",tls=false"));
  g_assert_false (g_str_has_suffix (addresses[3], "port=0,tls=false"));

  for (guint i = 0; addresses[i] != NULL; i++)
    {
      g_autoptr(ComlinkProxy) first = connect_sync (addresses[i], &error);
      g_autoptr(ComlinkProxy) second = NULL;

      g_assert_no_error (error);
      second = connect_sync (addresses[i], &error);
      g_assert_no_error (error);
      g_assert_cmpint (test_proxy_add (first, 2, 3), ==, 5);

      /* Each client has its own object */
      test_proxy_set_value (first, 10 + (int) i);
      test_proxy_set_value (second, 20 + (int) i);
      g_assert_cmpint (test_proxy_get_value (first), ==, 10 + (int) i);
      g_assert_cmpint (test_proxy_get_value (second), ==, 20 + (int) i);
      g_assert_cmpuint (comlink_server_get_n_clients (server), ==, 2);

      /* Credentials on Unix sockets, of this very process */
      if (g_str_has_prefix (addresses[i], "unix:"))
        {
          g_assert_nonnull (events.credentials);
          g_assert_cmpint (g_credentials_get_unix_pid (events.credentials, NULL), ==, getpid ());
        }
      else
        g_assert_null (events.credentials);

      test_disconnect (g_steal_pointer (&first));
      test_disconnect (g_steal_pointer (&second));
      test_wait_until (comlink_server_get_n_clients (server) == 0);
    }

  g_assert_cmpuint (n_made, ==, 8);
  g_assert_cmpuint (events.n_connected, ==, 8);
  g_assert_cmpuint (events.n_gone, ==, 8);
  /* The objects went with their clients */
  test_wait_until (test_calc_get_n_alive () == 0);

  /* Stopping removes the socket files it made */
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  comlink_server_stop (server);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    g_assert_null (g_dir_read_name (d));
  }
  g_assert_null (connect_sync (addresses[3], &error));
  g_assert_nonnull (error);

  test_remove_dir (dir);
  events_clear (&events);
}

/* One object for all, many clients at once, calls interleaved */
static void
test_many_clients (void)
{
  g_autoptr(TestCalc) calc = test_calc_new ();
  g_autoptr(ComlinkServer) server = comlink_server_new (G_OBJECT (calc));
  g_autofree char *abstract = g_strdup_printf ("unix:abstract=comlink-test-many-%d", getpid ());
  g_autoptr(GError) error = NULL;
  ComlinkProxy *proxies[32];
  TestResult    results[32] = { { 0 } };

  g_assert_true (comlink_server_listen (server, abstract, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (proxies); i++)
    {
      proxies[i] = connect_sync (abstract, &error);
      g_assert_no_error (error);
    }
  g_assert_cmpuint (comlink_server_get_n_clients (server), ==, G_N_ELEMENTS (proxies));

  for (guint round = 0; round < 10; round++)
    {
      for (guint i = 0; i < G_N_ELEMENTS (proxies); i++)
        {
          GValue *args = test_args_new (2, G_TYPE_INT, (int) i, G_TYPE_INT, (int) round);

          comlink_proxy_call_async (proxies[i], "add", args, 2, NULL, test_on_call_done, &results[i]);
          test_args_free (args, 2);
        }
      for (guint i = 0; i < G_N_ELEMENTS (proxies); i++)
        {
          test_wait_until (results[i].n_calls == 1);
          g_assert_no_error (results[i].error);
          g_assert_cmpint (g_value_get_int (results[i].value), ==, (int) (i + round));
          test_result_clear (&results[i]);
        }
    }

  for (guint i = 0; i < G_N_ELEMENTS (proxies); i++)
    test_disconnect (proxies[i]);
  test_wait_until (comlink_server_get_n_clients (server) == 0);
}

/* A client killed with SIGKILL while its call is served: its request is
 * cancelled and the objects it held are released at once; another client
 * goes on */
static void
test_client_killed (void)
{
  g_autoptr(ComlinkServer) server = comlink_server_new_with_factory (make_calc, NULL, NULL);
  g_autofree char *abstract = g_strdup_printf ("unix:abstract=comlink-test-kill-%d", getpid ());
  const char      *argv[] = { g_getenv ("COMLINK_TEST_SERVICE_PEER"), "client", abstract, "5", NULL };
  g_autoptr(ComlinkProxy) other = NULL;
  g_autoptr(GError) error = NULL;
  Events   events = { 0 };
  TestPeer peer = { 0 };
  gint64   killed;

  g_assert_nonnull (argv[0]);
  watch_server (server, &events);
  g_assert_true (comlink_server_listen (server, abstract, &error));
  g_assert_no_error (error);
  other = connect_sync (abstract, &error);
  g_assert_no_error (error);

  test_peer_spawn (&peer, NULL, argv, "ready");
  /* Its object, its five children, the other client's object */
  g_assert_cmpuint (test_calc_get_n_alive (), ==, 7);
  g_assert_cmpuint (comlink_server_get_n_clients (server), ==, 2);

  killed = g_get_monotonic_time ();
  test_peer_kill (&peer);
  test_wait_until (events.n_gone == 1);
  g_assert_cmpint (events.gone_time - killed, <, test_at_once ());
  g_assert_cmpuint (test_calc_get_n_alive (), ==, 1);
  g_assert_cmpint (test_calc_get_last_cancel_time (), >=, killed);
  g_assert_cmpint (test_calc_get_last_cancel_time () - killed, <, test_at_once ());
  g_assert_cmpuint (comlink_server_get_n_clients (server), ==, 1);

  g_assert_cmpint (test_proxy_add (other, 40, 2), ==, 42);

  test_peer_clear (&peer);
  test_disconnect (g_steal_pointer (&other));
  test_wait_until (test_calc_get_n_alive () == 0);
  events_clear (&events);
}

static void
on_hold_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  TestResult *r = user_data;

  r->n_calls++;
  r->time = g_get_monotonic_time ();
  r->value = comlink_proxy_call_finish (COMLINK_PROXY (source), result, &r->error);
}

/* The service killed: every call of every client fails at once */
static void
test_service_killed (void)
{
  g_autofree char *abstract = g_strdup_printf ("unix:abstract=comlink-test-service-%d", getpid ());
  const char      *argv[] = { g_getenv ("COMLINK_TEST_SERVICE_PEER"), "serve", abstract, NULL };
  g_autoptr(GError) error = NULL;
  ComlinkProxy *proxies[3];
  TestResult    results[3] = { { 0 } };
  TestWatch     watches[3];
  TestPeer      peer = { 0 };
  gint64        killed;

  test_peer_spawn (&peer, NULL, argv, "listening");
  g_assert_cmpstr (peer.address, ==, abstract);

  for (guint i = 0; i < G_N_ELEMENTS (proxies); i++)
    {
      proxies[i] = connect_sync (peer.address, &error);
      g_assert_no_error (error);
      g_assert_cmpint (test_proxy_add (proxies[i], 1, (int) i), ==, 1 + (int) i);
      comlink_proxy_call_async (proxies[i], "hold", NULL, 0, NULL, on_hold_done, &results[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (proxies); i++)
    g_assert_cmpint (test_proxy_add (proxies[i], 1, 1), ==, 2); /* the holds arrived */

  killed = g_get_monotonic_time ();
  test_peer_kill (&peer);
  for (guint i = 0; i < G_N_ELEMENTS (proxies); i++)
    {
      test_wait_until (results[i].n_calls > 0);
      g_assert_cmpuint (results[i].n_calls, ==, 1);
      g_assert_error (results[i].error, COMLINK_ERROR, COMLINK_ERROR_CLOSED);
      g_assert_cmpint (results[i].time - killed, <, test_at_once ());
      test_result_clear (&results[i]);
      g_assert_null (comlink_proxy_dup_connection (proxies[i]));
      test_watch (&watches[i], proxies[i]);
      g_object_unref (proxies[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (proxies); i++)
    test_wait_until (test_watch_done (&watches[i]));
  test_peer_clear (&peer);

  /* Reconnecting is one call, to a new service */
  test_peer_spawn (&peer, NULL, argv, "listening");
  proxies[0] = connect_sync (peer.address, &error);
  g_assert_no_error (error);
  g_assert_cmpint (test_proxy_add (proxies[0], 20, 22), ==, 42);
  test_disconnect (proxies[0]);
  test_peer_clear (&peer);
}

static gboolean
refuse_all (ComlinkServer *server, GIOStream *stream, GCredentials *credentials, guint *n_asked)
{
  (*n_asked)++;
  return FALSE;
}

/* Who may connect: a refused client fails to connect with a clear error,
 * nothing of it is served; the default accepts only the same user */
static void
test_authorize (void)
{
  guint n_made = 0;
  g_autoptr(ComlinkServer) server = comlink_server_new_with_factory (make_calc, &n_made, NULL);
  g_autofree char *abstract = g_strdup_printf ("unix:abstract=comlink-test-auth-%d", getpid ());
  g_autoptr(GError) error = NULL;
  g_autoptr(GCredentials) mine = g_credentials_new ();
  g_autoptr(GCredentials) other = g_credentials_new ();
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GIOStream) stream = NULL;
  gboolean allowed = TRUE;
  guint    n_asked = 0;
  gulong   id;
  int      pair[2];

  g_assert_true (comlink_server_listen (server, abstract, &error));
  g_assert_no_error (error);

  id = g_signal_connect (server, "authorize", G_CALLBACK (refuse_all), &n_asked);
  g_assert_null (connect_sync (abstract, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_CLOSED);
  g_assert_nonnull (strstr (error->message, abstract));
  g_clear_error (&error);
  g_assert_cmpuint (n_asked, ==, 1);
  g_assert_cmpuint (n_made, ==, 0);
  g_assert_cmpuint (comlink_server_get_n_clients (server), ==, 0);
  g_signal_handler_disconnect (server, id);

  /* The default: the same user only, and a Unix socket without
   * credentials is refused */
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), ==, 0);
  close (pair[1]);
  socket = g_socket_new_from_fd (pair[0], &error);
  g_assert_no_error (error);
  stream = G_IO_STREAM (g_socket_connection_factory_create_connection (socket));
  g_assert_true (g_credentials_set_unix_user (other, getuid () + 1, &error));
  g_assert_no_error (error);

  g_signal_emit_by_name (server, "authorize", stream, mine, &allowed);
  g_assert_true (allowed);
  g_signal_emit_by_name (server, "authorize", stream, other, &allowed);
  g_assert_false (allowed);
  g_signal_emit_by_name (server, "authorize", stream, NULL, &allowed);
  g_assert_false (allowed);
  g_assert_false (comlink_server_add_stream (server, stream, other));
  g_assert_true (g_io_stream_is_closed (stream));
  g_assert_cmpuint (n_made, ==, 0);

  /* Accepted again */
  {
    g_autoptr(ComlinkProxy) proxy = connect_sync (abstract, &error);

    g_assert_no_error (error);
    g_assert_cmpint (test_proxy_add (proxy, 1, 1), ==, 2);
    test_disconnect (g_steal_pointer (&proxy));
  }
}

/* The client limit: one over it is refused, and served again once a
 * place is free */
static void
test_max_clients (void)
{
  g_autoptr(TestCalc) calc = test_calc_new ();
  g_autoptr(ComlinkServer) server = comlink_server_new (G_OBJECT (calc));
  g_autofree char *abstract = g_strdup_printf ("unix:abstract=comlink-test-max-%d", getpid ());
  g_autoptr(GError) error = NULL;
  ComlinkProxy *first, *second;

  comlink_server_set_max_clients (server, 1);
  g_assert_true (comlink_server_listen (server, abstract, &error));
  first = connect_sync (abstract, &error);
  g_assert_no_error (error);
  g_assert_null (connect_sync (abstract, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_cmpint (test_proxy_add (first, 1, 2), ==, 3);

  test_disconnect (first);
  test_wait_until (comlink_server_get_n_clients (server) == 0);
  second = connect_sync (abstract, &error);
  g_assert_no_error (error);
  g_assert_cmpint (test_proxy_add (second, 2, 2), ==, 4);
  test_disconnect (second);
}

/* Stopping closes every client's connection */
static void
test_stop (void)
{
  g_autoptr(TestCalc) calc = test_calc_new ();
  g_autoptr(ComlinkServer) server = comlink_server_new (G_OBJECT (calc));
  g_autofree char *abstract = g_strdup_printf ("unix:abstract=comlink-test-stop-%d", getpid ());
  g_autoptr(GError) error = NULL;
  g_autoptr(ComlinkProxy) proxy = NULL;
  TestResult result = { 0 };
  Events     events = { 0 };
  TestWatch  watch;

  watch_server (server, &events);
  g_assert_true (comlink_server_listen (server, abstract, &error));
  proxy = connect_sync (abstract, &error);
  g_assert_no_error (error);
  comlink_proxy_call_async (proxy, "hold", NULL, 0, NULL, on_hold_done, &result);
  g_assert_cmpint (test_proxy_add (proxy, 1, 1), ==, 2);

  comlink_server_stop (server);
  g_assert_cmpuint (events.n_gone, ==, 1);
  g_assert_cmpuint (comlink_server_get_n_clients (server), ==, 0);
  test_wait_until (result.n_calls == 1);
  g_assert_error (result.error, COMLINK_ERROR, COMLINK_ERROR_CLOSED);
  test_result_clear (&result);
  g_assert_false (comlink_server_listen (server, abstract, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_CLOSED);

  test_watch (&watch, server);
  g_clear_object (&server);
  g_assert_true (test_watch_done (&watch));
  events_clear (&events);
}

/* Socket activation: the service takes the listening socket it was
 * passed as descriptor 3. LISTEN_PID is the pid of the shell, which the
 * service replaces, as systemd sets it. */
static void
test_systemd (void)
{
  g_autofree char *dir = socket_dir ();
  g_autofree char *path = g_build_filename (dir, "activated", NULL);
  g_autofree char *address = NULL;
  g_autoptr(GSocketAddress) socket_address = g_unix_socket_address_new (path);
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
                                             NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  const char *argv[] = { "/bin/sh", "-c", "LISTEN_PID=$$ exec \"$0\" serve-systemd",
                         g_getenv ("COMLINK_TEST_SERVICE_PEER"), NULL };
  g_autoptr(GError) error = NULL;
  ComlinkProxy *proxy;
  TestPeer      peer = { 0 };

  g_assert_true (g_socket_bind (socket, socket_address, TRUE, &error));
  g_assert_true (g_socket_listen (socket, &error));
  g_assert_no_error (error);

  g_subprocess_launcher_take_fd (launcher, dup (g_socket_get_fd (socket)), 3);
  g_subprocess_launcher_setenv (launcher, "LISTEN_FDS", "1", TRUE);
  test_peer_spawn (&peer, launcher, argv, "listening");
  address = g_strdup_printf ("unix:path=%s", path);
  g_assert_cmpstr (peer.address, ==, address);

  /* The socket stays ours: clients wait in its backlog while the service
   * starts, as systemd's do */
  proxy = connect_sync (address, &error);
  g_assert_no_error (error);
  g_assert_cmpint (test_proxy_add (proxy, 3, 4), ==, 7);
  test_disconnect (proxy);

  test_peer_clear (&peer);
  test_remove_dir (dir);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Comlink/Server/bad-addresses", test_bad_addresses);
  g_test_add_func ("/Comlink/Server/addresses", test_addresses);
  g_test_add_func ("/Comlink/Server/many-clients", test_many_clients);
  g_test_add_func ("/Comlink/Server/client-killed", test_client_killed);
  g_test_add_func ("/Comlink/Server/service-killed", test_service_killed);
  g_test_add_func ("/Comlink/Server/authorize", test_authorize);
  g_test_add_func ("/Comlink/Server/max-clients", test_max_clients);
  g_test_add_func ("/Comlink/Server/stop", test_stop);
  g_test_add_func ("/Comlink/Server/systemd", test_systemd);

  return g_test_run ();
}
