/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Channels, proxies, values, errors, exposing and releasing, with both ends
 * of a ComlinkChannel in one thread. */

#include <unistd.h>

#include "test-objects.h"

typedef struct
{
  ComlinkChannel *channel;
  TestCalc       *calc;
  ComlinkProxy   *proxy;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->channel = comlink_channel_new ();
  f->calc = test_calc_new ();
  comlink_expose (G_OBJECT (f->calc), comlink_channel_get_port1 (f->channel));
  f->proxy = comlink_wrap (comlink_channel_get_port2 (f->channel));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autoptr(ComlinkConnection) connection = comlink_proxy_dup_connection (f->proxy);
  ComlinkConnection *exposing = comlink_connection_get_for_endpoint (comlink_channel_get_port1 (f->channel));
  GObject           *calc = G_OBJECT (f->calc);

  g_object_add_weak_pointer (G_OBJECT (exposing), (gpointer *) &exposing);
  if (connection != NULL)
    g_object_add_weak_pointer (G_OBJECT (connection), (gpointer *) &connection);
  g_object_add_weak_pointer (calc, (gpointer *) &calc);

  comlink_connection_close (exposing);
  g_clear_object (&f->calc);
  g_clear_object (&f->proxy);
  if (connection != NULL)
    {
      g_object_unref (connection);
    }
  g_clear_object (&f->channel);
  /* Nothing of the library is left once the loop has run */
  test_wait_until (calc == NULL && exposing == NULL && connection == NULL);
  test_iterate_pending ();
  g_assert_false (g_main_context_pending (NULL));
}

static GValue *
call (ComlinkProxy *proxy, const char *method, GError **error, guint n, GValue *args)
{
  GValue *ret = comlink_proxy_call_sync (proxy, method, args, n, NULL, error);

  test_args_free (args, n);
  return ret;
}

static void
value_free (GValue *value)
{
  if (value != NULL)
    g_boxed_free (G_TYPE_VALUE, value);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GValue, value_free)

/* --- channel --- */

typedef struct
{
  GPtrArray *received;
  guint      n_closed;
  GError    *closed_error;
  GThread   *thread;
} Listener;

static void
on_message (ComlinkEndpoint *endpoint, GVariant *message, GUnixFDList *fds, Listener *l)
{
  g_assert_true (l->thread == g_thread_self ());
  g_ptr_array_add (l->received, g_variant_ref (message));
}

static void
on_closed (ComlinkEndpoint *endpoint, const GError *error, Listener *l)
{
  l->n_closed++;
  g_clear_error (&l->closed_error);
  l->closed_error = g_error_copy (error);
}

static gpointer
post_from_thread (gpointer data)
{
  GPtrArray *messages = data;

  for (guint i = 1; i < messages->len; i++)
    g_assert_true (comlink_endpoint_send (messages->pdata[0], messages->pdata[i], NULL));

  return NULL;
}

static void
test_channel_across_threads (void)
{
  g_autoptr(ComlinkChannel) channel = comlink_channel_new ();
  g_autoptr(GPtrArray) messages = g_ptr_array_new ();
  Listener l = { g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref), 0, NULL, g_thread_self () };
  GThread *thread;

  g_signal_connect (comlink_channel_get_port2 (channel), "message", G_CALLBACK (on_message), &l);
  g_signal_connect (comlink_channel_get_port2 (channel), "closed", G_CALLBACK (on_closed), &l);
  comlink_endpoint_start (comlink_channel_get_port2 (channel));

  g_ptr_array_add (messages, comlink_channel_get_port1 (channel));
  for (guint i = 0; i < 100; i++)
    g_ptr_array_add (messages, g_variant_ref_sink (g_variant_new_uint32 (i)));

  thread = g_thread_new ("poster", post_from_thread, messages);
  g_thread_join (thread);
  test_wait_until (l.received->len == 100);

  /* In order, and the very same GVariant: nothing was copied */
  for (guint i = 0; i < 100; i++)
    g_assert_true (l.received->pdata[i] == messages->pdata[i + 1]);

  comlink_endpoint_close (comlink_channel_get_port1 (channel));
  g_assert_true (comlink_endpoint_is_closed (comlink_channel_get_port1 (channel)));
  test_wait_until (l.n_closed == 1);
  g_assert_error (l.closed_error, COMLINK_ERROR, COMLINK_ERROR_CLOSED);
  test_iterate_pending ();
  g_assert_cmpuint (l.n_closed, ==, 1);

  /* Sending on a closed channel fails */
  {
    g_autoptr(GError) error = NULL;
    g_assert_false (comlink_endpoint_send (comlink_channel_get_port2 (channel),
                                           g_variant_new_uint32 (0), &error));
    g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_CLOSED);
  }

  for (guint i = 1; i < messages->len; i++)
    g_variant_unref (messages->pdata[i]);
  g_ptr_array_unref (l.received);
  g_clear_error (&l.closed_error);
}

static void
test_channel_port_finalized (void)
{
  ComlinkChannel  *channel = comlink_channel_new ();
  ComlinkEndpoint *port1 = g_object_ref (comlink_channel_get_port1 (channel));
  Listener         l = { g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref), 0, NULL, g_thread_self () };

  g_signal_connect (port1, "closed", G_CALLBACK (on_closed), &l);
  comlink_endpoint_start (port1);
  g_object_unref (channel); /* drops port2, never closed by hand */

  test_wait_until (l.n_closed == 1);
  g_assert_error (l.closed_error, COMLINK_ERROR, COMLINK_ERROR_CLOSED);
  g_object_unref (port1);
  g_ptr_array_unref (l.received);
  g_clear_error (&l.closed_error);
}

/* --- calls --- */

