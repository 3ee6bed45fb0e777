/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* References inside arrays and objects: ComlinkContainer on its own, then
 * across a thread worker and a subprocess worker: every kind of item
 * there and back, objects by reference both ways and released with the
 * container (also through propagate_in_container), file descriptors, the GVariant forms converted, a failing
 * item that leaves nothing exported, and the nesting bound. What a hostile
 * peer may send is in test-container-wire.c. */

#include <gio/gunixfdlist.h>

#include "test-objects.h"

/* The most levels of nesting of a value of a message (doc/protocol.md) */
#define COMLINK_TEST_MAX_VALUE_DEPTH 120

/* How deep containers may nest, as ComlinkContainer documents it */
#define COMLINK_CONTAINER_MAX_DEPTH 16

/* --- ComlinkContainer itself --- */

static void
test_api_array (void)
{
  g_autoptr(ComlinkContainer) array = comlink_container_new_array ();
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(TestCalc) calc = test_calc_new ();
  TestWatch watch;

  g_assert_false (comlink_container_is_dict (array));
  g_assert_cmpuint (comlink_container_get_n_items (array), ==, 0);

  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, 7);
  comlink_container_append (array, &value);
  /* The container keeps a copy */
  g_value_set_int (&value, 8);
  comlink_container_append (array, NULL);
  g_value_unset (&value);
  g_value_init (&value, TEST_TYPE_CALC);
  g_value_set_object (&value, calc);
  comlink_container_append (array, &value);
  g_value_unset (&value);
  g_value_init (&value, G_TYPE_INT64);
  g_value_set_int64 (&value, G_MAXINT64);
  comlink_container_append (array, &value);

  g_assert_cmpuint (comlink_container_get_n_items (array), ==, 4);
  g_assert_cmpint (g_value_get_int (comlink_container_get_item (array, 0)), ==, 7);
  g_assert_cmpuint (comlink_container_get_item_type (array, 0), ==, G_TYPE_INT);
  g_assert_null (comlink_container_get_key (array, 0));
  g_assert_false (G_IS_VALUE (comlink_container_get_item (array, 1)));
  g_assert_cmpuint (comlink_container_get_item_type (array, 1), ==, G_TYPE_INVALID);
  g_assert_true (g_value_get_object (comlink_container_get_item (array, 2)) == (gpointer) calc);
  g_assert_null (comlink_container_dup_item_variant (array, 0));
  {
    g_autoptr(GVariant) v = comlink_container_dup_item_variant (array, 3);
    g_assert_cmpint (g_variant_get_int64 (v), ==, G_MAXINT64);
  }

  /* Items are released with the container */
  test_watch (&watch, calc);
  g_clear_object (&calc);
  g_assert_false (test_watch_done (&watch));
  g_clear_pointer (&array, comlink_container_unref);
  g_assert_true (test_watch_done (&watch));
}

static void
test_api_dict (void)
{
  g_autoptr(ComlinkContainer) dict = comlink_container_new_dict ();
  g_autoptr(ComlinkContainer) held = NULL;
  g_auto(GValue) value = G_VALUE_INIT;

  g_assert_true (comlink_container_is_dict (dict));
  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, "one");
  comlink_container_insert (dict, "b", &value);
  g_value_set_string (&value, "two");
  comlink_container_insert (dict, "a", &value);
  /* A key that is there keeps its place and gets the new value */
  g_value_set_string (&value, "three");
  comlink_container_insert (dict, "b", &value);

  g_assert_cmpuint (comlink_container_get_n_items (dict), ==, 2);
  g_assert_cmpstr (comlink_container_get_key (dict, 0), ==, "b");
  g_assert_cmpstr (comlink_container_get_key (dict, 1), ==, "a");
  g_assert_cmpstr (g_value_get_string (comlink_container_get_item (dict, 0)), ==, "three");
  g_assert_cmpstr (g_value_get_string (comlink_container_lookup (dict, "a")), ==, "two");
  g_assert_null (comlink_container_lookup (dict, "c"));

  /* A boxed type with references */
  held = comlink_container_ref (dict);
  g_assert_true (held == dict);
  g_value_unset (&value);
  g_value_init (&value, COMLINK_TYPE_CONTAINER);
  g_value_set_boxed (&value, dict);
  g_assert_true (g_value_get_boxed (&value) == dict);
}

