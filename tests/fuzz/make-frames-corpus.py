#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Writes the seed corpus of fuzz-frames. Its input is not a stream but the
# choices of a generator of frames (fuzz-frames.c), taken one byte at a
# time in this order:
#   damage mode (0 flips a byte, 1 cuts the stream, others leave it),
#   damage position (4 bytes), flip mask;
# then for each message: kind - 1, id (0: fresh), target (0: the root),
# path (0: one element for a request, none otherwise; each element 1 then
# the index of a member of the served object), then the body.
# Bytes past the end of the input are zeros: the most ordinary choices.

import os
import random
import sys

INTACT = [2, 0, 0, 0, 0, 0]

# Indices of fuzz_target_member_names
VALUE, CHILD, ADD, ECHO, ECHO_OBJECT, MAKE_CHILD, LATER, CHANGED = range(8)
COUNTER = 9

# Kinds, minus one
HELLO, CALL, GET, SET, RELEASE, CANCEL, REPLY, ERROR, CONSTRUCT, \
    SUBSCRIBE, SIGNAL, UNSUBSCRIBE, ENDPOINT = range(13)

# Choices of a value: 3 is an int32 (4 bytes follow), 9 + tag a tagged value
INT = 3


def call(member, *values):
    return [CALL, 0, 0, 0, 1, member, len(values)] + [b for v in values for b in v]


def int32(n):
    return [INT] + list(n.to_bytes(4, 'big'))


seeds = {
    'call-add': INTACT + call(ADD, int32(2), int32(3)),
    'get-set': INTACT + [GET, 0, 0, 0, 1, VALUE] + [SET, 0, 0, 0, 1, VALUE] + int32(7),
    'path': INTACT + [GET, 0, 0, 1, 1, CHILD, 1, VALUE],
    # id 1 is the call of the served side that waits for a reply
    'reply': INTACT + [REPLY, 3, 0, 0, 0] + int32(5),
    'error': INTACT + [ERROR, 3, 0, 0, 0, 1, 0, 5, 1, 1],
    'objects': INTACT + call(MAKE_CHILD) + [RELEASE, 7, 0, 0, 1, 1, 1, 4, 0]
    + call(ECHO_OBJECT, [9 + 8, 0]),
    'construct': INTACT + [CONSTRUCT, 0, 0, 0, 1, COUNTER, 1] + int32(1) + [1, 1],
    'subscribe': INTACT + [SUBSCRIBE, 0, 0, 0, 1, CHANGED] + call(LATER)
    + [CANCEL, 4, 1, 0, 0] + [UNSUBSCRIBE, 4, 0, 0, 0],
    'endpoint-signal': INTACT + [ENDPOINT, 0, 0, 0] + [SIGNAL, 3, 0, 0, 0, 1] + int32(1),
    'hello-again': INTACT + [HELLO, 7, 0, 0, 1],
    'flip': [0, 0, 0, 0, 9, 0x40] + call(ADD, int32(2), int32(3)),
    'cut': [1, 0, 0, 0, 20, 0] + call(ADD, int32(2), int32(3)),
}

# One value of each tag, the argument of echo
for tag in range(1, 14):
    seeds['tag-%02d' % tag] = INTACT + call(ECHO, [9 + tag])

# Sessions of many messages, whatever the bytes choose
rng = random.Random(9)
for i in range(6):
    seeds['random-%d' % i] = INTACT + [rng.randrange(256) for _ in range(rng.randrange(64, 512))]

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), 'frames-corpus')
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(bytes(data))
