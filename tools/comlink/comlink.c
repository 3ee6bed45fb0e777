/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* comlink: the command-line client of a ComlinkServer.
 *
 *   comlink describe TARGET
 *   comlink call TARGET METHOD [ARG...]
 *   comlink get TARGET PROPERTY
 *   comlink set TARGET PROPERTY VALUE
 *
 * TARGET is an address in the D-Bus syntax (unix:path=, unix:abstract=,
 * tcp:host=,port=) or, with --session, --system or --bus=ADDRESS, the bus
 * name of a service that hands out connections (COMLINK_BUS_INTERFACE).
 * Arguments and values are GVariant text; results are printed the same
 * way. Exit status: 0 on success, 1 when connecting or the request failed,
 * 2 for a command line that is wrong.
 */

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>

#include <comlink-glib/comlink.h>

#define EXIT_USAGE 2

typedef enum
{
  COMMAND_DESCRIBE,
  COMMAND_CALL,
  COMMAND_GET,
  COMMAND_SET,
  COMMAND_HELP,
} CommandKind;

typedef struct
{
  const char *name;
  CommandKind kind;
  const char *synopsis;    /* its arguments */
  const char *description; /* translatable */
  guint       min_args;    /* after the command's name */
  guint       max_args;    /* G_MAXUINT: any number */
} Command;

static const Command commands[] = {
  /* Translators: the arguments of "comlink describe". The words in
   * capitals (TARGET, METHOD, ARG, PROPERTY, VALUE, COMMAND, ADDRESS,
   * PATH, MS, FILE) name the arguments of the commands and options; the
   * synopses, the descriptions and the help text use them alike, so
   * translate each the same way everywhere */
  { "describe", COMMAND_DESCRIBE, N_ ("TARGET"),
    N_ ("Print the methods, properties and signals of the object"), 1, 1 },
  /* Translators: the arguments of "comlink call" */
  { "call", COMMAND_CALL, N_ ("TARGET METHOD [ARG…]"),
    N_ ("Call METHOD with arguments in GVariant text format"), 2, G_MAXUINT },
  /* Translators: the arguments of "comlink get" */
  { "get", COMMAND_GET, N_ ("TARGET PROPERTY"),
    N_ ("Print the value of PROPERTY"), 2, 2 },
  /* Translators: the arguments of "comlink set" */
  { "set", COMMAND_SET, N_ ("TARGET PROPERTY VALUE"),
    N_ ("Set PROPERTY to VALUE, in GVariant text format"), 3, 3 },
  /* Translators: the argument of "comlink help" */
  { "help", COMMAND_HELP, N_ ("[COMMAND]"),
    N_ ("Print this help, or that of COMMAND"), 0, 1 },
};

/* The options, for every command */
static gboolean opt_session;
static gboolean opt_system;
static char    *opt_bus;
static char    *opt_object_path;
static gint     opt_timeout = -1;
static char    *opt_ca_file;
static char    *opt_certificate;
static char    *opt_private_key;
static gboolean opt_version;

static const GOptionEntry option_entries[] = {
  { "session", 0, 0, G_OPTION_ARG_NONE, &opt_session,
    N_ ("TARGET is a bus name on the session bus"), NULL },
  { "system", 0, 0, G_OPTION_ARG_NONE, &opt_system,
    N_ ("TARGET is a bus name on the system bus"), NULL },
  { "bus", 0, 0, G_OPTION_ARG_STRING, &opt_bus,
    /* Translators: ADDRESS is the argument of --bus, a D-Bus address */
    N_ ("TARGET is a bus name on the bus at ADDRESS"),
    /* Translators: the argument of --bus, a D-Bus address */
    N_ ("ADDRESS") },
  { "object-path", 0, 0, G_OPTION_ARG_STRING, &opt_object_path,
    /* Translators: PATH is the argument of --object-path, a D-Bus object path */
    N_ ("Where the service exports its Connect method on the bus (default: /org/gnome/Comlink1)"),
    /* Translators: the argument of --object-path, a D-Bus object path */
    N_ ("PATH") },
  { "timeout", 0, 0, G_OPTION_ARG_INT, &opt_timeout,
    /* Translators: MS is the argument of --timeout, a number of milliseconds */
    N_ ("Give up after MS milliseconds, connecting included (default: never)"),
    /* Translators: the argument of --timeout, a number of milliseconds */
    N_ ("MS") },
  { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_ca_file,
    /* Translators: FILE is the argument of --ca-file, the name of a file */
    N_ ("Trust the certificate authorities in FILE (PEM) for TLS, instead of the system's"),
    /* Translators: the argument of --ca-file, --certificate and
     * --private-key, the name of a file */
    N_ ("FILE") },
  { "certificate", 0, 0, G_OPTION_ARG_FILENAME, &opt_certificate,
    N_ ("Present the client certificate in FILE (PEM) over TLS"), N_ ("FILE") },
  { "private-key", 0, 0, G_OPTION_ARG_FILENAME, &opt_private_key,
    N_ ("The private key of --certificate, when FILE does not hold it (PEM)"), N_ ("FILE") },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version,
    N_ ("Print the version and exit"), NULL },
  G_OPTION_ENTRY_NULL
};

