/* SPDX-License-Identifier: LGPL-2.1-or-later */

#pragma once

#if !defined(COMLINK_INSIDE) && !defined(COMLINK_COMPILATION)
#error "Only <comlink-glib/comlink.h> can be included directly."
#endif

#include <glib.h>

#include "comlink-version.h"

G_BEGIN_DECLS

/**
 * COMLINK_ERROR:
 *
 * The error domain of comlink-glib: see [error@Comlink.Error].
 *
 * Since: 0.1
 */
#define COMLINK_ERROR (comlink_error_quark ())

/**
 * ComlinkError:
 * @COMLINK_ERROR_FAILED: a failure with no more specific code
 * @COMLINK_ERROR_TERMINATED: the worker was terminated while the call was
 *   pending, or before it was made
 * @COMLINK_ERROR_WORKER_EXITED: the worker exited, crashed or closed its
 *   side on its own
 * @COMLINK_ERROR_CLOSED: the connection or endpoint is closed
 * @COMLINK_ERROR_PROTOCOL: the peer sent a malformed or unexpected message
 * @COMLINK_ERROR_REMOTE: the peer raised an error in a domain that is not
 *   known in this process; the message names the domain
 * @COMLINK_ERROR_NOT_TRANSFERABLE: a value of this type cannot travel to
 *   the peer
 * @COMLINK_ERROR_NO_SUCH_METHOD: the remote object has no callable method
 *   (action signal) of that name
 * @COMLINK_ERROR_NO_SUCH_PROPERTY: the remote object has no property of
 *   that name, or the property cannot be read or written that way
 * @COMLINK_ERROR_NO_SUCH_OBJECT: the remote object does not exist (any
 *   more), or a path does not lead to an object
 * @COMLINK_ERROR_INVALID_ARGUMENTS: a method was called with the wrong
 *   number of arguments
 * @COMLINK_ERROR_TYPE_MISMATCH: a value does not convert to the type the
 *   receiver declares for it
 * @COMLINK_ERROR_NO_REPLY: the remote handler dropped its invocation
 *   without returning a value or an error
 * @COMLINK_ERROR_LIMIT_EXCEEDED: a limit of the connection (pending calls,
 *   exported objects, message size) would be exceeded
 * @COMLINK_ERROR_NOT_CONSTRUCTIBLE: the remote object registered no
 *   constructible type under that name
 * @COMLINK_ERROR_NO_SUCH_SIGNAL: the remote object has no signal of that
 *   name to subscribe to
 * @COMLINK_ERROR_NOT_SUPPORTED: the remote object cannot answer this kind
 *   of request: an object that cannot describe itself
 *   ([method@Comlink.Proxy.describe_async]). Since: 0.1
 *
 * Error codes in the %COMLINK_ERROR domain.
 *
 * Cancelled calls fail with %G_IO_ERROR_CANCELLED and calls that time out
 * with %G_IO_ERROR_TIMED_OUT, as everywhere in GIO.
 *
 * Since: 0.1
 */
typedef enum
{
  COMLINK_ERROR_FAILED,
  COMLINK_ERROR_TERMINATED,
  COMLINK_ERROR_WORKER_EXITED,
  COMLINK_ERROR_CLOSED,
  COMLINK_ERROR_PROTOCOL,
  COMLINK_ERROR_REMOTE,
  COMLINK_ERROR_NOT_TRANSFERABLE,
  COMLINK_ERROR_NO_SUCH_METHOD,
  COMLINK_ERROR_NO_SUCH_PROPERTY,
  COMLINK_ERROR_NO_SUCH_OBJECT,
  COMLINK_ERROR_INVALID_ARGUMENTS,
  COMLINK_ERROR_TYPE_MISMATCH,
  COMLINK_ERROR_NO_REPLY,
  COMLINK_ERROR_LIMIT_EXCEEDED,
  COMLINK_ERROR_NOT_CONSTRUCTIBLE,
  COMLINK_ERROR_NO_SUCH_SIGNAL,
  COMLINK_ERROR_NOT_SUPPORTED,
} ComlinkError;

COMLINK_AVAILABLE_IN_ALL
GQuark comlink_error_quark (void);

G_END_DECLS
