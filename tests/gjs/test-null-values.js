// SPDX-License-Identifier: LGPL-2.1-or-later
//
// undefined and null stay apart: as arguments, results and properties, and
// inside arrays and objects; on a channel in this script and through a GJS
// subprocess worker (child.js); and from a GObject, served by C.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import ComlinkGI from 'gi://Comlink?version=1';
import * as Comlink from '../../introspection/comlink.js';
import {test, run, assert, assertEqual} from './harness.js';

const gjsPath = GLib.getenv('COMLINK_TEST_GJS') ?? 'gjs';
const childPath = GLib.build_filenamev([GLib.path_get_dirname(
    GLib.filename_from_uri(import.meta.url)[0]), 'child.js']);

function makeApi() {
    return {
        undefinedProp: undefined,
        nullProp: null,
        returnsNothing() {},
        returnsNull: () => null,
        echo: v => v,
        kindOf: (...args) => args.map(v => v === undefined ? 'undefined' : v === null ? 'null' : typeof v),
    };
}

// Exactly undefined or exactly null, which assertEqual does not tell apart
function assertIs(actual, expected, message) {
    assert(actual === expected, `${message}: expected ${String(expected)}, got ${String(actual)}`);
}

async function checkApi(api, where) {
    assertIs(await api.returnsNothing(), undefined, `${where}: a function returning nothing`);
    assertIs(await api.returnsNull(), null, `${where}: a function returning null`);
    assertIs(await api.undefinedProp, undefined, `${where}: a property holding undefined`);
    assertIs(await api.nullProp, null, `${where}: a property holding null`);
    assertIs(await api.echo(undefined), undefined, `${where}: undefined round-trips`);
    assertIs(await api.echo(null), null, `${where}: null round-trips`);
    assertEqual(await api.kindOf(undefined, null, 1), ['undefined', 'null', 'number'], `${where}: arguments`);
    assertEqual(await api.kindOf(), [], `${where}: no arguments`);

    const array = await api.echo([1, undefined, null]);
    assertEqual(array.length, 3, `${where}: array length`);
    assertIs(array[0], 1, `${where}: array[0]`);
    assertIs(array[1], undefined, `${where}: undefined in an array`);
    assertIs(array[2], null, `${where}: null in an array`);
    assert(1 in array, `${where}: the undefined element is there, not a hole`);

    const object = await api.echo({a: undefined, b: null, c: [undefined, {d: undefined, e: null}]});
    assert('a' in object, `${where}: a property holding undefined is carried`);
    assertIs(object.a, undefined, `${where}: {a: undefined}`);
    assertIs(object.b, null, `${where}: {b: null}`);
    assertIs(object.c[0], undefined, `${where}: undefined in a nested array`);
    assert('d' in object.c[1], `${where}: a nested property holding undefined`);
    assertIs(object.c[1].d, undefined, `${where}: nested undefined`);
    assertIs(object.c[1].e, null, `${where}: nested null`);

    // Setting a property to undefined or null
    api.nullProp = undefined;
    assertIs(await api.nullProp, undefined, `${where}: set to undefined`);
    api.nullProp = null;
    assertIs(await api.nullProp, null, `${where}: set to null`);
}

test('channel: undefined and null stay apart', async () => {
    const channel = new ComlinkGI.Channel();
    const target = makeApi();
    const connection = Comlink.expose(target, channel.get_port1());
    const api = Comlink.wrap(channel.get_port2());
    await checkApi(api, 'channel');
    // What the exposed object received
    await (api.undefinedProp = undefined);
    await api.echo(0); // the set has been served
    assert('undefinedProp' in target && target.undefinedProp === undefined, 'the set reached the object');
    api[Comlink.releaseProxy]();
    connection.close();
});

test('GJS subprocess worker: undefined and null stay apart', async () => {
    const worker = ComlinkGI.Worker.new_subprocess(null, [gjsPath, '-m', childPath]);
    const api = Comlink.wrap(worker);
    await checkApi(api, 'subprocess');
    worker.terminate();
});

// A GObject's action signals are served by the C library: a void signal
// answers nothing, a NULL GVariant or string a null
const Nulls = GObject.registerClass({
    Signals: {
        'nothing': {flags: GObject.SignalFlags.RUN_LAST | GObject.SignalFlags.ACTION},
        'null-variant': {
            flags: GObject.SignalFlags.RUN_LAST | GObject.SignalFlags.ACTION,
            return_type: GObject.TYPE_VARIANT,
        },
        'null-string': {
            flags: GObject.SignalFlags.RUN_LAST | GObject.SignalFlags.ACTION,
            return_type: GObject.TYPE_STRING,
        },
        'variant-kind': {
            flags: GObject.SignalFlags.RUN_LAST | GObject.SignalFlags.ACTION,
            param_types: [GObject.TYPE_VARIANT],
            return_type: GObject.TYPE_STRING,
        },
    },
}, class Nulls extends GObject.Object {
    on_null_variant() {
        return null;
    }

    on_null_string() {
        return null;
    }

    on_variant_kind(variant) {
        return variant === null ? 'NULL' : variant.get_type_string();
    }
});

test('GObject served by C: nothing is undefined, a NULL is null', async () => {
    const channel = new ComlinkGI.Channel();
    const connection = Comlink.expose(new Nulls(), channel.get_port1());
    const api = Comlink.wrap(channel.get_port2());
    assertIs(await api.nothing(), undefined, 'a void action signal');
    assertIs(await api['null-variant'](), null, 'a NULL GVariant');
    assertIs(await api['null-string'](), null, 'a NULL string');
    // undefined and null both reach a declared GVariant as NULL
    assertEqual(await api['variant-kind'](undefined), 'NULL', 'undefined to a GVariant parameter');
    assertEqual(await api['variant-kind'](null), 'NULL', 'null to a GVariant parameter');
    assertEqual(await api['variant-kind']([1]), 'av', 'an array to a GVariant parameter');
    api[Comlink.releaseProxy]();
    connection.close();
});

run();
