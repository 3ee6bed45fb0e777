// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The typelib without the module: Gio._promisify works on every _async
// function of Comlink, and each promise settles as its _finish says.

import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import ComlinkGI from 'gi://Comlink?version=1';
import {test, run, assert, assertEqual, assertRejects, collectUntil} from './harness.js';

const ACTION = GObject.SignalFlags.RUN_LAST | GObject.SignalFlags.ACTION;

const Thing = GObject.registerClass({
    GTypeName: 'PromisifyThing',
    Properties: {
        'level': GObject.ParamSpec.int('level', null, null, GObject.ParamFlags.READWRITE, 0, 100, 0),
    },
    Signals: {
        'add': {flags: ACTION, param_types: [GObject.TYPE_INT, GObject.TYPE_INT], return_type: GObject.TYPE_INT},
        'fire': {flags: ACTION, param_types: [GObject.TYPE_INT]},
        'changed': {param_types: [GObject.TYPE_INT]},
    },
}, class Thing extends GObject.Object {
    on_add(a, b) {
        return a + b;
    }

    on_fire(n) {
        this.emit('changed', n);
    }
});

// Every _async method of every class of the namespace
function asyncMethods() {
    const found = [];
    for (const name of Object.keys(ComlinkGI)) {
        const klass = ComlinkGI[name];
        if (typeof klass !== 'function' || !klass.prototype)
            continue;
        for (const method of Object.getOwnPropertyNames(klass.prototype)) {
            if (method.endsWith('_async'))
                found.push([klass, method, method.replace(/_async$/, '_finish')]);
        }
    }
    return found;
}

function intValue(n) {
    const value = new GObject.Value();
    value.init(GObject.TYPE_INT);
    value.set_int(n);
    return value;
}

test('every _async method has a _finish and promisifies', () => {
    const methods = asyncMethods();
    assert(methods.length >= 8, `found ${methods.length} _async methods`);
    for (const [klass, method, finish] of methods) {
        assert(typeof klass.prototype[finish] === 'function', `${method} has ${finish}`);
        Gio._promisify(klass.prototype, method, finish);
    }
});

test('each promisified method resolves, or rejects with its error', async () => {
    const channel = ComlinkGI.Channel.new();
    const thing = new Thing();
    ComlinkGI.register_constructible(thing, 'Thing', Thing.$gtype);
    const connection = ComlinkGI.expose(thing, channel.get_port1());
    const proxy = ComlinkGI.wrap(channel.get_port2());

    assertEqual(await proxy.call_async('add', [intValue(2), intValue(3)], null), 5);
    assertEqual(await proxy.call_full_async('add', [intValue(4), intValue(5)], 1000, null), 9);
    assert(await proxy.set_async('level', intValue(7), null));
    assertEqual(await proxy.get_async('level', null), 7);

    const made = await proxy.get_child('Thing').construct_async(['level'], [intValue(3)], null);
    assert(made instanceof ComlinkGI.Proxy, 'construct gives a proxy');
    assertEqual(await made.get_async('level', null), 3);
    assert(await made.release_async(null));

    const seen = [];
    const id = await proxy.subscribe_async('changed', (source, n) => seen.push(n), null);
    assert(id > 0, 'a subscription id');
    await proxy.call_async('fire', [intValue(6)], null);
    assert(await collectUntil(() => seen.length === 1), 'the emission arrived');
    assertEqual(seen, [6]);
    proxy.unsubscribe(id);

    const endpoint = await proxy.create_endpoint_async(null);
    assert(endpoint instanceof ComlinkGI.Endpoint, 'a new endpoint');
    const second = ComlinkGI.wrap(endpoint);
    assertEqual(await second.call_async('add', [intValue(1), intValue(1)], null), 2);
    await second.release_async(null);

    await assertRejects(proxy.call_async('no-such-method', [], null),
        e => assert(e.matches(ComlinkGI.Error, ComlinkGI.Error.NO_SUCH_METHOD), `${e}`));
    await assertRejects(proxy.get_async('no-such-property', null),
        e => assert(e.matches(ComlinkGI.Error, ComlinkGI.Error.NO_SUCH_PROPERTY), `${e}`));

    connection.close();
    await assertRejects(proxy.call_async('add', [intValue(1), intValue(1)], null),
        e => assert(e.matches(ComlinkGI.Error, ComlinkGI.Error.CLOSED), `${e}`));
});

run();
