/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Local GValue conversion: a received value, in its natural type, to the
 * type the receiver declares (a parameter, a property), with range
 * checks. Numbers convert between types when the value fits (a whole
 * double converts to an integer type, as JavaScript sends them), enums
 * and flags from their nicks, objects to a type they are, and nothing
 * (void, an unset GValue) and a null (a NULL gpointer) to a NULL of any
 * pointer type, and a GVariant array or dictionary (how arrays and
 * objects without references travel) to a ComlinkContainer. No peer is
 * involved:
 * these functions hold nothing and touch no connection.
 */

#include "config.h"

#include <math.h>

#include "comlink-container-private.h"
#include "comlink-error.h"
#include "comlink-private.h"
#include "comlink-value-convert-private.h"

/* Numbers convert between types when the value fits the target. */
static gboolean
number_get (const GValue *src,
            gint64       *as_int,
            guint64      *as_uint,
            gdouble      *as_double,
            gboolean     *is_signed,
            gboolean     *is_float)
{
  *is_signed = TRUE;
  *is_float = FALSE;

  switch (G_TYPE_FUNDAMENTAL (G_VALUE_TYPE (src)))
    {
    case G_TYPE_CHAR: *as_int = g_value_get_schar (src); break;
    case G_TYPE_INT: *as_int = g_value_get_int (src); break;
    case G_TYPE_LONG: *as_int = g_value_get_long (src); break;
    case G_TYPE_INT64: *as_int = g_value_get_int64 (src); break;
    case G_TYPE_UCHAR:
      *as_uint = g_value_get_uchar (src);
      *is_signed = FALSE;
      break;
    case G_TYPE_UINT:
      *as_uint = g_value_get_uint (src);
      *is_signed = FALSE;
      break;
    case G_TYPE_ULONG:
      *as_uint = g_value_get_ulong (src);
      *is_signed = FALSE;
      break;
    case G_TYPE_UINT64:
      *as_uint = g_value_get_uint64 (src);
      *is_signed = FALSE;
      break;
    case G_TYPE_FLOAT:
      *as_double = g_value_get_float (src);
      *is_float = TRUE;
      break;
    case G_TYPE_DOUBLE:
      *as_double = g_value_get_double (src);
      *is_float = TRUE;
      break;
    default:
      return FALSE;
    }

  if (*is_float)
    {
      /* A whole number in a double (as JavaScript sends) converts to an
       * integer type; anything else does not. */
      if (isfinite (*as_double) && *as_double == floor (*as_double) &&
          *as_double >= -9223372036854775808.0 && *as_double < 18446744073709551616.0)
        {
          if (*as_double < 0)
            *as_int = (gint64) *as_double;
          else
            {
              *as_uint = (guint64) *as_double;
              *is_signed = FALSE;
            }
        }
      else
        *is_signed = -1;
    }
  else if (*is_signed)
    *as_double = (gdouble) *as_int;
  else
    *as_double = (gdouble) *as_uint;

  return TRUE;
}

static gboolean
in_range (gboolean is_signed,
          gint64   as_int,
          guint64  as_uint,
          gint64   min,
          guint64  max)
{
  if (is_signed == TRUE)
    return as_int >= min && (as_int < 0 || (guint64) as_int <= max);
  if (is_signed == FALSE)
    return as_uint <= max;
  return FALSE;
}

