/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Objects exposed by the tests: TestCalc has properties, action signals
 * (its methods), a plain signal, and methods that answer later through
 * their invocation; TestDynamic answers every request itself. */

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <malloc.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gio/gunixinputstream.h>
#include <gobject/gvaluecollector.h>

#include "test-objects.h"

struct _TestCalc
{
  GObject    parent_instance;
  int        value;
  char      *name;
  TestCalc  *child;
  GPtrArray *held;
};

G_DEFINE_FINAL_TYPE (TestCalc, test_calc, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_VALUE,
  PROP_NAME,
  PROP_CHILD,
  PROP_READ_ONLY,
  PROP_CONSTRUCT_ONLY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];
static guint       n_finalized;
static guint       n_made;
GThread           *test_calc_last_finalize_thread;

guint
test_calc_get_n_finalized (void)
{
  return g_atomic_int_get (&n_finalized);
}

static int
calc_add (TestCalc *self, int a, int b)
{
  return a + b;
}

/* Wraps @endpoint, adds @a and @b through the object exposed there, and
 * drops the proxy, which closes the endpoint; -1 if that failed */
static int
calc_add_through (TestCalc *self, ComlinkEndpoint *endpoint, int a, int b)
{
  g_autoptr(ComlinkProxy) proxy = comlink_wrap (endpoint);
  g_autoptr(GError) error = NULL;
  GValue  args[2] = { G_VALUE_INIT, G_VALUE_INIT };
  GValue *ret;
  int     sum = -1;

  g_value_init (&args[0], G_TYPE_INT);
  g_value_set_int (&args[0], a);
  g_value_init (&args[1], G_TYPE_INT);
  g_value_set_int (&args[1], b);
  ret = comlink_proxy_call_sync (proxy, "add", args, 2, NULL, &error);
  if (ret != NULL)
    {
      sum = g_value_get_int (ret);
      g_boxed_free (G_TYPE_VALUE, ret);
    }
  comlink_proxy_release (proxy);
  return sum;
}

static double
calc_scale (TestCalc *self, double x, guint8 factor)
{
  return x * factor;
}

static char *
calc_echo_string (TestCalc *self, const char *s)
{
  return g_strdup (s);
}

static GStrv
calc_echo_strv (TestCalc *self, GStrv v)
{
  return g_strdupv (v);
}

static GBytes *
calc_echo_bytes (TestCalc *self, GBytes *b)
{
  return b ? g_bytes_ref (b) : NULL;
}

gconstpointer test_last_bytes_data;

/* Reads what each descriptor of @fds holds, up to its end */
static char *
calc_read_fds (TestCalc *self, GUnixFDList *fds)
{
  GString    *out = g_string_new (NULL);
  gint        n = 0;
  const gint *array = g_unix_fd_list_peek_fds (fds, &n);

  for (gint i = 0; i < n; i++)
    {
      char   buffer[256];
      gssize r;

      if (i > 0)
        g_string_append_c (out, '|');
      while ((r = read (array[i], buffer, sizeof buffer)) > 0)
        g_string_append_len (out, buffer, r);
    }

  return g_string_free (out, FALSE);
}

static char *
calc_read_stream (TestCalc *self, GInputStream *stream)
{
  char  buffer[256] = { 0 };
  gsize n = 0;

  g_input_stream_read_all (stream, buffer, sizeof buffer - 1, &n, NULL, NULL);
  return g_strndup (buffer, n);
}

/* A stream that reads @text: the read end of a pipe */
static GInputStream *
calc_open_pipe (TestCalc *self, const char *text)
{
  return g_unix_input_stream_new (test_pipe_with (text), TRUE);
}

static guint64
calc_bytes_size (TestCalc *self, GBytes *b)
{
  test_last_bytes_data = g_bytes_get_data (b, NULL);
  return g_bytes_get_size (b);
}

static gpointer
calc_bytes_data (TestCalc *self, GBytes *b)
{
  return (gpointer) g_bytes_get_data (b, NULL);
}

static GVariant *
calc_echo_variant (TestCalc *self, GVariant *v)
{
  return v ? g_variant_ref (v) : NULL;
}

static GObject *
calc_echo_object (TestCalc *self, GObject *o)
{
  return o ? g_object_ref (o) : NULL;
}

static ComlinkContainer *
calc_echo_container (TestCalc *self, ComlinkContainer *container)
{
  return container ? comlink_container_ref (container) : NULL;
}

static void      describe_value (GString *out, const GValue *value);
static TestCalc *calc_make_child (TestCalc *self, int value);

/* What a container holds, as the receiver sees it: "[int 1, string a,
 * {k: ComlinkProxy}]" */
static void
describe_container (GString          *out,
                    ComlinkContainer *container)
{
  gboolean is_dict = comlink_container_is_dict (container);

  g_string_append_c (out, is_dict ? '{' : '[');
  for (guint i = 0; i < comlink_container_get_n_items (container); i++)
    {
      if (i > 0)
        g_string_append (out, ", ");
      if (is_dict)
        g_string_append_printf (out, "%s: ", comlink_container_get_key (container, i));
      describe_value (out, comlink_container_get_item (container, i));
    }
  g_string_append_c (out, is_dict ? '}' : ']');
}

static void
describe_value (GString      *out,
                const GValue *value)
{
  if (!G_IS_VALUE (value))
    g_string_append (out, "void");
  else if (G_VALUE_HOLDS_POINTER (value) && g_value_get_pointer (value) == NULL)
    g_string_append (out, "null");
  else if (G_VALUE_HOLDS_INT (value))
    g_string_append_printf (out, "int %d", g_value_get_int (value));
  else if (G_VALUE_HOLDS_STRING (value))
    g_string_append_printf (out, "string %s", g_value_get_string (value));
  else if (G_VALUE_HOLDS (value, COMLINK_TYPE_CONTAINER))
    describe_container (out, g_value_get_boxed (value));
  else if (G_VALUE_HOLDS (value, G_TYPE_UNIX_FD_LIST))
    {
      g_autofree char *text = calc_read_fds (NULL, g_value_get_object (value));
      g_string_append_printf (out, "fds %s", text);
    }
  else if (G_VALUE_HOLDS_VARIANT (value))
    {
      g_autofree char *text = g_variant_print (g_value_get_variant (value), TRUE);
      g_string_append_printf (out, "variant %s", text);
    }
  else
    g_string_append (out, G_VALUE_TYPE_NAME (value));
}

