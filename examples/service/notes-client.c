/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A client of the notes service, in C:
 *
 *   notes-client TARGET [TEXT]
 *
 * TARGET is the service's address (unix:path=..., unix:abstract=...,
 * tcp:...) or bus:NAME for a service on the session bus. Adds TEXT as a
 * note, if given, and prints every note. */

#include <comlink-glib/comlink.h>

typedef struct
{
  GMainLoop    *loop;
  gboolean      bus;
  ComlinkProxy *notes;
  GError       *error;
} Connecting;

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Connecting *connecting = user_data;

  if (connecting->bus)
    connecting->notes = comlink_connect_bus_finish (result, &connecting->error);
  else
    connecting->notes = comlink_connect_finish (result, &connecting->error);
  g_main_loop_quit (connecting->loop);
}

int
main (int argc, char *argv[])
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) notes = NULL;
  Connecting connecting = { loop, FALSE, NULL, NULL };
  guint      count = 0;

  if (argc < 2 || argc > 3)
    {
      g_printerr ("usage: notes-client TARGET [TEXT]\n");
      return 2;
    }

  connecting.bus = g_str_has_prefix (argv[1], "bus:");
  if (connecting.bus)
    comlink_connect_bus_async (argv[1] + strlen ("bus:"), NULL, on_connected, &connecting);
  else
    comlink_connect_async (argv[1], NULL, on_connected, &connecting);
  g_main_loop_run (loop);
  if (connecting.notes == NULL)
    {
      g_printerr ("notes-client: %s\n", connecting.error->message);
      g_error_free (connecting.error);
      return 1;
    }

  if (argc == 3 &&
      !comlink_proxy_call_with_args_sync (connecting.notes, "add", NULL, &error, G_TYPE_STRING, argv[2],
                                          G_TYPE_INVALID, G_TYPE_UINT, &count))
    goto failed;
  if (!comlink_proxy_call_with_args_sync (connecting.notes, "list", NULL, &error, G_TYPE_INVALID, G_TYPE_STRV,
                                          &notes))
    goto failed;

  for (guint i = 0; notes[i] != NULL; i++)
    g_print ("%u. %s\n", i + 1, notes[i]);

  /* Disconnecting drops this client's session in the service */
  {
    g_autoptr(ComlinkConnection) connection = comlink_proxy_dup_connection (connecting.notes);
    if (connection != NULL)
      comlink_connection_close (connection);
  }
  g_object_unref (connecting.notes);
  return 0;

failed:
  g_printerr ("notes-client: %s\n", error->message);
  g_object_unref (connecting.notes);
  return 1;
}
