/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gunixfdmessage.h>

#include "hostile-peer.h"

#define HAS_FDS 0x80000000u

struct _HostilePeer
{
  GSocket    *socket;
  GByteArray *in;
  GArray     *in_fds;
  gboolean    ended;
};

HostilePeer *
hostile_peer_new (GSocket *socket)
{
  HostilePeer *peer = g_new0 (HostilePeer, 1);

  peer->socket = g_object_ref (socket);
  peer->in = g_byte_array_new ();
  peer->in_fds = g_array_new (FALSE, FALSE, sizeof (int));
  g_socket_set_blocking (socket, FALSE);

  return peer;
}

void
hostile_peer_free (HostilePeer *peer)
{
  for (guint i = 0; i < peer->in_fds->len; i++)
    close (g_array_index (peer->in_fds, int, i));
  g_array_unref (peer->in_fds);
  g_byte_array_unref (peer->in);
  g_socket_close (peer->socket, NULL);
  g_object_unref (peer->socket);
  g_free (peer);
}

GSocket *
hostile_peer_get_socket (HostilePeer *peer)
{
  return peer->socket;
}

/* Writes all of @data, the descriptors with its first byte; the library
 * side reads in the main context, which runs while the socket is full */
static void
send_all (HostilePeer  *peer,
          const guint8 *data,
          gsize         size,
          const int    *fds,
          guint         n_fds)
{
  gsize  offset = 0;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (offset < size)
    {
      g_autoptr(GError) error = NULL;
      GSocketControlMessage *control = NULL;
      GOutputVector          vector = { data + offset, size - offset };
      gssize                 n;

      if (offset == 0 && n_fds > 0)
        {
          g_autoptr(GUnixFDList) list = g_unix_fd_list_new_from_array (fds, n_fds);

          control = g_unix_fd_message_new_with_fd_list (list);
        }
      n = g_socket_send_message (peer->socket, NULL, &vector, 1, control ? &control : NULL,
                                 control ? 1 : 0, MSG_NOSIGNAL, NULL, &error);
      g_clear_object (&control);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
          if (!g_main_context_iteration (g_main_context_get_thread_default (), FALSE))
            g_usleep (200);
          continue;
        }
      /* The other side may have closed already: what it read is what counts */
      if (n < 0)
        return;
      offset += n;
    }
}

void
hostile_peer_send_raw (HostilePeer  *peer,
                       gconstpointer data,
                       gsize         size)
{
  send_all (peer, data, size, NULL, 0);
}

void
hostile_peer_send_raw_with_fds (HostilePeer  *peer,
                                gconstpointer data,
                                gsize         size,
                                const int    *fds,
                                guint         n_fds)
{
  send_all (peer, data, size, fds, n_fds);
}

static void
send_frame_with_fds (HostilePeer  *peer,
                     gconstpointer data,
                     gsize         size,
                     const int    *fds,
                     guint         n_fds)
{
  g_autoptr(GByteArray) frame = g_byte_array_sized_new (size + 8);
  guint32 header[2];

  if (n_fds > 0)
    {
      header[0] = GUINT32_TO_LE ((guint32) size | HAS_FDS);
      header[1] = GUINT32_TO_LE (n_fds);
      g_byte_array_append (frame, (const guint8 *) header, 8);
    }
  else
    {
      header[0] = GUINT32_TO_LE ((guint32) size);
      g_byte_array_append (frame, (const guint8 *) header, 4);
    }
  g_byte_array_append (frame, data, size);
  send_all (peer, frame->data, frame->len, fds, n_fds);
}

void
hostile_peer_send_frame (HostilePeer  *peer,
                         gconstpointer data,
                         gsize         size)
{
  send_frame_with_fds (peer, data, size, NULL, 0);
}

