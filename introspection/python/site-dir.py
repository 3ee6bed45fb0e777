# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Prints the site-packages folder under the prefix given as argument that
# this Python reads, relative to the prefix, or nothing if it reads none
# there. Debian's python3 reads /usr/local/lib/python3.X/dist-packages
# and /usr/lib/python3/dist-packages: not the prefix/lib/python3/dist-packages
# that meson's python module gives for /usr/local.

import os
import site
import sys

prefix = os.path.normpath(sys.argv[1])

for folder in site.getsitepackages():
    relative = os.path.relpath(os.path.normpath(folder), prefix)
    # /usr/local/lib/... is under /usr, but it is not /usr's
    if relative.split(os.sep)[0] in ('lib', 'lib64'):
        print(relative)
        break
