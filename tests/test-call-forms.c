/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The C call forms of ComlinkProxy: the GVariant form, the varargs form
 * and the boolean finish, each against a thread worker and a subprocess
 * worker: every basic type there and back, a method that returns nothing,
 * failures with their domain and code, terminate in the middle of a call,
 * and that nothing is left behind. */

#include "test-objects.h"

typedef struct
{
  ComlinkWorker *worker;
  ComlinkProxy  *proxy;
  TestWatch      worker_watch;
  TestWatch      proxy_watch;
} Fixture;

static GObject *
setup_calc (gpointer user_data, GError **error)
{
  return G_OBJECT (test_calc_new ());
}

static gboolean
is_subprocess (gconstpointer data)
{
  return g_str_equal (data, "subprocess");
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  if (is_subprocess (data))
    {
      const char *argv[] = { g_getenv ("COMLINK_TEST_CHILD"), NULL };
      g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
      g_autoptr(GError) error = NULL;

      /* As in test-subprocess.c: the child's leaks are not our subject */
      g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", "detect_leaks=0", TRUE);
      g_assert_nonnull (argv[0]);
      f->worker = comlink_worker_new_subprocess (launcher, argv, &error);
      g_assert_no_error (error);
    }
  else
    f->worker = comlink_worker_new_thread (NULL, setup_calc, NULL, NULL);

  f->proxy = comlink_worker_get_proxy (f->worker);
  test_watch (&f->worker_watch, f->worker);
  test_watch (&f->proxy_watch, f->proxy);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autoptr(GSubprocess) subprocess = NULL;

  if (comlink_worker_get_subprocess (f->worker) != NULL)
    subprocess = g_object_ref (comlink_worker_get_subprocess (f->worker));

  comlink_worker_terminate (f->worker);
  g_clear_object (&f->worker);
  /* The worker and its proxy are finalized, the child reaped, and every
   * TestCalc of a worker thread gone (the next test counts finalizations) */
  test_wait_until (test_watch_done (&f->worker_watch) && test_watch_done (&f->proxy_watch));
  test_wait_until (test_calc_get_n_alive () == 0);
  if (subprocess != NULL)
    test_wait_until (g_subprocess_get_identifier (subprocess) == NULL);
  test_iterate_pending ();
}

/* What the callback of an asynchronous call saw, whichever form */
typedef struct
{
  guint     n_calls;
  gboolean  ok;
  GError   *error;
  GVariant *variant;
  GType     return_type;
  gint      sum;
  GValue    value;
  TestWatch task;
} Outcome;

static void
outcome_init (Outcome *o, GType return_type)
{
  memset (o, 0, sizeof *o);
  o->return_type = return_type;
  o->sum = 77; /* what no call returns: it shows that nothing was stored */
}

static void
outcome_clear (Outcome *o)
{
  g_clear_error (&o->error);
  g_clear_pointer (&o->variant, g_variant_unref);
  g_value_unset (&o->value);
}

static void
outcome_start (Outcome *o, GAsyncResult *result)
{
  o->n_calls++;
  test_watch (&o->task, result);
}

static void
on_variant_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Outcome *o = user_data;

  outcome_start (o, result);
  o->variant = comlink_proxy_call_variant_finish (COMLINK_PROXY (source), result, &o->error);
  o->ok = o->variant != NULL;
}

static void
on_args_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Outcome *o = user_data;

  outcome_start (o, result);
  /* With G_TYPE_NONE, the location that follows is not read */
  o->ok = comlink_proxy_call_with_args_finish (COMLINK_PROXY (source), result, &o->error,
                                               o->return_type, &o->sum);
}

static void
on_value_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Outcome *o = user_data;

  outcome_start (o, result);
  o->ok = comlink_proxy_call_finish_value (COMLINK_PROXY (source), result, &o->value, &o->error);
}

/* Runs the loop until @o completed, and a while longer: the callback ran
 * exactly once, and the task was finalized */
static void
outcome_wait (Outcome *o)
{
  test_wait_until (o->n_calls > 0);
  test_iterate_pending ();
  g_assert_cmpuint (o->n_calls, ==, 1);
  test_wait_until (test_watch_done (&o->task));
}

/* --- the GVariant form --- */

/* Calls @method with @parameters and checks the result tuple: its type
 * and its value, given in the GVariant text format */
static void
assert_variant_call (Fixture *f, const char *method, GVariant *parameters, const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) want = g_variant_ref_sink (g_variant_new_parsed (expected));
  g_autoptr(GVariant) got = comlink_proxy_call_variant_sync (f->proxy, method, parameters, NULL, &error);
  g_autofree char *want_text = NULL;
  g_autofree char *got_text = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (got);
  g_assert_false (g_variant_is_floating (got));
  want_text = g_variant_print (want, TRUE);
  got_text = g_variant_print (got, TRUE);
  g_assert_cmpstr (g_variant_get_type_string (got), ==, g_variant_get_type_string (want));
  g_assert_cmpstr (got_text, ==, want_text);
}

