/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* ComlinkServer on a message bus and comlink_connect_bus_async(), on a
 * private dbus-daemon that GTestDBus starts for this program: connections
 * handed out by the Connect method of org.gnome.Comlink1 with the caller's
 * credentials as the bus tells them, a refused caller, names nobody owns,
 * another object path, unexporting and stopping (also while the bus is
 * asked who the caller is), services that answer Connect without a usable
 * socket, D-Bus activation of a service that is then killed in the middle
 * of a call, and a client in a process of its own. Each test checks that
 * nothing is left: no client, no object, no proxy, no file descriptor. */

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#include "test-objects.h"

#define TEST_NAME "org.gnome.ComlinkTest.Bus"
#define ACTIVATED_NAME "org.gnome.ComlinkTest.Activated"
#define OTHER_PATH "/org/gnome/ComlinkTest/Elsewhere"

static GTestDBus *test_bus;

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
  connected->proxy = comlink_connect_bus_finish (result, &connected->error);
}

static void
on_client_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Connected *connected = user_data;

  connected->n_calls++;
  connected->proxy = comlink_client_connect_bus_finish (COMLINK_CLIENT (source), result, &connected->error);
}

/* Connects by bus name: with comlink_connect_bus_async() when @client is
 * NULL, else with @client on @bus at @object_path. The callback runs once,
 * and exactly one of the proxy and the error is set. */
static ComlinkProxy *
connect_bus_sync (ComlinkClient   *client,
                  GDBusConnection *bus,
                  const char      *bus_name,
                  const char      *object_path,
                  GError         **error)
{
  Connected connected = { 0 };

  if (client == NULL)
    comlink_connect_bus_async (bus_name, NULL, on_connected, &connected);
  else
    comlink_client_connect_bus_async (client, bus, bus_name, object_path, NULL, on_client_connected, &connected);
  test_wait_until (connected.n_calls > 0);
  test_iterate_pending ();
  g_assert_cmpuint (connected.n_calls, ==, 1);
  g_assert_true ((connected.proxy == NULL) != (connected.error == NULL));
  if (connected.error != NULL)
    g_propagate_error (error, connected.error);
  return connected.proxy;
}

/* The descriptors open, once GDBus's thread closed those it holds a
 * moment after a synchronous call returned (of the call's main context) */
static guint
count_fds (void)
{
  guint n = test_count_fds_baseline ();
  guint n_same = 0;

  for (guint i = 0; i < 500 && n_same < 5; i++)
    {
      guint again;

      g_usleep (2000);
      test_iterate_pending ();
      again = test_count_fds ();
      n_same = again == n ? n_same + 1 : 0;
      n = again;
    }
  return n;
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
  guint         n_connected;
  guint         n_gone;
  GCredentials *credentials;
} Events;

static void
on_client_connected_event (ComlinkServer     *server,
                           ComlinkConnection *client,
                           GCredentials      *credentials,
                           Events            *events)
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
}

static void
watch_server (ComlinkServer *server, Events *events)
{
  g_signal_connect (server, "client-connected", G_CALLBACK (on_client_connected_event), events);
  g_signal_connect (server, "client-gone", G_CALLBACK (on_client_gone), events);
}

static void
events_clear (Events *events)
{
  g_clear_object (&events->credentials);
}

/* Drops the server, which goes at once */
static void
drop_server (ComlinkServer *server)
{
  TestWatch watch;

  test_watch (&watch, server);
  g_object_unref (server);
  g_assert_true (test_watch_done (&watch));
}

/* The session bus of the tests, which comlink_connect_bus_async() uses:
 * held during a test so that counting descriptors does not count its
 * socket coming and going */
static GDBusConnection *
session_bus (void)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);

  g_assert_no_error (error);
  return bus;
}

/* Another connection to the same bus, as a service in another process
 * would have */
static GDBusConnection *
new_bus_connection (void)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *bus = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (test_bus),
                                                                 G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                                   G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                                 NULL, NULL, &error);

  g_assert_no_error (error);
  return bus;
}

