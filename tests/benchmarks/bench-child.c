/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The child of bench-subprocess. The mode is the first argument; every
 * mode but "comlink" speaks over file descriptor 3, a socketpair whose
 * other end the parent holds, and exits when the parent closes it.
 *
 *   comlink   exposes an object with the action signals
 *             echo-int (int) -> int, ping () and size (GBytes) -> guint64
 *             with comlink_worker_serve_parent()
 *   floor     a bare echo on the socket with blocking reads and writes:
 *             every 8-byte little-endian header comes back as it is, after
 *             the bulk bytes it announces (BENCH_FLOOR_BULK_FLAG) are read
 *             and dropped
 *   sources   the same echo driven by a GLib main loop: a GSocket source
 *             for reading, one for writing while the socket is full,
 *             non-blocking reads and writes in their callbacks
 *   single    as sources, but one message at a time: each dispatch reads
 *             at most one header, and each answer goes in a send() of its
 *             own, as a main-loop transport that does not batch does
 *   gdbus     a GDBus peer-to-peer server (EchoInt(i) -> i, Ping(),
 *             Size(ay) -> t, Instrument(b)) on the socket
 *   jsonrpc   a jsonrpc-glib server ("echo" {value} -> value,
 *             "size" {data: base64} -> the decoded size,
 *             "instrument" {on} -> on) on the socket
 *
 * Every mode can turn callgrind's counting on and off when the parent
 * asks (see bench_instrument()), so that `bench-subprocess --instructions`
 * counts the instructions of the calls it measures on both sides.
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
#include <sys/socket.h>
#include <unistd.h>

#define PARENT_FD 3

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
/* The floors: what both do with the bytes they read                    */

typedef struct
{
  guint64 to_drop; /* bulk bytes still to come */
  guint64 bulk_header;
  /* The bulk bytes are kept as a receiver of GBytes keeps them: all in
   * one buffer of their size, which the next bulk of that size reuses */
  guint8 *bulk;
  gsize   bulk_size;
  gsize   bulk_capacity;
} FloorParser;

/* Where the next bulk bytes go, and how many may come */
static guint8 *
floor_bulk_space (FloorParser *parser, gsize *space)
{
  *space = (gsize) parser->to_drop;
  return parser->bulk + (parser->bulk_size - (gsize) parser->to_drop);
}

/* @n bulk bytes arrived: the reply goes out once all did */
static void
floor_bulk_received (FloorParser *parser, gsize n, guint8 *out, gsize *n_out)
{
  parser->to_drop -= n;
  if (parser->to_drop == 0)
    {
      memcpy (out + *n_out, &parser->bulk_header, sizeof parser->bulk_header);
      *n_out += sizeof parser->bulk_header;
    }
}

/* Handles the whole headers of @in[0..@have) and the bulk bytes among
 * them, appends the replies due to @out (at most @have + 8 bytes) and
 * returns how many bytes of @in it used: the rest is the start of a
 * header */
static gsize
floor_parse (FloorParser *parser, const guint8 *in, gsize have, guint8 *out, gsize *n_out)
{
  gsize pos = 0;

  while (pos < have)
    {
      guint64 header, value;

      if (parser->to_drop > 0)
        {
          gsize   take = (gsize) MIN (parser->to_drop, (guint64) (have - pos));
          gsize   space;
          guint8 *dest = floor_bulk_space (parser, &space);

          memcpy (dest, in + pos, take);
          pos += take;
          floor_bulk_received (parser, take, out, n_out);
          continue;
        }
      if (have - pos < sizeof header)
        break;
      memcpy (&header, in + pos, sizeof header);
      pos += sizeof header;
      value = GUINT64_FROM_LE (header);
      if (value & BENCH_FLOOR_BULK_FLAG)
        {
          parser->bulk_header = header;
          parser->to_drop = value & ~BENCH_FLOOR_BULK_FLAG;
          parser->bulk_size = (gsize) parser->to_drop;
          if (parser->bulk_capacity < parser->bulk_size)
            {
              g_free (parser->bulk);
              parser->bulk = g_malloc (parser->bulk_size);
              parser->bulk_capacity = parser->bulk_size;
            }
          if (parser->to_drop > 0)
            continue;
        }
      else if (value & BENCH_FLOOR_INSTRUMENT_FLAG)
        bench_instrument (value & 1);
      memcpy (out + *n_out, &header, sizeof header);
      *n_out += sizeof header;
    }

  return pos;
}

