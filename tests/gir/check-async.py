#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Checks the shape of every asynchronous function in Comlink-1.gir, the
# shape that PyGObject and GJS (Gio._promisify) recognise: a void _async
# with one GCancellable and one GAsyncReadyCallback of scope async followed
# by its user data, and a throwing _finish named after it that takes the
# GAsyncResult and returns the value directly. Functions that are not
# introspectable (the C-only varargs forms) are not checked: the bindings
# never see them. Prints TAP.

import sys
import xml.etree.ElementTree as ET

NS = {'c': 'http://www.gtk.org/introspection/core/1.0',
      'cc': 'http://www.gtk.org/introspection/c/1.0'}
C_ID = '{http://www.gtk.org/introspection/c/1.0}identifier'

tree = ET.parse(sys.argv[1])
ns = tree.getroot().find('c:namespace', NS)

functions = {}
for owner in [ns] + ns.findall('c:class', NS) + ns.findall('c:interface', NS):
    for kind in ('c:method', 'c:function', 'c:constructor'):
        for f in owner.findall(kind, NS):
            functions[f.get(C_ID)] = f


def params(f):
    ps = f.find('c:parameters', NS)
    return [] if ps is None else ps.findall('c:parameter', NS)


def type_name(p):
    t = p.find('c:type', NS)
    return t.get('name') if t is not None else None


failures = []
checked = 0
for ident, f in sorted(functions.items()):
    if not ident.endswith('_async') or f.get('introspectable') == '0':
        continue
    checked += 1
    problems = []
    ret = f.find('c:return-value/c:type', NS)
    if ret is None or ret.get('name') != 'none':
        problems.append('does not return void')
    ps = params(f)
    cancellables = [p for p in ps if type_name(p) == 'Gio.Cancellable']
    callbacks = [p for p in ps if type_name(p) == 'Gio.AsyncReadyCallback']
    if len(cancellables) != 1 or cancellables[0].get('nullable') != '1':
        problems.append('needs one nullable GCancellable')
    if len(callbacks) != 1:
        problems.append('needs one GAsyncReadyCallback')
    else:
        cb = callbacks[0]
        if cb.get('scope') != 'async':
            problems.append('callback is not (scope async)')
        if cb.get('closure') is None:
            problems.append('callback has no user data')
        if ps.index(cb) != len(ps) - 2:
            problems.append('callback and user data are not last')
    finish = functions.get(ident[:-len('_async')] + '_finish')
    if finish is None:
        problems.append('has no _finish')
    else:
        if finish.get('throws') != '1':
            problems.append('_finish does not throw')
        fps = params(finish)
        if len(fps) != 1 or type_name(fps[0]) != 'Gio.AsyncResult':
            problems.append('_finish takes more than its GAsyncResult')
    if problems:
        failures.append(ident)
        print('not ok %d %s: %s' % (checked, ident, '; '.join(problems)))
    else:
        print('ok %d %s' % (checked, ident))

if checked == 0:
    print('not ok 1 no asynchronous function found')
    checked = 1
    failures.append('none')
print('1..%d' % checked)
sys.exit(1 if failures else 0)
