/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A hostile peer that tries to make the other side hold unbounded state,
 * in both directions: a child against a real parent (a subprocess worker)
 * and a parent against a real child. Requests for an object that is not
 * exposed yet, subscriptions, replies the peer never reads and requests
 * nested in blocking calls are all bounded; the side under attack answers
 * what is over a bound with COMLINK_ERROR_LIMIT_EXCEEDED, keeps serving,
 * creates no quark from the peer's names, and gives back its descriptors
 * and memory. */

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hostile-peer.h"

#define HOSTILE_TAG_NONE 1
#define HOSTILE_TAG_BYTES 3
#define HOSTILE_TAG_FDS 12
#define MAX_FDS 253

/* Attacks are smaller under valgrind; each still exceeds its bound */
static guint
scaled (guint n,
        guint under_valgrind)
{
  return hostile_slowdown () > 1 ? under_valgrind : n;
}

/* Resident memory grew by less than @max_kib since @before. Not under
 * valgrind or AddressSanitizer, which keep what the program frees. */
static void
assert_rss_within (long before,
                   long max_kib)
{
  if (hostile_rss_is_meaningful ())
    g_assert_cmpint (test_rss_kib () - before, <, max_kib);
}

/* --- messages --- */

static GVariant *
value_none (void)
{
  return g_variant_new ("(yv)", HOSTILE_TAG_NONE, g_variant_new ("()"));
}

static GVariant *
value_object (guint64 id)
{
  return g_variant_new ("(yv)", HOSTILE_TAG_OBJECT, g_variant_new_uint64 (id));
}

static GVariant *
value_string (const char *s)
{
  return g_variant_new_maybe (G_VARIANT_TYPE_STRING, g_variant_new_string (s));
}

/* A GUnixFDList of the @n descriptors that come with the message */
static GVariant *
value_fds (guint n)
{
  GVariantBuilder handles;

  g_variant_builder_init (&handles, G_VARIANT_TYPE ("ah"));
  for (guint i = 0; i < n; i++)
    g_variant_builder_add (&handles, "h", (gint32) i);
  return g_variant_new ("(yv)", HOSTILE_TAG_FDS,
                        g_variant_new ("(sah)", "GUnixFDList", &handles));
}

/* An "av" of @n floating values */
static GVariant *
args_new (guint n,
          ...)
{
  GVariantBuilder builder;
  va_list         ap;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("av"));
  va_start (ap, n);
  for (guint i = 0; i < n; i++)
    g_variant_builder_add (&builder, "v", va_arg (ap, GVariant *));
  va_end (ap);

  return g_variant_builder_end (&builder);
}

static void
send_request (HostilePeer *peer,
              guint8       kind,
              guint64      id,
              guint64      target,
              const char  *member,
              GVariant    *body,
              const int   *fds,
              guint        n_fds)
{
  const char *path[] = { member, NULL };

  hostile_peer_send_message (peer, g_variant_new ("((ytt)^asv)", kind, id, target, path, body),
                             fds, n_fds);
}

static void
send_reply (HostilePeer *peer,
            guint64      id,
            GVariant    *value)
{
  const char *path[] = { NULL };

  hostile_peer_send_message (peer, g_variant_new ("((ytt)^asv)", HOSTILE_REPLY, id, (guint64) 0, path, value),
                             NULL, 0);
}

static void
send_unsubscribe (HostilePeer *peer,
                  guint64      id)
{
  const char *path[] = { NULL };

  hostile_peer_send_message (peer, g_variant_new ("((ytt)^asv)", HOSTILE_UNSUBSCRIBE, id, (guint64) 0, path, g_variant_new ("()")),
                             NULL, 0);
}

/* The next REPLY or ERROR; other messages are dropped */
static GVariant *
receive_answer (HostilePeer *peer)
{
  for (;;)
    {
      g_autoptr(GVariant) message = hostile_peer_receive (peer, NULL);
      guint8 kind;

      g_assert_nonnull (message);
      kind = hostile_message_kind (message);
      if (kind == HOSTILE_REPLY || kind == HOSTILE_ERROR)
        return g_steal_pointer (&message);
    }
}

/* @message answers request @id with an ERROR of COMLINK_ERROR @code */
static void
assert_refused (GVariant *message,
                guint64   id,
                int       code)
{
  g_autoptr(GVariant) body = NULL;
  const char *domain;
  const char *text;
  gint32      got;

  g_assert_cmpuint (hostile_message_id (message), ==, id);
  if (hostile_message_kind (message) != HOSTILE_ERROR)
    g_error ("Request %" G_GUINT64_FORMAT " was answered, not refused", id);
  body = hostile_message_body (message);
  g_variant_get (body, "(&si&s)", &domain, &got, &text);
  g_assert_cmpstr (domain, ==, "comlink-error-quark");
  if (got != code)
    g_error ("Request %" G_GUINT64_FORMAT " refused with %d (%s), not %d", id, got, text, code);
}

static void
assert_answered (GVariant *message,
                 guint64   id)
{
  g_assert_cmpuint (hostile_message_id (message), ==, id);
  if (hostile_message_kind (message) != HOSTILE_REPLY)
    {
      g_autoptr(GVariant) body = hostile_message_body (message);
      g_autofree char *text = g_variant_print (body, FALSE);

      g_error ("Request %" G_GUINT64_FORMAT " failed: %s", id, text);
    }
}

