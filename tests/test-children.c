/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Subprocess workers written in other languages, through the typelib: a
 * Python child (tests/children/worker.py) and a GJS one
 * (tests/children/worker.js). Each answers calls, gets and sets, reports a
 * missing method, fails the call it holds when it is terminated and is
 * reaped, and fails every call in flight when it is killed. The children
 * run with criticals fatal and must print nothing.
 *
 * The test environment names the folders: COMLINK_TEST_CHILDREN_DIR (the
 * scripts), COMLINK_TEST_TYPELIB_DIR (Comlink-1.typelib) and
 * COMLINK_TEST_LIB_DIR (the library the typelib loads). */

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>

#include "test-objects.h"

typedef struct
{
  const char *name;
  const char *interpreter;
  const char *option;
  const char *script;
  const char *type_name;
} Language;

static const Language languages[] = {
  { "python", "/usr/bin/python3", NULL, "worker.py", "PyCalc" },
  { "gjs", "/usr/bin/gjs", "-m", "worker.js", "GjsCalc" },
};

typedef struct
{
  const Language *language;
  ComlinkWorker  *worker;
  GSubprocess    *subprocess;
  char           *log_path;
} Child;

static char *log_dir;

static const char *
test_env (const char *name)
{
  const char *value = g_getenv (name);

  if (value == NULL)
    g_test_message ("%s is not set: run this test with meson test", name);
  g_assert_nonnull (value);

  return value;
}

/* Puts @dir before the current value of the search path @variable */
static void
prepend_path (GSubprocessLauncher *launcher,
              const char          *variable,
              const char          *dir)
{
  const char      *current = g_getenv (variable);
  g_autofree char *value = NULL;

  if (current != NULL && current[0] != '\0')
    value = g_strconcat (dir, G_SEARCHPATH_SEPARATOR_S, current, NULL);
  else
    value = g_strdup (dir);
  g_subprocess_launcher_setenv (launcher, variable, value, TRUE);
}

static void
child_setup (Child        *child,
             gconstpointer data)
{
  static guint    n_logs;
  const Language *language = data;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *script = g_build_filename (test_env ("COMLINK_TEST_CHILDREN_DIR"), language->script, NULL);
  g_autofree char *log_name = g_strdup_printf ("%s-%u.log", language->name, n_logs++);
  g_autoptr(GError) error = NULL;
  const char *argv[4];
  guint       n = 0;

  argv[n++] = language->interpreter;
  if (language->option != NULL)
    argv[n++] = language->option;
  argv[n++] = script;
  argv[n] = NULL;

  prepend_path (launcher, "GI_TYPELIB_PATH", test_env ("COMLINK_TEST_TYPELIB_DIR"));
  prepend_path (launcher, "LD_LIBRARY_PATH", test_env ("COMLINK_TEST_LIB_DIR"));
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "fatal-criticals", TRUE);
  child->log_path = g_build_filename (log_dir, log_name, NULL);
  g_subprocess_launcher_set_stderr_file_path (launcher, child->log_path);

  child->language = language;
  child->worker = comlink_worker_new_subprocess (launcher, argv, &error);
  g_assert_no_error (error);
  g_assert_nonnull (child->worker);
  child->subprocess = g_object_ref (comlink_worker_get_subprocess (child->worker));
}

static void
wait_reaped (GSubprocess *subprocess)
{
  /* The identifier goes when the child has been reaped */
  test_wait_until (g_subprocess_get_identifier (subprocess) == NULL);
}

static void
child_teardown (Child        *child,
                gconstpointer data)
{
  g_autofree char *log = NULL;
  g_autoptr(GError) error = NULL;

  comlink_worker_terminate (child->worker);
  wait_reaped (child->subprocess);
  g_clear_object (&child->worker);
  g_clear_object (&child->subprocess);
  test_iterate_pending ();

  /* Nothing on stderr: no critical, warning or exception */
  g_file_get_contents (child->log_path, &log, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (log, ==, "");
  g_unlink (child->log_path);
  g_free (child->log_path);
}

typedef struct
{
  guint   n_calls;
  GValue *value;
  GError *error;
} Result;

static void
on_call_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Result *r = user_data;

  r->n_calls++;
  r->value = comlink_proxy_call_finish (COMLINK_PROXY (source), res, &r->error);
}

