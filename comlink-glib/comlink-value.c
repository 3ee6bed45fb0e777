/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The value mapping: GValue on the API side, GVariant on the wire.
 *
 * Sending (_comlink_value_to_wire) turns a GValue into a plain basic
 * GVariant or a tagged one (see comlink-wire-private.h). An object is
 * exported on the connection and travels as its id; a proxy of this same
 * connection travels back as the id of the original object.
 *
 * No value (an unset GValue: void; JavaScript's undefined, which the
 * bindings send as the GVariant `m()` Nothing) travels as NONE and
 * arrives unset; a null (a NULL GVariant, GBytes, GStrv or
 * GError, a NULL gpointer: JavaScript's null, Python's None) travels as
 * NULL and arrives as a NULL gpointer, so that the bindings tell the two
 * apart. A NULL string and a NULL object keep their own forms (`ms`
 * nothing, object 0).
 *
 * Receiving is two steps: _comlink_value_from_wire gives the value its
 * natural GValue type (a received object becomes a ComlinkProxy, a
 * reference back becomes the original object), and _comlink_value_convert
 * (comlink-value-convert.c) converts it to the type the receiver
 * declares, with range checks.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>

#include "comlink-bytes-private.h"
#include "comlink-channel-private.h"
#include "comlink-connection-private.h"
#include "comlink-container-private.h"
#include "comlink-endpoint-private.h"
#include "comlink-error.h"
#include "comlink-private.h"
#include "comlink-proxy-private.h"
#include "comlink-transfer-handler-private.h"
#include "comlink-value-private.h"
#include "comlink-wire-private.h"

/* Fills @item from @value if it is a plain value (a number, a boolean, a
 * string, copied and not checked): the one mapping of GValue types to the
 * plain types of the wire, for values written directly and for those
 * that become a GVariant */
static gboolean
value_to_plain (const GValue     *value,
                ComlinkWireValue *item)
{
  if (value != NULL && G_IS_VALUE (value))
    switch (G_TYPE_FUNDAMENTAL (G_VALUE_TYPE (value)))
      {
      case G_TYPE_BOOLEAN:
        item->kind = 'b';
        item->u.number = g_value_get_boolean (value) != FALSE;
        return TRUE;
      case G_TYPE_CHAR:
        item->kind = 'n';
        item->u.number = (guint64) (gint64) g_value_get_schar (value);
        return TRUE;
      case G_TYPE_UCHAR:
        item->kind = 'y';
        item->u.number = g_value_get_uchar (value);
        return TRUE;
      case G_TYPE_INT:
        item->kind = 'i';
        item->u.number = (guint64) (gint64) g_value_get_int (value);
        return TRUE;
      case G_TYPE_UINT:
        item->kind = 'u';
        item->u.number = g_value_get_uint (value);
        return TRUE;
      case G_TYPE_LONG:
        item->kind = 'x';
        item->u.number = (guint64) (gint64) g_value_get_long (value);
        return TRUE;
      case G_TYPE_ULONG:
        item->kind = 't';
        item->u.number = g_value_get_ulong (value);
        return TRUE;
      case G_TYPE_INT64:
        item->kind = 'x';
        item->u.number = (guint64) g_value_get_int64 (value);
        return TRUE;
      case G_TYPE_UINT64:
        item->kind = 't';
        item->u.number = g_value_get_uint64 (value);
        return TRUE;
      case G_TYPE_DOUBLE:
        item->kind = 'd';
        item->u.dbl = g_value_get_double (value);
        return TRUE;
      case G_TYPE_STRING:
        item->kind = 's';
        item->u.string = g_value_dup_string (value);
        return TRUE;
      default:
        break;
      }

  return FALSE;
}

static GVariant *
value_to_wire (ComlinkConnection *connection,
               const GValue      *value,
               GArray            *exported,
               GUnixFDList      **fds,
               guint              depth,
               GError           **error);
static gboolean
value_from_wire (ComlinkConnection *connection,
                 GVariant          *wire,
                 GUnixFDList       *fds,
                 GValue            *value,
                 guint              depth,
                 GError           **error);

static gboolean
check_utf8 (const char *str,
            GError    **error)
{
  if (str == NULL || g_utf8_validate (str, -1, NULL))
    return TRUE;

  g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE,
                       _ ("A string that is not valid UTF-8 cannot be sent"));
  return FALSE;
}

/* The GVariant `m()` Nothing is how the bindings say "no value" (GJS's
 * undefined) through GValue APIs, which take no unset GValue: it travels
 * as NONE */
static gboolean
is_undefined (GVariant *variant)
{
  return g_variant_is_of_type (variant, G_VARIANT_TYPE ("m()")) && g_variant_n_children (variant) == 0;
}

static GVariant *
enum_to_wire (const GValue *value,
              GError      **error)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (G_VALUE_TYPE (value));
  GEnumValue *enum_value = g_enum_get_value (klass, g_value_get_enum (value));

  if (enum_value == NULL)
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE,
                   _ ("%d is not a value of the enumeration %s"),
                   g_value_get_enum (value), G_VALUE_TYPE_NAME (value));
      return NULL;
    }

  return _comlink_wire_tag (COMLINK_TAG_ENUM,
                            g_variant_new ("(ss)", G_VALUE_TYPE_NAME (value),
                                           enum_value->value_nick));
}

