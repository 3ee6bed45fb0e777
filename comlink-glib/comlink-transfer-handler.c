/* SPDX-License-Identifier: LGPL-2.1-or-later */

/**
 * ComlinkTransferHandler:
 *
 * Teaches comlink-glib to send values of a type it cannot send by itself,
 * the counterpart of Comlink's `transferHandlers`.
 *
 * A handler has a name, a type it handles (or a `can_handle` virtual
 * function), and writes a value as a #GVariant and reads it back. Both
 * sides register the same handlers under the same names with
 * [method@Comlink.TransferHandler.register]; a value that a handler takes
 * travels as the handler's name and data wherever values travel: in
 * arguments, results and property values. A name that the receiving side
 * does not know is a protocol error.
 *
 * One handler is built in: `gfile` sends a #GFile by its URI.
 *
 * The registry is process-wide and safe to use from any thread.
 *
 * A handler that sends a #GDateTime as its Unix time:
 *
 * |[<!-- language="C" -->
 * static GVariant *
 * date_time_serialize (ComlinkTransferHandler *handler, const GValue *value, GError **error)
 * {
 *   return g_variant_new_int64 (g_date_time_to_unix (g_value_get_boxed (value)));
 * }
 *
 * static gboolean
 * date_time_deserialize (ComlinkTransferHandler *handler, GVariant *data, GValue *value, GError **error)
 * {
 *   if (!g_variant_is_of_type (data, G_VARIANT_TYPE_INT64))
 *     {
 *       g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL, "Not a Unix time");
 *       return FALSE;
 *     }
 *   g_value_init (value, G_TYPE_DATE_TIME);
 *   g_value_take_boxed (value, g_date_time_new_from_unix_utc (g_variant_get_int64 (data)));
 *   return TRUE;
 * }
 *
 * static void
 * my_date_time_handler_class_init (MyDateTimeHandlerClass *klass)
 * {
 *   COMLINK_TRANSFER_HANDLER_CLASS (klass)->serialize = date_time_serialize;
 *   COMLINK_TRANSFER_HANDLER_CLASS (klass)->deserialize = date_time_deserialize;
 * }
 *
 * // On both sides, before the first call
 * g_autoptr(ComlinkTransferHandler) handler = g_object_new (MY_TYPE_DATE_TIME_HANDLER,
 *                                                           "name", "date-time",
 *                                                           "value-type", G_TYPE_DATE_TIME,
 *                                                           NULL);
 * comlink_transfer_handler_register (handler);
 * ]|
 *
* See also: [Transfer handlers](transfer-handlers.html).
 *
 * Since: 0.1
 */

#include "config.h"

#include <gio/gio.h>

#include "comlink-error.h"
#include "comlink-private.h"
#include "comlink-transfer-handler-private.h"

typedef struct
{
  char *name;
  GType value_type;
} ComlinkTransferHandlerPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (ComlinkTransferHandler, comlink_transfer_handler, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_NAME,
  PROP_VALUE_TYPE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_LOCK_DEFINE_STATIC (registry);
static GPtrArray *registry;

static gboolean
comlink_transfer_handler_real_can_handle (ComlinkTransferHandler *self,
                                          const GValue           *value)
{
  ComlinkTransferHandlerPrivate *priv = comlink_transfer_handler_get_instance_private (self);

  if (priv->value_type == G_TYPE_INVALID)
    return FALSE;
  if (G_VALUE_HOLDS (value, priv->value_type))
    return TRUE;

  /* An object held in a GValue of a wider type */
  return G_VALUE_HOLDS_OBJECT (value) && g_value_get_object (value) != NULL &&
         g_type_is_a (G_OBJECT_TYPE (g_value_get_object (value)), priv->value_type);
}

static void
comlink_transfer_handler_finalize (GObject *object)
{
  ComlinkTransferHandler        *self = COMLINK_TRANSFER_HANDLER (object);
  ComlinkTransferHandlerPrivate *priv = comlink_transfer_handler_get_instance_private (self);

  g_free (priv->name);

  G_OBJECT_CLASS (comlink_transfer_handler_parent_class)->finalize (object);
}

static void
comlink_transfer_handler_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  ComlinkTransferHandler        *self = COMLINK_TRANSFER_HANDLER (object);
  ComlinkTransferHandlerPrivate *priv = comlink_transfer_handler_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, priv->name);
      break;

    case PROP_VALUE_TYPE:
      g_value_set_gtype (value, priv->value_type);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
