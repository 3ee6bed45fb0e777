/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The child of bench-subprocess. The mode is the first argument; every
 * mode but "comlink" speaks over file descriptor 3, a socketpair whose
 * other end the parent holds, and exits when the parent closes it.
 *
 *   comlink   exposes an object with the action signals
 *             echo-int (int) -> int, ping () and size (GBytes) -> guint64
 *             with comlink_worker_serve_parent()
 *   floor     a bare echo on the socket: every 8-byte little-endian
 *             header comes back as it is, except that one with the top bit
 *             set announces that many bytes (the rest of the bits), which
 *             are read and dropped before the header comes back
 *   gdbus     a GDBus peer-to-peer server (EchoInt(i) -> i, Ping(),
 *             Size(ay) -> t) on the socket
 *   jsonrpc   a jsonrpc-glib server ("echo" {value} -> value,
 *             "size" {data: base64} -> the decoded size) on the socket
 */

#include <comlink-glib/comlink.h>

#include "bench-common.h"

#ifdef HAVE_JSONRPC
#include <jsonrpc-glib.h>
#endif

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PARENT_FD 3

#define FLOOR_BULK_FLAG (G_GUINT64_CONSTANT (1) << 63)
#define FLOOR_BUFFER_SIZE (256 * 1024)

/* ------------------------------------------------------------------ */
/* comlink                                                              */

static int
run_comlink (void)
{
  GObject *object = bench_object_new ();
  GError  *error = NULL;
  int      status = 0;

  if (!comlink_worker_serve_parent (object, &error))
    {
      g_printerr ("bench-child: %s\n", error->message);
      g_error_free (error);
      status = 1;
    }
  g_object_unref (object);

  return status;
}

/* ------------------------------------------------------------------ */
/* The floor: bare reads and writes                                     */

static gboolean
write_all (int fd, const guint8 *data, gsize size)
{
  while (size > 0)
    {
      ssize_t n = write (fd, data, size);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      size -= (gsize) n;
    }
  return TRUE;
}

static int
run_floor (void)
{
  guint8 *in = g_malloc (FLOOR_BUFFER_SIZE);
  guint8 *out = g_malloc (FLOOR_BUFFER_SIZE);
  gsize   have = 0;    /* bytes of @in not handled yet */
  guint64 to_drop = 0; /* bulk bytes still to come */
  guint64 bulk_header = 0;
  int     status = 0;

  for (;;)
    {
      gsize   n_out = 0;
      gsize   pos = 0;
      ssize_t n = read (PARENT_FD, in + have, FLOOR_BUFFER_SIZE - have);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          status = 1;
          break;
        }
      if (n == 0)
        break;
      have += (gsize) n;

      while (pos < have)
        {
          guint64 header;

          if (to_drop > 0)
            {
              gsize take = (gsize) MIN (to_drop, (guint64) (have - pos));

              pos += take;
              to_drop -= take;
              if (to_drop == 0)
                {
                  memcpy (out + n_out, &bulk_header, sizeof bulk_header);
                  n_out += sizeof bulk_header;
                }
              continue;
            }
          if (have - pos < sizeof header)
            break;
          memcpy (&header, in + pos, sizeof header);
          pos += sizeof header;
          if (GUINT64_FROM_LE (header) & FLOOR_BULK_FLAG)
            {
              bulk_header = header;
              to_drop = GUINT64_FROM_LE (header) & ~FLOOR_BULK_FLAG;
              if (to_drop == 0)
                {
                  memcpy (out + n_out, &header, sizeof header);
                  n_out += sizeof header;
                }
            }
          else
            {
              memcpy (out + n_out, &header, sizeof header);
              n_out += sizeof header;
            }
        }

      /* Keep the start of a header for the next read */
      memmove (in, in + pos, have - pos);
      have -= pos;

      if (n_out > 0 && !write_all (PARENT_FD, out, n_out))
        {
          status = 1;
          break;
        }
    }

  g_free (in);
  g_free (out);
  close (PARENT_FD);

  return status;
}

/* ------------------------------------------------------------------ */
/* GDBus peer to peer                                                   */

static GIOStream *
stream_for_parent (GError **error)
{
  GSocket           *socket = g_socket_new_from_fd (PARENT_FD, error);
  GSocketConnection *connection;

  if (socket == NULL)
    return NULL;
  connection = g_socket_connection_factory_create_connection (socket);
  g_object_unref (socket);

  return G_IO_STREAM (connection);
}

