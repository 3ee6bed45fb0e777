/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include <glib/gi18n-lib.h>

G_BEGIN_DECLS

/* Binds the gettext domain once; every type's class_init calls it. */
void _comlink_init_i18n (void);

G_END_DECLS
