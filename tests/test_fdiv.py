"""Tests of divlab.fdiv: every registry entry against independent references.

References: finite differences (f', f'(1), g_f', (f* o g_f)'), a numerical supremum of
``u t - f(u)`` (dense grid + scipy.optimize.minimize_scalar) for f*, a numerical
biconjugate for f** = f, mpmath high precision for the fused f* o g_f, the lecture's T*
column as independent formulas, and direct sums for the variational bound.
"""

from __future__ import annotations

import math
import warnings

import mpmath as mp
import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

from divlab.errors import NotConvexError, ParameterError
from divlab.fdiv import (
    FDIVERGENCES,
    LECTURE_TABLE,
    FDivergence,
    Interval,
    get_fdivergence,
    register_fdivergence,
)

BUILTIN = (
    "kl",
    "reverse_kl",
    "pearson",
    "neyman",
    "squared_hellinger",
    "js",
    "fgan_js",
    "gan",
    "total_variation",
    "jeffreys",
)
ALPHAS = (3.0, 2.0, 1.5, 0.5, 0.3, -1.0, -0.5)
SPECS = [(n, {}) for n in BUILTIN] + [("alpha", {"alpha": a}) for a in ALPHAS]
IDS = [n if not p else f"alpha={p['alpha']:g}" for n, p in SPECS]
LOG2 = math.log(2.0)


def _get(spec):
    name, params = spec
    return get_fdivergence(name, **params)


@pytest.fixture(params=SPECS, ids=IDS)
def fd(request) -> FDivergence:
    return _get(request.param)


def _alpha(fd: FDivergence) -> float | None:
    return dict(fd.params).get("alpha")


# ---------------------------------------------------------------------------------------
# independent numerical references
# ---------------------------------------------------------------------------------------


def f_np(fd, u):
    return np.asarray(fd.f(np.asarray(u, dtype=np.float64)), dtype=np.float64)


def numerical_sup(fd, t: float) -> float:
    """sup_{u >= 0} (u t - f(u)): grid over [0] + [1e-12, 1e12], refined by Brent."""
    u = np.concatenate([[0.0], np.geomspace(1e-12, 1e12, 4001)])
    with np.errstate(all="ignore"):
        vals = u * t - f_np(fd, u)
    vals = np.where(np.isnan(vals), -np.inf, vals)
    i = int(np.argmax(vals))
    best = float(vals[i])
    lo, hi = u[max(i - 1, 0)], u[min(i + 1, len(u) - 1)]
    if hi > lo:
        res = minimize_scalar(
            lambda x: -(x * t - float(f_np(fd, [x])[0])),
            bounds=(lo, hi),
            method="bounded",
            options={"xatol": 1e-14 * max(hi, 1e-300)},
        )
        best = max(best, -float(res.fun))
    return best


def probe_t(fd) -> np.ndarray:
    """In-domain t values with maximiser u* in [1e-5, 1e5], plus t below f'(0+)."""
    u = np.geomspace(1e-5, 1e5, 21)
    t = np.asarray(fd.f_prime(u))
    extra = np.asarray([-30.0, -6.0, -3.0, -2.5, -1.5, -0.75, -0.6, -0.4])
    t = np.concatenate([t, extra])
    t = t[np.isfinite(t) & np.asarray(fd.conjugate_domain.contains(t))]
    return np.unique(t)


# ---------------------------------------------------------------------------------------
# registry and interface
# ---------------------------------------------------------------------------------------


def test_registry_contents_and_read_only():
    assert set(BUILTIN) <= set(FDIVERGENCES)
    assert LECTURE_TABLE == ("kl", "reverse_kl", "pearson", "squared_hellinger", "fgan_js", "gan")
    for name in BUILTIN:
        assert FDIVERGENCES[name].name == name
    with pytest.raises(TypeError):
        FDIVERGENCES["kl"] = FDIVERGENCES["js"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        FDIVERGENCES["kl"].name = "x"  # frozen dataclass


def test_get_fdivergence_lookup_and_errors():
    assert get_fdivergence("KL") is FDIVERGENCES["kl"]
    assert get_fdivergence("reverse-kl") is FDIVERGENCES["reverse_kl"]
    fd = FDIVERGENCES["gan"]
    assert get_fdivergence(fd) is fd
    assert get_fdivergence("alpha", alpha=2) == get_fdivergence("alpha", alpha=2.0)
    assert get_fdivergence("alpha", alpha=2) != get_fdivergence("alpha", alpha=3)
    with pytest.raises(ParameterError, match="'kl'") as exc:
        get_fdivergence("kullback")
    assert "'kullback'" in str(exc.value) and "`spec`" in str(exc.value)
    assert "'fgan_js'" in str(exc.value)
    with pytest.raises(ValueError):  # ParameterError is a ValueError
        get_fdivergence("nope")
    with pytest.raises(ParameterError, match="no parameters"):
        get_fdivergence("kl", alpha=2)
    with pytest.raises(ParameterError, match="missing"):
        get_fdivergence("alpha")
    with pytest.raises(ParameterError, match="unexpected"):
        get_fdivergence("alpha", alpha=2, beta=1)
    with pytest.raises(ParameterError):
        get_fdivergence(fd, alpha=2)
    with pytest.raises(ParameterError):
        get_fdivergence(3)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, 1, 0.0, 1.0, math.nan, math.inf, -math.inf, "x", None])