static void
test_call_async (Fixture *f, gconstpointer data)
{
  TestResult r = { 0 };
  GValue    *args = test_args_new (2, G_TYPE_INT, 2, G_TYPE_INT, 40);

  comlink_proxy_call_async (f->proxy, "add", args, 2, NULL, test_on_call_done, &r);
  test_args_free (args, 2);
  test_wait_until (r.n_calls > 0);
  g_assert_no_error (r.error);
  g_assert_cmpint (g_value_get_int (r.value), ==, 42);
  test_iterate_pending ();
  g_assert_cmpuint (r.n_calls, ==, 1);
  test_result_clear (&r);
}

static void
test_call_sync (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GValue) ret = call (f->proxy, "add", &error, 2, test_args_new (2, G_TYPE_INT, -5, G_TYPE_INT, 3));

  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (ret), ==, -2);

  /* A void method returns NULL without an error */
  g_assert_null (call (f->proxy, "ping", &error, 0, NULL));
  g_assert_no_error (error);
}

static void
test_queued_before_expose (void)
{
  g_autoptr(ComlinkChannel) channel = comlink_channel_new ();
  g_autoptr(ComlinkProxy) proxy = comlink_wrap (comlink_channel_get_port2 (channel));
  g_autoptr(TestCalc) calc = test_calc_new ();
  GValue    *args = test_args_new (2, G_TYPE_INT, 1, G_TYPE_INT, 2);
  TestResult r = { 0 };

  comlink_proxy_call_async (proxy, "add", args, 2, NULL, test_on_call_done, &r);
  test_args_free (args, 2);
  /* The call waits: the other side has no connection yet */
  test_iterate_pending ();
  g_assert_cmpuint (r.n_calls, ==, 0);

  /* A connection without an exposed object keeps the request too */
  comlink_connection_get_for_endpoint (comlink_channel_get_port1 (channel));
  test_iterate_pending ();
  g_assert_cmpuint (r.n_calls, ==, 0);

  comlink_expose (G_OBJECT (calc), comlink_channel_get_port1 (channel));
  test_wait_until (r.n_calls == 1);
  g_assert_no_error (r.error);
  g_assert_cmpint (g_value_get_int (r.value), ==, 3);
  test_result_clear (&r);

  comlink_connection_close (comlink_connection_get_for_endpoint (comlink_channel_get_port1 (channel)));
  test_iterate_pending ();
}

