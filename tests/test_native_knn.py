"""Exact k-NN by compiled brute force (divlab._native.knn_search) and the choice of method in
divlab._array.knn_table (issue #11): checked against SciPy's cKDTree and a NumPy reference."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import cKDTree

from divlab import _array, _native

needs_knn = pytest.mark.skipif(_native._knnkernel is None,
                               reason="divlab._knnkernel not built (no C compiler)")


def reference_table(ref, query, k):
    """Exact (distance, index)-sorted table from all pairwise distances (NumPy)."""
    self_query = query is None
    q = ref if self_query else query
    d2 = ((q[:, None, :] - ref[None, :, :]) ** 2).sum(-1)
    if self_query:
        np.fill_diagonal(d2, np.inf)
    idx = np.lexsort((np.broadcast_to(np.arange(ref.shape[0]), d2.shape), d2), axis=-1)[:, :k]
    return np.sqrt(np.take_along_axis(d2, idx, axis=1)), idx


@needs_knn
@pytest.mark.parametrize("d", [1, 3, 10, 33])
@pytest.mark.parametrize("k", [1, 4, 17])
@pytest.mark.parametrize("self_query", [True, False])
def test_knn_search_matches_reference(d, k, self_query):
    rng = np.random.default_rng(d * 100 + k)
    ref = rng.standard_normal((301, d))
    query = None if self_query else rng.standard_normal((77, d))
    dist, idx = _native.knn_search(ref, query, k)
    rd, ri = reference_table(ref, query, k)
    np.testing.assert_allclose(dist, rd, rtol=1e-14, atol=0)
    np.testing.assert_array_equal(idx, ri)


@needs_knn
def test_knn_search_ties_and_duplicates():
    # integer grid points: many equal distances; duplicates at distance 0
    rng = np.random.default_rng(1)
    ref = rng.integers(0, 3, size=(400, 2)).astype(float)
    for query in (None, rng.integers(0, 3, size=(50, 2)).astype(float)):
        dist, idx = _native.knn_search(ref, query, 12)
        rd, ri = reference_table(ref, query, 12)
        np.testing.assert_array_equal(dist, rd)
        np.testing.assert_array_equal(idx, ri)  # equal distances: lower index first
    dist, idx = _native.knn_search(ref, None, 5)
    assert not (idx == np.arange(400)[:, None]).any()  # own index left out, duplicates kept
    assert (dist[:, 0] == 0).all()


@needs_knn
def test_knn_search_matches_ckdtree_and_threads_do_not_matter():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3000, 10))
    y = rng.standard_normal((1000, 10)) + 0.2
    old = _array.set_threads(1)
    try:
        one = _native.knn_search(x, y, 6)
        _array.set_threads(3)
        three = _native.knn_search(x, y, 6)
    finally:
        _array.set_threads(old)
    np.testing.assert_array_equal(one[0], three[0])
    np.testing.assert_array_equal(one[1], three[1])
    td, ti = cKDTree(x).query(y, k=6)
    np.testing.assert_allclose(one[0], td, rtol=1e-14)
    np.testing.assert_array_equal(one[1], ti)


@needs_knn
def test_knn_kernel_refuses_bad_arguments():
    ref_t = np.ones((2, 5))
    q = np.ones((3, 2))
    d2, idx = np.empty((3, 2)), np.empty((3, 2), dtype=np.int64)
    with pytest.raises(ValueError, match="k <="):
        _native._knnkernel.search(ref_t, 5, 2, q, 3, 6, -1, np.empty((3, 6)),
                                  np.empty((3, 6), dtype=np.int64))
    with pytest.raises(ValueError, match="k <="):
        _native._knnkernel.search(ref_t, 5, 2, q, 3, 5, 0, np.empty((3, 5)),
                                  np.empty((3, 5), dtype=np.int64))  # self: only 4 others
    with pytest.raises(ValueError, match="float64"):
        _native._knnkernel.search(ref_t.astype(np.float32), 5, 2, q, 3, 2, -1, d2, idx)
    with pytest.raises(ValueError, match="int64"):
        _native._knnkernel.search(ref_t, 5, 2, q, 3, 2, -1, d2, idx.astype(np.int32))
    with pytest.raises(ValueError, match="items"):
        _native._knnkernel.search(ref_t, 5, 2, q, 4, 2, -1, d2, idx)


def gaussian_on_subspace(rng, n, d, m):
    z = rng.standard_normal((n, m))
    return z @ rng.standard_normal((m, d)) if m < d else z


@pytest.mark.parametrize("d,m,expected", [(10, 10, 9.0), (10, 3, 3.0), (20, 6, 6.0)])
def test_intrinsic_dimension_estimates(d, m, expected):
    x = gaussian_on_subspace(np.random.default_rng(3), 20_000, d, m)
    # the MLE is biased low in higher dimension at 2000 points (9.4 for d = 10)
    assert _array.intrinsic_dimension(x) == pytest.approx(expected, rel=0.12)
    dup = np.repeat(x[:500], 4, axis=0)  # every row duplicated: treated as low-dimensional
    assert _array.intrinsic_dimension(dup) == 0.0


def test_knn_table_method_choice(monkeypatch):
    rng = np.random.default_rng(4)
    full = gaussian_on_subspace(rng, 5000, 10, 10)
    flat = gaussian_on_subspace(rng, 5000, 10, 3)
    calls = []
    real = _native.knn_search

    def spy(ref, *args):
        if ref.shape[0] != 2000:  # not the intrinsic-dimension probe (2000 rows)
            calls.append(ref.shape)
        return real(ref, *args)

    monkeypatch.setattr(_native, "knn_search", spy)
    d_full, i_full = _array.knn_table(full, None, 5)
    assert calls == ([(5000, 10)] if _native.KNN_AVAILABLE else [])
    calls.clear()
    _array.knn_table(flat, None, 5)  # low intrinsic dimension: the tree
    _array.knn_table(full[:1000], None, 3)  # below 4e6 pairs: the tree
    _array.knn_table(full, None, 5, tree=cKDTree(full))  # a tree given: used
    assert calls == []
    # both methods agree (exact)
    td, ti = cKDTree(full).query(full, k=6)
    np.testing.assert_allclose(d_full, td[:, 1:], rtol=1e-14)
    np.testing.assert_array_equal(i_full, ti[:, 1:])


@needs_knn
@pytest.mark.parametrize("scale", [1e-200, 1e-160, 1e160, 1e250])
def test_knn_search_at_extreme_scales(scale):
    rng = np.random.default_rng(5)
    ref = rng.standard_normal((200, 4))
    query = rng.standard_normal((30, 4))
    d1, i1 = _native.knn_search(ref, query, 3)
    ds, is_ = _native.knn_search(ref * scale, query * scale, 3)
    np.testing.assert_array_equal(is_, i1)
    np.testing.assert_allclose(ds, d1 * scale, rtol=1e-14)
    ds, is_ = _native.knn_search(ref * scale, None, 3)
    np.testing.assert_array_equal(is_, _native.knn_search(ref, None, 3)[1])
