/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "config.h"

#include "comlink-error.h"
#include "comlink-private.h"

/**
 * comlink_error_quark:
 *
 * Gets the error domain of comlink-glib, [error@Comlink.Error].
 *
 * Returns: the quark of the domain
 *
 * Since: 0.1
 */

/* As G_DEFINE_QUARK, and it binds the library's gettext domain: the GJS
 * module and the Python override call it first, then translate their own
 * messages in that domain. */
GQuark
comlink_error_quark (void)
{
  static GQuark quark = 0;

  if (G_UNLIKELY (quark == 0))
    {
      _comlink_init_i18n ();
      quark = g_quark_from_static_string ("comlink-error-quark");
    }
  return quark;
}