static GVariant *
flags_to_wire (const GValue *value,
               GError      **error)
{
  g_autoptr(GFlagsClass) klass = g_type_class_ref (G_VALUE_TYPE (value));
  guint           flags = g_value_get_flags (value);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_STRING_ARRAY);
  while (flags != 0)
    {
      GFlagsValue *flags_value = g_flags_get_first_value (klass, flags);

      if (flags_value == NULL || flags_value->value == 0)
        {
          g_variant_builder_clear (&builder);
          g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE,
                       _ ("0x%x holds bits that are not flags of %s"),
                       flags, G_VALUE_TYPE_NAME (value));
          return NULL;
        }
      g_variant_builder_add (&builder, "s", flags_value->value_nick);
      flags &= ~flags_value->value;
    }

  return _comlink_wire_tag (COMLINK_TAG_FLAGS,
                            g_variant_new ("(sas)", G_VALUE_TYPE_NAME (value), &builder));
}

static gboolean
check_fds_possible (ComlinkConnection *connection,
                    GUnixFDList      **fds,
                    GError           **error)
{
  if (fds != NULL && comlink_endpoint_can_send_fds (comlink_connection_get_endpoint (connection)))
    {
      if (*fds == NULL)
        *fds = g_unix_fd_list_new ();
      return TRUE;
    }

  g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE,
                       _ ("File descriptors cannot travel over this connection"));
  return FALSE;
}

/* A GUnixFDList, or an object that holds one file descriptor, travels as
 * the indices of duplicates beside the message */
static GVariant *
fds_to_wire (ComlinkConnection *connection,
             GObject           *object,
             GUnixFDList      **fds,
             GError           **error)
{
  GVariantBuilder builder;
  const gint     *object_fds;
  gint            single;
  gint            n_fds;

  if (G_IS_UNIX_FD_LIST (object))
    object_fds = g_unix_fd_list_peek_fds (G_UNIX_FD_LIST (object), &n_fds);
  else
    {
      if (G_IS_UNIX_INPUT_STREAM (object))
        single = g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (object));
      else
        single = g_unix_output_stream_get_fd (G_UNIX_OUTPUT_STREAM (object));
      object_fds = &single;
      n_fds = 1;
    }

  if (!check_fds_possible (connection, fds, error))
    return NULL;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("ah"));
  for (gint i = 0; i < n_fds; i++)
    {
      gint handle = g_unix_fd_list_append (*fds, object_fds[i], error);

      if (handle < 0)
        {
          g_variant_builder_clear (&builder);
          return NULL;
        }
      g_variant_builder_add (&builder, "h", handle);
    }

  return _comlink_wire_tag (COMLINK_TAG_FDS,
                            g_variant_new ("(sah)", G_OBJECT_TYPE_NAME (object), &builder));
}

static gboolean
is_fd_holder (GObject *object)
{
  return G_IS_UNIX_FD_LIST (object) ||
         G_IS_UNIX_INPUT_STREAM (object) ||
         G_IS_UNIX_OUTPUT_STREAM (object);
}

/* A duplicate of the descriptor @handle of @fds, the descriptors that
 * came beside the message being decoded */
static gint
dup_incoming_fd (GUnixFDList *fds,
                 gint32       handle,
                 GError     **error)
{
  if (fds == NULL || handle < 0 || handle >= g_unix_fd_list_get_length (fds))
    {
      g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                           _ ("A value refers to a file descriptor that did not come with the message"));
      return -1;
    }

  return g_unix_fd_list_get (fds, handle, error);
}

static gboolean
fds_from_wire (GVariant    *content,
               GUnixFDList *incoming,
               GValue      *value,
               GError     **error)
{
  g_autoptr(GVariant) handles = g_variant_get_child_value (content, 1);
  g_autoptr(GArray) fds = g_array_new (FALSE, FALSE, sizeof (gint));
  const char *type_name;
  GType       type;
  gsize       n = g_variant_n_children (handles);

  g_variant_get_child (content, 0, "&s", &type_name);
  if (g_str_equal (type_name, "GUnixFDList"))
    type = G_TYPE_UNIX_FD_LIST;
  else if (n == 1 && g_str_equal (type_name, "GUnixInputStream"))
    type = G_TYPE_UNIX_INPUT_STREAM;
  else if (n == 1 && g_str_equal (type_name, "GUnixOutputStream"))
    type = G_TYPE_UNIX_OUTPUT_STREAM;
  else
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                   _ ("File descriptors for an unknown type “%s”"), type_name);
      return FALSE;
    }

  /* The duplicates that the new object takes */
  for (gsize i = 0; i < n; i++)
    {
      gint32 handle;
      gint   fd;

      g_variant_get_child (handles, i, "h", &handle);
      fd = dup_incoming_fd (incoming, handle, error);
      if (fd < 0)
        {
          for (guint j = 0; j < fds->len; j++)
            close (g_array_index (fds, gint, j));
          return FALSE;
        }
      g_array_append_val (fds, fd);
    }

  g_value_init (value, type);
  if (type == G_TYPE_UNIX_FD_LIST)
    g_value_take_object (value, g_unix_fd_list_new_from_array ((gint *) (gpointer) fds->data, fds->len));
  else if (type == G_TYPE_UNIX_INPUT_STREAM)
    g_value_take_object (value, g_unix_input_stream_new (g_array_index (fds, gint, 0), TRUE));
  else
    g_value_take_object (value, g_unix_output_stream_new (g_array_index (fds, gint, 0), TRUE));

  return TRUE;
}

