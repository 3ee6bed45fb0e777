/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include "comlink-bytes.h"

G_BEGIN_DECLS

GBytes *_comlink_bytes_new_from_memfd (int      fd,
                                       gsize    size,
                                       GError **error);
int     _comlink_bytes_dup_memfd (GBytes *bytes);
int     _comlink_bytes_new_memfd (GBytes  *bytes,
                                  GError **error);

G_END_DECLS
