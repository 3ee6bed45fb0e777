/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A hand-written peer speaks the wire protocol (doc/protocol.md) to a
 * connection: well-formed answers are mapped as documented, and anything
 * malformed closes the connection with COMLINK_ERROR_PROTOCOL, fails the
 * pending calls, and leaks nothing. */

#include "test-objects.h"
#include "comlink-connection-private.h"
#include "comlink-wire-private.h"

typedef struct
{
  ComlinkChannel  *channel;
  ComlinkEndpoint *peer;
  ComlinkProxy    *proxy;
  GPtrArray       *received;
} Fake;

static void
on_peer_message (ComlinkEndpoint *endpoint, GVariant *message, GUnixFDList *fds, Fake *fake)
{
  g_ptr_array_add (fake->received, g_variant_ref (message));
}

static void
fake_init (Fake *fake, gboolean send_hello)
{
  fake->channel = comlink_channel_new ();
  fake->peer = comlink_channel_get_port1 (fake->channel);
  fake->received = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_signal_connect (fake->peer, "message", G_CALLBACK (on_peer_message), fake);
  comlink_endpoint_start (fake->peer);
  fake->proxy = comlink_wrap (comlink_channel_get_port2 (fake->channel));
  if (send_hello)
    comlink_endpoint_send (fake->peer, g_variant_new_parsed ("((byte 1, uint64 0, uint64 0), @as [], <(uint32 1, 'fake')>)"), NULL);
}

static void
fake_clear (Fake *fake)
{
  ComlinkConnection *connection = comlink_proxy_dup_connection (fake->proxy);

  if (connection != NULL)
    {
      g_object_add_weak_pointer (G_OBJECT (connection), (gpointer *) &connection);
      g_object_unref (connection);
    }
  g_clear_object (&fake->proxy);
  g_clear_object (&fake->channel);
  test_wait_until (connection == NULL);
  g_ptr_array_unref (fake->received);
}

/* The id of the call the fake peer received last */
static guint64
last_call_id (Fake *fake)
{
  guint64 id;

  g_assert_cmpuint (fake->received->len, >, 0);
  g_variant_get_child (fake->received->pdata[fake->received->len - 1], 0, "(ytt)", NULL, &id, NULL);

  return id;
}

static void
test_unknown_error_domain (void)
{
  const char *domain = "comlink-test-domain-that-exists-nowhere";
  Fake        fake;
  TestResult  r = { 0 };

  fake_init (&fake, TRUE);
  comlink_proxy_call_async (fake.proxy, "work", NULL, 0, NULL, test_on_call_done, &r);
  test_wait_until (fake.received->len == 2); /* hello, call */

  comlink_endpoint_send (fake.peer,
                         g_variant_new ("((ytt)as@v)", 8, last_call_id (&fake), (guint64) 0, NULL,
                                        g_variant_new_variant (g_variant_new ("(sis)", domain, 5, "boom"))),
                         NULL);
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, COMLINK_ERROR, COMLINK_ERROR_REMOTE);
  g_assert_nonnull (strstr (r.error->message, "boom"));
  g_assert_nonnull (strstr (r.error->message, domain));
  /* No quark was made from what the peer sent */
  g_assert_cmpuint (g_quark_try_string (domain), ==, 0);

  /* The connection goes on */
  g_assert_false (comlink_proxy_is_released (fake.proxy));
  test_result_clear (&r);
  fake_clear (&fake);
}

static void
test_unknown_object (void)
{
  g_autoptr(TestCalc) calc = test_calc_new ();
  g_autoptr(ComlinkChannel) channel = comlink_channel_new ();
  Fake           fake = { channel, comlink_channel_get_port1 (channel), NULL,
                          g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref) };
  ComlinkMessage message;

  g_signal_connect (fake.peer, "message", G_CALLBACK (on_peer_message), &fake);
  comlink_endpoint_start (fake.peer);
  comlink_expose (G_OBJECT (calc), comlink_channel_get_port2 (channel));
  comlink_endpoint_send (fake.peer, g_variant_new_parsed ("((byte 1, uint64 0, uint64 0), @as [], <(uint32 1, 'fake')>)"), NULL);
  /* A call on an object that was never exported is answered with an error */
  comlink_endpoint_send (fake.peer, g_variant_new_parsed ("((byte 2, uint64 7, uint64 12345), ['ping'], <@av []>)"), NULL);
  test_wait_until (fake.received->len == 2);
  g_assert_true (_comlink_message_parse (fake.received->pdata[1], &message, NULL));
  g_assert_cmpint (message.type, ==, COMLINK_MESSAGE_ERROR);
  g_assert_cmpuint (message.id, ==, 7);
  {
    GError *error = _comlink_wire_error_parse (_comlink_message_get_body (&message));
    g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_OBJECT);
    g_error_free (error);
  }
  _comlink_message_clear (&message);
  g_assert_false (comlink_connection_is_closed (comlink_connection_get_for_endpoint (comlink_channel_get_port2 (channel))));

  comlink_endpoint_close (fake.peer);
  test_iterate_pending ();
  g_assert_true (comlink_connection_is_closed (comlink_connection_get_for_endpoint (comlink_channel_get_port2 (channel))));
  g_ptr_array_unref (fake.received);
}

