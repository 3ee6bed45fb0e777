/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The wire layer: checking a serialised message from a peer before GLib
 * reads it.
 *
 * GLib 2.74 reads serialised GVariants that it does not trust with checks
 * that cost, for each child, time in the number of its siblings: a message
 * of many small elements takes time quadratic in its size (a 1 MB array of
 * empty strings blocks a main loop for seconds, 32 MiB for hours). So a
 * frame is checked here instead, in one pass linear in its size: every
 * rule of the GVariant serialisation format's normal form, a bound on
 * the number of elements and on the nesting depth. A frame that passes is
 * given to GLib as trusted, which then reads each child in constant time.
 *
 * The rules are those of GLib's own g_variant_is_normal_form(), which the
 * fuzz target compares with this checker: framing offsets in order and in
 * range, offsets of the smallest size, zero padding, booleans 0 or 1,
 * strings with one nul at their end and valid UTF-8, valid object paths
 * and signatures, variants holding one definite type no deeper than GLib
 * allows, fixed-size values of exactly their size.
 */

#include "config.h"

#include <string.h>

#include "comlink-error.h"
#include "comlink-private.h"
#include "comlink-wire-private.h"

/* GLib's G_VARIANT_MAX_RECURSION_DEPTH: no container nests deeper */
#define MAX_DEPTH 128

/* What a type string says about the type that starts at one position */
typedef struct
{
  guint32 end;        /* the position after the type */
  guint32 fixed_size; /* 0 for a type of variable size */
  guint8  alignment;  /* a mask: 0, 1, 3 or 7 */
  guint8  depth;      /* as GLib counts it: 1 for a basic type or a
                       * variant, one more than the deepest member for
                       * a container */
} TypeInfo;

/* What normal form asks of each byte of a value of fixed size */
enum
{
  BYTE_ZERO, /* padding, or the byte of a unit */
  BYTE_BOOLEAN,
  BYTE_ANY,
};

typedef struct
{
  const char *type;    /* the type string being checked, not nul-terminated */
  TypeInfo   *info;    /* one entry per position of type */
  guint8    **layouts; /* per position: a tuple of fixed size, byte by byte */
  guint64     elements;
  guint64     max_elements;
  const char *reason;         /* why the message is refused */
  gboolean    shared_layouts; /* layouts are the message type's, kept */
} Check;

/* Fills @info for the type at @pos of @type; returns the position after
 * it, or 0 if it is not one complete definite type within @max_depth
 * (and then sets @too_deep if it went deeper) */
