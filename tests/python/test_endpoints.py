# SPDX-License-Identifier: LGPL-2.1-or-later
"""Endpoints across processes: a new endpoint asked of a subprocess worker,
and an endpoint given to one as an argument."""

import os

import pytest

from objects import COMLINK_DOMAIN, Comlink, Gio, GLib, iterate_until


def test_create_endpoint_of_a_child(subprocess_worker):
    worker = subprocess_worker('child.py', 'gobject')
    api = Comlink.wrap(worker)
    endpoint = Comlink.create_endpoint(api)
    assert isinstance(endpoint, Comlink.StreamEndpoint)
    other = Comlink.wrap(endpoint)
    assert other.add(3, 4) == 7
    other.value = 9
    assert api.value == 9  # the same object
    Comlink.release(other)
    del other
    assert iterate_until(endpoint.is_closed)
    assert api.add(1, 2) == 3


def test_call_through_new_endpoint_fails_on_terminate(subprocess_worker):
    worker = subprocess_worker('child.py', 'gobject')
    api = Comlink.wrap(worker)
    other = Comlink.wrap(Comlink.create_endpoint(api))
    assert other.add(20, 22) == 42
    done = []
    Comlink.call_async(other, 'add', 1, 2, callback=done.append)
    assert iterate_until(lambda: len(done) == 1)
    assert done[0].result() == 3
    worker.terminate()
    with pytest.raises(GLib.Error) as info:
        other.add(1, 2)
    error = info.value
    assert ((error.domain == COMLINK_DOMAIN and error.code == int(Comlink.Error.CLOSED)) or
            (error.domain == GLib.quark_to_string(Gio.io_error_quark()) and
             error.code == int(Gio.IOErrorEnum.CONNECTION_CLOSED))), error


class Local:
    def add(self, a, b):
        return a + b + 1000


def test_endpoint_argument_to_a_child():
    """The C child of the C tests wraps the endpoint, calls add through it
    and drops its proxy, which closes this side too."""
    worker = Comlink.Worker.new_subprocess(None, [os.environ['COMLINK_TEST_CHILD']])
    try:
        api = Comlink.wrap(worker)
        channel = Comlink.Channel.new()
        Comlink.expose(Local(), channel.get_port1())
        assert api.add_through(channel.get_port2(), 20, 22) == 1042
        assert iterate_until(channel.get_port1().is_closed)
    finally:
        worker.terminate()
