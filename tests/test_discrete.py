"""divlab.discrete: values against SciPy, closed forms and mpmath; properties; backends."""

from __future__ import annotations

import functools
import itertools
import math

import mpmath
import numpy as np
import pytest
import scipy.special as sc
import scipy.stats as sst
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon

import divlab.discrete as D
from divlab import _array as _blocked
from divlab.testing import pmf_pairs, point_clouds, probability_vectors

LOG2 = math.log(2.0)

# ------------------------------------------------------------------------------------
# mpmath references, evaluated on the exact float inputs
# ------------------------------------------------------------------------------------

mp = mpmath.mp


def _mpv(x):
    return [mpmath.mpf(float(v)) for v in np.asarray(x, dtype=np.float64).ravel()]


def mp_ref(name, p, q=None, alpha=None):
    """High-precision value of divergence ``name`` (60 digits), as a Python float."""
    with mpmath.workdps(60):
        P = _mpv(p)
        Q = _mpv(q) if q is not None else None
        inf = mpmath.inf
        tot = mpmath.mpf(0)
        if name == "kl":
            for a, b in zip(P, Q, strict=True):
                if a > 0 and b == 0:
                    return math.inf
                tot += (a * mpmath.log(a / b) if a > 0 else 0) - a + b
        elif name == "js":
            for a, b in zip(P, Q, strict=True):
                m = (a + b) / 2
                if a > 0:
                    tot += a * mpmath.log(a / m) / 2
                if b > 0:
                    tot += b * mpmath.log(b / m) / 2
        elif name == "tv":
            tot = sum(abs(a - b) for a, b in zip(P, Q, strict=True)) / 2
        elif name == "h2":
            tot = sum((mpmath.sqrt(a) - mpmath.sqrt(b)) ** 2 for a, b in zip(P, Q, strict=True))
        elif name == "pearson":
            for a, b in zip(P, Q, strict=True):
                if b == 0:
                    if a > 0:
                        return math.inf
                    continue
                tot += (a - b) ** 2 / b
        elif name == "jeffreys":
            for a, b in zip(P, Q, strict=True):
                if (a > 0) != (b > 0):
                    return math.inf
                if a > 0:
                    tot += (a - b) * mpmath.log(a / b)
        elif name == "entropy":
            tot = -sum(a * mpmath.log(a) for a in P if a > 0)
        elif name == "cross_entropy":
            for a, b in zip(P, Q, strict=True):
                if a > 0:
                    if b == 0:
                        return math.inf
                    tot -= a * mpmath.log(b)
        elif name == "renyi":
            al = mpmath.mpf(alpha)
            s = mpmath.mpf(0)
            for a, b in zip(P, Q, strict=True):
                if a > 0:
                    if b == 0:
                        if al > 1:
                            return math.inf
                        continue
                    s += a**al * b ** (1 - al)
            if s == 0:
                return math.inf
            tot = mpmath.log(s) / (al - 1)
        elif name == "alpha":
            al = mpmath.mpf(alpha)
            for a, b in zip(P, Q, strict=True):
                if a > 0 and b > 0:
                    u = a / b
                    tot += b * (u**al - 1 - al * (u - 1)) / (al * (al - 1))
                elif a > 0:  # p f'(inf)
                    if al >= 1:
                        return math.inf
                    tot += a / (1 - al)
                elif b > 0:  # q f(0)
                    if al <= 0:
                        return math.inf
                    tot += b / al
        else:  # pragma: no cover
            raise KeyError(name)
        return float(tot) if tot != inf else math.inf


def assert_close(got, want, rtol, atol=0.0):
    got = float(got)
    if math.isinf(want):
        assert got == want, (got, want)
        return
    assert abs(got - want) <= atol + rtol * abs(want), (got, want, abs(got - want))


# ------------------------------------------------------------------------------------
# references
# ------------------------------------------------------------------------------------


def _rand_pair(rng, shape, zeros=False):
    p = rng.random(shape)
    q = rng.random(shape)
    if zeros:
        p[p < 0.2] = 0.0
        q[q < 0.2] = 0.0
        p[..., 0] = 1.0
        q[..., 0] = 1.0
    return p / p.sum(-1, keepdims=True), q / q.sum(-1, keepdims=True)


@pytest.mark.parametrize("zeros", [False, True])
@pytest.mark.parametrize("shape", [(7,), (4, 33), (2, 3, 50)])
def test_against_scipy(shape, zeros):
    rng = np.random.default_rng(1)
    p, q = _rand_pair(rng, shape, zeros)
    np.testing.assert_allclose(D.kl(p, q), sc.rel_entr(p, q).sum(-1), rtol=1e-12)
    np.testing.assert_allclose(D.kl(p, q), sc.kl_div(p, q).sum(-1), rtol=1e-12)
    np.testing.assert_allclose(D.kl(p, q), sst.entropy(p, q, axis=-1), rtol=1e-12)
    np.testing.assert_allclose(
        D.kl(p, q, base=2), sst.entropy(p, q, axis=-1, base=2), rtol=1e-12
    )
    np.testing.assert_allclose(D.reverse_kl(p, q), sc.rel_entr(q, p).sum(-1), rtol=1e-12)
    np.testing.assert_allclose(D.js_distance(p, q), jensenshannon(p, q, axis=-1), rtol=1e-12)
    np.testing.assert_allclose(
        D.js_distance(p, q, base=2), jensenshannon(p, q, axis=-1, base=2), rtol=1e-12
    )
    np.testing.assert_allclose(D.js(p, q), jensenshannon(p, q, axis=-1) ** 2, rtol=1e-12)
    np.testing.assert_allclose(D.entropy(p), sst.entropy(p, axis=-1), rtol=1e-12)
    np.testing.assert_allclose(D.entropy(p, base=2), sst.entropy(p, axis=-1, base=2), rtol=1e-12)
    np.testing.assert_allclose(
        D.cross_entropy(p, q), sst.entropy(p, axis=-1) + sc.rel_entr(p, q).sum(-1), rtol=1e-12
    )