static void
test_get_set (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GValue) v = G_VALUE_INIT;
  GValue *ret;

  g_value_init (&v, G_TYPE_INT);
  g_value_set_int (&v, 7);
  g_assert_true (comlink_proxy_set_sync (f->proxy, "value", &v, NULL, &error));
  g_assert_no_error (error);

  ret = comlink_proxy_get_sync (f->proxy, "value", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (ret), ==, 7);
  value_free (ret);

  /* A double holding a whole number converts to the int property */
  g_value_unset (&v);
  g_value_init (&v, G_TYPE_DOUBLE);
  g_value_set_double (&v, 9.0);
  g_assert_true (comlink_proxy_set_sync (f->proxy, "value", &v, NULL, &error));
  g_assert_no_error (error);
  ret = comlink_proxy_get_sync (f->proxy, "value", NULL, &error);
  g_assert_cmpint (g_value_get_int (ret), ==, 9);
  value_free (ret);

  /* Out of the property's range */
  g_value_set_double (&v, 5000.0);
  g_assert_false (comlink_proxy_set_sync (f->proxy, "value", &v, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);

  /* Not a number at all */
  g_value_unset (&v);
  g_value_init (&v, G_TYPE_STRING);
  g_value_set_static_string (&v, "nine");
  g_assert_false (comlink_proxy_set_sync (f->proxy, "value", &v, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);

  /* Read-only, construct-only, missing */
  g_value_unset (&v);
  g_value_init (&v, G_TYPE_INT);
  g_assert_false (comlink_proxy_set_sync (f->proxy, "read-only", &v, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_PROPERTY);
  g_clear_error (&error);
  g_assert_false (comlink_proxy_set_sync (f->proxy, "construct-only", &v, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_PROPERTY);
  g_clear_error (&error);
  g_assert_null (comlink_proxy_get_sync (f->proxy, "construct-only", NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_PROPERTY);
  g_clear_error (&error);
  g_assert_null (comlink_proxy_get_sync (f->proxy, "nope", NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_PROPERTY);
  g_clear_error (&error);

  ret = comlink_proxy_get_sync (f->proxy, "read-only", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (ret), ==, 42);
  value_free (ret);
}

static void
test_navigate (Fixture *f, gconstpointer data)
{
  g_autoptr(TestCalc) child = test_calc_new ();
  g_autoptr(TestCalc) grandchild = test_calc_new ();
  g_autoptr(ComlinkProxy) p_child = NULL;
  g_autoptr(ComlinkProxy) p_grandchild = NULL;
  g_autoptr(GError) error = NULL;
  GValue *ret;

  g_object_set (f->calc, "child", child, NULL);
  g_object_set (child, "child", grandchild, "value", 5, NULL);
  g_object_set (grandchild, "value", 6, NULL);

  p_child = comlink_proxy_get_child (f->proxy, "child");
  p_grandchild = comlink_proxy_get_child (p_child, "child");
  g_assert_cmpstrv (comlink_proxy_get_path (p_grandchild), ((const char *[]){ "child", "child", NULL }));

  ret = comlink_proxy_get_sync (p_child, "value", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (ret), ==, 5);
  value_free (ret);

  ret = comlink_proxy_get_sync (p_grandchild, "value", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (ret), ==, 6);
  value_free (ret);

  ret = call (p_grandchild, "add", &error, 2, test_args_new (2, G_TYPE_INT, 1, G_TYPE_INT, 1));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (ret), ==, 2);
  value_free (ret);

  /* A path through a property that is not an object, or holds none */
  {
    g_autoptr(ComlinkProxy) bad = comlink_proxy_get_child (f->proxy, "value");
    g_autoptr(ComlinkProxy) empty = comlink_proxy_get_child (p_grandchild, "child");

    g_assert_null (comlink_proxy_get_sync (bad, "value", NULL, &error));
    g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_OBJECT);
    g_clear_error (&error);
    g_assert_null (comlink_proxy_get_sync (empty, "value", NULL, &error));
    g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_OBJECT);
    g_clear_error (&error);
  }

  /* A path proxy cannot be sent */
  g_assert_null (call (f->proxy, "echo-object", &error, 1, test_args_new (1, G_TYPE_OBJECT, p_child)));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE);
}

/* --- values --- */

static void
test_values_basic (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  GValue     *ret;
  const char *strv[] = { "a", "bé", "", NULL };

#define ECHO(method, type, in, getter, cmp, expected)                    \
  ret = call (f->proxy, method, &error, 1, test_args_new (1, type, in)); \
  g_assert_no_error (error);                                             \
  g_assert_true (G_VALUE_HOLDS (ret, type));                             \
  cmp (getter (ret), ==, expected);                                      \
  value_free (ret);

  ECHO ("echo-string", G_TYPE_STRING, "héllo", g_value_get_string, g_assert_cmpstr, "héllo");
  ECHO ("echo-string", G_TYPE_STRING, NULL, g_value_get_string, g_assert_cmpstr, NULL);
  ECHO ("echo-uint64", G_TYPE_UINT64, G_MAXUINT64, g_value_get_uint64, g_assert_cmpuint, G_MAXUINT64);
  ECHO ("echo-int64", G_TYPE_INT64, G_MININT64, g_value_get_int64, g_assert_cmpint, G_MININT64);
  ECHO ("echo-boolean", G_TYPE_BOOLEAN, TRUE, g_value_get_boolean, g_assert_cmpint, TRUE);
  ECHO ("echo-float", G_TYPE_FLOAT, 1.5, g_value_get_float, g_assert_cmpfloat, 1.5);
  ECHO ("echo-char", G_TYPE_CHAR, -7, g_value_get_schar, g_assert_cmpint, -7);
  ECHO ("echo-enum", G_TYPE_FILE_TYPE, G_FILE_TYPE_DIRECTORY, g_value_get_enum, g_assert_cmpint, G_FILE_TYPE_DIRECTORY);
  ECHO ("echo-flags", G_TYPE_APPLICATION_FLAGS, G_APPLICATION_IS_SERVICE | G_APPLICATION_NON_UNIQUE,
        g_value_get_flags, g_assert_cmpuint, G_APPLICATION_IS_SERVICE | G_APPLICATION_NON_UNIQUE);

  /* Numbers convert to the declared parameter types, with range checks */
  ret = call (f->proxy, "scale", &error, 2, test_args_new (2, G_TYPE_INT, 3, G_TYPE_INT64, (gint64) 4));
  g_assert_no_error (error);
  g_assert_cmpfloat (g_value_get_double (ret), ==, 12.0);
  value_free (ret);
  g_assert_null (call (f->proxy, "scale", &error, 2, test_args_new (2, G_TYPE_DOUBLE, 1.0, G_TYPE_INT, 256)));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);
  g_assert_null (call (f->proxy, "add", &error, 2, test_args_new (2, G_TYPE_INT64, G_MAXINT64, G_TYPE_INT, 1)));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);
  g_assert_null (call (f->proxy, "add", &error, 2, test_args_new (2, G_TYPE_DOUBLE, 0.5, G_TYPE_INT, 1)));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);

  /* An enum nick converts to the declared enum; an unknown one does not */
  ret = call (f->proxy, "echo-enum", &error, 1, test_args_new (1, G_TYPE_STRING, "special"));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_enum (ret), ==, G_FILE_TYPE_SPECIAL);
  value_free (ret);
  g_assert_null (call (f->proxy, "echo-enum", &error, 1, test_args_new (1, G_TYPE_STRING, "nope")));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);

  ret = call (f->proxy, "echo-strv", &error, 1, test_args_new (1, G_TYPE_STRV, strv));
  g_assert_no_error (error);
  g_assert_cmpstrv (g_value_get_boxed (ret), strv);
  value_free (ret);

  /* A NULL GStrv goes as no value, both ways */
  g_assert_null (call (f->proxy, "echo-strv", &error, 1, test_args_new (1, G_TYPE_STRV, NULL)));
  g_assert_no_error (error);

  {
    g_autoptr(GVariant) variant = g_variant_ref_sink (g_variant_new_parsed ("{'a': <(1, 'x', [2.5])>}"));

    ret = call (f->proxy, "echo-variant", &error, 1, test_args_new (1, G_TYPE_VARIANT, variant));
    g_assert_no_error (error);
    g_assert_true (g_variant_equal (g_value_get_variant (ret), variant));
    value_free (ret);
  }

  {
    g_autoptr(GError) sent = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_BUSY, "busy");

    ret = call (f->proxy, "echo-error", &error, 1, test_args_new (1, G_TYPE_ERROR, sent));
    g_assert_no_error (error);
    g_assert_error ((GError *) g_value_get_boxed (ret), G_IO_ERROR, G_IO_ERROR_BUSY);
    value_free (ret);
  }
#undef ECHO
}

static void
test_values_bytes (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_bytes_new_take (g_malloc0 (1 << 20), 1 << 20);
  GValue *ret;

  ret = call (f->proxy, "bytes-size", &error, 1, test_args_new (1, G_TYPE_BYTES, bytes));
  g_assert_no_error (error);
  g_assert_cmpuint (g_value_get_uint64 (ret), ==, 1 << 20);
  value_free (ret);
  /* In-process, the receiver sees the very same bytes: no copy */
  g_assert_true (test_last_bytes_data == g_bytes_get_data (bytes, NULL));

  ret = call (f->proxy, "echo-bytes", &error, 1, test_args_new (1, G_TYPE_BYTES, bytes));
  g_assert_no_error (error);
  g_assert_true (g_bytes_get_data (g_value_get_boxed (ret), NULL) == g_bytes_get_data (bytes, NULL));
  value_free (ret);
}

