/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Well-formed requests that a hostile peer makes to hurt the other side,
 * in both directions: a child that speaks to a real parent (a subprocess
 * worker), and a parent that speaks to a real child. A callback called
 * with arguments of other types or counts than it declares, and a
 * construction with more property names than the type has, or with a
 * name twice, are refused with their own error; the side under attack
 * goes on serving, and nothing is left behind. */

#include <string.h>

#include "hostile-peer.h"

#define STRING(s) "<@ms '" s "'>"

/* Calls of a callback (string s, int n) -> string */
static const struct
{
  const char *name;
  const char *args;
  int         code;
} callback_attacks[] = {
  { "int-for-string", "[<5>, <3>]", COMLINK_ERROR_TYPE_MISMATCH },
  { "swapped", "[<3>, " STRING ("ab") "]", COMLINK_ERROR_TYPE_MISMATCH },
  { "too-few", "[" STRING ("ab") "]", COMLINK_ERROR_INVALID_ARGUMENTS },
  { "too-many", "[" STRING ("ab") ", <3>, <4>]", COMLINK_ERROR_INVALID_ARGUMENTS },
  { "none", "@av []", COMLINK_ERROR_INVALID_ARGUMENTS },
  { "out-of-range", "[" STRING ("ab") ", <int64 9999999999>]", COMLINK_ERROR_TYPE_MISMATCH },
};

#define MANY 100000

/* The body of a construction, (asav) */
typedef GVariant *(*BuildBody) (void);

static GVariant *
many_names (void)
{
  g_autoptr(GVariantBuilder) names = g_variant_builder_new (G_VARIANT_TYPE_STRING_ARRAY);
  g_autoptr(GVariantBuilder) values = g_variant_builder_new (G_VARIANT_TYPE ("av"));

  for (guint i = 0; i < MANY; i++)
    {
      g_autofree char *name = g_strdup_printf ("p%u", i);

      g_variant_builder_add (names, "s", name);
      g_variant_builder_add (values, "v", g_variant_new_int32 (i));
    }
  return g_variant_new ("(asav)", names, values);
}

static GVariant *
many_positional (void)
{
  g_autoptr(GVariantBuilder) values = g_variant_builder_new (G_VARIANT_TYPE ("av"));

  for (guint i = 0; i < MANY; i++)
    g_variant_builder_add (values, "v", g_variant_new_int32 (i));
  return g_variant_new ("(@asav)", g_variant_new_strv (NULL, 0), values);
}

static GVariant *
duplicate_name (void)
{
  return g_variant_new_parsed ("(['value', 'name', 'value'], [<1>, " STRING ("a") ", <2>])");
}

static GVariant *
duplicate_spellings (void)
{
  return g_variant_new_parsed ("(['construct-only', 'construct_only'], [" STRING ("a") ", " STRING ("b") "])");
}

/* Constructions of a TestCalc ("Calc"), which has 4 writable properties */
static const struct
{
  const char *name;
  BuildBody   build;
  int         code;
} construct_attacks[] = {
  { "many-names", many_names, COMLINK_ERROR_INVALID_ARGUMENTS },
  { "many-positional", many_positional, COMLINK_ERROR_INVALID_ARGUMENTS },
  { "duplicate-name", duplicate_name, COMLINK_ERROR_INVALID_ARGUMENTS },
  { "duplicate-spellings", duplicate_spellings, COMLINK_ERROR_INVALID_ARGUMENTS },
};

/* --- the raw side --- */

static void
send_request (HostilePeer *peer,
              guint8       kind,
              guint64      id,
              guint64      target,
              const char  *member,
              GVariant    *body)
{
  const char *path[] = { member, NULL };

  hostile_peer_send_message (peer,
                             g_variant_new ("((ytt)@asv)", kind, id, target,
                                            g_variant_new_strv (path, -1), body),
                             NULL, 0);
}

