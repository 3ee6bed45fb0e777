/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The dispatcher: serves a request of the peer on a local object.
 *
 * A plain GObject needs no code to be exposed: its readable properties
 * answer GET, its writable (not construct-only) ones answer SET, its
 * action signals are its methods (CALL), and the types registered on it
 * with comlink_register_constructible() answer CONSTRUCT. A request's
 * path is followed through object-valued properties; an object on the way
 * that implements ComlinkExposable answers for itself and everything below
 * it, and a ComlinkProxy there (an object of the peer assigned to a
 * property) forwards the request to its owner.
 *
 * DESCRIBE is answered here too: a plain GObject is described from its
 * class by the same rules that serve it (see describe_object()), an
 * exposable object describes itself.
 *
 * Lifetime: the dispatcher holds nothing between requests. An object on
 * the path is held while the request is dispatched; a forwarded request
 * holds its invocation until the forwarded call completes. The table of
 * constructible types belongs to the object it was registered on (object
 * data) and goes with it; a constructed object is handed to the
 * invocation's result, which exports it until the peer releases it.
 */

#include "config.h"

#include <string.h>

#include "comlink-dispatch-private.h"
#include "comlink-error.h"
#include "comlink-exposable.h"
#include "comlink-invocation-private.h"
#include "comlink-private.h"
#include "comlink-proxy-private.h"
#include "comlink-value-convert-private.h"
#include "comlink-wire-private.h"

static GQuark
constructibles_quark (void)
{
  static gsize quark;

  if (g_once_init_enter (&quark))
    g_once_init_leave (&quark, g_quark_from_static_string ("comlink-constructibles"));

  return (GQuark) quark;
}

/**
 * comlink_register_constructible:
 * @object: an object that is or will be exposed
 * @name: the name that the peer constructs @type by
 * @type: a #GObject type
 *
 * Lets the peer construct objects of @type through @object, with
 * [method@Comlink.Proxy.construct_async] on the proxy of the path
 * `name` below the proxy of @object: `await new api.Counter()` in
 * Comlink's words. The new object lives until the peer releases its
 * proxy. The peer can construct nothing else: it never names a type of
 * its own choosing.
 *
 * Since: 0.1
 */
void
comlink_register_constructible (GObject    *object,
                                const char *name,
                                GType       type)
{
  GHashTable *table;

  g_return_if_fail (G_IS_OBJECT (object));
  g_return_if_fail (name != NULL);
  g_return_if_fail (g_type_is_a (type, G_TYPE_OBJECT));
  g_return_if_fail (!G_TYPE_IS_ABSTRACT (type));

  table = g_object_get_qdata (object, constructibles_quark ());
  if (table == NULL)
    {
      table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_object_set_qdata_full (object, constructibles_quark (), table,
                               (GDestroyNotify) g_hash_table_unref);
    }
  g_hash_table_replace (table, g_strdup (name), GSIZE_TO_POINTER (type));
}

static guint
count_writable_properties (GObjectClass *klass)
{
  g_autofree GParamSpec **pspecs = NULL;
  guint                   n_pspecs = 0;
  guint                   n_writable = 0;

  pspecs = g_object_class_list_properties (klass, &n_pspecs);
  for (guint i = 0; i < n_pspecs; i++)
    if (pspecs[i]->flags & G_PARAM_WRITABLE)
      n_writable++;

  return n_writable;
}

