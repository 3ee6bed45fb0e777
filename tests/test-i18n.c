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
  const char *terminated;   /* "The worker “%s” was terminated" */
  const char *one_argument; /* "“%s” takes %u argument, not %u" with 1 */
  const char *arguments;    /* the same with 2 */
  const char *no_argument;  /* the same with 0 */
  const char *path;         /* "A path may have at most %d elements" */
} Expected;

static const Expected expectations[] = {
  {
    "de",
    "Der Worker „calc“ wurde beendet",
    "„echo-string“ nimmt 1 Argument, nicht 2",
    "„add“ nimmt 2 Argumente, nicht 1",
    "„ping“ nimmt 0 Argumente, nicht 1",
    "Ein Pfad darf höchstens 63 Elemente haben",
  },
  {
    "zh_CN",
    "Worker“calc”已被终止",
    "“echo-string”接受 1 个参数，而不是 2 个",
    "“add”接受 2 个参数，而不是 1 个",
    "“ping”接受 0 个参数，而不是 1 个",
    "路径最多只能有 63 个元素",
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
  gint          sum = 0;

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
  if (expected == NULL || locale_dir == NULL)
    {
      g_test_skip ("Set LANGUAGE to de or zh_CN, and COMLINK_TEST_LOCALE_DIR");
      return g_test_run ();
    }

  /* The library binds its domain to its installed catalogs the first time
   * it is used; this binding to the build tree's replaces that one */
  g_assert_cmpuint (COMLINK_ERROR, !=, 0);
  bindtextdomain (GETTEXT_PACKAGE, locale_dir);

  g_test_add_func ("/Comlink/I18n/arguments", test_arguments);
  g_test_add_func ("/Comlink/I18n/path", test_path);
  g_test_add_func ("/Comlink/I18n/terminated", test_terminated);

  return g_test_run ();
}
