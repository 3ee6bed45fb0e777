/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * A container of values that may hold references: an array, or a
 * dictionary with string keys in the order they were inserted. It is how
 * objects, proxies, endpoints, file descriptors and other values that no
 * GVariant holds travel inside arrays and objects (the wire's ARRAY and
 * DICT tags, see comlink-value.c).
 *
 * Items are GValues kept in one GArray; a dictionary finds its keys
 * through a hash table of indexes into it.
 */

#include "config.h"

#include "comlink-container-private.h"

typedef struct
{
  char  *key; /* NULL in an array */
  GValue value;
} Item;

struct _ComlinkContainer
{
  gatomicrefcount ref_count;
  GArray         *items;
  GHashTable     *index; /* key -> position + 1; NULL for an array */
};

/**
 * ComlinkContainer:
 *
 * An array of values, or a dictionary of values with string keys that
 * keeps the order in which they were inserted.
 *
 * A container is how values that no [struct@GLib.Variant] can hold travel
 * inside arrays and objects: proxies and exported objects, endpoints,
 * file descriptors, values of a transfer handler, and any other value
 * that travels on its own. An item is any value that can be sent as an
 * argument, a container too (up to 16 levels deep). A container holds
 * its items' references: a [class@Comlink.Proxy] received in a container
 * is released when the container is freed, unless it was taken out with
 * a reference of its own.
 *
 * A container arrives as a container, with each item in the type it would
 * have as an argument. Arrays and objects without references travel
 * faster as a [struct@GLib.Variant] (`av` and `a{sv}`), which is what the
 * GJS and Python bindings send when a value holds none; a method whose
 * parameter is a `ComlinkContainer` also accepts those, converted.
 *
 * ```c
 * g_autoptr(ComlinkContainer) options = comlink_container_new_dict ();
 * g_auto(GValue) value = G_VALUE_INIT;
 *
 * g_value_init (&value, G_TYPE_OBJECT);
 * g_value_set_object (&value, progress_listener);
 * comlink_container_insert (options, "listener", &value);
 * ```
 *
 * A container is not thread-safe: fill it in one thread, then share it
 * only for reading. Its reference count is atomic.
 *
 * A dictionary that holds a callback, sent as one argument:
 *
 * |[<!-- language="C" -->
 * g_autoptr(ComlinkContainer) options = comlink_container_new_dict ();
 * GValue value = G_VALUE_INIT;
 *
 * g_value_init (&value, G_TYPE_STRING);
 * g_value_set_static_string (&value, "report.txt");
 * comlink_container_insert (options, "name", &value);
 * g_value_unset (&value);
 *
 * // Travels by reference, inside the dictionary
 * g_value_init (&value, COMLINK_TYPE_CALLBACK);
 * g_value_set_object (&value, progress);
 * comlink_container_insert (options, "progress", &value);
 * g_value_unset (&value);
 *
 * comlink_proxy_call_with_args_async (proxy, "process", NULL, on_done, NULL,
 *                                     COMLINK_TYPE_CONTAINER, options, G_TYPE_INVALID);
 * ]|
 *
* See also: [Calls from C](c-calls.html), [Python: Comlink's feel in
 * PyGObject](python.html), [GJS: Comlink's feel in JavaScript](gjs.html).
 *
 * Since: 0.1
 */

G_DEFINE_BOXED_TYPE (ComlinkContainer, comlink_container, comlink_container_ref, comlink_container_unref)

static void
clear_item (gpointer data)
{
  Item *item = data;

  g_free (item->key);
  if (G_IS_VALUE (&item->value))
    g_value_unset (&item->value);
}