def test_bad_alpha(bad):
    with pytest.raises(ParameterError, match="`alpha`"):
        get_fdivergence("alpha", alpha=bad)


def test_interval():
    dom = Interval(-math.inf, LOG2)
    assert str(dom) == "t < log 2"
    assert dom.latex() == r"t < \log 2"
    assert str(Interval(-math.inf, 0.5, hi_closed=True)) == "t <= 1/2"
    assert str(Interval()) == "t ∈ ℝ"
    assert str(Interval(-1.0, 2.0, lo_closed=True)) == "-1 <= t < 2"
    got = np.asarray(dom.contains([-np.inf, 0.0, LOG2, np.inf, np.nan]))
    assert got.tolist() == [False, True, False, False, False]  # +-inf are not real numbers
    closed = Interval(-math.inf, 1.0, hi_closed=True)
    assert np.asarray(closed.contains([1.0, np.nextafter(1.0, 2.0)])).tolist() == [True, False]
    assert Interval(-math.inf, 1.0).scaled(2.0) == Interval(-math.inf, 2.0)
    with pytest.raises(ParameterError):
        Interval(1.0, 0.0)


def test_attributes_and_latex(fd):
    assert set(fd.latex) == {
        "f",
        "conjugate",
        "activation",
        "domain",
        "optimal_critic",
        "divergence",
    }
    assert all(isinstance(v, str) and v for v in fd.latex.values())
    assert isinstance(fd.display_name, str) and fd.display_name
    for attr in ("f_prime_at_1", "f_at_0", "f_prime_at_inf", "f_at_1"):
        assert isinstance(getattr(fd, attr), float)
    if fd.name in LECTURE_TABLE:
        assert fd.lecture_row is not None and fd.lecture_latex is not None
    else:
        assert fd.lecture_row is None


# ---------------------------------------------------------------------------------------
# f, f', limits
# ---------------------------------------------------------------------------------------


def test_f_at_1_and_f_prime_at_1(fd):
    assert float(fd.f(1.0)) == pytest.approx(fd.f_at_1, abs=1e-15)
    assert float(fd.f_prime(1.0)) == pytest.approx(fd.f_prime_at_1, abs=1e-15)
    h = 1e-5  # central difference at 1 (TV: the symmetric subgradient 0)
    fd1 = (float(fd.f(1.0 + h)) - float(fd.f(1.0 - h))) / (2 * h)
    assert fd1 == pytest.approx(fd.f_prime_at_1, abs=1e-8)
    expected_f1 = -math.log(4.0) if fd.name == "gan" else 0.0
    assert fd.f_at_1 == pytest.approx(expected_f1, abs=1e-15)


def test_f_prime_vs_finite_differences(fd):
    u = np.geomspace(1e-3, 1e3, 61)
    u = u[np.abs(u - 1.0) > 1e-3]  # TV has its kink at 1
    h = 1e-6 * u
    numeric = (f_np(fd, u + h) - f_np(fd, u - h)) / (2 * h)
    np.testing.assert_allclose(fd.f_prime(u), numeric, rtol=1e-6, atol=1e-7)


def test_limits_f0_and_fprime_inf(fd):
    # f(0) = lim f(u), f'(inf) = lim f'(u) = lim f(u)/u (f convex)
    if math.isfinite(fd.f_at_0):
        assert float(fd.f(1e-60)) == pytest.approx(fd.f_at_0, abs=1e-9)
    else:
        assert float(fd.f(1e-200)) > 50.0
        assert float(fd.f(1e-300)) > float(fd.f(1e-200))
    assert float(fd.f(0.0)) == fd.f_at_0
    if math.isfinite(fd.f_prime_at_inf):
        assert float(fd.f_prime(1e14)) == pytest.approx(fd.f_prime_at_inf, abs=1e-5)
        assert float(fd.f(1e14)) / 1e14 == pytest.approx(fd.f_prime_at_inf, abs=1e-5)
    else:
        assert float(fd.f_prime(1e200)) > 50.0
    assert float(fd.f_prime(np.inf)) == fd.f_prime_at_inf
    # the domain of f* ends at f'(inf) (lo = -inf for every generator on [0, inf))
    assert fd.conjugate_domain.hi == fd.f_prime_at_inf
    assert fd.conjugate_domain.lo == -math.inf


