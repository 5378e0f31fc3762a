"""Gaussian closed forms and fits at the ends of the float range, and non-numeric input.

References: mpmath closed forms, the same call on unscaled data times the (exact power-of-two)
scale, the full-matrix path, and plain NumPy on ordinary inputs. Every call runs with
``warnings.simplefilter("error")``: no RuntimeWarning may leak.
"""

from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
import pytest

from divlab.errors import DTypeError
from divlab.gaussian import (
    fit_gaussian,
    gaussian_bhattacharyya,
    gaussian_kl,
    gaussian_squared_hellinger,
    gaussian_w2,
)

CLOSED_FORMS = (gaussian_kl, gaussian_w2, gaussian_bhattacharyya, gaussian_squared_hellinger)


def _strict(fn, *args, **kwargs):
    """Call ``fn`` with every warning turned into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


def _f(v) -> float:
    return float(np.asarray(v))


def _spd(rng, d=3, jitter=0.1):
    a = rng.normal(size=(d, d))
    return a @ a.T + jitter * np.eye(d)


def _kl_1d_mp(m1, v1, m2, v2) -> float:
    mpmath.mp.dps = 50
    m1, v1, m2, v2 = (mpmath.mpf(x) for x in (m1, v1, m2, v2))
    r = v1 / v2
    return float((r - 1 - mpmath.log(r) + (m1 - m2) ** 2 / v2) / 2)


# ------------------------------------------------------------------ 1. KL at tiny variance ratio


@pytest.mark.parametrize("ratio", [1e-8, 1e-16, 1e-17, 1e-20, 1e-100, 1e-300])
def test_kl_diag_tiny_variance_ratio(ratio):
    ref = _kl_1d_mp(0.0, ratio, 0.0, 1.0)
    assert _f(_strict(gaussian_kl, 0.0, ratio, 0.0, 1.0)) == pytest.approx(ref, rel=1e-14)
    full = _f(_strict(gaussian_kl, [0.0], [[ratio]], [0.0], [[1.0]]))
    assert full == pytest.approx(ref, rel=1e-13)
    # diagonal vectors, one coordinate extreme, one ordinary
    got = _f(_strict(gaussian_kl, [0.0, 1.0], [ratio, 2.0], [0.0, 0.0], [1.0, 3.0]))
    assert got == pytest.approx(ref + _kl_1d_mp(1.0, 2.0, 0.0, 3.0), rel=1e-14)


def test_kl_diag_ratio_underflows_and_overflows():
    # v1 / v2 = 1e-600 underflows to 0: KL is still finite (log term ~ 690)
    ref = _kl_1d_mp(0.0, 1e-300, 0.0, 1e300)
    assert _f(_strict(gaussian_kl, 0.0, 1e-300, 0.0, 1e300)) == pytest.approx(ref, rel=1e-14)
    # v1 / v2 = 1e600: the true KL is beyond the float range
    assert _f(_strict(gaussian_kl, 0.0, 1e300, 0.0, 1e-300)) == math.inf


@pytest.mark.parametrize("ratio", [1 + 1e-12, 1 - 1e-9, 0.6, 0.5, 0.4, 2.0, 1e10])
def test_kl_diag_accurate_across_ratios(ratio):
    ref = _kl_1d_mp(0.0, ratio, 0.0, 1.0)
    assert _f(_strict(gaussian_kl, 0.0, ratio, 0.0, 1.0)) == pytest.approx(ref, rel=1e-9)


def test_kl_diag_float32_tiny_ratio():
    f32 = np.float32
    out = _strict(gaussian_kl, f32(0.0), f32(1e-8), f32(0.0), f32(1.0))
    assert out.dtype == np.float32
    assert float(out) == pytest.approx(_kl_1d_mp(0.0, float(f32(1e-8)), 0.0, 1.0), rel=1e-5)
    out = _strict(gaussian_kl, np.zeros(2, f32), np.array([1e-30, 1.0], f32),
                  np.zeros(2, f32), np.ones(2, f32))
    assert out.dtype == np.float32
    assert float(out) == pytest.approx(_kl_1d_mp(0.0, float(f32(1e-30)), 0.0, 1.0), rel=1e-5)


# ------------------------------------------------------------------ 2. W2 at extreme scales


@pytest.mark.parametrize("k", [-700, -400, 400, 700])
def test_w2_full_covariances_power_of_two_scales(k):
    rng = np.random.default_rng(1)
    s1, s2 = _spd(rng), _spd(rng)
    m1, m2 = rng.normal(size=3), rng.normal(size=3)
    z = np.zeros(3)
    for a1, a2 in ((z, z), (m1, m2)):
        ref = _f(gaussian_w2(a1, s1, a2, s2))
        c = 2.0 ** k
        got = _f(_strict(gaussian_w2, a1 * 2.0 ** (k // 2), s1 * c, a2 * 2.0 ** (k // 2), s2 * c))
        assert got / 2.0 ** (k // 2) == pytest.approx(ref, rel=1e-12)
        # diagonal covariances
        ref = _f(gaussian_w2(a1, np.diag(s1), a2, np.diag(s2)))
        got = _f(_strict(gaussian_w2, a1 * 2.0 ** (k // 2), np.diag(s1) * c,
                         a2 * 2.0 ** (k // 2), np.diag(s2) * c))
        assert got / 2.0 ** (k // 2) == pytest.approx(ref, rel=1e-12)


@pytest.mark.parametrize("scale", [1e-200, 1e200, 1e-300, 1e300])
def test_w2_full_covariances_decimal_scales(scale):
    rng = np.random.default_rng(2)
    s1, s2 = _spd(rng), _spd(rng)
    z = np.zeros(3)
    ref = _f(gaussian_w2(z, s1, z, s2))
    got = _f(_strict(gaussian_w2, z, s1 * scale, z, s2 * scale))
    assert got / math.sqrt(scale) == pytest.approx(ref, rel=1e-10)


def test_w2_extreme_means():
    assert _f(_strict(gaussian_w2, 1e200, 1.0, -1e200, 1.0)) == pytest.approx(2e200, rel=1e-15)
    assert _f(_strict(gaussian_w2, [1e200, 0.0], [1.0, 1.0], [-1e200, 0.0], 1.0)) == (
        pytest.approx(2e200, rel=1e-15)
    )
    rng = np.random.default_rng(3)
    s = _spd(rng)
    got = _f(_strict(gaussian_w2, np.full(3, 1e200), s, np.full(3, -1e200), s))
    assert got == pytest.approx(2e200 * math.sqrt(3), rel=1e-14)
    # the true distance 3.4e308 is beyond the float range
    assert _f(_strict(gaussian_w2, 1.7e308, 1.0, -1.7e308, 1.0)) == math.inf
    # huge equal means: only the covariance part is left
    assert _f(_strict(gaussian_w2, 1e300, 1.0, 1e300, 4.0)) == pytest.approx(1.0, rel=1e-15)
    # tiny mean differences do not underflow when squared
    assert _f(_strict(gaussian_w2, 1e-200, 1.0, 0.0, 1.0)) == pytest.approx(1e-200, rel=1e-15)
    assert _f(_strict(gaussian_w2, 1e-200, 0.0, 0.0, 0.0)) == pytest.approx(1e-200, rel=1e-15)
    got = _f(_strict(gaussian_w2, 3e-200, 16e-400, 0.0, 0.0))
    assert got == pytest.approx(5e-200, rel=1e-14)  # sqrt((3e-200)^2 + (4e-200)^2)


def test_w2_float32_extremes_keep_dtype():
    f32 = np.float32
    out = _strict(gaussian_w2, f32(1e30), f32(1.0), f32(-1e30), f32(1.0))
    assert out.dtype == np.float32
    assert float(out) == pytest.approx(2e30, rel=1e-6)
    out = _strict(gaussian_w2, f32(3e38), f32(1.0), f32(-3e38), f32(1.0))
    assert out.dtype == np.float32 and float(out) == math.inf
    rng = np.random.default_rng(4)
    s1, s2 = _spd(rng), _spd(rng)
    z = np.zeros(3, f32)
    ref = _f(gaussian_w2(np.zeros(3), s1, np.zeros(3), s2))
    for c in (2.0 ** -100, 2.0 ** 100):
        out = _strict(gaussian_w2, z, (s1 * c).astype(f32), z, (s2 * c).astype(f32))
        assert out.dtype == np.float32
        assert float(out) / math.sqrt(c) == pytest.approx(ref, rel=1e-4)


def test_w2_ordinary_inputs_bit_identical_to_direct_formula():
    rng = np.random.default_rng(5)
    m1, m2 = rng.normal(size=3), rng.normal(size=3)
    s1, s2 = _spd(rng), _spd(rng)
    w, v = np.linalg.eigh(s2)
    r2 = (v * np.sqrt(np.maximum(w, 0))[None, :]) @ v.T
    m = r2 @ s1 @ r2
    lam = np.maximum(np.linalg.eigvalsh((m + m.T) / 2), 0)
    b2 = np.trace(s1) + np.trace(s2) - 2.0 * np.sum(np.sqrt(lam))
    d = m1 - m2
    ref = np.sqrt(np.sum(d * d) + max(b2, 0.0))
    assert _f(gaussian_w2(m1, s1, m2, s2)) == ref
    v1, v2 = np.diag(s1), np.diag(s2)
    r = np.sqrt(v1) - np.sqrt(v2)
    assert _f(gaussian_w2(m1, v1, m2, v2)) == np.sqrt(np.sum(d * d) + np.sum(r * r))
    assert _f(gaussian_w2(0.0, 1.0, 3.0, 4.0)) == 3.1622776601683795


# ------------------------------------------------------------------ 3. fit_gaussian overflow


def test_fit_gaussian_mean_near_float_max():
    x = np.array([[1e308], [1.5e308], [1.7e308]])
    mean, cov = _strict(fit_gaussian, x)
    assert float(mean[0]) == pytest.approx(1.4e308, rel=1e-15)
    # the variance (~8.7e614) is beyond the float range: documented inf, no warning
    assert cov.shape == (1, 1) and float(cov[0, 0]) == math.inf


@pytest.mark.parametrize("k", [900, -900])
def test_fit_gaussian_power_of_two_scaled_data(k):
    rng = np.random.default_rng(6)
    x = rng.normal(size=(20, 3))
    s = 2.0 ** k
    for ddof in (0, 1):
        mean0, _ = fit_gaussian(x, ddof=ddof)
        mean, cov = _strict(fit_gaussian, x * s, ddof=ddof)
        np.testing.assert_allclose(mean / s, mean0, rtol=1e-12, atol=1e-14)
        if k > 0:  # the covariance ~ 2**1800 overflows
            assert np.all(np.isinf(np.diag(cov)))
        else:  # ~ 2**-1800 underflows to 0
            assert np.all(cov == 0)


def test_fit_gaussian_large_data_finite_covariance():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(30, 2))
    s = 2.0 ** 500  # |x| s > 2**341 takes the rescaled path; cov ~ 2**1000 is finite
    mean0, cov0 = fit_gaussian(x)
    mean, cov = _strict(fit_gaussian, x * s)
    np.testing.assert_allclose(mean / s, mean0, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(cov / s / s, cov0, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(cov, cov.T)


def test_fit_gaussian_float32_near_max():
    x = np.array([1e38, 2e38, 3e38], dtype=np.float32)
    mean, cov = _strict(fit_gaussian, x)
    assert mean.dtype == np.float32 and cov.dtype == np.float32
    assert float(mean[0]) == pytest.approx(2e38, rel=1e-6)
    assert float(cov[0, 0]) == math.inf


# ------------------------------------------------------------------ 4. no leaked warnings


@pytest.mark.parametrize("full", [False, True])
def test_far_apart_means_no_warning(full):
    c = [[1.0]] if full else 1.0
    m1, m2 = ([0.0], [1e200]) if full else (0.0, 1e200)
    assert _f(_strict(gaussian_kl, m1, c, m2, c)) == math.inf
    assert _f(_strict(gaussian_bhattacharyya, m1, c, m2, c)) == math.inf
    assert _f(_strict(gaussian_squared_hellinger, m1, c, m2, c)) == 2.0
    assert _f(_strict(gaussian_w2, m1, c, m2, c)) == pytest.approx(1e200, rel=1e-15)


def test_full_path_whitened_mean_overflow_is_inf_not_nan():
    m1, m2 = [0.0, 0.0], [1e300, 1e300]
    for fn in (gaussian_kl, gaussian_bhattacharyya):
        assert _f(_strict(fn, m1, np.eye(2), m2, np.eye(2) * 1e-300)) == math.inf
    assert _f(_strict(gaussian_squared_hellinger, m1, np.eye(2), m2, np.eye(2) * 1e-300)) == 2.0


def test_tiny_mean_difference_over_tiny_variance():
    # (1e-200)^2 underflows, but (1e-200)^2 / 1e-300 = 1e-100 does not
    assert _f(_strict(gaussian_kl, 1e-200, 1e-300, 0.0, 1e-300)) == pytest.approx(5e-101,
                                                                                     rel=1e-14)
    assert _f(_strict(gaussian_bhattacharyya, 1e-200, 1e-300, 0.0, 1e-300)) == pytest.approx(
        1.25e-101, rel=1e-14
    )
    full = _f(_strict(gaussian_kl, [1e-200], [[1e-300]], [0.0], [[1e-300]]))
    assert full == pytest.approx(5e-101, rel=1e-14)


def test_covariances_near_float_max():
    big = 1.7e308
    # (v1 + v2) / 2 must not overflow: D_B = delta^2 / (8 v) for equal variances
    for c in (big, [big], [[big]]):
        m2 = 1e150 if not isinstance(c, list) else [1e150]
        got = _f(_strict(gaussian_bhattacharyya, 0.0 if m2 == 1e150 else [0.0], c, m2, c))
        assert got == pytest.approx(1e300 / big / 8, rel=1e-14)
    c2 = np.array([[big, 0.5 * big], [0.5 * big, big]])
    assert _f(_strict(gaussian_kl, [0.0, 0.0], c2, [0.0, 0.0], c2)) == pytest.approx(0.0,
                                                                                      abs=1e-12)
    ref = _f(gaussian_kl([0.0, 0.0], c2 / 2.0 ** 1000, [0.0, 0.0], np.eye(2) * big / 2.0 ** 1000))
    got = _f(_strict(gaussian_kl, [0.0, 0.0], c2, [0.0, 0.0], np.eye(2) * big))
    assert got == pytest.approx(ref, rel=1e-12)


def test_extremes_on_backends(backend):
    def call(fn, *args, dtype=np.float64):
        out = _strict(fn, *(backend.asarray(a, dtype) for a in args))
        assert out.dtype == backend.asarray(np.zeros(1, dtype)).dtype
        return float(backend.to_numpy(out))

    assert call(gaussian_kl, 0.0, 1e-20, 0.0, 1.0) == pytest.approx(_kl_1d_mp(0, 1e-20, 0, 1),
                                                                      rel=1e-14)
    assert call(gaussian_kl, 0.0, 1e-8, 0.0, 1.0, dtype=np.float32) == pytest.approx(
        _kl_1d_mp(0, float(np.float32(1e-8)), 0, 1), rel=1e-5
    )
    assert call(gaussian_w2, 1e200, 1.0, -1e200, 1.0) == pytest.approx(2e200, rel=1e-15)
    rng = np.random.default_rng(8)
    s1, s2 = _spd(rng), _spd(rng)
    z = np.zeros(3)
    ref = _f(gaussian_w2(z, s1, z, s2))
    assert call(gaussian_w2, z, s1 * 2.0 ** -700, z, s2 * 2.0 ** -700) / 2.0 ** -350 == (
        pytest.approx(ref, rel=1e-12)
    )
    assert call(gaussian_kl, 0.0, 1.0, 1e200, 1.0) == math.inf
    assert call(gaussian_squared_hellinger, [0.0], [[1.0]], [1e200], [[1.0]]) == 2.0
    mean, _ = _strict(fit_gaussian, backend.asarray([[1e308], [1.5e308], [1.7e308]]))
    assert float(backend.to_numpy(mean)[0]) == pytest.approx(1.4e308, rel=1e-15)


# ------------------------------------------------------------------ 5. text input


@pytest.mark.parametrize("fn", CLOSED_FORMS)
@pytest.mark.parametrize("pos", range(4))
@pytest.mark.parametrize("bad", ["1", b"1", "abc"])
def test_text_arguments_raise_dtype_error(fn, pos, bad):
    names = ("mean1", "cov1", "mean2", "cov2")
    args = [0.0, 1.0, 0.0, 1.0]
    args[pos] = bad
    with pytest.raises(DTypeError, match=f"`{names[pos]}`"):
        _strict(fn, *args)
    # also next to arrays, and for lists of strings
    args = [np.zeros(2), np.eye(2), np.zeros(2), np.eye(2)]
    args[pos] = bad
    with pytest.raises(DTypeError, match=f"`{names[pos]}`"):
        _strict(fn, *args)
    args[pos] = [bad, bad]
    with pytest.raises(DTypeError, match=f"`{names[pos]}`"):
        _strict(fn, *args)


@pytest.mark.parametrize("bad", ["1", "abc", b"12", ["1", "2"]])
def test_fit_gaussian_text_raises_dtype_error(bad):
    with pytest.raises(DTypeError, match="`x`"):
        _strict(fit_gaussian, bad)


# ---------------------------------------------------------------------------- near-identical


def _bures_w2_mp(s1, s2, dps=60):
    """W2 between N(0, s1) and N(0, s2) from the exact float entries, ``dps`` digits."""
    with mpmath.workdps(dps):
        a, b = mpmath.matrix(s1.tolist()), mpmath.matrix(s2.tolist())
        r = mpmath.sqrtm(a)
        m = r * b * r
        m = (m + m.T) / 2
        lam, _ = mpmath.eigsy(m)
        tr = sum(a[i, i] + b[i, i] for i in range(a.rows))
        return mpmath.sqrt(max(tr - 2 * sum(mpmath.sqrt(x) for x in lam), 0))


@pytest.mark.parametrize("d", [2, 3, 4])
@pytest.mark.parametrize("k", [3, 6, 9, 12])
def test_w2_near_identical_full_covariances_against_mpmath(d, k):
    rng = np.random.default_rng(100 * d + k)
    x = rng.normal(size=(d, d))
    s1 = x @ x.T + 0.5 * np.eye(d)
    e = rng.normal(size=(d, d))
    s2 = s1 + 10.0 ** -k * (e + e.T) / 2
    ref = _bures_w2_mp(s1, s2)
    m = np.zeros(d)
    for got in (_strict(gaussian_w2, m, s1, m, s2), _strict(gaussian_w2, m, s2, m, s1)):
        assert abs(_f(got) - float(ref)) <= 1e-13 * float(ref)


def test_w2_identical_gaussians_are_exactly_zero():
    rng = np.random.default_rng(7)
    for d in (1, 2, 5):
        x = rng.normal(size=(d, d))
        for s in (x @ x.T + 0.1 * np.eye(d), np.diag(10.0 ** rng.uniform(-10, 10, d)),
                  x @ x.T * 1e-200, np.outer(x[0], x[0])):  # incl. singular
            m = rng.normal(size=d)
            assert _strict(gaussian_w2, m, s, m, s) == 0.0
            s32 = s.astype(np.float32) if np.all(np.isfinite(s.astype(np.float32))) else None
            if s32 is not None and np.max(np.abs(s)) > 1e-30:
                assert _strict(gaussian_w2, m.astype(np.float32), s32,
                               m.astype(np.float32), s32) == 0.0
    # a full matrix against the same diagonal matrix
    v = np.array([1.0, 2.0, 3.0])
    assert _strict(gaussian_w2, np.zeros(3), np.diag(v), np.zeros(3), v) == 0.0
    # identical covariances: the mean distance exactly
    s = np.array([[2.0, 0.3], [0.3, 1.0]])
    assert _strict(gaussian_w2, [0.0, 0.0], s, [3.0, 4.0], s) == 5.0


def test_w2_near_identical_torch_gradient():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    d = 3
    x = rng.normal(size=(d, d))
    s1 = x @ x.T + 0.5 * np.eye(d)
    e = rng.normal(size=(d, d))
    s2 = s1 + 1e-6 * (e + e.T) / 2
    t1 = torch.tensor(s1, requires_grad=True)
    t2 = torch.tensor(s2, requires_grad=True)
    val = gaussian_w2(torch.zeros(d, dtype=torch.float64), t1,
                      torch.zeros(d, dtype=torch.float64), t2)
    val.backward()
    assert torch.all(torch.isfinite(t1.grad)) and torch.all(torch.isfinite(t2.grad))
    # directional derivative along a symmetric direction, by central differences
    u = rng.normal(size=(d, d))
    u = (u + u.T) / 2
    h = 1e-9
    m = np.zeros(d)
    fd = (_f(gaussian_w2(m, s1, m, s2 + h * u)) - _f(gaussian_w2(m, s1, m, s2 - h * u))) / (2 * h)
    assert float(torch.sum(t2.grad * torch.tensor(u))) == pytest.approx(fd, rel=1e-5)
    # and the value is that of NumPy
    assert float(val.detach()) == pytest.approx(_f(gaussian_w2(m, s1, m, s2)), rel=1e-14)


@pytest.mark.parametrize("k", [3, 4, 6])
def test_w2_near_identical_float32(k):
    # (at 1e-2 this matrix is outside the close regime: the float32 trace form is 1 % off)
    rng = np.random.default_rng(k)
    d = 3
    x = rng.normal(size=(d, d))
    s1 = (x @ x.T + 0.5 * np.eye(d)).astype(np.float32)
    e = rng.normal(size=(d, d))
    s2 = (s1 + np.float32(10.0 ** -k) * ((e + e.T) / 2).astype(np.float32)).astype(np.float32)
    ref = float(_bures_w2_mp(s1.astype(np.float64), s2.astype(np.float64)))
    m = np.zeros(d, np.float32)
    got = _strict(gaussian_w2, m, s1, m, s2)
    assert got.dtype == np.float32
    assert abs(float(got) - ref) <= 1e-6 * ref


def test_w2_near_identity_torch_gradient_of_a_learned_first_gaussian():
    # fitting N(mu, S) to N(0, I): S starts at I exactly (repeated eigenvalues) and close
    torch = pytest.importorskip("torch")
    d = 3
    target = np.eye(d) + 1e-4 * np.diag([1.0, 2.0, 3.0]) + 1e-5
    s = torch.eye(d, dtype=torch.float64, requires_grad=True)
    mu = torch.zeros(d, dtype=torch.float64, requires_grad=True)
    val = gaussian_w2(mu, s, torch.zeros(d, dtype=torch.float64), torch.tensor(target))
    val.backward()
    assert torch.all(torch.isfinite(s.grad))
    u = np.diag([1.0, -0.5, 0.25]) + 0.1
    h = 1e-9
    m = np.zeros(d)
    fd = (_f(gaussian_w2(m, np.eye(d) + h * u, m, target))
          - _f(gaussian_w2(m, np.eye(d) - h * u, m, target))) / (2 * h)
    assert float(torch.sum(s.grad * torch.tensor(u))) == pytest.approx(fd, rel=1e-5)


def test_w2_subnormal_mean_difference_with_identical_covariances_is_quiet():
    # the covariance term is exactly 0: its power-of-two factor must not overflow
    s = 0.1 * np.eye(3)
    assert _strict(gaussian_w2, np.zeros(3), s, np.array([0.0, 0.0, 2.22507386e-313]), s) == (
        2.22507386e-313)
    assert _strict(gaussian_w2, 0.0, 0.1, 2.22507386e-313, 0.1) == 2.22507386e-313
