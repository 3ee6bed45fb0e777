# SPDX-License-Identifier: LGPL-2.1-or-later
"""Collection: after terminate or release nothing of the library keeps a
Remote or a proxy alive, and a Remote that the script drops is released on
the exposing side without any explicit call, also when its proxy has
signal handlers or Python attributes (toggle references)."""

import gc
import threading
import weakref

import pytest

from objects import COMLINK_DOMAIN, Calc, Comlink, GLib, Service, assert_error, iterate_until


def collect_until(condition, timeout=5.0):
    """Collects garbage and runs the main context until @condition ()."""
    def check():
        gc.collect()
        return condition()
    return iterate_until(check, timeout=timeout)


def finalized(gobject):
    """An event set when @gobject is finalized (a GObject weak reference)."""
    event = threading.Event()
    gobject.weak_ref(event.set)
    return event


@pytest.fixture
def calc_worker(thread_worker):
    made = []

    def setup():
        made.append(Calc())
        return made[0]

    worker = thread_worker(setup, 'calc')
    api = Comlink.wrap(worker)
    assert api.add(0, 0) == 0
    return worker, api, made[0]


def test_terminate_leaves_nothing():
    made = []
    calc_gone = threading.Event()

    def setup():
        calc = Calc()
        calc.weak_ref(calc_gone.set)
        made.append(weakref.ref(calc))
        return calc

    worker = Comlink.Worker.new_thread('calc', setup)
    connection = worker.get_connection()
    api = Comlink.wrap(worker)
    leaf = api.leaf
    other = api.make_leaf('other')
    assert leaf.name == 'leaf'
    assert connection.props.n_proxies >= 3
    results = []
    pending = api.hold.call_async(callback=results.append)
    assert iterate_until(lambda: len(made[0]().held) == 1)

    watched = {name: weakref.ref(obj) for name, obj in [
        ('api', api), ('leaf', leaf), ('other', other), ('pending', pending),
        ('leaf proxy', Comlink.unwrap(leaf)), ('other proxy', Comlink.unwrap(other)),
        ('root proxy', Comlink.unwrap(api))]}
    gone = {name: finalized(obj) for name, obj in [
        ('worker', worker), ('connection', connection), ('root proxy', Comlink.unwrap(api)),
        ('leaf proxy', Comlink.unwrap(leaf)), ('other proxy', Comlink.unwrap(other))]}

    worker.terminate()
    assert iterate_until(lambda: len(results) == 1)
    assert_error(pending.error, COMLINK_DOMAIN, Comlink.Error.TERMINATED)
    assert connection.props.n_proxies == 0
    with pytest.raises(GLib.Error) as info:
        leaf.greet('anyone')
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.TERMINATED)

    # The script lets go: the garbage collector reclaims everything
    del api, leaf, other, pending, results, worker, connection, info
    assert collect_until(lambda: all(ref() is None for ref in watched.values())), \
        [name for name, ref in watched.items() if ref() is not None]
    assert collect_until(lambda: all(e.is_set() for e in gone.values())), \
        [name for name, e in gone.items() if not e.is_set()]
    # ... and the worker's own object, in its thread
    assert calc_gone.wait(5)
    assert made[0]() is None


@pytest.mark.parametrize('toggle', ['plain', 'handler', 'attribute', 'handler-and-attribute',
                                    'handler-holding-the-remote'])
def test_dropped_remote_is_released(calc_worker, toggle):
    _worker, api, calc = calc_worker
    connection = Comlink.unwrap(api).dup_connection()
    base = connection.props.n_proxies

    leaf = api.make_leaf('dropped')
    leaf_gone = calc.made[-1]
    assert leaf.greet('x') == 'dropped greets x'
    raw = Comlink.unwrap(leaf)
    if 'handler' in toggle:
        if toggle == 'handler-holding-the-remote':
            raw.connect('notify', lambda *args, keep=leaf: keep)
        else:
            raw.connect('notify', lambda *args: None)
    if 'attribute' in toggle:
        raw.tag = 'mine'
    assert connection.props.n_proxies == base + 1
    remote_ref = weakref.ref(leaf)
    raw_gone = finalized(raw)

    del leaf, raw
    # The proxy is finalized here, the peer drops the object there
    assert collect_until(lambda: remote_ref() is None and raw_gone.is_set())
    assert collect_until(leaf_gone.is_set)
    assert connection.props.n_proxies == base
    assert api.add(1, 2) == 3


