// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The ES Proxy sugar on subprocess workers: a GJS child that exposes a
// plain object with Comlink.expose (child.js), and the C child of the C
// tests, which exposes a TestCalc (COMLINK_TEST_CHILD). Both this script
// and child.js import the module as installed code does, by the URI of
// its resource in the library.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import ComlinkGI from 'gi://Comlink?version=1';
import System from 'system';
import {test, run, assert, assertEqual, assertRejects, collectUntil, sleep} from './harness.js';

// The module is a resource of libcomlink-glib-1: GJS opens the library
// when a type of gi://Comlink is first used, then the module's URI
// imports it. The script waits for it in the main context (a blocking
// main loop must not run after a top-level `await import ()` in GJS 1.74)
void ComlinkGI.Worker.$gtype;
let Comlink, failure;
import('resource:///org/gnome/Comlink/js/comlink.js').then(m => (Comlink = m), e => (failure = e));
while (!Comlink && !failure)
    GLib.MainContext.default().iteration(true);
if (failure)
    throw failure;

const gjsPath = GLib.getenv('COMLINK_TEST_GJS') ?? 'gjs';
const childPath = GLib.build_filenamev([GLib.path_get_dirname(
    GLib.filename_from_uri(import.meta.url)[0]), 'child.js']);
const cChildPath = GLib.getenv('COMLINK_TEST_CHILD');

function startGjsWorker(...args) {
    return ComlinkGI.Worker.new_subprocess(null, [gjsPath, '-m', childPath, ...args]);
}

function startCWorker() {
    assert(cChildPath, 'COMLINK_TEST_CHILD is set');
    return ComlinkGI.Worker.new_subprocess(null, [cChildPath]);
}

function isComlinkError(code) {
    return e => {
        assert(e instanceof GLib.Error, `not a GLib.Error: ${e}`);
        assert(e.matches(ComlinkGI.Error, code), `expected Comlink error ${code}, got ${e.domain}/${e.code}: ${e.message}`);
    };
}

function isCancelled(e) {
    assert(e instanceof GLib.Error && e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED), `${e}`);
}

async function waitForExit(worker) {
    assert(await collectUntil(() => worker.get_subprocess() === null ||
        worker.get_subprocess().get_identifier() === null), 'the child was reaped');
}

// Probes that tell whether GObjects were finalized, without holding them
// (GJS 1.74's WeakRef keeps its target alive)
function probe(object) {
    const group = new GObject.SignalGroup({target_type: object.constructor.$gtype});
    group.set_target(object);
    return group;
}

// Collects garbage and asks the worker until its answer satisfies `check`
async function pollRemote(ask, check, timeoutMs = 5000) {
    const end = GLib.get_monotonic_time() + timeoutMs * 1000;
    while (GLib.get_monotonic_time() < end) {
        System.gc();
        await sleep(10);
        if (check(await ask()))
            return true;
    }
    return false;
}

// --- the GJS child ---

test('GJS child: calls, properties, paths, construct', async () => {
    const worker = startGjsWorker();
    // Named after the module that gjs -m runs, not after gjs
    assertEqual(worker.name, 'child.js');
    const api = Comlink.wrap(worker);
    assertEqual(await api.add(2, 3), 5);
    assert(await api.pid() !== new Gio.Credentials().get_unix_pid(), 'the object lives in another process');
    const echoed = await api.echo({list: [1, 'a', null], bytes: new Uint8Array([3])});
    assertEqual(echoed.list, [1, 'a', null]);
    assert(echoed.bytes instanceof Uint8Array && echoed.bytes.length === 1 && echoed.bytes[0] === 3,
        'bytes inside an object come back as a Uint8Array');
    api.counter = 12;
    assertEqual(await api.counter, 12);
    assertEqual(await api.nested.deep.answer(), 42);
    const counter = await new api.Counter(41);
    assertEqual(await counter.increment(), 42);
    await assertRejects(new api(), isComlinkError(ComlinkGI.Error.NOT_CONSTRUCTIBLE),
        'the root is not a class');
    worker.terminate();
});

// In a function of its own, so that no local variable keeps the instance
async function constructAndDrop(api) {
    const tally = await new api(10, 5);
    assertEqual(await tally.add(), 15);
    assertEqual(await tally.count, 15);
}

test('GJS child: a class exposed as the root, constructed with `new api ()`', async () => {
    const worker = startGjsWorker('class');
    const api = Comlink.wrap(worker);
    assertEqual(await api.describe(), 'a tally', 'a static method');
    const kept = await new api(7);
    assertEqual(await kept.add(), 8);
    assertEqual(await kept.step, 1);
    await constructAndDrop(api);
    assert(await pollRemote(() => api.released, released => released.includes(10)),
        'the child ran the dropped instance’s finalizer');
    assertEqual(await api.released, [10], 'the instance still held is not released');
    kept[Comlink.releaseProxy]();
    assert(await pollRemote(() => api.released, released => released.includes(7)),
        'the child ran the released instance’s finalizer');
    assertEqual(worker.get_connection().n_proxies, 2, 'the root proxy and its “constructor” child are left');
    worker.terminate();
});

