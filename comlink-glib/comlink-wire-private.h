/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The wire layer: the shape of every message and of every value inside
 * one. See doc/protocol.md. Nothing above this file builds or picks apart
 * a message GVariant by hand. */

#define COMLINK_PROTOCOL_VERSION 1
#define COMLINK_MESSAGE_TYPE_STRING "((ytt)asv)"
#define COMLINK_MAX_PATH_LENGTH 64
/* The most levels of nesting of a value of a message (GLib reads 128 at
 * most, and a message puts up to 5 around a value) */
#define COMLINK_MAX_VALUE_DEPTH 120
/* The body of an ERROR with details: domain, code, message, details */
#define COMLINK_ERROR_DETAILS_TYPE_STRING "(sisa{sv})"
/* The bounds of the details of an ERROR, in bytes */
#define COMLINK_ERROR_MAX_CLASS_NAME 256
#define COMLINK_ERROR_MAX_STACK (64 * 1024)

/* The numbers are part of the protocol: new kinds get new numbers */
typedef enum
{
  COMLINK_MESSAGE_HELLO = 1,
  COMLINK_MESSAGE_CALL = 2,
  COMLINK_MESSAGE_GET = 3,
  COMLINK_MESSAGE_SET = 4,
  COMLINK_MESSAGE_RELEASE = 5,
  COMLINK_MESSAGE_CANCEL = 6,
  COMLINK_MESSAGE_REPLY = 7,
  COMLINK_MESSAGE_ERROR = 8,
  COMLINK_MESSAGE_CONSTRUCT = 9,
  COMLINK_MESSAGE_SUBSCRIBE = 10,
  COMLINK_MESSAGE_SIGNAL = 11,
  COMLINK_MESSAGE_UNSUBSCRIBE = 12,
  COMLINK_MESSAGE_ENDPOINT = 13,
  COMLINK_MESSAGE_DESCRIBE = 14,
  COMLINK_MESSAGE_LAST = COMLINK_MESSAGE_DESCRIBE,
} ComlinkMessageType;

/* Tags of values that are not plain basic values: (yv) */
typedef enum
{
  COMLINK_TAG_NONE = 1, /* ()      no value: void, an unset GValue */
  COMLINK_TAG_VARIANT,  /* any     a GVariant carried as is */
  COMLINK_TAG_BYTES,    /* ay      GBytes */
  COMLINK_TAG_FLOAT,    /* d       a gfloat */
  COMLINK_TAG_ENUM,     /* (ss)    type name, nick */
  COMLINK_TAG_FLAGS,    /* (sas)   type name, nicks */
  COMLINK_TAG_ERROR,    /* (sis)   domain, code, message */
  COMLINK_TAG_OBJECT,   /* t       an object exported by the sender */
  COMLINK_TAG_PEER,     /* t       an object the receiver exported */
  COMLINK_TAG_ENDPOINT, /* s       an in-process endpoint, by its token */
  COMLINK_TAG_HANDLER,  /* (sv)    what a transfer handler wrote */
  COMLINK_TAG_FDS,      /* (sah)   a GUnixFDList or an fd-holding object:
                         *         type name, indices into the message's
                         *         file descriptors */
  COMLINK_TAG_MEMFD,    /* (th)    GBytes in a sealed memfd: size, index */
  COMLINK_TAG_SOCKET,   /* h       an endpoint that moved to the receiver: a
                         *         Unix socket carrying its stream, by index */
  COMLINK_TAG_NULL,     /* ()      a null value: a NULL GVariant, GBytes, GStrv
                         *         or GError, a NULL gpointer */
  COMLINK_TAG_ARRAY,    /* av      a ComlinkContainer array: its items */
  COMLINK_TAG_DICT,     /* a{sv}   a ComlinkContainer dictionary: its items
                         *         by key, in order, each key once */
  COMLINK_TAG_LAST = COMLINK_TAG_DICT,
} ComlinkTag;

/* A value this side sends, before it is written: a plain number,
 * boolean or string as it is, any other as the GVariant of its wire form.
 * @kind is the wire type of a plain value ('b', 'y', 'n', 'i', 'u', 'x',
 * 't', 'd'; 's' for a string, which goes as "ms"), or 'v' for a GVariant. */
typedef struct
{
  char kind;
  union
  {
    guint64   number; /* integers, sign-extended; booleans, 0 or 1 */
    gdouble   dbl;
    char     *string;  /* owned; NULL for a null string */
    GVariant *variant; /* owned, not floating */
  } u;
} ComlinkWireValue;

/* The values of a message body, shared (atomically reference-counted) by
 * the sender and an in-process receiver, and never changed once made: an
 * "av" of them (@is_array), or a single value that is the body itself */
