/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A hostile peer on the stream, in both directions: a child that writes
 * what it likes to its parent (a real subprocess worker), and a parent
 * that writes what it likes to a real child. Bytes that are not the
 * protocol close the connection at once with COMLINK_ERROR_PROTOCOL and a
 * message that says what was wrong; nothing is left behind on the side
 * that refused them. */

#include <string.h>
#include <unistd.h>

#include "hostile-peer.h"

/* Frames that are not messages, and what the refusal names */
static const struct
{
  const char *name;
  const char *bytes;
  gsize       length;
  const char *reason;
} bad_frames[] = {
  { "length-zero", "\x00\x00\x00\x00", 4, "A message of 0 bytes" },
  { "oversize", "\x00\x00\x00\x7f", 4, "the limit is" },
  /* A variant of type "\xff": not a type at all */
  { "not-a-variant", "\x05\x00\x00\x00\x01\x02\x03\x00\xff", 9, "not in normal form" },
  /* A boolean of value 2 */
  { "not-normal-form", "\x03\x00\x00\x00\x02\x00\x62", 7, "not in normal form" },
  /* A valid variant (uint32 7) that is not a message */
  { "not-a-message", "\x06\x00\x00\x00\x07\x00\x00\x00\x00\x75", 10, "instead of" },
  /* A frame that announces file descriptors, with none */
  { "stray-descriptors", "\x06\x00\x00\x00\x07\x00\x00\x00\x00\x75", 10, "where none is expected" },
  { "missing-descriptors", "\x06\x00\x00\x80\x01\x00\x00\x00\x07\x00\x00\x00\x00\x75", 14, "did not come" },
};

/* A stray descriptor comes with a frame that announces none */
static void
send_bad_frame (HostilePeer *peer,
                guint        i)
{
  if (g_str_equal (bad_frames[i].name, "stray-descriptors"))
    {
      int fd = test_pipe_with ("stray");

      hostile_peer_send_raw_with_fds (peer, bad_frames[i].bytes, bad_frames[i].length, &fd, 1);
      close (fd);
    }
  else
    hostile_peer_send_raw (peer, bad_frames[i].bytes, bad_frames[i].length);
}

/* --- a hostile child, its parent a real subprocess worker --- */

typedef struct
{
  ComlinkWorker *worker;
  HostilePeer   *peer;
  TestResult     r;
  TestExited     exited;
  guint          fds_before;
  guint64        call_id; /* of the parent's call that waits */
} ChildAttack;

/* The worker is started, a call of the parent waits, and the child has
 * sent its handshake */
static void
child_attack_start (ChildAttack *a)
{
  g_autoptr(GVariant) call = NULL;

  a->fds_before = test_count_fds_baseline ();
  a->worker = hostile_worker_new (&a->peer);
  g_signal_connect (a->worker, "exited", G_CALLBACK (test_on_exited), &a->exited);
  comlink_proxy_call_async (comlink_worker_get_proxy (a->worker), "ping", NULL, 0, NULL,
                            test_on_call_done, &a->r);
  hostile_peer_send_hello (a->peer);
  call = hostile_peer_receive_kind (a->peer, HOSTILE_CALL, 0);
  g_assert_nonnull (call);
  a->call_id = hostile_message_id (call);
}

static ComlinkStreamEndpoint *
parent_endpoint (ChildAttack *a)
{
  return COMLINK_STREAM_ENDPOINT (comlink_connection_get_endpoint (comlink_worker_get_connection (a->worker)));
}

/* The call failed with PROTOCOL naming @reason, @after_ms to @after_ms +
 * 300 ms after @since (slower under valgrind): not after waiting for the
 * child's exit, as for a child that closes its side, the worker exited once with the same, the child
 * was reaped, and nothing of the worker is left */
static void
child_attack_check_after (ChildAttack *a,
                          gint64       since,
                          guint        after_ms,
                          const char  *reason)
{
  TestWatch watch = { 0 };

  test_wait_until (a->r.n_calls == 1);
  g_assert_error (a->r.error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL);
  if (strstr (a->r.error->message, reason) == NULL)
    g_error ("“%s” does not say “%s”", a->r.error->message, reason);
  g_assert_cmpint (a->r.time - since, >=, after_ms * 1000);
  g_assert_cmpint (a->r.time - since, <, (after_ms + 300 * hostile_slowdown ()) * 1000);
  g_assert_cmpuint (a->exited.n_exited, ==, 1);
  g_assert_error (a->exited.error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL);
  g_assert_cmpint (comlink_worker_get_state (a->worker), ==, COMLINK_WORKER_STATE_EXITED);

  /* The child is killed and reaped */
  test_wait_until (g_subprocess_get_identifier (comlink_worker_get_subprocess (a->worker)) == NULL);
  hostile_peer_wait_end (a->peer);

  test_result_clear (&a->r);
  g_clear_error (&a->exited.error);
  test_watch (&watch, a->worker);
  g_clear_object (&a->worker);
  g_clear_pointer (&a->peer, hostile_peer_free);
  test_wait_until (test_watch_done (&watch));
  test_wait_until (test_count_fds () <= a->fds_before);
}

