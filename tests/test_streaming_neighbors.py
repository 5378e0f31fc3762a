"""KnnState / knn_distances: k nearest neighbours by top-k merges over reference chunks.

References: scipy.spatial.cKDTree.query (distances to 1e-12 relative; indices where the data
have no ties), a brute-force table sorted by (distance, index) with np.lexsort (exact, ties
included), and divlab's own helpers (knn_table, knn_kth_distances).
"""

from __future__ import annotations

import itertools
import pickle

import dask
import dask.array as da
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from divlab._array import array_namespace, knn_kth_distances, knn_table
from divlab.costs import pairwise_cost_unchecked
from divlab.errors import (
    BackendError,
    EstimationError,
    NonFiniteError,
    ParameterError,
    ShapeMismatchError,
)
from divlab.streaming.neighbors import KnnState, knn_distances, knn_distances_delayed

RTOL = 1e-12


def _brute(q: np.ndarray, ref: np.ndarray, k: int, own: np.ndarray | None = None):
    """Top k by (squared distance, index), from the full matrix (np.lexsort per row)."""
    d2 = ((q[:, None, :] - ref[None, :, :]) ** 2).sum(-1)
    idx = np.broadcast_to(np.arange(len(ref)), d2.shape)
    out_d, out_i = [], []
    for i in range(len(q)):
        keep = np.ones(len(ref), bool) if own is None else np.arange(len(ref)) != own[i]
        order = np.lexsort((idx[i][keep], d2[i][keep]))[:k]
        out_d.append(np.sqrt(d2[i][keep][order]))
        out_i.append(idx[i][keep][order])
    return np.array(out_d), np.array(out_i)


def _chunked(q, ref, k, sizes, seed, **kw):
    """One state per chunk (sizes), merged in a random order and tree shape."""
    cuts = np.concatenate([[0], np.cumsum(sizes)])
    states = [KnnState(q, k, **kw).update(ref[a:b], offset=int(a))
              for a, b in itertools.pairwise(cuts)]
    rng = np.random.default_rng(seed)
    states = [states[i] for i in rng.permutation(len(states))]
    while len(states) > 1:
        i = int(rng.integers(len(states) - 1))
        states[i:i + 2] = [states[i].merge(states[i + 1])]
    return states[0].result()


@pytest.mark.parametrize(("seed", "n", "nq", "d", "k"), [
    (0, 500, 40, 1, 1), (1, 800, 30, 3, 7), (2, 300, 25, 10, 25), (3, 200, 10, 80, 4)])
