/* SPDX-License-Identifier: LGPL-2.1-or-later */

/**
 * ComlinkConnection:
 *
 * The RPC state of one endpoint, the same object on both sides: either
 * side may expose an object and wrap the peer's.
 *
 * A connection holds the table of calls waiting for a reply, the table of
 * objects exported to the peer (with a count of the references sent), the
 * table of proxies of the peer's objects, and the requests being served.
 * It is created for an endpoint by [func@Comlink.expose],
 * [func@Comlink.wrap] or [func@Comlink.Connection.get_for_endpoint], and
 * lives in the thread-default main context of the thread that created it.
 *
 * Lifetime: while open, a connection holds a reference to itself, and to
 * its endpoint, its exposed object, the objects exported to the peer, the
 * local objects whose signals the peer subscribed to (through their
 * handlers), the connections of endpoints it created for the peer, and
 * the tokens of endpoints it handed over; proxies, invocations and pending
 * tasks hold the connection. Closing it (by hand, because the endpoint
 * closed, on a protocol error, or when its worker is terminated) fails
 * every pending call, cancels every request being served, turns every
 * proxy defunct, ends every subscription on both sides, drops every
 * exported object, closes the endpoints it created and the ones the peer
 * never claimed, and drops the self reference in an idle. Whatever releases the last reference from another thread
 * hands it to the connection's context, so that a connection is always
 * finalized in its own thread.
 *
 * Both sides of a connection over a channel in one process:
 *
 * |[<!-- language="C" -->
 * g_autoptr(ComlinkChannel) channel = comlink_channel_new ();
 * g_autoptr(ComlinkConnection) exposing = comlink_expose (G_OBJECT (calculator),
 *                                                         comlink_channel_get_port1 (channel));
 * g_autoptr(ComlinkProxy) proxy = comlink_wrap (comlink_channel_get_port2 (channel));
 *
 * // Calls through proxy give up after 5 s, unless they set their own timeout
 * comlink_connection_set_timeout (exposing, 5000);
 *
 * // ... later: pending calls fail, proxies are released
 * comlink_connection_close (exposing);
 * ]|
 *
* See also: [Lifetimes and threads](lifecycle.html), [Release hooks and
 * limits](release-and-limits.html), [A hostile peer](security.html), [The
 * wire protocol](protocol.html).
 *
 * Since: 0.1
 */

/*
 * The file is ordered by concept, each in a section with a heading:
 * sending, outgoing calls (the pending table, timeouts, cancellation),
 * serving (requests and invocations, held requests and backpressure,
 * incoming messages and nesting), object tables (exports, imports,
 * proxies, releases), signals (subscriptions both ways), endpoints (new
 * endpoints, parking), closing, then the GObject boilerplate and the
 * public API. Who holds what is written on each field of the structure.
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "comlink-channel-private.h"
#include "comlink-call-result-private.h"
#include "comlink-connection-private.h"
#include "comlink-dispatch-private.h"
#include "comlink-endpoint-private.h"
#include "comlink-error.h"
#include "comlink-exposable-private.h"
#include "comlink-invocation-private.h"
#include "comlink-private.h"
#include "comlink-proxy-private.h"
#include "comlink-value-private.h"

/* The records of the tables of the connection */

typedef struct
{
  guint64       id;
  gpointer      task; /* owned: a ComlinkCallResult or a GTask */
  GCancellable *cancellable;
  gulong        cancelled_id;
  GSource      *timeout;
  guint         timeout_msec;
} PendingCall;

/* What a call's GCancellable handler knows: it may outlive the call */
typedef struct
{
  GWeakRef connection;
  guint64  id;
} CancelData;

typedef struct
{
  guint64  id;
  guint64  count;
  GObject *object;
} ExportRecord;

/* A subscription of this side to a signal of a peer's object. Its id is
 * the id of the SUBSCRIBE call. */
typedef struct
{
  guint64               id;
  GClosure             *closure;
  GMainContext         *context;
  GWeakRef              proxy;
  ComlinkSubscribeFlags flags;
} Subscription;

/* A handler connected, for the peer, to a signal of a local object. The
 * closure owns it. */
typedef struct
{
  guint64   id;
  GObject  *object;
  gulong    handler;
  GClosure *closure;
  GWeakRef  connection;
  /* The detail asked for, when no quark of that name exists: emissions
   * are compared with it by name, so that peer input creates no quark */
  char *detail;
} Emitter;

/* A message of the peer held back, to be handled later in order */
typedef struct
{
  ComlinkMessage message;
  GUnixFDList   *fds;
  guint          n_fds;
  gsize          size;
  gboolean       for_root; /* a request for the root object */
} HeldMessage;

#define COMLINK_DEFAULT_MAX_PENDING_CALLS 65536
#define COMLINK_DEFAULT_MAX_EXPORTS 65536
#define COMLINK_DEFAULT_MAX_HELD_REQUESTS 1024
#define COMLINK_DEFAULT_MAX_HELD_FDS 256
#define COMLINK_DEFAULT_MAX_HELD_BYTES (64 * 1024 * 1024)
#define COMLINK_DEFAULT_MAX_SUBSCRIPTIONS 4096
#define COMLINK_DEFAULT_MAX_QUEUED_BYTES (64 * 1024 * 1024)
#define COMLINK_DEFAULT_MAX_NESTING_DEPTH 64

struct _ComlinkConnection
{
  GObject parent_instance;

  /* Set up once (connection_setup()), then only read */
  ComlinkEndpoint *endpoint;       /* owned, until finalize; it points back
                                    * only through its receiver and written
                                    * notification, cleared on close and
                                    * dispose */
  GMainContext    *context;        /* owned; the endpoint's, where the
                                    * connection lives and is finalized */
  gulong           closed_handler; /* on endpoint; dropped on close */

  /* Requests and signal emissions of the peer being handled on this
   * thread's stack, each in a main loop nested in the one before; changed
   * only in the connection's context, read atomically from anywhere */
  gint depth;

  GMutex mutex;
  /* Everything below is protected by mutex */
  GObject *root; /* owned: the exposed object; dropped on close, in the
                  * connection's context, after ::released */
  /* Of HeldMessage, owned: requests for the root before it was exposed,
   * requests and emissions that came deeper than max_nesting_depth, and
   * messages parked while more than max_queued_bytes wait to be written.
   * Each holds its message and its descriptors, closed when it is served
   * or dropped on close. */
  GQueue   held;
  guint    held_fds;
  guint64  held_bytes;
  guint    held_for_root;
  GSource *drain_source; /* owned; its callback holds the connection */
  GError  *close_error;  /* owned; set once, on close */
  guint64  next_call_id;
  guint64  next_export_id;
  /* id -> PendingCall, owned; each call holds its task, which holds the
   * connection through its proxy; freed in the thread that completes it
   * (reply, cancel, timeout, close) */
  GHashTable *pending;
  /* id -> ComlinkInvocation, not owned: an invocation holds the
   * connection and leaves the table when it answers; close abandons the
   * ones still in it */
  GHashTable *invocations;
  /* id -> ExportRecord, owned; each record holds its object until the
   * peer released every reference sent (then it is dropped in the
   * connection's context, after ::released), or until a message that
   * carried it could not be sent */
  GHashTable *exports;
  GHashTable *export_ids; /* GObject -> ExportRecord, not owned: the
                           * records of exports */
  /* id -> ComlinkProxyRecord and set of ComlinkProxyRecord, not owned: a
   * record belongs to its proxy, which holds the connection and
   * unregisters itself when it goes; close turns every one defunct */
  GHashTable *imports;
  GHashTable *proxies;
  /* id -> Subscription, owned: this side's subscriptions to signals of
   * the peer's objects; each holds the subscriber's closure and context
   * and a weak reference to its proxy */
  GHashTable *subscribed;
  /* id -> Emitter, owned: handlers connected for the peer to signals of
   * local objects. Freeing one disconnects its handler; the emitter itself
   * (which holds the object and a weak reference to the connection) dies
   * with its closure, in the thread that drops it last */
  GHashTable *serving;
  /* Tokens (owned strings) of endpoints handed to the peer; those it
   * never claimed are closed on close */
  GPtrArray *parked;
  /* Owned connections of the endpoints created for the peer, served in
   * this context; they close with this one */
  GPtrArray *spawned;
  GArray    *releases;       /* of ComlinkRelease: the next batch */
  GSource   *release_source; /* owned; its callback holds the connection */
  guint      timeout_msec;
  guint      max_pending_calls;
  guint      max_exports;
  guint      max_held_requests;
  guint      max_held_fds;
  guint64    max_held_bytes;
  guint      max_subscriptions;
  guint      max_nesting_depth;
  guint64    max_queued_bytes;
  guint      paused : 1; /* the endpoint stopped reading */
  guint      closed : 1;
  guint      ready : 1;
  guint      had_proxies : 1;
  guint      holds_self : 1; /* the open connection's reference to itself */
};

G_DEFINE_FINAL_TYPE (ComlinkConnection, comlink_connection, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_ENDPOINT,
  PROP_READY,
  PROP_CLOSED,
  PROP_N_PROXIES,
  PROP_N_EXPORTS,
  PROP_TIMEOUT,
  PROP_MAX_PENDING_CALLS,
  PROP_MAX_EXPORTS,
  PROP_MAX_HELD_REQUESTS,
  PROP_MAX_HELD_FDS,
  PROP_MAX_HELD_BYTES,
  PROP_MAX_SUBSCRIPTIONS,
  PROP_MAX_QUEUED_BYTES,
  PROP_MAX_NESTING_DEPTH,
  N_PROPS
};

enum
{
  CLOSED,
  RELEASED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint       signals[N_SIGNALS];
static GQuark      connection_quark;
G_LOCK_DEFINE_STATIC (endpoint_connection);

/* Across sections: the handlers of the peer's messages are in the
 * section of their concept, the dispatch in "serving" */
static gboolean congested_locked (ComlinkConnection *self);
static GError  *congested_error_locked (ComlinkConnection *self);
static void     serve_held (ComlinkConnection *self);
static void     deliver_message (ComlinkConnection *self,
                                 ComlinkMessage    *message,
                                 GUnixFDList       *fds,
                                 gboolean           held);
static void     handle_release (ComlinkConnection *self,
                                ComlinkMessage    *message);
static void     handle_subscribe (ComlinkConnection *self,
                                  ComlinkMessage    *message);
static void     handle_unsubscribe (ComlinkConnection *self,
                                    ComlinkMessage    *message);
static void     handle_signal (ComlinkConnection *self,
                               ComlinkMessage    *message,
                               GUnixFDList       *fds);
static void     handle_endpoint (ComlinkConnection *self,
                                 ComlinkMessage    *message);
static void     handle_describe (ComlinkConnection *self,
                                 ComlinkMessage    *message);
static void     emit_released (ComlinkConnection *self,
                               GObject           *object);

/* --- Sending --- */

/* Every message goes out through send_locked_checked(), with the mutex
 * held, so that nothing is sent once the connection closed. */

static void
value_free (gpointer value)
{
  g_boxed_free (G_TYPE_VALUE, value);
}

static GHashTable *
new_id_table (GDestroyNotify value_destroy)
{
  return g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, value_destroy);
}

/* The work of these sources is done by their destroy notify, which also
 * runs if the context goes away before they are dispatched. */
static gboolean
do_nothing (gpointer data)
{
  return G_SOURCE_REMOVE;
}

/* Drops a reference to @self in the connection's own context, so that the
 * connection is finalized in its own thread whoever drops it last. */
void
_comlink_connection_unref_in_context (ComlinkConnection *self)
{
  GMainContext *current = g_main_context_get_thread_default ();

  if (current == NULL)
    current = g_main_context_default ();

  if (current == self->context)
    g_object_unref (self);
  else
    g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, do_nothing,
                                self, g_object_unref);
}

/* Called with the mutex held; takes @message. Only a message the endpoint
 * refuses (too large) is reported: a closed endpoint tells the connection
 * through ::closed, which fails the calls. */
