// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Comlink's feel in GJS, on top of the Comlink-1 typelib. The library
// carries this module as a resource; once a type of gi://Comlink was used
// (GJS then opens the library):
//
//   const Comlink = await import('resource:///org/gnome/Comlink/js/comlink.js');
//
//   const api = Comlink.wrap(worker);     // a worker, an endpoint or a proxy
//                                         // (or a worker pool: calls only)
//   await api.add(2, 3);                  // CALL
//   await api.counter;                    // GET
//   api.counter = 5;                      // SET, sent at once
//   const thing = await new api.Thing(1); // CONSTRUCT
//   const obj = await new api(1);         // CONSTRUCT of 'constructor'
//   api[Comlink.releaseProxy]();
//
//   Comlink.expose(obj, endpoint);        // obj: a plain object or class
//   Comlink.expose(obj);                  // in a subprocess worker
//   Comlink.expose(obj, endpoint, {allow: ['add', 'counter']});  // only these
//
// Lifetimes: an ES Proxy returned by wrap() holds the ComlinkProxy objects
// of its paths through plain JS references, nothing else does. When the
// script drops every ES Proxy of one wrap(), the garbage collector drops
// the ComlinkProxy wrappers, the proxies are finalized and the peer is
// told to release the object. A JS object exposed here is held by a
// GObject (ComlinkGjsExposed) that the connection holds while the peer
// holds a reference; when the peer releases it, the connection drops the
// GObject and the collector may take both. WeakRef and
// FinalizationRegistry are not used: GJS 1.74 does not collect their
// targets.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import ComlinkGI from 'gi://Comlink?version=1';
import Gettext from 'gettext';

// The messages of this module are translated in the library's gettext
// domain (GETTEXT_PACKAGE in meson.build), through GLib.dgettext as the
// library's own messages are. The library binds the domain to its locale
// folder when comlink_error_quark () is first called.
const GETTEXT_DOMAIN = 'comlink-glib-1';
ComlinkGI.error_quark();
const {gettext: _, ngettext} = Gettext.domain(GETTEXT_DOMAIN);

// `message` with each %s (or %d) replaced by the next of `args`, as
// xgettext's javascript-format has it
function format(message, ...args) {
    let i = 0;
    return message.replace(/%[sd]/g, () => String(args[i++]));
}

/** Call `api[releaseProxy]()` to release the remote object. */
export const releaseProxy = Symbol('Comlink.releaseProxy');
/** `await api[createEndpoint]()` gives a new endpoint to the same object. */
export const createEndpoint = Symbol('Comlink.endpoint');
/** An exposed object's `[finalizer]()` runs when the peer releases it. */
export const finalizer = Symbol('Comlink.finalizer');
/** `await api[subscribe](signal, handler)` connects to a remote signal. */
export const subscribe = Symbol('Comlink.subscribe');
/** `api[unsubscribe](id)` ends a subscription. */
export const unsubscribe = Symbol('Comlink.unsubscribe');
/** Marks an object or function that travels by reference. */
export const proxyMarker = Symbol('Comlink.proxy');

/**
 * Named transfer handlers: `transferHandlers.set(name, {canHandle(value),
 * serialize(value) => [wireValue, transferables], deserialize(wireValue)})`.
 * Both sides register the same name; the wire value is any value this
 * module can send by value.
 */
export const transferHandlers = new Map();

const state = Symbol('Comlink.state');
// The member that a CONSTRUCT of the remote object itself names
const ROOT_CONSTRUCTOR = 'constructor';
const callOptionsTag = Symbol('Comlink.callOptions');

const JS_ERROR_DOMAIN = GLib.quark_from_string('comlink-js-error-quark');
const JS_VALUE_DOMAIN = GLib.quark_from_string('comlink-js-value-quark');
const HANDLER_TAG = 'comlink-js-handler';

// Error constructors by code in JS_ERROR_DOMAIN
const errorTypes = [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError];

// Marks the errors of this module's own dispatch, which send no stack
const ownError = Symbol('Comlink.ownError');

function comlinkError(code, message) {
    const error = new GLib.Error(ComlinkGI.error_quark(), code, message);
    error[ownError] = true;
    return error;
}

function releasedError() {
    return new Error(_('Proxy has been released and is not useable'));
}

// --- Values: JS to GValue ---------------------------------------------------

function gvalue(type, setter, v) {
    const value = new GObject.Value();
    value.init(type);
    value[setter](v);
    return value;
}

function isPlainObject(v) {
    const proto = Object.getPrototypeOf(v);
    return proto === Object.prototype || proto === null;
}

function isByReference(v) {
    return (typeof v === 'object' || typeof v === 'function') && v !== null &&
        Object.prototype.hasOwnProperty.call(v, proxyMarker) && v[proxyMarker];
}

function esProxyState(v) {
    if (typeof v !== 'function')
        return undefined;
    try {
        return v[state];
    } catch {
        return undefined;
    }
}

function findHandler(v) {
    for (const [name, handler] of transferHandlers) {
        if (handler.canHandle(v))
            return [name, handler];
    }
    return null;
}

