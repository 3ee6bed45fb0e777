/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* libFuzzer target: the bytes are what a peer writes on a stream after its
 * handshake. They go through the stream endpoint's framing, the wire
 * checks and the dispatcher, to an exposed object with properties, action
 * signals, a signal to subscribe to and a constructible type, while a call
 * of this side waits for a reply. Whatever the bytes, nothing may crash,
 * leak or hang. */

#include "fuzz-target.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  fuzz_target_serve_stream (data, size);

  return 0;
}