static gboolean
convert_number (const GValue *src,
                GType         type,
                GValue       *dest)
{
  gint64   i = 0;
  guint64  u = 0;
  gdouble  d = 0;
  gboolean is_signed, is_float;
  gint64   v;

  if (!number_get (src, &i, &u, &d, &is_signed, &is_float))
    return FALSE;

  v = is_signed == TRUE ? i : (gint64) u;

  switch (G_TYPE_FUNDAMENTAL (type))
    {
    case G_TYPE_CHAR:
      if (!in_range (is_signed, i, u, G_MININT8, G_MAXINT8))
        return FALSE;
      g_value_init (dest, type);
      g_value_set_schar (dest, (gint8) v);
      return TRUE;
    case G_TYPE_UCHAR:
      if (!in_range (is_signed, i, u, 0, G_MAXUINT8))
        return FALSE;
      g_value_init (dest, type);
      g_value_set_uchar (dest, (guchar) v);
      return TRUE;
    case G_TYPE_INT:
      if (!in_range (is_signed, i, u, G_MININT32, G_MAXINT32))
        return FALSE;
      g_value_init (dest, type);
      g_value_set_int (dest, (gint) v);
      return TRUE;
    case G_TYPE_UINT:
      if (!in_range (is_signed, i, u, 0, G_MAXUINT32))
        return FALSE;
      g_value_init (dest, type);
      g_value_set_uint (dest, (guint) v);
      return TRUE;
    case G_TYPE_LONG:
      if (!in_range (is_signed, i, u, G_MINLONG, G_MAXLONG))
        return FALSE;
      g_value_init (dest, type);
      g_value_set_long (dest, (glong) v);
      return TRUE;
    case G_TYPE_ULONG:
      if (!in_range (is_signed, i, u, 0, G_MAXULONG))
        return FALSE;
      g_value_init (dest, type);
      g_value_set_ulong (dest, is_signed == TRUE ? (gulong) i : (gulong) u);
      return TRUE;
    case G_TYPE_INT64:
      if (!in_range (is_signed, i, u, G_MININT64, G_MAXINT64))
        return FALSE;
      g_value_init (dest, type);
      g_value_set_int64 (dest, v);
      return TRUE;
    case G_TYPE_UINT64:
      if (!in_range (is_signed, i, u, 0, G_MAXUINT64))
        return FALSE;
      g_value_init (dest, type);
      g_value_set_uint64 (dest, is_signed == TRUE ? (guint64) i : u);
      return TRUE;
    case G_TYPE_FLOAT:
      if (isfinite (d) && (d > G_MAXFLOAT || d < -G_MAXFLOAT))
        return FALSE;
      g_value_init (dest, type);
      g_value_set_float (dest, (gfloat) d);
      return TRUE;
    case G_TYPE_DOUBLE:
      g_value_init (dest, type);
      g_value_set_double (dest, d);
      return TRUE;
    default:
      return FALSE;
    }
}

static gboolean
convert_enum (const GValue *src,
              GType         type,
              GValue       *dest)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *enum_value = NULL;

  if (G_VALUE_HOLDS_STRING (src) && g_value_get_string (src) != NULL)
    {
      enum_value = g_enum_get_value_by_nick (klass, g_value_get_string (src));
      if (enum_value == NULL)
        enum_value = g_enum_get_value_by_name (klass, g_value_get_string (src));
    }
  else if (G_VALUE_HOLDS_ENUM (src))
    {
      g_autoptr(GEnumClass) src_class = g_type_class_ref (G_VALUE_TYPE (src));
      GEnumValue *src_value = g_enum_get_value (src_class, g_value_get_enum (src));

      if (src_value != NULL)
        enum_value = g_enum_get_value_by_nick (klass, src_value->value_nick);
    }

  if (enum_value == NULL)
    return FALSE;

  g_value_init (dest, type);
  g_value_set_enum (dest, enum_value->value);
  return TRUE;
}

static gboolean
convert_flags (const GValue *src,
               GType         type,
               GValue       *dest)
{
  g_autoptr(GFlagsClass) klass = g_type_class_ref (type);
  const char * const *nicks;
  guint               flags = 0;

  if (!G_VALUE_HOLDS (src, G_TYPE_STRV))
    return FALSE;

  nicks = g_value_get_boxed (src);
  for (guint i = 0; nicks != NULL && nicks[i] != NULL; i++)
    {
      GFlagsValue *flags_value = g_flags_get_value_by_nick (klass, nicks[i]);

      if (flags_value == NULL)
        return FALSE;
      flags |= flags_value->value;
    }

  g_value_init (dest, type);
  g_value_set_flags (dest, flags);
  return TRUE;
}

/* A null as it arrives: a NULL gpointer (the tag NULL) */
static gboolean
is_null (const GValue *value)
{
  return G_VALUE_TYPE (value) == G_TYPE_POINTER && g_value_get_pointer (value) == NULL;
}

/* The type of @value as a message names it */
static const char *
type_name_of (const GValue *value)
{
  if (!G_IS_VALUE (value))
    return "void";
  if (is_null (value))
    return "null";
  return G_VALUE_TYPE_NAME (value);
}