/* Large bytes go as a sealed memfd: their own if they are shared, else a
 * new one holding a copy */
static GVariant *
memfd_to_wire (GBytes      *bytes,
               GUnixFDList *fds,
               GError     **error)
{
  gint handle;
  int  fd = _comlink_bytes_dup_memfd (bytes);

  if (fd < 0)
    fd = _comlink_bytes_new_memfd (bytes, error);
  if (fd < 0)
    return NULL;

  handle = g_unix_fd_list_append (fds, fd, error);
  close (fd);
  if (handle < 0)
    return NULL;

  return _comlink_wire_tag (COMLINK_TAG_MEMFD,
                            g_variant_new ("(th)", (guint64) g_bytes_get_size (bytes), handle));
}

static gboolean
memfd_from_wire (GVariant    *content,
                 GUnixFDList *incoming,
                 GValue      *value,
                 GError     **error)
{
  GBytes *bytes;
  guint64 size;
  gint32  handle;
  int     fd;

  g_variant_get (content, "(th)", &size, &handle);
  fd = dup_incoming_fd (incoming, handle, error);
  if (fd < 0)
    return FALSE;

  bytes = _comlink_bytes_new_from_memfd (fd, size, error);
  if (bytes == NULL)
    return FALSE;

  g_value_init (value, G_TYPE_BYTES);
  g_value_take_boxed (value, bytes);
  return TRUE;
}

/* A Unix socket that carries the stream of an endpoint that moved: its
 * descriptor travels beside the message, and the receiver makes a stream
 * endpoint of it. Takes @fd. */
GVariant *
_comlink_value_socket_to_wire (int           fd,
                               GUnixFDList **fds,
                               GError      **error)
{
  gint handle;

  if (*fds == NULL)
    *fds = g_unix_fd_list_new ();
  handle = g_unix_fd_list_append (*fds, fd, error);
  close (fd);
  if (handle < 0)
    return NULL;

  return _comlink_wire_tag (COMLINK_TAG_SOCKET, g_variant_new_handle (handle));
}

/* An endpoint moves to the peer itself, as a transferred MessagePort does
 * in Comlink. Within a process, a port of a channel goes as it is, by a
 * token. To another process it goes as a Unix socket: a stream endpoint on
 * one that was not started goes with its own socket (and is closed here);
 * any other endpoint is bridged here to one end of a new socket pair,
 * whose other end goes. */
static GVariant *
endpoint_to_wire (ComlinkConnection *connection,
                  ComlinkEndpoint   *endpoint,
                  GUnixFDList      **fds,
                  GError           **error)
{
  int fd;

  if (_comlink_channel_is_port (G_OBJECT (endpoint)) &&
      _comlink_channel_is_port (G_OBJECT (comlink_connection_get_endpoint (connection))))
    {
      g_autofree char *token = _comlink_connection_park (connection, endpoint);

      return _comlink_wire_tag (COMLINK_TAG_ENDPOINT, g_variant_new_string (token));
    }

  if (fds == NULL || !comlink_endpoint_can_send_fds (comlink_connection_get_endpoint (connection)))
    {
      g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE,
                           _ ("An endpoint can only move to a peer in this process or across a Unix socket"));
      return NULL;
    }

  if (comlink_endpoint_is_closed (endpoint))
    {
      g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE,
                           _ ("The endpoint is closed"));
      return NULL;
    }

  fd = _comlink_stream_endpoint_get_fd (endpoint);
  if (fd >= 0 && !comlink_endpoint_is_started (endpoint))
    {
      fd = dup (fd);
      if (fd < 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s", g_strerror (errno));
          return NULL;
        }
      /* Its stream goes on in the peer */
      comlink_endpoint_close (endpoint);
      return _comlink_value_socket_to_wire (fd, fds, error);
    }

  {
    g_autoptr(ComlinkEndpoint) near = NULL;
    int far_fd;

    near = _comlink_stream_endpoint_new_pair (&far_fd, error);
    if (near == NULL)
      return NULL;
    _comlink_endpoint_bridge (endpoint, near);
    return _comlink_value_socket_to_wire (far_fd, fds, error);
  }
}

