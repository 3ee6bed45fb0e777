/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* DESCRIBE: the description of a plain GObject (methods, properties,
 * signals, by the dispatcher's rules), of paths, of exposable objects that
 * describe themselves or cannot, the bound on entries, the proxy's cache,
 * forwarding through a proxy on the path, and thread and subprocess
 * workers. */

#include <string.h>

#include "test-objects.h"

/* The kind of DESCRIBE on the wire (doc/protocol.md) */
#define DESCRIBE_KIND 14

/* --- An exposable object that describes itself --- */

#define TEST_TYPE_DESCRIBED (test_described_get_type ())
G_DECLARE_FINAL_TYPE (TestDescribed, test_described, TEST, DESCRIBED, GObject)

struct _TestDescribed
{
  GObject  parent_instance;
  guint    n_methods; /* how many methods it says it has */
  gboolean malformed; /* describes itself with the wrong type */
};

static void test_described_iface_init (ComlinkExposableInterface *iface);

/* clang-format off */
G_DEFINE_FINAL_TYPE_WITH_CODE (TestDescribed, test_described, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (COMLINK_TYPE_EXPOSABLE, test_described_iface_init))
/* clang-format on */

static void
test_described_invoke (ComlinkExposable *exposable, ComlinkInvocation *invocation)
{
  comlink_invocation_return_value (invocation, NULL);
}

/* Its type is the path it was asked for; one method has too many
 * arguments, and a key that is not part of a description is dropped */
static GVariant *
test_described_describe (ComlinkExposable *exposable, const char * const *path, GError **error)
{
  TestDescribed   *self = TEST_DESCRIBED (exposable);
  g_autofree char *type = g_strjoinv (".", (char **) path);
  GVariantBuilder  methods;
  GVariantBuilder  description;
  const char      *many[100];

  if (self->malformed)
    return g_variant_new_string ("not a description");
  if (g_strcmp0 (path[0], "missing") == 0)
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_OBJECT, "No object “missing”");
      return NULL;
    }

  for (guint i = 0; i < G_N_ELEMENTS (many); i++)
    many[i] = "gint";
  g_variant_builder_init (&methods, G_VARIANT_TYPE ("a(sass)"));
  g_variant_builder_add (&methods, "(s@ass)", "too-many", g_variant_new_strv (many, G_N_ELEMENTS (many)), "void");
  for (guint i = 0; i < self->n_methods; i++)
    {
      g_autofree char *name = g_strdup_printf ("m%u", i);
      const char      *args[] = { "any", "gint" };

      g_variant_builder_add (&methods, "(s@ass)", name, g_variant_new_strv (args, 2), "any");
    }

  g_variant_builder_init (&description, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&description, "{sv}", "type", g_variant_new_string (type));
  g_variant_builder_add (&description, "{sv}", "methods", g_variant_builder_end (&methods));
  g_variant_builder_add (&description, "{sv}", "extra", g_variant_new_uint32 (7));

  return g_variant_builder_end (&description);
}

static void
test_described_iface_init (ComlinkExposableInterface *iface)
{
  iface->invoke = test_described_invoke;
  iface->describe = test_described_describe;
}

static void
test_described_class_init (TestDescribedClass *klass)
{
}

static void
test_described_init (TestDescribed *self)
{
}

/* --- A GObject with more methods than a description holds --- */

#define TEST_TYPE_MANY (test_many_get_type ())
G_DECLARE_FINAL_TYPE (TestMany, test_many, TEST, MANY, GObject)

struct _TestMany
{
  GObject parent_instance;
};

G_DEFINE_FINAL_TYPE (TestMany, test_many, G_TYPE_OBJECT)

#define TEST_MANY_N_METHODS 1100

static void
test_many_class_init (TestManyClass *klass)
{
  for (guint i = 0; i < TEST_MANY_N_METHODS; i++)
    {
      g_autofree char *name = g_strdup_printf ("method-%u", i);

      g_signal_new (name, G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION, 0,
                    NULL, NULL, NULL, G_TYPE_NONE, 0);
    }
}

static void
test_many_init (TestMany *self)
{
}

/* --- Helpers --- */

/* A channel in this thread: @object exposed on one port, a proxy of it on
 * the other; DESCRIBE requests that reach the exposing side are counted */
typedef struct
{
  ComlinkChannel    *channel;
  ComlinkConnection *server;
  ComlinkProxy      *proxy;
  guint              n_describes;
} Pair;

