/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Nothing and null on the wire (doc/protocol.md): no value (void, an
 * unset GValue) travels as NONE, a NULL GVariant, GBytes, GStrv or
 * gpointer as NULL; a NULL string and a NULL object keep their own forms.
 * A hand-written peer reads what a connection sends and answers with
 * either tag; C callers see no difference between the two. */

#include "test-objects.h"
#include "comlink-wire-private.h"

/* --- an object whose action signals return nothing or a NULL --- */

#define TEST_TYPE_NULLS (test_nulls_get_type ())
G_DECLARE_FINAL_TYPE (TestNulls, test_nulls, TEST, NULLS, GObject)

struct _TestNulls
{
  GObject parent_instance;
};

G_DEFINE_TYPE (TestNulls, test_nulls, G_TYPE_OBJECT)

static void
nulls_nothing (TestNulls *self)
{
}

static gpointer
nulls_null (TestNulls *self)
{
  return NULL;
}

static char *
nulls_variant_kind (TestNulls *self,
                    GVariant  *variant)
{
  return g_strdup (variant == NULL ? "NULL" : g_variant_get_type_string (variant));
}

static void
test_nulls_class_init (TestNullsClass *klass)
{
  const GSignalFlags flags = G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION;
  const struct
  {
    const char *name;
    GType       type;
  } nulls[] = {
    { "null-variant", G_TYPE_VARIANT },
    { "null-strv", G_TYPE_STRV },
    { "null-bytes", G_TYPE_BYTES },
    { "null-error", G_TYPE_ERROR },
    { "null-string", G_TYPE_STRING },
    { "null-object", G_TYPE_OBJECT },
  };

  g_signal_new_class_handler ("nothing", G_TYPE_FROM_CLASS (klass), flags,
                              G_CALLBACK (nulls_nothing), NULL, NULL, NULL, G_TYPE_NONE, 0);
  for (guint i = 0; i < G_N_ELEMENTS (nulls); i++)
    g_signal_new_class_handler (nulls[i].name, G_TYPE_FROM_CLASS (klass), flags,
                                G_CALLBACK (nulls_null), NULL, NULL, NULL, nulls[i].type, 0);
  g_signal_new_class_handler ("variant-kind", G_TYPE_FROM_CLASS (klass), flags,
                              G_CALLBACK (nulls_variant_kind), NULL, NULL, NULL, G_TYPE_STRING,
                              1, G_TYPE_VARIANT);
}

static void
test_nulls_init (TestNulls *self)
{
}

/* --- a hand-written peer --- */

typedef struct
{
  ComlinkChannel  *channel;
  ComlinkEndpoint *peer;
  GPtrArray       *received;
} Fake;

static void
on_peer_message (ComlinkEndpoint *endpoint, GVariant *message, GUnixFDList *fds, Fake *fake)
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
}

static void
fake_hello (Fake *fake)
{
  comlink_endpoint_send (fake->peer, g_variant_new_parsed ("((byte 1, uint64 0, uint64 0), @as [], <(uint32 1, 'fake')>)"), NULL);
}

static void
fake_clear (Fake *fake)
{
  comlink_endpoint_close (fake->peer);
  test_iterate_pending ();
  g_clear_object (&fake->channel);
  g_ptr_array_unref (fake->received);
}

/* The fake peer's message @i, parsed */
static void
fake_read (Fake           *fake,
           guint           i,
           ComlinkMessage *message)
{
  g_assert_cmpuint (fake->received->len, >, i);
  g_assert_true (_comlink_message_parse (fake->received->pdata[i], message, NULL));
}

/* The tag of a tagged value, or 0 for a plain one */
static ComlinkTag
tag_of (GVariant  *value,
        GVariant **content)
{
  g_autoptr(GError) error = NULL;
  ComlinkTag tag;

  if (!_comlink_wire_is_tagged (value))
    return 0;
  tag = _comlink_wire_untag (value, content, &error);
  g_assert_no_error (error);
  return tag;
}

/* A connection that exposes a TestNulls answers each method with the
 * documented form of nothing or null */
