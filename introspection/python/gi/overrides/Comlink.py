# SPDX-License-Identifier: LGPL-2.1-or-later
"""Comlink's feel in PyGObject.

``from gi.repository import Comlink`` loads this override on top of the
typelib. ``Comlink.wrap ()`` gives a :class:`Remote` on which remote methods
are called as local ones and remote properties read and written as
attributes; ``Comlink.expose ()`` exposes a plain Python object. See
doc/python.md for the whole story.

Lifetimes: a :class:`Remote` holds its ``Comlink.Proxy`` (and the worker it
was made from); nothing of this module holds a Remote or a proxy once a call
has completed, so a Remote that the script drops is collected, its proxy is
finalized and the peer is told to release the object.  An object exposed
from Python is wrapped in an ``_Exposed`` GObject that the connection holds
while the peer references it.
"""

import builtins
import inspect
import sys
import threading
import traceback
import types
import weakref

from gi.repository import Gio, GLib, GObject

from ..module import get_introspection_module
from ..overrides import override

Comlink = get_introspection_module('Comlink')

__all__ = []

# The messages of this module are translated in the library's gettext
# domain (GETTEXT_PACKAGE in meson.build), through GLib.dgettext as the
# library's own messages are: the same catalogs, and the same choice of
# language, as the errors that the library itself reports. The library
# binds the domain to its locale folder when comlink_error_quark () is
# first called.
_GETTEXT_DOMAIN = 'comlink-glib-1'
Comlink.error_quark()


def _(message):
    return GLib.dgettext(_GETTEXT_DOMAIN, message)


def ngettext(singular, plural, n):
    return GLib.dngettext(_GETTEXT_DOMAIN, singular, plural, n)


def N_(message):
    """Marks @message for translation, translated where it is used."""
    return message

#: The error domain of Python exceptions raised by exposed methods
PYTHON_ERROR_DOMAIN = 'comlink-python-error-quark'
# The quark must exist for a peer's error of this domain to map back to it
GLib.quark_from_string(PYTHON_ERROR_DOMAIN)


class PythonError:
    """Codes of the ``comlink-python-error-quark`` domain: the class of the
    Python exception that an exposed method raised. The message is
    ``"ExceptionClass: text"``."""
    FAILED = 0             # any other exception
    TYPE_ERROR = 1
    VALUE_ERROR = 2
    KEY_ERROR = 3
    INDEX_ERROR = 4
    ATTRIBUTE_ERROR = 5
    RUNTIME_ERROR = 6
    ARITHMETIC_ERROR = 7   # ZeroDivisionError, OverflowError, ...
    NOT_IMPLEMENTED = 8
    LOOKUP_ERROR = 9       # other LookupErrors
    OS_ERROR = 10


# Most specific first: NotImplementedError is a RuntimeError, KeyError and
# IndexError are LookupErrors
_EXCEPTION_CODES = (
    (NotImplementedError, PythonError.NOT_IMPLEMENTED),
    (TypeError, PythonError.TYPE_ERROR),
    (ValueError, PythonError.VALUE_ERROR),
    (KeyError, PythonError.KEY_ERROR),
    (IndexError, PythonError.INDEX_ERROR),
    (LookupError, PythonError.LOOKUP_ERROR),
    (AttributeError, PythonError.ATTRIBUTE_ERROR),
    (RuntimeError, PythonError.RUNTIME_ERROR),
    (ArithmeticError, PythonError.ARITHMETIC_ERROR),
    (OSError, PythonError.OS_ERROR),
)

#: The name of the method that an object exposed from Python may define to
#: learn that the peer released it (Comlink's ``finalizer``)
FINALIZER = '__comlink_finalizer__'



class RemoteTraceback(Exception):
    """The traceback of the exception that failed a call in the peer: the
    ``__cause__`` of the ``GLib.Error`` that the call raises, as
    ``concurrent.futures.ProcessPoolExecutor`` does with the traceback of a
    worker, so that an uncaught error prints the remote frames first.
    ``traceback`` is the text the peer sent (a Python traceback, a
    JavaScript stack), ``class_name`` the class of its exception, or
    ``None``."""

    def __init__(self, text, class_name=None):
        super().__init__(text)
        self.traceback = text
        self.class_name = class_name

    def __str__(self):
        return '\n"""\n%s"""' % self.traceback


__all__ += ['PYTHON_ERROR_DOMAIN', 'PythonError', 'FINALIZER', 'RemoteTraceback']

# The access flags of a property in a description
_READABLE = 1
_WRITABLE = 2
# The type name of a value whose type is not declared, and the most
# entries of each list of a description (the library drops the rest)
_ANY = 'any'
_MAX_DESCRIBED = 1024

_INT32 = (-2**31, 2**31 - 1)
_INT64 = (-2**63, 2**63 - 1)
_UINT64_MAX = 2**64 - 1

_FUNCTION_TYPES = (types.FunctionType, types.MethodType, types.BuiltinFunctionType,
                   types.BuiltinMethodType)
# Values of these types that have no mapping are refused, not sent by reference
_BUILTIN_TYPES = (set, frozenset, complex, range, slice, type(Ellipsis), type(NotImplemented))


def _comlink_error(code, message):
    error = GLib.Error(message, 'comlink-error-quark', int(code))
    # The module's own failures send no traceback of its internals
    error._comlink_own = True
    return error


def _exception_details(exc):
    """The class name and the traceback text of @exc, as they travel beside
    its error"""
    cls = type(exc)
    name = cls.__qualname__ if cls.__module__ == 'builtins' else \
        '%s.%s' % (cls.__module__, cls.__qualname__)
    # The frames of this module's dispatch come first, and say nothing
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None and \
            tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return name, ''.join(traceback.format_exception(cls, exc, tb))


def _return_exception(invocation, exc, error):
    """Answers @invocation with @error, and the class and the traceback of
    @exc beside it"""
    if getattr(exc, '_comlink_own', False):
        invocation.return_gerror(error)
        return
    invocation.return_error_with_details(error, *_exception_details(exc))


def _with_remote_cause(error, result):
    """@error, with the traceback that the peer sent with it (read from
    @result) as its ``__cause__``"""
    source = result.get_source_object()
    if not isinstance(source, (Comlink.Proxy, Comlink.WorkerPool)):
        return error
    sent, class_name, stack = source.get_error_details(result)
    if sent and stack is not None:
        error.__cause__ = RemoteTraceback(stack, class_name)
    return error


def _python_error(exc):
    for cls, code in _EXCEPTION_CODES:
        if isinstance(exc, cls):
            break
    else:
        code = PythonError.FAILED
    return GLib.Error('%s: %s' % (type(exc).__name__, exc), PYTHON_ERROR_DOMAIN, code)


# --- Values: Python to GValue ------------------------------------------------

def _not_transferable(value):
    return _comlink_error(Comlink.Error.NOT_TRANSFERABLE,
                          _('A value of the Python type %s cannot be sent') % type(value).__name__)


