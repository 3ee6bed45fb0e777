# SPDX-License-Identifier: LGPL-2.1-or-later
"""References inside lists, tuples and dicts: functions, GObjects, Remotes,
plain objects that travel by reference and file descriptors travel at any
depth, both ways, as they do at the top level (as a Comlink.Container);
lists, tuples and dicts without them still travel as GVariants. Threads,
channels, a Python subprocess worker (child.py), and the C child of the C
tests, which exposes a TestCalc (COMLINK_TEST_CHILD) and tells what a C
peer receives."""

import gc
import os
import threading
import weakref

import pytest

from objects import (ACTION, COMLINK_DOMAIN, IO_DOMAIN, Calc, Comlink, Gio, GLib, GObject, Leaf,
                     Nulls, Service, Thing, assert_error, iterate_until)

NOT_TRANSFERABLE = Comlink.Error.NOT_TRANSFERABLE


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


def value_of(gtype, value):
    gvalue = GObject.Value(gtype)
    gvalue.set_value(value)
    return gvalue


def kinds(value):
    """What a peer received, item by item."""
    if isinstance(value, Comlink.Remote):
        return 'remote'
    if isinstance(value, list):
        return [kinds(v) for v in value]
    if isinstance(value, tuple):
        return tuple(kinds(v) for v in value)
    if isinstance(value, dict):
        return {k: kinds(v) for k, v in value.items()}
    return type(value).__name__


class NestedService(Service):
    """The peer of the thread and channel tests."""

    def __init__(self):
        super().__init__()
        self.handles = [Thing('property')]
        self.kept = Thing('kept')

    def call_in(self, options):
        return options['callback'](options['value'])

    def greet_first(self, items):
        return items[0].greet('the peer')

    def kinds(self, value):
        return kinds(value)

    def make_things_in(self):
        return [self.make_thing('first'), {'thing': self.make_thing('second'), 'n': 2**40, 'big': 2**63}]

    def make_kept(self):
        return {'kept': self.kept}

    def is_kept(self, options):
        return options['kept'] is self.kept

    def drop(self, value):
        return None


@pytest.fixture(params=['thread', 'channel'])
def service(request, thread_worker):
    """(api, service): a NestedService in a thread worker, or on one port of
    a channel and wrapped on the other in this same thread."""
    if request.param == 'thread':
        made = []

        def setup():
            made.append(NestedService())
            return made[0]

        api = Comlink.wrap(thread_worker(setup, 'nested'))
        assert api.add(1, 1) == 2
        return api, made[0]

    channel = Comlink.Channel.new()
    obj = NestedService()
    connection = Comlink.expose(obj, channel.get_port1())
    request.addfinalizer(connection.close)
    return Comlink.wrap(channel.get_port2()), obj


# --- a peer in this process ---

def test_a_function_inside_a_dict_is_called_by_the_peer(service):
    api, _obj = service
    calls = []

    def callback(n):
        calls.append(n)
        return n + 1

    assert api.call_in({'callback': callback, 'value': 41}) == 42
    assert calls == [41]
    assert api.kinds({'callback': callback, 'value': 1, 'list': [callback, 2]}) == \
        {'callback': 'remote', 'value': 'int', 'list': ['remote', 'int']}


def test_a_gobject_inside_a_list_is_called_by_the_peer(service):
    api, _obj = service
    assert api.greet_first([Leaf(name='local'), 'other']) == 'local greets the peer'
    leaf = Leaf()
    # A tuple that holds a reference is an array: the peer gets a list
    assert api.kinds(([leaf], {'leaf': leaf})) == [['remote'], {'leaf': 'remote'}]


def test_objects_returned_inside_containers_work(service):
    api, _obj = service
    first, rest = api.make_things_in()
    assert first.describe() == 'thing first'
    assert rest['thing'].describe() == 'thing second'
    assert rest['n'] == 2**40 and type(rest['n']) is int
    assert rest['big'] == 2**63
    assert list(rest) == ['thing', 'n', 'big']
    # A property's value
    [handle] = api.handles
    assert handle.describe() == 'thing property'


def test_identity_inside_containers(service):
    api, _obj = service
    thing = Thing('mine')
    leaf = Leaf()
    back = api.echo({'thing': thing, 'list': [leaf, thing], 'leaf': leaf})
    assert back['thing'] is thing
    assert back['list'][0] is leaf and back['list'][1] is thing
    assert back['leaf'] is leaf
    assert api.echo((thing, 1)) == [thing, 1]
    # The peer's own object, sent back inside a dict, is its original
    kept = api.make_kept()['kept']
    assert kept.describe() == 'thing kept'
    assert api.is_kept({'kept': kept}) is True
    assert api.is_kept({'kept': Thing('other')}) is False


