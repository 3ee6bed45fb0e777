# SPDX-License-Identifier: LGPL-2.1-or-later
"""Worker pools from Python, used as a worker is: Comlink.wrap (pool) gives
a remote whose methods run on the least busy worker, synchronously or with
call_async; a pool of threads that expose a plain Python object, and a pool
of Python children, one of which crashes and is replaced."""

import collections
import os
import sys
import threading
import time

import pytest

from objects import COMLINK_DOMAIN, Comlink, Gio, GLib, assert_error, iterate_until

HERE = os.path.dirname(os.path.abspath(__file__))


class Squares:
    """What each thread of the pool exposes"""

    def add(self, a, b):
        return a + b

    def slow(self, seconds):
        time.sleep(seconds)
        return threading.get_ident()

    def fail(self):
        raise ValueError('not a square')


def test_thread_pool():
    setups = []

    def setup(tag):
        setups.append(threading.get_ident())
        assert tag == 'tag'
        return Squares()

    pool = Comlink.WorkerPool.new_thread('squares', 2, setup, 'tag')
    try:
        api = Comlink.wrap(pool)
        assert isinstance(api, Comlink.PoolRemote)
        assert Comlink.wrap(api) is api
        assert api.add(40, 2) == 42
        assert Comlink.call(api, 'add', 1, 2) == 3
        assert iterate_until(lambda: len(setups) == 2)
        assert threading.get_ident() not in setups

        # 4 calls of the same length on 2 threads: 2 each, 2 waiting at first
        done = []
        pendings = [api.slow.call_async(0.2, callback=done.append) for _ in range(4)]
        assert pool.get_n_busy() == 2
        assert pool.get_n_queued() == 2
        assert iterate_until(lambda: len(done) == 4, timeout=10)
        served = collections.Counter(p.result() for p in pendings)
        assert sorted(served.values()) == [2, 2]
        assert set(served) == set(setups)

        # A Python exception comes back with its traceback
        with pytest.raises(GLib.Error) as info:
            api.fail()
        assert_error(info.value, Comlink.PYTHON_ERROR_DOMAIN, Comlink.PythonError.VALUE_ERROR)
        assert isinstance(info.value.__cause__, Comlink.RemoteTraceback)
        assert 'not a square' in info.value.__cause__.traceback

        # A queued call that is cancelled fails at once; a timeout counts
        # the time in the queue
        blockers = [api.slow.call_async(0.3) for _ in range(2)]
        queued = api.add.call_async(1, 1)
        queued.cancel()
        with pytest.raises(GLib.Error) as info:
            queued.wait()
        assert_error(info.value, 'g-io-error-quark', Gio.IOErrorEnum.CANCELLED)
        with pytest.raises(GLib.Error) as info:
            api.add(1, 1, timeout=50)
        assert_error(info.value, 'g-io-error-quark', Gio.IOErrorEnum.TIMED_OUT)
        for blocker in blockers:
            blocker.wait()

        # Terminate settles the running and the queued calls at once
        done = []
        pendings = [api.slow.call_async(0.3, callback=done.append) for _ in range(3)]
        pool.terminate()
        assert pool.get_state() == Comlink.WorkerPoolState.TERMINATED
        assert iterate_until(lambda: len(done) == 3, timeout=1)
        for pending in pendings:
            assert_error(pending.error, COMLINK_DOMAIN, Comlink.Error.TERMINATED)
        with pytest.raises(GLib.Error) as info:
            api.add(1, 1)
        assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.TERMINATED)
    finally:
        pool.terminate()


def test_subprocess_pool(tmp_path):
    launcher = Gio.SubprocessLauncher.new(Gio.SubprocessFlags.NONE)
    log = tmp_path / 'children.log'
    launcher.set_stderr_file_path(str(log))
    pool = Comlink.WorkerPool.new_subprocess(
        launcher, [sys.executable, os.path.join(HERE, 'child.py'), 'plain'], 2)
    exited = []
    pool.connect('worker-exited', lambda _pool, worker, error: exited.append((worker, error)))
    children = [worker.get_subprocess() for worker in pool.dup_workers()]
    try:
        api = Comlink.wrap(pool)
        assert api.add(2, 3) == 5
        # One call after the other: round robin over the two children
        pids = [api.pid() for _ in range(4)]
        assert len(set(pids)) == 2
        assert pids[:2] == pids[2:]

        # A child that dies fails its call; another takes its place
        with pytest.raises(GLib.Error) as info:
            api.crash(3)
        assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.WORKER_EXITED)
        assert 'status 3' in info.value.message
        assert iterate_until(lambda: len(exited) == 1)
        assert_error(exited[0][1], COMLINK_DOMAIN, Comlink.Error.WORKER_EXITED)
        assert exited[0][0].get_state() == Comlink.WorkerState.EXITED
        children += [worker.get_subprocess() for worker in pool.dup_workers()]
        new_pids = {api.pid() for _ in range(4)}
        assert len(new_pids) == 2
        assert len(new_pids & set(pids)) == 1

        done = []
        pending = Comlink.call_async(api, 'wait_cancelled', 30, callback=done.append)
        assert iterate_until(lambda: pool.get_n_busy() == 1)
        pool.terminate()
        assert iterate_until(lambda: len(done) == 1, timeout=1)
        assert_error(pending.error, COMLINK_DOMAIN, Comlink.Error.TERMINATED)
    finally:
        pool.terminate()
    for child in children:
        assert iterate_until(lambda: child.get_identifier() is None, timeout=10), \
            'a child was not reaped'
    assert log.read_text() == ''