static char *
calc_describe_container (TestCalc *self, ComlinkContainer *container)
{
  GString *out = g_string_new (NULL);

  if (container == NULL)
    g_string_append (out, "NULL");
  else
    describe_container (out, container);
  return g_string_free (out, FALSE);
}

/* {"child": a TestCalc of @value, "more": [a TestCalc of @value + 1]} */
static ComlinkContainer *
calc_make_children (TestCalc *self, int value)
{
  ComlinkContainer *dict = comlink_container_new_dict ();
  g_autoptr(ComlinkContainer) more = comlink_container_new_array ();
  g_auto(GValue) child = G_VALUE_INIT;
  g_auto(GValue) list = G_VALUE_INIT;

  g_value_init (&child, TEST_TYPE_CALC);
  g_value_take_object (&child, calc_make_child (self, value));
  comlink_container_insert (dict, "child", &child);
  g_value_take_object (&child, calc_make_child (self, value + 1));
  comlink_container_append (more, &child);
  g_value_init (&list, COMLINK_TYPE_CONTAINER);
  g_value_set_boxed (&list, more);
  comlink_container_insert (dict, "more", &list);
  return dict;
}

/* Calls "add" (value, 1) on each proxy in an array */
static int
calc_add_all (TestCalc *self, ComlinkContainer *container)
{
  int sum = 0;

  for (guint i = 0; i < comlink_container_get_n_items (container); i++)
    {
      const GValue *item = comlink_container_get_item (container, i);
      g_autoptr(GError) error = NULL;
      GValue             args[2] = { G_VALUE_INIT, G_VALUE_INIT };
      g_autofree GValue *ret = NULL;

      if (!G_VALUE_HOLDS (item, COMLINK_TYPE_PROXY))
        return -1;
      g_value_init (&args[0], G_TYPE_INT);
      g_value_set_int (&args[0], (int) i);
      g_value_init (&args[1], G_TYPE_INT);
      g_value_set_int (&args[1], 1);
      ret = comlink_proxy_call_sync (g_value_get_object (item), "add", args, 2, NULL, &error);
      if (ret == NULL)
        return -1;
      sum += g_value_get_int (ret);
      g_value_unset (ret);
    }
  return sum;
}

static gboolean
calc_is_self (TestCalc *self, GObject *o)
{
  return o == (GObject *) self;
}

static GFileType
calc_echo_enum (TestCalc *self, GFileType t)
{
  return t;
}

static GApplicationFlags
calc_echo_flags (TestCalc *self, GApplicationFlags f)
{
  return f;
}

static guint64
calc_echo_uint64 (TestCalc *self, guint64 v)
{
  return v;
}

static gint64
calc_echo_int64 (TestCalc *self, gint64 v)
{
  return v;
}

static gboolean
calc_echo_boolean (TestCalc *self, gboolean v)
{
  return v;
}

static guchar
calc_echo_uchar (TestCalc *self, guchar v)
{
  return v;
}

static guint
calc_echo_uint (TestCalc *self, guint v)
{
  return v;
}

static double
calc_echo_double (TestCalc *self, double v)
{
  return v;
}

static float
calc_echo_float (TestCalc *self, float v)
{
  return v;
}

static gchar
calc_echo_char (TestCalc *self, gchar v)
{
  return v;
}

static GError *
calc_echo_error (TestCalc *self, GError *e)
{
  return e ? g_error_copy (e) : NULL;
}

static TestCalc *
calc_make_child (TestCalc *self, int value)
{
  TestCalc *child = test_calc_new ();

  child->value = value;
  return child;
}

static void
calc_ping (TestCalc *self)
{
}

/* Who serves the call: "PID:TID" of the process and thread */
static char *
calc_whoami (TestCalc *self)
{
  return g_strdup_printf ("%d:%ld", (int) getpid (), (long) syscall (SYS_gettid));
}

/* Blocks its thread for @msec, then says who served it */
static char *
calc_sleep (TestCalc *self, int msec)
{
  g_usleep ((gulong) MAX (msec, 0) * 1000);
  return calc_whoami (self);
}

/* Kills the process it runs in: for subprocess workers only */
static void
calc_crash (TestCalc *self)
{
  kill (getpid (), SIGKILL);
}

static void
calc_drop (TestCalc *self, ComlinkInvocation *invocation)
{
}

/* Closes the connection the call came over, as a worker that quits would */
static void
calc_quit (TestCalc *self, ComlinkInvocation *invocation)
{
  comlink_connection_close (comlink_invocation_get_connection (invocation));
}

/* Answers with an error: in GIO's domain when code >= 0, in a domain that
 * does not exist on the caller's side otherwise. */
static void
calc_fail (TestCalc *self, int code, ComlinkInvocation *invocation)
{
  if (code >= 0)
    comlink_invocation_return_error (invocation, G_IO_ERROR, code, "failed with %d", code);
  else
    comlink_invocation_return_error (invocation, g_quark_from_static_string ("test-calc-private-error-domain"),
                                     -code, "private failure");
}

/* Answers later, when test_calc_get_held() is answered or the call's
 * cancellable fires */
static GMutex cancel_time_mutex;
static gint64 last_cancel_time;

gint64
test_calc_get_last_cancel_time (void)
{
  gint64 ret;

  g_mutex_lock (&cancel_time_mutex);
  ret = last_cancel_time;
  g_mutex_unlock (&cancel_time_mutex);

  return ret;
}

/* The cancellable of an invocation may fire in the caller's thread (an
 * in-process caller cancels it from there), while the worker's thread
 * holds more calls: the held calls are locked */
static GMutex held_mutex;