static void
test_values_objects (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestCalc) local = test_calc_new ();
  g_autoptr(GValue) ret = NULL;
  g_autoptr(GValue) child = NULL;
  g_autoptr(GValue) is_self = NULL;
  ComlinkConnection *exposing = comlink_connection_get_for_endpoint (comlink_channel_get_port1 (f->channel));
  GObject           *remote_child = NULL;

  /* A local object sent and sent back is the same object again */
  ret = call (f->proxy, "echo-object", &error, 1, test_args_new (1, G_TYPE_OBJECT, local));
  g_assert_no_error (error);
  g_assert_true (g_value_get_object (ret) == (GObject *) local);
  g_assert_cmpuint (comlink_connection_get_n_exports (exposing), ==, 0);

  /* A remote object arrives as a proxy, and goes back as the original */
  child = call (f->proxy, "make-child", &error, 1, test_args_new (1, G_TYPE_INT, 11));
  g_assert_no_error (error);
  g_assert_true (COMLINK_IS_PROXY (g_value_get_object (child)));
  g_assert_cmpuint (comlink_connection_get_n_exports (exposing), ==, 1);
  is_self = call (COMLINK_PROXY (g_value_get_object (child)), "is-self", &error, 1,
                  test_args_new (1, G_TYPE_OBJECT, g_value_get_object (child)));
  g_assert_no_error (error);
  g_assert_true (g_value_get_boolean (is_self));

  /* The root proxy goes back as the exposed object */
  g_clear_pointer (&is_self, value_free);
  is_self = call (f->proxy, "is-self", &error, 1, test_args_new (1, G_TYPE_OBJECT, f->proxy));
  g_assert_no_error (error);
  g_assert_true (g_value_get_boolean (is_self));

  /* Releasing the child's proxy drops the exported object */
  {
    g_autoptr(GValue) value = comlink_proxy_get_sync (COMLINK_PROXY (g_value_get_object (child)), "value", NULL, &error);
    g_assert_cmpint (g_value_get_int (value), ==, 11);
  }
  g_assert_true (comlink_proxy_release_sync (COMLINK_PROXY (g_value_get_object (child)), NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (comlink_connection_get_n_exports (exposing), ==, 0);
  (void) remote_child;

  /* A released proxy fails at once */
  g_assert_null (comlink_proxy_get_sync (COMLINK_PROXY (g_value_get_object (child)), "value", NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_CLOSED);
}

static void
test_values_not_transferable (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestCalc) local = test_calc_new ();
  ComlinkConnection *wrapping = comlink_connection_get_for_endpoint (comlink_channel_get_port2 (f->channel));
  GValue            *args = g_new0 (GValue, 2);

  /* An exported object is rolled back when a later argument fails */
  g_value_init (&args[0], G_TYPE_OBJECT);
  g_value_set_object (&args[0], local);
  g_value_init (&args[1], G_TYPE_POINTER);
  g_value_set_pointer (&args[1], &error); /* a NULL gpointer is a null */
  g_assert_null (call (f->proxy, "add", &error, 2, args));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE);
  g_assert_nonnull (strstr (error->message, "gpointer"));
  g_clear_error (&error);
  g_assert_cmpuint (comlink_connection_get_n_exports (wrapping), ==, 0);

  /* Invalid UTF-8 */
  g_assert_null (call (f->proxy, "echo-string", &error, 1, test_args_new (1, G_TYPE_STRING, "\xff\xfe")));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE);
  g_clear_error (&error);

  /* A result that cannot travel */
  {
    g_autoptr(GBytes) bytes = g_bytes_new_static ("x", 1);
    g_assert_null (call (f->proxy, "bytes-data", &error, 1, test_args_new (1, G_TYPE_BYTES, bytes)));
    g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE);
  }
}

/* --- errors --- */

static void
test_errors (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (call (f->proxy, "fail", &error, 1, test_args_new (1, G_TYPE_INT, G_IO_ERROR_PERMISSION_DENIED)));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_cmpstr (error->message, ==, "failed with 14");
  g_clear_error (&error);

  g_assert_null (call (f->proxy, "nope", &error, 0, NULL));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_METHOD);
  g_clear_error (&error);

  /* Plain signals and GObject's own are not callable */
  g_assert_null (call (f->proxy, "changed", &error, 1, test_args_new (1, G_TYPE_INT, 1)));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_METHOD);
  g_clear_error (&error);
  g_assert_null (call (f->proxy, "notify", &error, 1, test_args_new (1, G_TYPE_POINTER, &error)));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE);
  g_clear_error (&error);
  g_assert_null (call (f->proxy, "notify", &error, 1, test_args_new (1, G_TYPE_STRING, "value")));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_METHOD);
  g_clear_error (&error);

  g_assert_null (call (f->proxy, "add", &error, 1, test_args_new (1, G_TYPE_INT, 1)));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_INVALID_ARGUMENTS);
  g_clear_error (&error);

  g_assert_null (call (f->proxy, "add", &error, 2, test_args_new (2, G_TYPE_STRING, "1", G_TYPE_INT, 1)));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);

  /* A GError value of a domain known on both sides keeps its domain
   * (test-protocol.c checks a domain that is unknown here) */
  {
    GValue *args = g_new0 (GValue, 1);
    GValue *ret;

    g_value_init (&args[0], G_TYPE_ERROR);
    g_value_take_boxed (&args[0], g_error_new_literal (g_quark_from_static_string ("test-known-domain"), 3, "known"));
    ret = call (f->proxy, "echo-error", &error, 1, args);
    g_assert_no_error (error);
    g_assert_error ((GError *) g_value_get_boxed (ret), g_quark_try_string ("test-known-domain"), 3);
    value_free (ret);
  }
}

/* --- exposable and async handlers --- */

