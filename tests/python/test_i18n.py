# SPDX-License-Identifier: LGPL-2.1-or-later
"""The override's own messages and the library's reach a Python program in
its language: run with LANGUAGE=de or zh_CN, LC_ALL=C.UTF-8 and
COMLINK_TEST_LOCALE_DIR, the catalogs of the build tree. As a program does
(GTK does it for it), the test sets the locale from the environment."""

import locale
import os

import pytest

from objects import COMLINK_DOMAIN, Comlink, GLib, assert_error

DOMAIN = 'comlink-glib-1'

EXPECTED = {
    'de': {
        'wrap': 'Comlink.wrap nimmt einen Worker, einen WorkerPool, einen Endpoint, eine Connection '
                'oder einen Proxy, nicht int',
        'set': 'Ein Wert des Python-Typs set kann nicht gesendet werden',
        'method': 'Adder hat keine Methode „nope“',
        'depth': 'Lists, Tupel und Dicts, die Referenzen enthalten, können nicht tiefer als 16 Ebenen '
                 'verschachtelt werden',
        'terminated': 'Der Worker „adder“ wurde beendet',
        'pool_set': 'Die Worker eines Pools haben keine Eigenschaften, die sich setzen ließen: total',
        'pool_terminated': 'Der Worker-Pool „adders“ wurde beendet',
    },
    'zh_CN': {
        'wrap': 'Comlink.wrap 接受 Worker、WorkerPool、Endpoint、Connection 或 Proxy，而不是 int',
        'set': '无法发送 Python 类型 set 的值',
        'method': 'Adder 没有方法“nope”',
        'depth': '包含引用的 list、tuple 和 dict 的嵌套深度不能超过 16 层',
        'terminated': 'Worker“adder”已被终止',
        'pool_set': '池中的 Worker 没有可设置的属性：total',
        'pool_terminated': 'Worker 池“adders”已被终止',
    },
}


class Adder:
    def add(self, a, b):
        return a + b


@pytest.fixture(scope='module')
def expected():
    language = os.environ.get('LANGUAGE')
    locale_dir = os.environ.get('COMLINK_TEST_LOCALE_DIR')
    if language not in EXPECTED or not locale_dir:
        pytest.skip('set LANGUAGE to de or zh_CN, and COMLINK_TEST_LOCALE_DIR')
    locale.setlocale(locale.LC_ALL, '')
    # The override bound the domain to the installed catalogs on import
    # (through the library); this binding to the build tree's replaces it
    locale.bindtextdomain(DOMAIN, locale_dir)
    return EXPECTED[language]


@pytest.fixture
def adder(expected):
    worker = Comlink.Worker.new_thread('adder', Adder)
    yield worker
    worker.terminate()


def test_usage_error(expected):
    with pytest.raises(TypeError) as info:
        Comlink.wrap(42)
    assert str(info.value) == expected['wrap']


def test_not_transferable(expected, adder):
    api = Comlink.wrap(adder)
    with pytest.raises(GLib.Error) as info:
        api.add({1}, 2)
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.NOT_TRANSFERABLE)
    assert info.value.message == expected['set']


def test_plural(expected, adder):
    api = Comlink.wrap(adder)
    nested = [Comlink.proxy(Adder())]
    for _ in range(16):
        nested = [nested]
    with pytest.raises(GLib.Error) as info:
        api.add(nested, 1)
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.NOT_TRANSFERABLE)
    assert info.value.message == expected['depth']


def test_exposing_side(expected, adder):
    api = Comlink.wrap(adder)
    with pytest.raises(GLib.Error) as info:
        api.nope()
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.NO_SUCH_METHOD)
    assert info.value.message == expected['method']


def test_library_message(expected, adder):
    api = Comlink.wrap(adder)
    adder.terminate()
    with pytest.raises(GLib.Error) as info:
        api.add(1, 2)
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.TERMINATED)
    assert info.value.message == expected['terminated']


def test_pool(expected):
    pool = Comlink.WorkerPool.new_thread('adders', 1, Adder)
    api = Comlink.wrap(pool)
    assert api.add(1, 2) == 3
    with pytest.raises(AttributeError) as info:
        api.total = 3
    assert str(info.value) == expected['pool_set']

    pool.terminate()
    with pytest.raises(GLib.Error) as info:
        api.add(1, 2)
    assert_error(info.value, COMLINK_DOMAIN, Comlink.Error.TERMINATED)
    assert info.value.message == expected['pool_terminated']