static gboolean
send_locked_checked (ComlinkConnection *self,
                     ComlinkOutgoing    message,
                     GUnixFDList       *fds,
                     GError           **error)
{
  g_autoptr(GError) local_error = NULL;
  gboolean ret = TRUE;

  /* Messages go out at once, also before the peer's handshake arrived:
   * the peer reads this side's handshake first, and keeps requests for an
   * object it has not exposed yet. */
  if (!_comlink_endpoint_send_message (self->endpoint, &message, fds, &local_error) &&
      !g_error_matches (local_error, COMLINK_ERROR, COMLINK_ERROR_CLOSED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      ret = FALSE;
    }
  _comlink_outgoing_clear (&message);

  return ret;
}

/* Called with the mutex held */
static void
send_locked (ComlinkConnection *self,
             ComlinkOutgoing    message)
{
  send_locked_checked (self, message, NULL, NULL);
}

/* Takes the mutex itself; a message for a closed connection is dropped */
static void
send_message_with_fds (ComlinkConnection *self,
                       ComlinkOutgoing    message,
                       GUnixFDList       *fds)
{
  g_mutex_lock (&self->mutex);
  if (!self->closed)
    send_locked_checked (self, message, fds, NULL);
  else
    _comlink_outgoing_clear (&message);
  g_mutex_unlock (&self->mutex);
}

static void
send_message (ComlinkConnection *self,
              ComlinkOutgoing    message)
{
  send_message_with_fds (self, message, NULL);
}

static GError *
close_error_copy_locked (ComlinkConnection *self)
{
  if (self->close_error != NULL)
    return g_error_copy (self->close_error);

  return g_error_new_literal (COMLINK_ERROR, COMLINK_ERROR_CLOSED,
                              _ ("The connection is closed"));
}

const GError *
_comlink_connection_get_close_error (ComlinkConnection *self)
{
  return self->close_error;
}

static void
protocol_error (ComlinkConnection *self,
                GError            *error)
{
  g_debug ("Closing connection on protocol error: %s", error->message);
  _comlink_connection_close_with_error (self, error);
  g_error_free (error);
}

static void
reply_error (ComlinkConnection *self,
             guint64            call_id,
             const GError      *error)
{
  send_message (self, _comlink_message_new_error (call_id, error));
}

/* --- Outgoing calls: the pending table, timeouts, cancellation --- */

/* A call waits in the pending table until its reply, its cancellable, its
 * timeout or the closing of the connection completes its task, exactly
 * once: whichever comes first steals it from the table. */

static void
cancel_data_free (gpointer data)
{
  CancelData *cancel = data;

  g_weak_ref_clear (&cancel->connection);
  g_free (cancel);
}

static gboolean
disconnect_cancellable (gpointer data)
{
  PendingCall *pending = data;

  g_cancellable_disconnect (pending->cancellable, pending->cancelled_id);
  g_object_unref (pending->cancellable);
  g_free (pending);

  return G_SOURCE_REMOVE;
}

static void
pending_call_free (gpointer data)
{
  PendingCall *pending = data;

  g_clear_pointer (&pending->task, _comlink_result_release);
  if (pending->timeout != NULL)
    {
      g_source_destroy (pending->timeout);
      g_clear_pointer (&pending->timeout, g_source_unref);
    }
  if (pending->cancelled_id != 0)
    {
      /* g_cancellable_disconnect() deadlocks when it runs inside the
       * emission of ::cancelled, which a completed call's callback may do:
       * disconnect from an idle of the thread-default context instead. */
      GSource *source = g_idle_source_new ();

      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_static_name (source, "[comlink] disconnect cancellable");
      g_source_set_callback (source, disconnect_cancellable, pending, NULL);
      g_source_attach (source, g_main_context_get_thread_default ());
      g_source_unref (source);
      return;
    }
  g_clear_object (&pending->cancellable);
  g_free (pending);
}

/* Completes call @id with G_IO_ERROR_CANCELLED if it is still pending and
 * tells the peer, whose invocation's cancellable fires: at once, from this
 * thread, when the peer is in this process (its thread may be blocked in
 * the handler), and through CANCEL otherwise. Any thread. */
static void
cancel_pending (ComlinkConnection *self,
                guint64            id,
                gboolean           timed_out)
{
  PendingCall *call = NULL;

  g_mutex_lock (&self->mutex);
  g_hash_table_steal_extended (self->pending, &id, NULL, (gpointer *) &call);
  if (call != NULL && !self->closed)
    send_locked (self, _comlink_message_new_cancel (id));
  g_mutex_unlock (&self->mutex);

  if (call == NULL)
    return;

  _comlink_invocation_cancel_peer_request (self->endpoint, id);

  if (timed_out)
    _comlink_result_return_error (call->task, _comlink_timeout_error_new (call->timeout_msec));
  else
    _comlink_result_return_error_if_cancelled (call->task);
  pending_call_free (call);
}

static gboolean
on_call_timeout (gpointer data)
{
  CancelData        *cancel = data;
  ComlinkConnection *self = g_weak_ref_get (&cancel->connection);

  if (self != NULL)
    {
      cancel_pending (self, cancel->id, TRUE);
      g_object_unref (self);
    }

  return G_SOURCE_REMOVE;
}

/* Called with the mutex held. The source lives in the connection's
 * context and dies with its call. */
static GSource *
timeout_source_new (ComlinkConnection *self,
                    guint64            id,
                    guint              timeout_msec)
{
  CancelData *cancel = g_new0 (CancelData, 1);
  GSource    *source = g_timeout_source_new (timeout_msec);

  g_weak_ref_init (&cancel->connection, self);
  cancel->id = id;
  g_source_set_static_name (source, "[comlink] call timeout");
  g_source_set_callback (source, on_call_timeout, cancel, cancel_data_free);
  g_source_attach (source, self->context);

  return source;
}

static void
on_call_cancelled (GCancellable *cancellable,
                   gpointer      data)
{
  CancelData        *cancel = data;
  ComlinkConnection *self = g_weak_ref_get (&cancel->connection);

  if (self != NULL)
    {
      cancel_pending (self, cancel->id, FALSE);
      _comlink_connection_unref_in_context (self);
    }
}

static void
watch_cancellable (ComlinkConnection *self,
                   guint64            id,
                   GCancellable      *cancellable)
{
  CancelData  *cancel = g_new0 (CancelData, 1);
  PendingCall *call;
  gulong       handler;

  g_weak_ref_init (&cancel->connection, self);
  cancel->id = id;
  /* Runs the handler at once if the cancellable fired meanwhile */
  handler = g_cancellable_connect (cancellable, G_CALLBACK (on_call_cancelled),
                                   cancel, cancel_data_free);

  g_mutex_lock (&self->mutex);
  call = g_hash_table_lookup (self->pending, &id);
  if (call != NULL)
    {
      call->cancellable = g_object_ref (cancellable);
      call->cancelled_id = handler;
      handler = 0;
    }
  g_mutex_unlock (&self->mutex);

  /* The call completed before the handler was recorded */
  if (handler != 0)
    g_cancellable_disconnect (cancellable, handler);
}

/* The timeout of a call, in milliseconds, 0 for none: the call's own if
 * set (not negative), else its proxy's if set, else its connection's,
 * which is also its worker's (comlink_worker_set_timeout() sets it). The
 * levels are resolved here and nowhere else. */
guint
_comlink_timeout_resolve (gint  call_timeout_msec,
                          gint  proxy_timeout_msec,
                          guint connection_timeout_msec)
{
  if (call_timeout_msec >= 0)
    return (guint) call_timeout_msec;
  if (proxy_timeout_msec >= 0)
    return (guint) proxy_timeout_msec;
  return connection_timeout_msec;
}

/* The error of a call whose timeout of @timeout_msec expired, on a
 * connection or in a worker pool's queue */
GError *
_comlink_timeout_error_new (guint timeout_msec)
{
  return g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                      /* Translators: ms is the symbol of milliseconds */
                      g_dngettext (GETTEXT_PACKAGE,
                                   "The call timed out after %u ms",
                                   "The call timed out after %u ms",
                                   timeout_msec),
                      timeout_msec);
}

/* Sends a request; @call_timeout_msec and @proxy_timeout_msec are -1
 * when unset (see _comlink_timeout_resolve()) */
void
_comlink_connection_request (ComlinkConnection  *self,
                             ComlinkMessageType  type,
                             guint64             target,
                             GVariant           *path,
                             const char * const *names,
                             const GValue       *args,
                             guint               n_args,
                             gint                call_timeout_msec,
                             gint                proxy_timeout_msec,
                             gpointer            task)
{
  g_autoptr(GVariant) body = NULL;
  g_autoptr(ComlinkWireValues) values = NULL;
  g_autoptr(GUnixFDList) fds = NULL;
  GError         *error = NULL;
  PendingCall    *call;
  ComlinkOutgoing message;
  GCancellable   *cancellable;
  guint64         id;

  if (type == COMLINK_MESSAGE_CALL)
    values = _comlink_values_to_wire_values (self, args, n_args, TRUE, &fds, &error);
  else if (type == COMLINK_MESSAGE_SET)
    values = _comlink_values_to_wire_values (self, &args[0], 1, FALSE, &fds, &error);
  else if (type == COMLINK_MESSAGE_CONSTRUCT)
    {
      g_autoptr(GVariant) arguments = _comlink_values_to_wire (self, args, n_args, &fds, &error);

      if (arguments != NULL)
        {
          GVariant *children[2] = { g_variant_new_strv (names, names ? -1 : 0), arguments };

          body = g_variant_take_ref (g_variant_new_tuple (children, 2));
        }
    }
  else
    body = g_variant_ref (_comlink_wire_unit ());

  if (body == NULL && values == NULL)
    {
      _comlink_result_return_error (task, error);
      return;
    }

  if (_comlink_result_return_error_if_cancelled (task))
    return;

  g_mutex_lock (&self->mutex);
  if (self->closed)
    {
      error = close_error_copy_locked (self);
      g_mutex_unlock (&self->mutex);
      _comlink_result_return_error (task, error);
      return;
    }

  if (g_hash_table_size (self->pending) >= self->max_pending_calls)
    {
      guint max = self->max_pending_calls;

      g_mutex_unlock (&self->mutex);
      _comlink_result_return_error (task, g_error_new (COMLINK_ERROR, COMLINK_ERROR_LIMIT_EXCEEDED,
                                                       g_dngettext (GETTEXT_PACKAGE,
                                                                    "More than %u call would be pending on the connection",
                                                                    "More than %u calls would be pending on the connection",
                                                                    max),
                                                       max));
      return;
    }

  if (congested_locked (self))
    {
      error = congested_error_locked (self);
      g_mutex_unlock (&self->mutex);
      _comlink_result_return_error (task, error);
      return;
    }

  /* Zeroed here rather than by g_new0 (): glibc's calloc() takes no
   * thread cache, and this is the path of every call */
  call = g_new (PendingCall, 1);
  memset (call, 0, sizeof *call);
  call->id = id = ++self->next_call_id;
  call->task = g_object_ref (task);
  call->timeout_msec = _comlink_timeout_resolve (call_timeout_msec, proxy_timeout_msec, self->timeout_msec);
  if (call->timeout_msec > 0)
    call->timeout = timeout_source_new (self, id, call->timeout_msec);
  g_hash_table_insert (self->pending, &call->id, call);
  if (values != NULL)
    message = _comlink_message_new_values (type, call->id, target, path, g_steal_pointer (&values));
  else
    message = _comlink_message_new (type, call->id, target, path, body);
  if (!send_locked_checked (self, message, fds, &error))
    {
      g_hash_table_steal (self->pending, &id);
      g_mutex_unlock (&self->mutex);
      _comlink_result_return_error (task, error);
      pending_call_free (call);
      return;
    }
  g_mutex_unlock (&self->mutex);

  cancellable = _comlink_result_get_cancellable (task);
  if (cancellable != NULL)
    watch_cancellable (self, id, cancellable);
}

/* The details of a peer's error live on the task of the call, as long as
 * it does: a GError has no room for them */
static GQuark
error_details_quark (void)
{
  static gsize quark = 0;

  if (g_once_init_enter (&quark))
    g_once_init_leave (&quark, g_quark_from_static_string ("comlink-remote-error-details"));

  return (GQuark) quark;
}

static void
error_details_free (gpointer data)
{
  ComlinkErrorDetails *details = data;

  g_free (details->class_name);
  g_free (details->stack);
  g_free (details);
}

static void
task_set_error_details (gpointer  task,
                        GVariant *body)
{
  ComlinkErrorDetails *details = g_new0 (ComlinkErrorDetails, 1);

  if (!_comlink_wire_error_parse_details (body, &details->class_name, &details->stack))
    {
      error_details_free (details);
      return;
    }

  g_object_set_qdata_full (G_OBJECT (task), error_details_quark (), details, error_details_free);
}

/* The details of the peer's error that failed the request of @result (a
 * task or a call result), in @class_name and @stack, each NULL if not
 * given; FALSE if the peer gave none. What the public
 * get_error_details functions answer. */
gboolean
_comlink_result_get_error_details (gpointer     result,
                                   const char **class_name,
                                   const char **stack)
{
  const ComlinkErrorDetails *details = g_object_get_qdata (G_OBJECT (result), error_details_quark ());

  if (class_name != NULL)
    *class_name = details != NULL ? details->class_name : NULL;
  if (stack != NULL)
    *stack = details != NULL ? details->stack : NULL;

  return details != NULL;
}

/* For a task that completes with the result of another (the worker
 * pool's calls) */
void
_comlink_task_copy_error_details (gpointer to,
                                  gpointer from)
{
  const ComlinkErrorDetails *details = g_object_get_qdata (G_OBJECT (from), error_details_quark ());
  ComlinkErrorDetails       *copy;

  if (details == NULL)
    return;

  copy = g_new0 (ComlinkErrorDetails, 1);
  copy->class_name = g_strdup (details->class_name);
  copy->stack = g_strdup (details->stack);
  g_object_set_qdata_full (G_OBJECT (to), error_details_quark (), copy, error_details_free);
}

static void
handle_reply (ComlinkConnection *self,
              ComlinkMessage    *message,
              GUnixFDList       *fds)
{
  PendingCall *call = NULL;
  gboolean     known;
  GError      *error = NULL;
  GValue       value = G_VALUE_INIT;

  g_mutex_lock (&self->mutex);
  g_hash_table_steal_extended (self->pending, &message->id, NULL, (gpointer *) &call);
  known = message->id != 0 && message->id <= self->next_call_id;
  g_mutex_unlock (&self->mutex);

  if (!known)
    {
      protocol_error (self, g_error_new (COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                                         _ ("Reply to call %llu that was never made"),
                                         (unsigned long long) message->id));
      return;
    }

  if (message->type == COMLINK_MESSAGE_ERROR)
    {
      if (call != NULL)
        {
          task_set_error_details (call->task, _comlink_message_get_body (message));
          _comlink_result_return_error (call->task, _comlink_wire_error_parse (_comlink_message_get_body (message)));
        }
      g_clear_pointer (&call, pending_call_free);
      return;
    }

  /* A reply to a call that completed already (it was cancelled) is still
   * decoded, so that the objects it references are released again. */
  if (!_comlink_message_read_plain (message, &value) &&
      !_comlink_value_from_wire (self, _comlink_message_get_body (message), fds, &value, &error))
    {
      if (call != NULL)
        _comlink_result_return_error (call->task, g_error_copy (error));
      g_clear_pointer (&call, pending_call_free);
      protocol_error (self, error);
      return;
    }

  if (call != NULL && G_IS_VALUE (&value))
    {
      /* The task takes the value over */
      GValue *result = g_new (GValue, 1);

      *result = value;
      memset (&value, 0, sizeof value);
      _comlink_result_return_pointer (call->task, result, value_free);
    }
  else if (call != NULL)
    _comlink_result_return_pointer (call->task, NULL, NULL);

  if (G_IS_VALUE (&value))
    g_value_unset (&value);
  g_clear_pointer (&call, pending_call_free);
}

/* --- Serving: requests and invocations --- */

/* A request of the peer becomes a ComlinkInvocation in the invocations
 * table, dispatched to its target (comlink-dispatch.c); it answers
 * through _comlink_connection_return(), now or later, and a CANCEL of the
 * peer fires its cancellable. */

/* Decodes the values of the "av" @array, which @message holds (its
 * body, or a part of it); plain values are read without a GVariant each:
 * as an in-process peer sent them, or where they lie in a checked frame */
static gboolean
decode_values (ComlinkConnection *self,
               ComlinkMessage    *message,
               GVariant          *array,
               GUnixFDList       *fds,
               GValue           **values_out,
               guint             *n_values_out,
               GError           **error)
{
  ComlinkWireArray   in_place;
  ComlinkWireValues *sent = NULL;
  gboolean           in_frame = FALSE;
  guint              n_values;
  GValue            *values;

  if (array == NULL && message->values != NULL)
    {
      sent = message->values;
      n_values = sent->n;
    }
  else if (array == NULL && message->frame_body != NULL && G_BYTE_ORDER == G_LITTLE_ENDIAN)
    {
      _comlink_wire_array_init (&in_place, message->frame_body, message->frame_body_size);
      in_frame = TRUE;
      n_values = (guint) MIN (in_place.n, G_MAXUINT);
    }
  else
    {
      if (array == NULL)
        array = _comlink_message_get_body (message);
      n_values = g_variant_n_children (array);
      /* A part of a body that lies in a frame (CONSTRUCT's values) */
      if (message->frame_body != NULL && G_BYTE_ORDER == G_LITTLE_ENDIAN)
        {
          _comlink_wire_array_init (&in_place, g_variant_get_data (array), g_variant_get_size (array));
          in_frame = TRUE;
        }
    }

  values = g_new (GValue, MAX (n_values, 1));
  memset (values, 0, sizeof (GValue) * MAX (n_values, 1));
  for (guint i = 0; i < n_values; i++)
    {
      g_autoptr(GVariant) boxed = NULL;
      g_autoptr(GVariant) wire = NULL;
      gboolean ok;

      if (sent != NULL && _comlink_wire_value_plain (&sent->values[i], &values[i]))
        continue;
      if (in_frame && _comlink_wire_array_plain (&in_place, i, &values[i]))
        continue;

      if (sent != NULL)
        ok = _comlink_value_from_wire (self, sent->values[i].u.variant, fds, &values[i], error);
      else
        {
          if (array == NULL)
            array = _comlink_message_get_body (message);
          boxed = g_variant_get_child_value (array, i);
          wire = g_variant_get_variant (boxed);
          ok = _comlink_value_from_wire (self, wire, fds, &values[i], error);
        }
      if (!ok)
        {
          for (guint j = 0; j <= i; j++)
            if (G_IS_VALUE (&values[j]))
              g_value_unset (&values[j]);
          g_free (values);
          return FALSE;
        }
    }

  *values_out = values;
  *n_values_out = n_values;
  return TRUE;
}

