"""Pairwise ground costs (divlab.costs): exact differences, backends, contract."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from divlab.costs import pairwise_cost
from divlab.errors import EmptyInputError, NonFiniteError, ParameterError, ShapeMismatchError

RNG = np.random.default_rng(5)
METRICS = [("euclidean", {}), ("sqeuclidean", {}), ("cityblock", {}), ("minkowski", {"r": 3.0})]


@pytest.mark.parametrize("metric,kw", METRICS)
@pytest.mark.parametrize("d", [1, 3, 70])
def test_matches_cdist_on_every_backend(backend, metric, kw, d):
    x, y = RNG.normal(size=(13, d)), RNG.normal(size=(9, d))
    ref = cdist(x, y, metric=metric, p=kw["r"]) if kw else cdist(x, y, metric=metric)
    got = pairwise_cost(backend.asarray(x), backend.asarray(y), metric=metric, **kw)
    assert got.dtype == backend.xp.float64
    np.testing.assert_allclose(backend.to_numpy(got), ref, rtol=1e-12, atol=1e-12)


def test_chunked_generic_path(backend):
    x, y = RNG.normal(size=(23, 2)), RNG.normal(size=(5, 2))
    full = pairwise_cost(backend.asarray(x), backend.asarray(y))
    chunked = pairwise_cost(backend.asarray(x), backend.asarray(y), chunk_rows=4)
    np.testing.assert_array_equal(backend.to_numpy(full), backend.to_numpy(chunked))


def test_nearby_points_keep_relative_precision(backend):
    # The |x|^2 + |y|^2 - 2xy expansion returns 0 or garbage here; exact differences do not.
    x = np.array([[1e8, -3e8], [1.0, 2.0]])
    y = x + np.array([[3e-8, 4e-8], [3e-9, -4e-9]])
    got = backend.to_numpy(pairwise_cost(backend.asarray(x), backend.asarray(y)))
    exact = np.array([np.linalg.norm(y[0] - x[0]), np.linalg.norm(y[1] - x[1])])
    np.testing.assert_allclose(np.diag(got), exact, rtol=1e-6)


def test_float32_kept(backend):
    x = RNG.normal(size=(4, 2)).astype(np.float32)
    got = pairwise_cost(backend.asarray(x), backend.asarray(x), metric="cityblock")
    assert got.dtype == backend.xp.float32


def test_one_dimensional_input():
    np.testing.assert_array_equal(pairwise_cost([0.0, 1.0], [3.0]), [[3.0], [2.0]])


@pytest.mark.parametrize(
    "args,kwargs,err",
    [
        ((np.ones((2, 2)), np.ones((2, 3))), {}, ShapeMismatchError),
        ((np.ones((0, 2)), np.ones((2, 2))), {}, EmptyInputError),
        (([[np.inf, 0.0]], [[0.0, 0.0]]), {}, NonFiniteError),
        ((np.ones((2, 2)), np.ones((2, 2))), {"metric": "no_such_metric"}, ParameterError),
        ((np.ones((2, 2)), np.ones((2, 2))), {"metric": "minkowski", "r": 0.5}, ParameterError),
    ],
)
def test_bad_input(args, kwargs, err):
    with pytest.raises(err):
        pairwise_cost(*args, **kwargs)