static void
test_variant_types (Fixture *f, gconstpointer data)
{
  const char     *strv[] = { "a", "b", NULL };
  const char     *objv[] = { "/a", "/b/c", NULL };
  GVariantBuilder dict;

  assert_variant_call (f, "echo-boolean", g_variant_new ("(b)", TRUE), "(true,)");
  assert_variant_call (f, "echo-boolean", g_variant_new ("(b)", FALSE), "(false,)");
  assert_variant_call (f, "echo-uchar", g_variant_new ("(y)", 200), "(byte 0xc8,)");
  assert_variant_call (f, "add", g_variant_new ("(ii)", 2, 3), "(5,)");
  assert_variant_call (f, "add", g_variant_new ("(ii)", G_MININT32, 0), "(-2147483648,)");
  /* n and q go as gint and guint */
  assert_variant_call (f, "add", g_variant_new ("(nn)", -7, 3), "(-4,)");
  assert_variant_call (f, "echo-uint", g_variant_new ("(q)", 65535), "(uint32 65535,)");
  assert_variant_call (f, "echo-uint", g_variant_new ("(u)", G_MAXUINT32), "(uint32 4294967295,)");
  assert_variant_call (f, "echo-int64", g_variant_new ("(x)", G_MININT64), "(int64 -9223372036854775808,)");
  assert_variant_call (f, "echo-uint64", g_variant_new ("(t)", G_MAXUINT64), "(uint64 18446744073709551615,)");
  assert_variant_call (f, "echo-double", g_variant_new ("(d)", 2.5), "(2.5,)");
  assert_variant_call (f, "echo-double", g_variant_new ("(d)", -1e300), "(-1e300,)");
  /* Declared types narrower than the GVariant's convert with range checks,
   * and come back as the nearest GVariant type */
  assert_variant_call (f, "echo-float", g_variant_new ("(d)", 0.25), "(0.25,)");
  assert_variant_call (f, "echo-char", g_variant_new ("(i)", -5), "(int16 -5,)");
  assert_variant_call (f, "scale", g_variant_new ("(di)", 1.5, 4), "(6.0,)");
  /* Strings, object paths, maybe strings */
  assert_variant_call (f, "echo-string", g_variant_new ("(s)", "héllo"), "('héllo',)");
  assert_variant_call (f, "echo-string", g_variant_new ("(o)", "/org/example"), "('/org/example',)");
  assert_variant_call (f, "echo-string", g_variant_new ("(ms)", "maybe"), "('maybe',)");
  assert_variant_call (f, "echo-string", g_variant_new ("(ms)", NULL), "()");
  assert_variant_call (f, "echo-string", g_variant_new ("(s)", ""), "('',)");
  assert_variant_call (f, "add", g_variant_new_parsed ("(@mi 2, @mn 3)"), "(5,)");
  assert_variant_call (f, "echo-strv", g_variant_new_parsed ("(@mas ['m'],)"), "(['m'],)");
  assert_variant_call (f, "echo-variant", g_variant_new_parsed ("(@mv nothing,)"), "()");
  /* String arrays, bytes */
  assert_variant_call (f, "echo-strv", g_variant_new ("(^as)", strv), "(['a', 'b'],)");
  assert_variant_call (f, "echo-strv", g_variant_new ("(^ao)", objv), "(['/a', '/b/c'],)");
  assert_variant_call (f, "echo-bytes", g_variant_new_parsed ("(@ay [0x61, 0x00, 0xff],)"),
                       "(@ay [0x61, 0x00, 0xff],)");
  assert_variant_call (f, "bytes-size", g_variant_new_parsed ("(@ay [1, 2, 3, 4, 5],)"), "(uint64 5,)");
  /* v passes its content as a GVariant, whatever its type; a composite
   * child passes as a GVariant itself; a returned GVariant comes in a v */
  assert_variant_call (f, "echo-variant", g_variant_new ("(v)", g_variant_new ("(is)", 1, "x")), "(<(1, 'x')>,)");
  assert_variant_call (f, "echo-variant", g_variant_new ("(v)", g_variant_new_int32 (5)), "(<5>,)");
  assert_variant_call (f, "echo-variant", g_variant_new_parsed ("(<@ay [1, 2]>,)"), "(<@ay [0x01, 0x02]>,)");
  g_variant_builder_init (&dict, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&dict, "{sv}", "k", g_variant_new_int32 (1));
  assert_variant_call (f, "echo-variant", g_variant_new ("(a{sv})", &dict), "(<{'k': <1>}>,)");
  assert_variant_call (f, "echo-variant", g_variant_new_parsed ("(@ai [1, 2, 3],)"), "(<[1, 2, 3]>,)");
  /* Enums and flags by nick */
  assert_variant_call (f, "echo-enum", g_variant_new ("(s)", "directory"), "('directory',)");
  assert_variant_call (f, "echo-flags", g_variant_new_parsed ("(['handles-open', 'is-service'],)"),
                       "(['is-service', 'handles-open'],)");
  /* Nothing: NULL parameters, an empty tuple */
  assert_variant_call (f, "ping", NULL, "()");
  assert_variant_call (f, "ping", g_variant_new ("()"), "()");
}