static gboolean
decode_args (ComlinkConnection *self,
             ComlinkMessage    *message,
             GUnixFDList       *fds,
             GValue           **args_out,
             guint             *n_args_out,
             char            ***names_out,
             GError           **error)
{
  *names_out = NULL;

  switch ((int) message->type)
    {
    case COMLINK_MESSAGE_CALL:
      return decode_values (self, message, NULL, fds, args_out, n_args_out, error);

    case COMLINK_MESSAGE_CONSTRUCT:
      {
        g_autoptr(GVariant) names = g_variant_get_child_value (_comlink_message_get_body (message), 0);
        g_autoptr(GVariant) values = g_variant_get_child_value (_comlink_message_get_body (message), 1);
        gsize n_names = g_variant_n_children (names);

        if (n_names != 0 && n_names != g_variant_n_children (values))
          {
            g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                                 _ ("A construction with more or fewer names than values"));
            return FALSE;
          }
        if (!decode_values (self, message, values, fds, args_out, n_args_out, error))
          return FALSE;
        if (n_names > 0)
          *names_out = g_variant_dup_strv (names, NULL);
        return TRUE;
      }

    case COMLINK_MESSAGE_SET:
      *args_out = g_new0 (GValue, 1);
      *n_args_out = 1;
      if (!_comlink_message_read_plain (message, *args_out) &&
          !_comlink_value_from_wire (self, _comlink_message_get_body (message), fds, *args_out, error))
        {
          g_clear_pointer (args_out, g_free);
          return FALSE;
        }
      return TRUE;

    default:
      *args_out = NULL;
      *n_args_out = 0;
      return TRUE;
    }
}

/* Takes the path of @message apart: the navigation path, NULL-terminated,
 * and the member, its last element. _comlink_message_check() made sure
 * that a message that has a path has at least one element. */
static void
split_path (ComlinkMessage *message,
            char         ***prefix,
            char          **member)
{
  g_assert (message->path != NULL && message->n_path > 0);

  *member = message->path[message->n_path - 1];
  message->path[message->n_path - 1] = NULL;
  *prefix = g_steal_pointer (&message->path);
  message->n_path = 0;
}

/* Looks up the object a request addresses, or NULL. A request for the
 * root comes here only once it is exposed (see hold_message()). */
static GObject *
lookup_target (ComlinkConnection *self,
               ComlinkMessage    *message)
{
  GObject *target = NULL;

  g_mutex_lock (&self->mutex);
  if (message->target == 0)
    target = self->root ? g_object_ref (self->root) : NULL;
  else
    {
      ExportRecord *record = g_hash_table_lookup (self->exports, &message->target);

      if (record != NULL)
        target = g_object_ref (record->object);
    }
  g_mutex_unlock (&self->mutex);

  return target;
}

/* Sends the answer to the request whose id @key points to, if the
 * invocations table still holds it with @invocation (NULL for a plain
 * call): not if the connection closed or the request was answered. */
static void
send_answer (ComlinkConnection *self,
             const guint64     *key,
             ComlinkInvocation *invocation,
             const GValue      *value,
             const GError      *error,
             const char        *error_class,
             const char        *error_stack)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GUnixFDList) fds = NULL;
  ComlinkOutgoing message;
  gpointer        held_key = NULL;
  gpointer        held = NULL;
  guint64         id = *key;

  if (error != NULL)
    message = _comlink_message_new_error_full (id, error, error_class, error_stack);
  else
    {
      ComlinkWireValues *body = _comlink_values_to_wire_values (self, value, 1, FALSE, &fds, &local_error);

      if (body != NULL)
        message = _comlink_message_new_values (COMLINK_MESSAGE_REPLY, id, 0, NULL, body);
      else
        {
          message = _comlink_message_new_error (id, local_error);
          g_clear_object (&fds);
        }
    }

  g_mutex_lock (&self->mutex);
  if (g_hash_table_lookup_extended (self->invocations, key, &held_key, &held) &&
      held_key == key && held == invocation)
    {
      g_autoptr(GError) send_error = NULL;

      g_hash_table_remove (self->invocations, key);
      /* A result too large for the endpoint becomes an error the caller
       * can read */
      if (!send_locked_checked (self, message, fds, &send_error))
        send_locked (self, _comlink_message_new_error (id, send_error));
    }
  else
    _comlink_outgoing_clear (&message);
  g_mutex_unlock (&self->mutex);
}

/* Serves a call of an action signal that takes no invocation at once,
 * without one: nothing could answer it later or cancel it. While the
 * handler runs (it may run a nested main loop), the id is in the
 * invocations table, with no invocation, so that it is known to be in
 * use. */
static void
serve_plain_call (ComlinkConnection   *self,
                  guint64              id,
                  GObject             *target,
                  const ComlinkMethod *method,
                  const char          *member,
                  const GValue        *args,
                  guint                n_args)
{
  GValue  result = G_VALUE_INIT;
  GError *error = NULL;
  guint64 key = id;

  g_mutex_lock (&self->mutex);
  if (self->closed)
    {
      g_mutex_unlock (&self->mutex);
      return;
    }
  g_hash_table_insert (self->invocations, &key, NULL);
  g_mutex_unlock (&self->mutex);

  _comlink_dispatch_emit (target, method, member, args, n_args, NULL, &result, &error);
  /* Takes the id out of the table, unless the connection closed meanwhile
   * and dropped the table */
  send_answer (self, &key, NULL, G_IS_VALUE (&result) ? &result : NULL, error, NULL, NULL);

  g_clear_error (&error);
  if (G_IS_VALUE (&result))
    g_value_unset (&result);
}

/* A request needs an id of its own: none, or one in use, is a protocol
 * error; returns FALSE then */
static gboolean
request_id_ok (ComlinkConnection *self,
               ComlinkMessage    *message)
{
  gboolean duplicate;

  if (message->id == 0)
    {
      protocol_error (self, g_error_new_literal (COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                                                 _ ("A request without a call id")));
      return FALSE;
    }

  g_mutex_lock (&self->mutex);
  duplicate = g_hash_table_contains (self->invocations, &message->id);
  g_mutex_unlock (&self->mutex);
  if (duplicate)
    {
      protocol_error (self, g_error_new (COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                                         _ ("Call id %llu is already in use"),
                                         (unsigned long long) message->id));
      return FALSE;
    }

  return TRUE;
}

static void
handle_request (ComlinkConnection *self,
                ComlinkMessage    *message,
                GUnixFDList       *fds)
{
  g_autoptr(GObject) target = NULL;
  g_autoptr(ComlinkInvocation) invocation = NULL;
  GError               *error = NULL;
  GValue               *args = NULL;
  guint                 n_args = 0;
  gboolean              over_limit;
  char                **names = NULL;
  char                **prefix;
  char                 *member = NULL;
  ComlinkInvocationKind kind;

  if (!request_id_ok (self, message))
    return;

  target = lookup_target (self, message);

  g_mutex_lock (&self->mutex);
  over_limit = g_hash_table_size (self->invocations) >= self->max_pending_calls;
  g_mutex_unlock (&self->mutex);

  if (over_limit || target == NULL)
    {
      g_autoptr(GError) local_error = NULL;

      if (over_limit)
        local_error = g_error_new (COMLINK_ERROR, COMLINK_ERROR_LIMIT_EXCEEDED,
                                   /* Translators: the peer is the other side of the connection */
                                   g_dngettext (GETTEXT_PACKAGE,
                                                "The peer serves at most %u request at once",
                                                "The peer serves at most %u requests at once",
                                                self->max_pending_calls),
                                   self->max_pending_calls);
      else
        local_error = g_error_new (COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_OBJECT,
                                   _ ("Object %llu does not exist"),
                                   (unsigned long long) message->target);
      reply_error (self, message->id, local_error);
      return;
    }

  if (!decode_args (self, message, fds, &args, &n_args, &names, &error))
    {
      protocol_error (self, error);
      return;
    }

  if (message->type == COMLINK_MESSAGE_GET)
    kind = COMLINK_INVOCATION_GET;
  else if (message->type == COMLINK_MESSAGE_SET)
    kind = COMLINK_INVOCATION_SET;
  else if (message->type == COMLINK_MESSAGE_CONSTRUCT)
    kind = COMLINK_INVOCATION_CONSTRUCT;
  else
    kind = COMLINK_INVOCATION_CALL;

  split_path (message, &prefix, &member);

  /* A plain method of a plain object needs no invocation */
  if (kind == COMLINK_INVOCATION_CALL && prefix[0] == NULL &&
      !COMLINK_IS_EXPOSABLE (target) && !COMLINK_IS_PROXY (target))
    {
      const ComlinkMethod *method = _comlink_dispatch_find_method (target, member, NULL);

      if (method != NULL && !method->takes_invocation)
        {
          serve_plain_call (self, message->id, target, method, member, args, n_args);
          for (guint i = 0; i < n_args; i++)
            g_value_unset (&args[i]);
          g_free (args);
          g_free (member);
          g_free (prefix);
          g_strfreev (names);
          return;
        }
    }

  invocation = _comlink_invocation_new (self, message->id, kind, target,
                                        prefix, member, args, n_args);
  _comlink_invocation_set_names (invocation, names);

  g_mutex_lock (&self->mutex);
  if (self->closed)
    {
      g_mutex_unlock (&self->mutex);
      _comlink_invocation_abandon (invocation);
      return;
    }
  g_hash_table_insert (self->invocations,
                       (gpointer) _comlink_invocation_get_id_ptr (invocation),
                       invocation);
  g_mutex_unlock (&self->mutex);

  _comlink_invocation_join_channel (invocation);
  _comlink_dispatch (invocation);
}

static void
handle_cancel (ComlinkConnection *self,
               ComlinkMessage    *message)
{
  g_autoptr(ComlinkInvocation) invocation = NULL;

  g_mutex_lock (&self->mutex);
  invocation = g_hash_table_lookup (self->invocations, &message->id);
  if (invocation != NULL)
    g_object_ref (invocation);
  g_mutex_unlock (&self->mutex);

  /* A cancel that crosses the reply finds nothing, which is fine */
  if (invocation != NULL)
    _comlink_invocation_cancel (invocation);
}

void
_comlink_connection_return (ComlinkConnection *self,
                            ComlinkInvocation *invocation,
                            const GValue      *value,
                            const GError      *error)
{
  send_answer (self, _comlink_invocation_get_id_ptr (invocation), invocation, value, error, NULL, NULL);
}

void
_comlink_connection_return_error_full (ComlinkConnection *self,
                                       ComlinkInvocation *invocation,
                                       const GError      *error,
                                       const char        *class_name,
                                       const char        *stack)
{
  send_answer (self, _comlink_invocation_get_id_ptr (invocation), invocation, NULL, error, class_name, stack);
}

/* A DESCRIBE is answered at once, from the object's class or by an
 * exposable object, or forwarded when its path reaches a proxy: then its
 * id waits in the invocations table, with no invocation, until the
 * proxy's owner answers. */

typedef struct
{
  ComlinkConnection *connection;
  guint64            id; /* the key in the invocations table */
} ForwardedDescribe;

static void
forwarded_describe_done (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  ForwardedDescribe *forwarded = user_data;
  g_autoptr(GVariant) description = NULL;
  g_autoptr(GError) error = NULL;
  GValue value = G_VALUE_INIT;

  description = comlink_proxy_describe_finish (COMLINK_PROXY (source), result, &error);
  if (description != NULL)
    {
      g_value_init (&value, G_TYPE_VARIANT);
      g_value_set_variant (&value, description);
    }
  send_answer (forwarded->connection, &forwarded->id, NULL,
               description != NULL ? &value : NULL, error, NULL, NULL);
  if (G_IS_VALUE (&value))
    g_value_unset (&value);

  _comlink_connection_unref_in_context (forwarded->connection);
  g_free (forwarded);
}

static void
handle_describe (ComlinkConnection *self,
                 ComlinkMessage    *message)
{
  static const char * const no_path[] = { NULL };
  g_autoptr(GObject) target = NULL;
  g_autoptr(ComlinkProxy) forward = NULL;
  g_autoptr(GVariant) description = NULL;
  g_autoptr(GError) error = NULL;
  GValue  value = G_VALUE_INIT;
  guint64 key = message->id;

  if (!request_id_ok (self, message))
    return;

  target = lookup_target (self, message);
  if (target == NULL)
    error = g_error_new (COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_OBJECT,
                         _ ("Object %llu does not exist"), (unsigned long long) message->target);
  else
    description = _comlink_dispatch_describe (target,
                                              message->path != NULL ? (const char * const *) message->path : no_path,
                                              &forward, &error);

  if (forward != NULL)
    {
      ForwardedDescribe *forwarded = g_new0 (ForwardedDescribe, 1);

      forwarded->connection = g_object_ref (self);
      forwarded->id = message->id;
      g_mutex_lock (&self->mutex);
      if (!self->closed)
        g_hash_table_insert (self->invocations, &forwarded->id, NULL);
      g_mutex_unlock (&self->mutex);
      comlink_proxy_describe_async (forward, NULL, forwarded_describe_done, forwarded);
      return;
    }

  /* Through the table, as an answer too large to send becomes an error */
  g_mutex_lock (&self->mutex);
  if (!self->closed)
    g_hash_table_insert (self->invocations, &key, NULL);
  g_mutex_unlock (&self->mutex);
  if (description != NULL)
    {
      g_value_init (&value, G_TYPE_VARIANT);
      g_value_set_variant (&value, description);
    }
  send_answer (self, &key, NULL, description != NULL ? &value : NULL, error, NULL, NULL);
  if (G_IS_VALUE (&value))
    g_value_unset (&value);
}

/* --- Serving: held requests and backpressure --- */

/* Messages of the peer that cannot be handled now wait in the held
 * queue, bounded in count, descriptors and bytes, and are served in order
 * from an idle once they may be. Over a transport that queues what it
 * writes, a peer that does not read gets its requests parked, and then
 * the endpoint pauses until the peer reads. */

static void
held_message_free (gpointer data)
{
  HeldMessage *held = data;

  _comlink_message_clear (&held->message);
  g_clear_object (&held->fds);
  g_free (held);
}

/* Called with the mutex held: whether more than max_queued_bytes wait to
 * be written to the peer */
static gboolean
congested_locked (ComlinkConnection *self)
{
  return _comlink_endpoint_get_queued_bytes (self->endpoint) > self->max_queued_bytes;
}

static GError *
congested_error_locked (ComlinkConnection *self)
{
  return g_error_new (COMLINK_ERROR, COMLINK_ERROR_LIMIT_EXCEEDED,
                      g_dngettext (GETTEXT_PACKAGE,
                                   "More than %llu byte waits to be written to the peer",
                                   "More than %llu bytes wait to be written to the peer",
                                   (gulong) self->max_queued_bytes),
                      (unsigned long long) self->max_queued_bytes);
}

/* Called with the mutex held: whether held messages may be served now */
static gboolean
can_serve_held_locked (ComlinkConnection *self)
{
  guint waiting_for_root = self->root == NULL ? self->held_for_root : 0;

  return !self->closed &&
         self->held.length > waiting_for_root &&
         (guint) g_atomic_int_get (&self->depth) < self->max_nesting_depth &&
         !congested_locked (self);
}

static gboolean
drain_cb (gpointer user_data)
{
  ComlinkConnection *self = user_data;

  g_mutex_lock (&self->mutex);
  g_clear_pointer (&self->drain_source, g_source_unref);
  g_mutex_unlock (&self->mutex);

  serve_held (self);

  return G_SOURCE_REMOVE;
}

/* Called with the mutex held. The held messages are served from an idle
 * of the connection's context, which may run in a nested main loop. */
