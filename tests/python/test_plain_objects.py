# SPDX-License-Identifier: LGPL-2.1-or-later
"""A plain Python object exposed with Comlink.expose (or returned by a
thread worker's setup): methods, attributes, Python properties, values in
both directions, Python exceptions, objects by reference, construct."""

import gc
import threading

import pytest

from objects import (COMLINK_DOMAIN, IO_DOMAIN, Comlink, Gio, GLib, Service,
                     assert_error, iterate_until)

PY_DOMAIN = Comlink.PYTHON_ERROR_DOMAIN


@pytest.fixture(params=['thread', 'channel'])
def service(request, thread_worker):
    """(api, service): a Service in a thread worker, or exposed on one port
    of a channel and wrapped on the other in this same thread."""
    if request.param == 'thread':
        made = []

        def setup():
            made.append(Service())
            return made[0]

        api = Comlink.wrap(thread_worker(setup, 'service'))
        assert api.add(1, 1) == 2
        return api, made[0]

    channel = Comlink.Channel.new()
    obj = Service()
    connection = Comlink.expose(obj, channel.get_port1())
    assert isinstance(connection, Comlink.Connection)
    api = Comlink.wrap(channel.get_port2())
    request.addfinalizer(connection.close)
    return api, obj


def test_methods_and_attributes(service):
    api, obj = service
    assert api.add(2, 3) == 5
    assert api.add('a', 'b') == 'ab'
    assert api.value == 3
    assert api.items == ['a', 'b']
    api.value = 11
    assert obj.value == 11
    assert api.value == 11
    assert Comlink.call(api, 'add', 1, 2) == 3


def test_python_properties(service):
    api, obj = service
    assert api.ratio == 0.5
    api.ratio = 0.25
    assert obj.ratio == 0.25
    # The setter's exception is the caller's error
    with pytest.raises(GLib.Error) as info:
        api.ratio = 2.0
    assert_error(info.value, PY_DOMAIN, Comlink.PythonError.VALUE_ERROR)
    assert info.value.message == 'ValueError: ratio out of range'
    assert obj.ratio == 0.25
    assert api.fixed == 'fixed'
    with pytest.raises(GLib.Error) as info:
        api.fixed = 'changed'
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.NO_SUCH_PROPERTY)


def test_dunder_names_are_not_reachable(service):
    api, obj = service
    for name in ['__class__', '__init__', '__dict__']:
        with pytest.raises(GLib.Error) as info:
            Comlink.get(api, name)
        assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.NO_SUCH_PROPERTY)
        with pytest.raises(GLib.Error) as info:
            Comlink.call(api, name)
        assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.NO_SUCH_METHOD)
    with pytest.raises(GLib.Error) as info:
        Comlink.set(api, 'new_attribute', 1)
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.NO_SUCH_PROPERTY)
    # Names with one underscore are members like any other (see
    # test_members.py)
    assert api._secret == 'hidden'
    Comlink.set(api, '_secret', 'exposed')
    assert obj._secret == 'exposed'
    # Locally, dunder names are the Remote's own
    with pytest.raises(AttributeError):
        api.__secret__


def test_methods_are_not_properties(service):
    api, _obj = service
    with pytest.raises(GLib.Error) as info:
        Comlink.get(api, 'add')
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.NO_SUCH_PROPERTY)
    with pytest.raises(GLib.Error) as info:
        Comlink.set(api, 'add', 1)
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.NO_SUCH_PROPERTY)
    with pytest.raises(GLib.Error) as info:
        api.missing_method()
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.NO_SUCH_METHOD)
    with pytest.raises(GLib.Error) as info:
        Comlink.call(api, 'value')
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.NO_SUCH_METHOD)


@pytest.mark.parametrize('value', [
    None, True, False, 0, -1, 2**31 - 1, 2**31, -2**63, 2**64 - 1, 1.5, -0.0, '', 'héllo',
    b'', b'\x00\x01\xff', [], [1, 2, 3], ['a', 'b'], [1, 'a', None, 2.5], [[1, 2], [3]],
    (), (1, 'b', True), {}, {'a': 1, 'b': 'two', 'c': [1, {'d': None}]}, {1: 'x', 2: 'y'},
    [b'a', b'\xff'], {'raw': b'\x00', 'n': 1}, ([True, None], {'t': ()}),
])
def test_values_round_trip(service, value):
    api, _obj = service
    result = api.echo(value)
    assert result == value
    assert type(result) is type(value)