@pytest.mark.parametrize("a", [1e-9, 0.01, 0.3, 0.5, 0.97])
@pytest.mark.parametrize("b", [1e-6, 0.2, 0.5, 0.999])
def test_bernoulli_closed_forms(a, b):
    p = np.array([a, 1 - a])
    q = np.array([b, 1 - b])
    kl_ab = a * math.log(a / b) + (1 - a) * math.log((1 - a) / (1 - b))
    kl_ba = b * math.log(b / a) + (1 - b) * math.log((1 - b) / (1 - a))
    m = (a + b) / 2
    js_ = 0.5 * (
        a * math.log(a / m) + (1 - a) * math.log((1 - a) / (1 - m))
        + b * math.log(b / m) + (1 - b) * math.log((1 - b) / (1 - m))
    )
    h2 = (math.sqrt(a) - math.sqrt(b)) ** 2 + (math.sqrt(1 - a) - math.sqrt(1 - b)) ** 2
    chi2 = (a - b) ** 2 / (b * (1 - b))
    tol = dict(rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(D.kl(p, q), kl_ab, **tol)
    np.testing.assert_allclose(D.reverse_kl(p, q), kl_ba, **tol)
    np.testing.assert_allclose(D.jeffreys(p, q), kl_ab + kl_ba, **tol)
    np.testing.assert_allclose(D.js(p, q), js_, **tol)
    np.testing.assert_allclose(D.squared_hellinger(p, q), h2, **tol)
    np.testing.assert_allclose(D.hellinger(p, q), math.sqrt(h2), **tol)
    np.testing.assert_allclose(D.total_variation(p, q), abs(a - b), **tol)
    np.testing.assert_allclose(D.pearson_chi2(p, q), chi2, **tol)
    np.testing.assert_allclose(D.neyman_chi2(p, q), (a - b) ** 2 / (a * (1 - a)), **tol)
    # Renyi closed forms: order 2 = log(1 + chi2), order 1/2 = -2 log BC
    np.testing.assert_allclose(D.renyi(p, q, 2.0), math.log1p(chi2), **tol)
    bc = math.sqrt(a * b) + math.sqrt((1 - a) * (1 - b))
    np.testing.assert_allclose(D.renyi(p, q, 0.5), -2 * math.log(bc), **tol)
    np.testing.assert_allclose(
        D.renyi(p, q, math.inf), math.log(max(a / b, (1 - a) / (1 - b))), **tol
    )
    np.testing.assert_allclose(D.alpha_divergence(p, q, 2.0), chi2 / 2, **tol)
    np.testing.assert_allclose(D.alpha_divergence(p, q, 0.5), 2 * h2, **tol)


FUNCS = {
    "kl": (D.kl, "kl"),
    "js": (D.js, "js"),
    "tv": (D.total_variation, "tv"),
    "h2": (D.squared_hellinger, "h2"),
    "pearson": (D.pearson_chi2, "pearson"),
    "jeffreys": (D.jeffreys, "jeffreys"),
    "cross_entropy": (D.cross_entropy, "cross_entropy"),
}


@settings(max_examples=25)
@given(pmf_pairs(kind="any"), st.sampled_from(sorted(FUNCS)))
@example((np.array([0.0, 1.0]), np.array([1.0, 0.0])), "js")  # bug: log1p(-1) warning/NaN
@example((np.array([1.0]), np.array([1.0])), "kl")
@example(  # bug: sqrt(p) - sqrt(q) rounding made H^2 of one-ulp-apart inputs 3x too large
    (np.array([0.3, 0.7]), np.nextafter(np.array([0.3, 0.7]), 1.0)), "h2"
)
def test_mpmath_float64(pair, name):
    """All regimes, incl. near-identical pairs where naive formulas cancel."""
    p, q = pair
    fn, ref = FUNCS[name]
    assert_close(fn(p, q), mp_ref(ref, p, q), rtol=1e-11, atol=1e-300)
    if name in ("kl", "pearson"):  # reversed roles
        rev = D.reverse_kl if name == "kl" else D.neyman_chi2
        assert_close(rev(p, q), mp_ref(ref, q, p), rtol=1e-11, atol=1e-300)


@settings(max_examples=20)
@given(pmf_pairs(kind="any", dtype=np.float32), st.sampled_from(sorted(FUNCS)))
def test_mpmath_float32(pair, name):
    """float32 in, float32 out, accurate to float32 rounding of the exact result."""
    p, q = pair
    fn, ref = FUNCS[name]
    got = fn(p, q)
    assert got.dtype == np.float32
    assert_close(got, mp_ref(ref, p, q), rtol=3e-7, atol=1e-37)


@settings(max_examples=20)
@given(
    pmf_pairs(kind="any"),
    st.sampled_from([0.0, 0.25, 0.5, 0.8, 1.3, 2.0, 3.5, 10.0]),
)
@example((np.array([0.5, 0.5]), np.array([1.0, 0.0])), 0.5)
@example((np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.0, 1.0])), 0.25)  # disjoint, a < 1
def test_renyi_mpmath(pair, alpha):
    p, q = pair
    assert_close(D.renyi(p, q, alpha), mp_ref("renyi", p, q, alpha), rtol=1e-9, atol=1e-13)


