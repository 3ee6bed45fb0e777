// SPDX-License-Identifier: LGPL-2.1-or-later

// A child of the subprocess worker tests, in GJS (run with `gjs -m`):
// exposes a Calc to its parent and exits when the parent goes away.
//
//   add(a, b) -> a + b
//   ping()
//   hold()    keeps the request unanswered
//   value     a readable and writable int property

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Comlink from 'gi://Comlink?version=1';
import System from 'system';

const ACTION = GObject.SignalFlags.RUN_LAST | GObject.SignalFlags.ACTION;

const Calc = GObject.registerClass({
    GTypeName: 'GjsCalc',
    Properties: {
        'value': GObject.ParamSpec.int('value', 'Value', 'A number',
            GObject.ParamFlags.READWRITE,
            GLib.MININT32, GLib.MAXINT32, 0),
    },
    Signals: {
        'add': {
            flags: ACTION,
            param_types: [GObject.TYPE_INT, GObject.TYPE_INT],
            return_type: GObject.TYPE_INT,
        },
        'ping': {flags: ACTION},
        'hold': {flags: ACTION, param_types: [Comlink.Invocation.$gtype]},
    },
}, class Calc extends GObject.Object {
    constructor(params = {}) {
        super(params);
        this._value = 0;
        this._held = [];
    }

    get value() {
        return this._value;
    }

    set value(v) {
        if (v === this._value)
            return;
        this._value = v;
        this.notify('value');
    }

    on_add(a, b) {
        return a + b;
    }

    on_ping() {
    }

    on_hold(invocation) {
        this._held.push(invocation);
    }
});

const calc = new Calc();
try {
    Comlink.Worker.serve_parent(calc);
} catch (e) {
    printerr(e.message);
    System.exit(1);
}