void
hostile_peer_send_message (HostilePeer *peer,
                           GVariant    *message,
                           const int   *fds,
                           guint        n_fds)
{
  g_autoptr(GVariant) boxed = g_variant_ref_sink (g_variant_new_variant (message));
  g_autoptr(GVariant) little = NULL;

  little = G_BYTE_ORDER == G_BIG_ENDIAN ? g_variant_byteswap (boxed) : g_variant_ref (boxed);
  send_frame_with_fds (peer, g_variant_get_data (little), g_variant_get_size (little), fds, n_fds);
}

void
hostile_peer_send (HostilePeer *peer,
                   const char  *message_text,
                   const int   *fds,
                   guint        n_fds)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) message = g_variant_parse (G_VARIANT_TYPE ("((ytt)asv)"), message_text,
                                                  NULL, NULL, &error);

  g_assert_no_error (error);
  hostile_peer_send_message (peer, message, fds, n_fds);
}

void
hostile_peer_send_hello (HostilePeer *peer)
{
  hostile_peer_send (peer, "((byte 1, uint64 0, uint64 0), @as [], <(uint32 1, 'hostile')>)", NULL, 0);
}

/* One receive without waiting: 1 if something came, 0 if nothing was
 * there, -1 at the end of the stream */
static int
read_once (HostilePeer *peer)
{
  guint8                  buffer[65536];
  GInputVector            vector = { buffer, sizeof buffer };
  GSocketControlMessage **messages = NULL;
  gint                    n_messages = 0;
  g_autoptr(GError) error = NULL;
  gssize n = g_socket_receive_message (peer->socket, NULL, &vector, 1, &messages, &n_messages,
                                       NULL, NULL, &error);

  for (gint i = 0; i < n_messages; i++)
    {
      if (G_IS_UNIX_FD_MESSAGE (messages[i]))
        {
          gint  n_fds = 0;
          gint *fds = g_unix_fd_message_steal_fds (G_UNIX_FD_MESSAGE (messages[i]), &n_fds);

          g_array_append_vals (peer->in_fds, fds, n_fds);
          g_free (fds);
        }
      g_object_unref (messages[i]);
    }
  g_free (messages);

  if (n > 0)
    {
      g_byte_array_append (peer->in, buffer, n);
      return 1;
    }
  if (n == 0 || !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    {
      peer->ended = TRUE;
      return -1;
    }
  return 0;
}

/* Whether a whole frame is in the buffer */
static gboolean
has_frame (HostilePeer *peer)
{
  guint32 size;
  gsize   header = 4;

  if (peer->in->len < 4)
    return FALSE;
  memcpy (&size, peer->in->data, 4);
  size = GUINT32_FROM_LE (size);
  if ((size & HAS_FDS) != 0)
    header = 8;
  size &= ~HAS_FDS;
  return peer->in->len >= header + size;
}

gboolean
hostile_peer_poll (HostilePeer *peer,
                   guint        timeout_msec)
{
  gint64 deadline = g_get_monotonic_time () + timeout_msec * (gint64) 1000;

  for (;;)
    {
      int got;

      if (has_frame (peer))
        return TRUE;
      if (peer->ended)
        return FALSE;
      got = read_once (peer);
      if (got > 0)
        continue;
      if (got < 0 || g_get_monotonic_time () >= deadline)
        return FALSE;
      if (!g_main_context_iteration (g_main_context_get_thread_default (), FALSE))
        g_usleep (200);
    }
}

/* Reads what is there into the buffer, waiting for it; FALSE at the end
 * of the stream */
static gboolean
read_some (HostilePeer *peer)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  for (;;)
    {
      int got = read_once (peer);

      if (got != 0)
        return got > 0;
      if (g_get_monotonic_time () >= deadline)
        g_error ("The library side sent nothing for 60 s");
      if (!g_main_context_iteration (g_main_context_get_thread_default (), FALSE))
        g_usleep (200);
    }
}

