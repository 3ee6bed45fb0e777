/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The wire layer: building and checking messages.
 *
 * A message is a GVariant of type ((ytt)asv): message type, call id, target
 * object id, path (navigation path and member name), body. Values inside a
 * body are either plain basic values (b y n i u x t d ms as) or tagged
 * values (yv). doc/protocol.md describes every message.
 *
 * Messages from the peer are never trusted: _comlink_message_parse() checks
 * the type, the message type, the path and the body type of each kind
 * before anything above uses them.
 */

#include "config.h"

#include <string.h>

#include "comlink-error.h"
#include "comlink-private.h"
#include "comlink-container-private.h"
#include "comlink-wire-private.h"

/* g_variant_is_of_type() handles wildcards; exact types compare faster as
 * strings */
static inline gboolean
has_type (GVariant   *value,
          const char *type)
{
  return strcmp (g_variant_get_type_string (value), type) == 0;
}

static const char *body_types[COMLINK_MESSAGE_LAST + 1] = {
  [COMLINK_MESSAGE_HELLO] = "(us)",
  [COMLINK_MESSAGE_CALL] = "av",
  [COMLINK_MESSAGE_GET] = "()",
  [COMLINK_MESSAGE_SET] = NULL,
  [COMLINK_MESSAGE_RELEASE] = "a(tu)",
  [COMLINK_MESSAGE_CANCEL] = "()",
  [COMLINK_MESSAGE_REPLY] = NULL,
  [COMLINK_MESSAGE_ERROR] = "(sis)",
  [COMLINK_MESSAGE_CONSTRUCT] = "(asav)",
  [COMLINK_MESSAGE_SUBSCRIBE] = "()",
  [COMLINK_MESSAGE_SIGNAL] = "av",
  [COMLINK_MESSAGE_UNSUBSCRIBE] = "()",
  [COMLINK_MESSAGE_ENDPOINT] = "()",
  [COMLINK_MESSAGE_DESCRIBE] = "()",
};

static const char *tag_types[COMLINK_TAG_LAST + 1] = {
  [COMLINK_TAG_NONE] = "()",
  [COMLINK_TAG_VARIANT] = NULL,
  [COMLINK_TAG_BYTES] = "ay",
  [COMLINK_TAG_FLOAT] = "d",
  [COMLINK_TAG_ENUM] = "(ss)",
  [COMLINK_TAG_FLAGS] = "(sas)",
  [COMLINK_TAG_ERROR] = "(sis)",
  [COMLINK_TAG_OBJECT] = "t",
  [COMLINK_TAG_PEER] = "t",
  [COMLINK_TAG_ENDPOINT] = "s",
  [COMLINK_TAG_HANDLER] = "(sv)",
  [COMLINK_TAG_FDS] = "(sah)",
  [COMLINK_TAG_MEMFD] = "(th)",
  [COMLINK_TAG_SOCKET] = "h",
  [COMLINK_TAG_NULL] = "()",
  [COMLINK_TAG_ARRAY] = "av",
  [COMLINK_TAG_DICT] = "a{sv}",
};

void
_comlink_message_clear (ComlinkMessage *message)
{
  g_clear_pointer (&message->path, g_strfreev);
  g_clear_pointer (&message->body_variant, g_variant_unref);
  g_clear_pointer (&message->values, _comlink_wire_values_unref);
  if (message->frame_free != NULL)
    message->frame_free (message->frame_owner);
  message->frame_free = NULL;
  message->frame_owner = NULL;
  message->frame_body = NULL;
}

static gboolean
message_has_path (ComlinkMessageType type)
{
  return type == COMLINK_MESSAGE_CALL ||
         type == COMLINK_MESSAGE_GET ||
         type == COMLINK_MESSAGE_SET ||
         type == COMLINK_MESSAGE_CONSTRUCT ||
         type == COMLINK_MESSAGE_SUBSCRIBE;
}

/* Constant values shared by every message, and type infos kept alive, so
 * that the hot path neither rebuilds them nor frees them. */
static struct
{
  GVariant *empty_path;
  GVariant *unit;
  GVariant *none;
  GVariant *null;
  GVariant *keep_alive[4];
} constants;

static void
ensure_constants (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      ComlinkOutgoing cancel;

      constants.empty_path = g_variant_ref_sink (g_variant_new_strv (NULL, 0));
      constants.unit = g_variant_ref_sink (g_variant_new_tuple (NULL, 0));
      constants.none = g_variant_ref_sink (_comlink_wire_tag (COMLINK_TAG_NONE, constants.unit));
      constants.null = g_variant_ref_sink (_comlink_wire_tag (COMLINK_TAG_NULL, constants.unit));
      cancel = _comlink_message_new (COMLINK_MESSAGE_CANCEL, 0, 0, constants.empty_path, constants.unit);
      constants.keep_alive[0] = g_variant_ref_sink (_comlink_message_build (&cancel));
      _comlink_outgoing_clear (&cancel);
      constants.keep_alive[1] = g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE_VARIANT, NULL, 0));
      constants.keep_alive[2] = g_variant_ref_sink (g_variant_new_maybe (G_VARIANT_TYPE_STRING, NULL));
      constants.keep_alive[3] = g_variant_ref_sink (g_variant_new ("(sis)", "", 0, ""));
      g_once_init_leave (&initialized, 1);
    }
}

/* Checks what every message must be, however it came: a known type, the
 * body type of that type, a path where the type has one */