typedef struct
{
  gint             ref_count;
  gboolean         is_array;
  guint            n;
  ComlinkWireValue values[];
} ComlinkWireValues;

ComlinkWireValues *_comlink_wire_values_new (gboolean is_array,
                                             guint    n);
ComlinkWireValues *_comlink_wire_values_ref (ComlinkWireValues *values);
void               _comlink_wire_values_unref (ComlinkWireValues *values);
GVariant          *_comlink_wire_values_build (const ComlinkWireValues *values);
const char        *_comlink_wire_value_type (const ComlinkWireValue *value);
GVariant          *_comlink_wire_value_to_variant (const ComlinkWireValue *value);
gboolean           _comlink_wire_value_plain (const ComlinkWireValue *value,
                                              GValue                 *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ComlinkWireValues, _comlink_wire_values_unref)

/* A message of the peer, as the connection handles it. The endpoint that
 * received it fills it in: from the serialised frame in place, from a
 * GVariant message, or as an in-process peer sent it. The body is any of
 * three forms: the values an in-process peer sent (@values), the bytes of
 * a checked frame (@frame_body), or a GVariant; the first two become a
 * GVariant only when _comlink_message_get_body() asks for one. */
typedef struct
{
  ComlinkMessageType type;
  guint64            id;
  guint64            target;
  char             **path; /* owned: the navigation path and the member,
                              * NULL-terminated; NULL if it has none */
  guint              n_path;
  GVariant          *body_variant; /* owned: the content of the v, or NULL
                                    * until _comlink_message_get_body() */
  ComlinkWireValues *values;       /* owned: the body as an in-process
                                    * peer sent it, or NULL */
  /* A body that lies serialised in a checked frame, little-endian: its
   * value's bytes, and what releases the frame (once the body GVariant
   * has them, that GVariant does) */
  const guint8  *frame_body;
  gsize          frame_body_size;
  GDestroyNotify frame_free;
  gpointer       frame_owner;
  char           body_type[8]; /* the type of the body, when it is
                                    * known without a GVariant; "" else */
  gsize          size;         /* bytes it took on the wire; 0 if unknown */
} ComlinkMessage;

/* A message this side sends: built by the connection, written by the
 * endpoint as it likes (serialised straight into a stream's buffer, handed
 * over in-process, or as a GVariant by _comlink_message_build()). The
 * body is either @body or @values. */
typedef struct
{
  ComlinkMessageType type;
  guint64            id;
  guint64            target;
  GVariant          *path;   /* borrowed: "as", or NULL for none */
  GVariant          *body;   /* owned, not floating; or NULL */
  ComlinkWireValues *values; /* owned; or NULL */
} ComlinkOutgoing;

GVariant       *_comlink_message_get_body (ComlinkMessage *message);
const char     *_comlink_message_get_body_type (ComlinkMessage *message);
gboolean        _comlink_message_read_plain (ComlinkMessage *message,
                                             GValue         *value);
ComlinkOutgoing _comlink_message_new_values (ComlinkMessageType type,
                                             guint64            id,
                                             guint64            target,
                                             GVariant          *path,
                                             ComlinkWireValues *values);
GVariant       *_comlink_outgoing_get_body (const ComlinkOutgoing *message);

void      _comlink_message_clear (ComlinkMessage *message);
gboolean  _comlink_message_parse (GVariant       *variant,
                                  ComlinkMessage *message,
                                  GError        **error);
gboolean  _comlink_message_read (const guint8   *data,
                                 gsize           size,
                                 GDestroyNotify  free_func,
                                 gpointer        owner,
                                 ComlinkMessage *message,
                                 GError        **error);
void      _comlink_message_take (ComlinkMessage        *message,
                                 const ComlinkOutgoing *outgoing);
gboolean  _comlink_message_check (ComlinkMessage *message,
                                  GError        **error);
gsize     _comlink_message_get_size (ComlinkMessage *message);
GVariant *_comlink_message_to_variant (ComlinkMessage *message);

ComlinkOutgoing _comlink_message_new (ComlinkMessageType type,
                                      guint64            id,
                                      guint64            target,
                                      GVariant          *path,
                                      GVariant          *body);
void            _comlink_outgoing_clear (ComlinkOutgoing *message);
GVariant       *_comlink_message_build (const ComlinkOutgoing *message);
GVariant       *_comlink_message_new_path (const char       *const *path,
                                           gsize               n_path,
                                           const char         *member);
GVariant       *_comlink_wire_unit (void);
GVariant       *_comlink_wire_none (void);
GVariant       *_comlink_wire_null (void);
ComlinkOutgoing _comlink_message_new_hello (void);
gboolean        _comlink_message_check_hello (ComlinkMessage *message,
                                              GError        **error);
