// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The story comlink-glib exists for, in GJS.
//
// A processor object lives in a worker: this same script, started again
// as a subprocess with --child, exposes it with Comlink.expose. The
// application calls its slow process() method with a progress callback
// and terminates the worker in the middle of the work. The call fails at
// once with TERMINATED, the child is reaped, and nothing stays in memory:
// the connection counts no live proxy, and the proxies the script dropped
// are finalized. With Comlink, the call would stay pending forever.
//
//   gjs -m examples/seed-story.js
//
// The module is imported as everywhere, installed or not: by the URI of
// its resource in libcomlink-glib-1.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import ComlinkGI from 'gi://Comlink?version=1';
import System from 'system';

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

function sleep(ms) {
    return new Promise(resolve => GLib.timeout_add(GLib.PRIORITY_DEFAULT, ms, () => {
        resolve();
        return GLib.SOURCE_REMOVE;
    }));
}

// --- the worker's side ---

function serveProcessor() {
    Comlink.expose({
        async process(nSteps, onProgress) {
            for (let step = 1; step <= nSteps; step++) {
                await sleep(20); // the work
                await onProgress(Math.round(step * 100 / nSteps));
            }
            return 'done';
        },
    });
}

// --- the application's side ---

// The example checks its own story; a failed check ends it with an error
function check(condition, what) {
    if (!condition)
        throw new Error(`the story did not hold: ${what}`);
}

// A GSignalGroup holds its target weakly: it tells whether an object was
// finalized (GJS 1.74's WeakRef would keep the object alive)
function watch(object) {
    const group = new GObject.SignalGroup({target_type: object.constructor.$gtype});
    group.set_target(object);
    return group;
}

async function story() {
    const scriptPath = GLib.filename_from_uri(import.meta.url)[0];
    const gjs = GLib.getenv('COMLINK_EXAMPLE_GJS') ?? 'gjs';
    let worker = ComlinkGI.Worker.new_subprocess(null, [gjs, '-m', scriptPath, '--child']);
    let processor = Comlink.wrap(worker);
    const watched = [watch(worker), watch(Comlink.unwrap(processor))];

    let call = null;
    const halfway = new Promise(resolve => {
        call = processor.process(100, Comlink.proxy(percent => {
            print(`app: progress ${percent}%`);
            if (percent >= 30)
                resolve();
        }));
    });
    await halfway;

    print('app: terminating the worker in the middle of the work');
    worker.terminate();
    print(`app: terminate returned; worker state is ${
        GObject.enum_to_string(ComlinkGI.WorkerState, worker.state)}`);

    const error = await call.then(() => null, e => e);
    check(error instanceof GLib.Error && error.matches(ComlinkGI.Error, ComlinkGI.Error.TERMINATED),
        `the call failed with TERMINATED, not ${error}`);
    print(`app: the call failed: ${error.message}`);

    const connection = worker.get_connection();
    print(`app: live proxies on the connection: ${connection.n_proxies}`);
    check(connection.n_proxies === 0, 'no proxy is left on the connection');

    for (let i = 0; i < 500 && worker.get_subprocess()?.get_identifier(); i++)
        await sleep(10);
    check(!worker.get_subprocess()?.get_identifier(), 'the child process was reaped');
    print('app: the child process was reaped');

    // The script drops the worker and its proxy; the garbage collector
    // finalizes them
    worker = null;
    processor = null;
    call = null;
    const gone = () => watched.every(w => w.dup_target() === null);
    for (let i = 0; i < 100 && !gone(); i++) {
        System.gc();
        await sleep(10);
    }
    check(gone(), 'the worker and its proxy were finalized');
    print('app: the worker and its proxy were finalized; nothing stayed in memory');
}

if (System.programArgs.includes('--child')) {
    serveProcessor();
} else {
    const loop = new GLib.MainLoop(null, false);
    let failed = false;
    story().catch(e => {
        logError(e);
        failed = true;
    }).finally(() => loop.quit());
    loop.run();
    System.exit(failed ? 1 : 0);
}