static gboolean
is_pointer_type (GType type)
{
  return G_TYPE_IS_OBJECT (type) || G_TYPE_IS_INTERFACE (type) ||
         G_TYPE_FUNDAMENTAL (type) == G_TYPE_BOXED ||
         G_TYPE_FUNDAMENTAL (type) == G_TYPE_VARIANT ||
         G_TYPE_FUNDAMENTAL (type) == G_TYPE_STRING ||
         G_TYPE_FUNDAMENTAL (type) == G_TYPE_POINTER;
}

/* A GVariant of a basic type (a boolean, a number, a string, an object
 * path or a signature) as the GValue of the type a C function declares
 * for it: 16-bit numbers and handles widen to int and uint, object paths
 * and signatures are strings. FALSE, and @dest untouched, for any other
 * type. */
gboolean
_comlink_variant_basic_to_value (GVariant *variant,
                                 GValue   *dest)
{
  switch ((int) g_variant_classify (variant))
    {
    case G_VARIANT_CLASS_BOOLEAN:
      g_value_init (dest, G_TYPE_BOOLEAN);
      g_value_set_boolean (dest, g_variant_get_boolean (variant));
      return TRUE;
    case G_VARIANT_CLASS_BYTE:
      g_value_init (dest, G_TYPE_UCHAR);
      g_value_set_uchar (dest, g_variant_get_byte (variant));
      return TRUE;
    case G_VARIANT_CLASS_INT16:
      g_value_init (dest, G_TYPE_INT);
      g_value_set_int (dest, g_variant_get_int16 (variant));
      return TRUE;
    case G_VARIANT_CLASS_UINT16:
      g_value_init (dest, G_TYPE_UINT);
      g_value_set_uint (dest, g_variant_get_uint16 (variant));
      return TRUE;
    case G_VARIANT_CLASS_INT32:
      g_value_init (dest, G_TYPE_INT);
      g_value_set_int (dest, g_variant_get_int32 (variant));
      return TRUE;
    case G_VARIANT_CLASS_HANDLE:
      g_value_init (dest, G_TYPE_INT);
      g_value_set_int (dest, g_variant_get_handle (variant));
      return TRUE;
    case G_VARIANT_CLASS_UINT32:
      g_value_init (dest, G_TYPE_UINT);
      g_value_set_uint (dest, g_variant_get_uint32 (variant));
      return TRUE;
    case G_VARIANT_CLASS_INT64:
      g_value_init (dest, G_TYPE_INT64);
      g_value_set_int64 (dest, g_variant_get_int64 (variant));
      return TRUE;
    case G_VARIANT_CLASS_UINT64:
      g_value_init (dest, G_TYPE_UINT64);
      g_value_set_uint64 (dest, g_variant_get_uint64 (variant));
      return TRUE;
    case G_VARIANT_CLASS_DOUBLE:
      g_value_init (dest, G_TYPE_DOUBLE);
      g_value_set_double (dest, g_variant_get_double (variant));
      return TRUE;
    case G_VARIANT_CLASS_STRING:
    case G_VARIANT_CLASS_OBJECT_PATH:
    case G_VARIANT_CLASS_SIGNATURE:
      g_value_init (dest, G_TYPE_STRING);
      g_value_set_string (dest, g_variant_get_string (variant, NULL));
      return TRUE;
    default:
      return FALSE;
    }
}

static gboolean variant_to_container (GVariant *variant,
                                      GValue   *dest);

/* An item of a GVariant array or dictionary as it would arrive on its
 * own; FALSE for a type no value maps (a dictionary with keys that are
 * not strings) */
static gboolean
variant_to_item (GVariant *variant,
                 GValue   *dest)
{
  if (_comlink_variant_basic_to_value (variant, dest))
    return TRUE;

  switch ((int) g_variant_classify (variant))
    {
    case G_VARIANT_CLASS_VARIANT:
      {
        g_autoptr(GVariant) child = g_variant_get_variant (variant);
        return variant_to_item (child, dest);
      }
    case G_VARIANT_CLASS_MAYBE:
      {
        g_autoptr(GVariant) child = g_variant_get_maybe (variant);

        /* m() Nothing is no value (undefined), another Nothing a null */
        if (child != NULL)
          return variant_to_item (child, dest);
        if (!g_variant_is_of_type (variant, G_VARIANT_TYPE ("m()")))
          g_value_init (dest, G_TYPE_POINTER);
        return TRUE;
      }
    case G_VARIANT_CLASS_ARRAY:
      if (g_variant_is_of_type (variant, G_VARIANT_TYPE_BYTESTRING))
        {
          g_value_init (dest, G_TYPE_BYTES);
          g_value_take_boxed (dest, g_variant_get_data_as_bytes (variant));
          return TRUE;
        }
      return variant_to_container (variant, dest);
    case G_VARIANT_CLASS_TUPLE:
      return variant_to_container (variant, dest);
    case G_VARIANT_CLASS_DICT_ENTRY:
    default:
      return FALSE;
    }
}