/* --- across workers --- */

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
  test_wait_until (test_watch_done (&f->worker_watch) && test_watch_done (&f->proxy_watch));
  test_wait_until (test_calc_get_n_alive () == 0);
  if (subprocess != NULL)
    test_wait_until (g_subprocess_get_identifier (subprocess) == NULL);
  test_iterate_pending ();
}

static void
append_int (ComlinkContainer *container, const char *key, int v)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, v);
  if (key != NULL)
    comlink_container_insert (container, key, &value);
  else
    comlink_container_append (container, &value);
}

static void
append_object (ComlinkContainer *container, const char *key, gpointer object)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_OBJECT);
  g_value_set_object (&value, object);
  if (key != NULL)
    comlink_container_insert (container, key, &value);
  else
    comlink_container_append (container, &value);
}

static void
append_container (ComlinkContainer *container, const char *key, ComlinkContainer *item)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, COMLINK_TYPE_CONTAINER);
  g_value_set_boxed (&value, item);
  if (key != NULL)
    comlink_container_insert (container, key, &value);
  else
    comlink_container_append (container, &value);
}

/* Calls @method with the container as its one argument */
static GValue *
call_with (Fixture *f, const char *method, ComlinkContainer *container, GError **error)
{
  g_auto(GValue) arg = G_VALUE_INIT;

  g_value_init (&arg, COMLINK_TYPE_CONTAINER);
  g_value_set_boxed (&arg, container);
  return comlink_proxy_call_sync (f->proxy, method, &arg, 1, NULL, error);
}

static char *
describe_remotely (Fixture *f, ComlinkContainer *container, GError **error)
{
  g_autofree GValue *ret = call_with (f, "describe-container", container, error);
  char              *text;

  if (ret == NULL)
    return NULL;
  text = g_value_dup_string (ret);
  g_value_unset (ret);
  return text;
}

/* Every kind of item arrives in the type it has as an argument */
static void
test_items (Fixture *f, gconstpointer data)
{
  g_autoptr(ComlinkContainer) array = comlink_container_new_array ();
  g_autoptr(ComlinkContainer) dict = comlink_container_new_dict ();
  g_autoptr(TestCalc) calc = test_calc_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_auto(GValue) value = G_VALUE_INIT;

  append_int (array, NULL, 1);
  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, "a");
  comlink_container_append (array, &value);
  comlink_container_append (array, NULL);
  g_value_unset (&value);
  g_value_init (&value, G_TYPE_POINTER);
  comlink_container_append (array, &value);
  g_value_unset (&value);
  g_value_init (&value, G_TYPE_VARIANT);
  g_value_set_variant (&value, g_variant_new_parsed ("(1, 'x')"));
  comlink_container_append (array, &value);
  append_int (dict, "k", 2);
  append_object (dict, "obj", calc);
  append_container (array, NULL, dict);

  text = describe_remotely (f, array, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "[int 1, string a, void, null, variant (1, 'x'), {k: int 2, obj: ComlinkProxy}]");
}

/* Objects come back as themselves, proxies of the peer's objects as
 * themselves, inside containers */