static void
on_gdbus_closed (GDBusConnection *connection,
                 gboolean         remote_peer_vanished,
                 GError          *error,
                 gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
  g_main_context_wakeup (NULL);
}

static int
run_gdbus (void)
{
  GIOStream       *stream;
  GDBusConnection *connection = NULL;
  GError          *error = NULL;
  char            *guid = g_dbus_generate_guid ();
  guint            registration = 0;
  gboolean         closed = FALSE;

  stream = stream_for_parent (&error);
  if (stream != NULL)
    connection = g_dbus_connection_new_sync (stream, guid,
                                             G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_SERVER,
                                             NULL, NULL, &error);
  if (connection != NULL)
    registration = bench_gdbus_serve (connection, &error);

  if (registration != 0)
    {
      g_signal_connect (connection, "closed", G_CALLBACK (on_gdbus_closed), &closed);
      while (!closed)
        g_main_context_iteration (NULL, TRUE);
      g_dbus_connection_unregister_object (connection, registration);
    }
  else
    g_printerr ("bench-child: GDBus server: %s\n", error->message);

  g_clear_error (&error);
  g_clear_object (&connection);
  g_clear_object (&stream);
  g_free (guid);

  return registration != 0 ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* jsonrpc-glib                                                         */

#ifdef HAVE_JSONRPC

static void
reply (JsonrpcClient *client, GVariant *id, gint64 value)
{
  jsonrpc_client_reply_async (client, id, g_variant_new_int64 (value), NULL, NULL, NULL);
}

static void
handle_echo (JsonrpcServer *server,
             JsonrpcClient *client,
             const char    *method,
             GVariant      *id,
             GVariant      *params,
             gpointer       user_data)
{
  gint64 value = 0;

  if (params == NULL || !g_variant_lookup (params, "value", "x", &value))
    {
      jsonrpc_client_reply_error_async (client, id, -32602, "echo wants {value: int}",
                                        NULL, NULL, NULL);
      return;
    }
  reply (client, id, value);
}

static void
handle_size (JsonrpcServer *server,
             JsonrpcClient *client,
             const char    *method,
             GVariant      *id,
             GVariant      *params,
             gpointer       user_data)
{
  char *data = NULL;
  gsize size = 0;

  if (params == NULL || !g_variant_lookup (params, "data", "s", &data))
    {
      jsonrpc_client_reply_error_async (client, id, -32602, "size wants {data: base64}",
                                        NULL, NULL, NULL);
      return;
    }
  g_base64_decode_inplace (data, &size);
  g_free (data);
  reply (client, id, (gint64) size);
}

static void
on_client_closed (JsonrpcServer *server,
                  JsonrpcClient *client,
                  gpointer       user_data)
{
  *(gboolean *) user_data = TRUE;
  g_main_context_wakeup (NULL);
}

static int
run_jsonrpc (void)
{
  GIOStream     *stream;
  JsonrpcServer *server;
  GError        *error = NULL;
  gboolean       closed = FALSE;

  stream = stream_for_parent (&error);
  if (stream == NULL)
    {
      g_printerr ("bench-child: %s\n", error->message);
      g_error_free (error);
      return 1;
    }

  server = jsonrpc_server_new ();
  jsonrpc_server_add_handler (server, "echo", handle_echo, NULL, NULL);
  jsonrpc_server_add_handler (server, "size", handle_size, NULL, NULL);
  g_signal_connect (server, "client-closed", G_CALLBACK (on_client_closed), &closed);
  jsonrpc_server_accept_io_stream (server, stream);

  while (!closed)
    g_main_context_iteration (NULL, TRUE);

  g_object_unref (server);
  g_object_unref (stream);
  while (g_main_context_iteration (NULL, FALSE))
    ;

  return 0;
}

#endif

int
main (int argc, char **argv)
{
  const char *mode = argc > 1 ? argv[1] : "comlink";

  /* A write to a parent that went away must end us, not a signal */
  signal (SIGPIPE, SIG_IGN);

  if (g_str_equal (mode, "comlink"))
    return run_comlink ();
  if (g_str_equal (mode, "floor"))
    return run_floor ();
  if (g_str_equal (mode, "gdbus"))
    return run_gdbus ();
#ifdef HAVE_JSONRPC
  if (g_str_equal (mode, "jsonrpc"))
    return run_jsonrpc ();
#endif

  fprintf (stderr, "usage: %s [comlink|floor|gdbus"
#ifdef HAVE_JSONRPC
                   "|jsonrpc"
#endif
                   "]\n",
           argv[0]);
  return 2;
}
