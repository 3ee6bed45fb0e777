/* SPDX-License-Identifier: LGPL-2.1-or-later */

/**
 * ComlinkStreamEndpoint:
 *
 * An endpoint over any [class@Gio.IOStream]: a socketpair to a
 * subprocess, a Unix socket, TCP, or TLS.
 *
 * Each message travels as a frame: its size as a 32-bit little-endian
 * number, then the message, wrapped in a variant, serialised in
 * little-endian byte order. Frames are checked as they arrive: a frame
 * larger than [property@Comlink.StreamEndpoint:max-message-size], cut
 * short, or not a variant in normal form closes the endpoint with
 * %COMLINK_ERROR_PROTOCOL. The end of the stream closes it with
 * %COMLINK_ERROR_CLOSED, an I/O error with the error.
 *
 * Writes never block the main loop. Over a Unix socket, the first
 * message since the last write goes out at once, by a non-blocking send;
 * the messages that follow in the same main-loop iteration are appended
 * to one buffer and go out together, and while a long batch of received
 * messages is handled, its answers go out as they pile up, so that both
 * sides work at once. A large array of numbers (a [struct@GLib.Bytes]
 * value) is not copied into the buffer but sent from where it is. The
 * connection of the endpoint bounds that buffer for a peer that does not
 * read (see [property@Comlink.Connection:max-queued-bytes]): it stops
 * serving the peer's requests, and then reading, until the peer reads.
 *
 * The buffer a large frame was read into is kept, once the value that
 * used it is dropped, for the next large frame.
 *
 * Over a Unix socket (a [class@Gio.SocketConnection] of the
 * %G_SOCKET_FAMILY_UNIX family, as [ctor@Comlink.Worker.new_subprocess]
 * makes), file descriptors travel beside messages: a frame that carries
 * some has the top bit of its size set and a second 32-bit number, the
 * count of descriptors, which came with its first byte. Descriptors that
 * no frame announces, or fewer than a frame announces, close the
 * endpoint with %COMLINK_ERROR_PROTOCOL. A [struct@GLib.Bytes] of at
 * least [property@Comlink.StreamEndpoint:memfd-threshold] bytes goes as
 * a sealed memfd that the receiver maps, instead of through the socket.
 *
 * Lifetime: each asynchronous read or write holds a reference to the
 * endpoint until it completes; over a Unix socket, the read source (and a
 * write source while the socket is full) holds one until the endpoint
 * closes. Closing the endpoint, which its connection does when it closes,
 * cancels them, destroys the sources and closes the stream; an endpoint
 * that was started lives until then.
 *
 * The object that the other end of a connected Unix socket exposes:
 *
 * |[<!-- language="C" -->
 * g_autoptr(GSocket) socket = g_socket_new_from_fd (fd, &error);
 * g_autoptr(GSocketConnection) stream = g_socket_connection_factory_create_connection (socket);
 * g_autoptr(ComlinkEndpoint) endpoint = comlink_stream_endpoint_new (G_IO_STREAM (stream));
 * g_autoptr(ComlinkProxy) proxy = NULL;
 *
 * // Messages larger than 1 MiB are refused
 * comlink_stream_endpoint_set_max_message_size (COMLINK_STREAM_ENDPOINT (endpoint), 1024 * 1024);
 * proxy = comlink_wrap (endpoint);
 * ]|
 *
* See also: [Subprocess workers and streams](subprocess.html), [A hostile
 * peer](security.html), [The wire protocol](protocol.html).
 *
 * Since: 0.1
 */

#include "config.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gunixfdmessage.h>

#include "comlink-bytes.h"
#include "comlink-endpoint-private.h"
#include "comlink-error.h"
#include "comlink-private.h"
#include "comlink-stream-endpoint.h"
#include "comlink-wire-private.h"

#define DEFAULT_MAX_MESSAGE_SIZE (128 * 1024 * 1024)
#define DEFAULT_MEMFD_THRESHOLD 0
#define DEFAULT_MAX_MESSAGE_ELEMENTS (1024 * 1024)
#define DEFAULT_READ_TIMEOUT 60
#define HEADER_SIZE 4
#define FDS_HEADER_SIZE 8
#define HAS_FDS 0x80000000u
#define MAX_FDS 253 /* SCM_MAX_FD */
#define READ_CHUNK (64 * 1024)
/* While a batch of messages is being handled, what it sends goes out as
 * soon as this much waits, so that the peer works on it meanwhile */
#define FLUSH_EARLY (16 * 1024)
/* Over a Unix socket, an array of numbers this large (a GBytes value) is
 * sent from where it is, not copied into the outgoing buffer */
#define REF_THRESHOLD (64 * 1024)
#define MAX_VECTORS 64
/* A buffer of a frame this large is kept for the next one when the value
 * that used it is dropped: its pages are mapped already */
#define REUSE_MIN (1024 * 1024)

/* The buffer of the last large frame, once nothing uses it any more, for
 * the next large frame. Shared by the endpoint and the GBytes of the
 * frames it read, which may outlive it and be dropped in any thread. */
typedef struct
{
  gint     ref_count;
  GMutex   mutex;
  guint8  *spare;
  gsize    spare_size;
  gboolean closed;
} BufferPool;

typedef struct
{
  BufferPool *pool;
  guint8     *data;
  gsize       capacity;
} PooledBuffer;

static BufferPool *
buffer_pool_ref (BufferPool *pool)
{
  g_atomic_int_inc (&pool->ref_count);
  return pool;
}

static void
buffer_pool_unref (BufferPool *pool)
{
  if (!g_atomic_int_dec_and_test (&pool->ref_count))
    return;
  g_free (pool->spare);
  g_mutex_clear (&pool->mutex);
  g_free (pool);
}

/* The endpoint is gone: no buffer is kept any more */
static void
buffer_pool_close (BufferPool *pool)
{
  guint8 *spare;

  g_mutex_lock (&pool->mutex);
  pool->closed = TRUE;
  spare = g_steal_pointer (&pool->spare);
  g_mutex_unlock (&pool->mutex);
  g_free (spare);
  buffer_pool_unref (pool);
}

/* A buffer of at least @size bytes; sets @capacity to its size */
static guint8 *
buffer_pool_take (BufferPool *pool,
                  gsize       size,
                  gsize      *capacity)
{
  guint8 *data = NULL;

  g_mutex_lock (&pool->mutex);
  if (pool->spare != NULL && pool->spare_size >= size)
    {
      data = g_steal_pointer (&pool->spare);
      *capacity = pool->spare_size;
    }
  g_mutex_unlock (&pool->mutex);

  if (data == NULL)
    {
      data = g_malloc (size);
      *capacity = size;
    }

  return data;
}

/* The value that used a frame's buffer is dropped: keep the buffer (the
 * largest one) for the next frame */
static void
pooled_buffer_release (gpointer user_data)
{
  PooledBuffer *buffer = user_data;
  BufferPool   *pool = buffer->pool;
  guint8       *unused = buffer->data;

  g_mutex_lock (&pool->mutex);
  if (!pool->closed && (pool->spare == NULL || pool->spare_size < buffer->capacity))
    {
      unused = pool->spare;
      pool->spare = buffer->data;
      pool->spare_size = buffer->capacity;
    }
  g_mutex_unlock (&pool->mutex);

  g_free (unused);
  buffer_pool_unref (pool);
  g_free (buffer);
}

/* A frame in the outgoing buffer that carries file descriptors */
typedef struct
{
  gsize        offset;
  GUnixFDList *fds;
} FdMark;

static void
fd_mark_clear (FdMark *mark)
{
  g_clear_object (&mark->fds);
}


struct _ComlinkStreamEndpoint
{
  ComlinkEndpoint parent_instance;

  GIOStream    *stream;
  GCancellable *cancellable;
  /* A Unix socket: reads and writes go through it, with descriptors */
  GSocket *socket;
  GSource *read_source;
  GSource *write_source;
  GArray  *in_fds;       /* descriptors received and not claimed yet */
  GArray  *body_fds;     /* those of the large frame being read */
  GQueue   ready;        /* of ComlinkQueuedMessage: checked, not delivered yet */
  gsize    write_offset; /* in the batch being written */
  guint    write_mark;   /* the first of its FdMarks not sent yet */

  /* The read side, in the endpoint's context */
  guint8     *in; /* bytes read and not parsed yet */
  gsize       in_len;
  gsize       in_size;
  guint8     *body; /* a large frame, read in place */
  gsize       body_size;
  gsize       body_have;
  gsize       body_capacity; /* of a body from the pool, else 0 */
  BufferPool *pool;
  guint64     n_frames;       /* frames read whole so far */
  guint64     deadline_frame; /* the frame that frame_deadline is for */
  GSource    *frame_deadline; /* closes the endpoint if a begun frame stalls */
  GSource    *deliver_source; /* delivers ready frames in a nested main loop */
  guint       deadline_seconds;

