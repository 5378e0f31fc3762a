"""Issue #10, point 6: weights in ``energy_distance`` (SciPy's ``u_weights``/``v_weights``)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
from scipy.spatial.distance import cdist

from divlab.errors import EmptyInputError, NegativeValueError, ParameterError, ShapeMismatchError
from divlab.estimators import energy_distance

RNG = np.random.default_rng(5)


@pytest.mark.parametrize("n,m", [(1, 1), (5, 9), (40, 40), (200, 77)])
@pytest.mark.parametrize("which", ["both", "u", "v"])
def test_one_dimensional_matches_scipy(n, m, which):
    u, v = RNG.normal(size=n), RNG.standard_t(4, size=m) + 0.2
    a = RNG.random(n) if which in ("both", "u") else None
    b = RNG.random(m) if which in ("both", "v") else None
    got = energy_distance(u, v, u_weights=a, v_weights=b)
    ref = scipy.stats.energy_distance(u, v, a, b)
    assert np.isclose(got.value, ref, rtol=1e-11, atol=1e-14)
    assert got.ci is None and got.details["weighted"]


def _weighted_formula(x, y, a, b):
    a, b = a / a.sum(), b / b.sum()
    e2 = (2 * a @ cdist(x, y) @ b - a @ cdist(x, x) @ a - b @ cdist(y, y) @ b)
    return np.sqrt(max(e2, 0.0))


@pytest.mark.parametrize("d", [2, 5])
def test_multivariate_weighted_formula(d):
    x, y = RNG.normal(size=(60, d)), RNG.normal(size=(45, d)) + 0.4
    a, b = RNG.random(60), RNG.random(45)
    got = energy_distance(x, y, u_weights=a, v_weights=b)
    assert np.isclose(got.value, _weighted_formula(x, y, a, b), rtol=1e-12)
    # integer weights = repeated points (the unweighted statistic of the expanded sample)
    ia, ib = RNG.integers(1, 4, size=60), RNG.integers(1, 4, size=45)
    rep = energy_distance(np.repeat(x, ia, axis=0), np.repeat(y, ib, axis=0))
    assert np.isclose(energy_distance(x, y, u_weights=ia, v_weights=ib).value, rep.value,
                      rtol=1e-11)


def test_d_greater_one_reduces_to_scipy_on_a_line():
    u, v = RNG.normal(size=30), RNG.normal(size=20)
    a, b = RNG.random(30), RNG.random(20)
    got = energy_distance(np.c_[u, 0 * u], np.c_[v, 0 * v], u_weights=a, v_weights=b)
    assert np.isclose(got.value, scipy.stats.energy_distance(u, v, a, b), rtol=1e-11)


def test_uniform_weights_equal_unweighted_and_scale():
    x, y = RNG.normal(size=(25, 3)), RNG.normal(size=(30, 3))
    ref = energy_distance(x, y).value
    assert np.isclose(energy_distance(x, y, u_weights=np.ones(25)).value, ref, rtol=1e-12)
    a = RNG.random(25)
    small = energy_distance(x * 1e-200, y * 1e-200, u_weights=a).value
    assert np.isclose(small, energy_distance(x, y, u_weights=a).value * 1e-100, rtol=1e-11)


def test_torch_weighted_matches_numpy():
    torch = pytest.importorskip("torch")
    u, v = RNG.normal(size=(20, 1)), RNG.normal(size=(15, 1))
    a, b = RNG.random(20), RNG.random(15)
    got = energy_distance(torch.tensor(u), torch.tensor(v), u_weights=torch.tensor(a),
                          v_weights=torch.tensor(b))
    assert np.isclose(got.value, scipy.stats.energy_distance(u[:, 0], v[:, 0], a, b),
                      rtol=1e-11)


def test_weight_errors():
    x, y = RNG.normal(size=(5, 2)), RNG.normal(size=(4, 2))
    with pytest.raises(NegativeValueError, match="u_weights"):
        energy_distance(x, y, u_weights=[1, 1, -1, 1, 1])
    with pytest.raises(ShapeMismatchError, match="v_weights"):
        energy_distance(x, y, v_weights=[1, 1])
    with pytest.raises(EmptyInputError):
        energy_distance(x, y, v_weights=[0, 0, 0, 0])
    with pytest.raises(ParameterError, match="n_resamples"):
        energy_distance(x, y, u_weights=np.ones(5), n_resamples=10)
    with pytest.raises(ParameterError, match="`weights_u`: divlab calls it `u_weights`"):
        energy_distance(x, y, weights_u=np.ones(5))