function numberToVariant(n) {
    if (Number.isInteger(n) && n >= -0x80000000 && n <= 0x7fffffff)
        return new GLib.Variant('i', n);
    if (Number.isSafeInteger(n))
        return new GLib.Variant('x', n);
    return new GLib.Variant('d', n);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

// The 64-bit type of a BigInt: int64 where it fits, else uint64
function bigintType(v) {
    if (v >= INT64_MIN && v <= INT64_MAX)
        return 'x';
    if (v > INT64_MAX && v <= UINT64_MAX)
        return 't';
    throw comlinkError(ComlinkGI.Error.NOT_TRANSFERABLE,
        format(_('The BigInt %s does not fit in a 64-bit integer'), v));
}

// A GVariant `x` or `t` as a number, or as a BigInt where a number cannot
// hold it. GLib.Variant's getters would give a rounded number (and GJS
// a warning), so the value is read from its text.
function int64FromVariant(variant) {
    const v = BigInt(variant.print(false));
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

// GTypes whose GValues GJS reads as numbers, rounding those past 2^53
const INT64_GTYPES = [GObject.TYPE_INT64, GObject.TYPE_UINT64, GObject.TYPE_LONG, GObject.TYPE_ULONG];

// A symbol or a function sent by value
function notTransferable(v) {
    return comlinkError(ComlinkGI.Error.NOT_TRANSFERABLE, typeof v === 'symbol'
        ? _('A symbol cannot be sent by value; wrap it with Comlink.proxy() to send it by reference')
        : _('A function cannot be sent by value; wrap it with Comlink.proxy() to send it by reference'));
}

// Writes a JS value as a GVariant, for arrays and objects that hold no
// reference and for the values of transfer handlers.
function toVariant(v) {
    if (v === null)
        return new GLib.Variant('mv', null);
    if (v === undefined)
        return new GLib.Variant('m()', null);
    switch (typeof v) {
    case 'boolean':
        return new GLib.Variant('b', v);
    case 'number':
        return numberToVariant(v);
    case 'bigint':
        return new GLib.Variant(bigintType(v), v);
    case 'string':
        return new GLib.Variant('s', v);
    case 'symbol':
        throw notTransferable(v);
    default:
        break;
    }

    const handled = findHandler(v);
    if (handled !== null) {
        const [name, handler] = handled;
        const [wire] = handler.serialize(v);
        return new GLib.Variant('(ssv)', [HANDLER_TAG, name, toVariant(wire)]);
    }
    if (v instanceof GLib.Variant)
        return v;
    if (v instanceof Uint8Array)
        return new GLib.Variant('ay', v);
    if (v instanceof GLib.Bytes)
        return new GLib.Variant('ay', v.toArray());
    if (isByReference(v) || esProxyState(v) !== undefined || v instanceof GObject.Object ||
        v instanceof ComlinkGI.Container) {
        throw comlinkError(ComlinkGI.Error.NOT_TRANSFERABLE,
            _('The value of a transfer handler cannot hold an object that travels by reference'));
    }
    if (typeof v === 'function')
        throw notTransferable(v);
    if (Array.isArray(v))
        return new GLib.Variant('av', v.map(toVariant));

    // A property that holds undefined is carried, as structured cloning
    // does (JSON would leave it out)
    const dict = {};
    for (const [key, item] of Object.entries(v))
        dict[key] = toVariant(item);
    return new GLib.Variant('a{sv}', dict);
}

// How deep arrays and objects that hold references nest, as the library
// sends them (ComlinkContainer)
const MAX_CONTAINER_DEPTH = 16;

// What an item of an array or object is to the choice between a GVariant
// and a container: a value that travels by reference, an array or object
// to look into, or a value that a GVariant holds (or that toVariant()
// refuses), in the order toNative() tells them apart
const ITEM_PLAIN = 0;
const ITEM_REFERENCE = 1;
const ITEM_NESTED = 2;

function itemKind(v) {
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null)
        return ITEM_PLAIN;
    if (esProxyState(v) !== undefined || isByReference(v))
        return ITEM_REFERENCE;
    if (findHandler(v) !== null)
        return ITEM_PLAIN;
    if (v instanceof GObject.Object || v instanceof ComlinkGI.Container)
        return ITEM_REFERENCE;
    if (typeof v === 'function' || v instanceof GLib.Variant || v instanceof Uint8Array ||
        v instanceof GLib.Bytes)
        return ITEM_PLAIN;
    return ITEM_NESTED;
}

function itemsOf(v) {
    return Array.isArray(v) ? Array.from(v) : Object.values(v);
}

// Whether the array or object `v` holds, at any depth, a value that
// travels by reference; adds each array and object that does to
// `holders`. An array or object that holds itself cannot travel.
function holdsReference(v, holders, ancestors = new Set()) {
    if (ancestors.has(v)) {
        throw comlinkError(ComlinkGI.Error.NOT_TRANSFERABLE,
            _('An array or object that holds itself cannot be sent'));
    }
    ancestors.add(v);
    let holds = false;
    for (const item of itemsOf(v)) {
        const kind = itemKind(item);
        if (kind === ITEM_REFERENCE || (kind === ITEM_NESTED && holdsReference(item, holders, ancestors)))
            holds = true;
    }
    ancestors.delete(v);
    if (holds)
        holders.add(v);
    return holds;
}

// An array or object that holds references as a Comlink.Container: an
// array, or a dictionary of its own enumerable properties, each item
// converted as toNative() converts a value on its own
function toContainer(v, allow, holders, depth) {
    if (depth >= MAX_CONTAINER_DEPTH) {
        throw comlinkError(ComlinkGI.Error.NOT_TRANSFERABLE,
            format(ngettext('Arrays and objects that hold references cannot nest more than %d level deep',
                'Arrays and objects that hold references cannot nest more than %d levels deep',
                MAX_CONTAINER_DEPTH), MAX_CONTAINER_DEPTH));
    }
    const item = x => holders.has(x) ? toContainer(x, allow, holders, depth + 1) : toNative(x, allow);
    if (Array.isArray(v)) {
        const container = ComlinkGI.Container.new_array();
        for (const x of Array.from(v))
            container.append(item(x));
        return container;
    }
    const container = ComlinkGI.Container.new_dict();
    for (const [key, x] of Object.entries(v))
        container.insert(key, item(x));
    return container;
}

// Turns a JS value into what a GValue argument of the typelib takes: a
// GObject.Value of the right type, or an object that GJS puts in a
// GValue of its own type (GObject, GLib.Bytes). An object or function
// marked with proxy() is exposed with the restriction `allow` (see
// expose()).
function toNative(v, allow = null) {
    const proxyState = esProxyState(v);
    if (proxyState !== undefined)
        return proxyState.family.proxyFor(proxyState.path);

    // undefined is no value (the wire's NONE), which a GValue argument
    // says as the GVariant m() Nothing; null is a NULL GVariant, which
    // travels as the wire's NULL
    if (v === undefined)
        return gvalue(GObject.TYPE_VARIANT, 'set_variant', toVariant(undefined));
    if (v === null)
        return gvalue(GObject.TYPE_VARIANT, 'set_variant', null);
    switch (typeof v) {
    case 'boolean':
        return gvalue(GObject.TYPE_BOOLEAN, 'set_boolean', v);
    case 'number':
        if (Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff)
            return gvalue(GObject.TYPE_INT, 'set_int', v);
        if (Number.isSafeInteger(v))
            return gvalue(GObject.TYPE_INT64, 'set_int64', v);
        return gvalue(GObject.TYPE_DOUBLE, 'set_double', v);
    case 'bigint':
        if (bigintType(v) === 'x')
            return gvalue(GObject.TYPE_INT64, 'set_int64', v);
        return gvalue(GObject.TYPE_UINT64, 'set_uint64', v);
    case 'string':
        return gvalue(GObject.TYPE_STRING, 'set_string', v);
    case 'symbol':
        throw notTransferable(v);
    default:
        break;
    }

    if (isByReference(v))
        return new Exposed(v, allow);
    if (findHandler(v) !== null)
        return gvalue(GObject.TYPE_VARIANT, 'set_variant', toVariant(v));
    if (v instanceof GObject.Object)
        return v;
    if (v instanceof GLib.Bytes)
        return v;
    if (v instanceof Uint8Array)
        return new GLib.Bytes(v);
    if (v instanceof GLib.Variant)
        return gvalue(GObject.TYPE_VARIANT, 'set_variant', v);
    if (v instanceof ComlinkGI.Container)
        return v;
    if (typeof v === 'function')
        throw notTransferable(v);
    // An array or object that holds a reference travels as a container;
    // one that holds none as a GVariant, which is cheaper
    const holders = new Set();
    if (holdsReference(v, holders))
        return toContainer(v, allow, holders, 0);
    return gvalue(GObject.TYPE_VARIANT, 'set_variant', toVariant(v));
}

// --- Values: GValue to JS ---------------------------------------------------

function fromVariant(variant) {
    const type = variant.get_type_string();

    if (type === 'a{sv}') {
        const result = {};
        const n = variant.n_children();
        for (let i = 0; i < n; i++) {
            const entry = variant.get_child_value(i);
            result[entry.get_child_value(0).get_string()[0]] =
                fromVariant(entry.get_child_value(1).get_variant());
        }
        return result;
    }
    if (type === 'av') {
        const result = [];
        const n = variant.n_children();
        for (let i = 0; i < n; i++)
            result.push(fromVariant(variant.get_child_value(i).get_variant()));
        return result;
    }
    if (type === 'v')
        return fromVariant(variant.get_variant());
    if (type === 'm()' && variant.get_maybe() === null)
        return undefined;
    if (type.startsWith('m')) {
        const child = variant.get_maybe();
        return child === null ? null : fromVariant(child);
    }
    if (type === 'ay')
        return variant.get_data_as_bytes().toArray();
    if (type === '(ssv)' && variant.get_child_value(0).get_string()[0] === HANDLER_TAG) {
        const name = variant.get_child_value(1).get_string()[0];
        const handler = transferHandlers.get(name);
        if (handler === undefined)
            throw comlinkError(ComlinkGI.Error.PROTOCOL, format(_('A value of the unknown transfer handler “%s”'), name));
        return handler.deserialize(fromVariant(variant.get_child_value(2).get_variant()));
    }
    if (type === 'x' || type === 't')
        return int64FromVariant(variant);
    // recursiveUnpack () would round the 64-bit integers inside
    if (/[xtv]/.test(type))
        return unpackContainer(variant, type);
    return variant.recursiveUnpack();
}

// A container that may hold 64-bit integers, unpacked as recursiveUnpack ()
// does: dictionaries as objects, arrays and tuples as arrays
function unpackContainer(variant, type) {
    const n = variant.n_children();
    const children = [];
    for (let i = 0; i < n; i++)
        children.push(variant.get_child_value(i));
    if (type.startsWith('a{')) {
        const result = {};
        for (const entry of children)
            result[fromVariant(entry.get_child_value(0))] = fromVariant(entry.get_child_value(1));
        return result;
    }
    return children.map(child => fromVariant(child));
}

// An item of a Comlink.Container as fromNative() reads a value: no value
// (GType 0) is undefined, and a 64-bit integer is read exactly
function containerItem(container, i) {
    const type = container.get_item_type(i);
    if (!type)
        return undefined;
    if (INT64_GTYPES.includes(type))
        return int64FromVariant(container.dup_item_variant(i));
    return fromNative(container.get_item(i));
}

// A Comlink.Container as an array, or as a plain object with its keys in
// their order
function fromContainer(container) {
    const n = container.get_n_items();
    if (!container.is_dict()) {
        const result = [];
        for (let i = 0; i < n; i++)
            result.push(containerItem(container, i));
        return result;
    }
    const result = {};
    for (let i = 0; i < n; i++) {
        // Defined, not assigned: a key `__proto__` is a property like any other
        Object.defineProperty(result, container.get_key(i), {
            value: containerItem(container, i),
            enumerable: true,
            writable: true,
            configurable: true,
        });
    }
    return result;
}

function fromNative(v) {
    if (v instanceof ComlinkGI.Container)
        return fromContainer(v);
    if (v instanceof ComlinkGI.Proxy)
        return createProxy(new Family(v, null), []);
    if (v instanceof Exposed)
        return v.target; // one of ours, back by reference
    if (v instanceof GLib.Variant)
        return fromVariant(v);
    if (v instanceof GLib.Bytes)
        return v.toArray();
    return v;
}

function invocationArgs(invocation) {
    const n = invocation.get_n_args();
    const args = [];
    for (let i = 0; i < n; i++) {
        // GType 0 (no value) is undefined; GJS cannot read such a GValue.
        // A null comes as a NULL gpointer, which GJS reads as null.
        const type = invocation.get_arg_type(i);
        if (!type)
            args.push(undefined);
        else if (INT64_GTYPES.includes(type))
            args.push(int64FromVariant(invocation.dup_arg_variant(i)));
        else
            args.push(fromNative(invocation.get_arg(i)));
    }
    return args;
}

// --- Errors -----------------------------------------------------------------

// What an exposed function threw, as the GError the caller receives
function toGError(e) {
    if (e instanceof GLib.Error)
        return e;
    if (e instanceof Error) {
        const code = Math.max(0, errorTypes.findIndex(type => e.constructor === type));
        return new GLib.Error(JS_ERROR_DOMAIN, code, String(e.message));
    }
    if (e === undefined)
        return new GLib.Error(JS_VALUE_DOMAIN, 1, 'undefined');
    let json;
    try {
        json = JSON.stringify(e);
    } catch {
        json = undefined;
    }
    return new GLib.Error(JS_VALUE_DOMAIN, 0, json ?? JSON.stringify(String(e)));
}

// The class of what an exposed function threw, sent beside the GError:
// its name, or its constructor's name for a subclass that keeps 'Error'
function errorClassName(e) {
    if (e instanceof GLib.Error)
        return 'GLib.Error';
    if (!(e instanceof Error))
        return null;
    const name = typeof e.name === 'string' ? e.name : '';
    const ctor = typeof e.constructor?.name === 'string' ? e.constructor.name : '';
    return (name && name !== 'Error' ? name : ctor || name) || null;
}

// Answers with what an exposed function threw, its class and its stack
// beside the GError
function returnError(invocation, e) {
    const error = toGError(e);
    if (e instanceof GLib.Error && e[ownError]) {
        invocation.return_gerror(error);
        return;
    }
    const stack = (e instanceof Error || e instanceof GLib.Error) && typeof e.stack === 'string'
        ? withoutOwnFrames(e.stack) : null;
    invocation.return_error_with_details(error, errorClassName(e), stack);
}

// A stack cut where this module's dispatch called the exposed function:
// the first frame of this module below a frame of another file, and all
// below it (the dispatch, and what ran the main loop)
function withoutOwnFrames(stack) {
    const lines = stack.replace(/\n$/, '').split('\n');
    const own = line => line.includes(import.meta.url);
    const cut = lines.findIndex((line, i) => i > 0 && own(line) && !own(lines[i - 1]));
    return (cut > 0 ? lines.slice(0, cut) : lines).join('\n');
}

// What the caller throws for a GError of the peer
function fromGError(e) {
    if (!(e instanceof GLib.Error))
        return e;
    if (e.domain === JS_ERROR_DOMAIN) {
        const Type = errorTypes[e.code] ?? Error;
        const error = new Type(e.message);
        error.domain = e.domain;
        error.code = e.code;
        return error;
    }
    if (e.domain === JS_VALUE_DOMAIN) {
        if (e.code === 1)
            return undefined;
        try {
            return JSON.parse(e.message);
        } catch {
            return e.message;
        }
    }
    return e;
}

// --- Calls ------------------------------------------------------------------

/**
 * Options for one call, given as the last argument:
 * `await api.slow(x, Comlink.callOptions({cancellable, timeout}))`.
 * `timeout` is in milliseconds.
 */
export function callOptions({cancellable = null, timeout = -1} = {}) {
    return {[callOptionsTag]: true, cancellable, timeout};
}

function splitOptions(args) {
    const last = args[args.length - 1];
    if (typeof last === 'object' && last !== null && last[callOptionsTag])
        return [args.slice(0, -1), last];
    return [args, {cancellable: null, timeout: -1}];
}

// The stack of the peer's exception, when it sent one, goes after the
// local stack of the error the caller receives
function withRemoteStack(error, proxy, res) {
    if (proxy === null || !(error instanceof Error || error instanceof GLib.Error))
        return error;
    const [sent, remoteName, remoteStack] = proxy.get_error_details(res);
    if (!sent)
        return error;
    error.remoteName = remoteName;
    error.remoteStack = remoteStack;
    if (remoteStack !== null) {
        const local = typeof error.stack === 'string' ? error.stack.replace(/\n$/, '') : '';
        error.stack = `${local}\n--- remote ---\n${remoteStack}`;
    }
    return error;
}

function settle(resolve, reject, finish, proxy = null, res = null) {
    try {
        resolve(finish());
    } catch (e) {
        reject(withRemoteStack(fromGError(e), proxy, res));
    }
}

// The result of a call or a read; a 64-bit integer comes as a GVariant,
// read exactly, and nothing as the GVariant m() Nothing, read as undefined
function propagateResult(proxy, res) {
    return fromNative(proxy.propagate_int64_as_variant(res));
}

function remoteCall(proxy, method, args) {
    return new Promise((resolve, reject) => {
        const [values, options] = splitOptions(args);
        const natives = values.map(v => toNative(v));
        proxy.call_full_async(method, natives, options.timeout, options.cancellable,
            (p, res) => settle(resolve, reject, () => propagateResult(p, res), p, res));
    });
}

function remoteGet(proxy, name) {
    return new Promise((resolve, reject) => {
        proxy.get_async(name, null,
            (p, res) => settle(resolve, reject, () => propagateResult(p, res), p, res));
    });
}

function remoteSet(proxy, name, value) {
    return new Promise((resolve, reject) => {
        proxy.set_async(name, toNative(value), null,
            (p, res) => settle(resolve, reject, () => {
                p.set_finish(res);
            }, p, res));
    });
}

function remoteConstruct(proxy, args) {
    return new Promise((resolve, reject) => {
        const [values, options] = splitOptions(args);
        proxy.construct_async(null, values.map(v => toNative(v)), options.cancellable,
            (p, res) => settle(resolve, reject, () => fromNative(p.construct_finish(res)), p, res));
    });
}

// --- The ES Proxy -----------------------------------------------------------

// What the ES Proxies of one wrap() share: the root ComlinkProxy, the
// proxies of the paths used so far, and whether they were released.
class Family {
    constructor(root, owner) {
        this.root = root;
        this.owner = owner; // a worker wrapped by the script stays alive with its proxy
        this.children = new Map();
        this.released = false;
    }

    proxyFor(path) {
        if (path.length === 0)
            return this.root;
        const key = path.join('\0');
        let proxy = this.children.get(key);
        if (proxy === undefined) {
            proxy = this.proxyFor(path.slice(0, -1)).get_child(path[path.length - 1]);
            this.children.set(key, proxy);
        }
        return proxy;
    }

    release() {
        if (this.released)
            return;
        this.released = true;
        for (const child of [...this.children.values()].reverse())
            child.release();
        this.children.clear();
        this.root.release();
    }
}

function createProxy(family, path) {
    const check = () => {
        if (family.released)
            throw releasedError();
    };
    const parentProxy = () => family.proxyFor(path.slice(0, -1));
    const last = path[path.length - 1];

    return new Proxy(function () {}, {
        get(_target, prop) {
            if (prop === state)
                return {family, path};
            check();
            if (prop === releaseProxy) {
                return () => {
                    family.release();
                    return Promise.resolve();
                };
            }
            if (prop === createEndpoint) {
                return () => new Promise((resolve, reject) => {
                    family.proxyFor(path).create_endpoint_async(null,
                        (p, res) => settle(resolve, reject, () => p.create_endpoint_finish(res)));
                });
            }
            if (prop === subscribe) {
                return (signal, handler) => new Promise((resolve, reject) => {
                    // 64-bit arguments come as GVariants, which GJS does not round
                    const closure = (_self, ...args) => handler(...args.map(fromNative));
                    family.proxyFor(path).subscribe_full_async(signal,
                        ComlinkGI.SubscribeFlags.INT64_AS_VARIANT, closure, null,
                        (p, res) => settle(resolve, reject, () => p.subscribe_full_finish(res)));
                });
            }
            if (prop === unsubscribe)
                return id => family.proxyFor(path).unsubscribe(id);
            if (prop === 'then') {
                if (path.length === 0)
                    return undefined;
                const promise = remoteGet(parentProxy(), last);
                return promise.then.bind(promise);
            }
            if (typeof prop === 'symbol')
                return undefined;
            return createProxy(family, [...path, prop]);
        },
        set(_target, prop, value) {
            check();
            if (typeof prop === 'symbol')
                return false;
            // Sent now: later requests on the connection see the new value.
            // A failure has nobody to report to, as in Comlink.
            remoteSet(family.proxyFor(path), prop, value).catch(() => {});
            return true;
        },
        apply(_target, _thisArg, args) {
            check();
            if (last === 'bind' && path.length > 0)
                return createProxy(family, path.slice(0, -1));
            if (path.length === 0)
                return remoteCall(family.root, null, args);
            return remoteCall(parentProxy(), last, args);
        },
        construct(_target, args) {
            check();
            // The library constructs only through the proxy of a name:
            // `new api()` names the remote object's own constructor, which
            // the exposing side of this module answers with the class
            return remoteConstruct(family.proxyFor(path.length === 0 ? [ROOT_CONSTRUCTOR] : path), args);
        },
    });
}

// --- Worker pools -----------------------------------------------------------

function poolCall(pool, method, args) {
    return new Promise((resolve, reject) => {
        const [values, options] = splitOptions(args);
        const natives = values.map(v => toNative(v));
        pool.call_full_async(method, natives, options.timeout, options.cancellable,
            (p, res) => settle(resolve, reject, () => fromNative(p.propagate_int64_as_variant(res)), p, res));
    });
}

// The ES Proxy of a Comlink.WorkerPool: every member is a method, called
// on the least busy worker; the pool has no one object whose properties
// could be read or written. It holds the pool.
function createPoolProxy(pool) {
    return new Proxy(function () {}, {
        get(_target, prop) {
            // Not a thenable, and none of the symbols of wrap()'s proxies
            if (prop === 'then' || typeof prop === 'symbol')
                return undefined;
            return (...args) => poolCall(pool, prop, args);
        },
        set(_target, prop) {
            throw new TypeError(format(_('The workers of a pool have no properties to set: %s'), String(prop)));
        },
        apply(_target, _thisArg, args) {
            return poolCall(pool, null, args);
        },
    });
}

/**
 * Returns an ES Proxy for the remote object of `target`: a
 * Comlink.Worker, a Comlink.Endpoint (the peer exposes an object on it),
 * a Comlink.Connection, or a Comlink.Proxy. For a Comlink.WorkerPool,
 * the ES Proxy calls the object its workers expose: `await api.add(1, 2)`
 * runs on the least busy worker (see the pool's scheduling); its members
 * are methods only.
 */
export function wrap(target) {
    if (target instanceof ComlinkGI.WorkerPool)
        return createPoolProxy(target);
    if (target instanceof ComlinkGI.Worker)
        return createProxy(new Family(target.get_proxy(), target), []);
    if (target instanceof ComlinkGI.Endpoint)
        return createProxy(new Family(ComlinkGI.wrap(target), null), []);
    if (target instanceof ComlinkGI.Connection)
        return createProxy(new Family(target.wrap(), null), []);
    if (target instanceof ComlinkGI.Proxy)
        return createProxy(new Family(target, null), []);
    throw new TypeError(_('Comlink.wrap() takes a Comlink.Worker, WorkerPool, Endpoint, Connection or Proxy'));
}

/**
 * Connects to the service at `address` (`unix:path=...`,
 * `unix:abstract=...`, `tcp:host=...,port=...`; see
 * `Comlink.connect_async ()`) and resolves to an ES Proxy of the object it
 * exposes. `options.client`, a Comlink.Client, gives TLS settings.
 */
export function connect(address, {cancellable = null, client = null} = {}) {
    return new Promise((resolve, reject) => {
        const done = (_source, res) => {
            try {
                resolve(wrap(client ? client.connect_finish(res) : ComlinkGI.connect_finish(res)));
            } catch (e) {
                reject(e);
            }
        };
        if (client)
            client.connect_async(address, cancellable, done);
        else
            ComlinkGI.connect_async(address, cancellable, done);
    });
}

/**
 * Connects to the service that owns `busName` on `options.bus` (by default
 * the session bus), which hands out a connection of its own, and resolves
 * to an ES Proxy of the object it exposes. The bus starts the service if a
 * D-Bus service file names it.
 */
export function connectBus(busName, {cancellable = null, bus = null, objectPath = null, client = null} = {}) {
    const connector = client ?? ComlinkGI.Client.new();
    return new Promise((resolve, reject) => {
        connector.connect_bus_async(bus, busName, objectPath, cancellable, (_source, res) => {
            try {
                resolve(wrap(connector.connect_bus_finish(res)));
            } catch (e) {
                reject(e);
            }
        });
    });
}

/**
 * Closes the connection of an ES Proxy from connect () or connectBus ():
 * its pending calls fail, and the service drops what this client held.
 */
export function disconnect(api) {
    unwrap(api).dup_connection()?.close();
}

/** The Comlink.Proxy behind an ES Proxy of wrap(), for its GObject API. */
export function unwrap(api) {
    const proxyState = esProxyState(api);
    if (proxyState === undefined)
        throw new TypeError(_('Not a proxy made by Comlink.wrap()'));
    if (proxyState.family.released)
        throw releasedError();
    return proxyState.family.proxyFor(proxyState.path);
}

/** Marks `obj` (an object or a function) to travel by reference. */
export function proxy(obj) {
    Object.defineProperty(obj, proxyMarker, {value: true, configurable: true});
    return obj;
}

// --- Exposing ---------------------------------------------------------------

let currentInvocationObject = null;

/**
 * The Comlink.Invocation being served, while an exposed function runs and
 * until its first `await`: its cancellable fires when the caller cancels.
 */
export function currentInvocation() {
    return currentInvocationObject;
}

// What a peer may reach of an exposed object: its members, own or
// inherited from its class, but never those of Object.prototype or
// Function.prototype (`toString`, `call`, `bind`, `__defineGetter__`, ...)
// and never `constructor`, `prototype` or `__proto__` (the way to
// Function, which compiles code, and to the prototypes that every object
// shares). Names that start with an underscore are members like any
// other, as in Comlink.
const HIDDEN_MEMBERS = new Set(['constructor', 'prototype', '__proto__']);

function isSharedPrototype(o) {
    return o === Object.prototype || o === Function.prototype;
}

function isReachable(object, name) {
    if (HIDDEN_MEMBERS.has(name))
        return false;
    for (let o = Object(object); o !== null && !isSharedPrototype(o); o = Object.getPrototypeOf(o)) {
        if (Object.prototype.hasOwnProperty.call(o, name))
            return true;
    }
    return false;
}

// Whether a write of `name` may make or change a member: not a hidden
// one, and not one that the object has only from Object.prototype or
// Function.prototype (which an own member would shadow)
function isWritable(object, name) {
    if (HIDDEN_MEMBERS.has(name))
        return false;
    return isReachable(object, name) ||
        !(name in (typeof object === 'function' ? Function.prototype : Object.prototype));
}

// The restriction given to expose () as `allow`, as a predicate of
// (name, object), or null for none
function restrictionOf(allow) {
    if (allow === undefined || allow === null)
        return null;
    if (typeof allow === 'function')
        return allow;
    if (Array.isArray(allow) || allow instanceof Set) {
        const names = new Set(allow);
        for (const name of names) {
            if (typeof name !== 'string')
                throw new TypeError(_('Comlink.expose: `allow` lists member names (strings)'));
        }
        return name => names.has(name);
    }
    throw new TypeError(_('Comlink.expose: `allow` is an array or Set of member names, or a function'));
}

// Whether the restriction lets the peer reach `object[name]`. A predicate
// that throws refuses: the peer gets the answer of a missing member, and
// the exception goes to stderr (not as a GLib warning, which a program
// may have made fatal).
function isAllowed(allow, object, name) {
    if (allow === null)
        return true;
    try {
        return Boolean(allow(name, object));
    } catch (e) {
        // Translators: the first %s is the name of a member, the second an exception
        printerr(format(_('Comlink: the allow predicate threw for “%s”: %s'), name, e));
        return false;
    }
}

function resolvePath(root, path, allow) {
    let object = root;
    for (const name of path) {
        if (object === null || object === undefined)
            break;
        object = isReachable(object, name) && isAllowed(allow, object, name) ? object[name] : undefined;
    }
    if (object === null || object === undefined || (typeof object !== 'object' && typeof object !== 'function'))
        throw comlinkError(ComlinkGI.Error.NO_SUCH_OBJECT, format(_('No object at “%s”'), path.join('.')));
    return object;
}

function runExposed(invocation, fn) {
    currentInvocationObject = invocation;
    try {
        return fn();
    } finally {
        currentInvocationObject = null;
    }
}

function isFunctionConstructor(Klass) {
    return Klass === Function || Object.prototype.isPrototypeOf.call(Function, Klass);
}

// What a CONSTRUCT of `member` on `object` instantiates. `constructor`
// names the object itself when it is a class (the peer's `new api ()`),
// and otherwise only an own member of that name, never the inherited
// `Object` or `Function`. Function and its kin (AsyncFunction, ...) are
// never constructed: they would compile the peer's arguments as code.
function constructibleOf(object, member, allow) {
    let Klass;
    if (!isAllowed(allow, object, member))
        Klass = undefined;
    else if (member !== ROOT_CONSTRUCTOR)
        Klass = isReachable(object, member) ? object[member] : undefined;
    else if (typeof object === 'function')
        Klass = object;
    else if (Object.prototype.hasOwnProperty.call(object, member))
        Klass = object[member];
    if (typeof Klass !== 'function' || isFunctionConstructor(Klass))
        throw comlinkError(ComlinkGI.Error.NOT_CONSTRUCTIBLE, format(_('No constructible “%s”'), member));
    return Klass;
}

// Serves one request on `root`, exposed with the restriction `allow`
async function serve(root, allow, invocation) {
    const kind = invocation.get_kind();
    const member = invocation.get_member();
    const object = resolvePath(root, invocation.get_path(), allow);
    const args = invocationArgs(invocation);

    switch (kind) {
    case ComlinkGI.InvocationKind.CALL: {
        let fn;
        if (member === '')
            fn = object;
        else if (isReachable(object, member) && isAllowed(allow, object, member))
            fn = object[member];
        if (typeof fn !== 'function')
            throw comlinkError(ComlinkGI.Error.NO_SUCH_METHOD, format(_('No method “%s”'), member));
        return runExposed(invocation, () => fn.apply(member === '' ? undefined : object, args));
    }
    case ComlinkGI.InvocationKind.GET:
        if (!isReachable(object, member) || !isAllowed(allow, object, member))
            throw comlinkError(ComlinkGI.Error.NO_SUCH_PROPERTY, format(_('No property “%s”'), member));
        return object[member];
    case ComlinkGI.InvocationKind.SET:
        // A new member may be made, but not a hidden one
        if (!isWritable(object, member) || !isAllowed(allow, object, member))
            throw comlinkError(ComlinkGI.Error.NO_SUCH_PROPERTY, format(_('No property “%s”'), member));
        object[member] = args[0];
        return undefined;
    case ComlinkGI.InvocationKind.CONSTRUCT: {
        const Klass = constructibleOf(object, member, allow);
        const names = invocation.get_names();
        const params = names.length > 0
            ? [Object.fromEntries(names.map((name, i) => [name, args[i]]))]
            : args;
        return proxy(runExposed(invocation, () => new Klass(...params)));
    }
    default:
        throw comlinkError(ComlinkGI.Error.PROTOCOL, format(_('Unknown request %d'), kind));
    }
}

// The type name of a value whose type is not declared, and the most
// entries of each list of a description (the library drops the rest)
const ANY_TYPE = 'any';
const MAX_DESCRIBED = 1024;

// Describes an exposed object as serve() answers it: its reachable
// functions are methods (as many parameters of any type as they declare),
// its other reachable members properties, readable, and writable unless
// they are read-only; a member that `allow` refuses is not listed.
// Accessors are not run.
function describe(object, allow) {
    const methods = [];
    const properties = [];
    const seen = new Set();
    let complete = true;
    for (let o = Object(object); o !== null && o !== Object.prototype && o !== Function.prototype;
        o = Object.getPrototypeOf(o)) {
        for (const name of Object.getOwnPropertyNames(o)) {
            if (seen.has(name) || HIDDEN_MEMBERS.has(name) || !isAllowed(allow, object, name))
                continue;
            seen.add(name);
            const descriptor = Object.getOwnPropertyDescriptor(o, name);
            const isMethod = 'value' in descriptor && typeof descriptor.value === 'function';
            const list = isMethod ? methods : properties;
            if (list.length === MAX_DESCRIBED) {
                complete = false;
                continue;
            }
            if (isMethod) {
                methods.push([name, new Array(descriptor.value.length).fill(ANY_TYPE), ANY_TYPE]);
            } else {
                const readable = 'value' in descriptor || descriptor.get !== undefined;
                const writable = 'value' in descriptor ? descriptor.writable : descriptor.set !== undefined;
                properties.push([name, ANY_TYPE, (readable ? 1 : 0) | (writable ? 2 : 0)]);
            }
        }
    }
    const type = typeof object === 'function' ? 'Function' : object.constructor?.name ?? 'Object';
    return new GLib.Variant('a{sv}', {
        type: new GLib.Variant('s', String(type)),
        methods: new GLib.Variant('a(sass)', methods),
        properties: new GLib.Variant('a(ssu)', properties),
        signals: new GLib.Variant('a(sas)', []),
        complete: new GLib.Variant('b', complete),
    });
}

function answer(invocation, result, allow) {
    // undefined travels as nothing and null as a null (see toNative()).
    // An object handed out by reference is reached under the same
    // restriction.
    invocation.return_value(toNative(result, allow));
}

// The GObject that stands for a JS object or function on the wire
const Exposed = GObject.registerClass({
    GTypeName: 'ComlinkGjsExposed',
    Implements: [ComlinkGI.Exposable],
}, class Exposed extends GObject.Object {
    constructor(target, allow = null) {
        super();
        this.target = target;
        this.allow = allow; // a predicate of (name, object), or null
    }

    vfunc_invoke(invocation) {
        // Nothing may escape: an exception in a vfunc is only logged, and
        // the caller would wait for an answer that never comes
        serve(this.target, this.allow, invocation)
            .then(result => answer(invocation, result, this.allow))
            .catch(e => {
                try {
                    returnError(invocation, e);
                } catch (inner) {
                    invocation.return_gerror(toGError(inner));
                }
            });
    }

    vfunc_describe(path) {
        return describe(resolvePath(this.target, path, this.allow), this.allow);
    }

    vfunc_released(_connection) {
        const fn = this.target?.[finalizer];
        if (typeof fn === 'function') {
            try {
                fn.call(this.target);
            } catch (e) {
                logError(e, _('Comlink: an exposed object’s finalizer threw'));
            }
        }
    }
});

/**
 * Exposes `obj` on `endpoint` (a Comlink.Endpoint) and returns the
 * Comlink.Connection. A GObject is exposed as it is (properties, action
 * signals, signals); any other object or function through its JS
 * members. Without an endpoint (undefined or null), in the child of a
 * subprocess worker: exposes `obj` to the parent and serves it until the
 * parent goes away.
 *
 * `options.allow` restricts what the peer reaches: an array (or Set) of
 * member names, or a predicate `(name, object) => boolean`. It applies to
 * every name the peer uses (each step of a path, and the member it reads,
 * writes, calls or constructs) on `obj` and on every object that `obj`
 * or those below it hand out by reference. A refused member fails as a
 * missing one does.
 */
export function expose(obj, endpoint = null, {allow} = {}) {
    const restriction = restrictionOf(allow);
    if (obj instanceof GObject.Object && restriction !== null)
        throw new TypeError(_('Comlink.expose: `allow` applies to JS objects; a GObject exposes its properties and action signals'));
    const object = obj instanceof GObject.Object ? obj : new Exposed(obj, restriction);
    if (endpoint === undefined || endpoint === null)
        return ComlinkGI.Worker.serve_parent(object);
    return ComlinkGI.expose(object, endpoint);
}

export default {
    wrap, unwrap, expose, proxy, connect, connectBus, disconnect, callOptions, currentInvocation,
    releaseProxy, createEndpoint, finalizer, subscribe, unsubscribe, proxyMarker,
    transferHandlers,
};