static void
child_attack_check (ChildAttack *a,
                    gint64       since,
                    const char  *reason)
{
  child_attack_check_after (a, since, 0, reason);
}

/* A message of @kind with @body, for a member @member (or none) */
static GVariant *
message_new (guint8      kind,
             guint64     id,
             const char *member,
             GVariant   *body)
{
  const char *path[] = { member, NULL };

  return g_variant_new ("((ytt)@as@v)", kind, id, (guint64) 0,
                        g_variant_new_strv (path, member != NULL ? 1 : 0),
                        g_variant_new_variant (body));
}

static GVariant *
empty_strings (guint n)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_STRING_ARRAY);
  for (guint i = 0; i < n; i++)
    g_variant_builder_add (&builder, "s", "");
  return g_variant_builder_end (&builder);
}

/* A VARIANT value: an int nested in @depth variants */
static GVariant *
nested_variant (guint depth)
{
  GVariant *value = g_variant_new_int32 (7);

  for (guint i = 0; i < depth; i++)
    value = g_variant_new_variant (value);
  return g_variant_new ("(y@v)", 2, g_variant_new_variant (value));
}

/* A frame begun and never finished */
static const char partial_frame[] = "\x10\x00\x00\x00\x01\x02";

static void
test_child_bad_frame (gconstpointer data)
{
  guint       i = GPOINTER_TO_UINT (data);
  ChildAttack a = { 0 };
  gint64      since;

  child_attack_start (&a);
  since = g_get_monotonic_time ();
  send_bad_frame (a.peer, i);
  child_attack_check (&a, since, bad_frames[i].reason);
}

static void
test_child_stall (void)
{
  ChildAttack a = { 0 };
  gint64      since;

  child_attack_start (&a);
  comlink_stream_endpoint_set_read_timeout (parent_endpoint (&a), 1);
  since = g_get_monotonic_time ();
  hostile_peer_send_raw (a.peer, partial_frame, sizeof partial_frame - 1);
  child_attack_check_after (&a, since, 1000, "not completed within 1 second");
}

static void
test_child_too_many_elements (void)
{
  ChildAttack a = { 0 };
  gint64      since;

  child_attack_start (&a);
  comlink_stream_endpoint_set_max_message_elements (parent_endpoint (&a), 1000);
  since = g_get_monotonic_time ();
  hostile_peer_send_message (a.peer, message_new (HOSTILE_REPLY, a.call_id, NULL, empty_strings (1000)), NULL, 0);
  child_attack_check (&a, since, "more than 1000 elements");
}

static void
test_child_too_deep (void)
{
  ChildAttack a = { 0 };
  gint64      since;

  child_attack_start (&a);
  since = g_get_monotonic_time ();
  hostile_peer_send_message (a.peer, message_new (HOSTILE_REPLY, a.call_id, NULL, nested_variant (200)), NULL, 0);
  child_attack_check (&a, since, "nested too deep");
}

/* Many small elements are no attack: a reply of 200,000 empty strings
 * arrives whole, and the worker goes on */
static void
test_child_many_strings (void)
{
  ChildAttack a = { 0 };
  TestWatch   watch = { 0 };
  GStrv       strv;

  child_attack_start (&a);
  hostile_peer_send_message (a.peer, message_new (HOSTILE_REPLY, a.call_id, NULL, empty_strings (200000)), NULL, 0);
  test_wait_until (a.r.n_calls == 1);
  g_assert_no_error (a.r.error);
  g_assert_true (G_VALUE_HOLDS (a.r.value, G_TYPE_STRV));
  strv = g_value_get_boxed (a.r.value);
  g_assert_cmpuint (g_strv_length (strv), ==, 200000);
  g_assert_cmpstr (strv[199999], ==, "");
  g_assert_cmpint (comlink_worker_get_state (a.worker), ==, COMLINK_WORKER_STATE_RUNNING);

  test_result_clear (&a.r);
  comlink_worker_terminate (a.worker);
  test_watch (&watch, a.worker);
  g_clear_object (&a.worker);
  g_clear_pointer (&a.peer, hostile_peer_free);
  test_wait_until (test_watch_done (&watch));
  test_wait_until (test_count_fds () <= a.fds_before);
}

