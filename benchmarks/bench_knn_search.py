"""Exact k-nearest-neighbour search: which method is fastest here, and does divlab pick it?

Every method answers the same self-query (each point's ``k`` nearest other points) of ``n``
points; the data are Gaussian, either full-dimensional in ``d`` (what the k-NN estimators
search: whitened samples) or on a random 3-dimensional subspace of R^d (features of low
intrinsic dimension). Methods, all exact (approximate searches such as HNSW or pynndescent
would bias the estimators):

- ``cKDTree``: SciPy's kd-tree, ``workers=-1`` (divlab's method before issue #11);
- ``divlab brute force``: ``divlab._native.knn_search``, the compiled blocked brute force
  (``divlab/_knnkernel.c``), queries split over two threads;
- ``divlab knn_table``: what the estimators call; it takes the brute force when the
  estimated intrinsic dimension is at least 6.5 and the kd-tree otherwise;
- when installed: ``pykdtree`` (kd-tree, OpenMP) and ``faiss`` ``IndexFlatL2`` (exhaustive
  float32 search; candidates re-ranked in float64, so exact only up to float32 rounding of
  the candidate set).

Every method's k-th distances are checked against the first one. Run::

    python benchmarks/bench_knn_search.py [--quick] [--output docs/benchmarks-knn.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import scipy
from scipy.spatial import cKDTree

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _output import emit

import divlab
from divlab import _array, _native


def ckd(x: np.ndarray, k: int) -> np.ndarray:
    return cKDTree(x).query(x, k=k + 1, workers=-1)[0][:, -1]


def brute(x: np.ndarray, k: int) -> np.ndarray:
    return _native.knn_search(x, None, k)[0][:, -1]


def table(x: np.ndarray, k: int) -> np.ndarray:
    return _array.knn_table(x, None, k)[0][:, -1]


def pykdtree_query(x: np.ndarray, k: int) -> np.ndarray:
    from pykdtree.kdtree import KDTree

    return np.asarray(KDTree(x).query(x, k=k + 1)[0], dtype=np.float64)[:, -1]


def faiss_flat(x: np.ndarray, k: int) -> np.ndarray:
    import faiss

    index = faiss.IndexFlatL2(x.shape[1])
    index.add(x.astype(np.float32))
    _, idx = index.search(x.astype(np.float32), k + 5)
    exact = np.sqrt(((x[:, None, :] - x[idx]) ** 2).sum(-1))
    return np.sort(exact, axis=1)[:, k]  # column 0 is the point itself


def methods() -> dict[str, Callable[[np.ndarray, int], np.ndarray]]:
    out: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {"cKDTree": ckd}
    if _native.KNN_AVAILABLE:
        out["divlab brute force"] = brute
    out["divlab knn_table"] = table
    for name, fn, mod in (("pykdtree", pykdtree_query, "pykdtree"),
                          ("faiss IndexFlatL2", faiss_flat, "faiss")):
        try:
            __import__(mod)
            out[name] = fn
        except ImportError:
            pass
    return out


def run(cases: list[tuple[int, int, int]], k: int) -> list[str]:
    rows = []
    rng = np.random.default_rng(0)
    for n, d, m in cases:
        z = rng.standard_normal((n, m))
        x = z @ rng.standard_normal((m, d)) if m < d else z
        dim = _array.intrinsic_dimension(x)
        choice = "brute force" if _array._brute_force_knn(x, n) else "kd-tree"
        times: dict[str, float] = {}
        ref = None
        for name, fn in methods().items():
            t0 = time.perf_counter()
            kth = fn(x, k)
            times[name] = time.perf_counter() - t0
            if ref is None:
                ref = kth
            rel = float(np.max(np.abs(kth - ref) / np.maximum(ref, 1e-300)))
            assert rel < 1e-6, (name, rel)
        base = times["cKDTree"]
        cells = " ".join(f"| {times[m]:.2f} ({base / times[m]:.1f}x)" for m in times)
        rows.append(f"| {n} | {d} | {m} | {dim:.1f} | {choice} {cells} |")
        print(rows[-1], flush=True)
    names = list(methods())
    header = ["| n | d | intrinsic dim | estimated | knn_table uses | "
              + " | ".join(f"{m} (s, speed-up)" for m in names) + " |",
              "|---:|---:|---:|---:|:---|" + "---:|" * len(names)]
    return header + rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="n = 2e4 only (seconds)")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--output", help="write the markdown report to this path")
    args = ap.parse_args()
    sizes = [20_000] if args.quick else [20_000, 100_000]
    cases = [(n, d, m) for n in sizes for d, m in ((10, 10), (10, 3), (20, 20))]
    if not args.quick:
        cases = [c for c in cases if not (c[0] == 100_000 and c[1] == 20)]  # tree: minutes
    load = os.getloadavg()[0]
    table_lines = run(cases, args.k)
    lines = [
        "# Exact k-NN search: divlab vs SciPy's cKDTree",
        "",
        f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `benchmarks/bench_knn_search.py"
        f"{' --quick' if args.quick else ''}`; divlab {getattr(divlab, '__version__', '?')}, "
        f"SciPy {scipy.__version__}, NumPy {np.__version__}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPU(s), load average {load:.1f} at "
        "start.",
        "",
        f"Self-query (each point's k = {args.k} nearest other points) of n Gaussian points in "
        "R^d, full-dimensional or on a random subspace of the stated intrinsic dimension; "
        "one run each, wall time in seconds and speed-up over cKDTree. `estimated`: "
        "divlab's maximum-likelihood estimate of the intrinsic dimension (Levina-Bickel on "
        "2000 rows), which decides `knn_table`'s method (brute force from 6.5). The "
        "k-th distances of every method agree.",
        "",
        *table_lines,
    ]
    text = "\n".join(lines) + "\n"
    emit(text, args.output)


if __name__ == "__main__":
    main()
