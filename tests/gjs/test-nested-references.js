// SPDX-License-Identifier: LGPL-2.1-or-later
//
// References inside arrays and objects: Comlink.proxy () objects and
// functions, GObjects, ES Proxies of wrap (), values of a transfer handler
// and file descriptors travel at any depth, both ways, as they do at the
// top level (as a Comlink.Container); arrays and objects without them
// still travel as GVariants. On a channel in this script, through a GJS
// subprocess worker (child.js), and to the C child of the C tests, which
// exposes a TestCalc (COMLINK_TEST_CHILD) and tells what a C peer receives.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import ComlinkGI from 'gi://Comlink?version=1';
import System from 'system';
import * as Comlink from '../../introspection/comlink.js';
import {test, run, assert, assertEqual, assertRejects, assertThrows, collectUntil, sleep} from './harness.js';

const gjsPath = GLib.getenv('COMLINK_TEST_GJS') ?? 'gjs';
const childPath = GLib.build_filenamev([GLib.path_get_dirname(
    GLib.filename_from_uri(import.meta.url)[0]), 'child.js']);
const cChildPath = GLib.getenv('COMLINK_TEST_CHILD');

const {NOT_TRANSFERABLE} = ComlinkGI.Error;

function isComlinkError(code) {
    return e => {
        assert(e instanceof GLib.Error, `not a GLib.Error: ${e}`);
        assert(e.matches(ComlinkGI.Error, code), `expected Comlink error ${code}, got ${e.domain}/${e.code}: ${e.message}`);
    };
}

// Exactly undefined or exactly null, which assertEqual does not tell apart
function assertIs(actual, expected, message) {
    assert(actual === expected, `${message}: expected ${String(expected)}, got ${String(actual)}`);
}

// An ES Proxy of wrap () (a remote object) is a function with no own keys
function isRemote(v) {
    return typeof v === 'function' && Object.keys(v).length === 0 &&
        !Object.prototype.hasOwnProperty.call(v, Comlink.proxyMarker);
}

const Greeter = GObject.registerClass({
    GTypeName: 'NestedTestGreeter',
    Properties: {
        'name': GObject.ParamSpec.string('name', 'name', 'name', GObject.ParamFlags.READWRITE, 'greeter'),
    },
    Signals: {
        'greet': {
            flags: GObject.SignalFlags.RUN_LAST | GObject.SignalFlags.ACTION,
            param_types: [GObject.TYPE_STRING],
            return_type: GObject.TYPE_STRING,
        },
        'add': {
            flags: GObject.SignalFlags.RUN_LAST | GObject.SignalFlags.ACTION,
            param_types: [GObject.TYPE_INT, GObject.TYPE_INT],
            return_type: GObject.TYPE_INT,
        },
        'items': {param_types: [ComlinkGI.Container.$gtype]},
    },
}, class Greeter extends GObject.Object {
    on_greet(who) {
        return `${this.name} greets ${who}`;
    }

    on_add(a, b) {
        return a + b;
    }
});

// Probes that tell whether a GObject was finalized, without holding it
// (GJS 1.74's WeakRef keeps its target alive)
function probe(object) {
    const group = new GObject.SignalGroup({target_type: object.constructor.$gtype});
    group.set_target(object);
    return group;
}

// What the peer of the channel tests exposes; `released` lists the ids of
// the handles whose finalizer ran
function makeApi() {
    const released = [];
    const handle = id => Comlink.proxy({
        id,
        ping: () => `pong ${id}`,
        [Comlink.finalizer]: () => released.push(id),
    });
    const kept = handle('kept');
    return {
        released,
        kept,
        handles: [handle('property')],
        echo: v => v,
        callIn: async options => await options.callback(options.value),
        greetFirst: async list => await list[0].greet('the peer'),
        // What the peer received, item by item
        kinds(value) {
            const kind = v => {
                if (v === undefined)
                    return 'undefined';
                if (v === null)
                    return 'null';
                if (isRemote(v))
                    return 'remote';
                if (Array.isArray(v))
                    return v.map(kind);
                if (v instanceof Uint8Array)
                    return 'Uint8Array';
                if (typeof v === 'object')
                    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, kind(x)]));
                return typeof v;
            };
            return kind(value);
        },
        makeHandles: () => [handle('first'), {handle: handle('second'), n: 2 ** 40, big: 2n ** 60n}],
        makeKept: () => ({kept}),
        isKept: options => options.kept === kept,
        drop: _value => undefined,
    };
}