static void
construct_object (GObject           *object,
                  ComlinkInvocation *invocation)
{
  const char         *name = comlink_invocation_get_member (invocation);
  GHashTable         *table = g_object_get_qdata (object, constructibles_quark ());
  GType               type = table ? GPOINTER_TO_SIZE (g_hash_table_lookup (table, name)) : 0;
  const char * const *names = comlink_invocation_get_names (invocation);
  g_autoptr(GTypeClass) klass = NULL;
  g_autoptr(GObject) instance = NULL;
  g_autoptr(GHashTable) seen = NULL;
  g_autofree GValue *values = NULL;
  GValue             result = G_VALUE_INIT;
  const GValue      *args;
  GError            *error = NULL;
  guint              n_args, n_writable;

  if (type == 0)
    {
      comlink_invocation_return_error (invocation, COMLINK_ERROR, COMLINK_ERROR_NOT_CONSTRUCTIBLE,
                                       _ ("%s has no constructible type “%s”"),
                                       G_OBJECT_TYPE_NAME (object), name);
      return;
    }

  args = comlink_invocation_get_args (invocation, &n_args);
  if (n_args > 0 && names[0] == NULL)
    {
      comlink_invocation_return_error (invocation, COMLINK_ERROR, COMLINK_ERROR_INVALID_ARGUMENTS,
                                       _ ("%s is constructed from named properties"),
                                       g_type_name (type));
      return;
    }

  klass = g_type_class_ref (type);
  /* GLib sets the properties from an array on its stack, and refuses a
   * property named twice with a critical: neither may come from the peer */
  n_writable = count_writable_properties (G_OBJECT_CLASS (klass));
  if (n_args > n_writable)
    {
      comlink_invocation_return_error (invocation, COMLINK_ERROR, COMLINK_ERROR_INVALID_ARGUMENTS,
                                       /* Translators: %s is a type name, the first %u
                                        * the number of values given to construct it, the
                                        * second the number of its properties that can
                                        * be set */
                                       g_dngettext (GETTEXT_PACKAGE,
                                                    "Too many values for %s (%u): it has %u writable property",
                                                    "Too many values for %s (%u): it has %u writable properties",
                                                    n_writable),
                                       g_type_name (type), n_args, n_writable);
      return;
    }

  seen = g_hash_table_new (NULL, NULL);
  values = g_new0 (GValue, MAX (n_args, 1));
  for (guint i = 0; i < n_args; i++)
    {
      GParamSpec *pspec = g_object_class_find_property (G_OBJECT_CLASS (klass), names[i]);

      if (pspec == NULL || !(pspec->flags & G_PARAM_WRITABLE))
        {
          error = g_error_new (COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_PROPERTY,
                               _ ("%s has no writable property “%s”"), g_type_name (type), names[i]);
          break;
        }
      /* Two spellings of one name ("a-b", "a_b") are the same property */
      if (!g_hash_table_add (seen, pspec))
        {
          error = g_error_new (COMLINK_ERROR, COMLINK_ERROR_INVALID_ARGUMENTS,
                               _ ("The property “%s” is named more than once"), pspec->name);
          break;
        }
      if (!_comlink_value_convert (&args[i], pspec->value_type, &values[i], &error))
        {
          /* Translators: this is put before another error message */
          g_prefix_error (&error, _ ("Property “%s”: "), names[i]);
          break;
        }
      if (g_param_value_validate (pspec, &values[i]))
        {
          error = g_error_new (COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH,
                               _ ("The value is not valid for the property “%s”"), names[i]);
          break;
        }
    }

  if (error == NULL)
    {
      instance = g_object_new_with_properties (type, n_args, (const char **) names, values);
      g_value_init (&result, type);
      g_value_set_object (&result, instance);
      comlink_invocation_return_value (invocation, &result);
      g_value_unset (&result);
    }
  else
    comlink_invocation_take_error (invocation, error);

  for (guint i = 0; i < n_args; i++)
    if (G_IS_VALUE (&values[i]))
      g_value_unset (&values[i]);
}

/* The methods found so far, by type and canonical name. Only the names of
 * callable signals get here, whatever a peer asks for, so the table is
 * bounded by the types' own signals. */
typedef struct
{
  GType       type;
  const char *name;
} MethodKey;

static GMutex      methods_mutex;
static GHashTable *methods;

static guint
method_key_hash (gconstpointer key)
{
  const MethodKey *k = key;

  return g_str_hash (k->name) ^ (guint) (k->type * 2654435761u);
}