static void
hold_cancelled (GCancellable *cancellable, gpointer user_data)
{
  TestCalc          *self = user_data;
  ComlinkInvocation *invocation = NULL;

  g_mutex_lock (&cancel_time_mutex);
  last_cancel_time = g_get_monotonic_time ();
  g_mutex_unlock (&cancel_time_mutex);

  g_mutex_lock (&held_mutex);
  for (guint i = 0; i < self->held->len; i++)
    if (comlink_invocation_get_cancellable (g_ptr_array_index (self->held, i)) == cancellable)
      {
        invocation = g_ptr_array_steal_index (self->held, i);
        break;
      }
  g_mutex_unlock (&held_mutex);

  if (invocation != NULL)
    {
      comlink_invocation_return_error (invocation, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
      g_object_unref (invocation);
    }
}

static void
calc_hold (TestCalc *self, ComlinkInvocation *invocation)
{
  g_mutex_lock (&held_mutex);
  g_ptr_array_add (self->held, g_object_ref (invocation));
  g_mutex_unlock (&held_mutex);
  g_signal_connect_object (comlink_invocation_get_cancellable (invocation), "cancelled",
                           G_CALLBACK (hold_cancelled), self, 0);
  /* It may have fired before the handler was connected */
  if (g_cancellable_is_cancelled (comlink_invocation_get_cancellable (invocation)))
    hold_cancelled (comlink_invocation_get_cancellable (invocation), self);
}

/* Calls the callback proxy @callback @n times with (i, "tick") */
static void
calc_call_back (TestCalc *self, GObject *callback, int n)
{
  for (int i = 0; i < n; i++)
    {
      GValue args[2] = { G_VALUE_INIT, G_VALUE_INIT };

      g_value_init (&args[0], G_TYPE_INT);
      g_value_set_int (&args[0], i);
      g_value_init (&args[1], G_TYPE_STRING);
      g_value_set_static_string (&args[1], "tick");
      comlink_proxy_call_async (COMLINK_PROXY (callback), NULL, args, 2, NULL, NULL, NULL);
      g_value_unset (&args[0]);
      g_value_unset (&args[1]);
    }
}

/* Calls @callback (i) for i from 0 to n - 1 with blocking calls, while
 * the request is being served, and returns the sum of the results */
static int
calc_call_back_sync (TestCalc *self, GObject *callback, int n)
{
  int sum = 0;

  for (int i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      GValue  arg = G_VALUE_INIT;
      GValue *ret;

      g_value_init (&arg, G_TYPE_INT);
      g_value_set_int (&arg, i);
      ret = comlink_proxy_call_sync (COMLINK_PROXY (callback), NULL, &arg, 1, NULL, &error);
      if (ret == NULL)
        return -1;
      sum += g_value_get_int (ret);
      g_boxed_free (G_TYPE_VALUE, ret);
    }

  return sum;
}

static gint n_callbacks_alive;

guint
test_calc_get_n_callbacks_alive (void)
{
  return g_atomic_int_get (&n_callbacks_alive);
}

static void
callback_finalized (gpointer data, GObject *where_the_object_was)
{
  g_atomic_int_add (&n_callbacks_alive, -1);
}

static char *
repeat_string (ComlinkCallback *callback, const char *s, int n)
{
  GString *out = g_string_new (NULL);

  for (int i = 0; i < n; i++)
    g_string_append (out, s);
  return g_string_free (out, FALSE);
}

/* A callback (string s, int n) -> string, s repeated n times, for a peer
 * that calls it */
static GObject *
calc_make_callback (TestCalc *self)
{
  ComlinkCallback *callback = comlink_callback_new_typed (g_cclosure_new (G_CALLBACK (repeat_string), NULL, NULL),
                                                          G_TYPE_STRING, 2, G_TYPE_STRING, G_TYPE_INT);

  g_atomic_int_inc (&n_callbacks_alive);
  g_object_weak_ref (G_OBJECT (callback), callback_finalized, NULL);
  return G_OBJECT (callback);
}

static int
calc_n_callbacks (TestCalc *self)
{
  return test_calc_get_n_callbacks_alive ();
}

/* Sets a limit of the connection the call came over: the hostile tests
 * lower the limits of a child they cannot reach otherwise */
static void
calc_set_connection_limit (TestCalc *self, const char *name, guint64 limit, ComlinkInvocation *invocation)
{
  GObject    *connection = G_OBJECT (comlink_invocation_get_connection (invocation));
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (connection), name);
  GValue      from = G_VALUE_INIT;
  GValue      to = G_VALUE_INIT;

  if (pspec == NULL)
    {
      comlink_invocation_return_error (invocation, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_PROPERTY, "no limit %s", name);
      return;
    }
  g_value_init (&from, G_TYPE_UINT64);
  g_value_set_uint64 (&from, limit);
  g_value_init (&to, pspec->value_type);
  g_value_transform (&from, &to);
  g_object_set_property (connection, pspec->name, &to);
  g_value_unset (&from);
  g_value_unset (&to);
  comlink_invocation_return_value (invocation, NULL);
}

/* Emits the detailed signal "poked" with @detail */
static void
calc_poke (TestCalc *self, const char *detail)
{
  g_signal_emit (self, g_signal_lookup ("poked", TEST_TYPE_CALC), g_quark_from_string (detail));
}

/* "big" with the largest 64-bit integers, then with small ones */
static void
calc_emit_big (TestCalc *self)
{
  g_signal_emit_by_name (self, "big", G_MAXINT64, G_MAXUINT64);
  g_signal_emit_by_name (self, "big", (gint64) -5, (guint64) 7);
}

static void
calc_emit_changed (TestCalc *self, int n)
{
  for (int i = 0; i < n; i++)
    g_signal_emit_by_name (self, "changed", i);
}

static char *
calc_repeat (TestCalc *self, const char *s, int n)
{
  GString *str = g_string_new (NULL);

  for (int i = 0; i < n; i++)
    g_string_append (str, s);

  return g_string_free (str, FALSE);
}

static GFile *
calc_echo_file (TestCalc *self, GFile *file)
{
  return file ? g_object_ref (file) : NULL;
}

static GDateTime *
calc_echo_date_time (TestCalc *self, GDateTime *date_time)
{
  return date_time ? g_date_time_ref (date_time) : NULL;
}

/* Blocks its thread until the cond is signalled */
static GMutex   block_mutex;
static GCond    block_cond;
static gboolean block_released;
static gboolean block_entered;

static void
calc_block (TestCalc *self)
{
  g_mutex_lock (&block_mutex);
  block_entered = TRUE;
  g_cond_broadcast (&block_cond);
  while (!block_released)
    g_cond_wait (&block_cond, &block_mutex);
  g_mutex_unlock (&block_mutex);
}