function setup(obj = makeApi()) {
    const channel = new ComlinkGI.Channel();
    const connection = Comlink.expose(obj, channel.get_port1());
    const api = Comlink.wrap(channel.get_port2());
    return {api, obj, channel, connection};
}

function teardown({api, connection}) {
    api[Comlink.releaseProxy]();
    connection.close();
}

// --- a peer in this script ---

test('a Comlink.proxy () callback inside an object is called by the peer', async () => {
    const ctx = setup();
    const calls = [];
    const callback = Comlink.proxy(n => {
        calls.push(n);
        return n + 1;
    });
    assertEqual(await ctx.api.callIn({callback, value: 41}), 42);
    assertEqual(calls, [41]);
    assertEqual(await ctx.api.kinds({callback, value: 1, list: [callback, 2]}),
        {callback: 'remote', value: 'number', list: ['remote', 'number']}, 'what the peer received');
    teardown(ctx);
});

test('a GObject inside an array arrives as a remote object the peer calls', async () => {
    const ctx = setup();
    const greeter = new Greeter({name: 'local'});
    assertEqual(await ctx.api.greetFirst([greeter, 'other']), 'local greets the peer');
    assertEqual(await ctx.api.kinds([[greeter], {g: greeter}]), [['remote'], {g: 'remote'}]);
    teardown(ctx);
});

test('objects returned inside arrays and objects work on the caller side', async () => {
    const ctx = setup();
    const [first, {handle, n, big}] = await ctx.api.makeHandles();
    assertEqual(await first.ping(), 'pong first');
    assertEqual(await handle.ping(), 'pong second');
    assertEqual(await handle.id, 'second');
    assertIs(n, 2 ** 40, 'a number beside them');
    assertIs(big, 2n ** 60n, 'a 64-bit integer beside them, exactly');
    // A property value
    const [fromProperty] = await ctx.api.handles;
    assertEqual(await fromProperty.ping(), 'pong property');
    teardown(ctx);
});

test('identity: what goes inside a container comes back as itself', async () => {
    const ctx = setup();
    const callback = Comlink.proxy(() => 1);
    const object = Comlink.proxy({name: 'mine'});
    const greeter = new Greeter();
    const back = await ctx.api.echo({callback, list: [object, greeter], greeter});
    assert(back.callback === callback, 'a Comlink.proxy () function');
    assert(back.list[0] === object, 'a Comlink.proxy () object');
    assert(back.list[1] === greeter && back.greeter === greeter, 'a GObject');
    // The peer's own object, sent back inside an object, is its original
    const {kept} = await ctx.api.makeKept();
    assertEqual(await kept.ping(), 'pong kept');
    assertEqual(await ctx.api.isKept({kept}), true);
    assertEqual(await ctx.api.isKept({kept: Comlink.proxy({})}), false);
    teardown(ctx);
});

test('undefined, null and numbers keep their kind beside references', async () => {
    const ctx = setup();
    const callback = Comlink.proxy(() => 1);
    const value = {
        callback, u: undefined, z: null, i: 7, x: 2 ** 40, d: 0.5, big: 2n ** 63n, s: 'text', b: true,
        bytes: new Uint8Array([1, 2]), list: [undefined, null, callback], plain: {a: undefined, b: [null]},
    };
    assertEqual(await ctx.api.kinds(value), {
        callback: 'remote', u: 'undefined', z: 'null', i: 'number', x: 'number', d: 'number', big: 'bigint',
        s: 'string', b: 'boolean', bytes: 'Uint8Array', list: ['undefined', 'null', 'remote'],
        plain: {a: 'undefined', b: ['null']},
    });
    const back = await ctx.api.echo(value);
    assertEqual(Object.keys(back), Object.keys(value), 'the keys, in their order');
    assert('u' in back, 'a property holding undefined is carried');
    assertIs(back.u, undefined, 'undefined');
    assertIs(back.z, null, 'null');
    assertIs(back.x, 2 ** 40, 'a 64-bit number');
    assertIs(back.big, 2n ** 63n, 'a BigInt');
    assertIs(back.d, 0.5, 'a double');
    assert(back.bytes instanceof Uint8Array && back.bytes.length === 2, 'bytes');
    assertEqual(back.list.length, 3);
    assertIs(back.list[0], undefined, 'undefined in an array');
    assertIs(back.list[1], null, 'null in an array');
    assert(back.list[2] === callback, 'the callback in the array');
    assert('a' in back.plain && back.plain.a === undefined && back.plain.b[0] === null, 'a plain object inside');
    // A key that names the prototype is a property like any other
    const odd = JSON.parse('{"__proto__": 1}');
    odd.callback = callback;
    const oddBack = await ctx.api.echo(odd);
    assert(Object.prototype.hasOwnProperty.call(oddBack, '__proto__') && oddBack['__proto__'] === 1,
        'a key __proto__');
    assert(Object.getPrototypeOf(oddBack) === Object.prototype, 'the prototype is untouched');
    teardown(ctx);
});

