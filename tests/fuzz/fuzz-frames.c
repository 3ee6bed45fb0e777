/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* libFuzzer target, structure-aware: the bytes do not go on the stream
 * themselves, they drive a generator of valid frames (a correct size
 * header, a message of the right type in normal form), so that a mutation
 * of the input gives other valid frames, which get past the framing and
 * the checks into the dispatcher, where raw bytes seldom go. The bytes
 * choose each message's kind (every kind of doc/protocol.md, and a few
 * that are not), its ids (mostly small and fresh, sometimes reused, huge
 * or zero), its target, its path (members of the served object, sometimes
 * names it lacks), and its body: values of every tag, nested, and now and
 * then a body of the wrong type. A quarter of the inputs then get one byte
 * flipped or the stream cut short within the generated frames, so that the
 * checks also see input that is nearly valid.
 *
 * The served object and the run are those of fuzz-stream (fuzz-target.c).
 * With FUZZ_FRAMES_OUTPUT set to a file name, the generated stream is
 * written there too: a reproducer for fuzz-stream, or a seed for it. */

#include "fuzz-target.h"

#include <string.h>

/* Bounds that keep one input's frames small and quick to serve */
#define MAX_MESSAGES 32
#define MAX_DEPTH 5
#define NODE_BUDGET 200

/* doc/protocol.md */
enum
{
  KIND_HELLO = 1,
  KIND_CALL,
  KIND_GET,
  KIND_SET,
  KIND_RELEASE,
  KIND_CANCEL,
  KIND_REPLY,
  KIND_ERROR,
  KIND_CONSTRUCT,
  KIND_SUBSCRIBE,
  KIND_SIGNAL,
  KIND_UNSUBSCRIBE,
  KIND_ENDPOINT,
  N_KINDS = KIND_ENDPOINT,
};

enum
{
  TAG_NONE = 1,
  TAG_VARIANT,
  TAG_BYTES,
  TAG_FLOAT,
  TAG_ENUM,
  TAG_FLAGS,
  TAG_ERROR,
  TAG_OBJECT,
  TAG_PEER,
  TAG_ENDPOINT,
  TAG_HANDLER,
  TAG_FDS,
  TAG_MEMFD,
  N_TAGS = TAG_MEMFD,
};

/* Strings that mean something to the receiver, beside the member names */
static const char * const words[] = {
  "g-io-error-quark",
  "comlink-error-quark",
  "no-such-domain",
  "GFileType",
  "directory",
  "regular",
  "GFileQueryInfoFlags",
  "nofollow-symlinks",
  "GIOErrorEnum",
  "cancelled",
  "NoSuchType",
  "gfile",
  "file:///tmp/x",
  "no-such-handler",
  "GUnixFDList",
  "GUnixInputStream",
  "GUnixOutputStream",
  "token",
  "\xc3\xa9t\xc3\xa9",
};

typedef struct
{
  const guint8 *data;
  gsize         size;
  gsize         pos;

  guint64 next_id; /* the next fresh call id */
  guint64 ids[16]; /* ids used so far, to reuse */
  guint   n_ids;
  guint   budget; /* values this message may still hold */
} Gen;

/* Past the end of the input every choice is 0, the most ordinary one */
static guint8
take_byte (Gen *g)
{
  return g->pos < g->size ? g->data[g->pos++] : 0;
}

static guint
take_below (Gen  *g,
            guint n)
{
  return take_byte (g) % n;
}

static guint64
take_u64 (Gen *g)
{
  guint64 v = 0;

  for (guint i = 0; i < 8; i++)
    v = (v << 8) | take_byte (g);
  return v;
}

static guint32
take_u32 (Gen *g)
{
  guint32 v = 0;

  for (guint i = 0; i < 4; i++)
    v = (v << 8) | take_byte (g);
  return v;
}

/* ------------------------------------------------------------------ */
/* Ids and names                                                        */

static guint64
remember_id (Gen    *g,
             guint64 id)
{
  g->ids[g->n_ids++ % G_N_ELEMENTS (g->ids)] = id;
  return id;
}

/* A call id: fresh, as a well-behaved peer numbers them, or one that
 * collides, or none */
