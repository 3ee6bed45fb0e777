/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The GAsyncResult of a remote call: what a GTask does for a call, and no
 * more. The connection completes it from the main loop of the call's
 * context; the callback runs at once when that is the context running,
 * from an idle of it otherwise (and always when the call failed before it
 * was sent). As a GTask checks its cancellable, a call whose cancellable
 * fired completes with G_IO_ERROR_CANCELLED whatever came.
 *
 * Who holds it: the caller until its _async function returns, the
 * connection's pending call until the call completes, and the idle of
 * the caller's context until the callback ran (a context that is never
 * run again drops it with its sources, as it does a GTask's). It holds
 * the proxy and the context, and lets them go where the last of those
 * lets it go; those release it with _comlink_call_result_release (),
 * which keeps it for the next call of the thread that let it go (the
 * caller's, or the connection's when the pending call goes last) when
 * nothing else holds it. A result kept so holds nothing: a worker that
 * terminates leaves no proxy or context in one. */
#define COMLINK_TYPE_CALL_RESULT (_comlink_call_result_get_type ())
G_DECLARE_FINAL_TYPE (ComlinkCallResult, _comlink_call_result, COMLINK, CALL_RESULT, GObject)

ComlinkCallResult *_comlink_call_result_new (gpointer            source_object,
                                             GCancellable       *cancellable,
                                             GAsyncReadyCallback callback,
                                             gpointer            user_data,
                                             gpointer            source_tag);
void               _comlink_call_result_started (ComlinkCallResult *self);
void               _comlink_call_result_release (ComlinkCallResult *self);
guint              _comlink_call_result_count_alive (void);

/* What the connection and the finish functions use on the result of a
 * request: a ComlinkCallResult, or a GTask */
void          _comlink_result_release (gpointer result);
GCancellable *_comlink_result_get_cancellable (gpointer result);
void          _comlink_result_return_pointer (gpointer       result,
                                              gpointer       value,
                                              GDestroyNotify destroy);
void          _comlink_result_return_error (gpointer result,
                                            GError  *error);
gboolean      _comlink_result_return_error_if_cancelled (gpointer result);
gboolean      _comlink_result_is_valid (gpointer result,
                                        gpointer source_object);
gpointer      _comlink_result_get_source_tag (gpointer result);
gpointer      _comlink_result_propagate_pointer (gpointer result,
                                                 GError **error);

G_END_DECLS