typedef struct
{
  const Command *command;
  char         **args; /* after the command's name, TARGET first */
  guint          n_args;
  GVariant      *parameters; /* call: the tuple; set: the value */

  GMainLoop     *loop;
  GCancellable  *cancellable;
  guint          timeout_id;
  gboolean       timed_out;
  ComlinkClient *client;
  ComlinkProxy  *proxy;
  int            status;
} Run;

/* ------------------------------------------------------------------ */
/* Messages                                                             */

static void
print_usage_error (const char *format,
                   ...) G_GNUC_PRINTF (1, 2);

static void
print_usage_error (const char *format,
                   ...)
{
  g_autofree char *message = NULL;
  va_list          args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("comlink: %s\n", message);
  g_printerr (_ ("Try “comlink --help” for more information.\n"));
}

/* The name of @error's code: the enumeration value's name for the
 * domains that have one registered (GIO's, comlink's), or the number */
static char *
error_code_name (const GError *error)
{
  GType enum_type = G_TYPE_INVALID;

  if (error->domain == COMLINK_ERROR)
    enum_type = COMLINK_TYPE_ERROR;
  else if (error->domain == G_IO_ERROR)
    enum_type = G_TYPE_IO_ERROR_ENUM;
  else if (error->domain == G_TLS_ERROR)
    enum_type = G_TYPE_TLS_ERROR;
  else if (error->domain == G_RESOLVER_ERROR)
    enum_type = G_TYPE_RESOLVER_ERROR;
  else if (error->domain == G_DBUS_ERROR)
    enum_type = G_TYPE_DBUS_ERROR;

  if (enum_type != G_TYPE_INVALID)
    {
      g_autoptr(GEnumClass) klass = g_type_class_ref (enum_type);
      GEnumValue *value = g_enum_get_value (klass, error->code);

      if (value != NULL)
        return g_strdup (value->value_name);
    }

  return g_strdup_printf ("%d", error->code);
}

/* "comlink: MESSAGE (DOMAIN, CODE)": the domain and code for scripts and
 * for the reader who looks them up */
static void
print_error (const GError *error,
             const char   *remote_class)
{
  g_autofree char *code = error_code_name (error);

  if (remote_class != NULL)
    g_printerr ("comlink: %s (%s, %s; %s)\n", error->message, g_quark_to_string (error->domain), code,
                remote_class);
  else
    g_printerr ("comlink: %s (%s, %s)\n", error->message, g_quark_to_string (error->domain), code);
}

static void
run_fail (Run          *run,
          const GError *error,
          const char   *remote_class)
{
  /* The deadline cancelled it: say so, not "cancelled" */
  if (run->timed_out && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autoptr(GError) timed_out = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                                  g_dngettext (GETTEXT_PACKAGE,
                                                               "Timed out after %d millisecond",
                                                               "Timed out after %d milliseconds",
                                                               opt_timeout),
                                                  opt_timeout);

      print_error (timed_out, NULL);
    }
  else
    {
      print_error (error, remote_class);
    }

  run->status = EXIT_FAILURE;
  g_main_loop_quit (run->loop);
}

static void
run_succeed (Run *run)
{
  run->status = EXIT_SUCCESS;
  g_main_loop_quit (run->loop);
}

/* ------------------------------------------------------------------ */
/* Values: GVariant text to and from the GValues of get and set, by the */
/* mapping that comlink_proxy_call_variant_async() uses for arguments   */
/* and results                                                          */