comlink_transfer_handler_set_property (GObject      *object,
                                       guint         prop_id,
                                       const GValue *value,
                                       GParamSpec   *pspec)
{
  ComlinkTransferHandler        *self = COMLINK_TRANSFER_HANDLER (object);
  ComlinkTransferHandlerPrivate *priv = comlink_transfer_handler_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_NAME:
      priv->name = g_value_dup_string (value);
      break;

    case PROP_VALUE_TYPE:
      priv->value_type = g_value_get_gtype (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
comlink_transfer_handler_class_init (ComlinkTransferHandlerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  _comlink_init_i18n ();

  object_class->finalize = comlink_transfer_handler_finalize;
  object_class->get_property = comlink_transfer_handler_get_property;
  object_class->set_property = comlink_transfer_handler_set_property;

  klass->can_handle = comlink_transfer_handler_real_can_handle;

  /**
   * ComlinkTransferHandler:name:
   *
   * The name the handler is known by on both sides.
   *
   * Since: 0.1
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * ComlinkTransferHandler:value-type:
   *
   * The type of the values the handler takes, for the default
   * `can_handle`; %G_TYPE_INVALID if the handler decides by itself.
   *
   * Since: 0.1
   */
  properties[PROP_VALUE_TYPE] =
    g_param_spec_gtype ("value-type", NULL, NULL,
                        G_TYPE_NONE,
                        (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
comlink_transfer_handler_init (ComlinkTransferHandler *self)
{
}

/**
 * comlink_transfer_handler_get_name:
 * @self: a #ComlinkTransferHandler
 *
 * Gets the name of @self.
 *
 * Returns: the name of @self
 *
 * Since: 0.1
 */
const char *
comlink_transfer_handler_get_name (ComlinkTransferHandler *self)
{
  ComlinkTransferHandlerPrivate *priv = comlink_transfer_handler_get_instance_private (self);

  g_return_val_if_fail (COMLINK_IS_TRANSFER_HANDLER (self), NULL);

  return priv->name;
}

/**
 * comlink_transfer_handler_get_value_type:
 * @self: a #ComlinkTransferHandler
 *
 * Gets the type of the values that @self takes.
 *
 * Returns: the type of the values @self takes, or %G_TYPE_INVALID
 *
 * Since: 0.1
 */
GType
comlink_transfer_handler_get_value_type (ComlinkTransferHandler *self)
{
  ComlinkTransferHandlerPrivate *priv = comlink_transfer_handler_get_instance_private (self);

  g_return_val_if_fail (COMLINK_IS_TRANSFER_HANDLER (self), G_TYPE_INVALID);

  return priv->value_type;
}

/* --- the built-in GFile handler --- */

#define COMLINK_TYPE_FILE_TRANSFER_HANDLER (comlink_file_transfer_handler_get_type ())
G_DECLARE_FINAL_TYPE (ComlinkFileTransferHandler, comlink_file_transfer_handler, COMLINK, FILE_TRANSFER_HANDLER, ComlinkTransferHandler)

struct _ComlinkFileTransferHandler
{
  ComlinkTransferHandler parent_instance;
};

G_DEFINE_FINAL_TYPE (ComlinkFileTransferHandler, comlink_file_transfer_handler, COMLINK_TYPE_TRANSFER_HANDLER)

static GVariant *
file_serialize (ComlinkTransferHandler *handler,
                const GValue           *value,
                GError                **error)
{
  g_autofree char *uri = g_file_get_uri (G_FILE (g_value_get_object (value)));

  if (!g_utf8_validate (uri, -1, NULL))
    {
      g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE,
                           _ ("The URI of the file is not valid UTF-8"));
      return NULL;
    }

  return g_variant_new_string (uri);
}

static gboolean
file_deserialize (ComlinkTransferHandler *handler,
                  GVariant               *data,
                  GValue                 *value,
                  GError                **error)
{
  g_autoptr(GFile) file = NULL;

  if (!g_variant_is_of_type (data, G_VARIANT_TYPE_STRING))
    {
      g_set_error_literal (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                           _ ("A file that is not sent as a URI"));
      return FALSE;
    }

  file = g_file_new_for_uri (g_variant_get_string (data, NULL));
  g_value_init (value, G_OBJECT_TYPE (file));
  g_value_set_object (value, file);

  return TRUE;
}

static void
comlink_file_transfer_handler_class_init (ComlinkFileTransferHandlerClass *klass)
{
  ComlinkTransferHandlerClass *handler_class = COMLINK_TRANSFER_HANDLER_CLASS (klass);

  handler_class->serialize = file_serialize;
  handler_class->deserialize = file_deserialize;
}

static void
comlink_file_transfer_handler_init (ComlinkFileTransferHandler *self)
{
}

/* --- the registry --- */

/* Called with the lock held */
static GPtrArray *
registry_get_locked (void)
{
  if (registry == NULL)
    {
      registry = g_ptr_array_new_with_free_func (g_object_unref);
      g_ptr_array_add (registry, g_object_new (COMLINK_TYPE_FILE_TRANSFER_HANDLER,
                                               "name", "gfile",
                                               "value-type", G_TYPE_FILE,
                                               NULL));
    }

  return registry;
}

static ComlinkTransferHandler *
registry_find_locked (const char *name)
{
  GPtrArray *handlers = registry_get_locked ();

  for (guint i = 0; i < handlers->len; i++)
    {
      ComlinkTransferHandler *handler = g_ptr_array_index (handlers, i);

      if (g_strcmp0 (comlink_transfer_handler_get_name (handler), name) == 0)
        return handler;
    }

  return NULL;
}

/**
 * comlink_transfer_handler_register:
 * @handler: (transfer none): a #ComlinkTransferHandler
 *
 * Registers @handler for the whole process, replacing a handler of the
 * same name. Handlers are asked in the order they were registered.
 *
 * Since: 0.1
 */
void
comlink_transfer_handler_register (ComlinkTransferHandler *handler)
{
  ComlinkTransferHandler *old;

  g_return_if_fail (COMLINK_IS_TRANSFER_HANDLER (handler));
  g_return_if_fail (comlink_transfer_handler_get_name (handler) != NULL);
  g_return_if_fail (COMLINK_TRANSFER_HANDLER_GET_CLASS (handler)->serialize != NULL);
  g_return_if_fail (COMLINK_TRANSFER_HANDLER_GET_CLASS (handler)->deserialize != NULL);

  G_LOCK (registry);
  old = registry_find_locked (comlink_transfer_handler_get_name (handler));
  if (old != NULL)
    g_ptr_array_remove (registry, old);
  g_ptr_array_add (registry, g_object_ref (handler));
  G_UNLOCK (registry);
}

/**
 * comlink_transfer_handler_unregister:
 * @name: the name of a handler
 *
 * Removes the handler registered as @name, if any.
 *
 * Since: 0.1
 */
void
comlink_transfer_handler_unregister (const char *name)
{
  ComlinkTransferHandler *handler;

  g_return_if_fail (name != NULL);

  G_LOCK (registry);
  handler = registry_find_locked (name);
  if (handler != NULL)
    g_ptr_array_remove (registry, handler);
  G_UNLOCK (registry);
}

/**
 * comlink_transfer_handler_lookup:
 * @name: the name of a handler
 *
 * Looks up a registered transfer handler by its name.
 *
 * Returns: (transfer full) (nullable): the handler registered as @name
 *
 * Since: 0.1
 */
ComlinkTransferHandler *
comlink_transfer_handler_lookup (const char *name)
{
  ComlinkTransferHandler *handler;

  g_return_val_if_fail (name != NULL, NULL);

  G_LOCK (registry);
  handler = registry_find_locked (name);
  if (handler != NULL)
    g_object_ref (handler);
  G_UNLOCK (registry);

  return handler;
}

GVariant *
_comlink_transfer_handler_write (const GValue *value,
                                 GError      **error)
{
  ComlinkTransferHandler *handler = NULL;
  g_autoptr(GPtrArray) handlers = NULL;
  GVariant *data;

  handlers = g_ptr_array_new_with_free_func (g_object_unref);
  G_LOCK (registry);
  for (guint i = 0; i < registry_get_locked ()->len; i++)
    g_ptr_array_add (handlers, g_object_ref (g_ptr_array_index (registry, i)));
  G_UNLOCK (registry);

  for (guint i = 0; i < handlers->len && handler == NULL; i++)
    {
      ComlinkTransferHandler *candidate = g_ptr_array_index (handlers, i);

      if (COMLINK_TRANSFER_HANDLER_GET_CLASS (candidate)->can_handle (candidate, value))
        handler = candidate;
    }

  if (handler == NULL)
    return NULL;

  data = COMLINK_TRANSFER_HANDLER_GET_CLASS (handler)->serialize (handler, value, error);
  if (data == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_NOT_TRANSFERABLE,
                     _ ("The transfer handler “%s” failed"), comlink_transfer_handler_get_name (handler));
      return NULL;
    }

  return g_variant_new ("(sv)", comlink_transfer_handler_get_name (handler), data);
}

gboolean
_comlink_transfer_handler_read (GVariant *content,
                                GValue   *value,
                                GError  **error)
{
  g_autoptr(ComlinkTransferHandler) handler = NULL;
  g_autoptr(GVariant) data = NULL;
  const char *name;

  g_variant_get (content, "(&sv)", &name, &data);
  handler = comlink_transfer_handler_lookup (name);
  if (handler == NULL)
    {
      g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                   _ ("A value of the unknown transfer handler “%s”"), name);
      return FALSE;
    }

  if (!COMLINK_TRANSFER_HANDLER_GET_CLASS (handler)->deserialize (handler, data, value, error))
    {
      if (G_IS_VALUE (value))
        g_value_unset (value);
      if (error != NULL && *error == NULL)
        g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_PROTOCOL,
                     _ ("The transfer handler “%s” could not read its value"), name);
      return FALSE;
    }

  return TRUE;
}