static void
close_bus_connection (GDBusConnection *bus)
{
  TestWatch watch;

  test_watch (&watch, bus);
  g_assert_true (g_dbus_connection_close_sync (bus, NULL, NULL));
  g_object_unref (bus);
  test_wait_until (test_watch_done (&watch));
}

static GVariant *
call_bus_daemon (GDBusConnection *bus, const char *method, GVariant *parameters, const char *reply_type)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                 "org.freedesktop.DBus", method, parameters,
                                                 G_VARIANT_TYPE (reply_type), G_DBUS_CALL_FLAGS_NONE, -1,
                                                 NULL, &error);

  g_assert_no_error (error);
  return reply;
}

static void
own_name (GDBusConnection *bus, const char *name)
{
  g_autoptr(GVariant) reply = call_bus_daemon (bus, "RequestName",
                                                g_variant_new ("(su)", name, 4 /* DO_NOT_QUEUE */), "(u)");
  guint32 result;

  g_variant_get (reply, "(u)", &result);
  g_assert_cmpuint (result, ==, 1 /* PRIMARY_OWNER */);
}

static gboolean
name_has_owner (GDBusConnection *bus, const char *name)
{
  g_autoptr(GVariant) reply = call_bus_daemon (bus, "NameHasOwner", g_variant_new ("(s)", name), "(b)");
  gboolean has_owner;

  g_variant_get (reply, "(b)", &has_owner);
  return has_owner;
}

static pid_t
name_owner_pid (GDBusConnection *bus, const char *name)
{
  g_autoptr(GVariant) reply = call_bus_daemon (bus, "GetConnectionUnixProcessID", g_variant_new ("(s)", name),
                                                "(u)");
  guint32 pid;

  g_variant_get (reply, "(u)", &pid);
  return (pid_t) pid;
}

static void
on_hold_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  TestResult *r = user_data;

  r->n_calls++;
  r->time = g_get_monotonic_time ();
  r->value = comlink_proxy_call_finish (COMLINK_PROXY (source), result, &r->error);
}

/* A server of a TestCalc per client, exported on a connection of its own
 * that owns TEST_NAME */
typedef struct
{
  GDBusConnection *bus;
  ComlinkServer   *server;
  guint            export_id;
  guint            n_made;
  Events           events;
} Service;

