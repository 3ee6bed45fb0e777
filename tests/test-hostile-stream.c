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
  { "missing-descriptors", "\x06\x00\x00\x80\x01\x00\x00\x00\x07\x00\x00\x00\x00\x75", 14, "did not come" },
};

/* --- a hostile child, its parent a real subprocess worker --- */

typedef struct
{
  ComlinkWorker *worker;
  HostilePeer   *peer;
  TestResult     r;
  TestExited     exited;
  guint          fds_before;
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
}

/* The call failed with PROTOCOL naming @reason, within 100 ms of @since,
 * the worker exited once with the same, the child was reaped, and nothing
 * of the worker is left */
static void
child_attack_check (ChildAttack *a,
                    gint64       since,
                    const char  *reason)
{
  TestWatch watch = { 0 };

  test_wait_until (a->r.n_calls == 1);
  g_assert_error (a->r.error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (a->r.error->message, reason));
  g_assert_cmpint (a->r.time - since, <, 100 * 1000);
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
test_child_bad_frame (gconstpointer data)
{
  guint       i = GPOINTER_TO_UINT (data);
  ChildAttack a = { 0 };
  gint64      since;

  child_attack_start (&a);
  since = g_get_monotonic_time ();
  hostile_peer_send_raw (a.peer, bad_frames[i].bytes, bad_frames[i].length);
  child_attack_check (&a, since, bad_frames[i].reason);
}

/* --- a hostile parent, its child a real library process --- */

/* The child serves its parent until @bytes come, then reports that the
 * connection closed with PROTOCOL naming @reason, and that its descriptors
 * are back to their baseline */
static void
check_child_report (const char *report,
                    const char *reason)
{
  g_auto(GStrv) lines = g_strsplit (report, "\n", -1);
  guint    baseline = 0;
  guint    after = G_MAXUINT;
  gboolean refused = FALSE;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *expected = g_strdup_printf ("result comlink-error-quark %d ", COMLINK_ERROR_PROTOCOL);

      if (g_str_has_prefix (lines[i], expected))
        refused = strstr (lines[i], reason) != NULL;
      else if (g_str_has_prefix (lines[i], "fds-baseline "))
        baseline = atoi (lines[i] + strlen ("fds-baseline "));
      else if (g_str_has_prefix (lines[i], "fds-after "))
        after = atoi (lines[i] + strlen ("fds-after "));
    }

  if (!refused)
    g_test_message ("The child reported:\n%s", report);
  g_assert_true (refused);
  g_assert_cmpuint (after, <=, baseline);
}

static void
test_parent_bad_frame (gconstpointer data)
{
  guint            i = GPOINTER_TO_UINT (data);
  const char      *argv[] = { "report", NULL };
  HostileChild     child = { 0 };
  g_autofree char *report = NULL;
  g_autoptr(GVariant) reply = NULL;
  int status = -1;

  hostile_child_start (&child, argv);
  hostile_peer_send_hello (child.peer);
  /* The child serves: a call is answered */
  hostile_peer_send (child.peer, "((byte 2, uint64 1, uint64 0), ['add'], <[<2>, <3>]>)", NULL, 0);
  reply = hostile_peer_receive_kind (child.peer, HOSTILE_REPLY, 1);
  g_assert_nonnull (reply);

  hostile_peer_send_raw (child.peer, bad_frames[i].bytes, bad_frames[i].length);
  /* The child closes its side on its own, and exits */
  g_assert_true (hostile_peer_wait_end (child.peer));
  report = hostile_child_finish (&child, FALSE, &status);
  g_assert_cmpint (status, ==, 0);
  check_child_report (report, bad_frames[i].reason);
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

  return g_test_run ();
}
