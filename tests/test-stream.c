/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* ComlinkStreamEndpoint over a socketpair: calls, large values, the peer
 * going away, limits, and bytes that are not messages. */

#include <sys/mman.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>
#include <gio/gunixfdmessage.h>
#include <gio/gunixinputstream.h>

#include "test-objects.h"

static GIOStream *
stream_from_fd (int fd)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new_from_fd (fd, &error);

  g_assert_no_error (error);
  return G_IO_STREAM (g_socket_connection_factory_create_connection (socket));
}

static void
socket_pair (GIOStream **a,
             GIOStream **b)
{
  int fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  *a = stream_from_fd (fds[0]);
  *b = stream_from_fd (fds[1]);
}

/* A TestCalc exposed on one end of a socketpair and wrapped on the other */
typedef struct
{
  GIOStream       *a;
  GIOStream       *b;
  ComlinkEndpoint *ea;
  ComlinkEndpoint *eb;
  TestCalc        *calc;
  ComlinkProxy    *proxy;
} Pair;

static void
pair_open (Pair *p)
{
  socket_pair (&p->a, &p->b);
  p->ea = comlink_stream_endpoint_new (p->a);
  p->eb = comlink_stream_endpoint_new (p->b);
  p->calc = test_calc_new ();
  comlink_expose (G_OBJECT (p->calc), p->ea);
  p->proxy = comlink_wrap (p->eb);
}

/* Closes the wrapping side, if a test did not close a side itself; the
 * exposing side sees it */
static void
pair_close (Pair *p)
{
  ComlinkConnection *wrapping = comlink_connection_get_for_endpoint (p->eb);

  if (wrapping != NULL)
    comlink_connection_close (wrapping);
  test_wait_until (comlink_endpoint_is_closed (p->ea));
  g_clear_object (&p->proxy);
  g_clear_object (&p->calc);
  g_clear_object (&p->eb);
  g_clear_object (&p->ea);
  g_clear_object (&p->b);
  g_clear_object (&p->a);
}

static void
test_stream_calls (void)
{
  Pair p = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) big = g_bytes_new_take (g_malloc0 (1 << 20), 1 << 20);
  const char   *strv[] = { "x", "yé", NULL };
  GValue       *args, *ret;
  ComlinkProxy *child;

  pair_open (&p);

  args = test_args_new (2, G_TYPE_INT, 20, G_TYPE_INT, 22);
  ret = comlink_proxy_call_sync (p.proxy, "add", args, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (ret), ==, 42);
  g_boxed_free (G_TYPE_VALUE, ret);
  test_args_free (args, 2);

  args = test_args_new (1, G_TYPE_STRV, strv);
  ret = comlink_proxy_call_sync (p.proxy, "echo-strv", args, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (g_value_get_boxed (ret), strv);
  g_boxed_free (G_TYPE_VALUE, ret);
  test_args_free (args, 1);

  /* A 1 MiB GBytes arrives whole (in a memfd, across a Unix socket) */
  args = test_args_new (1, G_TYPE_BYTES, big);
  ret = comlink_proxy_call_sync (p.proxy, "echo-bytes", args, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (g_value_get_boxed (ret), big));
  g_boxed_free (G_TYPE_VALUE, ret);
  test_args_free (args, 1);

  /* Objects by reference, and a remote error */
  args = test_args_new (1, G_TYPE_INT, 3);
  ret = comlink_proxy_call_sync (p.proxy, "make-child", args, 1, NULL, &error);
  g_assert_no_error (error);
  test_args_free (args, 1);
  child = g_value_get_object (ret);
  g_assert_true (COMLINK_IS_PROXY (child));
  {
    GValue *value = comlink_proxy_get_sync (child, "value", NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (g_value_get_int (value), ==, 3);
    g_boxed_free (G_TYPE_VALUE, value);
  }
  g_boxed_free (G_TYPE_VALUE, ret);

  args = test_args_new (1, G_TYPE_INT, G_IO_ERROR_BUSY);
  g_assert_null (comlink_proxy_call_sync (p.proxy, "fail", args, 1, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_clear_error (&error);
  test_args_free (args, 1);

  comlink_connection_close (comlink_connection_get_for_endpoint (p.ea));
  test_wait_until (comlink_proxy_is_released (p.proxy));
  pair_close (&p);
}

/* A large array of an odd size goes from where it is; the values after
 * it, built as GVariant trees, are still written where they must be
 * aligned, and arrive as they were */
static void
test_stream_odd_array_then_aligned (void)
{
  Pair p = { 0 };
  g_autoptr(GError) error = NULL;
  gsize size = 65 * 1024 + 3;
  g_autoptr(GBytes) odd = g_bytes_new_take (g_malloc (size), size);
  g_autoptr(GVariant) value = NULL;
  GValue *args, *ret;

  memset ((guint8 *) g_bytes_get_data (odd, NULL), 0x5a, size);
  value = g_variant_ref_sink (g_variant_new ("(@ay(yd)@ayx)",
                                             g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, odd, TRUE),
                                             7, 2.5,
                                             g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, odd, TRUE),
                                             G_GINT64_CONSTANT (-5)));
  pair_open (&p);
  comlink_stream_endpoint_set_memfd_threshold (COMLINK_STREAM_ENDPOINT (p.ea), 0);
  comlink_stream_endpoint_set_memfd_threshold (COMLINK_STREAM_ENDPOINT (p.eb), 0);

  args = test_args_new (1, G_TYPE_VARIANT, value);
  ret = comlink_proxy_call_sync (p.proxy, "echo-variant", args, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_equal (g_value_get_variant (ret), value));
  g_boxed_free (G_TYPE_VALUE, ret);
  test_args_free (args, 1);

  pair_close (&p);
}

/* The exposing side goes away with a call in flight */
static void
test_stream_peer_closes (void)
{
  Pair       p = { 0 };
  TestResult r = { 0 };

  pair_open (&p);

  comlink_proxy_call_async (p.proxy, "hold", NULL, 0, NULL, test_on_call_done, &r);
  test_wait_until (test_calc_get_held (p.calc) != NULL);
  comlink_endpoint_close (p.ea);

  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, COMLINK_ERROR, COMLINK_ERROR_CLOSED);
  g_assert_true (comlink_endpoint_is_closed (p.eb));
  g_assert_true (comlink_proxy_is_released (p.proxy));
  test_result_clear (&r);
  test_iterate_pending ();
  pair_close (&p);
}

