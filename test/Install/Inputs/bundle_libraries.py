"""Copies agn's shared libraries from argv[1] into the imported package's
agn/lib/, as a wheel that bundles them would carry them."""

import os
import shutil
import sys

import agn
from agn import _library

target = os.path.join(os.path.dirname(agn.__file__), "lib")
os.makedirs(target, exist_ok=True)
for name in (_library.RUNTIME_LIBRARY, _library.COMPILER_LIBRARY):
    shutil.copy(os.path.join(sys.argv[1], name), os.path.join(target, name))