static void
service_start (Service *service, const char *object_path)
{
  g_autoptr(GError) error = NULL;

  service->bus = new_bus_connection ();
  service->server = comlink_server_new_with_factory (make_calc, &service->n_made, NULL);
  watch_server (service->server, &service->events);
  service->export_id = comlink_server_export_on_bus (service->server, service->bus, object_path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (service->export_id, !=, 0);
  own_name (service->bus, TEST_NAME);
}

/* Nothing of the clients is left, and the server goes */
static void
service_stop (Service *service)
{
  test_wait_until (comlink_server_get_n_clients (service->server) == 0);
  test_wait_until (test_calc_get_n_alive () == 0);
  g_assert_cmpuint (service->events.n_gone, ==, service->events.n_connected);
  drop_server (g_steal_pointer (&service->server));
  close_bus_connection (g_steal_pointer (&service->bus));
  events_clear (&service->events);
}

/* --- tests --- */

/* A client connects by bus name alone: it gets an object of its own, the
 * server the credentials that the bus tells of it; closing its connection
 * releases its object */
static void
test_connect (void)
{
  g_autoptr(GDBusConnection) session = session_bus ();
  g_autoptr(GError) error = NULL;
  ComlinkProxy *first, *second;
  Service       service = { 0 };
  guint         n_fds;

  service_start (&service, NULL);
  n_fds = count_fds ();

  first = connect_bus_sync (NULL, NULL, TEST_NAME, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (test_proxy_add (first, 2, 3), ==, 5);
  g_assert_cmpuint (service.events.n_connected, ==, 1);
  g_assert_nonnull (service.events.credentials);
  g_assert_cmpuint (g_credentials_get_unix_user (service.events.credentials, &error), ==, getuid ());
  g_assert_no_error (error);
  g_assert_cmpint (g_credentials_get_unix_pid (service.events.credentials, &error), ==, getpid ());
  g_assert_no_error (error);

  /* Each client has its own object */
  second = connect_bus_sync (NULL, NULL, TEST_NAME, NULL, &error);
  g_assert_no_error (error);
  test_proxy_set_value (first, 10);
  test_proxy_set_value (second, 20);
  g_assert_cmpint (test_proxy_get_value (first), ==, 10);
  g_assert_cmpint (test_proxy_get_value (second), ==, 20);
  g_assert_cmpuint (service.n_made, ==, 2);
  g_assert_cmpuint (comlink_server_get_n_clients (service.server), ==, 2);
  g_assert_cmpuint (test_calc_get_n_alive (), ==, 2);

  /* Closing a client's connection releases its object, not the other's */
  test_disconnect (first);
  test_wait_until (comlink_server_get_n_clients (service.server) == 1);
  test_wait_until (test_calc_get_n_alive () == 1);
  g_assert_cmpuint (service.events.n_gone, ==, 1);
  g_assert_cmpint (test_proxy_get_value (second), ==, 20);

  test_disconnect (second);
  test_wait_until (comlink_server_get_n_clients (service.server) == 0);
  test_wait_until (test_calc_get_n_alive () == 0);
  g_assert_cmpuint (service.events.n_gone, ==, 2);
  test_iterate_pending ();
  g_assert_cmpuint (count_fds (), ==, n_fds);

  service_stop (&service);
}

typedef struct
{
  guint    n_asked;
  uid_t    uid;
  pid_t    pid;
  gboolean stream_is_socket;
} Asked;

static gboolean
refuse_all (ComlinkServer *server, GIOStream *stream, GCredentials *credentials, Asked *asked)
{
  asked->n_asked++;
  asked->uid = g_credentials_get_unix_user (credentials, NULL);
  asked->pid = g_credentials_get_unix_pid (credentials, NULL);
  asked->stream_is_socket = G_IS_SOCKET_CONNECTION (stream);
  return FALSE;
}

/* A refused caller gets AccessDenied, and nothing of it is served */
static void
test_refused (void)
{
  g_autoptr(GDBusConnection) session = session_bus ();
  g_autoptr(GError) error = NULL;
  ComlinkProxy *proxy;
  Service       service = { 0 };
  Asked         asked = { 0 };
  gulong        id;
  guint         n_fds;

  service_start (&service, NULL);
  n_fds = count_fds ();

  id = g_signal_connect (service.server, "authorize", G_CALLBACK (refuse_all), &asked);
  g_assert_null (connect_bus_sync (NULL, NULL, TEST_NAME, NULL, &error));
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED);
  /* The D-Bus error name is stripped from the message */
  g_assert_false (g_dbus_error_is_remote_error (error));
  g_clear_error (&error);
  g_assert_cmpuint (asked.n_asked, ==, 1);
  g_assert_cmpuint (asked.uid, ==, getuid ());
  g_assert_cmpint (asked.pid, ==, getpid ());
  g_assert_true (asked.stream_is_socket);
  g_assert_cmpuint (service.n_made, ==, 0);
  g_assert_cmpuint (service.events.n_connected, ==, 0);
  g_assert_cmpuint (comlink_server_get_n_clients (service.server), ==, 0);
  g_assert_cmpuint (count_fds (), ==, n_fds);

  /* The default authorization accepts the same user */
  g_signal_handler_disconnect (service.server, id);
  proxy = connect_bus_sync (NULL, NULL, TEST_NAME, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (test_proxy_add (proxy, 1, 1), ==, 2);
  test_disconnect (proxy);

  service_stop (&service);
}

/* Names that nobody owns, and one whose owner exports nothing: the error
 * that GIO gives, once */
static void
test_no_owner (void)
{
  g_autoptr(GDBusConnection) session = session_bus ();
  g_autoptr(GDBusConnection) other = new_bus_connection ();
  g_autoptr(ComlinkClient) client = comlink_client_new ();
  g_autoptr(GError) error = NULL;
  guint n_fds = count_fds ();

  /* Not owned, not activatable */
  g_assert_null (connect_bus_sync (NULL, NULL, "org.gnome.ComlinkTest.Nobody", NULL, &error));
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN);
  g_clear_error (&error);

  /* A unique name that is not connected: the bus would start it */
  g_assert_null (connect_bus_sync (client, NULL, ":1.999999", NULL, &error));
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN);
  g_clear_error (&error);

  /* Owned by a connection that exports nothing there */
  own_name (other, TEST_NAME);
  g_assert_null (connect_bus_sync (NULL, NULL, TEST_NAME, NULL, &error));
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD);
  g_clear_error (&error);

  g_assert_cmpuint (count_fds (), ==, n_fds);
  close_bus_connection (g_steal_pointer (&other));
}