static void
send_call (HostilePeer *peer,
           guint64      id,
           guint64      target,
           const char  *member,
           const char  *args)
{
  send_request (peer, HOSTILE_CALL, id, target, member, g_variant_new_parsed (args));
}

static void
send_release (HostilePeer *peer,
              guint64      object)
{
  hostile_peer_send_message (peer,
                             g_variant_new_parsed ("((byte 5, uint64 0, uint64 0), @as [], <[(%t, uint32 1)]>)",
                                                   object),
                             NULL, 0);
}

/* The REPLY or ERROR to request @id, whichever comes */
static GVariant *
receive_answer (HostilePeer *peer,
                guint64      id)
{
  for (;;)
    {
      g_autoptr(GVariant) message = hostile_peer_receive (peer, NULL);
      guint8 kind;

      g_assert_nonnull (message);
      kind = hostile_message_kind (message);
      if ((kind == HOSTILE_REPLY || kind == HOSTILE_ERROR) && hostile_message_id (message) == id)
        return g_steal_pointer (&message);
    }
}

/* Request @id was answered with a COMLINK_ERROR of @code */
static void
assert_refused (HostilePeer *peer,
                guint64      id,
                int          code)
{
  g_autoptr(GVariant) answer = receive_answer (peer, id);
  g_autoptr(GVariant) body = NULL;
  const char *domain, *message;
  gint32      got;

  if (hostile_message_kind (answer) != HOSTILE_ERROR)
    {
      g_autofree char *text = g_variant_print (answer, TRUE);

      g_error ("Request %" G_GUINT64_FORMAT " was not refused: %s", id, text);
    }
  body = hostile_message_body (answer);
  g_variant_get (body, "(&si&s)", &domain, &got, &message);
  g_test_message ("Refused: %s", message);
  g_assert_cmpstr (domain, ==, g_quark_to_string (COMLINK_ERROR));
  g_assert_cmpint (got, ==, code);
}

/* Request @id was answered with a value; returns it */
static GVariant *
assert_answered (HostilePeer *peer,
                 guint64      id)
{
  g_autoptr(GVariant) answer = receive_answer (peer, id);

  if (hostile_message_kind (answer) != HOSTILE_REPLY)
    {
      g_autofree char *text = g_variant_print (answer, TRUE);

      g_error ("Request %" G_GUINT64_FORMAT " failed: %s", id, text);
    }
  return hostile_message_body (answer);
}

static void
assert_string_answer (HostilePeer *peer,
                      guint64      id,
                      const char  *expected)
{
  g_autoptr(GVariant) body = assert_answered (peer, id);
  g_autofree char *string = NULL;

  g_assert_true (g_variant_is_of_type (body, G_VARIANT_TYPE ("ms")));
  g_variant_get (body, "ms", &string);
  g_assert_cmpstr (string, ==, expected);
}

static gint32
int_answer (HostilePeer *peer,
            guint64      id)
{
  g_autoptr(GVariant) body = assert_answered (peer, id);

  g_assert_true (g_variant_is_of_type (body, G_VARIANT_TYPE_INT32));
  return g_variant_get_int32 (body);
}

/* --- a hostile child, its parent a real subprocess worker --- */

typedef struct
{
  ComlinkWorker *worker;
  HostilePeer   *peer;
  TestResult     r;
  guint          fds_before;
  guint64        call_id;
  /* The object that the parent's call carried */
  guint64 object_id;
} ChildAttack;

/* The parent calls @method of the child with @args (an object first);
 * the child has its request and the id of that object */
static void
child_attack_start (ChildAttack *a,
                    const char  *method,
                    GValue      *args,
                    guint        n_args)
{
  g_autoptr(GVariant) call = NULL;
  g_autoptr(GVariant) body = NULL;

  a->fds_before = test_count_fds_baseline ();
  a->worker = hostile_worker_new (&a->peer);
  comlink_proxy_call_async (comlink_worker_get_proxy (a->worker), method, args, n_args, NULL,
                            test_on_call_done, &a->r);
  test_args_free (args, n_args);
  hostile_peer_send_hello (a->peer);
  call = hostile_peer_receive_kind (a->peer, HOSTILE_CALL, 0);
  g_assert_nonnull (call);
  a->call_id = hostile_message_id (call);
  body = hostile_message_body (call);
  a->object_id = hostile_find_object_id (body);
  g_assert_cmpuint (a->object_id, !=, 0);
}