test('GJS child: errors, and exceptions inside exposed methods', async () => {
    const worker = startGjsWorker();
    const api = Comlink.wrap(worker);
    await assertRejects(api.failIO(), e => {
        assert(e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND), `${e}`);
        assertEqual(e.message, 'no such thing');
    });
    await assertRejects(api.failJS(), e => {
        assert(e instanceof TypeError, `${e}`);
        assertEqual(e.message, 'not a number');
    });
    await assertRejects(api.brokenInternals(), e => assert(e instanceof TypeError, `${e}`));
    await assertRejects(api.throwValue(), e => assertEqual(e, {reason: 'a plain object'}));
    await assertRejects(api.missing(), isComlinkError(ComlinkGI.Error.NO_SUCH_METHOD));
    assertEqual(await api.add(1, 1), 2, 'the child is still there');
    assertEqual(worker.state, ComlinkGI.WorkerState.RUNNING);
    worker.terminate();
});

test('GJS child: callbacks, remote signals, cancellation', async () => {
    const worker = startGjsWorker();
    const api = Comlink.wrap(worker);
    const progress = [];
    assertEqual(await api.process(4, Comlink.proxy(p => progress.push(p))), 'processed');
    assertEqual(progress, [25, 50, 75, 100]);

    const emitter = await api.makeEmitter();
    const seen = [];
    await emitter[Comlink.subscribe]('changed', i => seen.push(i));
    await emitter.fire(3);
    assert(await collectUntil(() => seen.length === 3), `emissions: ${seen}`);
    assertEqual(seen, [0, 1, 2]);

    const cancellable = new Gio.Cancellable();
    const call = api.waitForCancel(Comlink.callOptions({cancellable}));
    await sleep(50);
    cancellable.cancel();
    await assertRejects(call, isCancelled);
    assert(await pollRemote(() => api.cancelledCalls, n => n === 1),
        'the invocation’s cancellable fired in the child');
    worker.terminate();
});

test('GJS child: a dropped ES Proxy is released in the child', async () => {
    const worker = startGjsWorker();
    const api = Comlink.wrap(worker);
    let handle = await api.makeHandle();
    assertEqual(await handle.ping(), 'pong');
    assertEqual(await api.releasedHandles, 0);
    const connection = worker.get_connection();
    assertEqual(connection.n_proxies, 2);
    handle = null;
    assert(await pollRemote(() => api.releasedHandles, n => n === 1),
        'the child ran the handle’s finalizer');
    assertEqual(connection.n_proxies, 1, 'only the root proxy is left');
    worker.terminate();
});

async function terminateMidCall(api, worker, pending) {
    await sleep(50);
    assertEqual(worker.state, ComlinkGI.WorkerState.RUNNING);
    worker.terminate();
    assertEqual(worker.state, ComlinkGI.WorkerState.TERMINATED);
    await assertRejects(pending, isComlinkError(ComlinkGI.Error.TERMINATED));
    await assertRejects(api.add(1, 2), isComlinkError(ComlinkGI.Error.TERMINATED));
}

test('GJS child: terminate mid-call rejects with TERMINATED, proxies are reclaimed', async () => {
    const worker = startGjsWorker();
    const api = Comlink.wrap(worker);
    let handles = [await api.makeHandle(), await api.makeHandle(), await new api.Counter(1)];
    for (const h of handles.slice(0, 2))
        decorate(Comlink.unwrap(h));
    const probes = handles.map(h => probe(Comlink.unwrap(h)));
    const slow = api.process(1000, Comlink.proxy(() => {}));
    await terminateMidCall(api, worker, slow);
    assertEqual(worker.get_connection().n_proxies, 0);
    handles = null;
    assert(await collectUntil(() => probes.every(p => p.dup_target() === null)),
        'every proxy the script dropped was finalized');
    await waitForExit(worker);
});

// Signal handlers and JS properties: GJS then holds the proxy with a
// toggle reference
function decorate(gproxy) {
    gproxy.connect('notify', () => {});
    gproxy.label = 'decorated';
}

// --- the C child ---

