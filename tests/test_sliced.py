"""Tests of divlab.ot.sliced: sliced and max-sliced Wasserstein distances.

References: POT's ``ot.sliced_wasserstein_distance`` given the very same directions
(``projections=theta.T``), exact W_p from ``ot.emd2`` (SW_p <= max-SW_p <= W_p because every
projection is 1-Lipschitz), SciPy's ``wasserstein_distance`` in 1-D, and the closed form
max-SW_p(x, x + t) = |t|.
"""

from __future__ import annotations

import numpy as np
import ot
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import wasserstein_distance

from divlab._array import array_namespace
from divlab.errors import EmptyInputError, NonFiniteError, ParameterError, ShapeMismatchError
from divlab.ot import max_sliced_wasserstein, sliced_wasserstein
from divlab.ot.sliced import _directions


def _clouds(n=40, m=30, d=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=(m, d)) * 1.3 + 0.5


def _exact_wp(x, y, p, a=None, b=None):
    a = np.full(len(x), 1 / len(x)) if a is None else a / a.sum()
    b = np.full(len(y), 1 / len(y)) if b is None else b / b.sum()
    return ot.emd2(a, b, ot.dist(x, y, metric="euclidean") ** p) ** (1 / p)


@pytest.mark.parametrize("p", [1, 2, 3.5])
@pytest.mark.parametrize("sizes", [(40, 40), (40, 30), (7, 13)])
def test_matches_pot_same_directions(p, sizes):
    x, y = _clouds(*sizes)
    theta = _directions(3, 25, 7)
    ref = ot.sliced_wasserstein_distance(x, y, projections=theta.T, p=p)
    got = float(sliced_wasserstein(x, y, n_projections=25, p=p, rng=7))
    assert got == pytest.approx(ref, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("p", [1, 2])
def test_matches_pot_weighted(p):
    x, y = _clouds(25, 18, seed=1)
    rng = np.random.default_rng(1)
    a, b = rng.random(25), rng.random(18)
    a[3] = 0.0
    theta = _directions(3, 30, 3)
    ref = ot.sliced_wasserstein_distance(x, y, a / a.sum(), b / b.sum(), projections=theta.T, p=p)
    got = float(sliced_wasserstein(x, y, n_projections=30, p=p, a=a, b=b, rng=3))
    assert got == pytest.approx(ref, rel=1e-12)


def test_directions_uniform_on_sphere():
    theta = _directions(3, 20000, 0)
    np.testing.assert_allclose(np.linalg.norm(theta, axis=1), 1.0, atol=1e-12)
    # uniform on S^2: each coordinate has mean 0 and variance 1/3 (std error ~0.004)
    np.testing.assert_allclose(theta.mean(axis=0), 0.0, atol=0.02)
    np.testing.assert_allclose((theta**2).mean(axis=0), 1 / 3, atol=0.02)


@pytest.mark.parametrize("p", [1, 2])
def test_one_dimension_is_exact(p):
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=11), rng.exponential(size=17)
    a, b = rng.random(11), rng.random(17)
    got = float(sliced_wasserstein(x, y, n_projections=3, p=p, a=a, b=b, rng=0))
    assert got == pytest.approx(_exact_wp(x[:, None], y[:, None], p, a, b), rel=1e-10)
    if p == 1:
        assert got == pytest.approx(wasserstein_distance(x, y, a, b), rel=1e-10)
    mx = float(max_sliced_wasserstein(x, y, p=p, a=a, b=b, rng=0))
    assert mx == pytest.approx(got, rel=1e-12)


@pytest.mark.parametrize("p", [1, 2])
def test_ordering_sliced_max_exact(p):
    x, y = _clouds(30, 20, seed=3)
    sw = float(sliced_wasserstein(x, y, n_projections=50, p=p, rng=4))
    msw = float(max_sliced_wasserstein(x, y, n_projections=50, p=p, rng=4))
    w = _exact_wp(x, y, p)
    assert sw <= msw + 1e-12
    assert msw <= w + 1e-9
    # the ascent improves on the best random direction (POT's max-sliced)
    theta = _directions(3, 50, 4)
    pot_max = ot.max_sliced_wasserstein_distance(x, y, projections=theta.T, p=p)
    assert msw >= pot_max - 1e-12


@pytest.mark.parametrize("p", [1, 2, 3])
def test_max_sliced_of_translation(p):
    x, _ = _clouds(25, 1, d=4, seed=5)
    t = np.array([1.0, -2.0, 0.5, 3.0])
    msw = float(max_sliced_wasserstein(x, x + t, n_projections=5, p=p, rng=0))
    assert msw == pytest.approx(np.linalg.norm(t), rel=1e-6)