class Point {
    constructor(x, y) {
        this.x = x;
        this.y = y;
    }
}

test('a value of a transfer handler inside an array or object, with and without references', async () => {
    Comlink.transferHandlers.set('nested-point', {
        canHandle: v => v instanceof Point,
        serialize: p => [[p.x, p.y], []],
        deserialize: ([x, y]) => new Point(x, y),
    });
    try {
        const ctx = setup();
        const plain = await ctx.api.echo({p: new Point(1, 2), list: [new Point(3, 4)]});
        assert(plain.p instanceof Point && plain.p.x === 1 && plain.p.y === 2, 'inside a plain object');
        assert(plain.list[0] instanceof Point && plain.list[0].x === 3, 'inside a plain array');
        const callback = Comlink.proxy(() => 1);
        const mixed = await ctx.api.echo({p: new Point(5, 6), callback, list: [new Point(7, 8), callback]});
        assert(mixed.p instanceof Point && mixed.p.x === 5 && mixed.p.y === 6, 'beside a reference');
        assert(mixed.list[0] instanceof Point && mixed.list[0].y === 8, 'in an array beside a reference');
        assert(mixed.callback === callback && mixed.list[1] === callback, 'the reference');
        teardown(ctx);
    } finally {
        Comlink.transferHandlers.delete('nested-point');
    }
});

test('remote signals carry containers', async () => {
    const greeter = new Greeter({name: 'emitter'});
    const channel = new ComlinkGI.Channel();
    const connection = Comlink.expose(greeter, channel.get_port1());
    const api = Comlink.wrap(channel.get_port2());
    const received = [];
    const id = await api[Comlink.subscribe]('items', items => received.push(items));
    const container = ComlinkGI.Container.new_dict();
    container.insert('greeter', new Greeter({name: 'inside'}));
    container.insert('n', 3);
    greeter.emit('items', container);
    assert(await collectUntil(() => received.length === 1), 'the signal arrived');
    const [{greeter: remote, n}] = received;
    assertIs(n, 3, 'the number');
    assertEqual(await remote.greet('you'), 'inside greets you', 'the GObject inside, called');
    api[Comlink.unsubscribe](id);
    api[Comlink.releaseProxy]();
    connection.close();
});

// In functions of their own, so that no local variable keeps the proxies
async function receiveAndDrop(api) {
    const [first, {handle}] = await api.makeHandles();
    assertEqual(await first.ping(), 'pong first');
    assertEqual(await handle.ping(), 'pong second');
    return [probe(Comlink.unwrap(first)), probe(Comlink.unwrap(handle))];
}

async function sendAndDrop(api, released) {
    const handle = Comlink.proxy({[Comlink.finalizer]: () => released.push('sent')});
    await api.drop({list: [handle]});
}

test('releasing: dropped objects from a container are released on both sides', async () => {
    const ctx = setup();
    const connection = ComlinkGI.Connection.get_for_endpoint(ctx.channel.get_port2());
    const base = connection.n_proxies;
    const probes = await receiveAndDrop(ctx.api);
    assert(await collectUntil(() => ctx.obj.released.includes('first') && ctx.obj.released.includes('second')),
        `the peer released both: ${ctx.obj.released}`);
    assert(probes.every(p => p.dup_target() === null), 'the proxies were finalized');
    assertEqual(connection.n_proxies, base, 'n-proxies is back');

    // An object this side sent inside an object, which the peer dropped
    const released = [];
    await sendAndDrop(ctx.api, released);
    assert(await collectUntil(() => released.includes('sent')), 'the sent object’s finalizer ran');

    // releaseProxy on an object that came inside an array
    const [first, {handle}] = await ctx.api.makeHandles();
    first[Comlink.releaseProxy]();
    assert(await collectUntil(() => ctx.obj.released.filter(id => id === 'first').length === 2),
        'releaseProxy released it');
    assertThrows(() => first.ping(), e => assert(/released/.test(e.message), `${e}`));
    assertEqual(await handle.ping(), 'pong second', 'the other object of the container lives on');
    teardown(ctx);
});