ComlinkInvocation *
test_calc_get_held (TestCalc *self)
{
  ComlinkInvocation *ret;

  g_mutex_lock (&held_mutex);
  ret = self->held->len ? g_ptr_array_index (self->held, self->held->len - 1) : NULL;
  g_mutex_unlock (&held_mutex);

  return ret;
}

void
test_calc_clear_held (TestCalc *self)
{
  g_autoptr(GPtrArray) held = NULL;

  g_mutex_lock (&held_mutex);
  held = g_steal_pointer (&self->held);
  self->held = g_ptr_array_new_with_free_func (g_object_unref);
  g_mutex_unlock (&held_mutex);
}

static void
test_calc_finalize (GObject *object)
{
  TestCalc *self = TEST_CALC (object);

  g_clear_object (&self->child);
  g_ptr_array_unref (self->held);
  g_free (self->name);
  g_atomic_pointer_set (&test_calc_last_finalize_thread, g_thread_self ());
  g_atomic_int_inc (&n_finalized);

  G_OBJECT_CLASS (test_calc_parent_class)->finalize (object);
}

static void
test_calc_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  TestCalc *self = TEST_CALC (object);

  switch (prop_id)
    {
    case PROP_VALUE: g_value_set_int (value, self->value); break;
    case PROP_NAME: g_value_set_string (value, self->name); break;
    case PROP_CHILD: g_value_set_object (value, self->child); break;
    case PROP_READ_ONLY: g_value_set_int (value, 42); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
test_calc_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  TestCalc *self = TEST_CALC (object);

  switch (prop_id)
    {
    case PROP_VALUE: self->value = g_value_get_int (value); break;
    case PROP_NAME:
      g_free (self->name);
      self->name = g_value_dup_string (value);
      break;
    case PROP_CHILD: g_set_object (&self->child, g_value_get_object (value)); break;
    case PROP_CONSTRUCT_ONLY: break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

#define ACTION(name, handler, ret, n, ...)                                                          \
  g_signal_new_class_handler (name, G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION, \
                              G_CALLBACK (handler), NULL, NULL, NULL, ret, n, __VA_ARGS__)

static void
test_calc_class_init (TestCalcClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = test_calc_finalize;
  object_class->get_property = test_calc_get_property;
  object_class->set_property = test_calc_set_property;

  properties[PROP_VALUE] = g_param_spec_int ("value", NULL, NULL, -1000, 1000, 0,
                                             G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL,
                                               G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CHILD] = g_param_spec_object ("child", NULL, NULL, G_TYPE_OBJECT,
                                                G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_READ_ONLY] = g_param_spec_int ("read-only", NULL, NULL, 0, 100, 42,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONSTRUCT_ONLY] = g_param_spec_string ("construct-only", NULL, NULL, NULL,
                                                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  ACTION ("add", calc_add, G_TYPE_INT, 2, G_TYPE_INT, G_TYPE_INT);
  ACTION ("add-through", calc_add_through, G_TYPE_INT, 3, COMLINK_TYPE_ENDPOINT, G_TYPE_INT, G_TYPE_INT);
  ACTION ("scale", calc_scale, G_TYPE_DOUBLE, 2, G_TYPE_DOUBLE, G_TYPE_UCHAR);
  ACTION ("echo-string", calc_echo_string, G_TYPE_STRING, 1, G_TYPE_STRING);
  ACTION ("echo-strv", calc_echo_strv, G_TYPE_STRV, 1, G_TYPE_STRV);
  ACTION ("echo-bytes", calc_echo_bytes, G_TYPE_BYTES, 1, G_TYPE_BYTES);
  ACTION ("bytes-size", calc_bytes_size, G_TYPE_UINT64, 1, G_TYPE_BYTES);
  ACTION ("read-fds", calc_read_fds, G_TYPE_STRING, 1, G_TYPE_UNIX_FD_LIST);
  ACTION ("read-stream", calc_read_stream, G_TYPE_STRING, 1, G_TYPE_INPUT_STREAM);
  ACTION ("open-pipe", calc_open_pipe, G_TYPE_INPUT_STREAM, 1, G_TYPE_STRING);
  ACTION ("bytes-data", calc_bytes_data, G_TYPE_POINTER, 1, G_TYPE_BYTES);
  ACTION ("echo-variant", calc_echo_variant, G_TYPE_VARIANT, 1, G_TYPE_VARIANT);
  ACTION ("echo-object", calc_echo_object, G_TYPE_OBJECT, 1, G_TYPE_OBJECT);
  ACTION ("is-self", calc_is_self, G_TYPE_BOOLEAN, 1, G_TYPE_OBJECT);
  ACTION ("echo-container", calc_echo_container, COMLINK_TYPE_CONTAINER, 1, COMLINK_TYPE_CONTAINER);
  ACTION ("describe-container", calc_describe_container, G_TYPE_STRING, 1, COMLINK_TYPE_CONTAINER);
  ACTION ("make-children", calc_make_children, COMLINK_TYPE_CONTAINER, 1, G_TYPE_INT);
  ACTION ("add-all", calc_add_all, G_TYPE_INT, 1, COMLINK_TYPE_CONTAINER);
  ACTION ("echo-enum", calc_echo_enum, G_TYPE_FILE_TYPE, 1, G_TYPE_FILE_TYPE);
  ACTION ("echo-flags", calc_echo_flags, G_TYPE_APPLICATION_FLAGS, 1, G_TYPE_APPLICATION_FLAGS);
  ACTION ("echo-uint64", calc_echo_uint64, G_TYPE_UINT64, 1, G_TYPE_UINT64);
  ACTION ("echo-int64", calc_echo_int64, G_TYPE_INT64, 1, G_TYPE_INT64);
  ACTION ("echo-boolean", calc_echo_boolean, G_TYPE_BOOLEAN, 1, G_TYPE_BOOLEAN);
  ACTION ("echo-uchar", calc_echo_uchar, G_TYPE_UCHAR, 1, G_TYPE_UCHAR);
  ACTION ("echo-uint", calc_echo_uint, G_TYPE_UINT, 1, G_TYPE_UINT);
  ACTION ("echo-double", calc_echo_double, G_TYPE_DOUBLE, 1, G_TYPE_DOUBLE);
  ACTION ("echo-float", calc_echo_float, G_TYPE_FLOAT, 1, G_TYPE_FLOAT);
  ACTION ("echo-char", calc_echo_char, G_TYPE_CHAR, 1, G_TYPE_CHAR);
  ACTION ("echo-error", calc_echo_error, G_TYPE_ERROR, 1, G_TYPE_ERROR);
  ACTION ("make-child", calc_make_child, TEST_TYPE_CALC, 1, G_TYPE_INT);
  g_signal_new_class_handler ("ping", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (calc_ping), NULL, NULL, NULL, G_TYPE_NONE, 0);
  g_signal_new_class_handler ("whoami", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (calc_whoami), NULL, NULL, NULL, G_TYPE_STRING, 0);
  ACTION ("sleep", calc_sleep, G_TYPE_STRING, 1, G_TYPE_INT);
  g_signal_new_class_handler ("crash", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (calc_crash), NULL, NULL, NULL, G_TYPE_NONE, 0);
  ACTION ("drop", calc_drop, G_TYPE_NONE, 1, COMLINK_TYPE_INVOCATION);
  ACTION ("quit", calc_quit, G_TYPE_NONE, 1, COMLINK_TYPE_INVOCATION);
  ACTION ("emit-changed", calc_emit_changed, G_TYPE_NONE, 1, G_TYPE_INT);
  ACTION ("repeat", calc_repeat, G_TYPE_STRING, 2, G_TYPE_STRING, G_TYPE_INT);
  ACTION ("echo-file", calc_echo_file, G_TYPE_FILE, 1, G_TYPE_FILE);
  ACTION ("echo-date-time", calc_echo_date_time, G_TYPE_DATE_TIME, 1, G_TYPE_DATE_TIME);
  ACTION ("fail", calc_fail, G_TYPE_NONE, 2, G_TYPE_INT, COMLINK_TYPE_INVOCATION);
  ACTION ("hold", calc_hold, G_TYPE_NONE, 1, COMLINK_TYPE_INVOCATION);
  ACTION ("call-back", calc_call_back, G_TYPE_NONE, 2, G_TYPE_OBJECT, G_TYPE_INT);
  ACTION ("call-back-sync", calc_call_back_sync, G_TYPE_INT, 2, G_TYPE_OBJECT, G_TYPE_INT);
  g_signal_new_class_handler ("make-callback", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (calc_make_callback), NULL, NULL, NULL, G_TYPE_OBJECT, 0);
  g_signal_new_class_handler ("n-callbacks", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (calc_n_callbacks), NULL, NULL, NULL, G_TYPE_INT, 0);
  g_signal_new_class_handler ("block", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (calc_block), NULL, NULL, NULL, G_TYPE_NONE, 0);
  g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  g_signal_new ("poked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED, 0,
                NULL, NULL, NULL, G_TYPE_NONE, 0);
  g_signal_new ("big", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_UINT64);
  g_signal_new_class_handler ("emit-big", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (calc_emit_big), NULL, NULL, NULL, G_TYPE_NONE, 0);
  ACTION ("poke", calc_poke, G_TYPE_NONE, 1, G_TYPE_STRING);
  ACTION ("set-connection-limit", calc_set_connection_limit, G_TYPE_NONE, 3,
          G_TYPE_STRING, G_TYPE_UINT64, COMLINK_TYPE_INVOCATION);
}

static void
test_calc_init (TestCalc *self)
{
  self->held = g_ptr_array_new_with_free_func (g_object_unref);
  g_atomic_int_inc (&n_made);
}

/* How many TestCalcs exist, in any thread */
guint
test_calc_get_n_alive (void)
{
  return (guint) g_atomic_int_get (&n_made) - (guint) g_atomic_int_get (&n_finalized);
}

TestCalc *
test_calc_new (void)
{
  return g_object_new (TEST_TYPE_CALC, NULL);
}


void
test_block_reset (void)
{
  g_mutex_lock (&block_mutex);
  block_released = FALSE;
  block_entered = FALSE;
  g_mutex_unlock (&block_mutex);
}

static gboolean
block_is_entered (void)
{
  gboolean ret;

  g_mutex_lock (&block_mutex);
  ret = block_entered;
  g_mutex_unlock (&block_mutex);

  return ret;
}

/* Runs the thread-default context meanwhile: the call has to get there */
void
test_block_wait_entered (void)
{
  test_wait_until (block_is_entered ());
}

void
test_block_release (void)
{
  g_mutex_lock (&block_mutex);
  block_released = TRUE;
  g_cond_broadcast (&block_cond);
  g_mutex_unlock (&block_mutex);
}

/* TestDynamic answers every call with "path/member:n_args" */
struct _TestDynamic
{
  GObject parent_instance;
  guint   n_released;
};

static void test_dynamic_iface_init (ComlinkExposableInterface *iface);

/* clang-format off */
G_DEFINE_FINAL_TYPE_WITH_CODE (TestDynamic, test_dynamic, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (COMLINK_TYPE_EXPOSABLE, test_dynamic_iface_init))
/* clang-format on */

static void
test_dynamic_invoke (ComlinkExposable *exposable, ComlinkInvocation *invocation)
{
  g_autofree char *path = g_strjoinv ("/", (char **) comlink_invocation_get_path (invocation));
  g_autofree char *answer = NULL;
  GValue           value = G_VALUE_INIT;

  if (g_str_equal (comlink_invocation_get_member (invocation), "missing"))
    {
      comlink_invocation_return_error (invocation, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_METHOD,
                                       "no method “missing”");
      return;
    }

  answer = g_strdup_printf ("%d:%s/%s:%u", comlink_invocation_get_kind (invocation), path,
                            comlink_invocation_get_member (invocation),
                            comlink_invocation_get_n_args (invocation));
  g_value_init (&value, G_TYPE_STRING);
  g_value_take_string (&value, g_steal_pointer (&answer));
  comlink_invocation_return_value (invocation, &value);
  g_value_unset (&value);
}

static void
test_dynamic_released (ComlinkExposable *exposable, ComlinkConnection *connection)
{
  TEST_DYNAMIC (exposable)->n_released++;
}

guint
test_dynamic_get_n_released (TestDynamic *self)
{
  return self->n_released;
}

static void
test_dynamic_iface_init (ComlinkExposableInterface *iface)
{
  iface->invoke = test_dynamic_invoke;
  iface->released = test_dynamic_released;
}

static void
test_dynamic_class_init (TestDynamicClass *klass)
{
}

static void
test_dynamic_init (TestDynamic *self)
{
}

void
test_iterate_pending (void)
{
  for (guint i = 0; i < 100 && g_main_context_iteration (g_main_context_get_thread_default (), FALSE); i++)
    ;
}

/* The read end of a pipe that holds @text */
int
test_pipe_with (const char *text)
{
  int fds[2];

  g_assert_true (g_unix_open_pipe (fds, FD_CLOEXEC, NULL));
  g_assert_cmpint (write (fds[1], text, strlen (text)), ==, (gssize) strlen (text));
  close (fds[1]);

  return fds[0];
}

/* Whether @data lies in a mapping of one of the memfds that large GBytes
 * travel in */
gboolean
test_is_in_memfd (gconstpointer data)
{
  g_autofree char *maps = NULL;
  g_auto(GStrv) lines = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  lines = g_strsplit (maps, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      guint64 start, end;

      if (sscanf (lines[i], "%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x", &start, &end) == 2 &&
          (guint64) (gsize) data >= start && (guint64) (gsize) data < end)
        return strstr (lines[i], "memfd:comlink-bytes") != NULL;
    }

  return FALSE;
}

/* GLib's worker thread ("gmain"), which the GTask type starts when it is
 * first used and which stays: started now, before a test counts threads
 * (calls use no GTask, other requests do) */
void
test_start_glib_threads (void)
{
  g_type_ensure (G_TYPE_TASK);
}

/* The open descriptors, once GLib made the wakeup descriptors of the main
 * context and of its worker thread (with the GTask type), which it makes
 * on first use and keeps */
guint
test_count_fds_baseline (void)
{
  test_iterate_pending ();
  test_start_glib_threads ();

  return test_count_fds ();
}

static guint
count_entries (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;

  return n;
}

/* Children of every thread of this process, zombies included */
guint
test_count_children (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  const char *tid;
  guint       n = 0;

  while ((tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("/proc/self/task/%s/children", tid);
      g_autofree char *contents = NULL;
      g_auto(GStrv) pids = NULL;

      if (!g_file_get_contents (path, &contents, NULL, NULL))
        continue;
      pids = g_strsplit_set (g_strstrip (contents), " ", -1);
      for (guint i = 0; pids[i] != NULL; i++)
        if (pids[i][0] != '\0')
          n++;
    }

  return n;
}

guint
test_count_fds (void)
{
  return count_entries ("/proc/self/fd");
}

guint
test_count_threads (void)
{
  return count_entries ("/proc/self/task");
}

/* test_args_new (2, G_TYPE_INT, 1, G_TYPE_STRING, "a") */
GValue *
test_args_new (guint n, ...)
{
  GValue *args = g_new0 (GValue, MAX (n, 1));
  va_list ap;

  va_start (ap, n);
  for (guint i = 0; i < n; i++)
    {
      GType            type = va_arg (ap, GType);
      g_autofree char *error = NULL;

      G_VALUE_COLLECT_INIT (&args[i], type, ap, 0, &error);
      g_assert_null (error);
    }
  va_end (ap);

  return args;
}

void
test_args_free (GValue *args, guint n)
{
  for (guint i = 0; i < n; i++)
    if (G_IS_VALUE (&args[i]))
      g_value_unset (&args[i]);
  g_free (args);
}

static void
watch_notify (gpointer data, GObject *where_the_object_was)
{
  TestWatch *watch = data;

  g_atomic_pointer_set (&watch->thread, g_thread_self ());
  g_atomic_int_set (&watch->finalized, TRUE);
}

void
test_watch (TestWatch *watch, gpointer object)
{
  watch->finalized = FALSE;
  watch->thread = NULL;
  g_object_weak_ref (object, watch_notify, watch);
}

/* TestCounter: constructed by the peer with an initial value */
struct _TestCounter
{
  GObject parent_instance;
  int     value;
};

G_DEFINE_FINAL_TYPE (TestCounter, test_counter, G_TYPE_OBJECT)

static gint n_counters_finalized;

guint
test_counter_get_n_finalized (void)
{
  return g_atomic_int_get (&n_counters_finalized);
}

static int
counter_increment (TestCounter *self)
{
  return ++self->value;
}

static void
test_counter_finalize (GObject *object)
{
  g_atomic_int_inc (&n_counters_finalized);
  G_OBJECT_CLASS (test_counter_parent_class)->finalize (object);
}

static void
test_counter_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  g_value_set_int (value, TEST_COUNTER (object)->value);
}

static void
test_counter_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  TEST_COUNTER (object)->value = g_value_get_int (value);
}

static void
test_counter_class_init (TestCounterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = test_counter_finalize;
  object_class->get_property = test_counter_get_property;
  object_class->set_property = test_counter_set_property;

  g_object_class_install_property (object_class, 1,
                                   g_param_spec_int ("value", NULL, NULL, G_MININT, G_MAXINT, 0,
                                                     G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS));
  g_signal_new_class_handler ("increment", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (counter_increment), NULL, NULL, NULL, G_TYPE_INT, 0);
}

static void
test_counter_init (TestCounter *self)
{
}

/* A GAsyncReadyCallback for comlink_proxy_call_async(): @user_data is a
 * TestResult */
void
test_on_call_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  TestResult *r = user_data;

  r->n_calls++;
  r->time = g_get_monotonic_time ();
  r->context = g_main_context_get_thread_default ();
  if (r->context == NULL)
    r->context = g_main_context_default ();
  r->thread = g_thread_self ();
  test_watch (&r->task, result);
  r->value = comlink_proxy_call_finish (COMLINK_PROXY (source), result, &r->error);
}

void
test_result_clear (TestResult *r)
{
  if (r->value != NULL)
    g_boxed_free (G_TYPE_VALUE, r->value);
  r->value = NULL;
  g_clear_error (&r->error);
  r->n_calls = 0;
}

/* A ComlinkWorker::exited handler: @exited is a TestExited */
void
test_on_exited (ComlinkWorker *worker,
                const GError  *error,
                TestExited    *exited)
{
  exited->n_exited++;
  g_clear_error (&exited->error);
  exited->error = g_error_copy (error);
}

/* Resident memory in KiB, after giving back to the system what malloc
 * keeps free */
long
test_rss_kib (void)
{
  g_autofree char *statm = NULL;
  long             size = 0;
  long             resident = 0;

  malloc_trim (0);
  if (g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL))
    sscanf (statm, "%ld %ld", &size, &resident);
  return resident * (sysconf (_SC_PAGESIZE) / 1024);
}

