"""Two-sample estimators at extreme coordinate scales and tiny samples (input contract, §5).

Homogeneity: MMD² with the median-heuristic bandwidth is scale invariant, the squared energy
distance is 1-homogeneous (so the energy distance scales by ``sqrt(s)``), ``W_p`` and
``SW_p`` are 1-homogeneous. With the same ``rng`` the resampling draws are the same, so the
CI scales like the value and the permutation p-value is unchanged. No warning of any kind
may escape.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import divlab
from divlab.estimators import (
    energy_distance,
    mmd,
    sliced_wasserstein_estimate,
    wasserstein_estimate,
)

RTOL = 1e-9
SCALES = [1e160, 1e-170, 1e200, 1e-200, 2.0**900, 2.0**-900]


@pytest.fixture(scope="module")
def xy() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(50, 3)), rng.normal(size=(60, 3)) + 0.3


@pytest.fixture(scope="module")
def xy1() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return rng.normal(size=50), rng.normal(size=55) + 1.0


def _quiet(f, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return f(*args, **kw)


def _assert_scaled(est, ref, factor: float, *, rtol: float = RTOL) -> None:
    """``est`` (at scale) equals ``ref`` (unscaled) times ``factor``: value, CI, p-value."""
    assert math.isfinite(est.value)
    np.testing.assert_allclose(est.value, ref.value * factor, rtol=rtol)
    if ref.ci is None:
        assert est.ci is None
    else:
        assert est.ci is not None and all(math.isfinite(c) for c in est.ci)
        np.testing.assert_allclose(est.ci, np.asarray(ref.ci) * factor, rtol=rtol)
        assert est.ci[0] < est.ci[1]
    assert est.p_value == ref.p_value


# --------------------------------------------------------------------------- energy distance


@pytest.mark.parametrize("s", SCALES)
@pytest.mark.parametrize("dim", [1, 3])
def test_energy_distance_scales_as_sqrt_s(xy, s, dim):
    x, y = xy
    if dim == 1:
        x, y = x[:, 0], y[:, 0]
    kw = {"n_resamples": 20, "rng": 0}
    ref = _quiet(energy_distance, x, y, **kw)
    est = _quiet(energy_distance, x * s, y * s, **kw)
    _assert_scaled(est, ref, math.sqrt(s))
    np.testing.assert_allclose(est.details["squared"], ref.details["squared"] * s, rtol=RTOL)


def test_energy_distance_power_of_two_scale_to_rounding(xy):
    # data scaled exactly: only the final square roots round differently
    x, y = xy
    s = 2.0**800
    ref = energy_distance(x, y, n_resamples=20, rng=0)
    est = _quiet(energy_distance, x * s, y * s, n_resamples=20, rng=0)
    _assert_scaled(est, ref, 2.0**400, rtol=1e-15)


# --------------------------------------------------------------------------------- MMD


@pytest.mark.parametrize("s", SCALES)
def test_mmd_median_heuristic_is_scale_invariant(xy, s):
    x, y = xy
    ref = _quiet(mmd, x, y, n_resamples=20, rng=0)
    est = _quiet(mmd, x * s, y * s, n_resamples=20, rng=0)
    _assert_scaled(est, ref, 1.0)
    np.testing.assert_allclose(est.details["bandwidth"], ref.details["bandwidth"] * s,
                               rtol=RTOL)


@pytest.mark.parametrize("s", [1e160, 1e-170])
def test_mmd_given_bandwidth_at_scale(xy, s):
    x, y = xy
    ref = _quiet(mmd, x, y, bandwidth=0.7, n_resamples=20, rng=0)
    est = _quiet(mmd, x * s, y * s, bandwidth=0.7 * s, n_resamples=20, rng=0)
    _assert_scaled(est, ref, 1.0)
    assert est.details["bandwidth"] == 0.7 * s


def test_mmd_power_of_two_scale_is_exact(xy):
    x, y = xy
    s = 2.0**-900
    ref = mmd(x, y, n_resamples=20, rng=0)
    est = _quiet(mmd, x * s, y * s, n_resamples=20, rng=0)
    assert (est.value, est.ci, est.p_value) == (ref.value, ref.ci, ref.p_value)


@pytest.mark.parametrize("h", [1e-170, 1e-160, 1e-150, 1e200])
def test_mmd_extreme_bandwidth_no_error_or_warning(xy, h):
    x, y = xy
    est = _quiet(mmd, x, y, bandwidth=h, n_resamples=10, rng=0)
    # tiny h: k = [x == y] (distinct points give 0); huge h: k = 1 everywhere; both give 0
    assert est.value == 0.0
    assert est.ci is not None and all(math.isfinite(c) for c in est.ci)
    assert 0.0 < est.p_value <= 1.0


def test_mmd_float32_large_scale(xy):
    x, y = xy
    ref = mmd(x, y)
    est = _quiet(mmd, (x * 1e15).astype(np.float32), (y * 1e15).astype(np.float32))
    assert math.isfinite(est.value)
    np.testing.assert_allclose(est.value, ref.value, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("n", [2, 3])
def test_mmd_tiny_samples_no_ci_but_pvalue(xy, n):
    x, y = xy
    est = _quiet(mmd, x[:n], y[:n], n_resamples=10, rng=0)
    assert est.ci is None
    assert est.details["ci_method"].startswith("none")
    assert 0.0 < est.p_value <= 1.0
    assert math.isfinite(est.value)


def test_mmd_four_points_has_ci(xy):
    x, y = xy
    est = _quiet(mmd, x[:4], y[:4], n_resamples=10, rng=0)
    assert est.ci is not None and all(math.isfinite(c) for c in est.ci)
    assert est.details["ci_method"].startswith("score interval")


def test_compare_two_points_no_warning(xy):
    x, y = xy
    res = _quiet(divlab.compare, x[:2], y[:2], n_resamples=10, rng=0)
    assert res is not None


# ------------------------------------------------------------------------------ Wasserstein


@pytest.mark.parametrize(
    ("data", "s"),
    [("xy1", s) for s in SCALES] + [("xy", s) for s in (1e200, 1e-200, 2.0**900)],
)
@pytest.mark.parametrize("p", [1.0, 2.0])
def test_wasserstein_resampling_scales(data, s, p, request):
    """1-D (closed form) and 3-D (exact OT) samples."""
    x, y = request.getfixturevalue(data)
    kw = {"p": p, "n_resamples": 20, "rng": 0}
    ref = _quiet(wasserstein_estimate, x, y, **kw)
    est = _quiet(wasserstein_estimate, x * s, y * s, **kw)
    _assert_scaled(est, ref, s)


def test_wasserstein_large_p_moderate_scale(xy1):
    x, y = xy1
    ref = _quiet(wasserstein_estimate, x, y, p=10, n_resamples=20, rng=0)
    est = _quiet(wasserstein_estimate, x * 1e40, y * 1e40, p=10, n_resamples=20, rng=0)
    _assert_scaled(est, ref, 1e40, rtol=1e-8)


@pytest.mark.parametrize("s", SCALES)
def test_sliced_wasserstein_resampling_scales(xy, s):
    x, y = xy
    kw = {"n_resamples": 20, "rng": 0, "n_projections": 50}
    ref = _quiet(sliced_wasserstein_estimate, x, y, **kw)
    est = _quiet(sliced_wasserstein_estimate, x * s, y * s, **kw)
    _assert_scaled(est, ref, s)
