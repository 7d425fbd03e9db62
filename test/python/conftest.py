"""pytest set-up: find the fourfold package in the build tree when it is not installed."""

import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_build = os.environ.get("FOURFOLD_BUILD_DIR", os.path.join(ROOT, "build"))
_pkg = os.path.join(_build, "python_packages")
if os.path.isdir(os.path.join(_pkg, "fourfold")) and _pkg not in sys.path:
    sys.path.insert(0, _pkg)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