  /* Backpressure, in the endpoint's context: while paused, nothing is
   * read or delivered */
  GSource *resume_source;
  gboolean paused;
  gboolean read_wanted; /* a read is due when it resumes */

  GMutex mutex;
  /* Protected by mutex */
  GByteArray *outgoing;
  GArray     *outgoing_marks; /* of FdMark, at offsets of the whole batch */
  GArray     *outgoing_refs;  /* of ComlinkWireRef: parts not copied */
  gssize      outgoing_extra; /* their bytes, less the padding not sent */
  GByteArray *writing;
  GArray     *writing_marks;
  GArray     *writing_refs;
  gssize      writing_extra;
  GSource    *flush_source;
  guint64     max_message_size;
  guint64     max_message_elements;
  guint64     memfd_threshold;
  guint64     read_timeout;
};

G_DEFINE_FINAL_TYPE (ComlinkStreamEndpoint, comlink_stream_endpoint, COMLINK_TYPE_ENDPOINT)

enum
{
  PROP_0,
  PROP_STREAM,
  PROP_MAX_MESSAGE_SIZE,
  PROP_MAX_MESSAGE_ELEMENTS,
  PROP_MEMFD_THRESHOLD,
  PROP_READ_TIMEOUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void     read_more (ComlinkStreamEndpoint *self);
static void     flush_early (ComlinkStreamEndpoint *self);
static void     schedule_delivery (ComlinkStreamEndpoint *self);
static void     go_on_reading (ComlinkStreamEndpoint *self);
static void     written (ComlinkStreamEndpoint *self);
static gboolean comlink_stream_endpoint_sends_as_memfd (ComlinkEndpoint *endpoint,
                                                        GBytes          *bytes);
static gsize    comlink_stream_endpoint_get_queued_bytes (ComlinkEndpoint *endpoint);
static void     comlink_stream_endpoint_set_paused (ComlinkEndpoint *endpoint,
                                                    gboolean         paused);

/* The size properties are read and written from any thread */
static guint64
get_locked (ComlinkStreamEndpoint *self,
            const guint64         *field)
{
  guint64 ret;

  g_mutex_lock (&self->mutex);
  ret = *field;
  g_mutex_unlock (&self->mutex);

  return ret;
}

static void
set_locked (ComlinkStreamEndpoint *self,
            guint64               *field,
            guint64                value,
            guint                  prop_id)
{
  gboolean changed;

  g_mutex_lock (&self->mutex);
  changed = *field != value;
  *field = value;
  g_mutex_unlock (&self->mutex);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}
static void flush (ComlinkStreamEndpoint *self);

static void
fail (ComlinkStreamEndpoint *self,
      GError                *error)
{
  comlink_endpoint_close_with_error ((ComlinkEndpoint *) self, error);
  g_error_free (error);
}

/* Handles the end of an asynchronous read; returns FALSE if it failed or
 * the endpoint closed meanwhile */
static gboolean
read_ok (ComlinkStreamEndpoint *self,
         GError                *error)
{
  if (error != NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
          _comlink_endpoint_closed ((ComlinkEndpoint *) self))
        g_error_free (error);
      else
        {
          /* Translators: this is put before another error message */
          g_prefix_error (&error, _ ("Reading from the stream failed: "));
          fail (self, error);
        }
      return FALSE;
    }

  return !_comlink_endpoint_closed ((ComlinkEndpoint *) self);
}

static void
close_fds (GArray *fds)
{
  for (guint i = 0; fds != NULL && i < fds->len; i++)
    close (g_array_index (fds, gint, i));
  if (fds != NULL)
    g_array_set_size (fds, 0);
}

/* Moves the first @n received descriptors to @to */
static gboolean
take_fds (ComlinkStreamEndpoint *self,
          guint32                n,
          GArray                *to)
{
  if (self->in_fds == NULL || self->in_fds->len < n)
    {
      fail (self, g_error_new_literal (COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                                       _ ("A message announces file descriptors that did not come")));
      return FALSE;
    }

  g_array_append_vals (to, self->in_fds->data, n);
  g_array_remove_range (self->in_fds, 0, n);
  return TRUE;
}

/* Checks one frame and queues it for delivery; takes @data, which is
 * aligned as g_malloc() aligns, and which goes back to the pool once
 * nothing uses it if @capacity is not 0. Returns FALSE if the endpoint
 * closed. */
static gboolean
queue_frame (ComlinkStreamEndpoint *self,
             guint8                *data,
             gsize                  size,
             gsize                  capacity,
             GArray                *fds)
{
  ComlinkQueuedMessage *queued;
  GDestroyNotify        free_func = g_free;
  gpointer              owner = data;
  GError               *error = NULL;

  if (capacity > 0)
    {
      PooledBuffer *buffer = g_new (PooledBuffer, 1);

      buffer->pool = buffer_pool_ref (self->pool);
      buffer->data = data;
      buffer->capacity = capacity;
      free_func = pooled_buffer_release;
      owner = buffer;
    }

  /* Checked in one pass, linear in its size; then read in place, and
   * GLib may trust the body and read each child in constant time */
  if (!_comlink_wire_check_serialised (data, size, get_locked (self, &self->max_message_elements), &error))
    {
      free_func (owner);
      close_fds (fds);
      fail (self, error);
      return FALSE;
    }

  queued = _comlink_queued_message_new (NULL);
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      g_autoptr(GBytes) bytes = g_bytes_new_with_free_func (data, size, free_func, owner);
      g_autoptr(GVariant) boxed = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARIANT, bytes, TRUE));
      g_autoptr(GVariant) swapped = g_variant_byteswap (boxed);

      queued->variant = g_variant_get_variant (swapped);
    }
  else
    /* A frame that is not a message is the receiver's to refuse, in
     * order, after what the stream itself checks */
    _comlink_message_read (data, size, free_func, owner, &queued->message, &queued->error);

  self->n_frames++;
  if (fds != NULL && fds->len > 0)
    {
      queued->fds = g_unix_fd_list_new_from_array ((gint *) (gpointer) fds->data, fds->len);
      g_array_set_size (fds, 0);
    }
  _comlink_queued_message_push (&self->ready, queued);

  return TRUE;
}

static void
clear_frame_deadline (ComlinkStreamEndpoint *self)
{
  if (self->frame_deadline != NULL)
    {
      g_source_destroy (self->frame_deadline);
      g_clear_pointer (&self->frame_deadline, g_source_unref);
    }
}

static gboolean
on_frame_deadline (gpointer user_data)
{
  ComlinkStreamEndpoint *self = user_data;
  guint                  seconds = self->deadline_seconds;

  g_clear_pointer (&self->frame_deadline, g_source_unref);
  fail (self, g_error_new (COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                           g_dngettext (GETTEXT_PACKAGE,
                                        "A message was not completed within %u second",
                                        "A message was not completed within %u seconds",
                                        seconds),
                           seconds));

  return G_SOURCE_REMOVE;
}

/* A frame that has begun must end within the read timeout of its first
 * byte, or a peer could keep the calls waiting forever: a deadline runs
 * while one is incomplete, and starts again with the next frame. */
static void
watch_partial_frame (ComlinkStreamEndpoint *self)
{
  gboolean partial = self->in_len > 0 || self->body != NULL;
  guint64  timeout;

  if (self->frame_deadline != NULL && (!partial || self->deadline_frame != self->n_frames))
    clear_frame_deadline (self);
  if (!partial || self->frame_deadline != NULL)
    return;

  timeout = get_locked (self, &self->read_timeout);
  if (timeout == 0)
    return;

  self->deadline_frame = self->n_frames;
  self->deadline_seconds = (guint) timeout;
  self->frame_deadline = g_timeout_source_new ((guint) timeout * 1000);
  g_source_set_static_name (self->frame_deadline, "[comlink] stream read timeout");
  g_source_set_callback (self->frame_deadline, on_frame_deadline, self, NULL);
  g_source_attach (self->frame_deadline, _comlink_endpoint_peek_context ((ComlinkEndpoint *) self));
}

/* Delivers the queued messages in order. A receiver may run a nested main
 * loop (a _sync call made while serving a request): the reading goes on
 * in it, and delivers the messages that come after this one there. */
static void
deliver_ready (ComlinkStreamEndpoint *self)
{
  ComlinkQueuedMessage *frame;

  g_object_ref (self);
  while (!_comlink_endpoint_closed ((ComlinkEndpoint *) self) && !self->paused &&
         (frame = _comlink_queued_message_pop (&self->ready)) != NULL)
    {
      /* The receiver may run a nested main loop: the frames read already
       * are delivered there, not only when more bytes come */
      if (!g_queue_is_empty (&self->ready))
        schedule_delivery (self);
      _comlink_queued_message_deliver (frame, (ComlinkEndpoint *) self);
      _comlink_queued_message_free (frame);
      flush_early (self);
    }
  /* No receiver needed the delivery in a nested loop */
  if (g_queue_is_empty (&self->ready) && self->deliver_source != NULL)
    {
      g_source_destroy (self->deliver_source);
      g_clear_pointer (&self->deliver_source, g_source_unref);
    }
  g_object_unref (self);
}