/* A service that exports at another path, and a client that gives its
 * bus connection and the path */
static void
test_object_path (void)
{
  g_autoptr(GDBusConnection) session = session_bus ();
  g_autoptr(GDBusConnection) bus = new_bus_connection ();
  g_autoptr(ComlinkClient) client = comlink_client_new ();
  g_autoptr(GError) error = NULL;
  ComlinkProxy *proxy;
  Service       service = { 0 };
  guint         n_fds;

  service_start (&service, OTHER_PATH);
  n_fds = count_fds ();

  proxy = connect_bus_sync (client, bus, TEST_NAME, OTHER_PATH, &error);
  g_assert_no_error (error);
  g_assert_cmpint (test_proxy_add (proxy, 3, 4), ==, 7);
  g_assert_cmpuint (service.events.n_connected, ==, 1);
  g_assert_cmpint (g_credentials_get_unix_pid (service.events.credentials, NULL), ==, getpid ());
  test_disconnect (proxy);

  /* Nothing at the default path */
  g_assert_null (connect_bus_sync (client, bus, TEST_NAME, NULL, &error));
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD);
  g_clear_error (&error);
  g_assert_null (connect_bus_sync (NULL, NULL, TEST_NAME, NULL, &error));
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD);
  g_clear_error (&error);

  test_wait_until (comlink_server_get_n_clients (service.server) == 0);
  g_assert_cmpuint (count_fds (), ==, n_fds);
  service_stop (&service);
  close_bus_connection (g_steal_pointer (&bus));
}

/* Unexporting stops handing out connections, not those handed out;
 * stopping unexports everywhere and closes every client */
static void
test_unexport (void)
{
  g_autoptr(GDBusConnection) session = session_bus ();
  g_autoptr(GError) error = NULL;
  ComlinkProxy *proxy, *second;
  TestResult    result = { 0 };
  Service       service = { 0 };
  TestWatch     watch;
  guint         n_fds, id;

  service_start (&service, NULL);
  n_fds = count_fds ();

  proxy = connect_bus_sync (NULL, NULL, TEST_NAME, NULL, &error);
  g_assert_no_error (error);

  comlink_server_unexport_from_bus (service.server, service.export_id);
  g_assert_null (connect_bus_sync (NULL, NULL, TEST_NAME, NULL, &error));
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD);
  g_clear_error (&error);
  g_assert_cmpint (test_proxy_add (proxy, 1, 2), ==, 3);
  g_assert_cmpuint (comlink_server_get_n_clients (service.server), ==, 1);

  /* Exported again */
  service.export_id = comlink_server_export_on_bus (service.server, service.bus, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (service.export_id, !=, 0);
  second = connect_bus_sync (NULL, NULL, TEST_NAME, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (test_proxy_add (second, 2, 2), ==, 4);
  test_disconnect (second);

  /* Stopping: the client's call fails, nothing more is handed out */
  comlink_proxy_call_async (proxy, "hold", NULL, 0, NULL, on_hold_done, &result);
  g_assert_cmpint (test_proxy_add (proxy, 1, 1), ==, 2);
  comlink_server_stop (service.server);
  test_wait_until (result.n_calls > 0);
  test_iterate_pending ();
  g_assert_cmpuint (result.n_calls, ==, 1);
  g_assert_error (result.error, COMLINK_ERROR, COMLINK_ERROR_CLOSED);
  test_result_clear (&result);
  g_assert_cmpuint (comlink_server_get_n_clients (service.server), ==, 0);
  g_assert_null (comlink_proxy_dup_connection (proxy));
  test_watch (&watch, proxy);
  g_object_unref (proxy);
  test_wait_until (test_watch_done (&watch));

  g_assert_null (connect_bus_sync (NULL, NULL, TEST_NAME, NULL, &error));
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD);
  g_clear_error (&error);

  /* A stopped server is not exported again; unexporting from it is
   * harmless */
  id = comlink_server_export_on_bus (service.server, service.bus, NULL, &error);
  g_assert_cmpuint (id, ==, 0);
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_CLOSED);
  g_clear_error (&error);
  comlink_server_unexport_from_bus (service.server, service.export_id);
  g_assert_null (connect_bus_sync (NULL, NULL, TEST_NAME, NULL, &error));
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD);
  g_clear_error (&error);

  test_wait_until (test_calc_get_n_alive () == 0);
  g_assert_cmpuint (count_fds (), ==, n_fds);
  g_assert_cmpuint (service.n_made, ==, 2);
  service_stop (&service);
}