static void
on_server_message (ComlinkEndpoint *endpoint,
                   GVariant        *message,
                   GUnixFDList     *fds,
                   gpointer         user_data)
{
  Pair *pair = user_data;
  g_autoptr(GVariant) header = g_variant_get_child_value (message, 0);
  guint8 kind;

  g_variant_get (header, "(ytt)", &kind, NULL, NULL);
  if (kind == DESCRIBE_KIND)
    pair->n_describes++;
}

static void
pair_init (Pair    *pair,
           GObject *object)
{
  memset (pair, 0, sizeof *pair);
  pair->channel = comlink_channel_new ();
  g_signal_connect (comlink_channel_get_port1 (pair->channel), "message",
                    G_CALLBACK (on_server_message), pair);
  pair->server = g_object_ref (comlink_expose (object, comlink_channel_get_port1 (pair->channel)));
  pair->proxy = comlink_wrap (comlink_channel_get_port2 (pair->channel));
}

static void
pair_clear (Pair *pair)
{
  g_signal_handlers_disconnect_by_data (comlink_channel_get_port1 (pair->channel), pair);
  g_clear_object (&pair->proxy);
  comlink_connection_close (pair->server);
  g_clear_object (&pair->server);
  g_clear_object (&pair->channel);
  test_iterate_pending ();
}

static GVariant *
lookup_entry (GVariant   *description,
              const char *list,
              const char *name)
{
  g_autoptr(GVariant) entries = g_variant_lookup_value (description, list, NULL);
  gsize n;

  g_assert_nonnull (entries);
  n = g_variant_n_children (entries);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (entries, i);
      const char *entry_name;

      g_variant_get_child (entry, 0, "&s", &entry_name);
      if (g_str_equal (entry_name, name))
        return g_steal_pointer (&entry);
    }

  return NULL;
}

static gsize
count_entries (GVariant   *description,
               const char *list)
{
  g_autoptr(GVariant) entries = g_variant_lookup_value (description, list, NULL);

  g_assert_nonnull (entries);
  return g_variant_n_children (entries);
}

static void
assert_method (GVariant   *description,
               const char *name,
               const char *expected)
{
  g_autoptr(GVariant) entry = lookup_entry (description, "methods", name);
  g_autofree char *printed = NULL;

  g_assert_nonnull (entry);
  printed = g_variant_print (entry, FALSE);
  g_assert_cmpstr (printed, ==, expected);
}

static void
assert_property (GVariant   *description,
                 const char *name,
                 const char *type,
                 guint       access)
{
  g_autoptr(GVariant) entry = lookup_entry (description, "properties", name);
  const char *entry_type;
  guint       entry_access;

  g_assert_nonnull (entry);
  g_variant_get (entry, "(&s&su)", NULL, &entry_type, &entry_access);
  g_assert_cmpstr (entry_type, ==, type);
  g_assert_cmpuint (entry_access, ==, access);
}

static gboolean
description_is_complete (GVariant *description)
{
  gboolean complete = FALSE;

  g_assert_true (g_variant_lookup (description, "complete", "b", &complete));
  return complete;
}

static void
assert_type (GVariant   *description,
             const char *type)
{
  const char *name = NULL;

  g_assert_true (g_variant_lookup (description, "type", "&s", &name));
  g_assert_cmpstr (name, ==, type);
}

/* The callable methods of @type, counted the dispatcher's way: its own
 * action signals (TestCalc has no ancestor but GObject) */
static guint
count_action_signals (GType type)
{
  g_autoptr(GTypeClass) klass = g_type_class_ref (type);
  g_autofree guint *ids = NULL;
  guint             n_ids = 0;
  guint             n = 0;

  ids = g_signal_list_ids (type, &n_ids);
  for (guint i = 0; i < n_ids; i++)
    {
      GSignalQuery query;

      g_signal_query (ids[i], &query);
      if (query.signal_flags & G_SIGNAL_ACTION)
        n++;
    }

  return n;
}

