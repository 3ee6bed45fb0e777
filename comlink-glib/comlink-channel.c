/* SPDX-License-Identifier: LGPL-2.1-or-later */

/**
 * ComlinkChannel:
 *
 * Two connected in-process endpoints, the counterpart of a Web
 * `MessageChannel`.
 *
 * A message sent on one port arrives on the other, in the thread-default
 * main context of the thread that started that port, as the same
 * [struct@GLib.Variant] reference: nothing is copied or serialised. File
 * descriptors sent beside a message arrive as duplicates.
 *
 * Each port queues what it receives and is woken by a [struct@GLib.Source]
 * of its own only when its queue goes from empty to non-empty, so a burst
 * of messages costs one wakeup.
 *
 * Both ends are in one process, so a request can also be cancelled
 * without a message: the side that serves a request records it under its
 * call id while it is being served, and the calling side cancels it from
 * its own thread, even while the serving thread is busy (see
 * _comlink_channel_cancel_peer_request()).
 *
 * Lifetime: the two ports share a small reference-counted state that holds
 * the queues and the records of requests being served. The channel object only holds the two ports; it may be
 * dropped as soon as each port has an owner. A port that is finalized
 * without being closed counts as closed for its peer. Release a port in the
 * thread that started it.
 *
 * An object exposed on one port and wrapped on the other:
 *
 * |[<!-- language="C" -->
 * g_autoptr(ComlinkChannel) channel = comlink_channel_new ();
 * g_autoptr(ComlinkConnection) connection = comlink_expose (G_OBJECT (calculator),
 *                                                           comlink_channel_get_port1 (channel));
 * g_autoptr(ComlinkProxy) proxy = comlink_wrap (comlink_channel_get_port2 (channel));
 * ]|
 *
* See also: [New endpoints](endpoints.html), [Lifetimes and
 * threads](lifecycle.html).
 *
 * Since: 0.1
 */

#include "config.h"

#include "comlink-channel-private.h"
#include "comlink-endpoint-private.h"
#include "comlink-error.h"
#include "comlink-private.h"

#define COMLINK_TYPE_CHANNEL_PORT (comlink_channel_port_get_type ())
G_DECLARE_FINAL_TYPE (ComlinkChannelPort, comlink_channel_port, COMLINK, CHANNEL_PORT, ComlinkEndpoint)

typedef struct _PortSource PortSource;


typedef struct
{
  gatomicrefcount     ref_count;
  GMutex              mutex;
  ComlinkChannelPort *ports[2];

  /* For each side, the requests it serves for the other: call id ->
   * item, not owned (the item removes itself before it goes). Made on
   * first use; protected by served_mutex, not by mutex, so that the
   * queues never wait for a cancellation. */
  GMutex      served_mutex;
  GHashTable *served[2];
  /* For each side, the ids of requests cancelled before it began to
   * serve them (guint64 keys in order, made on first use), and the
   * highest id it began to serve: requests are served in the order of
   * their ids, so that those below it are dropped from the front */
  GTree   *cancelled_early[2];
  guint64  last_served[2];
  gboolean caller_gone[2]; /* the other side cancelled everything */
} ChannelShared;

struct _ComlinkChannelPort
{
  ComlinkEndpoint parent_instance;

  ChannelShared *shared;
  guint          side;

  /* Protected by shared->mutex */
  GQueue      queue;
  PortSource *source;
  guint       peer_closed : 1;
  guint       local_closed : 1;
};

struct _PortSource
{
  GSource  source;
  GWeakRef port;
  gint     ready; /* atomic: messages wait, or the peer closed; set
                  * with the shared mutex held, read without it */
};

struct _ComlinkChannel
{
  GObject          parent_instance;
  ComlinkEndpoint *ports[2];
};