/* --- a hostile parent, its child a real library process --- */

/* The child serves its parent until @bytes come, then reports that the
 * connection closed with PROTOCOL naming @reason, and that its descriptors
 * are back to their baseline */
static void
check_child_report (const char *report,
                    const char *reason)
{
  g_autofree char *expected = g_strdup_printf ("comlink-error-quark %d ", COMLINK_ERROR_PROTOCOL);
  HostileReport    parsed = { 0 };

  hostile_report_parse (&parsed, report);
  if (parsed.result == NULL || !g_str_has_prefix (parsed.result, expected) ||
      strstr (parsed.result, reason) == NULL)
    g_error ("The child reported, not a refusal naming “%s”:\n%s", reason, report);
  g_assert_cmpuint (parsed.fds_after, <=, parsed.fds_baseline);
  hostile_report_clear (&parsed);
}

/* The child started in report mode, with the peer's handshake sent and
 * a call answered */
static void
start_serving_child (HostileChild *child)
{
  const char *argv[] = { "report", NULL };
  g_autoptr(GVariant) reply = NULL;

  hostile_child_start (child, argv);
  hostile_peer_send_hello (child->peer);
  hostile_peer_send (child->peer, "((byte 2, uint64 1, uint64 0), ['add'], <[<2>, <3>]>)", NULL, 0);
  reply = hostile_peer_receive_kind (child->peer, HOSTILE_REPLY, 1);
  g_assert_nonnull (reply);
}

/* The child closed the connection on its own, with PROTOCOL naming
 * @reason, and left nothing behind */
static void
finish_refusing_child (HostileChild *child,
                       const char   *reason)
{
  g_autofree char *report = NULL;
  int              status = -1;

  g_assert_true (hostile_peer_wait_end (child->peer));
  report = hostile_child_finish (child, FALSE, &status);
  g_assert_cmpint (status, ==, 0);
  check_child_report (report, reason);
}

static GVariant *
call_new (guint64     id,
          const char *method,
          GVariant   *arg)
{
  GVariant *args[] = { g_variant_new_variant (arg) };

  return message_new (HOSTILE_CALL, id, method, g_variant_new_array (G_VARIANT_TYPE_VARIANT, args, 1));
}

static void
test_parent_stall (void)
{
  HostileChild child = { 0 };
  gint64       since;

  g_setenv ("COMLINK_TEST_READ_TIMEOUT", "1", TRUE);
  start_serving_child (&child);
  g_unsetenv ("COMLINK_TEST_READ_TIMEOUT");
  since = g_get_monotonic_time ();
  hostile_peer_send_raw (child.peer, partial_frame, sizeof partial_frame - 1);
  finish_refusing_child (&child, "not completed within 1 second");
  g_assert_cmpint (g_get_monotonic_time () - since, >=, G_USEC_PER_SEC);
}

/* The default bound holds: one element more than 1048576 */
static void
test_parent_too_many_elements (void)
{
  HostileChild child = { 0 };

  start_serving_child (&child);
  hostile_peer_send_message (child.peer, call_new (2, "echo-strv", empty_strings (1024 * 1024)), NULL, 0);
  finish_refusing_child (&child, "more than 1048576 elements");
}

static void
test_parent_too_deep (void)
{
  HostileChild child = { 0 };

  start_serving_child (&child);
  hostile_peer_send_message (child.peer, call_new (2, "echo-variant", nested_variant (200)), NULL, 0);
  finish_refusing_child (&child, "nested too deep");
}

/* Many small elements are no attack: the child echoes 200,000 empty
 * strings, and ends normally when the parent goes */
static void
test_parent_many_strings (void)
{
  HostileChild child = { 0 };
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) body = NULL;
  g_autofree char *report = NULL;
  int              status = -1;

  start_serving_child (&child);
  hostile_peer_send_message (child.peer, call_new (2, "echo-strv", empty_strings (200000)), NULL, 0);
  reply = hostile_peer_receive_kind (child.peer, HOSTILE_REPLY, 2);
  g_assert_nonnull (reply);
  body = hostile_message_body (reply);
  g_assert_true (g_variant_is_of_type (body, G_VARIANT_TYPE_STRING_ARRAY));
  g_assert_cmpuint (g_variant_n_children (body), ==, 200000);

  report = hostile_child_finish (&child, TRUE, &status);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (report, "result ok\n"));
}

