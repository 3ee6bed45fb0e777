// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Worker pools through the ES Proxy sugar: `Comlink.wrap(pool)` calls the
// object its workers expose, as `Comlink.wrap(worker)` calls one worker's.
// A pool of the C child of the C tests (a TestCalc in each) and a pool of
// GJS children (child.js). A pool of thread workers has no GJS form: its
// setup function runs in the workers' threads, where JavaScript cannot.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import ComlinkGI from 'gi://Comlink?version=1';
import {test, run, assert, assertEqual, assertRejects, collectUntil, sleep} from './harness.js';

// The module is a resource of libcomlink-glib-1 (see test-workers.js)
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

function isComlinkError(code) {
    return e => {
        assert(e instanceof GLib.Error, `not a GLib.Error: ${e}`);
        assert(e.matches(ComlinkGI.Error, code), `expected Comlink error ${code}, got ${e.domain}/${e.code}: ${e.message}`);
    };
}

function isCancelled(e) {
    assert(e instanceof GLib.Error && e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED), `${e}`);
}

function counts(values) {
    const result = new Map();
    for (const v of values)
        result.set(v, (result.get(v) ?? 0) + 1);
    return [...result.values()].sort();
}

async function allReaped(children) {
    return collectUntil(() => children.every(c => c.get_identifier() === null));
}

test('a pool of C children: least busy, queue, cancel, terminate', async () => {
    assert(cChildPath, 'COMLINK_TEST_CHILD is set');
    const pool = ComlinkGI.WorkerPool.new_subprocess(null, [cChildPath], 2);
    const children = pool.dup_workers().map(w => w.get_subprocess());
    const api = Comlink.wrap(pool);
    assertEqual(await api.add(2, 3), 5);
    assertEqual(await api.echo_int64(2n ** 60n), 2n ** 60n, 'a 64-bit integer, exactly');

    // 4 calls of the same length on 2 workers: 2 each, 2 queued at first
    const calls = [1, 2, 3, 4].map(() => api.sleep(100));
    assertEqual(pool.n_busy, 2);
    assertEqual(pool.n_queued, 2);
    const served = await Promise.all(calls);
    assertEqual(counts(served), [2, 2]);

    await assertRejects(api.no_such_method(), isComlinkError(ComlinkGI.Error.NO_SUCH_METHOD));

    // With both workers busy, a queued call that is cancelled fails at
    // once, and one that times out fails when its time is up
    const holds = [api.hold(), api.hold()];
    const cancellable = new Gio.Cancellable();
    const queued = api.whoami(Comlink.callOptions({cancellable}));
    assertEqual(pool.n_queued, 1);
    cancellable.cancel();
    await assertRejects(queued, isCancelled);
    assertEqual(pool.n_queued, 0);
    await assertRejects(api.add(1, 1, Comlink.callOptions({timeout: 50})),
        e => assert(e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.TIMED_OUT), `${e}`));

    // Terminate settles the running calls and the queued ones
    const waiting = api.whoami();
    await sleep(20);
    pool.terminate();
    assertEqual(pool.state, ComlinkGI.WorkerPoolState.TERMINATED);
    for (const call of [...holds, waiting])
        await assertRejects(call, isComlinkError(ComlinkGI.Error.TERMINATED));
    await assertRejects(api.add(1, 1), isComlinkError(ComlinkGI.Error.TERMINATED));
    assert(await allReaped(children), 'the children were reaped');
});

test('a pool of GJS children: round robin, remote stacks, a child that dies', async () => {
    const pool = ComlinkGI.WorkerPool.new_subprocess(null, [gjsPath, '-m', childPath], 2);
    const exited = [];
    pool.connect('worker-exited', (_pool, worker, error) => exited.push([worker, error]));
    const children = pool.dup_workers().map(w => w.get_subprocess());
    const api = Comlink.wrap(pool);
    assertEqual(typeof api.then, 'undefined', 'the ES Proxy is not a thenable');

    // One call after the other: round robin
    const pids = [];
    for (let i = 0; i < 4; i++)
        pids.push(await api.pid());
    assertEqual(new Set(pids).size, 2);
    assertEqual(pids.slice(0, 2), pids.slice(2));
    assertEqual(await api.echo({list: [1, 'a', null]}), {list: [1, 'a', null]});

    await assertRejects(api.failJS(), e => {
        assert(e instanceof TypeError, `${e}`);
        assert(typeof e.remoteStack === 'string' && e.remoteStack.includes('failJS'),
            `the child's stack: ${e.remoteStack}`);
    });
    let threw = false;
    try {
        api.counter = 1;
    } catch (e) {
        threw = e instanceof TypeError;
    }
    assert(threw, 'a pool has no properties to set');

    // Children killed while one runs a call: the call fails, other
    // children take their places
    const never = api.never();
    await sleep(50);
    assertEqual(pool.n_busy, 1);
    for (const worker of pool.dup_workers())
        worker.get_subprocess().force_exit();
    await assertRejects(never, isComlinkError(ComlinkGI.Error.WORKER_EXITED));
    assert(await collectUntil(() => exited.length === 2), 'worker-exited was emitted for each');
    for (const [worker, error] of exited) {
        assertEqual(worker.state, ComlinkGI.WorkerState.EXITED);
        assert(error.matches(ComlinkGI.Error, ComlinkGI.Error.WORKER_EXITED), `${error}`);
    }
    assertEqual(pool.dup_workers().length, 2);
    children.push(...pool.dup_workers().map(w => w.get_subprocess()));
    const newPids = new Set([await api.pid(), await api.pid()]);
    assertEqual(newPids.size, 2);
    assertEqual(await api.add(20, 22), 42);

    pool.terminate();
    assert(await allReaped(children), 'the children were reaped');
});

run({timeoutSeconds: 100});