static void
schedule_drain_locked (ComlinkConnection *self)
{
  if (self->drain_source != NULL || self->closed)
    return;

  self->drain_source = g_idle_source_new ();
  g_source_set_priority (self->drain_source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (self->drain_source, "[comlink] held requests");
  /* A request it serves may wait for the peer, which may need the next */
  g_source_set_can_recurse (self->drain_source, TRUE);
  g_source_set_callback (self->drain_source, drain_cb, g_object_ref (self), g_object_unref);
  g_source_attach (self->drain_source, self->context);
}

/* The endpoint wrote a batch: what was held back for it may go on */
static void
on_endpoint_written (gpointer user_data)
{
  ComlinkConnection *self = user_data;

  g_mutex_lock (&self->mutex);
  if ((self->paused || self->held.length > 0) && !self->closed && !congested_locked (self))
    schedule_drain_locked (self);
  g_mutex_unlock (&self->mutex);
}

static gboolean
is_request (ComlinkMessage *message)
{
  switch ((int) message->type)
    {
    case COMLINK_MESSAGE_CALL:
    case COMLINK_MESSAGE_GET:
    case COMLINK_MESSAGE_SET:
    case COMLINK_MESSAGE_CONSTRUCT:
    case COMLINK_MESSAGE_SUBSCRIBE:
    case COMLINK_MESSAGE_ENDPOINT:
    case COMLINK_MESSAGE_DESCRIBE:
      return TRUE;

    default:
      return FALSE;
    }
}

/* Whether the peer's message is held back rather than handled now: a
 * request for the root before it is exposed, a request or a signal
 * emission that comes deeper in nested main loops than max_nesting_depth,
 * a request or acknowledged release while more than max_queued_bytes wait
 * to be written, or one that comes after held ones. Over
 * max_held_requests or max_held_fds, a request is refused with
 * COMLINK_ERROR_LIMIT_EXCEEDED and its descriptors are closed when the
 * caller drops them; an emission or a release closes the connection.
 * Returns TRUE if @message was held or refused. */
static gboolean
hold_message (ComlinkConnection *self,
              ComlinkMessage    *message,
              GUnixFDList       *fds)
{
  g_autoptr(GError) refusal = NULL;
  gboolean for_root;
  gboolean congested;
  gboolean hold;
  gboolean pause = FALSE;
  guint    n_fds = fds != NULL ? (guint) g_unix_fd_list_get_length (fds) : 0;
  gsize    size = 0;

  /* A request without an id is a protocol error, found when it is handled */
  if (message->id == 0)
    return FALSE;

  for_root = is_request (message) && message->target == 0;

  g_mutex_lock (&self->mutex);
  congested = congested_locked (self);
  if (message->type == COMLINK_MESSAGE_RELEASE)
    hold = congested;
  else if (message->type == COMLINK_MESSAGE_SIGNAL)
    /* A subscriber's handler may make a blocking call, in whose nested
     * main loop the next emission would be delivered: emissions nest as
     * requests do */
    hold = (guint) g_atomic_int_get (&self->depth) >= self->max_nesting_depth ||
           self->held.length > (self->root == NULL ? self->held_for_root : 0);
  else
    hold = (for_root && self->root == NULL) ||
           (guint) g_atomic_int_get (&self->depth) >= self->max_nesting_depth ||
           congested ||
           self->held.length > (self->root == NULL ? self->held_for_root : 0);

  /* Only a message held back is measured: the hot path computes nothing */
  if (hold)
    size = _comlink_message_get_size (message);

  if (hold && self->held.length >= self->max_held_requests)
    refusal = g_error_new (COMLINK_ERROR, COMLINK_ERROR_LIMIT_EXCEEDED,
                           /* Translators: requests that arrive before they can be
                            * served are held back until they can */
                           g_dngettext (GETTEXT_PACKAGE,
                                        "The peer holds back at most %u request",
                                        "The peer holds back at most %u requests",
                                        self->max_held_requests),
                           self->max_held_requests);
  else if (hold && (guint64) self->held_fds + n_fds > self->max_held_fds)
    refusal = g_error_new (COMLINK_ERROR, COMLINK_ERROR_LIMIT_EXCEEDED,
                           g_dngettext (GETTEXT_PACKAGE,
                                        "The peer holds back at most %u file descriptor",
                                        "The peer holds back at most %u file descriptors",
                                        self->max_held_fds),
                           self->max_held_fds);
  else if (hold && self->held_bytes + size > self->max_held_bytes)
    refusal = g_error_new (COMLINK_ERROR, COMLINK_ERROR_LIMIT_EXCEEDED,
                           g_dngettext (GETTEXT_PACKAGE,
                                        "The peer holds back at most %llu byte of requests",
                                        "The peer holds back at most %llu bytes of requests",
                                        (gulong) self->max_held_bytes),
                           (unsigned long long) self->max_held_bytes);
  else if (hold)
    {
      HeldMessage *held = g_new0 (HeldMessage, 1);

      /* The message moves here: the caller clears what is left */
      held->message = *message;
      memset (message, 0, sizeof *message);
      held->fds = fds != NULL ? g_object_ref (fds) : NULL;
      held->n_fds = n_fds;
      held->size = size;
      held->for_root = for_root;
      g_queue_push_tail (&self->held, held);
      self->held_fds += n_fds;
      self->held_bytes += size;
      if (for_root)
        self->held_for_root++;
      if (can_serve_held_locked (self))
        schedule_drain_locked (self);
    }

  /* Parked requests fill the queue: stop reading until the peer reads.
   * Only a transport that queues what it writes is ever congested. The
   * same when requests wait behind held ones that are about to be served
   * (the congestion just ended): reading goes on once they are, rather
   * than refusing the requests that come meanwhile. */
  if (hold && !self->paused && self->held.length >= self->max_held_requests &&
      (congested || can_serve_held_locked (self)))
    pause = self->paused = TRUE;
  g_mutex_unlock (&self->mutex);

  if (pause)
    _comlink_endpoint_set_paused (self->endpoint, TRUE);

  if (refusal != NULL && is_request (message))
    reply_error (self, message->id, refusal);
  else if (refusal != NULL)
    protocol_error (self, g_steal_pointer (&refusal));

  return hold;
}

/* Pops the first held message that may be served now, or NULL. Called
 * with the mutex held. */
static HeldMessage *
pop_held_locked (ComlinkConnection *self)
{
  if (!can_serve_held_locked (self))
    return NULL;

  for (GList *l = self->held.head; l != NULL; l = l->next)
    {
      HeldMessage *held = l->data;

      if (held->for_root && self->root == NULL)
        continue;

      g_queue_delete_link (&self->held, l);
      self->held_fds -= held->n_fds;
      self->held_bytes -= held->size;
      if (held->for_root)
        self->held_for_root--;
      return held;
    }

  return NULL;
}

/* Serves the held messages that may be served now, in order, and lets
 * the endpoint read again once the peer has read what waited for it */
static void
serve_held (ComlinkConnection *self)
{
  HeldMessage *held;
  gboolean     resume = FALSE;

  g_object_ref (self);

  g_mutex_lock (&self->mutex);
  if (self->paused && !self->closed && !congested_locked (self))
    {
      self->paused = FALSE;
      resume = TRUE;
    }
  g_mutex_unlock (&self->mutex);

  /* First, as a request served here may wait for a reply of the peer;
   * what the endpoint delivers meanwhile is held behind these */
  if (resume)
    _comlink_endpoint_set_paused (self->endpoint, FALSE);

  for (;;)
    {
      g_mutex_lock (&self->mutex);
      held = pop_held_locked (self);
      g_mutex_unlock (&self->mutex);

      if (held == NULL)
        break;
      deliver_message (self, &held->message, held->fds, TRUE);
      held_message_free (held);
    }

  g_object_unref (self);
}

/* --- Serving: incoming messages and nesting --- */

/* Each message of the peer is parsed, checked against the descriptors
 * that came with it, held back or dispatched to the handler of its
 * concept. A request or an emission may run a nested main loop that
 * handles the next: depth counts them. */

static void
handle_hello (ComlinkConnection *self,
              ComlinkMessage    *message)
{
  GError *error = NULL;

  if (!_comlink_message_check_hello (message, &error))
    {
      protocol_error (self, error);
      return;
    }

  g_mutex_lock (&self->mutex);
  self->ready = TRUE;
  g_mutex_unlock (&self->mutex);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY]);
}

/* Handles a message that was checked, and is not held back; @fds came
 * beside it */
static void
dispatch_message (ComlinkConnection *self,
                  ComlinkMessage    *message,
                  GUnixFDList       *fds)
{
  switch ((int) message->type)
    {
    case COMLINK_MESSAGE_CALL:
    case COMLINK_MESSAGE_GET:
    case COMLINK_MESSAGE_SET:
    case COMLINK_MESSAGE_CONSTRUCT:
      handle_request (self, message, fds);
      break;

    case COMLINK_MESSAGE_SUBSCRIBE:
      handle_subscribe (self, message);
      break;

    case COMLINK_MESSAGE_UNSUBSCRIBE:
      handle_unsubscribe (self, message);
      break;

    case COMLINK_MESSAGE_SIGNAL:
      handle_signal (self, message, fds);
      break;

    case COMLINK_MESSAGE_ENDPOINT:
      handle_endpoint (self, message);
      break;

    case COMLINK_MESSAGE_DESCRIBE:
      handle_describe (self, message);
      break;

    case COMLINK_MESSAGE_REPLY:
    case COMLINK_MESSAGE_ERROR:
      handle_reply (self, message, fds);
      break;

    case COMLINK_MESSAGE_RELEASE:
      handle_release (self, message);
      break;

    case COMLINK_MESSAGE_CANCEL:
      handle_cancel (self, message);
      break;

    case COMLINK_MESSAGE_HELLO:
    default:
      protocol_error (self, g_error_new_literal (COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                                                 _ ("A second handshake")));
      break;
    }
}

/* Handles one message of the peer; a held one (@held) is not held again */
static void
deliver_message (ComlinkConnection *self,
                 ComlinkMessage    *message,
                 GUnixFDList       *fds,
                 gboolean           held)
{
  GError  *error = NULL;
  gboolean ready;
  gboolean request;
  gboolean nests;

  if (!held && !_comlink_message_check (message, &error))
    {
      protocol_error (self, error);
      return;
    }

  /* Each file descriptor that came must be one that a value refers to */
  if (!held && fds != NULL && g_unix_fd_list_get_length (fds) > 0 &&
      !_comlink_wire_check_fds (_comlink_message_get_body (message), g_unix_fd_list_get_length (fds), &error))
    {
      protocol_error (self, error);
      return;
    }

  /* A request may close the connection and drop its last reference */
  g_object_ref (self);

  g_mutex_lock (&self->mutex);
  ready = self->ready;
  g_mutex_unlock (&self->mutex);

  request = is_request (message);
  nests = request || message->type == COMLINK_MESSAGE_SIGNAL;
  if (ready && !held &&
      (nests || (message->type == COMLINK_MESSAGE_RELEASE && message->id != 0)) &&
      hold_message (self, message, fds))
    {
      g_object_unref (self);
      return;
    }

  if (!ready)
    handle_hello (self, message);
  else if (nests)
    {
      g_atomic_int_inc (&self->depth);
      dispatch_message (self, message, fds);
      g_atomic_int_add (&self->depth, -1);

      g_mutex_lock (&self->mutex);
      if (can_serve_held_locked (self))
        schedule_drain_locked (self);
      g_mutex_unlock (&self->mutex);
    }
  else
    dispatch_message (self, message, fds);

  g_object_unref (self);
}

/* The endpoint's receiver: @message is the endpoint's, which clears what
 * is left of it */
static void
on_endpoint_message (ComlinkEndpoint *endpoint,
                     ComlinkMessage  *message,
                     GUnixFDList     *fd_list,
                     const GError    *error,
                     gpointer         user_data)
{
  if (message == NULL)
    protocol_error (user_data, g_error_copy (error));
  else
    deliver_message (user_data, message, fd_list, FALSE);
}

/* --- Object tables: exports, imports, proxies, releases --- */

/* An object sent to the peer is exported, with a count of the references
 * sent; the peer's RELEASE (batched) lowers it, and at zero the object is
 * dropped. An object of the peer is imported as a ComlinkProxy, whose
 * record the tables point to while the proxy lives. */

static void
export_record_free (gpointer data)
{
  ExportRecord *record = data;

  g_clear_object (&record->object);
  g_free (record);
}

/* The peer holds no reference to @object any more */
static void
emit_released (ComlinkConnection *self,
               GObject           *object)
{
  g_signal_emit (self, signals[RELEASED], 0, object);
  if (COMLINK_IS_EXPOSABLE (object))
    _comlink_exposable_released (COMLINK_EXPOSABLE (object), self);
}

guint64
_comlink_connection_export (ComlinkConnection *self,
                            GObject           *object,
                            GError           **error)
{
  ExportRecord *record;
  guint64       id = 0;

  g_mutex_lock (&self->mutex);
  if (self->closed)
    g_propagate_error (error, close_error_copy_locked (self));
  else
    {
      record = g_hash_table_lookup (self->export_ids, object);
      if (record == NULL && g_hash_table_size (self->exports) >= self->max_exports)
        {
          g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_LIMIT_EXCEEDED,
                       g_dngettext (GETTEXT_PACKAGE,
                                    "The peer already holds %u object",
                                    "The peer already holds %u objects",
                                    self->max_exports),
                       self->max_exports);
          g_mutex_unlock (&self->mutex);
          return 0;
        }
      if (record == NULL)
        {
          record = g_new0 (ExportRecord, 1);
          record->id = self->next_export_id++;
          record->object = g_object_ref (object);
          g_hash_table_insert (self->exports, &record->id, record);
          g_hash_table_insert (self->export_ids, object, record);
        }
      record->count++;
      id = record->id;
    }
  g_mutex_unlock (&self->mutex);

  return id;
}

void
_comlink_connection_unexport (ComlinkConnection *self,
                              guint64            id)
{
  ExportRecord *record;

  g_mutex_lock (&self->mutex);
  record = g_hash_table_lookup (self->exports, &id);
  if (record != NULL && --record->count == 0)
    {
      g_hash_table_remove (self->export_ids, record->object);
      g_hash_table_steal (self->exports, &id);
    }
  else
    record = NULL;
  g_mutex_unlock (&self->mutex);

  g_clear_pointer (&record, export_record_free);
}

GObject *
_comlink_connection_lookup_export (ComlinkConnection *self,
                                   guint64            id)
{
  GObject *object = NULL;

  g_mutex_lock (&self->mutex);
  if (id == 0)
    object = self->root ? g_object_ref (self->root) : NULL;
  else
    {
      ExportRecord *record = g_hash_table_lookup (self->exports, &id);

      if (record != NULL)
        object = g_object_ref (record->object);
    }
  g_mutex_unlock (&self->mutex);

  return object;
}

GObject *
_comlink_connection_import (ComlinkConnection *self,
                            guint64            id)
{
  ComlinkProxyRecord *record;
  ComlinkProxy       *proxy = NULL;
  GError             *error = NULL;

  g_mutex_lock (&self->mutex);
  record = g_hash_table_lookup (self->imports, &id);
  if (record != NULL)
    proxy = g_weak_ref_get (&record->proxy);
  if (proxy != NULL)
    record->import_count++;
  g_mutex_unlock (&self->mutex);

  if (proxy != NULL)
    return G_OBJECT (proxy);

  proxy = _comlink_proxy_new (self, id);
  record = _comlink_proxy_get_record (proxy);

  g_mutex_lock (&self->mutex);
  if (self->closed)
    error = close_error_copy_locked (self);
  else
    {
      record->import_count = 1;
      record->registered = TRUE;
      self->had_proxies = TRUE;
      g_hash_table_add (self->proxies, record);
      /* A dying proxy of the same object may still be registered: it
       * releases its own count when it goes. */
      g_hash_table_replace (self->imports, &record->object_id, record);
    }
  g_mutex_unlock (&self->mutex);

  if (error != NULL)
    {
      _comlink_proxy_defunct (proxy, error);
      g_error_free (error);
    }

  return G_OBJECT (proxy);
}

void
_comlink_connection_register_proxy (ComlinkConnection  *self,
                                    ComlinkProxyRecord *record)
{
  g_mutex_lock (&self->mutex);
  if (!self->closed)
    {
      record->registered = TRUE;
      self->had_proxies = TRUE;
      g_hash_table_add (self->proxies, record);
    }
  g_mutex_unlock (&self->mutex);
}

