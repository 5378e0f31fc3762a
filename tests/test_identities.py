"""The lecture's identities on discrete distributions, as hypothesis tests.

Lecture (CCL 2019 GAN tutorial): the optimal discriminator D* = p_r / (p_r + p_theta),
L(G|D*) = 2 JS - 2 log 2, the mode-collapse decomposition of the generator loss
E_{p_theta}[log D*], forward (mass-covering) vs reverse (mode-seeking) KL, and the f-GAN
variational bound. Plus the data-processing inequality and Pinsker's inequality.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import divlab.discrete as D
from divlab.fdiv import FDIVERGENCES, get_fdivergence
from divlab.gan_theory import gan_value, mode_collapse_decomposition, optimal_discriminator
from divlab.testing import pmf_pairs

LOG2 = math.log(2.0)


def _xlogy(x, y):
    with np.errstate(divide="ignore"):
        return np.where(x > 0, x * np.log(np.where(x > 0, y, 1.0)), 0.0)


def naive_value(p, q, d):
    """V(D) = E_p[log D] + E_q[log(1 - D)] (0 log 0 = 0), written out as a reference."""
    return float(np.sum(_xlogy(p, d)) + np.sum(_xlogy(q, 1.0 - d)))


# --- optimal discriminator and L(G|D*) (divlab.gan_theory) ------------------------------


@settings(max_examples=40)
@given(
    pmf_pairs(kind="any", max_size=12),
    hnp.arrays(np.float64, 12, elements=st.floats(1e-6, 1 - 1e-6)),
)
@example((np.array([1.0, 0.0]), np.array([0.0, 1.0])), np.full(12, 0.5))
def test_optimal_discriminator_maximises_value(pair, d_random):
    p, q = pair
    ds = optimal_discriminator(p, q)
    s = p + q  # the lecture's formula, written out
    np.testing.assert_allclose(ds, np.where(s > 0, p / np.where(s > 0, s, 1.0), 0.5),
                               rtol=1e-15, atol=0)
    best = gan_value(p, q)
    assert best == pytest.approx(naive_value(p, q, ds), rel=1e-13, abs=1e-14)
    # any other discriminator does no better (also D* blended with a random one)
    d = d_random[: p.size]
    assert gan_value(p, q, discriminator=d) <= best + 1e-12
    assert gan_value(p, q, discriminator=d) == pytest.approx(naive_value(p, q, d), rel=1e-13)
    for t in (0.5, 0.9, 0.99):
        assert gan_value(p, q, discriminator=t * ds + (1 - t) * d) <= best + 1e-12
    # L(G|D*) = 2 JS - 2 log 2
    assert best == pytest.approx(2 * float(D.js(p, q)) - 2 * LOG2, rel=1e-12, abs=1e-12)


@settings(max_examples=40)
@given(pmf_pairs(kind="generic", max_size=15))
def test_mode_collapse_identity(pair):
    """E_q[log D*] = -KL(q||p) + 2 JS(p||q) - 2 log 2 - E_p[log D*] (p = p_r, q = p_theta)."""
    p, q = pair
    r = mode_collapse_decomposition(p, q)
    ds = p / (p + q)
    lhs = float(np.sum(q * np.log(ds)))
    rhs = (
        -float(D.kl(q, p))
        + 2 * float(D.js(p, q))
        - 2 * LOG2
        - float(np.sum(p * np.log(ds)))
    )
    assert lhs == pytest.approx(rhs, rel=1e-11, abs=1e-11)
    assert r.value == pytest.approx(lhs, rel=1e-12, abs=1e-12)
    assert r.rhs == pytest.approx(rhs, rel=1e-11, abs=1e-11)
    assert r.kl == pytest.approx(float(D.kl(q, p)), rel=1e-11, abs=1e-13)
    # the generator's "-log D" objective argmin: KL(q||p) - 2 JS(p||q) (lecture), so
    # E_q[log D*] + E_p[log D*] = -KL(q||p) + 2 JS - 2 log 2
    assert r.value + r.real_term == pytest.approx(
        -float(D.reverse_kl(p, q)) + 2 * float(D.js(p, q)) - 2 * LOG2, rel=1e-11, abs=1e-11
    )


def test_js_constant_on_disjoint_supports():
    """The vanishing-gradient case: JS = log 2 however far apart disjoint supports are."""
    n = 40
    base = np.zeros(n)
    base[0] = 1.0
    for shift in (1, 5, 39):
        other = np.roll(base, shift)
        assert D.js(base, other) == LOG2
        assert 2 * D.js(base, other) - 2 * LOG2 == 0.0  # L(G|D*) = 0: no gradient signal
        assert gan_value(base, other) == 0.0


# --- data processing inequality -------------------------------------------------------

DIVERGENCES = {
    "kl": D.kl,
    "reverse_kl": D.reverse_kl,
    "js": D.js,
    "tv": D.total_variation,
    "h2": D.squared_hellinger,
    "pearson": D.pearson_chi2,
    "neyman": D.neyman_chi2,
    "jeffreys": D.jeffreys,
    "alpha-1.5": lambda p, q: D.alpha_divergence(p, q, -1.5),
    "alpha0.3": lambda p, q: D.alpha_divergence(p, q, 0.3),
    "alpha3": lambda p, q: D.alpha_divergence(p, q, 3.0),
    "renyi0.5": lambda p, q: D.renyi(p, q, 0.5),
    "renyi2": lambda p, q: D.renyi(p, q, 2.0),
    "renyi_inf": lambda p, q: D.renyi(p, q, math.inf),
    **{f"f_{k}": functools.partial(D.f_divergence, f=k) for k in FDIVERGENCES},
}


def _leq(a, b):
    return a <= b + 1e-9 * abs(b) + 1e-12 or (math.isinf(b) and b > 0)


@settings(max_examples=40)
@given(pmf_pairs(kind="any", min_size=2, max_size=12), st.data())
def test_data_processing_merging_bins(pair, data):
    p, q = pair
    k = data.draw(st.integers(1, p.size))
    labels = data.draw(hnp.arrays(np.int64, p.size, elements=st.integers(0, k - 1)))
    pm = np.bincount(labels, weights=p, minlength=k)
    qm = np.bincount(labels, weights=q, minlength=k)
    for name, fn in DIVERGENCES.items():
        assert _leq(float(fn(pm, qm)), float(fn(p, q))), name


@settings(max_examples=30)
@given(
    pmf_pairs(kind="any", min_size=2, max_size=10),
    st.integers(1, 8),
    st.integers(0, 2**32 - 1),
)
def test_data_processing_markov_kernel(pair, m, seed):
    p, q = pair
    rng = np.random.default_rng(seed)
    K = rng.dirichlet(np.full(m, 0.5), size=p.size)  # row-stochastic (n, m)
    pk = p @ K
    qk = q @ K
    pk /= pk.sum()
    qk /= qk.sum()
    for name, fn in DIVERGENCES.items():
        assert _leq(float(fn(pk, qk)), float(fn(p, q))), name


# --- Pinsker --------------------------------------------------------------------------


@settings(max_examples=50)
@given(pmf_pairs(kind="any"))
def test_pinsker(pair):
    p, q = pair
    tv = float(D.total_variation(p, q))
    assert tv <= math.sqrt(float(D.kl(p, q)) / 2) * (1 + 1e-12) + 1e-15
    assert tv <= math.sqrt(float(D.reverse_kl(p, q)) / 2) * (1 + 1e-12) + 1e-15
    # and the JS analogue: JS <= TV log 2 ... and TV^2 / 2 <= 2 JS (JS-Pinsker)
    js = float(D.js(p, q))
    assert js <= tv * LOG2 * (1 + 1e-12) + 1e-15


# --- forward vs reverse KL ------------------------------------------------------------

GRID = np.linspace(-6.0, 6.0, 241)
FIT_MUS = np.linspace(-4.0, 4.0, 81)
# wide bumps too: the truncated bump whose variance matches a bimodal p is very wide
FIT_SIGMAS = np.r_[np.linspace(0.2, 4.0, 39), np.geomspace(4.2, 40.0, 30)]


def _bumps(mu, sigma):
    """Discretised Gaussian bumps on GRID; mu, sigma broadcast (one row per pair)."""
    mu = np.asarray(mu, dtype=np.float64)[..., None]
    sigma = np.asarray(sigma, dtype=np.float64)[..., None]
    w = np.exp(-0.5 * ((GRID - mu) / sigma) ** 2)
    return w / w.sum(axis=-1, keepdims=True)


def _bump(mu, sigma):
    return _bumps(mu, sigma)[0] if np.ndim(mu) else _bumps([mu], [sigma])[0]


def _fit(p, objective):
    """Grid search of the single bump minimising objective(p, bump), one batched call."""
    mus, sigmas = (a.ravel() for a in np.meshgrid(FIT_MUS, FIT_SIGMAS, indexing="ij"))
    qs = _bumps(mus, sigmas)
    vals = np.asarray(objective(np.broadcast_to(p, qs.shape), qs))
    i = int(np.argmin(vals))
    return float(vals[i]), float(mus[i]), float(sigmas[i])


@settings(max_examples=12)
@given(
    sep=st.floats(2.0, 3.0),  # beyond ~3.2 no bump on [-6, 6] has the variance of p
    weight=st.floats(0.3, 0.7),
    width=st.floats(0.35, 0.6),
)
@example(sep=2.0, weight=0.5, width=0.5)
@example(sep=3.0, weight=0.5, width=0.5)
def test_forward_kl_covers_reverse_kl_seeks(sep, weight, width):
    """Fitting one bump to a bimodal p: forward KL(p||q) spreads over both modes,
    reverse KL(q||p) locks onto one (mode-seeking), as on the lecture's slide."""
    p = weight * _bump(-sep, width) + (1 - weight) * _bump(sep, width)
    _, mu_f, s_f = _fit(p, D.kl)  # forward: KL(p || q_theta)
    _, mu_r, s_r = _fit(p, D.reverse_kl)  # reverse: KL(q_theta || p)
    q_f = _bump(mu_f, s_f)
    q_r = _bump(mu_r, s_r)

    def moments(w):
        mean = float(np.sum(w * GRID))
        return mean, math.sqrt(float(np.sum(w * (GRID - mean) ** 2)))

    # mass-covering: the bumps on the grid form an exponential family with statistics
    # (x, x^2), so the forward-KL minimiser matches the mean and variance of p (up to the
    # resolution of the parameter grid; the parameters mu, sigma themselves differ because
    # the bumps are truncated to the grid)
    (mean_p, std_p), (mean_f, std_f) = moments(p), moments(q_f)
    assert abs(mean_f - mean_p) < 0.1 and abs(std_f - std_p) < 0.05 * std_p
    # mode-seeking: one narrow bump on one of the modes
    assert abs(abs(mu_r) - sep) < 0.25 and s_r < 1.5 * width + 0.1
    assert q_f[GRID < 0].sum() > 0.2 and q_f[GRID > 0].sum() > 0.2
    assert min(q_r[GRID < 0].sum(), q_r[GRID > 0].sum()) < 0.01
    # asymmetry: each fit is bad in the other direction
    assert float(D.reverse_kl(p, q_f)) > float(D.reverse_kl(p, q_r))
    assert float(D.kl(p, q_r)) > float(D.kl(p, q_f))