def _int_variant(value):
    if _INT32[0] <= value <= _INT32[1]:
        return GLib.Variant('i', value)
    if _INT64[0] <= value <= _INT64[1]:
        return GLib.Variant('x', value)
    if 0 <= value <= _UINT64_MAX:
        return GLib.Variant('t', value)
    raise _comlink_error(Comlink.Error.NOT_TRANSFERABLE,
                         _('The integer %d does not fit in 64 bits') % value)


def _array_variant(children):
    """An array of the children's common type, or ``av``."""
    types_ = {child.get_type_string() for child in children}
    if len(types_) == 1:
        return GLib.Variant.new_array(GLib.VariantType(types_.pop()), children)
    return GLib.Variant.new_array(GLib.VariantType('v'),
                                  [GLib.Variant.new_variant(c) for c in children])


def _dict_variant(value):
    keys = [_to_variant(k) for k in value]
    key_types = {k.get_type_string() for k in keys}
    if len(key_types) > 1 or not (key_types <= {'s', 'i', 'x', 't', 'b', 'd'}):
        raise _comlink_error(Comlink.Error.NOT_TRANSFERABLE,
                             _('A dict is sent by value only with keys of one basic type'))
    values = [_to_variant(v) for v in value.values()]
    value_types = {v.get_type_string() for v in values}
    if len(value_types) != 1:
        values = [GLib.Variant.new_variant(v) for v in values]
        value_types = {'v'}
    key_type = key_types.pop() if key_types else 's'
    entry_type = GLib.VariantType('{%s%s}' % (key_type, value_types.pop()))
    entries = [GLib.Variant.new_dict_entry(k, v) for k, v in zip(keys, values)]
    return GLib.Variant.new_array(entry_type, entries)