G_DEFINE_FINAL_TYPE (ComlinkChannelPort, comlink_channel_port, COMLINK_TYPE_ENDPOINT)
G_DEFINE_FINAL_TYPE (ComlinkChannel, comlink_channel, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_PORT1,
  PROP_PORT2,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static ChannelShared *
channel_shared_ref (ChannelShared *shared)
{
  g_atomic_ref_count_inc (&shared->ref_count);
  return shared;
}

static void
channel_shared_unref (ChannelShared *shared)
{
  if (g_atomic_ref_count_dec (&shared->ref_count))
    {
      g_clear_pointer (&shared->served[0], g_hash_table_unref);
      g_clear_pointer (&shared->served[1], g_hash_table_unref);
      g_clear_pointer (&shared->cancelled_early[0], g_tree_unref);
      g_clear_pointer (&shared->cancelled_early[1], g_tree_unref);
      g_mutex_clear (&shared->served_mutex);
      g_mutex_clear (&shared->mutex);
      g_free (shared);
    }
}

/* Called with shared->mutex held. */
static void
port_wake_locked (ComlinkChannelPort *port)
{
  if (port->source != NULL && !g_atomic_int_get (&port->source->ready))
    {
      GMainContext *context = g_source_get_context ((GSource *) port->source);

      /* One wakeup of the port's context, and none when it is taken:
       * g_source_set_ready_time () would wake it both times */
      g_atomic_int_set (&port->source->ready, 1);
      if (context != NULL)
        g_main_context_wakeup (context);
    }
}

static gboolean
port_source_prepare (GSource *source,
                     gint    *timeout)
{
  *timeout = -1;
  return g_atomic_int_get (&((PortSource *) source)->ready) != 0;
}

static gboolean
port_source_check (GSource *source)
{
  return g_atomic_int_get (&((PortSource *) source)->ready) != 0;
}

static gboolean
port_source_dispatch (GSource    *source,
                      GSourceFunc callback,
                      gpointer    user_data)
{
  PortSource *port_source = (PortSource *) source;
  g_autoptr(ComlinkChannelPort) port = g_weak_ref_get (&port_source->port);
  GQueue                batch = G_QUEUE_INIT;
  gboolean              peer_closed;
  ComlinkQueuedMessage *item;

  if (port == NULL)
    {
      g_atomic_int_set (&port_source->ready, 0);
      return G_SOURCE_CONTINUE;
    }

  g_mutex_lock (&port->shared->mutex);
  batch = port->queue;
  g_queue_init (&port->queue);
  g_atomic_int_set (&port_source->ready, 0);
  peer_closed = port->peer_closed;
  g_mutex_unlock (&port->shared->mutex);

  /* Once a message closed the port, the rest go undelivered (each
   * delivery checks) */
  while ((item = _comlink_queued_message_pop (&batch)))
    {
      _comlink_queued_message_deliver (item, (ComlinkEndpoint *) port);
      _comlink_queued_message_free (item);
    }

  if (peer_closed)
    {
      g_autoptr(GError) error = g_error_new_literal (COMLINK_ERROR, COMLINK_ERROR_CLOSED,
                                                      _ ("The peer closed the channel"));
      comlink_endpoint_close_with_error (COMLINK_ENDPOINT (port), error);
    }

  return G_SOURCE_CONTINUE;
}

static void
port_source_finalize (GSource *source)
{
  g_weak_ref_clear (&((PortSource *) source)->port);
}

static GSourceFuncs port_source_funcs = {
  .prepare = port_source_prepare,
  .check = port_source_check,
  .dispatch = port_source_dispatch,
  .finalize = port_source_finalize,
};

static void
comlink_channel_port_start (ComlinkEndpoint *endpoint)
{
  ComlinkChannelPort *self = COMLINK_CHANNEL_PORT (endpoint);
  PortSource         *source;

  source = (PortSource *) g_source_new (&port_source_funcs, sizeof (PortSource));
  g_weak_ref_init (&source->port, self);
  g_source_set_static_name ((GSource *) source, "[comlink] channel port");
  /* Delivering a message may run a nested main loop (a _sync call made from
   * a handler); the port must keep delivering inside it. */
  g_source_set_can_recurse ((GSource *) source, TRUE);
  g_source_attach ((GSource *) source, comlink_endpoint_get_context (endpoint));

  g_mutex_lock (&self->shared->mutex);
  self->source = source;
  if (self->queue.length > 0 || self->peer_closed)
    port_wake_locked (self);
  g_mutex_unlock (&self->shared->mutex);
}

/* Queues @item for the peer, with duplicates of the descriptors of
 * @fd_list, as over a socket; takes @item */
static gboolean
port_queue (ComlinkChannelPort   *self,
            ComlinkQueuedMessage *item,
            GUnixFDList          *fd_list,
            GError              **error)
{
  ComlinkChannelPort *peer;
  gboolean            ret = FALSE;

  if (fd_list != NULL)
    {
      gint        n_fds = 0;
      const gint *fds = g_unix_fd_list_peek_fds (fd_list, &n_fds);

      item->fds = g_unix_fd_list_new ();
      for (gint i = 0; i < n_fds; i++)
        if (g_unix_fd_list_append (item->fds, fds[i], error) < 0)
          {
            _comlink_queued_message_free (item);
            return FALSE;
          }
    }

  g_mutex_lock (&self->shared->mutex);
  peer = self->shared->ports[!self->side];
  if (self->local_closed || self->peer_closed || peer == NULL)
    g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_CLOSED,
                         _ ("The peer closed the channel"));
  else
    {
      _comlink_queued_message_push (&peer->queue, g_steal_pointer (&item));
      port_wake_locked (peer);
      ret = TRUE;
    }
  g_mutex_unlock (&self->shared->mutex);

  if (item != NULL)
    _comlink_queued_message_free (item);

  return ret;
}