/* The child answers the parent's call, releases what it was sent, and
 * serves one more call; then the worker is terminated, and nothing of it
 * is left */
static void
child_attack_finish (ChildAttack *a,
                     TestWatch   *sent)
{
  TestWatch  watch = { 0 };
  TestResult ping = { 0 };
  g_autoptr(GVariant) call = NULL;

  hostile_peer_send_message (a->peer,
                             g_variant_new_parsed ("((byte 7, %t, uint64 0), @as [], <(byte 1, <()>)>)",
                                                   a->call_id),
                             NULL, 0);
  test_wait_until (a->r.n_calls == 1);
  g_assert_no_error (a->r.error);

  send_release (a->peer, a->object_id);
  test_wait_until (test_watch_done (sent));

  /* The connection goes on working */
  comlink_proxy_call_async (comlink_worker_get_proxy (a->worker), "ping", NULL, 0, NULL,
                            test_on_call_done, &ping);
  call = hostile_peer_receive_kind (a->peer, HOSTILE_CALL, 0);
  g_assert_nonnull (call);
  hostile_peer_send_message (a->peer,
                             g_variant_new_parsed ("((byte 7, %t, uint64 0), @as [], <(byte 1, <()>)>)",
                                                   hostile_message_id (call)),
                             NULL, 0);
  test_wait_until (ping.n_calls == 1);
  g_assert_no_error (ping.error);
  g_assert_cmpuint (a->r.n_calls, ==, 1);
  g_assert_cmpint (comlink_worker_get_state (a->worker), ==, COMLINK_WORKER_STATE_RUNNING);

  comlink_worker_terminate (a->worker);
  hostile_peer_wait_end (a->peer);
  test_wait_until (g_subprocess_get_identifier (comlink_worker_get_subprocess (a->worker)) == NULL);
  test_result_clear (&a->r);
  test_result_clear (&ping);
  test_watch (&watch, a->worker);
  g_clear_object (&a->worker);
  g_clear_pointer (&a->peer, hostile_peer_free);
  test_wait_until (test_watch_done (&watch));
  test_wait_until (test_count_fds () <= a->fds_before);
}

typedef struct
{
  guint n_calls;
} Repeats;