/* A pipe's read end, whose write end is closed: a descriptor to send */
static int
pipe_read_end (void)
{
  int fds[2];

  g_assert_cmpint (pipe (fds), ==, 0);
  close (fds[1]);
  return fds[0];
}

/* A request for the root with 253 duplicates of @fd, which the raw peer
 * gives away */
static void
send_fds_request (HostilePeer *peer,
                  guint64      id,
                  int          fd)
{
  int fds[MAX_FDS];

  for (guint i = 0; i < MAX_FDS; i++)
    fds[i] = dup (fd);
  send_request (peer, HOSTILE_CALL, id, 0, "read-fds", args_new (1, value_fds (MAX_FDS)), fds, MAX_FDS);
}

/* --- nesting: the peer of a side whose handlers make blocking calls --- */

/* The side under attack serves @n requests (ids @first_id on), each of
 * which makes a blocking call back to the peer. The script sends one
 * request per level, each once the call back of the one before came, and
 * answers no call back until it sent all; it checks that there are never
 * more than @depth waiting, then answers the deepest each time, until
 * every request was answered. */
typedef struct
{
  HostilePeer *peer;
  void (*send) (HostilePeer *peer, guint64 id, gpointer data);
  gpointer data;
  guint    n;
  guint    depth;
  guint64  first_id;
  gboolean unanswered; /* what @send sends gets no answer (a signal) */
  guint    max_outstanding;
  guint    n_calls_back;
  gint     done;
} NestScript;

/* Handles one message of the side under attack */
static void
nest_script_take (NestScript *s,
                  GArray     *outstanding,
                  guint      *n_answered)
{
  g_autoptr(GVariant) message = hostile_peer_receive (s->peer, NULL);
  guint64 id;

  g_assert_nonnull (message);
  id = hostile_message_id (message);
  switch (hostile_message_kind (message))
    {
    case HOSTILE_CALL:
      g_array_append_val (outstanding, id);
      s->n_calls_back++;
      s->max_outstanding = MAX (s->max_outstanding, outstanding->len);
      g_assert_cmpuint (outstanding->len, <=, s->depth);
      break;

    case HOSTILE_REPLY:
    case HOSTILE_ERROR:
      g_assert_cmpuint (id, >=, s->first_id);
      g_assert_cmpuint (id, <, s->first_id + s->n);
      assert_answered (message, id);
      (*n_answered)++;
      break;

    default:
      break;
    }
}

static void
nest_script_run (NestScript *s)
{
  g_autoptr(GArray) outstanding = g_array_new (FALSE, FALSE, sizeof (guint64));
  guint n_answered = 0;

  for (guint i = 0; i < s->n; i++)
    {
      s->send (s->peer, s->first_id + i, s->data);
      /* Up to the bound, each request calls back; beyond it, none does */
      if (i < s->depth)
        while (outstanding->len < i + 1)
          nest_script_take (s, outstanding, &n_answered);
      else
        while (hostile_peer_poll (s->peer, 20))
          nest_script_take (s, outstanding, &n_answered);
    }

  while (s->unanswered ? s->n_calls_back < s->n || outstanding->len > 0 : n_answered < s->n)
    {
      guint64 id;

      if (hostile_peer_poll (s->peer, 0) || outstanding->len == 0)
        {
          nest_script_take (s, outstanding, &n_answered);
          continue;
        }
      id = g_array_index (outstanding, guint64, outstanding->len - 1);
      g_array_set_size (outstanding, outstanding->len - 1);
      send_reply (s->peer, id, g_variant_new_int32 (1));
    }

  g_assert_cmpuint (outstanding->len, ==, 0);
  g_atomic_int_set (&s->done, 1);
}

/* --- a hostile child, its parent a real subprocess worker --- */

typedef struct
{
  ComlinkWorker     *worker;
  ComlinkProxy      *proxy;
  ComlinkConnection *connection;
  HostilePeer       *peer;
  guint              fds_before;
} ChildAttack;

static void
child_attack_start (ChildAttack *a)
{
  a->fds_before = test_count_fds_baseline ();
  a->worker = hostile_worker_new (&a->peer);
  a->proxy = comlink_worker_get_proxy (a->worker);
  a->connection = comlink_worker_get_connection (a->worker);
  hostile_peer_send_hello (a->peer);
}

/* The parent passes @object to the child; returns the id the child's
 * requests address it by */
static guint64
child_attack_give (ChildAttack *a,
                   gpointer     object)
{
  g_autoptr(GVariant) call = NULL;
  g_autoptr(GVariant) body = NULL;
  TestResult r = { 0 };
  GValue    *args = test_args_new (1, G_TYPE_OBJECT, object);
  guint64    id;

  comlink_proxy_call_async (a->proxy, "take", args, 1, NULL, test_on_call_done, &r);
  test_args_free (args, 1);
  call = hostile_peer_receive_kind (a->peer, HOSTILE_CALL, 0);
  g_assert_nonnull (call);
  body = hostile_message_body (call);
  id = hostile_find_object_id (body);
  g_assert_cmpuint (id, !=, 0);
  send_reply (a->peer, hostile_message_id (call), value_none ());
  test_wait_until (r.n_calls == 1);
  g_assert_no_error (r.error);
  test_result_clear (&r);

  return id;
}

