#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later

# A child of the subprocess worker tests, in Python: exposes a Calc to its
# parent and exits when the parent goes away.
#
#   add(a, b) -> a + b
#   ping()
#   hold()    keeps the request unanswered
#   value     a readable and writable int property

import sys

import gi

gi.require_version('GLib', '2.0')
gi.require_version('GObject', '2.0')
gi.require_version('Comlink', '1')
from gi.repository import Comlink, GLib, GObject  # noqa: E402

_ACTION = GObject.SignalFlags.RUN_LAST | GObject.SignalFlags.ACTION


class Calc(GObject.Object):
    __gtype_name__ = 'PyCalc'

    value = GObject.Property(type=int, default=0)

    @GObject.Signal(flags=_ACTION, return_type=int, arg_types=(int, int))
    def add(self, a, b):
        return a + b

    @GObject.Signal(flags=_ACTION)
    def ping(self):
        pass

    @GObject.Signal(flags=_ACTION, arg_types=(Comlink.Invocation,))
    def hold(self, invocation):
        self._held.append(invocation)

    def __init__(self):
        super().__init__()
        self._held = []


def main():
    calc = Calc()
    try:
        Comlink.Worker.serve_parent(calc)
    except GLib.GError as e:
        print(e.message, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