def _to_variant(value):
    """A Python value as a GVariant, for lists, tuples and dicts that hold
    no reference."""
    if isinstance(value, GLib.Variant):
        return value
    if value is None:
        return GLib.Variant('mv', None)
    if isinstance(value, bool):
        return GLib.Variant('b', value)
    if isinstance(value, int):
        return _int_variant(value)
    if isinstance(value, float):
        return GLib.Variant('d', value)
    if isinstance(value, str):
        return GLib.Variant('s', value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return GLib.Variant('ay', bytes(value))
    if isinstance(value, GLib.Bytes):
        return GLib.Variant('ay', value.get_data() or b'')
    if isinstance(value, tuple):
        return GLib.Variant.new_tuple(*[_to_variant(v) for v in value])
    if isinstance(value, list):
        return _array_variant([_to_variant(v) for v in value])
    if isinstance(value, dict):
        return _dict_variant(value)
    raise _comlink_error(Comlink.Error.NOT_TRANSFERABLE,
                         _('A value of the Python type %s cannot be sent inside a list, '
                           'tuple or dict') % type(value).__name__)


def _gvalue(gtype, value):
    v = GObject.Value(gtype)
    v.set_value(value)
    return v


def _by_reference(value):
    """Whether @value has no mapping by value but travels by reference."""
    if isinstance(value, _FUNCTION_TYPES):
        return True
    if isinstance(value, _BUILTIN_TYPES) or isinstance(value, type):
        return False
    return type(value).__module__ != 'builtins'


#: How deep lists, tuples and dicts that hold references nest, as the
#: library sends them (``Comlink.Container``)
_MAX_CONTAINER_DEPTH = 16

# What an item of a list, tuple or dict is to the choice between a GVariant
# and a container: a value that only travels on its own (a reference, a
# GError, a GValue), a list, tuple or dict to look into, or a value that a
# GVariant holds (or that _to_variant refuses)
_ITEM_PLAIN = 0
_ITEM_OWN = 1
_ITEM_NESTED = 2

_PLAIN_TYPES = (bool, int, float, str, bytes, bytearray, memoryview, GLib.Bytes, GLib.Variant)


def _item_kind(value):
    if value is None or isinstance(value, _PLAIN_TYPES):
        return _ITEM_PLAIN
    if isinstance(value, (list, tuple, dict)):
        return _ITEM_NESTED
    if isinstance(value, (GObject.Value, GLib.Error, Remote, GObject.Object, Comlink.Container)):
        return _ITEM_OWN
    return _ITEM_OWN if _by_reference(value) else _ITEM_PLAIN


def _holds_reference(value, holders, ancestors):
    """Whether the list, tuple or dict @value holds, at any depth, a value
    that no GVariant holds; adds the ids of those that do to @holders. A
    container that holds itself cannot travel."""
    if id(value) in ancestors:
        raise _comlink_error(Comlink.Error.NOT_TRANSFERABLE,
                             # Translators: %s is a Python type: list, tuple or dict
                             _('A %s that holds itself cannot be sent') % type(value).__name__)
    ancestors.add(id(value))
    holds = False
    for item in (value.values() if isinstance(value, dict) else value):
        kind = _item_kind(item)
        if kind == _ITEM_OWN or (kind == _ITEM_NESTED and _holds_reference(item, holders, ancestors)):
            holds = True
    ancestors.discard(id(value))
    if holds:
        holders.add(id(value))
    return holds


def _to_container(value, allow, holders, depth):
    """A list, tuple or dict that holds references as a
    ``Comlink.Container``: lists and tuples as arrays, dicts (with str
    keys) as dictionaries, each item as :func:`_to_value` converts it."""
    if depth >= _MAX_CONTAINER_DEPTH:
        raise _comlink_error(Comlink.Error.NOT_TRANSFERABLE,
                             ngettext('Lists, tuples and dicts that hold references cannot nest '
                                      'more than %d level deep',
                                      'Lists, tuples and dicts that hold references cannot nest '
                                      'more than %d levels deep',
                                      _MAX_CONTAINER_DEPTH) % _MAX_CONTAINER_DEPTH)

    def item(x):
        if id(x) in holders:
            return _gvalue(Comlink.Container.__gtype__, _to_container(x, allow, holders, depth + 1))
        return _to_value(x, allow)

    if not isinstance(value, dict):
        container = Comlink.Container.new_array()
        for x in value:
            container.append(item(x))
        return container
    container = Comlink.Container.new_dict()
    for key, x in value.items():
        if not isinstance(key, str):
            raise _comlink_error(Comlink.Error.NOT_TRANSFERABLE,
                                 _('A dict that holds an object sent by reference is sent only '
                                   'with str keys, not %s') % type(key).__name__)
        container.insert(key, item(x))
    return container


def _to_value(value, allow=None):
    """A Python value as a GObject.Value that the C value mapping accepts.
    An object that travels by reference is exposed with the restriction
    @allow (see :func:`expose`)."""
    if isinstance(value, GObject.Value):
        return value
    if value is None:
        # An empty GVariant travels as nothing: the receiver may take it
        # for any pointer type (an object, a string, a boxed)
        return _gvalue(GObject.TYPE_VARIANT, None)
    if isinstance(value, bool):
        return _gvalue(GObject.TYPE_BOOLEAN, value)
    if isinstance(value, (GObject.GEnum, GObject.GFlags)):
        return _gvalue(value.__gtype__, value)
    if isinstance(value, int):
        if _INT32[0] <= value <= _INT32[1]:
            return _gvalue(GObject.TYPE_INT, value)
        if _INT64[0] <= value <= _INT64[1]:
            return _gvalue(GObject.TYPE_INT64, value)
        if 0 <= value <= _UINT64_MAX:
            return _gvalue(GObject.TYPE_UINT64, value)
        raise _comlink_error(Comlink.Error.NOT_TRANSFERABLE,
                             _('The integer %d does not fit in 64 bits') % value)
    if isinstance(value, float):
        return _gvalue(GObject.TYPE_DOUBLE, value)
    if isinstance(value, str):
        return _gvalue(GObject.TYPE_STRING, value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _gvalue(GLib.Bytes.__gtype__, GLib.Bytes.new(bytes(value)))
    if isinstance(value, GLib.Bytes):
        return _gvalue(GLib.Bytes.__gtype__, value)
    if isinstance(value, GLib.Variant):
        return _gvalue(GObject.TYPE_VARIANT, value)
    if isinstance(value, GLib.Error):
        return _gvalue(GLib.Error.__gtype__, value)
    if isinstance(value, Remote):
        return _gvalue(Comlink.Proxy.__gtype__, value._proxy)
    if isinstance(value, GObject.Object):
        return _gvalue(value.__gtype__, value)
    if isinstance(value, Comlink.Container):
        return _gvalue(Comlink.Container.__gtype__, value)
    if isinstance(value, (list, tuple, dict)):
        # One that holds a reference travels as a container; one that holds
        # none as a GVariant, which is cheaper
        holders = builtins.set()
        if _holds_reference(value, holders, builtins.set()):
            return _gvalue(Comlink.Container.__gtype__, _to_container(value, allow, holders, 0))
        return _gvalue(GObject.TYPE_VARIANT, _to_variant(value))
    if _by_reference(value):
        obj = proxy(value) if allow is None or isinstance(value, _FUNCTION_TYPES) \
            else _exposed_for(value, allow)
        return _gvalue(obj.__gtype__, obj)
    raise _not_transferable(value)


def _to_values(args):
    return [_to_value(a) for a in args]


# --- Values: GValue to Python ------------------------------------------------

def _unpack(variant):
    """GLib.Variant.unpack (), with byte strings as bytes."""
    type_string = variant.get_type_string()
    if type_string == 'ay':
        return variant.get_data_as_bytes().get_data() or b''
    if type_string == 'v':
        return _unpack(variant.get_variant())
    if type_string.startswith('m'):
        child = variant.get_maybe()
        return None if child is None else _unpack(child)
    if type_string.startswith('a{'):
        entries = (variant.get_child_value(i) for i in range(variant.n_children()))
        return {_unpack(e.get_child_value(0)): _unpack(e.get_child_value(1)) for e in entries}
    if type_string.startswith('a'):
        return [_unpack(variant.get_child_value(i)) for i in range(variant.n_children())]
    if type_string.startswith('('):
        return tuple(_unpack(variant.get_child_value(i)) for i in range(variant.n_children()))
    return variant.unpack()


def _from_container(container):
    """A ``Comlink.Container`` as a list, or as a dict in the order of its
    keys; no value and a null are ``None``."""
    items = []
    for i in range(container.get_n_items()):
        if container.get_item_type(i) == GObject.TYPE_INVALID:
            items.append(None)
        else:
            items.append(_from_value(container.get_item(i)))
    if container.is_dict():
        return {container.get_key(i): item for i, item in enumerate(items)}
    return items


def _from_value(value):
    """A value that PyGObject unpacked from a GValue, as the script sees it."""
    if isinstance(value, Comlink.Container):
        return _from_container(value)
    if isinstance(value, GLib.Variant):
        return _unpack(value)
    if isinstance(value, GLib.Bytes):
        return value.get_data() or b''
    if isinstance(value, Comlink.Proxy):
        return Remote(value)
    if isinstance(value, _Exposed):
        return value._target
    return value


# --- Calls -------------------------------------------------------------------
#
# Calls and reads complete with Proxy.propagate_in_container, not
# call_finish or get_finish: PyGObject 3.42 never frees a GValue returned
# with full transfer, which would keep every object received alive. Nor
# Proxy.propagate_value: PyGObject reads a boxed value (a Comlink.Container)
# out of the GValue without a reference of its own, then unsets the GValue.
# The array that propagate_in_container returns is PyGObject's own, and its
# item is read while the array lives.


def _result_of(container):
    """The value of a call or a read, the only item of @container."""
    return _from_container(container)[0]


class Pending:
    """A call in flight, as ``call_async ()`` and the other asynchronous
    forms return it. Its callback receives it when the call completes."""

    __slots__ = ('_context', '_callback', '_done', '_value', '_error', 'cancellable', '__weakref__')

    def __init__(self, callback, cancellable):
        self._context = GLib.MainContext.ref_thread_default()
        self._callback = callback
        self._done = False
        self._value = None
        self._error = None
        self.cancellable = cancellable

    def done(self):
        """Whether the call completed (with a value or an error)."""
        return self._done

    def result(self):
        """The value of a completed call; raises its error as a
        ``GLib.Error``. Blocks as :meth:`wait` does if it has not
        completed."""
        self.wait()
        if self._error is not None:
            raise self._error
        return self._value

    @property
    def error(self):
        """The ``GLib.Error`` of a failed call, else ``None``."""
        return self._error

    def cancel(self):
        """Cancels the call through its ``Gio.Cancellable``: it fails at
        once with ``Gio.IOErrorEnum.CANCELLED``, and the remote
        invocation's cancellable fires."""
        if self.cancellable is not None:
            self.cancellable.cancel()

    def wait(self):
        """Runs the main context of the thread that made the call until the
        call completes, and returns its value or raises its error."""
        while not self._done:
            self._context.iteration(True)
        if self._error is not None:
            raise self._error
        return self._value

    def _complete(self, finish, result, convert):
        try:
            self._value = convert(finish(result))
        except GLib.Error as e:
            # Its traceback would keep this frame, and the values of the
            # call, alive for as long as the error is kept
            self._error = _with_remote_cause(e.with_traceback(None), result)
        self._done = True
        callback, self._callback = self._callback, None
        if callback is not None:
            callback(self)

    def __repr__(self):
        state = 'pending' if not self._done else ('failed' if self._error else 'done')
        return '<Comlink.Pending %s>' % state


def _cancellable(cancellable):
    return cancellable if cancellable is not None else Gio.Cancellable()


def _call_async(proxy_, member, args, callback=None, cancellable=None, timeout=None):
    values = _to_values(args)
    pending = Pending(callback, _cancellable(cancellable))

    def ready(source, result, _data):
        pending._complete(source.propagate_in_container, result, _result_of)

    if timeout is not None:
        proxy_.call_full_async(member, values, int(timeout), pending.cancellable, ready, None)
    else:
        proxy_.call_async(member, values, pending.cancellable, ready, None)
    return pending


def _get_async(proxy_, name, callback=None, cancellable=None):
    pending = Pending(callback, _cancellable(cancellable))
    proxy_.get_async(name, pending.cancellable,
                     lambda source, result, _d: pending._complete(source.propagate_in_container, result,
                                                                  _result_of),
                     None)
    return pending


def _set_async(proxy_, name, value, callback=None, cancellable=None):
    gvalue = _to_value(value)
    pending = Pending(callback, _cancellable(cancellable))
    proxy_.set_async(name, gvalue, pending.cancellable,
                     lambda source, result, _d: pending._complete(source.set_finish, result,
                                                                  lambda _ok: None),
                     None)
    return pending


def _describe_async(proxy_, callback=None, cancellable=None):
    pending = Pending(callback, _cancellable(cancellable))
    proxy_.describe_async(pending.cancellable,
                          lambda source, result, _d: pending._complete(source.describe_finish, result,
                                                                       lambda d: d),
                          None)
    return pending


class _Members:
    """What a description says of the members of a remote object: the
    names of its readable properties and of its methods, each also with
    underscores for dashes (a GObject names them with dashes)."""

    __slots__ = ('properties', 'methods', 'complete')

    def __init__(self, description):
        self.properties = builtins.set()
        self.methods = builtins.set()
        for name, _type, access in description.lookup_value('properties', None).unpack():
            if access & _READABLE:
                self.properties.update((name, name.replace('-', '_')))
        for name, _args, _result in description.lookup_value('methods', None).unpack():
            self.methods.update((name, name.replace('-', '_')))
        self.complete = description.lookup_value('complete', None).get_boolean()


#: The member that a CONSTRUCT of the remote object itself names: the
#: library constructs only through the proxy of a name, and the exposing
#: side of this override (and of the GJS module) answers it with the
#: exposed class
_ROOT_CONSTRUCTOR = 'constructor'


def _construct_async(proxy_, name, args, props, callback=None, cancellable=None):
    if args and props:
        raise TypeError(_('Construct with positional arguments or with named properties, not both'))
    names = list(props) if props else None
    values = _to_values(props.values() if props else args)
    target = proxy_.get_child(name)
    pending = Pending(callback, _cancellable(cancellable))
    target.construct_async(names, values, pending.cancellable,
                           lambda source, result, _d: pending._complete(source.construct_finish,
                                                                        result, _from_value),
                           None)
    return pending


class Remote:
    """A remote object, or a path on one, as ``Comlink.wrap ()`` returns it.

    The first attribute read asks the peer for a description of the
    object (one round trip per remote object: ``Comlink.Proxy.describe``),
    which tells its properties from its methods. Then ``remote.name`` reads
    the property ``name`` (one blocking round trip), and a method is
    returned as a :class:`RemoteMethod` without a round trip. A name that
    the description does not list (or every name, when the peer cannot
    describe the object) is read as a property, and when it is none, it is
    a method, remembered so that later uses of the name take no round trip.
    ``remote.name = value`` writes a property (blocking). Names that start
    with two underscores are never remote, nor the Remote's own ``_proxy``,
    ``_keep``, ``_methods`` and ``_members``.
    Calling the Remote itself calls the remote object (a callback);
    ``new ()`` constructs it (a class). ``Comlink.call ()`` and
    ``Comlink.get ()`` reach remote members that these methods hide."""

    __slots__ = ('_proxy', '_keep', '_methods', '_members', '__weakref__')

    def __init__(self, proxy_, keep=None):
        object.__setattr__(self, '_proxy', proxy_)
        object.__setattr__(self, '_keep', keep)
        object.__setattr__(self, '_methods', builtins.set())
        object.__setattr__(self, '_members', None)

    def _described(self):
        """The members of the remote object, from its description, or
        ``None`` when the peer could not describe it."""
        members = self._members
        if members is None:
            try:
                members = _Members(_describe_async(self._proxy).wait())
            except GLib.Error:
                members = False
            object.__setattr__(self, '_members', members)
        return members or None

    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        if name in self._methods:
            return RemoteMethod(self, name)
        members = self._described()
        if members is not None:
            if name in members.properties:
                return _get_async(self._proxy, name).wait()
            if name in members.methods:
                self._methods.add(name)
                return RemoteMethod(self, name)
        try:
            return _get_async(self._proxy, name).wait()
        except GLib.Error as e:
            if not e.matches(Comlink.error_quark(), Comlink.Error.NO_SUCH_PROPERTY):
                raise
        self._methods.add(name)
        return RemoteMethod(self, name)

    def __setattr__(self, name, value):
        if name.startswith('__') or name in Remote.__slots__:
            raise AttributeError(_('%s cannot be set on a Comlink.Remote') % name)
        _set_async(self._proxy, name, value).wait()

    def __delattr__(self, name):
        raise AttributeError(_('A remote property cannot be deleted'))

    def __call__(self, *args, cancellable=None, timeout=None):
        return _call_async(self._proxy, None, args, None, cancellable, timeout).wait()

    def call_async(self, *args, callback=None, cancellable=None, timeout=None):
        """Calls the remote object itself (a callback) without blocking."""
        return _call_async(self._proxy, None, args, callback, cancellable, timeout)

    def new(self, *args, **props):
        """Constructs the remote object itself, a class exposed as the
        root (Comlink's ``new api ()``), with positional arguments or named
        properties; returns a Remote of the new object. The request names
        the member ``constructor``, which the peer must answer."""
        return _construct_async(self._proxy, _ROOT_CONSTRUCTOR, args, props).wait()

    def new_async(self, *args, callback=None, cancellable=None, **props):
        """Constructs the remote object itself without blocking; returns a
        :class:`Pending`."""
        return _construct_async(self._proxy, _ROOT_CONSTRUCTOR, args, props, callback, cancellable)

    def __bool__(self):
        return True

    def __dir__(self):
        """The Remote's own attributes, and the remote object's properties
        and methods as its description lists them (one DESCRIBE, as for
        attribute reads; none when the peer cannot describe it)."""
        names = builtins.set(object.__dir__(self))
        members = self._described()
        if members is not None:
            names.update(name for name in members.properties | members.methods if name.isidentifier())
        return sorted(names)

    def __repr__(self):
        path = '.'.join(self._proxy.get_path())
        state = ' released' if self._proxy.is_released() else ''
        return '<Comlink.Remote%s%s>' % (' ' + path if path else '', state)


class RemoteMethod:
    """A remote method: call it to call the method and wait for its result;
    ``call_async ()`` calls it without blocking; ``new ()`` and
    ``new_async ()`` construct the type that the remote object registered
    under this name."""

    __slots__ = ('_remote', '_name', '__weakref__')

    def __init__(self, remote, name):
        self._remote = remote
        self._name = name

    def __call__(self, *args, cancellable=None, timeout=None):
        return _call_async(self._remote._proxy, self._name, args, None, cancellable, timeout).wait()

    def call_async(self, *args, callback=None, cancellable=None, timeout=None):
        """Calls the method and returns a :class:`Pending` at once;
        ``callback (pending)`` runs in this thread's main context when the
        call completes."""
        return _call_async(self._remote._proxy, self._name, args, callback, cancellable, timeout)

    def new(self, *args, **props):
        """Constructs the remote type registered under this name, with
        positional arguments or named properties; returns a Remote of the
        new object."""
        return _construct_async(self._remote._proxy, self._name, args, props).wait()

    def new_async(self, *args, callback=None, cancellable=None, **props):
        return _construct_async(self._remote._proxy, self._name, args, props, callback, cancellable)

    def __repr__(self):
        return '<Comlink.RemoteMethod %s>' % self._name


class PoolRemote:
    """The object that every worker of a ``Comlink.WorkerPool`` exposes, as
    ``Comlink.wrap (pool)`` returns it: ``remote.name (...)`` calls the
    method ``name`` on the least busy worker (or, when all are busy, on the
    first one free) and waits for its result; ``remote.name.call_async
    (...)`` returns a :class:`Pending` at once. Every name is a method: the
    pool has no one object whose properties could be read or written.
    ``Comlink.call ()`` and ``Comlink.call_async ()`` reach the methods
    that ``call_async`` hides. The PoolRemote keeps the pool."""

    __slots__ = ('_pool', '__weakref__')

    def __init__(self, pool):
        object.__setattr__(self, '_pool', pool)

    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        return PoolMethod(self, name)

    def __setattr__(self, name, value):
        raise AttributeError(_('The workers of a pool have no properties to set: %s') % name)

    def __call__(self, *args, cancellable=None, timeout=None):
        return _pool_call_async(self._pool, None, args, None, cancellable, timeout).wait()

    def call_async(self, *args, callback=None, cancellable=None, timeout=None):
        """Calls the exposed object itself (a callback) without blocking."""
        return _pool_call_async(self._pool, None, args, callback, cancellable, timeout)

    def __bool__(self):
        return True

    def __repr__(self):
        return '<Comlink.PoolRemote %s>' % self._pool.get_name()


class PoolMethod:
    """A method of the workers of a pool: call it to call the method on one
    of them and wait for its result; ``call_async ()`` calls it without
    blocking."""

    __slots__ = ('_remote', '_name', '__weakref__')

    def __init__(self, remote, name):
        self._remote = remote
        self._name = name

    def __call__(self, *args, cancellable=None, timeout=None):
        return _pool_call_async(self._remote._pool, self._name, args, None, cancellable,
                                timeout).wait()

    def call_async(self, *args, callback=None, cancellable=None, timeout=None):
        """Calls the method and returns a :class:`Pending` at once;
        ``callback (pending)`` runs in this thread's main context when the
        call completes."""
        return _pool_call_async(self._remote._pool, self._name, args, callback, cancellable,
                                timeout)

    def __repr__(self):
        return '<Comlink.PoolMethod %s>' % self._name


def _pool_call_async(pool, member, args, callback=None, cancellable=None, timeout=None):
    values = _to_values(args)
    pending = Pending(callback, _cancellable(cancellable))

    def ready(source, result, _data):
        pending._complete(source.propagate_in_container, result, _result_of)

    pool.call_full_async(member, values, -1 if timeout is None else int(timeout),
                         pending.cancellable, ready, None)
    return pending


def _proxy_of(remote):
    if isinstance(remote, Remote):
        return remote._proxy
    if isinstance(remote, RemoteMethod):
        return remote._remote._proxy.get_child(remote._name)
    if isinstance(remote, Comlink.Proxy):
        return remote
    raise TypeError(_('Expected a Comlink.Remote, not %s') % type(remote).__name__)


_raw_wrap = Comlink.wrap


def wrap(target):
    """A :class:`Remote` of what @target leads to: a ``Comlink.Worker`` (its
    exposed object; the Remote keeps the worker), a ``Comlink.Endpoint``
    (the object its peer exposes), a ``Comlink.Connection`` or a
    ``Comlink.Proxy``; or, for a ``Comlink.WorkerPool``, a
    :class:`PoolRemote` of the object its workers expose."""
    if isinstance(target, (Remote, PoolRemote)):
        return target
    if isinstance(target, Comlink.WorkerPool):
        return PoolRemote(target)
    if isinstance(target, Comlink.Worker):
        return Remote(target.get_proxy(), keep=target)
    if isinstance(target, Comlink.Endpoint):
        return Remote(_raw_wrap(target))
    if isinstance(target, Comlink.Connection):
        return Remote(target.wrap())
    if isinstance(target, Comlink.Proxy):
        return Remote(target)
    raise TypeError(_('Comlink.wrap takes a Worker, a WorkerPool, an Endpoint, a Connection or a Proxy, not %s')
                    % type(target).__name__)


def unwrap(remote):
    """The ``Comlink.Proxy`` behind a :class:`Remote`, for the GObject API."""
    return _proxy_of(remote)


# --- Services -----------------------------------------------------------------

def _wait_for(start):
    """Starts an asynchronous operation with a callback and runs the
    thread-default main context until it completes; returns its result."""
    context = GLib.MainContext.get_thread_default() or GLib.MainContext.default()
    results = []
    start(lambda _source, result, *_data: results.append(result))
    while not results:
        context.iteration(True)
    return results[0]


def connect(address, cancellable=None, client=None):
    """Connects to the service at @address (``unix:path=...``,
    ``unix:abstract=...``, ``tcp:host=...,port=...``; see
    ``Comlink.connect_async``) and returns a :class:`Remote` of the object
    it exposes. Blocks, running the thread-default main context, which the
    connection is bound to. A ``Comlink.Client`` gives TLS settings."""
    if client is None:
        result = _wait_for(lambda done: Comlink.connect_async(address, cancellable, done))
        return Remote(Comlink.connect_finish(result))
    result = _wait_for(lambda done: client.connect_async(address, cancellable, done))
    return Remote(client.connect_finish(result))


def connect_bus(bus_name, cancellable=None, bus=None, object_path=None, client=None):
    """Connects to the service that owns @bus_name on @bus (by default the
    session bus), which hands out a connection of its own, and returns a
    :class:`Remote` of the object it exposes. The bus starts the service if
    a D-Bus service file names it."""
    client = client if client is not None else Comlink.Client.new()
    result = _wait_for(lambda done: client.connect_bus_async(bus, bus_name, object_path, cancellable, done))
    return Remote(client.connect_bus_finish(result))


def disconnect(remote):
    """Closes the connection of @remote (from :func:`connect` or
    :func:`connect_bus`): its pending calls fail, and the service drops what
    this client held."""
    connection = _proxy_of(remote).dup_connection()
    if connection is not None:
        connection.close()


def call(remote, name, *args, cancellable=None, timeout=None):
    """Calls the method @name (``None``: the object itself) and waits for
    its result; unlike ``remote.name (...)`` it never reads a property
    first."""
    if isinstance(remote, PoolRemote):
        return _pool_call_async(remote._pool, name, args, None, cancellable, timeout).wait()
    return _call_async(_proxy_of(remote), name, args, None, cancellable, timeout).wait()


def call_async(remote, name, *args, callback=None, cancellable=None, timeout=None):
    """Calls the method @name without blocking; returns a :class:`Pending`."""
    if isinstance(remote, PoolRemote):
        return _pool_call_async(remote._pool, name, args, callback, cancellable, timeout)
    return _call_async(_proxy_of(remote), name, args, callback, cancellable, timeout)


def get(remote, name, cancellable=None):
    """Reads the property @name and waits for its value."""
    return _get_async(_proxy_of(remote), name, None, cancellable).wait()


def get_async(remote, name, callback=None, cancellable=None):
    """Reads the property @name without blocking; returns a :class:`Pending`."""
    return _get_async(_proxy_of(remote), name, callback, cancellable)


def set(remote, name, value, cancellable=None):
    """Writes the property @name and waits until the peer did."""
    _set_async(_proxy_of(remote), name, value, None, cancellable).wait()


def set_async(remote, name, value, callback=None, cancellable=None):
    """Writes the property @name without blocking; returns a :class:`Pending`."""
    return _set_async(_proxy_of(remote), name, value, callback, cancellable)


def describe(remote, cancellable=None):
    """The description of the remote object, as
    ``Comlink.Proxy.describe_finish ()`` gives it, unpacked: a dict with
    ``type``, ``methods`` (name, argument types, result type),
    ``properties`` (name, type, 1 readable | 2 writable), ``signals``
    (name, parameter types) and ``complete``. Blocks the first time; the
    proxy keeps the description."""
    return _describe_async(_proxy_of(remote), None, cancellable).wait().unpack()


def release(remote):
    """Releases the remote object: the peer drops its reference, and every
    later use of @remote fails at once with ``COMLINK_ERROR_CLOSED``."""
    _proxy_of(remote).release()


def create_endpoint(remote, cancellable=None):
    """A new ``Comlink.Endpoint`` to the same remote object (blocking)."""
    proxy_ = _proxy_of(remote)
    pending = Pending(None, _cancellable(cancellable))
    proxy_.create_endpoint_async(pending.cancellable,
                                 lambda s, r, _d: pending._complete(s.create_endpoint_finish, r,
                                                                    lambda e: e),
                                 None)
    return pending.wait()


def _signal_closure(handler):
    def on_emission(_proxy, *args):
        handler(*[_from_value(a) for a in args])
    return on_emission


def subscribe_async(remote, signal, handler, callback=None, cancellable=None):
    """Connects @handler to the signal @signal of the remote object without
    blocking; the :class:`Pending` gives the subscription id."""
    proxy_ = _proxy_of(remote)
    pending = Pending(callback, _cancellable(cancellable))
    proxy_.subscribe_async(signal, _signal_closure(handler), pending.cancellable,
                           lambda s, r, _d: pending._complete(s.subscribe_finish, r, lambda i: i),
                           None)
    return pending


def subscribe(remote, signal, handler, cancellable=None):
    """Connects @handler to the signal @signal of the remote object and
    returns the subscription id. Each emission runs ``handler (*args)`` in
    this thread's main context."""
    return subscribe_async(remote, signal, handler, None, cancellable).wait()


def unsubscribe(remote, subscription):
    """Ends a subscription made with :func:`subscribe`."""
    _proxy_of(remote).unsubscribe(subscription)


__all__ += ['connect', 'connect_bus', 'disconnect']
__all__ += ['PoolRemote', 'PoolMethod']
__all__ += ['Pending', 'Remote', 'RemoteMethod', 'wrap', 'unwrap', 'call', 'call_async',
            'get', 'get_async', 'set', 'set_async', 'describe', 'release', 'create_endpoint',
            'subscribe', 'subscribe_async', 'unsubscribe']


# --- Exposing Python objects -------------------------------------------------

_current = threading.local()


def current_invocation():
    """The ``Comlink.Invocation`` that the method running in this thread
    serves (its cancellable fires when the caller cancels or goes away),
    or ``None`` outside an exposed method."""
    stack = getattr(_current, 'stack', None)
    return stack[-1] if stack else None


def _is_allowed(allow, obj, name):
    """Whether the restriction @allow lets the peer reach @name of @obj. A
    predicate that raises refuses."""
    if allow is None:
        return True
    try:
        return bool(allow(name, obj))
    except Exception:  # noqa: BLE001: a refusal, reported on stderr
        sys.excepthook(*sys.exc_info())
        return False


# Translators: type is a Python type, name the name of a member
_NO_METHOD = N_('%(type)s has no method “%(name)s”')
# Translators: type is a Python type, name the name of a member
_NO_PROPERTY = N_('%(type)s has no property “%(name)s”')
# Translators: type is a Python type, name the name of a member
_NO_CONSTRUCTIBLE = N_('%(type)s has no constructible type “%(name)s”')
# Translators: type is a Python type, name the name of a member
_NO_OBJECT = N_('%(type)s has no object “%(name)s”')


def _lookup(obj, name, code, message, allow=None):
    """The member @name of @obj that a peer may reach: never a name that
    starts with two underscores (``__class__``, ``__dict__``,
    ``__globals__``, ...: the ways to the interpreter's internals), and
    only names that the restriction @allow lets through. A refused member
    fails as a missing one does, with @message (marked with N_, and
    formatted with the type of @obj as ``type`` and @name as ``name``)."""
    if not name or name.startswith('__') or not _is_allowed(allow, obj, name):
        raise _comlink_error(code, _(message) % {'type': type(obj).__name__, 'name': name})
    try:
        return getattr(obj, name)
    except AttributeError:
        raise _comlink_error(code, _(message) % {'type': type(obj).__name__, 'name': name}) from None


def _invocation_args(invocation):
    args = []
    for i in range(invocation.get_n_args()):
        if invocation.get_arg_type(i) == GObject.TYPE_INVALID:
            args.append(None)
        else:
            args.append(_from_value(invocation.get_arg(i)))
    return args


def _check_arguments(fn, args, name):
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return
    try:
        signature.bind(*args)
    except TypeError as e:
        # Translators: name is the name of a method, error an error message
        raise _comlink_error(Comlink.Error.INVALID_ARGUMENTS,
                             _('“%(name)s”: %(error)s') % {'name': name, 'error': e}) from None


def _serve_call(obj, member, args, allow):
    if member:
        fn = _lookup(obj, member, Comlink.Error.NO_SUCH_METHOD, _NO_METHOD, allow)
    else:
        fn = obj
    if not callable(fn):
        raise _comlink_error(Comlink.Error.NO_SUCH_METHOD,
                             _(_NO_METHOD) % {'type': type(obj).__name__, 'name': member})
    _check_arguments(fn, args, member or type(obj).__name__)
    return fn(*args)


def _serve_get(obj, member, allow):
    value = _lookup(obj, member, Comlink.Error.NO_SUCH_PROPERTY, _NO_PROPERTY, allow)
    # Methods and classes are not properties: the caller then calls them
    if callable(value):
        raise _comlink_error(Comlink.Error.NO_SUCH_PROPERTY,
                             _('%(type)s has no property “%(name)s”, it is a method')
                             % {'type': type(obj).__name__, 'name': member})
    return value


def _serve_set(obj, member, value, allow):
    current = _lookup(obj, member, Comlink.Error.NO_SUCH_PROPERTY, _NO_PROPERTY, allow)
    if callable(current):
        raise _comlink_error(Comlink.Error.NO_SUCH_PROPERTY,
                             _('%(type)s has no property “%(name)s”, it is a method')
                             % {'type': type(obj).__name__, 'name': member})
    try:
        setattr(obj, member, value)
    except AttributeError as e:
        raise _comlink_error(Comlink.Error.NO_SUCH_PROPERTY,
                             _('%(type)s has no writable property “%(name)s”: %(error)s')
                             % {'type': type(obj).__name__, 'name': member, 'error': e}) from None


def _serve_construct(obj, member, names, args, allow):
    if member == _ROOT_CONSTRUCTOR and isinstance(obj, type) and _is_allowed(allow, obj, member):
        cls = obj
        member = obj.__name__
    else:
        cls = _lookup(obj, member, Comlink.Error.NOT_CONSTRUCTIBLE, _NO_CONSTRUCTIBLE, allow)
    if not isinstance(cls, type):
        raise _comlink_error(Comlink.Error.NOT_CONSTRUCTIBLE,
                             _(_NO_CONSTRUCTIBLE) % {'type': type(obj).__name__, 'name': member})
    if names:
        instance = cls(**dict(zip(names, args)))
    else:
        _check_arguments(cls, args, member)
        instance = cls(*args)
    return _exposed_for(instance, allow) if not isinstance(instance, GObject.Object) else instance


def _serve(root, invocation, allow=None):
    """Serves one request on @root, exposed with the restriction @allow."""
    kind = invocation.get_kind()
    obj = root
    for name in invocation.get_path():
        obj = _lookup(obj, name, Comlink.Error.NO_SUCH_OBJECT, _NO_OBJECT, allow)
    member = invocation.get_member()
    args = _invocation_args(invocation)

    if kind == Comlink.InvocationKind.CALL:
        return _serve_call(obj, member, args, allow)
    if kind == Comlink.InvocationKind.GET:
        return _serve_get(obj, member, allow)
    if kind == Comlink.InvocationKind.SET:
        _serve_set(obj, member, args[0] if args else None, allow)
        return None
    if kind == Comlink.InvocationKind.CONSTRUCT:
        return _serve_construct(obj, member, list(invocation.get_names()), args, allow)
    raise _comlink_error(Comlink.Error.PROTOCOL, _('Unknown request %s') % kind)


def _arity(fn):
    """The number of positional parameters of @fn, or 0 if unknown."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 0
    return sum(1 for p in parameters
               if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


_BINDABLE = (types.FunctionType, staticmethod, classmethod)


def _method_of(obj, name, static):
    """The method @name of @obj as a call would find it, bound without
    looking it up on @obj (a function of its class binds to it)."""
    if not isinstance(static, _BINDABLE):
        return static
    if isinstance(obj, type):
        return static.__get__(None, obj)
    try:
        own = name in object.__getattribute__(obj, '__dict__')
    except (AttributeError, TypeError):
        own = False
    return static if own else static.__get__(obj, type(obj))


def _describe_member(obj, name):
    """(the method, or None for a property; the property's access) of the
    member @name of @obj, or None if it has none; found without running
    it: a property's getter is not called."""
    try:
        static = inspect.getattr_static(obj, name)
    except AttributeError:
        return None
    if isinstance(static, property):
        return None, (_READABLE if static.fget else 0) | (_WRITABLE if static.fset else 0)
    if isinstance(static, _BINDABLE) or callable(static):
        return _method_of(obj, name, static), 0
    if hasattr(type(static), '__get__') and not isinstance(static, type):
        # Another descriptor (a slot, a cached value): read as GET would
        try:
            value = getattr(obj, name)
        except AttributeError:
            return None
        if callable(value):
            return value, 0
    return None, _READABLE | _WRITABLE


def _describe(obj, allow=None):
    """The description of a plain Python object, as GET, SET and CALL serve
    it: callables are methods (their positional parameters of any type),
    other attributes properties; names that start with two underscores are
    never reachable, nor those the restriction @allow refuses."""
    methods, properties = [], []
    complete = True
    for name in sorted(n for n in dir(obj) if isinstance(n, str) and n and not n.startswith('__')
                       and _is_allowed(allow, obj, n)):
        member = _describe_member(obj, name)
        if member is None:
            continue
        fn, access = member
        if fn is not None:
            if len(methods) == _MAX_DESCRIBED:
                complete = False
                continue
            methods.append((name, [_ANY] * _arity(fn), _ANY))
        else:
            if len(properties) == _MAX_DESCRIBED:
                complete = False
                continue
            properties.append((name, _ANY, access))
    return GLib.Variant('a{sv}', {
        'type': GLib.Variant('s', type(obj).__name__),
        'methods': GLib.Variant('a(sass)', methods),
        'properties': GLib.Variant('a(ssu)', properties),
        'signals': GLib.Variant('a(sas)', []),
        'complete': GLib.Variant('b', complete),
    })


def _finalizer_of(target):
    """The hook of @target that runs when the peer released it. A class
    exposed as it is has its own hook only as a static or class method:
    the method of its instances is theirs."""
    if isinstance(target, type) and \
            isinstance(inspect.getattr_static(target, FINALIZER, None), types.FunctionType):
        return None
    return getattr(target, FINALIZER, None)


class _Exposed(GObject.Object, Comlink.Exposable):
    """A plain Python object as a GObject that answers every request through
    ``Comlink.Exposable``: attributes and properties for GET and SET,
    methods for CALL, classes for CONSTRUCT."""

    __gtype_name__ = 'ComlinkPyExposed'
    # PyGObject registers no GType for classes of gi.overrides modules
    __module__ = 'comlink_glib'

    def __init__(self, target, allow=None):
        super().__init__()
        self._target = target
        # The restriction: a predicate of (name, object), or None
        self._allow = allow

    def do_invoke(self, invocation):
        # A method may make blocking calls: the endpoints go on delivering
        # in the nested main loop they run
        self._serve(invocation)

    def _serve(self, invocation):
        stack = getattr(_current, 'stack', None)
        if stack is None:
            stack = _current.stack = []
        stack.append(invocation)
        try:
            result = _serve(self._target, invocation, self._allow)
            # What it hands out by reference is reached under the same
            # restriction
            value = _to_value(result, self._allow)
        except GLib.Error as e:
            _return_exception(invocation, e, e)
        except Exception as e:  # noqa: BLE001: any exception goes to the caller
            _return_exception(invocation, e, _python_error(e))
        else:
            invocation.return_value(value)
        finally:
            stack.pop()

    def do_describe(self, path):
        obj = self._target
        for name in path:
            obj = _lookup(obj, name, Comlink.Error.NO_SUCH_OBJECT, _NO_OBJECT, self._allow)
        return _describe(obj, self._allow)

    def do_released(self, connection):
        finalizer = _finalizer_of(self._target)
        if finalizer is not None:
            try:
                finalizer()
            except Exception:  # noqa: BLE001: nobody to report to but stderr
                sys.excepthook(*sys.exc_info())


# One _Exposed per exposed Python object and restriction while it is
# referenced, so that an object sent twice is one remote object
_exposed_lock = threading.Lock()
_exposed_by_id = {}


def _exposed_for(target, allow=None):
    key = (id(target), id(allow))
    with _exposed_lock:
        ref = _exposed_by_id.get(key)
        exposed = ref() if ref is not None else None
        if exposed is not None and exposed._target is target and exposed._allow is allow:
            return exposed
        exposed = _Exposed(target, allow)

        def forget(ref, key=key):
            with _exposed_lock:
                if _exposed_by_id.get(key) is ref:
                    del _exposed_by_id[key]

        _exposed_by_id[key] = weakref.ref(exposed, forget)
        return exposed


def _zero_of(gtype):
    value = GObject.Value()
    value.init(gtype)
    return value.get_value()


def _callback_new(fn, return_type):
    def trampoline(callback, *args):
        try:
            result = fn(*[_from_value(a) for a in args])
            if return_type == GObject.TYPE_VARIANT:
                return None if result is None else _to_variant(result)
            return result
        except GLib.Error as e:
            callback.return_error(e)
        except Exception as e:  # noqa: BLE001: any exception goes to the caller
            # With its class and traceback, which the caller gets as the
            # cause of its error, as for an exposed method
            callback.return_error_with_details(_python_error(e), *_exception_details(e))
        # A failed call's return value is not used, but must be of its type
        return None if return_type in (GObject.TYPE_VARIANT, GObject.TYPE_NONE) else \
            _zero_of(return_type)

    return Comlink.Callback.new_with_return_type(trampoline, return_type)


_PYTHON_GTYPES = {
    bool: GObject.TYPE_BOOLEAN,
    int: GObject.TYPE_INT64,
    float: GObject.TYPE_DOUBLE,
    str: GObject.TYPE_STRING,
}


def _gtype_of(return_type):
    if return_type is None:
        return GObject.TYPE_VARIANT
    if isinstance(return_type, GObject.GType):
        return return_type
    if return_type in _PYTHON_GTYPES:
        return _PYTHON_GTYPES[return_type]
    if hasattr(return_type, '__gtype__'):
        return return_type.__gtype__
    raise TypeError(_('No GType for the return type %r') % (return_type,))


def proxy(target, return_type=None):
    """Marks @target to travel by reference, as Comlink's ``proxy ()``.

    A function becomes a ``Comlink.Callback``: the peer calls it, and it
    runs in the main context of the thread that called ``proxy ()``. Its
    result travels as a GVariant (unpacked again by a Python peer) unless
    @return_type (a GType or a Python type such as ``int``) says otherwise.
    Any other object becomes a GObject that exposes its attributes and
    methods as ``Comlink.expose ()`` does. A GObject is returned as it is."""
    if isinstance(target, GObject.Object):
        return target
    if isinstance(target, _FUNCTION_TYPES) or (callable(target) and return_type is not None):
        return _callback_new(target, _gtype_of(return_type))
    return _exposed_for(target)


def _restriction(allow):
    """The restriction given as @allow, as a predicate of (name, object),
    or None for none."""
    if allow is None:
        return None
    if isinstance(allow, (str, bytes)):
        raise TypeError(_('allow= is a collection of member names or a callable, not one name'))
    if callable(allow):
        return allow
    try:
        names = frozenset(allow)
    except TypeError:
        raise TypeError(_('allow= is a collection of member names or a callable, not %s')
                        % type(allow).__name__) from None
    if not all(isinstance(name, str) for name in names):
        raise TypeError(_('allow= lists member names (strings)'))
    return lambda name, _obj: name in names


_GOBJECT_RESTRICTED = N_('allow= applies to plain Python objects; a GObject exposes its '
                         'properties and action signals')


def _exposable(obj, restriction=None):
    if isinstance(obj, GObject.Object):
        if restriction is not None:
            raise TypeError(_(_GOBJECT_RESTRICTED))
        return obj
    return _exposed_for(obj, restriction)


_raw_expose = Comlink.expose


def expose(obj, endpoint=None, allow=None):
    """Exposes @obj, a GObject or a plain Python object, as Comlink's
    ``expose ()``.

    With an @endpoint, exposes it there and returns the
    ``Comlink.Connection``. Without one, in a subprocess worker, exposes it
    to the parent process and serves it until the parent goes away
    (``Comlink.Worker.serve_parent``).

    @allow restricts what the peer reaches of a plain Python object: a
    collection of member names, or a callable ``allow (name, obj)`` that
    returns whether the peer may reach ``obj.name``. It applies to every
    name the peer uses (each step of a path, and the member it reads,
    writes, calls or constructs) on @obj and on every object that @obj or
    those below it hand out by reference. A refused member fails as a
    missing one does."""
    exposed = _exposable(obj, _restriction(allow))
    if endpoint is None:
        return Comlink.Worker.serve_parent(exposed)
    return _raw_expose(exposed, endpoint)


__all__ += ['current_invocation', 'proxy', 'expose']


class Worker(Comlink.Worker):
    @staticmethod
    def new_thread(name, setup, *user_data, allow=None):
        """Starts a thread worker: @setup (called with @user_data in the
        worker's thread) returns the object to expose, a GObject or a plain
        Python object; it may raise ``GLib.Error`` to fail the start.
        @allow restricts what the peer reaches, as in :func:`expose`."""
        restriction = _restriction(allow)

        def run():
            obj = setup(*user_data)
            if restriction is not None and isinstance(obj, GObject.Object):
                # The start fails: the worker moves to EXITED with this message
                raise _comlink_error(Comlink.Error.FAILED, _(_GOBJECT_RESTRICTED))
            return _exposable(obj, restriction)
        return Comlink.Worker.new_thread(name, run)


Worker = override(Worker)
__all__.append('Worker')


class WorkerPool(Comlink.WorkerPool):
    @staticmethod
    def new_thread(name, n_workers, setup, *user_data, allow=None):
        """Starts a pool of @n_workers thread workers (0: one per
        processor): @setup, called with @user_data in the thread of each
        worker (so in several threads at once, each holding the GIL in
        turn), returns the object that worker exposes, as for
        :meth:`Worker.new_thread`. ``Comlink.wrap (pool)`` gives a
        :class:`PoolRemote` to call it."""
        restriction = _restriction(allow)

        def run():
            obj = setup(*user_data)
            if restriction is not None and isinstance(obj, GObject.Object):
                raise _comlink_error(Comlink.Error.FAILED, _(_GOBJECT_RESTRICTED))
            return _exposable(obj, restriction)
        return Comlink.WorkerPool.new_thread(name, n_workers, run)


WorkerPool = override(WorkerPool)
__all__.append('WorkerPool')