static void
variant_to_value (GVariant *variant,
                  GValue   *value)
{
  const GVariantType *type = g_variant_get_type (variant);

  if (g_variant_is_of_type (variant, G_VARIANT_TYPE_BOOLEAN))
    {
      g_value_init (value, G_TYPE_BOOLEAN);
      g_value_set_boolean (value, g_variant_get_boolean (variant));
    }
  else if (g_variant_is_of_type (variant, G_VARIANT_TYPE_BYTE))
    {
      g_value_init (value, G_TYPE_UCHAR);
      g_value_set_uchar (value, g_variant_get_byte (variant));
    }
  else if (g_variant_is_of_type (variant, G_VARIANT_TYPE_INT16))
    {
      g_value_init (value, G_TYPE_INT);
      g_value_set_int (value, g_variant_get_int16 (variant));
    }
  else if (g_variant_is_of_type (variant, G_VARIANT_TYPE_UINT16))
    {
      g_value_init (value, G_TYPE_UINT);
      g_value_set_uint (value, g_variant_get_uint16 (variant));
    }
  else if (g_variant_is_of_type (variant, G_VARIANT_TYPE_INT32))
    {
      g_value_init (value, G_TYPE_INT);
      g_value_set_int (value, g_variant_get_int32 (variant));
    }
  else if (g_variant_is_of_type (variant, G_VARIANT_TYPE_HANDLE))
    {
      g_value_init (value, G_TYPE_INT);
      g_value_set_int (value, g_variant_get_handle (variant));
    }
  else if (g_variant_is_of_type (variant, G_VARIANT_TYPE_UINT32))
    {
      g_value_init (value, G_TYPE_UINT);
      g_value_set_uint (value, g_variant_get_uint32 (variant));
    }
  else if (g_variant_is_of_type (variant, G_VARIANT_TYPE_INT64))
    {
      g_value_init (value, G_TYPE_INT64);
      g_value_set_int64 (value, g_variant_get_int64 (variant));
    }
  else if (g_variant_is_of_type (variant, G_VARIANT_TYPE_UINT64))
    {
      g_value_init (value, G_TYPE_UINT64);
      g_value_set_uint64 (value, g_variant_get_uint64 (variant));
    }
  else if (g_variant_is_of_type (variant, G_VARIANT_TYPE_DOUBLE))
    {
      g_value_init (value, G_TYPE_DOUBLE);
      g_value_set_double (value, g_variant_get_double (variant));
    }
  else if (g_variant_is_of_type (variant, G_VARIANT_TYPE_STRING) ||
           g_variant_is_of_type (variant, G_VARIANT_TYPE_OBJECT_PATH) ||
           g_variant_is_of_type (variant, G_VARIANT_TYPE_SIGNATURE))
    {
      g_value_init (value, G_TYPE_STRING);
      g_value_set_string (value, g_variant_get_string (variant, NULL));
    }
  else if (g_variant_is_of_type (variant, G_VARIANT_TYPE_VARIANT))
    {
      g_value_init (value, G_TYPE_VARIANT);
      g_value_take_variant (value, g_variant_get_variant (variant));
    }
  else if (g_variant_type_is_maybe (type))
    {
      g_autoptr(GVariant) child = g_variant_get_maybe (variant);

      /* Nothing stays an unset value: a NULL of the property's type */
      if (child != NULL)
        variant_to_value (child, value);
    }
  else if (g_variant_type_equal (type, G_VARIANT_TYPE_STRING_ARRAY))
    {
      g_value_init (value, G_TYPE_STRV);
      g_value_take_boxed (value, g_variant_dup_strv (variant, NULL));
    }
  else if (g_variant_type_equal (type, G_VARIANT_TYPE_OBJECT_PATH_ARRAY))
    {
      g_value_init (value, G_TYPE_STRV);
      g_value_take_boxed (value, g_variant_dup_objv (variant, NULL));
    }
  else if (g_variant_type_equal (type, G_VARIANT_TYPE_BYTESTRING))
    {
      g_value_init (value, G_TYPE_BYTES);
      g_value_take_boxed (value, g_variant_get_data_as_bytes (variant));
    }
  else
    {
      g_value_init (value, G_TYPE_VARIANT);
      g_value_set_variant (value, variant);
    }
}

static GVariant *value_to_variant (const GValue *value,
                                   GError      **error);

static GVariant *
container_to_variant (ComlinkContainer *container,
                      GError          **error)
{
  gboolean        is_dict = comlink_container_is_dict (container);
  guint           n = comlink_container_get_n_items (container);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, is_dict ? G_VARIANT_TYPE_VARDICT : G_VARIANT_TYPE ("av"));
  for (guint i = 0; i < n; i++)
    {
      const GValue *item = comlink_container_get_item (container, i);
      GVariant     *child;

      if (!G_IS_VALUE (item) || (g_value_fits_pointer (item) && g_value_peek_pointer (item) == NULL))
        child = g_variant_new_maybe (G_VARIANT_TYPE_VARIANT, NULL);
      else if ((child = value_to_variant (item, error)) == NULL)
        {
          g_variant_builder_clear (&builder);
          return NULL;
        }
      if (is_dict)
        g_variant_builder_add (&builder, "{sv}", comlink_container_get_key (container, i), child);
      else
        g_variant_builder_add (&builder, "v", child);
    }

  return g_variant_builder_end (&builder);
}

