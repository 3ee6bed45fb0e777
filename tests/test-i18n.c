/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The library's messages reach the user translated: the errors of a call
 * come out in the language of LANGUAGE, with their values in place and
 * the plural form that their count asks for. The catalogs are those of
 * the build tree (COMLINK_TEST_LOCALE_DIR, laid out as
 * LANG/LC_MESSAGES/DOMAIN.mo), bound over the library's own binding. The
 * test runs once per language, with LANGUAGE set and LC_ALL=C.UTF-8
 * (which every glibc has: GNU gettext reads LANGUAGE in any locale but
 * C). */

#include <locale.h>
#include <libintl.h>

#include "test-objects.h"

typedef struct
{
  const char *language;
  const char *terminated;      /* "The worker “%s” was terminated" */
  const char *one_argument;    /* "“%s” takes %u argument, not %u" with 1 */
  const char *arguments;       /* the same with 2 */
  const char *no_argument;     /* the same with 0 */
  const char *path;            /* "A path may have at most %d elements" */
  const char *pool_full;       /* "The worker pool “%s” has %u call queued, …" with 1 */
  const char *pool_terminated; /* "The worker pool “%s” was terminated" */
} Expected;

static const Expected expectations[] = {
  {
    "de",
    "Der Worker „calc“ wurde beendet",
    "„echo-string“ nimmt 1 Argument, nicht 2",
    "„add“ nimmt 2 Argumente, nicht 1",
    "„ping“ nimmt 0 Argumente, nicht 1",
    "Ein Pfad darf höchstens 63 Elemente haben",
    "Der Worker-Pool „calcs“ hat 1 Aufruf in der Warteschlange, mehr nimmt er nicht an",
    "Der Worker-Pool „calcs“ wurde beendet",
  },
  {
    "zh_CN",
    "Worker“calc”已被终止",
    "“echo-string”接受 1 个参数，而不是 2 个",
    "“add”接受 2 个参数，而不是 1 个",
    "“ping”接受 0 个参数，而不是 1 个",
    "路径最多只能有 63 个元素",
    "Worker 池“calcs”已有 1 个排队的调用，达到了它能接受的上限",
    "Worker 池“calcs”已被终止",
  },
};

static const Expected *expected;

static GObject *
setup_calc (gpointer user_data, GError **error)
{
  return G_OBJECT (test_calc_new ());
}

static void
test_arguments (void)
{
  g_autoptr(ComlinkWorker) worker = comlink_worker_new_thread ("calc", setup_calc, NULL, NULL);
  ComlinkProxy *proxy = comlink_worker_get_proxy (worker);
  g_autoptr(GError) error = NULL;
  gint sum = 0;

  /* The plural of the count: "add" takes 2 arguments */
  g_assert_false (comlink_proxy_call_with_args_sync (proxy, "add", NULL, &error,
                                                     G_TYPE_INT, 1, G_TYPE_INVALID,
                                                     G_TYPE_INT, &sum));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_INVALID_ARGUMENTS);
  g_assert_cmpstr (error->message, ==, expected->arguments);
  g_clear_error (&error);

  /* The singular */
  g_assert_false (comlink_proxy_call_with_args_sync (proxy, "echo-string", NULL, &error,
                                                     G_TYPE_STRING, "a", G_TYPE_STRING, "b", G_TYPE_INVALID,
                                                     G_TYPE_NONE));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_INVALID_ARGUMENTS);
  g_assert_cmpstr (error->message, ==, expected->one_argument);
  g_clear_error (&error);

  /* n = 0 takes the plural in German too */
  g_assert_false (comlink_proxy_call_with_args_sync (proxy, "ping", NULL, &error,
                                                     G_TYPE_INT, 1, G_TYPE_INVALID,
                                                     G_TYPE_NONE));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_INVALID_ARGUMENTS);
  g_assert_cmpstr (error->message, ==, expected->no_argument);
  g_clear_error (&error);

  comlink_worker_terminate (worker);
}

