/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include "comlink-endpoint.h"
#include "comlink-wire-private.h"

G_BEGIN_DECLS

/* The connection of an endpoint receives its messages through a direct
 * call rather than a signal emission: it is the hot path. It gets each
 * message read (and may steal its fields), or, for a message that could
 * not be read, @message NULL and the @error that says why. */
typedef void (*ComlinkEndpointReceiver) (ComlinkEndpoint *endpoint,
                                         ComlinkMessage  *message,
                                         GUnixFDList     *fd_list,
                                         const GError    *error,
                                         gpointer         user_data);

void _comlink_endpoint_set_receiver (ComlinkEndpoint        *self,
                                     ComlinkEndpointReceiver receiver,
                                     gpointer                user_data);

/* What a connection asks of its transport beyond moving messages: the
 * policy for large bytes, and the flow control of a transport that
 * buffers what it writes. These are private virtual functions of the base
 * class, kept in its class private data so that the public, derivable
 * class structure stays as it is. A transport that leaves one NULL has
 * none of it: no bytes go as a memfd, nothing waits to be written, and
 * it never pauses. ComlinkStreamEndpoint implements them; ComlinkChannel
 * needs none. */
typedef struct
{
  /* Sends @message without building a GVariant of it; @message stays the
   * caller's. Called from any thread, after the checks of
   * comlink_endpoint_send_with_fds(). NULL: the message is built and goes
   * through the public send(). */
  gboolean (*send_message) (ComlinkEndpoint       *self,
                            const ComlinkOutgoing *message,
                            GUnixFDList           *fd_list,
                            GError               **error);
  /* Whether @bytes go as a sealed memfd beside the message rather than in
   * it; called from any thread */
  gboolean (*sends_as_memfd) (ComlinkEndpoint *self,
                              GBytes          *bytes);
  /* How many bytes wait to be written to the peer; any thread */
  gsize (*get_queued_bytes) (ComlinkEndpoint *self);
  /* Stops or resumes reading and delivering messages; in the endpoint's
   * context */
  void (*set_paused) (ComlinkEndpoint *self,
                      gboolean         paused);
} ComlinkEndpointClassPrivate;

ComlinkEndpointClassPrivate *_comlink_endpoint_class_get_private (ComlinkEndpointClass *klass);

gboolean      _comlink_endpoint_send_message (ComlinkEndpoint       *self,
                                              const ComlinkOutgoing *message,
                                              GUnixFDList           *fd_list,
                                              GError               **error);
void          _comlink_endpoint_deliver (ComlinkEndpoint *self,
                                         ComlinkMessage  *message,
                                         GUnixFDList     *fd_list);
gboolean      _comlink_endpoint_sends_as_memfd (ComlinkEndpoint *self,
                                                GBytes          *bytes);
gsize         _comlink_endpoint_get_queued_bytes (ComlinkEndpoint *self);
gboolean      _comlink_endpoint_closed (ComlinkEndpoint *self);
GMainContext *_comlink_endpoint_peek_context (ComlinkEndpoint *self);
void          _comlink_endpoint_set_paused (ComlinkEndpoint *self,
                                            gboolean         paused);

/* The connection learns, in the endpoint's context, each time the
 * transport wrote a batch: what it held back for a peer that did not read
 * may go on. The transport calls _comlink_endpoint_written(); nothing is
 * called once the endpoint closed. */
typedef void (*ComlinkEndpointWrittenFunc) (gpointer user_data);

void _comlink_endpoint_set_written_func (ComlinkEndpoint           *self,
                                         ComlinkEndpointWrittenFunc func,
                                         gpointer                   user_data);
void _comlink_endpoint_written (ComlinkEndpoint *self);

/* A message and the file descriptors beside it, as queues keep them: read
 * already, or as the GVariant given to comlink_endpoint_send(), or the
 * error that says why it could not be read */
typedef struct
{
  ComlinkMessage message;
  GVariant      *variant;
  GError        *error;
  GUnixFDList   *fds;
  GList          link; /* in the queue that holds it: no node of its own */
} ComlinkQueuedMessage;

ComlinkQueuedMessage *_comlink_queued_message_new (GUnixFDList *fds);
void                  _comlink_queued_message_deliver (ComlinkQueuedMessage *queued,
                                                       ComlinkEndpoint      *endpoint);
void                  _comlink_queued_message_free (ComlinkQueuedMessage *queued);
void                  _comlink_queued_message_push (GQueue               *queue,
                                                    ComlinkQueuedMessage *queued);
ComlinkQueuedMessage *_comlink_queued_message_pop (GQueue *queue);
void                  _comlink_queued_messages_clear (GQueue *queue);

/* Joins two endpoints of this process: what arrives on one is sent on the
 * other, both ways, until one closes, which closes the other. Both are
 * started in the thread-default main context of the caller. */
void _comlink_endpoint_bridge (ComlinkEndpoint *a,
                               ComlinkEndpoint *b);

/* A stream endpoint on the Unix socket @fd, which it takes */
ComlinkEndpoint *_comlink_stream_endpoint_new_for_fd (int      fd,
                                                      GError **error);
/* A stream endpoint on one end of a new socket pair, and the other end */
ComlinkEndpoint *_comlink_stream_endpoint_new_pair (int     *far_fd,
                                                    GError **error);
/* The descriptor of the Unix socket under @self, or -1 */
int _comlink_stream_endpoint_get_fd (ComlinkEndpoint *self);

G_END_DECLS