static void
test_stream_max_message_size (void)
{
  Pair p = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) big = g_bytes_new_take (g_malloc0 (4096), 4096);
  GValue *args;

  pair_open (&p);
  comlink_stream_endpoint_set_max_message_size (COMLINK_STREAM_ENDPOINT (p.eb), 1024);
  g_assert_cmpuint (comlink_stream_endpoint_get_max_message_size (COMLINK_STREAM_ENDPOINT (p.eb)), ==, 1024);

  /* Too large to send: fails here, and the connection goes on */
  args = test_args_new (1, G_TYPE_BYTES, big);
  g_assert_null (comlink_proxy_call_sync (p.proxy, "bytes-size", args, 1, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_LIMIT_EXCEEDED);
  g_clear_error (&error);
  test_args_free (args, 1);
  g_assert_null (comlink_proxy_call_sync (p.proxy, "ping", NULL, 0, NULL, &error));
  g_assert_no_error (error);

  /* A result too large for the exposing side's limit becomes an error */
  comlink_stream_endpoint_set_max_message_size (COMLINK_STREAM_ENDPOINT (p.ea), 1024);
  args = test_args_new (2, G_TYPE_STRING, "abc", G_TYPE_INT, 10);
  {
    GValue *ret = comlink_proxy_call_sync (p.proxy, "repeat", args, 2, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (strlen (g_value_get_string (ret)), ==, 30);
    g_boxed_free (G_TYPE_VALUE, ret);
  }
  test_args_free (args, 2);
  args = test_args_new (2, G_TYPE_STRING, "abc", G_TYPE_INT, 1000);
  g_assert_null (comlink_proxy_call_sync (p.proxy, "repeat", args, 2, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_LIMIT_EXCEEDED);
  g_clear_error (&error);
  test_args_free (args, 2);

  comlink_connection_close (comlink_connection_get_for_endpoint (p.ea));
  test_wait_until (comlink_proxy_is_released (p.proxy));
  pair_close (&p);
}

/* Writes one frame of @text, a message in GVariant text form, with @fds
 * beside its first byte. @announced is the count the frame header
 * announces, or -1 for a plain frame. */
static void
send_frame (GSocket    *socket,
            const char *text,
            const int  *fds,
            guint       n_fds,
            gint        announced)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) message = g_variant_ref_sink (g_variant_new_variant (g_variant_new_parsed (text)));
  g_autoptr(GByteArray) frame = g_byte_array_new ();
  GSocketControlMessage *control = NULL;
  GOutputVector          vector;
  guint32                size = (guint32) g_variant_get_size (message);

  if (announced >= 0)
    {
      guint32 header[2] = { GUINT32_TO_LE (size | 0x80000000u), GUINT32_TO_LE ((guint32) announced) };

      g_byte_array_append (frame, (const guint8 *) header, sizeof header);
    }
  else
    {
      size = GUINT32_TO_LE (size);
      g_byte_array_append (frame, (const guint8 *) &size, sizeof size);
    }
  g_byte_array_append (frame, g_variant_get_data (message), g_variant_get_size (message));

  if (n_fds > 0)
    {
      g_autoptr(GUnixFDList) list = g_unix_fd_list_new_from_array (fds, n_fds);

      control = g_unix_fd_message_new_with_fd_list (list);
    }
  vector.buffer = frame->data;
  vector.size = frame->len;
  g_assert_cmpint (g_socket_send_message (socket, NULL, &vector, 1, control ? &control : NULL,
                                          control ? 1 : 0, G_SOCKET_MSG_NONE, NULL, &error),
                   ==, (gssize) frame->len);
  g_clear_object (&control);
}