static gboolean
method_key_equal (gconstpointer a,
                  gconstpointer b)
{
  const MethodKey *ka = a;
  const MethodKey *kb = b;

  return ka->type == kb->type && strcmp (ka->name, kb->name) == 0;
}

/* Finds the action signal that @member of @object names (methods may be
 * called with_underscores; signals are named-with-dashes), or fails with
 * COMLINK_ERROR_NO_SUCH_METHOD. Any thread. */
const ComlinkMethod *
_comlink_dispatch_find_method (GObject    *object,
                               const char *member,
                               GError    **error)
{
  g_autofree char *canonical = NULL;
  const char      *name = member;
  MethodKey        key;
  ComlinkMethod   *method;
  GSignalQuery     query;
  guint            signal_id = 0;

  if (strchr (member, '_') != NULL)
    name = canonical = g_strdelimit (g_strdup (member), "_", '-');
  key.type = G_OBJECT_TYPE (object);
  key.name = name;

  g_mutex_lock (&methods_mutex);
  method = methods != NULL ? g_hash_table_lookup (methods, &key) : NULL;
  g_mutex_unlock (&methods_mutex);
  if (method != NULL)
    return method;

  if (name[0] != '\0' && g_signal_is_valid_name (name))
    signal_id = g_signal_lookup (name, G_OBJECT_TYPE (object));
  if (signal_id == 0)
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_METHOD,
                   _ ("%s has no method “%s”"), G_OBJECT_TYPE_NAME (object), member);
      return NULL;
    }

  g_signal_query (signal_id, &query);
  /* GObject's own "notify" is an action signal, and "destroy" of widgets
   * must never be reachable either: only a type's own methods are. */
  if (!(query.signal_flags & G_SIGNAL_ACTION) ||
      query.itype == G_TYPE_OBJECT || query.itype == G_TYPE_INITIALLY_UNOWNED ||
      g_str_equal (query.signal_name, "destroy"))
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_METHOD,
                   _ ("The signal “%s” of %s is not an action signal and cannot be called"),
                   member, G_OBJECT_TYPE_NAME (object));
      return NULL;
    }

  method = g_new0 (ComlinkMethod, 1);
  method->signal_id = signal_id;
  method->n_params = query.n_params;
  method->param_types = g_new0 (GType, MAX (query.n_params, 1));
  for (guint i = 0; i < query.n_params; i++)
    method->param_types[i] = query.param_types[i] & ~G_SIGNAL_TYPE_STATIC_SCOPE;
  method->return_type = query.return_type & ~G_SIGNAL_TYPE_STATIC_SCOPE;
  method->takes_invocation = query.n_params > 0 &&
                             method->param_types[query.n_params - 1] == COMLINK_TYPE_INVOCATION;

  g_mutex_lock (&methods_mutex);
  if (methods == NULL)
    methods = g_hash_table_new (method_key_hash, method_key_equal);
  {
    ComlinkMethod *found = g_hash_table_lookup (methods, &key);

    if (found != NULL)
      {
        g_free (method->param_types);
        g_free (method);
        method = found;
      }
    else
      {
        /* Kept for the life of the process, as the types are */
        MethodKey *owned = g_new (MethodKey, 1);

        owned->type = key.type;
        owned->name = g_intern_string (name);
        g_hash_table_insert (methods, owned, method);
      }
  }
  g_mutex_unlock (&methods_mutex);

  return method;
}

/* Emits @method on @object with @args, converted to its parameter types,
 * and @invocation last if it takes one; @return_value is initialized to
 * its return type, if it has one. Fails with
 * COMLINK_ERROR_INVALID_ARGUMENTS or COMLINK_ERROR_TYPE_MISMATCH. */