def test_plain_values_beside_references(service):
    api, _obj = service
    thing = Thing('x')
    value = {'thing': thing, 'none': None, 'i': 7, 'x': 2**40, 'big': 2**64 - 1, 'f': 0.5, 's': 'text',
             'b': True, 'bytes': b'\x01\x02', 'list': [None, thing], 'plain': {'a': None, 'b': [1, 2]},
             'tuple': (1, 'a')}
    assert api.kinds(value) == {
        'thing': 'remote', 'none': 'NoneType', 'i': 'int', 'x': 'int', 'big': 'int', 'f': 'float',
        's': 'str', 'b': 'bool', 'bytes': 'bytes', 'list': ['NoneType', 'remote'],
        'plain': {'a': 'NoneType', 'b': ['int', 'int']}, 'tuple': ('int', 'str')}
    back = api.echo(value)
    assert back == value
    assert list(back) == list(value)
    assert back['list'][1] is thing
    # Values that travel only on their own, beside a reference
    back = api.echo([thing, GLib.Error('carried', IO_DOMAIN, 3), value_of(GObject.TYPE_UINT, 7)])
    assert back[0] is thing
    assert_error(back[1], IO_DOMAIN, 3)
    assert back[1].message == 'carried'
    assert back[2] == 7


def test_without_references_lists_and_dicts_are_gvariants():
    channel = Comlink.Channel.new()
    connection = Comlink.expose(Nulls(), channel.get_port1())
    try:
        api = Comlink.wrap(channel.get_port2())
        assert api.variant_is_null([1, 2]) == 'ai'
        assert api.variant_is_null({'a': 1, 'b': [None]}) == 'a{sv}'
        with pytest.raises(GLib.Error) as info:
            api.variant_is_null([Leaf()])
        assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.TYPE_MISMATCH)
    finally:
        connection.close()


def test_dict_keys_are_str_beside_references(service):
    api, _obj = service
    with pytest.raises(GLib.Error) as info:
        api.echo({1: Thing('x')})
    assert_error(info.value, COMLINK_DOMAIN, NOT_TRANSFERABLE)
    assert 'str keys' in info.value.message
    # Without a reference, as before
    assert api.echo({1: 'a'}) == {1: 'a'}


def test_cycles_and_depth(service):
    api, _obj = service
    thing = Thing('t')
    cycle = [thing]
    cycle.append({'back': cycle})
    with pytest.raises(GLib.Error) as info:
        api.echo(cycle)
    assert_error(info.value, COMLINK_DOMAIN, NOT_TRANSFERABLE)
    assert 'holds itself' in info.value.message
    plain = {'a': 1}
    plain['self'] = plain
    with pytest.raises(GLib.Error) as info:
        api.echo(plain)
    assert_error(info.value, COMLINK_DOMAIN, NOT_TRANSFERABLE)

    # The same list twice, not inside itself, travels
    twice = [thing]
    assert api.echo([twice, twice]) == [[thing], [thing]]

    # Sixteen levels of containers travel, seventeen do not
    deep = [thing]
    for _ in range(15):
        deep = [deep]
    back = api.echo(deep)
    for _ in range(15):
        back = back[0]
    assert back == [thing] and back[0] is thing
    with pytest.raises(GLib.Error) as info:
        api.echo([deep])
    assert_error(info.value, COMLINK_DOMAIN, NOT_TRANSFERABLE)
    assert '16' in info.value.message
    assert api.add(1, 2) == 3


class Emitter(GObject.Object):
    __gtype_name__ = 'PyNestedEmitter'

    @GObject.Signal(arg_types=(Comlink.Container,))
    def items(self, container):
        pass

    @GObject.Signal(flags=ACTION, return_type=str, arg_types=(Comlink.Container,))
    def keys(self, container):
        return ','.join(container.get_key(i) for i in range(container.get_n_items()))


def test_signals_and_container_parameters():
    emitter = Emitter()
    channel = Comlink.Channel.new()
    connection = Comlink.expose(emitter, channel.get_port1())
    try:
        api = Comlink.wrap(channel.get_port2())
        received = []
        subscription = Comlink.subscribe(api, 'items', received.append)
        container = Comlink.Container.new_dict()
        container.insert('leaf', value_of(Leaf, Leaf(name='inside')))
        container.insert('n', value_of(GObject.TYPE_INT, 3))
        emitter.emit('items', container)
        assert iterate_until(lambda: received)
        [items] = received
        assert items['n'] == 3
        assert items['leaf'].greet('you') == 'inside greets you'
        Comlink.unsubscribe(api, subscription)
        # A declared container parameter takes either form
        assert api.keys({'b': Leaf(), 'a': 1}) == 'b,a'
        assert api.keys({'b': 2, 'a': 1}) == 'b,a'
    finally:
        connection.close()


def receive_and_drop(api):
    first, rest = api.make_things_in()
    assert first.describe() == 'thing first'
    assert rest['thing'].describe() == 'thing second'
    return ([weakref.ref(first), weakref.ref(rest['thing'])],
            [finalized(Comlink.unwrap(first)), finalized(Comlink.unwrap(rest['thing']))])