/* The parent still works: a call of its own goes to the child and the
 * answer comes back */
static void
child_attack_check_alive (ChildAttack *a)
{
  g_autoptr(GVariant) call = NULL;
  TestResult r = { 0 };

  comlink_proxy_call_async (a->proxy, "ping", NULL, 0, NULL, test_on_call_done, &r);
  call = hostile_peer_receive_kind (a->peer, HOSTILE_CALL, 0);
  g_assert_nonnull (call);
  send_reply (a->peer, hostile_message_id (call), value_none ());
  test_wait_until (r.n_calls == 1);
  g_assert_no_error (r.error);
  test_result_clear (&r);
}

/* The worker is terminated, and nothing of it is left */
static void
child_attack_finish (ChildAttack *a)
{
  TestWatch watch = { 0 };

  comlink_worker_terminate (a->worker);
  test_watch (&watch, a->worker);
  g_clear_object (&a->worker);
  g_clear_pointer (&a->peer, hostile_peer_free);
  test_wait_until (test_watch_done (&watch));
  test_wait_until (test_count_fds () <= a->fds_before);
}

/* Requests for the parent's root, which is not exposed: the parent holds
 * at most max-held-fds descriptors and max-held-requests requests for it,
 * refuses the others and closes their descriptors at once */
static void
test_child_early_requests (void)
{
  g_autoptr(TestCalc) calc = test_calc_new ();
  ChildAttack a = { 0 };
  int         fd = pipe_read_end ();
  guint       n_small = 1100;
  guint       max_held;

  child_attack_start (&a);
  max_held = comlink_connection_get_max_held_requests (a.connection);
  g_assert_cmpuint (max_held, ==, 1024);
  g_assert_cmpuint (comlink_connection_get_max_held_fds (a.connection), ==, 256);

  /* 100 with 253 descriptors each: only the first fits. One at a time,
   * as the kernel bounds the descriptors in flight */
  send_fds_request (a.peer, 1, fd);
  for (guint64 id = 2; id <= 100; id++)
    {
      g_autoptr(GVariant) answer = NULL;

      send_fds_request (a.peer, id, fd);
      answer = receive_answer (a.peer);

      assert_refused (answer, id, COMLINK_ERROR_LIMIT_EXCEEDED);
    }
  g_assert_cmpuint (test_count_fds (), <=, a.fds_before + MAX_FDS + 16);

  /* More requests than the queue holds */
  for (guint64 id = 101; id < 101 + n_small; id++)
    send_request (a.peer, HOSTILE_CALL, id, 0, "add",
                  args_new (2, g_variant_new_int32 (1), g_variant_new_int32 (2)), NULL, 0);
  for (guint64 id = 101 + max_held - 1; id < 101 + n_small; id++)
    {
      g_autoptr(GVariant) answer = receive_answer (a.peer);

      assert_refused (answer, id, COMLINK_ERROR_LIMIT_EXCEEDED);
    }

  child_attack_check_alive (&a);

  /* Exposed now, the parent serves what it held, in order */
  comlink_connection_expose (a.connection, G_OBJECT (calc));
  {
    g_autoptr(GVariant) answer = receive_answer (a.peer);

    assert_answered (answer, 1);
  }
  for (guint64 id = 101; id < 101 + max_held - 1; id++)
    {
      g_autoptr(GVariant) answer = receive_answer (a.peer);

      assert_answered (answer, id);
    }
  /* The descriptors of the held request went with it */
  test_wait_until (test_count_fds () <= a.fds_before + 16);

  close (fd);
  child_attack_finish (&a);
}

/* A value of @size bytes */
static GVariant *
value_bytes (gsize size)
{
  g_autofree guint8 *data = g_malloc0 (size);

  return g_variant_new ("(yv)", HOSTILE_TAG_BYTES,
                        g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, size, 1));
}

/* Early requests of @size bytes each, @n of them: those that fit in
 * max-held-bytes are held and served once the root is exposed, the others
 * refused at once */
static void
send_big_early_requests (HostilePeer *peer,
                         guint        n,
                         gsize        size)
{
  for (guint64 id = 1; id <= n; id++)
    send_request (peer, HOSTILE_CALL, id, 0, "bytes-size", args_new (1, value_bytes (size)), NULL, 0);
}

/* Requests for the parent's root, which is not exposed, of 300 KiB each:
 * at most max-held-bytes of them are held */
static void
test_child_early_bytes (void)
{
  g_autoptr(TestCalc) calc = test_calc_new ();
  ChildAttack a = { 0 };

  child_attack_start (&a);
  g_assert_cmpuint (comlink_connection_get_max_held_bytes (a.connection), ==, 64 * 1024 * 1024);
  comlink_connection_set_max_held_bytes (a.connection, 1024 * 1024);
  send_big_early_requests (a.peer, 5, 300 * 1024);
  for (guint64 id = 4; id <= 5; id++)
    {
      g_autoptr(GVariant) answer = receive_answer (a.peer);

      assert_refused (answer, id, COMLINK_ERROR_LIMIT_EXCEEDED);
    }

  comlink_connection_expose (a.connection, G_OBJECT (calc));
  for (guint64 id = 1; id <= 3; id++)
    {
      g_autoptr(GVariant) answer = receive_answer (a.peer);

      assert_answered (answer, id);
    }
  child_attack_check_alive (&a);
  child_attack_finish (&a);
}