/* The answers of a long batch go out while the rest is handled, rather
 * than when the whole batch is done: both sides work at once */
static void
flush_early (ComlinkStreamEndpoint *self)
{
  gboolean now;

  g_mutex_lock (&self->mutex);
  now = self->writing == NULL && self->outgoing->len + self->outgoing_extra >= FLUSH_EARLY;
  g_mutex_unlock (&self->mutex);

  if (now)
    flush (self);
}

static gboolean
deliver_cb (gpointer user_data)
{
  ComlinkStreamEndpoint *self = user_data;

  g_clear_pointer (&self->deliver_source, g_source_unref);
  deliver_ready (self);

  return G_SOURCE_REMOVE;
}

static void
schedule_delivery (ComlinkStreamEndpoint *self)
{
  if (self->deliver_source != NULL)
    return;

  self->deliver_source = g_idle_source_new ();
  g_source_set_priority (self->deliver_source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (self->deliver_source, "[comlink] stream deliver");
  g_source_set_callback (self->deliver_source, deliver_cb, g_object_ref (self), g_object_unref);
  g_source_attach (self->deliver_source, _comlink_endpoint_peek_context ((ComlinkEndpoint *) self));
}

/* Queues the complete frames in the read buffer, in order. A large
 * frame that is not complete yet goes on in a buffer of its own. Returns
 * FALSE if the endpoint closed. */
static gboolean
parse_frames (ComlinkStreamEndpoint *self)
{
  gsize   offset = 0;
  guint64 max = get_locked (self, &self->max_message_size);

  while (self->in_len - offset >= HEADER_SIZE)
    {
      gsize    header_size = HEADER_SIZE;
      gsize    available;
      guint32  size;
      guint32  n_fds = 0;
      gboolean has_fds;

      memcpy (&size, self->in + offset, sizeof size);
      size = GUINT32_FROM_LE (size);
      has_fds = (size & HAS_FDS) != 0;
      size &= ~HAS_FDS;
      if (size == 0 || size > max)
        {
          fail (self, g_error_new (COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                                   g_dngettext (GETTEXT_PACKAGE,
                                                "A message of %u byte (the limit is %llu)",
                                                "A message of %u bytes (the limit is %llu)",
                                                size),
                                   size, (unsigned long long) max));
          return FALSE;
        }
      if (has_fds)
        {
          if (self->socket == NULL)
            {
              fail (self, g_error_new_literal (COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                                               _ ("File descriptors announced on a stream that cannot carry them")));
              return FALSE;
            }
          if (self->in_len - offset < FDS_HEADER_SIZE)
            break;
          memcpy (&n_fds, self->in + offset + HEADER_SIZE, sizeof n_fds);
          n_fds = GUINT32_FROM_LE (n_fds);
          header_size = FDS_HEADER_SIZE;
        }

      available = self->in_len - offset - header_size;
      if (available < size && size <= READ_CHUNK)
        break;

      if (n_fds > 0 && !take_fds (self, n_fds, self->body_fds))
        return FALSE;

      if (available < size)
        {
          if (size >= REUSE_MIN)
            self->body = buffer_pool_take (self->pool, size, &self->body_capacity);
          else
            {
              self->body = g_malloc (size);
              self->body_capacity = 0;
            }
          self->body_size = size;
          self->body_have = available;
          memcpy (self->body, self->in + offset + header_size, available);
          offset = self->in_len;
          break;
        }

      offset += header_size + size;
      if (!queue_frame (self, g_memdup2 (self->in + offset - size, size), size, 0, self->body_fds))
        return FALSE;
    }

  memmove (self->in, self->in + offset, self->in_len - offset);
  self->in_len -= offset;

  /* Descriptors come with the first byte of their frame: with no frame
   * begun, any left over came with none */
  if (self->in_len == 0 && self->body == NULL && self->in_fds != NULL && self->in_fds->len > 0)
    {
      fail (self, g_error_new_literal (COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                                       _ ("A file descriptor where none is expected")));
      return FALSE;
    }

  return TRUE;
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  ComlinkStreamEndpoint *self = user_data;
  GError                *error = NULL;
  gssize                 n_read = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (read_ok (self, error))
    {
      if (n_read == 0)
        fail (self, self->in_len > 0
                      ? g_error_new_literal (COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                                             _ ("The stream ended in the middle of a message"))
                      : g_error_new_literal (COMLINK_ERROR, COMLINK_ERROR_CLOSED,
                                             _ ("The peer closed the stream")));
      else
        {
          self->in_len += n_read;
          if (parse_frames (self))
            {
              watch_partial_frame (self);
              go_on_reading (self);
              deliver_ready (self);
            }
        }
    }

  g_object_unref (self);
}

static void
on_body_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  ComlinkStreamEndpoint *self = user_data;
  GError                *error = NULL;
  gsize                  n_read = 0;

  g_input_stream_read_all_finish (G_INPUT_STREAM (source), result, &n_read, &error);
  if (!read_ok (self, error))
    g_clear_pointer (&self->body, g_free);
  else if (self->body_have + n_read < self->body_size)
    {
      g_clear_pointer (&self->body, g_free);
      fail (self, g_error_new_literal (COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                                       _ ("The stream ended in the middle of a message")));
    }
  else if (queue_frame (self, g_steal_pointer (&self->body), self->body_size, self->body_capacity, self->body_fds))
    {
      watch_partial_frame (self);
      go_on_reading (self);
      deliver_ready (self);
    }

  g_object_unref (self);
}

/* Over a Unix socket: one receive each time the socket is readable, into
 * the read buffer or the large frame, keeping the descriptors that come */
static gboolean
on_socket_readable (GSocket     *socket,
                    GIOCondition condition,
                    gpointer     user_data)
{
  ComlinkStreamEndpoint  *self = user_data;
  GSocketControlMessage **messages = NULL;
  GInputVector            vector;
  GError                 *error = NULL;
  gssize                  n_read;
  gint                    n_messages = 0;
  gint                    flags = 0;

  if (_comlink_endpoint_closed ((ComlinkEndpoint *) self))
    return G_SOURCE_REMOVE;

  if (self->body != NULL)
    {
      vector.buffer = self->body + self->body_have;
      vector.size = self->body_size - self->body_have;
    }
  else
    {
      if (self->in_size - self->in_len < READ_CHUNK)
        {
          self->in_size = self->in_len + READ_CHUNK;
          self->in = g_realloc (self->in, self->in_size);
        }
      vector.buffer = self->in + self->in_len;
      vector.size = self->in_size - self->in_len;
    }

  n_read = g_socket_receive_message (socket, NULL, &vector, 1, &messages, &n_messages,
                                     &flags, self->cancellable, &error);

  for (gint i = 0; i < n_messages; i++)
    {
      if (G_IS_UNIX_FD_MESSAGE (messages[i]))
        {
          gint  n_fds = 0;
          gint *fds = g_unix_fd_message_steal_fds (G_UNIX_FD_MESSAGE (messages[i]), &n_fds);

          g_array_append_vals (self->in_fds, fds, n_fds);
          g_free (fds);
        }
      g_object_unref (messages[i]);
    }
  g_free (messages);

  if (n_read < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    {
      g_error_free (error);
      return G_SOURCE_CONTINUE;
    }

  if (!read_ok (self, error))
    return G_SOURCE_REMOVE;

  if ((flags & MSG_CTRUNC) != 0)
    {
      fail (self, g_error_new_literal (COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                                       _ ("More file descriptors than can be received at once")));
      return G_SOURCE_REMOVE;
    }

  if (n_read == 0)
    {
      fail (self, self->in_len > 0 || self->body != NULL
                    ? g_error_new_literal (COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                                           _ ("The stream ended in the middle of a message"))
                    : g_error_new_literal (COMLINK_ERROR, COMLINK_ERROR_CLOSED,
                                           _ ("The peer closed the stream")));
      return G_SOURCE_REMOVE;
    }

  if (self->body != NULL)
    {
      self->body_have += n_read;
      if (self->body_have < self->body_size)
        return G_SOURCE_CONTINUE;
      if (!queue_frame (self, g_steal_pointer (&self->body), self->body_size, self->body_capacity, self->body_fds))
        return G_SOURCE_REMOVE;
      /* Descriptors that came with the end of the frame */
      if (self->in_fds->len > 0 && !parse_frames (self))
        return G_SOURCE_REMOVE;
    }
  else
    {
      self->in_len += n_read;
      if (!parse_frames (self))
        return G_SOURCE_REMOVE;
    }

  watch_partial_frame (self);
  deliver_ready (self);

  return G_SOURCE_CONTINUE;
}

/* Reads whatever is there, up to a chunk; a large frame is read whole, in
 * place */
static void
read_more (ComlinkStreamEndpoint *self)
{
  GInputStream *in;

  if (self->socket != NULL)
    {
      if (self->read_source == NULL)
        {
          self->read_source = g_socket_create_source (self->socket, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                                      self->cancellable);
          g_source_set_static_name (self->read_source, "[comlink] stream read");
          /* A receiver's nested main loop must go on reading */
          g_source_set_can_recurse (self->read_source, TRUE);
          g_source_set_callback (self->read_source, G_SOURCE_FUNC (on_socket_readable),
                                 g_object_ref (self), g_object_unref);
          g_source_attach (self->read_source, _comlink_endpoint_peek_context ((ComlinkEndpoint *) self));
        }
      return;
    }

  in = g_io_stream_get_input_stream (self->stream);

  if (self->body != NULL)
    {
      g_input_stream_read_all_async (in, self->body + self->body_have,
                                     self->body_size - self->body_have,
                                     G_PRIORITY_DEFAULT, self->cancellable,
                                     on_body_read, g_object_ref (self));
      return;
    }

  if (self->in_size - self->in_len < READ_CHUNK)
    {
      self->in_size = self->in_len + READ_CHUNK;
      self->in = g_realloc (self->in, self->in_size);
    }

  g_input_stream_read_async (in, self->in + self->in_len, self->in_size - self->in_len,
                             G_PRIORITY_DEFAULT, self->cancellable, on_read, g_object_ref (self));
}

static void
on_written (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  ComlinkStreamEndpoint *self = user_data;
  GError                *error = NULL;
  gboolean               more;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);

  g_mutex_lock (&self->mutex);
  g_clear_pointer (&self->writing, g_byte_array_unref);
  more = self->outgoing->len + self->outgoing_extra > 0;
  g_mutex_unlock (&self->mutex);

  if (error != NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
          _comlink_endpoint_closed ((ComlinkEndpoint *) self))
        g_error_free (error);
      else
        {
          /* Translators: this is put before another error message */
          g_prefix_error (&error, _ ("Writing to the stream failed: "));
          fail (self, error);
        }
    }
  else
    {
      if (more)
        flush (self);
      written (self);
    }

  g_object_unref (self);
}