def test_value_types_seen_by_the_exposed_object(service):
    api, _obj = service
    assert api.type_of(None) == 'NoneType'
    assert api.type_of(7) == 'int'
    assert api.type_of(2**40) == 'int'
    assert api.type_of(0.5) == 'float'
    assert api.type_of(True) == 'bool'
    assert api.type_of(b'x') == 'bytes'
    assert api.type_of(bytearray(b'x')) == 'bytes'
    assert api.type_of(GLib.Bytes.new(b'xy')) == 'bytes'
    assert api.echo(GLib.Bytes.new(b'xy')) == b'xy'
    assert api.type_of([1]) == 'list'
    assert api.type_of({'a': 1}) == 'dict'
    assert api.echo(GLib.Variant('(si)', ('a', 1))) == ('a', 1)
    error = api.echo(GLib.Error('carried', IO_DOMAIN, int(Gio.IOErrorEnum.EXISTS)))
    assert_error(error, IO_DOMAIN, Gio.IOErrorEnum.EXISTS)
    assert api.echo(Gio.IOErrorEnum.EXISTS) == Gio.IOErrorEnum.EXISTS


def test_values_that_cannot_travel(service):
    api, _obj = service
    for value in [{1, 2}, 1j, 2**64, [{1, 2}], {'a': object()}, {(1, 2): 'tuple key'},
                  {1: lambda: 0}]:
        with pytest.raises(GLib.Error) as info:
            api.echo(value)
        assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.NOT_TRANSFERABLE)


def test_python_exceptions_reach_the_caller(service):
    api, _obj = service
    with pytest.raises(GLib.Error) as info:
        api.raise_value_error()
    assert_error(info.value, PY_DOMAIN, Comlink.PythonError.VALUE_ERROR)
    assert info.value.message == 'ValueError: bad value'
    with pytest.raises(GLib.Error) as info:
        api.raise_key_error()
    assert_error(info.value, PY_DOMAIN, Comlink.PythonError.KEY_ERROR)
    with pytest.raises(GLib.Error) as info:
        api.raise_custom()
    assert_error(info.value, PY_DOMAIN, Comlink.PythonError.FAILED)
    assert info.value.message == 'Oops: custom'
    # A GLib.Error raised by the method keeps its own domain and code
    with pytest.raises(GLib.Error) as info:
        api.raise_gerror(IO_DOMAIN, int(Gio.IOErrorEnum.BUSY))
    assert_error(info.value, IO_DOMAIN, Gio.IOErrorEnum.BUSY)
    with pytest.raises(GLib.Error) as info:
        api.add(1)
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.INVALID_ARGUMENTS)
    # The object still serves
    assert api.add(1, 2) == 3


def test_callbacks(service):
    api, _obj = service
    calls = []

    def double(x):
        calls.append((x, threading.current_thread() is threading.main_thread()))
        return x * 2

    assert api.call_back(Comlink.proxy(double), 21) == 42
    assert api.call_back(double, 5) == 10
    assert calls == [(21, True), (5, True)]
    assert api.call_back(lambda *a: list(a), 1, 'two', None) == [1, 'two', None]
    assert api.call_back(lambda: {'k': (1, 2)}) == {'k': (1, 2)}
    assert api.call_back(lambda: None) is None
    assert api.call_back(Comlink.proxy(lambda: 7, return_type=int), ) == 7
    callback = Comlink.proxy(double)
    assert isinstance(callback, Comlink.Callback)


def test_callback_exceptions_reach_the_caller(service):
    """An exception in a callback fails the peer's call to it; the peer's
    method, here letting it through, fails its own caller with it."""
    api, _obj = service

    def fails(x):
        raise ValueError('bad %d' % x)

    def fails_glib(x):
        raise GLib.Error('gone', IO_DOMAIN, Gio.IOErrorEnum.NOT_FOUND)

    with pytest.raises(GLib.Error) as info:
        api.call_back(fails, 3)
    assert_error(info.value, PY_DOMAIN, Comlink.PythonError.VALUE_ERROR)
    assert 'bad 3' in info.value.message
    with pytest.raises(GLib.Error) as info:
        api.call_back(Comlink.proxy(fails_glib, return_type=int), 1)
    assert_error(info.value, IO_DOMAIN, Gio.IOErrorEnum.NOT_FOUND)
    # The callbacks still serve after a failure
    assert api.call_back(lambda: 5) == 5


