/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined(COMLINK_INSIDE) && !defined(COMLINK_COMPILATION)
#error "Only <comlink-glib/comlink.h> can be included directly."
#endif

#include <gio/gio.h>

#include "comlink-connection.h"

G_BEGIN_DECLS

/**
 * ComlinkInvocationKind:
 * @COMLINK_INVOCATION_CALL: a method call; the arguments are the method's
 * @COMLINK_INVOCATION_GET: a property read; there are no arguments
 * @COMLINK_INVOCATION_SET: a property write; the one argument is the value
 * @COMLINK_INVOCATION_CONSTRUCT: a construction of the type registered
 *   under the member's name; the arguments are the values of the
 *   properties that [method@Comlink.Invocation.get_names] names, or
 *   positional arguments when there are no names
 *
 * What a [class@Comlink.Invocation] asks for.
 *
 * Since: 0.1
 */
typedef enum
{
  COMLINK_INVOCATION_CALL,
  COMLINK_INVOCATION_GET,
  COMLINK_INVOCATION_SET,
  COMLINK_INVOCATION_CONSTRUCT,
} ComlinkInvocationKind;

#define COMLINK_TYPE_INVOCATION (comlink_invocation_get_type ())

COMLINK_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (ComlinkInvocation, comlink_invocation, COMLINK, INVOCATION, GObject)

/**
 * ComlinkInvocationThreadFunc:
 * @invocation: the invocation to answer
 * @cancellable: the cancellable of @invocation
 * @user_data: the data given to [method@Comlink.Invocation.run_in_thread]
 *
 * Work that [method@Comlink.Invocation.run_in_thread] runs in a thread of
 * its own. It answers @invocation with
 * [method@Comlink.Invocation.return_value] or one of the error forms, as a
 * #GTaskThreadFunc answers its task, and should return soon after
 * @cancellable fires. An invocation that it leaves unanswered answers
 * %COMLINK_ERROR_NO_REPLY once nothing holds it any more.
 *
 * Since: 0.1
 */
typedef void (*ComlinkInvocationThreadFunc) (ComlinkInvocation *invocation,
                                             GCancellable      *cancellable,
                                             gpointer           user_data);

COMLINK_AVAILABLE_IN_ALL
ComlinkInvocationKind comlink_invocation_get_kind (ComlinkInvocation *self);
COMLINK_AVAILABLE_IN_ALL
const char * const *comlink_invocation_get_path (ComlinkInvocation *self);
COMLINK_AVAILABLE_IN_ALL
const char *comlink_invocation_get_member (ComlinkInvocation *self);
COMLINK_AVAILABLE_IN_ALL
GObject *comlink_invocation_get_target (ComlinkInvocation *self);
COMLINK_AVAILABLE_IN_ALL
const GValue *comlink_invocation_get_args (ComlinkInvocation *self,
                                           guint             *n_args);
COMLINK_AVAILABLE_IN_ALL
guint comlink_invocation_get_n_args (ComlinkInvocation *self);
COMLINK_AVAILABLE_IN_ALL
const GValue *comlink_invocation_get_arg (ComlinkInvocation *self,
                                          guint              index);
COMLINK_AVAILABLE_IN_ALL
GVariant *comlink_invocation_dup_arg_variant (ComlinkInvocation *self,
                                              guint              index);
COMLINK_AVAILABLE_IN_ALL
GType comlink_invocation_get_arg_type (ComlinkInvocation *self,
                                       guint              index);
COMLINK_AVAILABLE_IN_ALL
const char * const *comlink_invocation_get_names (ComlinkInvocation *self);
COMLINK_AVAILABLE_IN_ALL
GCancellable *comlink_invocation_get_cancellable (ComlinkInvocation *self);
COMLINK_AVAILABLE_IN_ALL
ComlinkConnection *comlink_invocation_get_connection (ComlinkInvocation *self);
COMLINK_AVAILABLE_IN_ALL
void comlink_invocation_return_value (ComlinkInvocation *self,
                                      const GValue      *value);
COMLINK_AVAILABLE_IN_ALL
void comlink_invocation_return_gerror (ComlinkInvocation *self,
                                       const GError      *error);
COMLINK_AVAILABLE_IN_ALL
void comlink_invocation_return_error_with_details (ComlinkInvocation *self,
                                                   const GError      *error,
                                                   const char        *class_name,
                                                   const char        *stack);
COMLINK_AVAILABLE_IN_ALL
void comlink_invocation_take_error (ComlinkInvocation *self,
                                    GError            *error);
COMLINK_AVAILABLE_IN_ALL
void comlink_invocation_return_error (ComlinkInvocation *self,
                                      GQuark             domain,
                                      gint               code,
                                      const char        *format,
                                      ...) G_GNUC_PRINTF (4, 5);
COMLINK_AVAILABLE_IN_ALL
void comlink_invocation_run_in_thread (ComlinkInvocation          *self,
                                       ComlinkInvocationThreadFunc func,
                                       gpointer                    user_data,
                                       GDestroyNotify              notify);

G_END_DECLS