static void socket_write (ComlinkStreamEndpoint *self);

static gboolean
on_socket_writable (GSocket     *socket,
                    GIOCondition condition,
                    gpointer     user_data)
{
  ComlinkStreamEndpoint *self = user_data;

  g_clear_pointer (&self->write_source, g_source_unref);
  socket_write (self);

  return G_SOURCE_REMOVE;
}

/* Over a Unix socket: sends the batch being written from where it got to,
 * each frame with descriptors by a send of its own that begins with it,
 * until the socket would block. In the endpoint's context. */
/* The vectors of bytes @from to @to of a batch: its buffer, with the parts
 * that were not copied where they belong. Returns how many it filled. */
static guint
batch_vectors (GByteArray    *buffer,
               GArray        *refs,
               gsize          from,
               gsize          to,
               GOutputVector *vectors)
{
  guint n = 0;
  gsize at = 0;   /* in the batch */
  gsize read = 0; /* in the buffer */

  for (guint i = 0; i <= refs->len && at < to && n < MAX_VECTORS; i++)
    {
      gsize         piece_end = i < refs->len ? g_array_index (refs, ComlinkWireRef, i).position : buffer->len;
      gsize         sizes[2] = { piece_end - read, 0 };
      const guint8 *pieces[2] = { sizes[0] > 0 ? buffer->data + read : NULL, NULL };

      if (i < refs->len && g_array_index (refs, ComlinkWireRef, i).bytes != NULL)
        pieces[1] = g_bytes_get_data (g_array_index (refs, ComlinkWireRef, i).bytes, &sizes[1]);
      read = piece_end + (i < refs->len ? g_array_index (refs, ComlinkWireRef, i).skip : 0);

      for (guint k = 0; k < 2 && n < MAX_VECTORS; k++)
        {
          gsize start = MAX (from, at);
          gsize end = MIN (to, at + sizes[k]);

          if (start < end)
            {
              vectors[n].buffer = pieces[k] + (start - at);
              vectors[n].size = end - start;
              n++;
            }
          at += sizes[k];
        }
    }

  return n;
}

/* Over a Unix socket: sends the batch being written from where it got to,
 * each frame with descriptors by a send of its own that begins with it,
 * until the socket would block. In the endpoint's context. */
static void
socket_write (ComlinkStreamEndpoint *self)
{
  gsize    length = (gsize) ((gssize) self->writing->len + self->writing_extra);
  gboolean more;

  while (self->write_offset < length)
    {
      GSocketControlMessage *control = NULL;
      GOutputVector          vectors[MAX_VECTORS];
      GError                *error = NULL;
      gsize                  end = length;
      gssize                 n_written;
      guint                  n_vectors;
      guint                  next = self->write_mark;

      /* A frame with descriptors begins a send of its own, which ends
       * before the next such frame */
      if (next < self->writing_marks->len &&
          g_array_index (self->writing_marks, FdMark, next).offset == self->write_offset)
        control = g_unix_fd_message_new_with_fd_list (g_array_index (self->writing_marks, FdMark, next++).fds);
      if (next < self->writing_marks->len)
        end = g_array_index (self->writing_marks, FdMark, next).offset;

      n_vectors = batch_vectors (self->writing, self->writing_refs, self->write_offset, end, vectors);
      n_written = g_socket_send_message (self->socket, NULL, vectors, n_vectors,
                                         control ? &control : NULL, control ? 1 : 0,
                                         G_SOCKET_MSG_NONE, self->cancellable, &error);
      g_clear_object (&control);

      if (n_written < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_error_free (error);
          self->write_source = g_socket_create_source (self->socket, G_IO_OUT, self->cancellable);
          g_source_set_static_name (self->write_source, "[comlink] stream write");
          /* Else GLib 2.74 takes the fd out of the poll set and puts it
           * back around every dispatch, waking the context each time:
           * three writes of its eventfd per wait for room in the socket */
          g_source_set_can_recurse (self->write_source, TRUE);
          g_source_set_callback (self->write_source, G_SOURCE_FUNC (on_socket_writable),
                                 g_object_ref (self), g_object_unref);
          g_source_attach (self->write_source, _comlink_endpoint_peek_context ((ComlinkEndpoint *) self));
          return;
        }

      if (n_written < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
              _comlink_endpoint_closed ((ComlinkEndpoint *) self))
            g_error_free (error);
          else
            {
              /* Translators: this is put before another error message */
              g_prefix_error (&error, _ ("Writing to the stream failed: "));
              fail (self, error);
            }
          return;
        }

      /* The descriptors went with the first byte: the rest of their frame,
       * if it went only in part, goes on without them */
      self->write_mark = next;
      self->write_offset += n_written;
    }

  g_mutex_lock (&self->mutex);
  g_clear_pointer (&self->writing, g_byte_array_unref);
  g_array_set_size (self->writing_marks, 0);
  g_array_set_size (self->writing_refs, 0);
  self->writing_extra = 0;
  self->write_offset = 0;
  self->write_mark = 0;
  more = self->outgoing->len + self->outgoing_extra > 0;
  g_mutex_unlock (&self->mutex);

  if (more)
    flush (self);
  written (self);
}

/* Writes all that is pending in one asynchronous write. In the endpoint's
 * context. */
static void
flush (ComlinkStreamEndpoint *self)
{
  GByteArray *batch;
  GArray     *swap;

  if (_comlink_endpoint_closed ((ComlinkEndpoint *) self))
    return;

  g_mutex_lock (&self->mutex);
  if (self->writing != NULL || self->outgoing->len + self->outgoing_extra == 0)
    {
      g_mutex_unlock (&self->mutex);
      return;
    }
  batch = self->writing = self->outgoing;
  self->outgoing = g_byte_array_new ();
  swap = self->outgoing_marks;
  self->outgoing_marks = self->writing_marks;
  self->writing_marks = swap;
  swap = self->outgoing_refs;
  self->outgoing_refs = self->writing_refs;
  self->writing_refs = swap;
  self->writing_extra = self->outgoing_extra;
  self->outgoing_extra = 0;
  g_mutex_unlock (&self->mutex);

  if (self->socket != NULL)
    {
      socket_write (self);
      return;
    }

  g_output_stream_write_all_async (g_io_stream_get_output_stream (self->stream),
                                   batch->data, batch->len, G_PRIORITY_DEFAULT,
                                   self->cancellable, on_written, g_object_ref (self));
}

static gboolean
flush_cb (gpointer user_data)
{
  ComlinkStreamEndpoint *self = user_data;

  g_mutex_lock (&self->mutex);
  g_clear_pointer (&self->flush_source, g_source_unref);
  g_mutex_unlock (&self->mutex);

  flush (self);

  return G_SOURCE_REMOVE;
}