static gboolean
comlink_channel_port_send (ComlinkEndpoint *endpoint,
                           GVariant        *message,
                           GUnixFDList     *fd_list,
                           GError         **error)
{
  ComlinkQueuedMessage *item = _comlink_queued_message_new (NULL);

  item->variant = g_variant_ref (message);
  return port_queue (COMLINK_CHANNEL_PORT (endpoint), item, fd_list, error);
}

/* A message of the connection goes as it is: no GVariant of the whole is
 * built here nor taken apart there, and the body is the same reference */
static gboolean
comlink_channel_port_send_message (ComlinkEndpoint       *endpoint,
                                   const ComlinkOutgoing *message,
                                   GUnixFDList           *fd_list,
                                   GError               **error)
{
  ComlinkQueuedMessage *item = _comlink_queued_message_new (NULL);

  _comlink_message_take (&item->message, message);
  return port_queue ((ComlinkChannelPort *) endpoint, item, fd_list, error);
}

/* Called with shared->mutex held. Marks this side closed, tells the peer
 * and returns what is left in this side's queue, to be freed unlocked. */
static void
port_detach_locked (ComlinkChannelPort *self,
                    GQueue             *leftover,
                    PortSource        **source)
{
  ComlinkChannelPort *peer = self->shared->ports[!self->side];

  self->local_closed = TRUE;
  if (peer != NULL && !peer->peer_closed)
    {
      peer->peer_closed = TRUE;
      port_wake_locked (peer);
    }
  *leftover = self->queue;
  g_queue_init (&self->queue);
  *source = g_steal_pointer (&self->source);
}

static void
port_release_detached (GQueue     *leftover,
                       PortSource *source)
{
  _comlink_queued_messages_clear (leftover);
  if (source != NULL)
    {
      g_source_destroy ((GSource *) source);
      g_source_unref ((GSource *) source);
    }
}