gboolean
_comlink_dispatch_emit (GObject             *object,
                        const ComlinkMethod *method,
                        const char          *member,
                        const GValue        *args,
                        guint                n_args,
                        ComlinkInvocation   *invocation,
                        GValue              *return_value,
                        GError             **error)
{
  GValue   stack_params[8];
  GValue  *params = stack_params;
  guint    n_expected = method->n_params - (method->takes_invocation ? 1 : 0);
  gboolean ret = TRUE;

  if (n_args != n_expected)
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_INVALID_ARGUMENTS,
                   g_dngettext (GETTEXT_PACKAGE,
                                "“%s” takes %u argument, not %u",
                                "“%s” takes %u arguments, not %u",
                                n_expected),
                   member, n_expected, n_args);
      return FALSE;
    }

  /* The number of parameters is the signal's, never the peer's */
  if (method->n_params + 1 > G_N_ELEMENTS (stack_params))
    params = g_new (GValue, method->n_params + 1);
  memset (params, 0, sizeof (GValue) * (method->n_params + 1));
  g_value_init (&params[0], G_OBJECT_TYPE (object));
  g_value_set_object (&params[0], object);

  for (guint i = 0; i < n_args && ret; i++)
    if (!_comlink_value_convert (&args[i], method->param_types[i], &params[i + 1], error))
      {
        /* Translators: this is put before another error message; %s is the name of a method */
        g_prefix_error (error, _ ("Argument %u of “%s”: "), i + 1, member);
        ret = FALSE;
      }

  if (ret)
    {
      if (method->takes_invocation)
        {
          g_value_init (&params[method->n_params], COMLINK_TYPE_INVOCATION);
          g_value_set_object (&params[method->n_params], invocation);
        }
      if (method->return_type != G_TYPE_NONE)
        g_value_init (return_value, method->return_type);
      g_signal_emitv (params, method->signal_id, 0, return_value);
    }

  for (guint i = 0; i <= method->n_params; i++)
    if (G_IS_VALUE (&params[i]))
      g_value_unset (&params[i]);
  if (params != stack_params)
    g_free (params);

  return ret;
}

/* Calls the action signal that the invocation's member names */
static void
call_action_signal (GObject           *object,
                    ComlinkInvocation *invocation)
{
  const char          *member = comlink_invocation_get_member (invocation);
  const ComlinkMethod *method;
  GValue               return_value = G_VALUE_INIT;
  const GValue        *args;
  guint                n_args;
  GError              *error = NULL;

  method = _comlink_dispatch_find_method (object, member, &error);
  args = comlink_invocation_get_args (invocation, &n_args);
  if (method == NULL ||
      !_comlink_dispatch_emit (object, method, member, args, n_args, invocation, &return_value, &error))
    {
      comlink_invocation_take_error (invocation, error);
      return;
    }

  if (!method->takes_invocation)
    comlink_invocation_return_value (invocation, G_IS_VALUE (&return_value) ? &return_value : NULL);
  if (G_IS_VALUE (&return_value))
    g_value_unset (&return_value);
}

static GParamSpec *
find_property (GObject           *object,
               ComlinkInvocation *invocation,
               const char        *name,
               GParamFlags        needed)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (object), name);

  if (pspec == NULL || (pspec->flags & needed) != needed ||
      ((needed & G_PARAM_WRITABLE) && (pspec->flags & G_PARAM_CONSTRUCT_ONLY)))
    {
      comlink_invocation_return_error (invocation, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_PROPERTY,
                                       (needed & G_PARAM_WRITABLE)
                                         ? _ ("%s has no writable property “%s”")
                                         : _ ("%s has no readable property “%s”"),
                                       G_OBJECT_TYPE_NAME (object), name);
      return NULL;
    }

  return pspec;
}

static void
get_property (GObject           *object,
              ComlinkInvocation *invocation)
{
  const char *name = comlink_invocation_get_member (invocation);
  GValue      value = G_VALUE_INIT;
  GParamSpec *pspec;

  if (!(pspec = find_property (object, invocation, name, G_PARAM_READABLE)))
    return;

  g_value_init (&value, pspec->value_type);
  g_object_get_property (object, pspec->name, &value);
  comlink_invocation_return_value (invocation, &value);
  g_value_unset (&value);
}