/* Subscriptions beyond max-subscriptions are refused, one emission makes
 * at most that many messages, and no name the child sends becomes a
 * quark */
static void
test_child_subscriptions (void)
{
  g_autoptr(TestCalc) calc = test_calc_new ();
  ChildAttack a = { 0 };
  guint64     target;
  guint64     id = 0;
  guint64     poke_id;
  guint       limit = 100;
  guint       n_signals = 0;
  guint       n_notify = scaled (20000, 2000);
  long        rss_before;

  child_attack_start (&a);
  g_assert_cmpuint (comlink_connection_get_max_subscriptions (a.connection), ==, 4096);
  comlink_connection_set_max_subscriptions (a.connection, limit);
  target = child_attack_give (&a, calc);
  rss_before = test_rss_kib ();

  for (guint i = 0; i < limit + 50; i++)
    send_request (a.peer, HOSTILE_SUBSCRIBE, ++id, target, "changed", g_variant_new ("()"), NULL, 0);
  for (guint64 i = 1; i <= id; i++)
    {
      g_autoptr(GVariant) answer = receive_answer (a.peer);

      if (i <= limit)
        assert_answered (answer, i);
      else
        assert_refused (answer, i, COMLINK_ERROR_LIMIT_EXCEEDED);
    }

  /* One emission, one message per subscription in place */
  g_signal_emit_by_name (calc, "changed", 7);
  {
    TestResult r = { 0 };

    comlink_proxy_call_async (a.proxy, "ping", NULL, 0, NULL, test_on_call_done, &r);
    for (;;)
      {
        g_autoptr(GVariant) message = hostile_peer_receive (a.peer, NULL);

        g_assert_nonnull (message);
        if (hostile_message_kind (message) == HOSTILE_SIGNAL)
          n_signals++;
        else if (hostile_message_kind (message) == HOSTILE_CALL)
          {
            send_reply (a.peer, hostile_message_id (message), value_none ());
            break;
          }
      }
    test_wait_until (r.n_calls == 1);
    g_assert_no_error (r.error);
    test_result_clear (&r);
  }
  g_assert_cmpuint (n_signals, ==, limit);

  /* Details that name nothing: refused for notify, no quark either way */
  g_assert_cmpuint (g_quark_try_string ("hostile-detail-0"), ==, 0);
  g_assert_cmpuint (g_quark_try_string ("hostile-poke"), ==, 0);
  for (guint i = 0; i < n_notify; i++)
    {
      g_autofree char *name = g_strdup_printf ("notify::hostile-detail-%u", i);

      send_request (a.peer, HOSTILE_SUBSCRIBE, ++id, target, name, g_variant_new ("()"), NULL, 0);
      if (i % 500 == 499 || i == n_notify - 1)
        for (guint64 j = id - (i % 500); j <= id; j++)
          {
            g_autoptr(GVariant) answer = receive_answer (a.peer);

            assert_refused (answer, j, COMLINK_ERROR_NO_SUCH_PROPERTY);
          }
    }
  g_assert_cmpuint (g_quark_try_string ("hostile-detail-0"), ==, 0);
  g_assert_cmpuint (g_quark_try_string ("hostile-detail-1999"), ==, 0);

  /* Room again after unsubscribing; a detail that is no quark is
   * compared by name */
  for (guint64 i = 1; i <= 10; i++)
    send_unsubscribe (a.peer, i);
  poke_id = ++id;
  send_request (a.peer, HOSTILE_SUBSCRIBE, poke_id, target, "poked::hostile-poke", g_variant_new ("()"), NULL, 0);
  {
    g_autoptr(GVariant) answer = receive_answer (a.peer);

    assert_answered (answer, poke_id);
  }
  g_assert_cmpuint (g_quark_try_string ("hostile-poke"), ==, 0);
  g_signal_emit_by_name (calc, "poke", "other");
  g_signal_emit_by_name (calc, "poke", "hostile-poke");
  g_signal_emit_by_name (calc, "poke", "other");
  {
    g_autoptr(GVariant) message = hostile_peer_receive_kind (a.peer, HOSTILE_SIGNAL, 0);

    g_assert_nonnull (message);
    g_assert_cmpuint (hostile_message_id (message), ==, poke_id);
  }
  child_attack_check_alive (&a);
  assert_rss_within (rss_before, 16 * 1024);

  child_attack_finish (&a);
  g_assert_cmpuint (g_quark_try_string ("hostile-detail-0"), ==, 0);
}

/* A child that asks for large results and never reads them: the parent
 * queues at most about max-queued-bytes, parks the requests, stops
 * reading, fails its own new calls with LIMIT_EXCEEDED, and goes on once
 * the child reads */
