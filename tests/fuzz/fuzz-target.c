/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The object the libFuzzer targets serve: properties, action signals, a
 * signal to subscribe to and a constructible type, so that requests reach
 * every kind of member; and the run of one input through a stream
 * endpoint with it exposed. Everything of one run is finalized before the
 * next starts, so that a leak shows as a leak of that input. */

#include "fuzz-target.h"

struct _FuzzTarget
{
  GObject  parent_instance;
  int      value;
  GObject *child;
};

G_DEFINE_FINAL_TYPE (FuzzTarget, fuzz_target, G_TYPE_OBJECT)

const char * const fuzz_target_member_names[] = {
  "value",
  "child",
  "add",
  "echo",
  "echo-object",
  "make-child",
  "later",
  "changed",
  "notify::value",
  "Counter",
  /* the object itself, a plain signal no peer may emit, and no member */
  "",
  "notify",
  "missing",
};
const guint fuzz_target_n_member_names = G_N_ELEMENTS (fuzz_target_member_names);

static int
target_add (FuzzTarget *self, int a, int b)
{
  /* The peer picks the numbers: wrap around rather than overflow */
  return (int) ((guint) a + (guint) b);
}

static GVariant *
target_echo (FuzzTarget *self, GVariant *v)
{
  return v ? g_variant_ref (v) : NULL;
}

static GObject *
target_echo_object (FuzzTarget *self, GObject *o)
{
  return o ? g_object_ref (o) : NULL;
}

static ComlinkContainer *
target_echo_container (FuzzTarget *self, ComlinkContainer *c)
{
  return c ? comlink_container_ref (c) : NULL;
}

static GObject *
target_make_child (FuzzTarget *self)
{
  return g_object_new (FUZZ_TYPE_TARGET, NULL);
}

static void
target_later (FuzzTarget *self, ComlinkInvocation *invocation)
{
  /* Answered when the invocation is dropped: NO_REPLY */
}

static void
target_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  FuzzTarget *self = FUZZ_TARGET (object);

  if (prop_id == 1)
    g_value_set_int (value, self->value);
  else
    g_value_set_object (value, self->child);
}

static void
target_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  FuzzTarget *self = FUZZ_TARGET (object);

  if (prop_id == 1)
    self->value = g_value_get_int (value);
  else
    g_set_object (&self->child, g_value_get_object (value));
}

static void
target_finalize (GObject *object)
{
  g_clear_object (&FUZZ_TARGET (object)->child);
  G_OBJECT_CLASS (fuzz_target_parent_class)->finalize (object);
}

static void
fuzz_target_class_init (FuzzTargetClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GSignalFlags  action = G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION;
  GType         type = G_TYPE_FROM_CLASS (klass);

  object_class->get_property = target_get_property;
  object_class->set_property = target_set_property;
  object_class->finalize = target_finalize;

  g_object_class_install_property (object_class, 1,
                                   g_param_spec_int ("value", NULL, NULL, -100, 100, 0,
                                                     G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (object_class, 2,
                                   g_param_spec_object ("child", NULL, NULL, G_TYPE_OBJECT,
                                                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  g_signal_new_class_handler ("add", type, action, G_CALLBACK (target_add), NULL, NULL, NULL,
                              G_TYPE_INT, 2, G_TYPE_INT, G_TYPE_INT);
  g_signal_new_class_handler ("echo", type, action, G_CALLBACK (target_echo), NULL, NULL, NULL,
                              G_TYPE_VARIANT, 1, G_TYPE_VARIANT);
  g_signal_new_class_handler ("echo-object", type, action, G_CALLBACK (target_echo_object), NULL, NULL, NULL,
                              G_TYPE_OBJECT, 1, G_TYPE_OBJECT);
  g_signal_new_class_handler ("echo-container", type, action, G_CALLBACK (target_echo_container), NULL, NULL,
                              NULL, COMLINK_TYPE_CONTAINER, 1, COMLINK_TYPE_CONTAINER);
  g_signal_new_class_handler ("make-child", type, action, G_CALLBACK (target_make_child), NULL, NULL, NULL,
                              G_TYPE_OBJECT, 0);
  g_signal_new_class_handler ("later", type, action, G_CALLBACK (target_later), NULL, NULL, NULL,
                              G_TYPE_NONE, 1, COMLINK_TYPE_INVOCATION);
  g_signal_new ("changed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
fuzz_target_init (FuzzTarget *self)
{
}


static GBytes *
hello_frame (void)
{
  g_autoptr(GVariant) hello = g_variant_ref_sink (
    g_variant_new_variant (g_variant_new_parsed ("((byte 1, uint64 0, uint64 0), @as [], <(uint32 1, 'fuzz')>)")));
  guint32     size = GUINT32_TO_LE ((guint32) g_variant_get_size (hello));
  GByteArray *frame = g_byte_array_new ();

  g_byte_array_append (frame, (const guint8 *) &size, 4);
  g_byte_array_append (frame, g_variant_get_data (hello), g_variant_get_size (hello));

  return g_byte_array_free_to_bytes (frame);
}

void
fuzz_target_serve_stream (const guint8 *data,
                          gsize         size)
{
  static GBytes *hello;
  g_autoptr(GByteArray) input = g_byte_array_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GOutputStream) out = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(ComlinkEndpoint) endpoint = NULL;
  g_autoptr(FuzzTarget) target = NULL;
  g_autoptr(ComlinkProxy) proxy = NULL;
  ComlinkConnection *connection;

  if (hello == NULL)
    hello = hello_frame ();

  g_byte_array_append (input, g_bytes_get_data (hello, NULL), g_bytes_get_size (hello));
  g_byte_array_append (input, data, size);
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&input));

  in = g_memory_input_stream_new_from_bytes (bytes);
  out = g_memory_output_stream_new_resizable ();
  stream = g_simple_io_stream_new (in, out);
  endpoint = comlink_stream_endpoint_new (stream);
  comlink_stream_endpoint_set_max_message_size (COMLINK_STREAM_ENDPOINT (endpoint), 1 << 20);

  target = g_object_new (FUZZ_TYPE_TARGET, NULL);
  comlink_register_constructible (G_OBJECT (target), "Counter", FUZZ_TYPE_TARGET);
  connection = g_object_ref (comlink_expose (G_OBJECT (target), endpoint));
  comlink_connection_set_max_pending_calls (connection, 64);
  comlink_connection_set_max_exports (connection, 64);

  /* A call of this side, id 1, that the bytes may answer */
  proxy = comlink_connection_wrap (connection);
  comlink_proxy_call_async (proxy, "work", NULL, 0, NULL, NULL, NULL);

  /* The end of the input closes the endpoint */
  for (guint i = 0; i < 100000 && !comlink_endpoint_is_closed (endpoint); i++)
    g_main_context_iteration (NULL, TRUE);

  comlink_connection_close (connection);
  g_clear_object (&proxy);
  g_clear_object (&connection);
  g_clear_object (&target);
  for (guint i = 0; i < 1000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}