/* Holds back, in GDBus's thread, the reply of the bus daemon to the
 * service's GetConnectionCredentials until the test lets it go: the test
 * does what it wants while the call is in flight */
typedef struct
{
  GMutex   mutex;
  GCond    cond;
  guint32  serial;
  gboolean arrived;
  gboolean released;
} HoldReply;

static GDBusMessage *
hold_credentials_reply (GDBusConnection *bus, GDBusMessage *message, gboolean incoming, gpointer user_data)
{
  HoldReply *hold = user_data;

  g_mutex_lock (&hold->mutex);
  if (!incoming && g_dbus_message_get_message_type (message) == G_DBUS_MESSAGE_TYPE_METHOD_CALL &&
      g_strcmp0 (g_dbus_message_get_member (message), "GetConnectionCredentials") == 0)
    hold->serial = g_dbus_message_get_serial (message);
  else if (incoming && hold->serial != 0 && g_dbus_message_get_reply_serial (message) == hold->serial)
    {
      hold->arrived = TRUE;
      g_main_context_wakeup (NULL);
      while (!hold->released)
        g_cond_wait (&hold->cond, &hold->mutex);
    }
  g_mutex_unlock (&hold->mutex);
  return message;
}

static gboolean
hold_arrived (HoldReply *hold)
{
  gboolean arrived;

  g_mutex_lock (&hold->mutex);
  arrived = hold->arrived;
  g_mutex_unlock (&hold->mutex);
  return arrived;
}

static void
hold_release (HoldReply *hold)
{
  g_mutex_lock (&hold->mutex);
  hold->released = TRUE;
  g_cond_signal (&hold->cond);
  g_mutex_unlock (&hold->mutex);
}

/* The server stopped, or dropped, while it asks the bus who the caller
 * is: the caller is refused, nothing is served, the server goes at once */
static void
test_stop_in_flight (gconstpointer data)
{
  gboolean drop = GPOINTER_TO_INT (data);
  g_autoptr(GDBusConnection) session = session_bus ();
  g_autoptr(GError) error = NULL;
  Connected connected = { 0 };
  HoldReply hold = { 0 };
  Service   service = { 0 };
  TestWatch watch;
  guint     filter_id, n_fds;

  service_start (&service, NULL);
  n_fds = count_fds ();
  g_mutex_init (&hold.mutex);
  g_cond_init (&hold.cond);
  filter_id = g_dbus_connection_add_filter (service.bus, hold_credentials_reply, &hold, NULL);

  comlink_connect_bus_async (TEST_NAME, NULL, on_connected, &connected);
  test_wait_until (hold_arrived (&hold));

  if (drop)
    {
      test_watch (&watch, service.server);
      g_object_unref (g_steal_pointer (&service.server));
      g_assert_true (test_watch_done (&watch));
    }
  else
    comlink_server_stop (service.server);
  hold_release (&hold);

  test_wait_until (connected.n_calls > 0);
  test_iterate_pending ();
  g_assert_cmpuint (connected.n_calls, ==, 1);
  g_assert_null (connected.proxy);
  g_assert_error (connected.error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED);
  g_clear_error (&connected.error);
  g_assert_cmpuint (service.n_made, ==, 0);
  g_assert_cmpuint (service.events.n_connected, ==, 0);
  g_dbus_connection_remove_filter (service.bus, filter_id);
  g_assert_cmpuint (count_fds (), ==, n_fds);

  if (drop)
    {
      close_bus_connection (g_steal_pointer (&service.bus));
      events_clear (&service.events);
    }
  else
    service_stop (&service);
  g_mutex_clear (&hold.mutex);
  g_cond_clear (&hold.cond);
}

