"""Hand-derived critic gradients vs central finite differences (float64), Adam, backends."""

from __future__ import annotations

import array_api_compat.numpy as npx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from divlab.adversarial import critics as C
from divlab.adversarial.objectives import FGANObjective
from divlab.adversarial.optim import Adam

H = 1e-6


def _params(d, spec, seed):
    rng = np.random.default_rng(seed)
    ps = C.init_params(d, spec, rng, npx, dtype=np.float64, like=None)
    # non-zero biases so that every activation regime is exercised
    return [(w, b + 0.3 * rng.normal(size=b.shape)) for w, b in ps]


def _numeric_grad(fun, ps):
    out = []
    for li, (w, b) in enumerate(ps):
        pair = []
        for k, arr in enumerate((w, b)):
            g = np.zeros_like(arr)
            for idx in np.ndindex(arr.shape):
                plus, minus = arr.copy(), arr.copy()
                plus[idx] += H
                minus[idx] -= H
                p1, p2 = list(ps), list(ps)
                p1[li] = (plus, b) if k == 0 else (w, plus)
                p2[li] = (minus, b) if k == 0 else (w, minus)
                g[idx] = (fun(p1) - fun(p2)) / (2 * H)
            pair.append(g)
        out.append(tuple(pair))
    return out


def _assert_grads_close(analytic, numeric, rtol=1e-6):
    a = np.concatenate([np.concatenate([np.ravel(w), np.ravel(b)]) for w, b in analytic])
    n = np.concatenate([np.concatenate([np.ravel(w), np.ravel(b)]) for w, b in numeric])
    scale = max(1.0, float(np.max(np.abs(n))))
    np.testing.assert_allclose(a, n, rtol=0, atol=rtol * scale)


@pytest.mark.parametrize("act", C.ACTIVATIONS)
@pytest.mark.parametrize("depth", [0, 1, 2])
def test_backprop_matches_finite_differences(act, depth):
    spec = C.MLPSpec(width=5, depth=depth, activation=act)
    ps = _params(3, spec, seed=depth)
    rng = np.random.default_rng(10 + depth)
    x = rng.normal(size=(7, 3))
    c = rng.normal(size=7)
    _, cache = C.forward(ps, x, act, npx)
    analytic = C.backward(ps, cache, c, act, npx)
    numeric = _numeric_grad(lambda p: float(np.sum(c * C.forward(p, x, act, npx)[0])), ps)
    _assert_grads_close(analytic, numeric)


@pytest.mark.parametrize("act", C.ACTIVATIONS)
def test_input_gradient_matches_finite_differences(act):
    spec = C.MLPSpec(width=6, depth=2, activation=act)
    ps = _params(4, spec, seed=1)
    x = np.random.default_rng(2).normal(size=(5, 4))
    _, cache = C.forward(ps, x, act, npx)
    g = C.input_gradient(ps, cache, act, npx)
    num = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp_, xm = x.copy(), x.copy()
        xp_[idx] += H
        xm[idx] -= H
        num[idx] = (C.forward(ps, xp_, act, npx)[0][idx[0]]
                    - C.forward(ps, xm, act, npx)[0][idx[0]]) / (2 * H)
    np.testing.assert_allclose(g, num, atol=1e-7)


@pytest.mark.parametrize("act", C.ACTIVATIONS)
@pytest.mark.parametrize("depth", [0, 1, 3])
def test_gradient_penalty_double_backprop(act, depth):
    """d/dW of lambda * mean (||grad_x V|| - 1)^2, including the sigma'' term."""
    spec = C.MLPSpec(width=4, depth=depth, activation=act)
    ps = _params(3, spec, seed=3 + depth)
    x = np.random.default_rng(4).normal(size=(6, 3))
    pen, analytic, norms = C.gradient_penalty(ps, x, act, npx, 2.5)
    numeric = _numeric_grad(lambda p: float(C.gradient_penalty(p, x, act, npx, 2.5)[0]), ps)
    _assert_grads_close(analytic, numeric)
    # value: direct recomputation from the input gradient
    _, cache = C.forward(ps, x, act, npx)
    g = C.input_gradient(ps, cache, act, npx)
    direct = 2.5 * np.mean((np.sqrt(np.sum(g**2, axis=1) + C.GP_NORM_EPS) - 1.0) ** 2)
    assert float(pen) == pytest.approx(direct, rel=1e-12)
    assert norms.shape == (6,)


def test_relu_penalty_has_no_bias_gradient_in_hidden_layers():
    """sigma'' = 0 a.e. for ReLU: the penalty does not depend on hidden biases (a.e.)."""
    spec = C.MLPSpec(width=5, depth=2, activation="relu")
    ps = _params(3, spec, seed=7)
    x = np.random.default_rng(8).normal(size=(9, 3))
    _, grads, _ = C.gradient_penalty(ps, x, "relu", npx, 1.0)
    for _, gb in grads:
        np.testing.assert_array_equal(gb, 0.0)


@pytest.mark.parametrize("act", ["tanh", "leaky_relu"])
def test_spectral_norm_gradient(act):
    """Gradient through W / sigma_max(W) (converged power iteration) vs finite differences."""
    spec = C.MLPSpec(width=4, depth=1, activation=act)
    raw = _params(3, spec, seed=11)
    x = np.random.default_rng(12).normal(size=(8, 3))
    c = np.random.default_rng(13).normal(size=8)
    us0 = [np.ones(w.shape[0]) for w, _ in raw]

    def loss(p):
        eff, _, _, _ = C.spectral_normalize(p, us0, npx, n_iter=300)
        return float(np.sum(c * C.forward(eff, x, act, npx)[0]))

    eff, us, vs, sig = C.spectral_normalize(raw, us0, npx, n_iter=300)
    for (w, _), s in zip(raw, sig, strict=True):
        assert float(s) == pytest.approx(np.linalg.svd(w, compute_uv=False)[0], rel=1e-10)
    _, cache = C.forward(eff, x, act, npx)
    g_eff = C.backward(eff, cache, c, act, npx)
    analytic = C.spectral_backward(g_eff, eff, us, vs, sig, npx)
    _assert_grads_close(analytic, _numeric_grad(loss, raw), rtol=1e-5)


