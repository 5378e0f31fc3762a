"""The lecture's f-GAN tables, reproduced as printed, and their errata pinned by tests.

Independent references: the printed formulas re-typed here in NumPy, SciPy's
``jensenshannon`` and ``chisquare``, direct sums over pmfs, a numerical supremum for the
conjugate, and mpmath high precision for the fused f* o g_f.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon
from scipy.stats import chisquare

from divlab.fdiv import FDIVERGENCES, LECTURE_TABLE, get_fdivergence

LOG2 = math.log(2.0)
LOG4 = math.log(4.0)


def d_f(fd, p, q) -> float:
    """D_f = sum q f(p/q) for strictly positive pmfs (no library zero handling involved)."""
    return float(np.sum(q * np.asarray(fd.f(p / q))))


def js_scipy(p, q) -> float:
    return float(jensenshannon(p, q)) ** 2  # scipy returns the distance sqrt(JS)


pmf_pairs = st.integers(0, 2**32 - 1).map(
    lambda seed: tuple(np.random.default_rng(seed).dirichlet(np.ones(6), size=2) * 0.98 + 0.02 / 6)
)

# ---------------------------------------------------------------------------------------
# the table as printed (re-typed from lecture-gan-ccl2019.txt, both f-GAN tables)
# ---------------------------------------------------------------------------------------

PRINTED = {
    "kl": dict(
        row="Kullback-Leibler",
        f=lambda u: u * np.log(u),
        t_star=lambda r: 1 + np.log(r),
        g=lambda v: v,
        conj=lambda t: np.exp(t - 1),
        dom=lambda t: np.ones_like(t, dtype=bool),
        fp1=1.0,
        d=lambda p, q: np.sum(p * np.log(p / q)),
    ),
    "reverse_kl": dict(
        row="Reverse KL",
        f=lambda u: -np.log(u),
        t_star=lambda r: -1 / r,
        g=lambda v: -np.exp(-v),
        conj=lambda t: -1 - np.log(-t),
        dom=lambda t: t < 0,
        fp1=-1.0,
        d=lambda p, q: np.sum(q * np.log(q / p)),
    ),
    "pearson": dict(
        row="Pearson χ^2",
        f=lambda u: (u - 1) ** 2,
        t_star=lambda r: 2 * (r - 1),
        g=lambda v: v,
        conj=lambda t: t**2 / 4 + t,
        dom=lambda t: np.ones_like(t, dtype=bool),
        fp1=0.0,
        d=lambda p, q: np.sum((q - p) ** 2 / p),  # erratum: this is Neyman
    ),
    "squared_hellinger": dict(
        row="Squared Hellinger",
        f=lambda u: (np.sqrt(u) - 1) ** 2,
        t_star=lambda r: (np.sqrt(r) - 1) * np.sqrt(1 / r),
        g=lambda v: 1 - np.exp(-v),
        conj=lambda t: t / (1 - t),
        dom=lambda t: t < 1,
        fp1=0.0,
        d=lambda p, q: np.sum((np.sqrt(p) - np.sqrt(q)) ** 2),
    ),
    "fgan_js": dict(
        row="Jensen-Shannon",
        f=lambda u: -(u + 1) * np.log((1 + u) / 2) + u * np.log(u),
        t_star=lambda r: np.log(2 * r / (1 + r)),  # 2p/(p+q) with r = p/q
        g=lambda v: np.log(2) - np.log(1 + np.exp(-v)),
        conj=lambda t: -np.log(2 - np.exp(t)),
        dom=lambda t: t < np.log(2),
        fp1=0.0,
        d=lambda p, q: 0.5 * np.sum(p * np.log(2 * p / (p + q)) + q * np.log(2 * q / (p + q))),
    ),
    "gan": dict(
        row="GAN",
        f=lambda u: u * np.log(u) - (u + 1) * np.log(u + 1),
        t_star=lambda r: np.log(r / (1 + r)),
        g=lambda v: -np.log(1 + np.exp(-v)),
        conj=lambda t: -np.log(1 - np.exp(t)),
        dom=lambda t: t < 0,
        fp1=-np.log(2),
        d=lambda p, q: (
            np.sum(p * np.log(2 * p / (p + q)) + q * np.log(2 * q / (p + q))) - np.log(4)
        ),
    ),
}


def test_lecture_table_constant():
    assert LECTURE_TABLE == tuple(PRINTED)
    for name in LECTURE_TABLE:
        fd = FDIVERGENCES[name]
        assert fd.lecture_row == PRINTED[name]["row"]
        assert fd.lecture_latex is not None and fd.lecture_latex["name"] == fd.lecture_row
    # no other entry claims a lecture row
    others = [n for n, fd in FDIVERGENCES.items() if n not in LECTURE_TABLE and fd.lecture_row]
    assert others == []


def test_printed_latex_pinned():
    lat = {n: FDIVERGENCES[n].lecture_latex for n in LECTURE_TABLE}
    assert lat["kl"]["conjugate"] == r"\exp(t - 1)"
    assert lat["reverse_kl"]["domain"] == r"\mathbb{R}_-"
    assert lat["pearson"]["conjugate"] == r"\frac{1}{4}t^2 + t"
    assert lat["pearson"]["divergence"] == r"\int \frac{(q(x)-p(x))^2}{p(x)} dx"
    assert lat["squared_hellinger"]["conjugate"] == r"\frac{t}{1-t}"
    assert lat["fgan_js"]["f"] == r"-(u+1) \log \frac{1+u}{2} + u \log u"
    assert lat["fgan_js"]["activation"] == r"\log(2) - \log(1 + \exp(-v))"
    assert lat["gan"]["f_prime_at_1"] == r"-\log(2)"
    assert lat["gan"]["conjugate"] == r"-\log(1 - \exp(t))"


def test_errata_fields():
    with_erratum = {n for n, fd in FDIVERGENCES.items() if fd.erratum}
    assert with_erratum == {"pearson", "fgan_js", "gan"}
    assert "Neyman" in FDIVERGENCES["pearson"].erratum
    assert "t ≤ −2" in FDIVERGENCES["pearson"].erratum
    assert "2·JS" in FDIVERGENCES["fgan_js"].erratum
    assert "log 4" in FDIVERGENCES["gan"].erratum


@pytest.mark.parametrize("name", LECTURE_TABLE)
def test_printed_columns_that_are_right(name):
    fd, row = FDIVERGENCES[name], PRINTED[name]
    u = np.geomspace(1e-3, 1e3, 31)
    v = np.linspace(-20.0, 20.0, 81)
    np.testing.assert_allclose(fd.f(u), row["f"](u), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fd.optimal_critic(u), row["t_star"](u), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fd.activation(v), row["g"](v), rtol=1e-12, atol=1e-15)
    assert fd.f_prime_at_1 == pytest.approx(row["fp1"], abs=1e-15)
    # dom f*: printed domain agrees with the entry's on a grid (incl. the end points)
    t = np.concatenate([np.linspace(-5.0, 5.0, 201), [0.0, 1.0, LOG2]])
    np.testing.assert_array_equal(np.asarray(fd.conjugate_domain.contains(t)), row["dom"](t))
    # printed conjugate inside the domain (Pearson: only for t >= -2, see its erratum)
    t = t[row["dom"](t)]
    if name == "pearson":
        t = t[t >= -2.0]
    with np.errstate(all="ignore"):
        printed = row["conj"](t)
    np.testing.assert_allclose(fd.conjugate(t), printed, rtol=1e-12, atol=1e-14)


@settings(max_examples=25)
@given(pq=pmf_pairs)
def test_printed_divergence_column(pq):
    p, q = pq
    for name in ("kl", "reverse_kl", "squared_hellinger", "gan"):
        assert d_f(FDIVERGENCES[name], p, q) == pytest.approx(
            float(PRINTED[name]["d"](p, q)), rel=1e-12, abs=1e-14
        )
    # errata: the printed Pearson column is Neyman; the printed JS column is half the row's
    printed_pearson = float(PRINTED["pearson"]["d"](p, q))
    assert d_f(FDIVERGENCES["neyman"], p, q) == pytest.approx(printed_pearson, rel=1e-12)
    printed_js = float(PRINTED["fgan_js"]["d"](p, q))
    assert d_f(FDIVERGENCES["fgan_js"], p, q) == pytest.approx(2 * printed_js, rel=1e-12)


# ---------------------------------------------------------------------------------------
# erratum 1: the lecture's JS row integrates to 2 JS
# ---------------------------------------------------------------------------------------


def test_fgan_js_is_js_scaled_by_two():
    js, fgan = FDIVERGENCES["js"], FDIVERGENCES["fgan_js"]
    two = js.scaled(2.0)
    u = np.geomspace(1e-6, 1e6, 61)
    t = np.linspace(-30.0, 2 * LOG2 - 1e-9, 101)
    v = np.linspace(-700.0, 700.0, 141)
    for method, x in (
        ("f", u),
        ("f_prime", u),
        ("optimal_critic", u),
        ("conjugate", t),
        ("activation", v),
        ("conjugate_activation", v),
        ("activation_derivative", v),
        ("conjugate_activation_derivative", v),
    ):
        np.testing.assert_allclose(
            getattr(two, method)(x), getattr(fgan, method)(x), rtol=1e-13, atol=1e-15,
            err_msg=method,
        )  # fmt: skip
    assert two.conjugate_domain == fgan.conjugate_domain
    for attr in ("f_at_0", "f_prime_at_inf", "f_prime_at_1", "f_at_1"):
        assert getattr(two, attr) == pytest.approx(getattr(fgan, attr), rel=1e-15)
    assert js.f_at_0 == js.f_prime_at_inf == pytest.approx(LOG2 / 2)


@settings(max_examples=30)
@given(pq=pmf_pairs)
def test_fgan_js_equals_twice_js_on_pmfs(pq):
    p, q = pq
    ref = js_scipy(p, q)
    assert d_f(FDIVERGENCES["js"], p, q) == pytest.approx(ref, rel=1e-9, abs=1e-15)
    assert d_f(FDIVERGENCES["fgan_js"], p, q) == pytest.approx(2 * ref, rel=1e-9, abs=1e-15)
    assert d_f(FDIVERGENCES["js"], p, q) <= LOG2


def test_fgan_js_through_discrete_f_divergence():
    discrete = pytest.importorskip("divlab.discrete")
    rng = np.random.default_rng(7)
    for _ in range(5):
        p, q = rng.dirichlet(np.ones(9), size=2)
        two_js = 2 * js_scipy(p, q)
        got = float(discrete.f_divergence(p, q, "fgan_js"))
        assert got == pytest.approx(two_js, rel=1e-9)
        assert float(discrete.f_divergence(p, q, "js")) == pytest.approx(two_js / 2, rel=1e-9)


def test_js_disjoint_supports_from_limits():
    """Disjoint supports: D = sum_{p=0} q f(0) + sum_{q=0} p f'(inf) = log 2 (JS), 2 log 2."""
    for name, expected in (("js", LOG2), ("fgan_js", 2 * LOG2), ("gan", 0.0)):
        fd = FDIVERGENCES[name]
        assert fd.f_at_0 + fd.f_prime_at_inf == pytest.approx(expected, abs=1e-15)
    # and as a limit of overlapping pmfs
    eps = 1e-12
    p = np.asarray([1 - eps, eps])
    q = np.asarray([eps, 1 - eps])
    assert d_f(FDIVERGENCES["js"], p, q) == pytest.approx(LOG2, abs=1e-9)