static void
test_child_backpressure (void)
{
  g_autoptr(TestCalc) calc = test_calc_new ();
  g_autoptr(GPtrArray) early_calls = g_ptr_array_new ();
  ChildAttack a = { 0 };
  guint64     target;
  guint       n = scaled (128, 48);
  guint       n_answered = 0;
  long        rss_before;
  gboolean    refused = FALSE;
  gint64      deadline;

  child_attack_start (&a);
  g_assert_cmpuint (comlink_connection_get_max_queued_bytes (a.connection), ==, 64 * 1024 * 1024);
  comlink_connection_set_max_queued_bytes (a.connection, 1024 * 1024);
  comlink_connection_set_max_held_requests (a.connection, 8);
  target = child_attack_give (&a, calc);
  rss_before = test_rss_kib ();

  /* Each result is 512 KiB: unbounded, n of them would queue */
  for (guint64 id = 1; id <= n; id++)
    send_request (a.peer, HOSTILE_CALL, id, target, "repeat",
                  args_new (2, value_string ("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
                            g_variant_new_int32 (8192)),
                  NULL, 0);

  /* Until the parent's own calls are refused */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!refused)
    {
      TestResult *r = g_new0 (TestResult, 1);
      gint64      until = g_get_monotonic_time () + 20 * 1000;

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      comlink_proxy_call_async (a.proxy, "ping", NULL, 0, NULL, test_on_call_done, r);
      while (r->n_calls == 0 && g_get_monotonic_time () < until)
        if (!g_main_context_iteration (NULL, FALSE))
          g_usleep (500);
      if (r->n_calls == 1)
        {
          g_assert_error (r->error, COMLINK_ERROR, COMLINK_ERROR_LIMIT_EXCEEDED);
          refused = TRUE;
          test_result_clear (r);
          g_free (r);
        }
      else
        g_ptr_array_add (early_calls, r);
    }
  assert_rss_within (rss_before, 16 * 1024);

  /* The child reads: everything is answered, in order */
  while (n_answered < n)
    {
      g_autoptr(GVariant) message = hostile_peer_receive (a.peer, NULL);

      g_assert_nonnull (message);
      if (hostile_message_kind (message) == HOSTILE_CALL)
        send_reply (a.peer, hostile_message_id (message), value_none ());
      else if (hostile_message_kind (message) == HOSTILE_REPLY || hostile_message_kind (message) == HOSTILE_ERROR)
        {
          g_autoptr(GVariant) body = hostile_message_body (message);
          g_autoptr(GVariant) text = NULL;

          assert_answered (message, ++n_answered);
          text = g_variant_get_maybe (body);
          g_assert_nonnull (text);
          g_assert_cmpuint (g_variant_get_size (text), ==, 64 * 8192 + 1);
        }
    }
  /* The calls the parent made before it was refused went through */
  for (guint i = 0; i < early_calls->len; i++)
    {
      TestResult *r = g_ptr_array_index (early_calls, i);
      gint64      until = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

      while (r->n_calls == 0)
        {
          g_assert_cmpint (g_get_monotonic_time (), <, until);
          if (hostile_peer_poll (a.peer, 10))
            {
              g_autoptr(GVariant) message = hostile_peer_receive (a.peer, NULL);

              if (hostile_message_kind (message) == HOSTILE_CALL)
                send_reply (a.peer, hostile_message_id (message), value_none ());
            }
        }
      g_assert_no_error (r->error);
      test_result_clear (r);
      g_free (r);
    }
  child_attack_check_alive (&a);

  child_attack_finish (&a);
}

/* The ids of the requests the callback served, in the order it began
 * serving them */
static GArray *nest_order;

static void
nest_callback (ComlinkCallback *callback,
               gint64           request,
               ComlinkProxy    *proxy)
{
  g_autoptr(GError) error = NULL;
  GValue *result;

  g_array_append_val (nest_order, request);
  result = comlink_proxy_call_sync (proxy, "ping", NULL, 0, NULL, &error);

  if (result != NULL)
    g_boxed_free (G_TYPE_VALUE, result);
}

/* A call of the callback, with the request's id as its argument */
static void
send_nest_to_parent (HostilePeer *peer,
                     guint64      id,
                     gpointer     data)
{
  guint64 *target = data;

  send_request (peer, HOSTILE_CALL, id, *target, "", args_new (1, g_variant_new_int64 (id)), NULL, 0);
}

static gpointer
nest_script_thread (gpointer data)
{
  NestScript   *s = data;
  GMainContext *context = g_main_context_new ();

  g_main_context_push_thread_default (context);
  nest_script_run (s);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);

  return NULL;
}

/* Calls of the child to a callback of the parent that makes a blocking
 * call back, each served in the main loop of the one before: the parent
 * serves max-nesting-depth at once, holds the others and serves them, in
 * order, as the depth goes down */