gboolean
_comlink_message_check (ComlinkMessage *message,
                        GError        **error)
{
  const char *body_type;

  if (message->type < COMLINK_MESSAGE_HELLO || message->type > COMLINK_MESSAGE_LAST)
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                   _ ("Unknown message type %u"), message->type);
      return FALSE;
    }

  /* A NULL body type is a value, which the value layer checks; an ERROR
   * may carry details */
  body_type = _comlink_message_get_body_type (message);
  if (body_types[message->type] != NULL &&
      strcmp (body_type, body_types[message->type]) != 0 &&
      !(message->type == COMLINK_MESSAGE_ERROR && strcmp (body_type, COMLINK_ERROR_DETAILS_TYPE_STRING) == 0))
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                   _ ("Message type %u with a body of type “%s”"),
                   message->type, body_type);
      return FALSE;
    }

  /* DESCRIBE names an object, by its navigation path alone */
  if (message->type == COMLINK_MESSAGE_DESCRIBE ? message->n_path >= COMLINK_MAX_PATH_LENGTH
      : message_has_path (message->type)        ? (message->n_path == 0 || message->n_path > COMLINK_MAX_PATH_LENGTH)
                                                : message->n_path != 0)
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                   g_dngettext (GETTEXT_PACKAGE,
                                "Message type %u with a path of %u element",
                                "Message type %u with a path of %u elements",
                                message->n_path),
                   message->type, message->n_path);
      return FALSE;
    }

  return TRUE;
}

/* Reads the header (ytt) of 24 bytes: type, call id, target object id */
static void
read_header (const guint8   *data,
             ComlinkMessage *message)
{
  guint64 id;
  guint64 target;

  memcpy (&id, data + 8, sizeof id);
  memcpy (&target, data + 16, sizeof target);
  message->type = data[0];
  message->id = GUINT64_FROM_LE (id);
  message->target = GUINT64_FROM_LE (target);
}

/* Fills @message from a GVariant message, which may come from anywhere:
 * its type is checked here, the rest by _comlink_message_check() */
gboolean
_comlink_message_parse (GVariant       *variant,
                        ComlinkMessage *message,
                        GError        **error)
{
  g_autoptr(GVariant) header = NULL;
  g_autoptr(GVariant) path = NULL;
  g_autoptr(GVariant) boxed = NULL;

  memset (message, 0, sizeof *message);

  if (!has_type (variant, COMLINK_MESSAGE_TYPE_STRING))
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                   _ ("Message of type “%s” instead of “%s”"),
                   g_variant_get_type_string (variant), COMLINK_MESSAGE_TYPE_STRING);
      return FALSE;
    }

  header = g_variant_get_child_value (variant, 0);
  path = g_variant_get_child_value (variant, 1);
  boxed = g_variant_get_child_value (variant, 2);
  message->body_variant = g_variant_get_variant (boxed);
  /* A serialised (ytt) is the 24 bytes that _comlink_message_build()
   * writes, in the byte order of this machine */
  g_assert (g_variant_get_size (header) == 24);
  {
    const guint8 *data = g_variant_get_data (header);
    guint64       id;
    guint64       target;

    memcpy (&id, data + 8, sizeof id);
    memcpy (&target, data + 16, sizeof target);
    message->type = data[0];
    message->id = id;
    message->target = target;
  }
  message->n_path = (guint) MIN (g_variant_n_children (path), G_MAXUINT);
  if (message->n_path > 0 && message->n_path <= COMLINK_MAX_PATH_LENGTH)
    message->path = g_variant_dup_strv (path, NULL);
  message->size = g_variant_get_size (variant);

  return TRUE;
}

/* The body of @message that lies in its frame, as a GVariant of type
 * @type that takes the frame over: GLib may trust it, it was checked */
static GVariant *
body_from_frame (ComlinkMessage *message,
                 const char     *type)
{
  g_autoptr(GBytes) bytes = g_bytes_new_with_free_func (message->frame_body, message->frame_body_size,
                                                         message->frame_free, message->frame_owner);

  message->frame_free = NULL;
  message->frame_owner = NULL;
  return g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (type), bytes, TRUE));
}

/* The body of @message as a GVariant, made now if it came in another
 * form; @message keeps it */
GVariant *
_comlink_message_get_body (ComlinkMessage *message)
{
  if (message->body_variant == NULL && message->values != NULL)
    message->body_variant = _comlink_wire_values_build (message->values);
  else if (message->body_variant == NULL)
    message->body_variant = body_from_frame (message, message->body_type);

  return message->body_variant;
}

/* The type of the body of @message, without making a GVariant of it
 * where that can be helped */
const char *
_comlink_message_get_body_type (ComlinkMessage *message)
{
  if (message->body_type[0] != '\0')
    return message->body_type;
  if (message->values != NULL && message->values->is_array)
    return "av";
  if (message->values != NULL && message->values->n == 1)
    return _comlink_wire_value_type (&message->values->values[0]);

  return g_variant_get_type_string (_comlink_message_get_body (message));
}

/* --- Values as this side sends them --- */

ComlinkWireValues *
_comlink_wire_values_new (gboolean is_array,
                          guint    n)
{
  /* Not g_malloc0 (): glibc's calloc() takes no thread cache */
  ComlinkWireValues *values = g_malloc (sizeof *values + n * sizeof (ComlinkWireValue));

  memset (values, 0, sizeof *values + n * sizeof (ComlinkWireValue));

  values->ref_count = 1;
  values->is_array = is_array;
  values->n = n;
  return values;
}

ComlinkWireValues *
_comlink_wire_values_ref (ComlinkWireValues *values)
{
  g_atomic_int_inc (&values->ref_count);
  return values;
}

void
_comlink_wire_values_unref (ComlinkWireValues *values)
{
  if (!g_atomic_int_dec_and_test (&values->ref_count))
    return;

  for (guint i = 0; i < values->n; i++)
    {
      ComlinkWireValue *value = &values->values[i];

      if (value->kind == 's')
        g_free (value->u.string);
      else if (value->kind == 'v' && value->u.variant != NULL)
        g_variant_unref (value->u.variant);
    }
  g_free (values);
}

