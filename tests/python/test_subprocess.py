# SPDX-License-Identifier: LGPL-2.1-or-later
"""Python subprocess workers: a child exposes a GObject, or a plain Python
object, to its parent with Comlink.expose (no endpoint)."""

import os

import pytest

from objects import (COMLINK_DOMAIN, IO_DOMAIN, Comlink, Gio, GLib, assert_error,
                     iterate_until)

PY_DOMAIN = Comlink.PYTHON_ERROR_DOMAIN


def test_gobject_child(subprocess_worker):
    worker = subprocess_worker('child.py', 'gobject')
    api = Comlink.wrap(worker)
    assert api.add(40, 2) == 42
    assert api.value == 0
    api.value = 5
    assert api.value == 5
    assert api.leaf.greet('parent') == 'leaf greets parent'
    assert api.half(3) == 1.5
    assert worker.get_state() == Comlink.WorkerState.RUNNING

    with pytest.raises(GLib.Error) as info:
        api.fail(IO_DOMAIN, int(Gio.IOErrorEnum.NOT_SUPPORTED))
    assert_error(info.value, IO_DOMAIN, Gio.IOErrorEnum.NOT_SUPPORTED)
    with pytest.raises(GLib.Error) as info:
        api.add(1)
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.INVALID_ARGUMENTS)

    seen = []
    subscription = Comlink.subscribe(api, 'changed', seen.append)
    api.bump(2)
    assert iterate_until(lambda: len(seen) == 2)
    assert seen == [6, 7]
    Comlink.unsubscribe(api, subscription)


def test_gobject_child_cancel_and_terminate(subprocess_worker):
    worker = subprocess_worker('child.py', 'gobject')
    api = Comlink.wrap(worker)

    with pytest.raises(GLib.Error) as info:
        api.hold(timeout=50)
    assert_error(info.value, IO_DOMAIN, Gio.IOErrorEnum.TIMED_OUT)
    pending = api.hold.call_async()
    pending.cancel()
    with pytest.raises(GLib.Error) as info:
        pending.wait()
    assert_error(info.value, IO_DOMAIN, Gio.IOErrorEnum.CANCELLED)
    assert api.add(1, 1) == 2

    results = []
    pendings = [api.hold.call_async(callback=results.append) for _ in range(2)]
    assert api.add(2, 2) == 4  # both holds reached the child
    worker.terminate()
    assert worker.get_state() == Comlink.WorkerState.TERMINATED
    assert iterate_until(lambda: len(results) == 2)
    for p in pendings:
        assert_error(p.error, COMLINK_DOMAIN, Comlink.Error.TERMINATED)
    with pytest.raises(GLib.Error) as info:
        api.add(1, 2)
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.TERMINATED)


def test_plain_child(subprocess_worker):
    worker = subprocess_worker('child.py', 'plain')
    api = Comlink.wrap(worker)
    assert str(api.pid()) == worker.get_subprocess().get_identifier()
    assert api.pid() != os.getpid()
    assert api.add(2, 3) == 5
    assert api.value == 3
    api.value = 'changed'
    assert api.value == 'changed'
    assert api.echo({'nested': [1, (2, 'x')], 'bytes': b'\x00\xff'}) == \
        {'nested': [1, (2, 'x')], 'bytes': b'\x00\xff'}
    assert api.echo(2**63) == 2**63

    # A Python exception in the child maps back to the Python domain here
    with pytest.raises(GLib.Error) as info:
        api.raise_value_error()
    assert_error(info.value, PY_DOMAIN, Comlink.PythonError.VALUE_ERROR)
    assert info.value.message == 'ValueError: bad value'
    with pytest.raises(GLib.Error) as info:
        api.raise_gerror(IO_DOMAIN, int(Gio.IOErrorEnum.BUSY))
    assert_error(info.value, IO_DOMAIN, Gio.IOErrorEnum.BUSY)

    # The child calls back into this process during the blocking call,
    # with a blocking call of its own
    calls = []
    assert api.call_back(lambda a, b: calls.append((a, b)) or a + b, 2, 3) == 5
    assert calls == [(2, 3)]

    counter = api.Counter.new(start=1)
    assert counter.inc() == 2

    thing = api.make_thing('far')
    assert thing.describe() == 'thing far'
    assert api.released_things() == 0
    Comlink.release(thing)
    assert iterate_until(lambda: api.released_things() == 1)


@pytest.mark.parametrize('options', [(), ('-u', '-W', 'ignore', '-X', 'dev')])
def test_worker_named_after_script(subprocess_worker, options):
    # Not after the interpreter, past its options
    worker = subprocess_worker('child.py', 'plain', options=options)
    assert worker.props.name == 'child.py'
    assert worker.get_name() == 'child.py'
    api = Comlink.wrap(worker)
    assert api.add(1, 2) == 3
    with pytest.raises(GLib.Error) as info:
        api.crash(3)
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.WORKER_EXITED)
    assert '\u201cchild.py\u201d' in info.value.message


def test_plain_child_crash(subprocess_worker):
    worker = subprocess_worker('child.py', 'plain')
    api = Comlink.wrap(worker)
    exited = []
    worker.connect('exited', lambda w, *args: exited.append(args))
    assert api.add(1, 2) == 3
    with pytest.raises(GLib.Error) as info:
        api.crash(3)
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.WORKER_EXITED)
    assert '3' in info.value.message
    assert iterate_until(lambda: len(exited) == 1)
    assert worker.get_state() == Comlink.WorkerState.EXITED
    with pytest.raises(GLib.Error) as info:
        api.add(1, 2)
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.WORKER_EXITED)