static gsize
scan_type (const char *type,
           gsize       pos,
           gsize       len,
           guint       max_depth,
           TypeInfo   *info,
           gboolean   *too_deep)
{
  TypeInfo *self = &info[pos];
  gsize     p;

  if (max_depth == 0)
    *too_deep = TRUE;
  if (pos >= len || max_depth == 0)
    return 0;

  self->depth = 1;
  switch (type[pos])
    {
    case 'b':
    case 'y':
      self->fixed_size = 1, self->alignment = 0;
      break;
    case 'n':
    case 'q':
      self->fixed_size = 2, self->alignment = 1;
      break;
    case 'i':
    case 'u':
    case 'h':
      self->fixed_size = 4, self->alignment = 3;
      break;
    case 'x':
    case 't':
    case 'd':
      self->fixed_size = 8, self->alignment = 7;
      break;
    case 's':
    case 'o':
    case 'g':
      self->fixed_size = 0, self->alignment = 0;
      break;
    case 'v':
      self->fixed_size = 0, self->alignment = 7;
      break;

    case 'm':
    case 'a':
      p = scan_type (type, pos + 1, len, max_depth - 1, info, too_deep);
      if (p == 0)
        return 0;
      self->fixed_size = 0;
      self->alignment = info[pos + 1].alignment;
      self->depth = info[pos + 1].depth + 1;
      self->end = p;
      return p;

    case '(':
    case '{':
      {
        const char close = type[pos] == '(' ? ')' : '}';
        gsize      offset = 0;
        gboolean   fixed = TRUE;
        guint      n_members = 0;

        self->alignment = 0;
        p = pos + 1;
        while (p < len && type[p] != close)
          {
            TypeInfo *member = &info[p];
            gsize     next = scan_type (type, p, len, max_depth - 1, info, too_deep);

            if (next == 0)
              return 0;
            /* A dict entry's key is a basic type */
            if (close == '}' && n_members == 0 && strchr ("bynqiuxthdsog", type[p]) == NULL)
              return 0;
            n_members++;
            self->alignment |= member->alignment;
            self->depth = MAX (self->depth, member->depth + 1);
            if (member->fixed_size == 0)
              fixed = FALSE;
            else if (fixed)
              offset = ((offset + member->alignment) & ~(gsize) member->alignment) + member->fixed_size;
            p = next;
          }
        if (p >= len || (close == '}' && n_members != 2))
          return 0;
        if (fixed)
          {
            offset = (offset + self->alignment) & ~(gsize) self->alignment;
            /* The unit type takes one byte; a fixed size fits the frame */
            if (offset > G_MAXUINT32)
              return 0;
            self->fixed_size = offset == 0 ? 1 : (guint32) offset;
          }
        else
          self->fixed_size = 0;
        self->end = p + 1;
        return p + 1;
      }

    default:
      return 0;
    }

  self->end = pos + 1;
  return pos + 1;
}

/* The layout of the type of @len characters at @type, one complete valid
 * type: its alignment (a mask: 0, 1, 3 or 7) and its fixed size (0 for a
 * type of variable size). The writer lays values out by it, as the
 * checker does. */
void
_comlink_wire_type_layout (const char *type,
                           gsize       len,
                           gsize      *alignment,
                           gsize      *fixed_size)
{
  TypeInfo  local[32];
  TypeInfo *info = len <= G_N_ELEMENTS (local) ? local : g_new (TypeInfo, len);
  gboolean  too_deep = FALSE;

  if (scan_type (type, 0, len, MAX_DEPTH, info, &too_deep) != len)
    g_assert_not_reached ();
  *alignment = info[0].alignment;
  *fixed_size = info[0].fixed_size;
  if (info != local)
    g_free (info);
}

/* The size of a container of @body bytes and @n framing offsets, with
 * offsets of the smallest size that can hold it: in normal form, the
 * container's size is exactly this */
static gsize
total_size_for (gsize body,
                gsize n)
{
  if (body + n <= G_MAXUINT8)
    return body + n;
  if (body + 2 * n <= G_MAXUINT16)
    return body + 2 * n;
  if (body + 4 * n <= G_MAXUINT32)
    return body + 4 * n;
  return body + 8 * n;
}

static gsize
read_offset (const guint8 *data,
             gsize         offset_size)
{
  guint64 value = 0;

  /* Framing offsets are little-endian in every byte order */
  for (gsize i = offset_size; i > 0; i--)
    value = (value << 8) | data[i - 1];

  return (gsize) value;
}

static gboolean
refuse (Check      *check,
        const char *reason)
{
  check->reason = reason;
  return FALSE;
}

static gboolean
count_elements (Check  *check,
                guint64 n)
{
  check->elements += n;
  if (check->elements > check->max_elements)
    return refuse (check, NULL);
  return TRUE;
}

/* Writes what each byte of the fixed-size type at @pos must hold, from
 * @layout on; the caller zeroed it (BYTE_ZERO) */