GVariant *
hostile_peer_receive (HostilePeer  *peer,
                      GUnixFDList **fds)
{
  for (;;)
    {
      guint32 size = 0;
      guint32 n_fds = 0;
      gsize   header = 4;

      if (peer->in->len >= 4)
        {
          memcpy (&size, peer->in->data, 4);
          size = GUINT32_FROM_LE (size);
          if ((size & HAS_FDS) != 0)
            {
              header = 8;
              if (peer->in->len >= 8)
                {
                  memcpy (&n_fds, peer->in->data + 4, 4);
                  n_fds = GUINT32_FROM_LE (n_fds);
                }
            }
          size &= ~HAS_FDS;
        }

      if (peer->in->len >= header && peer->in->len >= header + size && size > 0)
        {
          g_autoptr(GBytes) bytes = g_bytes_new (peer->in->data + header, size);
          g_autoptr(GVariant) boxed = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARIANT, bytes, FALSE));
          g_autoptr(GVariant) native = G_BYTE_ORDER == G_BIG_ENDIAN ? g_variant_byteswap (boxed) : g_variant_ref (boxed);
          GVariant *message = g_variant_get_variant (native);

          g_byte_array_remove_range (peer->in, 0, header + size);
          g_assert_true (g_variant_is_of_type (message, G_VARIANT_TYPE ("((ytt)asv)")));
          g_assert_cmpuint (peer->in_fds->len, >=, n_fds);
          if (fds != NULL)
            *fds = n_fds > 0 ? g_unix_fd_list_new_from_array ((int *) (gpointer) peer->in_fds->data, n_fds) : NULL;
          else
            for (guint i = 0; i < n_fds; i++)
              close (g_array_index (peer->in_fds, int, i));
          g_array_remove_range (peer->in_fds, 0, n_fds);
          return message;
        }

      if (peer->ended || !read_some (peer))
        return NULL;
    }
}

GVariant *
hostile_peer_receive_kind (HostilePeer *peer,
                           guint8       kind,
                           guint64      id)
{
  for (;;)
    {
      GVariant *message = hostile_peer_receive (peer, NULL);

      if (message == NULL)
        return NULL;
      if (hostile_message_kind (message) == kind && (id == 0 || hostile_message_id (message) == id))
        return message;
      g_variant_unref (message);
    }
}

gboolean
hostile_peer_wait_end (HostilePeer *peer)
{
  while (!peer->ended)
    {
      g_byte_array_set_size (peer->in, 0);
      read_some (peer);
    }
  return TRUE;
}

guint8
hostile_message_kind (GVariant *message)
{
  guint8 kind;

  g_variant_get (message, "((ytt)@as@v)", &kind, NULL, NULL, NULL, NULL);
  return kind;
}

guint64
hostile_message_id (GVariant *message)
{
  guint64 id;

  g_variant_get (message, "((ytt)@as@v)", NULL, &id, NULL, NULL, NULL);
  return id;
}

guint64
hostile_message_target (GVariant *message)
{
  guint64 target;

  g_variant_get (message, "((ytt)@as@v)", NULL, NULL, &target, NULL, NULL);
  return target;
}

GVariant *
hostile_message_body (GVariant *message)
{
  GVariant *body;

  g_variant_get (message, "((ytt)@asv)", NULL, NULL, NULL, NULL, &body);
  return body;
}

guint64
hostile_find_object_id (GVariant *value)
{
  gsize n;

  if (g_variant_is_of_type (value, G_VARIANT_TYPE ("(yv)")))
    {
      guint8 tag;
      g_autoptr(GVariant) content = NULL;

      g_variant_get (value, "(yv)", &tag, &content);
      if (tag == HOSTILE_TAG_OBJECT && g_variant_is_of_type (content, G_VARIANT_TYPE_UINT64))
        return g_variant_get_uint64 (content);
      return hostile_find_object_id (content);
    }

  if (g_variant_is_of_type (value, G_VARIANT_TYPE_VARIANT))
    {
      g_autoptr(GVariant) inner = g_variant_get_variant (value);

      return hostile_find_object_id (inner);
    }

  if (!g_variant_is_container (value))
    return 0;

  n = g_variant_n_children (value);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (value, i);
      guint64 id = hostile_find_object_id (child);

      if (id != 0)
        return id;
    }

  return 0;
}