#define HELLO "((byte 1, uint64 0, uint64 0), @as [], <(uint32 1, 'hostile')>)"
/* A peer that writes raw bytes on one end of a socketpair, after its
 * handshake, to a wrapped stream endpoint on the other with a call waiting */
typedef struct
{
  GIOStream       *a;
  GIOStream       *b;
  ComlinkEndpoint *eb;
  ComlinkProxy    *proxy;
  TestResult       r;
} RawPeer;

static GSocket *
raw_peer_open (RawPeer *peer)
{
  GSocket *raw;

  socket_pair (&peer->a, &peer->b);
  peer->eb = comlink_stream_endpoint_new (peer->b);
  peer->proxy = comlink_wrap (peer->eb);
  comlink_proxy_call_async (peer->proxy, "ping", NULL, 0, NULL, test_on_call_done, &peer->r);

  /* A hello first, so that what follows is taken as messages */
  raw = g_socket_connection_get_socket (G_SOCKET_CONNECTION (peer->a));
  send_frame (raw, HELLO, NULL, 0, -1);

  return raw;
}

/* The waiting call failed with PROTOCOL (for @reason, if given) and the
 * endpoint closed */
static void
raw_peer_check_closed (RawPeer    *peer,
                       const char *reason)
{
  test_wait_until (peer->r.n_calls == 1);
  g_assert_error (peer->r.error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL);
  if (reason != NULL)
    g_assert_nonnull (strstr (peer->r.error->message, reason));
  g_assert_true (comlink_endpoint_is_closed (peer->eb));
  test_result_clear (&peer->r);
  test_iterate_pending ();
  g_clear_object (&peer->proxy);
  g_clear_object (&peer->eb);
  g_clear_object (&peer->b);
  g_clear_object (&peer->a);
}

/* A peer that writes bytes that are not messages */
static const struct
{
  const char *name;
  const char *bytes;
  gsize       length;
} hostile[] = {
  { "truncated-header", "\x10\x00", 2 },
  { "truncated-frame", "\x10\x00\x00\x00\x01\x02", 6 },
  { "length-4GiB", "\xff\xff\xff\xff", 4 },
  { "length-zero", "\x00\x00\x00\x00", 4 },
  /* A variant of type "\xff": not a type at all */
  { "not-a-variant", "\x05\x00\x00\x00\x01\x02\x03\x00\xff", 9 },
  /* A boolean of value 2: not in normal form */
  { "not-normal-form", "\x03\x00\x00\x00\x02\x00\x62", 7 },
  /* A valid variant (uint32 7) that is not a message */
  { "not-a-message", "\x06\x00\x00\x00\x07\x00\x00\x00\x00\x75", 10 },
};

static void
test_stream_hostile (gconstpointer data)
{
  guint    i = GPOINTER_TO_UINT (data);
  RawPeer  peer = { 0 };
  GSocket *raw = raw_peer_open (&peer);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_socket_send (raw, hostile[i].bytes, hostile[i].length, NULL, &error),
                   ==, (gssize) hostile[i].length);
  g_assert_no_error (error);
  /* A truncated frame is only known to be one at the end of the stream;
   * shutting down one direction keeps the other writable */
  if (g_str_has_prefix (hostile[i].name, "truncated"))
    g_assert_true (g_socket_shutdown (raw, FALSE, TRUE, NULL));

  raw_peer_check_closed (&peer, NULL);
}