static void
comlink_channel_port_close (ComlinkEndpoint *endpoint)
{
  ComlinkChannelPort *self = COMLINK_CHANNEL_PORT (endpoint);
  GQueue              leftover;
  PortSource         *source;

  g_mutex_lock (&self->shared->mutex);
  port_detach_locked (self, &leftover, &source);
  g_mutex_unlock (&self->shared->mutex);

  port_release_detached (&leftover, source);
}

static void
comlink_channel_port_finalize (GObject *object)
{
  ComlinkChannelPort *self = COMLINK_CHANNEL_PORT (object);
  GQueue              leftover;
  PortSource         *source;

  g_mutex_lock (&self->shared->mutex);
  port_detach_locked (self, &leftover, &source);
  self->shared->ports[self->side] = NULL;
  g_mutex_unlock (&self->shared->mutex);

  port_release_detached (&leftover, source);
  channel_shared_unref (self->shared);

  G_OBJECT_CLASS (comlink_channel_port_parent_class)->finalize (object);
}

static gboolean
comlink_channel_port_can_send_fds (ComlinkEndpoint *endpoint)
{
  return TRUE;
}

static void
comlink_channel_port_class_init (ComlinkChannelPortClass *klass)
{
  GObjectClass         *object_class = G_OBJECT_CLASS (klass);
  ComlinkEndpointClass *endpoint_class = COMLINK_ENDPOINT_CLASS (klass);

  object_class->finalize = comlink_channel_port_finalize;

  endpoint_class->start = comlink_channel_port_start;
  endpoint_class->send = comlink_channel_port_send;
  endpoint_class->can_send_fds = comlink_channel_port_can_send_fds;
  endpoint_class->close = comlink_channel_port_close;
  _comlink_endpoint_class_get_private (endpoint_class)->send_message = comlink_channel_port_send_message;
}

static void
comlink_channel_port_init (ComlinkChannelPort *self)
{
  g_queue_init (&self->queue);
}

static void
comlink_channel_finalize (GObject *object)
{
  ComlinkChannel *self = COMLINK_CHANNEL (object);

  g_clear_object (&self->ports[0]);
  g_clear_object (&self->ports[1]);

  G_OBJECT_CLASS (comlink_channel_parent_class)->finalize (object);
}