static GVariant *
object_to_wire (ComlinkConnection *connection,
                GObject           *object,
                GArray            *exported,
                GUnixFDList      **fds,
                GError           **error)
{
  guint64 id;

  if (object == NULL)
    return _comlink_wire_tag (COMLINK_TAG_OBJECT, g_variant_new_uint64 (0));

  if (COMLINK_IS_ENDPOINT (object))
    return endpoint_to_wire (connection, COMLINK_ENDPOINT (object), fds, error);

  if (is_fd_holder (object))
    return fds_to_wire (connection, object, fds, error);

  if (COMLINK_IS_PROXY (object))
    {
      if (!_comlink_proxy_get_remote_id (COMLINK_PROXY (object), connection, &id, error))
        return NULL;
      return _comlink_wire_tag (COMLINK_TAG_PEER, g_variant_new_uint64 (id));
    }

  id = _comlink_connection_export (connection, object, error);
  if (id == 0)
    return NULL;
  g_array_append_val (exported, id);

  return _comlink_wire_tag (COMLINK_TAG_OBJECT, g_variant_new_uint64 (id));
}

static GVariant *
boxed_to_wire (ComlinkConnection *connection,
               const GValue      *value,
               GUnixFDList      **fds,
               GError           **error)
{
  GType    type = G_VALUE_TYPE (value);
  gpointer boxed = g_value_get_boxed (value);

  if (type == G_TYPE_STRV)
    {
      const char * const *strv = boxed;

      if (strv == NULL)
        return g_variant_ref (_comlink_wire_null ());
      for (guint i = 0; strv[i] != NULL; i++)
        if (!check_utf8 (strv[i], error))
          return NULL;
      return g_variant_new_strv (strv, -1);
    }

  if (type == G_TYPE_BYTES)
    {
      if (boxed == NULL)
        return g_variant_ref (_comlink_wire_null ());
      if (fds != NULL && _comlink_endpoint_sends_as_memfd (comlink_connection_get_endpoint (connection), boxed))
        {
          if (*fds == NULL)
            *fds = g_unix_fd_list_new ();
          return memfd_to_wire (boxed, *fds, error);
        }
      return _comlink_wire_tag (COMLINK_TAG_BYTES,
                                g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, boxed, TRUE));
    }

  if (type == G_TYPE_ERROR)
    {
      if (boxed == NULL)
        return g_variant_ref (_comlink_wire_null ());
      return _comlink_wire_tag (COMLINK_TAG_ERROR, _comlink_wire_error_new (boxed));
    }

  g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE,
               _ ("A value of type %s cannot be sent"), g_type_name (type));
  return NULL;
}

/* A container travels as its items, each a value of its own: ARRAY
 * `av`, DICT `a{sv}` */
static GVariant *
container_to_wire (ComlinkConnection *connection,
                   ComlinkContainer  *container,
                   GArray            *exported,
                   GUnixFDList      **fds,
                   guint              depth,
                   GError           **error)
{
  g_autoptr(GPtrArray) children = NULL;
  gboolean is_dict;
  guint    n;

  if (container == NULL)
    return g_variant_ref (_comlink_wire_null ());

  if (depth >= COMLINK_CONTAINER_MAX_DEPTH)
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE,
                   _ ("Containers nested more than %u deep cannot be sent"),
                   COMLINK_CONTAINER_MAX_DEPTH);
      return NULL;
    }

  is_dict = comlink_container_is_dict (container);
  n = comlink_container_get_n_items (container);
  children = g_ptr_array_new_full (n, (GDestroyNotify) g_variant_unref);

  for (guint i = 0; i < n; i++)
    {
      const char *key = comlink_container_get_key (container, i);
      GVariant   *child;

      if (is_dict && !check_utf8 (key, error))
        return NULL;

      child = value_to_wire (connection, comlink_container_get_item (container, i),
                             exported, fds, depth + 1, error);
      if (child == NULL)
        {
          if (is_dict)
            /* Translators: this is put before another error message; %s is the key of an item of a dictionary */
            g_prefix_error (error, _ ("Item “%s”: "), key);
          else
            /* Translators: this is put before another error message; %u is the position of an item in an array */
            g_prefix_error (error, _ ("Item %u: "), i);
          return NULL;
        }
      g_variant_take_ref (child);
      if (is_dict)
        g_ptr_array_add (children, g_variant_ref_sink (g_variant_new_dict_entry (g_variant_new_string (key),
                                                                                 g_variant_new_variant (child))));
      else
        g_ptr_array_add (children, g_variant_ref_sink (g_variant_new_variant (child)));
      g_variant_unref (child);
    }

  if (is_dict)
    return _comlink_wire_tag (COMLINK_TAG_DICT,
                              g_variant_new_array (G_VARIANT_TYPE ("{sv}"), (GVariant **) children->pdata, n));
  return _comlink_wire_tag (COMLINK_TAG_ARRAY,
                            g_variant_new_array (G_VARIANT_TYPE_VARIANT, (GVariant **) children->pdata, n));
}