static GSocket *
socket_from_fd (int fd)
{
  g_autoptr(GError) error = NULL;
  GSocket *socket = g_socket_new_from_fd (fd, &error);

  g_assert_no_error (error);
  return socket;
}

ComlinkWorker *
hostile_worker_new (HostilePeer **peer)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  const char    *relay = g_getenv ("COMLINK_TEST_RELAY");
  const char    *argv[] = { relay, NULL };
  ComlinkWorker *worker;
  int            fds[2];

  g_assert_nonnull (relay);
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  g_subprocess_launcher_take_fd (launcher, fds[1], 4);
  worker = comlink_worker_new_subprocess (launcher, argv, &error);
  g_assert_no_error (error);

  socket = socket_from_fd (fds[0]);
  *peer = hostile_peer_new (socket);

  return worker;
}

void
hostile_child_start (HostileChild       *child,
                     const char * const *argv)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GPtrArray) full = g_ptr_array_new ();
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) error = NULL;
  const char *program = g_getenv ("COMLINK_TEST_CHILD");
  int         fds[2];

  g_assert_nonnull (program);
  g_ptr_array_add (full, (gpointer) program);
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (full, (gpointer) argv[i]);
  g_ptr_array_add (full, NULL);

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  g_subprocess_launcher_setenv (launcher, "COMLINK_WORKER_FD", "3", TRUE);
  child->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) full->pdata, &error);
  g_assert_no_error (error);

  socket = socket_from_fd (fds[0]);
  child->peer = hostile_peer_new (socket);
}

char *
hostile_child_finish (HostileChild *child,
                      gboolean      close,
                      int          *exit_status)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  if (close)
    g_socket_close (hostile_peer_get_socket (child->peer), NULL);

  g_subprocess_communicate_utf8 (child->process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_subprocess_wait (child->process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (child->process));
  if (exit_status != NULL)
    *exit_status = g_subprocess_get_exit_status (child->process);

  g_clear_pointer (&child->peer, hostile_peer_free);
  g_clear_object (&child->process);

  return g_steal_pointer (&out);
}

guint
hostile_slowdown (void)
{
  return g_getenv ("COMLINK_TEST_SLOW") != NULL ? 20 : 1;
}

gboolean
hostile_rss_is_meaningful (void)
{
#if defined(__SANITIZE_ADDRESS__)
  return FALSE;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return FALSE;
#endif
#endif
  return hostile_slowdown () == 1;
}

void
hostile_report_parse (HostileReport *report,
                      const char    *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr(GPtrArray) present = g_ptr_array_new ();

  report->fds_after = G_MAXUINT;
  report->callbacks_alive = G_MAXUINT;
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];

      if (g_str_has_prefix (line, "result "))
        report->result = g_strdup (line + strlen ("result "));
      else if (g_str_has_prefix (line, "fds-baseline "))
        report->fds_baseline = atoi (line + strlen ("fds-baseline "));
      else if (g_str_has_prefix (line, "fds-after "))
        report->fds_after = atoi (line + strlen ("fds-after "));
      else if (g_str_has_prefix (line, "rss-before "))
        report->rss_before = atol (line + strlen ("rss-before "));
      else if (g_str_has_prefix (line, "rss-after "))
        report->rss_after = atol (line + strlen ("rss-after "));
      else if (g_str_has_prefix (line, "rss-peak "))
        report->rss_peak = atol (line + strlen ("rss-peak "));
      else if (g_str_has_prefix (line, "callbacks-alive "))
        report->callbacks_alive = atoi (line + strlen ("callbacks-alive "));
      else if (g_str_has_prefix (line, "quark ") && g_str_has_suffix (line, " 1"))
        g_ptr_array_add (present, g_strdup (line));
    }
  g_ptr_array_add (present, NULL);
  report->quarks_present = (GStrv) g_ptr_array_free (g_steal_pointer (&present), FALSE);
}

void
hostile_report_clear (HostileReport *report)
{
  g_clear_pointer (&report->result, g_free);
  g_clear_pointer (&report->quarks_present, g_strfreev);
}
