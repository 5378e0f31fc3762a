"""The same quantity through every door of divlab gives the same number; the doors' errors
name what the user passed.

Doors for an exact divergence of probability vectors: the dedicated function, the generic
``f_divergence``, the plug-in estimators (empirical frequencies), the Dask and PyTorch
backends, ``array_api_strict``. They all run one record through one engine, so they agree to
a few ulp (summation order differs between backends).
"""

from __future__ import annotations

import numpy as np
import pytest

import divlab
from divlab.errors import BackendError, EmptyInputError, NegativeValueError, ShapeMismatchError
from divlab.estimators import plugin_js, plugin_kl
from divlab.fdiv import FDIVERGENCES, FDivergence

SMOOTH = [n for n in FDIVERGENCES if n != "total_variation"]


def _ulps(a: float, b: float) -> float:
    if a == b:
        return 0.0
    return abs(a - b) / np.spacing(max(abs(a), abs(b)))


@pytest.fixture
def frequencies():
    """Two categorical samples and their empirical frequencies over the pooled categories."""
    rng = np.random.default_rng(3)
    x = rng.choice(6, size=400, p=[0.3, 0.2, 0.2, 0.1, 0.1, 0.1])
    y = rng.choice(6, size=500, p=[0.1, 0.1, 0.2, 0.2, 0.2, 0.2])
    p = np.bincount(x, minlength=6) / x.size
    q = np.bincount(y, minlength=6) / y.size
    return x, y, p, q


def test_plugin_estimators_equal_the_exact_function(frequencies):
    x, y, p, q = frequencies
    assert _ulps(plugin_kl(x, y, smoothing=0).value, float(divlab.kl(p, q))) <= 4
    assert _ulps(plugin_js(x, y).value, float(divlab.js(p, q))) <= 4


def test_compare_categorical_kl_is_the_plugin_value(frequencies):
    x, y, _, _ = frequencies
    report = divlab.compare(x, y, metrics=["js"], n_resamples=0, rng=0)
    assert report["js"].value == plugin_js(x, y, correction="jackknife").value


@pytest.mark.parametrize("name", sorted(FDIVERGENCES))
def test_every_backend_door_agrees(frequencies, name):
    _, _, p, q = frequencies
    want = float(divlab.f_divergence(p, q, name))
    import array_api_strict as xs

    doors = {"array_api_strict": divlab.f_divergence(xs.asarray(p), xs.asarray(q), name)}
    da = pytest.importorskip("dask.array")
    doors["dask"] = divlab.f_divergence(da.from_array(p, chunks=2), da.from_array(q, chunks=2),
                                        name).compute()
    torch = pytest.importorskip("torch")
    doors["torch"] = divlab.f_divergence(torch.tensor(p), torch.tensor(q), name)
    for door, got in doors.items():
        assert _ulps(float(got), want) <= 8, (door, float(got), want)


def test_normalize_errors_report_the_values_given():
    with pytest.raises(NegativeValueError, match=r"-2\.0 at index 1"):
        divlab.kl([1.0, -2.0, 3.0], [3.0, 2.0, 1.0], normalize=True)
    with pytest.raises(EmptyInputError, match="zero total mass"):
        divlab.kl([0.0, 0.0, 0.0], [3.0, 2.0, 1.0], normalize=True)


def test_broadcast_pairs_every_row_with_every_column():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(4), size=3)
    q = rng.dirichlet(np.ones(4), size=5)
    got = divlab.js(p[:, None, :], q[None, :, :])
    assert got.shape == (3, 5)
    for i in range(3):
        for j in range(5):
            assert _ulps(float(got[i, j]), float(divlab.js(p[i], q[j]))) <= 4
    assert divlab.js(p[:, None, :], q, keepdims=True).shape == (3, 5, 1)
    with pytest.raises(ShapeMismatchError, match=r"\(3, 4\) and \(5, 3\)"):
        divlab.js(p, q[:, :3])


def test_generator_built_entries_refuse_autograd_tensors():
    torch = pytest.importorskip("torch")
    fd = FDivergence.from_generator(lambda u: (u - 1.0) ** 4, name="quartic_doors")
    p = torch.tensor([0.5, 0.5], dtype=torch.float64, requires_grad=True)
    q = torch.tensor([0.9, 0.1], dtype=torch.float64)
    with pytest.raises(BackendError, match="gradients cannot flow"):
        divlab.f_divergence(p, q, fd)
    want = float(divlab.f_divergence(np.array([0.5, 0.5]), np.array([0.9, 0.1]), fd))
    assert float(divlab.f_divergence(p.detach(), q, fd)) == pytest.approx(want, rel=1e-15)


@pytest.mark.parametrize("name", SMOOTH)
def test_float32_backends_keep_float32(name):
    torch = pytest.importorskip("torch")
    p = torch.tensor([0.2, 0.3, 0.5], dtype=torch.float32)
    q = torch.tensor([0.3, 0.3, 0.4], dtype=torch.float32)
    got = divlab.f_divergence(p, q, name)
    assert got.dtype == torch.float32 and got.shape == ()