# ---------------------------------------------------------------------------------------
# erratum 2: Pearson's printed conjugate and D_f column
# ---------------------------------------------------------------------------------------


def _sup(fd, t: float) -> float:
    u = np.concatenate([[0.0], np.geomspace(1e-9, 1e6, 200001)])
    return float(np.max(u * t - np.asarray(fd.f(u))))


def test_pearson_printed_conjugate_wrong_below_minus_two():
    fd = FDIVERGENCES["pearson"]
    printed = PRINTED["pearson"]["conj"]
    for t in (-2.5, -3.0, -6.0, -50.0):
        true = _sup(fd, t)  # sup over u >= 0 is at u = 0: -f(0) = -1
        assert true == pytest.approx(-1.0, abs=1e-12)
        assert float(fd.conjugate(t)) == -1.0
        assert printed(t) > -1.0 + 1e-3  # the printed formula overstates f*
    for t in (-2.0, -1.0, 0.0, 3.0):
        assert float(fd.conjugate(t)) == pytest.approx(printed(t), abs=1e-14)
        assert _sup(fd, t) == pytest.approx(printed(t), abs=1e-6)
    # every optimal critic T* = 2(p/q - 1) >= -2 lies where both agree
    r = np.geomspace(1e-12, 1e6, 50)
    assert np.all(np.asarray(fd.optimal_critic(r)) >= -2.0)