/* Parameters that are not floating are not consumed */
static void
test_variant_reference (Fixture *f, gconstpointer data)
{
  g_autoptr(GVariant) parameters = g_variant_ref_sink (g_variant_new ("(ii)", 20, 22));
  g_autoptr(GVariant) ret = NULL;
  g_autoptr(GError) error = NULL;
  gint sum = 0;

  ret = comlink_proxy_call_variant_sync (f->proxy, "add", parameters, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (ret, "(i)", &sum);
  g_assert_cmpint (sum, ==, 42);
  g_assert_false (g_variant_is_floating (parameters));
  g_assert_cmpstr (g_variant_get_type_string (parameters), ==, "(ii)");
}

static void
test_variant_async (Fixture *f, gconstpointer data)
{
  Outcome o;
  gint    sum = 0;

  outcome_init (&o, G_TYPE_NONE);
  comlink_proxy_call_variant_async (f->proxy, "add", g_variant_new ("(ii)", 40, 2), NULL, on_variant_done, &o);
  outcome_wait (&o);
  g_assert_no_error (o.error);
  g_assert_true (o.ok);
  g_assert_cmpstr (g_variant_get_type_string (o.variant), ==, "(i)");
  g_variant_get (o.variant, "(i)", &sum);
  g_assert_cmpint (sum, ==, 42);
  outcome_clear (&o);

  outcome_init (&o, G_TYPE_NONE);
  comlink_proxy_call_variant_async (f->proxy, "ping", NULL, NULL, on_variant_done, &o);
  outcome_wait (&o);
  g_assert_no_error (o.error);
  g_assert_cmpstr (g_variant_get_type_string (o.variant), ==, "()");
  outcome_clear (&o);
}

/* An object cannot be held in a GVariant: the call fails, and the proxy
 * of the returned object is released */
static void
test_variant_object_result (Fixture *f, gconstpointer data)
{
  ComlinkConnection *connection = comlink_worker_get_connection (f->worker);
  g_autoptr(GError) error = NULL;
  GVariant *ret;
  guint     n_finalized;

  /* The worker is up */
  assert_variant_call (f, "ping", NULL, "()");
  n_finalized = test_calc_get_n_finalized ();
  g_assert_cmpuint (comlink_connection_get_n_proxies (connection), ==, 1);

  ret = comlink_proxy_call_variant_sync (f->proxy, "make-child", g_variant_new ("(i)", 7), NULL, &error);
  g_assert_null (ret);
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH);
  g_assert_nonnull (strstr (error->message, "ComlinkProxy"));
  g_assert_cmpuint (comlink_connection_get_n_proxies (connection), ==, 1);
  /* In a thread worker, the child is seen to go */
  if (!is_subprocess (data))
    test_wait_until (test_calc_get_n_finalized () == n_finalized + 1);

  /* A maybe that holds nothing passes a NULL object; a NULL object
   * returned is nothing */
  assert_variant_call (f, "echo-object", g_variant_new ("(ms)", NULL), "()");
  assert_variant_call (f, "echo-object", g_variant_new_parsed ("(@mv nothing,)"), "()");
}

/* --- the varargs form --- */