/* A value nested 10000 variants deep */
static void
test_stream_deep_nesting (void)
{
  RawPeer  peer = { 0 };
  GSocket *raw = raw_peer_open (&peer);
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) frame = g_byte_array_new ();
  guint32 size;

  /* An int32, then 10000 times: the variant so far, a zero, its type */
  g_byte_array_append (frame, (const guint8 *) "\0\0\0\0\x07\x00\x00\x00\x00i", 10);
  for (guint i = 1; i < 10000; i++)
    g_byte_array_append (frame, (const guint8 *) "\x00v", 2);
  g_byte_array_append (frame, (const guint8 *) "\x00v", 2);
  size = GUINT32_TO_LE (frame->len - 4);
  memcpy (frame->data, &size, 4);

  g_assert_cmpint (g_socket_send (raw, (const char *) frame->data, frame->len, NULL, &error),
                   ==, (gssize) frame->len);
  g_assert_no_error (error);

  raw_peer_check_closed (&peer, NULL);
}

static char *
call_for_string (ComlinkProxy *proxy,
                 const char   *method,
                 GType         type,
                 gpointer      object)
{
  g_autoptr(GError) error = NULL;
  GValue *args = test_args_new (1, type, object);
  GValue *ret = comlink_proxy_call_sync (proxy, method, args, 1, NULL, &error);
  char   *str;

  g_assert_no_error (error);
  str = g_value_dup_string (ret);
  g_boxed_free (G_TYPE_VALUE, ret);
  test_args_free (args, 1);

  return str;
}

/* A GUnixFDList and fd-holding streams as arguments and results; every
 * descriptor is closed when they are gone */
static void
test_stream_fds (void)
{
  guint fds_before = test_count_fds_baseline ();

  {
    Pair p = { 0 };
    g_autoptr(GUnixFDList) list = g_unix_fd_list_new ();
    g_autoptr(GInputStream) stream = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;
    char             buffer[16] = { 0 };
    gsize            n_read = 0;
    GValue          *args, *ret;
    int              fd;

    pair_open (&p);
    g_assert_true (comlink_endpoint_can_send_fds (p.ea));

    for (guint i = 0; i < 2; i++)
      {
        fd = test_pipe_with (i == 0 ? "one" : "two");
        g_assert_cmpint (g_unix_fd_list_append (list, fd, &error), ==, i);
        close (fd);
      }
    text = call_for_string (p.proxy, "read-fds", G_TYPE_UNIX_FD_LIST, list);
    g_assert_cmpstr (text, ==, "one|two");
    g_clear_pointer (&text, g_free);

    /* More descriptors than one message can carry fail that call only */
    {
      g_autoptr(GUnixFDList) many = g_unix_fd_list_new ();

      fd = test_pipe_with ("");
      for (guint i = 0; i < 254; i++)
        g_assert_cmpint (g_unix_fd_list_append (many, fd, &error), >=, 0);
      close (fd);
      args = test_args_new (1, G_TYPE_UNIX_FD_LIST, many);
      g_assert_null (comlink_proxy_call_sync (p.proxy, "read-fds", args, 1, NULL, &error));
      g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_LIMIT_EXCEEDED);
      g_clear_error (&error);
      test_args_free (args, 1);
      g_assert_false (comlink_endpoint_is_closed (p.eb));
    }

    stream = g_unix_input_stream_new (test_pipe_with ("three"), TRUE);
    text = call_for_string (p.proxy, "read-stream", G_TYPE_INPUT_STREAM, stream);
    g_assert_cmpstr (text, ==, "three");
    g_clear_object (&stream);

    /* A descriptor in a result */
    args = test_args_new (1, G_TYPE_STRING, "four");
    ret = comlink_proxy_call_sync (p.proxy, "open-pipe", args, 1, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (G_VALUE_HOLDS (ret, G_TYPE_UNIX_INPUT_STREAM));
    g_assert_true (g_input_stream_read_all (g_value_get_object (ret), buffer, sizeof buffer - 1,
                                            &n_read, NULL, &error));
    g_assert_cmpstr (buffer, ==, "four");
    g_boxed_free (G_TYPE_VALUE, ret);
    test_args_free (args, 1);

    pair_close (&p);
  }

  test_wait_until (test_count_fds () <= fds_before);
}

