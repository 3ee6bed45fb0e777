/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A program of a project that builds comlink-glib as its subproject: it
 * starts a thread worker, calls its "add" method and checks the sum. */

#include <comlink-glib/comlink.h>

#define CONSUMER_TYPE_ADDER (consumer_adder_get_type ())
G_DECLARE_FINAL_TYPE (ConsumerAdder, consumer_adder, CONSUMER, ADDER, GObject)

struct _ConsumerAdder
{
  GObject parent_instance;
};

G_DEFINE_FINAL_TYPE (ConsumerAdder, consumer_adder, G_TYPE_OBJECT)

static int
adder_add (ConsumerAdder *self,
           int            a,
           int            b)
{
  return a + b;
}

static void
consumer_adder_class_init (ConsumerAdderClass *klass)
{
  g_signal_new_class_handler ("add", G_TYPE_FROM_CLASS (klass),
                              G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                              G_CALLBACK (adder_add), NULL, NULL, NULL,
                              G_TYPE_INT, 2, G_TYPE_INT, G_TYPE_INT);
}

static void
consumer_adder_init (ConsumerAdder *self)
{
}

/* Runs in the worker thread: the object it returns is exposed */
static GObject *
setup (gpointer user_data,
       GError **error)
{
  return g_object_new (CONSUMER_TYPE_ADDER, NULL);
}

int
main (void)
{
  g_autoptr(ComlinkWorker) worker = NULL;
  g_autoptr(GError) error = NULL;
  GValue  args[2] = { G_VALUE_INIT, G_VALUE_INIT };
  GValue *sum;
  int     result;

  g_print ("comlink-glib %s\n", COMLINK_VERSION_S);

  worker = comlink_worker_new_thread ("adder", setup, NULL, NULL);
  g_value_init (&args[0], G_TYPE_INT);
  g_value_set_int (&args[0], 2);
  g_value_init (&args[1], G_TYPE_INT);
  g_value_set_int (&args[1], 40);

  sum = comlink_proxy_call_sync (comlink_worker_get_proxy (worker), "add",
                                 args, G_N_ELEMENTS (args), NULL, &error);
  if (sum == NULL)
    {
      g_printerr ("add failed: %s\n", error->message);
      return 1;
    }
  if (!G_VALUE_HOLDS_INT (sum))
    {
      g_printerr ("add returned a %s, not an int\n", G_VALUE_TYPE_NAME (sum));
      return 1;
    }
  result = g_value_get_int (sum);
  g_boxed_free (G_TYPE_VALUE, sum);
  g_print ("add (2, 40) = %d\n", result);

  comlink_worker_terminate (worker);
  return result == 42 ? 0 : 1;
}
