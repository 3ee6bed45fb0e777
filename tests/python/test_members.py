# SPDX-License-Identifier: LGPL-2.1-or-later
"""What a peer reaches of a plain Python object: names with one leading
underscore, never dunders, and only what an allow list or predicate given
to Comlink.expose lets through; and 64-bit integers, exactly, both ways."""

import pytest

from objects import COMLINK_DOMAIN, Comlink, Counter, GLib, GObject, Service, Thing, assert_error

NO_SUCH_METHOD = Comlink.Error.NO_SUCH_METHOD
NO_SUCH_PROPERTY = Comlink.Error.NO_SUCH_PROPERTY
NO_SUCH_OBJECT = Comlink.Error.NO_SUCH_OBJECT
NOT_CONSTRUCTIBLE = Comlink.Error.NOT_CONSTRUCTIBLE
NOT_TRANSFERABLE = Comlink.Error.NOT_TRANSFERABLE

INTS = [2**53 + 1, -(2**53) - 1, 2**63 - 1, -(2**63), 2**63, 2**64 - 1, 2**31, -(2**31) - 1]


class Members(Service):
    """A Service with private members and a nested object."""

    def __init__(self):
        super().__init__()
        self._counter = 7
        self.child = Thing('child')
        self.__mangled = 'mangled'

    def _bump(self, by):
        self._counter += by
        return self._counter

    def too_big(self):
        return 2**64


def expose_on_channel(request, obj, **kwargs):
    channel = Comlink.Channel.new()
    connection = Comlink.expose(obj, channel.get_port1(), **kwargs)
    request.addfinalizer(connection.close)
    return Comlink.wrap(channel.get_port2())


@pytest.fixture(params=['thread', 'channel'])
def members(request, thread_worker):
    """(api, obj): a Members in a thread worker, or on a channel."""
    obj = Members()
    if request.param == 'thread':
        return Comlink.wrap(thread_worker(lambda: obj, 'members')), obj
    return expose_on_channel(request, obj), obj


def refused(code, fn, *args):
    with pytest.raises(GLib.Error) as info:
        fn(*args)
    assert_error(info.value, COMLINK_DOMAIN, code)
    return info.value


# --- names with an underscore ---

def test_single_underscore_members_are_reachable(members):
    api, obj = members
    assert api._counter == 7
    assert Comlink.get(api, '_counter') == 7
    api._counter = 10
    assert obj._counter == 10
    assert api._bump(5) == 15
    assert Comlink.call(api, '_bump', 1) == 16
    assert api._secret == 'hidden'
    # A name-mangled private attribute is an attribute like any other
    assert Comlink.get(api, '_Members__mangled') == 'mangled'


def test_dunders_are_never_reachable(members):
    api, _obj = members
    for name in ['__class__', '__init__', '__dict__', '__module__', '__doc__', '__mangled']:
        refused(NO_SUCH_PROPERTY, Comlink.get, api, name)
        refused(NO_SUCH_METHOD, Comlink.call, api, name)
        refused(NO_SUCH_PROPERTY, Comlink.set, api, name, 1)
    proxy_ = Comlink.unwrap(api)
    # The ways to the interpreter's internals, through paths
    add = Comlink.wrap(proxy_.get_child('add'))
    refused(NO_SUCH_PROPERTY, Comlink.get, add, '__globals__')
    refused(NO_SUCH_PROPERTY, Comlink.get, add, '__func__')
    refused(NO_SUCH_OBJECT, Comlink.get, Comlink.wrap(proxy_.get_child('__class__')), '__name__')
    refused(NO_SUCH_OBJECT, Comlink.call,
            Comlink.wrap(proxy_.get_child('__init__').get_child('__globals__')), 'get', 'os')
    refused(NOT_CONSTRUCTIBLE, proxy_.get_child('__class__').construct_sync, None, [], None)
    refused(NO_SUCH_OBJECT, Comlink.wrap(proxy_.get_child('__class__')).new)
    # Locally, dunders are the Remote's own, and so are its slots
    with pytest.raises(AttributeError):
        api.__missing__
    with pytest.raises(AttributeError):
        api._proxy = None


# --- allow ---

ALLOW = ['add', 'value', '_counter', 'child', 'name', 'Counter', 'inc', 'make_thing', 'describe']


@pytest.fixture(params=['list', 'predicate'])
def restricted(request):
    """(api, obj): a Members on a channel with an allow list, or the same
    restriction as a predicate."""
    obj = Members()
    seen = []
    if request.param == 'list':
        allow = ALLOW
    else:
        def allow(name, holder):
            seen.append((name, type(holder).__name__))
            return name in ALLOW
    api = expose_on_channel(request, obj, allow=allow)
    return api, obj, seen


def test_allow_lets_through_only_the_names_it_lists(restricted):
    api, obj, _seen = restricted
    assert api.add(1, 2) == 3
    assert api.value == 3
    api.value = 4
    assert obj.value == 4
    assert api._counter == 7
    # Refused members fail as missing ones do, with the same message
    missing = refused(NO_SUCH_METHOD, Comlink.call, api, 'no_such_member')
    echo = refused(NO_SUCH_METHOD, Comlink.call, api, 'echo', 1)
    assert echo.message == missing.message.replace('no_such_member', 'echo')
    refused(NO_SUCH_PROPERTY, Comlink.get, api, 'items')
    refused(NO_SUCH_PROPERTY, Comlink.set, api, 'items', [])
    assert obj.items == ['a', 'b']
    refused(NO_SUCH_METHOD, Comlink.call, api, '_bump', 1)
    assert obj._counter == 7
    # As a Remote attribute, a refused name is a method that is missing
    refused(NO_SUCH_METHOD, api.items)