static void
fill_layout (const Check *check,
             gsize        pos,
             guint8      *layout)
{
  const TypeInfo *self = &check->info[pos];
  gsize           offset = 0;
  gsize           p;

  switch (check->type[pos])
    {
    case 'b':
      layout[0] = BYTE_BOOLEAN;
      return;
    case '(':
    case '{':
      for (p = pos + 1; p + 1 < self->end; p = check->info[p].end)
        {
          const TypeInfo *member = &check->info[p];

          offset = (offset + member->alignment) & ~(gsize) member->alignment;
          fill_layout (check, p, layout + offset);
          offset += member->fixed_size;
        }
      return;
    default:
      memset (layout, BYTE_ANY, self->fixed_size);
    }
}

/* A tuple of fixed size is checked byte by byte against its layout,
 * whatever its nesting: time in its size, not in its depth */
static gboolean
check_fixed_tuple (Check        *check,
                   gsize         pos,
                   const guint8 *data)
{
  gsize   size = check->info[pos].fixed_size;
  guint8 *layout;

  if (check->layouts == NULL)
    check->layouts = g_new0 (guint8 *, check->info[0].end);
  layout = check->layouts[pos];
  if (layout == NULL)
    {
      layout = check->layouts[pos] = g_malloc0 (size);
      fill_layout (check, pos, layout);
    }

  for (gsize i = 0; i < size; i++)
    if ((layout[i] == BYTE_ZERO && data[i] != 0) || (layout[i] == BYTE_BOOLEAN && data[i] > 1))
      /* Translators: a reason why a message is refused, put into “A message that is not in normal form: %s” */
      return refuse (check, layout[i] == BYTE_ZERO ? N_ ("padding that is not zero")
                                                   /* Translators: a reason why a message is refused, put into “A message that is not in normal form: %s” */
                                                   : N_ ("a boolean that is neither 0 nor 1"));

  return TRUE;
}

static void
clear_layouts (Check *check)
{
  if (check->layouts == NULL || check->shared_layouts)
    return;
  for (gsize i = 0; i < check->info[0].end; i++)
    g_free (check->layouts[i]);
  g_clear_pointer (&check->layouts, g_free);
}

static gboolean check_value (Check        *check,
                             gsize         pos,
                             const guint8 *data,
                             gsize         size,
                             guint         depth);

static gboolean
check_string (Check        *check,
              char          kind,
              const guint8 *data,
              gsize         size)
{
  const char *text = (const char *) data;

  if (size == 0 || data[size - 1] != '\0' || memchr (data, '\0', size - 1) != NULL)
    /* Translators: a reason why a message is refused, put into “A message that is not in normal form: %s” */
    return refuse (check, N_ ("a string without exactly one nul at its end"));
  if (!g_utf8_validate (text, size - 1, NULL))
    /* Translators: a reason why a message is refused, put into “A message that is not in normal form: %s” */
    return refuse (check, N_ ("a string that is not valid UTF-8"));
  if (kind == 'o' && !g_variant_is_object_path (text))
    /* Translators: a reason why a message is refused, put into “A message that is not in normal form: %s” */
    return refuse (check, N_ ("an object path that is not valid"));
  if (kind == 'g' && !g_variant_is_signature (text))
    /* Translators: a reason why a message is refused, put into “A message that is not in normal form: %s” */
    return refuse (check, N_ ("a signature that is not valid"));

  return TRUE;
}

/* The type of every message, scanned once, with the layouts of its
 * tuples of fixed size: most variants of a frame are of that type */
static struct
{
  TypeInfo info[sizeof COMLINK_MESSAGE_TYPE_STRING - 1];
  guint8  *layouts[sizeof COMLINK_MESSAGE_TYPE_STRING - 1];
} message_type;

static void
ensure_message_type (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      const char *type = COMLINK_MESSAGE_TYPE_STRING;
      gsize       len = strlen (type);
      gboolean    too_deep = FALSE;
      Check       scanned = { type, message_type.info, NULL, 0, 0, NULL, FALSE };

      if (scan_type (type, 0, len, MAX_DEPTH, message_type.info, &too_deep) != len)
        g_assert_not_reached ();
      for (gsize pos = 0; pos < len; pos++)
        if ((type[pos] == '(' || type[pos] == '{') && message_type.info[pos].fixed_size != 0)
          {
            message_type.layouts[pos] = g_malloc0 (message_type.info[pos].fixed_size);
            fill_layout (&scanned, pos, message_type.layouts[pos]);
          }
      g_once_init_leave (&initialized, 1);
    }
}

