// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The stack of an exception thrown by an exposed function reaches the
// caller: the rejected error keeps its type, domain and code, its `stack`
// goes on with the remote frames after "--- remote ---", and `remoteName`
// and `remoteStack` tell the class and the stack the peer sent. On the two
// ports of a channel in this script, and from a GJS subprocess worker
// (child.js).

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import ComlinkGI from 'gi://Comlink?version=1';
import * as Comlink from '../../introspection/comlink.js';
import {test, run, assert, assertEqual, assertRejects} from './harness.js';

const gjsPath = GLib.getenv('COMLINK_TEST_GJS') ?? 'gjs';
const childPath = GLib.build_filenamev([GLib.path_get_dirname(
    GLib.filename_from_uri(import.meta.url)[0]), 'child.js']);

const MARKER = '\n--- remote ---\n';

class ParseError extends Error {}

function throwFromHelper() {
    throw new TypeError('not a number');
}

const api = {
    failNested() {
        throwFromHelper();
    },
    failCustom() {
        throw new ParseError('unexpected token');
    },
    failGLibError() {
        throw new GLib.Error(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND, 'nothing here');
    },
    async failLater() {
        await null;
        throw new RangeError('out of range');
    },
    throwValue() {
        throw 'a string';
    },
    add: (a, b) => a + b,
};

function wrapChannel(obj) {
    const channel = new ComlinkGI.Channel();
    Comlink.expose(obj, channel.get_port1());
    return Comlink.wrap(channel.get_port2());
}

// The remote part of `e.stack` has the frame of `fn` in `file`
function hasRemoteFrame(e, fn, file) {
    assert(typeof e.stack === 'string' && e.stack.includes(MARKER), `no remote stack in ${e.stack}`);
    const remote = e.stack.slice(e.stack.indexOf(MARKER) + MARKER.length);
    assertEqual(remote, e.remoteStack, 'the remote part is remoteStack');
    assert(remote.split('\n').some(line => line.startsWith(`${fn}@`) && line.includes(file)),
        `no frame of ${fn} in ${file} in:\n${remote}`);
    // The module's own dispatch frames are left out
    assert(!/(^|\n)(serve|vfunc_invoke)@/.test(remote), `dispatch frames in:\n${remote}`);
}

test('channel: a JS error has the remote frames, and keeps its type, domain and code', async () => {
    const remote = wrapChannel(api);
    await assertRejects(remote.failNested(), e => {
        assert(e instanceof TypeError, `${e}`);
        assertEqual(e.message, 'not a number');
        assertEqual(e.domain, GLib.quark_from_string('comlink-js-error-quark'));
        assertEqual(e.code, 1);
        assertEqual(e.remoteName, 'TypeError');
        hasRemoteFrame(e, 'throwFromHelper', 'test-remote-stacks.js');
        hasRemoteFrame(e, 'failNested', 'test-remote-stacks.js');
        // The local part is where the promise was rejected
        assert(e.stack.indexOf(MARKER) > 0, 'the local stack comes first');
    });
    await assertRejects(remote.failLater(), e => {
        assert(e instanceof RangeError, `${e}`);
        assertEqual(e.remoteName, 'RangeError');
        hasRemoteFrame(e, 'failLater', 'test-remote-stacks.js');
    });
});

test('channel: the class of a subclass is its own name', async () => {
    const remote = wrapChannel(api);
    await assertRejects(remote.failCustom(), e => {
        assert(e instanceof Error, `${e}`);
        assertEqual(e.remoteName, 'ParseError');
        hasRemoteFrame(e, 'failCustom', 'test-remote-stacks.js');
    });
});

test('channel: a GLib.Error stays one, with its domain and code and the remote frames', async () => {
    const remote = wrapChannel(api);
    await assertRejects(remote.failGLibError(), e => {
        assert(e instanceof GLib.Error, `${e}`);
        assert(e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND), `${e.domain}/${e.code}`);
        assertEqual(e.message, 'nothing here');
        assertEqual(e.remoteName, 'GLib.Error');
        hasRemoteFrame(e, 'failGLibError', 'test-remote-stacks.js');
    });
});

test('channel: the library’s own errors and thrown values have no remote stack', async () => {
    const remote = wrapChannel(api);
    await assertRejects(remote.noSuchMethod(), e => {
        assert(e instanceof GLib.Error && e.matches(ComlinkGI.Error, ComlinkGI.Error.NO_SUCH_METHOD), `${e}`);
        assertEqual(e.remoteStack, undefined);
        assert(!String(e.stack).includes(MARKER), 'no remote part');
    });
    await assertRejects(remote.throwValue(), e => assertEqual(e, 'a string'));
    assertEqual(await remote.add(1, 2), 3);
});

test('subprocess: the child’s frames and file are in the stack', async () => {
    const worker = ComlinkGI.Worker.new_subprocess(null, [gjsPath, '-m', childPath]);
    const remote = Comlink.wrap(worker);
    try {
        await assertRejects(remote.failJS(), e => {
            assert(e instanceof TypeError, `${e}`);
            assertEqual(e.message, 'not a number');
            assertEqual(e.remoteName, 'TypeError');
            hasRemoteFrame(e, 'failJS', 'child.js');
        });
        await assertRejects(remote.failIO(), e => {
            assert(e instanceof GLib.Error, `${e}`);
            assert(e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND), `${e.domain}/${e.code}`);
            hasRemoteFrame(e, 'failIO', 'child.js');
        });
        await assertRejects(remote.brokenInternals(), e => {
            assert(e instanceof TypeError, `${e}`);
            hasRemoteFrame(e, 'brokenInternals', 'child.js');
        });
    } finally {
        worker.terminate();
    }
});

run();