/* Connecting cancelled while the service asks the bus who the caller is:
 * the callback runs once, cancelled; the connection that the service
 * hands out then is dropped with the answer, and the service forgets it */
static void
test_cancelled (void)
{
  g_autoptr(GDBusConnection) session = session_bus ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Connected connected = { 0 };
  HoldReply hold = { 0 };
  Service   service = { 0 };
  guint     filter_id, n_fds;

  service_start (&service, NULL);
  n_fds = count_fds ();
  g_mutex_init (&hold.mutex);
  g_cond_init (&hold.cond);
  filter_id = g_dbus_connection_add_filter (service.bus, hold_credentials_reply, &hold, NULL);

  comlink_connect_bus_async (TEST_NAME, cancellable, on_connected, &connected);
  test_wait_until (hold_arrived (&hold));
  g_cancellable_cancel (cancellable);
  hold_release (&hold);

  test_wait_until (connected.n_calls > 0);
  g_assert_null (connected.proxy);
  g_assert_error (connected.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&connected.error);

  /* The service served the connection before the answer was dropped */
  test_wait_until (service.events.n_connected == 1);
  test_wait_until (service.events.n_gone == 1);
  test_wait_until (comlink_server_get_n_clients (service.server) == 0);
  test_wait_until (test_calc_get_n_alive () == 0);
  test_iterate_pending ();
  g_assert_cmpuint (connected.n_calls, ==, 1);
  g_dbus_connection_remove_filter (service.bus, filter_id);
  g_assert_cmpuint (count_fds (), ==, n_fds);

  service_stop (&service);
  g_mutex_clear (&hold.mutex);
  g_cond_clear (&hold.cond);
}

/* Services that answer Connect without a usable socket: without one, with
 * a handle out of range, with a descriptor that is not a socket, or with a
 * socket closed at once */
typedef enum
{
  ANSWER_NO_FDS,
  ANSWER_HANDLE_TOO_BIG,
  ANSWER_HANDLE_NEGATIVE,
  ANSWER_NOT_A_SOCKET,
  ANSWER_CLOSED_SOCKET,
} Answer;

static void
on_bad_connect (GDBusConnection       *bus,
                const char            *sender,
                const char            *object_path,
                const char            *interface_name,
                const char            *method_name,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  Answer *answer = user_data;
  g_autoptr(GUnixFDList) fds = g_unix_fd_list_new ();
  int    pair[2];
  gint32 handle = 0;

  switch (*answer)
    {
    case ANSWER_NO_FDS:
      g_clear_object (&fds);
      break;
    case ANSWER_HANDLE_TOO_BIG:
    case ANSWER_HANDLE_NEGATIVE:
    case ANSWER_CLOSED_SOCKET:
      g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), ==, 0);
      g_assert_cmpint (g_unix_fd_list_append (fds, pair[1], NULL), ==, 0);
      close (pair[0]);
      close (pair[1]);
      handle = *answer == ANSWER_HANDLE_TOO_BIG ? 1 : *answer == ANSWER_HANDLE_NEGATIVE ? -1
                                                                                        : 0;
      break;
    case ANSWER_NOT_A_SOCKET:
      g_assert_true (g_unix_open_pipe (pair, FD_CLOEXEC, NULL));
      g_assert_cmpint (g_unix_fd_list_append (fds, pair[0], NULL), ==, 0);
      close (pair[0]);
      close (pair[1]);
      break;
    default:
      g_assert_not_reached ();
    }

  g_dbus_method_invocation_return_value_with_unix_fd_list (invocation, g_variant_new ("(h)", handle), fds);
}