def test_f_outside_half_line(fd):
    assert float(fd.f(-0.5)) == math.inf
    assert math.isnan(float(fd.f_prime(-0.5)))


# ---------------------------------------------------------------------------------------
# conjugate
# ---------------------------------------------------------------------------------------


def test_conjugate_vs_numerical_sup(fd):
    t = probe_t(fd)
    assert t.size >= 10
    ref = np.asarray([numerical_sup(fd, float(ti)) for ti in t])
    np.testing.assert_allclose(fd.conjugate(t), ref, rtol=1e-8, atol=1e-9)


def test_conjugate_outside_domain_is_inf(fd):
    hi = fd.conjugate_domain.hi
    if math.isinf(hi):
        t = np.asarray([50.0, 500.0])  # f* finite and increasing on R
        assert np.all(np.isfinite(fd.conjugate(t)))
        return
    t = np.asarray([hi + 1e-9, hi + 0.5, hi + 3.0, 1e300, np.inf])
    np.testing.assert_array_equal(fd.conjugate(t), np.inf)
    # independent check that the supremum is unbounded just outside: u t - f(u) grows
    u = np.asarray([1e4, 1e6, 1e8])
    vals = u * (hi + 0.5) - f_np(fd, u)
    assert np.all(np.diff(vals) > 1.0)
    # at the end point itself: finite iff the domain is closed
    assert math.isfinite(float(fd.conjugate(hi))) == fd.conjugate_domain.hi_closed


def test_conjugate_limits(fd):
    assert float(fd.conjugate(-np.inf)) == -fd.f_at_0
    assert float(fd.conjugate(np.inf)) == np.inf
    assert math.isnan(float(fd.conjugate(np.nan)))


def test_biconjugate(fd):
    """f**(u) = sup_t (u t - f*(t)) = f(u): uniform t grid in dom f*, refined by Brent."""
    u = np.geomspace(0.05, 20.0, 13)
    hi = fd.conjugate_domain.hi
    t_lo = min(-5.0, float(fd.f_prime(0.04)) - 1.0)
    t_hi = min(float(fd.f_prime(25.0)) + 1.0, hi if fd.conjugate_domain.hi_closed else
               np.nextafter(hi, -np.inf))  # fmt: skip
    t = np.linspace(t_lo, t_hi, 20001)
    ft = np.asarray(fd.conjugate(t))
    fss = []
    for ui in u:
        vals = ui * t - ft
        i = int(np.argmax(vals))
        lo, up = t[max(i - 1, 0)], t[min(i + 1, t.size - 1)]
        res = minimize_scalar(
            lambda s, ui=ui: -(ui * s - float(fd.conjugate(s))),
            bounds=(lo, up),
            method="bounded",
            options={"xatol": 1e-13},
        )
        fss.append(max(float(vals[i]), -float(res.fun)))
    np.testing.assert_allclose(fss, f_np(fd, u), rtol=1e-8, atol=1e-8)


@settings(max_examples=40)
@given(
    spec=st.sampled_from(SPECS),
    u=st.floats(1e-6, 1e6),
    t=st.floats(-50.0, 50.0),
)
@example(spec=("pearson", {}), u=0.5, t=-3.0)
@example(spec=("total_variation", {}), u=2.0, t=-0.9)
def test_fenchel_young(spec, u, t):
    fd = _get(spec)
    fu = float(fd.f(u))
    ft = float(fd.conjugate(t))
    assert fu + ft >= u * t - 1e-9 * (1.0 + abs(u * t) + abs(fu))
    # equality at t = f'(u)
    tu = float(fd.f_prime(u))
    ftu = float(fd.conjugate(tu))
    scale = 1.0 + abs(u * tu) + abs(fu)
    assert fu + ftu == pytest.approx(u * tu, abs=1e-10 * scale)


# ---------------------------------------------------------------------------------------
# activation and the fused conjugate
# ---------------------------------------------------------------------------------------

WIDE = st.one_of(
    st.floats(-1e3, 1e3),
    st.sampled_from([-1e300, -1e4, -745.5, -700.0, -88.0, -40.0, 37.0, 40.0, 88.0, 700.0, 1e4]),
    st.floats(-1e308, 1e308),
)


@settings(max_examples=60)
@given(spec=st.sampled_from(SPECS), v=WIDE, dtype=st.sampled_from([np.float64, np.float32]))
def test_activation_maps_into_domain(spec, v, dtype):
    fd = _get(spec)
    with np.errstate(over="ignore"):
        x = np.asarray([v], dtype=dtype)
    assume(np.isfinite(x[0]))
    g = fd.activation(x)
    assert g.dtype == dtype
    assert bool(np.all(fd.conjugate_domain.contains(g)))
    # hence f*(g_f(v)) < inf, unless the value itself is beyond the float range
    conj = float(fd.conjugate(g.astype(np.float64))[0])
    assert not math.isnan(conj)
    if abs(v) <= 700.0:
        assert conj < np.inf