def test_alpha_above_one_conjugate_plateau():
    for a in (1.5, 2.0, 3.0, 5.0):
        fd = get_fdivergence("alpha", alpha=a)
        kink = -1.0 / (a - 1.0)
        for t in (kink - 0.5, kink - 3.0, kink):
            assert float(fd.conjugate(t)) == pytest.approx(-1.0 / a, abs=1e-14)
            assert _sup(fd, t) == pytest.approx(-1.0 / a, abs=1e-9)
        # the unconstrained-u formula would go below -1/a there ((1+(a-1)t) < 0 ...)
        t = kink + 0.3
        assert float(fd.conjugate(t)) == pytest.approx(_sup(fd, t), rel=1e-6)


def test_total_variation_true_conjugate():
    """With u >= 0, f*(t) = max(t, -1/2) on t <= 1/2 (not t on |t| <= 1/2, +inf outside)."""
    fd = FDIVERGENCES["total_variation"]
    for t in (-5.0, -1.0, -0.5, 0.0, 0.3, 0.5):
        assert float(fd.conjugate(t)) == pytest.approx(max(t, -0.5), abs=1e-15)
        assert _sup(fd, t) == pytest.approx(max(t, -0.5), abs=1e-9)
    assert float(fd.conjugate(0.5 + 1e-12)) == math.inf