static void
test_reply_forms (void)
{
  g_autoptr(TestNulls) nulls = g_object_new (TEST_TYPE_NULLS, NULL);
  const struct
  {
    const char *method;
    ComlinkTag  tag;    /* 0: a plain value */
    const char *type;   /* of a plain value, or of the content */
    guint64     object; /* for OBJECT */
  } cases[] = {
    { "nothing", COMLINK_TAG_NONE, "()", 0 },
    { "null-variant", COMLINK_TAG_NULL, "()", 0 },
    { "null-strv", COMLINK_TAG_NULL, "()", 0 },
    { "null-bytes", COMLINK_TAG_NULL, "()", 0 },
    { "null-error", COMLINK_TAG_NULL, "()", 0 },
    { "null-string", 0, "ms", 0 },
    { "null-object", COMLINK_TAG_OBJECT, "t", 0 },
  };
  Fake fake;

  fake_init (&fake);
  comlink_expose (G_OBJECT (nulls), comlink_channel_get_port2 (fake.channel));
  fake_hello (&fake);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    comlink_endpoint_send (fake.peer,
                           g_variant_new ("((ytt)^as@v)", COMLINK_MESSAGE_CALL, (guint64) i + 1, (guint64) 0,
                                          (const char * const[]){ cases[i].method, NULL },
                                          g_variant_new_variant (g_variant_new ("av", NULL))),
                           NULL);
  test_wait_until (fake.received->len == G_N_ELEMENTS (cases) + 1); /* hello, replies */

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GVariant) content = NULL;
      ComlinkMessage message;
      ComlinkTag     tag;

      fake_read (&fake, i + 1, &message);
      g_assert_cmpint (message.type, ==, COMLINK_MESSAGE_REPLY);
      g_assert_cmpuint (message.id, ==, i + 1);
      tag = tag_of (_comlink_message_get_body (&message), &content);
      g_assert_cmpint (tag, ==, cases[i].tag);
      if (tag == 0)
        {
          g_assert_cmpstr (g_variant_get_type_string (_comlink_message_get_body (&message)), ==, cases[i].type);
          g_assert_cmpuint (g_variant_n_children (_comlink_message_get_body (&message)), ==, 0); /* ms nothing */
        }
      else
        g_assert_cmpstr (g_variant_get_type_string (content), ==, cases[i].type);
      if (tag == COMLINK_TAG_OBJECT)
        g_assert_cmpuint (g_variant_get_uint64 (content), ==, cases[i].object);
      _comlink_message_clear (&message);
    }

  fake_clear (&fake);
}

/* What a proxy sends for each form of nothing and null */
static void
test_sent_forms (void)
{
  g_autoptr(ComlinkProxy) proxy = NULL;
  GValue         args[8] = { G_VALUE_INIT };
  TestResult     r = { 0 };
  ComlinkMessage message;
  Fake           fake;
  const struct
  {
    ComlinkTag  tag;
    const char *type;
  } expected[G_N_ELEMENTS (args)] = {
    { COMLINK_TAG_NONE, "()" }, /* an unset GValue */
    { COMLINK_TAG_NULL, "()" }, /* a NULL GVariant */
    { COMLINK_TAG_NULL, "()" }, /* a NULL GStrv */
    { COMLINK_TAG_NULL, "()" }, /* a NULL GBytes */
    { COMLINK_TAG_NULL, "()" }, /* a NULL gpointer */
    { COMLINK_TAG_NONE, "()" }, /* the GVariant m() Nothing */
    { 0, "ms" },                /* a NULL string */
    { COMLINK_TAG_OBJECT, "t" } /* a NULL object */
  };

  fake_init (&fake);
  proxy = comlink_wrap (comlink_channel_get_port2 (fake.channel));
  fake_hello (&fake);

  g_value_init (&args[1], G_TYPE_VARIANT);
  g_value_init (&args[2], G_TYPE_STRV);
  g_value_init (&args[3], G_TYPE_BYTES);
  g_value_init (&args[4], G_TYPE_POINTER);
  g_value_init (&args[5], G_TYPE_VARIANT);
  g_value_set_variant (&args[5], g_variant_new_maybe (G_VARIANT_TYPE_UNIT, NULL));
  g_value_init (&args[6], G_TYPE_STRING);
  g_value_init (&args[7], G_TYPE_OBJECT);
  comlink_proxy_call_async (proxy, "take", args, G_N_ELEMENTS (args), NULL, test_on_call_done, &r);
  test_wait_until (fake.received->len == 2); /* hello, call */

  fake_read (&fake, 1, &message);
  g_assert_cmpint (message.type, ==, COMLINK_MESSAGE_CALL);
  g_assert_cmpuint (g_variant_n_children (_comlink_message_get_body (&message)), ==, G_N_ELEMENTS (args));
  for (guint i = 0; i < G_N_ELEMENTS (args); i++)
    {
      g_autoptr(GVariant) boxed = g_variant_get_child_value (_comlink_message_get_body (&message), i);
      g_autoptr(GVariant) arg = g_variant_get_variant (boxed);
      g_autoptr(GVariant) content = NULL;
      ComlinkTag tag = tag_of (arg, &content);

      g_assert_cmpint (tag, ==, expected[i].tag);
      g_assert_cmpstr (g_variant_get_type_string (tag ? content : arg), ==, expected[i].type);
      if (tag == COMLINK_TAG_OBJECT)
        g_assert_cmpuint (g_variant_get_uint64 (content), ==, 0);
    }

  /* The peer answers; the call completes */
  comlink_endpoint_send (fake.peer,
                         g_variant_new ("((ytt)as@v)", COMLINK_MESSAGE_REPLY, message.id, (guint64) 0, NULL,
                                        g_variant_new_variant (_comlink_wire_none ())),
                         NULL);
  _comlink_message_clear (&message);
  test_wait_until (r.n_calls == 1);
  g_assert_no_error (r.error);
  g_assert_null (r.value);

  for (guint i = 1; i < G_N_ELEMENTS (args); i++)
    g_value_unset (&args[i]);
  test_result_clear (&r);
  fake_clear (&fake);
}