/* The wire type of @value */
const char *
_comlink_wire_value_type (const ComlinkWireValue *value)
{
  switch (value->kind)
    {
    case 'b':
      return "b";
    case 'y':
      return "y";
    case 'n':
      return "n";
    case 'i':
      return "i";
    case 'u':
      return "u";
    case 'x':
      return "x";
    case 't':
      return "t";
    case 'd':
      return "d";
    case 's':
      return "ms";
    default:
      return g_variant_get_type_string (value->u.variant);
    }
}

/* @value as a GVariant: floating for a plain value, else its own
 * (borrowed) GVariant */
GVariant *
_comlink_wire_value_to_variant (const ComlinkWireValue *value)
{
  switch (value->kind)
    {
    case 'b':
      return g_variant_new_boolean (value->u.number != 0);
    case 'y':
      return g_variant_new_byte ((guint8) value->u.number);
    case 'n':
      return g_variant_new_int16 ((gint16) value->u.number);
    case 'i':
      return g_variant_new_int32 ((gint32) value->u.number);
    case 'u':
      return g_variant_new_uint32 ((guint32) value->u.number);
    case 'x':
      return g_variant_new_int64 ((gint64) value->u.number);
    case 't':
      return g_variant_new_uint64 (value->u.number);
    case 'd':
      return g_variant_new_double (value->u.dbl);
    case 's':
      return g_variant_new_maybe (G_VARIANT_TYPE_STRING,
                                  value->u.string != NULL ? g_variant_new_string (value->u.string) : NULL);
    default:
      return value->u.variant;
    }
}

/* The body that @values make, as a GVariant: a new reference */
GVariant *
_comlink_wire_values_build (const ComlinkWireValues *values)
{
  if (values->is_array)
    {
      g_autofree GVariant **children = g_new (GVariant *, MAX (values->n, 1));

      for (guint i = 0; i < values->n; i++)
        children[i] = g_variant_new_variant (_comlink_wire_value_to_variant (&values->values[i]));
      return g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE_VARIANT, children, values->n));
    }

  g_assert (values->n == 1);
  if (values->values[0].kind == 'v')
    return g_variant_ref (values->values[0].u.variant);
  return g_variant_ref_sink (_comlink_wire_value_to_variant (&values->values[0]));
}

/* Sets @out from @value if it is a plain value (a number, a boolean, a
 * string, no value or null), as _comlink_value_from_wire() would read its
 * GVariant; FALSE for any other */
gboolean
_comlink_wire_value_plain (const ComlinkWireValue *value,
                           GValue                 *out)
{
  switch (value->kind)
    {
    case 'b':
      g_value_init (out, G_TYPE_BOOLEAN);
      g_value_set_boolean (out, value->u.number != 0);
      return TRUE;
    case 'y':
      g_value_init (out, G_TYPE_UCHAR);
      g_value_set_uchar (out, (guchar) value->u.number);
      return TRUE;
    case 'n':
      g_value_init (out, G_TYPE_CHAR);
      g_value_set_schar (out, (gint8) value->u.number);
      return TRUE;
    case 'i':
      g_value_init (out, G_TYPE_INT);
      g_value_set_int (out, (gint32) value->u.number);
      return TRUE;
    case 'u':
      g_value_init (out, G_TYPE_UINT);
      g_value_set_uint (out, (guint32) value->u.number);
      return TRUE;
    case 'x':
      g_value_init (out, G_TYPE_INT64);
      g_value_set_int64 (out, (gint64) value->u.number);
      return TRUE;
    case 't':
      g_value_init (out, G_TYPE_UINT64);
      g_value_set_uint64 (out, value->u.number);
      return TRUE;
    case 'd':
      g_value_init (out, G_TYPE_DOUBLE);
      g_value_set_double (out, value->u.dbl);
      return TRUE;
    case 's':
      g_value_init (out, G_TYPE_STRING);
      g_value_set_string (out, value->u.string);
      return TRUE;
    default:
      if (value->u.variant == _comlink_wire_none ())
        return TRUE;
      if (value->u.variant == _comlink_wire_null ())
        {
          g_value_init (out, G_TYPE_POINTER);
          return TRUE;
        }
      return FALSE;
    }
}

/* Reads a little-endian framing offset of @size bytes */
static gsize
read_offset (const guint8 *data,
             gsize         size)
{
  gsize value = 0;

  for (gsize i = 0; i < size; i++)
    value |= (gsize) data[i] << (8 * i);
  return value;
}

/* Reads the "as" path of @size bytes at @path, serialised and checked (or
 * built here), into @message: the number of its elements, and their
 * copies when there are no more than a path may have */
static void
read_path (const guint8   *path,
           gsize           path_size,
           ComlinkMessage *message)
{
  gsize path_offset_size;
  gsize table;
  gsize n;

  /* Strings, then the end of each */
  if (path_size == 0)
    return;
  path_offset_size = _comlink_wire_offset_size (path_size);
  table = read_offset (path + path_size - path_offset_size, path_offset_size);
  n = (path_size - table) / path_offset_size;

  message->n_path = (guint) MIN (n, G_MAXUINT);
  if (n <= COMLINK_MAX_PATH_LENGTH)
    {
      gsize start = 0;

      message->path = g_new (char *, n + 1);
      for (gsize i = 0; i < n; i++)
        {
          gsize end = read_offset (path + table + i * path_offset_size, path_offset_size);

          message->path[i] = g_strndup ((const char *) path + start, end - start - 1);
          start = end;
        }
      message->path[n] = NULL;
    }
}

/* Fills @message from a frame of a stream, in place: @data is the
 * serialised "v" holding the message, little-endian, that
 * _comlink_wire_check_serialised() accepted, so that every offset in it is
 * in range and every string terminated. The body stays in the frame,
 * @owner, which @free_func releases with the message (or with the body's
 * GVariant, once _comlink_message_get_body() made one; and at once if this
 * fails). Linear in the size of the path; nothing else depends on the
 * frame's size. */