def test_fused_equals_composition_where_accurate(fd):
    v = np.linspace(-10.0, 10.0, 201)
    np.testing.assert_allclose(
        fd.conjugate_activation(v), fd.conjugate(fd.activation(v)), rtol=1e-9, atol=1e-12
    )


def _mp_ref(fd, v: float) -> mp.mpf:
    """f*(g_f(v)) in high precision from the closed forms of f* and g_f, composed."""
    v = mp.mpf(v)
    name, a = fd.name, _alpha(fd)
    if name == "kl":
        return mp.exp(v - 1)
    if name == "reverse_kl":
        t = -mp.exp(-v)
        return -1 - mp.log(-t)
    if name == "pearson":
        return v * v / 4 + v if v >= -2 else mp.mpf(-1)
    if name == "neyman":
        t = 1 - mp.exp(v)
        return 2 - 2 * mp.sqrt(1 - t)
    if name == "squared_hellinger":
        t = 1 - mp.exp(-v)
        return t / (1 - t)
    if name in ("js", "fgan_js"):
        t = mp.log(2) - mp.log(1 + mp.exp(-v))
        val = -mp.log(2 - mp.exp(t))
        return val / 2 if name == "js" else val
    if name == "gan":
        t = -mp.log(1 + mp.exp(-v))
        return -mp.log(1 - mp.exp(t))
    if name == "total_variation":
        return max(mp.tanh(v) / 2, mp.mpf(-0.5))
    if name == "jeffreys":
        w = mp.lambertw(mp.exp(1 - v)).real
        return v - 2 + w + 1 / w
    assert a is not None
    a = mp.mpf(a)
    if a > 1:
        if v <= -1 / (a - 1):
            return -1 / a
        return ((1 + (a - 1) * v) ** (a / (a - 1)) - 1) / a
    t = 1 / (1 - a) - mp.log(1 + mp.exp(-v))
    return ((1 + (a - 1) * t) ** (a / (a - 1)) - 1) / a


FUSED_V = (-1000.0, -745.0, -700.0, -100.0, -40.0, -30.0, -1.0, 0.0, 0.5, 30.0, 40.0, 100.0,
           700.0, 745.0, 1000.0)  # fmt: skip


def test_fused_vs_mpmath(fd):
    got = np.asarray(fd.conjugate_activation(np.asarray(FUSED_V)))
    with mp.workdps(500):
        for v, g in zip(FUSED_V, got, strict=True):
            ref = _mp_ref(fd, v)
            if abs(ref) > 1.7e308:
                assert g == (np.inf if ref > 0 else -np.inf), (v, g)
            else:
                assert g == pytest.approx(float(ref), rel=1e-12, abs=1e-15), (v, g, ref)


def test_fused_finite_for_representable_values(fd):
    v = np.linspace(-1e3, 1e3, 2001)
    out = np.asarray(fd.conjugate_activation(v))
    assert not np.any(np.isnan(out))
    # +-inf only where the exact value is beyond the float range (KL/Hellinger/Jeffreys e^v)
    big = np.abs(out) == np.inf
    assert np.all(np.abs(v[big]) > 700.0)