/* TestSlow: methods that block, in the handler or in a thread of their
 * own (comlink_invocation_run_in_thread()), and tell what they saw */
struct _TestSlow
{
  GObject parent_instance;
};

G_DEFINE_FINAL_TYPE (TestSlow, test_slow, G_TYPE_OBJECT)

static GMutex        slow_mutex;
static TestSlowStats slow_stats;

void
test_slow_get_stats (TestSlowStats *stats)
{
  g_mutex_lock (&slow_mutex);
  *stats = slow_stats;
  g_mutex_unlock (&slow_mutex);
}

void
test_slow_reset_stats (void)
{
  g_mutex_lock (&slow_mutex);
  memset (&slow_stats, 0, sizeof slow_stats);
  g_mutex_unlock (&slow_mutex);
}

/* Spins, without returning to any main context, until @cancellable fires
 * or 30 s pass, and answers G_IO_ERROR_CANCELLED or G_IO_ERROR_TIMED_OUT */
static void
spin_until_cancelled (ComlinkInvocation *invocation,
                      GCancellable      *cancellable)
{
  gint64   deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  gboolean cancelled;

  g_mutex_lock (&slow_mutex);
  slow_stats.n_entered++;
  g_mutex_unlock (&slow_mutex);

  while (!(cancelled = g_cancellable_is_cancelled (cancellable)) && g_get_monotonic_time () < deadline)
    g_usleep (1000);

  g_mutex_lock (&slow_mutex);
  slow_stats.n_stopped++;
  slow_stats.n_saw_cancel += cancelled;
  slow_stats.last_stop_time = g_get_monotonic_time ();
  g_mutex_unlock (&slow_mutex);

  if (cancelled)
    comlink_invocation_return_error (invocation, G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopped");
  else
    comlink_invocation_return_error (invocation, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "never cancelled");
}

static void
slow_spin (TestSlow *self, ComlinkInvocation *invocation)
{
  spin_until_cancelled (invocation, comlink_invocation_get_cancellable (invocation));
}

static void
spin_in_thread (ComlinkInvocation *invocation, GCancellable *cancellable, gpointer user_data)
{
  spin_until_cancelled (invocation, cancellable);
}

static void
slow_spin_in_thread (TestSlow *self, ComlinkInvocation *invocation)
{
  comlink_invocation_run_in_thread (invocation, spin_in_thread, NULL, NULL);
}

/* The destroy notify of the data of a function run in a thread */
static void
note_notify_thread (gpointer data)
{
  g_mutex_lock (&slow_mutex);
  slow_stats.notify_thread = g_thread_self ();
  g_mutex_unlock (&slow_mutex);
  g_free (data);
}

static void
note_func_thread (void)
{
  g_mutex_lock (&slow_mutex);
  slow_stats.func_thread = g_thread_self ();
  g_mutex_unlock (&slow_mutex);
}

static void
add_in_thread (ComlinkInvocation *invocation, GCancellable *cancellable, gpointer user_data)
{
  int   *terms = user_data;
  GValue sum = G_VALUE_INIT;

  note_func_thread ();
  g_value_init (&sum, G_TYPE_INT);
  g_value_set_int (&sum, terms[0] + terms[1]);
  comlink_invocation_return_value (invocation, &sum);
  g_value_unset (&sum);
}

static void
slow_add_in_thread (TestSlow *self, int a, int b, ComlinkInvocation *invocation)
{
  int *terms = g_new (int, 2);

  terms[0] = a;
  terms[1] = b;
  comlink_invocation_run_in_thread (invocation, add_in_thread, terms, note_notify_thread);
}

static void
fail_in_thread (ComlinkInvocation *invocation, GCancellable *cancellable, gpointer user_data)
{
  note_func_thread ();
  comlink_invocation_return_error (invocation, G_IO_ERROR, GPOINTER_TO_INT (user_data),
                                   "failed in a thread");
}

static void
slow_fail_in_thread (TestSlow *self, int code, ComlinkInvocation *invocation)
{
  comlink_invocation_run_in_thread (invocation, fail_in_thread, GINT_TO_POINTER (code), NULL);
}

typedef struct
{
  ComlinkProxy *progress;
  int           n;
} CountJob;

static void
count_job_free (gpointer data)
{
  CountJob *job = data;

  g_object_unref (job->progress);
  note_notify_thread (job);
}

/* Reports i for i from 0 to n - 1 through the callback, then answers n */
static void
count_in_thread (ComlinkInvocation *invocation, GCancellable *cancellable, gpointer user_data)
{
  CountJob *job = user_data;
  GValue    value = G_VALUE_INIT;

  note_func_thread ();
  g_value_init (&value, G_TYPE_INT);
  for (int i = 0; i < job->n; i++)
    {
      g_value_set_int (&value, i);
      comlink_proxy_call_async (job->progress, NULL, &value, 1, NULL, NULL, NULL);
    }
  g_value_set_int (&value, job->n);
  comlink_invocation_return_value (invocation, &value);
  g_value_unset (&value);
}

static void
slow_count_in_thread (TestSlow *self, GObject *progress, int n, ComlinkInvocation *invocation)
{
  CountJob *job = g_new0 (CountJob, 1);

  job->progress = COMLINK_PROXY (g_object_ref (progress));
  job->n = n;
  comlink_invocation_run_in_thread (invocation, count_in_thread, job, count_job_free);
}

/* Blocks until test_block_release(), whatever happens to the call */
static void
block_in_thread (ComlinkInvocation *invocation, GCancellable *cancellable, gpointer user_data)
{
  calc_block (NULL);
  comlink_invocation_return_value (invocation, NULL);
}

static void
slow_block_in_thread (TestSlow *self, ComlinkInvocation *invocation)
{
  comlink_invocation_run_in_thread (invocation, block_in_thread, NULL, NULL);
}

/* Runs nothing: answers, by leaving it, COMLINK_ERROR_NO_REPLY */
static void
forget_in_thread (ComlinkInvocation *invocation, GCancellable *cancellable, gpointer user_data)
{
}

static void
slow_forget_in_thread (TestSlow *self, ComlinkInvocation *invocation)
{
  comlink_invocation_run_in_thread (invocation, forget_in_thread, NULL, NULL);
}

static int
slow_n_entered (TestSlow *self)
{
  TestSlowStats stats;

  test_slow_get_stats (&stats);
  return stats.n_entered;
}

static int
slow_n_saw_cancel (TestSlow *self)
{
  TestSlowStats stats;

  test_slow_get_stats (&stats);
  return stats.n_saw_cancel;
}

static void
test_slow_class_init (TestSlowClass *klass)
{
  ACTION ("spin", slow_spin, G_TYPE_NONE, 1, COMLINK_TYPE_INVOCATION);
  ACTION ("spin-in-thread", slow_spin_in_thread, G_TYPE_NONE, 1, COMLINK_TYPE_INVOCATION);
  ACTION ("add-in-thread", slow_add_in_thread, G_TYPE_NONE, 3, G_TYPE_INT, G_TYPE_INT, COMLINK_TYPE_INVOCATION);
  ACTION ("fail-in-thread", slow_fail_in_thread, G_TYPE_NONE, 2, G_TYPE_INT, COMLINK_TYPE_INVOCATION);
  ACTION ("count-in-thread", slow_count_in_thread, G_TYPE_NONE, 3, G_TYPE_OBJECT, G_TYPE_INT,
          COMLINK_TYPE_INVOCATION);
  ACTION ("block-in-thread", slow_block_in_thread, G_TYPE_NONE, 1, COMLINK_TYPE_INVOCATION);
  ACTION ("forget-in-thread", slow_forget_in_thread, G_TYPE_NONE, 1, COMLINK_TYPE_INVOCATION);
  g_signal_new_class_handler ("n-entered", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (slow_n_entered), NULL, NULL, NULL, G_TYPE_INT, 0);
  g_signal_new_class_handler ("n-saw-cancel", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (slow_n_saw_cancel), NULL, NULL, NULL, G_TYPE_INT, 0);
}

static void
test_slow_init (TestSlow *self)
{
}

/* --- Calls to a TestCalc behind a proxy, for the service tests --- */

/* "At once": 100 ms, or 2 s where every allocation is slow (sanitizers) */
gint64
test_at_once (void)
{
  return (g_getenv ("COMLINK_TEST_SLOW") != NULL ? 2000 : 100) * G_TIME_SPAN_MILLISECOND;
}

int
test_proxy_add (ComlinkProxy *proxy, int a, int b)
{
  g_autoptr(GError) error = NULL;
  int sum = 0;

  g_assert_true (comlink_proxy_call_with_args_sync (proxy, "add", NULL, &error, G_TYPE_INT, a, G_TYPE_INT, b,
                                                    G_TYPE_INVALID, G_TYPE_INT, &sum));
  g_assert_no_error (error);
  return sum;
}

void
test_proxy_set_value (ComlinkProxy *proxy, int value)
{
  g_autoptr(GError) error = NULL;
  GValue v = G_VALUE_INIT;

  g_value_init (&v, G_TYPE_INT);
  g_value_set_int (&v, value);
  g_assert_true (comlink_proxy_set_sync (proxy, "value", &v, NULL, &error));
  g_assert_no_error (error);
}

int
test_proxy_get_value (ComlinkProxy *proxy)
{
  g_autoptr(GError) error = NULL;
  GValue *v = comlink_proxy_get_sync (proxy, "value", NULL, &error);
  int     value;

  g_assert_no_error (error);
  value = g_value_get_int (v);
  g_value_unset (v);
  g_free (v);
  return value;
}

/* Closes the proxy's connection and drops the proxy (taken), which goes */
void
test_disconnect (ComlinkProxy *proxy)
{
  g_autoptr(ComlinkConnection) connection = comlink_proxy_dup_connection (proxy);
  TestWatch watch;

  test_watch (&watch, proxy);
  comlink_connection_close (connection);
  g_object_unref (proxy);
  test_wait_until (test_watch_done (&watch));
}

/* Removes a directory of files, as the tests make with g_dir_make_tmp () */
void
test_remove_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

typedef struct
{
  gboolean done;
  char    *line;
} Line;

static void
on_line (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Line *line = user_data;

  line->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL, NULL);
  line->done = TRUE;
}

