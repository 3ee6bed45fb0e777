/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include "comlink-transfer-handler.h"

G_BEGIN_DECLS

/* Returns a (sv) of the handler's name and data, NULL with @error unset if
 * no handler takes @value, NULL with @error set if one failed */
GVariant *_comlink_transfer_handler_write (const GValue *value,
                                           GError      **error);
gboolean  _comlink_transfer_handler_read (GVariant *content,
                                          GValue   *value,
                                          GError  **error);

G_END_DECLS