static guint64
pick_id (Gen *g)
{
  switch (take_below (g, 8))
    {
    case 0:
    case 1:
    case 2: return remember_id (g, g->next_id++);
    case 3: return remember_id (g, 1 + take_below (g, 8));
    case 4:
    case 5:
      return g->n_ids > 0 ? g->ids[take_below (g, MIN (g->n_ids, G_N_ELEMENTS (g->ids)))] : 1;
    case 6: return remember_id (g, take_u64 (g));
    default: return 0;
    }
}

/* An object id: mostly the root; exported ids are random, so others are
 * guesses */
static guint64
pick_object (Gen *g)
{
  switch (take_below (g, 8))
    {
    case 0:
    case 1:
    case 2:
    case 3: return 0;
    case 4: return 1 + take_below (g, 4);
    case 5: return g->n_ids > 0 ? g->ids[0] : 1;
    default: return take_u64 (g);
    }
}

static char *
pick_string (Gen *g)
{
  guint choice = take_below (g, 4);

  if (choice == 0)
    return g_strdup (fuzz_target_member_names[take_below (g, fuzz_target_n_member_names)]);
  if (choice == 1)
    return g_strdup (words[take_below (g, G_N_ELEMENTS (words))]);

  /* Printable ASCII, so that the string stays valid UTF-8 */
  {
    guint len = take_below (g, 9);
    char *s = g_malloc (len + 1);

    for (guint i = 0; i < len; i++)
      s[i] = (char) (0x20 + take_below (g, 0x5f));
    s[len] = '\0';
    return s;
  }
}

static GVariant *
new_string (Gen *g)
{
  return g_variant_new_take_string (pick_string (g));
}

static GVariant *
new_member_path (Gen  *g,
                 guint len)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_STRING_ARRAY);
  for (guint i = 0; i < len; i++)
    {
      /* Names of the served object far more often than others */
      if (take_below (g, 4) != 0)
        g_variant_builder_add (&builder, "s", fuzz_target_member_names[take_below (g, fuzz_target_n_member_names)]);
      else
        g_variant_builder_add_value (&builder, new_string (g));
    }
  return g_variant_builder_end (&builder);
}

/* A request has 1 to 64 elements, other kinds none; sometimes not */
static GVariant *
new_path (Gen     *g,
          gboolean request)
{
  guint choice = take_below (g, 16);

  if (choice == 15)
    return new_member_path (g, 63 + take_below (g, 3));
  if (choice == 14)
    return new_member_path (g, request ? 0 : 1);
  if (!request)
    return g_variant_new_strv (NULL, 0);
  return new_member_path (g, 1 + choice % 3);
}

/* ------------------------------------------------------------------ */
/* Any GVariant, for the VARIANT tag and for bodies of the wrong type   */

static void
append_type (Gen     *g,
             GString *type,
             guint    depth)
{
  static const char basic[] = "bynqiuxthdsog";
  guint             choice = take_below (g, depth > 0 ? 19 : 14);

  if (choice < 13)
    {
      g_string_append_c (type, basic[choice]);
      return;
    }

  switch (choice)
    {
    case 13: g_string_append_c (type, 'v'); break;
    case 14:
      g_string_append_c (type, 'a');
      append_type (g, type, depth - 1);
      break;
    case 15:
      g_string_append_c (type, 'm');
      append_type (g, type, depth - 1);
      break;
    case 16:
      {
        guint n = take_below (g, 4);

        g_string_append_c (type, '(');
        for (guint i = 0; i < n; i++)
          append_type (g, type, depth - 1);
        g_string_append_c (type, ')');
        break;
      }
    case 17:
      g_string_append (type, "a{");
      g_string_append_c (type, basic[take_below (g, 13)]);
      append_type (g, type, depth - 1);
      g_string_append_c (type, '}');
      break;
    default: g_string_append (type, "ay"); break;
    }
}

static GVariant *new_of_type (Gen                *g,
                              const GVariantType *type,
                              guint               depth);

static GVariant *
new_any (Gen  *g,
         guint depth)
{
  g_autoptr(GString) type = g_string_new (NULL);

  append_type (g, type, depth);
  return new_of_type (g, G_VARIANT_TYPE (type->str), depth);
}