@settings(max_examples=25)
@given(pq=pmf_pairs)
def test_pearson_generator_gives_chisquare(pq):
    p, q = pq
    ref = chisquare(p, q).statistic  # sum (p - q)^2 / q
    assert d_f(FDIVERGENCES["pearson"], p, q) == pytest.approx(ref, rel=1e-10)
    assert d_f(FDIVERGENCES["neyman"], p, q) == pytest.approx(chisquare(q, p).statistic, rel=1e-10)


# ---------------------------------------------------------------------------------------
# erratum 3: the GAN row has f(1) = -log 4
# ---------------------------------------------------------------------------------------


@settings(max_examples=30)
@given(pq=pmf_pairs)
def test_gan_row_is_two_js_minus_log4(pq):
    p, q = pq
    gan = FDIVERGENCES["gan"]
    assert gan.f_at_1 == pytest.approx(-LOG4, abs=1e-15)
    assert float(gan.f(1.0)) == pytest.approx(-LOG4, abs=1e-15)
    ref = 2 * js_scipy(p, q) - LOG4
    assert d_f(gan, p, q) == pytest.approx(ref, rel=1e-9, abs=1e-12)
    # lecture: with D* = p / (p + q), E_P log D* + E_Q log(1 - D*) = 2 JS - 2 log 2,
    # and that is the f-GAN objective at T* = log D* (f*(T*) = -log(1 - D*))
    d_star = p / (p + q)
    lecture = float(np.sum(p * np.log(d_star) + q * np.log(1 - d_star)))
    assert lecture == pytest.approx(ref, rel=1e-9, abs=1e-12)
    t_star = np.asarray(gan.optimal_critic(p / q))
    np.testing.assert_allclose(t_star, np.log(d_star), rtol=1e-12)
    objective = float(np.sum(p * t_star) - np.sum(q * np.asarray(gan.conjugate(t_star))))
    assert objective == pytest.approx(ref, rel=1e-9, abs=1e-12)
    # at P = Q the GAN "divergence" is -log 4, its minimum
    assert d_f(gan, p, p) == pytest.approx(-LOG4, abs=1e-12)


def test_gan_objective_is_discriminator_loss():
    """T = g_f(v) = log sigmoid(v), f*(T) = softplus(v): E_P log D + E_Q log(1 - D)."""
    gan = FDIVERGENCES["gan"]
    v = np.linspace(-30.0, 30.0, 61)
    d = 1.0 / (1.0 + np.exp(-v))
    np.testing.assert_allclose(gan.activation(v), np.log(d), rtol=1e-12, atol=1e-15)
    log_d = -np.log1p(np.exp(-v))  # log sigmoid(v), accurately
    np.testing.assert_allclose(gan.activation(v), log_d, rtol=1e-14)
    log_one_minus_d = -np.log1p(np.exp(v))  # log(1 - sigmoid(v)) = -log(1 + e^v)
    np.testing.assert_allclose(
        -np.asarray(gan.conjugate_activation(v)), log_one_minus_d, rtol=1e-12
    )