static GVariant *
value_to_variant (const GValue *value,
                  GError      **error)
{
  GType type = G_VALUE_TYPE (value);

  if (g_value_fits_pointer (value) && g_value_peek_pointer (value) == NULL)
    return g_variant_new_maybe (G_VARIANT_TYPE_VARIANT, NULL);

  switch (G_TYPE_FUNDAMENTAL (type))
    {
    case G_TYPE_BOOLEAN: return g_variant_new_boolean (g_value_get_boolean (value));
    case G_TYPE_CHAR: return g_variant_new_int16 (g_value_get_schar (value));
    case G_TYPE_UCHAR: return g_variant_new_byte (g_value_get_uchar (value));
    case G_TYPE_INT: return g_variant_new_int32 (g_value_get_int (value));
    case G_TYPE_UINT: return g_variant_new_uint32 (g_value_get_uint (value));
    case G_TYPE_LONG: return g_variant_new_int64 (g_value_get_long (value));
    case G_TYPE_ULONG: return g_variant_new_uint64 (g_value_get_ulong (value));
    case G_TYPE_INT64: return g_variant_new_int64 (g_value_get_int64 (value));
    case G_TYPE_UINT64: return g_variant_new_uint64 (g_value_get_uint64 (value));
    case G_TYPE_FLOAT: return g_variant_new_double (g_value_get_float (value));
    case G_TYPE_DOUBLE: return g_variant_new_double (g_value_get_double (value));
    case G_TYPE_STRING: return g_variant_new_string (g_value_get_string (value));
    case G_TYPE_VARIANT: return g_variant_new_variant (g_value_get_variant (value));
    case G_TYPE_ENUM:
      {
        g_autoptr(GEnumClass) klass = g_type_class_ref (type);
        GEnumValue *enum_value = g_enum_get_value (klass, g_value_get_enum (value));

        if (enum_value != NULL)
          return g_variant_new_string (enum_value->value_nick);
        return g_variant_new_int32 (g_value_get_enum (value));
      }
    case G_TYPE_FLAGS:
      {
        g_autoptr(GFlagsClass) klass = g_type_class_ref (type);
        guint           flags = g_value_get_flags (value);
        GVariantBuilder builder;

        /* The nicks, as the result of a call gives them */
        g_variant_builder_init (&builder, G_VARIANT_TYPE_STRING_ARRAY);
        while (flags != 0)
          {
            GFlagsValue *flags_value = g_flags_get_first_value (klass, flags);

            if (flags_value == NULL || flags_value->value == 0)
              {
                g_variant_builder_clear (&builder);
                return g_variant_new_uint32 (g_value_get_flags (value));
              }
            g_variant_builder_add (&builder, "s", flags_value->value_nick);
            flags &= ~flags_value->value;
          }
        return g_variant_builder_end (&builder);
      }
    case G_TYPE_BOXED:
      if (type == G_TYPE_STRV)
        return g_variant_new_strv (g_value_get_boxed (value), -1);
      if (type == G_TYPE_BYTES)
        return g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, g_value_get_boxed (value), TRUE);
      if (type == COMLINK_TYPE_CONTAINER)
        return container_to_variant (g_value_get_boxed (value), error);
      break;
    default:
      break;
    }

  if (G_VALUE_HOLDS_OBJECT (value))
    g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH,
                 _ ("The value is an object (%s), which has no text form"),
                 G_OBJECT_TYPE_NAME (g_value_get_object (value)));
  else
    g_set_error (error, COMLINK_ERROR, COMLINK_ERROR_TYPE_MISMATCH,
                 _ ("The value is of type %s, which has no text form"), g_type_name (type));
  return NULL;
}

/* Parses one argument in GVariant text; a usage error when it is not */
static GVariant *
parse_argument (const char *text,
                GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  GVariant *variant = g_variant_parse (NULL, text, NULL, NULL, &local_error);

  if (variant == NULL)
    {
      g_autofree char *context = g_variant_parse_error_print_context (local_error, text);

      g_set_error (error, G_VARIANT_PARSE_ERROR, local_error->code,
                   /* Translators: the argument, the same argument again, and
                    * the part of it that GLib could not parse, marked */
                   _ ("“%s” is not a value in GVariant text format (strings need quotes: '%s'):\n%s"),
                   text, text, context);
      return NULL;
    }

  return variant;
}

/* ------------------------------------------------------------------ */
/* describe                                                             */

static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  GVariant * const *x = a;
  GVariant * const *y = b;
  const char       *name_x, *name_y;

  g_variant_get_child (*x, 0, "&s", &name_x);
  g_variant_get_child (*y, 0, "&s", &name_y);
  return strcmp (name_x, name_y);
}

/* The entries of @list, sorted by name */
static GPtrArray *
sorted_entries (GVariant *list)
{
  GPtrArray   *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  GVariantIter iter;
  GVariant    *entry;

  g_variant_iter_init (&iter, list);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    g_ptr_array_add (entries, entry);
  g_ptr_array_sort (entries, compare_entries);

  return entries;
}

