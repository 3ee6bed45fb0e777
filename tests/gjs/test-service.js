// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Services from GJS: Comlink.connect () to a service in another process,
// a session of its own for each connection, Comlink.disconnect (), an
// address nobody listens on, and the service killed in the middle of a
// call.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import ComlinkGI from 'gi://Comlink?version=1';
import * as Comlink from '../../introspection/comlink.js';
import {test, run, assert, assertEqual, assertRejects} from './harness.js';

const servicePeer = GLib.getenv('COMLINK_TEST_SERVICE_PEER');

function readLine(stream) {
    return new Promise((resolve, reject) => {
        stream.read_line_async(GLib.PRIORITY_DEFAULT, null, (source, res) => {
            try {
                resolve(source.read_line_finish_utf8(res)[0]);
            } catch (e) {
                reject(e);
            }
        });
    });
}

// A service-peer serving a TestCalc per client
async function startService(name) {
    const address = `unix:abstract=comlink-test-gjs-${name}-${new Date().getTime()}`;
    const subprocess = Gio.Subprocess.new([servicePeer, 'serve', address], Gio.SubprocessFlags.STDOUT_PIPE);
    const output = new Gio.DataInputStream({base_stream: subprocess.get_stdout_pipe()});
    assertEqual(await readLine(output), address, 'the service prints its address');
    assertEqual(await readLine(output), 'listening');
    return {address, subprocess};
}

function isError(e, domain, code) {
    return e instanceof GLib.Error && e.matches(domain, code);
}

test('connect: a session of its own for each connection, and disconnect', async () => {
    const {address, subprocess} = await startService('connect');
    try {
        await connectTwice(address);
    } finally {
        subprocess.force_exit();
    }
});

async function connectTwice(address) {
    const first = await Comlink.connect(address);
    const second = await Comlink.connect(address, {client: ComlinkGI.Client.new()});
    assertEqual(await first.add(40, 2), 42);

    first.value = 7;
    second.value = 9;
    assertEqual(await first.value, 7);
    assertEqual(await second.value, 9);

    Comlink.disconnect(first);
    await assertRejects(first.add(1, 1), e => assert(isError(e, ComlinkGI.Error, ComlinkGI.Error.CLOSED),
        `a call after disconnect: ${e}`));
    assertEqual(await second.add(1, 1), 2);
    Comlink.disconnect(second);
}

test('an address nobody listens on, and one that is not an address', async () => {
    await assertRejects(Comlink.connect(`unix:abstract=comlink-test-gjs-nobody-${new Date().getTime()}`),
        e => assert(isError(e, Gio.IOErrorEnum, Gio.IOErrorEnum.CONNECTION_REFUSED) && e.message.includes('nobody'),
            `nobody listening: ${e}`));
    await assertRejects(Comlink.connect('unix:'),
        e => assert(isError(e, Gio.IOErrorEnum, Gio.IOErrorEnum.INVALID_ARGUMENT), `not an address: ${e}`));
});

test('the service killed in the middle of a call', async () => {
    const {address, subprocess} = await startService('killed');
    const api = await Comlink.connect(address);
    const held = api.hold();
    assertEqual(await api.add(1, 1), 2); // the hold arrived
    subprocess.force_exit();
    await assertRejects(held, e => assert(isError(e, ComlinkGI.Error, ComlinkGI.Error.CLOSED),
        `the pending call: ${e}`));
});

run();
