"""Exact k-nearest-neighbour search at n = 1e5, d = 10: which method is fastest here?

Candidates (all exact; approximate methods such as pynndescent/HNSW are not acceptable for
the estimators): SciPy's ``cKDTree`` as ``divlab._array.knn_table`` builds it, ``cKDTree``
with ``balanced_tree=False, compact_nodes=False`` (faster build), a chunked BLAS brute force
in float64 (``|q|^2 + |r|^2 - 2 q.r`` by GEMM, ``argpartition``, then exact distances of
the candidates), and, when installed, ``faiss-cpu`` ``IndexFlatL2`` (exhaustive float32
search, candidates re-ranked with exact float64 distances) and ``pykdtree``. Each method
answers the same ``n_query`` queries among ``n`` whitened Gaussian points in d = 10 (the
estimators search whitened data); the table prints seconds (best of ``REPEATS``, methods
interleaved) and the ratio to ``cKDTree`` as divlab builds it, and checks that every
method returns the same k-th distances. Query time is linear in the number of queries:
the last column extrapolates to 1e5 queries. Run:
``python benchmarks/bench_knn_search.py [n_query] [k]``.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from scipy.spatial import cKDTree

N, D, REPEATS = 100_000, 10, 2


def ckd_default(ref, q, k):
    return cKDTree(ref).query(q, k=k, workers=-1)[0][:, -1]


def ckd_fast_build(ref, q, k):
    t = cKDTree(ref, balanced_tree=False, compact_nodes=False)
    return t.query(q, k=k, workers=-1)[0][:, -1]


def brute_blas(ref, q, k, rows=512):
    rr = np.einsum("ij,ij->i", ref, ref)
    out = np.empty(q.shape[0])
    for s in range(0, q.shape[0], rows):
        qb = q[s:s + rows]
        d2 = rr[None, :] - 2.0 * (qb @ ref.T)
        cand = np.argpartition(d2, k + 3, axis=1)[:, :k + 4]
        exact = np.sqrt(((qb[:, None, :] - ref[cand]) ** 2).sum(-1))
        out[s:s + rows] = np.sort(exact, axis=1)[:, k - 1]
    return out


def faiss_flat(ref, q, k):
    import faiss

    index = faiss.IndexFlatL2(ref.shape[1])
    index.add(ref.astype(np.float32))
    _, idx = index.search(q.astype(np.float32), k + 4)
    exact = np.sqrt(((q[:, None, :] - ref[idx]) ** 2).sum(-1))
    return np.sort(exact, axis=1)[:, k - 1]


def pykdtree_query(ref, q, k):
    from pykdtree.kdtree import KDTree

    return np.asarray(KDTree(ref).query(q, k=k)[0], dtype=np.float64)[:, -1]


def main(n_query: int = 10_000, k: int = 10) -> None:
    rng = np.random.default_rng(0)
    ref = rng.standard_normal((N, D))
    q = rng.standard_normal((n_query, D))
    methods = {"cKDTree (divlab today)": ckd_default, "cKDTree unbalanced": ckd_fast_build,
               "BLAS brute force f64": brute_blas}
    for name, fn, mod in (("faiss IndexFlatL2", faiss_flat, "faiss"),
                          ("pykdtree", pykdtree_query, "pykdtree")):
        try:
            __import__(mod)
            methods[name] = fn
        except ImportError:
            print(f"({name}: not installed)")
    best = {m: np.inf for m in methods}
    ref_kth = None
    for _ in range(REPEATS):
        for name, fn in methods.items():
            t0 = time.perf_counter()
            kth = fn(ref, q, k)
            best[name] = min(best[name], time.perf_counter() - t0)
            if ref_kth is None:
                ref_kth = kth
            assert np.allclose(kth, ref_kth, rtol=1e-12), name
    base = best["cKDTree (divlab today)"]
    print(f"n={N} d={D} k={k} queries={n_query}")
    for name, t in best.items():
        print(f"{name:26s} {t:8.2f} s  ratio {t / base:5.2f}  ~{t * 1e5 / n_query:7.1f} s "
              "for 1e5 queries")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