static void
append_types (GString            *line,
              const char * const *types)
{
  g_string_append_c (line, '(');
  for (guint i = 0; types[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append (line, ", ");
      g_string_append (line, types[i]);
    }
  g_string_append_c (line, ')');
}

/* One member per line, in the layout of gdbus introspect:
 *
 *   TestCalc {
 *     methods:
 *       add (gint, gint) -> gint;
 *     properties:
 *       readwrite gint value;
 *     signals:
 *       changed (gint);
 *   };
 */
static void
print_description (GVariant *description)
{
  g_autoptr(GVariant) methods = g_variant_lookup_value (description, "methods", G_VARIANT_TYPE ("a(sass)"));
  g_autoptr(GVariant) properties = g_variant_lookup_value (description, "properties", G_VARIANT_TYPE ("a(ssu)"));
  g_autoptr(GVariant) signals = g_variant_lookup_value (description, "signals", G_VARIANT_TYPE ("a(sas)"));
  g_autoptr(GString) out = g_string_new (NULL);
  const char *type_name = NULL;
  gboolean    complete = TRUE;

  if (!g_variant_lookup (description, "type", "&s", &type_name))
    type_name = "?";
  g_variant_lookup (description, "complete", "b", &complete);

  g_string_append_printf (out, "%s {\n", type_name);

  if (methods != NULL && g_variant_n_children (methods) > 0)
    {
      g_autoptr(GPtrArray) entries = sorted_entries (methods);

      /* Translators: in the output of "comlink describe", the heading
       * over the object's methods, in the layout of gdbus introspect */
      g_string_append_printf (out, "  %s\n", _ ("methods:"));
      for (guint i = 0; i < entries->len; i++)
        {
          const char             *name, *result;
          g_autofree const char **args = NULL;

          g_variant_get (entries->pdata[i], "(&s^a&s&s)", &name, &args, &result);
          g_string_append_printf (out, "    %s ", name);
          append_types (out, args);
          g_string_append_printf (out, " -> %s;\n", result);
        }
    }

  if (properties != NULL && g_variant_n_children (properties) > 0)
    {
      g_autoptr(GPtrArray) entries = sorted_entries (properties);

      /* Translators: the heading over the object's properties */
      g_string_append_printf (out, "  %s\n", _ ("properties:"));
      for (guint i = 0; i < entries->len; i++)
        {
          const char *name, *type, *access;
          guint32     flags;

          g_variant_get (entries->pdata[i], "(&s&su)", &name, &type, &flags);
          if ((flags & 3) == 3)
            access = "readwrite";
          else if (flags & 1)
            access = "readonly";
          else if (flags & 2)
            access = "writeonly";
          else
            access = "none";
          g_string_append_printf (out, "    %s %s %s;\n", access, type, name);
        }
    }

  if (signals != NULL && g_variant_n_children (signals) > 0)
    {
      g_autoptr(GPtrArray) entries = sorted_entries (signals);

      /* Translators: the heading over the object's signals */
      g_string_append_printf (out, "  %s\n", _ ("signals:"));
      for (guint i = 0; i < entries->len; i++)
        {
          const char             *name;
          g_autofree const char **params = NULL;

          g_variant_get (entries->pdata[i], "(&s^a&s)", &name, &params);
          g_string_append_printf (out, "    %s ", name);
          append_types (out, params);
          g_string_append (out, ";\n");
        }
    }

  if (!complete)
    g_string_append_printf (out, "  /* %s */\n",
                            _ ("incomplete: the object has more members than a description holds"));
  g_string_append (out, "};\n");

  fputs (out->str, stdout);
}

static void
on_described (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) description = comlink_proxy_describe_finish (COMLINK_PROXY (source), result, &error);

  if (description == NULL)
    {
      run_fail (run, error, NULL);
      return;
    }

  print_description (description);
  run_succeed (run);
}

/* ------------------------------------------------------------------ */
/* call, get, set                                                       */

static const char *
remote_class (ComlinkProxy *proxy,
              GAsyncResult *result)
{
  const char *class_name = NULL;

  comlink_proxy_get_error_details (proxy, result, &class_name, NULL);
  return class_name;
}

static void
on_called (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) ret = comlink_proxy_call_variant_finish (COMLINK_PROXY (source), result, &error);

  if (ret == NULL)
    {
      run_fail (run, error, remote_class (COMLINK_PROXY (source), result));
      return;
    }

  if (g_variant_n_children (ret) > 0)
    {
      g_autofree char *text = g_variant_print (ret, TRUE);

      printf ("%s\n", text);
    }
  run_succeed (run);
}

