# SPDX-License-Identifier: LGPL-2.1-or-later
"""DESCRIBE from Python: a Remote asks for the description of its object
once and then tells properties from methods without a round trip, for
GObjects and plain Python objects, in thread and subprocess workers; a
peer that cannot describe its object falls back to reading each name."""

import pytest

from objects import (COMLINK_DOMAIN, Calc, Comlink, GLib, GObject, Service,
                     assert_error)

REPLY = 7
ERROR = 8


class Answers:
    """Counts the answers (REPLY and ERROR) that reach the caller's
    endpoint: one for each request the serving side answered."""

    def __init__(self, connection):
        self.count = 0
        self._endpoint = connection.get_endpoint()
        self._handler = self._endpoint.connect('message', self._on_message)

    def _on_message(self, _endpoint, message, _fds):
        kind = message.get_child_value(0).get_child_value(0).get_byte()
        if kind in (REPLY, ERROR):
            self.count += 1

    def close(self):
        self._endpoint.disconnect(self._handler)


class Watched(Service):
    """A Service that counts, on the serving side, the lookups of its
    public attributes: a GET of a name looks it up, a description does
    not."""

    def __init__(self):
        super().__init__()
        object.__setattr__(self, '_lookups', {})

    def __getattribute__(self, name):
        if not name.startswith('_'):
            lookups = object.__getattribute__(self, '_lookups')
            lookups[name] = lookups.get(name, 0) + 1
        return object.__getattribute__(self, name)


def _worker(kind, thread_worker, subprocess_worker, made):
    if kind == 'gobject-thread':
        return thread_worker(lambda: made.setdefault('obj', Calc()), 'calc')
    if kind == 'plain-thread':
        return thread_worker(lambda: made.setdefault('obj', Watched()), 'plain')
    if kind == 'gobject-subprocess':
        return subprocess_worker('child.py', 'gobject')
    return subprocess_worker('child.py', 'plain')


@pytest.mark.parametrize('kind', ['gobject-thread', 'gobject-subprocess'])
def test_gobject_members_without_round_trips(kind, thread_worker, subprocess_worker):
    made = {}
    worker = _worker(kind, thread_worker, subprocess_worker, made)
    api = Comlink.wrap(worker)
    answers = Answers(worker.get_connection())
    try:
        # The first name costs the description, and nothing else
        add = api.add
        assert isinstance(add, Comlink.RemoteMethod)
        assert answers.count == 1
        for _ in range(3):
            assert isinstance(api.add, Comlink.RemoteMethod)
            assert isinstance(api.half, Comlink.RemoteMethod)
            assert isinstance(api.make_leaf, Comlink.RemoteMethod)
        assert answers.count == 1

        # A property is read, one round trip each
        assert api.value == 0
        assert answers.count == 2
        assert api.label == 'calc'
        assert answers.count == 3

        assert add(2, 3) == 5
        assert api.half(3.0) == 1.5
        assert answers.count == 5

        # A Remote of the same proxy uses its description too
        again = Comlink.wrap(Comlink.unwrap(api))
        assert isinstance(again.bump, Comlink.RemoteMethod)
        assert answers.count == 5

        description = Comlink.describe(api)
        assert description['type'] == 'PyTestCalc'
        assert ('add', ['gint', 'gint'], 'gint') in description['methods']
        assert ('value', 'gint', 3) in description['properties']
        assert 'changed' in [name for name, _types in description['signals']]
        assert 'changed' not in [name for name, _a, _r in description['methods']]
        assert answers.count == 5
    finally:
        answers.close()


@pytest.mark.parametrize('kind', ['plain-thread', 'plain-subprocess'])
def test_plain_members_without_round_trips(kind, thread_worker, subprocess_worker):
    made = {}
    worker = _worker(kind, thread_worker, subprocess_worker, made)
    api = Comlink.wrap(worker)
    answers = Answers(worker.get_connection())
    try:
        assert isinstance(api.add, Comlink.RemoteMethod)
        assert answers.count == 1
        for _ in range(3):
            assert isinstance(api.add, Comlink.RemoteMethod)
            assert isinstance(api.echo, Comlink.RemoteMethod)
            # A class is called (constructed), not read
            assert isinstance(api.Counter, Comlink.RemoteMethod)
        assert answers.count == 1

        assert api.value == 3
        assert api.ratio == 0.5
        assert api.fixed == 'fixed'
        assert api.items == ['a', 'b']
        assert answers.count == 5
        assert api.add(1, 2) == 3
        assert answers.count == 6

        description = Comlink.describe(api)
        methods = {name: args for name, args, _result in description['methods']}
        properties = {name: access for name, _type, access in description['properties']}
        assert methods['add'] == ['any', 'any']
        assert properties['value'] == 3
        assert properties['ratio'] == 3
        assert properties['fixed'] == 1
        # Dunder names are never reachable, so never listed; a name with one
        # underscore is a member like any other
        assert not [name for name in list(methods) + list(properties) if name.startswith('__')]
        assert properties['_secret'] == 3
        assert description['signals'] == []
        assert answers.count == 6

        if kind == 'plain-thread':
            # On the serving side, a method name was never looked up
            # until it was called, the properties once for each read
            lookups = made['obj']._lookups
            assert lookups.get('echo', 0) == 0
            assert lookups.get('Counter', 0) == 0
            assert lookups['add'] == 1
            assert lookups['value'] == 1
    finally:
        answers.close()


