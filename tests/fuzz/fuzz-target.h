/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* What the libFuzzer targets share: the object they serve and the run of
 * one input through a stream endpoint. */

#pragma once

#include <comlink-glib/comlink.h>

G_BEGIN_DECLS

#define FUZZ_TYPE_TARGET (fuzz_target_get_type ())
G_DECLARE_FINAL_TYPE (FuzzTarget, fuzz_target, FUZZ, TARGET, GObject)

/* The members of FuzzTarget a peer can name, and one name of each kind
 * that it lacks: what a generator of requests picks paths from */
extern const char * const fuzz_target_member_names[];
extern const guint        fuzz_target_n_member_names;

/* Feeds @stream to a stream endpoint as what the peer wrote, after the
 * peer's HELLO, with FuzzTarget exposed and one call of this side (id 1)
 * waiting for a reply; returns when the endpoint has read it all and
 * everything is finalized. */
void fuzz_target_serve_stream (const guint8 *stream,
                               gsize         size);

G_END_DECLS
