# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fixtures of the Python tests: a hang guard, workers that are always
terminated, and a subprocess worker whose stderr must stay empty."""

import faulthandler
import gc
import os
import sys

import pytest

from objects import Comlink, Gio, GLib, iterate_until

# A test that hangs dumps every thread's stack and ends the run
HANG_TIMEOUT = float(os.environ.get('COMLINK_TEST_HANG_TIMEOUT', '60'))

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(autouse=True)
def hang_guard(request):
    # pytest's own copy of stderr, which its output capture leaves alone
    try:
        from _pytest.faulthandler import fault_handler_stderr_key
        stream = request.config.stash.get(fault_handler_stderr_key, sys.__stderr__)
    except ImportError:
        stream = sys.__stderr__
    faulthandler.dump_traceback_later(HANG_TIMEOUT, exit=True, file=stream)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(autouse=True)
def no_pending_sources():
    yield
    # What a test left in the main context runs now, not in the next test
    gc.collect()
    iterate_until(lambda: not GLib.MainContext.default().pending(), timeout=2)


def _terminate(worker):
    worker.terminate()
    assert worker.get_state() == Comlink.WorkerState.TERMINATED


@pytest.fixture
def thread_worker():
    """make (setup, name) -> a thread worker, terminated after the test."""
    workers = []

    def make(setup, name='test'):
        worker = Comlink.Worker.new_thread(name, setup)
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        if worker.get_state() not in (Comlink.WorkerState.TERMINATED, Comlink.WorkerState.EXITED):
            _terminate(worker)


@pytest.fixture
def subprocess_worker(tmp_path):
    """make (script, *args, options=()) -> a worker running
    tests/python/@script with /usr/bin/python3 and its @options; after the
    test its stderr must be empty and the child reaped."""
    workers = []

    def make(script, *args, options=()):
        launcher = Gio.SubprocessLauncher.new(Gio.SubprocessFlags.NONE)
        log = tmp_path / ('%s-%d.log' % (script, len(workers)))
        launcher.set_stderr_file_path(str(log))
        worker = Comlink.Worker.new_subprocess(
            launcher, [sys.executable, *options, os.path.join(HERE, script), *args])
        workers.append((worker, worker.get_subprocess(), log))
        return worker

    yield make
    for worker, subprocess, log in workers:
        worker.terminate()
        assert iterate_until(lambda: subprocess.get_identifier() is None, timeout=10), \
            'the child was not reaped'
        text = log.read_text()
        assert text == '', 'the child wrote on stderr:\n' + text