/* A GVariant array, tuple or dictionary with string keys as a container
 * of the values its items would be on their own */
static gboolean
variant_to_container (GVariant *variant,
                      GValue   *dest)
{
  const GVariantType *type = g_variant_get_type (variant);
  g_autoptr(ComlinkContainer) container = NULL;
  gboolean is_dict = FALSE;
  gsize    n;

  if (g_variant_type_is_array (type) && g_variant_type_is_dict_entry (g_variant_type_element (type)))
    {
      if (!g_variant_type_equal (g_variant_type_key (g_variant_type_element (type)), G_VARIANT_TYPE_STRING))
        return FALSE;
      is_dict = TRUE;
    }
  else if (!g_variant_type_is_array (type) && !g_variant_type_is_tuple (type))
    return FALSE;

  container = is_dict ? comlink_container_new_dict () : comlink_container_new_array ();
  n = g_variant_n_children (variant);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (variant, i);
      g_autoptr(GVariant) item_variant = is_dict ? g_variant_get_child_value (child, 1) : g_variant_ref (child);
      g_auto(GValue) item = G_VALUE_INIT;

      if (!variant_to_item (item_variant, &item))
        return FALSE;
      if (is_dict)
        {
          g_autoptr(GVariant) key = g_variant_get_child_value (child, 0);
          comlink_container_insert (container, g_variant_get_string (key, NULL), &item);
        }
      else
        _comlink_container_append_take (container, &item);
    }

  g_value_init (dest, COMLINK_TYPE_CONTAINER);
  g_value_take_boxed (dest, g_steal_pointer (&container));
  return TRUE;
}

gboolean
_comlink_value_convert (const GValue *src,
                        GType         type,
                        GValue       *dest,
                        GError      **error)
{
  GType src_type = G_VALUE_TYPE (src);

  g_assert (!G_IS_VALUE (dest));

  if (src_type == G_TYPE_INVALID || is_null (src))
    {
      /* Nothing (void) and a null convert to a NULL of any pointer type */
      if (is_pointer_type (type))
        {
          g_value_init (dest, type);
          return TRUE;
        }
    }
  else if (g_value_type_compatible (src_type, type))
    {
      g_value_init (dest, type);
      g_value_copy (src, dest);
      return TRUE;
    }
  else if ((G_TYPE_IS_OBJECT (src_type) || (G_TYPE_IS_INTERFACE (src_type) && g_type_is_a (src_type, G_TYPE_OBJECT))) &&
           (G_TYPE_IS_OBJECT (type) || G_TYPE_IS_INTERFACE (type)))
    {
      GObject *object = g_value_get_object (src);

      if (object == NULL || g_type_is_a (G_OBJECT_TYPE (object), type))
        {
          g_value_init (dest, type);
          g_value_set_object (dest, object);
          return TRUE;
        }
    }
  else if (type == COMLINK_TYPE_CONTAINER && src_type == G_TYPE_VARIANT && g_value_get_variant (src) != NULL)
    {
      /* The form of arrays and objects that hold no references */
      if (variant_to_container (g_value_get_variant (src), dest))
        return TRUE;
      if (G_IS_VALUE (dest))
        g_value_unset (dest);
    }
  else if (G_TYPE_IS_ENUM (type))
    {
      if (convert_enum (src, type, dest))
        return TRUE;
    }
  else if (G_TYPE_IS_FLAGS (type))
    {
      if (convert_flags (src, type, dest))
        return TRUE;
    }
  else if (convert_number (src, type, dest))
    return TRUE;

  g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH,
               _ ("A value of type %s does not convert to %s"),
               type_name_of (src), g_type_name (type));
  return FALSE;
}