static void
set_property (GObject           *object,
              ComlinkInvocation *invocation)
{
  const char *name = comlink_invocation_get_member (invocation);
  GValue      value = G_VALUE_INIT;
  GValue      checked = G_VALUE_INIT;
  GError     *error = NULL;
  GParamSpec *pspec;

  if (!(pspec = find_property (object, invocation, name, G_PARAM_WRITABLE)))
    return;

  if (!_comlink_value_convert (comlink_invocation_get_arg (invocation, 0),
                               pspec->value_type, &value, &error))
    {
      /* Translators: this is put before another error message */
      g_prefix_error (&error, _ ("Property “%s”: "), name);
      comlink_invocation_take_error (invocation, error);
      return;
    }

  /* GObject would warn and ignore a value out of the property's range */
  g_value_init (&checked, pspec->value_type);
  g_value_copy (&value, &checked);
  if (g_param_value_validate (pspec, &checked))
    comlink_invocation_return_error (invocation, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH,
                                     _ ("The value is not valid for the property “%s”"), name);
  else
    {
      g_object_set_property (object, pspec->name, &value);
      comlink_invocation_return_value (invocation, NULL);
    }

  g_value_unset (&checked);
  g_value_unset (&value);
}

/* One step down a path: the object an object-valued readable property
 * holds */
static GObject *
navigate (GObject    *object,
          const char *name,
          GError    **error)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (object), name);
  GObject    *child = NULL;

  if (pspec == NULL || !(pspec->flags & G_PARAM_READABLE))
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_PROPERTY,
                   _ ("%s has no readable property “%s”"), G_OBJECT_TYPE_NAME (object), name);
      return NULL;
    }

  if (!G_TYPE_IS_OBJECT (pspec->value_type) && !G_TYPE_IS_INTERFACE (pspec->value_type))
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_OBJECT,
                   /* Translators: the type of the property is not a type of object */
                   _ ("The property “%s” of %s does not hold an object"),
                   name, G_OBJECT_TYPE_NAME (object));
      return NULL;
    }

  g_object_get (object, pspec->name, &child, NULL);
  if (child == NULL)
    g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_NO_SUCH_OBJECT,
                 /* Translators: the property could hold an object, but its value is NULL */
                 _ ("The property “%s” of %s holds no object"),
                 name, G_OBJECT_TYPE_NAME (object));

  return child;
}

/* Follows @path (n_path elements) from @object through object-valued
 * properties, for requests that are not invocations (subscriptions) */
GObject *
_comlink_resolve_path (GObject            *object,
                       const char * const *path,
                       gsize               n_path,
                       GError            **error)
{
  GObject *current = g_object_ref (object);

  for (gsize i = 0; i < n_path; i++)
    {
      GObject *child = navigate (current, path[i], error);

      g_object_unref (current);
      if (child == NULL)
        return NULL;
      current = child;
    }

  return current;
}

/* --- Describing --- */

/* The name of @type for a description: "any" for a value of no declared
 * type */
static const char *
describe_type_name (GType type)
{
  type &= ~G_SIGNAL_TYPE_STATIC_SCOPE;
  return type == G_TYPE_INVALID ? COMLINK_DESCRIPTION_ANY : g_type_name (type);
}

static GVariant *
describe_types (const GType *types,
                guint        n_types)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_STRING_ARRAY);
  for (guint i = 0; i < n_types; i++)
    g_variant_builder_add (&builder, "s", describe_type_name (types[i]));

  return g_variant_builder_end (&builder);
}

/* Adds the signals of @itype (its own, not inherited): the callable ones
 * to @callables, by the dispatcher's own rules, the others to @signals */