/* Called with the mutex held */
static void
schedule_flush_locked (ComlinkStreamEndpoint *self)
{
  GMainContext *context = _comlink_endpoint_peek_context ((ComlinkEndpoint *) self);

  if (context == NULL || self->flush_source != NULL || self->writing != NULL)
    return;

  self->flush_source = g_idle_source_new ();
  g_source_set_priority (self->flush_source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (self->flush_source, "[comlink] stream flush");
  g_source_set_callback (self->flush_source, flush_cb, g_object_ref (self), g_object_unref);
  g_source_attach (self->flush_source, context);
}

/* Counts the references the wire layer appended from @first on: the bytes
 * that will be sent from elsewhere, less the gaps that will not be sent.
 * Called with the mutex held. */
static void
add_refs_locked (ComlinkStreamEndpoint *self,
                 guint                  first)
{
  for (guint i = first; i < self->outgoing_refs->len; i++)
    {
      ComlinkWireRef *ref = &g_array_index (self->outgoing_refs, ComlinkWireRef, i);

      if (ref->bytes != NULL)
        self->outgoing_extra += g_bytes_get_size (ref->bytes);
      self->outgoing_extra -= ref->skip;
    }
}

/* The kernel takes at most MAX_FDS descriptors in one send */
static gboolean
fds_fit (GUnixFDList *fd_list,
         GError     **error)
{
  if (fd_list != NULL && g_unix_fd_list_get_length (fd_list) > MAX_FDS)
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_LIMIT_EXCEEDED,
                   g_dngettext (GETTEXT_PACKAGE,
                                "A message with %d file descriptor (the limit is %d)",
                                "A message with %d file descriptors (the limit is %d)",
                                g_unix_fd_list_get_length (fd_list)),
                   g_unix_fd_list_get_length (fd_list), MAX_FDS);
      return FALSE;
    }
  return TRUE;
}

static void
set_too_large_error (GError **error,
                     gsize    size,
                     guint64  max)
{
  g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_LIMIT_EXCEEDED,
               g_dngettext (GETTEXT_PACKAGE,
                            "A message of %llu byte is larger than the limit of %llu",
                            "A message of %llu bytes is larger than the limit of %llu",
                            size),
               (unsigned long long) size, (unsigned long long) max);
}

/* Appends a frame of the @size bytes at @data, with @fds, to what waits
 * to be written, copied: the frames of a stream that is not a socket, or
 * of a big-endian machine, byte-swapped already. Called with the mutex
 * held. */
static void
append_frame_locked (ComlinkStreamEndpoint *self,
                     guint32                size,
                     const guint8          *data,
                     GUnixFDList           *fds)
{
  guint8 header[FDS_HEADER_SIZE];
  gsize  header_size = HEADER_SIZE;
  gsize  offset = self->outgoing->len;

  if (fds != NULL)
    {
      FdMark  mark = { (gsize) ((gssize) offset + self->outgoing_extra), g_object_ref (fds) };
      guint32 n_fds = GUINT32_TO_LE ((guint32) g_unix_fd_list_get_length (fds));
      guint32 word = GUINT32_TO_LE (size | HAS_FDS);

      memcpy (header, &word, HEADER_SIZE);
      memcpy (header + HEADER_SIZE, &n_fds, sizeof n_fds);
      header_size = FDS_HEADER_SIZE;
      g_array_append_val (self->outgoing_marks, mark);
    }
  else
    {
      guint32 word = GUINT32_TO_LE (size);

      memcpy (header, &word, HEADER_SIZE);
    }

  g_byte_array_set_size (self->outgoing, offset + header_size + size);
  memcpy (self->outgoing->data + offset, header, header_size);
  memcpy (self->outgoing->data + offset + header_size, data, size);
}

/* Writes one frame without descriptors with one non-blocking send, if the
 * socket takes it; returns how many bytes went, header included. Errors
 * are left to the flush, which reports them. Called with the mutex held,
 * while no other write runs. */
static gsize
send_direct (ComlinkStreamEndpoint *self,
             guint32                size,
             const guint8          *data)
{
  guint32       header = GUINT32_TO_LE (size);
  GOutputVector vectors[2] = { { &header, HEADER_SIZE }, { data, size } };
  gssize        n;

  n = g_socket_send_message (self->socket, NULL, vectors, 2, NULL, 0,
                             G_SOCKET_MSG_NONE, NULL, NULL);
  return n > 0 ? (gsize) n : 0;
}

typedef gsize (*FrameWriter) (gconstpointer source,
                              GByteArray   *buffer,
                              GArray       *refs);

static gsize    write_boxed (gconstpointer source,
                             GByteArray   *buffer,
                             GArray       *refs);
static gboolean queue_written (ComlinkStreamEndpoint *self,
                               FrameWriter            write,
                               gconstpointer          source,
                               GUnixFDList           *fd_list,
                               GError               **error);

static gboolean
comlink_stream_endpoint_send (ComlinkEndpoint *endpoint,
                              GVariant        *message,
                              GUnixFDList     *fd_list,
                              GError         **error)
{
  ComlinkStreamEndpoint *self = (ComlinkStreamEndpoint *) endpoint;
  g_autoptr(GVariant) boxed = g_variant_ref_sink (g_variant_new_variant (message));
  gsize size;

  /* On a socket, as a message of the connection: written in place */
  if (G_BYTE_ORDER == G_LITTLE_ENDIAN && self->socket != NULL)
    return queue_written (self, write_boxed, boxed, fd_list, error);

  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (boxed);

      g_variant_unref (boxed);
      boxed = swapped;
    }
  size = g_variant_get_size (boxed);

  if (!fds_fit (fd_list, error))
    return FALSE;

  g_mutex_lock (&self->mutex);
  if (size > self->max_message_size)
    {
      set_too_large_error (error, size, self->max_message_size);
      g_mutex_unlock (&self->mutex);
      return FALSE;
    }

  /* Other streams take one piece of memory: the frame is copied */
  append_frame_locked (self, (guint32) size, g_variant_get_data (boxed), fd_list);
  schedule_flush_locked (self);
  g_mutex_unlock (&self->mutex);

  return TRUE;
}

/* Drops the first @n bytes of what waits to be written: a frame sent in
 * part by a direct send. The rest is copied, gaps left out. Called with
 * the mutex held, with one frame of no references waiting. */
static void
drop_sent_locked (ComlinkStreamEndpoint *self,
                  gsize                  n)
{
  GByteArray *rest = g_byte_array_new ();
  gsize       position = 0;

  for (guint i = 0; i <= self->outgoing_refs->len; i++)
    {
      ComlinkWireRef *gap = i < self->outgoing_refs->len ? &g_array_index (self->outgoing_refs, ComlinkWireRef, i) : NULL;
      gsize           end = gap != NULL ? gap->position : self->outgoing->len;

      g_assert (gap == NULL || gap->bytes == NULL);
      g_byte_array_append (rest, self->outgoing->data + position, end - position);
      if (gap != NULL)
        position = gap->position + gap->skip;
    }
  g_byte_array_set_size (self->outgoing, 0);
  g_byte_array_append (self->outgoing, rest->data + n, rest->len - n);
  g_byte_array_unref (rest);
  g_array_set_size (self->outgoing_refs, 0);
  self->outgoing_extra = 0;
}

/* The writers of queue_written (): what they write of @source at the end
 * of @buffer, the size of the frame's content */
static gsize
write_outgoing (gconstpointer source,
                GByteArray   *buffer,
                GArray       *refs)
{
  return _comlink_wire_write_message (source, buffer, refs, REF_THRESHOLD);
}

static gsize
write_boxed (gconstpointer source,
             GByteArray   *buffer,
             GArray       *refs)
{
  GVariant *boxed = (GVariant *) source;

  _comlink_wire_write (boxed, buffer, refs, REF_THRESHOLD);
  return g_variant_get_size (boxed);
}

/* Writes what @write makes of @source as a frame straight into the
 * outgoing buffer of a socket, little-endian, its large byte arrays sent
 * from where they are. Both a message of the connection and a GVariant
 * message (comlink_endpoint_send ()) go this way: one write path for
 * every socket. */