static ComlinkContainer *
container_new (gboolean is_dict)
{
  ComlinkContainer *self = g_new0 (ComlinkContainer, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->items = g_array_new (FALSE, TRUE, sizeof (Item));
  g_array_set_clear_func (self->items, clear_item);
  if (is_dict)
    self->index = g_hash_table_new (g_str_hash, g_str_equal);

  return self;
}

/**
 * comlink_container_new_array:
 *
 * Creates an empty array.
 *
 * Returns: (transfer full): a new #ComlinkContainer
 *
 * Since: 0.1
 */
ComlinkContainer *
comlink_container_new_array (void)
{
  return container_new (FALSE);
}

/**
 * comlink_container_new_dict:
 *
 * Creates an empty dictionary.
 *
 * Returns: (transfer full): a new #ComlinkContainer
 *
 * Since: 0.1
 */
ComlinkContainer *
comlink_container_new_dict (void)
{
  return container_new (TRUE);
}

/**
 * comlink_container_ref:
 * @self: a #ComlinkContainer
 *
 * Acquires a reference on @self.
 *
 * Returns: (transfer full): @self
 *
 * Since: 0.1
 */
ComlinkContainer *
comlink_container_ref (ComlinkContainer *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * comlink_container_unref:
 * @self: (transfer full): a #ComlinkContainer
 *
 * Releases a reference on @self; the last one frees it and releases its
 * items.
 *
 * Since: 0.1
 */
void
comlink_container_unref (ComlinkContainer *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_clear_pointer (&self->index, g_hash_table_unref);
  g_array_unref (self->items);
  g_free (self);
}

/**
 * comlink_container_is_dict:
 * @self: a #ComlinkContainer
 *
 * Whether @self is a dictionary rather than an array.
 *
 * Returns: %TRUE for a dictionary
 *
 * Since: 0.1
 */
gboolean
comlink_container_is_dict (ComlinkContainer *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->index != NULL;
}

/**
 * comlink_container_get_n_items:
 * @self: a #ComlinkContainer
 *
 * The number of items in @self.
 *
 * Returns: the number of items
 *
 * Since: 0.1
 */
guint
comlink_container_get_n_items (ComlinkContainer *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->items->len;
}

/**
 * comlink_container_get_item:
 * @self: a #ComlinkContainer
 * @index: the position of an item
 *
 * The item at @index. An item that is no value (void, JavaScript's
 * `undefined`) is an unset #GValue; bindings that cannot read one ask
 * [method@Comlink.Container.get_item_type] first.
 *
 * Returns: (transfer none): the item at @index
 *
 * Since: 0.1
 */
const GValue *
comlink_container_get_item (ComlinkContainer *self,
                            guint             index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->items->len, NULL);

  return &g_array_index (self->items, Item, index).value;
}

/**
 * comlink_container_get_item_type:
 * @self: a #ComlinkContainer
 * @index: the position of an item
 *
 * The type of the item at @index: %G_TYPE_INVALID for no value, and
 * %G_TYPE_POINTER for a null, as [method@Comlink.Invocation.get_arg_type]
 * tells them.
 *
 * Returns: the #GType of the item
 *
 * Since: 0.1
 */
GType
comlink_container_get_item_type (ComlinkContainer *self,
                                 guint             index)
{
  g_return_val_if_fail (self != NULL, G_TYPE_INVALID);
  g_return_val_if_fail (index < self->items->len, G_TYPE_INVALID);

  return G_VALUE_TYPE (&g_array_index (self->items, Item, index).value);
}

/**
 * comlink_container_dup_item_variant:
 * @self: a #ComlinkContainer
 * @index: the position of an item
 *
 * The item at @index as a #GVariant when it is a 64-bit integer, as
 * [method@Comlink.Invocation.dup_arg_variant] gives an argument: for
 * bindings whose numbers are doubles. Any other item gives %NULL.
 *
 * Returns: (transfer full) (nullable): the item as a #GVariant, or %NULL
 *
 * Since: 0.1
 */
GVariant *
comlink_container_dup_item_variant (ComlinkContainer *self,
                                    guint             index)
{
  const GValue *value;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->items->len, NULL);

  value = &g_array_index (self->items, Item, index).value;
  switch (G_VALUE_TYPE (value))
    {
    case G_TYPE_INT64: return g_variant_ref_sink (g_variant_new_int64 (g_value_get_int64 (value)));
    case G_TYPE_LONG: return g_variant_ref_sink (g_variant_new_int64 (g_value_get_long (value)));
    case G_TYPE_UINT64: return g_variant_ref_sink (g_variant_new_uint64 (g_value_get_uint64 (value)));
    case G_TYPE_ULONG: return g_variant_ref_sink (g_variant_new_uint64 (g_value_get_ulong (value)));
    default: return NULL;
    }
}