static gboolean
release_idle_cb (gpointer user_data)
{
  ComlinkConnection *self = user_data;
  gboolean           should_close;

  g_mutex_lock (&self->mutex);
  g_clear_pointer (&self->release_source, g_source_unref);
  if (!self->closed && self->releases->len > 0)
    send_locked (self, _comlink_message_new_release (0, self->releases));
  g_array_set_size (self->releases, 0);
  /* A connection that only wrapped closes with its last proxy, as the
   * port of a released Comlink proxy does. */
  should_close = !self->closed &&
                 self->had_proxies &&
                 self->root == NULL &&
                 g_hash_table_size (self->proxies) == 0 &&
                 g_hash_table_size (self->exports) == 0 &&
                 g_hash_table_size (self->pending) == 0 &&
                 g_hash_table_size (self->invocations) == 0;
  g_mutex_unlock (&self->mutex);

  if (should_close)
    comlink_connection_close (self);

  return G_SOURCE_REMOVE;
}

/* Called with the mutex held */
static void
schedule_release_locked (ComlinkConnection *self)
{
  if (self->release_source != NULL || self->closed)
    return;

  self->release_source = g_idle_source_new ();
  g_source_set_static_name (self->release_source, "[comlink] release");
  g_source_set_callback (self->release_source, release_idle_cb,
                         g_object_ref (self), g_object_unref);
  g_source_attach (self->release_source, self->context);
}

void
_comlink_connection_unregister_proxy (ComlinkConnection  *self,
                                      ComlinkProxyRecord *record,
                                      GTask              *release_task)
{
  guint32 count = 0;

  g_mutex_lock (&self->mutex);
  if (record->registered)
    {
      record->registered = FALSE;
      g_hash_table_remove (self->proxies, record);
      if (g_hash_table_lookup (self->imports, &record->object_id) == record)
        g_hash_table_remove (self->imports, &record->object_id);
      count = record->import_count;
      record->import_count = 0;
    }

  if (self->closed)
    count = 0;
  else if (count > 0 && release_task != NULL)
    {
      PendingCall *call = g_new0 (PendingCall, 1);
      g_autoptr(GArray) releases = g_array_new (FALSE, FALSE, sizeof (ComlinkRelease));
      ComlinkRelease release = { record->object_id, count };

      g_array_append_val (releases, release);
      call->id = ++self->next_call_id;
      call->task = g_object_ref (release_task);
      g_hash_table_insert (self->pending, &call->id, call);
      send_locked (self, _comlink_message_new_release (call->id, releases));
    }
  else if (count > 0)
    {
      ComlinkRelease release = { record->object_id, count };
      g_array_append_val (self->releases, release);
    }
  schedule_release_locked (self);
  g_mutex_unlock (&self->mutex);

  if (release_task != NULL && count == 0)
    g_task_return_pointer (release_task, NULL, NULL);
}

static void
handle_release (ComlinkConnection *self,
                ComlinkMessage    *message)
{
  g_autoptr(GPtrArray) dropped = g_ptr_array_new_with_free_func (export_record_free);
  GError      *error = NULL;
  GVariantIter iter;
  guint64      id;
  guint32      count;

  g_mutex_lock (&self->mutex);
  g_variant_iter_init (&iter, _comlink_message_get_body (message));
  while (error == NULL && g_variant_iter_next (&iter, "(tu)", &id, &count))
    {
      ExportRecord *record;

      /* The exposed object lives as long as the connection */
      if (id == 0)
        continue;

      record = g_hash_table_lookup (self->exports, &id);
      if (record == NULL || count == 0 || count > record->count)
        {
          error = g_error_new (COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                               _ ("Release of object %llu that holds no such reference"),
                               (unsigned long long) id);
          break;
        }

      record->count -= count;
      if (record->count == 0)
        {
          g_hash_table_remove (self->export_ids, record->object);
          g_hash_table_steal (self->exports, &id);
          g_ptr_array_add (dropped, record);
        }
    }
  g_mutex_unlock (&self->mutex);

  /* The objects are dropped here, in the connection's thread */
  for (guint i = 0; i < dropped->len; i++)
    emit_released (self, ((ExportRecord *) g_ptr_array_index (dropped, i))->object);
  g_clear_pointer (&dropped, g_ptr_array_unref);

  if (error != NULL)
    {
      protocol_error (self, error);
      return;
    }

  if (message->id != 0)
    send_message (self, _comlink_message_new_reply (message->id, _comlink_wire_none ()));
}

/* --- Signals: subscriptions both ways --- */

/* This side's subscriptions to the peer's signals (Subscription, in
 * subscribed), delivered in the subscriber's context; and the peer's
 * subscriptions to signals of local objects (Emitter, in serving), sent
 * from the emitting thread. */

static void
subscription_free (gpointer data)
{
  Subscription *subscription = data;

  g_closure_invalidate (subscription->closure);
  g_closure_unref (subscription->closure);
  g_main_context_unref (subscription->context);
  g_weak_ref_clear (&subscription->proxy);
  g_free (subscription);
}

/* Subscribes @closure to the signal that @path names; the task completes
 * when the peer has connected it. Returns the subscription's id. */
guint64
_comlink_connection_subscribe (ComlinkConnection    *self,
                               ComlinkProxy         *proxy,
                               guint64               target,
                               GVariant             *path,
                               ComlinkSubscribeFlags flags,
                               GClosure             *closure,
                               GTask                *task)
{
  Subscription *subscription;
  PendingCall  *call;
  GError       *error = NULL;
  guint64       id;

  g_mutex_lock (&self->mutex);
  if (self->closed)
    {
      error = close_error_copy_locked (self);
      g_mutex_unlock (&self->mutex);
      g_task_return_error (task, error);
      return 0;
    }

  if (congested_locked (self))
    {
      error = congested_error_locked (self);
      g_mutex_unlock (&self->mutex);
      g_task_return_error (task, error);
      return 0;
    }

  id = ++self->next_call_id;
  subscription = g_new0 (Subscription, 1);
  subscription->id = id;
  subscription->closure = g_closure_ref (closure);
  subscription->flags = flags;
  if (closure->marshal == NULL)
    g_closure_set_marshal (closure, g_cclosure_marshal_generic);
  subscription->context = g_main_context_ref_thread_default ();
  g_weak_ref_init (&subscription->proxy, proxy);
  g_hash_table_insert (self->subscribed, &subscription->id, subscription);

  call = g_new0 (PendingCall, 1);
  call->id = id;
  call->task = g_object_ref (task);
  g_hash_table_insert (self->pending, &call->id, call);
  send_locked (self, _comlink_message_new (COMLINK_MESSAGE_SUBSCRIBE, id, target, path,
                                           _comlink_wire_unit ()));
  g_mutex_unlock (&self->mutex);

  return id;
}

/* Ends subscription @id: its closure is never invoked again */
void
_comlink_connection_unsubscribe (ComlinkConnection *self,
                                 guint64            id)
{
  Subscription *subscription = NULL;

  g_mutex_lock (&self->mutex);
  g_hash_table_steal_extended (self->subscribed, &id, NULL, (gpointer *) &subscription);
  if (subscription != NULL && !self->closed)
    send_locked (self, _comlink_message_new (COMLINK_MESSAGE_UNSUBSCRIBE, id, 0, NULL,
                                             _comlink_wire_unit ()));
  g_mutex_unlock (&self->mutex);

  if (subscription != NULL)
    subscription_free (subscription);
}

typedef struct
{
  GClosure *closure;
  GValue   *params;
  guint     n_params;
} Delivery;

static void
delivery_free (gpointer data)
{
  Delivery *delivery = data;

  for (guint i = 0; i < delivery->n_params; i++)
    if (G_IS_VALUE (&delivery->params[i]))
      g_value_unset (&delivery->params[i]);
  g_free (delivery->params);
  g_clear_pointer (&delivery->closure, g_closure_unref);
  g_free (delivery);
}

/* An invalidated closure (unsubscribed) is not invoked */
static gboolean
deliver (gpointer data)
{
  Delivery *delivery = data;

  g_closure_invoke (delivery->closure, NULL, delivery->n_params, delivery->params, NULL);

  return G_SOURCE_REMOVE;
}

static void
handle_signal (ComlinkConnection *self,
               ComlinkMessage    *message,
               GUnixFDList       *fds)
{
  Subscription *subscription;
  GClosure     *closure = NULL;
  GMainContext *context = NULL;
  ComlinkProxy *proxy = NULL;
  GValue       *args = NULL;
  guint         n_args = 0;
  GError       *error = NULL;
  Delivery     *delivery;
  gboolean      known;
  gboolean      int64_as_variant = FALSE;

  g_mutex_lock (&self->mutex);
  known = message->id != 0 && message->id <= self->next_call_id;
  subscription = g_hash_table_lookup (self->subscribed, &message->id);
  if (subscription != NULL)
    {
      int64_as_variant = (subscription->flags & COMLINK_SUBSCRIBE_FLAGS_INT64_AS_VARIANT) != 0;
      closure = g_closure_ref (subscription->closure);
      context = g_main_context_ref (subscription->context);
      proxy = g_weak_ref_get (&subscription->proxy);
    }
  g_mutex_unlock (&self->mutex);

  if (!known)
    {
      protocol_error (self, g_error_new (COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                                         _ ("Signal of subscription %llu that was never made"),
                                         (unsigned long long) message->id));
      return;
    }

  /* Decoded even when nobody listens any more, so that the objects it
   * references are released again */
  if (!decode_values (self, message, NULL, fds, &args, &n_args, &error))
    {
      g_clear_object (&proxy);
      g_clear_pointer (&closure, g_closure_unref);
      g_clear_pointer (&context, g_main_context_unref);
      protocol_error (self, error);
      return;
    }

  delivery = g_new0 (Delivery, 1);
  delivery->n_params = n_args + 1;
  delivery->params = g_new0 (GValue, n_args + 1);
  for (guint i = 0; i < n_args; i++)
    {
      delivery->params[i + 1] = args[i];
      if (int64_as_variant)
        _comlink_value_int64_to_variant (&delivery->params[i + 1]);
    }
  g_free (args);
  delivery->closure = closure;

  if (closure == NULL || proxy == NULL)
    {
      /* Nobody listens: drop the values */
      delivery->closure = NULL;
      delivery_free (delivery);
      g_clear_pointer (&closure, g_closure_unref);
    }
  else
    {
      g_value_init (&delivery->params[0], COMLINK_TYPE_PROXY);
      g_value_set_object (&delivery->params[0], proxy);
      if (context == self->context)
        {
          deliver (delivery);
          delivery_free (delivery);
        }
      else
        {
          GSource *source = g_idle_source_new ();

          g_source_set_priority (source, G_PRIORITY_DEFAULT);
          g_source_set_static_name (source, "[comlink] signal");
          g_source_set_callback (source, deliver, delivery, delivery_free);
          g_source_attach (source, context);
          g_source_unref (source);
        }
    }

  g_clear_object (&proxy);
  g_clear_pointer (&context, g_main_context_unref);
}

/* Disconnects the handler; the emitter itself goes with its closure */
static void
emitter_free (gpointer data)
{
  Emitter *emitter = data;

  g_signal_handler_disconnect (emitter->object, emitter->handler);
  g_closure_invalidate (emitter->closure);
  g_closure_unref (emitter->closure);
}

static void
emitter_finalize (gpointer  data,
                  GClosure *closure)
{
  Emitter *emitter = data;

  g_clear_object (&emitter->object);
  g_weak_ref_clear (&emitter->connection);
  g_free (emitter->detail);
  g_free (emitter);
}

/* Runs, in the emitting thread, for each emission of a signal the peer
 * subscribed to: sends the arguments */
static void
emitter_marshal (GClosure     *closure,
                 GValue       *return_value,
                 guint         n_param_values,
                 const GValue *param_values,
                 gpointer      invocation_hint,
                 gpointer      marshal_data)
{
  Emitter           *emitter = closure->data;
  ComlinkConnection *self = g_weak_ref_get (&emitter->connection);
  g_autoptr(GError) error = NULL;
  g_autoptr(GUnixFDList) fds = NULL;
  ComlinkWireValues *body;
  gboolean           congested;

  if (self == NULL)
    return;

  /* A detail that was no quark when the peer subscribed */
  if (emitter->detail != NULL)
    {
      GSignalInvocationHint *hint = invocation_hint;

      if (hint == NULL || hint->detail == 0 ||
          g_strcmp0 (g_quark_to_string (hint->detail), emitter->detail) != 0)
        {
          _comlink_connection_unref_in_context (self);
          return;
        }
    }

  /* A peer that does not read what it is sent gets no more emissions */
  g_mutex_lock (&self->mutex);
  congested = congested_locked (self);
  g_mutex_unlock (&self->mutex);
  if (congested)
    {
      g_debug ("A signal emission was not sent: the peer does not read");
      _comlink_connection_unref_in_context (self);
      return;
    }

  body = _comlink_values_to_wire_values (self, param_values + 1, n_param_values - 1, TRUE, &fds, &error);
  if (body != NULL)
    send_message_with_fds (self, _comlink_message_new_values (COMLINK_MESSAGE_SIGNAL, emitter->id, 0, NULL, body), fds);
  else
    g_debug ("A signal emission could not be sent: %s", error->message);

  _comlink_connection_unref_in_context (self);
}

/* Resolves @name, a signal name with an optional detail, on @object
 * without creating a quark: the detail of `notify` must name a property of
 * @object; any other detail that is not a quark yet is returned in
 * @unknown_detail, for the emitter to compare by name. */
static gboolean
parse_signal_name (GObject    *object,
                   const char *name,
                   guint      *signal_id,
                   GQuark     *detail,
                   char      **unknown_detail,
                   GError    **error)
{
  const char  *separator = strstr (name, "::");
  const char  *detail_name;
  GSignalQuery query;
  GQuark       ignored;

  *detail = 0;
  *unknown_detail = NULL;
  /* Looks the signal up without a warning for a bad name, and without
   * creating the detail's quark */
  if (!g_signal_parse_name (name, G_OBJECT_TYPE (object), signal_id, &ignored, FALSE))
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_SIGNAL,
                   _ ("%s has no signal “%s”"), G_OBJECT_TYPE_NAME (object), name);
      return FALSE;
    }
  if (separator == NULL)
    return TRUE;

  detail_name = separator + 2;
  g_signal_query (*signal_id, &query);
  if ((query.signal_flags & G_SIGNAL_DETAILED) == 0)
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_SIGNAL,
                   _ ("%s has no signal “%s”"), G_OBJECT_TYPE_NAME (object), name);
      return FALSE;
    }

  if (*signal_id == g_signal_lookup ("notify", G_TYPE_OBJECT))
    {
      GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (object), detail_name);

      if (pspec == NULL)
        {
          g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_PROPERTY,
                       _ ("%s has no property “%s”"), G_OBJECT_TYPE_NAME (object), detail_name);
          return FALSE;
        }
      *detail = g_param_spec_get_name_quark (pspec);
      return TRUE;
    }

  *detail = g_quark_try_string (detail_name);
  if (*detail == 0)
    *unknown_detail = g_strdup (detail_name);
  return TRUE;
}

