# SPDX-License-Identifier: LGPL-2.1-or-later
"""Nothing and null: a method that returns nothing travels as the wire's
NONE, None and a NULL GVariant, GStrv or string as a null; Python reads
both as None. Threads, subprocesses and channels."""

import pytest

from objects import Comlink, GLib, GObject, Nulls, Service, iterate_until


def null_value():
    """None as the override sends it: a NULL GVariant"""
    value = GObject.Value(GObject.TYPE_VARIANT)
    value.set_value(None)
    return value


def raw_result(proxy, method, *args):
    """The result of @method as the GJS module reads it: nothing as the
    GVariant m() Nothing, a null as None."""
    results = []
    values = list(args)
    proxy.call_async(method, values, None, lambda p, r, _d: results.append(p.propagate_int64_as_variant(r)),
                     None)
    assert iterate_until(lambda: results)
    return results[0]


def is_nothing(value):
    return isinstance(value, GLib.Variant) and value.get_type_string() == 'm()' and value.get_maybe() is None


@pytest.fixture(params=['thread', 'subprocess'])
def nulls(request, thread_worker, subprocess_worker):
    if request.param == 'thread':
        return thread_worker(lambda: Nulls(), 'nulls')
    return subprocess_worker('child.py', 'nulls')


@pytest.fixture(params=['thread', 'subprocess'])
def service(request, thread_worker, subprocess_worker):
    if request.param == 'thread':
        return thread_worker(lambda: Service(), 'service')
    return subprocess_worker('child.py', 'plain')


def test_nothing_and_null_both_arrive_as_none(nulls):
    api = Comlink.wrap(nulls)
    assert api.nothing() is None
    assert api.null_variant() is None
    assert api.null_strv() is None
    assert api.null_string() is None


def test_nothing_and_null_stay_apart_on_the_wire(nulls):
    proxy = nulls.get_proxy()
    assert is_nothing(raw_result(proxy, 'nothing'))
    assert raw_result(proxy, 'null-variant') is None
    assert raw_result(proxy, 'null-strv') is None
    assert raw_result(proxy, 'null-string') is None


def test_none_reaches_a_declared_pointer_type_as_null(nulls):
    api = Comlink.wrap(nulls)
    assert api.variant_is_null(None) == 'null'
    assert api.variant_is_null(GLib.Variant('s', 'x')) == 's'


def test_none_travels_as_null(service):
    proxy = service.get_proxy()
    # A method that returns None answers a null, not nothing
    result = raw_result(proxy, 'echo', null_value())
    assert result is None and not is_nothing(result)
    api = Comlink.wrap(service)
    assert api.echo(None) is None
    assert api.type_of(None) == 'NoneType'


@pytest.mark.parametrize('value', [
    None, [None], [1, None, 'a'], {'a': None}, {'a': [None, {'b': None}]}, (None, ()),
])
def test_none_round_trips(service, value):
    api = Comlink.wrap(service)
    result = api.echo(value)
    assert result == value
    assert type(result) is type(value)


def test_undefined_inside_containers_arrives_as_none(service):
    # The GJS module writes undefined inside arrays and objects as m() Nothing
    undefined = GLib.Variant('m()', None)
    api = Comlink.wrap(service)
    assert api.echo(GLib.Variant('av', [GLib.Variant('i', 1), undefined, GLib.Variant('mv', None)])) == \
        [1, None, None]
    assert api.echo(GLib.Variant('a{sv}', {'u': undefined, 'n': GLib.Variant('mv', None)})) == \
        {'u': None, 'n': None}


def test_channel_nothing_and_null():
    channel = Comlink.Channel.new()
    connection = Comlink.expose(Nulls(), channel.get_port1())
    try:
        api = Comlink.wrap(channel.get_port2())
        assert api.nothing() is None
        assert api.null_variant() is None
        assert api.variant_is_null(None) == 'null'
    finally:
        connection.close()