static void
test_child_nesting (void)
{
  g_autoptr(ComlinkCallback) callback = NULL;
  ChildAttack a = { 0 };
  NestScript  s = { 0 };
  GThread    *thread;
  guint64     target;

  nest_order = g_array_new (FALSE, FALSE, sizeof (gint64));
  child_attack_start (&a);
  g_assert_cmpuint (comlink_connection_get_max_nesting_depth (a.connection), ==, 64);
  comlink_connection_set_max_nesting_depth (a.connection, 8);
  callback = comlink_callback_new_typed (g_cclosure_new (G_CALLBACK (nest_callback), a.proxy, NULL),
                                         G_TYPE_NONE, 1, G_TYPE_INT64);
  target = child_attack_give (&a, callback);

  s.peer = a.peer;
  s.send = send_nest_to_parent;
  s.data = &target;
  s.n = 20;
  s.depth = 8;
  s.first_id = 1;
  thread = g_thread_new ("hostile-child", nest_script_thread, &s);
  test_wait_until (g_atomic_int_get (&s.done));
  g_thread_join (thread);

  g_assert_cmpuint (s.max_outstanding, ==, 8);
  g_assert_cmpuint (s.n_calls_back, ==, 20);
  /* The held requests were served in the order they came */
  g_assert_cmpuint (nest_order->len, ==, 20);
  for (guint i = 0; i < nest_order->len; i++)
    g_assert_cmpint (g_array_index (nest_order, gint64, i), ==, i + 1);
  g_clear_pointer (&nest_order, g_array_unref);
  child_attack_check_alive (&a);

  child_attack_finish (&a);
}

static void
nest_signal_handler (ComlinkProxy *proxy,
                     gint64        emission,
                     ComlinkProxy *root)
{
  g_autoptr(GError) error = NULL;
  GValue *result;

  g_array_append_val (nest_order, emission);
  result = comlink_proxy_call_sync (root, "ping", NULL, 0, NULL, &error);

  if (result != NULL)
    g_boxed_free (G_TYPE_VALUE, result);
}

static void
on_subscribed (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  TestResult *r = user_data;

  comlink_proxy_subscribe_finish (COMLINK_PROXY (source), result, &r->error);
  r->n_calls++;
}

/* An emission of subscription @data */
static void
send_nest_signal (HostilePeer *peer,
                  guint64      id,
                  gpointer     data)
{
  guint64 *subscription = data;

  send_request (peer, HOSTILE_SIGNAL, *subscription, 0, NULL, args_new (1, g_variant_new_int64 (id)), NULL, 0);
}

/* Emissions of a signal the parent subscribed to, whose handler makes a
 * blocking call back, each delivered in the main loop of the one before:
 * they nest as requests do, no deeper than max-nesting-depth, and the
 * others are delivered, in order, as the depth goes down */
static void
test_child_signal_nesting (void)
{
  g_autoptr(GVariant) subscribe = NULL;
  ChildAttack a = { 0 };
  NestScript  s = { 0 };
  TestResult  r = { 0 };
  GThread    *thread;
  guint64     subscription;

  nest_order = g_array_new (FALSE, FALSE, sizeof (gint64));
  child_attack_start (&a);
  comlink_connection_set_max_nesting_depth (a.connection, 8);
  comlink_proxy_subscribe_async (a.proxy, "tick",
                                 g_cclosure_new (G_CALLBACK (nest_signal_handler), a.proxy, NULL),
                                 NULL, on_subscribed, &r);
  subscribe = hostile_peer_receive_kind (a.peer, HOSTILE_SUBSCRIBE, 0);
  g_assert_nonnull (subscribe);
  subscription = hostile_message_id (subscribe);
  send_reply (a.peer, subscription, value_none ());
  test_wait_until (r.n_calls == 1);
  g_assert_no_error (r.error);
  test_result_clear (&r);

  s.peer = a.peer;
  s.send = send_nest_signal;
  s.data = &subscription;
  s.n = 20;
  s.depth = 8;
  s.first_id = 1;
  s.unanswered = TRUE;
  thread = g_thread_new ("hostile-child", nest_script_thread, &s);
  test_wait_until (g_atomic_int_get (&s.done));
  g_thread_join (thread);

  g_assert_cmpuint (s.max_outstanding, ==, 8);
  g_assert_cmpuint (s.n_calls_back, ==, 20);
  g_assert_cmpuint (nest_order->len, ==, 20);
  for (guint i = 0; i < nest_order->len; i++)
    g_assert_cmpint (g_array_index (nest_order, gint64, i), ==, i + 1);
  g_clear_pointer (&nest_order, g_array_unref);
  child_attack_check_alive (&a);

  child_attack_finish (&a);
}

/* --- a hostile parent, its child a real library process --- */

/* The child ended its connection normally when the parent closed it,
 * gave back its descriptors and memory, and created none of the quarks */
static void
finish_child (HostileChild *child,
              long          max_peak_kib)
{
  g_autofree char *text = NULL;
  HostileReport    report = { 0 };
  int              status = -1;

  text = hostile_child_finish (child, TRUE, &status);
  hostile_report_parse (&report, text);
  g_test_message ("The child reported:\n%s", text);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (report.result, ==, "ok");
  g_assert_cmpuint (report.fds_after, <=, report.fds_baseline);
  if (hostile_rss_is_meaningful ())
    g_assert_cmpint (report.rss_after - report.rss_before, <, 16 * 1024);
  if (max_peak_kib > 0 && hostile_rss_is_meaningful ())
    g_assert_cmpint (report.rss_peak - report.rss_before, <, max_peak_kib);
  g_assert_cmpstrv (report.quarks_present, ((const char *[]){ NULL }));
  hostile_report_clear (&report);
}