gboolean
_comlink_message_read (const guint8   *data,
                       gsize           size,
                       GDestroyNotify  free_func,
                       gpointer        owner,
                       ComlinkMessage *message,
                       GError        **error)
{
  static const char type_string[] = COMLINK_MESSAGE_TYPE_STRING;
  const gsize       type_length = sizeof type_string - 1;
  const guint8     *path;
  const guint8     *boxed;
  const guint8     *separator;
  gsize             message_size;
  gsize             offset_size;
  gsize             path_size;
  gsize             boxed_start;
  gsize             boxed_size;
  gsize             value_size;
  gsize             type_size;

  memset (message, 0, sizeof *message);

  /* The type string follows the last zero byte; it has none itself */
  if (size < type_length + 1 + 24 ||
      data[size - type_length - 1] != 0 ||
      memcmp (data + size - type_length, type_string, type_length) != 0)
    {
      /* The checked frame is a "v": its type follows its last zero byte */
      gsize start = size;

      while (start > 0 && data[start - 1] != 0)
        start--;
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                   _ ("Message of type “%.*s” instead of “%s”"),
                   (int) MIN (size - start, 64), (const char *) data + start,
                   COMLINK_MESSAGE_TYPE_STRING);
      free_func (owner);
      return FALSE;
    }

  /* ((ytt)asv): the fixed header, the path, the boxed body, and one
   * framing offset, the end of the path */
  message_size = size - type_length - 1;
  offset_size = _comlink_wire_offset_size (message_size);
  read_header (data, message);
  path = data + 24;
  path_size = read_offset (data + message_size - offset_size, offset_size) - 24;
  boxed_start = (24 + path_size + 7) & ~(gsize) 7;
  boxed = data + boxed_start;
  boxed_size = message_size - offset_size - boxed_start;

  read_path (path, path_size, message);

  /* The body: its value, a zero byte, its type */
  separator = boxed + boxed_size - 1;
  while (*separator != 0)
    separator--;
  value_size = separator - boxed;
  type_size = boxed_size - value_size - 1;
  message->frame_body = boxed;
  message->frame_body_size = value_size;
  message->frame_free = free_func;
  message->frame_owner = owner;
  if (type_size < sizeof message->body_type)
    memcpy (message->body_type, separator + 1, type_size);
  else
    {
      /* A long type, which no hot path has: the GVariant now */
      g_autofree char *body_type = g_strndup ((const char *) separator + 1, type_size);

      message->body_variant = body_from_frame (message, body_type);
    }
  message->size = size;

  return TRUE;
}

/* Reads the plain value (a number, a boolean, a string, no value or null)
 * of type @type that lies in the @size bytes at @data, serialised, checked
 * and little-endian, into @item, as a sender has it (a string is borrowed
 * from @data); FALSE for any other value, which the caller reads the slow
 * way */
static gboolean
read_plain_item (const guint8     *data,
                 gsize             size,
                 const char       *type,
                 gsize             type_size,
                 ComlinkWireValue *item)
{
  if (G_BYTE_ORDER != G_LITTLE_ENDIAN)
    return FALSE;

  if (type_size == 2 && type[0] == 'm' && type[1] == 's')
    {
      /* Nothing, or the string, its nul and the zero byte of the maybe */
      item->kind = 's';
      item->u.string = size >= 2 ? (char *) data : NULL;
      return TRUE;
    }

  if (type_size == 4 && memcmp (type, "(yv)", 4) == 0)
    {
      GVariant *none = _comlink_wire_none ();
      GVariant *null = _comlink_wire_null ();

      item->kind = 'v';
      if (size == g_variant_get_size (none) && memcmp (data, g_variant_get_data (none), size) == 0)
        item->u.variant = none;
      else if (size == g_variant_get_size (null) && memcmp (data, g_variant_get_data (null), size) == 0)
        item->u.variant = null;
      else
        return FALSE;
      return TRUE;
    }

  if (type_size != 1)
    return FALSE;

  item->kind = type[0];
  switch (type[0])
    {
    case 'b':
    case 'y':
      if (size != 1 || (type[0] == 'b' && data[0] > 1))
        return FALSE;
      item->u.number = data[0];
      return TRUE;
    case 'n':
      {
        gint16 v;

        if (size != sizeof v)
          return FALSE;
        memcpy (&v, data, sizeof v);
        if (v < G_MININT8 || v > G_MAXINT8)
          return FALSE;
        item->u.number = (guint64) (gint64) v;
        return TRUE;
      }
    case 'i':
    case 'u':
      {
        guint32 v;

        if (size != sizeof v)
          return FALSE;
        memcpy (&v, data, sizeof v);
        item->u.number = type[0] == 'i' ? (guint64) (gint64) (gint32) v : v;
        return TRUE;
      }
    case 'x':
    case 't':
    case 'd':
      /* A double's bits go where _comlink_wire_value_plain () reads them */
      if (size != 8)
        return FALSE;
      if (type[0] == 'd')
        memcpy (&item->u.dbl, data, 8);
      else
        memcpy (&item->u.number, data, 8);
      return TRUE;
    default:
      return FALSE;
    }
}

/* Sets @value from a plain value that lies in a frame, as
 * _comlink_value_from_wire() would read it (read_plain_item () says what
 * lies there, _comlink_wire_value_plain () makes the GValue) */
static gboolean
read_plain (const guint8 *data,
            gsize         size,
            const char   *type,
            gsize         type_size,
            GValue       *value)
{
  ComlinkWireValue item;

  return read_plain_item (data, size, type, type_size, &item) && _comlink_wire_value_plain (&item, value);
}

/* Sets @value from the body of @message, a value (REPLY, SET), if it is a
 * plain one that can be read without a GVariant: where it lies in its
 * frame, or as an in-process peer sent it; FALSE for any other, which the
 * caller reads from _comlink_message_get_body() */