/* A frame of @text, a message in GVariant text form, appended to @frames */
static void
append_frame (GByteArray *frames,
              const char *text)
{
  g_autoptr(GVariant) message = g_variant_parse (G_VARIANT_TYPE ("((ytt)asv)"), text, NULL, NULL, NULL);
  g_autoptr(GVariant) boxed = g_variant_ref_sink (g_variant_new_variant (message));
  guint32 size = GUINT32_TO_LE ((guint32) g_variant_get_size (boxed));

  g_byte_array_append (frames, (const guint8 *) &size, 4);
  g_byte_array_append (frames, g_variant_get_data (boxed), g_variant_get_size (boxed));
}

/* Two requests that arrive in one read: the first makes a blocking call
 * back, and the second is served meanwhile, in the nested main loop,
 * without waiting for more bytes to come */
static void
test_parent_pipelined_nested (void)
{
  HostileChild child = { 0 };
  g_autoptr(GByteArray) frames = g_byte_array_new ();
  g_autoptr(GVariant) call_back = NULL;
  g_autoptr(GVariant) second = NULL;
  g_autoptr(GVariant) first = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *report = NULL;
  int              status = -1;

  start_serving_child (&child);
  append_frame (frames, "((byte 2, uint64 2, uint64 0), ['call-back-sync'], <[<(byte 8, <uint64 5>)>, <1>]>)");
  append_frame (frames, "((byte 2, uint64 3, uint64 0), ['add'], <[<20>, <22>]>)");
  hostile_peer_send_raw (child.peer, frames->data, frames->len);

  call_back = hostile_peer_receive_kind (child.peer, HOSTILE_CALL, 0);
  g_assert_cmpuint (hostile_message_target (call_back), ==, 5);
  /* The second request is answered while the first waits */
  second = hostile_peer_receive_kind (child.peer, HOSTILE_REPLY, 3);
  g_assert_nonnull (second);

  reply = g_strdup_printf ("((byte 7, uint64 %" G_GUINT64_FORMAT ", uint64 0), @as [], <7>)",
                           hostile_message_id (call_back));
  hostile_peer_send (child.peer, reply, NULL, 0);
  first = hostile_peer_receive_kind (child.peer, HOSTILE_REPLY, 2);
  g_assert_nonnull (first);

  report = hostile_child_finish (&child, TRUE, &status);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (report, "result ok\n"));
}

static void
test_parent_bad_frame (gconstpointer data)
{
  guint        i = GPOINTER_TO_UINT (data);
  HostileChild child = { 0 };

  start_serving_child (&child);
  send_bad_frame (child.peer, i);
  finish_refusing_child (&child, bad_frames[i].reason);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (bad_frames); i++)
    {
      g_autofree char *child = g_strdup_printf ("/Comlink/Hostile/child-to-parent/frame/%s", bad_frames[i].name);
      g_autofree char *parent = g_strdup_printf ("/Comlink/Hostile/parent-to-child/frame/%s", bad_frames[i].name);

      g_test_add_data_func (child, GUINT_TO_POINTER (i), test_child_bad_frame);
      g_test_add_data_func (parent, GUINT_TO_POINTER (i), test_parent_bad_frame);
    }

  g_test_add_func ("/Comlink/Hostile/child-to-parent/stall", test_child_stall);
  g_test_add_func ("/Comlink/Hostile/child-to-parent/too-many-elements", test_child_too_many_elements);
  g_test_add_func ("/Comlink/Hostile/child-to-parent/too-deep", test_child_too_deep);
  g_test_add_func ("/Comlink/Hostile/child-to-parent/many-strings", test_child_many_strings);
  g_test_add_func ("/Comlink/Hostile/parent-to-child/stall", test_parent_stall);
  g_test_add_func ("/Comlink/Hostile/parent-to-child/too-many-elements", test_parent_too_many_elements);
  g_test_add_func ("/Comlink/Hostile/parent-to-child/too-deep", test_parent_too_deep);
  g_test_add_func ("/Comlink/Hostile/parent-to-child/many-strings", test_parent_many_strings);
  g_test_add_func ("/Comlink/Hostile/parent-to-child/pipelined-nested", test_parent_pipelined_nested);

  return g_test_run ();
}