static GVariant *
new_basic (Gen *g,
           char type)
{
  static const char * const paths[] = { "/", "/a", "/org/example/X" };
  static const char * const signatures[] = { "", "s", "a{sv}", "(ii)" };
  double                    d;
  guint64                   bits;

  switch (type)
    {
    case 'b': return g_variant_new_boolean (take_byte (g) & 1);
    case 'y': return g_variant_new_byte (take_byte (g));
    case 'n': return g_variant_new_int16 ((gint16) take_u32 (g));
    case 'q': return g_variant_new_uint16 ((guint16) take_u32 (g));
    case 'i': return g_variant_new_int32 ((gint32) take_u32 (g));
    case 'u': return g_variant_new_uint32 (take_u32 (g));
    case 'x': return g_variant_new_int64 ((gint64) take_u64 (g));
    case 't': return g_variant_new_uint64 (take_u64 (g));
    case 'h': return g_variant_new_handle ((gint32) take_below (g, 4));
    case 'd':
      bits = take_u64 (g);
      memcpy (&d, &bits, sizeof d);
      return g_variant_new_double (d);
    case 'o': return g_variant_new_object_path (paths[take_below (g, G_N_ELEMENTS (paths))]);
    case 'g': return g_variant_new_signature (signatures[take_below (g, G_N_ELEMENTS (signatures))]);
    default: return new_string (g);
    }
}

static GVariant *
new_of_type (Gen                *g,
             const GVariantType *type,
             guint               depth)
{
  if (g->budget > 0)
    g->budget--;

  if (g_variant_type_is_basic (type))
    return new_basic (g, g_variant_type_peek_string (type)[0]);

  if (g_variant_type_is_variant (type))
    return g_variant_new_variant (depth > 0 && g->budget > 0 ? new_any (g, depth - 1)
                                                             : g_variant_new_byte (take_byte (g)));

  if (g_variant_type_is_maybe (type))
    return g_variant_new_maybe (g_variant_type_element (type),
                                g->budget > 0 && take_byte (g) & 1
                                  ? new_of_type (g, g_variant_type_element (type), depth)
                                  : NULL);

  if (g_variant_type_is_array (type))
    {
      const GVariantType *element = g_variant_type_element (type);
      guint               n = g->budget > 0 ? take_below (g, 5) : 0;
      GVariant           *children[4];

      for (guint i = 0; i < n; i++)
        children[i] = new_of_type (g, element, depth);
      return g_variant_new_array (element, children, n);
    }

  /* A tuple or a dictionary entry */
  {
    GPtrArray          *children = g_ptr_array_new ();
    const GVariantType *item;
    GVariant           *value;

    for (item = g_variant_type_first (type); item != NULL; item = g_variant_type_next (item))
      g_ptr_array_add (children, new_of_type (g, item, depth));
    if (g_variant_type_is_dict_entry (type))
      value = g_variant_new_dict_entry (children->pdata[0], children->pdata[1]);
    else
      value = g_variant_new_tuple ((GVariant **) children->pdata, children->len);
    g_ptr_array_unref (children);
    return value;
  }
}

/* ------------------------------------------------------------------ */
/* Values, as doc/protocol.md defines them                              */

static GVariant *
new_bytes (Gen *g)
{
  guint  n = take_below (g, 17);
  guint8 buf[16];

  for (guint i = 0; i < n; i++)
    buf[i] = take_byte (g);
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, buf, n, 1);
}

static GVariant *
new_strv (Gen *g)
{
  GVariantBuilder builder;
  guint           n = take_below (g, 4);

  g_variant_builder_init (&builder, G_VARIANT_TYPE_STRING_ARRAY);
  for (guint i = 0; i < n; i++)
    g_variant_builder_add_value (&builder, new_string (g));
  return g_variant_builder_end (&builder);
}

static GVariant *
new_error_triple (Gen *g)
{
  GVariant *children[] = {
    new_string (g),
    g_variant_new_int32 ((gint32) take_below (g, 32) - 2),
    new_string (g),
  };

  return g_variant_new_tuple (children, G_N_ELEMENTS (children));
}

