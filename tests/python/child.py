#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A subprocess worker of the Python tests: exposes a Calc GObject
(``child.py gobject``) or a plain Service object (``child.py plain``) to
its parent with Comlink.expose and serves it until the parent goes away.
``child.py restricted`` exposes the Service with an allow list,
``child.py nulls`` a Nulls GObject."""

import os
import sys

from objects import Calc, Comlink, GLib, Nulls, Service


class ChildService(Service):
    def pid(self):
        return os.getpid()

    def crash(self, status):
        os._exit(status)

    def released_things(self):
        return sum(1 for released in self.things if released.is_set())

    def _double(self, n):
        return 2 * n

    def too_big(self):
        return 2**64

    # References inside lists, tuples and dicts (test_nested_references.py)
    def call_in(self, options):
        return options['callback'](options['value'])

    def make_things_in(self):
        return [self.make_thing('first'), {'thing': self.make_thing('second'), 'n': 2**40}]

    def read_stream_in(self, options):
        return options['stream'].read_bytes(options['length'], None).get_data().decode()

#: What the parent may reach of ``child.py restricted``
RESTRICTED_ALLOW = ['add', 'echo', '_secret', 'make_thing', 'name', 'Counter', 'inc', 'too_big']


def main():
    if sys.argv[1:] == ['nulls']:
        obj = Nulls()
    else:
        obj = Calc() if sys.argv[1:] == ['gobject'] else ChildService()
    allow = RESTRICTED_ALLOW if sys.argv[1:] == ['restricted'] else None
    try:
        Comlink.expose(obj, allow=allow)
    except GLib.Error as e:
        print(e.message, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
