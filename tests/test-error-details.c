/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The details of a remote error (doc/protocol.md, Errors): an invocation
 * that answers with a class name and a stack lets the caller read them
 * beside the GError, in-process, from a thread worker and over a stream;
 * a plain error has none; what a hostile peer sends beyond the bounds, or
 * not valid UTF-8, is refused while the error itself arrives, and the
 * connection goes on. */

#include <string.h>

#include "comlink-wire-private.h"
#include "hostile-peer.h"

#define STACK "fail@file:///worker.js:12:9\nserve@file:///comlink.js:600:20\n"

/* --- a thrower: an exposable whose member names the answer --- */

#define TEST_TYPE_THROWER (test_thrower_get_type ())
G_DECLARE_FINAL_TYPE (TestThrower, test_thrower, TEST, THROWER, GObject)

struct _TestThrower
{
  GObject parent_instance;
};

static void test_thrower_exposable_init (ComlinkExposableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestThrower, test_thrower, G_TYPE_OBJECT, G_IMPLEMENT_INTERFACE (COMLINK_TYPE_EXPOSABLE, test_thrower_exposable_init))

/* A stack of @size bytes of two-byte characters after one ASCII byte, so
 * that a cut at 64 KiB falls inside a character */
static char *
long_stack (gsize size)
{
  GString *stack = g_string_new ("x");

  while (stack->len + 2 <= size)
    g_string_append (stack, "é");

  return g_string_free (stack, FALSE);
}

static void
test_thrower_invoke (ComlinkExposable  *exposable,
                     ComlinkInvocation *invocation)
{
  const char *member = comlink_invocation_get_member (invocation);
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "not here");

  if (g_str_equal (member, "detailed"))
    comlink_invocation_return_error_with_details (invocation, error, "MyError", STACK);
  else if (g_str_equal (member, "class-only"))
    comlink_invocation_return_error_with_details (invocation, error, "MyError", NULL);
  else if (g_str_equal (member, "stack-only"))
    comlink_invocation_return_error_with_details (invocation, error, NULL, STACK);
  else if (g_str_equal (member, "empty-details"))
    comlink_invocation_return_error_with_details (invocation, error, "", "");
  else if (g_str_equal (member, "long-stack"))
    {
      g_autofree char *stack = long_stack (100 * 1024);
      g_autofree char *class_name = g_strnfill (COMLINK_ERROR_MAX_CLASS_NAME + 1, 'C');

      comlink_invocation_return_error_with_details (invocation, error, class_name, stack);
    }
  else if (g_str_equal (member, "invalid-utf8"))
    comlink_invocation_return_error_with_details (invocation, error, "Bad\xff", "frame\xfe\n");
  else if (g_str_equal (member, "plain"))
    comlink_invocation_return_gerror (invocation, error);
  else
    {
      GValue value = G_VALUE_INIT;

      g_value_init (&value, G_TYPE_INT);
      g_value_set_int (&value, 7);
      comlink_invocation_return_value (invocation, &value);
    }
}

static void
test_thrower_exposable_init (ComlinkExposableInterface *iface)
{
  iface->invoke = test_thrower_invoke;
}

static void
test_thrower_class_init (TestThrowerClass *klass)
{
}

static void
test_thrower_init (TestThrower *self)
{
}

/* --- the calling side --- */

/* What a call's callback saw, with the result kept to read its details */
typedef struct
{
  guint         n_calls;
  GAsyncResult *result;
  GValue       *value;
  GError       *error;
} Outcome;

static void
on_call_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome->n_calls++;
  outcome->result = g_object_ref (result);
  outcome->value = comlink_proxy_call_finish (COMLINK_PROXY (source), result, &outcome->error);
}

static void
outcome_clear (Outcome *outcome)
{
  g_clear_object (&outcome->result);
  if (outcome->value != NULL)
    g_boxed_free (G_TYPE_VALUE, outcome->value);
  outcome->value = NULL;
  g_clear_error (&outcome->error);
  outcome->n_calls = 0;
}