def test_activation_derivatives_vs_finite_differences(fd):
    v = np.linspace(-8.0, 8.0, 81) + 0.0123
    h = 1e-6
    ng = (fd.activation(v + h) - fd.activation(v - h)) / (2 * h)
    nh = (fd.conjugate_activation(v + h) - fd.conjugate_activation(v - h)) / (2 * h)
    np.testing.assert_allclose(fd.activation_derivative(v), ng, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(fd.conjugate_activation_derivative(v), nh, rtol=1e-7, atol=1e-8)


# ---------------------------------------------------------------------------------------
# optimal critic and the variational bound
# ---------------------------------------------------------------------------------------

LECTURE_T_STAR = {
    "kl": lambda r: 1.0 + np.log(r),
    "reverse_kl": lambda r: -1.0 / r,
    "pearson": lambda r: 2.0 * (r - 1.0),
    "squared_hellinger": lambda r: (np.sqrt(r) - 1.0) * np.sqrt(1.0 / r),
    "fgan_js": lambda r: np.log(2.0 * r / (1.0 + r)),
    "gan": lambda r: np.log(r / (1.0 + r)),
    "js": lambda r: 0.5 * np.log(2.0 * r / (1.0 + r)),
    "neyman": lambda r: 1.0 - 1.0 / r**2,
    "jeffreys": lambda r: 1.0 + np.log(r) - 1.0 / r,
    "total_variation": lambda r: 0.5 * np.sign(r - 1.0),
}


def test_optimal_critic_matches_formulas(fd):
    r = np.geomspace(1e-4, 1e4, 41)
    if fd.name in LECTURE_T_STAR:
        ref = LECTURE_T_STAR[fd.name](r)
    else:
        a = _alpha(fd)
        ref = (r ** (a - 1.0) - 1.0) / (a - 1.0)
    np.testing.assert_allclose(fd.optimal_critic(r), ref, rtol=1e-12, atol=1e-14)
    assert float(fd.optimal_critic(np.inf)) == fd.f_prime_at_inf


def test_variational_bound(fd):
    """sum p T - q f*(T) <= D_f for every critic T, with equality at T* = f'(p/q)."""
    rng = np.random.default_rng(20260425)
    for _ in range(10):
        p = rng.dirichlet(np.ones(8)) + 1e-3
        q = rng.dirichlet(np.ones(8)) + 1e-3
        p, q = p / p.sum(), q / q.sum()
        d_f = float(np.sum(q * f_np(fd, p / q)))
        t_star = np.asarray(fd.optimal_critic(p / q))
        at_opt = float(np.sum(p * t_star) - np.sum(q * np.asarray(fd.conjugate(t_star))))
        assert at_opt == pytest.approx(d_f, rel=1e-10, abs=1e-12)
        for scale in (0.3, 3.0):
            t = np.asarray(fd.activation(rng.normal(scale=scale, size=8)))
            bound = float(np.sum(p * t) - np.sum(q * np.asarray(fd.conjugate(t))))
            assert bound <= d_f + 1e-12
        # perturbing T* never increases the objective
        t_pert = t_star + rng.normal(scale=0.05, size=8)
        t_pert = np.where(np.asarray(fd.conjugate_domain.contains(t_pert)), t_pert, t_star)
        pert = float(np.sum(p * t_pert) - np.sum(q * np.asarray(fd.conjugate(t_pert))))
        assert pert <= d_f + 1e-12


# ---------------------------------------------------------------------------------------
# backends
# ---------------------------------------------------------------------------------------

METHODS = (
    "f",
    "f_prime",
    "conjugate",
    "activation",
    "conjugate_activation",
    "optimal_critic",
    "activation_derivative",
    "conjugate_activation_derivative",
)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_backend_namespace_and_dtype(backend, spec, dtype):
    fd = _get(spec)
    x_np = np.asarray([0.0, 0.25, 1.0, 2.5, 40.0, -3.0, -40.0])
    x = backend.asarray(x_np, dtype=dtype)
    ns = type(x)
    for m in METHODS:
        out = getattr(fd, m)(x)
        assert type(out) is ns, m
        assert out.dtype == x.dtype, m
        ref = getattr(fd, m)(x_np)
        got = backend.to_numpy(out).astype(np.float64)
        rtol = 1e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got, ref, rtol=rtol, atol=rtol, err_msg=m)
    dom = fd.conjugate_domain.contains(x)
    assert type(dom) is ns


def test_python_scalars_and_lists_are_numpy():
    fd = FDIVERGENCES["kl"]
    assert isinstance(fd.f([1.0, 2.0]), np.ndarray)
    assert fd.f([1, 2]).dtype == np.float64  # ints -> float64
    assert float(fd.f(2)) == pytest.approx(2 * math.log(2))
    assert fd.f(np.asarray([1.0], dtype=np.float16)).dtype == np.float32


# ---------------------------------------------------------------------------------------
# scaled
# ---------------------------------------------------------------------------------------


def test_scaled(fd):
    c = 2.5
    sc = fd.scaled(c)
    u = np.geomspace(1e-3, 1e3, 13)
    v = np.linspace(-20.0, 20.0, 17)
    t = probe_t(fd)
    np.testing.assert_allclose(sc.f(u), c * f_np(fd, u), rtol=1e-14)
    np.testing.assert_allclose(sc.f_prime(u), c * np.asarray(fd.f_prime(u)), rtol=1e-14)
    # (c f)*(c t) = c f*(t), against the independent numerical sup of c f
    np.testing.assert_allclose(sc.conjugate(c * t), c * np.asarray(fd.conjugate(t)), rtol=1e-11)
    np.testing.assert_allclose(sc.activation(v), c * np.asarray(fd.activation(v)), rtol=1e-14)
    np.testing.assert_allclose(
        sc.conjugate_activation(v), c * np.asarray(fd.conjugate_activation(v)), rtol=1e-14
    )
    assert sc.conjugate_domain == fd.conjugate_domain.scaled(c)
    assert (sc.f_at_0, sc.f_prime_at_inf, sc.f_prime_at_1, sc.f_at_1) == (
        c * fd.f_at_0,
        c * fd.f_prime_at_inf,
        c * fd.f_prime_at_1,
        c * fd.f_at_1,
    )
    ts = t[:5]
    ref = np.asarray([numerical_sup(sc, float(c * ti)) for ti in ts])
    np.testing.assert_allclose(sc.conjugate(c * ts), ref, rtol=1e-8, atol=1e-9)
    assert fd.scaled(1.0) is fd
    for bad in (0.0, -1.0, math.inf, math.nan, "a"):
        with pytest.raises(ParameterError, match="`c`"):
            fd.scaled(bad)