static void
test_echo_references (Fixture *f, gconstpointer data)
{
  g_autoptr(ComlinkContainer) array = comlink_container_new_array ();
  g_autoptr(ComlinkContainer) inner = comlink_container_new_array ();
  g_autoptr(TestCalc) one = test_calc_new ();
  g_autoptr(TestCalc) two = test_calc_new ();
  g_autoptr(GError) error = NULL;
  g_autofree GValue *ret = NULL;
  ComlinkContainer  *back;
  ComlinkContainer  *back_inner;

  append_object (array, NULL, one);
  append_object (inner, NULL, two);
  append_container (array, NULL, inner);
  append_object (array, NULL, f->proxy);

  ret = call_with (f, "echo-container", array, &error);
  g_assert_no_error (error);
  g_assert_true (G_VALUE_HOLDS (ret, COMLINK_TYPE_CONTAINER));
  back = g_value_get_boxed (ret);
  g_assert_cmpuint (comlink_container_get_n_items (back), ==, 3);
  g_assert_true (g_value_get_object (comlink_container_get_item (back, 0)) == (gpointer) one);
  back_inner = g_value_get_boxed (comlink_container_get_item (back, 1));
  g_assert_true (g_value_get_object (comlink_container_get_item (back_inner, 0)) == (gpointer) two);
  /* The worker's own root, sent to it and back, is a proxy of it again */
  g_assert_true (COMLINK_IS_PROXY (g_value_get_object (comlink_container_get_item (back, 2))));
  g_value_unset (ret);
}

/* The worker releases what it received in a container when the container
 * goes: the objects it held by reference are finalized here */
static void
test_sent_released (Fixture *f, gconstpointer data)
{
  g_autoptr(ComlinkContainer) dict = comlink_container_new_dict ();
  g_autoptr(ComlinkContainer) list = comlink_container_new_array ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  TestCalc        *one = test_calc_new ();
  TestCalc        *two = test_calc_new ();
  TestWatch        watch_one, watch_two;

  test_watch (&watch_one, one);
  test_watch (&watch_two, two);
  append_object (dict, "one", one);
  append_object (list, NULL, two);
  append_container (dict, "list", list);
  g_object_unref (one);
  g_object_unref (two);

  text = describe_remotely (f, dict, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "{one: ComlinkProxy, list: [ComlinkProxy]}");

  /* Only the container here holds them now */
  g_clear_pointer (&dict, comlink_container_unref);
  g_clear_pointer (&list, comlink_container_unref);
  test_wait_until (test_watch_done (&watch_one) && test_watch_done (&watch_two));
}

/* The worker calls each object it received in an array */
static void
test_call_received (Fixture *f, gconstpointer data)
{
  g_autoptr(ComlinkContainer) array = comlink_container_new_array ();
  g_autoptr(TestCalc) one = test_calc_new ();
  g_autoptr(TestCalc) two = test_calc_new ();
  g_autoptr(GError) error = NULL;
  g_autofree GValue *ret = NULL;

  append_object (array, NULL, one);
  append_object (array, NULL, two);
  ret = call_with (f, "add-all", array, &error);
  g_assert_no_error (error);
  /* (0 + 1) + (1 + 1) */
  g_assert_cmpint (g_value_get_int (ret), ==, 3);
}

/* Objects made by the worker arrive as proxies inside containers, work,
 * and are released when the container goes */
static void
test_received_proxies (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree GValue *ret = NULL;
  g_autofree GValue *value = NULL;
  gint               sum = 0;
  ComlinkContainer  *dict;
  ComlinkContainer  *more;
  ComlinkProxy      *child;
  ComlinkProxy      *other;
  TestWatch          child_watch, other_watch;
  GValue             arg = G_VALUE_INIT;

  g_value_init (&arg, G_TYPE_INT);
  g_value_set_int (&arg, 10);
  ret = comlink_proxy_call_sync (f->proxy, "make-children", &arg, 1, NULL, &error);
  g_assert_no_error (error);
  dict = g_value_get_boxed (ret);
  g_assert_true (comlink_container_is_dict (dict));
  child = g_value_get_object (comlink_container_lookup (dict, "child"));
  more = g_value_get_boxed (comlink_container_lookup (dict, "more"));
  other = g_value_get_object (comlink_container_get_item (more, 0));
  g_assert_true (COMLINK_IS_PROXY (child));
  g_assert_true (COMLINK_IS_PROXY (other));

  g_assert_true (comlink_proxy_call_with_args_sync (child, "add", NULL, &error, G_TYPE_INT, 5, G_TYPE_INT, 2,
                                                    G_TYPE_INVALID, G_TYPE_INT, &sum));
  g_assert_no_error (error);
  g_assert_cmpint (sum, ==, 7);
  value = comlink_proxy_get_sync (other, "value", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (value), ==, 11);
  g_value_unset (value);
  g_free (value);
  value = comlink_proxy_get_sync (child, "value", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_int (value), ==, 10);
  g_value_unset (value);

  test_watch (&child_watch, child);
  test_watch (&other_watch, other);
  if (!is_subprocess (data))
    g_assert_cmpuint (test_calc_get_n_alive (), ==, 3);
  g_value_unset (ret);
  test_wait_until (test_watch_done (&child_watch) && test_watch_done (&other_watch));
  /* The worker's objects go with their proxies */
  if (!is_subprocess (data))
    test_wait_until (test_calc_get_n_alive () == 1);
}

