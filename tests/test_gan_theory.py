"""divlab.gan_theory: D*, the GAN value function at D* and the mode-collapse decomposition.

References are independent: direct float formulas where they are well conditioned, divlab's
discrete KL/JS (a separate code path), and mpmath at 60 digits on the exact float inputs where
the densities underflow in double precision (the naive formulas then give -inf or NaN).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import divlab.discrete as D
from divlab.errors import (
    NegativeValueError,
    NonFiniteError,
    NormalizationError,
    ParameterError,
    ShapeMismatchError,
)
from divlab.gan_theory import (
    gan_value,
    mode_collapse_decomposition,
    optimal_discriminator,
)
from divlab.testing import pmf_pairs

LOG2 = math.log(2.0)


def _mp_log_d(lp, lq):
    """log D* = log p - log(p + q) at 60 digits from exact float log-densities."""
    with mpmath.workdps(60):
        lp, lq = mpmath.mpf(float(lp)), mpmath.mpf(float(lq))
        return lp - mpmath.log(mpmath.exp(lp) + mpmath.exp(lq))


def _mp_expect(lw, lp, h):
    with mpmath.workdps(60):
        return mpmath.fsum(mpmath.exp(mpmath.mpf(float(w)) + mpmath.mpf(float(a))) * b
                           for w, a, b in zip(lw, lp, h, strict=True))


# --- optimal discriminator --------------------------------------------------------------


def test_optimal_discriminator_matches_the_definition():
    rng = np.random.default_rng(0)
    p, q = rng.uniform(0.01, 1.0, 50), rng.uniform(0.01, 1.0, 50)
    np.testing.assert_allclose(optimal_discriminator(p, q), p / (p + q), rtol=1e-15, atol=0)
    np.testing.assert_allclose(optimal_discriminator(log_p=np.log(p), log_q=np.log(q)),
                               p / (p + q), rtol=1e-15)
    np.testing.assert_allclose(optimal_discriminator(p, q, log=True), np.log(p / (p + q)),
                               rtol=4e-15)
    # zeros: D* = 0 where p = 0 < q, 1 where q = 0 < p, 1/2 where both vanish (no NaN)
    d = optimal_discriminator([0.0, 0.3, 0.0], [0.2, 0.0, 0.0])
    assert d.tolist() == [0.0, 1.0, 0.5]


def test_optimal_discriminator_where_densities_underflow():
    """p = e^-1000 and q = e^-1001 are 0 in float64: p/(p+q) is NaN, D* = sigmoid(1)."""
    lp, lq = np.array([-1000.0, -800.0, -5.0]), np.array([-1001.0, -5.0, -800.0])
    with np.errstate(all="ignore"):
        naive = np.exp(lp) / (np.exp(lp) + np.exp(lq))
    assert np.isnan(naive[0])
    log_d = optimal_discriminator(log_p=lp, log_q=lq, log=True)
    assert np.all(np.isfinite(log_d))  # log D* = -795 at the second point, not -inf
    ref = [float(_mp_log_d(a, b)) for a, b in zip(lp, lq, strict=True)]
    np.testing.assert_allclose(log_d, ref, rtol=1e-15)
    assert optimal_discriminator(log_p=lp, log_q=lq)[0] == pytest.approx(1 / (1 + math.e ** -1),
                                                                         rel=1e-15)


# --- GAN value function ------------------------------------------------------------------


@settings(max_examples=30)
@given(pmf_pairs(kind="any", max_size=12))
@example((np.array([1.0, 0.0]), np.array([0.0, 1.0])))
@example((np.array([0.5, 0.5]), np.array([0.5, 0.5])))
def test_gan_value_at_d_star_is_2js_minus_2log2(pair):
    p, q = pair
    v = gan_value(p, q)
    assert isinstance(v, np.float64)
    assert v == pytest.approx(2 * float(D.js(p, q)) - 2 * LOG2, rel=1e-13, abs=2e-15)
    # the same from log-probabilities (zeros as -inf)
    with np.errstate(divide="ignore"):
        w = gan_value(log_p=np.log(p), log_q=np.log(q))
    assert w == pytest.approx(v, rel=1e-14, abs=1e-15)


@settings(max_examples=40)
@given(pmf_pairs(kind="any", max_size=10),
       st.lists(st.floats(1e-6, 1 - 1e-6), min_size=10, max_size=10), st.floats(0.0, 1.0))
def test_d_star_maximises_the_value_function(pair, d_random, t):
    p, q = pair
    d_star = optimal_discriminator(p, q)
    d = t * d_star + (1 - t) * np.asarray(d_random[: p.size])
    assert gan_value(p, q, discriminator=d) <= gan_value(p, q) + 1e-12
    assert gan_value(p, q, discriminator=d_star) == pytest.approx(gan_value(p, q), abs=1e-13)


def _gaussian_grid(mu_q, n=4001, lo=-40.0, hi=100.0):
    z = np.linspace(lo, hi, n)
    w = np.full(n, (hi - lo) / (n - 1))
    w[[0, -1]] *= 0.5  # trapezoid weights
    lp = -0.5 * z**2 - 0.5 * math.log(2 * math.pi)
    lq = -0.5 * (z - mu_q) ** 2 - 0.5 * math.log(2 * math.pi)
    return lp, lq, w


def test_gan_value_for_densities_that_underflow():
    """N(0, 1) vs N(60, 1) on a grid: each density underflows to 0 where the other lives.
    Naively, p log D* is 0 * -inf = NaN (or -inf); in log space it is finite, matches mpmath
    on the same grid sum, and L = 2 JS - 2 log 2 is within 1e-15 of 0 (JS = log 2)."""
    lp, lq, w = _gaussian_grid(60.0, n=801)
    with np.errstate(all="ignore"):
        p, q = np.exp(lp), np.exp(lq)
        naive = np.sum(w * p * np.log(p / (p + q))) + np.sum(w * q * np.log(q / (p + q)))
    assert not np.isfinite(naive)
    v = gan_value(log_p=lp, log_q=lq, weights=w, normalize=True)
    assert np.isfinite(v)
    lw = np.log(w)
    lpn = lp - np.logaddexp.reduce(lp + lw)
    lqn = lq - np.logaddexp.reduce(lq + lw)
    ld = [_mp_log_d(a, b) for a, b in zip(lpn, lqn, strict=True)]
    l1md = [_mp_log_d(b, a) for a, b in zip(lpn, lqn, strict=True)]
    ref = _mp_expect(lw, lpn, ld) + _mp_expect(lw, lqn, l1md)
    assert float(v) == pytest.approx(float(ref), abs=1e-15)
    assert -1e-12 < float(v) <= 0.0
    # closer pair: the trapezoid sum reproduces the closed-form-free quadrature of 2 JS - 2 log 2
    lp, lq, w = _gaussian_grid(1.0, lo=-12, hi=13)
    from scipy import integrate, stats

    def js_integrand(x):
        a, b = stats.norm(0, 1).pdf(x), stats.norm(1, 1).pdf(x)
        m = 0.5 * (a + b)
        return 0.5 * a * np.log(a / m) + 0.5 * b * np.log(b / m)

    js = integrate.quad(js_integrand, -12, 13, epsabs=1e-13)[0]
    assert gan_value(log_p=lp, log_q=lq, weights=w, normalize=True) == pytest.approx(
        2 * js - 2 * LOG2, abs=1e-9)


# --- mode-collapse decomposition ---------------------------------------------------------


@settings(max_examples=30)
@given(pmf_pairs(kind="generic", max_size=15))
def test_mode_collapse_decomposition_terms(pair):
    p, q = pair
    r = mode_collapse_decomposition(p, q)
    ds = p / (p + q)
    assert r.value == pytest.approx(float(np.sum(q * np.log(ds))), rel=1e-12, abs=1e-13)
    assert r.real_term == pytest.approx(float(np.sum(p * np.log(ds))), rel=1e-12, abs=1e-13)
    assert r.kl == pytest.approx(float(D.kl(q, p)), rel=1e-11, abs=1e-13)
    assert r.js == pytest.approx(float(D.js(p, q)), rel=1e-11, abs=1e-13)
    assert r.value == pytest.approx(r.rhs, rel=1e-12, abs=1e-12)


def test_mode_collapse_decomposition_where_densities_underflow_and_mode_dropping():
    lp, lq, w = _gaussian_grid(45.0)
    r = mode_collapse_decomposition(log_p=lp, log_q=lq, weights=w, normalize=True)
    # KL(N(45,1) || N(0,1)) = 45^2 / 2 (the trapezoid rule is exact to ~1e-12 here)
    assert r.kl == pytest.approx(45.0**2 / 2, rel=1e-9)
    assert r.js == pytest.approx(LOG2, abs=1e-12)
    assert np.isfinite(r.value) and r.value == pytest.approx(r.rhs, rel=1e-12)
    assert r.value == pytest.approx(-45.0**2 / 2, rel=1e-6)  # E_q[log D*] ~ -KL here
    # a model that drops a mode pays a finite price; one that invents a mode pays -inf
    p = np.array([0.5, 0.5, 0.0])
    dropped = mode_collapse_decomposition(p, np.array([1.0, 0.0, 0.0]))
    invented = mode_collapse_decomposition(p, np.array([0.4, 0.4, 0.2]))
    assert np.isfinite(dropped.value) and dropped.kl == pytest.approx(LOG2, rel=1e-15)
    assert invented.value == -np.inf and invented.kl == np.inf
    assert "value=" in repr(dropped) and len(repr(dropped)) < 150


# --- input contract and backends ----------------------------------------------------------


def test_input_contract():
    p, q = np.array([0.5, 0.5]), np.array([0.2, 0.8])
    with pytest.raises(ParameterError, match="either densities"):
        gan_value(p, q, log_p=p, log_q=q)
    with pytest.raises(ParameterError, match="either densities"):
        gan_value()
    with pytest.raises(ParameterError, match="`p` and `q` must both"):
        optimal_discriminator(p)
    with pytest.raises(ShapeMismatchError, match=r"\(2,\) and \(3,\)"):
        gan_value(p, np.ones(3) / 3)
    with pytest.raises(NegativeValueError, match="`q`"):
        optimal_discriminator(p, np.array([-0.1, 1.1]))
    with pytest.raises(NonFiniteError, match="`p`"):
        gan_value(np.array([np.nan, 1.0]), q)
    with pytest.raises(NonFiniteError, match="`log_q`"):
        gan_value(log_p=np.log(p), log_q=np.array([0.0, np.inf]))
    with pytest.raises(NormalizationError, match="total mass 2"):
        gan_value(2 * p, q)
    assert gan_value(2 * p, q, normalize=True) == pytest.approx(gan_value(p, q), rel=1e-15)
    with pytest.raises(ParameterError, match="`discriminator`"):
        gan_value(p, q, discriminator=np.array([0.5, 1.5]))
    with pytest.raises(ShapeMismatchError, match="`weights`"):
        gan_value(p, q, weights=np.ones(3))


def test_backends_keep_namespace_and_dtype(backend):
    p = np.array([0.1, 0.2, 0.7], dtype=np.float32)
    q = np.array([0.3, 0.3, 0.4], dtype=np.float32)
    d = optimal_discriminator(backend.asarray(p), backend.asarray(q))
    assert backend.to_numpy(d).dtype == np.float32
    np.testing.assert_allclose(backend.to_numpy(d), p / (p + q), rtol=1e-6)
    p64, q64 = np.array([0.1, 0.2, 0.7]), np.array([0.3, 0.3, 0.4])
    v = gan_value(backend.asarray(p64), backend.asarray(q64))
    assert float(backend.to_numpy(v)) == pytest.approx(2 * float(D.js(p64, q64)) - 2 * LOG2,
                                                       rel=1e-13)


def test_torch_gradients_flow_through_log_space():
    """d/dlog_q of L(G|D*) = 2 JS - 2 log 2 by autograd equals the closed form
    q_i (log q_i - log m_i) - q_i * (sum over the same) (softmax-parametrised q)."""
    torch = pytest.importorskip("torch")
    p = torch.tensor([0.1, 0.6, 0.3], dtype=torch.float64)
    theta = torch.tensor([0.2, -0.4, 0.9], dtype=torch.float64, requires_grad=True)
    log_q = torch.log_softmax(theta, 0)
    v = gan_value(log_p=torch.log(p), log_q=log_q)
    v.backward()
    q = torch.softmax(theta, 0).detach()
    g = torch.log(q) - torch.log(0.5 * (p + q))  # d(2 JS)/dq_i
    expected = q * (g - torch.sum(q * g))
    torch.testing.assert_close(theta.grad, expected, rtol=1e-12, atol=1e-14)