test('cycles and containers nested too deep fail with NOT_TRANSFERABLE', async () => {
    const ctx = setup();
    const callback = Comlink.proxy(() => 1);
    const plainCycle = {a: 1};
    plainCycle.self = plainCycle;
    await assertRejects(ctx.api.echo(plainCycle), isComlinkError(NOT_TRANSFERABLE),
        'a plain object that holds itself');
    const cycle = {callback, list: []};
    cycle.list.push(cycle);
    await assertRejects(ctx.api.echo(cycle), e => {
        isComlinkError(NOT_TRANSFERABLE)(e);
        assert(e.message.includes('holds itself'), e.message);
    }, 'an object with a reference that holds itself');
    const arrayCycle = [callback];
    arrayCycle.push([arrayCycle]);
    await assertRejects(ctx.api.echo(arrayCycle), isComlinkError(NOT_TRANSFERABLE),
        'an array that holds itself');

    // The same object twice, not inside itself, travels
    const twice = {callback};
    const shared = await ctx.api.echo([twice, twice]);
    assert(shared[0].callback === callback && shared[1].callback === callback, 'an object twice');

    // Sixteen levels of containers travel, seventeen do not
    let deep = [callback];
    for (let i = 1; i < 16; i++)
        deep = [deep];
    let back = await ctx.api.echo(deep);
    for (let i = 1; i < 16; i++)
        back = back[0];
    assert(back[0] === callback, 'sixteen levels');
    await assertRejects(ctx.api.echo([deep]), e => {
        isComlinkError(NOT_TRANSFERABLE)(e);
        assert(e.message.includes('16'), e.message);
    }, 'seventeen levels');
    // Deep plain arrays are GVariants, which have no such limit
    let plain = [1];
    for (let i = 1; i < 20; i++)
        plain = [plain];
    await ctx.api.echo([plain, callback]);

    await assertRejects(ctx.api.echo([() => 1]), isComlinkError(NOT_TRANSFERABLE), 'a function not marked');
    assertEqual(await ctx.api.echo([1, 'a']), [1, 'a'], 'the connection still works');
    teardown(ctx);
});

test('an object handed out inside a container keeps the restriction of expose ()', async () => {
    const channel = new ComlinkGI.Channel();
    const inner = {open: () => 'open', closed: () => 'closed'};
    const connection = Comlink.expose({get: () => [Comlink.proxy(inner)], open: 1},
        channel.get_port1(), {allow: ['get', 'open']});
    const api = Comlink.wrap(channel.get_port2());
    const [remote] = await api.get();
    assertEqual(await remote.open(), 'open');
    await assertRejects(remote.closed(), isComlinkError(ComlinkGI.Error.NO_SUCH_METHOD));
    api[Comlink.releaseProxy]();
    connection.close();
});

// Without references, arrays and objects are GVariants as before; with
// one, a Comlink.Container: what a GObject's action signal declared as
// a GVariant sees
const Probe = GObject.registerClass({
    GTypeName: 'NestedTestProbe',
    Signals: {
        'variant-type': {
            flags: GObject.SignalFlags.RUN_LAST | GObject.SignalFlags.ACTION,
            param_types: [GObject.TYPE_VARIANT],
            return_type: GObject.TYPE_STRING,
        },
        'container-keys': {
            flags: GObject.SignalFlags.RUN_LAST | GObject.SignalFlags.ACTION,
            param_types: [ComlinkGI.Container.$gtype],
            return_type: GObject.TYPE_STRING,
        },
    },
}, class Probe extends GObject.Object {
    on_variant_type(variant) {
        return variant === null ? 'NULL' : variant.get_type_string();
    }

    on_container_keys(container) {
        const keys = [];
        for (let i = 0; i < container.get_n_items(); i++)
            keys.push(container.get_key(i));
        return `${container.is_dict() ? 'dict' : 'array'} ${keys.join(',')}`;
    }
});

test('arrays and objects without references still travel as GVariants', async () => {
    const channel = new ComlinkGI.Channel();
    const connection = Comlink.expose(new Probe(), channel.get_port1());
    const api = Comlink.wrap(channel.get_port2());
    assertEqual(await api['variant-type']([1, 'a']), 'av');
    assertEqual(await api['variant-type']({a: [1], b: {c: null}}), 'a{sv}');
    await assertRejects(api['variant-type']([Comlink.proxy(() => 1)]),
        isComlinkError(ComlinkGI.Error.TYPE_MISMATCH), 'a container is no GVariant');
    assertEqual(await api['container-keys']({b: Comlink.proxy(() => 1), a: 1}), 'dict b,a');
    assertEqual(await api['container-keys']({b: 2, a: 1}), 'dict b,a', 'converted from a{sv}');
    api[Comlink.releaseProxy]();
    connection.close();
});

