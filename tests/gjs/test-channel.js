// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The ES Proxy sugar with both ends in this script, on the two ports of
// one Comlink.Channel, on one thread: `expose` on port1, `wrap` on port2.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import ComlinkGI from 'gi://Comlink?version=1';
import * as Comlink from '../../introspection/comlink.js';
import {test, run, assert, assertEqual, assertRejects, assertThrows, collectUntil, sleep} from './harness.js';

function isComlinkError(code) {
    return e => {
        assert(e instanceof GLib.Error, `not a GLib.Error: ${e}`);
        assert(e.matches(ComlinkGI.Error, code), `expected Comlink error ${code}, got ${e.domain}/${e.code}: ${e.message}`);
    };
}

class Counter {
    static created = 0;
    static released = []; // the start values of the released instances

    constructor(start = 0) {
        this.start = start;
        this.count = start;
        Counter.created++;
    }

    increment(by = 1) {
        this.count += by;
        return this.count;
    }

    [Comlink.finalizer]() {
        Counter.released.push(this.start);
    }

    static describe() {
        return 'a counter';
    }
}

function makeApi() {
    const api = {
        counter: 10,
        nested: {deep: {answer: () => 42, label: 'deep'}},
        _secret: 'hidden',
        get doubled() {
            return this.counter * 2;
        },
        set secret(v) {
            this._secret = `set:${v}`;
        },
        get secret() {
            return this._secret;
        },
        Counter,
        add(a, b) {
            return a + b;
        },
        async slowAdd(a, b) {
            await sleep(20);
            return a + b;
        },
        echo(v) {
            return v;
        },
        typeOf(v) {
            if (v instanceof Uint8Array)
                return 'Uint8Array';
            if (v === null)
                return 'null';
            if (Array.isArray(v))
                return 'array';
            return typeof v;
        },
        failGError(code) {
            throw new Gio.IOErrorEnum({code, message: `io failure ${code}`});
        },
        failGLibError() {
            throw new GLib.Error(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND, 'nothing here');
        },
        failTypeError() {
            throw new TypeError('wrong type');
        },
        async failAsync() {
            await sleep(1);
            throw new RangeError('out of range');
        },
        throwValue(v) {
            throw v;
        },
        throwUndefined() {
            throw undefined;
        },
        brokenInternals() {
            return undefined.property; // a bug: TypeError inside the exposed method
        },
        async callBack(cb, n) {
            const results = [];
            for (let i = 0; i < n; i++)
                results.push(await cb(i, 'tick'));
            return results;
        },
        keep(obj) {
            this.kept = obj;
            return true;
        },
        async useKept(x) {
            return await this.kept.add(x, x);
        },
        labelOf(handle) {
            // The original object, not an ES Proxy (those are functions)
            assert(typeof handle === 'object', 'the original object');
            return handle.label;
        },
        giveBack() {
            return this.kept;
        },
        makeHandle(label) {
            const handle = {
                label,
                get: () => label,
                [Comlink.finalizer]: () => {
                    releasedHandles.push(label);
                },
            };
            return Comlink.proxy(handle);
        },
        waitForCancel() {
            const invocation = Comlink.currentInvocation();
            return new Promise((resolve, reject) => {
                invocation.get_cancellable().connect(() => {
                    cancelledOnExposedSide++;
                    reject(new Error('cancelled'));
                });
            });
        },
        never() {
            return new Promise(() => {});
        },
    };
    return api;
}

const releasedHandles = [];
let cancelledOnExposedSide = 0;

function setup(obj = makeApi()) {
    const channel = new ComlinkGI.Channel();
    const exposing = Comlink.expose(obj, channel.get_port1());
    const api = Comlink.wrap(channel.get_port2());
    return {channel, exposing, api, obj};
}