static gboolean
queue_written (ComlinkStreamEndpoint *self,
               FrameWriter            write,
               gconstpointer          source,
               GUnixFDList           *fd_list,
               GError               **error)
{
  ComlinkWireRef gap = { 0, NULL, 0 };
  gsize          header_size = fd_list != NULL ? FDS_HEADER_SIZE : HEADER_SIZE;
  gsize          start;
  guint          first_ref;
  gssize         start_extra;
  gboolean       direct;
  gsize          size;

  if (!fds_fit (fd_list, error))
    return FALSE;

  g_mutex_lock (&self->mutex);
  direct = fd_list == NULL && self->writing == NULL && self->outgoing->len + self->outgoing_extra == 0 &&
           self->flush_source == NULL && !_comlink_endpoint_closed ((ComlinkEndpoint *) self);
  start = self->outgoing->len;
  start_extra = self->outgoing_extra;

  /* The header, filled in once the size is known; then padding that is
   * not sent, so that the frame is aligned in memory as GVariant writes
   * it in place */
  g_byte_array_set_size (self->outgoing, start + header_size);
  gap.position = self->outgoing->len;
  gap.skip = (8 - (gap.position & 7)) & 7;
  if (gap.skip > 0)
    {
      g_byte_array_set_size (self->outgoing, gap.position + gap.skip);
      g_array_append_val (self->outgoing_refs, gap);
      self->outgoing_extra -= gap.skip;
    }
  first_ref = self->outgoing_refs->len;
  size = write (source, self->outgoing, self->outgoing_refs);

  if (size > self->max_message_size)
    {
      for (guint i = first_ref - (gap.skip > 0 ? 1 : 0); i < self->outgoing_refs->len; i++)
        _comlink_wire_ref_clear (&g_array_index (self->outgoing_refs, ComlinkWireRef, i));
      g_array_set_size (self->outgoing_refs, first_ref - (gap.skip > 0 ? 1 : 0));
      g_byte_array_set_size (self->outgoing, start);
      self->outgoing_extra = start_extra;
      set_too_large_error (error, size, self->max_message_size);
      g_mutex_unlock (&self->mutex);
      return FALSE;
    }

  add_refs_locked (self, first_ref);

  {
    guint32 word = GUINT32_TO_LE ((guint32) size | (fd_list != NULL ? HAS_FDS : 0));

    memcpy (self->outgoing->data + start, &word, HEADER_SIZE);
    if (fd_list != NULL)
      {
        FdMark  mark = { (gsize) ((gssize) start + start_extra), g_object_ref (fd_list) };
        guint32 n_fds = GUINT32_TO_LE ((guint32) g_unix_fd_list_get_length (fd_list));

        memcpy (self->outgoing->data + start + HEADER_SIZE, &n_fds, sizeof n_fds);
        g_array_append_val (self->outgoing_marks, mark);
      }
  }

  /* Nothing else waits and no write runs: the first message since the
   * last write goes out at once. Those that follow in the same main-loop
   * iteration wait for the flush, and go out together. No callback runs
   * here: the caller may hold a lock of its own. */
  if (direct && self->outgoing_refs->len == first_ref)
    {
      gsize sent = send_direct (self, (guint32) size, self->outgoing->data + gap.position + gap.skip);

      if (sent == HEADER_SIZE + size)
        {
          g_byte_array_set_size (self->outgoing, 0);
          g_array_set_size (self->outgoing_refs, 0);
          self->outgoing_extra = 0;
        }
      else if (sent > 0)
        drop_sent_locked (self, sent);
    }
  schedule_flush_locked (self);
  g_mutex_unlock (&self->mutex);

  return TRUE;
}


/* Writes @message straight into the outgoing buffer: nothing of it is
 * built as a GVariant, and its large byte arrays are sent from where they
 * are. Streams that are not sockets, and big-endian machines, send the
 * GVariant of it as comlink_stream_endpoint_send () does. */
static gboolean
comlink_stream_endpoint_send_message (ComlinkEndpoint       *endpoint,
                                      const ComlinkOutgoing *message,
                                      GUnixFDList           *fd_list,
                                      GError               **error)
{
  ComlinkStreamEndpoint *self = (ComlinkStreamEndpoint *) endpoint;

  if (G_BYTE_ORDER == G_BIG_ENDIAN || self->socket == NULL)
    {
      g_autoptr(GVariant) built = g_variant_ref_sink (_comlink_message_build (message));

      return comlink_stream_endpoint_send (endpoint, built, fd_list, error);
    }

  return queue_written (self, write_outgoing, message, fd_list, error);
}

static void
comlink_stream_endpoint_start (ComlinkEndpoint *endpoint)
{
  ComlinkStreamEndpoint *self = COMLINK_STREAM_ENDPOINT (endpoint);

  read_more (self);

  g_mutex_lock (&self->mutex);
  if (self->outgoing->len + self->outgoing_extra > 0)
    schedule_flush_locked (self);
  g_mutex_unlock (&self->mutex);
}

static void
comlink_stream_endpoint_close (ComlinkEndpoint *endpoint)
{
  ComlinkStreamEndpoint *self = COMLINK_STREAM_ENDPOINT (endpoint);
  GSource               *source;

  g_cancellable_cancel (self->cancellable);

  g_mutex_lock (&self->mutex);
  source = g_steal_pointer (&self->flush_source);
  g_byte_array_set_size (self->outgoing, 0);
  g_array_set_size (self->outgoing_marks, 0);
  g_array_set_size (self->outgoing_refs, 0);
  self->outgoing_extra = 0;
  g_mutex_unlock (&self->mutex);

  if (source != NULL)
    {
      g_source_destroy (source);
      g_source_unref (source);
    }
  if (self->read_source != NULL)
    {
      g_source_destroy (self->read_source);
      g_clear_pointer (&self->read_source, g_source_unref);
    }
  if (self->write_source != NULL)
    {
      g_source_destroy (self->write_source);
      g_clear_pointer (&self->write_source, g_source_unref);
    }
  clear_frame_deadline (self);
  if (self->deliver_source != NULL)
    {
      g_source_destroy (self->deliver_source);
      g_clear_pointer (&self->deliver_source, g_source_unref);
    }
  if (self->resume_source != NULL)
    {
      g_source_destroy (self->resume_source);
      g_clear_pointer (&self->resume_source, g_source_unref);
    }
  close_fds (self->in_fds);
  close_fds (self->body_fds);
  _comlink_queued_messages_clear (&self->ready);

  g_io_stream_close (self->stream, NULL, NULL);
}

static void
comlink_stream_endpoint_finalize (GObject *object)
{
  ComlinkStreamEndpoint *self = COMLINK_STREAM_ENDPOINT (object);

  if (!_comlink_endpoint_closed ((ComlinkEndpoint *) self))
    g_io_stream_close (self->stream, NULL, NULL);
  clear_frame_deadline (self);

  g_clear_object (&self->stream);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->outgoing, g_byte_array_unref);
  g_clear_pointer (&self->writing, g_byte_array_unref);
  g_clear_pointer (&self->outgoing_marks, g_array_unref);
  g_clear_pointer (&self->writing_marks, g_array_unref);
  g_clear_pointer (&self->outgoing_refs, g_array_unref);
  g_clear_pointer (&self->writing_refs, g_array_unref);
  close_fds (self->in_fds);
  close_fds (self->body_fds);
  _comlink_queued_messages_clear (&self->ready);
  g_clear_pointer (&self->in_fds, g_array_unref);
  g_clear_pointer (&self->body_fds, g_array_unref);
  g_clear_object (&self->socket);
  g_free (self->body);
  g_clear_pointer (&self->pool, buffer_pool_close);
  g_free (self->in);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (comlink_stream_endpoint_parent_class)->finalize (object);
}

