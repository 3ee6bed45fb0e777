/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Containers as a peer may send them (the wire's ARRAY and DICT tags):
 * nested too deep, a dictionary with a key twice, content of the wrong
 * type, and file descriptors that items inside containers refer to. */

#include <comlink-glib/comlink.h>

#include "comlink-container-private.h"
#include "comlink-value-private.h"
#include "comlink-wire-private.h"

/* --- what a peer may send --- */

static GVariant *
wire_nested (guint depth)
{
  GVariant *wire = g_variant_new_int32 (1);

  for (guint i = 0; i < depth; i++)
    {
      GVariant *child = g_variant_new_variant (wire);
      wire = _comlink_wire_tag (COMLINK_TAG_ARRAY, g_variant_new_array (G_VARIANT_TYPE_VARIANT, &child, 1));
    }
  return g_variant_ref_sink (wire);
}

static void
test_wire_depth (void)
{
  g_autoptr(GVariant) deepest = wire_nested (COMLINK_CONTAINER_MAX_DEPTH);
  g_autoptr(GVariant) too_deep = wire_nested (COMLINK_CONTAINER_MAX_DEPTH + 1);
  g_auto(GValue) value = G_VALUE_INIT;
  g_auto(GValue) rejected = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  g_assert_true (_comlink_value_from_wire (NULL, deepest, NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_true (G_VALUE_HOLDS (&value, COMLINK_TYPE_CONTAINER));

  g_assert_false (_comlink_value_from_wire (NULL, too_deep, NULL, &rejected, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL);
  g_assert_false (G_IS_VALUE (&rejected));
}

static void
test_wire_dict (void)
{
  g_autoptr(GVariant) twice = g_variant_ref_sink (_comlink_wire_tag (COMLINK_TAG_DICT,
                                                                      g_variant_new_parsed ("{'a': <1>, 'b': <2>, 'a': <3>}")));
  g_autoptr(GVariant) good = g_variant_ref_sink (_comlink_wire_tag (COMLINK_TAG_DICT,
                                                                     g_variant_new_parsed ("{'z': <1>, 'a': <@ms 's'>}")));
  g_autoptr(GVariant) wrong = g_variant_ref_sink (_comlink_wire_tag (COMLINK_TAG_DICT, g_variant_new_parsed ("[<1>]")));
  g_auto(GValue) value = G_VALUE_INIT;
  g_auto(GValue) rejected = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;
  ComlinkContainer *dict;

  g_assert_true (_comlink_value_from_wire (NULL, good, NULL, &value, &error));
  g_assert_no_error (error);
  dict = g_value_get_boxed (&value);
  g_assert_cmpstr (comlink_container_get_key (dict, 0), ==, "z");
  g_assert_cmpstr (g_value_get_string (comlink_container_lookup (dict, "a")), ==, "s");

  g_assert_false (_comlink_value_from_wire (NULL, twice, NULL, &rejected, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL);
  g_assert_false (G_IS_VALUE (&rejected));
  g_clear_error (&error);

  g_assert_false (_comlink_value_from_wire (NULL, wrong, NULL, &rejected, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL);
  g_assert_false (G_IS_VALUE (&rejected));
}

/* A descriptor inside a container counts as used; one that no value
 * refers to is still refused */
static void
test_wire_fds (void)
{
  g_autoptr(GVariant) item = g_variant_ref_sink (_comlink_wire_tag (COMLINK_TAG_SOCKET, g_variant_new_handle (0)));
  GVariant *child = g_variant_new_variant (item);
  g_autoptr(GVariant) body = g_variant_ref_sink (
    g_variant_new_array (G_VARIANT_TYPE_VARIANT, &child, 1));
  g_autoptr(GVariant) wrapped = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (_comlink_wire_check_fds (body, 1, &error));
  g_assert_no_error (error);
  g_assert_false (_comlink_wire_check_fds (body, 2, &error));
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL);
  g_clear_error (&error);

  child = g_variant_new_variant (_comlink_wire_tag (COMLINK_TAG_ARRAY, g_variant_new_array (G_VARIANT_TYPE_VARIANT, &(GVariant *){ g_variant_new_variant (item) }, 1)));
  wrapped = g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE_VARIANT, &child, 1));
  g_assert_true (_comlink_wire_check_fds (wrapped, 1, &error));
  g_assert_no_error (error);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Comlink/ContainerWire/depth", test_wire_depth);
  g_test_add_func ("/Comlink/ContainerWire/dict", test_wire_dict);
  g_test_add_func ("/Comlink/ContainerWire/fds", test_wire_fds);

  return g_test_run ();
}