test('only what was exposed is reachable', async () => {
    const {api, obj} = setup();
    // Members every object or function inherits
    await assertRejects(api.toString(), isComlinkError(ComlinkGI.Error.NO_SUCH_METHOD));
    await assertRejects(api.hasOwnProperty('add'), isComlinkError(ComlinkGI.Error.NO_SUCH_METHOD));
    await assertRejects(api.add.call(null, 1, 2), isComlinkError(ComlinkGI.Error.NO_SUCH_METHOD));
    await assertRejects(api.add.bind, isComlinkError(ComlinkGI.Error.NO_SUCH_PROPERTY));
    // The ways to Function and to the prototypes all objects share
    await assertRejects(api.constructor.constructor('return 1'), isComlinkError(ComlinkGI.Error.NO_SUCH_OBJECT));
    await assertRejects(api.add.constructor('return 1'), isComlinkError(ComlinkGI.Error.NO_SUCH_METHOD));
    await assertRejects(api.Counter.prototype, isComlinkError(ComlinkGI.Error.NO_SUCH_PROPERTY));
    // Setting them changes nothing here
    api.__proto__ = {polluted: true};
    api.nested.constructor = 'replaced';
    api.toString = 'replaced';
    assertEqual(await api.add(1, 2), 3, 'the exposing side still works');
    assertEqual(Object.getPrototypeOf(obj), Object.prototype);
    assertEqual(({}).polluted, undefined);
    assertEqual(obj.nested.constructor, Object);
    assert(!Object.prototype.hasOwnProperty.call(obj, 'toString'), 'toString was not shadowed');
    // A name with an underscore is a member like any other, as in Comlink
    assertEqual(await api._secret, 'hidden');
    api[Comlink.releaseProxy]();
});

test('methods, properties, getters and setters', async () => {
    const {api, obj} = setup();
    assertEqual(await api.add(2, 3), 5);
    assertEqual(await api.slowAdd(20, 22), 42);
    assertEqual(await api.counter, 10);
    assertEqual(await api.doubled, 20);
    api.counter = 21;
    // Sent at once: the next request on the proxy sees it
    assertEqual(await api.doubled, 42);
    assertEqual(obj.counter, 21);
    api.secret = 'x';
    assertEqual(await api.secret, 'set:x');
    assertEqual(await api.nested.deep.answer(), 42);
    assertEqual(await api.nested.deep.label, 'deep');
    assertEqual(await api.Counter.describe(), 'a counter');
    api[Comlink.releaseProxy]();
});

function describeOf(proxy) {
    return new Promise((resolve, reject) => {
        proxy.describe_async(null, (p, res) => {
            try {
                resolve(p.describe_finish(res).recursiveUnpack());
            } catch (e) {
                reject(e);
            }
        });
    });
}

test('a peer describes an exposed object without running its getters', async () => {
    let getterRan = false;
    const obj = makeApi();
    Object.defineProperty(obj, 'watched', {get: () => {
        getterRan = true;
        return 1;
    }, enumerable: true});
    const {api} = setup(obj);
    const description = await describeOf(Comlink.unwrap(api));
    const methods = Object.fromEntries(description.methods.map(([name, args, result]) => [name, [args, result]]));
    const properties = Object.fromEntries(description.properties.map(([name, type, access]) => [name, [type, access]]));
    assertEqual(JSON.stringify(methods.add), JSON.stringify([['any', 'any'], 'any']));
    assert(Object.hasOwn(methods, 'Counter'), 'a class is a method');
    assertEqual(JSON.stringify(properties.counter), JSON.stringify(['any', 3]));
    assertEqual(JSON.stringify(properties.doubled), JSON.stringify(['any', 1]));
    assertEqual(JSON.stringify(properties.secret), JSON.stringify(['any', 3]));
    assert(Object.hasOwn(properties, '_secret'), 'a member named with an underscore is a member like any other');
    assert(!Object.hasOwn(methods, 'constructor') && !Object.hasOwn(methods, 'toString') &&
        !Object.hasOwn(properties, '__proto__'), 'hidden members and built-ins are not listed');
    assertEqual(description.signals.length, 0);
    assert(description.complete);
    assert(!getterRan, 'no getter ran');

    const nested = await describeOf(Comlink.unwrap(api.nested.deep));
    assertEqual(nested.methods.map(([name]) => name).join(), 'answer');
    await assertRejects(describeOf(Comlink.unwrap(api.missing)), isComlinkError(ComlinkGI.Error.NO_SUCH_OBJECT));
    api[Comlink.releaseProxy]();
});

test('a description lists only what the restriction allows', async () => {
    const channel = new ComlinkGI.Channel();
    Comlink.expose(makeApi(), channel.get_port1(), {allow: ['add', '_secret']});
    const api = Comlink.wrap(channel.get_port2());
    const description = await describeOf(Comlink.unwrap(api));
    assertEqual(description.methods.map(([name]) => name).join(), 'add');
    assertEqual(description.properties.map(([name]) => name).join(), '_secret');
    api[Comlink.releaseProxy]();
});