static void
describe_signals_of (GObject         *object,
                     GType            itype,
                     GVariantBuilder *callables,
                     GVariantBuilder *signals,
                     guint           *n_methods,
                     guint           *n_signals,
                     gboolean        *complete)
{
  g_autofree guint *ids = NULL;
  guint             n_ids = 0;

  ids = g_signal_list_ids (itype, &n_ids);
  for (guint i = 0; i < n_ids; i++)
    {
      const ComlinkMethod *method;
      GSignalQuery         query;

      g_signal_query (ids[i], &query);
      method = _comlink_dispatch_find_method (object, query.signal_name, NULL);
      if (method != NULL && method->signal_id == ids[i])
        {
          guint n_args = method->n_params - (method->takes_invocation ? 1 : 0);

          if (*n_methods == COMLINK_DESCRIPTION_MAX_ENTRIES || n_args > COMLINK_DESCRIPTION_MAX_TYPES)
            {
              *complete = FALSE;
              continue;
            }
          /* A method that answers through its invocation may return
           * anything */
          g_variant_builder_add (callables, "(s@ass)", query.signal_name,
                                 describe_types (method->param_types, n_args),
                                 method->takes_invocation ? COMLINK_DESCRIPTION_ANY
                                                          : describe_type_name (method->return_type));
          (*n_methods)++;
        }
      else
        {
          if (*n_signals == COMLINK_DESCRIPTION_MAX_ENTRIES || query.n_params > COMLINK_DESCRIPTION_MAX_TYPES)
            {
              *complete = FALSE;
              continue;
            }
          g_variant_builder_add (signals, "(s@as)", query.signal_name,
                                 describe_types (query.param_types, query.n_params));
          (*n_signals)++;
        }
    }
}

/* A plain GObject, described from its class as the dispatcher serves it:
 * its callable action signals are its methods (without the invocation a
 * method may take last), its properties that answer GET or SET are its
 * properties, and every other signal (the type's, its ancestors' and its
 * interfaces') can be subscribed to. */
static GVariant *
describe_object (GObject *object)
{
  g_autofree GParamSpec **pspecs = NULL;
  g_autofree GType       *interfaces = NULL;
  GVariantBuilder         callables;
  GVariantBuilder         properties;
  GVariantBuilder         signals;
  GVariantBuilder         description;
  guint                   n_pspecs = 0;
  guint                   n_interfaces = 0;
  guint                   n_methods = 0;
  guint                   n_properties = 0;
  guint                   n_signals = 0;
  gboolean                complete = TRUE;

  g_variant_builder_init (&callables, G_VARIANT_TYPE (COMLINK_DESCRIPTION_METHODS_TYPE));
  g_variant_builder_init (&properties, G_VARIANT_TYPE (COMLINK_DESCRIPTION_PROPERTIES_TYPE));
  g_variant_builder_init (&signals, G_VARIANT_TYPE (COMLINK_DESCRIPTION_SIGNALS_TYPE));

  for (GType type = G_OBJECT_TYPE (object); type != 0; type = g_type_parent (type))
    describe_signals_of (object, type, &callables, &signals, &n_methods, &n_signals, &complete);
  interfaces = g_type_interfaces (G_OBJECT_TYPE (object), &n_interfaces);
  for (guint i = 0; i < n_interfaces; i++)
    describe_signals_of (object, interfaces[i], &callables, &signals, &n_methods, &n_signals, &complete);

  pspecs = g_object_class_list_properties (G_OBJECT_GET_CLASS (object), &n_pspecs);
  for (guint i = 0; i < n_pspecs; i++)
    {
      guint access = 0;

      if (pspecs[i]->flags & G_PARAM_READABLE)
        access |= COMLINK_PROPERTY_READABLE;
      if ((pspecs[i]->flags & G_PARAM_WRITABLE) && !(pspecs[i]->flags & G_PARAM_CONSTRUCT_ONLY))
        access |= COMLINK_PROPERTY_WRITABLE;
      if (access == 0)
        continue;
      if (n_properties == COMLINK_DESCRIPTION_MAX_ENTRIES)
        {
          complete = FALSE;
          break;
        }
      g_variant_builder_add (&properties, "(ssu)", pspecs[i]->name,
                             describe_type_name (pspecs[i]->value_type), access);
      n_properties++;
    }

  g_variant_builder_init (&description, G_VARIANT_TYPE (COMLINK_DESCRIPTION_TYPE_STRING));
  g_variant_builder_add (&description, "{sv}", "type", g_variant_new_string (G_OBJECT_TYPE_NAME (object)));
  g_variant_builder_add (&description, "{sv}", "methods", g_variant_builder_end (&callables));
  g_variant_builder_add (&description, "{sv}", "properties", g_variant_builder_end (&properties));
  g_variant_builder_add (&description, "{sv}", "signals", g_variant_builder_end (&signals));
  g_variant_builder_add (&description, "{sv}", "complete", g_variant_new_boolean (complete));

  return g_variant_ref_sink (g_variant_builder_end (&description));
}

