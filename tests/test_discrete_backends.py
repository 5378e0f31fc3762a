"""Backend contract of the exact discrete divergences.

(c) the result convention: for NumPy input a NumPy scalar of the input's float dtype (as
    SciPy returns), an ndarray for batched input; a 0-d array of the input's namespace
    otherwise (array_api_strict, PyTorch);
(a) Dask: lazy 0-d results, no computation at call time, ONE graph execution at
    ``.compute()``, equal to the NumPy result; invalid input raises by ``.compute()``;
(b) PyTorch autograd: gradients w.r.t. ``p`` and ``q`` are those of the pinned convention
    ``D = f(1) + sum_i q_i ft(p_i/q_i)``, ``ft(u) = f(u) - f(1) - f'(1)(u - 1)``:

        dD/dp_i = f'(u_i) - f'(1)
        dD/dq_i = ft(u_i) - u_i ft'(u_i) = f(u_i) - u_i f'(u_i) - f(1) + f'(1)

    (``u_i = p_i/q_i``; differentiate ``q ft(p/q)``: ``d/dp = ft'(u)``,
    ``d/dq = ft(u) - u ft'(u)``, then expand ``ft``), with ``f``, ``f'``, ``f(1)``, ``f'(1)``
    read from the registry record.
"""

from __future__ import annotations

import numpy as np
import pytest

import divlab
from divlab.errors import InputError

REGISTRY = tuple(divlab.FDIVERGENCES)

#: every public discrete function with the extra arguments it needs
FUNCS = {
    "kl": {},
    "reverse_kl": {},
    "js": {},
    "js_distance": {},
    "total_variation": {},
    "squared_hellinger": {},
    "hellinger": {},
    "pearson_chi2": {},
    "neyman_chi2": {},
    "jeffreys": {},
    "renyi": {"alpha": 2.0},
    "alpha_divergence": {"alpha": 0.5},
    "entropy": {},
    "cross_entropy": {},
    "f_divergence": {"f": "js"},
}


def _call(func, p, q, **kw):
    fn = getattr(divlab, func)
    if func == "entropy":
        return fn(p, **kw)
    extra = dict(FUNCS.get(func, {}))
    if func == "f_divergence":
        return fn(p, q, extra.pop("f"), **extra, **kw)
    if "alpha" in extra:
        return fn(p, q, extra.pop("alpha"), **kw)
    return fn(p, q, **kw)


P3 = np.array([0.2, 0.3, 0.5])
Q3 = np.array([0.1, 0.6, 0.3])


# ------------------------------------------------------------------------------------------
# (c) result convention
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("func", list(FUNCS))
def test_numpy_result_is_numpy_scalar(func, dtype):
    r = _call(func, P3.astype(dtype), Q3.astype(dtype))
    assert type(r) is np.dtype(dtype).type, f"{func}: {type(r).__name__} {getattr(r, 'dtype', '')}"


@pytest.mark.parametrize("func", list(FUNCS))
def test_list_input_gives_float64_scalar(func):
    r = _call(func, P3.tolist(), Q3.tolist())
    assert type(r) is np.float64, f"{func}: {type(r).__name__}"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("func", list(FUNCS))
def test_numpy_batch_result_is_ndarray(func, dtype):
    p = np.stack([P3, Q3, P3]).astype(dtype)
    q = np.stack([Q3, P3, P3]).astype(dtype)
    r = _call(func, p, q)
    assert type(r) is np.ndarray and r.shape == (3,) and r.dtype == dtype, (
        f"{func}: {type(r).__name__} {getattr(r, 'shape', '')} {getattr(r, 'dtype', '')}"
    )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("func", list(FUNCS))
def test_array_api_strict_result(func, dtype):
    xs = pytest.importorskip("array_api_strict")
    dt = getattr(xs, dtype)
    r = _call(func, xs.asarray(P3, dtype=dt), xs.asarray(Q3, dtype=dt))
    assert type(r) is type(xs.asarray(1.0)), f"{func}: {type(r)}"
    assert r.ndim == 0 and r.dtype == dt, f"{func}: ndim {r.ndim}, dtype {r.dtype}"
    want = _call(func, P3.astype(dtype), Q3.astype(dtype))
    np.testing.assert_allclose(float(r), float(want), rtol=1e-15 if dtype == "float64" else 0)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("func", list(FUNCS))