ComlinkOutgoing _comlink_message_new_reply (guint64   id,
                                            GVariant *value);
ComlinkOutgoing _comlink_message_new_error (guint64       id,
                                            const GError *error);
ComlinkOutgoing _comlink_message_new_error_full (guint64       id,
                                                 const GError *error,
                                                 const char   *class_name,
                                                 const char   *stack);
ComlinkOutgoing _comlink_message_new_release (guint64 id,
                                              GArray *releases);
ComlinkOutgoing _comlink_message_new_cancel (guint64 id);

typedef struct
{
  guint64 id;
  guint32 count;
} ComlinkRelease;

GVariant  *_comlink_wire_tag (ComlinkTag tag,
                              GVariant  *content);
gboolean   _comlink_wire_is_tagged (GVariant *value);
ComlinkTag _comlink_wire_untag (GVariant  *value,
                                GVariant **content,
                                GError   **error);
GVariant  *_comlink_wire_error_new (const GError *error);
gboolean   _comlink_wire_check_fds (GVariant *body,
                                    guint     n_fds,
                                    GError  **error);
GError    *_comlink_wire_error_parse (GVariant *content);
GVariant  *_comlink_wire_error_new_full (const GError *error,
                                         const char   *class_name,
                                         const char   *stack);
gboolean   _comlink_wire_error_parse_details (GVariant *content,
                                              char    **class_name,
                                              char    **stack);

/* The size of the framing offsets of a container of @size bytes in the
 * GVariant serialisation format */
static inline gsize
_comlink_wire_offset_size (gsize size)
{
  if (size > G_MAXUINT32)
    return 8;
  if (size > G_MAXUINT16)
    return 4;
  if (size > G_MAXUINT8)
    return 2;
  return size > 0 ? 1 : 0;
}

/* A part of a message that is not copied into the output buffer: it
 * belongs at @position of the buffer, before what follows there; and the
 * @skip bytes of the buffer from @position on, padding that keeps what
 * follows aligned in memory, are not part of the output */
typedef struct
{
  gsize   position;
  GBytes *bytes;
  gsize   skip;
} ComlinkWireRef;

void  _comlink_wire_write (GVariant   *value,
                           GByteArray *buffer,
                           GArray     *refs,
                           gsize       threshold);
void  _comlink_wire_ref_clear (ComlinkWireRef *ref);
gsize _comlink_wire_write_message (const ComlinkOutgoing *message,
                                   GByteArray            *buffer,
                                   GArray                *refs,
                                   gsize                  threshold);

/* The description of an object that DESCRIBE answers: an a{sv} with
 * these keys, each of its own type; see doc/protocol.md */
#define COMLINK_DESCRIPTION_TYPE_STRING "a{sv}"
#define COMLINK_DESCRIPTION_METHODS_TYPE "a(sass)"   /* name, argument types, return type */
#define COMLINK_DESCRIPTION_PROPERTIES_TYPE "a(ssu)" /* name, type, ComlinkPropertyAccess */
#define COMLINK_DESCRIPTION_SIGNALS_TYPE "a(sas)"    /* name, parameter types */
/* The most entries of each list, and the most types of one entry */
#define COMLINK_DESCRIPTION_MAX_ENTRIES 1024
#define COMLINK_DESCRIPTION_MAX_TYPES 64
/* The type name of a value whose type is not declared */
#define COMLINK_DESCRIPTION_ANY "any"

typedef enum
{
  COMLINK_PROPERTY_READABLE = 1 << 0, /* answers GET */
  COMLINK_PROPERTY_WRITABLE = 1 << 1, /* answers SET */
} ComlinkPropertyAccess;

GVariant *_comlink_wire_description_check (GVariant *description,
                                           GError  **error);

/* The elements of an "av" that lies serialised in a checked frame */
typedef struct
{
  const guint8 *data;
  gsize         size;
  gsize         offset_size;
  gsize         table; /* where its framing offsets begin */
  gsize         n;
} ComlinkWireArray;

void     _comlink_wire_array_init (ComlinkWireArray *array,
                                   const guint8     *data,
                                   gsize             size);
gboolean _comlink_wire_array_plain (const ComlinkWireArray *array,
                                    gsize                   i,
                                    GValue                 *value);

void     _comlink_wire_type_layout (const char *type,
                                    gsize       len,
                                    gsize      *alignment,
                                    gsize      *fixed_size);
gboolean _comlink_wire_check_serialised (const guint8 *data,
                                         gsize         size,
                                         guint64       max_elements,
                                         GError      **error);

G_END_DECLS