static GVariant *
new_tag_content (Gen  *g,
                 guint tag,
                 guint depth)
{
  switch (tag)
    {
    case TAG_NONE: return g_variant_new_tuple (NULL, 0);
    case TAG_VARIANT: return new_any (g, depth);
    case TAG_BYTES: return new_bytes (g);
    case TAG_FLOAT: return new_basic (g, 'd');
    case TAG_ENUM: return g_variant_new ("(@s@s)", new_string (g), new_string (g));
    case TAG_FLAGS: return g_variant_new ("(@s@as)", new_string (g), new_strv (g));
    case TAG_ERROR: return new_error_triple (g);
    case TAG_OBJECT:
    case TAG_PEER: return g_variant_new_uint64 (pick_object (g));
    case TAG_ENDPOINT: return new_string (g);
    case TAG_HANDLER:
      return g_variant_new ("(@sv)", new_string (g),
                            take_byte (g) & 1 ? new_string (g) : new_any (g, depth));
    case TAG_FDS:
      {
        GVariant *handles[3];
        guint     n = take_below (g, 4);

        for (guint i = 0; i < n; i++)
          handles[i] = g_variant_new_handle ((gint32) take_below (g, 3) - 1);
        return g_variant_new ("(@s@ah)", new_string (g), g_variant_new_array (G_VARIANT_TYPE_HANDLE, handles, n));
      }
    case TAG_MEMFD:
    default:
      return g_variant_new ("(th)", (guint64) take_below (g, 64), (gint32) take_below (g, 3) - 1);
    }
}

static GVariant *
new_value (Gen  *g,
           guint depth)
{
  guint choice = take_below (g, 25);
  guint tag;

  switch (choice)
    {
    case 0: return new_basic (g, 'b');
    case 1: return new_basic (g, 'y');
    case 2: return g_variant_new_int16 ((gint16) ((gint) take_below (g, 260) - 130));
    case 3: return new_basic (g, 'i');
    case 4: return new_basic (g, 'u');
    case 5: return new_basic (g, 'x');
    case 6: return new_basic (g, 't');
    case 7: return new_basic (g, 'd');
    case 8: return g_variant_new_maybe (G_VARIANT_TYPE_STRING, take_byte (g) & 1 ? new_string (g) : NULL);
    case 9: return new_strv (g);
    case 23: return new_any (g, depth); /* mostly not a value */
    case 24:
      /* A tag that is not one, or a tag with content of another type */
      tag = take_below (g, 4) == 0 ? N_TAGS + 1 + take_below (g, 255 - N_TAGS) : 1 + take_below (g, N_TAGS);
      return g_variant_new ("(yv)", (guint8) tag, new_any (g, depth));
    default:
      tag = choice - 9;
      return g_variant_new ("(yv)", (guint8) tag, new_tag_content (g, tag, depth));
    }
}

static GVariant *
new_value_list (Gen  *g,
                guint depth)
{
  GVariantBuilder builder;
  guint           n = take_below (g, 5);

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("av"));
  for (guint i = 0; i < n && g->budget > 0; i++)
    g_variant_builder_add (&builder, "v", new_value (g, depth));
  return g_variant_builder_end (&builder);
}

static GVariant *
new_releases (Gen *g)
{
  GVariantBuilder builder;
  guint           n = take_below (g, 5);

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(tu)"));
  for (guint i = 0; i < n; i++)
    {
      guint32 count = take_below (g, 8) == 0 ? take_u32 (g) : take_below (g, 3);

      g_variant_builder_add (&builder, "(tu)", pick_object (g), count);
    }
  return g_variant_builder_end (&builder);
}

static GVariant *
new_construct (Gen *g)
{
  GVariantBuilder names;
  GVariant       *values = new_value_list (g, MAX_DEPTH);
  gsize           n_values = g_variant_n_children (values);
  guint           choice = take_below (g, 4);
  /* Names for each value, none, or a count that matches neither */
  gsize n_names = choice == 0 ? 0 : choice == 3 ? n_values + 1
                                                : n_values;

  g_variant_builder_init (&names, G_VARIANT_TYPE_STRING_ARRAY);
  for (gsize i = 0; i < n_names; i++)
    g_variant_builder_add_value (&names, take_byte (g) & 1 ? g_variant_new_string ("value") : new_string (g));
  return g_variant_new ("(@as@av)", g_variant_builder_end (&names), values);
}

