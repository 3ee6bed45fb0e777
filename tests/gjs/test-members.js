// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What a peer reaches of an exposed JS object (names with an underscore,
// never the built-ins every object inherits, and only what an allow list
// or predicate lets through), and 64-bit integers, exactly, both ways: on
// a channel in this script, and against GJS and C subprocess workers.
// The suite runs with warnings fatal, so a rounded 64-bit value (GJS
// warns) fails it.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import ComlinkGI from 'gi://Comlink?version=1';
import * as Comlink from '../../introspection/comlink.js';
import {test, run, assert, assertEqual, assertRejects, assertThrows} from './harness.js';

const gjsPath = GLib.getenv('COMLINK_TEST_GJS') ?? 'gjs';
const childPath = GLib.build_filenamev([GLib.path_get_dirname(
    GLib.filename_from_uri(import.meta.url)[0]), 'child.js']);
const cChildPath = GLib.getenv('COMLINK_TEST_CHILD');

const {NO_SUCH_METHOD, NO_SUCH_PROPERTY, NO_SUCH_OBJECT, NOT_CONSTRUCTIBLE, NOT_TRANSFERABLE,
    TYPE_MISMATCH} = ComlinkGI.Error;

function isComlinkError(code) {
    return e => {
        assert(e instanceof GLib.Error, `not a GLib.Error: ${e}`);
        assert(e.matches(ComlinkGI.Error, code), `expected Comlink error ${code}, got ${e.domain}/${e.code}: ${e.message}`);
    };
}

// A write through the ES Proxy reports nothing: this one reports its error
function set(api, name, value) {
    const v = new GObject.Value();
    v.init(GObject.TYPE_INT);
    v.set_int(value);
    return new Promise((resolve, reject) => {
        Comlink.unwrap(api).set_async(name, v, null, (p, res) => {
            try {
                resolve(p.set_finish(res));
            } catch (e) {
                reject(e);
            }
        });
    });
}

class Counter {
    constructor(start = 0) {
        this.count = start;
        this._step = 1;
    }

    increment() {
        this.count += this._step;
        return this.count;
    }
}

function makeObject() {
    return {
        value: 3,
        items: ['a'],
        _counter: 7,
        _nested: {_deep: 'deep', label: 'label'},
        nested: {label: 'nested', _hidden: 'hidden', inner: {answer: () => 42}},
        Counter,
        add: (a, b) => a + b,
        echo: v => v,
        typeOf: v => typeof v,
        _bump(by) {
            this._counter += by;
            return this._counter;
        },
        makeHandle() {
            return Comlink.proxy({name: 'handle', secret: 's', ping: () => 'pong'});
        },
        tooBig: () => 2n ** 64n,
    };
}

function setup(obj, options) {
    const channel = new ComlinkGI.Channel();
    Comlink.expose(obj, channel.get_port1(), options);
    return Comlink.wrap(channel.get_port2());
}

// --- names ---

test('names with an underscore are reachable', async () => {
    const obj = makeObject();
    const api = setup(obj);
    assertEqual(await api._counter, 7);
    assertEqual(await api._bump(3), 10);
    assertEqual(obj._counter, 10);
    api._counter = 20;
    assertEqual(await api._counter, 20);
    assertEqual(obj._counter, 20);
    assertEqual(await api._nested._deep, 'deep');
    assertEqual(await api.nested._hidden, 'hidden');
    await set(api, '_created', 1);
    assertEqual(obj._created, 1, 'a new member with an underscore can be made');
    const counter = await new api.Counter(1);
    assertEqual(await counter._step, 1);
    api[Comlink.releaseProxy]();
});

test('the built-ins every object inherits stay unreachable', async () => {
    const obj = makeObject();
    const api = setup(obj);
    const builtins = ['toString', 'toLocaleString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf',
        'propertyIsEnumerable', '__defineGetter__', '__defineSetter__', '__lookupGetter__',
        '__lookupSetter__'];
    for (const name of [...builtins, 'constructor', '__proto__']) {
        await assertRejects(api[name], isComlinkError(NO_SUCH_PROPERTY), `get ${name}`);
        await assertRejects(api[name](), isComlinkError(NO_SUCH_METHOD), `call ${name}`);
        await assertRejects(api[name].x, isComlinkError(NO_SUCH_OBJECT), `path ${name}`);
        await assertRejects(set(api, name, 1), isComlinkError(NO_SUCH_PROPERTY), `set ${name}`);
    }
    for (const name of ['call', 'apply', 'bind', 'prototype', 'constructor', 'length', 'name', 'toString']) {
        if (name !== 'length' && name !== 'name')
            await assertRejects(api.add[name], isComlinkError(NO_SUCH_PROPERTY), `get add.${name}`);
    }
    await assertRejects(set(api.add, 'call', 1), isComlinkError(NO_SUCH_PROPERTY));
    await assertRejects(api.Counter.prototype.increment(), isComlinkError(NO_SUCH_OBJECT));
    await assertRejects(new api.constructor(), isComlinkError(NOT_CONSTRUCTIBLE));
    await assertRejects(new api.toString(), isComlinkError(NOT_CONSTRUCTIBLE));
    for (const name of builtins)
        assert(!Object.prototype.hasOwnProperty.call(obj, name), `${name} was not shadowed`);
    assertEqual(await api.add(1, 2), 3);
    api[Comlink.releaseProxy]();
});