def test_fgan_derivatives_come_from_the_record():
    """Built-in entries carry closed-form derivatives; a generator-built entry has none and
    the objective falls back to central differences of the record's own functions."""
    from divlab.fdiv import FDivergence, get_fdivergence

    assert FGANObjective(get_fdivergence("kl")).derivative_source == "closed-form"
    fd = FDivergence.from_generator(lambda u: u * np.log(u), name="kl_numeric")
    obj = FGANObjective(fd)
    assert obj.derivative_source == "finite-difference"
    v = np.linspace(-3, 3, 7)
    np.testing.assert_allclose(obj.conjugate_activation_derivative(v, npx),
                               np.exp(v - 1.0), rtol=1e-6)


def test_adam_minimises_a_quadratic():
    target = np.array([[1.0], [-2.0]])
    ps = [(np.zeros((2, 1)), np.zeros(1))]
    opt = Adam(ps, npx, lr=0.05, betas=(0.9, 0.999))
    for _ in range(2000):
        w, b = ps[0]
        ps = opt.step(ps, [(2 * (w - target), 2 * (b - 3.0))])
    np.testing.assert_allclose(ps[0][0], target, atol=1e-3)
    np.testing.assert_allclose(ps[0][1], [3.0], atol=1e-3)


def test_backends_agree_and_keep_dtype(backend):
    """The same hand-written passes run on the generic array-API path (float32 kept)."""
    spec = C.MLPSpec(width=5, depth=2, activation="softplus")
    ps_np = _params(3, spec, seed=21)
    x_np = np.random.default_rng(22).normal(size=(6, 3))
    xp = backend.xp
    if backend.name == "array_api_strict":
        xp = backend.xp
    else:
        from divlab._array import array_namespace

        xp = array_namespace(backend.asarray(x_np))
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-4)):
        ps = [(backend.asarray(w, dtype), backend.asarray(b, dtype)) for w, b in ps_np]
        x = backend.asarray(x_np, dtype)
        v, _cache = C.forward(ps, x, "softplus", xp)
        assert v.dtype == x.dtype
        _pen, grads, _ = C.gradient_penalty(ps, x, "softplus", xp, 1.0)
        assert grads[0][0].dtype == x.dtype
        v_ref, _ = C.forward(ps_np, x_np, "softplus", npx)
        _, g_ref, _ = C.gradient_penalty(ps_np, x_np, "softplus", npx, 1.0)
        np.testing.assert_allclose(backend.to_numpy(v), v_ref, rtol=tol, atol=tol)
        np.testing.assert_allclose(backend.to_numpy(grads[1][0]), g_ref[1][0], rtol=tol,
                                   atol=tol)


def test_every_registry_entry_derivatives_match_central_differences():
    """The derivatives fed to backprop, for every registry entry, vs central differences."""
    from divlab.fdiv import FDIVERGENCES

    v = np.linspace(-3.0, 3.0, 13) + 0.01
    for name, fd in FDIVERGENCES.items():
        obj = FGANObjective(fd)
        for analytic, fun in (
            (obj.activation_derivative(v, npx), fd.activation),
            (obj.conjugate_activation_derivative(v, npx), fd.conjugate_activation),
        ):
            h = 1e-5
            numeric = (np.asarray(fun(v + h)) - np.asarray(fun(v - h))) / (2 * h)
            np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7, err_msg=name)


# -- property: every critic gives a lower bound (population objective by quadrature) -------
_GRID = np.linspace(-14.0, 15.0, 12_001)


def _registry_names():
    from divlab.fdiv import FDIVERGENCES

    return sorted(FDIVERGENCES)


@settings(max_examples=40)
@given(name=st.sampled_from(_registry_names()), seed=st.integers(0, 2**32 - 1),
       act=st.sampled_from(C.ACTIVATIONS), mu=st.floats(0.2, 2.0))
def test_any_critic_gives_a_lower_bound(name, seed, act, mu):
    r"""F(omega) = E_P[g_f(V)] - E_Q[f*(g_f(V))] <= D_f(P||Q) for every critic (1-D Gaussians,
    both sides by the trapezoid rule on a fine grid)."""
    from scipy import stats

    from divlab.fdiv import get_fdivergence

    fd = get_fdivergence(name)
    obj = FGANObjective(fd)
    ps = _params(1, C.MLPSpec(width=8, depth=2, activation=act), seed)
    v = C.forward(ps, _GRID[:, None], act, npx)[0]
    lp = stats.norm(0.0, 1.0).logpdf(_GRID)
    lq = stats.norm(mu, 1.0).logpdf(_GRID)
    with np.errstate(over="ignore", invalid="ignore"):
        t = np.asarray(obj.activation(v))
        h = np.asarray(obj.conjugate_activation(v))
        ep = np.trapezoid(np.exp(lp) * t, _GRID)
        eq = np.trapezoid(np.exp(lq) * h, _GRID)
        u = np.exp(lp - lq)
        d_f = np.trapezoid(np.exp(lq) * np.asarray(fd.f(u)), _GRID)
    bound = ep - eq
    if np.isfinite(bound):
        assert bound <= d_f + 1e-9 * (1 + abs(d_f)) + 1e-12