// --- a GJS subprocess worker ---

// A Gio.UnixFDList of one descriptor, open on a file that holds `text`
function fdListWith(text) {
    const [fd, path] = GLib.file_open_tmp('comlink-nested-XXXXXX');
    GLib.close(fd);
    GLib.file_set_contents(path, text);
    const input = Gio.File.new_for_path(path).read(null);
    const list = new Gio.UnixFDList();
    list.append(input.get_fd());
    input.close(null);
    GLib.unlink(path);
    return list;
}

async function childHandlesAndDrop(api) {
    const [first, {handle, n}] = await api.makeHandles();
    assertEqual(await first.ping(), 'pong');
    assertEqual(await handle.ping(), 'pong');
    assertEqual(n, 2 ** 40);
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

test('GJS subprocess worker: references inside arrays and objects, both ways', async () => {
    const worker = ComlinkGI.Worker.new_subprocess(null, [gjsPath, '-m', childPath]);
    const api = Comlink.wrap(worker);
    const calls = [];
    const callback = Comlink.proxy(n => {
        calls.push(n);
        return n * 2;
    });
    assertEqual(await api.callIn({callback, value: 21}), 42, 'the child called the callback');
    assertEqual(calls, [21]);
    const greeter = new Greeter({name: 'parent'});
    const back = await api.echo({list: [greeter, undefined, null], callback});
    assert(back.list[0] === greeter && back.callback === callback, 'they come back as themselves');
    assertIs(back.list[1], undefined, 'undefined');
    assertIs(back.list[2], null, 'null');
    const stream = Gio.UnixInputStream.new(fdListWith('through a pipe').get(0), true);
    assertEqual(await api.readStreamIn({stream, length: 64}), 'through a pipe', 'a stream inside an object');
    await childHandlesAndDrop(api);
    assert(await pollRemote(() => api.releasedHandles, n => n === 2), 'the child released both handles');
    worker.terminate();
});

// --- the C child: what a C peer receives ---

async function cChildrenAndDrop(api) {
    const {child, more} = await api.make_children(5);
    assertEqual(await child.value, 5);
    assertEqual(await more[0].value, 6);
    assertEqual(await child.add(1, 2), 3);
    return [probe(Comlink.unwrap(child)), probe(Comlink.unwrap(more[0]))];
}

test('C child: a C peer receives containers, and sends them', async () => {
    assert(cChildPath, 'COMLINK_TEST_CHILD is set');
    const worker = ComlinkGI.Worker.new_subprocess(null, [cChildPath]);
    const api = Comlink.wrap(worker);
    const callback = Comlink.proxy(() => 1);
    assertEqual(await api.describe_container({cb: callback, n: 1}), '{cb: ComlinkProxy, n: int 1}');
    assertEqual(await api.describe_container([new Greeter(), null, undefined, 'a', [callback]]),
        '[ComlinkProxy, null, void, string a, [ComlinkProxy]]');
    assertEqual(await api.describe_container({callback, plain: [1, 2]}),
        '{callback: ComlinkProxy, plain: variant [<1>, <2>]}', 'a plain array inside is a GVariant');
    assertEqual(await api.describe_container({k: 2}), '{k: int 2}', 'a plain object, converted');
    assertEqual(await api.describe_container({fds: fdListWith('descriptor'), n: 1}),
        '{fds: fds descriptor, n: int 1}', 'an fd list inside an object');

    // Proxies of the C peer's objects, returned inside a container
    const connection = worker.get_connection();
    const base = connection.n_proxies;
    const probes = await cChildrenAndDrop(api);
    assert(await collectUntil(() => probes.every(p => p.dup_target() === null)), 'the proxies were finalized');
    assertEqual(connection.n_proxies, base, 'n-proxies is back');

    // GObjects of this side inside an array: the C peer calls them
    assertEqual(await api.add_all([new Greeter(), new Greeter()]), 3, 'the C peer called add () on each');
    // The peer's own objects, sent back to it inside an array
    const child = await api.make_child(10);
    const echoed = await api.echo_container([child, 'x']);
    assertEqual(await echoed[0].value, 10, 'a proxy of the peer’s object comes back usable');
    assertEqual(echoed[1], 'x');
    worker.terminate();
});

run({timeoutSeconds: 100});