/* The child still serves: a call is answered */
static void
check_child_alive (HostileChild *child,
                   guint64       id)
{
  g_autoptr(GVariant) answer = NULL;

  send_request (child->peer, HOSTILE_CALL, id, 0, "add",
                args_new (2, g_variant_new_int32 (2), g_variant_new_int32 (3)), NULL, 0);
  answer = receive_answer (child->peer);
  assert_answered (answer, id);
}

static void
set_child_limit (HostileChild *child,
                 guint64       id,
                 const char   *name,
                 guint64       limit)
{
  g_autoptr(GVariant) answer = NULL;

  send_request (child->peer, HOSTILE_CALL, id, 0, "set-connection-limit",
                args_new (2, value_string (name), g_variant_new_uint64 (limit)), NULL, 0);
  answer = receive_answer (child->peer);
  assert_answered (answer, id);
}

/* Requests before the child exposed its object: it holds at most its
 * defaults (256 descriptors, 1024 requests), refuses the others and
 * serves the held ones in order once it exposes */
static void
test_parent_early_requests (void)
{
  const char  *argv[] = { "report-late", NULL };
  HostileChild child = { 0 };
  int          fd = pipe_read_end ();
  guint        n_small = 1100;


  hostile_child_start (&child, argv);
  hostile_peer_send_hello (child.peer);

  send_fds_request (child.peer, 1, fd);
  for (guint64 id = 2; id <= 100; id++)
    {
      g_autoptr(GVariant) answer = NULL;

      send_fds_request (child.peer, id, fd);
      answer = receive_answer (child.peer);

      assert_refused (answer, id, COMLINK_ERROR_LIMIT_EXCEEDED);
    }
  close (fd);

  for (guint64 id = 101; id < 101 + n_small; id++)
    send_request (child.peer, HOSTILE_CALL, id, 0, "add",
                  args_new (2, g_variant_new_int32 (1), g_variant_new_int32 (2)), NULL, 0);
  for (guint64 id = 101 + 1023; id < 101 + n_small; id++)
    {
      g_autoptr(GVariant) answer = receive_answer (child.peer);

      assert_refused (answer, id, COMLINK_ERROR_LIMIT_EXCEEDED);
    }

  /* The child exposes its object and serves what it held, in order */
  g_subprocess_send_signal (child.process, SIGUSR1);
  {
    g_autoptr(GVariant) answer = receive_answer (child.peer);

    assert_answered (answer, 1);
  }
  for (guint64 id = 101; id < 101 + 1023; id++)
    {
      g_autoptr(GVariant) answer = receive_answer (child.peer);

      assert_answered (answer, id);
    }
  check_child_alive (&child, 5000);

  finish_child (&child, 0);
}

/* Requests before the child exposed its object, of 30 MiB each: the
 * child holds two within its default max-held-bytes, refuses the third,
 * and serves the two once it exposes */
static void
test_parent_early_bytes (void)
{
  const char  *argv[] = { "report-late", NULL };
  HostileChild child = { 0 };

  hostile_child_start (&child, argv);
  hostile_peer_send_hello (child.peer);
  send_big_early_requests (child.peer, 3, 30 * 1024 * 1024);
  {
    g_autoptr(GVariant) answer = receive_answer (child.peer);

    assert_refused (answer, 3, COMLINK_ERROR_LIMIT_EXCEEDED);
  }

  g_subprocess_send_signal (child.process, SIGUSR1);
  for (guint64 id = 1; id <= 2; id++)
    {
      g_autoptr(GVariant) answer = receive_answer (child.peer);

      assert_answered (answer, id);
    }
  check_child_alive (&child, 4);

  finish_child (&child, 0);
}

/* Subscriptions over the child's limit are refused, one emission makes
 * at most that many messages, and 100,000 subscriptions to notifications
 * of properties that do not exist create no quark and cost no memory */