def test_releasing(service):
    api, obj = service
    connection = Comlink.unwrap(api).dup_connection()
    base = connection.props.n_proxies
    refs, gone = receive_and_drop(api)
    # The Remotes and their proxies go, and the peer releases its objects
    assert collect_until(lambda: all(r() is None for r in refs) and all(e.is_set() for e in gone))
    assert collect_until(lambda: len(obj.things) == 2 and all(e.is_set() for e in obj.things))
    assert connection.props.n_proxies == base

    # An object and a function of this side, sent inside a dict that the
    # peer dropped
    released = threading.Event()

    def callback():
        return 1

    callback_ref = weakref.ref(callback)
    api.drop({'list': [Thing('sent', released)], 'callback': callback})
    del callback
    assert collect_until(lambda: released.is_set() and callback_ref() is None)

    # Comlink.release () on an object that came inside a list
    first, rest = api.make_things_in()
    Comlink.release(first)
    assert collect_until(obj.things[2].is_set)
    with pytest.raises(GLib.Error) as info:
        first.describe()
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.CLOSED)
    assert rest['thing'].describe() == 'thing second'
    assert not obj.things[3].is_set()


def test_objects_inside_containers_keep_the_restriction():
    channel = Comlink.Channel.new()
    service = NestedService()
    connection = Comlink.expose(service, channel.get_port1(), allow=['make_things_in', 'describe'])
    try:
        api = Comlink.wrap(channel.get_port2())
        first, rest = api.make_things_in()
        assert first.describe() == 'thing first'
        with pytest.raises(GLib.Error) as info:
            Comlink.get(rest['thing'], 'name')
        assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.NO_SUCH_PROPERTY)
    finally:
        connection.close()


# --- the C child: what a C peer receives ---

def c_children_and_drop(api):
    children = api.make_children(5)
    assert list(children) == ['child', 'more']
    assert children['child'].value == 5
    assert children['more'][0].value == 6
    assert children['child'].add(1, 2) == 3
    return [finalized(Comlink.unwrap(children['child'])), finalized(Comlink.unwrap(children['more'][0]))]


def test_a_c_peer_receives_and_sends_containers():
    worker = Comlink.Worker.new_subprocess(None, [os.environ['COMLINK_TEST_CHILD']])
    try:
        api = Comlink.wrap(worker)
        assert api.describe_container({'cb': lambda: 1, 'n': 1}) == '{cb: ComlinkProxy, n: int 1}'
        assert api.describe_container([Leaf(), None, 'a', [Leaf()]]) == \
            '[ComlinkProxy, null, string a, [ComlinkProxy]]'
        assert api.describe_container({'leaf': Leaf(), 'plain': [1, 2]}) == \
            '{leaf: ComlinkProxy, plain: variant [1, 2]}'
        assert api.describe_container({'k': 2}) == '{k: int 2}'
        # No value (JavaScript's undefined), which Python itself never sends
        container = Comlink.Container.new_array()
        container.append(None)
        container.append(value_of(GObject.TYPE_INT, 1))
        assert api.describe_container(container) == '[void, int 1]'
        assert api.echo_container(container) == [None, 1]

        # A file descriptor inside a dict
        read_end, write_end = os.pipe()
        os.write(write_end, b'descriptor')
        os.close(write_end)
        fds = Gio.UnixFDList.new_from_array([read_end])
        assert api.describe_container({'fds': fds, 'n': 1}) == '{fds: fds descriptor, n: int 1}'

        # Proxies of the C peer's objects, returned inside a container
        connection = worker.get_connection()
        base = connection.props.n_proxies
        gone = c_children_and_drop(api)
        assert collect_until(lambda: all(e.is_set() for e in gone))
        assert connection.props.n_proxies == base

        # GObjects of this process inside a list: the C peer calls them
        assert api.add_all([Calc(), Calc()]) == 3
        # The peer's own object, sent back to it inside a list
        child = api.make_child(10)
        echoed = api.echo_container([child, 'x'])
        assert echoed[0].value == 10 and echoed[1] == 'x'
    finally:
        worker.terminate()


# --- a Python subprocess worker ---

def child_things_and_drop(api):
    first, rest = api.make_things_in()
    assert first.describe() == 'thing first'
    assert rest['thing'].describe() == 'thing second'
    assert rest['n'] == 2**40


def test_python_subprocess_worker(subprocess_worker):
    api = Comlink.wrap(subprocess_worker('child.py', 'plain'))
    calls = []

    def callback(n):
        calls.append(n)
        return n * 2

    assert api.call_in({'callback': callback, 'value': 21}) == 42
    assert calls == [21]
    leaf = Leaf()
    back = api.echo({'list': [leaf, None], 'n': 1})
    assert back == {'list': [leaf, None], 'n': 1} and back['list'][0] is leaf

    read_end, write_end = os.pipe()
    os.write(write_end, b'through a pipe')
    os.close(write_end)
    stream = Gio.UnixInputStream.new(read_end, True)
    assert api.read_stream_in({'stream': stream, 'length': 64}) == 'through a pipe'

    child_things_and_drop(api)
    assert collect_until(lambda: api.released_things() == 2)
