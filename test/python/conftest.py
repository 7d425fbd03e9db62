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


@pytest.fixture(scope="session", autouse=True)
def _private_compile_cache(tmp_path_factory):
    """The tests never read or fill the user's compile cache, and compile as they always did
    (no cache) unless FOURFOLD_NO_CACHE=0 is set to run the whole suite through the cache;
    test_cache.py turns it on itself."""
    patch = pytest.MonkeyPatch()
    patch.setenv("FOURFOLD_CACHE_DIR", str(tmp_path_factory.mktemp("fourfold-cache")))
    if "FOURFOLD_NO_CACHE" not in os.environ:
        patch.setenv("FOURFOLD_NO_CACHE", "1")
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def _omp_threads_restored():
    """OMP_NUM_THREADS is part of what the CPU pipeline compiles for (welder's cores): a test
    that sets it (fourfold.cli.set_threads) must not change the decisions of the tests after it."""
    saved = os.environ.get("OMP_NUM_THREADS")
    yield
    if saved is None:
        os.environ.pop("OMP_NUM_THREADS", None)
    else:
        os.environ["OMP_NUM_THREADS"] = saved


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def assert_close_to_scale(got, ref, rtol=1e-4):
    """Error within rtol of the largest |ref| (at least 1): sums of random terms cancel, so an
    elementwise relative check would be meaningless near zero."""
    ref = np.asarray(ref)
    assert got.shape == ref.shape
    scale = max(1.0, float(np.max(np.abs(ref))))
    err = float(np.max(np.abs(got - ref)))
    assert err <= rtol * scale, f"max |error| {err:g} > {rtol:g} x {scale:g}"