test('construct an exposed class', async () => {
    const {api} = setup();
    const before = Counter.created;
    const counter = await new api.Counter(5);
    assertEqual(Counter.created, before + 1);
    assertEqual(await counter.increment(), 6);
    assertEqual(await counter.increment(4), 10);
    assertEqual(await counter.count, 10);
    const other = await new api.Counter();
    assertEqual(await other.count, 0);
    await assertRejects(new api.add(1), e => assert(e instanceof TypeError, `${e}`));
    counter[Comlink.releaseProxy]();
    other[Comlink.releaseProxy]();
    api[Comlink.releaseProxy]();
});

// In a function of its own, so that no local variable keeps the instance
async function constructAndDrop(RemoteCounter) {
    const created = Counter.created;
    const counter = await new RemoteCounter(2002);
    assertEqual(Counter.created, created + 1, 'the exposing side constructed the class');
    assertEqual(await counter.increment(3), 2005);
    assertEqual(await counter.count, 2005);
}

test('expose a class itself: static members, and `new api ()` constructs it', async () => {
    const {api: RemoteCounter, channel} = setup(Counter);
    const connection = ComlinkGI.Connection.get_for_endpoint(channel.get_port2());
    assertEqual(await RemoteCounter.describe(), 'a counter', 'a static method');
    assertEqual(await RemoteCounter.created, Counter.created, 'a static field');

    const other = await new RemoteCounter(2003);
    assertEqual(await other.count, 2003);
    const proxiesWithOther = connection.n_proxies;
    // A dropped instance is released on the exposing side, as is one
    // released explicitly
    await constructAndDrop(RemoteCounter);
    assert(await collectUntil(() => Counter.released.includes(2002)),
        'the dropped instance’s finalizer ran');
    assert(!Counter.released.includes(2003), 'the instance still held is not released');
    assertEqual(connection.n_proxies, proxiesWithOther, 'the dropped instance’s proxy is gone');
    other[Comlink.releaseProxy]();
    assert(await collectUntil(() => Counter.released.includes(2003)),
        'the released instance’s finalizer ran');
    assert(connection.n_proxies < proxiesWithOther, 'n-proxies dropped');
    // The class itself is still served
    assertEqual(await RemoteCounter.describe(), 'a counter');
    RemoteCounter[Comlink.releaseProxy]();
});

test('`new api ()` on an object that is not a class fails with NOT_CONSTRUCTIBLE', async () => {
    const {api} = setup();
    const created = Counter.created;
    await assertRejects(new api(), isComlinkError(ComlinkGI.Error.NOT_CONSTRUCTIBLE));
    await assertRejects(new api.nested(), isComlinkError(ComlinkGI.Error.NOT_CONSTRUCTIBLE));
    // `constructor` of a plain object is not the inherited Object
    await assertRejects(new api.nested.constructor(), isComlinkError(ComlinkGI.Error.NOT_CONSTRUCTIBLE));
    // `new api.Counter.constructor ()` is `new api.Counter ()`, and the
    // Function constructor behind it is never reached
    const counter = await new api.Counter.constructor(3);
    assertEqual(await counter.count, 3);
    await assertRejects(new api.Counter.constructor.constructor('return 1'),
        isComlinkError(ComlinkGI.Error.NO_SUCH_OBJECT));
    await assertRejects(new api.slowAdd.constructor.constructor('return 1'),
        isComlinkError(ComlinkGI.Error.NO_SUCH_OBJECT));
    assertEqual(Counter.created, created + 1);
    assertEqual(await api.add(1, 1), 2, 'the exposing side still works');
    counter[Comlink.releaseProxy]();
    api[Comlink.releaseProxy]();
});

