// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The child of the GJS subprocess worker tests (run with `gjs -m`): exposes
// a plain JS object to its parent with Comlink.expose and serves it until
// the parent goes away. With the argument `class`, it exposes a class
// instead, which the parent constructs with `new api ()`; with
// `restricted`, the object with an allow list.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
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

const Emitter = GObject.registerClass({
    Signals: {
        'changed': {param_types: [GObject.TYPE_INT]},
        'fire': {flags: GObject.SignalFlags.RUN_LAST | GObject.SignalFlags.ACTION, param_types: [GObject.TYPE_INT]},
    },
}, class Emitter extends GObject.Object {
    on_fire(n) {
        for (let i = 0; i < n; i++)
            this.emit('changed', i);
    }
});

function sleep(ms) {
    return new Promise(resolve => GLib.timeout_add(GLib.PRIORITY_DEFAULT, ms, () => {
        resolve();
        return GLib.SOURCE_REMOVE;
    }));
}

class Counter {
    constructor(start = 0) {
        this.count = start;
    }

    increment() {
        return ++this.count;
    }
}

const api = {
    counter: 0,
    releasedHandles: 0,
    cancelledCalls: 0,
    nested: {deep: {answer: () => 42}},
    Counter,
    add: (a, b) => a + b,
    echo: v => v,
    pid: () => new Gio.Credentials().get_unix_pid(),
    async process(steps, onProgress) {
        for (let i = 1; i <= steps; i++) {
            await sleep(5);
            await onProgress(Math.round(i * 100 / steps));
        }
        return 'processed';
    },
    failIO() {
        throw new GLib.Error(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND, 'no such thing');
    },
    failJS() {
        throw new TypeError('not a number');
    },
    brokenInternals() {
        return null.property;
    },
    throwValue() {
        throw {reason: 'a plain object'};
    },
    makeHandle() {
        return Comlink.proxy({
            ping: () => 'pong',
            [Comlink.finalizer]: () => {
                api.releasedHandles++;
            },
        });
    },
    makeEmitter: () => new Emitter(),
    waitForCancel() {
        const cancellable = Comlink.currentInvocation().get_cancellable();
        return new Promise((resolve, reject) => {
            cancellable.connect(() => {
                api.cancelledCalls++;
                reject(new Error('cancelled'));
            });
        });
    },
    never: () => new Promise(() => {}),
    // undefined and null, kept apart (test-null-values.js)
    undefinedProp: undefined,
    nullProp: null,
    returnsNothing() {},
    returnsNull: () => null,
    kindOf: (...args) => args.map(v => v === undefined ? 'undefined' : v === null ? 'null' : typeof v),
    // References inside arrays and objects (test-nested-references.js)
    callIn: async options => await options.callback(options.value),
    makeHandles: () => [api.makeHandle(), {handle: api.makeHandle(), n: 2 ** 40}],
    readStreamIn: ({stream, length}) => new TextDecoder().decode(stream.read_bytes(length, null).toArray()),
};

// With the argument `restricted`, the parent may reach only these
const RESTRICTED_ALLOW = ['add', 'echo', '_hidden', 'nested', 'deep', 'answer', 'Counter', 'increment', 'big'];
api._hidden = 'underscore';
api._double = n => 2 * n;
api.big = () => 2n ** 64n - 1n;

// Exposed as the root: the parent reads the start values of the
// instances it released from the static field
class Tally {
    static released = [];

    constructor(start = 0, step = 1) {
        this.start = start;
        this.count = start;
        this.step = step;
    }

    add() {
        this.count += this.step;
        return this.count;
    }

    static describe() {
        return 'a tally';
    }

    [Comlink.finalizer]() {
        Tally.released.push(this.start);
    }
}

if (System.programArgs[0] === 'restricted')
    Comlink.expose(api, null, {allow: RESTRICTED_ALLOW});
else
    Comlink.expose(System.programArgs[0] === 'class' ? Tally : api);