static void
handle_subscribe (ComlinkConnection *self,
                  ComlinkMessage    *message)
{
  g_autoptr(GObject) target = NULL;
  g_autoptr(GObject) object = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) prefix = NULL;
  g_autofree char *name = NULL;
  g_autofree char *unknown_detail = NULL;
  Emitter         *emitter;
  guint            signal_id = 0;
  GQuark           detail = 0;
  gboolean         duplicate;
  guint            max_subscriptions = 0;

  target = lookup_target (self, message);

  split_path (message, &prefix, &name);
  if (target == NULL)
    error = g_error_new (COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_OBJECT,
                         _ ("Object %llu does not exist"), (unsigned long long) message->target);
  else
    object = _comlink_resolve_path (target, (const char * const *) prefix,
                                    g_strv_length (prefix), &error);

  if (object != NULL)
    parse_signal_name (object, name, &signal_id, &detail, &unknown_detail, &error);

  g_mutex_lock (&self->mutex);
  duplicate = g_hash_table_contains (self->serving, &message->id);
  if (g_hash_table_size (self->serving) >= self->max_subscriptions)
    max_subscriptions = self->max_subscriptions;
  g_mutex_unlock (&self->mutex);
  if (duplicate)
    {
      protocol_error (self, g_error_new (COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                                         _ ("Subscription %llu exists already"),
                                         (unsigned long long) message->id));
      return;
    }

  if (error == NULL && max_subscriptions > 0)
    error = g_error_new (COMLINK_ERROR, COMLINK_ERROR_LIMIT_EXCEEDED,
                         /* Translators: a subscription is a peer's connection to a signal */
                         g_dngettext (GETTEXT_PACKAGE,
                                      "The peer serves at most %u subscription",
                                      "The peer serves at most %u subscriptions",
                                      max_subscriptions),
                         max_subscriptions);

  if (error != NULL)
    {
      reply_error (self, message->id, error);
      return;
    }

  emitter = g_new0 (Emitter, 1);
  emitter->id = message->id;
  emitter->object = g_object_ref (object);
  emitter->detail = g_steal_pointer (&unknown_detail);
  g_weak_ref_init (&emitter->connection, self);
  emitter->closure = g_closure_ref (g_closure_new_simple (sizeof (GClosure), emitter));
  g_closure_set_marshal (emitter->closure, emitter_marshal);
  g_closure_add_finalize_notifier (emitter->closure, emitter, emitter_finalize);
  emitter->handler = g_signal_connect_closure_by_id (object, signal_id, detail, emitter->closure, FALSE);

  g_mutex_lock (&self->mutex);
  if (self->closed)
    {
      g_mutex_unlock (&self->mutex);
      emitter_free (emitter);
      return;
    }
  g_hash_table_insert (self->serving, &emitter->id, emitter);
  send_locked (self, _comlink_message_new_reply (message->id, _comlink_wire_none ()));
  g_mutex_unlock (&self->mutex);
}

static void
handle_unsubscribe (ComlinkConnection *self,
                    ComlinkMessage    *message)
{
  Emitter *emitter = NULL;

  /* An unknown id is a subscription that failed or went already */
  g_mutex_lock (&self->mutex);
  g_hash_table_steal_extended (self->serving, &message->id, NULL, (gpointer *) &emitter);
  g_mutex_unlock (&self->mutex);

  if (emitter != NULL)
    emitter_free (emitter);
}

/* --- Endpoints: new endpoints, parking --- */

/* A new endpoint asked by the peer is a channel: this side serves one
 * port (a spawned connection) and hands over the other. An endpoint sent
 * to the peer is parked until it claims it. */

char *
_comlink_connection_park (ComlinkConnection *self,
                          ComlinkEndpoint   *endpoint)
{
  char *token = _comlink_channel_park (endpoint);

  g_mutex_lock (&self->mutex);
  g_ptr_array_add (self->parked, g_strdup (token));
  g_mutex_unlock (&self->mutex);

  return token;
}

static void
on_spawned_closed (ComlinkConnection *child,
                   const GError      *error,
                   gpointer           user_data)
{
  ComlinkConnection *self = user_data;

  g_mutex_lock (&self->mutex);
  g_ptr_array_remove (self->spawned, child);
  g_mutex_unlock (&self->mutex);
}

/* A new endpoint to the exposed object: this side exposes the same object
 * on one end of a new channel (within a process) or of a new socket pair
 * (across a Unix socket) and hands the other end to the peer */
static void
handle_endpoint (ComlinkConnection *self,
                 ComlinkMessage    *message)
{
  g_autoptr(GObject) root = NULL;
  g_autoptr(GVariant) body = NULL;
  g_autoptr(GUnixFDList) fds = NULL;
  g_autoptr(ComlinkEndpoint) near = NULL;
  g_autoptr(ComlinkChannel) channel = NULL;
  ComlinkConnection *child;
  g_autoptr(GError) error = NULL;
  int far_fd = -1;

  if (message->id == 0 || message->target != 0)
    {
      protocol_error (self, g_error_new_literal (COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                                                 _ ("A new endpoint is asked of the exposed object only")));
      return;
    }

  root = lookup_target (self, message);

  if (_comlink_channel_is_port (self->endpoint))
    {
      channel = comlink_channel_new ();
      near = g_object_ref (comlink_channel_get_port1 (channel));
    }
  else if (comlink_endpoint_can_send_fds (self->endpoint))
    near = _comlink_stream_endpoint_new_pair (&far_fd, &error);
  else
    error = g_error_new_literal (COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE,
                                 _ ("A new endpoint can reach a peer only in this process or across a Unix socket"));

  if (near == NULL)
    {
      if (far_fd >= 0)
        close (far_fd);
      reply_error (self, message->id, error);
      return;
    }

  child = comlink_expose (root, near);
  g_signal_connect_object (child, "closed", G_CALLBACK (on_spawned_closed), self, 0);
  g_mutex_lock (&self->mutex);
  if (!self->closed)
    g_ptr_array_add (self->spawned, g_object_ref (child));
  g_mutex_unlock (&self->mutex);

  if (channel != NULL)
    {
      GValue value = G_VALUE_INIT;

      g_value_init (&value, COMLINK_TYPE_ENDPOINT);
      g_value_set_object (&value, comlink_channel_get_port2 (channel));
      body = _comlink_value_to_wire (self, &value, NULL, &error);
      g_value_unset (&value);
    }
  else
    {
      body = _comlink_value_socket_to_wire (far_fd, &fds, &error);
      if (body != NULL)
        g_variant_ref_sink (body);
    }

  if (body != NULL)
    send_message_with_fds (self, _comlink_message_new_reply (message->id, body), fds);
  else
    reply_error (self, message->id, error);
}

/* --- Closing --- */

void
_comlink_connection_close_with_error (ComlinkConnection *self,
                                      const GError      *error)
{
  g_autoptr(GHashTable) pending = NULL;
  g_autoptr(GHashTable) invocations = NULL;
  g_autoptr(GHashTable) exports = NULL;
  g_autoptr(GHashTable) subscribed = NULL;
  g_autoptr(GHashTable) serving = NULL;
  g_autoptr(GPtrArray) parked = NULL;
  g_autoptr(GPtrArray) spawned = NULL;
  g_autoptr(GPtrArray) live_proxies = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GObject) root = NULL;
  GQueue         held = G_QUEUE_INIT;
  GSource       *release_source;
  GSource       *drain_source;
  GHashTableIter iter;
  gpointer       value;
  gboolean       held_self;

  g_return_if_fail (COMLINK_IS_CONNECTION (self));
  g_return_if_fail (error != NULL);

  g_object_ref (self);

  g_mutex_lock (&self->mutex);
  if (self->closed)
    {
      g_mutex_unlock (&self->mutex);
      g_object_unref (self);
      return;
    }
  self->closed = TRUE;
  self->close_error = g_error_copy (error);

  pending = g_steal_pointer (&self->pending);
  self->pending = new_id_table (pending_call_free);
  invocations = g_steal_pointer (&self->invocations);
  self->invocations = new_id_table (NULL);
  /* The table does not own its invocations; one that is being disposed in
   * another thread may be taken here and lives on until abandoned. */
  g_hash_table_iter_init (&iter, invocations);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (value != NULL) /* a plain call being served */
      g_object_ref (value);
  exports = g_steal_pointer (&self->exports);
  self->exports = new_id_table (export_record_free);
  g_hash_table_remove_all (self->export_ids);
  g_hash_table_remove_all (self->imports);
  subscribed = g_steal_pointer (&self->subscribed);
  self->subscribed = new_id_table (subscription_free);
  serving = g_steal_pointer (&self->serving);
  self->serving = new_id_table (emitter_free);
  parked = g_steal_pointer (&self->parked);
  self->parked = g_ptr_array_new_with_free_func (g_free);
  spawned = g_steal_pointer (&self->spawned);
  self->spawned = g_ptr_array_new_with_free_func (g_object_unref);

  g_hash_table_iter_init (&iter, self->proxies);
  while (g_hash_table_iter_next (&iter, &value, NULL))
    {
      ComlinkProxyRecord *record = value;
      ComlinkProxy       *proxy = g_weak_ref_get (&record->proxy);

      record->registered = FALSE;
      if (proxy != NULL)
        g_ptr_array_add (live_proxies, proxy);
    }
  g_hash_table_remove_all (self->proxies);

  root = g_steal_pointer (&self->root);
  held = self->held;
  g_queue_init (&self->held);
  self->held_fds = 0;
  self->held_bytes = 0;
  self->held_for_root = 0;
  g_array_set_size (self->releases, 0);
  release_source = g_steal_pointer (&self->release_source);
  drain_source = g_steal_pointer (&self->drain_source);
  held_self = self->holds_self;
  self->holds_self = FALSE;
  g_mutex_unlock (&self->mutex);

  if (release_source != NULL)
    {
      g_source_destroy (release_source);
      g_source_unref (release_source);
    }
  if (drain_source != NULL)
    {
      g_source_destroy (drain_source);
      g_source_unref (drain_source);
    }

  /* Proxies first, so that a callback of a failed call that runs at once
   * already finds its proxy defunct. */
  for (guint i = 0; i < live_proxies->len; i++)
    _comlink_proxy_defunct (g_ptr_array_index (live_proxies, i), error);

  g_hash_table_iter_init (&iter, pending);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      PendingCall *call = value;

      _comlink_result_return_error (call->task, g_error_copy (error));
    }
  /* A peer in this process learns it at once, even if it is busy */
  _comlink_invocation_cancel_peer_requests (self->endpoint);

  g_hash_table_iter_init (&iter, invocations);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (value != NULL)
      {
        _comlink_invocation_abandon (value);
        g_object_unref (value);
      }

  g_hash_table_iter_init (&iter, exports);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    emit_released (self, ((ExportRecord *) value)->object);
  if (root != NULL)
    emit_released (self, root);

  /* Endpoints sent to the peer that it never claimed */
  for (guint i = 0; i < parked->len; i++)
    _comlink_channel_unpark (g_ptr_array_index (parked, i));

  /* The endpoints created for the peer are served in this context, which
   * may stop running (a terminated worker): they close with this one */
  for (guint i = 0; i < spawned->len; i++)
    {
      ComlinkConnection *child = g_ptr_array_index (spawned, i);

      g_signal_handlers_disconnect_by_data (child, self);
      _comlink_connection_close_with_error (child, error);
    }

  /* Their descriptors are closed here */
  g_queue_clear_full (&held, held_message_free);

  _comlink_endpoint_set_written_func (self->endpoint, NULL, NULL);
  _comlink_endpoint_set_receiver (self->endpoint, NULL, NULL);
  g_clear_signal_handler (&self->closed_handler, self->endpoint);
  comlink_endpoint_close (self->endpoint);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLOSED]);
  g_signal_emit (self, signals[CLOSED], 0, error);

  /* The self reference goes in an idle, so that whoever closed the
   * connection may still look at it until the next iteration. */
  if (held_self)
    {
      GSource *source = g_idle_source_new ();

      g_source_set_static_name (source, "[comlink] connection closed");
      g_source_set_callback (source, do_nothing, self, g_object_unref);
      g_source_attach (source, self->context);
      g_source_unref (source);
    }
  g_object_unref (self);
}

static void
on_endpoint_closed (ComlinkEndpoint *endpoint,
                    const GError    *error,
                    gpointer         user_data)
{
  _comlink_connection_close_with_error (user_data, error);
}

/* --- GObject boilerplate --- */

static void
comlink_connection_dispose (GObject *object)
{
  ComlinkConnection *self = COMLINK_CONNECTION (object);

  G_LOCK (endpoint_connection);
  if (self->endpoint != NULL &&
      g_object_get_qdata (G_OBJECT (self->endpoint), connection_quark) == self)
    g_object_set_qdata (G_OBJECT (self->endpoint), connection_quark, NULL);
  G_UNLOCK (endpoint_connection);

  if (self->endpoint != NULL)
    {
      if (self->closed_handler != 0)
        {
          _comlink_endpoint_set_receiver (self->endpoint, NULL, NULL);
          _comlink_endpoint_set_written_func (self->endpoint, NULL, NULL);
        }
      g_clear_signal_handler (&self->closed_handler, self->endpoint);
    }

  G_OBJECT_CLASS (comlink_connection_parent_class)->dispose (object);
}

static void
comlink_connection_finalize (GObject *object)
{
  ComlinkConnection *self = COMLINK_CONNECTION (object);

  g_clear_object (&self->root);
  g_queue_clear_full (&self->held, held_message_free);
  g_clear_error (&self->close_error);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->invocations, g_hash_table_unref);
  g_clear_pointer (&self->export_ids, g_hash_table_unref);
  g_clear_pointer (&self->exports, g_hash_table_unref);
  g_clear_pointer (&self->imports, g_hash_table_unref);
  g_clear_pointer (&self->proxies, g_hash_table_unref);
  g_clear_pointer (&self->subscribed, g_hash_table_unref);
  g_clear_pointer (&self->serving, g_hash_table_unref);
  g_clear_pointer (&self->parked, g_ptr_array_unref);
  g_clear_pointer (&self->spawned, g_ptr_array_unref);
  g_clear_pointer (&self->releases, g_array_unref);
  g_clear_object (&self->endpoint);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (comlink_connection_parent_class)->finalize (object);
}