def test_dropped_remote_runs_the_finalizer_hook(thread_worker):
    made = []

    def setup():
        made.append(Service())
        return made[0]

    api = Comlink.wrap(thread_worker(setup, 'service'))
    thing = api.make_thing('short-lived')
    released = made[0].things[-1]
    assert thing.describe() == 'thing short-lived'
    Comlink.unwrap(thing).connect('notify', lambda *args: None)
    del thing
    assert collect_until(released.is_set)


def test_exposed_python_object_is_collected_after_release():
    """The exposing side holds the Python object while the peer references
    it, and not after."""
    channel = Comlink.Channel.new()
    service = Service()
    connection = Comlink.expose(service, channel.get_port1())
    api = Comlink.wrap(channel.get_port2())
    thing = api.make_thing('watched')
    # The exposed object behind the reference is a local object here
    exposed = [t for t in gc.get_referrers(service.things[-1]) if hasattr(t, 'describe')]
    assert len(exposed) == 1
    thing_ref = weakref.ref(exposed[0])
    del exposed
    assert thing.describe() == 'thing watched'
    assert thing_ref() is not None
    del thing
    assert collect_until(lambda: thing_ref() is None and service.things[-1].is_set())

    Comlink.release(api)
    assert collect_until(service.released.is_set)
    connection.close()


def test_callbacks_are_reclaimed(calc_worker):
    _worker, api, _calc = calc_worker
    calls = []

    def on_item(i):
        calls.append(i)
        return i

    fn_ref = weakref.ref(on_item)
    callback = Comlink.proxy(on_item)
    callback_gone = finalized(callback)
    assert api.each(callback, 3) == 3
    assert calls == [0, 1, 2]
    del callback, on_item
    # The worker released its proxy of the callback: nothing holds it
    assert collect_until(lambda: callback_gone.is_set() and fn_ref() is None)


def test_pending_callbacks_settle_on_terminate(calc_worker):
    worker, api, calc = calc_worker
    settled = []

    def on_done(pending):
        settled.append(pending.error)

    pendings = [api.hold.call_async(callback=on_done) for _ in range(3)]
    pendings.append(Comlink.get_async(api.leaf, 'name', callback=on_done))
    refs = [weakref.ref(p) for p in pendings]
    callback_ref = weakref.ref(on_done)
    assert iterate_until(lambda: len(calc.held) == 3)
    # The read may have completed already: it settles with its value
    worker.terminate()
    assert iterate_until(lambda: len(settled) == 4)
    assert sum(1 for e in settled if e is not None) >= 3
    for error in settled:
        if error is not None:
            assert_error(error, COMLINK_DOMAIN, Comlink.Error.TERMINATED)
    del pendings, on_done, settled, error
    assert collect_until(lambda: all(r() is None for r in refs) and callback_ref() is None)


def test_release_by_hand(calc_worker):
    _worker, api, calc = calc_worker
    connection = Comlink.unwrap(api).dup_connection()
    leaf = api.make_leaf('released')
    leaf_gone = calc.made[-1]
    base = connection.props.n_proxies
    Comlink.release(leaf)
    # The peer drops the object although the script still holds the Remote
    assert collect_until(leaf_gone.is_set)
    with pytest.raises(GLib.Error) as info:
        leaf.greet('x')
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.CLOSED)
    remote_ref = weakref.ref(leaf)
    del leaf, info
    assert collect_until(lambda: remote_ref() is None)
    assert connection.props.n_proxies == base - 1


def test_dropped_remote_in_a_subprocess_worker(subprocess_worker):
    api = Comlink.wrap(subprocess_worker('child.py', 'plain'))
    connection = Comlink.unwrap(api).dup_connection()
    thing = api.make_thing('far')
    assert thing.describe() == 'thing far'
    n = connection.props.n_proxies
    Comlink.unwrap(thing).connect('notify', lambda *args: None)
    Comlink.unwrap(thing).tag = 'toggled'
    del thing
    assert collect_until(lambda: connection.props.n_proxies == n - 1)
    # The release goes out from an idle (releases are batched): the child's
    # finalizer hook runs soon after
    assert collect_until(lambda: api.released_things() == 1)