gboolean
_comlink_message_read_plain (ComlinkMessage *message,
                             GValue         *value)
{
  if (message->values != NULL)
    return !message->values->is_array && message->values->n == 1 &&
           _comlink_wire_value_plain (&message->values->values[0], value);

  if (message->frame_body != NULL && message->body_type[0] != '\0')
    return read_plain (message->frame_body, message->frame_body_size,
                       message->body_type, strlen (message->body_type), value);

  return FALSE;
}

/* Takes apart the "av" of @size bytes at @data where it lies: it must be
 * serialised, checked and little-endian, as the body of a frame read in
 * place is */
void
_comlink_wire_array_init (ComlinkWireArray *array,
                          const guint8     *data,
                          gsize             size)
{
  array->data = data;
  array->size = size;
  array->offset_size = _comlink_wire_offset_size (array->size);
  array->table = array->size > 0 ? read_offset (array->data + array->size - array->offset_size, array->offset_size) : 0;
  array->n = array->size > 0 ? (array->size - array->table) / array->offset_size : 0;
}

/* Sets @value from element @i of @array if it is a plain value, read where
 * it lies, as _comlink_value_from_wire() would; FALSE for any other
 * element, which the caller reads the slow way */
gboolean
_comlink_wire_array_plain (const ComlinkWireArray *array,
                           gsize                   i,
                           GValue                 *value)
{
  gsize start = 0;
  gsize end = read_offset (array->data + array->table + i * array->offset_size, array->offset_size);
  gsize separator;

  /* Each element is a variant, aligned to 8 after the one before: its
   * value, a zero byte, its type */
  if (i > 0)
    start = (read_offset (array->data + array->table + (i - 1) * array->offset_size, array->offset_size) + 7) & ~(gsize) 7;
  separator = end;
  while (separator > start && end - separator <= 4 && array->data[separator - 1] != 0)
    separator--;
  if (separator <= start || end - separator > 4)
    return FALSE;

  return read_plain (array->data + start, separator - 1 - start,
                     (const char *) array->data + separator, end - separator, value);
}

/* Fills @message with what an in-process peer sent: a reference to its
 * body, a copy of its path */
void
_comlink_message_take (ComlinkMessage        *message,
                       const ComlinkOutgoing *outgoing)
{
  memset (message, 0, sizeof *message);
  message->type = outgoing->type;
  message->id = outgoing->id;
  message->target = outgoing->target;
  if (outgoing->values != NULL)
    message->values = _comlink_wire_values_ref (outgoing->values);
  else
    message->body_variant = g_variant_ref (outgoing->body);
  /* The path is serialised (_comlink_message_new_path() does it), and
   * read as a frame's path is */
  if (outgoing->path != NULL)
    {
      const guint8 *data = g_variant_get_data (outgoing->path);

      read_path (data, g_variant_get_size (outgoing->path), message);
    }
}

/* The bytes @message takes, for the bounds of what is held back */
gsize
_comlink_message_get_size (ComlinkMessage *message)
{
  if (message->size == 0)
    {
      message->size = g_variant_get_size (_comlink_message_get_body (message)) + 32;
      for (guint i = 0; i < message->n_path && message->path != NULL; i++)
        message->size += strlen (message->path[i]) + 1;
    }
  return message->size;
}

/* The GVariant of a message that came, for listeners of
 * ComlinkEndpoint::message */
GVariant *
_comlink_message_to_variant (ComlinkMessage *message)
{
  g_autoptr(GVariant) path = NULL;
  ComlinkOutgoing outgoing;
  GVariant       *variant;

  path = g_variant_ref_sink (g_variant_new_strv ((const char * const *) message->path,
                                                 message->path != NULL ? -1 : 0));
  outgoing = _comlink_message_new (message->type, message->id, message->target, path,
                                   _comlink_message_get_body (message));
  variant = _comlink_message_build (&outgoing);
  _comlink_outgoing_clear (&outgoing);

  return variant;
}

/* The header (ytt) is built serialised, in one piece: type, call id,
 * target object id */
static GVariant *
header_new (ComlinkMessageType type,
            guint64            id,
            guint64            target)
{
  struct
  {
    guint8  type;
    guint8  padding[7];
    guint64 id;
    guint64 target;
  } header;

  G_STATIC_ASSERT (sizeof header == 24);
  memset (&header, 0, sizeof header);
  header.type = type;
  header.id = id;
  header.target = target;

  {
    g_autoptr(GBytes) bytes = g_bytes_new (&header, sizeof header);

    return g_variant_new_from_bytes (G_VARIANT_TYPE ("(ytt)"), bytes, TRUE);
  }
}

/* @path is the "as" path of the message (a navigation path and a member),
 * or NULL for none; @body is sunk if floating, else referenced */
ComlinkOutgoing
_comlink_message_new (ComlinkMessageType type,
                      guint64            id,
                      guint64            target,
                      GVariant          *path,
                      GVariant          *body)
{
  ComlinkOutgoing message = { type, id, target, path, g_variant_ref_sink (body), NULL };

  return message;
}

/* A message whose body is @values, which it takes */
ComlinkOutgoing
_comlink_message_new_values (ComlinkMessageType type,
                             guint64            id,
                             guint64            target,
                             GVariant          *path,
                             ComlinkWireValues *values)
{
  ComlinkOutgoing message = { type, id, target, path, NULL, values };

  return message;
}

void
_comlink_outgoing_clear (ComlinkOutgoing *message)
{
  g_clear_pointer (&message->body, g_variant_unref);
  g_clear_pointer (&message->values, _comlink_wire_values_unref);
}

/* The body of @message as a GVariant, a new reference */
GVariant *
_comlink_outgoing_get_body (const ComlinkOutgoing *message)
{
  if (message->values != NULL)
    return _comlink_wire_values_build (message->values);
  return g_variant_ref (message->body);
}