static void
comlink_connection_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  ComlinkConnection *self = COMLINK_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_ENDPOINT:
      g_value_set_object (value, self->endpoint);
      break;

    case PROP_READY:
      g_value_set_boolean (value, comlink_connection_is_ready (self));
      break;

    case PROP_CLOSED:
      g_value_set_boolean (value, comlink_connection_is_closed (self));
      break;

    case PROP_N_PROXIES:
      g_value_set_uint (value, comlink_connection_get_n_proxies (self));
      break;

    case PROP_N_EXPORTS:
      g_value_set_uint (value, comlink_connection_get_n_exports (self));
      break;

    case PROP_TIMEOUT:
      g_value_set_uint (value, comlink_connection_get_timeout (self));
      break;

    case PROP_MAX_PENDING_CALLS:
      g_value_set_uint (value, comlink_connection_get_max_pending_calls (self));
      break;

    case PROP_MAX_EXPORTS:
      g_value_set_uint (value, comlink_connection_get_max_exports (self));
      break;

    case PROP_MAX_HELD_REQUESTS:
      g_value_set_uint (value, comlink_connection_get_max_held_requests (self));
      break;

    case PROP_MAX_HELD_FDS:
      g_value_set_uint (value, comlink_connection_get_max_held_fds (self));
      break;

    case PROP_MAX_HELD_BYTES:
      g_value_set_uint64 (value, comlink_connection_get_max_held_bytes (self));
      break;

    case PROP_MAX_SUBSCRIPTIONS:
      g_value_set_uint (value, comlink_connection_get_max_subscriptions (self));
      break;

    case PROP_MAX_QUEUED_BYTES:
      g_value_set_uint64 (value, comlink_connection_get_max_queued_bytes (self));
      break;

    case PROP_MAX_NESTING_DEPTH:
      g_value_set_uint (value, comlink_connection_get_max_nesting_depth (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
comlink_connection_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  ComlinkConnection *self = COMLINK_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_TIMEOUT:
      comlink_connection_set_timeout (self, g_value_get_uint (value));
      break;

    case PROP_MAX_PENDING_CALLS:
      comlink_connection_set_max_pending_calls (self, g_value_get_uint (value));
      break;

    case PROP_MAX_EXPORTS:
      comlink_connection_set_max_exports (self, g_value_get_uint (value));
      break;

    case PROP_MAX_HELD_REQUESTS:
      comlink_connection_set_max_held_requests (self, g_value_get_uint (value));
      break;

    case PROP_MAX_HELD_FDS:
      comlink_connection_set_max_held_fds (self, g_value_get_uint (value));
      break;

    case PROP_MAX_HELD_BYTES:
      comlink_connection_set_max_held_bytes (self, g_value_get_uint64 (value));
      break;

    case PROP_MAX_SUBSCRIPTIONS:
      comlink_connection_set_max_subscriptions (self, g_value_get_uint (value));
      break;

    case PROP_MAX_QUEUED_BYTES:
      comlink_connection_set_max_queued_bytes (self, g_value_get_uint64 (value));
      break;

    case PROP_MAX_NESTING_DEPTH:
      comlink_connection_set_max_nesting_depth (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
comlink_connection_class_init (ComlinkConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  _comlink_init_i18n ();
  connection_quark = g_quark_from_static_string ("comlink-connection");

  /* An error's domain maps back only to a quark that exists here. These
   * are registered on first use; make sure the domains of this library,
   * GLib and GIO always map back, even before this process used them. */
  (void) COMLINK_ERROR;
  (void) G_IO_ERROR;
  (void) G_FILE_ERROR;
  (void) G_SPAWN_ERROR;
  (void) G_CONVERT_ERROR;
  (void) G_KEY_FILE_ERROR;
  (void) G_MARKUP_ERROR;
  (void) G_REGEX_ERROR;
  (void) G_OPTION_ERROR;
  (void) G_VARIANT_PARSE_ERROR;
  (void) G_RESOLVER_ERROR;
  (void) G_TLS_ERROR;

  object_class->dispose = comlink_connection_dispose;
  object_class->finalize = comlink_connection_finalize;
  object_class->get_property = comlink_connection_get_property;
  object_class->set_property = comlink_connection_set_property;

  /**
   * ComlinkConnection:endpoint:
   *
   * The endpoint that the connection speaks over.
   *
   * Since: 0.1
   */
  properties[PROP_ENDPOINT] =
    g_param_spec_object ("endpoint", NULL, NULL,
                         COMLINK_TYPE_ENDPOINT,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkConnection:ready:
   *
   * Whether the peer's handshake arrived: the peer speaks this protocol
   * version. Calls do not wait for it; the peer keeps them until its object
   * is exposed.
   *
   * Since: 0.1
   */
  properties[PROP_READY] =
    g_param_spec_boolean ("ready", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkConnection:closed:
   *
   * Whether the connection is closed.
   *
   * Since: 0.1
   */
  properties[PROP_CLOSED] =
    g_param_spec_boolean ("closed", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkConnection:n-proxies:
   *
   * The number of live proxies of the peer's objects (root and path
   * proxies included). Useful to hunt leaks; it is not notified.
   *
   * Since: 0.1
   */
  properties[PROP_N_PROXIES] =
    g_param_spec_uint ("n-proxies", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkConnection:n-exports:
   *
   * The number of local objects the peer holds references to (the exposed
   * object not counted). It is not notified.
   *
   * Since: 0.1
   */
  properties[PROP_N_EXPORTS] =
    g_param_spec_uint ("n-exports", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkConnection:timeout:
   *
   * The time in milliseconds after which a call made through a proxy of
   * this connection fails with %G_IO_ERROR_TIMED_OUT and the remote
   * invocation is cancelled, unless the proxy or the call sets its own;
   * 0 for no timeout.
   *
   * Since: 0.1
   */
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL,
                       0, G_MAXINT, 0,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkConnection:max-pending-calls:
   *
   * The most calls that may wait for a reply at once, and the most
   * requests of the peer that may be served at once. A call over the limit
   * fails with %COMLINK_ERROR_LIMIT_EXCEEDED.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_PENDING_CALLS] =
    g_param_spec_uint ("max-pending-calls", NULL, NULL,
                       1, G_MAXUINT, COMLINK_DEFAULT_MAX_PENDING_CALLS,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkConnection:max-exports:
   *
   * The most local objects the peer may hold references to. Sending one
   * more object fails with %COMLINK_ERROR_LIMIT_EXCEEDED.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_EXPORTS] =
    g_param_spec_uint ("max-exports", NULL, NULL,
                       1, G_MAXUINT, COMLINK_DEFAULT_MAX_EXPORTS,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkConnection:max-held-requests:
   *
   * The most requests of the peer that the connection holds back to serve
   * later: requests for the exposed object that come before it is exposed,
   * requests that come deeper in nested main loops than
   * [property@Comlink.Connection:max-nesting-depth], and requests parked
   * while more than [property@Comlink.Connection:max-queued-bytes] wait to
   * be written. One more is answered with %COMLINK_ERROR_LIMIT_EXCEEDED
   * and its file descriptors are closed at once; the connection stays
   * open. The default is 1024.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_HELD_REQUESTS] =
    g_param_spec_uint ("max-held-requests", NULL, NULL,
                       1, G_MAXUINT, COMLINK_DEFAULT_MAX_HELD_REQUESTS,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkConnection:max-held-fds:
   *
   * The most file descriptors that the requests held back (see
   * [property@Comlink.Connection:max-held-requests]) may keep open. A
   * request whose descriptors would go over it is answered with
   * %COMLINK_ERROR_LIMIT_EXCEEDED and its descriptors are closed at once.
   * The default is 256.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_HELD_FDS] =
    g_param_spec_uint ("max-held-fds", NULL, NULL,
                       0, G_MAXUINT, COMLINK_DEFAULT_MAX_HELD_FDS,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkConnection:max-held-bytes:
   *
   * The most bytes that the requests held back (see
   * [property@Comlink.Connection:max-held-requests]) may take, counted as
   * their serialised size. A request that would go over it is answered
   * with %COMLINK_ERROR_LIMIT_EXCEEDED. The default is 64 MiB.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_HELD_BYTES] =
    g_param_spec_uint64 ("max-held-bytes", NULL, NULL,
                         0, G_MAXUINT64, COMLINK_DEFAULT_MAX_HELD_BYTES,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkConnection:max-subscriptions:
   *
   * The most subscriptions of the peer to signals of local objects. One
   * more is answered with %COMLINK_ERROR_LIMIT_EXCEEDED. It also bounds
   * the messages one emission can make. The default is 4096.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_SUBSCRIPTIONS] =
    g_param_spec_uint ("max-subscriptions", NULL, NULL,
                       0, G_MAXUINT, COMLINK_DEFAULT_MAX_SUBSCRIPTIONS,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkConnection:max-queued-bytes:
   *
   * Over a [class@Comlink.StreamEndpoint], the most bytes that may wait
   * to be written to a peer that does not read them. Over it, requests of
   * the peer are parked instead of served (up to
   * [property@Comlink.Connection:max-held-requests], after which the
   * connection stops reading), new calls fail with
   * %COMLINK_ERROR_LIMIT_EXCEEDED and signal emissions are not sent; all
   * of it goes on once the peer has read enough. Replies to requests being
   * served are always sent. The default is 64 MiB.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_QUEUED_BYTES] =
    g_param_spec_uint64 ("max-queued-bytes", NULL, NULL,
                         1, G_MAXUINT64, COMLINK_DEFAULT_MAX_QUEUED_BYTES,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkConnection:max-nesting-depth:
   *
   * The most requests and signal emissions of the peer handled at once
   * on the connection's thread, each in a main loop nested in the one
   * before (a request or a signal handler that makes a blocking call,
   * during which the next one is handled, and so on). One that comes
   * deeper is held back (see
   * [property@Comlink.Connection:max-held-requests]) and handled, in
   * order, when the depth goes down; replies, errors, cancellations and
   * releases are handled at any depth. The default is 64.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_NESTING_DEPTH] =
    g_param_spec_uint ("max-nesting-depth", NULL, NULL,
                       1, G_MAXUINT, COMLINK_DEFAULT_MAX_NESTING_DEPTH,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * ComlinkConnection::released:
   * @self: the connection
   * @object: the local object
   *
   * Emitted in the connection's context when the peer no longer holds any
   * reference to @object, an object that was exposed or sent to it: every
   * proxy of it was released, or the connection closed. It is the
   * counterpart of Comlink's `finalizer`; an object that implements
   * [iface@Comlink.Exposable] learns it through its `released` virtual
   * function too.
   *
   * Since: 0.1
   */
  signals[RELEASED] =
    g_signal_new ("released",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  g_cclosure_marshal_VOID__OBJECT,
                  G_TYPE_NONE, 1, G_TYPE_OBJECT);

  /**
   * ComlinkConnection::closed:
   * @self: the connection
   * @error: why it closed
   *
   * Emitted once, in the connection's context, when the connection
   * closes, after every pending call has failed with @error.
   *
   * Since: 0.1
   */
  signals[CLOSED] =
    g_signal_new ("closed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  g_cclosure_marshal_VOID__BOXED,
                  G_TYPE_NONE, 1, G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
comlink_connection_init (ComlinkConnection *self)
{
  self->holds_self = TRUE;
  self->max_pending_calls = COMLINK_DEFAULT_MAX_PENDING_CALLS;
  self->max_exports = COMLINK_DEFAULT_MAX_EXPORTS;
  self->max_held_requests = COMLINK_DEFAULT_MAX_HELD_REQUESTS;
  self->max_held_fds = COMLINK_DEFAULT_MAX_HELD_FDS;
  self->max_held_bytes = COMLINK_DEFAULT_MAX_HELD_BYTES;
  self->max_subscriptions = COMLINK_DEFAULT_MAX_SUBSCRIPTIONS;
  self->max_queued_bytes = COMLINK_DEFAULT_MAX_QUEUED_BYTES;
  self->max_nesting_depth = COMLINK_DEFAULT_MAX_NESTING_DEPTH;
  g_mutex_init (&self->mutex);
  g_queue_init (&self->held);
  self->pending = new_id_table (pending_call_free);
  self->invocations = new_id_table (NULL);
  self->exports = new_id_table (export_record_free);
  self->export_ids = g_hash_table_new (NULL, NULL);
  self->imports = new_id_table (NULL);
  self->proxies = g_hash_table_new (NULL, NULL);
  self->subscribed = new_id_table (subscription_free);
  self->serving = new_id_table (emitter_free);
  self->parked = g_ptr_array_new_with_free_func (g_free);
  self->spawned = g_ptr_array_new_with_free_func (g_object_unref);
  self->releases = g_array_new (FALSE, FALSE, sizeof (ComlinkRelease));
  /* Ids are not guessable across connections and never reused in one */
  self->next_export_id = ((((guint64) g_random_int ()) << 32 | g_random_int ()) >> 2) + 1;
}

static void
connection_setup (ComlinkConnection *self,
                  ComlinkEndpoint   *endpoint)
{
  self->endpoint = g_object_ref (endpoint);
  comlink_endpoint_start (endpoint);
  self->context = g_main_context_ref (comlink_endpoint_get_context (endpoint));

  if (comlink_endpoint_is_closed (endpoint))
    {
      g_autoptr(GError) error = g_error_new_literal (COMLINK_ERROR, COMLINK_ERROR_CLOSED,
                                                      _ ("The endpoint is closed"));
      _comlink_connection_close_with_error (self, error);
      return;
    }

  _comlink_endpoint_set_receiver (endpoint, on_endpoint_message, self);
  _comlink_endpoint_set_written_func (endpoint, on_endpoint_written, self);
  self->closed_handler = g_signal_connect (endpoint, "closed",
                                           G_CALLBACK (on_endpoint_closed), self);
  {
    ComlinkOutgoing hello = _comlink_message_new_hello ();

    _comlink_endpoint_send_message (endpoint, &hello, NULL, NULL);
    _comlink_outgoing_clear (&hello);
  }
}

/* --- Public API --- */

/**
 * comlink_connection_get_for_endpoint:
 * @endpoint: a #ComlinkEndpoint
 *
 * Returns the connection of @endpoint, creating it if needed. A new
 * connection starts @endpoint (if it was not started yet) in the
 * thread-default main context, and sends the handshake.
 *
 * The connection keeps itself alive while it is open.
 *
 * Returns: (transfer none): the connection of @endpoint
 *
 * Since: 0.1
 */
ComlinkConnection *
comlink_connection_get_for_endpoint (ComlinkEndpoint *endpoint)
{
  ComlinkConnection *self;
  ComlinkConnection *created = NULL;

  g_return_val_if_fail (COMLINK_IS_ENDPOINT (endpoint), NULL);

  /* Make sure the quark exists */
  g_type_ensure (COMLINK_TYPE_CONNECTION);

  G_LOCK (endpoint_connection);
  self = g_object_get_qdata (G_OBJECT (endpoint), connection_quark);
  if (self == NULL)
    {
      created = self = g_object_new (COMLINK_TYPE_CONNECTION, NULL);
      g_object_set_qdata (G_OBJECT (endpoint), connection_quark, self);
    }
  G_UNLOCK (endpoint_connection);

  /* The reference from g_object_new() is the one the open connection
   * holds on itself. */
  if (created != NULL)
    connection_setup (created, endpoint);

  return self;
}

/**
 * comlink_connection_get_endpoint:
 * @self: a #ComlinkConnection
 *
 * Gets the endpoint that @self speaks over.
 *
 * Returns: (transfer none): the endpoint of @self
 *
 * Since: 0.1
 */
ComlinkEndpoint *
comlink_connection_get_endpoint (ComlinkConnection *self)
{
  g_return_val_if_fail (COMLINK_IS_CONNECTION (self), NULL);

  return self->endpoint;
}

/**
 * comlink_connection_get_context:
 * @self: a #ComlinkConnection
 *
 * Gets the main context of @self.
 *
 * Returns: (transfer none): the main context that @self lives in: requests
 *   from the peer are served there
 *
 * Since: 0.1
 */
GMainContext *
comlink_connection_get_context (ComlinkConnection *self)
{
  g_return_val_if_fail (COMLINK_IS_CONNECTION (self), NULL);

  return self->context;
}

/**
 * comlink_connection_expose:
 * @self: a #ComlinkConnection
 * @object: the object to expose to the peer
 *
 * Makes @object the object that the peer's root proxy stands for. Requests
 * that the peer sent earlier are served now, in order. An object can be
 * exposed once per connection; call it in the connection's context.
 *
 * Since: 0.1
 */
void
comlink_connection_expose (ComlinkConnection *self,
                           GObject           *object)
{
  g_return_if_fail (COMLINK_IS_CONNECTION (self));
  g_return_if_fail (G_IS_OBJECT (object));

  g_mutex_lock (&self->mutex);
  if (self->root != NULL)
    {
      g_mutex_unlock (&self->mutex);
      g_critical ("An object is already exposed on this connection");
      return;
    }
  if (self->closed)
    {
      g_mutex_unlock (&self->mutex);
      return;
    }
  self->root = g_object_ref (object);
  g_mutex_unlock (&self->mutex);

  serve_held (self);
}

/**
 * comlink_expose:
 * @object: the object to expose
 * @endpoint: a #ComlinkEndpoint
 *
 * Exposes @object to the peer of @endpoint, the counterpart of Comlink's
 * `expose()`: the peer's [func@Comlink.wrap] returns a proxy of it.
 *
 * Its readable properties answer gets, its writable ones sets, and its
 * action signals are its methods; an object implementing
 * [iface@Comlink.Exposable] answers every request itself.
 *
 * Returns: (transfer none): the connection of @endpoint, which keeps
 *   itself alive while it is open
 *
 * Since: 0.1
 */
ComlinkConnection *
comlink_expose (GObject         *object,
                ComlinkEndpoint *endpoint)
{
  ComlinkConnection *self;

  g_return_val_if_fail (G_IS_OBJECT (object), NULL);
  g_return_val_if_fail (COMLINK_IS_ENDPOINT (endpoint), NULL);

  self = comlink_connection_get_for_endpoint (endpoint);
  comlink_connection_expose (self, object);

  return self;
}

/**
 * comlink_connection_close:
 * @self: a #ComlinkConnection
 *
 * Closes @self and its endpoint: every pending call fails with
 * %COMLINK_ERROR_CLOSED, every request being served has its cancellable
 * cancelled, every proxy turns defunct and every exported object is
 * dropped. Closing twice does nothing. Call it in the connection's context.
 *
 * Since: 0.1
 */
void
comlink_connection_close (ComlinkConnection *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (COMLINK_IS_CONNECTION (self));

  error = g_error_new_literal (COMLINK_ERROR, COMLINK_ERROR_CLOSED,
                               _ ("The connection was closed"));
  _comlink_connection_close_with_error (self, error);
}

/**
 * comlink_connection_is_closed:
 * @self: a #ComlinkConnection
 *
 * Tells whether @self is closed.
 *
 * Returns: whether @self is closed
 *
 * Since: 0.1
 */
gboolean
comlink_connection_is_closed (ComlinkConnection *self)
{
  gboolean ret;

  g_return_val_if_fail (COMLINK_IS_CONNECTION (self), TRUE);

  g_mutex_lock (&self->mutex);
  ret = self->closed;
  g_mutex_unlock (&self->mutex);

  return ret;
}

/**
 * comlink_connection_is_ready:
 * @self: a #ComlinkConnection
 *
 * Tells whether the handshake with the peer is done.
 *
 * Returns: whether the handshake with the peer is done
 *
 * Since: 0.1
 */
gboolean
comlink_connection_is_ready (ComlinkConnection *self)
{
  gboolean ret;

  g_return_val_if_fail (COMLINK_IS_CONNECTION (self), FALSE);

  g_mutex_lock (&self->mutex);
  ret = self->ready;
  g_mutex_unlock (&self->mutex);

  return ret;
}

/**
 * comlink_connection_get_n_proxies:
 * @self: a #ComlinkConnection
 *
 * Gets how many proxies of @self are alive.
 *
 * Returns: the number of live proxies of @self; see
 *   [property@Comlink.Connection:n-proxies]
 *
 * Since: 0.1
 */
guint
comlink_connection_get_n_proxies (ComlinkConnection *self)
{
  guint ret;

  g_return_val_if_fail (COMLINK_IS_CONNECTION (self), 0);

  g_mutex_lock (&self->mutex);
  ret = g_hash_table_size (self->proxies);
  g_mutex_unlock (&self->mutex);

  return ret;
}

/**
 * comlink_connection_get_n_exports:
 * @self: a #ComlinkConnection
 *
 * Gets how many local objects the peer holds.
 *
 * Returns: the number of local objects the peer holds references to; see
 *   [property@Comlink.Connection:n-exports]
 *
 * Since: 0.1
 */
guint
comlink_connection_get_n_exports (ComlinkConnection *self)
{
  guint ret;

  g_return_val_if_fail (COMLINK_IS_CONNECTION (self), 0);

  g_mutex_lock (&self->mutex);
  ret = g_hash_table_size (self->exports);
  g_mutex_unlock (&self->mutex);

  return ret;
}

/**
 * comlink_connection_get_timeout:
 * @self: a #ComlinkConnection
 *
 * Gets the default timeout of the calls made over @self.
 *
 * Returns: the default timeout of calls, in milliseconds; 0 for none. See
 *   [property@Comlink.Connection:timeout].
 *
 * Since: 0.1
 */
guint
comlink_connection_get_timeout (ComlinkConnection *self)
{
  guint ret;

  g_return_val_if_fail (COMLINK_IS_CONNECTION (self), 0);

  g_mutex_lock (&self->mutex);
  ret = self->timeout_msec;
  g_mutex_unlock (&self->mutex);

  return ret;
}

/**
 * comlink_connection_set_timeout:
 * @self: a #ComlinkConnection
 * @timeout_msec: the default timeout of calls, in milliseconds; 0 for none
 *
 * Sets [property@Comlink.Connection:timeout]. Calls already made keep
 * their own.
 *
 * Since: 0.1
 */
void
comlink_connection_set_timeout (ComlinkConnection *self,
                                guint              timeout_msec)
{
  gboolean changed;

  g_return_if_fail (COMLINK_IS_CONNECTION (self));
  g_return_if_fail (timeout_msec <= G_MAXINT);

  g_mutex_lock (&self->mutex);
  changed = self->timeout_msec != timeout_msec;
  self->timeout_msec = timeout_msec;
  g_mutex_unlock (&self->mutex);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMEOUT]);
}

/**
 * comlink_connection_get_max_pending_calls:
 * @self: a #ComlinkConnection
 *
 * Gets the value of [property@Comlink.Connection:max-pending-calls].
 *
 * Returns: the value of [property@Comlink.Connection:max-pending-calls]
 *
 * Since: 0.1
 */
guint
comlink_connection_get_max_pending_calls (ComlinkConnection *self)
{
  guint ret;

  g_return_val_if_fail (COMLINK_IS_CONNECTION (self), 0);

  g_mutex_lock (&self->mutex);
  ret = self->max_pending_calls;
  g_mutex_unlock (&self->mutex);

  return ret;
}

/**
 * comlink_connection_set_max_pending_calls:
 * @self: a #ComlinkConnection
 * @max_pending_calls: the limit, at least 1
 *
 * Sets [property@Comlink.Connection:max-pending-calls].
 *
 * Since: 0.1
 */
void
comlink_connection_set_max_pending_calls (ComlinkConnection *self,
                                          guint              max_pending_calls)
{
  gboolean changed;

  g_return_if_fail (COMLINK_IS_CONNECTION (self));
  g_return_if_fail (max_pending_calls > 0);

  g_mutex_lock (&self->mutex);
  changed = self->max_pending_calls != max_pending_calls;
  self->max_pending_calls = max_pending_calls;
  g_mutex_unlock (&self->mutex);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_PENDING_CALLS]);
}

/**
 * comlink_connection_get_max_exports:
 * @self: a #ComlinkConnection
 *
 * Gets the value of [property@Comlink.Connection:max-exports].
 *
 * Returns: the value of [property@Comlink.Connection:max-exports]
 *
 * Since: 0.1
 */
guint
comlink_connection_get_max_exports (ComlinkConnection *self)
{
  guint ret;

  g_return_val_if_fail (COMLINK_IS_CONNECTION (self), 0);

  g_mutex_lock (&self->mutex);
  ret = self->max_exports;
  g_mutex_unlock (&self->mutex);

  return ret;
}

/**
 * comlink_connection_set_max_exports:
 * @self: a #ComlinkConnection
 * @max_exports: the limit, at least 1
 *
 * Sets [property@Comlink.Connection:max-exports].
 *
 * Since: 0.1
 */
void
comlink_connection_set_max_exports (ComlinkConnection *self,
                                    guint              max_exports)
{
  gboolean changed;

  g_return_if_fail (COMLINK_IS_CONNECTION (self));
  g_return_if_fail (max_exports > 0);

  g_mutex_lock (&self->mutex);
  changed = self->max_exports != max_exports;
  self->max_exports = max_exports;
  g_mutex_unlock (&self->mutex);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_EXPORTS]);
}

/**
 * comlink_connection_get_max_held_requests:
 * @self: a #ComlinkConnection
 *
 * Gets the value of [property@Comlink.Connection:max-held-requests].
 *
 * Returns: the value of [property@Comlink.Connection:max-held-requests]
 *
 * Since: 0.1
 */
guint
comlink_connection_get_max_held_requests (ComlinkConnection *self)
{
  guint ret;

  g_return_val_if_fail (COMLINK_IS_CONNECTION (self), 0);

  g_mutex_lock (&self->mutex);
  ret = self->max_held_requests;
  g_mutex_unlock (&self->mutex);

  return ret;
}

/**
 * comlink_connection_set_max_held_requests:
 * @self: a #ComlinkConnection
 * @max_held_requests: the limit, at least 1
 *
 * Sets [property@Comlink.Connection:max-held-requests].
 *
 * Since: 0.1
 */
void
comlink_connection_set_max_held_requests (ComlinkConnection *self,
                                          guint              max_held_requests)
{
  gboolean changed;

  g_return_if_fail (COMLINK_IS_CONNECTION (self));
  g_return_if_fail (max_held_requests > 0);

  g_mutex_lock (&self->mutex);
  changed = self->max_held_requests != max_held_requests;
  self->max_held_requests = max_held_requests;
  g_mutex_unlock (&self->mutex);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_HELD_REQUESTS]);
}

/**
 * comlink_connection_get_max_held_fds:
 * @self: a #ComlinkConnection
 *
 * Gets the value of [property@Comlink.Connection:max-held-fds].
 *
 * Returns: the value of [property@Comlink.Connection:max-held-fds]
 *
 * Since: 0.1
 */
guint
comlink_connection_get_max_held_fds (ComlinkConnection *self)
{
  guint ret;

  g_return_val_if_fail (COMLINK_IS_CONNECTION (self), 0);

  g_mutex_lock (&self->mutex);
  ret = self->max_held_fds;
  g_mutex_unlock (&self->mutex);

  return ret;
}

/**
 * comlink_connection_set_max_held_fds:
 * @self: a #ComlinkConnection
 * @max_held_fds: the limit
 *
 * Sets [property@Comlink.Connection:max-held-fds].
 *
 * Since: 0.1
 */
void
comlink_connection_set_max_held_fds (ComlinkConnection *self,
                                     guint              max_held_fds)
{
  gboolean changed;

  g_return_if_fail (COMLINK_IS_CONNECTION (self));

  g_mutex_lock (&self->mutex);
  changed = self->max_held_fds != max_held_fds;
  self->max_held_fds = max_held_fds;
  g_mutex_unlock (&self->mutex);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_HELD_FDS]);
}