test('values convert both ways', async () => {
    const {api} = setup();
    const cases = [
        0, -1, 2147483647, -2147483648, 2147483648, 2 ** 53 - 1, -(2 ** 40), 1.5, -0.25,
        'text', '', 'ünïcödé', true, false,
        [1, 'two', [3, [4]], {five: 5}],
        {a: 1, b: 'b', c: {d: [true, false]}, e: null},
        [], {},
    ];
    for (const value of cases)
        assertEqual(await api.echo(value), value, `echo ${JSON.stringify(value)}`);
    assertEqual(await api.echo(null), null);
    assertEqual(await api.echo(undefined), undefined, 'undefined arrives as undefined');
    assertEqual(await api.typeOf(null), 'null');
    assertEqual(await api.typeOf([1]), 'array');
    assertEqual(await api.typeOf(7), 'number');
    assertEqual(await api.typeOf(new Uint8Array([1])), 'Uint8Array');
    assertEqual(await api.typeOf(new GLib.Bytes(new Uint8Array([1]))), 'Uint8Array');

    const bytes = await api.echo(new Uint8Array([0, 1, 254, 255]));
    assert(bytes instanceof Uint8Array, 'bytes arrive as a Uint8Array');
    assertEqual([...bytes], [0, 1, 254, 255]);
    const nestedBytes = await api.echo({data: new Uint8Array([7, 8])});
    assert(nestedBytes.data instanceof Uint8Array);
    assertEqual([...nestedBytes.data], [7, 8]);

    const variant = await api.echo(new GLib.Variant('(is)', [1, 'x']));
    assertEqual(variant, [1, 'x'], 'other GVariants arrive unpacked');

    await assertRejects(api.echo(() => 1), isComlinkError(ComlinkGI.Error.NOT_TRANSFERABLE));
    await assertRejects(api.echo([() => 1]), isComlinkError(ComlinkGI.Error.NOT_TRANSFERABLE));
    // A marked object travels by reference inside an array too, and comes back as itself
    const marked = Comlink.proxy({});
    const [back] = await api.echo([marked]);
    assert(back === marked, 'a marked object inside an array comes back as itself');
    api[Comlink.releaseProxy]();
});

test('errors keep domain and code; JS errors and thrown values come back', async () => {
    const {api} = setup();
    await assertRejects(api.failGLibError(), e => {
        assert(e instanceof GLib.Error);
        assert(e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND), `${e.domain}/${e.code}`);
        assertEqual(e.message, 'nothing here');
    });
    await assertRejects(api.failGError(Gio.IOErrorEnum.PERMISSION_DENIED), e => {
        assert(e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.PERMISSION_DENIED));
        assertEqual(e.message, `io failure ${Gio.IOErrorEnum.PERMISSION_DENIED}`);
    });
    await assertRejects(api.failTypeError(), e => {
        assert(e instanceof TypeError, `${e}`);
        assertEqual(e.message, 'wrong type');
    });
    await assertRejects(api.failAsync(), e => {
        assert(e instanceof RangeError, `${e}`);
        assertEqual(e.message, 'out of range');
    });
    await assertRejects(api.brokenInternals(), e => {
        assert(e instanceof TypeError, `${e}`);
        assert(e.message.includes('undefined'), e.message);
    });
    for (const value of [42, 'plain string', {code: 7, why: 'object'}, null, [1, 2], false]) {
        await assertRejects(api.throwValue(value), e => assertEqual(e, value));
    }
    await assertRejects(api.throwUndefined(), e => assertEqual(e, undefined));
    await assertRejects(api.noSuchMethod(), isComlinkError(ComlinkGI.Error.NO_SUCH_METHOD));
    await assertRejects(api.nested.missing.method(), isComlinkError(ComlinkGI.Error.NO_SUCH_OBJECT));
    await assertRejects(api.noSuchProperty, isComlinkError(ComlinkGI.Error.NO_SUCH_PROPERTY));
    await assertRejects(new api.noSuchClass(), isComlinkError(ComlinkGI.Error.NOT_CONSTRUCTIBLE));
    // The exposing side still works after all that
    assertEqual(await api.add(1, 1), 2);
    api[Comlink.releaseProxy]();
});

test('callbacks with Comlink.proxy', async () => {
    const {api} = setup();
    const seen = [];
    const results = await api.callBack(Comlink.proxy((i, s) => {
        seen.push(`${s}${i}`);
        return i * 10;
    }), 3);
    assertEqual(seen, ['tick0', 'tick1', 'tick2']);
    assertEqual(results, [0, 10, 20]);

    // An async callback, and one that throws
    assertEqual(await api.callBack(Comlink.proxy(async i => {
        await sleep(1);
        return `async${i}`;
    }), 2), ['async0', 'async1']);
    await assertRejects(api.callBack(Comlink.proxy(() => {
        throw new SyntaxError('bad callback');
    }), 1), e => {
        assert(e instanceof SyntaxError, `${e}`);
        assertEqual(e.message, 'bad callback');
    });
    api[Comlink.releaseProxy]();
});

