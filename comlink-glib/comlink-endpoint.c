/* SPDX-License-Identifier: LGPL-2.1-or-later */

/**
 * ComlinkEndpoint:
 *
 * One end of a transport that carries messages to a peer, the counterpart
 * of a Web `MessagePort`.
 *
 * An endpoint knows nothing of calls: [func@Comlink.wrap] and
 * [func@Comlink.expose] make a [class@Comlink.Connection] on it, which
 * does. The endpoints of comlink-glib are the two ports of a
 * [class@Comlink.Channel], in one process, and [class@Comlink.StreamEndpoint],
 * over a socket, a pipe or any other stream; a subclass brings another
 * transport through the virtual functions of #ComlinkEndpointClass.
 *
 * An endpoint delivers what it receives in the thread-default main
 * context of the thread that started it, and emits
 * [signal@Comlink.Endpoint::closed] once when its peer or its transport
 * goes away.
 *
 * Any endpoint is wrapped, or exposes an object, in the same way:
 *
 * |[<!-- language="C" -->
 * // This side calls the object that the peer of endpoint exposes
 * g_autoptr(ComlinkProxy) proxy = comlink_wrap (endpoint);
 *
 * // or exposes an object to the peer
 * g_autoptr(ComlinkConnection) connection = comlink_expose (G_OBJECT (calculator), other_endpoint);
 * ]|
 *
* See also: [New endpoints](endpoints.html), [Subprocess workers and
 * streams](subprocess.html), [The wire protocol](protocol.html).
 *
 * Since: 0.1
 */

/*
 * ComlinkEndpoint moves messages and knows nothing of RPC.
 *
 * Lifetime: an endpoint is bound to the thread-default main context of
 * the thread that starts it; received messages and the single ::closed
 * emission happen in that context. It holds no reference to its users;
 * whoever listens (a ComlinkConnection) holds the endpoint. The receiver
 * and the written notification are plain pointers that the connection
 * sets and clears itself; closing the endpoint drops the latter.
 *
 * Besides the public virtual functions, the base class has private ones
 * (ComlinkEndpointClassPrivate, in its class private data): the memfd
 * policy and the flow control that a connection asks of its transport.
 */

#include "config.h"

#include "comlink-endpoint-private.h"
#include "comlink-error.h"
#include "comlink-private.h"

typedef struct
{
  ComlinkEndpointReceiver    receiver;
  gpointer                   receiver_data;
  ComlinkEndpointWrittenFunc written_func;
  gpointer                   written_data;
  GMainContext              *context;
  gint                       closed;
  gint                       started;
  /* The class's private part, looked up once: GLib finds it by a walk
   * of the type's ancestry each time */
  ComlinkEndpointClassPrivate *class_private;
} ComlinkEndpointPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_CODE (ComlinkEndpoint, comlink_endpoint, G_TYPE_OBJECT, G_ADD_PRIVATE (ComlinkEndpoint) g_type_add_class_private (g_define_type_id, sizeof (ComlinkEndpointClassPrivate)))

static ComlinkEndpointClassPrivate *
get_class_private (ComlinkEndpoint *self)
{
  ComlinkEndpointPrivate      *priv = comlink_endpoint_get_instance_private (self);
  ComlinkEndpointClassPrivate *klass = g_atomic_pointer_get (&priv->class_private);

  if (G_UNLIKELY (klass == NULL))
    {
      klass = _comlink_endpoint_class_get_private (COMLINK_ENDPOINT_GET_CLASS (self));
      g_atomic_pointer_set (&priv->class_private, klass);
    }
  return klass;
}