/* Describes the object that @path leads to from @object, as a DESCRIBE
 * asks: through object-valued properties, as requests are dispatched,
 * until an object that describes itself (an exposable object, with the
 * rest of the path). When the path reaches a proxy (an object of a peer
 * assigned to a property), returns NULL and the proxy of the rest of the
 * path in @forward, to be described by its owner. Fails as a request on
 * the path would, or with COMLINK_ERROR_NOT_SUPPORTED for an exposable
 * object that cannot describe itself. Returns a checked description. */
GVariant *
_comlink_dispatch_describe (GObject            *object,
                            const char * const *path,
                            ComlinkProxy      **forward,
                            GError            **error)
{
  g_autoptr(GObject) current = g_object_ref (object);
  g_autoptr(GVariant) description = NULL;

  *forward = NULL;
  while (!COMLINK_IS_EXPOSABLE (current) && !COMLINK_IS_PROXY (current) && path[0] != NULL)
    {
      GObject *child = navigate (current, path[0], error);

      if (child == NULL)
        return NULL;
      g_object_unref (current);
      current = child;
      path++;
    }

  if (COMLINK_IS_PROXY (current))
    {
      ComlinkProxy *target = COMLINK_PROXY (g_steal_pointer (&current));

      for (; path[0] != NULL; path++)
        {
          ComlinkProxy *child = comlink_proxy_get_child (target, path[0]);

          g_object_unref (target);
          target = child;
        }
      *forward = target;
      return NULL;
    }

  if (!COMLINK_IS_EXPOSABLE (current))
    return describe_object (current);

  description = comlink_exposable_describe (COMLINK_EXPOSABLE (current), path, error);
  if (description == NULL)
    return NULL;

  return _comlink_wire_description_check (description, error);
}

static void
forward_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(ComlinkInvocation) invocation = user_data;
  ComlinkProxy *proxy = COMLINK_PROXY (source);
  GError       *error = NULL;
  GValue       *value = NULL;

  switch (comlink_invocation_get_kind (invocation))
    {
    case COMLINK_INVOCATION_CALL:
    case COMLINK_INVOCATION_GET:
      /* Forwarded as it came: a null stays apart from nothing */
      value = _comlink_proxy_propagate_result (proxy, result, &error);
      break;

    case COMLINK_INVOCATION_SET:
      comlink_proxy_set_finish (proxy, result, &error);
      break;

    case COMLINK_INVOCATION_CONSTRUCT:
      {
        g_autoptr(ComlinkProxy) constructed = comlink_proxy_construct_finish (proxy, result, &error);

        if (constructed != NULL)
          {
            value = g_new0 (GValue, 1);
            g_value_init (value, COMLINK_TYPE_PROXY);
            g_value_set_object (value, constructed);
          }
      }
      break;

    default:
      g_assert_not_reached ();
    }

  if (error != NULL)
    {
      const char *class_name;
      const char *stack;

      /* The answer carries on what the owner said about the error */
      comlink_proxy_get_error_details (proxy, result, &class_name, &stack);
      comlink_invocation_return_error_with_details (invocation, error, class_name, stack);
      g_error_free (error);
    }
  else
    comlink_invocation_return_value (invocation, value);
  if (value != NULL)
    g_boxed_free (G_TYPE_VALUE, value);
}