static void
test_args_types (Fixture *f, gconstpointer data)
{
  const char *strv[] = { "x", "y", "z", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *s = NULL;
  g_auto(GStrv) strv_back = NULL;
  g_autoptr(GVariant) v = NULL;
  g_autoptr(GBytes) bytes = g_bytes_new_static ("abc\0def", 7);
  g_autoptr(GBytes) bytes_back = NULL;
  gboolean          b = FALSE;
  guchar            y = 0;
  gint              i = 0;
  guint             u = 0;
  gint64            x = 0;
  guint64           t = 0;
  gdouble           d = 0;
  gfloat            fl = 0;
  GFileType         file_type = G_FILE_TYPE_UNKNOWN;
  GApplicationFlags flags = 0;
  const char       *str = NULL;

  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "echo-boolean", NULL, &error,
                                                    G_TYPE_BOOLEAN, TRUE, G_TYPE_INVALID, G_TYPE_BOOLEAN, &b));
  g_assert_no_error (error);
  g_assert_true (b);

  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "echo-uchar", NULL, &error,
                                                    G_TYPE_UCHAR, 200, G_TYPE_INVALID, G_TYPE_UCHAR, &y));
  g_assert_no_error (error);
  g_assert_cmpuint (y, ==, 200);

  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "add", NULL, &error,
                                                    G_TYPE_INT, 2, G_TYPE_INT, 3, G_TYPE_INVALID, G_TYPE_INT, &i));
  g_assert_no_error (error);
  g_assert_cmpint (i, ==, 5);

  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "echo-uint", NULL, &error,
                                                    G_TYPE_UINT, G_MAXUINT, G_TYPE_INVALID, G_TYPE_UINT, &u));
  g_assert_no_error (error);
  g_assert_cmpuint (u, ==, G_MAXUINT);

  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "echo-int64", NULL, &error,
                                                    G_TYPE_INT64, G_MININT64, G_TYPE_INVALID, G_TYPE_INT64, &x));
  g_assert_no_error (error);
  g_assert_cmpint (x, ==, G_MININT64);

  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "echo-uint64", NULL, &error,
                                                    G_TYPE_UINT64, G_MAXUINT64, G_TYPE_INVALID, G_TYPE_UINT64, &t));
  g_assert_no_error (error);
  g_assert_cmpuint (t, ==, G_MAXUINT64);

  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "echo-double", NULL, &error,
                                                    G_TYPE_DOUBLE, -0.125, G_TYPE_INVALID, G_TYPE_DOUBLE, &d));
  g_assert_no_error (error);
  g_assert_cmpfloat (d, ==, -0.125);

  /* A float is passed as a double, as C promotes it */
  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "echo-float", NULL, &error,
                                                    G_TYPE_FLOAT, 0.5, G_TYPE_INVALID, G_TYPE_FLOAT, &fl));
  g_assert_no_error (error);
  g_assert_cmpfloat (fl, ==, 0.5f);

  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "echo-string", NULL, &error,
                                                    G_TYPE_STRING, "héllo", G_TYPE_INVALID, G_TYPE_STRING, &s));
  g_assert_no_error (error);
  g_assert_cmpstr (s, ==, "héllo");
  g_clear_pointer (&s, g_free);

  /* A NULL string arrives as NULL */
  s = g_strdup ("not stored");
  g_clear_pointer (&s, g_free);
  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "echo-string", NULL, &error,
                                                    G_TYPE_STRING, NULL, G_TYPE_INVALID, G_TYPE_STRING, &s));
  g_assert_no_error (error);
  g_assert_null (s);

  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "echo-strv", NULL, &error,
                                                    G_TYPE_STRV, strv, G_TYPE_INVALID, G_TYPE_STRV, &strv_back));
  g_assert_no_error (error);
  g_assert_true (g_strv_equal ((const char * const *) strv_back, strv));

  /* A floating GVariant is consumed */
  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "echo-variant", NULL, &error,
                                                    G_TYPE_VARIANT, g_variant_new ("(us)", 9, "nine"), G_TYPE_INVALID,
                                                    G_TYPE_VARIANT, &v));
  g_assert_no_error (error);
  g_assert_false (g_variant_is_floating (v));
  g_assert_cmpstr (g_variant_get_type_string (v), ==, "(us)");
  g_variant_get (v, "(u&s)", &u, &str);
  g_assert_cmpuint (u, ==, 9);
  g_assert_cmpstr (str, ==, "nine");

  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "echo-bytes", NULL, &error,
                                                    G_TYPE_BYTES, bytes, G_TYPE_INVALID, G_TYPE_BYTES, &bytes_back));
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (bytes, bytes_back));

  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "echo-enum", NULL, &error,
                                                    G_TYPE_FILE_TYPE, G_FILE_TYPE_DIRECTORY, G_TYPE_INVALID,
                                                    G_TYPE_FILE_TYPE, &file_type));
  g_assert_no_error (error);
  g_assert_cmpint (file_type, ==, G_FILE_TYPE_DIRECTORY);

  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "echo-flags", NULL, &error,
                                                    G_TYPE_APPLICATION_FLAGS, G_APPLICATION_IS_SERVICE | G_APPLICATION_HANDLES_OPEN,
                                                    G_TYPE_INVALID, G_TYPE_APPLICATION_FLAGS, &flags));
  g_assert_no_error (error);
  g_assert_cmpint (flags, ==, G_APPLICATION_IS_SERVICE | G_APPLICATION_HANDLES_OPEN);
}