static GVariant *
value_to_wire (ComlinkConnection *connection,
               const GValue      *value,
               GArray            *exported,
               GUnixFDList      **fds,
               guint              depth,
               GError           **error)
{
  GType type;

  if (value == NULL || !G_IS_VALUE (value))
    return g_variant_ref (_comlink_wire_none ());

  type = G_VALUE_TYPE (value);

  /* Transfer handlers come first for what they may take: objects and
   * boxed or pointer values */
  switch (G_TYPE_FUNDAMENTAL (type))
    {
    case G_TYPE_OBJECT:
    case G_TYPE_INTERFACE:
    case G_TYPE_BOXED:
    case G_TYPE_POINTER:
      {
        GError   *handler_error = NULL;
        GVariant *handled = _comlink_transfer_handler_write (value, &handler_error);

        if (handled != NULL)
          return _comlink_wire_tag (COMLINK_TAG_HANDLER, handled);
        if (handler_error != NULL)
          {
            g_propagate_error (error, handler_error);
            return NULL;
          }
      }
      break;

    default:
      break;
    }

  {
    ComlinkWireValue plain;

    if (value_to_plain (value, &plain))
      {
        GVariant *ret = NULL;

        if (plain.kind != 's' || check_utf8 (plain.u.string, error))
          ret = _comlink_wire_value_to_variant (&plain);
        if (plain.kind == 's')
          g_free (plain.u.string);
        return ret;
      }
  }

  switch (G_TYPE_FUNDAMENTAL (type))
    {
    case G_TYPE_FLOAT:
      return _comlink_wire_tag (COMLINK_TAG_FLOAT, g_variant_new_double (g_value_get_float (value)));
    case G_TYPE_ENUM:
      return enum_to_wire (value, error);
    case G_TYPE_FLAGS:
      return flags_to_wire (value, error);
    case G_TYPE_VARIANT:
      if (g_value_get_variant (value) == NULL)
        return g_variant_ref (_comlink_wire_null ());
      if (is_undefined (g_value_get_variant (value)))
        return g_variant_ref (_comlink_wire_none ());
      return _comlink_wire_tag (COMLINK_TAG_VARIANT, g_value_get_variant (value));
    case G_TYPE_OBJECT:
      return object_to_wire (connection, g_value_get_object (value), exported, fds, error);
    case G_TYPE_INTERFACE:
      if (g_type_is_a (type, G_TYPE_OBJECT))
        return object_to_wire (connection, g_value_get_object (value), exported, fds, error);
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE,
                   _ ("A value of type %s cannot be sent"), g_type_name (type));
      return NULL;
    case G_TYPE_BOXED:
      if (type == COMLINK_TYPE_CONTAINER)
        return container_to_wire (connection, g_value_get_boxed (value), exported, fds, depth, error);
      return boxed_to_wire (connection, value, fds, error);
    case G_TYPE_POINTER:
      /* A NULL gpointer is what GJS and PyGObject make of a bare null */
      if (type == G_TYPE_POINTER && g_value_get_pointer (value) == NULL)
        return g_variant_ref (_comlink_wire_null ());
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE,
                   _ ("A value of type %s cannot be sent"), g_type_name (type));
      return NULL;
    default:
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE,
                   _ ("A value of type %s cannot be sent"), g_type_name (type));
      return NULL;
    }
}

/* The depth of the type that starts at *@type, as GLib counts it: 1 for a
 * basic type or a variant, one more than its deepest member for a
 * container; *@type moves past it */
static guint
type_depth (const char **type)
{
  char  c = *(*type)++;
  guint depth = 0;

  switch (c)
    {
    case 'a':
    case 'm':
      return 1 + type_depth (type);
    case '(':
    case '{':
      while (**type != ')' && **type != '}')
        {
          guint member = type_depth (type);

          depth = MAX (depth, member);
        }
      (*type)++;
      return 1 + depth;
    default:
      return 1;
    }
}

/* The depth of @value as GLib counts it, the variants inside included, or
 * more than @limit as soon as it is deeper: in the length of its type,
 * and in its size only where its type holds variants */
static guint
value_depth (GVariant *value,
             guint     limit)
{
  const char *type = g_variant_get_type_string (value);
  guint       depth = 0;
  gsize       n;

  if (strchr (type, 'v') == NULL)
    return type_depth (&type);
  if (limit <= 1)
    return limit + 1;

  if (g_variant_is_of_type (value, G_VARIANT_TYPE_VARIANT))
    {
      g_autoptr(GVariant) child = g_variant_get_variant (value);

      return 1 + value_depth (child, limit - 1);
    }

  n = g_variant_n_children (value);
  if (n == 0)
    return type_depth (&type);
  for (gsize i = 0; i < n && depth < limit; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (value, i);
      guint child_depth = value_depth (child, limit - 1);

      depth = MAX (depth, child_depth);
    }
  return 1 + depth;
}

/* A value of a message, @wire, is at most COMLINK_MAX_VALUE_DEPTH deep:
 * deeper, with the levels of the message around it, a frame would be
 * more than GLib reads (128), and the receiver would close the
 * connection. Its sender fails instead. */
static gboolean
check_depth (GVariant *wire,
             GError  **error)
{
  if (value_depth (wire, COMLINK_MAX_VALUE_DEPTH) <= COMLINK_MAX_VALUE_DEPTH)
    return TRUE;

  g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE,
               _ ("A value nested more than %u levels deep cannot be sent"), COMLINK_MAX_VALUE_DEPTH);
  return FALSE;
}

