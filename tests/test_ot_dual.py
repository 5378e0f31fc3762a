"""Kantorovich–Rubinstein witness and the independent dual LP (HiGHS)."""

from __future__ import annotations

import numpy as np
import ot
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial.distance import cdist

from divlab.errors import (
    EmptyInputError,
    NonFiniteError,
    NormalizationError,
    ParameterError,
    ShapeMismatchError,
)
from divlab.ot.dual import KRWitness, dual_lp, kr_witness
from divlab.ot.exact import emd


def _clouds(n, m, d, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    y = rng.standard_t(4, size=(m, d)) * 0.7 + 1.0
    return x, y, rng.random(n) + 0.1, rng.random(m) + 0.1


@pytest.mark.parametrize("n,m,d,metric", [(1, 1, 2, "euclidean"), (30, 20, 2, "euclidean"),
                                           (60, 45, 3, "cityblock"), (40, 40, 1, "euclidean")])
def test_kr_duality(n, m, d, metric):
    x, y, a, b = _clouds(n, m, d, seed=n + d)
    phi = kr_witness(x, y, a=a, b=b, metric=metric)
    an, bn = a / a.sum(), b / b.sum()
    ref = ot.emd2(an, bn, cdist(x, y, metric=metric))
    assert isinstance(phi, KRWitness)
    assert phi.value == pytest.approx(ref, rel=1e-12)
    # KR: E_P phi - E_Q phi = W1 to 1e-9, phi 1-Lipschitz
    assert abs(phi.mean_difference(a, b) - ref) <= 1e-9
    vals_x, vals_y = np.asarray(phi(x)), np.asarray(phi(y))
    assert abs(an @ vals_x - bn @ vals_y - ref) <= 1e-9
    assert phi.lipschitz_constant() <= 1.0 + 1e-12


@pytest.mark.skipif(not hasattr(scipy.stats, "wasserstein_distance_nd"),
                    reason="scipy.stats.wasserstein_distance_nd needs SciPy >= 1.13")
def test_w1_matches_scipy_nd():
    x, y, a, b = _clouds(15, 11, 2, seed=1)
    ref = scipy.stats.wasserstein_distance_nd(x, y, a, b)
    assert kr_witness(x, y, a=a, b=b).value == pytest.approx(ref, rel=1e-8)


def test_witness_is_lipschitz_off_support():
    x, y, _, _ = _clouds(25, 30, 2, seed=4)
    phi = kr_witness(x, y)
    rng = np.random.default_rng(0)
    z1, z2 = rng.normal(size=(500, 2)) * 3, rng.normal(size=(500, 2)) * 3
    dphi = np.abs(np.asarray(phi(z1)) - np.asarray(phi(z2)))
    dist = np.linalg.norm(z1 - z2, axis=1)
    assert np.all(dphi <= dist * (1 + 1e-12) + 1e-12)
    # the extension reproduces the stored values on the support, chunked or not
    np.testing.assert_allclose(np.asarray(phi(phi.support)), phi.values, atol=1e-12)
    np.testing.assert_array_equal(np.asarray(phi(z1, chunk_rows=7)), np.asarray(phi(z1)))


def test_one_dimensional_witness_input_shapes():
    phi = kr_witness([0.0, 1.0], [2.0, 3.0])
    assert phi.value == pytest.approx(2.0)
    assert np.asarray(phi(np.array([0.5, 10.0]))).shape == (2,)


def _lipschitz(points, values):
    d = cdist(points, points)
    dv = np.abs(values[:, None] - values[None, :])
    return float(np.max(dv[d > 0] / d[d > 0]))


def test_raw_potentials_need_the_c_transform():
    # POT's raw potentials (f on x, -g on y) are far from 1-Lipschitz here (zero-mass points
    # and a degenerate basis); the witness phi = c-transform of g repairs that and is exact.
    x = np.array([[0.3, 0.4], [-1.0, 0.7], [-0.5, 0.3], [-0.3, 1.1], [-1.2, -1.4]])
    y = np.array([[3.7, -1.0], [-1.4, -0.5], [-1.3, -0.7], [-0.8, 0.9], [0.6, -0.5],
                  [0.3, 0.5]])
    a = np.array([0.0, 0.33541819, 0.0, 0.0, 0.66458181])
    b = np.array([0.29123956, 0.0, 0.44922811, 0.13254669, 0.12698564, 0.0])
    _, log = ot.emd(a, b, cdist(x, y), log=True)
    raw = _lipschitz(np.vstack([x, y]), np.concatenate([log["u"], -log["v"]]))
    assert raw > 2.0
    phi = kr_witness(x, y, a=a, b=b)
    assert phi.lipschitz_constant() <= 1.0 + 1e-12
    assert _lipschitz(np.vstack([x, y]), np.asarray(phi.values)) <= 1.0 + 1e-12
    assert abs(phi.mean_difference(a, b) - ot.emd2(a, b, cdist(x, y))) <= 1e-12


small_cloud = arrays(np.float64, st.tuples(st.integers(1, 6), st.just(2)),
                     elements=st.floats(-10, 10, allow_nan=False, width=64).map(
                         lambda v: round(v, 3)))


@settings(max_examples=25)
@given(small_cloud, small_cloud)
def test_kr_property(x, y):
    phi = kr_witness(x, y)
    assert abs(phi.mean_difference() - phi.value) <= 1e-9 * (1 + phi.value)
    assert phi.lipschitz_constant() <= 1.0 + 1e-12


@settings(max_examples=20)
@given(small_cloud, small_cloud)
def test_dual_lp_agrees_with_simplex(x, y):
    c = cdist(x, y) ** 2
    lp, res = dual_lp(None, None, c), emd(None, None, c)
    scale = 1.0 + c.max()
    assert lp.value == pytest.approx(res.value, rel=1e-9, abs=1e-9 * scale)
    f, g = lp.potentials
    assert np.max(f[:, None] + g[None, :] - c) <= 1e-9 * scale
    assert lp.marginal_error <= 1e-9
    assert abs(lp.duality_gap) <= 1e-9 * scale


def test_dual_lp_backend(backend):
    x, y, a, b = _clouds(6, 5, 2, seed=2)
    a, b = a / a.sum(), b / b.sum()
    c = cdist(x, y)
    ref = dual_lp(a, b, c)
    got = dual_lp(backend.asarray(a), backend.asarray(b), backend.asarray(c))
    assert float(got.value) == pytest.approx(float(ref.value), rel=1e-12)
    if backend.name != "numpy":
        assert type(got.potentials[0]).__module__.startswith(backend.xp.__name__)


def test_kr_witness_backend(backend):
    x, y, _, _ = _clouds(12, 9, 2, seed=3)
    ref = kr_witness(x, y)
    phi = kr_witness(backend.asarray(x), backend.asarray(y))
    assert float(phi.value) == pytest.approx(float(ref.value), rel=1e-12)
    assert type(ref.value) is np.float64
    if backend.name != "numpy":
        assert type(phi.value).__module__.startswith(backend.xp.__name__)
    vals = phi(backend.asarray(x))
    if backend.name != "numpy":
        assert type(vals).__module__.startswith(backend.xp.__name__)
    np.testing.assert_allclose(backend.to_numpy(vals), np.asarray(ref(x)), atol=1e-12)


@pytest.mark.parametrize(
    "args,kwargs,err",
    [
        ((np.ones((0, 2)), np.ones((2, 2))), {}, EmptyInputError),
        ((np.ones((2, 2)), np.ones((2, 3))), {}, ShapeMismatchError),
        ((np.ones((2, 2)), np.ones((2, 2))), {"metric": "sqeuclidean"}, ParameterError),
        (([[np.nan, 1.0]], [[0.0, 1.0]]), {}, NonFiniteError),
    ],
)
def test_kr_witness_bad_input(args, kwargs, err):
    with pytest.raises(err):
        kr_witness(*args, **kwargs)


@pytest.mark.parametrize(
    "a,b,c,err",
    [
        (None, None, np.ones((0, 2)), EmptyInputError),
        (None, None, [[np.nan]], NonFiniteError),
        (None, None, [[np.inf, 1.0]], NonFiniteError),
        ([1.0], [0.5, 0.2], [[0.0, 1.0]], NormalizationError),
    ],
)
def test_dual_lp_bad_input(a, b, c, err):
    with pytest.raises(err):
        dual_lp(a, b, c)