static gboolean
check_variant (Check        *check,
               const guint8 *data,
               gsize         size,
               guint         depth)
{
  TypeInfo    local[32];
  TypeInfo   *info = local;
  Check       inner = *check;
  gsize       nul = size;
  gsize       type_len;
  const char *type;
  gboolean    too_deep = FALSE;
  gboolean    ok;

  /* The type string follows the last nul */
  while (nul > 0 && data[nul - 1] != '\0')
    nul--;
  if (nul == 0)
    /* Translators: a reason why a message is refused, put into “A message that is not in normal form: %s” */
    return refuse (check, N_ ("a variant without a type"));
  nul--;
  type = (const char *) data + nul + 1;
  type_len = size - nul - 1;

  if (type_len == 0)
    return refuse (check, N_ ("a variant without a type"));

  ensure_message_type ();
  if (type_len == G_N_ELEMENTS (message_type.info) &&
      memcmp (type, COMLINK_MESSAGE_TYPE_STRING, type_len) == 0 &&
      depth + message_type.info[0].depth < MAX_DEPTH)
    {
      if (message_type.info[0].fixed_size != 0 && message_type.info[0].fixed_size != nul)
        return refuse (check, N_ ("a value of the wrong size"));
      inner.type = type;
      inner.info = message_type.info;
      inner.layouts = message_type.layouts;
      inner.shared_layouts = TRUE;
      ok = check_value (&inner, 0, data, nul, depth + 1);
      check->elements = inner.elements;
      check->reason = inner.reason;
      return ok;
    }

  if (type_len > G_N_ELEMENTS (local))
    info = g_new (TypeInfo, type_len);
  if (scan_type (type, 0, type_len, MAX_DEPTH - depth, info, &too_deep) != type_len)
    {
      if (info != local)
        g_free (info);
      /* Translators: a reason why a message is refused, put into “A message that is not in normal form: %s” */
      return refuse (check, too_deep ? N_ ("a variant of a type nested too deep")
                                     /* Translators: a reason why a message is refused, put into “A message that is not in normal form: %s” */
                                     : N_ ("a variant whose type is not one valid type"));
    }
  if (depth + info[0].depth >= MAX_DEPTH)
    {
      if (info != local)
        g_free (info);
      return refuse (check, N_ ("a variant of a type nested too deep"));
    }
  if (info[0].fixed_size != 0 && info[0].fixed_size != nul)
    {
      if (info != local)
        g_free (info);
      /* Translators: a reason why a message is refused, put into “A message that is not in normal form: %s” */
      return refuse (check, N_ ("a value of the wrong size"));
    }

  inner.type = type;
  inner.info = info;
  inner.layouts = NULL;
  inner.shared_layouts = FALSE;
  ok = check_value (&inner, 0, data, nul, depth + 1);
  check->elements = inner.elements;
  check->reason = inner.reason;
  clear_layouts (&inner);

  if (info != local)
    g_free (info);

  return ok;
}

static gboolean
check_maybe (Check        *check,
             gsize         pos,
             const guint8 *data,
             gsize         size,
             guint         depth)
{
  const TypeInfo *element = &check->info[pos + 1];

  if (size == 0)
    return TRUE;
  if (!count_elements (check, 1))
    return FALSE;

  if (element->fixed_size != 0)
    {
      if (size != element->fixed_size)
        return refuse (check, N_ ("a value of the wrong size"));
      return check_value (check, pos + 1, data, size, depth + 1);
    }

  if (data[size - 1] != '\0')
    /* Translators: a reason why a message is refused, put into “A message that is not in normal form: %s” */
    return refuse (check, N_ ("a maybe value without its final zero"));
  return check_value (check, pos + 1, data, size - 1, depth + 1);
}