/* ------------------------------------------------------------------ */
/* The blocking floor: bare reads and writes                            */

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
  guint8     *in = g_malloc (FLOOR_BUFFER_SIZE);
  guint8     *out = g_malloc (FLOOR_BUFFER_SIZE + sizeof (guint64));
  gsize       have = 0; /* bytes of @in not handled yet */
  FloorParser parser = { 0 };
  int         status = 0;

  for (;;)
    {
      gsize   n_out = 0;
      gsize   used;
      ssize_t n;

      /* Bulk bytes go straight where they are kept */
      if (parser.to_drop > 0 && have == 0)
        {
          gsize   space;
          guint8 *dest = floor_bulk_space (&parser, &space);

          n = read (PARENT_FD, dest, space);
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            {
              status = n < 0;
              break;
            }
          floor_bulk_received (&parser, (gsize) n, out, &n_out);
          if (n_out > 0 && !write_all (PARENT_FD, out, n_out))
            {
              status = 1;
              break;
            }
          continue;
        }

      n = read (PARENT_FD, in + have, FLOOR_BUFFER_SIZE - have);

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

      used = floor_parse (&parser, in, have, out, &n_out);
      /* Keep the start of a header for the next read */
      memmove (in, in + used, have - used);
      have -= used;

      if (n_out > 0 && !write_all (PARENT_FD, out, n_out))
        {
          status = 1;
          break;
        }
    }

  g_free (in);
  g_free (out);
  g_free (parser.bulk);
  close (PARENT_FD);

  return status;
}

/* ------------------------------------------------------------------ */
/* The GSocket-sources floor: the same bytes, driven by a main loop     */

typedef struct
{
  GMainLoop  *loop;
  GSocket    *socket;
  GSource    *in_source;
  GSource    *out_source; /* while replies wait for room in the socket */
  FloorParser parser;
  guint8     *in;
  gsize       have;
  guint8     *out;
  GByteArray *pending; /* replies not written yet */
  int         status;
  gboolean    single; /* a header a dispatch, an answer a send */
} SourcesFloor;

static void
sources_stop (SourcesFloor *sf, int status)
{
  sf->status = status;
  g_main_loop_quit (sf->loop);
}

static gboolean sources_out_ready (GSocket *socket, GIOCondition condition, gpointer user_data);

/* Writes what it can of the pending replies without blocking; waits for
 * room in the socket for the rest */