static char *
on_repeat (ComlinkCallback *callback, const char *s, int n, Repeats *repeats)
{
  g_autoptr(GString) out = g_string_new (NULL);

  repeats->n_calls++;
  for (int i = 0; i < n; i++)
    g_string_append (out, s);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
test_child_calls_callback (gconstpointer data)
{
  guint            i = GPOINTER_TO_UINT (data);
  Repeats          repeats = { 0 };
  ChildAttack      a = { 0 };
  TestWatch        sent = { 0 };
  ComlinkCallback *callback;

  callback = comlink_callback_new_typed (g_cclosure_new (G_CALLBACK (on_repeat), &repeats, NULL),
                                         G_TYPE_STRING, 2, G_TYPE_STRING, G_TYPE_INT);
  test_watch (&sent, callback);
  child_attack_start (&a, "call-back", test_args_new (2, G_TYPE_OBJECT, callback, G_TYPE_INT, 3), 2);
  /* The connection holds the callback while the child holds it */
  g_object_unref (callback);

  send_call (a.peer, 1, a.object_id, "", callback_attacks[i].args);
  assert_refused (a.peer, 1, callback_attacks[i].code);
  g_assert_cmpuint (repeats.n_calls, ==, 0);

  /* The same callback answers a right call, once */
  send_call (a.peer, 2, a.object_id, "", "[" STRING ("ab") ", <3>]");
  assert_string_answer (a.peer, 2, "ababab");
  g_assert_cmpuint (repeats.n_calls, ==, 1);

  child_attack_finish (&a, &sent);
}

static void
on_anything (ComlinkCallback *callback, guint *n_calls)
{
  (*n_calls)++;
}

/* A C closure with no declared types takes no arguments at all */
static void
test_child_calls_untyped_callback (void)
{
  guint            n_calls = 0;
  ChildAttack      a = { 0 };
  TestWatch        sent = { 0 };
  ComlinkCallback *callback;

  callback = comlink_callback_new (g_cclosure_new (G_CALLBACK (on_anything), &n_calls, NULL));
  test_watch (&sent, callback);
  child_attack_start (&a, "call-back", test_args_new (2, G_TYPE_OBJECT, callback, G_TYPE_INT, 3), 2);
  g_object_unref (callback);

  send_call (a.peer, 1, a.object_id, "", "[" STRING ("ab") ", <3>]");
  assert_refused (a.peer, 1, COMLINK_ERROR_INVALID_ARGUMENTS);
  send_call (a.peer, 2, a.object_id, "", "[<3>]");
  assert_refused (a.peer, 2, COMLINK_ERROR_INVALID_ARGUMENTS);
  g_assert_cmpuint (n_calls, ==, 0);

  send_call (a.peer, 3, a.object_id, "", "@av []");
  g_variant_unref (assert_answered (a.peer, 3));
  g_assert_cmpuint (n_calls, ==, 1);

  child_attack_finish (&a, &sent);
}

static void
test_child_constructs (gconstpointer data)
{
  guint       i = GPOINTER_TO_UINT (data);
  guint       n_calcs_finalized;
  ChildAttack a = { 0 };
  TestWatch   sent = { 0 };
  TestCalc   *holder = test_calc_new ();
  guint64     made;

  comlink_register_constructible (G_OBJECT (holder), "Calc", TEST_TYPE_CALC);
  test_watch (&sent, holder);
  child_attack_start (&a, "echo-object", test_args_new (1, G_TYPE_OBJECT, holder), 1);
  g_object_unref (holder);

  send_request (a.peer, HOSTILE_CONSTRUCT, 1, a.object_id, "Calc", construct_attacks[i].build ());
  assert_refused (a.peer, 1, construct_attacks[i].code);

  /* A right construction works, and its object goes when released */
  n_calcs_finalized = test_calc_get_n_finalized ();
  send_request (a.peer, HOSTILE_CONSTRUCT, 2, a.object_id, "Calc",
                g_variant_new_parsed ("(['value', 'construct_only'], [<7>, " STRING ("a") "])"));
  {
    g_autoptr(GVariant) body = assert_answered (a.peer, 2);

    made = hostile_find_object_id (body);
    g_assert_cmpuint (made, !=, 0);
  }
  send_release (a.peer, made);
  test_wait_until (test_calc_get_n_finalized () == n_calcs_finalized + 1);

  child_attack_finish (&a, &sent);
}

/* --- a hostile parent, its child a real library process --- */

/* The child, in "report" mode, has served; the hostile parent closes its
 * end: the child ends normally with its descriptors back to their
 * baseline and no callback left */
static void
parent_attack_finish (HostileChild *child)
{
  g_autofree char *report = NULL;
  HostileReport    parsed = { 0 };
  int              status = -1;

  /* The child still serves */
  send_call (child->peer, 1000, 0, "add", "[<2>, <3>]");
  g_assert_cmpint (int_answer (child->peer, 1000), ==, 5);

  report = hostile_child_finish (child, TRUE, &status);
  g_assert_cmpint (status, ==, 0);
  hostile_report_parse (&parsed, report);
  g_test_message ("The child reported:\n%s", report);
  g_assert_cmpuint (parsed.fds_after, <=, parsed.fds_baseline);
  g_assert_cmpuint (parsed.callbacks_alive, ==, 0);
  hostile_report_clear (&parsed);
}

static void
test_parent_calls_callback (gconstpointer data)
{
  guint        i = GPOINTER_TO_UINT (data);
  const char  *argv[] = { "report", NULL };
  HostileChild child = { 0 };
  guint64      callback_id;
  guint64      id = 10;

  hostile_child_start (&child, argv);
  hostile_peer_send_hello (child.peer);
  send_call (child.peer, 1, 0, "make-callback", "@av []");
  {
    g_autoptr(GVariant) body = assert_answered (child.peer, 1);

    callback_id = hostile_find_object_id (body);
    g_assert_cmpuint (callback_id, !=, 0);
  }

  send_call (child.peer, 2, callback_id, "", callback_attacks[i].args);
  assert_refused (child.peer, 2, callback_attacks[i].code);

  /* The same callback answers a right call */
  send_call (child.peer, 3, callback_id, "", "[" STRING ("ab") ", <3>]");
  assert_string_answer (child.peer, 3, "ababab");

  /* Released, the callback is finalized */
  send_release (child.peer, callback_id);
  for (;;)
    {
      send_call (child.peer, id, 0, "n-callbacks", "@av []");
      if (int_answer (child.peer, id++) == 0)
        break;
      g_assert_cmpuint (id, <, 1000);
      g_usleep (1000);
    }

  parent_attack_finish (&child);
}

static void
test_parent_constructs (gconstpointer data)
{
  guint        i = GPOINTER_TO_UINT (data);
  const char  *argv[] = { "report", NULL };
  HostileChild child = { 0 };
  guint64      made;

  hostile_child_start (&child, argv);
  hostile_peer_send_hello (child.peer);
  g_variant_unref (hostile_peer_receive_kind (child.peer, HOSTILE_HELLO, 0));

  send_request (child.peer, HOSTILE_CONSTRUCT, 1, 0, "Calc", construct_attacks[i].build ());
  assert_refused (child.peer, 1, construct_attacks[i].code);

  /* A right construction works */
  send_request (child.peer, HOSTILE_CONSTRUCT, 2, 0, "Calc",
                g_variant_new_parsed ("(['value', 'construct_only'], [<7>, " STRING ("a") "])"));
  {
    g_autoptr(GVariant) body = assert_answered (child.peer, 2);

    made = hostile_find_object_id (body);
    g_assert_cmpuint (made, !=, 0);
  }
  send_call (child.peer, 3, made, "add", "[<1>, <2>]");
  g_assert_cmpint (int_answer (child.peer, 3), ==, 3);
  send_release (child.peer, made);

  parent_attack_finish (&child);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (callback_attacks); i++)
    {
      g_autofree char *child = g_strdup_printf ("/Comlink/Hostile/child-to-parent/callback/%s",
                                                callback_attacks[i].name);
      g_autofree char *parent = g_strdup_printf ("/Comlink/Hostile/parent-to-child/callback/%s",
                                                 callback_attacks[i].name);

      g_test_add_data_func (child, GUINT_TO_POINTER (i), test_child_calls_callback);
      g_test_add_data_func (parent, GUINT_TO_POINTER (i), test_parent_calls_callback);
    }
  g_test_add_func ("/Comlink/Hostile/child-to-parent/callback/untyped", test_child_calls_untyped_callback);

  for (guint i = 0; i < G_N_ELEMENTS (construct_attacks); i++)
    {
      g_autofree char *child = g_strdup_printf ("/Comlink/Hostile/child-to-parent/construct/%s",
                                                construct_attacks[i].name);
      g_autofree char *parent = g_strdup_printf ("/Comlink/Hostile/parent-to-child/construct/%s",
                                                 construct_attacks[i].name);

      g_test_add_data_func (child, GUINT_TO_POINTER (i), test_child_constructs);
      g_test_add_data_func (parent, GUINT_TO_POINTER (i), test_parent_constructs);
    }

  return g_test_run ();
}