static void
test_bad_answers (void)
{
  static const GDBusInterfaceVTable vtable = { on_bad_connect, NULL, NULL, { 0 } };
  g_autoptr(GDBusConnection) session = session_bus ();
  g_autoptr(GDBusConnection) bus = new_bus_connection ();
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  Answer answer;
  guint  id, n_fds;

  info = g_dbus_node_info_new_for_xml ("<node><interface name='" COMLINK_BUS_INTERFACE "'>"
                                       "<method name='Connect'><arg type='h' direction='out'/></method>"
                                       "</interface></node>",
                                       &error);
  g_assert_no_error (error);
  id = g_dbus_connection_register_object (bus, COMLINK_BUS_OBJECT_PATH, info->interfaces[0], &vtable, &answer,
                                          NULL, &error);
  g_assert_no_error (error);
  own_name (bus, TEST_NAME);
  n_fds = count_fds ();

  for (answer = ANSWER_NO_FDS; answer <= ANSWER_NOT_A_SOCKET; answer++)
    {
      g_assert_null (connect_bus_sync (NULL, NULL, TEST_NAME, NULL, &error));
      g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL);
      g_clear_error (&error);
    }

  answer = ANSWER_CLOSED_SOCKET;
  g_assert_null (connect_bus_sync (NULL, NULL, TEST_NAME, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_CLOSED);
  g_clear_error (&error);

  g_assert_cmpuint (count_fds (), ==, n_fds);
  g_dbus_connection_unregister_object (bus, id);
  close_bus_connection (g_steal_pointer (&bus));
}

typedef struct
{
  guint appeared;
  guint vanished;
} NameEvents;

static void
on_name_appeared (GDBusConnection *bus, const char *name, const char *owner, gpointer user_data)
{
  ((NameEvents *) user_data)->appeared++;
}

static void
on_name_vanished (GDBusConnection *bus, const char *name, gpointer user_data)
{
  ((NameEvents *) user_data)->vanished++;
}

/* D-Bus activation: the bus starts the service that a .service file
 * names; killed in the middle of a call, the call fails at once, and the
 * next connect starts it again */