def test_torch_result(func, dtype):
    torch = pytest.importorskip("torch")
    dt = getattr(torch, dtype)
    r = _call(func, torch.tensor(P3, dtype=dt), torch.tensor(Q3, dtype=dt))
    assert isinstance(r, torch.Tensor), f"{func}: {type(r)}"
    assert r.ndim == 0 and r.dtype == dt, f"{func}: ndim {r.ndim}, dtype {r.dtype}"
    want = _call(func, P3.astype(dtype), Q3.astype(dtype))
    np.testing.assert_allclose(r.item(), float(want), rtol=1e-15 if dtype == "float64" else 0)


# ------------------------------------------------------------------------------------------
# (a) Dask: lazy, one pass, same numbers as NumPy
# ------------------------------------------------------------------------------------------

N = 4000
CHUNK = 1000  # 4 chunks


def _dask_data(dtype, kind):
    rng = np.random.default_rng(7)
    p = rng.random(N) ** 3
    q = rng.random(N) ** 3
    if kind == "zeros":  # p = 0 on some entries, q = 0 on others (inf for some entries)
        p[::97] = 0.0
        q[5::89] = 0.0
    p /= p.sum()
    q /= q.sum()
    return p.astype(dtype), q.astype(dtype)


DASK_CASES = [
    ("kl", None),
    ("js", None),
    *[("f_divergence", name) for name in REGISTRY],
    ("f_divergence", "alpha"),
]
#: zeros on either side (some results inf): the dedicated doors and the entries whose zero
#: limits differ (finite f(0), infinite f(0), finite and infinite f'(inf))
DASK_ZERO_CASES = [("kl", None), ("js", None), ("f_divergence", "reverse_kl"),
                   ("f_divergence", "squared_hellinger"), ("f_divergence", "gan")]


def _dask_call(func, name, p, q):
    if func == "f_divergence":
        if name == "alpha":
            return divlab.f_divergence(p, q, "alpha", alpha=0.5)
        return divlab.f_divergence(p, q, name)
    return getattr(divlab, func)(p, q)


def _starts_counter():
    from dask.callbacks import Callback

    class Starts(Callback):
        """Counts graph executions (one ``_start`` per compute/get)."""

        count = 0

        def _start(self, dsk):
            self.count += 1

    return Starts()


def _dask_params():
    out = []
    for dtype in (np.float64, np.float32):
        for func, name in DASK_CASES:
            out.append(pytest.param(func, name, dtype, "positive",
                                    id=f"{func}-{name}-{np.dtype(dtype).name}-positive"))
        for func, name in DASK_ZERO_CASES:
            out.append(pytest.param(func, name, dtype, "zeros",
                                    id=f"{func}-{name}-{np.dtype(dtype).name}-zeros"))
    return out


@pytest.mark.parametrize(("func", "name", "dtype", "kind"), _dask_params())
def test_dask_lazy_single_pass(func, name, dtype, kind):
    da = pytest.importorskip("dask.array")
    p, q = _dask_data(dtype, kind)
    P = da.from_array(p, chunks=CHUNK)
    Q = da.from_array(q, chunks=CHUNK)
    assert P.numblocks == (4,)
    counter = _starts_counter()
    with counter:
        r = _dask_call(func, name, P, Q)
    assert counter.count == 0, f"{counter.count} graph execution(s) at call time"
    assert isinstance(r, da.Array), f"result is {type(r).__name__}, not a lazy dask array"
    assert r.ndim == 0 and r.dtype == dtype, f"ndim {r.ndim}, dtype {r.dtype}"
    with counter:
        v = r.compute()
    assert counter.count == 1, f"{counter.count} graph executions in .compute()"
    v = np.asarray(v)
    assert v.dtype == dtype
    want = _dask_call(func, name, p, q)
    np.testing.assert_allclose(v, np.asarray(want), rtol=1e-15, atol=0)


@pytest.mark.parametrize(("func", "name"), [("kl", None), ("js", None), ("f_divergence", "kl"),
                                            ("f_divergence", "total_variation")])
def test_dask_invalid_input_raises_by_compute(func, name):
    da = pytest.importorskip("dask.array")
    p, q = _dask_data(np.float64, "positive")
    p = p.copy()
    # a negative entry in the third chunk, the mass kept at 1
    p[0] += p[2500] + 1e-12
    p[2500] = -1e-12
    P = da.from_array(p, chunks=CHUNK)
    Q = da.from_array(q, chunks=CHUNK)
    try:
        r = _dask_call(func, name, P, Q)
    except InputError:
        return
    with pytest.raises(InputError):
        r.compute()


# ------------------------------------------------------------------------------------------
# (b) PyTorch autograd: the analytic gradients of the convention
# ------------------------------------------------------------------------------------------