/* A local object goes by reference and comes back as itself; a remote
 * object arrives as a proxy; both are finalized once dropped */
static void
test_args_objects (Fixture *f, gconstpointer data)
{
  ComlinkConnection *connection = comlink_worker_get_connection (f->worker);
  g_autoptr(GError) error = NULL;
  GObject      *local = g_object_new (G_TYPE_OBJECT, NULL);
  GObject      *back = NULL;
  ComlinkProxy *child = NULL;
  guint         n_finalized = test_calc_get_n_finalized ();
  gint          sum = 0;

  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "echo-object", NULL, &error,
                                                    G_TYPE_OBJECT, local, G_TYPE_INVALID, G_TYPE_OBJECT, &back));
  g_assert_no_error (error);
  g_assert_true (back == local);
  g_object_unref (back);
  /* The peer released its proxy of it: the last reference is ours */
  g_object_add_weak_pointer (local, (gpointer *) &local);
  g_object_unref (local);
  test_wait_until (local == NULL);

  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "make-child", NULL, &error,
                                                    G_TYPE_INT, 7, G_TYPE_INVALID, COMLINK_TYPE_PROXY, &child));
  g_assert_no_error (error);
  g_assert_true (COMLINK_IS_PROXY (child));
  g_assert_cmpuint (comlink_connection_get_n_proxies (connection), ==, 2);
  g_assert_true (comlink_proxy_call_with_args_sync (child, "add", NULL, &error,
                                                    G_TYPE_INT, 1, G_TYPE_INT, 2, G_TYPE_INVALID, G_TYPE_INT, &sum));
  g_assert_no_error (error);
  g_assert_cmpint (sum, ==, 3);
  g_object_add_weak_pointer (G_OBJECT (child), (gpointer *) &child);
  g_object_unref (child);
  g_assert_null (child);
  g_assert_cmpuint (comlink_connection_get_n_proxies (connection), ==, 1);
  if (!is_subprocess (data))
    test_wait_until (test_calc_get_n_finalized () == n_finalized + 1);

  /* A proxy is a GObject; a NULL object is NULL */
  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "make-child", NULL, &error,
                                                    G_TYPE_INT, 8, G_TYPE_INVALID, G_TYPE_OBJECT, &back));
  g_assert_no_error (error);
  g_assert_true (COMLINK_IS_PROXY (back));
  g_clear_object (&back);
  back = (GObject *) f->proxy;
  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "echo-object", NULL, &error,
                                                    G_TYPE_OBJECT, NULL, G_TYPE_INVALID, G_TYPE_OBJECT, &back));
  g_assert_no_error (error);
  g_assert_null (back);
}

/* The return value converts to the type asked for, or the call fails and
 * nothing is stored */
static void
test_args_return_conversion (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint        i = 77;
  gdouble     d = 0;
  const char *untouched = "untouched";
  char       *s = (char *) untouched;

  /* Numbers that fit convert */
  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "echo-int64", NULL, &error,
                                                    G_TYPE_INT64, G_GINT64_CONSTANT (-5), G_TYPE_INVALID, G_TYPE_INT, &i));
  g_assert_no_error (error);
  g_assert_cmpint (i, ==, -5);
  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "add", NULL, &error,
                                                    G_TYPE_INT, 1, G_TYPE_INT, 2, G_TYPE_INVALID, G_TYPE_DOUBLE, &d));
  g_assert_no_error (error);
  g_assert_cmpfloat (d, ==, 3.0);

  /* Those that do not fail */
  i = 77;
  g_assert_false (comlink_proxy_call_with_args_sync (f->proxy, "echo-int64", NULL, &error,
                                                     G_TYPE_INT64, G_MAXINT64, G_TYPE_INVALID, G_TYPE_INT, &i));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH);
  g_assert_cmpint (i, ==, 77);
  g_clear_error (&error);

  g_assert_false (comlink_proxy_call_with_args_sync (f->proxy, "echo-string", NULL, &error,
                                                     G_TYPE_STRING, "5", G_TYPE_INVALID, G_TYPE_INT, &i));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH);
  g_assert_cmpint (i, ==, 77);
  g_clear_error (&error);

  /* Nothing is no number, but a NULL of a pointer type */
  g_assert_false (comlink_proxy_call_with_args_sync (f->proxy, "ping", NULL, &error,
                                                     G_TYPE_INVALID, G_TYPE_INT, &i));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH);
  g_assert_cmpint (i, ==, 77);
  g_clear_error (&error);

  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "ping", NULL, &error,
                                                    G_TYPE_INVALID, G_TYPE_STRING, &s));
  g_assert_no_error (error);
  g_assert_null (s);

  /* G_TYPE_NONE ignores whatever the method returns */
  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "ping", NULL, &error,
                                                    G_TYPE_INVALID, G_TYPE_NONE));
  g_assert_no_error (error);
  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "echo-string", NULL, &error,
                                                    G_TYPE_STRING, "ignored", G_TYPE_INVALID, G_TYPE_NONE));
  g_assert_no_error (error);
}

