# SPDX-License-Identifier: LGPL-2.1-or-later
"""Objects that the Python tests expose, and helpers shared by the tests."""

import threading
import time

import gi

gi.require_version('GLib', '2.0')
gi.require_version('GObject', '2.0')
gi.require_version('Gio', '2.0')
gi.require_version('Comlink', '1')
from gi.repository import Comlink, Gio, GLib, GObject  # noqa: E402

ACTION = GObject.SignalFlags.RUN_LAST | GObject.SignalFlags.ACTION


class Leaf(GObject.Object):
    """An object reached through a property of Calc; finalization is
    reported through a GObject weak reference set by the tests."""
    __gtype_name__ = 'PyTestLeaf'

    name = GObject.Property(type=str, default='leaf')

    @GObject.Signal(flags=ACTION, return_type=str, arg_types=(str,))
    def greet(self, who):
        return '%s greets %s' % (self.name, who)


class Calc(GObject.Object):
    """A GObject exposed as it is: properties answer gets and sets, action
    signals are its methods, the plain signal "changed" can be subscribed
    to."""
    __gtype_name__ = 'PyTestCalc'

    value = GObject.Property(type=int, default=0)
    label = GObject.Property(type=str, default='calc')
    leaf = GObject.Property(type=Leaf)

    def __init__(self):
        super().__init__()
        self.leaf = Leaf()
        self.held = []                    # invocations kept unanswered
        self.cancelled = threading.Event()  # a held invocation was cancelled
        self.made = []                    # weak notes of objects made by make_leaf

    @GObject.Signal
    def changed(self, value: int):
        pass

    @GObject.Signal(flags=ACTION, return_type=int, arg_types=(int, int))
    def add(self, a, b):
        return a + b

    @GObject.Signal(flags=ACTION, return_type=float, arg_types=(float,))
    def half(self, x):
        return x / 2

    @GObject.Signal(flags=ACTION, arg_types=(int,))
    def bump(self, times):
        for _ in range(times):
            self.value += 1
            self.emit('changed', self.value)

    @GObject.Signal(flags=ACTION, return_type=int, arg_types=(GObject.Object, int))
    def each(self, callback, n):
        """Calls the caller's callback n times with 0..n-1 (blocking calls
        from the worker back into the caller) and returns the sum of what
        it returned."""
        fn = Comlink.wrap(callback)
        return sum(fn(i) for i in range(n))

    @GObject.Signal(flags=ACTION, arg_types=(Comlink.Invocation,))
    def hold(self, invocation):
        # A cancelled invocation is let go. The handler holds neither self
        # nor the invocation: through the invocation's cancellable, that
        # would keep them alive.
        held, cancelled = self.held, self.cancelled

        def on_cancelled(*_args):
            held[:] = [i for i in held if not i.get_cancellable().is_cancelled()]
            cancelled.set()

        invocation.get_cancellable().connect(on_cancelled)
        held.append(invocation)

    @GObject.Signal(flags=ACTION, arg_types=(str, int, Comlink.Invocation))
    def fail(self, domain, code, invocation):
        invocation.return_gerror(GLib.Error('failed on purpose', domain, code))

    @GObject.Signal(flags=ACTION, return_type=Leaf, arg_types=(str,))
    def make_leaf(self, name):
        leaf = Leaf(name=name)
        gone = threading.Event()
        leaf.weak_ref(gone.set)
        self.made.append(gone)
        return leaf


class Nulls(GObject.Object):
    """Methods that return nothing (the wire's NONE) or a null (NULL), and
    one that tells what it received."""
    __gtype_name__ = 'PyTestNulls'

    @GObject.Signal(flags=ACTION)
    def nothing(self):
        pass

    @GObject.Signal(flags=ACTION, return_type=GLib.Variant)
    def null_variant(self):
        return None

    @GObject.Signal(flags=ACTION, return_type=GObject.TYPE_STRV)
    def null_strv(self):
        return None

    @GObject.Signal(flags=ACTION, return_type=str)
    def null_string(self):
        return None

    @GObject.Signal(flags=ACTION, return_type=str, arg_types=(GLib.Variant,))
    def variant_is_null(self, variant):
        return 'null' if variant is None else variant.get_type_string()


class Counter:
    """A plain class that the peer can construct."""

    def __init__(self, start=0):
        self.count = start

    def inc(self, by=1):
        self.count += by
        return self.count


class Thing:
    """A plain object that travels by reference; its finalizer hook and its
    Python finalization are observed through events."""

    def __init__(self, name, released=None):
        self.name = name
        self._released = released

    def describe(self):
        return 'thing %s' % self.name

    def __comlink_finalizer__(self):
        if self._released is not None:
            self._released.set()


class Service:
    """A plain Python object exposed through Comlink.expose."""

    Counter = Counter

    def __init__(self):
        self.value = 3
        self.items = ['a', 'b']
        self._secret = 'hidden'
        self._ratio = 0.5
        self.released = threading.Event()
        self.cancelled = threading.Event()
        self.things = []

    @property
    def ratio(self):
        return self._ratio

    @ratio.setter
    def ratio(self, value):
        if not 0 <= value <= 1:
            raise ValueError('ratio out of range')
        self._ratio = value

    @property
    def fixed(self):
        return 'fixed'

    def add(self, a, b):
        return a + b

    def echo(self, value):
        return value

    def type_of(self, value):
        return type(value).__name__

    def raise_value_error(self):
        raise ValueError('bad value')

    def raise_key_error(self):
        return {}['missing']

    def raise_custom(self):
        class Oops(Exception):
            pass
        raise Oops('custom')

    def raise_gerror(self, domain, code):
        raise GLib.Error('raised on purpose', domain, code)

    def call_back(self, fn, *args):
        return fn(*args)

    def make_thing(self, name):
        thing = Thing(name, threading.Event())
        self.things.append(thing._released)
        return thing

    def describe(self, thing):
        return thing.describe()

    def same(self, a, b):
        return a is b

    def wait_cancelled(self, seconds):
        """Blocks until the caller cancels (or @seconds pass); returns
        whether the invocation's cancellable fired."""
        cancellable = Comlink.current_invocation().get_cancellable()
        deadline = time.monotonic() + seconds
        # The cancellation arrives as a message in this thread's context:
        # a long method runs the context to see it
        context = GLib.MainContext.ref_thread_default()
        while not cancellable.is_cancelled() and time.monotonic() < deadline:
            if not context.iteration(False):
                time.sleep(0.005)
        if cancellable.is_cancelled():
            self.cancelled.set()
        return cancellable.is_cancelled()

    def __comlink_finalizer__(self):
        self.released.set()


def iterate_until(condition, timeout=5.0, context=None):
    """Runs the main context until @condition () is true; returns it."""
    context = context or GLib.MainContext.default()
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        if not context.iteration(False):
            time.sleep(0.002)
    return condition()


def assert_error(error, domain, code):
    assert isinstance(error, GLib.Error), error
    assert error.domain == domain, (error.domain, error.message)
    assert error.code == int(code), (error.code, error.message)


COMLINK_DOMAIN = 'comlink-error-quark'
IO_DOMAIN = 'g-io-error-quark'

__all__ = ['Comlink', 'Gio', 'GLib', 'GObject', 'Calc', 'Leaf', 'Counter', 'Thing', 'Service',
           'iterate_until', 'assert_error', 'COMLINK_DOMAIN', 'IO_DOMAIN']
