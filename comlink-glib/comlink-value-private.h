/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include <gio/gunixfdlist.h>

#include "comlink-connection.h"
#include "comlink-wire-private.h"

G_BEGIN_DECLS

/* The _to_wire functions return a full (not floating) reference. File
 * descriptors that go beside the message are appended to *fds, which is
 * created on demand. _comlink_value_from_wire reads the descriptors that
 * a value refers to from @fds, those that came beside the message (or
 * NULL), and duplicates the ones it keeps. */

GVariant          *_comlink_value_to_wire (ComlinkConnection *connection,
                                           const GValue      *value,
                                           GUnixFDList      **fds,
                                           GError           **error);
GVariant          *_comlink_values_to_wire (ComlinkConnection *connection,
                                            const GValue      *values,
                                            guint              n_values,
                                            GUnixFDList      **fds,
                                            GError           **error);
ComlinkWireValues *_comlink_values_to_wire_values (ComlinkConnection *connection,
                                                   const GValue      *values,
                                                   guint              n_values,
                                                   gboolean           is_array,
                                                   GUnixFDList      **fds,
                                                   GError           **error);
gboolean           _comlink_value_from_wire (ComlinkConnection *connection,
                                             GVariant          *wire,
                                             GUnixFDList       *fds,
                                             GValue            *value,
                                             GError           **error);

GVariant *_comlink_value_socket_to_wire (int           fd,
                                         GUnixFDList **fds,
                                         GError      **error);

G_END_DECLS