static GVariant *
new_body (Gen  *g,
          guint kind)
{
  switch (kind)
    {
    case KIND_HELLO:
      return g_variant_new ("(u@s)", take_below (g, 4) == 0 ? take_u32 (g) : 1, new_string (g));
    case KIND_CALL:
    case KIND_SIGNAL: return new_value_list (g, MAX_DEPTH);
    case KIND_SET:
    case KIND_REPLY: return new_value (g, MAX_DEPTH);
    case KIND_RELEASE: return new_releases (g);
    case KIND_ERROR: return new_error_triple (g);
    case KIND_CONSTRUCT: return new_construct (g);
    default: return g_variant_new_tuple (NULL, 0);
    }
}

static gboolean
is_request (guint kind)
{
  return kind == KIND_CALL || kind == KIND_GET || kind == KIND_SET ||
         kind == KIND_CONSTRUCT || kind == KIND_SUBSCRIBE;
}

/* ------------------------------------------------------------------ */
/* Frames                                                               */

static void
append_frame (GByteArray *out,
              GVariant   *message,
              gboolean    announce_fds)
{
  g_autoptr(GVariant) boxed = g_variant_ref_sink (g_variant_new_variant (message));
  guint32 header[2];
  gsize   size;

  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (boxed);

      g_variant_unref (boxed);
      boxed = swapped;
    }

  size = g_variant_get_size (boxed);
  /* The descriptors announced never come over a memory stream */
  header[0] = GUINT32_TO_LE ((guint32) size | (announce_fds ? 0x80000000u : 0));
  header[1] = GUINT32_TO_LE (1);
  g_byte_array_append (out, (const guint8 *) header, announce_fds ? 8 : 4);
  g_byte_array_append (out, g_variant_get_data (boxed), size);
}

static void
append_message (Gen        *g,
                GByteArray *out)
{
  guint8    choice = take_byte (g);
  guint     kind;
  gboolean  wrong_body = FALSE;
  guint64   id;
  guint64   target = 0;
  GVariant *path;
  GVariant *body;
  GVariant *message;

  /* Every kind, often; kinds that are not, seldom; the wrong body for
   * the kind, now and then */
  if (choice < 13 * 18)
    kind = 1 + choice % N_KINDS;
  else if (choice < 250)
    kind = (guint[]){ 0, N_KINDS + 1, 0x80, 0xff }[choice % 4];
  else
    {
      kind = 1 + choice % N_KINDS;
      wrong_body = TRUE;
    }

  /* The bytes are taken in the order of the fields, so that a seed can
   * be written by hand: kind, id, target, path, body */
  g->budget = NODE_BUDGET;
  id = pick_id (g);
  /* Kinds other than requests have target 0, unless the bytes say not */
  if (is_request (kind) || kind == KIND_ENDPOINT || take_below (g, 16) == 15)
    target = pick_object (g);
  path = new_path (g, is_request (kind));
  body = wrong_body ? new_any (g, MAX_DEPTH) : new_body (g, kind);

  message = g_variant_new ("((ytt)@asv)", (guint8) kind, id, target, path, body);
  append_frame (out, message, choice == 255);
}

/* Flips a byte of the frames or cuts them short, for one input in four */
static void
damage (GByteArray *out,
        guint8      mode,
        guint32     position,
        guint8      mask)
{
  if (out->len == 0)
    return;
  if (mode % 8 == 0)
    out->data[position % out->len] ^= mask != 0 ? mask : 1;
  else if (mode % 8 == 1)
    g_byte_array_set_size (out, position % out->len);
}

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  Gen         g = { data, size, 0, 1, { 0 }, 0, 0 };
  GByteArray *out = g_byte_array_new ();
  guint8      mode = take_byte (&g);
  guint32     position = take_u32 (&g);
  guint8      mask = take_byte (&g);
  const char *output = g_getenv ("FUZZ_FRAMES_OUTPUT");

  for (guint i = 0; i < MAX_MESSAGES && g.pos < g.size; i++)
    append_message (&g, out);
  damage (out, mode, position, mask);

  if (output != NULL)
    g_file_set_contents (output, (const char *) out->data, out->len, NULL);

  fuzz_target_serve_stream (out->data, out->len);
  g_byte_array_unref (out);

  return 0;
}