@settings(max_examples=20)
@given(
    pmf_pairs(kind="any"),
    st.sampled_from([-2.0, -1.0, -0.3, 0.3, 0.5, 0.8, 1.5, 2.0, 3.0]),
)
def test_alpha_divergence_mpmath(pair, alpha):
    p, q = pair
    want = mp_ref("alpha", p, q, alpha)
    assert_close(D.alpha_divergence(p, q, alpha), want, rtol=1e-9, atol=1e-300)


def test_entropy_mpmath():
    rng = np.random.default_rng(3)
    for _ in range(5):
        p = rng.dirichlet(np.full(9, 0.3))
        assert_close(D.entropy(p), mp_ref("entropy", p), rtol=1e-13)


def test_near_identical_hard_cases():
    """Inputs one ulp apart: results are >= 0, finite and accurate (mpmath)."""
    rng = np.random.default_rng(4)
    for dtype, rtol in ((np.float64, 1e-9), (np.float32, 3e-7)):
        p = rng.dirichlet(np.ones(50)).astype(dtype)
        q = np.nextafter(p, np.ones_like(p))  # every entry one ulp up
        for name in ("kl", "js", "h2", "pearson", "jeffreys"):  # h2 was 3x off (sqrt rounding)
            got = FUNCS[name][0](p, q)
            assert got.dtype == dtype and np.isfinite(got) and got >= 0
            assert_close(got, mp_ref(name, p, q), rtol=rtol, atol=1e-300)
        dist = D.js_distance(p, q)
        assert np.isfinite(dist) and dist >= 0
        assert D.kl(p, p) == 0 and D.js(p, p) == 0 and D.js_distance(p, p) == 0


def _every_discrete_function():
    """Every public function of divlab.discrete (parametrised ones at several parameters,
    ``f_divergence`` at every registry entry), as ``name -> (fn(p, q), lower bound)``."""
    from divlab.fdiv import FDIVERGENCES

    fns = {
        name: getattr(D, name)
        for name in (
            "kl", "reverse_kl", "js", "js_distance", "total_variation", "squared_hellinger",
            "hellinger", "pearson_chi2", "neyman_chi2", "jeffreys", "cross_entropy",
        )
    }
    fns["entropy"] = lambda p, q: D.entropy(p)
    for a in (0.0, 0.5, 1.0 - 1e-6, 1.0, 1.0 + 1e-6, 2.0, 10.0, math.inf):
        fns[f"renyi({a:g})"] = functools.partial(D.renyi, alpha=a)
    for a in (-2.0, -1.0, 1e-9, 0.5, 1.0 - 1e-6, 1.0 + 1e-6, 2.0, 5.0):
        fns[f"alpha_divergence({a:g})"] = functools.partial(D.alpha_divergence, alpha=a)
    for key in FDIVERGENCES:
        fns[f"f_divergence({key})"] = functools.partial(D.f_divergence, f=key)
    fns["f_divergence(alpha=0.3)"] = functools.partial(D.f_divergence, f="alpha", alpha=0.3)
    lower = {name: 0.0 for name in fns}
    lower["f_divergence(gan)"] = -math.log(4.0)  # f(1) = -log 4 (lecture's GAN row)
    return {name: (fn, lower[name]) for name, fn in fns.items()}


EVERY = _every_discrete_function()


@settings(max_examples=30)
@given(
    pmf_pairs(kind="near_identical", max_size=30),
    st.sampled_from([np.float64, np.float32]),
)
@example((np.array([0.3, 0.7]), np.nextafter(np.array([0.3, 0.7]), 1.0)), np.float64)
@example(
    (np.array([0.3, 0.7], np.float32), np.nextafter(np.array([0.3, 0.7], np.float32), 1)),
    np.float32,
)
def test_near_identical_every_function_nonnegative_finite(pair, dtype):
    """Issue point 3: near-identical inputs give results >= 0 (>= f(1) for the GAN row),
    finite and never NaN, in float32 and float64, and float32 stays float32 -- for every
    function of divlab.discrete (the 1-ulp examples are where sqrt(p) - sqrt(q) and
    p log(p/q) summed naively go negative or NaN)."""
    p, q = (np.asarray(a).astype(dtype) for a in pair)
    for name, (fn, lower) in EVERY.items():
        got = fn(p, q)
        assert got.dtype == dtype, name
        value = float(got)
        bound = float(np.asarray(lower, dtype=dtype))  # -log 4 rounded to the dtype
        assert math.isfinite(value) and value >= bound, (name, value)