static void
assert_calc_description (GVariant *description)
{
  g_assert_true (g_variant_is_of_type (description, G_VARIANT_TYPE ("a{sv}")));
  assert_type (description, "TestCalc");
  g_assert_true (description_is_complete (description));

  /* Exactly its action signals, with their types; one that answers
   * through its invocation takes it from the library, and returns any */
  g_assert_cmpuint (count_entries (description, "methods"), ==, count_action_signals (TEST_TYPE_CALC));
  assert_method (description, "add", "('add', ['gint', 'gint'], 'gint')");
  assert_method (description, "scale", "('scale', ['gdouble', 'guchar'], 'gdouble')");
  assert_method (description, "echo-strv", "('echo-strv', ['GStrv'], 'GStrv')");
  assert_method (description, "make-child", "('make-child', ['gint'], 'TestCalc')");
  assert_method (description, "ping", "('ping', [], 'void')");
  assert_method (description, "fail", "('fail', ['gint'], 'any')");
  assert_method (description, "hold", "('hold', [], 'any')");

  /* Plain signals and GObject's own are no methods, but can be
   * subscribed to */
  g_assert_null (lookup_entry (description, "methods", "changed"));
  g_assert_null (lookup_entry (description, "methods", "poked"));
  g_assert_null (lookup_entry (description, "methods", "notify"));
  g_assert_null (lookup_entry (description, "methods", "big"));
  g_assert_cmpuint (count_entries (description, "signals"), ==, 4);
  {
    g_autoptr(GVariant) changed = lookup_entry (description, "signals", "changed");
    g_autoptr(GVariant) notify = lookup_entry (description, "signals", "notify");
    g_autoptr(GVariant) poked = lookup_entry (description, "signals", "poked");
    g_autofree char *printed = NULL;

    g_assert_nonnull (poked);
    g_assert_nonnull (notify);
    g_assert_nonnull (changed);
    printed = g_variant_print (changed, FALSE);
    g_assert_cmpstr (printed, ==, "('changed', ['gint'])");
  }
  g_assert_null (lookup_entry (description, "signals", "add"));

  /* Properties that answer GET (1) or SET (2); a construct-only one
   * answers neither */
  g_assert_cmpuint (count_entries (description, "properties"), ==, 4);
  assert_property (description, "value", "gint", 3);
  assert_property (description, "name", "gchararray", 3);
  assert_property (description, "child", "GObject", 3);
  assert_property (description, "read-only", "gint", 1);
  g_assert_null (lookup_entry (description, "properties", "construct-only"));
}

/* --- Tests --- */

static void
test_describe_calc (void)
{
  g_autoptr(TestCalc) calc = test_calc_new ();
  g_autoptr(GVariant) description = NULL;
  g_autoptr(GError) error = NULL;
  Pair pair;

  pair_init (&pair, G_OBJECT (calc));
  description = comlink_proxy_describe_sync (pair.proxy, NULL, &error);
  g_assert_no_error (error);
  assert_calc_description (description);
  pair_clear (&pair);
}

static void
on_described (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GVariant **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = comlink_proxy_describe_finish (COMLINK_PROXY (source), result, &error);
  g_assert_no_error (error);
}

/* One DESCRIBE per proxy: later ones complete from the proxy's cache */
static void
test_describe_cache (void)
{
  g_autoptr(TestCalc) calc = test_calc_new ();
  g_autoptr(GVariant) first = NULL;
  g_autoptr(GVariant) second = NULL;
  g_autoptr(GVariant) third = NULL;
  g_autoptr(GError) error = NULL;
  Pair pair;

  pair_init (&pair, G_OBJECT (calc));
  first = comlink_proxy_describe_sync (pair.proxy, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pair.n_describes, ==, 1);

  /* Asynchronously too, in a later iteration */
  comlink_proxy_describe_async (pair.proxy, NULL, on_described, &second);
  g_assert_null (second);
  test_wait_until (second != NULL);
  g_assert_true (g_variant_equal (first, second));
  third = comlink_proxy_describe_sync (pair.proxy, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_equal (first, third));
  g_assert_cmpuint (pair.n_describes, ==, 1);

  /* A closed connection fails at once, cache or not */
  comlink_connection_close (pair.server);
  test_iterate_pending ();
  g_clear_pointer (&third, g_variant_unref);
  third = comlink_proxy_describe_sync (pair.proxy, NULL, &error);
  g_assert_null (third);
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_CLOSED);
  g_assert_cmpuint (pair.n_describes, ==, 1);

  pair_clear (&pair);
}