/* Frames with descriptors in one batch with others, and a large frame that
 * the socket takes in parts between them: each call gets its own */
static void
test_stream_fds_burst (void)
{
  guint fds_before = test_count_fds_baseline ();

  {
    Pair       p = { 0 };
    TestResult r[4] = { { 0 } };
    g_autoptr(GBytes) big = g_bytes_new_take (g_malloc0 (2 << 20), 2 << 20);
    const char *texts[] = { "first", NULL, "second", "third" };

    pair_open (&p);
    /* Copied through the socket, which takes it in parts */
    comlink_stream_endpoint_set_memfd_threshold (COMLINK_STREAM_ENDPOINT (p.eb), 0);

    for (guint i = 0; i < G_N_ELEMENTS (r); i++)
      {
        g_autoptr(GUnixFDList) list = g_unix_fd_list_new ();
        GValue *args;

        if (texts[i] == NULL)
          {
            args = test_args_new (1, G_TYPE_BYTES, big);
            comlink_proxy_call_async (p.proxy, "bytes-size", args, 1, NULL, test_on_call_done, &r[i]);
          }
        else
          {
            int fd = test_pipe_with (texts[i]);

            g_unix_fd_list_append (list, fd, NULL);
            close (fd);
            args = test_args_new (1, G_TYPE_UNIX_FD_LIST, list);
            comlink_proxy_call_async (p.proxy, "read-fds", args, 1, NULL, test_on_call_done, &r[i]);
          }
        test_args_free (args, 1);
      }

    for (guint i = 0; i < G_N_ELEMENTS (r); i++)
      {
        test_wait_until (r[i].n_calls == 1);
        g_assert_no_error (r[i].error);
        if (texts[i] == NULL)
          g_assert_cmpuint (g_value_get_uint64 (r[i].value), ==, 2 << 20);
        else
          g_assert_cmpstr (g_value_get_string (r[i].value), ==, texts[i]);
        test_result_clear (&r[i]);
      }

    pair_close (&p);
  }

  test_wait_until (test_count_fds () <= fds_before);
}

/* Large GBytes go as sealed memfds from the threshold on, and through
 * the socket below it or with the path turned off; either way the bytes
 * arrive whole */
static void
test_stream_memfd (void)
{
  const gsize sizes[] = { 1000, 4 << 20 };
  guint       fds_before = test_count_fds_baseline ();

  for (guint threshold = 0; threshold < 2; threshold++)
    for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
      {
        Pair p = { 0 };
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) bytes = NULL;
        guint8 *data = g_malloc (sizes[i]);
        GBytes *echoed;
        GValue *args, *ret;

        for (gsize j = 0; j < sizes[i]; j++)
          data[j] = (guint8) (j * 7 + 3);
        bytes = g_bytes_new_take (data, sizes[i]);

        pair_open (&p);
        g_assert_cmpuint (comlink_stream_endpoint_get_memfd_threshold (COMLINK_STREAM_ENDPOINT (p.ea)), ==, 0);
        if (threshold == 1)
          {
            comlink_stream_endpoint_set_memfd_threshold (COMLINK_STREAM_ENDPOINT (p.ea), 512 * 1024);
            g_object_set (p.eb, "memfd-threshold", (guint64) 512 * 1024, NULL);
          }

        args = test_args_new (1, G_TYPE_BYTES, bytes);
        ret = comlink_proxy_call_sync (p.proxy, "echo-bytes", args, 1, NULL, &error);
        g_assert_no_error (error);
        echoed = g_value_get_boxed (ret);
        g_assert_true (g_bytes_equal (echoed, bytes));
        g_assert_cmpint (test_is_in_memfd (g_bytes_get_data (echoed, NULL)), ==,
                         threshold == 1 && sizes[i] >= 512 * 1024);
        g_boxed_free (G_TYPE_VALUE, ret);
        test_args_free (args, 1);

        pair_close (&p);
      }

  test_wait_until (test_count_fds () <= fds_before);
}

static void
fill_pattern (guint8 *data, gsize size, gpointer user_data)
{
  for (gsize j = 0; j < size; j++)
    data[j] = (guint8) (j * GPOINTER_TO_UINT (user_data));
}