enum
{
  MESSAGE,
  CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
comlink_endpoint_finalize (GObject *object)
{
  ComlinkEndpoint        *self = COMLINK_ENDPOINT (object);
  ComlinkEndpointPrivate *priv = comlink_endpoint_get_instance_private (self);

  g_clear_pointer (&priv->context, g_main_context_unref);

  G_OBJECT_CLASS (comlink_endpoint_parent_class)->finalize (object);
}

static void
comlink_endpoint_class_init (ComlinkEndpointClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  _comlink_init_i18n ();

  object_class->finalize = comlink_endpoint_finalize;

  /**
   * ComlinkEndpoint::message:
   * @self: the endpoint
   * @message: the message received
   * @fd_list: (nullable): the file descriptors that came beside it
   *
   * Emitted in the endpoint's context for each message that arrives. The
   * file descriptors belong to @fd_list: a handler that keeps one
   * duplicates it with g_unix_fd_list_get().
   *
   * Since: 0.1
   */
  signals[MESSAGE] =
    g_signal_new ("message",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 2, G_TYPE_VARIANT, G_TYPE_UNIX_FD_LIST);

  /**
   * ComlinkEndpoint::closed:
   * @self: the endpoint
   * @error: why the endpoint closed
   *
   * Emitted once, in the endpoint's context, when the endpoint closes:
   * closed locally, by the peer, or because the transport failed.
   *
   * Since: 0.1
   */
  signals[CLOSED] =
    g_signal_new ("closed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (ComlinkEndpointClass, closed),
                  NULL, NULL,
                  g_cclosure_marshal_VOID__BOXED,
                  G_TYPE_NONE, 1, G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
comlink_endpoint_init (ComlinkEndpoint *self)
{
}

/**
 * comlink_endpoint_start:
 * @self: a #ComlinkEndpoint
 *
 * Binds @self to the thread-default main context of the calling thread
 * and begins delivering received messages there, through
 * [signal@Comlink.Endpoint::message]. Messages that arrived before are
 * delivered then, in order. Calling it again does nothing.
 *
 * A [class@Comlink.Connection] starts its endpoint itself.
 *
 * Since: 0.1
 */
void
comlink_endpoint_start (ComlinkEndpoint *self)
{
  ComlinkEndpointPrivate *priv = comlink_endpoint_get_instance_private (self);

  g_return_if_fail (COMLINK_IS_ENDPOINT (self));

  if (!g_atomic_int_compare_and_exchange (&priv->started, 0, 1))
    return;

  priv->context = g_main_context_ref_thread_default ();

  if (COMLINK_ENDPOINT_GET_CLASS (self)->start)
    COMLINK_ENDPOINT_GET_CLASS (self)->start (self);
}

/**
 * comlink_endpoint_is_started:
 * @self: a #ComlinkEndpoint
 *
 * Tells whether @self was started.
 *
 * Returns: whether [method@Comlink.Endpoint.start] was called
 *
 * Since: 0.1
 */
gboolean
comlink_endpoint_is_started (ComlinkEndpoint *self)
{
  ComlinkEndpointPrivate *priv = comlink_endpoint_get_instance_private (self);

  g_return_val_if_fail (COMLINK_IS_ENDPOINT (self), FALSE);

  return g_atomic_int_get (&priv->started) != 0;
}

/**
 * comlink_endpoint_get_context:
 * @self: a #ComlinkEndpoint
 *
 * Gets the main context of @self.
 *
 * Returns: (transfer none) (nullable): the main context that @self
 *   delivers messages in, or %NULL if it was not started yet
 *
 * Since: 0.1
 */
GMainContext *
comlink_endpoint_get_context (ComlinkEndpoint *self)
{
  g_return_val_if_fail (COMLINK_IS_ENDPOINT (self), NULL);

  return _comlink_endpoint_peek_context (self);
}

/* comlink_endpoint_is_closed () and comlink_endpoint_get_context () for
 * the library, which knows what it holds */
gboolean
_comlink_endpoint_closed (ComlinkEndpoint *self)
{
  ComlinkEndpointPrivate *priv = comlink_endpoint_get_instance_private (self);

  return g_atomic_int_get (&priv->closed) != 0;
}

GMainContext *
_comlink_endpoint_peek_context (ComlinkEndpoint *self)
{
  ComlinkEndpointPrivate *priv = comlink_endpoint_get_instance_private (self);

  return priv->context;
}

/* What every send checks: the endpoint is open, and carries descriptors
 * if there are any (an empty @fd_list becomes none) */
static gboolean
can_send (ComlinkEndpoint *self,
          GUnixFDList    **fd_list,
          GError         **error)
{
  ComlinkEndpointPrivate *priv = comlink_endpoint_get_instance_private (self);

  if (*fd_list != NULL && g_unix_fd_list_get_length (*fd_list) == 0)
    *fd_list = NULL;

  if (g_atomic_int_get (&priv->closed))
    {
      g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_CLOSED,
                           _ ("The endpoint is closed"));
      return FALSE;
    }

  if (*fd_list != NULL && !comlink_endpoint_can_send_fds (self))
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE,
                   _ ("An endpoint of type %s cannot carry file descriptors"),
                   G_OBJECT_TYPE_NAME (self));
      return FALSE;
    }