static void
on_got (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  GValue *value = comlink_proxy_get_finish (COMLINK_PROXY (source), result, &error);
  g_autoptr(GVariant) variant = NULL;
  g_autofree char *text = NULL;

  if (error != NULL)
    {
      run_fail (run, error, remote_class (COMLINK_PROXY (source), result));
      return;
    }

  /* A NULL string, object or boxed */
  if (value == NULL)
    variant = g_variant_ref_sink (g_variant_new_maybe (G_VARIANT_TYPE_VARIANT, NULL));
  else
    {
      variant = value_to_variant (value, &error);
      if (variant != NULL)
        g_variant_ref_sink (variant);
      g_value_unset (value);
      g_free (value);
    }

  if (variant == NULL)
    {
      run_fail (run, error, NULL);
      return;
    }

  text = g_variant_print (variant, TRUE);
  printf ("%s\n", text);
  run_succeed (run);
}

static void
on_set (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  if (!comlink_proxy_set_finish (COMLINK_PROXY (source), result, &error))
    {
      run_fail (run, error, remote_class (COMLINK_PROXY (source), result));
      return;
    }

  run_succeed (run);
}

static void
run_command (Run *run)
{
  switch (run->command->kind)
    {
    case COMMAND_DESCRIBE:
      comlink_proxy_describe_async (run->proxy, run->cancellable, on_described, run);
      break;
    case COMMAND_CALL:
      /* Not floating: it gains a reference, which the call drops */
      comlink_proxy_call_variant_async (run->proxy, run->args[1], run->parameters, run->cancellable, on_called,
                                        run);
      break;
    case COMMAND_GET:
      comlink_proxy_get_async (run->proxy, run->args[1], run->cancellable, on_got, run);
      break;
    case COMMAND_SET:
      {
        GValue value = G_VALUE_INIT;

        variant_to_value (run->parameters, &value);
        comlink_proxy_set_async (run->proxy, run->args[1], &value, run->cancellable, on_set, run);
        if (G_IS_VALUE (&value))
          g_value_unset (&value);
      }
      break;
    case COMMAND_HELP:
    default:
      g_assert_not_reached ();
    }
}

/* ------------------------------------------------------------------ */
/* Connecting                                                           */

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  if (opt_session || opt_system || opt_bus != NULL)
    run->proxy = comlink_client_connect_bus_finish (COMLINK_CLIENT (source), result, &error);
  else
    run->proxy = comlink_client_connect_finish (COMLINK_CLIENT (source), result, &error);

  if (run->proxy == NULL)
    {
      run_fail (run, error, NULL);
      return;
    }

  run_command (run);
}

static void
on_bus (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = NULL;

  if (opt_bus != NULL)
    bus = g_dbus_connection_new_for_address_finish (result, &error);
  else
    bus = g_bus_get_finish (result, &error);

  if (bus == NULL)
    {
      run_fail (run, error, NULL);
      return;
    }

  comlink_client_connect_bus_async (run->client, bus, run->args[0], opt_object_path, run->cancellable,
                                    on_connected, run);
}

static gboolean
on_timeout (gpointer user_data)
{
  Run *run = user_data;

  run->timeout_id = 0;
  run->timed_out = TRUE;
  g_cancellable_cancel (run->cancellable);
  return G_SOURCE_REMOVE;
}

/* The TLS settings of the options */
static gboolean
setup_tls (ComlinkClient *client,
           GError       **error)
{
  if (opt_ca_file != NULL)
    {
      g_autoptr(GTlsDatabase) database = g_tls_file_database_new (opt_ca_file, error);

      if (database == NULL)
        return FALSE;
      comlink_client_set_tls_database (client, database);
    }

  if (opt_certificate != NULL)
    {
      g_autoptr(GTlsCertificate) certificate = NULL;

      if (opt_private_key != NULL)
        certificate = g_tls_certificate_new_from_files (opt_certificate, opt_private_key, error);
      else
        certificate = g_tls_certificate_new_from_file (opt_certificate, error);
      if (certificate == NULL)
        return FALSE;
      comlink_client_set_tls_certificate (client, certificate);
    }

  return TRUE;
}

/* Closes the connection and lets its sources finish, so that nothing of
 * it is left when the program ends */
static void
disconnect (Run *run)
{
  g_autoptr(ComlinkConnection) connection = NULL;
  gint64 deadline;

  if (run->proxy == NULL)
    return;

  connection = comlink_proxy_dup_connection (run->proxy);
  g_clear_object (&run->proxy);
  if (connection == NULL)
    return;

  comlink_connection_close (connection);
  g_object_add_weak_pointer (G_OBJECT (connection), (gpointer *) &connection);
  g_object_unref (connection);

  deadline = g_get_monotonic_time () + G_USEC_PER_SEC;
  while (connection != NULL && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  if (connection != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (connection), (gpointer *) &connection);
      connection = NULL; /* not ours any more */
    }
}