/* Shared bytes go as their own memfd whatever their size, and what
 * arrives that way is shared again */
static void
test_stream_shared_bytes (void)
{
  guint fds_before = test_count_fds_baseline ();

  {
    Pair p = { 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) shared = comlink_bytes_new_shared (64 * 1024, fill_pattern, GUINT_TO_POINTER (3), &error);
    g_autoptr(GBytes) copy = NULL;
    g_autoptr(GBytes) slice = NULL;
    g_autoptr(GBytes) plain = g_bytes_new ("abc", 3);
    const guint8 *data;
    GBytes       *echoed;
    GValue       *args, *ret;

    g_assert_no_error (error);
    g_assert_true (comlink_bytes_is_shared (shared));
    g_assert_true (test_is_in_memfd (g_bytes_get_data (shared, NULL)));
    data = g_bytes_get_data (shared, NULL);
    g_assert_cmpuint (data[5], ==, 15);
    copy = comlink_bytes_new_shared_copy ((const guint8 *) "xyz", 3, &error);
    g_assert_no_error (error);
    g_assert_true (comlink_bytes_is_shared (copy));
    g_assert_cmpmem (g_bytes_get_data (copy, NULL), 3, "xyz", 3);
    slice = g_bytes_new_from_bytes (shared, 16, 100);
    g_assert_false (comlink_bytes_is_shared (slice));
    g_assert_false (comlink_bytes_is_shared (plain));

    pair_open (&p);

    args = test_args_new (1, G_TYPE_BYTES, shared);
    ret = comlink_proxy_call_sync (p.proxy, "echo-bytes", args, 1, NULL, &error);
    g_assert_no_error (error);
    echoed = g_value_get_boxed (ret);
    g_assert_true (g_bytes_equal (echoed, shared));
    /* Below the threshold, yet it came back in shared memory */
    g_assert_true (comlink_bytes_is_shared (echoed));
    g_assert_true (test_is_in_memfd (g_bytes_get_data (echoed, NULL)));
    g_boxed_free (G_TYPE_VALUE, ret);
    test_args_free (args, 1);

    pair_close (&p);
  }

  test_wait_until (test_count_fds () <= fds_before);
}

#define CANCEL_UNKNOWN "((byte 6, uint64 99, uint64 0), @as [], <()>)"

static const struct
{
  const char *name;
  const char *message;
  guint       n_fds;
  gint        announced;
  gboolean    sealed;
  const char *reason;
} hostile_fds[] = {
  /* Descriptors beside a frame that announces none */
  { "unannounced", CANCEL_UNKNOWN, 1, -1, TRUE, "where none is expected" },
  /* Announced, but no value refers to it */
  { "unreferenced", CANCEL_UNKNOWN, 1, 1, TRUE, "where none is expected" },
  /* Two announced, one sent */
  { "missing", CANCEL_UNKNOWN, 1, 2, TRUE, "did not come" },
  /* A value that refers to a descriptor that is not there */
  { "bad-index", "((byte 7, uint64 1, uint64 0), @as [], <(byte 12, <('GUnixFDList', [handle 3])>)>)", 1, 1, TRUE, "did not come" },
  /* An fd-holding value of a type that holds none */
  { "unknown-type", "((byte 7, uint64 1, uint64 0), @as [], <(byte 12, <('GFile', [handle 0])>)>)", 1, 1, TRUE, "unknown type" },
  /* Bytes in a memfd that the sender could still change or shrink */
  { "memfd-unsealed", "((byte 7, uint64 1, uint64 0), @as [], <(byte 13, <(uint64 4, handle 0)>)>)", 1, 1, FALSE, "not sealed" },
  /* Bytes in a memfd smaller than announced */
  { "memfd-short", "((byte 7, uint64 1, uint64 0), @as [], <(byte 13, <(uint64 8192, handle 0)>)>)", 1, 1, TRUE, "smaller than announced" },
};