static gboolean
is_number (char type)
{
  return strchr ("ynqiuxthd", type) != NULL;
}

static gboolean
check_fixed_array (Check        *check,
                   gsize         pos,
                   const guint8 *data,
                   gsize         size,
                   guint         depth)
{
  gsize element_size = check->info[pos + 1].fixed_size;
  char  element = check->type[pos + 1];
  gsize n;

  if (size % element_size != 0)
    /* Translators: a reason why a message is refused, put into “A message that is not in normal form: %s” */
    return refuse (check, N_ ("an array whose size is not a multiple of its elements’"));
  n = size / element_size;

  /* Arrays of numbers are read in place, and any bytes are normal */
  if (is_number (element))
    return TRUE;

  if (element == 'b')
    {
      for (gsize i = 0; i < n; i++)
        if (data[i] > 1)
          return refuse (check, N_ ("a boolean that is neither 0 nor 1"));
      return TRUE;
    }

  if (!count_elements (check, n))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!check_value (check, pos + 1, data + i * element_size, element_size, depth + 1))
      return FALSE;

  return TRUE;
}

static gboolean
check_variable_array (Check        *check,
                      gsize         pos,
                      const guint8 *data,
                      gsize         size,
                      guint         depth)
{
  guint8        alignment = check->info[pos + 1].alignment;
  gsize         offset_size = _comlink_wire_offset_size (size);
  gsize         last_end = read_offset (data + size - offset_size, offset_size);
  const guint8 *offsets;
  gsize         n;
  gsize         offset = 0;

  if (last_end > size || (size - last_end) % offset_size != 0)
    /* Translators: a reason why a message is refused, put into “A message that is not in normal form: %s” */
    return refuse (check, N_ ("framing offsets out of range"));
  n = (size - last_end) / offset_size;
  if (n == 0)
    return refuse (check, N_ ("framing offsets out of range"));
  if (total_size_for (last_end, n) != size)
    /* Translators: a reason why a message is refused, put into “A message that is not in normal form: %s” */
    return refuse (check, N_ ("framing offsets larger than needed"));
  if (!count_elements (check, n))
    return FALSE;

  offsets = data + last_end;
  for (gsize i = 0; i < n; i++)
    {
      gsize end = read_offset (offsets + i * offset_size, offset_size);

      if (end < offset || end > last_end)
        /* Translators: a reason why a message is refused, put into “A message that is not in normal form: %s” */
        return refuse (check, N_ ("framing offsets out of order"));
      while ((offset & alignment) != 0)
        {
          if (offset >= end || data[offset] != '\0')
            return refuse (check, N_ ("padding that is not zero"));
          offset++;
        }
      if (!check_value (check, pos + 1, data + offset, end - offset, depth + 1))
        return FALSE;
      offset = end;
    }

  return TRUE;
}