static void
test_args_async (Fixture *f, gconstpointer data)
{
  Outcome o;

  outcome_init (&o, G_TYPE_INT);
  comlink_proxy_call_with_args_async (f->proxy, "add", NULL, on_args_done, &o,
                                      G_TYPE_INT, 40, G_TYPE_INT, 2, G_TYPE_INVALID);
  outcome_wait (&o);
  g_assert_no_error (o.error);
  g_assert_true (o.ok);
  g_assert_cmpint (o.sum, ==, 42);
  outcome_clear (&o);

  /* The other finishes of a call complete it as well */
  outcome_init (&o, G_TYPE_NONE);
  comlink_proxy_call_with_args_async (f->proxy, "repeat", NULL, on_value_done, &o,
                                      G_TYPE_STRING, "ab", G_TYPE_INT, 3, G_TYPE_INVALID);
  outcome_wait (&o);
  g_assert_no_error (o.error);
  g_assert_true (o.ok);
  g_assert_true (G_VALUE_HOLDS_STRING (&o.value));
  g_assert_cmpstr (g_value_get_string (&o.value), ==, "ababab");
  outcome_clear (&o);
}

/* --- the boolean finish, and nothing returned by each form --- */

static void
test_void (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  Outcome o;

  outcome_init (&o, G_TYPE_NONE);
  comlink_proxy_call_async (f->proxy, "ping", NULL, 0, NULL, on_value_done, &o);
  outcome_wait (&o);
  g_assert_no_error (o.error);
  g_assert_true (o.ok);
  g_assert_false (G_IS_VALUE (&o.value));
  outcome_clear (&o);

  outcome_init (&o, G_TYPE_NONE);
  comlink_proxy_call_with_args_async (f->proxy, "ping", NULL, on_args_done, &o, G_TYPE_INVALID);
  outcome_wait (&o);
  g_assert_no_error (o.error);
  g_assert_true (o.ok);
  outcome_clear (&o);

  outcome_init (&o, G_TYPE_NONE);
  comlink_proxy_call_variant_async (f->proxy, "emit-changed", g_variant_new ("(i)", 0), NULL, on_variant_done, &o);
  outcome_wait (&o);
  g_assert_no_error (o.error);
  g_assert_cmpstr (g_variant_get_type_string (o.variant), ==, "()");
  outcome_clear (&o);

  /* A value, and a value that is not wanted */
  outcome_init (&o, G_TYPE_NONE);
  comlink_proxy_call_full_async (f->proxy, "add", NULL, 0, 0, NULL, on_value_done, &o);
  outcome_wait (&o);
  g_assert_error (o.error, COMLINK_ERROR, COMLINK_ERROR_INVALID_ARGUMENTS);
  g_assert_false (o.ok);
  g_assert_false (G_IS_VALUE (&o.value));
  outcome_clear (&o);

  {
    GValue *args = test_args_new (1, G_TYPE_UINT64, G_MAXUINT64);
    GValue *ret;

    outcome_init (&o, G_TYPE_NONE);
    comlink_proxy_call_async (f->proxy, "echo-uint64", args, 1, NULL, on_value_done, &o);
    outcome_wait (&o);
    g_assert_no_error (o.error);
    g_assert_true (o.ok);
    g_assert_true (G_VALUE_HOLDS_UINT64 (&o.value));
    g_assert_cmpuint (g_value_get_uint64 (&o.value), ==, G_MAXUINT64);
    outcome_clear (&o);

    /* The old finish still returns NULL for nothing */
    ret = comlink_proxy_call_sync (f->proxy, "ping", NULL, 0, NULL, &error);
    g_assert_no_error (error);
    g_assert_null (ret);
    test_args_free (args, 1);
  }
}

static void
on_value_ignored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Outcome *o = user_data;

  outcome_start (o, result);
  o->ok = comlink_proxy_call_finish_value (COMLINK_PROXY (source), result, NULL, &o->error);
}