static void
test_stream_hostile_fds (gconstpointer data)
{
  guint i = GPOINTER_TO_UINT (data);
  guint fds_before = test_count_fds_baseline ();

  {
    RawPeer  peer = { 0 };
    GSocket *raw = raw_peer_open (&peer);
    int      fd;

    fd = memfd_create ("hostile", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    g_assert_cmpint (fd, >=, 0);
    g_assert_cmpint (write (fd, "abcd", 4), ==, 4);
    if (hostile_fds[i].sealed)
      g_assert_cmpint (fcntl (fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE), ==, 0);

    send_frame (raw, hostile_fds[i].message, &fd, hostile_fds[i].n_fds, hostile_fds[i].announced);
    close (fd);

    raw_peer_check_closed (&peer, hostile_fds[i].reason);
  }

  /* The descriptors that came were closed */
  test_wait_until (test_count_fds () <= fds_before);
}

/* Over a stream that is not a Unix socket, a descriptor is refused at
 * the call, before anything is sent */
static void
test_stream_fds_not_transferable (void)
{
  g_autoptr(GInputStream) in = g_memory_input_stream_new ();
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GIOStream) stream = g_simple_io_stream_new (in, out);
  g_autoptr(ComlinkEndpoint) endpoint = comlink_stream_endpoint_new (stream);
  g_autoptr(ComlinkProxy) proxy = NULL;
  g_autoptr(GUnixFDList) list = g_unix_fd_list_new ();
  g_autoptr(GError) error = NULL;
  GValue *args;
  int     fd = test_pipe_with ("x");

  g_assert_false (comlink_endpoint_can_send_fds (endpoint));
  g_unix_fd_list_append (list, fd, NULL);
  close (fd);
  proxy = comlink_wrap (endpoint);
  args = test_args_new (1, G_TYPE_UNIX_FD_LIST, list);
  g_assert_null (comlink_proxy_call_sync (proxy, "read-fds", args, 1, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE);
  test_args_free (args, 1);
  comlink_connection_close (comlink_connection_get_for_endpoint (endpoint));
}

/* The buffer of a large frame, once the value that used it is dropped, is
 * the buffer of the next one: its pages are not mapped again */
static void
test_stream_buffer_reused (void)
{
  Pair          p = { 0 };
  gconstpointer first = NULL;
  gpointer      held[3];

  pair_open (&p);
  comlink_stream_endpoint_set_memfd_threshold (COMLINK_STREAM_ENDPOINT (p.eb), 0);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) bytes = g_bytes_new_take (g_malloc0 (2 << 20), 2 << 20);
      GValue *args = test_args_new (1, G_TYPE_BYTES, bytes);
      GValue *ret = comlink_proxy_call_sync (p.proxy, "bytes-size", args, 1, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (g_value_get_uint64 (ret), ==, 2 << 20);
      g_boxed_free (G_TYPE_VALUE, ret);
      test_args_free (args, 1);
      if (i == 0)
        first = test_last_bytes_data;
      else
        g_assert_true (test_last_bytes_data == first);
      /* Memory of the same size, held: a buffer freed and allocated anew
       * would not come back at the same address */
      held[i] = g_malloc0 (2 << 20);
    }
  for (guint i = 0; i < G_N_ELEMENTS (held); i++)
    g_free (held[i]);
  pair_close (&p);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Comlink/Stream/calls", test_stream_calls);
  g_test_add_func ("/Comlink/Stream/peer-closes", test_stream_peer_closes);
  g_test_add_func ("/Comlink/Stream/odd-array-then-aligned", test_stream_odd_array_then_aligned);
  g_test_add_func ("/Comlink/Stream/max-message-size", test_stream_max_message_size);
  g_test_add_func ("/Comlink/Stream/deep-nesting", test_stream_deep_nesting);
  g_test_add_func ("/Comlink/Stream/fds", test_stream_fds);
  g_test_add_func ("/Comlink/Stream/fds-burst", test_stream_fds_burst);
  g_test_add_func ("/Comlink/Stream/fds-not-transferable", test_stream_fds_not_transferable);
  g_test_add_func ("/Comlink/Stream/memfd", test_stream_memfd);
  g_test_add_func ("/Comlink/Stream/buffer-reused", test_stream_buffer_reused);
  g_test_add_func ("/Comlink/Stream/shared-bytes", test_stream_shared_bytes);
  for (guint i = 0; i < G_N_ELEMENTS (hostile_fds); i++)
    {
      g_autofree char *path = g_strdup_printf ("/Comlink/Stream/hostile-fds/%s", hostile_fds[i].name);
      g_test_add_data_func (path, GUINT_TO_POINTER (i), test_stream_hostile_fds);
    }
  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      g_autofree char *path = g_strdup_printf ("/Comlink/Stream/hostile/%s", hostile[i].name);
      g_test_add_data_func (path, GUINT_TO_POINTER (i), test_stream_hostile);
    }

  return g_test_run ();
}
