"""Shared test configuration: hypothesis profiles and array-backend fixtures."""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def _cupy_available() -> bool:
    if importlib.util.find_spec("cupy") is None:
        return False
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


HAS_GPU = _cupy_available()


def pytest_collection_modifyitems(config, items):
    if HAS_GPU:
        return
    skip = pytest.mark.skip(reason="needs CuPy and a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


class Backend:
    """A test backend: its name, a function turning NumPy data into its arrays, and back."""

    def __init__(self, name: str, module):
        self.name = name
        self.xp = module

    def asarray(self, a, dtype=None):
        a = np.asarray(a)
        if dtype is not None:
            a = a.astype(dtype)
        return self.xp.asarray(a)

    def to_numpy(self, a):
        from divlab._array import to_numpy

        return to_numpy(a)

    def __repr__(self) -> str:
        return self.name


def _backends():
    import array_api_strict

    params = [
        pytest.param(Backend("numpy", np), id="numpy"),
        pytest.param(Backend("array_api_strict", array_api_strict), id="array_api_strict"),
    ]
    if importlib.util.find_spec("cupy") is not None:
        params.append(pytest.param("cupy", id="cupy", marks=pytest.mark.gpu))
    else:
        params.append(pytest.param("cupy", id="cupy", marks=[pytest.mark.gpu,
                      pytest.mark.skip(reason="needs CuPy and a CUDA device")]))
    return params


@pytest.fixture(params=_backends())
def backend(request) -> Backend:
    """NumPy, array_api_strict and (with a GPU) CuPy backends."""
    if request.param == "cupy":
        import cupy

        return Backend("cupy", cupy)
    return request.param
