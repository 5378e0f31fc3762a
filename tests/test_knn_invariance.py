"""k-NN KL/JS are invariant, and the k-NN entropy equivariant, under invertible affine maps
(issue 11, point 3): whitening with the pooled sample makes the estimates exact functions of
the data up to an affine map, so equal to ~1e-12 relative when the map is exact in float64."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from divlab.errors import EstimationError
from divlab.estimators import knn_entropy, knn_js, knn_kl
from divlab.estimators._neighbors import whiten
from divlab.estimators.knn import UnreliableEstimateWarning

REL = 1e-10


def _data(seed: int, n: int = 400, m: int = 400, d: int = 3):
    rng = np.random.default_rng(seed)
    cov = np.array([[1.0, 0.6, 0.2], [0.6, 1.0, 0.5], [0.2, 0.5, 1.0]])[:d, :d]
    chol = np.linalg.cholesky(cov)
    x = rng.standard_normal((n, d)) @ chol.T
    y = 0.4 + 1.3 * rng.standard_normal((m, d)) @ chol.T
    # on a grid of 2**-24: adding 1e6 (< 2**20) is then exact in float64
    return np.round(x * 2**24) / 2**24, np.round(y * 2**24) / 2**24


def _rotation(d: int, seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def _maps(d: int):
    """(name, A, b) with u -> u @ A + b, each exact in float64 up to one rounding of the
    product: column scales from 1e-6 to 1e6, rotations, shifts by 1e6 (the data lie on a
    2**-24 grid, so the shift is exact), power-of-two scales with shifts."""
    rng = np.random.default_rng(99)
    scales = np.array([3.7e-6, 1.0, 2.9e6])[:d]
    pow2 = np.array([2.0**-20, 1.0, 2.0**20])[:d]
    general = rng.standard_normal((d, d)) + 3 * np.eye(d)
    return [
        ("column scales 1e-6..1e6", np.diag(scales), np.zeros(d)),
        ("rotation", _rotation(d, 5), np.zeros(d)),
        ("shift 1e6", np.eye(d), np.full(d, 1e6)),
        ("general invertible", general, rng.standard_normal(d)),
        ("rotation then scales 1e-6..1e6", _rotation(d, 6) @ np.diag(scales), np.zeros(d)),
        ("power-of-two scales and shifts", np.diag(pow2), 2.0**20 * pow2),
    ]


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreliableEstimateWarning)
        return fn(*args, **kw)


@pytest.mark.parametrize(("name", "A", "b"), _maps(3), ids=[m[0] for m in _maps(3)])
def test_kl_js_invariant_under_affine_maps(name, A, b):
    x, y = _data(1)
    xs, ys = x @ A + b, y @ A + b
    for fn, kw in ((knn_kl, {}), (knn_kl, {"k": 3}), (knn_kl, {"variant": "adaptive"}),
                   (knn_js, {"rng": 0})):
        ref, got = fn(x, y, **kw), fn(xs, ys, **kw)
        assert got.value == pytest.approx(ref.value, rel=REL, abs=1e-12), (fn.__name__, kw)
        assert got.details["dim"] == 3


def test_kl_js_invariant_with_unequal_sizes_and_intervals():
    x, y = _data(2, n=300, m=450)
    A, b = _rotation(3, 1) @ np.diag([1e-6, 7.0, 1e6]), np.zeros(3)
    for fn in (knn_kl, knn_js):
        ref = fn(x, y, n_resamples=40, rng=3)
        got = fn(x @ A + b, y @ A + b, n_resamples=40, rng=3)
        assert got.value == pytest.approx(ref.value, rel=REL)
        np.testing.assert_allclose(got.ci, ref.ci, rtol=1e-9)
        assert got.p_value == ref.p_value


def test_constant_columns_are_dropped_and_noted():
    x, y = _data(3)
    ref_kl, ref_js = knn_kl(x, y), knn_js(x, y, rng=0)
    # the issue: a constant column doubled the estimate (d counted it); now it is dropped
    xc = np.column_stack([x[:, :1], np.full(len(x), 7.5), x[:, 1:], np.zeros(len(x))])
    yc = np.column_stack([y[:, :1], np.full(len(y), 7.5), y[:, 1:], np.zeros(len(y))])
    kl, js = knn_kl(xc, yc), knn_js(xc, yc, rng=0)
    assert kl.value == pytest.approx(ref_kl.value, rel=REL)
    assert js.value == pytest.approx(ref_js.value, rel=REL)
    for est in (kl, js):
        assert est.details["dropped_columns"] == [1, 4] and est.details["dim"] == 3
    # without whitening: constant columns no longer count in d either
    raw = knn_kl(xc, yc, whiten=False)
    assert raw.value == pytest.approx(knn_kl(x, y, whiten=False).value, rel=REL)


def test_collinear_column_is_a_dropped_direction():
    x, y = _data(4)
    extra = lambda a: np.column_stack([a, 2.0 * a[:, 0] - 0.5 * a[:, 2] + 3.0])  # noqa: E731
    ref, got = knn_kl(x, y), knn_kl(extra(x), extra(y))
    assert got.details["dropped_directions"] == 1 and got.details["dim"] == 3
    assert got.value == pytest.approx(ref.value, rel=1e-8)


def test_without_whitening_the_estimate_moves():
    """The failure the issue measured (rescaling one feature moved k-NN KL from 0.298 to
    0.115): the raw geometry is not invariant, the whitened one is."""
    x, y = _data(5)
    scale = np.array([1.0, 1.0, 1e-3])
    raw_a, raw_b = knn_kl(x, y, whiten=False).value, knn_kl(x * scale, y * scale,
                                                               whiten=False).value
    assert abs(raw_a - raw_b) > 0.05
    assert knn_kl(x * scale, y * scale).value == pytest.approx(knn_kl(x, y).value, rel=REL)


@pytest.mark.parametrize(("name", "A", "b"), _maps(3), ids=[m[0] for m in _maps(3)])
def test_entropy_adds_the_jacobian_exactly(name, A, b):
    x, _ = _data(6)
    ref, got = knn_entropy(x), knn_entropy(x @ A + b)
    log_det = np.linalg.slogdet(A)[1]
    assert got.value == pytest.approx(ref.value + log_det, rel=REL, abs=1e-9)


def test_entropy_whitened_matches_the_gaussian_truth():
    """Anisotropic correlated Gaussian: H = (d/2) log(2 pi e) + (1/2) log det(cov)."""
    rng = np.random.default_rng(7)
    cov = np.array([[4.0, 1.9], [1.9, 1.0]]) * 1e-4
    x = rng.multivariate_normal([5.0, -3.0], cov, size=5000)
    truth = math.log(2 * math.pi * math.e) + 0.5 * np.linalg.slogdet(cov)[1]
    assert knn_entropy(x).value == pytest.approx(truth, abs=0.03)


def test_entropy_refuses_degenerate_columns():
    x, _ = _data(8)
    with pytest.raises(EstimationError, match=r"column\(s\) \[3\] of `x` are constant.*-inf"):
        knn_entropy(np.column_stack([x, np.full(len(x), 2.0)]))
    with pytest.raises(EstimationError, match=r"lower-dimensional affine subspace.*-inf"):
        knn_entropy(np.column_stack([x, x[:, 0] - x[:, 1]]))
    with pytest.raises(EstimationError, match="identical"):
        knn_entropy(np.ones((30, 2)))


def test_whitening_gives_identity_pooled_covariance(backend):
    x, y = _data(9, n=300, m=200)
    A = _rotation(3, 2) @ np.diag([1e-6, 1.0, 1e6])
    xb, yb = backend.asarray(x @ A + 1e6), backend.asarray(y @ A + 1e6)
    wh = whiten(xb, yb, backend.xp)
    z = np.concatenate([backend.to_numpy(wh.x), backend.to_numpy(wh.y)])
    np.testing.assert_allclose(np.cov(z.T, bias=True), np.eye(3), atol=1e-8)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-8)
    assert wh.dim == 3 and not wh.dropped_columns


def test_invariance_on_another_backend(backend):
    x, y = _data(10, n=150, m=150)
    A, b = np.diag([2.0**-20, 3.0, 2.0**20]), np.array([1.0, 0.0, 2.0**40])
    ref = knn_kl(x, y, k=2).value
    got = knn_kl(backend.asarray(x @ A + b), backend.asarray(y @ A + b), k=2).value
    assert float(got) == pytest.approx(ref, rel=1e-9)
    got_js = _quiet(knn_js, backend.asarray(x @ A + b), backend.asarray(y @ A + b), rng=0)
    assert got_js.value == pytest.approx(knn_js(x, y, rng=0).value, rel=1e-9)


def test_rounding_limited_map_agrees_far_below_sampling_noise():
    """Scales 1e-6..1e6, a rotation and shifts of 1e6 times each column's scale: the map
    itself rounds (about 1e-10 of the spread), the estimates move by far less than their
    sampling noise (~0.05 here)."""
    x, y = _data(11)
    scales = np.array([1e-6, 1.0, 1e6])
    A, b = _rotation(3, 3) @ np.diag(scales), 1e6 * scales
    for fn in (knn_kl, knn_js):
        ref, got = fn(x, y, rng=0).value, fn(x @ A + b, y @ A + b, rng=0).value
        assert got == pytest.approx(ref, rel=1e-6)