/* A value of a message, as value_to_wire () makes it, its depth checked */
static GVariant *
top_value_to_wire (ComlinkConnection *connection,
                   const GValue      *value,
                   GArray            *exported,
                   GUnixFDList      **fds,
                   GError           **error)
{
  GVariant *wire = value_to_wire (connection, value, exported, fds, 0, error);

  if (wire != NULL && !check_depth (wire, error))
    {
      g_variant_unref (g_variant_ref_sink (wire));
      wire = NULL;
    }

  return wire;
}

static void
rollback_exports (ComlinkConnection *connection,
                  GArray            *exported)
{
  for (guint i = 0; i < exported->len; i++)
    _comlink_connection_unexport (connection, g_array_index (exported, guint64, i));
}

GVariant *
_comlink_value_to_wire (ComlinkConnection *connection,
                        const GValue      *value,
                        GUnixFDList      **fds,
                        GError           **error)
{
  g_autoptr(GArray) exported = g_array_new (FALSE, FALSE, sizeof (guint64));
  GVariant *ret = top_value_to_wire (connection, value, exported, fds, error);

  if (ret == NULL)
    rollback_exports (connection, exported);

  return ret ? g_variant_take_ref (ret) : NULL;
}

GVariant *
_comlink_values_to_wire (ComlinkConnection *connection,
                         const GValue      *values,
                         guint              n_values,
                         GUnixFDList      **fds,
                         GError           **error)
{
  g_autoptr(GArray) exported = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autofree GVariant **children = g_new (GVariant *, MAX (n_values, 1));

  for (guint i = 0; i < n_values; i++)
    {
      GVariant *child = top_value_to_wire (connection, &values[i], exported, fds, error);

      if (child != NULL)
        g_variant_take_ref (child);
      if (child == NULL)
        {
          for (guint j = 0; j < i; j++)
            g_variant_unref (g_variant_ref_sink (children[j]));
          rollback_exports (connection, exported);
          /* Translators: this is put before another error message */
          g_prefix_error (error, _ ("Argument %u: "), i + 1);
          return NULL;
        }
      children[i] = g_variant_new_variant (child);
      g_variant_unref (child);
    }

  return g_variant_take_ref (g_variant_new_array (G_VARIANT_TYPE_VARIANT, children, n_values));
}

/* Fills @item from @value: a plain value as it is, without a GVariant,
 * any other as value_to_wire() makes it; *@exported is made on demand */
static gboolean
value_to_wire_value (ComlinkConnection *connection,
                     const GValue      *value,
                     GArray           **exported,
                     GUnixFDList      **fds,
                     ComlinkWireValue  *item,
                     GError           **error)
{
  if (value_to_plain (value, item))
    return item->kind != 's' || check_utf8 (item->u.string, error);

  if (*exported == NULL)
    *exported = g_array_new (FALSE, FALSE, sizeof (guint64));
  item->u.variant = top_value_to_wire (connection, value, *exported, fds, error);
  if (item->u.variant == NULL)
    return FALSE;
  item->kind = 'v';
  g_variant_take_ref (item->u.variant);
  return TRUE;
}

/* The values of a body, as the endpoint writes them: @n_values values
 * as an "av" (@is_array), or the one value @values (NULL, or an unset
 * GValue, for no value). Objects are exported as they are met; if one
 * fails, none stays exported. */
ComlinkWireValues *
_comlink_values_to_wire_values (ComlinkConnection *connection,
                                const GValue      *values,
                                guint              n_values,
                                gboolean           is_array,
                                GUnixFDList      **fds,
                                GError           **error)
{
  g_autoptr(GArray) exported = NULL;
  ComlinkWireValues *wire;

  g_assert (is_array || n_values == 1);

  wire = _comlink_wire_values_new (is_array, n_values);
  for (guint i = 0; i < n_values; i++)
    if (!value_to_wire_value (connection, values != NULL ? &values[i] : NULL, &exported, fds, &wire->values[i], error))
      {
        _comlink_wire_values_unref (wire);
        if (exported != NULL)
          rollback_exports (connection, exported);
        if (is_array)
          /* Translators: this is put before another error message */
          g_prefix_error (error, _ ("Argument %u: "), i + 1);
        return NULL;
      }

  return wire;
}

