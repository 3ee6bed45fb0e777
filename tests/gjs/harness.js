// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A small TAP harness for the GJS tests: tests run one after the other in
// the default main context; a test fails on an exception or a rejected
// promise. A watchdog ends the process with an error if the suite hangs.

import GLib from 'gi://GLib';
import System from 'system';

const tests = [];

export function test(name, fn) {
    tests.push({name, fn});
}

export class AssertionError extends Error {}

export function assert(condition, message = 'assertion failed') {
    if (!condition)
        throw new AssertionError(message);
}

export function assertEqual(actual, expected, message = '') {
    const a = JSON.stringify(actual, (_k, v) => typeof v === 'bigint' ? `${v}n` : v);
    const e = JSON.stringify(expected, (_k, v) => typeof v === 'bigint' ? `${v}n` : v);
    if (a !== e || typeof actual !== typeof expected)
        throw new AssertionError(`${message ? `${message}: ` : ''}expected ${e}, got ${a}`);
}

export async function assertRejects(promise, check, message = 'expected a rejection') {
    let settled = false;
    try {
        await promise;
        settled = true;
    } catch (e) {
        check(e);
    }
    if (settled)
        throw new AssertionError(message);
}

export function assertThrows(fn, check = () => {}) {
    try {
        fn();
    } catch (e) {
        check(e);
        return;
    }
    throw new AssertionError('expected an exception');
}

// Resolves after the default main context ran for `ms` milliseconds
export function sleep(ms) {
    return new Promise(resolve => GLib.timeout_add(GLib.PRIORITY_DEFAULT, ms, () => {
        resolve();
        return GLib.SOURCE_REMOVE;
    }));
}

// Collects garbage and lets idle sources (releases, toggle notifications)
// run until `condition` holds or `timeoutMs` passed
export async function collectUntil(condition, timeoutMs = 5000) {
    const end = GLib.get_monotonic_time() + timeoutMs * 1000;
    for (;;) {
        System.gc();
        await sleep(10);
        if (condition())
            return true;
        if (GLib.get_monotonic_time() > end)
            return false;
    }
}

export function run({timeoutSeconds = 60} = {}) {
    const loop = new GLib.MainLoop(null, false);
    let failures = 0;

    GLib.timeout_add_seconds(GLib.PRIORITY_HIGH, timeoutSeconds, () => {
        print(`Bail out! the suite did not finish within ${timeoutSeconds} s`);
        System.exit(2);
        return GLib.SOURCE_REMOVE;
    });

    (async () => {
        print(`1..${tests.length}`);
        for (const [i, {name, fn}] of tests.entries()) {
            try {
                await fn();
                print(`ok ${i + 1} - ${name}`);
            } catch (e) {
                failures++;
                print(`not ok ${i + 1} - ${name}`);
                for (const line of `${e}\n${e?.stack ?? ''}`.split('\n'))
                    print(`# ${line}`);
            }
        }
    })().finally(() => loop.quit());

    loop.run();
    System.exit(failures > 0 ? 1 : 0);
}
