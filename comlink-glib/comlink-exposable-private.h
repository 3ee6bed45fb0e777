/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include "comlink-exposable.h"

G_BEGIN_DECLS

void _comlink_exposable_released (ComlinkExposable  *self,
                                  ComlinkConnection *connection);

G_END_DECLS