static void
sources_flush (SourcesFloor *sf)
{
  int fd = g_socket_get_fd (sf->socket);

  while (sf->pending->len > 0)
    {
      gsize   size = sf->single ? sizeof (guint64) : sf->pending->len;
      ssize_t n = send (fd, sf->pending->data, size, MSG_DONTWAIT | MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      if (n <= 0)
        {
          sources_stop (sf, 1);
          return;
        }
      g_byte_array_remove_range (sf->pending, 0, (guint) n);
    }

  if (sf->pending->len > 0 && sf->out_source == NULL)
    {
      sf->out_source = g_socket_create_source (sf->socket, G_IO_OUT, NULL);
      g_source_set_callback (sf->out_source, G_SOURCE_FUNC (sources_out_ready), sf, NULL);
      g_source_set_can_recurse (sf->out_source, TRUE);
      g_source_attach (sf->out_source, NULL);
    }
}

static gboolean
sources_out_ready (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  SourcesFloor *sf = user_data;

  sources_flush (sf);
  if (sf->pending->len > 0 && sf->status == 0)
    return G_SOURCE_CONTINUE;

  g_clear_pointer (&sf->out_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

static gboolean
sources_in_ready (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  SourcesFloor *sf = user_data;
  int           fd = g_socket_get_fd (socket);

  /* A full read may have left more behind; a short one, or none, did not */
  for (;;)
    {
      gsize    space = (sf->single ? sizeof (guint64) : FLOOR_BUFFER_SIZE) - sf->have;
      gsize    n_out = 0, used;
      gboolean bulk = sf->parser.to_drop > 0 && sf->have == 0;
      guint8  *dest = bulk ? floor_bulk_space (&sf->parser, &space) : sf->in + sf->have;
      ssize_t  n = recv (fd, dest, space, MSG_DONTWAIT);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return G_SOURCE_CONTINUE;
      if (n <= 0)
        {
          /* The parent closed its end: an fd left in the loop would be
           * ready for ever (HUP) and spin it */
          sources_stop (sf, n == 0 ? 0 : 1);
          g_clear_pointer (&sf->in_source, g_source_unref);
          return G_SOURCE_REMOVE;
        }
      if (bulk)
        floor_bulk_received (&sf->parser, (gsize) n, sf->out, &n_out);
      else
        {
          sf->have += (gsize) n;
          used = floor_parse (&sf->parser, sf->in, sf->have, sf->out, &n_out);
          memmove (sf->in, sf->in + used, sf->have - used);
          sf->have -= used;
        }
      if (n_out > 0)
        {
          g_byte_array_append (sf->pending, sf->out, (guint) n_out);
          if (sf->out_source == NULL)
            sources_flush (sf);
        }
      /* One message a dispatch: the source is dispatched again at once
       * while more wait */
      if ((gsize) n < space || (sf->single && !bulk))
        return G_SOURCE_CONTINUE;
    }
}

static int
run_sources (gboolean single)
{
  SourcesFloor sf = { 0 };
  GError      *error = NULL;

  sf.single = single;

  sf.socket = g_socket_new_from_fd (PARENT_FD, &error);
  if (sf.socket == NULL)
    {
      g_printerr ("bench-child: %s\n", error->message);
      g_error_free (error);
      return 1;
    }
  sf.loop = g_main_loop_new (NULL, FALSE);
  sf.in = g_malloc (FLOOR_BUFFER_SIZE);
  sf.out = g_malloc (FLOOR_BUFFER_SIZE + sizeof (guint64));
  sf.pending = g_byte_array_new ();

  sf.in_source = g_socket_create_source (sf.socket, G_IO_IN, NULL);
  g_source_set_callback (sf.in_source, G_SOURCE_FUNC (sources_in_ready), &sf, NULL);
  /* Else GLib 2.74 takes the fd out of the poll set and back around every
   * dispatch, and wakes its own context to do it: twice the syscalls */
  g_source_set_can_recurse (sf.in_source, TRUE);
  g_source_attach (sf.in_source, NULL);

  g_main_loop_run (sf.loop);

  if (sf.in_source != NULL)
    {
      g_source_destroy (sf.in_source);
      g_clear_pointer (&sf.in_source, g_source_unref);
    }
  if (sf.out_source != NULL)
    {
      g_source_destroy (sf.out_source);
      g_clear_pointer (&sf.out_source, g_source_unref);
    }
  g_socket_close (sf.socket, NULL);
  g_object_unref (sf.socket);
  g_main_loop_unref (sf.loop);
  g_byte_array_unref (sf.pending);
  g_free (sf.in);
  g_free (sf.out);
  g_free (sf.parser.bulk);

  return sf.status;
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
handle_instrument (JsonrpcServer *server,
                   JsonrpcClient *client,
                   const char    *method,
                   GVariant      *id,
                   GVariant      *params,
                   gpointer       user_data)
{
  gboolean on = FALSE;

  if (params != NULL)
    g_variant_lookup (params, "on", "b", &on);
  bench_instrument (on);
  reply (client, id, on);
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
  jsonrpc_server_add_handler (server, "instrument", handle_instrument, NULL, NULL);
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
  if (g_str_equal (mode, "sources"))
    return run_sources (FALSE);
  if (g_str_equal (mode, "single"))
    return run_sources (TRUE);
  if (g_str_equal (mode, "gdbus"))
    return run_gdbus ();
#ifdef HAVE_JSONRPC
  if (g_str_equal (mode, "jsonrpc"))
    return run_jsonrpc ();
#endif

  fprintf (stderr, "usage: %s [comlink|floor|sources|single|gdbus"
#ifdef HAVE_JSONRPC
                   "|jsonrpc"
#endif
                   "]\n",
           argv[0]);
  return 2;
}