def test_matches_ckdtree(seed, n, nq, d, k):
    rng = np.random.default_rng(seed)
    ref, q = rng.normal(size=(n, d)), rng.normal(size=(nq, d))
    d_ref, i_ref = cKDTree(ref).query(q, k=k)
    d_ref, i_ref = d_ref.reshape(nq, k), i_ref.reshape(nq, k)
    for sizes in ([n], [n // 3, n // 3, n - 2 * (n // 3)], [1] * 5 + [n - 5]):
        dist, idx = _chunked(q, ref, k, sizes, seed)
        np.testing.assert_allclose(dist, d_ref, rtol=RTOL, atol=0)
        np.testing.assert_array_equal(idx, i_ref)
        assert dist.dtype == np.float64 and idx.dtype == np.int64
    dist, idx = knn_distances(q, ref, k)
    np.testing.assert_array_equal(idx, i_ref)


def test_ties_and_duplicates_chunking_independent():
    rng = np.random.default_rng(4)
    ref = rng.integers(0, 3, size=(300, 2)).astype(float)  # 9 distinct points, many ties
    q = rng.integers(0, 3, size=(20, 2)).astype(float) + rng.choice([0.0, 0.5], size=(20, 2))
    k = 40
    b_d, b_i = _brute(q, ref, k)
    seen = []
    for seed, sizes in enumerate(([300], [7] * 42 + [6], [150, 1, 149], [299, 1])):
        dist, idx = _chunked(q, ref, k, sizes, seed)
        np.testing.assert_array_equal(idx, b_i)  # ties: lower index first, exactly
        np.testing.assert_allclose(dist, b_d, rtol=RTOL)
        seen.append((dist, idx))
    for dist, idx in seen[1:]:
        np.testing.assert_array_equal(dist, seen[0][0])
        np.testing.assert_array_equal(idx, seen[0][1])
    d_ref = cKDTree(ref).query(q, k=k)[0]  # sorted distances are tie-free
    np.testing.assert_allclose(seen[0][0], d_ref, rtol=RTOL, atol=1e-15)


def test_k_larger_than_chunks():
    rng = np.random.default_rng(5)
    ref, q = rng.normal(size=(60, 2)), rng.normal(size=(8, 2))
    b_d, b_i = _brute(q, ref, 25)
    dist, idx = _chunked(q, ref, 25, [3] * 20, 1)
    np.testing.assert_array_equal(idx, b_i)
    np.testing.assert_allclose(dist, b_d, rtol=RTOL)
    st_ = KnnState(q, 25).update(ref[:10])
    assert st_.dist2.shape == (8, 10)  # partial table while fewer than k rows seen
    with pytest.raises(EstimationError, match="fewer than k=25"):
        st_.result()


def test_self_exclusion_matches_knn_table():
    rng = np.random.default_rng(6)
    ref = rng.normal(size=(400, 3))
    k = 6
    dist, idx = knn_distances(ref, da.from_array(ref, chunks=57), k,
                              query_index=np.arange(400))
    t_d, t_i = knn_table(ref, None, k)  # divlab's helper (cKDTree, own point removed)
    np.testing.assert_allclose(dist, t_d, rtol=RTOL)
    np.testing.assert_array_equal(idx, t_i)
    kth = knn_kth_distances(ref, None, (1, k), array_namespace(ref), pairwise=None)
    np.testing.assert_allclose(dist[:, 0], kth[0], rtol=RTOL)
    np.testing.assert_allclose(dist[:, k - 1], kth[1], rtol=RTOL)
    # a subset of rows as queries, given with their global indices
    rows = np.array([5, 17, 399, 0])
    d_s, i_s = _chunked(ref[rows], ref, k, [100, 100, 200], 2, exclude_self=True,
                        query_index=rows)
    np.testing.assert_array_equal(i_s, t_i[rows])
    np.testing.assert_allclose(d_s, t_d[rows], rtol=RTOL)


def test_self_exclusion_keeps_duplicates():
    ref = np.array([[0.0], [0.0], [0.0], [1.0], [2.0]])
    dist, idx = knn_distances(ref, ref, 2, query_index=np.arange(5))
    np.testing.assert_array_equal(idx, [[1, 2], [0, 2], [0, 1], [0, 1], [3, 0]])
    np.testing.assert_array_equal(dist, [[0, 0], [0, 0], [0, 0], [1, 1], [1, 2]])
    b_d, b_i = _brute(ref, ref, 2, own=np.arange(5))
    np.testing.assert_array_equal(idx, b_i)
    np.testing.assert_array_equal(dist, b_d)
    for sizes in ([1] * 5, [2, 3], [4, 1]):
        d_c, i_c = _chunked(ref, ref, 2, sizes, 0, exclude_self=True)
        np.testing.assert_array_equal(i_c, idx)
        np.testing.assert_array_equal(d_c, dist)


@pytest.mark.parametrize("chunks", [13, 100, 250])
def test_dask_threaded_equals_numpy(chunks):
    rng = np.random.default_rng(7)
    ref = np.round(rng.normal(size=(250, 3)), 1)  # some exact ties
    q = ref[:30] + 0.05
    want = knn_distances(q, ref, 9)
    with dask.config.set(scheduler="threads"):
        got = knn_distances(da.from_array(q, chunks=7), da.from_array(ref, chunks=(chunks, 1)),
                            9, split_every=2)
        lazy, = dask.compute(knn_distances_delayed(q, da.from_array(ref, chunks=chunks), 9))
    for res in (got, lazy):
        np.testing.assert_array_equal(res[0], want[0])
        np.testing.assert_array_equal(res[1], want[1])


def test_one_dimensional_inputs():
    ref = np.array([3.0, 1.0, 4.0, 1.5, 9.0])
    dist, idx = knn_distances(np.array([2.0]), da.from_array(ref, chunks=2), 3)
    np.testing.assert_array_equal(idx, [[3, 0, 1]])  # 0 and 1 tie at 1.0
    np.testing.assert_allclose(dist, [[0.5, 1.0, 1.0]])


def test_array_api_strict_matches_numpy():
    import array_api_strict as xps

    rng = np.random.default_rng(8)
    ref = np.round(rng.normal(size=(120, 2)), 1)
    q = rng.normal(size=(15, 2))
    want = _chunked(q, ref, 5, [50, 70], 0)
    s = KnnState(xps.asarray(q), 5)
    for a in range(0, 120, 40):
        s.update(xps.asarray(ref[a:a + 40]), offset=a)
    dist, idx = s.result()
    np.testing.assert_allclose(np.asarray(dist), want[0], rtol=RTOL)
    np.testing.assert_array_equal(np.asarray(idx), want[1])
    # divlab's brute-force k-NN helper (generic path) agrees on the k-th distance
    kth = knn_kth_distances(xps.asarray(ref), xps.asarray(q), (5,), xps,
                            pairwise=lambda a, b: pairwise_cost_unchecked(
                                a, b, xps, metric="sqeuclidean"))[0]
    np.testing.assert_allclose(np.asarray(kth), want[0][:, 4], rtol=RTOL)


def test_pickle_and_result_does_not_consume():
    rng = np.random.default_rng(9)
    ref, q = rng.normal(size=(50, 2)), rng.normal(size=(5, 2))
    s = KnnState(q, 3, exclude_self=True, query_index=[0, 1, 2, 3, 4]).update(ref)
    t = pickle.loads(pickle.dumps(s))
    for a, b in zip(s.result(), t.result(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(s.result()[1], t.result()[1])


@settings(max_examples=30)
@given(st.lists(st.integers(1, 15), min_size=1, max_size=6), st.integers(1, 8),
       st.integers(0, 2**16), st.booleans())
def test_property_chunking_invariance(sizes, k, seed, self_q):
    rng = np.random.default_rng(seed)
    n = sum(sizes)
    ref = rng.integers(0, 4, size=(n, 2)).astype(float)
    q = ref[: min(n, 6)] if self_q else rng.integers(0, 4, size=(6, 2)).astype(float)
    kw = {"exclude_self": True} if self_q else {}
    if k > n - self_q:
        with pytest.raises(EstimationError):
            _chunked(q, ref, k, sizes, seed, **kw)
        return
    dist, idx = _chunked(q, ref, k, sizes, seed, **kw)
    b_d, b_i = _brute(q, ref, k, own=np.arange(len(q)) if self_q else None)
    np.testing.assert_array_equal(idx, b_i)
    np.testing.assert_allclose(dist, b_d, rtol=RTOL)


# ------------------------------------------------------------------------------ bad input
def test_bad_parameters():
    ref, q = np.zeros((10, 2)), np.zeros((3, 2))
    with pytest.raises(ParameterError, match="`k`"):
        knn_distances(q, ref, 0)
    with pytest.raises(ParameterError, match="`k`"):
        KnnState(q, 0)
    with pytest.raises(ParameterError, match="`k`=11 exceeds"):
        knn_distances(q, ref, 11)
    with pytest.raises(ParameterError, match="own row excluded"):
        knn_distances(q, ref, 10, query_index=[0, 1, 2])
    with pytest.raises(ParameterError, match="`k`=11 exceeds"):
        knn_distances(q, da.from_array(ref, chunks=3), 11)
    with pytest.raises(ParameterError, match="exclude_self=True"):
        KnnState(q, 1, query_index=[0, 1, 2])
    with pytest.raises(ParameterError, match="query_index"):
        KnnState(q, 1, exclude_self=True, query_index=[0, 1])
    with pytest.raises(ParameterError, match="query_index"):
        KnnState(q, 1, exclude_self=True, query_index=[0.0, 1.0, 2.0])
    with pytest.raises(ParameterError, match=">= 0"):
        KnnState(q, 1, exclude_self=True, query_index=[0, -1, 2])
    with pytest.raises(ParameterError, match="< 10"):
        knn_distances(q, ref, 1, query_index=[0, 1, 10])
    with pytest.raises(ParameterError, match="offset"):
        KnnState(q, 1).update(ref, offset=-1)
    with pytest.raises(ParameterError, match="split_every"):
        knn_distances(q, ref, 1, split_every=1)
    with pytest.raises(ParameterError, match="Dask"):
        knn_distances_delayed(q, ref, 1)
    with pytest.raises(ParameterError, match="exclude_self"):
        KnnState(q, 1, exclude_self=1)


def test_bad_shapes_and_data():
    ref, q = np.zeros((10, 2)), np.zeros((3, 2))
    with pytest.raises(ShapeMismatchError, match="dimension"):
        knn_distances(q, ref[:, :1], 1)
    with pytest.raises(ShapeMismatchError, match="dimension"):
        knn_distances(q, da.from_array(ref[:, :1]), 1)
    with pytest.raises(ShapeMismatchError, match="dimension"):
        KnnState(q, 1).update(np.zeros((4, 3)))
    with pytest.raises(ShapeMismatchError):
        knn_distances(q, np.zeros((2, 2, 2)), 1)
    bad = np.ones((10, 2))
    bad[4, 0] = np.inf
    with pytest.raises(NonFiniteError, match="inf"):
        knn_distances(q, bad, 1)
    with pytest.raises(NonFiniteError):
        knn_distances(q, da.from_array(bad, chunks=3), 1)
    with pytest.raises(NonFiniteError):
        KnnState(np.array([[np.nan, 0.0]]), 1)
    huge = np.array([[1e160, 0.0], [-1e160, 0.0]])
    with pytest.raises(NonFiniteError, match="overflow"):
        knn_distances(np.array([[-1e160, 0.0]]), huge, 2)


def test_bad_merges_and_overlaps():
    rng = np.random.default_rng(10)
    ref, q = rng.normal(size=(20, 2)), rng.normal(size=(4, 2))
    a = KnnState(q, 3).update(ref[:10])
    with pytest.raises(ParameterError, match="cannot merge"):
        a.merge(KnnState(q, 4))
    with pytest.raises(ParameterError, match="cannot merge"):
        a.merge(KnnState(q[:2], 3))
    with pytest.raises(TypeError):
        a.merge(object())
    b = KnnState(q, 3).update(ref[:10])  # the same rows again: overlapping chunks
    with pytest.raises(EstimationError, match="listed twice"):
        a.merge(b).result()
    c = KnnState(q, 20).update(ref[:10]).update(ref[10:], offset=9)  # off-by-one offset
    with pytest.raises(EstimationError, match="listed twice"):  # k = all rows: 9 listed twice
        c.result()
    assert KnnState(q, 20).update(ref[:10]).update(ref[10:], offset=10).result()[1].shape == (
        4, 20)


def test_mixed_backends_raise():
    import array_api_strict as xps

    q = np.zeros((3, 2))
    with pytest.raises(BackendError):
        KnnState(q, 1).update(xps.asarray(np.ones((4, 2))))


def test_is_a_streaming_state():
    from divlab.streaming import StreamingState

    assert isinstance(KnnState(np.zeros((1, 1)), 1), StreamingState)


@pytest.mark.slow
def test_distributed_cluster_equals_numpy():
    """Worker processes: the chunk tasks and states are pickled and merged on the workers."""
    distributed = pytest.importorskip("distributed")
    rng = np.random.default_rng(11)
    ref = np.round(rng.normal(size=(400, 2)), 1)
    want = knn_distances(ref[:50], ref, 5, query_index=np.arange(50))
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       memory_limit="1GB", dashboard_address=None)
    with cluster, distributed.Client(cluster):
        got = knn_distances(ref[:50], da.from_array(ref, chunks=70), 5,
                            query_index=np.arange(50))
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


@pytest.mark.gpu
def test_cupy_matches_numpy():
    import cupy

    rng = np.random.default_rng(12)
    ref = np.round(rng.normal(size=(300, 3)), 1)
    q = ref[:40]
    want = knn_distances(q, ref, 7, query_index=np.arange(40))
    s = KnnState(cupy.asarray(q), 7, exclude_self=True)
    for a in range(0, 300, 64):
        s.update(cupy.asarray(ref[a:a + 64]), offset=a)
    dist, idx = s.result()
    np.testing.assert_allclose(cupy.asnumpy(dist), want[0], rtol=1e-12)
    np.testing.assert_array_equal(cupy.asnumpy(idx), want[1])
