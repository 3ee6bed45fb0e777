#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A client of the notes service, in Python.

    notes-client.py TARGET [TEXT]

TARGET is the service's address (unix:path=..., unix:abstract=..., tcp:...)
or bus:NAME for a service on the session bus. Adds TEXT as a note, if
given, and prints every note."""

import sys

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Comlink', '1')
from gi.repository import Comlink, GLib  # noqa: E402


def main(argv):
    if len(argv) not in (2, 3):
        print('usage: notes-client.py TARGET [TEXT]', file=sys.stderr)
        return 2

    try:
        if argv[1].startswith('bus:'):
            notes = Comlink.connect_bus(argv[1][len('bus:'):])
        else:
            notes = Comlink.connect(argv[1])
    except GLib.Error as e:
        print('notes-client.py: %s' % e.message, file=sys.stderr)
        return 1

    if len(argv) == 3:
        notes.add(argv[2])
    for i, note in enumerate(notes.list(), 1):
        print('%d. %s' % (i, note))

    # Disconnecting drops this client's session in the service
    Comlink.disconnect(notes)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