/* The value may be ignored; a returned proxy is released then */
static void
test_value_ignored (Fixture *f, gconstpointer data)
{
  ComlinkConnection *connection = comlink_worker_get_connection (f->worker);
  GValue            *args = test_args_new (1, G_TYPE_INT, 3);
  Outcome            o;

  outcome_init (&o, G_TYPE_NONE);
  comlink_proxy_call_async (f->proxy, "make-child", args, 1, NULL, on_value_ignored, &o);
  outcome_wait (&o);
  g_assert_no_error (o.error);
  g_assert_true (o.ok);
  g_assert_cmpuint (comlink_connection_get_n_proxies (connection), ==, 1);
  outcome_clear (&o);
  test_args_free (args, 1);
}

/* --- failures --- */

static void
assert_variant_fails (Fixture *f, const char *method, GVariant *parameters, GQuark domain, gint code)
{
  g_autoptr(GError) error = NULL;
  GVariant *ret = comlink_proxy_call_variant_sync (f->proxy, method, parameters, NULL, &error);

  g_assert_null (ret);
  g_assert_error (error, domain, code);
}

static void
test_errors (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint    sum = 77;
  Outcome o;

  /* A method that does not exist */
  assert_variant_fails (f, "no-such-method", NULL, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_METHOD);
  g_assert_false (comlink_proxy_call_with_args_sync (f->proxy, "no-such-method", NULL, &error,
                                                     G_TYPE_INT, 1, G_TYPE_INVALID, G_TYPE_INT, &sum));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_METHOD);
  g_assert_cmpint (sum, ==, 77);
  g_clear_error (&error);
  outcome_init (&o, G_TYPE_NONE);
  comlink_proxy_call_async (f->proxy, "no-such-method", NULL, 0, NULL, on_value_done, &o);
  outcome_wait (&o);
  g_assert_false (o.ok);
  g_assert_error (o.error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_METHOD);
  g_assert_false (G_IS_VALUE (&o.value));
  outcome_clear (&o);

  /* Arguments of the wrong type */
  assert_variant_fails (f, "add", g_variant_new ("(si)", "2", 3), COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH);
  assert_variant_fails (f, "echo-uchar", g_variant_new ("(i)", 300), COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH);
  assert_variant_fails (f, "echo-string", g_variant_new ("(i)", 1), COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH);
  g_assert_false (comlink_proxy_call_with_args_sync (f->proxy, "add", NULL, &error,
                                                     G_TYPE_STRING, "2", G_TYPE_INT, 3, G_TYPE_INVALID, G_TYPE_INT, &sum));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH);
  g_assert_cmpint (sum, ==, 77);
  g_clear_error (&error);

  /* The wrong number of arguments */
  assert_variant_fails (f, "add", g_variant_new ("(i)", 2), COMLINK_ERROR, COMLINK_ERROR_INVALID_ARGUMENTS);
  assert_variant_fails (f, "add", NULL, COMLINK_ERROR, COMLINK_ERROR_INVALID_ARGUMENTS);
  g_assert_false (comlink_proxy_call_with_args_sync (f->proxy, "add", NULL, &error,
                                                     G_TYPE_INT, 1, G_TYPE_INT, 2, G_TYPE_INT, 3, G_TYPE_INVALID,
                                                     G_TYPE_INT, &sum));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_INVALID_ARGUMENTS);
  g_assert_cmpint (sum, ==, 77);
  g_clear_error (&error);

  /* An error of the method keeps its domain and code */
  assert_variant_fails (f, "fail", g_variant_new ("(i)", G_IO_ERROR_NOT_FOUND), G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_false (comlink_proxy_call_with_args_sync (f->proxy, "fail", NULL, &error,
                                                     G_TYPE_INT, G_IO_ERROR_PERMISSION_DENIED, G_TYPE_INVALID, G_TYPE_NONE));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  outcome_init (&o, G_TYPE_NONE);
  comlink_proxy_call_with_args_async (f->proxy, "fail", NULL, on_args_done, &o,
                                      G_TYPE_INT, G_IO_ERROR_EXISTS, G_TYPE_INVALID);
  outcome_wait (&o);
  g_assert_false (o.ok);
  g_assert_error (o.error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  outcome_clear (&o);

  /* Cancelled before it was sent */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();

    g_cancellable_cancel (cancellable);
    g_assert_null (comlink_proxy_call_variant_sync (f->proxy, "ping", NULL, cancellable, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
    g_assert_false (comlink_proxy_call_with_args_sync (f->proxy, "ping", cancellable, &error,
                                                       G_TYPE_INVALID, G_TYPE_NONE));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
  }
}

/* Terminate with a call of each form in flight: each fails once with
 * TERMINATED, stores nothing, and so do later calls, at once */
static void
test_terminate_mid_call (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  Outcome o[3];
  gint    sum = 77;

  g_assert_true (comlink_proxy_call_with_args_sync (f->proxy, "ping", NULL, &error, G_TYPE_INVALID, G_TYPE_NONE));
  g_assert_no_error (error);

  outcome_init (&o[0], G_TYPE_NONE);
  outcome_init (&o[1], G_TYPE_INT);
  outcome_init (&o[2], G_TYPE_NONE);
  comlink_proxy_call_variant_async (f->proxy, "hold", NULL, NULL, on_variant_done, &o[0]);
  comlink_proxy_call_with_args_async (f->proxy, "hold", NULL, on_args_done, &o[1], G_TYPE_INVALID);
  comlink_proxy_call_async (f->proxy, "hold", NULL, 0, NULL, on_value_done, &o[2]);
  g_usleep (20000);
  test_iterate_pending ();
  for (guint i = 0; i < G_N_ELEMENTS (o); i++)
    g_assert_cmpuint (o[i].n_calls, ==, 0);

  comlink_worker_terminate (f->worker);

  for (guint i = 0; i < G_N_ELEMENTS (o); i++)
    {
      outcome_wait (&o[i]);
      g_assert_false (o[i].ok);
      g_assert_error (o[i].error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED);
    }
  g_assert_null (o[0].variant);
  g_assert_cmpint (o[1].sum, ==, 77);
  g_assert_false (G_IS_VALUE (&o[2].value));
  for (guint i = 0; i < G_N_ELEMENTS (o); i++)
    outcome_clear (&o[i]);

  /* Later calls fail at once */
  assert_variant_fails (f, "ping", NULL, COMLINK_ERROR, COMLINK_ERROR_TERMINATED);
  g_assert_false (comlink_proxy_call_with_args_sync (f->proxy, "add", NULL, &error,
                                                     G_TYPE_INT, 1, G_TYPE_INT, 2, G_TYPE_INVALID, G_TYPE_INT, &sum));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED);
  g_assert_cmpint (sum, ==, 77);
  g_clear_error (&error);
  outcome_init (&o[0], G_TYPE_NONE);
  comlink_proxy_call_async (f->proxy, "ping", NULL, 0, NULL, on_value_done, &o[0]);
  outcome_wait (&o[0]);
  g_assert_error (o[0].error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED);
  outcome_clear (&o[0]);
}

#define ADD_TESTS(kind, data)                                                                                       \
  G_STMT_START                                                                                                      \
  {                                                                                                                 \
    g_test_add ("/Comlink/CallForms/" kind "/variant-types", Fixture, data, fixture_setup,                          \
                test_variant_types, fixture_teardown);                                                              \
    g_test_add ("/Comlink/CallForms/" kind "/variant-reference", Fixture, data, fixture_setup,                      \
                test_variant_reference, fixture_teardown);                                                          \
    g_test_add ("/Comlink/CallForms/" kind "/variant-async", Fixture, data, fixture_setup,                          \
                test_variant_async, fixture_teardown);                                                              \
    g_test_add ("/Comlink/CallForms/" kind "/variant-object-result", Fixture, data, fixture_setup,                  \
                test_variant_object_result, fixture_teardown);                                                      \
    g_test_add ("/Comlink/CallForms/" kind "/args-types", Fixture, data, fixture_setup,                             \
                test_args_types, fixture_teardown);                                                                 \
    g_test_add ("/Comlink/CallForms/" kind "/args-objects", Fixture, data, fixture_setup,                           \
                test_args_objects, fixture_teardown);                                                               \
    g_test_add ("/Comlink/CallForms/" kind "/args-return-conversion", Fixture, data, fixture_setup,                 \
                test_args_return_conversion, fixture_teardown);                                                     \
    g_test_add ("/Comlink/CallForms/" kind "/args-async", Fixture, data, fixture_setup,                             \
                test_args_async, fixture_teardown);                                                                 \
    g_test_add ("/Comlink/CallForms/" kind "/void", Fixture, data, fixture_setup, test_void, fixture_teardown);     \
    g_test_add ("/Comlink/CallForms/" kind "/value-ignored", Fixture, data, fixture_setup,                          \
                test_value_ignored, fixture_teardown);                                                              \
    g_test_add ("/Comlink/CallForms/" kind "/errors", Fixture, data, fixture_setup, test_errors, fixture_teardown); \
    g_test_add ("/Comlink/CallForms/" kind "/terminate-mid-call", Fixture, data, fixture_setup,                     \
                test_terminate_mid_call, fixture_teardown);                                                         \
  }                                                                                                                 \
  G_STMT_END

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* GTest runs a path with "/subprocess" in it only when asked to */
  ADD_TESTS ("Thread", "thread");
  ADD_TESTS ("Subprocess", "subprocess");

  return g_test_run ();
}