/* The items of an ARRAY (`av`) or a DICT (`a{sv}`) as a container */
static gboolean
container_from_wire (ComlinkConnection *connection,
                     GVariant          *content,
                     GUnixFDList       *fds,
                     gboolean           is_dict,
                     GValue            *value,
                     guint              depth,
                     GError           **error)
{
  g_autoptr(ComlinkContainer) container = NULL;
  gsize n;

  if (depth >= COMLINK_CONTAINER_MAX_DEPTH)
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                   _ ("Containers nested more than %u deep"), COMLINK_CONTAINER_MAX_DEPTH);
      return FALSE;
    }

  container = is_dict ? comlink_container_new_dict () : comlink_container_new_array ();
  n = g_variant_n_children (content);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (content, i);
      g_autoptr(GVariant) key = NULL;
      g_autoptr(GVariant) boxed = NULL;
      g_autoptr(GVariant) inner = NULL;
      g_auto(GValue) item = G_VALUE_INIT;

      if (is_dict)
        {
          key = g_variant_get_child_value (child, 0);
          boxed = g_variant_get_child_value (child, 1);
          inner = g_variant_get_variant (boxed);
        }
      else
        inner = g_variant_get_variant (child);

      if (!value_from_wire (connection, inner, fds, &item, depth + 1, error))
        return FALSE;

      if (!is_dict)
        _comlink_container_append_take (container, &item);
      else if (!_comlink_container_insert_take (container, g_variant_get_string (key, NULL), &item))
        {
          g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                               _ ("A dictionary with the same key twice"));
          return FALSE;
        }
    }

  g_value_init (value, COMLINK_TYPE_CONTAINER);
  g_value_take_boxed (value, g_steal_pointer (&container));
  return TRUE;
}

static gboolean
tagged_from_wire (ComlinkConnection *connection,
                  GVariant          *wire,
                  GUnixFDList       *fds,
                  GValue            *value,
                  guint              depth,
                  GError           **error)
{
  g_autoptr(GVariant) content = NULL;
  ComlinkTag tag = _comlink_wire_untag (wire, &content, error);

  switch (tag)
    {
    case COMLINK_TAG_NONE:
      return TRUE;

    case COMLINK_TAG_NULL:
      g_value_init (value, G_TYPE_POINTER);
      return TRUE;

    case COMLINK_TAG_VARIANT:
      g_value_init (value, G_TYPE_VARIANT);
      g_value_set_variant (value, content);
      return TRUE;

    case COMLINK_TAG_BYTES:
      g_value_init (value, G_TYPE_BYTES);
      g_value_take_boxed (value, g_variant_get_data_as_bytes (content));
      return TRUE;

    case COMLINK_TAG_FLOAT:
      g_value_init (value, G_TYPE_FLOAT);
      g_value_set_float (value, (gfloat) g_variant_get_double (content));
      return TRUE;

    case COMLINK_TAG_ENUM:
      {
        const char *type_name, *nick;
        GType       type;

        g_variant_get (content, "(&s&s)", &type_name, &nick);
        type = g_type_from_name (type_name);
        if (type != 0 && G_TYPE_IS_ENUM (type))
          {
            g_autoptr(GEnumClass) klass = g_type_class_ref (type);
            GEnumValue *enum_value = g_enum_get_value_by_nick (klass, nick);

            if (enum_value != NULL)
              {
                g_value_init (value, type);
                g_value_set_enum (value, enum_value->value);
                return TRUE;
              }
          }
        g_value_init (value, G_TYPE_STRING);
        g_value_set_string (value, nick);
        return TRUE;
      }

    case COMLINK_TAG_FLAGS:
      {
        g_autofree const char **nicks = NULL;
        const char             *type_name;
        GType                   type;

        g_variant_get (content, "(&s^a&s)", &type_name, &nicks);
        type = g_type_from_name (type_name);
        if (type != 0 && G_TYPE_IS_FLAGS (type))
          {
            g_autoptr(GFlagsClass) klass = g_type_class_ref (type);
            guint flags = 0;
            guint i;

            for (i = 0; nicks[i] != NULL; i++)
              {
                GFlagsValue *flags_value = g_flags_get_value_by_nick (klass, nicks[i]);
                if (flags_value == NULL)
                  break;
                flags |= flags_value->value;
              }
            if (nicks[i] == NULL)
              {
                g_value_init (value, type);
                g_value_set_flags (value, flags);
                return TRUE;
              }
          }
        g_value_init (value, G_TYPE_STRV);
        g_value_set_boxed (value, nicks);
        return TRUE;
      }

    case COMLINK_TAG_ERROR:
      g_value_init (value, G_TYPE_ERROR);
      g_value_take_boxed (value, _comlink_wire_error_parse (content));
      return TRUE;

    case COMLINK_TAG_OBJECT:
      {
        guint64 id = g_variant_get_uint64 (content);

        if (id == 0)
          {
            g_value_init (value, G_TYPE_OBJECT);
            return TRUE;
          }
        g_value_init (value, COMLINK_TYPE_PROXY);
        g_value_take_object (value, _comlink_connection_import (connection, id));
        return TRUE;
      }

    case COMLINK_TAG_ENDPOINT:
      {
        ComlinkEndpoint *endpoint = _comlink_channel_claim (g_variant_get_string (content, NULL));

        if (endpoint == NULL)
          {
            g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                                 _ ("An endpoint that does not exist in this process"));
            return FALSE;
          }
        g_value_init (value, COMLINK_TYPE_ENDPOINT);
        g_value_take_object (value, endpoint);
        return TRUE;
      }

    case COMLINK_TAG_SOCKET:
      {
        ComlinkEndpoint *endpoint;
        int              fd = dup_incoming_fd (fds, g_variant_get_handle (content), error);

        if (fd < 0)
          return FALSE;
        endpoint = _comlink_stream_endpoint_new_for_fd (fd, error);
        if (endpoint == NULL)
          return FALSE;
        g_value_init (value, COMLINK_TYPE_ENDPOINT);
        g_value_take_object (value, endpoint);
        return TRUE;
      }

    case COMLINK_TAG_HANDLER:
      return _comlink_transfer_handler_read (content, value, error);

    case COMLINK_TAG_FDS:
      return fds_from_wire (content, fds, value, error);

    case COMLINK_TAG_MEMFD:
      return memfd_from_wire (content, fds, value, error);

    case COMLINK_TAG_ARRAY:
      return container_from_wire (connection, content, fds, FALSE, value, depth, error);

    case COMLINK_TAG_DICT:
      return container_from_wire (connection, content, fds, TRUE, value, depth, error);

    case COMLINK_TAG_PEER:
      {
        guint64 id = g_variant_get_uint64 (content);
        g_autoptr(GObject) object = _comlink_connection_lookup_export (connection, id);

        if (object == NULL)
          {
            g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                         _ ("Reference to object %llu that was not exported"), (unsigned long long) id);
            return FALSE;
          }
        g_value_init (value, G_OBJECT_TYPE (object));
        g_value_set_object (value, object);
        return TRUE;
      }

    default:
      return FALSE;
    }
}