def test_path_description(thread_worker):
    worker = thread_worker(lambda: Calc(), 'calc')
    api = Comlink.wrap(worker)
    leaf = api.leaf
    assert isinstance(leaf, Comlink.Remote)
    assert isinstance(leaf.greet, Comlink.RemoteMethod)
    assert leaf.name == 'leaf'
    assert leaf.greet('you') == 'leaf greets you'
    assert Comlink.describe(leaf)['type'] == 'PyTestLeaf'

    missing = Comlink.Remote(Comlink.unwrap(api).get_child('missing'))
    with pytest.raises(GLib.Error) as info:
        Comlink.describe(missing)
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.NO_SUCH_PROPERTY)


class Undescribed(GObject.Object, Comlink.Exposable):
    """Serves GET of "x" and calls of anything, and cannot describe
    itself."""
    __gtype_name__ = 'PyTestUndescribed'

    def do_invoke(self, invocation):
        kind = invocation.get_kind()
        if kind == Comlink.InvocationKind.GET and invocation.get_member() == 'x':
            value = GObject.Value(GObject.TYPE_INT, 5)
            invocation.return_value(value)
        elif kind == Comlink.InvocationKind.GET:
            invocation.return_gerror(GLib.Error('no property', COMLINK_DOMAIN,
                                                Comlink.Error.NO_SUCH_PROPERTY))
        else:
            invocation.return_value(GObject.Value(GObject.TYPE_INT, 7))


def test_fallback_when_not_described(thread_worker):
    worker = thread_worker(lambda: Undescribed(), 'undescribed')
    api = Comlink.wrap(worker)
    answers = Answers(worker.get_connection())
    try:
        with pytest.raises(GLib.Error) as info:
            Comlink.describe(api)
        assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.NOT_SUPPORTED)
        assert answers.count == 1

        # The description failed: each new name is read first
        assert api.x == 5
        assert answers.count == 3
        method = api.anything
        assert isinstance(method, Comlink.RemoteMethod)
        assert answers.count == 4
        assert method() == 7
        assert isinstance(api.anything, Comlink.RemoteMethod)
        assert answers.count == 5
    finally:
        answers.close()


def test_description_follows_the_restriction():
    """An object exposed with allow= is described with the allowed names
    only: the description tells the peer nothing more than it can reach."""
    channel = Comlink.Channel.new()
    Comlink.expose(Service(), channel.get_port1(), allow=['add', '_secret'])
    api = Comlink.wrap(channel.get_port2())
    description = Comlink.describe(api)
    assert [name for name, _args, _result in description['methods']] == ['add']
    assert [name for name, _type, _access in description['properties']] == ['_secret']
    Comlink.release(api)


def test_dir_lists_described_members():
    """dir () of a Remote lists what the description lists, with one
    DESCRIBE; of a peer that cannot describe, only the Remote's own."""
    channel = Comlink.Channel.new()
    connection = Comlink.expose(Service(), channel.get_port1(), allow=['add', '_secret', 'value'])
    api = Comlink.wrap(channel.get_port2())
    answers = Answers(api._proxy.dup_connection())
    try:
        names = dir(api)
        assert {'add', '_secret', 'value'} <= set(names)
        assert 'echo' not in names  # refused by allow, so not described
        assert 'new' in names and 'call_async' in names  # the Remote's own
        assert answers.count == 1
        dir(api)
        assert answers.count == 1
    finally:
        answers.close()
        Comlink.release(api)
        connection.close()


def test_dir_without_description(thread_worker):
    worker = thread_worker(lambda: Undescribed(), 'undescribed')
    api = Comlink.wrap(worker)
    names = dir(api)
    assert 'new' in names and 'x' not in names