/* --- what C callers see of a reply of nothing and of a null --- */

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* Makes a call that the fake peer answers with @reply (a tagged value) */
static GAsyncResult *
call_answered (Fake         *fake,
               ComlinkProxy *proxy,
               GVariant     *reply)
{
  GAsyncResult  *result = NULL;
  ComlinkMessage message;
  guint          n = fake->received->len;

  comlink_proxy_call_async (proxy, "answer", NULL, 0, NULL, on_done, &result);
  test_wait_until (fake->received->len == n + 1);
  fake_read (fake, n, &message);
  comlink_endpoint_send (fake->peer,
                         g_variant_new ("((ytt)as@v)", COMLINK_MESSAGE_REPLY, message.id, (guint64) 0, NULL,
                                        g_variant_new_variant (reply)),
                         NULL);
  _comlink_message_clear (&message);
  test_wait_until (result != NULL);

  return result;
}

static void
test_results (void)
{
  g_autoptr(ComlinkProxy) proxy = NULL;
  Fake fake;

  fake_init (&fake);
  proxy = comlink_wrap (comlink_channel_get_port2 (fake.channel));
  fake_hello (&fake);
  test_wait_until (fake.received->len == 1); /* hello */

  for (guint i = 0; i < 2; i++)
    {
      GVariant *reply = i == 0 ? _comlink_wire_none () : _comlink_wire_null ();
      gboolean  is_null = i == 1;
      g_autoptr(GError) error = NULL;
      g_auto(GValue) value = G_VALUE_INIT;
      GVariant     *variant;
      char         *string;
      GAsyncResult *result;
      GValue       *ret;

      /* call_finish: nothing, for both */
      result = call_answered (&fake, proxy, reply);
      g_assert_null (comlink_proxy_call_finish (proxy, result, &error));
      g_assert_no_error (error);
      g_object_unref (result);

      /* call_finish_value: TRUE with the value unset, for both */
      result = call_answered (&fake, proxy, reply);
      g_assert_true (comlink_proxy_call_finish_value (proxy, result, &value, &error));
      g_assert_false (G_IS_VALUE (&value));
      g_object_unref (result);

      /* A declared pointer type: NULL, for both */
      result = call_answered (&fake, proxy, reply);
      variant = (GVariant *) &fake; /* overwritten, not freed */
      g_assert_true (comlink_proxy_call_with_args_finish (proxy, result, &error, G_TYPE_VARIANT, &variant));
      g_assert_no_error (error);
      g_assert_null (variant);
      g_object_unref (result);
      result = call_answered (&fake, proxy, reply);
      string = (char *) "set"; /* overwritten, not freed */
      g_assert_true (comlink_proxy_call_with_args_finish (proxy, result, &error, G_TYPE_STRING, &string));
      g_assert_null (string);
      g_object_unref (result);

      /* A declared number: a type mismatch, the same for both */
      result = call_answered (&fake, proxy, reply);
      {
        gint n = 0;

        g_assert_false (comlink_proxy_call_with_args_finish (proxy, result, &error, G_TYPE_INT, &n));
        g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH);
        g_assert_nonnull (strstr (error->message, "void"));
        g_clear_error (&error);
      }
      g_object_unref (result);

      /* propagate_value (Python): a NULL gpointer, for both */
      result = call_answered (&fake, proxy, reply);
      g_assert_true (comlink_proxy_propagate_value (proxy, result, &value, &error));
      g_assert_true (G_VALUE_HOLDS (&value, G_TYPE_POINTER));
      g_assert_null (g_value_get_pointer (&value));
      g_value_unset (&value);
      g_object_unref (result);

      /* propagate_in_container (Python): the only item is no value for
       * nothing, a NULL gpointer for a null */
      result = call_answered (&fake, proxy, reply);
      {
        g_autoptr(ComlinkContainer) container = comlink_proxy_propagate_in_container (proxy, result, &error);

        g_assert_no_error (error);
        g_assert_nonnull (container);
        g_assert_false (comlink_container_is_dict (container));
        g_assert_cmpuint (comlink_container_get_n_items (container), ==, 1);
        if (is_null)
          {
            g_assert_cmpuint (comlink_container_get_item_type (container, 0), ==, G_TYPE_POINTER);
            g_assert_null (g_value_get_pointer (comlink_container_get_item (container, 0)));
          }
        else
          g_assert_cmpuint (comlink_container_get_item_type (container, 0), ==, G_TYPE_INVALID);
      }
      g_object_unref (result);

      /* propagate_int64_as_variant (GJS): nothing is m() Nothing, a null
       * a NULL gpointer */
      result = call_answered (&fake, proxy, reply);
      ret = comlink_proxy_propagate_int64_as_variant (proxy, result, &error);
      g_assert_no_error (error);
      g_assert_nonnull (ret);
      if (is_null)
        {
          g_assert_true (G_VALUE_HOLDS (ret, G_TYPE_POINTER));
          g_assert_null (g_value_get_pointer (ret));
        }
      else
        {
          g_assert_true (G_VALUE_HOLDS (ret, G_TYPE_VARIANT));
          g_assert_cmpstr (g_variant_get_type_string (g_value_get_variant (ret)), ==, "m()");
          g_assert_cmpuint (g_variant_n_children (g_value_get_variant (ret)), ==, 0);
        }
      g_boxed_free (G_TYPE_VALUE, ret);
      g_object_unref (result);
    }

  /* The tag NULL with other content than () is a protocol error */
  {
    GAsyncResult *result = call_answered (&fake, proxy, g_variant_new_parsed ("(byte 15, <'x'>)"));
    g_autoptr(GError) error = NULL;

    g_assert_null (comlink_proxy_call_finish (proxy, result, &error));
    g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL);
    g_object_unref (result);
  }

  fake_clear (&fake);
}

