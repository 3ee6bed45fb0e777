/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A desktop service that many applications share: a notes store.
 *
 * Each client gets a session object of its own (a ComlinkServer factory);
 * every session sees the same notes and emits "note-added" when any
 * client adds one. When a client goes (it quits, crashes or is killed),
 * its session is dropped at once.
 *
 * The service listens where it is told to:
 *
 *   notes-service --address=unix:path=/run/user/1000/notes   a socket
 *   notes-service --bus                                      the session bus, as
 *                                                            org.gnome.Comlink.Example.Notes
 *   (started by systemd with a socket unit)                  the socket systemd passes
 *
 * and quits after --idle-timeout seconds without clients (0: never), as a
 * service started on demand does. It prints the addresses to connect to. */

#include <stdio.h>

#include <comlink-glib/comlink.h>

#define NOTES_BUS_NAME "org.gnome.Comlink.Example.Notes"

/* --- the shared store --- */

#define EXAMPLE_TYPE_NOTES (example_notes_get_type ())
G_DECLARE_FINAL_TYPE (ExampleNotes, example_notes, EXAMPLE, NOTES, GObject)

struct _ExampleNotes
{
  GObject    parent_instance;
  GPtrArray *notes;
};

G_DEFINE_FINAL_TYPE (ExampleNotes, example_notes, G_TYPE_OBJECT)

static void
example_notes_finalize (GObject *object)
{
  g_ptr_array_unref (EXAMPLE_NOTES (object)->notes);
  G_OBJECT_CLASS (example_notes_parent_class)->finalize (object);
}