def test_near_identical_large_inputs_fast_path():
    """The blocked NumPy fast path (kl, reverse_kl, js, js_distance) on 2e5 entries that
    differ by a relative 1e-7: >= 0, finite, dtype kept, equal to the generic path."""
    import array_api_strict as xs

    rng = np.random.default_rng(11)
    n = 3 * _blocked.BLOCK + 17
    p = rng.dirichlet(np.ones(n))
    q = p * (1.0 + 1e-7 * rng.uniform(-1.0, 1.0, n))
    q /= q.sum()
    for dtype, rtol in ((np.float64, 1e-9), (np.float32, 1e-5)):
        pd, qd = p.astype(dtype), q.astype(dtype)
        for fn in (D.kl, D.reverse_kl, D.js, D.js_distance):
            got = fn(pd, qd)
            assert got.dtype == dtype and np.isfinite(got) and got >= 0
            want = float(np.asarray(fn(xs.asarray(pd), xs.asarray(qd))))
            assert float(got) == pytest.approx(want, rel=rtol, abs=1e-30)


@settings(max_examples=30)
@given(pmf_pairs(kind="disjoint", max_size=40), st.sampled_from([np.float64, np.float32]))
@example(
    (
        np.array([0.18920624, 0.36994263, 0.18289202, 0.24564153, 0.01231758, 0.0, 0.0]),
        np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.3, 0.7]),
    ),
    np.float64,
)
def test_js_disjoint_is_exactly_log2(pair, dtype):
    """Bug: sum(m) log 2 with sum(m) = 1 - ulp gave log 2 - ulp for disjoint supports."""
    import array_api_strict as xs

    p, q = (a.astype(dtype) for a in pair)
    assert D.js(p, q) == np.asarray(LOG2, dtype=dtype)
    assert float(D.js(xs.asarray(p), xs.asarray(q))) == float(np.asarray(LOG2, dtype=dtype))
    assert D.js(p, q, base=2) == 1.0
    assert D.total_variation(p, q) == 1.0 and D.squared_hellinger(p, q) == 2.0
    assert D.hellinger(p, q) == np.sqrt(np.asarray(2.0, dtype=dtype))
    big_p = np.tile(p, (3, 1))
    big_q = np.tile(q, (3, 1))
    big_q[1] = big_p[1]
    np.testing.assert_array_equal(D.js(big_p, big_q)[[0, 2]], np.asarray(LOG2, dtype=dtype))