/* The fake peer's message @i, read */
static void
fake_read (Fake           *fake,
           guint           i,
           ComlinkMessage *message)
{
  g_assert_cmpuint (fake->received->len, >, i);
  g_assert_true (_comlink_message_parse (fake->received->pdata[i], message, NULL));
}

/* The index of the first REPLY to @id that the fake peer received from
 * message @from on, or -1 */
static int
fake_find_reply (Fake   *fake,
                 guint   from,
                 guint64 id)
{
  for (guint i = from; i < fake->received->len; i++)
    {
      ComlinkMessage message;
      gboolean       found;

      fake_read (fake, i, &message);
      found = message.type == COMLINK_MESSAGE_REPLY && message.id == id;
      _comlink_message_clear (&message);
      if (found)
        return (int) i;
    }
  return -1;
}

/* A plain method that waits in a nested main loop keeps its call id in
 * use: a CANCEL changes nothing, the answer comes when the method returns,
 * and a second request with the same id meanwhile is a protocol error.
 * Once answered, the id may be used again. The fake peer answers from its
 * handler, which runs in the method's nested main loop. */
typedef struct
{
  Fake    *fake;
  gboolean reuse_early;
  guint    n_callbacks;
} Nested;

static void
on_nested_message (ComlinkEndpoint *endpoint,
                   GVariant        *variant,
                   GUnixFDList     *fds,
                   Nested          *nested)
{
  ComlinkMessage message;

  g_ptr_array_add (nested->fake->received, g_variant_ref (variant));
  g_assert_true (_comlink_message_parse (variant, &message, NULL));
  if (message.type == COMLINK_MESSAGE_CALL && message.target == 99)
    {
      /* Cancelling a method that cannot see it changes nothing */
      if (nested->n_callbacks == 0)
        comlink_endpoint_send (endpoint, g_variant_new_parsed ("((byte 6, uint64 7, uint64 0), @as [], <()>)"), NULL);
      if (nested->reuse_early)
        comlink_endpoint_send (endpoint, g_variant_new_parsed ("((byte 2, uint64 7, uint64 0), ['add'], <[<1>, <2>]>)"), NULL);
      else
        comlink_endpoint_send (endpoint, g_variant_new ("((ytt)as@v)", 7, message.id, (guint64) 0, NULL, g_variant_new_variant (g_variant_new_int32 (10 + (gint32) nested->n_callbacks))),
                               NULL);
      nested->n_callbacks++;
    }
  _comlink_message_clear (&message);
}

