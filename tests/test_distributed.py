"""Discrete divergences on a real dask.distributed LocalCluster (worker processes).

The lazy Dask path runs the NumPy kernel once per pair of chunks on the workers and sums
the per-chunk results; the answer must equal the in-memory one to a few ulps (only the
summation order differs), invalid input must raise at compute time through the cluster,
and a chunked vector whose chunks are read by the workers from a ``.npy`` file (never held
by the client) gives the same number.
"""

from __future__ import annotations

import numpy as np
import pytest

import divlab
from divlab.errors import InputError

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

N = 200_000
CHUNK = 30_000  # uneven last chunk


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       memory_limit="1GB", dashboard_address=None)
    with cluster, distributed.Client(cluster) as c:
        yield c


def _pair(seed=0, zeros=False):
    rng = np.random.default_rng(seed)
    p, q = rng.random(N) ** 2, rng.random(N) ** 2
    if zeros:
        p[::101] = 0.0
    return p / p.sum(), q / q.sum()


CASES = [("kl", {}), ("js", {}), ("total_variation", {})]


@pytest.mark.parametrize(("name", "kw"), CASES)
@pytest.mark.parametrize("zeros", [False, True])
def test_cluster_equals_in_memory(client, name, kw, zeros):
    p, q = _pair(1, zeros)
    P, Q = da.from_array(p, chunks=CHUNK), da.from_array(q, chunks=CHUNK)
    lazy = getattr(divlab, name)(P, Q, **kw)
    assert isinstance(lazy, da.Array)
    got = float(client.compute(lazy).result())
    want = float(getattr(divlab, name)(p, q, **kw))
    assert got == pytest.approx(want, rel=8 * np.finfo(float).eps, abs=0)


def test_f_divergence_door_on_cluster(client):
    p, q = _pair(2)
    P, Q = da.from_array(p, chunks=CHUNK), da.from_array(q, chunks=CHUNK)
    # the whole registry is checked on the threaded scheduler (test_discrete_backends);
    # here one entry of each kind of limit, through worker processes
    names = ["kl", "reverse_kl", "squared_hellinger", "gan", "alpha"]
    kws = [{"alpha": 0.5} if name == "alpha" else {} for name in names]
    lazy = [divlab.f_divergence(P, Q, name, **kw) for name, kw in zip(names, kws, strict=True)]
    got = client.gather(client.compute(lazy))  # one round trip for every entry
    for name, kw, value in zip(names, kws, got, strict=True):
        want = float(divlab.f_divergence(p, q, name, **kw))
        assert float(value) == pytest.approx(want, rel=1e-14, abs=1e-300), name


def test_invalid_input_raises_through_the_cluster(client):
    p, q = _pair(3)
    p = p.copy()
    p[0] += p[150_000] + 1e-12
    p[150_000] = -1e-12  # negative entry in a late chunk, mass kept
    P, Q = da.from_array(p, chunks=CHUNK), da.from_array(q, chunks=CHUNK)
    with pytest.raises(InputError, match="negative"):
        client.compute(divlab.kl(P, Q)).result()


def _read(path, start, stop):
    return np.array(np.load(path, mmap_mode="r")[start:stop])


def test_chunks_read_by_the_workers(client, tmp_path):
    import dask

    p, q = _pair(4)
    arrays = []
    for name, v in (("p", p), ("q", q)):
        path = tmp_path / f"{name}.npy"
        np.save(path, v)
        parts = [da.from_delayed(dask.delayed(_read)(str(path), s, min(N, s + CHUNK)),
                                 shape=(min(N, s + CHUNK) - s,), dtype=np.float64)
                 for s in range(0, N, CHUNK)]
        arrays.append(da.concatenate(parts))
    got = float(client.compute(divlab.kl(*arrays)).result())
    assert got == pytest.approx(float(divlab.kl(p, q)), rel=8 * np.finfo(float).eps, abs=0)


def _npy_rows(tmp_path, name, a, chunk):
    """A (n, d) Dask array whose chunks the workers read from a ``.npy`` file."""
    import dask

    path = tmp_path / f"{name}.npy"
    np.save(path, a)
    n = a.shape[0]
    parts = [da.from_delayed(dask.delayed(_read)(str(path), s, min(n, s + chunk)),
                             shape=(min(n, s + chunk) - s, a.shape[1]), dtype=a.dtype)
             for s in range(0, n, chunk)]
    return da.concatenate(parts)


def test_compare_on_the_cluster_equals_in_memory(client, tmp_path):
    """compare on Dask arrays read by worker processes: the report equals the in-memory one
    (the rows fit the host budget, so the gathered rows are all rows in order)."""
    from divlab.estimators import compare

    rng = np.random.default_rng(11)
    x, y = rng.normal(size=(3000, 3)), rng.standard_t(5, size=(2500, 3))
    metrics = ["kl", "js", "w1", "sliced_w2", "mmd", "energy", "fid"]
    want = compare(x, y, metrics=metrics, n_resamples=10, rng=5)
    got = compare(_npy_rows(tmp_path, "x", x, 700), _npy_rows(tmp_path, "y", y, 900),
                  metrics=metrics, n_resamples=10, rng=5)
    for a, b in zip(want.rows, got.rows, strict=True):
        assert (a.metric, a.estimate.value, a.estimate.ci) == (b.metric, b.estimate.value,
                                                               b.estimate.ci)
    assert got.extra == want.extra