/* The message as one GVariant of type ((ytt)asv), for transports that
 * carry GVariants */
GVariant *
_comlink_message_build (const ComlinkOutgoing *message)
{
  GVariant *children[3];

  children[0] = header_new (message->type, message->id, message->target);
  children[1] = message->path ? message->path : (ensure_constants (), constants.empty_path);
  {
    g_autoptr(GVariant) body = _comlink_outgoing_get_body (message);

    children[2] = g_variant_new_variant (body);
  }

  return g_variant_new_tuple (children, G_N_ELEMENTS (children));
}

GVariant *
_comlink_message_new_path (const char * const *path,
                           gsize               n_path,
                           const char         *member)
{
  GVariant *elements[COMLINK_MAX_PATH_LENGTH + 1];
  GVariant *ret;
  gsize     n = 0;

  g_assert (n_path < COMLINK_MAX_PATH_LENGTH);

  for (gsize i = 0; i < n_path; i++)
    elements[n++] = g_variant_new_string (path[i]);
  if (member != NULL)
    elements[n++] = g_variant_new_string (member);

  /* Serialised now, once: a proxy keeps the path of its last member, and
   * writing a serialised path is a copy */
  ret = g_variant_new_array (G_VARIANT_TYPE_STRING, elements, n);
  g_variant_get_data (ret);
  return ret;
}

GVariant *
_comlink_wire_unit (void)
{
  ensure_constants ();
  return constants.unit;
}

GVariant *
_comlink_wire_none (void)
{
  ensure_constants ();
  return constants.none;
}

/* A null value, told apart from no value for the bindings (JavaScript's
 * null and undefined); C receives both as a NULL of any pointer type */
GVariant *
_comlink_wire_null (void)
{
  ensure_constants ();
  return constants.null;
}

ComlinkOutgoing
_comlink_message_new_hello (void)
{
  return _comlink_message_new (COMLINK_MESSAGE_HELLO, 0, 0, NULL,
                               g_variant_new ("(us)", COMLINK_PROTOCOL_VERSION, "comlink-glib"));
}

gboolean
_comlink_message_check_hello (ComlinkMessage *message,
                              GError        **error)
{
  guint32 version;

  if (message->type != COMLINK_MESSAGE_HELLO)
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                   _ ("Message type %u before the handshake"), message->type);
      return FALSE;
    }

  g_variant_get (_comlink_message_get_body (message), "(u&s)", &version, NULL);
  if (version != COMLINK_PROTOCOL_VERSION)
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                   _ ("The peer speaks protocol version %u, not %u"),
                   version, COMLINK_PROTOCOL_VERSION);
      return FALSE;
    }

  return TRUE;
}

ComlinkOutgoing
_comlink_message_new_reply (guint64   id,
                            GVariant *value)
{
  return _comlink_message_new (COMLINK_MESSAGE_REPLY, id, 0, NULL, value);
}

ComlinkOutgoing
_comlink_message_new_error (guint64       id,
                            const GError *error)
{
  return _comlink_message_new (COMLINK_MESSAGE_ERROR, id, 0, NULL,
                               _comlink_wire_error_new (error));
}

/* An ERROR with the class name and the stack of the error where the
 * sender has them and they may travel */
ComlinkOutgoing
_comlink_message_new_error_full (guint64       id,
                                 const GError *error,
                                 const char   *class_name,
                                 const char   *stack)
{
  return _comlink_message_new (COMLINK_MESSAGE_ERROR, id, 0, NULL,
                               _comlink_wire_error_new_full (error, class_name, stack));
}

ComlinkOutgoing
_comlink_message_new_release (guint64 id,
                              GArray *releases)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(tu)"));
  for (guint i = 0; i < releases->len; i++)
    {
      const ComlinkRelease *release = &g_array_index (releases, ComlinkRelease, i);
      g_variant_builder_add (&builder, "(tu)", release->id, release->count);
    }

  return _comlink_message_new (COMLINK_MESSAGE_RELEASE, id, 0, NULL,
                               g_variant_builder_end (&builder));
}

ComlinkOutgoing
_comlink_message_new_cancel (guint64 id)
{
  return _comlink_message_new (COMLINK_MESSAGE_CANCEL, id, 0, NULL, _comlink_wire_unit ());
}

GVariant *
_comlink_wire_tag (ComlinkTag tag,
                   GVariant  *content)
{
  GVariant *children[2];

  children[0] = g_variant_new_byte (tag);
  children[1] = g_variant_new_variant (content);

  return g_variant_new_tuple (children, 2);
}

gboolean
_comlink_wire_is_tagged (GVariant *value)
{
  return has_type (value, "(yv)");
}

ComlinkTag
_comlink_wire_untag (GVariant  *value,
                     GVariant **content,
                     GError   **error)
{
  g_autoptr(GVariant) tag_value = g_variant_get_child_value (value, 0);
  g_autoptr(GVariant) boxed = g_variant_get_child_value (value, 1);
  g_autoptr(GVariant) inner = g_variant_get_variant (boxed);
  guint8 tag = g_variant_get_byte (tag_value);

  if (tag < COMLINK_TAG_NONE || tag > COMLINK_TAG_LAST)
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                   _ ("Unknown value tag %u"), tag);
      return 0;
    }

  if (tag_types[tag] != NULL &&
      !has_type (inner, tag_types[tag]))
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                   _ ("Value tag %u with content of type “%s”"),
                   tag, g_variant_get_type_string (inner));
      return 0;
    }

  *content = g_steal_pointer (&inner);
  return tag;
}

/* Marks the file descriptors that the values in @value refer to; returns
 * FALSE for an index out of range or used twice. Values sit in the body
 * itself, in arrays of variants and in tuples; the contents of a carried
 * GVariant or of a transfer handler are opaque. */