static void
example_notes_class_init (ExampleNotesClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = example_notes_finalize;
  g_signal_new ("note-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
example_notes_init (ExampleNotes *self)
{
  self->notes = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->notes, NULL);
}

/* --- a client's session --- */

#define EXAMPLE_TYPE_SESSION (example_session_get_type ())
G_DECLARE_FINAL_TYPE (ExampleSession, example_session, EXAMPLE, SESSION, GObject)

struct _ExampleSession
{
  GObject       parent_instance;
  ExampleNotes *notes;
  guint         n_added;
};

G_DEFINE_FINAL_TYPE (ExampleSession, example_session, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_N_ADDED,
};

/* "add" (string) -> the number of notes */
static guint
session_add (ExampleSession *self, const char *text)
{
  g_ptr_array_insert (self->notes->notes, self->notes->notes->len - 1, g_strdup (text));
  self->n_added++;
  g_object_notify (G_OBJECT (self), "n-added");
  g_signal_emit_by_name (self->notes, "note-added", text);
  return self->notes->notes->len - 1;
}

/* "list" () -> every note */
static GStrv
session_list (ExampleSession *self)
{
  return g_strdupv ((GStrv) self->notes->notes->pdata);
}

static void
on_note_added (ExampleNotes *notes, const char *text, ExampleSession *self)
{
  g_signal_emit_by_name (self, "note-added", text);
}

static void
example_session_finalize (GObject *object)
{
  ExampleSession *self = EXAMPLE_SESSION (object);

  g_print ("notes-service: a session that added %u notes is gone\n", self->n_added);
  g_clear_object (&self->notes);
  G_OBJECT_CLASS (example_session_parent_class)->finalize (object);
}

static void
example_session_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  if (prop_id == PROP_N_ADDED)
    g_value_set_uint (value, EXAMPLE_SESSION (object)->n_added);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
example_session_class_init (ExampleSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = example_session_finalize;
  object_class->get_property = example_session_get_property;
  g_object_class_install_property (object_class, PROP_N_ADDED,
                                   g_param_spec_uint ("n-added", NULL, NULL, 0, G_MAXUINT, 0,
                                                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_signal_new_class_handler ("add", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (session_add), NULL, NULL, NULL, G_TYPE_UINT, 1, G_TYPE_STRING);
  g_signal_new_class_handler ("list", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (session_list), NULL, NULL, NULL, G_TYPE_STRV, 0);
  g_signal_new ("note-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
example_session_init (ExampleSession *self)
{
}

static GObject *
make_session (ComlinkServer     *server,
              ComlinkConnection *client,
              GCredentials      *credentials,
              gpointer           user_data,
              GError           **error)
{
  ExampleSession *session = g_object_new (EXAMPLE_TYPE_SESSION, NULL);

  session->notes = g_object_ref (user_data);
  g_signal_connect_object (session->notes, "note-added", G_CALLBACK (on_note_added), session, 0);
  return G_OBJECT (session);
}

/* --- the service --- */

static guint      idle_timeout;
static guint      idle_source;
static GMainLoop *loop;

static gboolean
on_idle_timeout (gpointer user_data)
{
  g_print ("notes-service: no clients for %u s, quitting\n", idle_timeout);
  idle_source = 0;
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static void
on_n_clients (ComlinkServer *server, GParamSpec *pspec, gpointer user_data)
{
  g_clear_handle_id (&idle_source, g_source_remove);
  if (comlink_server_get_n_clients (server) == 0 && idle_timeout > 0)
    idle_source = g_timeout_add_seconds (idle_timeout, on_idle_timeout, NULL);
}

static void
on_name_lost (GDBusConnection *bus, const char *name, gpointer user_data)
{
  g_printerr ("notes-service: the name %s is taken\n", name);
  g_main_loop_quit (loop);
}

int
main (int argc, char *argv[])
{
  g_autofree char *address = NULL;
  gboolean         bus = FALSE;
  GOptionEntry     entries[] = {
        { "address", 0, 0, G_OPTION_ARG_STRING, &address, "Listen on ADDRESS (D-Bus address syntax)", "ADDRESS" },
        { "bus", 0, 0, G_OPTION_ARG_NONE, &bus, "Hand out connections on the session bus as " NOTES_BUS_NAME, NULL },
        { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &idle_timeout, "Quit after SECONDS without clients", "SECONDS" },
        { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- a notes service for many clients");
  g_autoptr(ExampleNotes) notes = g_object_new (EXAMPLE_TYPE_NOTES, NULL);
  g_autoptr(ComlinkServer) server = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  const char * const *addresses;
  guint               n_systemd;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("notes-service: %s\n", error->message);
      return 2;
    }

  loop = g_main_loop_new (NULL, FALSE);
  server = comlink_server_new_with_factory (make_session, g_object_ref (notes), g_object_unref);
  g_signal_connect (server, "notify::n-clients", G_CALLBACK (on_n_clients), NULL);

  n_systemd = comlink_server_listen_systemd (server, &error);
  if (error == NULL && address != NULL)
    comlink_server_listen (server, address, &error);
  if (error == NULL && bus)
    {
      connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
      if (connection != NULL && comlink_server_export_on_bus (server, connection, NULL, &error) != 0)
        g_bus_own_name_on_connection (connection, NOTES_BUS_NAME, G_BUS_NAME_OWNER_FLAGS_NONE, NULL,
                                      on_name_lost, NULL, NULL);
    }
  if (error != NULL)
    {
      g_printerr ("notes-service: %s\n", error->message);
      return 1;
    }
  if (n_systemd == 0 && address == NULL && !bus)
    {
      g_printerr ("notes-service: nowhere to listen: give --address or --bus, or start it by systemd\n");
      return 2;
    }

  addresses = comlink_server_get_addresses (server);
  for (guint i = 0; addresses[i] != NULL; i++)
    g_print ("%s\n", addresses[i]);
  if (bus)
    g_print ("bus:%s\n", NOTES_BUS_NAME);
  fflush (stdout);
  on_n_clients (server, NULL, NULL);

  g_main_loop_run (loop);
  comlink_server_stop (server);
  g_main_loop_unref (loop);
  return 0;
}
