/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "comlink-error.h"

/* clang-format off */
G_DEFINE_QUARK (comlink-error-quark, comlink_error)
/* clang-format on */
