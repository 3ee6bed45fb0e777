/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The other side of the service tests, in a process of its own:
 *
 *   service-peer serve ADDRESS       serves a TestCalc per client on
 *                                    ADDRESS, prints the address to connect
 *                                    to, and runs until killed
 *   service-peer serve-systemd       the same, on the sockets systemd
 *                                    would pass (LISTEN_FDS)
 *   service-peer serve-bus NAME      the same, on the session bus: owns
 *                                    NAME and exports the Connect method
 *   service-peer client ADDRESS N    connects, makes N children it holds,
 *                                    starts a call that never ends,
 *                                    prints "ready", and waits to be killed
 *   service-peer client-bus NAME     connects to the owner of NAME on the
 *                                    session bus, prints the sum of 20 and
 *                                    22 that it computes, and exits
 */

#include <stdio.h>
#include <stdlib.h>

#include "test-objects.h"

static GObject *
make_calc (ComlinkServer     *server,
           ComlinkConnection *client,
           GCredentials      *credentials,
           gpointer           user_data,
           GError           **error)
{
  return G_OBJECT (test_calc_new ());
}

static void
print_addresses (ComlinkServer *server)
{
  const char * const *addresses = comlink_server_get_addresses (server);

  for (guint i = 0; addresses[i] != NULL; i++)
    printf ("%s\n", addresses[i]);
  printf ("listening\n");
  fflush (stdout);
}

static void
on_name_acquired (GDBusConnection *bus, const char *name, gpointer user_data)
{
  printf ("owned %s\n", name);
  fflush (stdout);
}

static void
on_name_lost (GDBusConnection *bus, const char *name, gpointer user_data)
{
  g_printerr ("service-peer: lost the name %s\n", name);
  exit (1);
}

static int
serve (const char *mode, const char *argument)
{
  g_autoptr(ComlinkServer) server = comlink_server_new_with_factory (make_calc, NULL, NULL);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;

  if (g_str_equal (mode, "serve"))
    {
      if (!comlink_server_listen (server, argument, &error))
        {
          g_printerr ("service-peer: %s\n", error->message);
          return 1;
        }
      print_addresses (server);
    }
  else if (g_str_equal (mode, "serve-systemd"))
    {
      guint n = comlink_server_listen_systemd (server, &error);

      if (n == 0)
        {
          g_printerr ("service-peer: no sockets from systemd: %s\n", error ? error->message : "none passed");
          return 1;
        }
      if (g_getenv ("LISTEN_FDS") != NULL)
        {
          g_printerr ("service-peer: LISTEN_FDS was left set\n");
          return 1;
        }
      print_addresses (server);
    }
  else
    {
      g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);

      if (bus == NULL || comlink_server_export_on_bus (server, bus, NULL, &error) == 0)
        {
          g_printerr ("service-peer: %s\n", error->message);
          return 1;
        }
      g_bus_own_name_on_connection (bus, argument, G_BUS_NAME_OWNER_FLAGS_NONE, on_name_acquired, on_name_lost,
                                    NULL, NULL);
    }

  g_main_loop_run (loop);
  return 0;
}

typedef struct
{
  GMainLoop    *loop;
  ComlinkProxy *proxy;
  GError       *error;
} Connected;

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Connected *connected = user_data;

  connected->proxy = comlink_connect_finish (result, &connected->error);
  g_main_loop_quit (connected->loop);
}

static void
on_bus_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Connected *connected = user_data;

  connected->proxy = comlink_connect_bus_finish (result, &connected->error);
  g_main_loop_quit (connected->loop);
}

static int
client_bus (const char *bus_name)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(ComlinkProxy) proxy = NULL;
  g_autoptr(GError) error = NULL;
  Connected connected = { loop, NULL, NULL };
  int       sum = 0;

  comlink_connect_bus_async (bus_name, NULL, on_bus_connected, &connected);
  g_main_loop_run (loop);
  proxy = connected.proxy;
  if (proxy == NULL)
    {
      g_printerr ("service-peer: %s\n", connected.error->message);
      g_error_free (connected.error);
      return 1;
    }

  if (!comlink_proxy_call_with_args_sync (proxy, "add", NULL, &error, G_TYPE_INT, 20, G_TYPE_INT, 22,
                                          G_TYPE_INVALID, G_TYPE_INT, &sum))
    {
      g_printerr ("service-peer: %s\n", error->message);
      return 1;
    }
  printf ("%d\n", sum);
  fflush (stdout);
  return 0;
}

static void
on_hold_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_printerr ("service-peer: the call that never ends ended\n");
  exit (1);
}

static int
client (const char *address, int n_children)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GPtrArray) children = g_ptr_array_new_with_free_func (g_object_unref);
  Connected connected = { loop, NULL, NULL };

  comlink_connect_async (address, NULL, on_connected, &connected);
  g_main_loop_run (loop);
  if (connected.proxy == NULL)
    {
      g_printerr ("service-peer: %s\n", connected.error->message);
      return 1;
    }

  for (int i = 0; i < n_children; i++)
    {
      g_autoptr(GError) error = NULL;
      GValue  arg = G_VALUE_INIT;
      GValue *child;

      g_value_init (&arg, G_TYPE_INT);
      g_value_set_int (&arg, i);
      child = comlink_proxy_call_sync (connected.proxy, "make-child", &arg, 1, NULL, &error);
      if (child == NULL)
        {
          g_printerr ("service-peer: %s\n", error->message);
          return 1;
        }
      g_ptr_array_add (children, g_value_dup_object (child));
      g_value_unset (child);
      g_free (child);
    }

  comlink_proxy_call_async (connected.proxy, "hold", NULL, 0, NULL, on_hold_done, NULL);
  /* Once the call is on its way */
  comlink_proxy_call_sync (connected.proxy, "ping", NULL, 0, NULL, NULL);
  printf ("ready\n");
  fflush (stdout);

  g_main_loop_run (loop);
  return 0;
}

int
main (int argc, char *argv[])
{
  if (argc == 3 && (g_str_equal (argv[1], "serve") || g_str_equal (argv[1], "serve-bus")))
    return serve (argv[1], argv[2]);
  if (argc == 2 && g_str_equal (argv[1], "serve-systemd"))
    return serve (argv[1], NULL);
  if (argc == 4 && g_str_equal (argv[1], "client"))
    return client (argv[2], atoi (argv[3]));
  if (argc == 3 && g_str_equal (argv[1], "client-bus"))
    return client_bus (argv[2]);

  g_printerr ("usage: service-peer serve ADDRESS | serve-systemd | serve-bus NAME | client ADDRESS N | "
              "client-bus NAME\n");
  return 2;
}
