"""SciPy ``cdist`` metrics as ground costs (divlab.costs.pairwise_cost), on every backend."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from divlab.costs import CDIST_METRICS, pairwise_cost, pairwise_cost_unchecked
from divlab.errors import InputError, ParameterError, ShapeMismatchError

RNG = np.random.default_rng(11)
D = 4
W = RNG.uniform(0.1, 2.0, size=D)
V = RNG.uniform(0.5, 3.0, size=D)
_A = RNG.normal(size=(D, D))
VI = _A @ _A.T + 0.5 * np.eye(D)

# (metric, divlab keywords, SciPy keywords)
CASES = [
    ("euclidean", {}, {}),
    ("euclidean", {"w": W}, {"w": W}),
    ("sqeuclidean", {}, {}),
    ("sqeuclidean", {"w": W}, {"w": W}),
    ("cityblock", {}, {}),
    ("cityblock", {"w": W}, {"w": W}),
    ("minkowski", {"r": 3.0}, {"p": 3.0}),
    ("minkowski", {"p": 1.5}, {"p": 1.5}),
    ("minkowski", {"p": 3.0, "w": W}, {"p": 3.0, "w": W}),
    ("chebyshev", {}, {}),
    ("cosine", {}, {}),
    ("correlation", {}, {}),
    ("canberra", {}, {}),
    ("braycurtis", {}, {}),
    ("seuclidean", {}, {}),
    ("seuclidean", {"V": V}, {"V": V}),
    ("mahalanobis", {}, {}),
    ("mahalanobis", {"VI": VI}, {"VI": VI}),
]


def _ids(case):
    return case[0] + ("-" + "-".join(case[1]) if case[1] else "")


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_every_metric_matches_cdist_on_every_backend(backend, case):
    metric, kw, skw = case
    x, y = RNG.normal(size=(13, D)), RNG.normal(size=(9, D))
    if metric == "braycurtis":
        x, y = np.abs(x), np.abs(y)
    ref = cdist(x, y, metric=metric, **skw)
    got = pairwise_cost(backend.asarray(x), backend.asarray(y), metric=metric, **kw)
    assert got.dtype == backend.xp.float64
    assert tuple(got.shape) == (13, 9)
    np.testing.assert_allclose(backend.to_numpy(got), ref, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("metric", ["chebyshev", "canberra", "braycurtis", "cosine",
                                    "correlation"])
def test_chunked_generic_path_of_the_new_metrics(backend, metric):
    x, y = np.abs(RNG.normal(size=(23, 3))), np.abs(RNG.normal(size=(5, 3)))
    full = pairwise_cost(backend.asarray(x), backend.asarray(y), metric=metric)
    chunked = pairwise_cost(backend.asarray(x), backend.asarray(y), metric=metric,
                            chunk_rows=4)
    np.testing.assert_allclose(backend.to_numpy(chunked), backend.to_numpy(full), rtol=1e-15)
    np.testing.assert_allclose(backend.to_numpy(full), cdist(x, y, metric), rtol=1e-12,
                               atol=1e-14)


def test_cosine_kernel_matches_cdist(backend):
    x, y = RNG.normal(size=(7, 5)), RNG.normal(size=(6, 5))
    xp = backend.xp
    got = pairwise_cost_unchecked(backend.asarray(x), backend.asarray(y), xp, metric="cosine")
    np.testing.assert_allclose(backend.to_numpy(got), cdist(x, y, "cosine"), rtol=1e-12,
                               atol=1e-15)


def test_float32_is_kept(backend):
    x, y = RNG.normal(size=(5, 3)), RNG.normal(size=(4, 3))
    for metric in ("chebyshev", "canberra", "seuclidean", "mahalanobis"):
        got = pairwise_cost(backend.asarray(x, np.float32), backend.asarray(y, np.float32),
                            metric=metric)
        assert got.dtype == backend.xp.float32
        np.testing.assert_allclose(backend.to_numpy(got), cdist(x, y, metric), rtol=2e-5)


def test_edge_values():
    z = np.zeros((1, 3))
    # canberra: 0/0 terms count 0; braycurtis between two zero vectors: 0 (SciPy: NaN)
    assert pairwise_cost(z, z, metric="canberra")[0, 0] == 0.0
    assert pairwise_cost(z, z, metric="braycurtis")[0, 0] == 0.0
    # identical points are at distance 0 in every metric that is defined there
    x = RNG.normal(size=(6, 3))
    for metric in CDIST_METRICS:
        np.testing.assert_allclose(np.diag(pairwise_cost(x, x, metric=metric)), 0.0,
                                   atol=1e-14)


@pytest.mark.parametrize(
    "kwargs,err,match",
    [
        ({"metric": "hamming"}, ParameterError, "not one of"),
        ({"metric": "euclidean", "V": np.ones(2)}, ParameterError, "`V` applies"),
        ({"metric": "chebyshev", "w": np.ones(2)}, ParameterError, "`w` applies"),
        ({"metric": "euclidean", "p": 3.0}, ParameterError, "minkowski"),
        ({"metric": "minkowski", "r": 3.0, "p": 2.5}, ParameterError, "once"),
        ({"metric": "minkowski", "p": 0.5}, ParameterError, ">= 1"),
        ({"metric": "cityblock", "w": [1.0, -1.0]}, ParameterError, ">= 0"),
        ({"metric": "cityblock", "w": [1.0]}, ShapeMismatchError, r"\(2,\)"),
        ({"metric": "seuclidean", "V": [1.0, 0.0]}, ParameterError, "> 0"),
        ({"metric": "mahalanobis", "VI": [[1.0, 2.0], [2.0, 1.0]]}, ParameterError,
         "semidefinite"),
        ({"metric": "mahalanobis", "VI": [[1.0, 0.5], [0.0, 1.0]]}, ParameterError,
         "symmetric"),
        ({"metric": "mahalanobis", "VI": np.eye(3)}, ShapeMismatchError, r"\(2, 2\)"),
        ({"metric": "euclidean", "reg": 1.0}, ParameterError, "no argument `reg`"),
    ],
)
def test_parameter_errors(kwargs, err, match):
    x, y = RNG.normal(size=(3, 2)), RNG.normal(size=(4, 2))
    with pytest.raises(err, match=match):
        pairwise_cost(x, y, **kwargs)


def test_data_dependent_errors():
    with pytest.raises(InputError, match="row 1 of `x`"):
        pairwise_cost([[1.0, 2.0], [3.0, 3.0]], [[0.0, 1.0]], metric="correlation")
    with pytest.raises(InputError, match="zero vector: row 0 of `y`"):
        pairwise_cost([[1.0, 2.0]], [[0.0, 0.0]], metric="cosine")
    with pytest.raises(ParameterError, match="more than d = 3 points"):
        pairwise_cost(np.eye(3)[:2], np.eye(3)[:1], metric="mahalanobis")
    with pytest.raises(ParameterError, match="constant"):
        pairwise_cost([[1.0, 2.0]], [[1.0, 3.0]], metric="seuclidean")


def test_torch_and_dask():
    torch = pytest.importorskip("torch")
    da = pytest.importorskip("dask.array")
    x, y = np.abs(RNG.normal(size=(30, 4))), np.abs(RNG.normal(size=(20, 4)))
    for metric in CDIST_METRICS:
        kw = {"p": 3.0} if metric == "minkowski" else {}
        ref = cdist(x, y, metric, **kw)
        t = pairwise_cost(torch.tensor(x), torch.tensor(y), metric=metric, **kw)
        assert isinstance(t, torch.Tensor)
        np.testing.assert_allclose(t.numpy(), ref, rtol=1e-12, atol=1e-14)
        dx, dy = da.from_array(x, chunks=10), da.from_array(y, chunks=10)
        if metric == "mahalanobis":  # Dask has no eigh: a clear error naming the others
            with pytest.raises(ParameterError, match="supported there: 'euclidean'"):
                pairwise_cost(dx, dy, metric=metric)
            continue
        got = pairwise_cost(dx, dy, metric=metric, **kw)
        assert isinstance(got, da.Array)
        np.testing.assert_allclose(np.asarray(got.compute()), ref, rtol=1e-12, atol=1e-14)
    # weights given as NumPy for torch points
    got = pairwise_cost(torch.tensor(x), torch.tensor(y), metric="cityblock", w=np.ones(4))
    np.testing.assert_allclose(got.numpy(), cdist(x, y, "cityblock"), rtol=1e-14)
