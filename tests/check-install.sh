#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Installs a build tree into a temporary DESTDIR and checks that the
# bindings are found where the system looks for them:
#   bash tests/check-install.sh BUILD_DIR
# - the PyGObject override lands in a site-packages folder that
#   /usr/bin/python3 reads (for the prefixes it reads one under), and
#   `from gi.repository import Comlink` loads it from there;
# - the GJS module is imported by its resource URI from the installed
#   library, and pkg-config gives that URI.
set -euo pipefail

build="${1:?usage: check-install.sh BUILD_DIR}"
destdir=$(mktemp -d)
trap 'rm -rf "$destdir"' EXIT

meson install -C "$build" --destdir "$destdir" --quiet

prefix=$(meson introspect --buildoptions "$build" |
  /usr/bin/python3 -c 'import json, sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
root="$destdir$prefix"

override=$(cd "$destdir" && find . -path '*/gi/overrides/Comlink.py' | sed 's|^\.||')
[ -n "$override" ] || { echo "check-install: no gi/overrides/Comlink.py installed" >&2; exit 1; }
site=${override%/gi/overrides/Comlink.py}
echo "check-install: the override is $override"

# The interpreter reads that folder by itself: no PYTHONPATH needed once
# installed for real
if /usr/bin/python3 -c "import site, sys; sys.exit(0 if any(p.startswith('$prefix/') for p in site.getsitepackages()) else 1)"; then
  /usr/bin/python3 -c "import site, sys; sys.exit(0 if '$site' in site.getsitepackages() else 1)" || {
    echo "check-install: /usr/bin/python3 does not read $site" >&2
    exit 1
  }
fi

libdir=$(dirname "$(find "$root" -name 'libcomlink-glib-1.so.0' | head -n 1)")
typelibdir=$(dirname "$(find "$root" -name 'Comlink-1.typelib' | head -n 1)")
export LD_LIBRARY_PATH="$libdir" GI_TYPELIB_PATH="$typelibdir"

PYTHONPATH="$destdir$site" /usr/bin/python3 - "$destdir$override" <<'PY'
import sys
import gi
gi.require_version('Comlink', '1')
from gi.repository import Comlink

override = sys.modules['gi.overrides.Comlink'].__file__
assert override == sys.argv[1], override

class Calc:
    def add(self, a, b):
        return a + b

worker = Comlink.Worker.new_thread('calc', Calc)
api = Comlink.wrap(worker)
assert isinstance(api, Comlink.Remote)
assert api.add(2, 3) == 5
worker.terminate()
print('check-install: the installed override wraps a worker')
PY

uri=$(PKG_CONFIG_PATH="$(dirname "$(find "$root" -name comlink-glib-1.pc)")" \
  pkg-config --variable=gjsmoduleuri comlink-glib-1)
[ "$uri" = "resource:///org/gnome/Comlink/js/comlink.js" ] || {
  echo "check-install: gjsmoduleuri is '$uri'" >&2
  exit 1
}

script="$destdir/check.js"
cat > "$script" <<JS
import GLib from 'gi://GLib';
import ComlinkGI from 'gi://Comlink?version=1';

void ComlinkGI.Worker.\$gtype;
let Comlink, failure;
import('$uri').then(m => (Comlink = m), e => (failure = e));
while (!Comlink && !failure)
    GLib.MainContext.default().iteration(true);
if (failure)
    throw failure;

// Both ends on one thread, through the installed library and module
const channel = new ComlinkGI.Channel();
const exposing = Comlink.expose({add: (a, b) => a + b}, channel.get_port1());
const api = Comlink.wrap(channel.get_port2());
let sum;
api.add(2, 3).then(s => (sum = s), e => (failure = e));
while (sum === undefined && !failure)
    GLib.MainContext.default().iteration(true);
if (failure)
    throw failure;
if (sum !== 5)
    throw new Error(\`add gave \${sum}\`);
print('check-install: the module from the installed library wraps an object');
void exposing;
JS
gjs -m "$script"
