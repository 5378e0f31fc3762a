"""Accuracy contract of the exact discrete divergences over the whole float range.

Pins, against 50-digit references (``tests/_mp_reference.py``, mpmath on the exact float
inputs), the convention divlab computes:

* f-divergences: ``D = f(1) + sum_i q_i ft(p_i/q_i)``, ``ft(u) = f(u) - f(1) - f'(1)(u - 1)``,
  with ``p_i ft'(inf)`` for ``q_i = 0 < p_i`` and ``q_i ft(0)`` for ``p_i = 0 < q_i``;
* relative error <= 1e-13 (float64) on inputs with subnormal entries, ratios up to 1e308 and
  beyond, near-identical pairs, zeros on either side, any ``base`` > 0 other than 1, alpha
  near 0 and 1; bounded divergences never inf; nothing valid gives NaN;
* float32 input: accumulated in float64, returned as float32 (one rounding);
* ``f_divergence(p, q, name)`` equals the dedicated function to <= 4 ulp;
* broadcasting of ``p`` against ``q`` as NumPy broadcasts, with ``axis`` / ``keepdims``;
* ``base`` results independent of memory layout, negative for ``base < 1``.

Each measured failure of the first version is an explicit ``@example`` and a named case in
``test_measured_failure``.

Where the rule is not plain "relative error <= 1e-13" (see ``_mp_reference.mismatch``):

* results in the subnormal range: an absolute slack of 2 subnormal ulps per entry (divided
  by ``|log b|`` when that is < 1); the output format itself has no relative precision there;
* ``js_distance`` / ``hellinger``: compared through their squares (the divergence), so that
  slack applies before the square root (sqrt(1e-320) = 1e-160 is a normal number);
* ``gan`` = ``2 JS - log 4`` has ``f(1) = -log 4``: it is a difference of O(1) numbers by
  definition (condition number log 4 / |D| in the inputs), so its error is measured against
  ``max(|D|, log 4)``. divlab could do better only by summing ``sum p - 1`` exactly; the
  entry is a loss value, where absolute accuracy is what is used;
* ``js_distance`` with ``base < 1``: sqrt of a negative number, so ``ParameterError``
  (DESIGN 5: never NaN for valid input, parameter errors name the parameter);
* float32: one float32 ulp (the float64 result rounded once), and bounds compared in
  float32 (``float32(log 2) > log 2``);
* ``renyi``: the reference is the textbook value for the inputs treated as normalised,
  written in the one form that is well conditioned in the float inputs (see
  ``_mp_reference.renyi_ref``); the raw formula on float inputs whose sums are 1 only to
  1e-16 is not reproducible by any float64 code near ``p = q``.
"""

from __future__ import annotations

import functools
import math

import mpmath
import numpy as np
import pytest
import scipy.stats as sst
from _mp_reference import assert_matches, discrete_ref, fdiv_ref, mismatch
from hypothesis import example, given, settings
from hypothesis import strategies as st

import divlab
from divlab.errors import ParameterError, ShapeMismatchError

LOG2 = math.log(2.0)
LOG4 = math.log(4.0)