/* Reads a line of a child's output, serving the thread-default main
 * context meanwhile (the child may be calling this process) */
char *
test_read_line (GDataInputStream *input)
{
  Line line = { FALSE, NULL };

  g_data_input_stream_read_line_async (input, G_PRIORITY_DEFAULT, NULL, on_line, &line);
  test_wait_until (line.done);
  return line.line;
}

/* Starts @argv with @launcher (or a new one), its output in a pipe, and
 * reads that up to the line @until, keeping the first line */
void
test_peer_spawn (TestPeer            *peer,
                 GSubprocessLauncher *launcher,
                 const char * const  *argv,
                 const char          *until)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) own = NULL;

  if (launcher == NULL)
    launcher = own = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_flags (launcher, G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", "detect_leaks=0", TRUE);
  peer->subprocess = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  peer->output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (peer->subprocess));

  for (;;)
    {
      g_autofree char *line = test_read_line (peer->output);

      g_assert_nonnull (line);
      if (g_str_equal (line, until))
        break;
      if (peer->address == NULL)
        peer->address = g_strdup (line);
    }
}

void
test_peer_kill (TestPeer *peer)
{
  g_subprocess_send_signal (peer->subprocess, SIGKILL);
}

/* Kills the peer if it still runs, waits for it and frees what it held */
void
test_peer_clear (TestPeer *peer)
{
  if (g_subprocess_get_identifier (peer->subprocess) != NULL)
    test_peer_kill (peer);
  g_subprocess_wait (peer->subprocess, NULL, NULL);
  g_clear_object (&peer->output);
  g_clear_object (&peer->subprocess);
  g_clear_pointer (&peer->address, g_free);
}