# ---------------------------------------------------------------------------------------
# erratum 4 (numerics): fused f* o g_f vs the printed formulas composed
# ---------------------------------------------------------------------------------------


def _mp_fused(name: str, v: float) -> float:
    with mp.workdps(80):
        v = mp.mpf(v)
        if name == "gan":
            t = -mp.log(1 + mp.exp(-v))
            return float(-mp.log(1 - mp.exp(t)))
        if name == "fgan_js":
            t = mp.log(2) - mp.log(1 + mp.exp(-v))
            return float(-mp.log(2 - mp.exp(t)))
        t = 1 - mp.exp(-v)  # squared Hellinger
        return float(t / (1 - t))


@pytest.mark.parametrize("name", ["gan", "fgan_js", "squared_hellinger"])
def test_fused_vs_naive_composition(name):
    fd, row = FDIVERGENCES[name], PRINTED[name]
    for v in (30.0, 40.0):
        ref = _mp_fused(name, v)
        with np.errstate(all="ignore"):
            naive = float(row["conj"](row["g"](np.float64(v))))
        fused = float(fd.conjugate_activation(v))
        assert fused == pytest.approx(ref, rel=1e-14)
        if v == 30.0:  # the printed formulas lose most digits already
            assert not (abs(naive - ref) <= 1e-8 * abs(ref))
        else:  # ... and give inf / nan at v = 40
            assert not math.isfinite(naive)
    # the closed form: softplus(v) (GAN), softplus(v) - log 2 (JS row), expm1(v) (Hellinger)
    v = np.linspace(-50.0, 50.0, 101)
    expected = {
        "gan": np.logaddexp(0.0, v),
        "fgan_js": np.logaddexp(0.0, v) - LOG2,
        "squared_hellinger": np.expm1(v),
    }[name]
    np.testing.assert_allclose(fd.conjugate_activation(v), expected, rtol=1e-14, atol=1e-300)


# ---------------------------------------------------------------------------------------
# the alpha family and its special cases
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alpha", "name", "c"),
    [(2.0, "pearson", 0.5), (0.5, "squared_hellinger", 2.0), (-1.0, "neyman", 0.5)],
)
def test_alpha_special_cases(alpha, name, c):
    fa, ref = get_fdivergence("alpha", alpha=alpha), FDIVERGENCES[name].scaled(c)
    u = np.geomspace(1e-4, 1e4, 41)
    t = np.linspace(-20.0, min(ref.conjugate_domain.hi, 20.0) - 1e-6, 101)
    np.testing.assert_allclose(fa.f(u), ref.f(u), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fa.f_prime(u), ref.f_prime(u), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fa.conjugate(t), ref.conjugate(t), rtol=1e-9, atol=1e-12)
    assert fa.conjugate_domain == ref.conjugate_domain
    assert fa.f_at_0 == pytest.approx(ref.f_at_0)
    assert fa.f_prime_at_inf == pytest.approx(ref.f_prime_at_inf)


@pytest.mark.parametrize(("alpha", "name"), [(1.0 + 1e-7, "kl"), (1e-7, "reverse_kl")])
def test_alpha_limits(alpha, name):
    """alpha -> 1: u log u - u + 1; alpha -> 0: -log u + u - 1 (same D_f on pmfs)."""
    fa, ref = get_fdivergence("alpha", alpha=alpha), FDIVERGENCES[name]
    u = np.geomspace(1e-2, 1e2, 21)
    expected = np.asarray(ref.f(u)) - ref.f_prime_at_1 * (u - 1)
    np.testing.assert_allclose(fa.f(u), expected, rtol=1e-5, atol=1e-7)
    rng = np.random.default_rng(3)
    p, q = rng.dirichlet(np.ones(7), size=2)
    assert d_f(fa, p, q) == pytest.approx(d_f(ref, p, q), rel=1e-5)