// --- allow ---

const ALLOW = ['add', 'value', '_counter', 'nested', 'label', 'Counter', 'increment', 'makeHandle', 'ping'];

for (const [kind, allow] of [['an array', ALLOW], ['a Set', new Set(ALLOW)], ['a predicate', name => ALLOW.includes(name)]]) {
    test(`allow as ${kind}: get, set, call, construct and paths`, async () => {
        const obj = makeObject();
        const api = setup(obj, {allow});
        assertEqual(await api.add(1, 2), 3);
        assertEqual(await api.value, 3);
        api.value = 4;
        assertEqual(await api.value, 4);
        assertEqual(await api._counter, 7);
        assertEqual(await api.nested.label, 'nested');
        // Refused: the same error as a missing member
        await assertRejects(api.echo(1), isComlinkError(NO_SUCH_METHOD));
        await assertRejects(api._bump(1), isComlinkError(NO_SUCH_METHOD));
        await assertRejects(api.items, isComlinkError(NO_SUCH_PROPERTY));
        await assertRejects(set(api, 'items', 1), isComlinkError(NO_SUCH_PROPERTY));
        await assertRejects(set(api, 'newMember', 1), isComlinkError(NO_SUCH_PROPERTY));
        assertEqual(obj.items, ['a']);
        assertEqual(obj.newMember, undefined);
        await assertRejects(api.nested._hidden, isComlinkError(NO_SUCH_PROPERTY));
        await assertRejects(api.nested.inner.answer(), isComlinkError(NO_SUCH_OBJECT));
        await assertRejects(api._nested.label, isComlinkError(NO_SUCH_OBJECT));
        let missing, refused;
        await assertRejects(api.noSuchMember(), e => {
            missing = e.message;
        });
        await assertRejects(api.echo(), e => {
            refused = e.message;
        });
        assertEqual(refused, missing.replace('noSuchMember', 'echo'), 'a refusal tells nothing more');
        // Constructed and by-reference objects are restricted too
        const counter = await new api.Counter(5);
        assertEqual(await counter.increment(), 6);
        await assertRejects(counter.count, isComlinkError(NO_SUCH_PROPERTY));
        await assertRejects(counter._step, isComlinkError(NO_SUCH_PROPERTY));
        const handle = await api.makeHandle();
        assertEqual(await handle.ping(), 'pong');
        await assertRejects(handle.secret, isComlinkError(NO_SUCH_PROPERTY));
        await assertRejects(new api.makeHandle.constructor(), isComlinkError(NOT_CONSTRUCTIBLE));
        await assertRejects(new api(), isComlinkError(NOT_CONSTRUCTIBLE));
        counter[Comlink.releaseProxy]();
        handle[Comlink.releaseProxy]();
        api[Comlink.releaseProxy]();
    });
}

test('an allow predicate gets the name and the object that holds it', async () => {
    const obj = makeObject();
    const seen = [];
    const api = setup(obj, {
        allow: (name, holder) => {
            seen.push([name, holder]);
            return !(holder instanceof Counter) || name === 'increment';
        },
    });
    assertEqual(await api.add(2, 2), 4);
    assert(seen.some(([name, holder]) => name === 'add' && holder === obj));
    const counter = await new api.Counter(1);
    assertEqual(await counter.increment(), 2);
    await assertRejects(counter.count, isComlinkError(NO_SUCH_PROPERTY));
    assert(seen.some(([name, holder]) => name === 'count' && holder instanceof Counter));
    counter[Comlink.releaseProxy]();
    api[Comlink.releaseProxy]();
});

test('an allow predicate that throws refuses', async () => {
    const api = setup(makeObject(), {
        allow: name => {
            if (name === 'value')
                throw new Error('predicate bug');
            return true;
        },
    });
    await assertRejects(api.value, isComlinkError(NO_SUCH_PROPERTY));
    assertEqual(await api.add(1, 1), 2);
    api[Comlink.releaseProxy]();
});

test('expose checks its allow option', () => {
    const channel = new ComlinkGI.Channel();
    assertThrows(() => Comlink.expose({}, channel.get_port1(), {allow: 'add'}), e => assert(e instanceof TypeError));
    assertThrows(() => Comlink.expose({}, channel.get_port1(), {allow: [1]}), e => assert(e instanceof TypeError));
    assertThrows(() => Comlink.expose(new GObject.Object(), channel.get_port1(), {allow: ['notify']}),
        e => assert(e instanceof TypeError));
});