/* A path names an object through object-valued properties */
static void
test_describe_path (void)
{
  g_autoptr(TestCalc) calc = test_calc_new ();
  g_autoptr(TestCalc) child = test_calc_new ();
  g_autoptr(ComlinkProxy) child_proxy = NULL;
  g_autoptr(ComlinkProxy) missing = NULL;
  g_autoptr(ComlinkProxy) not_object = NULL;
  g_autoptr(ComlinkProxy) empty = NULL;
  g_autoptr(GVariant) description = NULL;
  g_autoptr(GError) error = NULL;
  Pair pair;

  g_object_set (calc, "child", child, NULL);
  pair_init (&pair, G_OBJECT (calc));

  child_proxy = comlink_proxy_get_child (pair.proxy, "child");
  description = comlink_proxy_describe_sync (child_proxy, NULL, &error);
  g_assert_no_error (error);
  assert_calc_description (description);

  missing = comlink_proxy_get_child (pair.proxy, "missing");
  g_clear_pointer (&description, g_variant_unref);
  description = comlink_proxy_describe_sync (missing, NULL, &error);
  g_assert_null (description);
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_PROPERTY);
  g_clear_error (&error);

  not_object = comlink_proxy_get_child (pair.proxy, "value");
  description = comlink_proxy_describe_sync (not_object, NULL, &error);
  g_assert_null (description);
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_OBJECT);
  g_clear_error (&error);

  /* A property that holds no object */
  g_object_set (child, "child", NULL, NULL);
  empty = comlink_proxy_get_child (child_proxy, "child");
  description = comlink_proxy_describe_sync (empty, NULL, &error);
  g_assert_null (description);
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_OBJECT);
  g_clear_error (&error);

  /* The connection stays open */
  g_assert_false (comlink_connection_is_closed (pair.server));
  g_assert_cmpuint (pair.n_describes, ==, 4);
  pair_clear (&pair);
}

/* An exposable object without the vfunc cannot be described */
static void
test_describe_not_supported (void)
{
  g_autoptr(GObject) dynamic = g_object_new (TEST_TYPE_DYNAMIC, NULL);
  g_autoptr(GVariant) description = NULL;
  g_autoptr(GError) error = NULL;
  Pair pair;

  pair_init (&pair, dynamic);
  description = comlink_proxy_describe_sync (pair.proxy, NULL, &error);
  g_assert_null (description);
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NOT_SUPPORTED);
  g_assert_false (comlink_connection_is_closed (pair.server));
  pair_clear (&pair);
}

/* An exposable object describes the paths below it; what it says is
 * checked and bounded before it is sent */
static void
test_describe_exposable (void)
{
  g_autoptr(TestDescribed) described = g_object_new (TEST_TYPE_DESCRIBED, NULL);
  g_autoptr(ComlinkProxy) path = NULL;
  g_autoptr(ComlinkProxy) missing = NULL;
  g_autoptr(ComlinkProxy) malformed = NULL;
  g_autoptr(GVariant) description = NULL;
  g_autoptr(GVariant) extra = NULL;
  g_autoptr(GError) error = NULL;
  Pair pair;

  described->n_methods = 2;
  pair_init (&pair, G_OBJECT (described));
  description = comlink_proxy_describe_sync (pair.proxy, NULL, &error);
  g_assert_no_error (error);
  assert_type (description, "");
  /* A method with more argument types than the bound is left out */
  g_assert_cmpuint (count_entries (description, "methods"), ==, 2);
  g_assert_null (lookup_entry (description, "methods", "too-many"));
  assert_method (description, "m1", "('m1', ['any', 'gint'], 'any')");
  g_assert_false (description_is_complete (description));
  /* Missing lists are empty, unknown keys dropped */
  g_assert_cmpuint (count_entries (description, "properties"), ==, 0);
  g_assert_cmpuint (count_entries (description, "signals"), ==, 0);
  extra = g_variant_lookup_value (description, "extra", NULL);
  g_assert_null (extra);

  path = comlink_proxy_get_child (pair.proxy, "a");
  g_clear_pointer (&description, g_variant_unref);
  description = comlink_proxy_describe_sync (path, NULL, &error);
  g_assert_no_error (error);
  assert_type (description, "a");

  missing = comlink_proxy_get_child (pair.proxy, "missing");
  g_clear_pointer (&description, g_variant_unref);
  description = comlink_proxy_describe_sync (missing, NULL, &error);
  g_assert_null (description);
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_OBJECT);
  g_clear_error (&error);

  described->malformed = TRUE;
  malformed = comlink_proxy_get_child (pair.proxy, "b");
  description = comlink_proxy_describe_sync (malformed, NULL, &error);
  g_assert_null (description);
  g_assert_error (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);

  g_assert_false (comlink_connection_is_closed (pair.server));
  pair_clear (&pair);
}