/**
 * comlink_container_get_key:
 * @self: a #ComlinkContainer
 * @index: the position of an item
 *
 * The key of the item at @index in a dictionary.
 *
 * Returns: (nullable): the key, or %NULL in an array
 *
 * Since: 0.1
 */
const char *
comlink_container_get_key (ComlinkContainer *self,
                           guint             index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->items->len, NULL);

  return g_array_index (self->items, Item, index).key;
}

/**
 * comlink_container_lookup:
 * @self: a dictionary
 * @key: a key
 *
 * The item of @key in a dictionary.
 *
 * Returns: (transfer none) (nullable): the item, or %NULL if @self has
 *   no item of @key
 *
 * Since: 0.1
 */
const GValue *
comlink_container_lookup (ComlinkContainer *self,
                          const char       *key)
{
  gpointer position;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (self->index != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  position = g_hash_table_lookup (self->index, key);
  if (position == NULL)
    return NULL;

  return &g_array_index (self->items, Item, GPOINTER_TO_UINT (position) - 1).value;
}

static void
set_value (Item         *item,
           const GValue *value)
{
  if (G_IS_VALUE (&item->value))
    g_value_unset (&item->value);
  if (value != NULL && G_IS_VALUE (value))
    {
      g_value_init (&item->value, G_VALUE_TYPE (value));
      g_value_copy (value, &item->value);
    }
}

/**
 * comlink_container_append:
 * @self: an array
 * @value: (nullable): the item to add, or %NULL for no value
 *
 * Adds a copy of @value at the end of an array. %NULL, or an unset
 * #GValue, adds no value (JavaScript's `undefined`).
 *
 * Since: 0.1
 */
void
comlink_container_append (ComlinkContainer *self,
                          const GValue     *value)
{
  Item item = { NULL, G_VALUE_INIT };

  g_return_if_fail (self != NULL);
  g_return_if_fail (self->index == NULL);

  set_value (&item, value);
  g_array_append_val (self->items, item);
}

/**
 * comlink_container_insert:
 * @self: a dictionary
 * @key: the key
 * @value: (nullable): the item, or %NULL for no value
 *
 * Sets the item of @key in a dictionary to a copy of @value. A key that
 * is new goes after the others; one that is there keeps its place and
 * gets the new value.
 *
 * Since: 0.1
 */
void
comlink_container_insert (ComlinkContainer *self,
                          const char       *key,
                          const GValue     *value)
{
  gpointer position;
  Item     item = { NULL, G_VALUE_INIT };

  g_return_if_fail (self != NULL);
  g_return_if_fail (self->index != NULL);
  g_return_if_fail (key != NULL);

  position = g_hash_table_lookup (self->index, key);
  if (position != NULL)
    {
      set_value (&g_array_index (self->items, Item, GPOINTER_TO_UINT (position) - 1), value);
      return;
    }

  item.key = g_strdup (key);
  set_value (&item, value);
  g_array_append_val (self->items, item);
  g_hash_table_insert (self->index, item.key, GUINT_TO_POINTER (self->items->len));
}

/* Moves @value (left unset) to the end of an array */
void
_comlink_container_append_take (ComlinkContainer *self,
                                GValue           *value)
{
  Item item = { NULL, G_VALUE_INIT };

  item.value = *value;
  *value = (GValue) G_VALUE_INIT;
  g_array_append_val (self->items, item);
}

/* Moves @value (left unset) under a new @key of a dictionary; FALSE,
 * with @value untouched, if @key is there already */
gboolean
_comlink_container_insert_take (ComlinkContainer *self,
                                const char       *key,
                                GValue           *value)
{
  Item item = { NULL, G_VALUE_INIT };

  if (g_hash_table_contains (self->index, key))
    return FALSE;

  item.key = g_strdup (key);
  item.value = *value;
  *value = (GValue) G_VALUE_INIT;
  g_array_append_val (self->items, item);
  g_hash_table_insert (self->index, item.key, GUINT_TO_POINTER (self->items->len));
  return TRUE;
}