  return TRUE;
}

/**
 * comlink_endpoint_send:
 * @self: a #ComlinkEndpoint
 * @message: the message to send; a floating reference is sunk
 * @error: return location for a #GError
 *
 * Queues @message for the peer. It may be called from any thread; the
 * messages sent from one thread arrive in the order they were sent.
 *
 * Returns: %TRUE if the message was queued, %FALSE with
 *   %COMLINK_ERROR_CLOSED if the endpoint or its peer is closed
 *
 * Since: 0.1
 */
gboolean
comlink_endpoint_send (ComlinkEndpoint *self,
                       GVariant        *message,
                       GError         **error)
{
  return comlink_endpoint_send_with_fds (self, message, NULL, error);
}

/**
 * comlink_endpoint_send_with_fds:
 * @self: a #ComlinkEndpoint
 * @message: the message to send; a floating reference is sunk
 * @fd_list: (nullable): file descriptors to send beside @message
 * @error: return location for a #GError
 *
 * Queues @message for the peer, with duplicates of the file descriptors
 * of @fd_list, which stays the caller's. Like
 * [method@Comlink.Endpoint.send] otherwise.
 *
 * Returns: %TRUE if the message was queued; %FALSE with
 *   %COMLINK_ERROR_CLOSED if the endpoint or its peer is closed, or with
 *   %COMLINK_ERROR_NOT_TRANSFERABLE if @fd_list is not empty and @self
 *   cannot carry file descriptors
 *
 * Since: 0.1
 */
