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
};

void
_comlink_message_clear (ComlinkMessage *message)
{
  g_clear_pointer (&message->path, g_variant_unref);
  g_clear_pointer (&message->body, g_variant_unref);
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
  GVariant *keep_alive[4];
} constants;

static void
ensure_constants (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      constants.empty_path = g_variant_ref_sink (g_variant_new_strv (NULL, 0));
      constants.unit = g_variant_ref_sink (g_variant_new_tuple (NULL, 0));
      constants.none = g_variant_ref_sink (_comlink_wire_tag (COMLINK_TAG_NONE, constants.unit));
      constants.keep_alive[0] = g_variant_ref_sink (_comlink_message_new (COMLINK_MESSAGE_CANCEL, 0, 0,
                                                                          constants.empty_path, constants.unit));
      constants.keep_alive[1] = g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE_VARIANT, NULL, 0));
      constants.keep_alive[2] = g_variant_ref_sink (g_variant_new_maybe (G_VARIANT_TYPE_STRING, NULL));
      constants.keep_alive[3] = g_variant_ref_sink (g_variant_new ("(sis)", "", 0, ""));
      g_once_init_leave (&initialized, 1);
    }
}

gboolean
_comlink_message_parse (GVariant       *variant,
                        ComlinkMessage *message,
                        GError        **error)
{
  g_autoptr(GVariant) header = NULL;
  g_autoptr(GVariant) boxed = NULL;
  guint8 type;
  gsize  n_path;

  memset (message, 0, sizeof *message);

  if (!has_type (variant, COMLINK_MESSAGE_TYPE_STRING))
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                   _ ("Message of type “%s” instead of “%s”"),
                   g_variant_get_type_string (variant), COMLINK_MESSAGE_TYPE_STRING);
      return FALSE;
    }

  header = g_variant_get_child_value (variant, 0);
  message->path = g_variant_get_child_value (variant, 1);
  boxed = g_variant_get_child_value (variant, 2);
  message->body = g_variant_get_variant (boxed);
  /* A serialised (ytt) is the 24 bytes that header_new() writes */
  {
    const guint8 *data = g_variant_get_data (header);

    g_assert (g_variant_get_size (header) == 24);
    type = data[0];
    memcpy (&message->id, data + 8, sizeof message->id);
    memcpy (&message->target, data + 16, sizeof message->target);
    message->type = type;
  }

  if (message->type < COMLINK_MESSAGE_HELLO || message->type > COMLINK_MESSAGE_LAST)
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                   _ ("Unknown message type %u"), message->type);
      goto fail;
    }

  /* A NULL body type is a value, which the value layer checks */
  if (body_types[message->type] != NULL &&
      !has_type (message->body, body_types[message->type]))
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                   _ ("Message type %u with a body of type “%s”"),
                   message->type, g_variant_get_type_string (message->body));
      goto fail;
    }

  n_path = g_variant_n_children (message->path);
  if (message_has_path (message->type) ? (n_path == 0 || n_path > COMLINK_MAX_PATH_LENGTH) : n_path != 0)
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                   _ ("Message type %u with a path of %u elements"),
                   message->type, (guint) MIN (n_path, G_MAXUINT));
      goto fail;
    }

  return TRUE;

fail:
  _comlink_message_clear (message);
  return FALSE;
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
 * or NULL for none */
GVariant *
_comlink_message_new (ComlinkMessageType type,
                      guint64            id,
                      guint64            target,
                      GVariant          *path,
                      GVariant          *body)
{
  GVariant *children[3];

  children[0] = header_new (type, id, target);
  children[1] = path ? path : (ensure_constants (), constants.empty_path);
  children[2] = g_variant_new_variant (body);

  return g_variant_new_tuple (children, G_N_ELEMENTS (children));
}

GVariant *
_comlink_message_new_path (const char * const *path,
                           gsize               n_path,
                           const char         *member)
{
  GVariant *elements[COMLINK_MAX_PATH_LENGTH + 1];
  gsize     n = 0;

  g_assert (n_path < COMLINK_MAX_PATH_LENGTH);

  for (gsize i = 0; i < n_path; i++)
    elements[n++] = g_variant_new_string (path[i]);
  if (member != NULL)
    elements[n++] = g_variant_new_string (member);

  return g_variant_new_array (G_VARIANT_TYPE_STRING, elements, n);
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

GVariant *
_comlink_message_new_hello (void)
{
  return _comlink_message_new (COMLINK_MESSAGE_HELLO, 0, 0, NULL,
                               g_variant_new ("(us)", COMLINK_PROTOCOL_VERSION, "comlink-glib"));
}

gboolean
_comlink_message_check_hello (const ComlinkMessage *message,
                              GError              **error)
{
  guint32 version;

  if (message->type != COMLINK_MESSAGE_HELLO)
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                   _ ("Message type %u before the handshake"), message->type);
      return FALSE;
    }

  g_variant_get (message->body, "(u&s)", &version, NULL);
  if (version != COMLINK_PROTOCOL_VERSION)
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                   _ ("The peer speaks protocol version %u, not %u"),
                   version, COMLINK_PROTOCOL_VERSION);
      return FALSE;
    }

  return TRUE;
}

GVariant *
_comlink_message_new_reply (guint64   id,
                            GVariant *value)
{
  return _comlink_message_new (COMLINK_MESSAGE_REPLY, id, 0, NULL, value);
}

GVariant *
_comlink_message_new_error (guint64       id,
                            const GError *error)
{
  return _comlink_message_new (COMLINK_MESSAGE_ERROR, id, 0, NULL,
                               _comlink_wire_error_new (error));
}

GVariant *
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

GVariant *
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

  if (depth > 16 || !g_variant_is_container (value))
    return TRUE;

  if (g_variant_is_of_type (value, G_VARIANT_TYPE ("(yv)")))
    {
      g_autoptr(GVariant) content = NULL;
      ComlinkTag tag = _comlink_wire_untag (value, &content, NULL);
      g_autoptr(GVariant) handles = NULL;
      gint32 handle;

      if (tag == COMLINK_TAG_MEMFD)
        {
          g_variant_get (content, "(th)", NULL, &handle);
          return mark_fd (handle, used, n_fds);
        }
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
  const char *domain = g_quark_to_string (error->domain);
  const char *message = error->message ? error->message : "";

  if (!g_utf8_validate (message, -1, NULL))
    message = "(invalid UTF-8 in error message)";

  return g_variant_new ("(sis)", domain, error->code, message);
}

/* Maps a peer's error back to a GError. A domain is used only when its
 * quark already exists in this process: no quark is ever created from
 * what the peer sent. */
GError *
_comlink_wire_error_parse (GVariant *content)
{
  const char *domain;
  const char *message;
  gint32      code;
  GQuark      quark;

  g_variant_get (content, "(&si&s)", &domain, &code, &message);

  quark = g_quark_try_string (domain);
  if (quark == 0)
    return g_error_new (COMLINK_ERROR, COMLINK_ERROR_REMOTE,
                        "%s (%s, %d)", message, domain, code);

  return g_error_new_literal (quark, code, message);
}