test('objects by reference keep their identity', async () => {
    const {api, obj} = setup();
    const local = Comlink.proxy({add: (a, b) => a + b});
    assert(await api.keep(local));
    assertEqual(await api.useKept(21), 42);
    assert(obj.kept !== local && typeof obj.kept.add === 'function', 'the exposing side holds a proxy');
    assert(await api.giveBack() === local, 'sent back, the proxy arrives as the original object');
    // A remote object sent back to its side arrives as the original
    const handle = await api.makeHandle('h0');
    assertEqual(await handle.get(), 'h0');
    assertEqual(await handle.label, 'h0');
    // ... and a proxy of the exposing side's object sent back to it arrives
    // as that object
    assertEqual(await api.labelOf(handle), 'h0');
    handle[Comlink.releaseProxy]();
    api[Comlink.releaseProxy]();
});

test('a released proxy throws synchronously', async () => {
    const {api} = setup();
    const nested = api.nested.deep;
    assertEqual(await nested.label, 'deep');
    await api[Comlink.releaseProxy]();
    assertThrows(() => api.add(1, 2), e => assert(/released/.test(e.message), e.message));
    assertThrows(() => api.counter);
    assertThrows(() => {
        api.counter = 1;
    });
    assertThrows(() => nested.answer());
    assertThrows(() => new api.Counter());
    assertThrows(() => Comlink.unwrap(api));
});

test('createEndpoint gives an independent proxy of the same object', async () => {
    const {api} = setup();
    const endpoint = await api[Comlink.createEndpoint]();
    assert(endpoint instanceof ComlinkGI.Endpoint);
    const second = Comlink.wrap(endpoint);
    assertEqual(await second.add(4, 5), 9);
    second.counter = 99;
    assertEqual(await second.counter, 99);
    assertEqual(await api.counter, 99, 'both reach the same object');
    second[Comlink.releaseProxy]();
    assertEqual(await api.add(1, 2), 3, 'releasing the second proxy leaves the first working');
    api[Comlink.releaseProxy]();
});

test('transfer handlers', async () => {
    class Point {
        constructor(x, y) {
            this.x = x;
            this.y = y;
        }
    }
    Comlink.transferHandlers.set('point', {
        canHandle: v => v instanceof Point,
        serialize: p => [[p.x, p.y], []],
        deserialize: ([x, y]) => new Point(x, y),
    });
    try {
        const {api} = setup({
            flip: p => {
                assert(p instanceof Point, 'the exposed side gets a Point');
                return new Point(p.y, p.x);
            },
            inside: ({points}) => points.every(p => p instanceof Point),
        });
        const flipped = await api.flip(new Point(1, 2));
        assert(flipped instanceof Point, 'the caller gets a Point');
        assertEqual([flipped.x, flipped.y], [2, 1]);
        assert(await api.inside({points: [new Point(0, 0), new Point(1, 1)]}));
        api[Comlink.releaseProxy]();
    } finally {
        Comlink.transferHandlers.delete('point');
    }
});

const Emitter = GObject.registerClass({
    Properties: {
        'level': GObject.ParamSpec.int('level', null, null, GObject.ParamFlags.READWRITE, 0, 100, 0),
    },
    Signals: {
        'changed': {param_types: [GObject.TYPE_INT, GObject.TYPE_STRING]},
        'fire': {flags: GObject.SignalFlags.RUN_LAST | GObject.SignalFlags.ACTION, param_types: [GObject.TYPE_INT]},
    },
}, class Emitter extends GObject.Object {
    on_fire(n) {
        for (let i = 0; i < n; i++)
            this.emit('changed', i, `change${i}`);
    }
});

test('a GObject exposed as it is: properties, action signals, remote signals', async () => {
    const emitter = new Emitter();
    const {api} = setup(emitter);
    api.level = 7;
    assertEqual(await api.level, 7);
    assertEqual(emitter.level, 7);
    const seen = [];
    const id = await api[Comlink.subscribe]('changed', (i, s) => seen.push([i, s]));
    assert(id > 0);
    await api.fire(3);
    assert(await collectUntil(() => seen.length === 3), `emissions arrived: ${JSON.stringify(seen)}`);
    assertEqual(seen, [[0, 'change0'], [1, 'change1'], [2, 'change2']]);
    api[Comlink.unsubscribe](id);
    await api.fire(2);
    await sleep(50);
    assertEqual(seen.length, 3, 'no emission after unsubscribe');
    await assertRejects(api[Comlink.subscribe]('no-such-signal', () => {}),
        isComlinkError(ComlinkGI.Error.NO_SUCH_SIGNAL));
    api[Comlink.releaseProxy]();
});