static void
test_plain_call_nested (gconstpointer data)
{
  g_autoptr(TestCalc) calc = test_calc_new ();
  g_autoptr(ComlinkChannel) channel = comlink_channel_new ();
  Fake               fake = { channel, comlink_channel_get_port1 (channel), NULL,
                              g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref) };
  Nested             nested = { &fake, GPOINTER_TO_INT (data), 0 };
  ComlinkConnection *connection;
  ComlinkMessage     message;

  g_signal_connect (fake.peer, "message", G_CALLBACK (on_nested_message), &nested);
  comlink_endpoint_start (fake.peer);
  connection = g_object_ref (comlink_expose (G_OBJECT (calc), comlink_channel_get_port2 (channel)));
  comlink_endpoint_send (fake.peer, g_variant_new_parsed ("((byte 1, uint64 0, uint64 0), @as [], <(uint32 1, 'fake')>)"), NULL);
  /* call-back-sync (callback: the fake's object 99, n: 2) calls the
   * callback twice, each time in a nested main loop */
  comlink_endpoint_send (fake.peer, g_variant_new_parsed ("((byte 2, uint64 7, uint64 0), ['call-back-sync'], "
                                                          "<[<(byte 8, <uint64 99>)>, <int32 2>]>)"),
                         NULL);

  if (nested.reuse_early)
    {
      test_wait_until (comlink_connection_is_closed (connection));
      g_assert_cmpuint (nested.n_callbacks, ==, 1);
      g_assert_error (_comlink_connection_get_close_error (connection), COMLINK_ERROR, COMLINK_ERROR_PROTOCOL);
      g_assert_nonnull (strstr (_comlink_connection_get_close_error (connection)->message, "already in use"));
      /* No answer went out after the close */
      g_assert_cmpint (fake_find_reply (&fake, 0, 7), <, 0);
    }
  else
    {
      /* The answer: 10 + 11 */
      test_wait_until (fake_find_reply (&fake, 0, 7) >= 0);
      g_assert_cmpuint (nested.n_callbacks, ==, 2);
      fake_read (&fake, fake_find_reply (&fake, 0, 7), &message);
      g_assert_cmpint (g_variant_get_int32 (_comlink_message_get_body (&message)), ==, 21);
      _comlink_message_clear (&message);

      /* The id is free again */
      {
        guint from = fake.received->len;

        comlink_endpoint_send (fake.peer, g_variant_new_parsed ("((byte 2, uint64 7, uint64 0), ['add'], <[<1>, <2>]>)"), NULL);
        test_wait_until (fake_find_reply (&fake, from, 7) >= 0);
        fake_read (&fake, fake_find_reply (&fake, from, 7), &message);
        g_assert_cmpint (g_variant_get_int32 (_comlink_message_get_body (&message)), ==, 3);
        _comlink_message_clear (&message);
      }
      g_assert_false (comlink_connection_is_closed (connection));
    }

  comlink_endpoint_close (fake.peer);
  test_iterate_pending ();
  g_assert_true (comlink_connection_is_closed (connection));
  g_object_unref (connection);
  g_ptr_array_unref (fake.received);
}

/* Each of these, sent by the peer while a call is pending, closes the
 * connection with COMLINK_ERROR_PROTOCOL */
static const struct
{
  const char *name;
  gboolean    hello_first;
  const char *message; /* %t is the id of the pending call */
} bad_messages[] = {
  { "not-a-message", TRUE, "uint32 7" },
  { "wrong-tuple", TRUE, "((byte 2, uint64 1, uint64 0), @as [])" },
  { "old-layout", TRUE, "(byte 2, uint64 1, uint64 0, @as [], <()>)" },
  { "unknown-type", TRUE, "((byte 99, uint64 1, uint64 0), @as [], <()>)" },
  { "call-before-hello", FALSE, "((byte 2, uint64 1, uint64 0), ['ping'], <@av []>)" },
  { "wrong-version", FALSE, "((byte 1, uint64 0, uint64 0), @as [], <(uint32 2, 'future')>)" },
  { "second-hello", TRUE, "((byte 1, uint64 0, uint64 0), @as [], <(uint32 1, 'again')>)" },
  { "call-without-id", TRUE, "((byte 2, uint64 0, uint64 0), ['ping'], <@av []>)" },
  { "call-without-member", TRUE, "((byte 2, uint64 5, uint64 0), @as [], <@av []>)" },
  { "call-body-type", TRUE, "((byte 2, uint64 5, uint64 0), ['ping'], <'text'>)" },
  { "reply-to-unknown-call", TRUE, "((byte 7, uint64 999, uint64 0), @as [], <int32 1>)" },
  { "reply-unknown-tag", TRUE, "((byte 7, uint64 %t, uint64 0), @as [], <(byte 77, <()>)>)" },
  { "reply-tag-content", TRUE, "((byte 7, uint64 %t, uint64 0), @as [], <(byte 3, <'not bytes'>)>)" },
  { "reply-not-a-value", TRUE, "((byte 7, uint64 %t, uint64 0), @as [], <(1, 2)>)" },
  { "reply-unexported-reference", TRUE, "((byte 7, uint64 %t, uint64 0), @as [], <(byte 9, <uint64 4242>)>)" },
  { "error-body-type", TRUE, "((byte 8, uint64 %t, uint64 0), @as [], <'oops'>)" },
  { "release-never-exported", TRUE, "((byte 5, uint64 0, uint64 0), @as [], <[(uint64 77, uint32 1)]>)" },
  { "unknown-transfer-handler", TRUE, "((byte 7, uint64 %t, uint64 0), @as [], <(byte 11, <('no-such-handler', <1>)>)>)" },
  { "release-zero", TRUE, "((byte 5, uint64 0, uint64 0), @as [], <[(uint64 77, uint32 0)]>)" },
};