#: strictly positive, ratios p/q from 0.1 to 8 and away from 1 (no zero handling involved)
GP = np.array([0.02, 0.08, 0.15, 0.05, 0.30, 0.10, 0.12, 0.18])
GQ = np.array([0.20, 0.04, 0.05, 0.25, 0.0375, 0.15, 0.2125, 0.06])
assert abs(GP.sum() - 1) < 1e-15 and abs(GQ.sum() - 1) < 1e-15

SMOOTH = [n for n in REGISTRY if n != "total_variation"]  # |u - 1| is not differentiable
#: dedicated smooth functions -> their registry record (kwargs for the alpha family)
DEDICATED_SMOOTH = {
    "kl": ("kl", {}),
    "reverse_kl": ("reverse_kl", {}),
    "js": ("js", {}),
    "pearson_chi2": ("pearson", {}),
    "neyman_chi2": ("neyman", {}),
    "squared_hellinger": ("squared_hellinger", {}),
    "jeffreys": ("jeffreys", {}),
}


def _analytic_grads(fd, p, q):
    u = p / q
    f = np.asarray(fd.f(u), dtype=np.float64)
    fp = np.asarray(fd.f_prime(u), dtype=np.float64)
    gp = fp - fd.f_prime_at_1
    gq = f - u * fp - fd.f_at_1 + fd.f_prime_at_1
    return gp, gq


def _torch_pair(torch):
    p = torch.tensor(GP, dtype=torch.float64, requires_grad=True)
    q = torch.tensor(GQ, dtype=torch.float64, requires_grad=True)
    return p, q


def _check_grad(torch, fn, fd, want_value):
    p, q = _torch_pair(torch)
    r = fn(p, q)
    assert isinstance(r, torch.Tensor) and r.ndim == 0 and r.dtype == torch.float64, repr(r)
    assert r.requires_grad, "the result is detached from the autograd graph"
    np.testing.assert_allclose(r.item(), float(want_value), rtol=1e-13)
    r.backward()
    assert p.grad is not None and q.grad is not None
    gp, gq = _analytic_grads(fd, GP, GQ)
    np.testing.assert_allclose(p.grad.numpy(), gp, rtol=1e-10, atol=0, err_msg="d/dp")
    np.testing.assert_allclose(q.grad.numpy(), gq, rtol=1e-10, atol=0, err_msg="d/dq")


@pytest.mark.parametrize("name", SMOOTH)
def test_torch_grad_f_divergence(name):
    torch = pytest.importorskip("torch")
    fd = divlab.FDIVERGENCES[name]
    _check_grad(torch, lambda p, q: divlab.f_divergence(p, q, name), fd,
                divlab.f_divergence(GP, GQ, name))


@pytest.mark.parametrize("func", list(DEDICATED_SMOOTH))
def test_torch_grad_dedicated(func):
    torch = pytest.importorskip("torch")
    name, _ = DEDICATED_SMOOTH[func]
    fd = divlab.FDIVERGENCES[name]
    fn = getattr(divlab, func)
    _check_grad(torch, fn, fd, fn(GP, GQ))


@pytest.mark.parametrize("alpha", [0.5, 2.0, -1.0, 3.5])
def test_torch_grad_alpha(alpha):
    torch = pytest.importorskip("torch")
    fd = divlab.get_fdivergence("alpha", alpha=alpha)
    _check_grad(torch, lambda p, q: divlab.alpha_divergence(p, q, alpha), fd,
                divlab.alpha_divergence(GP, GQ, alpha))
    _check_grad(torch, lambda p, q: divlab.f_divergence(p, q, "alpha", alpha=alpha), fd,
                divlab.f_divergence(GP, GQ, "alpha", alpha=alpha))


def test_gradient_formula_is_capable_of_failing():
    """The analytic gradient differs from a plausible wrong one (sum q f(p/q) without the
    f'(1)(u - 1) correction) for an entry with f'(1) != 0, so the tests above can fail."""
    fd = divlab.FDIVERGENCES["kl"]
    gp, gq = _analytic_grads(fd, GP, GQ)
    u = GP / GQ
    naive_gp = np.asarray(fd.f_prime(u))  # d/dp of sum q f(p/q)
    assert np.max(np.abs(naive_gp - gp)) == pytest.approx(1.0)
    np.testing.assert_allclose(gp, np.log(u), rtol=1e-14)  # KL: log(p/q)
    np.testing.assert_allclose(gq, 1 - u, rtol=1e-13)  # KL: 1 - p/q