static void
test_path (void)
{
  g_autoptr(ComlinkWorker) worker = comlink_worker_new_thread ("calc", setup_calc, NULL, NULL);
  g_autoptr(ComlinkProxy) proxy = g_object_ref (comlink_worker_get_proxy (worker));
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 64; i++)
    {
      ComlinkProxy *child = comlink_proxy_get_child (proxy, "child");

      g_object_unref (proxy);
      proxy = child;
    }
  g_assert_false (comlink_proxy_call_with_args_sync (proxy, "ping", NULL, &error,
                                                     G_TYPE_INVALID, G_TYPE_NONE));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_OBJECT);
  g_assert_cmpstr (error->message, ==, expected->path);

  comlink_worker_terminate (worker);
}

static void
test_terminated (void)
{
  g_autoptr(ComlinkWorker) worker = comlink_worker_new_thread ("calc", setup_calc, NULL, NULL);
  g_autoptr(GError) error = NULL;

  comlink_worker_terminate (worker);
  g_assert_false (comlink_proxy_call_with_args_sync (comlink_worker_get_proxy (worker), "ping", NULL, &error,
                                                     G_TYPE_INVALID, G_TYPE_NONE));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED);
  g_assert_cmpstr (error->message, ==, expected->terminated);
}

/* What a call on a pool ended with */
typedef struct
{
  gboolean done;
  GError  *error;
} PoolResult;

static void
on_pool_call (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  PoolResult *r = user_data;
  GValue     *value = comlink_worker_pool_call_finish (COMLINK_WORKER_POOL (source), result, &r->error);

  if (value != NULL)
    {
      g_value_unset (value);
      g_free (value);
    }
  r->done = TRUE;
}

static void
test_pool (void)
{
  g_autoptr(ComlinkWorkerPool) pool = comlink_worker_pool_new_thread ("calcs", 1, setup_calc, NULL, NULL);
  GValue     sleep_arg = G_VALUE_INIT;
  PoolResult busy = { 0 }, queued = { 0 }, refused = { 0 }, late = { 0 };

  /* One call runs, one waits, the queue is full: the singular of the
   * count */
  comlink_worker_pool_set_max_queued (pool, 1);
  g_value_init (&sleep_arg, G_TYPE_INT);
  g_value_set_int (&sleep_arg, 200);
  comlink_worker_pool_call_async (pool, "sleep", &sleep_arg, 1, NULL, on_pool_call, &busy);
  while (comlink_worker_pool_get_n_busy (pool) == 0)
    g_main_context_iteration (NULL, TRUE);
  comlink_worker_pool_call_async (pool, "ping", NULL, 0, NULL, on_pool_call, &queued);
  comlink_worker_pool_call_async (pool, "ping", NULL, 0, NULL, on_pool_call, &refused);
  while (!busy.done || !queued.done || !refused.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (busy.error);
  g_assert_no_error (queued.error);
  g_assert_error (refused.error, COMLINK_ERROR, COMLINK_ERROR_LIMIT_EXCEEDED);
  g_assert_cmpstr (refused.error->message, ==, expected->pool_full);

  comlink_worker_pool_terminate (pool);
  comlink_worker_pool_call_async (pool, "ping", NULL, 0, NULL, on_pool_call, &late);
  while (!late.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (late.error, COMLINK_ERROR, COMLINK_ERROR_TERMINATED);
  g_assert_cmpstr (late.error->message, ==, expected->pool_terminated);

  g_value_unset (&sleep_arg);
  g_clear_error (&refused.error);
  g_clear_error (&late.error);
}

int
main (int argc, char **argv)
{
  const char *language = g_getenv ("LANGUAGE");
  const char *locale_dir = g_getenv ("COMLINK_TEST_LOCALE_DIR");

  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (expectations); i++)
    if (g_strcmp0 (language, expectations[i].language) == 0)
      expected = &expectations[i];
  /* Run without them, the program fails: it tests nothing otherwise */
  if (expected == NULL || locale_dir == NULL)
    g_error ("Set LANGUAGE to de or zh_CN, and COMLINK_TEST_LOCALE_DIR");

  /* The library binds its domain to its installed catalogs the first time
   * it is used; this binding to the build tree's replaces that one */
  g_assert_cmpuint (COMLINK_ERROR, !=, 0);
  bindtextdomain (GETTEXT_PACKAGE, locale_dir);

  g_test_add_func ("/Comlink/I18n/arguments", test_arguments);
  g_test_add_func ("/Comlink/I18n/path", test_path);
  g_test_add_func ("/Comlink/I18n/terminated", test_terminated);
  g_test_add_func ("/Comlink/I18n/pool", test_pool);

  return g_test_run ();
}