#: examples per property, driven by the active hypothesis profile (tests/conftest.py):
#: the mpmath-backed accuracy of each public function gets twice the profile's count
#: (dev: 200, ci: 120); the 4-ulp comparisons f_divergence vs dedicated function and the
#: registry entries through f_divergence against mpmath (each pins the other) half of it;
#: float32 (one extra rounding) a quarter
N_ACC = 2 * settings.default.max_examples
N_ULP = max(settings.default.max_examples // 2, 20)
N_REG = max(settings.default.max_examples // 2, 20)
N_F32 = max(settings.default.max_examples // 4, 20)

PAIR_FUNCS = (
    "kl",
    "reverse_kl",
    "js",
    "js_distance",
    "total_variation",
    "squared_hellinger",
    "hellinger",
    "pearson_chi2",
    "neyman_chi2",
    "jeffreys",
    "cross_entropy",
)
ALL_FUNCS = (*PAIR_FUNCS, "renyi", "alpha_divergence", "entropy")
BASE_FUNCS = frozenset(
    {"kl", "reverse_kl", "js", "js_distance", "jeffreys", "renyi", "entropy", "cross_entropy"}
)
#: upper bounds (natural log) of the bounded functions; each is also >= 0
UPPER = {
    "js": LOG2,
    "js_distance": math.sqrt(LOG2),
    "total_variation": 1.0,
    "squared_hellinger": 2.0,
    "hellinger": math.sqrt(2.0),
}
#: registry entry -> (dedicated function, factor, offset): f_divergence == factor*dedicated+offset
DEDICATED = {
    "kl": ("kl", 1.0, 0.0),
    "reverse_kl": ("reverse_kl", 1.0, 0.0),
    "pearson": ("pearson_chi2", 1.0, 0.0),
    "neyman": ("neyman_chi2", 1.0, 0.0),
    "squared_hellinger": ("squared_hellinger", 1.0, 0.0),
    "js": ("js", 1.0, 0.0),
    "fgan_js": ("js", 2.0, 0.0),
    "gan": ("js", 2.0, -LOG4),
    "total_variation": ("total_variation", 1.0, 0.0),
    "jeffreys": ("jeffreys", 1.0, 0.0),
}
#: registry entries with a finite upper bound (natural log): never inf
FDIV_UPPER = {"js": LOG2, "fgan_js": 2 * LOG2, "gan": 0.0, "total_variation": 1.0,
              "squared_hellinger": 2.0}
REGISTRY = tuple(DEDICATED)


def test_registry_is_the_one_pinned_here():
    """The tests below cover every built-in entry; a new entry needs a reference first."""
    assert set(divlab.FDIVERGENCES) == set(REGISTRY)


# ------------------------------------------------------------------------------------------
# strategies
# ------------------------------------------------------------------------------------------


def _unit(dtype) -> float:
    return float(np.finfo(dtype).smallest_subnormal)


def _is64(dtype) -> bool:
    return np.dtype(dtype) == np.float64


@functools.cache
def _weight(dtype):
    """One raw (unnormalised) weight drawn by hypothesis: ordinary, log-uniform down to
    1e-300 (1e-37 for float32), an exact subnormal, a listed subnormal, zero."""
    f64 = _is64(dtype)
    unit = _unit(dtype)
    mant = 2**52 - 1 if f64 else 2**23 - 1
    lo = -300.0 if f64 else -37.0
    sub = [5e-324, 1e-323, 1e-320, 1e-310, 2.2e-308] if f64 else [1.4e-45, 1e-42, 1e-39]
    return st.one_of(
        st.floats(0.01, 1.0),
        st.floats(lo, 0.0).map(lambda e: 10.0**e),
        st.integers(1, mant).map(lambda k: k * unit),  # exact subnormals
        st.sampled_from(sub),
        st.just(0.0),
    )


#: class probabilities (ordinary, log-uniform tiny, subnormal, zero) of the bulk entries
_MIXES = {
    "ordinary": (1.0, 0.0, 0.0, 0.0),
    "mixed": (0.4, 0.3, 0.15, 0.15),
    "tiny": (0.1, 0.5, 0.3, 0.1),
    "sparse": (0.3, 0.1, 0.1, 0.5),
}


def _bulk(rng: np.random.Generator, n: int, mix: str, dtype) -> np.ndarray:
    """``n`` raw weights from a seeded generator (cheap; hypothesis draws the seed and mix)."""
    f64 = _is64(dtype)
    lo = -300.0 if f64 else -37.0
    bits = 52 if f64 else 23
    cls = rng.choice(4, size=n, p=_MIXES[mix])
    ordinary = rng.uniform(0.01, 1.0, n)
    tiny = 10.0 ** rng.uniform(lo, 0.0, n)
    sub = np.floor(2.0 ** rng.uniform(0.0, bits, n)) * _unit(dtype)  # log-uniform subnormals
    return np.choose(cls, [ordinary, tiny, sub, np.zeros(n)])


def _normalise(w: np.ndarray, dtype) -> np.ndarray:
    """``w / sum(w)`` in float64; float32: cast, then the largest entry absorbs the rounding."""
    p = w / w.sum()
    if _is64(dtype):
        assert abs(math.fsum(p) - 1.0) < 1e-12
        return p
    p32 = p.astype(np.float32)
    i = int(np.argmax(p32))
    rest = math.fsum(float(v) for j, v in enumerate(p32) if j != i)
    p32[i] = np.float32(1.0 - rest)
    assert abs(math.fsum(p32.astype(np.float64)) - 1.0) < 2e-7
    return p32


# strategies are built once (hypothesis validates each new strategy object on first draw)
_ints = functools.cache(st.integers)
_MIX = st.sampled_from(list(_MIXES))
_ORDINARY = st.floats(0.01, 1.0)
_MODE = st.sampled_from(["independent", "near", "equal", "zeros"])
_SEED = st.integers(0, 2**32 - 1)
_DROP = st.sampled_from([0.0, 0.2, 1.0])
_KILL = st.sampled_from([0.3, 0.7, 1.0])
_SCALE = {True: st.floats(-15.0, -3.0), False: st.floats(-7.0, -3.0)}


def _vector(draw, n, dtype, rng):
    """A probability vector: a seeded bulk, up to 4 hypothesis-drawn hard entries, and one
    ordinary entry so that the mass is positive and the tiny entries stay tiny."""
    w = _bulk(rng, n, draw(_MIX), dtype)
    for _ in range(draw(_ints(0, min(n, 4)))):
        w[draw(_ints(0, n - 1))] = draw(_weight(dtype))
    w[draw(_ints(0, n - 1))] = draw(_ORDINARY)
    return _normalise(w, dtype)


@st.composite
def pairs(draw, dtype=np.float64, max_len=40):
    """``(p, q)``: valid probability vectors of length 1..max_len, normalised in float64
    (sums within 1e-12 of 1, not exactly 1), mixing ordinary entries, entries down to 1e-300,
    subnormals, zeros on either side (partial and disjoint supports), identical and
    near-identical pairs (relative perturbation 1e-15..1e-3, renormalised) and ratios p/q up
    to 1e323."""
    n = draw(_ints(1, max_len))
    rng = np.random.default_rng(draw(_SEED))
    p = _vector(draw, n, dtype, rng)
    mode = draw(_MODE)
    if mode == "equal":
        q = p.copy()
    elif mode == "near":
        scale = 10.0 ** draw(_SCALE[_is64(dtype)])
        q = p.astype(np.float64) * (1.0 + scale * rng.uniform(-1.0, 1.0, n))
        # zeros on one side: drop a few small entries of q (p keeps them)
        drop = (p < 1e-3) & (rng.random(n) < draw(_DROP))
        q[drop] = 0.0
        q = _normalise(q, dtype)
    else:
        q = _vector(draw, n, dtype, rng)
        if mode == "zeros":  # partial / disjoint supports
            q64 = q.astype(np.float64)
            q64[(p > 0) & (rng.random(n) < draw(_KILL))] = 0.0
            if q64.sum() == 0:
                q64 = np.where(p > 0, 0.0, 1.0) if np.any(p == 0) else q.astype(np.float64)
            q = _normalise(q64, dtype)
    if draw(st.booleans()):
        p, q = q, p
    return p, q


def bases():
    return st.one_of(
        st.none(),
        st.sampled_from([2.0, 10.0, 0.5, math.e]),
        st.floats(5e-324, 1.0, exclude_max=True),
        st.floats(1.0, 1e300, exclude_min=True),
    )


ALPHA_SPECIAL = [1e-14, -1e-14, 5e-324, 1 - 1e-12, 1 + 1e-12, -3.0, 0.5, 2.0, 50.0, -1.0, 0.0, 1.0]


def alphas_amari(allow_limits=True):
    special = ALPHA_SPECIAL if allow_limits else [a for a in ALPHA_SPECIAL if a not in (0, 1)]
    s = st.one_of(
        st.sampled_from(special),
        st.floats(-5.0, 5.0),
        st.floats(-50.0, 50.0),
        st.floats(-1e-6, 1e-6),
        st.floats(-1e-6, 1e-6).map(lambda e: 1.0 + e),
    )
    return s if allow_limits else s.filter(lambda a: a not in (0.0, 1.0))


def alphas_renyi():
    return st.one_of(
        st.sampled_from([0.0, 1.0, math.inf, 1e-14, 1 - 1e-12, 1 + 1e-12, 0.5, 2.0, 50.0]),
        st.floats(0.0, 5.0),
        st.floats(0.0, 100.0),
        st.floats(-1e-6, 1e-6).map(lambda e: 1.0 + e),
    )


# ------------------------------------------------------------------------------------------
# measured failures of the first version, and those the properties found since (each also
# an @example of the property it belongs to)
# ------------------------------------------------------------------------------------------

A = np.array
#: q holding 1e-310 (subnormal): p/q overflows
SUB_Q = (A([0.5, 0.5]), A([1.0 - 1e-310, 1e-310]))
#: f_divergence(reverse_kl) NaN: inf - inf from a subnormal q and a zero p
RKL_NAN = (A([0.5, 0.5, 0.0]), A([0.5, 1e-310, 0.5]))
#: f_divergence(reverse_kl) 0.0 where the truth is 743.7 (-inf clamped)
RKL_ZERO = (A([1.0, 1e-323]), A([1e-323, 1.0]))
#: pearson inf at q = 1e-195 ((p/q - 1)^2 overflows; truth 2.5e194)
PEARSON_Q = (A([0.5, 0.5]), A([1.0 - 1e-195, 1e-195]))
#: alpha_divergence at alpha = 1e-14 (2.6e-4 relative error on main)
ALPHA_PAIR = (A([0.9, 0.1]), A([0.1, 0.9]))
#: all the divergence sits in subnormal entries (p - q exact, (p - q)^2 underflows)
SUB_ONLY = (A([1.0, 3e-320]), A([1.0, 1e-320]))
#: a divergence term of 2.6e-313 (p = 2.6e-313, q = 5e-324) next to equal entries; found by
#: the properties: alpha_divergence at alpha = 1e-14 returned 0.0, at 1 - 1e-12 was 19 % off
SUB_TERM = (A([0.5, 0.5 - 2.58119889e-313, 2.58119889e-313]), A([0.5, 0.5, 5e-324]))
#: the mirror case (q = 2.4e-322 where p = 5e-324): alpha = 1e-14 and 1 - 1e-12 gave 0.0
SUB_TERM_Q = (A([0.5, 0.5, 5e-324]), A([0.5, 0.5, 2.3715151e-322]))
#: p = 1e-300 where q = 0, the rest equal: sum p = 1 + 1e-300 != sum q (renyi convention)
ONE_SIDED = (A([0.5, 0.5, 1e-300]), A([0.5, 0.5, 0.0]))
#: p/q = 3e-310 on one entry: renyi at small alpha must keep that entry's p^a q^(1-a) ~ q
#: (a clip of (alpha - 1) log(p/q) at 700 dropped it: 0.223 where the truth is 1.4e-12)
RENYI_CLIP = (A([0.5, 6.5e-311, 0.5]), A([0.4, 0.2, 0.4]))
#: alpha = 5e-324: q f(0) = q / alpha = 1e-76 / 5e-324 = 2e247 is finite (1/alpha is not)
TINY_ALPHA_Q = (A([1.0, 0.0]), A([1.0, 1e-76]))
#: Q(p > 0) = 1e-12: D_0 = -log(Q(p > 0) / sum q) = 27.63; -log1p(-Q(p = 0)) cancels (8e-7 off)
SMALL_SUPPORT = (A([0.0, 1.0]), A([1.0 - 1e-12, 1e-12]))
#: (p - q)^2 / q = 5.9e284 from p = 6.9e-19 over a subnormal q = 8.1e-322 (163 ulps): the
#: properties found it 1.03e-13 off (an exp/log detour costs |log x| ulps)
PEARSON_SUB = (A([1.0, 6.8893591001970655e-19]), A([1.0, 8.0532700272123187e-322]))
#: a support of mass 3.2e-315 (subnormal): D_0 = 724.1, not inf
SUBNORMAL_SUPPORT = (A([0.0, 1.0]), A([1.0, 3.21394704e-315]))
#: identical, full support, float sum 0.9999999999999999: every divergence is exactly 0
TENTHS = (A([0.1] * 10), A([0.1] * 10))
ORDINARY = (A([0.2, 0.3, 0.5]), A([0.1, 0.6, 0.3]))

MEASURED = {
    "kl_subnormal_q_inf": ("kl", SUB_Q, {}),
    "fdiv_reverse_kl_nan": ("f_divergence:reverse_kl", RKL_NAN, {}),
    "fdiv_reverse_kl_zero": ("f_divergence:reverse_kl", RKL_ZERO, {}),
    "fdiv_total_variation_inf": ("f_divergence:total_variation", SUB_Q, {}),
    "fdiv_squared_hellinger_inf": ("f_divergence:squared_hellinger", SUB_Q, {}),
    "fdiv_js_inf": ("f_divergence:js", SUB_Q, {}),
    "fdiv_pearson_inf": ("f_divergence:pearson", PEARSON_Q, {}),
    "kl_base_half": ("kl", ORDINARY, {"base": 0.5}),
    "pearson_subnormal_q_5.9e284": ("pearson_chi2", PEARSON_SUB, {}),
    "neyman_subnormal_p_5.9e284": ("neyman_chi2", PEARSON_SUB[::-1], {}),
    "fdiv_pearson_subnormal_q_5.9e284": ("f_divergence:pearson", PEARSON_SUB, {}),
    "alpha_1e-14": ("alpha_divergence", ALPHA_PAIR, {"alpha": 1e-14}),
    "alpha_1-1e-12": ("alpha_divergence", ALPHA_PAIR, {"alpha": 1 - 1e-12}),
    "alpha_1+1e-12_subnormal": ("alpha_divergence", SUB_Q, {"alpha": 1 + 1e-12}),
    "alpha_1e-14_subnormal_term": ("alpha_divergence", SUB_TERM, {"alpha": 1e-14}),
    "alpha_1-1e-12_subnormal_term": ("alpha_divergence", SUB_TERM, {"alpha": 1 - 1e-12}),
    "alpha_1e-14_subnormal_term_q": ("alpha_divergence", SUB_TERM_Q, {"alpha": 1e-14}),
    "alpha_5e-324": ("alpha_divergence", ALPHA_PAIR, {"alpha": 5e-324}),
    "alpha_5e-324_zero_p": ("alpha_divergence", TINY_ALPHA_Q, {"alpha": 5e-324}),
    "fdiv_alpha_5e-324_zero_p": ("f_divergence:alpha", TINY_ALPHA_Q, {"alpha": 5e-324}),
    "renyi_1e-14": ("renyi", ALPHA_PAIR, {"alpha": 1e-14}),
    "renyi_1e-14_one_sided": ("renyi", ONE_SIDED, {"alpha": 1e-14}),
    "renyi_1e-14_subnormal_term": ("renyi", SUB_TERM, {"alpha": 1e-14}),
    "renyi_1e-14_tiny_ratio": ("renyi", RENYI_CLIP, {"alpha": 1e-14}),
    "renyi_1e-3_tiny_ratio": ("renyi", RENYI_CLIP, {"alpha": 1e-3}),
    "renyi_0_identical": ("renyi", TENTHS, {"alpha": 0.0}),
    "renyi_0_small_support_mass": ("renyi", SMALL_SUPPORT, {"alpha": 0.0}),
    "renyi_0_subnormal_support_mass": ("renyi", SUBNORMAL_SUPPORT, {"alpha": 0.0}),
    "renyi_half_identical": ("renyi", TENTHS, {"alpha": 0.5}),
}


def _call(func, p, q=None, *, alpha=None, base=None, **kw):
    if func.startswith("f_divergence:"):
        name = func.split(":", 1)[1]
        if alpha is not None:
            kw["alpha"] = alpha
        return divlab.f_divergence(p, q, name, **kw)
    f = getattr(divlab, func)
    args = (p,) if func == "entropy" else (p, q)
    if func in ("renyi", "alpha_divergence"):
        args += (alpha,)
    if base is not None:
        kw["base"] = base
    return f(*args, **kw)


def _reference(func, p, q, *, alpha=None, base=None):
    if func.startswith("f_divergence:"):
        return fdiv_ref(func.split(":", 1)[1], p, q, alpha=alpha)
    return discrete_ref(func, p, q, alpha=alpha, base=base)


def _check(func, p, q, *, alpha=None, base=None, dtype=np.float64):
    """Call ``func`` and compare with the reference under the common rule."""
    if func == "js_distance" and base is not None and base < 1:
        # sqrt(JS / log b) is not real for b < 1: an invalid parameter, not NaN (DESIGN 5)
        with pytest.raises(ParameterError, match="base"):
            _call(func, p, q, base=base)
        return
    got = _call(func, p, q, alpha=alpha, base=base)
    # (the result *type* -- NumPy scalar -- is pinned in test_discrete_backends.py; here only
    # the dtype, so that value errors show up separately)
    ref = _reference(func, p, q, alpha=alpha, base=base)
    kw = {"dtype": dtype, "n_terms": len(p), "log_base": base}
    name = func.split(":", 1)[-1]
    if name == "gan":  # 2 JS - log 4: a difference of O(1) numbers by definition
        kw["abs_scale"] = LOG4
    if func == "renyi" and alpha is not None and math.isfinite(alpha):
        kw["n_terms"] = len(p) * max(1.0, abs(alpha))
    if func in ("js_distance", "hellinger"):
        # a square root: the subnormal-range slack applies to its square (the divergence);
        # g * g in float64 is exact to 1e-16, so the bound is effectively on g
        g = float(got)
        assert not math.isnan(g), f"{func}: got NaN, reference {ref}"
        assert np.asarray(got).dtype == dtype, f"{func}: dtype {np.asarray(got).dtype}"
        with mpmath.workdps(60):
            rtol = 2e-13 if np.dtype(dtype) == np.float64 else 2.0**-22
            why = mismatch(np.float64(g * g), ref**2, rtol=rtol, n_terms=len(p), log_base=base)
        assert why is None, (f"{func}: got {g!r}, reference {mpmath.nstr(ref, 17)}; "
                             f"compared as squares: {why}")
    else:
        assert_matches(got, ref, **kw)
    g = float(got)
    # bounds, in the output dtype (float32(log 2) rounds above the float64 log 2)
    dt = np.dtype(dtype).type
    if name in UPPER and base is None and not func.startswith("f_divergence:"):
        assert 0.0 <= g <= dt(UPPER[name]), f"{func} = {g!r} outside [0, {UPPER[name]!r}]"
    if func.startswith("f_divergence:") and name in FDIV_UPPER:
        # not clamped by the convention: sum p, sum q may exceed 1 by rounding
        bound = float(dt(FDIV_UPPER[name])) + 1e-12  # float32(log 2) > log 2
        assert math.isfinite(g) and g <= bound, f"{func} = {g!r}"


@pytest.mark.parametrize(("func", "pq", "kw"), list(MEASURED.values()), ids=list(MEASURED))
def test_measured_failure(func, pq, kw):
    p, q = pq
    _check(func, p, q, **kw)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("base", [0.5, 2.0, 1e-300, 1.0 + 2.0**-40])
@pytest.mark.parametrize("func", sorted(BASE_FUNCS - {"js_distance"}))
def test_base_batch_any_layout(func, base, order):
    """``base`` on a 2-D batch: the per-row references, whatever the memory layout.

    On main ``kl(..., base=0.5)`` gave the negative (correct) values for a C-ordered batch
    and 0.0 for the same batch F-ordered (the fast path clamped after the base change).
    """
    rows_p = [ORDINARY[0], A([0.5, 0.25, 0.25]), A([1.0, 0.0, 0.0]), A([0.1, 0.1, 0.8])]
    rows_q = [ORDINARY[1], A([0.25, 0.25, 0.5]), A([0.5, 0.25, 0.25]), A([0.1, 0.1, 0.8])]
    P = np.array(rows_p, order=order)
    Q = np.array(rows_q, order=order)
    alpha = 2.0 if func == "renyi" else None
    got = _call(func, P, Q if func != "entropy" else None, alpha=alpha, base=base)
    assert isinstance(got, np.ndarray) and got.shape == (4,) and got.dtype == np.float64
    gotT = _call(func, P.T.copy(order=order), Q.T.copy(order=order) if func != "entropy" else None,
                 alpha=alpha, base=base, axis=0)
    for i, (p, q) in enumerate(zip(rows_p, rows_q, strict=True)):
        ref = discrete_ref(func, p, q, alpha=alpha, base=base)
        assert_matches(got[i], ref, n_terms=3, log_base=base)
        assert_matches(gotT[i], ref, n_terms=3, log_base=base)
        if base < 1 and ref != 0:
            assert got[i] < 0  # a positive divergence in a base < 1 is negative, not clamped


# ------------------------------------------------------------------------------------------
# accuracy properties (float64)
# ------------------------------------------------------------------------------------------


def _measured_examples(fn):
    """The measured failures (and the subnormal-only pair) as @examples of a pair property."""
    for pq in (SUB_Q, RKL_NAN, RKL_ZERO, PEARSON_Q, ALPHA_PAIR, SUB_ONLY, SUB_TERM, SUB_TERM_Q,
               TENTHS, PEARSON_SUB, PEARSON_SUB[::-1]):
        fn = example(pq=pq, base=None)(fn)
    fn = example(pq=ORDINARY, base=0.5)(fn)
    fn = example(pq=SUB_Q, base=0.5)(fn)
    return fn


@pytest.mark.parametrize("func", PAIR_FUNCS)
@settings(max_examples=N_ACC)
@_measured_examples
@given(pq=pairs(), base=bases())
def test_pair_function_accuracy(func, pq, base):
    p, q = pq
    _check(func, p, q, base=base if func in BASE_FUNCS else None)


@settings(max_examples=N_ACC)
@example(pq=ORDINARY, base=0.5)
@example(pq=(A([1.0, 0.0]), A([0.5, 0.5])), base=None)
@example(pq=(A([1.0 - 2.0**-53, 2.0**-53]), A([0.5, 0.5])), base=None)
@example(pq=(A([0.5, 0.5 - 1e-310, 1e-310]), A([1.0, 0.0, 0.0])), base=0.5)
@given(pq=pairs(), base=bases())
def test_entropy_accuracy(pq, base):
    p, _ = pq
    _check("entropy", p, None, base=base)


@settings(max_examples=N_ACC)
@example(pq=ALPHA_PAIR, alpha=1e-14)
@example(pq=ALPHA_PAIR, alpha=1 - 1e-12)
@example(pq=ALPHA_PAIR, alpha=1 + 1e-12)
@example(pq=SUB_Q, alpha=1e-14)
@example(pq=SUB_Q, alpha=1 + 1e-12)
@example(pq=SUB_Q, alpha=-3.0)
@example(pq=SUB_Q, alpha=50.0)
@example(pq=RKL_ZERO, alpha=0.5)
@example(pq=SUB_ONLY, alpha=2.0)
@example(pq=SUB_TERM, alpha=1e-14)
@example(pq=SUB_TERM, alpha=1 - 1e-12)
@example(pq=SUB_TERM_Q, alpha=1e-14)
@example(pq=SUB_TERM_Q, alpha=1 - 1e-12)
@example(pq=ALPHA_PAIR, alpha=5e-324)
@example(pq=TINY_ALPHA_Q, alpha=5e-324)
@given(pq=pairs(), alpha=alphas_amari())
def test_alpha_divergence_accuracy(pq, alpha):
    p, q = pq
    _check("alpha_divergence", p, q, alpha=alpha)


@settings(max_examples=N_ACC)
@example(pq=ALPHA_PAIR, alpha=1e-14, base=None)
@example(pq=ALPHA_PAIR, alpha=1 + 1e-12, base=None)
@example(pq=SUB_Q, alpha=1 - 1e-12, base=None)
@example(pq=SUB_Q, alpha=math.inf, base=None)
@example(pq=SUB_Q, alpha=0.0, base=0.5)
@example(pq=(A([1.0, 0.0]), A([0.0, 1.0])), alpha=0.5, base=None)
@example(pq=(A([0.5, 0.5]), A([1.0 - 1e-300, 1e-300])), alpha=0.5, base=None)
@example(pq=SUB_ONLY, alpha=2.0, base=None)
@example(pq=SUB_TERM, alpha=1e-14, base=None)
@example(pq=ONE_SIDED, alpha=1e-14, base=None)
@example(pq=ONE_SIDED, alpha=0.0, base=None)
@example(pq=ONE_SIDED, alpha=math.inf, base=None)
@example(pq=RENYI_CLIP, alpha=1e-14, base=None)
@example(pq=TENTHS, alpha=0.0, base=None)
@example(pq=SMALL_SUPPORT, alpha=0.0, base=None)
@example(pq=SUBNORMAL_SUPPORT, alpha=0.0, base=None)
@example(pq=TENTHS, alpha=0.5, base=None)
@example(pq=RENYI_CLIP, alpha=1e-3, base=2.0)
@given(pq=pairs(), alpha=alphas_renyi(), base=bases())
def test_renyi_accuracy(pq, alpha, base):
    p, q = pq
    _check("renyi", p, q, alpha=alpha, base=base)


@pytest.mark.parametrize("name", REGISTRY)
@settings(max_examples=N_REG)
@_measured_examples
@given(pq=pairs(), base=st.none())
def test_f_divergence_accuracy(name, pq, base):
    p, q = pq
    _check(f"f_divergence:{name}", p, q)


@settings(max_examples=N_ACC)
@example(pq=ALPHA_PAIR, alpha=1e-14)
@example(pq=ALPHA_PAIR, alpha=1 - 1e-12)
@example(pq=SUB_Q, alpha=1 + 1e-12)
@example(pq=SUB_Q, alpha=-3.0)
@example(pq=RKL_NAN, alpha=0.5)
@example(pq=SUB_TERM, alpha=1e-14)
@example(pq=SUB_TERM_Q, alpha=1 - 1e-12)
@example(pq=TINY_ALPHA_Q, alpha=5e-324)
@given(pq=pairs(), alpha=alphas_amari(allow_limits=False))
def test_f_divergence_alpha_accuracy(pq, alpha):
    p, q = pq
    _check("f_divergence:alpha", p, q, alpha=alpha)


# ------------------------------------------------------------------------------------------
# float32: accumulated in float64, returned as float32
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("func", [*ALL_FUNCS, *(f"f_divergence:{n}" for n in REGISTRY)])
@settings(max_examples=N_F32)
@example(pq=(A([0.5, 0.5], dtype=np.float32), A([1.0, 1e-40], dtype=np.float32)), base=None,
         alpha=0.5)
@example(pq=(A([0.5, 0.5], dtype=np.float32), A([1.0, 1e-20], dtype=np.float32)), base=2.0,
         alpha=2.0)
@example(pq=(A([1.0, 3e-43], dtype=np.float32), A([1.0, 1e-43], dtype=np.float32)), base=None,
         alpha=1e-14)
@given(pq=pairs(dtype=np.float32), base=bases(), alpha=st.sampled_from([0.5, 2.0, 1e-14]))
def test_float32_accuracy(func, pq, base, alpha):
    p, q = pq
    assert p.dtype == q.dtype == np.float32
    _check(
        func,
        p,
        q,
        alpha=alpha if func in ("renyi", "alpha_divergence") else None,
        base=base if func in BASE_FUNCS else None,
        dtype=np.float32,
    )


# ------------------------------------------------------------------------------------------
# f_divergence(p, q, name) == the dedicated function to <= 4 ulp
# ------------------------------------------------------------------------------------------


def _ulp_close(a, b, k=4, abs_ulp_of=None) -> bool:
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return False
    if math.isinf(a) or math.isinf(b):
        return a == b
    ref = max(abs(a), abs(b)) if abs_ulp_of is None else abs_ulp_of
    return abs(a - b) <= k * float(np.spacing(np.float64(ref)))


@pytest.mark.parametrize("name", REGISTRY)
@settings(max_examples=N_ULP)
@_measured_examples
@given(pq=pairs(), base=st.none())
def test_f_divergence_equals_dedicated(name, pq, base):
    p, q = pq
    func, factor, offset = DEDICATED[name]
    got = divlab.f_divergence(p, q, name)
    ded = getattr(divlab, func)(p, q)
    want = factor * float(ded) + offset
    # gan = 2 js - log 4: "a few ulp" of the operands (log 4), the subtraction cancels
    scale = LOG4 if offset else None
    assert _ulp_close(got, want, abs_ulp_of=scale), (
        f"f_divergence(p, q, {name!r}) = {float(got)!r}, "
        f"{factor:g} * {func} + {offset:g} = {want!r}"
    )


@settings(max_examples=N_ULP)
@example(pq=ALPHA_PAIR, alpha=1e-14)
@example(pq=SUB_Q, alpha=1 + 1e-12)
@example(pq=SUB_Q, alpha=-3.0)
@given(pq=pairs(), alpha=alphas_amari(allow_limits=False))
def test_f_divergence_alpha_equals_alpha_divergence(pq, alpha):
    p, q = pq
    got = divlab.f_divergence(p, q, "alpha", alpha=alpha)
    want = divlab.alpha_divergence(p, q, alpha)
    assert _ulp_close(got, want), (
        f"f_divergence alpha={alpha!r}: {float(got)!r} vs alpha_divergence {float(want)!r}"
    )


# ------------------------------------------------------------------------------------------
# broadcasting p against q, with axis / keepdims
# ------------------------------------------------------------------------------------------


def _rand_pmf(rng, shape, axis=-1):
    x = rng.random(shape) + 0.05
    return x / x.sum(axis=axis, keepdims=True)


BROADCAST_FUNCS = (*PAIR_FUNCS, "renyi", "alpha_divergence", "f_divergence:js",
                   "f_divergence:gan")


def _bcall(func, p, q, **kw):
    alpha = 2.0 if func == "renyi" else 0.5 if func == "alpha_divergence" else None
    return _call(func, p, q, alpha=alpha, **kw)


@pytest.mark.parametrize("func", BROADCAST_FUNCS)
def test_broadcast_last_axis(func):
    rng = np.random.default_rng(1)
    p = _rand_pmf(rng, (3, 1, 5))
    q = _rand_pmf(rng, (4, 5))
    got = _bcall(func, p, q, axis=-1)
    assert isinstance(got, np.ndarray) and got.shape == (3, 4) and got.dtype == np.float64
    loop = np.array([[float(_bcall(func, p[i, 0], q[j])) for j in range(4)] for i in range(3)])
    np.testing.assert_allclose(got, loop, rtol=1e-14, atol=0)
    kept = _bcall(func, p, q, axis=-1, keepdims=True)
    assert kept.shape == (3, 4, 1)
    np.testing.assert_allclose(kept[..., 0], loop, rtol=1e-14, atol=0)


@pytest.mark.parametrize("func", BROADCAST_FUNCS)
def test_broadcast_axis0(func):
    rng = np.random.default_rng(2)
    p = _rand_pmf(rng, (5, 1), axis=0)
    q = _rand_pmf(rng, (5, 3), axis=0)
    got = _bcall(func, p, q, axis=0)
    assert isinstance(got, np.ndarray) and got.shape == (3,)
    loop = np.array([float(_bcall(func, p[:, 0], q[:, j])) for j in range(3)])
    np.testing.assert_allclose(got, loop, rtol=1e-14, atol=0)
    kept = _bcall(func, p, q, axis=0, keepdims=True)
    assert kept.shape == (1, 3)
    np.testing.assert_allclose(kept[0], loop, rtol=1e-14, atol=0)


@pytest.mark.parametrize(
    ("shape_p", "shape_q", "axis"),
    [((3, 5), (4, 5), -1), ((5,), (4,), -1), ((2, 5), (5, 3), 0), ((3, 1, 5), (4, 6), -1)],
)
@pytest.mark.parametrize("func", BROADCAST_FUNCS)
def test_broadcast_mismatch_raises(func, shape_p, shape_q, axis):
    rng = np.random.default_rng(3)
    p = _rand_pmf(rng, shape_p, axis=axis)
    q = _rand_pmf(rng, shape_q, axis=axis)
    with pytest.raises(ShapeMismatchError) as info:
        _bcall(func, p, q, axis=axis)
    msg = str(info.value)
    assert str(shape_p) in msg and str(shape_q) in msg, msg


@pytest.mark.parametrize(
    ("shape_p", "shape_q", "axis"),
    [((3, 1, 5), (4, 5), -1), ((5, 1), (5, 3), 0), ((1, 6), (4, 6), 1), ((2, 7, 1), (7, 3), -2)],
)
def test_kl_broadcast_matches_scipy_entropy(shape_p, shape_q, axis):
    rng = np.random.default_rng(4)
    p = _rand_pmf(rng, shape_p, axis=axis)
    q = _rand_pmf(rng, shape_q, axis=axis)
    got = divlab.kl(p, q, axis=axis)
    want = sst.entropy(p, q, axis=axis)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=0)
