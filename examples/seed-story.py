#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The story comlink-glib exists for, in Python.

A processor object lives in a worker thread. The application calls its
slow process () method with a progress callback, and terminates the worker
in the middle of the work. The call fails at once with TERMINATED, and
every object involved (the worker, its connection, the proxy, the
callback, the processor in the worker thread) goes away: nothing stays in
memory, no thread is left.

With Comlink, the same call would stay pending forever and keep all of
that alive."""

import gc
import sys
import threading
import time
import weakref

import gi

gi.require_version('GLib', '2.0')
gi.require_version('Comlink', '1')
from gi.repository import Comlink, GLib  # noqa: E402

# --- the worker's side ---

processor_gone = threading.Event()


class Processor:
    """A plain Python object: Comlink.Worker.new_thread exposes it."""

    def process(self, progress, n_steps):
        for step in range(1, n_steps + 1):
            time.sleep(0.1)
            try:
                # A blocking call back into the application
                progress(step * 100 // n_steps)
            except GLib.Error as e:
                print('worker: progress failed at step %d (%s), stopping' % (step, e.message))
                raise
        return 'done'


def setup():
    processor = Processor()
    # Set when the processor is freed, in the worker's thread
    setup.ref = weakref.ref(processor, lambda _ref: processor_gone.set())
    return processor


# --- the application's side ---

def main():
    worker = Comlink.Worker.new_thread('processor', setup)
    api = Comlink.wrap(worker)
    n_progress = 0

    def on_progress(percent):
        nonlocal n_progress
        n_progress += 1
        print('app: progress %d%%' % percent)
        if n_progress == 3:
            print('app: terminating the worker in the middle of the work')
            worker.terminate()
            print('app: terminate returned; worker state is %s' % worker.get_state().value_nick.upper())

    progress = Comlink.proxy(on_progress)
    connection = worker.get_connection()

    # GObject weak references tell when each object is finalized
    gone = {}
    for name, obj in [('worker', worker), ('connection', connection),
                      ('proxy', Comlink.unwrap(api)), ('progress callback', progress)]:
        gone[name] = threading.Event()
        obj.weak_ref(gone[name].set)
    del obj
    api_ref = weakref.ref(api)

    print('app: calling process (10 steps of 100 ms) on a worker thread')
    error = None
    try:
        api.process(progress, 10)
    except GLib.Error as e:
        # Without its traceback, whose frames hold the call's locals
        error = e.with_traceback(None)
    n_proxies = connection.props.n_proxies

    # The application lets go of everything
    del api, worker, connection, progress, on_progress

    deadline = time.monotonic() + 5
    context = GLib.MainContext.default()
    while time.monotonic() < deadline and not (
            all(e.is_set() for e in gone.values()) and processor_gone.is_set() and api_ref() is None):
        gc.collect()
        if not context.iteration(False):
            time.sleep(0.001)

    if error is not None:
        print('app: the call failed: %s (%s, code %d)' % (error.message, error.domain, error.code))
    else:
        print('app: the call did not fail!')
    print('app: live proxies of the connection after terminate: %d' % n_proxies)
    print('app: the Remote was collected: %s' % ('yes' if api_ref() is None else 'NO'))
    for name, event in gone.items():
        print('app: %s finalized: %s' % (name, 'yes' if event.is_set() else 'NO'))
    print('app: processor freed in its thread: %s' % ('yes' if processor_gone.is_set() else 'NO'))

    ok = (error is not None and error.matches(Comlink.error_quark(), Comlink.Error.TERMINATED) and
          n_progress == 3 and n_proxies == 0 and api_ref() is None and
          all(e.is_set() for e in gone.values()) and processor_gone.is_set())
    print('Nothing was left behind.' if ok else 'Something was left behind!')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