/**
 * comlink_connection_get_max_held_bytes:
 * @self: a #ComlinkConnection
 *
 * Gets the value of [property@Comlink.Connection:max-held-bytes].
 *
 * Returns: the value of [property@Comlink.Connection:max-held-bytes]
 *
 * Since: 0.1
 */
guint64
comlink_connection_get_max_held_bytes (ComlinkConnection *self)
{
  guint64 ret;

  g_return_val_if_fail (COMLINK_IS_CONNECTION (self), 0);

  g_mutex_lock (&self->mutex);
  ret = self->max_held_bytes;
  g_mutex_unlock (&self->mutex);

  return ret;
}

/**
 * comlink_connection_set_max_held_bytes:
 * @self: a #ComlinkConnection
 * @max_held_bytes: the limit
 *
 * Sets [property@Comlink.Connection:max-held-bytes].
 *
 * Since: 0.1
 */
void
comlink_connection_set_max_held_bytes (ComlinkConnection *self,
                                       guint64            max_held_bytes)
{
  gboolean changed;

  g_return_if_fail (COMLINK_IS_CONNECTION (self));

  g_mutex_lock (&self->mutex);
  changed = self->max_held_bytes != max_held_bytes;
  self->max_held_bytes = max_held_bytes;
  g_mutex_unlock (&self->mutex);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_HELD_BYTES]);
}

/**
 * comlink_connection_get_max_subscriptions:
 * @self: a #ComlinkConnection
 *
 * Gets the value of [property@Comlink.Connection:max-subscriptions].
 *
 * Returns: the value of [property@Comlink.Connection:max-subscriptions]
 *
 * Since: 0.1
 */
guint
comlink_connection_get_max_subscriptions (ComlinkConnection *self)
{
  guint ret;

  g_return_val_if_fail (COMLINK_IS_CONNECTION (self), 0);

  g_mutex_lock (&self->mutex);
  ret = self->max_subscriptions;
  g_mutex_unlock (&self->mutex);

  return ret;
}

/**
 * comlink_connection_set_max_subscriptions:
 * @self: a #ComlinkConnection
 * @max_subscriptions: the limit
 *
 * Sets [property@Comlink.Connection:max-subscriptions]. Subscriptions in place stay.
 *
 * Since: 0.1
 */
void
comlink_connection_set_max_subscriptions (ComlinkConnection *self,
                                          guint              max_subscriptions)
{
  gboolean changed;

  g_return_if_fail (COMLINK_IS_CONNECTION (self));

  g_mutex_lock (&self->mutex);
  changed = self->max_subscriptions != max_subscriptions;
  self->max_subscriptions = max_subscriptions;
  g_mutex_unlock (&self->mutex);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_SUBSCRIPTIONS]);
}

/**
 * comlink_connection_get_max_queued_bytes:
 * @self: a #ComlinkConnection
 *
 * Gets the value of [property@Comlink.Connection:max-queued-bytes].
 *
 * Returns: the value of [property@Comlink.Connection:max-queued-bytes]
 *
 * Since: 0.1
 */
guint64
comlink_connection_get_max_queued_bytes (ComlinkConnection *self)
{
  guint64 ret;

  g_return_val_if_fail (COMLINK_IS_CONNECTION (self), 0);

  g_mutex_lock (&self->mutex);
  ret = self->max_queued_bytes;
  g_mutex_unlock (&self->mutex);

  return ret;
}

/**
 * comlink_connection_set_max_queued_bytes:
 * @self: a #ComlinkConnection
 * @max_queued_bytes: the limit, at least 1
 *
 * Sets [property@Comlink.Connection:max-queued-bytes].
 *
 * Since: 0.1
 */
void
comlink_connection_set_max_queued_bytes (ComlinkConnection *self,
                                         guint64            max_queued_bytes)
{
  gboolean changed;

  g_return_if_fail (COMLINK_IS_CONNECTION (self));
  g_return_if_fail (max_queued_bytes > 0);

  g_mutex_lock (&self->mutex);
  changed = self->max_queued_bytes != max_queued_bytes;
  self->max_queued_bytes = max_queued_bytes;
  /* Held requests may be served now */
  if (can_serve_held_locked (self))
    schedule_drain_locked (self);
  g_mutex_unlock (&self->mutex);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_QUEUED_BYTES]);
}

/**
 * comlink_connection_get_max_nesting_depth:
 * @self: a #ComlinkConnection
 *
 * Gets the value of [property@Comlink.Connection:max-nesting-depth].
 *
 * Returns: the value of [property@Comlink.Connection:max-nesting-depth]
 *
 * Since: 0.1
 */
guint
comlink_connection_get_max_nesting_depth (ComlinkConnection *self)
{
  guint ret;

  g_return_val_if_fail (COMLINK_IS_CONNECTION (self), 0);

  g_mutex_lock (&self->mutex);
  ret = self->max_nesting_depth;
  g_mutex_unlock (&self->mutex);

  return ret;
}

/**
 * comlink_connection_set_max_nesting_depth:
 * @self: a #ComlinkConnection
 * @max_nesting_depth: the limit, at least 1
 *
 * Sets [property@Comlink.Connection:max-nesting-depth].
 *
 * Since: 0.1
 */
void
comlink_connection_set_max_nesting_depth (ComlinkConnection *self,
                                          guint              max_nesting_depth)
{
  gboolean changed;

  g_return_if_fail (COMLINK_IS_CONNECTION (self));
  g_return_if_fail (max_nesting_depth > 0);

  g_mutex_lock (&self->mutex);
  changed = self->max_nesting_depth != max_nesting_depth;
  self->max_nesting_depth = max_nesting_depth;
  /* Held requests may be served now */
  if (can_serve_held_locked (self))
    schedule_drain_locked (self);
  g_mutex_unlock (&self->mutex);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_NESTING_DEPTH]);
}