def test_special_values():
    assert D.js([1.0, 0.0], [0.0, 1.0]) == LOG2
    assert D.js([0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5], base=2) == 1.0
    assert D.js_distance([1.0, 0.0], [0.0, 1.0]) == math.sqrt(LOG2)
    assert D.kl([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert D.kl([1.0, 0.0], [0.5, 0.5]) == pytest.approx(LOG2, rel=1e-15)
    assert D.reverse_kl([1.0, 0.0], [0.5, 0.5]) == math.inf
    assert D.pearson_chi2([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert D.neyman_chi2([0.5, 0.5], [1.0, 0.0]) == 1.0
    assert D.jeffreys([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert D.total_variation([1.0, 0.0], [0.0, 1.0]) == 1.0
    assert D.squared_hellinger([1.0, 0.0], [0.0, 1.0]) == 2.0
    assert D.hellinger([1.0, 0.0], [0.0, 1.0]) == math.sqrt(2.0)
    assert D.cross_entropy([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert D.entropy([1.0, 0.0]) == 0.0
    assert D.renyi([0.5, 0.5], [1.0, 0.0], 2.0) == math.inf
    assert D.renyi([0.5, 0.5], [1.0, 0.0], 0.5) == pytest.approx(-2 * math.log(math.sqrt(0.5)))
    assert D.renyi([1.0, 0.0], [0.0, 1.0], 0.5) == math.inf
    assert D.renyi([1.0, 0.0], [0.0, 1.0], 0.0) == math.inf
    assert D.renyi([0.5, 0.5, 0.0], [0.25, 0.25, 0.5], 0.0) == pytest.approx(LOG2)
    assert D.alpha_divergence([1.0, 0.0], [0.0, 1.0], 0.5) == 4.0  # 2 * H^2
    assert D.alpha_divergence([0.5, 0.5], [1.0, 0.0], 2.0) == math.inf
    assert D.alpha_divergence([0.5, 0.5], [1.0, 0.0], -1.0) == pytest.approx(0.5)


def test_alpha_limits_and_renyi_limits():
    rng = np.random.default_rng(5)
    p, q = _rand_pair(rng, (12,))
    kl, rkl = float(D.kl(p, q)), float(D.reverse_kl(p, q))
    assert D.alpha_divergence(p, q, 1.0) == pytest.approx(kl, rel=1e-14)
    assert D.alpha_divergence(p, q, 0.0) == pytest.approx(rkl, rel=1e-14)
    assert D.alpha_divergence(p, q, 1 + 1e-7) == pytest.approx(kl, rel=1e-6)
    assert D.alpha_divergence(p, q, 1e-7) == pytest.approx(rkl, rel=1e-6)
    assert D.alpha_divergence(p, q, -1.0) == pytest.approx(D.neyman_chi2(p, q) / 2, rel=1e-12)
    assert D.renyi(p, q, 1.0) == pytest.approx(kl, rel=1e-14)
    for eps in (1e-6, 1e-9, 1e-12):  # continuous through alpha = 1, no cancellation
        assert D.renyi(p, q, 1 + eps) == pytest.approx(kl, rel=10 * eps + 1e-12)
        assert D.renyi(p, q, 1 - eps) == pytest.approx(kl, rel=10 * eps + 1e-12)
    assert D.renyi(p, q, 1e6) == pytest.approx(D.renyi(p, q, math.inf), rel=1e-4)
    assert D.renyi(p, q, 1e-9) == pytest.approx(D.renyi(p, q, 0.0), abs=1e-8)


# ------------------------------------------------------------------------------------
# axis / keepdims / batch / base / normalize / dtypes
# ------------------------------------------------------------------------------------

ALL_PAIR = [
    D.kl, D.reverse_kl, D.js, D.js_distance, D.total_variation, D.squared_hellinger,
    D.hellinger, D.pearson_chi2, D.neyman_chi2, D.jeffreys, D.cross_entropy,
    lambda p, q, **kw: D.renyi(p, q, 0.7, **kw),
    lambda p, q, **kw: D.renyi(p, q, 3.0, **kw),
    lambda p, q, **kw: D.alpha_divergence(p, q, -0.5, **kw),
    lambda p, q, **kw: D.f_divergence(p, q, "js", **kw),
]
PAIR_IDS = [
    "kl", "reverse_kl", "js", "js_distance", "tv", "h2", "hellinger", "pearson", "neyman",
    "jeffreys", "cross_entropy", "renyi0.7", "renyi3", "alpha-0.5", "f_js",
]


@pytest.mark.parametrize("fn", ALL_PAIR, ids=PAIR_IDS)
def test_axis_keepdims_batch(fn):
    rng = np.random.default_rng(6)
    p = rng.random((3, 5, 4))
    q = rng.random((3, 5, 4))
    p /= p.sum(1, keepdims=True)
    q /= q.sum(1, keepdims=True)
    got = fn(p, q, axis=1)
    assert got.shape == (3, 4)
    want = np.array([[fn(p[i, :, j], q[i, :, j]) for j in range(4)] for i in range(3)])
    np.testing.assert_allclose(got, want, rtol=1e-13)
    kd = fn(p, q, axis=-2, keepdims=True)
    assert kd.shape == (3, 1, 4)
    np.testing.assert_allclose(kd[:, 0, :], got, rtol=1e-13)
    assert np.ndim(fn(p[0, :, 0], q[0, :, 0])) == 0


@pytest.mark.parametrize("fn", ALL_PAIR, ids=PAIR_IDS)
def test_dtypes_and_normalize(fn):
    p = np.array([0.25, 0.25, 0.5])  # exact in float16
    q = np.array([0.5, 0.375, 0.125])
    ref = fn(p, q)
    out32 = fn(p.astype(np.float32), q.astype(np.float32))
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, ref, rtol=1e-6)
    assert fn(p.astype(np.float16), q.astype(np.float16)).dtype == np.float32
    assert fn(p.astype(np.float32), q).dtype == np.float64
    assert fn(np.array([0, 1, 0]), np.array([0, 1, 0])).dtype == np.float64
    # normalize=True, also with entries at the float64 limit (no overflow)
    big = fn(p * 1e308, q * 1.7e308, normalize=True)
    np.testing.assert_allclose(big, ref, rtol=1e-13)
    np.testing.assert_allclose(fn(p * 3, q / 7, normalize=True), ref, rtol=1e-13)


def test_entropy_axis_normalize():
    rng = np.random.default_rng(7)
    p = rng.random((4, 6))
    h = D.entropy(p, normalize=True)
    np.testing.assert_allclose(h, sst.entropy(p, axis=-1), rtol=1e-13)
    np.testing.assert_allclose(D.entropy(p.T, axis=0, normalize=True), h, rtol=1e-13)
    assert D.entropy(p, normalize=True, keepdims=True).shape == (4, 1)
    assert D.entropy(np.float32([0.5, 0.5])).dtype == np.float32
    np.testing.assert_allclose(D.entropy(p * 1e308, normalize=True), h, rtol=1e-13)


def test_base_consistency():
    p, q = [0.1, 0.2, 0.7], [0.3, 0.3, 0.4]
    for fn in (D.kl, D.reverse_kl, D.js, D.jeffreys, D.cross_entropy):
        assert fn(p, q, base=2) == pytest.approx(fn(p, q) / LOG2, rel=1e-14)
        assert fn(p, q, base=10) == pytest.approx(fn(p, q) / math.log(10), rel=1e-14)
    assert D.renyi(p, q, 2.0, base=2) == pytest.approx(D.renyi(p, q, 2.0) / LOG2, rel=1e-14)
    assert D.js_distance(p, q, base=2) == pytest.approx(math.sqrt(D.js(p, q) / LOG2))


# ------------------------------------------------------------------------------------
# f_divergence vs the named functions
# ------------------------------------------------------------------------------------

NAMED = {
    "kl": D.kl,
    "reverse_kl": D.reverse_kl,
    "pearson": D.pearson_chi2,
    "neyman": D.neyman_chi2,
    "squared_hellinger": D.squared_hellinger,
    "js": D.js,
    "fgan_js": lambda p, q: 2 * D.js(p, q),
    "gan": lambda p, q: 2 * D.js(p, q) - math.log(4.0),
    "total_variation": D.total_variation,
    "jeffreys": D.jeffreys,
}


def test_registry_is_covered():
    from divlab.fdiv import FDIVERGENCES

    assert set(FDIVERGENCES) <= set(NAMED) | {"alpha"}, set(FDIVERGENCES) - set(NAMED)


@settings(max_examples=25)
@given(pmf_pairs(kind="any"), st.sampled_from(sorted(NAMED)))
@example((np.array([1.0, 0.0]), np.array([0.0, 1.0])), "gan")
def test_f_divergence_matches_named(pair, name):
    p, q = pair
    got = float(D.f_divergence(p, q, name))
    want = float(NAMED[name](p, q))
    if math.isinf(want):
        assert got == want
    else:
        # generic q f(p/q) evaluation: absolute rounding ~ eps per term
        assert abs(got - want) <= 1e-12 + 1e-9 * abs(want)


@settings(max_examples=15)
@given(pmf_pairs(kind="any"), st.sampled_from([-1.0, 0.3, 0.5, 2.0, 3.0]))
def test_f_divergence_alpha_family(pair, alpha):
    p, q = pair
    got = float(D.f_divergence(p, q, "alpha", alpha=alpha))
    want = float(D.alpha_divergence(p, q, alpha))
    if math.isinf(want):
        assert got == want
    else:
        assert abs(got - want) <= 1e-12 + 1e-9 * abs(want)


def test_fgan_js_is_twice_js():
    from divlab.fdiv import get_fdivergence

    p, q = [0.1, 0.6, 0.3], [0.5, 0.25, 0.25]
    assert D.f_divergence(p, q, "fgan_js") == pytest.approx(2 * D.js(p, q), rel=1e-13)
    assert D.f_divergence(p, q, get_fdivergence("fgan_js")) == pytest.approx(
        2 * D.js(p, q), rel=1e-13
    )


# ------------------------------------------------------------------------------------
# hypothesis properties
# ------------------------------------------------------------------------------------


@settings(max_examples=40)
@given(pmf_pairs(kind="any"))
@example((np.array([0.0, 1.0]), np.array([1.0, 0.0])))  # disjoint: log1p(-1) warned
def test_properties(pair):
    p, q = pair
    vals = {name: float(fn(p, q)) for name, fn in zip(PAIR_IDS, ALL_PAIR, strict=True)}
    assert all(v >= 0 and not math.isnan(v) for v in vals.values()), vals
    assert vals["js"] <= LOG2 and vals["tv"] <= 1.0 and vals["h2"] <= 2.0
    # symmetry
    for fn in (D.js, D.total_variation, D.squared_hellinger, D.jeffreys):
        assert float(fn(q, p)) == pytest.approx(float(fn(p, q)), rel=1e-12, abs=1e-300)
    # Jeffreys = KL + reverse KL
    kl, rkl = float(D.kl(p, q)), float(D.reverse_kl(p, q))
    assert vals["jeffreys"] == pytest.approx(kl + rkl, rel=1e-11, abs=1e-300)
    # Hellinger vs TV: h^2 <= TV <= h sqrt(2 - h^2) with h^2 = H^2 / 2 in [0, 1]
    h2 = vals["h2"] / 2
    assert h2 <= vals["tv"] * (1 + 1e-12) + 1e-15
    assert vals["tv"] <= math.sqrt(h2 * (2 - h2)) * (1 + 1e-12) + 1e-15
    # cross-entropy = H(p) + KL
    if math.isfinite(kl):
        assert vals["cross_entropy"] == pytest.approx(float(D.entropy(p)) + kl, abs=1e-12)


@settings(max_examples=30)
@given(pmf_pairs(kind="identical"))
def test_identity_of_indiscernibles(pair):
    p, q = pair
    for fn, name in zip(ALL_PAIR, PAIR_IDS, strict=True):
        if name != "cross_entropy":
            assert float(fn(p, q)) == 0.0, name
    assert float(D.f_divergence(p, q, "gan")) == pytest.approx(-math.log(4.0), rel=1e-14)


@settings(max_examples=20)
@given(pmf_pairs(kind="proportional"))
def test_normalize_scale_invariance(pair):
    p, q = pair
    for fn in (D.kl, D.js, D.total_variation, D.squared_hellinger):
        assert float(fn(p, q, normalize=True)) == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=30)
@given(pmf_pairs(kind="any"))
def test_renyi_monotone_in_alpha(pair):
    p, q = pair
    alphas = [0.0, 0.2, 0.5, 0.9, 1.0, 1.5, 2.0, 5.0, math.inf]
    vals = [float(D.renyi(p, q, a)) for a in alphas]
    for lo, hi in itertools.pairwise(vals):
        assert lo <= hi * (1 + 1e-9) + 1e-13, vals
    # order 1/2: -2 log(1 - H^2 / 2) (Bhattacharyya)
    h2 = float(D.squared_hellinger(p, q))
    if math.isfinite(vals[2]):
        assert vals[2] == pytest.approx(-2 * math.log1p(-h2 / 2), rel=1e-9, abs=1e-14)


@settings(max_examples=20)
@given(probability_vectors(max_size=30))
def test_entropy_bounds(p):
    h = float(D.entropy(p))
    assert 0 <= h <= math.log(p.size) + 1e-12
    u = np.full(p.size, 1.0 / p.size)
    # H(p) = log n - KL(p || uniform)
    assert h == pytest.approx(math.log(p.size) - float(D.kl(p, u)), abs=1e-12)


# ------------------------------------------------------------------------------------
# backends and the NumPy fast path
# ------------------------------------------------------------------------------------


@pytest.mark.parametrize("zeros", [False, True])
def test_backends_agree(backend, zeros):
    rng = np.random.default_rng(8)
    p, q = _rand_pair(rng, (3, 17), zeros)
    for fn, name in zip(ALL_PAIR, PAIR_IDS, strict=True):
        got = fn(backend.asarray(p), backend.asarray(q))
        assert type(got).__module__.split(".")[0] == backend.xp.__name__.split(".")[0], name
        np.testing.assert_allclose(backend.to_numpy(got), fn(p, q), rtol=1e-13, err_msg=name)
        g32 = fn(backend.asarray(p, np.float32), backend.asarray(q, np.float32))
        assert g32.dtype == backend.xp.float32, name
    h = D.entropy(backend.asarray(p))
    np.testing.assert_allclose(backend.to_numpy(h), D.entropy(p), rtol=1e-13)


def _big_cases():
    rng = np.random.default_rng(9)
    L = _blocked.BLOCK + 123  # rows split into several blocks
    p, q = _rand_pair(rng, (5, L))
    p[1, :1000] = 0.0  # a block with zeros (masked path)
    p[1] /= p[1].sum()
    q[2] = p[2] * (1 + 1e-9 * rng.standard_normal(L))  # near-identical: exact recompute
    q[2] /= q[2].sum()
    q[3, 500] = 0.0  # q = 0 < p: KL = inf
    q[3] /= q[3].sum()
    yield "rows>block", p, q
    p2, q2 = _rand_pair(rng, (700, 300), zeros=True)  # many rows per block
    q2[5] = p2[5]
    yield "rows<block", p2, q2


@pytest.mark.parametrize("case", list(_big_cases()), ids=lambda c: c[0])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fast_path_matches_generic(case, dtype):
    import array_api_strict as xs

    _, p, q = case
    p = p.astype(dtype)
    q = q.astype(dtype)
    for fn in (D.kl, D.reverse_kl, D.js):
        fast = fn(p, q)
        assert fast.dtype == dtype
        generic = np.asarray(fn(xs.asarray(p), xs.asarray(q)))
        np.testing.assert_allclose(fast, generic, rtol=1e-10 if dtype == np.float64 else 2e-7)
        np.testing.assert_allclose(fn(p.T, q.T, axis=0), fast, rtol=1e-10)  # strided: generic
    old = _blocked.set_threads(1)
    try:
        one = (D.kl(p, q), D.js(p, q))
    finally:
        _blocked.set_threads(old)
    np.testing.assert_allclose(one[0], D.kl(p, q), rtol=1e-12)
    np.testing.assert_allclose(one[1], D.js(p, q), rtol=1e-12)


def test_fast_path_1d_large_and_results_type():
    rng = np.random.default_rng(10)
    p, q = _rand_pair(rng, (5 * _blocked.BLOCK + 7,))
    got = D.kl(p, q)
    assert isinstance(got, np.floating) and np.ndim(got) == 0
    assert got == pytest.approx(sc.rel_entr(p, q).sum(), rel=1e-12)
    assert D.js(p, q) == pytest.approx(jensenshannon(p, q) ** 2, rel=1e-12)
    assert D.kl(p, q, keepdims=True).shape == (1,)
    assert D.kl(p, q, base=2) == pytest.approx(got / LOG2, rel=1e-14)


@settings(max_examples=30)
@given(
    st.lists(pmf_pairs(kind="any", n=23), min_size=1, max_size=6),
    st.sampled_from([8, 16, 64]),
    st.sampled_from([np.float64, np.float32]),
)
def test_fast_path_blocking_property(pairs, block, dtype):
    """Tiny blocks (and threads) exercise every branch of the blocked fast path on small
    inputs: clean, zero-containing and near-identical rows, rows split over blocks."""
    import array_api_strict as xs

    p = np.stack([a for a, _ in pairs]).astype(dtype)
    q = np.stack([b for _, b in pairs]).astype(dtype)
    saved = (_blocked.BLOCK, _blocked._MIN_THREADED)
    _blocked.BLOCK, _blocked._MIN_THREADED = block, 2 * block
    try:
        fast = [fn(p, q) for fn in (D.kl, D.reverse_kl, D.js)]
        fast1d = [fn(p[0], q[0]) for fn in (D.kl, D.reverse_kl, D.js)]
    finally:
        _blocked.BLOCK, _blocked._MIN_THREADED = saved
    for got, got1, fn in zip(fast, fast1d, (D.kl, D.reverse_kl, D.js), strict=True):
        want = np.asarray(fn(xs.asarray(p), xs.asarray(q)))
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=1e-9 if dtype == np.float64 else 3e-7)
        np.testing.assert_allclose(got1, want[0], rtol=1e-9 if dtype == np.float64 else 3e-7)


# ------------------------------------------------------------------------------------
# divlab.testing strategies keep their documented promises
# ------------------------------------------------------------------------------------


@settings(max_examples=40)
@given(
    st.sampled_from(["generic", "near_identical", "identical", "disjoint", "zeros", "any"]),
    st.sampled_from([np.float64, np.float32]),
    st.data(),
)
def test_pmf_pairs_promises(kind, dtype, data):
    from divlab.testing import pmf_pairs as pairs

    p, q = data.draw(pairs(kind=kind, dtype=dtype, max_size=30))
    for v in (p, q):
        assert v.dtype == dtype and v.ndim == 1 and np.all(v >= 0)
        assert abs(float(v.sum(dtype=np.float64)) - 1.0) <= 1e-7
    assert p.shape == q.shape
    if kind == "generic":
        assert np.all(p > 0) and np.all(q > 0)
    if kind == "identical":
        np.testing.assert_array_equal(p, q)
    if kind == "disjoint":
        assert not np.any((p > 0) & (q > 0)) and p.size >= 2
    if kind == "near_identical":
        assert np.all(np.abs(p.astype(float) - q) <= 0.03 * p)


@settings(max_examples=20)
@given(st.data())
def test_probability_vectors_and_point_clouds(data):

    v = data.draw(probability_vectors(n=7, dtype=np.float32, allow_zeros=False))
    assert v.shape == (7,) and v.dtype == np.float32 and np.all(v > 0)
    x = data.draw(point_clouds(d=3, min_n=2, max_n=9, bound=2.0, allow_duplicates=False))
    assert x.ndim == 2 and x.shape[1] == 3 and 2 <= x.shape[0] <= 9
    assert np.all(np.isfinite(x)) and np.all(np.abs(x) <= 3.0)
    assert np.unique(x, axis=0).shape[0] == x.shape[0]
    with pytest.raises(ValueError, match="kind"):
        pmf_pairs(kind="nope")


def _alpha_mp(p, q, a):
    with mpmath.workdps(60):
        a = mpmath.mpf(a)
        tot = mpmath.mpf(0)
        for pi, qi in zip(p, q, strict=True):
            pi, qi = mpmath.mpf(float(pi)), mpmath.mpf(float(qi))
            r = pi / qi
            tot += qi * (r**a - 1 - a * (r - 1)) / (a * (a - 1))
        return tot


@pytest.mark.parametrize(
    ("p", "q"),
    [([0.2, 0.8], [0.5, 0.5]), ([0.9, 0.1], [0.1, 0.9]), ([0.3, 0.3, 0.4], [0.2, 0.5, 0.3]),
     ([1.0, 2e-300], [1.0, 1e-300])],
)
@pytest.mark.parametrize("alpha", [1e6, -1e6, 1500.0, 1000.0, -1000.0, 300.0, -300.0, 50.0])
def test_alpha_divergence_large_alpha_against_mpmath(p, q, alpha):
    """Large |alpha|: (p/q)**alpha overflows although the divergence may be finite; summed
    in the log domain, the result is inf exactly when the true value is beyond the float
    range and otherwise within the conditioning |alpha| * eps (found: 8.2e301 instead of
    inf at alpha = 1000, RuntimeWarnings from expm1)."""
    import warnings

    p, q = np.array(p), np.array(q)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = float(D.alpha_divergence(p, q, alpha, normalize=True))
    want = _alpha_mp(p / p.sum(), q / q.sum(), alpha)
    if want > mpmath.mpf(np.finfo(np.float64).max):
        assert got == math.inf
    else:
        assert got == pytest.approx(float(want), rel=max(1e-14, 4 * abs(alpha) * 2.2e-16))


@settings(max_examples=50)
@given(point_clouds(dtype=np.float32, bound=0.1, max_n=20))
def test_point_clouds_float32_respect_bound(x):
    """float32(0.1) > 0.1: the strategy draws float32 values within the bound (found in
    review), and a bound beyond float32's range is rejected instead of producing -inf."""
    assert x.dtype == np.float32 and np.all(np.abs(x) <= 0.1)


def test_point_clouds_bound_beyond_dtype_range_is_rejected():
    with pytest.raises(ValueError, match=r"`bound`.*float32"):
        point_clouds(dtype=np.float32, bound=1e39)