test('C child: calls, values, properties, construct', async () => {
    const worker = startCWorker();
    const api = Comlink.wrap(worker);
    assertEqual(await api.add(40, 2), 42);
    assertEqual(await api.scale(1.5, 4), 6);
    assertEqual(await api.echo_string('hello'), 'hello');
    assertEqual(await api.echo_string(null), null);
    assertEqual(await api.repeat('ab', 3), 'ababab');
    assertEqual([...await api.echo_bytes(new Uint8Array([1, 2, 3]))], [1, 2, 3]);
    assertEqual(await api.bytes_size(new Uint8Array(1000)), 1000);
    assertEqual(await api.echo_variant({a: 1, b: ['x', true]}), {a: 1, b: ['x', true]});
    assertEqual(await api.echo_int64(2 ** 40), 2 ** 40);
    assertEqual(await api.echo_boolean(true), true);
    api.value = 7;
    assertEqual(await api.value, 7);
    api.name = 'calc';
    assertEqual(await api.name, 'calc');
    const child = await api.make_child(5);
    assertEqual(await child.value, 5);
    assertEqual(await child.add(1, 2), 3);
    const counter = await new api.Counter();
    assertEqual(await counter.increment(), 1);
    // The TestCalc registers no type under the name "constructor"
    await assertRejects(new api(), isComlinkError(ComlinkGI.Error.NOT_CONSTRUCTIBLE));
    await assertRejects(api.add('x', 1), isComlinkError(ComlinkGI.Error.TYPE_MISMATCH));
    await assertRejects(api.add(1), isComlinkError(ComlinkGI.Error.INVALID_ARGUMENTS));
    worker.terminate();
});

test('C child: errors keep domain and code', async () => {
    const worker = startCWorker();
    const api = Comlink.wrap(worker);
    await assertRejects(api.fail(Gio.IOErrorEnum.PERMISSION_DENIED), e => {
        assert(e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.PERMISSION_DENIED), `${e}`);
        assertEqual(e.message, `failed with ${Gio.IOErrorEnum.PERMISSION_DENIED}`);
    });
    await assertRejects(api.fail(-3), e => {
        assert(e.matches(ComlinkGI.Error, ComlinkGI.Error.REMOTE), `${e}`);
        assert(e.message.includes('test-calc-private-error-domain'), e.message);
    });
    await assertRejects(api.read_only_missing(), isComlinkError(ComlinkGI.Error.NO_SUCH_METHOD));
    worker.terminate();
});

test('C child: callbacks, remote signals, cancellation', async () => {
    const worker = startCWorker();
    const api = Comlink.wrap(worker);
    const ticks = [];
    await api.call_back(Comlink.proxy((i, s) => ticks.push(`${s}${i}`)), 3);
    assert(await collectUntil(() => ticks.length === 3), `ticks: ${ticks}`);
    assertEqual(ticks, ['tick0', 'tick1', 'tick2']);

    const changes = [];
    const id = await api[Comlink.subscribe]('changed', i => changes.push(i));
    await api.emit_changed(4);
    assert(await collectUntil(() => changes.length === 4), `changes: ${changes}`);
    assertEqual(changes, [0, 1, 2, 3]);
    api[Comlink.unsubscribe](id);

    // 64-bit signal arguments arrive exactly: a BigInt past 2^53
    const big = [];
    const bigId = await api[Comlink.subscribe]('big', (x, t) => big.push([x, t]));
    await api.emit_big();
    assert(await collectUntil(() => big.length === 2), `big: ${big.length}`);
    assertEqual(big, [[2n ** 63n - 1n, 2n ** 64n - 1n], [-5, 7]]);
    assertEqual(typeof big[1][0], 'number', 'a safe integer is a number');
    api[Comlink.unsubscribe](bigId);

    const cancellable = new Gio.Cancellable();
    const held = api.hold(Comlink.callOptions({cancellable}));
    await sleep(20);
    cancellable.cancel();
    await assertRejects(held, isCancelled);
    assertEqual(await api.add(1, 2), 3);
    worker.terminate();
});

test('C child: terminate mid-call rejects with TERMINATED, proxies are reclaimed', async () => {
    const worker = startCWorker();
    const api = Comlink.wrap(worker);
    let children = [await api.make_child(1), await api.make_child(2)];
    decorate(Comlink.unwrap(children[0]));
    const probes = children.map(c => probe(Comlink.unwrap(c)));
    assertEqual(worker.get_connection().n_proxies, 3);
    await terminateMidCall(api, worker, api.hold());
    children = null;
    assert(await collectUntil(() => probes.every(p => p.dup_target() === null)),
        'every proxy the script dropped was finalized');
    assertEqual(worker.get_connection().n_proxies, 0);
    await waitForExit(worker);
});

test('after terminate, a worker dropped by the script goes away with its proxies', async () => {
    const probes = await (async () => {
        const worker = startCWorker();
        const api = Comlink.wrap(worker);
        assertEqual(await api.add(1, 1), 2);
        const child = await api.make_child(3);
        const result = [probe(worker), probe(Comlink.unwrap(api)), probe(Comlink.unwrap(child)),
            probe(Comlink.unwrap(api.child))];
        worker.terminate();
        return result;
    })();
    assert(await collectUntil(() => probes.every(p => p.dup_target() === null)),
        'the worker and its proxy were finalized');
});

run({timeoutSeconds: 100});