def test_seed_reproducible_and_chunk_invariant():
    x, y = _clouds(seed=6)
    v1 = float(sliced_wasserstein(x, y, rng=123))
    v2 = float(sliced_wasserstein(x, y, rng=np.random.default_rng(123)))
    v3 = float(sliced_wasserstein(x, y, rng=123, chunk_size=1))
    v4 = float(sliced_wasserstein(x, y, rng=124))
    assert v1 == v2
    assert v3 == pytest.approx(v1, rel=1e-13)
    assert v4 != v1


def test_validation():
    x, y = _clouds()
    with pytest.raises(ParameterError, match="`n_projections`"):
        sliced_wasserstein(x, y, n_projections=0)
    with pytest.raises(ParameterError, match="`p`"):
        sliced_wasserstein(x, y, p=0.5)
    with pytest.raises(ParameterError, match="`chunk_size`"):
        sliced_wasserstein(x, y, chunk_size=0)
    with pytest.raises(ParameterError, match="`n_steps`"):
        max_sliced_wasserstein(x, y, n_steps=-1)
    with pytest.raises(ParameterError, match="`rng`"):
        sliced_wasserstein(x, y, rng=-1)
    with pytest.raises(ShapeMismatchError, match="dimension"):
        sliced_wasserstein(x, y[:, :2])
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(NonFiniteError, match="`x`"):
        sliced_wasserstein(bad, y)
    with pytest.raises(EmptyInputError):
        max_sliced_wasserstein(x[:0], y)
    with pytest.raises(ShapeMismatchError, match="`a`"):
        sliced_wasserstein(x, y, a=np.ones(3))


@settings(max_examples=25)
@given(
    n=st.integers(1, 12),
    m=st.integers(1, 12),
    d=st.integers(1, 4),
    seed=st.integers(0, 2**16),
    p=st.sampled_from([1.0, 1.5, 2.0]),
)
def test_properties(n, m, d, seed, p):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(n, d)), rng.normal(size=(m, d)) + rng.normal(size=d)
    sw = float(sliced_wasserstein(x, y, n_projections=20, p=p, rng=seed))
    assert sw >= 0
    assert sw == pytest.approx(float(sliced_wasserstein(y, x, n_projections=20, p=p, rng=seed)),
                               rel=1e-10, abs=1e-12)
    assert float(sliced_wasserstein(x, x, n_projections=5, p=p, rng=seed)) == pytest.approx(
        0.0, abs=1e-12)
    assert sw <= _exact_wp(x, y, p) + 1e-9


def test_backends_agree(backend):
    x, y = _clouds(20, 15, seed=8)
    rng = np.random.default_rng(8)
    a = rng.random(20)
    for kw in ({}, {"a": a}):
        ref = float(sliced_wasserstein(x, y, n_projections=40, rng=1, **kw))
        kwb = {k: backend.asarray(v) for k, v in kw.items()}
        got = sliced_wasserstein(backend.asarray(x), backend.asarray(y), n_projections=40,
                                 rng=1, **kwb)
        assert got.ndim == 0
        assert array_namespace(got) is array_namespace(backend.asarray(x))
        assert float(backend.to_numpy(got)) == pytest.approx(ref, rel=1e-12)
    ref = float(max_sliced_wasserstein(x, y, n_projections=10, rng=1, a=a))
    got = max_sliced_wasserstein(backend.asarray(x), backend.asarray(y), n_projections=10,
                                 rng=1, a=backend.asarray(a))
    assert float(backend.to_numpy(got)) == pytest.approx(ref, rel=1e-9)


def test_float32_preserved(backend):
    x, y = _clouds(16, 16, seed=9)
    x32, y32 = backend.asarray(x, np.float32), backend.asarray(y, np.float32)
    for fn in (sliced_wasserstein, max_sliced_wasserstein):
        got = fn(x32, y32, n_projections=20, rng=2)
        assert got.dtype == backend.xp.float32
        ref = float(fn(x, y, n_projections=20, rng=2))
        assert float(backend.to_numpy(got)) == pytest.approx(ref, rel=1e-4)


@pytest.mark.parametrize("p", [1, 2])
def test_max_sliced_without_ascent_is_pots(p):
    x, y = _clouds(20, 26, seed=10)
    theta = _directions(3, 40, 11)
    ref = ot.max_sliced_wasserstein_distance(x, y, projections=theta.T, p=p)
    got = float(max_sliced_wasserstein(x, y, n_projections=40, p=p, rng=11, n_steps=0))
    assert got == pytest.approx(ref, rel=1e-12)