static void
test_activation (void)
{
  g_autoptr(GDBusConnection) session = session_bus ();
  g_autoptr(GError) error = NULL;
  ComlinkProxy *proxy;
  TestResult    result = { 0 };
  NameEvents    names = { 0 };
  TestWatch     watch;
  pid_t         pid, again;
  gint64        killed;
  guint         watch_id;

  g_assert_false (name_has_owner (session, ACTIVATED_NAME));
  watch_id = g_bus_watch_name_on_connection (session, ACTIVATED_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                             on_name_appeared, on_name_vanished, &names, NULL);
  test_wait_until (names.vanished == 1);

  proxy = connect_bus_sync (NULL, NULL, ACTIVATED_NAME, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (test_proxy_add (proxy, 20, 22), ==, 42);
  pid = name_owner_pid (session, ACTIVATED_NAME);
  g_assert_cmpint (pid, >, 0);
  g_assert_cmpint (pid, !=, getpid ());
  test_wait_until (names.appeared == 1);

  comlink_proxy_call_async (proxy, "hold", NULL, 0, NULL, on_hold_done, &result);
  g_assert_cmpint (test_proxy_add (proxy, 1, 1), ==, 2); /* the hold arrived */

  killed = g_get_monotonic_time ();
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  test_wait_until (result.n_calls > 0);
  g_assert_cmpint (result.time - killed, <, test_at_once ());
  test_iterate_pending ();
  g_assert_cmpuint (result.n_calls, ==, 1);
  g_assert_error (result.error, COMLINK_ERROR, COMLINK_ERROR_CLOSED);
  test_result_clear (&result);
  g_assert_null (comlink_proxy_dup_connection (proxy));
  test_watch (&watch, proxy);
  g_object_unref (proxy);
  test_wait_until (test_watch_done (&watch));

  /* Reconnecting is one call: the bus starts the service again */
  test_wait_until (names.vanished == 2);
  proxy = connect_bus_sync (NULL, NULL, ACTIVATED_NAME, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (test_proxy_add (proxy, 2, 3), ==, 5);
  again = name_owner_pid (session, ACTIVATED_NAME);
  g_assert_cmpint (again, !=, pid);
  test_disconnect (proxy);

  g_assert_cmpint (kill (again, SIGKILL), ==, 0);
  test_wait_until (names.vanished == 3);
  g_bus_unwatch_name (watch_id);
}

/* A client in a process of its own: the server sees its pid */
static void
test_client_process (void)
{
  g_autoptr(GDBusConnection) session = session_bus ();
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  const char *argv[] = { g_getenv ("COMLINK_TEST_SERVICE_PEER"), "client-bus", TEST_NAME, NULL };
  g_autoptr(GSubprocess) subprocess = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) input = NULL;
  g_autofree char *output = NULL;
  Service          service = { 0 };
  pid_t            pid;

  g_assert_nonnull (argv[0]);
  service_start (&service, NULL);

  g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", "detect_leaks=0", TRUE);
  subprocess = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  pid = atoi (g_subprocess_get_identifier (subprocess));
  test_wait_until (service.events.n_connected == 1);
  g_assert_cmpint (g_credentials_get_unix_pid (service.events.credentials, NULL), ==, pid);
  g_assert_cmpuint (g_credentials_get_unix_user (service.events.credentials, NULL), ==, getuid ());

  /* Its call is served while its answer is read */
  input = g_data_input_stream_new (g_subprocess_get_stdout_pipe (subprocess));
  output = test_read_line (input);
  g_assert_cmpstr (output, ==, "42");

  test_wait_until (service.events.n_gone == 1);
  g_assert_true (g_subprocess_wait (subprocess, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (subprocess));
  service_stop (&service);
}

static char *
write_service_files (void)
{
  g_autoptr(GError) error = NULL;
  const char      *peer = g_getenv ("COMLINK_TEST_SERVICE_PEER");
  char            *dir = g_dir_make_tmp ("comlink-test-bus-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autofree char *quoted = NULL;
  g_autofree char *content = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (peer);
  quoted = g_shell_quote (peer);
  /* What the service prints goes where the bus's children write: to
   * stderr, out of this program's TAP output */
  content = g_strdup_printf ("[D-BUS Service]\n"
                             "Name=%s\n"
                             "Exec=/bin/sh -c 'exec \"$0\" serve-bus \"$1\" >&2' %s %s\n",
                             ACTIVATED_NAME, quoted, ACTIVATED_NAME);
  path = g_build_filename (dir, ACTIVATED_NAME ".service", NULL);
  g_assert_true (g_file_set_contents (path, content, -1, &error));
  g_assert_no_error (error);
  return dir;
}

int
main (int argc, char *argv[])
{
  g_autofree char *services = NULL;
  int              ret;

  g_test_init (&argc, &argv, NULL);

  /* A private session bus for this program and its children */
  services = write_service_files ();
  test_bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_add_service_dir (test_bus, services);
  g_test_dbus_up (test_bus);

  g_test_add_func ("/Comlink/Bus/connect", test_connect);
  g_test_add_func ("/Comlink/Bus/refused", test_refused);
  g_test_add_func ("/Comlink/Bus/no-owner", test_no_owner);
  g_test_add_func ("/Comlink/Bus/object-path", test_object_path);
  g_test_add_func ("/Comlink/Bus/unexport", test_unexport);
  g_test_add_data_func ("/Comlink/Bus/stopped-in-flight", GINT_TO_POINTER (FALSE), test_stop_in_flight);
  g_test_add_data_func ("/Comlink/Bus/dropped-in-flight", GINT_TO_POINTER (TRUE), test_stop_in_flight);
  g_test_add_func ("/Comlink/Bus/cancelled", test_cancelled);
  g_test_add_func ("/Comlink/Bus/bad-answers", test_bad_answers);
  g_test_add_func ("/Comlink/Bus/activation", test_activation);
  g_test_add_func ("/Comlink/Bus/client-process", test_client_process);

  ret = g_test_run ();

  g_test_dbus_down (test_bus);
  g_clear_object (&test_bus);
  test_remove_dir (services);
  return ret;
}
