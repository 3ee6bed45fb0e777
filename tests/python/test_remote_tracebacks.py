# SPDX-License-Identifier: LGPL-2.1-or-later
"""The traceback of an exception raised by an exposed method reaches the
caller: the GLib.Error it raises keeps its domain and code, and its
``__cause__`` is a Comlink.RemoteTraceback whose text is the remote
traceback, as concurrent.futures shows a process pool worker's. From a
thread worker, on a channel in this thread, and from a subprocess."""

import traceback

import pytest

from objects import (COMLINK_DOMAIN, IO_DOMAIN, Comlink, Gio, GLib, Service,
                     assert_error, iterate_until)

PY_DOMAIN = Comlink.PYTHON_ERROR_DOMAIN
CAUSE_LINE = 'The above exception was the direct cause of the following exception'


@pytest.fixture(params=['thread', 'channel', 'subprocess'])
def api(request, thread_worker, subprocess_worker):
    if request.param == 'thread':
        return Comlink.wrap(thread_worker(Service, 'service'))
    if request.param == 'subprocess':
        return Comlink.wrap(subprocess_worker('child.py', 'plain'))
    channel = Comlink.Channel.new()
    connection = Comlink.expose(Service(), channel.get_port1())
    request.addfinalizer(connection.close)
    return Comlink.wrap(channel.get_port2())


def remote_text(error):
    cause = error.__cause__
    assert isinstance(cause, Comlink.RemoteTraceback), repr(cause)
    assert str(cause) == '\n"""\n%s"""' % cause.traceback
    return cause.traceback


def test_python_exception(api):
    with pytest.raises(GLib.Error) as info:
        api.raise_value_error()
    assert_error(info.value, PY_DOMAIN, Comlink.PythonError.VALUE_ERROR)
    assert info.value.message == 'ValueError: bad value'
    text = remote_text(info.value)
    assert text.startswith('Traceback (most recent call last):\n')
    assert 'objects.py' in text and ', in raise_value_error\n' in text
    # It begins at the method: the frames of the dispatch are left out
    assert text.splitlines()[1].endswith(', in raise_value_error')
    assert "raise ValueError('bad value')" in text
    assert text.endswith('ValueError: bad value\n')
    assert info.value.__cause__.class_name == 'ValueError'

    with pytest.raises(GLib.Error) as info:
        api.raise_custom()
    assert_error(info.value, PY_DOMAIN, Comlink.PythonError.FAILED)
    assert ', in raise_custom\n' in remote_text(info.value)
    assert info.value.__cause__.class_name == 'objects.Service.raise_custom.<locals>.Oops'


def test_glib_error_keeps_domain_and_code(api):
    with pytest.raises(GLib.Error) as info:
        api.raise_gerror(IO_DOMAIN, int(Gio.IOErrorEnum.BUSY))
    assert_error(info.value, IO_DOMAIN, Gio.IOErrorEnum.BUSY)
    assert info.value.message == 'raised on purpose'
    assert ', in raise_gerror\n' in remote_text(info.value)
    assert info.value.__cause__.class_name == 'gi.repository.GLib.GError'


def test_uncaught_error_prints_the_remote_frames(api):
    with pytest.raises(GLib.Error) as info:
        api.raise_key_error()
    printed = ''.join(traceback.format_exception(type(info.value), info.value,
                                                 info.value.__traceback__))
    assert 'Comlink.RemoteTraceback' in printed
    assert CAUSE_LINE in printed
    # The remote frames come first, then the local ones
    assert printed.index(', in raise_key_error') < printed.index(CAUSE_LINE)
    assert printed.index(CAUSE_LINE) < printed.index('test_remote_tracebacks.py')


def test_async_form(api):
    done = []
    pending = Comlink.call_async(api, 'raise_value_error', callback=done.append)
    assert iterate_until(lambda: done)
    assert_error(pending.error, PY_DOMAIN, Comlink.PythonError.VALUE_ERROR)
    assert ', in raise_value_error\n' in remote_text(pending.error)


def test_library_errors_have_no_remote_traceback(api):
    with pytest.raises(GLib.Error) as info:
        api.add(1)
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.INVALID_ARGUMENTS)
    assert info.value.__cause__ is None
    with pytest.raises(GLib.Error) as info:
        api.no_such_method()
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.NO_SUCH_METHOD)
    assert info.value.__cause__ is None
    assert api.add(1, 2) == 3


def test_plain_gerror_of_a_gobject_has_none(thread_worker):
    from objects import Calc

    api = Comlink.wrap(thread_worker(Calc, 'calc'))
    with pytest.raises(GLib.Error) as info:
        api.fail(IO_DOMAIN, int(Gio.IOErrorEnum.NOT_FOUND))
    assert_error(info.value, IO_DOMAIN, Gio.IOErrorEnum.NOT_FOUND)
    assert info.value.__cause__ is None


def test_callback_exception(api):
    """An exception in a Python function that the peer calls back reaches
    the peer with its traceback, and so the caller of the peer's method
    too: the peer's traceback has the callback's as its cause."""
    def failing_callback(n):
        raise KeyError('missing %d' % n)

    with pytest.raises(GLib.Error) as info:
        api.call_back(failing_callback, 3)
    assert_error(info.value, PY_DOMAIN, Comlink.PythonError.KEY_ERROR)
    text = remote_text(info.value)
    assert ', in call_back\n' in text
    # The peer's own error had the callback's traceback as its cause
    assert ', in failing_callback\n' in text
    assert "raise KeyError('missing %d' % n)" in text
    assert CAUSE_LINE in text