static void
result_clear (Result *r)
{
  if (r->value != NULL)
    g_boxed_free (G_TYPE_VALUE, r->value);
  r->value = NULL;
  g_clear_error (&r->error);
  r->n_calls = 0;
}

static void
assert_add (ComlinkProxy *proxy, int a, int b)
{
  g_autoptr(GError) error = NULL;
  GValue *args = test_args_new (2, G_TYPE_INT, a, G_TYPE_INT, b);
  GValue *ret;

  ret = comlink_proxy_call_sync (proxy, "add", args, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ret);
  g_assert_true (G_VALUE_HOLDS_INT (ret));
  g_assert_cmpint (g_value_get_int (ret), ==, a + b);
  g_boxed_free (G_TYPE_VALUE, ret);
  test_args_free (args, 2);
}

static void
assert_ping (ComlinkProxy *proxy)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (comlink_proxy_call_sync (proxy, "ping", NULL, 0, NULL, &error));
  g_assert_no_error (error);
}

static void
test_child_call (Child        *child,
                 gconstpointer data)
{
  ComlinkProxy *proxy = comlink_worker_get_proxy (child->worker);
  g_autoptr(GError) error = NULL;
  GValue *args = test_args_new (1, G_TYPE_INT, 1);

  assert_add (proxy, 40, 2);
  assert_add (proxy, -7, 3);
  assert_ping (proxy);
  g_assert_cmpint (comlink_worker_get_state (child->worker), ==, COMLINK_WORKER_STATE_RUNNING);

  /* The signal's signature is the method's. In a full run this is the
   * first error from a child in this process: its domain maps back to
   * COMLINK_ERROR even before anything here used the quark. */
  g_assert_null (comlink_proxy_call_sync (proxy, "add", args, 1, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_INVALID_ARGUMENTS);
  test_args_free (args, 1);
}

static int
get_value (ComlinkProxy *proxy)
{
  g_autoptr(GError) error = NULL;
  GValue *value;
  int     ret;

  value = comlink_proxy_get_sync (proxy, "value", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (value);
  g_assert_true (G_VALUE_HOLDS_INT (value));
  ret = g_value_get_int (value);
  g_boxed_free (G_TYPE_VALUE, value);

  return ret;
}

static void
set_value (ComlinkProxy *proxy, int v)
{
  g_autoptr(GError) error = NULL;
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, v);
  g_assert_true (comlink_proxy_set_sync (proxy, "value", &value, NULL, &error));
  g_assert_no_error (error);
  g_value_unset (&value);
}

static void
test_child_property (Child        *child,
                     gconstpointer data)
{
  ComlinkProxy *proxy = comlink_worker_get_proxy (child->worker);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (get_value (proxy), ==, 0);
  set_value (proxy, 17);
  g_assert_cmpint (get_value (proxy), ==, 17);
  set_value (proxy, -3);
  g_assert_cmpint (get_value (proxy), ==, -3);

  g_assert_null (comlink_proxy_get_sync (proxy, "no-such-property", NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_PROPERTY);
}

static void
test_child_no_such_method (Child        *child,
                           gconstpointer data)
{
  const Language *language = data;
  ComlinkProxy   *proxy = comlink_worker_get_proxy (child->worker);
  g_autoptr(GError) error = NULL;

  g_assert_null (comlink_proxy_call_sync (proxy, "frobnicate", NULL, 0, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_METHOD);
  g_assert_nonnull (strstr (error->message, "frobnicate"));
  g_assert_nonnull (strstr (error->message, language->type_name));
  g_clear_error (&error);

  /* GObject's own action signal is not a method of the object */
  g_assert_null (comlink_proxy_call_sync (proxy, "notify", NULL, 0, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_METHOD);

  /* The child serves on */
  assert_add (proxy, 40, 2);
}

static void
test_child_terminate_mid_call (Child        *child,
                               gconstpointer data)
{
  ComlinkProxy *proxy = comlink_worker_get_proxy (child->worker);
  g_autoptr(GError) error = NULL;
  Result r = { 0 };

  comlink_proxy_call_async (proxy, "hold", NULL, 0, NULL, on_call_done, &r);
  /* Requests are served in order: the child holds the first one now */
  assert_ping (proxy);
  g_assert_cmpuint (r.n_calls, ==, 0);

  comlink_worker_terminate (child->worker);
  g_assert_cmpint (comlink_worker_get_state (child->worker), ==, COMLINK_WORKER_STATE_TERMINATED);
  test_wait_until (r.n_calls == 1);
  g_assert_error (r.error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED);
  g_assert_null (r.value);
  result_clear (&r);

  /* Later calls fail at once */
  g_assert_null (comlink_proxy_call_sync (proxy, "ping", NULL, 0, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED);

  wait_reaped (child->subprocess);
  /* It left when its socket closed, before SIGTERM or with it */
  g_assert_true (g_subprocess_get_if_exited (child->subprocess) ||
                 g_subprocess_get_if_signaled (child->subprocess));
  g_assert_cmpint (comlink_worker_get_state (child->worker), ==, COMLINK_WORKER_STATE_TERMINATED);
}

static void
test_child_sigkill (Child        *child,
                    gconstpointer data)
{
  ComlinkProxy *proxy = comlink_worker_get_proxy (child->worker);
  g_autoptr(GError) error = NULL;
  TestExited e = { 0 };
  Result     r[3] = { { 0 } };

  g_signal_connect (child->worker, "exited", G_CALLBACK (test_on_exited), &e);
  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    comlink_proxy_call_async (proxy, "hold", NULL, 0, NULL, on_call_done, &r[i]);
  assert_ping (proxy);
  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    g_assert_cmpuint (r[i].n_calls, ==, 0);

  g_subprocess_force_exit (child->subprocess);
  test_wait_until (r[0].n_calls + r[1].n_calls + r[2].n_calls == 3);

  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    {
      g_assert_error (r[i].error, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED);
      g_assert_nonnull (strstr (r[i].error->message, "signal 9"));
      result_clear (&r[i]);
    }
  g_assert_cmpuint (e.n_exited, ==, 1);
  g_assert_error (e.error, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED);
  g_assert_cmpint (comlink_worker_get_state (child->worker), ==, COMLINK_WORKER_STATE_EXITED);

  wait_reaped (child->subprocess);
  g_assert_true (g_subprocess_get_if_signaled (child->subprocess));
  g_assert_cmpint (g_subprocess_get_term_sig (child->subprocess), ==, SIGKILL);

  /* Later calls fail at once, and the worker exited only once */
  g_assert_null (comlink_proxy_call_sync (proxy, "ping", NULL, 0, NULL, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_WORKER_EXITED);
  test_iterate_pending ();
  g_assert_cmpuint (e.n_exited, ==, 1);

  g_signal_handlers_disconnect_by_func (child->worker, test_on_exited, &e);
  g_clear_error (&e.error);
}

static void
add_test (const Language *language,
          const char     *name,
          void (*func) (Child *, gconstpointer))
{
  g_autofree char *path = g_strdup_printf ("/Comlink/Children/%s/%s", language->name, name);

  g_test_add (path, Child, language, child_setup, func, child_teardown);
}

int
main (int argc, char *argv[])
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (languages); i++)
    {
      add_test (&languages[i], "call", test_child_call);
      add_test (&languages[i], "property", test_child_property);
      add_test (&languages[i], "no-such-method", test_child_no_such_method);
      add_test (&languages[i], "terminate-mid-call", test_child_terminate_mid_call);
      add_test (&languages[i], "sigkill-with-calls-in-flight", test_child_sigkill);
    }

  log_dir = g_dir_make_tmp ("comlink-test-children-XXXXXX", &error);
  g_assert_no_error (error);
  ret = g_test_run ();
  g_rmdir (log_dir);
  g_free (log_dir);

  return ret;
}