test('a GObject exposed as it is: `new api ()` constructs the type registered as "constructor"', async () => {
    const emitter = new Emitter();
    const {api} = setup(emitter);
    await assertRejects(new api(), isComlinkError(ComlinkGI.Error.NOT_CONSTRUCTIBLE));

    ComlinkGI.register_constructible(emitter, 'constructor', Emitter.$gtype);
    const made = await new api();
    assertEqual(await made.level, 0);
    made.level = 9;
    assertEqual(await made.level, 9);
    assertEqual(emitter.level, 0, 'a new object, not the exposed one');
    // Named properties go through the GObject API
    const level = new GObject.Value();
    level.init(GObject.TYPE_INT);
    level.set_int(8);
    const named = await new Promise((resolve, reject) => {
        Comlink.unwrap(api).get_child('constructor').construct_async(['level'], [level], null,
            (p, res) => {
                try {
                    resolve(p.construct_finish(res));
                } catch (e) {
                    reject(e);
                }
            });
    });
    assertEqual(await Comlink.wrap(named).level, 8);
    made[Comlink.releaseProxy]();
    named.release();
    api[Comlink.releaseProxy]();
});

test('cancellation reaches the exposed side', async () => {
    const {api} = setup();
    const cancellable = new Gio.Cancellable();
    const before = cancelledOnExposedSide;
    const call = api.waitForCancel(Comlink.callOptions({cancellable}));
    await sleep(20);
    cancellable.cancel();
    await assertRejects(call, e => assert(e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED), `${e}`));
    assert(await collectUntil(() => cancelledOnExposedSide === before + 1), 'the invocation’s cancellable fired');
    await assertRejects(api.never(Comlink.callOptions({timeout: 50})),
        e => assert(e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.TIMED_OUT), `${e}`));
    api[Comlink.releaseProxy]();
});

test('closing the connection mid-call rejects the pending call', async () => {
    const {api} = setup();
    const pending = api.never();
    await sleep(10);
    Comlink.unwrap(api).dup_connection().close();
    await assertRejects(pending, isComlinkError(ComlinkGI.Error.CLOSED));
});

test('a dropped ES Proxy is released on the exposing side', async () => {
    const {api, channel} = setup();
    const connection = ComlinkGI.Connection.get_for_endpoint(channel.get_port2());
    let handle = await api.makeHandle('dropped');
    assertEqual(await handle.get(), 'dropped');
    const proxiesWithHandle = connection.n_proxies;
    handle = null;
    assert(await collectUntil(() => releasedHandles.includes('dropped')),
        'the finalizer of the exposed object ran');
    assert(connection.n_proxies < proxiesWithHandle, 'n-proxies dropped');
    api[Comlink.releaseProxy]();
});

// In a function of its own, so that no local variable keeps the proxy
function decorate(gproxy, handle, probe) {
    gproxy.connect('notify', () => {});
    gproxy.customProperty = {big: new Array(100).fill(handle)};
    probe.set_target(gproxy);
}

test('dropped proxies with signal handlers and JS properties are released too', async () => {
    const {api, channel} = setup();
    const connection = ComlinkGI.Connection.get_for_endpoint(channel.get_port2());
    let handle = await api.makeHandle('toggled');
    assertEqual(await handle.get(), 'toggled');
    // GJS holds a GObject with signal handlers or JS properties through a
    // toggle reference. A GSignalGroup holds its target weakly: it tells
    // whether the proxy was finalized, as a JS WeakRef in GJS 1.74 cannot.
    const probe = new GObject.SignalGroup({target_type: ComlinkGI.Proxy.$gtype});
    decorate(Comlink.unwrap(handle), handle, probe);
    handle = null;
    assert(await collectUntil(() => releasedHandles.includes('toggled')),
        'the finalizer of the exposed object ran');
    assertEqual(probe.dup_target(), null, 'the proxy was finalized');
    assertEqual(connection.n_proxies, 1, 'only the root proxy is left');
    api[Comlink.releaseProxy]();
});

test('a dropped wrap() is released: the exposed object goes away', async () => {
    const channel = new ComlinkGI.Channel();
    let finalized = false;
    Comlink.expose({[Comlink.finalizer]: () => {
        finalized = true;
    }, ping: () => 'pong'}, channel.get_port1());
    let api = Comlink.wrap(channel.get_port2());
    assertEqual(await api.ping(), 'pong');
    api.ping.bind(null); // child proxies are dropped with their family
    api = null;
    assert(await collectUntil(() => finalized), 'the exposed object’s finalizer ran');
});

run();