static void
test_exposable (void)
{
  g_autoptr(ComlinkChannel) channel = comlink_channel_new ();
  g_autoptr(TestDynamic) dynamic = g_object_new (TEST_TYPE_DYNAMIC, NULL);
  g_autoptr(ComlinkProxy) proxy = NULL;
  g_autoptr(ComlinkProxy) path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GValue) ret = NULL;
  g_autoptr(GValue) ret2 = NULL;

  comlink_expose (G_OBJECT (dynamic), comlink_channel_get_port1 (channel));
  proxy = comlink_wrap (comlink_channel_get_port2 (channel));
  path = comlink_proxy_get_child (proxy, "a");
  g_clear_object (&path);
  {
    g_autoptr(ComlinkProxy) a = comlink_proxy_get_child (proxy, "a");
    path = comlink_proxy_get_child (a, "b");
  }

  ret = call (path, "anything", &error, 2, test_args_new (2, G_TYPE_INT, 1, G_TYPE_INT, 2));
  g_assert_no_error (error);
  g_assert_cmpstr (g_value_get_string (ret), ==, "0:a/b/anything:2");
  ret2 = comlink_proxy_get_sync (proxy, "prop", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_value_get_string (ret2), ==, "1:/prop:0");
  g_assert_null (call (proxy, "missing", &error, 0, NULL));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_METHOD);

  g_clear_object (&path);
  g_clear_object (&proxy);
  comlink_connection_close (comlink_connection_get_for_endpoint (comlink_channel_get_port1 (channel)));
  test_iterate_pending ();
}

static void
test_async_handler (Fixture *f, gconstpointer data)
{
  TestResult r = { 0 };
  g_auto(GValue) v = G_VALUE_INIT;
  ComlinkInvocation *held;

  comlink_proxy_call_async (f->proxy, "hold", NULL, 0, NULL, test_on_call_done, &r);
  test_wait_until (test_calc_get_held (f->calc) != NULL);
  test_iterate_pending ();
  g_assert_cmpuint (r.n_calls, ==, 0);

  held = test_calc_get_held (f->calc);
  g_assert_cmpstr (comlink_invocation_get_member (held), ==, "hold");
  g_assert_false (g_cancellable_is_cancelled (comlink_invocation_get_cancellable (held)));
  g_value_init (&v, G_TYPE_STRING);
  g_value_set_static_string (&v, "later");
  comlink_invocation_return_value (held, &v);
  test_calc_clear_held (f->calc);

  test_wait_until (r.n_calls == 1);
  g_assert_no_error (r.error);
  g_assert_cmpstr (g_value_get_string (r.value), ==, "later");
  test_result_clear (&r);
}

/* A handler that drops its invocation unanswered: the caller still gets an
 * answer */
static void
test_no_reply (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (call (f->proxy, "drop", &error, 0, NULL));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_REPLY);
}

/* --- cancellation --- */

static void
test_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  ComlinkInvocation *held;
  GCancellable      *remote;
  TestResult         r = { 0 };

  comlink_proxy_call_async (f->proxy, "hold", NULL, 0, cancellable, test_on_call_done, &r);
  test_wait_until (test_calc_get_held (f->calc) != NULL);
  held = test_calc_get_held (f->calc);
  remote = g_object_ref (comlink_invocation_get_cancellable (held));
  g_assert_false (g_cancellable_is_cancelled (remote));

  g_cancellable_cancel (cancellable);
  /* The call completes at once, without waiting for the peer */
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* The remote invocation's cancellable fires; its answer is dropped */
  test_wait_until (g_cancellable_is_cancelled (remote));
  test_wait_until (test_calc_get_held (f->calc) == NULL);
  test_iterate_pending ();
  g_assert_cmpuint (r.n_calls, ==, 1);
  g_object_unref (remote);
  test_result_clear (&r);

  /* An already cancelled call is never sent */
  comlink_proxy_call_async (f->proxy, "hold", NULL, 0, cancellable, test_on_call_done, &r);
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  test_iterate_pending ();
  g_assert_null (test_calc_get_held (f->calc));
  test_result_clear (&r);

  /* A call that completes normally leaves no handler on its cancellable */
  g_cancellable_reset (cancellable);
  {
    GValue *args = test_args_new (2, G_TYPE_INT, 1, G_TYPE_INT, 1);
    comlink_proxy_call_async (f->proxy, "add", args, 2, cancellable, test_on_call_done, &r);
    test_args_free (args, 2);
  }
  test_wait_until (r.n_calls == 1);
  g_assert_no_error (r.error);
  test_iterate_pending ();
  g_cancellable_cancel (cancellable);
  test_iterate_pending ();
  g_assert_cmpuint (r.n_calls, ==, 1);
  test_result_clear (&r);
}

/* --- callbacks --- */

typedef struct
{
  guint         n_calls;
  GMainContext *context;
  GString      *log;
} CallbackLog;

static void
on_callback (ComlinkCallback *callback, int i, const char *what, CallbackLog *log)
{
  log->n_calls++;
  log->context = g_main_context_get_thread_default ();
  g_string_append_printf (log->log, "%d%s ", i, what);
}

static void
test_callback (Fixture *f, gconstpointer data)
{
  CallbackLog log = { 0, NULL, g_string_new ("") };
  g_autoptr(ComlinkCallback) callback =
               comlink_callback_new_typed (g_cclosure_new (G_CALLBACK (on_callback), &log, NULL),
                                           G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_STRING);
  ComlinkConnection *wrapping = comlink_connection_get_for_endpoint (comlink_channel_get_port2 (f->channel));
  ComlinkConnection *exposing = comlink_connection_get_for_endpoint (comlink_channel_get_port1 (f->channel));
  g_autoptr(GError) error = NULL;
  GObject *weak = G_OBJECT (callback);

  g_assert_null (call (f->proxy, "call-back", &error, 2, test_args_new (2, G_TYPE_OBJECT, callback, G_TYPE_INT, 3)));
  g_assert_no_error (error);
  test_wait_until (log.n_calls == 3);
  g_assert_cmpstr (log.log->str, ==, "0tick 1tick 2tick ");
  g_assert_true (log.context == NULL || log.context == g_main_context_default ());

  /* The worker side dropped its proxy of the callback: the callback is
   * released and finalized once nobody here holds it */
  test_wait_until (comlink_connection_get_n_exports (wrapping) == 0);
  g_assert_cmpuint (comlink_connection_get_n_proxies (exposing), ==, 0);
  g_object_add_weak_pointer (weak, (gpointer *) &weak);
  g_clear_object (&callback);
  g_assert_null (weak);
  g_string_free (log.log, TRUE);
}