static int
run_remote (const Command *command,
            char         **args,
            guint          n_args)
{
  Run run = { 0 };
  g_autoptr(GError) error = NULL;
  gboolean bus = opt_session || opt_system || opt_bus != NULL;

  run.command = command;
  run.args = args;
  run.n_args = n_args;

  /* Everything that can be checked before connecting */
  if ((opt_session ? 1 : 0) + (opt_system ? 1 : 0) + (opt_bus != NULL ? 1 : 0) > 1)
    {
      print_usage_error (_ ("--session, --system and --bus exclude each other"));
      return EXIT_USAGE;
    }
  if (bus && !g_dbus_is_name (args[0]))
    {
      print_usage_error (_ ("“%s” is not a valid bus name"), args[0]);
      return EXIT_USAGE;
    }
  if (!bus && strchr (args[0], ':') == NULL)
    {
      print_usage_error (_ ("“%s” is not an address (such as unix:path=/run/example.sock); "
                            "for a bus name, add --session, --system or --bus=ADDRESS"),
                         args[0]);
      return EXIT_USAGE;
    }
  if (opt_object_path != NULL && !g_variant_is_object_path (opt_object_path))
    {
      print_usage_error (_ ("“%s” is not a valid object path"), opt_object_path);
      return EXIT_USAGE;
    }
  if (opt_object_path != NULL && !bus)
    {
      print_usage_error (_ ("--object-path is for bus names"));
      return EXIT_USAGE;
    }
  if (opt_private_key != NULL && opt_certificate == NULL)
    {
      print_usage_error (_ ("--private-key needs --certificate"));
      return EXIT_USAGE;
    }
  if (opt_timeout < -1 || opt_timeout == 0)
    {
      print_usage_error (_ ("--timeout takes a number of milliseconds above 0"));
      return EXIT_USAGE;
    }

  if (command->kind == COMMAND_CALL)
    {
      g_autoptr(GPtrArray) children = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);

      for (guint i = 2; i < n_args; i++)
        {
          GVariant *child = parse_argument (args[i], &error);

          if (child == NULL)
            {
              print_usage_error ("%s", error->message);
              return EXIT_USAGE;
            }
          g_ptr_array_add (children, child);
        }
      run.parameters = g_variant_ref_sink (g_variant_new_tuple ((GVariant **) children->pdata, children->len));
    }
  else if (command->kind == COMMAND_SET)
    {
      GVariant *value = parse_argument (args[2], &error);

      if (value == NULL)
        {
          print_usage_error ("%s", error->message);
          return EXIT_USAGE;
        }
      run.parameters = value;
    }

  run.client = comlink_client_new ();
  if (!setup_tls (run.client, &error))
    {
      print_error (error, NULL);
      g_clear_object (&run.client);
      g_clear_pointer (&run.parameters, g_variant_unref);
      return EXIT_FAILURE;
    }

  run.loop = g_main_loop_new (NULL, FALSE);
  run.cancellable = g_cancellable_new ();
  run.status = EXIT_FAILURE;
  if (opt_timeout > 0)
    run.timeout_id = g_timeout_add (opt_timeout, on_timeout, &run);

  if (opt_bus != NULL)
    g_dbus_connection_new_for_address (opt_bus,
                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                         G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                       NULL, run.cancellable, on_bus, &run);
  else if (bus)
    g_bus_get (opt_system ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION, run.cancellable, on_bus, &run);
  else
    comlink_client_connect_async (run.client, args[0], run.cancellable, on_connected, &run);

  g_main_loop_run (run.loop);

  /* The output is complete before the connection goes */
  fflush (stdout);
  g_clear_handle_id (&run.timeout_id, g_source_remove);
  disconnect (&run);
  g_clear_object (&run.client);
  g_clear_object (&run.cancellable);
  g_clear_pointer (&run.loop, g_main_loop_unref);
  g_clear_pointer (&run.parameters, g_variant_unref);

  return run.status;
}

/* ------------------------------------------------------------------ */
/* The command line                                                     */

static const Command *
find_command (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, name))
      return &commands[i];
  return NULL;
}

/* The columns that @text takes on a terminal: two for a wide character
 * (such as those of Chinese), none for a combining mark */
static glong
display_width (const char *text)
{
  glong width = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!g_unichar_iszerowidth (c))
        width += g_unichar_iswide (c) ? 2 : 1;
    }

  return width;
}

static char *
commands_summary (void)
{
  GString *summary = g_string_new (_ ("Commands:"));

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *usage = g_strdup_printf ("%s %s", commands[i].name, _ (commands[i].synopsis));
      glong            width = display_width (usage);

      /* Aligned by the columns of a terminal, not by bytes or characters,
       * as GOption aligns the options */
      g_string_append_printf (summary, "\n  %s", usage);
      for (glong column = width; column < 28; column++)
        g_string_append_c (summary, ' ');
      g_string_append_printf (summary, " %s", _ (commands[i].description));
    }

  return g_string_free (summary, FALSE);
}