static void
test_bad_message (gconstpointer data)
{
  guint            i = GPOINTER_TO_UINT (data);
  Fake             fake;
  TestResult       r = { 0 };
  g_autofree char *text = NULL;
  g_autoptr(GVariant) bad = NULL;
  g_autoptr(GError) parse_error = NULL;
  GString *str = g_string_new (bad_messages[i].message);

  fake_init (&fake, bad_messages[i].hello_first);
  comlink_proxy_call_async (fake.proxy, "work", NULL, 0, NULL, test_on_call_done, &r);
  /* This side's handshake, then the call, which does not wait for the
   * peer's handshake */
  test_wait_until (fake.received->len == 2);

  if (strstr (str->str, "%t") != NULL)
    {
      g_autofree char *id = g_strdup_printf ("%" G_GUINT64_FORMAT, last_call_id (&fake));
      g_string_replace (str, "%t", id, 0);
    }
  text = g_string_free (str, FALSE);
  bad = g_variant_parse (NULL, text, NULL, NULL, &parse_error);
  g_assert_no_error (parse_error);
  comlink_endpoint_send (fake.peer, bad, NULL);

  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL);
  g_assert_true (comlink_proxy_is_released (fake.proxy));
  test_wait_until (comlink_endpoint_is_closed (fake.peer));
  test_iterate_pending ();
  g_assert_cmpuint (r.n_calls, ==, 1);
  test_result_clear (&r);
  fake_clear (&fake);
}

/* The peer releases more references to an object than it received */
static void
test_release_too_many (void)
{
  g_autoptr(GObject) sent = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GVariant) body = NULL;
  g_autoptr(GVariant) arg = NULL;
  g_autoptr(GVariant) content = NULL;
  ComlinkMessage message;
  Fake           fake;
  TestResult     r = { 0 };
  GValue        *args;
  guint64        id;

  fake_init (&fake, TRUE);
  args = test_args_new (1, G_TYPE_OBJECT, sent);
  comlink_proxy_call_async (fake.proxy, "keep", args, 1, NULL, test_on_call_done, &r);
  test_args_free (args, 1);
  test_wait_until (fake.received->len == 2);

  /* The id under which the object was sent */
  g_assert_true (_comlink_message_parse (fake.received->pdata[1], &message, NULL));
  arg = g_variant_get_child_value (_comlink_message_get_body (&message), 0);
  body = g_variant_get_variant (arg);
  g_assert_cmpint (_comlink_wire_untag (body, &content, NULL), ==, COMLINK_TAG_OBJECT);
  id = g_variant_get_uint64 (content);
  _comlink_message_clear (&message);

  comlink_endpoint_send (fake.peer,
                         g_variant_new ("((ytt)as@v)", 5, (guint64) 0, (guint64) 0, NULL,
                                        g_variant_new_variant (g_variant_new_parsed ("[(%t, uint32 2)]", id))),
                         NULL);
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL);
  test_result_clear (&r);
  fake_clear (&fake);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Comlink/Protocol/unknown-error-domain", test_unknown_error_domain);
  g_test_add_func ("/Comlink/Protocol/unknown-object", test_unknown_object);
  g_test_add_func ("/Comlink/Protocol/release-too-many", test_release_too_many);
  g_test_add_data_func ("/Comlink/Protocol/plain-call-nested/answered", GINT_TO_POINTER (FALSE), test_plain_call_nested);
  g_test_add_data_func ("/Comlink/Protocol/plain-call-nested/id-in-use", GINT_TO_POINTER (TRUE), test_plain_call_nested);
  for (guint i = 0; i < G_N_ELEMENTS (bad_messages); i++)
    {
      g_autofree char *path = g_strdup_printf ("/Comlink/Protocol/bad/%s", bad_messages[i].name);
      g_test_add_data_func (path, GUINT_TO_POINTER (i), test_bad_message);
    }

  return g_test_run ();
}