@settings(max_examples=40)
@given(pmf_pairs(kind="zeros", max_size=12))
def test_kl_zero_forcing_and_zero_avoiding(pair):
    """The mechanism behind the asymmetry: forward KL(p||q) is infinite as soon as q misses
    mass of p (so its minimiser covers every mode), reverse KL(q||p) is infinite as soon as q
    puts mass where p has none (so its minimiser hides inside one mode)."""
    p, q = pair
    assert (float(D.kl(p, q)) == math.inf) == bool(np.any((q == 0) & (p > 0)))
    assert (float(D.reverse_kl(p, q)) == math.inf) == bool(np.any((p == 0) & (q > 0)))
    assert float(D.reverse_kl(p, q)) == float(D.kl(q, p))


# --- f-GAN variational bound ----------------------------------------------------------

ENTRIES = [*FDIVERGENCES, "alpha:0.5", "alpha:2.0", "alpha:-1.0"]


def _entry(spec):
    if spec.startswith("alpha:"):
        return get_fdivergence("alpha", alpha=float(spec.split(":")[1]))
    return get_fdivergence(spec)


@settings(max_examples=25)
@given(
    pmf_pairs(kind="generic", max_size=10),
    st.sampled_from(ENTRIES),
    hnp.arrays(np.float64, 10, elements=st.floats(-0.5, 0.5)),
)
def test_variational_bound_attained_at_optimal_critic(pair, spec, noise):
    """sum p T - sum q f*(T) <= D_f(P||Q), with equality at T* = f'(p/q)."""
    p, q = pair
    fd = _entry(spec)
    dval = float(D.f_divergence(p, q, fd))

    def bound(t):
        fstar = np.asarray(fd.conjugate(t), dtype=np.float64)
        if np.any(np.isinf(fstar)):
            return -math.inf
        return float(np.sum(p * t) - np.sum(q * fstar))

    t_star = np.asarray(fd.optimal_critic(p / q), dtype=np.float64)
    assert bound(t_star) == pytest.approx(dval, rel=1e-8, abs=1e-10), spec
    for scale in (1.0, 0.1, 0.01):
        t = t_star + scale * noise[: p.size]
        assert bound(t) <= dval + 1e-10 + 1e-9 * abs(dval), spec