static gboolean
check_tuple (Check        *check,
             gsize         pos,
             const guint8 *data,
             gsize         size,
             guint         depth)
{
  const TypeInfo *self = &check->info[pos];
  gsize           offset_size = _comlink_wire_offset_size (size);
  gsize           offset_ptr = size;
  gsize           offset = 0;
  gsize           p = pos + 1;
  guint           n_members = 0;

  while (p + 1 < self->end)
    {
      const TypeInfo *member = &check->info[p];
      gboolean        last = member->end + 1 == self->end;
      gsize           end;

      while ((offset & member->alignment) != 0)
        {
          if (offset >= size || data[offset] != '\0')
            return refuse (check, N_ ("padding that is not zero"));
          offset++;
        }

      if (member->fixed_size != 0)
        end = offset + member->fixed_size;
      else if (last)
        end = offset_ptr;
      else
        {
          if (offset_ptr < offset_size)
            return refuse (check, N_ ("framing offsets out of range"));
          offset_ptr -= offset_size;
          if (offset_ptr < offset)
            return refuse (check, N_ ("framing offsets out of range"));
          end = read_offset (data + offset_ptr, offset_size);
        }

      if (end < offset || end > offset_ptr)
        return refuse (check, N_ ("framing offsets out of range"));
      if (!check_value (check, p, data + offset, end - offset, depth + 1))
        return FALSE;

      offset = end;
      p = member->end;
      n_members++;
    }

  if (self->fixed_size != 0)
    {
      /* The unit type is one zero byte; others end in zero padding */
      if (n_members == 0)
        {
          if (size != 1 || data[0] != '\0')
            return refuse (check, N_ ("padding that is not zero"));
          return TRUE;
        }
      while ((offset & self->alignment) != 0)
        {
          if (offset >= size || data[offset] != '\0')
            return refuse (check, N_ ("padding that is not zero"));
          offset++;
        }
    }

  if (offset != offset_ptr)
    return refuse (check, N_ ("framing offsets out of range"));
  if (offset_size > 0 && total_size_for (offset_ptr, (size - offset_ptr) / offset_size) != size)
    return refuse (check, N_ ("framing offsets larger than needed"));

  return TRUE;
}

static gboolean
check_value (Check        *check,
             gsize         pos,
             const guint8 *data,
             gsize         size,
             guint         depth)
{
  const TypeInfo *self = &check->info[pos];
  char            type = check->type[pos];

  if (depth >= MAX_DEPTH)
    /* Translators: a reason why a message is refused, put into “A message that is not in normal form: %s” */
    return refuse (check, N_ ("a value nested too deep"));
  if (self->fixed_size != 0 && size != self->fixed_size)
    return refuse (check, N_ ("a value of the wrong size"));

  switch (type)
    {
    case 'b':
      return data[0] <= 1 ? TRUE : refuse (check, N_ ("a boolean that is neither 0 nor 1"));
    case 's':
    case 'o':
    case 'g':
      return check_string (check, type, data, size);
    case 'v':
      if (!count_elements (check, 1))
        return FALSE;
      return check_variant (check, data, size, depth);
    case 'm':
      return check_maybe (check, pos, data, size, depth);
    case 'a':
      if (size == 0)
        return TRUE;
      if (check->info[pos + 1].fixed_size != 0)
        return check_fixed_array (check, pos, data, size, depth);
      return check_variable_array (check, pos, data, size, depth);
    case '(':
    case '{':
      if (self->fixed_size != 0)
        return check_fixed_tuple (check, pos, data);
      return check_tuple (check, pos, data, size, depth);
    default:
      /* Numbers: any bytes of the right size */
      return TRUE;
    }
}

/* Checks that @data is a variant (type "v") in normal form, little-endian,
 * of at most @max_elements elements: each element of an array (but those
 * of arrays of numbers and booleans, which are read in place), each
 * variant, each present maybe. Linear in @size. */
gboolean
_comlink_wire_check_serialised (const guint8 *data,
                                gsize         size,
                                guint64       max_elements,
                                GError      **error)
{
  TypeInfo info[1];
  Check    check = { "v", info, NULL, 0, max_elements, NULL, FALSE };

  gboolean too_deep = FALSE;

  scan_type ("v", 0, 1, MAX_DEPTH, info, &too_deep);
  if (check_value (&check, 0, data, size, 0))
    return TRUE;

  if (check.reason == NULL)
    g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                 /* Translators: the elements of a message are its values, at
                  * every depth */
                 g_dngettext (GETTEXT_PACKAGE,
                              "A message of more than %llu element",
                              "A message of more than %llu elements",
                              (gulong) max_elements),
                 (unsigned long long) max_elements);
  else
    g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                 _ ("A message that is not in normal form: %s"), _ (check.reason));

  return FALSE;
}