def test_objects_by_reference(service):
    api, obj = service
    thing = api.make_thing('one')
    assert isinstance(thing, Comlink.Remote)
    assert thing.name == 'one'
    assert thing.describe() == 'thing one'
    # Sent back, it arrives as the original object
    assert api.describe(thing) == 'thing one'
    assert api.same(thing, thing) is True
    # A local object sent by reference comes back as itself
    local = Service()
    assert api.echo(local) is local
    assert api.echo(Comlink.proxy(local)) is local


def test_construct(service):
    api, _obj = service
    counter = api.Counter.new(5)
    assert isinstance(counter, Comlink.Remote)
    assert counter.count == 5
    assert counter.inc() == 6
    assert counter.inc(4) == 10
    named = api.Counter.new(start=100)
    assert named.inc() == 101
    assert counter.count == 10

    results = []
    pending = api.Counter.new_async(1, callback=results.append)
    assert iterate_until(pending.done)
    assert pending.result().inc() == 2
    assert results == [pending]

    with pytest.raises(GLib.Error) as info:
        api.add.new()
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.NOT_CONSTRUCTIBLE)
    with pytest.raises(GLib.Error) as info:
        api.Counter.new(1, 2, 3)
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.INVALID_ARGUMENTS)


class Tally:
    """A class exposed as the root: the peer constructs it with ``api.new ()``."""

    label = 'a tally'
    made = []

    def __init__(self, start=0, step=1):
        self.count = start
        self.step = step
        self.released = threading.Event()
        Tally.made.append(self)

    def add(self):
        self.count += self.step
        return self.count

    @staticmethod
    def describe():
        return 'a tally'

    def __comlink_finalizer__(self):
        self.released.set()


@pytest.fixture(params=['thread', 'channel'])
def root_class(request, thread_worker):
    """A Remote of the class Tally, exposed as the root by a thread worker's
    setup or on one port of a channel."""
    Tally.made.clear()
    request.addfinalizer(Tally.made.clear)
    if request.param == 'thread':
        return Comlink.wrap(thread_worker(lambda: Tally, 'tally'))

    channel = Comlink.Channel.new()
    connection = Comlink.expose(Tally, channel.get_port1())
    request.addfinalizer(connection.close)
    return Comlink.wrap(channel.get_port2())


def _collected(event):
    """Collects garbage and runs the main context until @event is set."""
    return iterate_until(lambda: gc.collect() >= 0 and event.is_set())


def _construct_and_drop(api):
    tally = api.new(10, 5)
    assert tally.add() == 15
    assert tally.count == 15


def test_construct_the_root_class(root_class):
    api = root_class
    assert api.describe() == 'a tally'
    assert api.label == 'a tally'

    tally = api.new(5)
    assert isinstance(tally, Comlink.Remote)
    assert len(Tally.made) == 1
    assert tally.count == 5
    assert tally.add() == 6
    named = api.new(start=100, step=10)
    assert named.add() == 110
    assert named.step == 10

    results = []
    pending = api.new_async(1, callback=results.append)
    assert iterate_until(pending.done)
    assert pending.result().add() == 2
    assert results == [pending]

    with pytest.raises(GLib.Error) as info:
        api.new(1, 2, 3)
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.INVALID_ARGUMENTS)

    # A dropped instance is released on the exposing side, as is one
    # released explicitly
    _construct_and_drop(api)
    dropped = Tally.made[-1]
    assert dropped.count == 15
    assert _collected(dropped.released), 'the dropped instance was released'
    Comlink.release(named)
    assert iterate_until(Tally.made[1].released.is_set), 'the released instance was released'
    assert not Tally.made[0].released.is_set(), 'the instance still held is not released'
    assert tally.add() == 7


class Registry:
    """A class exposed as the root with a hook of its own."""

    released = threading.Event()

    @classmethod
    def __comlink_finalizer__(cls):
        cls.released.set()


