# SPDX-License-Identifier: LGPL-2.1-or-later
"""A Python GObject exposed as it is in a thread worker, used through
Comlink.wrap: action signals, properties, paths, errors, callbacks, remote
signals, cancellation, timeouts and terminate."""

import threading

import pytest

from objects import (COMLINK_DOMAIN, IO_DOMAIN, Calc, Comlink, Gio, GLib, assert_error,
                     iterate_until)


@pytest.fixture
def calc_worker(thread_worker):
    """(worker, api, calc): calc is the object of the worker thread."""
    made = []

    def setup():
        made.append(Calc())
        return made[0]

    worker = thread_worker(setup, 'calc')
    api = Comlink.wrap(worker)
    assert api.add(0, 0) == 0  # the worker is running, made[0] exists
    return worker, api, made[0]


def test_action_signals_are_methods(calc_worker):
    _worker, api, _calc = calc_worker
    assert api.add(2, 3) == 5
    assert api.add(-7, 3) == -4
    assert api.half(5) == 2.5  # an int converts to the declared double
    assert isinstance(api.add, Comlink.RemoteMethod)


def test_properties_as_attributes(calc_worker):
    _worker, api, calc = calc_worker
    assert api.value == 0
    assert api.label == 'calc'
    api.value = 42
    assert calc.value == 42
    assert api.value == 42
    api.label = 'renamed'
    assert api.label == 'renamed'
    assert Comlink.get(api, 'value') == 42
    Comlink.set(api, 'value', 7)
    assert calc.value == 7


def test_path_through_object_property(calc_worker):
    _worker, api, _calc = calc_worker
    leaf = api.leaf
    assert isinstance(leaf, Comlink.Remote)
    assert leaf.name == 'leaf'
    assert api.leaf.greet('you') == 'leaf greets you'
    leaf.name = 'green'
    assert api.leaf.greet('me') == 'green greets me'


def test_errors_keep_domain_and_code(calc_worker):
    _worker, api, _calc = calc_worker
    with pytest.raises(GLib.Error) as info:
        api.fail(IO_DOMAIN, int(Gio.IOErrorEnum.NOT_FOUND))
    assert_error(info.value, IO_DOMAIN, Gio.IOErrorEnum.NOT_FOUND)
    assert info.value.message == 'failed on purpose'
    assert info.value.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND)

    with pytest.raises(GLib.Error) as info:
        api.no_such_method()
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.NO_SUCH_METHOD)

    with pytest.raises(GLib.Error) as info:
        api.add(1)
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.INVALID_ARGUMENTS)

    with pytest.raises(GLib.Error) as info:
        api.add('two', 3)
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.TYPE_MISMATCH)

    with pytest.raises(GLib.Error) as info:
        Comlink.set(api, 'no_such_property', 1)
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.NO_SUCH_PROPERTY)

    with pytest.raises(GLib.Error) as info:
        Comlink.get(api, 'no_such_property')
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.NO_SUCH_PROPERTY)


def test_callbacks_run_during_a_blocking_call(calc_worker):
    """The worker calls back into this thread while it waits for the
    result: the blocking call runs this thread's main context."""
    _worker, api, _calc = calc_worker
    seen = []

    def on_item(i):
        seen.append((i, threading.current_thread() is threading.main_thread()))
        return i * 10

    assert api.each(Comlink.proxy(on_item), 4) == 60
    assert seen == [(0, True), (1, True), (2, True), (3, True)]
    # A plain function travels by reference as well
    assert api.each(lambda i: i + 1, 3) == 6


def test_async_call_with_callback(calc_worker):
    _worker, api, _calc = calc_worker
    results = []
    pending = api.add.call_async(20, 22, callback=results.append)
    assert isinstance(pending, Comlink.Pending)
    assert not pending.done()
    assert iterate_until(pending.done)
    assert results == [pending]
    assert pending.result() == 42
    assert pending.error is None

    pending = Comlink.call_async(api, 'fail', COMLINK_DOMAIN, int(Comlink.Error.FAILED),
                                 callback=results.append)
    assert iterate_until(pending.done)
    assert len(results) == 2
    assert_error(pending.error, COMLINK_DOMAIN, Comlink.Error.FAILED)
    with pytest.raises(GLib.Error):
        pending.result()