def test_allow_applies_to_paths_and_construct(restricted):
    api, _obj, _seen = restricted
    proxy_ = Comlink.unwrap(api)
    child = Comlink.wrap(proxy_.get_child('child'))
    assert Comlink.get(child, 'name') == 'child'
    assert Comlink.call(child, 'describe') == 'thing child'
    refused(NO_SUCH_PROPERTY, Comlink.get, child, '_released')
    # A step of a path that is not allowed is a missing object
    refused(NO_SUCH_OBJECT, Comlink.get, Comlink.wrap(proxy_.get_child('things')), 'count')
    refused(NO_SUCH_OBJECT, Comlink.call, Comlink.wrap(proxy_.get_child('Service')), 'add', 1, 2)
    counter = api.Counter.new(5)
    assert counter.inc(2) == 7
    # What a restricted object hands out by reference is restricted too
    refused(NO_SUCH_PROPERTY, Comlink.get, counter, 'count')
    thing = api.make_thing('made')
    assert thing.name == 'made'
    assert thing.describe() == 'thing made'
    refused(NO_SUCH_PROPERTY, Comlink.get, thing, '_released')
    refused(NOT_CONSTRUCTIBLE, Comlink.unwrap(api).get_child('Service').construct_sync, None, [], None)


def test_allow_predicate_sees_name_and_object(request):
    obj = Members()
    seen = []

    def allow(name, holder):
        seen.append((name, holder))
        return not isinstance(holder, Counter) or name == 'inc'

    api = expose_on_channel(request, obj, allow=allow)
    assert api.add(2, 2) == 4
    assert ('add', obj) in seen
    counter = api.Counter.new(1)
    assert counter.inc() == 2
    refused(NO_SUCH_PROPERTY, Comlink.get, counter, 'count')
    assert any(name == 'count' and isinstance(holder, Counter) for name, holder in seen)


def test_allow_predicate_that_raises_refuses(request, capsys):
    def allow(name, _holder):
        if name == 'value':
            raise RuntimeError('predicate bug')
        return True

    api = expose_on_channel(request, Members(), allow=allow)
    refused(NO_SUCH_PROPERTY, Comlink.get, api, 'value')
    assert 'predicate bug' in capsys.readouterr().err
    assert api.add(1, 1) == 2


def test_allow_is_checked_when_exposing(request):
    channel = Comlink.Channel.new()
    with pytest.raises(TypeError):
        Comlink.expose(Members(), channel.get_port1(), allow='add')
    with pytest.raises(TypeError):
        Comlink.expose(Members(), channel.get_port1(), allow=[1, 2])
    with pytest.raises(TypeError):
        Comlink.expose(GObject.Object(), channel.get_port1(), allow=['notify'])


def test_allow_in_a_thread_worker(thread_worker):
    worker = Comlink.Worker.new_thread('restricted', Members, allow=['add'])
    try:
        api = Comlink.wrap(worker)
        assert api.add(3, 4) == 7
        refused(NO_SUCH_PROPERTY, Comlink.get, api, 'value')
    finally:
        worker.terminate()


def test_allow_in_a_subprocess_worker(subprocess_worker):
    api = Comlink.wrap(subprocess_worker('child.py', 'restricted'))
    assert api.add(1, 2) == 3
    assert api._secret == 'hidden'
    refused(NO_SUCH_METHOD, Comlink.call, api, 'pid')
    refused(NO_SUCH_METHOD, Comlink.call, api, '_double', 2)
    refused(NO_SUCH_PROPERTY, Comlink.get, api, 'value')
    refused(NO_SUCH_PROPERTY, Comlink.set, api, 'value', 1)
    refused(NO_SUCH_OBJECT, Comlink.get, Comlink.wrap(Comlink.unwrap(api).get_child('items')), 'x')
    thing = api.make_thing('far')
    assert thing.name == 'far'
    refused(NO_SUCH_METHOD, Comlink.call, thing, 'describe')
    counter = api.Counter.new(2)
    assert counter.inc() == 3
    refused(NO_SUCH_PROPERTY, Comlink.get, counter, 'count')


def test_underscore_members_in_a_subprocess_worker(subprocess_worker):
    api = Comlink.wrap(subprocess_worker('child.py', 'plain'))
    assert api._secret == 'hidden'
    assert api._double(21) == 42
    refused(NO_SUCH_PROPERTY, Comlink.get, api, '__dict__')
    refused(NO_SUCH_METHOD, Comlink.call, api, '__init__')


# --- 64-bit integers ---

def check_ints(api):
    for value in INTS:
        result = api.echo(value)
        assert result == value and type(result) is int, value
    assert api.echo(INTS) == INTS
    assert api.echo({'big': 2**64 - 1, 'small': -(2**63)}) == {'big': 2**64 - 1, 'small': -(2**63)}
    for value in [2**64, -(2**63) - 1, 2**100]:
        refused(NOT_TRANSFERABLE, api.echo, value)
        refused(NOT_TRANSFERABLE, api.echo, [value])
    # An integer the exposed side cannot send is the caller's error
    error = refused(NOT_TRANSFERABLE, api.too_big)
    assert '18446744073709551616' in error.message


def test_64_bit_integers(members):
    check_ints(members[0])


def test_64_bit_integers_in_a_subprocess_worker(subprocess_worker):
    check_ints(Comlink.wrap(subprocess_worker('child.py', 'plain')))