/* A peer's nothing and null reach a method's declared GVariant parameter
 * as NULL alike */
static void
test_arguments (void)
{
  g_autoptr(TestNulls) nulls = g_object_new (TEST_TYPE_NULLS, NULL);
  const char *expected[] = { "NULL", "NULL", "i" };
  Fake        fake;

  fake_init (&fake);
  comlink_expose (G_OBJECT (nulls), comlink_channel_get_port2 (fake.channel));
  fake_hello (&fake);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      GVariant *arg = i == 0 ? _comlink_wire_none () : i == 1 ? _comlink_wire_null ()
                                                              : _comlink_wire_tag (COMLINK_TAG_VARIANT, g_variant_new_int32 (1));
      GVariant *child = g_variant_new_variant (arg);

      comlink_endpoint_send (fake.peer,
                             g_variant_new ("((ytt)^as@v)", COMLINK_MESSAGE_CALL, (guint64) i + 1, (guint64) 0,
                                            (const char * const[]){ "variant-kind", NULL },
                                            g_variant_new_variant (g_variant_new_array (G_VARIANT_TYPE_VARIANT, &child, 1))),
                             NULL);
    }
  test_wait_until (fake.received->len == G_N_ELEMENTS (expected) + 1);

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autoptr(GVariant) kind = NULL;
      ComlinkMessage message;

      fake_read (&fake, i + 1, &message);
      g_assert_cmpint (message.type, ==, COMLINK_MESSAGE_REPLY);
      g_assert_cmpstr (g_variant_get_type_string (_comlink_message_get_body (&message)), ==, "ms");
      kind = g_variant_get_maybe (_comlink_message_get_body (&message));
      g_assert_nonnull (kind);
      g_assert_cmpstr (g_variant_get_string (kind, NULL), ==, expected[i]);
      _comlink_message_clear (&message);
    }

  fake_clear (&fake);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Comlink/NullValues/reply-forms", test_reply_forms);
  g_test_add_func ("/Comlink/NullValues/sent-forms", test_sent_forms);
  g_test_add_func ("/Comlink/NullValues/results", test_results);
  g_test_add_func ("/Comlink/NullValues/arguments", test_arguments);

  return g_test_run ();
}