static gboolean
mark_fd (gint32  handle,
         guint8 *used,
         guint   n_fds)
{
  if (handle < 0 || (guint) handle >= n_fds || used[handle])
    return FALSE;
  used[handle] = TRUE;
  return TRUE;
}

static gboolean
mark_fds (GVariant *value,
          guint8   *used,
          guint     n_fds,
          guint     depth)
{
  gsize n;

  /* Three levels for each container: its tag, its items, an item */
  if (depth > 3 * COMLINK_CONTAINER_MAX_DEPTH + 16 || !g_variant_is_container (value))
    return TRUE;

  if (g_variant_is_of_type (value, G_VARIANT_TYPE ("(yv)")))
    {
      g_autoptr(GVariant) content = NULL;
      ComlinkTag tag = _comlink_wire_untag (value, &content, NULL);
      g_autoptr(GVariant) handles = NULL;
      gint32 handle;

      if (tag == COMLINK_TAG_SOCKET)
        return mark_fd (g_variant_get_handle (content), used, n_fds);
      if (tag == COMLINK_TAG_MEMFD)
        {
          g_variant_get (content, "(th)", NULL, &handle);
          return mark_fd (handle, used, n_fds);
        }
      if (tag == COMLINK_TAG_ARRAY || tag == COMLINK_TAG_DICT)
        return mark_fds (content, used, n_fds, depth + 1);
      if (tag != COMLINK_TAG_FDS)
        return TRUE;

      handles = g_variant_get_child_value (content, 1);
      n = g_variant_n_children (handles);
      for (gsize i = 0; i < n; i++)
        {
          g_variant_get_child (handles, i, "h", &handle);
          if (!mark_fd (handle, used, n_fds))
            return FALSE;
        }
      return TRUE;
    }

  n = g_variant_n_children (value);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (value, i);

      if (g_variant_is_of_type (child, G_VARIANT_TYPE_VARIANT))
        {
          g_autoptr(GVariant) inner = g_variant_get_variant (child);

          if (!mark_fds (inner, used, n_fds, depth + 1))
            return FALSE;
        }
      else if (!mark_fds (child, used, n_fds, depth + 1))
        return FALSE;
    }

  return TRUE;
}

/* Checks that the values of a message body refer to each of the @n_fds
 * file descriptors that came beside it exactly once */
gboolean
_comlink_wire_check_fds (GVariant *body,
                         guint     n_fds,
                         GError  **error)
{
  g_autofree guint8 *used = g_new0 (guint8, MAX (n_fds, 1));
  g_autoptr(GVariant) top = g_variant_new_tuple (&body, 1);

  g_variant_ref_sink (top);
  if (!mark_fds (top, used, n_fds, 0))
    {
      g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                           _ ("A value refers to a file descriptor that did not come with the message"));
      return FALSE;
    }

  for (guint i = 0; i < n_fds; i++)
    if (!used[i])
      {
        g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                             _ ("A file descriptor where none is expected"));
        return FALSE;
      }

  return TRUE;
}

GVariant *
_comlink_wire_error_new (const GError *error)
{
  return _comlink_wire_error_new_full (error, NULL, NULL);
}

/* The length of what of @text may travel as a detail of at most
 * @max_length bytes: all of it, or, if @truncate, its first @max_length
 * bytes cut back to a character boundary; 0 for none at all (empty, too
 * long, or not valid UTF-8) */
static gsize
detail_length (const char *text,
               gsize       max_length,
               gboolean    truncate)
{
  gsize length;

  if (text == NULL)
    return 0;

  length = strnlen (text, max_length + 1);
  if (length > max_length)
    {
      if (!truncate)
        return 0;
      length = max_length;
      while (length > 0 && ((guchar) text[length] & 0xC0) == 0x80)
        length--;
    }

  return g_utf8_validate (text, length, NULL) ? length : 0;
}

/* (sis), or (sisa{sv}) when there are details that may travel: a class
 * name of at most COMLINK_ERROR_MAX_CLASS_NAME bytes, and the stack, cut
 * to COMLINK_ERROR_MAX_STACK bytes. See doc/protocol.md, Errors. */
GVariant *
_comlink_wire_error_new_full (const GError *error,
                              const char   *class_name,
                              const char   *stack)
{
  const char     *domain = g_quark_to_string (error->domain);
  const char     *message = error->message ? error->message : "";
  gsize           class_length = detail_length (class_name, COMLINK_ERROR_MAX_CLASS_NAME, FALSE);
  gsize           stack_length = detail_length (stack, COMLINK_ERROR_MAX_STACK, TRUE);
  GVariantBuilder details;

  if (!g_utf8_validate (message, -1, NULL))
    message = "(invalid UTF-8 in error message)";

  if (class_length == 0 && stack_length == 0)
    return g_variant_new ("(sis)", domain, error->code, message);

  g_variant_builder_init (&details, G_VARIANT_TYPE_VARDICT);
  if (class_length > 0)
    {
      g_autofree char *text = g_strndup (class_name, class_length);

      g_variant_builder_add (&details, "{sv}", "class", g_variant_new_string (text));
    }
  if (stack_length > 0)
    {
      g_autofree char *text = g_strndup (stack, stack_length);

      g_variant_builder_add (&details, "{sv}", "stack", g_variant_new_string (text));
    }

  return g_variant_new ("(sisa{sv})", domain, error->code, message, &details);
}

/* Maps a peer's error back to a GError. A domain is used only when its
 * quark already exists in this process: no quark is ever created from
 * what the peer sent. @content is (sis) or (sisa{sv}). */
GError *
_comlink_wire_error_parse (GVariant *content)
{
  const char *domain;
  const char *message;
  gint32      code;
  GQuark      quark;

  g_variant_get_child (content, 0, "&s", &domain);
  g_variant_get_child (content, 1, "i", &code);
  g_variant_get_child (content, 2, "&s", &message);

  quark = g_quark_try_string (domain);
  if (quark == 0)
    return g_error_new (COMLINK_ERROR, COMLINK_ERROR_REMOTE,
                        "%s (%s, %d)", message, domain, code);

  return g_error_new_literal (quark, code, message);
}