static int
failing_callback (ComlinkCallback *callback, int i, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (i < 0)
    {
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "negative: %d", i);
      comlink_callback_return_error (callback, error);
      return 0;
    }
  return i * 2;
}

/* A callback's closure that fails gives its caller the error */
static void
test_callback_error (void)
{
  g_autoptr(ComlinkChannel) channel = comlink_channel_new ();
  g_autoptr(ComlinkCallback) callback =
               comlink_callback_new_typed (g_cclosure_new (G_CALLBACK (failing_callback), NULL, NULL),
                                           G_TYPE_INT, 1, G_TYPE_INT);
  g_autoptr(ComlinkProxy) proxy = NULL;
  g_autoptr(GError) error = NULL;
  GValue *args, *ret;

  comlink_expose (G_OBJECT (callback), comlink_channel_get_port1 (channel));
  proxy = comlink_wrap (comlink_channel_get_port2 (channel));

  args = test_args_new (1, G_TYPE_INT, -3);
  g_assert_null (comlink_proxy_call_sync (proxy, NULL, args, 1, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==, "negative: -3");
  g_clear_error (&error);
  test_args_free (args, 1);

  /* The next call succeeds: the error was for that call only */
  args = test_args_new (1, G_TYPE_INT, 4);
  ret = comlink_proxy_call_sync (proxy, NULL, args, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (ret), ==, 8);
  g_boxed_free (G_TYPE_VALUE, ret);
  test_args_free (args, 1);

  comlink_connection_close (comlink_connection_get_for_endpoint (comlink_channel_get_port2 (channel)));
  test_iterate_pending ();
}

typedef struct
{
  guint  n_calls;
  double x;
  gint64 big;
  char  *s;
  guint8 small;
} Converted;

static double
on_converted (ComlinkCallback *callback, double x, gint64 big, const char *s, guint8 small, Converted *c)
{
  c->n_calls++;
  c->x = x;
  c->big = big;
  g_free (c->s);
  c->s = g_strdup (s);
  c->small = small;
  return x * 2;
}

/* The proxy of a callback made by @callback, exposed on a channel */
static ComlinkProxy *
expose_callback (ComlinkChannel  *channel,
                 ComlinkCallback *callback)
{
  comlink_expose (G_OBJECT (callback), comlink_channel_get_port1 (channel));
  return comlink_wrap (comlink_channel_get_port2 (channel));
}

/* A typed callback receives its arguments converted to the declared
 * types, runs once per call, and returns its value */
static void
test_callback_typed_conversion (void)
{
  g_autoptr(ComlinkChannel) channel = comlink_channel_new ();
  const GType types[] = { G_TYPE_DOUBLE, G_TYPE_INT64, G_TYPE_STRING, G_TYPE_UCHAR };
  Converted   c = { 0 };
  g_autoptr(ComlinkCallback) callback =
               comlink_callback_new_with_types (g_cclosure_new (G_CALLBACK (on_converted), &c, NULL),
                                                G_TYPE_DOUBLE, G_N_ELEMENTS (types), types);
  g_autoptr(ComlinkProxy) proxy = expose_callback (channel, callback);
  g_autoptr(GError) error = NULL;
  GValue *args, *ret;

  args = test_args_new (4, G_TYPE_INT, 3, G_TYPE_INT, -7, G_TYPE_STRING, "x", G_TYPE_INT, 200);
  ret = comlink_proxy_call_sync (proxy, NULL, args, 4, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (c.n_calls, ==, 1);
  g_assert_cmpfloat (c.x, ==, 3.0);
  g_assert_cmpint (c.big, ==, -7);
  g_assert_cmpstr (c.s, ==, "x");
  g_assert_cmpuint (c.small, ==, 200);
  g_assert_true (G_VALUE_HOLDS_DOUBLE (ret));
  g_assert_cmpfloat (g_value_get_double (ret), ==, 6.0);
  g_boxed_free (G_TYPE_VALUE, ret);
  test_args_free (args, 4);

  /* A NULL string is a string */
  args = test_args_new (4, G_TYPE_DOUBLE, 0.5, G_TYPE_INT64, G_GINT64_CONSTANT (1) << 40, G_TYPE_STRING, NULL,
                        G_TYPE_UINT, 1);
  ret = comlink_proxy_call_sync (proxy, NULL, args, 4, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (c.n_calls, ==, 2);
  g_assert_cmpint (c.big, ==, G_GINT64_CONSTANT (1) << 40);
  g_assert_null (c.s);
  g_assert_cmpfloat (g_value_get_double (ret), ==, 1.0);
  g_boxed_free (G_TYPE_VALUE, ret);
  test_args_free (args, 4);
  g_free (c.s);

  comlink_connection_close (comlink_connection_get_for_endpoint (comlink_channel_get_port2 (channel)));
  test_iterate_pending ();
}

/* Arguments of another count or type fail the call, and the closure does
 * not run */
static void
test_callback_typed_mismatch (void)
{
  g_autoptr(ComlinkChannel) channel = comlink_channel_new ();
  Converted c = { 0 };
  g_autoptr(ComlinkCallback) callback =
               comlink_callback_new_typed (g_cclosure_new (G_CALLBACK (on_converted), &c, NULL),
                                           G_TYPE_DOUBLE, 4, G_TYPE_DOUBLE, G_TYPE_INT64, G_TYPE_STRING, G_TYPE_UCHAR);
  g_autoptr(ComlinkProxy) proxy = expose_callback (channel, callback);
  g_autoptr(GError) error = NULL;
  GValue *args;

  args = test_args_new (3, G_TYPE_INT, 3, G_TYPE_INT, -7, G_TYPE_STRING, "x");
  g_assert_null (comlink_proxy_call_sync (proxy, NULL, args, 3, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_INVALID_ARGUMENTS);
  g_clear_error (&error);
  test_args_free (args, 3);

  /* Out of the range of a guchar */
  args = test_args_new (4, G_TYPE_INT, 3, G_TYPE_INT, -7, G_TYPE_STRING, "x", G_TYPE_INT, 300);
  g_assert_null (comlink_proxy_call_sync (proxy, NULL, args, 4, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);
  test_args_free (args, 4);

  /* A string where a number is */
  args = test_args_new (4, G_TYPE_STRING, "3", G_TYPE_INT, -7, G_TYPE_STRING, "x", G_TYPE_INT, 1);
  g_assert_null (comlink_proxy_call_sync (proxy, NULL, args, 4, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);
  test_args_free (args, 4);

  g_assert_cmpuint (c.n_calls, ==, 0);
  comlink_connection_close (comlink_connection_get_for_endpoint (comlink_channel_get_port2 (channel)));
  test_iterate_pending ();
}

static void
on_untyped (ComlinkCallback *callback, guint *n_calls)
{
  (*n_calls)++;
}

/* A C closure without declared types takes calls with no arguments only */
static void
test_callback_untyped_c (void)
{
  g_autoptr(ComlinkChannel) channel = comlink_channel_new ();
  guint n_calls = 0;
  g_autoptr(ComlinkCallback) callback = comlink_callback_new (g_cclosure_new (G_CALLBACK (on_untyped), &n_calls, NULL));
  g_autoptr(ComlinkProxy) proxy = expose_callback (channel, callback);
  g_autoptr(GError) error = NULL;
  GValue *args = test_args_new (1, G_TYPE_INT, 1);

  g_assert_null (comlink_proxy_call_sync (proxy, NULL, args, 1, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_INVALID_ARGUMENTS);
  g_assert_cmpuint (n_calls, ==, 0);
  g_clear_error (&error);
  test_args_free (args, 1);

  g_assert_null (comlink_proxy_call_sync (proxy, NULL, NULL, 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_calls, ==, 1);

  comlink_connection_close (comlink_connection_get_for_endpoint (comlink_channel_get_port2 (channel)));
  test_iterate_pending ();
}

/* --- release --- */

static void
test_release_counts (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  ComlinkConnection *exposing = comlink_connection_get_for_endpoint (comlink_channel_get_port1 (f->channel));
  g_autoptr(TestCalc) child = test_calc_new ();
  GObject *weak = G_OBJECT (child);
  GValue  *first, *second;

  g_object_add_weak_pointer (weak, (gpointer *) &weak);
  g_object_set (f->calc, "child", child, NULL);
  g_clear_object (&child);

  /* The same object sent twice is one proxy holding two references */
  first = comlink_proxy_get_sync (f->proxy, "child", NULL, &error);
  second = comlink_proxy_get_sync (f->proxy, "child", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_value_get_object (first) == g_value_get_object (second));
  g_assert_cmpuint (comlink_connection_get_n_exports (exposing), ==, 1);

  /* The exposing side drops its own reference; the peer's keep it */
  g_object_set (f->calc, "child", NULL, NULL);
  g_assert_nonnull (weak);

  /* Finalizing the proxy releases both references in one batch */
  value_free (first);
  g_assert_nonnull (weak);
  value_free (second);
  test_wait_until (weak == NULL);
  g_assert_cmpuint (comlink_connection_get_n_exports (exposing), ==, 0);
}

static void
test_release_crossing (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  ComlinkConnection *exposing = comlink_connection_get_for_endpoint (comlink_channel_get_port1 (f->channel));
  g_autoptr(TestCalc) child = test_calc_new ();
  GObject   *weak = G_OBJECT (child);
  GObject   *first_proxy;
  GValue    *first;
  TestResult r = { 0 };

  g_object_add_weak_pointer (weak, (gpointer *) &weak);
  g_object_set (f->calc, "child", child, NULL);
  g_clear_object (&child);

  first = comlink_proxy_get_sync (f->proxy, "child", NULL, &error);
  g_assert_no_error (error);
  first_proxy = g_value_get_object (first);
  g_object_add_weak_pointer (first_proxy, (gpointer *) &first_proxy);

  g_object_set (f->calc, "child", NULL, NULL);

  /* A second reference is sent while the release of the first is on its
   * way: the exporter counts both and keeps the object */
  {
    GValue *args = test_args_new (1, G_TYPE_OBJECT, first_proxy);
    comlink_proxy_call_async (f->proxy, "echo-object", args, 1, NULL, test_on_call_done, &r);
    test_args_free (args, 1);
  }
  comlink_proxy_release (COMLINK_PROXY (first_proxy));
  value_free (first);
  g_assert_null (first_proxy);

  test_wait_until (r.n_calls == 1);
  g_assert_no_error (r.error);
  test_iterate_pending ();
  g_assert_nonnull (weak);
  g_assert_cmpuint (comlink_connection_get_n_exports (exposing), ==, 1);

  /* The new proxy still works, and its release frees the object */
  {
    g_autoptr(GValue) value = comlink_proxy_get_sync (COMLINK_PROXY (g_value_get_object (r.value)), "value", NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (g_value_get_int (value), ==, 0);
  }
  test_result_clear (&r);
  test_wait_until (weak == NULL);
  g_assert_cmpuint (comlink_connection_get_n_exports (exposing), ==, 0);
}

static void
test_wrap_only_closes_with_last_proxy (void)
{
  g_autoptr(ComlinkChannel) channel = comlink_channel_new ();
  g_autoptr(TestCalc) calc = test_calc_new ();
  ComlinkConnection *exposing = comlink_expose (G_OBJECT (calc), comlink_channel_get_port1 (channel));
  ComlinkProxy      *proxy = comlink_wrap (comlink_channel_get_port2 (channel));
  ComlinkConnection *wrapping = comlink_proxy_dup_connection (proxy);

  g_object_add_weak_pointer (G_OBJECT (wrapping), (gpointer *) &wrapping);
  g_object_add_weak_pointer (G_OBJECT (exposing), (gpointer *) &exposing);
  g_object_unref (wrapping);
  comlink_proxy_release (proxy);
  g_assert_true (comlink_proxy_is_released (proxy));
  g_object_unref (proxy);

  /* Comlink: releasing the proxy closes its port; the exposing side sees
   * the channel close and goes too */
  test_wait_until (wrapping == NULL && exposing == NULL);
  g_assert_true (comlink_endpoint_is_closed (comlink_channel_get_port1 (channel)));
}

/* Both sides of one channel expose an object and wrap the other's */
static void
test_both_directions (void)
{
  g_autoptr(ComlinkChannel) channel = comlink_channel_new ();
  g_autoptr(TestCalc) left = test_calc_new ();
  g_autoptr(TestCalc) right = test_calc_new ();
  g_autoptr(ComlinkProxy) to_right = NULL;
  g_autoptr(ComlinkProxy) to_left = NULL;
  g_autoptr(GError) error = NULL;
  GValue *ret;

  g_object_set (left, "value", 1, NULL);
  g_object_set (right, "value", 2, NULL);
  to_right = comlink_wrap (comlink_channel_get_port1 (channel));
  /* One connection per endpoint, whichever comes first */
  g_assert_true (comlink_expose (G_OBJECT (left), comlink_channel_get_port1 (channel)) ==
                 comlink_connection_get_for_endpoint (comlink_channel_get_port1 (channel)));
  comlink_expose (G_OBJECT (right), comlink_channel_get_port2 (channel));
  to_left = comlink_wrap (comlink_channel_get_port2 (channel));

  ret = comlink_proxy_get_sync (to_right, "value", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (ret), ==, 2);
  g_boxed_free (G_TYPE_VALUE, ret);
  ret = comlink_proxy_get_sync (to_left, "value", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (ret), ==, 1);
  g_boxed_free (G_TYPE_VALUE, ret);

  comlink_connection_close (comlink_connection_get_for_endpoint (comlink_channel_get_port1 (channel)));
  g_assert_true (comlink_proxy_is_released (to_right));
  test_wait_until (comlink_proxy_is_released (to_left));
}

/* Descriptors between ports of one process arrive as duplicates, before
 * the call is exposed too; none stays open when the call is done */
static void
test_channel_fds (void)
{
  guint fds_before = test_count_fds_baseline ();

  {
    g_autoptr(ComlinkChannel) channel = comlink_channel_new ();
    g_autoptr(TestCalc) calc = test_calc_new ();
    g_autoptr(ComlinkProxy) proxy = comlink_wrap (comlink_channel_get_port2 (channel));
    g_autoptr(GUnixFDList) list = g_unix_fd_list_new ();
    g_autoptr(GError) error = NULL;
    TestResult r = { 0 };
    GValue    *args;
    int        fd = test_pipe_with ("through a port");

    g_assert_true (comlink_endpoint_can_send_fds (comlink_channel_get_port1 (channel)));
    g_unix_fd_list_append (list, fd, &error);
    close (fd);
    args = test_args_new (1, G_TYPE_UNIX_FD_LIST, list);
    comlink_proxy_call_async (proxy, "read-fds", args, 1, NULL, test_on_call_done, &r);
    test_args_free (args, 1);
    g_clear_object (&list);

    comlink_expose (G_OBJECT (calc), comlink_channel_get_port1 (channel));
    test_wait_until (r.n_calls == 1);
    g_assert_no_error (r.error);
    g_assert_cmpstr (g_value_get_string (r.value), ==, "through a port");
    test_result_clear (&r);

    comlink_connection_close (comlink_connection_get_for_endpoint (comlink_channel_get_port2 (channel)));
    test_iterate_pending ();
  }

  test_wait_until (test_count_fds () <= fds_before);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Comlink/Channel/across-threads", test_channel_across_threads);
  g_test_add_func ("/Comlink/Channel/port-finalized", test_channel_port_finalized);
  g_test_add_func ("/Comlink/Channel/fds", test_channel_fds);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/Comlink/Proxy/call-async", test_call_async);
  ADD ("/Comlink/Proxy/call-sync", test_call_sync);
  g_test_add_func ("/Comlink/Proxy/queued-before-expose", test_queued_before_expose);
  g_test_add_func ("/Comlink/Proxy/both-directions", test_both_directions);
  ADD ("/Comlink/Proxy/get-set", test_get_set);
  ADD ("/Comlink/Proxy/navigate", test_navigate);
  ADD ("/Comlink/Values/basic", test_values_basic);
  ADD ("/Comlink/Values/bytes-no-copy", test_values_bytes);
  ADD ("/Comlink/Values/objects", test_values_objects);
  ADD ("/Comlink/Values/not-transferable", test_values_not_transferable);
  ADD ("/Comlink/Errors/codes", test_errors);
  g_test_add_func ("/Comlink/Exposable/invoke", test_exposable);
  ADD ("/Comlink/Exposable/async-handler", test_async_handler);
  ADD ("/Comlink/Exposable/no-reply", test_no_reply);
  ADD ("/Comlink/Callback/three-calls", test_callback);
  g_test_add_func ("/Comlink/Callback/error", test_callback_error);
  g_test_add_func ("/Comlink/Callback/typed-conversion", test_callback_typed_conversion);
  g_test_add_func ("/Comlink/Callback/typed-mismatch", test_callback_typed_mismatch);
  g_test_add_func ("/Comlink/Callback/untyped-c", test_callback_untyped_c);
  ADD ("/Comlink/Cancel/call", test_cancel);
  ADD ("/Comlink/Release/counts", test_release_counts);
  ADD ("/Comlink/Release/crossing", test_release_crossing);
  g_test_add_func ("/Comlink/Release/wrap-only-closes", test_wrap_only_closes_with_last_proxy);
#undef ADD

  return g_test_run ();
}