static const char *
description_text (void)
{
  return _ ("TARGET is an address in the D-Bus syntax, as a ComlinkServer listens on:\n"
            "unix:path=FILE, unix:abstract=NAME, tcp:host=HOST,port=PORT (with TLS\n"
            "unless tls=false is added); or, with --session, --system or --bus, the\n"
            "bus name of a service that hands out connections.\n"
            "\n"
            "Arguments and values are in GVariant text format: 42, 'text', true,\n"
            "['a', 'b'], uint64 7, @ms nothing. The result is printed the same way.\n"
            "A negative number is an argument, not an option; “--” ends the options.\n"
            "\n"
            "Examples:\n"
            "  comlink describe unix:path=/run/user/1000/calc.sock\n"
            "  comlink call unix:abstract=calc add 2 3\n"
            "  comlink call --session org.example.Calc echo-string \"'hello'\"\n"
            "  comlink set unix:abstract=calc value -5\n"
            "\n"
            "Exit status: 0 on success, 1 when the service cannot be reached or the\n"
            "request failed, 2 for a wrong command line.");
}

static GOptionContext *
option_context_new (void)
{
  g_autofree char *summary = commands_summary ();
  GOptionContext  *context = g_option_context_new (_ ("COMMAND TARGET [ARGUMENT…]"));

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, option_entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context, description_text ());
  /* Negative numbers among the arguments are no options: they stay */
  g_option_context_set_ignore_unknown_options (context, TRUE);

  return context;
}

static int
print_help (GOptionContext *context,
            const char     *command_name)
{
  const Command *command;

  if (command_name == NULL)
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

      fputs (help, stdout);
      return EXIT_SUCCESS;
    }

  command = find_command (command_name);
  if (command == NULL)
    {
      print_usage_error (_ ("Unknown command “%s”"), command_name);
      return EXIT_USAGE;
    }

  /* Translators: the name of a command (not to translate), its
   * arguments and its description */
  printf (_ ("Usage:\n  comlink [OPTION…] %s %s\n\n%s\n"), command->name, _ (command->synopsis),
          _ (command->description));
  return EXIT_SUCCESS;
}

static int
parse_and_run (char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) args = NULL;
  g_autoptr(GPtrArray) rest = NULL;
  const Command *command;
  gboolean       options_ended = FALSE;
  guint          n_args;

  context = option_context_new ();
  args = g_strdupv (argv);
  if (!g_option_context_parse_strv (context, &args, &error))
    {
      print_usage_error ("%s", error->message);
      return EXIT_USAGE;
    }

  if (opt_version)
    {
      printf ("comlink %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  /* What is left: the command and its arguments. An unknown option was
   * left in place; one that starts with "--" is no GVariant text, so it
   * is a mistake, unless it comes after "--" */
  rest = g_ptr_array_new ();
  for (guint i = 1; args[i] != NULL; i++)
    {
      if (!options_ended && g_str_equal (args[i], "--"))
        {
          options_ended = TRUE;
          continue;
        }
      if (!options_ended && g_str_has_prefix (args[i], "--"))
        {
          print_usage_error (_ ("Unknown option %s"), args[i]);
          return EXIT_USAGE;
        }
      g_ptr_array_add (rest, args[i]);
    }
  g_ptr_array_add (rest, NULL);

  if (rest->len == 1)
    {
      print_usage_error (_ ("No command given"));
      return EXIT_USAGE;
    }

  command = find_command (rest->pdata[0]);
  if (command == NULL)
    {
      print_usage_error (_ ("Unknown command “%s”"), (const char *) rest->pdata[0]);
      return EXIT_USAGE;
    }

  n_args = rest->len - 2;
  if (n_args < command->min_args || n_args > command->max_args)
    {
      /* Translators: the name of a command (not to translate) and its
       * arguments */
      print_usage_error (_ ("Usage: comlink [OPTION…] %s %s"), command->name, _ (command->synopsis));
      return EXIT_USAGE;
    }

  if (command->kind == COMMAND_HELP)
    return print_help (context, n_args > 0 ? rest->pdata[1] : NULL);

  return run_remote (command, (char **) rest->pdata + 1, n_args);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  status = parse_and_run (argv);

  g_clear_pointer (&opt_bus, g_free);
  g_clear_pointer (&opt_object_path, g_free);
  g_clear_pointer (&opt_ca_file, g_free);
  g_clear_pointer (&opt_certificate, g_free);
  g_clear_pointer (&opt_private_key, g_free);

  return status;
}