/* A string detail of the peer, or NULL if it has none or one that this
 * side refuses: of another type, empty, longer than @max_length, or not
 * valid UTF-8 */
static char *
detail_dup (GVariant   *details,
            const char *key,
            gsize       max_length)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (details, key, G_VARIANT_TYPE_STRING);
  const char *text;
  gsize       length;

  if (value == NULL)
    return NULL;

  text = g_variant_get_string (value, &length);
  if (length == 0 || length > max_length || !g_utf8_validate (text, length, NULL))
    return NULL;

  return g_strndup (text, length);
}

/* The details of an ERROR body: TRUE with the class name and the stack
 * (either may be NULL) if it has any that this side accepts. Unknown
 * keys are ignored. */
gboolean
_comlink_wire_error_parse_details (GVariant *content,
                                   char    **class_name,
                                   char    **stack)
{
  g_autoptr(GVariant) details = NULL;

  *class_name = NULL;
  *stack = NULL;
  if (!has_type (content, COMLINK_ERROR_DETAILS_TYPE_STRING))
    return FALSE;

  details = g_variant_get_child_value (content, 3);
  *class_name = detail_dup (details, "class", COMLINK_ERROR_MAX_CLASS_NAME);
  *stack = detail_dup (details, "stack", COMLINK_ERROR_MAX_STACK);

  return *class_name != NULL || *stack != NULL;
}

/* Whether each list of type names in @entry has at most
 * COMLINK_DESCRIPTION_MAX_TYPES elements */
static gboolean
description_entry_is_bounded (GVariant *entry)
{
  gsize n = g_variant_n_children (entry);

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (entry, i);

      if (has_type (child, "as") && g_variant_n_children (child) > COMLINK_DESCRIPTION_MAX_TYPES)
        return FALSE;
    }

  return TRUE;
}

/* The first COMLINK_DESCRIPTION_MAX_ENTRIES bounded entries of @list (NULL
 * for none); clears @complete when any is left out */
static GVariant *
description_bound_list (GVariant   *list,
                        const char *type,
                        gboolean   *complete)
{
  GVariantBuilder builder;
  gsize           n = list != NULL ? g_variant_n_children (list) : 0;
  guint           kept = 0;

  g_variant_builder_init (&builder, G_VARIANT_TYPE (type));
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) entry = NULL;

      if (kept == COMLINK_DESCRIPTION_MAX_ENTRIES)
        {
          *complete = FALSE;
          break;
        }
      entry = g_variant_get_child_value (list, i);
      if (!description_entry_is_bounded (entry))
        {
          *complete = FALSE;
          continue;
        }
      g_variant_builder_add_value (&builder, entry);
      kept++;
    }

  return g_variant_builder_end (&builder);
}

/* Checks a description of an object, as an exposable object made it or as
 * the peer sent it: an a{sv} whose known keys have their types. Returns it
 * bounded and complete (not floating): every known key present, lists of
 * at most COMLINK_DESCRIPTION_MAX_ENTRIES entries, "complete" false if
 * entries were left out, other keys dropped. Fails with
 * COMLINK_ERROR_TYPE_MISMATCH. */
GVariant *
_comlink_wire_description_check (GVariant *description,
                                 GError  **error)
{
  static const struct
  {
    const char *key;
    const char *type;
  } lists[] = {
    { "methods", COMLINK_DESCRIPTION_METHODS_TYPE },
    { "properties", COMLINK_DESCRIPTION_PROPERTIES_TYPE },
    { "signals", COMLINK_DESCRIPTION_SIGNALS_TYPE },
  };
  g_autoptr(GVariant) type_name = NULL;
  g_autoptr(GVariant) complete_value = NULL;
  GVariantBuilder builder;
  gboolean        complete = TRUE;

  if (!has_type (description, COMLINK_DESCRIPTION_TYPE_STRING))
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH,
                   _ ("A description of type “%s” instead of “%s”"),
                   g_variant_get_type_string (description), COMLINK_DESCRIPTION_TYPE_STRING);
      return NULL;
    }

  type_name = g_variant_lookup_value (description, "type", NULL);
  complete_value = g_variant_lookup_value (description, "complete", NULL);
  if ((type_name != NULL && !has_type (type_name, "s")) ||
      (complete_value != NULL && !has_type (complete_value, "b")))
    {
      g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH,
                           _ ("A description whose “type” is not a string or whose “complete” is not a boolean"));
      return NULL;
    }
  if (complete_value != NULL)
    complete = g_variant_get_boolean (complete_value);

  g_variant_builder_init (&builder, G_VARIANT_TYPE (COMLINK_DESCRIPTION_TYPE_STRING));
  g_variant_builder_add (&builder, "{sv}", "type",
                         type_name != NULL ? type_name : g_variant_new_string (""));
  for (gsize i = 0; i < G_N_ELEMENTS (lists); i++)
    {
      g_autoptr(GVariant) list = g_variant_lookup_value (description, lists[i].key, NULL);

      if (list != NULL && !has_type (list, lists[i].type))
        {
          g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH,
                       /* Translators: the first %s is the name of a part of a description, such as “methods”, the others are GVariant type strings */
                       _ ("The “%s” of a description are of type “%s” instead of “%s”"),
                       lists[i].key, g_variant_get_type_string (list), lists[i].type);
          g_variant_builder_clear (&builder);
          return NULL;
        }
      g_variant_builder_add (&builder, "{sv}", lists[i].key,
                             description_bound_list (list, lists[i].type, &complete));
    }
  g_variant_builder_add (&builder, "{sv}", "complete", g_variant_new_boolean (complete));

  return g_variant_ref_sink (g_variant_builder_end (&builder));
}