static void
comlink_stream_endpoint_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  ComlinkStreamEndpoint *self = COMLINK_STREAM_ENDPOINT (object);

  switch (prop_id)
    {
    case PROP_STREAM:
      g_value_set_object (value, self->stream);
      break;

    case PROP_MAX_MESSAGE_SIZE:
      g_value_set_uint64 (value, comlink_stream_endpoint_get_max_message_size (self));
      break;

    case PROP_MAX_MESSAGE_ELEMENTS:
      g_value_set_uint64 (value, comlink_stream_endpoint_get_max_message_elements (self));
      break;

    case PROP_MEMFD_THRESHOLD:
      g_value_set_uint64 (value, comlink_stream_endpoint_get_memfd_threshold (self));
      break;

    case PROP_READ_TIMEOUT:
      g_value_set_uint (value, comlink_stream_endpoint_get_read_timeout (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
comlink_stream_endpoint_set_property (GObject      *object,
                                      guint         prop_id,
                                      const GValue *value,
                                      GParamSpec   *pspec)
{
  ComlinkStreamEndpoint *self = COMLINK_STREAM_ENDPOINT (object);

  switch (prop_id)
    {
    case PROP_STREAM:
      self->stream = g_value_dup_object (value);
      break;

    case PROP_MAX_MESSAGE_SIZE:
      comlink_stream_endpoint_set_max_message_size (self, g_value_get_uint64 (value));
      break;

    case PROP_MAX_MESSAGE_ELEMENTS:
      comlink_stream_endpoint_set_max_message_elements (self, g_value_get_uint64 (value));
      break;

    case PROP_MEMFD_THRESHOLD:
      comlink_stream_endpoint_set_memfd_threshold (self, g_value_get_uint64 (value));
      break;

    case PROP_READ_TIMEOUT:
      comlink_stream_endpoint_set_read_timeout (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
comlink_stream_endpoint_constructed (GObject *object)
{
  ComlinkStreamEndpoint *self = COMLINK_STREAM_ENDPOINT (object);

  G_OBJECT_CLASS (comlink_stream_endpoint_parent_class)->constructed (object);

  if (G_IS_SOCKET_CONNECTION (self->stream))
    {
      GSocket *socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (self->stream));

      if (g_socket_get_family (socket) == G_SOCKET_FAMILY_UNIX)
        {
          self->socket = g_object_ref (socket);
          g_socket_set_blocking (socket, FALSE);
        }
    }
}

static gboolean
comlink_stream_endpoint_can_send_fds (ComlinkEndpoint *endpoint)
{
  return COMLINK_STREAM_ENDPOINT (endpoint)->socket != NULL;
}

static void
comlink_stream_endpoint_class_init (ComlinkStreamEndpointClass *klass)
{
  GObjectClass                *object_class = G_OBJECT_CLASS (klass);
  ComlinkEndpointClass        *endpoint_class = COMLINK_ENDPOINT_CLASS (klass);
  ComlinkEndpointClassPrivate *endpoint_private = _comlink_endpoint_class_get_private (endpoint_class);

  _comlink_init_i18n ();

  object_class->constructed = comlink_stream_endpoint_constructed;
  object_class->finalize = comlink_stream_endpoint_finalize;
  object_class->get_property = comlink_stream_endpoint_get_property;
  object_class->set_property = comlink_stream_endpoint_set_property;

  endpoint_class->start = comlink_stream_endpoint_start;
  endpoint_class->send = comlink_stream_endpoint_send;
  endpoint_class->close = comlink_stream_endpoint_close;
  endpoint_class->can_send_fds = comlink_stream_endpoint_can_send_fds;
  endpoint_private->send_message = comlink_stream_endpoint_send_message;
  endpoint_private->sends_as_memfd = comlink_stream_endpoint_sends_as_memfd;
  endpoint_private->get_queued_bytes = comlink_stream_endpoint_get_queued_bytes;
  endpoint_private->set_paused = comlink_stream_endpoint_set_paused;

  /**
   * ComlinkStreamEndpoint:stream:
   *
   * The stream the endpoint reads and writes.
   *
   * Since: 0.1
   */
  properties[PROP_STREAM] =
    g_param_spec_object ("stream", NULL, NULL,
                         G_TYPE_IO_STREAM,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkStreamEndpoint:max-message-size:
   *
   * The largest message, in bytes, that the endpoint reads or writes. A
   * larger one from the peer closes the endpoint with
   * %COMLINK_ERROR_PROTOCOL; sending a larger one fails with
   * %COMLINK_ERROR_LIMIT_EXCEEDED.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_MESSAGE_SIZE] =
    g_param_spec_uint64 ("max-message-size", NULL, NULL,
                         16, G_MAXINT32, DEFAULT_MAX_MESSAGE_SIZE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkStreamEndpoint:max-message-elements:
   *
   * The most elements a message from the peer may hold: the elements of
   * its arrays (but those of arrays of numbers and booleans, which are
   * read in place), its variants and its present maybe values, at any
   * depth. A message with more closes the endpoint with
   * %COMLINK_ERROR_PROTOCOL.
   *
   * Every message is checked in time linear in its size; this bound keeps
   * what decoding it may allocate, and the time it takes, in proportion
   * too. The default, 1048576, lets through an array of a million
   * strings.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_MESSAGE_ELEMENTS] =
    g_param_spec_uint64 ("max-message-elements", NULL, NULL,
                         1, G_MAXUINT64, DEFAULT_MAX_MESSAGE_ELEMENTS,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkStreamEndpoint:read-timeout:
   *
   * The seconds within which a message must arrive whole once its first
   * byte came. A peer that begins a message and does not finish it in
   * time closes the endpoint with %COMLINK_ERROR_PROTOCOL, so that a stall
   * fails the pending calls instead of keeping them waiting forever. 0
   * waits forever. The default is 60.
   *
   * Since: 0.1
   */
  properties[PROP_READ_TIMEOUT] =
    g_param_spec_uint ("read-timeout", NULL, NULL,
                       0, G_MAXUINT / 1000, DEFAULT_READ_TIMEOUT,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkStreamEndpoint:memfd-threshold:
   *
   * The size from which a [struct@GLib.Bytes] value goes to the peer as a
   * sealed memfd, mapped by the receiver without a copy, instead of being
   * copied through the stream. Only over a Unix socket; 0 sends every
   * #GBytes through the stream, except bytes that are already in shared
   * memory (see comlink_bytes_new_shared()), which always go as their own
   * memfd.
   *
   * The default is 0: in the project's benchmark (`bench-subprocess`),
   * bytes sent through the stream, from where they are, beat a new
   * memfd holding a copy at every size, 64 KiB to 64 MiB, as making the
   * memfd costs a copy and a mapping of every page. Page mapping costs
   * differ between machines, so measure before changing it.
   *
   * Since: 0.1
   */
  properties[PROP_MEMFD_THRESHOLD] =
    g_param_spec_uint64 ("memfd-threshold", NULL, NULL,
                         0, G_MAXUINT64, DEFAULT_MEMFD_THRESHOLD,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
comlink_stream_endpoint_init (ComlinkStreamEndpoint *self)
{
  g_mutex_init (&self->mutex);
  self->cancellable = g_cancellable_new ();
  self->outgoing = g_byte_array_new ();
  self->outgoing_marks = g_array_new (FALSE, FALSE, sizeof (FdMark));
  g_array_set_clear_func (self->outgoing_marks, (GDestroyNotify) fd_mark_clear);
  self->writing_marks = g_array_new (FALSE, FALSE, sizeof (FdMark));
  g_array_set_clear_func (self->writing_marks, (GDestroyNotify) fd_mark_clear);
  self->outgoing_refs = g_array_new (FALSE, FALSE, sizeof (ComlinkWireRef));
  g_array_set_clear_func (self->outgoing_refs, (GDestroyNotify) _comlink_wire_ref_clear);
  self->writing_refs = g_array_new (FALSE, FALSE, sizeof (ComlinkWireRef));
  g_array_set_clear_func (self->writing_refs, (GDestroyNotify) _comlink_wire_ref_clear);
  self->in_fds = g_array_new (FALSE, FALSE, sizeof (gint));
  self->body_fds = g_array_new (FALSE, FALSE, sizeof (gint));
  self->max_message_size = DEFAULT_MAX_MESSAGE_SIZE;
  self->max_message_elements = DEFAULT_MAX_MESSAGE_ELEMENTS;
  self->pool = g_new0 (BufferPool, 1);
  self->pool->ref_count = 1;
  g_mutex_init (&self->pool->mutex);
  self->memfd_threshold = DEFAULT_MEMFD_THRESHOLD;
  self->read_timeout = DEFAULT_READ_TIMEOUT;
}

/**
 * comlink_stream_endpoint_new:
 * @stream: a #GIOStream
 *
 * Creates an endpoint that speaks over @stream. It starts reading when
 * it is started (by the connection that uses it), in the thread-default
 * main context of that thread.
 *
 * Returns: (transfer full): a new #ComlinkStreamEndpoint
 *
 * Since: 0.1
 */
ComlinkEndpoint *
comlink_stream_endpoint_new (GIOStream *stream)
{
  g_return_val_if_fail (G_IS_IO_STREAM (stream), NULL);

  return g_object_new (COMLINK_TYPE_STREAM_ENDPOINT, "stream", stream, NULL);
}

/**
 * comlink_stream_endpoint_get_stream:
 * @self: a #ComlinkStreamEndpoint
 *
 * Gets the stream that @self reads and writes.
 *
 * Returns: (transfer none): the stream of @self
 *
 * Since: 0.1
 */
GIOStream *
comlink_stream_endpoint_get_stream (ComlinkStreamEndpoint *self)
{
  g_return_val_if_fail (COMLINK_IS_STREAM_ENDPOINT (self), NULL);

  return self->stream;
}

/**
 * comlink_stream_endpoint_get_max_message_size:
 * @self: a #ComlinkStreamEndpoint
 *
 * Gets the value of [property@Comlink.StreamEndpoint:max-message-size].
 *
 * Returns: the value of [property@Comlink.StreamEndpoint:max-message-size]
 *
 * Since: 0.1
 */
gsize
comlink_stream_endpoint_get_max_message_size (ComlinkStreamEndpoint *self)
{
  g_return_val_if_fail (COMLINK_IS_STREAM_ENDPOINT (self), 0);

  return get_locked (self, &self->max_message_size);
}

/**
 * comlink_stream_endpoint_set_max_message_size:
 * @self: a #ComlinkStreamEndpoint
 * @max_message_size: the limit in bytes, at most 2 GiB - 1
 *
 * Sets [property@Comlink.StreamEndpoint:max-message-size].
 *
 * Since: 0.1
 */
void
comlink_stream_endpoint_set_max_message_size (ComlinkStreamEndpoint *self,
                                              gsize                  max_message_size)
{
  g_return_if_fail (COMLINK_IS_STREAM_ENDPOINT (self));
  g_return_if_fail (max_message_size >= 16 && max_message_size <= G_MAXINT32);

  set_locked (self, &self->max_message_size, max_message_size, PROP_MAX_MESSAGE_SIZE);
}

/**
 * comlink_stream_endpoint_get_memfd_threshold:
 * @self: a #ComlinkStreamEndpoint
 *
 * Gets the value of [property@Comlink.StreamEndpoint:memfd-threshold].
 *
 * Returns: the value of [property@Comlink.StreamEndpoint:memfd-threshold]
 *
 * Since: 0.1
 */
guint64
comlink_stream_endpoint_get_memfd_threshold (ComlinkStreamEndpoint *self)
{
  g_return_val_if_fail (COMLINK_IS_STREAM_ENDPOINT (self), 0);

  return get_locked (self, &self->memfd_threshold);
}

/**
 * comlink_stream_endpoint_set_memfd_threshold:
 * @self: a #ComlinkStreamEndpoint
 * @memfd_threshold: the size in bytes, or 0
 *
 * Sets [property@Comlink.StreamEndpoint:memfd-threshold].
 *
 * Since: 0.1
 */
void
comlink_stream_endpoint_set_memfd_threshold (ComlinkStreamEndpoint *self,
                                             guint64                memfd_threshold)
{
  g_return_if_fail (COMLINK_IS_STREAM_ENDPOINT (self));

  set_locked (self, &self->memfd_threshold, memfd_threshold, PROP_MEMFD_THRESHOLD);
}

/**
 * comlink_stream_endpoint_get_max_message_elements:
 * @self: a #ComlinkStreamEndpoint
 *
 * Gets the value of [property@Comlink.StreamEndpoint:max-message-elements].
 *
 * Returns: the value of [property@Comlink.StreamEndpoint:max-message-elements]
 *
 * Since: 0.1
 */
guint64
comlink_stream_endpoint_get_max_message_elements (ComlinkStreamEndpoint *self)
{
  g_return_val_if_fail (COMLINK_IS_STREAM_ENDPOINT (self), 0);

  return get_locked (self, &self->max_message_elements);
}

/**
 * comlink_stream_endpoint_set_max_message_elements:
 * @self: a #ComlinkStreamEndpoint
 * @max_message_elements: the limit, at least 1
 *
 * Sets [property@Comlink.StreamEndpoint:max-message-elements].
 *
 * Since: 0.1
 */
void
comlink_stream_endpoint_set_max_message_elements (ComlinkStreamEndpoint *self,
                                                  guint64                max_message_elements)
{
  g_return_if_fail (COMLINK_IS_STREAM_ENDPOINT (self));
  g_return_if_fail (max_message_elements >= 1);

  set_locked (self, &self->max_message_elements, max_message_elements, PROP_MAX_MESSAGE_ELEMENTS);
}

/**
 * comlink_stream_endpoint_get_read_timeout:
 * @self: a #ComlinkStreamEndpoint
 *
 * Gets the value of [property@Comlink.StreamEndpoint:read-timeout].
 *
 * Returns: the value of [property@Comlink.StreamEndpoint:read-timeout]
 *
 * Since: 0.1
 */
guint
comlink_stream_endpoint_get_read_timeout (ComlinkStreamEndpoint *self)
{
  g_return_val_if_fail (COMLINK_IS_STREAM_ENDPOINT (self), 0);

  return (guint) get_locked (self, &self->read_timeout);
}

/**
 * comlink_stream_endpoint_set_read_timeout:
 * @self: a #ComlinkStreamEndpoint
 * @seconds: the timeout in seconds, or 0 for none
 *
 * Sets [property@Comlink.StreamEndpoint:read-timeout]. A message begun
 * already keeps the deadline it had.
 *
 * Since: 0.1
 */
void
comlink_stream_endpoint_set_read_timeout (ComlinkStreamEndpoint *self,
                                          guint                  seconds)
{
  g_return_if_fail (COMLINK_IS_STREAM_ENDPOINT (self));
  g_return_if_fail (seconds <= G_MAXUINT / 1000);

  set_locked (self, &self->read_timeout, seconds, PROP_READ_TIMEOUT);
}

/* --- backpressure --- */

/* After a read: the next one, unless the connection paused the endpoint */
static void
go_on_reading (ComlinkStreamEndpoint *self)
{
  if (self->paused)
    self->read_wanted = TRUE;
  else
    read_more (self);
}

/* A batch was written: the connection may resume what it held back */
static void
written (ComlinkStreamEndpoint *self)
{
  _comlink_endpoint_written ((ComlinkEndpoint *) self);
}

/* Called with the mutex held */
static gsize
queued_bytes_locked (ComlinkStreamEndpoint *self)
{
  return (gsize) ((gssize) self->outgoing->len + self->outgoing_extra +
                  (self->writing != NULL ? (gssize) self->writing->len + self->writing_extra : 0));
}

/* The bytes that wait to be written: those sent and not taken by a write
 * yet, and the whole batch being written. Any thread. */
static gsize
comlink_stream_endpoint_get_queued_bytes (ComlinkEndpoint *endpoint)
{
  ComlinkStreamEndpoint *self = (ComlinkStreamEndpoint *) endpoint;
  gsize                  ret;

  g_mutex_lock (&self->mutex);
  ret = queued_bytes_locked (self);
  g_mutex_unlock (&self->mutex);

  return ret;
}

/* Whether @bytes go as a sealed memfd rather than in the message: only
 * over a socket that carries descriptors, for shared bytes whatever their
 * size, for others from the memfd threshold on (0 turns it off). */
static gboolean
comlink_stream_endpoint_sends_as_memfd (ComlinkEndpoint *endpoint,
                                        GBytes          *bytes)
{
  ComlinkStreamEndpoint *self = (ComlinkStreamEndpoint *) endpoint;
  gsize                  size = g_bytes_get_size (bytes);
  guint64                threshold;

  if (size == 0 || !comlink_endpoint_can_send_fds (endpoint))
    return FALSE;

  threshold = comlink_stream_endpoint_get_memfd_threshold (self);
  return (threshold > 0 && size >= threshold) || comlink_bytes_is_shared (bytes);
}

static gboolean
resume_cb (gpointer user_data)
{
  ComlinkStreamEndpoint *self = user_data;

  g_clear_pointer (&self->resume_source, g_source_unref);
  deliver_ready (self);

  return G_SOURCE_REMOVE;
}

/* Stops or resumes reading and delivering messages; in the endpoint's
 * context. The messages read already are delivered, in order, from an
 * idle once it resumes. */
static void
comlink_stream_endpoint_set_paused (ComlinkEndpoint *endpoint,
                                    gboolean         paused)
{
  ComlinkStreamEndpoint *self = COMLINK_STREAM_ENDPOINT (endpoint);

  if (self->paused == paused || _comlink_endpoint_closed ((ComlinkEndpoint *) self))
    return;

  self->paused = paused;
  if (paused)
    {
      /* No descriptor stays registered with no one to read it */
      if (self->read_source != NULL)
        {
          g_source_destroy (self->read_source);
          g_clear_pointer (&self->read_source, g_source_unref);
        }
      return;
    }

  if (self->socket != NULL)
    read_more (self);
  else if (self->read_wanted)
    {
      self->read_wanted = FALSE;
      read_more (self);
    }

  if (!g_queue_is_empty (&self->ready) && self->resume_source == NULL)
    {
      self->resume_source = g_idle_source_new ();
      g_source_set_priority (self->resume_source, G_PRIORITY_DEFAULT);
      g_source_set_static_name (self->resume_source, "[comlink] stream resume");
      g_source_set_callback (self->resume_source, resume_cb, g_object_ref (self), g_object_unref);
      g_source_attach (self->resume_source, _comlink_endpoint_peek_context ((ComlinkEndpoint *) self));
    }
}

ComlinkEndpoint *
_comlink_stream_endpoint_new_for_fd (int      fd,
                                     GError **error)
{
  g_autoptr(GSocket) socket = g_socket_new_from_fd (fd, error);
  g_autoptr(GSocketConnection) connection = NULL;

  if (socket == NULL)
    {
      close (fd);
      return NULL;
    }
  if (g_socket_get_family (socket) != G_SOCKET_FAMILY_UNIX)
    {
      g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                           _ ("An endpoint that came as something other than a Unix socket"));
      return NULL;
    }
  connection = g_socket_connection_factory_create_connection (socket);

  return comlink_stream_endpoint_new (G_IO_STREAM (connection));
}

/* A new socket pair: a stream endpoint on one end, not started, and the
 * descriptor of the other end in @far_fd, for a peer */
ComlinkEndpoint *
_comlink_stream_endpoint_new_pair (int     *far_fd,
                                   GError **error)
{
  ComlinkEndpoint *near;
  int              pair[2];

  *far_fd = -1;
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _ ("A new endpoint could not be made: %s"), g_strerror (saved_errno));
      return NULL;
    }
  near = _comlink_stream_endpoint_new_for_fd (pair[0], error);
  if (near == NULL)
    close (pair[1]);
  else
    *far_fd = pair[1];

  return near;
}

int
_comlink_stream_endpoint_get_fd (ComlinkEndpoint *self)
{
  if (!COMLINK_IS_STREAM_ENDPOINT (self) || COMLINK_STREAM_ENDPOINT (self)->socket == NULL)
    return -1;
  return g_socket_get_fd (COMLINK_STREAM_ENDPOINT (self)->socket);
}
