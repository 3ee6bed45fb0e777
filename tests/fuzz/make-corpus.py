#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Writes the seed corpus of fuzz-stream: each file is what a peer writes on
# the stream after its handshake, as frames (a 32-bit little-endian size,
# then a message wrapped in a variant, serialised little-endian). A frame
# given as (text, count) announces that many file descriptors (the top bit
# of its size, then the count); none come with the fuzzer's bytes.

import os
import struct
import sys

from gi.repository import GLib


def frame(text):
    n_fds = None
    if isinstance(text, tuple):
        text, n_fds = text
    message = GLib.Variant.parse(None, text, None, None)
    boxed = GLib.Variant('v', message)
    data = boxed.get_data_as_bytes().get_data()
    if n_fds is not None:
        return struct.pack('<II', len(data) | 0x80000000, n_fds) + data
    return struct.pack('<I', len(data)) + data


seeds = {
    'call-add': ["((byte 2, uint64 1, uint64 0), ['add'], <[<int32 2>, <int32 3>]>)"],
    'get-set': ["((byte 3, uint64 1, uint64 0), ['value'], <()>)",
                "((byte 4, uint64 2, uint64 0), ['value'], <int32 7>)"],
    'path': ["((byte 3, uint64 1, uint64 0), ['child', 'value'], <()>)"],
    'values': ["((byte 2, uint64 1, uint64 0), ['echo-variant'], <[<(byte 2, <<{'a': 1}>>)>]>)",
               "((byte 2, uint64 2, uint64 0), ['echo-bytes'], <[<(byte 3, <b'abc'>)>]>)",
               "((byte 2, uint64 3, uint64 0), ['echo-enum'], <[<(byte 5, <('GFileType', 'directory')>)>]>)",
               "((byte 2, uint64 4, uint64 0), ['echo-strv'], <[<['a', 'b']>]>)",
               "((byte 2, uint64 5, uint64 0), ['echo-string'], <[<@ms nothing>]>)"],
    'objects': ["((byte 2, uint64 1, uint64 0), ['make-child'], <[<int32 3>]>)",
                "((byte 5, uint64 0, uint64 0), @as [], <[(uint64 1, uint32 1)]>)",
                "((byte 2, uint64 2, uint64 0), ['echo-object'], <[<(byte 8, <uint64 99>)>]>)"],
    'reply': ["((byte 7, uint64 1, uint64 0), @as [], <int32 5>)",
              "((byte 8, uint64 2, uint64 0), @as [], <('g-io-error-quark', 1, 'x')>)"],
    'cancel': ["((byte 2, uint64 1, uint64 0), ['hold'], <@av []>)",
               "((byte 6, uint64 1, uint64 0), @as [], <()>)"],
    'construct-subscribe': ["((byte 9, uint64 1, uint64 0), ['Counter'], <(['value'], [<int32 1>])>)",
                            "((byte 10, uint64 2, uint64 0), ['changed'], <()>)",
                            "((byte 2, uint64 3, uint64 0), ['emit-changed'], <[<int32 2>]>)",
                            "((byte 12, uint64 2, uint64 0), @as [], <()>)"],
    'fds': ["((byte 2, uint64 1, uint64 0), ['read-fds'], <[<(byte 12, <('GUnixFDList', [handle 0])>)>]>)",
            ("((byte 2, uint64 2, uint64 0), ['echo-bytes'], <[<(byte 13, <(uint64 4, handle 0)>)>]>)", 1)],
    'containers': ["((byte 2, uint64 1, uint64 0), ['echo-container'], <[<(byte 16, <[<int32 1>, <(byte 17, <{'k': <@ms 'v'>, 'o': <(byte 8, <uint64 7>)>}>)>]>)>]>)",
                   "((byte 2, uint64 2, uint64 0), ['echo-container'], <[<(byte 17, <{'a': <(byte 1, <()>)>, 'a': <(byte 15, <()>)>}>)>]>)",
                   ("((byte 2, uint64 3, uint64 0), ['echo-container'], <[<(byte 16, <[<(byte 12, <('GUnixFDList', [handle 0])>)>]>)>]>)", 1)],
    'describe': ["((byte 14, uint64 1, uint64 0), @as [], <()>)",
                 "((byte 14, uint64 2, uint64 0), ['child'], <()>)"],
    'endpoint-signal': ["((byte 13, uint64 1, uint64 0), @as [], <()>)",
                        "((byte 11, uint64 1, uint64 0), @as [], <@av []>)"],
}

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), 'corpus')
os.makedirs(out, exist_ok=True)
for name, messages in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        for text in messages:
            f.write(frame(text))
