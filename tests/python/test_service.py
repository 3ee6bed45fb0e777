# SPDX-License-Identifier: LGPL-2.1-or-later
"""Services from Python: Comlink.connect () to a service in another
process, a session of its own for each connection, Comlink.disconnect (),
an address nobody listens on, and the service killed in the middle of a
call."""

import os
import signal
import subprocess

import pytest

from objects import COMLINK_DOMAIN, IO_DOMAIN, Comlink, Gio, GLib, assert_error, iterate_until


@pytest.fixture
def service():
    """A service-peer serving a TestCalc per client; yields (address, process)."""
    address = 'unix:abstract=comlink-test-python-%d' % os.getpid()
    process = subprocess.Popen([os.environ['COMLINK_TEST_SERVICE_PEER'], 'serve', address],
                               stdout=subprocess.PIPE, text=True)
    lines = []
    for line in process.stdout:
        if line.strip() == 'listening':
            break
        lines.append(line.strip())
    assert lines == [address]
    yield address, process
    if process.poll() is None:
        process.kill()
    process.wait()
    process.stdout.close()


def test_connect(service):
    address, _process = service
    first = Comlink.connect(address)
    second = Comlink.connect(address)
    assert first.add(40, 2) == 42

    # A session of its own for each connection
    first.value = 7
    second.value = 9
    assert first.value == 7
    assert second.value == 9

    Comlink.disconnect(first)
    with pytest.raises(GLib.Error) as info:
        first.add(1, 1)
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.CLOSED)
    assert second.add(1, 1) == 2
    Comlink.disconnect(second)


def test_connect_with_client(service):
    address, _process = service
    client = Comlink.Client.new()
    api = Comlink.connect(address, client=client)
    assert api.add(1, 2) == 3
    Comlink.disconnect(api)


def test_nobody_listening():
    with pytest.raises(GLib.Error) as info:
        Comlink.connect('unix:abstract=comlink-test-python-nobody-%d' % os.getpid())
    assert_error(info.value, IO_DOMAIN, Gio.IOErrorEnum.CONNECTION_REFUSED)
    assert 'comlink-test-python-nobody' in info.value.message

    with pytest.raises(GLib.Error) as info:
        Comlink.connect('unix:')
    assert_error(info.value, IO_DOMAIN, Gio.IOErrorEnum.INVALID_ARGUMENT)


def test_service_killed(service):
    address, process = service
    api = Comlink.connect(address)
    pending = Comlink.call_async(api, 'hold')
    assert api.add(1, 1) == 2  # the hold arrived

    process.send_signal(signal.SIGKILL)
    assert iterate_until(lambda: pending.done())
    with pytest.raises(GLib.Error) as info:
        pending.result()
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.CLOSED)