static gboolean
value_from_wire (ComlinkConnection *connection,
                 GVariant          *wire,
                 GUnixFDList       *fds,
                 GValue            *value,
                 guint              depth,
                 GError           **error)
{
  const char *type = g_variant_get_type_string (wire);

  /* Plain values have one-character types */
  if (type[1] == '\0')
    {
      switch (g_variant_classify (wire))
        {
        case G_VARIANT_CLASS_BOOLEAN:
          g_value_init (value, G_TYPE_BOOLEAN);
          g_value_set_boolean (value, g_variant_get_boolean (wire));
          return TRUE;
        case G_VARIANT_CLASS_BYTE:
          g_value_init (value, G_TYPE_UCHAR);
          g_value_set_uchar (value, g_variant_get_byte (wire));
          return TRUE;
        case G_VARIANT_CLASS_INT16:
          {
            gint16 v = g_variant_get_int16 (wire);
            if (v < G_MININT8 || v > G_MAXINT8)
              break;
            g_value_init (value, G_TYPE_CHAR);
            g_value_set_schar (value, (gint8) v);
            return TRUE;
          }
        case G_VARIANT_CLASS_INT32:
          g_value_init (value, G_TYPE_INT);
          g_value_set_int (value, g_variant_get_int32 (wire));
          return TRUE;
        case G_VARIANT_CLASS_UINT32:
          g_value_init (value, G_TYPE_UINT);
          g_value_set_uint (value, g_variant_get_uint32 (wire));
          return TRUE;
        case G_VARIANT_CLASS_INT64:
          g_value_init (value, G_TYPE_INT64);
          g_value_set_int64 (value, g_variant_get_int64 (wire));
          return TRUE;
        case G_VARIANT_CLASS_UINT64:
          g_value_init (value, G_TYPE_UINT64);
          g_value_set_uint64 (value, g_variant_get_uint64 (wire));
          return TRUE;
        case G_VARIANT_CLASS_DOUBLE:
          g_value_init (value, G_TYPE_DOUBLE);
          g_value_set_double (value, g_variant_get_double (wire));
          return TRUE;
        case G_VARIANT_CLASS_UINT16:
        case G_VARIANT_CLASS_HANDLE:
        case G_VARIANT_CLASS_STRING:
        case G_VARIANT_CLASS_OBJECT_PATH:
        case G_VARIANT_CLASS_SIGNATURE:
        case G_VARIANT_CLASS_VARIANT:
        case G_VARIANT_CLASS_MAYBE:
        case G_VARIANT_CLASS_ARRAY:
        case G_VARIANT_CLASS_TUPLE:
        case G_VARIANT_CLASS_DICT_ENTRY:
        default:
          break;
        }
    }
  else if (strcmp (type, "ms") == 0)
    {
      g_autoptr(GVariant) child = g_variant_get_maybe (wire);

      g_value_init (value, G_TYPE_STRING);
      if (child != NULL)
        g_value_set_string (value, g_variant_get_string (child, NULL));
      return TRUE;
    }
  else if (strcmp (type, "as") == 0)
    {
      g_value_init (value, G_TYPE_STRV);
      g_value_take_boxed (value, g_variant_dup_strv (wire, NULL));
      return TRUE;
    }
  else if (_comlink_wire_is_tagged (wire))
    return tagged_from_wire (connection, wire, fds, value, depth, error);

  g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
               _ ("Value of type “%s” is not part of the protocol"),
               g_variant_get_type_string (wire));
  return FALSE;
}

gboolean
_comlink_value_from_wire (ComlinkConnection *connection,
                          GVariant          *wire,
                          GUnixFDList       *fds,
                          GValue            *value,
                          GError           **error)
{
  return value_from_wire (connection, wire, fds, value, 0, error);
}
