"""Huge and tiny (but valid) coordinates in the sliced distances and the KR witness.

SW_p, max-SW_p and W_1 are 1-homogeneous and the KR witness satisfies
phi_{sP, sQ}(s z) = s phi_{P, Q}(z): at any scale the result must be the unscaled one times
the scale, finite, and without NumPy RuntimeWarnings (DESIGN.md section 5). The directions
depend only on ``rng``, so the same seed gives the same directions at every scale.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import divlab
from divlab._array import coordinate_scale

SCALES = [1e-160, 1e100, 1e160]


def _clouds(n=5, m=6, d=2):
    x = np.random.default_rng(0).normal(size=(n, d))
    y = np.random.default_rng(1).normal(size=(m, d)) + 0.3
    return x, y


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("p", [1, 2, 3.5])
@pytest.mark.parametrize("sizes", [(5, 6), (7, 7)])
@pytest.mark.parametrize("func", ["sliced_wasserstein", "max_sliced_wasserstein"])
def test_sliced_homogeneous_float64(func, sizes, p, scale):
    f = getattr(divlab, func)
    x, y = _clouds(*sizes)
    ref = float(f(x, y, p=p, rng=0))
    got = _quiet(f, x * scale, y * scale, p=p, rng=0)
    assert got.dtype == np.float64
    got = float(got)
    assert np.isfinite(got) and got > 0
    assert got == pytest.approx(ref * scale, rel=1e-12)


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("func", ["sliced_wasserstein", "max_sliced_wasserstein"])
def test_sliced_homogeneous_weighted_and_1d(func, scale):
    f = getattr(divlab, func)
    x, y = _clouds(8, 6, 3)
    rng = np.random.default_rng(2)
    a, b = rng.random(8), rng.random(6)
    ref = float(f(x, y, a=a, b=b, rng=1))
    got = float(_quiet(f, x * scale, y * scale, a=a, b=b, rng=1))
    assert got == pytest.approx(ref * scale, rel=1e-12)
    ref1 = float(f(x[:, 0], y[:, 0], rng=1))
    got1 = float(_quiet(f, x[:, 0] * scale, y[:, 0] * scale, rng=1))
    assert got1 == pytest.approx(ref1 * scale, rel=1e-12)


@pytest.mark.parametrize("scale", [1e-30, 1e30])
@pytest.mark.parametrize("func", ["sliced_wasserstein", "max_sliced_wasserstein"])
def test_sliced_homogeneous_float32(func, scale):
    f = getattr(divlab, func)
    x, y = _clouds()
    x32, y32 = x.astype(np.float32), y.astype(np.float32)
    ref = float(f(x32, y32, rng=0))
    got = _quiet(f, (x * scale).astype(np.float32), (y * scale).astype(np.float32), rng=0)
    assert got.dtype == np.float32
    assert np.isfinite(float(got))
    assert float(got) == pytest.approx(ref * scale, rel=1e-5)


def test_sliced_max_sliced_overflow_at_1e100_fixed():
    x, y = _clouds()
    got = float(_quiet(divlab.max_sliced_wasserstein, x * 1e100, y * 1e100, rng=0))
    ref = float(divlab.max_sliced_wasserstein(x, y, rng=0))
    assert got == pytest.approx(ref * 1e100, rel=1e-12)


def test_ordinary_inputs_not_rescaled():
    # the rescaling is only applied outside these ranges (bit-identical ordinary results)
    assert coordinate_scale(1e40, np.float64, np) == 1.0
    assert coordinate_scale(1e-40, np.float64, np) == 1.0
    assert coordinate_scale(0.0, np.float64, np) == 1.0
    assert coordinate_scale(1e8, np.float32, np) == 1.0
    assert coordinate_scale(1e60, np.float64, np) == 2.0 ** np.frexp(1e60)[1] / 2
    x, y = _clouds()
    same_seed = [float(divlab.sliced_wasserstein(x, y, rng=3)) for _ in range(2)]
    assert same_seed[0] == same_seed[1]


@pytest.mark.parametrize("scale", [*SCALES, 1e-300, 1e300])
@pytest.mark.parametrize("metric", ["euclidean", "cityblock"])
def test_kr_witness_homogeneous(scale, metric):
    x, y = _clouds()
    ref = divlab.kr_witness(x, y, metric=metric)
    xs, ys = x * scale, y * scale
    phi = _quiet(divlab.kr_witness, xs, ys, metric=metric)
    w1 = float(divlab.wasserstein(xs, ys, metric=metric))
    assert float(phi.value) == pytest.approx(w1, rel=1e-12)
    assert float(phi.value) == pytest.approx(float(ref.value) * scale, rel=1e-12)
    # the callable takes and returns original units
    px, py = _quiet(phi, xs), _quiet(phi, ys)
    assert np.all(np.isfinite(px)) and np.all(np.isfinite(py))
    assert float(np.mean(px) - np.mean(py)) == pytest.approx(w1, rel=1e-12)
    assert phi.mean_difference() == pytest.approx(w1, rel=1e-12)
    z = np.array([[3.0, -4.0], [0.5, 0.25]])
    np.testing.assert_allclose(_quiet(phi, z * scale), ref(z) * scale, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(phi.support), np.concatenate([xs, ys]), rtol=0)
    np.testing.assert_allclose(np.asarray(phi.values), np.asarray(ref.values) * scale,
                               rtol=1e-12, atol=1e-12 * scale)
    assert _quiet(phi.lipschitz_constant) == pytest.approx(1.0, rel=1e-9)


def test_kr_witness_float32_1e30(backend):
    x, y = _clouds()
    scale = 1e30
    ref = divlab.kr_witness(x, y)
    x32 = backend.asarray(x * scale, dtype=np.float32)
    y32 = backend.asarray(y * scale, dtype=np.float32)
    phi = _quiet(divlab.kr_witness, x32, y32)
    assert float(phi.value) == pytest.approx(float(ref.value) * scale, rel=1e-6)
    vals = backend.to_numpy(_quiet(phi, x32))
    assert vals.dtype == np.float32 and np.all(np.isfinite(vals))
    np.testing.assert_allclose(vals, np.asarray(ref(x)) * scale, rtol=1e-5,
                               atol=1e-5 * scale)


def test_kr_witness_ordinary_scale_is_one():
    x, y = _clouds()
    assert divlab.kr_witness(x, y).scale == 1.0


@pytest.mark.parametrize("func", ["sliced_wasserstein", "max_sliced_wasserstein"])
def test_sliced_homogeneous_backend(backend, func):
    f = getattr(divlab, func)
    x, y = _clouds()
    ref = float(f(x, y, rng=0))
    got = _quiet(f, backend.asarray(x * 1e160), backend.asarray(y * 1e160), rng=0)
    assert float(backend.to_numpy(got)) == pytest.approx(ref * 1e160, rel=1e-12)