static void
comlink_channel_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  ComlinkChannel *self = COMLINK_CHANNEL (object);

  switch (prop_id)
    {
    case PROP_PORT1:
      g_value_set_object (value, self->ports[0]);
      break;

    case PROP_PORT2:
      g_value_set_object (value, self->ports[1]);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
comlink_channel_class_init (ComlinkChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = comlink_channel_finalize;
  object_class->get_property = comlink_channel_get_property;

  /**
   * ComlinkChannel:port1:
   *
   * The first port.
   *
   * Since: 0.1
   */
  properties[PROP_PORT1] =
    g_param_spec_object ("port1", NULL, NULL,
                         COMLINK_TYPE_ENDPOINT,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkChannel:port2:
   *
   * The second port.
   *
   * Since: 0.1
   */
  properties[PROP_PORT2] =
    g_param_spec_object ("port2", NULL, NULL,
                         COMLINK_TYPE_ENDPOINT,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
comlink_channel_init (ComlinkChannel *self)
{
  ChannelShared *shared = g_new0 (ChannelShared, 1);

  g_atomic_ref_count_init (&shared->ref_count);
  g_mutex_init (&shared->mutex);
  g_mutex_init (&shared->served_mutex);

  for (guint i = 0; i < 2; i++)
    {
      ComlinkChannelPort *port = g_object_new (COMLINK_TYPE_CHANNEL_PORT, NULL);

      port->shared = i == 0 ? shared : channel_shared_ref (shared);
      port->side = i;
      shared->ports[i] = port;
      self->ports[i] = COMLINK_ENDPOINT (port);
    }
}

/**
 * comlink_channel_new:
 *
 * Creates two connected in-process endpoints.
 *
 * Returns: (transfer full): a new #ComlinkChannel
 *
 * Since: 0.1
 */
ComlinkChannel *
comlink_channel_new (void)
{
  return g_object_new (COMLINK_TYPE_CHANNEL, NULL);
}

/**
 * comlink_channel_get_port1:
 * @self: a #ComlinkChannel
 *
 * Gets the first port of @self, connected to the second.
 *
 * Returns: (transfer none): the first port of @self
 *
 * Since: 0.1
 */
ComlinkEndpoint *
comlink_channel_get_port1 (ComlinkChannel *self)
{
  g_return_val_if_fail (COMLINK_IS_CHANNEL (self), NULL);

  return self->ports[0];
}

/**
 * comlink_channel_get_port2:
 * @self: a #ComlinkChannel
 *
 * Gets the second port of @self, connected to the first.
 *
 * Returns: (transfer none): the second port of @self
 *
 * Since: 0.1
 */
ComlinkEndpoint *
comlink_channel_get_port2 (ComlinkChannel *self)
{
  g_return_val_if_fail (COMLINK_IS_CHANNEL (self), NULL);

  return self->ports[1];
}

/* --- In-process cancellation --- */

static gint
compare_ids (gconstpointer a,
             gconstpointer b,
             gpointer      user_data)
{
  guint64 x = *(const guint64 *) a;
  guint64 y = *(const guint64 *) b;

  return x < y ? -1 : x > y;
}

/* Records that the side of @port serves request @id as @item. Returns
 * %TRUE if the request was cancelled before it came to be served: its
 * CANCEL waits behind it, possibly for a long time. */
gboolean
_comlink_channel_add_served (ComlinkEndpoint *port,
                             guint64          id,
                             gpointer         item)
{
  ComlinkChannelPort *self = COMLINK_CHANNEL_PORT (port);
  ChannelShared      *shared = self->shared;
  GTree             **early = &shared->cancelled_early[self->side];
  guint64            *key = g_new (guint64, 1);
  gboolean            cancelled = FALSE;

  *key = id;
  g_mutex_lock (&shared->served_mutex);
  shared->last_served[self->side] = MAX (shared->last_served[self->side], id);
  if (*early != NULL)
    {
      GTreeNode *first;

      cancelled = g_tree_remove (*early, &id);
      /* Older ones were served without a record (plain calls): each id
       * is dropped once, in logarithmic time */
      while ((first = g_tree_node_first (*early)) != NULL && *(guint64 *) g_tree_node_key (first) < id)
        g_tree_remove (*early, g_tree_node_key (first));
      if (g_tree_nnodes (*early) == 0)
        g_clear_pointer (early, g_tree_unref);
    }
  if (shared->served[self->side] == NULL)
    shared->served[self->side] = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_hash_table_replace (shared->served[self->side], key, item);
  cancelled = cancelled || shared->caller_gone[self->side];
  g_mutex_unlock (&shared->served_mutex);

  return cancelled;
}

/* Forgets request @id, if @item still serves it */
void
_comlink_channel_remove_served (ComlinkEndpoint *port,
                                guint64          id,
                                gpointer         item)
{
  ComlinkChannelPort *self = COMLINK_CHANNEL_PORT (port);
  ChannelShared      *shared = self->shared;
  GHashTable         *served;

  g_mutex_lock (&shared->served_mutex);
  served = shared->served[self->side];
  if (served != NULL && g_hash_table_lookup (served, &id) == item)
    g_hash_table_remove (served, &id);
  g_mutex_unlock (&shared->served_mutex);
}

/* Cancels, from the calling thread, request @id that the peer of @port
 * serves, if it still does, or will serve, if it has not begun to: @claim runs on its item with the records
 * locked and returns a new reference to a cancellable, or NULL. The
 * cancellable is cancelled once they are unlocked, since its handlers may
 * answer the request. Any thread. */
void
_comlink_channel_cancel_peer_request (ComlinkEndpoint        *port,
                                      guint64                 id,
                                      ComlinkChannelClaimFunc claim)
{
  ComlinkChannelPort *self = COMLINK_CHANNEL_PORT (port);
  ChannelShared      *shared = self->shared;
  GHashTable         *served;
  GCancellable       *cancellable = NULL;
  gpointer            item = NULL;

  g_mutex_lock (&shared->served_mutex);
  served = shared->served[!self->side];
  if (served != NULL && (item = g_hash_table_lookup (served, &id)) != NULL)
    cancellable = claim (item);
  else if (id > shared->last_served[!self->side])
    {
      /* Not served yet: maybe queued behind a request that blocks */
      guint64 *key = g_new (guint64, 1);

      *key = id;
      if (shared->cancelled_early[!self->side] == NULL)
        shared->cancelled_early[!self->side] = g_tree_new_full (compare_ids, NULL, g_free, NULL);
      g_tree_replace (shared->cancelled_early[!self->side], key, key);
    }
  g_mutex_unlock (&shared->served_mutex);

  if (cancellable != NULL)
    {
      g_cancellable_cancel (cancellable);
      g_object_unref (cancellable);
    }
}

/* Cancels every request that the peer of @port serves or will serve for
 * it, as _comlink_channel_cancel_peer_request() does: the side of @port
 * closed. */
void
_comlink_channel_cancel_peer_requests (ComlinkEndpoint        *port,
                                       ComlinkChannelClaimFunc claim)
{
  ComlinkChannelPort *self = COMLINK_CHANNEL_PORT (port);
  ChannelShared      *shared = self->shared;
  GPtrArray          *cancellables = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTable         *served;

  g_mutex_lock (&shared->served_mutex);
  /* Also those still queued behind a request that blocks */
  shared->caller_gone[!self->side] = TRUE;
  served = shared->served[!self->side];
  if (served != NULL)
    {
      GHashTableIter iter;
      gpointer       item;

      g_hash_table_iter_init (&iter, served);
      while (g_hash_table_iter_next (&iter, NULL, &item))
        {
          GCancellable *cancellable = claim (item);

          if (cancellable != NULL)
            g_ptr_array_add (cancellables, cancellable);
        }
    }
  g_mutex_unlock (&shared->served_mutex);

  for (guint i = 0; i < cancellables->len; i++)
    g_cancellable_cancel (g_ptr_array_index (cancellables, i));
  g_ptr_array_unref (cancellables);
}

/* --- Parking --- */

G_LOCK_DEFINE_STATIC (parked);
static GHashTable *parked;

char *
_comlink_channel_park (ComlinkEndpoint *endpoint)
{
  char *token = g_strdup_printf ("%08x%08x%08x%08x",
                                 g_random_int (), g_random_int (), g_random_int (), g_random_int ());

  G_LOCK (parked);
  if (parked == NULL)
    parked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  g_hash_table_insert (parked, g_strdup (token), g_object_ref (endpoint));
  G_UNLOCK (parked);

  return token;
}

ComlinkEndpoint *
_comlink_channel_claim (const char *token)
{
  ComlinkEndpoint *endpoint = NULL;
  gpointer         key = NULL;

  G_LOCK (parked);
  if (parked != NULL)
    g_hash_table_steal_extended (parked, token, &key, (gpointer *) &endpoint);
  G_UNLOCK (parked);
  g_free (key);

  return endpoint;
}

/* Drops an endpoint nobody claimed: closing it closes its peer too */
void
_comlink_channel_unpark (const char *token)
{
  g_autoptr(ComlinkEndpoint) endpoint = _comlink_channel_claim (token);

  if (endpoint != NULL)
    comlink_endpoint_close (endpoint);
}

gboolean
_comlink_channel_is_port (gpointer object)
{
  return COMLINK_IS_CHANNEL_PORT (object);
}