/* The object on the path is a proxy (an object the peer sent by
 * reference, assigned to a property): the request goes on to its owner */
static void
forward_to_proxy (ComlinkProxy      *proxy,
                  ComlinkInvocation *invocation)
{
  g_autoptr(ComlinkProxy) target = g_object_ref (proxy);
  const char * const *path = comlink_invocation_get_path (invocation);
  const char         *member = comlink_invocation_get_member (invocation);
  GCancellable       *cancellable = comlink_invocation_get_cancellable (invocation);
  const GValue       *args;
  guint               n_args;

  for (guint i = 0; path[i] != NULL; i++)
    {
      ComlinkProxy *child = comlink_proxy_get_child (target, path[i]);

      g_object_unref (target);
      target = child;
    }

  args = comlink_invocation_get_args (invocation, &n_args);
  switch (comlink_invocation_get_kind (invocation))
    {
    case COMLINK_INVOCATION_CALL:
      comlink_proxy_call_async (target, member[0] ? member : NULL, args, n_args, cancellable,
                                forward_done, g_object_ref (invocation));
      break;

    case COMLINK_INVOCATION_GET:
      comlink_proxy_get_async (target, member, cancellable, forward_done, g_object_ref (invocation));
      break;

    case COMLINK_INVOCATION_SET:
      comlink_proxy_set_async (target, member, &args[0], cancellable, forward_done, g_object_ref (invocation));
      break;

    case COMLINK_INVOCATION_CONSTRUCT:
      {
        g_autoptr(ComlinkProxy) named = comlink_proxy_get_child (target, member);
        const char * const *names = comlink_invocation_get_names (invocation);

        comlink_proxy_construct_async (named, names[0] ? names : NULL, args, n_args, cancellable,
                                       forward_done, g_object_ref (invocation));
      }
      break;

    default:
      g_assert_not_reached ();
    }
}

/* Walks the invocation's path through object-valued properties until it
 * reaches the object the member belongs to, or an object that answers for
 * itself, then serves the request. */
void
_comlink_dispatch (ComlinkInvocation *invocation)
{
  g_autoptr(GObject) object = g_object_ref (comlink_invocation_get_target (invocation));

  while (!COMLINK_IS_EXPOSABLE (object) && !COMLINK_IS_PROXY (object) &&
         comlink_invocation_get_path (invocation)[0] != NULL)
    {
      GError  *error = NULL;
      GObject *child = navigate (object, comlink_invocation_get_path (invocation)[0], &error);

      if (child == NULL)
        {
          comlink_invocation_take_error (invocation, error);
          return;
        }

      _comlink_invocation_navigate (invocation, child);
      g_object_unref (object);
      object = child;
    }

  if (COMLINK_IS_EXPOSABLE (object))
    {
      comlink_exposable_invoke (COMLINK_EXPOSABLE (object), invocation);
      return;
    }

  if (COMLINK_IS_PROXY (object))
    {
      forward_to_proxy (COMLINK_PROXY (object), invocation);
      return;
    }

  switch (comlink_invocation_get_kind (invocation))
    {
    case COMLINK_INVOCATION_CALL:
      call_action_signal (object, invocation);
      break;

    case COMLINK_INVOCATION_GET:
      get_property (object, invocation);
      break;

    case COMLINK_INVOCATION_SET:
      set_property (object, invocation);
      break;

    case COMLINK_INVOCATION_CONSTRUCT:
      construct_object (object, invocation);
      break;

    default:
      g_assert_not_reached ();
    }
}