// --- 64-bit integers ---

const BIGINTS = [2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 63n, 2n ** 64n - 1n];

async function checkBigInts(api) {
    for (const value of BIGINTS)
        assertEqual(await api.echo(value), value, `echo ${value}`);
    // Those a number holds arrive as numbers
    assertEqual(await api.echo(2n ** 53n - 1n), 2 ** 53 - 1);
    assertEqual(await api.echo(-5n), -5);
    assertEqual(await api.echo(2 ** 53 - 1), 2 ** 53 - 1);
    assertEqual(await api.echo(BIGINTS), BIGINTS, 'in an array');
    assertEqual(await api.echo({big: 2n ** 64n - 1n, small: -(2n ** 63n), n: 1}),
        {big: 2n ** 64n - 1n, small: -(2n ** 63n), n: 1}, 'in an object');
    for (const value of [2n ** 64n, -(2n ** 63n) - 1n, 2n ** 100n]) {
        await assertRejects(api.echo(value), isComlinkError(NOT_TRANSFERABLE), `echo ${value}`);
        await assertRejects(api.echo([value]), isComlinkError(NOT_TRANSFERABLE), `echo [${value}]`);
    }
}

test('64-bit integers arrive exactly, as BigInt past 2^53', async () => {
    const obj = makeObject();
    const api = setup(obj);
    await checkBigInts(api);
    assertEqual(await api.typeOf(2n ** 60n), 'bigint', 'the exposed side gets a BigInt');
    assertEqual(await api.typeOf(2n ** 40n), 'number', 'or a number where one holds it');
    await assertRejects(api.tooBig(), isComlinkError(NOT_TRANSFERABLE));
    api.value = 2n ** 64n - 1n;
    assertEqual(await api.value, 2n ** 64n - 1n, 'a property');
    assertEqual(obj.value, 2n ** 64n - 1n);
    api[Comlink.releaseProxy]();
});

// --- subprocess workers ---

function startGjsWorker(...args) {
    return ComlinkGI.Worker.new_subprocess(null, [gjsPath, '-m', childPath, ...args]);
}

test('GJS child: underscore members, built-ins, 64-bit integers', async () => {
    const worker = startGjsWorker();
    const api = Comlink.wrap(worker);
    assertEqual(await api._hidden, 'underscore');
    assertEqual(await api._double(21), 42);
    await assertRejects(api.toString(), isComlinkError(NO_SUCH_METHOD));
    await assertRejects(api.__proto__, isComlinkError(NO_SUCH_PROPERTY));
    await checkBigInts(api);
    assertEqual(await api.big(), 2n ** 64n - 1n);
    worker.terminate();
});

test('GJS child with an allow list', async () => {
    const worker = startGjsWorker('restricted');
    const api = Comlink.wrap(worker);
    assertEqual(await api.add(1, 2), 3);
    assertEqual(await api._hidden, 'underscore');
    assertEqual(await api.nested.deep.answer(), 42);
    assertEqual(await api.big(), 2n ** 64n - 1n);
    await assertRejects(api._double(1), isComlinkError(NO_SUCH_METHOD));
    await assertRejects(api.counter, isComlinkError(NO_SUCH_PROPERTY));
    await assertRejects(set(api, 'counter', 1), isComlinkError(NO_SUCH_PROPERTY));
    await assertRejects(api.makeHandle(), isComlinkError(NO_SUCH_METHOD));
    const counter = await new api.Counter(3);
    assertEqual(await counter.increment(), 4);
    await assertRejects(counter.count, isComlinkError(NO_SUCH_PROPERTY));
    await assertRejects(new api.Tally(), isComlinkError(NOT_CONSTRUCTIBLE));
    worker.terminate();
});

test('C child: 64-bit integers to and from declared gint64 and guint64', async () => {
    assert(cChildPath, 'COMLINK_TEST_CHILD is set');
    const worker = ComlinkGI.Worker.new_subprocess(null, [cChildPath]);
    const api = Comlink.wrap(worker);
    assertEqual(await api.echo_int64(-(2n ** 63n)), -(2n ** 63n));
    assertEqual(await api.echo_int64(2n ** 63n - 1n), 2n ** 63n - 1n);
    assertEqual(await api.echo_int64(2 ** 40), 2 ** 40);
    assertEqual(await api.echo_uint64(2n ** 64n - 1n), 2n ** 64n - 1n);
    assertEqual(await api.echo_uint64(2n ** 53n + 1n), 2n ** 53n + 1n);
    assertEqual(await api.echo_uint64(7n), 7);
    await assertRejects(api.echo_int64(2n ** 63n), isComlinkError(TYPE_MISMATCH));
    await assertRejects(api.echo_uint64(-1n), isComlinkError(TYPE_MISMATCH));
    await assertRejects(api.echo_uint64(2n ** 64n), isComlinkError(NOT_TRANSFERABLE));
    worker.terminate();
});

run();