/* Each list holds at most 1024 entries, whatever the object has */
static void
test_describe_bound (void)
{
  g_autoptr(GObject) many = g_object_new (TEST_TYPE_MANY, NULL);
  g_autoptr(TestDescribed) described = g_object_new (TEST_TYPE_DESCRIBED, NULL);
  g_autoptr(GVariant) description = NULL;
  g_autoptr(GError) error = NULL;
  Pair pair;

  pair_init (&pair, many);
  description = comlink_proxy_describe_sync (pair.proxy, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_entries (description, "methods"), ==, 1024);
  g_assert_false (description_is_complete (description));
  pair_clear (&pair);

  described->n_methods = 5000;
  pair_init (&pair, G_OBJECT (described));
  g_clear_pointer (&description, g_variant_unref);
  description = comlink_proxy_describe_sync (pair.proxy, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_entries (description, "methods"), ==, 1024);
  g_assert_false (description_is_complete (description));
  pair_clear (&pair);
}

/* A path that reaches an object of another peer (a proxy assigned to a
 * property) is described by that peer */
static void
test_describe_forward (void)
{
  g_autoptr(TestCalc) front = test_calc_new ();
  g_autoptr(TestDescribed) back = g_object_new (TEST_TYPE_DESCRIBED, NULL);
  g_autoptr(ComlinkProxy) through = NULL;
  g_autoptr(ComlinkProxy) deeper = NULL;
  g_autoptr(GVariant) description = NULL;
  g_autoptr(GError) error = NULL;
  Pair front_pair, back_pair;

  pair_init (&back_pair, G_OBJECT (back));
  g_object_set (front, "child", back_pair.proxy, NULL);
  pair_init (&front_pair, G_OBJECT (front));

  through = comlink_proxy_get_child (front_pair.proxy, "child");
  description = comlink_proxy_describe_sync (through, NULL, &error);
  g_assert_no_error (error);
  assert_type (description, "");
  g_assert_cmpuint (back_pair.n_describes, ==, 1);

  deeper = comlink_proxy_get_child (through, "x");
  g_clear_pointer (&description, g_variant_unref);
  description = comlink_proxy_describe_sync (deeper, NULL, &error);
  g_assert_no_error (error);
  assert_type (description, "x");
  g_assert_cmpuint (back_pair.n_describes, ==, 2);
  g_assert_cmpuint (front_pair.n_describes, ==, 2);

  g_object_set (front, "child", NULL, NULL);
  pair_clear (&front_pair);
  pair_clear (&back_pair);
}

static GObject *
setup_calc (gpointer user_data,
            GError **error)
{
  return G_OBJECT (test_calc_new ());
}

static void
test_describe_thread (void)
{
  g_autoptr(ComlinkWorker) worker = comlink_worker_new_thread ("describe", setup_calc, NULL, NULL);
  g_autoptr(GVariant) description = NULL;
  g_autoptr(GVariant) again = NULL;
  g_autoptr(GError) error = NULL;

  description = comlink_proxy_describe_sync (comlink_worker_get_proxy (worker), NULL, &error);
  g_assert_no_error (error);
  assert_calc_description (description);
  again = comlink_proxy_describe_sync (comlink_worker_get_proxy (worker), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (again == description);

  comlink_worker_terminate (worker);
}

static void
test_describe_subprocess (void)
{
  const char *argv[] = { g_getenv ("COMLINK_TEST_CHILD"), NULL };
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(ComlinkWorker) worker = NULL;
  g_autoptr(GVariant) description = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (argv[0]);
  g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", "detect_leaks=0", TRUE);
  worker = comlink_worker_new_subprocess (launcher, argv, &error);
  g_assert_no_error (error);

  description = comlink_proxy_describe_sync (comlink_worker_get_proxy (worker), NULL, &error);
  g_assert_no_error (error);
  assert_calc_description (description);

  comlink_worker_terminate (worker);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Comlink/Describe/calc", test_describe_calc);
  g_test_add_func ("/Comlink/Describe/cache", test_describe_cache);
  g_test_add_func ("/Comlink/Describe/path", test_describe_path);
  g_test_add_func ("/Comlink/Describe/not-supported", test_describe_not_supported);
  g_test_add_func ("/Comlink/Describe/exposable", test_describe_exposable);
  g_test_add_func ("/Comlink/Describe/bound", test_describe_bound);
  g_test_add_func ("/Comlink/Describe/forward", test_describe_forward);
  g_test_add_func ("/Comlink/Describe/thread", test_describe_thread);
  g_test_add_func ("/Comlink/Describe/child-process", test_describe_subprocess);

  return g_test_run ();
}
