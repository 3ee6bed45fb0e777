/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* What the library carries for its bindings: the GJS module as a
 * resource, registered as soon as the library is loaded. The test opens
 * libcomlink-glib-1 as GObject-Introspection does, with dlopen, and links
 * nothing of it. */

#include <string.h>

#include <gio/gio.h>
#include <gmodule.h>

#define GJS_MODULE_RESOURCE "/org/gnome/Comlink/js/comlink.js"

static gboolean
gjs_module_registered (void)
{
  return g_resources_get_info (GJS_MODULE_RESOURCE, G_RESOURCE_LOOKUP_FLAGS_NONE,
                               NULL, NULL, NULL);
}

/* Opening the library registers resource:///org/gnome/Comlink/js/comlink.js,
 * the module of the source tree byte for byte */
static void
test_gjs_module_resource (void)
{
  g_autofree char *source_path = g_test_build_filename (G_TEST_DIST, "..", "introspection",
                                                        "comlink.js", NULL);
  g_autoptr(GBytes) resource = NULL;
  g_autoptr(GBytes) source = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  GModule         *library;
  gsize            length = 0;

  g_assert_false (gjs_module_registered ());

  /* Never closed, as GObject-Introspection never closes it */
  library = g_module_open (COMLINK_TEST_LIBRARY, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
  if (library == NULL)
    g_error ("%s", g_module_error ());
  g_assert_true (gjs_module_registered ());

  resource = g_resources_lookup_data (GJS_MODULE_RESOURCE, G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (resource);

  g_file_get_contents (source_path, &contents, &length, &error);
  g_assert_no_error (error);
  source = g_bytes_new_take (g_steal_pointer (&contents), length);
  g_assert_cmpuint (g_bytes_get_size (resource), >, 0);
  g_assert_true (g_bytes_equal (resource, source));
}

/* The module is found by its URI, as GJS's loader looks it up */
static void
test_gjs_module_uri (void)
{
  g_autoptr(GFile) file = g_file_new_for_uri ("resource://" GJS_MODULE_RESOURCE);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;

  g_assert_true (gjs_module_registered ());
  g_assert_true (g_file_load_contents (file, NULL, &contents, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (contents, "export function wrap("));
  g_assert_nonnull (strstr (contents, "export function expose("));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* In this order: the first opens the library */
  g_test_add_func ("/Comlink/Packaging/gjs-module-resource", test_gjs_module_resource);
  g_test_add_func ("/Comlink/Packaging/gjs-module-uri", test_gjs_module_uri);

  return g_test_run ();
}
