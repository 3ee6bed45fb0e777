// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Endpoints across processes, as Comlink users write them: a new endpoint
// asked of a subprocess worker (`api[Comlink.createEndpoint]()`), and an
// endpoint given to a subprocess worker as an argument.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import ComlinkGI from 'gi://Comlink?version=1';
import * as Comlink from '../../introspection/comlink.js';
import {test, run, assert, assertEqual, collectUntil} from './harness.js';

const gjsPath = GLib.getenv('COMLINK_TEST_GJS') ?? 'gjs';
const childPath = GLib.build_filenamev([GLib.path_get_dirname(
    GLib.filename_from_uri(import.meta.url)[0]), 'child.js']);
const cChildPath = GLib.getenv('COMLINK_TEST_CHILD');

async function reaped(worker) {
    assert(await collectUntil(() => worker.get_subprocess() === null ||
        worker.get_subprocess().get_identifier() === null), 'the child was reaped');
}

test('createEndpoint on a GJS child gives a socket to the same object', async () => {
    const worker = ComlinkGI.Worker.new_subprocess(null, [gjsPath, '-m', childPath]);
    const api = Comlink.wrap(worker);
    const endpoint = await api[Comlink.createEndpoint]();
    assert(endpoint instanceof ComlinkGI.StreamEndpoint, `a stream endpoint, not ${endpoint}`);
    const second = Comlink.wrap(endpoint);
    assertEqual(await second.add(4, 5), 9);
    second.counter = 41;
    assertEqual(await second.counter, 41);
    assertEqual(await api.counter, 41, 'both reach the same object');
    second[Comlink.releaseProxy]();
    assert(await collectUntil(() => endpoint.is_closed()), 'releasing the proxy closes its endpoint');
    assertEqual(await api.add(1, 2), 3, 'the first endpoint goes on');
    worker.terminate();
    await reaped(worker);
});

test('a call through a new endpoint fails when the child is terminated', async () => {
    const worker = ComlinkGI.Worker.new_subprocess(null, [cChildPath]);
    const api = Comlink.wrap(worker);
    const second = Comlink.wrap(await api[Comlink.createEndpoint]());
    assertEqual(await second.add(20, 22), 42);
    const held = second.hold();
    worker.terminate();
    let failed = null;
    try {
        await held;
    } catch (e) {
        failed = e;
    }
    assert(failed instanceof GLib.Error, `the call failed with a GLib.Error: ${failed}`);
    assert(failed.matches(ComlinkGI.Error, ComlinkGI.Error.CLOSED) ||
           failed.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CONNECTION_CLOSED),
    `the peer went: ${failed.message}`);
    await reaped(worker);
});

test('an endpoint given to a child reaches the object exposed here', async () => {
    const worker = ComlinkGI.Worker.new_subprocess(null, [cChildPath]);
    const api = Comlink.wrap(worker);
    const channel = new ComlinkGI.Channel();
    const local = {add: (a, b) => a + b + 1000};
    Comlink.expose(local, channel.get_port1());
    // The C child wraps it, calls add, and drops its proxy
    assertEqual(await api.add_through(channel.get_port2(), 20, 22), 1042);
    assert(await collectUntil(() => channel.get_port1().is_closed()),
        'the child closed its side, and the bridge this one');
    worker.terminate();
    await reaped(worker);
});

run({timeoutSeconds: 100});
