"""Issue #10, point 6: user-given directions and per-direction values of the sliced distance,
checked against POT's ``ot.sliced_wasserstein_distance(..., projections=..., log=True)``."""

from __future__ import annotations

import numpy as np
import ot
import pytest

from divlab.errors import NonFiniteError, ParameterError, ShapeMismatchError
from divlab.ot import max_sliced_wasserstein, sliced_wasserstein
from divlab.ot.sliced import SlicedResult

RNG = np.random.default_rng(11)


def _unit(th):
    return th / np.linalg.norm(th, axis=1, keepdims=True)


@pytest.mark.parametrize("p", [1, 2, 3])
@pytest.mark.parametrize("sizes", [(40, 40), (40, 23)])
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_pot_log(p, sizes, weighted):
    n, m = sizes
    x, y = RNG.normal(size=(n, 3)), RNG.normal(size=(m, 3)) * 1.5 + 0.3
    a = RNG.random(n) if weighted else None
    b = RNG.random(m) if weighted else None
    theta = RNG.normal(size=(17, 3)) * 3.0  # not normalised: divlab normalises
    res = sliced_wasserstein(x, y, projections=theta, p=p, a=a, b=b, return_projections=True)
    pa = None if a is None else a / a.sum()
    pb = None if b is None else b / b.sum()
    val, log = ot.sliced_wasserstein_distance(x, y, pa, pb, projections=_unit(theta).T, p=p,
                                              log=True)
    assert isinstance(res, SlicedResult)
    assert np.isclose(res.value, val, rtol=1e-12)
    np.testing.assert_allclose(res.costs, log["projected_emds"], rtol=1e-11, atol=1e-15)
    np.testing.assert_allclose(res.directions, log["projections"].T, rtol=1e-15)
    assert np.isclose(res.value, np.mean(res.costs) ** (1 / p), rtol=1e-13)
    # default return type unchanged: the value alone
    plain = sliced_wasserstein(x, y, projections=theta, p=p, a=a, b=b)
    assert type(plain) is np.float64 and plain == res.value


def test_random_directions_with_return_projections():
    x, y = RNG.normal(size=(30, 4)), RNG.normal(size=(30, 4))
    res = sliced_wasserstein(x, y, n_projections=25, rng=3, return_projections=True)
    assert res.costs.shape == (25,) and res.directions.shape == (25, 4)
    assert res.value == sliced_wasserstein(x, y, n_projections=25, rng=3)
    again = sliced_wasserstein(x, y, projections=res.directions)
    assert np.isclose(again, res.value, rtol=1e-14)
    assert "SlicedResult(value=" in repr(res)


def test_chunking_and_scale_with_projections():
    x, y = RNG.normal(size=(20, 2)), RNG.normal(size=(15, 2))
    theta = RNG.normal(size=(30, 2))
    ref = sliced_wasserstein(x, y, projections=theta, return_projections=True)
    got = sliced_wasserstein(x, y, projections=theta, chunk_size=7, return_projections=True)
    np.testing.assert_allclose(got.costs, ref.costs, rtol=1e-14)
    big = sliced_wasserstein(x * 1e150, y * 1e150, projections=theta, p=2,
                             return_projections=True)
    assert np.isclose(big.value, ref.value * 1e150, rtol=1e-12)
    np.testing.assert_allclose(big.costs, ref.costs * 1e300, rtol=1e-12)


def test_one_dimensional_direction_vector():
    x, y = RNG.normal(size=(10, 3)), RNG.normal(size=(10, 3))
    th = np.array([1.0, 2.0, 2.0])
    assert np.isclose(sliced_wasserstein(x, y, projections=th, p=1),
                      sliced_wasserstein(x, y, projections=th[None, :] * 5, p=1), rtol=1e-14)


def test_projection_errors():
    x, y = RNG.normal(size=(10, 3)), RNG.normal(size=(8, 3))
    with pytest.raises(ParameterError, match="row 1 is zero"):
        sliced_wasserstein(x, y, projections=[[1.0, 0, 0], [0, 0, 0]])
    with pytest.raises(ShapeMismatchError, match="transpose"):
        sliced_wasserstein(x, y, projections=RNG.normal(size=(3, 5)))
    with pytest.raises(ShapeMismatchError, match=r"\(n_projections, 3\)"):
        sliced_wasserstein(x, y, projections=RNG.normal(size=(5, 2)))
    with pytest.raises(NonFiniteError):
        sliced_wasserstein(x, y, projections=[[np.nan, 1.0, 0.0]])
    with pytest.raises(ParameterError, match="return_projections"):
        sliced_wasserstein(x, y, return_projections="yes")


def test_torch_projections_gradient():
    torch = pytest.importorskip("torch")
    x, y = RNG.normal(size=(12, 2)), RNG.normal(size=(9, 2))
    theta = RNG.normal(size=(6, 2))
    tx = torch.tensor(x, requires_grad=True)
    res = sliced_wasserstein(tx, torch.tensor(y), projections=torch.tensor(theta),
                             return_projections=True)
    assert isinstance(res.value, torch.Tensor) and res.costs.shape == (6,)
    res.value.backward()
    assert tx.grad is not None and np.all(np.isfinite(tx.grad.numpy()))
    assert np.isclose(float(res.value.detach()), sliced_wasserstein(x, y, projections=theta),
                      rtol=1e-12)


@pytest.mark.parametrize("fn", [sliced_wasserstein, max_sliced_wasserstein])
def test_argument_hints(fn):
    x = RNG.normal(size=(5, 2))
    with pytest.raises(ParameterError, match="`seed`: divlab calls it `rng`"):
        fn(x, x, seed=0)