static void
on_call_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* How bindings complete a call: the result as the only item of an array,
 * a container with the proxies it brought, which go with the array */
static void
test_propagate_in_container (Fixture *f, gconstpointer data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(ComlinkContainer) array = NULL;
  g_autoptr(GError) error = NULL;
  ComlinkContainer *dict;
  TestWatch         child_watch;
  GValue            arg = G_VALUE_INIT;

  g_value_init (&arg, G_TYPE_INT);
  g_value_set_int (&arg, 3);
  comlink_proxy_call_async (f->proxy, "make-children", &arg, 1, NULL, on_call_done, &result);
  test_wait_until (result != NULL);
  array = comlink_proxy_propagate_in_container (f->proxy, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (comlink_container_get_n_items (array), ==, 1);
  g_assert_cmpuint (comlink_container_get_item_type (array, 0), ==, COMLINK_TYPE_CONTAINER);
  dict = g_value_get_boxed (comlink_container_get_item (array, 0));
  g_assert_true (COMLINK_IS_PROXY (g_value_get_object (comlink_container_lookup (dict, "child"))));
  test_watch (&child_watch, g_value_get_object (comlink_container_lookup (dict, "child")));
  g_clear_pointer (&array, comlink_container_unref);
  test_wait_until (test_watch_done (&child_watch));
  if (!is_subprocess (data))
    test_wait_until (test_calc_get_n_alive () == 1);

  /* A failure is its error, and no array */
  g_clear_object (&result);
  comlink_proxy_call_async (f->proxy, "no-such-method", NULL, 0, NULL, on_call_done, &result);
  test_wait_until (result != NULL);
  g_assert_null (comlink_proxy_propagate_in_container (f->proxy, result, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_METHOD);
}

/* File descriptors travel inside containers */
static void
test_fds (Fixture *f, gconstpointer data)
{
  g_autoptr(ComlinkContainer) array = comlink_container_new_array ();
  g_autoptr(ComlinkContainer) inner = comlink_container_new_dict ();
  g_autoptr(GUnixFDList) first = g_unix_fd_list_new ();
  g_autoptr(GUnixFDList) second = g_unix_fd_list_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  int              fd;

  fd = test_pipe_with ("hello");
  g_unix_fd_list_append (first, fd, &error);
  close (fd);
  fd = test_pipe_with ("world");
  g_unix_fd_list_append (second, fd, &error);
  close (fd);
  g_assert_no_error (error);
  append_object (array, NULL, first);
  append_object (inner, "fd", second);
  append_container (array, NULL, inner);

  text = describe_remotely (f, array, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "[fds hello, {fd: fds world}]");
}

/* A method that takes a container takes the GVariant form of an array or
 * object too; the GVariant call form gets a container result as one */
static void
test_variant_forms (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) result = NULL;
  g_autofree GValue *ret = NULL;
  g_autofree char   *printed = NULL;
  g_auto(GValue) arg = G_VALUE_INIT;

  g_value_init (&arg, G_TYPE_VARIANT);
  g_value_set_variant (&arg, g_variant_new_parsed ("{'a': <1>, 'b': <['x']>, 'c': <@mv nothing>, 'd': <@m() nothing>}"));
  ret = comlink_proxy_call_sync (f->proxy, "describe-container", &arg, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_value_get_string (ret), ==, "{a: int 1, b: [string x], c: null, d: void}");
  g_value_unset (ret);

  result = comlink_proxy_call_variant_sync (f->proxy, "echo-container",
                                            g_variant_new_parsed ("([<1>, <'a'>, <{'k': <true>}>],)"),
                                            NULL, &error);
  g_assert_no_error (error);
  printed = g_variant_print (result, FALSE);
  g_assert_cmpstr (printed, ==, "([<1>, <'a'>, <{'k': <true>}>],)");

  /* A dictionary with keys that are not strings is no container */
  g_value_set_variant (&arg, g_variant_new_parsed ("{1: 2}"));
  g_assert_null (comlink_proxy_call_sync (f->proxy, "describe-container", &arg, 1, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH);
}

/* An item that cannot be sent fails the call before anything goes; what
 * was exported for the items before it is taken back */
static void
test_item_fails (Fixture *f, gconstpointer data)
{
  g_autoptr(ComlinkContainer) dict = comlink_container_new_dict ();
  g_autoptr(ComlinkContainer) list = comlink_container_new_array ();
  g_autoptr(GError) error = NULL;
  g_auto(GValue) bad = G_VALUE_INIT;
  TestCalc *calc = test_calc_new ();
  TestWatch watch;
  int       anything = 0;

  test_watch (&watch, calc);
  append_object (dict, "calc", calc);
  g_object_unref (calc);
  g_value_init (&bad, G_TYPE_POINTER);
  g_value_set_pointer (&bad, &anything);
  comlink_container_append (list, &bad);
  append_container (dict, "list", list);

  g_assert_null (describe_remotely (f, dict, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE);
  g_assert_nonnull (strstr (error->message, "Item “list”: Item 0: "));

  g_clear_pointer (&dict, comlink_container_unref);
  g_assert_true (test_watch_done (&watch));

  /* The connection goes on */
  {
    g_autoptr(ComlinkContainer) ok = comlink_container_new_array ();
    g_autofree char *text = NULL;

    g_clear_error (&error);
    append_int (ok, NULL, 3);
    text = describe_remotely (f, ok, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (text, ==, "[int 3]");
  }
}

/* Containers nested @depth deep, dictionaries and arrays in turn (a
 * dictionary costs GVariant the most nesting), with an int inside */
static ComlinkContainer *
nested (guint depth, GString *expected)
{
  ComlinkContainer *top = comlink_container_new_dict ();

  append_int (top, "k", 1);
  g_string_assign (expected, "{k: int 1}");
  for (guint i = 1; i < depth; i++)
    {
      gboolean          is_dict = i % 2 == 0;
      ComlinkContainer *outer = is_dict ? comlink_container_new_dict () : comlink_container_new_array ();

      append_container (outer, is_dict ? "k" : NULL, top);
      comlink_container_unref (top);
      top = outer;
      g_string_prepend (expected, is_dict ? "{k: " : "[");
      g_string_append (expected, is_dict ? "}" : "]");
    }
  return top;
}

static void
test_depth (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autoptr(GString) ignored = g_string_new (NULL);
  g_autoptr(ComlinkContainer) deepest = nested (COMLINK_CONTAINER_MAX_DEPTH, expected);
  g_autoptr(ComlinkContainer) too_deep = nested (COMLINK_CONTAINER_MAX_DEPTH + 1, ignored);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  text = describe_remotely (f, deepest, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, expected->str);

  g_assert_null (describe_remotely (f, too_deep, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE);
}

/* A GVariant @depth levels deep as GLib counts them, of one of three
 * shapes: empty arrays of arrays, tuples in tuples around an int (no
 * variant in the type), or variants in variants around an int */
static GVariant *
deep_variant (guint depth, guint shape)
{
  GVariant *value;

  if (shape == 0)
    {
      g_autofree char *type = g_strnfill (depth - 1, 'a');
      g_autofree char *full = g_strconcat (type, "i", NULL);

      value = g_variant_new_array (g_variant_type_element (G_VARIANT_TYPE (full)), NULL, 0);
    }
  else
    {
      value = g_variant_new_int32 (7);
      for (guint i = 1; i < depth; i++)
        value = shape == 1 ? g_variant_new_tuple (&value, 1) : g_variant_new_variant (value);
    }
  return g_variant_ref_sink (value);
}

/* A GVariant goes as deep as a frame allows: the sender refuses a deeper
 * one with NOT_TRANSFERABLE, before anything is sent, and the connection
 * goes on */
static void
test_variant_depth (Fixture *f, gconstpointer data)
{
  for (guint shape = 0; shape < 3; shape++)
    {
      /* VARIANT wraps the value in two levels, (yv) and v */
      g_autoptr(GVariant) deepest = deep_variant (COMLINK_TEST_MAX_VALUE_DEPTH - 2, shape);
      g_autoptr(GVariant) too_deep = deep_variant (COMLINK_TEST_MAX_VALUE_DEPTH - 1, shape);
      g_auto(GValue) arg = G_VALUE_INIT;
      g_autoptr(GError) error = NULL;
      GValue *ret;

      g_value_init (&arg, G_TYPE_VARIANT);
      g_value_set_variant (&arg, deepest);
      ret = comlink_proxy_call_sync (f->proxy, "echo-variant", &arg, 1, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (g_variant_equal (g_value_get_variant (ret), deepest));
      g_boxed_free (G_TYPE_VALUE, ret);

      g_value_set_variant (&arg, too_deep);
      g_assert_null (comlink_proxy_call_sync (f->proxy, "echo-variant", &arg, 1, NULL, &error));
      g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE);
      g_clear_error (&error);

      g_assert_cmpint (test_proxy_add (f->proxy, 2, 3), ==, 5);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Comlink/Container/array", test_api_array);
  g_test_add_func ("/Comlink/Container/dict", test_api_dict);

#define ADD(kind, data)                                                                                  \
  G_STMT_START                                                                                           \
  {                                                                                                      \
    g_test_add ("/Comlink/Container/" kind "/items", Fixture, data, fixture_setup, test_items,           \
                fixture_teardown);                                                                       \
    g_test_add ("/Comlink/Container/" kind "/echo-references", Fixture, data, fixture_setup,             \
                test_echo_references, fixture_teardown);                                                 \
    g_test_add ("/Comlink/Container/" kind "/sent-released", Fixture, data, fixture_setup,               \
                test_sent_released, fixture_teardown);                                                   \
    g_test_add ("/Comlink/Container/" kind "/call-received", Fixture, data, fixture_setup,               \
                test_call_received, fixture_teardown);                                                   \
    g_test_add ("/Comlink/Container/" kind "/received-proxies", Fixture, data, fixture_setup,            \
                test_received_proxies, fixture_teardown);                                                \
    g_test_add ("/Comlink/Container/" kind "/propagate-in-container", Fixture, data, fixture_setup,      \
                test_propagate_in_container, fixture_teardown);                                          \
    g_test_add ("/Comlink/Container/" kind "/fds", Fixture, data, fixture_setup, test_fds,               \
                fixture_teardown);                                                                       \
    g_test_add ("/Comlink/Container/" kind "/variant-forms", Fixture, data, fixture_setup,               \
                test_variant_forms, fixture_teardown);                                                   \
    g_test_add ("/Comlink/Container/" kind "/item-fails", Fixture, data, fixture_setup, test_item_fails, \
                fixture_teardown);                                                                       \
    g_test_add ("/Comlink/Container/" kind "/depth", Fixture, data, fixture_setup, test_depth,           \
                fixture_teardown);                                                                       \
    g_test_add ("/Comlink/Container/" kind "/variant-depth", Fixture, data, fixture_setup,               \
                test_variant_depth, fixture_teardown);                                                   \
  }                                                                                                      \
  G_STMT_END

  /* GTest runs a path with "/subprocess" in it only when asked to */
  ADD ("Thread", "thread");
  ADD ("Subprocess", "subprocess");

  return g_test_run ();
}