def test_remote_signals(calc_worker):
    _worker, api, _calc = calc_worker
    seen = []
    subscription = Comlink.subscribe(api, 'changed', seen.append)
    assert subscription != 0
    api.bump(3)
    assert iterate_until(lambda: len(seen) == 3)
    assert seen == [1, 2, 3]

    # A second subscription gets its own emissions
    also = []
    other = Comlink.subscribe(api, 'changed', also.append)
    api.bump(1)
    assert iterate_until(lambda: len(also) == 1 and len(seen) == 4)
    assert also == [4]

    Comlink.unsubscribe(api, subscription)
    api.bump(1)
    assert iterate_until(lambda: len(also) == 2)
    assert api.value == 5
    Comlink.unsubscribe(api, other)
    api.bump(1)
    iterate_until(lambda: False, timeout=0.2)
    assert seen == [1, 2, 3, 4]
    assert also == [4, 5]

    with pytest.raises(GLib.Error) as info:
        Comlink.subscribe(api, 'no-such-signal', seen.append)
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.NO_SUCH_SIGNAL)


def test_cancellation(calc_worker):
    _worker, api, calc = calc_worker
    cancellable = Gio.Cancellable()
    results = []
    pending = api.hold.call_async(cancellable=cancellable, callback=results.append)
    assert iterate_until(lambda: len(calc.held) == 1)
    cancellable.cancel()
    # The call completes at once, and the remote invocation learns it
    assert iterate_until(pending.done, timeout=1)
    assert_error(pending.error, IO_DOMAIN, Gio.IOErrorEnum.CANCELLED)
    assert calc.cancelled.wait(5)
    assert results == [pending]

    # pending.cancel () does the same
    pending = api.hold.call_async()
    pending.cancel()
    with pytest.raises(GLib.Error) as info:
        pending.wait()
    assert_error(info.value, IO_DOMAIN, Gio.IOErrorEnum.CANCELLED)

    # A blocking call is cancelled from the main context it runs
    cancellable = Gio.Cancellable()
    GLib.timeout_add(50, lambda: cancellable.cancel() and False)
    with pytest.raises(GLib.Error) as info:
        api.hold(cancellable=cancellable)
    assert_error(info.value, IO_DOMAIN, Gio.IOErrorEnum.CANCELLED)


def test_timeout(calc_worker):
    _worker, api, _calc = calc_worker
    with pytest.raises(GLib.Error) as info:
        api.hold(timeout=50)
    assert_error(info.value, IO_DOMAIN, Gio.IOErrorEnum.TIMED_OUT)
    assert api.add(1, 1) == 2


def test_terminate_mid_call(calc_worker):
    worker, api, calc = calc_worker
    results = []
    pendings = [api.hold.call_async(callback=results.append) for _ in range(3)]
    assert iterate_until(lambda: len(calc.held) == 3)

    worker.terminate()
    assert worker.get_state() == Comlink.WorkerState.TERMINATED
    # Every pending call failed: the callbacks come with the next
    # iterations of the main context
    assert iterate_until(lambda: all(p.done() for p in pendings), timeout=1)
    for p in pendings:
        assert_error(p.error, COMLINK_DOMAIN, Comlink.Error.TERMINATED)
    iterate_until(lambda: False, timeout=0.1)
    # Each callback ran exactly once
    assert sorted(map(id, results)) == sorted(map(id, pendings))
    assert calc.cancelled.wait(5)

    # Later calls fail at once, they never hang
    with pytest.raises(GLib.Error) as info:
        api.add(1, 2)
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.TERMINATED)


def test_terminate_during_blocking_call(calc_worker):
    worker, api, _calc = calc_worker
    GLib.timeout_add(50, lambda: worker.terminate() and False)
    with pytest.raises(GLib.Error) as info:
        api.hold()
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.TERMINATED)
    assert worker.get_state() == Comlink.WorkerState.TERMINATED


def test_setup_error(thread_worker):
    def setup():
        raise GLib.Error('no way', IO_DOMAIN, int(Gio.IOErrorEnum.PERMISSION_DENIED))

    worker = thread_worker(setup, 'failing')
    api = Comlink.wrap(worker)
    with pytest.raises(GLib.Error) as info:
        api.add(1, 2)
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.WORKER_EXITED)
    assert 'no way' in info.value.message
    assert worker.get_state() == Comlink.WorkerState.EXITED