gboolean
comlink_endpoint_send_with_fds (ComlinkEndpoint *self,
                                GVariant        *message,
                                GUnixFDList     *fd_list,
                                GError         **error)
{
  g_autoptr(GVariant) owned = NULL;

  g_return_val_if_fail (COMLINK_IS_ENDPOINT (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (fd_list == NULL || G_IS_UNIX_FD_LIST (fd_list), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  owned = g_variant_ref_sink (message);

  if (!can_send (self, &fd_list, error))
    return FALSE;

  return COMLINK_ENDPOINT_GET_CLASS (self)->send (self, owned, fd_list, error);
}

/* What the connection sends: like comlink_endpoint_send_with_fds(), with
 * the message as it was built rather than a GVariant of it, for the
 * transports that write it themselves */
gboolean
_comlink_endpoint_send_message (ComlinkEndpoint       *self,
                                const ComlinkOutgoing *message,
                                GUnixFDList           *fd_list,
                                GError               **error)
{
  ComlinkEndpointClassPrivate *klass_priv = get_class_private (self);

  if (klass_priv->send_message == NULL)
    return comlink_endpoint_send_with_fds (self, _comlink_message_build (message), fd_list, error);

  if (!can_send (self, &fd_list, error))
    return FALSE;

  return klass_priv->send_message (self, message, fd_list, error);
}

/**
 * comlink_endpoint_can_send_fds:
 * @self: a #ComlinkEndpoint
 *
 * Tells whether file descriptors can travel beside the messages of an
 * endpoint: they can between the ports of a [class@Comlink.Channel], and
 * over a [class@Comlink.StreamEndpoint] on a Unix socket.
 *
 * Returns: %TRUE if @self can carry file descriptors
 *
 * Since: 0.1
 */
gboolean
comlink_endpoint_can_send_fds (ComlinkEndpoint *self)
{
  ComlinkEndpointClass *klass;

  g_return_val_if_fail (COMLINK_IS_ENDPOINT (self), FALSE);

  klass = COMLINK_ENDPOINT_GET_CLASS (self);
  return klass->can_send_fds != NULL && klass->can_send_fds (self);
}

/**
 * comlink_endpoint_receive:
 * @self: a #ComlinkEndpoint
 * @message: a message that arrived
 *
 * For implementations of endpoints: delivers @message to the listeners
 * of [signal@Comlink.Endpoint::message]. Call it in the endpoint's
 * context. Messages that arrive after the endpoint closed are dropped.
 *
 * Since: 0.1
 */
void
comlink_endpoint_receive (ComlinkEndpoint *self,
                          GVariant        *message)
{
  comlink_endpoint_receive_with_fds (self, message, NULL);
}

/**
 * comlink_endpoint_receive_with_fds:
 * @self: a #ComlinkEndpoint
 * @message: a message that arrived
 * @fd_list: (nullable): the file descriptors that arrived beside it
 *
 * For implementations of endpoints: like
 * [method@Comlink.Endpoint.receive], with the file descriptors that came
 * with @message. They stay in @fd_list, which the caller keeps and
 * releases; the listeners duplicate what they keep.
 *
 * Since: 0.1
 */
void
comlink_endpoint_receive_with_fds (ComlinkEndpoint *self,
                                   GVariant        *message,
                                   GUnixFDList     *fd_list)
{
  ComlinkEndpointPrivate *priv = comlink_endpoint_get_instance_private (self);

  g_return_if_fail (COMLINK_IS_ENDPOINT (self));
  g_return_if_fail (message != NULL);
  g_return_if_fail (fd_list == NULL || G_IS_UNIX_FD_LIST (fd_list));

  if (g_atomic_int_get (&priv->closed))
    return;

  if (priv->receiver != NULL)
    {
      ComlinkMessage parsed;
      GError        *error = NULL;

      if (_comlink_message_parse (message, &parsed, &error))
        priv->receiver (self, &parsed, fd_list, NULL, priv->receiver_data);
      else
        priv->receiver (self, NULL, fd_list, error, priv->receiver_data);
      _comlink_message_clear (&parsed);
      g_clear_error (&error);
      if (!g_signal_has_handler_pending (self, signals[MESSAGE], 0, TRUE))
        return;
    }

  g_signal_emit (self, signals[MESSAGE], 0, message, fd_list);
}

/* What the transports of this library deliver: a message read already.
 * The receiver may steal its fields; the caller clears it. Listeners of
 * ::message, if any, get a GVariant of it. */
void
_comlink_endpoint_deliver (ComlinkEndpoint *self,
                           ComlinkMessage  *message,
                           GUnixFDList     *fd_list)
{
  ComlinkEndpointPrivate *priv = comlink_endpoint_get_instance_private (self);
  g_autoptr(GVariant) variant = NULL;

  if (g_atomic_int_get (&priv->closed))
    return;

  if (g_signal_has_handler_pending (self, signals[MESSAGE], 0, TRUE))
    variant = g_variant_ref_sink (_comlink_message_to_variant (message));

  if (priv->receiver != NULL)
    priv->receiver (self, message, fd_list, NULL, priv->receiver_data);

  if (variant != NULL)
    g_signal_emit (self, signals[MESSAGE], 0, variant, fd_list);
}

/* Takes @fds; the message is filled in by the caller */
ComlinkQueuedMessage *
_comlink_queued_message_new (GUnixFDList *fds)
{
  /* Not g_new0 (): glibc's calloc() takes no thread cache */
  ComlinkQueuedMessage *queued = g_new (ComlinkQueuedMessage, 1);

  memset (queued, 0, sizeof *queued);
  queued->fds = fds;
  return queued;
}

void
_comlink_queued_message_deliver (ComlinkQueuedMessage *queued,
                                 ComlinkEndpoint      *endpoint)
{
  ComlinkEndpointPrivate *priv = comlink_endpoint_get_instance_private (endpoint);

  if (queued->variant != NULL)
    comlink_endpoint_receive_with_fds (endpoint, queued->variant, queued->fds);
  else if (queued->error != NULL)
    {
      if (!g_atomic_int_get (&priv->closed) && priv->receiver != NULL)
        priv->receiver (endpoint, NULL, queued->fds, queued->error, priv->receiver_data);
    }
  else
    _comlink_endpoint_deliver (endpoint, &queued->message, queued->fds);
}

void
_comlink_queued_message_free (ComlinkQueuedMessage *queued)
{
  _comlink_message_clear (&queued->message);
  g_clear_pointer (&queued->variant, g_variant_unref);
  g_clear_error (&queued->error);
  g_clear_object (&queued->fds);
  g_free (queued);
}

/* Queues @queued last in @queue, by its own link */
void
_comlink_queued_message_push (GQueue               *queue,
                              ComlinkQueuedMessage *queued)
{
  queued->link.data = queued;
  g_queue_push_tail_link (queue, &queued->link);
}

/* Takes the first message of @queue, or NULL */
ComlinkQueuedMessage *
_comlink_queued_message_pop (GQueue *queue)
{
  GList *link = g_queue_pop_head_link (queue);

  return link != NULL ? link->data : NULL;
}

/* Frees every message of @queue and empties it */
void
_comlink_queued_messages_clear (GQueue *queue)
{
  ComlinkQueuedMessage *queued;

  while ((queued = _comlink_queued_message_pop (queue)) != NULL)
    _comlink_queued_message_free (queued);
}

void
_comlink_endpoint_set_receiver (ComlinkEndpoint        *self,
                                ComlinkEndpointReceiver receiver,
                                gpointer                user_data)
{
  ComlinkEndpointPrivate *priv = comlink_endpoint_get_instance_private (self);

  priv->receiver = receiver;
  priv->receiver_data = user_data;
}

ComlinkEndpointClassPrivate *
_comlink_endpoint_class_get_private (ComlinkEndpointClass *klass)
{
  return G_TYPE_CLASS_GET_PRIVATE (klass, COMLINK_TYPE_ENDPOINT, ComlinkEndpointClassPrivate);
}

/* The memfd policy belongs to the transport: none by default */
gboolean
_comlink_endpoint_sends_as_memfd (ComlinkEndpoint *self,
                                  GBytes          *bytes)
{
  ComlinkEndpointClassPrivate *klass = get_class_private (self);

  return klass->sends_as_memfd != NULL && klass->sends_as_memfd (self, bytes);
}

gsize
_comlink_endpoint_get_queued_bytes (ComlinkEndpoint *self)
{
  ComlinkEndpointClassPrivate *klass = get_class_private (self);

  return klass->get_queued_bytes != NULL ? klass->get_queued_bytes (self) : 0;
}

void
_comlink_endpoint_set_paused (ComlinkEndpoint *self,
                              gboolean         paused)
{
  ComlinkEndpointClassPrivate *klass = get_class_private (self);

  if (klass->set_paused != NULL)
    klass->set_paused (self, paused);
}

/* @func runs in the endpoint's context after each batch the transport
 * wrote, until the endpoint closes or another one is set */
void
_comlink_endpoint_set_written_func (ComlinkEndpoint           *self,
                                    ComlinkEndpointWrittenFunc func,
                                    gpointer                   user_data)
{
  ComlinkEndpointPrivate *priv = comlink_endpoint_get_instance_private (self);

  priv->written_func = func;
  priv->written_data = user_data;
}

void
_comlink_endpoint_written (ComlinkEndpoint *self)
{
  ComlinkEndpointPrivate *priv = comlink_endpoint_get_instance_private (self);

  if (priv->written_func != NULL && !comlink_endpoint_is_closed (self))
    priv->written_func (priv->written_data);
}

/**
 * comlink_endpoint_close_with_error:
 * @self: a #ComlinkEndpoint
 * @error: why the endpoint closes
 *
 * Closes @self, releasing its transport, and emits
 * [signal@Comlink.Endpoint::closed] with @error. Implementations call it
 * when the peer goes away or the transport fails. It does nothing if
 * @self is already closed. Call it in the endpoint's context.
 *
 * Since: 0.1
 */
void
comlink_endpoint_close_with_error (ComlinkEndpoint *self,
                                   const GError    *error)
{
  ComlinkEndpointPrivate *priv = comlink_endpoint_get_instance_private (self);

  g_return_if_fail (COMLINK_IS_ENDPOINT (self));
  g_return_if_fail (error != NULL);

  if (!g_atomic_int_compare_and_exchange (&priv->closed, 0, 1))
    return;

  g_object_ref (self);
  priv->written_func = NULL;
  if (COMLINK_ENDPOINT_GET_CLASS (self)->close)
    COMLINK_ENDPOINT_GET_CLASS (self)->close (self);
  g_signal_emit (self, signals[CLOSED], 0, error);
  g_object_unref (self);
}

/**
 * comlink_endpoint_close:
 * @self: a #ComlinkEndpoint
 *
 * Closes @self: the peer learns that it closed, messages not yet
 * delivered here are dropped, and [signal@Comlink.Endpoint::closed] is
 * emitted with %COMLINK_ERROR_CLOSED. Closing twice does nothing.
 *
 * Since: 0.1
 */
void
comlink_endpoint_close (ComlinkEndpoint *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (COMLINK_IS_ENDPOINT (self));

  if (comlink_endpoint_is_closed (self))
    return;

  error = g_error_new_literal (COMLINK_ERROR, COMLINK_ERROR_CLOSED,
                               _ ("The endpoint was closed"));
  comlink_endpoint_close_with_error (self, error);
}

/**
 * comlink_endpoint_is_closed:
 * @self: a #ComlinkEndpoint
 *
 * Tells whether @self is closed.
 *
 * Returns: whether @self is closed
 *
 * Since: 0.1
 */
gboolean
comlink_endpoint_is_closed (ComlinkEndpoint *self)
{
  g_return_val_if_fail (COMLINK_IS_ENDPOINT (self), TRUE);

  return _comlink_endpoint_closed (self);
}

/* --- Bridges --- */

typedef struct
{
  ComlinkEndpoint *ends[2];
  gulong           message_handlers[2];
  gulong           closed_handlers[2];
} Bridge;

static void
bridge_on_message (ComlinkEndpoint *endpoint,
                   GVariant        *message,
                   GUnixFDList     *fd_list,
                   Bridge          *bridge)
{
  ComlinkEndpoint *other = bridge->ends[endpoint == bridge->ends[0]];

  comlink_endpoint_send_with_fds (other, message, fd_list, NULL);
}

static void
bridge_on_closed (ComlinkEndpoint *endpoint,
                  const GError    *error,
                  Bridge          *bridge)
{
  for (guint i = 0; i < 2; i++)
    {
      g_clear_signal_handler (&bridge->message_handlers[i], bridge->ends[i]);
      g_clear_signal_handler (&bridge->closed_handlers[i], bridge->ends[i]);
    }
  for (guint i = 0; i < 2; i++)
    {
      comlink_endpoint_close (bridge->ends[i]);
      g_object_unref (bridge->ends[i]);
    }
  g_free (bridge);
}

void
_comlink_endpoint_bridge (ComlinkEndpoint *a,
                          ComlinkEndpoint *b)
{
  Bridge *bridge = g_new0 (Bridge, 1);

  bridge->ends[0] = g_object_ref (a);
  bridge->ends[1] = g_object_ref (b);
  for (guint i = 0; i < 2; i++)
    {
      bridge->message_handlers[i] = g_signal_connect (bridge->ends[i], "message",
                                                      G_CALLBACK (bridge_on_message), bridge);
      bridge->closed_handlers[i] = g_signal_connect (bridge->ends[i], "closed",
                                                     G_CALLBACK (bridge_on_closed), bridge);
    }
  for (guint i = 0; i < 2; i++)
    comlink_endpoint_start (bridge->ends[i]);
  /* One that was closed already closes the other */
  for (guint i = 0; i < 2 && bridge != NULL; i++)
    if (comlink_endpoint_is_closed (bridge->ends[i]))
      {
        bridge_on_closed (bridge->ends[i], NULL, bridge);
        bridge = NULL;
      }
}