@pytest.mark.parametrize('cls', [Tally, Registry])
def test_the_hook_of_a_root_class(cls, monkeypatch):
    """A class exposed as it is runs its own hook (a class or static
    method) when the peer let it go, never the method of its instances."""
    hook_errors = []
    monkeypatch.setattr('sys.excepthook', lambda *exc_info: hook_errors.append(exc_info[1]))
    Registry.released.clear()
    channel = Comlink.Channel.new()
    connection = Comlink.expose(cls, channel.get_port1())
    api = Comlink.wrap(channel.get_port2())
    instance = api.new()
    Comlink.release(instance)
    Comlink.release(api)
    connection.close()
    iterate_until(lambda: gc.collect() < 0, timeout=0.3)
    assert hook_errors == []
    assert Registry.released.is_set() == (cls is Registry)


def test_construct_a_root_that_is_not_a_class(service):
    api, _obj = service
    with pytest.raises(GLib.Error) as info:
        api.new()
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.NOT_CONSTRUCTIBLE)
    pending = api.new_async(1)
    with pytest.raises(GLib.Error) as info:
        pending.wait()
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.NOT_CONSTRUCTIBLE)
    assert api.add(1, 1) == 2


def test_cancellation_reaches_the_method(service):
    api, obj = service
    pending = api.wait_cancelled.call_async(5.0)
    # The method runs (in the worker thread, or in this one when the
    # channel is served here); cancel from a timeout so both work
    GLib.timeout_add(100, lambda: pending.cancel() and False)
    with pytest.raises(GLib.Error) as info:
        pending.wait()
    assert_error(info.value, IO_DOMAIN, Gio.IOErrorEnum.CANCELLED)
    assert iterate_until(obj.cancelled.is_set, timeout=6)


def test_release(service):
    api, obj = service
    thing = api.make_thing('released')
    released = obj.things[-1]
    assert thing.describe() == 'thing released'
    Comlink.release(thing)
    assert iterate_until(released.is_set)
    with pytest.raises(GLib.Error) as info:
        thing.describe()
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.CLOSED)
    assert Comlink.unwrap(thing).is_released()


def test_async_forms(service):
    api, _obj = service
    done = []
    p1 = Comlink.get_async(api, 'value', callback=done.append)
    p2 = Comlink.set_async(api, 'value', 8, callback=done.append)
    p3 = Comlink.get_async(api, 'value', callback=done.append)
    p4 = Comlink.call_async(api, 'add', 1, 2, callback=done.append)
    assert iterate_until(lambda: len(done) == 4)
    # Requests on one connection are served in order
    assert (p1.result(), p2.result(), p3.result(), p4.result()) == (3, None, 8, 3)


def test_endpoint_and_wrap_forms(service):
    api, _obj = service
    endpoint = Comlink.create_endpoint(api)
    assert isinstance(endpoint, Comlink.Endpoint)
    other = Comlink.wrap(endpoint)
    assert other.add(3, 4) == 7
    assert Comlink.wrap(Comlink.unwrap(api)).add(1, 2) == 3
    assert Comlink.wrap(api) is api
    with pytest.raises(TypeError):
        Comlink.wrap(object())
    assert isinstance(Comlink.unwrap(api), Comlink.Proxy)
    Comlink.release(other)


def test_expose_a_gobject_as_it_is():
    """A GObject given to Comlink.expose is served by the library itself."""
    channel = Comlink.Channel.new()
    connection = Comlink.expose(Gio.SimpleAction.new('act', None), channel.get_port1())
    api = Comlink.wrap(channel.get_port2())
    assert api.name == 'act'
    assert api.enabled is True
    api.enabled = False
    assert api.enabled is False
    connection.close()


def test_construct_a_gobject_root_through_constructor():
    """A GObject exposed by the library is constructed with ``api.new ()``
    when the type is registered under the name "constructor"."""
    action = Gio.SimpleAction.new('act', None)
    channel = Comlink.Channel.new()
    connection = Comlink.expose(action, channel.get_port1())
    api = Comlink.wrap(channel.get_port2())
    with pytest.raises(GLib.Error) as info:
        api.new()
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.NOT_CONSTRUCTIBLE)

    Comlink.register_constructible(action, 'constructor', Gio.SimpleAction)
    made = api.new(name='made')
    assert made.name == 'made'
    assert api.name == 'act'
    with pytest.raises(GLib.Error) as info:
        api.new('made')
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.INVALID_ARGUMENTS)
    Comlink.release(made)
    connection.close()
