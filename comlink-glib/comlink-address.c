/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Addresses in the D-Bus address syntax: entries separated by ';', each
 * a transport, ':', and key=value pairs separated by ','; values escape
 * bytes as %XX. comlink-glib reads the transports "unix" (path=,
 * abstract=, dir= or tmpdir=) and "tcp" (host=, port=, family=), and the
 * key tls=false of "tcp", which asks for plain TCP: TCP is TLS otherwise.
 */

#include "config.h"

#include <string.h>

#include <gio/gunixsocketaddress.h>

#include "comlink-address-private.h"
#include "comlink-private.h"

void
_comlink_address_free (ComlinkAddress *self)
{
  g_free (self->path);
  g_free (self->host);
  g_free (self);
}

static gboolean
parse_port (const char *text,
            guint16    *port,
            GError    **error)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT16, &value, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("“%s” is not a port number"), text);
      return FALSE;
    }
  *port = (guint16) value;
  return TRUE;
}

static ComlinkAddress *
parse_entry (const char *entry,
             GError    **error)
{
  g_autoptr(GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *transport = NULL;
  g_auto(GStrv) pairs = NULL;
  const char     *colon = strchr (entry, ':');
  ComlinkAddress *self;
  const char     *value;
  guint           n_places = 0;

  if (colon == NULL || colon == entry)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("“%s” is not an address: it has no transport"), entry);
      return NULL;
    }
  transport = g_strndup (entry, colon - entry);

  pairs = g_strsplit (colon + 1, ",", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      const char *equal = strchr (pairs[i], '=');
      char       *key;
      char       *unescaped;

      if (pairs[i][0] == '\0')
        continue;
      if (equal == NULL || equal == pairs[i])
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       /* Translators: key=value is the form of a part of an address */
                       _ ("“%s” in the address “%s” is not a key=value pair"), pairs[i], entry);
          return NULL;
        }
      key = g_strndup (pairs[i], equal - pairs[i]);
      unescaped = g_uri_unescape_string (equal + 1, NULL);
      if (unescaped == NULL || g_hash_table_contains (keys, key))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _ ("The value of “%s” in the address “%s” is not valid"), key, entry);
          g_free (key);
          g_free (unescaped);
          return NULL;
        }
      g_hash_table_insert (keys, key, unescaped);
    }

  self = g_new0 (ComlinkAddress, 1);
  self->family = G_SOCKET_FAMILY_INVALID;

  if (g_str_equal (transport, "unix"))
    {
      if ((value = g_hash_table_lookup (keys, "path")) != NULL)
        {
          self->kind = COMLINK_ADDRESS_UNIX_PATH;
          self->path = g_strdup (value);
          n_places++;
        }
      if ((value = g_hash_table_lookup (keys, "abstract")) != NULL)
        {
          self->kind = COMLINK_ADDRESS_UNIX_ABSTRACT;
          g_free (self->path);
          self->path = g_strdup (value);
          n_places++;
        }
      if ((value = g_hash_table_lookup (keys, "dir")) != NULL ||
          (value = g_hash_table_lookup (keys, "tmpdir")) != NULL)
        {
          self->kind = COMLINK_ADDRESS_UNIX_DIR;
          g_free (self->path);
          self->path = g_strdup (value);
          n_places++;
        }
      if (n_places != 1)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       /* Translators: path=, abstract=, dir= and tmpdir= are parts of addresses, not to be translated */
                       _ ("The address “%s” must have one of path=, abstract=, dir= or tmpdir="), entry);
          _comlink_address_free (self);
          return NULL;
        }
      return self;
    }

  if (g_str_equal (transport, "tcp"))
    {
      const char *family = g_hash_table_lookup (keys, "family");
      const char *tls = g_hash_table_lookup (keys, "tls");

      self->kind = COMLINK_ADDRESS_TCP;
      self->host = g_strdup (g_hash_table_lookup (keys, "host"));
      self->tls = TRUE;
      if (self->host == NULL)
        self->host = g_strdup ("localhost");
      if ((value = g_hash_table_lookup (keys, "port")) != NULL && !parse_port (value, &self->port, error))
        {
          _comlink_address_free (self);
          return NULL;
        }
      if (family != NULL && g_str_equal (family, "ipv4"))
        self->family = G_SOCKET_FAMILY_IPV4;
      else if (family != NULL && g_str_equal (family, "ipv6"))
        self->family = G_SOCKET_FAMILY_IPV6;
      else if (family != NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _ ("The address family “%s” is neither ipv4 nor ipv6"), family);
          _comlink_address_free (self);
          return NULL;
        }
      if (tls != NULL && g_str_equal (tls, "false"))
        self->tls = FALSE;
      else if (tls != NULL && !g_str_equal (tls, "true"))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       /* Translators: tls=, true and false are written so in addresses, not to be translated */
                       _ ("tls= must be true or false, not “%s”"), tls);
          _comlink_address_free (self);
          return NULL;
        }
      return self;
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               _ ("The transport “%s” is not supported: use unix or tcp"), transport);
  _comlink_address_free (self);
  return NULL;
}

/* The entries of @address, in order: a GPtrArray of ComlinkAddress */
GPtrArray *
_comlink_address_parse (const char *address,
                        GError    **error)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) _comlink_address_free);
  g_auto(GStrv) parts = g_strsplit (address, ";", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      ComlinkAddress *entry;

      if (parts[i][0] == '\0')
        continue;
      entry = parse_entry (parts[i], error);
      if (entry == NULL)
        return NULL;
      g_ptr_array_add (entries, entry);
    }

  if (entries->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _ ("The address “%s” is empty"), address);
      return NULL;
    }

  return g_steal_pointer (&entries);
}

/* An address to connect to @address, a socket address that a server
 * listens on */
char *
_comlink_address_format (GSocketAddress *address,
                         gboolean        tls)
{
  if (G_IS_UNIX_SOCKET_ADDRESS (address))
    {
      GUnixSocketAddress *unix_address = G_UNIX_SOCKET_ADDRESS (address);
      g_autofree char    *escaped = g_dbus_address_escape_value (g_unix_socket_address_get_path (unix_address));

      switch (g_unix_socket_address_get_address_type (unix_address))
        {
        case G_UNIX_SOCKET_ADDRESS_ABSTRACT:
        case G_UNIX_SOCKET_ADDRESS_ABSTRACT_PADDED:
          return g_strdup_printf ("unix:abstract=%s", escaped);
        case G_UNIX_SOCKET_ADDRESS_PATH:
        case G_UNIX_SOCKET_ADDRESS_ANONYMOUS:
        case G_UNIX_SOCKET_ADDRESS_INVALID:
        default:
          return g_strdup_printf ("unix:path=%s", escaped);
        }
    }

  if (G_IS_INET_SOCKET_ADDRESS (address))
    {
      GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS (address);
      g_autofree char    *host = g_inet_address_to_string (g_inet_socket_address_get_address (inet));
      g_autofree char    *escaped = g_dbus_address_escape_value (host);

      return g_strdup_printf ("tcp:host=%s,port=%u%s", escaped, g_inet_socket_address_get_port (inet),
                              tls ? "" : ",tls=false");
    }

  return NULL;
}