# ---------------------------------------------------------------------------------------
# user-built entries
# ---------------------------------------------------------------------------------------


def _xlogx(u):
    with np.errstate(all="ignore"):
        return np.where(u > 0, u * np.log(np.where(u > 0, u, 1.0)), 0.0)


REBUILD = {
    "kl": _xlogx,
    "reverse_kl": lambda u: -np.log(u),
    "squared_hellinger": lambda u: (np.sqrt(u) - 1.0) ** 2,
    "pearson": lambda u: (u - 1.0) ** 2,
    "neyman": lambda u: (1.0 - u) ** 2 / u,
    "total_variation": lambda u: 0.5 * np.abs(u - 1.0),
}


@pytest.mark.parametrize("name", sorted(REBUILD))
def test_from_generator_rebuilds_closed_forms(name):
    ref = FDIVERGENCES[name]
    fd = FDivergence.from_generator(REBUILD[name], name=f"rebuilt_{name}")
    # limits and the domain of f*, exactly
    assert fd.f_at_0 == ref.f_at_0
    assert fd.f_prime_at_inf == pytest.approx(ref.f_prime_at_inf, abs=1e-9)
    assert fd.conjugate_domain.hi == pytest.approx(ref.conjugate_domain.hi, abs=1e-9)
    assert fd.conjugate_domain.hi_closed == ref.conjugate_domain.hi_closed
    assert fd.f_prime_at_1 == pytest.approx(ref.f_prime_at_1, abs=1e-9)
    assert fd.f_at_1 == 0.0
    u = np.geomspace(1e-4, 1e4, 41)
    u = u[np.abs(u - 1.0) > 1e-2]
    np.testing.assert_allclose(fd.f(u), ref.f(u), rtol=1e-14)
    # numerical f': Richardson central differences, ~1e-9 relative
    np.testing.assert_allclose(fd.f_prime(u), ref.f_prime(u), rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(fd.optimal_critic(u), ref.optimal_critic(u), rtol=1e-8, atol=1e-9)
    # f'(0+) from secant slopes: finite (Pearson -2, TV -1/2) or -inf
    fp0, ref0 = float(fd.f_prime(0.0)), float(ref.f_prime(0.0))
    assert fp0 == ref0 if math.isinf(ref0) else fp0 == pytest.approx(ref0, abs=1e-6)
    # numerical conjugate: golden-section search, ~1e-12 relative for moderate maximisers
    t = probe_t(ref)
    np.testing.assert_allclose(fd.conjugate(t), ref.conjugate(t), rtol=1e-9, atol=1e-10)
    out = np.asarray([ref.conjugate_domain.hi + 0.5]) if math.isfinite(ref.conjugate_domain.hi) \
        else np.asarray([])  # fmt: skip
    assert np.all(np.asarray(fd.conjugate(out)) == np.inf)
    # default activation maps into the domain; fused = conjugate(activation)
    v = np.asarray([-700.0, -40.0, -3.0, 0.0, 3.0, 40.0, 700.0])
    assert bool(np.all(fd.conjugate_domain.contains(fd.activation(v))))
    vm = np.linspace(-5.0, 5.0, 11)
    np.testing.assert_allclose(
        fd.conjugate_activation(vm), ref.conjugate(fd.activation(vm)), rtol=1e-9, atol=1e-10
    )


def test_from_generator_with_closed_form_pieces():
    ref = FDIVERGENCES["reverse_kl"]
    fd = FDivergence.from_generator(
        lambda u: -np.log(u),
        name="rkl_closed",
        f_prime=lambda u: -1.0 / u,
        activation=lambda v: -np.exp(-v),
        conjugate_activation=lambda v: v - 1.0,
    )
    v = np.linspace(-5.0, 5.0, 11)
    np.testing.assert_allclose(fd.activation(v), ref.activation(v), rtol=1e-15)
    np.testing.assert_allclose(fd.conjugate_activation(v), ref.conjugate_activation(v))
    np.testing.assert_allclose(fd.f_prime([0.5, 2.0]), [-2.0, -0.5])


def test_from_generator_shifted_gan():
    ref = FDIVERGENCES["gan"]
    gen = lambda u: _xlogx(u) - _xlogx(u + 1.0)  # noqa: E731
    with pytest.raises(NotConvexError, match=r"f\(1\) = -1.38629"):
        FDivergence.from_generator(gen, name="my_gan")
    fd = FDivergence.from_generator(gen, name="my_gan", f_at_1=-math.log(4.0))
    assert fd.f_at_1 == pytest.approx(-math.log(4.0))
    t = probe_t(ref)
    np.testing.assert_allclose(fd.conjugate(t), ref.conjugate(t), rtol=1e-9, atol=1e-10)
    assert fd.conjugate_domain == ref.conjugate_domain


def test_from_generator_backend(backend):
    fd = FDivergence.from_generator(REBUILD["squared_hellinger"], name="hel_backend")
    x = backend.asarray([0.5, 2.0], dtype=np.float32)
    for m in METHODS:
        out = getattr(fd, m)(x)
        assert type(out) is type(x) and out.dtype == x.dtype, m


@pytest.mark.parametrize(
    ("gen", "match"),
    [
        (lambda u: np.sqrt(u) - 1.0, "not convex"),  # concave
        (lambda u: -((u - 1.0) ** 2), "not convex"),
        (lambda u: np.sin(3.0 * (u - 1.0)), "not convex"),
        (lambda u: (u - 1.0) ** 2 + 0.5, r"f\(1\) = 0\.5"),
        (lambda u: np.where(u > 5.0, np.nan, (u - 1.0) ** 2), "finite"),
    ],
)
def test_from_generator_rejects(gen, match):
    with pytest.raises(NotConvexError, match=match):
        FDivergence.from_generator(gen, name="bad")


def test_from_generator_rejects_nonconvex_jump_at_zero():
    # convex on (0, inf) but f(0) below the extrapolated line: not convex on [0, inf)
    with pytest.raises(NotConvexError, match="not convex"):
        FDivergence.from_generator(
            lambda u: np.where(u == 0, -5.0, (u - 1.0) ** 2), name="bad0", f_at_0=-5.0
        )


@pytest.fixture
def registry_cleanup():
    added: list[str] = []
    yield added
    for name in added:
        FDIVERGENCES._data.pop(name, None)  # type: ignore[attr-defined]


def test_register_fdivergence(registry_cleanup):
    fd = FDivergence.from_generator(lambda u: (u - 1.0) ** 4, name="test_quartic")
    registry_cleanup.append("test_quartic")
    assert register_fdivergence(fd) is fd
    assert get_fdivergence("test_quartic") is fd
    with pytest.raises(ParameterError, match="already registered"):
        register_fdivergence(fd)
    assert register_fdivergence(fd, overwrite=True) is fd
    import pickle

    assert pickle.loads(pickle.dumps(fd)) is fd  # registered: pickles by name
    with pytest.raises(ParameterError, match="built-in"):
        register_fdivergence(FDivergence.from_generator(REBUILD["kl"], name="kl"), overwrite=True)
    with pytest.raises(ParameterError, match="lower case"):
        register_fdivergence(FDivergence.from_generator(REBUILD["kl"], name="My KL"))
    with pytest.raises(ParameterError):
        register_fdivergence("kl")  # type: ignore[arg-type]


def test_register_rejects_inconsistent_entry(registry_cleanup):
    import dataclasses

    base = FDIVERGENCES["squared_hellinger"]
    wrong_f1 = dataclasses.replace(base, name="test_wrong_f1", f_at_1=0.3)
    with pytest.raises(NotConvexError, match=r"f\(1\)"):
        register_fdivergence(wrong_f1)
    wrong_act = dataclasses.replace(
        base, name="test_wrong_act", activation_fn=lambda v, xp: v
    )  # leaves t < 1
    with pytest.raises(ParameterError, match="activation"):
        register_fdivergence(wrong_act)
    wrong_conj = dataclasses.replace(
        base, name="test_wrong_conj", conjugate_fn=lambda t, xp: t, conjugate_activation_fn=None
    )
    wrong_conj = dataclasses.replace(
        wrong_conj, conjugate_activation_fn=lambda v, xp: 1.0 - xp.exp(-v)
    )
    with pytest.raises(ParameterError, match="Fenchel"):
        register_fdivergence(wrong_conj)
    assert "test_wrong_f1" not in FDIVERGENCES


def test_jeffreys_conjugate_lambert_w():
    """f*(t) = t - 2 + W + 1/W, W = W0(e^{1-t}): vs scipy.special.lambertw and mpmath."""
    from scipy.special import lambertw

    fd = FDIVERGENCES["jeffreys"]
    t = np.linspace(-700.0, 700.0, 1401)
    with np.errstate(all="ignore"):
        w = lambertw(np.exp(1.0 - t)).real
        ref = t - 2.0 + w + 1.0 / w
    ok = np.isfinite(ref) & (w > 0)
    got = np.asarray(fd.conjugate(t))
    np.testing.assert_allclose(got[ok], ref[ok], rtol=1e-13, atol=1e-13)
    with mp.workdps(60):
        for ti in (-1e6, -700.0, -30.0, -1.0, -1e-9, 0.0, 1e-9, 0.5, 3.0, 30.0, 700.0):
            w = mp.lambertw(mp.exp(1 - mp.mpf(ti))).real
            exact = float(mp.mpf(ti) - 2 + w + 1 / w)
            assert float(fd.conjugate(ti)) == pytest.approx(exact, rel=1e-14, abs=1e-30), ti


def test_nan_propagates(fd):
    for m in ("f", "f_prime", "conjugate", "activation", "conjugate_activation"):
        out = np.asarray(getattr(fd, m)(np.asarray([np.nan, 1.0])))
        assert math.isnan(out[0]), m
    np.testing.assert_array_equal(
        np.asarray(fd.f([-1.0, 0.0, np.inf])),
        [np.inf, fd.f_at_0, np.inf if fd.f_prime_at_inf > 0 else -np.inf],
    )


def _mp_f(fd, u) -> mp.mpf:
    u = mp.mpf(u)
    name, a = fd.name, _alpha(fd)
    forms = {
        "kl": lambda: u * mp.log(u),
        "reverse_kl": lambda: -mp.log(u),
        "pearson": lambda: (u - 1) ** 2,
        "neyman": lambda: (1 - u) ** 2 / u,
        "squared_hellinger": lambda: (mp.sqrt(u) - 1) ** 2,
        "js": lambda: (u * mp.log(u) - (u + 1) * mp.log((u + 1) / 2)) / 2,
        "fgan_js": lambda: u * mp.log(u) - (u + 1) * mp.log((u + 1) / 2),
        "gan": lambda: u * mp.log(u) - (u + 1) * mp.log(u + 1),
        "total_variation": lambda: abs(u - 1) / 2,
        "jeffreys": lambda: (u - 1) * mp.log(u),
    }
    if name in forms:
        return forms[name]()
    a = mp.mpf(a)
    return (u**a - 1 - a * (u - 1)) / (a * (a - 1))


def test_f_vs_mpmath(fd):
    """The generator to ~1e-13 relative (absolute 1e-15 (1 + u) where f nearly cancels)."""
    u = np.asarray([1e-8, 1e-3, 0.3, 0.9, 0.999, 1.001, 1.1, 3.0, 1e3, 1e8])
    got = np.asarray(fd.f(u))
    with mp.workdps(50):
        ref = np.asarray([float(_mp_f(fd, ui)) for ui in u])
    assert np.all(np.abs(got - ref) <= 1e-13 * np.abs(ref) + 1e-15 * (1.0 + u)), (got, ref)


def test_copy_pickle_hash(fd):
    import copy
    import pickle

    assert copy.copy(fd) is fd and copy.deepcopy(fd) is fd
    back = pickle.loads(pickle.dumps(fd))
    assert back == fd and hash(back) == hash(fd)
    np.testing.assert_array_equal(back.conjugate([-1.0, 0.1]), fd.conjugate([-1.0, 0.1]))
    sc = fd.scaled(2.0)
    assert pickle.loads(pickle.dumps(sc)) == sc
    assert dict(pickle.loads(pickle.dumps(fd.latex))) == dict(fd.latex)
    with pytest.raises(TypeError):
        fd.latex["f"] = "x"  # type: ignore[index]


def test_unregistered_user_entry_does_not_pickle():
    import pickle

    fd = FDivergence.from_generator(lambda u: (u - 1.0) ** 2, name="unregistered_sq")
    with pytest.raises(TypeError, match="register"):
        pickle.dumps(fd)


_EXTREME_V = [1e300, 1e6, 2000.0, 1000.0, 50.0, 0.0, -50.0, -1000.0, -2000.0, -1e6, -1e300]
_EXTREME_U = [0.0, 1e-320, 1e-300, 1e-160, 1e-20, 0.5, 1.0, 2.0, 1e20, 1e160, 1e300, math.inf]


@pytest.mark.parametrize(
    "entry",
    [*sorted(k for k in FDIVERGENCES if k != "alpha"),
     *[f"alpha:{a}" for a in (0.5, -1.0, 2.0, 3.0, 0.3, -0.5, 1.5, 1e-3, 0.999, 1.001)]],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_methods_at_extreme_arguments_never_nan_or_warn(entry, dtype):
    """Every method of every entry at huge/tiny arguments: inf where the value overflows,
    never NaN and never a RuntimeWarning (found: alpha conjugate_activation_derivative
    gave inf * 0 = NaN at v = 1000, Neyman f'(1e-300) divided by zero)."""
    name, _, a = entry.partition(":")
    fd = get_fdivergence(name, **({"alpha": float(a)} if a else {}))
    big = float(np.finfo(dtype).max)
    for meth, args in [("conjugate_activation_derivative", _EXTREME_V),
                       ("conjugate_activation", _EXTREME_V), ("activation", _EXTREME_V),
                       ("activation_derivative", _EXTREME_V), ("conjugate", _EXTREME_V),
                       ("f", _EXTREME_U), ("f_prime", _EXTREME_U), ("optimal_critic", _EXTREME_U)]:
        for x in args:
            if math.isfinite(x) and abs(x) > big:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                got = getattr(fd, meth)(dtype(x))
            assert not np.isnan(got), (meth, x)