static void
test_parent_subscriptions (void)
{
  const char  *argv[] = { "report", "hostile-detail-0", "hostile-detail-1999", "hostile-poke", NULL };
  HostileChild child = { 0 };
  guint64      id = 1;
  guint64      first;
  guint        limit = 100;
  guint        n_signals = 0;
  guint        n_notify = scaled (100000, 2000);

  hostile_child_start (&child, argv);
  hostile_peer_send_hello (child.peer);
  set_child_limit (&child, id++, "max-subscriptions", limit);

  first = id;
  for (guint i = 0; i < limit + 50; i++)
    send_request (child.peer, HOSTILE_SUBSCRIBE, id++, 0, "changed", g_variant_new ("()"), NULL, 0);
  for (guint64 i = first; i < id; i++)
    {
      g_autoptr(GVariant) answer = receive_answer (child.peer);

      if (i < first + limit)
        assert_answered (answer, i);
      else
        assert_refused (answer, i, COMLINK_ERROR_LIMIT_EXCEEDED);
    }

  send_request (child.peer, HOSTILE_CALL, id, 0, "emit-changed", args_new (1, g_variant_new_int32 (1)), NULL, 0);
  for (;;)
    {
      g_autoptr(GVariant) message = hostile_peer_receive (child.peer, NULL);

      g_assert_nonnull (message);
      if (hostile_message_kind (message) == HOSTILE_SIGNAL)
        n_signals++;
      else if (hostile_message_kind (message) == HOSTILE_REPLY)
        break;
    }
  id++;
  g_assert_cmpuint (n_signals, ==, limit);

  /* Room again after unsubscribing; a detail that is no quark stays no
   * quark */
  for (guint64 i = first; i < first + 10; i++)
    send_unsubscribe (child.peer, i);
  send_request (child.peer, HOSTILE_SUBSCRIBE, id, 0, "poked::hostile-poke", g_variant_new ("()"), NULL, 0);
  {
    g_autoptr(GVariant) answer = receive_answer (child.peer);

    assert_answered (answer, id);
  }
  id++;

  for (guint i = 0; i < n_notify; i++)
    {
      g_autofree char *name = g_strdup_printf ("notify::hostile-detail-%u", i);

      send_request (child.peer, HOSTILE_SUBSCRIBE, id, 0, name, g_variant_new ("()"), NULL, 0);
      if (i % 1000 == 999 || i == n_notify - 1)
        for (guint64 j = id - (i % 1000); j <= id; j++)
          {
            g_autoptr(GVariant) answer = receive_answer (child.peer);

            assert_refused (answer, j, COMLINK_ERROR_NO_SUCH_PROPERTY);
          }
      id++;
    }
  check_child_alive (&child, id++);

  finish_child (&child, 0);
}

/* A parent that asks for large results and does not read them: the
 * child's memory stays bounded, and everything is answered, in order,
 * once the parent reads */
static void
test_parent_backpressure (void)
{
  const char  *argv[] = { "report", NULL };
  HostileChild child = { 0 };
  guint        n = scaled (128, 48);
  guint        n_answered = 0;

  hostile_child_start (&child, argv);
  hostile_peer_send_hello (child.peer);
  set_child_limit (&child, 1, "max-queued-bytes", 1024 * 1024);
  set_child_limit (&child, 2, "max-held-requests", 8);

  for (guint64 id = 3; id < 3 + n; id++)
    send_request (child.peer, HOSTILE_CALL, id, 0, "repeat",
                  args_new (2, value_string ("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
                            g_variant_new_int32 (8192)),
                  NULL, 0);
  /* Time for the child to fill what it may */
  g_usleep ((hostile_slowdown () > 1) ? 2 * G_USEC_PER_SEC : G_USEC_PER_SEC / 2);

  while (n_answered < n)
    {
      g_autoptr(GVariant) answer = receive_answer (child.peer);

      assert_answered (answer, 3 + n_answered++);
    }
  check_child_alive (&child, 3 + n);

  /* Unbounded, the results would have taken n * 512 KiB at once */
  finish_child (&child, 16 * 1024);
}

/* A request whose handler calls back object 77 of the parent, blocking */
static void
send_nest_to_child (HostilePeer *peer,
                    guint64      id,
                    gpointer     data)
{
  send_request (peer, HOSTILE_CALL, id, 0, "call-back-sync",
                args_new (2, value_object (77), g_variant_new_int32 (1)), NULL, 0);
}

/* Requests whose handler makes a blocking call back to the parent, each
 * served in the main loop of the one before: the child serves 64 at once
 * (its default), holds the others and serves them in order */
static void
test_parent_nesting (void)
{
  const char  *argv[] = { "report", NULL };
  HostileChild child = { 0 };
  NestScript   s = { 0 };

  hostile_child_start (&child, argv);
  hostile_peer_send_hello (child.peer);

  s.peer = child.peer;
  s.send = send_nest_to_child;
  s.n = 80;
  s.depth = 64;
  s.first_id = 1;
  nest_script_run (&s);
  g_assert_cmpuint (s.max_outstanding, ==, 64);
  g_assert_cmpuint (s.n_calls_back, ==, 80);
  check_child_alive (&child, 1000);

  finish_child (&child, 0);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Comlink/HostileState/child-to-parent/early-requests", test_child_early_requests);
  g_test_add_func ("/Comlink/HostileState/child-to-parent/early-bytes", test_child_early_bytes);
  g_test_add_func ("/Comlink/HostileState/child-to-parent/subscriptions", test_child_subscriptions);
  g_test_add_func ("/Comlink/HostileState/child-to-parent/backpressure", test_child_backpressure);
  g_test_add_func ("/Comlink/HostileState/child-to-parent/nesting", test_child_nesting);
  g_test_add_func ("/Comlink/HostileState/child-to-parent/signal-nesting", test_child_signal_nesting);
  g_test_add_func ("/Comlink/HostileState/parent-to-child/early-requests", test_parent_early_requests);
  g_test_add_func ("/Comlink/HostileState/parent-to-child/early-bytes", test_parent_early_bytes);
  g_test_add_func ("/Comlink/HostileState/parent-to-child/subscriptions", test_parent_subscriptions);
  g_test_add_func ("/Comlink/HostileState/parent-to-child/backpressure", test_parent_backpressure);
  g_test_add_func ("/Comlink/HostileState/parent-to-child/nesting", test_parent_nesting);

  return g_test_run ();
}