static void
call (ComlinkProxy *proxy,
      const char   *method,
      Outcome      *outcome)
{
  comlink_proxy_call_async (proxy, method, NULL, 0, NULL, on_call_done, outcome);
  test_wait_until (outcome->n_calls == 1);
}

/* The call failed with the thrower's error, and its details are
 * @class_name and @stack */
static void
assert_details (ComlinkProxy *proxy,
                Outcome      *outcome,
                const char   *class_name,
                const char   *stack)
{
  const char *got_class = "unset";
  const char *got_stack = "unset";
  gboolean    has = comlink_proxy_get_error_details (proxy, outcome->result, &got_class, &got_stack);

  g_assert_error (outcome->error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (outcome->error->message, ==, "not here");
  g_assert_cmpint (has, ==, class_name != NULL || stack != NULL);
  g_assert_cmpstr (got_class, ==, class_name);
  g_assert_cmpstr (got_stack, ==, stack);
  /* Either may be asked for alone */
  g_assert_cmpint (comlink_proxy_get_error_details (proxy, outcome->result, NULL, NULL), ==, has);
}

static void
check_round_trip (ComlinkProxy *proxy)
{
  Outcome     outcome = { 0 };
  const char *class_name = "unset";
  const char *stack = "unset";

  call (proxy, "detailed", &outcome);
  assert_details (proxy, &outcome, "MyError", STACK);
  outcome_clear (&outcome);

  call (proxy, "class-only", &outcome);
  assert_details (proxy, &outcome, "MyError", NULL);
  outcome_clear (&outcome);

  call (proxy, "stack-only", &outcome);
  assert_details (proxy, &outcome, NULL, STACK);
  outcome_clear (&outcome);

  /* Empty details are not sent */
  call (proxy, "empty-details", &outcome);
  assert_details (proxy, &outcome, NULL, NULL);
  outcome_clear (&outcome);

  /* A plain error has no details */
  call (proxy, "plain", &outcome);
  assert_details (proxy, &outcome, NULL, NULL);
  outcome_clear (&outcome);

  /* Nor has a success */
  call (proxy, "value", &outcome);
  g_assert_no_error (outcome.error);
  g_assert_cmpint (g_value_get_int (outcome.value), ==, 7);
  g_assert_false (comlink_proxy_get_error_details (proxy, outcome.result, &class_name, &stack));
  g_assert_null (class_name);
  g_assert_null (stack);
  outcome_clear (&outcome);
}

static void
test_channel (void)
{
  g_autoptr(TestThrower) thrower = g_object_new (TEST_TYPE_THROWER, NULL);
  g_autoptr(ComlinkChannel) channel = comlink_channel_new ();
  g_autoptr(ComlinkProxy) proxy = NULL;

  comlink_expose (G_OBJECT (thrower), comlink_channel_get_port1 (channel));
  proxy = comlink_wrap (comlink_channel_get_port2 (channel));
  check_round_trip (proxy);
  comlink_endpoint_close (comlink_channel_get_port1 (channel));
  test_iterate_pending ();
}

/* A callback whose closure fails with details: the caller reads them, and
 * a failure without details sends none */
static void
on_callback_fails (ComlinkCallback *callback, int with_details, gpointer user_data)
{
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no such thing");

  if (with_details)
    comlink_callback_return_error_with_details (callback, error, "LookupError", "at the callback, line 1\n");
  else
    comlink_callback_return_error (callback, error);
}

static void
test_callback (void)
{
  g_autoptr(ComlinkCallback) callback =
               comlink_callback_new_typed (g_cclosure_new (G_CALLBACK (on_callback_fails), NULL, NULL), G_TYPE_NONE, 1, G_TYPE_INT);
  g_autoptr(ComlinkChannel) channel = comlink_channel_new ();
  g_autoptr(ComlinkProxy) proxy = NULL;
  g_autofree char *class_name = NULL;
  g_autofree char *stack = NULL;
  g_autoptr(GError) error = NULL;
  GValue arg = G_VALUE_INIT;

  comlink_expose (G_OBJECT (callback), comlink_channel_get_port1 (channel));
  proxy = comlink_wrap (comlink_channel_get_port2 (channel));

  g_value_init (&arg, G_TYPE_INT);
  g_value_set_int (&arg, 1);
  g_assert_null (comlink_proxy_call_sync_with_details (proxy, NULL, &arg, 1, NULL, &class_name, &stack, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (class_name, ==, "LookupError");
  g_assert_cmpstr (stack, ==, "at the callback, line 1\n");
  g_clear_error (&error);
  g_clear_pointer (&class_name, g_free);
  g_clear_pointer (&stack, g_free);

  g_value_set_int (&arg, 0);
  g_assert_null (comlink_proxy_call_sync_with_details (proxy, NULL, &arg, 1, NULL, &class_name, &stack, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_null (class_name);
  g_assert_null (stack);

  comlink_endpoint_close (comlink_channel_get_port1 (channel));
  test_iterate_pending ();
}

/* A request forwarded through a proxy keeps the details of its answer */
static void
test_forwarded (void)
{
  g_autoptr(TestThrower) thrower = g_object_new (TEST_TYPE_THROWER, NULL);
  g_autoptr(ComlinkChannel) inner = comlink_channel_new ();
  g_autoptr(ComlinkChannel) outer = comlink_channel_new ();
  g_autoptr(ComlinkProxy) inner_proxy = NULL;
  g_autoptr(ComlinkProxy) proxy = NULL;
  Outcome outcome = { 0 };

  comlink_expose (G_OBJECT (thrower), comlink_channel_get_port1 (inner));
  inner_proxy = comlink_wrap (comlink_channel_get_port2 (inner));
  /* Exposing the proxy serves every request by forwarding it */
  comlink_expose (G_OBJECT (inner_proxy), comlink_channel_get_port1 (outer));
  proxy = comlink_wrap (comlink_channel_get_port2 (outer));

  call (proxy, "detailed", &outcome);
  assert_details (proxy, &outcome, "MyError", STACK);
  outcome_clear (&outcome);

  comlink_endpoint_close (comlink_channel_get_port1 (outer));
  comlink_endpoint_close (comlink_channel_get_port1 (inner));
  test_iterate_pending ();
}

static GObject *
setup_thrower (gpointer user_data,
               GError **error)
{
  return g_object_new (TEST_TYPE_THROWER, NULL);
}

/* From a thread worker, and with the blocking form */
static void
test_thread_worker (void)
{
  g_autoptr(ComlinkWorker) worker = comlink_worker_new_thread ("thrower", setup_thrower, NULL, NULL);
  ComlinkProxy *proxy = comlink_worker_get_proxy (worker);
  g_autoptr(GError) error = NULL;
  g_autofree char *class_name = g_strdup ("unset");
  g_autofree char *stack = g_strdup ("unset");
  GValue          *value;

  check_round_trip (proxy);

  g_clear_pointer (&class_name, g_free);
  g_clear_pointer (&stack, g_free);
  value = comlink_proxy_call_sync_with_details (proxy, "detailed", NULL, 0, NULL, &class_name, &stack, &error);
  g_assert_null (value);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (class_name, ==, "MyError");
  g_assert_cmpstr (stack, ==, STACK);
  g_clear_error (&error);
  g_clear_pointer (&class_name, g_free);
  g_clear_pointer (&stack, g_free);

  /* A plain error sets neither; nor does a success */
  value = comlink_proxy_call_sync_with_details (proxy, "plain", NULL, 0, NULL, &class_name, &stack, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_null (class_name);
  g_assert_null (stack);
  g_clear_error (&error);
  value = comlink_proxy_call_sync_with_details (proxy, "value", NULL, 0, NULL, &class_name, &stack, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (value), ==, 7);
  g_assert_null (class_name);
  g_assert_null (stack);
  g_boxed_free (G_TYPE_VALUE, value);
  /* The details are optional */
  value = comlink_proxy_call_sync_with_details (proxy, "detailed", NULL, 0, NULL, NULL, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_null (value);
  g_clear_error (&error);

  comlink_worker_terminate (worker);
}

/* The sender cuts a long stack at 64 KiB on a character boundary, and
 * does not send a class name over 256 bytes, nor details that are not
 * valid UTF-8 */
static void
test_sender_bounds (void)
{
  g_autoptr(TestThrower) thrower = g_object_new (TEST_TYPE_THROWER, NULL);
  g_autoptr(ComlinkChannel) channel = comlink_channel_new ();
  g_autoptr(ComlinkProxy) proxy = NULL;
  g_autofree char *full = long_stack (100 * 1024);
  Outcome          outcome = { 0 };
  const char      *class_name = "unset";
  const char      *stack = NULL;

  comlink_expose (G_OBJECT (thrower), comlink_channel_get_port1 (channel));
  proxy = comlink_wrap (comlink_channel_get_port2 (channel));

  call (proxy, "long-stack", &outcome);
  g_assert_error (outcome.error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_true (comlink_proxy_get_error_details (proxy, outcome.result, &class_name, &stack));
  g_assert_null (class_name);
  g_assert_nonnull (stack);
  g_assert_cmpuint (strlen (stack), ==, COMLINK_ERROR_MAX_STACK - 1);
  g_assert_true (g_utf8_validate (stack, -1, NULL));
  g_assert_true (strncmp (stack, full, strlen (stack)) == 0);
  outcome_clear (&outcome);

  call (proxy, "invalid-utf8", &outcome);
  assert_details (proxy, &outcome, NULL, NULL);
  outcome_clear (&outcome);

  comlink_endpoint_close (comlink_channel_get_port1 (channel));
  test_iterate_pending ();
}

/* --- a hostile peer --- */

typedef struct
{
  ComlinkChannel  *channel;
  ComlinkEndpoint *peer;
  ComlinkProxy    *proxy;
  GPtrArray       *received;
} Fake;

static void
on_peer_message (ComlinkEndpoint *endpoint,
                 GVariant        *message,
                 GUnixFDList     *fds,
                 Fake            *fake)
{
  g_ptr_array_add (fake->received, g_variant_ref (message));
}

static void
fake_init (Fake *fake)
{
  fake->channel = comlink_channel_new ();
  fake->peer = comlink_channel_get_port1 (fake->channel);
  fake->received = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_signal_connect (fake->peer, "message", G_CALLBACK (on_peer_message), fake);
  comlink_endpoint_start (fake->peer);
  fake->proxy = comlink_wrap (comlink_channel_get_port2 (fake->channel));
  comlink_endpoint_send (fake->peer,
                         g_variant_new_parsed ("((byte 1, uint64 0, uint64 0), @as [], <(uint32 1, 'fake')>)"),
                         NULL);
}

static void
fake_clear (Fake *fake)
{
  g_clear_object (&fake->proxy);
  g_clear_object (&fake->channel);
  test_iterate_pending ();
  g_ptr_array_unref (fake->received);
}

/* An ERROR body (sisa{sv}) of G_IO_ERROR_NOT_FOUND "not here" with
 * @details */
static GVariant *
error_body (GVariant *details)
{
  return g_variant_new ("(sis@a{sv})", "g-io-error-quark", G_IO_ERROR_NOT_FOUND, "not here", details);
}

static GVariant *
details_new (const char *class_name,
             const char *stack)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  if (class_name != NULL)
    g_variant_builder_add (&builder, "{sv}", "class", g_variant_new_string (class_name));
  if (stack != NULL)
    g_variant_builder_add (&builder, "{sv}", "stack", g_variant_new_string (stack));

  return g_variant_builder_end (&builder);
}

/* A string variant of these bytes, valid or not */
static GVariant *
raw_string (const char *bytes)
{
  g_autoptr(GBytes) data = g_bytes_new (bytes, strlen (bytes) + 1);

  return g_variant_new_from_bytes (G_VARIANT_TYPE_STRING, data, FALSE);
}

/* A call that the fake peer answers with an ERROR of @body */
static void
fake_call (Fake     *fake,
           GVariant *body,
           Outcome  *outcome)
{
  guint   n_received = fake->received->len;
  guint64 id;

  comlink_proxy_call_async (fake->proxy, "work", NULL, 0, NULL, on_call_done, outcome);
  test_wait_until (fake->received->len == n_received + 1);
  g_variant_get_child (fake->received->pdata[fake->received->len - 1], 0, "(ytt)", NULL, &id, NULL);
  comlink_endpoint_send (fake->peer,
                         g_variant_new ("((ytt)as@v)", COMLINK_MESSAGE_ERROR, id, (guint64) 0, NULL,
                                        g_variant_new_variant (body)),
                         NULL);
  test_wait_until (outcome->n_calls == 1);
}

static void
test_hostile_details (void)
{
  g_autofree char *at_bound = g_strnfill (COMLINK_ERROR_MAX_STACK, 's');
  g_autofree char *over_bound = g_strnfill (COMLINK_ERROR_MAX_STACK + 1, 's');
  g_autofree char *class_at_bound = g_strnfill (COMLINK_ERROR_MAX_CLASS_NAME, 'C');
  g_autofree char *class_over_bound = g_strnfill (COMLINK_ERROR_MAX_CLASS_NAME + 1, 'C');
  Fake             fake;
  Outcome          outcome = { 0 };
  GVariantBuilder  builder;
  guint            n_sent;

  fake_init (&fake);

  /* The old form */
  comlink_proxy_call_async (fake.proxy, "work", NULL, 0, NULL, on_call_done, &outcome);
  test_wait_until (fake.received->len == 2); /* hello, call */
  n_sent = fake.received->len;
  comlink_endpoint_send (fake.peer,
                         g_variant_new_parsed ("((byte 8, %t, uint64 0), @as [], <('g-io-error-quark', 1, 'not here')>)",
                                               (guint64) 1),
                         NULL);
  test_wait_until (outcome.n_calls == 1);
  assert_details (fake.proxy, &outcome, NULL, NULL);
  outcome_clear (&outcome);
  g_assert_cmpuint (n_sent, ==, 2);

  /* Details at their bounds are taken */
  fake_call (&fake, error_body (details_new (class_at_bound, at_bound)), &outcome);
  assert_details (fake.proxy, &outcome, class_at_bound, at_bound);
  outcome_clear (&outcome);

  /* Over them, each is refused on its own, and the error arrives */
  fake_call (&fake, error_body (details_new (class_at_bound, over_bound)), &outcome);
  assert_details (fake.proxy, &outcome, class_at_bound, NULL);
  outcome_clear (&outcome);
  fake_call (&fake, error_body (details_new (class_over_bound, "s")), &outcome);
  assert_details (fake.proxy, &outcome, NULL, "s");
  outcome_clear (&outcome);
  fake_call (&fake, error_body (details_new (class_over_bound, over_bound)), &outcome);
  assert_details (fake.proxy, &outcome, NULL, NULL);
  outcome_clear (&outcome);

  /* Not valid UTF-8 */
  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "class", raw_string ("Bad\xff"));
  g_variant_builder_add (&builder, "{sv}", "stack", raw_string ("frame\xc3\n"));
  fake_call (&fake, error_body (g_variant_builder_end (&builder)), &outcome);
  assert_details (fake.proxy, &outcome, NULL, NULL);
  outcome_clear (&outcome);

  /* Of another type, empty, or unknown */
  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "class", g_variant_new_int32 (5));
  g_variant_builder_add (&builder, "{sv}", "stack", g_variant_new_string (""));
  g_variant_builder_add (&builder, "{sv}", "future", g_variant_new_string ("ignored"));
  fake_call (&fake, error_body (g_variant_builder_end (&builder)), &outcome);
  assert_details (fake.proxy, &outcome, NULL, NULL);
  outcome_clear (&outcome);
  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "future", g_variant_new_uint64 (1));
  g_variant_builder_add (&builder, "{sv}", "stack", g_variant_new_string ("s"));
  fake_call (&fake, error_body (g_variant_builder_end (&builder)), &outcome);
  assert_details (fake.proxy, &outcome, NULL, "s");
  outcome_clear (&outcome);

  /* No quark was made from the class name */
  fake_call (&fake, error_body (details_new ("comlink-test-class-that-exists-nowhere", NULL)), &outcome);
  assert_details (fake.proxy, &outcome, "comlink-test-class-that-exists-nowhere", NULL);
  g_assert_cmpuint (g_quark_try_string ("comlink-test-class-that-exists-nowhere"), ==, 0);
  outcome_clear (&outcome);

  /* The connection went on through all of it */
  g_assert_false (comlink_proxy_is_released (fake.proxy));
  {
    g_autoptr(ComlinkConnection) connection = comlink_proxy_dup_connection (fake.proxy);

    g_assert_false (comlink_connection_is_closed (connection));
  }

  fake_clear (&fake);
}

/* What the serving side sends: the old form for a plain error */
static void
test_wire_forms (void)
{
  g_autoptr(TestThrower) thrower = g_object_new (TEST_TYPE_THROWER, NULL);
  g_autoptr(ComlinkChannel) channel = comlink_channel_new ();
  ComlinkEndpoint *peer = comlink_channel_get_port1 (channel);
  Fake             fake = { NULL, peer, NULL, g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref) };
  const char      *members[] = { "plain", "detailed" };

  g_signal_connect (peer, "message", G_CALLBACK (on_peer_message), &fake);
  comlink_endpoint_start (peer);
  comlink_expose (G_OBJECT (thrower), comlink_channel_get_port2 (channel));
  comlink_endpoint_send (peer, g_variant_new_parsed ("((byte 1, uint64 0, uint64 0), @as [], <(uint32 1, 'fake')>)"), NULL);

  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    {
      const char    *path[] = { members[i], NULL };
      ComlinkMessage message;
      char          *class_name = NULL;
      char          *stack = NULL;

      comlink_endpoint_send (peer,
                             g_variant_new ("((ytt)@as@v)", COMLINK_MESSAGE_CALL, (guint64) i + 1, (guint64) 0,
                                            g_variant_new_strv (path, -1),
                                            g_variant_new_variant (g_variant_new_array (G_VARIANT_TYPE_VARIANT, NULL, 0))),
                             NULL);
      test_wait_until (fake.received->len == i + 2);
      g_assert_true (_comlink_message_parse (fake.received->pdata[i + 1], &message, NULL));
      g_assert_cmpint (message.type, ==, COMLINK_MESSAGE_ERROR);
      g_assert_cmpstr (g_variant_get_type_string (_comlink_message_get_body (&message)), ==, i == 0 ? "(sis)" : "(sisa{sv})");
      g_assert_cmpint (_comlink_wire_error_parse_details (_comlink_message_get_body (&message), &class_name, &stack), ==, i == 1);
      g_assert_cmpstr (class_name, ==, i == 0 ? NULL : "MyError");
      g_assert_cmpstr (stack, ==, i == 0 ? NULL : STACK);
      g_free (class_name);
      g_free (stack);
      _comlink_message_clear (&message);
    }

  comlink_endpoint_close (peer);
  test_iterate_pending ();
  g_ptr_array_unref (fake.received);
}

/* Over a stream to a subprocess, the extended form passes the stream's
 * checks; an oversized stack is refused and the connection goes on; a
 * stack that is not valid UTF-8 is not in normal form, which closes the
 * connection as any such string does */
static void
test_stream (void)
{
  g_autofree char *over_bound = g_strnfill (COMLINK_ERROR_MAX_STACK + 1, 's');
  HostilePeer     *peer = NULL;
  ComlinkWorker   *worker = hostile_worker_new (&peer);
  ComlinkProxy    *proxy = comlink_worker_get_proxy (worker);
  TestWatch        watch = { 0 };
  Outcome          outcome = { 0 };
  GVariant        *bodies[2];

  hostile_peer_send_hello (peer);
  bodies[0] = error_body (details_new ("MyError", STACK));
  bodies[1] = error_body (details_new ("MyError", over_bound));
  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(GVariant) request = NULL;

      comlink_proxy_call_async (proxy, "work", NULL, 0, NULL, on_call_done, &outcome);
      request = hostile_peer_receive_kind (peer, HOSTILE_CALL, 0);
      g_assert_nonnull (request);
      hostile_peer_send_message (peer,
                                 g_variant_new ("((ytt)as@v)", HOSTILE_ERROR, hostile_message_id (request),
                                                (guint64) 0, NULL, g_variant_new_variant (bodies[i])),
                                 NULL, 0);
      test_wait_until (outcome.n_calls == 1);
      assert_details (proxy, &outcome, "MyError", i == 0 ? STACK : NULL);
      outcome_clear (&outcome);
    }
  g_assert_cmpint (comlink_worker_get_state (worker), ==, COMLINK_WORKER_STATE_RUNNING);

  {
    g_autoptr(GVariant) request = NULL;
    GVariantBuilder builder;

    comlink_proxy_call_async (proxy, "work", NULL, 0, NULL, on_call_done, &outcome);
    request = hostile_peer_receive_kind (peer, HOSTILE_CALL, 0);
    g_assert_nonnull (request);
    g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add (&builder, "{sv}", "stack", raw_string ("frame\xff\n"));
    hostile_peer_send_message (peer,
                               g_variant_new ("((ytt)as@v)", HOSTILE_ERROR, hostile_message_id (request),
                                              (guint64) 0, NULL,
                                              g_variant_new_variant (error_body (g_variant_builder_end (&builder)))),
                               NULL, 0);
    test_wait_until (outcome.n_calls == 1);
    g_assert_error (outcome.error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL);
    g_assert_false (comlink_proxy_get_error_details (proxy, outcome.result, NULL, NULL));
    outcome_clear (&outcome);
  }

  test_wait_until (comlink_worker_get_state (worker) == COMLINK_WORKER_STATE_EXITED);
  test_wait_until (g_subprocess_get_identifier (comlink_worker_get_subprocess (worker)) == NULL);
  hostile_peer_wait_end (peer);
  test_watch (&watch, worker);
  g_object_unref (worker);
  hostile_peer_free (peer);
  test_wait_until (test_watch_done (&watch));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Comlink/ErrorDetails/channel", test_channel);
  g_test_add_func ("/Comlink/ErrorDetails/forwarded", test_forwarded);
  g_test_add_func ("/Comlink/ErrorDetails/callback", test_callback);
  g_test_add_func ("/Comlink/ErrorDetails/thread-worker", test_thread_worker);
  g_test_add_func ("/Comlink/ErrorDetails/sender-bounds", test_sender_bounds);
  g_test_add_func ("/Comlink/ErrorDetails/hostile-details", test_hostile_details);
  g_test_add_func ("/Comlink/ErrorDetails/wire-forms", test_wire_forms);
  g_test_add_func ("/Comlink/ErrorDetails/stream", test_stream);

  return g_test_run ();
}
