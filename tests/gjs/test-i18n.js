// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The GJS module's own messages and the library's reach a script in its
// language: run with LANGUAGE=de or zh_CN, LC_ALL=C.UTF-8 (gjs sets the
// locale from the environment) and COMLINK_TEST_LOCALE_DIR, the catalogs
// of the build tree.

import GLib from 'gi://GLib';
import ComlinkGI from 'gi://Comlink?version=1';
import Gettext from 'gettext';
import * as Comlink from '../../introspection/comlink.js';
import {test, run, assert, assertEqual, assertRejects, assertThrows} from './harness.js';

const EXPECTED = {
    de: {
        wrap: 'Comlink.wrap() nimmt einen Comlink.Worker, WorkerPool, Endpoint, Connection oder Proxy',
        symbol: 'Ein Symbol kann nicht als Wert gesendet werden; umhüllen Sie es mit Comlink.proxy(), ' +
            'um es als Referenz zu senden',
        method: 'Keine Methode „nope“',
        terminated: 'Der Worker „worker-child“ wurde beendet',
        poolSet: 'Die Worker eines Pools haben keine Eigenschaften, die sich setzen ließen: total',
        poolTerminated: 'Der Worker-Pool „worker-child“ wurde beendet',
    },
    zh_CN: {
        wrap: 'Comlink.wrap() 接受 Comlink.Worker、WorkerPool、Endpoint、Connection 或 Proxy',
        symbol: '符号无法按值发送；请用 Comlink.proxy() 包装它，以按引用发送',
        method: '没有方法“nope”',
        terminated: 'Worker“worker-child”已被终止',
        poolSet: '池中的 Worker 没有可设置的属性：total',
        poolTerminated: 'Worker 池“worker-child”已被终止',
    },
};

const language = GLib.getenv('LANGUAGE');
const localeDir = GLib.getenv('COMLINK_TEST_LOCALE_DIR');
const expected = EXPECTED[language];
if (expected === undefined || localeDir === null) {
    print('1..0 # SKIP set LANGUAGE to de or zh_CN, and COMLINK_TEST_LOCALE_DIR');
} else {
    // The module bound the domain to the installed catalogs on import
    // (through the library); this binding to the build tree's replaces it
    Gettext.bindtextdomain('comlink-glib-1', localeDir);

    const errorWith = (code, message) => e => {
        assert(e instanceof GLib.Error, `not a GLib.Error: ${e}`);
        assert(e.matches(ComlinkGI.Error, code), `expected Comlink error ${code}: ${e.message}`);
        assertEqual(e.message, message);
    };

    // A channel in this script: the exposing side's messages come back as
    // the caller's errors
    function exposed() {
        const channel = ComlinkGI.Channel.new();
        const connection = Comlink.expose({add: (a, b) => a + b}, channel.get_port1());
        return [Comlink.wrap(channel.get_port2()), connection];
    }

    test('a usage error', () => {
        assertThrows(() => Comlink.wrap(42), e => {
            assert(e instanceof TypeError, `not a TypeError: ${e}`);
            assertEqual(e.message, expected.wrap);
        });
    });

    test('a value that cannot be sent', async () => {
        const [api, connection] = exposed();
        await assertRejects(api.add(Symbol('s'), 1), errorWith(ComlinkGI.Error.NOT_TRANSFERABLE, expected.symbol));
        connection.close();
    });

    test('the exposing side', async () => {
        const [api, connection] = exposed();
        await assertRejects(api.nope(), errorWith(ComlinkGI.Error.NO_SUCH_METHOD, expected.method));
        connection.close();
    });

    test('a message of the library', async () => {
        const worker = ComlinkGI.Worker.new_subprocess(null, [GLib.getenv('COMLINK_TEST_CHILD')]);
        const api = Comlink.wrap(worker);
        worker.terminate();
        await assertRejects(api.add(1, 2), errorWith(ComlinkGI.Error.TERMINATED, expected.terminated));
    });

    test('a worker pool', async () => {
        const pool = ComlinkGI.WorkerPool.new_subprocess(null, [GLib.getenv('COMLINK_TEST_CHILD')], 1);
        const api = Comlink.wrap(pool);
        assertThrows(() => {
            api.total = 3;
        }, e => {
            assert(e instanceof TypeError, `not a TypeError: ${e}`);
            assertEqual(e.message, expected.poolSet);
        });
        pool.terminate();
        await assertRejects(api.add(1, 2), errorWith(ComlinkGI.Error.TERMINATED, expected.poolTerminated));
    });

    run();
}
