/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* One entry of an address in the D-Bus address syntax, as comlink-glib
 * reads it (see doc/services.md) */
typedef enum
{
  COMLINK_ADDRESS_UNIX_PATH,
  COMLINK_ADDRESS_UNIX_ABSTRACT,
  COMLINK_ADDRESS_UNIX_DIR, /* a server makes a socket of a new name in it */
  COMLINK_ADDRESS_TCP,
} ComlinkAddressKind;

typedef struct
{
  ComlinkAddressKind kind;
  char              *path; /* the path, abstract name or directory */
  char              *host;
  guint16            port;
  GSocketFamily      family; /* G_SOCKET_FAMILY_INVALID: either */
  gboolean           tls;    /* TCP: FALSE only with tls=false */
} ComlinkAddress;

GPtrArray *_comlink_address_parse (const char *address,
                                   GError    **error);
void       _comlink_address_free (ComlinkAddress *self);
char      *_comlink_address_format (GSocketAddress *address,
                                    gboolean        tls);

G_END_DECLS
